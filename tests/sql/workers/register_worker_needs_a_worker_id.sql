begin;
select plan(1);

select throws_ok(
  $$ select pgflow.register_worker(null) $$,
  'PF009', 'register_worker needs a worker_id',
  'a null worker_id is refused with PF009'
);

select * from finish();
rollback;
