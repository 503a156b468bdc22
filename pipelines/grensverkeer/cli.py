"""The `grensverkeer` command: run the pipeline, open the Dagster UI."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import settings


def dagster_home_for(warehouse: Path) -> Path:
    """The Dagster instance of a warehouse: the project's `.dagster/` for the default warehouse,
    `<warehouse>.dagster/` beside any other, so that the school years (partitions) and runs
    Dagster knows are those of the warehouse it points at."""
    if Path(warehouse).resolve() == settings.DEFAULT_WAREHOUSE.resolve():
        return settings.PROJECT_ROOT / ".dagster"
    return Path(str(Path(warehouse).resolve()) + ".dagster")


@dataclass(frozen=True)
class Paths:
    """The folders and files of one command: from its options, else GRENSVERKEER_*, else the defaults."""

    input_dir: Path
    warehouse: Path
    out_dir: Path
    region: Path


def _paths(args: argparse.Namespace) -> Paths:
    def chosen(option: str, default) -> Path:
        value = getattr(args, option, None)
        return Path(value).resolve() if value else default()

    return Paths(
        chosen("input", settings.input_dir),
        chosen("warehouse", settings.warehouse_path),
        chosen("out", settings.out_dir),
        chosen("region", settings.region_file),
    )


def _instance_yaml(project_yaml: str, home: Path) -> str:
    """dagster.yaml for the instance in `home`: the project's settings plus this event log, whose
    folder is where Dagster's own SQLite storage keeps it (history/runs/ under DAGSTER_HOME)."""
    runs = (home / "history" / "runs").as_posix()
    return (
        project_yaml.rstrip()
        + "\n\n# Added by grensverkeer: the run history's event log with its connections kept open "
        "(grensverkeer/run_history.py).\n"
        f"event_log_storage:\n  module: grensverkeer.run_history\n  class: RunHistoryEventLog\n"
        f'  config:\n    base_dir: "{runs}"\n'
    )


def _use_dagster_home(warehouse: Path) -> None:
    """Point Dagster at the instance of the warehouse (DAGSTER_HOME is how Dagster finds it)."""
    home = Path(os.environ.get("DAGSTER_HOME") or dagster_home_for(warehouse)).resolve()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. --warehouse some-file/w.duckdb
        raise EnvironmentProblem(
            f"the folder {home} for the run history of the warehouse cannot be created: {exc.strerror or exc} "
            "(is a part of the path a file? pass another --warehouse, or set DAGSTER_HOME)"
        ) from None
    if not (home / "dagster.yaml").exists() or home == (settings.PROJECT_ROOT / ".dagster").resolve():
        project_yaml = (settings.PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8")
        (home / "dagster.yaml").write_text(_instance_yaml(project_yaml, home), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)


def _prepare_environment(args: argparse.Namespace) -> None:
    """For `ui`: the Dagster code location it starts in another process finds the chosen
    folders in environment variables. `run` and `export` pass them as arguments."""
    paths = _paths(args)
    for var, option, value in (
        (settings.ENV_INPUT, "input", paths.input_dir),
        (settings.ENV_WAREHOUSE, "warehouse", paths.warehouse),
        (settings.ENV_OUT, "out", paths.out_dir),
        (settings.ENV_REGION, "region", paths.region),
    ):
        if getattr(args, option, None):
            os.environ[var] = str(value)
    _use_dagster_home(paths.warehouse)


EXIT_CLEAN, EXIT_REJECTED, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3  # README "Exit codes"


class EnvironmentProblem(Exception):
    """Something around the run is wrong (warehouse in use, folder missing, disk full): one sentence, exit 3."""


def _environment_message(exc: BaseException, warehouse: Path) -> str | None:
    """A plain sentence for the everyday failures around a run, or None for anything else."""
    import errno

    import duckdb

    text = str(exc)
    if isinstance(exc, duckdb.IOException) and "lock" in text.lower():
        return (
            f"the warehouse {warehouse} is in use by another program (another grensverkeer run, or a DuckDB "
            "session that has it open): close that first, or wait for the run to finish, then run again"
        )
    # the error itself or what caused it (SQLAlchemy wraps sqlite's, Dagster a step's)
    chain, cause = [], exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(e, OSError) and e.errno == errno.ENOSPC for e in chain) or _disk_full(text):
        return DISK_FULL.format(warehouse=warehouse)
    return None


DISK_FULL = (
    "the disk is full while writing the warehouse {warehouse}, its run history or the output: free some space "
    "and run again (what this run did not finish is not published)"
)


def _disk_full(text: str) -> bool:
    """Whether an error message says the disk is full (OSError, DuckDB, sqlite under Dagster's run history)."""
    return any(s in text for s in ("No space left on device", "[Errno 28]", "database or disk is full"))


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    return _plainly(_run, args)


