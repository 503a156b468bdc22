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
    # Public count columns (DUO open data): their cells are published as the publication marts
    # label them and never pass through protect. column -> label column of `public_labels`.
    public: list[str] = field(default_factory=list)
    public_labels: pl.DataFrame | None = None  # one row per row of frame, one column per public count
    # What a row says about a private count besides its label (need level and its printed thresholds):
    # columns "<count>|lo" / "<count>|hi", one row per row of frame; the attacker and protect use them.
    stated: pl.DataFrame | None = None
    # Counts of schools or local teams (each with at least one of the pupils): printed only where the
    # pupil count beside them is shown, else they would bound a hidden count. column -> count column.
    shown_with: dict[str, str] = field(default_factory=dict)
    # Attribute disclosure: count column -> one bool per row of frame, true where the count is as large as
    # DUO's public count of the same group; protect never prints such a cell (docs/disclosure.md).
    hidden: dict[str, pl.Series] = field(default_factory=dict)

    def cell_ids(self, column: str) -> pl.Expr:
        return pl.concat_str(
            [pl.lit(f"{self.slug}|{column}"), *[pl.col(k).cast(pl.String).fill_null("") for k in self.key]],
            separator="|",
        )

    def cells(self) -> pl.DataFrame:
        """cell_id, value, public, public_label (the label of a public cell; null for private ones)."""
        frames = []
        for c in self.counts:
            label = (
                self.public_labels[c]
                if c in self.public and self.public_labels is not None
                else pl.Series(c, [None] * self.frame.height, dtype=pl.String)
            )
            has = self.stated is not None and f"{c}|lo" in self.stated.columns
            lo = self.stated[f"{c}|lo"] if has else pl.Series([None] * self.frame.height, dtype=pl.Int64)
            hi = self.stated[f"{c}|hi"] if has else pl.Series([None] * self.frame.height, dtype=pl.Int64)
            flag = self.hidden.get(c, pl.Series([False] * self.frame.height, dtype=pl.Boolean))
            frames.append(
                self.frame.select(
                    self.cell_ids(c).alias("cell_id"),
                    pl.col(c).cast(pl.Int64).alias("value"),
                    pl.lit(c in self.public).alias("public"),
                    label.cast(pl.String).alias("public_label"),
                    lo.cast(pl.Int64).alias("stated_lo"),
                    hi.cast(pl.Int64).alias("stated_hi"),
                    flag.cast(pl.Boolean).alias("hidden"),
                ).filter(pl.col("value").is_not_null())
            )
        return (
            pl.concat(frames)
            if frames
            else pl.DataFrame(
                schema={
                    "cell_id": pl.String,
                    "value": pl.Int64,
                    "public": pl.Boolean,
                    "public_label": pl.String,
                    "stated_lo": pl.Int64,
                    "stated_hi": pl.Int64,
                    "hidden": pl.Boolean,
                }
            )
        )


@dataclass
class ExportBundle:
    school_year: str
    tables: list[ExportTable]
    relations: pl.DataFrame  # relation_id, total_id, member_id
    sources: list[str] = field(default_factory=list)  # 'duo', 'synthetic', 'linked'
    # cells in relations that are never printed ('rest|...': a pair's school rows left out)
    unpublished: pl.DataFrame | None = None
    # labels of the private cells decided together with the site's (joint.py); None: protect alone
    private_labels: pl.DataFrame | None = None

    def cells(self) -> pl.DataFrame:
        extra = [self.unpublished] if self.unpublished is not None else []
        return pl.concat([*(t.cells() for t in self.tables), *extra], how="diagonal_relaxed")

    def table(self, slug: str) -> ExportTable:
        return next(t for t in self.tables if t.slug == slug)


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pl.DataFrame:
    return con.sql(sql, params=params).pl()


