-- The canonical shape of a flow: what the Python compiler hashes too. Steps and
-- deps are sorted bytewise so the registration order does not matter, and step
-- options appear as declared (null = inherit) so the shape is what was written.
create function pgflow.flow_shape(flow_slug text)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.jsonb_build_object(
        'flow_slug', f.flow_slug,
        'max_attempts', f.max_attempts,
        'base_delay', f.base_delay,
        'timeout', f.timeout,
        'steps', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'step_slug', s.step_slug,
                'step_type', s.step_type,
                'deps', coalesce((
                    select pg_catalog.jsonb_agg(d.dep_slug order by d.dep_slug collate "C")
                    from pgflow.deps as d
                    where d.flow_slug = s.flow_slug and d.step_slug = s.step_slug
                ), '[]'::jsonb),
                'max_attempts', s.options -> 'max_attempts',
                'base_delay', s.options -> 'base_delay',
                'timeout', s.options -> 'timeout',
                'delay_seconds', s.delay_seconds,
                'run_if', s.run_if,
                'run_unless', s.run_unless,
                'when_unmet', s.when_unmet,
                'when_exhausted', s.when_exhausted
            ) || case
                -- only when set, so a shape without it hashes as before the option existed
                when s.execution_timeout is not null
                    then pg_catalog.jsonb_build_object('execution_timeout', s.execution_timeout)
                else '{}'::jsonb
            end || case
                when s.secret_output is not null
                    then pg_catalog.jsonb_build_object('secret_output', s.secret_output)
                else '{}'::jsonb
            end order by s.step_slug collate "C")
            from pgflow.steps as s
            where s.flow_slug = f.flow_slug
        ), '[]'::jsonb)
    ) || case
        -- only when declared, so a flow without secrets hashes as before
        when f.secret_input is not null then pg_catalog.jsonb_build_object('secret_input', f.secret_input)
        else '{}'::jsonb
    end
    from pgflow.flows as f
    where f.flow_slug = flow_shape.flow_slug
$$;
