-- pub_school_totals: per school location in the DUO files of the year, its published pupils
-- (the sum of its published catchment cells) and DUO's own location total (public, exact as
-- DUO publishes it; null when the location-totals file does not list the location).
-- `matches_duo` is checked: for a complete location (its municipality's DUO file lists all its
-- pupils and none of its rows was rejected: int_location_masking.is_complete, the premise the
-- estimator allocates the total on) the published cells add up to DUO's total. Otherwise its
-- cells are only part of its total and cannot exceed it: a school outside the region is in the
-- input only with the region's residents (the extract), and the pupils of a rejected row are in
-- rejected_rows with their reason, not in a cell. Set-based over the school years of the run
-- (run_years).

with cells as (
    select school_year, school_location_id, any_value(school_name) as school_name,
           any_value(school_municipality_code) as school_municipality_code,
           any_value(school_municipality_name) as school_municipality_name,
           bool_or(school_in_region) as school_in_region,
           string_agg(distinct sector, '/' order by sector) as sectors,
           sum(students) as students
    from pub_school_catchment
    where run_years(school_year)
    group by school_year, school_location_id
),

duo_totals as (
    select school_year, school_location_id, total_low, total_high
    from stg_location_totals
    where run_years(school_year) and reason_code is null
),

complete as (
    select school_year, school_location_id, is_complete
    from int_location_masking
    where run_years(school_year)
)

select
    cells.school_year,
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
        or (not coalesce(complete.is_complete, false) and cells.students <= duo_totals.total_high) as matches_duo,
    'duo' as source
from cells
left join duo_totals using (school_year, school_location_id)
left join complete using (school_year, school_location_id)
order by cells.school_year, cells.school_location_id
