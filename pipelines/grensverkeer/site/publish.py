"""Every number the site shows, as disclosure-control cells with their additive relations.

The site is one publication: all its numbers are cells (``cell_id`` → true count) and every
sum a reader can make from what the pages show is a relation (a matrix's row and column
totals, a flow that is the sum of the catchments of the schools in its destination, a
municipality pair that is the sum of its schools, ...). ``protect`` decides the labels once,
per school year, and the pages print only those labels. Nothing pupil-level is read: the
site reads marts only (counts per flow, school, municipality pair).

Cell ids (Y = school year, S = sector or ALLE, o/d = municipality code or BUITEN):

* ``f|Y|S|o|d`` flow; ``woon|Y|S|o`` row total; ``school|Y|S|d`` column total; ``tot|Y|S``;
  ``elders|Y|S|o`` residents schooled elsewhere; ``instroom|Y|S|d`` pupils from elsewhere;
  ``rwoon|Y|S`` / ``relders|Y|S`` the same summed over the region (headline figures); those, and
  every cell of sector ALLE, are derived from published labels after protection (derived_labels);
  ``lo|..``/``hi|..`` bounds of an estimated flow (DUO cells that were ``<5``).
* ``fb|Y|S|o|d`` (DUO years) a flow between a region member and a named outside partner (or BUITEN: the
  other outside municipalities), for the map.
* ``c|Y|S|school|o`` catchment of a school in the region; ``st|Y|S|school`` its total (the sum of its
  published cells); ``duo|Y|school`` DUO's own total of the location (pub_school_totals, all sectors).
* ``pair|Y|A|B`` / ``ook|Y|A|B`` agreement pair (pupils with support of A's local team at
  schools in B / of which also education support); ``sch|Y|A|school`` / ``sook|Y|A|school``.
* ``mhulp|Y|A`` / ``melders|Y|A`` pupils with support of A's local team / of which at school
  elsewhere; ``coord|Y|school`` pupils with support at a school (coördinatielast).
* ``swvpaar|Y|A|X`` (derived, not a cell) pupils with support of A's local team at the listed schools
  in the area of SWV X: the sum of A's published ``sch`` labels there (_swv_labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import polars as pl

from ..disclosure import DisclosureSettings, protect
from ..settings import Region

BUITEN = "BUITEN"
BUITEN_NAME = "Buiten de regio"
ALLE = "ALLE"
SITE_MAX_ROUNDS = 400  # the catchment tables of many schools need more rounds than an export
OVERIG = "OVERIG"  # origins with fewer than k pupils at one school, together
REST = "rest"  # cells protect needs but the site does not print
NAMED_OUTSIDE = 5  # outside municipalities shown by name on the map (DUO years), the largest partners ...
NAMED_OUTSIDE_MIN = 20  # ... that exchange at least this many pupils with the region in the year


@dataclass
class YearData:
    year: str
    source: str  # 'duo', 'synthetic' or 'linked': where the flows come from
    sectors: list[str]
    flows: pl.DataFrame  # sector, o, d, students, low, high (all sectors, not ALLE)
    catchment: pl.DataFrame  # sector, school_location_id, school_name, d, o, students, low, high (DUO years)
    pairs: pl.DataFrame  # A, B, a_name, b_name, local_team, students, ook, schools, need_level, thresholds, source
    schools: pl.DataFrame  # A, B, school_location_id, school_name, students, ook, need_level, thresholds, source
    support_profile: pl.DataFrame  # A, students, elsewhere, schools_elsewhere, municipalities_elsewhere, source
    coordination: (
        pl.DataFrame
    )  # school_location_id, school_name, B, students, local_teams, local_teams_elsewhere, source
    support_source: str | None = None
    communities: pl.DataFrame | None = None  # sector, code, community (candidate sub-regions of the flow graph)
    # DUO years: the region's largest outside partners by name, and the flows between them and the region
    # (sector, o, d, students, low, high; the other outside municipalities together as BUITEN)
    named_outside: list[str] = field(default_factory=list)
    outside: pl.DataFrame | None = None
    # school_location_id -> its SWV passend onderwijs, for the SWVs with a PC4 in the region only
    school_swv: dict[str, str] = field(default_factory=dict)
    # school_location_id, value, high, is_estimate: DUO's own location total (pub_school_totals), region schools
    school_totals: pl.DataFrame | None = None


@dataclass
class Publication:
    region: Region
    settings: DisclosureSettings
    years: dict[str, YearData]
    names: dict[str, str]  # code -> display name (region members, BUITEN)
    school_names: dict[str, str]
    school_municipality: dict[str, str]
    cells: pl.DataFrame = field(default_factory=pl.DataFrame)  # cell_id, value, is_estimate, status, shown, label
    relations: pl.DataFrame = field(default_factory=pl.DataFrame)
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, cell_id: str) -> str | None:
        return self.labels.get(cell_id)

    def derived(self, plus: list[str], minus: list[str] = ()) -> int | None:
        """A number made of shown numbers only (sum of plus minus minus): None unless every part is shown,
        so it reveals nothing the page does not already show."""
        vals = [self.shown(c) for c in [*plus, *minus]]
        if not vals or any(v is None for v in vals):
            return None
        return sum(vals[: len(plus)]) - sum(vals[len(plus) :])

    def shown(self, cell_id: str) -> int | None:
        """The number a reader sees (None when suppressed or not published)."""
        lab = self.labels.get(cell_id)
        return int(lab) if lab is not None and lab.isdigit() else None


def _group(col: str, region: list[str]) -> pl.Expr:
    return pl.when(pl.col(col).is_in(region)).then(pl.col(col)).otherwise(pl.lit(BUITEN))


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or []).pl()


def years_in(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select distinct school_year from pub_flows union select distinct school_year from support_flows "
            "union select distinct school_year from agreement_needs order by 1"
        ).fetchall()
    ]


def load_year(con: duckdb.DuckDBPyConnection, year: str, region: Region) -> YearData:
    R = region.codes
    # the published catchment cells: rounded once, in the publication layer (pub_school_catchment)
    cat = _q(
        con,
        """
        select sector, school_location_id, school_name, school_municipality_code as d, origin_code as o,
               students, students_low as low, students_high as high
        from pub_school_catchment where school_year = ?""",
        [year],
    )
    named: list[str] = []
    outside = None
    if cat.height:
        source = "duo"
        # DUO's figures are public per municipality: the largest outside partners are named on the map
        across = cat.filter(pl.col("o").is_in(R) ^ pl.col("d").is_in(R)).with_columns(
            pl.when(pl.col("o").is_in(R)).then(pl.col("d")).otherwise(pl.col("o")).alias("x")
        )
        top = (
            across.filter(pl.col("x").str.contains(r"^GM\d{4}$"))
            .group_by("x")
            .agg(pl.col("students").sum())
            .filter(pl.col("students") >= NAMED_OUTSIDE_MIN)
            .sort("students", "x", descending=[True, False])
        )
        named = top["x"].head(NAMED_OUTSIDE).to_list()
        keep = R + named
        outside = (
            across.with_columns(
                pl.when(pl.col(c).is_in(keep)).then(pl.col(c)).otherwise(pl.lit(BUITEN)).alias(c) for c in ("o", "d")
            )
            .group_by("sector", "o", "d")
            .agg(pl.col("students", "low", "high").sum())
            .with_columns(pl.col("students", "low", "high").cast(pl.Int64))
        )
        if outside["sector"].n_unique() > 1:  # 'Alle sectoren' on the map, like the derived ALLE flows
            everything = outside.group_by("o", "d").agg(pl.col("students", "low", "high").sum())
            outside = pl.concat([outside, everything.with_columns(pl.lit(ALLE).alias("sector"))], how="diagonal")
        outside = outside.sort("sector", "o", "d")
        cat = (
            cat.with_columns(_group("o", R).alias("o"), _group("d", R).alias("d"))
            .group_by("sector", "school_location_id", "school_name", "d", "o")
            .agg(pl.col("students", "low", "high").sum())
        )
        cat = cat.filter((pl.col("o") != BUITEN) | (pl.col("d") != BUITEN))
        flows = cat.group_by("sector", "o", "d").agg(pl.col("students", "low", "high").sum())
        catchment = cat.filter(pl.col("d") != BUITEN).sort("sector", "school_location_id", "o")
    else:
        fl = _q(
            con,
            """
            select sector, origin_code as o, destination_code as d, students::bigint as students, source
            from pub_flows where school_year = ?""",
            [year],
        )
        source = "synthetic" if fl.height == 0 or (fl["source"] == "synthetic").any() else "linked"
        flows = (
            fl.with_columns(_group("o", R).alias("o"), _group("d", R).alias("d"))
            .filter((pl.col("o") != BUITEN) | (pl.col("d") != BUITEN))
            .group_by("sector", "o", "d")
            .agg(pl.col("students").sum())
            .with_columns(low=pl.col("students"), high=pl.col("students"))
        )
        catchment = pl.DataFrame(
            schema={
                "sector": pl.String,
                "school_location_id": pl.String,
                "school_name": pl.String,
                "d": pl.String,
                "o": pl.String,
                "students": pl.Int64,
                "low": pl.Int64,
                "high": pl.Int64,
            }
        )
    flows = flows.with_columns(pl.col("students", "low", "high").cast(pl.Int64)).sort("sector", "o", "d")
    pairs = _q(
        con,
        """
        select local_team_municipality_code as A, school_municipality_code as B,
               local_team_municipality_name as a_name, school_municipality_name as b_name, local_team,
               students_with_support::bigint as students, students_with_school_support::bigint as ook,
               schools::bigint as schools, published_need_level as need_level, stated_lo, stated_hi,
               threshold_needed, threshold_attention, source, level_rank, count_hidden
        from pub_agreement_needs where school_year = ? and level = 'gemeentepaar'
          and (local_team_in_region or school_in_region) and not omitted order by A, B""",
        [year],
    )
    schools = _q(
        con,
        """
        select a.local_team_municipality_code as A, a.school_municipality_code as B, a.school_location_id,
               a.school_name, a.students_with_support::bigint as students,
               a.students_with_school_support::bigint as ook, a.published_need_level as need_level,
               a.stated_lo, a.stated_hi, a.threshold_needed,
               a.threshold_attention, a.source, a.level_rank, a.same_as_public, a.pinned_by_levels
        from pub_agreement_needs a
        where a.school_year = ? and a.level = 'school' and (a.local_team_in_region or a.school_in_region)
          -- the school rows of a pair that is not listed are not listed either (pub_agreement_needs.omitted)
          and not a.omitted
        order by A, school_location_id""",
        [year],
    )
    profile = _q(
        con,
        """
        select code as A, students_with_support::bigint as students, schooled_elsewhere::bigint as elsewhere,
               schools_elsewhere, municipalities_elsewhere, source,
               -- pupils in pairs that are not listed (pub_agreement_needs.omitted): an unpublished rest
               coalesce((select sum(p.students_with_support) from pub_agreement_needs p
                         where p.school_year = ? and p.level = 'gemeentepaar' and p.omitted
                           and p.local_team_municipality_code = code
                           and (p.local_team_in_region or p.school_in_region)), 0)::bigint as not_listed
        from municipality_support_profile where school_year = ? and code in (select unnest(?::varchar[]))
        order by A""",
        [year, year, R],
    )
    coord = _q(
        con,
        """
        select school_location_id, school_name, school_municipality_code as B,
               students_with_support::bigint as students, local_teams, local_teams_elsewhere, source,
               same_as_public
        from pub_school_coordination where school_year = ? and school_municipality_code in (select unnest(?::varchar[]))
          and not omitted
        order by school_location_id""",
        [year, R],
    )
    support_sources = sorted(set(pairs["source"].to_list()) | set(coord["source"].to_list()))
    # a community is a grouping of municipalities, no count: it needs no disclosure control
    # (the exports read a year before its graph exists: joint.py needs no communities)
    has_graph = con.execute("select count(*) from duckdb_tables() where table_name = 'graph_node_metrics'").fetchall()[
        0
    ][0]
    communities = (
        _q(
            con,
            """
        select sector, code, community from graph_node_metrics
        where school_year = ? and community is not null and code in (select unnest(?::varchar[]))
        order by sector, code""",
            [year, R],
        )
        if has_graph
        else None
    )
    return YearData(
        year,
        source,
        sorted(flows["sector"].unique().to_list(), key=_sector_order),
        flows,
        catchment,
        pairs,
        schools,
        profile,
        coord,
        ", ".join(support_sources) or None,
        communities,
        named,
        outside,
        school_swv_map(con, R),
        school_totals=_q(
            con,
            """
            select school_location_id, coalesce(duo_total_low, students)::bigint as value,
                   coalesce(duo_total_high, students)::bigint as high,
                   coalesce(duo_total_low <> duo_total_high, false) as is_estimate, label
            from pub_school_totals where school_year = ? and school_in_region order by school_location_id""",
            [year],
        )
        if source == "duo"
        else None,
    )


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    found = con.execute(
        "select count(distinct table_name) from duckdb_tables() where table_name in (select unnest(?::varchar[]))",
        [list(names)],
    ).fetchall()[0][0]
    return found == len(names)


def school_swv_map(con: duckdb.DuckDBPyConnection, region_codes: list[str]) -> dict[str, str]:
    """school_location_id -> the SWV of its PC4 (PO for BO/SBO/SO, VO otherwise; ref_school_locations and
    ref_swv_pc4), for the SWVs with a PC4 in the region. A school missing from DUO's address list has none."""
    if not _has_tables(con, "ref_swv_pc4", "ref_school_locations"):
        return {}
    rows = con.execute(
        """
        with ours as (
            select po_swv as swv from ref_swv_pc4 where municipality_code in (select unnest(?::varchar[]))
            union select vo_swv from ref_swv_pc4 where municipality_code in (select unnest(?::varchar[]))
        )
        select s.school_location_id,
               case when s.sector in ('BO', 'SBO', 'SO') then a.po_swv else a.vo_swv end as swv
        from ref_school_locations as s
        join ref_swv_pc4 as a on a.pc4 = left(s.postcode, 4)
        where (case when s.sector in ('BO', 'SBO', 'SO') then a.po_swv else a.vo_swv end) in (select swv from ours)""",
        [region_codes, region_codes],
    ).fetchall()
    return dict(rows)


