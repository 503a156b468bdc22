-- school_coordination_load (coördinatielast): per school location, how many distinct local
-- teams it works with for its pupils with support in the agreement domains. Set-based over the
-- school years of the run (run_years).

with home_support as (
    select distinct school_year, student_id, school_location_id, school_name, destination_code, responsible_municipality_code, source
    from int_pupil_support
    where run_years(school_year)
      and list_contains(getvariable('agreement_domains'), support_domain)
)

select
    home_support.school_year,
    home_support.school_location_id,
    any_value(home_support.school_name) as school_name,
    home_support.destination_code as school_municipality_code,
    any_value(names.name) as school_municipality_name,
    cast(count(distinct home_support.student_id) as integer) as students_with_support,
    cast(count(distinct home_support.responsible_municipality_code) as integer) as local_teams,
    cast(count(distinct home_support.responsible_municipality_code)
         filter (where home_support.responsible_municipality_code <> home_support.destination_code) as integer) as local_teams_elsewhere,
    count(distinct home_support.student_id) filter (where home_support.responsible_municipality_code <> home_support.destination_code)
        / count(distinct home_support.student_id) as share_from_elsewhere,
    linked_source_of(home_support.source) as source
from home_support
left join ref_place_names as names on names.code = home_support.destination_code
group by home_support.school_year, home_support.school_location_id, home_support.destination_code
order by school_year, local_teams desc, students_with_support desc, school_location_id
