"""No BSN, ever: detect citizen service numbers in linked records, and pseudonymise at the source.

Linked records (enrolments, support episodes) arrive as CSV, Parquet or XLSX. Before
anything of such a file is written, `find_bsn_columns` looks for identifier columns whose
values are Dutch citizen service numbers (BSN): 9 digits that pass the elfproef. A file
with one is refused whole (`BsnFound`, message from `bsn_refusal_message`).

Suppliers replace the identifier by a keyed pseudonym before they deliver:

    export GRENSVERKEER_PSEUDONYM_KEY=...   # at least 16 characters, kept by the supplier
    grensverkeer pseudonymise IN OUT --column student_id

which is `pseudonymise_file`: lower-case hex HMAC-SHA256(key, value), computed in DuckDB
SQL. See docs/privacy.md.

Detection (`find_bsn_columns`), per column:

* **BSN-named columns** (`BSN_NAME`: the name, without separators, contains `bsn`,
  `burgerservicenummer`, `sofinummer` or `sofinr`, or has the token `sofi`) are flagged
  when ANY value passes the elfproef.
* **Identifier columns** (`is_identifier_column`: the name matches `IDENTIFIER_NAME` and
  not `NON_IDENTIFIER_NAME`) are flagged when at least one value passes and the passing
  share of the non-empty values is at least `IDENTIFIER_MIN_SHARE` (0.5). A column of
  random 9-digit numbers passes the elfproef about 1 time in 11 (the weighted digit sum
  is spread evenly over the 11 residues), a column of BSNs always does, so 0.5 separates
  them with a wide margin. They are also flagged when at least `PARTIAL_MIN_PASSING` (3)
  values pass and those are at least half of the values that are 8–9 digit numbers:
  a column of pseudonyms in which a few raw BSNs slipped through.
* **Other columns** whose name is not excluded are flagged only when nearly all of them
  are BSNs: at least `OTHER_MIN_VALUES` (20) non-empty values of which at least
  `OTHER_MIN_SHARE` (0.9) pass — a safety net for a BSN column under a neutral name
  ("kolom1"). Random 9-digit numbers reach that with a probability below 1e-15.
* Columns whose name marks them as something else (`NON_IDENTIFIER_NAME`: phone numbers,
  postcodes, amounts, bank accounts, dates …) are never flagged, even when they hold
  9-digit numbers (a phone number stored as a number loses its leading 0 and has 9 digits).

Everything is set-based: Polars expressions for detection, DuckDB SQL for the hashing.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

KEY_ENV = "GRENSVERKEER_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 16

IDENTIFIER_MIN_SHARE = 0.5
PARTIAL_MIN_PASSING = 3
PARTIAL_MIN_SHARE = 0.5
OTHER_MIN_VALUES = 20
OTHER_MIN_SHARE = 0.9

ROW_COLUMN = "_row"

CSV_EXTENSIONS = {".csv", ".txt"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm"}

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)

# --------------------------------------------------------------------------- column names

# Matched (re.search) against the normalised name: lower case, camelCase split, every run
# of non-alphanumerics turned into '_'. Long words match anywhere in the name
# ("leerlingnummer", "client_pseudoniem"); short ones only as a whole token or, for
# id/nr, as the end of a token ("klantid", "dossiernr", "kind_id", "id").
IDENTIFIER_WORDS = (
    "ident", "bsn", "burgerservicenummer", "sofi", "pseudonym", "pseudoniem",
    "student", "leerling", "pupil", "client", "klant", "persoon", "person",
    "nummer", "number", "dossier", "kenmerk", "sleutel",
)
IDENTIFIER_TOKENS = ("[a-z0-9]*id", "[a-z0-9]*nr", "no", "num", "key")
IDENTIFIER_NAME = re.compile(
    "|".join(IDENTIFIER_WORDS) + r"|(?:^|_)(?:" + "|".join(IDENTIFIER_TOKENS) + r")(?:_|$)"
)

# Names that say a column is something else; never checked unless BSN-named.
NON_IDENTIFIER_WORDS = (
    "telefoon", "phone", "mobiel", "mobile", "gsm", "postcode", "postal", "iban", "rekening",
    "account", "bank", "bedrag", "amount", "price", "prijs", "kosten", "cost", "kvk",
    "datum", "jaar", "year", "aantal", "count", "huisnummer", "house_number",
)
NON_IDENTIFIER_TOKENS = ("tel", "fax", "zip", "pc4", "pc6", "btw", "vat", "eur", "euro", "date")
NON_IDENTIFIER_NAME = re.compile(
    "|".join(NON_IDENTIFIER_WORDS) + r"|(?:^|_)(?:" + "|".join(NON_IDENTIFIER_TOKENS) + r")(?:_|$)"
)

# Matched against the normalised name; also tried with the underscores removed.
BSN_NAME = re.compile(r"bsn|burgerservicenummer|sofinummer|sofinr|(?:^|_)sofi(?:_|$)")


def normalise_name(name: str) -> str:
    """`studentId` → `student_id`, `BSN-nummer` → `bsn_nummer`, `Leerling nr.` → `leerling_nr`."""
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", split.lower()).strip("_")


def is_bsn_named(name: str) -> bool:
    norm = normalise_name(name)
    return bool(BSN_NAME.search(norm) or BSN_NAME.search(norm.replace("_", "")))


def is_excluded_column(name: str) -> bool:
    """A name that says the column is not an identifier (phone, postcode, amount, date …)."""
    return not is_bsn_named(name) and bool(NON_IDENTIFIER_NAME.search(normalise_name(name)))


def is_identifier_column(name: str) -> bool:
    """Does the column's name say it identifies a person or record? (see IDENTIFIER_NAME)"""
    if is_bsn_named(name):
        return True
    norm = normalise_name(name)
    return bool(IDENTIFIER_NAME.search(norm)) and not NON_IDENTIFIER_NAME.search(norm)


