"""Great Expectations suites, run by hand inside Dagster asset checks.

GX 1.x has no Dagster integration and its SQL data source does not work on DuckDB, so
each check reads the table (or the year's slice of it) into pandas and validates it with
an ephemeral GX context. GX is imported lazily: it takes seconds to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass
class SuiteOutcome:
    success: bool
    evaluated: int
    failed: list[str]  # one plain sentence per failed expectation

    def metadata(self) -> dict[str, Any]:
        return {"expectations": self.evaluated, "failed": len(self.failed), "failures": "\n".join(self.failed) or "none"}


def _describe(result: Any) -> str:
    cfg = result.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    detail = result.result or {}
    unexpected = detail.get("partial_unexpected_list") or detail.get("observed_value")
    return f"{cfg.type}({kwargs}) failed; unexpected/observed: {unexpected}"


def _columns_used(expectations: list[Any]) -> list[str]:
    """The columns the expectations look at, in first-use order ([] when one of them needs no column)."""
    columns: list[str] = []
    for expectation in expectations:
        named = [getattr(expectation, "column", None), *(getattr(expectation, "column_list", None) or [])]
        for column in named:
            if column and column not in columns:
                columns.append(column)
    return columns


def run_suite(con: duckdb.DuckDBPyConnection, query: str, expectations: list[Any], name: str) -> SuiteOutcome:
    """Validate the rows of `query` against `expectations` (a list of GX expectation objects).

    Only the columns the expectations use are read into pandas (every row is kept, so row
    counts and uniqueness are checked on the same data): the frame is what GX scans.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    columns = _columns_used(expectations)
    if columns:
        quoted = ", ".join('"' + c + '"' for c in columns)
        query = f"select {quoted} from ({query})"
    frame = con.sql(query).df()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(name=f"{name}_source")
        .add_dataframe_asset(name=name)
        .add_batch_definition_whole_dataframe(f"{name}_batch")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = context.suites.add(gx.ExpectationSuite(name=f"{name}_suite", expectations=expectations))
    result = batch.validate(suite)
    failed = [_describe(r) for r in result.results if not r.success]
    return SuiteOutcome(success=bool(result.success), evaluated=len(result.results), failed=failed)


def gxe():
    """The module of GX expectation classes (gx.expectations), imported on first use."""
    import great_expectations as gx

    return gx.expectations
