"""How accurate is the masked-cell estimator? A reproducible measurement.

Protocol (docs/masking.md explains it in words):

1. Read the real DUO files "Leerlingen po per gemeente naar postcode leerling en
   leeftijd" (one per school municipality) and the real location totals
   ("Historisch overzicht aantal leerlingen per schoolvestiging").
2. Real-data checks that need no synthetic truth:
   - class structure: the real location totals identify, by least squares across
     locations, the mean size of masked cells per class (row with 1, 2-3, 4-6, 7+
     masked cells x row with or without unmasked pupils). Printed next to the class
     means each allocation rule produces on the real data.
   - fallback check: estimate every location as if its total were unknown and
     compare the estimated masked sum with the real remainder (total - unmasked).
3. Synthetic truth: fill every '<5' with a random 1..4 that is consistent with the
   real location total (the extra pupils above 1 per cell are spread over the cells
   by weighted sampling without replacement). Two truth models: 'structured' (cell
   classes get the class means identified in step 2) and 'uniform' (every masked
   cell alike). Then mask 1..4 again as DUO does, take the location totals from the
   truth, run the estimator, add cells up to flows and compare with the truth.
4. Report WAPE = sum |estimate - truth| / sum truth over cross-border municipality
   pairs (home municipality != school municipality), all pairs and school x home
   municipality catchments; mean and max over replicates; and the share of true
   pair values inside [sum of lower bounds, sum of upper bounds].

The main case is real truth (benchmarks/masking_real.py): DUO's unmasked 2017-2018 files,
masked as DUO masks today, with the real location totals.

Run:  .venv/bin/python benchmarks/masking_accuracy.py                 (real 2017-2018 truth)
      .venv/bin/python benchmarks/masking_accuracy.py --synthetic [--seed N] [--replicates K]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "pipelines"))

from grensverkeer import estimate as est  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import masking_real  # noqa: E402

DEFAULT_INPUT = REPO / "data" / "inputs" / "duo"
FILE_PATTERN = "*afgeschermd*.csv"
TOTALS_PATTERN = "*historisch*leerlingen*vestiging*.csv"

# row class of a masked cell: how many masked cells its row has, and whether the row
# also has unmasked pupils (a home area that sends many pupils to this location)
CLASS_SQL = """
    CASE WHEN rm = 1 THEN '1' WHEN rm <= 3 THEN '2-3' WHEN rm <= 6 THEN '4-6' ELSE '7+' END
    || CASE WHEN ru > 0 THEN ' +unmasked' ELSE ' only masked' END
