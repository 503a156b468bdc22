"""The linked path alone: discovery, linked_raw_files and stg_linked_records on a scratch warehouse.

    .venv/bin/python -m benchmarks.linked_load --input DIR --refs build/bench/scale-1/warehouse.duckdb \\
        --warehouse /tmp/linked/w.duckdb [--rerun] [--no-staging]

DIR holds a `linked/` folder (e.g. links to some of the national benchmark's files). A new
warehouse gets the reference tables of `--refs` (a built warehouse, read only), then the
linked files are discovered (`ingest.linked.linked_school_years`, as runner.py does), loaded
for every school year found (`load_linked_years`, the body of `linked_raw_files`) and staged
(the models of `stg_linked_records`). `--rerun` runs again on the warehouse as it is (the files
loaded before are not read again). Prints wall and CPU seconds (user + system of the process,
DuckDB's threads included) per step, and row counts. docs/performance.md, "Session 14", has
the measured figures.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import duckdb

from grensverkeer import settings, warehouse
from grensverkeer.defs.linked import run_linked_staging
from grensverkeer.ingest.linked import linked_school_years, load_linked_years
from grensverkeer.ingest.load import loaded_file_years, school_year_of

REFERENCE = ("ref_municipalities", "ref_municipality_mergers", "ref_school_locations")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _step(label: str, work):
    wall, cpu = time.perf_counter(), _cpu()
    out = work()
    print(f"{label:24s} {time.perf_counter() - wall:7.2f} s wall {_cpu() - cpu:7.2f} s CPU", flush=True)
    return out


def _staging(con: duckdb.DuckDBPyConnection, years: list[int]) -> None:
    run_linked_staging(con, [school_year_of(y) for y in years])


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
    years, problems = _step("discovery", lambda: linked_school_years(args.input, known=known, con=con))
    con.execute(f"set memory_limit = '{settings.duckdb_config()['memory_limit']}'")
    print("school years", years, "unusable files", problems)

    def load():
        con.execute("begin transaction")
        load_linked_years(con, args.input, years)
        con.execute("commit")

    _step("linked_raw_files", load)
    if not args.no_staging:
        _step("stg_linked_records", lambda: _staging(con, years))
    _step("checkpoint", lambda: con.execute("checkpoint"))
    for table in ("raw_linked_enrolments", "raw_linked_support", "stg_linked_enrolments", "rejected_rows"):
        if not (args.no_staging and table.startswith(("stg_", "rejected"))):
            print(f"{table}: {con.execute(f'select count(*) from {table}').fetchone()[0]:,} rows")
    con.close()
    size = sum(p.stat().st_size for p in args.warehouse.parent.glob(args.warehouse.name + "*"))
    print(f"warehouse {size / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
