-- sha256 of the shape's jsonb text: the identity of a flow's shape.
create function pgflow.flow_shape_hash(flow_slug text)
returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.encode(
        pg_catalog.sha256(pg_catalog.convert_to(pgflow.flow_shape(flow_shape_hash.flow_slug)::text, 'UTF8')),
        'hex'
    )
$$;
