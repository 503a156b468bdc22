"""Build the bundled and derived reference data under data/.

MAINTAINER TOOL, NOT RUN TIME. This script reads the read-only source material in
../shared/data (beside the checkout) and writes the files the product ships in data/.
The pipeline itself never reads ../shared; it only reads data/.

Usage (from the repository root):

    .venv/bin/python data/reference/build_reference.py [--shared PATH]

PATH defaults to ../shared/data relative to the repository root (env GRENSVERKEER_SHARED
overrides it too). The script is deterministic: the same inputs give byte-identical outputs.

What it does
1. Copies the bundled inputs byte for byte (data/inputs/duo/*, data/reference/gemeenten_*.geojson)
   and checks every copy against the sha256 stated in the source PROVENANCE.txt files.
2. Derives, with polars/DuckDB (no pandas):
   - data/reference/municipalities.csv           code,name,name_2023 (342 rows)
   - data/reference/municipality_mergers.csv     old_code,...,source (mergers 2015-01-01..2025-01-01)
   - data/reference/municipality_name_variants.csv  name,code,kind,source
   - data/reference/school_locations.csv         one row per feature of scholen.geo.json
   - data/reference/population_2024.csv          code,inhabitants,area_land_ha (342 rows)
3. Checks: no two codes collide under the name key; every residence name in the bundled DUO
   files and every school municipality maps to a code; the region config lists valid codes;
   data/README.md quotes the current sha256 of every file.

Name key (the pipeline matches municipality names with exactly this rule):
    upper-case, accents stripped, every run of characters that is not A-Z or 0-9 replaced by
    one space, trimmed.  In DuckDB SQL:
    trim(regexp_replace(upper(strip_accents(name)), '[^A-Z0-9]+', ' ', 'g'))
The script asserts that the Python function below and that SQL expression agree on every name.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tomllib
import unicodedata
from pathlib import Path

import duckdb
import polars as pl

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
REF = DATA / "reference"
INPUTS_DUO = DATA / "inputs" / "duo"

SQL_NAME_KEY = "trim(regexp_replace(upper(strip_accents({col})), '[^A-Z0-9]+', ' ', 'g'))"


def name_key(name: str) -> str:
    """Normalise a municipality name: upper-case, strip accents, non A-Z/0-9 runs -> ' ', trim."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^A-Z0-9]+", " ", stripped.upper()).strip()


