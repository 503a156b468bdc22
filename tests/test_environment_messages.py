"""Everyday failures around a run (issue 14), as a user meets them: one sentence naming what
is wrong and what to do, exit code 3, no traceback. `grensverkeer run` as a separate process."""

from __future__ import annotations

import shutil

import duckdb

import fixtures as F
from test_hostile_input import grensverkeer

DUO = F.REPO / "data" / "inputs" / "duo"


def _folder(root):
    folder = root / "in"
    folder.mkdir()
    shutil.copy(DUO / "Wassenaar afgeschermd.csv", folder / "Wassenaar afgeschermd.csv")
    return folder


def _plain(done, *texts):
    assert done.returncode == 3, done.stdout
    assert "Traceback" not in done.stdout, done.stdout
    # progress lines come first; the problem is one sentence, the last line, and nothing after it
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    problem = lines[-1]
    assert all("in use" not in line and "does not exist" not in line for line in lines[:-1]), done.stdout
    for text in texts:
        assert text in problem, done.stdout


def test_warehouse_in_use_by_an_open_duckdb_session(tmp_path):
    folder, wh = _folder(tmp_path), tmp_path / "wh.duckdb"
    session = duckdb.connect(str(wh))  # an analyst has the warehouse open
    try:
        done = grensverkeer(
            tmp_path, "run", "--input", str(folder), "--warehouse", str(wh), "--out", str(tmp_path / "o")
        )
    finally:
        session.close()
    _plain(done, str(wh), "in use", "close that first")


def test_missing_input_folder(tmp_path):
    done = grensverkeer(
        tmp_path, "run", "--input", str(tmp_path / "nergens"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    _plain(done, str(tmp_path / "nergens"), "does not exist")


def test_unreadable_region_file(tmp_path):
    region = tmp_path / "regio.toml"
    region.write_text('name = "Haaglanden\nslug = ', encoding="utf-8")
    done = grensverkeer(
        tmp_path,
        "run",
        "--input",
        str(_folder(tmp_path)),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--region",
        str(region),
    )
    _plain(done, str(region), "not valid")
    assert not (tmp_path / "w.duckdb").exists()
