"""The HTML report, its sections from plain tables, the Excel workbook and chart images.

Expected values come from hand calculations (the 3-unit build below), from the build itself
where the report must show the build's numbers unchanged (round trips), and from invariants
of the method (contributions add up to the index change).
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
from html.parser import HTMLParser

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import gipro
from gipro import Framework, InputError, Panel, run
from gipro.cli import app
from gipro.report import (
    ImageEngineError,
    Report,
    Robustness,
    build_chart,
    park_report,
    report_for_build,
    save_image,
    write_excel,
)
from gipro.report.excel import _sheet_name
from gipro.report.i18n import STRINGS, check_complete, translate

runner = CliRunner()
RECIPE = {"framework": "inline", "data": {"dataset": "china_provinces"}}


# ---------------------------------------------------------------------- helpers
class _Refs(HTMLParser):
    """Collects every place an HTML page could load something from."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: dict[str, int] = {}
        self._style = False
        self.css: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action", "background") and v:
                self.refs.append(f"<{tag} {k}={v}>")
            if k == "style" and v:
                self.css.append(v)
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self.css.append(data)


def network_references(html: str) -> list[str]:
    """src/href (and CSS url()/@import) values that would load from the network."""
    p = _Refs()
    p.feed(html)
    remote = re.compile(r"^\s*(https?:|//|ftp:)", re.I)
    out = [r for r in p.refs if remote.search(r.split("=", 1)[1].rstrip(">"))]
    for css in p.css:
        out += [f"css {m}" for m in re.findall(r"url\(\s*['\"]?\s*((?:https?:)?//[^)'\"]+)",
                                               css, re.I)]
        out += [f"css {m}" for m in re.findall(r"@import[^;]*", css, re.I)]
    return out


