"""The DUO datasets we read, recognised by their header (never by file name).

Each kind maps the column names of every header generation DUO used onto one set of
canonical names. Column names are compared after `normalise_column_name`, so
'BRIN NUMMER', 'BRIN_NUMMER' and '"BRIN_NUMMER"' are the same column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import normalise_column_name


@dataclass(frozen=True)
class FileKind:
    name: str
    title: str  # DUO's name of the dataset
    signature: tuple[str, ...]  # columns that tell this kind apart from the others
    cell_pattern: str  # regex for the count columns
    required: dict[str, tuple[str, ...]]  # canonical -> accepted source names (first match wins)
    optional: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def cell_columns(self, header: list[str]) -> list[str]:
        return [h for h in header if re.fullmatch(self.cell_pattern, normalise_column_name(h))]

    def resolve(self, header: list[str]) -> tuple[dict[str, str], list[str]]:
        """Map canonical names to the file's own column names; also list what is missing."""
        by_norm = {normalise_column_name(h): h for h in header}
        mapping: dict[str, str] = {}
        missing: list[str] = []
        for canonical, aliases in {**self.required, **self.optional}.items():
            found = next((by_norm[a] for a in aliases if a in by_norm), None)
            if found is not None:
                mapping[canonical] = found
            elif canonical in self.required:
                missing.append(" or ".join(aliases))
        return mapping, missing


PO_PC4 = FileKind(
    name="duo_po_pc4",
    title="Leerlingen po per gemeente naar postcode leerling en leeftijd",
    signature=("GEMEENTENAAM_LEERLING", "SOORT_PO"),
    cell_pattern=r"LEEFTIJD_(JONGER|OUDER|\d+)",
    required={
        "brin": ("INSTELLINGSCODE", "BRIN_NUMMER"),
        "location_no": ("VESTIGINGSCODE", "VESTIGINGSNUMMER"),
        "school_municipality_code": ("GEMEENTENUMMER",),
        "home_pc4": ("POSTCODE_LEERLING",),
        "home_municipality_name": ("GEMEENTENAAM_LEERLING",),
        "soort": ("SOORT_PO",),
    },
    optional={
        "peildatum": ("PEILDATUM",),
        "school_municipality_name": ("GEMEENTENAAM",),
        "school_name": ("INSTELLINGSNAAM_VESTIGING", "VESTIGINGSNAAM"),
        "total": ("TOTAAL",),
    },
)

VO_PC4 = FileKind(
    name="duo_vo_pc4",
    title="Leerlingen per vestiging naar postcode leerling en leerjaar (VO)",
    signature=("POSTCODE_LEERLING",),
    cell_pattern=r"(LEER_OF_VERBLIJFSJAAR|LEERJAAR)_\d",
    required={
        "brin": ("INSTELLINGSCODE", "BRIN_NUMMER"),
        "location_no": ("VESTIGINGSCODE", "VESTIGINGSNUMMER"),
        "home_pc4": ("POSTCODE_LEERLING",),
        "home_municipality_name": ("GEMEENTENAAM_LEERLING",),
    },
    optional={
        "peildatum": ("PEILDATUM", "PEILJAAR", "TELDATUM"),
        "home_municipality_code": ("GEMEENTENUMMER_LEERLING",),
        "school_municipality_code": ("GEMEENTENUMMER", "GEMEENTENUMMER_VESTIGING"),
        "school_municipality_name": ("GEMEENTENAAM", "GEMEENTENAAM_VESTIGING"),
        "school_name": ("INSTELLINGSNAAM_VESTIGING", "VESTIGINGSNAAM"),
    },
)

PO_LOCATION_TOTALS = FileKind(
    name="duo_po_location_totals",
    title="Historisch overzicht aantal leerlingen per schoolvestiging",
    signature=("VESTIGINGSCODE",),
    cell_pattern=r"LEERLINGEN_\d{4}",
    required={
        "location_code": ("VESTIGINGSCODE",),
        "soort": ("SOORT_VESTIGING",),
    },
    optional={
        "brin": ("INSTELLINGSCODE",),
        "school_municipality_code": ("GEMEENTECODE_VESTIGING",),
        "school_name": ("NAAM_VESTIGING",),
    },
)

KINDS = (PO_PC4, VO_PC4, PO_LOCATION_TOTALS)

# DUO's header of PO_PC4 as published from 2024 (INSTELLINGSCODE/VESTIGINGSCODE; the older
# generation says BRIN_NUMMER/VESTIGINGSNUMMER): the identifying columns in DUO's order, then
# one LEEFTIJD_<label> count column per age label. The loader reads any order and generation
# (`resolve`); test fixtures and the national benchmark write their files with this one.
PO_PC4_HEADER = (
    "PEILDATUM",
    "GEMEENTENUMMER",
    "GEMEENTENAAM",
    "POSTCODE_LEERLING",
    "GEMEENTENAAM_LEERLING",
    "INSTELLINGSCODE",
    "VESTIGINGSCODE",
    "INSTELLINGSNAAM_VESTIGING",
    "POSTCODE_VESTIGING",
    "PLAATSNAAM",
    "PROVINCIE",
    "SOORT_PO",
    "DENOMINATIE_VESTIGING",
    "BEVOEGD_GEZAG_NUMMER",
)
PO_AGE_LABELS = ("JONGER", *(str(a) for a in range(4, 25)), "OUDER")


def _score(kind: FileKind, norm: set[str]) -> int:
    known = {a for aliases in {**kind.required, **kind.optional}.values() for a in aliases}
    cells = sum(1 for n in norm if re.fullmatch(kind.cell_pattern, n))
    return len(norm & known) + min(cells, 3) + 2 * all(s in norm for s in kind.signature)


def recognise(header: list[str]) -> FileKind | None:
    """The kind whose columns the header shares most; None when nothing looks like DUO's.

    Recognising by resemblance rather than by exact match lets a file with one column
    missing be named as what it is, so the message can say which column is missing.
    """
    norm = {normalise_column_name(h) for h in header}
    best = max(KINDS, key=lambda k: _score(k, norm))
    return best if _score(best, norm) >= 4 else None
