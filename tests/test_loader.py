"""The raw loader on an in-memory DuckDB (no Dagster): which file counts, and how it is marked."""

from __future__ import annotations

import duckdb

import fixtures as F
from grensverkeer import warehouse
from grensverkeer.ingest.load import load_school_year, load_school_years

ALMERE = F.School("01AB", "00", "Almere school", "0034", "Almere")
RENKUM = F.School("02AB", "00", "Renkum school", "0340", "Renkum")
DELFT_SHORT = F.School("04MF", "01", "Delft, number without leading zero", "503", "Delft")


def _single(con, name):
    return con.execute("select single_school_municipality from input_files where file_name = ?", [name]).fetchall()


def test_file_of_one_school_municipality_is_a_municipality_file(con, tmp_path):
    F.write_po(tmp_path / "delft.csv", F.DELFT_ROWS + [F.PoRow(DELFT_SHORT, "2611", "Delft", "Bo", {"4": 9})])
    F.write_po(tmp_path / "extract.csv", F.EXTRACT_ROWS)
    load_school_year(con, tmp_path, 2024)
    assert _single(con, "delft.csv") == [(True,)]  # '0503' and '503' are the same municipality
    assert _single(con, "extract.csv") == [(False,)]


def test_codes_that_differ_only_in_trailing_zeros_are_different_municipalities(con, tmp_path):
    # GM0034 Almere and GM0340 Renkum: an extract with both is not a municipality file
    F.write_po(
        tmp_path / "extract.csv",
        [F.PoRow(ALMERE, "1311", "Almere", "Bo", {"4": 9}), F.PoRow(RENKUM, "6871", "Renkum", "Bo", {"4": 9})],
    )
    load_school_year(con, tmp_path, 2024)
    assert _single(con, "extract.csv") == [(False,)]


def test_copy_added_later_is_the_duplicate_even_when_its_name_sorts_first(con, tmp_path):
    F.write_po(tmp_path / "b.csv", F.DELFT_ROWS)
    load_school_year(con, tmp_path, 2024)
    (tmp_path / "a.csv").write_bytes((tmp_path / "b.csv").read_bytes())
    result = load_school_year(con, tmp_path, 2024)
    assert result.duplicates == [("a.csv", "b.csv")]
    assert dict(con.execute("select file_name, status from input_files").fetchall()) == {
        "a.csv": "duplicate",
        "b.csv": "loaded",
    }
    assert con.execute("select file_name, count(*) from raw_rows group by all").fetchall() == [
        ("b.csv", len(F.DELFT_ROWS))
    ]


def test_in_a_fresh_folder_the_first_name_counts(con, tmp_path):
    F.write_po(tmp_path / "b.csv", F.DELFT_ROWS)
    (tmp_path / "a.csv").write_bytes((tmp_path / "b.csv").read_bytes())
    result = load_school_year(con, tmp_path, 2024)
    assert result.duplicates == [("b.csv", "a.csv")]
    assert result.loaded == ["a.csv"]


def test_rejected_new_version_keeps_the_rows_of_the_old_one(con, tmp_path):
    path = F.write_po(tmp_path / "delft.csv", F.DELFT_ROWS)
    load_school_year(con, tmp_path, 2024)
    before = con.execute("select * from raw_rows order by line").fetchall()
    path.write_bytes(b"\xef\xbb\xbfPEILDATUM;GEMEENTENUMMER\n20241001;0503\n")
    result = load_school_year(con, tmp_path, 2024)
    assert [n for n, _ in result.rejected] == ["delft.csv"]
    assert con.execute("select * from raw_rows order by line").fetchall() == before
    assert sorted(s for (s,) in con.execute("select status from input_files").fetchall()) == ["loaded", "rejected"]


def test_file_without_any_readable_count_date_is_rejected_not_dropped(con, tmp_path):
    # e.g. saved from Excel: PEILDATUM 20241001 became 1-10-2024 in every row
    rows = [F.PoRow(r.school, r.home_pc4, r.home_name, r.soort, r.counts, peildatum="1-10-2024") for r in F.DELFT_ROWS]
    F.write_po(tmp_path / "delft.csv", rows)
    F.write_po(tmp_path / "westland.csv", F.WESTLAND_ROWS)
    result = load_school_year(con, tmp_path, 2024)
    assert result.loaded == ["westland.csv"]
    assert con.execute(
        "select line, column_name, reason_code from rejected_files where file_name = 'delft.csv'"
    ).fetchall() == [(2, "PEILDATUM", "invalid_count_date")]
    assert "1-10-2024" in con.execute("select reason from rejected_files").fetchone()[0]


