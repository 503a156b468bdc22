"""protect: primary and secondary suppression until the attacker pins nothing."""

from __future__ import annotations

import numpy as np
import polars as pl

from .lp import _lp_bounds, _PointPool, _scipy_available
from .policy import (
    _INF,
    EPS,
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
from .propagation import _derive, _propagate, _Terms
from .relations import _narrow, _relation_terms, _rhs, _stated

# ----------------------------------------------------------------------------- protect
# Internal status of a secondary cell that can be worked out whatever else is hidden: printed like a
# shown cell and never chosen for suppression again (protect returns it as 'shown').
REVEALED = "revealed"


def _release(st: pl.DataFrame, cells: pl.Series) -> pl.DataFrame:
    """Mark secondary cells as printed after all (REVEALED)."""
    return st.with_columns(
        pl.when(pl.col("cell_id").is_in(cells.implode()))
        .then(pl.lit(REVEALED))
        .otherwise(pl.col("status"))
        .alias("status")
    )


def _exact_priors(st: pl.DataFrame, k: int) -> pl.DataFrame:
    """What the outsider knows about each cell before rounding: shown values exactly."""
    v = pl.col("value").cast(pl.Float64)
    return st.select(
        "cell_id",
        pl.when(pl.col("status") == PRIMARY)
        .then(1.0)
        .when(pl.col("status") == SECONDARY)
        .then(float(k))
        .when(pl.col("status").is_in([WITHHELD, UNPUBLISHED]))
        .then(0.0)
        .otherwise(v)
        .alias("lo"),
        pl.when(pl.col("status").is_in([PRIMARY, WITHHELD]))
        .then(float(k - 1))
        .when(pl.col("status").is_in([SECONDARY, UNPUBLISHED]))
        .then(_INF)
        .otherwise(v)
        .alias("hi"),
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
            pin.join(persistent, on="cell_id", how="semi")
            .select("comp")
            .unique()
            .join(pin.join(st.filter(pl.col("status") == PRIMARY), on="cell_id", how="semi"), on="comp", how="semi")
            .select("comp")
            .unique()
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
        # a 'rest|' cell is never printed: the outsider knows only that it is a count (0 or more)
        pl.when(pl.col("cell_id").str.starts_with(UNPUBLISHED_PREFIX))
        .then(pl.lit(UNPUBLISHED))
        .when(pl.col("value") == 0)
        .then(pl.lit(ZERO))
        .when(pl.col("value") < k)
        .then(pl.lit(PRIMARY))
        .otherwise(pl.lit(SHOWN))
        .alias("status")
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
            on="relation_id",
            how="semi",
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
            lp, infeasible = _lp_bounds(active, rhs, bounds, open_, cache=lp_cache, witness=values, points=lp_points)
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
        # A hidden count of k or more that stays pinned round after round protects nothing and is no
        # small count: it is printed (the reader learns nothing new) and never chosen again. Pinned
        # counts of k or more are given time first: suppression around the small ones usually frees them.
        worked_out = st.join(persistent, on="cell_id", how="semi").filter(pl.col("status") == SECONDARY)["cell_id"]
        if worked_out.len():
            st = _release(st, worked_out)
            pinned = sorted(set(pinned) - set(worked_out.to_list()))
            persistent = persistent.join(worked_out.to_frame(), on="cell_id", how="anti")
            if not pinned:
                added_rounds += 1
                continue
        new, stuck = _choose_secondary(terms, active, rhs, st, priors, bounds, pinned, persistent, tm)
        withhold = released = pl.Series("cell_id", [], dtype=pl.String)
        if stuck.height:
            # nothing left to hide around them: print the pinned small counts as '.' (0 to k-1)
            stuck = stuck.join(st.select("cell_id", "status"), on="cell_id")
            hopeless = stuck.join(
                stuck.filter(pl.col("status") == PRIMARY).select("comp").unique(), on="comp", how="anti"
            )
            # counts of k or more that nothing can free are printed (as above); small ones cannot be helped
            released = hopeless.filter(pl.col("status") == SECONDARY)["cell_id"]
            small = hopeless.filter(pl.col("status") != SECONDARY)
            if small.height:
                raise DisclosureError(
                    "these suppressed cells can be worked out whatever else is suppressed (every number "
                    "they are related to is suppressed already or zero, or a relation without total "
                    f"fixes them): {small['cell_id'].sort().to_list()[:10]}"
                )
            st = _release(st, released)
            withhold = stuck.filter(pl.col("status") == PRIMARY)["cell_id"]
        if not new and withhold.len() == 0 and released.len() == 0:  # pragma: no cover
            raise RuntimeError(f"secondary suppression made no progress on {pinned[:10]}")
        st = st.with_columns(
            pl.when(pl.col("cell_id").is_in(withhold.implode()))
            .then(pl.lit(WITHHELD))
            .when(pl.col("cell_id").is_in(new))
            .then(pl.lit(SECONDARY))
            .otherwise(pl.col("status"))
            .alias("status")
        )
        added_rounds += 1

    if stated is not None:
        # a statement next to a hidden count (a need level with its thresholds) that pins it on its
        # own cannot be repaired by hiding other numbers: the statement must not be published
        self_pinned = (
            _narrow(_exact_priors(st, k), stated)
            .filter(pl.col("suppressed") & (pl.col("hi") - pl.col("lo") <= EPS))["cell_id"]
            .to_list()
        )
        if self_pinned:
            raise DisclosureError(
                f"what is printed next to these hidden counts pins them on its own (thresholds of a need "
                f"level?): {self_pinned[:10]}"
            )

    st = st.with_columns(pl.col("status").replace(REVEALED, SHOWN))
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
        .otherwise(pl.col("shown").cast(pl.String))
        .alias("label")
    )
    drop = [c for c in ("status", "shown", "label") if c in base.columns]
    return base.drop(drop).join(
        st.select("cell_id", "status", "shown", "label"), on="cell_id", how="left", maintain_order="left"
    )
