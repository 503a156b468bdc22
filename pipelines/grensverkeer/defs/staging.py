"""Staging: DUO rows checked and typed, rejected rows quarantined, location totals as ranges."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..partitions import one_run, school_years, step_years
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
def stg_duo_rows(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    years = step_years(context)
    with duckdb.get_connection() as con:
        # One statement per model and school year (a row is a duplicate only of rows of its own
        # year): ten national years took 52 s of CPU at 2.1 GB in one statement, 23 s at 1.1 GB
        # one year at a time with the model's per-value checks (docs/performance.md, Session 14).
        rows, rejected, warned = warehouse.run_models_each_year(
            con,
            [
                ("staging/stg_duo_rows", None, None),
                ("staging/rejected_duo_rows", "rejected_rows", "source = 'duo'"),
                ("staging/duo_input_warnings", "input_warnings", "source = 'duo'"),
            ],
            years,
        )
        by_reason = con.execute(
            "select school_year, reason_code, count(*) from rejected_rows "
            "where run_years(school_year) and source = 'duo' group by all order by all"
        ).fetchall()
    return MaterializeResult(
        metadata={
            "rows": rows,
            "rejected_rows": rejected,
            "rejected_by_reason": rejected_by_reason(years, by_reason),
            "input_warnings": warned,
        }
    )


def rejected_by_reason(years: list[str], counts: list[tuple[str, str, int]]) -> str:
    """The rejected rows per reason, as a dict; one line per school year when the step has several."""
    per_year = {year: {reason: n for y, reason, n in counts if y == year} for year in years}
    if len(years) == 1:
        return str(per_year[years[0]])
    return "\n".join(f"{year}: {reasons}" for year, reasons in per_year.items())


@asset_check(
    asset=stg_duo_rows, blocking=True, description="Every raw row is staged once; accepted rows are well formed."
)
def stg_duo_rows_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        per_year = con.execute(
            """
            with raw as (select school_year, count(*) as n from raw_rows where run_years(school_year) group by all),
            staged as (select school_year, count(*) as n from stg_duo_rows where run_years(school_year) group by all)
            select school_year, coalesce(raw.n, 0), coalesce(staged.n, 0)
            from raw full outer join staged using (school_year) order by school_year"""
        ).fetchall()
        outcome = run_suite(
            con,
            "select * from stg_duo_rows where run_years(school_year) and reason_code is null",
            [
                e.ExpectColumnValuesToBeInSet(column="sector", value_set=SECTORS),
                e.ExpectColumnValuesToMatchRegex(column="origin_code", regex=ORIGIN_CODE),
                e.ExpectColumnValuesToMatchRegex(column="destination_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToMatchRegex(column="school_location_id", regex=r"^\d{2}[A-Z0-9]{2}\d{2}$"),
                e.ExpectColumnValuesToNotBeNull(column="line"),
            ],
            "stg_duo_rows",
            by_year=True,
        )
    failed = outcome.failed + [
        f"{year}: {raw} raw rows but {staged} staged rows" for year, raw, staged in per_year if raw != staged
    ]
    return AssetCheckResult(
        passed=not failed,
        metadata={
            **outcome.metadata(),
            "raw_rows": sum(r[1] for r in per_year),
            "staged_rows": sum(r[2] for r in per_year),
            "failures": "\n".join(failed) or "none",
        },
    )


@asset_check(
    asset=stg_duo_rows,
    description="Home municipality names that match no known municipality (counted as ONBEKEND; input_warnings).",
)
def stg_duo_rows_unmatched_names(context, duckdb: DuckDBResource) -> AssetCheckResult:
    years = step_years(context)
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, years)
        unmatched = con.execute(
            """
            select school_year, value, file_name, count(*), sum(students_low), sum(students_high), list(line order by line)
            from input_warnings
            where run_years(school_year) and source = 'duo' and warning_code = 'unknown_home_municipality'
            group by all order by 1, 4 desc, 2, 3
            """
        ).fetchall()
    described = {
        year: "Names counted as ONBEKEND (rows in input_warnings): "
        + "; ".join(describe_unmatched(*u[1:]) for u in unmatched if u[0] == year)
        for year in dict.fromkeys(u[0] for u in unmatched)
    }
    if len(years) > 1:  # one sentence per school year, as each year's check said it
        description = "\n".join(f"{y}: {d}" for y, d in described.items()) or "all names matched"
    else:
        description = next(iter(described.values()), "all names matched")
    return AssetCheckResult(
        passed=not unmatched,
        severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "unmatched_names": len({(u[0], u[1]) for u in unmatched}),
            "unmatched_rows": sum(u[3] for u in unmatched),
        },
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
    description="Count cells of accepted rows, but not the zeros (not in raw_cells): value, or masked ('<5').",
)
def stg_duo_cells(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    with duckdb.get_connection() as con:
        (n,) = warehouse.run_models_over_years(con, [("staging/stg_duo_cells", None, None)], step_years(context))
        masked = con.execute(
            "select count(*) from stg_duo_cells where run_years(school_year) and is_masked"
        ).fetchall()[0][0]
    return MaterializeResult(metadata={"cells": n, "masked_cells": masked})


@asset_check(
    asset=stg_duo_cells,
    blocking=True,
    description="Unmasked counts are whole numbers >= 0; masked cells have no value.",
)
def stg_duo_cells_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        warehouse.set_school_years(con, step_years(context))
        outcome = run_suite(
            con,
            """
            select school_year, value, is_masked, (value is null) = is_masked as value_iff_unmasked
            from stg_duo_cells where run_years(school_year)""",
            [
                e.ExpectColumnValuesToBeBetween(column="value", min_value=0),
                e.ExpectColumnValuesToBeInSet(column="value_iff_unmasked", value_set=[True]),
            ],
            "stg_duo_cells",
            by_year=True,
        )
    return AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())


@asset(
    group_name="staging",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[duo_raw_files],
    description="DUO's pupil total per school location for the count year, as a range ('<5' = 1..4).",
)
def stg_location_totals(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    with duckdb.get_connection() as con:
        (n,) = warehouse.run_models_over_years(con, [("staging/stg_location_totals", None, None)], step_years(context))
    return MaterializeResult(metadata={"locations": n})
