-- int_cell_estimates: every accepted count cell with its estimate and exact bounds.
-- est_cells (a view of this school year's staged cells with their ids) and
-- est_cell_estimates (the estimates of the masked cells only) are the estimator's inputs and
-- output (see pipelines/grensverkeer/estimate.py and docs/masking.md). An unmasked cell is
-- exact: its estimate and both bounds are its value.

with cells as (
    select cell_id, school_year, file_name, line, school_location_id, sector, age as cell_label, value, is_masked
    from est_cells
),

masked_estimates as (
    select cell_id, students, students_low, students_high, method from est_cell_estimates
)

select
    cells.school_year,
    cells.file_name,
    cells.line,
    cells.school_location_id,
    cells.sector,
    cells.cell_label,
    cells.value,
    cells.is_masked,
    case when cells.is_masked then masked_estimates.students else cast(cells.value as double) end as students,
    case when cells.is_masked then masked_estimates.students_low else cells.value end as students_low,
    case when cells.is_masked then masked_estimates.students_high else cells.value end as students_high,
    case when cells.is_masked then masked_estimates.method else 'exact' end as method
from cells
left join masked_estimates using (cell_id)
