"""Marts: flows between municipalities and school catchments (profiles: the publication layer)."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..partitions import each_school_year, one_run, school_years
from .intermediate import int_cell_estimates
from .staging import ORIGIN_CODE, SECTORS, stg_duo_rows


def _materialize(context: AssetExecutionContext, duckdb: DuckDBResource, model: str) -> MaterializeResult:
    with duckdb.get_connection() as con:
        n = warehouse.run_model(con, model, context.partition_key)
    return MaterializeResult(metadata={"rows": n})


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_cell_estimates, stg_duo_rows],
    description="Pupils per school year and sector from home municipality (origin) to school municipality "
    "(destination), with bounds from masked cells.",
)
@each_school_year
def municipality_flows(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    return _materialize(context, duckdb, "marts/municipality_flows")


@asset_check(
    asset=municipality_flows,
    blocking=True,
    description="Every accepted row is in exactly one flow and every estimated pupil is counted once.",
)
@each_school_year
def municipality_flows_reconcile(context, duckdb: DuckDBResource) -> AssetCheckResult:
    year = context.partition_key
    e = gxe()
    with duckdb.get_connection() as con:
        accepted, in_flows, cell_sum, flow_sum = con.execute(
            """select
                 (select count(*) from stg_duo_rows where school_year = $1 and reason_code is null),
                 (select coalesce(sum(input_rows), 0) from municipality_flows where school_year = $1),
                 (select coalesce(sum(students), 0) from int_cell_estimates where school_year = $1),
                 (select coalesce(sum(students), 0) from municipality_flows where school_year = $1)""",
            [year],
        ).fetchall()[0]
        outcome = run_suite(
            con,
            f"""
            select *, students_low <= students + 1e-9 and students <= students_high + 1e-9 as within_bounds
            from municipality_flows where school_year = '{year}'""",
            [
                e.ExpectColumnValuesToBeInSet(column="within_bounds", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="sector", value_set=SECTORS),
                e.ExpectColumnValuesToMatchRegex(column="origin_code", regex=ORIGIN_CODE),
                e.ExpectColumnValuesToMatchRegex(column="destination_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToNotBeNull(column="destination_name"),
                e.ExpectColumnValuesToBeBetween(column="students_low", min_value=0),
                e.ExpectCompoundColumnsToBeUnique(column_list=["sector", "origin_code", "destination_code"]),
            ],
            "municipality_flows",
        )
    failed = list(outcome.failed)
    if accepted != in_flows:
        failed.append(f"{accepted} accepted rows but {in_flows} rows in flows")
    if abs(cell_sum - flow_sum) > 1e-6 * max(1.0, cell_sum):
        failed.append(f"cells add up to {cell_sum:.3f} pupils but flows to {flow_sum:.3f}")
    return AssetCheckResult(
        passed=not failed,
        metadata={
            **outcome.metadata(),
            "accepted_rows": accepted,
            "rows_in_flows": in_flows,
            "pupils": flow_sum,
            "failures": "\n".join(failed) or "none",
        },
    )


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_cell_estimates, stg_duo_rows],
    description="Per school location: the home municipalities of its pupils.",
)
@each_school_year
def school_catchment(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    return _materialize(context, duckdb, "marts/school_catchment")


@asset_check(asset=school_catchment, blocking=True, description="Catchments add up to the same pupils as the flows.")
@each_school_year
def school_catchment_reconcile(context, duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as con:
        a, b = con.execute(
            """select (select coalesce(sum(students), 0) from school_catchment where school_year = $1),
                      (select coalesce(sum(students), 0) from int_cell_estimates where school_year = $1)""",
            [context.partition_key],
        ).fetchall()[0]
    return AssetCheckResult(passed=abs(a - b) <= 1e-6 * max(1.0, b), metadata={"catchment_pupils": a, "cell_pupils": b})