# --------------------------------------------------------------------------------------------
# 1. Bundled byte-exact copies: (source path relative to shared/data, target, sha256 from
#    the PROVENANCE.txt next to the source).
# --------------------------------------------------------------------------------------------
PO_2024 = "duo/po-leerlingen-per-gemeente-postcode-leeftijd-2024"
PO_2017 = "duo/po-leerlingen-per-gemeente-postcode-leeftijd-2017"
EXTRACT_2017 = "HAAGLANDEN-FILTERED_03.-leerlingen-po-per-gemeente-postcode-leerling,-leeftijd-2017-2018_all-municipalities.csv"
COPIES: list[tuple[str, Path, str]] = [
    (f"{PO_2024}/'s-Gravenhage afgeschermd.csv", INPUTS_DUO / "'s-Gravenhage afgeschermd.csv",
     "600213ae1ec6ca69556ec172a3e9fdfb07c994db417fffe7b0b00b0cb37c8780"),
    (f"{PO_2024}/Delft afgeschermd.csv", INPUTS_DUO / "Delft afgeschermd.csv",
     "bf416a551907acda6ce43cb5167b5d00978c2db635e48b8bb9d3f017ca61de05"),
    (f"{PO_2024}/Leidschendam-Voorburg afgeschermd.csv", INPUTS_DUO / "Leidschendam-Voorburg afgeschermd.csv",
     "409c216265693f2b7f782fba483574f30d8cd2f22b6444defb9421ae5874040f"),
    (f"{PO_2024}/Midden-Delfland afgeschermd.csv", INPUTS_DUO / "Midden-Delfland afgeschermd.csv",
     "ee1505974d3a5c5f7a28a0f91c85fd3f69c583318204704ef1fc07769d28aa86"),
    (f"{PO_2024}/Pijnacker-Nootdorp afgeschermd.csv", INPUTS_DUO / "Pijnacker-Nootdorp afgeschermd.csv",
     "d297de96cb54e00fd236221fa3b29ba270d255647687c81fcea626053a7d4d35"),
    (f"{PO_2024}/Rijswijk afgeschermd.csv", INPUTS_DUO / "Rijswijk afgeschermd.csv",
     "6a57029c1e85725dcf1d4bba1e516419786529d46f4b2edbadc99289596f3320"),
    (f"{PO_2024}/Wassenaar afgeschermd.csv", INPUTS_DUO / "Wassenaar afgeschermd.csv",
     "61e769e4df9b0881919a7646bdf6134b54cb388c35cb04bc59d9158ce17af9b5"),
    (f"{PO_2024}/Westland afgeschermd.csv", INPUTS_DUO / "Westland afgeschermd.csv",
     "8f0b0e0edeae903a87a8c721ee8742aad92d047b4454ce758d46974884d6d92d"),
    (f"{PO_2024}/Zoetermeer afgeschermd.csv", INPUTS_DUO / "Zoetermeer afgeschermd.csv",
     "176b879c703a2b16c88fea79b9eafedf9d779cbfb80ca569a557a3f783fddb1f"),
    # The filtered extract is itself derived by the provider of ../shared; its PROVENANCE
    # states its size (2,530,012 bytes) and row count but no sha256, so the hash below is the
    # one of the bundled copy (it pins the exact file).
    (f"{PO_2024}/HAAGLANDEN-FILTERED_leerlingen-po-per-gemeente-postcode-leerling-leeftijd-20241001_all-municipalities.csv",
     INPUTS_DUO / "HAAGLANDEN-FILTERED_leerlingen-po-per-gemeente-postcode-leerling-leeftijd-20241001_all-municipalities.csv",
     "adf19d306fc802ef50c64c4bbeb4001029265025e94351bee0d1c45e044db6de"),
    # School year 2017-2018 (peildatum 1 Oct 2017): unmasked, old header with TOTAAL; the
    # Leidschendam-Voorburg file is cp1252. sha256 of the nine originals from PROVENANCE.txt;
    # the extract is derived by the provider of ../shared (no sha256 stated): hash of the copy.
    *[(f"{PO_2017}/{name}", INPUTS_DUO / name, digest) for name, digest in (
        ("Delft.csv", "4adb674ec5ea872b9cf8d174692bb600b09ca273fb3eff14c3259edb563a8d41"),
        ("Leidschendam-Voorburg.csv", "a6f01eb04a34f99cca4fd3d0728ce52eff3670d075130ca6c42542b1e35c92ae"),
        ("Midden-Delfland.csv", "f0d27f082e540186b5cfa16fea52eaafadae76c07c5d60b8837103c4e6d6b369"),
        ("Pijnacker-Nootdorp.csv", "c6e7b6a0413f7fe29a07ec9a567752379d7cbbf5841c12258dacf07bd598b22d"),
        ("Rijswijk.csv", "5711448c5ea3ceaad2950f57b21cb732b21bb8fa450d58cb937b7c47b84ee6b8"),
        ("Wassenaar.csv", "56f1f4dedbaa7962c23e4144b3d05e8dbe4556b34d2dd84f79f0dcba909873ac"),
        ("Westland.csv", "3124f7a3aae926d94cc8cab3b71c2a878699c96d46f7bc9cb9e249d6b92de746"),
        ("Zoetermeer.csv", "d690e4557515be10ad799ef7e7f75952a3cb729a8e79003cdc8749a2dca5e1b8"),
        ("s-Gravenhage.csv", "decd0b1b57969aa1164a0dce0e64c67fe6b5158666dcd65cf826ad7f3f136781"),
        (EXTRACT_2017, "ad58045f9a09240ab90f21d44034d0d862ceda03f76119d47dbc78c35d106249"),
    )],
    ("duo/po-historisch-leerlingen-per-vestiging/06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv",
     INPUTS_DUO / "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv",
     "e1b4048ec2c74b863f38d65a7bb5cc081085b6b12c683e048bf4caa26d535ecb"),
    ("geo/gemeenten/gemeente_2025.geojson", REF / "gemeenten_2025.geojson",
     "9a605ded6022644ff3eb5a9af04eda3516bc38d8953e79a15d772f04d769ec3e"),
    ("geo/gemeenten/gemeente_2023.geojson", REF / "gemeenten_2023.geojson",
     "0b3f892f117c50da3aa28da0b3984c26e3d50e4111192e517bf04e75a8f79ff3"),
]

# Not bundled, only read by this script (sha256 from PROVENANCE.txt).
ADRESSEN = ("duo/po-adressen-vestigingen/02.-alle-schoolvestigingen-basisonderwijs.csv",
            "357d63db22d4255874424415c0e94bcebc7a15708be6d52ccd4802311318a50f")
SCHOLEN = ("schools/scholen-geocoded-2024/scholen.geo.json",
           "9b93d643c6dfa1a8e94994ed21b8bca5acf6ecd93aeebcc0814983e96c006456")
KWB = ("cbs/kwb-2024-bevolking/stripped_filtered_data_2024.json",
       "d38c4cf214a7affc45189c1dc3a8d50339951644b9dcba7403a81ef38fcdd437")
KWB_PROPS = ("cbs/kwb-2024-bevolking/DataProperties.json",
             "3fe8c50c9fae7e58e24bf889987b2cb81c6e3d5da48857d7370cb8aefc035b3a")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared_file(shared: Path, spec: tuple[str, str]) -> Path:
    rel, expected = spec
    path = shared / rel
    got = sha256(path)
    assert got == expected, f"{path}: sha256 {got} != {expected} (source changed?)"
    return path


def copy_inputs(shared: Path) -> None:
    for rel, target, expected in COPIES:
        src = shared / rel
        assert sha256(src) == expected, f"source {src} does not match its provenance sha256"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or sha256(target) != expected:
            target.write_bytes(src.read_bytes())
            print(f"copied   {target.relative_to(REPO)}")
        target.chmod(0o644)
        assert sha256(target) == expected
    expected_names = {t.name for _, t, _ in COPIES if t.parent == INPUTS_DUO}
    present = {p.name for p in INPUTS_DUO.iterdir()}
    assert present == expected_names, f"unexpected files in data/inputs/duo: {present ^ expected_names}"


