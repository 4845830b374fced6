-- Internal step transitions shared by start_flow, complete_task, fail_task and
-- claim_tasks. Callers hold the run row lock first (see the header); these
-- functions lock step_states rows along the DAG's edges and leave the runs
-- row counter to settle_run, called once at the end.

-- Decrements the waiting-dependency counter of every unstarted dependent of
-- the given finished (completed or skipped) steps, given as parallel arrays;
-- returns, per run, the dependents that became ready.
create function pgflow.release_dependents_of(run_ids uuid[], flow_slugs text[], step_slugs text[])
returns table (run_id uuid, ready text[])
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    -- in key order first: batches releasing dependents in several runs must
    -- not take them in opposite orders
    perform 1
    from pgflow.step_states as ss
    join unnest(release_dependents_of.run_ids, release_dependents_of.flow_slugs, release_dependents_of.step_slugs)
        as f (run_id, flow_slug, step_slug) on ss.run_id = f.run_id
    join pgflow.deps as d
        on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug and d.step_slug = ss.step_slug
    where ss.status = 'created'
    order by ss.run_id, ss.step_slug
    for no key update of ss;

    return query
    with finished as (
        select f.run_id, f.flow_slug, f.step_slug
        from unnest(release_dependents_of.run_ids, release_dependents_of.flow_slugs, release_dependents_of.step_slugs)
            as f (run_id, flow_slug, step_slug)
    ),
    released as (
        update pgflow.step_states as ss
        set remaining_deps = ss.remaining_deps - x.deps
        from (
            select f.run_id, d.step_slug, count(*)::integer as deps
            from finished as f
            join pgflow.deps as d on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug
            group by f.run_id, d.step_slug
        ) as x
        where ss.run_id = x.run_id
            and ss.step_slug = x.step_slug
            and ss.status = 'created'
        returning ss.run_id, ss.step_slug, ss.remaining_deps
    )
    select f.run_id, coalesce((
        select array_agg(r.step_slug order by r.step_slug)
        from released as r
        where r.run_id = f.run_id and r.remaining_deps = 0
    ), '{}')
    from finished as f
    group by f.run_id;
end;
$$;

-- The same for one finished step; returns the dependents that became ready.
create function pgflow.release_dependents(run_id uuid, flow_slug text, step_slug text)
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    return (
        select r.ready
        from pgflow.release_dependents_of(
            array[release_dependents.run_id], array[release_dependents.flow_slug],
            array[release_dependents.step_slug]
        ) as r
    );
end;
$$;

