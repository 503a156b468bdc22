"""The Dagster code location of grensverkeer.

Definitions live in the `defs/` package, one module per domain, each with the checks of its assets
beside them; jobs, the sensor and the schedule in defs/jobs.py; the resources in defs/resources.py
(from grensverkeer/resources.py). pipelines/dg.toml makes `pipelines/` a dg project (`grensverkeer ui`
runs `dg dev` there, which serves this module), and Dagster's `load_from_defs_folder` finds the
same definitions in defs/ (tests/test_definitions.py). The code location lists
the modules itself: `load_defs` leaves a process-wide load context behind that breaks the next
`Definitions` built after its instance is closed (every in-process run of the test suite).
"""

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from .defs import exports, graph, intermediate, linked, marts, publish, raw, reference, site, staging, support
from .defs.jobs import (
    build_job,
    dashboards_job,
    export_job,
    input_folder_sensor,
    nightly_schedule,
    reference_job,
    school_year_job,
)
from .resources import default_resources

DOMAINS = [reference, raw, linked, staging, intermediate, support, marts, publish, graph, exports, site]

defs = Definitions(
    assets=load_assets_from_modules(DOMAINS),
    asset_checks=load_asset_checks_from_modules(DOMAINS),
    jobs=[build_job, reference_job, school_year_job, export_job, dashboards_job],
    sensors=[input_folder_sensor],
    schedules=[nightly_schedule],
    resources=default_resources(),
)