def _flows(con, year: str, region: list[str]) -> pl.DataFrame:
    """The published flows of the year (pub_flows) where the region is origin or destination."""
    return _query(
        con,
        """
        select sector, origin_code, origin_name, destination_code, destination_name,
               students, students_low, students_high, estimated, is_public, label, source
        from pub_flows
        where school_year = ? and (origin_in_region or destination_in_region)
        """,
        [year],
    )


def _stromen(year: str, flows: pl.DataFrame) -> ExportTable:
    flows = flows.sort("sector", "origin_code", "destination_code")
    frame = flows.select(
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
    public = flows.height > 0 and bool(flows["is_public"].all())
    if not public:  # linked flows are exact: bounds equal to the count would print it a second time
        frame = frame.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("Ondergrens"), pl.lit(None, dtype=pl.Int64).alias("Bovengrens")
        )
    labels = flows.select(
        pl.col("label").alias("Leerlingen"),
        pl.col("students_low").cast(pl.String).alias("Ondergrens"),
        pl.col("students_high").cast(pl.String).alias("Bovengrens"),
    )
    return ExportTable(
        "Stromen",
        "stromen",
        frame,
        ["Sector", "Woongemeente (code)", "Schoolgemeente (code)"],
        ["Leerlingen", "Ondergrens", "Bovengrens"],
        "Leerlingen per woongemeente en schoolgemeente, per sector (geschatte aantallen met onder- en bovengrens).",
        ["Leerlingen", "Ondergrens", "Bovengrens"] if public else [],
        labels if public else None,
    )


FLOW_COLUMNS = {
    "residents_at_school": "Leerlingen woonachtig",
    "schooled_in_own": "Naar school in eigen gemeente",
    "schooled_elsewhere": "Naar school elders",
    "incoming": "Instroom van elders",
}


def _per_gemeente(con, year: str, region: Region) -> ExportTable:
    """Per region municipality and sector (and all sectors): the published profile
    (pub_municipality_profile, sums of the published flows) and its pupils with support."""
    profile = _query(
        con,
        """
        select m.code, m.display_name as name, s.sector,
               p.residents_at_school, p.schooled_in_own, p.schooled_elsewhere, p.incoming,
               coalesce(p.is_public, true) as is_public
        from ref_region_members as m
        cross join (select distinct sector from pub_municipality_profile where school_year = $1) as s
        left join pub_municipality_profile as p
          on p.school_year = $1 and p.code = m.code and p.sector = s.sector
        """,
        [year],
    )
    support = _query(
        con,
        """
        select code, 'ALLE' as sector, students_with_support as hulp, schooled_elsewhere as hulp_elders
        from municipality_support_profile where school_year = ?""",
        [year],
    )
    profile = profile.join(support, on=["code", "sector"], how="left").with_columns(
        pl.col(*FLOW_COLUMNS).fill_null(0),
        pl.when(pl.col("sector") == "ALLE").then(pl.lit(ALL_SECTORS)).otherwise(pl.col("sector")).alias("sector"),
    )
    profile = profile.sort("code", pl.col("sector") == ALL_SECTORS, "sector")
    frame = profile.select(
        pl.lit(year).alias("Schooljaar"),
        pl.col("code").alias("Gemeente (code)"),
        pl.col("name").alias("Gemeente"),
        pl.col("sector").alias("Sector"),
        *[pl.col(c).cast(pl.Int64).alias(nl) for c, nl in FLOW_COLUMNS.items()],
        pl.col("hulp").cast(pl.Int64).alias("Leerlingen met hulp lokaal team"),
        pl.col("hulp_elders").cast(pl.Int64).alias("waarvan elders naar school"),
    )
    public = profile.height > 0 and bool(profile["is_public"].all())
    labels = frame.select(pl.col(nl).cast(pl.String) for nl in FLOW_COLUMNS.values())
    return ExportTable(
        "Per gemeente",
        "per_gemeente",
        frame,
        ["Gemeente (code)", "Sector"],
        [*FLOW_COLUMNS.values(), "Leerlingen met hulp lokaal team", "waarvan elders naar school"],
        "Per gemeente: waar de leerlingen die er wonen naar school gaan, wie er van elders komt, "
        "en de leerlingen met hulp van het lokale team.",
        list(FLOW_COLUMNS.values()) if public else [],
        labels if public else None,
    )


