"""Bad input: one pipeline run over a folder with several independent broken files.

Each broken file (or broken line) must end up in rejected_files / rejected_rows with a
reason naming the file, line and column, while the good files and good lines still load
and every input row stays accounted for.
"""

from __future__ import annotations

import pytest

import fixtures as F

YEAR = "2024-2025"

# Rijswijk, BO, one file with a different problem on each line (line numbers are file lines).
RIJSWIJK = [
    F.PoRow(F.RIJSWIJK_BO, "2282", "Rijswijk", "Bo", {"4": 20}),  # 2 good
    F.PoRow(F.RIJSWIJK_BO, "2283", "Rijswijk", "Bo", {"7": 6}, {"LEEFTIJD_7": "abc"}),  # 3 not a number
    F.PoRow(F.RIJSWIJK_BO, "2284", "Rijswijk", "Bo", {"5": 6}, {"LEEFTIJD_5": "-2"}),  # 4 negative
    F.PoRow(F.RIJSWIJK_BO, "2285", "Rijswijk", "Bo", {"8": 7}),  # 5 truncated below
    F.PoRow(F.RIJSWIJK_BO, "2286", "Rijswijk", "Xo", {"9": 8}),  # 6 unknown SOORT_PO
    F.PoRow(F.RIJSWIJK_BO, "2281", "Rijswijk", "Bo", {"6": 3}),  # 7 good, masked
    F.PoRow(F.RIJSWIJK_BO, "2287", "Rijswijk", "Bo", {"4": 5}, peildatum="1-10-2024"),  # 8 bad count date
]
# VO, old generation: the second location is in no school list and the file has no school municipality.
VO_UNKNOWN = [F.VO_OLD_ROWS[0], F.VoRow("99XX00", "", "", "", "2242", "WASSENAAR", "0629", "Wassenaar", {1: 7})]
BAD_TOTALS_LINE = ["07MH", "07MH00", "De Akker", "BO", "Openbaar", "1", "603", "RIJSWIJK", "", "", "", "veel", ""]

EXPECTED_REJECTED_ROWS = {
    # (file, line): (column, reason_code, words the reason must contain)
    ("Rijswijk fouten.csv", 3): ("LEEFTIJD_7", "non_numeric_count", ["LEEFTIJD_7", "abc"]),
    ("Rijswijk fouten.csv", 4): ("LEEFTIJD_5", "negative_count", ["LEEFTIJD_5", "-2"]),
    ("Rijswijk fouten.csv", 5): ("PROVINCIE", "truncated_row", ["10", "37", "PROVINCIE"]),
    ("Rijswijk fouten.csv", 6): ("SOORT_PO", "unknown_soort_po", ["SOORT_PO", "Xo"]),
    ("Rijswijk fouten.csv", 8): ("PEILDATUM", "invalid_count_date", ["1-10-2024"]),
    ("vo-2024.csv", 3): ("VESTIGINGSNUMMER", "unknown_school_location", ["99XX00"]),
    ("Westland-2024.csv", 3): ("TOTAAL", "total_mismatch", ["TOTAAL", "99"]),
    ("06-totalen.csv", 6): ("LEERLINGEN_2024", "non_numeric_count", ["LEERLINGEN_2024", "veel"]),
}
EXPECTED_REJECTED_FILES = {
    # file: (line, column, reason_code, words the reason must contain)
    "geen-soort.csv": (1, "SOORT_PO", "missing_columns", ["SOORT_PO"]),
    "leeg.csv": (None, None, "empty_file", ["empty"]),
    "alleen-kop.csv": (1, None, "no_rows", ["no data rows"]),
    "kapot.csv": (3, None, "undecodable", ["0x81", "line 3"]),
    "adressen.csv": (1, None, "unknown_dataset", ["header"]),
}


