-- ref_place_names: display name for every code a flow can carry: the municipalities plus
-- ONBEKEND (home municipality unknown) and BUITENLAND (lives abroad).
select code, name from ref_municipalities
union all select 'ONBEKEND', 'Onbekend'
union all select 'BUITENLAND', 'Buitenland'
order by code
