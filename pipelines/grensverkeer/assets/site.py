"""The dashboard site as a Dagster asset: OUT/site/ from every school year in the warehouse."""


from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from ..resources import ProjectPaths
from ..site import build_site
from .publish import publication
from .support import agreement_needs, municipality_support_profile, school_coordination_load, support_flows


@asset(group_name="site",
       deps=[publication, support_flows, agreement_needs, school_coordination_load,
             municipality_support_profile],
       description="OUT/site/: the Dutch dashboard site (offline, one local plotly.min.js); every number through "
       "disclosure control (docs/site.md).")
def dashboard_site(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    with duckdb.get_connection() as con:
        files = build_site(con, paths.out_path, paths.region(), paths.disclosure())
    return MaterializeResult(metadata={"folder": str(paths.out_path / "site"), "files": len(files)})
