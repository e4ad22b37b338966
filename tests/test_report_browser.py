"""The HTML report in a real browser: headless Chromium driven by Playwright for Python.

Uses the system's Chromium (``/usr/bin/chromium``, Debian's ``chromium`` package, installed
by ``.ci/run``) -- never ``playwright install``, which downloads a browser. Skips with the
reason when Playwright or Chromium is missing locally. Screenshots go to the test output
folder: ``$GIPRO_TEST_OUTPUT`` or ``test-output/`` in the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gipro import parks, run
from gipro.report import park_report, report_for_build

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GIPRO_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _output_dir() -> Path:
    out = Path(os.environ.get("GIPRO_TEST_OUTPUT", ROOT / "test-output"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is not installed")
    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not exe:
        if os.environ.get("CI"):  # CI installs it (.ci/run): a skip there would hide a gap
            pytest.fail(f"no Chromium at {CHROMIUM} in CI; .ci/run should install it")
        pytest.skip(f"no Chromium at {CHROMIUM} (on Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=FLAGS)
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    events = {"errors": [], "requests": []}
    page.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    page.on("request", lambda r: events["requests"].append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, events


CHART_STATE = """() => Array.from(document.querySelectorAll('.gipro-chart')).map(d => ({
    id: d.id, traces: (d.data || []).length, svg: !!d.querySelector('.main-svg'),
    points: (d.data || []).reduce((n, t) => n + ((t.x && t.x.length) || (t.y && t.y.length)
                                                  || (t.values && t.values.length) || 0), 0)}))
"""


def _check_page(page, events, n_units: int):
    charts = page.evaluate(CHART_STATE)
    assert charts, "no chart containers"
    for c in charts:
        assert c["traces"] > 0 and c["svg"] and c["points"] > 0, c
    assert page.locator("#ranking-table tbody tr").count() == n_units
    assert events["errors"] == []
    off = [u for u in events["requests"] if not u.startswith(("file:", "data:", "blob:",
                                                               "about:"))]
    assert off == [], off
    return charts


def test_report_in_chromium(browser, tmp_path):
    b = run()
    path = report_for_build(b).write(tmp_path / "report.html")
    page, events = _open(browser, path)
    charts = _check_page(page, events, len(b.final.units))
    assert len(charts) >= 10
    # the unit selector redraws the waterfall for another unit
    wf = next(c["id"] for c in charts if c["id"].endswith("-waterfall"))
    before = page.evaluate(f"() => document.getElementById('{wf}').data[0].y.slice()")
    group = page.get_attribute("#" + wf, "data-group")
    page.locator(f"select[data-group='{group}']").select_option("Shanxi")
    after = page.evaluate(f"() => document.getElementById('{wf}').data[0].y.slice()")
    assert after != before
    assert page.locator(f".unit-panel[data-group='{group}'][data-unit='Shanxi']").is_visible()
    assert not page.locator(f".unit-panel[data-group='{group}'][data-unit='Beijing']"
                            ).is_visible()
    # sorting the ranking table by the index column, ascending: the last-ranked unit first
    page.locator("#ranking-table th").nth(2).click()
    first = page.locator("#ranking-table tbody tr").first.locator("td").nth(1).inner_text()
    res = b.results()
    worst = res[(res["code"] == "GIP") & (res["period"] == 2015)].sort_values("score")
    assert first == b.source_panel.units.loc[worst["unit"].iloc[0], "name"]
    page.screenshot(path=str(_output_dir() / "report.png"), full_page=True)
    assert events["errors"] == []


def test_park_report_in_chromium(browser, tmp_path):
    data = parks.example()
    rep = park_report(data, [parks.assess("hj274", data)], park26_build=parks.park26(data),
                      lang="zh")
    path = rep.write(tmp_path / "parks.html")
    page, events = _open(browser, path)
    _check_page(page, events, len(data.park_codes))
    page.screenshot(path=str(_output_dir() / "parks_zh.png"), full_page=True)


# ---------------------------------------------------------------------- Chinese reports
@pytest.fixture(scope="module")
def zh_files(tmp_path_factory):
    """Every Chinese report, written once for the module: the China report with every
    section (overview, results, profiles, progress, robustness, scenarios, methodology)
    and the park report (scorecards, verdicts, gaps, green index, park26)."""
    from report_cases import full_report

    tmp = tmp_path_factory.mktemp("zh")
    data = parks.example()
    park = park_report(data, [parks.assess(f, data) for f in ("hj274", "miit", "eip")],
                       park26_build=parks.park26(data), lang="zh")
    return {"china": full_report(run()).write(tmp / "china_zh.html"),
            "parks": park.write(tmp / "parks_zh.html")}


@pytest.mark.parametrize("which", ["china", "parks"])
def test_chinese_reports_hold_no_english_sentence(browser, zh_files, which):
    """Visible text (hidden unit panels included) outside ``licence`` elements: no run of
    five English words; every chart drawn."""
    from english import VISIBLE_TEXT, english_runs

    page, events = _open(browser, zh_files[which])
    text = page.evaluate(VISIBLE_TEXT)
    assert english_runs(text) == []
    assert "北京" in text if which == "china" else "南方示例园区" in text
    for c in page.evaluate(CHART_STATE):
        assert c["traces"] > 0 and c["svg"], c
    assert events["errors"] == []
    page.close()


A4_PRINTABLE_HEIGHT_PX = 1032  # 297 mm - 2 x 12 mm margins, at 96 px per inch


def test_print_layout_and_pdf(browser, zh_files, tmp_path):
    """Print stylesheet (A4 width, print media) of the China report: no chart toolbar,
    navigation or unit selector; every chart is kept on one page (break-inside: avoid) and
    fits a page. Then a PDF printed by Chromium (the park report: fewer charts, quicker)
    renders page by page (pdftoppm)."""
    from gipro.report.pdf import A4_WIDTH_PX, print_pdf

    page = browser.new_page(viewport={"width": A4_WIDTH_PX, "height": 1000})
    page.goto(zh_files["china"].resolve().as_uri())
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    state = page.evaluate("""() => ({
        hidden: ['.modebar-container', 'nav.toc', '.selector'].map(s =>
            Array.from(document.querySelectorAll(s)).every(e =>
                getComputedStyle(e).display === 'none')),
        charts: Array.from(document.querySelectorAll('.gipro-chart')).filter(
            d => d.offsetParent !== null).map(d => ({id: d.id,
                brk: getComputedStyle(d).breakInside, h: d.getBoundingClientRect().height,
                w: d.getBoundingClientRect().width}))})""")
    assert all(state["hidden"]), state["hidden"]
    assert state["charts"]
    for c in state["charts"]:
        assert c["brk"] == "avoid" and 0 < c["h"] <= A4_PRINTABLE_HEIGHT_PX, c
        assert c["w"] <= A4_WIDTH_PX, c
    page.close()
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        if os.environ.get("CI"):
            pytest.fail("no pdftoppm in CI; .ci/run installs poppler-utils")
        pytest.skip("no pdftoppm (Debian: apt-get install poppler-utils)")
    import subprocess

    pdf = print_pdf(zh_files["parks"], tmp_path / "parks_zh.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run([pdftoppm, "-r", "30", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # sections start on a new page: parks, methodology
    assert all(p.stat().st_size > 1000 for p in pages)
    shutil.copy(pdf, _output_dir() / "parks_zh.pdf")
