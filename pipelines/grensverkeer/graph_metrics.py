"""Graph view of pupil flows: flow graphs, node metrics, communities, GraphML.

Pure functions (no Dagster, no DuckDB). The input is the municipality flow table
(one row per school year, sector, home municipality and school municipality); the
output is one directed graph per (school_year, sector) plus one per
(school_year, "ALLE") that sums all sectors, and tidy polars tables with metrics.

Conventions
-----------
* An edge ``origin -> destination`` carries ``weight`` (= ``students``, the estimate),
  ``students_low`` and ``students_high`` (bounds of the estimate; ``None`` when not
  known for some contributing flow row -- a bound is never silently summed over
  missing values).
* Pupils schooled in their own municipality are a self-loop ``A -> A``. Every metric
  below says explicitly whether it includes the self-loop.
* ``ONBEKEND`` (home municipality unknown) and ``BUITENLAND`` (lives abroad) are nodes
  with ``is_special=True``. They take part in the flow metrics but not in community
  detection (their community is null).
* Communities: Louvain (``networkx.community.louvain_communities``) on the undirected
  symmetrised graph without self-loops and without special nodes; the weight of
  ``{a, b}`` is ``w(a->b) + w(b->a)``. Nodes are relabelled to integers in sorted code
  order before running Louvain so that the result does not depend on Python's string
  hash randomisation, and the seed is fixed. Labels are 1, 2, ... ordered by
  descending community size, then by the smallest code in the community.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx
import polars as pl

__all__ = [
    "ALL_SECTORS",
    "SPECIAL_CODES",
    "SECTOR_ORDER",
    "NODE_METRICS_COLUMNS",
    "GRAPH_SUMMARY_COLUMNS",
    "build_flow_graphs",
    "node_metrics",
    "graph_summary",
    "write_graphml",
]

#: Pseudo-sector of the graph that sums all sectors of a school year.
ALL_SECTORS = "ALLE"
#: Origin codes that are not municipalities.
SPECIAL_CODES: frozenset[str] = frozenset({"ONBEKEND", "BUITENLAND"})
#: Canonical sector order used to sort outputs (unknown sectors sort after these).
SECTOR_ORDER: tuple[str, ...] = ("BO", "SBO", "SO", "VSO", "VO", "PRO", "MBO", ALL_SECTORS)

_REQUIRED_FLOW_COLUMNS = (
    "school_year",
    "sector",
    "origin_code",
    "origin_name",
    "destination_code",
    "destination_name",
    "students",
    "students_low",
    "students_high",
)

_KEY = ["school_year", "sector"]

_EDGE_SCHEMA: dict[str, pl.DataType] = {
    "school_year": pl.String,
    "sector": pl.String,
    "origin": pl.String,
    "destination": pl.String,
    "weight": pl.Float64,
    "low": pl.Int64,
    "high": pl.Int64,
}

_NODE_SCHEMA: dict[str, pl.DataType] = {
    "school_year": pl.String,
    "sector": pl.String,
    "code": pl.String,
    "name": pl.String,
    "is_special": pl.Boolean,
}

NODE_METRICS_SCHEMA: dict[str, pl.DataType] = {
    "school_year": pl.String,
    "sector": pl.String,
    "code": pl.String,
    "name": pl.String,
    "is_special": pl.Boolean,
    "in_region": pl.Boolean,
    "residents_at_school": pl.Float64,
    "residents_at_school_low": pl.Int64,
    "residents_at_school_high": pl.Int64,
    "schooled_in_own": pl.Float64,
    "schooled_in_own_low": pl.Int64,
    "schooled_in_own_high": pl.Int64,
    "schooled_elsewhere": pl.Float64,
    "schooled_elsewhere_low": pl.Int64,
    "schooled_elsewhere_high": pl.Int64,
    "incoming": pl.Float64,
    "incoming_low": pl.Int64,
    "incoming_high": pl.Int64,
    "weighted_in_degree": pl.Float64,
    "weighted_out_degree": pl.Float64,
    "net_flow": pl.Float64,
    "net_flow_low": pl.Int64,
    "net_flow_high": pl.Int64,
    "share_staying_home": pl.Float64,
    "community": pl.Int64,
    "community_size": pl.Int64,
}
NODE_METRICS_COLUMNS: tuple[str, ...] = tuple(NODE_METRICS_SCHEMA)

GRAPH_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "school_year": pl.String,
    "sector": pl.String,
    "n_nodes": pl.Int64,
    "n_edges": pl.Int64,
    "total_students": pl.Float64,
    "total_students_low": pl.Int64,
    "total_students_high": pl.Int64,
    "cross_border_students": pl.Float64,
    "cross_border_students_low": pl.Int64,
    "cross_border_students_high": pl.Int64,
    "cross_border_share": pl.Float64,
    "special_origin_students": pl.Float64,
    "modularity": pl.Float64,
    "n_communities": pl.Int64,
}
GRAPH_SUMMARY_COLUMNS: tuple[str, ...] = tuple(GRAPH_SUMMARY_SCHEMA)


# --------------------------------------------------------------------------- helpers


def _strict_sum(expr: pl.Expr) -> pl.Expr:
    """Sum that is null as soon as one summed value is null (bounds must not guess)."""
    return pl.when(expr.null_count() > 0).then(None).otherwise(expr.sum())


def _sector_rank() -> pl.Expr:
    ranks = {s: i for i, s in enumerate(SECTOR_ORDER)}
    return pl.col("sector").replace_strict(ranks, default=len(SECTOR_ORDER), return_dtype=pl.Int64)


def _sort_keyed(df: pl.DataFrame, *extra: str) -> pl.DataFrame:
    return (
        df.with_columns(_sector_rank().alias("__rank")).sort(["school_year", "__rank", "sector", *extra]).drop("__rank")
    )


def _sorted_keys(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    ranks = {s: i for i, s in enumerate(SECTOR_ORDER)}
    return sorted(keys, key=lambda k: (k[0], ranks.get(k[1], len(SECTOR_ORDER)), k[1]))


def _validate_flows(flows: pl.DataFrame) -> None:
    missing = [c for c in _REQUIRED_FLOW_COLUMNS if c not in flows.columns]
    if missing:
        raise ValueError(f"flows is missing columns: {missing}")
    not_null = ["school_year", "sector", "origin_code", "destination_code", "students"]
    nulls = flows.select(pl.col(c).null_count() for c in not_null).row(0, named=True)
    bad = {c: n for c, n in nulls.items() if n}
    if bad:
        raise ValueError(f"flows has nulls in key/estimate columns: {bad}")
    if flows.filter(pl.col("sector") == ALL_SECTORS).height:
        raise ValueError(f"sector {ALL_SECTORS!r} is reserved for the all-sector graph")
    if flows.filter(pl.col("students") < 0).height:
        raise ValueError("flows has negative students")
    if flows.filter(pl.col("destination_code").is_in(list(SPECIAL_CODES))).height:
        raise ValueError("destination_code must be a municipality, not ONBEKEND/BUITENLAND")


def _edges_frame(graphs: Mapping[tuple[str, str], nx.DiGraph]) -> pl.DataFrame:
    """All edges of all graphs as one table (read through the networkx edge API)."""
    parts = []
    for (year, sector), g in graphs.items():
        rows = list(g.edges(data=True))
        parts.append(
            pl.DataFrame(
                {
                    "school_year": [year] * len(rows),
                    "sector": [sector] * len(rows),
                    "origin": [u for u, _, _ in rows],
                    "destination": [v for _, v, _ in rows],
                    "weight": [d.get("weight", 0.0) for _, _, d in rows],
                    "low": [d.get("students_low") for _, _, d in rows],
                    "high": [d.get("students_high") for _, _, d in rows],
                },
                schema=_EDGE_SCHEMA,
            )
        )
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=_EDGE_SCHEMA)
    return frame.with_columns((pl.col("origin") == pl.col("destination")).alias("is_self"))


def _nodes_frame(graphs: Mapping[tuple[str, str], nx.DiGraph]) -> pl.DataFrame:
    parts = []
    for (year, sector), g in graphs.items():
        rows = list(g.nodes(data=True))
        parts.append(
            pl.DataFrame(
                {
                    "school_year": [year] * len(rows),
                    "sector": [sector] * len(rows),
                    "code": [str(n) for n, _ in rows],
                    "name": [d.get("name") for _, d in rows],
                    "is_special": [d.get("is_special", n in SPECIAL_CODES) for n, d in rows],
                },
                schema=_NODE_SCHEMA,
            )
        )
    if not parts:
        return pl.DataFrame(schema=_NODE_SCHEMA)
    return pl.concat(parts)


def _keys_frame(graphs: Mapping[tuple[str, str], nx.DiGraph]) -> pl.DataFrame:
    keys = list(graphs)
    return pl.DataFrame(
        {"school_year": [k[0] for k in keys], "sector": [k[1] for k in keys]},
        schema={"school_year": pl.String, "sector": pl.String},
    )


def communities(graphs: Mapping[tuple[str, str], nx.DiGraph], seed: int = 42) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Louvain communities per graph (node_metrics and graph_summary take them as `partitions`,
    so that a caller of both finds them once: Louvain is a quarter of the national graph step).

    Returns (membership: school_year, sector, code, community, community_size;
             per_graph: school_year, sector, modularity, n_communities).
    """
    edges = _edges_frame(graphs)
    nodes = _nodes_frame(graphs)
    special = list(SPECIAL_CODES)

    sym = (
        edges.filter(~pl.col("is_self") & ~pl.col("origin").is_in(special) & ~pl.col("destination").is_in(special))
        .with_columns(
            pl.when(pl.col("origin") < pl.col("destination"))
            .then(pl.col("origin"))
            .otherwise(pl.col("destination"))
            .alias("a"),
            pl.when(pl.col("origin") < pl.col("destination"))
            .then(pl.col("destination"))
            .otherwise(pl.col("origin"))
            .alias("b"),
        )
        .group_by([*_KEY, "a", "b"])
        .agg(pl.col("weight").sum())
        # zero-weight pairs carry no information and make modularity undefined
        .filter(pl.col("weight") > 0)
        .sort([*_KEY, "a", "b"])
    )
    community_nodes = nodes.filter(~pl.col("code").is_in(special)).sort([*_KEY, "code"])

    sym_by_key = sym.partition_by(_KEY, as_dict=True, maintain_order=True)
    nodes_by_key = community_nodes.partition_by(_KEY, as_dict=True, maintain_order=True)

    membership_parts: list[pl.DataFrame] = []
    summary_rows: dict[str, list] = {"school_year": [], "sector": [], "modularity": [], "n_communities": []}
    for key in _sorted_keys(graphs):
        codes = nodes_by_key[key]["code"].to_list() if key in nodes_by_key else []
        index = {c: i for i, c in enumerate(codes)}  # codes are sorted
        h = nx.Graph()
        h.add_nodes_from(range(len(codes)))
        if key in sym_by_key:
            part = sym_by_key[key]
            h.add_weighted_edges_from(
                zip(
                    part["a"].replace_strict(index, return_dtype=pl.Int64).to_list(),
                    part["b"].replace_strict(index, return_dtype=pl.Int64).to_list(),
                    part["weight"].to_list(),
                )
            )
        if h.number_of_nodes():
            communities = nx.community.louvain_communities(h, weight="weight", seed=seed)
        else:
            communities = []
        # stable labels: largest first, ties by smallest code (= smallest index)
        communities = sorted((sorted(c) for c in communities), key=lambda c: (-len(c), c[0]))
        modularity = nx.community.modularity(h, communities, weight="weight") if h.size(weight="weight") > 0 else None
        label = [0] * len(codes)
        size = [0] * len(codes)
        for lab, members in enumerate(communities, start=1):
            for i in members:
                label[i] = lab
                size[i] = len(members)
        membership_parts.append(
            pl.DataFrame(
                {
                    "school_year": [key[0]] * len(codes),
                    "sector": [key[1]] * len(codes),
                    "code": codes,
                    "community": label,
                    "community_size": size,
                },
                schema={
                    "school_year": pl.String,
                    "sector": pl.String,
                    "code": pl.String,
                    "community": pl.Int64,
                    "community_size": pl.Int64,
                },
            )
        )
        summary_rows["school_year"].append(key[0])
        summary_rows["sector"].append(key[1])
        summary_rows["modularity"].append(modularity)
        summary_rows["n_communities"].append(len(communities))

    membership_schema = {
        "school_year": pl.String,
        "sector": pl.String,
        "code": pl.String,
        "community": pl.Int64,
        "community_size": pl.Int64,
    }
    membership = pl.concat(membership_parts) if membership_parts else pl.DataFrame(schema=membership_schema)
    per_graph = pl.DataFrame(
        summary_rows,
        schema={
            "school_year": pl.String,
            "sector": pl.String,
            "modularity": pl.Float64,
            "n_communities": pl.Int64,
        },
    )
    return membership, per_graph


