"""The dashboards: OUT/site/ from the templates and static files in the top-level ``dashboards/`` folder.

Every number on a page is a label of grensverkeer.site.publish (disclosure control applied), or a sum or
difference of shown labels only (Publication.derived). This module turns the publication into page contexts
(plain rows of codes and labels); the templates (Jinja2, autoescaped) decide how they look, see
dashboards/README.md.
"""

from __future__ import annotations

import importlib.resources
import json
import shutil
from functools import cached_property
from pathlib import Path

import duckdb
import plotly
import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .. import texts_nl
from ..disclosure import DisclosureSettings, explanation_nl
from ..disclosure.need_levels import lowest_level
from ..settings import PROJECT_ROOT, REFERENCE_DIR, Region
from . import figures as F
from . import spec
from .format import fmt, fnum, pct_label
from .publish import ALLE, BUITEN, OVERIG, REST, SECTOR_ORDER, Publication, build_publication, least
from .swv import SwvData, load_swv, swv_name

DASHBOARDS_DIR = PROJECT_ROOT / "dashboards"  # templates/ and static/ (found from the repository root)
PAGES = [
    ("index.html", "Overzicht"),
    ("veranderd.html", "Wat is er veranderd"),
    ("stromen.html", "Stromen"),
    ("kaart.html", "Kaart"),
    ("afspraken.html", "Afspraken"),
    ("swv.html", "Samenwerkingsverbanden"),
    ("gemeenten.html", "Per gemeente"),
    ("scholen.html", "Per school"),
]
SOURCE_NL = {
    "duo": "DUO open data (telling 1 oktober)",
    "synthetic": "synthetische demo (verzonnen leerlingen)",
    "linked": "gekoppelde, gepseudonimiseerde registraties",
}
SOURCE_KORT = {"duo": "DUO", "synthetic": "synthetische demo", "linked": "registraties"}
GE_UITLEG = (
    "Sommige getallen zijn opgeteld uit getoonde getallen (alle sectoren samen, naar school elders, de regio). "
    "Is een deel daarvan verborgen, dan staat er '≥' (minstens): het kleinste getal dat het kan zijn, met 1 voor "
    "elke '<5' of 'niet getoond' en 5 voor elke 'x'. Staat er '–', dan is het niet te geven zonder een verborgen "
    "getal te verraden."
)
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
# need levels sort by pub_agreement_needs.level_rank; a grouped level (printed next to hidden counts,
# disclosure/need_levels.py) is coloured by the lowest level it holds, so a possible agreement is never
# shown as more certain than it is
LEVEL_CSS = {"afspraak nodig": "niveau-afspraak", "aandachtspunt": "niveau-aandacht", "geen": "niveau-geen"}


def level_css(label: str | None) -> str:
    return LEVEL_CSS.get(lowest_level(label), "") if label else ""


EXPORT_FILES = [
    ("Excel", "afspraken.xlsx"),
    ("stromen (CSV)", "stromen.csv"),
    ("afspraken (CSV)", "afspraken_gemeenten.csv"),
    ("verantwoording", "manifest.json"),
]
OUTSIDE_PARTNERS = 3  # outside-region school municipalities shown by name as columns of the agreement matrix


def least_value(label: str) -> int:
    """The least count a label stands for ('x' as 0 here: for sorting only)."""
    return least(label, 0) if label not in ("x", ".") else 0


def least_drawn(labels: list[str | None], k: int) -> int | None:
    """The size a circle may draw for a sum of published labels: the least it can be (exact when every part
    is shown, as drawn() does for a '≥n' label); nothing below k."""
    v = sum(least(lab, k) for lab in labels if lab is not None)
    return v if v >= k else None


def _json(obj) -> Markup:
    """JSON inside a <script>: '</' cannot end the script, so page text stays data."""
    return Markup(
        json.dumps(obj, separators=(",", ":"), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False).replace(
            "</", "<\\/"
        )
    )


def municipality_names() -> dict[str, str]:
    """Every Dutch municipality code with its name (CBS, data/reference): no page shows a code as a name."""
    ref = pl.read_csv(REFERENCE_DIR / "municipalities.csv", columns=["code", "name"], infer_schema=False)
    return dict(ref.iter_rows())


