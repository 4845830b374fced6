begin;
select plan(1);

select pgflow.create_flow('analyze');
select pgflow.add_step('analyze', 'a');

-- the example of docs/sql-reference.md, value for value.
select is(
  pgflow.flow_shape('analyze'),
  '{"flow_slug": "analyze", "max_attempts": 3, "base_delay": 1, "timeout": 60,
    "steps": [
      {"step_slug": "a", "step_type": "single", "deps": [],
       "max_attempts": null, "base_delay": null, "timeout": null, "delay_seconds": 0,
       "run_if": null, "run_unless": null, "when_unmet": "skip", "when_exhausted": "fail"}
    ]}'::jsonb,
  'flow_shape returns the documented canonical form'
);

select * from finish();
rollback;
