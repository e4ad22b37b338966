"""Policy scenarios: what-if changes, frozen bounds, contributions, inverse questions, targets.

Expected values are hand calculations (written out in each test) or come from the shipped
data file read with pandas independently of gipro's normaliser; never from gipro's own output.

The toy build (used throughout): units u1, u2, u3 in 2020; framework IDX <- D1 (weight 1),
D2 (weight 1); D1 <- a (weight 1, direction +1), b (weight 3, direction -1); D2 <- c (+1).
Values a = 10, 20, 30; b = 4, 2, 1; c = 5, 15, 25. Min-max onto [0, 100]:
a -> 0, 50, 100; b (oriented -4, -2, -1; bounds -4, -1) -> 0, 66.67, 100; c -> 0, 50, 100.
Effective weights: a 0.5 x 1/4 = 0.125, b 0.5 x 3/4 = 0.375, c 0.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gipro
from gipro import Build, Framework, InputError, MethodError, Panel
from gipro.decompose import contributions
from gipro.scenario import (
    AttainmentOptions,
    Change,
    Cube,
    Scenario,
    ScenarioFile,
    TargetSpec,
    apply_changes,
    attainment,
    constant_rate_path,
    evaluate,
    evaluate_parks,
    required_change,
)

FW = Framework(
    [{"code": "a", "parent": "D1", "direction": 1, "weight": 1, "unit": "t"},
     {"code": "b", "parent": "D1", "direction": -1, "weight": 3, "unit": "t"},
     {"code": "c", "parent": "D2", "direction": 1, "unit": "t"}],
    [{"code": "IDX"}, {"code": "D1", "parent": "IDX"}, {"code": "D2", "parent": "IDX"}])


def toy_panel(periods=(2020,), a=(10.0, 20.0, 30.0), b=(4.0, 2.0, 1.0), c=(5.0, 15.0, 25.0),
              region=("East", "West", "West")) -> Panel:
    rows = []
    for p in periods:
        for i, u in enumerate(["u1", "u2", "u3"]):
            rows.append({"unit": u, "period": p, "a": a[i], "b": b[i], "c": c[i]})
    units = pd.DataFrame({"name": ["u1", "u2", "u3"], "region": list(region)},
                         index=pd.Index(["u1", "u2", "u3"], name="unit"))
    return Panel.from_wide(pd.DataFrame(rows), unit="unit", period="period", units=units)


def toy_build(steps=None, panel=None) -> Build:
    recipe = {"framework": "toy", "data": {"dataset": "china_provinces"},
              "steps": steps or [{"step": "normalise", "range": [0, 100]},
                                 {"step": "aggregate", "method": "arithmetic"}]}
    return Build(recipe, framework=FW, panel=panel or toy_panel()).run()


def index_of(build: Build, unit: str, period: int = 2020) -> float:
    ds = build.final
    return float(ds.column("IDX")[ds.periods.index(period), ds.units.index(unit)])


def scen(*changes, name="s") -> Scenario:
    return Scenario(name=name, changes=list(changes))


# ---------------------------------------------------------------------- baseline reproduced
def test_toy_baseline_is_the_hand_calculation():
    b = toy_build()
    # u2: 0.125 * 50 + 0.375 * 66.666... + 0.5 * 50 = 6.25 + 25 + 25 = 56.25
    assert index_of(b, "u2") == pytest.approx(56.25, abs=1e-12)


@pytest.mark.parametrize("bounds", ["frozen", "recompute"])
def test_a_scenario_that_changes_nothing_reproduces_the_baseline_exactly(bounds):
    base = gipro.run()
    ev = evaluate(base, [scen(name="nothing"),
                         scen(Change(op="pct", indicators=["co2_per_capita"], value=0.0,
                                     periods="all"), name="zero-pct")],
                  options={"bounds": bounds})
    for name in ("nothing", "zero-pct"):
        b = ev.runs[name].build
        for ds in ("normalised", "aggregated"):
            np.testing.assert_array_equal(b.datasets[ds].values, base.datasets[ds].values)
    np.testing.assert_array_equal(ev.reference.final.values, base.final.values)
    s = ev.tables["scores"]
    assert (s["score_change"] == 0).all() and (s["rank_change"] == 0).all()
    assert (ev.tables["overview"]["units_changed"] == 0).all()


def test_frozen_evaluation_of_the_baseline_is_bit_identical_to_the_recipe():
    base = gipro.run()
    state = base.fits["normalise"].frozen("the baseline build")
    again = Build(base.recipe, framework=base.framework, panel=base.source_panel,
                  frozen={"normalise": state}).run()
    for name in base.datasets:
        np.testing.assert_array_equal(again.datasets[name].values, base.datasets[name].values)
    assert "frozen" in again.log[0].notes[0]


# ---------------------------------------------------------------------- +10 % = weight x change
def test_plus_ten_percent_changes_the_index_by_weight_times_score_change():
    b = toy_build()
    ev = evaluate(b, [scen(Change(op="pct", units=["u2"], indicators=["a"], value=10)),
                      scen(Change(op="pct", units=["u1"], indicators=["b"], value=-10),
                           name="b-down")])
    s = ev.tables["scores"]
    idx = s[(s["code"] == "IDX")].set_index(["scenario", "unit"])["score_change"]
    # u2: a 20 -> 22, score (22 - 10)/(30 - 10) * 100 = 60, +10 points; x 0.125 = 1.25
    assert idx[("s", "u2")] == pytest.approx(1.25, abs=1e-12)
    # u1: b 4 -> 3.6, oriented -3.6, score (-3.6 + 4)/(-1 + 4) * 100 = 13.333; x 0.375 = 5
    assert idx[("b-down", "u1")] == pytest.approx(5.0, abs=1e-12)
    # nothing else moves with frozen bounds
    assert (idx.drop([("s", "u2"), ("b-down", "u1")]) == 0).all()
    c = ev.tables["contributions"]
    row = c[(c["scenario"] == "s") & (c["code"] == "a")].iloc[0]
    assert row["weight"] == pytest.approx(0.125) and row["contribution"] == pytest.approx(1.25)


def test_plus_ten_percent_on_the_builtin_data_is_weight_times_hand_score_change():
    """Beijing, real GDP per capita +10 % in 2015: the score changes by
    100 x 0.1 x value / (max - min), bounds = min and max over 30 provinces x 2006-2015 read
    from the shipped CSV with pandas; the index by a third of that (ECO has one indicator,
    three equally weighted dimensions)."""
    from importlib import resources

    raw = pd.read_csv(resources.files("gipro") / "datasets" / "data" / "china_provinces.csv",
                      comment="#")
    raw = raw[(raw["period"] >= 2006) & (raw["period"] <= 2015)]
    col = "gdp_real_per_capita"
    lo, hi = raw[col].min(), raw[col].max()
    v = raw.loc[(raw["unit"] == "Beijing") & (raw["period"] == 2015), col].item()
    d_score = 100.0 * 0.1 * v / (hi - lo)
    base = gipro.run()
    ev = evaluate(base, scen(Change(op="pct", units=["Beijing"], indicators=[col],
                                    periods=2015, value=10)))
    s = ev.tables["scores"].set_index(["unit", "period", "code"])
    assert s.loc[("Beijing", 2015, col), "score_change"] == pytest.approx(d_score, rel=1e-12)
    assert s.loc[("Beijing", 2015, "GIP"), "score_change"] == pytest.approx(d_score / 3,
                                                                            rel=1e-12)
    # the new value is beyond the best baseline value: reported, not clipped
    bey = ev.tables["beyond_scale"]
    assert bey[["unit", "period", "indicator"]].values.tolist() == [["Beijing", 2015, col]]


def test_clip_and_recompute_policies():
    b = toy_build()
    up = scen(Change(op="pct", units=["u3"], indicators=["a"], value=10))  # 30 -> 33
    # frozen, not clipped: score (33 - 10)/20 * 100 = 115, +15 points x 0.125 = 1.875
    ev = evaluate(b, up)
    s = ev.tables["scores"].set_index(["unit", "code"])
    assert s.loc[("u3", "a"), "score_scenario"] == pytest.approx(115.0)
    assert s.loc[("u3", "IDX"), "score_change"] == pytest.approx(1.875)
    assert ev.tables["overview"]["beyond_scale"].item() == 1
    # frozen, clipped: the value is set to the bound 30 first, no change
    ev = evaluate(b, up, options={"clip": True})
    assert (ev.tables["scores"]["score_change"] == 0).all()
    assert "clip: true" in " ".join(ev.notes)
    # recomputed: the upper bound moves to 33, so u2's a score falls to (20-10)/23*100
    ev = evaluate(b, up, options={"bounds": "recompute"})
    s = ev.tables["scores"].set_index(["unit", "code"])
    assert s.loc[("u2", "a"), "score_scenario"] == pytest.approx(1000 / 23)
    assert ev.tables["overview"]["spillover"].item() == 1  # u2 moved without a change


def test_contributions_mirror_the_progress_decomposition():
    """Setting Beijing's 2015 values to its 2006 values: with frozen pooled bounds each
    indicator's contribution (2015 baseline -> scenario) is minus its contribution to the
    2006 -> 2015 change in gipro.decompose."""
    base = gipro.run()
    raw = base.datasets["raw"]
    i06, ui = raw.periods.index(2006), raw.units.index("Beijing")
    changes = [Change(op="set", units=["Beijing"], indicators=[c], periods=2015,
                      value=float(raw.values[i06, ui, k])) for k, c in enumerate(raw.codes)]
    ev = evaluate(base, scen(*changes))
    got = ev.tables["contributions"].set_index("code")
    ref = contributions(base, 2006, 2015)
    ref = ref[ref["unit"] == "Beijing"].set_index("code")
    for c in raw.codes:
        assert got.loc[c, "contribution"] == pytest.approx(-ref.loc[c, "contribution"],
                                                           abs=1e-10)
    assert got.loc["GIP", "contribution"] == pytest.approx(-ref.loc["GIP", "contribution"],
                                                           abs=1e-10)


def test_contributions_add_up_with_coverage_when_a_value_is_filled_in():
    panel = toy_panel(a=(10.0, np.nan, 30.0))
    b = toy_build(panel=panel)
    ev = evaluate(b, scen(Change(op="set", units=["u2"], indicators=["a"], value=20)))
    c = ev.tables["contributions"]
    c = c[c["unit"] == "u2"].set_index("code")
    parts = c.loc[["a", "b", "c", "(coverage)"], "contribution"].sum()
    assert parts == pytest.approx(c.loc["IDX", "contribution"], abs=1e-12)
    assert c.loc["(coverage)", "contribution"] != 0
    log = ev.tables["changes"]
    assert log["note"].tolist() == ["was missing"]


def six_units(a) -> Panel:
    units = [f"u{i}" for i in range(1, 7)]
    df = pd.DataFrame({"unit": units, "period": 2020, "a": a,
                       "b": [6.0, 5, 4, 3, 2, 1], "c": [1.0, 2, 3, 4, 5, 6]})
    return Panel.from_wide(df, unit="unit", period="period")


def test_frozen_imputation_keeps_other_units_imputed_values():
    """u2's a is missing; mean imputation gives (10 + 30)/2 = 20. Raising u1's a to 40 would
    make it (40 + 30)/2 = 35 if imputation were re-run (and, with recomputed bounds 30-40, u3's
    a would score 0 instead of 100); frozen, u2 keeps 20 and nobody else moves."""
    steps = [{"step": "impute", "method": "mean"}, {"step": "normalise"}, {"step": "aggregate"}]
    b = toy_build(steps=steps, panel=toy_panel(a=(10.0, np.nan, 30.0)))
    s = scen(Change(op="pct", units=["u1"], indicators=["a"], value=300))
    ev = evaluate(b, s)
    imputed = ev.runs["s"].build.datasets["imputed"]
    assert imputed.values[0, 1, imputed.codes.index("a")] == 20.0
    assert ev.tables["overview"]["spillover"].item() == 0
    rec = evaluate(b, s, options={"bounds": "recompute"})
    imputed = rec.runs["s"].build.datasets["imputed"]
    assert imputed.values[0, 1, imputed.codes.index("a")] == 35.0
    sc = rec.tables["scores"].set_index(["unit", "code"])
    assert sc.loc[("u3", "a"), "score_scenario"] == 0.0
    assert rec.tables["overview"]["spillover"].item() == 1  # u3 moved without a change


def test_frozen_treatment_caps_and_transforms_with_the_baselines_parameters():
    """a = 1..5, 100: winsorised once, 100 -> 5 (the next lower value), so the cap is 5; a
    new value 50 for u3 is capped at 5 too. With winmax 0 the log fallback is used:
    log(x - 1 + 0.01 (100 - 1)); u1's a 1 -> 2 becomes log(2 - 1 + 0.99) = log(1.99)."""
    import math

    a = [1.0, 2.0, 3.0, 4.0, 5.0, 100.0]
    win = toy_build(steps=[{"step": "treat"}, {"step": "normalise"}, {"step": "aggregate"}],
                    panel=six_units(a))
    assert win.datasets["treated"].values[0, 5, 0] == 5.0
    ev = evaluate(win, scen(Change(op="set", units=["u3"], indicators=["a"], value=50.0)))
    treated = ev.runs["s"].build.datasets["treated"].values[0, :, 0]
    assert treated.tolist() == [1.0, 2.0, 5.0, 4.0, 5.0, 5.0]
    assert any("winsorisation bounds" in n for n in ev.runs["s"].build.log[0].notes)
    # u3's 50 and u6's 100 are both set to the cap 5: two values, winsorised, none transformed
    for scope in ("per_period", "pooled"):
        b = win if scope == "per_period" else toy_build(
            steps=[{"step": "treat", "scope": "pooled"}, {"step": "normalise"},
                   {"step": "aggregate"}], panel=six_units(a))
        run_ = evaluate(b, scen(Change(op="set", units=["u3"], indicators=["a"],
                                       value=50.0))).runs["s"].build
        assert run_.log[0].notes[1:] == ["2 values at the baseline's winsorisation bounds: a"]
        changes = run_.fitted["treat"]["changes"]
        assert changes[["unit", "old", "new", "reason"]].values.tolist() == [
            ["u3", 50.0, 5.0, "winsorised (frozen treatment)"],
            ["u6", 100.0, 5.0, "winsorised (frozen treatment)"]], scope
    log = toy_build(steps=[{"step": "treat", "winmax": 0}, {"step": "normalise"},
                           {"step": "aggregate"}], panel=six_units(a))
    ev = evaluate(log, scen(Change(op="set", units=["u1"], indicators=["a"], value=2.0)))
    treated = ev.runs["s"].build.datasets["treated"].values[0, :, 0]
    assert treated[0] == pytest.approx(math.log(1.99), rel=1e-14)
    base = log.datasets["treated"].values[0, :, 0]
    np.testing.assert_array_equal(treated[1:], base[1:])
    # every value goes through the log: six transformed, none at a cap
    run_ = ev.runs["s"].build
    assert run_.log[0].notes[1:] == ["6 values transformed as in the baseline"]
    assert set(run_.fitted["treat"]["changes"]["reason"]) == {"transformed (frozen treatment)"}
    # an inverse question through the log: solved numerically and verified
    r = required_change(log, "u1", score=20.0, indicators=["a"])
    assert r["solver"].item() == "brentq" and r["verified"].item()
    assert abs(r["achieved_score"].item() - 20.0) <= 1e-9
    # a value far below the baseline minimum: log(0.005 - 1 + 0.99) is undefined, refused
    # (one bad value among good ones is enough)
    with pytest.raises(MethodError, match=r"^scenario 's': step 'treat' \(treatment frozen at "
                                          r"the baseline's\): the log_ct transform of a is "
                                          r"undefined for 0.005 \(unit u1, period 2020\)"):
        evaluate(log, scen(Change(op="set", units=["u1"], indicators=["a"], value=0.005)))


