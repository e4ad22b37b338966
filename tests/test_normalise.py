"""Normalisation methods: COINr reference values (coinr_cases.md B5), field cases B01, B04, B06,
B07, B13 (field_cases.md), and the normalise step (directions, bounds, policies, parameters).

Every expected value is a hand calculation (shown), a COINr test value or a field-case value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, InputError, MethodError, Panel, run
from gipro.methods import normalise as N

nan = np.nan
col = lambda *v: np.array(v, dtype=float)[:, None]  # noqa: E731 - one indicator, units down


# ---------------------------------------------------------------- COINr test-normalise (B5)
def test_zscore_onto_mean_and_sd_b5():
    # COINr: zscore with m_sd (5, 2) gives mean 5 and *sample* sd 2
    x = np.arange(1.0, 11.0)[:, None]
    y = N.zscore(x, loc=5, scale=2).ravel()
    assert np.mean(y) == pytest.approx(5, abs=1e-12)
    assert np.std(y, ddof=1) == pytest.approx(2, abs=1e-12)
    # population sd on request: 1..10 has population sd sqrt(8.25)
    yp = N.zscore(x, ddof=0).ravel()
    assert yp[0] == pytest.approx((1 - 5.5) / np.sqrt(8.25), rel=1e-14)


def test_dist2targ_b5_both_directions():
    # direction 1: x = (0, 5, 11), target 10: (x - 0)/(10 - 0) = (0, 0.5, 1.1); capped (0, .5, 1)
    x = col(0, 5, 11)
    assert N.distance_to_target(x, 10.0, cap=False).ravel().tolist() == [0.0, 0.5, 1.1]
    assert N.distance_to_target(x, 10.0).ravel().tolist() == [0.0, 0.5, 1.0]
    # direction -1: x = (-1, 1, 10), target 0: (max - x)/(max - t) = (1.1, 0.9, 0); oriented:
    x = N.orient(col(-1, 1, 10), np.array([-1.0]))
    np.testing.assert_allclose(N.distance_to_target(x, 0.0 * -1, cap=False).ravel(),
                               [1.1, 0.9, 0.0], atol=1e-15)
    np.testing.assert_allclose(N.distance_to_target(x, 0.0).ravel(), [1.0, 0.9, 0.0],
                               atol=1e-15)


def test_goalposts_b5_both_directions():
    # goalposts (0, 10), scale 1: 1 -> 0.1, 11 -> 1 (truncated), -1 -> 0 (truncated)
    x = col(1, 11, -1)
    assert N.goalposts(x, 0.0, 10.0).ravel().tolist() == [0.1, 1.0, 0.0]
    # direction -1: oriented goalposts (-10, -0): 1 -> 0.9, 11 -> 0, -1 -> 1
    y = N.goalposts(-x, -10.0, -0.0).ravel()
    np.testing.assert_allclose(y, [0.9, 0.0, 1.0], atol=1e-15)
    # without truncation: 11 -> 1.1 and -1 -> -0.1
    np.testing.assert_allclose(N.goalposts(x, 0.0, 10.0, truncate=False).ravel(),
                               [0.1, 1.1, -0.1], atol=1e-15)


def test_b5_formulas_on_a_small_vector():
    # x = (2, 4, 8): dist2max = 1 - (8 - x)/6 = (0, 1/3, 1); fracmax = x/8 = (.25, .5, 1);
    # prank = (rank - 1)/(n - 1) = (0, .5, 1); borda = rank - 1 = (0, 1, 2); rank = (1, 2, 3)
    x = col(2, 4, 8)
    np.testing.assert_allclose(N.distance_to_max(x).ravel(), [0, 1 / 3, 1], atol=1e-15)
    assert N.fraction_of_max(x).ravel().tolist() == [0.25, 0.5, 1.0]
    assert N.percentile_rank(x).ravel().tolist() == [0.0, 0.5, 1.0]
    assert N.borda(x).ravel().tolist() == [0.0, 1.0, 2.0]
    assert N.rank_score(x).ravel().tolist() == [1.0, 2.0, 3.0]
    # efficacy coefficient: 60 + 40 (x - 2)/6 = (60, 73.33, 100)
    np.testing.assert_allclose(N.efficacy(x).ravel(), [60, 60 + 40 / 3, 100], atol=1e-12)
    # normal CDF of z: mean 14/3, sample sd sqrt(28/3)
    z = (np.array([2, 4, 8]) - 14 / 3) / np.sqrt(28 / 3)
    from math import erf, sqrt
    expected = [0.5 * (1 + erf(v / sqrt(2))) for v in z]
    np.testing.assert_allclose(N.normal_cdf(x).ravel(), expected, rtol=1e-13)


def test_dist_ref_coinr_formula():
    # y = 1 - (x_ref - x)/(x_ref - min): x = (1, 3, 5, 9), ref = 5 -> (0, 0.5, 1, 2 -> capped 1)
    x = col(1, 3, 5, 9)
    assert N.distance_to_reference(x, 5.0, cap=False).ravel().tolist() == [0, 0.5, 1, 2]
    assert N.distance_to_reference(x, 5.0).ravel().tolist() == [0, 0.5, 1, 1]
    with pytest.raises(MethodError, match=r"reference unit's value .* worst"):
        N.distance_to_reference(x, 1.0, names=["I"])


def test_ampi_rescaling_hand_b9():
    # one indicator, units A, B, periods 1, 2: A = (10, 30), B = (20, 40); pooled min 10, max 40;
    # ref = mean of period 1 = 15; y = 100 + 60 (x - 15)/30: A (90, 130), B (110, 150)
    cube = np.array([[[10.0], [20.0]], [[30.0], [40.0]]])
    ref = np.array([[[15.0]]])
    y = N.ampi(cube, reference=ref, axis=(0, 1))
    np.testing.assert_allclose(y[..., 0], [[90, 110], [130, 150]], atol=1e-12)


# ---------------------------------------------------------------- field case B04: polarity
def test_b04_linear_reversal_is_mirror_and_1_over_x_refused():
    x = col(2, 4, 8)
    rev = N.minmax(N.orient(x, np.array([-1.0])), low=0, high=1).ravel()
    np.testing.assert_allclose(rev, [1, 2 / 3, 0], atol=1e-15)
    np.testing.assert_allclose(rev, 1 - N.minmax(x, low=0, high=1).ravel(), atol=1e-15)
    # 1/x is never the default: a ratio method on a cost indicator raises unless asked
    with pytest.raises(MethodError, match="lower-is-better"):
        N.fraction_of_max(-x, names=["cost"])
    # asked explicitly (cost inverse): best/x = 2/x = (1, 0.5, 0.25); zero trigger raises
    assert N.fraction_of_max(-x, cost="inverse").ravel().tolist() == [1.0, 0.5, 0.25]
    with pytest.raises(MethodError, match="1/x is undefined at 0"):
        N.fraction_of_max(-col(0, 4, 8), cost="inverse")
    with pytest.raises(MethodError, match="1/x is undefined at 0"):
        N.leading_ratio(-col(0, 4, 8), -2.0, cost="inverse")


# ---------------------------------------------------------------- field case B06
def test_b06_target_exceeded_capped_both_directions():
    pos = N.distance_to_target(col(20, 50, 80, 120), 100.0, cap=False).ravel()
    np.testing.assert_allclose(pos, [0, 0.375, 0.75, 1.25], atol=1e-15)
    np.testing.assert_allclose(N.distance_to_target(col(20, 50, 80, 120), 100.0).ravel(),
                               [0, 0.375, 0.75, 1.0], atol=1e-15)
    # negative direction: (30 - x)/(30 - 4) = (25, 18, 0, 28)/26
    neg = N.distance_to_target(-col(5, 12, 30, 2), -4.0, cap=False).ravel()
    np.testing.assert_allclose(neg, np.array([25, 18, 0, 28]) / 26, atol=1e-15)
    np.testing.assert_allclose(neg.round(4), [0.9615, 0.6923, 0, 1.0769])
    capped = N.distance_to_target(-col(5, 12, 30, 2), -4.0).ravel()
    np.testing.assert_allclose(capped, [25 / 26, 18 / 26, 0, 1.0], atol=1e-15)


def test_b06_target_in_build_is_reported():
    fw = Framework([{"code": "p", "parent": "I", "direction": 1, "target": 100},
                    {"code": "n", "parent": "I", "direction": -1, "target": 4}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([(u, 1) for u in "ABCD"], names=["unit", "period"])
    panel = Panel(pd.DataFrame({"p": [20.0, 50, 80, 120], "n": [5.0, 12, 30, 2]}, index=idx))
    b = run({"framework": "x", "data": {"dataset": "china_provinces"},
             "steps": [{"step": "normalise", "method": "target", "range": [0, 1]},
                       {"step": "aggregate"}]}, framework=fw, panel=panel)
    n = b.data("normalised")
    np.testing.assert_allclose(n["p"], [0, 0.375, 0.75, 1.0], atol=1e-15)
    np.testing.assert_allclose(n["n"], [25 / 26, 18 / 26, 0, 1.0], atol=1e-15)
    note = " ".join(b.log[0].notes)
    assert "2 values beyond the target, capped" in note and "p 1" in note and "n 1" in note
    unc = b.with_step("normalise", cap=False).run()
    assert unc.data("normalised").loc[("D", 1), "p"] == pytest.approx(1.25)
    assert "scored above the top of the scale" in " ".join(unc.log[0].notes)


# ---------------------------------------------------------------- field case B07
def test_b07_ratio_to_max_refuses_negatives_naming_indicator_and_unit():
    fw = Framework([{"code": "I1", "parent": "I", "direction": 1},
                    {"code": "I2", "parent": "I", "direction": 1}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([(u, 2020) for u in "ABC"], names=["unit", "period"])
    panel = Panel(pd.DataFrame({"I1": [-5.0, 5, 10], "I2": [2.0, 4, 8]}, index=idx))
    m = np.array([[-5.0, 2], [5, 4], [10, 8]])
    assert bool(m.all() > 0) is True and bool((m > 0).all()) is False  # the faulty guard
    with pytest.raises(MethodError) as e:
        run({"framework": "x", "data": {"dataset": "china_provinces"},
             "steps": [{"step": "normalise", "method": "frac_max"}, {"step": "aggregate"}]},
            framework=fw, panel=panel)
    assert "I1 is -5 for unit A in 2020" in str(e.value)


def test_b07_validator_agrees_with_elementwise_check():
    # x/max: zero is valid (0/max = 0), a negative is not -> the guard is (M >= 0).all();
    # best/x for lower-is-better: needs (M > 0).all(). Random matrices with zeros and negatives.
    rng = np.random.default_rng(7)
    for _ in range(200):
        m = rng.integers(-2, 4, size=(5, 3)).astype(float)
        m[:, 0] = np.abs(m[:, 0]) + 1  # keep one column fine
        cols_ok = (m >= 0).all() and (m.max(axis=0) > 0).all()
        try:
            N.fraction_of_max(m)
            raised = False
        except MethodError:
            raised = True
        assert raised == (not cols_ok)
        try:
            N.leading_ratio(-m, -np.ones(3), cost="inverse")
            raised = False
        except MethodError:
            raised = True
        assert raised == (not (m > 0).all())


# ---------------------------------------------------------------- field case B13: percentiles
def test_b13_dense_percentile_reaches_one():
    v = col(1, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5)
    assert N.rank_score(v, ties="dense").ravel().tolist() == [1, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5]
    y = N.percentile_rank(v, ties="dense", formula="r/n").ravel()
    np.testing.assert_allclose(y, [.2, .4, .6, .6, .6, .6, .8, .8, .8, 1, 1, 1], atol=1e-15)
    y2 = N.percentile_rank(col(1, -5, 3, 3, nan), ties="dense", formula="r/n").ravel()
    np.testing.assert_allclose(y2, [2 / 3, 1 / 3, 1, 1, nan], atol=1e-15)
    # COINr's (r - 1)/(n - 1) with dense ranks: (dense - 1)/(distinct - 1), top value 1
    y3 = N.percentile_rank(v, ties="dense").ravel()
    assert y3.max() == 1.0 and y3.min() == 0.0


# ---------------------------------------------------------------- field case B01, every method
def b01_build(method: str, constant: str | None = None, **params):
    """Field case B01: I1 = (10, 20, 30, 40), I2 = 5 for every unit; equal weights."""
    fw = Framework([{"code": "I1", "parent": "IDX", "direction": 1, "target": 50,
                     "goalposts": [0, 50]},
                    {"code": "I2", "parent": "IDX", "direction": 1, "target": 50,
                     "goalposts": [0, 50]}], [{"code": "IDX"}])
    idx = pd.MultiIndex.from_tuples([(u, 1) for u in "ABCD"], names=["unit", "period"])
    panel = Panel(pd.DataFrame({"I1": [10.0, 20, 30, 40], "I2": [5.0] * 4}, index=idx))
    step = {"step": "normalise", "method": method, **params}
    if constant:
        step["constant"] = constant
    return run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [step, {"step": "aggregate"}]}, framework=fw, panel=panel)


DATA_RELATIVE = sorted(N.DATA_RELATIVE)
EXTRA = {"dist_ref": {"ref_unit": "C", "cap": False}}


@pytest.mark.parametrize("method", DATA_RELATIVE)
def test_b01_constant_indicator_raises_by_default_for_every_method(method):
    with pytest.raises(MethodError) as e:
        b01_build(method, **EXTRA.get(method, {}))
    assert "indicator I2 (no unit) has the same value 5 for every unit" in str(e.value)


@pytest.mark.parametrize("method", DATA_RELATIVE)
def test_b01_drop_policy_every_method(method):
    b = b01_build(method, "drop", **EXTRA.get(method, {}))
    assert "I2" not in b.data("normalised").columns
    agg = b.data("aggregated")
    assert not agg["IDX"].isna().any()
    # the composite is I1's normalised score alone: same ranking D > C > B > A
    np.testing.assert_allclose(agg["IDX"], agg["I1"], atol=0)
    assert list(agg["IDX"].rank(ascending=False)) == [4, 3, 2, 1]
    assert "dropped (policy constant: drop): I2" in " ".join(b.log[0].notes)
    assert "left out" in " ".join(b.log[1].notes)


def test_b01_values_of_both_policies_minmax():
    # policy (a) drop: [0, 1/3, 2/3, 1]; policy (b) constant 0.5: [0.25, 0.4167, 0.5833, 0.75]
    drop = b01_build("minmax", "drop", range=[0, 1]).data("aggregated")["IDX"]
    np.testing.assert_allclose(drop, [0, 1 / 3, 2 / 3, 1], atol=1e-15)
    mid = b01_build("minmax", "midpoint", range=[0, 1])
    np.testing.assert_allclose(mid.data("aggregated")["IDX"], [0.25, 5 / 12, 7 / 12, 0.75],
                               atol=1e-15)
    assert "set to the middle of the scale (policy constant: midpoint): I2" in " ".join(
        mid.log[0].notes)


@pytest.mark.parametrize("method", DATA_RELATIVE)
def test_b01_midpoint_policy_every_method_no_nan(method):
    b = b01_build(method, "midpoint", **EXTRA.get(method, {}))
    n = b.data("normalised")
    assert n["I2"].nunique() == 1 and not n.isna().any().any()
    assert not b.data("aggregated")["IDX"].isna().any()
    r = b.results().query("code == 'IDX'").set_index("unit")["rank"]
    assert r["D"] < r["C"] < r["B"] < r["A"]


@pytest.mark.parametrize("method", ["goalposts", "leading"])
def test_b01_external_scales_accept_constant_indicators(method):
    # goalposts (0, 50): I2 = 5 -> 10 on [0, 100]; leading 50: 5/50 = 0.1 -> 10 on [0, 100]
    b = b01_build(method)
    np.testing.assert_allclose(b.data("normalised")["I2"], [10.0] * 4, atol=1e-12)


# ---------------------------------------------------------------- the step: directions, bounds
def small(direction=-1, **node):
    fw = Framework([{"code": "x", "parent": "I", "direction": direction, **node},
                    {"code": "y", "parent": "I", "direction": 1}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([("A", 1), ("A", 2), ("B", 1), ("B", 2)],
                                    names=["unit", "period"])
    values = pd.DataFrame({"x": [10.0, 30.0, 20.0, 40.0], "y": [1.0, 2.0, 3.0, 4.0]}, index=idx)
    return fw, Panel(values)


def norm(fw, panel, **step):
    return run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [{"step": "normalise", **step}, {"step": "aggregate"}]},
               framework=fw, panel=panel)


def test_goalposts_from_framework_with_direction_minus_one():
    # x lower-is-better, goalposts (0, 50): score = (50 - x)/50 on [0, 100]: A1 80, A2 40,
    # B1 60, B2 20
    fw, panel = small(goalposts=[0, 50])
    with pytest.raises(InputError, match=r"goalposts .* none in the framework for \['y'\]"):
        norm(fw, panel, method="goalposts")
    fw = Framework([{"code": "x", "parent": "I", "direction": -1, "goalposts": [0, 50]},
                    {"code": "y", "parent": "I", "direction": 1, "goalposts": [0, 8]}],
                   [{"code": "I"}])
    n = norm(fw, panel, method="goalposts").data("normalised")
    np.testing.assert_allclose(n["x"], [80, 40, 60, 20], atol=1e-12)
    np.testing.assert_allclose(n["y"], [12.5, 25, 37.5, 50], atol=1e-12)


def test_zscore_pooled_and_per_period():
    fw, panel = small(direction=1)
    b = norm(fw, panel, method="zscore")
    # pooled x = (10, 30, 20, 40) in (A1, A2, B1, B2): mean 25, sample sd sqrt(500/3)
    sd = np.sqrt(500 / 3)
    np.testing.assert_allclose(b.data("normalised")["x"], (np.array([10, 30, 20, 40]) - 25) / sd,
                               rtol=1e-14)
    p = b.with_step("normalise", bounds="per_period").run().data("normalised")
    # per period: period 1 (10, 20), period 2 (30, 40): z = -/+ 5/sqrt(50)
    s = 5 / np.sqrt(50)
    np.testing.assert_allclose(p["x"], [-s, -s, s, s], rtol=1e-14)


def test_rank_pooled_over_periods():
    fw, panel = small(direction=-1)
    n = norm(fw, panel, method="rank").data("normalised")
    # x oriented -(10, 30, 20, 40): ranks among the 4 unit-periods (1 = worst): 4, 2, 3, 1
    assert n["x"].tolist() == [4.0, 2.0, 3.0, 1.0]


def test_dist_ref_step_reference_unit_and_period():
    fw, panel = small(direction=1)
    b = norm(fw, panel, method="dist_ref", ref_unit="B", ref_period=1, range=[0, 1])
    # reference = B's x in period 1 = 20, pooled min 10: (x - 10)/(20 - 10) capped:
    # A1 0, A2 1 (2 capped), B1 1, B2 1 (3 capped); y: reference 3, B2 = 4 is beyond
    assert b.data("normalised")["x"].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert "3 values beyond the reference unit B, capped at the top of the scale: x 2, y 1" in (
        " ".join(b.log[0].notes))
    # a unit that was never in the data (not one an earlier step removed)
    with pytest.raises(InputError, match="reference unit 'Z' is not in the data\n"):
        norm(fw, panel, method="dist_ref", ref_unit="Z")


def test_rank_midpoint_per_period_and_goalposts_recorded():
    """Ranks within each period; y is 5 for every unit that has it (constant, policy
    midpoint): the average rank (n + 1)/2 of the period's n observed values, 2 in period 1
    (3 units), 1.5 in period 2 (C's y missing). Goalposts are recorded one per indicator."""
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1, "goalposts": [0, 40]},
                    {"code": "y", "parent": "IDX", "direction": 1, "goalposts": [0, 5]}],
                   [{"code": "IDX"}])
    idx = pd.MultiIndex.from_tuples([(u, p) for p in (1, 2) for u in "ABC"],
                                    names=["unit", "period"])
    panel = Panel(pd.DataFrame({"x": [10.0, 20, 30, 30, 20, 10],
                                "y": [5.0] * 5 + [np.nan]}, index=idx))
    b = norm(fw, panel, method="rank", bounds="per_period", constant="midpoint")
    n = b.data("normalised")
    assert n["x"].tolist() == [1.0, 3.0, 2.0, 2.0, 3.0, 1.0]
    assert n["y"].tolist()[:5] == [2.0, 1.5, 2.0, 1.5, 2.0] and np.isnan(n["y"].iloc[5])
    g = norm(fw, panel, method="goalposts").fitted["normalise"]
    assert np.asarray(g["goalposts_lower"]).tolist() == [0.0, 0.0]
    assert np.asarray(g["goalposts_upper"]).tolist() == [40.0, 5.0]


