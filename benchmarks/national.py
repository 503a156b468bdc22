"""National-scale benchmark (issue 6): the whole pipeline for 342 municipalities x 10 school years.

    .venv/bin/python -m benchmarks.national --scale 0.01          # quick
    .venv/bin/python -m benchmarks.national --scale 1             # national: ~26 M enrolments

Steps, each in a fresh Python process so that peak memory is its own:

1. generate the inputs (benchmarks/national_data.py) under OUT (default build/bench/scale-<s>),
   and a region file with all 342 municipalities;
2. the full build: what `grensverkeer run` does (runner.py), without the dashboard site:
   discover the school years, then one Dagster run over every school year (reference
   tables, every partitioned asset once over all years) with every blocking data check; per stage wall time (from
   Dagster's step statistics), peak RSS (sampled from /proc every 20 ms, DuckDB included)
   and input rows per second;
3. incremental: the next school year's files are added to the input folder and only that
   partition runs; the other years' rows must be untouched;
4. the pandas baseline: the flow and support aggregation written by hand (read Parquet,
   merge, groupby), and the floor: the same aggregation as one DuckDB query over the Parquet;
   both must give the warehouse's support_flows totals;
5. the same work: the pipeline's own flows-and-support stage (the int_pupil_support and
   support_flows models) timed alone on the staged records of the built warehouse (a copy),
   beside pandas and the floor.

Results: printed as a table and written to OUT/results.json. docs/performance.md has the
measured figures and what they mean.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Dagster step (asset or check) -> stage of the report, in pipeline order.
STAGES = {
    "reference tables": ["reference_tables", "reference_tables_reference_tables_valid"],
    "ingest": ["duo_raw_files", "linked_raw_files"],
    "staging": ["stg_duo_rows", "stg_duo_cells", "stg_location_totals", "stg_linked_records"],
    "estimates + int_pupil_support": ["int_cell_estimates", "int_pupil_support"],
    "marts": [
        "municipality_flows",
        "school_catchment",
        "support_flows",
        "school_local_team",
        "school_coordination_load",
        "municipality_support_profile",
    ],
    "publication": ["publication"],
    "agreement needs": ["agreement_needs"],
    "graph": ["municipality_graph"],
    "exports": ["agreement_exports"],
    "data checks (GX)": [
        "stg_duo_rows_valid",
        "stg_duo_rows_unmatched_names",
        "stg_duo_cells_valid",
        "int_cell_estimates_valid",
        "int_cell_estimates_prior_share",
        "stg_linked_records_valid",
        "municipality_flows_reconcile",
        "school_catchment_reconcile",
        "publication_adds_up",
        "support_flows_reconcile",
        "agreement_needs_valid",
        "municipality_graph_covers_region",
        "agreement_exports_safe",
        "published_files_safe",
    ],
}
STAGE_OF = {step: stage for stage, steps in STAGES.items() for step in steps}


def stage_of(step_key: str) -> str:
    """A check's step key is '<asset>_<check>'."""
    if step_key in STAGE_OF:
        return STAGE_OF[step_key]
    checks = STAGES["data checks (GX)"]
    return "data checks (GX)" if any(step_key.endswith("_" + c) for c in checks) else "other steps"


# --------------------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------------------


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class RssSampler:
    """Samples this process's resident memory (Python, Polars and DuckDB alike) every `interval` s."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), rss_bytes()))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.time(), rss_bytes()))

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        inside = [r for t, r in self.samples if start <= t <= end]
        return max(inside) if inside else 0


def peak_rss_self() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_self() -> float:
    """CPU seconds (user + system) of this process so far, DuckDB's and Polars' threads included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------