def write_csv(df: pl.DataFrame, path: Path) -> None:
    buf = io.BytesIO()
    df.write_csv(buf, line_terminator="\n", null_value="")
    path.write_bytes(buf.getvalue())
    print(f"wrote    {path.relative_to(REPO)}  ({df.height} rows)")


# --------------------------------------------------------------------------------------------
# 2a. municipalities.csv
# --------------------------------------------------------------------------------------------
def geojson_names(path: Path) -> dict[str, str]:
    feats = json.loads(path.read_text(encoding="utf-8"))["features"]
    out = {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in feats}
    assert len(out) == len(feats), f"duplicate statcode in {path}"
    return out


def build_municipalities() -> pl.DataFrame:
    g25 = geojson_names(REF / "gemeenten_2025.geojson")
    g23 = geojson_names(REF / "gemeenten_2023.geojson")
    assert len(g25) == 342 and len(g23) == 342
    # No herindeling took effect on 2024-01-01 or 2025-01-01: identical code lists.
    assert set(g25) == set(g23), f"code lists differ 2023/2025: {set(g25) ^ set(g23)}"
    assert all(re.fullmatch(r"GM\d{4}", c) for c in g25)
    df = pl.DataFrame(
        {"code": list(g25), "name": list(g25.values()), "name_2023": [g23[c] for c in g25]}
    ).sort("code")
    renamed = df.filter(pl.col("name") != pl.col("name_2023"))
    print("names that differ 2023 -> 2025:", renamed.rows())
    return df


