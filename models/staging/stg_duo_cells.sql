-- stg_duo_cells: the count cells of accepted DUO rows, one per row x age (PO) or leerjaar (VO)
-- that is not zero: raw_cells has no cell whose text is a plain zero (ingest/load.py), so a row
-- of zeros has no cells here (its row is in stg_duo_rows). Masked cells ('<5') have no value:
-- they are estimated in int_cell_estimates. Set-based over the school years of the run (run_years).

with accepted_rows as (
    select school_year, file_name, line, school_location_id, sector
    from stg_duo_rows
    where run_years(school_year) and reason_code is null
),

raw as (
    select school_year, file_name, line, cell_label, cell_order, value_text
    from raw_cells
    where run_years(school_year)
)

select
    accepted_rows.school_year,
    accepted_rows.file_name,
    accepted_rows.line,
    accepted_rows.school_location_id,
    accepted_rows.sector,
    raw.cell_label,
    raw.cell_order,
    case when regexp_matches(raw.value_text, '^<\s*5$') then null else cast(raw.value_text as integer) end as value,
    regexp_matches(raw.value_text, '^<\s*5$') as is_masked
from accepted_rows
join raw using (school_year, file_name, line)
