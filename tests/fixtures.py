"""Builders for small DUO-shaped input files, written byte for byte as DUO might have.

Rows hold the TRUE counts; the writers mask 1..4 as '<5' the way DUO does, write the
header of either generation, and choose encoding, delimiter, quoting and line endings.
The per-location totals file holds the true sums, so the estimator's constraints are
exact and every expected flow in the tests can be worked out by hand.

The builders describe DUO's formats independently of the loader's recognition (ingest/kinds.py
aliases); the one thing they take from the pipeline is DUO's current PO header (PO_PC4_HEADER,
PO_AGE_LABELS), which tests/test_ingest_units.py holds to the header of the real bundled files.
`run` materialises the real Dagster assets on a folder; `rows_accounted` checks the
bookkeeping invariant (every input row accepted, duplicate or rejected) per file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from grensverkeer.ingest.kinds import PO_AGE_LABELS, PO_PC4_HEADER

REPO = Path(__file__).resolve().parents[1]

AGE_LABELS = list(PO_AGE_LABELS)
PO_AGE_COLUMNS = [f"LEEFTIJD_{a}" for a in AGE_LABELS]

PO_NEW_HEAD = list(PO_PC4_HEADER)
PO_OLD_HEAD = [
    h.replace("INSTELLINGSCODE", "BRIN_NUMMER").replace("VESTIGINGSCODE", "VESTIGINGSNUMMER") for h in PO_NEW_HEAD
]

VO_OLD_HEAD = [
    "BRIN NUMMER",
    "VESTIGINGSNUMMER",
    "POSTCODE LEERLING",
    "PLAATSNAAM LEERLING",
    "GEMEENTENUMMER LEERLING",
    "GEMEENTENAAM LEERLING",
] + [f"LEER- OF VERBLIJFSJAAR {i}" for i in range(1, 7)]
VO_NEW_HEAD = [
    "PEILDATUM",
    "INSTELLINGSCODE",
    "VESTIGINGSCODE",
    "INSTELLINGSNAAM_VESTIGING",
    "GEMEENTENUMMER",
    "GEMEENTENAAM",
    "POSTCODE_LEERLING",
    "PLAATSNAAM_LEERLING",
    "GEMEENTENUMMER_LEERLING",
    "GEMEENTENAAM_LEERLING",
] + [f"LEER_OF_VERBLIJFSJAAR_{i}" for i in range(1, 7)]

TOTALS_HEAD = [
    "INSTELLINGSCODE",
    "VESTIGINGSCODE",
    "NAAM_VESTIGING",
    "SOORT_VESTIGING",
    "DENOMINATIE_VESTIGING",
    "BEVOEGD_GEZAG_NUMMER",
    "GEMEENTECODE_VESTIGING",
    "GEMEENTENAAM_VESTIGING",
]
TOTALS_YEARS = (2021, 2022, 2023, 2024, 2025)

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
DELIMITERS = (";", ",")
QUOTINGS = ("all", "none")
NEWLINES = ("\r\n", "\n")
GENERATIONS = ("new", "old")


@dataclass(frozen=True)
class School:
    brin: str
    vest: str  # two digits
    name: str
    municipality_no: str  # DUO's 4-digit number, e.g. '0503'
    municipality_name: str
    postcode: str = "2600AA"
    place: str = "DELFT"

    @property
    def location_id(self) -> str:
        return self.brin + self.vest


@dataclass(frozen=True)
class PoRow:
    school: School
    home_pc4: str
    home_name: str
    soort: str  # as DUO writes it: Bo, Sbo, So, Vso
    counts: dict  # age label ('JONGER', '4', ... 'OUDER') -> true count
    override: dict = field(default_factory=dict)  # column -> text written instead (bad data)
    peildatum: str = "20241001"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class VoRow:
    location_id: str
    school_name: str
    municipality_no: str  # of the school (written only in the new generation)
    municipality_name: str
    home_pc4: str
    home_place: str
    home_no: str  # GEMEENTENUMMER LEERLING
    home_name: str
    counts: dict  # leerjaar 1..6 -> true count
    peildatum: str = "20241001"


def mask(n: int) -> str:
    """DUO's disclosure rule: 1..4 is published as '<5'."""
    return "<5" if 1 <= n <= 4 else str(n)


