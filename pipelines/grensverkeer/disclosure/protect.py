"""protect: primary and secondary suppression until the attacker pins nothing."""

from __future__ import annotations

import numpy as np
import polars as pl

from .lp import _lp_core, _PointPool, _scipy_available
from .policy import (
    _INF,
    EPS,
    HIDDEN,
    HIDDEN_LABEL,
    MAX_HOPS,
    PERSISTENT_ROUNDS,
    PRIMARY,
    SECONDARY,
    SECONDARY_LABEL,
    SHOWN,
    SUPPRESSED,
    UNPUBLISHED,
    UNPUBLISHED_PREFIX,
    WITHHELD,
    WITHHELD_LABEL,
    ZERO,
    DisclosureError,
    DisclosureSettings,
)
from .propagation import _sweep, _Terms
from .relations import _relation_terms, _rhs, _stated

# ----------------------------------------------------------------------------- protect
# Internal status of a secondary cell that can be worked out whatever else is hidden: printed like a
# shown cell and never chosen for suppression again (protect returns it as 'shown').
REVEALED = "revealed"


# Status codes of the arrays protect works on (one per cell); _STATUS_NAMES[code] is the status.
_SHOWN, _PRIMARY, _SECONDARY, _WITHHELD, _ZERO, _UNPUBLISHED, _REVEALED, _HIDDEN = range(8)
_STATUS_NAMES = (SHOWN, PRIMARY, SECONDARY, WITHHELD, ZERO, UNPUBLISHED, REVEALED, HIDDEN)


def _exact_priors(st: pl.DataFrame, k: int) -> pl.DataFrame:
    """What the outsider knows about each cell before rounding: shown values exactly."""
    v = pl.col("value").cast(pl.Float64)
    return st.select(
        "cell_id",
        pl.when(pl.col("status").is_in([PRIMARY, HIDDEN]))
        .then(1.0)
        .when(pl.col("status") == SECONDARY)
        .then(float(k))
        .when(pl.col("status").is_in([WITHHELD, UNPUBLISHED]))
        .then(0.0)
        .otherwise(v)
        .alias("lo"),
        pl.when(pl.col("status").is_in([PRIMARY, WITHHELD]))
        .then(float(k - 1))
        .when(pl.col("status").is_in([SECONDARY, UNPUBLISHED, HIDDEN]))
        .then(_INF)
        .otherwise(v)
        .alias("hi"),
        pl.col("status").is_in(list(SUPPRESSED)).alias("suppressed"),
    )


def _is_suppressed(status: np.ndarray) -> np.ndarray:
    return (status == _PRIMARY) | (status == _SECONDARY) | (status == _WITHHELD) | (status == _HIDDEN)


def _withholdable(status: np.ndarray, pb: _Problem) -> np.ndarray:
    """Cells that may be printed '.' (0 to k-1) when nothing else frees them: '<k' cells, and `hidden`
    cells below k ('.' is as true of them and frees a knot of counts that are each at least 1)."""
    return (status == _PRIMARY) | ((status == _HIDDEN) & (pb.value < pb.k))


