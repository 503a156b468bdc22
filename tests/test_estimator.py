"""Tests of the masked-cell estimator (grensverkeer.estimate).

Property tests generate small DUO-like tables (true counts, masked where 1..4) with
all kinds of location totals; the contract is checked against an independent
brute-force enumeration of every assignment of 1..4 to the masked cells.
"""

from __future__ import annotations

import itertools

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grensverkeer.estimate import PRIOR_DEFAULT, estimate_masked_cells, truncated_poisson_mean

TOL = 1e-9
AGES = ["LEEFTIJD_4", "LEEFTIJD_5", "LEEFTIJD_6", "LEEFTIJD_7"]


# ------------------------------------------------------------------ helpers
def load(con, cells, totals):
    """cells: (cell_id, loc, row_id, age, true_value) ; totals: (loc, low, high, complete)."""
    con.execute(
        """CREATE OR REPLACE TABLE est_cells (cell_id BIGINT, school_location_id VARCHAR,
           row_id BIGINT, age VARCHAR, value INTEGER, is_masked BOOLEAN)"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE est_totals (school_location_id VARCHAR,
           total_low INTEGER, total_high INTEGER, is_complete BOOLEAN)"""
    )
    if cells:
        con.executemany(
            "INSERT INTO est_cells VALUES (?, ?, ?, ?, ?, ?)",
            [(c, loc, r, a, None if 1 <= v <= 4 else v, 1 <= v <= 4) for c, loc, r, a, v in cells],
        )
    if totals:
        con.executemany("INSERT INTO est_totals VALUES (?, ?, ?, ?)", totals)


def run(cells, totals, **kw):
    con = duckdb.connect()
    load(con, cells, totals)
    estimate_masked_cells(con, **kw)
    res = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT cell_id, students, students_low, students_high, method FROM est_cell_estimates"
        ).fetchall()
    }
    locs = {
        r[0]: dict(zip(("status", "n_masked", "cell_low", "cell_high", "masked_sum"), r[1:]))
        for r in con.execute(
            """SELECT school_location_id, status, n_masked, cell_low, cell_high,
                      estimated_masked_sum FROM est_cell_estimates_locations"""
        ).fetchall()
    }
    con.close()
    return res, locs


def brute_force_bounds(m, u, total):
    """Per-cell [min, max] over all assignments of 1..4 to m cells allowed by the total.

    total: None (no constraint), ('complete', lo, hi) or ('partial', hi).
    Returns None when no assignment is allowed (inconsistent).
    """
    ok = []
    for combo in itertools.product(range(1, 5), repeat=m):
        s = u + sum(combo)
        if total is None:
            ok.append(combo)
        elif total[0] == "complete" and total[1] <= s <= total[2]:
            ok.append(combo)
        elif total[0] == "partial" and s <= total[1]:
            ok.append(combo)
    if not ok:
        return None
    return min(min(c) for c in ok), max(max(c) for c in ok), min(map(sum, ok)), max(map(sum, ok))


# --------------------------------------------------------------- strategies
@st.composite
def tables(draw):
    """Small tables: 1-3 locations, each with its own kind of total."""
    cells, totals, kinds = [], [], {}
    cell_id = row_id = 0
    for li in range(draw(st.integers(1, 3))):
        loc = f"L{li:02d}"
        n_rows = draw(st.integers(1, 3))
        ages = draw(st.lists(st.sampled_from(AGES), min_size=1, max_size=3, unique=True))
        true_sum = 0
        for _ in range(n_rows):
            row_id += 1
            for a in ages:
                # mostly 0 or masked-range values, sometimes a large one
                v = draw(st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(5, 30)))
                cell_id += 1
                cells.append((cell_id, loc, row_id, a, v))
                true_sum += v
        kind = draw(st.sampled_from(["exact", "range", "missing", "inconsistent", "partial"]))
        kinds[loc] = kind
        if kind == "exact":
            totals.append((loc, true_sum, true_sum, True))
        elif kind == "range":
            lo = max(true_sum - draw(st.integers(0, 3)), 0)
            totals.append((loc, lo, true_sum + draw(st.integers(0, 3)), True))
        elif kind == "inconsistent":
            m = sum(1 for c in cells if c[1] == loc and 1 <= c[4] <= 4)
            u = sum(c[4] for c in cells if c[1] == loc and not 1 <= c[4] <= 4)
            bad = draw(st.sampled_from(["low", "high"]))
            if bad == "low" and m > 0:  # total below U + m
                t = u + m - draw(st.integers(1, 3))
            else:  # total above U + 4m
                t = u + 4 * m + draw(st.integers(1, 3))
            totals.append((loc, t, t, True))
        elif kind == "partial":
            # the cells are part of the location: its total is at least their sum
            t = true_sum + draw(st.integers(0, 5))
            totals.append((loc, t, t, False))
    # shuffle so that cell_id order differs from insertion order
    cells = draw(st.permutations(cells))
    return cells, totals, kinds


