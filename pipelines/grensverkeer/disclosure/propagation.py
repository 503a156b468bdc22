"""Interval propagation: what each relation alone proves about each of its cells, iterated."""

from __future__ import annotations

import numpy as np
import polars as pl

from .policy import _INF, EPS, PROPAGATION_MAX_SWEEPS


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

    @classmethod
    def of_positions(cls, r: np.ndarray, ci: np.ndarray, coef: np.ndarray, rhs: np.ndarray, n_rel: int) -> _Terms:
        """The same from positions (protect): r relation, ci cell (position in the bound
        arrays), coef and rhs per term; every term's relation has a right-hand side."""
        tm = cls.__new__(cls)
        tm.cells, tm.t = None, None
        tm.r, tm.ci, tm.pos, tm.rhs = r, ci, coef > 0, rhs
        tm.n_rel = n_rel if len(r) else 0
        return tm

    def derive(self, lo: np.ndarray, hi: np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """What each relation alone proves about each of its cells (d_lo, d_hi per term), given
        the others' bounds lo, hi (per position in ``cells``). idx: only these terms (every
        term of each of their relations; the same values as for all terms, in the same order).

        For ``sum(coef * x) = rhs``: coef_i * x_i = rhs - sum_{j != i} coef_j * x_j, so x_i
        lies in an interval computed from the other cells' [lo, hi]; counts are integers,
        so the interval is tightened to whole numbers. Infinite bounds are counted rather
        than summed (inf - inf would be NaN). Counts and bounds are whole numbers, so the
        sums are exact whatever their order.
        """
        r, ci, pos, rhs = self.r, self.ci, self.pos, self.rhs
        if idx is not None:
            r, ci, pos, rhs = r[idx], ci[idx], pos[idx], rhs[idx]
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


def _derive(terms: pl.DataFrame, rhs: pl.DataFrame, bounds: pl.DataFrame, tm: _Terms | None = None) -> pl.DataFrame:
    """relation_id, cell_id, d_lo, d_hi: what each relation alone proves about each of its
    cells in ``bounds`` (cell_id, lo, hi), given the others' bounds (_Terms.derive).
    tm: the same terms and rhs already indexed, for the same cells (any order)."""
    if tm is not None and (tm.cells is None or not tm.cells.equals(bounds["cell_id"])):
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
    terms: pl.DataFrame,
    rhs: pl.DataFrame,
    bounds: pl.DataFrame,
    max_sweeps: int = PROPAGATION_MAX_SWEEPS,
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
    lo, hi, empty = _sweep(tm, lo, hi, max_sweeps)
    if empty is not None:
        return b.with_columns(pl.Series("lo", lo), pl.Series("hi", hi)), b["cell_id"].filter(pl.Series(empty)).to_list()
    return b.with_columns(pl.Series("lo", lo), pl.Series("hi", hi)), []


def _sweep(
    tm: _Terms,
    lo: np.ndarray,
    hi: np.ndarray,
    max_sweeps: int = PROPAGATION_MAX_SWEEPS,
    check: np.ndarray | None = None,
    derived: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The sweeps of _propagate on arrays (per position of tm's cells): the tightened lo, hi
    and, when an interval became empty, the mask of those cells (None otherwise). check: the
    cells whose emptiness counts (default all). derived (a dict to fill, optional): "first",
    tm.derive of the bounds given, and, when the sweeps reached a fixed point, "last",
    tm.derive of the bounds returned (protect reuses them instead of deriving again)."""
    if tm.n_rel == 0:
        return lo, hi, None
    # Jacobi sweeps: each derives from the bounds of the sweep before. A relation none of whose
    # cells changed in the last sweep derives what it derived then, which the bounds hold
    # already: only the relations of changed cells are derived again (the same sweeps, cheaper).
    idx = None
    all_lo = all_hi = None  # what every term derives from the current bounds
    for _ in range(max_sweeps):
        d_lo, d_hi = tm.derive(lo, hi, idx)
        ci = tm.ci if idx is None else tm.ci[idx]
        if derived is not None:
            if idx is None:
                derived["first"] = (d_lo, d_hi)
                all_lo, all_hi = d_lo.copy(), d_hi.copy()
            else:
                all_lo[idx], all_hi[idx] = d_lo, d_hi
        new_lo, new_hi = lo.copy(), hi.copy()
        np.maximum.at(new_lo, ci, d_lo)
        np.minimum.at(new_hi, ci, d_hi)
        empty = new_lo > new_hi + EPS
        if check is not None:
            empty &= check
        if empty.any():
            return new_lo, new_hi, empty
        changed = (new_lo != lo) | (new_hi != hi)
        if not changed.any():
            if derived is not None:
                derived["last"] = (all_lo, all_hi)
            break
        lo, hi = new_lo, new_hi
        dirty = np.zeros(tm.n_rel, dtype=bool)
        dirty[tm.r[changed[tm.ci]]] = True
        idx = np.flatnonzero(dirty[tm.r])
    return lo, hi, None