"""


# --------------------------------------------------------------------------- loading
def load_real(con, input_dir: Path, pattern: str, totals_file: Path | None) -> dict:
    files = sorted(str(p) for p in input_dir.glob(pattern))
    if not files:
        raise SystemExit(f"no files matching {pattern!r} in {input_dir}")
    if totals_file is None:
        cands = sorted(input_dir.glob(TOTALS_PATTERN))
        if not cands:
            raise SystemExit(f"no location-totals file matching {TOTALS_PATTERN!r} in {input_dir}")
        totals_file = cands[0]
    con.execute(
        f"""CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv({files!r},
            delim=';', header=true, all_varchar=true, union_by_name=true)"""
    )
    year = con.execute("SELECT min(left(PEILDATUM, 4)) FROM raw").fetchone()[0]
    con.execute(
        """CREATE OR REPLACE TABLE rows AS
        SELECT row_number() OVER (ORDER BY INSTELLINGSCODE, VESTIGINGSCODE, POSTCODE_LEERLING,
                                  GEMEENTENAAM_LEERLING, SOORT_PO) AS row_id,
               INSTELLINGSCODE || VESTIGINGSCODE AS loc,
               upper(trim(GEMEENTENAAM_LEERLING)) AS origin,
               upper(trim(GEMEENTENAAM)) AS destination, *
        FROM raw"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE real_cells AS
        SELECT row_number() OVER (ORDER BY row_id, age) AS cell_id, row_id, loc, origin,
               destination, age,
               CASE WHEN v = '<5' THEN NULL ELSE CAST(v AS INTEGER) END AS value,
               v = '<5' AS is_masked
        FROM rows UNPIVOT (v FOR age IN (COLUMNS('^LEEFTIJD_')))"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE real_totals AS
        SELECT VESTIGINGSCODE AS loc,
               CASE WHEN v = '<5' THEN 1 ELSE TRY_CAST(v AS INTEGER) END AS total_low,
               CASE WHEN v = '<5' THEN 4 ELSE TRY_CAST(v AS INTEGER) END AS total_high
        FROM (SELECT VESTIGINGSCODE, LEERLINGEN_{year} AS v
              FROM read_csv('{totals_file}', delim=';', header=true, all_varchar=true))
        WHERE VESTIGINGSCODE IN (SELECT loc FROM rows) AND v IS NOT NULL"""
    )
    # per masked cell: its row class; per location: m, U, real remainder if usable
    con.execute(
        f"""CREATE OR REPLACE TABLE cell_class AS
        SELECT cell_id, loc, {CLASS_SQL} AS class FROM (
            SELECT cell_id, loc, is_masked,
                   count(*) FILTER (WHERE is_masked) OVER (PARTITION BY row_id) AS rm,
                   coalesce(sum(value) OVER (PARTITION BY row_id), 0) AS ru
            FROM real_cells) WHERE is_masked"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE real_locs AS
        SELECT l.*, t.total_low, t.total_high,
               t.total_low = t.total_high AND t.total_low - l.u BETWEEN l.m AND 4 * l.m AS usable,
               CASE WHEN t.total_low = t.total_high THEN t.total_low - l.u END AS remainder
        FROM (SELECT loc, count(*) FILTER (WHERE is_masked) AS m,
                     coalesce(sum(value), 0) AS u
              FROM real_cells GROUP BY loc) l
        LEFT JOIN real_totals t USING (loc)"""
    )
    return {"files": files, "totals_file": str(totals_file), "year": year}


@contextlib.contextmanager
def overridden(settings: dict):
    """Temporarily set tuning constants of the estimator module (for measurement only)."""
    saved = {k: getattr(est, k) for k in settings}
    try:
        for k, v in settings.items():
            setattr(est, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(est, k, v)


# ------------------------------------------------------------------ real-data checks
def class_means_from_totals(con) -> dict[str, float]:
    """Least squares across usable locations: remainder = sum_k n_lk * mean_k."""
    classes = [r[0] for r in con.execute("SELECT DISTINCT class FROM cell_class ORDER BY 1").fetchall()]
    cols = ", ".join(f"count(*) FILTER (WHERE class = '{k}')::DOUBLE" for k in classes)
    data = con.execute(
        f"""SELECT l.remainder::DOUBLE, {cols}
        FROM real_locs l JOIN cell_class c USING (loc) WHERE l.usable
        GROUP BY l.loc, l.remainder ORDER BY l.loc"""
    ).fetchnumpy()
    arr = np.column_stack([data[k] for k in data])
    y, x = arr[:, 0], arr[:, 1:]
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return {k: float(min(max(c, 1.0), 4.0)) for k, c in zip(classes, coef)}


def real_checks(con) -> dict:
    out = {}
    out["usable"], out["locations"], out["pooled_mean"] = con.execute(
        """SELECT count(*) FILTER (WHERE usable), count(*),
                  sum(remainder) FILTER (WHERE usable)::DOUBLE / sum(m) FILTER (WHERE usable)
           FROM real_locs WHERE m > 0"""
    ).fetchone()
    con.execute(
        """CREATE OR REPLACE VIEW est_cells_real AS
        SELECT cell_id, loc AS school_location_id, row_id, age, value, is_masked FROM real_cells"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE est_totals_real AS
        SELECT loc AS school_location_id, total_low, total_high, true AS is_complete
        FROM real_totals"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE est_totals_none AS
        SELECT * FROM est_totals_real WHERE false"""
    )
    means = class_means_from_totals(con)
    implied = {}
    for alloc in est.ALLOCATIONS:
        est.estimate_masked_cells(con, "est_cells_real", "est_totals_real", "real_est", allocation=alloc)
        implied[alloc] = dict(
            con.execute(
                """SELECT class, avg(students) FROM real_est JOIN cell_class USING (cell_id)
                GROUP BY class"""
            ).fetchall()
        )
    counts = dict(con.execute("SELECT class, count(*) FROM cell_class GROUP BY class").fetchall())
    out["classes"] = [(k, counts[k], means[k], implied["poisson"][k], implied["equal"][k]) for k in means]
    out["class_means"] = means
    # fallback: every location as if its total were unknown
    fb = {}
    for name, alloc, prior, overrides in FALLBACKS:
        with overridden(overrides):
            est.estimate_masked_cells(
                con,
                "est_cells_real",
                "est_totals_none",
                "real_fb",
                allocation=alloc,
                prior=out["pooled_mean"] if prior is None else prior,
            )
        fb[name] = con.execute(
            """SELECT sum(abs(e.estimated_masked_sum - l.remainder)) / sum(l.remainder),
                      sum(e.estimated_masked_sum - l.remainder) / sum(l.remainder)
            FROM real_fb_locations e JOIN real_locs l ON l.loc = e.school_location_id
            WHERE l.usable"""
        ).fetchone()
    fb["zero-fill"] = (1.0, -1.0)
    out["fallback"] = fb
    return out


FALLBACKS = [
    ("poisson (chosen): model expectation", "poisson", None, {}),
    ("poisson, flat prior with poisson shape", "poisson", None, {"_FALLBACK": "prior"}),
    ("equal share, flat prior", "equal", None, {}),
    ("midpoint 2.5", "equal", 2.5, {}),
]


# ------------------------------------------------------------------- synthetic truth
def truth_weights(con, model: str, class_means: dict[str, float], pooled: float, seed: int):
    """Slot weights w and fill probabilities p per row class for the truth model.

    'structured': weights are calibrated (a few rounds on `seed`) so that the realized
    class means of the synthetic truth match the class means identified from the real
    location totals. 'uniform': every masked cell alike.
    """
    if model == "uniform":
        return ({k: 1.0 for k in class_means}, {k: (pooled - 1.0) / 3 for k in class_means})
    w = {k: max(v - 1.0, 0.02) for k, v in class_means.items()}
    p = {k: (v - 1.0) / 3 for k, v in class_means.items()}
    for _ in range(4):
        make_truth(con, seed, w, p)
        got = realized_class_means(con)
        w = {k: max(w[k] * (class_means[k] - 1.0) / max(got[k] - 1.0, 1e-3), 1e-3) for k in w}
    return w, p


def make_truth(con, seed: int, w: dict[str, float], p: dict[str, float]) -> None:
    """truth(cell_id, value): real unmasked values; masked ones drawn in 1..4.

    Where the real total is usable the draw is consistent with it: the location's
    E = remainder - m extra pupils go to E of its 3m 'slots' (3 per masked cell),
    picked by weighted sampling without replacement (key = ln(u) / w, w by row
    class). Elsewhere each slot is filled with probability p (by row class).
    """
    con.execute(
        "CREATE OR REPLACE TABLE class_w AS SELECT * FROM (VALUES "
        + ", ".join(f"('{k}', {w[k]}, {p[k]})" for k in sorted(w))
        + ") t(class, w, p)"
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE truth AS
        WITH slots AS (
            SELECT c.cell_id, c.loc, s.slot, cw.w, cw.p,
                   ((hash({seed}::BIGINT, c.cell_id, s.slot) >> 11)::DOUBLE + 0.5)
                       / 9007199254740992.0 AS u
            FROM cell_class c JOIN class_w cw USING (class)
            CROSS JOIN (VALUES (1), (2), (3)) s(slot)
        ), ranked AS (
            SELECT s.*, l.usable, l.remainder - l.m AS extra,
                   row_number() OVER (PARTITION BY s.loc ORDER BY ln(s.u) / s.w DESC,
                                      s.cell_id, s.slot) AS rnk
            FROM slots s JOIN real_locs l USING (loc)
        ), filled AS (
            SELECT cell_id,
                   1 + count(*) FILTER (WHERE CASE WHEN usable THEN rnk <= extra
                                                   ELSE u < p END) AS value
            FROM ranked GROUP BY cell_id
        )
        SELECT r.cell_id, r.row_id, r.loc, r.origin, r.destination, r.age,
               coalesce(r.value, f.value) AS value
        FROM real_cells r LEFT JOIN filled f USING (cell_id)"""
    )
    con.execute(
        """CREATE OR REPLACE VIEW est_cells AS
        SELECT cell_id, loc AS school_location_id, row_id, age,
               CASE WHEN value BETWEEN 1 AND 4 THEN NULL ELSE value END AS value,
               value BETWEEN 1 AND 4 AS is_masked
        FROM truth"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE est_totals AS
        SELECT loc AS school_location_id, sum(value)::INTEGER AS total_low,
               sum(value)::INTEGER AS total_high, true AS is_complete
        FROM truth GROUP BY loc"""
    )


