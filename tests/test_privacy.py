"""Tests of BSN detection and pseudonymisation (grensverkeer.privacy).

The elfproef of a 9-digit number d1..d9 is 9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7
+ 2*d8 - 1*d9 ≡ 0 (mod 11). `elf_ok` below is an independent per-value oracle; the known
values are also worked out by hand in comments.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import random
import re
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grensverkeer.privacy import (
    KEY_ENV,
    BsnFound,
    MissingKey,
    _connect,
    add_pseudonymise_parser,
    bsn_refusal_message,
    elfproef,
    find_bsn_columns,
    is_identifier_column,
    key_from_environment,
    pseudonymise_file,
    read_table,
)

KEY = b"test-key-0123456789abcdef"
OTHER_KEY = b"another-key-0123456789abcdef"


def elf_ok(s: str) -> bool:
    """Oracle: stripped, separators between digits dropped, 8 or 9 ASCII digits (8 = leading zero lost), weighted sum ≡ 0 mod 11, not all zero."""
    s = s.strip()
    if re.fullmatch(r"[0-9](?:[ .\-]?[0-9])*", s):  # a number written with separators: digits alone
        s = re.sub(r"[ .\-]", "", s)
    if not (len(s) in (8, 9) and all(c in "0123456789" for c in s)):
        return False
    s = s.rjust(9, "0")
    total = sum(w * int(c) for w, c in zip((9, 8, 7, 6, 5, 4, 3, 2, -1), s))
    return total % 11 == 0 and s != "000000000"


def valid_bsns(n: int, seed: int) -> list[str]:
    """n distinct valid BSNs (9-digit strings, first digit may be 0)."""
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        head = f"{rng.randrange(10**8):08d}"
        check = sum(w * int(c) for w, c in zip((9, 8, 7, 6, 5, 4, 3, 2), head)) % 11
        if check < 10 and head + str(check) != "000000000":
            out.add(head + str(check))
    return sorted(out)


def pass_flags(values: list) -> list[bool]:
    return pl.DataFrame({"v": values}).select(elfproef(pl.col("v"))).to_series().to_list()


# --------------------------------------------------------------------------- elfproef

KNOWN = [
    # 111222333: 9+8+7 + 6*2+5*2+4*2 + 3*3+2*3 - 3 = 24 + 30 + 15 - 3 = 66 = 6*11 -> valid
    ("111222333", True),
    # 123456782: 9+16+21+24+25+24+21+16 - 2 = 156 - 2 = 154 = 14*11 -> valid
    ("123456782", True),
    # 012345672: 0+8+14+18+20+20+18+14 - 2 = 112 - 2 = 110 = 10*11 -> valid (leading zero)
    ("012345672", True),
    # the same BSN stored as a number: 8 digits, left-padded to 012345672 -> valid
    ("12345672", True),
    # surrounding whitespace is ignored
    (" 123456782\t", True),
    # 123456789: 156 - 9 = 147 = 13*11 + 4 -> invalid
    ("123456789", False),
    # 111222334: 66 - 1 = 65 = 5*11 + 10 -> invalid
    ("111222334", False),
    # 12345678 -> 012345678: 112 - 8 = 104 = 9*11 + 5 -> invalid
    ("12345678", False),
    # 000000000: sum 0, but all zeros is excluded
    ("000000000", False),
    # ten digits, letters, sign, inner space, too short
    ("1234567820", False),
    ("12345678a", False),
    ("-12345672", False),
    # written with spaces, dots or dashes between the digits: the same number
    ("1234 56782", True),
    ("1234.56.782", True),
    ("123 456 782", True),
    ("123-456-782", True),
    ("123.456.789", False),
    # two separators in a row, or one at an end, is not a way to write a number
    ("123..456782", False),
    ("123456782.", False),
    ("1234567", False),
    ("", False),
]


def test_elfproef_known_values():
    values = [v for v, _ in KNOWN]
    assert pass_flags(values) == [ok for _, ok in KNOWN]
    assert [elf_ok(v) for v in values] == [ok for _, ok in KNOWN]  # the oracle agrees with the hand arithmetic


def test_elfproef_null_and_integer_columns():
    assert pass_flags([None, "123456782"]) == [False, True]
    # integers: 12345672 is BSN 012345672 that lost its leading zero; 123456789 fails
    ints = pl.DataFrame({"v": [111222333, 12345672, 123456789, 0]})
    assert ints.select(elfproef(pl.col("v"))).to_series().to_list() == [True, True, False, False]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 a.-", min_size=0, max_size=11), min_size=1, max_size=20))
def test_elfproef_matches_oracle(values):
    assert pass_flags(values) == [elf_ok(v) for v in values]


def test_random_nine_digit_numbers_pass_about_one_in_eleven():
    rng = random.Random(7)
    ids = [f"{rng.randrange(10**8, 10**9)}" for _ in range(5000)]
    share = sum(pass_flags(ids)) / len(ids)
    assert 0.06 < share < 0.125


# --------------------------------------------------------------------------- identifier names


@pytest.mark.parametrize(
    "name",
    [
        "student_id",
        "studentId",
        "leerlingnummer",
        "Leerling nr.",
        "client",
        "BSN",
        "bsn_nummer",
        "Burgerservicenummer",
        "sofinummer",
        "pseudoniem",
        "persoons_id",
        "id",
        "klantnr",
        "Pupil",
    ],
)
def test_identifier_names(name):
    assert is_identifier_column(name)


@pytest.mark.parametrize(
    "name",
    [
        "postcode",
        "telefoon",
        "telefoonnummer",
        "Phone number",
        "bedrag",
        "amount",
        "iban",
        "school_year",
        "geboortedatum",
        "aantal",
        "sector",
    ],
)
def test_non_identifier_names(name):
    assert not is_identifier_column(name)


# --------------------------------------------------------------------------- detection


def test_nine_digit_numbers_in_non_identifier_columns_not_flagged():
    bsns = valid_bsns(40, seed=1)
    frame = pl.DataFrame(
        {
            "student_id": [f"p{i:04d}" for i in range(40)],
            "postcode": bsns,
            "telefoon": bsns,
            "telefoonnummer": [int(b) for b in bsns],
            "bedrag": bsns,
        }
    )
    assert find_bsn_columns(frame) == []


@pytest.mark.parametrize("as_int", [False, True])
def test_random_id_column_not_flagged(as_int):
    rng = random.Random(11)
    ids = [rng.randrange(10**8, 10**9) for _ in range(2000)]
    passing = sum(elf_ok(str(i)) for i in ids)
    assert 100 < passing < 280  # about 1 in 11 pass
    frame = pl.DataFrame({"student_id": ids if as_int else [str(i) for i in ids]})
    assert find_bsn_columns(frame) == []


def test_identifier_column_of_bsns_flagged_with_first_row():
    bsns = valid_bsns(10, seed=2)
    frame = pl.DataFrame({"student_id": ["x1", None, *bsns, "123456789"]})
    [f] = find_bsn_columns(frame)
    assert (f.column, f.values_checked, f.values_passing, f.first_row) == ("student_id", 12, 10, 3)


def test_bsn_named_column_flagged_on_a_single_passing_value():
    frame = pl.DataFrame({"bsn": ["123456789", "111222334", "123456782", ""], "x": ["a", "b", "c", "d"]})
    [f] = find_bsn_columns(frame)
    assert (f.column, f.values_passing, f.first_row) == ("bsn", 1, 3)
    # no passing value: not flagged
    assert find_bsn_columns(frame.filter(pl.col("bsn") != "123456782")) == []


def test_pseudonym_column_with_a_few_raw_bsns_flagged():
    pseudonyms = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(200)]
    bsns = valid_bsns(3, seed=3)
    leaked = pl.DataFrame({"leerling": pseudonyms[:50] + bsns + pseudonyms[50:]})
    [f] = find_bsn_columns(leaked)
    assert (f.values_passing, f.first_row) == (3, 51)
    one = pl.DataFrame({"leerling": pseudonyms + bsns[:1]})
    assert find_bsn_columns(one) == []


def test_neutral_column_name_flagged_only_when_nearly_all_are_bsns():
    bsns = valid_bsns(25, seed=4)
    assert [f.column for f in find_bsn_columns(pl.DataFrame({"kolom1": bsns}))] == ["kolom1"]
    assert find_bsn_columns(pl.DataFrame({"kolom1": bsns[:10]})) == []


def _write(frame: pl.DataFrame, path: Path, *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    if path.suffix == ".csv":
        buf = io.StringIO()
        frame.write_csv(buf, separator=delimiter)
        path.write_bytes(buf.getvalue().encode(encoding))
    elif path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_excel(path)
    return path


@pytest.mark.parametrize(
    "name,delimiter,encoding",
    [
        ("in.csv", ";", "cp1252"),
        ("in.csv", ",", "utf-8-sig"),
        ("in.parquet", ",", ""),
        ("in.xlsx", ",", ""),
    ],
)
def test_bsn_column_flagged_in_each_format(tmp_path, name, delimiter, encoding):
    bsns = valid_bsns(5, seed=5)
    frame = pl.DataFrame(
        {
            "school_year": ["2023-2024"] * 6,
            "student_id": ["", *bsns],
            "gemeente": ["Café €", "Delft", "Delft", "Rijswijk", "Westland", "Zoetermeer"],
        }
    )
    path = _write(frame, tmp_path / name, delimiter=delimiter, encoding=encoding or "utf-8")
    table = read_table(path)
    assert table.columns[0] == "_row" and table["_row"].to_list() == [1, 2, 3, 4, 5, 6]
    assert table["gemeente"][0] == "Café €"
    [f] = find_bsn_columns(table)
    assert (f.column, f.values_checked, f.values_passing, f.first_row) == ("student_id", 5, 5, 2)


def test_excel_numbers_that_lost_their_leading_zero_flagged(tmp_path):
    bsns = ["012345672", *valid_bsns(4, seed=6)]
    path = _write(pl.DataFrame({"bsn": [int(b) for b in bsns]}), tmp_path / "n.xlsx")
    table = read_table(path)
    assert table["bsn"][0] == "12345672"
    [f] = find_bsn_columns(table)
    assert (f.values_passing, f.first_row) == (5, 1)


def test_read_table_refuses_unsupported_and_unreadable(tmp_path):
    with pytest.raises(ValueError, match="data.json"):
        read_table(tmp_path / "data.json")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="broken.xlsx"):
        read_table(bad)


def test_refusal_message_names_file_column_row_and_fix():
    bsns = valid_bsns(3, seed=8)
    findings = find_bsn_columns(pl.DataFrame({"student_id": ["", *bsns]}))
    msg = bsn_refusal_message("inschrijvingen 2024.csv", findings)
    assert "inschrijvingen 2024.csv" in msg and "'student_id'" in msg and "data row 2" in msg
    assert 'grensverkeer pseudonymise "inschrijvingen 2024.csv"' in msg and "--column student_id" in msg
    assert KEY_ENV in msg
    assert not any(b in msg for b in bsns)
    err = BsnFound("inschrijvingen 2024.csv", findings)
    assert err.message == msg and err.file_name == "inschrijvingen 2024.csv" and err.findings == findings


# --------------------------------------------------------------------------- HMAC


@pytest.mark.parametrize(
    "key", [b"k" * 16, bytes(range(64)), bytes(range(65)), b"\xff" * 200, "sleutel-é€".encode() * 2]
)
def test_duckdb_hmac_equals_python_hmac(key):
    values = ["123456782", "Zoë", "a", "x" * 300, "012345672"]
    con = _connect(key)
    got = con.execute("SELECT gv_hmac(v) FROM unnest(?) t(v)", [values]).fetchall()
    con.close()
    assert [g[0] for g in got] == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]


# --------------------------------------------------------------------------- pseudonymise


def _all_text(path: Path) -> bytes:
    """Every byte of a file; for XLSX, every decompressed member of the zip."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            data += b"".join(z.read(n) for n in z.namelist())
    return data