def test_discovery_reuses_the_years_of_files_loaded_before(con, tmp_path, monkeypatch):
    from grensverkeer.ingest import load

    F.write_po(tmp_path / "delft.csv", F.DELFT_ROWS)
    rows = [
        F.PoRow(r.school, r.home_pc4, r.home_name, r.soort, r.counts, peildatum="20231001") for r in F.WESTLAND_ROWS
    ]
    F.write_po(tmp_path / "westland.csv", rows)
    parsed = load.discover_input(tmp_path)
    load_school_year(con, tmp_path, 2024)
    known = load.loaded_file_years(con)
    assert sorted(n for n, _ in known) == ["delft.csv", "westland.csv"]
    F.write_po(
        tmp_path / "new.csv",
        [F.PoRow(r.school, r.home_pc4, r.home_name, r.soort, r.counts, peildatum="20221001") for r in F.DELFT_ROWS],
    )
    seen = []
    real_parse = load.parse_file
    monkeypatch.setattr(load, "parse_file", lambda path, name, sha: seen.append(name) or real_parse(path, name, sha))
    assert load.discover_input(tmp_path, known=known) == ([2022, *parsed[0]], [])
    assert seen == ["new.csv"]  # the unchanged files are not parsed again
    (tmp_path / "delft.csv").write_bytes((tmp_path / "delft.csv").read_bytes() + b"\n")  # changed content: parsed
    seen.clear()
    load.discover_input(tmp_path, known=known)
    assert seen == ["delft.csv", "new.csv"]


def test_discovery_on_a_new_warehouse_knows_no_files():
    from grensverkeer.ingest import load

    assert load.loaded_file_years(duckdb.connect()) == {}


def test_several_school_years_at_once_load_the_same_rows_as_one_at_a_time(tmp_path):
    # load_school_years copies the rows of every year in one statement per table: the same
    # rows, priorities and file records as loading the years one after the other
    F.write_po(tmp_path / "delft.csv", F.DELFT_ROWS)
    F.write_po(tmp_path / "extract.csv", F.EXTRACT_ROWS)  # repeats rows of delft.csv
    F.write_po(
        tmp_path / "westland-2023.csv",
        [F.PoRow(r.school, r.home_pc4, r.home_name, r.soort, r.counts, peildatum="20231001") for r in F.WESTLAND_ROWS],
    )
    F.write_totals(
        tmp_path / "totals.csv",
        {s: {2023: n - 1, 2024: n} for s, n in F.location_totals(F.DELFT_ROWS + F.WESTLAND_ROWS).items()},
    )
    tables = {
        "raw_rows": "*",
        "raw_cells": "*",
        "raw_cell_columns": "*",
        "raw_location_totals": "*",
        "input_files": "* exclude (seen_at)",
        "staged_duo_files": "file_name, pending_years",
    }
    snapshots, loaded = [], []
    for by_year in (True, False):
        con = duckdb.connect()
        warehouse.setup(con)
        if by_year:
            results = {year: load_school_year(con, tmp_path, year) for year in (2023, 2024)}
        else:
            results = load_school_years(con, tmp_path, [2023, 2024])
        loaded.append({year: (r.loaded, r.rejected) for year, r in results.items()})
        snapshots.append(
            {t: sorted(con.execute(f"select {c} from {t}").fetchall(), key=repr) for t, c in tables.items()}
        )
        con.close()
    assert loaded[0] == loaded[1]
    assert loaded[1][2024][0] == ["delft.csv", "extract.csv", "totals.csv"]
    assert loaded[1][2023][0] == ["totals.csv", "westland-2023.csv"]
    for table in tables:
        assert snapshots[0][table] == snapshots[1][table], table
    assert [len(snapshots[1][t]) for t in ("raw_rows", "raw_location_totals")] == [
        len(F.DELFT_ROWS) + len(F.EXTRACT_ROWS) + len(F.WESTLAND_ROWS),
        2 * len(F.location_totals(F.DELFT_ROWS + F.WESTLAND_ROWS)),
    ]


