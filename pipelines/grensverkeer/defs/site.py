"""The dashboards as a Dagster asset: OUT/site/ from every school year in the warehouse (templates: dashboards/)."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..resources import ProjectPaths
from ..site import build_site
from .graph import municipality_graph
from .publish import publication
from .reference import reference_tables
from .support import agreement_needs, municipality_support_profile, school_coordination_load, support_flows


@asset(
    group_name="dashboards",
    deps=[
        reference_tables,
        publication,
        support_flows,
        agreement_needs,
        school_coordination_load,
        municipality_support_profile,
        municipality_graph,  # the map page's candidate sub-regions
    ],
    description="OUT/site/: the Dutch dashboard site (offline, one local plotly.min.js); every number through "
    "disclosure control (docs/site.md).",
)
def dashboards(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    with duckdb.get_connection() as con, warehouse.checkpoint_meanwhile(con):
        files = build_site(con, paths.out_path, paths.region(), paths.disclosure())
    return MaterializeResult(metadata={"folder": str(paths.out_path / "site"), "files": len(files)})


@asset_check(
    asset=dashboards,
    blocking=True,
    description="Reads the site's data files and every year's export folder as written, and attacks them "
    "together (site cell = export cell, need levels with their thresholds, school counts, manifest totals, "
    "DUO's public figures as known): no private count may be pinned to one value.",
)
def published_files_safe(context, duckdb: DuckDBResource, paths: ProjectPaths) -> AssetCheckResult:
    from ..disclosure import check_published
    from ..joint import read_published_year
    from ..site.publish import years_in

    with duckdb.get_connection() as con:
        years = years_in(con)
    problems = []
    for year in years:
        published, relations = read_published_year(paths.out_path, year)
        problems += [f"{year}: {p}" for p in check_published(published, relations, paths.disclosure())]
    return AssetCheckResult(
        passed=not problems, metadata={"years": ", ".join(years), "problems": "\n".join(problems[:50]) or "none"}
    )
