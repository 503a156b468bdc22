"""Great Expectations suites, run by hand inside Dagster asset checks.

GX 1.x has no Dagster integration and its SQL data source does not work on DuckDB, so
each check reads the table (or the year's slice of it) into pandas and has it validated with
an ephemeral GX context in a worker process (gx_worker.py): GX takes seconds of CPU to
import, which the run's own Python work no longer waits for. Per-value expectations see a
column's distinct values only (docs/performance.md).
"""

from __future__ import annotations

import atexit
import os
import pickle
import threading
from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass
class SuiteOutcome:
    success: bool
    evaluated: int
    failed: list[str]  # one plain sentence per failed expectation

    def metadata(self) -> dict[str, Any]:
        return {
            "expectations": self.evaluated,
            "failed": len(self.failed),
            "failures": "\n".join(self.failed) or "none",
        }


class Expectation:
    """A GX expectation as the run states it: its class name (`type_name`) and arguments. The GX
    object is made from them in the worker process (gx_worker.py), which alone imports GX."""

    def __init__(self, type_name: str, **kwargs: Any):
        self.type_name, self.kwargs = type_name, kwargs

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["kwargs"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"{self.type_name}({self.kwargs})"


class _Expectations:
    """`gxe().ExpectColumnValuesToBeInSet(column=..., value_set=...)`, as with gx.expectations."""

    def __getattr__(self, type_name: str):
        if not type_name.startswith("Expect"):
            raise AttributeError(type_name)
        return lambda **kwargs: Expectation(type_name, **kwargs)


# Expectations about each value on its own: they pass on a column exactly when they pass on
# its distinct values (none of ours uses `mostly`), so GX is given the distinct values.
PER_VALUE = frozenset(
    {
        "ExpectColumnValuesToBeInSet",
        "ExpectColumnValuesToMatchRegex",
        "ExpectColumnValuesToBeBetween",
        "ExpectColumnValuesToNotBeNull",
    }
)


def _every_row(expectation: Any) -> bool:
    """True when the expectation must hold for every row (no `mostly` below 1)."""
    return expectation.kwargs.get("mostly", 1) in (None, 1, 1.0)


def _per_value(expectation: Any) -> bool:
    return expectation.type_name in PER_VALUE and _every_row(expectation)


def _unique_column(expectation: Any) -> bool:
    return expectation.type_name == "ExpectColumnValuesToBeUnique" and _every_row(expectation)


def _unique_compound(expectation: Any) -> bool:
    """Uniqueness of a combination of columns (such as school_year and student_id, over several years)."""
    return expectation.type_name == "ExpectCompoundColumnsToBeUnique" and _every_row(expectation)


def _columns_used(expectations: list[Any]) -> list[str]:
    """The columns the expectations look at, in first-use order ([] when one of them needs no column)."""
    columns: list[str] = []
    for expectation in expectations:
        named = [getattr(expectation, "column", None), *(getattr(expectation, "column_list", None) or [])]
        if not any(named):
            return []
        for column in named:
            if column and column not in columns:
                columns.append(column)
    return columns


def _batches(query: str, expectations: list[Any]) -> list[tuple[str, list[Any]]]:
    """(query, expectations) pairs to validate: the per-value expectations on the distinct
    combinations of the columns they use (a column checked only for nulls contributes only
    whether it is null); a column's uniqueness on the rows whose value repeats; the others
    (compound uniqueness, row counts) on every row of the columns they use. Same outcome as
    validating every row, at the cost of the distinct values (nationally a few hundred
    municipality codes instead of millions of pupils)."""
    per_value = [e for e in expectations if _per_value(e)]
    unique = [e for e in expectations if _unique_column(e)]
    compound = [e for e in expectations if _unique_compound(e)]
    rest = [e for e in expectations if not _per_value(e) and not _unique_column(e) and not _unique_compound(e)]
    out: list[tuple[str, list[Any]]] = []
    for e in unique:
        # Only the rows whose value occurs more than once: the column is unique exactly when
        # there are none, and GX still names the repeated values (nulls never count).
        # The repeats are found on the values' hashes (26 M pupils' pseudonyms nationally: grouping
        # 64-bit hashes takes half the time of grouping the text); a collision only adds rows
        # that GX then finds unique, so the verdict and the values it names are the same.
        c = f'"{e.column}"'
        out.append(
            (
                f"select {c} from ({query}) where {c} is not null and hash({c}) in "
                f"(select hash({c}) from ({query}) where {c} is not null group by all having count(*) > 1)",
                [e],
            )
        )
    for e in compound:
        # Likewise only the rows whose combination occurs more than once (whole groups of them:
        # GX decides on those as on every row, rows with missing values included).
        # (on the combinations' hashes, as above)
        cs = ", ".join(f'"{c}"' for c in e.column_list)
        out.append(
            (
                f"select {cs} from ({query}) where hash({cs}) in "
                f"(select hash({cs}) from ({query}) group by all having count(*) > 1)",
                [e],
            )
        )
    if per_value:
        selected = []
        for column in dict.fromkeys(e.column for e in per_value):
            if all(e.type_name == "ExpectColumnValuesToNotBeNull" for e in per_value if e.column == column):
                # only nullness matters (a pupil's pseudonym has millions of distinct values)
                selected.append(f'case when "{column}" is null then null else \'(a value)\' end as "{column}"')
            else:
                selected.append(f'"{column}"')
        out.append((f"select distinct {', '.join(selected)} from ({query})", per_value))
    if rest:
        columns = _columns_used(rest)
        quoted = ", ".join('"' + c + '"' for c in columns)
        out.append((f"select {quoted} from ({query})" if columns else query, rest))
    return out


_WORKER: tuple | None = None  # (process, requests, replies) of the GX worker (gx_worker.py)
_LOCK = threading.Lock()


def start_worker() -> None:
    """Start the process that imports GX and validates the batches (gx_worker.py), if it is not
    running: at the start of a run, so that GX is imported on the other core meanwhile."""
    global _WORKER
    with _LOCK:
        _start_worker()


def _start_worker() -> tuple:
    global _WORKER
    if _WORKER is not None and _WORKER[0].poll() is None:
        return _WORKER
    import subprocess
    import sys

    to_worker, from_run = os.pipe()
    to_run, from_worker = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "grensverkeer.gx_worker", str(to_worker), str(from_worker)],
        pass_fds=(to_worker, from_worker),
        stdin=subprocess.DEVNULL,
    )
    os.close(to_worker)
    os.close(from_worker)
    _WORKER = (process, os.fdopen(from_run, "wb"), os.fdopen(to_run, "rb"))
    return _WORKER


