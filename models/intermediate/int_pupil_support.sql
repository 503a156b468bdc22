-- int_pupil_support: every accepted enrolment of the school year with each support episode
-- of that pupil that overlaps the school year (1 August - 31 July), one row per pupil,
-- domain and responsible local team.
--
-- A pupil has one accepted enrolment per school year (stg_linked_enrolments), so the
-- episodes are first reduced to one row per pupil, domain and team (filtered to the year and
-- grouped on the smaller side, before the join); the join then gives each row once.

with enrolments as (
    select school_year, student_id, school_location_id, school_name, sector, origin_code, destination_code, source
    from stg_linked_enrolments
    where school_year = getvariable('school_year') and reason_code is null
),

school_year_window as (
    select
        make_date(count_year_of(getvariable('school_year')), 8, 1) as year_start,
        make_date(count_year_of(getvariable('school_year')) + 1, 7, 31) as year_end
),

episodes as (
    select
        student_id,
        support_domain,
        responsible_municipality_code,
        local_team,
        bool_or(source = 'synthetic') as synthetic
    from stg_linked_support
    cross join school_year_window
    where reason_code is null
      and start_date <= school_year_window.year_end
      and coalesce(end_date, date '9999-12-31') >= school_year_window.year_start
    group by student_id, support_domain, responsible_municipality_code, local_team
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
join episodes using (student_id)
