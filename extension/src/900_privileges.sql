-- Privileges. Functions default to EXECUTE for PUBLIC and nothing here should
-- be callable or writable by just anyone: everything is revoked, then granted
-- to two roles. Every function pins search_path to pg_catalog, pg_temp
-- (pg_temp last: with an empty search_path PostgreSQL still resolves type
-- names in pg_temp first, where a caller's temporary domain could run code as
-- the owner) and qualifies every name, so a caller cannot redirect them.
-- pgflow.set_test_clock and pgflow.test_clock are granted to nobody.
do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_worker') then
        create role pgflow_worker nologin;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_client') then
        create role pgflow_client nologin;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_operator') then
        create role pgflow_operator nologin;
    end if;
end;
$$;

revoke all on schema pgflow from public;
revoke all on all tables in schema pgflow from public;
revoke all on all functions in schema pgflow from public;

grant usage on schema pgflow to pgflow_worker, pgflow_client, pgflow_operator;

-- a worker claims, reports and registers; it reads nothing directly
grant execute on function
pgflow.claim_tasks(uuid, integer, text[]),
pgflow.complete_task(uuid, text, jsonb, integer, integer),
pgflow.complete_tasks(uuid[], text[], jsonb[], integer[], integer[]),
pgflow.fail_task(uuid, text, text, integer, integer, text),
pgflow.next_task_visible_at(text[]),
pgflow.register_worker(uuid, text[], text, integer),
pgflow.heartbeat_worker(uuid),
pgflow.stop_worker(uuid),
pgflow.extend_leases(uuid, uuid[], text[], integer[], integer[]),
pgflow.serve_steps(uuid, text, text, text[]),
pgflow.stale_flows(uuid),
-- read-only: lets a worker refuse to serve a flow whose deployed shape differs
pgflow.verify_flow(text, text, text[], jsonb),
pgflow.flow_shape_hash(text),
pgflow.vocabulary()
to pgflow_worker;

-- a client starts, cancels and reads runs and definitions
grant execute on function
pgflow.start_flow(text, jsonb, uuid, jsonb, integer),
pgflow.cancel_run(uuid),
pgflow.flow_shape(text),
pgflow.flow_shape_hash(text),
pgflow.vocabulary(),
pgflow.run_attempts(uuid),
-- recovering a run is not new work: an application may resume what failed
pgflow.retry_run(uuid, text[])
to pgflow_client;
grant select on all tables in schema pgflow to pgflow_client;

-- an operator runs day-2 operations: everything a client does, plus taking a
-- flow out of (and back into) service and pruning history
grant pgflow_client to pgflow_operator;
grant execute on function
pgflow.retire_flow(text, boolean),
pgflow.unretire_flow(text),
pgflow.prune_runs(interval, integer),
pgflow.prune_workers(interval),
pgflow.set_step_limits(text, text, integer, text[], integer, integer)
to pgflow_operator;
