"""The `grensverkeer` command: run the pipeline, open the Dagster UI."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from . import settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _prepare_environment(args: argparse.Namespace) -> None:
    """Point Dagster and the code location at the chosen folders (via environment variables)."""
    if getattr(args, "input", None):
        os.environ[settings.ENV_INPUT] = str(Path(args.input).resolve())
    if getattr(args, "warehouse", None):
        os.environ[settings.ENV_WAREHOUSE] = str(Path(args.warehouse).resolve())
    if getattr(args, "out", None):
        os.environ[settings.ENV_OUT] = str(Path(args.out).resolve())
    if getattr(args, "region", None):
        os.environ[settings.ENV_REGION] = str(Path(args.region).resolve())
    home = Path(os.environ.get("DAGSTER_HOME", settings.PROJECT_ROOT / ".dagster")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() or home == (settings.PROJECT_ROOT / ".dagster").resolve():
        shutil.copyfile(settings.PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)


def _failures(result) -> list[str]:
    """Plain sentences for failed steps and failed blocking checks of a run."""
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


def run(args: argparse.Namespace) -> int:
    _prepare_environment(args)
    from dagster import DagsterInstance

    from .definitions import defs
    from .ingest.load import discover_count_years, school_year_of
    from .partitions import school_years
    from .summary import print_summary

    input_dir = settings.input_dir()
    if not input_dir.is_dir():
        print(f"grensverkeer: input folder {input_dir} does not exist", file=sys.stderr)
        return 2
    years = [school_year_of(y) for y in discover_count_years(input_dir)]
    instance = DagsterInstance.get()
    failures: list[str] = []
    reference = defs.resolve_job_def("reference_job").execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET)
    failures += _failures(reference)
    if reference.success:
        instance.add_dynamic_partitions(school_years.name, years)
        job = defs.resolve_job_def("school_year_job")
        for year in years:
            result = job.execute_in_process(partition_key=year, instance=instance, raise_on_error=False, run_config=QUIET)
            failures += [f"{year}: {f}" for f in _failures(result)]
    rejected_files = print_summary(input_dir, settings.warehouse_path(), years, settings.out_dir())
    if not years:
        print(f"grensverkeer: no DUO pupil files with a usable count date in {input_dir}", file=sys.stderr)
    for f in failures:
        print(f"grensverkeer: {f}", file=sys.stderr)
    for name, reason in rejected_files:
        print(f"grensverkeer: rejected file {name}: {reason}", file=sys.stderr)
    return 1 if failures or rejected_files or not years else 0


def ui(args: argparse.Namespace) -> int:
    _prepare_environment(args)
    dagster = Path(sys.executable).with_name("dagster")
    cmd = [str(dagster), "dev", "-m", "grensverkeer.definitions", "-p", str(args.port)]
    print(f"Dagster UI on http://localhost:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.execv(cmd[0], cmd)
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grensverkeer", description="Cross-border pupil flows for a youth-care region.")
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="run the whole pipeline in-process on an input folder")
    p_run.add_argument("--input", help=f"folder with DUO files (default: {settings.DEFAULT_INPUT_DIR.relative_to(settings.PROJECT_ROOT)})")
    p_run.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb)")
    p_run.add_argument("--out", help="output folder (default: build/)")
    p_run.add_argument("--region", help="region config (default: data/regions/haaglanden.toml)")
    p_run.set_defaults(func=run)

    p_ui = sub.add_parser("ui", help="open the Dagster UI on this project")
    p_ui.add_argument("--port", type=int, default=3000)
    p_ui.add_argument("--input")
    p_ui.add_argument("--warehouse")
    p_ui.add_argument("--out")
    p_ui.set_defaults(func=ui)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
