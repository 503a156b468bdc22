"""Masked-cell accuracy on real truth: DUO's unmasked 2017-2018 files, masked as DUO masks today.

DUO published the 2017-2018 edition of "Leerlingen po per gemeente, postcode leerling,
leeftijd" without masking. This measurement takes the bundled real files of the nine
Haaglanden municipalities (data/inputs/duo), rewrites them the way DUO publishes today
(counts 1-4 -> '<5', the new header INSTELLINGSCODE/VESTIGINGSCODE, no TOTAAL, quoted,
UTF-8 with BOM), takes the real location totals (LEERLINGEN_2017), estimates the masked
cells and compares the flows with the real, unmasked counts.

Cases (docs/masking.md shows the table this prints):
- nine: the nine per-municipality files: every location complete, exact totals.
- nine + outside: also the region's pupils schooled outside the region (the
  HAAGLANDEN-FILTERED extract), at locations whose other pupils are not in the input
  (partial: the total only caps them), as the pipeline sees them.
- leave-one-municipality-out: the decay constant chosen on the flows into eight school
  municipalities, measured on the ninth; per municipality and over all nine.
No 2017 truth is used as a prior while measuring on 2017; the catchment prior (an earlier
unmasked year) is checked on 2024 with the 2017-2018 catchment, where no truth exists: by
how well each model predicts the locations' masked sums when their totals are hidden.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from grensverkeer import estimate as est
from grensverkeer import geography, warehouse
from grensverkeer.settings import BUNDLED_MUNICIPALITY_FILES

REGION_CODES = {"518", "503", "1916", "1842", "1926", "603", "629", "1783", "637"}
EXTRACT_2017 = "HAAGLANDEN-FILTERED_03.-*2017-2018*.csv"
TOTALS = "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv"
NEW_NAMES = {"BRIN_NUMMER": "INSTELLINGSCODE", "VESTIGINGSNUMMER": "VESTIGINGSCODE"}
CROSS_WEIGHT = 0.7  # the one-line rule of issue 15: cross-border masked cells weigh 0.7
DECAY_GRID = [0.0, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08]


# ----------------------------------------------------------------------- masking
def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # the 2017-2018 Leidschendam-Voorburg file is Windows-1252
        return raw.decode("cp1252")


def rewrite_as_duo_today(src: Path, dst: Path, *, mask: bool, keep_row=lambda row: True) -> int:
    """Write `src` (2017 edition) in today's form; mask=False keeps the counts (the truth)."""
    rows = list(csv.reader(io.StringIO(_decode(src.read_bytes())), delimiter=";"))
    head = rows[0]
    keep = [i for i, h in enumerate(head) if h != "TOTAAL"]
    ages = {i for i in keep if head[i].startswith("LEEFTIJD_")}
    gem = head.index("GEMEENTENUMMER")
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    out.writerow([NEW_NAMES.get(head[i], head[i]) for i in keep])
    n = 0
    for row in rows[1:]:
        if not keep_row(dict(zip(head, row))):
            continue
        row = [v.zfill(4) if i == gem else v for i, v in enumerate(row)]
        out.writerow(["<5" if mask and i in ages and row[i] in ("1", "2", "3", "4") else row[i] for i in keep])
        n += 1
    dst.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return n


def write_cases(duo: Path, folder: Path) -> dict[str, Path]:
    """masked/ and truth/ folders with the nine files, outside.csv with the extract's
    rows of schools outside the region."""
    extract = next(duo.glob(EXTRACT_2017))
    dirs = {}
    for kind in ("masked", "truth"):
        d = folder / kind
        d.mkdir(parents=True)
        for name in BUNDLED_MUNICIPALITY_FILES["2017-2018"]:
            rewrite_as_duo_today(duo / name, d / f"{Path(name).stem} afgeschermd.csv", mask=kind == "masked")
        rewrite_as_duo_today(
            extract,
            d / "outside.csv",
            mask=kind == "masked",
            keep_row=lambda r: r["GEMEENTENUMMER"] not in REGION_CODES,
        )
        dirs[kind] = d
    return dirs


