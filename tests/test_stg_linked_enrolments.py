"""stg_linked_enrolments checks a row's codes once per distinct value and joins the verdicts back
(models/staging/stg_linked_enrolments.sql). Every reason, with the empty and missing values
each check meets, and the duplicate rule's candidates (a pupil with one rejected and one
accepted row is not a duplicate), run on a real warehouse with the bundled reference tables."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from grensverkeer import warehouse

Y = "2024-2025"
SCHOOL = "00AH00"  # in the bundled DUO school list (ref_school_locations)
COLUMNS = [
    "school_year_text",
    "student_id",
    "school_location_id",
    "sector",
    "residence_municipality_code",
    "birth_year",
]
# (student_id, school_year_text, location, sector, residence, birth year) -> reason, column, residence counted
ROWS = [
    (("a", "2024-2025", SCHOOL, "BO", "GM0518", "2015"), None, None, "GM0518"),
    (("b", " 2024 / 2025 ", " 00ah00 ", " bo ", " gm0518 ", " 2015 "), None, None, "GM0518"),
    (("c", "2024", SCHOOL, "VO", "GM0003", ""), None, None, "GM1979"),  # merged municipality
    (("d", "2024-2026", SCHOOL, "BO", "GM0518", None), "invalid_school_year", "school_year", "GM0518"),
    (("e", None, SCHOOL, "BO", "GM0518", None), "invalid_school_year", "school_year", "GM0518"),
    (("  ", Y, SCHOOL, "BO", "GM0518", None), "missing_student_id", "student_id", "GM0518"),
    ((None, Y, SCHOOL, "BO", "GM0518", None), "missing_student_id", "student_id", "GM0518"),
    (("f", Y, "00AH", "BO", "GM0518", None), "invalid_location", "school_location_id", "GM0518"),
    (("g", Y, None, "BO", "GM0518", None), "invalid_location", "school_location_id", "GM0518"),
    (("h", Y, "99ZZ99", "BO", "GM0518", None), "unknown_school", "school_location_id", "GM0518"),
    (("i", Y, SCHOOL, "HAVO", "GM0518", None), "unknown_sector", "sector", "GM0518"),
    (("j", Y, SCHOOL, None, "GM0518", None), "unknown_sector", "sector", "GM0518"),
    (("k", Y, SCHOOL, "BO", "GM9999", None), "unknown_municipality", "residence_municipality_code", "GM9999"),
    (("l", Y, SCHOOL, "BO", None, None), "unknown_municipality", "residence_municipality_code", None),
    (("m", Y, SCHOOL, "BO", "GM0518", "1970"), "invalid_birth_year", "birth_year", "GM0518"),
    (("n", Y, SCHOOL, "BO", "GM0518", "twee"), "invalid_birth_year", "birth_year", "GM0518"),
    (("a", Y, SCHOOL, "SO", "GM0518", "2015"), "duplicate_student", "student_id", "GM0518"),
    ((" a ", Y, SCHOOL, "SO", "GM0518", "2015"), "duplicate_student", "student_id", "GM0518"),
    (("o", Y, SCHOOL, "HAVO", "GM0518", None), "unknown_sector", "sector", "GM0518"),
    (("o", Y, SCHOOL, "BO", "GM0518", None), None, None, "GM0518"),  # its earlier row was rejected
]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("stg_enrolments") / "w.duckdb"))
    warehouse.setup(con)
    warehouse.set_school_year(con, None)
    for name in ("ref_municipalities", "ref_municipality_mergers", "ref_school_locations"):
        warehouse.run_model(con, f"reference/{name}")
    warehouse.run_model(con, "staging/stg_linked_schools")  # no schools file: the DUO list counts
    raw = pl.DataFrame(  # noqa: F841 (read by DuckDB)
        [
            {
                "version": 1,
                "file_name": "linked/enrolments.csv",
                "school_year": Y,
                "line": line,
                **dict(zip(COLUMNS, (values[1], values[0], *values[2:]), strict=True)),
                # rows copied by older versions carry their raw text; new ones get it from the model
                "raw_text": f"row {line}" if line % 2 else None,
            }
            for line, (values, *_) in enumerate(ROWS, start=2)
        ],
        schema_overrides={c: pl.String for c in COLUMNS},
    )
    # the file's version 1, loaded for the year: raw_linked_enrolments shows its rows
    con.execute("insert into linked_rows_enrolments by name select * from raw")
    con.execute("insert into linked_loaded values ('linked/enrolments.csv', ?, 1, 'linked_enrolments', 'linked')", [Y])
    # the file's contract columns (no residence_postcode4): a rejected row's raw text is made of them
    con.execute(
        "insert into input_files (file_name, sha256, kind, column_map, status, seen_at) "
        "values ('linked/enrolments.csv', 'x', 'linked_enrolments', ?, 'loaded', now())",
        [{("school_year" if c == "school_year_text" else c): c.upper() for c in COLUMNS}],
    )
    warehouse.run_models_over_years(con, [("staging/stg_linked_enrolments", None, None)], [Y])
    rows = con.execute(
        "select line, reason_code, column_name, origin_code, raw_text, reason, birth_year "
        "from stg_linked_enrolments order by line"
    ).fetchall()
    con.close()
    return rows


def test_every_row_is_staged_once(staged):
    assert [r[0] for r in staged] == list(range(2, len(ROWS) + 2))


@pytest.mark.parametrize("i", range(len(ROWS)))
def test_each_row_gets_its_reason_and_column(staged, i):
    line, reason_code, column, origin, raw_text, reason, _ = staged[i]
    _, want_reason, want_column, want_origin = ROWS[i]
    assert (reason_code, column, origin) == (want_reason, want_column, want_origin)
    # the raw text is kept for rejected rows only (the file's contract columns as read), with a
    # plain reason
    values = ROWS[i][0]
    made = ";".join(v or "" for v in (values[1], values[0], *values[2:]))
    assert raw_text == ((f"row {line}" if line % 2 else made) if want_reason else None)
    assert (reason is None) == (want_reason is None)


def test_the_duplicate_names_the_first_enrolment(staged):
    reasons = {line: reason for line, code, _, _, _, reason, _ in staged if code == "duplicate_student"}
    assert set(reasons.values()) == {
        "pupil already enrolled this school year (linked/enrolments.csv line 2): the first enrolment is used"
    }


def test_birth_years_are_read_where_valid(staged):
    assert [r[6] for r in staged[:3]] == [2015, 2015, None]
