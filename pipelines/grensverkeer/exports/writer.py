"""Write an agreement export: afspraken.xlsx, CSV and Parquet per table, and manifest.json.

Every count passes through the disclosure module first; files get only the protected
labels (Excel and CSV) or the shown numbers plus the label (Parquet).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from ..disclosure import DisclosureSettings, protect
from ..settings import Region
from . import xlsx
from .manifest import git_commit, linked_sources, year_input_files
from .safe_text import neutralise_frame
from .tables import ExportBundle, ExportTable
from .texts import toelichting_rows

LABEL_SUFFIX = " (weergave)"


def protected_tables(
    bundle: ExportBundle, disclosure: DisclosureSettings
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Per table: the frame with every count column replaced by its label (text) and, for
    Parquet, its shown number; and the protected cells themselves. Public cells (DUO open
    data) keep the label of the publication marts; only private cells pass through protect,
    with the relations among them (docs/disclosure.md)."""
    cells = protected_cells(bundle, disclosure)
    out = {}
    for table in bundle.tables:
        frame = table.frame
        for column in table.counts:
            ids = table.cell_ids(column).alias("cell_id")
            joined = frame.select(ids).join(
                cells.select("cell_id", "shown", "label"), on="cell_id", how="left", maintain_order="left"
            )
            frame = frame.with_columns(joined["shown"].alias(column), joined["label"].alias(column + LABEL_SUFFIX))
        for column, count in table.shown_with.items():  # a school count next to a hidden count would bound it
            frame = frame.with_columns(
                pl.when(pl.col(count + LABEL_SUFFIX).str.contains(r"^\d+$")).then(pl.col(column)).alias(column)
            )
        out[table.slug] = frame
    return out, cells


