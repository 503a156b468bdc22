"""Resources in one place: the warehouse and the folders the pipeline reads and writes."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from . import settings


class ProjectPaths(ConfigurableResource):
    """Input folder, output folder and region file (defaults: bundled data, build/, Haaglanden)."""

    input_dir: str
    out_dir: str
    region_file: str

    @property
    def input_path(self) -> Path:
        return Path(self.input_dir)

    @property
    def out_path(self) -> Path:
        return Path(self.out_dir)

    def region(self) -> settings.Region:
        return settings.load_region(Path(self.region_file))

    def disclosure(self):
        """Disclosure-control settings from the region file's [disclosure] section (k = 5 by default)."""
        from .disclosure import DisclosureSettings

        return DisclosureSettings(**self.region().disclosure)


def make_resources(input_dir: Path, warehouse: Path, out_dir: Path, region_file: Path) -> dict:
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": DuckDBResource(database=str(warehouse), connection_config=settings.duckdb_config()),
        "paths": ProjectPaths(input_dir=str(input_dir), out_dir=str(out_dir), region_file=str(region_file)),
    }


def default_resources() -> dict:
    """Resources from the environment (GRENSVERKEER_*), falling back to the project defaults."""
    return make_resources(settings.input_dir(), settings.warehouse_path(), settings.out_dir(), settings.region_file())