SECTOR_ORDER = ["BO", "SBO", "SO", "VSO", "VO", "PRO", "MBO"]


def _sector_order(s: str) -> int:
    return SECTOR_ORDER.index(s) if s in SECTOR_ORDER else len(SECTOR_ORDER)


def _cid(*parts: str) -> str:
    return "|".join(parts)


class _CellTable:
    """The cells and relations of one school year as they are made: cells (cell_id -> value,
    is_estimate), the upper bound of estimated cells, what a printed need level says about a
    count (stated), the relations (relation_id, total_id, member_id) and the hidden cells."""

    def __init__(self) -> None:
        self.cells: dict[str, tuple[int, bool]] = {}
        self.highs: dict[str, int] = {}  # upper bound of an estimated cell (a public one of at most 4 is '<5')
        self.stated: dict[str, tuple[int | None, int | None]] = {}  # what the printed need level says about a count
        self.rels: list[tuple[str, str, str]] = []
        self.hidden: set[str] = set()  # attribute disclosure: as large as DUO's public count of the same group

    def cell(self, cid: str, value: int, est: bool = False, high: int | None = None) -> str:
        self.cells[cid] = (int(value), est)
        self.highs[cid] = int(value if high is None else high)
        return cid

    def rel(self, rid: str, total: str, members: list[str]) -> None:
        self.rels.extend((rid, total, m) for m in members)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        cells, highs, stated, hidden, rels = self.cells, self.highs, self.stated, self.hidden, self.rels
        cf = pl.DataFrame(
            {
                "cell_id": list(cells),
                "value": [v for v, _ in cells.values()],
                "is_estimate": [e for _, e in cells.values()],
                "high": list(highs.values()),
                "hidden": [c in hidden for c in cells],
            },
            schema={
                "cell_id": pl.String,
                "value": pl.Int64,
                "is_estimate": pl.Boolean,
                "high": pl.Int64,
                "hidden": pl.Boolean,
            },
        )
        cf = cf.with_columns(
            pl.col("cell_id")
            .replace_strict({c: lo for c, (lo, _) in stated.items()}, default=None, return_dtype=pl.Int64)
            .alias("stated_lo"),
            pl.col("cell_id")
            .replace_strict({c: hi for c, (_, hi) in stated.items()}, default=None, return_dtype=pl.Int64)
            .alias("stated_hi"),
        )
        rf = pl.DataFrame(
            rels, schema={"relation_id": pl.String, "total_id": pl.String, "member_id": pl.String}, orient="row"
        ).unique(maintain_order=True)
        return cf, rf