def _source(tmp_path: Path, suffix: str) -> tuple[Path, list[str]]:
    bsns = valid_bsns(30, seed=9)
    frame = pl.DataFrame(
        {
            "student_id": [None, "", *bsns[:28]],
            "school_location_id": ["05YX12"] * 30,
            "leerling_bsn": bsns[2:] + [None, "  "],
            "birth_year": [str(2010 + i % 5) for i in range(30)],
        }
    )
    return _write(frame, tmp_path / f"src{suffix}", delimiter=";"), bsns


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_pseudonymise_roundtrip(tmp_path, suffix):
    src, bsns = _source(tmp_path, suffix)
    out1, out2, out3 = (tmp_path / f"o{i}{suffix}" for i in (1, 2, 3))
    cols = ["student_id", "leerling_bsn"]
    assert pseudonymise_file(src, out1, cols, KEY) == 30
    assert pseudonymise_file(src, out2, cols, KEY) == 30
    assert pseudonymise_file(src, out3, cols, OTHER_KEY) == 30
    if suffix != ".xlsx":  # xlsx embeds a creation time; compare the contents there
        assert out1.read_bytes() == out2.read_bytes()
    if suffix == ".csv":
        assert out1.read_bytes().splitlines()[0] == b"student_id;school_location_id;leerling_bsn;birth_year"
    # no raw value anywhere in the output, not even its 8-digit or 4-digit tail
    raw = _all_text(out1)
    for b in bsns:
        assert b.encode() not in raw and b[1:].encode() not in raw
    a, b, c = (read_table(p) for p in (out1, out2, out3))
    assert a.equals(b)
    sid = a["student_id"].to_list()
    # NULL and empty stay empty (CSV and XLSX write NULL as an empty cell)
    assert sid[0] in (None, "") and sid[1] in (None, "")
    if suffix == ".parquet":
        assert sid[:2] == [None, ""]
    expected = [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in bsns[:28]]
    assert sid[2:] == expected
    assert a["leerling_bsn"].to_list()[:28] == [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in bsns[2:]]
    assert a["leerling_bsn"].to_list()[29] in (None, "")  # whitespace only -> empty
    # the same BSN in both columns gets the same pseudonym (bsns[2] is in row 5 and row 1)
    assert a["student_id"][4] == a["leerling_bsn"][0]
    # other columns unchanged
    assert a["school_location_id"].to_list() == ["05YX12"] * 30
    assert a["birth_year"].to_list() == [str(2010 + i % 5) for i in range(30)]
    # a wrong key gives other pseudonyms, all of them
    assert all(x != y for x, y in zip(sid[2:], c["student_id"].to_list()[2:]))
    # and the output no longer trips the BSN check
    assert find_bsn_columns(a) == []