# ---------------------------------------------------------------------- changes
def test_constant_rate_path_hand_example():
    # 81 -> 16 over four periods: ratio (16/81)^(1/4) = 2/3 a period: 54, 36, 24, 16; then held
    got = constant_rate_path(np.array([81.0]), np.array([16.0]), 2020, 2024,
                             [2021, 2022, 2023, 2024, 2025])
    np.testing.assert_allclose(got.ravel(), [54, 36, 24, 16, 16], rtol=1e-14)


def test_path_change_with_projection_and_per_unit_targets():
    b = toy_build(panel=toy_panel(a=(81.0, 20.0, 30.0)))
    ev = evaluate(b, scen(Change(op="path", indicators=["a"], target={"u1": 16.0},
                                 base=2020, by=2024)), options={"horizon": 2025})
    log = ev.tables["changes"]
    assert log["unit"].unique().tolist() == ["u1"]
    np.testing.assert_allclose(log.sort_values("period")["new"], [54, 36, 24, 16, 16],
                               rtol=1e-13)
    assert log["period"].tolist() == [2021, 2022, 2023, 2024, 2025]
    # projected periods of the reference are copies of 2020: same scores as 2020
    ref = ev.reference.final
    np.testing.assert_array_equal(ref.values[-1], ref.values[0])
    with pytest.raises(InputError, match="positive"):
        evaluate(b, scen(Change(op="path", indicators=["a"], target=0.0, by=2022)),
                 options={"horizon": 2022})


def test_per_period_bounds_frozen_and_projected_periods_use_the_last_periods():
    """Per-period min-max over 2019-2020 (a = 10, 20, 30 then 20, 30, 40): projected 2021-2022
    copy 2020 and use 2020's bounds (20, 40), so their scores equal 2020's; +50 % on u1's a in
    2022 (20 -> 30) scores (30 - 20)/(40 - 20) x 100 = 50."""
    panel = toy_panel(periods=(2019,))
    more = toy_panel(periods=(2020,), a=(20.0, 30.0, 40.0))
    both = Panel(pd.concat([panel.values, more.values]), units=panel.units)
    b = toy_build(steps=[{"step": "normalise", "bounds": "per_period"}, {"step": "aggregate"}],
                  panel=both)
    ev = evaluate(b, scen(Change(op="pct", units=["u1"], indicators=["a"], value=50)),
                  options={"horizon": 2022})
    ref = ev.reference.final
    np.testing.assert_array_equal(ref.values[2], ref.values[1])
    np.testing.assert_array_equal(ref.values[3], ref.values[1])
    s = ev.tables["scores"].set_index(["unit", "period", "code"])
    assert s.loc[("u1", 2022, "a"), "score_scenario"] == pytest.approx(50.0, abs=1e-12)
    assert s.loc[("u1", 2022, "a"), "score_base"] == 0.0
    assert "nearest period" in " ".join(ev.runs["s"].build.log[0].notes)


def toy_cube() -> Cube:
    v = np.array([[[1.0, np.nan], [3.0, 10.0], [5.0, 20.0]]])  # 1 period, 3 units, 2 codes
    return Cube(v, [2020], ["u1", "u2", "u3"], ["x", "y"], 2020, {"x": 1, "y": -1},
                pd.DataFrame({"region": ["E", "W", "W"]}, index=["u1", "u2", "u3"]),
                {"x": (0.0, None), "y": (0.0, None)})


