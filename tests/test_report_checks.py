"""Report checks found by a new-user trial: rank intervals of another build or period are
refused, stand-alone charts are titled and find units by code or name, slope-chart labels do
not overlap, the results tabs are named after the framework's levels.

Expected values are hand calculations on a 3-unit, 2-period build (below) or invariants of
the displays (label spacing, one label per unit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gipro import Framework, InputError, Panel, run
from gipro.report import Robustness, build_chart, report_for_build, write_excel
from gipro.report.charts import slope_chart, spread_labels
from gipro.report.images import match_unit
from gipro.report.sections import Results

RECIPE = {"framework": "inline", "data": {"dataset": "china_provinces"}}


def two_periods():
    """Hand case, min-max onto [0, 100] with bounds pooled over both periods (a and b both
    span 0..10), index = mean of a and b:

    ====  ======================  ======================
    unit  2020 a, b -> index      2021 a, b -> index
    ====  ======================  ======================
    U1    0, 10 -> 0, 100 -> 50   10, 5 -> 100, 50 -> 75
    U2    5, 0 -> 50, 0 -> 25     5, 0 -> 50, 0 -> 25
    U3    10, 5 -> 100, 50 -> 75  0, 10 -> 0, 100 -> 50
    ====  ======================  ======================

    Ranks 2020: U3 1, U1 2, U2 3; 2021: U1 1, U3 2, U2 3.
    """
    fw = Framework([{"code": "a", "parent": "I", "direction": 1},
                    {"code": "b", "parent": "I", "direction": 1}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([(u, p) for p in (2020, 2021) for u in ("U1", "U2", "U3")],
                                    names=["unit", "period"])
    values = pd.DataFrame({"a": [0.0, 5, 10, 10, 5, 0], "b": [10.0, 0, 5, 5, 0, 10]},
                          index=idx)
    steps = [{"step": "normalise", "range": [0, 100], "bounds": "pooled"},
             {"step": "aggregate"}]
    return run({**RECIPE, "steps": steps}, framework=fw, panel=Panel(values))


RANKS_2020 = {"U3": 1, "U1": 2, "U2": 3}  # hand calculation above
RANKS_2021 = {"U1": 1, "U3": 2, "U2": 3}


def intervals(ranks: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"unit": list(ranks), "nominal_rank": list(ranks.values()),
                         "median_rank": list(ranks.values()), "q05": 1, "q95": 3})


@pytest.fixture(scope="module")
def b2():
    b = two_periods()
    res = b.results()
    got = res[res["code"] == "I"].set_index(["period", "unit"])["rank"]
    assert {u: int(got[(2020, u)]) for u in RANKS_2020} == RANKS_2020  # the hand case holds
    assert {u: int(got[(2021, u)]) for u in RANKS_2021} == RANKS_2021
    return b


# ------------------------------------------------------------------ rank intervals
def test_intervals_of_the_reported_period_are_accepted(b2):
    rob = Robustness(rank_intervals=intervals(RANKS_2020))
    assert rob.check_build(b2, 2020) == 2020
    html = report_for_build(b2, period=2020, robustness=rob, progress=False).to_html()
    assert "rank-interval-table" in html
    # without a period they are matched to the period whose ranks they equal
    assert Robustness(rank_intervals=intervals(RANKS_2020)).check_build(b2) == 2020


def test_intervals_of_another_period_are_refused_naming_units_and_the_right_period(b2):
    """The trial's case: intervals computed for one period, report of another."""
    rob = Robustness(rank_intervals=intervals(RANKS_2020))
    with pytest.raises(InputError) as e:
        report_for_build(b2, period=2021, robustness=rob)  # default period would be 2021 too
    msg = e.value.message + " | " + " | ".join(e.value.details)
    assert "do not match the I ranks of 2021" in msg
    assert "U1: nominal rank 2 in the file, 1 in the build" in msg
    assert "U3: nominal rank 1 in the file, 2 in the build" in msg
    assert "ranks of 2020" in msg and "--period 2020" in msg
    with pytest.raises(InputError, match="do not match"):
        report_for_build(b2, robustness=Robustness(rank_intervals=intervals(RANKS_2020)))


def test_intervals_with_a_stated_period_must_be_the_reports(b2):
    rob = Robustness(rank_intervals=intervals(RANKS_2021),
                     context={"target": "I", "period": 2021, "runs": 10, "design": "mc"})
    with pytest.raises(InputError, match="are of period 2021, the report shows 2020"):
        rob.check_build(b2, 2020)
    col = intervals(RANKS_2021).assign(period=2021)
    with pytest.raises(InputError, match="are of period 2021"):
        Robustness(rank_intervals=col).check_build(b2, 2020)
    assert Robustness(rank_intervals=col).check_build(b2, 2021) == 2021