def realized_class_means(con) -> dict[str, float]:
    return dict(
        con.execute("SELECT class, avg(value) FROM truth JOIN cell_class USING (cell_id) GROUP BY class").fetchall()
    )


# ------------------------------------------------------------------------ scoring
def score(con, estimates: str | None, fill: float | None = None) -> dict[str, float]:
    """WAPE of flows built from `estimates` (or from filling masked cells with `fill`)."""
    if estimates is None:
        e_sql = f"""SELECT cell_id, coalesce(value, {fill})::DOUBLE AS students,
                           NULL::DOUBLE AS students_low, NULL::DOUBLE AS students_high
                    FROM est_cells_cur"""
    else:
        e_sql = f"SELECT cell_id, students, students_low, students_high FROM {estimates}"
    con.execute(
        f"""CREATE OR REPLACE TABLE scored AS
        SELECT t.loc, t.origin, t.destination, t.value AS truth,
               e.students, e.students_low, e.students_high
        FROM truth t JOIN ({e_sql}) e USING (cell_id)"""
    )
    res = con.execute(
        """WITH pairs AS (
            SELECT origin, destination, sum(truth) AS t, sum(students) AS e,
                   sum(students_low) AS lo, sum(students_high) AS hi
            FROM scored GROUP BY ALL
        ), catch AS (
            SELECT loc, origin, sum(truth) AS t, sum(students) AS e FROM scored GROUP BY ALL
        )
        SELECT
            (SELECT sum(abs(e - t)) / sum(t) FROM pairs WHERE origin <> destination),
            (SELECT sum(abs(e - t)) / sum(t) FROM pairs),
            (SELECT sum(abs(e - t)) / sum(t) FROM catch),
            (SELECT avg(CASE WHEN t BETWEEN lo AND hi THEN 1.0 ELSE 0.0 END) FROM pairs
             WHERE lo IS NOT NULL),
            (SELECT count(*) FILTER (WHERE origin <> destination) FROM pairs)"""
    ).fetchone()
    return dict(zip(("cross", "all", "catchment", "coverage", "n_cross"), res))


