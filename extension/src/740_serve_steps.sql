-- A worker declares the steps of a flow it has handlers for, after checking
-- that the flow is deployed with the shape its code has (shape_hash; raises
-- PF008 otherwise, as verify_flow does). From then on claim_tasks gives it
-- only tasks of the steps it serves (handler-less steps stay queued for
-- workers in other languages), and nothing of the flow once it has been
-- dropped and registered again. Calling it again replaces the declaration for
-- that flow. Returns the flow registration served (flows.flow_id).
create function pgflow.serve_steps(
    worker_id uuid, flow_slug text, shape_hash text, step_slugs text[]
)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_flow_id bigint;
begin
    perform pgflow.check_list('step_slugs', serve_steps.step_slugs);
    perform 1 from pgflow.workers as w where w.worker_id = serve_steps.worker_id;
    if not found then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'worker %s is not registered (call register_worker first)', serve_steps.worker_id
            );
    end if;
    -- key share: a concurrent drop_flow waits, so the registration read is current
    select f.flow_id into v_flow_id
    from pgflow.flows as f where f.flow_slug = serve_steps.flow_slug
    for key share;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(serve_steps.flow_slug));
    end if;
    if pgflow.flow_shape_hash(serve_steps.flow_slug) is distinct from serve_steps.shape_hash then
        raise exception using
            errcode = 'PF008',
            message = pg_catalog.format(
                'flow %L in the database does not match the definition this worker serves '
                || '(database shape %s, worker %s)',
                serve_steps.flow_slug, pg_catalog.left(pgflow.flow_shape_hash(serve_steps.flow_slug), 12),
                pgflow.clip(pg_catalog.left(coalesce(serve_steps.shape_hash, 'null'), 12))
            ),
            hint = 'verify_flow with the definition names the differences';
    end if;
    perform pgflow.check_steps_exist(serve_steps.flow_slug, serve_steps.step_slugs);
    delete from pgflow.worker_steps as ws
    where ws.worker_id = serve_steps.worker_id and ws.flow_slug = serve_steps.flow_slug;
    insert into pgflow.worker_steps (worker_id, flow_slug, step_slug, flow_id)
    select distinct serve_steps.worker_id, serve_steps.flow_slug, s.slug, v_flow_id
    from unnest(coalesce(serve_steps.step_slugs, '{}')) as s (slug);
    return v_flow_id;
end;
$$;