def test_changes_best_match_if_worse_groups_and_missing():
    cube = toy_cube()
    s = scen(Change(op="best", indicators=["y"], groups={"region": "W"}, share=0.5),
             Change(op="pct", indicators=["y"], units=["u1"], value=50),
             Change(op="match", indicators=["x"], units=["u1", "u3"], unit="u2",
                    if_worse=True),
             Change(op="set", indicators=["x"], value=4.0, if_worse=True))
    out, log, notes = apply_changes(cube, s)
    # y lower is better: the best is 10 (u2); u3 closes half the gap: 20 -> 15; u2 stays
    assert out.values[0, :, 1].tolist()[1:] == [10.0, 15.0]
    # u1's y is missing: a per-cent change leaves it missing, and says so
    assert np.isnan(out.values[0, 0, 1])
    assert "missing: left missing" in log["note"].tolist()
    # match u2 (3) where worse: u1 1 -> 3; u3 (5) is better, unchanged
    # set 4 where worse: u1 3 -> 4, u2 3 -> 4, u3 5 unchanged
    assert out.values[0, :, 0].tolist() == [4.0, 4.0, 5.0]
    assert len(notes) == 4 and "1 value changed" in notes[0]


def test_a_change_outside_the_feasible_range_is_an_error_naming_the_cell():
    with pytest.raises(InputError, match=r"feasible range.*unit u1, period 2020"):
        apply_changes(toy_cube(), scen(Change(op="abs", indicators=["x"], value=-2)))
    out, _, _ = apply_changes(toy_cube(), scen(Change(op="pct", indicators=["x"], value=-100)))
    assert out.values[0, :, 0].tolist() == [0.0, 0.0, 0.0]  # zero is feasible


@pytest.mark.parametrize("change, message", [
    ({"op": "pct", "indicators": ["x"]}, "needs value"),
    ({"op": "pct", "indicators": ["x"], "value": 1, "unit": "u2"}, "does not take unit"),
    ({"op": "path", "indicators": ["x"], "change_pct": -5}, "needs by"),
    ({"op": "path", "indicators": ["x"], "change_pct": -5, "target": 1, "by": 2025},
     "exactly one"),
    ({"op": "set", "indicators": ["x"], "value": {"u1": 1}, "units": ["u1"]}, "per unit"),
    ({"op": "pct", "indicators": ["x"], "value": 1, "vlaue": 2}, "unknown key"),
])
def test_invalid_changes_are_reported(change, message):
    with pytest.raises(InputError, match=message):
        ScenarioFile.from_dict({"scenarios": [{"name": "s", "changes": [change]}]})


def test_unknown_selections_are_errors():
    cube = toy_cube()
    for ch, msg in [(Change(op="pct", indicators=["z"], value=1), "indicators not in"),
                    (Change(op="pct", indicators=["x"], units=["u9"], value=1), "units not in"),
                    (Change(op="pct", indicators=["x"], groups={"size": "big"}, value=1),
                     "no unit attribute"),
                    (Change(op="pct", indicators=["x"], periods=2030, value=1), "periods"),
                    (Change(op="pct", indicators=["x"], periods="projected", value=1),
                     "nothing is projected")]:
        with pytest.raises(InputError, match=msg):
            apply_changes(cube, scen(ch))


# ---------------------------------------------------------------------- inverse questions
def test_inverse_closed_form_hand_values():
    b = toy_build()
    r = required_change(b, "u1", score=10.0).set_index("indicators")
    # u1 scores 0 on every indicator and on IDX. Score 10 needs:
    #  via c: +10/0.5 = 20 points -> c = 5 + 0.2 x 20 = 9
    #  via a: +10/0.125 = 80 points -> a = 10 + 0.8 x 20 = 26
    #  via b: +10/0.375 = 26.67 points -> oriented -4 + 0.2667 x 3 = -3.2 -> b = 3.2
    assert r.loc["c", "value_needed"] == pytest.approx(9.0, rel=1e-13)
    assert r.loc["a", "value_needed"] == pytest.approx(26.0, rel=1e-13)
    assert r.loc["b", "value_needed"] == pytest.approx(3.2, rel=1e-13)
    assert (r["solver"] == "closed form").all() and r["verified"].all()
    assert (r["achieved_score"] - 10.0).abs().max() <= 1e-9
    assert r.index.tolist() == ["b", "c", "a"]  # smallest relative change first: -20, 80, 160 %


def test_inverse_together_hand_value():
    b = toy_build()
    # p on a and c: 0.125 x 100 x 10p/20 + 0.5 x 100 x 5p/20 = 18.75 p = 10 -> p = 0.5333
    r = required_change(b, "u1", score=10.0, together=["a", "c"])
    assert r["change_pct"].item() == pytest.approx(100 * 10 / 18.75, rel=1e-13)
    assert r["verified"].item() and abs(r["achieved_score"].item() - 10) <= 1e-9


def test_unreachable_goals_are_reported_not_numbers():
    b = toy_build()
    r = required_change(b, "u1", score=60.0).set_index("indicators")
    # via b: +160 points -> oriented -4 + 1.6 x 3 = 0.8 -> b = -0.8: negative, infeasible
    assert r.loc["b", "status"] == "unreachable"
    assert np.isnan(r.loc["b", "value_needed"]) and np.isnan(r.loc["b", "change"])
    assert "-0.8" in r.loc["b", "reason"] and "feasible range [0, inf]" in r.loc["b", "reason"]
    # via c: +120 points -> c = 5 + 1.2 x 20 = 29, beyond the best baseline value 25:
    # reachable unless scores are clipped at the scale's end
    assert r.loc["c", "value_needed"] == pytest.approx(29.0)
    rc = required_change(b, "u1", score=60.0, indicators=["c"], clip=True)
    assert rc["status"].item() == "unreachable" and "cap" in rc["reason"].item()
    assert np.isnan(rc["value_needed"].item())
    # a score already reached
    assert required_change(b, "u3", score=50.0)["status"].eq("already met").all()


def test_inverse_by_root_finding_for_geometric_aggregation():
    """Range [1, 100], IDX = geometric mean of D1 and D2 (equal weights). u1 has every score
    1, so IDX = 1. IDX = 4 needs D2 = 16, i.e. c scores 16: c = 5 + (16 - 1)/99 x 20."""
    b = toy_build(steps=[{"step": "normalise", "range": [1, 100]},
                         {"step": "aggregate", "by_level": {3: "geometric"}}])
    r = required_change(b, "u1", score=4.0, indicators=["c"])
    assert r["solver"].item() == "brentq"
    assert r["value_needed"].item() == pytest.approx(5 + 15 * 20 / 99, rel=1e-9)
    assert r["verified"].item() and r["achieved_score"].item() >= 4.0 - 1e-9
    assert r["achieved_score"].item() == pytest.approx(4.0, abs=1e-8)


def test_inverse_rank_goal_applied_as_a_scenario_reaches_it():
    base = gipro.run()
    r = required_change(base, "Shanxi", rank=20, period=2015)
    ok = r[r["status"] == "reachable"]
    assert len(ok) >= 1 and ok["verified"].all() and (ok["achieved_rank"] <= 20).all()
    # closed form, arithmetic: the goal score is reached to 1e-9
    assert (ok["achieved_score"] - ok["goal_score"]).abs().max() <= 1e-9
    bad = r[r["status"] == "unreachable"]
    assert bad["value_needed"].isna().all() and bad["reason"].str.len().gt(0).all()


def test_inverse_through_imputation_and_denomination_is_verified_on_the_raw_data():
    """u2's a is missing and mean-imputed (20); the answer for a sets u2's raw value. With a
    denominated indicator (a per pop, pop = 2 for u1) the answer is applied as a per-cent
    change of the raw value. u1 scores 0 everywhere; IDX 10 needs a's score +80: with
    a/pop = 5, 10, 15 (imputed: 10, 30 -> mean 20 for u2 in the first case)."""
    imp = toy_build(steps=[{"step": "impute", "method": "mean"}, {"step": "normalise"},
                           {"step": "aggregate"}], panel=toy_panel(a=(10.0, np.nan, 30.0)))
    r = required_change(imp, "u2", score=70.0, indicators=["a"])
    assert r["status"].item() == "reachable" and r["verified"].item()
    assert r["value_now"].item() == 20.0  # the imputed value
    pop = toy_panel().values.assign(pop=[2.0, 2.0, 2.0])
    den = toy_build(steps=[{"step": "denominate", "denominators": {"a": "pop"}},
                           {"step": "normalise"}, {"step": "aggregate"}],
                    panel=Panel(pop, units=toy_panel().units))
    r = required_change(den, "u1", score=10.0, indicators=["a"])
    # a/pop = 5, 10, 15: +80 points -> 5 + 0.8 x 10 = 13 (raw 26, +160 %)
    assert r["value_needed"].item() == pytest.approx(13.0, rel=1e-13)
    assert r["change_pct"].item() == pytest.approx(160.0, rel=1e-12)
    assert r["verified"].item() and abs(r["achieved_score"].item() - 10.0) <= 1e-9


