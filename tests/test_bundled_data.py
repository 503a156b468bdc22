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

YEAR = "2024-2025"
INPUTS = F.REPO / "data" / "inputs"
DUO = INPUTS / "duo"
MUNICIPALITY_FILES = sorted(DUO.glob("* afgeschermd.csv"))
EXTRACT = next(DUO.glob("HAAGLANDEN-FILTERED_*.csv"))
TOTALS = next(DUO.glob("06.-historisch-overzicht*.csv"))
REGION = [m["code"] for m in tomllib.loads((F.REPO / "data/regions/haaglanden.toml").read_text())["municipality"]]


def _read(path) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(path.read_bytes().decode("utf-8-sig")), separator=";", infer_schema=False)


@pytest.fixture(scope="session")
def municipality_rows() -> pl.DataFrame:
    return pl.concat([_read(p) for p in MUNICIPALITY_FILES])


def test_bundled_run_succeeds(bundled):
    assert len(MUNICIPALITY_FILES) == 9
    assert bundled.outcome.failures == []
    # DUO files are of 2024; the synthetic linked demo spans three school years.
    assert bundled.outcome.school_years == ["2022-2023", "2023-2024", YEAR]


def test_synthetic_demo_gives_support_flows_and_agreement_needs_labelled_synthetic(bundled):
    for table in ("support_flows", "school_local_team", "agreement_needs", "school_coordination_load",
                  "municipality_support_profile"):
        sources = bundled.query(f"select distinct source from {table}")
        assert sources == [("synthetic",)], table
        years = {y for (y,) in bundled.query(f"select distinct school_year from {table}")}
        assert years == {"2022-2023", "2023-2024", YEAR}, table
    levels = dict(bundled.query(
        "select need_level, count(*) from agreement_needs where school_year = ? and level = 'gemeentepaar' group by all",
        [YEAR]))
    assert levels.get("afspraak nodig", 0) > 0 and levels.get("aandachtspunt", 0) > 0
    # Every accepted enrolment of the demo is in exactly one support flow.
    enrolled, in_flows = bundled.query(
        """select (select count(*) from stg_linked_enrolments where school_year = $1 and reason_code is null),
                  (select sum(students) from support_flows where school_year = $1 and support_domain = 'totaal')""",
        [YEAR])[0]
    assert enrolled == in_flows > 150_000


def test_flows_cover_all_nine_haaglanden_municipalities(bundled):
    assert len(REGION) == 9
    destinations = {d for (d,) in bundled.query(
        "select distinct destination_code from municipality_flows where school_year = ?", [YEAR])}
    origins = {o for (o,) in bundled.query(
        "select distinct origin_code from municipality_flows where school_year = ?", [YEAR])}
    assert set(REGION) <= destinations
    assert set(REGION) <= origins
    # every region member both keeps pupils at home and sends some elsewhere, in BO
    home = {o for (o,) in bundled.query("select origin_code from municipality_flows where sector = 'BO' "
                                        "and origin_code = destination_code and students > 0")}
    assert set(REGION) <= home


def test_every_input_row_is_accepted_duplicate_or_rejected(bundled, municipality_rows):
    n_input = sum(F.data_rows_in(p) for p in [*MUNICIPALITY_FILES, EXTRACT])
    assert n_input == 19_376
    accepted, duplicate, rejected = bundled.query("""
        select count(*) filter (where reason_code is null), count(*) filter (where reason_code = 'duplicate_row'),
               count(*) filter (where reason_code <> 'duplicate_row') from stg_duo_rows where school_year = ?""", [YEAR])[0]
    assert accepted + duplicate + rejected == 19_376
    # The extract repeats rows of the municipality files: those are the duplicates (counted once).
    key = ["INSTELLINGSCODE", "VESTIGINGSCODE", "POSTCODE_LEERLING", "GEMEENTENAAM_LEERLING", "SOORT_PO"]
    in_both = _read(EXTRACT).join(municipality_rows.select(key).unique(), on=key, how="semi").height
    assert (duplicate, rejected) == (in_both, 0)
    assert F.rows_accounted(bundled) == []
    assert bundled.query("select sum(input_rows) from municipality_flows where school_year = ?", [YEAR]) == [(accepted,)]


def test_location_cells_add_up_to_the_published_total_where_it_is_consistent(bundled, municipality_rows):
    ages = [c for c in municipality_rows.columns if c.startswith("LEEFTIJD_")]
    cells = municipality_rows.select(
        (pl.col("INSTELLINGSCODE") + pl.col("VESTIGINGSCODE")).alias("location"),
        pl.sum_horizontal([pl.col(c).cast(pl.Int64, strict=False) for c in ages]).alias("unmasked"),
        pl.sum_horizontal([(pl.col(c) == "<5").cast(pl.Int64) for c in ages]).alias("masked"),
    ).group_by("location").agg(pl.col("unmasked").sum(), pl.col("masked").sum())
    totals = _read(TOTALS).select(pl.col("VESTIGINGSCODE").alias("location"),
                                  pl.col("LEERLINGEN_2024").cast(pl.Int64, strict=False).alias("total"))
    table = cells.join(totals, on="location", how="left").with_columns(
        consistent=pl.col("total").is_between(pl.col("unmasked") + pl.col("masked"),
                                              pl.col("unmasked") + 4 * pl.col("masked")).fill_null(False))
    estimated = dict(bundled.query("select school_location_id, sum(students) from int_cell_estimates "
                                   "where school_year = ? group by all", [YEAR]))
    consistent = table.filter("consistent")
    off = [(loc, total, estimated.get(loc)) for loc, total in consistent.select("location", "total").iter_rows()
           if estimated.get(loc) is None or abs(estimated[loc] - total) > 1e-6]
    assert off == []
    print(f"\n{consistent.height} of {table.height} Haaglanden school locations have a consistent 2024 total; "
          "their cells add up to it exactly")
    assert table.height == 357
    assert consistent.height == 356  # 05YX12 (VSO) is published as "<5": a range, not an exact total


@pytest.mark.parametrize("sector, low, high", [("BO", 0.05, 0.15), ("SO", 0.30, 0.55), ("VSO", 0.30, 0.55)])
def test_cross_border_share_of_region_residents_is_plausible(bundled, sector, low, high):
    codes = ", ".join(f"'{c}'" for c in REGION)
    elsewhere, residents = bundled.query(f"""
        select sum(students) filter (where origin_code <> destination_code), sum(students)
        from municipality_flows where school_year = ? and sector = ? and origin_code in ({codes})""",
                                         [YEAR, sector])[0]
    share = elsewhere / residents
    print(f"\n{sector}: {share:.1%} of the region's pupils go to school in another municipality")
    assert low <= share <= high


def test_graph_files_exist(bundled):
    folder = bundled.out_dir / "graph" / YEAR
    assert {p.stem for p in folder.glob("*.graphml")} == {"ALLE", "BO", "SBO", "SO", "VSO"}
    g = nx.read_graphml(folder / "ALLE.graphml")
    assert set(REGION) <= set(g.nodes)
    assert g.number_of_edges() > 100