# (label, allocation, prior, module overrides) ; allocation None = plain fill with `prior`
EST_POISSON = ("estimator: poisson (chosen)", "poisson", None, {})
METHODS = {
    "totals": [
        EST_POISSON,
        ("estimator: equal share", "equal", None, {}),
        ("zero-fill ('<5' = 0)", None, 0.0, {}),
        ("midpoint-fill ('<5' = 2.5)", None, 2.5, {}),
    ],
    "no_totals": [
        EST_POISSON,
        ("poisson, flat-prior fallback", "poisson", None, {"_FALLBACK": "prior"}),
        ("equal share, flat prior", "equal", None, {}),
        ("midpoint-fill ('<5' = 2.5)", None, 2.5, {}),
    ],
    "partial": [
        EST_POISSON,
        ("poisson, flat-prior fallback", "poisson", None, {"_FALLBACK": "prior"}),
        ("equal share, flat prior", "equal", None, {}),
        ("zero-fill ('<5' = 0)", None, 0.0, {}),
        ("midpoint-fill ('<5' = 2.5)", None, 2.5, {}),
    ],
}
EXTENDED = [(f"poisson, {k} outer rounds", "poisson", None, {"_OUTER_ITERATIONS": k}) for k in (1, 2, 5, 8)] + [
    (f"poisson, age prior {k} pupils", "poisson", None, {"_AGE_PRIOR_PUPILS": k}) for k in (0, 5, 20, 100)
]