def _encode(records: list[list[str]], *, encoding: str, delimiter: str, quoting: str, newline: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_NONE,
        escapechar=None,
    )
    for rec in records:
        if quoting == "none":
            assert not any(delimiter in v or '"' in v for v in rec), f"value needs quoting: {rec}"
        writer.writerow(rec)
    return buf.getvalue().encode(encoding)


def po_records(
    rows: list[PoRow], generation: str = "new", *, peildatum: bool = True, masked: bool = True
) -> list[list[str]]:
    """Header plus one record per row, as DUO's PO-per-municipality file of that generation."""
    head = list(PO_NEW_HEAD if generation == "new" else PO_OLD_HEAD) + PO_AGE_COLUMNS
    if generation == "old":
        head.append("TOTAAL")
    if not peildatum:
        head.remove("PEILDATUM")
    out = [head]
    for r in rows:
        s = r.school
        values = {
            "PEILDATUM": r.peildatum,
            "GEMEENTENUMMER": s.municipality_no,
            "GEMEENTENAAM": s.municipality_name,
            "POSTCODE_LEERLING": r.home_pc4,
            "GEMEENTENAAM_LEERLING": r.home_name,
            "INSTELLINGSCODE": s.brin,
            "BRIN_NUMMER": s.brin,
            # the old generation wrote the location number without its leading zero
            "VESTIGINGSCODE": s.vest,
            "VESTIGINGSNUMMER": str(int(s.vest)),
            "INSTELLINGSNAAM_VESTIGING": s.name,
            "POSTCODE_VESTIGING": s.postcode,
            "PLAATSNAAM": s.place,
            "PROVINCIE": "Zuid-Holland",
            "SOORT_PO": r.soort,
            "DENOMINATIE_VESTIGING": "Openbaar",
            "BEVOEGD_GEZAG_NUMMER": "41455",
            "TOTAAL": mask(r.total) if masked else str(r.total),  # DUO masks a row total of 1..4 too
        }
        for label, col in zip(AGE_LABELS, PO_AGE_COLUMNS):
            n = r.counts.get(label, 0)
            values[col] = mask(n) if masked else str(n)
        values.update(r.override)
        out.append([values[h] for h in head])
    return out