def test_intervals_of_other_units_are_refused(b2):
    """The trial's case: ASEM countries in a China report."""
    foreign = intervals({"CHE": 1, "NLD": 2, "U2": 3})
    with pytest.raises(InputError) as e:
        Robustness(rank_intervals=foreign).check_build(b2, 2020)
    assert "2 of their units are not in it" in e.value.message
    assert "not in the build: CHE, NLD" in e.value.details[0]
    lacking = intervals({"U3": 1, "U1": 2})  # U2 is ranked in 2020 but absent
    with pytest.raises(InputError, match="lack 1 of the I ranked units of 2020"):
        Robustness(rank_intervals=lacking).check_build(b2, 2020)


def test_intervals_of_an_unknown_target_are_refused(b2):
    rob = Robustness(rank_intervals=intervals(RANKS_2020),
                     context={"target": "GIP", "period": 2020, "runs": 10, "design": "mc"})
    with pytest.raises(InputError, match="about 'GIP', which the build does not have"):
        rob.check_build(b2, 2020)


def test_workbook_refuses_foreign_intervals_and_says_what_they_were_checked_against(
        b2, tmp_path):
    with pytest.raises(InputError, match="not in it"):
        write_excel(tmp_path / "x.xlsx", b2, progress=False,
                    robustness=Robustness(rank_intervals=intervals({"X": 1, "Y": 2, "Z": 3})))
    path = write_excel(tmp_path / "ok.xlsx", b2, progress=False,
                       robustness=Robustness(rank_intervals=intervals(RANKS_2021)))
    about = pd.read_excel(path, sheet_name="about", header=None)
    text = " ".join(str(v) for v in about.to_numpy().ravel())
    assert "(I, 2021; nominal ranks checked against the build)" in text


def test_cli_report_refuses_intervals_of_another_period(tmp_path):
    """gipro report --period 2008 with intervals whose nominal ranks are the 2015 ranks of
    the built-in build (the trial's reproduction), then with the right period."""
    from typer.testing import CliRunner

    from gipro.cli import app

    b = run()
    res = b.results()
    r15 = res[(res["code"] == "GIP") & (res["period"] == 2015)]
    ri = pd.DataFrame({"unit": r15["unit"], "nominal_rank": r15["rank"].astype(float),
                       "median_rank": r15["rank"].astype(float), "q05": 1.0, "q95": 30.0})
    ri.to_csv(tmp_path / "rank_stats.csv", index=False)
    runner = CliRunner()
    r = runner.invoke(app, ["report", "--period", "2008", "--rank-intervals",
                            str(tmp_path / "rank_stats.csv"), "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 1 and "do not match the GIP ranks of 2008" in r.output
    assert "--period 2015" in r.output and not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------ chart images
@pytest.fixture(scope="module")
def china():
    return run()


def test_chart_titles_say_chart_index_period_and_unit(china):
    fig = build_chart(china, "waterfall", unit="北京", lang="zh", title=True)
    title = fig.layout.title.text
    assert title.startswith("各指标对指数变化的贡献")
    assert "绿色工业进展指数 (GIP)" in title and "2006-2015" in title and title.endswith("北京")
    fig = build_chart(china, "ranking", period=2010, title=True)
    assert fig.layout.title.text == "Ranking · Green Industry Progress index (GIP) · 2010"
    assert build_chart(china, "ranking").layout.title.text is None  # the report's own form
    assert build_chart(china, "slope", title="My title").layout.title.text == "My title"


def test_units_by_code_or_name_in_either_language(china):
    code = build_chart(china, "profile", unit="InnerMongolia")
    for name in ("Inner Mongolia", "内蒙古"):
        assert build_chart(china, "profile", unit=name).to_dict() == code.to_dict()
    with pytest.raises(InputError, match="did you mean 'Beijing'"):
        build_chart(china, "waterfall", unit="beijing")
    with pytest.raises(InputError) as e:
        build_chart(china, "waterfall", unit="Bejing", lang="zh")
    listing = e.value.details[-1]
    assert "did you mean 'Beijing'" in e.value.details[0]
    codes = listing.split(": ", 1)[1].split(", ")
    assert [c.split(" (")[0] for c in codes] == sorted(c.split(" (")[0] for c in codes)
    assert "InnerMongolia (内蒙古)" in listing and "Beijing (北京)" in listing


def test_match_unit_never_guesses_by_case():
    names = {"en": {"A1": "Alpha"}, "zh": {"A1": "阿"}}
    assert match_unit("Alpha", ["A1", "B"], names) == "A1"
    assert match_unit("阿", ["A1", "B"], names) == "A1"
    with pytest.raises(InputError, match="did you mean 'A1'"):
        match_unit("ALPHA", ["A1", "B"], names)
    with pytest.raises(InputError, match="no unit 'zzz'"):
        match_unit("zzz", ["A1", "B"], names)


# ------------------------------------------------------------------ slope labels
@given(st.lists(st.floats(0, 100), min_size=1, max_size=40), st.floats(0.1, 5))
def test_spread_labels_keep_order_gap_and_room(y, gap):
    pos = spread_labels(y, gap, -1.0, 101.0)
    assert np.all(pos >= -1.0 - 1e-9) and np.all(pos <= 101.0 + 1e-9)
    order = np.argsort(np.asarray(y), kind="stable")
    s = pos[order]
    eff = min(gap, 102.0 / max(len(y) - 1, 1))
    assert np.all(np.diff(s) >= eff - 1e-9)  # never closer than the gap (or the room allows)


def test_slope_chart_names_every_unit_once_with_room_for_the_longest_name():
    t = pd.DataFrame({"label": ["A", "Bbbbbbbbbbbb", "C", "D"],
                      "score_base": [10.0, 20.0, 30.0, np.nan],
                      "score_end": [50.0, 50.1, 49.9, 40.0]})
    fig = slope_chart(t, "2006", "2015")
    notes = fig.layout.annotations
    assert sorted(a.text for a in notes) == ["A", "Bbbbbbbbbbbb", "C"]  # D lacks a base score
    assert fig.layout.margin.r >= 7 * len("Bbbbbbbbbbbb")
    # labels of 49.9, 50.0 and 50.1 are moved apart: at least 14 px between baselines
    height = fig.layout.height - 90
    px = height / (fig.layout.yaxis.range[1] - fig.layout.yaxis.range[0])
    ys = sorted(a.y - a.ay / px for a in notes)
    assert min(np.diff(ys)) * px >= 14 - 1e-6


# ------------------------------------------------------------------ level tabs
def test_results_tabs_are_named_after_the_levels():
    """Four levels: index I, dimensions D1/D2, sub-dimensions S1..S3, indicators."""
    from gipro.report.context import Context

    fw = Framework(
        [{"code": c, "parent": p, "direction": 1}
         for c, p in (("a", "S1"), ("b", "S2"), ("c", "S3"))],
        [{"code": "I"}, {"code": "D1", "parent": "I"}, {"code": "D2", "parent": "I"},
         {"code": "S1", "parent": "D1"}, {"code": "S2", "parent": "D1"},
         {"code": "S3", "parent": "D2"}])
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in ("U1", "U2", "U3")],
                                    names=["unit", "period"])
    values = pd.DataFrame({"a": [0.0, 5, 10], "b": [10.0, 0, 5], "c": [1.0, 2, 3]}, index=idx)
    b = run({**RECIPE, "steps": [{"step": "normalise"}, {"step": "aggregate"}]},
            framework=fw, panel=Panel(values))
    for lang, want in (("en", ["Dimensions", "Sub-dimensions (level 2)",
                               "Indicators (normalised scores)"]),
                       ("zh", ["维度", "子维度（第 2 层）", "指标（标准化得分）"])):
        out = Results.from_build(b).render(Context(lang))
        assert [lv["title"] for lv in out["levels"]] == want