def test_inverse_on_a_denominated_indicator_with_a_raw_value_of_zero_is_written_back_per_pop():
    """The answer is per pop (the denominated value the normalisation reads); written back to
    the raw data it is the per-pop value times the unit's pop (denomination y = x / d,
    OECD/JRC 2008 step 5), not the per-pop value itself. a = 0, 20, 60 and pop = 4, 2, 3:
    a/pop = 0, 10, 20, min-max onto [0, 100] -> 0, 50, 100. u1 scores 0 on a, b and c, so
    IDX = 0. IDX 10 via a (effective weight 0.125) needs +80 points: a/pop = 0 + 0.8 x 20 =
    16 per pop, i.e. raw a = 16 x 4 = 64 t. (Written back as 16 t, a/pop would be 4: score 20,
    IDX 2.5, and the right answer was reported as not verified.)"""
    panel = toy_panel(a=(0.0, 20.0, 60.0))
    den = toy_build(steps=[{"step": "denominate", "denominators": {"a": "pop"}},
                           {"step": "normalise"}, {"step": "aggregate"}],
                    panel=Panel(panel.values.assign(pop=[4.0, 2.0, 3.0]), units=panel.units))
    r = required_change(den, "u1", score=10.0, indicators=["a"]).iloc[0]
    assert r["value_now"] == 0.0 and r["value_needed"] == pytest.approx(16.0, rel=1e-13)
    assert r["status"] == "reachable" and r["verified"]
    assert r["achieved_score"] == pytest.approx(10.0, abs=1e-9)
    assert r["reason"].endswith("; raw value needed: a = 64 t")
    # u1's pop 1.5 instead of 4 (a/pop unchanged): raw a = 16 x 1.5 = 24 t, a value only
    # half again the per-pop one, still named as the raw value to change
    near = toy_build(steps=[{"step": "denominate", "denominators": {"a": "pop"}},
                            {"step": "normalise"}, {"step": "aggregate"}],
                     panel=Panel(panel.values.assign(pop=[1.5, 2.0, 3.0]), units=panel.units))
    r = required_change(near, "u1", score=10.0, indicators=["a"]).iloc[0]
    assert r["value_needed"] == pytest.approx(16.0, rel=1e-13) and r["verified"]
    assert r["reason"].endswith("; raw value needed: a = 24 t")
    # the same question on a raw value of 0 that is not denominated: a = 0, 20, 60 min-max
    # -> +80 points is a = 0 + 0.8 x 60 = 48, written back as it is
    plain = toy_build(steps=[{"step": "normalise"}, {"step": "aggregate"}], panel=panel)
    r = required_change(plain, "u1", score=10.0, indicators=["a"]).iloc[0]
    assert r["value_needed"] == pytest.approx(48.0, rel=1e-13) and r["verified"]
    assert "raw value needed" not in r["reason"]


def test_inverse_proportional_change_of_an_imputed_value_is_written_back_to_the_raw_data():
    """u2's a is missing and mean-imputed (20); a proportional change of a and c is solved on
    the imputed value, so the check writes 20 (1 + p) into u2's raw a (a per-cent change of
    a missing raw value would leave it missing and imputed at 20 again). Min-max: u2 scores
    a 50, b 66.67, c 50: IDX = 0.125 x 50 + 0.375 x 66.67 + 0.5 x 50 = 56.25. IDX 70 needs
    +13.75 = p (0.125 x 100 x 20/20 + 0.5 x 100 x 15/20) = 50 p -> p = 27.5 %:
    a = 25.5, c = 19.125."""
    imp = toy_build(steps=[{"step": "impute", "method": "mean"}, {"step": "normalise"},
                           {"step": "aggregate"}], panel=toy_panel(a=(10.0, np.nan, 30.0)))
    r = required_change(imp, "u2", score=70.0, together=["a", "c"]).iloc[0]
    assert r["score_now"] == pytest.approx(56.25, abs=1e-12)
    assert r["change_pct"] == pytest.approx(27.5, rel=1e-12)
    assert r["status"] == "reachable" and r["verified"]
    assert r["achieved_score"] == pytest.approx(70.0, abs=1e-9)
    assert r["reason"] == "new values: a 25.5, c 19.125"


@pytest.mark.parametrize("pop_u1", [0.0, np.nan])
def test_inverse_answer_that_cannot_be_written_back_to_the_raw_data_says_so(pop_u1):
    """u1's pop is zero or missing: its ratio a/pop is left missing (zero: missing) and then
    mean-imputed from u2 and u3 (10 and 20 -> 15), so the question is answered on 15 per pop
    (min-max over 10, 15, 20: score 50) but no raw value of a moves it. The row is not
    verified, and says why, instead of reporting a guessed raw value."""
    panel = toy_panel(a=(0.0, 20.0, 60.0))
    den = toy_build(steps=[{"step": "denominate", "denominators": {"a": "pop"},
                            "zero": "missing"},
                           {"step": "impute", "method": "mean"},
                           {"step": "normalise"}, {"step": "aggregate"}],
                    panel=Panel(panel.values.assign(pop=[pop_u1, 2.0, 3.0]), units=panel.units))
    # IDX of u1 = 0.125 x 50 = 6.25; IDX 10 needs +3.75 / 0.125 = +30 points on a:
    # a/pop = 15 + 0.3 x (20 - 10) = 18
    r = required_change(den, "u1", score=10.0, indicators=["a"]).iloc[0]
    assert r["score_now"] == pytest.approx(6.25, abs=1e-12)
    assert r["value_now"] == 15.0 and r["value_needed"] == pytest.approx(18.0, rel=1e-13)
    assert r["status"] == "not verified" and pd.notna(r["verified"]) and not r["verified"]
    assert np.isnan(r["achieved_score"])
    assert ("cannot write the answer back to the raw data: the raw a of u1 in 2020 is 0 but "
            "the value the question is answered on is 15") in r["reason"]


def test_inverse_geometric_xinjiang_matches_an_independent_rebuild():
    """Issue 13: on the geometric variant of the built-in recipe, Xinjiang to rank 15 in 2015.
    A candidate value on which the geometric mean cannot be computed is infeasible (it used to
    become a missing child, the index averaged over the other dimension, and two 'reachable'
    answers raised lower-is-better indicators). Expected values: an independent rebuild in
    this test -- the raw value changed in the data, the recipe re-run with the baseline's
    fits (no inverse machinery), bisection on the change -- says: cut the heavy-industry share
    by about 4.8 %; no change of the coal share within its feasible range [0, 1] reaches
    rank 15."""
    from gipro.methods.rank import rank

    b = gipro.run()
    g = b.with_step("normalise", range=[1, 100]).with_step("aggregate", method="geometric")
    g = g.run()
    frozen = {n: g.fits[n].frozen("the baseline") for n in ("normalise",)}
    src = g.source_panel
    pi, ui = g.final.periods.index(2015), g.final.units.index("Xinjiang")

    def rank_after(code, factor):
        vals = src.values.copy()
        vals.loc[("Xinjiang", 2015), code] *= factor
        v = Build(g.recipe, framework=g.framework, panel=Panel(vals, src.units, origin="t"),
                  frozen=frozen)
        try:
            f = v.run().final
        except MethodError:  # the geometric mean cannot be computed: not an answer
            return np.inf
        return rank(f.column("GIP")[pi])[ui]

    lo, hi = 0.5, 1.0  # heavy share: rank 15 at a cut of less than 50 %, not at no cut
    assert rank_after("heavy_share_manufacturing_co2", lo) <= 15 < rank_after(
        "heavy_share_manufacturing_co2", hi)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if rank_after("heavy_share_manufacturing_co2", mid) > 15 else (mid, hi)
    independent = 100 * (lo - 1)  # the least cut reaching rank 15, in per cent
    coal0 = src.values.loc[("Xinjiang", 2015), "coal_share_industry_energy_co2"]
    assert all(rank_after("coal_share_industry_energy_co2", f / coal0) > 15
               for f in np.linspace(0.0, 1.0, 41)[1:])

    r = required_change(g, "Xinjiang", rank=15, period=2015).set_index("indicators")
    heavy = r.loc["heavy_share_manufacturing_co2"]
    assert heavy["status"] == "reachable" and bool(heavy["verified"])
    assert heavy["change_pct"] == pytest.approx(independent, abs=1e-6)
    assert heavy["change_pct"] == pytest.approx(-4.83, abs=0.01)
    assert r.loc["coal_share_industry_energy_co2", "status"] == "unreachable"
    # no answer is reachable unless the rebuild confirms it
    reach = r[r["status"] == "reachable"]
    assert reach["verified"].all() and (reach["achieved_rank"] <= 15).all()


def test_inverse_needs_unit_by_unit_aggregation_and_value_based_normalisation():
    with pytest.raises(MethodError, match="compares units"):
        required_change(toy_build(steps=[{"step": "normalise"},
                                         {"step": "aggregate", "method": "topsis"}]),
                        "u1", score=50)
    with pytest.raises(MethodError, match="rank"):
        required_change(toy_build(steps=[{"step": "normalise", "method": "rank"},
                                         {"step": "aggregate"}]), "u1", score=2)
    with pytest.raises(InputError, match="exactly one goal"):
        required_change(toy_build(), "u1")


# ---------------------------------------------------------------------- other normalisations
def test_frozen_zscore_hand_value():
    """z-score (sample sd): a = 10, 20, 30 has mean 20, sd 10; +10 % on u2's a (22) scores
    (22 - 20)/10 = 0.2 with the baseline's moments (recomputed they would move)."""
    b = toy_build(steps=[{"step": "normalise", "method": "zscore"}, {"step": "aggregate"}])
    ev = evaluate(b, scen(Change(op="pct", units=["u2"], indicators=["a"], value=10)))
    s = ev.tables["scores"].set_index(["unit", "code"])
    assert s.loc[("u2", "a"), "score_scenario"] == pytest.approx(0.2, abs=1e-14)
    assert s.loc[("u2", "IDX"), "score_change"] == pytest.approx(0.125 * 0.2, abs=1e-14)


