"""Imputation: cross-section, groups, panel interpolation, whole-table hook; observed values
never change.

Expected values: ../shared/reference/coinr_cases.md B6 (COINr test-Impute and
test-impute_panel), ../shared/cases/field_cases.md B17 and B18 (hand-computed), and hand
calculations stated in each test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gipro import Framework, InputError, MethodError, Panel, run
from gipro.methods import impute as imp

NAN = np.nan


# ------------------------------------------------------------------ kernels
def test_b6_panel_linear_and_constant():
    """B6: one unit, 2020-2022, i2 = (3, NA, 5), i3 = (NA, 5, 6), i4 = (7, 8, NA)."""
    x = np.array([[3.0, NAN, 7.0], [NAN, 5.0, 8.0], [5.0, 6.0, NAN]])[:, None, :]  # (P, U, K)
    lin = imp.panel(x, [2020, 2021, 2022], method="linear")
    assert lin[:, 0, :].T.tolist() == [[3, 4, 5], [5, 5, 6], [7, 8, 8]]
    const = imp.panel(x, [2020, 2021, 2022], method="constant")
    assert const[:, 0, :].T.tolist() == [[3, 3, 5], [5, 5, 6], [7, 8, 8]]


def test_b18_one_observed_year():
    """B18 (2019-2022): U1 = [NA, 7, NA, NA] -> [7, 7, 7, 7] (constant carry); U2 = [NA, 2,
    NA, 6] -> [2, 2, 4, 6]; U3 all missing stays missing. Plain 'linear' leaves U1 missing
    (needs two points)."""
    x = np.array([[NAN, 7, NAN, NAN], [NAN, 2, NAN, 6], [NAN] * 4]).T[:, :, None]  # (P, U, 1)
    y = imp.panel(x, [2019, 2020, 2021, 2022], method="linear_constant")
    assert y[:, 0, 0].tolist() == [7, 7, 7, 7]
    assert y[:, 1, 0].tolist() == [2, 2, 4, 6]
    assert np.isnan(y[:, 2, 0]).all()
    y = imp.panel(x, [2019, 2020, 2021, 2022], method="linear")
    assert np.isnan(y[:, 0, 0]).tolist() == [True, False, True, True]
    assert y[:, 1, 0].tolist() == [2, 2, 4, 6]


def test_panel_uneven_periods():
    """Hand: 2000 -> 0, 2005 -> 10: 2001 is 2.0 (a fifth of the way), not the midpoint."""
    x = np.array([0.0, NAN, 10.0])[:, None, None]
    assert imp.panel(x, [2000, 2001, 2005], method="linear")[:, 0, 0].tolist() == [0, 2, 10]


def test_median_coinr():
    """B6: i_median on 1..10 with the third value missing -> median of the other nine = 6."""
    x = np.arange(1.0, 11.0)[:, None]
    x[2] = NAN
    y = imp.median(x)
    assert y[2, 0] == 6.0
    assert np.delete(y[:, 0], 2).tolist() == np.delete(np.arange(1.0, 11.0), 2).tolist()


def test_b17_group_mean_with_missing_group():
    """B17: u1..u6 in groups A, A, B, B, (none), C with x = 1, NA, 3, NA, 5, NA
    -> [1, 1, 3, 3, 5, NA]."""
    x = np.array([1.0, NAN, 3.0, NAN, 5.0, NAN])[:, None]
    y = imp.group_stat(x, np.array([0, 0, 1, 1, -1, 2]))
    np.testing.assert_array_equal(y[:, 0], [1, 1, 3, 3, 5, NAN])
    y = imp.group_stat(x, np.array([0, 0, 1, 1, -1, 2]), stat="median")
    np.testing.assert_array_equal(y[:, 0], [1, 1, 3, 3, 5, NAN])


def test_mean_per_period_vs_pooled():
    """Hand, 2 periods x 3 units: period 1 = (1, 3, NA), period 2 = (10, 20, NA). Per period
    the gaps get 2 and 15; pooled over both periods both get (1 + 3 + 10 + 20) / 4 = 8.5."""
    x = np.array([[1.0, 3.0, NAN], [10.0, 20.0, NAN]])[:, :, None]
    assert imp.mean(x)[:, 2, 0].tolist() == [2.0, 15.0]
    assert imp.mean(x, axis=(-3, -2))[:, 2, 0].tolist() == [8.5, 8.5]


def test_table_hook_may_not_change_observed_values():
    def bad(t):
        return np.nan_to_num(t) + 1.0

    with pytest.raises(MethodError, match="changed an observed value of indicator a"):
        imp.table(np.array([[1.0, 2.0], [NAN, 3.0]]), bad, names=["a", "b"])


def test_table_hook_skips_empty_columns():
    """An all-missing indicator is not passed to the hook (scikit-learn would fill it with 0
    or drop it) and stays missing."""
    seen = []

    def hook(t):
        seen.append(t.shape)
        return np.where(np.isnan(t), 0.5, t)

    y = imp.table(np.array([[1.0, NAN], [NAN, NAN]]), hook)
    assert seen == [(2, 1)]
    np.testing.assert_array_equal(y, [[1.0, NAN], [0.5, NAN]])


def test_knn_imputer_hand_checked():
    """scikit-learn KNNImputer, 1 neighbour (hand: u3's nearest unit on b is u2 -> a = 2)."""
    pytest.importorskip("sklearn")
    from gipro.steps.impute import sklearn_imputer

    f = sklearn_imputer("knn", {"n_neighbors": 1}, seed=0)
    x = np.array([[1.0, 10.0], [2.0, 20.0], [NAN, 21.0], [9.0, 90.0]])
    y = imp.table(x, f)
    assert y[2, 0] == 2.0
    np.testing.assert_array_equal(np.delete(y, 2, axis=0), np.delete(x, 2, axis=0))


def test_iterative_imputer_linear_relation():
    """IterativeImputer on b = 2a exactly (hand: the missing a of b = 8 is 4)."""
    pytest.importorskip("sklearn")
    from gipro.steps.impute import sklearn_imputer

    f = sklearn_imputer("iterative", {}, seed=0)
    x = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [NAN, 8.0], [5.0, 10.0]])
    assert imp.table(x, f)[3, 0] == pytest.approx(4.0, abs=1e-6)


