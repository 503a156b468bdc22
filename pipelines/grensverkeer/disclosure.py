"""Disclosure control: one implementation for everything we publish (exports and dashboards).

The model is deliberately generic, so that relations *across* tables are covered:

* **cells**: every number that will be published in one export (or one dashboard), across
  all its tables: ``cell_id`` (str), ``value`` (int >= 0, the true count), optionally
  ``is_estimate`` (bool; estimates and their bounds are published numbers like any other).
* **relations**: additive relations an outsider can use: ``relation_id``, ``total_id``,
  ``member_id`` means "cell total_id equals the sum of the member cells". A row total, a
  column total, a grand total, or the same number published in another table. A null
  ``total_id`` means the members add up to a number the outsider knows anyway (for example
  an exact school total from DUO's open data); that number is taken from an optional
  ``known_total`` column of the relations, or else from the true values.

``protect`` decides what to show, ``attack`` is the outsider's best effort to work the
suppressed cells out again, ``check_published`` turns that into a list of problems.

Rules (docs/disclosure.md explains them in full):

* primary: counts 1 .. k-1 are suppressed and printed as ``<k``; a zero stays ``0``.
* secondary: further cells are suppressed (printed ``x``, CBS's sign for "geheim") until the
  attacker can pin no suppressed cell to one value. Each round: interval propagation over
  all relations finds the pinned cells (a relation with one suppressed cell, two ``<5``
  cells whose residual is 2 or 8, chains through several relations); when it finds none,
  linear programming over all relations jointly (``scipy.optimize.linprog``, HiGHS) has
  the last word. Pinned cells that share relations form a group; groups are fixed side
  by side in the same round. Every relation that pins a cell on its own gets one more
  suppressed cell: its best shown non-zero cell (fixes most pinning relations at once,
  then already in most relations with a suppression, then smallest, then cell_id:
  deterministic). A combination of relations that pins cells (found only by the LP) gets
  one more cell per group and round. A group with nothing left to suppress around it, or
  pinned for more than PERSISTENT_ROUNDS rounds in a row, has its pinned small counts
  withheld ('.'). Repeat until nothing is pinned (docs/disclosure.md).
* rounding (optional): shown counts are rounded to the nearest multiple of ``rounding``
  (half up), each independently, so sums need not add up.

The attacker knows exactly what is published and the relations, plus the rules: ``<k``
means 1..k-1, ``0`` means 0, ``x`` means a count of at least k (zeros are never suppressed
and 1..k-1 are always ``<k``), and a rounded number n means the interval of counts that
round to n. It also knows counts are integers. Everything outside the per-cell LP calls is
set-based polars or numpy; Python loops run over rounds, propagation sweeps and LP calls only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

SHOWN, PRIMARY, SECONDARY, ZERO = "shown", "primary", "secondary", "zero"
# A count below k that even '<5' would give away (every number around it is hidden already, e.g. four
# cells of 1 under a total below 5: each is at least 1, so each is exactly 1). Printed as '.', which
# says 0 to k-1: zero is no longer excluded, so nothing is pinned.
WITHHELD = "withheld"
SUPPRESSED = (PRIMARY, SECONDARY, WITHHELD)
SECONDARY_LABEL = "x"
WITHHELD_LABEL = "."

EPS = 1e-6  # tolerance for float arithmetic on integer counts and for LP solutions
PROPAGATION_MAX_SWEEPS = 200  # interval propagation stops here even if not at a fixed point (still sound)
MAX_LP_VARIABLES = 20_000  # unknowns in one connected block of relations; larger blocks are refused
MAX_HOPS = 8  # how far protect looks for a cell to suppress next to a pinned cell
PERSISTENT_ROUNDS = 10  # a group pinned this many rounds in a row has its '<k' cells withheld
WITNESS_SWEEPS = 4  # random-sign LPs per block before the per-cell LPs (speed only)
MAX_TARGETED_SWEEPS = 80  # LPs per block that push all cells short of their bound at once (speed only)
HOT_LP_VARIABLES = 500  # blocks (or groups) from this many unknowns keep their LP in HiGHS between solves
LP_GROUP_VARIABLES = 2_000  # small blocks are solved together in groups of up to this many unknowns
POOL_POINTS = 200  # LP solutions protect keeps for its next rounds (speed only)
_BIG = 1e9  # stands in for "no upper bound" in the LPs (avoids unbounded LP statuses)
_INF = float("inf")


class DisclosureError(ValueError):
    """protect cannot make the cells safe (or the settings/inputs do not allow it)."""


class InconsistentPublication(ValueError):
    """The published numbers contradict the relations: a bug upstream, not a privacy question."""


@dataclass(frozen=True)
class DisclosureSettings:
    k: int = 5  # counts 1..k-1 are suppressed as '<k'
    rounding: int | None = None  # optional: round every shown count to a multiple of this
    max_rounds: int = 50  # rounds of secondary suppression before protect gives up

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 3:
            raise ValueError(
                f"k must be a whole number of at least 3 (got {self.k!r}): with k = 2 the label "
                "'<2' would tell everyone the count is 1"
            )
        r = self.rounding
        if r is not None:
            if isinstance(r, bool) or not isinstance(r, int) or r < 1:
                raise ValueError(f"rounding must be a positive whole number or None (got {r!r})")
            if self.k < r - r // 2:
                raise ValueError(
                    f"rounding to multiples of {r} would round a count of {self.k} to 0; "
                    f"use rounding <= {2 * self.k}"
                )
        if isinstance(self.max_rounds, bool) or not isinstance(self.max_rounds, int) or self.max_rounds < 1:
            raise ValueError(f"max_rounds must be a positive whole number (got {self.max_rounds!r})")

    @property
    def primary_label(self) -> str:
        return f"<{self.k}"


# ----------------------------------------------------------------------------- relations
def _relation_terms(relations: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Relations as linear equations ``sum(coef * x) = rhs``.

    Returns ``terms`` (relation_id, cell_id, coef: +1 member, -1 total) and ``rels``
    (relation_id, has_total, known_total). Raises ValueError on malformed relations.
    """
    missing = {"relation_id", "total_id", "member_id"} - set(relations.columns)
    if missing:
        raise ValueError(f"relations lacks column(s) {sorted(missing)}")
    known = (
        pl.col("known_total").cast(pl.Float64)
        if "known_total" in relations.columns
        else pl.lit(None, dtype=pl.Float64)
    )
    r = relations.select(
        pl.col("relation_id").cast(pl.String),
        pl.col("total_id").cast(pl.String),
        pl.col("member_id").cast(pl.String),
        known.alias("known_total"),
    )
    if r["relation_id"].null_count() or r["member_id"].null_count():
        raise ValueError("relations: relation_id and member_id must not be null")
    rels = r.group_by("relation_id", maintain_order=True).agg(
        pl.col("total_id").n_unique().alias("n_total_ids"),
        pl.col("total_id").drop_nulls().first().alias("total_id"),
        pl.col("known_total").drop_nulls().first().alias("known_total"),
    )
    bad = rels.filter(pl.col("n_total_ids") > 1)["relation_id"].to_list()
    if bad:
        raise ValueError(f"relations with more than one total_id (a null counts as one): {bad[:10]}")
    terms = pl.concat(
        [
            r.select("relation_id", pl.col("member_id").alias("cell_id"), pl.lit(1.0).alias("coef")),
            rels.filter(pl.col("total_id").is_not_null()).select(
                "relation_id", pl.col("total_id").alias("cell_id"), pl.lit(-1.0).alias("coef")
            ),
        ]
    )
    dup = terms.filter(pl.struct("relation_id", "cell_id").is_duplicated())
    if dup.height:
        raise ValueError(
            "a cell occurs twice in one relation (as two members, or as total and member): "
            f"{dup.select('relation_id', 'cell_id').unique(maintain_order=True).rows()[:10]}"
        )
    rels = rels.select(
        "relation_id", pl.col("total_id").is_not_null().alias("has_total"), "known_total"
    )
    return terms, rels


def _rhs(rels: pl.DataFrame, terms: pl.DataFrame, values: pl.DataFrame | None) -> pl.DataFrame:
    """relation_id, rhs (Float64; null when a no-total relation has no known number)."""
    out = rels
    if values is not None:
        true_sum = (
            terms.join(values.select("cell_id", pl.col("value").cast(pl.Float64)), on="cell_id", how="left")
            .group_by("relation_id")
            .agg((pl.col("coef") * pl.col("value")).sum().alias("true_sum"),
                 pl.col("value").is_null().any().alias("incomplete"))
        )
        out = out.join(true_sum, on="relation_id", how="left").with_columns(
            pl.when(pl.col("incomplete")).then(None).otherwise(pl.col("true_sum")).alias("true_sum")
        )
    else:
        out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias("true_sum"))
    return out.select(
        "relation_id",
        pl.when(pl.col("has_total"))
        .then(pl.lit(0.0))
        .otherwise(pl.coalesce("known_total", "true_sum"))
        .alias("rhs"),
    )


# ----------------------------------------------------------------------------- statements
STATED = ("stated_lo", "stated_hi")


