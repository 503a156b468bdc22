"""The LP attacker: tightest bounds of hidden cells over all relations jointly, with HiGHS (highspy)."""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import polars as pl

from .policy import (
    _BIG,
    _INF,
    EPS,
    HOT_LP_VARIABLES,
    LP_GROUP_VARIABLES,
    MAX_LP_VARIABLES,
    MAX_TARGETED_SWEEPS,
    POOL_POINTS,
    WITNESS_SWEEPS,
    DisclosureError,
)

# ----------------------------------------------------------------------------- LP attacker
_highs_started = False


def _new_highs():
    """A HiGHS instance from the official highspy package. Its first construction in a process
    prints a banner on the C-level stdout; that would land in the middle of the CLI's output, so
    the first one is built with file descriptor 1 pointed at /dev/null."""
    global _highs_started
    import highspy

    if _highs_started:
        return highspy.Highs()
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    _highs_started = True
    return h


class _HotLP:
    """One LP block kept in HiGHS (highspy) between solves: each solve changes only the
    objective (or a bound) and starts from the last basis with primal simplex, many times
    faster than a fresh linprog on large blocks. create() returns None when highspy is not
    installed (then scipy's linprog is used: same optima)."""

    def __init__(self, core, highs, n):
        self._core, self._h, self._n = core, highs, n
        self._idx = np.arange(n, dtype=np.int32)
        self._alien = False  # the next solve starts from a basis of another LP

    @classmethod
    def create(cls, a, b, lo, hi):
        try:
            import highspy as core

            a = a.tocsc()
            h = _new_highs()
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
        except (ImportError, AttributeError, TypeError):  # pragma: no cover - highspy missing or changed
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

    def __init__(self, limit: int = POOL_POINTS, keyed: bool = False):
        # keyed: the caller gives each cell a fixed position of its own (protect: its position in
        # cell_id order), used as is; otherwise positions are handed out per cell_id
        self.keyed = keyed
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
        p = np.full(max(len(self._index), int(pos.max()) + 1 if len(pos) else 0), np.nan)
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
    b = bounds.sort("cell_id")
    ids = b["cell_id"].to_numpy().astype(object)
    rel = rhs.sort("relation_id")
    rel_ids = rel["relation_id"].to_numpy().astype(object)
    ent = (
        terms.join(rel.select("relation_id").with_row_index("tr"), on="relation_id")
        .join(b.select("cell_id").with_row_index("tc"), on="cell_id")
        .select("tr", "tc", "coef")
    )
    w = None
    if witness is not None:
        w = (
            b.select("cell_id")
            .join(
                witness.select("cell_id", pl.col("value").cast(pl.Float64)),
                on="cell_id",
                how="left",
                maintain_order="left",
            )["value"]
            .fill_null(float("nan"))
            .to_numpy()
        )
    index = {c: i for i, c in enumerate(ids.tolist())}
    tgt = np.fromiter((index[c] for c in targets if c in index), dtype=np.int64)
    res_ids, res_lo, res_hi, infeasible = _lp_core(
        ids,
        np.arange(len(ids), dtype=np.int64),
        b["lo"].cast(pl.Float64).to_numpy(),
        b["hi"].cast(pl.Float64).to_numpy(),
        rel_ids,
        rel["rhs"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        ent["tr"].cast(pl.Int64).to_numpy(),
        ent["tc"].cast(pl.Int64).to_numpy(),
        ent["coef"].cast(pl.Float64).to_numpy(),
        tgt,
        integer=integer,
        max_variables=max_variables,
        cache=cache,
        witness=w,
        points=points,
    )
    res_df = pl.DataFrame(
        {"cell_id": res_ids, "lo": res_lo, "hi": res_hi},
        schema={"cell_id": pl.String, "lo": pl.Float64, "hi": pl.Float64},
    )
    return res_df, infeasible


def _lp_core(
    ids: np.ndarray,
    cells: np.ndarray,
    lo_cell: np.ndarray,
    hi_cell: np.ndarray,
    rel_ids: np.ndarray,
    rhs_rel: np.ndarray,
    tr: np.ndarray,
    tc: np.ndarray,
    tcoef: np.ndarray,
    targets: np.ndarray,
    integer: bool = False,
    max_variables: int = MAX_LP_VARIABLES,
    cache: dict | None = None,
    witness: np.ndarray | None = None,
    points: _PointPool | None = None,
) -> tuple[list[str], list[float], list[float], list[list[str]]]:
    """_lp_bounds on positions (protect calls it every round without building frames).

    ids: the cell ids in cell_id order (position = index); cells: the positions that bounds
    covers, ascending; lo_cell, hi_cell: bounds per position (read at ``cells`` only);
    rel_ids: relation ids in relation_id order, rhs_rel their right-hand sides (NaN: none);
    tr, tc, tcoef: one entry per term (relation position, cell position, coefficient);
    targets: positions; witness: a known value per position (NaN: none). Returns the ids,
    lo and hi of the targets that are unknowns, and the relation ids of infeasible blocks.
    """
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_cell, n_rel = len(ids), len(rel_ids)
    in_b = np.zeros(n_cell, dtype=bool)
    in_b[cells] = True
    fixed_cell = hi_cell - lo_cell <= EPS
    var_cells = cells[~fixed_cell[cells]]  # unknowns, in cell_id order
    vpos = np.full(n_cell, -1, dtype=np.int64)
    vpos[var_cells] = np.arange(len(var_cells))
    keep = in_b[tc] & ~np.isnan(rhs_rel[tr])
    tr, tc, tcoef = tr[keep], tc[keep], tcoef[keep]
    fixed_t = fixed_cell[tc]
    # right-hand side minus the constants; relations with an unknown, in relation_id order
    b_rel = rhs_rel - np.bincount(tr[fixed_t], tcoef[fixed_t] * lo_cell[tc[fixed_t]], minlength=n_rel)
    row_rels = np.flatnonzero(np.bincount(tr[~fixed_t], minlength=n_rel) > 0)
    rpos = np.full(n_rel, -1, dtype=np.int64)
    rpos[row_rels] = np.arange(len(row_rels))
    n_rows, n_vars = len(row_rels), len(var_cells)
    target_vi = np.unique(vpos[targets]) if len(targets) else np.zeros(0, dtype=np.int64)
    target_vi = target_vi[target_vi >= 0]
    if n_vars == 0 or len(target_vi) == 0:
        return [], [], [], []

    ri = rpos[tr[~fixed_t]]
    vi = vpos[tc[~fixed_t]]
    coef = tcoef[~fixed_t]
    A = coo_matrix((coef, (ri, vi)), shape=(n_rows, n_vars)).tocsr()
    rhs_vec = b_rel[row_rels]
    # bipartite graph rows + vars, to find independent blocks
    graph = coo_matrix((np.ones(len(ri)), (ri, n_rows + vi)), shape=(n_rows + n_vars, n_rows + n_vars))
    _, label = connected_components(graph, directed=False)
    row_label, var_label = label[:n_rows], label[n_rows:]
    lo_all = lo_cell[var_cells].astype(float)
    hi_all = np.minimum(hi_cell[var_cells].astype(float), _BIG)
    ids_np = ids[var_cells]
    ids = ids_np.tolist()
    pool_pos = None
    if points is not None:
        pool_pos = var_cells if points.keyed else points.positions(ids)
    w_all = None if witness is None else witness[var_cells].astype(float)
    rel_np = rel_ids[row_rels]

    out_lo: dict[str, float] = {}
    out_hi: dict[str, float] = {}
    infeasible: list[list[str]] = []
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
        cols = var_order[var_start[comp] : var_start[comp + 1]]
        rws = row_order[row_start[comp] : row_start[comp + 1]]
        if len(cols) > max_variables:
            raise DisclosureError(
                f"{len(cols)} unknown numbers are linked by relations into one block; the LP "
                f"attacker handles at most {max_variables}. Split the publication into smaller "
                "independent parts (or raise MAX_LP_VARIABLES)."
            )
        comp_targets = tgt_sorted[tgt_start[comp] : tgt_start[comp + 1]]
        tpos = np.searchsorted(cols, comp_targets).tolist()  # cols is ascending
        key = None
        if cache is not None:
            key = (
                integer,
                tuple(ids_np[cols]),
                lo_all[cols].tobytes(),
                hi_all[cols].tobytes(),
                tuple(rel_np[rws]),
                rhs_vec[rws].tobytes(),
                tuple(tpos),
            )
            if key in cache:
                done_lo, done_hi, done_failed = cache[key]
                out_lo.update(done_lo)
                out_hi.update(done_hi)
                if done_failed:
                    infeasible.append(rel_np[rws].tolist())
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
                hot.start_from(
                    [points.basis_col.get(c, lower) for c in ids_g.tolist()],
                    [points.basis_row.get(r, basic) for r in rel_g.tolist()],
                )

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
                    c,
                    integrality=np.ones(n),
                    bounds=Bounds(lo, hi),
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
            for i in range(len(group)):
                s = slice(offs[i], offs[i + 1])
                true_ok[s] = not bad_var[s].any()
            row_block = np.concatenate([np.full(len(bk["rws"]), i) for i, bk in enumerate(group)])
            for i in np.unique(row_block[resid]).tolist():
                true_ok[offs[i] : offs[i + 1]] = False
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
        sub_t: list = []  # sub transposed, once, for the reduced costs of the certificates

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
                sub_t.append(sub.T.tocsr())
            rel_ids, y_old = cert
            at = np.fromiter((row_at.get(r, -1) for r in rel_ids.tolist()), dtype=np.int64, count=len(rel_ids))
            y = np.zeros(len(b_sub))
            y[at[at >= 0]] = y_old[at >= 0]
            d = -(sub_t[0] @ y)  # reduced costs of the objective sense * x_p
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
            # (target by target, minimum then maximum; a call changes only its own reach flag)
            still_open = np.column_stack([~reach_lo[tpos], ~reach_hi[tpos]]).ravel()
            for j in np.flatnonzero(still_open).tolist():
                certified(int(tpos[j // 2]), 1.0 if j % 2 == 0 else -1.0)

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
        task_p = [np.repeat(tpos[toffs[i] : toffs[i + 1]], 2) for i in range(len(group))]
        n_tasks = [len(tp) for tp in task_p]
        minimise = np.tile([True, False], max(n_tasks, default=0))  # the task's direction, by position
        ptr = [0] * len(group)

        def next_task(i: int) -> int:
            """Position of block i's next task from ptr[i] that is neither reached nor answered by
            a certificate (those are passed, in order); n_tasks[i] when there is none. Only a
            task's own flag changes on the way, so one mask serves the whole scan."""
            tp, lo_side = task_p[i][ptr[i] :], minimise[ptr[i] : n_tasks[i]]
            todo = np.flatnonzero(np.where(lo_side, ~reach_lo[tp], ~reach_hi[tp]))
            for j in todo.tolist():
                if not (use_duals and certified(int(tp[j]), 1.0 if lo_side[j] else -1.0)):
                    return ptr[i] + j
            return n_tasks[i]

        while True:
            c = np.zeros(n)
            step = []
            for i in range(len(group)):
                if ptr[i] < n_tasks[i]:
                    ptr[i] = next_task(i)
                if ptr[i] < n_tasks[i]:
                    p, sense = int(task_p[i][ptr[i]]), 1.0 if minimise[ptr[i]] else -1.0
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
                    yb = y[row_offs[i] : row_offs[i + 1]]
                    nz = yb != 0
                    points.duals[(ids_g[p], sense)] = (rel_g[row_offs[i] : row_offs[i + 1]][nz], yb[nz])
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
                    infeasible.append(rel_np[bk["rws"]].tolist())
                    if bk["key"] is not None:
                        cache[bk["key"]] = ({}, {}, True)
        for bk in finished:
            if bk["key"] is not None:
                ids_b = ids_np[bk["cols"]]
                done = [ids_b[q] for q in bk["tpos"].tolist()]
                cache[bk["key"]] = ({c: out_lo[c] for c in done}, {c: out_hi[c] for c in done}, False)
    return list(out_lo), list(out_lo.values()), [out_hi[c] for c in out_lo], infeasible
