"""Report outputs found by a new-user trial (4d): output suffixes are checked, chart folders
are created, one-period builds say why there is no rank history or progress section,
strengths and weaknesses never overlap, a Sobol analysis says how many runs its intervals
use, and the displays (rank axis, long unit names, values, Chinese hovers, scenario headers,
park gaps) read well.

Expected values are hand calculations (the 3-indicator build below, the run counts of a
Saltelli design), the words of the issue, or invariants checked over random cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gipro import Framework, InputError, Panel, run
from gipro.cli import app
from gipro.report import Robustness, Scenarios, build_chart, report_for_build, save_image
from gipro.report.charts import rank_history, ranking_bar, score_heatmap, shorten
from gipro.report.context import Context
from gipro.report.sections import Parks, Profiles, strengths_weaknesses_all
from gipro.report.tables import fmt, readable
from gipro.results import strengths_weaknesses

runner = CliRunner()
RECIPE = {"framework": "inline", "data": {"dataset": "china_provinces"}}


def three_indicators():
    """Hand case, one period, min-max onto [0, 100] (every indicator spans 0..10):

    ====  =====  =====  =====  ============================
    unit  a      b      c      ranks a, b, c (1 = best)
    ====  =====  =====  =====  ============================
    U1    10     5      0      1, 2, 3
    U2    5      0      10     2, 3, 1
    U3    0      10     5      3, 1, 2
    ====  =====  =====  =====  ============================

    With 3 ranked indicators a unit has at most floor(3 / 2) = 1 strength and 1 weakness:
    U1 a / c, U2 c / b, U3 b / a.
    """
    fw = Framework([{"code": c, "parent": "I", "direction": 1} for c in "abc"],
                   [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in ("U1", "U2", "U3")],
                                    names=["unit", "period"])
    values = pd.DataFrame({"a": [10.0, 5, 0], "b": [5.0, 0, 10], "c": [0.0, 10, 5]},
                          index=idx)
    steps = [{"step": "normalise", "range": [0, 100]}, {"step": "aggregate"}]
    return run({**RECIPE, "steps": steps}, framework=fw, panel=Panel(values))


HAND = {"U1": ("a", "c"), "U2": ("c", "b"), "U3": ("b", "a")}  # (strength, weakness)


@pytest.fixture(scope="module")
def b3():
    return three_indicators()


@pytest.fixture(scope="module")
def china():
    return run()


SINGLE = """name: single-2015
framework: china-provinces-green-industry
data:
  dataset: china_provinces
periods: {start: 2015, end: 2015}
steps:
  - {step: normalise, method: minmax, range: [0, 100], bounds: pooled}
  - {step: aggregate, method: arithmetic, min_availability: 0.5}