def loc_stats(cells, loc):
    m = sum(1 for c in cells if c[1] == loc and 1 <= c[4] <= 4)
    u = sum(c[4] for c in cells if c[1] == loc and not 1 <= c[4] <= 4)
    return m, u


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------- property tests
@SETTINGS
@given(tables(), st.sampled_from(["poisson", "equal"]))
def test_contract_holds(table, allocation):
    cells, totals, kinds = table
    res, locs = run(cells, totals, allocation=allocation)
    assert set(res) == {c[0] for c in cells}
    tot = {t[0]: t for t in totals}
    for cell_id, loc, _row, _age, v in cells:
        students, low, high, method = res[cell_id]
        if not 1 <= v <= 4:  # unmasked: unchanged
            assert (students, low, high, method) == (v, v, v, "exact")
            continue
        assert 1 <= low <= students <= high <= 4
        m, u = loc_stats(cells, loc)
        t = tot.get(loc)
        constraint = None
        if t is not None:
            constraint = ("complete", t[1], t[2]) if t[3] else ("partial", t[2])
        bf = brute_force_bounds(m, u, constraint) if m <= 5 else None
        if kinds[loc] in ("exact", "range"):
            # totals generated from the truth are consistent: truth lies inside bounds
            assert method == "location_total"
            assert low <= v <= high
            if bf is not None:
                assert (low, high) == bf[:2], "bounds are not the tightest possible"
        elif kinds[loc] == "partial":
            assert method == "prior_partial"
            assert low == 1 and low <= v <= high
            if bf is not None:
                assert (low, high) == bf[:2]
        elif kinds[loc] == "missing":
            assert (low, high, method) == (1, 4, "prior_no_total")
        else:
            assert (low, high, method) == (1, 4, "prior_inconsistent")
            assert bf is None  # really no assignment satisfies the total


@SETTINGS
@given(tables(), st.sampled_from(["poisson", "equal"]))
def test_complete_consistent_locations_add_up(table, allocation):
    cells, totals, kinds = table
    res, locs = run(cells, totals, allocation=allocation)
    tot = {t[0]: t for t in totals}
    for loc, kind in kinds.items():
        m, u = loc_stats(cells, loc)
        masked_sum = sum(res[c[0]][0] for c in cells if c[1] == loc and 1 <= c[4] <= 4)
        assert masked_sum == pytest.approx(locs[loc]["masked_sum"], abs=TOL)
        if m == 0:
            assert locs[loc]["status"] == "no_masked"
            continue
        if kind == "exact":
            assert masked_sum == pytest.approx(tot[loc][1] - u, abs=TOL)
        elif kind == "range":
            lo, hi = tot[loc][1] - u, tot[loc][2] - u
            assert lo - TOL <= masked_sum <= hi + TOL
        elif kind == "partial":
            assert masked_sum <= tot[loc][2] - u + TOL
        assert (
            locs[loc]["status"]
            == {
                "exact": "location_total",
                "range": "location_total",
                "partial": "partial",
                "missing": "no_total",
                "inconsistent": "inconsistent",
            }[kind]
        )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_deterministic_and_order_independent(table):
    cells, totals, _ = table
    first, _ = run(cells, totals)
    again, _ = run(cells, totals)
    assert first == again  # same input, same output, exactly
    reversed_input, _ = run(list(reversed(cells)), list(reversed(totals)))
    for k, (s, lo, hi, method) in first.items():
        s2, lo2, hi2, method2 = reversed_input[k]
        assert (lo, hi, method) == (lo2, hi2, method2)
        assert s == pytest.approx(s2, abs=1e-8)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_masked_only_returns_the_masked_rows(table):
    cells, totals, _ = table
    full, full_locs = run(cells, totals)
    masked, masked_locs = run(cells, totals, masked_only=True)
    assert masked == {k: v for k, v in full.items() if v[3] != "exact"}
    assert masked_locs == full_locs


