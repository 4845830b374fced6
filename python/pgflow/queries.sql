-- Named queries: every statement the Python package sends, except the
-- compiled flow registrations (pgflow.define.compiler) and the install scripts.
--
-- Each query starts with a `-- name: <name>` line and runs to the next one.
-- The SDK only calls pgflow's stored functions and reads its tables: every
-- rule (ordering, retries, leases, completion) lives in the extension.
-- Parameters are psycopg named placeholders; {name} marks an identifier that
-- psycopg.sql composes in (a database name); lowercase SQL throughout.

-- ---------------------------------------------------------------------------
-- Running flows: worker and client

-- name: claim_tasks
-- Lease up to max_tasks visible tasks of the given flows to this worker.
-- input is decoded per row by the SDK (pgflow.runs.row_cursor): an input
-- Python cannot decode fails its own task, never the whole claim.
select run_id, flow_slug, step_slug, task_index, attempt, input, lease_expires_at,
       trace_context
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
-- outputs (JSON texts) go as a binary text[]: the text format would escape
-- every quote of every output in Python (11-24 us per 1 kB output).
select pgflow.complete_tasks(
         run_ids => %(run_ids)s::uuid[],
         step_slugs => %(step_slugs)s::text[],
         outputs => %(outputs)b::jsonb[],
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
         attempt => %(attempt)s,
         error_detail => %(error_detail)s)

-- name: extend_leases
-- Renews the leases of the tasks whose handlers still run, one row per task:
-- status held (lease_expires_at renewed), timed_out (the attempt overran the
-- step's execution_timeout and was failed), cancelled (run cancelled or
-- failed) or lost (another attempt holds the task, or it finished).
select run_id, step_slug, task_index, attempt, status, lease_expires_at
  from pgflow.extend_leases(
         worker_id => %(worker_id)s,
         run_ids => %(run_ids)s::uuid[],
         step_slugs => %(step_slugs)s::text[],
         task_indexes => %(task_indexes)s::int[],
         attempts => %(attempts)s::int[])

-- name: serve_steps
-- Declares the steps of a flow this worker has handlers for, fenced to the
-- flow registration it verified (PF008 if the deployed shape differs).
select pgflow.serve_steps(
         worker_id => %(worker_id)s,
         flow_slug => %(flow_slug)s,
         shape_hash => %(shape_hash)s,
         step_slugs => %(step_slugs)s::text[]) as flow_id

-- name: stale_flows
-- Served flows whose verified registration is gone (dropped or redeployed).
select pgflow.stale_flows(worker_id => %(worker_id)s) as flow_slugs

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
-- Raises PF008 when the deployed shape differs from the code's; given the
-- code's whole shape document, its DETAIL names each differing option.
select pgflow.verify_flow(
         flow_slug => %(flow_slug)s,
         shape_hash => %(shape_hash)s,
         step_slugs => %(step_slugs)s::text[],
         shape => %(shape)s::jsonb)

-- name: listen_tasks
listen pgflow_tasks

-- name: listen_runs
-- Runs that finished: {"run_id", "flow_slug", "status"} (a hint).
listen pgflow_runs

-- name: unlisten_all
unlisten *

-- name: start_flow
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message, retry_count, retried_at
  from pgflow.start_flow(
         flow_slug => %(flow_slug)s,
         input => %(input)s::jsonb,
         run_id => %(run_id)s::uuid,
         trace_context => %(trace_context)s::jsonb,
         priority => %(priority)s::integer)

-- name: cancel_run
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message, retry_count, retried_at
  from pgflow.cancel_run(run_id => %(run_id)s)

-- name: get_run
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message, retry_count, retried_at
  from pgflow.runs
 where run_id = %(run_id)s

-- name: get_runs
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message, retry_count, retried_at
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

-- ---------------------------------------------------------------------------
-- Day-2 operations: recover runs, list them, retire flows, prune, workers

-- name: retry_run
-- Resumes a failed or cancelled run in place (from_steps null), or re-runs
-- the named steps and everything downstream. PF010 unknown run, PF019 nothing
-- to retry, PF004 unknown step, PF009 empty from_steps.
select run_id, flow_slug, status, input, output, remaining_steps, started_at,
       completed_at, failed_at, cancelled_at, error_message, retry_count, retried_at
  from pgflow.retry_run(
         run_id => %(run_id)s,
         from_steps => %(from_steps)s::text[])

-- name: get_run_attempts
-- Every attempt of every task of the run, in step, task and attempt order.
select a.step_slug, a.task_index, a.attempt, a.worker_id, a.claimed_at,
       a.finished_at, a.outcome, a.error_message, a.error_detail
  from pgflow.run_attempts(run_id => %(run_id)s) as a
 order by a.step_slug, a.task_index, a.attempt

-- name: server_now
-- The server's clock, to say how far away a due time is.
select statement_timestamp() as now