def test_leading_values_given_and_cost_inverse():
    fw, panel = small(direction=-1)
    with pytest.raises(MethodError, match="lower-is-better"):
        norm(fw, panel, method="leading", leading={"x": 20, "y": 2})
    b = norm(fw, panel, method="leading", leading={"x": 20, "y": 2}, cost="inverse",
             range=[0, 1])
    n = b.data("normalised")
    # x: 20/x capped = (1, 2/3, 1, 0.5); y: y/2 capped = (0.5, 1, 1, 1)
    np.testing.assert_allclose(n["x"], [1, 2 / 3, 1, 0.5], atol=1e-15)
    np.testing.assert_allclose(n["y"], [0.5, 1, 1, 1], atol=1e-15)


def test_efficacy_default_range_and_method_switch():
    fw, panel = small(direction=1)
    b = norm(fw, panel, method="minmax", range=[0, 100])
    e = b.with_step("normalise", method="efficacy").run()
    assert e.recipe.steps[0].range == (60.0, 100.0)  # range reset with the method
    np.testing.assert_allclose(e.data("normalised")["x"], [60, 60 + 40 * 2 / 3, 60 + 40 / 3, 100],
                               atol=1e-12)
    z = b.with_step("normalise", method="zscore").run()  # range does not apply: dropped
    assert "range" not in z.log[0].params and z.log[0].params["mean_sd"] == [0.0, 1.0]


