"""Load linked pseudonymised records (schools, enrolments, support) from INPUT/linked/.

Files are CSV, Parquet or XLSX and are recognised by their columns (docs/inputs.md).
A file with citizen service numbers (BSN) is refused whole before anything of it is
written. Schools and support episodes are not tied to a school year: their rows are
replaced per file; enrolments are replaced per file and school year, like DUO rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from .bsn import bsn_refusal_message, find_bsn_columns, normalise_name
from .files import input_name, listed, size_of
from .load import _record_file, _reject_file, originals_of_copies, record_duplicate, school_year_of
from .tables import read_table
from .text import FileRejected, sha256_of

LINKED_DIR = "linked"
SUFFIXES = {".csv", ".parquet", ".xlsx"}
# A demo folder made by `grensverkeer demo-data` holds this file: its rows are synthetic.
SYNTHETIC_MARKER = "SYNTHETIC"


@dataclass(frozen=True)
class LinkedKind:
    name: str
    table: str
    signature: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


SCHOOLS = LinkedKind(
    "linked_schools",
    "raw_linked_schools",
    ("school_location_id", "municipality_code"),
    ("school_location_id", "school_name", "sector", "municipality_code"),
    ("latitude", "longitude", "swv_code"),
)
ENROLMENTS = LinkedKind(
    "linked_enrolments",
    "raw_linked_enrolments",
    ("student_id", "school_year"),
    ("school_year", "student_id", "school_location_id", "sector", "residence_municipality_code"),
    ("residence_postcode4", "birth_year"),
)
SUPPORT = LinkedKind(
    "linked_support",
    "raw_linked_support",
    ("student_id", "support_domain"),
    ("student_id", "support_domain", "support_type", "responsible_municipality_code", "start_date"),
    ("local_team", "end_date"),
)
KINDS = (ENROLMENTS, SUPPORT, SCHOOLS)  # most specific signature first


@dataclass
class LinkedScan:
    school_year: str
    loaded: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    synthetic: bool = False


def linked_dir(input_dir: Path) -> Path:
    return input_dir / LINKED_DIR


def list_linked_files(input_dir: Path) -> list[Path]:
    folder = linked_dir(input_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if listed(p) and p.suffix.lower() in SUFFIXES)


def is_synthetic(input_dir: Path) -> bool:
    return (linked_dir(input_dir) / SYNTHETIC_MARKER).exists()


_YEAR = r"^\s*((?:19|20)\d{2})\s*(?:[-/]\s*((?:19|20)\d{2}))?\s*$"


def _count_year(col: pl.Expr) -> pl.Expr:
    """'2024-2025', '2024/2025' or '2024' -> 2024."""
    return col.str.extract(_YEAR, 1).cast(pl.Int32, strict=False)


def _read(path: Path, name: str, check_bsn: bool = True) -> tuple[LinkedKind, pl.DataFrame]:
    try:
        frame = read_table(path)
    except ValueError as exc:
        raise FileRejected("unreadable", str(exc)) from None
    names = {c: normalise_name(c) for c in frame.columns if c != "_row"}
    clashes = sorted({n for n in names.values() if list(names.values()).count(n) > 1})
    if clashes:
        raise FileRejected(
            "duplicate_columns",
            f"two columns have the same name (ignoring case and punctuation): {', '.join(clashes)}",
            line=1,
            column=", ".join(clashes),
        )
    frame = frame.rename(names)
    present = set(frame.columns)
    kind = next((k for k in KINDS if all(s in present for s in k.signature)), None)
    if kind is None:
        raise FileRejected(
            "unknown_dataset",
            "the columns match none of the linked inputs (schools, enrolments, support; see docs/inputs.md)",
            line=1,
        )
    missing = [c for c in kind.required if c not in present]
    if missing:
        raise FileRejected(
            "missing_columns",
            f"recognised as linked {kind.name.split('_')[1]}, but required columns are missing: {', '.join(missing)}",
            line=1,
            column=", ".join(missing),
        )
    findings = find_bsn_columns(frame) if check_bsn else []
    if findings:
        raise FileRejected(
            "bsn_found",
            bsn_refusal_message(name, findings),
            line=findings[0].first_row + 1,
            column=", ".join(f.column for f in findings),
        )
    columns = [
        pl.col(c).cast(pl.String) if c in present else pl.lit(None, dtype=pl.String).alias(c) for c in kind.columns
    ]
    rows = frame.select(
        pl.lit(name).alias("file_name"),
        (pl.col("_row") + 1).cast(pl.Int64).alias("line"),
        *columns,
        # Only the contract's columns: anything else a supplier sent (names, addresses) stays out.
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("") for c in kind.columns if c in present], separator=";"
        ).alias("raw_text"),
    )
    return kind, rows


# Files read (and checked for BSNs) by `linked_school_years` in this process, by (absolute
# path, sha256) -> (kind, count years of an enrolments file): the first school year's load
# need not read the files of other years again, nor check a file for BSNs twice.
_SEEN: dict[tuple[str, str], tuple[LinkedKind, list[int] | None]] = {}


def linked_school_years(
    input_dir: Path,
    known: dict[tuple[str, str], tuple[str, list[int]]] | None = None,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Count years of the linked enrolment files, and (file, message) for unusable files.

    `known` (`load.loaded_file_years`): files the warehouse loaded before with the same name
    and content (so already checked for BSNs) are not read again; their recorded years count.
    """
    years: set[int] = set()
    problems: list[tuple[str, str]] = []
    known = known or {}
    for path in list_linked_files(input_dir):
        name = input_name(path, input_dir)
        before = known.get((name, sha256_of(path)))
        if before is not None:
            if before[0] == ENROLMENTS.name:
                years.update(before[1] or [])
            continue
        try:
            kind, rows = _read(path, name)  # a refused file (BSNs) must not open a school year
        except FileRejected as err:
            problems.append((name, err.message))
            continue
        file_years = None
        if kind is ENROLMENTS:
            file_years = sorted(
                int(y) for y in rows.select(_count_year(pl.col("school_year"))).to_series().drop_nulls().unique()
            )
            years.update(file_years)
        if len(_SEEN) > 100_000:
            _SEEN.clear()
        _SEEN[(str(path.resolve()), sha256_of(path))] = (kind, file_years)
    return sorted(years), problems