def test_pseudonymise_links_text_and_excel_numbers_and_converts_formats(tmp_path):
    csv_src = _write(pl.DataFrame({"bsn": ["012345672", "123456782"], "x": ["1", "2"]}), tmp_path / "a.csv")
    xlsx_src = _write(pl.DataFrame({"bsn": [12345672, 123456782], "x": [1, 2]}), tmp_path / "b.xlsx")
    pq_src = _write(pl.DataFrame({"bsn": [12345672, 123456782], "x": [1.5, 2.0]}), tmp_path / "c.parquet")
    assert pseudonymise_file(csv_src, tmp_path / "a.parquet", ["bsn"], KEY) == 2
    assert pseudonymise_file(xlsx_src, tmp_path / "b.csv", ["bsn"], KEY) == 2
    assert pseudonymise_file(pq_src, tmp_path / "c.xlsx", ["bsn"], KEY) == 2
    expected = [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in ("012345672", "123456782")]
    assert pl.read_parquet(tmp_path / "a.parquet")["bsn"].to_list() == expected
    assert read_table(tmp_path / "b.csv")["bsn"].to_list() == expected
    assert read_table(tmp_path / "c.xlsx")["bsn"].to_list() == expected
    assert pl.read_parquet(tmp_path / "a.parquet")["x"].to_list() == ["1", "2"]


