"""Exports for administrative agreements: protected tables, per school year, with a manifest."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..disclosure import check_published
from ..exports.reader import read_export_folder
from ..exports.tables import build_export
from ..exports.writer import private_part, write_export
from ..joint import create_private_labels_table, decide_private_labels
from ..partitions import for_each_school_year, one_run, school_years
from ..resources import ProjectPaths
from .publish import publication
from .support import agreement_needs, municipality_support_profile, school_coordination_load, support_flows

# Two school years at a time: a year's export is mostly single-threaded (Polars, the disclosure
# LPs, the workbook writer), so one year per core; its checks (the attacker) likewise.
EXPORT_WORKERS = 2


def export_dir(paths: ProjectPaths, school_year: str):
    return paths.out_path / "exports" / school_year


@asset(
    group_name="exports",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[publication, support_flows, agreement_needs, school_coordination_load, municipality_support_profile],
    description="OUT/exports/<school_year>/: afspraken.xlsx, the same tables as CSV and Parquet, relaties.csv "
    "and manifest.json; every count through disclosure control (docs/disclosure.md).",
)
def agreement_exports(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    with duckdb.get_connection() as con:
        create_private_labels_table(con)  # before the years' threads write their rows into it
    return for_each_school_year(context, lambda one: export_school_year(one, duckdb, paths), workers=EXPORT_WORKERS)


def export_school_year(context, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    """One school year's export folder (protected tables, manifest) and its private labels."""
    region = paths.region()
    with duckdb.get_connection() as con:
        bundle = build_export(con, context.partition_key, region)
        # private labels decided once with the site's cells of the year (one label per cell)
        bundle.private_labels = decide_private_labels(
            con, context.partition_key, region, paths.disclosure(), *private_part(bundle)
        )
        manifest = write_export(
            con, bundle, region, export_dir(paths, context.partition_key), paths.disclosure(), context.run.run_id
        )
    return MaterializeResult(
        metadata={
            "folder": str(export_dir(paths, context.partition_key)),
            "synthetic": manifest["synthetic"],
            **{f"{slug}_rows": t["rows"] for slug, t in manifest["tables"].items()},
            **{f"cells_{k}": v for k, v in manifest["disclosure"]["suppressed_cells"].items()},
        }
    )


@asset_check(
    asset=agreement_exports,
    blocking=True,
    description="Reads the written CSVs back and tries to recompute every suppressed count from what is "
    "published (all tables and relaties.csv): it must never succeed, and no count 1..k-1 may be shown.",
)
def agreement_exports_safe(context, duckdb: DuckDBResource, paths: ProjectPaths) -> AssetCheckResult:
    # The attack reads the written files only (Python, one core a year): the warehouse's
    # write-ahead log is checkpointed meanwhile on the other core, instead of when the run
    # closes the warehouse with nothing else to do (a run that adds one school year: its
    # year's rows, 1-4 s nationally).
    with duckdb.get_connection() as con, warehouse.checkpoint_meanwhile(con):
        return for_each_school_year(context, lambda one: _export_safe(one, paths), workers=EXPORT_WORKERS)


def _export_safe(context, paths: ProjectPaths) -> AssetCheckResult:
    folder = export_dir(paths, context.partition_key)
    problems = check_export_folder(folder, paths)
    return AssetCheckResult(passed=not problems, metadata={"problems": "\n".join(problems[:50]) or "none"})


def check_export_folder(folder, paths: ProjectPaths) -> list[str]:
    """Everything a reader of the written files knows (exports/reader.py), attacked: no private
    count may be pinned to one value."""
    published, relations = read_export_folder(folder)
    return check_published(published, relations, paths.disclosure())
