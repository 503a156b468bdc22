"""Hand-worked tests for grensverkeer.graph_metrics.

Fixture (school year 2024-2025), codes A=GM0001, B=GM0002, C=GM0003, D=GM0004;
region = {A, B} (C and D are neighbours outside the region).

BO (the brief's example):       A->A 10, A->B 5, B->A 2, B->B 8, C->C 4,
                                C->A 1 (masked: bounds 1..4), ONBEKEND->A 1 (bounds 1..4)
SO (two clear sub-regions):     A->A 2, A->B 3, B->A 4, A->C 1, C->D 2, D->C 3,
                                D->D 6, BUITENLAND->C 5
All other cells are exact (low = high = students).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import networkx as nx
import polars as pl
import pytest

from grensverkeer.graph_metrics import (
    GRAPH_SUMMARY_COLUMNS,
    NODE_METRICS_COLUMNS,
    build_flow_graphs,
    graph_summary,
    node_metrics,
    write_graphml,
)

YEAR = "2024-2025"
A, B, C, D = "GM0001", "GM0002", "GM0003", "GM0004"
NAMES = {
    A: "Aastad",
    B: "Bedorp",
    C: "Ceveen",
    D: "Deweg",
    "GM0005": "Eeland",
    "GM0006": "Efdam",
    "GM0007": "Geest",
    "GM0008": "Haven",
    "ONBEKEND": "Onbekend",
    "BUITENLAND": "Buitenland",
}
REGION = {A, B}


def _row(sector, o, d, students, low=None, high=None, year=YEAR):
    return {
        "school_year": year,
        "sector": sector,
        "origin_code": o,
        "origin_name": NAMES[o],
        "destination_code": d,
        "destination_name": NAMES[d],
        "students": float(students),
        "students_low": int(students) if low is None else low,
        "students_high": int(students) if high is None else high,
    }


FLOW_SCHEMA = {
    "school_year": pl.String,
    "sector": pl.String,
    "origin_code": pl.String,
    "origin_name": pl.String,
    "destination_code": pl.String,
    "destination_name": pl.String,
    "students": pl.Float64,
    "students_low": pl.Int64,
    "students_high": pl.Int64,
}


def _flows(rows) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FLOW_SCHEMA)


@pytest.fixture
def flows() -> pl.DataFrame:
    return _flows(
        [
            _row("BO", A, A, 10),
            _row("BO", A, B, 5),
            _row("BO", B, A, 2),
            _row("BO", B, B, 8),
            _row("BO", C, C, 4),
            _row("BO", C, A, 1, 1, 4),
            _row("BO", "ONBEKEND", A, 1, 1, 4),
            _row("SO", A, A, 2),
            _row("SO", A, B, 3),
            _row("SO", B, A, 4),
            _row("SO", A, C, 1),
            _row("SO", C, D, 2),
            _row("SO", D, C, 3),
            _row("SO", D, D, 6),
            _row("SO", "BUITENLAND", C, 5),
        ]
    )


@pytest.fixture
def graphs(flows):
    return build_flow_graphs(flows)


def _node(df: pl.DataFrame, sector: str, code: str) -> dict:
    rows = df.filter((pl.col("sector") == sector) & (pl.col("code") == code)).to_dicts()
    assert len(rows) == 1, (sector, code, rows)
    return rows[0]


# ------------------------------------------------------------------ build_flow_graphs


def test_graph_keys_nodes_and_edges(graphs):
    assert list(graphs) == [(YEAR, "BO"), (YEAR, "SO"), (YEAR, "ALLE")]

    bo = graphs[(YEAR, "BO")]
    assert list(bo.nodes) == [A, B, C, "ONBEKEND"]  # sorted insertion order
    assert bo.nodes[A] == {"name": "Aastad", "is_special": False}
    assert bo.nodes["ONBEKEND"]["is_special"] is True
    # self-loops are kept as self-loops
    assert bo.has_edge(A, A) and bo[A][A]["weight"] == 10.0
    assert bo[C][A] == {"weight": 1.0, "students_low": 1, "students_high": 4}
    assert bo.number_of_edges() == 7
    assert nx.number_of_selfloops(bo) == 3

    # ALLE sums sectors per (origin, destination): A->A 10+2, A->B 5+3, B->A 2+4
    alle = graphs[(YEAR, "ALLE")]
    assert set(alle.nodes) == {A, B, C, D, "ONBEKEND", "BUITENLAND"}
    assert alle[A][A]["weight"] == 12.0
    assert alle[A][B]["weight"] == 8.0
    assert alle[B][A]["weight"] == 6.0
    assert alle[C][A] == {"weight": 1.0, "students_low": 1, "students_high": 4}
    total = sum(w for _, _, w in alle.edges(data="weight"))
    assert total == 31.0 + 26.0


def test_duplicate_rows_are_summed_and_unknown_bounds_stay_unknown():
    flows = _flows(
        [
            _row("VO", A, B, 3),
            _row("VO", A, B, 2.5, 1, 4),
            _row("VO", B, B, 7) | {"students_low": None, "students_high": None},
        ]
    )
    g = build_flow_graphs(flows)[(YEAR, "VO")]
    assert g[A][B] == {"weight": 5.5, "students_low": 4, "students_high": 7}
    assert g[B][B]["students_low"] is None and g[B][B]["students_high"] is None

    nm = node_metrics(build_flow_graphs(flows), REGION)
    b = _node(nm, "VO", B)
    assert b["residents_at_school"] == 7.0
    assert b["residents_at_school_low"] is None  # never summed over a missing bound
    assert b["incoming_low"] == 4 and b["incoming_high"] == 7


def test_reserved_sector_and_bad_input_rejected(flows):
    with pytest.raises(ValueError, match="ALLE"):
        build_flow_graphs(flows.with_columns(pl.lit("ALLE").alias("sector")))
    with pytest.raises(ValueError, match="missing"):
        build_flow_graphs(flows.drop("students_high"))
    with pytest.raises(ValueError, match="null"):
        build_flow_graphs(flows.with_columns(pl.lit(None, pl.Float64).alias("students")))


# ------------------------------------------------------------------ node_metrics


def test_node_metrics_columns(graphs):
    nm = node_metrics(graphs, REGION)
    assert tuple(nm.columns) == NODE_METRICS_COLUMNS
    # one row per node per graph
    assert nm.height == sum(g.number_of_nodes() for g in graphs.values())


def test_node_metrics_hand_worked_bo(graphs):
    nm = node_metrics(graphs, REGION)

    # A: lives 10+5=15, stays 10, leaves 5, receives B 2 + C 1 + ONBEKEND 1 = 4
    a = _node(nm, "BO", A)
    assert a["in_region"] is True and a["name"] == "Aastad"
    assert a["residents_at_school"] == 15.0
    assert a["schooled_in_own"] == 10.0
    assert a["schooled_elsewhere"] == 5.0
    assert a["incoming"] == 4.0
    assert a["weighted_in_degree"] == 4.0
    assert a["weighted_out_degree"] == 5.0
    assert a["net_flow"] == -1.0
    assert a["share_staying_home"] == pytest.approx(10 / 15)
    # bounds: incoming 2+1+1 .. 2+4+4; net_flow = incoming - elsewhere (interval)
    assert (a["incoming_low"], a["incoming_high"]) == (4, 10)
    assert (a["residents_at_school_low"], a["residents_at_school_high"]) == (15, 15)
    assert (a["net_flow_low"], a["net_flow_high"]) == (4 - 5, 10 - 5)

    # B: lives 2+8=10, stays 8, leaves 2, receives 5
    b = _node(nm, "BO", B)
    assert (b["residents_at_school"], b["schooled_in_own"], b["schooled_elsewhere"]) == (10.0, 8.0, 2.0)
    assert b["incoming"] == 5.0 and b["net_flow"] == 3.0
    assert b["share_staying_home"] == pytest.approx(0.8)

    # C (outside region): lives 4+1=5 (bounds 4+1..4+4), receives nothing
    c = _node(nm, "BO", C)
    assert c["in_region"] is False
    assert (c["residents_at_school"], c["schooled_in_own"], c["schooled_elsewhere"]) == (5.0, 4.0, 1.0)
    assert (c["residents_at_school_low"], c["residents_at_school_high"]) == (5, 8)
    assert (c["schooled_elsewhere_low"], c["schooled_elsewhere_high"]) == (1, 4)
    assert c["incoming"] == 0.0 and c["incoming_low"] == 0 and c["incoming_high"] == 0
    assert c["net_flow"] == -1.0
    assert c["share_staying_home"] == pytest.approx(0.8)

    # ONBEKEND: a special origin node, no community, no "own" municipality
    o = _node(nm, "BO", "ONBEKEND")
    assert o["is_special"] is True and o["in_region"] is False
    assert o["residents_at_school"] == 1.0 and o["schooled_elsewhere"] == 1.0
    assert o["schooled_in_own"] == 0.0
    assert o["share_staying_home"] is None
    assert o["community"] is None and o["community_size"] is None

    # flows add up: every pupil leaves exactly one node and arrives at one
    bo = nm.filter(pl.col("sector") == "BO")
    assert bo["residents_at_school"].sum() == 31.0
    assert (bo["incoming"] + bo["schooled_in_own"]).sum() == 31.0
    assert bo["net_flow"].sum() == pytest.approx(0.0)


def test_destination_only_node_has_zero_residents_and_null_share():
    flows = _flows([_row("VO", A, D, 3), _row("VO", A, A, 1)])
    nm = node_metrics(build_flow_graphs(flows), REGION)
    d = _node(nm, "VO", D)
    assert d["residents_at_school"] == 0.0 and d["residents_at_school_low"] == 0
    assert d["incoming"] == 3.0
    assert d["share_staying_home"] is None


def test_communities_hand_worked(graphs):
    nm = node_metrics(graphs, REGION)

    # BO: undirected A-B 7, A-C 1 (self-loops and ONBEKEND ignored). One community
    # {A,B,C} has Q = 0, better than {A,B},{C}: 7/8 - (15/16)^2 - (1/16)^2 < 0.
    bo = nm.filter((pl.col("sector") == "BO") & ~pl.col("is_special"))
    assert bo["community"].to_list() == [1, 1, 1]
    assert bo["community_size"].to_list() == [3, 3, 3]

    # SO: A-B 7, A-C 1, C-D 5 -> {A,B} and {C,D}, both size 2; tie broken by
    # smallest code, so {A,B} is 1 and {C,D} is 2. BUITENLAND is left out.
    so = nm.filter(pl.col("sector") == "SO").select("code", "community", "community_size")
    assert {r[0]: r[1:] for r in so.rows()} == {
        A: (1, 2),
        B: (1, 2),
        C: (2, 2),
        D: (2, 2),
        "BUITENLAND": (None, None),
    }


def test_communities_deterministic_in_process(graphs, flows):
    first = node_metrics(graphs, REGION, seed=7)
    second = node_metrics(build_flow_graphs(flows), REGION, seed=7)
    assert first.equals(second)
    assert graph_summary(graphs, REGION, seed=7).equals(graph_summary(graphs, REGION, seed=7))


_SUBPROCESS_SCRIPT = """
import json, sys
import polars as pl
from grensverkeer.graph_metrics import build_flow_graphs, node_metrics, graph_summary
flows = pl.read_json(sys.argv[1])
g = build_flow_graphs(flows)
nm = node_metrics(g, {"GM0001", "GM0002"})
gs = graph_summary(g, {"GM0001", "GM0002"})
print(json.dumps({"nm": nm.select("sector", "code", "community").rows(),
                  "mod": gs["modularity"].to_list()}))
