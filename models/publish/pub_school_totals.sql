-- pub_school_totals: per school location in the DUO files of the year, its published pupils
-- (the sum of its published catchment cells) and DUO's own location total (public, exact as
-- DUO publishes it; null when the location-totals file does not list the location).
-- `matches_duo` is checked: for a school in the region (its municipality's DUO file lists all
-- its pupils) the published cells add up to DUO's total. A school outside the region is in the
-- input only with the region's residents (the extract), so its cells are part of its total.

with cells as (
    select school_location_id, any_value(school_name) as school_name,
           any_value(school_municipality_code) as school_municipality_code,
           any_value(school_municipality_name) as school_municipality_name,
           bool_or(school_in_region) as school_in_region,
           string_agg(distinct sector, '/' order by sector) as sectors,
           sum(students) as students
    from pub_school_catchment
    where school_year = getvariable('school_year')
    group by school_location_id
),

duo_totals as (
    select school_location_id, total_low, total_high
    from stg_location_totals
    where school_year = getvariable('school_year') and reason_code is null
)

select
    getvariable('school_year') as school_year,
    cells.school_location_id,
    cells.school_name,
    cells.school_municipality_code,
    cells.school_municipality_name,
    cells.school_in_region,
    cells.sectors,
    cast(cells.students as bigint) as students,
    cast(duo_totals.total_low as bigint) as duo_total_low,
    cast(duo_totals.total_high as bigint) as duo_total_high,
    case when duo_totals.total_low = duo_totals.total_high then cast(duo_totals.total_low as varchar)
         when duo_totals.total_low is not null then '<5'
         else cast(cells.students as varchar) end as label,
    duo_totals.total_low is null
        or cells.students between duo_totals.total_low and duo_totals.total_high
        or (not cells.school_in_region and cells.students <= duo_totals.total_high) as matches_duo,
    'duo' as source
from cells
left join duo_totals using (school_location_id)
order by cells.school_location_id
