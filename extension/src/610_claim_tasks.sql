-- Leases up to max_tasks visible tasks to a worker for their step's timeout.
-- Lease expiry is part of the claim itself: a started task whose lease ran out
-- is visible again, and claiming it counts an attempt, so no cron job is
-- needed to recover tasks from dead workers. Tasks whose expired lease used
-- their last attempt are failed first, under the usual run-first lock order,
-- before this transaction locks any task row.
--
-- Priority: candidates are read in (priority desc, visible_at) order, so a
-- high-priority task is claimed next, past any backlog of lower ones.
--
-- Flow control (pgflow.step_limits, issue 13). Without limits on the flows
-- asked for, the claim is the one statement below (the fast path). With
-- limits, a claim is exact whatever the timing of other claimers:
--   1. candidates are picked without locks: the unlimited queue's head, and
--      for each bucket (flow, step, key value) with room, only its first
--      tasks up to that room (a loose index scan over the buckets, so a key's
--      huge backlog costs one probe, not a scan); then locked with for update
--      skip locked, never waiting;
--   2. the claimer takes a transaction advisory lock on each bucket (flow,
--      step, key value) among its limited candidates, in ascending lock-key
--      order, so two claimers cannot deadlock;
--   3. a later statement, with a fresh READ COMMITTED snapshot that sees every
--      claim committed by earlier holders of those locks, counts each bucket's
--      started tasks (a started task whose lease expired still holds its slot
--      until it is claimed again or failed) and its starts in the rate window,
--      and claims only up to what is left; the rest stay queued.
-- Lock order: expired last-attempt runs (expire_task), then task rows (skip
-- locked), then bucket advisory locks in key order; nothing waits on a task
-- row while holding a bucket lock. The exact count needs a fresh snapshot per
-- statement, so a claim of limited tasks refuses REPEATABLE READ and
-- SERIALIZABLE callers (PF021). The rate window is measured on the clock read
-- after the locks (pgflow.now()'s test clock when set), so the log of starts
-- (pgflow.task_starts) is in lock order and "at most rate_limit starts in
-- any window of rate_period seconds" holds exactly.
create function pgflow.claim_tasks(
    worker_id uuid,
    max_tasks integer default 10,
    flow_slugs text[] default null
)
returns table (
    run_id uuid,
    flow_slug text,
    step_slug text,
    task_index integer,
    attempt integer,
    input jsonb,
    lease_expires_at timestamptz,
    trace_context jsonb
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
-- the queue's head must be read in visible_at order through the partial index,
-- whatever the statistics say: a bitmap or sequential scan (the planner's pick
-- on a young, unanalyzed table) re-reads every queued and dead entry per claim
set enable_bitmapscan = off
set enable_seqscan = off
as $$
declare
    v_now timestamptz := pgflow.now();
    v_expired record;
    v_fenced boolean;
begin
    if claim_tasks.worker_id is null then
        raise exception using errcode = 'PF009', message = 'claim_tasks needs a worker_id';
    end if;
    perform pgflow.check_list('flow_slugs', claim_tasks.flow_slugs);
    if coalesce(claim_tasks.max_tasks, 0) < 1 then
        return;
    end if;

    -- the oldest expired last-attempt leases, failed in key order: each
    -- expire_task locks a run for update and keeps it until commit, so two
    -- claimers (or a claimer and a complete_tasks batch) meet runs in the same
    -- order and cannot deadlock (tests/python/sql_concurrency/test_claims.py)
    for v_expired in
        select e.run_id, e.step_slug, e.task_index
        from (
            select t.run_id, t.step_slug, t.task_index
            from pgflow.step_tasks as t
            where t.status = 'started'
                and t.visible_at <= v_now
                and t.attempts_count >= t.max_attempts
                and (claim_tasks.flow_slugs is null or t.flow_slug = any(claim_tasks.flow_slugs))
            order by t.visible_at
            limit 100
        ) as e
        order by e.run_id, e.step_slug, e.task_index
    loop
        perform pgflow.expire_task(v_expired.run_id, v_expired.step_slug, v_expired.task_index);
    end loop;

    -- a worker that declared what it serves (serve_steps) claims only those
    -- steps, and only of the flow definition it verified
    v_fenced := exists (select 1 from pgflow.worker_steps as ws where ws.worker_id = claim_tasks.worker_id);

    if exists (
        select 1 from pgflow.step_limits as l
        where claim_tasks.flow_slugs is null or l.flow_slug = any(claim_tasks.flow_slugs)
    ) then
        return query select * from pgflow.claim_limited_tasks(
            claim_tasks.worker_id, claim_tasks.max_tasks, claim_tasks.flow_slugs, v_fenced, v_now
        );
        return;
    end if;

    return query
    with candidates as (
        select t.run_id, t.step_slug, t.task_index, t.status, t.attempts_count, t.claimed_by, t.started_at
        from pgflow.step_tasks as t
        where t.status in ('queued', 'started')
            and t.limit_bucket is null
            and t.visible_at <= v_now
            and t.attempts_count < t.max_attempts
            and (claim_tasks.flow_slugs is null or t.flow_slug = any(claim_tasks.flow_slugs))
            and (not v_fenced or exists (
                select 1
                from pgflow.worker_steps as ws
                join pgflow.flows as f on f.flow_slug = ws.flow_slug and f.flow_id = ws.flow_id
                where ws.worker_id = claim_tasks.worker_id
                    and ws.flow_slug = t.flow_slug
                    and ws.step_slug = t.step_slug
            ))
        order by t.priority desc, t.visible_at
        limit claim_tasks.max_tasks
        for update skip locked
    ),
    -- an expired lease claimed again: its attempt is on record as lost
    lapsed as (
        insert into pgflow.task_attempts (
            run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome,
            error_message
        )
        select c.run_id, c.step_slug, c.task_index, c.attempts_count, c.claimed_by, c.started_at, v_now,
            'lease_expired', 'lease expired: no result or lease extension within the step timeout'
        from candidates as c
        where c.status = 'started'
        on conflict on constraint task_attempts_pkey do nothing
    ),
    claimed as (
        update pgflow.step_tasks as t
        set status = 'started',
            attempts_count = t.attempts_count + 1,
            claimed_by = claim_tasks.worker_id,
            started_at = v_now,
            visible_at = v_now + pg_catalog.make_interval(secs => s.timeout)
        from candidates as c, pgflow.steps as s
        where t.run_id = c.run_id
            and t.step_slug = c.step_slug
            and t.task_index = c.task_index
            and s.flow_slug = t.flow_slug
            and s.step_slug = t.step_slug
        returning t.run_id, t.flow_slug, t.step_slug, t.task_index, t.attempts_count,
            t.input, t.visible_at, s.step_type
    )
    select c.run_id, c.flow_slug, c.step_slug, c.task_index, c.attempts_count,
        case
            when c.step_type = 'map' then c.input
            else pgflow.step_input(c.run_id, c.flow_slug, c.step_slug, r.input)
        end,
        c.visible_at,
        r.trace_context
    from claimed as c
    join pgflow.run_rows as r on r.run_id = c.run_id
    order by c.visible_at, c.run_id, c.step_slug, c.task_index;
end;
$$;