# ----------------------------------------------------------------------- loading
def load(con, load_real, folder: Path, totals: Path, prefix: str, outside: bool) -> None:
    """Cells, rows, totals of one folder as {prefix}_cells / _rows / _totals."""
    load_real(con, folder, "*.csv" if outside else "*afgeschermd*.csv", totals)
    con.execute(f"CREATE OR REPLACE TABLE {prefix}_cells AS SELECT * FROM real_cells")
    con.execute(f"""CREATE OR REPLACE TABLE {prefix}_rows AS
        SELECT row_id, loc, origin, destination, POSTCODE_LEERLING AS home_pc4, upper(SOORT_PO) AS sector,
               lpad(GEMEENTENUMMER, 4, '0') IN ({", ".join(f"'{c.zfill(4)}'" for c in REGION_CODES)}) AS in_region
        FROM rows""")
    con.execute(f"CREATE OR REPLACE TABLE {prefix}_totals AS SELECT * FROM real_totals")


def reference(con) -> None:
    for model in ("reference/ref_school_locations", "reference/ref_pc4_centroids"):
        warehouse.run_model(con, model)


def estimator_inputs(con, prefix: str) -> None:
    """est views of a loaded case: cells, totals (complete = school in the region), masked
    cells with home PC4 and sector for the geography."""
    con.execute(f"""CREATE OR REPLACE VIEW {prefix}_est_cells AS
        SELECT cell_id, loc AS school_location_id, row_id, age, value, is_masked FROM {prefix}_cells""")
    con.execute(f"""CREATE OR REPLACE TABLE {prefix}_est_totals AS
        SELECT t.loc AS school_location_id, t.total_low, t.total_high,
               t.loc IN (SELECT loc FROM {prefix}_rows WHERE in_region) AS is_complete
        FROM {prefix}_totals t""")
    con.execute(f"""CREATE OR REPLACE TABLE {prefix}_masked AS
        SELECT c.cell_id, c.loc AS school_location_id, r.home_pc4, r.sector
        FROM {prefix}_cells c JOIN {prefix}_rows r USING (row_id) WHERE c.is_masked""")


# ----------------------------------------------------------------------- methods
def run_estimator(con, prefix: str, out: str, *, allocation="poisson", decay=None, earlier=None) -> str:
    weights = None
    if decay is not None:
        weights = f"{out}_w"
        geography.build_cell_weights(con, f"{prefix}_masked", weights, earlier=earlier, decay_per_km=decay)
    est.estimate_masked_cells(
        con, f"{prefix}_est_cells", f"{prefix}_est_totals", out, allocation=allocation, cell_weights=weights
    )
    return f"SELECT cell_id, students, students_low AS lo, students_high AS hi FROM {out}"


def fill(prefix: str, value: float) -> str:
    return f"""SELECT cell_id, coalesce(value, {value})::DOUBLE AS students, NULL::DOUBLE AS lo,
               NULL::DOUBLE AS hi FROM {prefix}_cells"""


def weighted_split(con, prefix: str, cross_weight: float) -> str:
    """Each complete location's remainder split over its masked cells in proportion to a
    weight (cross-border cells `cross_weight`, others 1); cells of locations without a
    usable total get the pooled mean masked cell (the 'equal' rule's flat prior)."""
    pooled = con.execute(f"""SELECT sum(t.total_low - l.u)::DOUBLE / sum(l.m) FROM (
            SELECT school_location_id, count(*) FILTER (WHERE is_masked) m, coalesce(sum(value), 0) u
            FROM {prefix}_est_cells GROUP BY 1) l JOIN {prefix}_est_totals t USING (school_location_id)
        WHERE t.is_complete AND t.total_low = t.total_high AND l.m > 0""").fetchone()[0]
    return f"""WITH c AS (
            SELECT c.cell_id, c.loc, c.is_masked, c.value,
                   CASE WHEN r.origin <> r.destination THEN {cross_weight} ELSE 1.0 END AS w
            FROM {prefix}_cells c JOIN {prefix}_rows r USING (row_id)
        ), l AS (
            SELECT loc, coalesce(sum(value), 0) AS u, sum(w) FILTER (WHERE is_masked) AS sw FROM c GROUP BY loc
        ), t AS (
            SELECT school_location_id AS loc, total_low AS total FROM {prefix}_est_totals
            WHERE is_complete AND total_low = total_high
        )
        SELECT c.cell_id,
               CASE WHEN NOT c.is_masked THEN c.value::DOUBLE
                    WHEN t.total IS NULL THEN {pooled}
                    ELSE (t.total - l.u) * c.w / l.sw END AS students,
               NULL::DOUBLE AS lo, NULL::DOUBLE AS hi
        FROM c JOIN l USING (loc) LEFT JOIN t USING (loc)"""


