"""The Plotly figures of the dashboards, as JSON for the pages (drawn in the browser from one local plotly.min.js).

Every number in a figure is a published label (grensverkeer.site.publish); hidden flows ('<5', 'x', small
least values) get no width, line or colour.
"""

from __future__ import annotations

import json
import math

from ..settings import REFERENCE_DIR
from .format import fmt, fnum, pct_label
from .publish import BUITEN, Publication, least
from .spec import figure, title, trace

NODE_COLORS = [
    "rgb(31,119,180)",
    "rgb(255,127,14)",
    "rgb(44,160,44)",
    "rgb(214,39,40)",
    "rgb(148,103,189)",
    "rgb(140,86,75)",
    "rgb(227,119,194)",
    "rgb(127,127,127)",
    "rgb(188,189,34)",
    "rgb(23,190,207)",
]
OWN, OUT, IN = "#1f5fa8", "#c4570a", "#2b7a3b"  # own municipality / outgoing / incoming circles (AA on white)


def sector_name(s: str) -> str:
    return "alle sectoren" if s == "ALLE" else s


def bounds_text(P: Publication, Y: str, S: str, o: str, d: str) -> str:
    lo, hi = P.label(f"lo|{Y}|{S}|{o}|{d}"), P.label(f"hi|{Y}|{S}|{o}|{d}")
    if lo is None:
        return ""
    return f" (geschat; ondergrens {fmt(lo)}, bovengrens {fmt(hi)})"


def sankey(P: Publication, name, Y: str, S: str, G: list[str]) -> dict:
    k = P.settings.k
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
            tgt.append(len(G) + j)  # origin and destination nodes apart
            val.append(width)
            hover.append(f"{name(o)} → {name(d)}: {fmt(lab)} leerlingen{bounds_text(P, Y, S, o, d)}")
    node_hover = [f"{name(c)}: {fmt(P.label(f'woon|{Y}|{S}|{c}'))} leerlingen wonen hier" for c in G] + [
        f"{name(c)}: {fmt(P.label(f'school|{Y}|{S}|{c}'))} leerlingen gaan hier naar school" for c in G
    ]
    annotations = []
    if hidden:
        annotations.append(
            dict(
                text=f"{hidden} kleine of verborgen stromen ('<5', 'x') zijn niet getekend",
                x=0.5,
                y=-0.02,
                xref="paper",
                yref="paper",
                showarrow=False,
                font=dict(size=11, color="#444"),
            )
        )
    return figure(
        [
            trace(
                "sankey",
                arrangement="snap",
                node=dict(
                    label=[f"{name(c)} (woont)" for c in G] + [f"{name(c)} (school)" for c in G],
                    pad=12,
                    customdata=node_hover,
                    hovertemplate="%{customdata}<extra></extra>",
                    color=[NODE_COLORS[i % len(NODE_COLORS)] for i in range(len(G))] * 2,
                ),
                link=dict(
                    source=src,
                    target=tgt,
                    value=val,
                    color=colors,
                    customdata=hover,
                    hovertemplate="%{customdata}<extra></extra>",
                ),
            )
        ],
        title=title(f"Leerlingen ({sector_name(S)}) {Y}: woongemeente (links) → schoolgemeente (rechts)"),
        margin=dict(l=10, r=10, t=50, b=30),
        font=dict(size=12),
        annotations=annotations,
    )


def od_matrix(P: Publication, name, Y: str, S: str, G: list[str]) -> dict:
    cols = G + ["TOTAAL"]
    z, text, hover = [], [], []
    for o in cols:
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
            lab, v = P.label(cid), P.shown(cid)
            zr.append(None if (o == "TOTAAL" or d == "TOTAAL" or v is None or v == 0) else math.log10(v + 1))
            tr.append("" if lab is None else fmt(lab) + ("*" if P.label(f"lo|{Y}|{S}|{o}|{d}") else ""))
            bt = bounds_text(P, Y, S, o, d) if "TOTAAL" not in (o, d) else ""
            hr.append(
                f"woont in {name(o) if o != 'TOTAAL' else 'alle gemeenten'}, school in "
                f"{name(d) if d != 'TOTAAL' else 'alle gemeenten'}: {fmt(lab)}{bt}"
            )
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    names = [name(c) for c in G] + ["Totaal"]
    return figure(
        [
            trace(
                "heatmap",
                z=z,
                x=names,
                y=names,
                text=text,
                texttemplate="%{text}",
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
                colorscale="Blues",
                showscale=False,
                xgap=1,
                ygap=1,
            )
        ],
        title=title(
            f"Herkomst (rij: woongemeente) × bestemming (kolom: schoolgemeente), {sector_name(S)} {Y} — * = geschat",
            y=0.98,
        ),
        yaxis=dict(autorange="reversed"),
        xaxis=dict(side="top"),
        margin=dict(l=10, r=10, t=130, b=10),
    )


