begin;
select plan(1);

select throws_ok(
  $$ select pgflow.complete_tasks(
       '{{f0000000-0000-4000-8000-000000000006}}'::uuid[], '{{only}}'::text[], '{{1}}'::jsonb[]) $$,
  'PF009', null, 'two-dimensional arrays are refused with PF009'
);

select * from finish();
rollback;
