"""What a reader of the written export files knows, as cells, statements and relations.

The attacker of the asset check sees exactly the files: every count as printed, the need level
next to a count with the thresholds printed in the same row ('Regel'), the number of schools or
local teams beside a count (each has at least one of the pupils), the declared sums in
relaties.csv and the totals in manifest.json. DUO's public figures are known values.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .tables import column_total_id

RULE = r"Afspraak nodig vanaf (\d+) leerlingen, aandachtspunt vanaf (\d+)\."
NEED_COUNT = "Leerlingen met hulp lokaal team"  # the count a need level ('Niveau') is decided on
# count column -> columns of the same row that count units with at least one of those pupils each
AT_LEAST_ONE_EACH = {"Leerlingen met hulp lokaal team": ["Aantal scholen", "Aantal lokale teams"]}


def _cell_id(slug: str, column: str, key: list[str]) -> pl.Expr:
    return pl.concat_str([pl.lit(f"{slug}|{column}"), *[pl.col(k).fill_null("") for k in key]], separator="|")


def _statements(frame: pl.DataFrame, column: str) -> tuple[pl.Expr, pl.Expr]:
    """The lowest and highest count the row's other columns allow (null: no statement)."""
    lo, hi = pl.lit(None, dtype=pl.Int64), pl.lit(None, dtype=pl.Int64)
    if column == NEED_COUNT and "Niveau" in frame.columns and "Regel" in frame.columns:
        needed = pl.col("Regel").str.extract(RULE, 1).cast(pl.Int64)
        attention = pl.col("Regel").str.extract(RULE, 2).cast(pl.Int64)
        level = pl.col("Niveau")
        lo = (
            pl.when(level == "afspraak nodig").then(needed).when(level == "aandachtspunt").then(attention).otherwise(lo)
        )
        hi = pl.when(level == "aandachtspunt").then(needed - 1).when(level == "geen").then(attention - 1).otherwise(hi)
    for units in AT_LEAST_ONE_EACH.get(column, []):
        if units in frame.columns:
            lo = pl.max_horizontal(lo, pl.col(units).cast(pl.Int64, strict=False))
    return lo, hi


def read_export_folder(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """published (cell_id, label, public, stated_lo, stated_hi) and relations (relation_id,
    total_id, member_id, known_total) of one written export folder."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    relations = pl.read_csv(folder / "relaties.csv", separator=";", infer_schema=False, encoding="utf8")
    if "known_total" not in relations.columns:
        relations = relations.with_columns(pl.lit(None, dtype=pl.String).alias("known_total"))
    labels, extra = [], []
    for slug, spec in manifest["tables"].items():
        frame = pl.read_csv(folder / f"{slug}.csv", separator=";", infer_schema=False, encoding="utf8")
        key, public = spec["key"], spec.get("public_counts", [])
        for column in spec["counts"]:
            lo, hi = _statements(frame, column)
            cells = frame.select(
                _cell_id(slug, column, key).alias("cell_id"),
                pl.col(column).alias("label"),
                pl.lit(column in public).alias("public"),
                lo.alias("stated_lo"),
                hi.alias("stated_hi"),
            ).filter(pl.col("label").is_not_null())
            labels.append(cells)
            total = spec.get("totals_before_suppression", {}).get(column)
            if total is None or column in public or not cells.height:
                continue
            total_id = column_total_id(slug, column)
            if total_id in relations["total_id"].to_list():
                # the manifest prints the column's protected total, a cell of relation manifest|slug|column
                labels.append(
                    pl.DataFrame(
                        {"cell_id": [total_id], "label": [str(total)], "public": [False]},
                        schema={"cell_id": pl.String, "label": pl.String, "public": pl.Boolean},
                    )
                )
            elif f"manifest|{slug}|{column}" not in relations["relation_id"].to_list():
                # an export written before totals were cells: the total is one more sum the reader can use
                extra.append(
                    cells.select(
                        pl.lit(f"manifest|{slug}|{column}").alias("relation_id"),
                        pl.lit(None, dtype=pl.String).alias("total_id"),
                        pl.col("cell_id").alias("member_id"),
                        pl.lit(str(total)).alias("known_total"),
                    )
                )
    published = (
        pl.concat(labels, how="diagonal_relaxed")
        if labels
        else pl.DataFrame(
            schema={
                "cell_id": pl.String,
                "label": pl.String,
                "public": pl.Boolean,
                "stated_lo": pl.Int64,
                "stated_hi": pl.Int64,
            }
        )
    )
    relations = pl.concat(
        [relations.select("relation_id", "total_id", "member_id", "known_total"), *extra], how="vertical_relaxed"
    )
    return published, relations