"""


def test_communities_deterministic_across_hash_seeds(tmp_path):
    # a denser graph where Louvain has real choices to make
    codes = [A, B, C, D, "GM0005", "GM0006", "GM0007", "GM0008"]
    rows = []
    for i, o in enumerate(codes):
        for j, d in enumerate(codes):
            w = (i * 7 + j * 3) % 5 + (20 if (i < 4) == (j < 4) else 0)
            rows.append(_row("VO", o, d, w))
    path = tmp_path / "flows.json"
    _flows(rows).write_json(path)

    outputs = set()
    for hash_seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        res = subprocess.run(
            [sys.executable, "-c", _SUBPROCESS_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(res.stdout)
    assert len(outputs) == 1
    result = json.loads(outputs.pop())
    labels = {code: lab for sector, code, lab in result["nm"] if sector == "VO"}
    # the two planted blocks are found, the block with the smallest code is 1
    assert {labels[c] for c in codes[:4]} == {1}
    assert {labels[c] for c in codes[4:]} == {2}


# ------------------------------------------------------------------ graph_summary


def test_graph_summary_hand_worked(graphs):
    gs = graph_summary(graphs, REGION)
    assert tuple(gs.columns) == GRAPH_SUMMARY_COLUMNS
    rows = {r["sector"]: r for r in gs.to_dicts()}
    assert list(rows) == ["BO", "SO", "ALLE"]

    bo = rows["BO"]
    assert bo["n_nodes"] == 4  # A, B, C, ONBEKEND
    assert bo["n_edges"] == 4  # A->B, B->A, C->A, ONBEKEND->A (no self-loops)
    assert bo["total_students"] == 31.0  # 10+5+2+8+4+1+1
    assert bo["cross_border_students"] == 9.0  # 5+2+1+1
    assert bo["cross_border_share"] == pytest.approx(9 / 31)
    assert (bo["total_students_low"], bo["total_students_high"]) == (31, 37)
    assert (bo["cross_border_students_low"], bo["cross_border_students_high"]) == (9, 15)
    assert bo["special_origin_students"] == 1.0
    assert bo["n_communities"] == 1
    assert bo["modularity"] == pytest.approx(0.0)

    so = rows["SO"]
    assert so["n_nodes"] == 5 and so["n_edges"] == 6
    assert so["total_students"] == 26.0  # 2+3+4+1+2+3+6+5
    assert so["cross_border_students"] == 18.0  # 3+4+1+2+3+5
    assert so["cross_border_share"] == pytest.approx(18 / 26)
    assert so["n_communities"] == 2
    # m = 13, L = 7 + 5, degrees {A,B} = 15, {C,D} = 11 (self-loops excluded):
    assert so["modularity"] == pytest.approx(12 / 13 - (15 / 26) ** 2 - (11 / 26) ** 2)

    alle = rows["ALLE"]
    assert alle["total_students"] == 57.0
    assert alle["cross_border_students"] == 27.0
    assert alle["n_edges"] == 8  # A->B, B->A, C->A, ONBEKEND->A, A->C, C->D, D->C, BUITENLAND->C


# ------------------------------------------------------------------ write_graphml


def test_write_graphml_roundtrip(graphs, tmp_path):
    nm = node_metrics(graphs, REGION)
    paths = write_graphml(graphs, tmp_path, node_metrics=nm)
    assert paths == [
        tmp_path / YEAR / "BO.graphml",
        tmp_path / YEAR / "SO.graphml",
        tmp_path / YEAR / "ALLE.graphml",
    ]
    assert all(p.is_file() for p in paths)

    bo = nx.read_graphml(paths[0])
    assert isinstance(bo, nx.DiGraph)
    assert list(bo.nodes) == [A, B, C, "ONBEKEND"]
    assert bo[A][A]["weight"] == 10.0
    assert bo[A][B]["weight"] == 5.0
    assert bo[B][A]["weight"] == 2.0
    assert bo[C][A] == {"weight": 1.0, "students_low": 1, "students_high": 4}
    assert bo.number_of_edges() == 7
    assert bo.nodes[A]["community"] == 1
    assert bo.nodes[A]["name"] == "Aastad"
    assert bo.nodes[A]["residents_at_school"] == 15.0
    assert "community" not in bo.nodes["ONBEKEND"]
    assert bo.graph["sector"] == "BO" and bo.graph["school_year"] == YEAR

    so = nx.read_graphml(paths[1])
    assert so[D][C]["weight"] == 3.0
    assert so.nodes[C]["community"] == 2

    alle = nx.read_graphml(paths[2])
    assert alle[A][B]["weight"] == 8.0


def test_write_graphml_without_metrics_and_byte_identical(graphs, flows, tmp_path):
    p1 = write_graphml(graphs, tmp_path / "one")
    p2 = write_graphml(build_flow_graphs(flows.reverse()), tmp_path / "two")
    for a, b in zip(p1, p2):
        assert a.read_bytes() == b.read_bytes()
    g = nx.read_graphml(p1[0])
    assert "community" not in g.nodes[A]
    assert g[A][B]["weight"] == 5.0


def _networkx_graphml(graphs, out_dir, metrics=None):
    """The writer before session 14: a copy per graph written with nx.write_graphml (the
    reference the set-based writer must match byte for byte)."""
    extra = {}
    if metrics is not None:
        cols = [c for c in metrics.columns if c not in ("school_year", "sector", "code", "name", "is_special")]
        for row in metrics.iter_rows(named=True):
            extra[(row["school_year"], row["sector"], row["code"])] = {c: row[c] for c in cols}
    paths = []
    for (year, sector), g in graphs.items():
        h = nx.DiGraph(school_year=year, sector=sector)
        for code in sorted(g.nodes, key=str):
            attrs = {"name": g.nodes[code].get("name"), "is_special": g.nodes[code].get("is_special")}
            attrs.update(extra.get((year, sector, code), {}))
            h.add_node(code, **{k: v for k, v in attrs.items() if v is not None})
        for u, v in sorted(g.edges, key=lambda e: (str(e[0]), str(e[1]))):
            d = {k: g.edges[u, v].get(k) for k in ("weight", "students_low", "students_high")}
            h.add_edge(u, v, **{k: x for k, x in d.items() if x is not None})
        path = out_dir / year / f"{sector}.graphml"
        path.parent.mkdir(parents=True, exist_ok=True)
        nx.write_graphml(h, path)
        paths.append(path)
    return paths


def test_write_graphml_awkward_names_and_none_match_networkx(tmp_path):
    """Names from input files are untrusted: XML specials, quotes, tabs, newlines,
    non-ASCII, an empty name and a missing one; bounds and metrics that are None are left
    out; floats in every notation. The file is what nx.write_graphml writes, byte for
    byte, and reads back to the same graph with the same attributes and types."""
    odd = {
        "GM0001": "A & B <\"De\" 'Stad'>",
        "GM0002": "Súdwest-Fryslân\tnoord\nzuid",
        "GM0003": "",
        'GM&<"0004>': "]]> &amp; &#10;",
        "GM0005": None,
    }

    def row(sector, o, d, students, low, high):
        return {
            "school_year": YEAR,
            "sector": sector,
            "origin_code": o,
            "origin_name": odd.get(o, "Onbekend"),
            "destination_code": d,
            "destination_name": odd[d],
            "students": students,
            "students_low": low,
            "students_high": high,
        }

    flows = _flows(
        [
            row("BO", "GM0001", "GM0001", 1e-05, 0, 1),
            row("BO", "GM0001", "GM0002", 3e-9, None, 2),
            row("BO", "GM0002", "GM0002", 1.5e16, 1, None),
            row("BO", 'GM&<"0004>', "GM0003", 0.1 + 0.2, 0, 1),
            row("BO", "ONBEKEND", "GM0005", 2.0, 2, 2),
            row("SO", "GM0005", "GM0002", 1 / 3, None, None),
        ]
    )
    graphs = build_flow_graphs(flows)
    metrics = node_metrics(graphs, {"GM0001", 'GM&<"0004>'})
    assert metrics["community"].null_count() and metrics["share_staying_home"].null_count()
    for with_metrics in (None, metrics):
        tag = "plain" if with_metrics is None else "metrics"
        ours = write_graphml(graphs, tmp_path / tag / "ours", with_metrics)
        theirs = _networkx_graphml(graphs, tmp_path / tag / "nx", with_metrics)
        for a, b in zip(ours, theirs, strict=True):
            assert a.read_bytes() == b.read_bytes(), a
            ga, gb = nx.read_graphml(a), nx.read_graphml(b)
            assert ga.graph == gb.graph
            assert (ga.graph["school_year"], ga.graph["sector"]) == (YEAR, a.stem)
            assert list(ga.nodes(data=True)) == list(gb.nodes(data=True))
            assert list(ga.edges(data=True)) == list(gb.edges(data=True))
    bo = nx.read_graphml(tmp_path / "metrics" / "ours" / YEAR / "BO.graphml")
    assert bo.nodes["GM0001"]["name"] == odd["GM0001"]
    assert bo.nodes["GM0002"]["name"] == odd["GM0002"]
    assert bo.nodes['GM&<"0004>']["name"] == odd['GM&<"0004>']
    assert "name" not in bo.nodes["GM0005"] and "community" not in bo.nodes["ONBEKEND"]
    assert bo.nodes["GM0001"]["in_region"] is True and bo.nodes["GM0001"]["is_special"] is False
    assert bo["GM0001"]["GM0001"] == {"weight": 1e-05, "students_low": 0, "students_high": 1}
    assert bo["GM0001"]["GM0002"] == {"weight": 3e-9, "students_high": 2}
    assert bo["GM0002"]["GM0002"] == {"weight": 1.5e16, "students_low": 1}
    assert isinstance(bo.nodes["GM0001"]["community"], int)


def test_graphml_float_text_is_python_str():
    """write_graphml writes floats as Python's str() (networkx's writer does): Polars'
    text differs for NaN and below 1e-4 and is corrected there."""
    import random

    from grensverkeer.graph_metrics import _py_float_text

    rng = random.Random(17)
    values = [rng.choice([1, -1]) * 10 ** rng.uniform(-320, 308) for _ in range(20_000)]
    values += [rng.randint(0, 10**7) / rng.choice([1, 3, 7, 10, 1000]) for _ in range(5_000)]
    values += [0.0, -0.0, 1e-4, 9.999999999999999e-05, 1e-05, 5e-324, 1e16, 1e22, float("inf"), -float("inf")]
    values += [float("nan")]
    got = (
        pl.DataFrame({"x": values}, schema={"x": pl.Float64})
        .select(_py_float_text(pl.col("x")).alias("x"))["x"]
        .to_list()
    )
    assert got == [str(v) for v in values]


def test_write_graphml_sparse_graphs_match_networkx(tmp_path):
    """Graphs not made by build_flow_graphs: a node without attributes, a graph without
    edges, an edge without attributes, a node metric named like an edge attribute, metrics
    that are null in a whole school year or everywhere."""
    g1 = nx.DiGraph()
    g1.add_node("X")
    g1.add_node("Y", name="y")
    g2 = nx.DiGraph()
    g2.add_edge("A", "B")
    g2.add_edge("B", "A", weight=2.0)
    g3 = nx.DiGraph()
    g3.add_node("Q", name="q", is_special=True)
    graphs = {("2020-2021", "BO"): g1, ("2020-2021", "SO"): g2, ("2021-2022", "BO"): g3}
    metrics = pl.DataFrame(
        {
            "school_year": ["2020-2021", "2020-2021", "2021-2022"],
            "sector": ["BO", "SO", "BO"],
            "code": ["X", "A", "Q"],
            "weight": [1.5, None, None],
            "flag": [None, True, None],
            "nothing": [None, None, None],
        }
    )
    for tag, m in (("plain", None), ("metrics", metrics)):
        ours = write_graphml(graphs, tmp_path / tag / "ours", m)
        theirs = _networkx_graphml(graphs, tmp_path / tag / "nx", m)
        for a, b in zip(ours, theirs, strict=True):
            assert a.read_bytes() == b.read_bytes(), a
    x = nx.read_graphml(tmp_path / "metrics" / "ours" / "2020-2021" / "BO.graphml")
    assert dict(x.nodes(data=True)) == {"X": {"weight": 1.5}, "Y": {"name": "y"}}