class Site:
    def __init__(self, pub: Publication, out: Path, exports_dir: Path | None = None):
        self.pub, self.out = pub, out
        self.region = pub.region
        self.years = sorted(pub.years)
        self.files: list[Path] = []
        self.names = municipality_names() | pub.names
        self.exports_dir = exports_dir
        self.factsheets = False
        self.env = Environment(
            loader=FileSystemLoader(DASHBOARDS_DIR / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(fmt=fmt, fnum=fnum)
        self.env.globals.update(
            naam=self.name,
            sector_naam=lambda s: "Alle sectoren" if s == ALLE else s,
            members=set(self.region.members),
            school_names=pub.school_names,
            region_name=self.region.name,
            nav=PAGES,
            bron_tekst=self.source_text,
            geen_registraties=self.no_linked,
            is_duo=lambda Y: self.pub.years[Y].source == "duo",
            texts={
                "rule": texts_nl.agreement_rule(self.region.agreements),
                "disclosure": explanation_nl(pub.settings),
                "masking": self.masking_text(),
                "ge": GE_UITLEG,
                "communities": texts_nl.COMMUNITIES,
            },
        )

    # ------------------------------------------------------------------ helpers
    def masking_text(self) -> str:
        """How masked DUO cells are estimated, naming the published DUO years exact or estimated:
        only the years of this publication (a year gone from the input folder is not named)."""
        duo = {Y: y for Y, y in self.pub.years.items() if y.source == "duo"}
        estimated = [Y for Y, y in duo.items() if (y.catchment["low"] < y.catchment["high"]).any()]
        return texts_nl.masking([Y for Y in duo if Y not in estimated], estimated)

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def sectors(self, year: str) -> list[str]:
        """The sectors of a school year, with 'Alle sectoren' first when there are several."""
        s = self.pub.years[year].sectors
        return ([ALLE] if len(s) > 1 else []) + s

    def source_text(self, year: str, kind: str = "flows") -> str:
        y = self.pub.years[year]
        src = y.source if kind == "flows" else y.support_source
        return ", ".join(SOURCE_NL.get(s.strip(), s) for s in src.split(","))

    def no_linked(self, year: str, kind: str = "flows") -> str | None:
        """A year without linked records says so where its support figures would be (no count, not '0')."""
        if kind == "flows" or self.pub.years[year].support_source:
            return None
        return texts_nl.NO_LINKED.format(year=year)

    @staticmethod
    def source_short(src: str) -> str:
        return ", ".join(SOURCE_KORT.get(s.strip(), s.strip()) for s in src.split(","))

    def synthetic(self, years: list[str], kinds: tuple[str, ...] = ("flows", "support")) -> bool:
        """Whether a page built from these years shows anything synthetic (then it gets the banner, once)."""
        for Y in years:
            y = self.pub.years[Y]
            srcs = ({y.source} if "flows" in kinds else set()) | (
                {s.strip() for s in (y.support_source or "").split(",")} if "support" in kinds else set()
            )
            if "synthetic" in srcs:
                return True
        return False

    def sector_controls(self) -> dict:
        opts = {y: self.sectors(y) for y in self.years}
        order = [ALLE, *SECTOR_ORDER]
        all_s = sorted({s for v in opts.values() for s in v}, key=lambda s: order.index(s) if s in order else 99)
        return {"sector_options": json.dumps(opts), "all_sectors": all_s}

    @cached_property
    def downloads(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Links to the export files of each school year that exist next to the site (OUT/exports/<year>/).
        Looked up once: the exports are written before the site, and every page links them."""
        if self.exports_dir is None:
            return []
        rel = (
            Path("..") / self.exports_dir.relative_to(self.out.parent)
            if self.exports_dir.is_relative_to(self.out.parent)
            else None
        )
        out = []
        for Y in reversed(self.years):
            files = [
                (label, (rel / Y / f).as_posix())
                for label, f in EXPORT_FILES
                if rel is not None and (self.exports_dir / Y / f).exists()
            ]
            if files:
                out.append((Y, files))
        return out

    def render(
        self,
        template: str,
        rel: str,
        title: str,
        *,
        figs: dict | None = None,
        flows: dict | None = None,
        banner: bool = False,
        **ctx,
    ) -> None:
        prefix = "../" * rel.count("/")
        downloads = [(Y, [(n, prefix + h) for n, h in files]) for Y, files in self.downloads]
        ctx.setdefault("years", self.years)
        doc = self.env.get_template(template).render(
            rel=rel,
            prefix=prefix,
            title=title,
            banner=texts_nl.SYNTHETIC_WARNING if banner else None,
            downloads=downloads,
            factsheets=self.factsheets,
            figs_json=_json(figs or {}),
            flows_json=_json(flows or {}),
            config_json=_json(CONFIG),
            **ctx,
        )
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc, encoding="utf-8")
        self.files.append(path)

    # ------------------------------------------------------------------ pages
    def overzicht(self) -> None:
        P, R = self.pub, self.region.codes
        blocks = []
        for Y in reversed(self.years):
            y = P.years[Y]
            rows = [
                {
                    "sector": S,
                    "woon": P.label(f"rwoon|{Y}|{S}"),
                    "elders": P.label(f"relders|{Y}|{S}"),
                    "share": pct_label(P.label(f"relders|{Y}|{S}"), P.label(f"rwoon|{Y}|{S}")),
                }
                for S in self.sectors(Y)
            ]
            blocks.append(
                {
                    "year": Y,
                    "total": P.label(f"tot|{Y}|{self.sectors(Y)[0]}"),
                    "rows": rows,
                    "flow_source": self.source_short(y.source),
                    "support_source": self.source_short(y.support_source)
                    if y.support_source
                    else "geen gekoppelde registraties",
                    # no linked records this year: no count, not "0"
                    "needed_pairs": y.pairs.filter(
                        pl.col("A").is_in(R) & pl.col("B").is_in(R) & (pl.col("need_level") == "afspraak nodig")
                    ).height
                    if y.support_source
                    else None,
                    "needed_schools": y.schools.filter(
                        pl.col("B").is_in(R) & (pl.col("need_level") == "afspraak nodig")
                    )["school_location_id"].n_unique()
                    if y.support_source
                    else None,
                    "support_line": not y.support_source or (bool(y.pairs.height) and y.support_source != y.source),
                }
            )
        by_src: dict[str, list[str]] = {}
        for Y in self.years:
            by_src.setdefault(self.source_short(P.years[Y].source), []).append(Y)
        mixed = "; ".join(f"{', '.join(ys)}: {src}" for src, ys in by_src.items()) if len(by_src) > 1 else ""
        self.render(
            "overzicht.html",
            "index.html",
            "Overzicht",
            blocks=blocks,
            mixed_sources=mixed,
            banner=self.synthetic(self.years),
        )

    def stromen(self) -> None:
        P, R = self.pub, self.region.codes
        G = R + [BUITEN]
        figs, parts = {}, []
        for Y in self.years:
            for S in self.sectors(Y):
                key = f"{Y}|{S}"
                figs["sankey|" + key] = F.sankey(P, self.name, Y, S, G)
                figs["matrix|" + key] = F.od_matrix(P, self.name, Y, S, G)
                rows = [
                    {
                        "code": m,
                        "woon": P.label(f"woon|{Y}|{S}|{m}"),
                        "eigen": P.label(f"f|{Y}|{S}|{m}|{m}"),
                        "elders": P.label(f"elders|{Y}|{S}|{m}"),
                        "instroom": P.label(f"instroom|{Y}|{S}|{m}"),
                        "netto": P.derived([f"instroom|{Y}|{S}|{m}"], [f"elders|{Y}|{S}|{m}"]),
                    }
                    for m in R
                ]
                pairs = []
                for i, a in enumerate(R):
                    for b in R[i + 1 :]:
                        ab, ba = P.shown(f"f|{Y}|{S}|{a}|{b}"), P.shown(f"f|{Y}|{S}|{b}|{a}")
                        if ab is not None and ba is not None and ab + ba > 0:
                            pairs.append({"total": ab + ba, "a": a, "b": b, "ab": ab, "ba": ba, "net": ab - ba})
                pairs.sort(key=lambda p: (-p["total"], p["a"], p["b"]))
                parts.append({"year": Y, "sector": S, "key": key, "rows": rows, "pairs": pairs[:15]})
        self.render(
            "stromen.html",
            "stromen.html",
            "Stromen",
            figs=figs,
            parts=parts,
            banner=self.synthetic(self.years, ("flows",)),
            **self.sector_controls(),
        )

    def kaart(self) -> None:
        P, R = self.pub, self.region.codes
        geo = F.MapGeometry(set(self.region.members), self.map_extra())
        figs, flows, parts = {}, {}, []
        scales = self.map_scales()
        for Y in self.years:
            for S in self.sectors(Y):
                key = f"kaart|{Y}|{S}"
                fl, circles = self.map_flows(Y, S)
                figs[key], flows[key] = F.flow_map(P, self.map_name(Y), Y, S, geo, fl, circles, scales[S])
                comm = F.community_map(P, self.name, Y, S, geo)
                if comm:
                    figs["deelregio|" + key] = comm
                parts.append({"year": Y, "sector": S, "key": key, "community": bool(comm)})
        self.render(
            "kaart.html",
            "kaart.html",
            "Kaart",
            figs=figs,
            flows=flows,
            parts=parts,
            map_codes=R,
            banner=self.synthetic(self.years, ("flows",)),
            **self.sector_controls(),
        )

    def drawn(self, cell_id: str) -> int | None:
        """The size a figure may draw for a label: an exact count, or the least value of a '≥n' label; nothing for
        '<5', 'x' or a least value below k (a width would suggest a size)."""
        lab = self.pub.label(cell_id)
        if lab is None:
            return None
        v = int(lab) if lab.isdigit() else int(lab[1:]) if lab.startswith("≥") and lab[1:].isdigit() else None
        return v if v is not None and v >= self.pub.settings.k else None

    def map_flows(self, Y: str, S: str):
        """Shown flows (pupils, origin, destination), largest first, and per place its circles (own, outgoing,
        incoming). In a DUO year the region's largest outside partners are places of their own, by name
        (fb cells); 'Buiten de regio' is then the other outside municipalities."""
        D, R = self.drawn, self.region.codes
        named = self.pub.years[Y].named_outside
        fl = []
        for o in R:
            for d in R:
                v = D(f"f|{Y}|{S}|{o}|{d}") if o != d else None
                if v:
                    fl.append((v, o, d))
        outside = [*named, BUITEN]
        for c in R:
            for x in outside:
                for o, d in ((c, x), (x, c)):
                    v = D(f"fb|{Y}|{S}|{o}|{d}") if named else D(f"f|{Y}|{S}|{o}|{d}")
                    if v:
                        fl.append((v, o, d))
        fl.sort(key=lambda t: (-t[0], t[1], t[2]))
        circles = {c: (D(f"f|{Y}|{S}|{c}|{c}"), D(f"elders|{Y}|{S}|{c}"), D(f"instroom|{Y}|{S}|{c}")) for c in R}
        if not named:
            # 'Buiten de regio': outgoing = region pupils schooled outside, incoming = outside pupils schooled here
            circles[BUITEN] = (None, D(f"school|{Y}|{S}|{BUITEN}"), D(f"woon|{Y}|{S}|{BUITEN}"))
            return fl, circles
        P, k = self.pub, self.pub.settings.k
        for x in outside:
            into = least_drawn([P.label(f"fb|{Y}|{S}|{c}|{x}") for c in R], k)
            out_of = least_drawn([P.label(f"fb|{Y}|{S}|{x}|{c}") for c in R], k)
            circles[x] = (None, into, out_of)
        return fl, circles

    def map_name(self, Y: str):
        """Names on the map of year Y: 'Buiten de regio' is 'overig' when outside partners have their own point."""
        named = self.pub.years[Y].named_outside
        return lambda c: "Overig buiten de regio" if c == BUITEN and named else self.name(c)

    def map_extra(self) -> set[str]:
        return {x for y in self.pub.years.values() for x in y.named_outside}

    def map_scales(self) -> dict[str, tuple[float, float]]:
        """Per sector the largest flow and the largest circle over every school year: one scale for all years."""
        out: dict[str, tuple[float, float]] = {}
        for Y in self.years:
            for S in self.sectors(Y):
                fl, circles = self.map_flows(Y, S)
                vmax = max([v for v, _, _ in fl] or [1])
                cmax = max([v or 0 for t in circles.values() for v in t] or [1])
                a, b = out.get(S, (1, 1))
                out[S] = (max(a, vmax), max(b, cmax))
        return out

    def afspraken(self) -> None:
        P, R = self.pub, self.region.codes
        blocks = []
        for Y in self.years:
            y = P.years[Y]
            pairs = y.pairs.sort("level_rank", "students", "A", "B", descending=[False, True, False, False])
            # columns: the region, then the outside school municipalities its local teams work with most
            outside = (
                pairs.filter(pl.col("A").is_in(R) & ~pl.col("B").is_in(R))
                .group_by("B")
                .agg(pl.col("students").sum())
                .sort("students", "B", descending=[True, False])["B"]
                .head(OUTSIDE_PARTNERS)
                .to_list()
            )
            columns = R + outside
            level = {(r["A"], r["B"]): r["need_level"] for r in pairs.iter_rows(named=True)}
            matrix = [
                {
                    "a": a,
                    "cells": [
                        {
                            "b": b,
                            "level": level.get((a, b)) if a != b else None,
                            "css": level_css(level.get((a, b))),
                            "label": P.label(f"pair|{Y}|{a}|{b}"),
                        }
                        for b in columns
                    ],
                }
                for a in R
            ]
            sch = y.schools.filter(pl.col("need_level") != "geen").sort(
                "level_rank", "students", "school_location_id", descending=[False, True, False]
            )
            by_pair: dict[tuple[str, str], list[dict]] = {}
            for r in sch.iter_rows(named=True):
                by_pair.setdefault((r["A"], r["B"]), []).append(
                    {
                        "level": r["need_level"],
                        "sid": r["school_location_id"],
                        "name": r["school_name"],
                        "label": P.label(f"sch|{Y}|{r['A']}|{r['school_location_id']}"),
                    }
                )
            plist = []
            for r in pairs.iter_rows(named=True):
                lab = P.label(f"pair|{Y}|{r['A']}|{r['B']}")
                plist.append(
                    {
                        "a": r["A"],
                        "b": r["B"],
                        "level": r["need_level"],
                        "label": lab,
                        "ook": P.label(f"ook|{Y}|{r['A']}|{r['B']}"),
                        # the number of schools bounds the count: only next to a shown count
                        "schools": r["schools"] if lab and lab.isdigit() else None,
                        "rows": by_pair.get((r["A"], r["B"]), []),
                    }
                )
            coord = []
            for r in y.coordination.sort("local_teams", "students", descending=True).iter_rows(named=True):
                lab = P.label(f"coord|{Y}|{r['school_location_id']}")
                shown = lab is not None and lab.isdigit()
                coord.append(
                    {
                        "sid": r["school_location_id"],
                        "name": r["school_name"],
                        "b": r["B"],
                        "label": lab,
                        "teams": str(r["local_teams"]) if shown else "–",
                        "elsewhere": str(r["local_teams_elsewhere"]) if shown else "–",
                    }
                )
            groups = [{"a": a, "pairs": [p for p in plist if p["a"] == a]} for a in R]
            groups.append({"a": None, "pairs": [p for p in plist if p["a"] not in R]})
            groups = [
                g | {"needed": sum(p["level"] == "afspraak nodig" for p in g["pairs"])} for g in groups if g["pairs"]
            ]
            blocks.append({"year": Y, "columns": columns, "matrix": matrix, "groups": groups, "coordination": coord})
        in_pairs = {c for y in P.years.values() for c in y.pairs["A"].to_list()}
        in_pairs_b = {c for y in P.years.values() for c in y.pairs["B"].to_list()}
        self.render(
            "afspraken.html",
            "afspraken.html",
            "Afspraken",
            blocks=blocks,
            filter_a=sorted(in_pairs | set(R), key=self.name),
            filter_b=sorted(in_pairs_b | set(R), key=self.name),
            banner=self.synthetic(self.years, ("support",)),
        )

    def samenwerkingsverbanden(self, data: SwvData | None) -> None:
        """swv.html and one page per SWV with PC4 in the region (DUO years only)."""
        if data is None:
            return
        L = data.labels
        codes = sorted(data.areas)
        self.env.globals["swv_naam"] = swv_name
        self.env.globals["gebied_namen"] = lambda x: ", ".join(
            self.name(c) + (" (deels)" if (x, c) in data.split else "") for c in data.areas.get(x, [])
        )
        self.render(
            "swv.html",
            "swv.html",
            "Samenwerkingsverbanden passend onderwijs",
            split=data.split,
            areas=[{"code": x, "name": swv_name(x), "members": data.areas[x]} for x in codes],
        )
        for x in codes:
            sectors = data.sectors[x[:2]]
            parts = []
            for Y in data.years:
                dests = [
                    d
                    for d in [*codes, "ANDER", "onbekend"]
                    if d[:2] in (x[:2], "AN", "on") and any(f"swv|{Y}|{x}|{S}|{d}" in L for S in sectors)
                ]
                home = [{"code": d, "labels": [L.get(f"swv|{Y}|{x}|{S}|{d}") for S in sectors]} for d in dests]
                teams = [
                    {"code": o, "labels": [L.get(f"swvteam|{Y}|{x}|{S}|{o}") for S in sectors]}
                    for o in data.origins.get((Y, x), [])
                ]
                parts.append(
                    {
                        "year": Y,
                        "home": home,
                        "teams": teams,
                        "home_total": [L.get(f"swvwoon|{Y}|{x}|{S}") for S in sectors],
                        "team_total": [L.get(f"swvschool|{Y}|{x}|{S}") for S in sectors],
                    }
                )
            needs = self.swv_needs(x)
            self.render(
                "swv_gebied.html",
                f"swv/{x}.html",
                f"Samenwerkingsverband {swv_name(x)}",
                code=x,
                gebied=data.areas[x],
                split=data.split,
                areas=set(codes),
                sectors=sectors,
                parts=parts,
                years=data.years,
                needs=needs,
                banner=self.synthetic([n["year"] for n in needs], ("support",)),
            )

    @cached_property
    def swv_pair_teams(self) -> dict[tuple[str, str], list[str]]:
        """(school year, SWV) -> the local teams with a published swvpaar cell, in label order:
        one pass over the labels instead of one per SWV page."""
        out: dict[tuple[str, str], list[str]] = {}
        for c in self.pub.labels:
            if c.startswith("swvpaar|"):
                _, Y, a, x = c.split("|")
                out.setdefault((Y, x), []).append(a)
        return out

    def swv_needs(self, x: str) -> list[dict]:
        """Per school year with linked records: the local teams whose pupils with support go to school (in
        another municipality) in the area of SWV x, with the published count (swvpaar), and the municipalities
        of the listed schools (rows already on Afspraken; a school's SWV follows from its public address)."""
        P, out = self.pub, []
        for Y in self.years:
            y = P.years[Y]
            teams = self.swv_pair_teams.get((Y, x), [])
            if not teams:
                continue
            listed = y.schools.filter(
                pl.col("school_location_id").replace_strict(y.school_swv, default="", return_dtype=pl.String) == x
            )
            rows = [
                {
                    "a": a,
                    "label": P.label(f"swvpaar|{Y}|{a}|{x}"),
                    "b": sorted(set(listed.filter(pl.col("A") == a)["B"].to_list()), key=self.name),
                }
                for a in teams
            ]
            rows.sort(key=lambda r: (-least_value(r["label"]), self.name(r["a"])))
            out.append({"year": Y, "rows": rows})
        return out

    def veranderd(self) -> None:
        """The first and the last real (DUO) school year side by side; synthetic years are never joined to them."""
        P, R = self.pub, self.region.codes
        duo = [Y for Y in self.years if P.years[Y].source == "duo"]
        first, last = (duo[0], duo[-1]) if len(duo) > 1 else (None, None)
        ctx = {"first": first, "last": last}
        if first:
            sectors = [S for S in SECTOR_ORDER if S in P.years[first].sectors and S in P.years[last].sectors]

            def share(Y, S, c):
                e, w = P.shown(f"elders|{Y}|{S}|{c}"), P.shown(f"woon|{Y}|{S}|{c}")
                return 100 * e / w if e is not None and w else None

            def pct1(v):
                return "–" if v is None else f"{v:.1f}%".replace(".", ",")

            rows, changes = [], []
            for c in R:
                cells = []
                for S in sectors:
                    a, b = share(first, S, c), share(last, S, c)
                    cells.append((pct1(a), pct1(b)))
                    if a is not None and b is not None:
                        d = b - a
                        changes.append(
                            {
                                "code": c,
                                "sector": S,
                                "then": pct1(a),
                                "now": pct1(b),
                                "then_v": a,
                                "now_v": b,
                                "diff_v": d,
                                "diff": ("+" if d > 0 else "") + f"{d:.1f}".replace(".", ","),
                            }
                        )
                rows.append({"code": c, "cells": cells})
            changes.sort(key=lambda r: -abs(r["diff_v"]))
            own = []
            for S in [s for s in ("SO", "VSO") if s in sectors]:
                vals = {}
                for Y in (first, last):
                    inside = P.derived([f"rwoon|{Y}|{S}"], [f"f|{Y}|{S}|{c}|{BUITEN}" for c in R])
                    woon = P.shown(f"rwoon|{Y}|{S}")
                    vals[Y] = (
                        P.label(f"rwoon|{Y}|{S}"),
                        pct1(100 * inside / woon) if inside is not None and woon else "–",
                    )
                own.append(
                    {
                        "sector": S,
                        "woon_then": vals[first][0],
                        "then": vals[first][1],
                        "woon_now": vals[last][0],
                        "now": vals[last][1],
                    }
                )
            ctx |= {"sectors": sectors, "rows": rows, "largest": changes[:10], "own_region": own}
        self.render("veranderd.html", "veranderd.html", "Wat is er veranderd", **ctx)

    def gemeenten(self) -> None:
        self.render("gemeenten.html", "gemeenten.html", "Per gemeente", codes=self.region.codes)
        for c in self.region.codes:
            self.gemeente(c)

    def gemeente(self, c: str) -> None:
        P, G = self.pub, self.region.codes + [BUITEN]
        parts = []
        for Y in self.years:
            y = P.years[Y]
            rows = [
                {
                    "sector": S,
                    "woon": P.label(f"woon|{Y}|{S}|{c}"),
                    "eigen": P.label(f"f|{Y}|{S}|{c}|{c}"),
                    "elders": P.label(f"elders|{Y}|{S}|{c}"),
                    "instroom": P.label(f"instroom|{Y}|{S}|{c}"),
                }
                for S in self.sectors(Y)
            ]
            flows_out = [
                {
                    "sector": S,
                    "code": d,
                    "label": P.label(f"f|{Y}|{S}|{c}|{d}"),
                    "estimate": bool(P.label(f"lo|{Y}|{S}|{c}|{d}")),
                }
                for S in y.sectors
                for d in G
                if d != c and P.label(f"f|{Y}|{S}|{c}|{d}") not in (None, "0")
            ]
            flows_in = [
                {"sector": S, "code": o, "label": P.label(f"f|{Y}|{S}|{o}|{c}")}
                for S in y.sectors
                for o in G
                if o != c and P.label(f"f|{Y}|{S}|{o}|{c}") not in (None, "0")
            ]
            schools = [
                {
                    "sid": r["school_location_id"],
                    "name": r["school_name"],
                    "sector": r["sector"],
                    "label": P.label(f"st|{Y}|{r['sector']}|{r['school_location_id']}"),
                }
                for r in y.catchment.filter(pl.col("d") == c)
                .select("school_location_id", "school_name", "sector")
                .unique()
                .sort("school_name", "sector", "school_location_id")  # schools of one name: by location code
                .iter_rows(named=True)
            ]
            support = None
            if y.support_profile.filter(pl.col("A") == c).height:
                sch = y.schools.filter((pl.col("A") == c) & (pl.col("B") != c) & (pl.col("need_level") != "geen")).sort(
                    "B", "students", "school_location_id", descending=[False, True, False]
                )
                support = {
                    "hulp": P.label(f"mhulp|{Y}|{c}"),
                    "elders": P.label(f"melders|{Y}|{c}"),
                    "pairs": [
                        {"level": r["need_level"], "b": r["B"], "label": P.label(f"pair|{Y}|{c}|{r['B']}")}
                        for r in y.pairs.filter(pl.col("A") == c)
                        .sort("students", descending=True)
                        .iter_rows(named=True)
                    ],
                    "schools": [
                        {
                            "level": r["need_level"],
                            "b": r["B"],
                            "sid": r["school_location_id"],
                            "name": r["school_name"],
                            "label": P.label(f"sch|{Y}|{c}|{r['school_location_id']}"),
                        }
                        for r in sch.iter_rows(named=True)
                    ],
                }
            parts.append(
                {
                    "year": Y,
                    "rows": rows,
                    "flows_out": flows_out,
                    "flows_in": flows_in,
                    "schools": schools,
                    "support": support,
                }
            )
        self.render(
            "gemeente.html",
            f"gemeente/{c}.html",
            self.name(c),
            figs={"trend": self.trend_fig(c)},
            parts=parts,
            code=c,
            banner=self.synthetic(self.years),
        )

    def trend_fig(self, c: str) -> dict:
        """Residents schooled elsewhere per year, one line per sector and source: years from different sources are
        never joined into one trend."""
        P = self.pub
        by_src: dict[str, list[str]] = {}
        for Y in self.years:
            by_src.setdefault(self.source_short(P.years[Y].source), []).append(Y)
        if len(by_src.get(SOURCE_KORT["duo"], [])) > 1:  # two real years: the trend is the real one only
            by_src = {SOURCE_KORT["duo"]: by_src[SOURCE_KORT["duo"]]}
        data = []
        for src, years in by_src.items():
            for S in sorted({s for Y in years for s in P.years[Y].sectors}, key=SECTOR_ORDER.index):
                xs = [Y for Y in years if S in P.years[Y].sectors]
                ys = [P.shown(f"elders|{Y}|{S}|{c}") for Y in xs]
                name = S if len(by_src) == 1 else f"{S} ({src})"
                data.append(
                    spec.trace(
                        "scatter",
                        x=xs,
                        y=ys,
                        mode="lines+markers",
                        name=name,
                        text=[fnum(v) for v in ys],
                        line=dict(dash="dot" if src == SOURCE_KORT["synthetic"] else "solid"),
                        hovertemplate=name + ", %{x}: %{text} naar school elders<extra></extra>",
                    )
                )
        return spec.figure(
            data,
            title=spec.title(
                f"Inwoners van {self.name(c)} die elders naar school gaan, per jaar"
                + (
                    " (echte DUO-tellingen; synthetische jaren staan er niet in)"
                    if len(by_src) == 1 and SOURCE_KORT["duo"] in by_src
                    else ", per bron"
                )
            ),
            margin=dict(l=40, r=10, t=50, b=40),
            yaxis=dict(title=spec.title("leerlingen"), separatethousands=True),
            xaxis=dict(type="category", categoryorder="array", categoryarray=[Y for ys in by_src.values() for Y in ys]),
            separators=",.",
        )

    def factsheets_all(self) -> None:
        self.factsheets = True
        for c in self.region.codes:
            self.factsheet(c)

    def factsheet(self, c: str) -> None:
        """One A4 page per municipality: headline figures of the latest real (DUO) year, its flow map, its
        agreement needs of the latest year with support records, the rules."""
        P = self.pub
        duo = [Y for Y in self.years if P.years[Y].source == "duo"] or self.years
        Y = duo[-1]
        S0 = self.sectors(Y)[0]
        head = {
            "woon": P.label(f"woon|{Y}|{S0}|{c}"),
            "elders": P.label(f"elders|{Y}|{S0}|{c}"),
            "instroom": P.label(f"instroom|{Y}|{S0}|{c}"),
            "share": pct_label(P.label(f"elders|{Y}|{S0}|{c}"), P.label(f"woon|{Y}|{S0}|{c}")),
        }
        rows = [
            {
                "sector": S,
                "woon": P.label(f"woon|{Y}|{S}|{c}"),
                "eigen": P.label(f"f|{Y}|{S}|{c}|{c}"),
                "elders": P.label(f"elders|{Y}|{S}|{c}"),
                "instroom": P.label(f"instroom|{Y}|{S}|{c}"),
                "share": pct_label(P.label(f"elders|{Y}|{S}|{c}"), P.label(f"woon|{Y}|{S}|{c}")),
            }
            for S in self.sectors(Y)
        ]
        geo = F.MapGeometry(set(self.region.members), self.map_extra())
        fl, circles = self.map_flows(Y, S0)
        mine = [t for t in fl if c in (t[1], t[2])][:10]
        fig, _ = F.flow_map(P, self.map_name(Y), Y, S0, geo, mine, circles, self.map_scales()[S0])
        for t in fig["data"]:
            t["visible"] = True
        fig["layout"].update(
            width=640,
            height=320,
            margin=dict(l=0, r=0, t=30, b=0),
            title=dict(text=f"Stromen van en naar {self.name(c)} ({F.sector_name(S0)}), {Y}"),
        )
        sup = [Y2 for Y2 in self.years if P.years[Y2].pairs.height]
        ctx = {"support_year": None, "pairs": [], "needed": 0, "more_pairs": 0}
        if sup:
            Ys = sup[-1]
            pairs = (
                P.years[Ys]
                .pairs.filter((pl.col("A") == c) | (pl.col("B") == c))
                .sort("level_rank", "students", "A", "B", descending=[False, True, False, False])
            )
            needed = pairs.filter(pl.col("need_level") == "afspraak nodig")
            top = needed.head(8)
            ctx = {
                "support_year": Ys,
                "needed": needed.height,
                "more_pairs": pairs.height - top.height,
                "pairs": [
                    {
                        "level": r["need_level"],
                        "a": r["A"],
                        "b": r["B"],
                        "label": P.label(f"pair|{Ys}|{r['A']}|{r['B']}"),
                    }
                    for r in top.iter_rows(named=True)
                ],
            }
        self.render(
            "factsheet.html",
            f"factsheet/{c}.html",
            f"Factsheet {self.name(c)}",
            figs={"kaart": fig},
            code=c,
            flow_year=Y,
            head=head,
            rows=rows,
            banner=self.synthetic([Y] + ([ctx["support_year"]] if ctx["support_year"] else [])),
            **ctx,
        )

    def scholen(self) -> None:
        P = self.pub
        by_m: dict[str, list[str]] = {}
        for sid, m in P.school_municipality.items():
            by_m.setdefault(m, []).append(sid)
        groups = [
            {"code": m, "schools": sorted(by_m.get(m, []), key=lambda s: (P.school_names[s], s))}
            for m in self.region.codes
        ]
        self.render("scholen.html", "scholen.html", "Per school", groups=groups)
        for sid in sorted(P.school_names):
            self.school(sid)

    def _by_school(self, Y: str) -> dict[str, dict]:
        """The year's catchment sectors, coördinatielast row and listed school rows (need level not
        'geen', most pupils first) per school, split once as plain values (not filtered per page)."""
        cache = self.__dict__.setdefault("_school_parts", {})
        if Y not in cache:
            y = self.pub.years[Y]
            sectors = y.catchment.group_by("school_location_id").agg(pl.col("sector").unique())
            listed: dict[str, list[dict]] = {}
            for r in y.schools.filter(pl.col("need_level") != "geen").iter_rows(named=True):
                listed.setdefault(r["school_location_id"], []).append(r)
            coordination: dict[str, dict] = {}
            for r in y.coordination.iter_rows(named=True):
                coordination.setdefault(r["school_location_id"], r)  # the first row, as before
            cache[Y] = {
                "sectors": {sid: sorted(s) for sid, s in sectors.iter_rows()},
                "coordination": coordination,
                # a stable sort, as polars' on these few rows of a school (at most about a dozen)
                "schools": {
                    sid: sorted(rows, key=lambda r: r["students"], reverse=True) for sid, rows in listed.items()
                },
            }
        return cache[Y]

    def school(self, sid: str) -> None:
        P = self.pub
        parts, coord_x, coord_y, coord_t = [], [], [], []
        for Y in self.years:
            by = self._by_school(Y)
            catchments = []
            for S in by["sectors"].get(sid, []):
                rows = [
                    {"code": o, "label": P.label(f"c|{Y}|{S}|{sid}|{o}")}
                    for o in self.region.codes + [BUITEN, OVERIG]
                    if P.label(f"c|{Y}|{S}|{sid}|{o}") is not None
                ]
                catchments.append({"sector": S, "rows": rows, "total": P.label(f"st|{Y}|{S}|{sid}")})
            support = None
            coord = P.label(f"coord|{Y}|{sid}")
            if coord is not None:
                cr = by["coordination"][sid]
                coord_x.append(Y)
                coord_y.append(P.shown(f"coord|{Y}|{sid}"))
                coord_t.append(fmt(coord))
                support = {
                    "label": coord,
                    "teams": str(cr["local_teams"]) if coord.isdigit() else "–",
                    "rows": [
                        {"a": r["A"], "level": r["need_level"], "label": P.label(f"sch|{Y}|{r['A']}|{sid}")}
                        for r in by["schools"].get(sid, [])
                    ],
                }
            # DUO's own total of the location (as the export's Scholen sheet); the tables add up to less when
            # a row of the school was rejected (its pupils are in the rejected rows, with the reason)
            duo = P.label(f"duo|{Y}|{sid}")
            in_cells = sum(P.shown(f"st|{Y}|{c['sector']}|{sid}") or 0 for c in catchments)
            missing = P.shown(f"duo|{Y}|{sid}") - in_cells if duo is not None and duo.isdigit() else 0
            parts.append(
                {
                    "year": Y,
                    "catchments": catchments,
                    "support": support,
                    "duo": duo,
                    "in_cells": str(in_cells) if missing > 0 else None,
                }
            )
        trend = spec.figure(
            [
                spec.trace(
                    "bar",
                    x=coord_x,
                    y=coord_y,
                    text=coord_t,
                    textposition="outside",
                    hovertemplate="%{x}: %{text} leerlingen met hulp<extra></extra>",
                )
            ],
            title=spec.title(
                "Leerlingen met jeugdhulp of jeugdbescherming per schooljaar (verborgen aantallen: geen staaf)"
            ),
            margin=dict(l=40, r=10, t=50, b=40),
            separators=",.",
        )
        self.render(
            "school.html",
            f"school/{sid}.html",
            P.school_names[sid],
            figs={"trend": trend},
            parts=parts,
            sid=sid,
            municipality=P.school_municipality[sid],
            banner=self.synthetic(self.years),
        )

    # ------------------------------------------------------------------ files
    def write_static(self) -> None:
        """plotly.min.js once at the root, and dashboards/static/ (CSS, JS) as OUT/site/static/."""
        js = self.out / "plotly.min.js"
        # plotly's own copy of plotly.js (what plotly.offline.get_plotlyjs returns, without importing plotly.io)
        shutil.copyfile(importlib.resources.files("plotly") / "package_data" / "plotly.min.js", js)
        self.files.append(js)
        static = self.out / "static"
        shutil.rmtree(static, ignore_errors=True)
        shutil.copytree(DASHBOARDS_DIR / "static", static)
        self.files += sorted(p for p in static.rglob("*") if p.is_file())

    def write_search(self) -> None:
        """zoek.js: names of municipalities and schools with their page, for the search box (a script, not
        a fetch, so it works from file://)."""
        P = self.pub
        entries = [
            [f"{self.name(c)} (gemeente)", f"gemeente/{c}.html"] for c in sorted(self.region.codes, key=self.name)
        ]
        entries += [
            [f"{P.school_names[s]}, {self.name(P.school_municipality[s])} ({s})", f"school/{s}.html"]
            for s in sorted(P.school_names, key=lambda s: (P.school_names[s], s))
        ]
        path = self.out / "zoek.js"
        path.write_text("var ZOEK = " + json.dumps(entries, ensure_ascii=False) + ";\n", encoding="utf-8")
        self.files.append(path)

    def write_data(self) -> None:
        """The published labels and the relations between them, so anyone can check the site (no true values)."""
        d = self.out / "data"
        d.mkdir(parents=True, exist_ok=True)
        pub = self.pub.cells.filter(~pl.col("cell_id").str.starts_with(REST + "|")).select(
            "cell_id",
            "label",
            (pl.col("status") == "public").alias("public"),  # public: DUO open data
            "stated_lo",
            "stated_hi",
        )  # what the need level printed beside a count says about it
        pub.write_csv(d / "cijfers.csv")
        self.pub.relations.write_csv(d / "relaties.csv")
        self.files += [d / "cijfers.csv", d / "relaties.csv"]


def build_site(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    region: Region,
    disclosure_settings: DisclosureSettings = DisclosureSettings(),
) -> list[Path]:
    """Write OUT/site/: index.html and the other pages, plotly.min.js once; returns the files written."""
    out_dir = Path(out_dir)
    site = Site(build_publication(con, region, disclosure_settings), out_dir / "site", out_dir / "exports")
    site.out.mkdir(parents=True, exist_ok=True)
    site.write_static()
    site.factsheets = True  # the other pages link to them
    site.overzicht()
    site.veranderd()
    site.stromen()
    site.kaart()
    site.afspraken()
    site.samenwerkingsverbanden(load_swv(con, region, disclosure_settings))
    site.gemeenten()
    site.scholen()
    site.factsheets_all()
    site.write_data()
    site.write_search()
    return site.files
