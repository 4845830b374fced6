-- The temporary-domain attack: a caller shadows a type name with a domain in
-- pg_temp whose CHECK runs its own function. Inside a security definer
-- function whose search_path does not name pg_temp last, that CHECK runs as
-- the function's owner. Every entry point each role may execute is called
-- here under the attack; none may run the caller's code as anyone else.
begin;
select plan(6);

select pgflow.create_flow('attack', max_attempts => 2, base_delay => 0);
select pgflow.add_step('attack', 'a');
select pgflow.add_step('attack', 'b', deps => array['a']);
select pgflow.add_step('attack', 'm', deps => array['a'], step_type => 'map');
select pgflow.start_flow('attack', '{}', 'a0000000-0000-4000-8000-000000000001');
select pgflow.start_flow('attack', '{}', 'a0000000-0000-4000-8000-000000000002');
select pgflow.start_flow('attack', '{}', 'a0000000-0000-4000-8000-000000000003');
select set_config('attack.hash', pgflow.flow_shape_hash('attack'), true);

-- the control: a definer function with search_path = '' falls to the attack,
-- which proves the attack below is real
create function pgflow_tests.unpinned_probe()
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v timestamptz := pg_catalog.now();
begin
  return v;
end;
$$;

create role pgflow_tests_attacker nologin in role pgflow_worker;
grant pgflow_client to pgflow_tests_attacker;
grant pgflow_operator to pgflow_tests_attacker;
grant usage on schema pgflow_tests to pgflow_tests_attacker;
grant execute on function pgflow_tests.unpinned_probe() to pgflow_tests_attacker;
set local role pgflow_tests_attacker;

create temp table evil_log (who text, during text);
create temp table attack_log (entry_point text, sqlstate text);

-- the attacker's own code names pg_catalog types: its domains shadow the rest
create function pg_temp.evil()
returns pg_catalog.bool
language plpgsql
as $$
begin
  insert into pg_temp.evil_log
  values (current_user::pg_catalog.text, pg_catalog.current_setting('attack.during', true));
  -- the escalation an attacker wants (not in the control, which must not
  -- spoil the last check)
  if pg_catalog.current_setting('attack.during', true) <> 'control' then
    begin
      execute 'alter role pgflow_tests_attacker superuser';
    exception when others then
      null;
    end;
  end if;
  return true;
end;
$$;
create domain pg_temp.timestamptz as pg_catalog.timestamptz check (pg_temp.evil());
create domain pg_temp.jsonb as pg_catalog.jsonb check (pg_temp.evil());
create domain pg_temp.uuid as pg_catalog.uuid check (pg_temp.evil());
create domain pg_temp.text as pg_catalog.text check (pg_temp.evil());
create domain pg_temp.int4 as pg_catalog.int4 check (pg_temp.evil());
create domain pg_temp.int8 as pg_catalog.int8 check (pg_temp.evil());
create domain pg_temp.bool as pg_catalog.bool check (pg_temp.evil());
create domain pg_temp.float8 as pg_catalog.float8 check (pg_temp.evil());

-- each call runs in its own subtransaction; an error is recorded, not raised
create function pg_temp.attack(entry_point pg_catalog.text, statement pg_catalog.text)
returns void
language plpgsql
as $$
begin
  perform pg_catalog.set_config('attack.during', entry_point, true);
  begin
    execute statement;
    insert into pg_temp.attack_log values (entry_point, null);
  exception when others then
    insert into pg_temp.attack_log values (entry_point, sqlstate);
  end;
  perform pg_catalog.set_config('attack.during', '', true);
end;
$$;

select pg_temp.attack('control', $$select pgflow_tests.unpinned_probe()$$);
select pg_temp.attack('register_worker', $$select pgflow.register_worker('b0000000-0000-4000-8000-000000000001', array['attack'], 'host', 1)$$);
select pg_temp.attack('heartbeat_worker', $$select pgflow.heartbeat_worker('b0000000-0000-4000-8000-000000000001')$$);
select pg_temp.attack('serve_steps', $$select pgflow.serve_steps('b0000000-0000-4000-8000-000000000001', 'attack', current_setting('attack.hash'), array['a', 'b', 'm'])$$);
-- flow control first, so the claims below take the limited path
select pg_temp.attack('set_step_limits', $$select pgflow.set_step_limits('attack', 'a', concurrency => 5,
  concurrency_key => array['run', 'k'], rate_limit => 100, rate_period => 1)$$);