panels = arrays(float, st.tuples(st.integers(1, 5), st.integers(1, 6), st.integers(1, 3)),
                elements=st.one_of(st.floats(-1e6, 1e6), st.just(NAN)))


@settings(max_examples=120, deadline=None)
@given(panels, st.sampled_from(["mean", "median", "group", "linear", "constant",
                                "linear_constant", "table"]))
def test_property_observed_values_never_change(x, method):
    """Every imputer keeps every observed value bit for bit; filled values lie within the
    observed range (all these methods are averages, interpolations or copies)."""
    p, u, _ = x.shape
    if method in ("mean", "median"):
        y = getattr(imp, method)(x)
    elif method == "group":
        y = imp.group_stat(x, np.arange(u) % 2 - (np.arange(u) == 0))
    elif method == "table":
        y = imp.table(x, lambda t: np.where(np.isnan(t), np.nanmax(t, axis=0), t))
    else:
        y = imp.panel(x, np.arange(2000, 2000 + p), method=method)
    obs = ~np.isnan(x)
    np.testing.assert_array_equal(y[obs], x[obs])
    if obs.any():
        filled = np.isnan(x) & ~np.isnan(y)
        assert (y[filled] >= np.nanmin(x) - 1e-6).all() and (y[filled] <= np.nanmax(x) + 1e-6
                                                              ).all()


# ------------------------------------------------------------------ the step
def _build(steps, df, groups=()):
    codes = [c for c in df.columns if c not in ("unit", "period", *groups)]
    fw = Framework([{"code": c, "parent": "IDX", "direction": 1} for c in codes],
                   [{"code": "IDX"}])
    panel = Panel.from_wide(df, unit="unit", period="period", groups=list(groups))
    recipe = {"framework": "x", "data": {"dataset": "china_provinces"}, "steps": steps}
    return run(recipe, framework=fw, panel=panel)