def stop_worker() -> None:
    """End the GX worker (it ends by itself when this process ends, too).

    It holds no state between batches, so it is terminated rather than left to tear down
    Great Expectations' module graph on closed pipes (about 0.9 s the run waited for)."""
    global _WORKER
    with _LOCK:
        if _WORKER is not None:
            process, requests, replies = _WORKER
            _WORKER = None
            requests.close()
            replies.close()
            process.terminate()
            process.wait(timeout=10)


atexit.register(stop_worker)


def _validate(frame, expectations: list[Expectation], name: str) -> tuple[bool, int, list[str]]:
    """One batch validated by the worker: (success, expectations evaluated, failures)."""
    process, requests, replies = _start_worker()
    try:
        pickle.dump(
            (frame, [(e.type_name, e.kwargs) for e in expectations], name), requests, protocol=pickle.HIGHEST_PROTOCOL
        )
        requests.flush()
        status, answer = pickle.load(replies)
    except (BrokenPipeError, EOFError):
        raise RuntimeError(f"the Great Expectations worker process stopped (exit code {process.poll()})") from None
    if status != "ok":
        raise RuntimeError(f"Great Expectations could not validate {name}: {answer}")
    return answer


def run_suite(
    con: duckdb.DuckDBPyConnection,
    query: str,
    expectations: list[Expectation],
    name: str,
    *,
    by_year: bool = False,
) -> SuiteOutcome:
    """Validate the rows of `query` against `expectations` (made with `gxe()`).

    GX scans pandas frames: each column's per-value expectations get that column's distinct
    values, the others every row of only the columns they use (`_batches`). The frames are
    validated in the worker process (gx_worker.py), one at a time.

    by_year: `query` holds the rows of several school years (a `school_year` column) and the
    expectations hold per row or per value, or per school year (uniqueness with school_year
    among its columns): one validation over all years gives the verdict of one per year. Only
    when it fails are the failed expectations validated again per year, so that each failure
    sentence names its school year ('2024-2025: ...').
    """
    with _LOCK:
        success, evaluated, failed = _run_batches(con, query, expectations, name)
        if by_year and not success:
            years = [r[0] for r in con.sql(f"select distinct school_year from ({query}) order by 1").fetchall()]
            named = []
            for year in years:
                year_query = f"select * from ({query}) where school_year = '{year}'"
                named += [f"{year}: {f}" for f in _run_batches(con, year_query, expectations, f"{name}_{year}")[2]]
            failed = named or failed
    return SuiteOutcome(success=success, evaluated=evaluated, failed=failed)


def _run_batches(con, query: str, expectations: list[Expectation], name: str) -> tuple[bool, int, list[str]]:
    success, evaluated, failed = True, 0, []
    for i, (batch_query, exps) in enumerate(_batches(query, expectations)):
        frame = con.sql(batch_query).df()
        ok, n, failures = _validate(frame, exps, f"{name}_{i}")
        success = success and ok
        evaluated += n
        failed += failures
    return success, evaluated, failed


def gxe() -> _Expectations:
    """The GX expectation classes by name (as gx.expectations), stated here and made in the worker."""
    return _Expectations()
