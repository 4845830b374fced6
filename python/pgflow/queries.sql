-- Named queries of the Python SDK (worker and client).
--
-- Each query starts with a `-- name: <name>` line and runs to the next one.
-- The SDK only calls pgflow's stored functions and reads its tables: every
-- rule (ordering, retries, leases, completion) lives in the extension.
-- Parameters are psycopg named placeholders; lowercase SQL throughout.

-- name: claim_tasks
-- Lease up to max_tasks visible tasks of the given flows to this worker.
-- input is decoded per row by the SDK (pgflow.runs.row_cursor): an input
-- Python cannot decode fails its own task, never the whole claim.
select run_id, flow_slug, step_slug, task_index, attempt, input, lease_expires_at
  from pgflow.claim_tasks(
         worker_id => %(worker_id)s,
         max_tasks => %(max_tasks)s,
         flow_slugs => %(flow_slugs)s::text[])

-- name: next_task_visible_at
-- Seconds until the next delayed, retried or leased task of these flows
-- becomes claimable (null: none pending), measured on the server's clock.
select extract(epoch from pgflow.next_task_visible_at(flow_slugs => %(flow_slugs)s::text[])
                          - clock_timestamp())::float8 as wait_seconds

-- name: complete_task
-- When the call changed nothing (stale attempt, finished task, ended run)
-- only status is set; attempts_count, max_attempts and visible_at are null.
-- PF017: the attempt was never claimed.
select status, attempts_count, max_attempts, visible_at
  from pgflow.complete_task(
         run_id => %(run_id)s,
         step_slug => %(step_slug)s,
         output => %(output)s::jsonb,
         task_index => %(task_index)s,
         attempt => %(attempt)s)

-- name: complete_tasks
-- Several completions in one transaction; returns how many changed state.
select pgflow.complete_tasks(
         run_ids => %(run_ids)s::uuid[],
         step_slugs => %(step_slugs)s::text[],
         outputs => %(outputs)s::jsonb[],
         task_indexes => %(task_indexes)s::int[],
         attempts => %(attempts)s::int[]) as changed

-- name: fail_task
-- retry_in: seconds until a requeued task is claimable again (server clock).
-- When the call changed nothing only status is set (the rest is null).
select status, attempts_count, max_attempts, visible_at,
       extract(epoch from visible_at - clock_timestamp())::float8 as retry_in
  from pgflow.fail_task(
         run_id => %(run_id)s,
         step_slug => %(step_slug)s,
         error_message => %(error_message)s,
         task_index => %(task_index)s,
         attempt => %(attempt)s)

-- name: register_worker
select worker_id
  from pgflow.register_worker(
         worker_id => %(worker_id)s,
         flow_slugs => %(flow_slugs)s::text[],
         hostname => %(hostname)s,
         pid => %(pid)s)

-- name: heartbeat_worker
select pgflow.heartbeat_worker(worker_id => %(worker_id)s) as alive

-- name: stop_worker
select pgflow.stop_worker(worker_id => %(worker_id)s)

-- name: verify_flow
-- Raises PF008 when the deployed shape differs from the code's.
select pgflow.verify_flow(
         flow_slug => %(flow_slug)s,
         shape_hash => %(shape_hash)s,
         step_slugs => %(step_slugs)s::text[])

-- name: listen_tasks
listen pgflow_tasks

-- name: listen_runs
listen pgflow_runs

-- name: unlisten_all
unlisten *

-- name: start_flow
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message
  from pgflow.start_flow(
         flow_slug => %(flow_slug)s,
         input => %(input)s::jsonb,
         run_id => %(run_id)s::uuid)

-- name: cancel_run
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message
  from pgflow.cancel_run(run_id => %(run_id)s)

-- name: get_run
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message
  from pgflow.runs
 where run_id = %(run_id)s

-- name: get_runs
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message
  from pgflow.runs
 where run_id = any(%(run_ids)s::uuid[])

-- name: get_run_statuses
-- Cheap progress read: status only, for many runs at once.
select run_id, status
  from pgflow.runs
 where run_id = any(%(run_ids)s::uuid[])

-- name: read_snapshot
-- First statement of a transaction that reads a run, its steps and its tasks.
set transaction isolation level repeatable read, read only

-- name: get_step_states
select ss.run_id, ss.flow_slug, ss.step_slug, s.step_index, s.step_type,
       ss.status, ss.remaining_deps, ss.initial_tasks, ss.remaining_tasks,
       ss.output, ss.error_message, ss.skip_reason, ss.created_at,
       ss.started_at, ss.completed_at, ss.failed_at, ss.skipped_at,
       ss.cancelled_at
  from pgflow.step_states as ss
  join pgflow.steps as s
    on s.flow_slug = ss.flow_slug
   and s.step_slug = ss.step_slug
 where ss.run_id = %(run_id)s
 order by s.step_index

-- name: get_step_tasks
select st.run_id, st.flow_slug, st.step_slug, st.task_index, st.status,
       st.attempts_count, st.max_attempts, st.input, st.output,
       st.error_message, st.visible_at, st.claimed_by, st.queued_at,
       st.started_at, st.completed_at, st.failed_at, st.cancelled_at
  from pgflow.step_tasks as st
  join pgflow.steps as s
    on s.flow_slug = st.flow_slug
   and s.step_slug = st.step_slug
 where st.run_id = %(run_id)s
 order by s.step_index, st.task_index
