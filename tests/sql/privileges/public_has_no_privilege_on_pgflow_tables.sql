begin;
select plan(2);

select is(
  (select array_agg(c.relname::text order by c.relname)
   from pg_class as c
   where c.relnamespace = 'pgflow'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'S')
     and exists (
       select 1 from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) as a
       where a.grantee = 0
     )),
  null,
  'no table, view or sequence in pgflow grants anything to public'
);
select ok(
  not has_schema_privilege('public', 'pgflow', 'create'),
  'public cannot create objects in schema pgflow'
);

select * from finish();
rollback;
