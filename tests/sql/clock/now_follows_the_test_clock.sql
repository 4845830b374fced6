begin;
select plan(4);

select pgflow.set_test_clock('2030-01-01 00:00:00+00');
select is(pgflow.now(), '2030-01-01 00:00:00+00'::timestamptz, 'pgflow.now() returns the test clock when it is on');
select pgflow.set_test_clock('2031-06-15 12:30:00+02');
select is(pgflow.now(), '2031-06-15 10:30:00+00'::timestamptz, 'and follows it when it moves');
select pgflow.set_test_clock(null);
select is(pgflow.now(), now(), 'switched off, it is the real transaction time');
select is((select count(*) from pgflow.test_clock), 0::bigint, 'switching it off leaves no row');

select * from finish();
rollback;
