-- Counts finished steps against their runs (parallel arrays; a run may
-- appear more than once) and completes the runs that have none left (a run's
-- output, the object of its completed leaf steps' outputs, is derived when
-- read: the view pgflow.runs). The one place a run row is updated on the
-- happy path, always last. Returns how many runs it completed.
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
    -- committed, so a run completes (and its waiters read its output) only
    -- with every leaf's output committed (tests/python/sql_concurrency/test_races.py).
    perform 1 from pgflow.run_rows as r
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
        update pgflow.run_rows as r
        set remaining_steps = r.remaining_steps - f.steps,
            status = case when r.remaining_steps = f.steps then 'completed' else r.status end,
            completed_at = case when r.remaining_steps = f.steps then pgflow.now() end
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