class MapGeometry:
    """Municipality outlines of the region (CBS/PDOK, data/reference) in a local equal-aspect projection, with a
    centre per municipality and a place for 'Buiten de regio'."""

    def __init__(self, members: set[str], outside: set[str] = frozenset()):
        gj = json.loads((REFERENCE_DIR / "gemeenten_2025.geojson").read_text(encoding="utf-8"))
        coslat = math.cos(math.radians(52.05))
        self.xy: dict[str, list[list[tuple[float, float]]]] = {}
        far: dict[str, list[list[tuple[float, float]]]] = {}  # named outside partners: a point, no outline
        for f in gj["features"]:
            code = f["properties"].get("statcode")
            if code not in members and code not in outside:
                continue
            geom = f["geometry"]
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            (self.xy if code in members else far)[code] = [
                [(lon * coslat, lat) for lon, lat in poly[0]] for poly in polys
            ]
        self.cent: dict[str, tuple[float, float]] = {}
        for c, rings in [*self.xy.items(), *far.items()]:
            ring = max(rings, key=len)
            self.cent[c] = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
        allx = [p[0] for rings in self.xy.values() for r in rings for p in r] + [self.cent[c][0] for c in far]
        ally = [p[1] for rings in self.xy.values() for r in rings for p in r] + [self.cent[c][1] for c in far]
        self.box = (min(allx), max(allx), min(ally), max(ally))
        self.cent[BUITEN] = (max(allx) + 0.03, max(ally) - 0.02)


