"""Load the DUO files of an input folder into the raw layer of the warehouse, per school year.

Files are recognised by their header. A file that cannot be used is recorded in
`rejected_files` and skipped, while the other files still load. Rows of a school year are
replaced per file name only when the file itself is usable, so a broken new version of a
file never removes what an earlier version loaded.
"""

from __future__ import annotations

import os
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from . import hashes
from .files import files_under, input_name, size_of
from .kinds import KINDS, PO_LOCATION_TOTALS, FileKind, recognise
from .text import FileRejected, TextTable, read_text_table, sha256_of

INPUT_SUFFIXES = {".csv", ".txt"}
RARE_YEAR_SHARE = 0.01  # docs/inputs-duo.md: a count date that opens a school year for under 1% of a file's rows
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


def school_year_of(count_year: int) -> str:
    return f"{count_year}-{count_year + 1}"


@dataclass
class ScanResult:
    school_year: str
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # usable, but no rows for this year
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, same as file)


def list_input_files(input_dir: Path) -> list[Path]:
    """Every CSV under the folder, except linked (pupil-level) records, in a stable order."""
    files = [
        p
        for p in files_under(input_dir)
        if p.suffix.lower() in INPUT_SUFFIXES and "linked" not in p.relative_to(input_dir).parts[:-1]
    ]
    return sorted(files, key=lambda p: input_name(p, input_dir))


def _years_from_peildatum(col: pl.Expr) -> pl.Expr:
    """Count date -> first calendar year of the school year (1 Oct 2024 -> 2024)."""
    date = col.str.strptime(pl.Date, "%Y%m%d", strict=False)
    from_date = pl.when(date.dt.month() >= 8).then(date.dt.year()).otherwise(date.dt.year() - 1)
    from_year = pl.when(col.str.contains(r"^(19|20)\d{2}$")).then(col.cast(pl.Int32, strict=False))
    return pl.coalesce(from_date, from_year).cast(pl.Int32)


@dataclass
class ParsedFile:
    name: str
    sha256: str
    size: int
    kind: FileKind
    table: TextTable
    mapping: dict[str, str]
    cell_columns: list[str]
    count_years: pl.Series  # per row (None where the count date is unreadable)


def parse_file(path: Path, name: str, sha: str) -> ParsedFile:
    table = read_text_table(path)
    kind = recognise(table.header)
    if kind is None:
        raise FileRejected(
            "unknown_dataset",
            "the header does not match a DUO dataset we read (leerlingen po per gemeente naar postcode "
            "leerling en leeftijd; leerlingen vo per vestiging naar postcode leerling en leerjaar; "
            "historisch overzicht aantal leerlingen per schoolvestiging)",
            line=1,
            raw_text=table.lines["raw_line"][0] if table.lines.height else None,
        )
    mapping, missing = kind.resolve(table.header)
    cells = kind.cell_columns(table.header)
    if not cells:
        missing.append(kind.cell_pattern.replace("\\d", "N"))
    if missing:
        raise FileRejected(
            "missing_columns",
            f"recognised as DUO '{kind.title}', but required columns are missing: {', '.join(missing)}",
            line=1,
            column=", ".join(missing),
        )
    col = {h: f"f{i}" for i, h in enumerate(table.header)}
    if kind is PO_LOCATION_TOTALS:
        years = pl.Series("count_year", [None] * table.fields.height, dtype=pl.Int32)
    elif "peildatum" in mapping:
        years = table.fields.select(_years_from_peildatum(pl.col(col[mapping["peildatum"]]))).to_series()
        # A count year held by under 1% of the rows is a typo (20421001 in a 2024 file), not a
        # school year: those rows go with the file's main year, where staging rejects them.
        share = years.value_counts(normalize=True, name="share")
        rare = share.filter((pl.col("share") < RARE_YEAR_SHARE) & pl.col(years.name).is_not_null())[years.name]
        if len(rare) and len(rare) < share.height:
            years = years.set(years.is_in(rare.implode()), None)
        if years.null_count() == len(years):
            # Otherwise the file would belong to no school year and its rows would silently go missing.
            first = table.fields[col[mapping["peildatum"]]][0]
            raise FileRejected(
                "invalid_count_date",
                f"no row has a readable count date in {mapping['peildatum']} (first value: {first!r}); "
                "expected a date like 20241001 (was the file saved from Excel?)",
                line=int(table.lines["line"][0]),
                column=mapping["peildatum"],
                raw_text=table.lines["raw_line"][0],
            )
    else:
        match = _YEAR_IN_NAME.search(Path(name).name)
        if not match:
            raise FileRejected(
                "no_count_date",
                "the file has no PEILDATUM column and no year in its name, so its school year is unknown; "
                "add the year to the file name (e.g. ...-2023.csv for count date 1 October 2023)",
                line=1,
            )
        years = pl.Series("count_year", [int(match.group(1))] * table.fields.height, dtype=pl.Int32)
    return ParsedFile(name, sha, size_of(path), kind, table, mapping, cells, years)


