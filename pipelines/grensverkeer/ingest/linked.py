"""Load linked pseudonymised records (schools, enrolments, support) from INPUT/linked/.

Files are CSV, Parquet or XLSX and are recognised by their columns (docs/inputs.md).
A file with citizen service numbers (BSN) is refused whole before anything of it is
written. Schools and support episodes are not tied to a school year: their rows are
replaced per file; enrolments are replaced per file and school year, like DUO rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from . import hashes
from .bsn import bsn_refusal_message, find_bsn_columns, normalise_name
from .files import files_under, input_name, size_of
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
    return sorted(p for p in files_under(folder) if p.suffix.lower() in SUFFIXES)


def is_synthetic(input_dir: Path) -> bool:
    return (linked_dir(input_dir) / SYNTHETIC_MARKER).exists()


_YEAR = r"^\s*((?:19|20)\d{2})\s*(?:[-/]\s*((?:19|20)\d{2}))?\s*$"


def _count_year(col: pl.Expr) -> pl.Expr:
    """'2024-2025', '2024/2025' or '2024' -> 2024."""
    return col.str.extract(_YEAR, 1).cast(pl.Int32, strict=False)


def _read(path: Path, name: str, check_bsn: bool = True) -> tuple[LinkedKind, pl.DataFrame, dict[str, str]]:
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
    )
    return kind, rows, _column_map(kind, names)


def _column_map(kind: LinkedKind, names: dict[str, str]) -> dict[str, str]:
    """The contract's columns the file has (in the contract's order) -> the file's own column
    name. Recorded in input_files.column_map; a rejected row's raw text is made of these columns
    (the stg_linked_* models), so anything else a supplier sent (names, addresses) stays out."""
    own = {normalised: original for original, normalised in names.items()}
    return {c: own[c] for c in kind.columns if c in own}


def _staged_table(kind: LinkedKind) -> str:
    return "staged_" + kind.table.removeprefix("raw_")


def _read_for_staging(
    path: Path, name: str, check_bsn: bool
) -> tuple[LinkedKind | None, pl.DataFrame | None, list[int] | None, FileRejected | None, dict[str, str]]:
    """(kind, rows, school years of an enrolments file, why the file cannot be used, its
    column map: `_column_map`)."""
    try:
        kind, rows, column_map = _read(path, name, check_bsn=check_bsn)
    except FileRejected as err:
        return None, None, None, err, {}
    if kind is not ENROLMENTS:
        return kind, rows, None, None, column_map
    year = rows.select(_count_year(pl.col("school_year"))).to_series()
    dominant = year.drop_nulls().mode().sort()
    if dominant.is_empty():
        err = FileRejected(
            "invalid_school_year",
            "no row has a school year like 2024-2025 in school_year",
            line=2,
            column="school_year",
        )
        return kind, None, None, err, {}
    # Rows with an unreadable school year stay with the file's main year, to be rejected there.
    row_year = year.fill_null(int(dominant[0]))
    rows = rows.with_columns(
        school_year_text=pl.col("school_year"), school_year=pl.format("{}-{}", row_year, row_year + 1)
    )
    return kind, rows, sorted(int(y) for y in year.drop_nulls().unique()), None, column_map


def stage_linked_file(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, sha: str, check_bsn: bool = True, read: tuple | None = None
) -> FileRejected | None:
    """Read a linked file once (BSN check first) and stage what it is and its rows (every
    school year) in the warehouse. Nothing of a file that cannot be used is staged (not even
    its name: a refused file reaches no table but rejected_files and input_files); its
    error is returned. `read`: what `_read_for_staging` gave for the file, when it was read
    ahead."""
    kind, rows, years, err, column_map = read if read is not None else _read_for_staging(path, name, check_bsn)
    con.execute("delete from staged_linked_files where file_name = ?", [name])
    for k in KINDS:
        con.execute(f"delete from {_staged_table(k)} where file_name = ?", [name])
    if err is not None:
        return err
    con.execute(
        "insert into staged_linked_files (file_name, sha256, status, kind, count_years, pending_years, pending, "
        "reason_code, message, line, column_name, column_map) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            name,
            sha,
            "rejected" if err else "read",
            kind.name if kind and not err else None,
            years,
            years,
            err is None,
            err.reason_code if err else None,
            err.message if err else None,
            err.line if err else None,
            err.column if err else None,
            column_map,
        ],
    )
    if rows.height:
        con.execute(f"insert into {_staged_table(kind)} by name select * from rows")
    return None


def _staged(con: duckdb.DuckDBPyConnection, name: str) -> tuple | None:
    """(sha256, kind or None, years, pending years, pending, FileRejected or None, column map) of a
    staged file."""
    row = con.execute(
        "select sha256, status, kind, count_years, pending_years, pending, reason_code, message, line, column_name, "
        "column_map from staged_linked_files where file_name = ?",
        [name],
    ).fetchone()
    if row is None:
        return None
    sha, status, kind, years, pending_years, pending, code, message, line, column, column_map = row
    kinds = {k.name: k for k in KINDS}
    err = FileRejected(code, message, line=line, column=column) if status == "rejected" else None
    return sha, kinds.get(kind), years, pending_years or [], pending, err, dict(column_map or {})


def linked_school_years(
    input_dir: Path,
    known: dict[tuple[str, str], tuple[str, list[int]]] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Count years of the linked enrolment files, and (file, message) for unusable files.

    `known` (`load.loaded_file_years`): files the warehouse loaded before with the same name
    and content (so already checked for BSNs) are not read again; their recorded years count.
    `con` (a warehouse): each file read here is staged in it with its rows (`stage_linked_file`),
    so that the loads of this run copy them instead of reading the file again.
    """
    years: set[int] = set()
    problems: list[tuple[str, str]] = []
    known = known or {}
    present: list[str] = []
    to_read: list[tuple[Path, str, str]] = []  # (path, name, sha) of the files to read now
    outcome: dict[str, tuple] = {}  # name -> (kind, school years, FileRejected or None)
    for path in list_linked_files(input_dir):
        name = input_name(path, input_dir)
        sha = sha256_of(path)
        before = known.get((name, sha))
        if before is not None:
            if before[0] == ENROLMENTS.name:
                years.update(before[1] or [])
            continue
        present.append(name)
        staged = _staged(con, name) if con is not None else None
        if staged is not None and staged[0] == sha:
            outcome[name] = (staged[1], staged[2], None)
        else:
            to_read.append((path, name, sha))
    # The next file is read (and checked for BSNs: Polars, off the GIL) on a second thread while
    # this one's rows are written by DuckDB, so that both cores work.
    with ThreadPoolExecutor(max_workers=1) as reader:
        ahead = reader.submit(_read_for_staging, *to_read[0][:2], True) if to_read else None
        for i, (path, name, sha) in enumerate(to_read):
            read = ahead.result()
            ahead = reader.submit(_read_for_staging, *to_read[i + 1][:2], True) if i + 1 < len(to_read) else None
            if con is not None:
                stage_linked_file(con, path, name, sha, read=read)  # a refused file (BSNs) stages nothing
            kind, _, file_years, err, _ = read
            outcome[name] = (kind, file_years, err)
            del read  # its rows are in the warehouse now
    for name in present:  # in the folder's order
        kind, file_years, err = outcome[name]
        if err is not None:
            problems.append((name, err.message))
        elif kind is ENROLMENTS:
            years.update(file_years or [])
    if con is not None:  # staged files no longer in the folder (or loaded before) go
        gone = [
            n for (n,) in con.execute("select file_name from staged_linked_files").fetchall() if n not in set(present)
        ]
        if gone:
            for table in ["staged_linked_files", *(_staged_table(k) for k in KINDS)]:
                con.execute(f"delete from {table} where file_name in (select unnest(?::varchar[]))", [gone])
    return sorted(years), problems