def test_rerun_on_same_connection_replaces_output():
    con = duckdb.connect()
    load(con, [(1, "A", 1, "LEEFTIJD_5", 5), (2, "A", 1, "LEEFTIJD_6", 2)], [("A", 7, 7, True)])
    estimate_masked_cells(con)
    first = con.execute("SELECT * FROM est_cell_estimates ORDER BY cell_id").fetchall()
    estimate_masked_cells(con)
    assert con.execute("SELECT * FROM est_cell_estimates ORDER BY cell_id").fetchall() == first
    # no helper tables are left behind
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert names == {"est_cells", "est_totals", "est_cell_estimates", "est_cell_estimates_locations"}


# ------------------------------------------------------- hand-worked examples
def masked_only(res, ids):
    return [res[i] for i in ids]


def test_total_10_unmasked_5_two_masked():
    cells = [(1, "A", 1, "LEEFTIJD_5", 5), (2, "A", 1, "LEEFTIJD_6", 2), (3, "A", 2, "LEEFTIJD_5", 3)]
    for allocation in ("poisson", "equal"):
        res, locs = run(cells, [("A", 10, 10, True)], allocation=allocation)
        (s2, lo2, hi2, m2), (s3, lo3, hi3, m3) = masked_only(res, [2, 3])
        assert (lo2, hi2, lo3, hi3) == (1, 4, 1, 4)
        assert s2 + s3 == pytest.approx(5.0, abs=TOL)
        assert m2 == m3 == "location_total"
        assert res[1] == (5.0, 5, 5, "exact")
    # equal share: 2.5 each
    res, _ = run(cells, [("A", 10, 10, True)], allocation="equal")
    assert res[2][0] == pytest.approx(2.5) and res[3][0] == pytest.approx(2.5)


def test_total_7_unmasked_5_two_masked_forces_ones():
    cells = [(1, "A", 1, "LEEFTIJD_5", 5), (2, "A", 1, "LEEFTIJD_6", 3), (3, "A", 2, "LEEFTIJD_5", 4)]
    res, locs = run(cells, [("A", 7, 7, True)])
    assert masked_only(res, [2, 3]) == [(1.0, 1, 1, "location_total")] * 2
    res, _ = run(cells, [("A", 13, 13, True)])  # 5 + 4 + 4: both forced to 4
    assert masked_only(res, [2, 3]) == [(4.0, 4, 4, "location_total")] * 2


def test_tight_bounds_from_remainder():
    # U = 0, three masked cells, total 11: each cell in [11 - 8, 4] = [3, 4]
    cells = [(i, "A", i, "LEEFTIJD_5", 4) for i in (1, 2, 3)]
    res, locs = run(cells, [("A", 11, 11, True)])
    for s, lo, hi, _method in res.values():
        assert (lo, hi) == (3, 4) and 3 <= s <= 4
    assert sum(r[0] for r in res.values()) == pytest.approx(11.0, abs=TOL)