def _agreement_rows(con, year: str, level: str, columns: str, order: str, k: int = 5) -> pl.DataFrame:
    """Rows of agreement_needs of one level, for local teams or schools in the region."""
    return _query(
        con,
        f"""
        select school_year as "Schooljaar",
               {columns},
               cast(students_with_support as bigint) as "Leerlingen met hulp lokaal team",
               cast(students_with_school_support as bigint) as "waarvan ook onderwijsondersteuning",
               {'cast(schools as bigint) as "Aantal scholen",' if level == "gemeentepaar" else ""}
               published_need_level as "Niveau",
               format('Afspraak nodig vanaf {{}} leerlingen, aandachtspunt vanaf {{}}.', threshold_needed, threshold_attention) as "Regel",
               source as "Bron",
               -- what the printed level says about the count (disclosure/need_levels.py): not written, used by protect
               stated_lo as "_stated_lo",
               stated_hi as "_stated_hi",
               -- attribute disclosure (a pair as large as DUO's public count): not written, used by protect
               count_hidden as "_hidden"
        from pub_agreement_needs as agreement_needs
        where school_year = ? and level = ? and (local_team_in_region or school_in_region)
          -- attribute disclosure: a school row as many as DUO's public count of the same group is left out
          -- (a pair's is listed as 'niet getoond' by protect, "_hidden"; docs/disclosure.md)
          and not (level = 'school' and same_as_public)
          -- a school row that the printed levels of its pair pin on their own is left out too
          -- (pub_agreement_needs.pinned_by_levels)
          and not pinned_by_levels
          -- a hidden pair of a group DUO counts at most 1 pupil is not listed, nor are its school rows
          -- (pub_agreement_needs.omitted)
          and not omitted
          -- 'geen' is left out at school level (a school with fewer pupils than 'aandachtspunt' needs no
          -- agreement of its own): by the printed level, so leaving a row out says no more than the label
          and (level = 'gemeentepaar' or published_need_level <> 'geen')
          -- a pair of fewer than k pupils is not broken down by school: its need level with a school's
          -- 'aandachtspunt' (at least 2 pupils) would pin both counts (docs/disclosure.md); a hidden pair
          -- prints no level and is broken down whatever its size (else the listing would say it is k or more)
          and (level = 'gemeentepaar' or exists (
              select 1 from pub_agreement_needs as p
              where p.school_year = agreement_needs.school_year and p.level = 'gemeentepaar'
                and p.local_team_municipality_code = agreement_needs.local_team_municipality_code
                and p.school_municipality_code = agreement_needs.school_municipality_code
                and (p.students_with_support >= {k} or p.count_hidden)))
        order by level_rank, students_with_support desc, {order}
        """,
        [year, level],
    )


