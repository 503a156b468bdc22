"""Read a linked-records file (CSV, Parquet or XLSX) into one Polars table of text.

CSV text is decoded by `text.decode`, the one decoder every input file goes through (UTF-8
with or without BOM, else Windows-1252; NUL bytes refused). Line endings CRLF, LF and CR
alone (Excel for Mac "CSV (Macintosh)") are all read.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import polars as pl

from .files import broken_link
from .text import FileRejected, decode, read_bytes

ROW_COLUMN = "_row"

CSV_EXTENSIONS = {".csv", ".txt"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm"}


def file_kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in CSV_EXTENSIONS:
        return "csv"
    if ext in PARQUET_EXTENSIONS:
        return "parquet"
    if ext in EXCEL_EXTENSIONS:
        return "xlsx"
    raise ValueError(
        f"{path.name}: unsupported file type '{path.suffix}' (use CSV (.csv), Parquet (.parquet) or Excel (.xlsx))"
    )


def decode_csv(path: Path) -> tuple[str, str]:
    """(text with every line ending turned into '\\n', encoding); ValueError naming the file."""
    try:
        data = read_bytes(path)
        if not data.strip():
            raise ValueError(f"{path.name}: the file is empty")
        text, encoding = decode(data)
    except FileRejected as err:
        raise ValueError(f"{path.name}: {err.message}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_text(path: Path, text: str) -> tuple[pl.DataFrame, str]:
    delim = sniff_delimiter(text.split("\n", 1)[0])
    try:
        frame = pl.read_csv(text.encode("utf-8"), separator=delim, infer_schema=False, raise_if_empty=True)
    except Exception as exc:  # polars raises several kinds; never echo the data
        raise ValueError(
            f"{path.name}: cannot read the file as CSV with delimiter '{delim}': {first_line(exc)}"
        ) from None
    return frame, delim


def read_table(path: Path) -> pl.DataFrame:
    """Read a CSV, Parquet or XLSX file into Polars, with a first column `_row`: the 1-based
    data row (a CSV line or Excel row number is `_row + 1`, the header being line/row 1).

    CSV: UTF-8 (with or without BOM) or cp1252, `,` `;` or tab as sniffed from the header
    line, every column as text. XLSX: the first sheet, every column as text. Parquet: as
    stored. Raises ValueError naming the file when it cannot be read.
    """
    path = Path(path)
    kind = file_kind(path)
    if not path.is_file():
        raise ValueError(broken_link(path) or f"{path.name}: file not found ({path})")
    try:
        if kind == "csv":
            text, _ = decode_csv(path)
            frame, _ = read_csv_text(path, text)
        elif kind == "parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_excel(path, engine="calamine", sheet_id=1, infer_schema_length=0)
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"{path.name}: cannot read the file as {kind.upper()}: {first_line(exc)}") from None
    return frame.with_row_index(ROW_COLUMN, offset=1).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))


def safe_name(name: str) -> str:
    """A column name for a message; a name made of digits (a headerless file's first row) is not echoed."""
    return "<a number>" if re.fullmatch(r"\s*[0-9][0-9 .]*", name) else repr(name)


def first_line(exc: BaseException) -> str:
    """The first line of an error message: DuckDB and Polars append the offending data below it."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def streamed_encoding(path: Path) -> str:
    """For files too large to decode whole (the pseudonymise command streams them): 'utf-8' (BOM or not), 'latin-1' (cp1252 without bytes 0x80–0x9F: the same text), or
    'cp1252' (needs Python to decode). Scans the file in 1 MB blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    c1 = False
    c1_bytes = bytes(range(0x80, 0xA0))
    keep_c1 = bytes(b for b in range(256) if b not in c1_bytes)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            if not c1 and block.translate(None, keep_c1):
                c1 = True
            if not utf8 and c1:
                break
    if utf8:
        try:
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    return "cp1252" if c1 else "latin-1"


def streamed_first_line(path: Path, encoding: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    return head.split(b"\n", 1)[0].decode("utf-8" if encoding == "utf-8" else "cp1252", errors="replace")
