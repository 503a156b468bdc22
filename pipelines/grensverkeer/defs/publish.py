"""The publication layer: the marts every published number is read from (models/publish/).

Site, exports, graph and the CLI summary format what these tables hold and compute nothing
of their own, so a figure is the same in every output (docs/disclosure.md, "One truth").
"""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..disclosure.need_levels import published_need_levels
from ..partitions import each_school_year, one_run, school_years
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
@each_school_year
def publication(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    with duckdb.get_connection() as con:
        write_need_levels(con, paths)
        counts = warehouse.run_models(con, [(m, None, None) for m in PUBLICATION_MODELS], context.partition_key)
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
@each_school_year
def publication_adds_up(context, duckdb: DuckDBResource) -> AssetCheckResult:
    year = context.partition_key
    with duckdb.get_connection() as con:
        out_of_bounds, off_duo, cells, flows, residents, estimate = con.execute(
            """
            select
              (select count(*) from pub_school_catchment where school_year = $1
                 and not students between students_low and students_high),
              (select count(*) from pub_school_totals where school_year = $1 and not matches_duo),
              (select coalesce(sum(students), 0) from pub_school_catchment where school_year = $1),
              (select coalesce(sum(students), 0) from pub_flows where school_year = $1 and is_public),
              (select coalesce(sum(residents_at_school), 0) from pub_municipality_profile
                 where school_year = $1 and sector <> 'ALLE' and is_public),
              (select count(*) from
                 (select school_location_id, sum(students) as s from pub_school_catchment
                  where school_year = $1 group by all) as p
                 join (select school_location_id, sum(students) as s from school_catchment
                       where school_year = $1 group by all) as c using (school_location_id)
                 where abs(p.s - c.s) >= 1)""",
            [year],
        ).fetchall()[0]
    failed = []
    if out_of_bounds:
        failed.append(f"{out_of_bounds} published cells outside their bounds")
    if off_duo:
        failed.append(f"{off_duo} school locations whose published pupils differ from DUO's location total")
    if cells != flows:
        failed.append(f"cells add up to {cells} pupils but flows to {flows}")
    if estimate:
        failed.append(f"{estimate} school locations whose rounded cells differ from their estimates by 1 or more")
    return AssetCheckResult(
        passed=not failed,
        metadata={"pupils": cells, "residents_in_profiles": residents, "failures": "\n".join(failed) or "none"},
    )
