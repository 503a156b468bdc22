-- pub_flows: the published pupils per school year, sector, home municipality (origin) and
-- school municipality (destination). In a year with DUO files: the sum of the published
-- catchment cells (pub_school_catchment), public, labelled as DUO would ('<5' for an
-- estimated flow of at most 4 pupils). In a year with only linked records: the linked
-- enrolments (private: `label` is null, the disclosure step of each publication sets it).
-- Set-based over the school years of the run (run_years).

with duo_cells as (
    select * from pub_school_catchment where run_years(school_year)
),

duo as (
    select
        school_year,
        sector,
        origin_code,
        school_municipality_code as destination_code,
        sum(students) as students,
        sum(students_low) as students_low,
        sum(students_high) as students_high,
        count(distinct school_location_id) as schools,
        true as is_public,
        'duo' as source
    from duo_cells
    group by all
),

linked as (
    select
        school_year,
        sector,
        origin_code,
        destination_code,
        cast(students as bigint) as students,
        cast(students as bigint) as students_low,
        cast(students as bigint) as students_high,
        cast(null as bigint) as schools,
        false as is_public,
        source
    from support_flows
    where run_years(school_year) and support_domain = 'totaal'
      and school_year not in (select school_year from duo_cells)
),

flows as (
    select * from duo
    union all by name
    select * from linked
)

select
    flows.school_year,
    flows.sector,
    flows.origin_code,
    origin_names.name as origin_name,
    flows.origin_code in (select code from ref_region_members) as origin_in_region,
    flows.destination_code,
    destination_names.name as destination_name,
    flows.destination_code in (select code from ref_region_members) as destination_in_region,
    cast(flows.students as bigint) as students,
    cast(flows.students_low as bigint) as students_low,
    cast(flows.students_high as bigint) as students_high,
    flows.students_low < flows.students_high as estimated,
    cast(flows.schools as bigint) as schools,
    flows.is_public,
    case when not flows.is_public then null
         when flows.students_low < flows.students_high and flows.students_high < 5 then '<5'
         else cast(flows.students as varchar) end as label,
    flows.source
from flows
left join ref_place_names as origin_names on origin_names.code = flows.origin_code
left join ref_place_names as destination_names on destination_names.code = flows.destination_code
order by flows.school_year, flows.sector, flows.origin_code, flows.destination_code
