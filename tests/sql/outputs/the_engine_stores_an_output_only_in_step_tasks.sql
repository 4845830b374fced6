begin;
select plan(3);

-- every base table of schema pgflow, searched for a value only a task's output holds
create function pg_temp.tables_holding(needle text)
returns text[]
language plpgsql
as $$
declare
  v_table regclass;
  v_found text[] := '{}';
  v_hit boolean;
begin
  for v_table in
    select c.oid::regclass from pg_catalog.pg_class as c
    where c.relnamespace = 'pgflow'::regnamespace and c.relkind = 'r'
    order by 1
  loop
    execute pg_catalog.format('select exists (select 1 from %s as t where t::text like %L)',
      v_table, '%' || tables_holding.needle || '%') into v_hit;
    if v_hit then
      v_found := v_found || v_table::text;
    end if;
  end loop;
  return v_found;
end;
$$;

select pgflow.create_flow('out_once');
select pgflow.add_step('out_once', 'single');
select pgflow.add_step('out_once', 'each', step_type => 'map');
select pgflow.start_flow('out_once', '[1, 2]', '0a100000-0000-4000-8000-000000000009');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000009', 'single', '"needle-single-7f3a"');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000009', 'each', '"needle-each-7f3a"');

select is(pgflow_tests.run_status('0a100000-0000-4000-8000-000000000009'), 'completed', 'the run completed');
select is(pg_temp.tables_holding('needle-single-7f3a'), array['pgflow.step_tasks'],
  'a single step''s output is stored in pgflow.step_tasks and nowhere else');
select is(pg_temp.tables_holding('needle-each-7f3a'), array['pgflow.step_tasks'],
  'so are a map step''s outputs');

select * from finish();
rollback;