def _decode(obj):
    """Plotly's JSON stores numeric arrays as base64 typed arrays ({dtype, bdata, shape})."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
            if "shape" in obj:
                arr = arr.reshape([int(k) for k in str(obj["shape"]).split(",")])
            return arr.astype(float).tolist()
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gipro-data">(.*?)</script>', html, re.S)
    return _decode(json.loads(m.group(1)))


def table_rows(html: str, table_id: str) -> list[list[str]]:
    m = re.search(rf'<table id="{table_id}"[^>]*>.*?<tbody>(.*?)</tbody>', html, re.S)
    assert m, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r,
                                                                   re.S)] for r in rows]


def three_units(unit_codes=("U1", "U2", "U3")):
    """Hand case: a = 0, 5, 10 and b = 10, 0, 5 -> min-max [0, 100]: a 0/50/100, b 100/0/50,
    index = mean = 50, 25, 75 -> ranks U3 1, U1 2, U2 3."""
    fw = Framework([{"code": "a", "parent": "I", "direction": 1, "name": {"en": "A", "zh": "甲"}},
                    {"code": "b", "parent": "I", "direction": 1, "name": {"en": "B", "zh": "乙"}}],
                   [{"code": "I", "name": {"en": "Index", "zh": "指数"}}])
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in unit_codes], names=["unit", "period"])
    values = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 5.0]}, index=idx)
    steps = [{"step": "normalise", "range": [0, 100]}, {"step": "aggregate"}]
    return run({**RECIPE, "steps": steps}, framework=fw, panel=Panel(values))


@pytest.fixture(scope="module")
def build():
    return run()


@pytest.fixture(scope="module")
def html(build):
    return report_for_build(build, generated="2024-01-01").to_html()


# ---------------------------------------------------------------------- languages
def test_every_template_string_in_both_languages():
    assert check_complete() == []
    assert translate("ranking", "zh", period=2015) == "2015年排名"
    with pytest.raises(InputError, match="unknown report language 'fr'"):
        Report("x", lang="fr")


def test_builtin_frameworks_carry_english_and_chinese_names():
    for name in gipro.builtin_frameworks():
        fw = gipro.load_framework(name)
        missing = [c for c, n in fw.nodes.items() if not (n.name.en and n.name.zh)]
        assert missing == [], (name, missing)
        assert fw.name.en and fw.name.zh
    for ind in gipro.parks.load_catalogue().indicators:
        assert ind.name.en and ind.name.zh, ind.code
    for name in gipro.parks.builtin_park_frameworks():
        pf = gipro.parks.load_park_framework(name)
        assert all(c.name.en and c.name.zh for c in pf.categories), name
        if name != "eip":  # the EIP framework is published in English only
            assert all(r.name.en and r.name.zh for r in pf.requirements), name


# ---------------------------------------------------------------------- the page
def test_report_is_self_contained(html):
    from plotly.offline import get_plotlyjs

    assert network_references(html) == []
    # plotly.js inline exactly once, whatever the number of charts
    assert html.count(get_plotlyjs()[:300]) == 1
    assert html.count('class="gipro-chart"') >= 10
    assert "<link" not in html and "<img" not in html and "<iframe" not in html


def test_network_reference_check_can_fail():
    bad = ('<html><head><script src="https://cdn.plot.ly/plotly.min.js"></script>'
           '<style>@import "x.css"; body{background:url(//x.org/a.png)}</style></head>'
           '<body><img src="http://x.org/a.png"><a href="#ok">ok</a></body></html>')
    refs = network_references(bad)
    assert len(refs) == 4 and not any("#ok" in r for r in refs)


def test_ranking_table_and_chart_show_the_builds_numbers(build, html):
    rows = table_rows(html, "ranking-table")
    res = build.results()
    gip = res[(res["code"] == "GIP") & (res["period"] == 2015)].sort_values("rank")
    assert len(rows) == 30 == len(build.final.units)
    names = build.source_panel.units["name"]
    assert [r[1] for r in rows] == [names[u] for u in gip["unit"]]
    assert [r[2] for r in rows] == [f"{s:.2f}" for s in gip["score"]]
    figs = payload(html)["figures"]
    (bar,) = [v for k, v in figs.items() if k.endswith("-ranking")]
    # the chart carries full-precision scores (JSON floats round-trip exactly)
    assert sorted(bar["data"][0]["x"]) == sorted(gip["score"].tolist())


def test_waterfalls_add_up_to_the_index_change(build, html):
    data = payload(html)
    (sets,) = [v for k, v in data["sets"].items() if k.endswith("-waterfall")]
    assert len(sets) == 30
    res = build.results()
    gip = res[res["code"] == "GIP"].pivot(index="unit", columns="period", values="score")
    for unit, fig in sets.items():
        y = fig["data"][0]["y"]
        # base score + contributions = end score (decompose: exact for arithmetic means)
        assert y[0] == gip.at[unit, 2006] and y[-1] == gip.at[unit, 2015]
        assert sum(y[1:-1]) == pytest.approx(y[-1] - y[0], abs=1e-9)


def test_chinese_report(build):
    zh = report_for_build(build, lang="zh", profiles=False, progress=False).to_html()
    assert "中国省级绿色工业进展指数" in zh and "北京" in zh and "方法说明" in zh
    assert 'lang="zh-CN"' in zh
    assert "Unit profiles" not in zh and ">Methodology<" not in zh


def test_hand_case_ranking_and_missing_never_zero():
    b = three_units()
    html = report_for_build(b, progress=False).to_html()
    rows = table_rows(html, "ranking-table")
    assert [r[:3] for r in rows] == [["1", "U3", "75.00"], ["2", "U1", "50.00"],
                                     ["3", "U2", "25.00"]]
    # a unit without data: shown with a dash and listed with its reason, never as 0
    fw = b.framework
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in ("U1", "U2", "U3", "U4")],
                                    names=["unit", "period"])
    values = pd.DataFrame({"a": [0.0, 5.0, 10.0, np.nan], "b": [10.0, 0.0, 5.0, np.nan]},
                          index=idx)
    b4 = run({**RECIPE, "steps": [{"step": "normalise"}, {"step": "aggregate"}]},
             framework=fw, panel=Panel(values))
    html = report_for_build(b4, progress=False).to_html()
    rows = table_rows(html, "ranking-table")
    assert len(rows) == 4 and rows[-1][:3] == ["–", "U4", "–"]
    assert "no I score: 2 of 2 indicators missing" in html
    (heat,) = [v for k, v in payload(html)["figures"].items() if k.endswith("-heatmap")]
    assert all(math.isnan(v) for v in heat["data"][0]["z"][-1])  # missing (a gap), not 0


def test_sections_from_plain_tables():
    ri = pd.DataFrame({"unit": ["A", "B", "C"], "nominal_rank": [1, 2, 3],
                       "median_rank": [1.0, 2.5, 2.5], "q05": [1, 2, 1], "q95": [2, 3, 3],
                       "mean_abs_shift": [0.2, 0.6, 0.9]})
    sob = pd.DataFrame({"input": ["weights", "normalisation"], "S1": [0.6, 0.3],
                        "ST": [0.65, 0.38], "S1_conf": [0.05, 0.04], "ST_conf": [0.05, 0.05]})
    corr = pd.DataFrame([[1.0, 0.4], [0.4, 1.0]], index=["x", "y"], columns=["x", "y"])
    html = Report("t", sections=[Robustness(ri, sob, corr, "Pearson|2020")]).to_html()
    assert len(table_rows(html, "rank-interval-table")) == 3
    figs = payload(html)["figures"]
    (riv,) = [v for k, v in figs.items() if k.endswith("-rank-intervals")]
    med = riv["data"][0]
    assert med["y"] == [1.0, 2.5, 2.5]
    assert med["error_y"]["array"] == [1.0, 0.5, 0.5]  # q95 - median
    assert med["error_y"]["arrayminus"] == [0.0, 0.5, 1.5]  # median - q05
    assert network_references(html) == []
    with pytest.raises(InputError, match="rank-interval table lacks columns: q95"):
        Robustness(ri.drop(columns="q95"))
    with pytest.raises(InputError, match="q05 <= median_rank <= q95"):
        Robustness(ri.assign(q05=[1, 3, 1]))
    with pytest.raises(InputError, match="Sobol table lacks columns: ST"):
        Robustness(sobol=sob.drop(columns="ST"))
    with pytest.raises(InputError, match="square"):
        Robustness(correlations=corr.iloc[:1])
    with pytest.raises(InputError, match="not numbers"):
        Robustness(sobol=sob.assign(S1=["a", "b"]))


def test_robustness_aliases_are_renamed():
    ri = pd.DataFrame({"unit": ["A"], "rank_nominal": [1], "rank_median": [1.0],
                       "rank_q05": [1], "rank_q95": [2]})
    r = Robustness(ri)
    assert {"nominal_rank", "median_rank", "q05", "q95"} <= set(r.rank_intervals.columns)


def test_methodology_lists_steps_parameters_and_sources(html):
    """Each step as prose with a parameter table (no raw YAML, no internal names); only the
    data set the build read is in the sources (not the ASEM data's MIT licence, not the
    synthetic parks)."""
    assert "<td>bounds</td><td>pooled</td>" in html
    assert "<td>minimum share of children</td><td>50%</td>" in html
    assert "Normalisation by min-max normalisation onto [0, 100]" in html
    assert "disable: false" not in html and "by_code: {}" not in html
    assert "bounds pooled over all periods 2006-2015" in html
    assert "Shan Y., Guan D., Zheng H. et al. (2018)" in html  # the NOTICE, verbatim
    assert "CC BY 4.0" in html
    meth = html[html.index('id="methodology"'):html.index("</section>",
                                                          html.index('id="methodology"'))]
    assert "MIT License" not in meth and "SYNTHETIC example parks" not in meth
    assert "gipro embedded data: china_provinces" in meth


# ---------------------------------------------------------------------- parks
@pytest.fixture(scope="module")
def parks_report():
    from gipro import parks

    data = parks.example()
    assessments = [parks.assess(f, data) for f in ("hj274", "miit", "eip")]
    return data, assessments, park_report(data, assessments, park26_build=parks.park26(data))


def test_park_scorecard_marks_and_unverified(parks_report):
    _, assessments, rep = parks_report
    html = rep.to_html()
    assert network_references(html) == []
    assert "SYNTHETIC example data" in html
    a = assessments[0]
    year = int(a.requirements["year"].max())
    rows = table_rows(html, "scorecard-hj274")
    r = a.requirements[a.requirements["year"] == year]
    assert len(rows) == r["requirement"].nunique()
    marks = {"met": "✓", "partly met": "◐", "not met": "✗", "not applicable": "–",
             "no data": "?", "no threshold (unverified)": "∅"}
    by = r.set_index(["requirement", "park"])["outcome"]
    parks_order = list(dict.fromkeys(r["park"]))
    for row in rows:
        code = row[0]
        assert row[2].endswith("*") == (not bool(r[r["requirement"] == code]["verified"]
                                                 .iloc[0]))
        for p, cell in zip(parks_order, row[3:], strict=True):
            assert cell.startswith(marks[by[(code, p)]])
    # every unverified threshold of the three frameworks is listed in the appendix
    n_unver = sum(1 for x in assessments for q in x.framework.requirements if not q.verified)
    assert len(table_rows(html, "unverified-table")) == n_unver > 0


# ---------------------------------------------------------------------- Excel
def test_excel_round_trip(build, tmp_path):
    path = write_excel(tmp_path / "book.xlsx", build)
    sheets = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert sheets[:5] == ["about", "ranking", "raw", "normalised", "aggregated"]
    for name in ("log", "sources", "results", "weights", "framework", "progress_index",
                 "improvers", "contributions", "leading_factors"):
        assert name in sheets, name
    book = pd.read_excel(path, sheet_name=["results", "aggregated", "log", "sources",
                                           "progress_index"])
    res = build.results()
    got = book["results"]
    assert list(got.columns) == ["unit", "unit_name", "period", "code", "code_name",
                                 *res.columns[3:]]
    assert (got["unit_name"][got["unit"] == "InnerMongolia"] == "Inner Mongolia").all()
    assert got[["unit", "period", "code", "level"]].equals(
        res[["unit", "period", "code", "level"]].astype(got[["unit", "period", "code",
                                                             "level"]].dtypes))
    assert (got["rank"].to_numpy() == res["rank"].to_numpy(dtype=float)).all()
    # openpyxl stores 16 significant digits: equal to the build's within 1e-15 relative
    np.testing.assert_allclose(got["score"], res["score"], rtol=1e-15, atol=0)
    agg = build.data("aggregated").reset_index()
    np.testing.assert_allclose(book["aggregated"][agg.columns[2:]].to_numpy(),
                               agg[agg.columns[2:]].to_numpy(), rtol=1e-15, atol=0)
    assert len(book["log"]) == len(build.log)
    assert book["sources"]["text"].str.contains("CEADs").any()
    prog = gipro.progress.index_progress(build)
    np.testing.assert_allclose(book["progress_index"]["change"], prog["change"], rtol=1e-15)


def test_excel_missing_is_empty_and_text_is_never_a_formula(tmp_path):
    fw = three_units().framework
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in ("=1+1", "U2", "U3", "U4")],
                                    names=["unit", "period"])
    values = pd.DataFrame({"a": [0.0, 5.0, 10.0, np.nan], "b": [10.0, 0.0, 5.0, 1.0]},
                          index=idx)
    b = run({**RECIPE, "steps": [{"step": "normalise"}, {"step": "aggregate"}]},
            framework=fw, panel=Panel(values))
    path = write_excel(tmp_path / "b.xlsx", b)
    ws = openpyxl.load_workbook(path)["raw"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["C5"].value is None  # U4's missing a: an empty cell, not 0
    raw = pd.read_excel(path, sheet_name="raw")
    assert np.isnan(raw.loc[3, "a"]) and raw.loc[3, "b"] == 1.0


def test_sheet_names_valid_and_unique():
    used: set[str] = set()
    a = _sheet_name("treat.changes/[x]:y*z?" * 3, used)
    b = _sheet_name("treat.changes/[x]:y*z?" * 3, used)
    assert len(a) <= 31 and len(b) <= 31 and a != b
    assert not set("[]:*?/\\") & set(a + b)


def test_excel_needs_something(tmp_path):
    with pytest.raises(InputError, match="nothing to export"):
        write_excel(tmp_path / "x.xlsx")


# ---------------------------------------------------------------------- images
def test_image_engine_missing_is_a_clear_error(build, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "kaleido", None)  # import kaleido -> ImportError
    fig = build_chart(build, "ranking")
    with pytest.raises(ImageEngineError, match=r"pip install \"gipro\[images\]\""):
        save_image(fig, tmp_path / "x.png")
    result = runner.invoke(app, ["chart", "ranking", "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "image engine" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(InputError, match="unknown image format"):
        save_image(fig, tmp_path / "x.bmp")
    with pytest.raises(InputError, match="unknown chart"):
        build_chart(build, "pie")


def test_static_svg_when_the_engine_is_available(build, tmp_path):
    pytest.importorskip("kaleido", reason="kaleido (plotly's image engine) not installed")
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no Chromium at /usr/bin/chromium for kaleido")
    fig = build_chart(build, "waterfall", unit="Beijing")
    path = save_image(fig, tmp_path / "w.svg")
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<svg") and "Real GDP" in text


# ---------------------------------------------------------------------- CLI
def test_cli_report_run_assess_export(tmp_path):
    r = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html"), "--lang", "zh",
                            "--no-progress", "--excel", str(tmp_path / "r.xlsx")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").stat().st_size > 1e6 and (tmp_path / "r.xlsx").exists()
    r = runner.invoke(app, ["assess", "--framework", "hj274", "--out", str(tmp_path / "a"),
                            "--report", str(tmp_path / "a.html")])
    assert r.exit_code == 0, r.output
    assert "scorecard-hj274" in (tmp_path / "a.html").read_text(encoding="utf-8")
    r = runner.invoke(app, ["report", "--out", str(tmp_path / "x.html"), "--lang", "fr"])
    assert r.exit_code == 2 and "'fr' is not one of: 'en', 'zh'" in r.output  # usage error
    bad = tmp_path / "ri.csv"
    pd.DataFrame({"unit": ["Beijing"], "nominal_rank": [1]}).to_csv(bad, index=False)
    r = runner.invoke(app, ["report", "--out", str(tmp_path / "y.html"),
                            "--rank-intervals", str(bad)])
    assert r.exit_code == 1 and "lacks columns: median_rank, q05, q95" in r.output
    assert not (tmp_path / "y.html").exists()


def test_strings_table_has_no_empty_keys():
    assert all(k and isinstance(v, dict) for k, v in STRINGS.items())


# ---------------------------------------------------------------------- COINr's ASEM build
def test_asem_report_shows_coinrs_published_values(shared_dir):
    """COINr's ASEM reference build (shared/reference/coinr_cases.md, B2): CHE index 68.3837
    rank 1 and IND 39.79 rank 45 in the ranking table; Pearson correlations of the Aggregated
    set Index-Conn 0.9397805 and Index-Sust 0.8382873 in the correlation heatmap."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("build_asem",
                                                  root / "examples" / "asem" / "build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    b = gipro.Build(mod.recipe_for(shared_dir / "data" / "coinr_asem")).run()
    html = report_for_build(b, profiles=False).to_html()
    rows = {r[1]: r for r in table_rows(html, "ranking-table")}
    assert len(rows) == 51
    assert rows["Switzerland"][:3] == ["1", "Switzerland", "68.38"]
    assert rows["India"][:3] == ["45", "India", "39.79"]
    (corr,) = [v for k, v in payload(html)["figures"].items() if k.endswith("-correlations")]
    heat = corr["data"][0]
    labels = heat["x"]
    z = heat["z"]
    i = labels.index("Sustainable Connectivity")
    assert z[i][labels.index("Connectivity")] == pytest.approx(0.9397805, abs=5e-8)
    assert z[i][labels.index("Sustainability")] == pytest.approx(0.8382873, abs=5e-8)