def year_cells(
    y: YearData, region: Region, settings_k: int = 5, public: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cells (cell_id, value, is_estimate) and relations (relation_id, total_id, member_id) of one school year:
    the flow tables with the schools' catchments, then the agreement tables."""
    acc = _CellTable()
    _flow_cells(acc, y, region, settings_k, public)
    _agreement_cells(acc, y, settings_k)
    return acc.frames()


def agreement_cells(y: YearData, settings_k: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Only the agreement tables of `year_cells` (the block the site and the export protect together):
    the same cells and relations in the same order, without making the flow tables."""
    acc = _CellTable()
    _agreement_cells(acc, y, settings_k)
    return acc.frames()


def _flow_cells(acc: _CellTable, y: YearData, region: Region, settings_k: int, public: bool) -> None:
    """One origin x destination table per sector with its totals, DUO's named outside flows and public
    school totals, the schools' catchments."""
    R = region.codes
    G = R + [BUITEN]
    Y = y.year
    fl = {(r["sector"], r["o"], r["d"]): r for r in y.flows.iter_rows(named=True)}
    # One origin x destination table per sector, protected on its own (with the catchments of its schools).
    # Numbers made from shown numbers only (all sectors together, 'elders' = residents - own municipality)
    # are computed on the pages when every part is shown (Publication.derived): they reveal nothing new.
    for S in y.sectors:
        fcell = {}
        for o in G:
            for d in G:
                if o == BUITEN and d == BUITEN:
                    continue
                r = fl.get((S, o, d))
                v, est = (r["students"], r["low"] != r["high"]) if r else (0, False)
                fcell[(o, d)] = acc.cell(_cid("f", Y, S, o, d), v, est, r["high"] if r else 0)
                if est:
                    acc.cell(_cid("lo", Y, S, o, d), r["low"], True)
                    acc.cell(_cid("hi", Y, S, o, d), r["high"], True)
        for o in G:
            members = [fcell[(o, d)] for d in G if (o, d) in fcell]
            t = acc.cell(
                _cid("woon", Y, S, o),
                sum(acc.cells[m][0] for m in members),
                any(acc.cells[m][1] for m in members),
                sum(acc.highs[m] for m in members),
            )
            acc.rel(_cid("rij", Y, S, o), t, members)
        for d in G:
            members = [fcell[(o, d)] for o in G if (o, d) in fcell]
            t = acc.cell(
                _cid("school", Y, S, d),
                sum(acc.cells[m][0] for m in members),
                any(acc.cells[m][1] for m in members),
                sum(acc.highs[m] for m in members),
            )
            acc.rel(_cid("kolom", Y, S, d), t, members)
        rows = [_cid("woon", Y, S, o) for o in G]
        tot = acc.cell(
            _cid("tot", Y, S),
            sum(acc.cells[m][0] for m in rows),
            any(acc.cells[m][1] for m in rows),
            sum(acc.highs[m] for m in rows),
        )
        acc.rel(_cid("totrij", Y, S), tot, [_cid("woon", Y, S, o) for o in G])
        acc.rel(_cid("totkolom", Y, S), tot, [_cid("school", Y, S, d) for d in G])
    # DUO years: flows between the region and its named outside partners (fb|Y|S|o|x, public, like DUO's
    # figures), the other outside municipalities together (fb|..|BUITEN): the map's named points.
    if public and y.outside is not None:
        for r in y.outside.iter_rows(named=True):
            acc.cell(_cid("fb", Y, r["sector"], r["o"], r["d"]), r["students"], r["low"] != r["high"], r["high"])

    # Catchments of the schools in the region add up to the flows into their municipality. An origin with
    # fewer than k pupils at a school is not listed on its own but in "overige herkomst" (OVERIG) of that
    # school: listing four schools with '<5' pupils each from a flow of 4 would give away that each has 1.
    # Per flow those small parts are one unpublished REST cell, so the relation stays declared.
    if y.catchment.height:
        k = 0 if public else settings_k  # DUO figures are public: every catchment origin is listed
        by_flow: dict[tuple, list[str]] = {}
        by_school: dict[tuple, list[str]] = {}
        rest: dict[tuple, int] = {}
        other: dict[tuple, int] = {}
        for r in y.catchment.iter_rows(named=True):
            if r["students"] < k:
                rest[(r["sector"], r["o"], r["d"])] = rest.get((r["sector"], r["o"], r["d"]), 0) + r["students"]
                other[(r["sector"], r["school_location_id"])] = (
                    other.get((r["sector"], r["school_location_id"]), 0) + r["students"]
                )
                continue
            c = acc.cell(
                _cid("c", Y, r["sector"], r["school_location_id"], r["o"]),
                r["students"],
                r["low"] != r["high"],
                r["high"],
            )
            by_flow.setdefault((r["sector"], r["o"], r["d"]), []).append(c)
            by_school.setdefault((r["sector"], r["school_location_id"]), []).append(c)
        for (S, o, d), v in rest.items():
            by_flow.setdefault((S, o, d), []).append(acc.cell(_cid(REST, Y, S, o, d), v))
        for (S, school), v in other.items():
            by_school.setdefault((S, school), []).append(acc.cell(_cid("c", Y, S, school, OVERIG), v))
        for (S, o, d), members in by_flow.items():
            acc.rel(_cid("scholen", Y, S, o, d), _cid("f", Y, S, o, d), members)
        for (S, school), members in by_school.items():
            # a school's total is DUO's exact location total (pub_school_totals checks it): a number, never '<5'
            t = acc.cell(_cid("st", Y, S, school), sum(acc.cells[m][0] for m in members))
            acc.rel(_cid("st", Y, S, school), t, members)

    # DUO's own total of each school location in the region (public, exact as DUO publishes it): what the
    # school page prints as the school's pupils, like the export's Scholen sheet (pub_school_totals). The
    # sector totals above are the sums of the published cells: less when a row of the school was rejected.
    if public and y.school_totals is not None:
        for sid, v, high, est in y.school_totals.select("school_location_id", "value", "high", "is_estimate").rows():
            acc.cell(_cid("duo", Y, sid), v, est, high)


def _agreement_cells(acc: _CellTable, y: YearData, settings_k: int) -> None:
    """Pairs (local team x municipality of the schools), their schools, support per local team, the
    coördinatielast of the schools."""
    Y = y.year
    # agreement needs: a pair is the sum of its schools; a local team's pupils elsewhere the sum of its pairs
    for r in y.pairs.iter_rows(named=True):
        acc.stated[acc.cell(_cid("pair", Y, r["A"], r["B"]), r["students"])] = (r["stated_lo"], r["stated_hi"])
        if r["count_hidden"]:
            acc.hidden.add(_cid("pair", Y, r["A"], r["B"]))
        ook = acc.cell(_cid("ook", Y, r["A"], r["B"]), r["ook"])  # only at pair level: per school it would pin cells
        # 'ook' is a part of the pair ("waarvan"): pair = ook + rest, so protect knows what a reader knows
        rest_ook = acc.cell(_cid(REST, Y, r["A"], f"ook:{r['B']}"), r["students"] - r["ook"])
        acc.rel(_cid("waarvan", Y, "ook", r["A"], r["B"]), _cid("pair", Y, r["A"], r["B"]), [ook, rest_ook])
    # School rows below 'aandachtspunt' are not published (at school level 'geen' means exactly one pupil);
    # per pair they are one unpublished rest cell, so the relation pair = sum of its schools stays declared.
    pair_members: dict[tuple, list[str]] = {}
    rest: dict[tuple, int] = {}
    broken_down = {  # pairs listed by school (as the export's afspraken_scholen)
        (r["A"], r["B"]) for r in y.pairs.iter_rows(named=True) if r["students"] >= settings_k or r["count_hidden"]
    }
    for r in y.schools.iter_rows(named=True):
        # a pair of fewer than k pupils is not broken down by school: its need level ('geen' is
        # fewer than 3) and a school's 'aandachtspunt' (at least 2) would pin both counts; a hidden
        # pair prints no level, and is broken down whatever its size (else the listing would say it is k
        # or more); and a school row as large as DUO's public count of the same group is not published
        # and a school row the printed levels of its pair pin on their own (pub_agreement_needs.pinned_by_levels)
        left_out = r["same_as_public"] or r["pinned_by_levels"]
        if r["need_level"] == "geen" or (r["A"], r["B"]) not in broken_down or left_out:
            rest[(r["A"], r["B"])] = rest.get((r["A"], r["B"]), 0) + r["students"]
        else:
            c = acc.cell(_cid("sch", Y, r["A"], r["school_location_id"]), r["students"])
            acc.stated[c] = (r["stated_lo"], r["stated_hi"])
            pair_members.setdefault((r["A"], r["B"]), []).append(c)
    for (A, B), v in rest.items():
        pair_members.setdefault((A, B), []).append(acc.cell(_cid(REST, Y, A, B), v))
    for (A, B), members in pair_members.items():
        if _cid("pair", Y, A, B) in acc.cells:
            acc.rel(_cid("paar", Y, A, B), _cid("pair", Y, A, B), members)
    destinations: dict[str, list[str]] = {}  # local team -> the municipalities of its pairs, in pair order
    for a, b in y.pairs.select("A", "B").iter_rows():
        destinations.setdefault(a, []).append(b)
    for r in y.support_profile.iter_rows(named=True):
        m = acc.cell(_cid("mhulp", Y, r["A"]), r["students"])
        e = acc.cell(_cid("melders", Y, r["A"]), r["elsewhere"])
        # pupils schooled elsewhere are a part of the local team's pupils: mhulp = melders + rest
        acc.rel(
            _cid("waarvan", Y, "elders", r["A"]),
            m,
            [e, acc.cell(_cid(REST, Y, r["A"], "eigen"), r["students"] - r["elsewhere"])],
        )
        members = [_cid("pair", Y, r["A"], B) for B in destinations.get(r["A"], [])]
        if r["not_listed"]:
            members.append(acc.cell(_cid(REST, Y, r["A"], "niet vermeld"), r["not_listed"]))
        if members:
            acc.rel(_cid("hulpelders", Y, r["A"]), e, members)
    for r in y.coordination.iter_rows(named=True):
        c = acc.cell(_cid("coord", Y, r["school_location_id"]), r["students"])
        if r["same_as_public"]:  # as many pupils with support as DUO counts at the school: not shown
            acc.hidden.add(c)


FLOW_PREFIXES = ["f", "lo", "hi", "woon", "school", "tot", "c", "st", "fb"]  # + REST cells with 5 parts


def _block(col: str) -> pl.Expr:
    parts = pl.col(col).str.split("|")
    flow = parts.list.get(0).is_in(FLOW_PREFIXES) | ((parts.list.get(0) == REST) & (parts.list.len() == 5))
    return (
        pl.when(parts.list.get(0) == "duo")
        .then(pl.concat_str([parts.list.get(1), pl.lit("duo")], separator="|"))
        .when(flow)
        .then(pl.concat_str([parts.list.get(1), parts.list.get(2)], separator="|"))
        .otherwise(pl.concat_str([parts.list.get(1), pl.lit("afspraken")], separator="|"))
        .alias("block")
    )


def site_year_cells(y: YearData, region: Region, settings: DisclosureSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The site's cells and relations of one year, with their block (one per sector's flow table,
    one for the agreement tables: protected independently, same result, faster). Drops from
    y.schools the rows the pages do not list (year_cells counts them in the pair's rest cell)."""
    cf, rf = year_cells(y, region, settings.k, y.source == "duo")
    big_pairs = y.pairs.filter((pl.col("students") >= settings.k) | pl.col("count_hidden")).select("A", "B")
    y.schools = y.schools.join(big_pairs, on=["A", "B"], how="semi", maintain_order="left").filter(
        ~pl.col("same_as_public") & ~pl.col("pinned_by_levels")
    )
    return cf.with_columns(_block("cell_id")), rf.with_columns(_block("total_id"))


def stored_private_labels(con: duckdb.DuckDBPyConnection, year: str) -> pl.DataFrame | None:
    """cell_id, status, shown, label of the year's private site cells as decided with the exports."""
    if not con.execute("select count(*) from duckdb_tables() where table_name = 'pub_private_labels'").fetchall()[0][0]:
        return None
    stored = _q(con, "select cell_id, status, shown, label from pub_private_labels where school_year = ?", [year])
    return stored if stored.height else None


def build_publication(
    con: duckdb.DuckDBPyConnection, region: Region, settings: DisclosureSettings, years: list[str] | None = None
) -> Publication:
    years = years or years_in(con)
    data = {y: load_year(con, y, region) for y in years}
    names = {c: region.members[c] for c in region.codes} | {BUITEN: BUITEN_NAME}
    school_names: dict[str, str] = {}
    school_municipality: dict[str, str] = {}
    for y in data.values():
        for frame in (y.catchment, y.schools, y.coordination):
            if not frame.height:
                continue
            dcol = "d" if "d" in frame.columns else "B"
            for sid, name, d in frame.select("school_location_id", "school_name", dcol).unique().iter_rows():
                if d in region.members:
                    school_names.setdefault(sid, name or sid)
                    school_municipality.setdefault(sid, d)
    pub = Publication(region, settings, data, names, school_names, school_municipality)
    outs, relations = [], []
    for y in data.values():
        public_year = y.source == "duo"
        cf, rf = site_year_cells(y, region, settings)
        stored = stored_private_labels(con, y.year)
        for (block,), cells in cf.group_by("block", maintain_order=True):
            if public_year and not block.endswith("|afspraken"):
                outs.append(public_labels(cells.drop("block")))
                continue
            cells = cells.drop("block")
            if stored is not None and cells.join(stored, on="cell_id", how="anti").height == 0:
                # decided once for site and exports together (joint.py): one label per cell
                outs.append(cells.join(stored, on="cell_id", how="left", maintain_order="left"))
                continue
            outs.append(
                protect(
                    cells,
                    rf.filter(pl.col("block") == block).drop("block"),
                    replace(settings, max_rounds=max(settings.max_rounds, SITE_MAX_ROUNDS)),
                )
            )
        relations.append(rf.drop("block"))
    pub.cells = pl.concat(outs)
    pub.relations = pl.concat(relations)
    pub.labels = dict(zip(pub.cells["cell_id"].to_list(), pub.cells["label"].to_list()))
    pub.labels |= derived_labels(pub)
    return pub


DUO_MASK_BELOW = 5  # DUO prints cells of 1-4 pupils as '<5'


def public_label(value: pl.Expr, is_estimate: pl.Expr, high: pl.Expr) -> pl.Expr:
    """The label of a public (DUO) figure, as the publication marts label it: the number, or '<5'
    for an estimate of at most 4 pupils (how DUO shows it)."""
    return (
        pl.when(is_estimate & (high < DUO_MASK_BELOW))
        .then(pl.lit(f"<{DUO_MASK_BELOW}"))
        .otherwise(value.cast(pl.String))
    )


def public_labels(cells: pl.DataFrame) -> pl.DataFrame:
    """Public cells are published as the data allow: no primary or secondary suppression."""
    return cells.with_columns(
        pl.lit("public").alias("status"),
        pl.col("value").alias("shown"),
        public_label(pl.col("value"), pl.col("is_estimate"), pl.col("high")).alias("label"),
    )


def _sum_label(labels: list[str | None], k: int) -> str | None:
    """The label of a sum of published cells: exact when every part is shown, otherwise the least
    it can be ('≥ N': shown parts, 1 for each '<5', k for each 'x'), which a reader can work out anyway."""
    if any(lab is None for lab in labels):
        return None
    if all(lab.isdigit() for lab in labels):
        return str(sum(int(lab) for lab in labels))
    return f"≥{sum(least(lab, k) for lab in labels)}"


def least(label: str, k: int) -> int:
    """The smallest number a published label can stand for."""
    if label.isdigit():
        return int(label)
    if label.startswith("≥"):
        return int(label[1:])
    if label == ".":
        return 0  # withheld: 0 to k-1
    # secondary suppression never hides a count below k; '<5' is 1-4; 'niet getoond' a listed row: 1 or more
    return k if label == "x" else 1


def _diff_label(plus: str | None, minus: str | None) -> str | None:
    return str(int(plus) - int(minus)) if plus and minus and plus.isdigit() and minus.isdigit() else None


def derived_labels(pub: Publication) -> dict[str, str]:
    """Numbers made of published numbers only, so they reveal nothing the pages do not show:
    'Alle sectoren' (the sum over the sectors), residents schooled elsewhere (woon - eigen),
    pupils from elsewhere (school - eigen) and region sums ('rwoon', 'relders')."""
    L, k, R = pub.labels, pub.settings.k, pub.region.codes
    G = R + [BUITEN]
    out: dict[str, str] = {}

    def get(cid: str) -> str | None:
        return out.get(cid, L.get(cid))

    for Y, y in pub.years.items():
        sectors = y.sectors + ([ALLE] if len(y.sectors) > 1 else [])
        out |= _swv_labels(pub, Y, y)
        if y.source == "duo":
            out |= _public_derived(pub, Y, y, sectors)
            continue
        if ALLE in sectors:
            for o in G:
                for d in G:
                    if (o, d) != (BUITEN, BUITEN):
                        out[_cid("f", Y, ALLE, o, d)] = _sum_label([L.get(_cid("f", Y, S, o, d)) for S in y.sectors], k)
            for m in G:
                out[_cid("woon", Y, ALLE, m)] = _sum_label([L.get(_cid("woon", Y, S, m)) for S in y.sectors], k)
                out[_cid("school", Y, ALLE, m)] = _sum_label([L.get(_cid("school", Y, S, m)) for S in y.sectors], k)
            out[_cid("tot", Y, ALLE)] = _sum_label([L.get(_cid("tot", Y, S)) for S in y.sectors], k)
        for S in sectors:
            for m in R:
                # exact as a difference of shown numbers, else at least the sum of the other cells of the row/column
                out[_cid("elders", Y, S, m)] = _diff_label(
                    get(_cid("woon", Y, S, m)), get(_cid("f", Y, S, m, m))
                ) or _sum_label([get(_cid("f", Y, S, m, d)) for d in G if d != m], k)
                out[_cid("instroom", Y, S, m)] = _diff_label(
                    get(_cid("school", Y, S, m)), get(_cid("f", Y, S, m, m))
                ) or _sum_label([get(_cid("f", Y, S, o, m)) for o in G if o != m], k)
            out[_cid("rwoon", Y, S)] = _sum_label([get(_cid("woon", Y, S, m)) for m in R], k)
            out[_cid("relders", Y, S)] = _sum_label([get(_cid("elders", Y, S, m)) for m in R], k)
    return {c: lab for c, lab in out.items() if lab is not None}


def _swv_labels(pub: Publication, Y: str, y: YearData) -> dict[str, str]:
    """Local team A x SWV X: the sum of the published school rows (sch) of A at schools in X's area, made of
    published labels only (a school's SWV follows from its public address). Exact when every part is shown
    and each of A's pairs is publicly complete (the pair's label equals the sum of its listed schools, so
    no unlisted school row of A, which could lie in X, exists); otherwise the least it can be ('≥N')."""
    L, k = pub.labels, pub.settings.k
    if not y.school_swv:
        return {}
    listed: dict[tuple[str, str], list[str]] = {}  # (A, B) -> published sch cells
    by_swv: dict[tuple[str, str], list[str]] = {}  # (A, X) -> published sch cells
    for A, B, sid in y.schools.select("A", "B", "school_location_id").iter_rows():
        c = _cid("sch", Y, A, sid)
        if c not in L:
            continue
        listed.setdefault((A, B), []).append(c)
        if sid in y.school_swv:
            by_swv.setdefault((A, y.school_swv[sid]), []).append(c)
    complete: dict[str, bool] = {}
    for A, B in y.pairs.select("A", "B").iter_rows():
        parts = [L.get(c) for c in listed.get((A, B), [])]
        pair = L.get(_cid("pair", Y, A, B))
        whole = (
            pair is not None
            and pair.isdigit()
            and all(p.isdigit() for p in parts)
            and sum(map(int, parts)) == int(pair)
        )
        complete[A] = complete.get(A, True) and whole
    out = {}
    for (A, X), members in by_swv.items():
        lab = _sum_label([L[c] for c in members], k)
        if lab.isdigit() and not complete.get(A, False):
            lab = f"≥{lab}"
        out[_cid("swvpaar", Y, A, X)] = lab
    return out


def _public_derived(pub: Publication, Y: str, y: YearData, sectors: list[str]) -> dict[str, str]:
    """The derived figures of a public (DUO) year: sums of the published flows, labelled like them."""
    R, G = pub.region.codes, pub.region.codes + [BUITEN]
    year_cells = pub.cells.filter(pl.col("cell_id").str.starts_with("f|" + Y + "|"))
    parts = year_cells["cell_id"].str.split("|")
    flows = year_cells.select(
        parts.list.get(2).alias("S"),
        parts.list.get(3).alias("o"),
        parts.list.get(4).alias("d"),
        "value",
        "is_estimate",
        "high",
    )
    flows = pl.concat([flows, flows.with_columns(pl.lit(ALLE).alias("S"))]) if ALLE in sectors else flows
    flows = flows.filter(pl.col("S").is_in(sectors))
    agg = [pl.col("value").sum(), pl.col("is_estimate").any(), pl.col("high").sum()]
    groups = [
        flows.filter(pl.col("S") == ALLE)
        .group_by("S", "o", "d")
        .agg(agg)
        .select(
            pl.concat_str([pl.lit("f"), pl.lit(Y), "S", "o", "d"], separator="|").alias("cell_id"),
            "value",
            "is_estimate",
            "high",
        ),
    ]
    if ALLE in sectors:
        for prefix, key in (("woon", "o"), ("school", "d")):
            groups.append(
                flows.filter(pl.col("S") == ALLE)
                .group_by("S", key)
                .agg(agg)
                .select(
                    pl.concat_str([pl.lit(prefix), pl.lit(Y), "S", key], separator="|").alias("cell_id"),
                    "value",
                    "is_estimate",
                    "high",
                )
            )
        groups.append(
            flows.filter(pl.col("S") == ALLE)
            .group_by("S")
            .agg(agg)
            .select(
                pl.concat_str([pl.lit("tot"), pl.lit(Y), "S"], separator="|").alias("cell_id"),
                "value",
                "is_estimate",
                "high",
            )
        )
    cross = flows.filter(pl.col("o") != pl.col("d"))
    for prefix, key in (("elders", "o"), ("instroom", "d")):
        groups.append(
            cross.filter(pl.col(key).is_in(R))
            .group_by("S", key)
            .agg(agg)
            .select(
                pl.concat_str([pl.lit(prefix), pl.lit(Y), "S", key], separator="|").alias("cell_id"),
                "value",
                "is_estimate",
                "high",
            )
        )
    resident = flows.filter(pl.col("o").is_in(R))
    groups.append(
        resident.group_by("S")
        .agg(agg)
        .select(
            pl.concat_str([pl.lit("rwoon"), pl.lit(Y), "S"], separator="|").alias("cell_id"),
            "value",
            "is_estimate",
            "high",
        )
    )
    groups.append(
        resident.filter(pl.col("o") != pl.col("d"))
        .group_by("S")
        .agg(agg)
        .select(
            pl.concat_str([pl.lit("relders"), pl.lit(Y), "S"], separator="|").alias("cell_id"),
            "value",
            "is_estimate",
            "high",
        )
    )
    derived = pl.concat(groups).with_columns(
        public_label(pl.col("value"), pl.col("is_estimate"), pl.col("high")).alias("label")
    )
    # municipalities without any pupils elsewhere / from elsewhere: 0, like the other public zeros
    zeros = {_cid(p, Y, S, m): "0" for p in ("elders", "instroom") for S in sectors for m in R}
    del G
    return zeros | dict(zip(derived["cell_id"].to_list(), derived["label"].to_list()))
