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
