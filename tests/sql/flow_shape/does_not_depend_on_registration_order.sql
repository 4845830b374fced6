begin;
select plan(2);

-- the same shape registered in two different (valid) orders.
select pgflow.create_flow('order_flow');
select pgflow.add_step('order_flow', 'left');
select pgflow.add_step('order_flow', 'right');
select pgflow.add_step('order_flow', 'join', deps => array['left', 'right']);
create temp table first_registration as
select pgflow.flow_shape('order_flow') as shape, pgflow.flow_shape_hash('order_flow') as hash;

select set_config('pgflow.allow_drop_flow', 'on', true);
select pgflow.drop_flow('order_flow');

select pgflow.create_flow('order_flow');
select pgflow.add_step('order_flow', 'right');
select pgflow.add_step('order_flow', 'left');
select pgflow.add_step('order_flow', 'join', deps => array['right', 'left']);

select is(pgflow.flow_shape('order_flow'), (select shape from first_registration), 'same shape whatever the add order');
select is(pgflow.flow_shape_hash('order_flow'), (select hash from first_registration), 'same hash whatever the add order');

select * from finish();
rollback;
