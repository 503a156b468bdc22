"""The warehouse reflects the folder (issue 14): `grensverkeer run` after DUO republished a
corrected file under a new name (the old one removed) and after a wrong year's file was
removed counts exactly what a fresh run on the folder as it is counts.

Made from the bundled real files:
  run 1   Midden-Delfland afgeschermd.csv (2024), Wassenaar afgeschermd.csv (2024),
          Midden-Delfland.csv (2017-2018)
  run 2   the Midden-Delfland 2024 file replaced by "Midden-Delfland afgeschermd (correctie).csv"
          (the real file less its last 10 rows: what the correction withdrew), the 2017 file removed
  fresh   run 2's folder on a new warehouse
"""

from __future__ import annotations

import shutil

import openpyxl
import pytest

import fixtures as F

DUO = F.REPO / "data" / "inputs" / "duo"
OLD = "Midden-Delfland afgeschermd.csv"
NEW = "Midden-Delfland afgeschermd (correctie).csv"
Y24, Y17 = "2024-2025", "2017-2018"


def _counted_line(output: str, year: str) -> str:
    return next(
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith(f"{year} DUO:") and "pupils counted" in line
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("retraction")
    folder = root / "in"
    folder.mkdir()
    shutil.copy(DUO / OLD, folder / OLD)
    shutil.copy(DUO / "Wassenaar afgeschermd.csv", folder / "Wassenaar afgeschermd.csv")
    shutil.copy(DUO / "Midden-Delfland.csv", folder / "Midden-Delfland.csv")
    wh, out = root / "wh.duckdb", root / "out"
    args = ["run", "--input", str(folder), "--warehouse", str(wh), "--out", str(out)]
    first = F.cli_main(root, args)
    lines = (
        (folder / OLD).read_bytes().rstrip(b"\r\n").split(b"\r\n" if b"\r\n" in (folder / OLD).read_bytes() else b"\n")
    )
    sep = b"\r\n" if b"\r\n" in (folder / OLD).read_bytes() else b"\n"
    (folder / NEW).write_bytes(sep.join(lines[:-10]) + sep)
    (folder / OLD).unlink()
    (folder / "Midden-Delfland.csv").unlink()
    second = F.cli_main(root, args)
    fresh_root = root / "fresh"
    fresh_root.mkdir()
    fresh = F.cli_main(
        fresh_root,
        ["run", "--input", str(folder), "--warehouse", str(fresh_root / "wh.duckdb"), "--out", str(fresh_root / "out")],
    )
    return (
        F.Run(folder, wh, out, None, []),
        first,
        second,
        F.Run(folder, fresh_root / "wh.duckdb", fresh_root / "out", None, []),
        fresh,
    )


def test_first_run_counts_both_years(runs):
    r, (code, output), *_ = runs
    assert code == 0, output
    assert _counted_line(output, Y17) and _counted_line(output, Y24)
    assert f"export {Y17}:" in output


def test_after_the_correction_the_numbers_equal_a_fresh_run(runs):
    r, first, (code, output), fresh, (fresh_code, fresh_output) = runs
    assert code == 0 and fresh_code == 0, output
    assert _counted_line(output, Y24) == _counted_line(fresh_output, Y24)
    assert _counted_line(output, Y24) != _counted_line(first[1], Y24)  # the withdrawn rows no longer count
    flows = (
        "select sector, origin_code, destination_code, round(students, 6), students_low, students_high "
        "from municipality_flows order by all"
    )
    assert r.query(flows) == fresh.query(flows)
    assert r.query("select file_name, count(*) from raw_rows group by all order by all") == fresh.query(
        "select file_name, count(*) from raw_rows group by all order by all"
    )


def test_retracted_versions_named_in_the_output_and_kept_in_input_files(runs):
    r, _, (_, output), *_ = runs
    for name in (OLD, "Midden-Delfland.csv"):
        assert f"file {name} is no longer in the input folder" in output
        [(status, retracted_at, sha)] = r.query(
            "select status, retracted_at, sha256 from input_files where file_name = ?", [name]
        )
        assert status == "retracted" and retracted_at is not None and sha == F.sha256(DUO / name)
    assert r.query("select status from input_files where file_name = ?", [NEW]) == [("loaded",)]


def test_a_year_without_files_is_gone_from_tables_and_exports(runs):
    r, first, *_ = runs
    tables = [
        t
        for (t,) in r.query(
            "select distinct table_name from duckdb_columns() "
            "where column_name = 'school_year' and schema_name = 'main'"
        )
    ]
    assert "municipality_flows" in tables and "raw_rows" in tables
    for table in tables:
        assert r.query(f"select count(*) from {table} where school_year = ?", [Y17]) == [(0,)], table
    assert not (r.out_dir / "exports" / Y17).exists()
    assert (r.out_dir / "exports" / Y24 / "afspraken.xlsx").exists()
    # no page, data file or export text names the year (the estimation text names the published years only)
    texts = [p for p in (r.out_dir / "site").rglob("*") if p.suffix in (".html", ".csv", ".json")]
    assert r.out_dir / "site" / "index.html" in texts and r.out_dir / "site" / "veranderd.html" in texts
    for path in texts:
        assert Y17 not in path.read_text(encoding="utf-8"), path
    book = openpyxl.load_workbook(r.out_dir / "exports" / Y24 / "afspraken.xlsx", read_only=True)
    toelichting = dict(book["Toelichting"].iter_rows(min_row=2, values_only=True))
    assert Y24 in toelichting["Geschatte aantallen (DUO)"]
    assert not any(Y17 in str(v) for sheet in book.worksheets for rec in sheet.iter_rows(values_only=True) for v in rec)