# ---------------------------------------------------------------------- plug-ins (issues 6, 7)
def test_sobol_interval_form_and_analysis_adapter():
    """Bootstrap-interval columns (first, first_low, first_high, total, ...) are accepted;
    error bars run from the low to the high bound (hand values)."""
    sob = pd.DataFrame({"input": ["w"], "first": [0.30], "first_low": [0.25],
                        "first_high": [0.40], "total": [0.5], "total_low": [0.45],
                        "total_high": [0.52]})
    ri = pd.DataFrame({"unit": ["A", "B"], "nominal_rank": [1, 2], "median_rank": [1.0, 2.0],
                       "q05": [1.0, 1.0], "q95": [2.0, 2.0], "mean_abs_shift": [0.1, 0.1]})

    class Result:  # what an uncertainty analysis returns: tables by attribute
        rank_stats = ri
        sobol = sob

    rob = Robustness.from_analysis(Result())
    html = Report("t", sections=[rob]).to_html()
    (fig,) = [v for k, v in payload(html)["figures"].items() if k.endswith("-sobol")]
    s1 = fig["data"][0]
    assert s1["y"] == [0.30]
    assert s1["error_y"]["array"] == pytest.approx([0.10])
    assert s1["error_y"]["arrayminus"] == pytest.approx([0.05])
    assert len(table_rows(html, "rank-interval-table")) == 2
    with pytest.raises(InputError, match="neither 'rank_stats' nor 'sobol'"):
        Robustness.from_analysis(object())


