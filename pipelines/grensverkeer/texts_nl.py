"""Dutch texts that stand next to the numbers in exports and dashboards (one source).

docs/masking.md and docs/agreements.md explain the same rules in English; keep them in
step when a rule changes. The text on small counts is disclosure.explanation_nl(), next to
the code that applies it.
"""

from __future__ import annotations

MASKING = (
    'DUO publiceert aantallen van 1 tot en met 4 leerlingen niet precies, maar als "<5", zodat geen enkel kind '
    "herkenbaar is. Van elke schoolvestiging is wel het precieze totaal aantal leerlingen bekend, dus weten we "
    "hoeveel leerlingen samen in de verborgen vakjes zitten. Een schatting is onze beste verdeling van dat aantal over "
    "die vakjes: een vakje naast grote aantallen (veel kinderen uit dezelfde buurt of van dezelfde leeftijd) krijgt "
    "meer, en hoe verder de woonwijk (postcode) van de school ligt, hoe kleiner het vakje waarschijnlijk is; een enkele "
    "leerling uit een verre buurt telt als ongeveer 1. Samen tellen de schattingen van een vestiging altijd op tot het "
    "echte totaal. Bij elk geschat aantal geven we ook het kleinst en grootst mogelijke aantal (onder- en bovengrens), "
    "zodat zichtbaar is hoe zeker het getal is. Hoe goed is dat? We hebben het gemeten op DUO's oudere telling van "
    '1 oktober 2017, die nog zonder "<5" verscheen: toen we die echte aantallen van de negen Haaglanden-gemeenten '
    "verborgen zoals DUO dat nu doet en opnieuw schatten, weken de geschatte stromen tussen gemeenten samen 2,7% af "
    "van de echte (3,0% als ook de leerlingen op scholen buiten de regio meetellen), en lag het echte aantal altijd "
    "tussen de onder- en bovengrens."
)


def _years(years: list[str]) -> str:
    years = sorted(years)
    return years[0] if len(years) == 1 else ", ".join(years[:-1]) + " en " + years[-1]


def masking(exact_years: list[str], estimated_years: list[str]) -> str:
    """MASKING followed by which of the published DUO school years are exact and which hold
    estimates: only years that are published (a year gone from the input folder is not named)."""
    parts = []
    if exact_years:
        parts.append(f"De DUO-aantallen van {_years(exact_years)} zijn exact")
    if estimated_years:
        parts.append(
            f"die van {_years(estimated_years)} bevatten schattingen"
            if parts
            else f"De DUO-aantallen van {_years(estimated_years)} bevatten schattingen"
        )
    return MASKING + (" " + "; ".join(parts) + "." if parts else "")


def agreement_rule(rules: dict) -> str:
    domains = " of ".join(rules["domains"])
    return (
        f"We tellen leerlingen met {domains} (hulp die het lokale team regelt) die in een andere gemeente naar "
        f"school gaan dan de gemeente van hun lokale team. Tussen het lokale team van gemeente A en de scholen in "
        f"gemeente B is een afspraak nodig vanaf {rules['pair_agreement_needed']} leerlingen in een schooljaar; "
        f"vanaf {rules['pair_attention']} leerlingen is het een aandachtspunt. Voor één school en één lokaal team "
        f"is een afspraak nodig vanaf {rules['school_agreement_needed']} leerlingen en een aandachtspunt vanaf "
        f"{rules['school_attention']}. De drempels zijn een startpunt dat de regio zelf vaststelt, geen wettelijke norm."
    )


SYNTHETIC_WARNING = (
    "LET OP: de gegevens over hulp (jeugdhulp, jeugdbescherming, onderwijsondersteuning, leerplicht) in deze "
    "uitvoer zijn een SYNTHETISCHE DEMO: verzonnen leerlingen, gemaakt om het product te laten zien. Het zijn geen "
    "echte leerlingen en geen echte hulptrajecten; gebruik deze aantallen niet voor besluiten."
)

# A school year without linked records: no figures on support or agreements, and no source for them.
NO_LINKED = (
    "Voor schooljaar {year} zijn er geen gekoppelde registraties van hulp en inschrijvingen: voor dit jaar "
    "zijn er geen cijfers over leerlingen met hulp, afspraken of coördinatielast."
)

COMMUNITIES = (
    "Gemeenten die veel leerlingen met elkaar uitwisselen, vormen samen een kandidaat-deelregio. We vinden die "
    "groepen met de Louvain-methode op de stromen tussen gemeenten (leerlingen die in de eigen gemeente naar school "
    "gaan tellen niet mee; vaste startwaarde, dus elke keer dezelfde uitkomst). Het is een hulpmiddel om te bespreken "
    "welke gemeenten samen afspraken met scholen kunnen maken, geen besluit. Gemeenten binnen de regio zijn "
    "ingedeeld met de stromen van heel Nederland; grijs: niet ingedeeld."
)
