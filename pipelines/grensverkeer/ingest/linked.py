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


def _rows_table(kind: LinkedKind) -> str:
    """The table of the rows of every read version of `kind`'s files (raw_linked_*: the loaded ones)."""
    return "linked_rows_" + kind.name.removeprefix("linked_")


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
    # Per distinct school year text (one or two in a file of millions of rows), joined back.
    texts = rows.group_by("school_year").agg(n=pl.len()).with_columns(year=_count_year(pl.col("school_year")))
    readable = texts.filter(pl.col("year").is_not_null())
    if readable.is_empty():
        err = FileRejected(
            "invalid_school_year",
            "no row has a school year like 2024-2025 in school_year",
            line=2,
            column="school_year",
        )
        return kind, None, None, err, {}
    # the file's main year: the one most rows have (the earliest on a tie)
    dominant = readable.group_by("year").agg(pl.col("n").sum()).sort(["n", "year"], descending=[True, False])["year"][0]
    # Rows with an unreadable school year stay with the file's main year, to be rejected there.
    labels = texts.select(
        "school_year",
        label=pl.format("{}-{}", pl.col("year").fill_null(dominant), pl.col("year").fill_null(dominant) + 1),
    )
    rows = rows.join(labels, on="school_year", how="left", nulls_equal=True, maintain_order="left").with_columns(
        school_year_text=pl.col("school_year"), school_year=pl.col("label")
    )
    return kind, rows.drop("label"), sorted(int(y) for y in readable["year"].unique()), None, column_map


def stage_linked_file(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, sha: str, check_bsn: bool = True, read: tuple | None = None
) -> FileRejected | None:
    """Read a linked file once (BSN check first) and write its rows (every school year) into
    linked_rows_* as a new version of its name (linked_versions), the one read last: loading
    it writes no rows again. Nothing of a file that cannot be used is written (not even its
    name: a refused file reaches no table but rejected_files and input_files); its error is
    returned. Either way the name's version read before is no longer the one read last (its
    rows go once nothing loads them: `drop_unused_rows`). `read`: what `_read_for_staging`
    gave for the file, when it was read ahead."""
    kind, rows, years, err, column_map = read if read is not None else _read_for_staging(path, name, check_bsn)
    con.execute("update linked_versions set read_last = false where file_name = ? and read_last", [name])
    if err is not None:
        return err
    (version,) = con.execute("select nextval('linked_version_numbers')::integer").fetchone()
    con.execute(
        "insert into linked_versions (version, file_name, sha256, kind, count_years, column_map, read_last) "
        "values (?, ?, ?, ?, ?, ?, true)",
        [version, name, sha, kind.name, years, column_map],
    )
    if rows.height:
        con.execute(f"insert into {_rows_table(kind)} by name select ?::integer as version, * from rows", [version])
    return None


@dataclass(frozen=True)
class _Version:
    """A file version whose rows are in linked_rows_* (linked_versions)."""

    version: int
    sha: str
    kind: LinkedKind
    years: list[int] | None  # an enrolments file: its school years
    column_map: dict[str, str]


def _read_last(con: duckdb.DuckDBPyConnection, name: str) -> _Version | None:
    """The version of a file name read last: its rows of every school year are kept."""
    row = con.execute(
        "select version, sha256, kind, count_years, column_map from linked_versions where file_name = ? and read_last",
        [name],
    ).fetchone()
    if row is None:
        return None
    version, sha, kind, years, column_map = row
    kinds = {k.name: k for k in KINDS}
    return _Version(version, sha, kinds[kind], None if years is None else list(years), dict(column_map or {}))


