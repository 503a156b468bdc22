"""Reference data: municipalities, their name variants and mergers, school locations, region."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..resources import ProjectPaths


@asset(group_name="reference", description="Reference tables (ref_*) from data/reference and the region config.")
def reference_tables(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    region = paths.region()
    with duckdb.get_connection() as con:
        warehouse.setup(con)
        counts = warehouse.load_reference(con, region)
    context.log.info(f"Reference tables loaded: {counts}")
    return MaterializeResult(metadata={**counts, "region": region.name})


@asset_check(
    asset=reference_tables, blocking=True, description="Region members are known municipalities; codes well formed."
)
def reference_tables_valid(duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        municipalities = run_suite(
            con,
            "select * from ref_municipalities",
            [
                e.ExpectTableRowCountToBeBetween(min_value=300, max_value=400),
                e.ExpectColumnValuesToMatchRegex(column="code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToBeUnique(column="code"),
            ],
            "ref_municipalities",
        )
        members = run_suite(
            con,
            """
            select r.code, m.code as known_code from ref_region_members r left join ref_municipalities m using (code)
        """,
            [e.ExpectColumnValuesToNotBeNull(column="known_code")],
            "ref_region_members",
        )
        names = run_suite(
            con,
            """
            select name_key, codes from ref_municipality_names
        """,
            [e.ExpectColumnValuesToBeBetween(column="codes", min_value=1, max_value=1)],
            "ref_municipality_names",
        )
    failed = municipalities.failed + members.failed + names.failed
    return AssetCheckResult(
        passed=not failed,
        description="Unknown region member or ambiguous name variant" if failed else None,
        metadata={"failures": "\n".join(failed) or "none"},
    )
