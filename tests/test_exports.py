"""The agreement exports of the bundled run: safe to pass on, reconciled, readable in Excel."""

from __future__ import annotations

import json
import re

import openpyxl
import polars as pl
import pytest

from grensverkeer.defs.exports import check_export_folder
from grensverkeer.disclosure import DisclosureSettings, attack, check_published

YEARS = ["2022-2023", "2023-2024", "2024-2025"]
SHEETS = ["Toelichting", "Stromen", "Afspraken gemeenten", "Afspraken scholen", "Per gemeente", "Per school", "Scholen"]
SLUGS = ["stromen", "afspraken_gemeenten", "afspraken_scholen", "per_gemeente", "per_school"]
SMALL = re.compile(r"^[1-4]$")


class _Paths:  # what check_export_folder needs of the ProjectPaths resource
    @staticmethod
    def disclosure():
        return DisclosureSettings()


@pytest.fixture(scope="module")
def exports(bundled):
    assert bundled.outcome.failures == []
    return {year: bundled.out_dir / "exports" / year for year in YEARS}


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _published(folder) -> pl.DataFrame:
    manifest = _manifest(folder)
    parts = []
    for slug, spec in manifest["tables"].items():
        frame = pl.read_csv(folder / f"{slug}.csv", separator=";", infer_schema=False)
        for column in spec["counts"]:
            parts.append(
                frame.select(
                    pl.concat_str(
                        [pl.lit(f"{slug}|{column}"), *[pl.col(k).fill_null("") for k in spec["key"]]], separator="|"
                    ).alias("cell_id"),
                    pl.col(column).alias("label"),
                    pl.lit(column in spec["public_counts"]).alias("public"),
                ).filter(pl.col("label").is_not_null())
            )
    return pl.concat(parts)


