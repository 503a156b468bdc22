"""The real assets on the small, good 2024 fixture (tests/fixtures.py: write_baseline).

One pipeline run serves every test here. Expected numbers are worked out by hand in
fixtures.py, next to the rows they come from.
"""

from __future__ import annotations

import networkx as nx
import pytest

import fixtures as F

YEAR = "2024-2025"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline")
    files = F.write_baseline(root / "in")
    r = F.run(root / "in", root / "warehouse.duckdb", root / "out", F.BASE_REGION)
    r.files = {k: str(p.relative_to(root / "in")) for k, p in files.items()}
    return r


def test_run_succeeds_and_count_date_20241001_is_school_year_2024_2025(base):
    assert base.outcome.failures == []
    assert base.outcome.school_years == [YEAR]
    assert base.query("select distinct school_year from stg_duo_rows") == [(YEAR,)]
    assert base.query("select distinct peildatum from raw_rows where peildatum is not null") == [("20241001",)]


def test_exact_flows_match_hand_computed_values(base):
    flows = base.flows()
    for key, students in F.BASE_EXACT_FLOWS.items():
        assert flows.get(key) == (students, students, students), key
    assert set(flows) == set(F.BASE_EXACT_FLOWS) | set(F.BASE_ESTIMATED_FLOWS)


def test_flows_with_masked_cells_carry_tight_bounds(base):
    flows = base.flows()
    for key, (exact_part, low, high) in F.BASE_ESTIMATED_FLOWS.items():
        students, lo, hi = flows[key]
        assert (lo, hi) == (low, high), key
        assert low <= students <= high and students > exact_part, key
    # 00PZ00's three flows together hold its published total exactly.
    at_00pz = sum(
        flows[k][0] for k in [("SO", "GM0503", "GM0503"), ("VSO", "GM1783", "GM0503"), ("SO", "GM1621", "GM0503")]
    )
    assert at_00pz == pytest.approx(19, abs=1e-6)


def test_masked_cells_are_estimated_within_1_to_4_never_zero(base):
    bad = base.query("""
        select file_name, line, cell_label, students, students_low, students_high from int_cell_estimates
        where is_masked and not (1 <= students_low and students_low <= students + 1e-9
                                 and students <= students_high + 1e-9 and students_high <= 4)""")
    assert bad == []
    masked = base.query(
        "select count(*), count(students), count(students_low), count(students_high) "
        "from int_cell_estimates where is_masked"
    )[0]
    # 3 (04MF00) + 4 (00PZ00) + 3 (05XZ00) + 1 (VO 01GX00) masked cells in the fixture
    assert masked == (11, 11, 11, 11)
    assert base.query("select count(*) from int_cell_estimates where not is_masked and students <> value") == [(0,)]


def test_masked_cells_of_complete_locations_add_up_to_the_published_total(base):
    per_location = dict(base.query("select school_location_id, sum(students) from int_cell_estimates group by all"))
    totals = {s.location_id: by_year[2024] for s, by_year in F.BASE_TOTALS.items()}
    for location, total in totals.items():
        assert per_location[location] == pytest.approx(total, abs=1e-6), location
    # When the total leaves no freedom, the estimate is exact: all ones in 04MF00, all fours in 05XZ00.
    assert (
        sorted(
            base.query("""select school_location_id, students, students_low, students_high
                                from int_cell_estimates where is_masked and school_location_id in ('04MF00', '05XZ00')""")
        )
        == [("04MF00", 1.0, 1, 1)] * 3 + [("05XZ00", 4.0, 4, 4)] * 3
    )


def test_file_is_recognised_by_its_header_not_its_name(base):
    name = base.files["westland"]
    assert name == "totally-random.txt"
    assert base.query("select kind, encoding, delimiter, data_rows from input_files where file_name = ?", [name]) == [
        ("duo_po_pc4", "cp1252", ",", 4)
    ]
    assert base.query("select count(*) from stg_duo_rows where file_name = ? and reason_code is null", [name]) == [(4,)]
    assert base.query("select kind from input_files where file_name = ?", [base.files["totals"]]) == [
        ("duo_po_location_totals",)
    ]


def test_linked_folder_is_left_to_the_linked_loader(base):
    assert base.query("select kind from input_files where file_name like 'linked%'") == [("linked_schools",)]
    assert base.query("select count(*) from raw_rows where file_name like 'linked%'") == [(0,)]


@pytest.mark.parametrize(
    "name, code",
    [
        ("Den Haag", "GM0518"),
        ("'s-Gravenhage", "GM0518"),
        ("S GRAVENHAGE", "GM0518"),
        ("Rijswijk", "GM0603"),
        ("Lansingerland", "GM1621"),
        ("Súdwest-Fryslân", "GM1900"),
        ("Onbekend", "ONBEKEND"),
        ("Belgie", "BUITENLAND"),
        ("Duitsland", "BUITENLAND"),
        ("ander land", "BUITENLAND"),
        ("Haarlemmerliede en Spaarnwoude", "GM0394"),  # merged into Haarlemmermeer on 2019-01-01
        ("Atlantis", "ONBEKEND"),
    ],
)
def test_home_municipality_name_maps_to_cbs_code(base, name, code):
    got = base.query(
        "select distinct origin_code from stg_duo_rows where kind = 'duo_po_pc4' "
        "and home_municipality_name = ? and reason_code is null",
        [name],
    )
    assert got == [(code,)]


