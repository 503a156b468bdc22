"""Zero cells are left out of the cell tables (docs/warehouse.md, raw_cells): a DUO cell whose
text is a plain zero ('0', '00') is not in raw_cells, stg_duo_cells or int_cell_estimates,
while its row keeps every row-level fact (accepted or rejected, its pupils, its flow) and its
location keeps the number of cells it has (int_location_masking.n_cells)."""

from __future__ import annotations

import pytest

import fixtures as F

YEAR = "2024-2025"
N_AGES = len(F.AGE_LABELS)
ZERO_SCHOOL = F.School("07AB", "00", "Nulschool", "0503", "Delft", "2613AA", "DELFT")

DELFT = [
    F.PoRow(F.DELFT_MONT, "2611", "Delft", "Bo", {"4": 10, "5": 2}),  # line 2
    F.PoRow(F.DELFT_MONT, "2622", "Delft", "Bo", {}),  # line 3: zeros only, accepted
    F.PoRow(F.DELFT_MONT, "2623", "Delft", "Bo", {"5": 3}, {"LEEFTIJD_6": "00"}),  # line 4: '00' is a zero
    F.PoRow(F.DELFT_MONT, "2624", "Delft", "Bo", {"7": 6}, {"LEEFTIJD_8": "-0"}),  # line 5: rejected
    F.PoRow(ZERO_SCHOOL, "2611", "Delft", "Bo", {}),  # line 6: a location of zeros only
]
# the old generation has TOTAAL: it is checked against the cells, the zeros among them too
WESTLAND = [
    F.PoRow(F.WESTLAND_BO, "2671", "Westland", "Bo", {}, {"TOTAAL": "7"}),  # line 2: 0 cells, total 7
    F.PoRow(F.WESTLAND_BO, "2672", "Westland", "Bo", {"5": 2}, {"TOTAAL": "9"}),  # line 3: 0 + 1..4, total 9
    F.PoRow(F.WESTLAND_BO, "2673", "Westland", "Bo", {}),  # line 4: total 0, accepted
    F.PoRow(F.WESTLAND_BO, "2674", "Westland", "Bo", {"4": 20}),  # line 5
]


@pytest.fixture(scope="module")
def zero(tmp_path_factory):
    root = tmp_path_factory.mktemp("zero_cells")
    F.write_po(root / "in" / "delft.csv", DELFT)
    F.write_po(root / "in" / "westland.csv", WESTLAND, generation="old", peildatum=False)
    (root / "in" / "westland.csv").rename(root / "in" / "westland-2024.csv")
    r = F.run(root / "in", root / "warehouse.duckdb", root / "out", F.BASE_REGION)
    assert r.outcome.failures == []
    return r


def test_no_zero_cell_is_stored(zero):
    for table, zero_cell in (
        ("raw_cells", "zero_count(value_text)"),
        ("stg_duo_cells", "not is_masked and value = 0"),
        ("int_cell_estimates", "not is_masked and value = 0"),
    ):
        assert zero.query(f"select count(*) from {table} where {zero_cell}") == [(0,)], table
    # every other text stays as read: '-0' is a negative count, not a zero
    assert zero.query(
        "select line, value_text from raw_cells where file_name = 'delft.csv' and line in (3, 4, 5, 6) order by all"
    ) == [(4, "<5"), (5, "-0"), (5, "6")]
    assert zero.query("select file_name, len(cell_columns) from raw_cell_columns order by all") == [
        ("delft.csv", N_AGES),
        ("westland-2024.csv", N_AGES),
    ]


def test_rows_of_zero_cells_keep_their_row_facts(zero):
    assert zero.query("select file_name, line, reason_code from stg_duo_rows order by all") == [
        ("delft.csv", 2, None),
        ("delft.csv", 3, None),
        ("delft.csv", 4, None),
        ("delft.csv", 5, "negative_count"),
        ("delft.csv", 6, None),
        # the zero cells count in the row's sum as before: 0 (and 1..4) is not 7, nor 9
        ("westland-2024.csv", 2, "total_mismatch"),
        ("westland-2024.csv", 3, "total_mismatch"),
        ("westland-2024.csv", 4, None),
        ("westland-2024.csv", 5, None),
    ]
    assert zero.query(
        "select reason from stg_duo_rows where reason_code = 'total_mismatch' order by file_name, line"
    ) == [
        ("TOTAAL 7 does not match the age columns (0 plus 0 cells of 1 to 4)",),
        ("TOTAAL 9 does not match the age columns (0 plus 1 cells of 1 to 4)",),
    ]
    # every accepted row is in int_row_estimates, the rows of zeros with 0 pupils
    assert zero.query(
        """select file_name, line, students, unmasked_students, masked_cells from int_row_estimates
           where students = 0 order by all"""
    ) == [("delft.csv", 3, 0.0, 0, 0), ("delft.csv", 6, 0.0, 0, 0), ("westland-2024.csv", 4, 0.0, 0, 0)]
    assert zero.query("select count(*) from int_row_estimates") == zero.query(
        "select count(*) from stg_duo_rows where reason_code is null"
    )
    # and in their flow (municipality_flows_reconcile held: every accepted row in one flow)
    assert zero.query(
        "select sum(input_rows) from municipality_flows where destination_code = 'GM0503' and sector = 'BO'"
    ) == [(4,)]


def test_a_location_counts_its_zero_cells(zero):
    assert zero.query(
        "select school_location_id, status, n_cells, n_masked, unmasked_sum from int_location_masking order by all"
    ) == [
        ("04MF00", "no_total", 3 * N_AGES, 2, 10),
        ("05XZ00", "no_masked", 2 * N_AGES, 0, 20),
        ("07AB00", "no_masked", N_AGES, 0, 0),
    ]