-- name: list_runs
-- Newest first. Every filter is optional (null: any); since_ago is measured
-- on the server's clock.
select r.run_id, r.flow_slug, r.status, r.remaining_steps, r.retry_count,
       r.started_at, r.finished_at, r.retried_at, r.error_message
  from pgflow.runs as r
 where (%(flow_slug)s::text is null or r.flow_slug = %(flow_slug)s::text)
   and (%(statuses)s::text[] is null or r.status = any(%(statuses)s::text[]))
   and (%(since)s::timestamptz is null or r.started_at >= %(since)s::timestamptz)
   and (%(since_ago)s::interval is null
        or r.started_at >= statement_timestamp() - %(since_ago)s::interval)
 order by r.started_at desc, r.run_id
 limit %(limit)s

-- name: get_flow
-- A flow's registration and whether it is retired; no row: no such flow.
select f.flow_slug, f.max_attempts, f.base_delay, f.timeout, f.created_at,
       f.retired_at,
       (select count(*) from pgflow.runs as r
         where r.flow_slug = f.flow_slug and r.status = 'started') as runs_in_flight
  from pgflow.flows as f
 where f.flow_slug = %(flow_slug)s

-- name: retire_flow
-- No new runs for this flow (start_flow raises PF018); runs in flight finish.
-- PF002 when there is no such flow.
select f.flow_slug, f.max_attempts, f.base_delay, f.timeout, f.created_at,
       f.retired_at,
       (select count(*) from pgflow.runs as r
         where r.flow_slug = f.flow_slug and r.status = 'started') as runs_in_flight
  from pgflow.retire_flow(flow_slug => %(flow_slug)s) as f

-- name: unretire_flow
select f.flow_slug, f.max_attempts, f.base_delay, f.timeout, f.created_at,
       f.retired_at,
       (select count(*) from pgflow.runs as r
         where r.flow_slug = f.flow_slug and r.status = 'started') as runs_in_flight
  from pgflow.unretire_flow(flow_slug => %(flow_slug)s) as f

-- name: prune_runs
-- One batch: at most max_runs finished runs older than older_than, oldest first.
select pgflow.prune_runs(
         older_than => %(older_than)s::interval,
         max_runs => %(max_runs)s) as pruned

-- name: prune_workers
select pgflow.prune_workers(older_than => %(older_than)s::interval) as pruned

-- name: list_workers
-- Registered workers, running ones first, then by last heartbeat. A running
-- worker whose heartbeat is older than silent_after is "silent" (crashed or
-- cut off: its leases expire and its tasks are claimed again); steps are the
-- flow/step pairs it serves (worker_steps).
select w.worker_id, w.hostname, w.pid, w.flow_slugs, w.started_at,
       w.last_heartbeat_at, w.stopped_at,
       case when w.stopped_at is not null then 'stopped'
            when w.last_heartbeat_at < statement_timestamp() - %(silent_after)s::interval
              then 'silent'
            else 'live' end as state,
       array(select ws.flow_slug || '/' || ws.step_slug
               from pgflow.worker_steps as ws
              where ws.worker_id = w.worker_id
              order by ws.flow_slug, ws.step_slug) as steps
  from pgflow.workers as w
 where %(include_stopped)s or w.stopped_at is null
 order by w.stopped_at is not null, w.last_heartbeat_at desc, w.worker_id

-- ---------------------------------------------------------------------------
-- Defining flows: install and deploy

