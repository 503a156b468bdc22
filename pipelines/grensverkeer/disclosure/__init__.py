"""Disclosure control: one implementation for everything we publish (exports and dashboards).

Modules: policy (labels, settings, Dutch text), relations (equations and printed statements),
propagation (interval reasoning), lp (HiGHS through highspy), attack (the outsider), protect.

The model is deliberately generic, so that relations *across* tables are covered:

* **cells**: every number that will be published in one export (or one dashboard), across
  all its tables: ``cell_id`` (str), ``value`` (int >= 0, the true count), optionally
  ``is_estimate`` (bool; estimates and their bounds are published numbers like any other).
* **relations**: additive relations an outsider can use: ``relation_id``, ``total_id``,
  ``member_id`` means "cell total_id equals the sum of the member cells". A row total, a
  column total, a grand total, or the same number published in another table. A null
  ``total_id`` means the members add up to a number the outsider knows anyway (for example
  an exact school total from DUO's open data); that number is taken from an optional
  ``known_total`` column of the relations, or else from the true values.

``protect`` decides what to show, ``attack`` is the outsider's best effort to work the
suppressed cells out again, ``check_published`` turns that into a list of problems.

Rules (docs/disclosure.md explains them in full):

* primary: counts 1 .. k-1 are suppressed and printed as ``<k``; a zero stays ``0``.
* secondary: further cells are suppressed (printed ``x``, CBS's sign for "geheim") until the
  attacker can pin no suppressed cell to one value. Each round: interval propagation over
  all relations finds the pinned cells (a relation with one suppressed cell, two ``<5``
  cells whose residual is 2 or 8, chains through several relations); when it finds none,
  linear programming over all relations jointly (HiGHS through ``highspy``) has
  the last word. Pinned cells that share relations form a group; groups are fixed side
  by side in the same round. Every relation that pins a cell on its own gets one more
  suppressed cell: its best shown non-zero cell (fixes most pinning relations at once,
  then already in most relations with a suppression, then smallest, then cell_id:
  deterministic). A combination of relations that pins cells (found only by the LP) gets
  one more cell per group and round. A group with nothing left to suppress around it, or
  pinned for more than PERSISTENT_ROUNDS rounds in a row, has its pinned small counts
  withheld ('.'). Repeat until nothing is pinned (docs/disclosure.md).
* rounding (optional): shown counts are rounded to the nearest multiple of ``rounding``
  (half up), each independently, so sums need not add up.

The attacker knows exactly what is published and the relations, plus the rules: ``<k``
means 1..k-1, ``0`` means 0, ``x`` means a count of at least k (zeros are never suppressed
and 1..k-1 are always ``<k``), and a rounded number n means the interval of counts that
round to n. It also knows counts are integers. Everything outside the per-cell LP calls is
set-based polars or numpy (protect's rounds: numpy on integer positions, protect._Problem);
Python loops run over rounds, propagation sweeps, search hops and LP calls only.
"""

from .attack import attack, check_published
from .policy import (
    HIDDEN,
    HIDDEN_LABEL,
    PRIMARY,
    SECONDARY,
    SECONDARY_LABEL,
    SHOWN,
    SUPPRESSED,
    WITHHELD,
    WITHHELD_LABEL,
    ZERO,
    DisclosureError,
    DisclosureSettings,
    InconsistentPublication,
    explanation_nl,
)
from .protect import protect

__all__ = [
    "HIDDEN",
    "HIDDEN_LABEL",
    "PRIMARY",
    "SECONDARY",
    "SECONDARY_LABEL",
    "SHOWN",
    "SUPPRESSED",
    "WITHHELD",
    "WITHHELD_LABEL",
    "ZERO",
    "DisclosureError",
    "DisclosureSettings",
    "InconsistentPublication",
    "attack",
    "check_published",
    "explanation_nl",
    "protect",
]
