"""Raw layer: the DUO files of the input folder, every school year of the run at once."""

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..ingest.load import load_school_years
from ..partitions import one_run, school_years, step_years
from ..resources import ProjectPaths


@asset(
    group_name="raw",
    partitions_def=school_years,
    backfill_policy=one_run,
    description="DUO files of the input folder read into raw_rows, raw_cells and raw_location_totals "
    "(values still text); unusable files go to rejected_files.",
)
def duo_raw_files(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    years = step_years(context)
    with duckdb.get_connection() as con:
        warehouse.setup(con)
        if not con.execute("select count(*) from duckdb_tables() where table_name = 'ref_municipalities'").fetchall()[
            0
        ][0]:
            # A run started by the sensor on a new warehouse: staging needs the reference tables.
            warehouse.load_reference(con, paths.region())
        # Set-based: the folder is read once and every school year of the run is loaded at once,
        # in one transaction: a row per file and year in duo_loaded (the pupil rows were written
        # once, when the file was parsed), the location totals copied in one statement.
        con.execute("begin transaction")
        results = load_school_years(con, paths.input_path, [int(year[:4]) for year in years])
        con.execute("commit")
        warehouse.set_school_years(con, years)
        rows = con.execute("select count(*) from raw_rows where run_years(school_year)").fetchall()[0][0]
    # Files, not files per year: a file rejected or loaded once is said once.
    loaded = dict.fromkeys(name for r in results.values() for name in r.loaded)
    rejected = dict(item for r in results.values() for item in r.rejected)
    duplicates = dict(item for r in results.values() for item in r.duplicates)
    for name, message in rejected.items():
        context.log.error(f"Rejected file {name}: {message}")
    for name, first in duplicates.items():
        context.log.warning(f"File {name} has the same content as {first}: loaded once")
    return MaterializeResult(
        metadata={
            "files_loaded": len(loaded),
            "files_rejected": len(rejected),
            "files_duplicate": len(duplicates),
            "rows": rows,
            "rejected": "\n".join(f"{n}: {m}" for n, m in rejected.items()) or "none",
        }
    )