# ----------------------------------------------------------------------- scoring
def pair_flows(con, est_sql: str, name: str) -> None:
    """Flows (home municipality x school municipality) of an estimate next to the truth."""
    con.execute(f"""CREATE OR REPLACE TABLE {name} AS
        SELECT r.origin, r.destination, sum(t.value) AS t, sum(e.students) AS e,
               sum(e.lo) AS lo, sum(e.hi) AS hi
        FROM truth_cells t JOIN ({est_sql}) e USING (cell_id) JOIN truth_rows r USING (row_id)
        GROUP BY ALL""")


def score(con, flows: str, where: str = "true") -> dict:
    cross, all_, cov, n = con.execute(f"""SELECT
            sum(abs(e - t)) FILTER (WHERE origin <> destination) / sum(t) FILTER (WHERE origin <> destination),
            sum(abs(e - t)) / sum(t),
            avg(CASE WHEN t BETWEEN lo - 1e-6 AND hi + 1e-6 THEN 1.0 ELSE 0.0 END) FILTER (WHERE lo IS NOT NULL),
            count(*) FILTER (WHERE origin <> destination)
        FROM {flows} WHERE {where}""").fetchone()
    return {"cross": cross, "all": all_, "coverage": cov, "n_cross": n}


def methods(con, prefix: str) -> dict[str, str]:
    """label -> estimate SQL, for one case."""
    return {
        f"estimator: poisson + distance decay {geography.DECAY_PER_KM}/km (chosen)": run_estimator(
            con, prefix, f"{prefix}_geo", decay=geography.DECAY_PER_KM
        ),
        "estimator: poisson without geography (before)": run_estimator(con, prefix, f"{prefix}_poisson"),
        "uniform split within location totals": run_estimator(con, prefix, f"{prefix}_equal", allocation="equal"),
        f"{CROSS_WEIGHT}-weighted split (cross-border cells weigh {CROSS_WEIGHT})": weighted_split(
            con, prefix, CROSS_WEIGHT
        ),
        "zero-fill ('<5' = 0)": fill(prefix, 0.0),
        "midpoint ('<5' = 2.5)": fill(prefix, 2.5),
    }


def leave_one_municipality_out(con, prefix: str, baselines: dict[str, str]) -> dict:
    """For each school municipality: the decay constant that gives the lowest cross-border
    WAPE on the flows into the other eight (from DECAY_GRID), measured on the flows into it."""
    for i, decay in enumerate(DECAY_GRID):
        pair_flows(con, run_estimator(con, prefix, f"{prefix}_lomo", decay=decay), f"lomo_{i}")
    base_tables = {label: f"lomo_base_{k}" for k, label in enumerate(baselines)}
    for label, sql in baselines.items():
        pair_flows(con, sql, base_tables[label])
    dests = [
        r[0]
        for r in con.execute(f"SELECT DISTINCT destination FROM {prefix}_rows WHERE in_region ORDER BY 1").fetchall()
    ]
    per, err, tot = [], 0.0, 0.0
    base_err = {label: 0.0 for label in baselines}
    for d in dests:
        others = [
            (
                con.execute(
                    f"""SELECT sum(abs(e - t)) FROM lomo_{i}
                   WHERE origin <> destination AND destination <> ?""",
                    [d],
                ).fetchone()[0],
                DECAY_GRID[i],
                i,
            )
            for i in range(len(DECAY_GRID))
        ]
        _, chosen, i = min(others)
        e, t = con.execute(
            f"""SELECT sum(abs(e - t)), sum(t) FROM lomo_{i}
                   WHERE origin <> destination AND destination = ?""",
            [d],
        ).fetchone()
        row = {"municipality": d, "decay": chosen, "wape": e / t, "cross_pupils": t}
        for label, table in base_tables.items():
            be = con.execute(
                f"""SELECT sum(abs(e - t)) FROM {table}
                   WHERE origin <> destination AND destination = ?""",
                [d],
            ).fetchone()[0]
            row[label] = be / t
            base_err[label] += be
        per.append(row)
        err += e
        tot += t
    return {"per": per, "wape": err / tot, "baselines": {k: v / tot for k, v in base_err.items()}}