def _curve(x0, y0, x1, y1):
    dx, dy = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 - 0.2 * dy, (y0 + y1) / 2 + 0.2 * dx
    ts = [i / 20 for i in range(21)]
    xs = [(1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1 for t in ts]
    ys = [(1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1 for t in ts]
    return xs, ys, math.degrees(math.atan2(xs[15] - xs[13], ys[15] - ys[13]))


def flow_map(
    P: Publication,
    name,
    Y: str,
    S: str,
    geo: MapGeometry,
    flows: list[tuple[int, str, str]],
    circles: dict[str, tuple[int | None, int | None, int | None]],
    scale: tuple[float, float],
) -> tuple[dict, dict]:
    """Outlines, three circles per place (own municipality, outgoing, incoming) and one curved line per shown
    flow. ``scale`` = (largest flow, largest circle value) over every school year of the sector, so widths and
    areas compare between years. ``flows`` are (shown pupils, origin, destination), largest first."""
    vmax, cmax = scale
    cent = geo.cent
    data: list[dict] = []
    for c, rings in geo.xy.items():
        for ring in rings:
            data.append(
                trace(
                    "scatter",
                    x=[p[0] for p in ring],
                    y=[p[1] for p in ring],
                    mode="lines",
                    fill="toself",
                    fillcolor="#f2f2f2",
                    line=dict(color="#666", width=1),
                    hoveron="fills",
                    showlegend=False,
                    hoverinfo="text",
                    text=f"{name(c)}: {pct_label(P.label(f'elders|{Y}|{S}|{c}'), P.label(f'woon|{Y}|{S}|{c}'))} van de "
                    f"inwoners gaat elders naar school ({fmt(P.label(f'elders|{Y}|{S}|{c}'))} van "
                    f"{fmt(P.label(f'woon|{Y}|{S}|{c}'))})",
                )
            )
    places = list(circles)
    sizeref = 2.0 * cmax / (46**2) if cmax else 1  # area ~ pupils; the largest value of all years = 46 px
    for i, (kind, color, dx) in enumerate(
        [("eigen gemeente", OWN, 0.0), ("uitgaand", OUT, -0.012), ("inkomend", IN, 0.012)]
    ):
        xs = [cent[c][0] + dx for c in places]
        ys = [cent[c][1] - (0.006 if dx else 0.0) for c in places]
        vals = [circles[c][i] for c in places]
        data.append(
            trace(
                "scatter",
                x=xs,
                y=ys,
                mode="markers",
                name=kind,
                cliponaxis=False,
                showlegend=True,
                marker=dict(
                    size=[v or 0 for v in vals],
                    sizemode="area",
                    sizeref=sizeref,
                    sizemin=0,
                    color=color,
                    opacity=0.55,
                    line=dict(color=color, width=1),
                ),
                hoverinfo="text",
                text=[
                    f"{name(c)}, {kind}: {fnum(v) if v else 'niet getekend (klein of verborgen)'} leerlingen"
                    for c, v in zip(places, vals)
                ],
            )
        )
    data.append(
        trace(
            "scatter",
            x=[cent[c][0] for c in places],
            y=[cent[c][1] + 0.012 for c in places],
            mode="text",
            showlegend=False,
            text=[f"<b>{name(c)}</b>" for c in places],
            hoverinfo="skip",
            textfont=dict(size=11, color="#1b1b1b"),
        )
    )
    start = len(data)
    od = []
    for v, o, d in flows:
        xs, ys, ang = _curve(*cent[o], *cent[d])
        lab = fmt(P.label(f"f|{Y}|{S}|{o}|{d}")) if P.label(f"f|{Y}|{S}|{o}|{d}") else fnum(v)
        data.append(
            trace(
                "scatter",
                x=xs,
                y=ys,
                mode="lines+markers",
                visible=len(od) < 10,
                showlegend=False,
                line=dict(width=0.8 + 14 * v / vmax, color="rgba(21,66,115,0.5)"),
                marker=dict(symbol="triangle-up", size=[0] * 14 + [12] + [0] * 6, angle=ang, color="#154273"),
                hoverinfo="text",
                text=f"{name(o)} → {name(d)}: {lab} leerlingen{bounds_text(P, Y, S, o, d)}",
            )
        )
        od.append([o, d])
    x0, x1, y0, y1 = geo.box
    layout = dict(
        title=title(f"Waar leerlingen ({sector_name(S)}) naar school gaan, {Y}"),
        plot_bgcolor="white",
        xaxis=dict(visible=False, range=[x0 - 0.05, x1 + 0.09]),
        yaxis=dict(visible=False, scaleanchor="x", range=[y0 - 0.02, y1 + 0.04]),
        margin=dict(l=10, r=10, t=50, b=10),
        hovermode="closest",
        legend=dict(title=title("Cirkels"), orientation="h", y=-0.02),
    )
    return figure(data, **layout), {"start": start, "count": len(od), "od": od}


def community_map(P: Publication, name, Y: str, S: str, geo: MapGeometry) -> dict | None:
    """Municipalities coloured by their candidate sub-region (Louvain communities of the flow graph)."""
    import polars as pl

    comm = P.years[Y].communities
    if comm is None or not comm.height:
        return None
    of = dict(comm.filter(pl.col("sector") == S).select("code", "community").iter_rows())
    if not of:
        return None
    colors = [c for c in NODE_COLORS if c != "rgb(127,127,127)"]  # grey means 'not assigned'
    data: list[dict] = []
    shown: set[int] = set()
    for c, rings in geo.xy.items():
        n = of.get(c)
        for ring in rings:
            data.append(
                trace(
                    "scatter",
                    x=[p[0] for p in ring],
                    y=[p[1] for p in ring],
                    mode="lines",
                    fill="toself",
                    fillcolor=colors[(n - 1) % len(colors)] if n else "#cccccc",
                    line=dict(color="#555", width=1),
                    hoveron="fills",
                    hoverinfo="text",
                    name=f"Deelregio {n}" if n else "geen",
                    legendgroup=str(n),
                    showlegend=n is not None and n not in shown,
                    text=f"{name(c)}: deelregio {n}" if n else name(c),
                )
            )
            if n:
                shown.add(n)
    data.append(
        trace(
            "scatter",
            x=[geo.cent[c][0] for c in geo.xy],
            y=[geo.cent[c][1] for c in geo.xy],
            mode="text",
            showlegend=False,
            text=[f"<b>{name(c)}</b>" for c in geo.xy],
            hoverinfo="skip",
            textfont=dict(size=11),
        )
    )
    return figure(
        data,
        title=title(f"Kandidaat-deelregio's ({sector_name(S)}), {Y}"),
        plot_bgcolor="white",
        xaxis=dict(visible=False),
        yaxis=dict(visible=False, scaleanchor="x"),
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(title=title("Deelregio")),
    )
