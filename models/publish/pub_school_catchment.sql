-- pub_school_catchment: the published pupils of every school location per sector and home
-- municipality. DUO open data, so public: published as the data allow, no suppression.
-- One rounding rule for every estimate that leaves the warehouse: per school location,
-- its estimated cells are rounded by largest remainder, so every cell stays within its
-- exact bounds (floor or ceiling of the estimate) and the cells add up to the location's
-- total (DUO's exact total where the location-totals file has it). Every published flow,
-- profile and total is a sum of these integers, so a figure is the same in every output.
-- Label: the count itself; an estimated cell of at most 4 pupils is '<5', as DUO shows it.
-- Set-based over the school years of the run (run_years).

with catchment as (
    select
        school_year, sector, school_location_id, school_name, school_municipality_code, origin_code,
        -- cleaned of float noise from the estimator before taking floors
        round(students, 6) as students, students_low, students_high
    from school_catchment
    where run_years(school_year)
),

floored as (
    select
        *,
        greatest(least(floor(students), students_high), students_low) as students_floor
    from catchment
),

ranked as (
    select
        *,
        cast(round(sum(students) over (partition by school_year, school_location_id)) as bigint)
            - cast(sum(students_floor) over (partition by school_year, school_location_id) as bigint) as units_to_add,
        row_number() over (
            partition by school_year, school_location_id
            order by students - students_floor desc, sector, origin_code
        ) as remainder_rank
    from floored
),

rounded as (
    select
        *,
        cast(students_floor + case when remainder_rank <= units_to_add and students_floor < students_high then 1 else 0 end
             as bigint) as published
    from ranked
)

select
    rounded.school_year,
    rounded.sector,
    rounded.school_location_id,
    rounded.school_name,
    rounded.school_municipality_code,
    school_names.name as school_municipality_name,
    rounded.school_municipality_code in (select code from ref_region_members) as school_in_region,
    rounded.origin_code,
    origin_names.name as origin_name,
    rounded.origin_code in (select code from ref_region_members) as origin_in_region,
    rounded.published as students,
    cast(rounded.students_low as bigint) as students_low,
    cast(rounded.students_high as bigint) as students_high,
    rounded.students_low < rounded.students_high as estimated,
    case when rounded.students_low < rounded.students_high and rounded.students_high < 5 then '<5'
         else cast(rounded.published as varchar) end as label,
    'duo' as source
from rounded
left join ref_place_names as school_names on school_names.code = rounded.school_municipality_code
left join ref_place_names as origin_names on origin_names.code = rounded.origin_code
order by rounded.school_year, rounded.school_location_id, rounded.sector, rounded.origin_code
