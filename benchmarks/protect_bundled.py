"""protect on the bundled data: capture its exact inputs once, then time it and compare labels.

    .venv/bin/python -m benchmarks.protect_bundled --capture   # one bundled build (`grensverkeer run`)
    .venv/bin/python -m benchmarks.protect_bundled             # time protect on the captured inputs

--capture runs the bundled build in this process, into a new warehouse, and saves for every
call of ``protect`` its cells, relations and settings (Parquet and JSON) and the labels it
returned (the baseline), under WORK (default build/bench/protect). Without --capture every
captured call is run again: the time of each call and whether its result (status, shown,
label of every cell, in order) is identical to the baseline; the machine is shared, so the
CPU time of the process is printed beside the wall time (polars threads count in both). Exit 1 on any difference.
--save-baseline overwrites the baseline with this run's results (only after a deliberate
change of the rules).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import polars as pl

DEFAULT_WORK = Path("build/bench/protect")
# modules that call protect (they import the name, so each one is wrapped)
CALLERS = (
    "grensverkeer.exports.writer",
    "grensverkeer.joint",
    "grensverkeer.site.publish",
    "grensverkeer.site.swv",
)
RESULT_COLUMNS = ["cell_id", "status", "shown", "label"]


def capture(work: Path) -> None:
    import importlib

    from grensverkeer import cli, disclosure
    from grensverkeer.disclosure import protect as original

    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("call_*"):
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    calls: list[dict] = []

    def wrapped(cells, relations, settings=disclosure.DisclosureSettings()):
        n = len(calls)
        d = work / f"call_{n:02d}"
        d.mkdir()
        cells.write_parquet(d / "cells.parquet")
        relations.write_parquet(d / "relations.parquet")
        (d / "settings.json").write_text(json.dumps(asdict(settings)))
        started, started_cpu = time.perf_counter(), time.thread_time()
        out = original(cells, relations, settings)
        seconds, cpu = time.perf_counter() - started, time.thread_time() - started_cpu
        out.select(RESULT_COLUMNS).write_parquet(d / "baseline.parquet")
        caller = sys._getframe(1).f_globals.get("__name__", "?")
        calls.append({"call": n, "caller": caller, "cells": cells.height, "seconds": seconds, "cpu": cpu})
        return out

    for name in CALLERS:
        importlib.import_module(name).protect = wrapped
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        rc = cli.main(["run", "--warehouse", f"{tmp}/w.duckdb", "--out", f"{tmp}/out", "--no-run-history"])
        wall = time.perf_counter() - started
    (work / "capture.json").write_text(json.dumps({"exit": rc, "wall": wall, "calls": calls}, indent=1))
    total, cpu = sum(c["seconds"] for c in calls), sum(c["cpu"] for c in calls)
    print(
        f"captured {len(calls)} protect calls in {work}: {total:.2f} s in protect ({cpu:.2f} s CPU of its "
        f"thread), build {wall:.1f} s (exit {rc})"
    )


def measure(work: Path, save_baseline: bool, repeat: int) -> int:
    from grensverkeer.disclosure import DisclosureSettings, protect

    dirs = sorted(work.glob("call_*"))
    if not dirs:
        print(f"no captured calls in {work}: run with --capture first", file=sys.stderr)
        return 2
    meta = {c["call"]: c for c in json.loads((work / "capture.json").read_text())["calls"]}
    total, total_cpu, differ = 0.0, 0.0, []
    print(f"{'call':>4} {'caller':<28} {'cells':>6} {'suppr.':>6} {'wall s':>8} {'cpu s':>7}  same")
    for d in dirs:
        n = int(d.name.split("_")[1])
        cells = pl.read_parquet(d / "cells.parquet")
        relations = pl.read_parquet(d / "relations.parquet")
        settings = DisclosureSettings(**json.loads((d / "settings.json").read_text()))
        best = cpu = float("inf")
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            out = protect(cells, relations, settings)
            best = min(best, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - started_cpu)
        total += best
        total_cpu += cpu
        result = out.select(RESULT_COLUMNS)
        if save_baseline:
            result.write_parquet(d / "baseline.parquet")
        same = result.equals(pl.read_parquet(d / "baseline.parquet"))
        if not same:
            differ.append(n)
        supp = result.filter(pl.col("shown").is_null() & (pl.col("status") != "unpublished")).height
        caller = meta.get(n, {}).get("caller", "?").removeprefix("grensverkeer.")
        print(f"{n:>4} {caller:<28} {cells.height:>6} {supp:>6} {best:>8.3f} {cpu:>7.3f}  {'yes' if same else 'NO'}")
    print(
        f"total {total:.2f} s wall, {total_cpu:.2f} s cpu over {len(dirs)} calls; "
        + (f"DIFFERENT: {differ}" if differ else "all identical")
    )
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--capture", action="store_true", help="run the bundled build and save protect's inputs")
    p.add_argument("--save-baseline", action="store_true", help="overwrite the baseline labels")
    p.add_argument("--repeat", type=int, default=1, help="runs per call (the best is reported)")
    a = p.parse_args(argv)
    if a.capture:
        capture(a.work)
        return 0
    return measure(a.work, a.save_baseline, a.repeat)


if __name__ == "__main__":
    sys.exit(main())