def test_rank_normalisation_is_recomputed_and_said_so():
    b = toy_build(steps=[{"step": "normalise", "method": "rank"}, {"step": "aggregate"}])
    ev = evaluate(b, scen(Change(op="set", units=["u1"], indicators=["c"], value=100)))
    assert any("recomputed" in n for n in ev.notes)
    s = ev.tables["scores"].set_index(["unit", "code"])
    assert s.loc[("u1", "c"), "score_scenario"] == 3.0  # now the best of three


# ---------------------------------------------------------------------- property
@settings(max_examples=15)
@given(a=st.lists(st.floats(1, 100), min_size=3, max_size=3, unique=True),
       c=st.lists(st.floats(1, 100), min_size=3, max_size=3, unique=True),
       pct=st.floats(-50, 50), who=st.integers(0, 2), goal=st.floats(0, 95))
def test_property_frozen_changes_are_local_and_inverse_reaches_goal(a, c, pct, who, goal):
    b = toy_build(panel=toy_panel(a=tuple(a), c=tuple(c)))
    unit = ["u1", "u2", "u3"][who]
    ev = evaluate(b, scen(Change(op="pct", units=[unit], indicators=["a", "c"], value=pct)))
    s = ev.tables["scores"]
    idx = s[s["code"] == "IDX"].set_index("unit")["score_change"]
    assert (idx.drop(unit) == 0).all()  # frozen bounds: other units do not move
    con = ev.tables["contributions"]
    con = con[con["unit"] == unit].set_index("code")["contribution"]
    assert con.reindex(["a", "b", "c"]).fillna(0.0).sum() == pytest.approx(idx[unit], abs=1e-9)
    r = required_change(b, unit, score=goal, indicators=["c"], verify=True)
    row = r.iloc[0]
    if row["status"] == "reachable":
        assert abs(row["achieved_score"] - goal) <= 1e-9 * max(1.0, goal)
    else:
        assert row["status"] in ("already met", "unreachable")
        if row["status"] == "unreachable":
            assert np.isnan(row["value_needed"])


# ---------------------------------------------------------------------- targets
def test_attainment_hand_example():
    """x = 100, 95, 90 in 2010-2012; target -20 % from 2010 by 2014 (80). Trend: the
    longest window available (2 periods): (90/100)^(1/2) a period, so 2014 = 90 x 0.9 = 81:
    not met, gap 1, attainment 100 x (81 - 100)/(80 - 100) = 95 %; annual rate still needed
    from 2012: (80/90)^(1/2) - 1. Flat: 2014 = 90, attainment 50 %."""
    b = toy_build(panel=toy_panel(periods=(2010, 2011, 2012)))
    # give u1 the series 100, 95, 90 through a scenario-free panel
    panel = b.source_panel.values.copy()
    panel.loc[("u1", 2010), "a"], panel.loc[("u1", 2011), "a"] = 100.0, 95.0
    panel.loc[("u1", 2012), "a"] = 90.0
    b = toy_build(panel=Panel(panel, units=b.source_panel.units))
    t = TargetSpec(indicator="a", units=["u1"], change_pct=-20, base=2010, by=2014)
    res = attainment(b, t, options=AttainmentOptions(trend_years=5))
    row = res.summary.iloc[0]
    assert row["target_value"] == pytest.approx(80.0)
    assert row["value_by"] == pytest.approx(81.0, rel=1e-13)
    assert not row["met"] and row["gap_by"] == pytest.approx(1.0, abs=1e-12)
    assert row["attainment_pct"] == pytest.approx(95.0, rel=1e-12)
    assert row["rate_needed_pct"] == pytest.approx(100 * ((80 / 90) ** 0.5 - 1), rel=1e-12)
    tab = res.table.set_index("period")
    assert tab.loc[2012, "source"] == "observed" and tab.loc[2014, "source"] == \
        "projected (trend)"
    # target path: 100 x 0.8^(k/4)
    assert tab.loc[2012, "target_path"] == pytest.approx(100 * 0.8 ** 0.5, rel=1e-13)
    flat = attainment(b, t, options=AttainmentOptions(projection="flat")).summary.iloc[0]
    assert flat["value_by"] == 90.0 and flat["attainment_pct"] == pytest.approx(50.0)


# ---------------------------------------------------------------------- parks
def test_park_meet_scenario_changes_compliance_and_keeps_flags():
    from gipro import parks

    data = parks.example()
    s = scen(Change(op="meet", framework="hj274", requirement="HJ-27",
                    indicators=["wastewater_per_iva"], periods="all"), name="ww")
    ev = evaluate_parks(data, s, parks={"frameworks": ["hj274"], "park26": False})
    req = ev.tables["requirement_changes"]
    hj = req[req["requirement"] == "HJ-27"]
    # every park-year that did not meet <= 7 t per 10k CNY is now exactly at 7 and met
    assert (hj["value_scenario"] == 7.0).all() and (hj["outcome_scenario"] == "met").all()
    assert (hj["value_base"] > 7.0).all()
    assert (hj["flag"] == "UNVERIFIED threshold").all()
    log = ev.tables["changes"]
    assert set(log.loc[log["old"] <= 7.0, "note"]) == {"already meets it: unchanged"}
    assert "SYNTHETIC" in ev.summary()
    # indicators left out: the one the requirement reads (trial 3: "Field required")
    short = Change(op="meet", framework="hj274", requirement="HJ-27", periods="all")
    assert short.indicators == ["wastewater_per_iva"]
    ev2 = evaluate_parks(data, scen(short, name="ww"),
                         parks={"frameworks": ["hj274"], "park26": False})
    pd.testing.assert_frame_equal(ev2.tables["requirement_changes"], req)
    with pytest.raises(ValueError, match="HJ-99: no such requirement"):
        Change(op="meet", framework="hj274", requirement="HJ-99")
    with pytest.raises(ValueError, match="op 'pct' needs indicators"):
        Change(op="pct", value=5)
    with pytest.raises(InputError, match="margin"):
        evaluate_parks(data, scen(Change(op="meet", framework="hj274", requirement="HJ-10",
                                         indicators=["energy_elasticity"])),
                       parks={"frameworks": ["hj274"], "park26": False})
    with pytest.raises(InputError, match="park frameworks only"):
        evaluate(toy_build(), scen(Change(op="meet", framework="hj274", requirement="HJ-27",
                                          indicators=["a"])))


