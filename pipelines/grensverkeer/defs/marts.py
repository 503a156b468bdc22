"""Marts: flows between municipalities and school catchments (profiles: the publication layer)."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..partitions import one_run, school_years, step_years
from .intermediate import int_cell_estimates
from .staging import ORIGIN_CODE, SECTORS, stg_duo_rows


def _materialize(context: AssetExecutionContext, duckdb: DuckDBResource, model: str) -> MaterializeResult:
    """Run `model` once over every school year of the step (set-based: one statement, one replace)."""
    with duckdb.get_connection() as con:
        (n,) = warehouse.run_models_over_years(con, [(model, None, None)], step_years(context))
    return MaterializeResult(metadata={"rows": n})


@asset(
    group_name="marts",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[int_cell_estimates, stg_duo_rows],
    description="Pupils per school year and sector from home municipality (origin) to school municipality "
    "(destination), with bounds from masked cells.",
)
def municipality_flows(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    return _materialize(context, duckdb, "marts/municipality_flows")


@asset_check(
    asset=municipality_flows,
    blocking=True,
    description="Every accepted row is in exactly one flow and every estimated pupil is counted once.",
)
def municipality_flows_reconcile(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        per_year = con.execute(
            """
            with accepted as (
                select school_year, count(*) as accepted
                from stg_duo_rows where run_years(school_year) and reason_code is null group by all
            ),
            flows as (
                select school_year, sum(input_rows) as in_flows, sum(students) as flow_sum
                from municipality_flows where run_years(school_year) group by all
            ),
            cells as (
                select school_year, sum(students) as cell_sum
                from int_cell_estimates where run_years(school_year) group by all
            )
            select school_year, coalesce(accepted, 0), coalesce(in_flows, 0),
                   coalesce(cell_sum, 0), coalesce(flow_sum, 0)
            from accepted full outer join flows using (school_year) full outer join cells using (school_year)
            order by school_year
            """
        ).fetchall()
        outcome = run_suite(
            con,
            """
            select *, students_low <= students + 1e-9 and students <= students_high + 1e-9 as within_bounds
            from municipality_flows where run_years(school_year)""",
            [
                e.ExpectColumnValuesToBeInSet(column="within_bounds", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="sector", value_set=SECTORS),
                e.ExpectColumnValuesToMatchRegex(column="origin_code", regex=ORIGIN_CODE),
                e.ExpectColumnValuesToMatchRegex(column="destination_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToNotBeNull(column="destination_name"),
                e.ExpectColumnValuesToBeBetween(column="students_low", min_value=0),
                e.ExpectCompoundColumnsToBeUnique(
                    column_list=["school_year", "sector", "origin_code", "destination_code"]
                ),
            ],
            "municipality_flows",
            by_year=True,
        )
    failed = list(outcome.failed)
    for year, accepted, in_flows, cell_sum, flow_sum in per_year:
        if accepted != in_flows:
            failed.append(f"{year}: {accepted} accepted rows but {in_flows} rows in flows")
        if abs(cell_sum - flow_sum) > 1e-6 * max(1.0, cell_sum):
            failed.append(f"{year}: cells add up to {cell_sum:.3f} pupils but flows to {flow_sum:.3f}")
    return AssetCheckResult(
        passed=not failed,
        metadata={
            **outcome.metadata(),
            "accepted_rows": sum(r[1] for r in per_year),
            "rows_in_flows": sum(r[2] for r in per_year),
            "pupils": sum(r[4] for r in per_year),
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
def school_catchment(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    return _materialize(context, duckdb, "marts/school_catchment")


@asset_check(asset=school_catchment, blocking=True, description="Catchments add up to the same pupils as the flows.")
def school_catchment_reconcile(context, duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        per_year = con.execute(
            """
            with catchment as (
                select school_year, sum(students) as students
                from school_catchment where run_years(school_year) group by all
            ),
            cells as (
                select school_year, sum(students) as students
                from int_cell_estimates where run_years(school_year) group by all
            )
            select school_year, coalesce(catchment.students, 0), coalesce(cells.students, 0)
            from catchment full outer join cells using (school_year)
            order by school_year
            """
        ).fetchall()
    failed = [
        f"{year}: catchments add up to {a:.3f} pupils but cells to {b:.3f}"
        for year, a, b in per_year
        if abs(a - b) > 1e-6 * max(1.0, b)
    ]
    return AssetCheckResult(
        passed=not failed,
        metadata={
            "catchment_pupils": sum(r[1] for r in per_year),
            "cell_pupils": sum(r[2] for r in per_year),
            "failures": "\n".join(failed) or "none",
        },
    )