# --------------------------------------------------------------------------- elfproef


def _digits_text(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.String).str.strip_chars()


def _is_bsn_shaped(text: pl.Expr) -> pl.Expr:
    """8 or 9 digits and nothing else (text already stripped); null is False."""
    return text.str.contains(r"^[0-9]{8,9}$").fill_null(False)


def _elfproef_of_digits(text: pl.Expr) -> pl.Expr:
    """The elfproef of text that is already known to be 8 or 9 digits."""
    padded = text.str.pad_start(9, "0")
    total = pl.sum_horizontal(
        [padded.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(_WEIGHTS)]
    )
    return ((total % 11 == 0) & (padded != "000000000")).fill_null(False)


def elfproef(col: pl.Expr) -> pl.Expr:
    """True where the value is a BSN: 9 digits (or 8, a BSN stored as a number that lost its
    leading zero) with 9*d1 + 8*d2 + … + 2*d8 − d9 ≡ 0 (mod 11), and not 000000000.

    Surrounding whitespace is ignored; anything else (letters, signs, 10 digits, null) is False.
    """
    text = _digits_text(col)
    return _is_bsn_shaped(text) & _elfproef_of_digits(text)


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr | None:
    """The column as text for the elfproef; integral floats without '.0'; None = not checkable."""
    col = pl.col(name)
    if dtype == pl.String:
        return col
    if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype.is_integer():
        return col.cast(pl.String)
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        f = col.cast(pl.Float64)
        return pl.when(f.is_finite() & (f == f.round(0)) & (f.abs() < 1e15)).then(
            f.cast(pl.Int64, strict=False).cast(pl.String))
    return None


# --------------------------------------------------------------------------- detection


@dataclass
class BsnFinding:
    column: str
    values_checked: int  # non-empty values in the column
    values_passing: int  # values that are 8–9 digits and pass the elfproef
    first_row: int | None  # 1-based data row of the first passing value (header not counted)
    values_numeric: int = 0  # values that are 8–9 digit numbers (passing or not)
    rule: str = ""  # which rule flagged the column, in plain English


