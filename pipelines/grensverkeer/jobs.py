"""Jobs, the input-folder sensor and the nightly schedule."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from . import settings
from .ingest.files import input_name
from .ingest.linked import linked_school_years, list_linked_files
from .ingest.load import discover_count_years, list_input_files, school_year_of
from .partitions import school_years

reference_job = define_asset_job("reference_job", AssetSelection.groups("reference"),
                                 description="Load the reference tables (municipalities, schools, region).")
school_year_job = define_asset_job(
    "school_year_job", AssetSelection.groups("raw", "staging", "intermediate", "marts", "publish", "graph", "exports"),
    description="Everything for one school year: raw files to graph and exports.")
dashboards_job = define_asset_job("dashboards_job", AssetSelection.groups("dashboards"),
                                 description="The Dutch dashboards (OUT/site/) from every school year in the warehouse.")
export_job = define_asset_job("export_job", AssetSelection.groups("exports"),
                              description="Only the exports of a school year, from the warehouse as it is.")


def _fingerprint(path: Path) -> str:
    stat = path.stat() if path.exists() else path.lstat()  # a link to a missing file: refused by name
    return hashlib.sha1(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()


@sensor(job=school_year_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED,
        description="Watches the input folder; a new or changed file adds its school year and runs only that year.")
def input_folder_sensor(context: SensorEvaluationContext):
    input_dir = settings.input_dir()
    if not input_dir.is_dir():
        return SkipReason(f"input folder {input_dir} does not exist")
    seen = json.loads(context.cursor) if context.cursor else {}
    files = list_input_files(input_dir) + list_linked_files(input_dir)
    by_name = {input_name(p, input_dir): p for p in files}
    now = {name: _fingerprint(p) for name, p in by_name.items()}
    changed = sorted(name for name, fp in now.items() if seen.get(name) != fp)
    if not changed:
        return SkipReason("no new or changed files")
    years = set()
    duo_changed = [by_name[n] for n in changed if not n.startswith("linked")]
    if duo_changed:
        years.update(discover_count_years(input_dir, only=duo_changed))
    if len(duo_changed) < len(changed):
        years.update(linked_school_years(input_dir)[0])
    keys = [school_year_of(y) for y in sorted(years)]
    if not keys:  # e.g. only the multi-year totals file changed: every known year may be affected
        keys = sorted(context.instance.get_dynamic_partitions(school_years.name))
    new_keys = [k for k in keys if not context.instance.has_dynamic_partition(school_years.name, k)]
    token = hashlib.sha1(json.dumps(now, sort_keys=True).encode()).hexdigest()[:12]
    return SensorResult(
        run_requests=[RunRequest(run_key=f"{k}-{token}", partition_key=k) for k in keys],
        dynamic_partitions_requests=[school_years.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(now),
    )


@schedule(job=school_year_job, cron_schedule="0 6 * * *", execution_timezone="Europe/Amsterdam",
          default_status=DefaultScheduleStatus.STOPPED,
          description="Every morning: recompute every known school year (idempotent).")
def nightly_schedule(context):
    for key in context.instance.get_dynamic_partitions(school_years.name):
        yield RunRequest(run_key=f"{key}-{context.scheduled_execution_time:%Y%m%d}", partition_key=key)
