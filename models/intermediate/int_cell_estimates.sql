-- int_cell_estimates: every accepted count cell with its estimate and exact bounds, except the
-- zero cells (not in stg_duo_cells: exactly 0 pupils, they add nothing to any sum).
-- est_cells (a view of this school year's staged cells with their ids) and
-- est_cell_estimates (the estimates of the masked cells only) are the estimator's inputs and
-- output (see pipelines/grensverkeer/estimate.py and docs/masking.md). An unmasked cell is
-- exact: its estimate and both bounds are its value. The unmasked cells are read as they
-- are; only the masked ones are joined to their estimates.

with unmasked as (
    select
        school_year, file_name, line, school_location_id, sector, cell_label, value, is_masked,
        cast(value as double) as students, value as students_low, value as students_high, 'exact' as method
    from stg_duo_cells
    where school_year = getvariable('school_year') and not is_masked
),

masked as (
    select
        cells.school_year, cells.file_name, cells.line, cells.school_location_id, cells.sector,
        cells.age as cell_label, cells.value, cells.is_masked,
        masked_estimates.students, masked_estimates.students_low, masked_estimates.students_high,
        masked_estimates.method
    from est_cells as cells
    left join est_cell_estimates as masked_estimates using (cell_id)
    where cells.is_masked
)

select * from unmasked
union all
select * from masked
