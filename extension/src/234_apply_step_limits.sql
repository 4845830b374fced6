-- Records the flow-control limits of a step (all null: none) and brings the
-- buckets of its unfinished tasks in line in the same transaction, so a new
-- or changed key applies to the queue at once. Returns whether anything
-- changed. Freed capacity wakes the workers.
create function pgflow.apply_step_limits(
    flow_slug text, step_slug text, concurrency integer, concurrency_key text[],
    rate_limit integer, rate_period integer
)
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_old pgflow.step_limits;
    v_limited boolean := apply_step_limits.concurrency is not null or apply_step_limits.rate_limit is not null;
begin
    perform pgflow.check_step_limits(
        apply_step_limits.flow_slug, apply_step_limits.step_slug, apply_step_limits.concurrency,
        apply_step_limits.concurrency_key, apply_step_limits.rate_limit, apply_step_limits.rate_period
    );
    select l.* into v_old from pgflow.step_limits as l
    where l.flow_slug = apply_step_limits.flow_slug and l.step_slug = apply_step_limits.step_slug
    for update;
    if not v_limited and v_old.flow_slug is null then
        return false;
    end if;
    if v_old.flow_slug is not null
        and v_old.concurrency is not distinct from apply_step_limits.concurrency
        and v_old.concurrency_key is not distinct from apply_step_limits.concurrency_key
        and v_old.rate_limit is not distinct from apply_step_limits.rate_limit
        and v_old.rate_period is not distinct from apply_step_limits.rate_period then
        return false;
    end if;

    if v_limited then
        insert into pgflow.step_limits as l (
            flow_slug, step_slug, concurrency, concurrency_key, rate_limit, rate_period, updated_at
        )
        values (
            apply_step_limits.flow_slug, apply_step_limits.step_slug, apply_step_limits.concurrency,
            apply_step_limits.concurrency_key, apply_step_limits.rate_limit, apply_step_limits.rate_period,
            pgflow.now()
        )
        on conflict on constraint step_limits_pkey do update
        set concurrency = excluded.concurrency, concurrency_key = excluded.concurrency_key,
            rate_limit = excluded.rate_limit, rate_period = excluded.rate_period,
            updated_at = excluded.updated_at;
    else
        delete from pgflow.step_limits as l
        where l.flow_slug = apply_step_limits.flow_slug and l.step_slug = apply_step_limits.step_slug;
    end if;

    -- the unfinished tasks' buckets; a single task's input is assembled as
    -- claim_tasks would, a map task's is its element
    update pgflow.step_tasks as t
    set limit_bucket = case
        when not v_limited then null
        when apply_step_limits.concurrency_key is null then ''
        when s.step_type = 'map' then pgflow.limit_bucket(apply_step_limits.concurrency_key, t.input)
        else pgflow.limit_bucket(
            apply_step_limits.concurrency_key,
            pgflow.step_input(t.run_id, t.flow_slug, t.step_slug, r.input)
        )
    end
    from pgflow.steps as s, pgflow.run_rows as r
    where t.flow_slug = apply_step_limits.flow_slug
        and t.step_slug = apply_step_limits.step_slug
        and t.status in ('queued', 'started')
        and s.flow_slug = t.flow_slug
        and s.step_slug = t.step_slug
        and r.run_id = t.run_id;
    perform pgflow.notify_tasks_ready(apply_step_limits.flow_slug);
    return true;
end;
$$;
