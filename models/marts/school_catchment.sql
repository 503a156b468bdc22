-- school_catchment: for every school location, the home municipalities its pupils come from.
-- Set-based over the school years of the run (run_years).

with pupil_rows as (
    select * from int_row_estimates where run_years(school_year)
),

names as (select code, name from ref_place_names),

catchment as (
    select
        school_year,
        sector,
        school_location_id,
        any_value(school_name) as school_name,
        destination_code as school_municipality_code,
        origin_code,
        sum(students) as students,
        cast(sum(unmasked_students) + masked_sum_low(sum(masked_cells), any_value(location_masked_cells), any_value(location_remainder_low)) as integer) as students_low,
        cast(sum(unmasked_students) + masked_sum_high(sum(masked_cells), any_value(location_masked_cells), any_value(location_remainder_high)) as integer) as students_high
    from pupil_rows
    group by school_year, sector, school_location_id, destination_code, origin_code
)

select
    catchment.school_year,
    catchment.sector,
    catchment.school_location_id,
    catchment.school_name,
    catchment.school_municipality_code,
    school_names.name as school_municipality_name,
    catchment.origin_code,
    origin_names.name as origin_name,
    catchment.students,
    catchment.students_low,
    catchment.students_high,
    catchment.students / nullif(sum(catchment.students) over (partition by catchment.school_year, catchment.sector, catchment.school_location_id), 0) as share_of_school,
    'duo' as source
from catchment
left join names as school_names on school_names.code = catchment.school_municipality_code
left join names as origin_names on origin_names.code = catchment.origin_code
order by catchment.school_year, catchment.school_location_id, catchment.sector, catchment.origin_code
