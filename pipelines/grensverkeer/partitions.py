"""One partition per school year ('2024-2025'), added when files of a new year arrive.

A build materialises every selected school year in ONE Dagster run: each partitioned asset
has the single-run backfill policy, so a run (or a backfill from the UI) over several
years is one step per asset, not one run per year. Most steps are set-based: they run each
model once over every year of the run (`step_years`, warehouse.run_models_over_years).
`each_school_year` lets a body that is genuinely per year (the estimator, the exports: see
docs/performance.md) serve such a run: it calls the body once per year of the run and merges
what the calls return. A run of one school year (the sensor's, `--school-year`) is one call.
"""

from __future__ import annotations

import functools
import warnings
from concurrent.futures import ThreadPoolExecutor

from dagster import (
    AssetCheckResult,
    BackfillPolicy,
    DagsterInvariantViolationError,
    DynamicPartitionsDefinition,
    MaterializeResult,
)

school_years = DynamicPartitionsDefinition(name="school_year")

# Dagster 1.13 marks backfill_policy as beta; we rely on it knowingly (one warning per asset otherwise).
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")

# Every partitioned asset: several school years in one run, one step per asset.
one_run = BackfillPolicy.single_run()


class _OneYear:
    """The step's context as the body of one school year sees it."""

    def __init__(self, context, year: str):
        self._context, self._year = context, year

    @property
    def partition_key(self) -> str:
        return self._year

    @property
    def partition_keys(self) -> list[str]:
        return [self._year]

    @property
    def has_partition_key(self) -> bool:
        return True

    def __getattr__(self, name):
        return getattr(self._context, name)


def run_years(context) -> list[str]:
    """The school years of this step's run, in partition order."""
    try:
        return list(context.partition_keys)
    except DagsterInvariantViolationError:  # a run without partitions
        return []


def step_years(context) -> list[str]:
    """The school years a set-based step computes at once: every year of the run (one SQL
    statement per model over all of them), or the one partition of a single-year run."""
    return run_years(context) or [context.partition_key]


def _metadata(results: dict[str, dict]) -> dict:
    """Counts added up over the years; anything else listed per year."""
    merged: dict = {}
    for key in dict.fromkeys(k for md in results.values() for k in md):
        values = {year: getattr(md[key], "value", md[key]) for year, md in results.items() if key in md}
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values())
        merged[key] = sum(values.values()) if numbers else "\n".join(f"{y}: {v}" for y, v in values.items())
    return merged


def merge_results(results: dict[str, object]):
    """One MaterializeResult or AssetCheckResult for the run, from one per school year."""
    if len(results) == 1:
        return next(iter(results.values()))
    first = next(iter(results.values()))
    metadata = _metadata({y: dict(r.metadata or {}) for y, r in results.items()})
    if isinstance(first, AssetCheckResult):
        failed = {y: r for y, r in results.items() if not r.passed}
        descriptions = [
            f"{y}: {r.description}"
            for y, r in results.items()
            if r.description and (r in failed.values() or not failed)
        ]
        return AssetCheckResult(
            passed=not failed, severity=first.severity, metadata=metadata, description="\n".join(descriptions) or None
        )
    if isinstance(first, MaterializeResult) or first is None:
        return MaterializeResult(metadata=metadata)
    raise TypeError(f"each_school_year cannot merge {type(first).__name__}")


def for_each_school_year(context, body, workers: int = 1, first_alone: bool = False):
    """Run `body(context_of_one_year)` once per school year of the run and merge what the calls
    return (`each_school_year`, which decorates a body, says more).

    `workers` > 1: the years run on that many threads at once, for bodies that are mostly
    single-threaded work (Python, Polars, the LP solver) and independent per year, like the
    exports: one year per core instead of one core idle. Such a body opens its own DuckDB
    connection (the resource's `get_connection`: one database instance per process) and must
    not create tables (the caller creates them before, or `first_alone`: the first year runs
    alone and creates them, the others follow on the threads). The results are merged in year
    order; the first year that fails fails the step, once the years already started have ended."""
    years = run_years(context)
    if not years:
        return body(context)
    # Even for one year: a run over a range of one partition has no `partition_key` of its own.
    if workers <= 1 or len(years) == 1:
        return merge_results({year: body(_OneYear(context, year)) for year in years})
    first = [body(_OneYear(context, years[0]))] if first_alone else []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grensverkeer-year") as pool:
        results = first + list(pool.map(lambda year: body(_OneYear(context, year)), years[len(first) :]))
    return merge_results(dict(zip(years, results, strict=True)))


def each_school_year(fn=None, *, workers: int = 1, first_alone: bool = False):
    """Decorate an asset or asset-check body written for one school year (put it under
    @asset / @asset_check): the body runs once per school year of the run, in order, or
    `workers` years at a time (`for_each_school_year`)."""

    def decorate(body):
        @functools.wraps(body)
        def wrapper(context, *args, **kwargs):
            return for_each_school_year(context, lambda one: body(one, *args, **kwargs), workers, first_alone)

        return wrapper

    return decorate(fn) if fn is not None else decorate


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def year_blocks(order: list[str], years: list[str]) -> list[list[str]]:
    """`years` as runs of consecutive partitions in `order` (the instance's order of the
    partitions: a run covers a range of them). The years of a build are one block: one run."""
    wanted = set(years)
    blocks: list[list[str]] = []
    previous_in = False
    for key in order:
        if key in wanted:
            if previous_in:
                blocks[-1].append(key)
            else:
                blocks.append([key])
        previous_in = key in wanted
    return blocks


def range_tags(block: list[str]) -> dict[str, str]:
    """Run tags for one run over the school years of `block` (first to last)."""
    return {RANGE_START: block[0], RANGE_END: block[-1]}


def warehouse_school_years(warehouse) -> list[str]:
    """The school years whose rows the warehouse holds (DUO or linked), read-only; [] when
    there is no warehouse yet or another process is writing it."""
    from pathlib import Path

    import duckdb

    if not Path(warehouse).exists():
        return []
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return []
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        # (linked enrolments: the school years of the loaded versions, linked_loaded; a warehouse
        # of an older version has them in a table raw_linked_enrolments)
        # DUO rows likewise: duo_loaded, or a table raw_rows in a warehouse of an older version)
        linked = "linked_loaded" if "linked_loaded" in tables else "raw_linked_enrolments"
        duo = "duo_loaded" if "duo_loaded" in tables else "raw_rows"
        parts = [
            f"select distinct school_year from {t} where school_year is not null" for t in (duo, linked) if t in tables
        ]
        if not parts:
            return []
        return [r[0] for r in con.execute(" union ".join(parts) + " order by 1").fetchall()]
    finally:
        con.close()
