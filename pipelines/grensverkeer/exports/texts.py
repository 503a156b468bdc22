"""The Toelichting sheet: what the export is, where the numbers come from, which rules shaped them."""

from __future__ import annotations

from .. import texts_nl
from ..disclosure import DisclosureSettings, explanation_nl
from ..settings import Region
from .tables import ExportBundle

SOURCE_NAMES = {
    "duo": "DUO open onderwijsdata: 'Leerlingen po per gemeente naar postcode leerling en leeftijd' en 'Historisch "
    "overzicht aantal leerlingen per schoolvestiging', teldatum 1 oktober {year}.",
    "synthetic": "Synthetische demoset (gemaakt met `grensverkeer demo-data`): verzonnen leerlingen en hulptrajecten.",
    "linked": "Gekoppelde, gepseudonimiseerde registraties van inschrijvingen en hulp, aangeleverd onder een "
    "gegevensdelingsovereenkomst; peildatum per schooljaar 1 augustus tot en met 31 juli.",
}


def _masking(bundle: ExportBundle) -> str:
    """The estimation text, naming this export's school year exact or estimated when it has DUO flows."""
    if "duo" not in bundle.sources:
        return texts_nl.masking([], [])
    estimated = (bundle.table("stromen").frame["Geschat"] == "ja").any()
    year = [bundle.school_year]
    return texts_nl.masking([], year) if estimated else texts_nl.masking(year, [])


def toelichting_rows(
    bundle: ExportBundle, region: Region, disclosure: DisclosureSettings, linked_sources: list[str] | None = None
) -> list[tuple[str, str]]:
    """`linked_sources`: the sources of the year's linked records ('synthetic', 'linked'; empty
    when the year has none), so that a synthetic record warns even where no sheet shows it."""
    year = bundle.school_year
    sources = sorted(set(bundle.sources) | set(linked_sources or []))
    rows = []
    if "synthetic" in sources:
        rows.append(("SYNTHETISCHE DEMO", texts_nl.SYNTHETIC_WARNING))
    rows += [
        (
            "Wat is dit",
            f"Tabellen voor bestuurlijke afspraken tussen lokale teams en scholen in {region.name}, "
            f"schooljaar {year}. Gemaakt door grensverkeer; zie manifest.json voor de herkomst van elk getal.",
        ),
        ("Regio", ", ".join(region.members[c] for c in region.codes)),
    ]
    rows += [(f"Bron ({source})", SOURCE_NAMES[source].format(year=year[:4])) for source in sources]
    if linked_sources is not None and not linked_sources:
        rows.append(("Gekoppelde registraties", texts_nl.NO_LINKED.format(year=year)))
    rows += [
        ("Wanneer is een afspraak nodig", texts_nl.agreement_rule(region.agreements)),
        ("Bescherming kleine aantallen", explanation_nl(disclosure)),
        ("Geschatte aantallen (DUO)", _masking(bundle)),
    ]
    rows += [(f"Blad '{t.sheet}'", t.description) for t in bundle.tables]
    rows.append(
        (
            "Bestanden",
            "Dezelfde tabellen staan ook als CSV (UTF-8, puntkomma) en Parquet naast dit bestand; "
            "relaties.csv zegt welke getallen optellen tot welke andere. Namen komen uit aangeleverde "
            "bestanden: in de CSV-bestanden staat voor tekst die begint met =, +, -, @, een tab "
            "of een regeleinde een ' (zodat Excel er geen formule van maakt); in dit bestand en "
            "in Parquet staan de namen zoals aangeleverd.",
        )
    )
    return rows
