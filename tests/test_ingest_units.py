"""Fast tests of the file reader (no Dagster): dialects, decoding, header recognition, count dates.

The pipeline tests (test_dialects.py etc.) check the same behaviour end to end; these
say more precisely where it broke when one fails.
"""

from __future__ import annotations

import itertools

import polars as pl
import pytest

import fixtures as F
from grensverkeer.ingest.kinds import PO_AGE_LABELS, PO_LOCATION_TOTALS, PO_PC4, PO_PC4_HEADER, VO_PC4, recognise
from grensverkeer.ingest.load import _years_from_peildatum, parse_file
from grensverkeer.ingest.text import FileRejected, decode, normalise_column_name, read_text_table

ROWS = F.DELFT_ROWS + F.WESTLAND_ROWS


def _canonical(parsed) -> list[tuple]:
    t = parsed.table
    cols = {c: f"f{t.header.index(h)}" for c, h in parsed.mapping.items()}
    cells = [f"f{t.header.index(h)}" for h in parsed.cell_columns]
    frame = t.fields.select(
        [pl.col(v).alias(k) for k, v in sorted(cols.items())] + [pl.concat_str(cells, separator="|").alias("cells")]
    )
    return [(*row, n) for row, n in zip(frame.rows(), t.lines["n_fields"])]


@pytest.mark.parametrize("generation", F.GENERATIONS)
def test_every_dialect_parses_to_the_same_values(tmp_path, generation):
    results = {}
    for enc, delim, quoting, eol in itertools.product(F.ENCODINGS, F.DELIMITERS, F.QUOTINGS, F.NEWLINES):
        path = F.write_po(
            tmp_path / f"{enc}{ord(delim)}{quoting}{len(eol)}_2024.csv",
            ROWS,
            generation=generation,
            encoding=enc,
            delimiter=delim,
            quoting=quoting,
            newline=eol,
            peildatum=(generation == "new"),
        )
        parsed = parse_file(path, path.name, "")
        assert parsed.kind is PO_PC4
        assert (parsed.table.encoding, parsed.table.delimiter) == (enc, delim)
        assert parsed.count_years.to_list() == [2024] * len(ROWS)
        results[path.name] = _canonical(parsed)
    reference = next(iter(results.values()))
    assert len(reference) == len(ROWS)
    assert all(r[-1] == len(F.po_records([], generation, peildatum=(generation == "new"))[0]) for r in reference)
    assert {r[parsed_col("home_municipality_name", generation)] for r in reference} >= {"Súdwest-Fryslân"}
    for name, got in results.items():
        assert got == reference, name


def parsed_col(canonical: str, generation: str) -> int:
    keys = sorted(
        [
            "brin",
            "location_no",
            "school_municipality_code",
            "home_pc4",
            "home_municipality_name",
            "soort",
            "school_municipality_name",
            "school_name",
            *(["peildatum"] if generation == "new" else ["total"]),
        ]
    )
    return keys.index(canonical)


def test_quoted_values_may_hold_the_delimiter_and_quotes(tmp_path):
    rows = [
        F.PoRow(
            F.School("02GJ", "00", 'College "De Populier", vwo; havo', "0518", "'s-Gravenhage"),
            "2565",
            "'s-Gravenhage",
            "Bo",
            {"4": 7},
        )
    ]
    for delim in F.DELIMITERS:
        path = F.write_po(tmp_path / f"q{ord(delim)}.csv", rows, delimiter=delim, quoting="all")
        table = read_text_table(path)
        assert table.lines["n_fields"].to_list() == [len(table.header)]
        assert table.fields[f"f{table.header.index('INSTELLINGSNAAM_VESTIGING')}"].to_list() == [
            'College "De Populier", vwo; havo'
        ]


def test_short_row_is_counted_as_short_not_padded(tmp_path):
    records = F.po_records(F.DELFT_ROWS[:2])
    records[2] = records[2][:10]
    table = read_text_table(F.write_records(tmp_path / "t.csv", records))
    assert table.lines["n_fields"].to_list() == [len(records[0]), 10]
    assert table.lines["line"].to_list() == [2, 3]


def test_blank_lines_are_skipped_but_line_numbers_kept(tmp_path):
    body = b"\n".join(";".join(r).encode() for r in F.po_records(F.DELFT_ROWS[:2]))
    path = tmp_path / "b.csv"
    path.write_bytes(body.replace(b"\n", b"\n\n", 1) + b"\n\n")
    assert read_text_table(path).lines["line"].to_list() == [3, 4]


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("Súdwest-Fryslân".encode(), "utf-8"),
        ("Súdwest-Fryslân".encode("utf-8-sig"), "utf-8-sig"),
        ("Súdwest-Fryslân".encode("cp1252"), "cp1252"),
    ],
)
def test_decode(data, encoding):
    assert decode(data) == ("Súdwest-Fryslân", encoding)


