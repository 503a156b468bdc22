-- rejected_duo_rows: the DUO rows of the school year that are not counted, with the reason.
-- An empty total in the totals file is not an error (the location did not exist that year).
-- Set-based over the school years of the run (run_years).

with pupil_rows as (
    select school_year, file_name, line, column_name, reason_code, reason, raw_line
    from stg_duo_rows
    where run_years(school_year) and reason_code is not null
),

total_rows as (
    select
        school_year,
        file_name,
        line,
        column_name,
        reason_code,
        case reason_code
            when 'truncated_row' then 'truncated row: fewer fields than the header'
            when 'too_many_fields' then 'row has more fields than the header'
            when 'invalid_location' then format('location code {} is not BRIN plus 2 digits', school_location_id)
            when 'non_numeric_count' then format('count in {} is not a number or <5: {}', column_name, value_text)
            when 'duplicate_row' then format('location {} appears more than once: the first row is used', school_location_id)
        end as reason,
        raw_line
    from stg_location_totals
    where run_years(school_year) and reason_code is not null
)

select school_year, 'duo' as source, file_name, line, column_name, reason_code, reason, raw_line as raw_text
from pupil_rows
union all
select school_year, 'duo' as source, file_name, line, column_name, reason_code, reason, raw_line as raw_text
from total_rows
