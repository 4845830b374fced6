begin;
select plan(2);

-- the python layer (deploy, inspect) reads "not deployed" from this null.
select is(pgflow.flow_shape('missing_shape_flow'), null, 'flow_shape of an unknown flow is null');
select is(pgflow.flow_shape_hash('missing_shape_flow'), null, 'flow_shape_hash of an unknown flow is null');

select * from finish();
rollback;
