"""Turn an input file's bytes into a table of lines, whatever its encoding and dialect.

DUO has published the same datasets as cp1252, UTF-8 and UTF-8 with BOM, with `;` or
`,`, quoted or not, CRLF or LF. We decode in one go, split into lines, and let Polars
parse the fields, keeping each data row's line number in the file so that every
rejected row can be traced back to it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl


class FileRejected(Exception):
    """The whole file cannot be used; `line` and `column` say where, when known."""

    def __init__(
        self,
        reason_code: str,
        message: str,
        line: int | None = None,
        column: str | None = None,
        raw_text: str | None = None,
    ):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.line = line
        self.column = column
        self.raw_text = raw_text


@dataclass
class TextTable:
    """A decoded CSV: its header, and one row per non-empty data line."""

    encoding: str
    delimiter: str
    header: list[str]  # as written in the file, quotes removed
    lines: pl.DataFrame  # line (1-based line number in the file), raw_line, n_fields
    fields: pl.DataFrame  # one string column per header field, aligned with `lines`


def sha256_of(path: Path) -> str:
    """The content's sha256; for a link that points nowhere or a file that cannot be read, a
    stand-in (the loaders refuse those files by name). An unchanged file is not read again
    (`hashes`: kept for the process and, in `input_file_hashes`, between runs)."""
    from .files import broken_link, link_sha256
    from .hashes import sha256_of_file

    if broken_link(Path(path)):
        return link_sha256(Path(path))
    try:
        return sha256_of_file(Path(path))
    except OSError as exc:
        return hashlib.sha256(f"unreadable:{exc.errno}".encode()).hexdigest()


def read_bytes(path: Path) -> bytes:
    """The file's bytes; FileRejected (naming why) when it is a broken link or cannot be read."""
    from .files import broken_link

    problem = broken_link(path)
    if problem:
        raise FileRejected("broken_link", problem)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileRejected("unreadable", f"the file cannot be read: {exc.strerror or exc}") from None


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). UTF-8 (with or without BOM) first, then cp1252."""
    if b"\x00" in data:
        raise FileRejected(
            "not_text", "this is not a text (CSV) file: it contains NUL bytes (is it an Excel or zip file?)"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc, "UTF-8 (the file starts with a UTF-8 byte order mark)", offset=3) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc, "UTF-8 or Windows-1252 (cp1252)") from None


def _undecodable(data: bytes, exc: UnicodeDecodeError, tried: str, offset: int = 0) -> FileRejected:
    """`offset`: where in `data` the decoded bytes started (3 after a byte order mark)."""
    start = exc.start + offset
    line = data.count(b"\n", 0, start) + 1
    return FileRejected(
        "undecodable",
        f"cannot read the text: byte 0x{data[start]:02x} at line {line} is not valid {tried}; "
        "save the file as UTF-8 or as Windows-1252 CSV",
        line=line,
    )


def _split_header(line: str) -> tuple[list[str], str]:
    delimiter = ";" if line.count(";") >= line.count(",") else ","
    header = next(csv.reader([line], delimiter=delimiter))
    return [h.strip() for h in header], delimiter


_QUOTED = r'"(?:[^"]|"")*"'


def read_text_table(path: Path) -> TextTable:
    data = read_bytes(path)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise FileRejected("empty_file", "the file is empty" + (" (it holds only a byte order mark)" if data else ""))
    text, encoding = decode(data)
    # CRLF (Windows), LF, and CR alone (Excel for Mac "CSV (Macintosh)") all end a line.
    lines = pl.Series("raw_line", text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    header, delimiter = _split_header(lines[0])
    if not any(header):
        raise FileRejected("no_header", "the first line is empty: a header line with column names is expected", line=1)
    table = (
        pl.DataFrame({"raw_line": lines})
        .with_row_index("line", offset=1)
        .slice(1)
        .filter(pl.col("raw_line").str.strip_chars() != "")
        # Fields = delimiters outside quoted values + 1; a short row is a truncated row.
        .with_columns(
            n_fields=pl.col("raw_line")
            .str.replace_all(_QUOTED, "")
            .str.count_matches(delimiter, literal=True)
            .cast(pl.Int32)
            + 1
        )
    )
    if table.height == 0:
        raise FileRejected("no_rows", "the file has a header but no data rows", line=1)
    parsed_lines = table["raw_line"].to_list()
    if _ends_inside_quote(parsed_lines[-1], delimiter):
        # The file was cut off inside a quoted value (an interrupted download or copy): the
        # last line is read with the quote closed, and counted as one field short, so that it
        # is a truncated row (file, line, the cut column) and the lines before it still load.
        parsed_lines[-1] += '"'
        table = table.with_columns(
            n_fields=pl.when(pl.int_range(pl.len()) == pl.len() - 1)
            .then(pl.col("n_fields") - 1)
            .otherwise(pl.col("n_fields"))
        )
    body = "\n".join(parsed_lines)
    try:
        fields = pl.read_csv(
            io.StringIO(body),
            has_header=False,
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
            new_columns=[f"f{i}" for i in range(len(header))],
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        raise _unparseable(table, parsed_lines, str(exc).splitlines()[0]) from None
    if fields.height != table.height:
        raise _unparseable(table, parsed_lines, None)
    fields.columns = [f"f{i}" for i in range(fields.width)]
    fields = fields.with_columns(pl.all().str.strip_chars())
    return TextTable(encoding=encoding, delimiter=delimiter, header=header, lines=table, fields=fields)


def _ends_inside_quote(line: str, delimiter: str) -> bool:
    """Whether a quoted value is opened on this line and not closed: what is left after the
    complete quoted values are taken out has a quote at the start of a field."""
    rest = re.sub(_QUOTED, "", line)
    return re.search(rf'(^|{re.escape(delimiter)})\s*"[^"]*$', rest) is not None


def _unparseable(table: pl.DataFrame, lines: list[str], detail: str | None) -> FileRejected:
    """The file cannot be split into fields: name the first line with an odd number of quotes (a
    quoted value opened and not closed on it), and say what to do."""
    numbers = table["line"].to_list()
    bad = next((n for n, line in zip(numbers, lines) if line.count('"') % 2), None)
    if bad is not None:
        return FileRejected(
            "unparseable",
            f'line {bad} has an odd number of quotes ("): a quoted value is not closed on that line, so the lines after it '
            'cannot be told apart: a quote inside a value must be written twice (""), and a value must not '
            "hold a line break; correct that line, or export the file again",
            line=bad,
        )
    return FileRejected(
        "unparseable",
        "the CSV cannot be split into fields line by line"
        + (f" ({detail})" if detail else "")
        + '; check the quotes (") and delimiters, or export the file again',
    )


def normalise_column_name(name: str) -> str:
    """'LEER- OF VERBLIJFSJAAR 1' and 'LEER_OF_VERBLIJFSJAAR_1' both become LEER_OF_VERBLIJFSJAAR_1."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper().lstrip("\ufeff")).strip("_")
