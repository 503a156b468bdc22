-- municipality_support_profile: per municipality (its local team), its pupils with support
-- in the agreement domains and the share of them schooled in another municipality. Set-based
-- over the school years of the run (run_years).

with home_support as (
    select distinct school_year, student_id, school_location_id, destination_code, responsible_municipality_code, source
    from int_pupil_support
    where run_years(school_year)
      and list_contains(getvariable('agreement_domains'), support_domain)
)

select
    home_support.school_year,
    home_support.responsible_municipality_code as code,
    any_value(names.name) as name,
    home_support.responsible_municipality_code in (select code from ref_region_members) as in_region,
    cast(count(distinct student_id) as integer) as students_with_support,
    cast(count(distinct student_id) filter (where destination_code <> responsible_municipality_code) as integer) as schooled_elsewhere,
    count(distinct student_id) filter (where destination_code <> responsible_municipality_code)
        / count(distinct student_id) as share_schooled_elsewhere,
    cast(count(distinct school_location_id) filter (where destination_code <> responsible_municipality_code) as integer) as schools_elsewhere,
    cast(count(distinct destination_code) filter (where destination_code <> responsible_municipality_code) as integer) as municipalities_elsewhere,
    linked_source_of(home_support.source) as source
from home_support
left join ref_place_names as names on names.code = home_support.responsible_municipality_code
group by home_support.school_year, home_support.responsible_municipality_code
order by school_year, code