def test_scenarios_section_from_a_plain_table(tmp_path):
    from gipro.report import Scenarios

    b = three_units()
    # hand case: scenario "up" raises U2's index from 25 to 60 -> rank 3 -> 2
    rows = [("up", "U1", 50.0, 50.0, 2, 3), ("up", "U2", 25.0, 60.0, 3, 2),
            ("up", "U3", 75.0, 75.0, 1, 1)]
    t = pd.DataFrame(rows, columns=["scenario", "unit", "score_base", "score_scenario",
                                    "rank_base", "rank_scenario"])
    t["score_change"] = t["score_scenario"] - t["score_base"]
    t["rank_change"] = t["rank_base"] - t["rank_scenario"]
    scores = t.assign(code="I", period=2020, level=2)

    from types import SimpleNamespace

    evaluation = SimpleNamespace(tables={"scores": scores}, period=2020,  # what it returns
                                 notes=["bounds frozen at the baseline"])
    sc = Scenarios.from_result(evaluation, b)
    html = report_for_build(b, progress=False, scenarios=sc).to_html()
    got = table_rows(html, "scenario-table")
    assert [r[1] for r in got] == ["U3", "U2", "U1"]  # by scenario rank
    assert got[1][4] == "+35.00" and got[1][7] == "1"
    assert "bounds frozen at the baseline" in html
    book = pd.read_excel(write_excel(tmp_path / "s.xlsx", b, progress=False, scenarios=sc),
                         sheet_name="scenarios")
    assert book["score_change"].tolist() == [0.0, 35.0, 0.0]
    with pytest.raises(InputError, match="scenario table lacks columns: rank_change"):
        Scenarios(t.drop(columns="rank_change"))


