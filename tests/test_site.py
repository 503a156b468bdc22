"""The static dashboard site of the bundled run, checked as files (the browser tests: test_site_browser.py)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import duckdb
import polars as pl

from grensverkeer.disclosure import DisclosureSettings, check_published
from grensverkeer.settings import load_region


def test_site_files(site):
    root, files = site
    assert (root / "index.html").exists() and (root / "plotly.min.js").exists()
    assert len(list(root.rglob("plotly.min.js"))) == 1
    assert (root / "static" / "site.css").exists() and (root / "static" / "site.js").exists()
    for f in root.rglob("*.html"):
        text = f.read_text(encoding="utf-8")
        assert "cdn.plot.ly" not in text and "https://" not in text, f
        assert 'lang="nl"' in text
        assert text.count('class="banner"') <= 1, f  # the demo banner once per page
        assert not re.search(r">\s*GM\d{4}\s*<", text), f  # a municipality is shown by its name, never its code


def test_no_pupil_level_values(site, bundled):
    root, _ = site
    con = duckdb.connect(str(bundled.warehouse), read_only=True)
    raw = [
        r[0]
        for r in con.execute(
            # a linked row as read (the raw text the staging model makes for a rejected row)
            "select concat_ws(';', school_year_text, student_id, school_location_id, sector, "
            "residence_municipality_code, coalesce(residence_postcode4, ''), coalesce(birth_year, '')) "
            "from raw_linked_enrolments using sample 200 rows (reservoir, 1)"
        ).fetchall()
    ]
    raw += [r[0] for r in con.execute("select raw_line from raw_rows using sample 200 rows (reservoir, 1)").fetchall()]
    assert len(raw) == 400 and all(raw), "the sampled raw texts must be there to be looked for"
    con.close()
    hexid = re.compile(r"[0-9a-f]{64}", re.I)
    for f in root.rglob("*"):
        if not f.is_file() or f.name == "plotly.min.js":
            continue
        text = f.read_text(encoding="utf-8")
        assert not hexid.search(text), f"64-hex pseudonym in {f}"
        for line in raw:
            assert line not in text, f"raw row text in {f}"


def test_published_numbers_are_protected(site):
    root, _ = site
    cells = pl.read_csv(root / "data" / "cijfers.csv", infer_schema=False)
    rels = pl.read_csv(root / "data" / "relaties.csv", infer_schema=False)
    # private figures never show 1-4; public ones (DUO open data) are published as DUO's data allow
    assert not cells.filter(pl.col("label").is_in(["1", "2", "3", "4"]) & (pl.col("public") != "true")).height
    # per school year (the site protects each year on its own)
    for year in cells["cell_id"].str.split("|").list.get(1).unique().to_list():
        c = cells.filter(pl.col("cell_id").str.split("|").list.get(1) == year)
        r = rels.filter(pl.col("total_id").str.split("|").list.get(1) == year)
        problems = check_published(c, r, DisclosureSettings())
        # the 'rest' cells (small school rows left out on purpose) are unpublished: the checker treats them as unknown
        problems = [p for p in problems if not (p.startswith("relations refer to") and "'rest|" in p)]
        assert problems == [], year


# A bare 1-4 in running text; a lower bound ("≥2") is not a count.
SMALL = re.compile(r"(?<![\w.,<>≥-])[1-4](?![\w.,%-])")
# Numbers in figure texts that are not pupil counts.
NOT_A_COUNT = re.compile(r"deelregio \d+|\d+ kleine of verborgen stromen")
FIGURE_TEXT = re.compile(r'"(?:text|customdata|hovertext)":\s*')
YEAR = re.compile(r"\d{4}-\d{4}")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def figure_texts(html: str) -> list[str]:
    """Every text, hover text and custom data string of the Plotly figures of a page (tags removed)."""
    decoder = json.JSONDecoder()
    return [
        re.sub(r"<[^>]+>", " ", s)
        for m in FIGURE_TEXT.finditer(html)
        for s in _strings(decoder.raw_decode(html, m.end())[0])
    ]


def small_counts(texts: list[str]) -> list[str]:
    return [s for s in texts if SMALL.search(NOT_A_COUNT.sub("", s))]


def small_counts_in_figures(html: str) -> list[str]:
    return small_counts(figure_texts(html))


def figures(html: str) -> dict:
    """The Plotly figures of a page (its `var FIGS = {...}`), by key ('sankey|2024-2025|BO', 'trend')."""
    decoder = json.JSONDecoder()
    out = {}
    for m in re.finditer(r"var FIGS = ", html):
        out.update(decoder.raw_decode(html, m.end())[0])
    return out


def private_figure_texts(html: str, private: set[str]) -> list[str]:
    """The figure texts of a page that show a private school year: every text of a figure of such a
    year (its key names the year), and of a figure over the years (a trend) the points of such a year."""
    out = []
    for key, fig in figures(html).items():
        if set(key.split("|")) & private:
            out += figure_texts(json.dumps(fig))
        elif not YEAR.search(key):
            for trace in fig.get("data", []):
                xs = trace.get("x")
                for name in ("text", "customdata", "hovertext"):
                    values = trace.get(name)
                    if isinstance(xs, list) and isinstance(values, list) and len(values) == len(xs):
                        out += [re.sub(r"<[^>]+>", " ", v) for x, v in zip(xs, values) if x in private]
    return out


def test_small_count_in_a_figure_text_is_found():
    page = 'Plotly.newPlot("f", [{"text": [["12", "x"]], "customdata": ["Delft \\u2192 Rijswijk: 3 leerlingen"]}])'
    assert small_counts_in_figures(page) == ["Delft \u2192 Rijswijk: 3 leerlingen"]
    assert small_counts_in_figures('{"hovertext": ["<b>Delft</b><br>2 eigen"], "text": "deelregio 1"}') == [
        " Delft  2 eigen"
    ]
    page = (
        'var FIGS = {"sankey|2022-2023|BO": {"data": [{"customdata": ["Delft \\u2192 Rijswijk: 3"]}]}, '
        '"sankey|2024-2025|BO": {"data": [{"customdata": ["Delft \\u2192 Rijswijk: 2"]}]}, '
        '"trend": {"data": [{"x": ["2022-2023", "2024-2025"], "text": ["4", "1"], "hovertext": ["<b>4</b>", "1"]}]}};'
    )
    assert small_counts(private_figure_texts(page, {"2022-2023"})) == ["Delft \u2192 Rijswijk: 3", "4", " 4 "]


def test_no_small_count_in_a_figure_of_a_private_year(site):
    """The text, hover text and custom data of every figure (Sankey, matrix, map, trend) of a school year
    whose flows are private (from linked records) show no count 1-4. (DUO's years are public and may:
    docs/disclosure.md.)"""
    root, _ = site
    cells = pl.read_csv(root / "data" / "cijfers.csv", infer_schema=False)
    flows = cells.filter(pl.col("cell_id").str.starts_with("f|"))
    private = set(flows.filter(pl.col("public") != "true")["cell_id"].str.split("|").list.get(1).to_list())
    assert private, "the bundled run should have school years of linked records only"
    checked = 0
    for f in sorted(root.rglob("*.html")):
        html = f.read_text(encoding="utf-8")
        # every figure text of the page is in FIGS, so each is told to a year or a trend point
        assert len(figure_texts(html)) == sum(len(figure_texts(json.dumps(g))) for g in figures(html).values()), f
        texts = private_figure_texts(html, private)
        checked += len(texts)
        assert small_counts(texts) == [], (f.relative_to(root), small_counts(texts)[:5])
    assert checked > 1000, "the figures of the private years no longer have texts to check"


def test_no_small_count_as_number(site):
    """Every count of pupils with support printed in a table (class n), a matrix cell or a figure text on
    the agreements page is a label: never 1-4. (DUO's open figures are public and may show 1-4:
    docs/disclosure.md.)"""
    root, _ = site
    td = re.compile(r'<td class="n">(.*?)</td>')
    matrix = re.compile(r'<button type="button" data-paar="[^"]*"[^>]*>(.*?)</button>')
    labels = 0
    for f in [root / "afspraken.html"]:  # the other pages also show DUO's public figures, which may be 1-4
        text = f.read_text(encoding="utf-8")
        for v in td.findall(text) + matrix.findall(text):
            v = re.sub(r"<[^>]+>", "", v).replace(" (geschat)", "").strip()
            assert v not in {"1", "2", "3", "4"}, (f, v)
        labels += len(matrix.findall(text)) + len(figure_texts(text))
        assert small_counts_in_figures(text) == [], f
        for m in re.finditer(r'"value":\[([^\]]*)\]', text):  # Sankey link widths
            nums = [float(x) for x in m.group(1).split(",") if x]
            assert not any(x in (1.0, 2.0, 3.0, 4.0) for x in nums), f
    assert labels > 0, "the patterns no longer find the agreement matrix's labels"


def test_derived_numbers_are_true_or_least_values(bundled):
    """'Alle sectoren', 'naar school elders' and region sums are made of published labels only:
    exact when every part is shown, otherwise a least value that the true number never falls below."""
    from grensverkeer.site.publish import ALLE, build_publication, derived_labels

    con = duckdb.connect(str(bundled.warehouse), read_only=True)
    try:
        pub = build_publication(con, load_region(), DisclosureSettings())
    finally:
        con.close()
    true = dict(zip(pub.cells["cell_id"].to_list(), pub.cells["value"].to_list()))
    derived = derived_labels(pub)
    checked = 0
    for cid, lab in derived.items():
        kind, year, sector, *rest = cid.split("|")
        if kind != "f" or sector != ALLE:
            continue
        value = sum(true.get("|".join(["f", year, s, *rest]), 0) for s in pub.years[year].sectors)
        if lab.isdigit():
            assert int(lab) == value, cid
        elif lab == "<5":  # a public estimate of at most 4 pupils, shown as DUO does
            assert 1 <= value <= 4, (cid, value)
        else:
            assert lab.startswith("≥") and 0 < int(lab[1:]) <= value, (cid, lab, value)
        checked += 1
    assert checked > 100
    for year, y in pub.years.items():
        for m in pub.region.codes:
            lab = derived.get(f"elders|{year}|{ALLE}|{m}")
            value = sum(true[f"woon|{year}|{s}|{m}"] - true[f"f|{year}|{s}|{m}|{m}"] for s in y.sectors)
            assert lab is not None and (
                int(lab) == value if lab.isdigit() else 1 <= value <= 4 if lab == "<5" else int(lab[1:]) <= value
            ), (year, m, lab)


def test_years_from_different_sources_are_not_one_trend(site, bundled):
    """The bundled years mix real DUO counts and the synthetic demo: the overview says so, every headline card
    names its source, and no trend line joins a DUO year to a synthetic one."""
    root, _ = site
    from grensverkeer.site.publish import build_publication

    con = duckdb.connect(str(bundled.warehouse), read_only=True)
    try:
        years = build_publication(con, load_region(), DisclosureSettings()).years
    finally:
        con.close()
    sources = {Y: y.source for Y, y in years.items()}
    assert len(set(sources.values())) > 1, "the bundled data should mix sources"
    index = (root / "index.html").read_text(encoding="utf-8")
    assert "de schooljaren komen uit verschillende bronnen" in index
    assert index.count('class="kaartje"') == index.count('<div class="bron">Bron: ')
    import json

    for f in sorted((root / "gemeente").glob("*.html")):
        figs = json.loads(
            re.search(r"var FIGS = (\{.*?\}); var FLOWS", f.read_text(encoding="utf-8"), re.S)
            .group(1)
            .replace("<\\/", "</")
        )
        for trace in figs["trend"]["data"]:
            assert len({sources[x] for x in trace["x"]}) == 1, (f.name, trace["name"], trace["x"])


def test_a_page_per_swv_of_the_region(site, bundled):
    """Every samenwerkingsverband with a PC4 in the region has a page; its tables add up as published."""
    root, _ = site
    con = duckdb.connect(str(bundled.warehouse), read_only=True)
    try:
        swvs = {
            r[0]
            for r in con.execute(
                "select po_swv from ref_swv_pc4 where municipality_code in (select code from ref_region_members) union "
                "select vo_swv from ref_swv_pc4 where municipality_code in (select code from ref_region_members)"
            ).fetchall()
        }
        split = con.execute(
            "select count(distinct po_swv) from ref_swv_pc4 where municipality_code = 'GM1842'"
        ).fetchall()
    finally:
        con.close()
    assert {"PO2815", "VO2806", "PO2802", "PO2803"} <= swvs and split == [(2,)]  # Midden-Delfland is split by PC4
    for x in swvs:
        text = (root / "swv" / f"{x}.html").read_text(encoding="utf-8")
        assert f"Samenwerkingsverband {x[:2]} {x[2:4]}-{x[4:]}" in text
        assert "Met welke lokale teams de scholen in dit gebied werken" in text
    index = (root / "swv.html").read_text(encoding="utf-8")
    assert index.count('href="swv/') == len(swvs)


def test_swv_pages_show_agreement_needs_local_team_by_swv(site, bundled):
    """Each SWV page lists the local teams whose pupils with support go to its schools. The counts are sums of
    published school rows only (no new private number): exact where nothing of the team is hidden, otherwise
    the least they can be; the true count never falls below."""
    root, _ = site
    from grensverkeer.site.format import fmt
    from grensverkeer.site.publish import build_publication

    con = duckdb.connect(str(bundled.warehouse), read_only=True)
    try:
        pub = build_publication(con, load_region(), DisclosureSettings())
        raw = pl.DataFrame(
            con.execute(
                """select a.school_year, a.local_team_municipality_code as A, a.school_location_id,
                          a.students_with_support as n
                   from agreement_needs a where a.level = 'school'
                     and (a.local_team_in_region or a.school_in_region)"""
            ).fetchall(),
            schema=["year", "A", "sid", "n"],
            orient="row",
        )
    finally:
        con.close()
    swv = {c: lab for c, lab in pub.labels.items() if c.startswith("swvpaar|")}
    assert not set(swv) & set(pub.cells["cell_id"].to_list())  # derived from labels, not a private cell
    for c, lab in swv.items():
        _, Y, A, X = c.split("|")
        of = pub.years[Y].school_swv
        n = raw.filter(
            (pl.col("year") == Y) & (pl.col("A") == A) & pl.col("sid").is_in([s for s, x in of.items() if x == X])
        )["n"].sum()
        assert lab not in {"1", "2", "3", "4"}, c
        if lab.isdigit():
            assert int(lab) == n, (c, lab, n)
        else:
            assert lab.startswith("≥") and int(lab[1:]) <= n, (c, lab, n)
    assert len(swv) > 20  # bundled: every team has unlisted rows ('geen'), so all are least values
    text = (root / "swv" / "PO2815.html").read_text(encoding="utf-8")
    assert "Afspraken lokaal team × samenwerkingsverband" in text
    body = text.split("Afspraken lokaal team × samenwerkingsverband", 1)[1]
    latest = max(Y for Y, y in pub.years.items() if y.school_swv and y.schools.height)
    shown = 0
    for c, lab in swv.items():
        _, Y, A, X = c.split("|")
        if X == "PO2815" and Y == latest:
            cell = f'</td><td class="n">{fmt(lab)}</td>'
            assert re.search(rf"{re.escape(A)}\.html\">[^<]+</a>{re.escape(cell)}", body) or (
                A not in pub.region.members and cell in body
            ), (A, lab)
            shown += 1
    assert shown > 0


def test_outside_partners_are_named_points_on_the_map(site):
    """In a DUO year the region's largest outside partners (Rotterdam, Lansingerland, ...) are points of their own,
    by name, with their flows; the other outside municipalities are 'Overig buiten de regio'."""
    root, _ = site
    html = (root / "kaart.html").read_text(encoding="utf-8")
    flows = json.loads(re.search(r"var FLOWS = (\{.*?\});", html, re.S).group(1).replace("<\\/", "</"))
    od = {tuple(p) for p in flows["kaart|2024-2025|ALLE"]["od"]}
    ends = {c for p in od for c in p}
    assert {"GM0599", "GM1621"} <= ends  # Rotterdam, Lansingerland
    texts = " ".join(figure_texts(html))
    assert "Rotterdam" in texts and "Lansingerland" in texts and "Overig buiten de regio" in texts
    assert any(t.startswith("Rotterdam → ") for t in figure_texts(html))


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside script and style."""

    def __init__(self):
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def test_no_page_shows_a_municipality_code_as_its_name(site):
    """Over every page: no municipality code in the text a reader sees, nor in a figure's texts."""
    root, _ = site
    pages = sorted(root.rglob("*.html"))
    assert len(pages) > 100
    code = re.compile(r"\bGM\d{4}\b")
    for f in pages:
        html = f.read_text(encoding="utf-8")
        parser = _Text()
        parser.feed(html)
        seen = code.findall(" ".join(parser.parts)) + [t for t in figure_texts(html) if code.search(t)]
        assert seen == [], (f.relative_to(root), seen[:3])
