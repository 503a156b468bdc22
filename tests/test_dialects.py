"""Every dialect DUO used loads, and gives the same flows.

3 encodings x 2 delimiters x 2 quotings x 2 line endings x 2 header generations = 48
files in ONE input folder, one pipeline run. Each file holds the same four rows for its
own school location (so no file is a duplicate of another), in Westland, including the
non-ASCII names 'Basisschool De Flûte' and 'Súdwest-Fryslân' so that cp1252 matters.
Old-generation files (BRIN_NUMMER, VESTIGINGSNUMMER without leading zero, TOTAAL) have
no PEILDATUM: their school year comes from the file name. New-generation files have a
PEILDATUM and no year in their name.
"""

from __future__ import annotations

import itertools

import pytest

import fixtures as F

COMBOS = list(itertools.product(F.ENCODINGS, F.DELIMITERS, F.QUOTINGS, F.NEWLINES, F.GENERATIONS))
EOL = {"\r\n": "crlf", "\n": "lf"}
DELIM = {";": "semicolon", ",": "comma"}


def _school(i: int) -> F.School:
    return F.School(f"{i + 10:02d}QQ", "00", "Basisschool De Flûte", "1783", "Westland", "2671AA", "NAALDWIJK")


def _name(i: int, enc: str, delim: str, quoting: str, eol: str, gen: str) -> str:
    year = "_2024" if gen == "old" else ""
    return f"matrix/{i:02d}_{enc}_{DELIM[delim]}_{quoting}_{EOL[eol]}_{gen}{year}.csv"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    root = tmp_path_factory.mktemp("dialects")
    folder = root / "in"
    totals = {}
    expected = {}
    for i, (enc, delim, quoting, eol, gen) in enumerate(COMBOS):
        school = _school(i)
        rows = [F.PoRow(school, r.home_pc4, r.home_name, r.soort, r.counts) for r in F.WESTLAND_ROWS]
        name = _name(i, enc, delim, quoting, eol, gen)
        F.write_po(
            folder / name,
            rows,
            generation=gen,
            encoding=enc,
            delimiter=delim,
            quoting=quoting,
            newline=eol,
            peildatum=(gen == "new"),
        )
        totals[school] = {2024: 59}
        expected[name] = (school.location_id, enc, delim)
    F.write_totals(folder / "totals.csv", totals)
    r = F.run(folder, root / "warehouse.duckdb", root / "out", ["GM1783"])
    r.expected = expected
    return r


def test_fixture_really_differs_per_dialect(matrix):
    raw = {name: (matrix.input_dir / name).read_bytes() for name in matrix.expected}
    assert len(set(raw.values())) == len(COMBOS)
    cp = next(b for n, b in raw.items() if "cp1252" in n)
    assert "Flûte".encode("cp1252") in cp and "Flûte".encode() not in cp
    assert all(b.startswith(b"\xef\xbb\xbf") == ("utf-8-sig" in n) for n, b in raw.items())


def test_all_dialects_load_into_school_year_2024_2025(matrix):
    assert matrix.outcome.failures == []
    assert matrix.outcome.school_years == ["2024-2025"]
    got = {
        n: (s, k, e, d, rows)
        for n, s, k, e, d, rows in matrix.query(
            "select file_name, status, kind, encoding, delimiter, data_rows from input_files where file_name like 'matrix/%'"
        )
    }
    assert len(got) == len(COMBOS)
    for name, (_, enc, delim) in matrix.expected.items():
        assert got[name] == ("loaded", "duo_po_pc4", enc, delim, 4), name
    assert matrix.query("select count(*) from rejected_files") == [(0,)]
    assert F.rows_accounted(matrix) == []


def test_every_row_of_every_dialect_is_accepted_with_its_names_decoded(matrix):
    per_file = matrix.query("""
        select file_name, count(*) filter (where reason_code is null),
               string_agg(distinct school_name, '|'), string_agg(distinct home_municipality_name, '|' order by home_municipality_name),
               string_agg(distinct school_location_id, '|')
        from stg_duo_rows group by file_name""")
    assert len(per_file) == len(COMBOS)
    for name, accepted, school_names, homes, location in per_file:
        assert accepted == 4, name
        assert school_names == "Basisschool De Flûte", name
        assert homes == "Belgie|Delft|Súdwest-Fryslân|Westland", name
        assert location == matrix.expected[name][0], name


def test_every_dialect_gives_the_same_catchment(matrix):
    catchments = {}
    for location, origin, students, low, high in matrix.query(
        "select school_location_id, origin_code, students, students_low, students_high from school_catchment"
    ):
        catchments.setdefault(location, {})[origin] = (students, low, high)
    assert len(catchments) == len(COMBOS)
    expected = {"GM1783": (38, 38, 38), "GM0503": (8, 8, 8), "GM1900": (4, 4, 4), "BUITENLAND": (9, 9, 9)}
    for location, catchment in catchments.items():
        assert catchment == expected, location


def test_flows_are_48_times_one_file(matrix):
    n = len(COMBOS)
    assert matrix.flows() == {
        ("BO", "GM1783", "GM1783"): (38 * n, 38 * n, 38 * n),
        ("BO", "GM0503", "GM1783"): (8 * n, 8 * n, 8 * n),
        ("BO", "GM1900", "GM1783"): (4 * n, 4 * n, 4 * n),
        ("BO", "BUITENLAND", "GM1783"): (9 * n, 9 * n, 9 * n),
    }
