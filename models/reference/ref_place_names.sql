-- ref_place_names: display name for every code a flow can carry: the municipalities (the
-- region config's display name for members, e.g. Den Haag, else the CBS name) plus
-- ONBEKEND (home municipality unknown) and BUITENLAND (lives abroad).
select m.code, coalesce(r.display_name, m.name) as name
from ref_municipalities as m
left join ref_region_members as r using (code)
union all select 'ONBEKEND', 'Onbekend'
union all select 'BUITENLAND', 'Buitenland'
order by code
