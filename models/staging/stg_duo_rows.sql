-- stg_duo_rows: every raw DUO pupil row (PO and VO) of the school year, checked and typed.
-- A row is accepted (reason_code is null) or carries the first problem found; accepted
-- rows that repeat a row of another file are marked duplicate so they are counted once.
-- Set-based over the school years of the run (run_years).

with raw as (
    select * from raw_rows where run_years(school_year)
),

-- Read once by every row, these are looked up per distinct value and joined back by the
-- value itself (a few hundred names and codes, ten count dates against 4 M rows nationally),
-- instead of computing regular expressions and joins per row.
files as (
    select file_name, arg_max(column_map, seen_at) as column_map
    from input_files where status = 'loaded' group by file_name
),

school_locations as (select school_location_id, sector, municipality_code from ref_school_locations),

home_names as (
    select n.home_municipality_name, name_key(n.home_municipality_name) as home_name_key, mn.code as name_code
    from (select distinct home_municipality_name from raw_rows where run_years(school_year)) as n
    left join ref_municipality_names as mn on mn.name_key = name_key(n.home_municipality_name)
),

home_codes as (
    select c.home_municipality_code, coalesce(m.successor_code, mv.code) as code_code
    from (select distinct home_municipality_code from raw_rows where run_years(school_year)) as c
    left join ref_municipalities as mv on mv.code = gm_code(c.home_municipality_code)
    left join ref_municipality_mergers as m on m.old_code = gm_code(c.home_municipality_code)
),

school_codes as (
    select c.school_municipality_code, coalesce(m.successor_code, gm_code(c.school_municipality_code)) as file_destination_code
    from (select distinct school_municipality_code from raw_rows where run_years(school_year)) as c
    left join ref_municipality_mergers as m on m.old_code = gm_code(c.school_municipality_code)
),

-- per count date and school year: the date problem, if any (see `checked`)
count_dates as (
    select
        d.school_year,
        d.peildatum,
        case
            when d.peildatum is not null
                 and try_strptime(trimmed(d.peildatum), '%Y%m%d') is null
                 and not regexp_matches(trimmed(d.peildatum), '^(19|20)[0-9]{2}$') then 'invalid_count_date'
            -- a count date whose school year holds under 1% of the file's rows (ingest/load.py)
            -- was put with the file's main year: a typo such as 20421001, not a school year
            when try_strptime(trimmed(d.peildatum), '%Y%m%d') is not null
                 and (year(try_strptime(trimmed(d.peildatum), '%Y%m%d'))
                      - case when month(try_strptime(trimmed(d.peildatum), '%Y%m%d')) >= 8 then 0 else 1 end)
                     <> cast(left(d.school_year, 4) as integer) then 'implausible_count_date'
        end as date_problem
    from (select distinct school_year, peildatum from raw_rows where run_years(school_year)) as d
),

-- cells that are not a number or '<5' (a handful): the row's first one is its problem
cell_problems as (
    select
        school_year,
        file_name,
        line,
        arg_min(cell_label, cell_order) as column_name,
        arg_min(value_text, cell_order) as bad_value,
        arg_min(
            case
                when coalesce(trimmed(value_text), '') = '' then 'missing_count'
                when regexp_matches(value_text, '^-\s*[0-9]+$') then 'negative_count'
                else 'non_numeric_count'
            end, cell_order) as reason_code
    from raw_cells
    where run_years(school_year)
      and not regexp_matches(coalesce(value_text, ''), '^([0-9]+|<\s*5)$')
    group by school_year, file_name, line
),

-- the sums of the cells, for the TOTAAL check: only the rows that have a TOTAAL
-- raw_cells has no zero cells ('0': ingest/load.py): a row has one where it has fewer cells
-- there than its file has count columns (raw_cell_columns), and a row of zeros has none there
cell_sums as (
    select
        school_year,
        file_name,
        line,
        sum(try_cast(value_text as integer)) as unmasked_sum,
        count(*) filter (where regexp_matches(value_text, '^<\s*5$')) as masked_cells,
        count(*) as stored_cells
    from raw_cells
    semi join (
        select school_year, file_name, line from raw_rows where run_years(school_year) and total is not null
    ) as with_total using (school_year, file_name, line)
    where run_years(school_year)
    group by school_year, file_name, line
),

cell_columns as (
    select school_year, file_name, len(cell_columns) as n_cells
    from raw_cell_columns
    where run_years(school_year)
),

