-- The clock used to follow a setting any session could SET; it no longer reads one.
begin;
select plan(3);

-- what "set pgflow.fake_now = ..." does, for the session and for the transaction
select set_config('pgflow.fake_now', '2999-01-01 00:00:00+00', false);
select is(pgflow.now(), now(), 'a session setting pgflow.fake_now changes nothing');
select set_config('pgflow.fake_now', '1970-01-01 00:00:00+00', true);
select is(pgflow.now(), now(), 'nor does a transaction-local one');

select pgflow.create_flow('clock_setting');
select pgflow.add_step('clock_setting', 'only');
select is(
  (select started_at from pgflow.start_flow('clock_setting')),
  now(), 'a run started under the setting has the server''s time'
);

select * from finish();
rollback;