def _file_years(parsed: ParsedFile) -> list[int]:
    if parsed.kind is PO_LOCATION_TOTALS:
        return sorted(int(c[-4:]) for c in parsed.cell_columns)
    return sorted(int(y) for y in parsed.count_years.drop_nulls().unique())


def _dominant_year(parsed: ParsedFile) -> int | None:
    years = parsed.count_years.drop_nulls()
    return int(years.mode().sort()[0]) if len(years) else None


@dataclass(frozen=True)
class FileFacts:
    """What a parsed file records in input_files, and which count years its rows belong to."""

    kind: FileKind
    encoding: str
    delimiter: str
    data_rows: int
    years: list[int]
    mapping: dict[str, str]
    single_school_municipality: bool | None
    unreadable_dates: bool  # some rows have no readable count date: they go with the dominant year
    dominant_year: int | None

    def feeds(self, count_year: int) -> bool:
        """Whether the file has rows (or rows to reject) for this count year."""
        return count_year in self.years or (
            self.kind is not PO_LOCATION_TOTALS and self.unreadable_dates and self.dominant_year == count_year
        )


def _single_municipality(p: ParsedFile) -> bool | None:
    """Files that hold a single school municipality are DUO's per-municipality files."""
    if "school_municipality_code" not in p.mapping or p.kind is PO_LOCATION_TOTALS:
        return None
    idx = p.table.header.index(p.mapping["school_municipality_code"])
    return (
        p.table.fields[f"f{idx}"].drop_nulls().str.strip_chars_start("0").n_unique() == 1
    )  # 0503 = 503, but 0034 <> 0340


def file_facts(parsed: ParsedFile) -> FileFacts:
    return FileFacts(
        parsed.kind,
        parsed.table.encoding,
        parsed.table.delimiter,
        parsed.table.lines.height,
        _file_years(parsed),
        parsed.mapping,
        _single_municipality(parsed),
        bool(parsed.count_years.null_count()),
        _dominant_year(parsed),
    )


_CANONICAL = [
    "peildatum",
    "brin",
    "location_no",
    "school_municipality_code",
    "school_municipality_name",
    "school_name",
    "home_pc4",
    "home_municipality_code",
    "home_municipality_name",
    "soort",
    "total",
]


def _row_frame(parsed: ParsedFile, facts: FileFacts) -> pl.DataFrame:
    """The rows of one pupil file, with their count cells as a list, for every count year it holds."""
    t = parsed.table
    col = {h: f"f{i}" for i, h in enumerate(t.header)}
    # Rows with an unreadable count date stay with the file's main year, to be rejected there.
    row_year = parsed.count_years.fill_null(facts.dominant_year)
    header_by_index = {i: h for i, h in enumerate(t.header)}
    base = pl.concat([t.lines, t.fields, pl.DataFrame({"count_year": row_year})], how="horizontal").with_columns(
        school_year=pl.format("{}-{}", pl.col("count_year"), pl.col("count_year") + 1)
    )
    rows = base.select(
        pl.lit(parsed.name).alias("file_name"),
        pl.lit(parsed.kind.name).alias("kind"),
        pl.col("school_year"),
        pl.col("line").cast(pl.Int64),
        pl.col("n_fields"),
        pl.lit(len(t.header), dtype=pl.Int32).alias("expected_fields"),
        pl.col("n_fields")
        .replace_strict(header_by_index, default=None, return_dtype=pl.String)
        .alias("first_missing_column"),
        pl.lit(facts.single_school_municipality, dtype=pl.Boolean).alias("single_school_municipality"),
        *[
            (pl.col(col[parsed.mapping[c]]) if c in parsed.mapping else pl.lit(None, dtype=pl.String)).alias(c)
            for c in _CANONICAL
        ],
        pl.col("raw_line"),
        # The count cells as a list per row (in the order of `cell_columns`), made into
        # duo_cells by `_write_staged`: one list per row is far less to hand over than a row per cell.
        pl.concat_list([pl.col(col[c]) for c in parsed.cell_columns]).alias("cell_values"),
    )
    return rows