def catchment_check_2024(con, load_real, duo: Path, totals: Path) -> list[tuple[str, float, float]]:
    """2024 has no truth: hide each location's total and compare the model's own expected
    masked sum with the real remainder (exact totals only), with and without geography and
    the 2017-2018 catchment (an earlier unmasked year: no leakage, 2017 precedes 2024)."""
    load_real(con, duo, "* afgeschermd.csv", totals)
    con.execute("CREATE OR REPLACE TABLE y24_cells AS SELECT * FROM real_cells")
    con.execute("""CREATE OR REPLACE TABLE y24_rows AS
        SELECT row_id, loc, POSTCODE_LEERLING AS home_pc4, upper(SOORT_PO) AS sector FROM rows""")
    con.execute("""CREATE OR REPLACE TABLE y24_locs AS
        SELECT loc, remainder FROM real_locs WHERE usable AND m > 0""")
    con.execute("""CREATE OR REPLACE VIEW y24_est_cells AS
        SELECT cell_id, loc AS school_location_id, row_id, age, value, is_masked FROM y24_cells""")
    con.execute("""CREATE OR REPLACE TABLE y24_est_totals AS
        SELECT school_location_id, 0 AS total_low, 0 AS total_high, true AS is_complete
        FROM (SELECT NULL::VARCHAR AS school_location_id) WHERE false""")
    con.execute("""CREATE OR REPLACE TABLE y24_masked AS
        SELECT c.cell_id, c.loc AS school_location_id, r.home_pc4, r.sector
        FROM y24_cells c JOIN y24_rows r USING (row_id) WHERE c.is_masked""")
    # the 2017-2018 catchment: pupils per location x home PC4 x sector, all unmasked
    con.execute("""CREATE OR REPLACE TABLE y17_catchment AS
        SELECT r.loc AS school_location_id, r.home_pc4, r.sector, sum(t.value) AS students
        FROM truth_cells t JOIN truth_rows r USING (row_id) WHERE t.value > 0 GROUP BY ALL""")
    out = []
    runs = [
        ("poisson without geography", None, None, None),
        (f"distance decay {geography.DECAY_PER_KM}/km", geography.DECAY_PER_KM, None, None),
    ]
    runs += [
        (
            f"distance decay + 2017-2018 catchment, power {g}, pseudo-count {c}",
            geography.DECAY_PER_KM,
            "y17_catchment",
            (g, c),
        )
        for g, c in ((0.1, 1), (0.25, 1), (0.5, 1), (0.1, 10), (0.25, 10))
    ]
    for label, decay, earlier, power in runs:
        weights = None
        if decay is not None:
            weights = "y24_w"
            g, c = power or (None, 1.0)
            geography.build_cell_weights(
                con, "y24_masked", weights, earlier=earlier, decay_per_km=decay, catchment_power=g, catchment_pseudo=c
            )
        est.estimate_masked_cells(con, "y24_est_cells", "y24_est_totals", "y24_free", cell_weights=weights)
        wape, bias = con.execute("""SELECT sum(abs(e.estimated_masked_sum - l.remainder)) / sum(l.remainder),
                   sum(e.estimated_masked_sum - l.remainder) / sum(l.remainder)
            FROM y24_free_locations e JOIN y24_locs l ON l.loc = e.school_location_id""").fetchone()
        out.append((label, wape, bias))
    n_catch = con.execute("""SELECT count(*) FROM y24_masked
        WHERE school_location_id IN (SELECT school_location_id FROM y17_catchment)""").fetchone()[0]
    n_all = con.execute("SELECT count(*) FROM y24_masked").fetchone()[0]
    out.append(("masked 2024 cells at a location with a 2017-2018 catchment", n_catch, n_all))
    return out