def test_unknown_name_is_onbekend_kept_and_warned_but_not_dropped(base):
    rows = base.query("""select home_municipality_name, origin_code, origin_match, reason_code, file_name, line
                         from stg_duo_rows where home_municipality_name = 'Atlantis'""")
    assert rows == [("Atlantis", "ONBEKEND", "unmatched", None, "2024/'s-Gravenhage.csv", 7)]
    # its 13 pupils are in the ONBEKEND flow (13 + 14 'Onbekend')
    assert base.flows()[("BO", "ONBEKEND", "GM0518")] == (27, 27, 27)
    warn = [c for c in base.checks if c.check_name == "stg_duo_rows_unmatched_names"]
    assert len(warn) == 1 and not warn[0].passed
    assert warn[0].severity.value == "WARN"
    assert "Atlantis" in warn[0].description and "Onbekend" not in warn[0].description
    assert base.outcome.success  # a warning does not stop the run


def test_row_in_both_municipality_file_and_extract_is_counted_once(base):
    extract = base.files["extract"]
    rows = base.query("select line, reason_code, reason from stg_duo_rows where file_name = ? order by line", [extract])
    assert [(line, code) for line, code, _ in rows] == [(2, "duplicate_row"), (3, "duplicate_row"), (4, None)]
    assert "2024/Delft.csv line 4" in rows[0][2]
    assert "totally-random.txt line 2" in rows[1][2]
    # Den Haag -> Delft is 5 + 1 + 7, not 5 + 5 + 1 + 7; Westland -> Westland is 38, not 76
    assert base.flows()[("BO", "GM0518", "GM0503")][0] == 13
    assert base.flows()[("BO", "GM1783", "GM1783")][0] == 38


def test_vo_files_of_both_header_generations_load_with_sector_vo_or_pro(base):
    got = base.query("""select file_name, school_location_id, sector, destination_code, origin_code
                        from stg_duo_rows where kind = 'duo_vo_pc4' and reason_code is null order by all""")
    old, new = base.files["vo_old"], base.files["vo_new"]
    assert got == sorted(
        [
            (old, "02DQ00", "VO", "GM0518", "GM0629"),
            (old, "02DQ00", "VO", "GM0518", "GM0518"),
            (old, "04NF00", "PRO", "GM0518", "GM0603"),
            (old, "04NF00", "PRO", "GM0518", "GM0394"),  # code 0393 merged away: successor
            (new, "01GX00", "VO", "GM0503", "GM0503"),
            (new, "01GX00", "VO", "GM0503", "GM1842"),
            (new, "26MJ00", "PRO", "GM0503", "GM1783"),
        ]
    )
    assert base.query("select count_years from input_files where file_name = ?", [old]) == [([2024],)]


def test_every_input_row_is_accounted_for(base):
    assert F.rows_accounted(base) == []
    n_input = sum(F.data_rows_in(base.input_dir / f) for k, f in base.files.items() if k != "totals")
    accepted, duplicate, rejected = base.query("""
        select count(*) filter (where reason_code is null), count(*) filter (where reason_code = 'duplicate_row'),
               count(*) filter (where reason_code not in ('duplicate_row')) from stg_duo_rows""")[0]
    assert (accepted, duplicate, rejected) == (n_input - 2, 2, 0)
    assert base.query("select sum(input_rows) from municipality_flows") == [(accepted,)]


def test_school_catchment_and_profile(base):
    catchment = base.query("""select origin_code, students, students_low, students_high from school_catchment
                              where school_location_id = '05XZ00' order by origin_code""")
    assert catchment == [("BUITENLAND", 9, 9, 9), ("GM0503", 8, 8, 8), ("GM1783", 38, 38, 38), ("GM1900", 4, 4, 4)]
    profile = dict(
        ((s, c), (own, elsewhere, incoming))
        for s, c, own, elsewhere, incoming in base.query(
            "select sector, code, schooled_in_own, schooled_elsewhere, incoming from pub_municipality_profile"
        )
    )
    # Delft BO: 23 at home; 8 in Westland; incoming 7 (Rijswijk) + 13 (Den Haag)
    assert profile[("BO", "GM0503")] == (23, 8, 20)


def test_graph_files_are_written(base):
    folder = base.out_dir / "graph" / YEAR
    assert sorted(p.name for p in folder.glob("*.graphml")) == sorted(
        f"{s}.graphml" for s in ("ALLE", "BO", "SO", "VSO", "VO", "PRO")
    )
    g = nx.read_graphml(folder / "ALLE.graphml")
    assert set(F.BASE_REGION) <= set(g.nodes)
    assert base.query("select count(*) from graph_node_metrics where sector = 'ALLE' and in_region") == [(4,)]


def test_fixture_totals_are_the_true_sums_of_the_rows():
    # guards the hand-worked numbers above: the totals file holds what the rows really add up to
    true = F.location_totals(F.DELFT_ROWS + F.WESTLAND_ROWS + F.DENHAAG_ROWS)
    assert {s.location_id: t for s, t in true.items()} == {s.location_id: y[2024] for s, y in F.BASE_TOTALS.items()}
    assert sum(F.BASE_EXACT_FLOWS.values()) == sum(
        r.total for r in F.DELFT_ROWS[:5] + F.WESTLAND_ROWS + F.DENHAAG_ROWS
    ) + 25 + sum(sum(r.counts.values()) for r in F.VO_NEW_ROWS + F.VO_OLD_ROWS if r.home_no != "1842")
