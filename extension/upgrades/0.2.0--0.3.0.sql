-- Hand-written part of the upgrade 0.2.0 -> 0.3.0: changes to tables and types
-- that 0.2.0 already has, and data changes. The rules of 0.1.0--0.2.0.sql
-- hold here too: the build creates missing tables, types and indexes and
-- re-applies every function; each statement below must be idempotent (the
-- plain script runs it on every application), and new columns go at the end
-- of their table in extension/src too, so fresh and upgraded tables match.
-- tests/python/cli/test_upgrade.py compares a fresh 0.3.0 with upgraded
-- 0.1.0 and 0.2.0 installs and names whatever differs.

-- issue 13, flow control: a run's priority, copied to its tasks; a task's
-- flow-control bucket; the claim index now leads with priority. (The table
-- pgflow.runs is already pgflow.run_rows here: 0.2.0--0.3.0.before.sql.)
alter table pgflow.run_rows add column if not exists priority integer not null default 0;
alter table pgflow.step_tasks add column if not exists priority integer not null default 0;
alter table pgflow.step_tasks add column if not exists limit_bucket text;
drop index if exists pgflow.step_tasks_claimable_idx;
-- issue 14: secret paths (shape) and output bounds (operational)
alter table pgflow.flows add column if not exists secret_input text[];
alter table pgflow.flows add column if not exists max_output_bytes integer;
alter table pgflow.steps add column if not exists secret_output text[];
alter table pgflow.steps add column if not exists max_output_bytes integer;
