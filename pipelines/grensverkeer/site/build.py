"""The static site: OUT/site/index.html and further pages, offline (one local plotly.min.js).

Every number on a page is a label of grensverkeer.site.publish (disclosure control applied),
or a sum/difference of shown labels only (Publication.derived).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import duckdb
import plotly
import plotly.graph_objects as go
import polars as pl
from plotly.colors import sample_colorscale

from .. import texts_nl
from ..disclosure import DisclosureSettings, explanation_nl
from ..settings import REFERENCE_DIR, Region
from .publish import ALLE, BUITEN, OVERIG, REST, SECTOR_ORDER, Publication, build_publication, least

E = html.escape
ACTIEF = ' class="actief"'
PAGES = [("index.html", "Overzicht"), ("stromen.html", "Stromen"), ("kaart.html", "Kaart"),
         ("afspraken.html", "Afspraken"), ("gemeenten.html", "Per gemeente"), ("scholen.html", "Per school")]
SOURCE_NL = {"duo": "DUO open data (telling 1 oktober)", "synthetic": "synthetische demo (verzonnen leerlingen)",
             "linked": "gekoppelde, gepseudonimiseerde registraties"}
SOURCE_KORT = {"duo": "DUO", "synthetic": "synthetische demo", "linked": "registraties"}
NODE_COLORS = ["rgb(31,119,180)", "rgb(255,127,14)", "rgb(44,160,44)", "rgb(214,39,40)", "rgb(148,103,189)",
               "rgb(140,86,75)", "rgb(227,119,194)", "rgb(127,127,127)", "rgb(188,189,34)", "rgb(23,190,207)"]
GE_UITLEG = ("Sommige getallen zijn opgeteld uit getoonde getallen (alle sectoren samen, naar school elders, de regio). "
             "Is een deel daarvan verborgen, dan staat er '≥' (minstens): het kleinste getal dat het kan zijn, met 1 voor "
             "elke '<5' en 5 voor elke 'x'. Staat er '–', dan is het niet te geven zonder een verborgen getal te verraden.")
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}

CSS = """
body{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{background:#154273;color:#fff;padding:.6em 1.2em}header a{color:#fff;margin-right:1.2em;text-decoration:none}
header a.actief{text-decoration:underline;font-weight:bold}#zoek{font-size:.95em;padding:.15em .4em;min-width:18em}main{padding:1em 1.5em;max-width:1300px}
.let-op{background:#fff3f3;border-left:5px solid #b22222;padding:.5em 1em}
.banner{background:#ffe08a;border:2px solid #b8860b;padding:.6em 1em;margin:.6em 0;font-weight:bold}
.uitleg{background:#eef3f8;border-left:4px solid #154273;padding:.5em 1em;margin:.6em 0;font-size:.92em}
.bron{font-size:.85em;color:#444;margin:.2em 0 1em}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .5em}td.n,td.k,td.s{text-align:right}th{background:#e6ecf2}
.kaarten{display:flex;flex-wrap:wrap;gap:1em}.kaartje{background:#fff;border:1px solid #ccc;padding:.6em 1em;min-width:12em}
.kaartje .groot{font-size:1.6em;font-weight:bold}.keuze{margin:.6em 0}.keuze select{font-size:1em;margin-right:1em}
.fig{background:#fff;border:1px solid #ddd;margin:.5em 0}.verborgen{display:none}
"""

JS = """
function gvSelect(){
  document.querySelectorAll('[data-groep]').forEach(function(el){
    var ok = true;
    el.getAttribute('data-groep').split(' ').forEach(function(kv){
      var p = kv.split('='); var s = document.getElementById('kies-' + p[0]);
      if (s && s.value !== p[1]) ok = false;
    });
    el.classList.toggle('verborgen', !ok);
    if (ok) el.querySelectorAll('.fig[data-fig]').forEach(gvDraw);
  });
  document.querySelectorAll('select[data-opties]').forEach(function(s){
    var jaar = document.getElementById('kies-jaar');
    if (!jaar) return;
    var opties = JSON.parse(s.getAttribute('data-opties'))[jaar.value] || [];
    Array.from(s.options).forEach(function(o){ o.hidden = opties.indexOf(o.value) < 0; });
    if (opties.indexOf(s.value) < 0 && opties.length) { s.value = opties[0]; gvSelect(); }
  });
  gvTopN();
}
function gvDraw(div){
  if (div.getAttribute('data-getekend')) { Plotly.Plots.resize(div); return; }
  var f = FIGS[div.getAttribute('data-fig')];
  Plotly.newPlot(div, f.data, f.layout, CONFIG);
  div.setAttribute('data-getekend', '1');
}
function gvTopN(){
  var s = document.getElementById('kies-topn'); if (!s) return;
  document.querySelectorAll('.fig[data-fig][data-getekend]').forEach(function(div){
    var info = FLOWS[div.getAttribute('data-fig')]; if (!info) return;
    var n = s.value === 'alle' ? info.count : parseInt(s.value, 10), vis = [], idx = [];
    for (var i = 0; i < info.count; i++) { idx.push(info.start + i); vis.push(i < n); }
    Plotly.restyle(div, {visible: vis}, idx);
  });
}
function gvFilter(){
  var a = document.getElementById('filter-a'), b = document.getElementById('filter-b');
  if (!a || !b) return;
  document.querySelectorAll('tr[data-a]').forEach(function(tr){
    var ok = (a.value === '' || tr.getAttribute('data-a') === a.value) && (b.value === '' || tr.getAttribute('data-b') === b.value);
    tr.classList.toggle('verborgen', !ok);
  });
}
function gvZoek(input){
  var v = input.value.trim().toLowerCase(); if (!v || typeof ZOEK === 'undefined') return;
  var hit = ZOEK.filter(function(z){ return z[0].toLowerCase() === v; })[0]
         || ZOEK.filter(function(z){ return z[0].toLowerCase().indexOf(v) >= 0; })[0];
  if (hit) window.location.href = input.getAttribute('data-prefix') + hit[1];
}
document.addEventListener('DOMContentLoaded', function(){
  document.querySelectorAll('select.filter').forEach(function(s){ s.addEventListener('change', gvFilter); });
  var z = document.getElementById('zoek');
  if (z) { z.addEventListener('change', function(){ gvZoek(z); });
           z.addEventListener('keydown', function(e){ if (e.key === 'Enter') gvZoek(z); }); }
  document.querySelectorAll('.keuze select').forEach(function(s){ s.addEventListener('change', gvSelect); });
  document.querySelectorAll('.fig[data-fig]').forEach(function(div){
    if (!div.closest('.verborgen')) gvDraw(div);
  });
  gvSelect();
  var dl = document.getElementById('zoeklijst');
  if (dl && typeof ZOEK !== 'undefined') ZOEK.forEach(function(z){ var o = document.createElement('option'); o.value = z[0]; dl.appendChild(o); });
});
"""


def fmt(label: str | None) -> str:
    """A label as printed: thousands with a dot (Dutch), '<5' and 'x' as they are, '–' when not published."""
    if label is None:
        return "–"
    if label.isdigit():
        return f"{int(label):,}".replace(",", ".")
    if label.startswith("≥") and label[1:].isdigit():
        return "≥" + f"{int(label[1:]):,}".replace(",", ".")
    return label


def fnum(n: int | None) -> str:
    return "–" if n is None else f"{n:,}".replace(",", ".")


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


class Site:
    def __init__(self, pub: Publication, out: Path):
        self.pub, self.out = pub, out
        self.region = pub.region
        self.years = sorted(pub.years)
        self.files: list[Path] = []

    # ------------------------------------------------------------------ helpers
    def sectors(self, year: str) -> list[str]:
        """The sectors of a school year, with 'Alle sectoren' first when there are several."""
        s = self.pub.years[year].sectors
        return ([ALLE] if len(s) > 1 else []) + s

    @staticmethod
    def sector_name(s: str) -> str:
        return "alle sectoren" if s == ALLE else s

    def name(self, code: str) -> str:
        return self.pub.names.get(code, code)

    def glink(self, code: str, prefix: str) -> str:
        if code in self.region.members:
            return f'<a href="{prefix}gemeente/{code}.html">{E(self.name(code))}</a>'
        return E(self.name(code))

    def slink(self, sid: str, prefix: str, name: str | None = None) -> str:
        label = E(name or self.pub.school_names.get(sid, sid))
        if sid in self.pub.school_names:
            return f'<a href="{prefix}school/{sid}.html">{label}</a>'
        return label

    def source_line(self, year: str, kind: str = "flows") -> str:
        y = self.pub.years[year]
        if kind != "flows" and not y.support_source:
            return f'<p class="bron">{E(texts_nl.NO_LINKED.format(year=year))}</p>'
        src = y.source if kind == "flows" else y.support_source
        parts = [SOURCE_NL.get(s.strip(), s) for s in src.split(",")]
        est = " Geschatte aantallen (DUO-vakjes '<5') staan met onder- en bovengrens in de tooltip." if (
            kind == "flows" and y.source == "duo") else ""
        return (f'<p class="bron">Bron: {E(", ".join(parts))}; schooljaar {year}, teldatum 1 oktober {year[:4]}.'
                f"{est} Kleine aantallen beschermd (zie onder).</p>")

    @staticmethod
    def source_short(src: str) -> str:
        return ", ".join(SOURCE_KORT.get(s.strip(), s.strip()) for s in src.split(","))

    def years_by_source(self) -> dict[str, list[str]]:
        """The school years per (short Dutch name of the) source of their flows, in year order."""
        by_src: dict[str, list[str]] = {}
        for Y in self.years:
            by_src.setdefault(self.source_short(self.pub.years[Y].source), []).append(Y)
        return by_src

    def mixed_sources_note(self) -> str:
        """Years whose flows come from different sources are not a trend: say so before the figures."""
        by_src = self.years_by_source()
        if len(by_src) < 2:
            return ""
        parts = "; ".join(f"{', '.join(ys)}: {src}" for src, ys in by_src.items())
        return (f'<p class="let-op"><b>Let op: de schooljaren komen uit verschillende bronnen</b> ({E(parts)}). '
                "Verschillen tussen die jaren zeggen dus niets over een verandering bij de leerlingen; de trendlijnen "
                "per gemeente zijn daarom per bron getekend en niet met elkaar verbonden.</p>")

    def banner(self, year: str | None = None, kind: str = "any") -> str:
        srcs = set()
        for y in ([self.pub.years[year]] if year else self.pub.years.values()):
            if kind in ("any", "flows"):
                srcs.add(y.source)
            if kind in ("any", "support"):
                srcs |= {s.strip() for s in (y.support_source or "").split(",") if s.strip()}
        if "synthetic" in srcs:
            return f'<div class="banner">SYNTHETISCHE DEMO — {E(texts_nl.SYNTHETIC_WARNING)}</div>'
        return ""

    def disclosure_box(self) -> str:
        return f'<div class="uitleg"><b>Hoe we kleine aantallen beschermen.</b> {E(explanation_nl(self.pub.settings))}</div>'

    def masking_box(self) -> str:
        return f'<div class="uitleg"><b>Geschatte aantallen.</b> {E(texts_nl.MASKING)}</div>'

    def rule_box(self) -> str:
        return f'<div class="uitleg"><b>Wanneer is een afspraak nodig?</b> {E(texts_nl.agreement_rule(self.region.agreements))}</div>'

    def page(self, rel: str, title: str, body: str, figs: dict | None = None, flows: dict | None = None) -> None:
        depth = rel.count("/")
        prefix = "../" * depth
        nav = "".join(
            f'<a href="{prefix}{href}"{ACTIEF if href == rel else ""}>{E(t)}</a>' for href, t in PAGES)
        figjson = json.dumps(figs or {}, separators=(",", ":"), cls=plotly.utils.PlotlyJSONEncoder).replace("</", "<\\/")
        doc = f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>{E(title)} — grensverkeer {E(self.region.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{CSS}</style>
<script src="{prefix}plotly.min.js"></script><script src="{prefix}zoek.js"></script></head>
<body><header><b>Grensverkeer van leerlingen — {E(self.region.name)}</b><br>{nav}
<input id="zoek" list="zoeklijst" data-prefix="{prefix}" placeholder="Zoek een gemeente of school" aria-label="Zoek een gemeente of school">
<datalist id="zoeklijst"></datalist></header>
<main><h1>{E(title)}</h1>
{body}
</main>
<script>var FIGS = {figjson}; var FLOWS = {json.dumps(flows or {})}; var CONFIG = {json.dumps(CONFIG)};</script>
<script>{JS}</script>
</body></html>
"""
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc, encoding="utf-8")
        self.files.append(path)

    @staticmethod
    def fig_div(key: str, height: int = 500) -> str:
        return f'<div class="fig" data-fig="{key}" style="height:{height}px"></div>'

    def table(self, head: list[str], rows: list[list[tuple[str, str]]], attrs: list[str] | None = None) -> str:
        """rows of (css class, html): class 'n' = a pupil count label, 'k' = another count, '' = text;
        attrs: per row extra attributes of the <tr> (e.g. data-a/data-b for the filters)."""
        th = "".join(f"<th>{E(h)}</th>" for h in head)
        attrs = attrs or [""] * len(rows)
        body = "".join(f"<tr{a}>" + "".join(f'<td class="{c}">{v}</td>' for c, v in r) + "</tr>"
                       for r, a in zip(rows, attrs))
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    def selects(self, sectors: bool = True, topn: bool = False) -> str:
        out = ['<div class="keuze"><label>Schooljaar <select id="kies-jaar">']
        out += [f'<option value="{y}"{" selected" if y == self.years[-1] else ""}>{y}</option>' for y in self.years]
        out.append("</select></label>")
        if sectors:
            opts = {y: self.sectors(y) for y in self.years}
            order = [ALLE, *SECTOR_ORDER]
            all_s = sorted({s for v in opts.values() for s in v}, key=lambda s: order.index(s) if s in order else 99)
            out.append(f"<label>Sector <select id=\"kies-sector\" data-opties='{json.dumps(opts)}'>")
            out += [f'<option value="{s}">{"Alle sectoren" if s == ALLE else s}</option>' for s in all_s]
            out.append("</select></label>")
        if topn:
            out.append('<label>Toon de grootste <select id="kies-topn">')
            out += [f'<option value="{n}"{" selected" if n == "10" else ""}>{n}</option>' for n in ("5", "10", "20", "alle")]
            out.append("</select> stromen</label>")
        out.append("</div>")
        return "".join(out)

    # ------------------------------------------------------------------ pages
    def overzicht(self) -> None:
        P = self.pub
        blocks = []
        for Y in reversed(self.years):
            y = P.years[Y]
            tot = fmt(P.label(f"tot|{Y}|{self.sectors(Y)[0]}"))
            flow_src = self.source_short(y.source)
            sup_src = self.source_short(y.support_source) if y.support_source else "geen gekoppelde registraties"
            cards = [f'<div class="kaartje">Leerlingen (regio als woon- of schoolgemeente)<div class="groot">'
                     f'<span class="n">{tot}</span></div><div class="bron">Bron: {E(flow_src)}</div></div>']
            rows = []
            for S in self.sectors(Y):
                woon, elders = P.label(f"rwoon|{Y}|{S}"), P.label(f"relders|{Y}|{S}")
                rows.append([("", "Alle sectoren" if S == ALLE else S), ("n", fmt(woon)), ("n", fmt(elders)),
                             ("", pct_label(elders, woon))])
            needed_pairs = y.pairs.filter(pl.col("A").is_in(self.region.codes) & pl.col("B").is_in(self.region.codes)
                                          & (pl.col("need_level") == "afspraak nodig")).height
            needed_schools = y.schools.filter(pl.col("B").is_in(self.region.codes)
                                              & (pl.col("need_level") == "afspraak nodig"))["school_location_id"].n_unique()
            if not y.support_source:  # no linked records this year: no count, not "0"
                needed_pairs = needed_schools = "–"
            cards.append(f'<div class="kaartje">Gemeenteparen met "afspraak nodig"<div class="groot">{needed_pairs}</div>'
                         f'<div class="bron">Bron: {E(sup_src)}</div><a href="afspraken.html">naar Afspraken</a></div>')
            cards.append(f'<div class="kaartje">Scholen met "afspraak nodig" (met minstens één lokaal team)<div class="groot">'
                         f'{needed_schools}</div><div class="bron">Bron: {E(sup_src)}</div></div>')
            blocks.append(
                f"<h2>Schooljaar {Y}</h2>{self.banner(Y)}<div class=\"kaarten\">{''.join(cards)}</div>"
                + self.table(["Sector", "Leerlingen die in de regio wonen", "waarvan naar school in een andere gemeente",
                              "Aandeel elders"], rows)
                + self.source_line(Y) + (self.source_line(Y, "support")
                                         if not y.support_source or (y.pairs.height and y.support_source != y.source)
                                         else ""))
        body = ("<p>Waar wonen leerlingen, en in welke gemeente gaan ze naar school? Waar leerlingen met hulp van het "
                "lokale team in een andere gemeente naar school gaan, moeten dat lokale team en die school samenwerken. "
                "Deze site toont de stromen, waar afspraken nodig zijn, en hoe dat per jaar verandert.</p>"
                + self.mixed_sources_note() + "".join(blocks) + self.rule_box() + self.masking_box() + self.disclosure_box()
                + "<p>" + GE_UITLEG + "</p>")
        self.page("index.html", "Overzicht", body)

    def stromen(self) -> None:
        P, G = self.pub, self.region.codes + [BUITEN]
        figs, parts = {}, []
        for Y in self.years:
            for S in self.sectors(Y):
                key = f"{Y}|{S}"
                figs["sankey|" + key] = self.sankey(Y, S, G)
                figs["matrix|" + key] = self.matrix(Y, S, G)
                rows = []
                for m in self.region.codes:
                    net = P.derived([f"instroom|{Y}|{S}|{m}"], [f"elders|{Y}|{S}|{m}"])
                    rows.append([("", self.glink(m, "")), ("n", fmt(P.label(f"woon|{Y}|{S}|{m}"))),
                                 ("n", fmt(P.label(f"f|{Y}|{S}|{m}|{m}"))), ("n", fmt(P.label(f"elders|{Y}|{S}|{m}"))),
                                 ("n", fmt(P.label(f"instroom|{Y}|{S}|{m}"))), ("s", fnum(net))])
                pairs = []
                R = self.region.codes
                for i, a in enumerate(R):
                    for b in R[i + 1:]:
                        ab, ba = P.shown(f"f|{Y}|{S}|{a}|{b}"), P.shown(f"f|{Y}|{S}|{b}|{a}")
                        if ab is not None and ba is not None and ab + ba > 0:
                            pairs.append((ab + ba, a, b, ab, ba))
                pairs.sort(reverse=True)
                prow = [[("", f"{self.glink(a, '')} ↔ {self.glink(b, '')}"), ("n", fnum(ab)), ("n", fnum(ba)),
                         ("n", fnum(t)), ("s", fnum(ab - ba))] for t, a, b, ab, ba in pairs[:15]]
                parts.append(
                    f'<div data-groep="jaar={Y} sector={S}">{self.banner(Y, "flows")}'
                    f"<h2>Van woongemeente naar schoolgemeente — {self.sector_name(S)}, {Y}</h2>{self.fig_div('sankey|' + key, 620)}"
                    + self.source_line(Y)
                    + f"<h2>Herkomst × bestemming</h2>{self.fig_div('matrix|' + key, 560)}" + self.source_line(Y)
                    + "<h2>Bruto en netto per gemeente</h2>"
                    + self.table(["Gemeente", "Leerlingen woonachtig", "Naar school in eigen gemeente",
                                  "Naar school elders (uitstroom)", "Van elders (instroom)", "Netto (instroom − uitstroom)"], rows)
                    + "<h2>Grootste uitwisselingen tussen twee gemeenten (bruto en netto)</h2>"
                    + self.table(["Gemeenten A ↔ B", "A → B", "B → A", "Bruto", "Netto (A → B min B → A)"], prow)
                    + "<p>" + GE_UITLEG + " Netto en bruto zijn uit getoonde aantallen berekend. "
                      "Uitwisselingen met een verborgen stroom staan niet in de lijst.</p></div>")
        body = (self.selects() + "".join(parts) + self.masking_box() + self.disclosure_box())
        self.page("stromen.html", "Stromen", body, figs)

    def sankey(self, Y: str, S: str, G: list[str]) -> dict:
        P, k = self.pub, self.pub.settings.k
        labels_o = [f"{self.name(c)} (woont)" for c in G]
        labels_d = [f"{self.name(c)} (school)" for c in G]
        src, tgt, val, hover, colors = [], [], [], [], []
        hidden = 0
        for i, o in enumerate(G):
            for j, d in enumerate(G):
                lab = P.label(f"f|{Y}|{S}|{o}|{d}")
                if lab is None or lab == "0":
                    continue
                width = least(lab, k)
                if not (lab.isdigit() or lab.startswith("≥")) or width < k:
                    hidden += 1  # '<5', 'x' and small least values are not drawn: a width would suggest a size
                    continue
                colors.append(NODE_COLORS[i % len(NODE_COLORS)].replace("rgb(", "rgba(").replace(")", ",0.45)"))
                src.append(i)
                tgt.append(len(G) + j)
                val.append(width)
                hover.append(f"{self.name(o)} → {self.name(d)}: {fmt(lab)} leerlingen{self.bounds_text(Y, S, o, d)}")
        node_hover = [f"{self.name(c)}: {fmt(P.label(f'woon|{Y}|{S}|{c}'))} leerlingen wonen hier" for c in G] + [
            f"{self.name(c)}: {fmt(P.label(f'school|{Y}|{S}|{c}'))} leerlingen gaan hier naar school" for c in G]
        fig = go.Figure(go.Sankey(
            arrangement="snap",
            node=dict(label=labels_o + labels_d, pad=12, customdata=node_hover, hovertemplate="%{customdata}<extra></extra>",
                      color=[NODE_COLORS[i % len(NODE_COLORS)] for i in range(len(G))] * 2),
            link=dict(source=src, target=tgt, value=val, color=colors, customdata=hover,
                      hovertemplate="%{customdata}<extra></extra>")))
        if hidden:
            fig.add_annotation(text=f"{hidden} kleine of verborgen stromen ('<5', 'x') zijn niet getekend", x=0.5, y=-0.02,
                               xref="paper", yref="paper", showarrow=False, font=dict(size=11, color="#444"))
        fig.update_layout(title=f"Leerlingen ({self.sector_name(S)}) {Y}: woongemeente (links) → schoolgemeente (rechts)",
                          margin=dict(l=10, r=10, t=50, b=30), font=dict(size=12))
        return fig.to_plotly_json()

    def bounds_text(self, Y: str, S: str, o: str, d: str) -> str:
        lo, hi = self.pub.label(f"lo|{Y}|{S}|{o}|{d}"), self.pub.label(f"hi|{Y}|{S}|{o}|{d}")
        if lo is None:
            return ""
        return f" (geschat; ondergrens {fmt(lo)}, bovengrens {fmt(hi)})"

    def matrix(self, Y: str, S: str, G: list[str]) -> dict:
        P = self.pub
        cols = G + ["TOTAAL"]
        z, text, hover = [], [], []
        for o in G + ["TOTAAL"]:
            zr, tr, hr = [], [], []
            for d in cols:
                if o == "TOTAAL" and d == "TOTAAL":
                    cid = f"tot|{Y}|{S}"
                elif o == "TOTAAL":
                    cid = f"school|{Y}|{S}|{d}"
                elif d == "TOTAAL":
                    cid = f"woon|{Y}|{S}|{o}"
                else:
                    cid = f"f|{Y}|{S}|{o}|{d}"
                lab = P.label(cid)
                v = P.shown(cid)
                zr.append(None if (o == "TOTAAL" or d == "TOTAAL" or v is None or v == 0) else math.log10(v + 1))
                tr.append("" if lab is None else fmt(lab) + ("*" if P.label(f"lo|{Y}|{S}|{o}|{d}") else ""))
                bt = self.bounds_text(Y, S, o, d) if "TOTAAL" not in (o, d) else ""
                hr.append(f"woont in {self.name(o) if o != 'TOTAAL' else 'alle gemeenten'}, school in "
                          f"{self.name(d) if d != 'TOTAAL' else 'alle gemeenten'}: {fmt(lab)}{bt}")
            z.append(zr)
            text.append(tr)
            hover.append(hr)
        names = [self.name(c) for c in G] + ["Totaal"]
        fig = go.Figure(go.Heatmap(z=z, x=names, y=names, text=text, texttemplate="%{text}", customdata=hover,
                                   hovertemplate="%{customdata}<extra></extra>", colorscale="Blues", showscale=False,
                                   xgap=1, ygap=1))
        fig.update_layout(title=f"Herkomst (rij: woongemeente) × bestemming (kolom: schoolgemeente), {self.sector_name(S)} {Y}"
                                " — * = geschat", yaxis=dict(autorange="reversed"), xaxis=dict(side="top"),
                          margin=dict(l=10, r=10, t=130, b=10), title_y=0.98)
        return fig.to_plotly_json()

    # -------- map
    def shapes(self) -> dict:
        gj = json.loads((REFERENCE_DIR / "gemeenten_2025.geojson").read_text(encoding="utf-8"))
        out = {}
        for f in gj["features"]:
            code = f["properties"].get("statcode")
            if code not in self.region.members:
                continue
            geom = f["geometry"]
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            out[code] = [ring for poly in polys for ring in poly[:1]]
        return out

    def kaart(self) -> None:
        shapes = self.shapes()
        coslat = math.cos(math.radians(52.05))
        xy = {c: [[(lon * coslat, lat) for lon, lat in ring] for ring in rings] for c, rings in shapes.items()}
        cent = {}
        for c, rings in xy.items():
            ring = max(rings, key=len)
            cent[c] = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
        allx = [p[0] for rings in xy.values() for r in rings for p in r]
        ally = [p[1] for rings in xy.values() for r in rings for p in r]
        cent[BUITEN] = (max(allx) + 0.03, max(ally) - 0.02)
        figs, flows, parts = {}, {}, []
        for Y in self.years:
            for S in self.sectors(Y):
                key = f"kaart|{Y}|{S}"
                figs[key], flows[key] = self.map_fig(Y, S, xy, cent)
                comm = self.community_fig(Y, S, xy, cent)
                comm_html = ""
                if comm:
                    figs["deelregio|" + key] = comm
                    comm_html = ("<h2>Kandidaat-deelregio's</h2><p>" + E(texts_nl.COMMUNITIES) + "</p>"
                                 + self.fig_div("deelregio|" + key, 620) + self.source_line(Y))
                parts.append(f'<div data-groep="jaar={Y} sector={S}">{self.banner(Y, "flows")}'
                             f"<h2>{self.sector_name(S).capitalize()}, {Y}</h2>{self.fig_div(key, 720)}{self.source_line(Y)}"
                             f"{comm_html}</div>")
        body = (self.selects(topn=True)
                + "<p>Kleur: aandeel van de leerlingen die in de gemeente wonen en in een andere gemeente naar school gaan "
                  "(grijs: niet te tonen omdat een deel verborgen is). Lijnen: leerlingen van woongemeente naar "
                  "schoolgemeente, dikte naar aantal, het pijltje wijst naar de school. Het getal op een gemeente is het "
                  "aantal leerlingen dat in de eigen gemeente naar school gaat. Stromen van en naar gemeenten buiten de "
                  "regio gaan naar de markering 'Buiten de regio'. Verborgen stromen ('<5' of 'x') worden niet getekend.</p>"
                + "".join(parts) + self.masking_box() + self.disclosure_box())
        self.page("kaart.html", "Kaart", body, figs, flows)

    def community_fig(self, Y: str, S: str, xy: dict, cent: dict) -> dict | None:
        """Municipalities coloured by their candidate sub-region (Louvain communities of the flow graph)."""
        comm = self.pub.years[Y].communities
        if comm is None or not comm.height:
            return None
        of = dict(comm.filter(pl.col("sector") == S).select("code", "community").iter_rows())
        if not of:
            return None
        colors = [c for c in NODE_COLORS if c != "rgb(127,127,127)"]  # grey means 'not assigned'
        fig = go.Figure()
        shown: set[int] = set()
        for c, rings in xy.items():
            n = of.get(c)
            for ring in rings:
                fig.add_trace(go.Scatter(
                    x=[p[0] for p in ring], y=[p[1] for p in ring], mode="lines", fill="toself",
                    fillcolor=colors[(n - 1) % len(colors)] if n else "#cccccc", line=dict(color="#555", width=1),
                    hoveron="fills", hoverinfo="text", name=f"Deelregio {n}" if n else "geen",
                    legendgroup=str(n), showlegend=n is not None and n not in shown,
                    text=f"{self.name(c)}: deelregio {n}" if n else self.name(c)))
                if n:
                    shown.add(n)
        fig.add_trace(go.Scatter(x=[cent[c][0] for c in xy], y=[cent[c][1] for c in xy], mode="text", showlegend=False,
                                 text=[f"<b>{self.name(c)}</b>" for c in xy], hoverinfo="skip", textfont=dict(size=11)))
        fig.update_layout(title=f"Kandidaat-deelregio's ({self.sector_name(S)}), {Y}", plot_bgcolor="white",
                          xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
                          margin=dict(l=10, r=10, t=50, b=10), legend=dict(title="Deelregio"))
        return fig.to_plotly_json()

    def map_fig(self, Y: str, S: str, xy: dict, cent: dict) -> tuple[dict, dict]:
        P = self.pub
        fig = go.Figure()
        scale = "Oranges"
        for c, rings in xy.items():
            woon = P.shown(f"woon|{Y}|{S}|{c}")
            elders = P.shown(f"elders|{Y}|{S}|{c}")
            share = elders / woon if (elders is not None and woon) else None
            color = sample_colorscale(scale, [share])[0] if share is not None else "#cccccc"
            for ring in rings:
                fig.add_trace(go.Scatter(
                    x=[p[0] for p in ring], y=[p[1] for p in ring], mode="lines", fill="toself", fillcolor=color,
                    line=dict(color="#555", width=1), hoveron="fills", showlegend=False,
                    text=f"{self.name(c)}: {pct_label(P.label(f'elders|{Y}|{S}|{c}'), P.label(f'woon|{Y}|{S}|{c}'))} "
                         "gaat elders naar school "
                         f"({fmt(P.label(f'elders|{Y}|{S}|{c}'))} van {fmt(P.label(f'woon|{Y}|{S}|{c}'))})",
                    hoverinfo="text"))
        fig.add_trace(go.Scatter(
            x=[cent[c][0] for c in xy], y=[cent[c][1] for c in xy], mode="text", showlegend=False,
            text=[f"<b>{self.name(c)}</b><br>{fmt(P.label(f'f|{Y}|{S}|{c}|{c}'))} eigen" for c in xy],
            hovertext=[f"{self.name(c)}: {fmt(P.label(f'f|{Y}|{S}|{c}|{c}'))} leerlingen gaan in de eigen gemeente "
                       f"naar school" for c in xy], hoverinfo="text", textfont=dict(size=11)))
        bx, by = cent[BUITEN]
        fig.add_trace(go.Scatter(
            x=[bx], y=[by], mode="markers+text", marker=dict(size=22, symbol="square", color="#777"),
            text=["Buiten de regio"], textposition="bottom center", showlegend=False,
            hovertext=[f"Buiten de regio: {fmt(P.label(f'woon|{Y}|{S}|{BUITEN}'))} leerlingen wonen buiten de regio en gaan "
                       f"erin naar school; {fmt(P.label(f'school|{Y}|{S}|{BUITEN}'))} leerlingen uit de regio gaan "
                       f"erbuiten naar school"], hoverinfo="text"))
        fig.add_trace(go.Scatter(x=[bx], y=[by], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=0.1, color=[0], cmin=0, cmax=100, colorscale=scale, showscale=True,
                                             colorbar=dict(title="% elders", len=0.5))))
        G = list(cent)
        fl = []
        for o in G:
            for d in G:
                if o == d or (o == BUITEN and d == BUITEN):
                    continue
                v = P.shown(f"f|{Y}|{S}|{o}|{d}")
                if v:
                    fl.append((v, o, d))
        fl.sort(key=lambda t: (-t[0], t[1], t[2]))
        start = len(fig.data)
        vmax = fl[0][0] if fl else 1
        for n, (v, o, d) in enumerate(fl):
            (x0, y0), (x1, y1) = cent[o], cent[d]
            dx, dy = x1 - x0, y1 - y0
            cx, cy = (x0 + x1) / 2 - 0.2 * dy, (y0 + y1) / 2 + 0.2 * dx
            ts = [i / 20 for i in range(21)]
            xs = [(1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1 for t in ts]
            ys = [(1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1 for t in ts]
            ang = math.degrees(math.atan2(xs[15] - xs[13], ys[15] - ys[13]))
            lab = fmt(P.label(f"f|{Y}|{S}|{o}|{d}"))
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines+markers", visible=n < 10, showlegend=False,
                line=dict(width=1 + 14 * v / vmax, color="rgba(21,66,115,0.55)"),
                marker=dict(symbol="triangle-up", size=[0] * 14 + [14] + [0] * 6, angle=ang, color="#154273"),
                hoverinfo="text", text=f"{self.name(o)} → {self.name(d)}: {lab} leerlingen{self.bounds_text(Y, S, o, d)}"))
        fig.update_layout(title=f"Waar leerlingen ({self.sector_name(S)}) naar school gaan, {Y}", plot_bgcolor="white",
                          xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
                          margin=dict(l=10, r=10, t=50, b=10), hovermode="closest")
        return fig.to_plotly_json(), {"start": start, "count": len(fl)}

    # -------- agreements
    def afspraken(self) -> None:
        P = self.pub
        parts = []
        order = {"afspraak nodig": 0, "aandachtspunt": 1, "geen": 2}
        for Y in self.years:
            y = P.years[Y]
            pairs = y.pairs.with_columns(pl.col("need_level").replace_strict(order, default=3).alias("o")).sort(
                "o", "students", "A", "B", descending=[False, True, False, False])
            prow, pattr = [], []
            for r in pairs.iter_rows(named=True):
                pattr.append(f' data-a="{r["A"]}" data-b="{r["B"]}"')
                rule = (f'"afspraak nodig" vanaf {r["threshold_needed"]} leerlingen, "aandachtspunt" vanaf '
                        f'{r["threshold_attention"]}')
                lab = P.label(f"pair|{Y}|{r['A']}|{r['B']}")
                schools = str(r["schools"]) if lab and lab.isdigit() else "–"  # the number of schools bounds the count
                prow.append([("", E(r["need_level"])), ("", self.glink(r["A"], "")), ("", self.glink(r["B"], "")),
                             ("n", fmt(lab)), ("n", fmt(P.label(f"ook|{Y}|{r['A']}|{r['B']}"))), ("k", schools),
                             ("", E(rule))])
            srows, sattr = [], []
            sch = y.schools.filter(pl.col("need_level") != "geen").with_columns(
                pl.col("need_level").replace_strict(order, default=3).alias("o")).sort(
                "o", "students", "school_location_id", "A", descending=[False, True, False, False])
            for r in sch.iter_rows(named=True):
                sattr.append(f' data-a="{r["A"]}" data-b="{r["B"]}"')
                rule = (f'"afspraak nodig" vanaf {r["threshold_needed"]} leerlingen, "aandachtspunt" vanaf '
                        f'{r["threshold_attention"]}')
                srows.append([("", E(r["need_level"])), ("", self.slink(r["school_location_id"], "", r["school_name"])),
                              ("", self.glink(r["B"], "")), ("", self.glink(r["A"], "")),
                              ("n", fmt(P.label(f"sch|{Y}|{r['A']}|{r['school_location_id']}"))), ("", E(rule))])
            crow = []
            for r in y.coordination.sort("local_teams", "students", descending=True).iter_rows(named=True):
                lab = P.label(f"coord|{Y}|{r['school_location_id']}")
                shown = lab is not None and lab.isdigit()
                crow.append([("", self.slink(r["school_location_id"], "", r["school_name"])), ("", self.glink(r["B"], "")),
                             ("k", str(r["local_teams"]) if shown else "–"),
                             ("k", str(r["local_teams_elsewhere"]) if shown else "–"), ("n", fmt(lab))])
            parts.append(
                f'<div data-groep="jaar={Y}">{self.banner(Y, "support")}{self.rule_box()}'
                "<h2>Lokaal team van gemeente A × alle scholen in gemeente B</h2>"
                + self.table(["Niveau", "Lokaal team van (A)", "Scholen in (B)", "Leerlingen met hulp van het lokale team",
                              "waarvan ook onderwijsondersteuning", "Aantal scholen", "Regel"], prow, pattr)
                + self.source_line(Y, "support")
                + "<h2>Per school: lokaal team uit een andere gemeente</h2>"
                  "<p>Combinaties met één leerling ('geen') staan er niet in: dat niveau zou het aantal verraden.</p>"
                + self.table(["Niveau", "School", "Schoolgemeente", "Lokaal team van", "Leerlingen met hulp", "Regel"], srows,
                             sattr)
                + self.source_line(Y, "support")
                + "<h2>Coördinatielast per school</h2><p>Met hoeveel verschillende lokale teams een school werkt voor "
                  "leerlingen met jeugdhulp of jeugdbescherming (eigen gemeente meegeteld). Het aantal teams staat er "
                  "alleen als het aantal leerlingen getoond wordt.</p>"
                + self.table(["School", "Gemeente", "Lokale teams", "waarvan uit andere gemeenten", "Leerlingen met hulp"], crow)
                + self.source_line(Y, "support") + "</div>")
        opts = "".join(f'<option value="{c}">{E(self.name(c))}</option>' for c in sorted(
            self.region.codes, key=self.name))
        filters = ('<div class="keuze"><label>Lokaal team van <select id="filter-a" class="filter">'
                   f'<option value="">alle gemeenten</option>{opts}</select></label>'
                   '<label>Scholen in <select id="filter-b" class="filter">'
                   f'<option value="">alle gemeenten</option>{opts}</select></label></div>'
                   "<p>Kies een lokaal team en een schoolgemeente om alleen die regels te zien, bijvoorbeeld: welke "
                   "scholen in Delft hebben een afspraak nodig met het lokale team van Westland?</p>")
        body = self.selects(sectors=False) + filters + "".join(parts) + self.disclosure_box()
        self.page("afspraken.html", "Afspraken", body)

    # -------- per municipality
    def gemeenten(self) -> None:
        rows = [[("", self.glink(c, ""))] for c in self.region.codes]
        self.page("gemeenten.html", "Per gemeente", self.table(["Gemeente"], rows))
        for c in self.region.codes:
            self.gemeente(c)

    def gemeente(self, c: str) -> None:
        P, G = self.pub, self.region.codes + [BUITEN]
        figs, parts = {}, []
        # trend: residents schooled elsewhere and incoming, per sector over the years
        trend = go.Figure()
        sources = self.years_by_source()
        for src, years in sources.items():
            # one line per sector and source: years from different sources are not joined into a trend
            for S in sorted({s for Y in years for s in P.years[Y].sectors}):
                xs = [Y for Y in years if S in P.years[Y].sectors]
                ys = [P.shown(f"elders|{Y}|{S}|{c}") for Y in xs]
                name = S if len(sources) == 1 else f"{S} ({src})"
                trend.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, text=[fnum(v) for v in ys],
                                           line=dict(dash="dot" if src == SOURCE_KORT["synthetic"] else "solid"),
                                           hovertemplate=E(name) + ", %{x}: %{text} naar school elders<extra></extra>"))
        trend.update_layout(title=f"Inwoners van {self.name(c)} die elders naar school gaan, per jaar en bron",
                            margin=dict(l=40, r=10, t=50, b=40), yaxis=dict(title="leerlingen"),
                            xaxis=dict(type="category", categoryorder="array", categoryarray=self.years))
        figs["trend"] = trend.to_plotly_json()
        for Y in self.years:
            y = P.years[Y]
            rows = []
            for S in self.sectors(Y):
                rows.append([("", "Alle sectoren" if S == ALLE else S), ("n", fmt(P.label(f"woon|{Y}|{S}|{c}"))),
                             ("n", fmt(P.label(f"f|{Y}|{S}|{c}|{c}"))), ("n", fmt(P.label(f"elders|{Y}|{S}|{c}"))),
                             ("n", fmt(P.label(f"instroom|{Y}|{S}|{c}")))])
            flows_out = [[("", S), ("", self.glink(d, "../")), ("n", fmt(P.label(f"f|{Y}|{S}|{c}|{d}")) +
                                                                (" (geschat)" if P.label(f"lo|{Y}|{S}|{c}|{d}") else ""))]
                         for S in y.sectors for d in G if d != c and P.label(f"f|{Y}|{S}|{c}|{d}") not in (None, "0")]
            flows_in = [[("", S), ("", self.glink(o, "../")), ("n", fmt(P.label(f"f|{Y}|{S}|{o}|{c}")))]
                        for S in y.sectors for o in G if o != c and P.label(f"f|{Y}|{S}|{o}|{c}") not in (None, "0")]
            schools = [[("", self.slink(r["school_location_id"], "../", r["school_name"])), ("", r["sector"]),
                        ("n", fmt(P.label(f"st|{Y}|{r['sector']}|{r['school_location_id']}")))]
                       for r in y.catchment.filter(pl.col("d") == c).select("school_location_id", "school_name", "sector")
                       .unique().sort("school_name", "sector").iter_rows(named=True)]
            sup = y.support_profile.filter(pl.col("A") == c)
            sup_html = ""
            if sup.height:
                pairs = [[("", E(r["need_level"])), ("", self.glink(r["B"], "../")),
                          ("n", fmt(P.label(f"pair|{Y}|{c}|{r['B']}")))]
                         for r in y.pairs.filter(pl.col("A") == c).sort("students", descending=True).iter_rows(named=True)]
                sch = y.schools.filter((pl.col("A") == c) & (pl.col("B") != c) & (pl.col("need_level") != "geen")).sort(
                    "B", "students", "school_location_id", descending=[False, True, False])
                srows = [[("", E(r["need_level"])), ("", self.glink(r["B"], "../")),
                          ("", self.slink(r["school_location_id"], "../", r["school_name"])),
                          ("n", fmt(P.label(f"sch|{Y}|{c}|{r['school_location_id']}")))] for r in sch.iter_rows(named=True)]
                sup_html_schools = (
                    f"<h3>Scholen in andere gemeenten waarmee het lokale team van {E(self.name(c))} samenwerkt</h3>"
                    "<p>Per school: leerlingen met hulp van dit lokale team. Scholen met één leerling staan er niet in "
                    "(dat zou het aantal verraden).</p>"
                    + self.table(["Niveau", "Schoolgemeente", "School", "Leerlingen met hulp van het lokale team"], srows))
                sup_html = (self.banner(Y, "support") + "<h3>Hulp van het lokale team (jeugdhulp, jeugdbescherming)</h3>"
                            + self.table(["Leerlingen met hulp", "waarvan elders naar school"],
                                         [[("n", fmt(P.label(f"mhulp|{Y}|{c}"))), ("n", fmt(P.label(f"melders|{Y}|{c}")))]])
                            + self.table(["Niveau", "Scholen in", "Leerlingen met hulp van het lokale team"], pairs)
                            + sup_html_schools + self.source_line(Y, "support"))
            parts.append(
                f'<div data-groep="jaar={Y}"><h2>{Y}</h2>{self.banner(Y, "flows")}'
                + self.table(["Sector", "Leerlingen woonachtig", "Naar school in eigen gemeente", "Naar school elders",
                              "Van elders"], rows)
                + "<h3>Waar de inwoners naar school gaan</h3>"
                + self.table(["Sector", "Schoolgemeente", "Leerlingen"], flows_out)
                + "<h3>Waar de leerlingen van de scholen hier wonen</h3>"
                + self.table(["Sector", "Woongemeente", "Leerlingen"], flows_in) + self.source_line(Y)
                + ("<h3>Scholen (herkomst: zie de school)</h3>" + self.table(["School", "Sector", "Leerlingen"], schools)
                   if schools else "")
                + sup_html + "</div>")
        body = (self.selects(sectors=False) + self.banner() + self.fig_div("trend", 380)
                + "".join(parts) + self.rule_box() + self.disclosure_box())
        self.page(f"gemeente/{c}.html", self.name(c), body, figs)

    # -------- per school
    def scholen(self) -> None:
        P = self.pub
        by_m: dict[str, list[str]] = {}
        for sid, m in P.school_municipality.items():
            by_m.setdefault(m, []).append(sid)
        body = []
        for m in self.region.codes:
            sids = sorted(by_m.get(m, []), key=lambda s: P.school_names[s])
            body.append(f"<h2>{self.glink(m, '')}</h2><p>" + " · ".join(self.slink(s, "") for s in sids) + "</p>")
        self.page("scholen.html", "Per school", "".join(body))
        for sid in sorted(P.school_names):
            self.school(sid)

    def school(self, sid: str) -> None:
        P = self.pub
        name, m = P.school_names[sid], P.school_municipality[sid]
        figs, parts = {}, []
        coord_x, coord_y, coord_t = [], [], []
        for Y in self.years:
            y = P.years[Y]
            cat = y.catchment.filter(pl.col("school_location_id") == sid)
            html_parts = []
            for S in sorted(cat["sector"].unique().to_list()):
                rows = []
                origins = [o for o in self.region.codes + [BUITEN, OVERIG] if P.label(f"c|{Y}|{S}|{sid}|{o}") is not None]
                for o in origins:
                    oname = "overige herkomst (elk minder dan 5 leerlingen)" if o == OVERIG else None
                    rows.append([("", E(oname) if oname else self.glink(o, "../")),
                                 ("n", fmt(P.label(f"c|{Y}|{S}|{sid}|{o}")))])
                rows.append([("", "<b>Totaal</b>"), ("n", fmt(P.label(f"st|{Y}|{S}|{sid}")))])
                html_parts.append(f"<h3>Waar de leerlingen ({S}) wonen</h3>" + self.table(["Woongemeente", "Leerlingen"], rows)
                                  + self.source_line(Y))
            sup = y.schools.filter((pl.col("school_location_id") == sid) & (pl.col("need_level") != "geen"))
            coord = P.label(f"coord|{Y}|{sid}")
            if coord is not None:
                cr = y.coordination.filter(pl.col("school_location_id") == sid).row(0, named=True)
                coord_x.append(Y)
                coord_y.append(P.shown(f"coord|{Y}|{sid}"))
                coord_t.append(fmt(coord))
                teams = str(cr["local_teams"]) if coord.isdigit() else "–"
                rows = [[("", self.glink(r["A"], "../")), ("", E(r["need_level"])),
                         ("n", fmt(P.label(f"sch|{Y}|{r['A']}|{sid}")))]
                        for r in sup.sort("students", descending=True).iter_rows(named=True)]
                html_parts.append(
                    self.banner(Y, "support") + "<h3>Leerlingen met hulp van een lokaal team</h3>"
                    + self.table(["Leerlingen met jeugdhulp of jeugdbescherming", "Aantal lokale teams"],
                                 [[("n", fmt(coord)), ("k", teams)]])
                    + (self.table(["Lokaal team van", "Niveau", "Leerlingen met hulp"], rows) if rows else
                       "<p>Geen lokaal team uit een andere gemeente met 'aandachtspunt' of 'afspraak nodig'.</p>")
                    + self.source_line(Y, "support"))
            if html_parts:
                parts.append(f'<div data-groep="jaar={Y}"><h2>{Y}</h2>{"".join(html_parts)}</div>')
            else:
                parts.append(f'<div data-groep="jaar={Y}"><h2>{Y}</h2><p>Geen gegevens voor dit schooljaar.</p></div>')
        trend = go.Figure(go.Bar(x=coord_x, y=coord_y, text=coord_t, textposition="outside",
                                 hovertemplate="%{x}: %{text} leerlingen met hulp<extra></extra>"))
        trend.update_layout(title="Leerlingen met jeugdhulp of jeugdbescherming per schooljaar (verborgen aantallen: geen staaf)",
                            margin=dict(l=40, r=10, t=50, b=40))
        figs["trend"] = trend.to_plotly_json()
        body = (f"<p>School {E(sid)} in {self.glink(m, '../')}.</p>" + self.selects(sectors=False) + self.banner()
                + self.fig_div("trend", 320) + "".join(parts) + self.rule_box() + self.disclosure_box())
        self.page(f"school/{sid}.html", name, body, figs)

    def write_search(self) -> None:
        """zoek.js: names of municipalities and schools with their page, for the search box (a script, not
        a fetch, so it works from file://)."""
        P = self.pub
        entries = [[f"{self.name(c)} (gemeente)", f"gemeente/{c}.html"] for c in sorted(self.region.codes, key=self.name)]
        entries += [[f"{P.school_names[s]}, {self.name(P.school_municipality[s])} ({s})", f"school/{s}.html"]
                    for s in sorted(P.school_names, key=lambda s: (P.school_names[s], s))]
        path = self.out / "zoek.js"
        path.write_text("var ZOEK = " + json.dumps(entries, ensure_ascii=False) + ";\n", encoding="utf-8")
        self.files.append(path)

    def write_data(self) -> None:
        """The published labels and the relations between them, so anyone can check the site (no true values)."""
        d = self.out / "data"
        d.mkdir(parents=True, exist_ok=True)
        pub = self.pub.cells.filter(~pl.col("cell_id").str.starts_with(REST + "|")).select(
            "cell_id", "label", (pl.col("status") == "public").alias("public"),  # public: DUO open data
            "stated_lo", "stated_hi")  # what the need level printed beside a count says about it
        pub.write_csv(d / "cijfers.csv")
        self.pub.relations.write_csv(d / "relaties.csv")
        self.files += [d / "cijfers.csv", d / "relaties.csv"]


def build_site(con: duckdb.DuckDBPyConnection, out_dir: Path, region: Region,
               disclosure_settings: DisclosureSettings = DisclosureSettings()) -> list[Path]:
    """Write OUT/site/: index.html and the other pages, plotly.min.js once; returns the files written."""
    site = Site(build_publication(con, region, disclosure_settings), Path(out_dir) / "site")
    site.out.mkdir(parents=True, exist_ok=True)
    js = site.out / "plotly.min.js"
    js.write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    site.files.append(js)
    site.overzicht()
    site.stromen()
    site.kaart()
    site.afspraken()
    site.gemeenten()
    site.scholen()
    site.write_data()
    site.write_search()
    return site.files