def test_step_b17_reports_units_without_group():
    df = pd.DataFrame({"unit": ["u1", "u2", "u3", "u4", "u5", "u6"], "period": 2020,
                       "grp": ["A", "A", "B", "B", None, "C"],
                       "x": [1.0, NAN, 3.0, NAN, 5.0, NAN]})
    b = _build([{"step": "impute", "method": "group_mean", "group": "grp"}], df, ["grp"])
    np.testing.assert_array_equal(b.data("imputed")["x"], [1, 1, 3, 3, 5, NAN])
    missing = b.fitted["impute"]["missing"]
    assert missing[["unit", "reason"]].values.tolist() == [
        ["u6", "no observed value in the unit's group"]]
    notes = " ".join(b.log[0].notes)
    assert "units without a 'grp' group (not imputed): u5" in notes
    assert "filled 2 of 3 missing values" in notes
    assert b.fitted["impute"]["imputed"]["unit"].tolist() == ["u2", "u4"]


def test_step_unknown_group_column():
    df = pd.DataFrame({"unit": ["a", "b"], "period": 2020, "x": [1.0, NAN]})
    with pytest.raises(InputError, match="region"):
        _build([{"step": "impute", "method": "group_mean", "group": "region"}], df)


def test_step_panel_and_twice():
    """Two impute steps: linear over time first, then the period mean for what is left."""
    df = pd.DataFrame({"unit": ["a"] * 3 + ["b"] * 3, "period": [2000, 2001, 2002] * 2,
                       "x": [1.0, NAN, 3.0, NAN, NAN, NAN]})
    b = _build([{"step": "impute", "method": "linear"},
                {"step": "impute", "name": "impute_mean", "method": "mean"}], df)
    assert list(b.datasets) == ["raw", "imputed", "impute_mean"]
    assert b.data("imputed")["x"].tolist()[:3] == [1.0, 2.0, 3.0]
    assert b.data("impute_mean")["x"].tolist() == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    assert b.fitted["impute"]["missing"]["reason"].unique().tolist() == ["no observed period"]


def test_step_function_hook(tmp_path):
    df = pd.DataFrame({"unit": ["a", "b"], "period": 2020, "x": [1.0, NAN]})
    from gipro.recipe import Recipe
    from gipro.steps import ImputeStep

    step = ImputeStep(method="function", function=lambda t: np.where(np.isnan(t), -1.0, t))
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    recipe = Recipe(framework="x", data={"dataset": "china_provinces"},
                    steps=[step, {"step": "normalise", "range": [0, 1]}])
    b = run(recipe, framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))
    assert b.data("imputed")["x"].tolist() == [1.0, -1.0]
    assert "function" not in b.log[0].params  # not serialisable: left out of the log
    assert "table imputer" in b.log[0].notes[-1]
    b.write(tmp_path)  # the callable is left out of recipe.yaml and log.yaml, not a crash
    v = b.with_step("normalise", range=[0, 10]).run()  # the callable survives a variant
    assert v.reused_steps == 1 and v.data("normalised")["x"].tolist() == [10.0, 0.0]


@settings(max_examples=80, deadline=None)
@given(panels, st.sampled_from(["mean", "median", "group", "linear_constant"]), st.randoms())
def test_property_permuting_units_permutes_the_output(x, method, rnd):
    """Imputing a unit-permuted table gives the permuted imputed table."""
    p, u, _ = x.shape
    perm = np.array(rnd.sample(range(u), u))
    groups = np.arange(u) % 3 - 1

    def f(a, g):
        if method in ("mean", "median"):
            return getattr(imp, method)(a)
        if method == "group":
            return imp.group_stat(a, g)
        return imp.panel(a, np.arange(p), method=method)

    np.testing.assert_allclose(f(x[:, perm], groups[perm]), f(x, groups)[:, perm],
                               rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("axis", [-2, (-3, -2)])
def test_group_mean_equals_numpy_nanmean_per_group(axis):
    """The group mean (one sum/count pass for all groups) is, bit for bit, numpy's nanmean of
    each group's observed values; units without a group (-1) and groups without an observed
    value stay missing; observed values are kept."""
    rng = np.random.default_rng(7)
    for _ in range(60):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 30)), int(rng.integers(1, 8)))
        x = rng.lognormal(size=shape) * 10.0 ** rng.integers(-6, 7)
        x[rng.random(shape) < 0.3] = np.nan
        groups = rng.integers(-1, 4, shape[1])
        expected = x.copy()
        for g in np.unique(groups[groups >= 0]):
            sel = groups == g
            part = x[..., sel, :]
            with warnings.catch_warnings():  # "mean of empty slice": NaN, left missing
                warnings.simplefilter("ignore", RuntimeWarning)
                m = np.nanmean(part, axis=axis, keepdims=True)
            expected[..., sel, :] = np.where(np.isnan(part), m, part)
        got = imp.group_stat(x, groups, stat="mean", axis=axis)
        assert np.array_equal(got, expected, equal_nan=True)
        assert np.isnan(got[..., groups < 0, :][np.isnan(x[..., groups < 0, :])]).all()


