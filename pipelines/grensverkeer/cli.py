"""The `grensverkeer` command: run the pipeline, open the Dagster UI."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from . import settings


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


def run(args: argparse.Namespace) -> int:
    _prepare_environment(args)
    from dagster import DagsterInstance

    from .runner import run_pipeline
    from .summary import print_summary

    input_dir = settings.input_dir()
    if not input_dir.is_dir():
        print(f"grensverkeer: input folder {input_dir} does not exist", file=sys.stderr)
        return 2
    paths = (input_dir, settings.warehouse_path(), settings.out_dir(), settings.region_file())
    if args.keep_run_history:
        outcome = run_pipeline(*paths, instance=DagsterInstance.get(), only_years=args.school_year or None)
    else:
        # An in-memory instance: storing each of the ~500 events of a run in DAGSTER_HOME's SQLite
        # files took about 15 s of a 90 s run. The sensor and the nightly schedule only need to
        # know the school years, so those are added to the persistent instance.
        with DagsterInstance.ephemeral() as instance:
            outcome = run_pipeline(*paths, instance=instance, only_years=args.school_year or None)
        if outcome.school_years:
            from .partitions import school_years

            with DagsterInstance.get() as instance:
                instance.add_dynamic_partitions(school_years.name, outcome.school_years)
    years, failures = outcome.school_years, outcome.failures
    rejected_files = print_summary(input_dir, settings.warehouse_path(), years, settings.out_dir())
    if not years:
        print(f"grensverkeer: no DUO pupil files with a usable count date in {input_dir}", file=sys.stderr)
    for f in failures:
        print(f"grensverkeer: {f}", file=sys.stderr)
    for name, reason in rejected_files:
        print(f"grensverkeer: rejected file {name}: {reason}", file=sys.stderr)
    return 1 if failures or rejected_files or not years else 0


def export(args: argparse.Namespace) -> int:
    _prepare_environment(args)
    from dagster import DagsterInstance

    from .runner import run_exports

    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        print(f"grensverkeer: no warehouse at {warehouse}: run `grensverkeer run` first", file=sys.stderr)
        return 2
    outcome = run_exports(warehouse, settings.out_dir(), settings.region_file(), instance=DagsterInstance.get(),
                          only_years=args.school_year or None)
    for year in outcome.school_years:
        print(f"grensverkeer: exports for {year} in {settings.out_dir() / 'exports' / year}")
    for f in outcome.failures:
        print(f"grensverkeer: {f}", file=sys.stderr)
    return 1 if outcome.failures or not outcome.school_years else 0


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
    p_run.add_argument("--school-year", action="append", metavar="YYYY-YYYY",
                       help="compute only this school year (repeatable); default: every year in the input")
    p_run.add_argument("--keep-run-history", action="store_true",
                       help="record the runs, events and materialisations in DAGSTER_HOME for `grensverkeer ui` "
                       "(slower); by default only the school-year partitions are recorded there")
    p_run.set_defaults(func=run)

    p_export = sub.add_parser("export", help="write the agreement exports from the warehouse (also part of `run`)")
    p_export.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb)")
    p_export.add_argument("--out", help="output folder (default: build/); exports go to OUT/exports/<school_year>/")
    p_export.add_argument("--region", help="region config (default: data/regions/haaglanden.toml)")
    p_export.add_argument("--school-year", action="append", metavar="YYYY-YYYY", help="only this school year (repeatable)")
    p_export.set_defaults(func=export)

    p_ui = sub.add_parser("ui", help="open the Dagster UI on this project")
    p_ui.add_argument("--port", type=int, default=3000)
    p_ui.add_argument("--input")
    p_ui.add_argument("--warehouse")
    p_ui.add_argument("--out")
    p_ui.set_defaults(func=ui)

    from .demo import add_demo_parser
    from .privacy import add_pseudonymise_parser
    from .site.serve import add_serve_parser

    add_pseudonymise_parser(sub)
    add_demo_parser(sub)
    add_serve_parser(sub)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