def _split_stated(rows: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows without the need-level bounds, and the bounds as the stated frame of `column`."""
    stated = rows.select(pl.col("_stated_lo").alias(f"{column}|lo"), pl.col("_stated_hi").alias(f"{column}|hi"))
    return rows.drop("_stated_lo", "_stated_hi", "_hidden"), stated


SUPPORTED = "Leerlingen met hulp lokaal team"


def _afspraken_gemeenten(con, year: str) -> ExportTable:
    frame = _agreement_rows(
        con,
        year,
        "gemeentepaar",
        '''
               local_team_municipality_code as "Lokaal team van (code)",
               local_team_municipality_name as "Lokaal team van",
               local_team as "Lokaal team",
               school_municipality_code as "Scholen in (code)",
               school_municipality_name as "Scholen in"''',
        '"Lokaal team van (code)", "Scholen in (code)"',
    )
    hidden = frame["_hidden"].fill_null(False)
    frame, stated = _split_stated(frame, SUPPORTED)
    return ExportTable(
        "Afspraken gemeenten",
        "afspraken_gemeenten",
        frame,
        ["Lokaal team van (code)", "Scholen in (code)"],
        [SUPPORTED, "waarvan ook onderwijsondersteuning"],
        "Lokaal team van gemeente A met scholen in gemeente B: hoeveel leerlingen met hulp, en of een "
        "afspraak nodig is (het aantal scholen staat er alleen bij als het aantal leerlingen er staat).",
        stated=stated,
        shown_with={"Aantal scholen": SUPPORTED},
        hidden={SUPPORTED: hidden},
    )


def _afspraken_scholen(con, year: str, k: int) -> ExportTable:
    frame = _agreement_rows(
        con,
        year,
        "school",
        '''
               school_location_id as "School (BRIN + vestiging)",
               school_name as "School",
               school_municipality_code as "Schoolgemeente (code)",
               school_municipality_name as "Schoolgemeente",
               local_team_municipality_code as "Lokaal team van (code)",
               local_team_municipality_name as "Lokaal team van"''',
        '"School (BRIN + vestiging)", "Lokaal team van (code)"',
        k,
    )
    frame, stated = _split_stated(frame, SUPPORTED)
    return ExportTable(
        "Afspraken scholen",
        "afspraken_scholen",
        frame,
        ["School (BRIN + vestiging)", "Lokaal team van (code)"],
        ["Leerlingen met hulp lokaal team", "waarvan ook onderwijsondersteuning"],
        "School met een lokaal team uit een andere gemeente: hoeveel leerlingen met hulp, en of een "
        "afspraak nodig is (combinaties onder de drempel voor 'aandachtspunt' staan er niet in).",
        stated=stated,
    )


def _per_school(con, year: str, region: list[str]) -> ExportTable:
    frame = _query(
        con,
        """
        select school_year as "Schooljaar",
               school_location_id as "School (BRIN + vestiging)",
               school_name as "School",
               school_municipality_code as "Schoolgemeente (code)",
               school_municipality_name as "Schoolgemeente",
               cast(students_with_support as bigint) as "Leerlingen met hulp lokaal team",
               cast(local_teams as bigint) as "Aantal lokale teams",
               cast(local_teams_elsewhere as bigint) as "waarvan uit andere gemeenten",
               source as "Bron",
               -- attribute disclosure (as many as DUO's total of the school): not written, used by protect
               same_as_public as "_hidden"
        from pub_school_coordination
        where school_year = ? and school_municipality_code in (select unnest(?::varchar[])) and not omitted
        order by local_teams desc, students_with_support desc, "School (BRIN + vestiging)"
        """,
        [year, region],
    )
    hidden = frame["_hidden"].fill_null(False)
    frame = frame.drop("_hidden")
    return ExportTable(
        "Per school",
        "per_school",
        frame,
        ["School (BRIN + vestiging)"],
        [SUPPORTED],
        "Coördinatielast: met hoeveel lokale teams een school werkt voor leerlingen met hulp (alleen "
        "waar het aantal leerlingen er staat).",
        shown_with={"Aantal lokale teams": SUPPORTED, "waarvan uit andere gemeenten": SUPPORTED},
        hidden={SUPPORTED: hidden},
    )


def _scholen(con, year: str) -> ExportTable:
    """Every school location in the region with DUO's own pupil total (public, exact as DUO publishes it)."""
    frame = _query(
        con,
        """
        select school_year as "Schooljaar",
               school_location_id as "School (BRIN + vestiging)",
               school_name as "School",
               school_municipality_code as "Schoolgemeente (code)",
               school_municipality_name as "Schoolgemeente",
               sectors as "Sectoren",
               coalesce(duo_total_low, students) as "Leerlingen (DUO-totaal)",
               label,
               source as "Bron"
        from pub_school_totals
        where school_year = ? and school_in_region
        order by "School (BRIN + vestiging)"
        """,
        [year],
    )
    labels = frame.select(pl.col("label").alias("Leerlingen (DUO-totaal)"))
    return ExportTable(
        "Scholen",
        "scholen",
        frame.drop("label"),
        ["School (BRIN + vestiging)"],
        ["Leerlingen (DUO-totaal)"],
        "Elke school in de regio met het aantal leerlingen op 1 oktober zoals DUO het publiceert (open data, exact).",
        ["Leerlingen (DUO-totaal)"],
        labels,
    )


def _omitted_pairs(con, year: str) -> pl.DataFrame:
    """code, cell_id ('rest|...'), value: per local team, its pupils in pairs that are not listed
    (pub_agreement_needs.omitted), never printed."""
    return _query(
        con,
        """
        select local_team_municipality_code as code,
               'rest|afspraken_gemeenten|niet vermeld|' || local_team_municipality_code as cell_id,
               cast(sum(students_with_support) as bigint) as value
        from pub_agreement_needs
        where school_year = ? and level = 'gemeentepaar' and omitted and (local_team_in_region or school_in_region)
        group by all
        order by code
        """,
        [year],
    )


def _relations(bundle_tables: dict[str, ExportTable], region: Region, omitted_pairs: pl.DataFrame) -> pl.DataFrame:
    """Which published counts add up to which: within and across the tables."""
    stromen, gemeente, paren = (
        bundle_tables["stromen"],
        bundle_tables["per_gemeente"],
        bundle_tables["afspraken_gemeenten"],
    )
    s = stromen.frame.select(
        pl.col("Sector").alias("sector"),
        pl.col("Woongemeente (code)").alias("origin"),
        pl.col("Schoolgemeente (code)").alias("destination"),
        stromen.cell_ids("Leerlingen").alias("member_id"),
    )
    in_region = pl.col("code").is_in(region.codes)

    def total(column: str, code: str | pl.Expr, sector: str | pl.Expr) -> pl.Expr:
        code = pl.col(code) if isinstance(code, str) else code
        sector = pl.col(sector) if isinstance(sector, str) else sector
        return pl.concat_str([pl.lit(f"per_gemeente|{column}"), code, sector], separator="|")

    parts = [
        s.rename({"origin": "code"})
        .filter(in_region)
        .select(
            pl.concat_str([pl.lit("woon"), "code", "sector"], separator="|").alias("relation_id"),
            total("Leerlingen woonachtig", "code", "sector").alias("total_id"),
            "member_id",
        ),
        s.rename({"origin": "code"})
        .filter(in_region & (pl.col("code") == pl.col("destination")))
        .select(
            pl.concat_str([pl.lit("eigen"), "code", "sector"], separator="|").alias("relation_id"),
            total("Naar school in eigen gemeente", "code", "sector").alias("total_id"),
            "member_id",
        ),
        s.rename({"origin": "code"})
        .filter(in_region & (pl.col("code") != pl.col("destination")))
        .select(
            pl.concat_str([pl.lit("elders"), "code", "sector"], separator="|").alias("relation_id"),
            total("Naar school elders", "code", "sector").alias("total_id"),
            "member_id",
        ),
        s.rename({"destination": "code"})
        .filter(in_region & (pl.col("code") != pl.col("origin")))
        .select(
            pl.concat_str([pl.lit("instroom"), "code", "sector"], separator="|").alias("relation_id"),
            total("Instroom van elders", "code", "sector").alias("total_id"),
            "member_id",
        ),
    ]
    g = gemeente.frame.filter(pl.col("Sector") != ALL_SECTORS).select(
        pl.col("Gemeente (code)").alias("code"), pl.col("Sector").alias("sector")
    )
    for column in (
        "Leerlingen woonachtig",
        "Naar school in eigen gemeente",
        "Naar school elders",
        "Instroom van elders",
    ):
        parts.append(
            g.select(  # a sector's numbers add up to the 'Alle sectoren' row
                pl.concat_str([pl.lit(f"alle|{column}"), "code"], separator="|").alias("relation_id"),
                total(column, "code", pl.lit(ALL_SECTORS)).alias("total_id"),
                total(column, "code", "sector").alias("member_id"),
            )
        )
    gs = gemeente.frame.select(pl.col("Gemeente (code)").alias("code"), pl.col("Sector").alias("sector"))
    parts.append(
        pl.concat(
            [  # residents = own municipality + elsewhere
                gs.select(
                    pl.concat_str([pl.lit("split"), "code", "sector"], separator="|").alias("relation_id"),
                    total("Leerlingen woonachtig", "code", "sector").alias("total_id"),
                    total(column, "code", "sector").alias("member_id"),
                )
                for column in ("Naar school in eigen gemeente", "Naar school elders")
            ]
        )
    )
    # Pupils with help from A's local team schooled elsewhere = the sum over A's municipality pairs.
    p = paren.frame.select(
        pl.col("Lokaal team van (code)").alias("code"),
        paren.cell_ids("Leerlingen met hulp lokaal team").alias("member_id"),
    )
    supported = gemeente.frame.filter(
        pl.col("Sector") == ALL_SECTORS, pl.col("waarvan elders naar school").is_not_null()
    )
    # pairs not listed (pub_agreement_needs.omitted) are one unpublished rest per local team
    p = pl.concat([p, omitted_pairs.select("code", pl.col("cell_id").alias("member_id"))])
    parts.append(
        p.filter(pl.col("code").is_in(supported["Gemeente (code)"].to_list())).select(
            pl.concat_str([pl.lit("hulp_elders"), "code"], separator="|").alias("relation_id"),
            total("waarvan elders naar school", "code", pl.lit(ALL_SECTORS)).alias("total_id"),
            "member_id",
        )
    )
    relations = pl.concat(parts)
    # Only relations whose cells are all published (a null count is not published).
    published = pl.concat([pl.concat([t.cells() for t in bundle_tables.values()])["cell_id"], omitted_pairs["cell_id"]])
    relations = relations.filter(
        pl.col("total_id").is_in(published.implode()) & pl.col("member_id").is_in(published.implode())
    ).unique()
    relations = pl.concat(
        [relations, _pair_relations(paren, bundle_tables["afspraken_scholen"])[0].drop("known_total")]
    )
    return relations.with_columns(pl.lit(None, dtype=pl.Int64).alias("known_total"))


TOTAL_PREFIX = "totaal|"


def column_total_id(slug: str, column: str) -> str:
    """The cell id a private column's total had in manifest.json (exports written in session 7; since
    session 8 only public columns print a total: exports/writer.py)."""
    return f"{TOTAL_PREFIX}{slug}|{column}"


def _pair_relations(pairs: ExportTable, schools: ExportTable) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A municipality pair is the sum of its listed school rows and a rest (the rows not listed:
    'geen' at school level): relations and the rest cells, never printed."""
    key = ["Lokaal team van (code)", "Scholen in (code)"]
    listed = schools.frame.select(
        pl.col("Lokaal team van (code)"),
        pl.col("Schoolgemeente (code)").alias("Scholen in (code)"),
        schools.cell_ids(SUPPORTED).alias("member_id"),
        pl.col(SUPPORTED).alias("value"),
    )
    p = pairs.frame.select(*key, pairs.cell_ids(SUPPORTED).alias("total_id"), pl.col(SUPPORTED).alias("pair"))
    with_rows = p.join(listed, on=key)
    rest = (
        with_rows.group_by(*key, "total_id", "pair")
        .agg(pl.col("value").sum())
        .select(
            pl.concat_str([pl.lit("rest|afspraken"), *key], separator="|").alias("cell_id"),
            (pl.col("pair") - pl.col("value")).cast(pl.Int64).alias("value"),
            pl.lit(False).alias("public"),
            "total_id",
        )
    )
    relid = pl.concat_str([pl.lit("paar"), *[pl.col(k) for k in key]], separator="|")
    rel = pl.concat(
        [
            with_rows.select(relid.alias("relation_id"), "total_id", "member_id"),
            with_rows.unique(key).select(
                relid.alias("relation_id"),
                "total_id",
                pl.concat_str([pl.lit("rest|afspraken"), *key], separator="|").alias("member_id"),
            ),
        ]
    ).with_columns(pl.lit(None, dtype=pl.Int64).alias("known_total"))
    return rel, rest.drop("total_id")


# "waarvan" columns: a part of the count beside it (table -> (part column, whole column)). A reader knows
# part <= whole; declared as whole = part + rest (a 'rest|' cell, never printed), so protect and the
# attacker use it too (a hidden part next to a small whole would otherwise be bounded by it).
PARTS = {
    "afspraken_gemeenten": ("waarvan ook onderwijsondersteuning", SUPPORTED),
    "afspraken_scholen": ("waarvan ook onderwijsondersteuning", SUPPORTED),
    "per_gemeente": ("waarvan elders naar school", SUPPORTED),
}


def _part_relations(bundle_tables: dict[str, ExportTable]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Relations whole = part + rest for every row with both counts, and the rest cells."""
    rels, rests = [], []
    for slug, (part, whole) in PARTS.items():
        t = bundle_tables.get(slug)
        if t is None:
            continue
        rows = t.frame.select(
            t.cell_ids(whole).alias("total_id"),
            t.cell_ids(part).alias("member_id"),
            pl.concat_str(
                [pl.lit(f"rest|{slug}|{part}"), *[pl.col(k).cast(pl.String).fill_null("") for k in t.key]],
                separator="|",
            ).alias("rest_id"),
            (pl.col(whole) - pl.col(part)).cast(pl.Int64).alias("value"),
        ).filter(pl.col("value").is_not_null())
        relation_id = pl.concat_str([pl.lit("waarvan|"), pl.col("member_id")])
        rels.append(
            pl.concat(
                [
                    rows.select(relation_id.alias("relation_id"), "total_id", "member_id"),
                    rows.select(relation_id.alias("relation_id"), "total_id", pl.col("rest_id").alias("member_id")),
                ]
            )
        )
        rests.append(rows.select(pl.col("rest_id").alias("cell_id"), "value", pl.lit(False).alias("public")))
    rel_schema = {"relation_id": pl.String, "total_id": pl.String, "member_id": pl.String}
    cell_schema = {"cell_id": pl.String, "value": pl.Int64, "public": pl.Boolean}
    return (
        pl.concat(rels) if rels else pl.DataFrame(schema=rel_schema),
        pl.concat(rests) if rests else pl.DataFrame(schema=cell_schema),
    )


def build_export(con: duckdb.DuckDBPyConnection, school_year: str, region: Region) -> ExportBundle:
    flows = _flows(con, school_year, region.codes)
    tables = {
        "stromen": _stromen(school_year, flows),
        "afspraken_gemeenten": _afspraken_gemeenten(con, school_year),
        "afspraken_scholen": _afspraken_scholen(con, school_year, int(region.disclosure.get("k", 5))),
        "per_gemeente": _per_gemeente(con, school_year, region),
        "per_school": _per_school(con, school_year, region.codes),
    }
    scholen = _scholen(con, school_year)
    if scholen.frame.height:  # a year with DUO files
        tables["scholen"] = scholen
    sources = sorted(
        {s for t in tables.values() if "Bron" in t.frame.columns for s in t.frame["Bron"].drop_nulls().unique()}
    )
    rest = _pair_relations(tables["afspraken_gemeenten"], tables["afspraken_scholen"])[1]
    part_relations, part_rest = _part_relations(tables)
    omitted = _omitted_pairs(con, school_year)
    rest = pl.concat([rest, part_rest, omitted.select("cell_id", "value", pl.lit(False).alias("public"))])
    part_relations = part_relations.with_columns(pl.lit(None, dtype=pl.Int64).alias("known_total"))
    relations = pl.concat([_relations(tables, region, omitted), part_relations]).sort("relation_id", "member_id")
    return ExportBundle(school_year, list(tables.values()), relations, sources, rest)
