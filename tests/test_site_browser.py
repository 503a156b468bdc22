"""The static dashboard site of the bundled run in headless Chromium: one browser, one tab (the file checks: test_site.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grensverkeer.settings import load_region

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
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium (CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def tab(browser):
    """One page (tab) for every browser test. Going from page to page in one tab keeps its renderer
    process, which has compiled plotly.min.js already; a new tab per page started a process and
    compiled the 4.8 MB script again every time (about 1 s a page)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(120_000)  # a shared, busy machine: loading is slow, not wrong (speed: benchmarks/)
    yield page
    page.close()


_LISTENERS: list[tuple[str, object]] = []  # the listeners _open put on the tab for the current test


def _open(tab, path: Path):
    """Go to `path` in the tab; the errors and the requests outside the site from here on."""
    for event, listener in _LISTENERS:
        tab.remove_listener(event, listener)
    errors, outside = [], []
    _LISTENERS[:] = [
        ("console", lambda m: errors.append(m.text) if m.type == "error" else None),
        ("pageerror", lambda e: errors.append(str(e))),
        (
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:", "blob:", "about:")) else None,
        ),
    ]
    for event, listener in _LISTENERS:
        tab.on(event, listener)
    tab.goto(path.as_uri())
    tab.wait_for_load_state("load")
    return tab, errors, outside


def _rendered(page) -> int:
    """Visible figures that have SVG or canvas content."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.fig[data-fig]'))
        .filter(d => !d.closest('.verborgen'))
        .map(d => d.querySelector('.main-svg, canvas') ? 1 : 0).reduce((a, b) => a + b, 0)""")


def test_pages_in_browser(site, tab, bundled):
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
        page, errors, outside = _open(tab, path)
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


def test_every_school_page_loads(site, tab):
    root, _ = site
    schools = sorted((root / "school").glob("*.html"))
    assert len(schools) > 100
    sample = schools[:: max(1, len(schools) // 25)]  # a spread sample: every page is built the same way
    page, errors, _ = _open(tab, sample[0])
    for path in sample:
        page.goto(path.as_uri())
        assert page.locator(".fig .main-svg").count() >= 1, path
    assert errors == []


@pytest.mark.parametrize("name", ["stromen.html", "kaart.html"])
def test_year_and_sector_controls(site, tab, name):
    root, _ = site
    page, errors, outside = _open(tab, root / name)
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


def test_agreement_matrix_answers_which_schools_need_an_agreement(site, tab):
    """'Which schools in Delft need an agreement with the local team of Westland?': the page opens with the matrix
    of the latest year; one click on the cell (row Westland, column Delft) opens that pair's schools."""
    root, _ = site
    page, errors, outside = _open(tab, root / "afspraken.html")
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


def test_sortable_table(site, tab):
    root, _ = site
    page, errors, outside = _open(tab, root / "stromen.html")
    table = page.locator("div[data-groep]:not(.verborgen) table").first
    first = lambda: table.locator("tbody tr td").first.inner_text()  # noqa: E731
    table.locator("th.sorteer button").first.click()
    asc = first()
    table.locator("th.sorteer button").first.click()
    desc = first()
    assert asc != desc  # the first column (municipality names) sorted up, then down
    assert errors == [] and outside == []


def test_search_box_opens_the_page(site, tab):
    root, _ = site
    page, errors, outside = _open(tab, root / "index.html")
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


def test_factsheets_print_on_at_most_two_a4_pages(site, tab, bundled):
    """The factsheet of every region municipality, printed to PDF by headless Chromium (print CSS), fits on
    one A4 page, two at most."""
    root, _ = site
    shots = SHOTS
    shots.mkdir(parents=True, exist_ok=True)
    for code in load_region().codes:
        page, errors, outside = _open(tab, root / "factsheet" / f"{code}.html")
        assert page.locator(".fig .main-svg").count() >= 1, code  # the map is drawn before printing
        pdf = page.pdf(format="A4", print_background=True)
        (shots / f"factsheet_{code}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert 1 <= pages <= 2, (code, pages)
        assert errors == [] and outside == []


def test_map_filters_by_municipality_and_direction(site, tab):
    root, _ = site
    page, errors, outside = _open(tab, root / "kaart.html")
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


def _tab_to(page, selector: str, limit: int = 300) -> bool:
    """Press Tab from the top of the page until the element matching selector has the focus."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement && document.activeElement.matches({json.dumps(selector)})"):
            return True
    return False


def test_matrix_and_map_controls_work_from_the_keyboard(site, tab):
    """The agreement matrix and the map controls are reached with Tab and work with Enter, Space and the arrows."""
    root, _ = site
    page, errors, outside = _open(tab, root / "afspraken.html")
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

    page, errors, outside = _open(tab, root / "kaart.html")
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
def test_text_and_level_colours_pass_wcag_aa_contrast(site, tab, name):
    """Every visible text (the need-level colours of the matrix included) against its background: at least
    4.5:1, 3:1 for large text (WCAG 2.1 AA)."""
    root, _ = site
    page, errors, outside = _open(tab, root / name)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    if name == "afspraken.html":
        assert page.locator("td.niveau-afspraak, td.niveau-aandacht, td.niveau-geen").count() > 0
    assert page.evaluate(CONTRAST) == []
    assert errors == [] and outside == []
