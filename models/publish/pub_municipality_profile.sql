-- pub_municipality_profile: per municipality, school year and sector (and 'ALLE', all
-- sectors together, also when there is one sector) where its resident pupils go to school and who comes in. Every figure
-- is a sum of published flows (pub_flows), so it adds up exactly with them in every output;
-- bounds are the sums of the flows' bounds. Replaces the former mart municipality_profile.
-- Set-based over the school years of the run (run_years).

with flows as (
    select school_year, sector, origin_code, destination_code, students, students_low, students_high, is_public, source
    from pub_flows
    where run_years(school_year)
),

all_sectors as (
    select * from flows
    union all by name
    select school_year, 'ALLE' as sector, origin_code, destination_code, students, students_low, students_high, is_public, source
    from flows
),

outgoing as (
    select
        school_year, sector, origin_code as code,
        sum(students) as residents_at_school,
        sum(students_low) as residents_at_school_low,
        sum(students_high) as residents_at_school_high,
        coalesce(sum(students) filter (where origin_code = destination_code), 0) as schooled_in_own,
        coalesce(sum(students_low) filter (where origin_code = destination_code), 0) as schooled_in_own_low,
        coalesce(sum(students_high) filter (where origin_code = destination_code), 0) as schooled_in_own_high,
        coalesce(sum(students) filter (where origin_code <> destination_code), 0) as schooled_elsewhere,
        coalesce(sum(students_low) filter (where origin_code <> destination_code), 0) as schooled_elsewhere_low,
        coalesce(sum(students_high) filter (where origin_code <> destination_code), 0) as schooled_elsewhere_high,
        bool_and(is_public) as is_public,
        min(source) as source
    from all_sectors
    group by all
),

incoming as (
    select
        school_year, sector, destination_code as code,
        sum(students) as incoming,
        sum(students_low) as incoming_low,
        sum(students_high) as incoming_high,
        bool_and(is_public) as is_public,
        min(source) as source
    from all_sectors
    where origin_code <> destination_code
    group by all
),

joined as (
    select
        coalesce(o.school_year, i.school_year) as school_year,
        coalesce(o.sector, i.sector) as sector,
        coalesce(o.code, i.code) as code,
        coalesce(o.residents_at_school, 0) as residents_at_school,
        coalesce(o.residents_at_school_low, 0) as residents_at_school_low,
        coalesce(o.residents_at_school_high, 0) as residents_at_school_high,
        coalesce(o.schooled_in_own, 0) as schooled_in_own,
        coalesce(o.schooled_in_own_low, 0) as schooled_in_own_low,
        coalesce(o.schooled_in_own_high, 0) as schooled_in_own_high,
        coalesce(o.schooled_elsewhere, 0) as schooled_elsewhere,
        coalesce(o.schooled_elsewhere_low, 0) as schooled_elsewhere_low,
        coalesce(o.schooled_elsewhere_high, 0) as schooled_elsewhere_high,
        coalesce(i.incoming, 0) as incoming,
        coalesce(i.incoming_low, 0) as incoming_low,
        coalesce(i.incoming_high, 0) as incoming_high,
        coalesce(o.is_public, true) and coalesce(i.is_public, true) as is_public,
        coalesce(o.source, i.source) as source
    from outgoing as o
    full outer join incoming as i using (school_year, sector, code)
)

select
    joined.school_year,
    joined.sector,
    joined.code,
    names.name,
    joined.code in (select code from ref_region_members) as in_region,
    cast(joined.residents_at_school as bigint) as residents_at_school,
    cast(joined.residents_at_school_low as bigint) as residents_at_school_low,
    cast(joined.residents_at_school_high as bigint) as residents_at_school_high,
    cast(joined.schooled_in_own as bigint) as schooled_in_own,
    cast(joined.schooled_in_own_low as bigint) as schooled_in_own_low,
    cast(joined.schooled_in_own_high as bigint) as schooled_in_own_high,
    cast(joined.schooled_elsewhere as bigint) as schooled_elsewhere,
    cast(joined.schooled_elsewhere_low as bigint) as schooled_elsewhere_low,
    cast(joined.schooled_elsewhere_high as bigint) as schooled_elsewhere_high,
    cast(joined.incoming as bigint) as incoming,
    cast(joined.incoming_low as bigint) as incoming_low,
    cast(joined.incoming_high as bigint) as incoming_high,
    cast(joined.incoming - joined.schooled_elsewhere as bigint) as net_flow,
    joined.schooled_in_own / nullif(joined.residents_at_school, 0) as retention_share,
    joined.is_public,
    joined.source
from joined
left join ref_place_names as names on names.code = joined.code
where joined.code like 'GM%'
order by joined.school_year, joined.sector, joined.code
