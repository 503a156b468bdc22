"""Attribute disclosure (docs/disclosure.md): a private count that equals, or is bounded to, DUO's
public count of the same group ("all pupils from A at school S get youth care") is not published
as such. One run through `grensverkeer run` on a year with both DUO files and linked records:

    DUO 2024-2025 (PO, Delft file + location totals), exact (no cell below 5):
      11AA00 Delftse Noordschool:  6 from Den Haag (2491), 5 from Rijswijk (2282), 10 from Delft
      11AA01 Delftse Zuidschool:  20 from Den Haag (2491), 15 from Delft
    Linked 2024-2025, every pupil below with jeugdhulp of the local team of their municipality:
      Den Haag at 11AA00: 6 (= DUO's 6: all of them)         -> school row not published
      Den Haag at 11AA01: 5 (of DUO's 20)                    -> school row published (control)
      Rijswijk at 11AA00: 5 (= DUO's 5: all of them)         -> school row not published
      Den Haag at 11AA02: 30, a VO school DUO's PO files do not cover -> published
    Pairs (local team A x schools in Delft) against DUO's public count of pupils from A in Delft:
      Den Haag -> Delft: 41, of which 11 at schools DUO covers (26 pupils): DUO's count is of another
                         group (without the VO school), so 41 >= 26 says nothing (not same_as_public);
                         but its 11AA00 row is left out, and 41 - 5 - 30 would give that row away
                         (hides_public_school) -> 'niet getoond'
      Rijswijk -> Delft:  5 of 5 (all of them)               -> 'niet getoond'; not 'x' ("5 or more"), which with
                         DUO's 5 as the upper bound would say exactly 5
    Coördinatielast (per school, all local teams) against DUO's total of the school:
      11AA03 Delftse Westschool: 5 pupils, all from Delft, all 5 with jeugdhulp -> 'niet getoond'
Region Delft/Den Haag/Rijswijk; thresholds pair 4/2, school 3/2; k = 5.
"""

from __future__ import annotations

import polars as pl
import pytest

import fixtures as F
from grensverkeer.disclosure import HIDDEN_LABEL, DisclosureError, DisclosureSettings, attack, protect
from grensverkeer.joint import read_published_year

Y = F.Y2024
DE, DH, RW = "GM0503", "GM0518", "GM0603"
NOORD = F.School("11AA", "00", "Delftse Noordschool", "0503", "Delft", "2611AA", "DELFT")
ZUID = F.School("11AA", "01", "Delftse Zuidschool", "0503", "Delft", "2612AA", "DELFT")
WEST = F.School("11AA", "03", "Delftse Westschool", "0503", "Delft", "2613AA", "DELFT")
DUO_ROWS = [
    F.PoRow(NOORD, "2491", "'s-Gravenhage", "Bo", {"6": 6}),
    F.PoRow(NOORD, "2282", "Rijswijk", "Bo", {"7": 5}),
    F.PoRow(NOORD, "2611", "Delft", "Bo", {"5": 10}),
    F.PoRow(ZUID, "2491", "'s-Gravenhage", "Bo", {"7": 20}),
    F.PoRow(ZUID, "2611", "Delft", "Bo", {"4": 15}),
    F.PoRow(WEST, "2611", "Delft", "Bo", {"8": 5}),
]
# (school, residence = responsible municipality, pupils with jeugdhulp)
LINKED_GROUPS = [("11AA00", DH, 6), ("11AA01", DH, 5), ("11AA00", RW, 5), ("11AA02", DH, 30), ("11AA03", DE, 5)]
SECTOR = {"11AA02": "VO"}
TEAMS = {DH: "Jeugdteam Den Haag", RW: "Jeugdteam Rijswijk", DE: "Jeugdteam Delft"}
PC4 = {DH: "2491", RW: "2282", DE: "2611"}


