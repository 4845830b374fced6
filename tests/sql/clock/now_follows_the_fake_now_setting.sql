begin;
select plan(3);

select set_config('pgflow.fake_now', '2030-01-01 00:00:00+00', true);
select is(pgflow.now(), '2030-01-01 00:00:00+00'::timestamptz, 'pgflow.now() returns pgflow.fake_now when set');
select set_config('pgflow.fake_now', '2031-06-15 12:30:00+02', true);
select is(pgflow.now(), '2031-06-15 10:30:00+00'::timestamptz, 'and follows it when it moves');
select set_config('pgflow.fake_now', '', true);
select is(pgflow.now(), now(), 'an empty setting means the real transaction time');

select * from finish();
rollback;
