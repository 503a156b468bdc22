"""The Dagster code location of grensverkeer."""

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from .assets import exports, graph, intermediate, linked, marts, publish, raw, reference, site, staging, support
from .jobs import (
    build_job,
    dashboards_job,
    export_job,
    input_folder_sensor,
    nightly_schedule,
    reference_job,
    school_year_job,
)
from .resources import default_resources

_modules = [reference, raw, linked, staging, intermediate, support, marts, publish, graph, exports, site]

defs = Definitions(
    assets=load_assets_from_modules(_modules),
    asset_checks=load_asset_checks_from_modules(_modules),
    jobs=[build_job, reference_job, school_year_job, export_job, dashboards_job],
    sensors=[input_folder_sensor],
    schedules=[nightly_schedule],
    resources=default_resources(),
)
