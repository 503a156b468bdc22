-- duo_input_warnings: DUO rows of the school year that are counted, but with a value the
-- reader should know about. Today one kind: a home municipality name that matches no
-- municipality (nor a former one, nor a known spelling), so its pupils are counted as
-- ONBEKEND, as DUO counts them, and the name is reported here (and by the run and the check
-- stg_duo_rows_unmatched_names) instead of vanishing. Empty names and 'Onbekend' are DUO's
-- own "unknown" and are not warned about. Only accepted rows: a duplicate is warned where it
-- is counted. students_low/high: the row's pupils, exact apart from its '<5' cells (1 to 4).
-- Set-based over the school years of the run (run_years).

with files as (
    select file_name, arg_max(column_map, seen_at) as column_map
    from input_files where status = 'loaded' group by file_name
),

unmatched as (
    select school_year, file_name, line, home_municipality_name, raw_line
    from stg_duo_rows
    where run_years(school_year)
      and reason_code is null
      and origin_match = 'unmatched'
      and name_key(home_municipality_name) not in ('ONBEKEND', '')
),

pupils as (
    select
        school_year,
        file_name,
        line,
        coalesce(sum(try_cast(value_text as integer)), 0) as unmasked,
        count(*) filter (where regexp_matches(value_text, '^<\s*5$')) as masked
    from raw_cells
    where run_years(school_year)
      and (school_year, file_name, line) in (select (school_year, file_name, line) from unmatched)
    group by school_year, file_name, line
)

select
    u.school_year,
    'duo' as source,
    u.file_name,
    u.line,
    f.column_map['home_municipality_name'] as column_name,
    'unknown_home_municipality' as warning_code,
    u.home_municipality_name as value,
    'ONBEKEND' as counted_as,
    coalesce(p.unmasked, 0) + coalesce(p.masked, 0) as students_low,
    coalesce(p.unmasked, 0) + 4 * coalesce(p.masked, 0) as students_high,
    format(
        'home municipality {} matches no municipality: its pupils are counted as ONBEKEND (unknown origin); '
        'correct the name in the file, or add the spelling to VARIANTS in data/reference/build_reference.py',
        u.home_municipality_name
    ) as warning,
    u.raw_line as raw_text
from unmatched as u
left join files as f using (file_name)
left join pupils as p using (school_year, file_name, line)
