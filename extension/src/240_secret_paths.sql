-- A declaration of secret paths (create_flow's secret_input, add_step's
-- secret_output), checked and normalised: sorted bytewise without duplicates,
-- null when empty, so equal declarations compare and hash equal. A path is
-- '$' (the whole value) or dot-separated object keys ('auth.api_key'); an
-- array met on the way applies the rest of the path to each element.
create function pgflow.secret_paths(flow_slug text, step_slug text, name text, paths text[])
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_bad text;
begin
    perform pgflow.check_list(secret_paths.name, secret_paths.paths);
    if secret_paths.paths is null or cardinality(secret_paths.paths) = 0 then
        return null;
    end if;
    select p.path into v_bad
    from unnest(secret_paths.paths) as p (path)
    where p.path is null
        or pg_catalog.length(p.path) not between 1 and 256
        or (p.path <> '$' and (
            '' = any(pg_catalog.string_to_array(p.path, '.')) or p.path ~ '(^|\.)\$(\.|$)'
        ))
    limit 1;
    if found then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s of flow %s%s: %s is not a secret path',
                secret_paths.name, pgflow.clip(secret_paths.flow_slug),
                case when secret_paths.step_slug is null then ''
                    else pg_catalog.format(', step %s', pgflow.clip(secret_paths.step_slug)) end,
                coalesce(pg_catalog.quote_literal(pgflow.clip_text(v_bad, 80)), 'null')
            ),
            hint = 'a path is ''$'' (the whole value) or dot-separated keys such as ''auth.api_key''';
    end if;
    return array(
        select distinct p.path collate "C" from unnest(secret_paths.paths) as p (path)
        order by p.path collate "C"
    );
end;
$$;
