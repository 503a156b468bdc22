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


# (path, inode, size, mtime_ns) -> sha256, for this process: a run hashes every input file
# once per school year, and the national linked files are gigabytes.
_SHA_CACHE: dict[tuple, str] = {}


def sha256_of(path: Path) -> str:
    """The content's sha256; for a link that points nowhere or a file that cannot be read, a
    stand-in (the loaders refuse those files by name)."""
    from .files import broken_link, link_sha256

    if broken_link(Path(path)):
        return link_sha256(Path(path))
    try:
        return _sha256_cached(Path(path))
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


def _sha256_cached(path: Path) -> str:
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        if len(_SHA_CACHE) > 100_000:
            _SHA_CACHE.clear()
        _SHA_CACHE[key] = _sha256_uncached(path)
    return _SHA_CACHE[key]


def _sha256_uncached(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    body = "\n".join(table["raw_line"].to_list())
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
        raise FileRejected("unparseable", f"the CSV cannot be parsed: {str(exc).splitlines()[0]}") from None
    if fields.height != table.height:
        raise FileRejected(
            "unparseable",
            'the CSV cannot be parsed line by line (is there an unbalanced quote " or a line break inside a value?)',
        )
    fields.columns = [f"f{i}" for i in range(fields.width)]
    fields = fields.with_columns(pl.all().str.strip_chars())
    return TextTable(encoding=encoding, delimiter=delimiter, header=header, lines=table, fields=fields)


def normalise_column_name(name: str) -> str:
    """'LEER- OF VERBLIJFSJAAR 1' and 'LEER_OF_VERBLIJFSJAAR_1' both become LEER_OF_VERBLIJFSJAAR_1."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper().lstrip("\ufeff")).strip("_")
