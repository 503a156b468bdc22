"""Everyday failures around a run (issue 14), as a user meets them: one sentence naming what
is wrong and what to do, exit code 3, no traceback. `grensverkeer run` as a separate process."""

from __future__ import annotations

import os
import shutil
import subprocess

import duckdb
import pytest

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
    done = _run_with_region(tmp_path, region)
    _plain(done, str(region), "not valid")
    assert not (tmp_path / "w.duckdb").exists()


REGION = F.REPO / "data" / "regions" / "haaglanden.toml"


def _region_with(tmp_path, *replacements):
    """The bundled region file with lines replaced, as an analyst edits it; and each new line's number."""
    text = REGION.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "regio.toml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    return path, [lines.index(new) + 1 for _, new in replacements]


def _run_with_region(tmp_path, region, **kw):
    return grensverkeer(
        tmp_path,
        "run",
        "--input",
        str(_folder(tmp_path)),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--out",
        str(tmp_path / "o"),
        "--region",
        str(region),
        **kw,
    )


def test_typos_in_the_region_file_are_refused_not_ignored(tmp_path):
    # issue 14: `rouding = 5` left the counts unrounded, `pair_agreement_neded = 20` kept the threshold at 10
    region, (threshold_line, rounding_line) = _region_with(
        tmp_path,
        ("pair_agreement_needed = 10   # 'afspraak nodig' from this many pupils", "pair_agreement_neded = 20"),
        ("# rounding = 5", "rouding = 5"),
    )
    done = _run_with_region(tmp_path, region)
    _plain(
        done,
        str(region),
        "not valid",
        f"line {threshold_line}: unknown key 'pair_agreement_neded' in [agreements]; did you mean 'pair_agreement_needed'?",
        f"line {rounding_line}: unknown key 'rouding' in [disclosure]; did you mean 'rounding'? (allowed there: k, rounding)",
    )
    assert not (tmp_path / "w.duckdb").exists()


def test_wrong_types_and_ranges_in_the_region_file_are_refused(tmp_path):
    region, (k_line, attention_line, code_line) = _region_with(
        tmp_path,
        ("k = 5", 'k = "5"'),
        ("pair_attention = 3           # 'aandachtspunt' from this many pupils; below: 'geen'", "pair_attention = 30"),
        ('code = "GM0629"', 'code = "GM629"'),
    )
    done = _run_with_region(tmp_path, region)
    _plain(
        done,
        str(region),
        f"line {k_line}: k in [disclosure]: must be a whole number (got '5')",
        f"line {attention_line}: in [agreements]: pair_attention (30) must not be above pair_agreement_needed (10)",
        f"line {code_line}: code in [[municipality]] number 8: must be a CBS municipality code like GM0518",
    )
    assert not (tmp_path / "w.duckdb").exists()


def test_unknown_environment_variable_is_refused_by_name(tmp_path):
    # GRENSVERKEER_WAREHOUS would otherwise build the default warehouse without a word
    done = _run_with_region(
        tmp_path,
        REGION,
        env_extra={"GRENSVERKEER_WAREHOUS": str(tmp_path / "x.duckdb"), "GRENSVERKEER_DUCKDB_MEMORY_LIMIT": "veel"},
    )
    _plain(
        done, "GRENSVERKEER_WAREHOUS", "did you mean GRENSVERKEER_WAREHOUSE?", "GRENSVERKEER_DUCKDB_MEMORY_LIMIT='veel'"
    )
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize(
    "case, said",
    [
        ("input is a file", "is a file, not a folder (pass a folder with --input)"),
        ("output is a file", "is a file, not a folder (pass a folder with --out)"),
        ("warehouse is a folder", "is a folder: pass a file with --warehouse"),
        ("warehouse under a file", "the folder of the warehouse"),
    ],
)
def test_input_output_and_warehouse_paths_that_cannot_be_used(tmp_path, case, said):
    a_file = tmp_path / "bestand"
    a_file.write_text("x", encoding="utf-8")
    paths = {"input": _folder(tmp_path), "warehouse": tmp_path / "w.duckdb", "out": tmp_path / "o"}
    named = {  # the option changed, its value, and the path the message must name
        "input is a file": ("input", a_file, a_file),
        "output is a file": ("out", a_file, a_file),
        "warehouse is a folder": ("warehouse", tmp_path / "map", tmp_path / "map"),
        "warehouse under a file": ("warehouse", a_file / "w.duckdb", a_file),
    }
    option, value, shown = named[case]
    (tmp_path / "map").mkdir()
    paths[option] = value
    done = grensverkeer(
        tmp_path,
        "run",
        "--input",
        str(paths["input"]),
        "--warehouse",
        str(paths["warehouse"]),
        "--out",
        str(paths["out"]),
    )
    _plain(done, said, str(shown))
    assert not (tmp_path / "w.duckdb").exists()


def test_a_full_disk_is_one_sentence(tmp_path):
    """A 2 MB disk (tmpfs) for the warehouse: needs root to mount, skipped elsewhere."""
    small = tmp_path / "klein"
    small.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)]).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        done = grensverkeer(
            tmp_path,
            "run",
            "--input",
            str(_folder(tmp_path)),
            "--warehouse",
            str(small / "w.duckdb"),
            "--out",
            str(tmp_path / "o"),
        )
    finally:
        subprocess.run(["umount", str(small)], check=True)
    _plain(done, "the disk is full", str(small / "w.duckdb"), "free some space")


def test_run_takes_its_folders_as_arguments_not_through_the_environment(tmp_path, monkeypatch):
    """`run` passes --input/--warehouse/--out/--region on as arguments: the process environment
    is left as it was (only DAGSTER_HOME, which is how Dagster finds its instance)."""
    from grensverkeer import settings
    from grensverkeer.cli import main

    for var in settings.KNOWN_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    code = main(
        [
            "run",
            "--quiet",
            "--input",
            str(tmp_path / "nergens"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 3
    assert not [var for var in settings.KNOWN_ENV if var in os.environ]


@pytest.mark.parametrize(
    "limit, discovery",
    [(None, "1000000000B"), ("2GB", "1000000000B"), ("500MB", "500000000B"), ("512MiB", "536870912B"), ("80%", "80%")],
)
def test_discovery_gets_at_most_1_gb_and_never_more_than_the_build(monkeypatch, limit, discovery):
    from grensverkeer import settings

    if limit is None:
        monkeypatch.delenv(settings.ENV_DUCKDB_MEMORY, raising=False)
    else:
        monkeypatch.setenv(settings.ENV_DUCKDB_MEMORY, limit)
    assert settings.discovery_duckdb_memory() == discovery
    duckdb.connect(":memory:", config={"memory_limit": discovery}).close()  # a size DuckDB reads
