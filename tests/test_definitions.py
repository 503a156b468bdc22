"""The Dagster code location loads, and its sensor and schedule ask for the right runs."""

import shutil
from datetime import datetime
from pathlib import Path

from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from grensverkeer import settings
from grensverkeer.definitions import defs
from grensverkeer.jobs import input_folder_sensor, nightly_schedule
from grensverkeer.partitions import school_years

BUNDLED = settings.DEFAULT_INPUT_DIR / "duo"


def test_definitions_load_with_layers_and_checks():
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {"reference", "raw", "staging", "intermediate", "marts", "publish", "graph", "exports", "dashboards"}
    for name in ("municipality_flows", "school_catchment", "publication", "municipality_graph",
                 "support_flows", "agreement_needs", "agreement_exports"):
        node = graph.get(AssetKey(name))
        assert node.partitions_def == school_years
    check_names = {key.name for key in graph.asset_check_keys}
    assert {"municipality_flows_reconcile", "stg_duo_rows_valid", "int_cell_estimates_valid",
            "stg_linked_records_valid", "agreement_needs_valid", "agreement_exports_safe", "publication_adds_up",
            "published_files_safe"} <= check_names
    assert defs.resolve_job_def("school_year_job").partitions_def == school_years


def test_sensor_adds_new_year_and_runs_only_changed_years(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_INPUT, str(tmp_path))
    shutil.copy(BUNDLED / "Wassenaar afgeschermd.csv", tmp_path / "wassenaar.csv")
    with DagsterInstance.ephemeral() as instance:
        first = input_folder_sensor(build_sensor_context(instance=instance, cursor=None))
        assert [r.partition_key for r in first.run_requests] == ["2024-2025"]
        assert first.dynamic_partitions_requests[0].partition_keys == ["2024-2025"]
        instance.add_dynamic_partitions(school_years.name, ["2024-2025"])

        unchanged = input_folder_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert "no new or changed files" in unchanged.skip_message

        # A file of another count year arrives: only that year is requested.
        text = (BUNDLED / "Delft afgeschermd.csv").read_text(encoding="utf-8-sig").replace('"20241001"', '"20231001"')
        (tmp_path / "delft-2023.csv").write_text(text, encoding="utf-8-sig")
        second = input_folder_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.partition_key for r in second.run_requests] == ["2023-2024"]
        assert second.dynamic_partitions_requests[0].partition_keys == ["2023-2024"]


def test_schedule_requests_every_known_year():
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(school_years.name, ["2023-2024", "2024-2025"])
        context = build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 11, 23, 6))
        requests = list(nightly_schedule(context))
        assert sorted(r.partition_key for r in requests) == ["2023-2024", "2024-2025"]


def test_dagster_yaml_turns_telemetry_off_and_serialises_runs():
    text = (settings.PROJECT_ROOT / "dagster.yaml").read_text()
    assert "telemetry:\n  enabled: false" in text
    assert "max_concurrent_runs: 1" in text
    assert "/.dagster/" in (settings.PROJECT_ROOT / ".gitignore").read_text()
    assert Path(settings.DEFAULT_WAREHOUSE).parent == settings.DATA_DIR
