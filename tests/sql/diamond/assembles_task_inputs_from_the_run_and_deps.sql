begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{"url": "https://example.com"}', 'dddddddd-0000-4000-8000-000000000001');

create temp table roots as select * from pgflow_tests.claim('diamond');
select is(
  (select input from roots where step_slug = 'website'),
  '{"run": {"url": "https://example.com"}}'::jsonb,
  'a root step sees only the run input'
);
select pgflow.complete_task('dddddddd-0000-4000-8000-000000000001', 'website', '{"content": "<html>"}');

create temp table branches as select * from pgflow_tests.claim('diamond');
select is(
  (select input from branches where step_slug = 'sentiment'),
  '{"run": {"url": "https://example.com"}, "website": {"content": "<html>"}}'::jsonb,
  'a dependent sees the run input and its dependency output'
);
select pgflow.complete_task('dddddddd-0000-4000-8000-000000000001', 'sentiment', '{"score": 0.7}');
select pgflow.complete_task('dddddddd-0000-4000-8000-000000000001', 'summary', '"a page"');

create temp table joins as select * from pgflow_tests.claim('diamond');
select is(
  (select input from joins where step_slug = 'saveToDb'),
  '{"run": {"url": "https://example.com"}, "sentiment": {"score": 0.7}, "summary": "a page"}'::jsonb,
  'the join sees the run input and each direct dependency, nothing transitive'
);

select * from finish();
rollback;
