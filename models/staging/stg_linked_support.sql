-- stg_linked_support: support episodes (pseudonymised), checked. Not tied to a school year:
-- an episode counts in every school year (1 August - 31 July) it overlaps.

with raw as (
    select * from raw_linked_support
),

-- Which contract columns each file has (input_files.column_map): a rejected row's raw text is
-- made of them, here (stg_linked_enrolments does the same).
files as (
    select file_name, arg_max(column_map, seen_at) as column_map
    from input_files
    where status = 'loaded' and kind = 'linked_support'
    group by file_name
),

checked as (
    select
        raw.*,
        files.column_map,
        trimmed(student_id) as student,
        lower(trimmed(support_domain)) as domain,
        coalesce(mg.successor_code, upper(trimmed(responsible_municipality_code))) as responsible,
        -- Excel date cells and Parquet timestamps arrive as '2024-10-01 00:00:00': the date part counts.
        coalesce(try_strptime(left(trimmed(start_date), 10), '%Y-%m-%d'), try_strptime(trimmed(start_date), '%d-%m-%Y'))::date as start_day,
        coalesce(try_strptime(left(trimmed(end_date), 10), '%Y-%m-%d'), try_strptime(trimmed(end_date), '%d-%m-%Y'))::date as end_day
    from raw
    left join files using (file_name)
    left join ref_municipality_mergers as mg on mg.old_code = upper(trimmed(raw.responsible_municipality_code))
),

problems as (
    select
        checked.*,
        case
            when coalesce(student, '') = '' then 'missing_student_id'
            when domain not in ('jeugdhulp', 'jeugdbescherming', 'onderwijsondersteuning', 'leerplicht') or domain is null then 'unknown_support_domain'
            when responsible not in (select code from ref_municipalities) or responsible is null then 'unknown_municipality'
            when start_day is null then 'invalid_date'
            when coalesce(trimmed(end_date), '') <> '' and end_day is null then 'invalid_date'
            when end_day < start_day then 'start_after_end'
        end as reason_code
    from checked
)

select
    file_name,
    line,
    student as student_id,
    domain as support_domain,
    trimmed(support_type) as support_type,
    responsible as responsible_municipality_code,
    nullif(trimmed(local_team), '') as local_team,
    start_day as start_date,
    end_day as end_date,
    source,
    reason_code,
    case reason_code
        when 'missing_student_id' then 'student_id'
        when 'unknown_support_domain' then 'support_domain'
        when 'unknown_municipality' then 'responsible_municipality_code'
        when 'invalid_date' then case when start_day is null then 'start_date' else 'end_date' end
        when 'start_after_end' then 'end_date'
    end as column_name,
    case reason_code
        when 'missing_student_id' then 'student_id is empty'
        when 'unknown_support_domain' then format('support_domain {} is not one of jeugdhulp, jeugdbescherming, onderwijsondersteuning, leerplicht', coalesce(support_domain, '(empty)'))
        when 'unknown_municipality' then format('responsible_municipality_code {} is not a CBS municipality code like GM0503', coalesce(responsible_municipality_code, '(empty)'))
        when 'invalid_date' then format('date {} is not a date like 2024-10-01', case when start_day is null then coalesce(start_date, '(empty)') else end_date end)
        when 'start_after_end' then format('end_date {} is before start_date {}', end_date, start_date)
    end as reason,
    -- the row as read (its contract columns joined by ';'), where rejected_rows quotes it (as
    -- stg_linked_enrolments keeps it); rows copied by older versions have it in raw_text
    case when reason_code is not null then coalesce(raw_text, contract_text(
        column_map,
        ['student_id', 'support_domain', 'support_type', 'responsible_municipality_code', 'start_date', 'local_team', 'end_date'],
        [student_id, support_domain, support_type, responsible_municipality_code, start_date, local_team, end_date]
    )) end as raw_text
from problems
