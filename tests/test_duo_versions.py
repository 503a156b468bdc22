"""A DUO file version's rows are written once, when it is parsed (duo_rows, duo_cells), and
loading it for a school year is a row in duo_loaded (ingest/load.py): raw_rows, raw_cells and
raw_cell_columns are views of the loaded rows. Runs of one school year, a rerun, a changed file
and a removed file, on the ingest functions and a small folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import fixtures as F
from grensverkeer import warehouse
from grensverkeer.ingest.load import discover_input, load_school_years, loaded_file_years
from grensverkeer.ingest.retract import retract_years

RAW = ("raw_rows", "raw_cells", "raw_cell_columns")


def _two_years(path: Path, tag: str = "") -> None:
    """A file of two school years (2023 and 2024), half its rows each."""
    rows = [F.PoRow(r.school, r.home_pc4, r.home_name + tag, r.soort, r.counts) for r in F.DELFT_ROWS]
    rows += [F.PoRow(r.school, r.home_pc4, r.home_name, r.soort, r.counts, peildatum="20231001") for r in F.DELFT_ROWS]
    F.write_po(path, rows)


@pytest.fixture
def folder(tmp_path):
    _two_years(tmp_path / "duo" / "delft.csv")
    F.write_po(tmp_path / "duo" / "extract.csv", F.EXTRACT_ROWS)
    return tmp_path


def _run(con: duckdb.DuckDBPyConnection, folder: Path, years: list[int] | None = None) -> list[int]:
    """What runner.run_pipeline does with the DUO files: retraction, discovery, the load."""
    retract_years(con, folder, folder / "out")
    found, _ = discover_input(folder, known=loaded_file_years(con), con=con)
    load_school_years(con, folder, years or found)
    return found


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict:
    return {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in RAW}


def _versions(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select file_name, school_year, version from duo_loaded order by all").fetchall()


def test_runs_of_one_year_load_the_version_parsed_once(con, folder):
    assert _run(con, folder, [2024]) == [2023, 2024]
    assert {r[1] for r in _versions(con)} == {"2024-2025"}
    parsed = con.execute("select max(version) from staged_duo_files").fetchall()
    _run(con, folder, [2023])  # nothing parsed again: the rows of 2023 were written with 2024's
    assert con.execute("select max(version) from staged_duo_files").fetchall() == parsed
    loaded = _versions(con)
    assert [r[:2] for r in loaded] == [
        ("duo/delft.csv", "2023-2024"),
        ("duo/delft.csv", "2024-2025"),
        ("duo/extract.csv", "2024-2025"),
    ]
    assert loaded[0][2] == loaded[1][2]  # one version, two years
    rows = con.execute("select school_year, count(*) from raw_rows group by all order by all").fetchall()
    assert rows == [("2023-2024", len(F.DELFT_ROWS)), ("2024-2025", len(F.DELFT_ROWS) + len(F.EXTRACT_ROWS))]


def test_a_rerun_parses_and_writes_nothing(con, folder):
    _run(con, folder)
    before, versions = _snapshot(con), _versions(con)
    written = con.execute("select count(*) from duo_rows").fetchall()
    _run(con, folder)
    assert _snapshot(con) == before and _versions(con) == versions
    assert con.execute("select count(*) from duo_rows").fetchall() == written


def test_a_changed_file_replaces_its_version_and_its_old_rows_go(con, folder, tmp_path):
    _run(con, folder)
    _two_years(folder / "duo" / "delft.csv", tag=" (new)")
    _run(con, folder)
    fresh = duckdb.connect()
    warehouse.setup(fresh)
    _run(fresh, folder)
    assert _snapshot(con) == _snapshot(fresh)
    names = con.execute("select distinct home_municipality_name from raw_rows where file_name = 'duo/delft.csv'")
    assert {"Delft (new)", "Delft"} <= {n for (n,) in names.fetchall()}
    # only the loaded versions' rows are kept: one version per file
    assert con.execute("select count(distinct version) from duo_rows").fetchall() == [(2,)]
    assert con.execute("select count(distinct version) from duo_cells").fetchall() == [(2,)]


def test_a_removed_file_stops_counting_and_its_rows_go(con, folder):
    _run(con, folder)
    (folder / "duo" / "extract.csv").unlink()
    _run(con, folder)
    assert con.execute("select distinct file_name from raw_rows").fetchall() == [("duo/delft.csv",)]
    assert con.execute("select distinct file_name from duo_rows").fetchall() == [("duo/delft.csv",)]
    assert con.execute("select distinct file_name from duo_cells").fetchall() == [("duo/delft.csv",)]
    assert con.execute("select file_name from staged_duo_files").fetchall() == [("duo/delft.csv",)]
