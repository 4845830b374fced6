begin;
select plan(3);

select pgflow.create_flow('drifted');
select pgflow.add_step('drifted', 'common');
select pgflow.add_step('drifted', 'only_in_db', deps => array['common']);

select pgflow_tests.throws_mentioning(
  $$ select pgflow.verify_flow('drifted', repeat('0', 64), array['common', 'only_in_code']) $$,
  'PF008', array['drifted', 'only_in_db'], 'PF008 lists the steps present only in the database'
);
select pgflow_tests.throws_mentioning(
  $$ select pgflow.verify_flow('drifted', repeat('0', 64), array['common', 'only_in_code']) $$,
  'PF008', array['drifted', 'only_in_code'], 'PF008 lists the steps present only in the code'
);
select pgflow_tests.throws_mentioning(
  $$ select pgflow.verify_flow('drifted', repeat('0', 64), array['common', 'only_in_db']) $$,
  'PF008', array['drifted'], 'same steps but another hash is still a mismatch'
);

select * from finish();
rollback;
