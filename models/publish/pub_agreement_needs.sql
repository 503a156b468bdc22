-- pub_agreement_needs: agreement_needs as published, with the public count of the same group.
-- Attribute disclosure: a school row whose pupils with support are as many as DUO's public count
-- of pupils from that municipality at that school (all of them get youth care) is not published as
-- such: `same_as_public` marks it, and site and exports leave it out of the school listing (it is
-- part of the pair's unpublished rest). docs/disclosure.md.

with needs as (
    select * from agreement_needs where school_year = getvariable('school_year')
),

public_groups as (
    select school_location_id, origin_code, sum(students) as students
    from pub_school_catchment
    where school_year = getvariable('school_year')
    group by all
)

select
    needs.*,
    cast(public_groups.students as bigint) as public_group_students,
    coalesce(needs.level = 'school' and needs.students_with_support >= public_groups.students, false) as same_as_public
from needs
left join public_groups
  on needs.level = 'school'
 and public_groups.school_location_id = needs.school_location_id
 and public_groups.origin_code = needs.local_team_municipality_code
order by needs.level, needs.students_with_support desc, needs.local_team_municipality_code,
         needs.school_municipality_code, needs.school_location_id
