"""Names from suppliers are untrusted text: in afspraken.xlsx they are text cells (never a
formula or a link), in CSV a name Excel would evaluate gets a leading "'", Parquet keeps
the name as supplied, and the site shows it escaped.

One run of the real pipeline on the hand-worked linked fixture (fixtures.LINKED_*), with
the school 11AA00 renamed to a HYPERLINK formula and the three local teams renamed to
names starting with '+', '-' and '@'.
"""

from __future__ import annotations

import html
import re

import markupsafe
import openpyxl
import polars as pl
import pytest

import fixtures as F
from grensverkeer.exports.safe_text import neutralise

SCHOOL = '=HYPERLINK("http://x.invalid","klik")'
TEAMS = {F.JDH: "+Jeugdteam Den Haag", F.JDE: "-Jeugdteam Delft", F.JRW: "@Jeugdteam Rijswijk <b>vet</b>"}
NAMES = [SCHOOL, *TEAMS.values()]
YEAR = F.Y2024


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("untrusted")
    linked = root / "input" / "linked"
    schools = [[sid, SCHOOL if sid == "11AA00" else name, *rest] for sid, name, *rest in F.LINKED_SCHOOLS]
    support = [[*row[:4], TEAMS.get(row[4], row[4]), *row[5:]] for row in F.LINKED_SUPPORT]
    F.write_linked(linked / "schools.csv", F.LINKED_SCHOOLS_HEAD, schools)
    F.write_linked(linked / "enrolments.csv", F.LINKED_ENROLMENTS_HEAD, F.LINKED_ENROLMENTS)
    F.write_linked(linked / "support.csv", F.LINKED_SUPPORT_HEAD, support)
    region = F.write_linked_region(root / "region.toml", F.LINKED_MEMBERS, pair=F.LINKED_PAIR, school=F.LINKED_SCHOOL)
    r = F.run_with_region_file(root / "input", root / "warehouse.duckdb", root / "out", region)
    assert r.outcome.failures == []
    return r


def _folder(run):
    return run.out_dir / "exports" / YEAR


def test_names_reach_the_exports(run):
    """The fixture is only a test if the names are in the tables at all."""
    text = "".join(p.read_text(encoding="utf-8-sig") for p in _folder(run).glob("*.csv"))
    assert "HYPERLINK" in text
    for team in TEAMS.values():
        assert team[1:] in text, team


def test_xlsx_has_no_formula_and_the_text_intact(run):
    book = openpyxl.load_workbook(_folder(run) / "afspraken.xlsx")  # not read-only: keeps formulas as formulas
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None, (sheet.title, cell.coordinate)
                if cell.value in NAMES:
                    assert cell.data_type == "s"
                    seen.add(cell.value)
    assert seen == set(NAMES)


def test_csv_neutralises_text_that_excel_would_evaluate(run):
    seen = set()
    for path in _folder(run).glob("*.csv"):
        frame = pl.read_csv(path, separator=";", infer_schema=False, encoding="utf8")
        for column in frame.columns:
            values = frame[column].drop_nulls()
            assert not values.str.contains(r"^[=+@\t\r]").any(), (path.name, column)
            # '-' only as the sign of a number
            assert values.filter(values.str.starts_with("-")).str.contains(r"^-[0-9]+([.,][0-9]+)?$").all(), (
                path.name,
                column,
            )
            seen |= set(values.filter(values.is_in(["'" + n for n in NAMES])).to_list())
    assert seen == {"'" + n for n in NAMES}


def test_parquet_keeps_the_name_as_supplied(run):
    names = set()
    for path in _folder(run).glob("*.parquet"):
        frame = pl.read_parquet(path)
        for column, dtype in frame.schema.items():
            if dtype == pl.String:
                names |= set(frame[column].drop_nulls().filter(frame[column].drop_nulls().is_in(NAMES)).to_list())
    assert names == set(NAMES)


def test_site_escapes_the_names(run):
    pages = {p: p.read_text(encoding="utf-8") for p in (run.out_dir / "site").rglob("*.html")}
    school_page = pages[run.out_dir / "site" / "school" / "11AA00.html"]
    # escaped, in either spelling of the entities (html.escape: &quot;, Jinja2/markupsafe: &#34;)
    assert any(
        e in school_page
        for e in (html.escape(SCHOOL), html.escape(SCHOOL, quote=False), str(markupsafe.escape(SCHOOL)))
    )
    for path, text in pages.items():
        assert SCHOOL not in text, path  # the quotes are always escaped
        assert "<b>vet</b>" not in text, path
        assert not re.search(r'href="http://x\.invalid', text), path


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+31 70 123", "'+31 70 123"),
        ("-Delft", "'-Delft"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Delft", "Delft"),
        ("-3", "-3"),
        ("+5", "+5"),
        ("-2,5", "-2,5"),
        ("-1+1", "'-1+1"),
        ("<5", "<5"),
        ("", ""),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert pl.select(neutralise(pl.lit(value, dtype=pl.String))).item() == expected