def _totals_frame(parsed: ParsedFile, count_year: int) -> pl.DataFrame | None:
    """One count year of the location totals file, as rows of raw_location_totals (None when the file
    has no column for it); ingest/retract.py compares a republished file's years with these."""
    column = next((c for c in parsed.cell_columns if c.endswith(str(count_year))), None)
    if column is None:
        return None
    return _totals_wide(parsed).select(
        pl.exclude("cell_values"),
        pl.lit(school_year_of(count_year)).alias("school_year"),
        pl.lit(column).alias("column_name"),
        pl.col("cell_values").list.get(parsed.cell_columns.index(column)).alias("value_text"),
    )


def _totals_wide(parsed: ParsedFile) -> pl.DataFrame:
    """The location totals file with the counts of every year as a list per row (in the order
    of `cell_columns`); a year's column is taken out when that year is copied to raw_location_totals."""
    t = parsed.table
    col = {h: f"f{i}" for i, h in enumerate(t.header)}
    get = lambda c: pl.col(col[parsed.mapping[c]]) if c in parsed.mapping else pl.lit(None, dtype=pl.String)  # noqa: E731
    return pl.concat([t.lines, t.fields], how="horizontal").select(
        pl.lit(parsed.name).alias("file_name"),
        pl.col("line").cast(pl.Int64),
        pl.col("n_fields"),
        pl.lit(len(t.header), dtype=pl.Int32).alias("expected_fields"),
        get("location_code").alias("location_code"),
        get("brin").alias("brin"),
        get("soort").alias("soort"),
        get("school_municipality_code").alias("school_municipality_code"),
        get("school_name").alias("school_name"),
        pl.col("raw_line"),
        pl.concat_list([pl.col(col[c]) for c in parsed.cell_columns]).alias("cell_values"),
    )


def _record_file(
    con: duckdb.DuckDBPyConnection,
    name: str,
    sha: str,
    size: int,
    status: str,
    *,
    kind: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    data_rows: int | None = None,
    years: list[int] | None = None,
    message: str | None = None,
    columns: dict[str, str] | None = None,
    single_school_municipality: bool | None = None,
) -> None:
    con.execute(
        """
        insert or replace into input_files
            (file_name, sha256, size_bytes, kind, encoding, delimiter, data_rows, count_years,
             column_map, single_school_municipality, status, message, seen_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
        """,
        [
            name,
            sha,
            size,
            kind,
            encoding,
            delimiter,
            data_rows,
            years,
            columns,
            single_school_municipality,
            status,
            message,
        ],
    )


def _record_files(con: duckdb.DuckDBPyConnection, records: list[dict]) -> None:
    """`_record_file` for many files at once (status 'loaded'), as one statement."""
    if not records:
        return
    frame = pl.DataFrame(  # noqa: F841 (DuckDB reads it by name)
        [{**r, "column_map": [{"key": k, "value": v} for k, v in r["column_map"].items()]} for r in records],
        schema={
            "file_name": pl.String,
            "sha256": pl.String,
            "size_bytes": pl.Int64,
            "kind": pl.String,
            "encoding": pl.String,
            "delimiter": pl.String,
            "data_rows": pl.Int32,
            "count_years": pl.List(pl.Int32),
            "column_map": pl.List(pl.Struct({"key": pl.String, "value": pl.String})),
            "single_school_municipality": pl.Boolean,
        },
    )
    con.execute(
        """
        insert or replace into input_files
            (file_name, sha256, size_bytes, kind, encoding, delimiter, data_rows, count_years,
             column_map, single_school_municipality, status, message, seen_at)
        select file_name, sha256, size_bytes, kind, encoding, delimiter, data_rows, count_years,
               map_from_entries(column_map), single_school_municipality, 'loaded', null, now()
        from frame
        """
    )


def _reject_file(con, name: str, sha: str, size: int, err: FileRejected) -> None:
    _record_file(con, name, sha, size, "rejected", message=err.message)
    con.execute(
        """
        insert or replace into rejected_files (file_name, sha256, line, column_name, reason_code, reason, raw_text, seen_at)
        values (?, ?, ?, ?, ?, ?, ?, now())
        """,
        [name, sha, err.line, err.column, err.reason_code, err.message, err.raw_text],
    )


