"""Support overlay and agreement needs from the linked records."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..partitions import one_run, school_years, step_years
from ..resources import ProjectPaths
from .linked import set_linked_variables, stg_linked_records

NEED_LEVELS = ["afspraak nodig", "aandachtspunt", "geen"]


def _materialize(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths, model: str
) -> MaterializeResult:
    """Run `model` over the school years of the step, one statement per year
    (`warehouse.run_models_each_year`): the support marts count distinct pupils per group, and
    one year at a time their hash tables stay small; ten national years of
    municipality_support_profile, school_coordination_load and school_local_team took 5.2, 7.1
    and 12.4 s of CPU in one statement, 3.4, 4.4 and 8.3 s per year (docs/performance.md,
    Session 14). The rows are the same."""
    with duckdb.get_connection() as con:
        set_linked_variables(con, paths)
        (n,) = warehouse.run_models_each_year(con, [(model, None, None)], step_years(context))
    return MaterializeResult(metadata={"rows": n})


@asset(
    group_name="intermediate",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[stg_linked_records],
    description="Each enrolment with the support episodes that overlap its school year (1 Aug - 31 Jul).",
)
def int_pupil_support(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    with duckdb.get_connection() as con:
        set_linked_variables(con, paths)
        n = run_pupil_support(con, step_years(context))
    return MaterializeResult(metadata={"rows": n})


def run_pupil_support(con, years: list[str]) -> int:
    """int_pupil_support, one statement per school year (`warehouse.run_models_each_year`): a
    year's enrolments join only that year's episodes; one year's join ran twice as fast as one
    statement over ten (docs/performance.md, Session 12)."""
    return warehouse.run_models_each_year(con, [("intermediate/int_pupil_support", None, None)], years)[0]


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Pupils per year, sector, home and school municipality, and how many had support per domain.",
)
def support_flows(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "marts/support_flows")


@asset_check(
    asset=support_flows, blocking=True, description="Every accepted enrolment is in one flow; supported <= pupils."
)
def support_flows_reconcile(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        per_year = con.execute(
            """
            with enrolled as (
                select school_year, count(*) as enrolments
                from stg_linked_enrolments where run_years(school_year) and reason_code is null group by all
            ),
            in_flows as (
                select school_year, sum(students) as students
                from support_flows where run_years(school_year) and support_domain = 'totaal' group by all
            )
            select school_year, coalesce(enrolments, 0), coalesce(students, 0)
            from enrolled full outer join in_flows using (school_year) order by school_year
            """
        ).fetchall()
        outcome = run_suite(
            con,
            "select *, students_with_support <= students as within from support_flows where run_years(school_year)",
            [
                e.ExpectColumnValuesToBeInSet(column="within", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="source", value_set=["synthetic", "linked"]),
            ],
            "support_flows",
            by_year=True,
        )
    failed = outcome.failed + [
        f"{year}: {enrolled} enrolments but {in_flows} pupils in flows"
        for year, enrolled, in_flows in per_year
        if enrolled != in_flows
    ]
    return AssetCheckResult(
        passed=not failed,
        metadata={"enrolments": sum(r[1] for r in per_year), "failures": "\n".join(failed) or "none"},
    )


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Per school: the local teams (responsible municipalities) of its pupils with support.",
)
def school_local_team(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "marts/school_local_team")


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Where a local team and schools in another municipality need an agreement: per municipality "
    "pair and per school x local team, with the level from the region's thresholds and the reason in Dutch.",
)
def agreement_needs(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    result = _materialize(context, duckdb, paths, "marts/agreement_needs")
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        levels = con.execute(
            """select level || ': ' || need_level, count(*) from agreement_needs
               where run_years(school_year) group by all order by all"""
        ).fetchall()
    return MaterializeResult(metadata={**result.metadata, **{k: v for k, v in levels}})


@asset_check(asset=agreement_needs, blocking=True, description="Levels follow the thresholds; every need has a reason.")
def agreement_needs_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        outcome = run_suite(
            con,
            """
            select *, need_level = case when students_with_support >= threshold_needed then 'afspraak nodig'
                                        when students_with_support >= threshold_attention then 'aandachtspunt'
                                        else 'geen' end as level_follows_rule,
                   local_team_municipality_code <> school_municipality_code as crosses_border
            from agreement_needs where run_years(school_year)""",
            [
                e.ExpectColumnValuesToBeInSet(column="need_level", value_set=NEED_LEVELS),
                e.ExpectColumnValuesToBeInSet(column="level_follows_rule", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="crosses_border", value_set=[True]),
                e.ExpectColumnValuesToNotBeNull(column="reason"),
                e.ExpectColumnValuesToBeInSet(column="level", value_set=["gemeentepaar", "school"]),
            ],
            "agreement_needs",
            by_year=True,
        )
    return AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Coördinatielast: per school, the number of distinct local teams it works with.",
)
def school_coordination_load(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths
) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "marts/school_coordination_load")


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Per municipality (local team): pupils with support and the share schooled elsewhere.",
)
def municipality_support_profile(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths
) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "marts/municipality_support_profile")
