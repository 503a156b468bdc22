"""A region given as an area of postcodes (PC4) or as the legal area of a samenwerkingsverband: the region is the
municipalities those PC4s lie in, and the whole pipeline runs on it (docs/regions.md)."""

from __future__ import annotations

import pytest

import fixtures as F
from grensverkeer.region_schema import RegionFileError
from grensverkeer.settings import load_region


def _area_file(tmp_path, body: str):
    path = tmp_path / "gebied.toml"
    path.write_text(f'name = "Testgebied"\nslug = "testgebied"\n\n[area]\n{body}\n', encoding="utf-8")
    return path


def test_an_swv_area_is_the_municipalities_of_its_pc4s(tmp_path):
    region = load_region(_area_file(tmp_path, 'swv = "PO2815"'))
    assert region.codes == ["GM0518", "GM0603", "GM1916"]  # Den Haag, Rijswijk, Leidschendam-Voorburg
    assert region.members["GM0518"] == "'s-Gravenhage" and len(region.pc4) == 61 + 9 + 12  # CBS names
    named = _area_file(tmp_path, 'swv = "PO2815"')
    named.write_text(
        named.read_text().replace("[area]", '[[municipality]]\ncode = "GM0518"\ndisplay_name = "Den Haag"\n\n[area]')
    )
    assert load_region(named).members["GM0518"] == "Den Haag"  # a display_name of the file wins
    assert region.partial == set()  # all their PC4s are in PO 28-15


def test_a_pc4_list_marks_municipalities_that_lie_only_partly_in_it(tmp_path):
    region = load_region(_area_file(tmp_path, 'pc4 = ["2611", "2612", "2281", "2282"]'))
    assert region.codes == ["GM0503", "GM0603"] and region.pc4 == ["2281", "2282", "2611", "2612"]
    assert region.partial == {"GM0503", "GM0603"}


@pytest.mark.parametrize(
    "body, said",
    [
        ('swv = "PO2815"\npc4 = ["2611"]', "either swv"),
        ("", "either swv"),
        ('pc4 = ["26110"]', "4-digit postcodes"),
        ('swv = "PO9999"', "matches no postcode"),
        ('swv = "XX2815"', "swv in [area]"),
        ('pc4 = ["2611"]\npostcodes = ["2612"]', "unknown key 'postcodes' in [area]"),
    ],
)
def test_a_wrong_area_is_refused_with_what_is_wrong(tmp_path, body, said):
    with pytest.raises(RegionFileError) as exc:
        load_region(_area_file(tmp_path, body))
    assert said in str(exc.value), str(exc.value)


def test_a_region_without_municipalities_or_area_is_refused(tmp_path):
    path = tmp_path / "leeg.toml"
    path.write_text('name = "Leeg"\nslug = "leeg"\n', encoding="utf-8")
    with pytest.raises(RegionFileError, match=r"at least one \[\[municipality\]\] or an \[area\]"):
        load_region(path)


def test_the_pipeline_runs_for_a_pc4_area(tmp_path):
    """The small baseline fixture, run for an area of four PC4s in Delft and Rijswijk: the region members are
    those municipalities, the flows out of them are counted, and the site and the exports are written."""
    F.write_baseline(tmp_path / "in")
    region = _area_file(tmp_path, 'pc4 = ["2611", "2612", "2281", "2282"]')
    r = F.run(tmp_path / "in", tmp_path / "warehouse.duckdb", tmp_path / "out", region_file=region)
    assert r.outcome.failures == []
    assert r.query("select code from ref_region_members order by code") == [("GM0503",), ("GM0603",)]
    flows = r.query(
        "select distinct origin_code from pub_flows where school_year = '2024-2025' and origin_in_region order by 1"
    )
    assert flows == [("GM0503",), ("GM0603",)]
    assert (tmp_path / "out" / "site" / "index.html").exists()
    assert (tmp_path / "out" / "exports" / "2024-2025" / "afspraken.xlsx").exists()
