"""A linked file version's rows are written once, when it is read (linked_rows_*), and loading
it points linked_loaded at them (ingest/linked.py): raw_linked_* are views of the loaded rows.
Runs of one school year, a rerun, a changed file, a removed file and the source label, on the
ingest functions and a small folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from grensverkeer import warehouse
from grensverkeer.ingest import linked as L
from grensverkeer.ingest.load import loaded_file_years
from grensverkeer.ingest.retract import retract_years

HEADER = "school_year,student_id,school_location_id,sector,residence_municipality_code\n"


def _enrolments(folder: Path, rows_2024: int, rows_2025: int, tag: str = "p") -> None:
    lines = [f"2024-2025,{tag}{i},00AH00,BO,GM0518\n" for i in range(rows_2024)]
    lines += [f"2025-2026,{tag}{i},00AH00,BO,GM0518\n" for i in range(rows_2025)]
    (folder / "linked" / "enrolments.csv").write_text(HEADER + "".join(lines), encoding="utf-8")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "linked").mkdir()
    _enrolments(tmp_path, 3, 2)
    (tmp_path / "linked" / "support.csv").write_text(
        "student_id,support_domain,support_type,responsible_municipality_code,start_date\n"
        "p1,jeugdhulp,ambulant,GM0518,2024-09-01\n",
        encoding="utf-8",
    )
    (tmp_path / "linked" / "SYNTHETIC").write_text("demo\n", encoding="utf-8")
    return tmp_path


def _discover(con, folder: Path) -> list[int]:
    return L.linked_school_years(folder, known=loaded_file_years(con), con=con)[0]


def _load(con, folder: Path, years: list[int]) -> None:
    con.execute("begin transaction")
    L.load_linked_years(con, folder, years)
    con.execute("commit")


def _q(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _no_reading(monkeypatch) -> None:
    def fail(*_):
        raise AssertionError("a linked file was read again")

    monkeypatch.setattr(L, "_read_for_staging", fail)


def test_read_once_and_loaded_per_school_year(con, folder, monkeypatch):
    assert _discover(con, folder) == [2024, 2025]
    assert _q(con, "select count(*) from linked_rows_enrolments") == [(5,)]  # every year, written once
    _no_reading(monkeypatch)
    _load(con, folder, [2024])  # a run of one school year
    assert _q(con, "select school_year, count(*) from raw_linked_enrolments group by all") == [("2024-2025", 3)]
    assert _q(con, "select distinct source from raw_linked_support") == [("synthetic",)]
    _load(con, folder, [2025])  # the other year: its rows were kept, the file is not read again
    assert _q(con, "select school_year, count(*) from raw_linked_enrolments group by all order by 1") == [
        ("2024-2025", 3),
        ("2025-2026", 2),
    ]
    # a rerun of both years (discovery skips the loaded files): nothing read, nothing written
    assert _discover(con, folder) == [2024, 2025]
    _load(con, folder, [2024, 2025])
    assert _q(con, "select count(*) from linked_rows_enrolments") == [(5,)]
    assert _q(con, "select count(*) from linked_versions") == [(2,)]
    assert _q(con, "select count(*) from raw_linked_enrolments") == [(5,)]


def test_a_changed_file_replaces_its_rows_year_by_year(con, folder):
    _discover(con, folder)
    _load(con, folder, [2024, 2025])
    (folder / "linked" / "SYNTHETIC").unlink()
    _enrolments(folder, 4, 1, tag="q")  # new content: a new version
    assert _discover(con, folder) == [2024, 2025]
    _load(con, folder, [2024])  # (no retraction: the old version still counts for 2025-2026)
    assert _q(
        con, "select school_year, min(student_id), count(*) from raw_linked_enrolments group by all order by 1"
    ) == [
        ("2024-2025", "q0", 4),
        ("2025-2026", "p0", 2),
    ]
    # the old version's 2024-2025 rows went; its 2025-2026 rows stay while they count
    assert _q(con, "select count(*) from linked_rows_enrolments") == [(2 + 5,)]
    _load(con, folder, [2025])
    assert _q(con, "select count(*) from linked_rows_enrolments") == [(5,)]  # only the new version is left
    assert _q(con, "select count(*) from linked_versions where kind = 'linked_enrolments'") == [(1,)]
    # the new version is new content: loaded without the marker, its records are not synthetic
    assert _q(con, "select distinct source from raw_linked_enrolments") == [("linked",)]
    assert _q(con, "select distinct source from raw_linked_support") == [("synthetic",)]  # same content


def test_a_removed_file_stops_counting_and_its_rows_go(con, folder, tmp_path):
    _discover(con, folder)
    _load(con, folder, [2024, 2025])
    (folder / "linked" / "support.csv").unlink()
    retraction = retract_years(con, folder, tmp_path / "out")
    assert retraction.files == ["linked/support.csv"]
    assert _q(con, "select count(*) from raw_linked_support") == [(0,)]
    assert _q(con, "select count(*) from linked_rows_support") == [(0,)]
    assert _q(con, "select count(*) from linked_versions where kind = 'linked_support'") == [(0,)]
    assert _q(con, "select count(*) from raw_linked_enrolments") == [(5,)]  # the other file as it was


def test_a_bsn_file_writes_no_rows(con, folder):
    (folder / "linked" / "support.csv").write_text(
        "student_id,support_domain,support_type,responsible_municipality_code,start_date\n"
        "111222333,jeugdhulp,ambulant,GM0518,2024-09-01\n",
        encoding="utf-8",
    )
    _, problems = L.linked_school_years(folder, known={}, con=con)
    assert [name for name, _ in problems] == ["linked/support.csv"]
    _load(con, folder, [2024])
    assert _q(con, "select count(*) from linked_rows_support") == [(0,)]
    assert _q(con, "select status from input_files where file_name = 'linked/support.csv'") == [("rejected",)]


def test_a_warehouse_of_an_older_version_keeps_its_records(con):
    """raw_linked_* were tables: setup moves their rows into linked_rows_* once, loaded as they were."""
    for view in ("raw_linked_schools", "raw_linked_enrolments", "raw_linked_support"):
        con.execute(f"create table old_{view} as select * from {view}")
        con.execute(f"drop view {view}")
        con.execute(f"alter table old_{view} rename to {view}")
    con.execute(
        "insert into raw_linked_enrolments (file_name, school_year, line, student_id, source) values "
        "('linked/e.csv', '2024-2025', 2, 'p1', 'synthetic'), ('linked/e.csv', '2025-2026', 3, 'p2', 'synthetic')"
    )
    con.execute(
        "insert into raw_linked_support (file_name, line, student_id, source) values ('linked/s.csv', 2, 'p1', 'linked')"
    )
    con.execute(
        "insert into input_files (file_name, sha256, kind, count_years, status, seen_at) values "
        "('linked/e.csv', 'e1', 'linked_enrolments', [2024, 2025], 'loaded', now()), "
        "('linked/s.csv', 's1', 'linked_support', null, 'loaded', now())"
    )
    warehouse.setup(con)
    assert (
        _q(
            con,
            "select table_name from duckdb_tables() where table_name like 'raw_linked%' or table_name like 'gv_old%'",
        )
        == []
    )
    assert _q(con, "select school_year, line, student_id, source from raw_linked_enrolments order by line") == [
        ("2024-2025", 2, "p1", "synthetic"),
        ("2025-2026", 3, "p2", "synthetic"),
    ]
    assert _q(con, "select file_name, student_id, source from raw_linked_support") == [("linked/s.csv", "p1", "linked")]
    assert _q(con, "select file_name, sha256, read_last from linked_versions order by 1") == [
        ("linked/e.csv", "e1", False),
        ("linked/s.csv", "s1", False),
    ]
    warehouse.setup(con)  # once
    assert _q(con, "select count(*) from linked_rows_enrolments") == [(2,)]
