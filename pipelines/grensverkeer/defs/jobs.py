"""Jobs, the input-folder sensor and the nightly schedule.

`build_job` is what `grensverkeer run` builds: the reference tables, every asset of the
school years of the run (one run over all of them: partitions.py) and the dashboard site.
The sensor and the schedule ask for the same job, so their builds include the site too.
"""

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

from .. import settings
from ..ingest import hashes
from ..ingest.files import input_name
from ..ingest.linked import linked_school_years, list_linked_files
from ..ingest.load import discover_count_years, list_input_files, school_year_of
from ..partitions import range_tags, school_years, warehouse_school_years, year_blocks

SCHOOL_YEAR_GROUPS = ("raw", "staging", "intermediate", "marts", "publish", "graph", "exports")
BUILD_GROUPS = ("reference", *SCHOOL_YEAR_GROUPS, "dashboards")  # the site (dashboards) last

build_job = define_asset_job(
    "build_job",
    AssetSelection.groups(*BUILD_GROUPS),
    description="What `grensverkeer run` builds: reference tables, every selected school year in one run "
    "(raw files to graph and exports) and the dashboard site.",
)
reference_job = define_asset_job(
    "reference_job",
    AssetSelection.groups("reference"),
    description="Load the reference tables (municipalities, schools, region).",
)
school_year_job = define_asset_job(
    "school_year_job",
    AssetSelection.groups(*SCHOOL_YEAR_GROUPS),
    description="The school years only: raw files to graph and exports, without reference tables and dashboards.",
)
dashboards_job = define_asset_job(
    "dashboards_job",
    AssetSelection.groups("dashboards"),
    description="The Dutch dashboards (OUT/site/) from every school year in the warehouse.",
)
export_job = define_asset_job(
    "export_job",
    AssetSelection.groups("exports"),
    description="Only the exports of a school year, from the warehouse as it is.",
)


def build_requests(order: list[str], years: list[str], key: str) -> list[RunRequest]:
    """One run of build_job over `years` (one per block of consecutive partitions in `order`)."""
    return [
        RunRequest(run_key=f"{block[0]}..{block[-1]}-{key}", tags=range_tags(block))
        for block in year_blocks(order, years)
    ]


def _fingerprint(path: Path) -> str:
    """What changes with the file (its content, or a link's target): the stat key a kept hash is
    kept with (`hashes.stat_key`: size, modification and change time, inode, device)."""
    stat = path.stat() if path.exists() else path.lstat()  # a link to a missing file: refused by name
    return hashlib.sha1(str(hashes.stat_key(stat)).encode()).hexdigest()


@sensor(
    job=build_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Watches the input folder; a new or changed file adds its school year and builds only the "
    "years of the changed files (site included).",
)
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
    hashes.load_from(settings.warehouse_path())  # the hashes of the last run: unchanged files are not read
    duo_changed = [by_name[n] for n in changed if not n.startswith("linked")]
    if duo_changed:
        years.update(discover_count_years(input_dir, only=duo_changed))
    if len(duo_changed) < len(changed):
        years.update(linked_school_years(input_dir)[0])
    keys = [school_year_of(y) for y in sorted(years)]
    if not keys:  # e.g. only the multi-year totals file changed: every year of the warehouse may be affected
        keys = warehouse_school_years(settings.warehouse_path())
    known = context.instance.get_dynamic_partitions(school_years.name)
    new_keys = [k for k in keys if k not in known]
    token = hashlib.sha1(json.dumps(now, sort_keys=True).encode()).hexdigest()[:12]
    return SensorResult(
        run_requests=build_requests([*known, *new_keys], keys, token),
        dynamic_partitions_requests=[school_years.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(now),
    )


@schedule(
    job=build_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every morning: rebuild every school year of the warehouse in one run, site included (idempotent).",
)
def nightly_schedule(context):
    # The warehouse's years, not every year this Dagster instance ever saw: a run against
    # another warehouse must not make the schedule build its years here with no rows.
    years = warehouse_school_years(settings.warehouse_path())
    if not years:
        return SkipReason(f"no school years in the warehouse {settings.warehouse_path()}")
    known = context.instance.get_dynamic_partitions(school_years.name)
    new_keys = [y for y in years if y not in known]
    if new_keys:
        context.instance.add_dynamic_partitions(school_years.name, new_keys)
    return build_requests([*known, *new_keys], years, f"{context.scheduled_execution_time:%Y%m%d}")
