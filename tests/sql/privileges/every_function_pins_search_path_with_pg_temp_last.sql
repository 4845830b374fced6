begin;
select plan(4);

-- pg_temp must be named last: left out, or with search_path = '', PostgreSQL
-- still resolves type names in pg_temp first, where a caller's temporary
-- domain can run code as the function's owner.
select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
   from pg_proc as p
   where p.pronamespace = 'pgflow'::regnamespace
     and not (coalesce(p.proconfig, '{}') @> array['search_path=pg_catalog, pg_temp'])),
  null,
  'every function in pgflow, internal helpers included, pins search_path = pg_catalog, pg_temp'
);
select cmp_ok(
  (select count(*) from pg_proc as p where p.pronamespace = 'pgflow'::regnamespace),
  '>=', 40::bigint,
  'and the check above saw every function of the schema'
);
select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
   from pg_proc as p
   where p.pronamespace = 'pgflow'::regnamespace
     and (has_function_privilege('pgflow_worker', p.oid, 'execute')
          or has_function_privilege('pgflow_client', p.oid, 'execute')
          or has_function_privilege('pgflow_operator', p.oid, 'execute'))
     and not p.prosecdef),
  null,
  'every function granted to the roles is security definer'
);
select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
   from pg_proc as p
   where p.pronamespace = 'pgflow'::regnamespace
     and exists (
       select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as a
       where a.grantee = 0 and a.privilege_type = 'EXECUTE'
     )),
  null,
  'no pgflow function is executable by public'
);

select * from finish();
rollback;
