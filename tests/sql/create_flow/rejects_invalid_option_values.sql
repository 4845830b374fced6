begin;
select plan(4);

select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('bad_opts', max_attempts => 0) $$,
  'PF009', array['bad_opts', 'max_attempts'], 'max_attempts below 1 is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('bad_opts', base_delay => -1) $$,
  'PF009', array['bad_opts', 'base_delay'], 'a negative base_delay is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('bad_opts', timeout => 0) $$,
  'PF009', array['bad_opts', 'timeout'], 'a timeout below 1 is rejected'
);
select is(
  (select count(*)::int from pgflow.flows where flow_slug = 'bad_opts'),
  0,
  'no flow was created'
);

select * from finish();
rollback;
