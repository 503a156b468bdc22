"""Where things live: project folders, defaults and the region configuration."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# The package is installed editable from the repository, so the repository root is
# three levels up: pipelines/grensverkeer/settings.py.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_INPUT_DIR = DATA_DIR / "inputs"
DEFAULT_WAREHOUSE = DATA_DIR / "warehouse.duckdb"
DEFAULT_OUT_DIR = PROJECT_ROOT / "build"
DEFAULT_REGION_FILE = DATA_DIR / "regions" / "haaglanden.toml"

# Environment variables let Dagster (UI, sensor, schedule) use the same paths as the CLI.
ENV_INPUT = "GRENSVERKEER_INPUT"
ENV_WAREHOUSE = "GRENSVERKEER_WAREHOUSE"
ENV_OUT = "GRENSVERKEER_OUT"
ENV_REGION = "GRENSVERKEER_REGION"


ENV_DUCKDB_MEMORY = "GRENSVERKEER_DUCKDB_MEMORY_LIMIT"
# DuckDB's default is 80% of the machine's memory, which it fills as a cache; capped, it
# spills to disk instead (docs/performance.md: peak memory at national scale).
DEFAULT_DUCKDB_MEMORY = "2GB"


def duckdb_config() -> dict[str, str]:
    """The settings every read-write connection to the warehouse opens it with (they must be
    equal: DuckDB shares one open database only between connections with the same config)."""
    return {"custom_user_agent": "dagster", "memory_limit": os.environ.get(ENV_DUCKDB_MEMORY, DEFAULT_DUCKDB_MEMORY)}


# An empty variable counts as unset (Path("") would be the current folder).
def input_dir() -> Path:
    return Path(os.environ.get(ENV_INPUT) or DEFAULT_INPUT_DIR).resolve()


def warehouse_path() -> Path:
    return Path(os.environ.get(ENV_WAREHOUSE) or DEFAULT_WAREHOUSE).resolve()


def out_dir() -> Path:
    return Path(os.environ.get(ENV_OUT) or DEFAULT_OUT_DIR).resolve()


def region_file() -> Path:
    return Path(os.environ.get(ENV_REGION) or DEFAULT_REGION_FILE).resolve()


DEFAULT_AGREEMENTS = {
    "domains": ["jeugdhulp", "jeugdbescherming"],
    "pair_agreement_needed": 10,
    "pair_attention": 3,
    "school_agreement_needed": 5,
    "school_attention": 2,
}


@dataclass(frozen=True)
class Region:
    """A set of municipalities treated as one region (a jeugdhulpregio, an SWV area...)."""

    name: str
    slug: str
    members: dict[str, str]  # CBS code -> display name
    subregions: dict[str, str] = field(default_factory=dict)  # CBS code -> subregion
    agreements: dict = field(default_factory=lambda: dict(DEFAULT_AGREEMENTS))  # thresholds, docs/agreements.md
    disclosure: dict = field(default_factory=dict)  # k, rounding: docs/disclosure.md

    @property
    def codes(self) -> list[str]:
        return sorted(self.members)


def load_region(path: Path | None = None) -> Region:
    path = path or region_file()
    with open(path, "rb") as fh:
        cfg = tomllib.load(fh)
    members = {m["code"]: m.get("display_name", m["code"]) for m in cfg["municipality"]}
    subregions = {m["code"]: m["subregion"] for m in cfg["municipality"] if m.get("subregion")}
    agreements = {**DEFAULT_AGREEMENTS, **cfg.get("agreements", {})}
    unknown = set(agreements["domains"]) - {"jeugdhulp", "jeugdbescherming", "onderwijsondersteuning", "leerplicht"}
    if unknown or not agreements["domains"]:
        raise ValueError(
            f"{path}: [agreements] domains must be some of jeugdhulp, jeugdbescherming, "
            f"onderwijsondersteuning, leerplicht; got {sorted(unknown) or 'none'}"
        )
    if not (
        agreements["pair_agreement_needed"] >= agreements["pair_attention"] >= 1
        and agreements["school_agreement_needed"] >= agreements["school_attention"] >= 1
    ):
        raise ValueError(f"{path}: [agreements] thresholds must satisfy needed >= attention >= 1")
    disclosure = {k: v for k, v in cfg.get("disclosure", {}).items() if k in ("k", "rounding")}
    return Region(
        name=cfg["name"],
        slug=cfg["slug"],
        members=members,
        subregions=subregions,
        agreements=agreements,
        disclosure=disclosure,
    )