# ------------------------------------------------------------------ kernel edges (docs/testing.md)
def test_keep_observed_tolerance_and_refusals():
    """An imputer may return an observed value with rounding noise up to 1e-9 relative
    (1e6 + 1e-4 is within 1e-9 x 1e6 = 1e-3): the observed value itself is kept. 1 + 1e-8 is
    beyond 1e-9 x max(1, |x|) and is refused, naming the indicator and the position."""
    y = imp.keep_observed(np.array([1e6, NAN]), np.array([1e6 + 1e-4, 5.0]))
    assert y.tolist() == [1e6, 5.0]
    with pytest.raises(MethodError, match=r"changed an observed value of indicator b "
                                          r"\(position \(0, 1\)\): 1\.0 -> 1\.00000001"):
        imp.keep_observed(np.array([[2.0, 1.0]]), np.array([[2.0, 1.0 + 1e-8]]),
                          names=["a", "b"])
    with pytest.raises(MethodError, match=r"imputer returned shape \(1,\), expected \(2,\)"):
        imp.keep_observed(np.array([1.0, NAN]), np.array([1.0]))
    # the allowance is 1e-9 x max(1, |x|): at 0 exactly 1e-9 is within it, 1.5e-9 is not
    assert imp.keep_observed(np.array([0.0]), np.array([1e-9])).tolist() == [0.0]
    with pytest.raises(MethodError, match=r"changed an observed value of indicator 0"):
        imp.keep_observed(np.array([0.0]), np.array([1.5e-9]))


def test_cross_section_statistics_with_a_leading_axis():
    """Two periods of four units; unit 3 missing in both. Period 1 (1, 2, NA, 10): mean 13/3,
    median 2; period 2 (4, 4, NA, 7): mean 5, median 4. Pooled median of the six values
    (1, 2, 10, 4, 4, 7): 4."""
    x = np.array([[1.0, 2.0, NAN, 10.0], [4.0, 4.0, NAN, 7.0]])[:, :, None]
    np.testing.assert_allclose(imp.mean(x)[:, 2, 0], [13 / 3, 5.0], rtol=1e-15)
    assert imp.median(x)[:, 2, 0].tolist() == [2.0, 4.0]
    assert imp.median(x, axis=(-3, -2))[:, 2, 0].tolist() == [4.0, 4.0]


def test_group_statistics_per_period_pooled_and_refusals():
    """Groups (A, A, B, B): period 1 A = (2, NA) -> 2, B = (NA, 8) -> 8; period 2 A = (4, NA),
    B = (NA, NA) -> stays missing. Pooled over periods A's mean is (2 + 4)/2 = 3, B's 8.
    Median by group, per period: A (2, 6, NA) -> 4 (units 1-3 in A)."""
    x = np.array([[2.0, NAN, NAN, 8.0], [4.0, NAN, NAN, NAN]])[:, :, None]
    g = np.array([0, 0, 1, 1])
    y = imp.group_stat(x, g)
    np.testing.assert_array_equal(y[..., 0], [[2, 2, 8, 8], [4, 4, NAN, NAN]])
    yp = imp.group_stat(x, g, axis=(-3, -2))
    np.testing.assert_array_equal(yp[..., 0], [[2, 3, 8, 8], [4, 3, 8, 8]])
    m = imp.group_stat(np.array([2.0, 6.0, NAN, 1.0])[:, None], np.array([0, 0, 0, 1]),
                       stat="median")
    assert m[:, 0].tolist() == [2.0, 6.0, 4.0, 1.0]
    with pytest.raises(MethodError, match=r"groups must have one code per unit \(4\), got "
                                          r"shape \(3,\)"):
        imp.group_stat(x, np.array([0, 0, 1]))
    with pytest.raises(MethodError, match=r"unknown statistic 'mode'; use 'mean' or 'median'"):
        imp.group_stat(x, g, stat="mode")