def originals_of_copies(con: duckdb.DuckDBPyConnection, input_dir: Path, shas: dict[Path, str]) -> dict[Path, str]:
    """Files whose content is already in another file of the folder -> the name of that file.

    Of files with the same content, the one an earlier run loaded stays the one that counts,
    so a copy added later (whatever its name) is the duplicate and nothing is counted twice.
    """
    present = {(input_name(path, input_dir), sha) for path, sha in shas.items()}
    first_by_sha: dict[str, str] = {}
    for name, sha in con.execute(
        "select file_name, sha256 from input_files where status = 'loaded' order by file_name desc"
    ).fetchall():
        if (name, sha) in present:
            first_by_sha[sha] = name
    originals = {}
    for path, sha in shas.items():
        name = input_name(path, input_dir)
        if first_by_sha.setdefault(sha, name) != name:
            originals[path] = first_by_sha[sha]
    return originals


def record_duplicate(con: duckdb.DuckDBPyConnection, name: str, sha: str, size: int, original: str) -> None:
    err = FileRejected("duplicate_file", f"same content as {original}: loaded once, from that file")
    _reject_file(con, name, sha, size, err)
    _record_file(con, name, sha, size, "duplicate", message=err.message)


# --- Staging: each file parsed once per run --------------------------------------------

_STAGE_WORKERS = max(1, min(4, os.cpu_count() or 1))
_FLUSH_CELLS = 2_000_000  # staged cells held in memory before they are written
_BULK_AHEAD = 2  # groups parsed in bulk at a time, ahead of their insert


@dataclass
class _Parsed:
    """One file as staging parsed it: its facts and its rows of every count year, or why not."""

    name: str
    sha: str
    size: int
    facts: FileFacts | None = None
    rows: pl.DataFrame | None = None
    cell_columns: list[str] | None = None
    totals: pl.DataFrame | None = None
    error: FileRejected | None = None

    @property
    def pending(self) -> list[int]:
        if self.facts is None:
            return []
        if self.facts.kind is PO_LOCATION_TOTALS:
            return self.facts.years
        return sorted(set(self.facts.years) | ({self.facts.dominant_year} if self.facts.unreadable_dates else set()))


def _parse_for_staging(path: Path, name: str, sha: str) -> _Parsed:
    out = _Parsed(name, sha, size_of(path))
    try:
        parsed = parse_file(path, name, sha)
    except FileRejected as err:
        out.error = err
        return out
    out.facts = file_facts(parsed)
    out.cell_columns = parsed.cell_columns
    if parsed.kind is PO_LOCATION_TOTALS:
        out.totals = _totals_wide(parsed)
    else:
        out.rows = _row_frame(parsed, out.facts)
    return out


def _facts_row(p: _Parsed) -> dict:
    f, e = p.facts, p.error
    return {
        "file_name": p.name,
        "sha256": p.sha,
        "size_bytes": p.size,
        "status": "parsed" if f is not None else "rejected",
        "kind": f.kind.name if f else None,
        "encoding": f.encoding if f else None,
        "delimiter": f.delimiter if f else None,
        "data_rows": f.data_rows if f else None,
        "count_years": f.years if f else None,
        "column_map": [{"key": k, "value": v} for k, v in f.mapping.items()] if f else None,
        "single_school_municipality": f.single_school_municipality if f else None,
        "unreadable_dates": f.unreadable_dates if f else None,
        "dominant_year": f.dominant_year if f else None,
        "pending_years": p.pending,
        "cell_columns": p.cell_columns,
        "reason_code": e.reason_code if e else None,
        "message": e.message if e else None,
        "line": e.line if e else None,
        "column_name": e.column if e else None,
        "raw_text": e.raw_text if e else None,
    }


_FACTS_SCHEMA = {
    "file_name": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "status": pl.String,
    "kind": pl.String,
    "encoding": pl.String,
    "delimiter": pl.String,
    "data_rows": pl.Int32,
    "count_years": pl.List(pl.Int32),
    "column_map": pl.List(pl.Struct({"key": pl.String, "value": pl.String})),
    "single_school_municipality": pl.Boolean,
    "unreadable_dates": pl.Boolean,
    "dominant_year": pl.Int32,
    "pending_years": pl.List(pl.Int32),
    "cell_columns": pl.List(pl.String),
    "reason_code": pl.String,
    "message": pl.String,
    "line": pl.Int32,
    "column_name": pl.String,
    "raw_text": pl.String,
}