def _plainly(command, args: argparse.Namespace) -> int:
    """Run a command; the everyday failures around it are one sentence and exit code 3."""
    try:
        return command(args)
    except EnvironmentProblem as exc:
        print(f"grensverkeer: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except Exception as exc:
        message = _environment_message(exc, _paths(args).warehouse)
        if message is None:
            raise
        print(f"grensverkeer: {message}", file=sys.stderr)
        return EXIT_ENVIRONMENT


def _check_region(region: Path) -> None:
    from .region_schema import RegionFileError

    try:
        settings.load_region(region)
    except RegionFileError as exc:  # every problem, each with its line, key and the allowed keys
        raise EnvironmentProblem(f"the region file {region} is not valid: {exc.problems}") from None
    except FileNotFoundError:
        raise EnvironmentProblem(f"the region file {region} does not exist (pass one with --region)") from None
    except OSError as exc:
        raise EnvironmentProblem(f"the region file {region} cannot be read: {exc.strerror or exc}") from None
    except Exception as exc:  # TOML syntax, a missing key, a wrong value: said in one line
        raise EnvironmentProblem(f"the region file {region} is not valid: {str(exc).splitlines()[0]}") from None


def _check_outputs(warehouse: Path, out_dir: Path) -> None:
    """The warehouse must be a file and the output a folder that can be made, before anything runs."""
    if warehouse.is_dir():
        raise EnvironmentProblem(
            f"the warehouse {warehouse} is a folder: pass a file with --warehouse, e.g. {warehouse / 'warehouse.duckdb'}"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise EnvironmentProblem(f"the output folder {out_dir} is a file, not a folder (pass a folder with --out)")
    for folder, what in ((warehouse.parent, "the folder of the warehouse"), (out_dir, "the output folder")):
        if folder.exists() and not folder.is_dir():
            raise EnvironmentProblem(f"{what} {folder} is a file, not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentProblem(f"{what} {folder} cannot be created: {exc.strerror or exc}") from None


def _run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    problems = settings.environment_problems()
    if problems:
        raise EnvironmentProblem("; ".join(problems))
    paths = _paths(args)
    _use_dagster_home(paths.warehouse)
    input_dir = paths.input_dir
    if not args.quiet:
        print(f"grensverkeer: warehouse {_shown(paths.warehouse)}, input {_shown(input_dir)}", flush=True)
    from dagster import DagsterInstance

    from .ingest.files import shown_name
    from .progress import Progress
    from .runner import run_pipeline
    from .summary import print_summary

    if input_dir.exists() and not input_dir.is_dir():
        raise EnvironmentProblem(f"the input folder {input_dir} is a file, not a folder (pass a folder with --input)")
    if not input_dir.is_dir():
        raise EnvironmentProblem(f"the input folder {input_dir} does not exist (pass one with --input)")
    _check_region(paths.region)
    _check_outputs(paths.warehouse, paths.out_dir)
    progress = Progress(quiet=args.quiet)
    progress.line(f"grensverkeer: loaded in {time.perf_counter() - started:.1f} s; reading the input folder ...")
    where = (input_dir, paths.warehouse, paths.out_dir, paths.region)
    if args.no_run_history:
        # An in-memory instance (a little faster); only the school-year partitions are recorded
        # in DAGSTER_HOME, for the sensor and the nightly schedule.
        with DagsterInstance.ephemeral() as instance:
            outcome = run_pipeline(*where, instance=instance, only_years=args.school_year or None, progress=progress)
        if outcome.school_years:
            from .partitions import school_years

            with DagsterInstance.get() as instance:
                known = set(instance.get_dynamic_partitions(school_years.name))
                instance.add_dynamic_partitions(school_years.name, [y for y in outcome.school_years if y not in known])
    else:
        # The run, its events and materialisations are recorded in DAGSTER_HOME: every
        # `grensverkeer run` shows in `grensverkeer ui`.
        with DagsterInstance.get() as instance:
            outcome = run_pipeline(*where, instance=instance, only_years=args.school_year or None, progress=progress)
    years, failures = outcome.school_years, outcome.failures
    if any(_disk_full(f) for f in failures):  # a step that could not write: not the input's fault
        raise EnvironmentProblem(DISK_FULL.format(warehouse=paths.warehouse))
    for name in outcome.retracted:
        print(
            f"grensverkeer: file {shown_name(name)} is no longer in the input folder (removed or replaced): "
            "its rows no longer count; input_files keeps the version as 'retracted'"
        )
    # Rejections first, above the summary: a run that refused input must not look normal.
    # --quiet: the summary is still worked out (it finds the rejected files), not printed.
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        found = print_summary(input_dir, paths.warehouse, years, paths.out_dir)
    if not years:
        print(f"grensverkeer: no DUO pupil files with a usable count date in {input_dir}", file=sys.stderr)
    for f in failures:
        print(f"grensverkeer: {f}", file=sys.stderr)
    for name, reason in found.rejected_files:
        print(f"grensverkeer: rejected file {shown_name(name)}: {reason}", file=sys.stderr)
    for line in found.rejected_row_lines:
        print(f"grensverkeer: {line}", file=sys.stderr)
    for line in found.warnings:  # counted, but the user must know (printed with --quiet too)
        print(f"grensverkeer: {line}", file=sys.stderr)
    sys.stderr.flush()
    if not args.quiet:
        sys.stdout.write(summary.getvalue())
    progress.line(f"grensverkeer: done in {time.perf_counter() - started:.1f} s")
    rejected = failures or found.rejected_files or found.rejected_rows or not years
    return EXIT_REJECTED if rejected else EXIT_CLEAN


def export(args: argparse.Namespace) -> int:
    return _plainly(_export, args)


def _export(args: argparse.Namespace) -> int:
    problems = settings.environment_problems()
    if problems:
        raise EnvironmentProblem("; ".join(problems))
    paths = _paths(args)
    _use_dagster_home(paths.warehouse)
    _check_region(paths.region)
    from dagster import DagsterInstance

    from .runner import run_exports

    warehouse = paths.warehouse
    if not warehouse.exists():
        print(f"grensverkeer: no warehouse at {warehouse}: run `grensverkeer run` first", file=sys.stderr)
        return 2
    outcome = run_exports(
        warehouse,
        paths.out_dir,
        paths.region,
        instance=DagsterInstance.get(),
        only_years=args.school_year or None,
    )
    for year in outcome.school_years:
        print(f"grensverkeer: exports for {year} in {paths.out_dir / 'exports' / year}")
    for f in outcome.failures:
        print(f"grensverkeer: {f}", file=sys.stderr)
    return 1 if outcome.failures or not outcome.school_years else 0


def ui(args: argparse.Namespace) -> int:
    """Dagster's UI through `dg dev`, Dagster's project CLI: it reads the project from
    pipelines/dg.toml (the package and its defs/ folder) and serves the code location."""
    _prepare_environment(args)
    dg = Path(sys.executable).with_name("dg")
    cmd = [str(dg), "dev", "-p", str(args.port)]
    print(f"Dagster UI on http://localhost:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.chdir(settings.PROJECT_ROOT / "pipelines")  # where dg.toml is
    os.execv(cmd[0], cmd)
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"] and not {"--quiet", "-h", "--help"} & set(argv):
        # Before anything heavy is imported (the other subcommands' modules bring in Polars,
        # DuckDB and plotly; the run Dagster and Great Expectations: seconds), so that the
        # first line is on screen at once.
        print("grensverkeer: building the warehouse (loading Dagster, DuckDB and Polars ...)", flush=True)
    parser = argparse.ArgumentParser(
        prog="grensverkeer", description="Cross-border pupil flows for a youth-care region."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="run the whole pipeline in-process on an input folder")
    p_run.add_argument(
        "--input",
        help=f"folder with DUO files (default: {settings.DEFAULT_INPUT_DIR.relative_to(settings.PROJECT_ROOT)})",
    )
    p_run.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb)")
    p_run.add_argument("--out", help="output folder (default: build/)")
    p_run.add_argument("--region", help="region config (default: data/regions/haaglanden.toml)")
    p_run.add_argument(
        "--school-year",
        action="append",
        metavar="YYYY-YYYY",
        help="compute only this school year (repeatable); default: every year in the input",
    )
    p_run.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing but problems (for cron); the exit code says whether it worked",
    )
    p_run.add_argument(
        "--no-run-history",
        action="store_true",
        help="do not record the run in DAGSTER_HOME (by default every run shows in `grensverkeer ui`)",
    )
    p_run.add_argument("--keep-run-history", action="store_true", help=argparse.SUPPRESS)  # the default now
    p_run.set_defaults(func=run)

    p_export = sub.add_parser("export", help="write the agreement exports from the warehouse (also part of `run`)")
    p_export.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb)")
    p_export.add_argument("--out", help="output folder (default: build/); exports go to OUT/exports/<school_year>/")
    p_export.add_argument("--region", help="region config (default: data/regions/haaglanden.toml)")
    p_export.add_argument(
        "--school-year", action="append", metavar="YYYY-YYYY", help="only this school year (repeatable)"
    )
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


def collect_garbage_less_often() -> None:
    """Python's cyclic garbage collector, tuned for a build. Dagster, Polars, DuckDB and the
    page templates leave a heap of a few million long-lived objects; with the default
    thresholds (700, 10, 10) every ~70,000 allocations the collector walked the young
    generations and eight times a run the whole heap, 3.2 s of the bundled run's main thread
    (0.35 s per full collection). The build's data live in DuckDB and Arrow buffers, which
    are freed by reference counting, not by this collector; what it finds are short cycles
    of small objects. Collecting the young generation every 10,000 allocations and the old
    ones 20 times less often than the default costs 0.8 s instead, with no full collection."""
    import gc

    gc.set_threshold(10_000, 20, 20)


def entry() -> None:
    """The console script. After the command, every exit handler runs (the GX worker ends, logs
    are flushed) and the output is flushed; then the process ends without tearing down its
    module graph one object at a time (Dagster, Polars, DuckDB, plotly: about 0.8 s of the
    bundled run). Nothing is left open by then: the warehouse and the Dagster instance are
    closed by the command itself."""
    import atexit

    collect_garbage_less_often()
    try:
        code = main()
    except SystemExit as exc:  # argparse (--help, a wrong option) ends this way
        code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    entry()