# ---------------------------------------------------------------------- CLI
def test_cli_scenario_writes_tables(tmp_path):
    from typer.testing import CliRunner

    from gipro.cli import app

    spec = tmp_path / "s.yaml"
    spec.write_text(
        "evaluation: {horizon: 2017}\n"
        "scenarios:\n"
        "  - name: bj\n"
        "    changes:\n"
        "      - {op: pct, units: [Beijing], indicators: [co2_intensity_gdp], value: -15}\n"
        "targets:\n"
        "  - {indicator: co2_intensity_gdp, change_pct: -17, base: 2010, by: 2015}\n"
        "questions:\n"
        "  - {unit: Shanxi, period: 2015, rank: 20, indicators: [gdp_real_per_capita]}\n",
        encoding="utf-8")
    res = CliRunner().invoke(app, ["scenario", "china-provinces-gipro", str(spec), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    for f in ("overview", "index", "scores", "contributions", "changes", "beyond_scale",
              "attainment", "attainment_summary", "questions"):
        assert (tmp_path / "out" / f"{f}.csv").is_file(), f
    assert "Beijing" in res.output and "verified" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios:\n  - name: x\n    changes: [{op: grow, indicators: [a]}]\n",
                   encoding="utf-8")
    res = CliRunner().invoke(app, ["scenario", "china-provinces-gipro", str(bad)])
    assert res.exit_code == 1 and "scenarios.0.changes.0.op" in res.output


# ---------------------------------------------------------------------- new-user report 2
def test_a_score_goal_beyond_the_scale_is_unreachable_not_a_percentage():
    """#4: on min-max [0, 100] with frozen bounds the index of u1 is at most 100 (every
    indicator at the best baseline value: a 30, b 1, c 25). Score 150 is beyond it."""
    b = toy_build()
    r = required_change(b, "u1", score=150.0)
    assert (r["status"] == "unreachable").all() and r["beyond_scale"].all()
    assert r["value_needed"].isna().all()
    assert all("beyond the baseline scale" in x and "0 to 100" in x for x in r["reason"])
    # score 60 via c alone needs c = 29 (hand: 5 + 1.2 x 20), past the best baseline 25:
    # reachable on the linear extension, and flagged
    rc = required_change(b, "u1", score=60.0, indicators=["c"])
    assert rc["value_needed"].item() == pytest.approx(29.0)
    assert rc["beyond_scale"].item() and "past the best baseline value 25" in \
        rc["reason"].item()
    # a goal inside the scale with an answer inside the bounds is not flagged
    ra = required_change(b, "u1", score=10.0, indicators=["c"])  # c = 5 + 0.2 x 20 = 9
    assert ra["value_needed"].item() == pytest.approx(9.0) and not ra["beyond_scale"].item()


def test_cli_questions_say_beyond_the_scale(tmp_path):
    from gipro.scenario import ScenarioFile
    from gipro.scenario.runner import run_file

    spec = ScenarioFile.from_dict({"questions": [
        {"unit": "Shanxi", "period": 2015, "score": 150},
        {"unit": "山西", "period": 2015, "rank": 1, "indicators": ["gdp_real_per_capita"]}]})
    _, text, _ = run_file("china-provinces-gipro", spec, tmp_path)
    assert "unreachable: beyond the baseline scale: 150 is outside" in text
    assert "BEYOND THE BASELINE SCALE" in text  # rank 1 needs GDP past Beijing's best
    q = pd.read_csv(tmp_path / "questions.csv")
    assert set(q["unit"]) == {"Shanxi"}  # the Chinese name resolved to the code


def test_units_by_name_and_suggestions():
    """#10: units may be given by their name (name, name_zh); a wrong case or a typo gets a
    suggestion and the unit list with names."""
    base = gipro.run()
    ev = evaluate(base, scen(Change(op="pct", units=["北京", "Inner Mongolia"],
                                    indicators=["co2_intensity_gdp"], value=-10,
                                    periods=2015), name="zh"))
    log = ev.tables["changes"]
    assert set(log.loc[log["op"] == "pct", "unit"]) == {"Beijing", "InnerMongolia"}
    assert "units given by name: 北京 = Beijing" in ev.summary()
    with pytest.raises(InputError, match=r"beijing \(did you mean Beijing\?\)") as e:
        evaluate(base, scen(Change(op="pct", units=["beijing"], indicators=["co2_per_capita"],
                                   value=-10)))
    assert "Beijing (北京)" in e.value.details[0]
    with pytest.raises(InputError, match="unit not in the build: Tibet"):
        required_change(base, "Tibet", rank=5)


def test_meet_on_a_requirement_without_threshold_is_an_error():
    """#8: EIP EN-3 names an indicator but no threshold: nothing to meet."""
    from gipro import parks

    with pytest.raises(InputError, match="EN-3: the requirement has no threshold") as e:
        evaluate_parks(parks.example(), scen(Change(
            op="meet", framework="eip", requirement="EN-3",
            indicators=["enms_share_firms_pct"])), parks={"frameworks": ["eip"],
                                                          "park26": False})
    assert any("op: set" in d for d in e.value.details)


def test_park_run_writes_overview_and_scenarios_and_accepts_both_names(tmp_path):
    """#11 and #20: parks_example (as gipro datasets names it) and parks-example; the park
    run writes overview.csv and scenarios.yaml (read back to the same scenarios)."""
    from gipro.scenario import load_scenarios
    from gipro.scenario.runner import check_config, run_file

    spec = ScenarioFile.from_dict({"parks": {"frameworks": ["hj274"], "park26": False},
                                   "scenarios": [{"name": "e", "changes": [
                                       {"op": "pct", "units": ["PARK-C"],
                                        "indicators": ["energy_total"], "value": -20}]}]})
    files, text, _ = run_file("parks_example", spec, tmp_path / "a")
    run_file("parks-example", spec, tmp_path / "b")
    assert {"overview", "scenarios", "summary"} <= set(files)
    assert (tmp_path / "a" / "overview.csv").read_text() == \
        (tmp_path / "b" / "overview.csv").read_text()
    ov = pd.read_csv(files["overview"])
    # energy_total changed once; energy_per_iva, energy_productivity, energy_elasticity
    # recomputed (hand: the catalogue's relations)
    assert ov[["values_changed", "values_recomputed"]].values.tolist() == [[1, 3]]
    again = load_scenarios(files["scenarios"])
    assert again.scenarios == spec.scenarios and again.parks == spec.parks
    assert "recomputed from it: energy_per_iva" in text
    with pytest.raises(InputError, match="did you mean parks_example") as e:
        check_config("parks_exampel")
    assert "parks-example (or parks_example)" in e.value.details[1]


def test_a_unit_named_twice_is_an_error_not_a_double_count():
    """Trial 3: Jiangsu by its code and by its Chinese name was one changed value counted twice
    (values_changed 2) and a target listed it twice ("0 of 3 units" for two units)."""
    base = gipro.run()
    with pytest.raises(InputError, match="units named more than once: Jiangsu as Jiangsu, 江苏"):
        evaluate(base, scen(Change(op="pct", units=["Jiangsu", "江苏"],
                                   indicators=["co2_intensity_gdp"], value=-15, periods=2015)))
    with pytest.raises(InputError, match="named more than once: Shanxi as Shanxi, Shanxi"):
        evaluate(base, scen(Change(op="pct", units=["Shanxi", "Shanxi"],
                                   indicators=["co2_intensity_gdp"], value=-15, periods=2015)))


# ---------------------------------------------------------------------- inverse: refusals
def test_inverse_questions_refuse_what_they_cannot_answer():
    """Each refusal of required_change names what is wrong (toy build: IDX over D1 (a, b)
    and D2 (c), units u1-u3 in 2020)."""
    b = toy_build()
    cases = [
        (dict(score=10.0, indicators=["a"], together=["a", "c"]),
         r"give indicators \(each alone\) or together \(one proportional change\), not both"),
        (dict(score=10.0, indicators=["z"]), r"not indicators of the framework: \['z'\]"),
        (dict(score=10.0, code="D1", indicators=["c"]), r"indicators not under D1: \['c'\]"),
        (dict(score=10.0, period=1999), r"period 1999 is not in the build"),
        (dict(score=10.0, code="a"), r"goal code 'a' is not an aggregate of the framework"),
        (dict(rank=5), r"rank 5 is beyond the 3 ranked units"),
        (dict(score=1.0, rank=1), r"give exactly one goal: score or rank"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            required_change(b, "u1", **kwargs)
    imputed = toy_build(steps=[{"step": "normalise", "range": [0, 100]},
                               {"step": "impute", "method": "mean"},
                               {"step": "aggregate", "method": "arithmetic"}])
    with pytest.raises(MethodError, match=r"need the aggregate step to read the output of a "
                                          r"normalise step directly; 'aggregate' reads "
                                          r"'imputed'"):
        required_change(imputed, "u1", score=10.0)


def test_inverse_answers_that_are_not_numbers():
    """u3 already has rank 1; u1's c missing: not available; a proportional change of a and
    b that cancels (a = (10, 40, 50): slope 100/40 per unit, weight 1/8; b = (4, 1, 2): slope
    100/3, weight 3/8, direction -1; for u2 1/8 x 2.5 x 40 = 3/8 x 100/3 x 1 = 12.5)."""
    b = toy_build()
    top = required_change(b, "u3", rank=1, verify=False)
    assert (top["status"] == "already met").all() and (top["change"] == 0).all()
    together = required_change(b, "u3", score=50.0, together=["a", "c"], verify=False)
    assert together["status"].item() == "already met" and together["change_pct"].item() == 0
    gap = toy_build(panel=toy_panel(c=(np.nan, 15.0, 25.0)))
    r = required_change(gap, "u1", score=30.0, indicators=["c"], verify=False)
    assert r["status"].item() == "not available"
    assert r["reason"].item() == "c is missing for u1 in 2020"
    rt = required_change(gap, "u1", score=30.0, together=["a", "c"], verify=False)
    assert rt["reason"].item() == "missing for u1 in 2020: c"
    cancel = toy_build(panel=toy_panel(a=(10.0, 40.0, 50.0), b=(4.0, 1.0, 2.0)))
    rc = required_change(cancel, "u2", score=90.0, together=["a", "b"], verify=False)
    assert rc["status"].item() == "unreachable"
    assert rc["reason"].item() == ("a proportional change of these indicators does not move "
                                   "the score (their effects cancel)")


def test_inverse_change_from_a_current_value_of_one():
    """u1's a is 1 (a = 1, 20, 30: min-max span 29). Index 10 via a needs +10/0.125 = 80
    points on a: a = 1 + 0.8 x 29 = 24.2, a change of 23.2 = 2320 % of the current 1."""
    b = toy_build(panel=toy_panel(a=(1.0, 20.0, 30.0)))
    r = required_change(b, "u1", score=10.0).set_index("indicators")
    assert r.loc["a", "value_needed"] == pytest.approx(24.2, rel=1e-13)
    assert r.loc["a", "change_pct"] == pytest.approx(2320.0, rel=1e-12)


# ---------------------------------------------------------------------- inverse: every path
def with_u1(**values) -> Panel:
    """The toy panel with u1's values replaced (``a=26.0``): the data an answer asks for."""
    cols = {"a": (10.0, 20.0, 30.0), "b": (4.0, 2.0, 1.0), "c": (5.0, 15.0, 25.0)}
    cols.update({k: v for k, v in values.items() if isinstance(v, tuple)})
    for k, v in values.items():
        if not isinstance(v, tuple):
            cols[k] = (float(v), *cols[k][1:])
    return toy_panel(**cols)


FW_GOALPOSTS = Framework(
    [{"code": "a", "parent": "D1", "direction": 1, "weight": 1, "unit": "t",
      "goalposts": [0, 40]},
     {"code": "b", "parent": "D1", "direction": -1, "weight": 3, "unit": "t",
      "goalposts": [0, 5]},
     {"code": "c", "parent": "D2", "direction": 1, "unit": "t", "goalposts": [0, 50]}],
    [{"code": "IDX"}, {"code": "D1", "parent": "IDX"}, {"code": "D2", "parent": "IDX"}])


def goalposts_build(panel: Panel, truncate: bool = True) -> Build:
    recipe = {"framework": "toy", "data": {"dataset": "china_provinces"},
              "steps": [{"step": "normalise", "method": "goalposts", "range": [0, 100],
                         "truncate": truncate},
                        {"step": "aggregate", "method": "arithmetic"}]}
    return Build(recipe, framework=FW_GOALPOSTS, panel=panel).run()


@pytest.mark.parametrize("truncate", [True, False])
def test_inverse_closed_form_on_goalposts(truncate):
    """Goalposts a (0, 40), b (0, 5) lower-is-better (oriented (-5, 0)), c (0, 50), range
    [0, 100]. u1 (a 10, b 4, c 5) scores a 25, b (-4 + 5)/5 = 20, c 10: D1 = (25 + 3 x 20)/4
    = 21.25, IDX = (21.25 + 10)/2 = 15.625. Index 30 needs +14.375:
    via c: slope 100/50 = 2 per t, weight 0.5 -> +14.375 t -> c = 19.375;
    via b: slope 100/5 = 20, weight 0.375 -> oriented +1.91667 -> b = 4 - 23/12 = 25/12;
    via a: slope 100/40 = 2.5, weight 0.125 -> +46 t -> a = 56, past the goalpost 40: with
    truncation a's score stops at 100 (it would need 25 + 115 = 140), unreachable; without,
    reachable. Goalposts do not move with the data, so rebuilding with the answer (recomputing
    everything) must give exactly 30."""
    g = goalposts_build(toy_panel(), truncate)
    assert index_of(g, "u1") == pytest.approx(15.625, abs=1e-12)
    r = required_change(g, "u1", score=30.0).set_index("indicators")
    assert (r["solver"] == "closed form").all()
    expected = {"c": 19.375, "b": 25 / 12} | ({} if truncate else {"a": 56.0})
    for c, v in expected.items():
        assert r.loc[c, "status"] == "reachable"
        assert r.loc[c, "value_needed"] == pytest.approx(v, rel=1e-13)
        assert index_of(goalposts_build(with_u1(**{c: v}), truncate), "u1") == \
            pytest.approx(30.0, abs=1e-9)
    if truncate:
        assert r.loc["a", "status"] == "unreachable" and np.isnan(r.loc["a", "value_needed"])
        assert r.loc["a", "reason"] == ("would need a normalised a score of 140, beyond its cap "
                                        "100 at value 40 t")
        assert r.index.tolist() == ["b", "c", "a"]  # -47.9 %, +287.5 %, then unreachable
    else:
        assert r.loc["a", "indicator_score_needed"] == pytest.approx(140.0, rel=1e-13)
        assert r.index.tolist() == ["b", "c", "a"]  # -47.9 %, +287.5 %, +460 %


def test_inverse_on_fraction_of_max_closed_form_and_inverse_cost_rule():
    """frac_max onto [0, 100], b lower-is-better scored by the inverse cost rule 100 x 1/b.
    u1: a 100 x 10/30, b 100 x 1/4 = 25, c 100 x 5/25 = 20; D1 = (100/3 + 75)/4 = 325/12,
    IDX = (325/12 + 20)/2 = 565/24. Index 30 = 720/24 needs +155/24:
    via c: slope 100/25 = 4 per t, weight 0.5 -> +155/48 t -> c = 395/48;
    via a: slope 100/30, weight 0.125 -> +15.5 t -> a = 25.5;
    via b (not linear: root finding): b's score +155/24 / 0.375 = 155/9 -> 380/9 = 100/b ->
    b = 45/19. None of them moves a best value (a 30, b 1, c 25), so rebuilding with the
    answer (bounds recomputed) gives exactly 30."""
    steps = [{"step": "normalise", "method": "frac_max", "range": [0, 100], "cost": "inverse"},
             {"step": "aggregate", "method": "arithmetic"}]
    f = toy_build(steps=steps)
    assert index_of(f, "u1") == pytest.approx(565 / 24, rel=1e-14)
    r = required_change(f, "u1", score=30.0).set_index("indicators")
    for c, v, solver in (("c", 395 / 48, "closed form"), ("a", 25.5, "closed form"),
                         ("b", 45 / 19, "brentq")):
        assert r.loc[c, "solver"] == solver and r.loc[c, "status"] == "reachable"
        assert r.loc[c, "value_needed"] == pytest.approx(v, rel=1e-9 if solver == "brentq"
                                                         else 1e-13)
        assert index_of(toy_build(steps=steps, panel=with_u1(**{c: v})), "u1") == \
            pytest.approx(30.0, abs=1e-7)


def test_inverse_rows_in_status_order_whatever_the_order_asked():
    """u1's c missing: IDX = D1 (a, b), effective weights a 1/4, b 3/4; u1 worst on both: 0.
    Index 60: via b +80 points -> oriented -4 + 0.8 x 3 = -1.6 -> b = 1.6, reachable; via a
    +240 points -> a = 10 + 2.4 x 20 = 58, outside the feasible [0, 40] given; c not
    available. Asked c, a, b: listed reachable, unreachable, not available."""
    gap = toy_build(panel=toy_panel(c=(np.nan, 15.0, 25.0)))
    r = required_change(gap, "u1", score=60.0, indicators=["c", "a", "b"],
                        domains={"a": (0, 40)})
    assert r["indicators"].tolist() == ["b", "a", "c"]
    assert r["status"].tolist() == ["reachable", "unreachable", "not available"]
    assert r["value_needed"].iloc[0] == pytest.approx(1.6, rel=1e-13)
    assert r["reason"].iloc[1] == "would need a = 58 t, outside its feasible range [0, 40]"


def test_inverse_together_beyond_the_scale_when_one_indicator_is_past_its_best():
    """a = 2, 20, 30 (span 28). u1 (a 2, b 4, c 5) scores 0 everywhere. a and c x (1 + p):
    0.125 x 100 x 2p/28 + 0.5 x 100 x 5p/20 = (25/28 + 12.5) p = (375/28) p = 60 ->
    p = 4.48: a = 2 x 5.48 = 10.96 (inside [2, 30]), c = 5 x 5.48 = 27.4, past the best
    baseline 25. The answer is beyond the scale because of c alone."""
    b = toy_build(panel=toy_panel(a=(2.0, 20.0, 30.0)))
    r = required_change(b, "u1", score=60.0, together=["a", "c"])
    assert r["status"].item() == "reachable" and r["solver"].item() == "closed form"
    assert r["change_pct"].item() == pytest.approx(448.0, rel=1e-13)
    assert r["beyond_scale"].item()
    reason = r["reason"].item()
    assert reason.startswith("new values: a 10.96, c 27.4; beyond the baseline scale: c 27.4 "
                             "is past the best baseline value 25")
    assert reason.count("beyond the baseline scale") == 1


def test_inverse_chooses_the_nearer_of_two_roots():
    """MPI+ (positive penalty) of two equally weighted children y, x is
    M + S^2/M = (x^2 + y^2)/(x + y): not monotone in x, so a goal can be reached by raising
    or by lowering x. Range [1, 100]; c = 34, 1, 100 scores c itself; u1 has a and b at best,
    so D1 = 100 and IDX = (34^2 + 100^2)/134 = 83.2537. IDX = 90: x^2 - 90 x + 1000 = 0,
    x = 45 -+ sqrt(1025) = 12.98 (change -21.0) or 77.02 (+43.0): the nearer is 12.98.
    Rebuilding with either root (c's bounds 1, 100 unchanged) gives 90."""
    steps = [{"step": "normalise", "range": [1, 100]},
             {"step": "aggregate", "by_level": {3: {"method": "mpi", "penalty": "positive"}}}]
    panel = dict(a=(30.0, 20.0, 10.0), b=(1.0, 2.0, 4.0))
    b = toy_build(steps=steps, panel=toy_panel(**panel, c=(34.0, 1.0, 100.0)))
    assert index_of(b, "u1") == pytest.approx((34**2 + 100**2) / 134, rel=1e-14)
    r = required_change(b, "u1", score=90.0, indicators=["c"])
    assert r["solver"].item() == "brentq" and r["status"].item() == "reachable"
    assert r["value_needed"].item() == pytest.approx(45 - np.sqrt(1025), rel=1e-9)
    assert r["change"].item() == pytest.approx(11 - np.sqrt(1025), rel=1e-9)
    for root in (45 - np.sqrt(1025), 45 + np.sqrt(1025)):
        rebuilt = toy_build(steps=steps, panel=toy_panel(**panel, c=(root, 1.0, 100.0)))
        assert index_of(rebuilt, "u1") == pytest.approx(90.0, abs=1e-9)


def test_inverse_with_per_period_bounds_uses_the_asked_periods_bounds():
    """Per-period min-max: in 2020 a = 10, 20, 30 (bounds 10-30), in 2021 a = 30, 20, 60
    (bounds 20-60); b and c as in the toy in both years. u1 in 2021: a scores
    100 x 10/40 = 25, b and c 0: index 0.125 x 25 = 3.125. Index 10 via a: +55 points ->
    a = 30 + 0.55 x 40 = 52 (2020's bounds would give 30 + 0.55 x 20 = 41); index 60 via a:
    +455 points -> a = 30 + 4.55 x 40 = 212, past 2021's best value 60. Rebuilding with
    a = 52 (2021's bounds 20-60 unchanged) gives exactly 10."""
    def panel(a21: float) -> Panel:
        rows = [{"unit": u, "period": p, "a": a, "b": b, "c": c}
                for p, col_a in ((2020, (10.0, 20.0, 30.0)), (2021, (a21, 20.0, 60.0)))
                for u, a, b, c in zip(["u1", "u2", "u3"], col_a, (4.0, 2.0, 1.0),
                                      (5.0, 15.0, 25.0), strict=True)]
        return Panel.from_wide(pd.DataFrame(rows), unit="unit", period="period")

    steps = [{"step": "normalise", "range": [0, 100], "bounds": "per_period"},
             {"step": "aggregate", "method": "arithmetic"}]
    b = toy_build(steps=steps, panel=panel(30.0))
    assert index_of(b, "u1", 2021) == pytest.approx(3.125, abs=1e-12)
    r = required_change(b, "u1", score=10.0, period=2021, indicators=["a"])
    assert r["solver"].item() == "closed form" and r["status"].item() == "reachable"
    assert r["value_needed"].item() == pytest.approx(52.0, rel=1e-13)
    assert not r["beyond_scale"].item()
    assert index_of(toy_build(steps=steps, panel=panel(52.0)), "u1", 2021) == \
        pytest.approx(10.0, abs=1e-12)
    far = required_change(b, "u1", score=60.0, period=2021, indicators=["a"], verify=False)
    assert far["value_needed"].item() == pytest.approx(212.0, rel=1e-13)
    assert far["beyond_scale"].item()
    assert "a 212 is past the best baseline value 60 " in far["reason"].item()


def test_inverse_together_outside_an_upper_bound_of_the_domain():
    """a and c x (1 + p) for u1 to index 10 needs p = 10/18.75 = 53.33 % (as in
    test_inverse_together_hand_value). With a at most 12 the feasible p is from -100 %
    (a, c >= 0) to 12/10 - 1 = 20 %: unreachable, and the reason gives that range."""
    b = toy_build()
    r = required_change(b, "u1", score=10.0, together=["a", "c"], domains={"a": (0, 12)})
    assert r["status"].item() == "unreachable" and np.isnan(r["change_pct"].item())
    assert r["reason"].item() == ("would need a change of 53.3333 %, outside the feasible "
                                  "range [-100, 20] % of these indicators' values")


def test_inverse_lists_a_reachable_answer_before_one_the_rebuild_does_not_confirm():
    """Six units; a = 1..5, 100 is winsorised before imputation (100 -> 5, the cap 5), b's
    u2 is missing (mean-imputed), c = 1, 0, 40, 10, 20, 30. The normalisation's input is the
    imputed data, so the question is answered on it: min-max bounds a 1-5, b -6..-1
    (oriented), c 0-40. u1 (a 1, b 6, c 1) scores a 0, b 0, c 2.5: index 0.5 x 2.5 = 1.25.
    Index 20 needs +18.75: via c +37.5 points / 2.5 per t = +15 t -> c = 16 (+1500 %),
    reachable; via a +150 points / 25 per t = +6 t -> a = 7 (+600 %), but re-running the
    recipe caps a at the baseline's winsorisation bound 5 (score 100): index 12.5 + 1.25 =
    13.75, not verified. The reachable answer comes first although its change is larger."""
    df = pd.DataFrame({"unit": [f"u{i}" for i in range(1, 7)], "period": 2020,
                       "a": [1.0, 2, 3, 4, 5, 100], "b": [6.0, np.nan, 4, 3, 2, 1],
                       "c": [1.0, 0, 40, 10, 20, 30]})
    b = toy_build(steps=[{"step": "treat"}, {"step": "impute", "method": "mean"},
                         {"step": "normalise"}, {"step": "aggregate"}],
                  panel=Panel.from_wide(df, unit="unit", period="period"))
    assert index_of(b, "u1") == pytest.approx(1.25, abs=1e-12)
    r = required_change(b, "u1", score=20.0, indicators=["a", "c"])
    assert r["indicators"].tolist() == ["c", "a"]
    assert r["status"].tolist() == ["reachable", "not verified"]
    assert r["value_needed"].tolist() == pytest.approx([16.0, 7.0], rel=1e-13)
    assert r["change_pct"].tolist() == pytest.approx([1500.0, 600.0], rel=1e-12)
    assert r["verified"].tolist() == [True, False]
    assert r["achieved_score"].tolist() == pytest.approx([20.0, 13.75], abs=1e-9)
    # rank 5: the others score u2 (a 25, b 3.2 imputed -> 56, c 0) (25 + 3 x 56)/8 = 24.125,
    # u4 44.375, u5 67.5, u3 71.25, u6 (a 5 capped, b 1, c 30) 87.5; rank 5 needs 24.125:
    # via c +45.75 points -> c = 19.3; via a +183 points -> a = 8.32, capped at 5 when
    # re-run: 13.75, rank 6 (a finite rank, but not the one asked)
    r = required_change(b, "u1", rank=5, indicators=["a", "c"])
    assert r["status"].tolist() == ["reachable", "not verified"]
    assert r["value_needed"].tolist() == pytest.approx([19.3, 8.32], rel=1e-8)
    assert r["achieved_rank"].tolist() == [5, 6]


def test_inverse_root_finding_takes_the_first_root_of_the_doubling_grid():
    """An unbounded side is searched on the grid step x 1, 2, 4, ...: with
    f(t) = (t - 0.005)(t - 0.015)(t - 0.03) (f(0) < 0, step 0.01) the first grid point
    0.01 already has f >= 0, so the root sought is 0.005 -- not 0.03, the root a grid
    starting at 0.02 (where f < 0 again) would find."""
    from gipro.scenario.inverse import _solve

    def f(t):
        t = np.asarray(t, dtype=float)
        return (t - 0.005) * (t - 0.015) * (t - 0.03)

    t, solver = _solve(f, 0.0, np.inf, 0.01)
    assert solver == "brentq" and t == pytest.approx(0.005, abs=1e-12)
    # a root just past a doubling point (0.02): the interval (0.02, 0.04) is refined on a
    # grid of 32 and the root lies before its first point 0.020625: Brent's method between
    # 0.02 and 0.020625 gives 0.0201, not the grid point
    t, _ = _solve(lambda t: np.asarray(t, dtype=float) - 0.0201, 0.0, np.inf, 0.01)
    assert t == pytest.approx(0.0201, abs=1e-12)


def test_inverse_model_scores_each_candidate_of_a_batch_with_an_infeasible_one():
    """Range [1, 100], IDX = geometric mean of D1, D2 (as in
    test_inverse_by_root_finding_for_geometric_aggregation); u1 scores 1 everywhere. Three
    candidate values of c at once: 15 scores 1 + 99 x 10/20 = 50.5 (IDX sqrt(50.5)); -100
    scores 1 + 99 x (-105)/20 < 0, where the geometric mean cannot be computed: those rows
    are NaN, and the feasible candidate between them keeps its own scores."""
    from gipro.scenario.inverse import _Model

    b = toy_build(steps=[{"step": "normalise", "range": [1, 100]},
                         {"step": "aggregate", "by_level": {3: "geometric"}}])
    model = _Model(b, "u1", 2020, "IDX", False)
    j = model.codes.index("c")
    y, out = model.evaluate({j: np.array([-100.0, 15.0, -100.0])})
    assert y[1].tolist() == pytest.approx([1.0, 1.0, 50.5], rel=1e-14)
    assert out[1, model.col["IDX"]] == pytest.approx(np.sqrt(50.5), rel=1e-14)
    assert np.isnan(y[[0, 2]]).all() and np.isnan(out[[0, 2]]).all()


def test_inverse_together_with_clipping_stops_at_the_worst_baseline_value():
    """clip: scores stay within the baseline's bounds. u1 (a 10, b 4, c 5) is worst on every
    indicator. a and b x (1 + p): raising them raises a but worsens b, which stays at 0
    (clipped): 0.125 x 5 x 10 p = 10 -> p = +160 %. Lowering them: a stays at 0 (clipped),
    b improves: 0.375 x 100 x (4 - 4 (1 + p))/3 = -50 p = 10 -> p = -20 % (b = 3.2), the
    nearer. The linear formula that ignores the clipping of a would give
    10 / (6.25 - 50) = -22.86 %."""
    b = toy_build()
    r = required_change(b, "u1", score=10.0, together=["a", "b"], clip=True)
    assert r["status"].item() == "reachable" and r["solver"].item() == "brentq"
    assert r["change_pct"].item() == pytest.approx(-20.0, rel=1e-9)
    assert r["verified"].item() and r["achieved_score"].item() == pytest.approx(10.0, abs=1e-9)


def test_inverse_together_past_a_truncating_goalpost_is_found_by_root_finding():
    """Goalposts truncating (as in test_inverse_closed_form_on_goalposts): u1 scores a 25,
    b 20, c 10, IDX 15.625. a and c x (1 + p): a's score 25 (1 + p) stops at 100 from
    p = 3 (a = 40), c's 10 (1 + p) at 100 from p = 9. Index 45: the linear formula gives
    p = 29.375 / (0.125 x 25 + 0.5 x 10) = 361.5 %, past a's goalpost; with a at 100,
    IDX = ((100 + 60)/4 + 10 (1 + p))/2 = 45 -> p = 400 % (a 50, c 25)."""
    g = goalposts_build(toy_panel())
    r = required_change(g, "u1", score=45.0, together=["a", "c"])
    assert r["status"].item() == "reachable" and r["solver"].item() == "brentq"
    assert r["change_pct"].item() == pytest.approx(400.0, rel=1e-9)
    assert r["verified"].item()


def test_inverse_closed_form_one_unit_below_a_truncating_goalpost():
    """c = 49.5 for u1, goalposts (0, 50) truncating: c scores 99, a 25, b 20 (as in
    test_inverse_closed_form_on_goalposts): IDX = (21.25 + 99)/2 = 60.125. Index 60.25 needs
    +0.25 points on c at 2 per t: c = 49.625, still the closed form (the kernel's slope over
    one unit, 49.5 -> 50.5, crosses the goalpost, so it cannot be the cross-check)."""
    g = goalposts_build(with_u1(c=49.5))
    assert index_of(g, "u1") == pytest.approx(60.125, abs=1e-12)
    r = required_change(g, "u1", score=60.25, indicators=["c"])
    assert r["solver"].item() == "closed form" and r["status"].item() == "reachable"
    assert r["value_needed"].item() == pytest.approx(49.625, rel=1e-13)
