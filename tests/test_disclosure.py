"""Tests of disclosure control (grensverkeer.disclosure): protect, attack, check_published.

Hand-worked adversarial fixtures first (each with the attack that succeeds when only
primary suppression is applied, so the checker is shown to be able to fail), then a
property test on random small tables with row, column and grand totals.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grensverkeer.disclosure import (
    DisclosureError,
    DisclosureSettings,
    InconsistentPublication,
    attack,
    check_published,
    explanation_nl,
    protect,
)

REPO = Path(__file__).resolve().parents[1]
K5 = DisclosureSettings()


# ------------------------------------------------------------------ helpers
def cells_of(values: dict[str, int], estimates: set[str] = frozenset()) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cell_id": list(values),
            "value": list(values.values()),
            "is_estimate": [c in estimates for c in values],
        },
        schema={"cell_id": pl.String, "value": pl.Int64, "is_estimate": pl.Boolean},
    )


def rels_of(*relations: tuple[str, str | None, list[str]]) -> pl.DataFrame:
    rows = [(rid, total, m) for rid, total, members in relations for m in members]
    return pl.DataFrame(
        rows, schema={"relation_id": pl.String, "total_id": pl.String, "member_id": pl.String}, orient="row"
    )


def table(name: str, grid: list[list[int]], *, row_totals=True, col_totals=True, grand=True):
    """A table with (optionally) row totals, column totals and a grand total.

    Cell ids: f'{name}[i,j]', totals f'{name}[i,T]', f'{name}[T,j]', f'{name}[T,T]'.
    The grand total is related both to the row totals and to the column totals.
    """
    n_rows, n_cols = len(grid), len(grid[0])
    values: dict[str, int] = {}
    rels: list[tuple[str, str | None, list[str]]] = []
    for i in range(n_rows):
        for j in range(n_cols):
            values[f"{name}[{i},{j}]"] = grid[i][j]
    if row_totals:
        for i in range(n_rows):
            values[f"{name}[{i},T]"] = sum(grid[i])
            rels.append((f"{name}:row{i}", f"{name}[{i},T]", [f"{name}[{i},{j}]" for j in range(n_cols)]))
    if col_totals:
        for j in range(n_cols):
            values[f"{name}[T,{j}]"] = sum(grid[i][j] for i in range(n_rows))
            rels.append((f"{name}:col{j}", f"{name}[T,{j}]", [f"{name}[{i},{j}]" for i in range(n_rows)]))
    if grand:
        values[f"{name}[T,T]"] = sum(map(sum, grid))
        if row_totals:
            rels.append((f"{name}:rowtotals", f"{name}[T,T]", [f"{name}[{i},T]" for i in range(n_rows)]))
        if col_totals:
            rels.append((f"{name}:coltotals", f"{name}[T,T]", [f"{name}[T,{j}]" for j in range(n_cols)]))
        if not row_totals and not col_totals:
            rels.append((f"{name}:all", f"{name}[T,T]", [c for c in values if not c.endswith("T]")]))
    return values, rels


def primary_only(cells: pl.DataFrame, k: int = 5) -> pl.DataFrame:
    """What a naive exporter publishes: only counts 1..k-1 hidden, no secondary suppression."""
    return cells.with_columns(
        pl.when(pl.col("value").is_between(1, k - 1))
        .then(pl.lit(f"<{k}"))
        .otherwise(pl.col("value").cast(pl.String))
        .alias("label")
    )


def status_of(out: pl.DataFrame) -> dict[str, str]:
    return dict(out.select("cell_id", "status").iter_rows())


def assert_safe(out: pl.DataFrame, relations: pl.DataFrame, s: DisclosureSettings = K5, method="lp"):
    """The full contract of protect's output."""
    k = s.k
    # no shown count 1..k-1
    assert out.filter(pl.col("shown").is_between(1, k - 1)).height == 0
    # labels agree with status
    for status, label, shown, value in out.select("status", "label", "shown", "value").iter_rows():
        if status == "primary":
            assert label == f"<{k}" and shown is None and 1 <= value <= k - 1
        elif status == "secondary":
            assert label == "x" and shown is None and value >= k
        elif status == "zero":
            assert label == "0" and shown == 0 and value == 0
        elif status == "withheld":
            assert label == "." and shown is None and 1 <= value <= k - 1
        else:
            assert status == "shown" and label == str(shown) and value >= k
    # no relation holds exactly one suppressed cell
    supp = out.filter(pl.col("status").is_in(["primary", "secondary", "withheld"])).select("cell_id")
    members = relations.select("relation_id", pl.col("member_id").alias("cell_id"))
    totals = (
        relations.filter(pl.col("total_id").is_not_null())
        .select("relation_id", pl.col("total_id").alias("cell_id"))
        .unique()
    )
    per_rel = pl.concat([members, totals]).join(supp, on="cell_id", how="semi").group_by("relation_id").len()
    assert per_rel.filter(pl.col("len") == 1).height == 0, per_rel.filter(pl.col("len") == 1)
    # the attacker recovers nothing, and the checker agrees
    a = attack(out.select("cell_id", "label"), relations, s, method=method)
    assert a.height == supp.height
    assert not a["recovered"].any(), a.filter(pl.col("recovered"))
    assert check_published(out.select("cell_id", "label"), relations, s, method=method) == []
    return a


