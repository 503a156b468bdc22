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

from grensverkeer.defs.linked import run_linked_staging
from grensverkeer.ingest.linked import linked_school_years, load_linked_years
from grensverkeer.ingest.load import school_year_of

from .load_path import InputPath, main


def _stage(con, years: list[int], step) -> None:
    step("stg_linked_records", lambda: run_linked_staging(con, [school_year_of(y) for y in years]))


LINKED = InputPath(
    reference=("ref_municipalities", "ref_municipality_mergers", "ref_school_locations"),
    discover=linked_school_years,
    load_step="linked_raw_files",
    load=load_linked_years,
    stage=_stage,
    counted=("raw_linked_enrolments", "raw_linked_support", "stg_linked_enrolments", "rejected_rows"),
)

if __name__ == "__main__":
    main(LINKED, __doc__.splitlines()[0])
