-- int_row_estimates: every accepted DUO pupil row with its estimated pupils, the number of
-- masked cells in it, and its school location's masking constraint. Marts add rows up per
-- group and location first, so their bounds use the location totals (see docs/masking.md).

with cells as (
    select file_name, line, value, is_masked, students
    from int_cell_estimates
    where school_year = getvariable('school_year')
),

pupil_rows as (
    select school_year, file_name, line, sector, school_location_id, school_name, origin_code, destination_code
    from stg_duo_rows
    where school_year = getvariable('school_year') and reason_code is null
),

row_sums as (
    select
        file_name,
        line,
        -- added up in whole nano-pupils (the estimates' unit): exact, so the same in every run,
        -- where a sum of doubles depends on the order DuckDB's threads add them in
        cast(sum(cast(round(students * 1e9) as bigint)) as double) / 1e9 as students,
        cast(coalesce(sum(value), 0) as integer) as unmasked_students,
        cast(count(*) filter (where is_masked) as integer) as masked_cells
    from cells
    group by file_name, line
),

locations as (
    select school_location_id, status, n_masked, remainder_low, remainder_high
    from int_location_masking
    where school_year = getvariable('school_year')
)

select
    pupil_rows.school_year,
    pupil_rows.file_name,
    pupil_rows.line,
    pupil_rows.sector,
    pupil_rows.school_location_id,
    pupil_rows.school_name,
    pupil_rows.origin_code,
    pupil_rows.destination_code,
    -- a row of zero cells only has no cells in int_cell_estimates: 0 pupils
    coalesce(row_sums.students, 0) as students,
    coalesce(row_sums.unmasked_students, 0) as unmasked_students,
    coalesce(row_sums.masked_cells, 0) as masked_cells,
    locations.status as location_status,
    cast(locations.n_masked as integer) as location_masked_cells,
    case when locations.status = 'location_total' then cast(locations.remainder_low as integer) end as location_remainder_low,
    case when locations.status = 'location_total' then cast(locations.remainder_high as integer) end as location_remainder_high
from pupil_rows
left join row_sums using (file_name, line)
left join locations using (school_location_id)
