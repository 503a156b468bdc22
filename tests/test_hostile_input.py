"""Files a careless or hostile supplier sends (issue 14), run as a user runs them:
`grensverkeer run` as a separate process on one folder made from the bundled real DUO files.

    Midden-Delfland mac.csv          the real file saved with CR-only line endings (Excel for Mac)
    Fr\\xfdsl\\xe2n afgeschermd.csv    the real Delft file under a name that is not valid UTF-8
    Wassenaar afgeschermd.csv        the real file, as is
    via-link.csv                     a symbolic link to the real Rijswijk file outside the folder
    weg.csv                          a symbolic link to a file that does not exist
    alleen-bom.csv                   only a UTF-8 byte order mark
    nul.csv                          the real Wassenaar file with NUL bytes in it
    dubbele-kop.csv                  the real Westland file with its header line repeated inside
    lang-veld.csv                    the real Zoetermeer file with one field of a million characters
    tikfout.csv                      the real Pijnacker-Nootdorp file with PEILDATUM 20421001 on line 2
    aanhalingsteken.csv              the real Leidschendam-Voorburg file with a closing quote missing on line 5

One bad file never stops the good ones: every good file loads and counts as in a run on the
good files alone; every bad one is refused by name; exit code 1; no traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import fixtures as F

DUO = F.REPO / "data" / "inputs" / "duo"
BAD_NAME = os.fsdecode(b"Fr\xfdsl\xe2n afgeschermd.csv")
STORED_BAD_NAME = "Fr\\xfdsl\\xe2n afgeschermd.csv"
GOOD = {
    "Midden-Delfland mac.csv": "Midden-Delfland afgeschermd.csv",
    STORED_BAD_NAME: "Delft afgeschermd.csv",
    "Wassenaar afgeschermd.csv": "Wassenaar afgeschermd.csv",
    "via-link.csv": "Rijswijk afgeschermd.csv",
}


def grensverkeer(root: Path, *args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed command, as a user starts it (stdout and stderr in one stream, in order)."""
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRENSVERKEER_")}
    env["DAGSTER_HOME"] = str(home)
    env.update(env_extra or {})
    exe = Path(sys.executable).with_name("grensverkeer")
    return subprocess.run(
        [str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=900
    )


def _write_folder(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True)
    outside.mkdir(parents=True)
    raw = (DUO / "Midden-Delfland afgeschermd.csv").read_bytes()
    (folder / "Midden-Delfland mac.csv").write_bytes(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    shutil.copy(DUO / "Delft afgeschermd.csv", folder / BAD_NAME)
    shutil.copy(DUO / "Wassenaar afgeschermd.csv", folder / "Wassenaar afgeschermd.csv")
    shutil.copy(DUO / "Rijswijk afgeschermd.csv", outside / "Rijswijk afgeschermd.csv")
    os.symlink(outside / "Rijswijk afgeschermd.csv", folder / "via-link.csv")
    os.symlink(outside / "verdwenen.csv", folder / "weg.csv")
    (folder / "alleen-bom.csv").write_bytes(b"\xef\xbb\xbf")
    wassenaar = (DUO / "Wassenaar afgeschermd.csv").read_bytes()
    (folder / "nul.csv").write_bytes(wassenaar[:200] + b"\x00\x00" + wassenaar[200:])
    westland = (DUO / "Westland afgeschermd.csv").read_bytes().split(b"\n")
    (folder / "dubbele-kop.csv").write_bytes(b"\n".join(westland[:5] + [westland[0]] + westland[5:]))
    zoetermeer = (DUO / "Zoetermeer afgeschermd.csv").read_bytes().split(b"\n")
    zoetermeer[3] = zoetermeer[3].replace(b";", b";" + b"x" * 1_000_000 + b";", 1)
    (folder / "lang-veld.csv").write_bytes(b"\n".join(zoetermeer))
    pijnacker = (DUO / "Pijnacker-Nootdorp afgeschermd.csv").read_bytes().split(b"\n")
    pijnacker[1] = pijnacker[1].replace(b"20241001", b"20421001", 1)
    (folder / "tikfout.csv").write_bytes(b"\n".join(pijnacker))
    leidschendam = (DUO / "Leidschendam-Voorburg afgeschermd.csv").read_bytes().split(b"\n")
    leidschendam[4] = leidschendam[4].replace(b'"Bo";', b'"Bo;', 1)
    assert leidschendam[4].count(b'"') % 2 == 1
    (folder / "aanhalingsteken.csv").write_bytes(b"\n".join(leidschendam))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "in"
    _write_folder(folder, root / "elders")
    done = grensverkeer(
        root, "run", "--input", str(folder), "--warehouse", str(root / "wh.duckdb"), "--out", str(root / "out")
    )
    return root, done


def _q(root: Path, sql: str, params=None):
    con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_no_traceback_and_exit_code_1(hostile):
    _, done = hostile
    assert "Traceback" not in done.stdout, done.stdout
    assert done.returncode == 1, done.stdout


def test_every_good_file_loads_all_its_rows(hostile):
    root, _ = hostile
    for stored, original in GOOD.items():
        assert _q(root, "select status from input_files where file_name = ?", [stored]) == [("loaded",)], stored
        staged = _q(root, "select count(*) from stg_duo_rows where file_name = ?", [stored])[0][0]
        assert staged == F.data_rows_in(DUO / original), stored


def test_cr_only_file_is_read_line_by_line(hostile):
    root, _ = hostile
    lines = [
        n
        for (n,) in _q(
            root, "select line from raw_rows where file_name = 'Midden-Delfland mac.csv' order by line limit 3"
        )
    ]
    assert lines == [2, 3, 4]


def test_name_that_is_not_utf8_is_stored_escaped_and_shown_readably(hostile):
    _, done = hostile
    assert STORED_BAD_NAME in done.stdout and '"Frýslân afgeschermd.csv"' in done.stdout


@pytest.mark.parametrize(
    "name,reason",
    [
        ("weg.csv", "symbolic link to"),
        ("alleen-bom.csv", "empty"),
        ("nul.csv", "NUL bytes"),
        ("aanhalingsteken.csv", "line 5 has an odd number of quotes"),
    ],
)
def test_bad_files_refused_by_name(hostile, name, reason):
    root, done = hostile
    [(message,)] = _q(root, "select reason from rejected_files where file_name = ?", [name])
    assert reason in message
    assert f"rejected file {name}: " in done.stdout


def test_repeated_header_and_huge_field_are_row_rejections(hostile):
    root, _ = hostile
    for name, original in (
        ("dubbele-kop.csv", "Westland afgeschermd.csv"),
        ("lang-veld.csv", "Zoetermeer afgeschermd.csv"),
    ):
        status = _q(root, "select status from input_files where file_name = ?", [name])
        assert status == [("loaded",)], name
        rejected = _q(
            root,
            "select count(*) from stg_duo_rows where file_name = ? and reason_code is not null "
            "and reason_code <> 'duplicate_row'",
            [name],
        )[0][0]
        assert rejected == 1, name
        lines = _q(root, "select count(*) from stg_duo_rows where file_name = ?", [name])[0][0]
        assert lines == F.data_rows_in(DUO / original) + (name == "dubbele-kop.csv")


def test_a_typo_in_the_count_date_is_a_row_rejection_not_a_school_year(hostile):
    root, done = hostile
    assert "2042-2043" not in done.stdout
    assert _q(root, "select count(*) from municipality_flows where school_year = '2042-2043'") == [(0,)]
    [(line, column, code, reason)] = _q(
        root, "select line, column_name, reason_code, reason from rejected_rows where file_name = 'tikfout.csv'"
    )
    assert (line, column, code) == (2, "PEILDATUM", "implausible_count_date")
    assert "20421001" in reason and "2024-2025" in reason


def test_rejections_are_said_first_above_the_summary(hostile):
    _, done = hostile
    out = done.stdout
    assert out.index("rejected file weg.csv") < out.index(" files in ")  # the summary's first line
    assert out.index("rejected file nul.csv") < out.index("pupils counted")


# --------------------------------------------------------------------------------------
# An unknown home municipality name: counted as ONBEKEND, as DUO counts it, and said by name
# --------------------------------------------------------------------------------------


def _pupil_bounds(path: Path, lines: list[int] | None = None) -> tuple[int, int]:
    """Pupils of the file (or of some of its lines) from its bytes: unmasked counts, plus 1 to 4 per '<5' cell."""
    import csv

    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    body = rows[1:] if lines is None else [rows[n - 1] for n in lines]
    cells = [r[i] for r in body for i, h in enumerate(rows[0]) if h.startswith("LEEFTIJD_")]
    unmasked, masked = sum(int(c) for c in cells if c.isdigit()), sum(c == "<5" for c in cells)
    return unmasked + masked, unmasked + 4 * masked


@pytest.fixture(scope="module")
def atlantis(tmp_path_factory):
    """The real Wassenaar file with GEMEENTENAAM_LEERLING 'Atlantis' on lines 2 and 3."""
    root = tmp_path_factory.mktemp("atlantis")
    folder = root / "in"
    folder.mkdir()
    lines = (DUO / "Wassenaar afgeschermd.csv").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"Hillegom"', b'"Atlantis"', 1)
    lines[2] = lines[2].replace(b'"Wassenaar";"03YS"', b'"Atlantis";"03YS"', 1)
    assert lines[1].count(b"Atlantis") == lines[2].count(b"Atlantis") == 1
    (folder / "Wassenaar.csv").write_bytes(b"\n".join(lines))
    done = grensverkeer(
        root, "run", "--input", str(folder), "--warehouse", str(root / "wh.duckdb"), "--out", str(root / "out")
    )
    return root, folder / "Wassenaar.csv", done


def test_unknown_home_municipality_is_counted_and_named_in_the_output(atlantis):
    root, path, done = atlantis
    assert done.returncode == 0, done.stdout  # nothing was rejected
    out = done.stdout
    [warning] = [line for line in out.splitlines() if "Atlantis" in line and "warning" in line]
    low, high = _pupil_bounds(path, [2, 3])
    assert f"home municipality name 'Atlantis' (Wassenaar.csv lines 2, 3: {low}-{high} pupils)" in warning
    assert "counted as ONBEKEND" in warning and "input_warnings" in warning
    assert out.index(warning) < out.index(" files in ")  # said first, above the summary
    assert f"{low}-{high} pupils counted as ONBEKEND" in out  # and in the summary


def test_unknown_home_municipality_is_in_the_warehouse_and_its_pupils_count(atlantis):
    root, path, _ = atlantis
    con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    try:
        warnings = con.execute(
            "select file_name, line, column_name, warning_code, value, counted_as from input_warnings order by line"
        ).fetchall()
        onbekend = con.execute(
            "select sum(students_low), sum(students_high) from municipality_flows where origin_code = 'ONBEKEND'"
        ).fetchall()[0]
        everyone = con.execute("select sum(students_low), sum(students_high) from municipality_flows").fetchall()[0]
        rejected = con.execute("select count(*) from rejected_rows where reason_code <> 'duplicate_row'").fetchall()
    finally:
        con.close()
    assert warnings == [
        ("Wassenaar.csv", n, "GEMEENTENAAM_LEERLING", "unknown_home_municipality", "Atlantis", "ONBEKEND")
        for n in (2, 3)
    ]
    assert onbekend == _pupil_bounds(path, [2, 3])  # the file has no other ONBEKEND rows
    assert everyone == _pupil_bounds(path)  # every pupil of the file is counted
    assert rejected == [(0,)]


# --------------------------------------------------------------------------------------
# Files cut off (an interrupted download or copy): the last line is a rejected row, exit 1
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cut_off(tmp_path_factory):
    """Two real files whose last line is cut: inside a quoted value (Midden-Delfland, in the
    school name) and at a field boundary (Wassenaar, after the 20th value). Nothing else is wrong."""
    root = tmp_path_factory.mktemp("cut_off")
    folder = root / "in"
    folder.mkdir()
    cuts = {}
    for name, original, inside_quote in (
        ("Midden-Delfland afgekapt.csv", "Midden-Delfland afgeschermd.csv", True),
        ("Wassenaar afgekapt.csv", "Wassenaar afgeschermd.csv", False),
    ):
        raw = (DUO / original).read_bytes().rstrip(b"\r\n")
        start = raw.rfind(b"\n") + 1
        last = raw[start:].decode("utf-8")
        fields = last.split('";"')
        keep = 8 if inside_quote else 20  # whole fields kept; the school name is field 8 (0-based 7)
        cut = '";"'.join(fields[:keep]) + ('";"' + fields[keep][:4] if inside_quote else '"')
        (folder / name).write_bytes(raw[:start] + cut.encode("utf-8"))
        header = raw.split(b"\n", 1)[0].decode("utf-8-sig").strip().strip('"').split('";"')
        cuts[name] = (raw.count(b"\n") + 1, header[keep], F.data_rows_in(DUO / original))
    done = grensverkeer(
        root, "run", "--input", str(folder), "--warehouse", str(root / "wh.duckdb"), "--out", str(root / "out")
    )
    return root, cuts, done


def test_a_cut_off_last_line_is_a_rejected_row_with_line_column_and_advice(cut_off):
    root, cuts, done = cut_off
    assert "Traceback" not in done.stdout and "column number" not in done.stdout, done.stdout
    for name, (last_line, column, rows) in cuts.items():
        assert _q(root, "select status from input_files where file_name = ?", [name]) == [("loaded",)], name
        [(line, col, code, reason)] = _q(
            root, "select line, column_name, reason_code, reason from rejected_rows where file_name = ?", [name]
        )
        assert (line, col, code) == (last_line, column, "truncated_row"), reason
        assert "(the last line of the file)" in reason and "download or export" in reason
        if name.startswith("Midden-Delfland"):
            assert f"ends inside the quoted value of {column}" in reason and "cut off" in reason
        accepted = _q(root, "select count(*) from stg_duo_rows where file_name = ? and reason_code is null", [name])
        assert accepted == [(rows - 1,)], name  # every line before the cut still counts


def test_a_cut_off_row_makes_the_exit_code_1_and_is_said_first(cut_off):
    _, cuts, done = cut_off
    assert done.returncode == 1, done.stdout
    out = done.stdout
    for name, (last_line, column, _) in cuts.items():
        said = f"rejected row: {name} line {last_line}, column {column}: truncated row"
        assert said in out and out.index(said) < out.index(" files in "), out