def _write_input(folder):
    F.write_po(folder / "2024" / "Delft.csv", DUO_ROWS)
    F.write_totals(folder / "totals" / "locaties.csv", {s: {2024: n} for s, n in F.location_totals(DUO_ROWS).items()})
    linked = folder / "linked"
    F.write_linked(
        linked / "schools.csv",
        F.LINKED_SCHOOLS_HEAD,
        [
            ["11AA00", NOORD.name, "BO", DE],
            ["11AA01", ZUID.name, "BO", DE],
            ["11AA02", "Delfts Lyceum", "VO", DE],
            ["11AA03", WEST.name, "BO", DE],
        ],
    )
    enrolments, support = [], []
    for school, municipality, n in LINKED_GROUPS:
        for i in range(n):
            pupil = f"{school}-{municipality}-{i}"
            enrolments.append([Y, pupil, school, SECTOR.get(school, "BO"), municipality, PC4[municipality], 2010])
            support.append([pupil, "jeugdhulp", "ambulant", municipality, TEAMS[municipality], "2024-09-01", None])
    F.write_linked(linked / "enrolments.csv", F.LINKED_ENROLMENTS_HEAD, enrolments)
    F.write_linked(linked / "support.csv", F.LINKED_SUPPORT_HEAD, support)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("attribute_disclosure")
    folder, wh, out = root / "in", root / "warehouse.duckdb", root / "out"
    _write_input(folder)
    region = F.write_linked_region(root / "region.toml", F.LINKED_MEMBERS, pair=F.LINKED_PAIR, school=F.LINKED_SCHOOL)
    code, output = F.cli_main(
        root, ["run", "--input", str(folder), "--warehouse", str(wh), "--out", str(out), "--region", str(region)]
    )
    return F.Run(folder, wh, out, None, []), code, output


def _site(r) -> dict[str, str]:
    cells = pl.read_csv(r.out_dir / "site" / "data" / "cijfers.csv", infer_schema=False)
    return dict(zip(cells["cell_id"].to_list(), cells["label"].to_list()))


def _export(r, name) -> pl.DataFrame:
    return pl.read_csv(r.out_dir / "exports" / Y / f"{name}.csv", separator=";", infer_schema=False)


def test_the_run_passes_its_blocking_checks(run):
    r, code, output = run
    assert code == 0, output
    assert "failed" not in output, output


def test_the_fixture_is_what_the_docstring_says(run):
    r, _, _ = run
    public = dict(
        (
            ((s, o), n)
            for s, o, n in r.query(
                "select school_location_id, origin_code, sum(students) from pub_school_catchment "
                "where school_year = ? group by all",
                [Y],
            )
        )
    )
    assert public[("11AA00", DH)] == 6 and public[("11AA00", RW)] == 5 and public[("11AA01", DH)] == 20
    needs = {
        (t, s): (n, same)
        for t, s, n, same in r.query(
            "select local_team_municipality_code, school_location_id, students_with_support, same_as_public "
            "from pub_agreement_needs where school_year = ? and level = 'school'",
            [Y],
        )
    }
    assert needs == {
        (DH, "11AA00"): (6, True),
        (DH, "11AA01"): (5, False),
        (RW, "11AA00"): (5, True),
        (DH, "11AA02"): (30, False),
    }


def test_a_school_row_as_large_as_the_public_group_is_not_in_the_export(run):
    r, _, _ = run
    rows = _export(r, "afspraken_scholen")
    listed = set(zip(rows["Lokaal team van (code)"].to_list(), rows["School (BRIN + vestiging)"].to_list()))
    assert listed == {(DH, "11AA01"), (DH, "11AA02")}, rows  # the control rows only


def test_a_school_row_as_large_as_the_public_group_is_not_on_the_site(run):
    r, _, _ = run
    site = _site(r)
    assert f"sch|{Y}|{DH}|11AA01" in site and f"sch|{Y}|{DH}|11AA02" in site  # the control rows are listed
    assert f"sch|{Y}|{DH}|11AA00" not in site
    assert f"sch|{Y}|{RW}|11AA00" not in site


def test_the_pair_as_large_as_the_public_flow_is_marked(run):
    r, _, _ = run
    pairs = dict(
        ((a, b), (n, same, hides))
        for a, b, n, same, hides in r.query(
            "select local_team_municipality_code, school_municipality_code, students_with_support, same_as_public, "
            "hides_public_school from pub_agreement_needs where school_year = ? and level = 'gemeentepaar'",
            [Y],
        )
    )
    assert pairs == {(DH, DE): (41, False, True), (RW, DE): (5, True, True)}
    public = dict(
        ((o, d), n)
        for o, d, n in r.query(
            "select origin_code, destination_code, sum(students) from pub_flows where school_year = ? and is_public "
            "group by all",
            [Y],
        )
    )
    assert public[(DH, DE)] == 26 and public[(RW, DE)] == 5


