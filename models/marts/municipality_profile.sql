-- municipality_profile: per municipality, school year and sector, where its resident pupils
-- go to school and who comes in. Bounds are exact given the school locations' totals:
-- every measure is added up per school location first (see docs/masking.md).
-- Residents are complete only for municipalities whose pupils' schools are all in the
-- input (the region, with the extract of schools outside it): see in_region.

with pupil_rows as (
    select *, origin_code = destination_code as is_own
    from int_row_estimates
    where school_year = getvariable('school_year')
),

-- One group per location and home municipality: a resident group is either all schooled
-- in the own municipality or all elsewhere, since a location lies in one municipality.
resident_groups as (
    select
        school_year, sector, origin_code as code, is_own,
        sum(students) as students,
        sum(unmasked_students) + masked_sum_low(sum(masked_cells), any_value(location_masked_cells), any_value(location_remainder_low)) as students_low,
        sum(unmasked_students) + masked_sum_high(sum(masked_cells), any_value(location_masked_cells), any_value(location_remainder_high)) as students_high
    from pupil_rows
    group by school_year, sector, school_location_id, origin_code, is_own
),

-- One group per location of all pupils from other municipalities.
incoming_groups as (
    select
        school_year, sector, destination_code as code,
        sum(students) as students,
        sum(unmasked_students) + masked_sum_low(sum(masked_cells), any_value(location_masked_cells), any_value(location_remainder_low)) as students_low,
        sum(unmasked_students) + masked_sum_high(sum(masked_cells), any_value(location_masked_cells), any_value(location_remainder_high)) as students_high
    from pupil_rows
    where not is_own
    group by school_year, sector, school_location_id, destination_code
),

outgoing as (
    select
        school_year, sector, code,
        sum(students) as residents_at_school,
        sum(students_low) as residents_at_school_low,
        sum(students_high) as residents_at_school_high,
        coalesce(sum(students) filter (where is_own), 0) as schooled_in_own,
        coalesce(sum(students_low) filter (where is_own), 0) as schooled_in_own_low,
        coalesce(sum(students_high) filter (where is_own), 0) as schooled_in_own_high,
        coalesce(sum(students) filter (where not is_own), 0) as schooled_elsewhere,
        coalesce(sum(students_low) filter (where not is_own), 0) as schooled_elsewhere_low,
        coalesce(sum(students_high) filter (where not is_own), 0) as schooled_elsewhere_high
    from resident_groups
    group by all
),

incoming as (
    select
        school_year, sector, code,
        sum(students) as incoming,
        sum(students_low) as incoming_low,
        sum(students_high) as incoming_high
    from incoming_groups
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
        coalesce(i.incoming_high, 0) as incoming_high
    from outgoing as o
    full outer join incoming as i using (school_year, sector, code)
)

select
    joined.school_year,
    joined.sector,
    joined.code,
    m.name,
    joined.code in (select code from ref_region_members) as in_region,
    joined.residents_at_school,
    cast(joined.residents_at_school_low as integer) as residents_at_school_low,
    cast(joined.residents_at_school_high as integer) as residents_at_school_high,
    joined.schooled_in_own,
    cast(joined.schooled_in_own_low as integer) as schooled_in_own_low,
    cast(joined.schooled_in_own_high as integer) as schooled_in_own_high,
    joined.schooled_elsewhere,
    cast(joined.schooled_elsewhere_low as integer) as schooled_elsewhere_low,
    cast(joined.schooled_elsewhere_high as integer) as schooled_elsewhere_high,
    joined.incoming,
    cast(joined.incoming_low as integer) as incoming_low,
    cast(joined.incoming_high as integer) as incoming_high,
    joined.incoming - joined.schooled_elsewhere as net_flow,
    cast(joined.incoming_low - joined.schooled_elsewhere_high as integer) as net_flow_low,
    cast(joined.incoming_high - joined.schooled_elsewhere_low as integer) as net_flow_high,
    joined.schooled_in_own / nullif(joined.residents_at_school, 0) as retention_share,
    joined.schooled_in_own_low / nullif(joined.schooled_in_own_low + joined.schooled_elsewhere_high, 0) as retention_share_low,
    joined.schooled_in_own_high / nullif(joined.schooled_in_own_high + joined.schooled_elsewhere_low, 0) as retention_share_high,
    'duo' as source
from joined
left join ref_municipalities as m on m.code = joined.code
where joined.code like 'GM%'
order by joined.sector, joined.code