@pytest.mark.parametrize("year", YEARS)
def test_every_file_is_written(exports, year):
    folder = exports[year]
    expected = (
        {"afspraken.xlsx", "manifest.json", "relaties.csv"}
        | {f"{s}.csv" for s in SLUGS}
        | {f"{s}.parquet" for s in SLUGS}
    )
    assert expected <= {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("year", YEARS)
def test_no_count_from_1_to_4_anywhere(exports, year):
    folder = exports[year]
    manifest = _manifest(folder)
    checked = 0  # private counts looked at, in the CSV and Parquet files and in the workbook
    for slug, spec in manifest["tables"].items():
        csv = pl.read_csv(folder / f"{slug}.csv", separator=";", infer_schema=False)
        parquet = pl.read_parquet(folder / f"{slug}.parquet")
        for column in (c for c in spec["counts"] if c not in spec["public_counts"]):  # DUO's figures are public
            assert not csv[column].drop_nulls().str.contains(SMALL.pattern).any(), (slug, column)
            assert not parquet[column].drop_nulls().is_between(1, 4).any(), (slug, column)
            checked += csv[column].drop_nulls().len()
    assert checked > 0, year  # not vacuous: every year has private counts (pupils with support)
    book = openpyxl.load_workbook(folder / "afspraken.xlsx", read_only=True)
    in_book = 0
    for sheet in [s for s in SHEETS[1:] if s in book.sheetnames]:  # no Scholen sheet without DUO
        rows = book[sheet].iter_rows(values_only=True)
        header = next(rows)
        counts = [
            i
            for i, h in enumerate(header)
            if any(
                h in spec["counts"] and h not in spec["public_counts"]
                for spec in manifest["tables"].values()
                if spec["sheet"] == sheet
            )
        ]
        for row in rows:
            assert not any(isinstance(row[i], (int, float)) and 1 <= row[i] <= 4 for i in counts), (sheet, row)
            in_book += len(counts)
    assert in_book > 0, year


@pytest.mark.parametrize("year", YEARS)
def test_no_suppressed_cell_can_be_worked_out(exports, year):
    folder = exports[year]
    assert check_export_folder(folder, _Paths()) == []
    relations = pl.read_csv(folder / "relaties.csv", separator=";", infer_schema=False)
    published = _published(folder)
    outsider = attack(published, relations, DisclosureSettings())
    public = published.filter("public")["cell_id"].implode()
    assert outsider.filter(pl.col("recovered") & ~pl.col("cell_id").is_in(public)).height == 0
    # not vacuous: every year has suppressed cells, and the outsider tried each one
    suppressed = published.filter(pl.col("label").is_in(["<5", "x", ".", "niet getoond"]))
    assert suppressed.height > 0, year
    assert sorted(outsider["cell_id"].to_list()) == sorted(suppressed["cell_id"].to_list()), year


def test_checker_catches_a_leak(exports):
    """Print one secondarily suppressed number as itself: the checker must find the hole."""
    folder = exports["2024-2025"]
    relations = pl.read_csv(folder / "relaties.csv", separator=";", infer_schema=False)
    published = _published(folder)
    secondary = published.filter(pl.col("label") == "x")["cell_id"].to_list()
    assert secondary, "expected at least one secondary suppression in the bundled export"
    warehouse_cells = _true_cells(folder)
    leaked = (
        published.join(warehouse_cells, on="cell_id", how="left")
        .with_columns(
            label=pl.when(pl.col("cell_id") == secondary[0])
            .then(pl.col("value").cast(pl.String))
            .otherwise(pl.col("label"))
        )
        .select("cell_id", "label")
    )
    problems = check_published(leaked, relations, DisclosureSettings())
    assert problems, "publishing a secondary suppression should let an outsider recover a small count"


def _true_cells(folder) -> pl.DataFrame:
    """True values of the exported cells, rebuilt from the Parquet files is impossible (they are
    suppressed there too), so take them from the warehouse through the same table builder."""
    import duckdb

    from grensverkeer.exports.tables import build_export
    from grensverkeer.settings import load_region

    warehouse = folder.parents[2] / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return build_export(con, folder.name, load_region()).cells()
    finally:
        con.close()


@pytest.mark.parametrize("year", YEARS)
def test_totals_before_suppression_reconcile_with_the_warehouse(bundled, exports, year):
    manifest = _manifest(exports[year])
    tables = manifest["tables"]
    region = list(manifest["region"]["members"])
    flows_total = bundled.query(
        """select sum(students) from pub_flows where school_year = ?
              and (origin_code in (select unnest(?::varchar[])) or destination_code in (select unnest(?::varchar[])))""",
        [year, region, region],
    )[0][0]
    stromen = tables["stromen"]
    if "Leerlingen" in stromen["public_counts"]:  # DUO's flows: DUO's total
        assert stromen["totals_before_suppression"]["Leerlingen"] == flows_total
    else:  # flows from linked records are private: no total (it would link every hidden flow)
        assert stromen["totals_before_suppression"]["Leerlingen"] is None
    # private columns print no total (docs/exports.md)
    assert tables["afspraken_gemeenten"]["totals_before_suppression"]["Leerlingen met hulp lokaal team"] is None
    assert tables["per_school"]["totals_before_suppression"]["Leerlingen met hulp lokaal team"] is None
    assert manifest["synthetic"] is True
    assert manifest["disclosure"]["k"] == 5
    assert {f["file"] for f in manifest["input_files"]} >= {"linked/enrolments.parquet", "linked/support.parquet"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in manifest["input_files"])


def test_xlsx_reads_back_with_dutch_sheets_headers_and_numbers(exports):
    folder = exports["2024-2025"]
    manifest = _manifest(folder)
    book = openpyxl.load_workbook(folder / "afspraken.xlsx")
    assert book.sheetnames == SHEETS
    toelichting = " ".join(str(v) for row in book["Toelichting"].iter_rows(values_only=True) for v in row if v)
    for text in ("SYNTHETISCHE DEMO", "afspraak nodig vanaf 10", "<5", "teldatum 1 oktober 2024", "bovengrens"):
        assert text.lower() in toelichting.lower(), text
    for slug, spec in manifest["tables"].items():
        sheet = book[spec["sheet"]]
        header = [c.value for c in sheet[1]]
        csv = pl.read_csv(folder / f"{slug}.csv", separator=";", infer_schema=False)
        assert header == csv.columns
        assert sheet.freeze_panes == "A2"
        assert sheet.max_row == spec["rows"] + 1
        for column in spec["counts"]:
            j = header.index(column)
            values = [row[j] for row in sheet.iter_rows(min_row=2, values_only=True)]
            assert all(v is None or isinstance(v, int) or v in ("<5", "x", ".", "niet getoond") for v in values), (
                slug,
                column,
            )
            assert any(isinstance(v, int) for v in values) or not values