def test_masked_location_total():
    # the total itself is '<5' (1..4) and two masked cells: sum in [2, 4], each in [1, 3]
    cells = [(1, "A", 1, "LEEFTIJD_5", 1), (2, "A", 2, "LEEFTIJD_6", 1)]
    res, locs = run(cells, [("A", 1, 4, True)])
    assert all((lo, hi) == (1, 3) for _, lo, hi, _ in res.values())
    assert 2 - TOL <= locs["A"]["masked_sum"] <= 4 + TOL


def test_missing_inconsistent_and_partial_fall_back():
    cells = [
        (1, "A", 1, "LEEFTIJD_5", 5),
        (2, "A", 1, "LEEFTIJD_6", 2),  # no total
        (3, "B", 2, "LEEFTIJD_5", 5),
        (4, "B", 2, "LEEFTIJD_6", 2),
        (5, "B", 3, "LEEFTIJD_5", 2),
        (6, "C", 4, "LEEFTIJD_5", 5),
        (7, "C", 4, "LEEFTIJD_6", 1),
        (8, "C", 5, "LEEFTIJD_5", 1),
    ]
    totals = [
        ("B", 6, 6, True),  # 6 < U + m = 7: inconsistent
        ("C", 8, 8, False),
    ]  # partial, 3 pupils left for 2 cells: each in [1, 2]
    res, locs = run(cells, totals, allocation="equal", prior=1.5)
    assert res[2] == (1.5, 1, 4, "prior_no_total")
    assert res[4] == (1.5, 1, 4, "prior_inconsistent") and res[5] == res[4]
    assert res[7] == (1.5, 1, 2, "prior_partial") and res[8] == res[7]
    assert [locs[k]["status"] for k in "ABC"] == ["no_total", "inconsistent", "partial"]
    # a partial location whose cells barely fit: the sum is capped by the total
    res, _ = run(cells, [("C", 7, 7, False)], allocation="equal", prior=2.5)
    assert res[7] == (1.0, 1, 1, "prior_partial")
    # the default prior is the mean masked cell of locations with a usable exact total
    cells2 = cells + [(9, "D", 6, "LEEFTIJD_5", 5), (10, "D", 6, "LEEFTIJD_6", 3), (11, "D", 7, "LEEFTIJD_6", 2)]
    res, _ = run(cells2, totals + [("D", 10, 10, True)], allocation="equal")
    assert res[2][0] == pytest.approx(2.5)  # D: (10 - 5) / 2
    res, _ = run(cells, [], allocation="equal")  # nothing usable: PRIOR_DEFAULT
    assert res[2][0] == pytest.approx(PRIOR_DEFAULT)


def test_poisson_gives_more_to_cells_next_to_large_counts():
    # row 1 sends many pupils (20 and 30 unmasked) and has one masked cell; rows 2 and 3
    # are single masked cells (lone pupils). Total 58 -> remainder 8 over 3 cells.
    cells = [
        (1, "A", 1, "LEEFTIJD_5", 20),
        (2, "A", 1, "LEEFTIJD_6", 30),
        (3, "A", 1, "LEEFTIJD_7", 4),
        (4, "A", 2, "LEEFTIJD_6", 2),
        (5, "A", 3, "LEEFTIJD_5", 2),
    ]
    res, _ = run(cells, [("A", 58, 58, True)])
    assert res[3][0] > res[4][0] + 0.5 and res[3][0] > res[5][0] + 0.5
    assert res[3][0] + res[4][0] + res[5][0] == pytest.approx(8.0, abs=TOL)
    eq, _ = run(cells, [("A", 58, 58, True)], allocation="equal")
    assert eq[3][0] == pytest.approx(8 / 3)


def test_truncated_poisson_mean_limits():
    assert truncated_poisson_mean(1e-9) == pytest.approx(1.0)
    assert truncated_poisson_mean(1e6) == pytest.approx(4.0, abs=1e-4)
    assert 1 < truncated_poisson_mean(1.0) < truncated_poisson_mean(2.0) < 4