def test_panel_on_another_axis_and_refusals():
    """Periods on axis 1 of a (units, periods) table: (1, NA, 5) at 2010, 2011, 2013 ->
    2011 = 1 + 4 x 1/3. One period only: nothing to check, the value is kept."""
    y = imp.panel(np.array([[1.0, NAN, 5.0]]), [2010, 2011, 2013], method="linear", axis=1)
    np.testing.assert_allclose(y, [[1.0, 1 + 4 / 3, 5.0]], rtol=1e-15)
    assert imp.panel(np.array([[3.0]]), [2020]).tolist() == [[3.0]]
    x = np.array([[1.0], [NAN]])
    with pytest.raises(MethodError, match=r"unknown panel imputation 'spline'"):
        imp.panel(x, [1, 2], method="spline")
    with pytest.raises(MethodError, match=r"3 periods given for an axis of length 2"):
        imp.panel(x, [1, 2, 3])
    for periods in ([2, 1], [1, 1]):
        with pytest.raises(MethodError, match=r"periods must be strictly increasing"):
            imp.panel(x, periods)
    with pytest.raises(MethodError, match=r"periods must be strictly increasing"):
        imp.panel(np.array([[1.0], [NAN], [3.0]]), [2000, 2010, 2005])  # one step back


def test_table_hook_per_period_and_refusals():
    """Each period's table is passed on its own: the hook fills with the table's first
    value (1 in period 1, 7 in period 2)."""
    x = np.array([[[1.0], [NAN]], [[7.0], [NAN]]])
    y = imp.table(x, lambda t: np.where(np.isnan(t), t[0, 0], t))
    assert y[:, 1, 0].tolist() == [1.0, 7.0]
    with pytest.raises(MethodError, match=r"table imputation expects x of shape"):
        imp.table(np.array([1.0, NAN]), lambda t: t)
    with pytest.raises(MethodError, match=r"imputation function returned shape \(1, 1\), "
                                          r"expected \(2, 1\)"):
        imp.table(x, lambda t: t[:1])


