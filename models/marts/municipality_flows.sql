-- municipality_flows: pupils per school year and sector from their home municipality
-- (origin) to the municipality of their school (destination). Self-flows (origin =
-- destination) are pupils schooled in their own municipality.

with cells as (
    select file_name, line, students, students_low, students_high, is_masked
    from int_cell_estimates
    where school_year = getvariable('school_year')
),

pupil_rows as (
    select file_name, line, school_year, sector, origin_code, destination_code
    from stg_duo_rows
    where school_year = getvariable('school_year') and reason_code is null
),

row_totals as (
    select
        file_name,
        line,
        sum(students) as students,
        sum(students_low) as students_low,
        sum(students_high) as students_high,
        count(*) filter (where is_masked) as masked_cells
    from cells
    group by file_name, line
),

names as (
    select code, name from ref_municipalities
    union all select 'ONBEKEND', 'Onbekend'
    union all select 'BUITENLAND', 'Buitenland'
)

select
    pupil_rows.school_year,
    pupil_rows.sector,
    pupil_rows.origin_code,
    origin_names.name as origin_name,
    pupil_rows.destination_code,
    destination_names.name as destination_name,
    sum(row_totals.students) as students,
    cast(sum(row_totals.students_low) as integer) as students_low,
    cast(sum(row_totals.students_high) as integer) as students_high,
    cast(sum(row_totals.masked_cells) as integer) as masked_cells,
    cast(count(*) as integer) as input_rows,
    'duo' as source
from pupil_rows
join row_totals using (file_name, line)
left join names as origin_names on origin_names.code = pupil_rows.origin_code
left join names as destination_names on destination_names.code = pupil_rows.destination_code
group by all
order by pupil_rows.sector, pupil_rows.origin_code, pupil_rows.destination_code
