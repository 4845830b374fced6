-- Hand-written part of the upgrade 0.2.0 -> 0.3.0 that runs BEFORE the build
-- creates the missing tables of extension/src (scripts/build_sql.py), so that
-- a renamed table is not created empty beside its old self. Idempotent, like
-- every upgrade part: the plain script runs it on every application.
--
-- issue 14, an output is stored once: pgflow.step_tasks.output is the one
-- place; pgflow.runs and pgflow.step_states become views (created by the build
-- after the hand-written parts) over the tables renamed here, run_rows and
-- step_state_rows, which lose their output column. Nothing is lost: a
-- completed step's output is its task's output (a map step's, the array of
-- its tasks' outputs in element order, [] without tasks), and a completed
-- run's is the object of its completed leaf steps' outputs; skipped and
-- failed steps and unfinished runs had none. The bytes of the dropped column
-- stay in the old rows until they are rewritten (VACUUM FULL reclaims them).
-- The old names of the constraints and indexes follow the tables, so fresh
-- and upgraded installs match. The functions whose parameters or result had
-- the old tables' row types now have the renamed tables' ones: they are
-- dropped with the rename (the build creates them again, returning the
-- views' rows), which also covers plain installs of an earlier 0.3.0.
do $$
declare
    v_rename record;
    v_function regprocedure;
    v_renamed boolean := false;
begin
    if (
        select c.relkind from pg_catalog.pg_class as c
        where c.oid = pg_catalog.to_regclass('pgflow.runs')
    ) = 'r' then
        alter table pgflow.runs rename to run_rows;
        alter table pgflow.run_rows drop column output;
        v_renamed := true;
    end if;
    if (
        select c.relkind from pg_catalog.pg_class as c
        where c.oid = pg_catalog.to_regclass('pgflow.step_states')
    ) = 'r' then
        alter table pgflow.step_states rename to step_state_rows;
        alter table pgflow.step_state_rows drop column output;
        v_renamed := true;
    end if;
    if v_renamed then
        for v_function in
            select p.oid::regprocedure
            from pg_catalog.pg_proc as p
            where p.pronamespace = 'pgflow'::regnamespace
                and array[p.prorettype] || p.proargtypes::oid[] || coalesce(p.proallargtypes, '{}')
                && array['pgflow.run_rows'::regtype, 'pgflow.step_state_rows'::regtype]::oid[]
        loop
            execute pg_catalog.format('drop function %s', v_function);
        end loop;
    end if;
    for v_rename in
        select k.conrelid::regclass as tbl, n.old_name, n.new_name
        from (values
            ('runs_pkey', 'run_rows_pkey'),
            ('runs_flow_slug_fkey', 'run_rows_flow_slug_fkey'),
            ('step_states_pkey', 'step_state_rows_pkey'),
            ('step_states_run_id_fkey', 'step_state_rows_run_id_fkey'),
            ('step_states_flow_slug_step_slug_fkey', 'step_state_rows_flow_slug_step_slug_fkey')
        ) as n (old_name, new_name)
        join pg_catalog.pg_constraint as k
            on k.conname = n.old_name and k.connamespace = 'pgflow'::regnamespace
    loop
        execute pg_catalog.format(
            'alter table %s rename constraint %I to %I', v_rename.tbl, v_rename.old_name, v_rename.new_name
        );
    end loop;
end;
$$;
alter index if exists pgflow.runs_flow_slug_idx rename to run_rows_flow_slug_idx;
alter index if exists pgflow.runs_finished_at_idx rename to run_rows_finished_at_idx;
