-- ref_school_locations: DUO school locations (Nov 2024) with sector, municipality and position.
-- The source lists some locations more than once (one entry per school type): one row each
-- here; a location is PRO only when all its entries are PRO.

with source as (
    select *
    from read_csv(getvariable('reference_dir') || '/school_locations.csv', header = true, all_varchar = true)
)

select
    upper(school_location_id) as school_location_id,
    min(brin) as brin,
    min(name) as name,
    string_agg(distinct duo_type, ' + ' order by duo_type) as duo_type,
    case
        when bool_and(sector = 'PRO') then 'PRO'
        when bool_or(sector in ('VO', 'PRO')) then 'VO'
        else min(sector)
    end as sector,
    min(municipality_code) as municipality_code,
    min(municipality_name) as municipality_name,
    min(postcode) as postcode,
    avg(cast(latitude as double)) as latitude,
    avg(cast(longitude as double)) as longitude,
    max(try_cast(pupils as integer)) as pupils
from source
group by upper(school_location_id)
order by school_location_id
