"""The publication layer: the marts every published number is read from (models/publish/).

Site, exports, graph and the CLI summary format what these tables hold and compute nothing
of their own, so a figure is the same in every output (docs/disclosure.md, "One truth").
"""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..disclosure.need_levels import published_need_levels
from ..partitions import one_run, school_years, step_years
from ..resources import ProjectPaths
from .marts import school_catchment
from .staging import stg_location_totals
from .support import agreement_needs, school_coordination_load, support_flows

PUBLICATION_MODELS = [
    "publish/pub_school_catchment",
    "publish/pub_flows",
    "publish/pub_municipality_profile",
    "publish/pub_school_totals",
    "publish/pub_agreement_needs",
    "publish/pub_school_coordination",
]


@asset(
    group_name="publish",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[school_catchment, support_flows, agreement_needs, school_coordination_load, stg_location_totals],
    description="Publication marts (pub_school_catchment, pub_flows, pub_municipality_profile, pub_school_totals, "
    "pub_agreement_needs, pub_school_coordination): "
    "one rounding rule for estimates, one name per municipality, one label per public cell.",
)
def publication(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    with duckdb.get_connection() as con:
        write_need_levels(con, paths)
        counts = warehouse.run_models_over_years(
            con, [(m, None, None) for m in PUBLICATION_MODELS], step_years(context)
        )
    return MaterializeResult(metadata={m.split("/")[1]: n for m, n in zip(PUBLICATION_MODELS, counts)})


def write_need_levels(con, paths: ProjectPaths) -> None:
    """pub_need_levels: the need level printed for each true level, for shown and hidden counts."""
    a = paths.region().agreements
    levels = published_need_levels(
        paths.disclosure().k,
        {
            "gemeentepaar": (a["pair_agreement_needed"], a["pair_attention"]),
            "school": (a["school_agreement_needed"], a["school_attention"]),
        },
        # school rows of level 'geen' are left out of the listings (site and exports): never printed
        unlisted={"school": frozenset({"geen"})},
    )
    con.register("need_levels_frame", levels)
    con.execute("create or replace table pub_need_levels as select * from need_levels_frame")
    con.unregister("need_levels_frame")


@asset_check(
    asset=publication,
    blocking=True,
    description="Published cells stay within their bounds, add up to DUO's exact location totals, and the "
    "flows and profiles add up to the same pupils as the cells.",
)
def publication_adds_up(context, duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        per_year = con.execute(
            """
            with cells as (
                select school_year,
                       count(*) filter (where not students between students_low and students_high) as out_of_bounds,
                       sum(students) as students
                from pub_school_catchment where run_years(school_year) group by all
            ),
            totals as (
                select school_year, count(*) filter (where not matches_duo) as off_duo
                from pub_school_totals where run_years(school_year) group by all
            ),
            flows as (
                select school_year, sum(students) as students
                from pub_flows where run_years(school_year) and is_public group by all
            ),
            profiles as (
                select school_year, sum(residents_at_school) as residents
                from pub_municipality_profile where run_years(school_year) and sector <> 'ALLE' and is_public group by all
            ),
            published as (
                select school_year, school_location_id, sum(students) as s
                from pub_school_catchment where run_years(school_year) group by all
            ),
            estimated as (
                select school_year, school_location_id, sum(students) as s
                from school_catchment where run_years(school_year) group by all
            ),
            off_estimate as (
                select school_year, count(*) as locations
                from published join estimated using (school_year, school_location_id)
                where abs(published.s - estimated.s) >= 1
                group by all
            ),
            years as (
                select school_year from cells union select school_year from totals
                union select school_year from flows union select school_year from profiles
            )
            select
                years.school_year,
                coalesce(cells.out_of_bounds, 0),
                coalesce(totals.off_duo, 0),
                coalesce(cells.students, 0),
                coalesce(flows.students, 0),
                coalesce(profiles.residents, 0),
                coalesce(off_estimate.locations, 0)
            from years
            left join cells using (school_year)
            left join totals using (school_year)
            left join flows using (school_year)
            left join profiles using (school_year)
            left join off_estimate using (school_year)
            order by years.school_year
            """
        ).fetchall()
    failed = []
    for year, out_of_bounds, off_duo, cells, flows, _, estimate in per_year:
        if out_of_bounds:
            failed.append(f"{year}: {out_of_bounds} published cells outside their bounds")
        if off_duo:
            failed.append(f"{year}: {off_duo} school locations whose published pupils differ from DUO's location total")
        if cells != flows:
            failed.append(f"{year}: cells add up to {cells} pupils but flows to {flows}")
        if estimate:
            failed.append(
                f"{year}: {estimate} school locations whose rounded cells differ from their estimates by 1 or more"
            )
    return AssetCheckResult(
        passed=not failed,
        metadata={
            "pupils": sum(r[3] for r in per_year),
            "residents_in_profiles": sum(r[5] for r in per_year),
            "failures": "\n".join(failed) or "none",
        },
    )
