"""The national benchmark (benchmarks/national.py) works, at a tiny scale: not a timed test.

It generates inputs for all 342 municipalities (one school year and one to add), runs the
real build through Dagster, the pandas baseline and the DuckDB floor, and adds the third
year incrementally. Checked: the tables are built, their row counts match the generated
input, all three ways give the same flow and support totals, and adding a year leaves the
other years' rows as they were.
"""

from __future__ import annotations

import os
import sys

import pytest

from grensverkeer.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from benchmarks.cell_estimates import one_run  # noqa: E402
from benchmarks.national import report, run_benchmark  # noqa: E402

SCALE = 0.001  # ~1,300 pupils per school year (small cohorts of small municipalities round to none)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    return run_benchmark(SCALE, work, n_years=1, log=lambda *a: None) | {"work": work}


def test_every_stage_runs_and_is_reported(bench):
    full = bench["full"]
    assert full["school_years"] == ["2016-2017"]
    # one Dagster run for the whole build
    assert [(r["job"], r["first_year"], r["last_year"]) for r in full["runs"]] == [
        ("build_without_site", "2016-2017", "2016-2017")
    ]
    stages = full["stages"]
    for stage in (
        "reference tables",
        "ingest",
        "staging",
        "marts",
        "agreement needs",
        "graph",
        "exports",
        "data checks (GX)",
    ):
        assert 0 < stages[stage]["seconds"] < full["wall_seconds"], stage
        # bytes, sampled while the stage ran: a process with DuckDB, Polars and Dagster loaded holds > 100 MB
        assert 100 * 2**20 < stages[stage]["peak_rss"] <= full["peak_rss"], stage
    # the stages split the build's wall time between them, nothing counted twice or left out
    assert sum(s["seconds"] for s in stages.values()) == pytest.approx(full["wall_seconds"], rel=1e-6)
    # measured inside the child process: shorter than the child's whole life; the 20 ms samples
    # cannot see more than the process's maximum resident set (up to /proc's and getrusage's rounding)
    assert full["wall_seconds"] + full["import_seconds"] < full["process_seconds"]
    assert full["peak_rss"] <= 1.01 * full["peak_rss_process"]
    text = report(bench)
    assert f"{full['wall_seconds']:8.1f}" in text
    for stage, s in stages.items():
        assert f"{stage:32} {s['seconds']:8.1f}" in text, stage
    assert "pandas baseline" in text and "one added school year" in text
    assert f"{'same work: pipeline flows+support':32} {bench['same_work']['seconds']:8.1f}" in text


def test_tables_hold_the_generated_input(bench):
    counts, rows = bench["generated"]["counts"], bench["facts"]["rows"]
    assert counts["enrolments"] > 1000 and counts["support"] > 0 and counts["duo_files"] > 100
    assert rows["raw_linked_enrolments"] == counts["enrolments"]
    assert rows["stg_linked_enrolments"] == counts["enrolments"]
    assert rows["raw_linked_support"] == rows["stg_linked_support"] == counts["support"]
    assert rows["raw_rows"] == rows["stg_duo_rows"] == counts["duo_po_rows"] + counts["duo_vo_rows"]
    assert rows["raw_linked_schools"] == counts["schools"]
    for table in (
        "municipality_flows",
        "school_catchment",
        "pub_municipality_profile",
        "pub_flows",
        "support_flows",
        "agreement_needs",
        "school_coordination_load",
        "graph_node_metrics",
        "graph_summary",
    ):
        assert rows[table] > 0, table
    assert bench["facts"]["rows_per_year"]["graph_node_metrics"]["2016-2017"] > 100


def test_pandas_and_the_floor_give_the_warehouse_totals(bench):
    warehouse_students = {y: n for y, d, n, _ in bench["facts"]["support_flow_totals"] if d == "totaal"}
    warehouse_support = {f"{y}|{d}": s for y, d, _, s in bench["facts"]["support_flow_totals"]}
    text = report(bench)
    for name in ("pandas", "floor", "same_work"):
        # CPU (user + system, threads included) over the same window as the wall time: no more than
        # every core busy all the time (plus getrusage's rounding), and the report prints it
        assert 0 < bench[name]["cpu_seconds"] <= bench[name]["seconds"] * os.cpu_count() + 0.05, name
        assert f"CPU {bench[name]['cpu_seconds']:.1f} s" in text, name
        assert bench[name]["students"] == warehouse_students, name
        assert {k: v for k, v in bench[name]["with_support"].items() if v} == {
            k: v for k, v in warehouse_support.items() if v
        }, name
    assert sum(warehouse_students.values()) == bench["generated"]["counts"]["enrolments"]


def test_an_added_school_year_recomputes_only_that_year(bench):
    inc = bench["incremental"]
    assert inc["school_years"] == ["2017-2018"]
    assert [(r["first_year"], r["last_year"]) for r in inc["runs"]] == [("2017-2018", "2017-2018")]
    before, after = bench["facts"]["checksums"], bench["facts_after"]["checksums"]
    for table, years in before.items():
        assert [y for y in after[table] if y[0] != "2017-2018"] == years, table
        assert any(y[0] == "2017-2018" for y in after[table]), table
    per_year = bench["facts_after"]["rows_per_year"]["stg_linked_enrolments"]
    assert per_year["2017-2018"] == bench["generated"]["extra_counts"]["enrolments"]


def test_cell_estimates_with_and_without_the_weights(bench, tmp_path):
    """benchmarks/cell_estimates.py runs the int_cell_estimates step on a copy of the built
    warehouse with and without the distance weights: the same cells, bounds and methods, the
    estimates of a location with a usable total inside its remainder either way, and the
    weights move some estimates."""
    import shutil

    import duckdb

    found = {}
    for variant in ("weights", "none"):
        copy = tmp_path / f"{variant}.duckdb"
        shutil.copyfile(bench["work"] / "warehouse.duckdb", copy)
        years = one_run(copy, variant)
        assert sorted(years) == ["2016-2017", "2017-2018"]
        assert all(0 < y["cpu"] <= y["wall"] * os.cpu_count() + 0.05 for y in years.values()), years
        con = duckdb.connect(str(copy), read_only=True)
        masked = dict(
            con.execute("select school_year, count(*) from stg_duo_cells where is_masked group by all").fetchall()
        )
        # every masked cell of the staged DUO files got an estimate
        assert {year: y["masked"] for year, y in years.items()} == masked and all(masked.values()), variant
        cells = con.execute(
            "select school_year, file_name, line, cell_label, students_low, students_high, method, students "
            "from int_cell_estimates order by all"
        ).fetchall()
        outside = con.execute(
            "select count(*) from int_location_masking where status = 'location_total' and not "
            "estimated_masked_sum between remainder_low - 1e-6 and remainder_high + 1e-6"
        ).fetchall()[0][0]
        con.close()
        assert outside == 0, variant
        found[variant] = years, cells
    (w_years, w_cells), (n_years, n_cells) = found["weights"], found["none"]
    assert [c[:7] for c in w_cells] == [c[:7] for c in n_cells]  # cells, bounds and methods
    assert any(a[7] != b[7] for a, b in zip(w_cells, n_cells))
    assert {y: v["cells"] for y, v in w_years.items()} == {y: v["cells"] for y, v in n_years.items()}
