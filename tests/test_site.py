"""The static dashboard site: built from the bundled pipeline run, checked as files and in headless Chromium."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import polars as pl
import pytest

from grensverkeer.disclosure import DisclosureSettings, check_published
from grensverkeer.settings import load_region
from grensverkeer.site import build_site

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
]
# screenshots for a reviewer (build/ is not tracked)
SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
TOP = [
    "index.html",
    "stromen.html",
    "kaart.html",
    "afspraken.html",
    "gemeenten.html",
    "scholen.html",
    "factsheet/GM1783.html",
    "swv.html",
    "swv/PO2815.html",
]


@pytest.fixture(scope="session")
def site(bundled):
    con = duckdb.connect(str(bundled.warehouse), read_only=True)
    try:
        files = build_site(con, bundled.out_dir, load_region(), DisclosureSettings())
    finally:
        con.close()
    return bundled.out_dir / "site", files


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
            "select raw_text from raw_linked_enrolments using sample 200 rows (reservoir, 1)"
        ).fetchall()
    ]
    raw += [r[0] for r in con.execute("select raw_line from raw_rows using sample 200 rows (reservoir, 1)").fetchall()]
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


def small_counts_in_figures(html: str) -> list[str]:
    return [s for s in figure_texts(html) if SMALL.search(NOT_A_COUNT.sub("", s))]


def test_small_count_in_a_figure_text_is_found():
    page = 'Plotly.newPlot("f", [{"text": [["12", "x"]], "customdata": ["Delft \\u2192 Rijswijk: 3 leerlingen"]}])'
    assert small_counts_in_figures(page) == ["Delft \u2192 Rijswijk: 3 leerlingen"]
    assert small_counts_in_figures('{"hovertext": ["<b>Delft</b><br>2 eigen"], "text": "deelregio 1"}') == [
        " Delft  2 eigen"
    ]


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


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium (CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:", "blob:", "about:")) else None,
    )
    page.set_default_timeout(120_000)  # a shared, busy machine: loading is slow, not wrong (speed: benchmarks/)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, outside


def _rendered(page) -> int:
    """Visible figures that have SVG or canvas content."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.fig[data-fig]'))
        .filter(d => !d.closest('.verborgen'))
        .map(d => d.querySelector('.main-svg, canvas') ? 1 : 0).reduce((a, b) => a + b, 0)""")


def test_pages_in_browser(site, browser, bundled):
    root, _ = site
    shots = SHOTS
    shots.mkdir(parents=True, exist_ok=True)
    pages = (
        [root / p for p in TOP]
        + [root / "veranderd.html"]
        + sorted(p for p in (root / "swv").glob("*.html") if p.name != "PO2815.html")
        + sorted((root / "gemeente").glob("*.html"))
        + sorted((root / "school").glob("*.html"))[:5]
    )
    for path in pages:
        page, errors, outside = _open(browser, path)
        visible = page.evaluate(
            "() => Array.from(document.querySelectorAll('.fig[data-fig]')).filter(d => !d.closest('.verborgen')).length"
        )
        assert _rendered(page) == visible, path
        assert page.evaluate("document.documentElement.scrollHeight") < 10_000, path  # at 1400 px wide
        page.screenshot(
            path=str(shots / (path.relative_to(root).as_posix().replace("/", "_") + ".png")), full_page=True
        )
        assert errors == [], (path, errors)
        assert outside == [], (path, outside)
        page.close()


def test_every_school_page_loads(site, browser):
    root, _ = site
    page = browser.new_page()
    page.set_default_timeout(120_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    schools = sorted((root / "school").glob("*.html"))
    assert len(schools) > 100
    for path in schools[:: max(1, len(schools) // 25)]:  # a spread sample: every page is built the same way
        page.goto(path.as_uri())
        assert page.locator(".fig .main-svg").count() >= 1, path
    assert errors == []
    page.close()


@pytest.mark.parametrize("name", ["stromen.html", "kaart.html"])
def test_year_and_sector_controls(site, browser, name):
    root, _ = site
    page, errors, outside = _open(browser, root / name)
    years = page.eval_on_selector_all("#kies-jaar option", "os => os.map(o => o.value)")
    assert len(years) >= 2
    seen = set()
    for year in years:
        page.select_option("#kies-jaar", year)
        sectors = page.eval_on_selector_all("#kies-sector option:not([hidden])", "os => os.map(o => o.value)")
        assert sectors
        for sector in sectors:
            page.select_option("#kies-sector", sector)
            shown = page.eval_on_selector_all(
                "[data-groep]:not(.verborgen)", "es => es.map(e => e.getAttribute('data-groep'))"
            )
            assert shown == [f"jaar={year} sector={sector}"]
            assert _rendered(page) >= 1
            seen.add(page.inner_text("[data-groep]:not(.verborgen) h2"))
    assert len(seen) > 1  # the controls change what is shown
    if name == "kaart.html":
        before = page.evaluate(
            "() => document.querySelector('[data-groep]:not(.verborgen) .fig').data.filter(t => t.visible !== false).length"
        )
        page.select_option("#kies-topn", "5")
        after = page.evaluate(
            "() => document.querySelector('[data-groep]:not(.verborgen) .fig').data.filter(t => t.visible !== false).length"
        )
        assert after < before
    assert errors == [] and outside == []
    page.close()


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


def test_agreement_matrix_answers_which_schools_need_an_agreement(site, browser):
    """'Which schools in Delft need an agreement with the local team of Westland?': the page opens with the matrix
    of the latest year; one click on the cell (row Westland, column Delft) opens that pair's schools."""
    root, _ = site
    page, errors, outside = _open(browser, root / "afspraken.html")
    year = page.eval_on_selector_all("#kies-jaar option", "os => os.map(o => o.value)")[-1]
    assert page.input_value("#kies-jaar") == year
    cell = page.locator("div[data-groep]:not(.verborgen) td[data-cel='GM1783>GM0503'] button")
    assert cell.count() == 1
    label = cell.inner_text()
    cell.click()
    pair = page.locator(f"details.paar[data-jaar='{year}'][data-a='GM1783'][data-b='GM0503']")
    assert pair.get_attribute("open") is not None and pair.is_visible()
    summary = pair.locator("summary").inner_text()
    assert "lokaal team van Westland × scholen in Delft" in summary and label in summary
    rows = pair.locator("tbody tr")
    assert rows.count() >= 2 and all(r.is_visible() for r in rows.all())
    assert any(t.startswith("afspraak nodig\t") for t in rows.all_inner_texts())
    # the other pairs are filtered away; clearing the filter shows them again
    visible = page.locator(f"div[data-groep='jaar={year}'] details.paar[data-a]:not(.verborgen)")
    assert visible.count() == 1
    page.select_option("#filter-a", "")
    assert visible.count() > 1
    # the rule is stated once, not per row
    assert page.content().count("Wanneer is een afspraak nodig?") == 1
    assert errors == [] and outside == []
    page.close()


