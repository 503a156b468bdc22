"""Estimate DUO's masked ('<5') count cells, with exact bounds.

DUO publishes pupil counts per school location x home PC4 x home municipality x
sector x age, and prints every count from 1 to 4 as the text ``<5``. A masked cell
therefore holds 1, 2, 3 or 4 pupils. The exact pupil total per school location is
published separately, so for a location whose cells are all in the input the masked
cells together hold exactly ``R = T - U`` pupils (T = location total, U = sum of the
unmasked cells). This module turns that into one estimate per masked cell plus its
tightest lower and upper bound. docs/masking.md explains the method and the
measurement behind the choices; benchmarks/masking_accuracy.py re-runs it.

Everything is set-based: a fixed number of DuckDB statements, and the 'poisson' rounds
as numpy arrays over all cells and locations at once (read once, written back once); no
Python loop over rows, cells or locations.

Allocation rules (``allocation=``):

* ``'poisson'`` (default, chosen by measurement): each masked cell gets an expected
  size from an independence model of its location's table (home-area rows x age
  columns): ``lambda = row total * age-column share``, using the unmasked counts plus
  the current estimates of the masked ones (three rounds). The location's age
  profile is blended with the age profile of the whole input as if it had 50 more
  pupils, so that tiny tables (a school outside the region with one pupil from
  inside) do not get an age profile from that one pupil. The estimate of a cell is
  the mean of a Poisson(theta * lambda) count known to lie in 1..4, with one factor
  ``theta`` per location chosen so that the location's masked cells add up to its
  remainder. A masked cell next to large counts in its row and age column is
  therefore likely 3-4; a lone pupil from far away is close to 1.
* ``'equal'``: every masked cell of a location gets the same share of the remainder.

Where a location has no usable total (missing, inconsistent with its cells, or the
input holds only part of the location's cells) there is nothing to add up to: the
'poisson' rule then uses the model's own expectation (theta = 1); the 'equal' rule
uses a flat prior, the average masked cell of the locations with a usable exact
total in the same input (``PRIOR_DEFAULT`` if there are none). Bounds are [1, 4];
for a partial location the upper bound and the sum also respect the total.
"""

from __future__ import annotations

import re

__all__ = [
    "ALLOCATIONS",
    "MASK_HIGH",
    "MASK_LOW",
    "PRIOR_DEFAULT",
    "estimate_masked_cells",
    "truncated_poisson_mean",
]

MASK_LOW = 1
MASK_HIGH = 4
# Mean pupils per masked cell over the 356 Haaglanden locations with a consistent
# exact 2024 total (sum of remainders / number of masked cells = 32526 / 22172).
# Used only when the input itself has no location with a usable exact total.
PRIOR_DEFAULT = 1.47
ALLOCATIONS = ("poisson", "equal")

# Tuning, measured with benchmarks/masking_accuracy.py --extended (docs/masking.md).
_OUTER_ITERATIONS = 3  # rounds of re-estimating row/age totals (5 or 8: within 0.1 pt WAPE)
_NEWTON_STEPS = 8  # safeguarded Newton steps on log(theta) per round
_LOG_THETA_MAX = 24.0  # bracket for log(theta)
_AGE_PRIOR_PUPILS = 50  # input-wide age profile counts as this many extra pupils
_FALLBACK = "model"  # no usable total: 'model' expectation, or 'prior' (flat sum)
_LAMBDA_CAP = 1e6
_DECIMALS = 9  # estimates are whole nano-pupils: exact sums (docs/masking.md, step 5)
_BITSTRING_MAX = 1 << 28  # id ranges up to this many (a 32 MB bitmap) use a bitmap check


def truncated_poisson_mean(lam: float) -> float:
    """E[X | 1 <= X <= 4] for X ~ Poisson(lam): 1 as lam -> 0, 4 as lam -> inf."""
    num = 1 + lam + lam**2 / 2 + lam**3 / 6
    den = 1 + lam / 2 + lam**2 / 6 + lam**3 / 24
    return num / den


def _g_sql(lam: str) -> str:
    """SQL for truncated_poisson_mean(lam) (`lam` must be a plain column name)."""
    return (
        f"((1 + {lam} + {lam} * {lam} / 2 + {lam} * {lam} * {lam} / 6)"
        f" / (1 + {lam} / 2 + {lam} * {lam} / 6 + {lam} * {lam} * {lam} / 24))"
    )


