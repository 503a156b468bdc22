"""need_levels: the need level printed next to a count, so that level and '<k' never pin the count.

A need level with its printed thresholds says which counts are possible ('aandachtspunt' from 2,
'afspraak nodig' from 4: aandachtspunt is 2 or 3). Next to '<5' (1 to 4) a level whose range holds
one count of 1..k-1 gives that count away ('afspraak nodig' + '<5' = 4). So for hidden counts
(below k) the levels are grouped: a level that leaves one possible hidden count is printed
together with its neighbour ('aandachtspunt of afspraak nodig': 2 to 4). The grouping depends
only on k and the thresholds, never on the count itself, so the printed label says no more than
its range. Shown counts keep their plain level. docs/disclosure.md, "Need levels".
"""

from __future__ import annotations

import polars as pl

from .policy import HIDDEN_LABEL

LEVELS = ("geen", "aandachtspunt", "afspraak nodig")  # in order of the counts they cover
# the level of a pair hidden for attribute disclosure (pub_agreement_needs): as its count, not shown
NOT_SHOWN = HIDDEN_LABEL


def level_rank(label: str) -> int:
    """Sort key of a printed level, most needed first: 'afspraak nodig' 0, 'aandachtspunt of afspraak
    nodig' 3, 'aandachtspunt' 4, ..., 'geen' 8, 'niet getoond' last. A grouped level sorts by the
    lowest level it holds, then the highest, so a possible agreement never ranks as a certain one."""
    if label == NOT_SHOWN:
        return 3 * len(LEVELS)
    ranks = [len(LEVELS) - 1 - LEVELS.index(name) for name in label.replace(", ", " of ").split(" of ")]
    return len(LEVELS) * max(ranks) + min(ranks)


def lowest_level(label: str) -> str | None:
    """The lowest of the levels a printed (grouped) level holds; None for 'niet getoond'."""
    return None if label == NOT_SHOWN else label.replace(", ", " of ").split(" of ")[0]


def _bands(attention: int, needed: int) -> list[tuple[str, int, int | None]]:
    """(level, lo, hi) of each level; hi None is no upper bound. 'geen' starts at 0."""
    bands = [("geen", 0, attention - 1), ("aandachtspunt", attention, needed - 1), ("afspraak nodig", needed, None)]
    return [b for b in bands if b[2] is None or b[2] >= b[1]]


def _hidden_count(lo: int, hi: int | None, k: int) -> int:
    """How many of the hidden counts 1..k-1 lie in lo..hi."""
    top = k - 1 if hi is None else min(hi, k - 1)
    return max(0, top - max(lo, 1) + 1)


def label_nl(levels: list[str]) -> str:
    """'aandachtspunt of afspraak nodig', 'geen, aandachtspunt of afspraak nodig'."""
    return levels[0] if len(levels) == 1 else ", ".join(levels[:-1]) + " of " + levels[-1]


def hidden_groups(
    k: int, attention: int, needed: int, unlisted: frozenset[str] = frozenset()
) -> list[list[tuple[str, int, int | None]]]:
    """The levels that occur below k, grouped from low to high so that every group leaves at least
    two possible hidden counts; a last group that leaves one joins the group before it. Levels in
    `unlisted` are never printed (their rows are left out of the listing): they are not grouped."""
    bands = [b for b in _bands(attention, needed) if _hidden_count(b[1], b[2], k) > 0 and b[0] not in unlisted]
    groups: list[list] = []
    current: list = []
    for band in bands:
        current.append(band)
        if _hidden_count(current[0][1], current[-1][2], k) >= 2:
            groups.append(current)
            current = []
    if current:
        if groups:
            groups[-1].extend(current)
        else:  # only when k - 1 < 2, which DisclosureSettings refuses
            groups.append(current)
    return groups


def published_need_levels(
    k: int, thresholds: dict[str, tuple[int, int]], unlisted: dict[str, frozenset[str]] | None = None
) -> pl.DataFrame:
    """level, need_level, hidden, published_need_level, stated_lo, stated_hi, level_rank, k for each
    agreement level (thresholds: level -> (needed, attention)). hidden: the row applies to counts below k.
    stated_lo/stated_hi: the counts the printed label allows (null: no upper bound). unlisted:
    level -> the need levels whose rows are left out of the listing (school rows with 'geen'): they
    keep their own name (the rows are never printed) and are not grouped with the others."""
    rows = []
    for level, (needed, attention) in thresholds.items():
        left_out = (unlisted or {}).get(level, frozenset())
        for name, lo, hi in _bands(attention, needed):
            rows.append((level, name, False, name, lo, hi))
            if name in left_out and _hidden_count(lo, hi, k) > 0:
                rows.append((level, name, True, name, lo, hi))
        for group in hidden_groups(k, attention, needed, left_out):
            label = label_nl([name for name, _, _ in group])
            for name, _, _ in group:
                rows.append((level, name, True, label, group[0][1], group[-1][2]))
    schema = {
        "level": pl.String,
        "need_level": pl.String,
        "hidden": pl.Boolean,
        "published_need_level": pl.String,
        "stated_lo": pl.Int64,
        "stated_hi": pl.Int64,
    }
    rows = [(*r, level_rank(r[3])) for r in rows]
    schema["level_rank"] = pl.Int64
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(pl.lit(k, dtype=pl.Int64).alias("k"))
