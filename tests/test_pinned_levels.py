"""Need levels that pin school rows (docs/disclosure.md, "Need levels that pin school rows"): the
printed levels of a pair and its schools can fix the schools' counts on their own, whatever is
suppressed. Found in the national benchmark (2016-2017: 9 pupils at three schools, 5 + 2 + 2); here
by hand, one run through `grensverkeer run` on linked records only:

    thresholds: pair 'afspraak nodig' from 10, 'aandachtspunt' from 3; school 5 and 2; k = 5
    Den Haag -> Delft:  9 = 5 at 11AA00 + 2 at 11AA01 + 2 at 11AA02
        the pair's 'aandachtspunt' says at most 9, the schools' levels at least 5, 2 and 2: together
        exactly 5, 2 and 2 -> the rows of 2 are left out (pinned_by_levels), the pair's rest holds them
    Rijswijk -> Delft: 10 = 5 at 11AA00 + 2 at 11AA01 + 3 at 11AA02 (control)
        'afspraak nodig' has no upper bound: 2 and 3 are suppressed, not pinned -> listed
Before the rule the run stopped in the exports: protect found the two rows pinned and nothing to hide.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

import fixtures as F

Y = F.Y2024
DE, DH, RW = "GM0503", "GM0518", "GM0603"
SCHOOLS = {"11AA00": "Delftse Noordschool", "11AA01": "Delftse Zuidschool", "11AA02": "Delftse Westschool"}
# (school, residence = responsible municipality, pupils with jeugdhulp)
GROUPS = [
    ("11AA00", DH, 5),
    ("11AA01", DH, 2),
    ("11AA02", DH, 2),
    ("11AA00", RW, 5),
    ("11AA01", RW, 2),
    ("11AA02", RW, 3),
]
TEAMS = {DH: "Jeugdteam Den Haag", RW: "Jeugdteam Rijswijk"}
PC4 = {DH: "2491", RW: "2282"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pinned_levels")
    folder, wh, out = root / "in", root / "warehouse.duckdb", root / "out"
    linked = folder / "linked"
    F.write_linked(linked / "schools.csv", F.LINKED_SCHOOLS_HEAD, [[s, n, "BO", DE] for s, n in SCHOOLS.items()])
    enrolments, support = [], []
    for school, municipality, n in GROUPS:
        for i in range(n):
            pupil = f"{school}-{municipality}-{i}"
            enrolments.append([Y, pupil, school, "BO", municipality, PC4[municipality], 2014])
            support.append([pupil, "jeugdhulp", "ambulant", municipality, TEAMS[municipality], "2024-09-01", None])
    F.write_linked(linked / "enrolments.csv", F.LINKED_ENROLMENTS_HEAD, enrolments)
    F.write_linked(linked / "support.csv", F.LINKED_SUPPORT_HEAD, support)
    region = F.write_linked_region(root / "region.toml", F.LINKED_MEMBERS, pair=(10, 3), school=(5, 2))
    code, output = F.cli_main(
        root, ["run", "--input", str(folder), "--warehouse", str(wh), "--out", str(out), "--region", str(region)]
    )
    return wh, out, code, output


def test_the_run_passes_its_exports_and_checks(run):
    _, _, code, output = run
    assert code == 0, output
    assert "DisclosureError" not in output and "failed" not in output, output


def test_only_the_school_rows_the_levels_pin_are_marked(run):
    wh = run[0]
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute(
            "select local_team_municipality_code, school_location_id, published_need_level, pinned_by_levels "
            "from pub_agreement_needs where school_year = ? and level = 'school' order by 1, 2",
            [Y],
        ).fetchall()
    assert {(a, s): pinned for a, s, _, pinned in rows} == {
        (DH, "11AA00"): False,
        (DH, "11AA01"): True,
        (DH, "11AA02"): True,
        (RW, "11AA00"): False,
        (RW, "11AA01"): False,
        (RW, "11AA02"): False,
    }


def test_the_pinned_rows_are_in_neither_the_export_nor_the_site(run):
    out = run[1]
    scholen = pl.read_csv(out / "exports" / Y / "afspraken_scholen.csv", separator=";", infer_schema=False)
    listed = set(zip(scholen["Lokaal team van (code)"], scholen["School (BRIN + vestiging)"]))
    assert listed == {(DH, "11AA00"), (RW, "11AA00"), (RW, "11AA01"), (RW, "11AA02")}
    site = set(pl.read_csv(out / "site" / "data" / "cijfers.csv", infer_schema=False)["cell_id"])
    assert f"sch|{Y}|{DH}|11AA00" in site and f"sch|{Y}|{RW}|11AA01" in site
    assert not {f"sch|{Y}|{DH}|11AA01", f"sch|{Y}|{DH}|11AA02"} & site
    # the pair is still published, with its count: the rows left out are its unpublished rest
    gemeenten = pl.read_csv(out / "exports" / Y / "afspraken_gemeenten.csv", separator=";", infer_schema=False)
    pair = gemeenten.filter((pl.col("Lokaal team van (code)") == DH) & (pl.col("Scholen in (code)") == DE))
    assert pair["Leerlingen met hulp lokaal team"].to_list() == ["9"]
