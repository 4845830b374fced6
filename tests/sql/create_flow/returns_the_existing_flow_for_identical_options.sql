begin;
select plan(3);

select pgflow.create_flow('same_flow', max_attempts => 4, base_delay => 2, timeout => 30);

select lives_ok(
  $$ select pgflow.create_flow('same_flow', max_attempts => 4, base_delay => 2, timeout => 30) $$,
  'registering the same flow again is a no-op'
);
select is(
  (select f.max_attempts::int from pgflow.create_flow('same_flow', max_attempts => 4, base_delay => 2, timeout => 30) as f),
  4,
  'it returns the existing row'
);
select is(
  (select count(*)::int from pgflow.flows where flow_slug = 'same_flow'),
  1,
  'there is still exactly one flow row'
);

select * from finish();
rollback;