# ------------------------------------------------------------------ fixtures by hand
def test_row_with_one_small_cell_and_total_gets_a_secondary_suppression():
    cells = cells_of({"a": 3, "b": 10, "c": 12, "T": 25})
    rels = rels_of(("row", "T", ["a", "b", "c"]))

    naive = attack(primary_only(cells), rels)
    assert naive.select("cell_id", "lo", "hi", "recovered").rows() == [("a", 3.0, 3.0, True)]
    assert any("'a'" in p and "must be 3" in p for p in check_published(primary_only(cells), rels))

    out = protect(cells, rels)
    # the smallest shown non-zero member is suppressed as well; the total stays
    assert status_of(out) == {"a": "primary", "b": "secondary", "c": "shown", "T": "shown"}
    assert out["label"].to_list() == ["<5", "x", "12", "25"]
    a = assert_safe(out, rels)
    # a + b = 13 with a in 1..4 and b >= 5: a in 1..4, b in 9..12
    assert a.select("cell_id", "lo", "hi").rows() == [("a", 1.0, 4.0), ("b", 9.0, 12.0)]


def test_grand_total_reveals_a_row_total():
    # row 0 is all small; its total (3) is '<5' too, but G - T1 = 3 gives it away
    values, r = table("t", [[2, 1], [50, 60]], col_totals=False)
    cells, rels = cells_of(values), rels_of(*r)
    naive = attack(primary_only(cells), rels)
    rec = naive.filter(pl.col("recovered")).select("cell_id", "lo").rows()
    assert ("t[0,T]", 3.0) in rec

    out = protect(cells, rels)
    s = status_of(out)
    assert s["t[0,T]"] == "primary"
    # the other row total (or the grand total) must go, and then a cell of row 1 with it
    assert s["t[1,T]"] == "secondary" or s["t[T,T]"] == "secondary"
    assert_safe(out, rels)


@pytest.mark.parametrize("pair,residual", [((1, 1), 2), ((4, 4), 8)])
def test_two_small_cells_pinned_by_their_residual(pair, residual):
    cells = cells_of({"a": pair[0], "b": pair[1], "c": 20, "T": 20 + residual})
    rels = rels_of(("row", "T", ["a", "b", "c"]))
    naive = attack(primary_only(cells), rels)
    # two '<5' cells, no single one alone, yet both are known exactly
    assert naive.select("cell_id", "lo", "hi", "recovered").rows() == [
        ("a", float(pair[0]), float(pair[0]), True),
        ("b", float(pair[1]), float(pair[1]), True),
    ]
    # the weaker propagation attacker finds this too (interval reasoning)
    assert attack(primary_only(cells), rels, method="propagation")["recovered"].all()

    out = protect(cells, rels)
    assert status_of(out) == {"a": "primary", "b": "primary", "c": "secondary", "T": "shown"}
    assert_safe(out, rels)


def test_two_small_cells_with_room_need_nothing_more():
    # residual 5 over two '<5' cells: (1,4), (2,3), (3,2), (4,1): nothing to add
    cells = cells_of({"a": 2, "b": 3, "c": 20, "T": 25})
    rels = rels_of(("row", "T", ["a", "b", "c"]))
    out = protect(cells, rels)
    assert status_of(out) == {"a": "primary", "b": "primary", "c": "shown", "T": "shown"}
    a = assert_safe(out, rels)
    assert a.select("lo", "hi").rows() == [(1.0, 4.0), (1.0, 4.0)]


