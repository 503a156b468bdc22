"""Staging: DUO rows checked and typed, rejected rows quarantined, location totals as ranges."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..partitions import each_school_year, one_run, school_years
from .raw import duo_raw_files
from .reference import reference_tables

SECTORS = ["BO", "SBO", "SO", "VSO", "VO", "PRO", "MBO"]
ORIGIN_CODE = r"^(?:GM\d{4}|ONBEKEND|BUITENLAND)$"  # no capture group: pandas warns about one


@asset(
    group_name="staging",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[duo_raw_files, reference_tables, "stg_location_totals"],
    description="Every raw DUO pupil row of the year, typed, with home municipality mapped to its CBS code; "
    "rows that cannot be counted carry a reason and are copied to rejected_rows; counted rows with a home "
    "municipality name that matches nothing (counted as ONBEKEND) are listed in input_warnings.",
)
@each_school_year
def stg_duo_rows(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    year = context.partition_key
    with duckdb.get_connection() as con:
        rows, rejected, warned = warehouse.run_models(
            con,
            [
                ("staging/stg_duo_rows", None, None),
                ("staging/rejected_duo_rows", "rejected_rows", "source = 'duo'"),
                ("staging/duo_input_warnings", "input_warnings", "source = 'duo'"),
            ],
            year,
        )
        by_reason = con.execute(
            "select reason_code, count(*) from rejected_rows where school_year = ? and source = 'duo' group by all order by all",
            [year],
        ).fetchall()
    return MaterializeResult(
        metadata={
            "rows": rows,
            "rejected_rows": rejected,
            "rejected_by_reason": str(dict(by_reason)),
            "input_warnings": warned,
        }
    )


@asset_check(
    asset=stg_duo_rows, blocking=True, description="Every raw row is staged once; accepted rows are well formed."
)
@each_school_year
def stg_duo_rows_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    year = context.partition_key if context.has_partition_key else None
    e = gxe()
    with duckdb.get_connection() as con:
        raw, staged = con.execute(
            """select (select count(*) from raw_rows where school_year = $1),
                      (select count(*) from stg_duo_rows where school_year = $1)""",
            [year],
        ).fetchall()[0]
        outcome = run_suite(
            con,
            f"select * from stg_duo_rows where school_year = '{year}' and reason_code is null",
            [
                e.ExpectColumnValuesToBeInSet(column="sector", value_set=SECTORS),
                e.ExpectColumnValuesToMatchRegex(column="origin_code", regex=ORIGIN_CODE),
                e.ExpectColumnValuesToMatchRegex(column="destination_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToMatchRegex(column="school_location_id", regex=r"^\d{2}[A-Z0-9]{2}\d{2}$"),
                e.ExpectColumnValuesToNotBeNull(column="line"),
            ],
            "stg_duo_rows",
        )
    failed = outcome.failed + ([f"{raw} raw rows but {staged} staged rows"] if raw != staged else [])
    return AssetCheckResult(
        passed=not failed,
        metadata={
            **outcome.metadata(),
            "raw_rows": raw,
            "staged_rows": staged,
            "failures": "\n".join(failed) or "none",
        },
    )


@asset_check(
    asset=stg_duo_rows,
    description="Home municipality names that match no known municipality (counted as ONBEKEND; input_warnings).",
)
@each_school_year
def stg_duo_rows_unmatched_names(context, duckdb: DuckDBResource) -> AssetCheckResult:
    year = context.partition_key if context.has_partition_key else None
    with duckdb.get_connection() as con:
        unmatched = con.execute(
            """
            select value, file_name, count(*), sum(students_low), sum(students_high), list(line order by line)
            from input_warnings
            where school_year = ? and source = 'duo' and warning_code = 'unknown_home_municipality'
            group by all order by 3 desc, 1, 2
            """,
            [year],
        ).fetchall()
    return AssetCheckResult(
        passed=not unmatched,
        severity=AssetCheckSeverity.WARN,
        description=(
            "Names counted as ONBEKEND (rows in input_warnings): "
            + "; ".join(f"{describe_unmatched(*u)}" for u in unmatched)
        )
        if unmatched
        else "all names matched",
        metadata={"unmatched_names": len({u[0] for u in unmatched}), "unmatched_rows": sum(u[2] for u in unmatched)},
    )


def describe_unmatched(name: str, file_name: str, rows: int, low: int, high: int, lines: list[int]) -> str:
    """ "'Atlantis' (x.csv line 7: 13 pupils)": one unknown name in one file, in words."""
    from ..ingest.files import shown_name

    pupils = f"{low:,}" if low == high else f"{low:,}-{high:,}"
    where = f"line {lines[0]}" if rows == 1 else "lines " + ", ".join(map(str, lines[:5])) + (" ..." * (rows > 5))
    return f"{name!r} ({shown_name(file_name)} {where}: {pupils} pupils)"


@asset(
    group_name="staging",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[stg_duo_rows],
    description="Count cells of accepted rows: value, or masked ('<5').",
)
@each_school_year
def stg_duo_cells(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    with duckdb.get_connection() as con:
        n = warehouse.run_model(con, "staging/stg_duo_cells", context.partition_key)
        masked = con.execute(
            "select count(*) from stg_duo_cells where school_year = ? and is_masked", [context.partition_key]
        ).fetchall()[0][0]
    return MaterializeResult(metadata={"cells": n, "masked_cells": masked})


@asset_check(
    asset=stg_duo_cells,
    blocking=True,
    description="Unmasked counts are whole numbers >= 0; masked cells have no value.",
)
@each_school_year
def stg_duo_cells_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        outcome = run_suite(
            con,
            f"""
            select value, is_masked, (value is null) = is_masked as value_iff_unmasked
            from stg_duo_cells where school_year = '{context.partition_key}'""",
            [
                e.ExpectColumnValuesToBeBetween(column="value", min_value=0),
                e.ExpectColumnValuesToBeInSet(column="value_iff_unmasked", value_set=[True]),
            ],
            "stg_duo_cells",
        )
    return AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())


@asset(
    group_name="staging",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[duo_raw_files],
    description="DUO's pupil total per school location for the count year, as a range ('<5' = 1..4).",
)
@each_school_year
def stg_location_totals(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    with duckdb.get_connection() as con:
        n = warehouse.run_model(con, "staging/stg_location_totals", context.partition_key)
    return MaterializeResult(metadata={"locations": n})