def _write_bad_folder(folder):
    F.write_po(folder / "Delft.csv", F.DELFT_ROWS)
    (folder / "Delft - kopie.csv").write_bytes((folder / "Delft.csv").read_bytes())
    F.write_totals(folder / "06-totalen.csv", F.BASE_TOTALS, soort=F.BASE_SOORT, extra_records=[BAD_TOTALS_LINE])

    records = F.po_records(RIJSWIJK)
    records[4] = records[4][:10]  # line 5: cut off after PLAATSNAAM
    F.write_records(folder / "Rijswijk fouten.csv", records)

    old = [
        F.PoRow(r.school, r.home_pc4, r.home_name, r.soort, r.counts, {"TOTAAL": "99"} if i == 1 else {})
        for i, r in enumerate(F.WESTLAND_ROWS)
    ]
    F.write_po(folder / "Westland-2024.csv", old, generation="old", peildatum=False, encoding="cp1252")

    F.write_vo(folder / "vo-2024.csv", VO_UNKNOWN, generation="old")

    no_soort = [
        [v for h, v in zip(F.po_records(F.DELFT_ROWS)[0], rec) if h != "SOORT_PO"]
        for rec in F.po_records(F.DENHAAG_ROWS)
    ]
    F.write_records(folder / "geen-soort.csv", no_soort)
    (folder / "leeg.csv").write_bytes(b"")
    F.write_records(folder / "alleen-kop.csv", F.po_records([])[:1])
    # valid UTF-8 up to line 3, where 0x81 0x8D are neither UTF-8 nor cp1252
    header, line2, line3 = (";".join(rec).encode("utf-8") for rec in F.po_records(F.DENHAAG_ROWS[:2]))
    assert b"Rijswijk" in line3
    (folder / "kapot.csv").write_bytes(b"\n".join([header, line2, line3.replace(b"Rijswijk", b"Rijsw\x81\x8dk"), b""]))
    F.write_records(folder / "adressen.csv", [["NAAM", "ADRES", "PLAATS"], ["x", "y", "z"]])


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    _write_bad_folder(root / "in")
    return F.run(root / "in", root / "warehouse.duckdb", root / "out", ["GM0503", "GM0603", "GM1783"])


def test_run_completes_and_blocking_checks_pass(bad):
    assert bad.outcome.school_years == [YEAR]
    assert bad.outcome.failures == []


@pytest.mark.parametrize("file_name", sorted(EXPECTED_REJECTED_FILES))
def test_unusable_file_is_rejected_with_reason_line_and_column(bad, file_name):
    line, column, code, words = EXPECTED_REJECTED_FILES[file_name]
    got = bad.query(
        "select line, column_name, reason_code, reason from rejected_files where file_name = ?", [file_name]
    )
    assert len(got) == 1, got
    assert got[0][:3] == (line, column, code)
    for w in words:
        assert w in got[0][3], got[0][3]
    assert bad.query("select status from input_files where file_name = ?", [file_name]) == [("rejected",)]
    assert bad.query("select count(*) from raw_rows where file_name = ?", [file_name]) == [(0,)]


@pytest.mark.parametrize("file_name, line", sorted(EXPECTED_REJECTED_ROWS))
def test_bad_row_is_quarantined_with_file_line_and_column(bad, file_name, line):
    column, code, words = EXPECTED_REJECTED_ROWS[(file_name, line)]
    got = bad.query(
        """select column_name, reason_code, reason, raw_text from rejected_rows
                       where school_year = ? and file_name = ? and line = ?""",
        [YEAR, file_name, line],
    )
    assert len(got) == 1, got
    assert got[0][:2] == (column, code)
    for w in words:
        assert w in got[0][2], got[0][2]
    assert got[0][3]  # the raw line is kept


def test_only_the_expected_rows_are_rejected(bad):
    got = bad.query("select file_name, line from rejected_rows where reason_code <> 'duplicate_row'")
    assert sorted(got) == sorted(EXPECTED_REJECTED_ROWS)


