begin;
select plan(4);

select pgflow.create_flow('checked_defs');
select pgflow.add_step('checked_defs', 'a');
select pgflow.add_step('checked_defs', 'b', deps => array['a']);

select throws_ok(
  $$ update pgflow.flows set max_attempts = 0 where flow_slug = 'checked_defs' $$,
  '23514', null, 'flows.max_attempts below 1 is rejected by the table'
);
select throws_ok(
  $$ update pgflow.steps set step_type = 'loop' where flow_slug = 'checked_defs' and step_slug = 'a' $$,
  '23514', null, 'an unknown step_type is rejected by the table'
);
select throws_ok(
  $$ insert into pgflow.deps (flow_slug, dep_slug, step_slug) values ('checked_defs', 'a', 'a') $$,
  '23514', null, 'a self dependency is rejected by the table'
);
select throws_ok(
  $$ update pgflow.steps set run_if = '[1]' where flow_slug = 'checked_defs' and step_slug = 'a' $$,
  '23514', null, 'a non-object condition is rejected by the table'
);

select * from finish();
rollback;