def test_3x3_with_margins_and_one_small_cell_needs_a_rectangle_of_four():
    grid = [[2, 20, 30], [15, 25, 35], [40, 45, 50]]
    values, r = table("t", grid)
    cells, rels = cells_of(values), rels_of(*r)
    assert attack(primary_only(cells), rels)["recovered"].to_list() == [True]

    out = protect(cells, rels)
    supp = sorted(out.filter(pl.col("status").is_in(["primary", "secondary"]))["cell_id"].to_list())
    assert len(supp) == 4
    # the four corners of a rectangle of interior cells, one of them the small cell
    idx = [tuple(map(int, re.match(r"t\[(\d),(\d)\]", c).groups())) for c in supp]
    rows_, cols_ = {i for i, _ in idx}, {j for _, j in idx}
    assert len(rows_) == 2 and len(cols_) == 2 and set(idx) == {(i, j) for i in rows_ for j in cols_}
    assert (0, 0) in idx
    # cheapest rectangle given the greedy: smallest neighbours 20 (row) and 15 (column)
    assert supp == ["t[0,0]", "t[0,1]", "t[1,0]", "t[1,1]"]
    assert_safe(out, rels)


def test_relations_across_two_tables():
    # table A: a row with a total; table B: a breakdown of A's cell a2, with its own total,
    # which is the same number as a2 (published in both tables)
    values = {"A.a1": 3, "A.a2": 20, "A.a3": 30, "A.T": 53, "B.b1": 8, "B.b2": 12, "B.T": 20}
    cells = cells_of(values)
    rel_a = rels_of(("A.row", "A.T", ["A.a1", "A.a2", "A.a3"]))
    rel_b = rels_of(("B.row", "B.T", ["B.b1", "B.b2"]))
    link = rels_of(("A.a2=B.T", "B.T", ["A.a2"]))
    all_rels = pl.concat([rel_a, rel_b, link])

    # protecting the tables one by one is not enough: B.T publishes a2
    alone = protect(cells, pl.concat([rel_a, rel_b]))
    assert status_of(alone)["A.a2"] == "secondary" and status_of(alone)["B.T"] == "shown"
    rec = attack(alone.select("cell_id", "label"), all_rels)
    assert rec.filter(pl.col("recovered"))["cell_id"].sort().to_list() == ["A.a1", "A.a2"]
    assert check_published(alone.select("cell_id", "label"), all_rels) != []

    out = protect(cells, all_rels)
    s = status_of(out)
    # knowing the link, protect hides a3 instead of a2: hiding a2 would pin it through B.T
    # and cost two more suppressions in table B (a chain); a3 is in no other relation
    assert s["A.a1"] == "primary" and s["A.a3"] == "secondary" and s["A.a2"] == "shown"
    assert {s["B.T"], s["B.b1"], s["B.b2"]} == {"shown"}
    assert_safe(out, all_rels)


def test_zero_cells_stay_zero_and_are_never_used_for_secondary_suppression():
    cells = cells_of({"a": 0, "b": 3, "c": 0, "d": 10, "T": 13})
    rels = rels_of(("row", "T", ["a", "b", "c", "d"]))
    out = protect(cells, rels)
    assert status_of(out) == {"a": "zero", "b": "primary", "c": "zero", "d": "secondary", "T": "shown"}
    assert out.filter(pl.col("status") == "zero")["label"].to_list() == ["0", "0"]
    assert out.filter(pl.col("status") == "zero")["shown"].to_list() == [0, 0]
    assert_safe(out, rels)


def test_all_zero_table_is_shown_as_is():
    values, r = table("z", [[0, 0], [0, 0]])
    out = protect(cells_of(values), rels_of(*r))
    assert set(out["status"]) == {"zero"} and set(out["label"]) == {"0"}
    assert check_published(out, rels_of(*r)) == []


def test_rounding_mode():
    s5 = DisclosureSettings(rounding=5)
    grid = [[2, 21, 33], [16, 27, 38], [41, 0, 52]]
    values, r = table("t", grid)
    cells, rels = cells_of(values), rels_of(*r)
    out = protect(cells, rels, s5)
    shown = out.filter(pl.col("status") == "shown")
    assert (shown["shown"] % 5 == 0).all()
    # nearest multiple of 5, half up; each number rounded on its own
    for value, rounded in shown.select("value", "shown").iter_rows():
        assert abs(rounded - value) <= 2
    assert out.filter(pl.col("cell_id") == "t[2,1]").select("status", "label").row(0) == ("zero", "0")
    assert out.filter(pl.col("cell_id") == "t[0,0]")["label"].item() == "<5"
    # same suppression pattern as without rounding (rounding only adds uncertainty)
    assert status_of(out) == status_of(protect(cells, rels))
    a = assert_safe(out, rels, s5)
    exact = attack(protect(cells, rels).select("cell_id", "label"), rels)
    # the attacker's intervals are at least as wide with rounding
    both = a.join(exact, on="cell_id", suffix="_exact")
    assert (both["lo"] <= both["lo_exact"]).all() and (both["hi"] >= both["hi_exact"]).all()
    assert (both["hi"] - both["lo"] > both["hi_exact"] - both["lo_exact"]).any()
    # the checker reads rounded numbers as intervals, and flags unrounded ones
    bad = out.with_columns(
        pl.when(pl.col("cell_id") == "t[2,0]").then(pl.lit("41")).otherwise(pl.col("label")).alias("label")
    )
    assert any("not rounded" in p for p in check_published(bad, rels, s5))