def test_parameters_that_do_not_apply_are_rejected():
    fw, panel = small(direction=1)
    with pytest.raises(InputError, match="'ddof' does not apply to method 'minmax'"):
        norm(fw, panel, method="minmax", ddof=0)
    with pytest.raises(InputError, match="dist_ref needs ref_unit"):
        norm(fw, panel, method="dist_ref")
    with pytest.raises(InputError, match="methd"):
        norm(fw, panel, methd="zscore")


# ---------------------------------------------------------------- kernel edges (docs/testing.md)
def test_column_moments_with_missing_values_by_hand():
    """a = (3, NaN, 7, 5): n 3, mean 5, sample variance (4 + 4 + 0)/2 = 4 -> sd 2, population
    variance 8/3. b = (NaN, NaN, NaN, 4): one value -- mean 4, sample sd undefined (NaN),
    population sd 0. c: all missing -- NaN, NaN, n 0. The z-score of a: (x - 5)/2."""
    x = np.array([[3, nan, nan], [nan, nan, nan], [7, nan, nan], [5, 4, nan]])
    m, s, n = N.column_moments(x)
    assert n.tolist() == [[3, 1, 0]]
    np.testing.assert_array_equal(m, [[5, 4, nan]])
    np.testing.assert_array_equal(s, [[2, nan, nan]])
    _, s0, _ = N.column_moments(x, ddof=0)
    np.testing.assert_allclose(s0, [[np.sqrt(8 / 3), 0, nan]], rtol=1e-15)
    np.testing.assert_array_equal(N.zscore(x[:, :1]).ravel(), [-1, nan, 1, 0])


