-- stg_location_totals: DUO's exact pupil total per school location for the count year
-- ('historisch overzicht aantal leerlingen per schoolvestiging'), as a range: a total
-- published as '<5' is somewhere in [1, 4]. Rows that cannot be read carry a reason.
-- Set-based over the school years of the run (run_years).

with raw as (
    select * from raw_location_totals where run_years(school_year)
),

typed as (
    select
        raw.*,
        upper(trim(location_code)) as school_location_id,
        case
            when regexp_matches(trim(value_text), '^[0-9]+$') then cast(trim(value_text) as integer)
            when regexp_matches(trim(value_text), '^<\s*5$') then 1
        end as total_low,
        case
            when regexp_matches(trim(value_text), '^[0-9]+$') then cast(trim(value_text) as integer)
            when regexp_matches(trim(value_text), '^<\s*5$') then 4
        end as total_high
    from raw
),

ranked as (
    select
        typed.*,
        row_number() over (partition by school_year, school_location_id order by file_name, line) as copy_no
    from typed
)

select
    school_year,
    file_name,
    line,
    school_location_id,
    upper(trim(soort)) as soort,
    gm_code(school_municipality_code) as municipality_code,
    trim(school_name) as school_name,
    total_low,
    total_high,
    case
        when n_fields < expected_fields then 'truncated_row'
        when n_fields > expected_fields then 'too_many_fields'
        when not regexp_matches(coalesce(school_location_id, ''), '^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$') then 'invalid_location'
        when total_low is null and coalesce(trim(value_text), '') <> '' then 'non_numeric_count'
        when copy_no > 1 then 'duplicate_row'
    end as reason_code,
    column_name,
    raw_line,
    value_text
from ranked
