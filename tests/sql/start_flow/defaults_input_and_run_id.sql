begin;
select plan(3);

select pgflow.create_flow('defaults_run');
select pgflow.add_step('defaults_run', 'only');

select is(
  (select r.input from pgflow.start_flow('defaults_run') as r),
  '{}'::jsonb, 'input defaults to an empty object'
);
select isnt(
  (select r.run_id from pgflow.start_flow('defaults_run') as r),
  null, 'a run id is generated'
);
select is(
  (select count(distinct run_id)::int from pgflow.runs where flow_slug = 'defaults_run'),
  2, 'each call without run_id creates a new run'
);

select * from finish();
rollback;