# --------------------------------------------------------------------------------------------
# 2b. municipality_mergers.csv
# Every municipality that disappeared (merged away, split, or renamed with a new CBS code)
# with effect from 2015-01-01 up to and including 2025-01-01. Compiled from CBS
# "Gemeentelijke indelingen per jaar" and the herindeling laws (Wet algemene regels
# herindeling). 2024-01-01 and 2025-01-01 brought no changes (the 2023 and 2025 CBS code lists
# are identical; checked in build_municipalities).
# --------------------------------------------------------------------------------------------
SRC = "CBS Gemeentelijke indelingen per jaar; Wet algemene regels herindeling"
MERGERS: list[tuple[str, str, str, str, str]] = [
    # old_code, old_name, successor_code, effective_date, extra note for the source column
    ("GM0365", "Graft-De Rijp", "GM0361", "2015-01-01", ""),
    ("GM0458", "Schermer", "GM0361", "2015-01-01", ""),
    ("GM0568", "Bernisse", "GM1930", "2015-01-01", ""),
    ("GM0612", "Spijkenisse", "GM1930", "2015-01-01", ""),
    ("GM0491", "Bergambacht", "GM1931", "2015-01-01", ""),
    ("GM0608", "Schoonhoven", "GM1931", "2015-01-01", ""),
    ("GM0623", "Vlist", "GM1931", "2015-01-01", ""),
    ("GM0643", "Nederlek", "GM1931", "2015-01-01", ""),
    ("GM0644", "Ouderkerk", "GM1931", "2015-01-01", ""),
    ("GM1671", "Maasdonk", "GM0796", "2015-01-01",
     "split: Nuland and Vinkel to 's-Hertogenbosch (most inhabitants), Geffen to Oss (GM0828); successor = part with most inhabitants"),
    ("GM0241", "Groesbeek", "GM1945", "2015-01-01",
     "merged with Millingen aan de Rijn and Ubbergen into a new municipality first called Groesbeek, renamed Berg en Dal on 2016-01-01"),
    ("GM0265", "Millingen aan de Rijn", "GM1945", "2015-01-01", "renamed Berg en Dal on 2016-01-01"),
    ("GM0282", "Ubbergen", "GM1945", "2015-01-01", "renamed Berg en Dal on 2016-01-01"),
    ("GM1921", "De Friese Meren", "GM1940", "2015-07-01",
     "name change with a new CBS code (De Fryske Marren), not a merger"),
    ("GM0381", "Bussum", "GM1942", "2016-01-01", ""),
    ("GM0424", "Muiden", "GM1942", "2016-01-01", ""),
    ("GM0425", "Naarden", "GM1942", "2016-01-01", ""),
    ("GM0478", "Zeevang", "GM0385", "2016-01-01", ""),
    ("GM0844", "Schijndel", "GM1948", "2017-01-01", ""),
    ("GM0846", "Sint-Oedenrode", "GM1948", "2017-01-01", ""),
    ("GM0860", "Veghel", "GM1948", "2017-01-01", ""),
    ("GM0007", "Bellingwedde", "GM1950", "2018-01-01", ""),
    ("GM0048", "Vlagtwedde", "GM1950", "2018-01-01", ""),
    ("GM0018", "Hoogezand-Sappemeer", "GM1952", "2018-01-01", ""),
    ("GM0040", "Slochteren", "GM1952", "2018-01-01", ""),
    ("GM1987", "Menterwolde", "GM1952", "2018-01-01", ""),
    ("GM0063", "het Bildt", "GM1949", "2018-01-01", ""),
    ("GM0070", "Franekeradeel", "GM1949", "2018-01-01", ""),
    ("GM1908", "Menameradiel", "GM1949", "2018-01-01", ""),
    ("GM0081", "Leeuwarderadeel", "GM0080", "2018-01-01", ""),
    ("GM0140", "Littenseradiel", "GM1900", "2018-01-01",
     "split over Súdwest-Fryslân (about half of the inhabitants), Leeuwarden (GM0080) and Waadhoeke (GM1949); successor = part with most inhabitants"),
    ("GM0196", "Rijnwaarden", "GM0299", "2018-01-01", ""),
    ("GM0009", "Ten Boer", "GM0014", "2019-01-01", ""),
    ("GM0017", "Haren", "GM0014", "2019-01-01", ""),
    ("GM0005", "Bedum", "GM1966", "2019-01-01", ""),
    ("GM0053", "Winsum", "GM1966", "2019-01-01",
     "split over Het Hogeland (most inhabitants, about 88%) and Westerkwartier (GM1969); successor = part with most inhabitants"),
    ("GM1651", "Eemsmond", "GM1966", "2019-01-01", ""),
    ("GM1663", "De Marne", "GM1966", "2019-01-01", ""),
    ("GM0015", "Grootegast", "GM1969", "2019-01-01", ""),
    ("GM0022", "Leek", "GM1969", "2019-01-01", ""),
    ("GM0025", "Marum", "GM1969", "2019-01-01", ""),
    ("GM0056", "Zuidhorn", "GM1969", "2019-01-01", ""),
    ("GM0058", "Dongeradeel", "GM1970", "2019-01-01", ""),
    ("GM0079", "Kollumerland en Nieuwkruisland", "GM1970", "2019-01-01", ""),
    ("GM1722", "Ferwerderadiel", "GM1970", "2019-01-01", ""),
    ("GM0393", "Haarlemmerliede en Spaarnwoude", "GM0394", "2019-01-01", ""),
    ("GM0576", "Noordwijkerhout", "GM0575", "2019-01-01", ""),
    ("GM0584", "Oud-Beijerland", "GM1963", "2019-01-01", ""),
    ("GM0585", "Binnenmaas", "GM1963", "2019-01-01", ""),
    ("GM0588", "Korendijk", "GM1963", "2019-01-01", ""),
    ("GM0611", "Cromstrijen", "GM1963", "2019-01-01", ""),
    ("GM0617", "Strijen", "GM1963", "2019-01-01", ""),
    ("GM0689", "Giessenlanden", "GM1978", "2019-01-01", ""),
    ("GM1927", "Molenwaard", "GM1978", "2019-01-01", ""),
    ("GM0545", "Leerdam", "GM1961", "2019-01-01", ""),
    ("GM0620", "Vianen", "GM1961", "2019-01-01", ""),
    ("GM0707", "Zederik", "GM1961", "2019-01-01", ""),
    ("GM0738", "Aalburg", "GM1959", "2019-01-01", ""),
    ("GM0870", "Werkendam", "GM1959", "2019-01-01", ""),
    ("GM0874", "Woudrichem", "GM1959", "2019-01-01", ""),
    ("GM0881", "Onderbanken", "GM1954", "2019-01-01", ""),
    ("GM0951", "Nuth", "GM1954", "2019-01-01", ""),
    ("GM0962", "Schinnen", "GM1954", "2019-01-01", ""),
    ("GM0236", "Geldermalsen", "GM1960", "2019-01-01", ""),
    ("GM0304", "Neerijnen", "GM1960", "2019-01-01", ""),
    ("GM0733", "Lingewaal", "GM1960", "2019-01-01", ""),
    ("GM0003", "Appingedam", "GM1979", "2021-01-01", ""),
    ("GM0010", "Delfzijl", "GM1979", "2021-01-01", ""),
    ("GM0024", "Loppersum", "GM1979", "2021-01-01", ""),
    ("GM0788", "Haaren", "GM0824", "2021-01-01",
     "split: village Haaren to Oisterwijk (most inhabitants), Helvoirt to Vught (GM0865), Esch to Boxtel (GM0757), Biezenmortel to Tilburg (GM0855); successor = part with most inhabitants"),
    ("GM0370", "Beemster", "GM0439", "2022-01-01", ""),
    ("GM0398", "Heerhugowaard", "GM1980", "2022-01-01", ""),
    ("GM0416", "Langedijk", "GM1980", "2022-01-01", ""),
    ("GM0756", "Boxmeer", "GM1982", "2022-01-01", ""),
    ("GM0786", "Grave", "GM1982", "2022-01-01", ""),
    ("GM0815", "Mill en Sint Hubert", "GM1982", "2022-01-01", ""),
    ("GM1684", "Cuijk", "GM1982", "2022-01-01", ""),
    ("GM1702", "Sint Anthonis", "GM1982", "2022-01-01", ""),
    ("GM0856", "Uden", "GM1991", "2022-01-01", ""),
    ("GM1685", "Landerd", "GM1991", "2022-01-01", ""),
    ("GM0457", "Weesp", "GM0363", "2022-03-24", "merger took effect on 24 March 2022, not on 1 January"),
    ("GM0501", "Brielle", "GM1992", "2023-01-01", ""),
    ("GM0530", "Hellevoetsluis", "GM1992", "2023-01-01", ""),
    ("GM0614", "Westvoorne", "GM1992", "2023-01-01", ""),
]