# --------------------------------------------------------------------------- public API


def build_flow_graphs(flows: pl.DataFrame) -> dict[tuple[str, str], nx.DiGraph]:
    """One DiGraph per (school_year, sector) and per (school_year, "ALLE").

    Duplicate (school_year, sector, origin, destination) rows are summed. Nodes are
    added in sorted code order, edges in sorted (origin, destination) order.
    """
    _validate_flows(flows)
    f = flows.select(
        pl.col("school_year").cast(pl.String),
        pl.col("sector").cast(pl.String),
        pl.col("origin_code").cast(pl.String).alias("origin"),
        pl.col("origin_name").cast(pl.String),
        pl.col("destination_code").cast(pl.String).alias("destination"),
        pl.col("destination_name").cast(pl.String),
        pl.col("students").cast(pl.Float64),
        pl.col("students_low").cast(pl.Int64),
        pl.col("students_high").cast(pl.Int64),
    )
    f = pl.concat([f, f.with_columns(pl.lit(ALL_SECTORS).alias("sector"))])

    edges = (
        f.group_by([*_KEY, "origin", "destination"])
        .agg(
            pl.col("students").sum().alias("weight"),
            _strict_sum(pl.col("students_low")).alias("low"),
            _strict_sum(pl.col("students_high")).alias("high"),
        )
        .sort([*_KEY, "origin", "destination"])
    )
    nodes = (
        pl.concat(
            [
                f.select(*_KEY, pl.col("origin").alias("code"), pl.col("origin_name").alias("name")),
                f.select(
                    *_KEY,
                    pl.col("destination").alias("code"),
                    pl.col("destination_name").alias("name"),
                ),
            ]
        )
        .group_by([*_KEY, "code"])
        .agg(pl.col("name").min())  # deterministic if a code carries several spellings
        .with_columns(pl.col("code").is_in(list(SPECIAL_CODES)).alias("is_special"))
        .sort([*_KEY, "code"])
    )

    edges_by_key = edges.partition_by(_KEY, as_dict=True, maintain_order=True)
    nodes_by_key = nodes.partition_by(_KEY, as_dict=True, maintain_order=True)

    graphs: dict[tuple[str, str], nx.DiGraph] = {}
    for key in _sorted_keys(nodes_by_key):
        g = nx.DiGraph(school_year=key[0], sector=key[1])
        n = nodes_by_key[key]
        g.add_nodes_from(
            (code, {"name": name, "is_special": special})
            for code, name, special in n.select("code", "name", "is_special").iter_rows()
        )
        e = edges_by_key[key]
        g.add_edges_from(
            (o, d, {"weight": w, "students_low": lo, "students_high": hi})
            for o, d, w, lo, hi in e.select("origin", "destination", "weight", "low", "high").iter_rows()
        )
        graphs[key] = g
    return graphs