def test_rounded_numbers_are_rounded_independently():
    # 7 + 7 + 7 = 21: each 7 is shown as 5, the total 21 as 20; the checker accepts that
    s5 = DisclosureSettings(rounding=5)
    cells = cells_of({"a": 7, "b": 7, "c": 7, "T": 21})
    rels = rels_of(("row", "T", ["a", "b", "c"]))
    out = protect(cells, rels, s5)
    assert out["label"].to_list() == ["5", "5", "5", "20"]
    assert check_published(out, rels, s5) == []
    # read as exact numbers the same labels contradict the relation
    assert any("cannot hold" in p for p in check_published(out, rels))
    # rounding to 10 is half up: 15 -> 20, 14 -> 10
    s10 = DisclosureSettings(rounding=10)
    out10 = protect(cells_of({"a": 15, "b": 14, "T": 29}), rels_of(("row", "T", ["a", "b"])), s10)
    assert out10["label"].to_list() == ["20", "10", "30"]


def test_a_total_that_equals_a_small_count_is_small_too():
    # a + 0 = T: the total is itself a count of 3, so it is '<5' as well (with rounding too)
    cells = cells_of({"a": 3, "b": 0, "T": 3})
    rels = rels_of(("row", "T", ["a", "b"]))
    out = protect(cells, rels, DisclosureSettings(rounding=5))
    assert out["label"].to_list() == ["<5", "0", "<5"]
    assert_safe(out, rels, DisclosureSettings(rounding=5))


def test_settings_are_checked():
    with pytest.raises(ValueError, match="at least 3"):
        DisclosureSettings(k=2)
    with pytest.raises(ValueError, match="round a count of 5 to 0"):
        DisclosureSettings(k=5, rounding=11)
    assert DisclosureSettings(k=10).primary_label == "<10"


def test_k_is_configurable():
    cells = cells_of({"a": 7, "b": 30, "c": 40, "T": 77})
    rels = rels_of(("row", "T", ["a", "b", "c"]))
    s10 = DisclosureSettings(k=10)
    out = protect(cells, rels, s10)
    assert out["label"].to_list() == ["<10", "x", "40", "77"]
    assert_safe(out, rels, s10)
    # published with k=5 rules, 7 is a plain number
    assert status_of(protect(cells, rels)) == {"a": "shown", "b": "shown", "c": "shown", "T": "shown"}


def test_estimates_pass_through_the_same_rules():
    # an estimated count (from masked DUO cells) and its bounds are three published numbers
    cells = cells_of({"est": 3, "est_lo": 1, "est_hi": 4, "x": 40, "T": 43}, estimates={"est", "est_lo", "est_hi"})
    rels = rels_of(("row", "T", ["est", "x"]))
    out = protect(cells, rels)
    assert out["is_estimate"].to_list() == [True, True, True, False, False]
    assert out["label"].to_list() == ["<5", "<5", "<5", "x", "43"]
    assert_safe(out, rels)


def test_relation_without_total_uses_the_known_number():
    # a and b add up to a number everyone knows (e.g. DUO's exact school total: 13)
    cells = cells_of({"a": 3, "b": 10})
    rels = rels_of(("school", None, ["a", "b"])).with_columns(pl.lit(13).alias("known_total"))
    out = protect(cells, rels)
    assert status_of(out) == {"a": "primary", "b": "secondary"}
    assert_safe(out, rels)
    # without known_total, the true values say what the outsider knows
    out2 = protect(cells, rels.drop("known_total"))
    assert out2.equals(out)
    # the naive publication gives a away through the known number
    naive = attack(primary_only(cells), rels)
    assert naive["recovered"].to_list() == [True]


