-- int_cell_estimates: every accepted count cell with its estimate and exact bounds.
-- est_cells and est_cell_estimates are the estimator's working tables for this school year
-- (see pipelines/grensverkeer/estimate.py and docs/masking.md).

with cells as (
    select cell_id, file_name, line, cell_order from est_cells
),

estimates as (
    select cell_id, students, students_low, students_high, method from est_cell_estimates
),

staged as (
    select school_year, file_name, line, cell_order, school_location_id, sector, cell_label, value, is_masked
    from stg_duo_cells
    where school_year = getvariable('school_year')
)

select
    staged.school_year,
    staged.file_name,
    staged.line,
    staged.school_location_id,
    staged.sector,
    staged.cell_label,
    staged.value,
    staged.is_masked,
    estimates.students,
    estimates.students_low,
    estimates.students_high,
    estimates.method
from staged
join cells using (file_name, line, cell_order)
join estimates using (cell_id)
