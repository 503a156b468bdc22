"""Progress on screen while `grensverkeer run` works: one line per step, with its counts.

Dagster hands every event of a run to its loggers; `progress_logger` is one of them and
turns step starts, materialisations and step ends into lines like

    [ 7/41] stg_duo_rows                 1.2 s  rows 19,376, rejected_rows 0   (about 25 s left)

The time left comes from the step times of the last successful run of the same job in the
Dagster instance (runs are recorded there), else from the average step so far.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from dagster import logger

# Metadata of a materialisation that are counts worth showing (in this order), at most three.
SHOWN = 3
LONG_WORK_SECONDS = 5.0  # say how long is left only when that is at least this much


@dataclass
class Progress:
    """Prints progress lines; `quiet` prints nothing (for cron: errors go to stderr anyway)."""

    quiet: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    started: float = field(default_factory=time.perf_counter)
    total_steps: int = 0
    done_steps: int = 0
    previous: dict[str, float] = field(default_factory=dict)  # step key -> seconds in the last run
    _step_started: dict[str, float] = field(default_factory=dict)
    _counts: dict[str, dict[str, int]] = field(default_factory=dict)
    _done_seconds: float = 0.0
    _remaining_keys: set[str] = field(default_factory=set)

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def start_run(self, total_steps: int, previous: dict[str, float] | None = None) -> None:
        self.total_steps, self.done_steps, self._done_seconds = total_steps, 0, 0.0
        self.previous = previous or {}
        self._remaining_keys = set(self.previous)

    # -- Dagster events --------------------------------------------------------------------
    def event(self, event) -> None:
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START":
            self._step_started[step] = time.perf_counter()
        elif kind == "ASSET_MATERIALIZATION":
            metadata = event.event_specific_data.materialization.metadata
            counts = {
                k: v.value
                for k, v in metadata.items()
                if isinstance(getattr(v, "value", None), int) and not isinstance(v.value, bool)
            }
            self._counts[step] = counts
        elif kind == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            if not ev.passed:
                self._counts.setdefault(step, {})
                self.line(f"        check {ev.check_name} did not pass ({ev.severity.value.lower()})")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            self._step_done(step, kind)

    def _step_done(self, step: str, kind: str) -> None:
        seconds = time.perf_counter() - self._step_started.pop(step, time.perf_counter())
        self.done_steps += 1
        self._done_seconds += seconds
        self._remaining_keys.discard(step)
        counts = self._counts.pop(step, {})
        shown = ", ".join(f"{k} {v:,}" for k, v in list(counts.items())[:SHOWN])
        status = {"STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}.get(kind, f"{seconds:5.1f} s")
        left = self.seconds_left()
        eta = f"   (about {left:.0f} s left)" if left is not None and left >= LONG_WORK_SECONDS else ""
        width = len(str(self.total_steps or self.done_steps))
        self.line(f"  [{self.done_steps:>{width}}/{self.total_steps}] {step_label(step):38} {status:>8}  {shown}{eta}")

    def seconds_left(self) -> float | None:
        remaining = max(self.total_steps - self.done_steps, 0)
        if not remaining:
            return None
        if self.previous:
            return sum(self.previous[k] for k in self._remaining_keys)
        if self.done_steps >= 3:
            return self._done_seconds / self.done_steps * remaining
        return None


def step_label(step_key: str) -> str:
    """'stg_duo_rows_stg_duo_rows_valid' (Dagster's key of a check step: asset, check) -> 'check stg_duo_rows_valid'."""
    for i, char in enumerate(step_key):
        if char == "_" and step_key[i + 1 :].startswith(step_key[:i] + "_"):
            return "check " + step_key[i + 1 :]
    return step_key


# The run's Progress, set by the runner for the duration of a run (Dagster builds its loggers
# itself, from definitions, so they cannot be handed an object).
_current: Progress | None = None


def follow(progress: Progress | None) -> None:
    global _current
    _current = progress


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is not None and _current is not None:
            _current.event(event)


@logger(description="Progress lines of `grensverkeer run` (grensverkeer.progress).")
def progress_logger(_init_context) -> logging.Logger:
    log = logging.Logger("grensverkeer.progress", level=logging.DEBUG)
    log.addHandler(_Handler())
    return log


def previous_step_seconds(instance, job_name: str) -> dict[str, float]:
    """Step times of the last successful run of `job_name` recorded in the instance."""
    from dagster import DagsterRunStatus, RunsFilter

    runs = instance.get_runs(filters=RunsFilter(job_name=job_name, statuses=[DagsterRunStatus.SUCCESS]), limit=1)
    if not runs:
        return {}
    return {
        s.step_key: s.end_time - s.start_time
        for s in instance.get_run_step_stats(runs[0].run_id)
        if s.end_time and s.start_time
    }