def test_invalid_input_is_rejected():
    con = duckdb.connect()
    load(con, [(1, "A", 1, "LEEFTIJD_5", 5), (1, "A", 1, "LEEFTIJD_6", 2)], [])
    with pytest.raises(ValueError, match="cell_id"):
        estimate_masked_cells(con)
    with pytest.raises(ValueError, match="allocation"):
        estimate_masked_cells(con, allocation="magic")


# ------------------------------------------------------------- cell weights (geography)
@st.composite
def weighted_tables(draw):
    cells, totals, kinds = draw(tables())
    weights = {c[0]: draw(st.floats(0.05, 3.0)) for c in cells if 1 <= c[4] <= 4}
    return cells, totals, kinds, weights


def run_weighted(cells, totals, weights, catchment=()):
    con = duckdb.connect()
    load(con, cells, totals)
    con.execute("CREATE TABLE w (cell_id BIGINT, weight DOUBLE, catchment BOOLEAN)")
    if weights:
        con.executemany("INSERT INTO w VALUES (?, ?, ?)", [(c, x, c in catchment) for c, x in weights.items()])
    estimate_masked_cells(con, cell_weights="w")
    res = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT cell_id, students, students_low, students_high, method FROM est_cell_estimates"
        ).fetchall()
    }
    con.close()
    return res


@SETTINGS
@given(weighted_tables())
def test_weights_keep_bounds_and_sums(table):
    """Weights only move pupils between a location's masked cells: the bounds are those of
    the unweighted estimate, and a complete location still adds up to its remainder."""
    cells, totals, kinds, weights = table
    plain, _ = run(cells, totals)
    res = run_weighted(cells, totals, weights)
    tot = {t[0]: t for t in totals}
    for cell_id, *_ in cells:
        assert res[cell_id][1:] == plain[cell_id][1:]  # bounds and method
        assert res[cell_id][1] - TOL <= res[cell_id][0] <= res[cell_id][2] + TOL
    for loc, kind in kinds.items():
        if kind == "exact":
            total = sum(res[c[0]][0] for c in cells if c[1] == loc)
            assert total == pytest.approx(tot[loc][1], abs=1e-6)


def test_heavier_weight_gets_more_and_catchment_is_named():
    # two lone masked cells in one location, remainder 5: the one weighted up gets more
    cells = [(1, "A", 1, "LEEFTIJD_5", 20), (2, "A", 2, "LEEFTIJD_6", 2), (3, "A", 3, "LEEFTIJD_6", 3)]
    res = run_weighted(cells, [("A", 25, 25, True)], {2: 3.0, 3: 0.2}, catchment={2})
    assert res[2][0] > res[3][0]
    assert res[2][0] + res[3][0] == pytest.approx(5.0, abs=TOL)
    assert (res[2][3], res[3][3]) == ("location_total+catchment", "location_total")
    same = run_weighted(cells, [("A", 25, 25, True)], {2: 1.0, 3: 1.0})
    plain, _ = run(cells, [("A", 25, 25, True)])
    assert same[2][0] == pytest.approx(plain[2][0], abs=TOL)  # weight 1 = no weight


def test_row_weights_equal_cell_weights_of_the_row():
    cells = [
        (1, "A", 1, "LEEFTIJD_5", 20),
        (2, "A", 2, "LEEFTIJD_6", 2),
        (3, "A", 2, "LEEFTIJD_7", 1),
        (4, "A", 3, "LEEFTIJD_6", 3),
    ]
    by_cell = run_weighted(cells, [("A", 26, 26, True)], {2: 2.0, 3: 2.0, 4: 0.5})
    con = duckdb.connect()
    load(con, cells, [("A", 26, 26, True)])
    con.execute("CREATE TABLE w AS SELECT * FROM (VALUES (2::BIGINT, 2.0::DOUBLE), (3, 0.5)) t(row_id, weight)")
    estimate_masked_cells(con, cell_weights="w")
    by_row = dict(con.execute("SELECT cell_id, students FROM est_cell_estimates").fetchall())
    con.close()
    assert all(by_row[c] == pytest.approx(by_cell[c][0], abs=TOL) for c in (2, 3, 4))
