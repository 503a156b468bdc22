"""The samenwerkingsverbanden passend onderwijs (SWV) of the region: where the pupils living in an SWV area go to
school (by the SWV of the school's PC4), and in which municipalities the pupils of its schools live (the local
teams its schools work with). DUO counts only (models/dashboards/swv_pupils.sql), through disclosure control as
one table per school year: rows and columns add up to published totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from ..disclosure import DisclosureSettings, protect
from ..settings import Region
from ..warehouse import model_sql

OTHER = "ANDER"  # an SWV outside the region (together)
PO_SECTORS = ["BO", "SBO", "SO"]


def swv_name(code: str) -> str:
    """'PO2815' -> 'PO 28-15', the number the regulation gives each samenwerkingsverband."""
    if code == OTHER:
        return "samenwerkingsverbanden buiten de regio"
    if code == "onbekend":
        return "onbekend (school of postcode niet in de lijst)"
    return f"{code[:2]} {code[2:4]}-{code[4:]}" if len(code) == 6 else code


@dataclass
class SwvData:
    areas: dict[str, list[str]]  # SWV -> municipality codes with PC4 in it (region members only)
    split: set[tuple[str, str]]  # (SWV, municipality) where the municipality lies only partly in the SWV
    years: list[str]
    labels: dict[str, str]
    sectors: dict[str, list[str]]  # SWV kind -> sectors with pupils
    origins: dict[tuple[str, str], list[str]]  # (year, SWV) -> home municipalities of its schools' pupils


def load_swv(con: duckdb.DuckDBPyConnection, region: Region, settings: DisclosureSettings) -> SwvData | None:
    R = region.codes
    if not con.execute("select count(*) from duckdb_tables() where table_name = 'ref_swv_pc4'").fetchall()[0][0]:
        return None
    ref = con.sql("select po_swv, vo_swv, municipality_code from ref_swv_pc4").pl()
    ref = ref.filter(pl.col("municipality_code").is_in(R))
    areas: dict[str, list[str]] = {}
    split: set[tuple[str, str]] = set()
    for col in ("po_swv", "vo_swv"):
        per = ref.group_by(col, "municipality_code").len()
        for swv, m, _ in per.sort(col, "municipality_code").iter_rows():
            areas.setdefault(swv, []).append(m)
        multi = ref.group_by("municipality_code").agg(pl.col(col).n_unique().alias("n")).filter(pl.col("n") > 1)
        for swv, m, _ in per.filter(pl.col("municipality_code").is_in(multi["municipality_code"])).iter_rows():
            split.add((swv, m))
    rows = con.sql(model_sql("dashboards/swv_pupils")).pl()
    if not rows.height:
        return None
    ours = set(areas)
    rows = rows.with_columns(
        pl.when(pl.col("school_swv").is_in(ours) | (pl.col("school_swv") == "onbekend"))
        .then(pl.col("school_swv"))
        .otherwise(pl.lit(OTHER))
        .alias("school_swv"),
        pl.when(pl.col("origin_code").is_in(R)).then(pl.col("origin_code")).otherwise(pl.lit("BUITEN")).alias("o"),
        pl.col("students").round().cast(pl.Int64),
    )
    cells, rels = [], []
    # where residents of an SWV area go to school: per year, SWV and sector, rows by the school's SWV
    home = (
        rows.filter(pl.col("home_swv").is_in(ours))
        .group_by("school_year", "home_swv", "sector", "school_swv")
        .agg(pl.col("students").sum(), pl.col("estimated").any())
    )
    home = home.with_columns(
        pl.format("swv|{}|{}|{}|{}", "school_year", "home_swv", "sector", "school_swv").alias("cell_id"),
        pl.format("swvwoon|{}|{}|{}", "school_year", "home_swv", "sector").alias("total_id"),
    )
    # where the pupils of an SWV's schools live: rows by home municipality (their local team)
    school = (
        rows.filter(pl.col("school_swv").is_in(ours))
        .group_by("school_year", "school_swv", "sector", "o")
        .agg(pl.col("students").sum(), pl.col("estimated").any())
    )
    school = school.with_columns(
        pl.format("swvteam|{}|{}|{}|{}", "school_year", "school_swv", "sector", "o").alias("cell_id"),
        pl.format("swvschool|{}|{}|{}", "school_year", "school_swv", "sector").alias("total_id"),
    )
    labels: dict[str, str] = {}
    for (year,), _ in rows.group_by("school_year", maintain_order=True):
        parts = [f.filter(pl.col("school_year") == year) for f in (home, school)]
        members = pl.concat(
            [
                p.select("cell_id", pl.col("students").alias("value"), pl.col("estimated").alias("is_estimate"))
                for p in parts
            ]
        )
        totals = pl.concat([p.group_by("total_id").agg(pl.col("students").sum().alias("value")) for p in parts]).select(
            pl.col("total_id").alias("cell_id"), "value", pl.lit(False).alias("is_estimate")
        )
        cells = pl.concat([members, totals])
        rels = pl.concat(
            [
                p.select(pl.col("total_id").alias("relation_id"), "total_id", pl.col("cell_id").alias("member_id"))
                for p in parts
            ]
        )
        out = protect(cells, rels, settings)
        labels |= dict(zip(out["cell_id"].to_list(), out["label"].to_list()))
    sectors = {
        "PO": [s for s in PO_SECTORS if s in rows["sector"].to_list()],
        "VO": [s for s in ("VSO", "VO", "PRO") if s in rows["sector"].to_list()],
    }
    origins = {
        (y, x): sorted(g["o"].unique().to_list(), key=lambda c: (c == "BUITEN", R.index(c) if c in R else 0))
        for (y, x), g in school.group_by("school_year", "school_swv")
    }
    return SwvData(areas, split, sorted(rows["school_year"].unique().to_list()), labels, sectors, origins)
