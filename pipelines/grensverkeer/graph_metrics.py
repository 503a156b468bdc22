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


def _nodes_frame(
    graphs: Mapping[tuple[str, str], nx.DiGraph], keys: list[tuple[str, str]] | None = None, *, stored: bool = False
) -> pl.DataFrame:
    """All nodes of the graphs `keys` (default: all) as one table (read through the networkx node
    API). stored=True: `is_special` as the node stores it (None where absent: write_graphml leaves
    it out), else defaulted from SPECIAL_CODES."""
    parts = []
    for year, sector in keys if keys is not None else graphs:
        rows = list(graphs[(year, sector)].nodes(data=True))
        parts.append(
            pl.DataFrame(
                {
                    "school_year": [str(year)] * len(rows),
                    "sector": [str(sector)] * len(rows),
                    "code": [str(n) for n, _ in rows],
                    "name": [d.get("name") for _, d in rows],
                    "is_special": [d.get("is_special", None if stored else n in SPECIAL_CODES) for n, d in rows],
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


_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'
)
#: GraphML attr.type of a Python value as networkx's writer names it.
_PY_XML_TYPE = {bool: "boolean", int: "long", float: "double", str: "string"}


def _xml_type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "long"
    if dtype.is_float():
        return "double"
    if dtype == pl.String:
        return "string"
    raise ValueError(f"GraphML attributes must be bool, int, float or str, not {dtype}")


def _xml_text(e: pl.Expr) -> pl.Expr:
    """Element text escaped as xml.etree writes it (&, <, >)."""
    for raw, esc in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        e = e.str.replace_all(raw, esc, literal=True)
    return e


def _xml_attr(e: pl.Expr) -> pl.Expr:
    """Attribute value escaped as xml.etree writes it (also quotes, CR, LF and tab)."""
    e = _xml_text(e)
    for raw, esc in (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;")):
        e = e.str.replace_all(raw, esc, literal=True)
    return e


def _py_float_text(e: pl.Expr) -> pl.Expr:
    """Float64 as Python's str() writes it (what networkx's writer puts in the file).

    Polars' shortest round-trip text equals Python's repr except for NaN ("NaN") and for
    0 < |x| < 1e-4, where Python writes d.ddde-XX (two-digit exponent) and Polars either a
    plain decimal (0.00001) or a one-digit exponent (3e-9).
    """
    s = e.cast(pl.String)
    dec = s.str.extract_groups(r"^(-?)0\.(0*)([1-9])(\d*)$")
    sci = s.str.extract_groups(r"^(-?[0-9.]+)e-(\d+)$")
    from_dec = pl.concat_str(
        dec.struct[0],
        dec.struct[2],
        pl.when(dec.struct[3] != "").then(pl.concat_str(pl.lit("."), dec.struct[3])).otherwise(pl.lit("")),
        pl.lit("e-"),
        (dec.struct[1].str.len_chars() + 1).cast(pl.String).str.zfill(2),
    )
    from_sci = pl.concat_str(sci.struct[0], pl.lit("e-"), sci.struct[1].str.zfill(2))
    return (
        pl.when(e.is_nan())
        .then(pl.lit("nan"))
        .when((e.abs() < 1e-4) & (e != 0))
        .then(pl.coalesce(from_dec, from_sci))
        .otherwise(s)
    )


def _value_text(name: str, dtype: pl.DataType) -> pl.Expr:
    c = pl.col(name)
    kind = _xml_type(dtype)
    if kind == "boolean":
        return pl.when(c).then(pl.lit("True")).when(~c).then(pl.lit("False"))
    if kind == "long":
        return c.cast(pl.Int64).cast(pl.String)
    if kind == "double":
        return _py_float_text(c.cast(pl.Float64))
    return _xml_text(c)


def _graphml_elements(frame: pl.DataFrame, attrs: list[str], tag: str, ident: list[pl.Expr]) -> pl.DataFrame:
    """One text block per node/edge row: `<tag ...>` with one `<data>` line per non-null
    attribute; the key ids come from the row's `__k_<attr>` columns (per graph)."""
    indent = "\n      "
    pieces = []
    for a in attrs:
        v = pl.col(f"__v_{a}")
        k = pl.col(f"__k_{a}")
        pieces.append(
            pl.when(v == "")  # xml.etree writes an empty text as an empty element
            .then(pl.concat_str(pl.lit(f'{indent}<data key="'), k, pl.lit('" />')))
            .otherwise(pl.concat_str(pl.lit(f'{indent}<data key="'), k, pl.lit('">'), v, pl.lit("</data>")))
        )
    body = pl.concat_str(pieces, ignore_nulls=True) if pieces else pl.lit("")
    open_tag = pl.concat_str(pl.lit(f"    <{tag} "), *ident)
    return frame.select(
        *_KEY,
        "__idx",
        pl.when(body == "")
        .then(pl.concat_str(open_tag, pl.lit(" />")))
        .otherwise(pl.concat_str(open_tag, pl.lit(">"), body, pl.lit(f"\n    </{tag}>")))
        .alias("text"),
    )


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

    The text is built set-based (polars string expressions per node and edge row, one
    join of the metrics to the nodes, one write per file) and is byte for byte what
    ``nx.write_graphml`` (xml.etree, pretty-printed) writes for these graphs: key ids
    d0, d1, ... in the order networkx meets the attributes (graph, then nodes, then
    edges), keys listed last id first, the graph's data after its edges, floats as
    Python's str(), names escaped as xml.etree escapes them.
    """
    out_dir = Path(out_dir)
    keys = _sorted_keys(graphs)
    metrics_by_year: dict[str, pl.DataFrame] = {}
    if node_metrics is not None and node_metrics.height:
        nm = node_metrics.with_columns(pl.col("school_year").cast(pl.String))
        metrics_by_year = {str(y[0]): part for y, part in nm.partition_by("school_year", as_dict=True).items()}
    paths: list[Path] = []
    # one school year at a time: set-based within the year, and the text of one year
    # (~4 MB nationally) rather than of all years in memory at once
    for year in dict.fromkeys(str(k[0]) for k in keys):
        year_keys = [k for k in keys if str(k[0]) == year]
        paths += _write_graphml_files(graphs, year_keys, out_dir, metrics_by_year.get(year))
    return paths


def _write_graphml_files(
    graphs: Mapping[tuple[str, str], nx.DiGraph],
    keys: list[tuple[str, str]],
    out_dir: Path,
    node_metrics: pl.DataFrame | None,
) -> list[Path]:
    """write_graphml for the graphs ``keys`` (in that order)."""
    # nodes and edges of every graph, read through the networkx API like _nodes_frame
    edge_parts = []
    for key in keys:
        g = graphs[key]
        year, sector = str(key[0]), str(key[1])
        edges = list(g.edges(data=True))
        edge_parts.append(
            pl.DataFrame(
                {
                    "school_year": [year] * len(edges),
                    "sector": [sector] * len(edges),
                    "origin": [str(u) for u, _, _ in edges],
                    "destination": [str(v) for _, v, _ in edges],
                    "weight": [d.get("weight") for _, _, d in edges],
                    "students_low": [d.get("students_low") for _, _, d in edges],
                    "students_high": [d.get("students_high") for _, _, d in edges],
                },
                schema={
                    "school_year": pl.String,
                    "sector": pl.String,
                    "origin": pl.String,
                    "destination": pl.String,
                    "weight": pl.Float64,
                    "students_low": pl.Int64,
                    "students_high": pl.Int64,
                },
            )
        )
    nodes = _nodes_frame(graphs, keys, stored=True).sort([*_KEY, "code"])
    edges = pl.concat(edge_parts).sort([*_KEY, "origin", "destination"])

    node_attrs = ["name", "is_special"]
    if node_metrics is not None and node_metrics.height:
        metric_cols = [
            c for c in node_metrics.columns if c not in ("school_year", "sector", "code", "name", "is_special")
        ]
        metrics = (
            node_metrics.select(
                pl.col("school_year").cast(pl.String),
                pl.col("sector").cast(pl.String),
                pl.col("code").cast(pl.String),
                *metric_cols,
            )
            # a code listed twice: the last row wins, as the dict of rows did
            .unique([*_KEY, "code"], keep="last", maintain_order=True)
            .select(*_KEY, "code", *(pl.col(c).alias(f"__m_{c}") for c in metric_cols))
        )
        nodes = nodes.join(metrics, on=[*_KEY, "code"], how="left", maintain_order="left").rename(
            {f"__m_{c}": c for c in metric_cols}
        )
        node_attrs += metric_cols
    edge_attrs = ["weight", "students_low", "students_high"]
    # an all-null column has no type; it is left out everywhere, as its values are
    node_attrs = [a for a in node_attrs if nodes[a].dtype != pl.Null]
    types = {("node", a): _xml_type(nodes[a].dtype) for a in node_attrs}
    types |= {("edge", a): _xml_type(edges[a].dtype) for a in edge_attrs}
    nodes = nodes.with_columns(pl.int_range(pl.len()).over(_KEY).alias("__idx"))
    edges = edges.with_columns(pl.int_range(pl.len()).over(_KEY).alias("__idx"))

    # key ids: networkx numbers a key when it first meets the attribute, graph first
    # (school_year d0, sector d1), then node by node and edge by edge, attributes in order
    def first_seen(frame: pl.DataFrame, attrs: list[str], scope: str, scope_rank: int) -> pl.DataFrame:
        return (
            frame.group_by(_KEY)
            .agg(pl.col("__idx").filter(pl.col(a).is_not_null()).min().alias(a) for a in attrs)
            .unpivot(index=_KEY, variable_name="attr", value_name="first")
            .drop_nulls("first")
            .with_columns(
                pl.lit(scope).alias("scope"),
                pl.lit(scope_rank).alias("scope_rank"),
                pl.col("attr").replace_strict({a: i for i, a in enumerate(attrs)}, return_dtype=pl.Int64).alias("pos"),
            )
        )

    graph_rows = pl.DataFrame(
        {
            "school_year": [str(k[0]) for k in keys for _ in range(2)],
            "sector": [str(k[1]) for k in keys for _ in range(2)],
            "attr": ["school_year", "sector"] * len(keys),
            "first": [0] * (2 * len(keys)),
            "scope": ["graph"] * (2 * len(keys)),
            "scope_rank": [0] * (2 * len(keys)),
            "pos": [0, 1] * len(keys),
            "type": [_PY_XML_TYPE[type(v)] for k in keys for v in k],
            "value": [str(v) for k in keys for v in k],
        },
        schema_overrides={"first": pl.Int64, "scope_rank": pl.Int32, "pos": pl.Int64},
    )
    key_rows = (
        pl.concat(
            [
                first_seen(nodes, node_attrs, "node", 1),
                first_seen(edges, edge_attrs, "edge", 2),
            ]
        )
        .with_columns(
            pl.concat_str("scope", "attr", separator="\0")
            .replace_strict({f"{s}\0{a}": t for (s, a), t in types.items()}, return_dtype=pl.String)
            .alias("type")
        )
        .with_columns(pl.col("scope_rank").cast(pl.Int32))
    )
    key_rows = (
        pl.concat([graph_rows.drop("value"), key_rows], how="diagonal_relaxed")
        .sort([*_KEY, "scope_rank", "first", "pos"])
        .with_columns(pl.concat_str(pl.lit("d"), pl.int_range(pl.len()).over(_KEY).cast(pl.String)).alias("kid"))
    )
    key_text = (
        key_rows.sort([*_KEY, "scope_rank", "first", "pos"], descending=[False, False, True, True, True])
        .group_by(_KEY, maintain_order=True)
        .agg(
            pl.concat_str(
                pl.lit('  <key id="'),
                "kid",
                pl.lit('" for="'),
                "scope",
                pl.lit('" attr.name="'),
                _xml_attr(pl.col("attr")),
                pl.lit('" attr.type="'),
                "type",
                pl.lit('" />'),
            )
            .str.join("\n")
            .alias("keys")
        )
    )

    def with_key_ids(frame: pl.DataFrame, attrs: list[str], scope: str) -> pl.DataFrame:
        ids = key_rows.filter(pl.col("scope") == scope).pivot(on="attr", index=_KEY, values="kid")
        ids = ids.select(*_KEY, *(pl.col(a).alias(f"__k_{a}") for a in attrs if a in ids.columns))
        frame = frame.join(ids, on=_KEY, how="left", maintain_order="left")
        missing = [pl.lit(None, pl.String).alias(f"__k_{a}") for a in attrs if f"__k_{a}" not in frame.columns]
        return frame.with_columns(*missing, *(_value_text(a, frame[a].dtype).alias(f"__v_{a}") for a in attrs))

    node_text = _graphml_elements(
        with_key_ids(nodes, node_attrs, "node"),
        node_attrs,
        "node",
        [pl.lit('id="'), _xml_attr(pl.col("code")), pl.lit('"')],
    )
    edge_text = _graphml_elements(
        with_key_ids(edges, edge_attrs, "edge"),
        edge_attrs,
        "edge",
        [
            pl.lit('source="'),
            _xml_attr(pl.col("origin")),
            pl.lit('" target="'),
            _xml_attr(pl.col("destination")),
            pl.lit('"'),
        ],
    )
    graph_data = (
        key_rows.filter(pl.col("scope") == "graph")
        .join(graph_rows.select(*_KEY, "attr", "value"), on=[*_KEY, "attr"], how="left")
        .sort([*_KEY, "pos"])
        .group_by(_KEY, maintain_order=True)
        .agg(
            pl.concat_str(pl.lit('    <data key="'), "kid", pl.lit('">'), _xml_text(pl.col("value")), pl.lit("</data>"))
            .str.join("\n")
            .alias("data")
        )
    )
    body = (
        pl.concat(
            [node_text.with_columns(pl.lit(0).alias("__part")), edge_text.with_columns(pl.lit(1).alias("__part"))]
        )
        .sort([*_KEY, "__part", "__idx"])
        .group_by(_KEY, maintain_order=True)
        .agg(pl.col("text").str.join("\n").alias("body"))
    )
    del node_text, edge_text  # the national files are ~40 MB of text: one copy at a time
    documents = (
        key_text.join(body, on=_KEY, how="left")
        .join(graph_data, on=_KEY, how="left")
        .select(
            *_KEY,
            pl.concat_str(
                pl.lit(_GRAPHML_HEAD + "\n"),
                "keys",
                pl.lit('\n  <graph edgedefault="directed">\n'),
                pl.col("body").fill_null(""),
                pl.when(pl.col("body").is_null()).then(pl.lit("")).otherwise(pl.lit("\n")),
                "data",
                pl.lit("\n  </graph>\n</graphml>\n"),
            ).alias("text"),
        )
    )
    del body
    row_of = {k: i for i, k in enumerate(zip(documents["school_year"].to_list(), documents["sector"].to_list()))}

    paths: list[Path] = []
    for key in keys:  # one write per file
        path = out_dir / str(key[0]) / f"{key[1]}.graphml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(documents["text"][row_of[(str(key[0]), str(key[1]))]].encode("utf-8"))
        paths.append(path)
    return paths