def test_values_below_1_above_100_and_negative():
    """x = (-50, 100, 250): min-max (x + 50)/300 onto [0, 100]: 0, 50, 100; z-score: mean
    100, sample sd 150: -1, 0, 1; AMPI: mean 100, range 300: 100 + 60 (x - 100)/300 =
    70, 100, 130; distance to target 400: (x + 50)/450 = 0, 1/3, 2/3."""
    x = col(-50, 100, 250)
    assert N.minmax(x).ravel().tolist() == [0, 50, 100]
    assert N.zscore(x).ravel().tolist() == [-1, 0, 1]
    assert N.ampi(x).ravel().tolist() == [70, 100, 130]
    np.testing.assert_allclose(N.distance_to_target(x, 400.0).ravel(), [0, 1 / 3, 2 / 3],
                               rtol=1e-15)


def test_shares_below_one_are_a_ratio_scale_for_fraction_of_max_and_leading():
    """Shares (0.1, 0.25, 0.5): best 0.5 is higher-is-better, not a cost: x/0.5 = 0.2, 0.5,
    1. Leading value 0.4: x/0.4 = 0.25, 0.625, 1.25 -> capped 1."""
    x = col(0.1, 0.25, 0.5)
    assert N.fraction_of_max(x).ravel().tolist() == [0.2, 0.5, 1.0]
    np.testing.assert_allclose(N.leading_ratio(x, 0.4).ravel(), [0.25, 0.625, 1.0], rtol=1e-15)
    np.testing.assert_allclose(N.leading_ratio(x, 0.4, cap=False).ravel(), [0.25, 0.625, 1.25],
                               rtol=1e-15)


