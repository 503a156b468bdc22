-- municipality_flows: pupils per school year and sector from their home municipality
-- (origin) to the municipality of their school (destination). Self-flows (origin =
-- destination) are pupils schooled in their own municipality. Bounds are exact given
-- the school locations' totals: rows are added up per location first. Set-based over the
-- school years of the run (run_years).

with pupil_rows as (
    select * from int_row_estimates where run_years(school_year)
),

per_location as (
    select
        school_year,
        sector,
        origin_code,
        destination_code,
        school_location_id,
        sum(students) as students,
        sum(unmasked_students) as unmasked_students,
        sum(masked_cells) as masked_cells,
        any_value(location_masked_cells) as location_masked_cells,
        any_value(location_remainder_low) as location_remainder_low,
        any_value(location_remainder_high) as location_remainder_high,
        count(*) as input_rows
    from pupil_rows
    group by all
),

names as (select code, name from ref_place_names)

select
    per_location.school_year,
    per_location.sector,
    per_location.origin_code,
    origin_names.name as origin_name,
    per_location.destination_code,
    destination_names.name as destination_name,
    sum(per_location.students) as students,
    cast(sum(unmasked_students + masked_sum_low(masked_cells, location_masked_cells, location_remainder_low)) as integer) as students_low,
    cast(sum(unmasked_students + masked_sum_high(masked_cells, location_masked_cells, location_remainder_high)) as integer) as students_high,
    cast(sum(per_location.masked_cells) as integer) as masked_cells,
    cast(sum(per_location.input_rows) as integer) as input_rows,
    'duo' as source
from per_location
left join names as origin_names on origin_names.code = per_location.origin_code
left join names as destination_names on destination_names.code = per_location.destination_code
group by all
order by per_location.school_year, per_location.sector, per_location.origin_code, per_location.destination_code