def _ranges(indptr: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key, the positions indptr[key] .. indptr[key + 1] - 1: (which key, position)."""
    counts = indptr[keys + 1] - indptr[keys]
    which = np.repeat(np.arange(len(keys)), counts)
    starts = np.repeat(indptr[keys] - np.cumsum(counts) + counts, counts)
    return which, starts + np.arange(counts.sum())


class _Problem:
    """One protect call on positions: cells in cell_id order (position = rank of the id),
    relations in relation_id order, one entry per term (relation, cell, coefficient).
    Everything protect does per round is numpy on these arrays (a few ms a round where
    polars frames of the same tiny sizes cost ~40 ms)."""

    def __init__(
        self, values: pl.DataFrame, stated: pl.DataFrame | None, terms: pl.DataFrame, rhs: pl.DataFrame, k: int
    ):
        self.k = k
        ix = values.select("cell_id", "value").with_row_index("inp").sort("cell_id")
        self.ids = ix["cell_id"].to_numpy().astype(object)
        self.inp = ix["inp"].cast(pl.Int64).to_numpy()  # input position of each cell
        self.value_int = ix["value"].to_numpy()
        self.value = ix["value"].cast(pl.Float64).to_numpy()
        # a 'rest|' cell is never printed: the outsider knows only that it is a count (0 or more)
        self.unpublished = ix["cell_id"].str.starts_with(UNPUBLISHED_PREFIX).to_numpy()
        self.n = len(self.ids)
        self.st_lo, self.st_hi = np.zeros(self.n), np.full(self.n, _INF)
        self.stated = stated is not None
        if stated is not None:
            s = ix.select("cell_id").join(stated, on="cell_id", how="left", maintain_order="left")
            self.st_lo = s["stated_lo"].fill_null(0.0).to_numpy()
            self.st_hi = s["stated_hi"].fill_null(_INF).to_numpy()
        rel = rhs.sort("relation_id")
        self.rel_ids = rel["relation_id"].to_numpy().astype(object)
        self.rhs = rel["rhs"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        self.n_rel = len(self.rel_ids)
        t = (
            terms.join(rel.select("relation_id").with_row_index("tr"), on="relation_id")
            .join(ix.select("cell_id").with_row_index("tc"), on="cell_id")
            .sort("tr", "tc")
        )
        self.tr = t["tr"].cast(pl.Int64).to_numpy()
        self.tc = t["tc"].cast(pl.Int64).to_numpy()
        self.coef = t["coef"].cast(pl.Float64).to_numpy()
        self.n_terms_of = np.bincount(self.tc, minlength=self.n)  # relations of each cell

    def priors(self, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """_exact_priors narrowed by the statements (_narrow), per position."""
        lo = np.select(
            [
                (status == _PRIMARY) | (status == _HIDDEN),
                status == _SECONDARY,
                (status == _WITHHELD) | (status == _UNPUBLISHED),
            ],
            [1.0, float(self.k), 0.0],
            self.value,
        )
        hi = np.select(
            [
                (status == _PRIMARY) | (status == _WITHHELD),
                (status == _SECONDARY) | (status == _UNPUBLISHED) | (status == _HIDDEN),
            ],
            [float(self.k - 1), _INF],
            self.value,
        )
        if self.stated:
            lo, hi = np.maximum(lo, self.st_lo), np.minimum(hi, self.st_hi)
        return lo, hi


def _components(pinned: np.ndarray, act_r: np.ndarray, act_c: np.ndarray, n: int, n_rel: int) -> np.ndarray:
    """comp per position (-1: not pinned): the connected groups of the pinned cells, two
    cells being linked when they share a relation (act_r, act_c: the terms of the relations
    with a suppressed cell).

    A group is one problem (a chain from a root cause, or a combination of relations), and
    groups that share no relation are fixed in the same round. Labels are only group keys.
    Without scipy every cell is in group 0 (one problem per round, as before).
    """
    comp = np.full(n, -1, dtype=np.int64)
    if len(pinned) == 0:
        return comp
    if not _scipy_available():
        comp[pinned] = 0
        return comp
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    node = np.full(n, -1, dtype=np.int64)
    node[pinned] = np.arange(len(pinned))
    e = node[act_c] >= 0
    p = len(pinned)
    graph = coo_matrix((np.ones(int(e.sum())), (node[act_c[e]], p + act_r[e])), shape=(p + n_rel, p + n_rel))
    _, label = connected_components(graph, directed=False)
    comp[pinned] = np.unique(label[:p], return_inverse=True)[1]  # 0 .. groups - 1
    return comp


def _choose_secondary(
    pb: _Problem,
    status: np.ndarray,
    act: np.ndarray,
    p_lo: np.ndarray,
    p_hi: np.ndarray,
    b_lo: np.ndarray,
    b_hi: np.ndarray,
    pinned: np.ndarray,
    persistent: np.ndarray,
    tm: _Terms,
    derived: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells to suppress next so that the pinned cells get room to move.

    act: mask of the terms whose relation has a suppressed cell (the active relations);
    p_lo, p_hi: the priors of the round; b_lo, b_hi: the proven bounds (propagation);
    pinned: positions (ascending); persistent: mask of the cells pinned for more than
    PERSISTENT_ROUNDS rounds in a row; tm: the active relations with a right-hand side;
    derived: tm.derive of the priors ("first") and of the bounds ("last"), if known (_sweep).
    A relation "pins" a cell when, given the other cells' current proven bounds, it leaves
    that cell one possible value. Works per group of pinned cells (_components: pinned
    cells that share a relation), all groups in the same round: groups with a root cause
    (a relation that pins a cell from the published numbers alone) get one more suppressed
    cell per such relation, the best shown non-zero cell in it; their cells pinned only
    through a chain wait a round. In the other groups every relation that pins a cell given
    the proven bounds gets one, and cells pinned by a combination of relations (found by
    the LP) get ONE cell per group, next to as many of them as possible; if there is none,
    the search widens to relations linked to them through suppressed cells. Ranking:
    resolves most pinning relations at once, then is already in most relations with a
    suppression, then smallest value, then cell_id.

    Returns the cells to suppress (positions, ascending) and the pinned cells (positions,
    ascending, with their group) of groups that are given up on: no shown non-zero cell
    within MAX_HOPS, or persistent with a '<k' cell among them.
    """
    n, n_rel = pb.n, pb.n_rel
    act_r, act_c = pb.tr[act], pb.tc[act]
    supp = _is_suppressed(status)
    comp = _components(pinned, act_r, act_c, n, n_rel)
    pin = np.zeros(n, dtype=bool)
    pin[pinned] = True
    # A group that stays pinned round after round although cells are suppressed around it is
    # held by small counts among themselves (equalities between '<5' cells in tiny
    # municipalities); suppressing ever more distant cells does not free it. Its '<5' cells
    # are withheld instead, like a group with nothing left around it.
    tired = np.zeros(n, dtype=bool)
    if persistent.any():
        n_comp = int(comp.max()) + 1
        has_persistent = np.zeros(n_comp, dtype=bool)
        has_persistent[comp[pin & persistent]] = True
        has_primary = np.zeros(n_comp, dtype=bool)
        has_primary[comp[pin & _withholdable(status, pb)]] = True
        tired = pin & (has_persistent & has_primary)[np.maximum(comp, 0)]
        pin &= ~tired

    # candidates: shown non-zero cells of the active relations (one row per term)
    is_cand_t = (status[act_c] == _SHOWN) & (pb.value[act_c] > 0)
    cand_r, cand_c = act_r[is_cand_t], act_c[is_cand_t]  # ordered by relation
    cand_rel = np.zeros(n_rel, dtype=bool)
    cand_rel[cand_r] = True

    known = derived or {}

    def pinning(lo: np.ndarray, hi: np.ndarray, cells: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
        d_lo, d_hi = known[key] if key in known else tm.derive(lo, hi)
        ci = tm.ci
        hit = (
            cells[ci]
            & (np.maximum(d_lo, p_lo[ci]) >= np.minimum(d_hi, p_hi[ci]) - EPS)
            & cand_rel[tm.r]  # only relations where a cell can be added
        )
        return tm.r[hit], ci[hit]

    # Root causes first: relations that pin a cell on their own, from what is published
    # (one suppressed cell; '<5' cells whose residual leaves one possibility). A cell
    # pinned only through a chain is usually freed once the root is fixed, so in a group
    # with a root, chains wait. Other groups: relations that pin a cell given the proven bounds.
    root_r, root_c = pinning(p_lo, p_hi, pin, "first")
    root_comp = np.zeros(n + 1, dtype=bool)
    root_comp[comp[root_c]] = True
    rest = pin & ~root_comp[comp]
    chain_r, chain_c = pinning(b_lo, b_hi, rest, "last")
    fixed_comp = root_comp.copy()
    fixed_comp[comp[chain_c]] = True
    todo = rest.copy()
    todo[chain_c] = False

    problem_rel = np.zeros(n_rel, dtype=bool)
    problem_rel[root_r] = True
    problem_rel[chain_r] = True
    rel_with_supp = np.zeros(n_rel, dtype=bool)
    rel_with_supp[act_r[supp[act_c]]] = True
    # ranking of each cell (over all its relations): relations it would fix, and relations of
    # the candidate that have no suppressed cell yet: suppressing it there pins it, so each
    # one is a new problem (a chain) for the next round
    n_problem = np.bincount(pb.tc, problem_rel[pb.tr], minlength=n).astype(np.int64)
    n_new = pb.n_terms_of - np.bincount(pb.tc, rel_with_supp[pb.tr], minlength=n).astype(np.int64)
    value = pb.value

    def best_of(group: np.ndarray, cand: np.ndarray, extra: list | None = None) -> np.ndarray:
        """Per group key, the position in cand of its best candidate."""
        keys = [cand, value[cand], n_new[cand], -n_problem[cand], *(extra or []), group]
        order = np.lexsort(keys)
        first = np.ones(len(order), dtype=bool)
        first[1:] = group[order][1:] != group[order][:-1]
        return order[first]

    chosen = np.zeros(n, dtype=bool)
    in_problem = problem_rel[cand_r]
    if in_problem.any():
        pr, pc = cand_r[in_problem], cand_c[in_problem]
        chosen[pc[best_of(pr, pc)]] = True

    # Cells pinned by a combination of relations: ONE cell per group and round (the LP checks
    # again before the next), because one suppression usually frees the whole combination.
    # The cell is the best shown non-zero cell in a relation of the pinned cells (most
    # pinned cells reached, then the ranking above); if there is none, the search widens
    # to relations linked to them through suppressed cells.
    rel_ptr = np.searchsorted(act_r, np.arange(n_rel + 1))  # act terms by relation (act_r is sorted)
    by_cell = np.argsort(act_c, kind="stable")
    cell_ptr = np.searchsorted(act_c[by_cell], np.arange(n + 1))
    cand_ptr = np.searchsorted(cand_r, np.arange(n_rel + 1))
    t_todo = todo[act_c]
    visited = np.unique(act_c[t_todo] * n_rel + act_r[t_todo])  # (origin, relation) pairs
    frontier = visited
    found = np.zeros(n + 1, dtype=bool)
    for _ in range(MAX_HOPS):
        if len(frontier) == 0:
            break
        origin, rel = frontier // n_rel, frontier % n_rel
        which, pos = _ranges(cand_ptr, rel)
        if len(pos):
            o, c = origin[which], cand_c[pos]
            pair = np.unique(comp[o] * (n + 1) * n + c * n + o)  # (group, candidate, origin)
            gc, n_cover = np.unique(pair // n, return_counts=True)
            g, c = gc // (n + 1), gc % (n + 1)
            best = best_of(g, c, [-n_cover])
            chosen[c[best]] = True
            found[g[best]] = True
            frontier = frontier[~found[comp[origin]]]
            origin, rel = frontier // n_rel, frontier % n_rel
        # widen: suppressed cells of the frontier relations, and their relations
        which, pos = _ranges(rel_ptr, rel)
        o, cell = origin[which], act_c[pos]
        keep = supp[cell]
        o, cell = o[keep], cell[keep]
        which, pos = _ranges(cell_ptr, cell)
        nxt = np.unique(o[which] * n_rel + act_r[by_cell[pos]])
        nxt = nxt[~np.isin(nxt, visited)]
        visited = np.union1d(visited, nxt)
        frontier = nxt
    # Groups with no shown non-zero cell within MAX_HOPS: every number around them is hidden
    # already, so no further suppression will help them (they are withheld or refused now
    # rather than after every other group is done, which took hundreds of rounds nationally).
    stuck = tired | (todo & ~(fixed_comp | found)[comp])
    stuck_pos = np.flatnonzero(stuck)
    return np.flatnonzero(chosen), stuck_pos, comp[stuck_pos]


def protect(
    cells: pl.DataFrame,
    relations: pl.DataFrame,
    settings: DisclosureSettings = DisclosureSettings(),
) -> pl.DataFrame:
    """Decide for every published number whether and how it is shown.

    cells: cell_id, value (int >= 0), optionally is_estimate, hidden (bool: never printed, whatever its
    size: status 'hidden', label 'niet getoond', "1 or more"; withheld as '.' when below k and nothing else
    frees it; a DisclosureError if it cannot be kept from being worked out) and hidden_hi (what a reader may assume as the upper bound of a hidden cell: the
    public count of its group); relations: relation_id, total_id, member_id (and optionally known_total
    for relations without a total).
    Returns the cells (all input columns, input order) plus status ('shown' | 'primary'
    | 'secondary' | 'withheld' | 'hidden' | 'zero'; a cell suppressed in a relation with a `hidden` cell
    is 'hidden' too, so no 'x' bounds it), shown (Int64, null when suppressed; rounded when rounding is
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

    pb = _Problem(values, stated, terms, rhs, k)
    status = np.select([pb.unpublished, pb.value == 0, pb.value < k], [_UNPUBLISHED, _ZERO, _PRIMARY], _SHOWN).astype(
        np.int8
    )
    # cells flagged `hidden` (attribute disclosure: a private count as large as the public count of the
    # same group, docs/disclosure.md) are never printed, whatever their size: 'niet getoond' says only that
    # the count is 1 or more (a listed row has a pupil), where '<5' or 'x' would bound it (with the public
    # count as upper bound, 'x' of a group of exactly k would pin it). Never revealed; one that stays
    # pinned is a DisclosureError
    forced = np.zeros(pb.n, dtype=bool)
    if "hidden" in base.columns:
        has_bound = "hidden_hi" in base.columns
        flags = pl.DataFrame({"cell_id": pb.ids.tolist()}, schema={"cell_id": pl.String}).join(
            base.select(
                "cell_id",
                pl.col("hidden").cast(pl.Boolean).fill_null(False),
                (pl.col("hidden_hi") if has_bound else pl.lit(None)).cast(pl.Float64).alias("hidden_hi"),
            ),
            on="cell_id",
            how="left",
            maintain_order="left",
        )
        forced = flags["hidden"].fill_null(False).to_numpy() & (status != _UNPUBLISHED) & (status != _ZERO)
        status[forced] = _HIDDEN
        if has_bound:
            # what a reader may assume of a hidden count: at most the public count of its group (DUO's upper
            # bound; pupils with youth care among the pupils DUO counts). Never below the true count, so the
            # assumption only makes the attacker stronger where it does not hold (the synthetic demo).
            bound = np.where(forced, np.maximum(flags["hidden_hi"].fill_null(_INF).to_numpy(), pb.value), _INF)
            pb.st_hi = np.minimum(pb.st_hi, bound)
            pb.stated = True
    # cells in a relation with a `hidden` cell: one suppressed for secondary protection is printed like it
    near_rel = np.zeros(pb.n_rel, dtype=bool)
    near_rel[pb.tr[forced[pb.tc]]] = True
    near_hidden = np.zeros(pb.n, dtype=bool)
    near_hidden[pb.tc[near_rel[pb.tr]]] = True
    has_rhs = ~np.isnan(pb.rhs[pb.tr])
    use_lp = _scipy_available()
    lp_cache: dict = {}  # blocks the LP has seen, across rounds (most blocks do not change)
    lp_points = _PointPool(keyed=True)  # LP solutions, across rounds (most still fit the next round)
    added_rounds = 0
    pinned_for = np.zeros(pb.n, dtype=np.int64)  # consecutive rounds pinned
    while True:
        p_lo, p_hi = pb.priors(status)
        supp = _is_suppressed(status)
        # Only relations with a suppressed cell can tell the attacker anything: in the others every
        # cell is shown exactly. Restricting to them keeps a round's work near the suppressed cells.
        act_rel = np.bincount(pb.tr, supp[pb.tc], minlength=pb.n_rel) > 0
        act = act_rel[pb.tr]
        in_active = np.zeros(pb.n, dtype=bool)
        in_active[pb.tc[act]] = True
        # active relations with a right-hand side, indexed once a round (propagation, choice of cells)
        sel = act & has_rhs
        tm = _Terms.of_positions(pb.tr[sel], pb.tc[sel], pb.coef[sel], pb.rhs[pb.tr[sel]], pb.n_rel)
        derived: dict = {}  # what the relations derive from the priors and from the bounds
        b_lo, b_hi, empty = _sweep(tm, p_lo.copy(), p_hi.copy(), check=in_active, derived=derived)
        if empty is not None:  # cannot happen: the true values satisfy every relation
            raise RuntimeError(f"interval propagation found no value for {pb.ids[empty & in_active].tolist()[:10]}")
        open_mask = supp & in_active
        pinned = np.flatnonzero(open_mask & (b_hi - b_lo <= EPS))
        if not len(pinned) and use_lp:
            res_ids, res_lo, res_hi, infeasible = _lp_core(
                pb.ids,
                np.flatnonzero(in_active),
                b_lo,
                b_hi,
                pb.rel_ids,
                pb.rhs,
                pb.tr[act],
                pb.tc[act],
                pb.coef[act],
                np.flatnonzero(open_mask),
                cache=lp_cache,
                witness=pb.value,
                points=lp_points,
            )
            if infeasible:  # pragma: no cover - the true values are a solution
                raise RuntimeError(f"LP infeasible on true data: {infeasible[:3]}")
            tight = np.asarray(res_hi, dtype=float) - np.asarray(res_lo, dtype=float) <= EPS
            pinned = np.sort(np.searchsorted(pb.ids, np.asarray(res_ids, dtype=object)[tight]))
        if not len(pinned):
            break
        if added_rounds >= settings.max_rounds:
            raise DisclosureError(
                f"after {settings.max_rounds} rounds of secondary suppression these cells can "
                f"still be worked out: {pb.ids[pinned[:10]].tolist()}; raise max_rounds"
            )
        is_pinned = np.zeros(pb.n, dtype=bool)
        is_pinned[pinned] = True
        pinned_for = np.where(is_pinned, pinned_for + 1, 0)
        persistent = pinned_for > PERSISTENT_ROUNDS
        # A hidden count of k or more that stays pinned round after round protects nothing and is no
        # small count: it is printed (the reader learns nothing new) and never chosen again. Pinned
        # counts of k or more are given time first: suppression around the small ones usually frees them.
        worked_out = persistent & ((status == _SECONDARY) | (status == _HIDDEN)) & ~forced
        if worked_out.any():
            status[worked_out] = _REVEALED
            pinned = pinned[~worked_out[pinned]]
            persistent &= ~worked_out
            if not len(pinned):
                added_rounds += 1
                continue
        new, stuck, stuck_comp = _choose_secondary(
            pb, status, act, p_lo, p_hi, b_lo, b_hi, pinned, persistent, tm, derived
        )
        withhold = np.zeros(pb.n, dtype=bool)
        released = np.zeros(pb.n, dtype=bool)
        if len(stuck):
            # nothing left to hide around them: print the pinned small counts as '.' (0 to k-1)
            s_status = status[stuck]
            s_small = _withholdable(status, pb)[stuck]
            primary_comps = np.unique(stuck_comp[s_small])
            hopeless = ~np.isin(stuck_comp, primary_comps)
            never = stuck[hopeless & forced[stuck] & ~s_small]
            if len(never):
                raise DisclosureError(
                    "these cells must not be printed (attribute disclosure: as large as the public count of "
                    f"the same group) but can be worked out whatever else is suppressed: {pb.ids[never[:10]].tolist()}"
                )
            # counts of k or more that nothing can free are printed (as above); small ones cannot be helped
            small = stuck[hopeless & (s_status != _SECONDARY) & (s_status != _HIDDEN)]
            if len(small):
                raise DisclosureError(
                    "these suppressed cells can be worked out whatever else is suppressed (every number "
                    "they are related to is suppressed already or zero, or a relation without total "
                    f"fixes them): {pb.ids[small[:10]].tolist()}"
                )
            released[stuck[hopeless & ((s_status == _SECONDARY) | (s_status == _HIDDEN)) & ~forced[stuck]]] = True
            withhold[stuck[s_small]] = True
            status[released] = _REVEALED
        if not len(new) and not withhold.any() and not released.any():  # pragma: no cover
            raise RuntimeError(f"secondary suppression made no progress on {pb.ids[pinned[:10]].tolist()}")
        status[new] = _SECONDARY
        # a cell hidden to protect a `hidden` one says nothing of its size either: 'x' (k or more) next to it
        # would bound it from below (a local team's only pair and its total 'waarvan elders': the pair is k
        # or more, and with DUO's count k as the upper bound exactly k)
        status[new[near_hidden[new]]] = _HIDDEN
        status[withhold] = _WITHHELD
        added_rounds += 1

    if stated is not None:
        # a statement next to a hidden count (a need level with its thresholds) that pins it on its
        # own cannot be repaired by hiding other numbers: the statement must not be published
        p_lo, p_hi = pb.priors(status)
        self_pinned = np.flatnonzero(_is_suppressed(status) & (p_hi - p_lo <= EPS))
        if len(self_pinned):
            in_input_order = self_pinned[np.argsort(pb.inp[self_pinned])]
            raise DisclosureError(
                f"what is printed next to these hidden counts pins them on its own (thresholds of a need "
                f"level?): {pb.ids[in_input_order[:10]].tolist()}"
            )

    status[status == _REVEALED] = _SHOWN
    names = np.array(_STATUS_NAMES, dtype=object)[status]
    st = pl.DataFrame(
        {"cell_id": pb.ids.tolist(), "value": pb.value_int, "status": names.tolist()},
        schema={"cell_id": pl.String, "value": pl.Int64, "status": pl.String},
    )
    r = settings.rounding
    v = pl.col("value")
    rounded = v if r is None or r == 1 else ((v + r // 2) // r) * r
    shown = (
        pl.when(pl.col("status") == SHOWN)
        .then(rounded)
        .when(pl.col("status") == ZERO)
        .then(pl.lit(0, dtype=pl.Int64))
        .otherwise(pl.lit(None, dtype=pl.Int64))
        .cast(pl.Int64)
        .alias("shown")
    )
    st = st.with_columns(shown).with_columns(
        pl.when(pl.col("status") == PRIMARY)
        .then(pl.lit(settings.primary_label))
        .when(pl.col("status") == SECONDARY)
        .then(pl.lit(SECONDARY_LABEL))
        .when(pl.col("status") == WITHHELD)
        .then(pl.lit(WITHHELD_LABEL))
        .when(pl.col("status") == HIDDEN)
        .then(pl.lit(HIDDEN_LABEL))
        .otherwise(pl.col("shown").cast(pl.String))
        .alias("label")
    )
    drop = [c for c in ("status", "shown", "label") if c in base.columns]
    return base.drop(drop).join(
        st.select("cell_id", "status", "shown", "label"), on="cell_id", how="left", maintain_order="left"
    )
