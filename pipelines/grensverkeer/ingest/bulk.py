"""Parse many DUO files as one frame: the files of one dialect and header are staged together.

Parsing a DUO file one by one costs about fifteen small Polars operations per file, most of it
the fixed cost of each operation, and one insert per batch of files. Here the files that share a
delimiter and a header (so the same kind and column map) are split into lines, parsed into
fields, validated and turned into staged rows as one frame per group (with a file index
column), and inserted in one statement per group.

What stays per file is cheap Python: reading and decoding the bytes (so any encoding that
`text.decode` reads, cp1252 too), the header line, and the years a file name holds. Everything
the one-by-one path (`load._parse_for_staging`) would reject or treat specially goes that way
instead, file by file, so every message, line number and row is the same as before:

* files that cannot be read, are empty, are not text or cannot be decoded, have no header or an
  unknown or incomplete one, the location totals file, files without a count date column or a
  year in their name;
* files with no data rows, with a line holding an odd number of quotes (a quoted value that may
  span lines), whose last line ends inside a quoted value (a cut-off file), or holding the
  sentinel character the bulk parse uses;
* files whose first data row does not have as many fields as the header (Polars refuses those);
* and every file of a group whose bulk parse does not give exactly one record per line.

A file whose count dates are all unreadable is rejected here with the one-by-one path's message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .files import size_of
from .kinds import PO_LOCATION_TOTALS, FileKind, recognise
from .text import _QUOTED, FileRejected, _ends_inside_quote, _split_header, decode, read_bytes

# Appended as an extra field to the first row of each file: the field it lands in tells how many
# fields Polars finds on it (a file's first row must have as many as the header).
SENTINEL = "\x01"
CHUNK_CHARS = 16_000_000  # decoded text of one group parsed at a time (memory)

_YEAR_IN_NAME = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


@dataclass(frozen=True)
class HeaderPlan:
    """What a header means: the same for every file that has it."""

    kind: FileKind
    mapping: dict[str, str]
    cell_columns: list[str]


@dataclass
class Prepared:
    """A file read and decoded for the bulk parse."""

    path: Path
    name: str
    sha: str
    size: int
    encoding: str
    text: str  # line ends made "\n"
    name_year: int | None  # the count year from the file name (files without a count date column)


def plan_for(header: tuple[str, ...], plans: dict) -> HeaderPlan | None:
    """The plan of a header the bulk parse can take (None: parse its files one by one)."""
    if header not in plans:
        kind = recognise(list(header))
        plan = None
        if kind is not None and kind is not PO_LOCATION_TOTALS:
            mapping, missing = kind.resolve(list(header))
            cells = kind.cell_columns(list(header))
            if cells and not missing:
                plan = HeaderPlan(kind, mapping, cells)
        plans[header] = plan
    return plans[header]


def prepare(path: Path, name: str, sha: str, plans: dict) -> tuple[tuple[str, tuple[str, ...]], Prepared] | None:
    """(group key, the file) for the bulk parse, or None when the file goes one by one."""
    try:
        data = read_bytes(path)
        if not data.removeprefix(b"\xef\xbb\xbf").strip():
            return None
        text, encoding = decode(data)
    except FileRejected:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    end = text.find("\n")
    header, delimiter = _split_header(text if end < 0 else text[:end])
    if end < 0 or not any(header):
        return None
    plan = plan_for(tuple(header), plans)
    if plan is None:
        return None
    name_year = None
    if "peildatum" not in plan.mapping:
        match = _YEAR_IN_NAME.search(Path(name).name)
        if not match:
            return None
        name_year = int(match.group(1))
    return (delimiter, tuple(header)), Prepared(path, name, sha, size_of(path), encoding, text, name_year)


@dataclass
class BulkResult:
    """A group's files as parsed: facts (or the rejection) per file, their rows as one frame,
    and the files that must be parsed one by one after all."""

    facts: list[tuple[Prepared, object, FileRejected | None]]  # (file, FileFacts | None, error)
    rows: pl.DataFrame | None
    one_by_one: list[Prepared]


def parse_group(delimiter: str, header: tuple[str, ...], plan: HeaderPlan, files: list[Prepared]) -> BulkResult:
    """Parse the files of one delimiter and header as one frame (see the module's docstring)."""
    from .load import _CANONICAL, RARE_YEAR_SHARE, FileFacts, _years_from_peildatum

    n = len(header)
    col = {h: f"f{i}" for i, h in enumerate(header)}
    lines = (
        pl.DataFrame(
            {"fid": pl.Series(range(len(files)), dtype=pl.Int32), "raw_line": [f.text for f in files]},
        )
        .with_columns(pl.col("raw_line").str.split("\n"))
        .explode("raw_line")
        .with_columns(line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("fid"))
        .filter((pl.col("line") > 1) & (pl.col("raw_line").str.strip_chars() != ""))
    )
    screen = lines.group_by("fid").agg(
        odd=(pl.col("raw_line").str.count_matches('"', literal=True) % 2 == 1).any(),
        sentinel=pl.col("raw_line").str.contains(SENTINEL, literal=True).any(),
        last=pl.col("raw_line").last(),
    )
    ok = {
        fid
        for fid, odd, sentinel, last in screen.iter_rows()
        if not odd and not sentinel and not _ends_inside_quote(last, delimiter)
    }
    lines = lines.filter(pl.col("fid").is_in(sorted(ok)))
    fields = _read_fields(lines, delimiter, n)
    if fields is None:  # not one record per line: every file of the group one by one
        return BulkResult([], None, files)
    ok &= _exact_first_rows(lines, delimiter, n)  # Polars refuses a file whose first row is short or long
    table = (
        pl.concat([lines, fields.select(pl.all().str.strip_chars())], how="horizontal")
        .with_columns(n_fields=_field_counts(lines["raw_line"], delimiter))
        .filter(pl.col("fid").is_in(sorted(ok)))
    )
    if "peildatum" in plan.mapping:
        year = _years_from_peildatum(pl.col(col[plan.mapping["peildatum"]]))
    else:
        year = pl.col("fid").replace_strict(
            {i: f.name_year for i, f in enumerate(files)}, default=None, return_dtype=pl.Int32
        )
    table = table.with_columns(count_year=year.cast(pl.Int32))
    if "peildatum" in plan.mapping:
        table = _drop_rare_years(table, RARE_YEAR_SHARE)
    # As `load._single_municipality` finds the column: by its first place in the header.
    municipality = (
        f"f{header.index(plan.mapping['school_municipality_code'])}"
        if "school_municipality_code" in plan.mapping
        else None
    )
    per_file = table.group_by("fid").agg(
        data_rows=pl.len(),
        years=pl.col("count_year").drop_nulls().unique().sort(),
        unreadable=pl.col("count_year").null_count() > 0,
        all_unreadable=pl.col("count_year").null_count() == pl.len(),
        dominant=pl.col("count_year").drop_nulls().mode().min(),
        first_line=pl.col("line").first(),
        first_raw=pl.col("raw_line").first(),
        first_date=pl.col(col[plan.mapping["peildatum"]]).first() if "peildatum" in plan.mapping else pl.lit(None),
        single=(pl.col(municipality).drop_nulls().str.strip_chars_start("0").n_unique() == 1)
        if municipality
        else pl.lit(None, dtype=pl.Boolean),
    )
    facts: list[tuple[Prepared, object, FileRejected | None]] = []
    usable: dict[int, tuple[str, int | None, bool | None]] = {}  # fid -> (name, dominant year, single)
    for (
        fid,
        data_rows,
        years,
        unreadable,
        all_unreadable,
        dominant,
        first_line,
        first_raw,
        first_date,
        single,
    ) in per_file.iter_rows():
        f = files[fid]
        if all_unreadable:
            column = plan.mapping["peildatum"]
            facts.append(
                (
                    f,
                    None,
                    FileRejected(
                        "invalid_count_date",
                        f"no row has a readable count date in {column} (first value: {first_date!r}); "
                        "expected a date like 20241001 (was the file saved from Excel?)",
                        line=int(first_line),
                        column=column,
                        raw_text=first_raw,
                    ),
                )
            )
            continue
        facts.append(
            (
                f,
                FileFacts(
                    plan.kind,
                    f.encoding,
                    delimiter,
                    data_rows,
                    [int(y) for y in years],
                    plan.mapping,
                    single,
                    bool(unreadable),
                    dominant,
                ),
                None,
            )
        )
        usable[fid] = (f.name, dominant, single)
    rows = (
        _rows(table.filter(pl.col("fid").is_in(sorted(usable))), plan, header, usable, _CANONICAL, col)
        if usable
        else None
    )
    return BulkResult(facts, rows, [f for i, f in enumerate(files) if i not in ok])


def _field_counts(raw: pl.Series, delimiter: str) -> pl.Series:
    """Fields per line as `text.read_text_table` counts them: the delimiters outside quoted values,
    plus one (the quoted values are taken out only of the lines that have a quote)."""
    counts = raw.str.count_matches(delimiter, literal=True).cast(pl.Int32) + 1
    quoted = raw.str.contains('"', literal=True).arg_true()
    if len(quoted):
        unquoted = raw.gather(quoted).str.replace_all(_QUOTED, "")
        counts = counts.scatter(quoted, unquoted.str.count_matches(delimiter, literal=True).cast(pl.Int32) + 1)
    return counts


def _read_fields(lines: pl.DataFrame, delimiter: str, n: int) -> pl.DataFrame | None:
    """The fields f0 .. f{n-1} of every line, as `text.read_text_table` reads them, or None when
    Polars does not read exactly one record per line (a quoted value over a line end: a record
    is never shorter than its line, so as many records as lines means one each, in order)."""
    schema = {f"f{i}": pl.String for i in range(n)}
    if lines.height == 0:
        return pl.DataFrame(schema=schema)
    try:
        fields = _read_csv(lines["raw_line"], delimiter, schema)
    except pl.exceptions.PolarsError:
        return None
    return fields if fields.height == lines.height else None


def _exact_first_rows(lines: pl.DataFrame, delimiter: str, n: int) -> set[int]:
    """The files whose first data row Polars reads as exactly `n` fields: each first row, with the
    sentinel appended as one more field, is read again; the sentinel lands in field n+1 only then."""
    first = lines.group_by("fid").agg(pl.col("raw_line").first())
    if first.height == 0:
        return set()
    with_end = first.select(pl.concat_str([pl.col("raw_line"), pl.lit(SENTINEL)], separator=delimiter))
    try:
        read = _read_csv(with_end.to_series(), delimiter, {**{f"f{i}": pl.String for i in range(n)}, "_end": pl.String})
    except pl.exceptions.PolarsError:
        return set()
    if read.height != first.height:
        return set()
    return {fid for fid, end in zip(first["fid"], read["_end"]) if end == SENTINEL}


def _read_csv(lines: pl.Series, delimiter: str, schema: dict) -> pl.DataFrame:
    body = lines.str.join("\n").item()
    return pl.read_csv(
        body.encode("utf-8"),
        has_header=False,
        separator=delimiter,
        quote_char='"',
        schema=schema,
        truncate_ragged_lines=True,
    )


def _drop_rare_years(table: pl.DataFrame, rare_share: float) -> pl.DataFrame:
    """A count year held by under `rare_share` of a file's rows is a typo, not a school year:
    those rows lose their year (they go with the file's main year), as `load.parse_file` does,
    unless every year of the file is that rare."""
    shares = (
        table.group_by("fid")
        .agg(pl.col("count_year").value_counts(normalize=True, name="share"))
        .explode("count_year")
        .unnest("count_year")
    )
    distinct = shares.group_by("fid").agg(n_values=pl.len())
    rare = (
        shares.filter((pl.col("share") < rare_share) & pl.col("count_year").is_not_null())
        .join(distinct, on="fid")
        .filter(pl.len().over("fid") < pl.col("n_values"))
        .select("fid", "count_year", rare=pl.lit(True))
    )
    if rare.height == 0:
        return table
    return (
        table.join(rare, on=["fid", "count_year"], how="left", maintain_order="left", nulls_equal=False)
        .with_columns(count_year=pl.when(pl.col("rare")).then(None).otherwise(pl.col("count_year")))
        .drop("rare")
    )


def _rows(
    table: pl.DataFrame,
    plan: HeaderPlan,
    header: tuple[str, ...],
    usable: dict[int, tuple[str, int | None, bool | None]],
    canonical: list[str],
    col: dict[str, str],
) -> pl.DataFrame:
    """The rows of the usable files (for duo_rows and duo_cells), as `load._row_frame` makes them for one file."""
    names = {fid: v[0] for fid, v in usable.items()}
    dominant = {fid: v[1] for fid, v in usable.items()}
    single = {fid: v[2] for fid, v in usable.items()}
    header_by_index = dict(enumerate(header))
    count_year = pl.col("count_year").fill_null(
        pl.col("fid").replace_strict(dominant, default=None, return_dtype=pl.Int32)
    )
    return table.select(
        pl.col("fid").replace_strict(names, default=None, return_dtype=pl.String).alias("file_name"),
        pl.lit(plan.kind.name).alias("kind"),
        pl.format("{}-{}", count_year, count_year + 1).alias("school_year"),
        pl.col("line").cast(pl.Int64),
        pl.col("n_fields"),
        pl.lit(len(header), dtype=pl.Int32).alias("expected_fields"),
        pl.col("n_fields")
        .replace_strict(header_by_index, default=None, return_dtype=pl.String)
        .alias("first_missing_column"),
        pl.col("fid").replace_strict(single, default=None, return_dtype=pl.Boolean).alias("single_school_municipality"),
        *[
            (pl.col(col[plan.mapping[c]]) if c in plan.mapping else pl.lit(None, dtype=pl.String)).alias(c)
            for c in canonical
        ],
        pl.col("raw_line"),
        # concat_arr and then a list: the same lists as concat_list, ten times faster here.
        pl.concat_arr([pl.col(col[c]) for c in plan.cell_columns]).arr.to_list().alias("cell_values"),
    )
