-- pub_school_coordination: school_coordination_load as published, with DUO's public total of the
-- same school location. Attribute disclosure (docs/disclosure.md): a school whose pupils with
-- support are at least DUO's count of all its pupils ("every pupil at S gets youth care") is marked
-- `same_as_public`; site and exports pass its count to protect as `hidden` ('niet getoond'), and a school
-- DUO counts at most 1 pupil at (`public_high`, the most DUO's figures allow) is `omitted`. Compared
-- only where DUO's files of the year hold the location (linked records can hold schools DUO's files do
-- not, VO in the demo). Set-based over the school years of the run (run_years).

with coordination as (
    select
        school_year, school_location_id, school_name, school_municipality_code, school_municipality_name,
        students_with_support, local_teams, local_teams_elsewhere, share_from_elsewhere, source
    from school_coordination_load
    where run_years(school_year)
),

public_totals as (
    select school_year, school_location_id, coalesce(duo_total_low, students) as students,
           coalesce(duo_total_high, students) as students_high
    from pub_school_totals
    where run_years(school_year)
)

select
    coordination.school_year,
    coordination.school_location_id,
    coordination.school_name,
    coordination.school_municipality_code,
    coordination.school_municipality_name,
    coordination.students_with_support,
    coordination.local_teams,
    coordination.local_teams_elsewhere,
    coordination.share_from_elsewhere,
    coordination.source,
    cast(public_totals.students as bigint) as public_students,
    cast(public_totals.students_high as bigint) as public_high,
    coalesce(coordination.students_with_support >= public_totals.students, false) as same_as_public,
    -- a school DUO counts at most 1 pupil at: listing it ("at least one pupil with support") says that pupil
    -- gets support, so it is not listed at all (docs/disclosure.md)
    coalesce(coordination.students_with_support >= public_totals.students and public_totals.students_high <= 1, false)
        as omitted
from coordination
left join public_totals
  on public_totals.school_year = coordination.school_year
 and public_totals.school_location_id = coordination.school_location_id
order by coordination.school_year, coordination.local_teams desc, coordination.students_with_support desc, coordination.school_location_id