def find_bsn_columns(frame: pl.DataFrame | pl.LazyFrame) -> list[BsnFinding]:
    """Columns that hold BSNs, by the rules in the module docstring.

    Row numbers come from a `_row` column when there is one (as `read_table` adds), else
    from the position in the frame (1-based). String, integer and float columns are checked.
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    row = pl.col(ROW_COLUMN) if ROW_COLUMN in schema else pl.int_range(1, pl.len() + 1)
    candidates: list[tuple[int, str]] = []
    counts: list[pl.Expr] = []
    shaped: list[pl.LazyFrame] = []
    for i, (name, dtype) in enumerate(schema.items()):
        if name == ROW_COLUMN or is_excluded_column(name):
            continue
        text = _as_text(name, dtype)
        if text is None:
            continue
        stripped = text.str.strip_chars()
        candidates.append((i, name))
        counts.append((stripped.is_not_null() & (stripped != "")).sum().alias(f"n{i}"))
        # The elfproef's digit arithmetic runs only on the 8-9 digit values (their number is
        # `values_numeric`): a pseudonymised file has (nearly) none, and checking every value
        # took most of a national load.
        shaped.append(lf.select(pl.lit(i).alias("column"), row.cast(pl.Int64).alias("row"), stripped.alias("value"))
                      .filter(_is_bsn_shaped(pl.col("value"))))
    if not candidates:
        return []
    stats = lf.select(counts).collect().row(0, named=True)
    passing = (pl.concat(shaped).with_columns(passes=_elfproef_of_digits(pl.col("value")))
               .group_by("column").agg(d=pl.len(), p=pl.col("passes").sum(),
                                       r=pl.col("row").filter(pl.col("passes")).min())
               .collect())
    found = {c: (d, p, r) for c, d, p, r in passing.iter_rows()}  # one row per column with such values
    findings = []
    for i, name in candidates:
        n = stats[f"n{i}"]
        d, p, r = found.get(i, (0, 0, None))
        rule = _flag_rule(name, n, p, d)
        if rule:
            findings.append(BsnFinding(name, int(n), int(p), None if r is None else int(r), int(d), rule))
    return findings


def _flag_rule(name: str, checked: int, passing: int, numeric: int) -> str:
    if passing < 1:
        return ""
    if is_bsn_named(name):
        return "the column is named as a BSN column and holds values that pass the elfproef"
    if is_identifier_column(name):
        if passing / checked >= IDENTIFIER_MIN_SHARE:
            return (f"at least {IDENTIFIER_MIN_SHARE:.0%} of the values of this identifier column "
                    "are 9-digit numbers that pass the elfproef")
        if passing >= PARTIAL_MIN_PASSING and passing / numeric >= PARTIAL_MIN_SHARE:
            return ("most of the 8–9 digit numbers in this identifier column pass the elfproef "
                    "(random numbers pass 1 time in 11)")
        return ""
    if checked >= OTHER_MIN_VALUES and passing / checked >= OTHER_MIN_SHARE:
        return f"at least {OTHER_MIN_SHARE:.0%} of the values are 9-digit numbers that pass the elfproef"
    return ""


def bsn_refusal_message(file_name: str, findings: list[BsnFinding]) -> str:
    """Plain-English refusal naming the file, the columns, the first row, and the fix.

    Never quotes a value.
    """
    lines = [f"File {file_name} is refused: it contains citizen service numbers (BSN). "
             "Nothing from this file has been loaded."]
    for f in findings:
        where = f" (first at data row {f.first_row})" if f.first_row is not None else ""
        lines.append(f"  - column '{f.column}': {f.values_passing} of {f.values_checked} non-empty values "
                     f"are 9-digit numbers that pass the elfproef{where}; {f.rule}.")
    cols = " ".join(f"--column {_shell_quote(f.column)}" for f in findings)
    src = _shell_quote(file_name)
    dst = _shell_quote(_pseudonymised_name(file_name))
    lines += [
        "Linked records must never contain a BSN. Replace the column by a pseudonym at the source,",
        "with a secret key of at least 16 characters that you keep yourself (the same key every year):",
        f"  export {KEY_ENV}=<your secret key>      (Windows: set {KEY_ENV}=<your secret key>)",
        f"  grensverkeer pseudonymise {src} {dst} {cols}",
        f"and deliver {_pseudonymised_name(file_name)} instead. See docs/privacy.md.",
    ]
    return "\n".join(lines)


def _pseudonymised_name(file_name: str) -> str:
    p = Path(file_name)
    return f"{p.stem}_pseudoniem{p.suffix}"


def _shell_quote(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_./:\\-]+", s) else '"' + s.replace('"', '\\"') + '"'


class BsnFound(Exception):
    """A file holds BSNs and is refused whole."""

    def __init__(self, file_name: str, findings: list[BsnFinding], message: str | None = None):
        self.file_name = file_name
        self.findings = findings
        self.message = message or bsn_refusal_message(file_name, findings)
        super().__init__(self.message)


# --------------------------------------------------------------------------- reading


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in CSV_EXTENSIONS:
        return "csv"
    if ext in PARQUET_EXTENSIONS:
        return "parquet"
    if ext in EXCEL_EXTENSIONS:
        return "xlsx"
    raise ValueError(f"{path.name}: unsupported file type '{path.suffix}' "
                     "(use CSV (.csv), Parquet (.parquet) or Excel (.xlsx))")


def _decode_csv(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if not data.strip():
        raise ValueError(f"{path.name}: the file is empty")
    if b"\x00" in data[:65536]:
        raise ValueError(f"{path.name}: this is not a CSV text file (it contains NUL bytes; is it an Excel or zip file?)")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for enc in ("utf-8", "cp1252"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path.name}: cannot decode the file as UTF-8 or Windows-1252 (cp1252) text")


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv_text(path: Path, text: str) -> tuple[pl.DataFrame, str]:
    delim = _sniff_delimiter(text.split("\n", 1)[0])
    try:
        frame = pl.read_csv(text.encode("utf-8"), separator=delim, infer_schema=False,
                            raise_if_empty=True)
    except Exception as exc:  # polars raises several kinds; never echo the data
        raise ValueError(f"{path.name}: cannot read the file as CSV with delimiter '{delim}': "
                         f"{_first_line(exc)}") from None
    return frame, delim


def read_table(path: Path) -> pl.DataFrame:
    """Read a CSV, Parquet or XLSX file into Polars, with a first column `_row`: the 1-based
    data row (a CSV line or Excel row number is `_row + 1`, the header being line/row 1).

    CSV: UTF-8 (with or without BOM) or cp1252, `,` `;` or tab as sniffed from the header
    line, every column as text. XLSX: the first sheet, every column as text. Parquet: as
    stored. Raises ValueError naming the file when it cannot be read.
    """
    path = Path(path)
    kind = _kind(path)
    if not path.is_file():
        raise ValueError(f"{path.name}: file not found ({path})")
    try:
        if kind == "csv":
            text, _ = _decode_csv(path)
            frame, _ = _read_csv_text(path, text)
        elif kind == "parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_excel(path, engine="calamine", sheet_id=1, infer_schema_length=0)
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"{path.name}: cannot read the file as {kind.upper()}: {_first_line(exc)}") from None
    return frame.with_row_index(ROW_COLUMN, offset=1).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))


def _safe_name(name: str) -> str:
    """A column name for a message; a name made of digits (a headerless file's first row) is not echoed."""
    return "<a number>" if re.fullmatch(r"\s*[0-9][0-9 .]*", name) else repr(name)


def _first_line(exc: BaseException) -> str:
    """The first line of an error message: DuckDB and Polars append the offending data below it."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


# --------------------------------------------------------------------------- key


class MissingKey(Exception):
    """No (usable) pseudonymisation key in the environment."""


def key_from_environment() -> bytes:
    """The key in GRENSVERKEER_PSEUDONYM_KEY, as UTF-8 bytes (at least 16 characters)."""
    value = os.environ.get(KEY_ENV, "")
    how = (f"Set the environment variable {KEY_ENV} to a secret of at least {MIN_KEY_LENGTH} characters, "
           "for example one made with\n"
           '  python -c "import secrets; print(secrets.token_hex(32))"\n'
           f"then: export {KEY_ENV}=<that secret>   (Windows: set {KEY_ENV}=<that secret>).\n"
           "Keep the key with your own organisation, use the same key every year so pseudonyms link "
           "across years and files, and never commit or send it.")
    if not value.strip():
        raise MissingKey(f"no pseudonymisation key: {KEY_ENV} is not set. {how}")
    if len(value.strip()) < MIN_KEY_LENGTH:
        raise MissingKey(f"the pseudonymisation key in {KEY_ENV} is too short "
                         f"({len(value.strip())} characters, at least {MIN_KEY_LENGTH} needed). {how}")
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
    # text normalisation before hashing: trim whitespace; an 8-digit number that is a BSN
    # without its leading zero gets it back, so CSV text and Excel numbers link.
    con.execute("""
        CREATE TEMP MACRO gv_norm(t) AS
            CASE WHEN regexp_full_match(t, '[0-9]{8}') AND gv_elfproef('0' || t) THEN '0' || t ELSE t END
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
        return (f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) AND {c} = trunc({c}) AND abs({c}) < 1e30 "
                f"THEN CAST(CAST({c} AS HUGEINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END")
    return f"trim(CAST({c} AS VARCHAR), {ws})"


