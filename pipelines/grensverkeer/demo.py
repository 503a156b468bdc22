"""A synthetic, clearly labelled demo set of linked pseudonymised records for Haaglanden.

Real linked records (one row per pupil per school year, plus support episodes keyed by
the same pseudonym) never leave their owners. This module invents records that are
*shaped* like Haaglanden, from public data bundled in ``data/`` only:

* **BO/SBO/SO/VSO, school year 2024-2025**: one pupil per pupil counted in the real DUO
  2024 files ``data/inputs/duo/<Gemeente> afgeschermd.csv`` (the nine Haaglanden
  municipality files; the HAAGLANDEN-FILTERED extract and the totals file are not used).
  Each row x age cell gives that many pupils at that school location, home PC4 and home
  municipality; a masked ``<5`` cell becomes 1, 2, 3 or 4 pupils with probabilities
  0.66/0.22/0.08/0.04 (mean 1.50). Pupils whose residence DUO gives as unknown or abroad
  (no CBS code) are left out: the contract needs a GMxxxx residence.
* **VO/PRO, 2024-2025**: per Haaglanden home PC4 about 0.75 x its BO pupils (Poisson),
  5% PRO, ages 12-17, at the real VO/PRO locations of ``school_locations.csv`` in the
  region or within 15 km of a Haaglanden home PC4, chosen by a gravity model
  ``P(school | home) ~ size * exp(-distance_km / 4)``.
* **Earlier years**: built backwards one year at a time from the year after. The same
  pupils (same pseudonym, same birth year, home and sector) are one year younger; per
  sector x age the count is held at the 2024 count times a yearly size factor
  (1 +- up to 2%): surplus pupils (e.g. VO pupils who would be 11) drop out, a shortfall
  (the oldest cohort, which has left by 2024) is filled with new pupils copied from the
  2024 pupils of that sector and age. About 3% of the pupils carried over are at another
  school of the same sector in the same school municipality. A pupil moving from BO to
  VO is not linked: the VO pupil is a different pseudonym.
* **Support episodes** per pupil and domain from a Poisson process with a shared
  per-pupil risk factor; rates are solved from the yearly shares per sector in
  ``data/regions/haaglanden_demo_support.toml`` (documented there).

Pseudonyms are ``sha256("grensverkeer-demo/<seed>/<serial>")`` as 64 lower-case hex
characters. Everything is drawn from one ``numpy.random.default_rng(seed)`` in a fixed
order on sorted data, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from . import settings
from .ingest.linked import SYNTHETIC_MARKER

DUO_YEAR = 2024  # count date 1 October 2024 -> school year 2024-2025
DEFAULT_OUT_DIR = settings.DATA_DIR / "inputs" / "linked"
DEFAULT_SUPPORT_CONFIG = settings.DATA_DIR / "regions" / "haaglanden_demo_support.toml"

SECTORS = ("BO", "SBO", "SO", "VSO", "VO", "PRO")
MASKED_VALUES_P = (0.66, 0.22, 0.08, 0.04)  # P(1), P(2), P(3), P(4) for a '<5' cell
AGE_YOUNGER, AGE_OLDER = 3, 25  # LEEFTIJD_JONGER, LEEFTIJD_OUDER
MIN_AGE = 4  # in earlier years, pupils younger than this are not at school yet
VO_PER_BO = 0.75  # VO pupils per BO pupil of a home PC4 (6 VO years vs 8 BO years)
PRO_SHARE = 0.05
VO_AGES = (12, 17)
GRAVITY_SIZE_EXP = 1.0
GRAVITY_DECAY_KM = 4.0
NEIGHBOUR_KM = 15.0
MOVE_SHARE = 0.03
SIZE_DRIFT = 0.02
ID_SALT = "grensverkeer-demo"
PARQUET_OPTS = dict(
    compression="zstd",
    compression_level=3,
    row_group_size=1_000_000,
    write_statistics=True,
    version="2.6",
    data_page_version="1.0",
)

ENROLMENT_SCHEMA = pa.schema(
    [
        ("school_year", pa.string()),
        ("student_id", pa.string()),
        ("school_location_id", pa.string()),
        ("sector", pa.string()),
        ("residence_municipality_code", pa.string()),
        ("residence_postcode4", pa.string()),
        ("birth_year", pa.int32()),
    ]
)
SUPPORT_SCHEMA = pa.schema(
    [
        ("student_id", pa.string()),
        ("support_domain", pa.string()),
        ("support_type", pa.string()),
        ("responsible_municipality_code", pa.string()),
        ("local_team", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
    ]
)
SCHOOL_COLUMNS = [
    "school_location_id",
    "school_name",
    "sector",
    "municipality_code",
    "latitude",
    "longitude",
    "swv_code",
]

NAME_KEY_SQL = "trim(regexp_replace(upper(strip_accents({})), '[^A-Z0-9]+', ' ', 'g'))"


def school_year(year: int) -> str:
    return f"{year}-{year + 1}"


# --------------------------------------------------------------------------------------
# reading the bundled public data
# --------------------------------------------------------------------------------------


def _duo_cells(con: duckdb.DuckDBPyConnection, data_dir: Path) -> pl.DataFrame:
    """Non-zero age cells of the nine DUO 2024 municipality files, sorted."""
    files = sorted((data_dir / "inputs" / "duo").glob("* afgeschermd.csv"))
    if not files:
        raise FileNotFoundError(f"no '<Gemeente> afgeschermd.csv' DUO files in {data_dir / 'inputs' / 'duo'}")
    variants = (data_dir / "reference" / "municipality_name_variants.csv").as_posix()
    file_list = ", ".join("'" + f.as_posix().replace("'", "''") + "'" for f in files)
    con.execute(f"""
        create or replace temp table duo_raw as
        select * from read_csv([{file_list}], all_varchar = true, delim = ';', quote = '"',
                               header = true, union_by_name = true)""")
    return con.sql(f"""
        with name_codes as (
            select distinct {NAME_KEY_SQL.format("name")} as k, code
            from read_csv('{variants}', all_varchar = true)
        ), cells as (
            unpivot duo_raw on columns('^LEEFTIJD_') into name age_col value cell
        )
        select c.INSTELLINGSCODE || c.VESTIGINGSCODE as school_location_id,
               upper(c.SOORT_PO) as sector,
               'GM' || lpad(c.GEMEENTENUMMER, 4, '0') as school_municipality_code,
               c.INSTELLINGSNAAM_VESTIGING as duo_school_name,
               n.code as residence_municipality_code,
               c.POSTCODE_LEERLING as residence_postcode4,
               case c.age_col when 'LEEFTIJD_JONGER' then {AGE_YOUNGER}
                              when 'LEEFTIJD_OUDER' then {AGE_OLDER}
                              else cast(replace(c.age_col, 'LEEFTIJD_', '') as integer) end as age,
               c.cell = '<5' as masked,
               case when c.cell = '<5' then 0 else cast(c.cell as integer) end as value
        from cells c
        left join name_codes n on n.k = {NAME_KEY_SQL.format("c.GEMEENTENAAM_LEERLING")}
        where c.cell <> '0'
        order by all
    """).pl()


def _school_locations(data_dir: Path) -> pl.DataFrame:
    """school_locations.csv, one row per school_location_id (first row in file order)."""
    return (
        pl.read_csv(data_dir / "reference" / "school_locations.csv", infer_schema_length=0)
        .unique("school_location_id", keep="first", maintain_order=True)
        .with_columns(pl.col("latitude", "longitude").cast(pl.Float64), pl.col("pupils").cast(pl.Float64))
    )


def _pc4_centroids(data_dir: Path) -> pl.DataFrame:
    return pl.read_csv(
        data_dir / "reference" / "pc4_centroids.csv",
        schema={"pc4": pl.String, "latitude": pl.Float64, "longitude": pl.Float64},
    )


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _draw_per_row(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of `rows`, a column index drawn with probability weights[row, :]."""
    n_rows, n_cols = weights.shape
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    pos = np.searchsorted(flat, rows + rng.random(len(rows)), side="right")
    return np.clip(pos - rows * n_cols, 0, n_cols - 1)


