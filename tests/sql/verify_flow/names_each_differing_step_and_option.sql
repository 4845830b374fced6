begin;
select plan(1);

create function pgflow_tests.error_detail(statement text)
returns text
language plpgsql
as $$
declare
  v_detail text;
begin
  execute statement;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return sqlstate || ': ' || v_detail;
end;
$$;

select pgflow.create_flow('named_diff');
select pgflow.add_step('named_diff', 'a', timeout => 30);
select pgflow.add_step('named_diff', 'b', deps => array['a']);

-- the definition's shape: step a with another timeout, b gone, c new
select is(
  pgflow_tests.error_detail(format(
    $$ select pgflow.verify_flow('named_diff', 'x', array['a', 'c'], %L::jsonb) $$,
    jsonb_set(
      jsonb_set(pgflow.flow_shape('named_diff'), '{steps,0,timeout}', '10'),
      '{steps,1}',
      (pgflow.flow_shape('named_diff') -> 'steps' -> 1) || '{"step_slug": "c"}'
    )
  )),
  'PF008: step ''b'' only in the database; step ''c'' only in the definition; '
  || 'step ''a'' timeout: 30 in the database, 10 given',
  'given the definition''s shape, the detail names each differing step and option'
);

select * from finish();
rollback;