def private_part(bundle: ExportBundle) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The private cells of the bundle and the relations among them."""
    all_cells = bundle.cells()
    # `hidden` (attribute disclosure) goes to protect with the cell: the joint decision (joint.py) gives the
    # export's cell and the site's cell of the same pair the same label only if both carry the flag
    private = all_cells.filter(~pl.col("public")).select(
        "cell_id", "value", "public", "stated_lo", "stated_hi", "hidden"
    )
    ids = private["cell_id"].implode()
    # relations among private cells only (none of today's relations mixes public and private cells)
    # membership first, then per relation: `is_in` of the id list inside the aggregation materialised the list
    # once per relation (nationally 30,000 relations x 60,000 ids: the agreement_exports step ran out of memory)
    private_rel = (
        bundle.relations.with_columns((pl.col("total_id").is_in(ids) & pl.col("member_id").is_in(ids)).alias("both"))
        .group_by("relation_id")
        .agg(pl.col("both").all().alias("private"))
    )
    return private, bundle.relations.join(private_rel.filter("private").select("relation_id"), on="relation_id")


def protected_cells(bundle: ExportBundle, disclosure: DisclosureSettings) -> pl.DataFrame:
    """cell_id, value, public, status ('public' for DUO cells), shown, label."""
    all_cells = bundle.cells()
    # a public '<5' (an estimate of at most 4) is printed as '<5' everywhere, also in Excel and Parquet
    public = all_cells.filter(pl.col("public")).select(
        "cell_id",
        "value",
        "public",
        pl.lit("public").alias("status"),
        pl.when(pl.col("public_label").str.contains(r"^\d+$")).then(pl.col("value")).alias("shown"),
        pl.col("public_label").alias("label"),
    )
    private, relations = private_part(bundle)
    if bundle.private_labels is not None:  # decided with the site's cells (joint.py): one label per cell
        protected = private.join(bundle.private_labels, on="cell_id", how="left").select(
            "cell_id", "value", "public", "status", "shown", "label"
        )
    else:
        protected = protect(private, relations, disclosure).select(
            "cell_id", "value", "public", "status", "shown", "label"
        )
    return pl.concat([public, protected])


def write_dutch_csv(frame: pl.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, ';' and CRLF, as Dutch Excel opens directly; text that Excel would read
    as a formula neutralised with a leading "'"."""
    text = neutralise_frame(frame).write_csv(separator=";", line_terminator="\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def _write_csv(frame: pl.DataFrame, table: ExportTable, path: Path) -> None:
    """Counts as their labels ('<5', 'x' or the number)."""
    columns = [pl.col(c + LABEL_SUFFIX).alias(c) if c in table.counts else pl.col(c) for c in table.frame.columns]
    write_dutch_csv(frame.select(columns), path)


def _write_parquet(frame: pl.DataFrame, table: ExportTable, path: Path) -> None:
    """Counts as numbers (empty where suppressed) with the printed label beside them."""
    columns = []
    for c in table.frame.columns:
        columns.append(c)
        if c in table.counts:
            columns.append(c + LABEL_SUFFIX)
    frame.select(columns).write_parquet(path, compression="zstd", statistics=False)


def _is_share(column: str) -> bool:
    """A fraction (0.25), shown as a percentage (25%)."""
    return column.startswith("Aandeel") or column.endswith("(%)")


def _number(column: str, dtype: pl.DataType) -> pl.Expr | None:
    """The column's numbers as the text of <v> (finite ones; NaN or infinity would be no number)."""
    if dtype.is_integer():
        return pl.col(column).cast(pl.String)
    if dtype.is_float():
        return pl.when(pl.col(column).is_finite()).then(pl.col(column).cast(pl.String))
    return None


def _text(column: str, dtype: pl.DataType) -> pl.Expr | None:
    """Anything that is not a number is text: never a formula or a link (names are untrusted)."""
    if dtype.is_integer() or dtype.is_float():
        return None
    if dtype == pl.Boolean:  # as Python prints it
        return pl.col(column).replace_strict({True: "True", False: "False"}, return_dtype=pl.String)
    return pl.col(column).cast(pl.String)


def _width(frame: pl.DataFrame, column: str) -> float:
    """From the header and the first 200 values, between 10 and 60 characters."""
    values = [len(str(v)) for v in frame[column].head(200).to_list() if v is not None]
    return min(max(max([len(column), *values]) + 2, 10), 60)


def _write_xlsx(
    frames: dict[str, pl.DataFrame], bundle: ExportBundle, toelichting: list[tuple[str, str]], path: Path
) -> None:
    notes = pl.DataFrame(toelichting, schema={"Onderwerp": pl.String, "Toelichting": pl.String}, orient="row")
    sheets = [
        xlsx.Sheet(
            "Toelichting",
            notes,
            [
                xlsx.Column("Onderwerp", text=pl.col("Onderwerp"), text_style=xlsx.WRAP, width=28),
                xlsx.Column("Toelichting", text=pl.col("Toelichting"), text_style=xlsx.WRAP, width=110),
            ],
            autofilter=False,
        )
    ]
    for table in bundle.tables:
        frame = frames[table.slug]
        columns = []
        for column in table.frame.columns:
            dtype = frame.schema[column]
            if column in table.counts:
                # A shown count is a number (thousands separators); a suppressed one its label ('<5', 'x').
                columns.append(
                    xlsx.Column(
                        column,
                        number=pl.col(column).cast(pl.String),
                        text=pl.col(column + LABEL_SUFFIX),
                        number_style=xlsx.WHOLE,
                        text_style=xlsx.RIGHT,
                        width=_width(frame, column),
                    )
                )
            else:
                # Thousands separators (shown as '.' by Dutch Excel), fractions as percentages.
                style = xlsx.SHARE if _is_share(column) else xlsx.DECIMAL if dtype.is_float() else xlsx.WHOLE
                columns.append(
                    xlsx.Column(
                        column,
                        number=_number(column, dtype),
                        text=_text(column, dtype),
                        number_style=style,
                        width=_width(frame, column),
                    )
                )
        sheets.append(xlsx.Sheet(table.sheet, frame, columns))
    xlsx.write_workbook(path, sheets, title=f"Grensverkeer afspraken {bundle.school_year}", author="grensverkeer")


def _column_total(table: ExportTable, column: str) -> int | None:
    """DUO's total of a public column; none for a private one: a printed sum of every cell of a column
    links all its hidden cells into one system, which nationally (tens of thousands of hidden school
    rows) no attacker or protect can solve as a whole, and the reader can add up what is shown."""
    if column in table.public:
        return int(table.frame[column].sum() or 0)
    return None


def write_export(
    con: duckdb.DuckDBPyConnection,
    bundle: ExportBundle,
    region: Region,
    out_dir: Path,
    disclosure: DisclosureSettings,
    run_id: str,
) -> dict:
    """Write everything for one school year into out_dir; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    frames, cells = protected_tables(bundle, disclosure)
    linked = linked_sources(con, bundle.school_year)
    toelichting = toelichting_rows(bundle, region, disclosure, linked)
    files = []
    for table in bundle.tables:
        for suffix, writer in ((".csv", _write_csv), (".parquet", _write_parquet)):
            path = out_dir / f"{table.slug}{suffix}"
            writer(frames[table.slug], table, path)
            files.append(path)
    xlsx = out_dir / "afspraken.xlsx"
    _write_xlsx(frames, bundle, toelichting, xlsx)
    files.append(xlsx)
    relations_path = out_dir / "relaties.csv"  # the sums an outsider can use: lets anyone re-run the checker
    write_dutch_csv(bundle.relations, relations_path)
    files.append(relations_path)
    status = cells.group_by("status").len().sort("status")
    manifest = {
        "school_year": bundle.school_year,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "code_version": git_commit(),
        "region": {"name": region.name, "slug": region.slug, "members": region.members},
        "agreement_rules": region.agreements,
        "disclosure": {**asdict(disclosure), "suppressed_cells": dict(zip(status["status"], status["len"]))},
        "sources": bundle.sources,
        "linked_record_sources": linked,  # empty: the year has no linked records
        "synthetic": "synthetic" in bundle.sources or "synthetic" in linked,
        "input_files": year_input_files(con, bundle.school_year),  # the files behind this year's numbers
        "tables": {
            t.slug: {
                "sheet": t.sheet,
                "rows": t.frame.height,
                "key": t.key,
                "counts": t.counts,
                "public_counts": t.public,
                # public columns: DUO's total; private ones: not published (null; docs/exports.md)
                "totals_before_suppression": {c: _column_total(t, c) for c in t.counts},
            }
            for t in bundle.tables
        },
        "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return manifest
