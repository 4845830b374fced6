-- claim_tasks when flow control applies to the flows asked for (see the
-- locking order in 610_claim_tasks.sql): candidates are picked per bucket up
-- to its room, locked without waiting, the limited candidates' buckets are
-- locked in key order, then a fresh snapshot counts each bucket's started
-- tasks and rate-window starts and only what fits is claimed; the rest stay
-- queued for a later claim.
create function pgflow.claim_limited_tasks(
    worker_id uuid, max_tasks integer, flow_slugs text[], fenced boolean, now timestamptz
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
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_bitmapscan = off
set enable_seqscan = off
-- a disabled sequential scan of a tiny table (step_limits) costs 1e10, which
-- would make the JIT compile the statement: 100+ ms while holding bucket locks
set jit = off
as $$
declare
    v_now timestamptz := claim_limited_tasks.now;
    -- more picks than wanted: concurrent claimers pick alike, and the lock
    -- step skips what another claimer locked first
    v_pick integer := least(claim_limited_tasks.max_tasks * 4, claim_limited_tasks.max_tasks + 100);
    v_runs uuid[];
    v_flows text[];
    v_steps text[];
    v_indexes integer[];
    v_buckets text[];
    v_statuses text[];
    v_priorities integer[];
    v_visible timestamptz[];
    v_lock bigint;
    v_clock timestamptz;
begin
    -- 1. candidates, read without locks in three parts: the head of the
    -- unlimited queue; for each bucket with room (a loose index scan visits
    -- each bucket once, however long its backlog), its first queued tasks up
    -- to that room; expired leases of limited steps (they hold their slot)
    select array_agg(p.run_id), array_agg(p.step_slug), array_agg(p.task_index)
    into v_runs, v_steps, v_indexes
    from (
        with recursive buckets (flow_slug, step_slug, bucket) as (
            (
                select t.flow_slug, t.step_slug, t.limit_bucket
                from pgflow.step_tasks as t
                where t.status in ('queued', 'started') and t.limit_bucket is not null
                order by t.flow_slug, t.step_slug, t.limit_bucket
                limit 1
            )
            union all
            select n.flow_slug, n.step_slug, n.limit_bucket
            from buckets as b
            cross join lateral (
                select t.flow_slug, t.step_slug, t.limit_bucket
                from pgflow.step_tasks as t
                where t.status in ('queued', 'started') and t.limit_bucket is not null
                    and (t.flow_slug, t.step_slug, t.limit_bucket) > (b.flow_slug, b.step_slug, b.bucket)
                order by t.flow_slug, t.step_slug, t.limit_bucket
                limit 1
            ) as n
        ),
        rooms as (
            -- least() ignores a null: a limit the step does not have is not
            -- counted at all (case, since an operator evaluates its operands
            -- even when one is null: one index probe less per bucket)
            select b.flow_slug, b.step_slug, b.bucket, least(
                v_pick,
                case when l.concurrency is not null then l.concurrency - (
                    select count(*) from pgflow.step_tasks as s
                    where s.flow_slug = b.flow_slug and s.step_slug = b.step_slug
                        and s.limit_bucket = b.bucket and s.status = 'started'
                ) end,
                case when l.rate_limit is not null then l.rate_limit - (
                    select count(*) from pgflow.task_starts as s
                    where s.flow_slug = b.flow_slug and s.step_slug = b.step_slug and s.bucket = b.bucket
                        and s.started_at > v_now - pg_catalog.make_interval(secs => l.rate_period)
                ) end
            ) as room
            from buckets as b
            join pgflow.step_limits as l on l.flow_slug = b.flow_slug and l.step_slug = b.step_slug
            where (claim_limited_tasks.flow_slugs is null or b.flow_slug = any(claim_limited_tasks.flow_slugs))
                and (not claim_limited_tasks.fenced or exists (
                    select 1
                    from pgflow.worker_steps as ws
                    join pgflow.flows as f on f.flow_slug = ws.flow_slug and f.flow_id = ws.flow_id
                    where ws.worker_id = claim_limited_tasks.worker_id
                        and ws.flow_slug = b.flow_slug
                        and ws.step_slug = b.step_slug
                ))
        )
        select q.run_id, q.step_slug, q.task_index, q.priority, q.visible_at,
            -- claimers whose picks tie (tasks started together) start from
            -- different buckets, instead of all racing for the same ones
            pg_catalog.hashtext(claim_limited_tasks.worker_id::text || r.bucket) as spread
        from rooms as r
        cross join lateral (
            select t.run_id, t.step_slug, t.task_index, t.priority, t.visible_at
            from pgflow.step_tasks as t
            where t.flow_slug = r.flow_slug and t.step_slug = r.step_slug and t.limit_bucket = r.bucket
                and t.status = 'queued'
                and t.visible_at <= v_now
                and t.attempts_count < t.max_attempts
            order by t.priority desc, t.visible_at
            limit greatest(r.room, 0)
        ) as q
        where r.room > 0
        union all
        select e.run_id, e.step_slug, e.task_index, e.priority, e.visible_at, 0
        from (
            select t.run_id, t.flow_slug, t.step_slug, t.task_index, t.priority, t.visible_at
            from pgflow.step_tasks as t
            where t.status = 'started' and t.limit_bucket is not null
                and t.visible_at <= v_now
                and t.attempts_count < t.max_attempts
                and (claim_limited_tasks.flow_slugs is null or t.flow_slug = any(claim_limited_tasks.flow_slugs))
            order by t.visible_at
            limit v_pick
        ) as e
        where not claim_limited_tasks.fenced or exists (
            select 1
            from pgflow.worker_steps as ws
            join pgflow.flows as f on f.flow_slug = ws.flow_slug and f.flow_id = ws.flow_id
            where ws.worker_id = claim_limited_tasks.worker_id
                and ws.flow_slug = e.flow_slug
                and ws.step_slug = e.step_slug
        )
        union all
        select u.run_id, u.step_slug, u.task_index, u.priority, u.visible_at, 0
        from (
            select t.run_id, t.step_slug, t.task_index, t.priority, t.visible_at
            from pgflow.step_tasks as t
            where t.status in ('queued', 'started')
                and t.limit_bucket is null
                and t.visible_at <= v_now
                and t.attempts_count < t.max_attempts
                and (claim_limited_tasks.flow_slugs is null or t.flow_slug = any(claim_limited_tasks.flow_slugs))
                and (not claim_limited_tasks.fenced or exists (
                    select 1
                    from pgflow.worker_steps as ws
                    join pgflow.flows as f on f.flow_slug = ws.flow_slug and f.flow_id = ws.flow_id
                    where ws.worker_id = claim_limited_tasks.worker_id
                        and ws.flow_slug = t.flow_slug
                        and ws.step_slug = t.step_slug
                ))
            order by t.priority desc, t.visible_at
            limit v_pick
        ) as u
        order by priority desc, visible_at, spread
        limit v_pick
    ) as p;
    if v_runs is null then
        return;
    end if;

    -- 2. locked without waiting, each rechecked on its latest version, in
    -- claim order up to max_tasks: claimers racing for the same picks skip
    -- each other's and take the next ones
    select array_agg(c.run_id), array_agg(c.flow_slug), array_agg(c.step_slug),
        array_agg(c.task_index), array_agg(c.limit_bucket), array_agg(c.status),
        array_agg(c.priority), array_agg(c.visible_at)
    into v_runs, v_flows, v_steps, v_indexes, v_buckets, v_statuses, v_priorities, v_visible
    from (
        select t.run_id, t.flow_slug, t.step_slug, t.task_index, t.limit_bucket, t.status,
            t.priority, t.visible_at
        from unnest(v_runs, v_steps, v_indexes) as k (run_id, step_slug, task_index)
        join pgflow.step_tasks as t
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
        where t.status in ('queued', 'started')
            and t.visible_at <= v_now
            and t.attempts_count < t.max_attempts
        order by t.priority desc, t.visible_at,
            coalesce(pg_catalog.hashtext(claim_limited_tasks.worker_id::text || t.limit_bucket), 0)
        limit claim_limited_tasks.max_tasks
        for update of t skip locked
    ) as c;
    if v_runs is null then
        return;
    end if;

    if exists (select 1 from unnest(v_buckets) as b (bucket) where b.bucket is not null) then
        if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
            raise exception using
                errcode = 'PF021',
                message = pg_catalog.format(
                    'claim_tasks of flow-controlled steps needs READ COMMITTED, not %s',
                    pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))
                ),
                hint = 'claim in its own READ COMMITTED transaction: the limits are counted on a fresh snapshot';
        end if;
        -- 3. the buckets, locked in key order (no deadlocks between claimers)
        for v_lock in
            select distinct pg_catalog.hashtextextended(b.flow_slug || '/' || b.step_slug || '/' || b.bucket, 0)
            from unnest(v_flows, v_steps, v_buckets) as b (flow_slug, step_slug, bucket)
            where b.bucket is not null
            order by 1
        loop
            perform pg_catalog.pg_advisory_xact_lock(v_lock);
        end loop;
        v_clock := coalesce(
            (select c.fake_now from pgflow.test_clock as c where c.singleton), pg_catalog.clock_timestamp()
        );
        -- the log keeps what any rate window may still count; others prune
        -- what this claimer holds locked, so nobody waits for anybody
        delete from pgflow.task_starts as s
        where s.ctid = any(array(
            select o.ctid from pgflow.task_starts as o
            where o.started_at <= v_clock - pg_catalog.make_interval(
                secs => coalesce((select max(l.rate_period) from pgflow.step_limits as l), 0)
            )
            limit 1000
            for update skip locked
        ));

        -- 4. a fresh snapshot: what fits in each bucket now
        select array_agg(x.run_id), array_agg(x.step_slug), array_agg(x.task_index)
        into v_runs, v_steps, v_indexes
        from (
            select c.run_id, c.flow_slug, c.step_slug, c.task_index, c.bucket, c.status,
                l.concurrency, l.rate_limit, l.rate_period,
                pg_catalog.row_number() over bucket as rank,
                count(*) filter (where c.status = 'started') over (
                    partition by c.flow_slug, c.step_slug, c.bucket
                ) as reclaims
            from unnest(v_runs, v_flows, v_steps, v_indexes, v_buckets, v_statuses, v_priorities, v_visible)
                as c (run_id, flow_slug, step_slug, task_index, bucket, status, priority, visible_at)
            left join pgflow.step_limits as l
                on l.flow_slug = c.flow_slug and l.step_slug = c.step_slug and c.bucket is not null
            window bucket as (
                partition by c.flow_slug, c.step_slug, c.bucket
                order by c.status = 'started' desc, c.priority desc, c.visible_at, c.run_id, c.task_index
            )
        ) as x
        where x.bucket is null
            or (
                (
                    x.concurrency is null
                    or x.status = 'started'
                    or x.rank - x.reclaims <= x.concurrency - (
                        select count(*) from pgflow.step_tasks as t
                        where t.flow_slug = x.flow_slug and t.step_slug = x.step_slug
                            and t.limit_bucket = x.bucket and t.status = 'started'
                    )
                )
                and (
                    x.rate_limit is null
                    or x.rank <= x.rate_limit - (
                        select count(*) from pgflow.task_starts as s
                        where s.flow_slug = x.flow_slug and s.step_slug = x.step_slug
                            and s.bucket = x.bucket
                            and s.started_at > v_clock - pg_catalog.make_interval(secs => x.rate_period)
                    )
                )
            );
        if v_runs is null then
            return;
        end if;
    end if;

    return query
    with candidates as (
        select t.run_id, t.step_slug, t.task_index, t.status, t.attempts_count, t.claimed_by, t.started_at
        from unnest(v_runs, v_steps, v_indexes) as k (run_id, step_slug, task_index)
        join pgflow.step_tasks as t
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
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
            claimed_by = claim_limited_tasks.worker_id,
            started_at = v_now,
            visible_at = v_now + pg_catalog.make_interval(secs => s.timeout)
        from candidates as c, pgflow.steps as s
        where t.run_id = c.run_id
            and t.step_slug = c.step_slug
            and t.task_index = c.task_index
            and s.flow_slug = t.flow_slug
            and s.step_slug = t.step_slug
        returning t.run_id, t.flow_slug, t.step_slug, t.task_index, t.attempts_count,
            t.input, t.visible_at, s.step_type, t.limit_bucket
    ),
    -- the sliding-window log of rate-limited steps
    logged as (
        insert into pgflow.task_starts (flow_slug, step_slug, bucket, started_at)
        select c.flow_slug, c.step_slug, c.limit_bucket, v_clock
        from claimed as c
        join pgflow.step_limits as l on l.flow_slug = c.flow_slug and l.step_slug = c.step_slug
        where l.rate_limit is not null and c.limit_bucket is not null
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