def run_method(con, cells, totals, method) -> dict:
    label, alloc, prior, overrides = method
    con.execute(f"CREATE OR REPLACE VIEW est_cells_cur AS SELECT * FROM {cells}")
    if alloc is None:
        return score(con, None, prior)
    with overridden(overrides):
        est.estimate_masked_cells(con, cells, totals, "bench_est", allocation=alloc, prior=prior)
    return score(con, "bench_est")


def run_scenarios(con, seeds, w, p, extended, prior_known):
    """One synthetic truth per seed; three situations per truth.

    totals:    every location complete, exact total from the truth;
    no_totals: no location has a total (measures the fallback prior);
    partial:   like the schools outside the region in the HAAGLANDEN-FILTERED extract
               (319 locations, 1063 masked cells, no unmasked ones, median 1 masked
               cell): each location x home municipality's all-masked cross-border rows
               become one location whose total is marked partial (not binding).
    The flat prior of the 'no_totals' and 'partial' runs is the mean masked cell of
    the real data (the estimator's own data-driven prior needs locations with a
    usable total, which these situations do not have).
    """
    res: dict[str, dict[str, list[dict]]] = {k: {} for k in METHODS}
    realized = []
    for seed in seeds:
        make_truth(con, seed, w, p)
        realized.append(realized_class_means(con))
        con.execute("CREATE OR REPLACE TABLE est_totals_empty AS SELECT * FROM est_totals WHERE false")
        # like the schools outside the region in the HAAGLANDEN-FILTERED extract: a few
        # pupils from one other municipality, all masked, total not binding
        con.execute(
            """CREATE OR REPLACE TABLE est_cells_partial AS
            SELECT c.* REPLACE (c.school_location_id || '/' || t.origin AS school_location_id)
            FROM est_cells c JOIN truth t USING (cell_id)
            WHERE t.origin <> t.destination
              AND t.row_id NOT IN (SELECT t2.row_id FROM est_cells c2 JOIN truth t2 USING (cell_id)
                                   WHERE NOT c2.is_masked AND c2.value > 0)"""
        )
        con.execute(
            """CREATE OR REPLACE TABLE est_totals_partial AS
            SELECT DISTINCT c.school_location_id, t.total_low, t.total_high,
                   false AS is_complete
            FROM est_cells_partial c
            JOIN est_totals t ON c.school_location_id LIKE t.school_location_id || '/%'"""
        )
        setups = {
            "totals": ("est_cells", "est_totals"),
            "no_totals": ("est_cells", "est_totals_empty"),
            "partial": ("est_cells_partial", "est_totals_partial"),
        }
        for scen, (cells, totals) in setups.items():
            methods = METHODS[scen] + (EXTENDED if extended else [])
            for m in methods:
                if scen != "totals" and m[1] is not None and m[2] is None:
                    m = (m[0], m[1], prior_known, m[3])
                res[scen].setdefault(m[0], []).append(run_method(con, cells, totals, m))
    return res, realized


