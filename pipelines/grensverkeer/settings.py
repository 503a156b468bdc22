"""Where things live: project folders, defaults and the region configuration."""

from __future__ import annotations

import os
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

# The real DUO files bundled in data/inputs/duo (data/README.md): one per Haaglanden municipality
# and count year, named by DUO's municipality name (GEMEENTENAAM): 2017-2018 '<name>.csv'
# (without the leading apostrophe of 's-Gravenhage), 2024-2025 '<name> afgeschermd.csv'.
# The pipeline reads whatever the folder holds; tests and benchmarks name these files.
BUNDLED_DUO_DIR = DEFAULT_INPUT_DIR / "duo"
_BUNDLED_MUNICIPALITIES = (
    "'s-Gravenhage",
    "Delft",
    "Leidschendam-Voorburg",
    "Midden-Delfland",
    "Pijnacker-Nootdorp",
    "Rijswijk",
    "Wassenaar",
    "Westland",
    "Zoetermeer",
)
BUNDLED_MUNICIPALITY_FILES = {
    "2017-2018": tuple(f"{name.removeprefix(chr(39))}.csv" for name in _BUNDLED_MUNICIPALITIES),
    "2024-2025": tuple(f"{name} afgeschermd.csv" for name in _BUNDLED_MUNICIPALITIES),
}

# Environment variables let Dagster (UI, sensor, schedule) use the same paths as the CLI.
ENV_INPUT = "GRENSVERKEER_INPUT"
ENV_WAREHOUSE = "GRENSVERKEER_WAREHOUSE"
ENV_OUT = "GRENSVERKEER_OUT"
ENV_REGION = "GRENSVERKEER_REGION"


ENV_DUCKDB_MEMORY = "GRENSVERKEER_DUCKDB_MEMORY_LIMIT"
# DuckDB's default is 80% of the machine's memory, which it fills as a cache; capped, it
# spills to disk instead (docs/performance.md: peak memory at national scale).
DEFAULT_DUCKDB_MEMORY = "2GB"
CHECKPOINT_THRESHOLD = "1GB"  # duckdb_config
# DuckDB's memory limit while discovery stages the input files (runner.py): at most this, and
# at most the build's limit. The rows of the linked files being read (two files at a time) are
# in Polars beside it; with the build's 2 GB DuckDB filled its cache with the staged rows and
# the national build peaked at 3.9 GB in discovery (docs/performance.md, Session 12).
DISCOVERY_DUCKDB_MEMORY_BYTES = 1_000_000_000
ENV_TIMINGS = "GRENSVERKEER_TIMINGS"  # runner.py: per-step wall times
ENV_PSEUDONYM_KEY = "GRENSVERKEER_PSEUDONYM_KEY"  # ingest/bsn.py: the supplier's pseudonymisation key
KNOWN_ENV = (ENV_INPUT, ENV_WAREHOUSE, ENV_OUT, ENV_REGION, ENV_DUCKDB_MEMORY, ENV_TIMINGS, ENV_PSEUDONYM_KEY)


def environment_problems(environ: dict[str, str] | None = None) -> list[str]:
    """What is wrong with the GRENSVERKEER_* environment variables, one sentence each: a name
    the program does not read (a typo would otherwise be ignored, like GRENSVERKEER_WAREHOUS
    silently building the default warehouse) and a memory limit DuckDB cannot parse."""
    import difflib

    environ = os.environ if environ is None else environ
    problems = []
    for name in sorted(n for n in environ if n.startswith("GRENSVERKEER_") and n not in KNOWN_ENV):
        close = difflib.get_close_matches(name, KNOWN_ENV, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        problems.append(
            f"the environment variable {name} is not one grensverkeer reads ({hint}known: {', '.join(KNOWN_ENV)})"
        )
    if environ.get(ENV_DUCKDB_MEMORY):
        import duckdb

        try:
            duckdb.connect(":memory:", config={"memory_limit": environ[ENV_DUCKDB_MEMORY]}).close()
        except duckdb.Error as exc:
            problems.append(
                f"the environment variable {ENV_DUCKDB_MEMORY}={environ[ENV_DUCKDB_MEMORY]!r} is not a memory "
                f"size DuckDB understands, like 2GB or 500MiB ({str(exc).splitlines()[0]})"
            )
    return problems


def duckdb_config() -> dict[str, str]:
    """The settings every read-write connection to the warehouse opens it with (they must be
    equal: DuckDB shares one open database only between connections with the same config).

    The write-ahead log is checkpointed into the file when it passes CHECKPOINT_THRESHOLD, not
    DuckDB's 16 MB: a build writes rows that it deletes again in the same run (staged input
    rows, a year's rows replaced), and with the small threshold every commit after a big write
    checkpointed them into the file first (about 5 s of CPU of the bundled run)."""
    return {
        "custom_user_agent": "dagster",
        "memory_limit": os.environ.get(ENV_DUCKDB_MEMORY, DEFAULT_DUCKDB_MEMORY),
        "checkpoint_threshold": CHECKPOINT_THRESHOLD,
    }


def discovery_duckdb_memory() -> str:
    """The memory limit for discovery (DISCOVERY_DUCKDB_MEMORY_BYTES, or the build's when lower)."""
    import re

    limit = os.environ.get(ENV_DUCKDB_MEMORY, DEFAULT_DUCKDB_MEMORY)
    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?I?B?)\s*", limit.upper())
    units = {
        "": 1,
        "B": 1,
        "KB": 1e3,
        "MB": 1e6,
        "GB": 1e9,
        "TB": 1e12,
        "KIB": 2**10,
        "MIB": 2**20,
        "GIB": 2**30,
        "TIB": 2**40,
    }
    if m is None or m.group(2) not in units:  # a form DuckDB reads but this does not: keep it
        return limit
    return f"{int(min(float(m.group(1)) * units[m.group(2)], DISCOVERY_DUCKDB_MEMORY_BYTES))}B"