def test_a_rank_for_a_unit_the_build_does_not_rank_is_a_mismatch():
    """U2 has no score in 2020 (both indicators missing): intervals giving it rank 3 are not
    of this build; intervals leaving it unranked are."""
    fw = Framework([{"code": "a", "parent": "I", "direction": 1},
                    {"code": "b", "parent": "I", "direction": 1}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in ("U1", "U2", "U3")],
                                    names=["unit", "period"])
    values = pd.DataFrame({"a": [0.0, np.nan, 10], "b": [10.0, np.nan, 0]}, index=idx)
    b = run({**RECIPE, "steps": [{"step": "normalise"}, {"step": "aggregate"}]},
            framework=fw, panel=Panel(values))
    # U1 and U3 tie (index 50 each): both rank 1 ("min" ties); U2 unranked
    ok = pd.DataFrame({"unit": ["U1", "U2", "U3"], "nominal_rank": [1, np.nan, 1],
                       "median_rank": [1, np.nan, 1], "q05": [1, np.nan, 1],
                       "q95": [2, np.nan, 2]})
    assert Robustness(rank_intervals=ok).check_build(b, 2020) == 2020
    bad = ok.assign(nominal_rank=[1, 3, 1], median_rank=[1, 3, 1], q05=[1, 3, 1],
                    q95=[2, 3, 2])
    with pytest.raises(InputError) as e:
        Robustness(rank_intervals=bad).check_build(b, 2020)
    assert "U2: nominal rank 3 in the file, none in the build" in e.value.details


def test_park_report_shows_the_fraction_warning():
    import gipro.parks as parks
    from gipro.report import park_report

    long = pd.DataFrame({"park": ["A", "B"], "year": 2023,
                         "indicator": "solid_waste_utilisation_pct", "value": [0.96, 81.0]})
    data = parks.ParkData.from_long(long)
    a = parks.assess("hj274", data)
    assert len(a.warnings) == 1
    html = park_report(data, [a]).to_html()
    assert '<p class="note warning"><b>WARNING:</b> solid_waste_utilisation_pct is in %' in html