def load_linked_years(con: duckdb.DuckDBPyConnection, input_dir: Path, count_years: list[int]) -> dict[int, LinkedScan]:
    """(Re)load the linked files; enrolments only for the school years of `count_years`.
    Returns what happened to each file, per count year.

    Set-based over the years: the folder is listed and hashed once, each file is recorded
    once, and an enrolments file's rows of every year are copied in one statement. The rows
    come from the staging tables: a file the discovery of this run read is not read again,
    and an enrolments file of several years is read once for all of them."""
    synthetic = is_synthetic(input_dir)
    results = {year: LinkedScan(school_year_of(year), synthetic=synthetic) for year in count_years}
    hashes.load(con)  # a run the sensor started hashes here first
    shas = {path: sha256_of(path) for path in list_linked_files(input_dir)}
    hashes.save(con, input_dir)
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
    # (school year, file): rows of an enrolments file (and of a file that changed kind) that go
    # without new ones: the file has no rows of that year now
    removed: list[tuple[str, str]] = []
    for path, sha in shas.items():
        name = input_name(path, input_dir)
        size = size_of(path)
        if path in originals:
            record_duplicate(con, name, sha, size, originals[path])
            continue
        before = known.get((name, sha))
        if before and before[0] in (SCHOOLS.name, SUPPORT.name) and before[2]:
            # loaded before with the same content: its rows are in the raw tables
            for result in results.values():
                result.loaded.append(name)
            continue
        # An enrolments file of other years, loaded before as it is: nothing to read for those
        # years (its rows of them, from an other version, are removed below).
        other_years = [y for y in count_years if before and before[0] == ENROLMENTS.name and y not in (before[1] or [])]
        for year in other_years:
            results[year].loaded.append(name)
            removed.append((school_year_of(year), name))
        years_now = [y for y in count_years if y not in other_years]
        if not years_now:
            continue
        staged = _staged(con, name)
        current = staged is not None and staged[0] == sha
        if (
            not current
            or staged[5] is None
            and (
                (staged[1] is ENROLMENTS and any(y in (staged[2] or []) and y not in staged[3] for y in years_now))
                or (staged[1] is not ENROLMENTS and not staged[4])
            )
        ):
            # Not staged by this run's discovery, or its rows were copied out before: read it now.
            # The same content was checked for BSNs when it loaded before (or was staged): not again.
            err = stage_linked_file(con, path, name, sha, check_bsn=before is None and not current)
            staged = _staged(con, name)
        else:
            err = None
        if err is not None:
            _reject_file(con, name, sha, size, err)
            for year in years_now:
                results[year].rejected.append((name, err.message))
            continue
        _, kind, years, _, _, _, column_map = staged
        for year in years_now:
            results[year].loaded.append(name)
        if kind is ENROLMENTS:
            with_rows = [school_year_of(y) for y in years_now if y in years]
            removed += [(school_year_of(y), name) for y in years_now if y not in years]
            if not with_rows:
                # Read and checked for BSNs in this run; no rows of these years.
                _record_file(
                    con, name, sha, size, "loaded", kind=ENROLMENTS.name, data_rows=0, years=years, columns=column_map
                )
                continue
            scope, params = "and list_contains(?::varchar[], school_year)", [name, with_rows]
            # data_rows: the rows of the school year computed last (docs/warehouse.md)
            n = con.execute(
                f"select count(*) from {_staged_table(kind)} where file_name = ? and school_year = ?",
                [name, with_rows[-1]],
            ).fetchone()[0]
        else:
            scope, params = "", [name]
            n = con.execute(f"select count(*) from {_staged_table(kind)} where file_name = ?", params).fetchone()[0]
        _record_file(con, name, sha, size, "loaded", kind=kind.name, data_rows=n, years=years, columns=column_map)
        source = _source_of(con, name, before is not None, synthetic)
        # (a file that was an enrolments file before loses its enrolments of these years too)
        _replace_rows(con, [name], with_rows if kind is ENROLMENTS else [r.school_year for r in results.values()])
        con.execute(
            # (a rejected row's raw text is made by the stg_linked_* model, from input_files.column_map)
            f"insert into {kind.table} by name select *, ? as source from {_staged_table(kind)} where file_name = ? {scope}",
            [source, *params],
        )
        # Copied: these staged rows are not needed again.
        con.execute(f"delete from {_staged_table(kind)} where file_name = ? {scope}", params)
        if kind is ENROLMENTS:
            con.execute(
                "update staged_linked_files set pending_years = list_filter(pending_years, lambda y: "
                "not list_contains(?::integer[], y)) where file_name = ?",
                [[int(y[:4]) for y in with_rows], name],
            )
        else:
            con.execute("update staged_linked_files set pending = false where file_name = ?", [name])

    # Files loaded now without rows to write for a school year: their old rows of it go.
    for year in dict.fromkeys(y for y, _ in removed):
        _replace_rows(con, [n for y, n in removed if y == year], [year])
    return results


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
    school_years: list[str],
    kind: LinkedKind | None = None,
    rows: pl.DataFrame | None = None,
) -> None:
    """Remove the rows of these files from every linked raw table (enrolments: only those of
    `school_years`; a file may have changed kind), then insert `rows` into `kind`'s table."""
    if names:
        for k in KINDS:
            scope = "and list_contains(?::varchar[], school_year)" if k is ENROLMENTS else ""
            params = [names] + ([school_years] if k is ENROLMENTS else [])
            con.execute(f"delete from {k.table} where file_name in (select unnest(?::varchar[])) {scope}", params)
    if kind is not None and rows is not None and rows.height:
        columns = ", ".join(rows.columns)
        con.execute(f"insert into {kind.table} ({columns}) select {columns} from rows")
