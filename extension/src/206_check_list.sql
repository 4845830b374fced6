-- A list argument must be one-dimensional: '{{a}}' is a valid text[] but not
-- a list, and some array functions refuse it with a less helpful error.
create function pgflow.check_list(name text, list anyarray)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if pg_catalog.array_ndims(check_list.list) > 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be a one-dimensional array, got %s dimensions',
                check_list.name, pg_catalog.array_ndims(check_list.list)
            );
    end if;
end;
$$;
