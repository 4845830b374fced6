begin;
select plan(3);

select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
   from pg_proc as p
   where p.pronamespace = 'pgflow'::regnamespace
     and p.prosecdef
     and not exists (select 1 from unnest(p.proconfig) as c where c like 'search_path=%')),
  null,
  'every security definer function in pgflow sets search_path'
);
select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
   from pg_proc as p
   where p.pronamespace = 'pgflow'::regnamespace
     and (has_function_privilege('pgflow_worker', p.oid, 'execute')
          or has_function_privilege('pgflow_client', p.oid, 'execute'))
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