def test_output_range_not_starting_at_zero():
    """Goalposts (0, 10) onto [20, 60]: 5 -> 20 + 0.5 x 40 = 40, 12 -> 60 (truncated),
    -3 -> 20. Percentile (r - 1)/(n - 1) onto [1, 100] for (9, 3, 6): 100, 1, 50.5."""
    assert N.goalposts(col(5, 12, -3), 0.0, 10.0, low=20, high=60).ravel().tolist() == [
        40, 60, 20]
    assert N.percentile_rank(col(9, 3, 6), low=1, high=100).ravel().tolist() == [100, 1, 50.5]


@pytest.mark.parametrize("low, high", [(1.0, 1.0), (2.0, 1.0)])
def test_every_ranged_kernel_refuses_an_empty_output_range(low, high):
    x = col(1, 2, 4)
    kernels = [lambda **k: N.normal_cdf(x, **k), lambda **k: N.goalposts(x, 0.0, 5.0, **k),
               lambda **k: N.distance_to_target(x, 5.0, **k),
               lambda **k: N.distance_to_reference(x, 2.0, **k),
               lambda **k: N.fraction_of_max(x, **k), lambda **k: N.leading_ratio(x, 3.0, **k),
               lambda **k: N.percentile_rank(x, **k)]
    for kernel in kernels:
        with pytest.raises(MethodError, match=r"output range must have low < high, got \["):
            kernel(low=low, high=high)
    with pytest.raises(MethodError, match=r"min-max range must have low < high"):
        N.efficacy(x, low=low, high=high)
    for scale in (0.0, -1.0):
        with pytest.raises(MethodError, match=r"z-score target standard deviation must be > 0"):
            N.zscore(x, scale=scale)


