"""The DUO path alone: discovery, duo_raw_files, stg_duo_rows and stg_duo_cells on a scratch warehouse.

    .venv/bin/python -m benchmarks.duo_load --input DIR --refs build/bench/scale-1/warehouse.duckdb \\
        --warehouse /tmp/duo/w.duckdb [--rerun] [--no-staging]

A new warehouse gets the reference tables of `--refs` (a built warehouse, read only), then the
DUO files of DIR are discovered (`ingest.load.discover_input`, as runner.py does), loaded for
every school year found (`load_school_years`, the body of `duo_raw_files`) and staged (the
models of `stg_duo_rows` and `stg_duo_cells`). `--rerun` runs again on the warehouse as it is.
Prints wall and CPU seconds (user + system of the process, DuckDB's threads included) per step,
and row counts. docs/performance.md, "Session 14 (issue 17): DUO rows written once", has the
measured figures.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import duckdb

from grensverkeer import settings, warehouse
from grensverkeer.ingest.load import discover_input, load_school_years, loaded_file_years, school_year_of

REFERENCE = ("ref_municipalities", "ref_municipality_mergers", "ref_school_locations", "ref_municipality_names")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _step(label: str, work):
    wall, cpu = time.perf_counter(), _cpu()
    out = work()
    print(f"{label:24s} {time.perf_counter() - wall:7.2f} s wall {_cpu() - cpu:7.2f} s CPU", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        for table in REFERENCE:
            con.execute(f"create table {table} as select * from refs.{table}")
        con.execute("detach refs")
    warehouse.setup(con)
    known = loaded_file_years(con)
    con.execute(f"set memory_limit = '{settings.discovery_duckdb_memory()}'")
    years, problems = _step("discovery", lambda: discover_input(args.input, known=known, con=con))
    con.execute(f"set memory_limit = '{settings.duckdb_config()['memory_limit']}'")
    print("school years", years, "unusable files", problems)

    def load():
        con.execute("begin transaction")
        load_school_years(con, args.input, years)
        con.execute("commit")

    _step("duo_raw_files", load)
    school_years = [school_year_of(y) for y in years]
    if not args.no_staging:
        _step(
            "stg_duo_rows",
            lambda: warehouse.run_models_each_year(con, [("staging/stg_duo_rows", None, None)], school_years),
        )
        _step(
            "stg_duo_cells",
            lambda: warehouse.run_models_over_years(con, [("staging/stg_duo_cells", None, None)], school_years),
        )
    _step("checkpoint", lambda: con.execute("checkpoint"))
    for table in ("raw_rows", "raw_cells", "stg_duo_rows", "stg_duo_cells"):
        if not (args.no_staging and table.startswith("stg_")):
            print(f"{table}: {con.execute(f'select count(*) from {table}').fetchone()[0]:,} rows")
    con.close()
    size = sum(p.stat().st_size for p in args.warehouse.parent.glob(args.warehouse.name + "*"))
    print(f"warehouse {size / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
