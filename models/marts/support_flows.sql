-- support_flows: pupils of the linked records per school year, sector, home municipality
-- (origin) and school municipality (destination), and how many of them had support in a
-- domain that year. support_domain 'totaal' counts pupils with support in any domain.

with enrolments as (
    select student_id, sector, origin_code, destination_code, source
    from stg_linked_enrolments
    where school_year = getvariable('school_year') and reason_code is null
),

supported as (
    select distinct student_id, support_domain, source
    from int_pupil_support where school_year = getvariable('school_year')
    union
    select distinct student_id, 'totaal', source
    from int_pupil_support where school_year = getvariable('school_year')
),

domains as (
    select unnest(['jeugdhulp', 'jeugdbescherming', 'onderwijsondersteuning', 'leerplicht', 'totaal']) as support_domain
),

flows as (
    select sector, origin_code, destination_code, count(*) as students, linked_source_of(source) as source
    from enrolments
    group by all
),

with_support as (
    select enrolments.sector, enrolments.origin_code, enrolments.destination_code, supported.support_domain,
           count(distinct enrolments.student_id) as students_with_support,
           linked_source_of(supported.source) as source
    from enrolments
    join supported using (student_id)
    group by all
)

select
    getvariable('school_year') as school_year,
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
left join with_support using (sector, origin_code, destination_code, support_domain)
left join ref_place_names as origin_names on origin_names.code = flows.origin_code
left join ref_place_names as destination_names on destination_names.code = flows.destination_code
order by flows.sector, flows.origin_code, flows.destination_code, domains.support_domain