def test_bounds_and_moments_given_one_at_a_time():
    """x = (2, 4, 8). Lower bound 0 given, upper from the data (8): x/8 -> 25, 50, 100; upper
    10 given, lower from the data (2): (x - 2)/8 -> 0, 25, 75. z-score of (1, 3, 5) (mean 3,
    sample sd 2): mean 1 given -> (x - 1)/2 = 0, 1, 2; sd 4 given -> (x - 3)/4."""
    x = col(2, 4, 8)
    assert N.minmax(x, lower=0.0).ravel().tolist() == [25, 50, 100]
    assert N.minmax(x, upper=10.0).ravel().tolist() == [0, 25, 75]
    assert N.ampi(x, lower=0.0, reference=4.0).ravel().tolist() == [85, 100, 130]
    z = col(1, 3, 5)
    assert N.zscore(z, mean=1.0).ravel().tolist() == [0, 1, 2]
    assert N.zscore(z, sd=4.0).ravel().tolist() == [-0.5, 0, 0.5]


def test_degenerate_columns_are_named_among_good_ones():
    """One bad column next to a good one: the bad one is named, whatever the kernel."""
    x = np.array([[1.0, 4.0, nan], [5.0, 4.0, nan], [9.0, 4.0, nan]])
    with pytest.raises(MethodError, match=r"AMPI rescaling: indicator\(s\) \['c'\] have zero"):
        N.ampi(x, names=["a", "c", "m"])
    # an all-missing column is no error, it stays missing
    np.testing.assert_array_equal(N.ampi(x[:, [0, 2]]), [[70, nan], [100, nan], [130, nan]])
    with pytest.raises(MethodError, match=r"z-score: indicator\(s\) \['c'\] have zero"):
        N.zscore(x, names=["a", "c", "m"])
    with pytest.raises(MethodError, match=r"z-score: indicator\(s\) \['one'\] have zero \(or "
                                          r"undefined\) standard deviation"):
        N.zscore(np.array([[1.0, 2.0], [3.0, nan]]), names=["a", "one"])
    g = np.array([[1.0, 1.0], [2.0, 2.0]])
    for lo, up in ([0.0, 5.0], [10.0, 5.0]), ([0.0, nan], [10.0, 5.0]):
        with pytest.raises(MethodError, match=r"goalposts: indicator\(s\) \['b'\] have missing "
                                              r"goalposts or lower >= upper"):
            N.goalposts(g, np.array(lo), np.array(up), names=["a", "b"])
    with pytest.raises(MethodError, match=r"distance to target: for indicator\(s\) \['b'\] the "
                                          r"target is missing or not better"):
        N.distance_to_target(g, np.array([5.0, 1.0]), names=["a", "b"])
    with pytest.raises(MethodError, match=r"distance to reference: for indicator\(s\) \['b'\]"):
        N.distance_to_reference(g, np.array([2.0, 1.0]), names=["a", "b"])
    with pytest.raises(MethodError, match=r"fraction of max: indicator\(s\) \['z'\] have a best "
                                          r"\(maximum or leading\) value of 0"):
        N.fraction_of_max(np.array([[0.0, 1.0], [0.0, 2.0]]), names=["z", "p"])
    with pytest.raises(MethodError, match=r"leading value missing for indicator\(s\) \['a'\]"):
        N.leading_ratio(g, np.array([nan, 5.0]), names=["a", "b"])


