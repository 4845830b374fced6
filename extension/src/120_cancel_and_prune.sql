-- Cancels a started run: its unfinished tasks stop being claimable and late
-- results for them become no-ops. Cancelling a finished run changes nothing.
create function pgflow.cancel_run(run_id uuid)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_run pgflow.runs;
    v_now timestamptz := pgflow.now();
begin
    select r.* into v_run from pgflow.runs as r where r.run_id = cancel_run.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(cancel_run.run_id);
    end if;
    if v_run.status <> 'started' then
        return v_run;
    end if;
    perform pgflow.cancel_unfinished(cancel_run.run_id, v_now);
    update pgflow.runs as r
    set status = 'cancelled', cancelled_at = v_now
    where r.run_id = cancel_run.run_id
    returning r.* into v_run;
    perform pgflow.notify_run_finished(v_run.run_id, v_run.flow_slug, 'cancelled');
    return v_run;
end;
$$;

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
        from pgflow.runs as r
        where r.status <> 'started'
            and r.finished_at < pgflow.now() - prune_runs.older_than
        order by r.finished_at
        limit prune_runs.max_runs
        for update skip locked
    ),
    deleted as (
        delete from pgflow.runs as r
        using doomed as d
        where r.run_id = d.run_id
        returning 1
    )
    select count(*) from deleted
$$;