def _stated(frame: pl.DataFrame) -> pl.DataFrame | None:
    """cell_id, stated_lo, stated_hi: what the publication says about a cell besides its label
    (a need level with its printed thresholds, a number of schools or local teams that each have
    at least one of the pupils). None when the frame states nothing."""
    if not any(c in frame.columns for c in STATED):
        return None
    return frame.select(
        pl.col("cell_id").cast(pl.String),
        (pl.col("stated_lo").cast(pl.Float64) if "stated_lo" in frame.columns else pl.lit(None, pl.Float64))
        .fill_null(0.0).alias("stated_lo"),
        (pl.col("stated_hi").cast(pl.Float64) if "stated_hi" in frame.columns else pl.lit(None, pl.Float64))
        .fill_null(_INF).alias("stated_hi"),
    ).unique(subset="cell_id", keep="first")


def _narrow(priors: pl.DataFrame, stated: pl.DataFrame | None) -> pl.DataFrame:
    """priors (cell_id, lo, hi, ...) narrowed by the statements about each cell."""
    if stated is None:
        return priors
    return priors.join(stated, on="cell_id", how="left", maintain_order="left").with_columns(
        pl.max_horizontal("lo", pl.col("stated_lo").fill_null(0.0)).alias("lo"),
        pl.min_horizontal("hi", pl.col("stated_hi").fill_null(_INF)).alias("hi"),
    ).drop(*STATED)