def test_unknown_options_are_refused_by_name():
    x = col(1, 2, 4)
    with pytest.raises(MethodError, match=r"fraction of max: cost must be 'error' or 'inverse', "
                                          r"got 'invert'"):
        N.fraction_of_max(x, cost="invert")
    with pytest.raises(MethodError, match=r"ties must be min, max, average, dense or ordinal, "
                                          r"got 'first'"):
        N.rank_score(x, ties="first")
    with pytest.raises(MethodError, match=r"percentile formula must be .* got 'r/\(n\+1\)'"):
        N.percentile_rank(x, formula="r/(n+1)")
    with pytest.raises(MethodError, match=r"unknown normalisation method 'min-max'"):
        N.normalise(x, "min-max")
    with pytest.raises(MethodError, match=r"constant policy must be 'error' or 'midpoint', got "
                                          r"'drop'"):
        N.normalise(x, "minmax", constant="drop")
    with pytest.raises(MethodError, match=r"unknown normalisation method 'goalpost'"):
        N.midpoint("goalpost", {}, 3)


def test_rank_methods_on_one_unit_and_on_none():
    """One unit ranks 1 (Borda 0), never its value; no units give an empty result."""
    assert N.rank_score(col(7.5)).tolist() == [[1.0]]
    assert N.borda(col(7.5)).tolist() == [[0.0]]
    assert N.rank_score(np.empty((0, 2))).shape == (0, 2)


def test_dense_percentile_per_period_of_a_cube():
    """Two periods of three units (axis -2 per period). Period 1 (1, 1, 2): dense ranks
    (1, 1, 2), 2 distinct -> (r - 1)/(2 - 1) = 0, 0, 1; period 2 (5, 7, 9): 0, 0.5, 1."""
    cube = np.array([[[1.0], [1.0], [2.0]], [[5.0], [7.0], [9.0]]])
    y = N.percentile_rank(cube, ties="dense")
    assert y[..., 0].tolist() == [[0, 0, 1], [0, 0.5, 1]]


# The middle of each method's scale by hand (field case B01 policy b): I1 varies, I2 = 5.
B01_X = np.array([[10, 5], [20, 5], [30, 5], [40, 5]], dtype=float)
MIDPOINTS = [("minmax", {}, 50.0), ("minmax", {"low": 20}, 60.0), ("minmax", {"high": 50}, 25.0),
             ("efficacy", {}, 80.0), ("dist_max", {}, 0.5), ("frac_max", {}, 0.5),
             ("normal_cdf", {}, 0.5), ("percentile", {}, 0.5), ("target", {"target": 50.0}, 0.5),
             ("dist_ref", {"reference": 30.0}, 0.5), ("zscore", {}, 0.0),
             ("zscore", {"loc": 100.0, "scale": 10.0}, 100.0), ("ampi", {}, 100.0),
             ("rank", {}, 2.5), ("borda", {}, 1.5)]


@pytest.mark.parametrize("method, params, mid", MIDPOINTS)
def test_constant_indicator_midpoint_by_hand(method, params, mid):
    """(low + high)/2 of the method's default or given range, z-score loc, AMPI 100, average
    rank (n + 1)/2 = 2.5 and Borda (n - 1)/2 = 1.5 for n = 4 units."""
    y = N.normalise(B01_X, method, constant="midpoint", **params)
    assert y[:, 1].tolist() == [mid] * 4


