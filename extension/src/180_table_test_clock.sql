-- The test clock: at most one row. When it exists, pgflow.now() returns its
-- time instead of the server's. Only the owner writes it (see
-- pgflow.set_test_clock and 900_privileges.sql), so no worker or client can
-- move pgflow's clock to expire another worker's lease or backdate a run.
create table pgflow.test_clock (
    singleton boolean primary key default true,
    fake_now timestamptz not null,
    constraint only_one_row check (singleton)
);

comment on table pgflow.test_clock is
'When it holds a row, pgflow.now() returns fake_now (tests only; written by the owner).';