def run(con, load_real, duo: Path) -> dict:
    """Every measurement of this module on the bundled files; returns what main prints."""
    totals = duo / TOTALS
    reference(con)
    res: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = write_cases(duo, Path(tmp))
        for case, outside in (("nine", False), ("outside", True)):
            load(con, load_real, dirs["truth"], totals, "truth", outside)
            load(con, load_real, dirs["masked"], totals, "m", outside)
            aligned = con.execute("""SELECT count(*) FROM m_cells c JOIN truth_cells t USING (cell_id)
                WHERE c.row_id <> t.row_id OR c.age <> t.age
                   OR (c.is_masked AND t.value NOT BETWEEN 1 AND 4) OR (NOT c.is_masked AND c.value <> t.value)""").fetchone()[
                0
            ]
            if aligned:
                raise SystemExit(f"{aligned} masked cells do not line up with the truth")
            estimator_inputs(con, "m")
            info = con.execute("""SELECT count(*), count(*) FILTER (WHERE is_masked), count(DISTINCT loc),
                       (SELECT count(*) FROM m_est_totals WHERE is_complete),
                       (SELECT count(*) FROM m_est_totals WHERE NOT is_complete)
                FROM m_cells""").fetchone()
            rows = {}
            ms = methods(con, "m")
            for label, sql in ms.items():
                pair_flows(con, sql, "flows")
                rows[label] = score(con, "flows")
            res[case] = {"info": info, "rows": rows}
            if case == "nine":
                base = {k: v for k, v in ms.items() if not k.startswith("estimator: poisson + distance")}
                res["lomo"] = leave_one_municipality_out(con, "m", base)
                res["catchment"] = catchment_check_2024(con, load_real, duo, totals)
    return res


def pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def print_report(res: dict) -> None:
    titles = {
        "nine": "the nine municipality files (every location complete, exact 2017 totals)",
        "outside": "the nine files + the region's pupils schooled outside the region (partial locations)",
    }
    for case in ("nine", "outside"):
        n, m, locs, complete, partial = res[case]["info"]
        rows = res[case]["rows"]
        n_cross = next(iter(rows.values()))["n_cross"]
        print(f"\n#### Real 2017-2018, masked as today: {titles[case]}\n")
        print(
            f"{n} cells, {m} masked ('<5'), {locs} school locations ({complete} complete, {partial} partial), "
            f"{n_cross} cross-border municipality pairs\n"
        )
        print("| method | cross-border WAPE | WAPE all flows | true flow in [low, high] |")
        print("|---|---|---|---|")
        for label, r in rows.items():
            cov = "n/a (no bounds)" if r["coverage"] is None else pct(r["coverage"])
            print(f"| {label} | {pct(r['cross'])} | {pct(r['all'])} | {cov} |")
    lomo = res["lomo"]
    labels = list(lomo["baselines"])
    print(
        "\n#### Leave one school municipality out (decay chosen on the other eight, from "
        f"{', '.join(str(x) for x in DECAY_GRID)} per km)\n"
    )
    print(
        "| school municipality held out | cross-border pupils | decay chosen | distance decay | "
        + " | ".join(labels)
        + " |"
    )
    print("|---|---|---|---|" + "---|" * len(labels))
    for r in lomo["per"]:
        print(
            f"| {r['municipality']} | {r['cross_pupils']:,} | {r['decay']} | {pct(r['wape'])} | "
            + " | ".join(pct(r[k]) for k in labels)
            + " |"
        )
    print(
        f"| **all nine** | | | **{pct(lomo['wape'])}** | "
        + " | ".join(pct(lomo["baselines"][k]) for k in labels)
        + " |"
    )
    print(
        "\n#### Catchment prior on 2024 (no truth: location totals hidden, model's masked sum vs the real remainder)\n"
    )
    print("| model | WAPE of location masked sums | bias |")
    print("|---|---|---|")
    *rows, (label, n_catch, n_all) = res["catchment"]
    for name, wape, bias in rows:
        print(f"| {name} | {pct(wape)} | {'+' if bias >= 0 else ''}{pct(bias)} |")
    print(f"\n{n_catch} of {n_all} masked 2024 cells are at a location with a 2017-2018 catchment.")
