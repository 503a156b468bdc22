"""Dutch number formats for the pages: 1.234 and 12,5%; published labels ('<5', 'x', '≥12') as they are."""

from __future__ import annotations


def fnum(n: int | None) -> str:
    return "–" if n is None else f"{n:,}".replace(",", ".")


def fmt(label: str | None) -> str:
    """A label as printed: thousands with a dot (Dutch), '<5' and 'x' as they are, '–' when not published."""
    if label is None:
        return "–"
    if label.isdigit():
        return fnum(int(label))
    if label.startswith("≥") and label[1:].isdigit():
        return "≥" + fnum(int(label[1:]))
    return label


def pct(num: int | None, den: int | None) -> str:
    if num is None or not den:
        return "–"
    return f"{100 * num / den:.1f}%".replace(".", ",")


def pct_label(num: str | None, den: str | None) -> str:
    """A share of two labels: exact, '≥' when the numerator is a least value, '–' otherwise."""
    if num is None or den is None or not den.isdigit():
        return "–"
    if num.isdigit():
        return pct(int(num), int(den))
    if num.startswith("≥"):
        return "≥" + pct(int(num[1:]), int(den))
    return "–"
