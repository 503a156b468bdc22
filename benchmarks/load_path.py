"""One input path alone on a scratch warehouse (benchmarks.duo_load, benchmarks.linked_load):
discovery, the load step's body and the staging models, each with its wall and CPU seconds
(user + system of the process, DuckDB's threads included), then row counts and the warehouse's
size. Each module says what its path's steps are; this one runs them the same way."""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from grensverkeer import settings, warehouse
from grensverkeer.ingest.load import loaded_file_years


@dataclass(frozen=True)
class InputPath:
    reference: tuple[str, ...]  # the reference tables the path's models read, copied from --refs
    discover: Callable  # (input folder, known files, con) -> (count years, problems)
    load_step: str  # the name of the load asset
    load: Callable  # (con, input folder, count years): the load asset's body
    stage: Callable  # (con, count years): the staging models
    counted: tuple[str, ...]  # tables whose rows are counted at the end


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _step(label: str, work):
    wall, cpu = time.perf_counter(), _cpu()
    out = work()
    print(f"{label:24s} {time.perf_counter() - wall:7.2f} s wall {_cpu() - cpu:7.2f} s CPU", flush=True)
    return out


def main(path: InputPath, description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--refs", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument("--no-staging", action="store_true")
    args = parser.parse_args()
    if not args.rerun:
        for old in args.warehouse.parent.glob(args.warehouse.name + "*"):
            old.unlink()
    args.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(args.warehouse), config=settings.duckdb_config())
    if not args.rerun:
        con.execute(f"attach '{args.refs}' as refs (read_only)")
        for table in path.reference:
            con.execute(f"create table {table} as select * from refs.{table}")
        con.execute("detach refs")
    warehouse.setup(con)
    known = loaded_file_years(con)
    con.execute(f"set memory_limit = '{settings.discovery_duckdb_memory()}'")
    years, problems = _step("discovery", lambda: path.discover(args.input, known=known, con=con))
    con.execute(f"set memory_limit = '{settings.duckdb_config()['memory_limit']}'")
    print("school years", years, "unusable files", problems)

    def load():
        con.execute("begin transaction")
        path.load(con, args.input, years)
        con.execute("commit")

    _step(path.load_step, load)
    if not args.no_staging:
        path.stage(con, years, _step)
    _step("checkpoint", lambda: con.execute("checkpoint"))
    for table in path.counted:
        if not (args.no_staging and table.startswith(("stg_", "rejected"))):
            print(f"{table}: {con.execute(f'select count(*) from {table}').fetchone()[0]:,} rows")
    con.close()
    size = sum(p.stat().st_size for p in args.warehouse.parent.glob(args.warehouse.name + "*"))
    print(f"warehouse {size / 1e9:.2f} GB")
