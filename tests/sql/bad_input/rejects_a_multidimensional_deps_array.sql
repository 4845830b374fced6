begin;
select plan(2);

select pgflow.create_flow('dims');
select pgflow.add_step('dims', 'a');
select throws_ok(
  $$ select pgflow.add_step('dims', 'b', deps => '{{a}}') $$,
  'PF009', 'deps must be a one-dimensional array, got 2 dimensions',
  'add_step refuses a two-dimensional deps array with PF009'
);
select throws_ok(
  $$ select pgflow.claim_tasks(gen_random_uuid(), 10, '{{dims}}') $$,
  'PF009', null, 'so does claim_tasks for flow_slugs'
);

select * from finish();
rollback;