def test_vectorised_strengths_weaknesses_equal_the_per_unit_function(build):
    """The profile tables (all units at once) follow gipro.results.strengths_weaknesses
    (COINr get_str_weak), whose own tests use hand values."""
    from gipro.report import Profiles
    from gipro.results import strengths_weaknesses

    prof = Profiles.from_build(build, 2010, n=3)
    for unit in build.final.units:
        s, w = strengths_weaknesses(build, unit, 2010, n=3)
        for mine, ref in ((prof.strengths, s), (prof.weaknesses, w)):
            got = mine[mine["unit"] == unit].reset_index(drop=True)
            assert got["code"].tolist() == ref["code"].tolist()
            assert got["rank"].tolist() == ref["rank"].tolist()
            np.testing.assert_array_equal(got["score"], ref["score"])
            np.testing.assert_array_equal(got["value"], ref["value"])


def test_per_unit_figures_are_valid_plotly(build):
    """Per-unit charts skip plotly's validation for speed: re-validate them here."""
    import plotly.graph_objects as go

    for name in ("profile", "rank-history", "waterfall", "slope"):
        fig = build_chart(build, name, **({} if name == "slope" else {"unit": "Hebei"}))
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property


def test_a_build_without_an_index_is_a_clear_error():
    b = three_units()
    no_agg = run({**RECIPE, "steps": [{"step": "normalise"}]}, framework=b.framework,
                 panel=b.source_panel)
    with pytest.raises(InputError, match="needs a build that aggregates to the index"):
        report_for_build(no_agg)


