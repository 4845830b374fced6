-- Retention: deletes finished runs (with their steps and tasks) that finished
-- more than older_than ago, oldest first, at most max_runs per call so a large
-- backlog can be pruned in short transactions. Returns the number deleted.
create function pgflow.prune_runs(older_than interval, max_runs integer default null)
returns bigint
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    with doomed as (
        select r.run_id
        from pgflow.run_rows as r
        where r.status <> 'started'
            and r.finished_at < pgflow.now() - prune_runs.older_than
        order by r.finished_at
        limit prune_runs.max_runs
        for update skip locked
    ),
    deleted as (
        delete from pgflow.run_rows as r
        using doomed as d
        where r.run_id = d.run_id
        returning 1
    )
    select count(*) from deleted
$$;