def load_linked(con: duckdb.DuckDBPyConnection, input_dir: Path, count_year: int) -> LinkedScan:
    """(Re)load the linked files; enrolments only for the given school year."""
    result = LinkedScan(school_year_of(count_year), synthetic=is_synthetic(input_dir))
    shas = {path: sha256_of(path) for path in list_linked_files(input_dir)}
    originals = originals_of_copies(con, input_dir, shas)
    # Per file name, the version whose rows are in the raw tables: the last one loaded.
    known = {
        (name, sha): (kind, years, latest)
        for name, sha, kind, years, latest in con.execute(
            """select file_name, sha256, kind, count_years,
                  seen_at = max(seen_at) over (partition by file_name) as latest
           from input_files where status = 'loaded'"""
        ).fetchall()
    }
    unchanged: list[str] = []  # loaded before with the same content: their rows are in the raw tables
    written: list[str] = []  # read now: old rows replaced by the new ones already
    for path, sha in shas.items():
        name = input_name(path, input_dir)
        size = size_of(path)
        if path in originals:
            record_duplicate(con, name, sha, size, originals[path])
            continue
        before = known.get((name, sha))
        seen = _SEEN.get((str(path.resolve()), sha))
        if before and before[0] == ENROLMENTS.name and count_year not in (before[1] or []):
            # An enrolments file of other years, loaded before as it is: nothing to read for this
            # year (its rows of this year, from an other version, are removed below).
            result.loaded.append(name)
            continue
        if before and before[0] in (SCHOOLS.name, SUPPORT.name) and before[2]:
            unchanged.append(name)
            result.loaded.append(name)
            continue
        if before is None and seen and seen[0] is ENROLMENTS and count_year not in seen[1]:
            # Read and checked for BSNs by linked_school_years in this run; no rows of this year.
            _record_file(con, name, sha, size, "loaded", kind=ENROLMENTS.name, data_rows=0, years=seen[1])
            result.loaded.append(name)
            continue
        # The same content was checked for BSNs when it loaded before (or in this run): no need to again.
        checked = before is not None or seen is not None
        try:
            kind, rows = _read(path, name, check_bsn=not checked)
        except FileRejected as err:
            _reject_file(con, name, sha, size, err)
            result.rejected.append((name, err.message))
            continue
        years = None
        if kind is ENROLMENTS:
            year = rows.select(_count_year(pl.col("school_year"))).to_series()
            dominant = year.drop_nulls().mode().sort()
            if dominant.is_empty():
                err = FileRejected(
                    "invalid_school_year",
                    "no row has a school year like 2024-2025 in school_year",
                    line=2,
                    column="school_year",
                )
                _reject_file(con, name, sha, size, err)
                result.rejected.append((name, err.message))
                continue
            years = sorted(int(y) for y in year.drop_nulls().unique())
            # Rows with an unreadable school year stay with the file's main year, to be rejected there.
            row_year = year.fill_null(int(dominant[0]))
            rows = rows.with_columns(
                school_year_text=pl.col("school_year"),
                school_year=pl.format("{}-{}", row_year, row_year + 1),
            ).filter(pl.col("school_year") == result.school_year)
        _record_file(con, name, sha, size, "loaded", kind=kind.name, data_rows=rows.height, years=years)
        rows = rows.with_columns(source=pl.lit(_source_of(con, name, before is not None, result.synthetic)))
        # Written at once, so that only one file's rows are held in memory (nationally the
        # support and enrolment files together pushed the first partition past 4 GB).
        _replace_rows(con, [name], result.school_year, kind, rows)
        written.append(name)
        result.loaded.append(name)

    # Files loaded now without rows to write: their old rows (of this school year) go.
    _replace_rows(con, [n for n in result.loaded if n not in unchanged and n not in written], result.school_year)
    return result