def _csv_encoding(path: Path) -> str:
    """'utf-8' (BOM or not), 'latin-1' (cp1252 without bytes 0x80–0x9F: the same text), or
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


def _first_line_of_file(path: Path, encoding: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    return head.split(b"\n", 1)[0].decode("utf-8" if encoding == "utf-8" else "cp1252", errors="replace")


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
            encoding = _csv_encoding(src)
            delim = _sniff_delimiter(_first_line_of_file(src, encoding))
            if encoding == "cp1252":
                text, _ = _decode_csv(src)
                frame, delim = _read_csv_text(src, text)
                con.register("gv_src", frame.to_arrow())
                source = "gv_src"
            else:
                source = (f"read_csv({_sql_literal(str(src))}, header = true, all_varchar = true, "
                          f"delim = {_sql_literal(delim)}, quote = '\"', escape = '\"', skip = 0, "
                          f"encoding = {_sql_literal(encoding)})")
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
            raise ValueError(f"{src.name}: no column {', '.join(repr(c) for c in missing)}; "
                             f"the columns are: {', '.join(_safe_name(c) for c in present)}")
        wanted = set(columns)
        select = ", ".join(
            f"gv_pseudonym({_text_sql(c, types[c])}) AS {_ident(c)}" if c in wanted else _ident(c)
            for c in present
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
                options = ("FORMAT parquet" if dst_kind == "parquet"
                           else f"FORMAT csv, HEADER true, DELIMITER {_sql_literal(delim)}")
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
        header = pl.read_excel(src, engine="calamine", sheet_id=1, infer_schema_length=0,
                               read_options={"n_rows": 0}).columns
        overrides = {c: pl.String for c in columns if c in header}
        try:
            return pl.read_excel(src, engine="calamine", sheet_id=1, infer_schema_length=None,
                                 schema_overrides=overrides)
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
        description=("Replace each --column by a keyed pseudonym: lower-case hex HMAC-SHA256 with the key "
                     f"in the environment variable {KEY_ENV} (at least {MIN_KEY_LENGTH} characters). "
                     "CSV, Parquet and XLSX; the output format follows OUT's extension."),
    )
    p.add_argument("input", metavar="IN", help="the file to pseudonymise (.csv, .parquet, .xlsx)")
    p.add_argument("output", metavar="OUT", help="the file to write (.csv, .parquet, .xlsx)")
    p.add_argument("--column", action="append", required=True, metavar="C",
                   help="column to replace (repeatable)")
    p.set_defaults(func=_pseudonymise_command)
    return p