def node_metrics(
    graphs: Mapping[tuple[str, str], nx.DiGraph],
    region_codes: set[str],
    seed: int = 42,
    partitions: tuple[pl.DataFrame, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """One row per (school_year, sector, code); columns in ``NODE_METRICS_COLUMNS``.

    * residents_at_school: sum of out-edges including the self-loop (pupils living here)
    * schooled_in_own: self-loop weight; schooled_elsewhere: out-edges to other nodes
    * incoming: in-edges from other nodes (pupils from elsewhere schooled here)
    * weighted_in_degree = incoming, weighted_out_degree = schooled_elsewhere
      (both without the self-loop)
    * net_flow = incoming - schooled_elsewhere
    * share_staying_home = schooled_in_own / residents_at_school (null when 0, and
      null for ONBEKEND/BUITENLAND, which have no "own" municipality to stay in)
    * *_low / *_high: sums of edge bounds (null if a contributing bound is unknown);
      net_flow_low = incoming_low - schooled_elsewhere_high and vice versa.
    * community / community_size: see module docstring; null for ONBEKEND/BUITENLAND.
    """
    edges = _edges_frame(graphs)
    nodes = _nodes_frame(graphs)

    def out_sums(name: str, mask: pl.Expr | None) -> list[pl.Expr]:
        w, lo, hi = pl.col("weight"), pl.col("low"), pl.col("high")
        if mask is not None:
            w, lo, hi = w.filter(mask), lo.filter(mask), hi.filter(mask)
        return [
            w.sum().alias(name),
            _strict_sum(lo).alias(f"{name}_low"),
            _strict_sum(hi).alias(f"{name}_high"),
        ]

    out = (
        edges.group_by([*_KEY, pl.col("origin").alias("code")])
        .agg(
            *out_sums("residents_at_school", None),
            *out_sums("schooled_in_own", pl.col("is_self")),
            *out_sums("schooled_elsewhere", ~pl.col("is_self")),
        )
        .with_columns(pl.lit(True).alias("__has_out"))
    )
    inc = (
        edges.filter(~pl.col("is_self"))
        .group_by([*_KEY, pl.col("destination").alias("code")])
        .agg(*out_sums("incoming", None))
        .with_columns(pl.lit(True).alias("__has_in"))
    )
    membership, _ = partitions or communities(graphs, seed)

    out_cols = [
        f"{m}{s}"
        for m in ("residents_at_school", "schooled_in_own", "schooled_elsewhere")
        for s in ("", "_low", "_high")
    ]
    in_cols = [f"incoming{s}" for s in ("", "_low", "_high")]

    def absent_is_zero(cols: list[str], flag: str) -> list[pl.Expr]:
        # a node without any out-/in-edges has 0 there; a null bound from a real
        # edge with unknown bound stays null
        return [pl.when(pl.col(flag).is_null()).then(pl.lit(0)).otherwise(pl.col(c)).alias(c) for c in cols]

    df = (
        nodes.join(out, on=[*_KEY, "code"], how="left")
        .join(inc, on=[*_KEY, "code"], how="left")
        .join(membership, on=[*_KEY, "code"], how="left")
        .with_columns(*absent_is_zero(out_cols, "__has_out"), *absent_is_zero(in_cols, "__has_in"))
        .with_columns(
            pl.col("code").is_in(list(region_codes)).alias("in_region"),
            pl.col("incoming").alias("weighted_in_degree"),
            pl.col("schooled_elsewhere").alias("weighted_out_degree"),
            (pl.col("incoming") - pl.col("schooled_elsewhere")).alias("net_flow"),
            (pl.col("incoming_low") - pl.col("schooled_elsewhere_high")).alias("net_flow_low"),
            (pl.col("incoming_high") - pl.col("schooled_elsewhere_low")).alias("net_flow_high"),
            pl.when((pl.col("residents_at_school") > 0) & ~pl.col("is_special"))
            .then(pl.col("schooled_in_own") / pl.col("residents_at_school"))
            .otherwise(None)
            .alias("share_staying_home"),
        )
        .select(pl.col(c).cast(t) for c, t in NODE_METRICS_SCHEMA.items())
    )
    return _sort_keyed(df, "code")


def graph_summary(
    graphs: Mapping[tuple[str, str], nx.DiGraph],
    region_codes: set[str],
    seed: int = 42,
    partitions: tuple[pl.DataFrame, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """One row per (school_year, sector); columns in ``GRAPH_SUMMARY_COLUMNS``.

    * n_nodes: all nodes incl. ONBEKEND/BUITENLAND; n_edges: edges without self-loops
    * total_students: all edge weights incl. self-loops
    * cross_border_students: edges with origin != destination (this includes pupils
      from ONBEKEND/BUITENLAND, which are also reported as special_origin_students)
    * cross_border_share = cross_border_students / total_students (null when 0)
    * modularity / n_communities: of the Louvain partition used in ``node_metrics``
      (modularity null when the community graph has no weighted edges)

    ``region_codes`` is accepted for signature symmetry with ``node_metrics``; the
    summary describes the whole graph as built from the flow table.
    """
    del region_codes  # the summary covers every node of the graph
    edges = _edges_frame(graphs)
    keys = _keys_frame(graphs)
    counts = pl.DataFrame(
        {
            "school_year": keys["school_year"],
            "sector": keys["sector"],
            "n_nodes": [graphs[k].number_of_nodes() for k in graphs],
        },
        schema={"school_year": pl.String, "sector": pl.String, "n_nodes": pl.Int64},
    )
    cross = ~pl.col("is_self")
    special_origin = pl.col("origin").is_in(list(SPECIAL_CODES))
    sums = edges.group_by(_KEY).agg(
        cross.sum().cast(pl.Int64).alias("n_edges"),
        pl.col("weight").sum().alias("total_students"),
        _strict_sum(pl.col("low")).alias("total_students_low"),
        _strict_sum(pl.col("high")).alias("total_students_high"),
        pl.col("weight").filter(cross).sum().alias("cross_border_students"),
        _strict_sum(pl.col("low").filter(cross)).alias("cross_border_students_low"),
        _strict_sum(pl.col("high").filter(cross)).alias("cross_border_students_high"),
        pl.col("weight").filter(special_origin).sum().alias("special_origin_students"),
    )
    _, per_graph = partitions or communities(graphs, seed)
    zero_if_absent = [
        "n_edges",
        "total_students",
        "total_students_low",
        "total_students_high",
        "cross_border_students",
        "cross_border_students_low",
        "cross_border_students_high",
        "special_origin_students",
    ]
    df = (
        counts.join(sums.with_columns(pl.lit(True).alias("__has")), on=_KEY, how="left")
        .join(per_graph, on=_KEY, how="left")
        .with_columns(
            pl.when(pl.col("__has").is_null()).then(pl.lit(0)).otherwise(pl.col(c)).alias(c) for c in zero_if_absent
        )
        .with_columns(
            pl.when(pl.col("total_students") > 0)
            .then(pl.col("cross_border_students") / pl.col("total_students"))
            .otherwise(None)
            .alias("cross_border_share")
        )
        .select(pl.col(c).cast(t) for c, t in GRAPH_SUMMARY_SCHEMA.items())
    )
    return _sort_keyed(df)


def write_graphml(
    graphs: Mapping[tuple[str, str], nx.DiGraph],
    out_dir: Path,
    node_metrics: pl.DataFrame | None = None,
) -> list[Path]:
    """Write ``out_dir/<school_year>/<sector>.graphml`` per graph; return the paths.

    Nodes are written in sorted code order and edges in sorted (origin, destination)
    order, so the same graphs give byte-identical files. Node attributes: name,
    is_special and, when ``node_metrics`` is given, every metric column of that
    node's row (community, in_region, flows, ...). Null values are left out (GraphML
    has no null), e.g. community for ONBEKEND/BUITENLAND.
    """
    out_dir = Path(out_dir)
    metrics_by_key: dict[tuple[str, str], dict[str, dict]] = {}
    if node_metrics is not None and node_metrics.height:
        metric_cols = [
            c for c in node_metrics.columns if c not in ("school_year", "sector", "code", "name", "is_special")
        ]
        for key, part in node_metrics.partition_by(_KEY, as_dict=True, maintain_order=True).items():
            metrics_by_key[(str(key[0]), str(key[1]))] = {
                row["code"]: {c: row[c] for c in metric_cols}
                for row in part.select("code", *metric_cols).iter_rows(named=True)
            }

    paths: list[Path] = []
    for key in _sorted_keys(graphs):
        g = graphs[key]
        year, sector = key
        node_extra = metrics_by_key.get(key, {})
        h = nx.DiGraph()
        h.graph.update({"school_year": year, "sector": sector})
        for code in sorted(g.nodes, key=str):
            attrs = {"name": g.nodes[code].get("name"), "is_special": g.nodes[code].get("is_special")}
            attrs.update(node_extra.get(code, {}))
            h.add_node(code, **{k: v for k, v in attrs.items() if v is not None})
        for u, v in sorted(g.edges, key=lambda e: (str(e[0]), str(e[1]))):
            d = g.edges[u, v]
            attrs = {
                "weight": d.get("weight"),
                "students_low": d.get("students_low"),
                "students_high": d.get("students_high"),
            }
            h.add_edge(u, v, **{k: val for k, val in attrs.items() if val is not None})
        path = out_dir / str(year) / f"{sector}.graphml"
        path.parent.mkdir(parents=True, exist_ok=True)
        nx.write_graphml(h, path)
        paths.append(path)
    return paths
