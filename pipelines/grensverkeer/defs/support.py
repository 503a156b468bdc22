"""Support overlay and agreement needs from the linked records."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..partitions import each_school_year, one_run, school_years
from ..resources import ProjectPaths
from .linked import set_linked_variables, stg_linked_records

NEED_LEVELS = ["afspraak nodig", "aandachtspunt", "geen"]


def _materialize(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths, model: str
) -> MaterializeResult:
    with duckdb.get_connection() as con:
        set_linked_variables(con, paths)
        n = warehouse.run_model(con, model, context.partition_key)
    return MaterializeResult(metadata={"rows": n})


@asset(
    group_name="intermediate",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[stg_linked_records],
    description="Each enrolment with the support episodes that overlap its school year (1 Aug - 31 Jul).",
)
@each_school_year
def int_pupil_support(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "intermediate/int_pupil_support")


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Pupils per year, sector, home and school municipality, and how many had support per domain.",
)
@each_school_year
def support_flows(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "marts/support_flows")


@asset_check(
    asset=support_flows, blocking=True, description="Every accepted enrolment is in one flow; supported <= pupils."
)
@each_school_year
def support_flows_reconcile(context, duckdb: DuckDBResource) -> AssetCheckResult:
    year = context.partition_key
    e = gxe()
    with duckdb.get_connection() as con:
        enrolled, in_flows = con.execute(
            """
            select (select count(*) from stg_linked_enrolments where school_year = $1 and reason_code is null),
                   (select coalesce(sum(students), 0) from support_flows where school_year = $1 and support_domain = 'totaal')
            """,
            [year],
        ).fetchall()[0]
        outcome = run_suite(
            con,
            f"""
            select *, students_with_support <= students as within from support_flows where school_year = '{year}'""",
            [
                e.ExpectColumnValuesToBeInSet(column="within", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="source", value_set=["synthetic", "linked"]),
            ],
            "support_flows",
        )
    failed = outcome.failed + (
        [f"{enrolled} enrolments but {in_flows} pupils in flows"] if enrolled != in_flows else []
    )
    return AssetCheckResult(
        passed=not failed, metadata={"enrolments": enrolled, "failures": "\n".join(failed) or "none"}
    )


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Per school: the local teams (responsible municipalities) of its pupils with support.",
)
@each_school_year
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
@each_school_year
def agreement_needs(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    result = _materialize(context, duckdb, paths, "marts/agreement_needs")
    with duckdb.get_connection() as con:
        levels = con.execute(
            """select level || ': ' || need_level, count(*) from agreement_needs
                                where school_year = ? group by all order by all""",
            [context.partition_key],
        ).fetchall()
    return MaterializeResult(metadata={**result.metadata, **{k: v for k, v in levels}})


@asset_check(asset=agreement_needs, blocking=True, description="Levels follow the thresholds; every need has a reason.")
@each_school_year
def agreement_needs_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        outcome = run_suite(
            con,
            f"""
            select *, need_level = case when students_with_support >= threshold_needed then 'afspraak nodig'
                                        when students_with_support >= threshold_attention then 'aandachtspunt'
                                        else 'geen' end as level_follows_rule,
                   local_team_municipality_code <> school_municipality_code as crosses_border
            from agreement_needs where school_year = '{context.partition_key}'""",
            [
                e.ExpectColumnValuesToBeInSet(column="need_level", value_set=NEED_LEVELS),
                e.ExpectColumnValuesToBeInSet(column="level_follows_rule", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="crosses_border", value_set=[True]),
                e.ExpectColumnValuesToNotBeNull(column="reason"),
                e.ExpectColumnValuesToBeInSet(column="level", value_set=["gemeentepaar", "school"]),
            ],
            "agreement_needs",
        )
    return AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_pupil_support],
    description="Coördinatielast: per school, the number of distinct local teams it works with.",
)
@each_school_year
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
@each_school_year
def municipality_support_profile(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths
) -> MaterializeResult:
    return _materialize(context, duckdb, paths, "marts/municipality_support_profile")
