"""No BSN, ever: find citizen service numbers (BSN) in a table before anything of it is kept.

`find_bsn_columns(frame)` returns one `BsnFinding` per column that holds BSNs; a file with
one is refused whole (`bsn_refusal_message`). The rules (docs/privacy.md):

**What is a candidate.** A value is normalised first: surrounding whitespace goes, and a
value made only of digits and the separators space, dot and dash loses the separators
(`1234.56.782`, `123 456 782`, `123-456-782` all become `123456782`). It is a candidate when
it is then 9 digits, or 8 (a BSN stored as a number that lost its leading zero). In text
("... (bsn 123456782)"), every run of digits that stands alone (not glued to letters or
other digits) and holds exactly 9 digits, with or without those separators, is a candidate.
A candidate is a BSN when it passes the elfproef.

**When a column is flagged**, by what its name says it is:

* **BSN-named columns** (`bsn`, `burgerservicenummer`, `sofinummer`, `sofinr`, `sofi`):
  when ANY value passes.
* **Identifier columns** (`student_id`, `leerlingnummer`, `klantnr`, ...): when at least
  `IDENTIFIER_MIN_SHARE` (0.5) of the non-empty values pass, or when at least
  `PARTIAL_MIN_PASSING` (3) values pass and they are at least `PARTIAL_MIN_SHARE` (0.5) of
  the candidates (pseudonyms with a few raw BSNs in between).
* **Other columns** (`kolom1`, a number under a neutral name): only by share, since random
  9-digit numbers pass the elfproef about 1 time in 11: at least `OTHER_MIN_VALUES` (20)
  non-empty values of which at least `OTHER_MIN_SHARE` (0.9) pass.
* **Text** in any column that is not excluded: when a value with a passing run also names
  the number (`bsn`, `burgerservicenummer`, `sofi`: one such value is enough), or when at
  least `PARTIAL_MIN_PASSING` values hold a passing run and they are at least half of the
  values that hold a 9-digit run (random runs pass 1 in 11).
* **Excluded columns** (phone numbers, postcodes, amounts, dates, ...): never, unless the
  name is also BSN-named.

Set-based: Polars expressions over the columns; only the first passing value of a flagged
column is taken into Python, to show it masked (`mask`: every digit becomes `x`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..settings import ENV_PSEUDONYM_KEY as KEY_ENV

IDENTIFIER_MIN_SHARE = 0.5
PARTIAL_MIN_PASSING = 3
PARTIAL_MIN_SHARE = 0.5
OTHER_MIN_VALUES = 20
OTHER_MIN_SHARE = 0.9

ROW_COLUMN = "_row"

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)

# --------------------------------------------------------------------------- column names

# Matched (re.search) against the normalised name: lower case, camelCase split, every run
# of non-alphanumerics turned into '_'. Long words match anywhere in the name
# ("leerlingnummer", "client_pseudoniem"); short ones only as a whole token or, for
# id/nr, as the end of a token ("klantid", "dossiernr", "kind_id", "id").
IDENTIFIER_WORDS = (
    "ident",
    "bsn",
    "burgerservicenummer",
    "sofi",
    "pseudonym",
    "pseudoniem",
    "student",
    "leerling",
    "pupil",
    "client",
    "klant",
    "persoon",
    "person",
    "nummer",
    "number",
    "dossier",
    "kenmerk",
    "sleutel",
)
IDENTIFIER_TOKENS = ("[a-z0-9]*id", "[a-z0-9]*nr", "no", "num", "key")
IDENTIFIER_NAME = re.compile("|".join(IDENTIFIER_WORDS) + r"|(?:^|_)(?:" + "|".join(IDENTIFIER_TOKENS) + r")(?:_|$)")

# Names that say a column is something else; never checked unless BSN-named.
NON_IDENTIFIER_WORDS = (
    "telefoon",
    "phone",
    "mobiel",
    "mobile",
    "gsm",
    "postcode",
    "postal",
    "iban",
    "rekening",
    "account",
    "bank",
    "bedrag",
    "amount",
    "price",
    "prijs",
    "kosten",
    "cost",
    "kvk",
    "datum",
    "jaar",
    "year",
    "aantal",
    "count",
    "huisnummer",
    "house_number",
)
NON_IDENTIFIER_TOKENS = ("tel", "fax", "zip", "pc4", "pc6", "btw", "vat", "eur", "euro", "date")
NON_IDENTIFIER_NAME = re.compile(
    "|".join(NON_IDENTIFIER_WORDS) + r"|(?:^|_)(?:" + "|".join(NON_IDENTIFIER_TOKENS) + r")(?:_|$)"
)

# Matched against the normalised name; also tried with the underscores removed.
BSN_NAME = re.compile(r"bsn|burgerservicenummer|sofinummer|sofinr|(?:^|_)sofi(?:_|$)")

# Text that names the number next to it ("bsn 123456782", "BSN-nummer: ...").
BSN_WORD_IN_TEXT = r"(?i)bsn|burgerservice|sofi"

# A number written with separators: digits, single spaces/dots/dashes between them.
_SEPARATORS = r"[ .\-\u00a0]"
_NUMBER_NOTATION = r"^[0-9](?:" + _SEPARATORS + r"?[0-9])*$"
# Runs of digits standing alone inside text; a run may hold separators (1234.56.782).
_RUN_WITH_SEPARATORS = r"\b[0-9](?:" + _SEPARATORS + r"?[0-9])*\b"
_PLAIN_NINE = r"\b[0-9]{9}\b"


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


def normalised_number(text: pl.Expr) -> pl.Expr:
    """Stripped text; when it is a number written with spaces, dots or dashes between the
    digits, the digits alone (`1234.56.782` → `123456782`); other text unchanged."""
    stripped = text.str.strip_chars()
    return (
        pl.when(stripped.str.contains(_NUMBER_NOTATION))
        .then(stripped.str.replace_all(_SEPARATORS, ""))
        .otherwise(stripped)
    )


def _is_bsn_shaped(text: pl.Expr) -> pl.Expr:
    """8 or 9 digits and nothing else (text already normalised); null is False."""
    return text.str.contains(r"^[0-9]{8,9}$").fill_null(False)


def _elfproef_of_digits(text: pl.Expr) -> pl.Expr:
    """The elfproef of text that is already known to be 8 or 9 digits."""
    padded = text.str.pad_start(9, "0")
    total = pl.sum_horizontal([padded.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(_WEIGHTS)])
    return ((total % 11 == 0) & (padded != "000000000")).fill_null(False)


def elfproef(col: pl.Expr) -> pl.Expr:
    """True where the value is a BSN: 9 digits (or 8, a BSN stored as a number that lost its
    leading zero), possibly written with spaces, dots or dashes between the digits, with
    9*d1 + 8*d2 + … + 2*d8 − d9 ≡ 0 (mod 11), and not 000000000.

    Anything else (letters, 10 digits, null) is False.
    """
    text = normalised_number(col.cast(pl.String))
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
            f.cast(pl.Int64, strict=False).cast(pl.String)
        )
    return None


# --------------------------------------------------------------------------- detection


@dataclass
class BsnFinding:
    column: str
    values_checked: int  # non-empty values in the column
    values_passing: int  # values that are (or, in text, hold) a number passing the elfproef
    first_row: int | None  # 1-based data row of the first passing value (header not counted)
    values_numeric: int = 0  # values that are 8–9 digit numbers, or hold a 9-digit run in text
    rule: str = ""  # which rule flagged the column, in plain English
    example: str = ""  # the first passing number as written, every digit masked ('xxxx.xx.xxx')


def mask(value: str) -> str:
    """Every digit replaced by 'x': the notation shows, the number does not."""
    return re.sub(r"[0-9]", "x", value)


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
    texts: list[pl.LazyFrame] = []
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
        shaped.append(
            lf.select(pl.lit(i).alias("column"), row.cast(pl.Int64).alias("row"), stripped.alias("written"))
            .filter(pl.col("written").str.contains(r"^[0-9][0-9 .\-\u00a0]{6,14}[0-9]$").fill_null(False))
            .with_columns(value=normalised_number(pl.col("written")))
            .filter(_is_bsn_shaped(pl.col("value")))
        )
        if dtype == pl.String:
            texts.append(_text_runs(lf, i, name, row))
    if not candidates:
        return []
    stats = lf.select(counts).collect().row(0, named=True)
    whole = _per_column(pl.concat(shaped).with_columns(passes=_elfproef_of_digits(pl.col("value"))))
    in_text = (
        _per_column(pl.concat(texts).with_columns(passes=_elfproef_of_digits(pl.col("value"))), text=True)
        if texts
        else {}
    )
    findings = []
    for i, name in candidates:
        n = stats[f"n{i}"]
        d, p, r, ex = whole.get(i, (0, 0, None, ""))
        rule = _flag_rule(name, n, p, d)
        if not rule and i in in_text:
            d, p, r, ex, named = in_text[i]
            rule = _text_rule(p, d, named)
        if rule:
            findings.append(BsnFinding(name, int(n), int(p), None if r is None else int(r), int(d), rule, mask(ex)))
    return findings


def _text_runs(lf: pl.LazyFrame, i: int, name: str, row: pl.Expr) -> pl.LazyFrame:
    """One row per 9-digit run standing alone in a text value of column `name`."""
    text = pl.col("text")
    has_run = text.str.contains(r"\b[0-9](?:" + _SEPARATORS + r"?[0-9]){8}").fill_null(False)
    whole_number = text.str.strip_chars().str.contains(_NUMBER_NOTATION).fill_null(False)
    return (
        lf.select(pl.lit(i).alias("column"), row.cast(pl.Int64).alias("row"), pl.col(name).alias("text"))
        .filter(has_run & ~whole_number)  # a value that is a number is judged as a whole above
        .with_columns(
            named=pl.col("text").str.contains(BSN_WORD_IN_TEXT),
            run=pl.concat_list(
                pl.col("text").str.extract_all(_RUN_WITH_SEPARATORS), pl.col("text").str.extract_all(_PLAIN_NINE)
            ).list.unique(),
        )
        .explode("run")
        .with_columns(written=pl.col("run"), value=pl.col("run").str.replace_all(_SEPARATORS, ""))
        .filter(pl.col("value").str.len_chars() == 9)
        .select("column", "row", "written", "value", "named")
    )


def _per_column(candidates: pl.LazyFrame, text: bool = False) -> dict:
    """column -> (values with a candidate, values passing, first passing row, its notation[, named])."""
    by_row = candidates.group_by("column", "row").agg(
        passes=pl.col("passes").any(),
        written=pl.col("written").filter(pl.col("passes")).first(),
        named=(pl.col("passes") & pl.col("named")).any() if text else pl.lit(False),
    )
    per = (
        by_row.sort("row")
        .group_by("column")
        .agg(
            d=pl.len(),
            p=pl.col("passes").sum(),
            r=pl.col("row").filter(pl.col("passes")).min(),
            ex=pl.col("written").filter(pl.col("passes")).first(),
            named=pl.col("named").any(),
        )
        .collect()
    )
    return {
        c: ((d, p, r, ex or "", named) if text else (d, p, r, ex or "")) for c, d, p, r, ex, named in per.iter_rows()
    }


def _flag_rule(name: str, checked: int, passing: int, numeric: int) -> str:
    if passing < 1:
        return ""
    if is_bsn_named(name):
        return "the column is named as a BSN column and holds values that pass the elfproef"
    if is_identifier_column(name):
        if passing / checked >= IDENTIFIER_MIN_SHARE:
            return (
                f"at least {IDENTIFIER_MIN_SHARE:.0%} of the values of this identifier column "
                "are 9-digit numbers that pass the elfproef"
            )
        if passing >= PARTIAL_MIN_PASSING and passing / numeric >= PARTIAL_MIN_SHARE:
            return (
                "most of the 8–9 digit numbers in this identifier column pass the elfproef "
                "(random numbers pass 1 time in 11)"
            )
        return ""
    if checked >= OTHER_MIN_VALUES and passing / checked >= OTHER_MIN_SHARE:
        return f"at least {OTHER_MIN_SHARE:.0%} of the values are 9-digit numbers that pass the elfproef"
    return ""


def _text_rule(passing: int, with_run: int, named: bool) -> str:
    if passing < 1:
        return ""
    if named:
        return "the text names a BSN next to a 9-digit number that passes the elfproef"
    if passing >= PARTIAL_MIN_PASSING and passing / with_run >= PARTIAL_MIN_SHARE:
        return (
            "most of the 9-digit numbers written in this text column pass the elfproef "
            "(random numbers pass 1 time in 11)"
        )
    return ""


# --------------------------------------------------------------------------- message


def bsn_refusal_message(file_name: str, findings: list[BsnFinding]) -> str:
    """Plain-English refusal naming the file, the columns, the first row, a masked example
    and the fix. Never quotes a value: the example has every digit replaced by 'x'."""
    lines = [
        f"File {file_name} is refused: it contains citizen service numbers (BSN). "
        "Nothing from this file has been loaded."
    ]
    for f in findings:
        where = f" (first at data row {f.first_row})" if f.first_row is not None else ""
        example = f", written like '{f.example}'" if f.example else ""
        lines.append(
            f"  - column '{f.column}': {f.values_passing} of {f.values_checked} non-empty values "
            f"are or hold 9-digit numbers that pass the elfproef{where}{example}; {f.rule}."
        )
    cols = " ".join(f"--column {_shell_quote(f.column)}" for f in findings)
    src = _shell_quote(file_name)
    dst = _shell_quote(_pseudonymised_name(file_name))
    lines += [
        "Linked records must never contain a BSN. Replace the column by a pseudonym at the source,",
        "with a secret key of at least 16 characters that you keep yourself (the same key every year):",
        f"  export {KEY_ENV}=<your secret key>      (Windows: set {KEY_ENV}=<your secret key>)",
        f"  grensverkeer pseudonymise {src} {dst} {cols}",
        f"and deliver {_pseudonymised_name(file_name)} instead "
        "(a BSN written inside a text column must be removed from the text). See docs/privacy.md.",
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