def test_small_counts_that_even_the_primary_label_gives_away_are_withheld():
    # four cells of 1 under totals that are all '<5': '<5' says 1-4, so each must be 1.
    # Nothing is left to suppress; the cells are printed as '.', which says 0-4.
    values, r = table("p", [[1, 1, 1, 1]], row_totals=True, col_totals=True)
    cells, rels = cells_of(values), rels_of(*r)
    naive = attack(primary_only(cells), rels)
    assert naive.filter(pl.col("cell_id") == "p[0,0]")["recovered"].to_list() == [True]
    out = protect(cells, rels)
    assert "withheld" in set(out["status"].to_list())
    assert set(out.filter(pl.col("status") == "withheld")["label"].to_list()) == {"."}
    assert_safe(out, rels, method="milp")


def test_a_cell_that_cannot_be_protected_is_refused():
    # the outsider knows the sum, and a is its only member: no suppression can help
    cells = cells_of({"a": 3, "b": 0})
    rels = rels_of(("school", None, ["a", "b"])).with_columns(pl.lit(3).alias("known_total"))
    with pytest.raises(DisclosureError, match="'a'|\\['a'\\]"):
        protect(cells, rels)


def test_inputs_are_validated():
    cells = cells_of({"a": 3, "b": 10, "T": 14})
    with pytest.raises(ValueError, match="do not satisfy"):
        protect(cells, rels_of(("row", "T", ["a", "b"])))
    with pytest.raises(ValueError, match="not in cells"):
        protect(cells, rels_of(("row", "T", ["a", "zz"])))
    with pytest.raises(ValueError, match="twice"):
        protect(cells, rels_of(("row", "T", ["a", "a"])))
    with pytest.raises(ValueError, match="unique"):
        protect(pl.concat([cells, cells]), rels_of(("row", "T", ["a", "b"])))


def test_checker_reports_small_counts_bad_labels_and_inconsistent_relations():
    rels = rels_of(("row", "T", ["a", "b", "c"]))
    small = pl.DataFrame({"cell_id": ["a", "b", "c", "T"], "label": ["3", "10", "12", "25"]})
    problems = check_published(small, rels)
    assert problems == ["cell 'a' shows 3: counts from 1 to 4 must be shown as '<5'"]

    bad = pl.DataFrame({"cell_id": ["a", "b", "c", "T"], "label": ["<5", "x", "??", "25"]})
    assert any("'??'" in p for p in check_published(bad, rels))
    with pytest.raises(ValueError, match="labels"):
        attack(bad, rels)

    wrong = pl.DataFrame({"cell_id": ["a", "b", "c", "T"], "label": ["<5", "30", "12", "25"]})
    problems = check_published(wrong, rels)
    assert len(problems) == 1 and "relation 'row' cannot hold" in problems[0]
    with pytest.raises(InconsistentPublication):
        attack(wrong, rels)

    missing = pl.DataFrame({"cell_id": ["a", "b", "T"], "label": ["<5", "x", "25"]})
    assert any("not published" in p for p in check_published(missing, rels))


def test_checker_reads_labels_as_an_exporter_writes_them():
    # numbers as numbers (xlsx read back), stray spaces, an upper-case X
    cells = cells_of({"a": 3, "b": 10, "c": 12, "T": 25})
    rels = rels_of(("row", "T", ["a", "b", "c"]))
    pub = pl.DataFrame({"cell_id": ["a", "b", "c", "T"], "label": [" <5", "X ", "12", "25"]})
    assert check_published(pub, rels) == []
    assert attack(pub, rels)["recovered"].to_list() == [False, False]
    assert check_published(protect(cells, rels), rels) == []
    # a spreadsheet column of numbers read back as floats
    floats = pl.DataFrame({"cell_id": ["b", "c", "T"], "label": [10.0, 12.0, 25.0]})
    text = pl.DataFrame({"cell_id": ["a"], "label": ["<5"]})
    mixed = pl.concat([text, floats.with_columns(pl.col("label").cast(pl.String))])
    assert any("'a'" in p and "must be 3" in p for p in check_published(mixed, rels))
    assert check_published(floats.with_columns(pl.lit("x").alias("label")).vstack(text), rels) == []
    half = pl.DataFrame({"cell_id": ["a", "b", "c", "T"], "label": ["<5", "x", "12.5", "25"]})
    assert any("'12.5'" in p for p in check_published(half, rels))


