"""DUO republishes its location-totals file ('historisch overzicht') every year under the same
name, with a column more and the locations opened since (0 for the years before them). The old
version is retracted (the folder is the truth), but a year it gives the same totals is not
touched: its rows are taken from the new version at once and the year is not computed again,
so adding a school year stays that year's work (ingest/retract.py). A new version that changes
a year's totals touches that year.

    run 1      the 2024 baseline (totals file with columns 2021-2025)
    republish  the totals file again: a new location first (line numbers shift), a 2026 column
               -> retracted, no school year touched; rows of the new version
               and, without computing the year again, every table of the year equals a fresh
               run on the new folder
    run 2      records the new version
    correct    the totals file with another 2024 total for 00PZ00 -> 2024-2025 touched
"""

from __future__ import annotations

import duckdb
import pytest

import fixtures as F
from grensverkeer.ingest.retract import retract_years

Y24 = "2024-2025"
TOTALS = "06.-historisch-overzicht.csv"
NEW_SCHOOL = ["09ZZ", "09ZZ00", "Nieuwe School", "BO", "Openbaar", "41455", "503", "DELFT", "0", "0", "0", "0", "0"]
COMPARED = [
    "raw_location_totals",
    "stg_location_totals",
    "stg_duo_rows",
    "int_cell_estimates",
    "municipality_flows",
    "pub_school_catchment",
    "pub_school_totals",
    "rejected_rows",
]


def _republish(path) -> None:
    """The file as DUO publishes it a year later: a LEERLINGEN_2026 column and a location
    opened since, listed first (0 for the years before it)."""
    head, *rows = [line.split(";") for line in path.read_text(encoding="utf-8-sig").splitlines()]
    records = [[*head, "LEERLINGEN_2026"], [*NEW_SCHOOL, "25"]] + [[*r, r[-1] or "0"] for r in rows]
    F.write_records(path, records, encoding="utf-8-sig", delimiter=";", quoting="none", newline="\r\n")


def _retract(folder, warehouse, out):
    con = duckdb.connect(str(warehouse))
    try:
        return retract_years(con, folder, out)
    finally:
        con.close()


def _rows(r: F.Run, table: str) -> list[tuple]:
    return sorted(r.query(f"select * from {table} where school_year = ?", [Y24]), key=repr)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("republished")
    folder, wh, out = root / "in", root / "wh.duckdb", root / "out"
    F.write_baseline(folder)
    first = F.run(folder, wh, out, F.BASE_REGION)
    before = {t: _rows(first, t) for t in COMPARED}
    _republish(folder / TOTALS)
    republished = _retract(folder, wh, out)
    after = {t: _rows(first, t) for t in COMPARED}
    lines = first.query(
        "select school_location_id, line from stg_location_totals where school_year = ? order by line", [Y24]
    )
    fresh = F.run(folder, root / "fresh.duckdb", root / "fresh-out", F.BASE_REGION)
    fresh_rows = {t: _rows(fresh, t) for t in COMPARED}
    # the run that follows records the new version; then a correction of a 2024 total (00PZ00:
    # 19 -> 18; its masked cells still fit) touches 2024
    assert F.run(folder, wh, out, F.BASE_REGION).outcome.failures == []
    text = (folder / TOTALS).read_text(encoding="utf-8-sig")
    assert text.count(";19;") == 1
    (folder / TOTALS).write_text(text.replace(";19;", ";18;"), encoding="utf-8-sig")
    corrected = _retract(folder, wh, out)
    return first, before, republished, lines, after, fresh, fresh_rows, corrected


def test_a_republished_totals_file_is_retracted_but_touches_no_year(chain):
    first, _, republished, lines, *_ = chain
    assert first.outcome.failures == []
    assert republished.files == [TOTALS]
    assert republished.school_years == []
    # the rows are the new version's: the new location is line 2, the others one line lower
    assert lines[0] == ("09ZZ00", 2)
    assert [line for _, line in lines] == list(range(2, len(lines) + 2))


def test_without_computing_the_year_again_it_equals_a_fresh_run_on_the_new_folder(chain):
    _, before, _, _, after, fresh, fresh_rows, _ = chain
    assert fresh.outcome.failures == []
    for table in COMPARED:
        assert after[table] == fresh_rows[table], table
    # the totals file's rows moved (new lines, a new column), the figures did not
    assert after["raw_location_totals"] != before["raw_location_totals"]
    for table in ("municipality_flows", "pub_school_totals", "int_cell_estimates"):
        assert after[table] == before[table], table


def test_a_changed_total_touches_its_year(chain):
    *_, corrected = chain
    assert corrected.files == [TOTALS]
    assert corrected.school_years == [Y24]
