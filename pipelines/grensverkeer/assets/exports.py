"""Exports for administrative agreements: protected tables, per school year, with a manifest."""

import json

import polars as pl
from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from ..disclosure import check_published
from ..exports.tables import build_export
from ..exports.writer import write_export
from ..partitions import each_school_year, one_run, school_years
from ..resources import ProjectPaths
from .marts import municipality_flows
from .support import agreement_needs, municipality_support_profile, school_coordination_load, support_flows


def export_dir(paths: ProjectPaths, school_year: str):
    return paths.out_path / "exports" / school_year


@asset(group_name="exports", partitions_def=school_years, backfill_policy=one_run,
       deps=[municipality_flows, support_flows, agreement_needs, school_coordination_load, municipality_support_profile],
       description="OUT/exports/<school_year>/: afspraken.xlsx, the same tables as CSV and Parquet, relaties.csv "
       "and manifest.json; every count through disclosure control (docs/disclosure.md).")
@each_school_year
def agreement_exports(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    region = paths.region()
    with duckdb.get_connection() as con:
        bundle = build_export(con, context.partition_key, region)
        manifest = write_export(con, bundle, region, export_dir(paths, context.partition_key), paths.disclosure(),
                                context.run.run_id)
    return MaterializeResult(metadata={
        "folder": str(export_dir(paths, context.partition_key)),
        "synthetic": manifest["synthetic"],
        **{f"{slug}_rows": t["rows"] for slug, t in manifest["tables"].items()},
        **{f"cells_{k}": v for k, v in manifest["disclosure"]["suppressed_cells"].items()},
    })


@asset_check(asset=agreement_exports, blocking=True,
             description="Reads the written CSVs back and tries to recompute every suppressed count from what is "
             "published (all tables and relaties.csv): it must never succeed, and no count 1..k-1 may be shown.")
@each_school_year
def agreement_exports_safe(context, paths: ProjectPaths) -> AssetCheckResult:
    folder = export_dir(paths, context.partition_key)
    problems = check_export_folder(folder, paths)
    return AssetCheckResult(passed=not problems, metadata={"problems": "\n".join(problems[:50]) or "none"})


def check_export_folder(folder, paths: ProjectPaths) -> list[str]:
    """The published labels of every table, matched to cell ids, checked against the relations."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    relations = pl.read_csv(folder / "relaties.csv", separator=";", infer_schema=False, encoding="utf8")
    labels = []
    for slug, spec in manifest["tables"].items():
        frame = pl.read_csv(folder / f"{slug}.csv", separator=";", infer_schema=False, encoding="utf8")
        key, counts = spec["key"], spec["counts"]
        for column in counts:
            labels.append(frame.select(
                pl.concat_str([pl.lit(f"{slug}|{column}"), *[pl.col(k).fill_null("") for k in key]], separator="|")
                .alias("cell_id"),
                pl.col(column).alias("label")))
    published = pl.concat(labels).filter(pl.col("label").is_not_null()) if labels else pl.DataFrame(
        schema={"cell_id": pl.String, "label": pl.String})
    return check_published(published, relations, paths.disclosure())