def drop_unused_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the rows of file versions that are neither read last (the folder's version of a
    name, whose every year may still be loaded) nor loaded (an enrolments version: per school
    year), and the versions nothing is left of. Each delete names one version (and school year):
    the table's zone maps skip the other versions' rows."""
    old = con.execute("select version, kind, count_years from linked_versions where not read_last").fetchall()
    if not old:
        return
    loaded: dict[int, set[str | None]] = {}
    for version, year in con.execute(
        "select version, school_year from linked_loaded where version in (select unnest(?::integer[]))",
        [[v for v, _, _ in old]],
    ).fetchall():
        loaded.setdefault(version, set()).add(year)
    tables = {k.name: _rows_table(k) for k in KINDS}
    gone = []
    for version, kind, years in old:
        if version not in loaded:
            con.execute(f"delete from {tables[kind]} where version = ?", [version])
            gone.append(version)
        elif kind == ENROLMENTS.name:
            for year in [school_year_of(y) for y in years or []]:
                if year not in loaded[version]:
                    con.execute(f"delete from {tables[kind]} where version = ? and school_year = ?", [version, year])
    if gone:
        con.execute("delete from linked_versions where version in (select unnest(?::integer[]))", [gone])


def linked_school_years(
    input_dir: Path,
    known: dict[tuple[str, str], tuple[str, list[int]]] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Count years of the linked enrolment files, and (file, message) for unusable files.

    `known` (`load.loaded_file_years`): files the warehouse loaded before with the same name
    and content (so already checked for BSNs) are not read again; their recorded years count.
    `con` (a warehouse): each file read here has its rows written into it (`stage_linked_file`),
    where the loads of this run (and later runs) find them: a file is read once.
    """
    years: set[int] = set()
    problems: list[tuple[str, str]] = []
    known = known or {}
    in_folder: dict[str, str] = {}  # name -> sha256 of every file in the folder
    present: list[str] = []  # the files not loaded before as they are
    to_read: list[tuple[Path, str, str]] = []  # (path, name, sha) of the files to read now
    outcome: dict[str, tuple] = {}  # name -> (kind, school years, FileRejected or None)
    for path in list_linked_files(input_dir):
        name = input_name(path, input_dir)
        sha = in_folder[name] = sha256_of(path)
        before = known.get((name, sha))
        if before is not None:
            if before[0] == ENROLMENTS.name:
                years.update(before[1] or [])
            continue
        present.append(name)
        read = _read_last(con, name) if con is not None else None
        if read is not None and read.sha == sha:
            outcome[name] = (read.kind, read.years, None)
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
                stage_linked_file(con, path, name, sha, read=read)  # a refused file (BSNs) writes nothing
            kind, _, file_years, err, _ = read
            outcome[name] = (kind, file_years, err)
            del read  # its rows are in the warehouse now
    for name in present:  # in the folder's order
        kind, file_years, err = outcome[name]
        if err is not None:
            problems.append((name, err.message))
        elif kind is ENROLMENTS:
            years.update(file_years or [])
    if con is not None:  # a version read before that is no longer in the folder is not read last now
        stale = [
            n
            for n, sha in con.execute("select file_name, sha256 from linked_versions where read_last").fetchall()
            if in_folder.get(n) != sha
        ]
        if stale:
            con.execute(
                "update linked_versions set read_last = false where read_last and file_name in "
                "(select unnest(?::varchar[]))",
                [stale],
            )
        drop_unused_rows(con)
    return sorted(years), problems


