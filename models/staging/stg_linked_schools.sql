-- stg_linked_schools: school locations of the linked records, checked. Not tied to a school
-- year. A location in several files is taken from the first file (by name) and line.

with raw as (
    select * from raw_linked_schools
),

-- Which contract columns each file has (input_files.column_map): a rejected row's raw text is
-- made of them, here (stg_linked_enrolments does the same).
files as (
    select file_name, arg_max(column_map, seen_at) as column_map
    from input_files
    where status = 'loaded' and kind = 'linked_schools'
    group by file_name
),

checked as (
    select
        raw.*,
        files.column_map,
        upper(trim(school_location_id)) as location_id,
        upper(trim(sector)) as sector_clean,
        coalesce(mg.successor_code, upper(trim(municipality_code))) as municipality
    from raw
    left join files using (file_name)
    left join ref_municipality_mergers as mg on mg.old_code = upper(trim(raw.municipality_code))
),

problems as (
    select
        checked.*,
        case
            when not regexp_matches(coalesce(location_id, ''), '^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$') then 'invalid_location'
            when coalesce(trim(school_name), '') = '' then 'missing_school_name'
            when sector_clean not in ('BO', 'SBO', 'SO', 'VSO', 'VO', 'PRO', 'MBO') or sector_clean is null then 'unknown_sector'
            when municipality not in (select code from ref_municipalities) or municipality is null then 'unknown_municipality'
            when latitude is not null and try_cast(latitude as double) is null then 'invalid_coordinate'
            when longitude is not null and try_cast(longitude as double) is null then 'invalid_coordinate'
        end as problem
    from checked
),

described as (
    select
        problems.*,
        -- Among usable rows only: a rejected first row does not hide a good later one.
        coalesce(problem, case when row_number() over (partition by problem is null, location_id order by file_name, line) > 1
                               then 'duplicate_row' end) as reason_code
    from problems
)

select
    file_name,
    line,
    location_id as school_location_id,
    trim(school_name) as school_name,
    sector_clean as sector,
    municipality as municipality_code,
    try_cast(latitude as double) as latitude,
    try_cast(longitude as double) as longitude,
    nullif(trim(swv_code), '') as swv_code,
    source,
    reason_code,
    case reason_code
        when 'invalid_location' then 'school_location_id'
        when 'missing_school_name' then 'school_name'
        when 'unknown_sector' then 'sector'
        when 'unknown_municipality' then 'municipality_code'
        when 'invalid_coordinate' then 'latitude, longitude'
        when 'duplicate_row' then 'school_location_id'
    end as column_name,
    case reason_code
        when 'invalid_location' then format('school_location_id {} is not BRIN (4) plus 2 digits', coalesce(school_location_id, '(empty)'))
        when 'missing_school_name' then 'school_name is empty'
        when 'unknown_sector' then format('sector {} is not one of BO, SBO, SO, VSO, VO, PRO, MBO', coalesce(sector, '(empty)'))
        when 'unknown_municipality' then format('municipality_code {} is not a CBS municipality code like GM0503', coalesce(municipality_code, '(empty)'))
        when 'invalid_coordinate' then format('latitude/longitude {}/{} are not numbers', latitude, longitude)
        when 'duplicate_row' then format('school location {} is listed more than once: the first row is used', location_id)
    end as reason,
    -- the row as read (its contract columns joined by ';'); rows copied by older versions have it
    coalesce(raw_text, contract_text(
        column_map,
        ['school_location_id', 'school_name', 'sector', 'municipality_code', 'latitude', 'longitude', 'swv_code'],
        [school_location_id, school_name, sector, municipality_code, latitude, longitude, swv_code]
    )) as raw_text
from described