typed as (
    select
        raw.*,
        upper(trimmed(raw.brin)) as brin_clean,
        case
            when regexp_matches(trimmed(raw.location_no), '^[0-9]{1,2}$') then upper(trimmed(raw.brin)) || lpad(trimmed(raw.location_no), 2, '0')
            when regexp_matches(upper(trimmed(raw.location_no)), '^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$') then upper(trimmed(raw.location_no))
        end as school_location_id,
        case upper(trimmed(raw.soort)) when 'BO' then 'BO' when 'SBO' then 'SBO' when 'SO' then 'SO' when 'VSO' then 'VSO' end as po_sector,
        cp.column_name as cell_column,
        cp.bad_value,
        cp.reason_code as cell_reason,
        -- the sum of the row's cells that are numbers: none (NULL) when every cell is masked
        case when cs.unmasked_sum is not null or coalesce(cs.stored_cells, 0) < cc.n_cells
             then coalesce(cs.unmasked_sum, 0) end as unmasked_sum,
        coalesce(cs.masked_cells, 0) as masked_cells,
        raw.line = fl.last_line as is_last_line
    from raw
    -- the last line of files with a short row (a file cut off ends in one), over all its years
    left join (
        select file_name, max(line) as last_line from raw_rows
        where file_name in (select file_name from raw_rows where run_years(school_year) and n_fields < expected_fields)
        group by file_name
    ) as fl using (file_name)
    left join cell_problems as cp using (school_year, file_name, line)
    left join cell_sums as cs using (school_year, file_name, line)
    left join cell_columns as cc using (school_year, file_name)
),

located as (
    select
        typed.*,
        sc.file_destination_code,
        sl.sector as reference_sector,
        sl.municipality_code as reference_destination_code,
        cd.date_problem
    from typed
    left join school_codes as sc on sc.school_municipality_code = typed.school_municipality_code
    left join school_locations as sl using (school_location_id)
    left join count_dates as cd on cd.school_year = typed.school_year and cd.peildatum = typed.peildatum
),

checked as (
    select
        located.*,
        case
            when n_fields < expected_fields then 'truncated_row'
            when n_fields > expected_fields then 'too_many_fields'
            when date_problem is not null then date_problem
            when not regexp_matches(coalesce(brin_clean, ''), '^[0-9]{2}[A-Z0-9]{2}$') then 'invalid_brin'
            when school_location_id is null then 'invalid_location'
            when kind = 'duo_po_pc4' and po_sector is null then 'unknown_soort_po'
            when kind = 'duo_po_pc4' and file_destination_code is null then 'invalid_school_municipality'
            when kind = 'duo_vo_pc4' and coalesce(file_destination_code, reference_destination_code) is null then 'unknown_school_location'
            when cell_reason is not null then cell_reason
            when total is not null and not regexp_matches(trimmed(total), '^([0-9]+|<\s*5)$') then 'non_numeric_total'
            -- a row total of 1..4 is masked as '<5' too: it must then fit in [1, 4]
            when total is not null
                 and not (coalesce(try_cast(trimmed(total) as integer), 4) >= unmasked_sum + masked_cells
                          and coalesce(try_cast(trimmed(total) as integer), 1) <= unmasked_sum + 4 * masked_cells)
                 then 'total_mismatch'
        end as problem
    from located
),