def load_linked_years(con: duckdb.DuckDBPyConnection, input_dir: Path, count_years: list[int]) -> dict[int, LinkedScan]:
    """(Re)load the linked files; enrolments only for the school years of `count_years`.
    Returns what happened to each file, per count year.

    Loading writes no records: a file version's rows are in linked_rows_* since it was read
    (by the discovery of this run or an earlier one, or here for a file discovery did not
    read: an enrolments file of several years is read once for all of them), and loading it
    points linked_loaded at them for the school years of the run, with their source label
    (raw_linked_* are views of the loaded rows). Set-based over the years: the folder is
    listed and hashed once and each file is recorded once."""
    synthetic = is_synthetic(input_dir)
    results = {year: LinkedScan(school_year_of(year), synthetic=synthetic) for year in count_years}
    hashes.load(con)  # a run the sensor started hashes here first
    shas = {path: sha256_of(path) for path in list_linked_files(input_dir)}
    hashes.save(con, input_dir)
    originals = originals_of_copies(con, input_dir, shas)
    # Per file name, the version that counts: the last one loaded.
    known = {
        (name, sha): (kind, years, latest)
        for name, sha, kind, years, latest in con.execute(
            """select file_name, sha256, kind, count_years,
                  seen_at = max(seen_at) over (partition by file_name) as latest
           from input_files where status = 'loaded'"""
        ).fetchall()
    }
    # (school year, file): what counted of a file (an enrolments file, or one that changed kind)
    # for a school year it has no rows of now goes
    removed: list[tuple[str, str]] = []
    for path, sha in shas.items():
        name = input_name(path, input_dir)
        size = size_of(path)
        if path in originals:
            record_duplicate(con, name, sha, size, originals[path])
            continue
        before = known.get((name, sha))
        if before and before[0] in (SCHOOLS.name, SUPPORT.name) and before[2]:
            # loaded before with the same content: its rows count
            for result in results.values():
                result.loaded.append(name)
            continue
        # An enrolments file of other years, loaded before as it is: nothing to load for those
        # years (what counted of it for them, from an other version, goes below).
        other_years = [y for y in count_years if before and before[0] == ENROLMENTS.name and y not in (before[1] or [])]
        for year in other_years:
            results[year].loaded.append(name)
            removed.append((school_year_of(year), name))
        years_now = [y for y in count_years if y not in other_years]
        if not years_now:
            continue
        read = _read_last(con, name)
        err = None
        if read is None or read.sha != sha:
            # Not read by this run's discovery (nor kept from an earlier read): read it now.
            # The same content was checked for BSNs when it loaded before: not again.
            err = stage_linked_file(con, path, name, sha, check_bsn=before is None)
            read = _read_last(con, name)
        if err is not None:
            _reject_file(con, name, sha, size, err)
            for year in years_now:
                results[year].rejected.append((name, err.message))
            continue
        kind, years, column_map = read.kind, read.years, read.column_map
        for year in years_now:
            results[year].loaded.append(name)
        if kind is ENROLMENTS:
            with_rows = [school_year_of(y) for y in years_now if y in years]
            removed += [(school_year_of(y), name) for y in years_now if y not in years]
            if not with_rows:
                # Read and checked for BSNs; no rows of these years.
                _record_file(
                    con, name, sha, size, "loaded", kind=ENROLMENTS.name, data_rows=0, years=years, columns=column_map
                )
                continue
            # data_rows: the rows of the school year computed last (docs/warehouse.md)
            n = con.execute(
                f"select count(*) from {_rows_table(kind)} where version = ? and school_year = ?",
                [read.version, with_rows[-1]],
            ).fetchone()[0]
        else:
            n = con.execute(f"select count(*) from {_rows_table(kind)} where version = ?", [read.version]).fetchone()[0]
        _record_file(con, name, sha, size, "loaded", kind=kind.name, data_rows=n, years=years, columns=column_map)
        source = _source_of(con, name, read.version, before is not None, synthetic)
        # What counted of the file for these years goes (a file that was an enrolments file
        # before loses its enrolments of these years too), and this version counts.
        _unload(con, [name], with_rows if kind is ENROLMENTS else [r.school_year for r in results.values()])
        con.execute(
            "insert into linked_loaded (file_name, school_year, version, kind, source) "
            "select ?, unnest(?::varchar[]), ?, ?, ?",
            [name, with_rows if kind is ENROLMENTS else [None], read.version, kind.name, source],
        )

    # Files loaded now without rows for a school year: what counted of them for it goes.
    for year in dict.fromkeys(y for y, _ in removed):
        _unload(con, [n for y, n in removed if y == year], [year])
    drop_unused_rows(con)
    return results


def _source_of(
    con: duckdb.DuckDBPyConnection, name: str, version: int, loaded_before: bool, synthetic_folder: bool
) -> str:
    """The source label of a file's records: 'synthetic' when the folder is a demo set, else
    'linked'. The same content loaded again keeps the label its records got the first time
    (a demo file stays synthetic when the SYNTHETIC marker is gone): the label of this version
    where it is loaded for a year, else of what the name counts."""
    if loaded_before:
        stored = con.execute(
            "select source from linked_loaded where file_name = ? order by version = ? desc limit 1", [name, version]
        ).fetchall()
        if stored:
            return stored[0][0]
    return "synthetic" if synthetic_folder else "linked"


def _unload(con: duckdb.DuckDBPyConnection, names: list[str], school_years: list[str]) -> None:
    """These files' records stop counting: schools and support wholly, enrolments those of
    `school_years` (a file may have changed kind). Their rows stay in linked_rows_* while they
    are the version read last or loaded for another year (`drop_unused_rows`)."""
    con.execute(
        "delete from linked_loaded where file_name in (select unnest(?::varchar[])) "
        "and (school_year is null or list_contains(?::varchar[], school_year))",
        [names, school_years],
    )