def test_a_pair_as_large_as_the_public_flow_is_hidden_on_the_site_and_in_the_export(run):
    r, _, _ = run
    site = _site(r)
    assert site[f"pair|{Y}|{RW}|{DE}"] == HIDDEN_LABEL
    # not as large as DUO's count (partly at a school DUO does not cover), but 41 minus its listed rows would
    # be the 11AA00 row left out: hidden too
    assert site[f"pair|{Y}|{DH}|{DE}"] == HIDDEN_LABEL
    # Rijswijk's local team has no other pair: its pupils schooled elsewhere are that pair, so they say
    # nothing of its size either ('x' would say 5 or more)
    assert site[f"melders|{Y}|{RW}"] == HIDDEN_LABEL
    rows = _export(r, "afspraken_gemeenten")
    by_pair = dict(
        zip(
            zip(rows["Lokaal team van (code)"].to_list(), rows["Scholen in (code)"].to_list()),
            rows["Leerlingen met hulp lokaal team"].to_list(),
        )
    )
    assert by_pair == {(DH, DE): HIDDEN_LABEL, (RW, DE): HIDDEN_LABEL}
    # and no need level, whose threshold would narrow the hidden count
    assert set(rows["Niveau"].to_list()) == {"niet getoond"}
    # the number of schools beside it is not printed either (each has at least one of the pupils)
    schools = rows.filter(pl.col("Lokaal team van (code)") == RW)["Aantal scholen"].to_list()
    assert schools in ([None], [""]), schools


def test_a_reader_who_takes_duos_count_as_the_upper_bound_cannot_pin_the_hidden_pair(run):
    """An independent attack on the written site and export files of the year, with one assumption more
    than the built-in check declares: pupils with youth care from Rijswijk at schools in Delft are no more
    than DUO's 5 pupils from Rijswijk in Delft. Before, 'x' ("5 or more") with that bound gave exactly 5."""
    r, _, _ = run
    published, relations = read_published_year(r.out_dir, Y)
    rw_pair = [f"pair|{Y}|{RW}|{DE}", f"{Y}|afspraken_gemeenten|Leerlingen met hulp lokaal team|{RW}|{DE}"]
    assert set(rw_pair) <= set(published["cell_id"].to_list())
    published = published.with_columns(
        pl.when(pl.col("cell_id").is_in(rw_pair)).then(pl.lit("5")).otherwise(pl.col("stated_hi")).alias("stated_hi")
    )
    out = attack(published, relations, DisclosureSettings(k=5))
    pair = out.filter(pl.col("cell_id").is_in(rw_pair))
    assert pair.height == 2 and not pair["recovered"].any(), pair
    assert (pair["lo"] < 5).all(), pair  # the reader cannot tell that all 5 get youth care
    assert not out["recovered"].any(), out.filter(pl.col("recovered"))


def test_pupils_schooled_elsewhere_are_declared_a_part_of_the_local_teams_pupils(run):
    """'waarvan' columns are parts of the count beside them (a reader knows part <= whole): declared as
    whole = part + rest in relaties.csv (site and export), so protect and the attacker use it."""
    r, _, _ = run
    rel = pl.read_csv(r.out_dir / "exports" / Y / "relaties.csv", separator=";", infer_schema=False)
    waarvan = rel.filter(pl.col("relation_id").str.starts_with("waarvan|"))
    total = f"per_gemeente|Leerlingen met hulp lokaal team|{RW}|Alle sectoren"
    assert set(waarvan.filter(pl.col("total_id") == total)["member_id"].to_list()) == {
        f"per_gemeente|waarvan elders naar school|{RW}|Alle sectoren",
        f"rest|per_gemeente|waarvan elders naar school|{RW}|Alle sectoren",
    }
    site = pl.read_csv(r.out_dir / "site" / "data" / "relaties.csv", infer_schema=False)
    assert set(site.filter(pl.col("relation_id") == f"waarvan|{Y}|elders|{RW}")["member_id"].to_list()) == {
        f"melders|{Y}|{RW}",
        f"rest|{Y}|{RW}|eigen",
    }


def test_a_school_whose_every_pupil_gets_youth_care_prints_no_count(run):
    r, _, _ = run
    flags = dict(
        r.query("select school_location_id, same_as_public from pub_school_coordination where school_year = ?", [Y])
    )
    assert flags == {"11AA00": False, "11AA01": False, "11AA02": False, "11AA03": True}
    assert _site(r)[f"coord|{Y}|11AA03"] == HIDDEN_LABEL
    rows = _export(r, "per_school").filter(pl.col("School (BRIN + vestiging)") == "11AA03")
    assert rows["Leerlingen met hulp lokaal team"].to_list() == [HIDDEN_LABEL]
    assert rows["Aantal lokale teams"].to_list() in ([None], [""])  # 'one local team' would bound it too