# An empty variable counts as unset (Path("") would be the current folder).
def input_dir() -> Path:
    return Path(os.environ.get(ENV_INPUT) or DEFAULT_INPUT_DIR).resolve()


def warehouse_path() -> Path:
    return Path(os.environ.get(ENV_WAREHOUSE) or DEFAULT_WAREHOUSE).resolve()


def out_dir() -> Path:
    return Path(os.environ.get(ENV_OUT) or DEFAULT_OUT_DIR).resolve()


def region_file() -> Path:
    return Path(os.environ.get(ENV_REGION) or DEFAULT_REGION_FILE).resolve()


DOMAINS = ("jeugdhulp", "jeugdbescherming", "onderwijsondersteuning", "leerplicht")
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
    # [area] (docs/regions.md): the PC4s of the area, and the members that lie only partly in it
    pc4: list[str] = field(default_factory=list)
    partial: set[str] = field(default_factory=set)

    @property
    def codes(self) -> list[str]:
        return sorted(self.members)


def load_region(path: Path | None = None) -> Region:
    """The region file, validated strictly (region_schema.py): a typo in a key, a wrong type or a
    value out of range is a RegionFileError naming the file, the line and the key, never ignored."""
    from .region_schema import area_pc4, parse_region

    path = path or region_file()
    with open(path, "rb") as fh:
        raw = fh.read()
    cfg = parse_region(path, raw)
    members = {m.code: m.display_name or m.code for m in cfg.municipality}
    pc4: list[str] = []
    partial: set[str] = set()
    if cfg.area is not None:
        # an area of PC4s is run as the municipalities it lies in: flows, local teams and agreements are
        # per municipality (the unit DUO and the local teams use); members only partly inside are marked
        inside = area_pc4(cfg.area)
        pc4 = sorted(inside)
        cbs = _cbs_names()  # CBS names ('s-Gravenhage); a [[municipality]] with display_name overrides them
        for code, name in sorted(set(inside.values())):
            members.setdefault(code, cbs.get(code, name))
        counts = _pc4_per_municipality()
        partial = {c for c in {c for c, _ in inside.values()} if sum(v[0] == c for v in inside.values()) < counts[c]}
    return Region(
        name=cfg.name,
        slug=cfg.slug,
        members=members,
        subregions={m.code: m.subregion for m in cfg.municipality if m.subregion},
        agreements=cfg.agreements.model_dump(),
        disclosure=cfg.disclosure.model_dump(exclude_unset=True) if cfg.disclosure else {},
        pc4=pc4,
        partial=partial,
    )


def _cbs_names() -> dict[str, str]:
    import csv

    with open(REFERENCE_DIR / "municipalities.csv", encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def _pc4_per_municipality() -> dict[str, int]:
    import csv

    with open(REFERENCE_DIR / "swv_pc4.csv", encoding="utf-8", newline="") as fh:
        out: dict[str, int] = {}
        for row in csv.DictReader(fh):
            out[row["municipality_code"]] = out.get(row["municipality_code"], 0) + 1
        return out