def test_constant_indicator_midpoint_counts_observed_units_per_period():
    """Rank midpoint (n + 1)/2 per period: period 1 has 3 observed values of I2 -> 2,
    period 2 has 2 (one missing) -> 1.5; the missing value stays missing. Borda: 1, 0.5."""
    cube = np.array([[[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]],
                     [[1.0, 5.0], [2.0, nan], [3.0, 5.0]]])
    r = N.normalise(cube, "rank", constant="midpoint")
    np.testing.assert_array_equal(r[..., 1], [[2, 2, 2], [1.5, nan, 1.5]])
    b = N.normalise(cube, "borda", constant="midpoint")
    np.testing.assert_array_equal(b[..., 1], [[1, 1, 1], [0.5, nan, 0.5]])


def test_zscore_constant_relative_to_the_mean_zeros_and_large_values():
    """The z-score refuses sd <= 1e-12 x |mean| (gipro.tolerance): an all-zero column (sd 0,
    mean 0: 0 <= 0) and (1e6, 1e6, 1e6 + 2e-7), whose sd 2e-7/sqrt(3) = 1.15e-7 is below
    1e-12 x 1e6 = 1e-6 (rounding noise on a large value). (1, 1, 1 + 2e-7) varies: its sd
    1.15e-7 is above 1e-12 x 1.0000001."""
    with pytest.raises(MethodError, match=r"z-score: indicator\(s\) \['zero'\] have zero"):
        N.zscore(np.zeros((3, 1)), names=["zero"])
    with pytest.raises(MethodError, match=r"z-score: indicator\(s\) \['big'\] have zero"):
        N.zscore(np.array([[1e6], [1e6], [1e6 + 2e-7]]), names=["big"])
    y = N.zscore(np.array([[1.0], [1.0], [1.0 + 2e-7]])).ravel()
    np.testing.assert_allclose(y, [-1 / np.sqrt(3), -1 / np.sqrt(3), 2 / np.sqrt(3)],
                               rtol=1e-6)


def test_goalposts_values_outside_are_counted_in_the_notes():
    # x (+) = (10, 30, 20, 40) in (A1, A2, B1, B2), goalposts (0, 25): 30 and 40 are outside,
    # truncated to 25 -> 100; 10 -> 40, 20 -> 80. y = 1..4 inside (0, 8).
    fw = Framework([{"code": "x", "parent": "I", "direction": 1, "goalposts": [0, 25]},
                    {"code": "y", "parent": "I", "direction": 1, "goalposts": [0, 8]}],
                   [{"code": "I"}])
    _, panel = small(direction=1)
    b = norm(fw, panel, method="goalposts")
    np.testing.assert_allclose(b.data("normalised")["x"], [40, 100, 80, 100], atol=1e-12)
    assert "2 values outside their goalposts truncated to the goalposts" in b.log[0].notes
    fw = Framework([{"code": "x", "parent": "I", "direction": 1, "goalposts": [0, 50]},
                    {"code": "y", "parent": "I", "direction": 1, "goalposts": [0, 8]}],
                   [{"code": "I"}])
    inside = norm(fw, panel, method="goalposts")
    assert not any("outside their goalposts" in n for n in inside.log[0].notes)


def test_a_kernel_refusal_names_the_step_and_says_frozen_only_when_it_is():
    # reference unit A in period 1 holds x = 10 and y = 1, both pooled minima: empty scales
    fw, panel = small(direction=1)
    with pytest.raises(MethodError, match=r"^step 'normalise': distance to reference: for "
                                          r"indicator\(s\) \['x', 'y'\] the reference unit's "
                                          r"value is missing or is the worst value"):
        norm(fw, panel, method="dist_ref", ref_unit="A", ref_period=1)


@pytest.mark.parametrize("mark", [False, True])
def test_a_fit_from_another_build_is_explained_as_frozen(mark):
    """A baseline's fit handed to a build (``frozen=``), marked with ``.frozen(source)`` or
    not, is explained as learnt there: bounds not re-estimated, the baseline's dropped
    indicator left out. B01 with constant: drop: I1 = (10, 20, 30, 40) on min-max [0, 100]
    with the baseline's bounds 10 and 40: 0, 33.3, 66.7, 100."""
    from gipro import Build

    base = b01_build("minmax", "drop")
    fit = base.fits["normalise"]
    b = Build(base.recipe, framework=base.framework, panel=base.source_panel,
              frozen={"normalise": fit.frozen("the baseline") if mark else fit}).run()
    np.testing.assert_allclose(b.data("normalised")["I1"], [0, 100 / 3, 200 / 3, 100],
                               atol=1e-12)
    notes = b.log[0].notes
    source = "the baseline" if mark else "another build"
    assert notes[0].endswith(f", with the parameters learnt in {source} (frozen: lower, upper "
                             "not re-estimated from these data)")
    assert "indicators dropped in the baseline (constant) left out: I2" in notes