# ---------------------------------------------------------------------- properties
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text(alphabet=st.sampled_from([*"ab cd efg", "单", "位", "二", "氧"]),
               max_size=60), st.integers(4, 30))
def test_wrap_keeps_the_text_and_the_width(text, width):
    from gipro.report.charts import _width, wrap

    lines = wrap(text, width).split("<br>")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(_width(line) <= width for line in lines)


@given(st.lists(st.text(min_size=0, max_size=50), min_size=1, max_size=20))
def test_sheet_names_always_valid_and_unique(names):
    used: set[str] = set()
    out = [_sheet_name(n, used) for n in names]
    assert len({o.lower() for o in out}) == len(out)
    assert all(0 < len(o) <= 31 and not set("[]:*?/\\") & set(o) for o in out)


@given(st.one_of(st.none(), st.just(float("nan")), st.just(pd.NA)),
       st.sampled_from(["text", "int", "pct", "signed", "g", ".2f"]))
def test_missing_values_print_as_a_dash(v, kind):
    from gipro.report.tables import fmt

    assert fmt(v, kind) == "–"


def test_park_report_cites_the_synthetic_data_notice(parks_report):
    html = parks_report[2].to_html()
    assert "scripts/make_park_example.py (seed 20240501)" in html
    assert "CEADs" not in html  # only the parks' paragraph of the NOTICE


# ---------------------------------------------------------------------- sensitivity and scenario
SENS = """recipe: china-provinces-gipro
design: sobol
runs: 8
seed: 3
n_boot: 50
inputs:
  - {input: weights, levels: [1, 2], spread: 0.25}
  - {input: step, step: aggregate, name: aggregation, param: method,
     values: [arithmetic, geometric]}
  - input: step
    step: normalise
    name: normalisation
    alternatives:
      - {method: minmax, range: [1, 100]}
      - {method: zscore, mean_sd: [10, 2]}
"""


def _chart(html: str, name: str) -> dict:
    (fig,) = [v for k, v in payload(html)["figures"].items() if k.endswith(f"-{name}")]
    return fig


def _code_of() -> dict[str, str]:
    """English province names as the report shows them -> unit codes ('Inner Mongolia')."""
    units = gipro.datasets.china_provinces().units
    return dict(zip(units["name"], units.index, strict=True))


