"""The Dagster code location loads, and its sensor and schedule ask for the right runs."""

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetKey,
    BackfillPolicy,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    PartitionKeyRange,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from grensverkeer import settings, warehouse
from grensverkeer.definitions import defs
from grensverkeer.defs.jobs import input_folder_sensor, nightly_schedule
from grensverkeer.partitions import merge_results, school_years, year_blocks

BUNDLED = settings.DEFAULT_INPUT_DIR / "duo"


def test_definitions_load_with_layers_and_checks():
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        "reference",
        "raw",
        "staging",
        "intermediate",
        "marts",
        "publish",
        "graph",
        "exports",
        "dashboards",
    }
    for name in (
        "municipality_flows",
        "school_catchment",
        "publication",
        "municipality_graph",
        "support_flows",
        "agreement_needs",
        "agreement_exports",
    ):
        node = graph.get(AssetKey(name))
        assert node.partitions_def == school_years
    check_names = {key.name for key in graph.asset_check_keys}
    assert {
        "municipality_flows_reconcile",
        "stg_duo_rows_valid",
        "int_cell_estimates_valid",
        "stg_linked_records_valid",
        "agreement_needs_valid",
        "agreement_exports_safe",
        "publication_adds_up",
        "published_files_safe",
    } <= check_names
    assert defs.resolve_job_def("school_year_job").partitions_def == school_years
    # `grensverkeer run`, the sensor and the schedule build the same job: reference tables, the years, the site
    build = defs.resolve_job_def("build_job")
    assert {graph.get(k).group_name for k in build.asset_layer.selected_asset_keys} == groups
    assert input_folder_sensor.job_name == nightly_schedule.job_name == "build_job"
    # one run for several years: every partitioned asset has the single-run backfill policy
    for key in graph.get_all_asset_keys():
        if graph.get(key).partitions_def is not None:
            assert graph.get(key).backfill_policy == BackfillPolicy.single_run(), key


def test_the_site_is_built_after_every_table_it_shows():
    """A fresh build must show on its first run what a second one shows: the site reads the
    graph's communities (candidate sub-regions on the map page), the publication and the
    support marts, so they are all upstream of it (the map once lacked its communities on a
    first build)."""
    graph = defs.resolve_asset_graph()
    upstream, todo = set(), [AssetKey("dashboards")]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in upstream:
                upstream.add(parent)
                todo.append(parent)
    shown = {"municipality_graph", "publication", "agreement_needs", "support_flows", "school_coordination_load"}
    assert shown <= {key.path[-1] for key in upstream}


def test_sensor_adds_new_year_and_runs_only_changed_years(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_INPUT, str(tmp_path))
    shutil.copy(BUNDLED / "Wassenaar afgeschermd.csv", tmp_path / "wassenaar.csv")
    with DagsterInstance.ephemeral() as instance:
        first = input_folder_sensor(build_sensor_context(instance=instance, cursor=None))
        assert [r.partition_key_range for r in first.run_requests] == [PartitionKeyRange("2024-2025", "2024-2025")]
        assert first.dynamic_partitions_requests[0].partition_keys == ["2024-2025"]
        instance.add_dynamic_partitions(school_years.name, ["2024-2025"])

        unchanged = input_folder_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert "no new or changed files" in unchanged.skip_message

        # A file of another count year arrives: only that year is requested.
        text = (BUNDLED / "Delft afgeschermd.csv").read_text(encoding="utf-8-sig").replace('"20241001"', '"20231001"')
        (tmp_path / "delft-2023.csv").write_text(text, encoding="utf-8-sig")
        second = input_folder_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.partition_key_range for r in second.run_requests] == [PartitionKeyRange("2023-2024", "2023-2024")]
        assert second.dynamic_partitions_requests[0].partition_keys == ["2023-2024"]


def test_sensor_sees_a_file_changed_with_its_size_and_mtime_kept(tmp_path, monkeypatch):
    """The sensor's fingerprint of a file has its change time (ctime) too: a change that keeps the
    size and puts the modification time back (os.utime) is still a change (ingest/hashes.py)."""
    monkeypatch.setenv(settings.ENV_INPUT, str(tmp_path))
    monkeypatch.setenv(settings.ENV_WAREHOUSE, str(tmp_path / "no-warehouse.duckdb"))
    path = tmp_path / "wassenaar.csv"
    shutil.copy(BUNDLED / "Wassenaar afgeschermd.csv", path)
    with DagsterInstance.ephemeral() as instance:
        first = input_folder_sensor(build_sensor_context(instance=instance, cursor=None))
        instance.add_dynamic_partitions(school_years.name, ["2024-2025"])
        st = path.stat()
        data = path.read_bytes()
        path.write_bytes(data.replace(b'"19";"24"', b'"24";"19"', 1))  # the same bytes in another order
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
        again = input_folder_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.partition_key_range for r in again.run_requests] == [PartitionKeyRange("2024-2025", "2024-2025")]


