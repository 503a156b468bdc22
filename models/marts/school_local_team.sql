-- school_local_team: per school location, the local teams (responsible municipalities) of
-- its pupils with support, per domain; 'totaal' counts pupils with support in any domain.
-- Set-based over the school years of the run (run_years).

with support as (
    select school_year, student_id, school_location_id, school_name, sector, destination_code,
           responsible_municipality_code, local_team, support_domain, source
    from int_pupil_support where run_years(school_year)
),

combined as (
    -- per domain, and 'totaal': pupils with support in any domain
    select school_year, school_location_id, destination_code, responsible_municipality_code,
           coalesce(support_domain, 'totaal') as support_domain,
           any_value(school_name) as school_name,
           string_agg(distinct sector, '/' order by sector) as sectors,
           mode(local_team) as local_team,
           count(distinct student_id) as students_with_support,
           linked_source_of(source) as source
    from support
    group by grouping sets (
        (school_year, school_location_id, destination_code, responsible_municipality_code, support_domain),
        (school_year, school_location_id, destination_code, responsible_municipality_code)
    )
)

select
    combined.school_year,
    combined.school_location_id,
    combined.school_name,
    combined.sectors,
    combined.destination_code as school_municipality_code,
    school_names.name as school_municipality_name,
    combined.responsible_municipality_code,
    team_names.name as responsible_municipality_name,
    combined.local_team,
    combined.support_domain,
    cast(combined.students_with_support as integer) as students_with_support,
    combined.responsible_municipality_code <> combined.destination_code as crosses_border,
    combined.source
from combined
left join ref_place_names as school_names on school_names.code = combined.destination_code
left join ref_place_names as team_names on team_names.code = combined.responsible_municipality_code
order by combined.school_year, combined.school_location_id, combined.responsible_municipality_code, combined.support_domain