def test_bytes_invalid_in_utf8_and_cp1252_are_rejected_with_line():
    with pytest.raises(FileRejected) as exc:
        decode(b"A;B\nx;y\nab\x81\x8d;z\n")
    assert exc.value.reason_code == "undecodable" and exc.value.line == 3
    assert "0x81" in exc.value.message


def test_bom_with_invalid_utf8_is_rejected():
    with pytest.raises(FileRejected) as exc:
        decode(b"\xef\xbb\xbfA;B\nFl\xfbte;1\n")
    assert exc.value.reason_code == "undecodable" and exc.value.line == 2
    assert "0xfb" in exc.value.message


def test_binary_file_is_rejected():
    with pytest.raises(FileRejected) as exc:
        decode(b"PK\x03\x04\x00\x00binary")
    assert exc.value.reason_code == "not_text"


@pytest.mark.parametrize(
    "value, year",
    [
        ("20241001", 2024),
        ("20231001", 2023),
        ("20250301", 2024),
        ("20240801", 2024),
        ("20240731", 2023),
        ("2022", 2022),
        ("1-10-2024", None),
        ("", None),
    ],
)
def test_count_date_to_first_year_of_school_year(value, year):
    got = pl.DataFrame({"d": [value]}).select(_years_from_peildatum(pl.col("d"))).item()
    assert got == year


@pytest.mark.parametrize(
    "header, kind",
    [
        (F.po_records([], "new")[0], PO_PC4),
        (F.po_records([], "old")[0], PO_PC4),
        (F.po_records([], "old", peildatum=False)[0], PO_PC4),
        (F.VO_OLD_HEAD, VO_PC4),
        (F.VO_NEW_HEAD, VO_PC4),
        (F.TOTALS_HEAD + ["LEERLINGEN_2023", "LEERLINGEN_2024"], PO_LOCATION_TOTALS),
        (["NAAM", "ADRES", "PLAATS"], None),
        (["pseudo_id", "school_location_id", "home_municipality"], None),
    ],
)
def test_dataset_is_recognised_by_header(header, kind):
    assert recognise(header) is kind


@pytest.mark.parametrize("path", sorted((F.REPO / "data" / "inputs" / "duo").glob("* afgeschermd.csv")), ids=str)
def test_the_po_header_is_that_of_duos_real_2024_files(path):
    """PO_PC4_HEADER and PO_AGE_LABELS (what fixtures and the benchmark write) are DUO's own header."""
    header = read_text_table(path).header
    assert [normalise_column_name(h) for h in header] == [
        *PO_PC4_HEADER,
        *(f"LEEFTIJD_{a}" for a in PO_AGE_LABELS),
    ]


def test_file_name_does_not_decide_the_kind(tmp_path):
    vo = F.write_vo(tmp_path / "leerlingen-po-per-gemeente.csv", F.VO_NEW_ROWS)
    po = F.write_po(tmp_path / "leerlingen-vo-per-vestiging.txt", F.DELFT_ROWS)
    assert parse_file(vo, vo.name, "").kind is VO_PC4
    assert parse_file(po, po.name, "").kind is PO_PC4


def test_vo_file_without_count_date_takes_the_year_from_its_name(tmp_path):
    path = F.write_vo(tmp_path / "vo-2019.csv", F.VO_OLD_ROWS, generation="old")
    assert parse_file(path, path.name, "").count_years.to_list() == [2019] * len(F.VO_OLD_ROWS)
    nameless = F.write_vo(tmp_path / "vo.csv", F.VO_OLD_ROWS, generation="old")
    with pytest.raises(FileRejected) as exc:
        parse_file(nameless, nameless.name, "")
    assert exc.value.reason_code == "no_count_date"


@pytest.mark.parametrize(
    "raw, norm",
    [
        ("LEER- OF VERBLIJFSJAAR 1", "LEER_OF_VERBLIJFSJAAR_1"),
        ("BRIN NUMMER", "BRIN_NUMMER"),
        ("\ufeffPEILDATUM", "PEILDATUM"),
        ("gemeentenaam_leerling", "GEMEENTENAAM_LEERLING"),
    ],
)
def test_normalise_column_name(raw, norm):
    assert normalise_column_name(raw) == norm
