-- The clock seam: every timestamp pgflow writes comes from here, so tests can
-- move time (set pgflow.fake_now = '...') instead of sleeping through backoff,
-- leases and delays.
-- No "set search_path" here, unlike everywhere else: it would stop the planner
-- from inlining this hot function; every name in it is schema-qualified.
create function pgflow.now()
returns timestamptz
language sql
stable
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('pgflow.fake_now', true), '')::timestamptz,
        pg_catalog.now()
    )
$$;

-- Slugs become JSON keys, notification payloads and Python identifiers, so they
-- are kept identifier-like and bounded.
create function pgflow.check_slug(slug text, kind text, flow_slug text, step_slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_slug.slug is null
        or check_slug.slug !~ '^[A-Za-z_][A-Za-z0-9_]*$'
        or pg_catalog.length(check_slug.slug) > 128 then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'invalid %s slug %L (flow %L%s)',
                check_slug.kind, check_slug.slug, check_slug.flow_slug,
                case when check_slug.step_slug is not null
                    then pg_catalog.format(', step %L', check_slug.step_slug) else '' end
            ),
            hint = 'slugs start with a letter or underscore, contain only letters, digits '
            || 'and underscores, and are at most 128 characters long';
    end if;
    if check_slug.kind = 'step' and check_slug.slug = 'run' then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'step slug "run" is reserved (flow %L): the run input is passed under that key',
                check_slug.flow_slug
            );
    end if;
end;
$$;

-- Retry delay after a failed attempt: exponential, capped at a day (or at
-- base_delay when that is larger) so late attempts never wait for ages; the
-- exponent stops at 30, past the cap for any base_delay >= 1.
create function pgflow.retry_delay(base_delay integer, attempt integer)
returns integer
language sql
immutable
as $$
    select least(
        retry_delay.base_delay::numeric * pg_catalog.power(2::numeric, least(greatest(retry_delay.attempt - 1, 0), 30)),
        greatest(retry_delay.base_delay, 86400)
    )::integer
$$;

-- "<name>: <database> in the database, <given> given", or null when equal.
create function pgflow.describe_difference(name text, in_database jsonb, given jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
    select case
        when describe_difference.in_database is distinct from describe_difference.given
            then pg_catalog.format(
                '%s: %s in the database, %s given',
                describe_difference.name,
                coalesce(describe_difference.in_database::text, 'null'),
                coalesce(describe_difference.given::text, 'null')
            )
    end
$$;

-- Rejects an option below its minimum, naming the flow and step it belongs to.
create function pgflow.check_option(
    flow_slug text, step_slug text, name text, value integer, minimum integer
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_option.value < check_option.minimum then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be at least %s, got %s (flow %L%s)',
                check_option.name, check_option.minimum, check_option.value,
                check_option.flow_slug,
                case when check_option.step_slug is not null
                    then pg_catalog.format(', step %L', check_option.step_slug) else '' end
            );
    end if;
end;
$$;

-- The errors for a run or a task a call names but that does not exist, worded
-- once for every entry point that can raise them.
create function pgflow.raise_unknown_run(run_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    raise exception using
        errcode = 'PF010',
        message = pg_catalog.format('run %s does not exist', raise_unknown_run.run_id);
end;
$$;

create function pgflow.raise_unknown_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    raise exception using
        errcode = 'PF004',
        message = pg_catalog.format(
            'task %s of step %L in run %s does not exist',
            raise_unknown_task.task_index, raise_unknown_task.step_slug, raise_unknown_task.run_id
        );
end;
$$;
