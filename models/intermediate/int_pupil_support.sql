-- int_pupil_support: every accepted enrolment of the school year with each support episode
-- of that pupil that overlaps the school year (1 August - 31 July), one row per pupil,
-- domain and responsible local team. Set-based over the school years of the run (run_years).
--
-- A pupil has one accepted enrolment per school year (stg_linked_enrolments), so the
-- episodes are first reduced to one row per school year, pupil, domain and team (filtered to
-- the year and grouped on the smaller side, before the join); the join then gives each row once.

with enrolments as (
    select school_year, student_id, school_location_id, school_name, sector, origin_code, destination_code, source
    from stg_linked_enrolments
    where run_years(school_year) and reason_code is null
),

-- (the years from their own scan of one column: reading `enrolments` twice would make DuckDB
-- materialise its 2.6 M rows a year before the join)
school_year_windows as (
    select
        school_year,
        make_date(count_year_of(school_year), 8, 1) as year_start,
        make_date(count_year_of(school_year) + 1, 7, 31) as year_end
    from (select distinct school_year from stg_linked_enrolments where run_years(school_year) and reason_code is null)
),

episodes as (
    select
        school_year_windows.school_year,
        stg_linked_support.student_id,
        stg_linked_support.support_domain,
        stg_linked_support.responsible_municipality_code,
        stg_linked_support.local_team,
        bool_or(stg_linked_support.source = 'synthetic') as synthetic
    from stg_linked_support
    join school_year_windows
      on stg_linked_support.start_date <= school_year_windows.year_end
     and coalesce(stg_linked_support.end_date, date '9999-12-31') >= school_year_windows.year_start
    where stg_linked_support.reason_code is null
    group by all
)

select
    enrolments.school_year,
    enrolments.student_id,
    enrolments.school_location_id,
    enrolments.school_name,
    enrolments.sector,
    enrolments.origin_code,
    enrolments.destination_code,
    episodes.support_domain,
    episodes.responsible_municipality_code,
    episodes.local_team,
    -- linked_source_of(either_source(enrolment, episode)) over the pupil's episodes of the team
    case when enrolments.source = 'synthetic' or episodes.synthetic then 'synthetic' else 'linked' end as source
from enrolments
join episodes using (school_year, student_id)