# --------------------------------------------------------------------------------------
# the pupils of the DUO year
# --------------------------------------------------------------------------------------

BASE_COLUMNS = [
    "sector",
    "school_location_id",
    "school_municipality_code",
    "residence_municipality_code",
    "residence_postcode4",
    "birth_year",
]


def _po_pupils(cells: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    masked = cells["masked"].to_numpy()
    counts = cells["value"].to_numpy().astype(np.int64)
    counts[masked] = rng.choice(np.arange(1, 5), size=int(masked.sum()), p=MASKED_VALUES_P)
    rows = np.repeat(np.arange(cells.height), counts)
    return (
        cells[rows]
        .filter(pl.col("residence_municipality_code").str.starts_with("GM"))
        .with_columns(birth_year=(DUO_YEAR - pl.col("age")).cast(pl.Int32))
        .select(BASE_COLUMNS)
    )


def _vo_candidate_schools(locations: pl.DataFrame, homes: pl.DataFrame, region_codes: list[str]) -> pl.DataFrame:
    vo = locations.filter(
        pl.col("sector").is_in(["VO", "PRO"]), pl.col("latitude").is_not_null(), pl.col("longitude").is_not_null()
    )
    d = _haversine_km(
        homes["latitude"].to_numpy()[:, None],
        homes["longitude"].to_numpy()[:, None],
        vo["latitude"].to_numpy()[None, :],
        vo["longitude"].to_numpy()[None, :],
    )
    near = d.min(axis=0) <= NEIGHBOUR_KM
    vo = vo.filter(pl.Series(near) | pl.col("municipality_code").is_in(region_codes))
    return vo.with_columns(size=pl.col("pupils").fill_null(pl.col("pupils").median().over("sector"))).sort(
        "school_location_id"
    )


def _vo_pupils(vo_schools: pl.DataFrame, homes: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    n_home = rng.poisson(VO_PER_BO * homes["bo_pupils"].to_numpy())
    home_row = np.repeat(np.arange(homes.height), n_home)
    n = len(home_row)
    sector = np.where(rng.random(n) < PRO_SHARE, "PRO", "VO")
    age = rng.integers(VO_AGES[0], VO_AGES[1] + 1, size=n)
    school = np.empty(n, dtype=object)
    hl, hn = homes["latitude"].to_numpy(), homes["longitude"].to_numpy()
    for sec in ("VO", "PRO"):
        sch = vo_schools.filter(pl.col("sector") == sec)
        dist = _haversine_km(
            hl[:, None], hn[:, None], sch["latitude"].to_numpy()[None, :], sch["longitude"].to_numpy()[None, :]
        )
        weights = sch["size"].to_numpy()[None, :] ** GRAVITY_SIZE_EXP * np.exp(-dist / GRAVITY_DECAY_KM)
        mine = np.flatnonzero(sector == sec)
        school[mine] = sch["school_location_id"].to_numpy()[_draw_per_row(rng, weights, home_row[mine])]
    pupils = pl.DataFrame(
        {
            "home_row": home_row,
            "sector": sector,
            "school_location_id": school.astype(str),
            "birth_year": (DUO_YEAR - age).astype(np.int32),
        }
    )
    return (
        pupils.join(
            homes.with_row_index("home_row").with_columns(pl.col("home_row").cast(pl.Int64)),
            on="home_row",
            how="left",
            maintain_order="left",
        )
        .join(
            vo_schools.select("school_location_id", school_municipality_code="municipality_code"),
            on="school_location_id",
            how="left",
            maintain_order="left",
        )
        .select(BASE_COLUMNS)
    )


# --------------------------------------------------------------------------------------
# earlier school years
# --------------------------------------------------------------------------------------


def _move_some(pupils: pl.DataFrame, schools_by_group: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """About MOVE_SHARE of the pupils get another school of their sector in their school's municipality."""
    n = pupils.height
    movers = rng.random(n) < MOVE_SHARE
    u = rng.random(n)
    ctx = pupils.select("sector", "school_municipality_code", "school_location_id").join(
        schools_by_group,
        on=["sector", "school_municipality_code", "school_location_id"],
        how="left",
        maintain_order="left",
    )
    pos = ctx["pos"].to_numpy()
    size = ctx["group_size"].to_numpy()
    offset = ctx["group_offset"].to_numpy()
    can = movers & (size > 1)
    j = np.floor(u * (size - 1)).astype(np.int64)
    j = j + (j >= pos)
    new_index = np.where(can, offset + j, offset + pos)
    new_school = schools_by_group["school_location_id"].to_numpy()[new_index]
    return pupils.with_columns(school_location_id=pl.Series(new_school, dtype=pl.String))


def _earlier_year(
    later: pl.DataFrame,
    year: int,
    base: pl.DataFrame,
    base_counts: pl.DataFrame,
    schools_by_group: pl.DataFrame,
    next_pid: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    factor = 1.0 + rng.uniform(-SIZE_DRIFT, SIZE_DRIFT)
    targets = base_counts.select("sector", "age", target=(pl.col("n") * factor).round().cast(pl.Int64))
    carried = (
        later.with_columns(age=(year - pl.col("birth_year")).cast(pl.Int64), u=pl.Series(rng.random(later.height)))
        .filter(pl.col("age") >= MIN_AGE)
        .join(targets, on=["sector", "age"], how="left", maintain_order="left")
        .with_columns(pl.col("target").fill_null(0), rank=pl.col("u").rank("ordinal").over(["sector", "age"]))
    )
    kept = carried.filter(pl.col("rank") <= pl.col("target"))
    shortfall = (
        targets.join(
            carried.group_by("sector", "age").agg(available=pl.len()),
            on=["sector", "age"],
            how="left",
            maintain_order="left",
        )
        .with_columns(missing=(pl.col("target") - pl.col("available").fill_null(0)).clip(lower_bound=0))
        .filter(pl.col("missing") > 0)
        .join(base_counts, on=["sector", "age"], how="inner", maintain_order="left")
        .sort("sector", "age")
    )
    kept = _move_some(kept.select(later.columns), schools_by_group, rng)
    # New pupils: copies of random 2024 pupils of the same sector and age (base is sorted by
    # sector, age, so every (sector, age) group is one contiguous block).
    missing = shortfall["missing"].to_numpy()
    start = np.repeat(shortfall["offset"].to_numpy(), missing)
    size = np.repeat(shortfall["n"].to_numpy(), missing)
    rows = start + np.floor(rng.random(len(start)) * size).astype(np.int64)
    new = (
        base[rows]
        .with_columns(
            birth_year=(year - pl.col("age")).cast(pl.Int32),
            pid=pl.int_range(next_pid, next_pid + len(rows), dtype=pl.Int64),
        )
        .select(later.columns)
    )
    return pl.concat([kept, new]).sort("pid")


def _build_years(base: pl.DataFrame, years: list[int], rng: np.random.Generator) -> dict[int, pl.DataFrame]:
    base = base.with_columns(age=(DUO_YEAR - pl.col("birth_year")).cast(pl.Int64)).sort("sector", "age", "pid")
    base_counts = (
        base.group_by("sector", "age", maintain_order=True)
        .agg(n=pl.len())
        .with_columns(offset=pl.col("n").cum_sum() - pl.col("n"))
    )
    schools_by_group = (
        base.select("sector", "school_municipality_code", "school_location_id")
        .unique()
        .sort("sector", "school_municipality_code", "school_location_id")
        .with_row_index("flat")
        .with_columns(
            pl.col("flat").cast(pl.Int64),
            pos=pl.int_range(pl.len(), dtype=pl.Int64).over("sector", "school_municipality_code"),
            group_size=pl.len().over("sector", "school_municipality_code").cast(pl.Int64),
        )
        .with_columns(group_offset=pl.col("flat") - pl.col("pos"))
        .drop("flat")
    )
    columns = ["pid", *BASE_COLUMNS]
    out = {DUO_YEAR: base.select(columns).sort("pid")}
    next_pid = base.height
    for year in range(DUO_YEAR - 1, min(years) - 1, -1):
        out[year] = _earlier_year(out[year + 1], year, base, base_counts, schools_by_group, next_pid, rng)
        next_pid = max(next_pid, int(out[year]["pid"].max()) + 1)
    return {y: out[y] for y in years}


# --------------------------------------------------------------------------------------
# support episodes
# --------------------------------------------------------------------------------------


def load_support_config(path: Path | None = None) -> dict:
    with open(path or DEFAULT_SUPPORT_CONFIG, "rb") as fh:
        cfg = tomllib.load(fh)
    for name, dom in cfg["domain"].items():
        missing = set(SECTORS) - set(dom["share"])
        if missing:
            raise ValueError(f"support config: domain {name} has no share for {sorted(missing)}")
    return cfg


def _types_for(domain: dict, sector: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    types = [t for t in domain["type"] if sector in t.get("sectors", SECTORS)]
    w = np.array([t["weight"] for t in types], dtype=float)
    return (
        [t["name"] for t in types],
        w / w.sum(),
        np.array([t["median_months"] for t in types], dtype=float),
        np.array([t["sigma"] for t in types], dtype=float),
    )


def _support(
    pupils: pl.DataFrame,
    years: list[int],
    region_codes: list[str],
    team_names: dict[str, str],
    cfg: dict,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Episodes per pupil. `pupils`: pid, sector, residence_municipality_code, birth_year (sorted by pid)."""
    day = np.timedelta64(1, "D")
    window_keep = np.datetime64(f"{min(years)}-08-01")
    extract = np.datetime64(f"{max(years) + 1}-07-31") + int(cfg.get("extract_date_offset_days", 0)) * day
    history_start = np.datetime64(f"{min(years) - int(cfg.get('history_years', 6))}-08-01")
    shape = float(cfg.get("frailty_shape", 1.5))

    n = pupils.height
    sector = pupils["sector"].to_numpy()
    birth = (pupils["birth_year"].to_numpy() + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    start_min = np.maximum(history_start, birth)  # no episodes before the first birthday
    span = ((extract + day) - start_min) / day  # days in which an episode can start
    span_years = span / 365.25
    frailty = rng.gamma(shape, 1.0 / shape, size=n)
    residence = pupils["residence_municipality_code"].to_numpy()
    res_index = np.full(n, -1)
    for i, code in enumerate(region_codes):
        res_index[residence == code] = i

    frames = []
    for domain_name, domain in cfg["domain"].items():
        rate = np.zeros(n)
        per_sector = {}
        for sec in SECTORS:
            names, w, med, sig = _types_for(domain, sec)
            mean_years = float(np.sum(w * med * np.exp(sig**2 / 2))) / 12.0
            share = float(domain["share"][sec])
            # P(no episode overlaps a year | Z) = exp(-Z r (1 + mean duration)); Z ~ Gamma(k, 1/k):
            # share = 1 - (1 + c/k)^-k  =>  c = k ((1 - share)^(-1/k) - 1), r = c / (1 + mean)
            c = shape * ((1.0 - share) ** (-1.0 / shape) - 1.0)
            rate[sector == sec] = c / (1.0 + mean_years)
            per_sector[sec] = (names, w, med, sig)
        counts = rng.poisson(frailty * rate * span_years)
        who = np.repeat(np.arange(n), counts)
        m = len(who)
        start = start_min[who] + np.floor(rng.random(m) * span[who]).astype(np.int64) * day
        type_name = np.empty(m, dtype=object)
        months = np.empty(m)
        ep_sector = sector[who]
        for sec in SECTORS:
            mine = np.flatnonzero(ep_sector == sec)
            names, w, med, sig = per_sector[sec]
            k = rng.choice(len(names), size=len(mine), p=w)
            type_name[mine] = np.asarray(names, dtype=object)[k]
            months[mine] = med[k] * np.exp(sig[k] * rng.standard_normal(len(mine)))
        days = np.maximum(1, np.round(months * 30.4375)).astype(np.int64)
        end = start + days * day
        # responsible municipality: the residence, sometimes another municipality of the region
        other = rng.random(m) < float(domain.get("other_municipality_share", 0.0))
        ri = res_index[who]
        j = np.floor(rng.random(m) * (len(region_codes) - (ri >= 0))).astype(np.int64)
        j = j + ((ri >= 0) & (j >= ri))
        responsible = np.where(other, np.asarray(region_codes)[np.clip(j, 0, len(region_codes) - 1)], residence[who])
        keep = end >= window_keep
        frames.append(
            pl.DataFrame(
                {
                    "pid": pupils["pid"].to_numpy()[who][keep],
                    "support_domain": np.full(int(keep.sum()), domain_name),
                    "support_type": type_name[keep].astype(str),
                    "responsible_municipality_code": responsible[keep].astype(str),
                    "start_date": start[keep],
                    "end_date": end[keep],
                }
            )
        )
    episodes = pl.concat(frames).with_columns(
        pl.when(pl.col("end_date") > pl.lit(extract.astype("datetime64[D]").item()))
        .then(None)
        .otherwise(pl.col("end_date"))
        .alias("end_date"),
    )
    return episodes.with_columns(
        local_team=pl.col("responsible_municipality_code").replace_strict(team_names, default=None)
    )


def _team_names(cfg: dict, data_dir: Path) -> dict[str, str]:
    munis = pl.read_csv(data_dir / "reference" / "municipalities.csv", infer_schema_length=0)
    template = cfg.get("local_team_default", "Lokaal team {name}")
    teams = {code: template.format(name=name) for code, name in munis.select("code", "name").iter_rows()}
    teams.update(cfg.get("local_team", {}))
    return teams


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------

README_TEXT = """\
SYNTHETISCHE DEMODATA - GEEN ECHTE LEERLINGEN
=============================================

Deze map is een synthetische demoset, gemaakt met

    grensverkeer demo-data --seed {seed}{scale_arg}

voor de schooljaren {years}. Het zijn geen echte leerlingen en geen echte
hulptrajecten. De leerlingaantallen per school, postcode en leeftijd volgen de openbare
DUO-bestanden van 1 oktober 2024 (gemaskeerde cellen '<5' willekeurig ingevuld met 1-4);
VO- en PRO-leerlingen, eerdere schooljaren en alle ondersteuning (jeugdhulp,
jeugdbescherming, onderwijsondersteuning, leerplicht) zijn verzonnen met een
toevalsgenerator. De student_id's zijn willekeurige pseudoniemen (sha256 van seed en
volgnummer), geen BSN's. Dezelfde seed geeft byte voor byte dezelfde bestanden.

SYNTHETIC DEMO DATA - NOT REAL PUPILS
=====================================

This folder is a synthetic demo set, generated by

    grensverkeer demo-data --seed {seed}{scale_arg}

for the school years {years}. These are not real pupils and not real support
episodes. Pupil numbers per school, postcode and age follow the public DUO files of
1 October 2024 (masked '<5' cells filled at random with 1-4); VO and PRO pupils, earlier
school years and all support (youth care, child protection, education support, compulsory
education) are invented by a random generator. The student_ids are random pseudonyms
(sha256 of the seed and a serial number), not BSNs. The same seed gives byte-identical
files.

Files: schools.csv ({schools} rows), enrolments.parquet ({enrolments} rows),
support.parquet ({support} rows). Method: pipelines/grensverkeer/demo.py; support
shares: data/regions/haaglanden_demo_support.toml.
"""


def _write_parquet(df: pl.DataFrame, schema: pa.Schema, path: Path) -> None:
    table = df.select(schema.names).to_arrow().cast(schema).replace_schema_metadata(None)
    # Dictionary encoding for the low-cardinality columns. The random pseudonyms do not
    # compress; DELTA_BYTE_ARRAY stores a run of the same pseudonym (one pupil's rows) once.
    dictionary = [c for c in schema.names if c != "student_id"]
    pq.write_table(
        table, path, use_dictionary=dictionary, column_encoding={"student_id": "DELTA_BYTE_ARRAY"}, **PARQUET_OPTS
    )


def generate_demo(
    out_dir: Path,
    seed: int = 2024,
    years: tuple[int, ...] = (2022, 2023, 2024),
    *,
    scale: float = 1.0,
    data_dir: Path | None = None,
    region_file: Path | None = None,
    support_config: Path | None = None,
) -> dict[str, int]:
    """Write schools.csv, enrolments.parquet, support.parquet and README.txt to `out_dir`.

    `years` are first calendar years of school years (2024 = 2024-2025), at most 2024.
    `scale` < 1 keeps that share of the pupils (for quick tests); the default is full size.
    Returns the row counts {"schools", "enrolments", "support"}.
    """
    years = sorted(set(int(y) for y in years))
    if not years or max(years) > DUO_YEAR:
        raise ValueError(f"years must be non-empty and at most {DUO_YEAR} (the DUO count year)")
    if not 0.0 < scale <= 1.0:
        raise ValueError("scale must be in (0, 1]")
    data_dir = Path(data_dir or settings.DATA_DIR)
    out_dir = Path(out_dir)
    region_codes = settings.load_region(region_file or settings.DEFAULT_REGION_FILE).codes
    cfg = load_support_config(support_config)
    rng = np.random.default_rng(seed)
    con = duckdb.connect()

    # 1. pupils of 2024-2025
    cells = _duo_cells(con, data_dir)
    po = _po_pupils(cells, rng)
    locations = _school_locations(data_dir)
    homes = (
        po.filter(pl.col("sector") == "BO", pl.col("residence_municipality_code").is_in(region_codes))
        .group_by("residence_postcode4", "residence_municipality_code")
        .agg(bo_pupils=pl.len())
        .join(_pc4_centroids(data_dir), left_on="residence_postcode4", right_on="pc4", how="inner")
        .sort("residence_postcode4", "residence_municipality_code")
    )
    vo_schools = _vo_candidate_schools(locations, homes, region_codes)
    vo = _vo_pupils(vo_schools, homes, rng)
    base = pl.concat([po, vo]).sort(BASE_COLUMNS)
    if scale < 1.0:
        base = base.filter(pl.Series(rng.random(base.height) < scale))
    base = base.with_row_index("pid").with_columns(pl.col("pid").cast(pl.Int64))

    # 2. earlier years, 3. pseudonyms
    by_year = _build_years(base, years, rng)
    enrol = pl.concat([df.with_columns(school_year=pl.lit(school_year(y))) for y, df in sorted(by_year.items())])
    pupils = enrol.select("pid", "sector", "residence_municipality_code", "birth_year").unique("pid").sort("pid")
    con.register("demo_pids", pupils.select("pid").to_arrow())
    ids = con.sql(
        f"select pid, sha256('{ID_SALT}/' || {int(seed)} || '/' || pid) as student_id from demo_pids order by pid"
    ).pl()

    # 4. support
    support = _support(pupils, years, region_codes, _team_names(cfg, data_dir), cfg, rng)

    # 5. schools
    used = (
        enrol.group_by("school_location_id", "sector")
        .agg(n=pl.len())
        .sort("school_location_id", pl.col("n"), "sector", descending=[False, True, False])
    )
    duo_names = cells.select("school_location_id", "duo_school_name", "school_municipality_code").unique(
        "school_location_id", keep="first", maintain_order=True
    )
    schools = (
        used.unique("school_location_id", keep="first", maintain_order=True)
        .join(
            locations.select("school_location_id", "name", "municipality_code", "latitude", "longitude"),
            on="school_location_id",
            how="left",
            maintain_order="left",
        )
        .join(duo_names, on="school_location_id", how="left", maintain_order="left")
        .select(
            "school_location_id",
            school_name=pl.coalesce("name", "duo_school_name"),
            sector="sector",
            municipality_code=pl.coalesce("school_municipality_code", "municipality_code"),
            latitude=pl.col("latitude").round(6),
            longitude=pl.col("longitude").round(6),
            swv_code=pl.lit(None, dtype=pl.String),
        )
        .sort("school_location_id")
    )

    # Rows of one pupil are kept together (sorted by the pupil's latest school and home, then
    # pseudonym, then year): the 64-hex pseudonyms are incompressible, stored once per run.
    latest_school = (
        enrol.sort("pid", "school_year", descending=[False, True])
        .unique("pid", keep="first", maintain_order=True)
        .select("pid", latest_school="school_location_id")
    )
    enrolments = (
        enrol.join(ids, on="pid", how="left", maintain_order="left")
        .join(latest_school, on="pid", how="left", maintain_order="left")
        .sort(
            "latest_school",
            "residence_municipality_code",
            "residence_postcode4",
            "birth_year",
            "student_id",
            "school_year",
        )
    )
    support = support.join(ids, on="pid", how="left", maintain_order="left").sort(
        "student_id",
        "start_date",
        "support_domain",
        "support_type",
        "end_date",
        "responsible_municipality_code",
        nulls_last=True,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    schools.select(SCHOOL_COLUMNS).write_csv(out_dir / "schools.csv", float_precision=6, line_terminator="\n")
    _write_parquet(enrolments, ENROLMENT_SCHEMA, out_dir / "enrolments.parquet")
    _write_parquet(support, SUPPORT_SCHEMA, out_dir / "support.parquet")
    counts = {"schools": schools.height, "enrolments": enrolments.height, "support": support.height}
    (out_dir / "README.txt").write_text(
        README_TEXT.format(
            seed=seed,
            scale_arg="" if scale == 1.0 else f" --scale {scale:g}",
            years=", ".join(school_year(y) for y in years),
            **counts,
        ),
        encoding="utf-8",
        newline="\n",
    )
    # The pipeline labels everything derived from a folder with this marker as synthetic.
    (out_dir / SYNTHETIC_MARKER).write_text(
        "Synthetic demo data made by `grensverkeer demo-data`: every table and page derived from it says so.\n",
        encoding="utf-8",
        newline="\n",
    )
    con.close()
    return counts


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def _demo_command(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    try:
        counts = generate_demo(Path(args.out), seed=args.seed, scale=args.scale)
    except (OSError, ValueError) as exc:
        print(f"grensverkeer demo-data: {exc}", file=sys.stderr)
        return 1
    print(
        f"grensverkeer demo-data: synthetic demo set (seed {args.seed}) written to {args.out}: "
        f"{counts['schools']} schools, {counts['enrolments']} enrolments, {counts['support']} support "
        f"episodes ({time.perf_counter() - t0:.1f} s). Not real pupils."
    )
    return 0


def add_demo_parser(subparsers) -> argparse.ArgumentParser:
    """Register the `demo-data` sub-command on an argparse sub-parsers object."""
    default_out = DEFAULT_OUT_DIR
    try:
        shown = default_out.relative_to(settings.PROJECT_ROOT)
    except ValueError:
        shown = default_out
    p = subparsers.add_parser(
        "demo-data",
        help="write the synthetic demo set of linked pseudonymised records",
        description="Write a synthetic, clearly labelled demo set of linked "
        "pseudonymised records (not real pupils), shaped like Haaglanden.",
    )
    p.add_argument("--out", default=str(default_out), metavar="DIR", help=f"output folder (default: {shown})")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default: 2024); same seed, same files")
    p.add_argument("--scale", type=float, default=1.0, help="share of pupils to keep, 0-1 (default: 1)")
    p.set_defaults(func=_demo_command)
    return p
