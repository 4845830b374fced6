begin;
select plan(2);

select pgflow.create_flow('shape_sort', max_attempts => 5, base_delay => 2, timeout => 30);
select pgflow.add_step('shape_sort', 'a', timeout => 7);
select pgflow.add_step('shape_sort', 'B');
select pgflow.add_step('shape_sort', '_x', deps => array['a', 'B'], max_attempts => 2, base_delay => 0,
                       run_if => '{"run": {"k": "v"}}', run_unless => '{"B": {"skip": true}}',
                       when_unmet => 'skip-cascade', when_exhausted => 'skip');
select pgflow.add_step('shape_sort', 'm', deps => array['_x'], step_type => 'map', delay_seconds => 5);

-- steps by bytewise slug order ('B' < '_x' < 'a' < 'm'), deps sorted bytewise,
-- options as declared (null = inherited), never the effective value.
select is(
  pgflow.flow_shape('shape_sort'),
  '{"flow_slug": "shape_sort", "max_attempts": 5, "base_delay": 2, "timeout": 30, "steps": [
    {"step_slug": "B", "step_type": "single", "deps": [], "max_attempts": null, "base_delay": null,
     "timeout": null, "delay_seconds": 0, "run_if": null, "run_unless": null,
     "when_unmet": "skip", "when_exhausted": "fail"},
    {"step_slug": "_x", "step_type": "single", "deps": ["B", "a"], "max_attempts": 2, "base_delay": 0,
     "timeout": null, "delay_seconds": 0, "run_if": {"run": {"k": "v"}}, "run_unless": {"B": {"skip": true}},
     "when_unmet": "skip-cascade", "when_exhausted": "skip"},
    {"step_slug": "a", "step_type": "single", "deps": [], "max_attempts": null, "base_delay": null,
     "timeout": 7, "delay_seconds": 0, "run_if": null, "run_unless": null,
     "when_unmet": "skip", "when_exhausted": "fail"},
    {"step_slug": "m", "step_type": "map", "deps": ["_x"], "max_attempts": null, "base_delay": null,
     "timeout": null, "delay_seconds": 5, "run_if": null, "run_unless": null,
     "when_unmet": "skip", "when_exhausted": "fail"}
  ]}'::jsonb,
  'steps and deps sorted bytewise, options as declared'
);
select is(
  jsonb_path_query_array(pgflow.flow_shape('shape_sort'), '$.steps[*].step_slug'),
  '["B", "_x", "a", "m"]'::jsonb,
  'the array order is bytewise whatever the database collation'
);

select * from finish();
rollback;
