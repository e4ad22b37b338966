"""Progress tables: index and indicator changes, CAGR, improvement in direction, improvers.

Expected values are hand calculations (in the docstrings), COINr's CAGR definition
(coinr_cases B7) or independent recomputation from the shipped CSV in plain Python.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gipro
from gipro import InputError, run
from gipro.cli import app
from gipro.methods.change import cagr, pct_change
from gipro.progress import (
    caveats,
    improvers,
    index_progress,
    indicator_progress,
    report,
    summary,
)
from progress_cases import ARITH, THREE, make_build

PKG = Path(gipro.__file__).parent


@pytest.fixture(scope="module")
def default_build():
    return run()


def test_cagr_b7_and_undefined_cases():
    """B7: CAGR = (y_T / y_0)^(1/(T - t0)) - 1. 100 -> 200 over 10 years: 2^0.1 - 1 = 7.1773 %;
    100 -> 50: 0.5^0.1 - 1 = -6.6967 %. Zero or negative values: undefined (NaN)."""
    g = cagr(np.array([100.0, 100.0, 0.0, 5.0, -4.0]), np.array([200.0, 50.0, 3.0, 0.0, -2.0]),
             10)
    assert g[:2] == pytest.approx([2 ** 0.1 - 1, 0.5 ** 0.1 - 1])
    assert g[0] == pytest.approx(0.071773, abs=1e-6)
    assert np.isnan(g[2:]).all()
    # COINr prc_change: (y2 - y1)/y1 * 100; base 0 undefined
    assert pct_change([80.0, 0.0], [100.0, 1.0]).tolist()[0] == pytest.approx(25.0)
    assert np.isnan(pct_change(0.0, 1.0))


def test_change_kernels_signs_and_periods():
    """Hand: 50 -> 200 over 2 years: 4^(1/2) - 1 = 1 (100 % a year); 200 -> 50: -0.5; years
    per unit (2, 1): 100 -> 121 is 0.1 a year over 2 years, 0.21 over 1. No time between the
    periods, or a negative span, or a zero end value: undefined. % change: -10 -> -5 is
    +50 % (a rise on a negative base), 4 -> 1 is -75 %, a missing value gives NaN."""
    assert cagr(50.0, 200.0, 2).item() == 1.0
    assert cagr(200.0, 50.0, 2).item() == -0.5
    np.testing.assert_allclose(cagr([100.0, 100.0], [121.0, 121.0], np.array([2.0, 1.0])),
                               [0.1, 0.21], rtol=1e-14)
    assert np.isnan(cagr([100.0, 100.0, 100.0], [121.0, 121.0, 0.0], [0.0, -2.0, 2.0])).all()
    # values and spans below 1: 0.5 -> 0.25 over one year is -50 %; 100 -> 121 over half a
    # year is 1.21^2 - 1 = 46.41 % a year
    assert cagr(0.5, 0.25, 1).item() == -0.5
    assert cagr(100.0, 121.0, 0.5).item() == pytest.approx(0.4641, rel=1e-12)
    assert pct_change([-10.0, 4.0, np.nan], [-5.0, 1.0, 3.0])[:2].tolist() == [50.0, -75.0]
    assert np.isnan(pct_change([-10.0, 4.0, np.nan], [-5.0, 1.0, 3.0])[2])


def test_index_progress_hand_example():
    """ARITH (see test_decompose): A 0 -> 31.25, B 62.5 -> 81.25.

    Ranks 2000: B 1, A 2; 2010: B 1, A 2 -> rank change 0. % change: A undefined (base 0),
    B 18.75/62.5 = 30 %. D1 (a, b): A 0 -> 37.5, B 75 -> 62.5 (fell back, -16.67 %).
    """
    t = index_progress(make_build(ARITH))
    idx = t[t["code"] == "I"].set_index("unit")
    assert idx.loc["A", "change"] == pytest.approx(31.25)
    assert np.isnan(idx.loc["A", "change_pct"])
    assert idx.loc["B", "change_pct"] == pytest.approx(30.0)
    assert (idx.loc["B", "rank_base"], idx.loc["B", "rank_end"], idx.loc["B", "rank_change"]) \
        == (1, 1, 0)
    d1 = t[t["code"] == "D1"].set_index("unit")
    assert d1.loc["B", "change"] == pytest.approx(-12.5)
    assert d1.loc["B", "change_pct"] == pytest.approx(-100 * 12.5 / 75)
    assert d1.loc["B", "outcome"] == "worsened" and d1.loc["A", "outcome"] == "improved"
    assert list(t["code"].unique()) == ["I", "D1", "D2"]  # index first


def test_indicator_progress_hand_example():
    """ARITH raw data over 10 years.

    a (+) A 0 -> 10: +10, % and CAGR undefined (base 0) -> note; improved.
    b (-) A 5 -> 3: -2 (-40 %), CAGR (3/5)^(1/10) - 1 = -4.9800 %; lower is better: improved.
    b (-) B 1 -> 4: +3 (+300 %), worsened.  c (+) B 300 -> 500: CAGR (5/3)^0.1 - 1 = 5.2410 %.
    """
    t = indicator_progress(make_build(ARITH)).set_index(["unit", "code"])
    a = t.loc[("A", "a")]
    assert a["value_change"] == 10 and np.isnan(a["cagr_pct"]) and a["outcome"] == "improved"
    assert "base value is 0" in a["note"]
    b = t.loc[("A", "b")]
    assert b["value_change_pct"] == pytest.approx(-40.0)
    assert b["cagr_pct"] == pytest.approx(100 * ((3 / 5) ** 0.1 - 1))
    assert b["cagr_pct"] == pytest.approx(-4.9800, abs=1e-4)
    assert b["outcome"] == "improved" and b["direction"] == -1
    assert b["score_change"] == pytest.approx(50.0)
    assert t.loc[("B", "b"), "outcome"] == "worsened"
    assert t.loc[("B", "c"), "cagr_pct"] == pytest.approx(100 * ((5 / 3) ** 0.1 - 1))


def test_improvers_counts_missing_and_unchanged():
    """a: A improved, B improved; b: A improved, B worsened; c: A unchanged (100 -> 100),
    B missing in 2010."""
    rows = [list(r) for r in ARITH]
    rows[1][4] = 100.0  # A c unchanged
    rows[3][4] = np.nan  # B c missing in 2010
    imp = improvers(make_build(rows)).set_index("code")
    assert imp.loc["a", ["n_improved", "n_worsened"]].tolist() == [2, 0]
    assert imp.loc["b", ["n_improved", "n_worsened"]].tolist() == [1, 1]
    assert imp.loc["c", ["n_unchanged", "n_missing", "n_units"]].tolist() == [1, 1, 2]
    assert imp.loc["c", "share_improved"] == 0.0
    assert imp.loc["b", "share_improved"] == 0.5


def test_consecutive_pairs_and_backwards():
    b = make_build([("A", p, p, 10 - p, 100 + p) for p in (1, 2, 3)]
                   + [("B", p, 2 * p, 5, 100) for p in (1, 2, 3)])
    t = index_progress(b, consecutive=True)
    assert sorted(set(zip(t["base"], t["end"], strict=True))) == [(1, 2), (2, 3)]
    fwd = index_progress(b, 1, 3).set_index(["unit", "code"])["change"]
    bwd = index_progress(b, 3, 1).set_index(["unit", "code"])["change"]
    assert np.allclose(fwd, -bwd)
    with pytest.raises(InputError, match="period 7"):
        index_progress(b, 7, 3)
    with pytest.raises(InputError, match="same"):
        index_progress(b, 2, 2)


def test_default_build_improver_count_plain_python(default_build):
    """Independent count from the shipped CSV: provinces whose CO2 per capita fell (direction
    -1) and whose coal share fell between 2006 and 2015."""
    with open(PKG / "datasets" / "data" / "china_provinces.csv", encoding="utf-8") as f:
        rows = {(r["unit"], int(r["period"])): r for r in csv.DictReader(f)}
    units = {u for u, _ in rows}
    imp = improvers(default_build).set_index("code")
    for code in ("co2_per_capita", "coal_share_industry_energy_co2",
                 "heavy_share_manufacturing_co2", "gdp_real_per_capita"):
        sign = 1 if code == "gdp_real_per_capita" else -1
        n = sum(sign * (float(rows[(u, 2015)][code]) - float(rows[(u, 2006)][code])) > 0
                for u in units)
        assert imp.loc[code, "n_improved"] == n, code
        assert imp.loc[code, "n_units"] == 30
    # CAGR of Beijing's real GDP per capita, by hand from the file
    t = indicator_progress(default_build).set_index(["unit", "code"])
    y0 = float(rows[("Beijing", 2006)]["gdp_real_per_capita"])
    y1 = float(rows[("Beijing", 2015)]["gdp_real_per_capita"])
    assert t.loc[("Beijing", "gdp_real_per_capita"), "cagr_pct"] == pytest.approx(
        100 * (math.pow(y1 / y0, 1 / 9) - 1), rel=1e-12)


def test_summary_and_caveats(default_build):
    text = summary(default_build)
    assert text.startswith("Between 2006 and 2015,") and "of 30 units progressed" in text
    assert "improved in all units with data" in text
    assert "2008 and 2009" in text  # GDP vintage break inside 2006-2015
    cav = caveats(default_build, 2010, 2015)
    assert not any("2008" in c for c in cav)
    per = default_build.with_step("normalise", bounds="per_period").run()
    assert any("per period" in c for c in caveats(per))


def test_report_tables_and_write(default_build, tmp_path):
    rep = report(default_build, 2006, 2015)
    assert {"index_progress", "indicator_progress", "improvers", "contributions",
            "leading_factors", "index_progress_yearly", "contributions_yearly"} <= set(rep.tables)
    lf = rep.tables["leading_factors"]
    assert lf.groupby("unit").size().max() <= 3 and lf["unit"].nunique() == 30
    files = rep.write(tmp_path)
    back = pd.read_csv(files["contributions"])
    assert len(back) == len(rep.tables["contributions"])
    assert "Notes:" in files["summary"].read_text(encoding="utf-8")


runner = CliRunner()


def test_cli_progress(tmp_path):
    out = tmp_path / "p"
    res = runner.invoke(app, ["progress", "--out", str(out), "--base", "2010", "--end", "2015"])
    assert res.exit_code == 0, res.output
    assert "Between 2010 and 2015" in res.output and "leading factors" in res.output
    idx = pd.read_csv(out / "index_progress.csv")
    assert set(idx["base"]) == {2010} and set(idx["end"]) == {2015}
    yearly = pd.read_csv(out / "index_progress_yearly.csv")
    assert sorted(set(yearly["base"])) == [2010, 2011, 2012, 2013, 2014]
    res = runner.invoke(app, ["progress", "--out", str(out), "--base", "1990"])
    assert res.exit_code == 1 and "period 1990 is not in the build" in res.output
    assert "Traceback" not in res.output


# ------------------------------------------------------------ progress after denomination
DEN_FW = gipro.Framework(
    indicators=[{"code": "waste", "parent": "I", "direction": -1, "unit": "t"},
                {"code": "gdp", "parent": "I", "direction": 1, "unit": "yuan per person"}],
    aggregates=[{"code": "I"}],
)
# waste totals (t) and population (persons); waste per person = waste / pop
#   A: 100 -> 120 t (total +20 %), pop 50 -> 80:   2.0 -> 1.5 t per person (falls: improved)
#   B: 200 -> 180 t,               pop 100 -> 100: 2.0 -> 1.8 (improved)
#   C:  60 -> 90 t,                pop 20 -> 25:   3.0 -> 3.6 (worsened)
DEN_ROWS = [("A", 2016, 100.0, 1.0, 50.0), ("A", 2019, 120.0, 2.0, 80.0),
            ("B", 2016, 200.0, 2.0, 100.0), ("B", 2019, 180.0, 3.0, 100.0),
            ("C", 2016, 60.0, 3.0, 20.0), ("C", 2019, 90.0, 3.0, 25.0)]


def _den_build(rows=DEN_ROWS, extra_steps=()):
    df = pd.DataFrame(rows, columns=["unit", "period", "waste", "gdp", "pop"])
    panel = gipro.Panel.from_wide(df, unit="unit", period="period")
    recipe = {"framework": "unused", "data": {"path": "unused.csv"}, "steps": [
        {"step": "denominate", "denominators": {"waste": "pop"},
         "result_units": {"waste": "t per person"}},
        *extra_steps,
        {"step": "normalise", "range": [0, 100], "bounds": "pooled"},
        {"step": "aggregate", "method": "arithmetic"}]}
    return gipro.Build(recipe, framework=DEN_FW, panel=panel).run()


def test_indicator_progress_after_denomination_hand_example():
    """Hand calculation: progress is judged on waste per person (as the index uses it), not
    on the totals. A's total rises 100 -> 120 t (would be "worsened"), its waste per person
    falls 2.0 -> 1.5 t: change -0.5, -25 %, CAGR over 3 years 0.75^(1/3) - 1 = 0.908560 - 1
    = -9.1440 %; improved (lower is better). Scores: pooled min-max of -waste per person over
    {2, 1.5, 2, 1.8, 3, 3.6}: [-3.6, -1.5], span 2.1; A 100 * 1.6/2.1 = 76.19 -> 100.
    Improvers (per person): A, B improved, C worsened (3.0 -> 3.6) -> 2 of 3 (on totals it
    would be 1 of 3: only B's total fell)."""
    b = _den_build()
    t = indicator_progress(b).set_index(["unit", "code"])
    a = t.loc[("A", "waste")]
    assert (a["value_base"], a["value_end"]) == (2.0, 1.5)
    assert a["value_change"] == pytest.approx(-0.5)
    assert a["value_change_pct"] == pytest.approx(-25.0)
    assert a["cagr_pct"] == pytest.approx(100 * (0.75 ** (1 / 3) - 1))
    assert a["cagr_pct"] == pytest.approx(-9.1440, abs=1e-4)
    assert a["outcome"] == "improved"
    assert a["measure"] == "t per person" and a["value_source"] == "denominated"
    assert a["score_base"] == pytest.approx(100 * 1.6 / 2.1)
    assert a["score_end"] == pytest.approx(100.0)
    c = t.loc[("C", "waste")]
    assert (c["value_base"], c["value_end"], c["outcome"]) == (3.0, 3.6, "worsened")
    assert c["value_change_pct"] == pytest.approx(20.0)
    # an indicator that is not denominated keeps its own unit and values
    g = t.loc[("A", "gdp")]
    assert (g["measure"], g["value_base"], g["value_end"]) == ("yuan per person", 1.0, 2.0)
    imp = improvers(b).set_index("code")
    assert imp.loc["waste", ["n_improved", "n_worsened"]].tolist() == [2, 1]
    assert imp.loc["gdp", ["n_improved", "n_unchanged"]].tolist() == [2, 1]
    text = summary(b)
    assert "waste in 2 of 3" in text
    notes = report(b).notes
    assert any("after denomination by step 'denominate' (waste in t per person)" in n
               for n in notes)


def test_imputed_values_count_as_missing():
    """Observed values only (the GIPro study's practice): C's gdp is missing in 2019 and the
    index uses the per-period mean of A and B, (2 + 3)/2 = 2.5. Progress counts C's gdp as
    missing (not as a fall 3 -> 2.5) and says the index used an imputed value; the score is
    still reported: pooled min-max of gdp over {1, 2, 2, 3, 3, 2.5} -> C 2019 = 75."""
    rows = [list(r) for r in DEN_ROWS]
    rows[5][3] = np.nan
    b = _den_build(rows, [{"step": "impute", "method": "mean"}])
    t = indicator_progress(b).set_index(["unit", "code"])
    g = t.loc[("C", "gdp")]
    assert g["outcome"] == "missing" and np.isnan(g["value_end"])
    assert g["note"] == ("value missing in end period; index used an imputed value in end "
                         "period")
    assert g["score_end"] == pytest.approx(75.0)
    imp = improvers(b).set_index("code")
    assert imp.loc["gdp", ["n_improved", "n_worsened", "n_unchanged", "n_missing"]].tolist() \
        == [2, 0, 0, 1]
    assert t.loc[("A", "gdp"), "note"] == ""


def test_treated_values_are_judged_as_observed():
    """A forced winsorisation of one point, pooled over the 6 unit-periods of gdp
    {1, 2, 2, 3, 3, 3}: skewness is negative (mean 7/3; third central moment
    (-(4/3)^3 - 2 (1/3)^3 + 3 (2/3)^3)/6 < 0), so the minimum, A's 1 in 2016, is set to the
    next higher value, 2. The index then sees no change for A, but progress judges the
    observed values 1 -> 2 (improved) and notes the treated value."""
    b = _den_build(extra_steps=[{"step": "treat", "scope": "pooled",
                                 "indicators": {"gdp": {"winmax": 1, "force": True}}}])
    t = indicator_progress(b).set_index(["unit", "code"])
    g = t.loc[("A", "gdp")]
    assert (g["value_base"], g["value_end"], g["outcome"]) == (1.0, 2.0, "improved")
    assert g["score_change"] == 0.0
    assert g["note"] == "index used a treated value in base period"
    assert t.loc[("B", "gdp"), "note"] == ""


@pytest.mark.parametrize("bounds", ["pooled", "per_period"])
def test_indicator_left_out_by_constant_drop(bounds):
    """An indicator dropped as constant (normalise ``constant: drop``) is in the progress
    table without a score and with a note, and the decomposition runs without it (it used to
    fail with an internal error). Hand calculation, D1 = mean of a and b (c dropped),
    effective weights a .25, b .25, d .5; unit A:
    pooled: a 0 -> 10 of [0, 40] = 0 -> 25; -b -5 -> -3 of [-5, -1] = 0 -> 50; d 1 -> 2 of
    [1, 5] = 0 -> 25: contributions 6.25, 12.5, 12.5 (index 0 -> 31.25).
    per period (two units: every score is 0 or 100): only b moves, 0 -> 100: 25."""
    fw = gipro.Framework(
        indicators=[{"code": "a", "parent": "D1", "direction": 1},
                    {"code": "b", "parent": "D1", "direction": -1},
                    {"code": "c", "parent": "D1", "direction": 1},
                    {"code": "d", "parent": "D2", "direction": 1}],
        aggregates=[{"code": "I"}, {"code": "D1", "parent": "I"},
                    {"code": "D2", "parent": "I"}])
    df = pd.DataFrame([("A", 2000, 0, 5, 7, 1), ("A", 2010, 10, 3, 7, 2),
                       ("B", 2000, 20, 1, 7, 3), ("B", 2010, 40, 4, 7, 5)],
                      columns=["unit", "period", "a", "b", "c", "d"])
    panel = gipro.Panel.from_wide(df, unit="unit", period="period")
    b = gipro.Build({"framework": "x", "data": {"path": "u.csv"}, "steps": [
        {"step": "normalise", "constant": "drop", "bounds": bounds},
        {"step": "aggregate"}]}, framework=fw, panel=panel).run()
    rep = report(b)
    t = rep.tables["indicator_progress"].set_index(["unit", "code"])
    c = t.loc[("A", "c")]
    assert np.isnan(c["score_base"]) and c["outcome"] == "unchanged"
    assert c["note"] == "not in the index (left out by an earlier step, e.g. constant: drop)"
    con = rep.tables["contributions"]
    got = con[con["unit"] == "A"].set_index("code")["contribution"]
    expect = [6.25, 12.5, 0.0, 12.5] if bounds == "pooled" else [0.0, 25.0, 0.0, 0.0]
    assert got[["a", "b", "c", "d"]].tolist() == pytest.approx(expect)


def test_strengths_and_profiles_show_the_value_the_index_uses():
    """The unit profile (gipro.strengths_weaknesses and the report's profiles) shows A's
    waste per person in 2019, 120 / 80 = 1.5 t per person (hand), not the 120 t total;
    gdp keeps its own value and unit."""
    from gipro.report import Profiles

    b = _den_build()
    strong, weak = gipro.strengths_weaknesses(b, "A", 2019, n=2)
    t = pd.concat([strong, weak]).drop_duplicates("code").set_index("code")
    assert t.loc["waste", "value"] == pytest.approx(1.5)
    assert t.loc["waste", "unit_of_measure"] == "t per person"
    assert (t.loc["gdp", "value"], t.loc["gdp", "unit_of_measure"]) == (2.0, "yuan per person")
    prof = Profiles.from_build(b, 2019, n=2)
    rows = pd.concat([prof.strengths, prof.weaknesses])
    got = rows[(rows["unit"] == "A") & (rows["code"] == "waste")]["value"]
    assert got.tolist() and got.tolist() == pytest.approx([1.5] * len(got))


def test_summary_lists_gains_and_falls_by_sign():
    """Trial 4: with few units the summary listed a fall under "Largest gains" and said
    "in only 0 of 5". Hand calculation (pooled min-max onto [0, 100], I = D = (a + b)/2):
    a (+), bounds [0, 40], score 2.5 a: A 0->10 (+25), B 20->15 (-12.5), C 5->5 (0),
    D 32->34 (+5), E 40->36 (-10); b (-1), 10->11 in A, B, C, E and 0->1 in D, bounds of
    -b [-11, 0]: every unit's b score falls by 100/11. Index changes (a - 100/11)/2:
    A +7.95, B -10.80, C -4.55, D -2.05, E -9.55 (median -4.5). One gain (A) and four
    falls, of which the three largest are listed (B, E, C); a improved in A and D
    (2 of 5), b in none."""
    fw = gipro.Framework(
        indicators=[{"code": "a", "parent": "D", "direction": 1},
                    {"code": "b", "parent": "D", "direction": -1}],
        aggregates=[{"code": "I"}, {"code": "D", "parent": "I"}])
    vals = {"A": (0, 10, 10, 11), "B": (20, 15, 10, 11), "C": (5, 5, 10, 11),
            "D": (32, 34, 0, 1), "E": (40, 36, 10, 11)}
    rows = [r for u, (a0, a1, b0, b1) in vals.items()
            for r in ((u, 2000, a0, b0), (u, 2010, a1, b1))]
    text = summary(make_build(rows, fw=fw), with_caveats=False)
    assert "1 of 5 units progressed on the I and 4 fell back; median change -4.5" in text
    assert " Largest gains: A (+8.0). Largest falls: B (-10.8), E (-9.5), C (-4.5)." in text
    assert "D (-2.0)" not in text  # the fourth fall: only the three largest are listed
    assert "a in only 2 of 5; b in none of 5." in text and "0 of 5" not in text


def test_summary_without_falls_lists_smallest_gains():
    """No unit fell back: no "falls" list; the smallest gains not already listed instead.
    One indicator a (+), bounds [0, 60] pooled, score = a * 100/60: A..E rise by 1, 2, 3,
    5, 10 (score changes 1.67, 3.33, 5, 8.33, 16.67) and F by 0 (in neither list)."""
    fw = gipro.Framework(indicators=[{"code": "a", "parent": "I", "direction": 1}],
                         aggregates=[{"code": "I"}])
    rise = {"A": 1, "B": 2, "C": 3, "D": 5, "E": 10, "F": 0}
    rows = [r for u, d in rise.items() for r in ((u, 2000, 10.0), (u, 2010, 10.0 + d))]
    rows.append(("G", 2000, 0.0))  # pooled bounds [0, 60]
    rows.append(("G", 2010, 60.0))
    text = summary(make_build(rows, fw=fw), with_caveats=False)
    assert ("Largest gains: G (+100.0), E (+16.7), D (+8.3). "
            "Smallest gains: A (+1.7), B (+3.3), C (+5.0).") in text
    assert "falls" not in text and "F (" not in text


# ---------------------------------------------------------------- three periods (THREE)
def test_index_progress_over_three_periods_by_hand():
    """THREE (progress_cases): index A 0 -> 62.5 -> 68.75, B 100 -> 18.75 -> 50, C 43.75.
    Ranks 2000 B 1, C 2, A 3; 2005 A 1, C 2, B 3; 2010 A 1, B 2, C 3. 2000->2005: A +62.5
    (no % on a zero base), 3 -> 1 (+2); B -81.25 (-81.25 %), 1 -> 3 (-2); C 0, unchanged.
    2005->2010: A +6.25 (+10 %), B +31.25 (+166.67 %), 3 -> 2 (+1); C 2 -> 3 (-1)."""
    t = index_progress(make_build(THREE), consecutive=True)
    i = t[t["code"] == "I"].set_index(["base", "unit"])
    assert i.loc[(2000, "A"), ["change", "rank_base", "rank_end", "rank_change"]].tolist() == [
        62.5, 3, 1, 2]
    assert np.isnan(i.loc[(2000, "A"), "change_pct"])
    assert i.loc[(2000, "B"), ["change", "change_pct", "rank_change"]].tolist() == [
        -81.25, -81.25, -2]
    assert i.loc[(2000, "C"), ["change", "outcome"]].tolist() == [0.0, "unchanged"]
    assert i.loc[(2005, "A"), "change_pct"] == pytest.approx(10.0)
    assert i.loc[(2005, "B"), "change_pct"] == pytest.approx(100 * 31.25 / 18.75)
    assert i.loc[(2005, "B"), ["rank_base", "rank_end", "rank_change", "outcome"]].tolist() == [
        3, 2, 1, "improved"]
    assert i.loc[(2005, "C"), "rank_change"] == -1
    assert set(i["end"] - i.index.get_level_values("base")) == {5}
    d1 = index_progress(make_build(THREE), 2005, 2010, codes=["D1"])
    assert d1["code"].unique().tolist() == ["D1"]
    # D1 = (a + b)/2: A (50 + 100)/2 = 75 -> (25 + 50)/2 = 37.5
    assert d1.set_index("unit").loc["A", "change"] == pytest.approx(-37.5)
    with pytest.raises(InputError, match=r"code 'Z' is not in the build's final data set"):
        index_progress(make_build(THREE), codes=["Z"])


def test_indicator_progress_five_year_steps_notes_and_backwards():
    """THREE with B's a missing in 2005 and A's c 0 in 2000. B 2000->2005: a missing in
    the end period; b (-) 1 -> 5 worsened, CAGR 5^(1/5) - 1 = 37.97 %; 2005->2010: a missing
    in the base period, b 5 -> 3 improved. A's c 0 -> 300: base 0, % and CAGR undefined.
    Backwards 2010 -> 2000 (10 years): A c 500 -> 0, CAGR undefined (zero), B c 300 -> 500
    over |2000 - 2010| = 10 years: (5/3)^(1/10) - 1."""
    rows = [list(r) for r in THREE]
    rows[4][2] = np.nan  # B a 2005
    rows[0][4] = 0.0  # A c 2000
    b = make_build(rows)
    t = indicator_progress(b, consecutive=True).set_index(["base", "unit", "code"])
    assert t.loc[(2000, "B", "a"), ["outcome", "note"]].tolist() == [
        "missing", "value missing in end period"]
    assert t.loc[(2005, "B", "a"), "note"] == "value missing in base period"
    assert t.loc[(2000, "B", "b"), "outcome"] == "worsened"
    assert t.loc[(2000, "B", "b"), "cagr_pct"] == pytest.approx(100 * (5 ** 0.2 - 1))
    assert t.loc[(2005, "B", "b"), ["outcome", "value_change"]].tolist() == ["improved", -2.0]
    assert t.loc[(2005, "B", "b"), "value_change_pct"] == pytest.approx(-40.0)
    assert t.loc[(2000, "A", "c"), "note"] == "CAGR and % change undefined: base value is 0"
    assert t.loc[(2000, "C", "a"), ["outcome", "note"]].tolist() == ["unchanged", ""]
    back = indicator_progress(b, 2010, 2000).set_index(["unit", "code"])
    assert back.loc[("A", "c"), "note"] == "CAGR undefined: zero or negative value"
    assert back.loc[("B", "c"), "cagr_pct"] == pytest.approx(100 * ((5 / 3) ** 0.1 - 1))
    assert back.loc[("B", "c"), "outcome"] == "improved"  # 300 -> 500, higher is better
    assert back.loc[("A", "c"), "score_change"] == pytest.approx(-100.0)


def test_improvers_per_pair_and_summary_over_three_periods():
    """THREE. 2000->2005 on each indicator: A improved, B worsened, C unchanged (share 1/3);
    2005->2010 on a: A 20 -> 10 and B 30 -> 20 worsened (share 0). 2000->2010: A +68.75,
    B -50, C 0: one of three progressed, one fell back, median change 0; every indicator
    improved in 1 of 3 units."""
    b = make_build(THREE)
    imp = improvers(b, consecutive=True).set_index(["base", "code"])
    cols = ["n_units", "n_improved", "n_worsened", "n_unchanged", "n_missing"]
    for code in "abc":
        assert imp.loc[(2000, code), cols].tolist() == [3, 1, 1, 1, 0], code
        assert imp.loc[(2000, code), "share_improved"] == pytest.approx(1 / 3)
    assert imp.loc[(2005, "a"), ["n_improved", "n_worsened", "share_improved"]].tolist() == [
        0, 2, 0.0]
    text = summary(b, with_caveats=False)
    assert text == ("Between 2000 and 2010, 1 of 3 units progressed on the I and 1 fell back; "
                    "median change +0.0 points. Largest gains: A (+68.8). Largest falls: B "
                    "(-50.0). On the indicators, improvements: a in only 1 of 3; b in only 1 of "
                    "3; c in only 1 of 3.")
    per = make_build(ARITH, bounds="per_period")
    assert caveats(per) == ["normalisation bounds were set per period, so score changes mix "
                            "real change with moving bounds (contributions report the bound "
                            "effect separately)"]
    assert caveats(b) == []


def test_progress_refusals_and_a_folder_that_cannot_be_written(tmp_path):
    from gipro.progress import change

    b = make_build(THREE)
    with pytest.raises(InputError, match=r"code 'Z' is not in the build's results"):
        change(b, "Z")
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with pytest.raises(InputError, match=r"cannot write outputs to .*taken"):
        report(b).write(blocker / "out")
    c = change(b, "I", 2005, 2010)
    assert c["unit"].tolist() == ["B", "A", "C"]  # sorted by change: 31.25, 6.25, 0
    assert c["rank_change"].tolist() == [1, 0, -1]


def test_every_indicator_improved_everywhere_and_missing_in_both_periods():
    """a rises (+), b falls (-) and c rises (+) for A and B: all three improved in every unit
    with data, said as one list ('a, b and c'). A's c missing in both periods: note 'value
    missing in both periods'; c then has one unit with data, which improved."""
    rows = [("A", 2000, 0, 5, 100), ("A", 2010, 10, 3, 200),
            ("B", 2000, 20, 5, 300), ("B", 2010, 40, 4, 500)]
    assert "On the indicators, a, b and c improved in all units with data." in summary(
        make_build(rows))
    # ARITH: b worsened for B (1 -> 4, lower is better), a and c improved in both
    assert "On the indicators, a and c improved in all units with data; b in 1 of 2." in \
        summary(make_build(ARITH))
    rows[0] = ("A", 2000, 0, 5, math.nan)
    rows[1] = ("A", 2010, 10, 3, math.nan)
    b = make_build(rows)
    t = indicator_progress(b).set_index(["unit", "code"])
    assert t.loc[("A", "c"), "note"] == "value missing in both periods"
    assert t.loc[("A", "b"), "note"] == ""  # (a: base value 0, a note of its own)
    imp = improvers(b).set_index("code")
    assert imp.loc["c", ["n_improved", "n_missing", "share_improved"]].tolist() == [1, 1, 1.0]


def test_improvers_share_undefined_without_data():
    """c missing for both units in 2010: no unit with data on c, so its share of improvers
    is undefined (NaN, not 0); a and b as in ARITH (a improved in both, b in A only)."""
    rows = [("A", 2000, 0, 5, 100), ("A", 2010, 10, 3, math.nan),
            ("B", 2000, 20, 1, 300), ("B", 2010, 40, 4, math.nan)]
    imp = improvers(make_build(rows)).set_index("code")
    assert imp.loc["c", ["n_units", "n_missing"]].tolist() == [2, 2]
    assert np.isnan(imp.loc["c", "share_improved"])
    assert imp.loc[["a", "b"], "share_improved"].tolist() == [1.0, 0.5]


def test_index_progress_columns_in_the_documented_order():
    """The columns index_progress documents, in that order."""
    assert list(index_progress(make_build(ARITH)).columns) == [
        "base", "end", "unit", "code", "name", "level", "score_base", "score_end", "change",
        "change_pct", "rank_base", "rank_end", "rank_change", "outcome"]


def test_caveat_on_bounds_follows_the_normalisation_the_index_uses():
    """Two normalisations of ARITH: one per period kept for comparison, the index's pooled:
    no caveat on moving bounds; the other way round, the caveat."""
    df = pd.DataFrame(ARITH, columns=["unit", "period", "a", "b", "c"])
    panel = gipro.Panel.from_wide(df, unit="unit", period="period")
    from progress_cases import FW

    def build(first, second):
        return gipro.Build({"framework": "x", "data": {"path": "u.csv"}, "steps": [
            {"step": "normalise", "name": "n1", "bounds": first, "output": "n1"},
            {"step": "normalise", "name": "n2", "input": "raw", "bounds": second},
            {"step": "aggregate", "input": "normalised"}]}, framework=FW, panel=panel).run()

    moving = "normalisation bounds were set per period"
    assert not any(moving in c for c in caveats(build("per_period", "pooled")))
    assert any(moving in c for c in caveats(build("pooled", "per_period")))
    # the index's scores not kept (keep: aggregated): which normalisation fed the index is
    # unknown, so one per period among them is enough for the caveat
    kept = gipro.Build({"framework": "x", "data": {"path": "u.csv"}, "keep": ["aggregated"],
                        "steps": [
        {"step": "normalise", "name": "n1", "bounds": "per_period", "output": "n1"},
        {"step": "normalise", "name": "n2", "input": "raw", "bounds": "pooled"},
        {"step": "aggregate", "input": "normalised"}]}, framework=FW, panel=panel).run()
    assert any(moving in c for c in caveats(kept))


def test_report_yearly_contributions_over_three_periods():
    """THREE (2000, 2005, 2010): the yearly contributions pair consecutive periods; the
    index change of A by pair is 62.5 and 6.25 (progress_cases: 0 -> 62.5 -> 68.75)."""
    rep = report(make_build(THREE))
    y = rep.tables["contributions_yearly"]
    i = y[(y["unit"] == "A") & (y["code"] == "I")]
    assert list(zip(i["base"], i["end"], strict=True)) == [(2000, 2005), (2005, 2010)]
    assert i["contribution"].tolist() == pytest.approx([62.5, 6.25])