# ----------------------------------------------------------------------- printing
def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def print_table(title: str, rows: dict[str, list[dict]]) -> None:
    print(f"\n#### {title}\n")
    print(
        "| method | cross-border pairs WAPE mean (max) | all pairs WAPE mean (max) "
        "| school x origin WAPE mean (max) | true pair in [low, high] |"
    )
    print("|---|---|---|---|---|")
    for name, rs in rows.items():
        cells = []
        for key in ("cross", "all", "catchment"):
            v = [r[key] for r in rs]
            cells.append(f"{pct(float(np.mean(v)))} ({pct(max(v))})")
        cov = [r["coverage"] for r in rs]
        cells.append("n/a (no bounds)" if cov[0] is None else pct(min(cov)))
        print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--input", type=Path, default=DEFAULT_INPUT, help="folder with the real DUO files (default: data/inputs/duo)"
    )
    ap.add_argument(
        "--pattern", default=FILE_PATTERN, help=f"glob of the per-municipality files (default {FILE_PATTERN!r})"
    )
    ap.add_argument(
        "--totals", type=Path, default=None, help=f"location totals file (default: {TOTALS_PATTERN!r} in --input)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--replicates", type=int, default=3)
    ap.add_argument(
        "--extended", action="store_true", help="also measure the number of outer rounds of the poisson rule"
    )
    ap.add_argument(
        "--synthetic",
        action="store_true",
        help="the synthetic-truth study on the 2024 files instead of the real 2017-2018 truth",
    )
    args = ap.parse_args(argv)

    t0 = time.time()
    con = duckdb.connect()
    if not args.synthetic:
        print("## Masked-cell estimator accuracy on real truth (DUO 2017-2018, masked as today)\n")
        print("- command: `.venv/bin/python benchmarks/masking_accuracy.py`")
        masking_real.print_report(masking_real.run(con, load_real, args.input))
        print(f"\n({time.time() - t0:.1f} s)")
        return 0
    meta = load_real(con, args.input, args.pattern, args.totals)
    n_cells, n_masked, n_locs = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_masked), count(DISTINCT loc) FROM real_cells"
    ).fetchone()
    real = real_checks(con)
    seeds = list(range(args.seed, args.seed + args.replicates))

    print(f"## Masked-cell estimator accuracy ({meta['year']} data)\n")
    print(
        f"- command: `.venv/bin/python benchmarks/masking_accuracy.py --synthetic --seed {args.seed} "
        f"--replicates {args.replicates}{' --extended' if args.extended else ''}`"
    )
    print(
        f"- input: {len(meta['files'])} files, {n_locs} school locations, {n_cells} cells, "
        f"{n_masked} masked; totals: `{Path(meta['totals_file']).name}`"
    )
    print(
        f"- locations with a usable exact total: {real['usable']} of {real['locations']} "
        f"with masked cells; mean masked cell there: {real['pooled_mean']:.3f}"
    )

    print("\n#### Real data: mean size of a masked cell by row class\n")
    print(
        "Identified from the real location totals by least squares across locations, "
        "next to what each allocation rule gives on the real data.\n"
    )
    print("| row class of the masked cell | cells | identified from totals | poisson rule | equal share |")
    print("|---|---|---|---|---|")
    for k, n, m, p, e in real["classes"]:
        print(f"| {k} | {n} | {m:.2f} | {p:.2f} | {e:.2f} |")

    print("\n#### Real data: locations treated as if their total were unknown\n")
    print("| fallback | WAPE of location masked sums | bias |")
    print("|---|---|---|")
    for name, (wape, bias) in real["fallback"].items():
        print(f"| {name} | {pct(wape)} | {'+' if bias >= 0 else ''}{pct(bias)} |")

    titles = {
        "totals": "all location totals known",
        "no_totals": "no location totals (fallback prior everywhere)",
        "partial": "partial locations like the schools outside the region: per location and "
        "home municipality only the all-masked cross-border rows, total not binding",
    }
    for model in ("structured", "uniform"):
        w, p = truth_weights(con, model, real["class_means"], real["pooled_mean"], args.seed)
        res, realized = run_scenarios(con, seeds, w, p, args.extended, real["pooled_mean"])
        print(f"\n### Synthetic truth '{model}' ({len(seeds)} replicates, seeds {seeds[0]}..{seeds[-1]})")
        if model == "structured":
            means = {k: float(np.mean([r[k] for r in realized])) for k in realized[0]}
            print("\nrealized class means of the truth: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(means.items())))
        for scen, rows in res.items():
            n_cross = next(iter(rows.values()))[0]["n_cross"]
            print_table(f"{titles[scen]} ({n_cross} cross-border pairs)", rows)
    print(f"\n({time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
