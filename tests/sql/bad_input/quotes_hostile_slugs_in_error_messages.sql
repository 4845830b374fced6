begin;
select plan(4);

select pgflow_tests.throws_naming(
  $q$ select pgflow.create_flow($s$x'; drop table pgflow.flows; --$s$) $q$,
  'PF001', array[$s$drop table pgflow.flows$s$], 'a hostile flow slug is rejected and shown'
);
select pgflow.create_flow('victim');
select pgflow_tests.throws_naming(
  $q$ select pgflow.add_step('victim', $s$a%s%L"b'$s$) $q$,
  'PF001', array['victim', '%s%L'], 'format specifiers in a slug are shown, not interpreted'
);
select pgflow_tests.throws_naming(
  $q$ select pgflow.add_step('victim', 'ok_step', deps => array[$s$ghost'); --$s$]) $q$,
  'PF001', array['victim', 'ok_step', 'ghost'], 'a hostile dependency name is rejected as a slug and shown'
);
select has_table('pgflow', 'flows', 'the flows table is still there');

select * from finish();
rollback;