def _write_staged(con: duckdb.DuckDBPyConnection, batch: list[_Parsed], rows: list[pl.DataFrame] | None = None) -> None:
    """Write parsed files into the staging tables in bulk (one statement per table); `rows`:
    staged rows of these files parsed together (`bulk.parse_group`) rather than per file."""
    if not batch:
        return
    facts = pl.DataFrame([_facts_row(p) for p in batch], schema=_FACTS_SCHEMA)  # noqa: F841 (read by DuckDB)
    # A parsed pupil file is a new version: its rows are written once, under its number.
    con.execute(
        """insert into staged_duo_files by name
           select * replace (map_from_entries(column_map) as column_map),
                  case when status = 'parsed' and kind <> ? then nextval('duo_version_numbers')::integer end as version
           from facts""",
        [PO_LOCATION_TOTALS.name],
    )
    totals = [p.totals for p in batch if p.totals is not None]
    if totals:
        frame = pl.concat(totals, how="vertical_relaxed")  # noqa: F841 (read by DuckDB)
        columns = ", ".join(frame.columns)
        con.execute(f"insert into staged_duo_totals ({columns}) select {columns} from frame")
    frames = [p.rows for p in batch if p.rows is not None] + [r for r in rows or [] if r.height]
    if not frames:
        return
    frame = pl.concat(frames, how="vertical_relaxed")  # noqa: F841 (read by DuckDB)
    names = [c for c in frame.columns if c != "cell_values"]
    con.execute(
        f"""insert into duo_rows (version, {", ".join(names)})
            select f.version, {", ".join(f"r.{c}" for c in names)}
            from frame r join staged_duo_files f using (file_name)"""
    )
    # The cells of a row that are a plain zero ('0', '00': macro zero_count) are left out of
    # duo_cells, five in six nationally: they add nothing to any sum and are never a problem.
    # duo_loaded keeps the count columns of each loaded (year, file), so a row's zero cells are
    # the columns without a cell in duo_cells (how many cells a location has, int_cell_estimates).
    con.execute(
        """
        insert into duo_cells (version, file_name, school_year, line, cell_label, cell_order, value_text)
        select version, file_name, school_year, line, cell_columns[i], (i - 1)::integer, cell_values[i]
        from (select f.version, r.file_name, r.school_year, r.line, r.cell_values, f.cell_columns,
                     unnest(range(1, len(r.cell_values) + 1)) as i
              from frame r join staged_duo_files f using (file_name))
        where not zero_count(cell_values[i])
        """
    )


def drop_unused_versions(con: duckdb.DuckDBPyConnection, versions: list) -> None:
    """The rows of those DUO file versions (numbers, or rows of one) that are neither a name's
    staged version nor loaded for a school year go from duo_rows and duo_cells."""
    numbers = sorted({v[0] if isinstance(v, tuple) else v for v in versions} - {None})
    if not numbers:
        return
    unused = [
        v
        for (v,) in con.execute(
            """select unnest(?::integer[]) as version
               except (select version from staged_duo_files where version is not null
                       union select version from duo_loaded)""",
            [numbers],
        ).fetchall()
    ]
    if unused:
        for table in ("duo_rows", "duo_cells"):
            con.execute(f"delete from {table} where version in (select unnest(?::integer[]))", [unused])


