"""The need level printed next to a hidden count never pins it (disclosure/need_levels.py)."""

from __future__ import annotations

import itertools

import pytest

from grensverkeer.disclosure.need_levels import hidden_groups, published_need_levels


def _level_of(n: int, attention: int, needed: int) -> str:
    return "afspraak nodig" if n >= needed else "aandachtspunt" if n >= attention else "geen"


@pytest.mark.parametrize(
    "k, attention, needed, expected",
    [
        # the default pair rule: 'geen' is 1-2 and 'aandachtspunt' 3-4 below 5, both printed as they are
        (5, 3, 10, {1: "geen", 2: "geen", 3: "aandachtspunt", 4: "aandachtspunt"}),
        # the default school rule: 'geen' would be exactly 1, so it is printed together with 'aandachtspunt'
        (5, 2, 5, dict.fromkeys(range(1, 5), "geen of aandachtspunt")),
        # 'afspraak nodig' from 4 would be exactly 4 next to '<5'
        (5, 2, 4, dict.fromkeys(range(1, 5), "geen, aandachtspunt of afspraak nodig")),
        (5, 3, 4, {1: "geen", 2: "geen", 3: "aandachtspunt of afspraak nodig", 4: "aandachtspunt of afspraak nodig"}),
        (5, 2, 3, {1: "geen of aandachtspunt", 2: "geen of aandachtspunt", 3: "afspraak nodig", 4: "afspraak nodig"}),
    ],
)
def test_hidden_counts_get_a_level_that_leaves_two_counts_or_more(k, attention, needed, expected):
    levels = published_need_levels(k, {"gemeentepaar": (needed, attention)})
    hidden = {r["need_level"]: r["published_need_level"] for r in levels.filter("hidden").iter_rows(named=True)}
    assert {n: hidden[_level_of(n, attention, needed)] for n in range(1, k)} == expected


@pytest.mark.parametrize(
    "k, attention, needed", [p for p in itertools.product([3, 5, 10], range(1, 12), range(1, 14)) if p[2] >= p[1]]
)
def test_no_printed_level_pins_a_hidden_count(k, attention, needed):
    levels = published_need_levels(k, {"school": (needed, attention)})
    hidden = levels.filter("hidden")
    by_level = {r["need_level"]: r for r in hidden.iter_rows(named=True)}
    counts_per_label: dict[str, set[int]] = {}
    for n in range(1, k):
        row = by_level[_level_of(n, attention, needed)]
        counts_per_label.setdefault(row["published_need_level"], set()).add(n)
        # the stated range is what the label says: it holds the count
        assert row["stated_lo"] <= n and (row["stated_hi"] is None or n <= row["stated_hi"])
    # a reader who sees '<k' and a label can narrow the count to its group: never to one count
    assert all(len(v) >= 2 for v in counts_per_label.values()), counts_per_label
    # shown counts keep their own level
    shown = levels.filter(~levels["hidden"])
    assert (shown["need_level"] == shown["published_need_level"]).all()


def test_groups_follow_the_order_of_the_levels():
    assert [[b[0] for b in g] for g in hidden_groups(5, 3, 4)] == [["geen"], ["aandachtspunt", "afspraak nodig"]]


def test_a_level_left_out_of_the_listing_is_not_grouped():
    """School rows of level 'geen' are never listed: the default school rule (2 and 5) then prints
    'aandachtspunt' (2-4) as it is next to '<5', and the fixture rule (2 and 3) groups only the levels
    that are listed."""
    default = published_need_levels(5, {"school": (5, 2)}, unlisted={"school": frozenset({"geen"})})
    hidden = {r["need_level"]: r["published_need_level"] for r in default.filter("hidden").iter_rows(named=True)}
    assert hidden == {"geen": "geen", "aandachtspunt": "aandachtspunt"}
    fixture = published_need_levels(5, {"school": (3, 2)}, unlisted={"school": frozenset({"geen"})})
    rows = {r["need_level"]: r for r in fixture.filter("hidden").iter_rows(named=True)}
    assert rows["aandachtspunt"]["published_need_level"] == "aandachtspunt of afspraak nodig"
    assert rows["afspraak nodig"]["published_need_level"] == "aandachtspunt of afspraak nodig"
    assert (rows["aandachtspunt"]["stated_lo"], rows["aandachtspunt"]["stated_hi"]) == (2, None)


def test_printed_levels_sort_most_needed_first_and_colour_by_their_lowest_level():
    from grensverkeer.disclosure.need_levels import NOT_SHOWN, level_rank, lowest_level

    order = [
        "afspraak nodig",
        "aandachtspunt of afspraak nodig",
        "aandachtspunt",
        "geen, aandachtspunt of afspraak nodig",
    ]
    order += ["geen of aandachtspunt", "geen", NOT_SHOWN]
    assert sorted(order, key=level_rank) == order
    assert lowest_level("aandachtspunt of afspraak nodig") == "aandachtspunt" and lowest_level(NOT_SHOWN) is None
