"""Great Expectations suites, run by hand inside Dagster asset checks.

GX 1.x has no Dagster integration and its SQL data source does not work on DuckDB, so
each check reads the table (or the year's slice of it) into pandas and validates it with
an ephemeral GX context. GX is imported lazily: it takes seconds to import. Per-value
expectations see a column's distinct values only (docs/performance.md).
"""

from __future__ import annotations

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


def _describe(result: Any) -> str:
    cfg = result.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    detail = result.result or {}
    unexpected = detail.get("partial_unexpected_list") or detail.get("observed_value")
    return f"{cfg.type}({kwargs}) failed; unexpected/observed: {unexpected}"


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
    return getattr(expectation, "mostly", 1) in (None, 1, 1.0)


def _per_value(expectation: Any) -> bool:
    return type(expectation).__name__ in PER_VALUE and _every_row(expectation)


def _unique_column(expectation: Any) -> bool:
    return type(expectation).__name__ == "ExpectColumnValuesToBeUnique" and _every_row(expectation)


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
    rest = [e for e in expectations if not _per_value(e) and not _unique_column(e)]
    out: list[tuple[str, list[Any]]] = []
    for e in unique:
        # Only the rows whose value occurs more than once: the column is unique exactly when
        # there are none, and GX still names the repeated values (nulls never count).
        c = f'"{e.column}"'
        out.append(
            (
                f"select {c} from ({query}) where {c} in "
                f"(select {c} from ({query}) where {c} is not null group by {c} having count(*) > 1)",
                [e],
            )
        )
    if per_value:
        selected = []
        for column in dict.fromkeys(e.column for e in per_value):
            if all(type(e).__name__ == "ExpectColumnValuesToNotBeNull" for e in per_value if e.column == column):
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


_BATCHES = None  # the process's one GX batch definition (a whole-dataframe asset of one pandas source)
_LOCK = threading.Lock()


def _batch_definition():
    """One ephemeral GX context, pandas data source and whole-dataframe batch definition per process,
    reused for every suite: each batch gets its own frame (batch_parameters). A context, source and
    asset per suite made GX write its whole configuration as YAML a few times per suite (about
    0.1 s each, a third of the time of the data checks)."""
    global _BATCHES
    if _BATCHES is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas(name="grensverkeer")
        _BATCHES = source.add_dataframe_asset(name="query").add_batch_definition_whole_dataframe("whole")
    return _BATCHES


def run_suite(con: duckdb.DuckDBPyConnection, query: str, expectations: list[Any], name: str) -> SuiteOutcome:
    """Validate the rows of `query` against `expectations` (a list of GX expectation objects).

    GX scans pandas frames: each column's per-value expectations get that column's distinct
    values, the others every row of only the columns they use (`_batches`).
    """
    import great_expectations as gx

    success, evaluated, failed = True, 0, []
    with _LOCK:
        batches = _batch_definition()
        for i, (batch_query, exps) in enumerate(_batches(query, expectations)):
            frame = con.sql(batch_query).df()
            batch = batches.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(gx.ExpectationSuite(name=f"{name}_{i}", expectations=exps))
            success = success and bool(result.success)
            evaluated += len(result.results)
            failed += [_describe(r) for r in result.results if not r.success]
    return SuiteOutcome(success=success, evaluated=evaluated, failed=failed)


def gxe():
    """The module of GX expectation classes (gx.expectations), imported on first use."""
    import great_expectations as gx

    return gx.expectations
