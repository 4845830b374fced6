begin;
select plan(4);

create role pgflow_tests_clock_worker nologin in role pgflow_worker;
create role pgflow_tests_clock_client nologin in role pgflow_client;

set local role pgflow_tests_clock_worker;
select throws_ok($$ select pgflow.set_test_clock('2999-01-01') $$, '42501', null, 'a worker cannot call set_test_clock');
select throws_ok(
  $$ insert into pgflow.test_clock (fake_now) values ('2999-01-01') $$, '42501', null,
  'a worker cannot write the test clock'
);
reset role;
set local role pgflow_tests_clock_client;
select throws_ok($$ select pgflow.set_test_clock('1970-01-01') $$, '42501', null, 'a client cannot call set_test_clock');
select throws_ok(
  $$ insert into pgflow.test_clock (fake_now) values ('1970-01-01') $$, '42501', null,
  'a client cannot write the test clock'
);

select * from finish();
rollback;
