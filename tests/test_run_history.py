"""The run history's event log (grensverkeer/run_history.py) records runs that Dagster's own SQLite
storage reads back: the same files, only the connections are kept open."""

from __future__ import annotations

import dagster as dg

from grensverkeer.cli import _instance_yaml
from grensverkeer.run_history import RunHistoryEventLog


@dg.asset
def upstream() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset(deps=[upstream])
def downstream() -> None:
    return None


def _instance(home, yaml: str) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml, encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home))


def test_runs_are_recorded_and_readable_by_dagsters_own_storage(tmp_path):
    home = tmp_path / "home"
    with _instance(home, _instance_yaml("telemetry:\n  enabled: false\n", home)) as instance:
        # resolved once the instance exists: Dagster's definitions look up the current instance
        job = dg.Definitions(assets=[upstream, downstream], jobs=[dg.define_asset_job("j")]).resolve_job_def("j")
        assert isinstance(instance.event_log_storage, RunHistoryEventLog)
        run_id = job.execute_in_process(instance=instance).run_id
        ours = [r.event_log_entry.dagster_event_type for r in instance.get_records_for_run(run_id).records]
        latest = instance.get_latest_materialization_event(dg.AssetKey("upstream"))
        assert latest is not None and latest.run_id == run_id
    # the same folder opened with Dagster's default storage (what any other Dagster process could use)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        theirs = [r.event_log_entry.dagster_event_type for r in plain.get_records_for_run(run_id).records]
        assert theirs == ours and dg.DagsterEventType.RUN_SUCCESS in theirs
        assert plain.get_latest_materialization_event(dg.AssetKey("downstream")).run_id == run_id
