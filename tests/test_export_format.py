"""The exports as an administrator opens them: numbers with thousands separators and
percentages in Excel, every CSV (relaties.csv too) in the same Dutch dialect, and a
manifest that lists the input files behind that school year's numbers, with sha256."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import polars as pl
import pytest

import fixtures as F
from grensverkeer.exports.tables import ExportBundle, ExportTable
from grensverkeer.exports.writer import _write_xlsx

YEARS = ["2017-2018", "2022-2023", "2023-2024", "2024-2025"]
LINKED = {"linked/enrolments.parquet", "linked/support.parquet", "linked/schools.csv"}
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def exports(bundled):
    assert bundled.outcome.failures == []
    return {year: bundled.out_dir / "exports" / year for year in YEARS if (bundled.out_dir / "exports" / year).is_dir()}


def _manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_counts_in_excel_have_thousands_separators(exports):
    folder = exports["2024-2025"]
    book = openpyxl.load_workbook(folder / "afspraken.xlsx")
    big = 0
    for slug, spec in _manifest(folder)["tables"].items():
        sheet = book[spec["sheet"]]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            for cell, column in zip(row, header):
                if isinstance(cell.value, (int, float)):
                    assert cell.number_format == "#,##0", (slug, column, cell.coordinate, cell.number_format)
                    big += cell.value >= 1000
                elif cell.value is not None:
                    assert (
                        cell.data_type == "s"
                        and cell.number_format == "General"
                        or cell.value in ("<5", "x", ".", "niet getoond")
                    )
    assert big > 0  # there are numbers where the separator shows


def test_shares_are_percentages_and_fractions_keep_a_decimal(tmp_path):
    frame = pl.DataFrame(
        {
            "Gemeente": ["Delft", "Rijswijk"],
            "Leerlingen": [12_345, 7],
            "Aandeel elders": [0.253, 1.0],
            "Gemiddelde": [1234.56, 2.0],
        }
    )
    bundle = ExportBundle("2024-2025", [ExportTable("Test", "test", frame, ["Gemeente"], [])], pl.DataFrame())
    path = tmp_path / "t.xlsx"
    _write_xlsx({"test": frame}, bundle, [("Wat", "test")], path)
    sheet = openpyxl.load_workbook(path)["Test"]
    assert [c.number_format for c in sheet[2]] == ["General", "#,##0", "0.0%", "#,##0.0"]
    assert [c.value for c in sheet[2]] == ["Delft", 12_345, 0.253, 1234.56]


@pytest.mark.parametrize("name", ["relaties.csv", "stromen.csv", "per_gemeente.csv"])
def test_every_csv_has_the_same_dialect(exports, name):
    for folder in exports.values():
        raw = (folder / name).read_bytes()
        assert raw.startswith(BOM), (folder.name, name)
        lines = raw[len(BOM) :].decode("utf-8").split("\r\n")
        assert ";" in lines[0] and "," not in lines[0], lines[0]
        frame = pl.read_csv(folder / name, separator=";", infer_schema=False)
        if name == "relaties.csv":
            assert frame.columns == ["relation_id", "total_id", "member_id", "known_total"]
            assert frame.height > 0


def test_manifest_lists_the_files_behind_the_year(bundled, exports):
    assert set(exports) == set(YEARS)
    inputs = bundled.input_dir
    for year, folder in exports.items():
        files = _manifest(folder)["input_files"]
        names = {f["file"] for f in files}
        duo = {n for n in names if n.startswith("duo/")}
        # DUO pupil files are of one count date; the location-totals file covers several years
        pupils = {f["file"] for f in files if f["kind"] != "duo_po_location_totals" and f["file"].startswith("duo/")}
        if year.startswith("2017"):
            assert names == duo and pupils, (year, names)  # the DUO year without linked records
        else:
            assert names - duo == LINKED, (year, names)
        if year == "2024-2025":
            assert len(pupils) >= 10 and any("schoolvestiging" in n for n in duo)
        if year in ("2022-2023", "2023-2024"):
            assert not pupils, (year, pupils)  # no DUO pupil file of other years
        for f in files:
            assert f["sha256"] == hashlib.sha256((inputs / f["file"]).read_bytes()).hexdigest(), f["file"]
            assert f["rows_counted"] > 0
    # each DUO pupil file is behind one year only
    duo_years = {}
    for year, folder in exports.items():
        for f in _manifest(folder)["input_files"]:
            if f["file"].startswith("duo/") and f["kind"] != "duo_po_location_totals":
                duo_years.setdefault(f["file"], []).append(year)
    assert all(len(ys) == 1 for ys in duo_years.values()), duo_years
    assert set(F.input_files_in(inputs)) >= {inputs / n for n in duo_years}


def test_untrusted_text_reads_back_as_typed_and_never_as_a_formula(tmp_path):
    """The workbook writer (exports/xlsx.py): text is text, whatever it holds; NaN is no number."""
    import fastexcel

    names = ['=HYPERLINK("http://x.invalid","klik")', "a\x01b\x1f", "_x0041_ & <b>", "  spaties  ", "+31"]
    frame = pl.DataFrame(
        {"School": names, "Leerlingen": [1, None, 3, 4, 5], "Aandeel": [0.5, float("nan"), None, 1.0, 0.0]}
    )
    bundle = ExportBundle("2024-2025", [ExportTable("Test", "test", frame, ["School"], [])], pl.DataFrame())
    path = tmp_path / "t.xlsx"
    _write_xlsx({"test": frame}, bundle, [("Wat", "<test> & 'zo'")], path)
    sheet = openpyxl.load_workbook(path)["Test"]
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))  # never "f" (formula)
    assert [c.value for c in sheet[1]] == ["School", "Leerlingen", "Aandeel"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C6"
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [1, None, 3, 4, 5]
    assert [row[2].value for row in sheet.iter_rows(min_row=2)] == [0.5, None, None, 1.0, 0.0]
    # calamine decodes _xHHHH_ as Excel does: every name comes back exactly as it was
    back = fastexcel.read_excel(path).load_sheet("Test").to_polars()
    assert back["School"].to_list() == names
    assert fastexcel.read_excel(path).load_sheet("Toelichting").to_polars()["Toelichting"].to_list() == [
        "<test> & 'zo'"
    ]