-- name: installed_state
-- Is pgflow here (as an extension, or a plain install's schema), and could
-- the server create the extension (are its files in the sharedir)?
select (select e.extversion
          from pg_catalog.pg_extension as e
         where e.extname = 'pgflow') as extension_version,
       exists (select 1
                 from pg_catalog.pg_namespace as n
                where n.nspname = 'pgflow') as has_schema,
       (select a.default_version
          from pg_catalog.pg_available_extensions as a
         where a.name = 'pgflow') as available_version

-- name: create_extension
create extension if not exists pgflow

-- name: read_flow_shape
-- The canonical shape as the server prints it, and its hash (null: no such flow).
select pgflow.flow_shape(%(flow_slug)s)::text as shape_text,
       pgflow.flow_shape_hash(%(flow_slug)s) as shape_hash

-- name: allow_drop_flow
-- Opts this transaction in to drop_flow (a dev-only operation).
select pg_catalog.set_config('pgflow.allow_drop_flow', 'on', true)

-- name: drop_flow
-- Deletes the flow, its steps and its runs; returns how many runs went.
select pgflow.drop_flow(%(flow_slug)s) as dropped_runs

-- ---------------------------------------------------------------------------
-- Tools: scratch databases, worker processes

-- name: create_database
create database {database}

-- name: create_database_from_template
create database {database} template {template}

-- name: drop_database
drop database if exists {database} with (force)

-- name: worker_registered
-- The worker process with this pid has registered and not stopped.
select 1
  from pgflow.workers
 where pid = %(pid)s
   and stopped_at is null

-- name: step_limits
-- Flow control of a flow's steps (every step, limited or not), in step order.
select s.step_slug, l.concurrency, l.concurrency_key, l.rate_limit, l.rate_period, l.updated_at
  from pgflow.steps as s
  left join pgflow.step_limits as l on l.flow_slug = s.flow_slug and l.step_slug = s.step_slug
 where s.flow_slug = %(flow_slug)s
 order by s.step_index

-- name: set_step_limits
-- Sets a step's whole flow control (a null limit is no limit).
select step_slug, concurrency, concurrency_key, rate_limit, rate_period, updated_at
  from pgflow.set_step_limits(
         flow_slug => %(flow_slug)s,
         step_slug => %(step_slug)s,
         concurrency => %(concurrency)s::integer,
         concurrency_key => %(concurrency_key)s::text[],
         rate_limit => %(rate_limit)s::integer,
         rate_period => %(rate_period)s::integer)
-- ---------------------------------------------------------------------------
-- pgflow ui (issue 16): the playground's reads. Actions reuse start_flow,
-- cancel_run, retry_run and the worker's claim/complete queries above.

-- name: ui_list_flows
-- Every deployed flow with its step count, shape hash and run counts.
select f.flow_slug, f.max_attempts, f.base_delay, f.timeout, f.created_at,
       f.retired_at,
       (select count(*) from pgflow.steps as s
         where s.flow_slug = f.flow_slug) as step_count,
       pgflow.flow_shape_hash(f.flow_slug) as shape_hash,
       (select count(*) from pgflow.runs as r
         where r.flow_slug = f.flow_slug and r.status = 'started') as runs_in_flight
  from pgflow.flows as f
 order by f.flow_slug

-- name: ui_flow_steps
-- A flow's steps in registration order, with their deps and effective options
-- (null rows: no such flow).
select s.step_slug, s.step_index, s.step_type, s.max_attempts, s.base_delay,
       s.timeout, s.delay_seconds, s.run_if, s.run_unless, s.when_unmet,
       s.when_exhausted, s.execution_timeout, s.options,
       array(select d.dep_slug from pgflow.deps as d
              where d.flow_slug = s.flow_slug and d.step_slug = s.step_slug
              order by d.dep_slug) as deps
  from pgflow.steps as s
 where s.flow_slug = %(flow_slug)s
   and s.step_index >= 0
 order by s.step_index

-- name: ui_run_fingerprints
-- A cheap summary per run that changes whenever any of its tasks or steps
-- moves: the live pages' fallback when no notification says so.
select r.run_id,
       concat_ws(':', r.status, r.remaining_steps, r.retry_count,
                 (select concat_ws(':', count(*), sum(t.attempts_count),
                                   count(*) filter (where t.status = 'completed'),
                                   count(*) filter (where t.status = 'started'),
                                   count(*) filter (where t.status in ('failed', 'cancelled')))
                    from pgflow.step_tasks as t
                   where t.run_id = r.run_id)) as fingerprint
  from pgflow.runs as r
 where r.run_id = any(%(run_ids)s::uuid[])

-- name: ui_limit_use
-- Why a run's queued tasks may be held back: for each flow-controlled step of
-- the run and each bucket of its queued tasks, the step's limits and what is
-- in use now across every run (tasks started, starts in the rate window).
select l.step_slug, b.bucket, l.concurrency, l.rate_limit, l.rate_period,
       (select count(*) from pgflow.step_tasks as t
         where t.flow_slug = l.flow_slug and t.step_slug = l.step_slug
           and t.status = 'started' and t.limit_bucket = b.bucket) as in_flight,
       (select count(*) from pgflow.task_starts as s
         where s.flow_slug = l.flow_slug and s.step_slug = l.step_slug
           and s.bucket = b.bucket
           and s.started_at > %(now)s::timestamptz
                              - make_interval(secs => coalesce(l.rate_period, 0))) as recent_starts
  from pgflow.step_limits as l
 cross join lateral (
       select distinct q.limit_bucket as bucket
         from pgflow.step_tasks as q
        where q.run_id = %(run_id)s and q.step_slug = l.step_slug
          and q.status = 'queued' and q.limit_bucket is not null) as b
 where l.flow_slug = %(flow_slug)s
 order by l.step_slug, b.bucket

-- name: ui_current_role
-- Who the playground runs as, for the header and privilege messages.
select current_user::text as role_name, current_database()::text as database_name

-- ---------------------------------------------------------------------------
-- Payloads (pgflow.payload)

-- name: flow_secret_input
-- The paths of a flow's run input that the client seals before start_flow.
select secret_input from pgflow.flows where flow_slug = %(flow_slug)s