def build_mergers(municipalities: pl.DataFrame) -> pl.DataFrame:
    names = dict(municipalities.select("code", "name").iter_rows())
    rows = []
    seen = set()
    for old_code, old_name, succ, date, note in MERGERS:
        assert old_code not in seen, f"duplicate old_code {old_code}"
        seen.add(old_code)
        assert old_code not in names, f"{old_code} {old_name} still exists in 2025"
        assert succ in names, f"successor {succ} of {old_name} not in municipalities.csv"
        assert "2015-01-01" <= date <= "2025-01-01"
        rows.append({
            "old_code": old_code, "old_name": old_name, "successor_code": succ,
            "successor_name": names[succ], "effective_date": date,
            "source": SRC + (f"; {note}" if note else ""),
        })
    # Split notes name further receiving municipalities by code: check those exist too.
    for r in rows:
        for code in re.findall(r"GM\d{4}", r["source"]):
            assert code in names, f"{code} in note of {r['old_name']} unknown"
    return pl.DataFrame(rows).sort("effective_date", "old_code")


# --------------------------------------------------------------------------------------------
# 2c. municipality_name_variants.csv
# --------------------------------------------------------------------------------------------
# Common spellings not (necessarily) in the data. Every entry is checked against the key map.
VARIANTS: list[tuple[str, str]] = [
    ("Den Haag", "GM0518"), ("S GRAVENHAGE", "GM0518"), ("'S-GRAVENHAGE", "GM0518"),
    ("'s-Gravenhage (Den Haag)", "GM0518"), ("'S-GRAVENHAGE (DEN HAAG)", "GM0518"),
    ("'s-Gravenhage (gemeente)", "GM0518"), ("s-Gravenhage", "GM0518"),
    ("Rijswijk (ZH.)", "GM0603"), ("RIJSWIJK (ZH)", "GM0603"), ("Rijswijk ZH", "GM0603"),
    ("Rijswijk (Zuid-Holland)", "GM0603"),
    ("Bergen (NH.)", "GM0373"), ("Bergen (NH)", "GM0373"), ("Bergen NH", "GM0373"),
    ("Bergen (Noord-Holland)", "GM0373"),
    ("Bergen (L.)", "GM0893"), ("Bergen (L)", "GM0893"), ("Bergen L", "GM0893"),
    ("Bergen LB", "GM0893"), ("Bergen (Limburg)", "GM0893"), ("Bergen (LB)", "GM0893"),
    ("Hengelo (O.)", "GM0164"), ("Hengelo (O)", "GM0164"), ("Hengelo (Ov.)", "GM0164"),
    ("Hengelo (Overijssel)", "GM0164"),
    ("Beek (L.)", "GM0888"), ("Beek (L)", "GM0888"), ("Beek (Limburg)", "GM0888"),
    ("Stein (L.)", "GM0971"), ("Stein (L)", "GM0971"), ("Stein (Limburg)", "GM0971"),
    ("Laren (NH.)", "GM0417"), ("Laren (NH)", "GM0417"), ("Laren (Noord-Holland)", "GM0417"),
    ("Middelburg (Z.)", "GM0687"), ("Middelburg (Z)", "GM0687"), ("Middelburg (Zeeland)", "GM0687"),
    ("Utrecht (gemeente)", "GM0344"), ("Utrecht (Utr.)", "GM0344"),
    ("Groningen (gemeente)", "GM0014"), ("Groningen (Gr.)", "GM0014"),
    ("Den Bosch", "GM0796"), ("'s-Hertogenbosch (Den Bosch)", "GM0796"), ("S HERTOGENBOSCH", "GM0796"),
    ("'S-HERTOGENBOSCH", "GM0796"),
    ("Nuenen c.a.", "GM0820"), ("NUENEN CA", "GM0820"), ("Nuenen", "GM0820"),
    ("Súdwest Fryslân", "GM1900"), ("Sudwest-Fryslan", "GM1900"),
    # DUO's own mis-encoded spelling in the 2017-2018 Leidschendam-Voorburg file (bytes B7 and
    # D4 where ú and â belong; home PC4 8711, Workum, which is in Súdwest-Fryslân)
    ("S\u00b7dwest-Frysl\u00d4n", "GM1900"),
    ("Noardeast Fryslân", "GM1970"), ("Noardeast-Fryslan", "GM1970"),
    ("Tietjerksteradeel", "GM0737"), ("Dantumadeel", "GM1891"),
    ("Hellendoorn/Nijverdal", "GM0163"), ("Gorinchem (Gorcum)", "GM0512"),
    ("Capelle a/d IJssel", "GM0502"), ("Alphen a/d Rijn", "GM0484"),
]
# Older spellings of merged-away municipalities (kind=merged, code = successor).
MERGED_VARIANTS: list[tuple[str, str]] = [
    ("Haarlemmerliede c.a.", "GM0393"), ("HAARLEMMERLIEDE CA", "GM0393"),
    ("Kollumerland c.a.", "GM0079"), ("KOLLUMERLAND CA", "GM0079"),
    ("Ferwerderadeel", "GM1722"), ("Littenseradeel", "GM0140"), ("Menaldumadeel", "GM1908"),
    ("Het Bildt", "GM0063"), ("Mill en St. Hubert", "GM0815"),
]
SPECIAL: list[tuple[str, str]] = [
    ("Onbekend", "ONBEKEND"), ("onbekend", "ONBEKEND"), ("ONBEKEND", "ONBEKEND"),
    ("Belgie", "BUITENLAND"), ("België", "BUITENLAND"), ("Duitsland", "BUITENLAND"),
    ("ander land", "BUITENLAND"), ("Ander land", "BUITENLAND"), ("Buitenland", "BUITENLAND"),
]
KIND_PRIORITY = {"special": 0, "official": 1, "merged": 2, "duo": 3, "variant": 4}


