"""The pipeline on the bundled real DUO files (data/inputs): one run for the session.

Expected values are derived here from the files themselves (read with plain Polars, not
with the pipeline's loader), so the test does not trust the code it checks.
"""

from __future__ import annotations

import io
import tomllib

import networkx as nx
import polars as pl
import pytest

import fixtures as F
from grensverkeer.settings import BUNDLED_DUO_DIR, BUNDLED_MUNICIPALITY_FILES

YEAR = "2024-2025"
OLD_YEAR = "2017-2018"  # DUO's last unmasked edition that is bundled: exact counts
DUO_YEARS = [OLD_YEAR, YEAR]
INPUTS = F.REPO / "data" / "inputs"
DUO = BUNDLED_DUO_DIR
REGION = [m["code"] for m in tomllib.loads((F.REPO / "data/regions/haaglanden.toml").read_text())["municipality"]]
# per DUO year: the nine per-municipality files, the HAAGLANDEN-FILTERED extract, the columns
# that identify a school location and the year column of the location totals file
EDITIONS = {
    YEAR: {
        "files": sorted(DUO / name for name in BUNDLED_MUNICIPALITY_FILES[YEAR]),
        "extract": next(DUO.glob("HAAGLANDEN-FILTERED_leerlingen-*20241001*.csv")),
        "location": ["INSTELLINGSCODE", "VESTIGINGSCODE"],
        "totals": "LEERLINGEN_2024",
    },
    OLD_YEAR: {
        "files": sorted(DUO / name for name in BUNDLED_MUNICIPALITY_FILES[OLD_YEAR]),
        "extract": next(DUO.glob("HAAGLANDEN-FILTERED_03.-*2017-2018*.csv")),
        "location": ["BRIN_NUMMER", "VESTIGINGSNUMMER"],
        "totals": "LEERLINGEN_2017",
    },
}
TOTALS = next(DUO.glob("06.-historisch-overzicht*.csv"))


def _read(path) -> pl.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # the 2017-2018 Leidschendam-Voorburg file is Windows-1252
        text = raw.decode("cp1252")
    return pl.read_csv(io.StringIO(text), separator=";", infer_schema=False)


@pytest.fixture(scope="session")
def municipality_rows() -> dict[str, pl.DataFrame]:
    return {year: pl.concat([_read(p) for p in ed["files"]]) for year, ed in EDITIONS.items()}


def test_bundled_run_succeeds(bundled):
    for ed in EDITIONS.values():
        assert len(ed["files"]) == 9 and all(p.exists() for p in ed["files"])
    assert bundled.outcome.failures == []
    # Two real DUO years (2017 and 2024); the synthetic linked demo spans 2022-2025.
    assert bundled.outcome.school_years == [OLD_YEAR, "2022-2023", "2023-2024", YEAR]


def test_synthetic_demo_gives_support_flows_and_agreement_needs_labelled_synthetic(bundled):
    for table in (
        "support_flows",
        "school_local_team",
        "agreement_needs",
        "school_coordination_load",
        "municipality_support_profile",
    ):
        sources = bundled.query(f"select distinct source from {table}")
        assert sources == [("synthetic",)], table
        years = {y for (y,) in bundled.query(f"select distinct school_year from {table}")}
        assert years == {"2022-2023", "2023-2024", YEAR}, table
    levels = dict(
        bundled.query(
            "select need_level, count(*) from agreement_needs where school_year = ? and level = 'gemeentepaar' group by all",
            [YEAR],
        )
    )
    assert levels.get("afspraak nodig", 0) > 0 and levels.get("aandachtspunt", 0) > 0
    # Every accepted enrolment of the demo is in exactly one support flow.
    enrolled, in_flows = bundled.query(
        """select (select count(*) from stg_linked_enrolments where school_year = $1 and reason_code is null),
                  (select sum(students) from support_flows where school_year = $1 and support_domain = 'totaal')""",
        [YEAR],
    )[0]
    assert enrolled == in_flows > 150_000


@pytest.mark.parametrize("year", DUO_YEARS)
def test_flows_cover_all_nine_haaglanden_municipalities(bundled, year):
    assert len(REGION) == 9
    destinations = {
        d
        for (d,) in bundled.query(
            "select distinct destination_code from municipality_flows where school_year = ?", [year]
        )
    }
    origins = {
        o for (o,) in bundled.query("select distinct origin_code from municipality_flows where school_year = ?", [year])
    }
    assert set(REGION) <= destinations
    assert set(REGION) <= origins
    # every region member both keeps pupils at home and sends some elsewhere, in BO
    home = {
        o
        for (o,) in bundled.query(
            "select origin_code from municipality_flows where sector = 'BO' "
            "and school_year = ? and origin_code = destination_code and students > 0",
            [year],
        )
    }
    assert set(REGION) <= home


