begin;
select plan(2);

-- the same shape registered in two different (valid) orders.
select pgflow.create_flow('order_flow');
select pgflow.add_step('order_flow', 'left');
select pgflow.add_step('order_flow', 'right');
select pgflow.add_step('order_flow', 'join', deps => array['left', 'right']);
select pgflow.flow_shape('order_flow') as first_shape, pgflow.flow_shape_hash('order_flow') as first_hash \gset

set local pgflow.allow_drop_flow = 'on';
select pgflow.drop_flow('order_flow');

select pgflow.create_flow('order_flow');
select pgflow.add_step('order_flow', 'right');
select pgflow.add_step('order_flow', 'left');
select pgflow.add_step('order_flow', 'join', deps => array['right', 'left']);

select is(pgflow.flow_shape('order_flow'), :'first_shape'::jsonb, 'same shape whatever the add order');
select is(pgflow.flow_shape_hash('order_flow'), :'first_hash', 'same hash whatever the add order');

select * from finish();
rollback;
