-- A 10 MB slug must not produce a 20 MB error message (and log line).
begin;
select plan(5);

create function pgflow_tests.message_length(statement text)
returns int
language plpgsql
as $$
begin
  execute statement;
  return null;
exception when others then
  return length(sqlerrm);
end;
$$;

select pgflow.create_flow('bounded');
select cmp_ok(
  pgflow_tests.message_length($$ select pgflow.create_flow(repeat('x', 10000000) || '!') $$),
  '<', 1000, 'create_flow with an invalid 10 MB slug'
);
select cmp_ok(
  pgflow_tests.message_length($$ select pgflow.add_step(repeat('x', 10000000), 'a') $$),
  '<', 1000, 'add_step to an unknown 10 MB flow slug'
);
select cmp_ok(
  pgflow_tests.message_length($$ select pgflow.add_step('bounded', 'a', step_type => repeat('x', 10000000)) $$),
  '<', 1000, 'add_step with a 10 MB step_type'
);
select cmp_ok(
  pgflow_tests.message_length($$ select pgflow.start_flow(repeat('x', 10000000)) $$),
  '<', 1000, 'start_flow of an unknown 10 MB flow slug'
);
select throws_like(
  $$ select pgflow.start_flow(repeat('x', 10000000)) $$,
  'flow ''xxxx%''... (10000000 characters) does not exist',
  'the message shows the start of the value and its length'
);

select * from finish();
rollback;