@pytest.mark.parametrize("year, n_input", [(YEAR, 19_376), (OLD_YEAR, 17_127)])
def test_every_input_row_is_accepted_duplicate_or_rejected(bundled, municipality_rows, year, n_input):
    ed = EDITIONS[year]
    assert sum(F.data_rows_in(p) for p in [*ed["files"], ed["extract"]]) == n_input
    accepted, duplicate, rejected = bundled.query(
        """
        select count(*) filter (where reason_code is null), count(*) filter (where reason_code = 'duplicate_row'),
               count(*) filter (where reason_code <> 'duplicate_row') from stg_duo_rows where school_year = ?""",
        [year],
    )[0]
    assert accepted + duplicate + rejected == n_input
    # The extract repeats rows of the municipality files: those are the duplicates (counted once).
    key = [*ed["location"], "POSTCODE_LEERLING", "GEMEENTENAAM_LEERLING", "SOORT_PO"]
    in_both = _read(ed["extract"]).join(municipality_rows[year].select(key).unique(), on=key, how="semi").height
    assert (duplicate, rejected) == (in_both, 0)
    assert in_both == municipality_rows[year].height  # every row of the nine files is in the extract
    assert F.rows_accounted(bundled) == []
    assert bundled.query("select sum(input_rows) from municipality_flows where school_year = ?", [year]) == [
        (accepted,)
    ]


def test_2017_is_exact_and_counts_every_pupil_once(bundled):
    """2017-2018 is unmasked: every cell exact, no range, and the pupils counted are the TOTAAL
    column of the extract (which holds each row of the nine files once, plus the region's
    pupils schooled elsewhere)."""
    extract = _read(EDITIONS[OLD_YEAR]["extract"])
    total = extract["TOTAAL"].cast(pl.Int64).sum()
    assert total == 100_137
    counted, low, high, masked = bundled.query(
        """
        select sum(students), sum(students_low), sum(students_high), count(*) filter (where is_masked)
        from int_cell_estimates where school_year = ?""",
        [OLD_YEAR],
    )[0]
    assert (counted, low, high, masked) == (total, total, total, 0)
    assert bundled.query("select distinct method from int_cell_estimates where school_year = ?", [OLD_YEAR]) == [
        ("exact",)
    ]
    assert bundled.query("select sum(students) from municipality_flows where school_year = ?", [OLD_YEAR]) == [(total,)]


@pytest.mark.parametrize("year, n_locations, n_consistent", [(YEAR, 357, 356), (OLD_YEAR, 355, 355)])
def test_location_cells_add_up_to_the_published_total_where_it_is_consistent(
    bundled, municipality_rows, year, n_locations, n_consistent
):
    rows, ed = municipality_rows[year], EDITIONS[year]
    ages = [c for c in rows.columns if c.startswith("LEEFTIJD_")]
    cells = (
        rows.select(
            (pl.col(ed["location"][0]) + pl.col(ed["location"][1])).alias("location"),
            pl.sum_horizontal([pl.col(c).cast(pl.Int64, strict=False) for c in ages]).alias("unmasked"),
            pl.sum_horizontal([(pl.col(c) == "<5").cast(pl.Int64) for c in ages]).alias("masked"),
        )
        .group_by("location")
        .agg(pl.col("unmasked").sum(), pl.col("masked").sum())
    )
    totals = _read(TOTALS).select(
        pl.col("VESTIGINGSCODE").alias("location"), pl.col(ed["totals"]).cast(pl.Int64, strict=False).alias("total")
    )
    table = cells.join(totals, on="location", how="left").with_columns(
        consistent=pl.col("total")
        .is_between(pl.col("unmasked") + pl.col("masked"), pl.col("unmasked") + 4 * pl.col("masked"))
        .fill_null(False)
    )
    estimated = dict(
        bundled.query(
            "select school_location_id, sum(students) from int_cell_estimates where school_year = ? group by all",
            [year],
        )
    )
    consistent = table.filter("consistent")
    off = [
        (loc, total, estimated.get(loc))
        for loc, total in consistent.select("location", "total").iter_rows()
        if estimated.get(loc) is None or abs(estimated[loc] - total) > 1e-6
    ]
    assert off == []
    print(
        f"\n{consistent.height} of {table.height} Haaglanden school locations have a consistent {year} total; "
        "their cells add up to it exactly"
    )
    assert table.height == n_locations
    # 2024: 05YX12 (VSO) is published as "<5": a range, not an exact total. 2017: unmasked, so
    # every location's cells equal its published total.
    assert consistent.height == n_consistent


@pytest.mark.parametrize("year", DUO_YEARS)
@pytest.mark.parametrize("sector, low, high", [("BO", 0.05, 0.15), ("SO", 0.30, 0.55), ("VSO", 0.30, 0.55)])
def test_cross_border_share_of_region_residents_is_plausible(bundled, year, sector, low, high):
    codes = ", ".join(f"'{c}'" for c in REGION)
    elsewhere, residents = bundled.query(
        f"""
        select sum(students) filter (where origin_code <> destination_code), sum(students)
        from municipality_flows where school_year = ? and sector = ? and origin_code in ({codes})""",
        [year, sector],
    )[0]
    share = elsewhere / residents
    print(f"\n{year} {sector}: {share:.1%} of the region's pupils go to school in another municipality")
    assert low <= share <= high


@pytest.mark.parametrize("year", DUO_YEARS)
def test_graph_files_exist(bundled, year):
    folder = bundled.out_dir / "graph" / year
    assert {p.stem for p in folder.glob("*.graphml")} == {"ALLE", "BO", "SBO", "SO", "VSO"}
    g = nx.read_graphml(folder / "ALLE.graphml")
    assert set(REGION) <= set(g.nodes)
    assert g.number_of_edges() > 100