def test_pseudonymise_cp1252_csv_with_euro_sign(tmp_path):
    src = tmp_path / "w.csv"
    src.write_bytes("student_id;omschrijving\n123456782;€ 5 “extra”\n111222333;café\n".encode("cp1252"))
    dst = tmp_path / "w_out.csv"
    assert pseudonymise_file(src, dst, ["student_id"], KEY) == 2
    text = dst.read_bytes().decode("utf-8")
    assert "€ 5 “extra”" in text and "café" in text
    assert "123456782" not in text and "111222333" not in text
    assert text.splitlines()[1].startswith(hmac.new(KEY, b"123456782", hashlib.sha256).hexdigest() + ";")


def test_pseudonymise_refuses_missing_column(tmp_path):
    src, _ = _source(tmp_path, ".csv")
    dst = tmp_path / "out.csv"
    with pytest.raises(ValueError, match=r"'leerlingnummer'.*'student_id'.*'birth_year'"):
        pseudonymise_file(src, dst, ["leerlingnummer"], KEY)
    assert not dst.exists()


def test_pseudonymise_errors_do_not_echo_raw_values(tmp_path):
    src = tmp_path / "ragged.csv"
    src.write_text("student_id,x\n111222333,1\n123456782,2,3,4\n")
    with pytest.raises(ValueError) as info:
        pseudonymise_file(src, tmp_path / "out.csv", ["student_id"], KEY)
    assert "ragged.csv" in str(info.value)
    assert "123456782" not in str(info.value) and "111222333" not in str(info.value)
    assert not (tmp_path / "out.csv").exists()
    # a file without a header: its first row would be the column names; they are not echoed
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("123456782;05YX12\n111222333;05YX12\n")
    with pytest.raises(ValueError, match="student_id") as info:
        pseudonymise_file(headerless, tmp_path / "out.csv", ["student_id"], KEY)
    assert "123456782" not in str(info.value) and "05YX12" in str(info.value)


