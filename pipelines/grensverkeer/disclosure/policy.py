"""Disclosure policy: labels, settings, errors and the Dutch explanation (docs/disclosure.md)."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN, PRIMARY, SECONDARY, ZERO = "shown", "primary", "secondary", "zero"
# A count below k that even '<5' would give away (every number around it is hidden already, e.g. four
# cells of 1 under a total below 5: each is at least 1, so each is exactly 1). Printed as '.', which
# says 0 to k-1: zero is no longer excluded, so nothing is pinned.
WITHHELD = "withheld"
# A count that must not be published at all (attribute disclosure: as large as DUO's public count of the
# same group, docs/disclosure.md), whatever its size: printed as 'niet getoond', which says only that the
# row has at least one pupil. Not 'x' (k or more) and not '<5' (1 to 4): either would bound it, and with
# DUO's public count as the upper bound a count of exactly k would follow from 'x'.
HIDDEN = "hidden"  # status of a cell flagged `hidden` (protect)
HIDDEN_LABEL = "niet getoond"
SUPPRESSED = (PRIMARY, SECONDARY, WITHHELD, HIDDEN)
SECONDARY_LABEL = "x"
# A cell whose id starts with this is declared in a relation but never printed (the sum of rows left
# out below a threshold): the attacker knows only that it is a count >= 0.
UNPUBLISHED_PREFIX = "rest|"
UNPUBLISHED = "unpublished"  # status protect gives such a cell
WITHHELD_LABEL = "."

EPS = 1e-6  # tolerance for float arithmetic on integer counts and for LP solutions
PROPAGATION_MAX_SWEEPS = 200  # interval propagation stops here even if not at a fixed point (still sound)
MAX_LP_VARIABLES = 20_000  # unknowns in one connected block of relations; larger blocks are refused
MAX_HOPS = 8  # how far protect looks for a cell to suppress next to a pinned cell
PERSISTENT_ROUNDS = 10  # a group pinned this many rounds in a row has its '<k' cells withheld
WITNESS_SWEEPS = 4  # random-sign LPs per block before the per-cell LPs (speed only)
MAX_TARGETED_SWEEPS = 80  # LPs per block that push all cells short of their bound at once (speed only)
HOT_LP_VARIABLES = 1  # blocks (or groups) from this many unknowns keep their LP in HiGHS between solves
# (1: all of them; a fresh scipy linprog per LP costs ~6 ms of wrapper, 10x a warm HiGHS solve)
LP_GROUP_VARIABLES = 2_000  # small blocks are solved together in groups of up to this many unknowns
POOL_POINTS = 200  # LP solutions protect keeps for its next rounds (speed only)
_BIG = 1e9  # stands in for "no upper bound" in the LPs (avoids unbounded LP statuses)
_INF = float("inf")


class DisclosureError(ValueError):
    """protect cannot make the cells safe (or the settings/inputs do not allow it)."""


class InconsistentPublication(ValueError):
    """The published numbers contradict the relations: a bug upstream, not a privacy question."""


@dataclass(frozen=True)
class DisclosureSettings:
    k: int = 5  # counts 1..k-1 are suppressed as '<k'
    rounding: int | None = None  # optional: round every shown count to a multiple of this
    max_rounds: int = 50  # rounds of secondary suppression before protect gives up

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 3:
            raise ValueError(
                f"k must be a whole number of at least 3 (got {self.k!r}): with k = 2 the label "
                "'<2' would tell everyone the count is 1"
            )
        r = self.rounding
        if r is not None:
            if isinstance(r, bool) or not isinstance(r, int) or r < 1:
                raise ValueError(f"rounding must be a positive whole number or None (got {r!r})")
            if self.k < r - r // 2:
                raise ValueError(
                    f"rounding to multiples of {r} would round a count of {self.k} to 0; use rounding <= {2 * self.k}"
                )
        if isinstance(self.max_rounds, bool) or not isinstance(self.max_rounds, int) or self.max_rounds < 1:
            raise ValueError(f"max_rounds must be a positive whole number (got {self.max_rounds!r})")

    @property
    def primary_label(self) -> str:
        return f"<{self.k}"


# ----------------------------------------------------------------------------- explanation
def explanation_nl(settings: DisclosureSettings = DisclosureSettings()) -> str:
    """The Dutch text "Hoe we kleine aantallen beschermen", shown verbatim by exports and
    dashboards. docs/disclosure.md holds the text for the default settings."""
    k = settings.k
    lines = [
        "Cijfers uit de open data van DUO (stromen, herkomst per school, schooltotalen, gemeenteprofielen) zijn "
        "openbaar: die tonen we zoals de gegevens het toelaten, exact waar ze exact zijn, geschat met onder- en "
        "bovengrens waar DUO '<5' publiceert, een aantal dat 1 tot en met 4 kan zijn als '<5' (zoals DUO het "
        "toont) en het leerlingentotaal van elke school precies zoals DUO het publiceert.",
        "Cijfers uit de gekoppelde, vertrouwelijke gegevens (hulp van het lokale team, afspraken, "
        "coördinatielast, stromen uit de gekoppelde inschrijvingen) beschermen we, zodat niemand er een "
        "individueel kind uit kan herkennen.",
        f"Daar tonen we aantallen van 1 tot en met {k - 1} niet maar '<{k}'; een 0 betekent echt nul en een "
        f"'.' minder dan {k} en mogelijk 0, waar zelfs '<{k}' zou verraden hoeveel het er precies zijn.",
        "Omdat je een verborgen aantal kunt terugrekenen uit totalen, uit andere getallen in de rij of kolom, "
        "uit een andere tabel, uit het niveau van een afspraak met zijn drempels of uit het aantal scholen of "
        "lokale teams, verbergen we zo nodig ook andere getallen (daar staat een 'x', het teken dat het CBS "
        "gebruikt voor 'geheim') en staat het aantal scholen of lokale teams alleen naast een zichtbaar aantal.",
        f"Naast een verborgen aantal ('<{k}') staat een niveau dat alleen dan precies één aantal zou "
        "laten samen met het niveau ernaast, bijvoorbeeld 'aandachtspunt of afspraak nodig'; krijgen evenveel "
        "leerlingen uit een gemeente hulp als DUO er op een school of in een schoolgemeente telt, dan staat "
        "die school niet in de lijst en staat bij dat gemeentepaar 'niet getoond' als aantal en als niveau: "
        "het kan elk aantal vanaf 1 zijn, ook als een getal ernaast om die reden verborgen is; zo ook bij een "
        "school waar evenveel leerlingen hulp krijgen als DUO er in totaal telt.",
        "De zichtbare getallen in een rij of kolom tellen daardoor niet altijd op tot het totaal.",
        "Voor alles wat we publiceren rekent een controleprogramma na dat geen enkel verborgen getal uit wat "
        "een lezer ziet (alle tabellen, niveaus, drempels, aantallen scholen en de openbare DUO-cijfers) tot "
        "één waarde is terug te rekenen.",
    ]
    if settings.rounding is not None and settings.rounding > 1:
        lines.append(
            f"Alle getallen zijn bovendien afgerond op een veelvoud van {settings.rounding}, elk "
            "getal en elk totaal apart, dus ook zonder verborgen getallen kan een optelling iets afwijken."
        )
    return " ".join(lines)