def stage_files(
    con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str, str]], need_years: list[int] | None = None
) -> None:
    """Parse the files (path, name, sha256) that are not staged yet with this content, in
    parallel, and write what they are (staged_duo_files) and their rows of every year (a new
    version in duo_rows and duo_cells; the totals file in staged_duo_totals).

    With `need_years`: a staged file that feeds one of those years but whose rows of it are
    not staged (pending_years: a warehouse of an older version) is parsed again."""
    staged = {
        name: (sha, status, pending or [], kind, years or [], unreadable, dominant)
        for name, sha, status, pending, kind, years, unreadable, dominant in con.execute(
            "select file_name, sha256, status, pending_years, kind, count_years, unreadable_dates, dominant_year "
            "from staged_duo_files"
        ).fetchall()
    }

    def current(name: str, sha: str) -> bool:
        row = staged.get(name)
        if row is None or row[0] != sha:
            return False
        if need_years is None or row[1] != "parsed":
            return True

        def feeds(year: int) -> bool:
            return year in row[4] or bool(row[3] != PO_LOCATION_TOTALS.name and row[5] and row[6] == year)

        return all(year in row[2] or not feeds(year) for year in need_years)

    todo = [(path, name, sha) for path, name, sha in files if not current(name, sha)]
    if not todo:
        return
    # What is staged of these files (another version) goes, once (and its rows, unless loaded): a
    # delete per written batch scanned the growing staged rows again each time (about 9 s of
    # CPU for the 3,431 national DUO files).
    again = [name for _, name, _ in todo if name in staged]
    if again:
        con.execute("delete from staged_duo_totals where file_name in (select unnest(?::varchar[]))", [again])
        replaced = con.execute(
            "delete from staged_duo_files where file_name in (select unnest(?::varchar[])) returning version", [again]
        ).fetchall()
        drop_unused_versions(con, replaced)
    todo = _stage_in_bulk(con, todo)
    batch: list[_Parsed] = []
    cells = 0
    with ThreadPoolExecutor(max_workers=_STAGE_WORKERS) as pool:  # Polars parses without the GIL
        for parsed in pool.map(lambda f: _parse_for_staging(*f), todo):
            batch.append(parsed)
            cells += parsed.rows.height * len(parsed.cell_columns) if parsed.rows is not None else 0
            if cells >= _FLUSH_CELLS:
                _write_staged(con, batch)
                batch, cells = [], 0
    _write_staged(con, batch)


def _stage_in_bulk(con: duckdb.DuckDBPyConnection, todo: list[tuple[Path, str, str]]) -> list[tuple[Path, str, str]]:
    """Stage the files that share a delimiter and header as one frame per group (`ingest/bulk.py`),
    in one insert per group (or per `bulk.CHUNK_CHARS` of text); returns the files to parse one by
    one, in their order (those the bulk parse leaves to `_parse_for_staging`).

    The groups are parsed on worker threads (Polars works without the GIL) while this thread
    reads the next files and inserts the parsed groups (DuckDB works without it too), so both
    cores are busy; at most `_BULK_AHEAD` parsed groups wait for their insert (memory)."""
    from . import bulk

    plans: dict = {}
    groups: dict[tuple[str, tuple[str, ...]], list[bulk.Prepared]] = {}
    chars: dict[tuple[str, tuple[str, ...]], int] = {}
    alone: set[str] = set()
    pending: deque[tuple[list[str], Future]] = deque()

    def write_next() -> None:
        cells, future = pending.popleft()
        result = future.result()
        batch = [
            _Parsed(f.name, f.sha, f.size, facts=facts, cell_columns=cells if facts is not None else None, error=error)
            for f, facts, error in result.facts
        ]
        _write_staged(con, batch, [result.rows] if result.rows is not None else None)
        alone.update(f.name for f in result.one_by_one)

    def submit(pool: ThreadPoolExecutor, key: tuple[str, tuple[str, ...]]) -> None:
        while len(pending) >= _BULK_AHEAD:
            write_next()
        plan = plans[key[1]]
        pending.append((plan.cell_columns, pool.submit(bulk.parse_group, *key, plan, groups.pop(key))))
        chars.pop(key)

    with ThreadPoolExecutor(max_workers=_BULK_AHEAD) as pool:
        for path, name, sha in todo:
            prepared = bulk.prepare(path, name, sha, plans)
            if prepared is None:
                alone.add(name)
                continue
            key, file = prepared
            groups.setdefault(key, []).append(file)
            chars[key] = chars.get(key, 0) + len(file.text)
            if chars[key] >= bulk.CHUNK_CHARS:
                submit(pool, key)
        for key in list(groups):
            submit(pool, key)
        while pending:
            write_next()
    return [f for f in todo if f[1] in alone]


def _staged_facts(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, tuple]:
    kinds = {k.name: k for k in KINDS}
    out = {}
    for row in con.execute(
        """select file_name, sha256, status, kind, encoding, delimiter, data_rows, count_years,
                  column_map, single_school_municipality, unreadable_dates, dominant_year,
                  reason_code, message, line, column_name, raw_text
           from staged_duo_files where file_name in (select unnest(?::varchar[]))""",
        [names],
    ).fetchall():
        name, sha, status, kind, enc, delim, n, years, cmap, single, unreadable, dominant = row[:12]
        if status == "parsed":
            facts = FileFacts(kinds[kind], enc, delim, n, list(years or []), dict(cmap), single, unreadable, dominant)
            out[name] = (sha, facts, None)
        else:
            out[name] = (sha, None, FileRejected(row[12], row[13], line=row[14], column=row[15], raw_text=row[16]))
    return out