def test_cli_sensitivity_report_and_workbook_show_the_analysis(tmp_path):
    """gipro sensitivity --report/--excel: the rank intervals per unit in the report (table
    and chart) and the workbook are those of the analysis' own rank_stats.csv, the Sobol
    indices those of sobol.csv (the adapter maps first/total to S1/ST)."""
    from gipro.report.tables import fmt

    (tmp_path / "sens.yaml").write_text(SENS)
    out = tmp_path / "o"
    r = runner.invoke(app, ["sensitivity", str(tmp_path / "sens.yaml"), "--out", str(out),
                            "--report", str(tmp_path / "s.html"), "--excel",
                            str(tmp_path / "s.xlsx")])
    assert r.exit_code == 0, r.output
    assert "Wrote the HTML report" in r.output and "Wrote the Excel workbook" in r.output
    stats = pd.read_csv(out / "rank_stats.csv").set_index("unit")
    sob = pd.read_csv(out / "sobol.csv")
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    # the design has N (d + 2) = 8 x 5 = 40 runs; the intervals use its A and B blocks,
    # 2 N = 16 runs (every run succeeds here) -- the count rank_stats.csv gives each unit
    assert ("ranks of GIP in 2015; the rank intervals use 16 of the 40 runs, the A and B "
            "blocks of the Saltelli design") in html
    assert (stats["runs"] == 16).all()
    assert ("over 16 of 40 runs (the A and B blocks of the Saltelli design)"
            in " ".join(r.output.split()))  # the printed table's title
    rows = table_rows(html, "rank-interval-table")
    code = _code_of()
    assert sorted(code[row[0]] for row in rows) == sorted(stats.index)
    for unit, nominal, median, interval, shift in rows:
        s = stats.loc[code[unit]]
        assert [nominal, median, shift] == [fmt(s["nominal_rank"], "g"),
                                            fmt(s["median_rank"], "g"),
                                            fmt(s["mean_abs_shift"], ".2f")]
        assert interval == f"{fmt(s['q05'], 'g')}-{fmt(s['q95'], 'g')}"
    fig = _chart(html, "rank-intervals")
    order = stats.sort_values("nominal_rank")
    assert [code[u] for u in fig["data"][0]["x"]] == list(order.index)
    np.testing.assert_array_equal(fig["data"][0]["y"], order["median_rank"])
    np.testing.assert_allclose(fig["data"][0]["error_y"]["array"],
                               order["q95"] - order["median_rank"], rtol=0, atol=1e-12)
    s1 = _chart(html, "sobol")["data"][0]
    np.testing.assert_array_equal(s1["y"], sob["first"])
    book = pd.read_excel(tmp_path / "s.xlsx", sheet_name=None)
    ri = book["rank_intervals"].set_index("unit").loc[stats.index]
    np.testing.assert_allclose(ri[["nominal_rank", "median_rank", "q05", "q95"]],
                               stats[["nominal_rank", "median_rank", "q05", "q95"]],
                               rtol=1e-15)
    np.testing.assert_allclose(book["sobol"]["S1"], sob["first"], rtol=1e-15)
    assert len(book["sensitivity_runs"]) == 40 and "results" in book


