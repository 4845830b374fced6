-- The clock seam: every timestamp pgflow writes comes from here. It is the
-- server's transaction time, unless the owner switched the test clock on
-- (pgflow.set_test_clock), so tests can move time instead of sleeping through
-- backoff, leases and delays. The test clock is a table only the owner can
-- write, not a setting: a caller's SET cannot move what a definer function
-- believes is now.
create function pgflow.now()
returns timestamptz
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select c.fake_now from pgflow.test_clock as c where c.singleton),
        pg_catalog.now()
    )
$$;

-- Switches the test clock on at the given time, or off with null. Granted to
-- nobody: only the owner (or a superuser) can call it. Within a transaction
-- that rolls back (a pgTAP test) the change rolls back too.
create function pgflow.set_test_clock(fake_now timestamptz)
returns timestamptz
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if set_test_clock.fake_now is null then
        delete from pgflow.test_clock as c where c.singleton;
        return pg_catalog.now();
    end if;
    insert into pgflow.test_clock as c (singleton, fake_now)
    values (true, set_test_clock.fake_now)
    on conflict on constraint test_clock_pkey do update set fake_now = excluded.fake_now;
    return set_test_clock.fake_now;
end;
$$;

-- Caller-supplied text quoted in an error message (like format's %L), cut to
-- a readable length: a 10 MB slug must not make a 20 MB message and log line.
create function pgflow.clip(value text)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.length(clip.value) > 80 then
            pg_catalog.quote_literal(pg_catalog.left(clip.value, 80))
            || pg_catalog.format('... (%s characters)', pg_catalog.length(clip.value))
        else pg_catalog.quote_nullable(clip.value)
    end
$$;

-- Slugs become JSON keys, notification payloads and Python identifiers, so they
-- are kept identifier-like and bounded.
create function pgflow.check_slug(slug text, kind text, flow_slug text, step_slug text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_slug.slug is null
        or check_slug.slug !~ '^[A-Za-z_][A-Za-z0-9_]*$'
        or pg_catalog.length(check_slug.slug) > 128 then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'invalid %s slug %s (flow %s%s)',
                check_slug.kind, pgflow.clip(check_slug.slug), pgflow.clip(check_slug.flow_slug),
                case when check_slug.step_slug is not null
                    then pg_catalog.format(', step %s', pgflow.clip(check_slug.step_slug)) else '' end
            ),
            hint = 'slugs start with a letter or underscore, contain only letters, digits '
            || 'and underscores, and are at most 128 characters long';
    end if;
    if check_slug.kind = 'step' and check_slug.slug = 'run' then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'step slug "run" is reserved (flow %s): the run input is passed under that key',
                pgflow.clip(check_slug.flow_slug)
            );
    end if;
end;
$$;

-- A list argument must be one-dimensional: '{{a}}' is a valid text[] but not
-- a list, and some array functions refuse it with a less helpful error.
create function pgflow.check_list(name text, list anyarray)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if pg_catalog.array_ndims(check_list.list) > 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be a one-dimensional array, got %s dimensions',
                check_list.name, pg_catalog.array_ndims(check_list.list)
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
set search_path = pg_catalog, pg_temp
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
set search_path = pg_catalog, pg_temp
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
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_option.value < check_option.minimum then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be at least %s, got %s (flow %s%s)',
                check_option.name, check_option.minimum, check_option.value,
                pgflow.clip(check_option.flow_slug),
                case when check_option.step_slug is not null
                    then pg_catalog.format(', step %s', pgflow.clip(check_option.step_slug)) else '' end
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
set search_path = pg_catalog, pg_temp
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
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF004',
        message = pg_catalog.format(
            'task %s of step %s in run %s does not exist',
            raise_unknown_task.task_index, pgflow.clip(raise_unknown_task.step_slug), raise_unknown_task.run_id
        );
end;
$$;

-- A completion or failure must name an attempt a claim actually made: a task
-- never claimed, or an attempt beyond the task's attempts, is refused before
-- anything changes, so nobody can finish a task nobody ran.
create function pgflow.raise_unclaimed_attempt(
    run_id uuid, step_slug text, task_index integer, attempt integer, attempts_count integer
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF017',
        message = case
            when raise_unclaimed_attempt.attempts_count = 0 then pg_catalog.format(
                'task %s of step %s in run %s was never claimed',
                raise_unclaimed_attempt.task_index, pgflow.clip(raise_unclaimed_attempt.step_slug),
                raise_unclaimed_attempt.run_id
            )
            else pg_catalog.format(
                'attempt %s of task %s of step %s in run %s was never claimed (the task has had %s attempt(s))',
                raise_unclaimed_attempt.attempt, raise_unclaimed_attempt.task_index,
                pgflow.clip(raise_unclaimed_attempt.step_slug), raise_unclaimed_attempt.run_id,
                raise_unclaimed_attempt.attempts_count
            )
        end,
        hint = 'complete or fail a task with the attempt number its claim returned';
end;
$$;

-- What a completion or failure that changed nothing returns: the task's key
-- and status, nothing of its input, output or error.
create function pgflow.task_status_only(task pgflow.step_tasks)
returns pgflow.step_tasks
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    v_task.run_id := (task_status_only.task).run_id;
    v_task.flow_slug := (task_status_only.task).flow_slug;
    v_task.step_slug := (task_status_only.task).step_slug;
    v_task.task_index := (task_status_only.task).task_index;
    v_task.status := (task_status_only.task).status;
    return v_task;
end;
$$;
