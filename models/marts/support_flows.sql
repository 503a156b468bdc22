-- support_flows: pupils of the linked records per school year, sector, home municipality
-- (origin) and school municipality (destination), and how many of them had support in a
-- domain that year. support_domain 'totaal' counts pupils with support in any domain.
--
-- int_pupil_support carries each pupil's one enrolment of the year (sector, origin,
-- destination), so the pupils with support are counted there, without joining the
-- enrolments again. Set-based over the school years of the run (run_years).

with flows as (
    select school_year, sector, origin_code, destination_code, count(*) as students, linked_source_of(source) as source
    from stg_linked_enrolments
    where run_years(school_year) and reason_code is null
    group by all
),

-- one row per pupil, flow and domain (a pupil can have support from several teams in a domain)
pupil_domains as (
    select
        school_year, sector, origin_code, destination_code, support_domain, student_id,
        bool_or(source = 'synthetic') as synthetic
    from int_pupil_support
    where run_years(school_year)
    group by all
),

with_support as (
    select
        school_year, sector, origin_code, destination_code, support_domain,
        count(*) as students_with_support,
        case when bool_or(synthetic) then 'synthetic' else 'linked' end as source
    from pupil_domains
    group by all
    union all
    select
        school_year, sector, origin_code, destination_code, 'totaal',
        count(distinct student_id),
        case when bool_or(synthetic) then 'synthetic' else 'linked' end
    from pupil_domains
    group by all
),

domains as (
    select unnest(['jeugdhulp', 'jeugdbescherming', 'onderwijsondersteuning', 'leerplicht', 'totaal']) as support_domain
)

select
    flows.school_year,
    flows.sector,
    flows.origin_code,
    origin_names.name as origin_name,
    flows.destination_code,
    destination_names.name as destination_name,
    domains.support_domain,
    cast(flows.students as integer) as students,
    cast(coalesce(with_support.students_with_support, 0) as integer) as students_with_support,
    either_source(flows.source, with_support.source) as source
from flows
cross join domains
left join with_support using (school_year, sector, origin_code, destination_code, support_domain)
left join ref_place_names as origin_names on origin_names.code = flows.origin_code
left join ref_place_names as destination_names on destination_names.code = flows.destination_code
order by flows.school_year, flows.sector, flows.origin_code, flows.destination_code, domains.support_domain