def _has_column(con, table: str, column: str) -> bool:
    return column in {d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description}


def _weight_key(con, table: str) -> str:
    """Weights are per cell (cell_id) or per row (row_id: every cell of the row alike)."""
    if _has_column(con, table, "cell_id"):
        return "cell_id"
    if _has_column(con, table, "row_id"):
        return "row_id"
    raise ValueError(f"{table} needs a cell_id or a row_id column")


def _scalar(con, query: str):
    row = con.execute(query).fetchone()
    return None if row is None else row[0]


def estimate_masked_cells(
    con,
    cells: str = "est_cells",
    totals: str = "est_totals",
    out: str = "est_cell_estimates",
    *,
    allocation: str = "poisson",
    prior: float | None = None,
    masked_only: bool = False,
    cell_weights: str | None = None,
    location_cells: str | None = None,
    temporary: bool = False,
) -> None:
    """Estimate every cell of `cells`; write `out` and `out || '_locations'` (temporary=True:
    as temporary tables of the connection, so that connections can estimate side by side).

    Inputs
      cells:  cell_id BIGINT (unique), school_location_id VARCHAR, row_id BIGINT
              (home PC4 x home municipality x sector at the location), age VARCHAR,
              value INTEGER (NULL when masked), is_masked BOOLEAN.
      totals: school_location_id VARCHAR, total_low INTEGER, total_high INTEGER
              (equal for an exact total; 1 and 4 when the total is itself '<5'),
              is_complete BOOLEAN (false: `cells` holds only part of the location).
              A location may be absent.

    Output `out` (one row per input cell; with masked_only=True one row per masked
    cell: a caller that keeps the cells can take the unmasked ones as they are)
      cell_id BIGINT, students DOUBLE, students_low INTEGER, students_high INTEGER,
      method VARCHAR: 'exact' (unmasked), 'location_total' (masked, allocated from a
      usable location total), 'prior_partial', 'prior_no_total',
      'prior_inconsistent' (masked, fallback prior).

    Output `out || '_locations'` (one row per location in `cells`)
      school_location_id, status ('no_masked', 'location_total', 'partial',
      'no_total', 'inconsistent'), n_cells, n_masked, unmasked_sum, total_low,
      total_high, is_complete, is_consistent, remainder_low, remainder_high
      (the range the masked cells can add up to, NULL if unconstrained),
      cell_low, cell_high (bounds of each masked cell), estimated_masked_sum.

    allocation: 'poisson' (default, measured best) or 'equal' (see module docstring).
    location_cells: optional table (school_location_id VARCHAR, n_cells BIGINT): how many cells
      each location has when `cells` leaves out its zero cells (unmasked, value 0: they add
      nothing to any sum, so only `n_cells` of the locations output counts them). A location
      may be in it without cells in `cells` (all its cells are zero). Without it, `cells` is
      every cell.
    cell_weights: optional table (cell_id BIGINT or row_id BIGINT, weight DOUBLE[,
      catchment BOOLEAN]): the expected size of a masked cell in the 'poisson' rule is
      multiplied by the weight of its cell (or of its row, when the table has row_id and no
      cell_id; geography.build_cell_weights: distance decay, earlier catchment); cells
      without one weigh 1. Bounds and sums are unaffected: they come from the totals alone. Where
      `catchment` is true the method gets the suffix '+catchment'.
    prior: flat prior per masked cell, used by 'equal' where there is no usable total
      and as the starting value of 'poisson'; default: the mean masked cell of the
      locations with a usable exact total in `cells` (PRIOR_DEFAULT if none).

    Guarantees: unmasked cells are returned unchanged with low = high = value;
    masked cells have 1 <= low <= students <= high <= 4 with exact (tightest)
    bounds; for a 'location_total' location the masked estimates add up to the
    remainder (exact total) or to a value inside [remainder_low, remainder_high].
    The result depends only on the input (deterministic, idempotent).
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}, got {allocation!r}")
    if prior is not None and not (MASK_LOW <= prior <= MASK_HIGH):
        raise ValueError(f"prior must lie in [{MASK_LOW}, {MASK_HIGH}], got {prior!r}")

    tag = re.sub(r"\W", "_", out)
    temps = [f"_est_{tag}_{s}" for s in ("c", "l", "x", "lam", "th", "e")]
    try:
        _run(con, cells, totals, out, allocation, prior, masked_only, cell_weights, location_cells, temporary, *temps)
    finally:
        for t in temps:
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _run(
    con,
    cells,
    totals,
    out,
    allocation,
    prior,
    masked_only,
    cell_weights,
    location_cells,
    temporary,
    c_,
    l_,
    x_,
    lam_,
    th_,
    e_,
) -> None:
    kind = "TEMP TABLE" if temporary else "TABLE"
    lo_mask, hi_mask = MASK_LOW, MASK_HIGH
    # The input is read as this typed view. Only the masked and the non-zero cells are
    # copied into a working table; zeros only count towards n_cells (the pipeline's cells
    # have none: it passes their number per location as `location_cells`).
    cells_typed = f"""(SELECT CAST(cell_id AS BIGINT) AS cell_id,
               CAST(school_location_id AS VARCHAR) AS loc_name,
               CAST(row_id AS BIGINT) AS row_id,
               CAST(age AS VARCHAR) AS age,
               CAST(value AS INTEGER) AS value,
               CAST(is_masked AS BOOLEAN) AS is_masked
        FROM {cells})"""
    # Per location, in one pass over all cells: counts, the unmasked sum, and what the
    # input checks need. loc is an integer key (joins on it are cheaper than on text).
    per_location = f"""SELECT loc_name, count(*) AS n_cells,
                   count(*) FILTER (WHERE is_masked) AS m,
                   coalesce(sum(value) FILTER (WHERE NOT is_masked), 0) AS u,
                   count(*) FILTER (WHERE is_masked IS NULL OR (NOT is_masked AND value IS NULL))
                       AS n_bad,
                   min(cell_id) AS min_id, max(cell_id) AS max_id
            FROM {cells_typed} GROUP BY loc_name"""
    if location_cells:
        # the cells left out of `cells` (zeros) count towards n_cells only; a location of zeros only
        # has no cells in `cells`; fewer cells than `cells` holds is an input error (n_bad)
        per_location = f"""SELECT coalesce(a.loc_name, z.loc_name) AS loc_name,
                   coalesce(z.n_cells, a.n_cells) AS n_cells, coalesce(a.m, 0) AS m,
                   coalesce(a.u, 0) AS u,
                   coalesce(a.n_bad, 0) + CASE WHEN z.n_cells < a.n_cells THEN a.n_cells ELSE 0 END AS n_bad,
                   a.min_id, a.max_id
            FROM ({per_location}) a
            FULL JOIN (SELECT CAST(school_location_id AS VARCHAR) AS loc_name, CAST(n_cells AS BIGINT) AS n_cells
                       FROM {location_cells}) z ON z.loc_name IS NOT DISTINCT FROM a.loc_name"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {c_} AS
        SELECT row_number() OVER (ORDER BY loc_name)::INTEGER AS loc, *
        FROM ({per_location})"""
    )
    bad, n, min_id, max_id = con.execute(
        f"SELECT sum(n_bad), sum(n_cells), min(min_id), max(max_id) FROM {c_}"
    ).fetchone()
    if bad:
        raise ValueError(
            f"{bad} cells have is_masked NULL, or are unmasked with value NULL, or are more cells "
            f"than {location_cells} gives their location"
        )
    if min_id is not None and max_id - min_id < _BITSTRING_MAX:
        # a bitmap of the id range: much cheaper than count(DISTINCT) on millions of ids
        distinct = f"bit_count(bitstring_agg(cell_id - {min_id}, 0, {max_id - min_id}))"
    else:
        distinct = "count(DISTINCT cell_id)"
    dup = _scalar(con, f"SELECT count(*) - {distinct} FROM {cells_typed}")
    if dup:
        raise ValueError(f"cell_id is not unique in {cells} ({dup} duplicates)")
    dup = _scalar(
        con,
        f"SELECT count(school_location_id) - count(DISTINCT school_location_id) FROM {totals}",
    )
    if dup:
        raise ValueError(f"school_location_id is not unique in {totals} ({dup} duplicates)")

    # Per location: masked count m, unmasked sum U, status and the range [s_low, s_high]
    # that the masked cells can add up to given the constraints used.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {l_} AS
        WITH agg AS (
            SELECT loc, loc_name, n_cells, m, u FROM {c_}
        ), j AS (
            SELECT a.*, t.total_low::BIGINT AS total_low, t.total_high::BIGINT AS total_high,
                   t.is_complete, t.school_location_id IS NOT NULL AS has_total
            FROM agg a LEFT JOIN {totals} t ON t.school_location_id = a.loc_name
        ), s AS (
            SELECT *,
                CASE
                    WHEN NOT has_total OR total_low IS NULL OR total_high IS NULL
                         OR is_complete IS NULL THEN NULL
                    WHEN total_low > total_high THEN false
                    WHEN is_complete THEN u + {lo_mask} * m <= total_high
                                          AND total_low <= u + {hi_mask} * m
                    ELSE u + {lo_mask} * m <= total_high
                END AS is_consistent
            FROM j
        ), st AS (
            SELECT *,
                CASE
                    WHEN m = 0 THEN 'no_masked'
                    WHEN is_consistent IS NULL THEN 'no_total'
                    WHEN NOT is_consistent THEN 'inconsistent'
                    WHEN is_complete THEN 'location_total'
                    ELSE 'partial'
                END AS status
            FROM s
        )
        SELECT *,
            CASE status
                WHEN 'location_total' THEN greatest(total_low - u, {lo_mask} * m)
                WHEN 'partial' THEN {lo_mask} * m
            END AS remainder_low,
            CASE status
                WHEN 'location_total' THEN least(total_high - u, {hi_mask} * m)
                WHEN 'partial' THEN least(total_high - u, {hi_mask} * m)
            END AS remainder_high
        FROM st"""
    )
    con.execute(
        f"""ALTER TABLE {l_} ADD COLUMN s_low BIGINT;
        ALTER TABLE {l_} ADD COLUMN s_high BIGINT;
        UPDATE {l_} SET s_low = coalesce(remainder_low, {lo_mask} * m),
                        s_high = coalesce(remainder_high, {hi_mask} * m);"""
    )

    # Prior: average masked cell over locations with a usable exact total.
    if prior is None:
        p = _scalar(
            con,
            f"""SELECT sum(remainder_low)::DOUBLE / sum(m) FROM {l_}
            WHERE status = 'location_total' AND total_low = total_high""",
        )
        prior = PRIOR_DEFAULT if p is None else min(max(p, lo_mask), hi_mask)
    prior = float(prior)

    # Cell weights (poisson only) are joined once, here: each cell of the working table
    # carries its weight `w` (and `catch`, whether an earlier year's catchment went into it,
    # when any did) through the rounds, instead of a join in every round.
    weighted = bool(cell_weights) and allocation == "poisson"
    use_catchment = (
        weighted
        and _has_column(con, cell_weights, "catchment")
        and bool(_scalar(con, f"SELECT bool_or(catchment) FROM {cell_weights}"))
    )
    weight_cols = weight_join = ""
    if weighted:
        key = _weight_key(con, cell_weights)
        weight_cols = ", coalesce(cw.weight, 1) AS w" + (
            ", coalesce(cw.catchment, false) AS catch" if use_catchment else ""
        )
        weight_join = f" LEFT JOIN {cell_weights} cw ON cw.{key} = c.{key}"
    # Working table: masked cells and non-zero unmasked cells (zeros add nothing).
    # Starting values: the location's average masked cell where the total is usable,
    # the prior elsewhere.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {x_} AS
        SELECT c.cell_id, l.loc, c.row_id, c.age, c.is_masked,
            CASE WHEN NOT c.is_masked THEN c.value::DOUBLE
                 WHEN l.status = 'location_total' THEN (l.s_low + l.s_high) / 2.0 / l.m
                 ELSE least(greatest({prior}, {lo_mask}), {hi_mask}) END AS x{weight_cols}
        FROM {cells_typed} c JOIN {l_} l ON l.loc_name IS NOT DISTINCT FROM c.loc_name{weight_join}
        WHERE c.is_masked OR c.value <> 0"""
    )

    if allocation == "equal":
        # every masked cell of a location gets the same share of its target sum
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {th_} AS
            SELECT loc, least(greatest({prior} * m, s_low), s_high)::DOUBLE AS target
            FROM {l_} WHERE m > 0"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {x_} AS
            SELECT x.cell_id, x.loc, x.row_id, x.age, x.is_masked,
                   CASE WHEN x.is_masked THEN t.target / l.m ELSE x.x END AS x
            FROM {x_} x JOIN {l_} l USING (loc) LEFT JOIN {th_} t USING (loc)"""
        )
    else:
        _poisson_allocation(con, l_, x_, lam_, th_, prior, weighted, use_catchment)

    # Exact sums: move the small residual of each location onto its cells in
    # proportion to their room inside [1, 4] and clip to the exact bounds. Then count
    # in whole nano-pupils (1e-9): round each cell, and give the integer rounding
    # residual (a few nano-pupils) to the cells with most room, one each. Integer
    # arithmetic makes the sums exact; on millions of cells a handful of estimates can
    # still round the other way between runs (threads add the doubles above in varying
    # order).
    scale = 10**_DECIMALS
    # an estimate that used an earlier unmasked year's catchment says so in its method
    catch = ", x.catch" if use_catchment else ""
    catch_r = ", r.catch" if use_catchment else ""
    catchment_suffix = " || CASE WHEN r.catch THEN '+catchment' ELSE '' END" if use_catchment else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {e_} AS
        WITH m AS (
            SELECT x.cell_id, x.loc, x.x, t.target{catch},
                   sum(x.x) OVER (PARTITION BY x.loc) AS s
            FROM {x_} x JOIN {th_} t USING (loc) WHERE x.is_masked
        ), r AS (
            SELECT *, target - s AS resid,
                   CASE WHEN target >= s THEN {hi_mask} - x ELSE x - {lo_mask} END AS room
            FROM m
        ), b AS (
            SELECT loc,
                   greatest({lo_mask}, s_low - {hi_mask} * (m - 1))::INTEGER AS cell_low,
                   least({hi_mask}, s_high - {lo_mask} * (m - 1))::INTEGER AS cell_high,
                   status
            FROM {l_} WHERE m > 0
        ), nano AS (
            SELECT r.cell_id, r.loc, b.cell_low, b.cell_high{catch_r},
                   round(least(greatest(
                       r.x + coalesce(r.resid * r.room
                                      / nullif(sum(r.room) OVER (PARTITION BY r.loc), 0), 0),
                       b.cell_low), b.cell_high) * {scale})::BIGINT AS n,
                   round(r.target * {scale})::BIGINT AS tn
            FROM r JOIN b USING (loc)
        ), res AS (
            SELECT *, tn - sum(n) OVER (PARTITION BY loc) AS rn FROM nano
        ), ranked AS (
            SELECT *, row_number() OVER (
                       PARTITION BY loc
                       ORDER BY CASE WHEN rn > 0 THEN cell_high::BIGINT * {scale} - n
                                     ELSE n - cell_low::BIGINT * {scale} END DESC, cell_id
                   ) AS k
            FROM res
        )
        SELECT r.cell_id, r.loc,
               (r.n + CASE WHEN r.k <= abs(r.rn) THEN sign(r.rn) ELSE 0 END)::BIGINT AS nano,
               r.cell_low, r.cell_high,
               CASE b.status WHEN 'location_total' THEN 'location_total'
                             WHEN 'partial' THEN 'prior_partial'
                             WHEN 'no_total' THEN 'prior_no_total'
                             ELSE 'prior_inconsistent' END{catchment_suffix} AS method
        FROM ranked r JOIN b USING (loc)"""
    )
    if masked_only:
        con.execute(
            f"""CREATE OR REPLACE {kind} {out} AS
            SELECT cell_id, nano::DOUBLE / {scale} AS students, cell_low AS students_low,
                   cell_high AS students_high, method
            FROM {e_}"""
        )
    else:
        # every input cell, in no particular order: unmasked cells as they are, masked
        # cells with their estimate
        con.execute(
            f"""CREATE OR REPLACE {kind} {out} AS
            SELECT c.cell_id,
                CASE WHEN NOT c.is_masked THEN c.value::DOUBLE ELSE e.nano::DOUBLE / {scale} END AS students,
                CASE WHEN c.is_masked THEN e.cell_low ELSE c.value END AS students_low,
                CASE WHEN c.is_masked THEN e.cell_high ELSE c.value END AS students_high,
                CASE WHEN NOT c.is_masked THEN 'exact' ELSE e.method END AS method
            FROM {cells_typed} c LEFT JOIN {e_} e USING (cell_id)"""
        )
    con.execute(
        f"""CREATE OR REPLACE {kind} {out}_locations AS
        SELECT l.loc_name AS school_location_id, l.status, l.n_cells::BIGINT AS n_cells,
               l.m::BIGINT AS n_masked, l.u::BIGINT AS unmasked_sum,
               l.total_low, l.total_high, l.is_complete, l.is_consistent,
               l.remainder_low, l.remainder_high,
               CASE WHEN l.m > 0 THEN greatest({lo_mask}, l.s_low - {hi_mask} * (l.m - 1))
               END::INTEGER AS cell_low,
               CASE WHEN l.m > 0 THEN least({hi_mask}, l.s_high - {lo_mask} * (l.m - 1))
               END::INTEGER AS cell_high,
               coalesce(e.masked_sum, 0)::DOUBLE AS estimated_masked_sum
        FROM {l_} l LEFT JOIN (
            -- summed in whole nano-pupils: exact, so the same in every run
            SELECT loc, sum(nano)::DOUBLE / {scale} AS masked_sum FROM {e_} GROUP BY loc
        ) e USING (loc)
        ORDER BY l.loc_name"""
    )


def _poisson_allocation(con, l_, x_, lam_, th_, prior: float, weighted: bool = False, catchment: bool = False) -> None:
    """Replace the masked x in `x_` by truncated-Poisson estimates tilted per location; write `th_`
    (loc, target, free, a, b, t: each location's target sum and its tilt t = log(theta)).

    A fixed number of outer rounds (re-fit the independence model) and of safeguarded Newton
    steps on log(theta), each over every cell and location at once: the working table is read
    into arrays once, the rounds add up per group with numpy (`bincount`), and the result is
    written back once. These are the same sums and formulas as one SQL statement per step
    (the estimator of sessions 1-12): ~30 statements over a year's cells cost more than the
    arithmetic. Sums of doubles in another order, so an estimate can differ in its last bits.
    weighted: `x_` has each cell's weight `w` (and `catch` with catchment), kept every round.
    """
    import numpy as np
    import polars as pl

    # integer codes for the groups: locations are 1..L already; rows and ages get codes here
    cols = "x.cell_id, x.loc, x.row_id, a.age_no, x.is_masked, x.x" + (", x.w" if weighted else "")
    cols += ", x.catch" if catchment else ""
    d = con.execute(
        f"""WITH ages AS (SELECT age, (row_number() OVER (ORDER BY age) - 1)::INTEGER AS age_no
                         FROM (SELECT DISTINCT age FROM {x_}))
        SELECT {cols} FROM {x_} x JOIN ages a ON a.age IS NOT DISTINCT FROM x.age"""
    ).fetchnumpy()
    locs = con.execute(f"SELECT loc, s_low, s_high, status, m FROM {l_} ORDER BY loc").fetchnumpy()
    cell_id = np.asarray(d["cell_id"], dtype=np.int64)
    loc = np.asarray(d["loc"], dtype=np.int64)
    masked = np.asarray(d["is_masked"], dtype=bool)
    x = np.asarray(d["x"], dtype=np.float64).copy()
    _, row = np.unique(np.asarray(d["row_id"], dtype=np.int64), return_inverse=True)
    age = np.asarray(d["age_no"], dtype=np.int64)
    n_loc = int(locs["loc"].max()) + 1 if len(locs["loc"]) else 1
    n_age = int(age.max()) + 1 if len(age) else 1
    loc_age = loc * n_age + age
    s_low = np.zeros(n_loc)
    s_high = np.zeros(n_loc)
    s_low[locs["loc"]] = np.asarray(locs["s_low"], dtype=np.float64)
    s_high[locs["loc"]] = np.asarray(locs["s_high"], dtype=np.float64)
    is_total = np.zeros(n_loc, dtype=bool)
    is_total[locs["loc"]] = np.asarray(locs["status"], dtype=object) == "location_total"
    m_loc = np.zeros(n_loc)
    m_loc[locs["loc"]] = np.asarray(locs["m"], dtype=np.float64)
    w = np.asarray(d["w"], dtype=np.float64) if weighted else None

    mloc = loc[masked]
    if not len(mloc):  # nothing to estimate: no location has a target
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {th_} (loc INTEGER, target DOUBLE, free DOUBLE, a DOUBLE, b DOUBLE,
            t DOUBLE)"""
        )
        return
    has_masked = np.bincount(mloc, minlength=n_loc) > 0
    k = float(_AGE_PRIOR_PUPILS)

    def g(lam):  # truncated_poisson_mean, as _g_sql writes it
        return (1 + lam + lam * lam / 2 + lam * lam * lam / 6) / (1 + lam / 2 + lam * lam / 6 + lam * lam * lam / 24)

    for _ in range(_OUTER_ITERATIONS):
        # independence model of the location table: row total x column total / total
        r = np.bincount(row, weights=x)
        c = np.bincount(loc_age, weights=x, minlength=n_loc * n_age)
        n = np.bincount(loc, weights=x, minlength=n_loc)
        share = np.bincount(age, weights=x, minlength=n_age) / x.sum()  # x > 0 where there are masked cells
        lam = r[row[masked]] * (c[loc_age[masked]] + k * share[age[masked]]) / (n[mloc] + k)
        if weighted:
            lam = lam * w[masked]
        lam = np.minimum(np.maximum(lam, 1e-12), _LAMBDA_CAP)
        # target per location: the untilted sum, clipped into [s_low, s_high]
        free = np.bincount(mloc, weights=g(lam), minlength=n_loc)
        wanted = free if _FALLBACK == "model" else np.where(is_total, free, prior * m_loc)
        target = np.minimum(np.maximum(wanted, s_low), s_high)
        # safeguarded Newton on t = log(theta): d/dt sum(mean) = sum(variance); only where the
        # target is not the untilted sum (elsewhere theta stays 1)
        tilt = has_masked & (target != free)
        a = np.full(n_loc, -_LOG_THETA_MAX)
        b = np.full(n_loc, _LOG_THETA_MAX)
        t = np.zeros(n_loc)
        sel = tilt[mloc]
        tl, zl = mloc[sel], lam[sel]
        for _ in range(_NEWTON_STEPS):
            mu = np.exp(t)[tl] * zl  # exp per location, not per cell: the same values
            mu2 = mu * mu
            mu3 = mu2 * mu  # = mu * mu * mu as SQL evaluates it (left to right)
            d0 = 1 + mu / 2 + mu2 / 6 + mu3 / 24
            mean = (1 + mu + mu2 / 2 + mu3 / 6) / d0
            d2 = 1 + 2 * mu + 1.5 * mu * mu + mu3 * 2 / 3
            s = np.bincount(tl, weights=mean, minlength=n_loc)
            v = np.bincount(tl, weights=np.maximum(d2 / d0 - mean * mean, 0), minlength=n_loc)
            below = s < target
            a = np.where(tilt & below, t, a)
            b = np.where(tilt & ~below, t, b)
            with np.errstate(divide="ignore", invalid="ignore"):
                tn = t + (target - s) / np.where(v == 0, np.nan, v)  # NaN: no Newton step (bisect)
            step = np.where(s == target, t, np.where((tn > a) & (tn < b), tn, (a + b) / 2))
            t = np.where(tilt, step, t)
        # locations whose target is the untilted sum keep theta = 1
        theta = np.where(tilt, np.exp(t), 1.0)
        x[masked] = g(theta[mloc] * lam)

    frame = {"cell_id": cell_id, "loc": loc.astype(np.int32), "is_masked": masked, "x": x}
    if catchment:
        frame["catch"] = np.asarray(d["catch"], dtype=bool)
    keep = np.flatnonzero(has_masked)
    thetas = pl.DataFrame(
        {
            "loc": keep.astype(np.int32),
            "target": target[keep],
            "free": free[keep],
            "a": a[keep],
            "b": b[keep],
            "t": t[keep],
        }
    )
    for table, df in ((x_, pl.DataFrame(frame)), (th_, thetas)):
        con.register(f"{table}_frame", df)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_frame")
        finally:
            con.unregister(f"{table}_frame")
