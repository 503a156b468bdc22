"""The hand-worked linked fixture delivered as XLSX and Parquet instead of CSV, with the
SYNTHETIC marker: the same support_flows and agreement_needs as from CSV
(test_linked_handworked), and source = 'synthetic' in every linked mart.

One run (two partitions). INPUT/linked/ holds:

    SYNTHETIC                      the marker `grensverkeer demo-data` writes
    schools.xlsx                   all schools (text cells)
    enrolments-2023.xlsx           the 2023-2024 enrolments; birth_year as Excel numbers
    enrolments-2024.parquet        the 2024-2025 enrolments; birth_year Int32
    support.parquet                most episodes; start_date/end_date as Parquet DATE
    support-excel.xlsx             P01 P02 P05 P18: dates as real Excel date cells
    support-timestamps.parquet     P20's two episodes: dates as Parquet TIMESTAMP (pandas' default)
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import fixtures as F
import test_linked_handworked as H

EXCEL_STUDENTS = {"P01", "P02", "P05", "P18"}
TIMESTAMP_STUDENTS = {"P20"}


def _date(v):
    if v is None:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    raise ValueError(v)


def _typed(row, as_datetime=False):
    start, end = _date(row[5]), _date(row[6])
    if as_datetime:
        start = dt.datetime.combine(start, dt.time())
        end = None if end is None else dt.datetime.combine(end, dt.time())
    return row[:5] + [start, end]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("linked_formats")
    folder, wh, out = root / "in", root / "warehouse.duckdb", root / "out"
    linked = folder / "linked"
    linked.mkdir(parents=True)
    (linked / "SYNTHETIC").write_text("synthetic test data\n", encoding="utf-8")
    F.write_linked(linked / "schools.xlsx", F.LINKED_SCHOOLS_HEAD, F.LINKED_SCHOOLS)
    F.write_linked(
        linked / "enrolments-2023.xlsx", F.LINKED_ENROLMENTS_HEAD, [r for r in F.LINKED_ENROLMENTS if r[0] == F.Y2023]
    )
    F.write_linked(
        linked / "enrolments-2024.parquet",
        F.LINKED_ENROLMENTS_HEAD,
        [r for r in F.LINKED_ENROLMENTS if r[0] == F.Y2024],
        schema={"birth_year": pl.Int32},
    )
    support = F.LINKED_SUPPORT
    F.write_linked(
        linked / "support.parquet",
        F.LINKED_SUPPORT_HEAD,
        [_typed(r) for r in support if r[0] not in EXCEL_STUDENTS | TIMESTAMP_STUDENTS],
        schema={"start_date": pl.Date, "end_date": pl.Date},
    )
    F.write_linked(
        linked / "support-excel.xlsx", F.LINKED_SUPPORT_HEAD, [_typed(r) for r in support if r[0] in EXCEL_STUDENTS]
    )
    F.write_linked(
        linked / "support-timestamps.parquet",
        F.LINKED_SUPPORT_HEAD,
        [_typed(r, as_datetime=True) for r in support if r[0] in TIMESTAMP_STUDENTS],
        schema={"start_date": pl.Datetime("us"), "end_date": pl.Datetime("us")},
    )
    region = F.write_linked_region(root / "region.toml", F.LINKED_MEMBERS, pair=F.LINKED_PAIR, school=F.LINKED_SCHOOL)
    return F.run_with_region_file(folder, wh, out, region)


def test_run_succeeds_with_two_partitions(run):
    assert run.outcome.school_years == [F.Y2023, F.Y2024]
    assert run.outcome.failures == []
    assert dict(run.query("select file_name, status from input_files")) == {
        f"linked/{n}": "loaded"
        for n in (
            "schools.xlsx",
            "enrolments-2023.xlsx",
            "enrolments-2024.parquet",
            "support.parquet",
            "support-excel.xlsx",
            "support-timestamps.parquet",
        )
    }


def test_source_is_synthetic_with_the_marker(run):
    for table in (
        "support_flows",
        "school_local_team",
        "agreement_needs",
        "school_coordination_load",
        "municipality_support_profile",
    ):
        assert run.query(f"select distinct source from {table}") == [("synthetic",)], table


def test_xlsx_and_parquet_enrolments_and_schools_stage_like_csv(run):
    got = set(
        run.query("""select school_year, student_id, school_location_id, sector, origin_code,
                                  residence_postcode4, birth_year
                           from stg_linked_enrolments where reason_code is null""")
    )
    assert got == {(y, s, loc, sec, res, pc, by) for y, s, loc, sec, res, pc, by in F.LINKED_ENROLMENTS}
    assert run.query("select count(*) from stg_linked_enrolments where reason_code is not null") == [(0,)]
    assert set(
        run.query(
            "select school_location_id, school_name, sector, municipality_code "
            "from stg_linked_schools where reason_code is null"
        )
    ) == {tuple(r) for r in F.LINKED_SCHOOLS}


def test_parquet_date_columns_are_read_as_dates(run):
    got = set(
        run.query("""select student_id, support_domain, responsible_municipality_code, start_date, end_date
                           from stg_linked_support where file_name = 'linked/support.parquet' and reason_code is null""")
    )
    assert got == {
        (r[0], r[1], r[3], _date(r[5]), _date(r[6]))
        for r in F.LINKED_SUPPORT
        if r[0] not in EXCEL_STUDENTS | TIMESTAMP_STUDENTS
    }


@pytest.mark.parametrize("name", ["support-excel.xlsx", "support-timestamps.parquet"])
def test_excel_dates_and_parquet_timestamps_are_read_as_dates(run, name):
    students = EXCEL_STUDENTS if name.endswith("xlsx") else TIMESTAMP_STUDENTS
    got = set(
        run.query(
            """select student_id, support_domain, responsible_municipality_code, start_date, end_date,
                                  reason_code
                           from stg_linked_support where file_name = ?""",
            [f"linked/{name}"],
        )
    )
    assert got == {(r[0], r[1], r[3], _date(r[5]), _date(r[6]), None) for r in F.LINKED_SUPPORT if r[0] in students}


@pytest.mark.parametrize("year", [F.Y2024, F.Y2023])
def test_same_support_flows_and_agreement_needs_as_from_csv(run, year):
    needs = {
        (lv, a, b, s): (need, n, ow, k)
        for lv, a, b, s, need, n, ow, k in run.query(
            """
        select level, local_team_municipality_code, school_municipality_code, school_location_id,
               need_level, students_with_support, students_with_school_support, schools
        from agreement_needs where school_year = ?""",
            [year],
        )
    }
    flows = {
        (s, o, d, dom): (n, k)
        for s, o, d, dom, n, k in run.query(
            """
        select sector, origin_code, destination_code, support_domain, students, students_with_support
        from support_flows where school_year = ?""",
            [year],
        )
    }
    assert flows == {
        (s, o, d, dom): (n, by_domain.get(dom, 0))
        for (s, o, d), (n, by_domain) in H.FLOWS[year].items()
        for dom in H.DOMAINS
    }
    assert needs == H.NEEDS[year]
