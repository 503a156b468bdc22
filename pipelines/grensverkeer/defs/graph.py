"""Graph: flows as a directed graph per year and sector, with metrics and candidate sub-regions."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from ..graph_metrics import build_flow_graphs, graph_summary, node_metrics, write_graphml
from ..partitions import each_school_year, one_run, school_years
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
@each_school_year
def municipality_graph(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths
) -> MaterializeResult:
    year = context.partition_key
    region = paths.region()
    with duckdb.get_connection() as con:
        # the published flows: the graph's weights are the numbers the pages and exports show
        flows = con.sql(f"""select school_year, sector, origin_code, origin_name, destination_code, destination_name,
                                   students, students_low, students_high
                            from pub_flows where school_year = '{year}'""").pl()
        graphs = build_flow_graphs(flows)
        nodes = node_metrics(graphs, set(region.codes))
        summary = graph_summary(graphs, set(region.codes))
        replace_partitions(con, {"graph_node_metrics": nodes, "graph_summary": summary}, year)
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
@each_school_year
def municipality_graph_covers_region(context, duckdb: DuckDBResource, paths: ProjectPaths) -> AssetCheckResult:
    codes = paths.region().codes
    with duckdb.get_connection() as con:
        present = {
            r[0]
            for r in con.execute(
                "select code from graph_node_metrics where school_year = ? and sector = 'ALLE'", [context.partition_key]
            ).fetchall()
        }
    missing = sorted(set(codes) - present)
    return AssetCheckResult(
        passed=not missing,
        severity=AssetCheckSeverity.WARN,
        description=f"region members without pupils: {', '.join(missing)}" if missing else None,
        metadata={"missing_members": ", ".join(missing) or "none"},
    )
