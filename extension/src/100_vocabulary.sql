-- The one source of pgflow's valid values and defaults: the slug rule, step
-- types, the skip/fail policies and the defaults of create_flow and add_step.
-- Table constraints and the definition functions read it here; the Python
-- package mirrors it and a test checks that the two agree. Read-only, so both
-- roles may call it.
create function pgflow.vocabulary()
returns jsonb
language sql
immutable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select '{
        "slug_pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "slug_max_length": 128,
        "reserved_step_slugs": ["run"],
        "step_types": ["single", "map"],
        "policies": ["fail", "skip", "skip-cascade"],
        "max_output_bytes": 16777216,
        "sealed_marker": "$pgflow",
        "flow_defaults": {"max_attempts": 3, "base_delay": 1, "timeout": 60},
        "step_defaults": {
            "step_type": "single", "delay_seconds": 0, "when_unmet": "skip", "when_exhausted": "fail"
        }
    }'::jsonb
$$;