# ------------------------------------------------------------------ protect's `hidden` flag


def _cells(values: dict[str, int], hidden: set[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"cell_id": list(values), "value": list(values.values()), "hidden": [c in hidden for c in values]}
    )


def _rels(total: str | None, members: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"relation_id": ["r"] * len(members), "total_id": [total] * len(members), "member_id": members},
        schema={"relation_id": pl.String, "total_id": pl.String, "member_id": pl.String},
    )


def test_a_hidden_cell_is_suppressed_and_protected_by_a_second_one():
    cells, rels = _cells({"a": 10, "b": 7, "T": 17}, {"a"}), _rels("T", ["a", "b"])
    out = protect(cells, rels)
    labels = dict(zip(out["cell_id"].to_list(), out["label"].to_list()))
    assert labels["a"] == HIDDEN_LABEL
    # else T - b gives a away; and that one says nothing of its size either ('x' would bound a)
    assert HIDDEN_LABEL in (labels["b"], labels["T"])
    assert not attack(out, rels).filter(pl.col("cell_id") == "a")["recovered"].any()
    # without the flag nothing is hidden: every count is k or more
    plain = protect(cells.drop("hidden"), rels)
    assert set(plain["label"].to_list()) == {"10", "7", "17"}


def test_a_hidden_cell_below_k_is_not_shown_either():
    # '<5' would say 1 to 4: with the public count as upper bound that can pin it as well
    out = protect(_cells({"a": 3, "b": 12, "T": 15}, {"a"}), _rels("T", ["a", "b"]))
    assert out.filter(pl.col("cell_id") == "a")["label"].to_list() == [HIDDEN_LABEL]
    assert not attack(out, _rels("T", ["a", "b"]))["recovered"].any()


def test_the_upper_bound_a_reader_may_assume_is_protected_against():
    # a = 5 pupils with youth care of a group of 5 (DUO): T = a + b. With T and b shown, a = 5 follows; with
    # only a hidden, the reader still knows a <= 5 and a = T - b: protect hides b or T as well
    cells = _cells({"a": 5, "b": 7, "T": 12}, {"a"}).with_columns(
        pl.when(pl.col("cell_id") == "a").then(5).alias("hidden_hi")
    )
    rels = _rels("T", ["a", "b"])
    out = protect(cells, rels)
    seen = out.with_columns(pl.when(pl.col("cell_id") == "a").then(5).alias("stated_hi"))
    found = attack(seen, rels)
    assert not found["recovered"].any(), found
    assert found.filter(pl.col("cell_id") == "a")["lo"].item() < 5


def test_a_small_hidden_cell_that_nothing_frees_is_withheld_not_printed():
    # a = 1 of a group DUO counts 1 (T = a + b, T and b shown): '.' (0 to 4) is as true of it as of a '<5'
    # cell, so protect withholds it rather than give up; it is never printed as a number. (The pipeline does
    # not list such a pair at all: pub_agreement_needs.omitted.)
    cells = _cells({"a": 1, "b": 7, "T": 8}, {"a"}).with_columns(
        pl.when(pl.col("cell_id") == "a").then(1).alias("hidden_hi")
    )
    rels = _rels("T", ["a", "b"])
    out = protect(cells, rels)
    labels = dict(zip(out["cell_id"].to_list(), out["label"].to_list()))
    assert labels["a"] == "."
    seen = out.with_columns(pl.when(pl.col("cell_id") == "a").then(1).alias("stated_hi"))
    assert not attack(seen, rels)["recovered"].any()


def test_a_hidden_cell_that_cannot_be_kept_from_being_worked_out_is_refused_not_printed():
    # the outsider knows the sum and a is its only non-zero member: protect would print a (nothing can
    # free it, and it is no small count); a hidden cell must never be printed
    cells = _cells({"a": 10, "b": 0}, {"a"})
    rels = _rels(None, ["a", "b"]).with_columns(pl.lit(10).alias("known_total"))
    with pytest.raises(DisclosureError, match="'a'"):
        protect(cells, rels)
    assert protect(cells.drop("hidden"), rels)["label"].to_list() == ["10", "0"]