def write_region(path: Path) -> Path:
    """A region file (format of data/regions/haaglanden.toml) with all 342 municipalities."""
    import duckdb

    rows = duckdb.sql(
        f"select code, name from read_csv('{(REPO / 'data/reference/municipalities.csv').as_posix()}', "
        "all_varchar = true) order by code"
    ).fetchall()
    lines = [
        "# All 342 municipalities of 2025: the national benchmark region (benchmarks/national.py).",
        'name = "Nederland (benchmark)"',
        'slug = "nederland"',
        "",
    ]
    for code, name in rows:
        lines += ["[[municipality]]", f'code = "{code}"', f"display_name = {json.dumps(name, ensure_ascii=False)}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def add_extra_year(data: Path, inputs: Path) -> list[str]:
    """Copy the next school year's files (data/extra) into the input folder; return them."""
    extra = data / "extra"
    added = []
    for src in sorted(p for p in extra.rglob("*") if p.is_file()):
        dst = inputs / src.relative_to(extra)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        added.append(str(dst.relative_to(inputs)))
    return added


# --------------------------------------------------------------------------------------
# the build, as `grensverkeer run` does it (runner.run_pipeline without the site job)
# --------------------------------------------------------------------------------------


def build(inputs: Path, warehouse: Path, out: Path, region: Path, only_years: list[str] | None = None) -> dict:
    """Run in a fresh process by `_child`: `runner.run_pipeline`, exactly what `grensverkeer run`
    does but without the dashboard site. Returns timings per stage and partition, read from
    Dagster's run and step statistics afterwards."""
    t_import = time.perf_counter()
    from dagster import DagsterInstance

    from grensverkeer.cli import collect_garbage_less_often
    from grensverkeer.partitions import RANGE_END, RANGE_START
    from grensverkeer.runner import QUIET, run_pipeline

    collect_garbage_less_often()  # as the `grensverkeer` command does

    import_s = time.perf_counter() - t_import

    stages: dict[str, dict] = {}

    def note(stage: str, seconds: float, start: float, end: float) -> None:
        s = stages.setdefault(stage, {"seconds": 0.0, "windows": []})
        s["seconds"] += seconds
        s["windows"].append((start, end))

    with RssSampler() as sampler:
        instance = DagsterInstance.ephemeral()
        t0 = time.time()
        outcome = run_pipeline(
            inputs, warehouse, out, region, instance=instance, log_config=QUIET, only_years=only_years, site=False
        )
        t_end = time.time()
    runs = sorted(((instance.get_run_stats(r.run_id), r) for r in instance.get_runs()), key=lambda x: x[0].start_time)
    runs_out = []
    steps: dict[str, float] = {}
    # before the first run: definitions, opening the warehouse, discovering the school years
    first = runs[0][0].start_time if runs else t_end
    note("discover school years", first - t0, t0, first)
    for stats, run in runs:
        ts, te = stats.start_time, stats.end_time
        in_steps = 0.0
        for st in instance.get_run_step_stats(run.run_id):
            steps[st.step_key] = steps.get(st.step_key, 0.0) + st.end_time - st.start_time
            note(stage_of(st.step_key), st.end_time - st.start_time, st.start_time, st.end_time)
            in_steps += st.end_time - st.start_time
        note("Dagster orchestration", (te - ts) - in_steps, ts, te)
        # one run over every school year of the build (a range of partitions)
        runs_out.append(
            {
                "job": run.job_name,
                "first_year": run.tags.get(RANGE_START),
                "last_year": run.tags.get(RANGE_END),
                "seconds": te - ts,
                "peak_rss": sampler.peak(ts, te),
            }
        )
    # between runs and after the last one (closing the warehouse: its checkpoint)
    in_runs = sum(stats.end_time - stats.start_time for stats, _ in runs)
    note("Dagster orchestration", (t_end - first) - in_runs, first, t_end)
    for s in stages.values():
        s["peak_rss"] = max(sampler.peak(a, b) for a, b in s.pop("windows"))
    return {
        "import_seconds": import_s,
        "wall_seconds": t_end - t0,
        "peak_rss": sampler.peak(),
        "peak_rss_process": peak_rss_self(),
        "stages": stages,
        "steps": steps,
        "runs": runs_out,
        "failures": outcome.failures,
        "school_years": outcome.school_years,
    }


def warehouse_facts(warehouse: Path) -> dict:
    """Row counts and the flow totals the baselines are compared with."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [  # (raw_linked_* are views)
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() union "
                "select view_name from duckdb_views() where not internal and schema_name = 'main' order by 1"
            ).fetchall()
        ]
        rows = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
        flows = con.execute("""
            select school_year, support_domain, sum(students)::bigint, sum(students_with_support)::bigint
            from support_flows group by all order by all""").fetchall()
        per_year = {
            t: dict(con.execute(f"select school_year, count(*) from {t} group by all").fetchall())
            for t in (
                "municipality_flows",
                "support_flows",
                "agreement_needs",
                "stg_linked_enrolments",
                "graph_node_metrics",
            )
            if t in tables
        }
        checksum = {
            t: con.execute(f"select school_year, sum(hash(x))::varchar from {t} x group by all order by 1").fetchall()
            for t in ("municipality_flows", "support_flows", "agreement_needs")
            if t in tables
        }
    finally:
        con.close()
    return {
        "rows": rows,
        "support_flow_totals": [list(r) for r in flows],
        "rows_per_year": per_year,
        "checksums": {t: [[y, str(h)] for y, h in v] for t, v in checksum.items()},
    }


# --------------------------------------------------------------------------------------
# reference points: pandas by hand, and the bare DuckDB floor
# --------------------------------------------------------------------------------------


def pandas_baseline(inputs: Path) -> dict:
    """What an analyst would write: read the Parquet files, merge, filter, group by."""
    t0, c0 = time.perf_counter(), cpu_self()
    import pandas as pd

    linked = inputs / "linked"
    enrolments = pd.concat([pd.read_parquet(p) for p in sorted(linked.glob("enrolments_*.parquet"))], ignore_index=True)
    schools = pd.read_csv(linked / "schools.csv", dtype=str)[["school_location_id", "municipality_code"]]
    support = pd.read_parquet(linked / "support.parquet")
    enrolments = enrolments.merge(schools, on="school_location_id", how="left")
    keys = ["school_year", "sector", "residence_municipality_code", "municipality_code"]
    flows = enrolments.groupby(keys).size().rename("students").reset_index()

    # support that overlaps the school year (1 Aug - 31 Jul), per pupil and domain
    merged = enrolments[keys + ["student_id"]].merge(
        support[["student_id", "support_domain", "start_date", "end_date"]], on="student_id"
    )
    first = merged["school_year"].str[:4].astype(int)
    year_start = pd.to_datetime(first.astype(str) + "-08-01")
    year_end = pd.to_datetime((first + 1).astype(str) + "-07-31")
    start = pd.to_datetime(merged["start_date"])
    end = pd.to_datetime(merged["end_date"]).fillna(pd.Timestamp("2262-01-01"))
    merged = merged[(start <= year_end) & (end >= year_start)]
    by_domain = merged.drop_duplicates(keys + ["student_id", "support_domain"])
    any_domain = merged.drop_duplicates(keys + ["student_id"]).assign(support_domain="totaal")
    supported = (
        pd.concat([by_domain, any_domain])
        .groupby(keys + ["support_domain"])
        .size()
        .rename("students_with_support")
        .reset_index()
    )
    seconds, cpu = time.perf_counter() - t0, cpu_self() - c0
    totals = supported.groupby(["school_year", "support_domain"])["students_with_support"].sum()
    students = flows.groupby("school_year")["students"].sum()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss": peak_rss_self(),
        "input_rows": len(enrolments) + len(support),
        "flows": len(flows),
        "students": {k: int(v) for k, v in students.items()},
        "with_support": {f"{y}|{d}": int(v) for (y, d), v in totals.items()},
    }


FLOOR_SQL = """
with enrolments as (
    select e.school_year, e.sector, e.residence_municipality_code, s.municipality_code, e.student_id
    from read_parquet('{linked}/enrolments_*.parquet') e
    join read_csv('{linked}/schools.csv', all_varchar = true) s using (school_location_id)
),
supported as (
    select distinct e.school_year, e.sector, e.residence_municipality_code, e.municipality_code, e.student_id,
           p.support_domain
    from enrolments e join read_parquet('{linked}/support.parquet') p using (student_id)
    where p.start_date <= make_date(left(e.school_year, 4)::int + 1, 7, 31)
      and coalesce(p.end_date, date '9999-12-31') >= make_date(left(e.school_year, 4)::int, 8, 1)
)
select school_year, sector, residence_municipality_code, municipality_code, 'students' as measure, count(*) as n
from enrolments group by all
union all
select school_year, sector, residence_municipality_code, municipality_code, support_domain,
       count(distinct student_id)
from supported group by grouping sets ((school_year, sector, residence_municipality_code, municipality_code, support_domain),
                                       (school_year, sector, residence_municipality_code, municipality_code))
"""


def duckdb_floor(inputs: Path) -> dict:
    """The same flows and support counts as one DuckDB query straight over the Parquet files."""
    t0, c0 = time.perf_counter(), cpu_self()
    import duckdb
    import polars as pl

    con = duckdb.connect()
    result = con.sql(FLOOR_SQL.format(linked=(inputs / "linked").as_posix())).pl()
    seconds, cpu = time.perf_counter() - t0, cpu_self() - c0
    totals = result.group_by("school_year", "measure").agg(pl.col("n").sum())
    students = {y: int(n) for y, m, n in totals.iter_rows() if m == "students"}
    with_support = {f"{y}|{m or 'totaal'}": int(n) for y, m, n in totals.iter_rows() if m != "students"}
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss": peak_rss_self(),
        "students": students,
        "with_support": with_support,
    }


SAME_WORK_MODELS = [("intermediate/int_pupil_support", None, None), ("marts/support_flows", None, None)]


def same_work(warehouse: Path, inputs: Path, region: Path, out: Path) -> dict:
    """The pipeline's own flows-and-support stage (int_pupil_support, then support_flows: the
    SQL models the build runs) on the staged linked records of the built warehouse, which come
    from the same Parquet files as the pandas baseline and the floor read. Timed on a copy of the
    warehouse, every school year, as the build's steps run them: int_pupil_support once per year
    (defs/support.py, run_pupil_support), support_flows once over all the years."""
    import duckdb

    from grensverkeer import settings
    from grensverkeer import warehouse as wh
    from grensverkeer.defs.linked import set_linked_variables
    from grensverkeer.defs.support import run_pupil_support
    from grensverkeer.resources import ProjectPaths

    copy = out / "same-work.duckdb"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy), config=settings.duckdb_config())
    try:
        years = [
            r[0] for r in con.execute("select distinct school_year from stg_linked_enrolments order by 1").fetchall()
        ]
        paths = ProjectPaths(input_dir=str(inputs), out_dir=str(out), region_file=str(region))
        set_linked_variables(con, paths)  # the source label and thresholds, as the asset sets them (not timed)
        con.execute("select count(*) from stg_linked_enrolments").fetchall()
        t0, c0 = time.perf_counter(), cpu_self()
        run_pupil_support(con, years)
        wh.run_models_over_years(con, SAME_WORK_MODELS[1:], years)
        seconds, cpu = time.perf_counter() - t0, cpu_self() - c0
        totals = con.execute("""select school_year, support_domain, sum(students)::bigint, sum(students_with_support)::bigint
                                from support_flows group by all order by all""").fetchall()
    finally:
        con.close()
        copy.unlink(missing_ok=True)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss": peak_rss_self(),
        "school_years": years,
        "students": {y: n for y, d, n, _ in totals if d == "totaal"},
        "with_support": {f"{y}|{d}": s for y, d, _, s in totals},
    }


# --------------------------------------------------------------------------------------
# orchestration: each measurement in its own process
# --------------------------------------------------------------------------------------


def _child(args: argparse.Namespace) -> int:
    inputs, warehouse, out, region = Path(args.inputs), Path(args.warehouse), Path(args.out), Path(args.region)
    if args.child == "build":
        result = build(inputs, warehouse, out, region, only_years=args.only_years)
    elif args.child == "facts":
        result = warehouse_facts(warehouse)
    elif args.child == "pandas":
        result = pandas_baseline(inputs)
    elif args.child == "floor":
        result = duckdb_floor(inputs)
    elif args.child == "same_work":
        result = same_work(warehouse, inputs, region, out)
    else:
        raise SystemExit(f"unknown child {args.child}")
    Path(args.result).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return 0


def _run_child(kind: str, work: Path, inputs: Path, warehouse: Path, region: Path, only_years=None) -> dict:
    result = work / f"{kind}.json"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.national",
        "--child",
        kind,
        "--inputs",
        str(inputs),
        "--warehouse",
        str(warehouse),
        "--out",
        str(work / "out"),
        "--region",
        str(region),
        "--result",
        str(result),
    ]
    if only_years:
        cmd += ["--only-years", *only_years]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO)
    data = json.loads(result.read_text(encoding="utf-8"))
    data["process_seconds"] = time.perf_counter() - t0
    return data


def run_benchmark(
    scale: float,
    work: Path,
    n_years: int = 10,
    seed: int = 6,
    reuse: bool = False,
    baselines: bool = True,
    incremental: bool = True,
    log=print,
) -> dict:
    from benchmarks.national_data import generate_national

    work = Path(work)
    data = work / "data"
    inputs = work / "input"
    warehouse = work / "warehouse.duckdb"
    meta = work / "generated.json"
    wanted = {"scale": scale, "n_years": n_years, "seed": seed}
    if reuse and meta.exists() and json.loads(meta.read_text())["params"] == wanted:
        gen = json.loads(meta.read_text())
        log(f"reusing generated inputs in {data}")
    else:
        log(f"generating national inputs at scale {scale:g} in {data} ...")
        g = generate_national(data, scale=scale, n_years=n_years, seed=seed, extra_year=incremental)
        gen = {
            "params": wanted,
            "years": g.years,
            "extra_year": g.extra_year,
            "counts": g.counts,
            "extra_counts": g.extra_counts,
            "seconds": g.seconds,
        }
        meta.write_text(json.dumps(gen, indent=1), encoding="utf-8")
        log(f"  {g.counts} in {g.seconds:.1f} s")
    # A fresh input folder (the extra year is added later) and a fresh warehouse.
    if inputs.exists():
        shutil.rmtree(inputs)
    shutil.copytree(data, inputs, ignore=shutil.ignore_patterns("extra"))
    for path in (warehouse, Path(str(warehouse) + ".wal"), work / "out"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    region = write_region(work / "nederland.toml")
    input_rows = (
        gen["counts"]["enrolments"]
        + gen["counts"]["support"]
        + gen["counts"]["duo_po_rows"]
        + gen["counts"]["duo_vo_rows"]
    )

    log("full build ...")
    full = _run_child("build", work, inputs, warehouse, region)
    facts = _run_child("facts", work, inputs, warehouse, region)
    results = {
        "machine": machine(),
        "scale": scale,
        "generated": gen,
        "input_rows": input_rows,
        "full": full,
        "facts": facts,
    }
    if baselines:
        log("pandas baseline ...")
        results["pandas"] = _run_child("pandas", work, inputs, warehouse, region)
        log("DuckDB floor ...")
        results["floor"] = _run_child("floor", work, inputs, warehouse, region)
        log("same work: the pipeline's flows-and-support stage ...")
        results["same_work"] = _run_child("same_work", work, inputs, warehouse, region)
    if incremental and gen.get("extra_year"):
        year = f"{gen['extra_year']}-{gen['extra_year'] + 1}"
        results["added_files"] = add_extra_year(data, inputs)
        log(f"incremental: school year {year} added ...")
        results["incremental"] = _run_child("build", work, inputs, warehouse, region, only_years=[year])
        results["facts_after"] = _run_child("facts", work, inputs, warehouse, region)
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return results


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo", encoding="ascii")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import duckdb
    import pandas
    import polars

    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem / 2**30, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "pandas": pandas.__version__,
    }


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------


def _gb(n: int) -> str:
    return f"{n / 2**30:.2f} GB"


def report(r: dict) -> str:
    rows = r["input_rows"]
    full = r["full"]
    lines = [
        f"machine: {r['machine']['cpus']} cores, {r['machine']['memory_gb']} GB, {r['machine']['cpu']}",
        f"scale {r['scale']:g}: {r['generated']['counts']}",
        f"input rows (enrolments + support + DUO rows): {rows:,}",
        "",
        f"{'stage':32} {'wall s':>8} {'peak RSS':>10} {'input rows/s':>14}",
    ]
    order = ["discover school years", *STAGES, "other steps", "Dagster orchestration"]
    for stage in order:
        s = full["stages"].get(stage)
        if s:
            lines.append(
                f"{stage:32} {s['seconds']:8.1f} {_gb(s['peak_rss']):>10} {rows / max(s['seconds'], 1e-9):14,.0f}"
            )
    label = f"full build ({len(full['school_years'])} years)"
    lines.append(
        f"{label:32} {full['wall_seconds']:8.1f} {_gb(full['peak_rss']):>10} {rows / full['wall_seconds']:14,.0f}"
    )
    lines.append(
        f"  (process: {full['process_seconds']:.1f} s incl. {full['import_seconds']:.1f} s imports; "
        f"ru_maxrss {_gb(full['peak_rss_process'])})"
    )
    if full["failures"]:
        lines.append(f"  FAILURES: {full['failures'][:5]}")
    if "pandas" in r:
        p, f = r["pandas"], r["floor"]
        lines += [
            "",
            f"{'pandas baseline (flows+support)':32} {p['seconds']:8.1f} {_gb(p['peak_rss']):>10}"
            f"   CPU {p['cpu_seconds']:.1f} s",
            f"{'DuckDB floor (one query)':32} {f['seconds']:8.1f} {_gb(f['peak_rss']):>10}   CPU {f['cpu_seconds']:.1f} s",
            f"full build / pandas: {full['wall_seconds'] / p['seconds']:.2f}; "
            f"full build / floor: {full['wall_seconds'] / f['seconds']:.1f}",
        ]
    if "same_work" in r:
        w, p, f = r["same_work"], r["pandas"], r["floor"]
        lines += [
            f"{'same work: pipeline flows+support':32} {w['seconds']:8.1f} {_gb(w['peak_rss']):>10}"
            f"   CPU {w['cpu_seconds']:.1f} s",
            f"same work / floor: {w['seconds'] / f['seconds']:.2f}; "
            f"pandas / same work: {p['seconds'] / w['seconds']:.1f}x",
        ]
    if "incremental" in r:
        inc = r["incremental"]
        lines += [
            "",
            f"{'one added school year':32} {inc['wall_seconds']:8.1f} {_gb(inc['peak_rss']):>10}"
            f"   = {inc['wall_seconds'] / full['wall_seconds']:.1%} of the full build",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.01, help="1 = national: ~2.6 M pupils a year (default 0.01)")
    p.add_argument("--years", type=int, default=10, help="school years in the full build (default 10)")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--work", help="working folder (default build/bench/scale-<scale>)")
    p.add_argument("--reuse", action="store_true", help="reuse generated inputs of the same scale, years and seed")
    p.add_argument("--no-baselines", action="store_true", help="skip the pandas baseline and the DuckDB floor")
    p.add_argument("--no-incremental", action="store_true", help="skip adding the extra school year")
    # internal: one measurement in a child process
    p.add_argument("--child", help=argparse.SUPPRESS)
    for name in ("--inputs", "--warehouse", "--out", "--region", "--result"):
        p.add_argument(name, help=argparse.SUPPRESS)
    p.add_argument("--only-years", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return _child(args)
    work = Path(args.work or REPO / "build" / "bench" / f"scale-{args.scale:g}")
    r = run_benchmark(
        args.scale,
        work,
        n_years=args.years,
        seed=args.seed,
        reuse=args.reuse,
        baselines=not args.no_baselines,
        incremental=not args.no_incremental,
    )
    print(report(r))
    print(f"\nresults: {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
