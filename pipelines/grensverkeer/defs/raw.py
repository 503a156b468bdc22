"""Raw layer: the DUO files of the input folder, one partition (school year) at a time."""

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..ingest.load import load_school_year
from ..partitions import each_school_year, one_run, school_years
from ..resources import ProjectPaths


@asset(
    group_name="raw",
    partitions_def=school_years,
    backfill_policy=one_run,
    description="DUO files of the input folder read into raw_rows, raw_cells and raw_location_totals "
    "(values still text); unusable files go to rejected_files.",
)
@each_school_year
def duo_raw_files(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    count_year = int(context.partition_key[:4])
    with duckdb.get_connection() as con:
        warehouse.setup(con)
        if not con.execute("select count(*) from duckdb_tables() where table_name = 'ref_municipalities'").fetchall()[
            0
        ][0]:
            # A run started by the sensor on a new warehouse: staging needs the reference tables.
            warehouse.load_reference(con, paths.region())
        con.execute("begin transaction")
        result = load_school_year(con, paths.input_path, count_year)
        con.execute("commit")
        rows = con.execute("select count(*) from raw_rows where school_year = ?", [context.partition_key]).fetchall()[
            0
        ][0]
    for name, message in result.rejected:
        context.log.error(f"Rejected file {name}: {message}")
    for name, first in result.duplicates:
        context.log.warning(f"File {name} has the same content as {first}: loaded once")
    return MaterializeResult(
        metadata={
            "files_loaded": len(result.loaded),
            "files_rejected": len(result.rejected),
            "files_duplicate": len(result.duplicates),
            "rows": rows,
            "rejected": "\n".join(f"{n}: {m}" for n, m in result.rejected) or "none",
        }
    )