def test_cli_sensitivity_report_errors(tmp_path):
    (tmp_path / "sens.yaml").write_text(SENS)
    r = runner.invoke(app, ["sensitivity", str(tmp_path / "sens.yaml"), "--lang", "fr",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "'fr' is not one of: 'en', 'zh'" in r.output  # usage error
    assert not (tmp_path / "o").exists()  # refused before any run
    (tmp_path / "file").write_text("x")
    r = runner.invoke(app, ["sensitivity", str(tmp_path / "sens.yaml"), "--out",
                            str(tmp_path / "o"), "--report", str(tmp_path / "file" / "r.html")])
    assert r.exit_code == 1 and "cannot write the report" in r.output


SCEN = """evaluation: {bounds: frozen, horizon: 2017, period: 2017}
scenarios:
  - name: cut
    description: CO2 intensity of GDP 10 % lower in 2017 everywhere
    changes:
      - {op: pct, indicators: [co2_intensity_gdp], value: -10, periods: [2017]}
targets:
  - {name: intensity -10 %, indicator: co2_intensity_gdp, change_pct: -10, base: 2010,
     by: 2015}
questions:
  - {unit: Shanxi, period: 2015, rank: 20}
"""


def test_cli_scenario_report_and_workbook_show_the_evaluation(tmp_path):
    """gipro scenario --report/--excel on the built-in recipe: the scenario section comes right
    after the results; its score changes (table and chart) are index.csv's for the summary
    period; the attainment counts are those of the printed summary; the questions those of
    questions.csv; the workbook holds index.csv as written."""
    from gipro.report.tables import fmt

    (tmp_path / "s.yaml").write_text(SCEN)
    out = tmp_path / "o"
    r = runner.invoke(app, ["scenario", "china-provinces-gipro", str(tmp_path / "s.yaml"),
                            "--out", str(out), "--report", str(tmp_path / "s.html"),
                            "--excel", str(tmp_path / "s.xlsx")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    nav = re.findall(r'<nav class="toc">(.*?)</nav>', html, re.S)[0]
    keys = re.findall(r'href="#([a-z]+)"', nav)
    assert keys[:4] == ["overview", "stats", "results", "scenarios"] and "progress" not in keys
    idx = pd.read_csv(out / "index.csv")
    idx = idx[idx["period"] == 2017].set_index("unit")
    code = _code_of()
    rows = {code[row[1]]: row for row in table_rows(html, "scenario-table")}
    assert sorted(rows) == sorted(idx.index)
    for unit, row in rows.items():
        assert row[4] == fmt(idx.loc[unit, "cut_score_change"], "signed")
        assert row[6] == fmt(idx.loc[unit, "cut_rank"], "int")
        assert row[7] == fmt(idx.loc[unit, "cut_rank_change"], "int")
    bars = _chart(html, "scenarios")["data"][0]
    got = {code[u]: x for u, x in zip(bars["y"], bars["x"], strict=True)}
    np.testing.assert_allclose([got[u] for u in idx.index], idx["cut_score_change"],
                               rtol=0, atol=1e-12)
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    for label, target, met, known, missing in table_rows(html, "attainment-table"):
        assert f"{label}: {target}: {met} of {known} units meet it" in summary
        assert missing == "0"
    q = pd.read_csv(out / "questions.csv")
    qrows = table_rows(html, "questions-table")
    assert len(qrows) == len(q)
    assert [row[7] for row in qrows] == [fmt(v, ".6g") for v in q["value_needed"]]
    book = pd.read_excel(tmp_path / "s.xlsx", sheet_name=None)
    pd.testing.assert_frame_equal(book["scenario_index"], pd.read_csv(out / "index.csv"),
                                  check_dtype=False, rtol=1e-15)
    assert {"scenarios", "attainment", "questions", "results"} <= set(book)


def test_cli_scenario_report_in_chinese_and_without_scenarios(tmp_path):
    """--lang zh translates the section; a file with targets and questions only still gets a
    report (no scenario table, the attainment and questions blocks)."""
    only = SCEN.split("targets:")[1]
    (tmp_path / "t.yaml").write_text("targets:" + only)
    r = runner.invoke(app, ["scenario", "china-provinces-gipro", str(tmp_path / "t.yaml"),
                            "--out", str(tmp_path / "o"), "--report", str(tmp_path / "t.html"),
                            "--lang", "zh"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "情景分析" in html and "目标达成情况" in html and "达成目标所需的变化" in html
    assert 'id="scenario-table"' not in html


def test_cli_park_scenario_report_and_workbook(tmp_path):
    """Park scenarios: the report lists the requirement outcomes that change (those of
    requirement_changes.csv whose outcome differs) with their UNVERIFIED flag, says SYNTHETIC,
    and the park26 index side by side; the workbook holds both change tables."""
    from pathlib import Path

    spec = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "parks.yaml"
    out = tmp_path / "o"
    r = runner.invoke(app, ["scenario", "parks-example", str(spec), "--out", str(out),
                            "--report", str(tmp_path / "p.html"), "--excel",
                            str(tmp_path / "p.xlsx")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    req = pd.read_csv(out / "requirement_changes.csv")
    flips = req[req["outcome_base"] != req["outcome_scenario"]]
    rows = table_rows(html, "scenario-compliance-table")
    assert len(rows) == len(flips) > 0
    assert [(row[2], row[3], row[4], row[7], row[8]) for row in rows] == [
        (p, str(y), q, a, b) for p, y, q, a, b in flips[["park", "year", "requirement",
                                                         "outcome_base",
                                                         "outcome_scenario"]].values]
    assert all(row[6] == "UNVERIFIED threshold" for row in rows if row[6])
    assert "SYNTHETIC" in html and 'id="scenario-table"' in html
    book = pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    assert len(book["requirement_changes"]) == len(req)
    assert "verdict_changes" in book and "park_indicators" in book


def test_ranking_sheet_equals_results_and_shows_two_decimals(build, tmp_path):
    """The ranking sheet (the table to paste into a document) against results.csv of the
    same build: every unit's index and dimension scores and ranks, best first; scores shown
    with 2 decimals (number format) and stored in full."""
    from typer.testing import CliRunner

    from gipro.cli import app

    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["run", "--out", str(out), "--excel", str(tmp_path / "b.xlsx")])
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out / "results.csv")
    assert list(res.columns[:5]) == ["unit", "unit_name", "period", "code", "code_name"]
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["ranking"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    assert head[:4] == ("rank", "unit", "name", "Green Industry Progress index (GIP) score")
    last = res[res["period"] == 2015].set_index(["unit", "code"])
    ranks = [r[0] for r in rows[1:]]
    assert ranks == sorted(ranks) and len(rows) == 31
    for row in rows[1:]:
        unit = row[1]
        assert row[2] == last.loc[(unit, "GIP"), "unit_name"]
        assert row[0] == last.loc[(unit, "GIP"), "rank"]
        assert row[3] == pytest.approx(last.loc[(unit, "GIP"), "score"], rel=1e-15)
        for i, code in enumerate(("ECO", "CEF", "STR")):
            assert row[4 + 2 * i] == pytest.approx(last.loc[(unit, code), "score"], rel=1e-15)
            assert row[5 + 2 * i] == last.loc[(unit, code), "rank"]
    assert ws.cell(2, 4).number_format == "0.00" and ws.cell(2, 1).number_format == "General"
    ranking = pd.read_csv(out / "ranking.csv")
    assert list(ranking.iloc[0, :3]) == [1, "Beijing", "Beijing"]