def test_sortable_table(site, browser):
    root, _ = site
    page, errors, outside = _open(browser, root / "stromen.html")
    table = page.locator("div[data-groep]:not(.verborgen) table").first
    first = lambda: table.locator("tbody tr td").first.inner_text()  # noqa: E731
    table.locator("th.sorteer button").first.click()
    asc = first()
    table.locator("th.sorteer button").first.click()
    desc = first()
    assert asc != desc  # the first column (municipality names) sorted up, then down
    assert errors == [] and outside == []
    page.close()


def test_search_box_opens_the_page(site, browser):
    root, _ = site
    page, errors, outside = _open(browser, root / "index.html")
    page.fill("#zoek", "Westland (gemeente)")
    page.press("#zoek", "Enter")
    page.wait_for_load_state("load")
    assert page.url.endswith("gemeente/GM1783.html")
    assert "Scholen in andere gemeenten waarmee het lokale team van Westland samenwerkt" in page.content()
    page.fill("#zoek", "pleysier")  # part of a school's name, any case
    page.press("#zoek", "Enter")
    page.wait_for_load_state("load")
    assert "/school/" in page.url
    assert errors == [] and outside == []
    page.close()


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


def test_factsheets_print_on_at_most_two_a4_pages(site, browser, bundled):
    """The factsheet of every region municipality, printed to PDF by headless Chromium (print CSS), fits on
    one A4 page, two at most."""
    root, _ = site
    shots = SHOTS
    shots.mkdir(parents=True, exist_ok=True)
    for code in load_region().codes:
        page, errors, outside = _open(browser, root / "factsheet" / f"{code}.html")
        assert page.locator(".fig .main-svg").count() >= 1, code  # the map is drawn before printing
        pdf = page.pdf(format="A4", print_background=True)
        (shots / f"factsheet_{code}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert 1 <= pages <= 2, (code, pages)
        assert errors == [] and outside == []
        page.close()


def test_map_filters_by_municipality_and_direction(site, browser):
    root, _ = site
    page, errors, outside = _open(browser, root / "kaart.html")
    page.select_option("#kies-topn", "alle")
    fig = "[data-groep]:not(.verborgen) .fig"
    ods = page.evaluate(f"() => FLOWS[document.querySelector('{fig}').getAttribute('data-fig')].od")
    visible = lambda: page.evaluate(  # noqa: E731
        f"() => {{ const d = document.querySelector('{fig}'), i = FLOWS[d.getAttribute('data-fig')];"
        " return i.od.filter((_, n) => d.data[i.start + n].visible !== false); }"
    )
    assert len(visible()) == len(ods)
    page.select_option("#kies-gemeente", ["GM0503"])  # Delft
    page.select_option("#kies-richting", "in")
    assert visible() and all(d == "GM0503" for _, d in visible())
    page.select_option("#kies-richting", "uit")
    assert visible() and all(o == "GM0503" for o, _ in visible())
    page.select_option("#kies-gemeente", ["GM0503", "GM1783"])
    page.select_option("#kies-richting", "tussen")
    assert all({o, d} <= {"GM0503", "GM1783"} for o, d in visible())
    page.select_option("#kies-richting", "alle")
    assert all({o, d} & {"GM0503", "GM1783"} for o, d in visible())
    assert "zichtbaar" in page.inner_text("[data-groep]:not(.verborgen) .getoond")
    assert errors == [] and outside == []
    page.close()


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


def _tab_to(page, selector: str, limit: int = 300) -> bool:
    """Press Tab from the top of the page until the element matching selector has the focus."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement && document.activeElement.matches({json.dumps(selector)})"):
            return True
    return False


def test_matrix_and_map_controls_work_from_the_keyboard(site, browser):
    """The agreement matrix and the map controls are reached with Tab and work with Enter, Space and the arrows."""
    root, _ = site
    page, errors, outside = _open(browser, root / "afspraken.html")
    year = page.input_value("#kies-jaar")
    first = "div[data-groep]:not(.verborgen) td[data-cel] button"
    assert _tab_to(page, first)
    westland_delft = page.locator("div[data-groep]:not(.verborgen) td[data-cel='GM1783>GM0503'] button")
    westland_delft.focus()
    page.keyboard.press("Enter")
    pair = page.locator(f"details.paar[data-jaar='{year}'][data-a='GM1783'][data-b='GM0503']")
    assert pair.get_attribute("open") is not None and pair.is_visible()
    other = page.locator("div[data-groep]:not(.verborgen) td[data-cel] button").nth(1)
    a, b = other.evaluate("e => e.closest('td').getAttribute('data-cel')").split(">")
    other.focus()
    page.keyboard.press(" ")
    assert (
        page.locator(f"details.paar[data-jaar='{year}'][data-a='{a}'][data-b='{b}']").get_attribute("open") is not None
    )
    assert errors == [] and outside == []
    page.close()

    page, errors, outside = _open(browser, root / "kaart.html")
    fig = "[data-groep]:not(.verborgen) .fig"
    shown = lambda: page.evaluate(  # noqa: E731
        f"() => {{ const d = document.querySelector('{fig}'), i = FLOWS[d.getAttribute('data-fig')];"
        " return i.od.filter((_, n) => d.data[i.start + n].visible !== false).length; }"
    )
    for control in ("#kies-jaar", "#kies-sector", "#kies-gemeente", "#kies-richting", "#kies-topn"):
        assert _tab_to(page, control), control
    assert _tab_to(page, "#kies-topn")
    before = shown()
    page.keyboard.press("ArrowDown")  # top-N: the next choice
    assert page.input_value("#kies-topn") != "10" or shown() != before
    assert _tab_to(page, "#kies-gemeente")
    page.keyboard.press("ArrowDown")  # a municipality chosen with the keyboard
    chosen = page.evaluate(
        "() => Array.from(document.querySelector('#kies-gemeente').selectedOptions).map(o => o.value)"
    )
    assert len(chosen) == 1
    assert _tab_to(page, "#kies-richting")
    page.keyboard.press("ArrowDown")  # 'all' -> the next direction
    assert page.input_value("#kies-richting") != "alle"
    assert errors == [] and outside == []
    page.close()


CONTRAST = """() => {
  const lum = c => { const v = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(x => x / 255)
      .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
      const a = c.match(/[\\d.]+/g); if (a && (a.length < 4 || Number(a[3]) > 0.9)) return c; } return 'rgb(255, 255, 255)'; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('svg, script, style, .verborgen, [hidden]')) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || !el.getClientRects().length) continue;
    const l1 = lum(st.color), l2 = lum(bg(el)), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push([n.textContent.trim().slice(0, 30), st.color, bg(el), ratio.toFixed(2)]);
  }
  return out;
}"""


@pytest.mark.parametrize(
    "name", ["index.html", "afspraken.html", "kaart.html", "veranderd.html", "swv/PO2815.html", "gemeente/GM1783.html"]
)
def test_text_and_level_colours_pass_wcag_aa_contrast(site, browser, name):
    """Every visible text (the need-level colours of the matrix included) against its background: at least
    4.5:1, 3:1 for large text (WCAG 2.1 AA)."""
    root, _ = site
    page, errors, outside = _open(browser, root / name)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    if name == "afspraken.html":
        assert page.locator("td.niveau-afspraak, td.niveau-aandacht, td.niveau-geen").count() > 0
    assert page.evaluate(CONTRAST) == []
    assert errors == [] and outside == []
    page.close()
