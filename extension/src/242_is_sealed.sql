-- True when every value a secret path (split into keys) reaches in "value"
-- is sealed: a codec envelope (an object with the vocabulary's sealed_marker
-- key), JSON null or absent. Arrays on the way, and an array at the end,
-- apply the path to each element, which is how a secret array stays an
-- array the database can count and map over.
create function pgflow.is_sealed(value jsonb, keys text[])
returns boolean
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_type text := pg_catalog.jsonb_typeof(is_sealed.value);
begin
    if v_type is null or v_type = 'null' then
        return true;
    end if;
    if v_type = 'object' and is_sealed.value ? (pgflow.vocabulary() ->> 'sealed_marker') then
        return true;
    end if;
    if v_type = 'array' then
        return not exists (
            select 1 from pg_catalog.jsonb_array_elements(is_sealed.value) as e (element)
            where not pgflow.is_sealed(e.element, is_sealed.keys)
        );
    end if;
    if coalesce(cardinality(is_sealed.keys), 0) = 0 then
        return false;
    end if;
    if v_type = 'object' then
        return pgflow.is_sealed(is_sealed.value -> is_sealed.keys[1], is_sealed.keys[2:]);
    end if;
    -- a scalar has no keys: the path reaches nothing
    return true;
end;
$$;
