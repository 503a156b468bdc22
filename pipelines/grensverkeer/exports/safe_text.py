"""Untrusted text in spreadsheet files stays text (docs/exports.md, "Untrusted text").

School, team and municipality names come from suppliers and DUO files. A CSV cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel
and LibreOffice; OWASP's advice ("CSV Injection") is to put a `'` in front of it. Numbers
written as text (`-3`, `+5`) are numbers, not formulas, and stay as they are.
"""

from __future__ import annotations

import polars as pl

# A cell Excel would start to evaluate: the OWASP list of leading characters.
FORMULA_START = r"^[=+\-@\t\r]"
# ...unless the whole cell is a plain number: Excel reads it as that number.
PLAIN_NUMBER = r"^[+-]?[0-9]+([.,][0-9]+)?$"


def neutralise(column: pl.Expr) -> pl.Expr:
    """A text column with every formula-like cell prefixed by `'`."""
    risky = column.str.contains(FORMULA_START) & ~column.str.contains(PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit("'") + column).otherwise(column)


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column neutralised; numbers, dates and booleans untouched."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(neutralise(pl.col(c)).alias(c) for c in text)
