-- swv_pupils: DUO pupils per school year and sector from the SWV area they live in (home PC4) to the SWV area
-- of their school (the school's PC4; when the school is not in the address list, the SWV of its municipality
-- if that municipality lies in one SWV only, else 'onbekend'), with the home municipality (its local team).
-- SO belongs to the PO SWV, VSO to the VO SWV.
-- Read by the dashboards (grensverkeer.site.swv) for the SWV pages; estimates are rounded there.

with rows as (
    select school_year, file_name, line, sector, school_location_id, origin_code, destination_code, students, masked_cells
    from int_row_estimates
),

homes as (
    select school_year, file_name, line, home_pc4
    from stg_duo_rows
),

areas as (
    select pc4, po_swv, vo_swv, municipality_code
    from ref_swv_pc4
),

schools as (
    select school_location_id, left(postcode, 4) as pc4
    from ref_school_locations
),

single_area as (
    -- municipalities whose PC4 all lie in one SWV: a school without address gets that SWV
    select municipality_code, min(po_swv) as po_swv, min(vo_swv) as vo_swv,
           count(distinct po_swv) as po_areas, count(distinct vo_swv) as vo_areas
    from areas
    group by municipality_code
),

placed as (
    select
        r.school_year,
        r.sector,
        case when r.sector in ('BO', 'SBO', 'SO') then 'PO' else 'VO' end as swv_kind,
        r.school_location_id,
        r.origin_code,
        r.destination_code as school_municipality_code,
        case when r.sector in ('BO', 'SBO', 'SO') then ha.po_swv else ha.vo_swv end as home_swv,
        coalesce(
            case when r.sector in ('BO', 'SBO', 'SO') then sa.po_swv else sa.vo_swv end,
            case when r.sector in ('BO', 'SBO', 'SO') and m.po_areas = 1 then m.po_swv
                 when r.sector not in ('BO', 'SBO', 'SO') and m.vo_areas = 1 then m.vo_swv end,
            'onbekend') as school_swv,
        r.students,
        r.masked_cells > 0 as estimated
    from rows as r
    left join homes as h using (school_year, file_name, line)
    left join areas as ha on ha.pc4 = h.home_pc4
    left join schools as s on s.school_location_id = r.school_location_id
    left join areas as sa on sa.pc4 = s.pc4
    left join single_area as m on m.municipality_code = r.destination_code
)

select
    school_year,
    sector,
    swv_kind,
    coalesce(home_swv, 'onbekend') as home_swv,
    school_swv,
    origin_code,
    sum(students) as students,
    bool_or(estimated) as estimated
from placed
group by all
order by school_year, sector, home_swv, school_swv, origin_code
