"""Run the whole asset graph in-process: reference tables, every school year found, the site.

Used by `grensverkeer run` and by the tests, so both exercise the same Dagster assets.
All selected school years are materialised in ONE Dagster run of `build_job` (the
partitioned assets have the single-run backfill policy: one step per asset over every
year of the run), the same selection the sensor, the schedule and the UI build.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance, Definitions, colored_console_logger

from . import settings
from .ingest import hashes
from .ingest.linked import linked_school_years
from .ingest.load import discover_input, loaded_file_years, school_year_of
from .ingest.retract import retract_years
from .partitions import range_tags, school_years, year_blocks
from .progress import Progress, follow, previous_step_seconds, progress_logger
from .resources import make_resources

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunOutcome:
    school_years: list[str]
    failures: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
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
            # Dagster wraps the step's own error: say what went wrong, not that an op raised
            while (
                err is not None
                and err.cause is not None
                and "DagsterExecutionStepExecutionError" in (err.cls_name or "")
            ):
                err = err.cause
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


def import_in_background(*modules: str) -> None:
    """Import modules the run needs later in a thread, while the main thread reads the files
    and DuckDB works (both let go of the GIL). A module that fails here is imported again, with
    its error, where it is used. (Great Expectations, several seconds of CPU, is imported in a
    process of its own: expectations.start_worker.)"""
    import importlib
    import threading

    def load() -> None:
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # the import where the module is used reports it
                pass

    threading.Thread(target=load, name="grensverkeer-imports", daemon=True).start()


def _definitions(input_dir: Path, warehouse: Path, out_dir: Path, region_file: Path | None) -> Definitions:
    from dagster import AssetSelection, define_asset_job

    from .definitions import defs as code_location
    from .defs.jobs import BUILD_GROUPS

    # Only here (not in the code location): the national benchmark builds without the site.
    without_site = define_asset_job("build_without_site", AssetSelection.groups(*BUILD_GROUPS[:-1]))
    return Definitions.merge(
        Definitions(
            assets=code_location.assets,
            asset_checks=code_location.asset_checks,
            jobs=[*code_location.jobs, without_site],
            loggers={"console": colored_console_logger, "progress": progress_logger},
        ),
        Definitions(resources=make_resources(input_dir, warehouse, out_dir, region_file or settings.region_file())),
    )


def _execute(
    defs: Definitions,
    job_name: str,
    instance: DagsterInstance,
    run_config: dict,
    progress: Progress | None,
    tags: dict | None = None,
):
    job = defs.resolve_job_def(job_name)
    if progress is not None:
        nodes = len(job.graph.node_dict)
        progress.start_run(nodes, previous_step_seconds(instance, job_name))
        run_config = {"loggers": {**run_config.get("loggers", {}), "progress": {}}}
    follow(progress)
    try:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags or {})
    finally:
        follow(None)
    if os.environ.get(settings.ENV_TIMINGS):
        _print_step_timings(instance, result.run_id)
    return result


def run_exports(
    warehouse: Path,
    out_dir: Path,
    region_file: Path | None = None,
    instance: DagsterInstance | None = None,
    only_years: list[str] | None = None,
    input_dir: Path | None = None,
    progress: Progress | None = None,
) -> RunOutcome:
    """Only the export assets, for every school year in the warehouse (or `only_years`), in one run."""
    with warehouse_kept_open(warehouse) as con:
        years = [
            r[0]
            for r in con.execute(
                "select distinct school_year from int_row_estimates union select distinct school_year from support_flows "
                "order by 1"
            ).fetchall()
        ]
        outcome = RunOutcome([y for y in years if only_years is None or y in only_years])
        defs = _definitions(input_dir or settings.input_dir(), warehouse, out_dir, region_file)
        instance = instance or DagsterInstance.ephemeral()
        instance.add_dynamic_partitions(school_years.name, outcome.school_years)
        for block in year_blocks(instance.get_dynamic_partitions(school_years.name), outcome.school_years):
            result = _execute(defs, "export_job", instance, QUIET, progress, range_tags(block))
            outcome.run_ids.append(result.run_id)
            outcome.failures += _failures(result)
    return outcome


def run_pipeline(
    input_dir: Path,
    warehouse: Path,
    out_dir: Path,
    region_file: Path | None = None,
    instance: DagsterInstance | None = None,
    log_config: dict | None = None,
    only_years: list[str] | None = None,
    site: bool = True,
    progress: Progress | None = None,
) -> RunOutcome:
    """Materialise the reference tables, every school year found in `input_dir` (or only
    `only_years`; the others stay as they are) and the dashboard site, in one Dagster run.
    `site=False` leaves the site out (the national benchmark)."""
    with warehouse_kept_open(warehouse) as con:
        hashes.load(con)  # the files' hashes of the last run: an unchanged file is not read again
        # The warehouse reflects the folder: versions no longer in it stop counting first.
        retraction = retract_years(con, input_dir, out_dir)
        if retraction.school_years and only_years is not None:
            only_years = None  # the touched years must be recomputed too: recompute every year
        known = loaded_file_years(con)  # files loaded before are not parsed again to find their years
        outcome = _run_pipeline(
            input_dir, warehouse, out_dir, region_file, instance, log_config, only_years, known, site, progress, con
        )
        outcome.retracted = retraction.files
        return outcome


def _run_pipeline(
    input_dir: Path,
    warehouse: Path,
    out_dir: Path,
    region_file: Path | None,
    instance: DagsterInstance | None,
    log_config: dict | None,
    only_years: list[str] | None,
    known: dict | None = None,
    site: bool = True,
    progress: Progress | None = None,
    con=None,
) -> RunOutcome:
    from .expectations import start_worker

    start_worker()  # Great Expectations is imported in its own process, on the other core
    import_in_background("networkx", "pandas")
    defs = _definitions(input_dir, warehouse, out_dir, region_file)
    instance = instance or DagsterInstance.ephemeral()
    run_config = log_config if log_config is not None else QUIET
    if con is not None:
        from .warehouse import setup

        setup(con)
    # Each DUO file is parsed here once, and staged in the warehouse with its rows of every
    # year: the loads of this run copy them from there instead of parsing the file again.
    if con is not None:  # (restored below: the steps get the build's limit)
        con.execute(f"set memory_limit = '{settings.discovery_duckdb_memory()}'")
    try:
        count_years, problems = discover_input(input_dir, known=known, con=con)
        linked_years, linked_problems = linked_school_years(input_dir, known=known, con=con)
        if con is not None:
            hashes.save(con, input_dir)  # every file of the folder is hashed by now
    finally:
        if con is not None:
            con.execute(f"set memory_limit = '{settings.duckdb_config()['memory_limit']}'")
    count_years, problems = sorted(set(count_years) | set(linked_years)), problems + linked_problems
    found = [school_year_of(y) for y in count_years]
    outcome = RunOutcome([y for y in found if only_years is None or y in only_years])
    if not found:
        outcome.failures += [f"file {name} cannot be used: {message}" for name, message in problems]
    missing = sorted(set(only_years or []) - set(found))
    if missing:
        outcome.failures.append(f"no files for school year {', '.join(missing)} in {input_dir}")
    if progress is not None:
        progress.line(f"grensverkeer: school years {', '.join(outcome.school_years) or '(none)'} found in {input_dir}")
    if not outcome.school_years:
        reference = _execute(defs, "reference_job", instance, run_config, progress)
        outcome.run_ids.append(reference.run_id)
        outcome.failures += _failures(reference)
        return outcome
    instance.add_dynamic_partitions(school_years.name, outcome.school_years)
    blocks = year_blocks(instance.get_dynamic_partitions(school_years.name), outcome.school_years)
    for i, block in enumerate(blocks):
        # The site shows every year side by side: built in the (only, or last) run.
        with_site = site and i == len(blocks) - 1 and not outcome.failures
        if progress is not None and len(blocks) > 1:
            progress.line(f"grensverkeer: run {i + 1} of {len(blocks)}: {', '.join(block)}")
        result = _execute(
            defs, "build_job" if with_site else "build_without_site", instance, run_config, progress, range_tags(block)
        )
        outcome.run_ids.append(result.run_id)
        outcome.failures += _failures(result)
    return outcome