def test_same_file_under_two_names_is_loaded_once(bad):
    status = dict(bad.query("select file_name, status from input_files where file_name like 'Delft%'"))
    assert sorted(status.values()) == ["duplicate", "loaded"]
    dup = next(n for n, s in status.items() if s == "duplicate")
    reason = bad.query("select reason_code, reason from rejected_files where file_name = ?", [dup])
    assert reason[0][0] == "duplicate_file" and next(n for n in status if n != dup) in reason[0][1]
    # flows into Delft are those of one copy (hand values, see fixtures.BASE_EXACT_FLOWS)
    flows = bad.flows()
    assert {k: v for k, v in flows.items() if k[2] == "GM0503" and k[0] == "BO"} == {
        ("BO", "GM0503", "GM0503"): (23, 23, 23),
        ("BO", "GM0603", "GM0503"): (7, 7, 7),
        ("BO", "GM0518", "GM0503"): (13, 13, 13),
    }
    assert {k: v[1:] for k, v in flows.items() if k[2] == "GM0503" and k[0] != "BO"} == {
        k: v[1:] for k, v in F.BASE_ESTIMATED_FLOWS.items() if k[2] == "GM0503" and k[0] in ("SO", "VSO")
    }


def test_good_lines_of_a_file_with_bad_lines_still_count(bad):
    # Rijswijk: line 2 (20 pupils) and line 7 (one masked cell: 1..4)
    students, low, high = bad.flows()[("BO", "GM0603", "GM0603")]
    assert (low, high) == (21, 24) and 21 <= students <= 24
    assert bad.query("select count(*) from municipality_flows where destination_code = 'GM0603'") == [(1,)]
    # Westland (old generation, year from the file name): every row but the mismatching one
    flows = bad.flows()
    assert flows[("BO", "GM1783", "GM1783")] == (38, 38, 38)
    assert flows[("BO", "BUITENLAND", "GM1783")] == (9, 9, 9)
    assert ("BO", "GM0503", "GM1783") not in flows


def test_every_input_row_is_accounted_for(bad):
    assert F.rows_accounted(bad) == []
    loaded = [
        n
        for (n,) in bad.query(
            "select file_name from input_files where status = 'loaded' and kind in ('duo_po_pc4', 'duo_vo_pc4')"
        )
    ]
    assert sorted(loaded) == ["Delft - kopie.csv", "Rijswijk fouten.csv", "Westland-2024.csv", "vo-2024.csv"]
    n_input = sum(F.data_rows_in(bad.input_dir / n) for n in loaded)
    assert n_input == 8 + 7 + 4 + 2
    accepted, rejected = bad.query(
        "select count(*) filter (where reason_code is null), "
        "count(*) filter (where reason_code is not null) from stg_duo_rows"
    )[0]
    assert (accepted, rejected) == (n_input - 7, 7)
    assert bad.query("select sum(input_rows) from municipality_flows") == [(accepted,)]


def test_a_school_with_a_rejected_row_shows_duo_total_on_its_page_as_in_the_export(bad):
    """One truth: De Flûte (Westland) lost a row (total_mismatch), so its published cells add up to less than
    DUO's location total; its page prints DUO's total, as the export's Scholen sheet does, and says why the
    tables hold fewer pupils."""
    import polars as pl

    sid = "05XZ00"
    [(duo, cells)] = bad.query(
        "select duo_total_low, students from pub_school_totals where school_year = ? and school_location_id = ?",
        [YEAR, sid],
    )
    assert duo == 59 and cells < duo
    page = (bad.out_dir / "site" / "school" / f"{sid}.html").read_text(encoding="utf-8")
    assert f"volgens DUO (alle sectoren): <b>{duo}</b>" in page
    assert f"In de tabellen hieronder staan er {cells}:" in page and "afgewezen" in page
    assert "<b>Totaal in deze tabel</b>" in page
    scholen = pl.read_csv(bad.out_dir / "exports" / YEAR / "scholen.csv", separator=";", infer_schema=False)
    assert scholen.filter(pl.col("School (BRIN + vestiging)") == sid)["Leerlingen (DUO-totaal)"].to_list() == [str(duo)]
    site = pl.read_csv(bad.out_dir / "site" / "data" / "cijfers.csv", infer_schema=False)
    assert site.filter(pl.col("cell_id") == f"duo|{YEAR}|{sid}")["label"].to_list() == [str(duo)]