def load_school_year(con: duckdb.DuckDBPyConnection, input_dir: Path, count_year: int) -> ScanResult:
    """`load_school_years` for one school year."""
    return load_school_years(con, input_dir, [count_year])[count_year]


def load_school_years(con: duckdb.DuckDBPyConnection, input_dir: Path, count_years: list[int]) -> dict[int, ScanResult]:
    """(Re)load the rows of the school years of `count_years` from every usable file in
    `input_dir`; returns what happened to each file, per count year.

    Set-based over the years: the folder is listed and hashed once, each file is recorded once,
    and the versions of every year are loaded in one statement (`_copy_loaded_rows`). The rows
    are those `stage_files` wrote: a file the discovery of this run (or an earlier run) parsed
    is not parsed again, and a file of several years is parsed once for all of them."""
    results = {year: ScanResult(school_year_of(year)) for year in count_years}
    paths = list_input_files(input_dir)
    hashes.load(con)  # a run the sensor started hashes here first
    shas = {path: sha256_of(path) for path in paths}
    hashes.save(con, input_dir)
    originals = originals_of_copies(con, input_dir, shas)
    known_files = loaded_file_years(con)
    wanted: list[tuple[Path, str, str]] = []
    wanted_years: dict[str, list[int]] = {}  # per file: the years it is read for
    for path in paths:
        name = input_name(path, input_dir)
        sha = shas[path]
        if path in originals:
            record_duplicate(con, name, sha, size_of(path), originals[path])
            for result in results.values():
                result.duplicates.append((name, originals[path]))
            continue
        known = known_files.get((name, sha))
        years = [year for year in count_years if not (known and year not in known[1])]
        for year in count_years:
            if year not in years:
                results[year].skipped.append(name)
        if years:
            wanted.append((path, name, sha))
            wanted_years[name] = years
    stage_files(con, wanted, need_years=count_years)
    staged = _staged_facts(con, [name for _, name, _ in wanted])
    records: list[dict] = []  # input_files rows of the usable files, written in one statement
    loads: list[tuple[str, str]] = []  # (school year, file name): the rows to copy
    for path, name, sha in wanted:
        _, facts, error = staged[name]
        if error is not None:
            _reject_file(con, name, sha, size_of(path), error)
            for year in wanted_years[name]:
                results[year].rejected.append((name, error.message))
            continue
        records.append(
            {
                "file_name": name,
                "sha256": sha,
                "size_bytes": size_of(path),
                "kind": facts.kind.name,
                "encoding": facts.encoding,
                "delimiter": facts.delimiter,
                "data_rows": facts.data_rows,
                "count_years": facts.years,
                "column_map": facts.mapping,
                "single_school_municipality": facts.single_school_municipality,
            }
        )
        for year in wanted_years[name]:
            result = results[year]
            if facts.feeds(year):
                result.loaded.append(name)
                loads.append((result.school_year, name))
            else:
                result.skipped.append(name)
    _record_files(con, records)
    if loads:
        _copy_loaded_rows(con, loads)
    return results


