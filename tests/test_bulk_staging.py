"""DUO files parsed in bulk (ingest/bulk.py) are staged exactly as one by one (load._parse_for_staging).

One folder holds ordinary files of one header in every dialect, files with the row-level
troubles staging must keep (short and long rows, blank lines, quoted delimiters and quotes,
whitespace, empty and quoted empty values, unreadable and typo count dates, two years, no
readable count date at all), and files the bulk parse must leave to the one-by-one path (a cut
off last line, an odd number of quotes, a short first row, no data rows, the sentinel
character, no year anywhere, not text, empty). Staged in bulk and staged one by one, every
staged table is the same, and only the files that must go one by one do.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

import fixtures as F
from grensverkeer import warehouse
from grensverkeer.ingest import bulk, load
from grensverkeer.ingest.files import input_name

DELFT = F.School("04MF", "00", "Basisschool De Flûte", "0503", "Delft")
DELFT_SHORT = F.School("04MF", "01", "Delft zonder voorloopnul", "503", "Delft")
WESTLAND = F.School("05AB", "00", 'School "t Kofschip; Westland', "1783", "Westland")


def _rows(n: int, school: F.School = DELFT, peildatum: str = "20241001") -> list[F.PoRow]:
    return [
        F.PoRow(school, f"{2600 + i % 40}", "Delft", "Bo", {"4": i % 7, "5": 1 + i % 3}, peildatum=peildatum)
        for i in range(n)
    ]


def _text(records: list[list[str]], delimiter: str = ";") -> str:
    return F._encode(records, encoding="utf-8", delimiter=delimiter, quoting="all", newline="\n").decode()


def _write(folder, name: str, text: str, encoding: str = "utf-8") -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


# Files the bulk parse leaves to the one-by-one path, with why.
ONE_BY_ONE = {
    "cut_off.csv": "the last line ends inside a quoted value",
    "odd_quotes.csv": "a line with an odd number of quotes",
    "short_first_row.csv": "the first row has fewer fields than the header",
    "long_first_row.csv": "the first row has more fields than the header",
    "header_only.csv": "no data rows",
    "sentinel.csv": "the sentinel character in a value",
    "old_no_year.csv": "no count date column and no year in the name",
    "excel.csv": "not text",
    "empty.csv": "empty",
    "unknown.csv": "an unknown header",
    "totals.csv": "the location totals file",
}


def _folder(root):
    folder = root / "in"
    # ordinary files in every dialect of the new and the old generation
    for enc in F.ENCODINGS:
        for delim in F.DELIMITERS:
            for eol in F.NEWLINES + ("\r",):
                for gen in F.GENERATIONS:
                    name = f"dialects/{enc}_{ord(delim)}_{len(eol)}{eol == chr(13)}_{gen}_2024.csv"
                    rows = _rows(5, F.School(f"{len(name) % 90 + 10:02d}QQ", "00", "De Flûte", "1783", "Westland"))
                    F.write_po(
                        folder / name,
                        rows,
                        generation=gen,
                        encoding=enc,
                        delimiter=delim,
                        quoting="all",
                        newline=eol,
                        peildatum=gen == "new",
                    )
    records = F.po_records(_rows(30) + _rows(3, DELFT_SHORT) + _rows(4, WESTLAND))
    n = len(records[0])
    lines = _text(records).splitlines()
    # short and long rows, blank lines, whitespace, empty and quoted empty values
    troubled = lines[:3] + [";".join(lines[3].split(";")[: n - 5]), lines[4] + ';"extra";"x"', "", "   "] + lines[5:]
    troubled[7] = troubled[7].replace('"Bo"', '"  Bo "').replace('"Delft"', '""', 1)
    troubled[8] = troubled[8].replace('"Bo"', "")
    troubled[9] = troubled[9].replace('"Bo"', '"\u00a0Bo\t"')  # Unicode and tab whitespace
    _write(folder, "troubled.csv", "\n".join(troubled) + "\n\n")
    # unquoted, CRLF, cp1252, no trailing newline
    _write(
        folder,
        "plain_cp1252.csv",
        "\r\n".join(";".join(r) for r in F.po_records(_rows(12))),
        encoding="cp1252",
    )
    # a typo count date in under 1% of the rows; unreadable dates; two years (a tie)
    typo = [*_rows(150), *_rows(1, peildatum="20421001")]
    F.write_po(folder / "typo_year.csv", typo)
    F.write_po(folder / "one_percent.csv", [*_rows(99), *_rows(1, peildatum="20421001")])  # not under 1%
    F.write_po(folder / "unreadable_dates.csv", [*_rows(20), *_rows(3, peildatum="1-10-2024")])
    F.write_po(
        folder / "two_years.csv",
        [*_rows(10, peildatum="20231001"), *_rows(10), *_rows(2, peildatum="")],
    )
    F.write_po(folder / "no_readable_date.csv", _rows(4, peildatum="okt 2024"))
    F.write_po(folder / "rare_everywhere.csv", [r for y in range(10, 30) for r in _rows(1, peildatum=f"20{y}1001")])
    # the one-by-one files
    _write(folder, "cut_off.csv", "\n".join(lines[:6])[:-1])
    _write(folder, "odd_quotes.csv", "\n".join(lines[:4] + [lines[4].replace('"Bo"', '"B"o"')] + lines[5:8]))
    _write(folder, "short_first_row.csv", "\n".join([lines[0], ";".join(lines[1].split(";")[:-1]), *lines[2:6]]))
    _write(folder, "long_first_row.csv", "\n".join([lines[0], lines[1] + ";", *lines[2:6]]))
    _write(folder, "header_only.csv", lines[0] + "\n\n")
    _write(folder, "sentinel.csv", "\n".join([lines[0], lines[1].replace("Delft", "Del\x01ft"), *lines[2:6]]))
    F.write_po(folder / "old_no_year.csv", _rows(3), generation="old", peildatum=False)
    (folder / "excel.csv").write_bytes(b"PK\x03\x04\x00\x00")
    (folder / "empty.csv").write_bytes(b"")
    _write(folder, "unknown.csv", "A;B\n1;2\n")
    F.write_totals(folder / "totals.csv", {DELFT: {2024: 10}})
    F.write_vo(
        folder / "vo.csv",
        [F.VoRow("07XY00", "VO school", "0503", "Delft", "2611", "DELFT", "0503", "Delft", {1: 6, 2: 3})],
    )
    return folder


def _staged(folder, monkeypatch, *, in_bulk: bool) -> tuple[dict[str, pl.DataFrame], set[str]]:
    alone: set[str] = set()
    parse = load._parse_for_staging

    def one_by_one(path, name, sha):
        alone.add(name)
        return parse(path, name, sha)

    with monkeypatch.context() as m:
        m.setattr(load, "_parse_for_staging", one_by_one)
        if not in_bulk:
            m.setattr(bulk, "prepare", lambda *args: None)
        m.setattr(bulk, "CHUNK_CHARS", 20_000)  # several inserts per group
        con = duckdb.connect()
        warehouse.setup(con)
        files = [(p, input_name(p, folder), F.sha256(p)) for p in load.list_input_files(folder)]
        load.stage_files(con, files)
        tables = {  # (version numbers are given in the order the files are written)
            t: con.sql(f"select * exclude (version) from {t} order by all").pl()
            for t in ("staged_duo_files", "duo_rows", "duo_cells")
        }
        tables["staged_duo_totals"] = con.sql("select * from staged_duo_totals order by all").pl()
        con.close()
    return tables, alone


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("bulk")
    folder = _folder(root)
    with pytest.MonkeyPatch.context() as mp:
        in_bulk = _staged(folder, mp, in_bulk=True)
        one_by_one = _staged(folder, mp, in_bulk=False)
    return folder, in_bulk, one_by_one


def test_only_the_files_that_must_go_one_by_one_do(staged):
    folder, (_, alone), (_, everything) = staged
    assert alone == set(ONE_BY_ONE)
    assert len(everything) == len(load.list_input_files(folder)) > len(alone) + 40


@pytest.mark.parametrize("table", ["staged_duo_files", "duo_rows", "duo_cells", "staged_duo_totals"])
def test_staged_in_bulk_as_one_by_one(staged, table):
    _, (in_bulk, _), (one_by_one, _) = staged
    assert in_bulk[table].height == one_by_one[table].height > 0
    assert in_bulk[table].equals(one_by_one[table])


def test_the_row_troubles_are_in_the_bulk_files(staged):
    """The comparison above is worth something only if the bulk files hold these troubles."""
    _, (in_bulk, _), _ = staged
    files = {r["file_name"]: r for r in in_bulk["staged_duo_files"].iter_rows(named=True)}
    rows = in_bulk["duo_rows"]
    troubled = rows.filter(pl.col("file_name") == "troubled.csv")
    assert (troubled["n_fields"] < troubled["expected_fields"]).any()
    assert (troubled["n_fields"] > troubled["expected_fields"]).any()
    assert troubled["first_missing_column"].drop_nulls().len() == 1
    assert set(troubled["line"]) == set(range(2, 41)) - {6, 7}  # blank lines skipped, numbers kept
    assert 'School "t Kofschip; Westland' in troubled["school_name"].to_list()
    assert files["typo_year.csv"]["count_years"] == [2024] and files["typo_year.csv"]["unreadable_dates"]
    assert files["one_percent.csv"]["count_years"] == [2024, 2042]
    assert files["unreadable_dates.csv"]["unreadable_dates"] and files["unreadable_dates.csv"]["dominant_year"] == 2024
    assert files["two_years.csv"]["count_years"] == [2023, 2024] and files["two_years.csv"]["dominant_year"] == 2023
    assert files["no_readable_date.csv"]["reason_code"] == "invalid_count_date"
    assert len(files["rare_everywhere.csv"]["count_years"]) == 20
    assert files["plain_cp1252.csv"]["encoding"] == "cp1252"
    assert "Basisschool De Flûte" in rows.filter(pl.col("file_name") == "plain_cp1252.csv")["school_name"].to_list()
    assert {files[n]["delimiter"] for n in files if n.startswith("dialects/")} == {";", ","}
    assert files["troubled.csv"]["single_school_municipality"] is False
    assert files["typo_year.csv"]["single_school_municipality"] is True
