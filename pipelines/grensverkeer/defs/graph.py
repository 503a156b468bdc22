"""Graph: flows as a directed graph per year and sector, with metrics and candidate sub-regions."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..graph_metrics import build_flow_graphs, communities, graph_summary, node_metrics, write_graphml
from ..partitions import one_run, school_years, step_years
from ..resources import ProjectPaths
from ..warehouse_frames import replace_partitions
from .publish import publication


@asset(
    group_name="graph",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[publication],
    description="networkx DiGraph per year and sector: weighted in/out, net flow, share staying home and "
    "seeded Louvain communities (graph_node_metrics, graph_summary); GraphML files in OUT/graph/.",
)
def municipality_graph(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths
) -> MaterializeResult:
    years = step_years(context)
    region = paths.region()
    with duckdb.get_connection() as con:
        # Set-based: the flows of every school year of the run in one read and one replace; the
        # graphs are one per (school_year, sector) as before (build_flow_graphs keys them so).
        # The published flows: the graph's weights are the numbers the pages and exports show.
        warehouse.set_school_years(con, years)
        flows = con.sql("""select school_year, sector, origin_code, origin_name, destination_code, destination_name,
                                  students, students_low, students_high
                           from pub_flows where run_years(school_year)""").pl()
        graphs = build_flow_graphs(flows)
        partitions = communities(graphs)  # once, for both tables
        nodes = node_metrics(graphs, set(region.codes), partitions=partitions)
        summary = graph_summary(graphs, set(region.codes), partitions=partitions)
        replace_partitions(con, {"graph_node_metrics": nodes, "graph_summary": summary}, years)
    files = write_graphml(graphs, paths.out_path / "graph", nodes)
    return MaterializeResult(
        metadata={
            "graphs": len(graphs),
            "graphml_files": "\n".join(str(f) for f in files),
            "communities_all_sectors": int(summary.filter(summary["sector"] == "ALLE")["n_communities"].sum() or 0),
        }
    )


@asset_check(
    asset=municipality_graph,
    description="Every region member is a node of the all-sector graph "
    "(a warning: a backfill with only some municipalities' files is legitimate).",
)
def municipality_graph_covers_region(context, duckdb: DuckDBResource, paths: ProjectPaths) -> AssetCheckResult:
    codes = sorted(paths.region().codes)
    years = step_years(context)
    with duckdb.get_connection() as con:
        # every school year of the run at once: the region members missing from each year's graph
        warehouse.set_school_years(con, years)
        missing = con.execute(
            """
            select y.school_year, list(m.code order by m.code)
            from unnest(getvariable('school_years')) as y(school_year)
            cross join unnest(?::varchar[]) as m(code)
            anti join (select school_year, code from graph_node_metrics
                       where run_years(school_year) and sector = 'ALLE') as g using (school_year, code)
            group by all order by 1
            """,
            [codes],
        ).fetchall()
    # one line per school year when the run has several, as each year's check said it
    prefix = (lambda y: f"{y}: ") if len(years) > 1 else (lambda y: "")
    return AssetCheckResult(
        passed=not missing,
        severity=AssetCheckSeverity.WARN,
        description="\n".join(f"{prefix(y)}region members without pupils: {', '.join(m)}" for y, m in missing) or None,
        metadata={"missing_members": "\n".join(f"{prefix(y)}{', '.join(m)}" for y, m in missing) or "none"},
    )