def _source_of(con: duckdb.DuckDBPyConnection, name: str, loaded_before: bool, synthetic_folder: bool) -> str:
    """The source label of a file's records: 'synthetic' when the folder is a demo set, else
    'linked'. The same content loaded again keeps the label its records got the first time
    (a demo file stays synthetic when the SYNTHETIC marker is gone)."""
    if loaded_before:
        stored = con.execute(
            " union all ".join(f"select source from {k.table} where file_name = ?" for k in KINDS) + " limit 1",
            [name] * len(KINDS),
        ).fetchall()
        if stored:
            return stored[0][0]
    return "synthetic" if synthetic_folder else "linked"


def _replace_rows(
    con: duckdb.DuckDBPyConnection,
    names: list[str],
    school_year: str,
    kind: LinkedKind | None = None,
    rows: pl.DataFrame | None = None,
) -> None:
    """Remove the rows of these files from every linked raw table (enrolments: only this
    school year's; a file may have changed kind), then insert `rows` into `kind`'s table."""
    if names:
        for k in KINDS:
            scope = "and school_year = ?" if k is ENROLMENTS else ""
            params = [names] + ([school_year] if k is ENROLMENTS else [])
            con.execute(f"delete from {k.table} where file_name in (select unnest(?::varchar[])) {scope}", params)
    if kind is not None and rows is not None and rows.height:
        columns = ", ".join(rows.columns)
        con.execute(f"insert into {kind.table} ({columns}) select {columns} from rows")