# ----------------------------------------------------------------------------- intervals
class _Terms:
    """The relations as integer positions for numpy: one entry per term whose relation has a
    right-hand side and whose cell is in ``cells`` (relation_id, cell_id: the frame ``t``)."""

    def __init__(self, terms: pl.DataFrame, rhs: pl.DataFrame, cells: pl.Series):
        self.cells = cells.alias("cell_id")
        self.t = (
            terms.join(rhs.filter(pl.col("rhs").is_not_null()), on="relation_id")
            .join(cells.to_frame("cell_id").with_row_index("ci"), on="cell_id")
            .select("relation_id", "cell_id", "ci", "coef", "rhs")
        )
        self.r = self.t["relation_id"].rank("dense").cast(pl.Int64).to_numpy() - 1
        self.ci = self.t["ci"].cast(pl.Int64).to_numpy()
        self.pos = self.t["coef"].to_numpy() > 0
        self.rhs = self.t["rhs"].to_numpy()
        self.n_rel = int(self.r.max()) + 1 if len(self.r) else 0

    def derive(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What each relation alone proves about each of its cells (d_lo, d_hi per term), given
        the others' bounds lo, hi (per position in ``cells``).

        For ``sum(coef * x) = rhs``: coef_i * x_i = rhs - sum_{j != i} coef_j * x_j, so x_i
        lies in an interval computed from the other cells' [lo, hi]; counts are integers,
        so the interval is tightened to whole numbers. Infinite bounds are counted rather
        than summed (inf - inf would be NaN). Counts and bounds are whole numbers, so the
        sums are exact whatever their order.
        """
        r, ci, pos, rhs = self.r, self.ci, self.pos, self.rhs
        cmin = np.where(pos, lo[ci], -hi[ci])
        cmax = np.where(pos, hi[ci], -lo[ci])
        min_inf, max_inf = np.isinf(cmin), np.isinf(cmax)
        cmin_f, cmax_f = np.where(min_inf, 0.0, cmin), np.where(max_inf, 0.0, cmax)
        smin, nmin = np.bincount(r, cmin_f, self.n_rel), np.bincount(r, min_inf, self.n_rel)
        smax, nmax = np.bincount(r, cmax_f, self.n_rel), np.bincount(r, max_inf, self.n_rel)
        others_min = np.where(nmin[r] - min_inf > 0, -_INF, smin[r] - cmin_f)
        others_max = np.where(nmax[r] - max_inf > 0, _INF, smax[r] - cmax_f)
        t_lo, t_hi = rhs - others_max, rhs - others_min
        return np.ceil(np.where(pos, t_lo, -t_hi) - EPS), np.floor(np.where(pos, t_hi, -t_lo) + EPS)


def _derive(
    terms: pl.DataFrame, rhs: pl.DataFrame, bounds: pl.DataFrame, tm: _Terms | None = None
) -> pl.DataFrame:
    """relation_id, cell_id, d_lo, d_hi: what each relation alone proves about each of its
    cells in ``bounds`` (cell_id, lo, hi), given the others' bounds (_Terms.derive).
    tm: the same terms and rhs already indexed, for the same cells (any order)."""
    if tm is not None and not tm.cells.equals(bounds["cell_id"]):
        # the same cells in another order: put bounds in tm's order; other cells: index anew
        aligned = tm.cells.to_frame().join(bounds, on="cell_id", how="left", maintain_order="left")
        if tm.cells.len() == bounds.height and not aligned["lo"].null_count():
            bounds = aligned
        else:
            tm = None
    if tm is None:
        tm = _Terms(terms, rhs, bounds["cell_id"])
    d_lo, d_hi = tm.derive(bounds["lo"].cast(pl.Float64).to_numpy(), bounds["hi"].cast(pl.Float64).to_numpy())
    return tm.t.select("relation_id", "cell_id").with_columns(pl.Series("d_lo", d_lo), pl.Series("d_hi", d_hi))


def _propagate(
    terms: pl.DataFrame, rhs: pl.DataFrame, bounds: pl.DataFrame, max_sweeps: int = PROPAGATION_MAX_SWEEPS,
    tm: _Terms | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Interval propagation over all relations until nothing changes (or max_sweeps).

    bounds: cell_id, lo, hi (Float64, hi may be inf). Returns the tightened bounds and the
    cells whose interval became empty (the published numbers contradict the relations).
    Every bound it returns is proven: stopping early only makes it weaker, never wrong.
    Each sweep derives from all relations at once in numpy (_Terms: a few ms a sweep
    nationally, where a polars join and group_by per sweep cost a protect round about 0.1 s).
    tm: the same terms and rhs already indexed for bounds' cells in bounds' order.
    """
    b = bounds.select("cell_id", pl.col("lo").cast(pl.Float64), pl.col("hi").cast(pl.Float64))
    lo, hi = b["lo"].to_numpy().copy(), b["hi"].to_numpy().copy()
    if tm is None or not tm.cells.equals(b["cell_id"]):
        tm = _Terms(terms, rhs, b["cell_id"])
    if tm.n_rel == 0:
        return b, []
    for _ in range(max_sweeps):
        d_lo, d_hi = tm.derive(lo, hi)
        new_lo, new_hi = lo.copy(), hi.copy()
        np.maximum.at(new_lo, tm.ci, d_lo)
        np.minimum.at(new_hi, tm.ci, d_hi)
        empty = new_lo > new_hi + EPS
        if empty.any():
            return b.with_columns(pl.Series("lo", new_lo), pl.Series("hi", new_hi)), b["cell_id"].filter(
                pl.Series(empty)).to_list()
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            break
        lo, hi = new_lo, new_hi
    return b.with_columns(pl.Series("lo", lo), pl.Series("hi", hi)), []


# ----------------------------------------------------------------------------- LP attacker
class _HotLP:
    """One LP block kept in scipy's bundled HiGHS between solves: each solve changes only the
    objective (or a bound) and starts from the last basis with primal simplex, many times
    faster than a fresh linprog on large blocks. Uses scipy's private HiGHS binding; create() returns None when
    it is not there (then linprog is used: same optima)."""

    def __init__(self, core, highs, n):
        self._core, self._h, self._n = core, highs, n
        self._idx = np.arange(n, dtype=np.int32)
        self._alien = False  # the next solve starts from a basis of another LP

    @classmethod
    def create(cls, a, b, lo, hi):
        try:
            from scipy.optimize._highspy import _core as core

            a = a.tocsc()
            h = core._Highs()
            h.setOptionValue("output_flag", False)
            # only the objective changes between solves, so the last basis stays primal feasible:
            # primal simplex goes on from there (about 5x faster than the default dual simplex)
            h.setOptionValue("simplex_strategy", 4)
            lp = core.HighsLp()
            lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
            lp.col_cost_ = np.zeros(a.shape[1])
            lp.col_lower_, lp.col_upper_ = lo.astype(float), hi.astype(float)
            lp.row_lower_ = lp.row_upper_ = b.astype(float)
            m = lp.a_matrix_
            m.format_ = core.MatrixFormat.kColwise
            m.num_col_, m.num_row_ = a.shape[1], a.shape[0]
            m.start_, m.index_, m.value_ = a.indptr, a.indices, a.data.astype(float)
            lp.a_matrix_ = m
            if h.passModel(lp) != core.HighsStatus.kOk:
                return None
            return cls(core, h, a.shape[1])
        except (ImportError, AttributeError, TypeError):  # pragma: no cover - other scipy versions
            return None

    def set_bounds(self, j: int, lo: float, hi: float) -> None:
        self._h.changeColBounds(int(j), float(lo), float(hi))

    def solve(self, c):
        from types import SimpleNamespace

        self._h.changeColsCost(self._n, self._idx, np.asarray(c, dtype=float))
        self._h.run()
        status = self._h.getModelStatus()
        if self._alien and status != self._core.HighsModelStatus.kOptimal:
            self._h.clearSolver()  # the borrowed basis did not help: solve from nothing, as before
            self._h.run()
            status = self._h.getModelStatus()
        self._alien = False
        if status == self._core.HighsModelStatus.kInfeasible:
            return None
        if status != self._core.HighsModelStatus.kOptimal:
            raise RuntimeError(f"LP solver failed: {status}")
        self._last = self._h.getSolution()
        return SimpleNamespace(x=np.array(self._last.col_value))

    def basis(self) -> tuple[list, list]:
        """The last basis: status of each column and each row."""
        b = self._h.getBasis()
        return b.col_status, b.row_status

    def start_from(self, col_status: list, row_status: list) -> None:
        """Start the next solve from this basis (from another LP: HiGHS repairs it as an
        'alien' basis). Speed only: the optimum does not depend on where simplex starts."""
        b = self._core.HighsBasis()
        b.col_status, b.row_status = col_status, row_status
        b.alien = True
        self._alien = self._h.setBasis(b) != self._core.HighsStatus.kError

    def row_dual(self) -> np.ndarray:
        """Dual values y of the rows at the last optimum (HiGHS: reduced costs = c - A'y)."""
        return np.array(self._last.row_dual)


class _PointPool:
    """LP solutions of earlier rounds, kept by protect for its next rounds (speed only).

    A round only adds suppressed cells (a constant becomes an unknown) or widens a '<k' to
    '.', which widens what the attacker allows: an earlier solution, with the true count for
    each cell that was a constant then, usually still fits the relations and bounds of the
    next round, and then it shows which cells reach their bound without an LP. _lp_bounds
    checks every point against the current block before it uses it.
    """

    def __init__(self, limit: int = POOL_POINTS):
        self._index: dict[str, int] = {}  # cell_id -> position in the stored points
        self._points: list[np.ndarray] = []
        self._limit = limit
        # (cell_id, sense) -> (relation ids, dual values) of the last LP of that cell and direction
        self.duals: dict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = {}
        # the last basis of each unknown and relation (status in HiGHS)
        self.basis_col: dict[str, object] = {}
        self.basis_row: dict[str, object] = {}

    def positions(self, ids: list[str]) -> np.ndarray:
        idx = self._index
        return np.fromiter((idx.setdefault(c, len(idx)) for c in ids), dtype=np.int64, count=len(ids))

    def add(self, pos: np.ndarray, x: np.ndarray) -> None:
        p = np.full(len(self._index), np.nan)
        p[pos] = x
        self._points.append(p)
        if len(self._points) > self._limit:
            del self._points[0]

    def matrix(self, pos: np.ndarray) -> np.ndarray:
        """(points, len(pos)): the stored values of these cells, NaN where a point has none."""
        out = np.full((len(self._points), len(pos)), np.nan)
        for i, p in enumerate(self._points):
            ok = pos < len(p)
            out[i, ok] = p[pos[ok]]
        return out


def _scipy_available() -> bool:
    try:
        import scipy.optimize  # noqa: F401
        import scipy.sparse  # noqa: F401
    except ImportError:  # pragma: no cover - scipy is in the lock
        return False
    return True


def _lp_bounds(
    terms: pl.DataFrame,
    rhs: pl.DataFrame,
    bounds: pl.DataFrame,
    targets: list[str],
    integer: bool = False,
    max_variables: int = MAX_LP_VARIABLES,
    cache: dict | None = None,
    witness: pl.DataFrame | None = None,
    points: _PointPool | None = None,
) -> tuple[pl.DataFrame, list[list[str]]]:
    """Tightest [lo, hi] of each target cell over all relations jointly.

    bounds (cell_id, lo, hi) are already-proven bounds (from propagation) and serve as the
    variable bounds. Cells with lo == hi are constants; the others are unknowns. The
    relations are split into connected blocks of unknowns (scipy.sparse.csgraph), and for
    each target cell two LPs (min and max of the cell) are solved over its block only.
    An LP is skipped when an earlier solution of the same block already reaches the
    proven bound (then that bound is attained, hence tight). integer=True solves MILPs
    instead (exact integer bounds; slower). Returns (cell_id, lo, hi) for the targets
    that are unknowns, and the relation ids of blocks found infeasible.

    cache (protect passes one dict for all its rounds): a block's answer depends only on its
    unknowns, their bounds, its relations with their right-hand sides and its targets, so a
    block that is exactly the same as in an earlier round is not solved again.

    witness (cell_id, value; protect passes the true counts): a known feasible point. Every
    cell at its proven bound there needs no LP in that direction, and, being whole numbers,
    it stays feasible when a bound is cut to a whole number. Speed only: the bounds are the
    same with or without it (a block where it does not fit the relations ignores it).

    points (protect passes one pool for all its rounds): solutions of earlier calls, filled
    up with the witness. Each one that fits a block (bounds and relations) is used like the
    witness, and every solution of this call is added to the pool. A block that such a
    point fits skips the fixed sweeps (it is feasible, and the point already did their job).
    """
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    b = bounds.sort("cell_id").with_columns((pl.col("hi") - pl.col("lo") <= EPS).alias("fixed"))
    var = b.filter(~pl.col("fixed")).with_row_index("vi").with_columns(pl.col("vi").cast(pl.Int64))
    t = terms.join(rhs.filter(pl.col("rhs").is_not_null()), on="relation_id").join(
        b.select("cell_id", "lo", "fixed"), on="cell_id"
    )
    rows = (
        t.group_by("relation_id")
        .agg(
            (pl.col("rhs").first() - (pl.col("coef") * pl.col("lo")).filter(pl.col("fixed")).sum()).alias("b"),
            (~pl.col("fixed")).any().alias("has_var"),
        )
        .filter(pl.col("has_var"))
        .sort("relation_id")
        .with_row_index("ri")
        .with_columns(pl.col("ri").cast(pl.Int64))
    )
    ent = t.filter(~pl.col("fixed")).join(rows.select("relation_id", "ri"), on="relation_id").join(
        var.select("cell_id", "vi"), on="cell_id"
    )
    n_rows, n_vars = rows.height, var.height
    target_df = var.join(pl.DataFrame({"cell_id": targets}, schema={"cell_id": pl.String}), on="cell_id")
    if n_vars == 0 or target_df.height == 0:
        return pl.DataFrame(schema={"cell_id": pl.String, "lo": pl.Float64, "hi": pl.Float64}), []

    ri = ent["ri"].to_numpy()
    vi = ent["vi"].to_numpy()
    coef = ent["coef"].to_numpy()
    A = coo_matrix((coef, (ri, vi)), shape=(n_rows, n_vars)).tocsr()
    rhs_vec = rows["b"].to_numpy()
    # bipartite graph rows + vars, to find independent blocks
    graph = coo_matrix(
        (np.ones(len(ri)), (ri, n_rows + vi)), shape=(n_rows + n_vars, n_rows + n_vars)
    )
    _, label = connected_components(graph, directed=False)
    row_label, var_label = label[:n_rows], label[n_rows:]
    lo_all = var["lo"].to_numpy().astype(float)
    hi_all = np.minimum(var["hi"].to_numpy().astype(float), _BIG)
    ids = var["cell_id"].to_list()
    ids_np = np.array(ids, dtype=object)
    pool_pos = points.positions(ids) if points is not None else None
    w_all = None
    if witness is not None:
        w_all = (
            var.select("cell_id")
            .join(witness.select("cell_id", pl.col("value").cast(pl.Float64)), on="cell_id", how="left",
                  maintain_order="left")["value"]
            .fill_null(float("nan"))
            .to_numpy()
        )
    rel_np = rows["relation_id"].to_numpy().astype(object)

    out_lo: dict[str, float] = {}
    out_hi: dict[str, float] = {}
    infeasible: list[list[str]] = []
    target_vi = target_df.sort("cell_id")["vi"].to_numpy()
    # members of each block, in index order, without a scan of all unknowns per block
    n_labels = int(label.max()) + 1
    var_order = np.argsort(var_label, kind="stable")
    var_start = np.searchsorted(var_label[var_order], np.arange(n_labels + 1))
    row_order = np.argsort(row_label, kind="stable")
    row_start = np.searchsorted(row_label[row_order], np.arange(n_labels + 1))
    tgt_order = np.argsort(var_label[target_vi], kind="stable")
    tgt_sorted = target_vi[tgt_order]
    tgt_start = np.searchsorted(var_label[tgt_sorted], np.arange(n_labels + 1))

    todo: list[dict] = []  # blocks to solve: cols, rws, targets (positions), cache key
    for comp in np.unique(var_label[target_vi]).tolist():
        cols = var_order[var_start[comp]:var_start[comp + 1]]
        rws = row_order[row_start[comp]:row_start[comp + 1]]
        if len(cols) > max_variables:
            raise DisclosureError(
                f"{len(cols)} unknown numbers are linked by relations into one block; the LP "
                f"attacker handles at most {max_variables}. Split the publication into smaller "
                "independent parts (or raise MAX_LP_VARIABLES)."
            )
        pos = {int(v): p for p, v in enumerate(cols)}
        comp_targets = tgt_sorted[tgt_start[comp]:tgt_start[comp + 1]].tolist()
        tpos = [pos[v] for v in comp_targets]
        key = None
        if cache is not None:
            key = (integer, tuple(ids_np[cols]), lo_all[cols].tobytes(), hi_all[cols].tobytes(),
                   tuple(rel_np[rws]), rhs_vec[rws].tobytes(), tuple(tpos))
            if key in cache:
                done_lo, done_hi, done_failed = cache[key]
                out_lo.update(done_lo)
                out_hi.update(done_hi)
                if done_failed:
                    infeasible.append(rows["relation_id"].gather(rws).to_list())
                continue
        todo.append({"cols": cols, "rws": rws, "tpos": np.array(tpos, dtype=np.int64), "key": key})

    def run(group: list[dict]) -> bool:
        """Bounds of the targets of the blocks in group, solved jointly: the blocks share no
        variable, so one LP whose objective is the sum of one objective per block solves
        each block's own LP at once (fewer solver calls for many small blocks). Each block
        follows exactly the steps it would follow on its own. False when infeasible."""
        offs = np.cumsum([0] + [len(bk["cols"]) for bk in group])
        cols = np.concatenate([bk["cols"] for bk in group])
        rws = np.concatenate([bk["rws"] for bk in group])
        sub = A[rws][:, cols]
        b_sub = rhs_vec[rws]
        lo, hi = lo_all[cols].copy(), hi_all[cols].copy()
        n = len(cols)
        reach_lo = np.zeros(n, dtype=bool)
        reach_hi = hi >= _BIG / 2  # unbounded above: nothing to reach
        tpos = np.concatenate([bk["tpos"] + offs[i] for i, bk in enumerate(group)])

        hot = None if integer or n < HOT_LP_VARIABLES else _HotLP.create(sub, b_sub, lo, hi)
        ids_g, rel_g = ids_np[cols], rel_np[rws]
        if hot is not None and points is not None and points.basis_col:
            # start from the last basis of an earlier round: unknowns new to it at their lower
            # bound, relations new to it basic (their slack)
            lower, basic = hot._core.HighsBasisStatus.kLower, hot._core.HighsBasisStatus.kBasic
            known = sum(c in points.basis_col for c in ids_g.tolist())
            if known > n // 2:
                hot.start_from([points.basis_col.get(c, lower) for c in ids_g.tolist()],
                               [points.basis_row.get(r, basic) for r in rel_g.tolist()])

        def solve(c):
            res = solve_lp(c)
            if res is not None and points is not None:
                points.add(pool_pos[cols], res.x)
            return res

        def solve_lp(c):
            if hot is not None:
                return hot.solve(c)
            if integer:
                res = milp(
                    c, integrality=np.ones(n), bounds=Bounds(lo, hi),
                    constraints=LinearConstraint(sub, b_sub, b_sub),
                )
            else:
                res = linprog(c, A_eq=sub, b_eq=b_sub, bounds=np.column_stack([lo, hi]), method="highs")
            if res.status == 2:
                return None
            if res.status != 0:
                raise RuntimeError(f"LP solver failed ({res.status}): {res.message}")
            return res

        # lowest and highest value of each unknown in a known point inside the current box
        seen_lo, seen_hi = np.full(n, _INF), np.full(n, -_INF)

        def note(x, mask=slice(None)):
            reach_lo[mask] |= x[mask] <= lo[mask] + EPS
            reach_hi[mask] |= x[mask] >= hi[mask] - EPS
            seen_lo[mask] = np.minimum(seen_lo[mask], x[mask])
            seen_hi[mask] = np.maximum(seen_hi[mask], x[mask])

        # the known feasible point, per block where it fits
        x_true, true_ok = None, np.zeros(n, dtype=bool)
        if w_all is not None:
            x_true = w_all[cols]
            resid = np.abs(sub @ np.nan_to_num(x_true) - b_sub) > EPS
            bad_var = np.isnan(x_true) | (x_true < lo - EPS) | (x_true > hi + EPS)
            for i, bk in enumerate(group):
                s = slice(offs[i], offs[i + 1])
                true_ok[s] = not bad_var[s].any()
            row_block = np.concatenate([np.full(len(bk["rws"]), i) for i, bk in enumerate(group)])
            for i in np.unique(row_block[resid]).tolist():
                true_ok[offs[i]:offs[i + 1]] = False
            note(x_true, true_ok)

        # earlier rounds' solutions, per block where they fit (as for the known point above)
        row_offs = np.cumsum([0] + [len(bk["rws"]) for bk in group])
        pooled = np.zeros(len(group), dtype=bool)  # blocks that a pooled point fits
        if points is not None:
            P = points.matrix(pool_pos[cols])
            if x_true is not None:
                P = np.where(np.isnan(P), x_true, P)
            if len(P):
                bad = np.isnan(P) | (P < lo - EPS) | (P > hi + EPS)
                resid = np.abs(sub @ np.nan_to_num(P).T - b_sub[:, None]).T > EPS  # (points, rows)
                # per block: no unknown out of bounds and no relation off (counts per block by cumsum)
                n_bad = np.cumsum(np.column_stack([np.zeros(len(P)), bad]), axis=1)[:, offs]
                n_off = np.cumsum(np.column_stack([np.zeros(len(P)), resid]), axis=1)[:, row_offs]
                fits = (np.diff(n_bad, axis=1) == 0) & (np.diff(n_off, axis=1) == 0)
                pooled = fits.any(axis=0)
                fit_var = np.repeat(fits, np.diff(offs), axis=1)  # (points, n)
                reach_lo |= (fit_var & (P <= lo + EPS)).any(axis=0)
                reach_hi |= (fit_var & (P >= hi - EPS)).any(axis=0)
                np.minimum(seen_lo, np.where(fit_var, P, _INF).min(axis=0), out=seen_lo)
                np.maximum(seen_hi, np.where(fit_var, P, -_INF).max(axis=0), out=seen_hi)

        # Two cheap sweeps first: minimise, then maximise, the sum of all target cells.
        # Every cell that sits at its proven bound in one of these solutions needs no LP of
        # its own in that direction (typically most '<k' cells). Then a few sweeps with
        # random signs (fixed seed: deterministic) catch cells that trade off against each
        # other within a row.
        rng = np.random.default_rng(20241001)
        sweeps = [np.ones(len(tpos)), -np.ones(len(tpos))]
        if len(tpos) > 4:
            sweeps += [rng.choice([-1.0, 1.0], size=len(tpos)) for _ in range(WITNESS_SWEEPS)]
        if pooled.all():  # an earlier round's solutions did what these sweeps do
            sweeps = []
        for w in sweeps:
            c = np.zeros(n)
            c[tpos] = w
            c[(c < 0) & (hi >= _BIG / 2)] = 0.0  # maximising unbounded cells proves nothing
            res = solve(c)
            if res is None:
                return False
            note(res.x)
        use_duals = points is not None and hot is not None
        row_at: dict = {}

        def certified(p: int, sense: float) -> bool:
            """The LP of p in this direction, answered without solving it: its dual solution from
            an earlier round still proves (weak duality) that sense * x_p is at least the whole
            number v, and a known point inside the box has x_p = v, so v is its optimum. Sets the
            bound as the LP would; False (solve it) when that is not proven or v is fractional."""
            cert = points.duals.get((ids_g[p], sense))
            seen = seen_lo[p] if sense > 0 else seen_hi[p]
            if cert is None or not math.isfinite(seen) or abs(seen - round(seen)) > EPS / 10:
                return False
            v = float(round(seen))
            if not row_at:
                row_at.update((r, q) for q, r in enumerate(rel_g.tolist()))
            rel_ids, y_old = cert
            at = np.fromiter((row_at.get(r, -1) for r in rel_ids.tolist()), dtype=np.int64, count=len(rel_ids))
            y = np.zeros(len(b_sub))
            y[at[at >= 0]] = y_old[at >= 0]
            d = -(sub.T @ y)  # reduced costs of the objective sense * x_p
            d[p] += sense
            unbounded = hi >= _BIG / 2
            if (unbounded & (d < -1e-9)).any():  # the bound would be -inf
                return False
            d[unbounded & (d < 0)] = 0.0  # rounding noise of a zero
            bound = float(b_sub @ y + np.where(d > 0, d * lo, d * hi).sum())
            if bound < sense * v - EPS / 10:
                return False
            if sense > 0:
                lo[p] = max(lo[p], v)
                reach_lo[p] = True
            else:
                hi[p] = min(hi[p], v)
                reach_hi[p] = True
            return True

        if use_duals:  # first the LPs that an earlier round's dual solution answers
            for p in tpos.tolist():
                for sense, reached in ((1.0, reach_lo), (-1.0, reach_hi)):
                    if not reached[p]:
                        certified(p, sense)

        # Then sweeps that push every cell still short of its bound towards it, all at once (one
        # direction at random when both are open; a random part of them when they block each
        # other), while each sweep settles at least two LPs' worth: on large blocks the cells
        # that really need an LP of their own are few.
        share = 1.0
        for _ in range(0 if len(tpos) <= 4 else MAX_TARGETED_SWEEPS):
            need_lo, need_hi = ~reach_lo[tpos], ~reach_hi[tpos]
            n_open = int(need_lo.sum() + need_hi.sum())
            if n_open <= 4:
                break
            pick = rng.choice([1.0, -1.0], size=len(tpos))
            w = np.where(need_lo & need_hi, pick, np.where(need_lo, 1.0, np.where(need_hi, -1.0, 0.0)))
            if share < 1.0:
                w = w * (rng.random(len(tpos)) < share)
            c = np.zeros(n)
            c[tpos] = w
            res = solve(c)
            if res is None:
                return False
            note(res.x)
            if n_open - int((~reach_lo[tpos]).sum() + (~reach_hi[tpos]).sum()) < 2:
                share /= 2
                if share < 0.1:
                    break

        # One LP per target and direction still open, in cell_id order within each block;
        # the blocks of the group advance in step, one task each per joint LP.
        toffs = np.cumsum([0] + [len(bk["tpos"]) for bk in group])  # tpos is in block order
        tasks = [[(p, sense) for p in tpos[toffs[i]:toffs[i + 1]].tolist() for sense in (1.0, -1.0)]
                 for i in range(len(group))]
        ptr = [0] * len(group)
        while True:
            c = np.zeros(n)
            step = []
            for i in range(len(group)):
                while ptr[i] < len(tasks[i]):
                    p, sense = tasks[i][ptr[i]]
                    if not (reach_lo[p] if sense > 0 else reach_hi[p]) and not (use_duals and certified(p, sense)):
                        break
                    ptr[i] += 1
                if ptr[i] < len(tasks[i]):
                    p, sense = tasks[i][ptr[i]]
                    c[p] = sense
                    step.append((i, p, sense))
                    ptr[i] += 1
            if not step:
                break
            res = solve(c)
            if res is None:
                return False
            if use_duals:  # for the next round: the dual solution of each block's LP
                y = hot.row_dual()
                for i, p, sense in step:
                    yb = y[row_offs[i]:row_offs[i + 1]]
                    nz = yb != 0
                    points.duals[(ids_g[p], sense)] = (rel_g[row_offs[i]:row_offs[i + 1]][nz], yb[nz])
            cut = np.zeros(n, dtype=bool)
            for i, p, sense in step:
                if sense > 0:
                    lo[p] = max(lo[p], math.ceil(res.x[p] - EPS))
                    tightened = lo[p] > res.x[p] + EPS
                else:
                    hi[p] = min(hi[p], math.floor(res.x[p] + EPS))
                    tightened = hi[p] < res.x[p] - EPS
                if tightened:
                    if hot is not None:
                        hot.set_bounds(p, lo[p], hi[p])
                    # a fractional optimum was cut to a whole number: earlier solutions may
                    # lie outside the tightened box, so they no longer prove this block's bounds
                    s = slice(offs[i], offs[i + 1])
                    cut[s] = True
                    reach_lo[s] = False
                    reach_hi[s] = hi[s] >= _BIG / 2
                    seen_lo[s], seen_hi[s] = _INF, -_INF
                    reach_lo[p] = True  # the minimum of p is known (solved now or just before)
                    if sense < 0:
                        reach_hi[p] = True
            note(res.x, ~cut)
            if x_true is not None and cut.any():  # whole numbers: still inside the tightened box
                note(x_true, true_ok & cut)
        if hot is not None and points is not None:  # for the next round
            col_status, row_status = hot.basis()
            points.basis_col.update(zip(ids_g.tolist(), col_status))
            points.basis_row.update(zip(rel_g.tolist(), row_status))
        for i, bk in enumerate(group):
            ids_b = ids_np[bk["cols"]]
            for q in bk["tpos"].tolist():
                p = offs[i] + q
                out_lo[ids_b[q]] = float(lo[p])
                out_hi[ids_b[q]] = _INF if hi[p] >= _BIG / 2 else float(hi[p])
        return True

    # Small blocks are solved in groups (one LP call each step for all of them), large ones alone.
    groups: list[list[dict]] = []
    size = 0
    for bk in todo:
        if len(bk["cols"]) > LP_GROUP_VARIABLES or not groups or size + len(bk["cols"]) > LP_GROUP_VARIABLES:
            groups.append([])
            size = 0
        groups[-1].append(bk)
        size += len(bk["cols"])
    for group in groups:
        if run(group):
            finished = group
        else:  # find the infeasible block(s) on their own
            finished = []
            for bk in group:
                if len(group) > 1 and run([bk]):
                    finished.append(bk)
                else:
                    infeasible.append(rows["relation_id"].gather(bk["rws"]).to_list())
                    if bk["key"] is not None:
                        cache[bk["key"]] = ({}, {}, True)
        for bk in finished:
            if bk["key"] is not None:
                ids_b = ids_np[bk["cols"]]
                done = [ids_b[q] for q in bk["tpos"].tolist()]
                cache[bk["key"]] = ({c: out_lo[c] for c in done}, {c: out_hi[c] for c in done}, False)
    res_df = pl.DataFrame(
        {"cell_id": list(out_lo), "lo": list(out_lo.values()), "hi": [out_hi[c] for c in out_lo]},
        schema={"cell_id": pl.String, "lo": pl.Float64, "hi": pl.Float64},
    )
    return res_df, infeasible


# ----------------------------------------------------------------------------- the attacker
_METHODS = ("auto", "lp", "milp", "propagation")


def _resolve_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS} (got {method!r})")
    if method == "auto":
        return "lp" if _scipy_available() else "propagation"
    if method in ("lp", "milp") and not _scipy_available():
        raise ImportError("method='lp'/'milp' needs scipy; use method='propagation' (weaker)")
    return method


