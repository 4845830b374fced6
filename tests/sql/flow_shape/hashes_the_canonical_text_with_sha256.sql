begin;
select plan(4);

select pgflow.create_flow('analyze');
select pgflow.add_step('analyze', 'a');

select is(
  pgflow.flow_shape_hash('analyze'),
  encode(sha256(convert_to(pgflow.flow_shape('analyze')::text, 'UTF8')), 'hex'),
  'the hash is sha256 hex of the jsonb text of flow_shape'
);
-- fixed vector: sha256 of the documented example's canonical text, computed
-- outside postgres. the python compiler must reproduce the same value.
select is(
  pgflow.flow_shape_hash('analyze'),
  '5fcc060424bf575f05beb77fff77f9453857220bc9236711485a4a5f314ab542',
  'the documented example hashes to a fixed value'
);

select pgflow.create_flow('shape_sort', max_attempts => 5, base_delay => 2, timeout => 30);
select pgflow.add_step('shape_sort', 'a', timeout => 7);
select pgflow.add_step('shape_sort', 'B');
select pgflow.add_step('shape_sort', '_x', deps => array['a', 'B'], max_attempts => 2, base_delay => 0,
                       run_if => '{"run": {"k": "v"}}', run_unless => '{"B": {"skip": true}}',
                       when_unmet => 'skip-cascade', when_exhausted => 'skip');
select pgflow.add_step('shape_sort', 'm', deps => array['_x'], step_type => 'map', delay_seconds => 5);

select is(
  pgflow.flow_shape_hash('shape_sort'),
  'b558634988f277f5792da61087420320b81d2f78a9712427eaae5333b6a1f774',
  'a flow with every kind of option hashes to a fixed value'
);
select is(
  pgflow.flow_shape_hash('shape_sort'),
  pgflow.flow_shape_hash('shape_sort'),
  'the hash is stable across calls'
);

select * from finish();
rollback;
