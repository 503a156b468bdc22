"""The tables of an agreement export (Dutch headers), and the sums an outsider can use.

Every pupil count in an export is a cell with an id; `relations` lists which published
cells add up to which other published cell (a municipality's residents are the sum of
its flows, and so on). The disclosure module uses both to decide what to suppress, and
the checker uses them to prove nothing suppressed can be worked out again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from ..settings import Region

ALL_SECTORS = "Alle sectoren"


@dataclass
class ExportTable:
    sheet: str  # sheet name in afspraken.xlsx (Dutch, at most 31 characters)
    slug: str  # file stem for CSV and Parquet
    frame: pl.DataFrame  # Dutch headers; count columns hold the true numbers
    key: list[str]  # columns that identify a row
    counts: list[str]  # pupil counts: these pass through disclosure control
    description: str = ""  # one Dutch sentence for the Toelichting sheet

    def cell_ids(self, column: str) -> pl.Expr:
        return pl.concat_str([pl.lit(f"{self.slug}|{column}"), *[pl.col(k).cast(pl.String).fill_null("") for k in self.key]],
                             separator="|")

    def cells(self) -> pl.DataFrame:
        frames = [
            self.frame.select(self.cell_ids(c).alias("cell_id"), pl.col(c).cast(pl.Int64).alias("value"))
            .filter(pl.col("value").is_not_null())
            for c in self.counts
        ]
        return pl.concat(frames) if frames else pl.DataFrame(schema={"cell_id": pl.String, "value": pl.Int64})


@dataclass
class ExportBundle:
    school_year: str
    tables: list[ExportTable]
    relations: pl.DataFrame  # relation_id, total_id, member_id
    sources: list[str] = field(default_factory=list)  # 'duo', 'synthetic', 'linked'

    def cells(self) -> pl.DataFrame:
        return pl.concat([t.cells() for t in self.tables])

    def table(self, slug: str) -> ExportTable:
        return next(t for t in self.tables if t.slug == slug)


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pl.DataFrame:
    return con.sql(sql, params=params).pl()


def _flows(con, year: str, region: list[str]) -> pl.DataFrame:
    """DUO flows of the year where the region is origin or destination; linked ones when there is no DUO."""
    duo = _query(con, """
        select sector, origin_code, origin_name, destination_code, destination_name,
               cast(round(students) as bigint) as students, students_low, students_high,
               masked_cells > 0 as estimated, source
        from municipality_flows
        where school_year = ? and (origin_code in (select unnest(?::varchar[])) or destination_code in (select unnest(?::varchar[])))
        """, [year, region, region])
    if duo.height:
        return duo
    return _query(con, """
        select sector, origin_code, origin_name, destination_code, destination_name,
               cast(students as bigint) as students, students as students_low, students as students_high,
               false as estimated, source
        from support_flows
        where school_year = ? and support_domain = 'totaal'
          and (origin_code in (select unnest(?::varchar[])) or destination_code in (select unnest(?::varchar[])))
        """, [year, region, region])


def _stromen(year: str, flows: pl.DataFrame) -> ExportTable:
    frame = flows.sort("sector", "origin_code", "destination_code").select(
        pl.lit(year).alias("Schooljaar"),
        pl.col("sector").alias("Sector"),
        pl.col("origin_code").alias("Woongemeente (code)"),
        pl.col("origin_name").alias("Woongemeente"),
        pl.col("destination_code").alias("Schoolgemeente (code)"),
        pl.col("destination_name").alias("Schoolgemeente"),
        pl.col("students").alias("Leerlingen"),
        pl.col("students_low").cast(pl.Int64).alias("Ondergrens"),
        pl.col("students_high").cast(pl.Int64).alias("Bovengrens"),
        pl.when(pl.col("estimated")).then(pl.lit("ja")).otherwise(pl.lit("nee")).alias("Geschat"),
        pl.col("source").alias("Bron"),
    )
    return ExportTable("Stromen", "stromen", frame, ["Sector", "Woongemeente (code)", "Schoolgemeente (code)"],
                       ["Leerlingen", "Ondergrens", "Bovengrens"],
                       "Leerlingen per woongemeente en schoolgemeente, per sector (geschatte aantallen met onder- en bovengrens).")


def _per_gemeente(con, year: str, region: Region, flows: pl.DataFrame) -> ExportTable:
    members = pl.DataFrame({"code": region.codes, "Gemeente": [region.members[c] for c in region.codes]})
    # Sums of the rounded flows, so the published numbers add up exactly.
    by_sector = pl.concat([
        flows.group_by("sector", code="origin_code").agg(
            woon=pl.col("students").sum(),
            eigen=pl.col("students").filter(pl.col("origin_code") == pl.col("destination_code")).sum(),
            elders=pl.col("students").filter(pl.col("origin_code") != pl.col("destination_code")).sum()),
        flows.filter(pl.col("origin_code") != pl.col("destination_code"))
        .group_by("sector", code="destination_code").agg(instroom=pl.col("students").sum()),
    ], how="diagonal").group_by("sector", "code").agg(pl.all().sum())
    grid = members.join(flows.select("sector").unique(), how="cross").join(by_sector, on=["sector", "code"], how="left")
    grid = grid.with_columns(pl.col("woon", "eigen", "elders", "instroom").fill_null(0))
    all_sectors = grid.group_by("code", "Gemeente").agg(pl.col("woon", "eigen", "elders", "instroom").sum()).with_columns(
        sector=pl.lit(ALL_SECTORS))
    support = _query(con, """
        select code, students_with_support as hulp, schooled_elsewhere as hulp_elders
        from municipality_support_profile where school_year = ?""", [year])
    all_sectors = all_sectors.join(support, on="code", how="left")
    frame = pl.concat([grid, all_sectors], how="diagonal").sort("code", pl.col("sector") == ALL_SECTORS, "sector").select(
        pl.lit(year).alias("Schooljaar"),
        pl.col("code").alias("Gemeente (code)"),
        "Gemeente",
        pl.col("sector").alias("Sector"),
        pl.col("woon").cast(pl.Int64).alias("Leerlingen woonachtig"),
        pl.col("eigen").cast(pl.Int64).alias("Naar school in eigen gemeente"),
        pl.col("elders").cast(pl.Int64).alias("Naar school elders"),
        pl.col("instroom").cast(pl.Int64).alias("Instroom van elders"),
        pl.col("hulp").cast(pl.Int64).alias("Leerlingen met hulp lokaal team"),
        pl.col("hulp_elders").cast(pl.Int64).alias("waarvan elders naar school"),
    )
    return ExportTable("Per gemeente", "per_gemeente", frame, ["Gemeente (code)", "Sector"],
                       ["Leerlingen woonachtig", "Naar school in eigen gemeente", "Naar school elders",
                        "Instroom van elders", "Leerlingen met hulp lokaal team", "waarvan elders naar school"],
                       "Per gemeente: waar de leerlingen die er wonen naar school gaan, wie er van elders komt, "
                       "en de leerlingen met hulp van het lokale team.")


def _agreement_rows(con, year: str, level: str, columns: str, order: str) -> pl.DataFrame:
    """Rows of agreement_needs of one level, for local teams or schools in the region."""
    return _query(con, f"""
        select school_year as "Schooljaar",
               {columns},
               cast(students_with_support as bigint) as "Leerlingen met hulp lokaal team",
               cast(students_with_school_support as bigint) as "waarvan ook onderwijsondersteuning",
               {'cast(schools as bigint) as "Aantal scholen",' if level == 'gemeentepaar' else ''}
               need_level as "Niveau",
               format('Afspraak nodig vanaf {{}} leerlingen, aandachtspunt vanaf {{}}.', threshold_needed, threshold_attention) as "Regel",
               source as "Bron"
        from agreement_needs
        where school_year = ? and level = ? and (local_team_in_region or school_in_region)
          -- 'geen' is left out at school level: with the default thresholds it would mean exactly one pupil.
          and (level = 'gemeentepaar' or need_level <> 'geen')
        order by case need_level when 'afspraak nodig' then 0 when 'aandachtspunt' then 1 else 2 end,
                 students_with_support desc, {order}
        """, [year, level])


def _afspraken_gemeenten(con, year: str) -> ExportTable:
    frame = _agreement_rows(con, year, "gemeentepaar", '''
               local_team_municipality_code as "Lokaal team van (code)",
               local_team_municipality_name as "Lokaal team van",
               local_team as "Lokaal team",
               school_municipality_code as "Scholen in (code)",
               school_municipality_name as "Scholen in"''', '"Lokaal team van (code)", "Scholen in (code)"')
    return ExportTable("Afspraken gemeenten", "afspraken_gemeenten", frame, ["Lokaal team van (code)", "Scholen in (code)"],
                       ["Leerlingen met hulp lokaal team", "waarvan ook onderwijsondersteuning"],
                       "Lokaal team van gemeente A met scholen in gemeente B: hoeveel leerlingen met hulp, en of een "
                       "afspraak nodig is.")


def _afspraken_scholen(con, year: str) -> ExportTable:
    frame = _agreement_rows(con, year, "school", '''
               school_location_id as "School (BRIN + vestiging)",
               school_name as "School",
               school_municipality_code as "Schoolgemeente (code)",
               school_municipality_name as "Schoolgemeente",
               local_team_municipality_code as "Lokaal team van (code)",
               local_team_municipality_name as "Lokaal team van"''', '"School (BRIN + vestiging)", "Lokaal team van (code)"')
    return ExportTable("Afspraken scholen", "afspraken_scholen", frame,
                       ["School (BRIN + vestiging)", "Lokaal team van (code)"],
                       ["Leerlingen met hulp lokaal team", "waarvan ook onderwijsondersteuning"],
                       "School met een lokaal team uit een andere gemeente: hoeveel leerlingen met hulp, en of een "
                       "afspraak nodig is (combinaties onder de drempel voor 'aandachtspunt' staan er niet in).")


def _per_school(con, year: str, region: list[str]) -> ExportTable:
    frame = _query(con, """
        select school_year as "Schooljaar",
               school_location_id as "School (BRIN + vestiging)",
               school_name as "School",
               school_municipality_code as "Schoolgemeente (code)",
               school_municipality_name as "Schoolgemeente",
               cast(students_with_support as bigint) as "Leerlingen met hulp lokaal team",
               cast(local_teams as bigint) as "Aantal lokale teams",
               cast(local_teams_elsewhere as bigint) as "waarvan uit andere gemeenten",
               source as "Bron"
        from school_coordination_load
        where school_year = ? and school_municipality_code in (select unnest(?::varchar[]))
        order by local_teams desc, students_with_support desc, "School (BRIN + vestiging)"
        """, [year, region])
    return ExportTable("Per school", "per_school", frame, ["School (BRIN + vestiging)"], ["Leerlingen met hulp lokaal team"],
                       "Coördinatielast: met hoeveel lokale teams een school werkt voor leerlingen met hulp.")


def _relations(bundle_tables: dict[str, ExportTable], region: Region) -> pl.DataFrame:
    """Which published counts add up to which: within and across the tables."""
    stromen, gemeente, paren = bundle_tables["stromen"], bundle_tables["per_gemeente"], bundle_tables["afspraken_gemeenten"]
    s = stromen.frame.select(
        pl.col("Sector").alias("sector"), pl.col("Woongemeente (code)").alias("origin"),
        pl.col("Schoolgemeente (code)").alias("destination"), stromen.cell_ids("Leerlingen").alias("member_id"))
    in_region = pl.col("code").is_in(region.codes)

    def total(column: str, code: str | pl.Expr, sector: str | pl.Expr) -> pl.Expr:
        code = pl.col(code) if isinstance(code, str) else code
        sector = pl.col(sector) if isinstance(sector, str) else sector
        return pl.concat_str([pl.lit(f"per_gemeente|{column}"), code, sector], separator="|")

    parts = [
        s.rename({"origin": "code"}).filter(in_region).select(
            pl.concat_str([pl.lit("woon"), "code", "sector"], separator="|").alias("relation_id"),
            total("Leerlingen woonachtig", "code", "sector").alias("total_id"), "member_id"),
        s.rename({"origin": "code"}).filter(in_region & (pl.col("code") == pl.col("destination"))).select(
            pl.concat_str([pl.lit("eigen"), "code", "sector"], separator="|").alias("relation_id"),
            total("Naar school in eigen gemeente", "code", "sector").alias("total_id"), "member_id"),
        s.rename({"origin": "code"}).filter(in_region & (pl.col("code") != pl.col("destination"))).select(
            pl.concat_str([pl.lit("elders"), "code", "sector"], separator="|").alias("relation_id"),
            total("Naar school elders", "code", "sector").alias("total_id"), "member_id"),
        s.rename({"destination": "code"}).filter(in_region & (pl.col("code") != pl.col("origin"))).select(
            pl.concat_str([pl.lit("instroom"), "code", "sector"], separator="|").alias("relation_id"),
            total("Instroom van elders", "code", "sector").alias("total_id"), "member_id"),
    ]
    g = gemeente.frame.filter(pl.col("Sector") != ALL_SECTORS).select(
        pl.col("Gemeente (code)").alias("code"), pl.col("Sector").alias("sector"))
    for column in ("Leerlingen woonachtig", "Naar school in eigen gemeente", "Naar school elders", "Instroom van elders"):
        parts.append(g.select(  # a sector's numbers add up to the 'Alle sectoren' row
            pl.concat_str([pl.lit(f"alle|{column}"), "code"], separator="|").alias("relation_id"),
            total(column, "code", pl.lit(ALL_SECTORS)).alias("total_id"),
            total(column, "code", "sector").alias("member_id")))
    gs = gemeente.frame.select(pl.col("Gemeente (code)").alias("code"), pl.col("Sector").alias("sector"))
    parts.append(pl.concat([  # residents = own municipality + elsewhere
        gs.select(pl.concat_str([pl.lit("split"), "code", "sector"], separator="|").alias("relation_id"),
                  total("Leerlingen woonachtig", "code", "sector").alias("total_id"),
                  total(column, "code", "sector").alias("member_id"))
        for column in ("Naar school in eigen gemeente", "Naar school elders")]))
    # Pupils with help from A's local team schooled elsewhere = the sum over A's municipality pairs.
    p = paren.frame.select(pl.col("Lokaal team van (code)").alias("code"), paren.cell_ids("Leerlingen met hulp lokaal team").alias("member_id"))
    supported = gemeente.frame.filter(pl.col("Sector") == ALL_SECTORS, pl.col("waarvan elders naar school").is_not_null())
    parts.append(p.filter(pl.col("code").is_in(supported["Gemeente (code)"].to_list())).select(
        pl.concat_str([pl.lit("hulp_elders"), "code"], separator="|").alias("relation_id"),
        total("waarvan elders naar school", "code", pl.lit(ALL_SECTORS)).alias("total_id"), "member_id"))
    relations = pl.concat(parts)
    # Only relations whose cells are all published (a null count is not published).
    published = pl.concat([t.cells() for t in bundle_tables.values()])["cell_id"]
    return relations.filter(pl.col("total_id").is_in(published.implode()) & pl.col("member_id").is_in(published.implode())).unique().sort(
        "relation_id", "member_id")


def build_export(con: duckdb.DuckDBPyConnection, school_year: str, region: Region) -> ExportBundle:
    flows = _flows(con, school_year, region.codes)
    tables = {
        "stromen": _stromen(school_year, flows),
        "afspraken_gemeenten": _afspraken_gemeenten(con, school_year),
        "afspraken_scholen": _afspraken_scholen(con, school_year),
        "per_gemeente": _per_gemeente(con, school_year, region, flows),
        "per_school": _per_school(con, school_year, region.codes),
    }
    sources = sorted({s for t in tables.values() if "Bron" in t.frame.columns for s in t.frame["Bron"].drop_nulls().unique()})
    return ExportBundle(school_year, list(tables.values()), _relations(tables, region), sources)