def _copy_loaded_rows(con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> None:
    """Make each (school year, file) of `pairs` (the files that loaded now, per year) count with
    its staged version, every year in one statement per table; other files stay. A pupil file's
    rows are not copied: its version is loaded for the year (a row in duo_loaded, which raw_rows,
    raw_cells and raw_cell_columns are views of). Files that hold a single school municipality
    are DUO's per-municipality files: complete for their school locations. They win over
    extracts when the same row is in both (file_priority, per school year)."""
    loads = pl.DataFrame(  # noqa: F841 (read by DuckDB)
        pairs, schema={"school_year": pl.String, "file_name": pl.String}, orient="row"
    )
    con.execute("create or replace temp table _loads as select * from loads")
    con.execute(
        "delete from raw_location_totals where (school_year, file_name) in (select (school_year, file_name) from _loads)"
    )
    unloaded = con.execute(
        "delete from duo_loaded where (school_year, file_name) in (select (school_year, file_name) from _loads) "
        "returning version"
    ).fetchall()
    con.execute(
        """
        insert into duo_loaded (school_year, file_name, version, file_priority, cell_columns)
        select school_year, file_name, version, file_priority, cell_columns
        from (select l.school_year, l.file_name, f.version, f.kind, f.cell_columns,
                     (row_number() over (partition by l.school_year
                                         order by not coalesce(f.single_school_municipality, false),
                                                  l.file_name) - 1)::integer as file_priority
              from _loads l join staged_duo_files f using (file_name))
        where kind <> ?
        """,
        [PO_LOCATION_TOTALS.name],
    )
    # The location totals file: a column per count year; a year's totals are in its first
    # column whose name ends in the year.
    con.execute(
        """
        insert into raw_location_totals by name
        select t.* exclude (cell_values), c.school_year, c.cell_columns[c.i] as column_name,
               t.cell_values[c.i] as value_text
        from staged_duo_totals t
        join (select l.school_year, l.file_name, f.cell_columns,
                     list_position(list_transform(f.cell_columns,
                                                  lambda name: ends_with(name, left(l.school_year, 4))), true) as i
              from _loads l join staged_duo_files f using (file_name)
              where f.kind = ?) c using (file_name)
        where c.i is not null
        """,
        [PO_LOCATION_TOTALS.name],
    )
    drop_unused_versions(con, unloaded)  # versions replaced by the staged ones
    con.execute("drop table _loads")


def discover_count_years(input_dir: Path, only: list[Path] | None = None) -> list[int]:
    """Count years present in the PO/VO pupil files of a folder (not the multi-year totals file)."""
    return discover_input(input_dir, only)[0]


def loaded_file_years(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, list[int]]]:
    """(file name, sha256) -> (kind, count years) of the files a warehouse has loaded before
    (empty for a new warehouse)."""
    if not con.execute(
        "select 1 from duckdb_tables() where table_name = 'input_files' and schema_name = 'main'"
    ).fetchall():
        return {}
    return {
        (name, sha): (kind, years or [])
        for name, sha, kind, years in con.execute(
            "select file_name, sha256, kind, count_years from input_files where status = 'loaded'"
        ).fetchall()
    }


def discover_input(
    input_dir: Path,
    only: list[Path] | None = None,
    known: dict[tuple[str, str], tuple[str, list[int]]] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Count years of the pupil files, and (file, message) for files that cannot be used.

    The messages matter when no year is found at all: then no partition runs, and this is
    the only place that can say why.

    `known` (from `loaded_file_years`): files the warehouse loaded before with the same name
    and content are not parsed again; their recorded count years are used, as the loader
    itself does when it skips them for a year they have no rows for.

    `con` (a warehouse): the files parsed here are staged in it (`stage_files`), with their
    rows of every year, so that the loads of this run do not parse them again. Without it
    (the sensor's look at a folder) nothing is written.
    """
    years: set[int] = set()
    problems: list[tuple[str, str]] = []
    known = known or {}
    todo: list[tuple[Path, str, str]] = []
    folder: list[tuple[str, str]] = []
    for path in only if only is not None else list_input_files(input_dir):
        name = input_name(path, input_dir)
        sha = sha256_of(path)
        folder.append((name, sha))
        if (name, sha) in known:
            kind, found = known[(name, sha)]
            if kind != PO_LOCATION_TOTALS.name:
                years.update(found)
                if not found:
                    problems.append((name, "no row has a readable count date (PEILDATUM)"))
            continue
        todo.append((path, name, sha))
    if con is not None:
        if only is None:  # staged versions of files no longer in the folder (or changed) go
            present = pl.DataFrame(  # noqa: F841 (read by DuckDB)
                folder, schema={"file_name": pl.String, "sha256": pl.String}, orient="row"
            )
            gone = (
                "file_name not in (select file_name from staged_duo_files semi join present using (file_name, sha256))"
            )
            con.execute(f"delete from staged_duo_totals where {gone}")
            drop_unused_versions(
                con, con.execute(f"delete from staged_duo_files where {gone} returning version").fetchall()
            )
        stage_files(con, todo)
        staged = _staged_facts(con, [n for _, n, _ in todo])
        outcomes = [(name, staged[name][1], staged[name][2]) for _, name, _ in todo]
    else:
        outcomes = []
        for path, name, sha in todo:
            try:
                outcomes.append((name, file_facts(parse_file(path, name, sha)), None))
            except FileRejected as err:
                outcomes.append((name, None, err))
    for name, facts, error in outcomes:
        if error is not None:
            problems.append((name, error.message))
        elif facts.kind is not PO_LOCATION_TOTALS:
            years.update(facts.years)
            if not facts.years:
                problems.append((name, "no row has a readable count date (PEILDATUM)"))
    return sorted(years), problems
