"""The Great Expectations side of `expectations.run_suite`, in a process of its own.

Importing GX takes about 3.5 s of CPU (pandas, scipy, altair, ...). Imported in a thread of
the run it held the GIL for that long while the run's own Python work waited; in this
process it is imported on the other core while the run reads its files. The run sends each
batch as (pandas frame, [(expectation type, arguments)], suite name) and gets back
(success, expectations evaluated, one sentence per failed expectation).

Run as `python -m grensverkeer.gx_worker READ_FD WRITE_FD` (expectations.py starts it).
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any


def describe(result: Any) -> str:
    cfg = result.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    detail = result.result or {}
    unexpected = detail.get("partial_unexpected_list") or detail.get("observed_value")
    return f"{cfg.type}({kwargs}) failed; unexpected/observed: {unexpected}"


def _batch_definition():
    """One ephemeral GX context, pandas data source and whole-dataframe batch definition per process,
    reused for every suite: each batch gets its own frame (batch_parameters). A context, source and
    asset per suite made GX write its whole configuration as YAML a few times per suite (about
    0.1 s each, a third of the time of the data checks)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name="grensverkeer")
    return source.add_dataframe_asset(name="query").add_batch_definition_whole_dataframe("whole")


def validate(batches, frame, expectations: list[tuple[str, dict]], name: str) -> tuple[bool, int, list[str]]:
    import great_expectations as gx

    exps = [getattr(gx.expectations, kind)(**kwargs) for kind, kwargs in expectations]
    batch = batches.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx.ExpectationSuite(name=name, expectations=exps))
    return bool(result.success), len(result.results), [describe(r) for r in result.results if not r.success]


def serve(read_fd: int, write_fd: int) -> None:
    batches, failure = None, None
    try:  # at once, before the first request: this is what takes the time
        batches = _batch_definition()
    except Exception as err:  # told to the first check that asks
        failure = err
    with os.fdopen(read_fd, "rb") as requests, os.fdopen(write_fd, "wb") as replies:
        while True:
            try:
                request = pickle.load(requests)
            except EOFError:  # the run has ended
                return
            try:
                if failure is not None:
                    raise failure
                reply = ("ok", validate(batches, *request))
            except Exception as err:  # told to the check that asked
                reply = ("error", f"{type(err).__name__}: {err}")
            pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
            replies.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