select pg_temp.attack('claim_tasks', $$select pgflow.claim_tasks('b0000000-0000-4000-8000-000000000001', 10, array['attack'])$$);
select pg_temp.attack('extend_leases', $$select pgflow.extend_leases('b0000000-0000-4000-8000-000000000001',
  array['a0000000-0000-4000-8000-000000000001'::uuid], array['a'], array[0], array[1])$$);
select pg_temp.attack('stale_flows', $$select pgflow.stale_flows('b0000000-0000-4000-8000-000000000001')$$);
select pg_temp.attack('complete_task', $$select pgflow.complete_task('a0000000-0000-4000-8000-000000000001', 'a', '[1, 2]', 0, 1)$$);
select pg_temp.attack('fail_task', $$select pgflow.fail_task('a0000000-0000-4000-8000-000000000002', 'a', 'boom', 0, 1)$$);
select pg_temp.attack('claim_tasks', $$select pgflow.claim_tasks('b0000000-0000-4000-8000-000000000001', 10, null)$$);
select pg_temp.attack('complete_tasks', $$select pgflow.complete_tasks(
  array['a0000000-0000-4000-8000-000000000001'::uuid, 'a0000000-0000-4000-8000-000000000001'],
  array['b', 'm'], array['"b"'::jsonb, '"m"'], array[0, 0], array[1, 1])$$);
select pg_temp.attack('next_task_visible_at', $$select pgflow.next_task_visible_at(array['attack'])$$);
select pg_temp.attack('verify_flow', $$select pgflow.verify_flow('attack', current_setting('attack.hash'), array['a', 'b', 'm'])$$);
select pg_temp.attack('flow_shape_hash', $$select pgflow.flow_shape_hash('attack')$$);
select pg_temp.attack('flow_shape', $$select pgflow.flow_shape('attack')$$);
select pg_temp.attack('vocabulary', $$select pgflow.vocabulary()$$);
select pg_temp.attack('stop_worker', $$select pgflow.stop_worker('b0000000-0000-4000-8000-000000000001')$$);
select pg_temp.attack('start_flow', $$select pgflow.start_flow('attack', '{"k": "v"}')$$);
select pg_temp.attack('run_attempts', $$select pgflow.run_attempts('a0000000-0000-4000-8000-000000000001')$$);
select pg_temp.attack('cancel_run', $$select pgflow.cancel_run('a0000000-0000-4000-8000-000000000003')$$);
select pg_temp.attack('retry_run', $$select pgflow.retry_run('a0000000-0000-4000-8000-000000000003')$$);
select pg_temp.attack('retire_flow', $$select pgflow.retire_flow('attack')$$);
select pg_temp.attack('unretire_flow', $$select pgflow.unretire_flow('attack')$$);
select pg_temp.attack('prune_runs', $$select pgflow.prune_runs('100 years')$$);
select pg_temp.attack('prune_workers', $$select pgflow.prune_workers('100 years')$$);

drop domain pg_temp.timestamptz, pg_temp.jsonb, pg_temp.uuid, pg_temp.text, pg_temp.int4,
  pg_temp.int8, pg_temp.bool, pg_temp.float8;
reset role;
select is(
  (select array_agg(distinct l.during order by l.during) from pg_temp.evil_log as l
   where l.who <> 'pgflow_tests_attacker'),
  array['control'],
  'the attack runs as the owner only in the unpinned control function'
);
select is(
  (select array_agg(l.entry_point || ': ' || l.sqlstate order by l.entry_point) from pg_temp.attack_log as l
   where l.sqlstate is not null),
  null,
  'every entry point ran to the end under the attack'
);
select is(
  (select array_agg(p.proname::text order by p.proname::text)
   from pg_proc as p
   where p.pronamespace = 'pgflow'::regnamespace
     and (has_function_privilege('pgflow_worker', p.oid, 'execute')
          or has_function_privilege('pgflow_client', p.oid, 'execute')
          or has_function_privilege('pgflow_operator', p.oid, 'execute'))
     and p.proname::text not in (select l.entry_point from pg_temp.attack_log as l)),
  null,
  'every function the worker, client and operator roles may execute was attacked'
);
select is(
  (select status from pgflow.step_tasks
   where run_id = 'a0000000-0000-4000-8000-000000000001' and step_slug = 'b'),
  'completed', 'the calls did their work (a task completed through complete_tasks)'
);
select is(
  (select status || ' ' || retry_count from pgflow.runs where run_id = 'a0000000-0000-4000-8000-000000000003'),
  'started 1', 'and cancel_run cancelled its run, which retry_run resumed'
);
select is(
  (select rolsuper from pg_roles where rolname = 'pgflow_tests_attacker'),
  false, 'the caller did not make itself superuser'
);

select * from finish();
rollback;
