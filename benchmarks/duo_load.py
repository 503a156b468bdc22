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

from grensverkeer import warehouse
from grensverkeer.ingest.load import discover_input, load_school_years, school_year_of

from .load_path import InputPath, main


def _stage(con, years: list[int], step) -> None:
    school_years = [school_year_of(y) for y in years]
    step(
        "stg_duo_rows",
        lambda: warehouse.run_models_each_year(con, [("staging/stg_duo_rows", None, None)], school_years),
    )
    step(
        "stg_duo_cells",
        lambda: warehouse.run_models_over_years(con, [("staging/stg_duo_cells", None, None)], school_years),
    )


DUO = InputPath(
    reference=("ref_municipalities", "ref_municipality_mergers", "ref_school_locations", "ref_municipality_names"),
    discover=discover_input,
    load_step="duo_raw_files",
    load=load_school_years,
    stage=_stage,
    counted=("raw_rows", "raw_cells", "stg_duo_rows", "stg_duo_cells"),
)

if __name__ == "__main__":
    main(DUO, __doc__.splitlines()[0])
