-- Skips one step (its dependents still run, without its key in their input);
-- returns the dependents that became ready.
create function pgflow.skip_step(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    update pgflow.step_state_rows as ss
    set status = 'skipped',
        skipped_at = pgflow.now(),
        skip_reason = skip_step.reason,
        error_message = skip_step.error_message
    where ss.run_id = skip_step.run_id
        and ss.step_slug = skip_step.step_slug
        and ss.status in ('created', 'started');
    return pgflow.release_dependents(skip_step.run_id, skip_step.flow_slug, skip_step.step_slug);
end;
$$;