def test_impute_step_per_period_and_pooled_say_where_the_mean_is_taken():
    """As test_mean_per_period_vs_pooled through the step: the gaps get 2 and 15 per period,
    8.5 pooled, and the log says over which values."""
    fw = Framework([{"code": "a", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    df = pd.DataFrame({"unit": ["u1", "u2", "u3"] * 2, "period": [1, 1, 1, 2, 2, 2],
                       "a": [1.0, 3.0, NAN, 10.0, 20.0, NAN]})
    panel = Panel.from_wide(df, unit="unit", period="period")
    recipe = {"framework": "x", "data": {"dataset": "china_provinces"}}
    for scope, filled, where in (("per_period", [2.0, 15.0], "over each period's units"),
                                 ("pooled", [8.5, 8.5], "over all units and periods 1-2")):
        b = run(recipe | {"steps": [{"step": "impute", "method": "mean", "scope": scope}]},
                framework=fw, panel=panel)
        assert b.data("imputed").loc["u3", "a"].tolist() == filled
        assert any(f"mean of the indicator {where}" in n for n in b.log[0].notes), scope


def test_table_imputer_pooled_sees_every_period_per_period_one_at_a_time():
    """A table hook that fills a gap with the column mean of the table it is given: per
    period it gets one period's units (gaps 2 and 15), pooled every unit-period row (gaps
    (1 + 3 + 10 + 20)/4 = 8.5)."""
    from gipro.recipe import Recipe
    from gipro.steps import ImputeStep

    def column_mean(t):
        return np.where(np.isnan(t), np.nanmean(t, axis=0), t)

    fw = Framework([{"code": "a", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    df = pd.DataFrame({"unit": ["u1", "u2", "u3"] * 2, "period": [1, 1, 1, 2, 2, 2],
                       "a": [1.0, 3.0, NAN, 10.0, 20.0, NAN]})
    panel = Panel.from_wide(df, unit="unit", period="period")
    for scope, filled in (("per_period", [2.0, 15.0]), ("pooled", [8.5, 8.5])):
        step = ImputeStep(method="function", function=column_mean, scope=scope)
        recipe = Recipe(framework="x", data={"dataset": "china_provinces"}, steps=[step])
        b = run(recipe, framework=fw, panel=panel)
        assert b.data("imputed").loc["u3", "a"].tolist() == filled, scope


def test_scikit_learn_imputer_with_a_parameter_it_does_not_take():
    pytest.importorskip("sklearn")
    df = pd.DataFrame({"unit": ["a", "b", "c"], "period": 2020, "x": [1.0, NAN, 3.0]})
    with pytest.raises(InputError, match=r"^step 'impute': invalid parameters for scikit-learn "
                                         r"KNNImputer: "
                                         r".*n_neighbours"):
        _build([{"step": "impute", "method": "knn", "params": {"n_neighbours": 1}}], df)


def test_frozen_imputation_keeps_the_first_units_value_and_says_what_is_left_missing():
    """A baseline's imputation handed to a build (``frozen=``): the first unit's gap gets the
    baseline's mean (3 + 5)/2 = 4 even after its neighbours change; y is missing for every
    unit in period 2 (nothing to take a per-period mean of), so 3 values stay missing, as in
    the baseline."""
    from gipro import Build

    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1},
                    {"code": "y", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    df = pd.DataFrame({"unit": ["u1", "u2", "u3"] * 2, "period": [1, 1, 1, 2, 2, 2],
                       "x": [NAN, 3.0, 5.0, 1.0, 2.0, 3.0],
                       "y": [1.0, 2.0, 3.0, NAN, NAN, NAN]})
    steps = [{"step": "impute", "method": "mean"}]
    base = _build(steps, df)
    assert base.data("imputed").loc[("u1", 1), "x"] == 4.0
    changed = df.assign(x=[NAN, 30.0, 50.0, 1.0, 2.0, 3.0])
    b = Build(base.recipe, framework=fw, panel=Panel.from_wide(changed, unit="unit",
                                                               period="period"),
              frozen={"impute": base.fits["impute"].frozen("the baseline")}).run()
    got = b.data("imputed")
    assert got.loc[("u1", 1), "x"] == 4.0  # not (30 + 50)/2
    assert got["y"].isna().sum() == 3
    assert b.log[0].notes == [
        "imputation frozen at the baseline's: 1 missing values given the values the baseline "
        "imputed (projected periods: the last period's); observed values unchanged",
        "3 values left missing (missing in the baseline too)"]
    # the fit handed over as it is (not marked frozen): explained the same way
    same = Build(base.recipe, framework=fw, panel=Panel.from_wide(changed, unit="unit",
                                                                  period="period"),
                 frozen={"impute": base.fits["impute"]}).run()
    assert same.log[0].notes == b.log[0].notes
    full = df.assign(y=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    b = Build(base.recipe, framework=fw, panel=Panel.from_wide(full, unit="unit",
                                                               period="period"),
              frozen={"impute": base.fits["impute"].frozen("the baseline")}).run()
    assert len(b.log[0].notes) == 1  # nothing left missing: no second note


def test_iterative_imputer_default_seed_is_zero():
    """The step's default ``seed`` is 0 (its docstring): with
    ``sample_posterior`` (random draws) the default equals ``seed: 0`` and not ``seed: 1``."""
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(5)
    a = rng.normal(size=12)
    df = pd.DataFrame({"unit": [f"u{i}" for i in range(12)], "period": 2020,
                       "a": np.where(np.arange(12) % 4 == 0, NAN, a),
                       "b": 2 * a + rng.normal(scale=0.5, size=12)})
    step = {"step": "impute", "method": "iterative", "params": {"sample_posterior": True}}
    default = _build([step], df).data("imputed")["a"].to_numpy()
    zero = _build([step | {"seed": 0}], df).data("imputed")["a"].to_numpy()
    one = _build([step | {"seed": 1}], df).data("imputed")["a"].to_numpy()
    np.testing.assert_array_equal(default, zero)
    assert not np.array_equal(default, one)