def test_zero_cells_are_not_stored_and_every_other_text_is(con, tmp_path):
    # docs/warehouse.md, raw_cells: a cell that is a plain zero ('0', '00') adds nothing and is
    # left out; staging reads everything else as before ('-0' negative, '' and '0.0' not a count)
    odd = {"LEEFTIJD_5": "00", "LEEFTIJD_6": "-0", "LEEFTIJD_8": "", "LEEFTIJD_9": "0.0"}
    F.write_po(
        tmp_path / "delft.csv",
        [
            F.PoRow(F.DELFT_MONT, "2611", "Delft", "Bo", {"4": 10, "10": 2}, odd),
            F.PoRow(F.DELFT_MONT, "2622", "Delft", "Bo", {}),  # zeros only: no cells, the row stays
        ],
    )
    load_school_year(con, tmp_path, 2024)
    assert con.execute("select line from raw_rows order by line").fetchall() == [(2,), (3,)]
    assert con.execute("select line, cell_label, value_text from raw_cells order by line, cell_order").fetchall() == [
        (2, "LEEFTIJD_4", "10"),
        (2, "LEEFTIJD_6", "-0"),
        (2, "LEEFTIJD_8", ""),
        (2, "LEEFTIJD_9", "0.0"),
        (2, "LEEFTIJD_10", "<5"),
    ]
    # the count columns of the file: a row's zero cells are those it has no cell of
    assert con.execute("select file_name, school_year, cell_columns from raw_cell_columns").fetchall() == [
        ("delft.csv", "2024-2025", F.PO_AGE_COLUMNS)
    ]


def _as_an_older_version(con: duckdb.DuckDBPyConnection) -> None:
    """The warehouse as a version from before duo_rows left it: raw_rows, raw_cells and
    raw_cell_columns are tables of the loaded rows, staged_duo_rows holds rows not copied yet."""
    con.execute(
        """
        create table gv_rows as select * from raw_rows;
        create table gv_cells as select * from raw_cells;
        create table gv_columns as select * from raw_cell_columns;
        drop view raw_rows;
        drop view raw_cells;
        drop view raw_cell_columns;
        drop table duo_loaded;
        drop table duo_rows;
        drop table duo_cells;
        alter table gv_rows rename to raw_rows;
        alter table gv_cells rename to raw_cells;
        alter table gv_columns rename to raw_cell_columns;
        drop table staged_duo_files;
        create table staged_duo_files (file_name varchar primary key, sha256 varchar not null, status varchar);
        create table staged_duo_rows as
            select * exclude (file_priority), cast(null as varchar[]) as cell_values from raw_rows where false;
        """
    )


def test_a_warehouse_from_before_duo_rows_keeps_its_rows_as_loaded_versions(con, tmp_path):
    F.write_po(tmp_path / "delft.csv", F.DELFT_ROWS)
    F.write_po(tmp_path / "extract.csv", F.EXTRACT_ROWS)
    load_school_year(con, tmp_path, 2024)
    raw = ("raw_rows", "raw_cells", "raw_cell_columns")
    new = {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in raw}
    _as_an_older_version(con)
    warehouse.setup(con)
    assert {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in raw} == new
    assert con.execute(
        "select table_name from duckdb_tables() where table_name like '%raw_%' or table_name like 'staged_duo_rows'"
    ).fetchall() == [("raw_location_totals",)]
    load_school_year(con, tmp_path, 2024)  # parsed again: a new version of each file replaces the old one
    assert {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in raw} == new
    assert con.execute("select count(distinct version) from duo_rows").fetchall() == [(2,)]


def test_a_warehouse_from_before_gets_its_count_columns_and_loses_its_zero_cells(con, tmp_path):
    F.write_po(tmp_path / "delft.csv", F.DELFT_ROWS)
    load_school_year(con, tmp_path, 2024)
    new = {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in ("raw_cells", "raw_cell_columns")}
    _as_an_older_version(con)
    # the warehouse as an older version left it: every cell in raw_cells, no raw_cell_columns
    con.execute(
        """
        insert into raw_cells
        select r.file_name, r.school_year, r.line, c.cell_columns[i], (i - 1)::integer, '0'
        from raw_rows r join raw_cell_columns c using (school_year, file_name),
             range(1, len(c.cell_columns) + 1) t(i)
        where not exists (select 1 from raw_cells x where (x.file_name, x.line, x.cell_order)
                                                          = (r.file_name, r.line, (i - 1)::integer));
        drop table raw_cell_columns;
        """
    )
    assert con.execute("select count(*) from raw_cells").fetchall() == [(len(F.DELFT_ROWS) * len(F.AGE_LABELS),)]
    warehouse.setup(con)
    assert {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in new} == new
