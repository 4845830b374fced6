begin;
select plan(1);

select pgflow_tests.create_diamond_flow('verified');

select lives_ok(
  format(
    'select pgflow.verify_flow(%L, %L, %L)',
    'verified', pgflow.flow_shape_hash('verified'),
    array['website', 'sentiment', 'summary', 'saveToDb']
  ),
  'verify_flow passes when the hash matches'
);

select * from finish();
rollback;
