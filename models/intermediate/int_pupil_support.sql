-- int_pupil_support: every accepted enrolment of the school year with each support episode
-- of that pupil that overlaps the school year (1 August - 31 July), one row per pupil,
-- domain and responsible local team.

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
    select student_id, support_domain, responsible_municipality_code, local_team, start_date, end_date, source
    from stg_linked_support
    where reason_code is null
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
    linked_source_of(either_source(enrolments.source, episodes.source)) as source
from enrolments
join episodes using (student_id)
cross join school_year_window
where episodes.start_date <= school_year_window.year_end
  and coalesce(episodes.end_date, date '9999-12-31') >= school_year_window.year_start
group by all