described as (
    select
        checked.*,
        case problem
            when 'truncated_row' then first_missing_column
            when 'invalid_count_date' then f.column_map['peildatum']
            when 'implausible_count_date' then f.column_map['peildatum']
            when 'invalid_brin' then f.column_map['brin']
            when 'invalid_location' then f.column_map['location_no']
            when 'unknown_soort_po' then f.column_map['soort']
            when 'invalid_school_municipality' then f.column_map['school_municipality_code']
            when 'unknown_school_location' then f.column_map['location_no']
            when 'non_numeric_total' then f.column_map['total']
            when 'total_mismatch' then f.column_map['total']
            else cell_column
        end as problem_column,
        case problem
            -- a line that ends inside a quoted value was cut off there (ingest/text.py reads it one field short)
            when 'truncated_row' then case
                when regexp_matches(regexp_replace(raw_line, '"([^"]|"")*"', '', 'g'), '(^|[;,])\s*"[^"]*$')
                then format('truncated row: the line ends inside the quoted value of {}, after {} of {} fields{}: '
                            'the file looks cut off (an interrupted download or copy); download or export it again',
                            first_missing_column, n_fields, expected_fields,
                            case when is_last_line then ' (the last line of the file)' else '' end)
                else format('truncated row: {} of {} fields, {} and later columns are missing{}: correct the line, '
                            'or download or export the file again if it was cut off',
                            n_fields, expected_fields, first_missing_column,
                            case when is_last_line then ' (the last line of the file)' else '' end)
            end
            when 'too_many_fields' then format('row has {} fields, the header has {}', n_fields, expected_fields)
            when 'invalid_count_date' then format('count date {} is not a date like 20241001', peildatum)
            when 'implausible_count_date' then format('count date {} is not in school year {} like the other rows of the file, '
                                                      'and under 1% of its rows have it: a typo? Correct it in the file', peildatum, school_year)
            when 'invalid_brin' then format('school code (BRIN) {} is not 2 digits and 2 letters or digits', coalesce(brin, '(empty)'))
            when 'invalid_location' then format('location number {} is not a number of at most 2 digits', coalesce(location_no, '(empty)'))
            when 'unknown_soort_po' then format('unknown SOORT_PO {}: expected Bo, Sbo, So or Vso', coalesce(soort, '(empty)'))
            when 'invalid_school_municipality' then format('school municipality number {} is not a number', coalesce(school_municipality_code, '(empty)'))
            when 'unknown_school_location' then format('school location {} is not in the school list and the file has no school municipality', school_location_id)
            when 'missing_count' then format('count in {} is empty', cell_column)
            when 'negative_count' then format('count in {} is negative: {}', cell_column, bad_value)
            when 'non_numeric_count' then format('count in {} is not a number or <5: {}', cell_column, bad_value)
            when 'non_numeric_total' then format('TOTAAL {} is not a number or <5', total)
            when 'total_mismatch' then format('TOTAAL {} does not match the age columns ({} plus {} cells of 1 to 4)', total, unmasked_sum, masked_cells)
        end as problem_reason
    from checked
    -- the file's column names, for the rows that have a problem only
    left join files as f on f.file_name = case when checked.problem is not null then checked.file_name end
),

mapped as (
    select
        described.*,
        coalesce(
            case when kind = 'duo_vo_pc4' then hc.code_code end,
            hn.name_code,
            'ONBEKEND'
        ) as origin_code,
        case
            when kind = 'duo_vo_pc4' and hc.code_code is not null then 'code'
            when hn.name_code is not null then 'name'
            else 'unmatched'
        end as origin_match,
        hn.home_name_key,
        case
            when kind = 'duo_po_pc4' then po_sector
            when reference_sector = 'PRO' then 'PRO'
            else 'VO'
        end as sector,
        coalesce(file_destination_code, reference_destination_code) as destination_code
    from described
    left join home_names as hn on hn.home_municipality_name is not distinct from described.home_municipality_name
    left join home_codes as hc on hc.home_municipality_code is not distinct from described.home_municipality_code
),

ranked as (
    select
        mapped.*,
        -- The same pupils published in two files (a municipality file and an extract):
        -- keep the row of the per-municipality file, count it once.
        row_number() over (
            partition by school_year, problem is null, kind, school_location_id, sector, trimmed(home_pc4), home_name_key
            order by file_priority, file_name, line
        ) as copy_no,
        first_value(file_name) over w as first_file,
        first_value(line) over w as first_line
    from mapped
    window w as (
        partition by school_year, problem is null, kind, school_location_id, sector, trimmed(home_pc4), home_name_key
        order by file_priority, file_name, line
    )
)

select
    school_year,
    file_name,
    line,
    kind,
    school_location_id,
    brin_clean as brin,
    trimmed(school_name) as school_name,
    sector,
    destination_code,
    trimmed(home_pc4) as home_pc4,
    trimmed(home_municipality_name) as home_municipality_name,
    origin_code,
    origin_match,
    single_school_municipality,
    case
        when problem is not null then problem
        when copy_no > 1 then 'duplicate_row'
    end as reason_code,
    case when problem is not null then problem_column end as column_name,
    case
        when problem is not null then problem_reason
        when copy_no > 1 then format('same school location, postcode, municipality and type as {} line {}: counted once, from there', first_file, first_line)
    end as reason,
    -- the line as read, where a report quotes it (rejected_rows, input_warnings); the other accepted
    -- rows keep it in raw_rows only, so it is not written again for every counted row
    case when problem is not null or copy_no > 1 or origin_match = 'unmatched' then raw_line end as raw_line
from ranked
