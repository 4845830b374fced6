-- Registers a flow. Calling it again with the same options is a no-op, so a
-- migration can be applied twice; different options are a shape mismatch,
-- because flows are immutable and a new shape needs a new slug.
create function pgflow.create_flow(
    flow_slug text,
    max_attempts integer default 3,
    base_delay integer default 1,
    timeout integer default 60,
    secret_input text[] default null,
    max_output_bytes integer default null
)
returns pgflow.flows
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_flow pgflow.flows;
    -- an explicit null means the default too
    v_defaults jsonb := pgflow.vocabulary() -> 'flow_defaults';
    v_max_attempts integer := coalesce(create_flow.max_attempts, (v_defaults ->> 'max_attempts')::integer);
    v_base_delay integer := coalesce(create_flow.base_delay, (v_defaults ->> 'base_delay')::integer);
    v_timeout integer := coalesce(create_flow.timeout, (v_defaults ->> 'timeout')::integer);
    v_secret_input text[] := pgflow.secret_paths(create_flow.flow_slug, null, 'secret_input', create_flow.secret_input);
    v_diff text[];
begin
    perform pgflow.check_slug(create_flow.flow_slug, 'flow', create_flow.flow_slug, null);
    perform pgflow.check_option(create_flow.flow_slug, null, 'max_attempts', v_max_attempts, 1);
    perform pgflow.check_option(create_flow.flow_slug, null, 'base_delay', v_base_delay, 0);
    perform pgflow.check_option(create_flow.flow_slug, null, 'timeout', v_timeout, 1);
    perform pgflow.check_option(create_flow.flow_slug, null, 'max_output_bytes', create_flow.max_output_bytes, 1);

    insert into pgflow.flows as f (
        flow_slug, max_attempts, base_delay, timeout, options, secret_input, max_output_bytes
    )
    values (
        create_flow.flow_slug, v_max_attempts, v_base_delay, v_timeout,
        pg_catalog.jsonb_build_object(
            'max_attempts', v_max_attempts, 'base_delay', v_base_delay, 'timeout', v_timeout
        -- secret_input only when declared: flows without secrets keep their options and shape
        ) || case
            when v_secret_input is not null then pg_catalog.jsonb_build_object('secret_input', v_secret_input)
            else '{}'::jsonb
        end,
        v_secret_input, create_flow.max_output_bytes
    )
    on conflict on constraint flows_pkey do nothing
    returning f.* into v_flow;
    if found then
        return v_flow;
    end if;

    select f.* into v_flow from pgflow.flows as f where f.flow_slug = create_flow.flow_slug;
    v_diff := array_remove(array[
        pgflow.describe_difference('max_attempts', to_jsonb(v_flow.max_attempts), to_jsonb(v_max_attempts)),
        pgflow.describe_difference('base_delay', to_jsonb(v_flow.base_delay), to_jsonb(v_base_delay)),
        pgflow.describe_difference('timeout', to_jsonb(v_flow.timeout), to_jsonb(v_timeout)),
        pgflow.describe_difference('secret_input', to_jsonb(v_flow.secret_input), to_jsonb(v_secret_input))
    ], null);
    if cardinality(v_diff) > 0 then
        raise exception using
            errcode = 'PF008',
            message = pg_catalog.format(
                'flow %L already exists with different options: %s',
                create_flow.flow_slug, pg_catalog.array_to_string(v_diff, '; ')
            ),
            hint = 'flows are immutable: register the new shape under a new flow_slug';
    end if;
    -- operational, not shape: each registration sets what it declares
    if v_flow.max_output_bytes is distinct from create_flow.max_output_bytes then
        update pgflow.flows as f set max_output_bytes = create_flow.max_output_bytes
        where f.flow_slug = create_flow.flow_slug
        returning f.* into v_flow;
    end if;
    return v_flow;
end;
$$;
