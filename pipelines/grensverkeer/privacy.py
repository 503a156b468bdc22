"""Pseudonymise at the source: the tool suppliers run before they deliver linked records.

    export GRENSVERKEER_PSEUDONYM_KEY=...   # at least 16 characters, kept by the supplier
    grensverkeer pseudonymise IN OUT --column student_id

which is `pseudonymise_file`: lower-case hex HMAC-SHA256(key, value), computed in DuckDB
SQL. See docs/privacy.md.

BSN detection lives in `ingest/bsn.py` and reading a linked file in `ingest/tables.py`;
their names are re-exported here for callers of the old place.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import duckdb
import polars as pl

from .ingest.bsn import (  # noqa: F401 (re-exported)
    _WEIGHTS,
    KEY_ENV,
    ROW_COLUMN,
    BsnFinding,
    BsnFound,
    bsn_refusal_message,
    elfproef,
    find_bsn_columns,
    is_bsn_named,
    is_excluded_column,
    is_identifier_column,
    normalise_name,
)
from .ingest.tables import (  # noqa: F401 (re-exported)
    CSV_EXTENSIONS,
    EXCEL_EXTENSIONS,
    PARQUET_EXTENSIONS,
    read_table,
    streamed_encoding,
    streamed_first_line,
)
from .ingest.tables import decode_csv as _decode_csv
from .ingest.tables import file_kind as _kind
from .ingest.tables import first_line as _first_line
from .ingest.tables import read_csv_text as _read_csv_text
from .ingest.tables import safe_name as _safe_name
from .ingest.tables import sniff_delimiter as _sniff_delimiter

MIN_KEY_LENGTH = 16


# --------------------------------------------------------------------------- key


class MissingKey(Exception):
    """No (usable) pseudonymisation key in the environment."""


def key_from_environment() -> bytes:
    """The key in GRENSVERKEER_PSEUDONYM_KEY, as UTF-8 bytes (at least 16 characters)."""
    value = os.environ.get(KEY_ENV, "")
    how = (
        f"Set the environment variable {KEY_ENV} to a secret of at least {MIN_KEY_LENGTH} characters, "
        "for example one made with\n"
        '  python -c "import secrets; print(secrets.token_hex(32))"\n'
        f"then: export {KEY_ENV}=<that secret>   (Windows: set {KEY_ENV}=<that secret>).\n"
        "Keep the key with your own organisation, use the same key every year so pseudonyms link "
        "across years and files, and never commit or send it."
    )
    if not value.strip():
        raise MissingKey(f"no pseudonymisation key: {KEY_ENV} is not set. {how}")
    if len(value.strip()) < MIN_KEY_LENGTH:
        raise MissingKey(
            f"the pseudonymisation key in {KEY_ENV} is too short "
            f"({len(value.strip())} characters, at least {MIN_KEY_LENGTH} needed). {how}"
        )
    return value.encode("utf-8")


# --------------------------------------------------------------------------- pseudonymise

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104's B)


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(K0 ⊕ ipad, K0 ⊕ opad): the key hashed if longer than a block, zero-padded to 64 bytes."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(key: bytes) -> duckdb.DuckDBPyConnection:
    """A connection with the macros gv_elfproef(text) and gv_hmac(text) → hex HMAC-SHA256.

    Spilling to disk is switched off, so no raw value is ever written to a temporary file.
    """
    con = duckdb.connect()
    con.execute("SET temp_directory = ''")
    ipad, opad = _hmac_pads(key)
    con.execute("SET VARIABLE gv_ipad = ?", [ipad])
    con.execute("SET VARIABLE gv_opad = ?", [opad])
    weighted = " + ".join(f"{w} * TRY_CAST(substr(s, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(_WEIGHTS))
    con.execute(f"""
        CREATE TEMP MACRO gv_elfproef(s) AS
            regexp_full_match(s, '[0-9]{{9}}') AND s <> '000000000'
            AND (CASE WHEN regexp_full_match(s, '[0-9]{{9}}') THEN ({weighted}) % 11 = 0 ELSE false END)
    """)
    con.execute("""
        CREATE TEMP MACRO gv_hmac(m) AS
            lower(sha256(getvariable('gv_opad') || unhex(sha256(getvariable('gv_ipad') || encode(m)))))
    """)
    # text normalisation before hashing: trim whitespace; a BSN written with spaces, dots or
    # dashes (1234.56.782) loses them, and an 8-digit number that is a BSN without its
    # leading zero gets it back, so CSV text, Excel numbers and every notation link.
    con.execute("""
        CREATE TEMP MACRO gv_bsn_digits(d) AS
            CASE WHEN length(d) = 9 AND gv_elfproef(d) THEN d
                 WHEN length(d) = 8 AND gv_elfproef('0' || d) THEN '0' || d END
    """)
    con.execute("""
        CREATE TEMP MACRO gv_norm(t) AS
            CASE WHEN regexp_full_match(t, '[0-9]([ .\\-]?[0-9])*')
                 THEN coalesce(gv_bsn_digits(regexp_replace(t, '[ .\\-]', '', 'g')), t)
                 ELSE t END
    """)
    con.execute("""
        CREATE TEMP MACRO gv_pseudonym(t) AS
            CASE WHEN t IS NULL THEN NULL WHEN t = '' THEN '' ELSE gv_hmac(gv_norm(t)) END
    """)
    return con


def _text_sql(name: str, duck_type: str) -> str:
    """SQL turning a source column into the text that is hashed."""
    c = _ident(name)
    t = duck_type.upper()
    ws = "' ' || chr(9) || chr(10) || chr(13) || chr(160)"
    if t == "VARCHAR":
        return f"trim({c}, {ws})"
    if t.startswith(("FLOAT", "DOUBLE", "REAL", "DECIMAL")):
        return (
            f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) AND {c} = trunc({c}) AND abs({c}) < 1e30 "
            f"THEN CAST(CAST({c} AS HUGEINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END"
        )
    return f"trim(CAST({c} AS VARCHAR), {ws})"


def pseudonymise_file(src: Path, dst: Path, columns: list[str], key: bytes) -> int:
    """Write `src` to `dst` with every column in `columns` replaced by its pseudonym; return
    the number of rows written.

    The pseudonym is lower-case hex HMAC-SHA256(key, value), computed in DuckDB SQL from
    sha256 over BLOBs as RFC 2104 says. The value is the cell as UTF-8 text with surrounding
    whitespace removed; numbers are written without a decimal part; an 8-digit number that
    is a BSN missing its leading zero (as Excel stores it) is given the zero back first, so
    the same BSN gets the same pseudonym from a CSV and from a spreadsheet. NULL stays NULL,
    an empty value stays empty. Other columns are copied unchanged.

    The output format follows `dst`'s extension (.csv, .parquet or .xlsx). CSV (UTF-8, or
    Windows-1252 without the characters € ‘ ’ “ ” … in it) and Parquet are streamed by
    DuckDB `COPY (SELECT …) TO …`, so memory stays flat for big files. XLSX input, CSV in
    Windows-1252 with those characters, and XLSX output are NOT streamed: the table is held
    in memory (spreadsheets are at most about a million rows). A CSV is written as UTF-8 with
    the input's delimiter. The raw values are never written anywhere: not to `dst`, not to
    temporary files (DuckDB spilling is off), not into error messages. The output goes to a
    temporary file next to `dst` (holding only pseudonyms) that is renamed when complete.

    Raises ValueError for an unsupported or unreadable file, dst equal to src, or a named
    column that is missing (naming the columns present).
    """
    src, dst = Path(src), Path(dst)
    if not columns:
        raise ValueError("name at least one column to pseudonymise (--column C)")
    if not key:
        raise MissingKey("an empty key cannot be used")
    src_kind, dst_kind = _kind(src), _kind(dst)
    if not src.is_file():
        raise ValueError(f"{src.name}: file not found ({src})")
    if dst.resolve() == src.resolve():
        raise ValueError(f"{dst.name}: the output must be another file than the input")
    con = _connect(key)
    try:
        delim = ","
        if src_kind == "csv":
            if src.stat().st_size == 0:
                raise ValueError(f"{src.name}: the file is empty")
            encoding = streamed_encoding(src)
            delim = _sniff_delimiter(streamed_first_line(src, encoding))
            if encoding == "cp1252":
                text, _ = _decode_csv(src)
                frame, delim = _read_csv_text(src, text)
                con.register("gv_src", frame.to_arrow())
                source = "gv_src"
            else:
                source = (
                    f"read_csv({_sql_literal(str(src))}, header = true, all_varchar = true, "
                    f"delim = {_sql_literal(delim)}, quote = '\"', escape = '\"', skip = 0, "
                    f"encoding = {_sql_literal(encoding)})"
                )
        elif src_kind == "parquet":
            source = f"read_parquet({_sql_literal(str(src))})"
        else:
            frame = _read_excel_for_pseudonymise(src, columns)
            con.register("gv_src", frame.to_arrow())
            source = "gv_src"
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as exc:
            raise ValueError(f"{src.name}: cannot read the file as {src_kind.upper()}: {_first_line(exc)}") from None
        present = [r[0] for r in described]
        types = {r[0]: r[1] for r in described}
        missing = [c for c in columns if c not in types]
        if missing:
            raise ValueError(
                f"{src.name}: no column {', '.join(repr(c) for c in missing)}; "
                f"the columns are: {', '.join(_safe_name(c) for c in present)}"
            )
        wanted = set(columns)
        select = ", ".join(
            f"gv_pseudonym({_text_sql(c, types[c])}) AS {_ident(c)}" if c in wanted else _ident(c) for c in present
        )
        query = f"SELECT {select} FROM {source}"
        part = dst.with_name(f".{dst.stem}.partial{dst.suffix}")
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            if dst_kind == "xlsx":
                out = con.sql(query).pl()
                out.write_excel(part, worksheet="data")
                rows = out.height
            else:
                options = (
                    "FORMAT parquet"
                    if dst_kind == "parquet"
                    else f"FORMAT csv, HEADER true, DELIMITER {_sql_literal(delim)}"
                )
                rows = con.execute(f"COPY ({query}) TO {_sql_literal(str(part))} ({options})").fetchall()[0][0]
            os.replace(part, dst)
        except duckdb.Error as exc:
            raise ValueError(f"{src.name}: cannot pseudonymise the file: {_first_line(exc)}") from None
        finally:
            if part.exists():
                part.unlink()
        return int(rows)
    finally:
        con.close()


def _read_excel_for_pseudonymise(src: Path, columns: list[str]) -> pl.DataFrame:
    """First sheet; the named columns as text, the others with their types (all rows inspected)."""
    try:
        header = pl.read_excel(
            src, engine="calamine", sheet_id=1, infer_schema_length=0, read_options={"n_rows": 0}
        ).columns
        overrides = {c: pl.String for c in columns if c in header}
        try:
            return pl.read_excel(
                src, engine="calamine", sheet_id=1, infer_schema_length=None, schema_overrides=overrides
            )
        except Exception:
            return pl.read_excel(src, engine="calamine", sheet_id=1, infer_schema_length=0)
    except Exception as exc:
        raise ValueError(f"{src.name}: cannot read the file as XLSX: {_first_line(exc)}") from None


# --------------------------------------------------------------------------- CLI


def _pseudonymise_command(args: argparse.Namespace) -> int:
    src, dst = Path(args.input), Path(args.output)
    try:
        key = key_from_environment()
        rows = pseudonymise_file(src, dst, args.column, key)
    except MissingKey as exc:
        print(f"grensverkeer: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"grensverkeer: {_first_line(exc) if isinstance(exc, OSError) else exc}", file=sys.stderr)
        return 2
    cols = ", ".join(args.column)
    print(f"grensverkeer: pseudonymised {cols} in {rows:,} rows: {src} -> {dst}")
    return 0


def add_pseudonymise_parser(subparsers) -> argparse.ArgumentParser:
    """Register `grensverkeer pseudonymise IN OUT --column C [--column D]`."""
    p = subparsers.add_parser(
        "pseudonymise",
        help="replace identifier columns by keyed pseudonyms (HMAC-SHA256), for suppliers",
        description=(
            "Replace each --column by a keyed pseudonym: lower-case hex HMAC-SHA256 with the key "
            f"in the environment variable {KEY_ENV} (at least {MIN_KEY_LENGTH} characters). "
            "CSV, Parquet and XLSX; the output format follows OUT's extension."
        ),
    )
    p.add_argument("input", metavar="IN", help="the file to pseudonymise (.csv, .parquet, .xlsx)")
    p.add_argument("output", metavar="OUT", help="the file to write (.csv, .parquet, .xlsx)")
    p.add_argument("--column", action="append", required=True, metavar="C", help="column to replace (repeatable)")
    p.set_defaults(func=_pseudonymise_command)
    return p
