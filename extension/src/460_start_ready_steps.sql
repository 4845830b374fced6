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
    v_run pgflow.run_rows;
    v_step pgflow.steps;
    v_now timestamptz := pgflow.now();
    v_finished integer := 0;
    v_ready text[] := start_ready_steps.ready;
    v_next text[];
    v_input jsonb;
    v_array jsonb;
    v_tasks integer;
    v_dep text;
    v_given record;
    v_limits pgflow.step_limits;
begin
    if cardinality(v_ready) = 0 then
        return 0;
    end if;
    select r.* into v_run from pgflow.run_rows as r where r.run_id = start_ready_steps.run_id;
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
            -- flow control: a limited step's tasks carry their bucket (a key
            -- into the input, known now that the dependencies are done)
            select l.* into v_limits from pgflow.step_limits as l
            where l.flow_slug = v_step.flow_slug and l.step_slug = v_step.step_slug;
            if v_dep is not null or v_step.run_if is not null or v_step.run_unless is not null
                or (v_step.step_type = 'single' and v_limits.concurrency_key is not null) then
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
                -- a skipped step is not an error: only a failing policy gets a message
                v_given := pgflow.give_up_step(
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, v_step.when_unmet, 'condition_unmet',
                    case when v_step.when_unmet = 'fail' then pg_catalog.format(
                        'step %L of flow %L: condition unmet (run_if %s, run_unless %s)',
                        v_step.step_slug, v_step.flow_slug,
                        pgflow.clip(coalesce(v_step.run_if::text, 'null')),
                        pgflow.clip(coalesce(v_step.run_unless::text, 'null'))
                    ) end
                );
                if v_given.ready is null then
                    return v_finished;
                end if;
                v_finished := v_finished + v_given.finished;
                v_next := v_next || v_given.ready;
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
                    -- its output, [], is what pgflow.step_states derives from no task
                    update pgflow.step_state_rows as ss
                    set status = 'completed', initial_tasks = 0,
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
                    visible_at, queued_at, priority, limit_bucket
                )
                select v_run.run_id, v_run.flow_slug, v_step.step_slug, (e.ord - 1)::integer,
                    v_step.max_attempts, e.element,
                    v_now + pg_catalog.make_interval(secs => v_step.delay_seconds), v_now,
                    v_run.priority,
                    case when v_limits.flow_slug is not null
                        then pgflow.limit_bucket(v_limits.concurrency_key, e.element) end
                from pg_catalog.jsonb_array_elements(v_array) with ordinality as e (element, ord);
            else
                v_tasks := 1;
                insert into pgflow.step_tasks (
                    run_id, flow_slug, step_slug, task_index, max_attempts,
                    visible_at, queued_at, priority, limit_bucket
                )
                values (
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, 0, v_step.max_attempts,
                    v_now + pg_catalog.make_interval(secs => v_step.delay_seconds), v_now,
                    v_run.priority,
                    case when v_limits.flow_slug is not null
                        then pgflow.limit_bucket(v_limits.concurrency_key, v_input) end
                );
            end if;

            -- after retry_run, a task's attempts go on from its earlier ones
            -- (task_attempts keeps them), each with a fresh budget
            if v_run.retry_count > 0 then
                update pgflow.step_tasks as t
                set attempts_count = h.attempts,
                    max_attempts = h.attempts + t.max_attempts,
                    started_at = v_now
                from (
                    select a.task_index, max(a.attempt) as attempts
                    from pgflow.task_attempts as a
                    where a.run_id = v_run.run_id and a.step_slug = v_step.step_slug
                    group by a.task_index
                ) as h
                where t.run_id = v_run.run_id and t.step_slug = v_step.step_slug and t.task_index = h.task_index;
            end if;

            update pgflow.step_state_rows as ss
            set status = 'started', initial_tasks = v_tasks, remaining_tasks = v_tasks,
                started_at = v_now
            where ss.run_id = v_run.run_id and ss.step_slug = v_step.step_slug;
            if v_step.delay_seconds = 0 then
                perform pgflow.notify_tasks_ready(v_run.flow_slug);
            end if;
        end loop;
        v_ready := v_next;
    end loop;
    return v_finished;
end;
$$;