def _warehouse_with_years(path: Path, years: list[str]) -> Path:
    """A warehouse (the real raw schema) holding one raw DUO row for each of `years`."""
    con = duckdb.connect(str(path))
    try:
        warehouse.setup(con)
        con.executemany(
            "insert into duo_rows (version, file_name, kind, school_year, line) values (1, 'f.csv', 'duo_po_pc4', ?, 2)",
            [[y] for y in years],
        )
        con.executemany(
            "insert into duo_loaded (school_year, file_name, version, cell_columns) values (?, 'f.csv', 1, [])",
            [[y] for y in years],
        )
    finally:
        con.close()
    return path


def test_schedule_builds_the_years_of_its_warehouse_in_one_run(tmp_path, monkeypatch):
    monkeypatch.setenv(
        settings.ENV_WAREHOUSE, str(_warehouse_with_years(tmp_path / "w.duckdb", ["2023-2024", "2024-2025"]))
    )
    with instance_for_test() as instance:
        # a year another warehouse registered in this instance is not built against this one
        instance.add_dynamic_partitions(school_years.name, ["2022-2023", "2023-2024"])
        context = build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 11, 23, 6))
        requests = nightly_schedule(context)
        assert [r.partition_key_range for r in requests] == [PartitionKeyRange("2023-2024", "2024-2025")]
        assert instance.get_dynamic_partitions(school_years.name) == ["2022-2023", "2023-2024", "2024-2025"]


def test_schedule_skips_without_a_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_WAREHOUSE, str(tmp_path / "none.duckdb"))
    with instance_for_test() as instance:
        result = nightly_schedule(
            build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 11, 23, 6))
        )
        assert "no school years" in result.skip_message


def test_years_not_next_to_each_other_are_one_run_per_block():
    order = ["2021-2022", "2022-2023", "2023-2024", "2024-2025"]
    assert year_blocks(order, order) == [order]
    assert year_blocks(order, ["2024-2025", "2021-2022", "2022-2023"]) == [["2021-2022", "2022-2023"], ["2024-2025"]]
    assert year_blocks(order, []) == []


def test_results_of_the_years_of_a_run_are_merged():
    one = merge_results({"2023-2024": MaterializeResult(metadata={"rows": 3, "note": "a"})})
    assert one.metadata == {"rows": 3, "note": "a"}
    both = merge_results(
        {
            "2023-2024": MaterializeResult(metadata={"rows": 3, "note": "a"}),
            "2024-2025": MaterializeResult(metadata={"rows": 4, "note": "b"}),
        }
    )
    assert both.metadata == {"rows": 7, "note": "2023-2024: a\n2024-2025: b"}
    checks = merge_results(
        {
            "2023-2024": AssetCheckResult(passed=True, metadata={"failures": "none"}),
            "2024-2025": AssetCheckResult(passed=False, description="2 rows lost"),
        }
    )
    assert not checks.passed and checks.description == "2024-2025: 2 rows lost"


def test_dagster_yaml_turns_telemetry_off_and_serialises_runs():
    text = (settings.PROJECT_ROOT / "dagster.yaml").read_text()
    assert "telemetry:\n  enabled: false" in text
    assert "max_concurrent_runs: 1" in text
    assert "/.dagster/" in (settings.PROJECT_ROOT / ".gitignore").read_text()
    assert Path(settings.DEFAULT_WAREHOUSE).parent == settings.DATA_DIR


_LOAD_FOLDER = """
import json, dagster as dg
from grensverkeer.settings import PROJECT_ROOT
d = dg.load_from_defs_folder(path_within_project=PROJECT_ROOT / "pipelines")
g = d.resolve_asset_graph()
print(json.dumps({"assets": sorted(k.to_user_string() for k in g.get_all_asset_keys()),
                  "checks": sorted(k.to_user_string() for k in g.asset_check_keys),
                  "jobs": sorted(j.name for j in d.jobs), "resources": sorted(d.resources)}))
"""


def test_the_defs_folder_holds_the_same_definitions():
    """Dagster's project layout (pipelines/dg.toml, what `dg dev` loads) finds the code
    location's assets, checks, jobs and resources in the defs/ package. In a child process:
    load_from_defs_folder leaves a process-wide load context behind."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _LOAD_FOLDER], capture_output=True, text=True, check=True).stdout
    folder = json.loads(out.strip().splitlines()[-1])
    g = defs.resolve_asset_graph()
    assert folder["assets"] == sorted(k.to_user_string() for k in g.get_all_asset_keys())
    assert folder["checks"] == sorted(k.to_user_string() for k in g.asset_check_keys)
    assert folder["jobs"] == sorted(j.name for j in defs.jobs)
    assert folder["resources"] == sorted(defs.resources) == ["duckdb", "paths"]