"""


# ------------------------------------------------------------------ 1. output suffixes
@pytest.mark.parametrize("args, option, name", [
    (["report", "--out", "{p}/report.txt"], "'--out'", "report.txt"),
    (["run", "--out", "{p}/o", "--report", "{p}/x.txt"], "'--report'", "x.txt"),
    (["run", "--out", "{p}/o", "--excel", "{p}/y.html"], "'--excel'", "y.html"),
    (["report", "--out", "{p}/r.html", "--excel", "{p}/r2.html"], "'--excel'", "r2.html"),
    (["export", "--out", "{p}/book.csv"], "'--out'", "book.csv"),
    (["progress", "--out", "{p}/o", "--report", "{p}/p.doc"], "'--report'", "p.doc"),
    (["assess", "--out", "{p}/o", "--report", "{p}/a.xlsx"], "'--report'", "a.xlsx"),
    (["assess", "--out", "{p}/o", "--excel", "{p}/a.xls"], "'--excel'", "a.xls"),
    (["sensitivity", "{p}/s.yaml", "--report", "{p}/s"], "'--report'", "s"),
    (["scenario", "china-provinces-gipro", "{p}/sc.yaml", "--report", "{p}/s.txt"],
     "'--report'", "s.txt"),
    (["scenario", "china-provinces-gipro", "{p}/sc.yaml", "--excel", "{p}/s.csv"],
     "'--excel'", "s.csv"),
    (["chart", "ranking", "--out", "{p}/c.gif"], "'--out'", "c.gif"),
])
def test_a_wrong_output_suffix_is_a_usage_error(tmp_path, args, option, name):
    args = [a.format(p=tmp_path) for a in args]
    r = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert r.exit_code == 2, r.output  # usage error, checked before anything runs
    text = " ".join(r.output.split())
    assert option in text and repr(name) in text
    if option == "'--report'" or (args[0] == "report" and option == "'--out'"):
        assert "a report (HTML, or PDF printed by Chromium) needs the suffix .html or .htm " \
            "or .pdf" in text, text
    elif option == "'--excel'" or args[0] == "export":
        assert "an Excel workbook needs the suffix .xlsx" in text
    else:
        assert "a chart image needs the suffix .png or .svg" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_the_workbook_tables_as_files(tmp_path, b3, fmt):
    """export --format csv|parquet: one file per sheet of the workbook, values as the hand
    case (min-max onto [0, 100]: a = 100, 50, 0; the index, the mean of three scores that
    are a permutation of 0, 50, 100, is 50 for every unit, all tied at rank 1), and about
    lists every table written."""
    from gipro.report import write_workbook_tables
    from gipro.report.excel import workbook_tables

    files = write_workbook_tables(tmp_path / "x", b3, fmt)
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    assert set(files) == {"about", *workbook_tables(b3)}
    norm = read(files["normalised"]).set_index("unit")
    assert norm.loc[["U1", "U2", "U3"], "a"].tolist() == [100.0, 50.0, 0.0]
    res = read(files["results"])
    index = res[res["code"] == "I"].set_index("unit")
    assert index.loc[["U1", "U2", "U3"], "score"].tolist() == [50.0, 50.0, 50.0]
    assert index["rank"].tolist() == [1, 1, 1]
    about = read(files["about"])
    assert sorted(about["table"]) == sorted(p.name for k, p in files.items() if k != "about")
    log = read(files["log"])  # step parameters as YAML text, as in the workbook
    params = log.loc[0, "params"]
    assert "method: minmax" in params and "range:\n- 0.0\n- 100.0" in params


def test_export_in_chinese_names_each_step_table(tmp_path, b3):
    """about in Chinese says which step recorded a step table (the screen step of the hand
    case records ``summary``): "步骤 screen 记录的表 summary"."""
    from gipro.report import write_workbook_tables

    screened = run({**RECIPE, "steps": [{"step": "screen", "min_availability": 0.5},
                                        {"step": "normalise", "range": [0, 100]},
                                        {"step": "aggregate"}]},
                   framework=b3.framework, panel=b3.source_panel)
    files = write_workbook_tables(tmp_path / "zh", screened, "csv", lang="zh")
    about = pd.read_csv(files["about"]).set_index("table")["description"]
    assert about["screen.summary.csv"] == "步骤 screen 记录的表 summary"


def test_export_format_from_the_command_line(tmp_path):
    (tmp_path / "single.yaml").write_text(SINGLE)
    recipe = str(tmp_path / "single.yaml")
    r = runner.invoke(app, ["export", recipe, "--format", "parquet", "--out",
                            str(tmp_path / "t.xlsx")], env={"COLUMNS": "300"})
    assert r.exit_code == 2 and "writes a folder of tables" in " ".join(r.output.split())
    r = runner.invoke(app, ["export", recipe, "--format", "csv", "--out", str(tmp_path / "t"),
                            "--no-progress"], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    ranking = pd.read_csv(tmp_path / "t" / "ranking.csv")
    assert len(ranking) == 30 and ranking["unit"].is_unique  # 30 provinces, 2015
    assert not (tmp_path / "t" / "progress_index.csv").exists()  # --no-progress
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "results.csv").write_text("a user's file\n")
    r = runner.invoke(app, ["export", recipe, "--format", "csv", "--out", str(tmp_path / "mine")],
                      env={"COLUMNS": "300"})
    assert r.exit_code == 1 and "gipro did not write it" in " ".join(r.output.split())
    assert (tmp_path / "mine" / "results.csv").read_text() == "a user's file\n"


def test_every_file_option_uses_the_one_suffix_check():
    """One callback factory for HTML, workbook and image files (no copies)."""
    from gipro import cli

    for check in (cli._html_file, cli._excel_file, cli._image_file):
        assert check.__qualname__ == "_suffix.<locals>.check"
    assert cli._html_file(Path("R.HTM")) == Path("R.HTM")  # any case
    assert cli._excel_file(Path("b.XLSX")) == Path("b.XLSX")
    assert cli._html_file(None) is None


def test_wrote_messages_name_what_was_written(tmp_path):
    (tmp_path / "single.yaml").write_text(SINGLE)
    r = runner.invoke(app, ["run", str(tmp_path / "single.yaml"), "--out", str(tmp_path / "o"),
                            "--report", str(tmp_path / "r.htm"), "--excel",
                            str(tmp_path / "b.XLSX")], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert f"Wrote the HTML report {tmp_path / 'r.htm'} (" in text
    assert f"Wrote the Excel workbook {tmp_path / 'b.XLSX'} (" in text
    # a report of one period says there is no progress section (the CLI asks for one)
    html = (tmp_path / "r.htm").read_text(encoding="utf-8")
    assert "One period (2015): no progress section." in html


# ------------------------------------------------------------------ 2. chart folders
def test_save_image_creates_missing_folders(china, tmp_path, monkeypatch):
    """The folder is made before the image engine is called (kaleido's FileNotFoundError
    used to be reported as 'kaleido needs Chrome')."""
    import plotly.graph_objects as go

    seen = {}

    def fake_write(self, path, **kw):
        seen["parent_exists"] = Path(path).parent.is_dir()
        Path(path).write_text("<svg/>")

    pytest.importorskip("kaleido")
    monkeypatch.setattr(go.Figure, "write_image", fake_write)
    out = tmp_path / "newdir4" / "deeper" / "c.svg"
    assert save_image(build_chart(china, "ranking"), out) == out
    assert seen == {"parent_exists": True} and out.exists()
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write the image"):
        save_image(build_chart(china, "ranking"), blocker / "c.svg")


# ------------------------------------------------------------------ 3. one period
def test_one_period_build_has_no_rank_history_in_chart_or_report(b3):
    for unit in ("U1", None):
        with pytest.raises(InputError) as exc:
            build_chart(b3, "rank-history", unit=unit)
        assert exc.value.message == "the build has one period (2020): no rank history"
    html = report_for_build(b3).to_html()
    assert "The build has one period (2020): no rank history." in html
    assert "One period (2020): no progress section." in html  # the section is left out
    assert 'id="progress"' not in html
    zh = report_for_build(b3, lang="zh").to_html()
    assert "仅一个时期（2020）：无进展部分。" in zh
    # not asked for: no note
    assert "no progress section" not in report_for_build(b3, progress=False).to_html()


def test_cli_rank_history_of_one_period(tmp_path):
    (tmp_path / "single.yaml").write_text(SINGLE)
    for extra in (["--unit", "Beijing"], []):
        r = runner.invoke(app, ["chart", "rank-history", str(tmp_path / "single.yaml"),
                                "--out", str(tmp_path / "c.svg"), *extra])
        assert r.exit_code == 1
        assert "error: the build has one period (2015): no rank history" in r.output
        assert "unit None" not in r.output


# ------------------------------------------------------------------ 4. strengths
def test_strengths_and_weaknesses_are_disjoint_hand_case(b3):
    for unit, (good, bad) in HAND.items():
        s, w = strengths_weaknesses(b3, unit, n=3)
        assert s["code"].tolist() == [good] and w["code"].tolist() == [bad]
    prof = Profiles.from_build(b3, n=3)
    for unit, (good, bad) in HAND.items():
        assert prof.strengths.loc[prof.strengths["unit"] == unit, "code"].tolist() == [good]
        assert prof.weaknesses.loc[prof.weaknesses["unit"] == unit, "code"].tolist() == [bad]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.just(k), st.integers(1, 6), st.integers(1, 5),
    st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=6 * k, max_size=6 * k))))
def test_strengths_and_weaknesses_never_overlap(case):
    k, n_units, n, cells = case
    fw = Framework([{"code": f"i{j}", "parent": "I", "direction": 1} for j in range(k)],
                   [{"code": "I"}])
    r = np.array([np.nan if c is None else float(c) for c in cells[:n_units * k]])
    r = r.reshape(n_units, k)
    units = [f"U{u}" for u in range(n_units)]
    codes = [f"i{j}" for j in range(k)]
    ranks = pd.DataFrame(r, index=units, columns=codes)
    strong, weak = strengths_weaknesses_all(fw, -ranks, ranks, None, n)
    for u, row in zip(units, r, strict=True):
        m = min(n, int(np.isfinite(row).sum()) // 2)
        s = strong[strong["unit"] == u]
        w = weak[weak["unit"] == u]
        assert len(s) == len(w) == m
        assert not set(s["code"]) & set(w["code"])
        if m:
            assert s["rank"].max() <= w["rank"].min()  # every strength ranks at least as well
            assert list(s["rank"]) == sorted(s["rank"])
            assert list(w["rank"]) == sorted(w["rank"], reverse=True)


# ------------------------------------------------------------------ 5. Sobol runs
class _Design:
    def __init__(self, kind, n, d):
        self.kind, self.n, self.d = kind, n, d
        self.n_runs = n * (d + 2) if kind == "sobol" else n

    def independent(self):
        return np.arange(2 * self.n if self.kind == "sobol" else self.n)


class _Result:
    def __init__(self, kind, n, d, failed=()):
        self.design = _Design(kind, n, d)
        self.target, self.period = "GIP", 2015
        self.rank_stats = pd.DataFrame({"unit": ["A", "B"], "nominal_rank": [1, 2],
                                        "median_rank": [1.0, 2.0], "q05": [1, 1],
                                        "q95": [2, 2]})
        self.sobol = None
        status = np.array(["ok"] * self.design.n_runs, dtype=object)
        status[list(failed)] = "failed"
        self.runs = pd.DataFrame({"run": np.arange(self.design.n_runs), "status": status})


def test_sobol_context_states_the_runs_the_intervals_use():
    # N = 32 base rows, d = 3 inputs: N (d + 2) = 160 runs; A and B: 2 N = 64
    ctx = Context("en")
    text = Robustness.from_analysis(_Result("sobol", 32, 3)).render(ctx)["context"]
    assert text.startswith("Uncertainty analysis: ranks of GIP in 2015; the rank intervals "
                           "use 64 of the 160 runs, the A and B blocks of the Saltelli design")
    assert "over 160 runs" not in text
    # 2 failed runs in A (runs 0, 5) and one in an A_B block (run 100): 62 of 160
    text = Robustness.from_analysis(_Result("sobol", 32, 3, failed=(0, 5, 100))).render(
        ctx)["context"]
    assert "use 62 of the 160 runs" in text
    # Monte Carlo: every run is an independent draw
    text = Robustness.from_analysis(_Result("montecarlo", 500, 3)).render(ctx)["context"]
    assert text == ("Uncertainty analysis: ranks of GIP in 2015 over 500 runs (montecarlo "
                    "design).")


# ------------------------------------------------------------------ 6. displays
def test_rank_history_axis_and_title_span(china):
    fig = build_chart(china, "rank-history", unit="Beijing", title=True)
    assert " · 2006-2015 · " in fig.layout.title.text  # the periods the chart shows
    assert list(fig.layout.yaxis.tickvals) == [1, 5, 10, 15, 20, 25, 30]
    assert list(fig.layout.yaxis.range) == [30.5, 0.5]  # rank 1 on top
    assert fig.layout.yaxis.tickformat == "d"
    small = rank_history(pd.DataFrame({"I": [1.0, 3.0]}, index=[2020, 2021]), 3)
    assert list(small.layout.yaxis.tickvals) == [1, 2, 3]


LONG = ("Xinjiang Production and Construction Corps Eighth Division Shihezi Economic and "
        "Technological Development Zone Green Chemical Industrial Park")  # 130+ characters


def test_long_unit_names_are_cut_on_the_axes_and_whole_in_the_hover():
    twin = LONG.replace("Green Chemical", "Blue Metallurgy")  # same first 28 characters
    t = pd.DataFrame({"label": [LONG, twin, "Beijing"], "score": [50.0, 40.0, 70.0],
                      "rank": [2, 3, 1]})
    fig = ranking_bar(t, None, "Index")
    # best rank on top: plotly draws the first category at the bottom
    assert list(fig.data[0].y) == [twin, LONG, "Beijing"]  # whole names: the hover
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert ticks["Beijing"] == "Beijing"
    assert ticks[LONG] == ticks[twin] == shorten(LONG) == "Xinjiang Production and Con…"
    assert len(set(fig.data[0].y)) == 3  # two names alike when cut stay two bars
    heat = score_heatmap(pd.DataFrame({"a": [1.0, 2.0]}, index=[LONG, "Beijing"]))
    assert list(heat.layout.yaxis.ticktext) == [shorten(LONG), "Beijing"]
    assert list(heat.data[0].y) == [LONG, "Beijing"]
    short = ranking_bar(t.iloc[2:], None, "Index")
    assert short.layout.yaxis.ticktext is None  # nothing cut, nothing added


def test_values_are_grouped_never_in_exponent_form(china):
    assert fmt(35820.43, "num") == "35,820" and fmt(3.5824, "num") == "3.582"
    assert readable(0.1348, 2) == "0.13" and fmt(np.nan, "num") == "–"
    html = report_for_build(china, progress=False, correlations=False).to_html()
    profiles = html[html.index('id="profiles"'):html.index('id="methodology"')]
    assert not re.search(r"\d\.\d+e[+-]\d", profiles)


def test_chinese_profile_hover_and_scenario_headers(china):
    fig = build_chart(china, "profile", unit="Beijing", lang="zh")
    assert all(re.fullmatch(r"第 \d+ 名，共 30 个", c) for c in fig.data[0].customdata)
    en = build_chart(china, "profile", unit="Beijing")
    assert en.data[0].customdata[0] == "rank 1 of 30"
    table = pd.DataFrame({"scenario": ["s1", "s1"], "unit": ["A", "B"],
                          "score_base": [50.0, 40.0], "score_scenario": [55.0, 38.0],
                          "score_change": [5.0, -2.0], "rank_base": [1, 2],
                          "rank_scenario": [1, 2], "rank_change": [0, 0]})
    heads = [h for h, _ in Scenarios(table).render(Context("en"))["table"].headers]
    assert heads == ["Scenario", "Unit", "Score (baseline)", "Score (scenario)", "Change",
                     "Rank (baseline)", "Rank (scenario)", "Rank change"]
    assert len(set(heads)) == len(heads)


def test_park_scorecard_hover_shows_small_gaps():
    from gipro import parks

    data = parks.example()
    a = parks.assess("hj274", data)
    year = int(a.requirements["year"].max())
    out = Parks([a], names={}).render(Context("en"))
    r = a.requirements[a.requirements["year"] == year].set_index(["requirement", "park"])
    parks_order = list(dict.fromkeys(r.index.get_level_values("park")))
    small = 0
    for row in out["blocks"][0]["scorecard"].rows:
        for p, cell in zip(parks_order, row[3:], strict=True):
            g = r.loc[(row[0].text, p), "gap_pct"]
            if pd.isna(g):
                assert "gap" not in cell.title
                continue
            assert cell.title.endswith(f"; gap {readable(g, 2)} %")
            if 0 < g < 0.5:
                small += 1
                assert "gap 0 %" not in cell.title
    assert small > 0  # the example has gaps below 0.5 % (0.13 %) in its last year