class NameTable:
    """Collects (name, code, kind, source) and keeps the key -> code map collision-free."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []
        self.key_code: dict[str, str] = {}
        self.key_origin: dict[str, str] = {}

    def add(self, name: str, code: str, kind: str, source: str) -> None:
        name = name.strip()
        if not name:
            return
        key = name_key(name)
        assert key, f"name {name!r} has an empty key"
        if key in self.key_code and self.key_code[key] != code:
            raise AssertionError(
                f"name key collision: {name!r} ({source}) -> {code}, but key {key!r} already "
                f"maps to {self.key_code[key]} via {self.key_origin[key]}")
        self.key_code.setdefault(key, code)
        self.key_origin.setdefault(key, f"{name!r} ({source})")
        self.rows.append((name, code, kind, source))

    def resolve(self, name: str) -> str | None:
        return self.key_code.get(name_key(name))

    def frame(self) -> pl.DataFrame:
        df = pl.DataFrame(self.rows, schema=["name", "code", "kind", "source"], orient="row")
        per_name = df.group_by("name").agg(
            pl.col("code").unique().alias("codes"),
            pl.col("kind").unique().alias("kinds"),
            pl.col("source").unique().sort().str.join("; ").alias("source"),
        )
        bad = per_name.filter(pl.col("codes").list.len() > 1)
        assert bad.height == 0, f"one name with several codes: {bad.rows()}"
        return per_name.select(
            "name",
            pl.col("codes").list.first().alias("code"),
            pl.col("kinds").list.eval(pl.element().replace_strict(KIND_PRIORITY)).list.min()
            .replace_strict({v: k for k, v in KIND_PRIORITY.items()}).alias("kind"),
            "source",
        ).sort("code", "name")


def duo_po_files() -> list[Path]:
    """The 2024 files (UTF-8): the name table is derived from these. The 2017-2018 files
    (one of them cp1252, which DuckDB cannot read) are only checked against it."""
    return sorted(p for p in INPUTS_DUO.glob("*.csv")
                  if p.name.endswith(" afgeschermd.csv") or p.name.endswith("20241001_all-municipalities.csv"))


def duo_po_2017_names() -> tuple[list[str], list[str]]:
    """Distinct residence names and school municipality numbers of the bundled 2017-2018
    files. School municipalities are mapped by their number (the extract spells one of them
    'S·dwest-FryslÔn', DUO's own mis-encoding of Súdwest-Fryslân, GEMEENTENUMMER 1900)."""
    names: set[str] = set()
    numbers: set[str] = set()
    for path in sorted(INPUTS_DUO.glob("*.csv")):
        if path.name in {Path(rel).name for rel, _, _ in COPIES if rel.startswith(PO_2017)}:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            df = pl.read_csv(io.StringIO(text), separator=";", infer_schema=False)
            names |= set(df["GEMEENTENAAM_LEERLING"].drop_nulls())
            numbers |= set(df["GEMEENTENUMMER"].drop_nulls())
    return sorted(names), sorted(numbers)


def sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def build_name_variants(con: duckdb.DuckDBPyConnection, municipalities: pl.DataFrame,
                        mergers: pl.DataFrame, shared: Path, scholen: dict) -> tuple[pl.DataFrame, NameTable]:
    t = NameTable()
    for code, name, name_2023 in municipalities.iter_rows():
        t.add(name, code, "official", "CBS gemeenten 2025 (statnaam)")
        t.add(name_2023, code, "official", "CBS gemeenten 2023 (statnaam)")
    for old_code, old_name, succ, *_ in mergers.iter_rows():
        t.add(old_name, succ, "merged", f"merged away ({old_code}), see municipality_mergers.csv")
    by_old = dict(mergers.select("old_code", "successor_code").iter_rows())
    for name, old_code in MERGED_VARIANTS:
        t.add(name, by_old[old_code], "merged", f"older spelling of {old_code}, see municipality_mergers.csv")
    for name, code in SPECIAL:
        t.add(name, code, "special", "special origin")

    def coded(code_raw: str | None, name: str | None, source: str) -> None:
        if name is None or not name.strip():
            return
        if code_raw is None or not code_raw.strip():
            return
        num = int(code_raw)
        if num == 9999:  # DUO's 'ONBEKEND'
            t.add(name, "ONBEKEND", "special", source)
        else:
            t.add(name, f"GM{num:04d}", "duo", source)

    # DUO names that come with a municipality number: the key map must agree with the number.
    po = sql_list(duo_po_files())
    for code_raw, name in con.sql(
            f"select distinct GEMEENTENUMMER, GEMEENTENAAM from read_csv({po}, all_varchar=true, "
            f"delim=';', header=true, union_by_name=true) order by all").fetchall():
        coded(code_raw, name, "DUO po-leerlingen per gemeente 2024 (GEMEENTENAAM)")
    hist = INPUTS_DUO / "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv"
    for code_raw, name in con.sql(
            f"select distinct GEMEENTECODE_VESTIGING, GEMEENTENAAM_VESTIGING from "
            f"read_csv('{hist}', all_varchar=true, delim=';', header=true) order by all").fetchall():
        coded(code_raw, name, "DUO historisch overzicht leerlingen per vestiging (GEMEENTENAAM_VESTIGING)")
    adressen = shared_file(shared, ADRESSEN)
    adr = pl.read_csv(io.StringIO(adressen.read_bytes().decode("cp1252")), separator=";",
                      infer_schema=False)
    for code_raw, name in adr.select("GEMEENTENUMMER", "GEMEENTENAAM").unique().sort(
            "GEMEENTENUMMER", "GEMEENTENAAM", nulls_last=True).iter_rows():
        coded(code_raw, name, "DUO adressen vestigingen basisonderwijs (GEMEENTENAAM)")
    for name, code in VARIANTS:
        t.add(name, code, "variant", "common variant")

    # DUO names without a number: must resolve through the key map.
    unmapped: list[tuple[str, str]] = []
    residence = [r[0] for r in con.sql(
        f"select distinct GEMEENTENAAM_LEERLING from read_csv({po}, all_varchar=true, delim=';', "
        f"header=true, union_by_name=true) where GEMEENTENAAM_LEERLING is not null order by 1").fetchall()]
    school_gem = sorted({f["properties"]["gemeente"] for f in scholen["features"]})
    for names, source in ((residence, "DUO po-leerlingen per gemeente 2024 (GEMEENTENAAM_LEERLING)"),
                          (school_gem, "edugis scholen.geo.json 2024 (gemeente)")):
        for name in names:
            code = t.resolve(name)
            if code is None:
                unmapped.append((name, source))
            else:
                kind = "special" if code in ("ONBEKEND", "BUITENLAND") else "duo"
                t.add(name, code, kind, source)
    if unmapped:
        print("UNMAPPED names:", unmapped)
        raise SystemExit("some names do not map to a code; extend VARIANTS")

    df = t.frame()
    # Bare 'BERGEN' is ambiguous (GM0373 Bergen NH / GM0893 Bergen L) and must not be in the table.
    assert "BERGEN" not in {name_key(n) for n in df["name"]}
    assert t.resolve("Bergen (NH.)") == "GM0373" and t.resolve("Bergen (L.)") == "GM0893"
    # Every code is a 2025 municipality or a special origin.
    valid = set(municipalities["code"]) | {"ONBEKEND", "BUITENLAND"}
    assert set(df["code"]) <= valid, set(df["code"]) - valid
    assert set(municipalities["code"]) <= set(df["code"])
    assert set(df["kind"]) <= set(KIND_PRIORITY)
    # Final collision check on the written table, and Python rule == DuckDB SQL rule.
    keyed = df.with_columns(pl.col("name").map_elements(name_key, return_dtype=pl.String).alias("key"))
    clash = keyed.group_by("key").agg(pl.col("code").n_unique().alias("n")).filter(pl.col("n") > 1)
    assert clash.height == 0, f"codes collide under the name key: {clash.rows()}"
    con.register("variants_py", keyed)
    mismatch = con.sql(
        f"select name, key, {SQL_NAME_KEY.format(col='name')} as sql_key from variants_py "
        f"where key <> {SQL_NAME_KEY.format(col='name')}").fetchall()
    con.unregister("variants_py")
    assert not mismatch, f"Python and SQL name keys differ: {mismatch}"

    # Verification asked for: every residence name in the bundled DUO files maps to a code.
    missing = [n for n in residence if t.resolve(n) is None]
    print(f"residence names in bundled DUO files: {len(residence)} distinct, unmapped: {missing or 'none'}")
    assert not missing
    names_2017, numbers_2017 = duo_po_2017_names()
    missing = [n for n in names_2017 if t.resolve(n) is None]
    print(f"residence names in bundled 2017-2018 DUO files: {len(names_2017)} distinct, "
          f"unmapped: {missing or 'none'}")
    assert not missing
    unknown = sorted(n for n in numbers_2017 if f"GM{int(n):04d}" not in set(municipalities["code"]))
    print(f"school municipality numbers in bundled 2017-2018 DUO files: {len(numbers_2017)} distinct, "
          f"not a 2025 municipality: {unknown or 'none'}")
    return df, t


# --------------------------------------------------------------------------------------------
# 2d. school_locations.csv
# --------------------------------------------------------------------------------------------
SECONDARY_PARTS = {"VBO", "MAVO", "HAVO", "VWO", "BRUGJAAR", "PRO"}


def sector_of(duo_type: str) -> str:
    fixed = {"basisschool": "BO", "SBAO": "SBO", "SO": "SO", "VSO": "VSO", "(V)SO": "SO/VSO", "PRO": "PRO"}
    if duo_type in fixed:
        return fixed[duo_type]
    parts = duo_type.split("/")
    if parts and all(p in SECONDARY_PARTS for p in parts):
        return "VO"
    raise ValueError(f"unknown school type {duo_type!r}")


def build_school_locations(scholen: dict, names: NameTable, municipalities: pl.DataFrame) -> pl.DataFrame:
    official = dict(municipalities.select("code", "name").iter_rows())
    rows = []
    for f in scholen["features"]:
        p = f["properties"]
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"][:2]
        code = names.resolve(p["gemeente"])
        assert code in official, f"school {p['vestigingscode']}: municipality {p['gemeente']!r} -> {code}"
        assert re.fullmatch(r"[0-9A-Z]{4}\d{2}", p["vestigingscode"]), p["vestigingscode"]
        assert p["vestigingscode"][:4] == p["brin_nummer"], p["vestigingscode"]
        rows.append({
            "school_location_id": p["vestigingscode"], "brin": p["brin_nummer"], "name": p["naam"],
            "duo_type": p["type"], "sector": sector_of(p["type"]), "municipality_code": code,
            "municipality_name": official[code], "postcode": p["postcode"],
            "latitude": float(lat), "longitude": float(lon), "pupils": p["leerlingen"],
        })
    df = pl.DataFrame(rows, schema={
        "school_location_id": pl.String, "brin": pl.String, "name": pl.String, "duo_type": pl.String,
        "sector": pl.String, "municipality_code": pl.String, "municipality_name": pl.String,
        "postcode": pl.String, "latitude": pl.Float64, "longitude": pl.Float64, "pupils": pl.Int64,
    }).sort("school_location_id", maintain_order=True)
    assert df.height == len(scholen["features"])
    dup = df.filter(pl.col("school_location_id").is_duplicated())
    print(f"school_locations: {df.height} rows, {df['school_location_id'].n_unique()} distinct ids; "
          f"{dup['school_location_id'].n_unique()} ids occur more than once ({dup.height} rows; "
          f"geocoding duplicates, same school/type/pupils, different house number or point)")
    print("  by sector:", dict(df.group_by("sector").len().sort("sector").iter_rows()))
    return df


# --------------------------------------------------------------------------------------------
# 2e. population_2024.csv
# --------------------------------------------------------------------------------------------
def build_population(shared: Path, municipalities: pl.DataFrame) -> pl.DataFrame:
    props = {p.get("Key"): p for p in json.loads(shared_file(shared, KWB_PROPS).read_text("utf-8"))}
    assert props["AantalInwoners_5"]["Unit"] == "aantal"
    assert props["OppervlakteLand_123"]["Unit"] == "ha", props["OppervlakteLand_123"]["Unit"]
    data = json.loads(shared_file(shared, KWB).read_text("utf-8"))
    rows = [{"code": k, "inhabitants": v["AantalInwoners_5"], "area_land_ha": v["OppervlakteLand_123"]}
            for k, v in data.items() if k.startswith("GM")]
    df = pl.DataFrame(rows, schema={"code": pl.String, "inhabitants": pl.Int64, "area_land_ha": pl.Int64}).sort("code")
    assert df.height == 342 and set(df["code"]) == set(municipalities["code"])
    assert df.null_count().sum_horizontal().item() == 0
    return df


# --------------------------------------------------------------------------------------------
# 3. Checks on hand-written files
# --------------------------------------------------------------------------------------------
HAAGLANDEN = {"GM0518", "GM0637", "GM1783", "GM0503", "GM1916", "GM0603", "GM1926", "GM0629", "GM1842"}


def check_region(municipalities: pl.DataFrame) -> None:
    cfg = tomllib.loads((DATA / "regions" / "haaglanden.toml").read_text("utf-8"))
    codes = [m["code"] for m in cfg["municipality"]]
    assert len(codes) == len(set(codes))
    assert set(codes) <= set(municipalities["code"]), set(codes) - set(municipalities["code"])
    assert set(codes) == HAAGLANDEN
    print(f"region {cfg['slug']}: {len(codes)} municipalities, all codes valid")


def check_readme() -> bool:
    readme = DATA / "README.md"
    text = readme.read_text("utf-8") if readme.exists() else ""
    ok = True
    for path in sorted(p for p in DATA.rglob("*") if p.is_file()):
        if path == readme or path.name == "warehouse.duckdb" or "__pycache__" in path.parts:
            continue
        digest = sha256(path)
        if digest not in text:
            ok = False
            print(f"README: sha256 of {path.relative_to(DATA)} not quoted: {digest}")
    print("README sha256 list up to date" if ok else "README sha256 list OUT OF DATE (see above)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = os.environ.get("GRENSVERKEER_SHARED", str(REPO.parent / "shared" / "data"))
    parser.add_argument("--shared", type=Path, default=Path(default))
    args = parser.parse_args()
    shared = args.shared.resolve()

    copy_inputs(shared)
    con = duckdb.connect()
    scholen = json.loads(shared_file(shared, SCHOLEN).read_text("utf-8"))

    municipalities = build_municipalities()
    write_csv(municipalities, REF / "municipalities.csv")
    mergers = build_mergers(municipalities)
    write_csv(mergers, REF / "municipality_mergers.csv")
    variants, names = build_name_variants(con, municipalities, mergers, shared, scholen)
    write_csv(variants, REF / "municipality_name_variants.csv")
    print("  by kind:", dict(variants.group_by("kind").len().sort("kind").iter_rows()))
    write_csv(build_school_locations(scholen, names, municipalities), REF / "school_locations.csv")
    write_csv(build_population(shared, municipalities), REF / "population_2024.csv")
    check_region(municipalities)
    if not check_readme():
        sys.exit(1)


if __name__ == "__main__":
    main()
