"""The region file schema (region_schema.py): every kind of mistake an analyst makes in a region
file is refused with the file, the line, the key and what is allowed; a valid file loads as before."""

from __future__ import annotations

import pytest

import fixtures as F
from grensverkeer.region_schema import RegionFileError
from grensverkeer.settings import DEFAULT_AGREEMENTS, load_region

REGION = F.REPO / "data" / "regions" / "haaglanden.toml"


def _edited(tmp_path, old, new):
    """The bundled region file with one edit, and the number of the edited line."""
    text = REGION.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "regio.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1


def test_the_bundled_region_loads_with_its_settings():
    region = load_region(REGION)
    assert len(region.codes) == 9 and region.members["GM0518"] == "Den Haag"
    assert region.agreements == DEFAULT_AGREEMENTS
    assert region.disclosure == {"k": 5}  # only what the file sets; DisclosureSettings has the defaults


def test_valid_settings_are_taken_as_written(tmp_path):
    path, _ = _edited(tmp_path, "# rounding = 5", "rounding = 5")
    path.write_text(path.read_text().replace("pair_agreement_needed = 10", "pair_agreement_needed = 20"))
    region = load_region(path)
    assert region.disclosure == {"k": 5, "rounding": 5}
    assert region.agreements["pair_agreement_needed"] == 20


@pytest.mark.parametrize(
    "old, new, said",
    [
        (
            'name = "Jeugdhulpregio',
            'naam = "Jeugdhulpregio',
            "line {line}: unknown key 'naam' in the top level of the file; did you mean 'name'?",
        ),
        ('name = "Jeugdhulpregio', 'naam = "Jeugdhulpregio', "key 'name' is missing"),
        (
            "\n[disclosure]\n",
            "\n[disclosre]\n",
            "unknown key 'disclosre' in the top level of the file; did you mean 'disclosure'?",
        ),
        (
            'display_name = "Delft"',
            'dispaly_name = "Delft"',
            "line {line}: unknown key 'dispaly_name' in [[municipality]] number 4; did you mean 'display_name'? (allowed there: code, display_name, subregion)",
        ),
        ("k = 5", "k = 2", "line {line}: in [disclosure]: k must be a whole number of at least 3"),
        (
            "# rounding = 5",
            "rounding = 50",
            "line {line}: in [disclosure]: rounding to multiples of 50 would round a count of 5 to 0",
        ),
        (
            "school_attention = 2",
            "school_attention = 2.0",
            "line {line}: school_attention in [agreements]: must be a whole number (got 2.0)",
        ),
        ("school_attention = 2", "school_attention = true", "must be a whole number (got True)"),
        (
            "school_attention = 2",
            "school_attention = 0",
            "line {line}: school_attention in [agreements]: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            '"jeugdbescherming"]',
            '"jeugdbeschermng"]',
            "line {line}: domains in [agreements]: must be one of jeugdhulp, jeugdbescherming, onderwijsondersteuning, leerplicht; did you mean 'jeugdbescherming'? (got 'jeugdbeschermng')",
        ),
        (
            'code = "GM0629"',
            'code = "GM9999"',
            "line {line}: code 'GM9999' in [[municipality]] number 8 is not a current CBS municipality code",
        ),
        ('code = "GM0629"', 'code = "GM0518"', "line {line}: municipality GM0518 is listed more than once"),
        (
            'slug = "haaglanden"',
            'slug = "Haag landen"',
            "line {line}: slug in the top level of the file: must be lower-case letters",
        ),
        ('name = "Jeugdhulpregio Haaglanden"', 'name = "Jeugdhulpregio', "not valid TOML"),
    ],
)
def test_mistakes_are_refused_with_line_key_and_what_is_allowed(tmp_path, old, new, said):
    path, line = _edited(tmp_path, old, new)
    with pytest.raises(RegionFileError) as raised:
        load_region(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert said.format(line=line) in str(raised.value)
    assert "\n" not in str(raised.value)
