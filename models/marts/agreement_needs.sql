-- agreement_needs: where a local team of municipality A and schools in municipality B
-- (A <> B) need to agree how they work together, at two levels:
--   'gemeentepaar': local team of A x all schools in B;
--   'school':       local team of A x one school in B.
-- Counted: distinct pupils with support in the agreement domains (region config,
-- default jeugdhulp and jeugdbescherming: what the local team arranges) schooled in B.
-- Levels come from the region's thresholds (docs/agreements.md). Set-based over the school
-- years of the run (run_years).

with school_support as (
    select distinct school_year, student_id
    from int_pupil_support
    where run_years(school_year) and support_domain = 'onderwijsondersteuning'
),

home_support as (
    select distinct
        support.school_year, support.student_id, support.school_location_id, support.school_name,
        support.destination_code, support.responsible_municipality_code, support.source,
        school_support.student_id is not null as has_school_support
    from int_pupil_support as support
    left join school_support using (school_year, student_id)
    where run_years(support.school_year)
      and list_contains(getvariable('agreement_domains'), support.support_domain)
      and support.responsible_municipality_code <> support.destination_code
),

teams as (
    select school_year, responsible_municipality_code, mode(local_team) as local_team
    from int_pupil_support
    where run_years(school_year)
    group by all
),

pairs as (
    select
        school_year,
        'gemeentepaar' as level,
        responsible_municipality_code,
        destination_code,
        cast(null as varchar) as school_location_id,
        cast(null as varchar) as school_name,
        count(distinct student_id) as students_with_support,
        count(distinct student_id) filter (where has_school_support) as students_with_school_support,
        count(distinct school_location_id) as schools,
        getvariable('pair_agreement_needed') as threshold_needed,
        getvariable('pair_attention') as threshold_attention,
        linked_source_of(source) as source
    from home_support
    group by all
),

schools as (
    select
        school_year,
        'school' as level,
        responsible_municipality_code,
        destination_code,
        school_location_id,
        any_value(school_name) as school_name,
        count(distinct student_id) as students_with_support,
        count(distinct student_id) filter (where has_school_support) as students_with_school_support,
        1 as schools,
        getvariable('school_agreement_needed') as threshold_needed,
        getvariable('school_attention') as threshold_attention,
        linked_source_of(source) as source
    from home_support
    group by all
),

leveled as (
    select
        *,
        case
            when students_with_support >= threshold_needed then 'afspraak nodig'
            when students_with_support >= threshold_attention then 'aandachtspunt'
            else 'geen'
        end as need_level
    from (select * from pairs union all by name select * from schools)
)

select
    leveled.school_year,
    leveled.level,
    leveled.responsible_municipality_code as local_team_municipality_code,
    team_names.name as local_team_municipality_name,
    teams.local_team,
    leveled.destination_code as school_municipality_code,
    school_names.name as school_municipality_name,
    leveled.responsible_municipality_code in (select code from ref_region_members) as local_team_in_region,
    leveled.destination_code in (select code from ref_region_members) as school_in_region,
    leveled.school_location_id,
    leveled.school_name,
    cast(leveled.students_with_support as integer) as students_with_support,
    cast(leveled.students_with_school_support as integer) as students_with_school_support,
    cast(leveled.schools as integer) as schools,
    leveled.need_level,
    cast(leveled.threshold_needed as integer) as threshold_needed,
    cast(leveled.threshold_attention as integer) as threshold_attention,
    format(
        '{} {} met {} van het lokale team van {} {} naar {} in {}; {} daarvan {} ook onderwijsondersteuning. '
        || 'Regel: "afspraak nodig" vanaf {} leerlingen, "aandachtspunt" vanaf {}.',
        leveled.students_with_support,
        case when leveled.students_with_support = 1 then 'leerling' else 'leerlingen' end,
        array_to_string(getvariable('agreement_domains'), ' of '),
        team_names.name,
        case when leveled.students_with_support = 1 then 'gaat' else 'gaan' end,
        case when leveled.level = 'school' then 'school ' || coalesce(leveled.school_name, leveled.school_location_id)
             else leveled.schools || case when leveled.schools = 1 then ' school' else ' scholen' end end,
        school_names.name,
        leveled.students_with_school_support,
        case when leveled.students_with_school_support = 1 then 'krijgt' else 'krijgen' end,
        leveled.threshold_needed,
        leveled.threshold_attention
    ) as reason,
    leveled.source
from leveled
left join teams using (school_year, responsible_municipality_code)
left join ref_place_names as team_names on team_names.code = leveled.responsible_municipality_code
left join ref_place_names as school_names on school_names.code = leveled.destination_code
order by leveled.school_year, leveled.level, leveled.students_with_support desc, leveled.responsible_municipality_code,
         leveled.destination_code, leveled.school_location_id