def _local_conflicts(terms: pl.DataFrame, rhs: pl.DataFrame, priors: pl.DataFrame) -> pl.DataFrame:
    """Relations that cannot hold whatever the suppressed cells are (each relation on its own)."""
    t = terms.join(priors, on="cell_id").with_columns(
        pl.when(pl.col("coef") > 0).then(pl.col("lo")).otherwise(-pl.col("hi")).alias("cmin"),
        pl.when(pl.col("coef") > 0).then(pl.col("hi")).otherwise(-pl.col("lo")).alias("cmax"),
    )
    agg = t.group_by("relation_id", maintain_order=True).agg(
        pl.col("cmin").sum().alias("smin"), pl.col("cmax").sum().alias("smax")
    )
    return agg.join(rhs, on="relation_id").filter(
        pl.col("rhs").is_not_null()
        & ((pl.col("rhs") < pl.col("smin") - EPS) | (pl.col("rhs") > pl.col("smax") + EPS))
    )


def _attack_core(
    priors: pl.DataFrame, terms: pl.DataFrame, rhs: pl.DataFrame, method: str
) -> tuple[pl.DataFrame, list[str]]:
    """priors: cell_id, lo, hi, suppressed. Returns (cell_id, lo, hi, recovered) for every
    suppressed cell, in the order of priors, and plain-English inconsistencies."""
    problems: list[str] = []
    for rid, smin, smax, r in _local_conflicts(terms, rhs, priors).select(
        "relation_id", "smin", "smax", "rhs"
    ).iter_rows():
        problems.append(
            f"relation {rid!r} cannot hold: with the published numbers its signed sum lies in "
            f"[{_fmt(smin)}, {_fmt(smax)}], but it must be {_fmt(r)}"
        )
    in_rel = priors.join(terms.select("cell_id").unique(), on="cell_id", how="semi")
    bounds, empty = _propagate(terms, rhs, in_rel.select("cell_id", "lo", "hi"))
    if empty and not problems:
        rel_ids = terms.filter(pl.col("cell_id").is_in(empty))["relation_id"].unique().sort().to_list()
        problems.append(
            "the published numbers contradict the relations jointly (no count fits cell(s) "
            f"{empty[:10]}; relations involved: {rel_ids[:10]})"
        )
    supp = priors.filter(pl.col("suppressed")).select("cell_id")
    if problems:
        out = supp.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("lo"),
            pl.lit(None, dtype=pl.Float64).alias("hi"),
            pl.lit(None, dtype=pl.Boolean).alias("recovered"),
        )
        return out, problems
    if method in ("lp", "milp"):
        pending = supp.join(bounds, on="cell_id").filter(pl.col("hi") - pl.col("lo") > EPS)
        lp, infeasible = _lp_bounds(terms, rhs, bounds, pending["cell_id"].to_list(), integer=method == "milp")
        for rel_ids in infeasible:
            problems.append(
                "the published numbers contradict the relations jointly (relations involved: "
                f"{rel_ids[:10]})"
            )
        bounds = bounds.join(lp.rename({"lo": "lp_lo", "hi": "lp_hi"}), on="cell_id", how="left").select(
            "cell_id",
            pl.max_horizontal("lo", "lp_lo").alias("lo"),
            pl.min_horizontal("hi", "lp_hi").alias("hi"),
        )
    out = (
        supp.join(priors, on="cell_id", how="left", maintain_order="left")
        .join(bounds.rename({"lo": "b_lo", "hi": "b_hi"}), on="cell_id", how="left", maintain_order="left")
        .select(
            "cell_id",
            pl.coalesce("b_lo", "lo").alias("lo"),
            pl.coalesce("b_hi", "hi").alias("hi"),
        )
        .with_columns(((pl.col("hi") - pl.col("lo")).abs() <= EPS).alias("recovered"))
    )
    return out, problems


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _parse_published(published: pl.DataFrame, settings: DisclosureSettings) -> pl.DataFrame:
    """cell_id, label, kind ('shown'|'primary'|'secondary'|'zero'|'invalid'), number, lo, hi."""
    missing = {"cell_id", "label"} - set(published.columns)
    if missing:
        raise ValueError(f"published lacks column(s) {sorted(missing)}")
    k, r = settings.k, settings.rounding
    p = published.select(
        pl.col("cell_id").cast(pl.String),
        pl.col("label").cast(pl.String).str.strip_chars().alias("label"),
    )
    # whole numbers, also when a spreadsheet read them back as floats ("12.0")
    as_float = pl.col("label").cast(pl.Float64, strict=False)
    number = pl.coalesce(
        pl.col("label").str.to_integer(strict=False),
        pl.when(as_float == as_float.round()).then(as_float).cast(pl.Int64, strict=False),
    )
    p = p.with_columns(number.alias("number")).with_columns(
        pl.when(pl.col("label") == settings.primary_label)
        .then(pl.lit(PRIMARY))
        .when(pl.col("label").str.to_lowercase() == SECONDARY_LABEL)
        .then(pl.lit(SECONDARY))
        .when(pl.col("label") == WITHHELD_LABEL)
        .then(pl.lit(WITHHELD))
        .when(pl.col("number") == 0)
        .then(pl.lit(ZERO))
        .when(pl.col("number") > 0)
        .then(pl.lit(SHOWN))
        .otherwise(pl.lit("invalid"))
        .alias("kind")
    )
    n = pl.col("number").cast(pl.Float64)
    if r is None or r == 1:
        shown_lo, shown_hi = n, n
    else:
        floor_k = pl.when(n >= k).then(pl.lit(float(k))).otherwise(pl.lit(1.0))
        shown_lo = pl.max_horizontal(floor_k, n - r // 2)
        shown_hi = n + (r - r // 2 - 1)
    return p.with_columns(
        pl.when(pl.col("kind") == SHOWN).then(shown_lo)
        .when(pl.col("kind") == ZERO).then(0.0)
        .when(pl.col("kind") == PRIMARY).then(1.0)
        .when(pl.col("kind") == SECONDARY).then(float(k))
        .otherwise(0.0)  # invalid label: the attacker knows nothing about it
        .alias("lo"),
        pl.when(pl.col("kind") == SHOWN).then(shown_hi)
        .when(pl.col("kind") == ZERO).then(0.0)
        .when(pl.col("kind").is_in([PRIMARY, WITHHELD])).then(float(k - 1))
        .otherwise(_INF)
        .alias("hi"),
    )


def _published_system(
    published: pl.DataFrame, relations: pl.DataFrame, settings: DisclosureSettings
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str]]:
    """priors (cell_id, label, kind, number, lo, hi, suppressed), terms, rhs, structural problems."""
    problems: list[str] = []
    parsed = _parse_published(published, settings)
    dup = parsed.filter(pl.col("cell_id").is_duplicated())["cell_id"].unique(maintain_order=True).to_list()
    if dup:
        problems.append(f"cell ids published more than once: {dup[:10]}")
        parsed = parsed.unique(subset="cell_id", keep="first", maintain_order=True)
    terms, rels = _relation_terms(relations)
    unknown = terms.join(parsed, on="cell_id", how="anti")
    if unknown.height:
        ids = unknown["cell_id"].unique(maintain_order=True).to_list()
        problems.append(
            f"relations refer to {len(ids)} cell(s) that are not published, e.g. {ids[:10]}; "
            "they are treated as unknown counts"
        )
        parsed = pl.concat(
            [
                parsed,
                pl.DataFrame({"cell_id": ids}, schema={"cell_id": pl.String}).with_columns(
                    pl.lit(None, dtype=pl.String).alias("label"),
                    pl.lit(None, dtype=pl.Int64).alias("number"),
                    pl.lit("unpublished").alias("kind"),
                    pl.lit(0.0).alias("lo"),
                    pl.lit(_INF).alias("hi"),
                ),
            ],
            how="diagonal_relaxed",
        )
    values = None
    if "value" in published.columns:
        values = published.select(pl.col("cell_id").cast(pl.String), pl.col("value").cast(pl.Int64)).unique(
            subset="cell_id", keep="first"
        )
    rhs = _rhs(rels, terms, values)
    no_total = rhs.filter(pl.col("rhs").is_null())["relation_id"].to_list()
    if no_total:
        problems.append(
            f"relations without a total and without a known_total (and no 'value' column to take "
            f"it from) are ignored: {no_total[:10]}"
        )
    priors = _narrow(parsed, _stated(published)).with_columns(
        pl.col("kind").is_in(list(SUPPRESSED)).alias("suppressed"))
    return priors, terms, rhs, problems


def attack(
    published: pl.DataFrame,
    relations: pl.DataFrame,
    settings: DisclosureSettings = DisclosureSettings(),
    *,
    method: str = "auto",
) -> pl.DataFrame:
    """An outsider's best effort to work out every suppressed cell from what is published.

    published: cell_id, label (as printed; extra columns are ignored, except that a
    ``value`` column supplies the known number of relations without a total when the
    relations carry no ``known_total``). relations: relation_id, total_id, member_id.

    method: 'auto' (LP if scipy is available, else propagation), 'lp' (interval
    propagation, then two LPs per still-open cell over all relations jointly, HiGHS),
    'milp' (the same with integer programs: exact integer bounds), 'propagation'
    (iterated interval reasoning per relation only; weaker).

    Returns one row per suppressed cell ('<k' or 'x'), in published order: cell_id, label,
    lo, hi (the tightest whole-number interval the outsider can prove; hi may be inf),
    recovered (lo == hi), method. Raises InconsistentPublication when the published numbers
    contradict the relations, ValueError on labels it cannot read.
    """
    used = _resolve_method(method)
    priors, terms, rhs, problems = _published_system(published, relations, settings)
    bad = priors.filter(pl.col("kind") == "invalid")["cell_id"].to_list()
    if bad:
        raise ValueError(f"labels that are no count, '{settings.primary_label}', 'x' or '0': cells {bad[:10]}")
    out, inconsistent = _attack_core(priors, terms, rhs, used)
    if inconsistent:
        raise InconsistentPublication("; ".join(inconsistent))
    return (
        out.join(priors.select("cell_id", "label"), on="cell_id", how="left", maintain_order="left")
        .select("cell_id", "label", "lo", "hi", "recovered", pl.lit(used).alias("method"))
    )


def check_published(
    published: pl.DataFrame,
    relations: pl.DataFrame,
    settings: DisclosureSettings = DisclosureSettings(),
    *,
    method: str = "auto",
) -> list[str]:
    """Everything wrong with a publication, in plain English. Empty list = safe.

    Reports: any shown count 1..k-1; labels that are no count, '<k', 'x' or '0'; shown
    counts that are not rounded when rounding is on; any suppressed cell the attacker
    recovers (with its interval); relations the published numbers contradict (a bug);
    relations that refer to unpublished cells.
    """
    used = _resolve_method(method)
    k, r = settings.k, settings.rounding
    # public cells (DUO open data, optional ``public`` column) are known to everyone: they may
    # show any count and are no target of the attack, only part of what the attacker knows
    public = set(published.filter(pl.col("public"))["cell_id"].to_list()) if "public" in published.columns else set()
    priors, terms, rhs, problems = _published_system(published.drop("public", strict=False), relations, settings)
    for cid, label in priors.filter(pl.col("kind") == "invalid").select("cell_id", "label").iter_rows():
        problems.append(
            f"cell {cid!r} has label {label!r}, which is no count, '{settings.primary_label}', 'x' or '0'"
        )
    for cid, n in priors.filter(
        (pl.col("kind") == SHOWN) & (pl.col("number") < k) & ~pl.col("cell_id").is_in(list(public))
    ).select("cell_id", "number").iter_rows():
        problems.append(
            f"cell {cid!r} shows {n}: counts from 1 to {k - 1} must be shown as '{settings.primary_label}'"
        )
    if r is not None and r > 1:
        for cid, n in priors.filter(
            (pl.col("kind") == SHOWN) & (pl.col("number") % r != 0) & ~pl.col("cell_id").is_in(list(public))
        ).select("cell_id", "number").iter_rows():
            problems.append(f"cell {cid!r} shows {n}, which is not rounded to a multiple of {r}")
    out, inconsistent = _attack_core(priors, terms, rhs, used)
    problems.extend(inconsistent)
    if not inconsistent:
        rec = out.filter(pl.col("recovered") & ~pl.col("cell_id").is_in(list(public))).join(
            priors.select("cell_id", "label"), on="cell_id", how="left")
        for cid, label, lo in rec.select("cell_id", "label", "lo").iter_rows():
            problems.append(
                f"suppressed cell {cid!r} (published as {label!r}) can be worked out from the published "
                f"numbers and relations: it must be {_fmt(lo)} (interval [{_fmt(lo)}, {_fmt(lo)}])"
            )
    return problems


# ----------------------------------------------------------------------------- protect
def _exact_priors(st: pl.DataFrame, k: int) -> pl.DataFrame:
    """What the outsider knows about each cell before rounding: shown values exactly."""
    v = pl.col("value").cast(pl.Float64)
    return st.select(
        "cell_id",
        pl.when(pl.col("status") == PRIMARY).then(1.0)
        .when(pl.col("status") == SECONDARY).then(float(k))
        .when(pl.col("status") == WITHHELD).then(0.0)
        .otherwise(v).alias("lo"),
        pl.when(pl.col("status").is_in([PRIMARY, WITHHELD])).then(float(k - 1))
        .when(pl.col("status") == SECONDARY).then(_INF)
        .otherwise(v).alias("hi"),
        pl.col("status").is_in(list(SUPPRESSED)).alias("suppressed"),
    )


def _components(terms: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """cell_id, comp: the connected groups of ``cells``, two cells being linked when they share a relation.

    protect calls it with the pinned cells: a group is one problem (a chain from a root
    cause, or a combination of relations), and groups that share no relation are fixed in
    the same round. Labels are only group keys. Without scipy every cell is in group 0
    (one problem per round, as before).
    """
    nodes = cells.select("cell_id").unique().sort("cell_id").with_row_index("ni")
    if nodes.height == 0 or not _scipy_available():
        return nodes.select("cell_id", pl.lit(0, dtype=pl.Int64).alias("comp"))
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = terms.join(nodes, on="cell_id").select("relation_id", "ni")
    rel_ix = edges.select("relation_id").unique().sort("relation_id").with_row_index("ri")
    edges = edges.join(rel_ix, on="relation_id")
    n, m = nodes.height, rel_ix.height
    graph = coo_matrix(
        (np.ones(edges.height), (edges["ni"].to_numpy(), n + edges["ri"].to_numpy())), shape=(n + m, n + m)
    )
    _, label = connected_components(graph, directed=False)
    return nodes.select("cell_id", pl.Series("comp", label[:n].astype(np.int64)))


def _choose_secondary(
    terms: pl.DataFrame,
    active: pl.DataFrame,
    rhs: pl.DataFrame,
    st: pl.DataFrame,
    priors: pl.DataFrame,
    bounds: pl.DataFrame,
    pinned: list[str],
    persistent: pl.DataFrame | None = None,
    tm: _Terms | None = None,
) -> tuple[list[str], pl.DataFrame]:
    """Cells to suppress next so that the pinned cells get room to move.

    terms: all relations; active: the relations with a suppressed cell (bounds covers
    their cells). A relation "pins" a cell when, given the other cells' current proven
    bounds, it leaves that cell one possible value. Works per group of pinned cells
    (_components: pinned cells that share a relation), all groups in the same round: groups
    with a root cause (a relation that pins a cell from the published numbers alone) get one
    more suppressed cell per such relation, the best shown non-zero cell in it; their cells
    pinned only through a chain wait a round. In the other groups every relation that pins a
    cell given the proven bounds gets one, and cells pinned by a combination of relations
    (found by the LP) get ONE cell per group, next to as many of them as possible; if there
    is none, the search widens to relations linked to them through suppressed cells.
    Ranking: resolves most pinning relations at once, then is already in most relations
    with a suppression, then smallest value, then cell_id.

    tm: active and rhs indexed for the cells of bounds (protect builds it once a round).
    persistent: cells pinned for more than PERSISTENT_ROUNDS rounds in a row. Returns the
    cells to suppress and the pinned cells (cell_id, comp) of groups that are given up on:
    no shown non-zero cell within MAX_HOPS, or persistent with a '<k' cell among them.
    """
    supp_cells = st.filter(pl.col("status").is_in(list(SUPPRESSED))).select("cell_id")
    pin = _components(active, pl.DataFrame({"cell_id": pinned}, schema={"cell_id": pl.String}))
    # A group that stays pinned round after round although cells are suppressed around it is
    # held by small counts among themselves (equalities between '<5' cells in tiny
    # municipalities); suppressing ever more distant cells does not free it. Its '<5' cells
    # are withheld instead, like a group with nothing left around it.
    tired = pl.DataFrame(schema={"cell_id": pl.String, "comp": pl.Int64})
    if persistent is not None and persistent.height:
        tired_comps = (
            pin.join(persistent, on="cell_id", how="semi").select("comp").unique()
            .join(pin.join(st.filter(pl.col("status") == PRIMARY), on="cell_id", how="semi"), on="comp", how="semi")
            .select("comp").unique()
        )
        tired = pin.join(tired_comps, on="comp", how="semi")
        pin = pin.join(tired_comps, on="comp", how="anti")
    comp = pin
    own = priors.select("cell_id", pl.col("lo").alias("p_lo"), pl.col("hi").alias("p_hi"))
    cand = active.join(
        st.filter((pl.col("status") == SHOWN) & (pl.col("value") > 0)).select("cell_id", "value"), on="cell_id"
    ).select("relation_id", pl.col("cell_id").alias("cand"), "value")
    cand_rels = cand.select("relation_id").unique()

    def pinning(b: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
        d = _derive(active, rhs, b, tm).join(cells, on="cell_id", how="semi").join(own, on="cell_id")
        return (
            d.filter(pl.max_horizontal("d_lo", "p_lo") >= pl.min_horizontal("d_hi", "p_hi") - EPS)
            .select("relation_id", "cell_id")
            .join(cand_rels, on="relation_id", how="semi")  # only relations where a cell can be added
            .join(comp, on="cell_id")
        )

    # Root causes first: relations that pin a cell on their own, from what is published
    # (one suppressed cell; '<5' cells whose residual leaves one possibility). A cell
    # pinned only through a chain is usually freed once the root is fixed, so in a block
    # with a root, chains wait. Other blocks: relations that pin a cell given the proven bounds.
    root = pinning(priors.join(bounds.select("cell_id"), on="cell_id", how="semi").select("cell_id", "lo", "hi"), pin)
    rest = pin.join(root.select("comp").unique(), on="comp", how="anti")
    chain = pinning(bounds, rest)
    pin_rel = pl.concat([root, chain])
    fixed_comps = pin_rel.select("comp").unique()
    todo = rest.join(chain.select("cell_id").unique(), on="cell_id", how="anti")

    rel_with_supp = active.join(supp_cells, on="cell_id", how="semi").select("relation_id").unique()
    problem_rels = pin_rel.select("relation_id").unique()
    rank = (
        terms.select("relation_id", pl.col("cell_id").alias("cand"))
        .join(cand.select("cand").unique(), on="cand", how="semi")
        .join(problem_rels.with_columns(pl.lit(1).alias("in_problem")), on="relation_id", how="left")
        .join(rel_with_supp.with_columns(pl.lit(1).alias("in_supp")), on="relation_id", how="left")
        .group_by("cand")
        .agg(
            pl.col("in_problem").fill_null(0).sum().alias("n_problem"),
            pl.col("in_supp").fill_null(0).sum().alias("n_supp"),
            pl.len().alias("n_rel"),
        )
        # relations of the candidate that have no suppressed cell yet: suppressing it there
        # pins it, so each one is a new problem (a chain) for the next round
        .with_columns((pl.col("n_rel") - pl.col("n_supp")).alias("n_new"))
    )
    cand = cand.join(rank, on="cand", how="left")
    order = dict(by=["n_problem", "n_new", "value", "cand"], descending=[True, False, False, False])

    chosen_rel = (
        cand.join(problem_rels, on="relation_id", how="semi")
        .sort("relation_id", *order["by"], descending=[False, *order["descending"]])
        .unique(subset="relation_id", keep="first", maintain_order=True)
    )
    chosen = set(chosen_rel["cand"].to_list())

    # Cells pinned by a combination of relations: ONE cell per block and round (the LP checks
    # again before the next), because one suppression usually frees the whole combination.
    # The cell is the best shown non-zero cell in a relation of the pinned cells (most
    # pinned cells reached, then the ranking above); if there is none, the search widens
    # to relations linked to them through suppressed cells.
    visited = active.join(todo, on="cell_id").select(pl.col("cell_id").alias("origin"), "comp", "relation_id")
    frontier = visited
    found = []
    for _ in range(MAX_HOPS):
        if frontier.height == 0:
            break
        pool = frontier.join(cand, on="relation_id")
        if pool.height:
            best = (
                pool.group_by("comp", "cand", "value", "n_problem", "n_new")
                .agg(pl.col("origin").n_unique().alias("n_cover"))
                .sort(["comp", "n_cover", *order["by"]], descending=[False, True, *order["descending"]])
                .unique(subset="comp", keep="first", maintain_order=True)
            )
            chosen.update(best["cand"].to_list())
            found.append(best.select("comp"))
            frontier = frontier.join(best, on="comp", how="anti")
        # widen: suppressed cells of the frontier relations, and their relations
        nxt = (
            frontier.join(active.select("relation_id", "cell_id"), on="relation_id")
            .join(supp_cells, on="cell_id", how="semi")
            .join(active.select(pl.col("cell_id"), pl.col("relation_id").alias("next_rel")), on="cell_id")
            .select("origin", "comp", pl.col("next_rel").alias("relation_id"))
            .unique()
            .join(visited, on=["origin", "comp", "relation_id"], how="anti")
        )
        visited = pl.concat([visited, nxt])
        frontier = nxt
    # Groups with no shown non-zero cell within MAX_HOPS: every number around them is hidden
    # already, so no further suppression will help them (they are withheld or refused now
    # rather than after every other group is done, which took hundreds of rounds nationally).
    stuck = pl.concat([tired, todo.join(pl.concat([fixed_comps, *found]), on="comp", how="anti").select(tired.columns)])
    return sorted(chosen), stuck.sort("cell_id")


def protect(
    cells: pl.DataFrame,
    relations: pl.DataFrame,
    settings: DisclosureSettings = DisclosureSettings(),
) -> pl.DataFrame:
    """Decide for every published number whether and how it is shown.

    cells: cell_id, value (int >= 0), optionally is_estimate; relations: relation_id,
    total_id, member_id (and optionally known_total for relations without a total).
    Returns the cells (all input columns, input order) plus status ('shown' | 'primary'
    | 'secondary' | 'withheld' | 'zero'), shown (Int64, null when suppressed; rounded when rounding is
    set) and label (the text to print). Deterministic. Raises DisclosureError when no
    amount of suppression protects a cell (only possible with relations without total),
    or after settings.max_rounds rounds.
    """
    missing = {"cell_id", "value"} - set(cells.columns)
    if missing:
        raise ValueError(f"cells lacks column(s) {sorted(missing)}")
    k = settings.k
    base = cells.with_columns(pl.col("cell_id").cast(pl.String))
    if base["cell_id"].null_count() or base["cell_id"].is_duplicated().any():
        raise ValueError("cell_id must be unique and not null")
    as_float = base["value"].cast(pl.Float64, strict=False)
    if as_float.null_count() or as_float.is_nan().any() or not (as_float == as_float.round()).all():
        raise ValueError("value must be a whole number for every cell")
    base = base.with_columns(pl.col("value").cast(pl.Int64))
    if (base["value"] < 0).any():
        raise ValueError("value must be >= 0")
    values = base.select("cell_id", "value")
    stated = _stated(base)
    terms, rels = _relation_terms(relations)
    unknown = terms.join(values, on="cell_id", how="anti")["cell_id"].unique().sort().to_list()
    if unknown:
        raise ValueError(f"relations refer to cells that are not in cells: {unknown[:10]}")
    rhs = _rhs(rels, terms, values)
    check = (
        terms.join(values, on="cell_id")
        .group_by("relation_id")
        .agg((pl.col("coef") * pl.col("value")).sum().alias("s"))
        .join(rhs, on="relation_id")
        .filter((pl.col("s") - pl.col("rhs")).abs() > EPS)
    )
    if check.height:
        raise ValueError(
            "relations that the true values do not satisfy (total != sum of members, or "
            f"known_total wrong): {check['relation_id'].sort().to_list()[:10]}"
        )

    st = values.with_columns(
        pl.when(pl.col("value") == 0).then(pl.lit(ZERO))
        .when(pl.col("value") < k).then(pl.lit(PRIMARY))
        .otherwise(pl.lit(SHOWN)).alias("status")
    )
    use_lp = _scipy_available()
    lp_cache: dict = {}  # blocks the LP has seen, across rounds (most blocks do not change)
    lp_points = _PointPool()  # LP solutions, across rounds (most still fit the next round)
    added_rounds = 0
    pinned_for = pl.DataFrame(schema={"cell_id": pl.String, "rounds": pl.Int64})  # consecutive rounds pinned
    while True:
        priors = _narrow(_exact_priors(st, k), stated)
        # Only relations with a suppressed cell can tell the attacker anything: in the others every
        # cell is shown exactly. Restricting to them keeps a round's work near the suppressed cells.
        active = terms.join(
            terms.join(priors.filter(pl.col("suppressed")), on="cell_id", how="semi").select("relation_id").unique(),
            on="relation_id", how="semi",
        )
        in_active = priors.join(active.select("cell_id").unique(), on="cell_id", how="semi")
        # active and rhs indexed once a round, for propagation and for the choice of cells
        tm = _Terms(active, rhs, in_active["cell_id"])
        bounds, empty = _propagate(active, rhs, in_active.select("cell_id", "lo", "hi"), tm=tm)
        if empty:  # cannot happen: the true values satisfy every relation
            raise RuntimeError(f"interval propagation found no value for {empty[:10]}")
        supp_b = bounds.join(priors.filter(pl.col("suppressed")).select("cell_id"), on="cell_id", how="semi")
        pinned = supp_b.filter(pl.col("hi") - pl.col("lo") <= EPS)["cell_id"].sort().to_list()
        if not pinned and use_lp:
            open_ = supp_b["cell_id"].to_list()
            lp, infeasible = _lp_bounds(active, rhs, bounds, open_, cache=lp_cache, witness=values,
                                         points=lp_points)
            if infeasible:  # pragma: no cover - the true values are a solution
                raise RuntimeError(f"LP infeasible on true data: {infeasible[:3]}")
            pinned = lp.filter(pl.col("hi") - pl.col("lo") <= EPS)["cell_id"].sort().to_list()
        if not pinned:
            break
        if added_rounds >= settings.max_rounds:
            raise DisclosureError(
                f"after {settings.max_rounds} rounds of secondary suppression these cells can "
                f"still be worked out: {pinned[:10]}; raise max_rounds"
            )
        pinned_for = (
            pl.DataFrame({"cell_id": pinned}, schema={"cell_id": pl.String})
            .join(pinned_for, on="cell_id", how="left")
            .select("cell_id", (pl.col("rounds").fill_null(0) + 1).alias("rounds"))
        )
        persistent = pinned_for.filter(pl.col("rounds") > PERSISTENT_ROUNDS).select("cell_id")
        new, stuck = _choose_secondary(terms, active, rhs, st, priors, bounds, pinned, persistent, tm)
        withhold = pl.Series("cell_id", [], dtype=pl.String)
        if stuck.height:
            # nothing left to hide around them: print the pinned small counts as '.' (0 to k-1)
            stuck = stuck.join(st.select("cell_id", "status"), on="cell_id")
            hopeless = stuck.join(
                stuck.filter(pl.col("status") == PRIMARY).select("comp").unique(), on="comp", how="anti"
            )
            if hopeless.height:
                raise DisclosureError(
                    "these suppressed cells can be worked out whatever else is suppressed (every number "
                    "they are related to is suppressed already or zero, or a relation without total "
                    f"fixes them): {hopeless['cell_id'].sort().to_list()[:10]}"
                )
            withhold = stuck.filter(pl.col("status") == PRIMARY)["cell_id"]
        if not new and withhold.len() == 0:  # pragma: no cover - every block gets a cell or is stuck
            raise RuntimeError(f"secondary suppression made no progress on {pinned[:10]}")
        st = st.with_columns(
            pl.when(pl.col("cell_id").is_in(withhold.implode())).then(pl.lit(WITHHELD))
            .when(pl.col("cell_id").is_in(new)).then(pl.lit(SECONDARY))
            .otherwise(pl.col("status")).alias("status")
        )
        added_rounds += 1

    if stated is not None:
        # a statement next to a hidden count (a need level with its thresholds) that pins it on its
        # own cannot be repaired by hiding other numbers: the statement must not be published
        self_pinned = _narrow(_exact_priors(st, k), stated).filter(
            pl.col("suppressed") & (pl.col("hi") - pl.col("lo") <= EPS))["cell_id"].to_list()
        if self_pinned:
            raise DisclosureError(
                f"what is printed next to these hidden counts pins them on its own (thresholds of a need "
                f"level?): {self_pinned[:10]}")

    r = settings.rounding
    v = pl.col("value")
    rounded = v if r is None or r == 1 else ((v + r // 2) // r) * r
    shown = (
        pl.when(pl.col("status") == SHOWN).then(rounded)
        .when(pl.col("status") == ZERO).then(pl.lit(0, dtype=pl.Int64))
        .otherwise(pl.lit(None, dtype=pl.Int64))
        .cast(pl.Int64)
        .alias("shown")
    )
    st = st.with_columns(shown).with_columns(
        pl.when(pl.col("status") == PRIMARY).then(pl.lit(settings.primary_label))
        .when(pl.col("status") == SECONDARY).then(pl.lit(SECONDARY_LABEL))
        .when(pl.col("status") == WITHHELD).then(pl.lit(WITHHELD_LABEL))
        .otherwise(pl.col("shown").cast(pl.String))
        .alias("label")
    )
    drop = [c for c in ("status", "shown", "label") if c in base.columns]
    return base.drop(drop).join(
        st.select("cell_id", "status", "shown", "label"), on="cell_id", how="left", maintain_order="left"
    )


# ----------------------------------------------------------------------------- explanation
def explanation_nl(settings: DisclosureSettings = DisclosureSettings()) -> str:
    """The Dutch text "Hoe we kleine aantallen beschermen", shown verbatim by exports and
    dashboards. docs/disclosure.md holds the text for the default settings."""
    k = settings.k
    lines = [
        "Cijfers uit de open data van DUO (stromen, herkomst per school, schooltotalen, gemeenteprofielen) zijn "
        "openbaar: die tonen we zoals de gegevens het toelaten, exact waar ze exact zijn, geschat met onder- en "
        "bovengrens waar DUO '<5' publiceert, een aantal dat 1 tot en met 4 kan zijn als '<5' (zoals DUO het "
        "toont) en het leerlingentotaal van elke school precies zoals DUO het publiceert.",
        "Cijfers uit de gekoppelde, vertrouwelijke gegevens (hulp van het lokale team, afspraken, "
        "coördinatielast, stromen uit de gekoppelde inschrijvingen) beschermen we, zodat niemand er een "
        "individueel kind uit kan herkennen.",
        f"Daar tonen we aantallen van 1 tot en met {k - 1} niet maar '<{k}'; een 0 betekent echt nul en een "
        f"'.' minder dan {k} en mogelijk 0, waar zelfs '<{k}' zou verraden hoeveel het er precies zijn.",
        "Omdat je een verborgen aantal kunt terugrekenen uit totalen, uit andere getallen in de rij of kolom, "
        "uit een andere tabel, uit het niveau van een afspraak met zijn drempels of uit het aantal scholen of "
        "lokale teams, verbergen we zo nodig ook andere getallen (daar staat een 'x', het teken dat het CBS "
        "gebruikt voor 'geheim') en staat het aantal scholen of lokale teams alleen naast een zichtbaar aantal.",
        "De zichtbare getallen in een rij of kolom tellen daardoor niet altijd op tot het totaal.",
        "Voor alles wat we publiceren rekent een controleprogramma na dat geen enkel verborgen getal uit wat "
        "een lezer ziet (alle tabellen, niveaus, drempels, aantallen scholen en de openbare DUO-cijfers) tot "
        "één waarde is terug te rekenen.",
    ]
    if settings.rounding is not None and settings.rounding > 1:
        lines.append(
            f"Alle getallen zijn bovendien afgerond op een veelvoud van {settings.rounding}, elk "
            "getal en elk totaal apart, dus ook zonder verborgen getallen kan een optelling iets afwijken."
        )
    return " ".join(lines)
