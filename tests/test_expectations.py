"""run_suite gives GX smaller batches (distinct values, repeated values); the verdicts must be
those of validating every row."""

import duckdb
import pytest

from grensverkeer.expectations import gxe, run_suite


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("""
        create table pupils as
        select * from (values
            ('a', 'GM0518', 'VO'), ('b', 'GM0518', 'VO'), ('c', 'GM0599', 'BO'),
            (null, 'GM0518', 'VO'), (null, 'GM0599', 'VO')
        ) as t(student_id, municipality_code, sector)""")
    c.execute("create table twice as select * from pupils union all select 'b', 'GM0518', 'VO'")
    return c


def test_unique_column_passes_with_repeated_nulls(con):
    e = gxe()
    outcome = run_suite(con, "select * from pupils", [e.ExpectColumnValuesToBeUnique(column="student_id")], "u1")
    assert outcome.success and outcome.evaluated == 1


def test_repeated_value_fails_and_is_named(con):
    e = gxe()
    outcome = run_suite(con, "select * from twice", [e.ExpectColumnValuesToBeUnique(column="student_id")], "u2")
    assert not outcome.success
    assert len(outcome.failed) == 1 and "'b'" in outcome.failed[0]


def test_per_value_and_unique_together(con):
    e = gxe()

    def checks():  # an expectation object belongs to one suite
        return [
            e.ExpectColumnValuesToBeUnique(column="student_id"),
            e.ExpectColumnValuesToMatchRegex(column="municipality_code", regex=r"^GM\d{4}$"),
            e.ExpectColumnValuesToBeInSet(column="sector", value_set=["BO", "VO"]),
            e.ExpectColumnValuesToNotBeNull(column="municipality_code"),
        ]

    assert run_suite(con, "select * from pupils", checks(), "u3").success
    bad = run_suite(con, "select student_id, municipality_code, 'MBO' as sector from twice", checks(), "u4")
    assert not bad.success and bad.evaluated == 4
    assert len(bad.failed) == 2  # the repeated pupil and the sector


def test_compound_uniqueness_per_school_year(con):
    """A pupil enrolled once in each of two years is unique per year; twice in one year is not."""
    con.execute("""
        create or replace table enrolled as
        select * from (values ('2023-2024', 'a'), ('2024-2025', 'a'), ('2024-2025', 'b'), ('2024-2025', 'b'),
                              ('2023-2024', null), ('2024-2025', null)) as t(school_year, student_id)""")
    e = gxe()
    unique = [e.ExpectCompoundColumnsToBeUnique(column_list=["school_year", "student_id"])]
    assert run_suite(con, "select * from enrolled where student_id is distinct from 'b'", unique, "c1").success
    bad = run_suite(con, "select * from enrolled", unique, "c2", by_year=True)
    assert not bad.success
    assert len(bad.failed) == 1 and bad.failed[0].startswith("2024-2025: ")


def test_failures_over_years_name_their_year(con):
    con.execute("""
        create or replace table coded as
        select * from (values ('2023-2024', 'GM0518'), ('2024-2025', 'GM0599'), ('2024-2025', 'XX')) as t(school_year, code)""")
    e = gxe()
    outcome = run_suite(
        con,
        "select * from coded",
        [e.ExpectColumnValuesToMatchRegex(column="code", regex=r"^GM\d{4}$")],
        "y1",
        by_year=True,
    )
    assert not outcome.success and outcome.evaluated == 1
    assert len(outcome.failed) == 1 and outcome.failed[0].startswith("2024-2025: ") and "'XX'" in outcome.failed[0]