def test_pseudonymise_refuses_unsupported_output(tmp_path):
    src, _ = _source(tmp_path, ".csv")
    with pytest.raises(ValueError, match="out.json"):
        pseudonymise_file(src, tmp_path / "out.json", ["student_id"], KEY)
    with pytest.raises(ValueError, match="another file"):
        pseudonymise_file(src, src, ["student_id"], KEY)


# --------------------------------------------------------------------------- key and CLI


def test_key_from_environment(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(MissingKey, match=KEY_ENV) as info:
        key_from_environment()
    assert "secrets.token_hex(32)" in str(info.value)
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(MissingKey, match="at least 16"):
        key_from_environment()
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert key_from_environment() == KEY


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grensverkeer")
    add_pseudonymise_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli(tmp_path, monkeypatch, capsys):
    src, bsns = _source(tmp_path, ".csv")
    dst = tmp_path / "out.csv"
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert _cli(["pseudonymise", str(src), str(dst), "--column", "student_id"]) == 2
    assert KEY_ENV in capsys.readouterr().err and not dst.exists()

    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert _cli(["pseudonymise", str(src), str(dst), "--column", "nope"]) == 2
    assert "'nope'" in capsys.readouterr().err and not dst.exists()
    assert _cli(["pseudonymise", str(tmp_path / "missing.csv"), str(dst), "--column", "student_id"]) == 2
    assert "missing.csv" in capsys.readouterr().err

    assert _cli(["pseudonymise", str(src), str(dst), "--column", "student_id", "--column", "leerling_bsn"]) == 0
    out = capsys.readouterr().out
    assert "30 rows" in out and out.count("\n") == 1
    raw = dst.read_bytes()
    assert not any(b.encode() in raw for b in bsns)


def test_no_spill_directory():
    con = _connect(KEY)
    assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [("",)]
    con.close()
    assert isinstance(con, duckdb.DuckDBPyConnection)


# --------------------------------------------------------------------------- notations and free text (issue 14)


def _dotted(b: str) -> str:
    return f"{b[:4]}.{b[4:6]}.{b[6:]}"


def _spaced(b: str) -> str:
    return f"{b[:3]} {b[3:6]} {b[6:]}"


@pytest.mark.parametrize("write", [_dotted, _spaced, lambda b: f"{b[:3]}-{b[3:6]}-{b[6:]}", lambda b: b.lstrip("0")])
def test_identifier_column_of_bsns_in_any_notation_flagged_with_masked_example(write):
    bsns = valid_bsns(10, seed=12)
    frame = pl.DataFrame({"student_id": [write(b) for b in bsns]})
    [f] = find_bsn_columns(frame)
    assert (f.column, f.values_passing, f.first_row) == ("student_id", 10, 1)
    assert f.example == re.sub("[0-9]", "x", write(bsns[0]))
    msg = bsn_refusal_message("e.csv", [f])
    assert f.example in msg and not any(b in msg or write(b) in msg for b in bsns)


def test_random_numbers_in_dotted_notation_not_flagged():
    # The same share rule as for plain numbers: random 9-digit numbers pass 1 time in 11.
    rng = random.Random(13)
    ids = [_dotted(f"{rng.randrange(10**8, 10**9)}") for _ in range(2000)]
    assert find_bsn_columns(pl.DataFrame({"student_id": ids})) == []


def test_bsn_named_in_free_text_flagged_on_one_value():
    bsn = valid_bsns(1, seed=14)[0]
    texts = ["ambulante hulp"] * 30 + [f"ambulante hulp (bsn {bsn})"] + ["pleegzorg"] * 10
    [f] = find_bsn_columns(pl.DataFrame({"support_type": texts}))
    assert (f.column, f.values_passing, f.first_row, f.example) == ("support_type", 1, 31, "xxxxxxxxx")
    # written with dots inside the text, and said as 'burgerservicenummer'
    dotted = pl.DataFrame({"opmerking": ["", f"burgerservicenummer: {_dotted(bsn)}, zie dossier"]})
    [g] = find_bsn_columns(dotted)
    assert g.example == "xxxx.xx.xxx"


def test_free_text_with_a_passing_number_but_no_bsn_word_is_judged_by_share():
    bsns = valid_bsns(40, seed=15)
    # Numbers in text that are BSNs, unnamed: flagged when most 9-digit runs pass.
    flagged = pl.DataFrame({"notitie": [f"gesprek met ouders, nummer {b} gebeld" for b in bsns[:5]]})
    assert [f.column for f in find_bsn_columns(flagged)] == ["notitie"]
    # Random 9-digit numbers in text (order numbers): about 1 in 11 pass, never flagged;
    # nor one passing number among pseudonym-like text, nor digits glued to letters (hex).
    rng = random.Random(16)
    orders = [f"factuur {rng.randrange(10**8, 10**9)} betaald" for _ in range(500)]
    assert find_bsn_columns(pl.DataFrame({"notitie": orders})) == []
    assert find_bsn_columns(pl.DataFrame({"notitie": ["zie 2024 verslag", f"ref {bsns[0]}", "x"]})) == []
    hexes = [hashlib.sha256(str(i).encode()).hexdigest() + f"a{b}b" for i, b in enumerate(bsns)]
    assert find_bsn_columns(pl.DataFrame({"student_id": hexes})) == []
    # Dates, phone numbers and postcodes in text are not 9-digit runs.
    assert find_bsn_columns(pl.DataFrame({"notitie": ["2024-10-01 tel 06-12345678, 2611 AB bsn onbekend"] * 5})) == []