def write_po(
    path: Path,
    rows: list[PoRow],
    *,
    generation: str = "new",
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
    quoting: str = "all",
    newline: str = "\n",
    peildatum: bool = True,
) -> Path:
    """A PO file; defaults are those of DUO's 2024 files (UTF-8 with BOM, ';', all quoted, LF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        _encode(
            po_records(rows, generation, peildatum=peildatum),
            encoding=encoding,
            delimiter=delimiter,
            quoting=quoting,
            newline=newline,
        )
    )
    return path


def write_records(
    path: Path,
    records: list[list[str]],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
    quoting: str = "all",
    newline: str = "\n",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_encode(records, encoding=encoding, delimiter=delimiter, quoting=quoting, newline=newline))
    return path


def write_vo(
    path: Path,
    rows: list[VoRow],
    *,
    generation: str = "new",
    encoding: str = "utf-8",
    delimiter: str = ";",
    quoting: str = "all",
    newline: str = "\r\n",
) -> Path:
    head = VO_NEW_HEAD if generation == "new" else VO_OLD_HEAD
    out = [list(head)]
    for r in rows:
        cells = [mask(r.counts.get(i, 0)) for i in range(1, 7)]
        if generation == "new":
            out.append(
                [
                    r.peildatum,
                    r.location_id[:4],
                    r.location_id,
                    r.school_name,
                    r.municipality_no,
                    r.municipality_name,
                    r.home_pc4,
                    r.home_place,
                    r.home_no,
                    r.home_name,
                    *cells,
                ]
            )
        else:
            out.append([r.location_id[:4], r.location_id, r.home_pc4, r.home_place, r.home_no, r.home_name, *cells])
    return write_records(path, out, encoding=encoding, delimiter=delimiter, quoting=quoting, newline=newline)


def location_totals(rows: list[PoRow]) -> dict[School, int]:
    out: dict[School, int] = {}
    for r in rows:
        out[r.school] = out.get(r.school, 0) + r.total
    return out


def write_totals(
    path: Path,
    totals: dict[School, dict[int, int | str]],
    *,
    soort: dict[str, str] | None = None,
    extra_records: list[list[str]] | None = None,
) -> Path:
    """DUO's 'historisch overzicht': UTF-8 with BOM, ';', unquoted, CRLF, one column per year."""
    soort = soort or {}
    head = TOTALS_HEAD + [f"LEERLINGEN_{y}" for y in TOTALS_YEARS]
    out = [head]
    for s, by_year in totals.items():
        out.append(
            [
                s.brin,
                s.location_id,
                s.name,
                soort.get(s.location_id, "BO"),
                "Openbaar",
                "41455",
                str(int(s.municipality_no)),
                s.municipality_name.upper(),
                *[str(by_year.get(y, "")) for y in TOTALS_YEARS],
            ]
        )
    out += extra_records or []
    return write_records(path, out, encoding="utf-8-sig", delimiter=";", quoting="none", newline="\r\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_files_in(folder: Path) -> list[Path]:
    """What the loader should read: *.csv and *.txt anywhere under the folder except linked/."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in (".csv", ".txt") and "linked" not in p.relative_to(folder).parts[:-1]
    )


def data_rows_in(path: Path) -> int:
    """Non-empty lines after the header, counted from the bytes (independent of the loader)."""
    lines = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    return sum(1 for line in lines[1:] if line.strip())


def write_region(path: Path, codes: list[str]) -> Path:
    body = 'name = "Testregio"\nslug = "test"\n' + "".join(
        f'\n[[municipality]]\ncode = "{c}"\ndisplay_name = "{c}"\n' for c in codes
    )
    path.write_text(body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# The baseline fixture, school year 2024-2025. Every number below is worked out by hand.
# --------------------------------------------------------------------------------------

DELFT_MONT = School("04MF", "00", "Delftse Montessorischool", "0503", "Delft", "2612AA", "DELFT")
DELFT_SO = School("00PZ", "00", "Herman Broerenschool", "0503", "Delft", "2612SP", "DELFT")
WESTLAND_BO = School("05XZ", "00", "Basisschool De Flûte", "1783", "Westland", "2671AA", "NAALDWIJK")
DENHAAG_BO = School("04ZT", "00", "De Drie Linden", "0518", "'s-Gravenhage", "2500AA", "'S-GRAVENHAGE")
RIJSWIJK_BO = School("03PQ", "00", "Petrusschool", "0603", "Rijswijk", "2280AA", "RIJSWIJK")

# 04MF00 (Delft, BO): 3 masked cells, true 1 each; total 43 = 40 unmasked + 3 -> each exactly 1.
DELFT_ROWS = [
    PoRow(DELFT_MONT, "2611", "Delft", "Bo", {"4": 10, "5": 12, "6": 1}),  # 23, GM0503
    PoRow(DELFT_MONT, "2289", "Rijswijk", "Bo", {"5": 1, "7": 6}),  # 7,  GM0603
    PoRow(DELFT_MONT, "2497", "Den Haag", "Bo", {"8": 5}),  # 5,  GM0518
    PoRow(DELFT_MONT, "2491", "'s-Gravenhage", "Bo", {"9": 1}),  # 1,  GM0518
    PoRow(DELFT_MONT, "2492", "S GRAVENHAGE", "Bo", {"6": 7}),  # 7,  GM0518
    # 00PZ00 (Delft, SO/VSO): 4 masked cells (true 3, 2, 1, 2) hold 8 together: estimates are
    # not exact, only their sum is (total 19 - 11 unmasked). Bounds given the total: a group
    # of k of the 4 cells holds between max(k, 8 - 4(4-k)) and min(4k, 8 - (4-k)).
    PoRow(DELFT_SO, "2624", "Delft", "So", {"7": 5, "9": 3, "10": 2}),  # SO GM0503
    PoRow(DELFT_SO, "2672", "Westland", "Vso", {"13": 1, "14": 6}),  # VSO GM1783
    PoRow(DELFT_SO, "2651", "Lansingerland", "So", {"8": 2}),  # SO GM1621
]
# 05XZ00 (Westland, BO): 3 masked cells, true 4 each; total 59 = 47 + 12 -> each exactly 4.
WESTLAND_ROWS = [
    PoRow(WESTLAND_BO, "2671", "Westland", "Bo", {"4": 20, "5": 18}),  # 38, GM1783
    PoRow(WESTLAND_BO, "2625", "Delft", "Bo", {"6": 4, "7": 4}),  # 8,  GM0503
    PoRow(WESTLAND_BO, "8701", "Súdwest-Fryslân", "Bo", {"10": 4}),  # 4,  GM1900
    PoRow(WESTLAND_BO, "10", "Belgie", "Bo", {"5": 9}),  # 9,  BUITENLAND
]
# 04ZT00 ('s-Gravenhage, BO): no masks; special and unusual home municipality names.
DENHAAG_ROWS = [
    PoRow(DENHAAG_BO, "2491", "'s-Gravenhage", "Bo", {"4": 30}),  # GM0518
    PoRow(DENHAAG_BO, "2282", "Rijswijk", "Bo", {"5": 17}),  # GM0603
    PoRow(DENHAAG_BO, "20", "Duitsland", "Bo", {"7": 15}),  # BUITENLAND
    PoRow(DENHAAG_BO, "30", "ander land", "Bo", {"8": 11}),  # BUITENLAND
    PoRow(DENHAAG_BO, "2165", "Haarlemmerliede en Spaarnwoude", "Bo", {"9": 12}),  # merged -> GM0394
    PoRow(DENHAAG_BO, "1234", "Atlantis", "Bo", {"10": 13}),  # unknown -> ONBEKEND
    PoRow(DENHAAG_BO, "40", "Onbekend", "Bo", {"11": 14}),  # ONBEKEND
]
# A multi-municipality extract: two rows that are also in the municipality files (counted
# once, from there) and one row of a Rijswijk school found nowhere else.
EXTRACT_ROWS = [DELFT_ROWS[2], WESTLAND_ROWS[0], PoRow(RIJSWIJK_BO, "2282", "Rijswijk", "Bo", {"6": 25})]

BASE_TOTALS = {
    DELFT_MONT: {2022: 41, 2023: 44, 2024: 43},
    DELFT_SO: {2023: 17, 2024: 19},
    WESTLAND_BO: {2023: 60, 2024: 59},
    DENHAAG_BO: {2023: 100, 2024: 112},
}
BASE_SOORT = {"00PZ00": "SO/VSO"}

# VO, new generation (PEILDATUM, school municipality in the file): real locations in Delft.
VO_NEW_ROWS = [
    VoRow("01GX00", "Christelijk Lyceum Delft", "0503", "Delft", "2611", "DELFT", "0503", "Delft", {1: 50, 2: 45}),
    VoRow(
        "01GX00", "Christelijk Lyceum Delft", "0503", "Delft", "2636", "SCHIPLUIDEN", "1842", "Midden-Delfland", {1: 3}
    ),
    VoRow(
        "26MJ00", "Laurentius Praktijkschool", "0503", "Delft", "2671", "NAALDWIJK", "1783", "Westland", {1: 6, 2: 7}
    ),
]
# VO, old generation (spaces in the header, no count date, no school municipality): the
# year comes from the file name, the school municipality from school_locations.csv.
VO_OLD_ROWS = [
    VoRow("02DQ00", "", "", "", "2242", "WASSENAAR", "0629", "Wassenaar", {1: 10, 2: 11, 3: 12}),
    VoRow("02DQ00", "", "", "", "2491", "'S-GRAVENHAGE", "0518", "'s-Gravenhage", {1: 20}),
    VoRow("04NF00", "", "", "", "2282", "RIJSWIJK", "0603", "Rijswijk", {1: 8}),
    VoRow("04NF00", "", "", "", "2165", "HAARLEMMERLIEDE", "0393", "Haarlemmerliede en Spaarnwoude", {2: 5}),
]

# Exact flows of the baseline (sector, origin, destination) -> students; every one of
# these has students = students_low = students_high.
BASE_EXACT_FLOWS = {
    ("BO", "GM0503", "GM0503"): 23,
    ("BO", "GM0603", "GM0503"): 7,
    ("BO", "GM0518", "GM0503"): 13,
    ("BO", "GM1783", "GM1783"): 38,
    ("BO", "GM0503", "GM1783"): 8,
    ("BO", "GM1900", "GM1783"): 4,
    ("BO", "BUITENLAND", "GM1783"): 9,
    ("BO", "GM0518", "GM0518"): 30,
    ("BO", "GM0603", "GM0518"): 17,
    ("BO", "BUITENLAND", "GM0518"): 26,
    ("BO", "GM0394", "GM0518"): 12,
    ("BO", "ONBEKEND", "GM0518"): 27,
    ("BO", "GM0603", "GM0603"): 25,
    ("VO", "GM0503", "GM0503"): 95,
    ("PRO", "GM1783", "GM0503"): 13,
    ("VO", "GM0629", "GM0518"): 33,
    ("VO", "GM0518", "GM0518"): 20,
    ("PRO", "GM0603", "GM0518"): 8,
    ("PRO", "GM0394", "GM0518"): 5,
}
# Flows that hold estimated cells: (sector, origin, destination) -> (exact part, low, high).
BASE_ESTIMATED_FLOWS = {
    ("SO", "GM0503", "GM0503"): (5, 7, 11),  # 5 + two masked cells (2..6 of the 8)
    ("VSO", "GM1783", "GM0503"): (6, 7, 10),  # 6 + one masked cell
    ("SO", "GM1621", "GM0503"): (0, 1, 4),  # one masked cell
    ("VO", "GM1842", "GM0503"): (0, 1, 4),  # one masked cell, no location total: prior
}
BASE_REGION = ["GM0503", "GM0518", "GM0603", "GM1783"]


def write_baseline(folder: Path, *, delft_name: str = "2024/Delft.csv") -> dict[str, Path]:
    """The good 2024 input folder. The Westland file has a meaningless name on purpose."""
    files = {
        "delft": write_po(folder / delft_name, DELFT_ROWS),
        "westland": write_po(
            folder / "totally-random.txt",
            WESTLAND_ROWS,
            encoding="cp1252",
            delimiter=",",
            quoting="none",
            newline="\r\n",
        ),
        "denhaag": write_po(folder / "2024/'s-Gravenhage.csv", DENHAAG_ROWS, encoding="utf-8", quoting="none"),
        "extract": write_po(folder / "extract/haaglanden-po-20241001.csv", EXTRACT_ROWS),
        "totals": write_totals(folder / "06.-historisch-overzicht.csv", BASE_TOTALS, soort=BASE_SOORT),
        "vo_new": write_vo(folder / "vo/vo-per-vestiging-nieuw.csv", VO_NEW_ROWS, generation="new"),
        "vo_old": write_vo(
            folder / "vo/leerlingen-vo-per-vestiging-2024.csv",
            VO_OLD_ROWS,
            generation="old",
            encoding="cp1252",
            delimiter=",",
            quoting="all",
        ),
    }
    # Linked records are not DUO input: the DUO loader leaves this folder to the linked loader.
    linked = folder / "linked" / "leerlingen-2024.csv"
    linked.parent.mkdir(parents=True, exist_ok=True)
    linked.write_text(
        "school_location_id;school_name;sector;municipality_code\n04MF00;Linked school;BO;GM0503\n", encoding="utf-8"
    )
    return files


# --------------------------------------------------------------------------------------
# Running the pipeline and reading the warehouse
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    input_dir: Path
    warehouse: Path
    out_dir: Path
    outcome: object  # RunOutcome
    checks: list  # AssetCheckEvaluation of every check of this run (check_name, passed, severity, description)

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def flows(self, year: str = "2024-2025") -> dict[tuple[str, str, str], tuple[float, int, int]]:
        return {
            (s, o, d): (round(n, 9), lo, hi)
            for s, o, d, n, lo, hi in self.query(
                "select sector, origin_code, destination_code, students, students_low, students_high "
                "from municipality_flows where school_year = ?",
                [year],
            )
        }


def run(
    input_dir: Path, warehouse: Path, out_dir: Path, region: list[str] | None = None, region_file: Path | None = None
) -> Run:
    """Materialise the real assets on a folder (see grensverkeer.runner)."""
    from dagster import DagsterEventType, DagsterInstance

    from grensverkeer.runner import run_pipeline

    if region:
        region_file = write_region(warehouse.parent / f"{warehouse.stem}-region.toml", region)
    # Entering the instance makes it the current one for loading definitions (Dagster keeps
    # that in a context variable, which other tests' instances can leave pointing at a
    # disposed instance).
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(input_dir, warehouse, out_dir, region_file, instance=instance)
        checks = [
            entry.dagster_event.event_specific_data
            for record in instance.get_runs()
            for entry in instance.all_logs(record.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        ]
    return Run(input_dir, warehouse, out_dir, outcome, checks)


def rows_accounted(r: Run) -> list[str]:
    """The bookkeeping invariant, per input file of a fresh run: a loaded file's data rows are
    all in stg_duo_rows (accepted, duplicate or rejected; stg_location_totals for the totals
    file), and a rejected or duplicate file is in rejected_files and has no staged rows.
    Returns the violations as sentences."""
    problems = []
    for path in input_files_in(r.input_dir):
        name = str(path.relative_to(r.input_dir))
        expected = data_rows_in(path) if path.stat().st_size else 0
        status = r.query(
            "select status, kind from input_files where file_name = ? and sha256 = ?", [name, sha256(path)]
        )
        if not status:
            problems.append(f"{name}: not in input_files")
            continue
        ((st, kind),) = status
        table = "stg_location_totals" if kind == "duo_po_location_totals" else "stg_duo_rows"
        staged = r.query(f"select count(*) from {table} where file_name = ?", [name])[0][0]
        if kind == "duo_po_location_totals":
            years = r.query("select count(distinct school_year) from stg_location_totals where file_name = ?", [name])[
                0
            ][0]
            staged = staged / max(years, 1)
        if st == "loaded" and staged != expected:
            problems.append(f"{name}: {expected} data rows but {staged} staged")
        if st in ("rejected", "duplicate"):
            if not r.query("select 1 from rejected_files where file_name = ? and sha256 = ?", [name, sha256(path)]):
                problems.append(f"{name}: status {st} but not in rejected_files")
            if staged:
                problems.append(f"{name}: status {st} but {staged} rows staged")
    return problems


# --------------------------------------------------------------------------------------
# Linked records (INPUT/linked/): writers, a region file with agreement thresholds, a run
# with that region file, the `grensverkeer` command, and BSNs made by the elfproef.
# --------------------------------------------------------------------------------------

LINKED_SCHOOLS_HEAD = ["school_location_id", "school_name", "sector", "municipality_code"]
LINKED_ENROLMENTS_HEAD = [
    "school_year",
    "student_id",
    "school_location_id",
    "sector",
    "residence_municipality_code",
    "residence_postcode4",
    "birth_year",
]
LINKED_SUPPORT_HEAD = [
    "student_id",
    "support_domain",
    "support_type",
    "responsible_municipality_code",
    "local_team",
    "start_date",
    "end_date",
]


def write_linked(path: Path, head: list[str], rows: list[list], *, schema: dict | None = None) -> Path:
    """A linked input file; the format follows the suffix. CSV: UTF-8, ',', None written empty.
    XLSX (openpyxl): the values as given, so ints are Excel numbers and dates Excel dates.
    Parquet: a Polars frame with `schema` (column -> Polars type), else every column as text."""
    import polars as pl

    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(head)
        writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
        path.write_text(buf.getvalue(), encoding="utf-8")
    elif suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(head)
        for row in rows:
            ws.append(list(row))
        wb.save(path)
    elif suffix == ".parquet":
        schema = {c: (schema or {}).get(c, pl.String) for c in head}
        columns = {
            c: [row[i] if schema[c] != pl.String or row[i] is None else str(row[i]) for row in rows]
            for i, c in enumerate(head)
        }
        pl.DataFrame(columns, schema=schema).write_parquet(path)
    else:
        raise ValueError(path)
    return path


def write_linked_region(
    path: Path,
    members: dict[str, str],
    *,
    pair: tuple[int, int],
    school: tuple[int, int],
    domains: list[str] | None = None,
) -> Path:
    """A region file with [agreements]: pair = (agreement needed, attention), school likewise."""
    body = 'name = "Testregio linked"\nslug = "test-linked"\n' + "".join(
        f'\n[[municipality]]\ncode = "{c}"\ndisplay_name = "{n}"\n' for c, n in members.items()
    )
    body += (
        f"\n[agreements]\npair_agreement_needed = {pair[0]}\npair_attention = {pair[1]}\n"
        f"school_agreement_needed = {school[0]}\nschool_attention = {school[1]}\n"
    )
    if domains is not None:
        body += "domains = [" + ", ".join(f'"{d}"' for d in domains) + "]\n"
    path.write_text(body, encoding="utf-8")
    return path


def run_with_region_file(input_dir: Path, warehouse: Path, out_dir: Path, region_file: Path) -> Run:
    """Like `run`, with a region file as written (e.g. with [agreements] thresholds)."""
    return run(input_dir, warehouse, out_dir, region_file=region_file)


def cli_main(root: Path, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """`grensverkeer ARGV` in-process with DAGSTER_HOME under `root`; (exit code, stdout + stderr).
    Environment variables the command sets, and those in `env`, are restored afterwards."""
    import contextlib

    import pytest
    from dagster import DagsterInstance

    from grensverkeer.cli import main

    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        for var in ("GRENSVERKEER_INPUT", "GRENSVERKEER_WAREHOUSE", "GRENSVERKEER_OUT", "GRENSVERKEER_REGION"):
            mp.setenv(var, "")
        for var, value in (env or {}).items():
            mp.setenv(var, value)
        with DagsterInstance.ephemeral(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    return code, out.getvalue() + err.getvalue()


def bsn_check_digit_ok(s: str) -> bool:
    """The elfproef on a 9-digit string: 9*d1 + 8*d2 + ... + 2*d8 - d9 ≡ 0 (mod 11)."""
    return (
        len(s) == 9
        and s.isdigit()
        and s != "000000000"
        and sum(w * int(c) for w, c in zip((9, 8, 7, 6, 5, 4, 3, 2, -1), s)) % 11 == 0
    )


def make_bsns(n: int, start: int = 100_000_000) -> list[str]:
    """The first n valid BSNs (9-digit strings) from `start` upwards."""
    out, k = [], start
    while len(out) < n:
        s = f"{k:09d}"
        if bsn_check_digit_ok(s):
            out.append(s)
        k += 1
    return out


# --------------------------------------------------------------------------------------
# The hand-worked linked fixture: 3 region municipalities (Delft GM0503, Den Haag GM0518,
# Rijswijk GM0603) plus Westland (GM1783, outside the region), 5 schools, 20 pupils, two
# school years. The expected tables are worked out by hand in tests/test_linked_handworked.py.
# School year 2024-2025 runs 2024-08-01 .. 2025-07-31; 2023-2024 runs 2023-08-01 .. 2024-07-31.
# --------------------------------------------------------------------------------------

LINKED_MEMBERS = {"GM0503": "Delft", "GM0518": "Den Haag", "GM0603": "Rijswijk"}
# Thresholds chosen so that every level is reached exactly at its threshold in the fixture.
LINKED_PAIR = (4, 2)  # 'afspraak nodig' from 4 pupils, 'aandachtspunt' from 2 (municipality pair)
LINKED_SCHOOL = (3, 2)  # 'afspraak nodig' from 3 pupils, 'aandachtspunt' from 2 (school x local team)

LINKED_SCHOOLS = [
    ["11AA00", "Delftse Noordschool", "BO", "GM0503"],
    ["11AA01", "Delftse Zuidschool", "BO", "GM0503"],
    ["22BB00", "Haagse Basisschool", "BO", "GM0518"],
    ["22BB01", "Haagse SO-school", "SO", "GM0518"],
    ["33CC00", "Rijswijkse Basisschool", "BO", "GM0603"],
]

Y2024, Y2023 = "2024-2025", "2023-2024"
# school_year, student_id, school_location_id, sector, residence_municipality_code, residence_postcode4, birth_year
LINKED_ENROLMENTS = [
    [Y2024, "P01", "11AA00", "BO", "GM0518", "2491", 2015],
    [Y2024, "P02", "11AA00", "BO", "GM0518", "2492", 2016],
    [Y2024, "P03", "11AA01", "BO", "GM0518", None, 2014],
    [Y2024, "P04", "11AA00", "BO", "GM0518", "2497", 2015],
    [Y2024, "P05", "22BB00", "BO", "GM0503", "2611", 2017],
    [Y2024, "P06", "22BB01", "SO", "GM0503", "2624", 2013],
    [Y2024, "P07", "11AA00", "BO", "GM0503", "2612", 2016],
    [Y2024, "P08", "33CC00", "BO", "GM0603", "2282", 2018],
    [Y2024, "P09", "11AA00", "BO", "GM0503", "2611", 2015],
    [Y2024, "P10", "22BB00", "BO", "GM0518", "2491", 2016],
    [Y2024, "P11", "11AA00", "BO", "GM0518", "2491", 2017],
    [Y2024, "P12", "11AA01", "BO", "GM0518", "2492", 2014],
    [Y2024, "P13", "22BB00", "BO", "GM0518", "2497", 2018],
    [Y2024, "P14", "11AA01", "BO", "GM0503", "2611", 2015],
    [Y2024, "P15", "11AA00", "BO", "GM0603", "2283", 2016],
    [Y2024, "P16", "22BB00", "BO", "GM0603", "2284", 2017],
    [Y2024, "P17", "22BB01", "SO", "GM0518", "2493", 2012],
    [Y2024, "P18", "11AA00", "BO", "GM1783", "2671", 2016],
    [Y2024, "P20", "11AA00", "BO", "GM0603", "2285", 2015],
    # the year before, in the same file (P01-P04 again: one enrolment per pupil per year)
    [Y2023, "P01", "11AA00", "BO", "GM0518", "2491", 2015],
    [Y2023, "P02", "11AA00", "BO", "GM0518", "2492", 2016],
    [Y2023, "P03", "11AA01", "BO", "GM0518", None, 2014],
    [Y2023, "P04", "11AA00", "BO", "GM0518", "2497", 2015],
    [Y2023, "P06", "22BB01", "SO", "GM0503", "2624", 2013],
    [Y2023, "P16", "22BB00", "BO", "GM0603", "2284", 2017],
    [Y2023, "P17", "22BB01", "SO", "GM0518", "2493", 2012],
]

JDH, JDE, JRW, JWL = "Jeugdteam Den Haag", "Jeugdteam Delft", "Jeugdteam Rijswijk", "Jeugdteam Westland"
# student_id, support_domain, support_type, responsible_municipality_code, local_team, start_date, end_date
LINKED_SUPPORT = [
    ["P01", "jeugdhulp", "ambulant", "GM0518", JDH, "2024-03-01", None],  # ongoing
    ["P02", "jeugdbescherming", "OTS", "GM0518", JDH, "2025-07-31", "2025-12-31"],  # starts on 31 July 2025
    ["P03", "jeugdhulp", "ambulant", "GM0518", JDH, "2024-08-01", "2024-08-01"],  # one day: 1 Aug 2024
    ["P03", "onderwijsondersteuning", "arrangement", "GM0518", JDH, "2024-09-01", "2025-06-30"],
    ["P04", "jeugdhulp", "ambulant", "GM0518", None, "2023-09-01", "2024-07-31"],  # ended 31 July 2024
    ["P05", "jeugdhulp", "ambulant", "GM0503", JDE, "2024-10-01", "2025-03-01"],
    ["P06", "jeugdbescherming", "OTS", "GM0503", JDE, "2022-01-01", "2024-08-01"],  # ends on 1 Aug 2024
    ["P06", "leerplicht", "verzuim", "GM0503", JDE, "2024-11-01", "2024-12-01"],
    ["P07", "jeugdhulp", "pleegzorg", "GM0603", JRW, "2024-01-15", None],  # lives in Delft, Rijswijk responsible
    ["P08", "jeugdhulp", "ambulant", "GM0603", JRW, "2024-09-01", "2025-01-31"],
    ["P09", "jeugdhulp", "ambulant", "GM0503", JDE, "01-12-2024", "28-02-2025"],  # dd-mm-yyyy
    ["P10", "onderwijsondersteuning", "arrangement", "GM0518", JDH, "2024-09-01", "2025-07-31"],
    ["P11", "leerplicht", "verzuim", "GM0518", JDH, "2025-01-10", "2025-02-10"],
    ["P12", "jeugdhulp", "ambulant", "GM0518", JDH, "2025-08-01", None],  # starts after the year
    ["P16", "jeugdhulp", "ambulant", "GM0603", JRW, "2024-06-01", "2024-07-31"],  # ended 31 July 2024
    ["P17", "jeugdhulp", "residentieel", "GM0518", JDH, "2020-01-01", None],
    ["P17", "jeugdbescherming", "OTS", "GM0518", JDH, "2024-01-01", None],
    ["P18", "jeugdhulp", "ambulant", "GM1783", JWL, "2024-11-01", "2025-05-01"],  # local team outside the region
    ["P19", "jeugdhulp", "ambulant", "GM0518", JDH, "2024-09-01", None],  # not enrolled anywhere
    ["P20", "jeugdhulp", "ambulant", "GM0603", JRW, "2024-08-01", "2024-12-31"],  # moved: Rijswijk, then
    ["P20", "jeugdhulp", "ambulant", "GM0518", JDH, "2025-01-01", None],  # Den Haag responsible
]


def write_linked_handworked(
    linked: Path, *, schools: str = "schools.csv", enrolments: str = "enrolments.csv", support: str = "support.csv"
) -> dict[str, Path]:
    """The hand-worked fixture's three files in `linked` (format from each name's suffix)."""
    return {
        "schools": write_linked(linked / schools, LINKED_SCHOOLS_HEAD, LINKED_SCHOOLS),
        "enrolments": write_linked(linked / enrolments, LINKED_ENROLMENTS_HEAD, LINKED_ENROLMENTS),
        "support": write_linked(linked / support, LINKED_SUPPORT_HEAD, LINKED_SUPPORT),
    }
