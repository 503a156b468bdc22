-- school_catchment: for every school location, the home municipalities its pupils come from.

with cells as (
    select file_name, line, students, students_low, students_high
    from int_cell_estimates
    where school_year = getvariable('school_year')
),

pupil_rows as (
    select file_name, line, school_year, sector, school_location_id, school_name, destination_code, origin_code
    from stg_duo_rows
    where school_year = getvariable('school_year') and reason_code is null
),

names as (
    select code, name from ref_municipalities
    union all select 'ONBEKEND', 'Onbekend'
    union all select 'BUITENLAND', 'Buitenland'
),

catchment as (
    select
        pupil_rows.school_year,
        pupil_rows.sector,
        pupil_rows.school_location_id,
        any_value(pupil_rows.school_name) as school_name,
        pupil_rows.destination_code as school_municipality_code,
        pupil_rows.origin_code,
        sum(cells.students) as students,
        cast(sum(cells.students_low) as integer) as students_low,
        cast(sum(cells.students_high) as integer) as students_high
    from pupil_rows
    join cells using (file_name, line)
    group by all
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
    catchment.students / nullif(sum(catchment.students) over (partition by catchment.sector, catchment.school_location_id), 0) as share_of_school,
    'duo' as source
from catchment
left join names as school_names on school_names.code = catchment.school_municipality_code
left join names as origin_names on origin_names.code = catchment.origin_code
order by catchment.school_location_id, catchment.sector, catchment.origin_code
