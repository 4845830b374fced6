-- A step that will not run: its condition is unmet (when_unmet) or a task
-- used its last attempt (when_exhausted). The one place a policy is applied:
-- 'skip' skips the step (dependents run without it), 'skip-cascade' skips it
-- and everything downstream, 'fail' fails the step and the run. Returns how
-- many steps it finished and the dependents that became ready; ready is null
-- when the run failed. The caller holds the run row for update.
create function pgflow.give_up_step(
    run_id uuid,
    flow_slug text,
    step_slug text,
    policy text,
    reason text,
    error_message text,
    out finished integer,
    out ready text[]
)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if give_up_step.policy = 'skip' then
        finished := 1;
        ready := pgflow.skip_step(
            give_up_step.run_id, give_up_step.flow_slug, give_up_step.step_slug,
            give_up_step.reason, give_up_step.error_message
        );
    elsif give_up_step.policy = 'skip-cascade' then
        finished := pgflow.skip_cascade(
            give_up_step.run_id, give_up_step.flow_slug, give_up_step.step_slug,
            give_up_step.reason, give_up_step.error_message
        );
        ready := '{}';
    else
        perform pgflow.fail_run(give_up_step.run_id, give_up_step.step_slug, give_up_step.error_message);
        finished := 0;
        ready := null;
    end if;
end;
$$;
