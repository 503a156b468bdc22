"""The int_cell_estimates step with and without the geography weights, on one built warehouse.

    .venv/bin/python -m benchmarks.cell_estimates --warehouse build/bench/scale-1/warehouse.duckdb --runs 3

The warehouse of a national benchmark build (benchmarks.national) is copied once; then the
asset's body (defs.intermediate.estimate_school_year: estimator inputs, distance weights,
estimator, int_location_masking, the int_cell_estimates and int_row_estimates models) runs on
the copy for every school year, alternately with the weights (as the pipeline runs it) and
without them (the estimator before docs/masking.md's geography), each run in its own process.
Per run: wall and CPU seconds (user + system of the process: DuckDB's threads included) and
an order-independent digest of the estimates. docs/performance.md and docs/masking.md have
the measured figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("weights", "none")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def one_run(warehouse: Path, variant: str, save: Path | None = None) -> dict:
    """Run the step for every school year of `warehouse` (in place); wall and CPU per year.
    save: a folder to write each year's estimates to (<variant>-<year>.parquet; not timed)."""
    import duckdb

    from grensverkeer import settings
    from grensverkeer.defs.intermediate import estimate_school_year

    con = duckdb.connect(str(warehouse), config=settings.duckdb_config())
    try:
        years = [r[0] for r in con.execute("select distinct school_year from stg_duo_cells order by 1").fetchall()]
        out = {}
        for year in years:
            w0, c0 = time.perf_counter(), _cpu()
            n, methods = estimate_school_year(con, year, geography=variant == "weights")
            out[year] = {"wall": time.perf_counter() - w0, "cpu": _cpu() - c0, "cells": n, "methods": methods}
        for year in years:
            # the estimates, order-independent (not timed): a cell's estimate, bounds and method
            digest, masked, total = con.execute(
                """select sum(hash(file_name, line, cell_label, students, students_low, students_high, method))::varchar,
                          count(*) filter (where is_masked), sum(students) filter (where is_masked)
                   from int_cell_estimates where school_year = ?""",
                [year],
            ).fetchone()
            out[year] |= {"digest": digest, "masked": masked, "masked_sum": total}
            if save:
                save.mkdir(parents=True, exist_ok=True)
                con.execute(
                    f"""copy (select file_name, line, cell_label, students, students_low, students_high, method
                              from int_cell_estimates where school_year = ?)
                        to '{save / f"{variant}-{year}.parquet"}' (format parquet)""",
                    [year],
                )
    finally:
        con.close()
    return out


def _child(warehouse: Path, variant: str, result: Path, save: str | None) -> dict:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.cell_estimates",
            "--child",
            variant,
            "--copy",
            str(warehouse),
            "--result",
            str(result),
            *(["--save", save] if save else []),
        ],
        check=True,
        cwd=REPO,
    )
    return json.loads(result.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", default=str(REPO / "build/bench/scale-1/warehouse.duckdb"))
    p.add_argument("--runs", type=int, default=3, help="runs of each variant, alternated (default 3)")
    p.add_argument("--variants", default=",".join(VARIANTS), help="weights,none (default: both)")
    p.add_argument("--save", help="write the estimates of the first run of each variant to this folder")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--copy", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        save = Path(args.save) if args.save else None
        Path(args.result).write_text(json.dumps(one_run(Path(args.copy), args.child, save)), encoding="utf-8")
        return 0
    source = Path(args.warehouse)
    copy = source.with_name("cell-estimates.duckdb")
    shutil.copyfile(source, copy)
    variants = args.variants.split(",")
    runs = []
    try:
        for i in range(args.runs):
            for variant in variants if i % 2 == 0 else variants[::-1]:
                r = _child(copy, variant, copy.with_suffix(".json"), args.save if i == 0 else None)
                runs.append({"variant": variant, "years": r})
                walls = " ".join(f"{y} {v['wall']:.1f}/{v['cpu']:.1f}" for y, v in r.items())
                print(f"run {i + 1} {variant:8} wall/CPU s: {walls}", flush=True)
    finally:
        copy.unlink(missing_ok=True)
        copy.with_suffix(".json").unlink(missing_ok=True)
    print()
    for variant in variants:
        mine = [r["years"] for r in runs if r["variant"] == variant]
        wall = sorted(sum(y["wall"] for y in r.values()) for r in mine)
        cpu = sorted(sum(y["cpu"] for y in r.values()) for r in mine)
        digests = {y: sorted({r[y]["digest"] for r in mine}) for y in mine[0]}
        print(
            f"{variant:8} all years: wall {', '.join(f'{w:.1f}' for w in wall)} s (median {statistics.median(wall):.1f}); "
            f"CPU {', '.join(f'{c:.1f}' for c in cpu)} s (median {statistics.median(cpu):.1f})"
        )
        for y, d in digests.items():
            print(f"  {y}: {len(d)} distinct digest(s) over {len(mine)} runs: {', '.join(d)}")
    out = source.with_name("cell-estimates.json")
    out.write_text(json.dumps(runs, indent=1), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