def test_integer_attacker_agrees_on_fixtures():
    grid = [[2, 20, 30], [15, 25, 35], [40, 45, 50]]
    values, r = table("t", grid)
    cells, rels = cells_of(values), rels_of(*r)
    out = protect(cells, rels)
    lp = attack(out, rels, method="lp")
    ip = attack(out, rels, method="milp")
    assert lp.select("cell_id", "lo", "hi").equals(ip.select("cell_id", "lo", "hi"))


def test_deterministic_and_independent_of_row_order():
    values, r = table("t", [[2, 20, 30, 4], [15, 1, 35, 9], [40, 45, 0, 12], [6, 7, 8, 3]])
    cells, rels = cells_of(values), rels_of(*r)
    first = protect(cells, rels)
    assert protect(cells, rels).equals(first)
    rng = random.Random(7)
    for _ in range(3):
        c_order = list(range(cells.height))
        r_order = list(range(rels.height))
        rng.shuffle(c_order)
        rng.shuffle(r_order)
        shuffled = protect(cells[c_order], rels[r_order])
        assert shuffled["cell_id"].to_list() == cells[c_order]["cell_id"].to_list()  # input order kept
        assert status_of(shuffled) == status_of(first)
    assert_safe(first, rels)


def test_docs_hold_the_dutch_text_verbatim():
    doc = (REPO / "docs" / "disclosure.md").read_text(encoding="utf-8")
    assert "## Hoe we kleine aantallen beschermen" in doc
    section = doc.split("## Hoe we kleine aantallen beschermen", 1)[1].split("\n## ", 1)[0]
    assert " ".join(section.split()) == explanation_nl()
    n_sentences = len(re.findall(r"[.!?](?:\s|$)", explanation_nl()))
    assert 5 <= n_sentences <= 8
    assert "veelvoud van 5" in explanation_nl(DisclosureSettings(rounding=5))
    assert len(re.findall(r"[.!?](?:\s|$)", explanation_nl(DisclosureSettings(rounding=5)))) <= 8


# ------------------------------------------------------------------ property test
values_st = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 40), st.integers(1, 4))


@st.composite
def small_tables(draw):
    n_rows = draw(st.integers(1, 4))
    n_cols = draw(st.integers(1, 4))
    grid = [[draw(values_st) for _ in range(n_cols)] for _ in range(n_rows)]
    margins = draw(st.sampled_from(["both", "rows", "cols"]))
    return grid, margins


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables(), st.sampled_from([None, 5]))
def test_property_protect_leaves_nothing_to_recover(case, rounding):
    grid, margins = case
    s = DisclosureSettings(rounding=rounding)
    values, r = table("p", grid, row_totals=margins != "cols", col_totals=margins != "rows")
    cells, rels = cells_of(values), rels_of(*r)
    out = protect(cells, rels, s)
    # exact integer attacker: the strongest one
    assert_safe(out, rels, s, method="milp" if rounding is None else "lp")
    # secondary suppression only ever hides counts >= k, never zeros
    assert out.filter((pl.col("status") == "secondary") & (pl.col("value") < s.k)).height == 0


def test_a_combination_of_relations_that_only_the_lp_sees():
    # three numbers published only as pairwise sums in three tables: a + b, b + c, a + c.
    # Each relation alone leaves room (propagation stalls at a in 2..4), but together
    # a = ((a + b) - (b + c) + (a + c)) / 2 = 3.
    published = pl.DataFrame(
        {
            "cell_id": ["a", "b", "c", "ab", "bc", "ac"],
            "label": ["<5", "x", "x", "23", "50", "33"],
        }
    )
    rels = rels_of(("ab", "ab", ["a", "b"]), ("bc", "bc", ["b", "c"]), ("ac", "ac", ["a", "c"]))
    weak = attack(published, rels, method="propagation")
    assert not weak["recovered"].any()
    assert weak.filter(pl.col("cell_id") == "a").select("lo", "hi").row(0) == (2.0, 4.0)
    strong = attack(published, rels, method="lp")
    assert strong.select("cell_id", "lo", "hi", "recovered").rows() == [
        ("a", 3.0, 3.0, True),
        ("b", 20.0, 20.0, True),
        ("c", 30.0, 30.0, True),
    ]
    # protect hides the two sums a is in (each in no other relation, so no chain follows)
    cells = cells_of({"a": 3, "b": 20, "c": 30, "ab": 23, "bc": 50, "ac": 33})
    out = protect(cells, rels)
    assert status_of(out) == {
        "a": "primary",
        "b": "shown",
        "c": "shown",
        "ab": "secondary",
        "bc": "shown",
        "ac": "secondary",
    }
    assert_safe(out, rels)
