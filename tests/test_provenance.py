"""Provenance belongs to the stored records: a later run on a folder without the synthetic
demo cannot relabel the demo records 'linked', and a year without linked records says so.

1. The bundled run (session fixture: DUO files plus the synthetic demo in linked/ with its
   SYNTHETIC marker); a copy of its warehouse, then `run` on a folder with only the DUO
   files: every figure made from the demo records is still labelled synthetic in the
   warehouse, the CLI summary, manifest.json, the Toelichting sheet and the pages.
2. The DUO files alone in a fresh warehouse: no linked records, and every output says so
   instead of showing zero pairs with a synthetic source.
"""

from __future__ import annotations

import json
import re
import shutil

import openpyxl
import pytest

import fixtures as F
from grensverkeer.summary import print_summary

YEAR = "2024-2025"
LINKED_TABLES = [
    "raw_linked_schools",
    "raw_linked_enrolments",
    "raw_linked_support",
    "stg_linked_enrolments",
    "stg_linked_support",
    "int_pupil_support",
    "support_flows",
    "agreement_needs",
    "school_local_team",
    "school_coordination_load",
    "municipality_support_profile",
]


def _duo_only(root):
    folder = root / "duo-only"
    shutil.copytree(F.REPO / "data" / "inputs" / "duo", folder / "duo")
    return folder


@pytest.fixture(scope="module")
def after_duo_only(bundled, tmp_path_factory):
    assert bundled.outcome.failures == []
    root = tmp_path_factory.mktemp("provenance")
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(bundled.warehouse, warehouse)
    r = F.run(_duo_only(root), warehouse, root / "out")
    assert r.outcome.failures == []
    return r


@pytest.fixture(scope="module")
def duo_alone(tmp_path_factory):
    root = tmp_path_factory.mktemp("duo-alone")
    r = F.run(_duo_only(root), root / "warehouse.duckdb", root / "out")
    assert r.outcome.failures == []
    return r


def _summary(r, capsys) -> str:
    capsys.readouterr()
    print_summary(r.input_dir, r.warehouse, [YEAR], r.out_dir)
    return capsys.readouterr().out


def _toelichting(r) -> dict[str, str]:
    book = openpyxl.load_workbook(r.out_dir / "exports" / YEAR / "afspraken.xlsx", read_only=True)
    return {topic: text for topic, text in book["Toelichting"].iter_rows(min_row=2, values_only=True)}


def _manifest(r) -> dict:
    return json.loads((r.out_dir / "exports" / YEAR / "manifest.json").read_text(encoding="utf-8"))


def _text(path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")).split())


def test_the_bundled_demo_is_synthetic_record_by_record(bundled):
    for table in LINKED_TABLES:
        assert bundled.query(f"select distinct source from {table}") == [("synthetic",)], table


def test_a_duo_only_folder_relabels_nothing(after_duo_only):
    """The folder is the truth: the demo files are gone, so their records stop counting
    (retracted, kept in input_files as history). Nothing is ever relabelled 'linked'."""
    for table in LINKED_TABLES:
        assert after_duo_only.query(f"select distinct source from {table}") == [], table
    retracted = after_duo_only.query(
        "select count(*) from input_files where kind like 'linked%' and retracted_at is not null"
    )[0][0]
    assert retracted > 0
    # the demo-only school years left the marts and the exports
    assert after_duo_only.query("select count(*) from support_flows") == [(0,)]
    assert not (after_duo_only.out_dir / "exports" / "2022-2023").exists()


def test_summary_manifest_toelichting_and_pages_never_say_real(after_duo_only, capsys):
    summary = _summary(after_duo_only, capsys)
    assert not re.search(r"linked(?! \(SYNTHETIC)", summary.split("DUO:")[-1]), summary
    manifest = _manifest(after_duo_only)
    assert manifest["synthetic"] is False and manifest["linked_record_sources"] == []
    toelichting = _toelichting(after_duo_only)
    assert "geen gekoppelde registraties" in toelichting["Gekoppelde registraties"]
    site = after_duo_only.out_dir / "site"
    for page in ("index.html", "afspraken.html"):
        text = _text(site / page)
        assert f"Voor schooljaar {YEAR} zijn er geen gekoppelde registraties" in text, page


def test_a_year_without_linked_records_says_so(duo_alone, capsys):
    assert duo_alone.query("select count(*) from support_flows") == [(0,)]
    manifest = _manifest(duo_alone)
    assert manifest["synthetic"] is False and manifest["linked_record_sources"] == []
    toelichting = _toelichting(duo_alone)
    assert "SYNTHETISCHE DEMO" not in toelichting
    assert "geen gekoppelde registraties" in toelichting["Gekoppelde registraties"]
    assert "linked" not in _summary(duo_alone, capsys).split("DUO:")[-1]
    site = duo_alone.out_dir / "site"
    for page in ("index.html", "afspraken.html"):
        text = _text(site / page)
        assert "synthetische demo" not in text.lower(), page
        assert f"Voor schooljaar {YEAR} zijn er geen gekoppelde registraties" in text, page
    assert 'Gemeenteparen met "afspraak nodig" – Bron: geen gekoppelde registraties' in _text(site / "index.html")


def test_the_same_demo_files_stay_synthetic_when_the_marker_is_gone(tmp_path):
    """The label is given when a file's records are loaded: the hand-worked files loaded from a
    folder with the SYNTHETIC marker, then the marker deleted and the same files run again
    (the enrolments are read again for their school years): still synthetic. A changed file
    loaded from the unmarked folder is new content, and its records are 'linked'."""
    linked = tmp_path / "input" / "linked"
    files = F.write_linked_handworked(linked)
    (linked / "SYNTHETIC").write_text("demo\n", encoding="utf-8")
    region = F.write_linked_region(
        tmp_path / "region.toml", F.LINKED_MEMBERS, pair=F.LINKED_PAIR, school=F.LINKED_SCHOOL
    )
    warehouse = tmp_path / "warehouse.duckdb"
    first = F.run_with_region_file(tmp_path / "input", warehouse, tmp_path / "out1", region)
    assert first.outcome.failures == []
    assert first.query("select distinct source from agreement_needs") == [("synthetic",)]

    (linked / "SYNTHETIC").unlink()
    again = F.run_with_region_file(tmp_path / "input", warehouse, tmp_path / "out2", region)
    assert again.outcome.failures == []
    for table in LINKED_TABLES:
        assert again.query(f"select distinct source from {table}") == [("synthetic",)], table
    assert _manifest(again)["synthetic"] is True

    # New content from the unmarked folder: its records are linked; figures that still use a
    # synthetic record stay synthetic.
    with files["support"].open("a", encoding="utf-8") as f:
        f.write("P13,jeugdhulp,ambulant,GM0518,Jeugdteam Den Haag,2024-09-01,\n")
    third = F.run_with_region_file(tmp_path / "input", warehouse, tmp_path / "out3", region)
    assert third.outcome.failures == []
    assert third.query("select distinct source from raw_linked_support") == [("linked",)]
    assert third.query("select distinct source from raw_linked_enrolments") == [("synthetic",)]
    assert third.query("select distinct source from support_flows where students_with_support > 0") == [("synthetic",)]
