begin;
select plan(3);

select pgflow.create_flow('plain');
select pgflow.add_step('plain', 'call_api');
select pgflow.create_flow('limited');
select pgflow.add_step('limited', 'call_api', concurrency => 3, concurrency_key => '{run,tenant}',
  rate_limit => 20, rate_period => 1);

select results_eq(
  $$ select concurrency, concurrency_key, rate_limit, rate_period from pgflow.step_limits
     where flow_slug = 'limited' $$,
  $$ values (3, '{run,tenant}'::text[], 20, 1) $$,
  'add_step records the limits in pgflow.step_limits'
);
select is_empty(
  $$ select 1 from pgflow.step_limits where flow_slug = 'plain' $$,
  'a step without limits has no row'
);
select set_config('t.hash', pgflow.flow_shape_hash('limited'), true);
select pgflow.set_step_limits('limited', 'call_api');
select is(
  pgflow.flow_shape_hash('limited'), current_setting('t.hash'),
  'limits are operations, not shape: the shape hash ignores them'
);

select * from finish();
rollback;