-- Skips a step and everything downstream of it; returns how many steps it
-- finished. The step itself may be started (retries exhausted) or created.
create function pgflow.skip_cascade(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    with recursive downstream (slug) as (
        select skip_cascade.step_slug
        union
        select d.step_slug
        from downstream as ds
        join pgflow.deps as d on d.flow_slug = skip_cascade.flow_slug and d.dep_slug = ds.slug
    ),
    skipped as (
        update pgflow.step_states as ss
        set status = 'skipped',
            skipped_at = pgflow.now(),
            skip_reason = case
                when ss.step_slug = skip_cascade.step_slug then skip_cascade.reason
                else 'dependency_skipped'
            end,
            error_message = case
                when ss.step_slug = skip_cascade.step_slug then skip_cascade.error_message
            end
        from downstream as ds
        where ss.run_id = skip_cascade.run_id
            and ss.step_slug = ds.slug
            and ss.status in ('created', 'started')
        returning 1
    )
    select count(*)::integer from skipped
$$;

-- Skips one step (its dependents still run, without its key in their input);
-- returns the dependents that became ready.
create function pgflow.skip_step(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    update pgflow.step_states as ss
    set status = 'skipped',
        skipped_at = pgflow.now(),
        skip_reason = skip_step.reason,
        error_message = skip_step.error_message
    where ss.run_id = skip_step.run_id
        and ss.step_slug = skip_step.step_slug
        and ss.status in ('created', 'started');
    return pgflow.release_dependents(skip_step.run_id, skip_step.flow_slug, skip_step.step_slug);
end;
$$;

-- Fails a step and its run: every unfinished task and step of the run is
-- cancelled so nothing of a failed run stays claimable.
create function pgflow.fail_run(run_id uuid, step_slug text, error_message text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_now timestamptz := pgflow.now();
    v_flow_slug text;
begin
    update pgflow.step_states as ss
    set status = 'failed', failed_at = v_now, error_message = fail_run.error_message
    where ss.run_id = fail_run.run_id
        and ss.step_slug = fail_run.step_slug
        and ss.status in ('created', 'started');
    perform pgflow.cancel_unfinished(fail_run.run_id, v_now);
    update pgflow.runs as r
    set status = 'failed', failed_at = v_now, error_message = fail_run.error_message
    where r.run_id = fail_run.run_id and r.status = 'started'
    returning r.flow_slug into v_flow_slug;
    if v_flow_slug is not null then
        perform pgflow.notify_run_finished(fail_run.run_id, v_flow_slug, 'failed');
    end if;
end;
$$;

-- Cancels every unfinished task and step of a run that is ending (failed or
-- cancelled), so nothing of it stays claimable. The caller holds the run row.
create function pgflow.cancel_unfinished(run_id uuid, at timestamptz)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    update pgflow.step_tasks as t
    set status = 'cancelled', cancelled_at = cancel_unfinished.at
    where t.run_id = cancel_unfinished.run_id and t.status in ('queued', 'started');
    update pgflow.step_states as ss
    set status = 'cancelled', cancelled_at = cancel_unfinished.at
    where ss.run_id = cancel_unfinished.run_id and ss.status in ('created', 'started');
end;
$$;

create function pgflow.notify_run_finished(run_id uuid, flow_slug text, status text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pg_catalog.pg_notify(
        'pgflow_runs',
        pg_catalog.jsonb_build_object(
            'run_id', notify_run_finished.run_id,
            'flow_slug', notify_run_finished.flow_slug,
            'status', notify_run_finished.status
        )::text
    );
end;
$$;

-- The input object of a step: the run input under "run" and the output of
-- every completed dependency under its slug (skipped ones are absent).
create function pgflow.step_input(run_id uuid, flow_slug text, step_slug text, run_input jsonb)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    return pg_catalog.jsonb_build_object('run', step_input.run_input) || coalesce((
        select pg_catalog.jsonb_object_agg(d.dep_slug, ss.output)
        from pgflow.deps as d
        join pgflow.step_states as ss
            on ss.run_id = step_input.run_id and ss.step_slug = d.dep_slug
        where d.flow_slug = step_input.flow_slug
            and d.step_slug = step_input.step_slug
            and ss.status = 'completed'
    ), '{}'::jsonb);
end;
$$;

-- Starts the given ready steps, and whatever becomes ready because a step
-- finished at once (skipped, empty map): conditions, fan-out, delays. Returns
-- how many steps reached a final state, for settle_run.
create function pgflow.start_ready_steps(run_id uuid, ready text[])
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_run pgflow.runs;
    v_step pgflow.steps;
    v_now timestamptz := pgflow.now();
    v_finished integer := 0;
    v_ready text[] := start_ready_steps.ready;
    v_next text[];
    v_input jsonb;
    v_array jsonb;
    v_tasks integer;
    v_dep text;
begin
    if cardinality(v_ready) = 0 then
        return 0;
    end if;
    select r.* into v_run from pgflow.runs as r where r.run_id = start_ready_steps.run_id;
    while cardinality(v_ready) > 0 loop
        v_next := '{}';
        for v_step in
            select s.* from pgflow.steps as s
            where s.flow_slug = v_run.flow_slug and s.step_slug = any(v_ready)
            order by s.step_index
        loop
            -- the input object is only needed to test conditions or find a map's array
            v_dep := null;
            v_input := null;
            if v_step.step_type = 'map' and v_step.deps_count = 1 then
                select d.dep_slug into v_dep from pgflow.deps as d
                where d.flow_slug = v_step.flow_slug and d.step_slug = v_step.step_slug;
            end if;
            if v_dep is not null or v_step.run_if is not null or v_step.run_unless is not null then
                v_input := pgflow.step_input(v_run.run_id, v_run.flow_slug, v_step.step_slug, v_run.input);
            end if;

            -- a map step over a skipped dependency has nothing to map over
            if v_step.step_type = 'map' and v_dep is not null and not v_input ? v_dep then
                v_next := v_next || pgflow.skip_step(
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, 'dependency_skipped', null
                );
                v_finished := v_finished + 1;
                continue;
            end if;

            if not (
                (v_step.run_if is null or v_input @> v_step.run_if)
                and (v_step.run_unless is null or not v_input @> v_step.run_unless)
            ) then
                if v_step.when_unmet = 'skip' then
                    v_next := v_next || pgflow.skip_step(
                        v_run.run_id, v_run.flow_slug, v_step.step_slug, 'condition_unmet', null
                    );
                    v_finished := v_finished + 1;
                elsif v_step.when_unmet = 'skip-cascade' then
                    v_finished := v_finished + pgflow.skip_cascade(
                        v_run.run_id, v_run.flow_slug, v_step.step_slug, 'condition_unmet', null
                    );
                else
                    perform pgflow.fail_run(
                        v_run.run_id, v_step.step_slug,
                        pg_catalog.format(
                            'step %L of flow %L: condition unmet (run_if %s, run_unless %s)',
                            v_step.step_slug, v_step.flow_slug,
                            pgflow.clip(coalesce(v_step.run_if::text, 'null')),
                            pgflow.clip(coalesce(v_step.run_unless::text, 'null'))
                        )
                    );
                    return v_finished;
                end if;
                continue;
            end if;

            if v_step.step_type = 'map' then
                v_array := case when v_dep is null then v_run.input else v_input -> v_dep end;
                if pg_catalog.jsonb_typeof(v_array) is distinct from 'array' then
                    perform pgflow.fail_run(
                        v_run.run_id, v_step.step_slug,
                        pg_catalog.format(
                            'map step %L of flow %L expects an array from %s, got %s',
                            v_step.step_slug, v_step.flow_slug,
                            coalesce(pg_catalog.quote_literal(v_dep), 'the run input'),
                            coalesce(pg_catalog.jsonb_typeof(v_array), 'nothing')
                        )
                    );
                    return v_finished;
                end if;
                v_tasks := pg_catalog.jsonb_array_length(v_array);
                if v_tasks = 0 then
                    update pgflow.step_states as ss
                    set status = 'completed', output = '[]'::jsonb, initial_tasks = 0,
                        remaining_tasks = 0, started_at = v_now, completed_at = v_now
                    where ss.run_id = v_run.run_id and ss.step_slug = v_step.step_slug;
                    v_next := v_next || pgflow.release_dependents(
                        v_run.run_id, v_run.flow_slug, v_step.step_slug
                    );
                    v_finished := v_finished + 1;
                    continue;
                end if;
                insert into pgflow.step_tasks (
                    run_id, flow_slug, step_slug, task_index, max_attempts, input,
                    visible_at, queued_at
                )
                select v_run.run_id, v_run.flow_slug, v_step.step_slug, (e.ord - 1)::integer,
                    v_step.max_attempts, e.element,
                    v_now + pg_catalog.make_interval(secs => v_step.delay_seconds), v_now
                from pg_catalog.jsonb_array_elements(v_array) with ordinality as e (element, ord);
            else
                v_tasks := 1;
                insert into pgflow.step_tasks (
                    run_id, flow_slug, step_slug, task_index, max_attempts,
                    visible_at, queued_at
                )
                values (
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, 0, v_step.max_attempts,
                    v_now + pg_catalog.make_interval(secs => v_step.delay_seconds), v_now
                );
            end if;

            update pgflow.step_states as ss
            set status = 'started', initial_tasks = v_tasks, remaining_tasks = v_tasks,
                started_at = v_now
            where ss.run_id = v_run.run_id and ss.step_slug = v_step.step_slug;
            if v_step.delay_seconds = 0 then
                perform pg_catalog.pg_notify('pgflow_tasks', v_run.flow_slug);
            end if;
        end loop;
        v_ready := v_next;
    end loop;
    return v_finished;
end;
$$;

-- Counts finished steps against their runs (parallel arrays; a run may
-- appear more than once) and completes the runs that have none left: a run's
-- output is the object of its completed leaf steps' outputs. The one place a
-- runs row is updated on the happy path, always last. Returns how many runs
-- it completed.
create function pgflow.settle_runs(run_ids uuid[], finished_steps integer[])
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_completed integer;
begin
    -- In key order, and before the update rather than by it: the statement
    -- below then starts after every concurrent completion of these runs has
    -- committed, so the output it reads for a completed run misses no leaf
    -- (tests/python/sql_concurrency/test_races.py).
    perform 1 from pgflow.runs as r
    where r.run_id = any(settle_runs.run_ids) and r.status = 'started'
    order by r.run_id
    for no key update;
    with finished as (
        select f.run_id, sum(f.steps)::integer as steps
        from unnest(settle_runs.run_ids, settle_runs.finished_steps) as f (run_id, steps)
        group by f.run_id
        having sum(f.steps) > 0
    ),
    settled as (
        update pgflow.runs as r
        set remaining_steps = r.remaining_steps - f.steps,
            status = case when r.remaining_steps = f.steps then 'completed' else r.status end,
            completed_at = case when r.remaining_steps = f.steps then pgflow.now() end,
            -- evaluated only for a run this completes
            output = case when r.remaining_steps = f.steps then coalesce((
                select pg_catalog.jsonb_object_agg(ss.step_slug, ss.output)
                from pgflow.step_states as ss
                where ss.run_id = r.run_id
                    and ss.status = 'completed'
                    and not exists (
                        select 1 from pgflow.deps as d
                        where d.flow_slug = ss.flow_slug and d.dep_slug = ss.step_slug
                    )
            ), '{}'::jsonb) end
        from finished as f
        where r.run_id = f.run_id and r.status = 'started'
        returning r.run_id, r.flow_slug, r.status
    ),
    notified as (
        select pgflow.notify_run_finished(s.run_id, s.flow_slug, 'completed')
        from settled as s
        where s.status = 'completed'
    )
    select count(*)::integer into v_completed from notified;
    return v_completed;
end;
$$;

-- The same for one run.
create function pgflow.settle_run(run_id uuid, finished_steps integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if settle_run.finished_steps <> 0 then
        perform pgflow.settle_runs(array[settle_run.run_id], array[settle_run.finished_steps]);
    end if;
end;
$$;
