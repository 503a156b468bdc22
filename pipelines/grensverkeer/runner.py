"""Run the whole asset graph in-process: reference tables, then every school year found.

Used by `grensverkeer run` and by the tests, so both exercise the same Dagster assets.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance, Definitions

from . import settings
from .ingest.linked import linked_school_years
from .ingest.retract import retract_years
from .ingest.load import discover_input, loaded_file_years, school_year_of
from .partitions import school_years
from .resources import make_resources

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunOutcome:
    school_years: list[str]
    failures: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)  # file versions no longer in the folder (ingest/retract.py)

    @property
    def success(self) -> bool:
        return not self.failures


def _failures(result) -> list[str]:
    """Plain sentences for failed blocking checks and failed steps of a run."""
    out = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed and ev.severity.value == "ERROR":
            md = {k: getattr(v, "value", v) for k, v in ev.metadata.items()}
            detail = md.get("failures") or ev.description or ""
            out.append(f"check {ev.check_name} on {ev.asset_key.to_user_string()} failed: {detail}")
    for ev in result.all_events:
        if ev.event_type_value == "STEP_FAILURE":
            err = ev.event_specific_data.error
            if err and "DagsterAssetCheckFailedError" in (err.cls_name or ""):
                continue  # already told as a failed check
            out.append(f"step {ev.step_key} failed: {err.message.strip() if err else 'unknown error'}")
    return out


def _print_step_timings(instance: DagsterInstance, run_id: str) -> None:
    """Per-step wall time of a run (set GRENSVERKEER_TIMINGS=1), to see where time goes."""
    for stats in sorted(instance.get_run_step_stats(run_id), key=lambda s: -(s.end_time - s.start_time)):
        print(f"{stats.end_time - stats.start_time:7.2f} s  {stats.step_key}")


@contextmanager
def warehouse_kept_open(warehouse: Path):
    """Hold one connection to the warehouse for the whole run.

    Every asset step opens and closes its own connection (DuckDBResource). Without another
    connection open, each close checkpoints the write-ahead log into the file and the next
    step opens and reads the database again; with this one open, the steps' connections
    share the open database and it is checkpointed once, when this closes.
    """
    import duckdb

    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), config=settings.duckdb_config())  # as DuckDBResource
    try:
        yield con
    finally:
        con.close()


def _definitions(input_dir: Path, warehouse: Path, out_dir: Path, region_file: Path | None) -> Definitions:
    from .definitions import defs as code_location

    return Definitions.merge(
        Definitions(assets=code_location.assets, asset_checks=code_location.asset_checks, jobs=code_location.jobs),
        Definitions(resources=make_resources(input_dir, warehouse, out_dir, region_file or settings.region_file())),
    )


def run_exports(warehouse: Path, out_dir: Path, region_file: Path | None = None, instance: DagsterInstance | None = None,
                only_years: list[str] | None = None, input_dir: Path | None = None) -> RunOutcome:
    """Only the export assets, for every school year in the warehouse (or `only_years`)."""
    with warehouse_kept_open(warehouse) as con:
        years = [r[0] for r in con.execute(
            "select distinct school_year from int_row_estimates union select distinct school_year from support_flows "
            "order by 1").fetchall()]
        outcome = RunOutcome([y for y in years if only_years is None or y in only_years])
        defs = _definitions(input_dir or settings.input_dir(), warehouse, out_dir, region_file)
        instance = instance or DagsterInstance.ephemeral()
        instance.add_dynamic_partitions(school_years.name, outcome.school_years)
        job = defs.resolve_job_def("export_job")
        for year in outcome.school_years:
            result = job.execute_in_process(partition_key=year, instance=instance, raise_on_error=False,
                                            run_config=QUIET)
            outcome.failures += [f"{year}: {f}" for f in _failures(result)]
    return outcome


def run_pipeline(input_dir: Path, warehouse: Path, out_dir: Path, region_file: Path | None = None,
                 instance: DagsterInstance | None = None, log_config: dict | None = None,
                 only_years: list[str] | None = None, site: bool = True) -> RunOutcome:
    """Materialise the reference tables, then every school year found in `input_dir`
    (or only `only_years`); each year is one partition run, the others stay as they are.
    Then the dashboard site, unless `site` is False (the national benchmark)."""
    with warehouse_kept_open(warehouse) as con:
        # The warehouse reflects the folder: versions no longer in it stop counting first.
        retraction = retract_years(con, input_dir, out_dir)
        if retraction.school_years and only_years is not None:
            only_years = None  # the touched years must be recomputed too: recompute every year
        known = loaded_file_years(con)  # files loaded before are not parsed again to find their years
        outcome = _run_pipeline(input_dir, warehouse, out_dir, region_file, instance, log_config, only_years, known,
                                site)
        outcome.retracted = retraction.files
        return outcome


def _run_pipeline(input_dir: Path, warehouse: Path, out_dir: Path, region_file: Path | None,
                  instance: DagsterInstance | None, log_config: dict | None,
                  only_years: list[str] | None, known: dict | None = None, site: bool = True) -> RunOutcome:
    defs = _definitions(input_dir, warehouse, out_dir, region_file)
    instance = instance or DagsterInstance.ephemeral()
    run_config = log_config if log_config is not None else QUIET
    count_years, problems = discover_input(input_dir, known=known)
    linked_years, linked_problems = linked_school_years(input_dir, known=known)
    count_years, problems = sorted(set(count_years) | set(linked_years)), problems + linked_problems
    found = [school_year_of(y) for y in count_years]
    outcome = RunOutcome([y for y in found if only_years is None or y in only_years])
    if not found:
        outcome.failures += [f"file {name} cannot be used: {message}" for name, message in problems]
    missing = sorted(set(only_years or []) - set(found))
    if missing:
        outcome.failures.append(f"no files for school year {', '.join(missing)} in {input_dir}")
    reference = defs.resolve_job_def("reference_job").execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config)
    outcome.failures += _failures(reference)
    if not reference.success:
        return outcome
    instance.add_dynamic_partitions(school_years.name, outcome.school_years)
    job = defs.resolve_job_def("school_year_job")
    for year in outcome.school_years:
        result = job.execute_in_process(partition_key=year, instance=instance, raise_on_error=False, run_config=run_config)
        if os.environ.get("GRENSVERKEER_TIMINGS"):
            _print_step_timings(instance, result.run_id)
        outcome.failures += [f"{year}: {f}" for f in _failures(result)]
    if site and outcome.school_years and not outcome.failures:
        # The site shows every year side by side: built once, after all partitions.
        built = defs.resolve_job_def("dashboards_job").execute_in_process(instance=instance, raise_on_error=False,
                                                                    run_config=run_config)
        outcome.failures += [f"site: {f}" for f in _failures(built)]
    return outcome
