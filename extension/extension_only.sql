-- Mark user data so pg_dump includes it (extension member tables are skipped otherwise).
select pg_catalog.pg_extension_config_dump('pgflow.flows', '');
select pg_catalog.pg_extension_config_dump('pgflow.steps', '');
select pg_catalog.pg_extension_config_dump('pgflow.deps', '');
select pg_catalog.pg_extension_config_dump('pgflow.run_rows', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_state_rows', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_tasks', '');
select pg_catalog.pg_extension_config_dump('pgflow.workers', '');
select pg_catalog.pg_extension_config_dump('pgflow.task_attempts', '');
select pg_catalog.pg_extension_config_dump('pgflow.worker_steps', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_limits', '');
