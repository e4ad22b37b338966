"""Outlier treatment: COINr's rule, winsorisation, log and Box-Cox fallbacks, degenerate cases.

Expected values: ../shared/reference/coinr_cases.md B3 (COINr vignette and test-treat),
../shared/cases/field_cases.md B19 (hand-computed with numpy/scipy), hand calculations (said
so in each test), and scipy as the peer tool for Box-Cox.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from gipro import Framework, MethodError, Panel, run
from gipro.methods.treat import (
    STATUS,
    boxcox,
    log_ct,
    log_ct_orig,
    passes,
    skew_kurt,
    transform,
    treat,
)

nan = np.nan


def col(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[:, None]


def status(r, j=0) -> str:
    return STATUS[int(r.status.reshape(-1)[j])]


# ------------------------------------------------------------------ moments and the check
def test_b3_skew_kurtosis_and_one_point():
    """B3: x = (1..10, 30, 100): skew 3.063241, kurtosis 9.741391 -> fails; winmax 2: the
    100 becomes 30, then skew 1.712038, kurtosis 1.815781 -> passes."""
    x = col([*range(1, 11), 30, 100])
    s, k = skew_kurt(x)
    assert s[0] == pytest.approx(3.063241, abs=5e-7)
    assert k[0] == pytest.approx(9.741391, abs=5e-7)
    assert not passes(s, k)[0]
    r = treat(x, winmax=2)
    assert r.x[:, 0].tolist() == [*range(1, 11), 30, 30]
    assert int(r.n_winsorised[0]) == 1
    assert r.skew_after[0] == pytest.approx(1.712038, abs=5e-7)
    assert r.kurt_after[0] == pytest.approx(1.815781, abs=5e-7)
    assert status(r) == "winsorised, passes"


def test_moments_equal_scipy_bias_corrected():
    """Peer tool: scipy.stats.skew/kurtosis with bias=False are the same type-2 estimators."""
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=(40, 5))
    s, k = skew_kurt(x)
    np.testing.assert_allclose(s, stats.skew(x, axis=0, bias=False), rtol=1e-12)
    np.testing.assert_allclose(k, stats.kurtosis(x, axis=0, bias=False), rtol=1e-12)


def test_pass_rule_is_or():
    """Fails only when both thresholds are exceeded (COINr check_SkewKurt)."""
    assert passes(np.array([5.0]), np.array([3.0]))[0]  # high skew, low kurtosis
    assert passes(np.array([1.0]), np.array([50.0]))[0]  # low skew, high kurtosis
    assert not passes(np.array([-2.5]), np.array([3.6]))[0]  # negative skew counts by |skew|


def test_asem_raw_b3(shared_dir):
    """B3 on ASEM raw data (COINr6 Raw, winmax 5): Flights fails (2.103287, 4.508879), one
    point -> 1.900658, 3.3360647; Goods fails (2.649973, 8.266610), two points -> 1.140608,
    0.1572047; Services passes untouched (1.701085, 2.375656)."""
    raw = pd.read_csv(shared_dir / "data" / "coinr_asem" / "ASEM_COIN_Data_Raw.csv")
    x = raw[["Flights", "Goods", "Services"]].to_numpy(dtype=float)
    r = treat(x, winmax=5, names=["Flights", "Goods", "Services"])
    np.testing.assert_allclose(r.skew, [2.103287, 2.649973, 1.701085], atol=5e-7)
    np.testing.assert_allclose(r.kurt, [4.508879, 8.266610, 2.375656], atol=5e-7)
    assert r.n_winsorised.tolist() == [1, 2, 0]
    np.testing.assert_allclose(r.skew_after[:2], [1.900658, 1.140608], atol=5e-7)
    np.testing.assert_allclose(r.kurt_after[:2], [3.3360647, 0.1572047], atol=5e-7)
    np.testing.assert_array_equal(r.x[:, 2], x[:, 2])


# ------------------------------------------------------------------ COINr test-treat
def test_coinr_one_outlier_winmax_5():
    """COINr test-treat: c(1:10, 100), winmax 5 -> the 100 becomes 10, the rest unchanged."""
    x = col([*range(1, 11), 100])
    r = treat(x, winmax=5)
    assert r.x[-1, 0] == 10.0
    np.testing.assert_array_equal(r.x[:-1, 0], x[:-1, 0])
    assert r.changed[:, 0].tolist() == [0] * 10 + [1]


def test_coinr_two_outliers_winmax_1_then_log():
    """COINr test-treat: c(1:20, 100, 200), winmax 1: still fails without a fallback; with
    the log fallback the result is log(x) of the *original* vector."""
    x = col([*range(1, 21), 100, 200])
    r = treat(x, winmax=1, fallback="none")
    assert status(r) == "still fails after winsorisation (no fallback)"
    assert int(r.n_winsorised[0]) == 1 and r.x[-1, 0] == 100.0
    r = treat(x, winmax=1, fallback="log")
    np.testing.assert_array_equal(r.x, np.log(x))
    assert (r.changed == 2).all() and int(r.n_winsorised[0]) == 0
    assert r.fallback[0] == "log"


def test_log_ct_fallback_by_hand():
    """Hand calculation: log_CT = log(x - 1 + 0.01 * (200 - 1)) on c(1:20, 100, 200)."""
    x = col([*range(1, 21), 100, 200])
    r = treat(x, winmax=1)  # default fallback log_ct
    np.testing.assert_allclose(r.x[:, 0], np.log(x[:, 0] - 1 + 1.99), rtol=0, atol=1e-15)
    assert status(r).startswith("fallback transform")


def test_force_winsorises_exactly_winmax_points():
    """COINr test-treat: force_win with winmax 3 treats exactly 3 points. Hand: rounds by the
    current skew: 200 -> 100 (skew > 0), both 100 -> 20 (skew > 0), then (1..20, 20, 20) has
    negative skew, so 1 -> 2."""
    x = col([*range(1, 21), 100, 200])
    r = treat(x, winmax=3, force=True)
    assert int((r.changed != 0).sum()) == 3 and int(r.n_winsorised[0]) == 3
    assert status(r) == "winsorised (forced)"
    assert r.x[:, 0].tolist() == [2, *range(2, 21), 20, 20]


def test_force_on_a_passing_indicator():
    """Forced winsorisation ignores the check. Hand: 1..10 has skew 0 (>= 0: clip the top),
    10 -> 9; then (1..9, 9) has negative skew, 1 -> 2."""
    r = treat(col(range(1, 11)), winmax=2, force=True)
    assert r.x[:, 0].tolist() == [2, 2, 3, 4, 5, 6, 7, 8, 9, 9]


def test_low_outliers_winsorised_from_below():
    """Negative skew: the minimum is set to the next higher value (hand: -100 -> 1)."""
    r = treat(col([-100, *range(1, 11)]), winmax=5)
    assert r.x[0, 0] == 1.0 and r.changed[0, 0] == -1


def test_ties_at_the_extreme_move_together_and_count_each():
    """Hand: two units tied at 100 are both set to 10 in one round and count as 2 points;
    with winmax 1 that round is not made (at most winmax points change)."""
    x = col([*range(1, 21), 100, 100])
    r = treat(x, winmax=5)
    assert r.x[-2:, 0].tolist() == [20.0, 20.0] and int(r.n_winsorised[0]) == 2
    r = treat(x, winmax=1, fallback="none")
    np.testing.assert_array_equal(r.x, x)
    assert int(r.n_winsorised[0]) == 0


def test_winmax_zero_goes_straight_to_the_fallback():
    x = col([*range(1, 11), 100])
    r = treat(x, winmax=0)
    np.testing.assert_allclose(r.x, log_ct(x))


# ------------------------------------------------------------------ field case B19
def test_b19_nan_is_kept_and_ignored():
    """B19 input 1: [1..9, 100, NaN]: skew 3.1189, kurtosis 9.7992 on the 10 observed values;
    one clip (100 -> 9) gives skew -0.1515, kurtosis -1.3570 -> passes; NaN stays NaN."""
    x = col([*range(1, 10), 100, np.nan])
    r = treat(x, winmax=5)
    assert r.skew[0] == pytest.approx(3.1189, abs=5e-5)
    assert r.kurt[0] == pytest.approx(9.7992, abs=5e-5)
    assert r.x[:10, 0].tolist() == [*range(1, 10), 9]
    assert math.isnan(r.x[10, 0])
    assert r.changed[:, 0].tolist() == [0] * 9 + [1, 0]
    assert r.skew_after[0] == pytest.approx(-0.1515, abs=5e-5)
    assert r.kurt_after[0] == pytest.approx(-1.3570, abs=5e-5)


def test_b19_vector_becoming_constant_stops_cleanly():
    """B19 input 2: [0]*9 + [5]: skew 3.1623, kurtosis 10.0 -> fails; one clip would make it
    all zeros. Default: refuse (untouched, flagged); 'allow': [0]*10, flagged; 'error'
    raises naming the indicator. Never a crash or an endless loop."""
    x = col([0] * 9 + [5])
    r = treat(x, winmax=5, names=["zeros"])
    assert r.skew[0] == pytest.approx(3.1623, abs=5e-5) and r.kurt[0] == pytest.approx(10.0)
    np.testing.assert_array_equal(r.x, x)
    assert status(r).startswith("winsorisation stopped")
    r = treat(x, winmax=5, on_constant="allow")
    assert r.x[:, 0].tolist() == [0.0] * 10
    assert status(r) == "became constant after winsorisation"
    with pytest.raises(MethodError, match="zeros"):
        treat(x, winmax=5, on_constant="error", names=["zeros"])


@pytest.mark.parametrize("values", [[3.0] * 6, [1.0, 2.0, np.nan, np.nan, np.nan],
                                    [np.nan] * 5])
def test_unassessable_columns_untouched(values):
    """Constant, < 4 observed or empty columns: skew/kurtosis undefined -> left as they are."""
    x = col(values)
    r = treat(x, winmax=5)
    np.testing.assert_array_equal(r.x, x)
    assert status(r).startswith("cannot assess")


# ------------------------------------------------------------------ transforms
def test_boxcox_fixed_lambda_by_hand():
    """Hand: lambda 0.5 on x - min + 1 = (1, 2, 5): (sqrt(v) - 1) / 0.5."""
    y, lam = boxcox(col([3.0, 4.0, 7.0]), 0.5)
    np.testing.assert_allclose(y[:, 0], [(math.sqrt(v) - 1) / 0.5 for v in (1, 2, 5)])
    assert lam.tolist() == [0.5]


def test_boxcox_estimated_lambda_equals_scipy():
    """Peer tool: scipy.stats.boxcox (MLE lambda) on the shifted values."""
    x = col([1.0, 2.0, 2.5, 3.0, 50.0, 4.0, 200.0, np.nan])
    y, lam = boxcox(x)
    v = x[:7, 0] - 1.0 + 1.0
    ref, ref_lam = stats.boxcox(v)
    assert lam[0] == pytest.approx(ref_lam, rel=1e-10)
    np.testing.assert_allclose(y[:7, 0], ref, rtol=1e-10)
    assert math.isnan(y[7, 0])


def test_log_refuses_non_positive_values():
    with pytest.raises(MethodError, match="CO2"):
        transform(col([0.0, 1.0, 2.0]), "log", names=["CO2"])


# ------------------------------------------------------------------ vectorisation and properties
def test_vectorised_equals_column_by_column_and_periods():
    """A (periods, units, indicators) call equals treating each column of each period alone."""
    rng = np.random.default_rng(7)
    x = rng.lognormal(sigma=1.5, size=(3, 25, 6))
    x[0, 3, 2] = np.nan
    wm = np.array([0, 1, 2, 3, 5, 8])
    r = treat(x, winmax=wm)
    for p in range(3):
        for j in range(6):
            one = treat(x[p, :, [j]].T, winmax=int(wm[j]))
            np.testing.assert_array_equal(r.x[p, :, j], one.x[:, 0])
            assert r.status[p, j] == one.status[0]


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(finite, st.just(np.nan)), min_size=1, max_size=30),
       st.integers(0, 6), st.booleans())
def test_property_treatment_invariants(values, winmax, force):
    """Missing stays missing; at most winmax points winsorised; untouched points unchanged;
    winsorised values stay within the original range; permuting units permutes the output."""
    x = col(values)
    r = treat(x, winmax=winmax, force=force, fallback="none")
    assert np.array_equal(np.isnan(r.x), np.isnan(x))
    assert int((r.changed != 0).sum()) == int(r.n_winsorised[0]) <= winmax
    same = r.changed == 0
    np.testing.assert_array_equal(r.x[same], x[same])
    obs = ~np.isnan(x)
    if obs.any():
        assert np.nanmin(x) <= np.nanmin(r.x) and np.nanmax(r.x) <= np.nanmax(x)
    perm = np.random.default_rng(len(values)).permutation(len(values))
    rp = treat(x[perm], winmax=winmax, force=force, fallback="none")
    np.testing.assert_array_equal(rp.x, r.x[perm])


# ------------------------------------------------------------------ the step
def _tiny_build(steps, values):
    codes = list(values)
    fw = Framework([{"code": c, "parent": "IDX", "direction": 1} for c in codes],
                   [{"code": "IDX"}])
    n = len(next(iter(values.values())))
    df = pd.DataFrame({"unit": [f"u{i:02d}" for i in range(n)], "period": 2020, **values})
    panel = Panel.from_wide(df, unit="unit", period="period")
    recipe = {"framework": "x", "data": {"dataset": "china_provinces"}, "steps": steps}
    return run(recipe, framework=fw, panel=panel)


def test_step_overrides_are_applied():
    """Per-indicator overrides (B19: COINr#53 lost them): a: winmax 1 -> log_ct fallback;
    b: method none -> untouched; c: forced, winmax 2 -> exactly 2 points; d: forced log_ct."""
    base = [*range(1, 21), 100, 200]
    b = _tiny_build([{"step": "treat", "winmax": 5, "indicators": {
        "a": {"winmax": 1}, "b": {"method": "none"}, "c": {"force": True, "winmax": 2},
        "d": {"method": "log_ct"}}}, {"step": "normalise"}, {"step": "aggregate"}],
        {c: list(map(float, base)) for c in "abcde"})
    t = b.data("treated")
    x = np.array(base, dtype=float)
    np.testing.assert_allclose(t["a"], np.log(x - 1 + 1.99))
    np.testing.assert_array_equal(t["b"], x)
    assert (t["c"] != x).sum() == 2
    np.testing.assert_allclose(t["d"], np.log(x - 1 + 1.99))
    np.testing.assert_array_equal(t["e"], np.r_[x[:20], 20, 20])  # default winmax 5
    summ = b.fitted["treat"]["summary"].set_index("indicator")
    assert summ.loc["b", "status"] == "not treated (method: none)"
    assert summ.loc["d", "status"] == "forced transform log_ct"
    changes = b.fitted["treat"]["changes"]
    assert set(changes.columns) == {"unit", "period", "indicator", "old", "new", "reason"}
    assert len(changes[changes["indicator"] == "e"]) == 2


def test_step_unknown_override_code():
    from gipro import InputError
    with pytest.raises(InputError, match="nope"):
        _tiny_build([{"step": "treat", "indicators": {"nope": {"winmax": 1}}}],
                    {"a": [1.0, 2.0, 3.0, 4.0, 9.0]})


def test_step_pooled_scope_treats_all_periods_together():
    """Hand: units u0..u4, 2000-2002 values 10..14, 2003 values 10, 11, 12, 13, 200. Per
    period, 2003 fails (skew 2.23, kurtosis 4.99) and 200 becomes that year's next value 13;
    pooled over the 20 unit-periods it becomes the next value of all years, 14."""
    fw = Framework([{"code": "a", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    vals = [10.0, 11, 12, 13, 14] * 3 + [10.0, 11, 12, 13, 200]
    df = pd.DataFrame({"unit": [f"u{i}" for i in range(5)] * 4,
                       "period": np.repeat([2000, 2001, 2002, 2003], 5), "a": vals})
    panel = Panel.from_wide(df, unit="unit", period="period")
    recipe = {"framework": "x", "data": {"dataset": "china_provinces"},
              "steps": [{"step": "treat", "scope": "pooled"}]}
    b = run(recipe, framework=fw, panel=panel)
    assert b.data("treated").loc[("u4", 2003), "a"] == 14.0
    assert len(b.fitted["treat"]["changes"]) == 1
    b2 = run({**recipe, "steps": [{"step": "treat"}]}, framework=fw, panel=panel)
    assert b2.data("treated").loc[("u4", 2003), "a"] == 13.0
    summ = b2.fitted["treat"]["summary"]
    assert summ["period"].tolist() == [2000, 2001, 2002, 2003]
    # the notes say per period and name the period of each winsorised point; pooled, not
    assert b2.log[0].notes[0].endswith("then log_ct of the original values (per period)")
    assert b2.log[0].notes[1] == "winsorised 1 points: a 1 (2003)"
    assert b.log[0].notes[0].endswith("of the original values (pooled over periods)")
    assert b.log[0].notes[1] == "winsorised 1 points: a 1"
    # straight to the fallback (winmax 0) in 2003 only: a is named as transformed
    log = run(recipe | {"steps": [{"step": "treat", "winmax": 0}]}, framework=fw, panel=panel)
    assert "1 indicators transformed: a" in log.log[0].notes
    # one period: neither
    one = run(recipe | {"steps": [{"step": "treat"}]}, framework=fw,
              panel=Panel.from_wide(df[df["period"] == 2003], unit="unit", period="period"))
    assert one.log[0].notes[0].endswith("then log_ct of the original values")
    assert one.log[0].notes[1] == "winsorised 1 points: a 1"


def test_subnormal_values_do_not_make_treatment_order_dependent():
    """Hypothesis found [0, 0, 1.4e-45, 120749] treated differently after permuting the units:
    the moments of subnormal values underflowed. Moments are scale-free, so the kernel now
    rescales each column first; the result must not depend on unit order."""
    v = np.array([0.0, 0.0, 1.401298464324817e-45, 120749.0])[:, None]
    perm = [3, 1, 0, 2]
    a = treat(v, winmax=1)
    b = treat(v[perm], winmax=1)
    np.testing.assert_array_equal(b.x, a.x[perm])


# ------------------------------------------------------------------ batched rounds
def _reference_rounds(x, winmax, force, on_constant, s_t=2.0, k_t=3.5, rounds=None):
    """COINr's winsorisation (module docstring of gipro.methods.treat), written one column
    and one round at a time in plain Python: the specification the batched kernel follows.
    Returns (values, n_winsorised, changed, stop) with stop in {"", "refused", "constant",
    "error"}."""
    x = x.astype(float).copy()
    obs = ~np.isnan(x)
    changed = np.zeros(len(x), dtype=int)
    s, k = skew_kurt(x[:, None])
    fails = not np.isnan(s[0]) and not np.isnan(k[0]) and not passes(s, k, s_t, k_t)[0]
    nwin, stop, made = 0, "", 0
    while (fails or force) and nwin < winmax:
        vals = x[obs]
        lo, hi = (vals.min(), vals.max()) if vals.size else (np.nan, np.nan)
        high = not s[0] < -1e-10
        ext = hi if high else lo
        others = vals[vals < hi] if high else vals[vals > lo]
        nxt = None if others.size == 0 else (others.max() if high else others.min())
        at = obs & (x == ext)
        n_new = int((at & (changed == 0)).sum())
        to_const = nxt is None or (nxt <= lo if high else nxt >= hi)
        if nwin + n_new > winmax:
            break
        if to_const:
            if on_constant == "error":
                if rounds is not None:  # the round that would have been made
                    rounds.append(made + 1)
                return x, nwin, changed, "error"
            if on_constant == "refuse" or nxt is None:
                return x, nwin, changed, "refused"
        x[at] = nxt
        changed[at] = 1 if high else -1
        nwin += n_new
        made += 1
        s, k = skew_kurt(x[:, None])
        fails = not np.isnan(s[0]) and not np.isnan(k[0]) and not passes(s, k, s_t, k_t)[0]
        if to_const:
            return x, nwin, changed, "constant"
    return x, nwin, changed, stop


def _near_threshold(x, s_t=2.0, k_t=3.5):
    """True if some round of the reference sees a skewness or kurtosis within 1e-9 of a
    threshold: the decision there depends on the last bit of the sums (order of additions),
    so such inputs say nothing about the procedure."""
    s, k = skew_kurt(x[:, None])
    s, k = float(s[0]), float(k[0])
    return any(abs(a - b) < 1e-9 for a, b in ((abs(s), s_t), (k, k_t), (abs(s), 1e-10)))


values_strategy = st.lists(st.one_of(st.integers(-3, 30).map(float), finite, st.just(np.nan)),
                           min_size=1, max_size=25)


@settings(max_examples=120, deadline=None)
@given(st.lists(values_strategy, min_size=1, max_size=4), st.integers(0, 8), st.booleans(),
       st.sampled_from(["refuse", "allow", "error"]))
def test_batched_rounds_equal_round_by_round_reference(columns, winmax, force, on_constant):
    """The kernel evaluates several winsorisation rounds per batch (gipro.methods.treat
    ._winsorise); its values, counts, change codes and stops equal the plain one-round-at-a-
    time procedure (reference above, written from COINr's Treat/winsorise), column by column.
    Expected values: the reference, an independent implementation of the rule."""
    n = max(len(c) for c in columns)
    x = np.full((n, len(columns)), np.nan)
    for j, c in enumerate(columns):
        x[: len(c), j] = c
    refs = []
    for j in range(x.shape[1]):
        col_j = x[:, j]
        ref = _reference_rounds(col_j, winmax, force, on_constant)
        # skip inputs where a rounding-level difference in a sum could flip a decision
        probe = col_j.copy()
        assume(not (_near_threshold(probe) or _near_threshold(ref[0])))
        refs.append(ref)
    if any(r[3] == "error" for r in refs):
        with pytest.raises(MethodError, match="fewer than 2 distinct values"):
            treat(x, winmax=winmax, force=force, fallback="none", on_constant=on_constant)
        return
    r = treat(x, winmax=winmax, force=force, fallback="none", on_constant=on_constant)
    for j, (xv, nwin, changed, stop) in enumerate(refs):
        np.testing.assert_array_equal(r.x[:, j], xv)
        assert int(r.n_winsorised[j]) == nwin
        np.testing.assert_array_equal(r.changed[:, j], changed)
        code = int(r.status[j])
        assert (code == 7) == (stop == "refused")
        assert (code == 8) == (stop == "constant")


def test_batched_rounds_long_runs_and_large_inputs():
    """Many rounds (winmax 40 on a long tail: more rounds than one batch holds) and a large
    replication batch (rounds one at a time) give the reference's values. Expected values:
    the reference procedure above, column by column."""
    rng = np.random.default_rng(11)
    tail = np.r_[rng.normal(size=60), np.arange(1, 41) * 5.0]  # 40 distinct high outliers
    r = treat(tail[:, None], winmax=40, fallback="none", skew_threshold=0.5,
              kurt_threshold=-10.0)
    ref = _reference_rounds(tail, 40, False, "refuse", s_t=0.5, k_t=-10.0)
    np.testing.assert_array_equal(r.x[:, 0], ref[0])
    assert int(r.n_winsorised[0]) == ref[1] == 35  # 35 rounds, several batches
    big = rng.lognormal(sigma=1.2, size=(40, 120, 5))
    rb = treat(big, winmax=6, fallback="none")
    for p in (0, 17, 39):
        for j in range(5):
            xv, nwin, _, _ = _reference_rounds(big[p, :, j], 6, False, "refuse")
            np.testing.assert_array_equal(rb.x[p, :, j], xv)
            assert int(rb.n_winsorised[p, j]) == nwin


def test_moments_after_can_be_skipped():
    """moments_after=False leaves the after-treatment moments out, nothing else changes."""
    x = np.r_[np.arange(1.0, 11.0), 30, 100][:, None]
    a, b = treat(x, winmax=5), treat(x, winmax=5, moments_after=False)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.status, b.status)
    assert np.isnan(b.skew_after).all() and not np.isnan(a.skew_after).all()


# ------------------------------------------------------------------ kernel edges (docs/testing.md)
def test_default_winmax_is_coinr_five():
    """COINr Treat's default winmax is 5. x = (1..50, 150, 160, ..., 200): each round sets the
    current maximum to the next value; scipy (bias=False, the peer of the check) gives after
    4 points (.., 150, 160 x 5) skew 2.1355, kurtosis 3.5728 (fails), after 5 points
    (.., 150 x 6) skew 2.0747, kurtosis 3.3809 (passes). So the default treats 5 points;
    winmax 4 is not enough and falls back to log_ct."""
    x = col([*range(1, 51), *range(150, 201, 10)])
    r = treat(x)
    assert int(r.n_winsorised[0]) == 5 and status(r) == "winsorised, passes"
    assert r.x[-6:, 0].tolist() == [150.0] * 6
    assert r.kurt_after[0] == pytest.approx(3.3809, abs=5e-5)
    r4 = treat(x, winmax=4)
    assert r4.fallback[0] == "log_ct" and int(r4.n_winsorised[0]) == 0


def test_log_ct_with_missing_values_and_without_a_range():
    """(0, NaN, 100, 1): range 100 over the observed values, shift 0.01 x 100 = 1:
    log(1) = 0, NaN, log(101), log(2). A column with one observed value, or constant, has no
    range: NaN (not log 0 = -inf). The original COIN Tool log: log(x - min + 1)."""
    y = log_ct(np.array([[0, 5, 3], [nan, nan, 3], [100, nan, 3], [1, nan, 3]], dtype=float))
    np.testing.assert_allclose(y[:, 0], [0.0, nan, math.log(101), math.log(2)], rtol=1e-15)
    assert np.isnan(y[:, 1:]).all()
    np.testing.assert_allclose(log_ct_orig(col([2.0, nan, 3.0])).ravel(), [0, nan, math.log(2)],
                               rtol=1e-15)


def test_boxcox_estimated_lambda_on_shares_and_per_column_lambdas():
    """Peer tool scipy.stats.boxcox: shares (0.1, 0.2, 0.35, 0.9), range below 1, shifted to
    x - 0.1 + 1: the MLE lambda is scipy's (-2.5645). A column with one observed value gets no
    lambda (NaN). Fixed lambdas per column: 1 on (1, 2, 4) -> (x - min + 1) - 1 = (0, 1, 3),
    0 -> log(1, 2, 4)."""
    v = np.array([0.1, 0.2, 0.35, 0.9])
    y, lam = boxcox(np.c_[v, [nan, 2.0, nan, nan]])
    ref, ref_lam = stats.boxcox(v - 0.1 + 1)
    assert lam[0] == pytest.approx(ref_lam, rel=1e-10) and round(lam[0], 4) == -2.5645
    np.testing.assert_allclose(y[:, 0], ref, rtol=1e-10)
    assert np.isnan(lam[1])
    y2, lam2 = boxcox(np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0]]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(y2, [[0, 0], [1, math.log(2)], [3, math.log(4)]], atol=1e-15)
    assert lam2.tolist() == [1.0, 0.0]
    np.testing.assert_allclose(transform(col([1.0, 2.0, 4.0]), "boxcox", lmbda=1.0).ravel(),
                               [0, 1, 3], atol=1e-15)
    np.testing.assert_allclose(transform(col([2.0, 3.0]), "log_ct_orig").ravel(),
                               [0, math.log(2)], atol=1e-15)


def test_check_thresholds_are_strict_and_settable():
    """Pass when |skew| < 2 or kurtosis < 3.5: exactly 2 and 3.5 fail; thresholds set by the
    caller are used instead."""
    assert not passes(np.array([2.0]), np.array([3.5]))[0]
    assert not passes(np.array([-2.0]), np.array([3.5]))[0]
    assert passes(np.array([2.0]), np.array([3.5]), skew_threshold=2.5)[0]
    assert passes(np.array([2.0]), np.array([3.5]), kurt_threshold=4.0)[0]
    # the thresholds reach treat: with skew threshold 4 (1..10, 30, 100) (skew 3.06) passes
    r = treat(col([*range(1, 11), 30, 100]), skew_threshold=4.0)
    assert status(r) == "passes untreated"
    r = treat(col([*range(1, 11), 30, 100]), kurt_threshold=10.0)
    assert status(r) == "passes untreated"


def test_skewness_from_three_values_kurtosis_from_four():
    """(1, 2, 6): G1 = 1.457863 (scipy bias=False); the kurtosis needs 4 values: NaN. A column
    given on axis 0 of a (units, periods, indicators) cube is reduced over that axis."""
    s, k = skew_kurt(col([1.0, 2.0, 6.0]))
    assert s[0] == pytest.approx(1.4578629673213046, rel=1e-12) and np.isnan(k[0])
    cube = np.array([1.0, 2.0, 6.0, 7.0]).reshape(4, 1, 1) * np.ones((4, 2, 1))
    s2, k2 = skew_kurt(cube, axis=0)
    ref = stats.skew([1.0, 2.0, 6.0, 7.0], bias=False)
    assert s2.shape == (2, 1) and s2[1, 0] == pytest.approx(ref, rel=1e-12)
    assert k2[1, 0] == pytest.approx(stats.kurtosis([1.0, 2.0, 6.0, 7.0], bias=False), rel=1e-12)


def test_status_of_a_fallback_that_still_fails_and_disabled_columns():
    """(1, 1000..1010) with winmax 0: the log_ct of it still fails (scipy: skew -3.46,
    kurtosis 12.0): status 'fallback transform, still fails'. A disabled column is left as
    it is (status 9); fallbacks per indicator: none -> status 5."""
    x = col([1, *range(1000, 1011)])
    r = treat(x, winmax=0)
    assert status(r) == "fallback transform, still fails" and r.fallback[0] == "log_ct"
    both = np.c_[x, x]
    r = treat(both, winmax=0, enabled=np.array([False, True]))
    np.testing.assert_array_equal(r.x[:, 0], x[:, 0])
    assert status(r, 0) == "not treated (disabled)" and r.changed[:, 0].tolist() == [0] * 12
    r = treat(both, winmax=0, fallback=["none", "log_ct_orig"])
    assert status(r, 0) == "still fails after winsorisation (no fallback)"
    np.testing.assert_allclose(r.x[:, 1], np.log(x[:, 0]), rtol=1e-15)  # x - 1 + 1


def test_treat_refusals_name_the_parameter():
    x = np.c_[np.arange(6.0), np.arange(6.0)]
    with pytest.raises(MethodError, match=r"treat expects x of shape \(\.\.\., n_units, n_ind"):
        treat(np.arange(6.0))
    with pytest.raises(MethodError, match=r"on_constant must be 'refuse', 'allow' or 'error', "
                                          r"got 'keep'"):
        treat(x, on_constant="keep")
    with pytest.raises(MethodError, match=r"winmax must be >= 0"):
        treat(x, winmax=np.array([5, -1]))
    with pytest.raises(MethodError, match=r"winmax must be a scalar or one value per indicator;"
                                          r" got shape \(3,\) for 2 indicators"):
        treat(x, winmax=np.array([1, 2, 3]))
    with pytest.raises(MethodError, match=r"fallback: 1 values for 2 indicators"):
        treat(x, fallback=["log_ct"])
    with pytest.raises(MethodError, match=r"unknown fallback \['sqrt'\]"):
        treat(x, fallback=["sqrt", "log_ct"])
    with pytest.raises(MethodError, match=r"unknown transform 'sqrt'"):
        transform(x, "sqrt")


def test_moments_of_no_units_two_values_and_values_far_from_one():
    """No units: every moment NaN. Two values: no skewness (it needs 3). The moments are
    scale-free: (1, 2, 6, 7, 30) times 1e150 or 1e-150 gives its skewness and kurtosis
    (scipy, bias=False), neither overflowing nor underflowing in the fourth powers. A column
    whose largest value is exactly 1 is not taken for an empty one. A column whose spread is
    below 1e-14 of its size is constant for the check (NaN)."""
    s0, k0 = skew_kurt(np.empty((0, 2)))
    assert np.isnan(s0).all() and np.isnan(k0).all() and s0.shape == (2,)
    s2, k2 = skew_kurt(col([1.0, 5.0, nan]))
    assert np.isnan(s2[0]) and np.isnan(k2[0])
    v = np.array([1.0, 2.0, 6.0, 7.0, 30.0])
    ref = (stats.skew(v, bias=False), stats.kurtosis(v, bias=False))
    for scale in (1e150, 1e-150):
        s, k = skew_kurt(col(v * scale))
        assert (s[0], k[0]) == (pytest.approx(ref[0], rel=1e-12), pytest.approx(ref[1],
                                                                                rel=1e-12))
    shares = np.array([0.1, 0.2, 0.3, 1.0])
    s, k = skew_kurt(col(shares))
    assert s[0] == pytest.approx(stats.skew(shares, bias=False), rel=1e-12)
    s, k = skew_kurt(col([1e8, 1e8, 1e8, 1e8 + 1e-7]))
    assert np.isnan(s[0]) and np.isnan(k[0])


def test_boxcox_lambda_of_two_values_and_of_a_constant_column():
    """Two observed values have a maximum-likelihood lambda (scipy's boxcox_normmax of the
    shifted values (1, 3)); a constant column has none (NaN), and is transformed to NaN."""
    y, lam = boxcox(np.c_[[0.0, 2.0, nan], [4.0, 4.0, 4.0]])
    assert np.isnan(y[:, 1]).all()
    assert lam[0] == pytest.approx(stats.boxcox_normmax(np.array([1.0, 3.0]), method="mle"),
                                   rel=1e-9)
    assert np.isnan(lam[1])


def test_refusal_names_the_column_and_results_are_values():
    """The log refusal names the column of the bad value (here the second); results and
    fitted treatments are frozen values, and a treatment can be taken column by column."""
    import dataclasses

    with pytest.raises(MethodError, match=r"zero or negative values in \['b'\]"):
        transform(np.array([[1.0, 0.0], [2.0, 3.0]]), "log", names=["a", "b"])
    r = treat(np.c_[[*range(1, 11), 100.0], np.arange(11.0)], winmax=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.x = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.treatment.low = None
    t1 = r.treatment.take(1)
    assert (int(t1.mode), float(t1.high)) == (0, np.inf)
    assert float(r.treatment.take(0).high) == 10.0


def test_winmax_default_is_five_not_six():
    """x = (1..54, 200, 220, ..., 320): each round sets the top values to the next one;
    scipy (bias=False): after 5 points (.., 200, 220 x 6) skew 2.2221, kurtosis 3.5766
    (fails), after 6 (.., 200 x 7) 2.1649, 3.3906 (passes). Default winmax 5: not enough,
    log_ct fallback; winmax 6: winsorised, passes."""
    x = col([*range(1, 55), *range(200, 321, 20)])
    r = treat(x)
    assert r.fallback[0] == "log_ct" and status(r) == "fallback transform, passes"
    r6 = treat(x, winmax=6)
    assert int(r6.n_winsorised[0]) == 6 and status(r6) == "winsorised, passes"


def test_three_values_cannot_be_assessed_unless_forced():
    """Three observed values have a skewness but no kurtosis: the check cannot be made
    (status 6, untouched). Forced winsorisation does not consult the check: the top value
    10 -> 2 (the skewness is undefined: the top is clipped), one point, status 2."""
    r = treat(col([1.0, 2.0, 10.0]), winmax=1)
    assert status(r).startswith("cannot assess") and r.x[:, 0].tolist() == [1, 2, 10]
    f = treat(col([1.0, 2.0, 10.0]), winmax=1, force=True)
    assert f.x[:, 0].tolist() == [1, 2, 2] and status(f) == "winsorised (forced)"


def test_winsorisation_caps_and_untouched_values():
    """Caps learnt for other values (scenarios): a top outlier 100 -> 10 gives caps
    (-inf, 10); a bottom outlier -100 -> 1 gives (1, inf) and leaves the top 10 as it is;
    an untreated column (-inf, inf), mode 0."""
    r = treat(np.c_[[*range(1, 11), 100.0], [-100.0, *range(1, 11)], np.arange(11.0)])
    t = r.treatment
    assert np.asarray(t.low).tolist() == [-np.inf, 1.0, -np.inf]
    assert np.asarray(t.high).tolist() == [10.0, np.inf, np.inf]
    assert np.asarray(t.mode).tolist() == [1, 1, 0]
    assert r.x[:, 1].tolist() == [1.0, *range(1, 11)]
    assert r.changed[:, 1].tolist() == [-1] + [0] * 10


def test_forced_column_that_could_not_be_winsorised_still_fails():
    """(1..20, 100, 100) fails the check (scipy: skew 2.82, kurtosis 7.13); forced with
    winmax 1, the two tied 100s cannot move (two points): nothing changes and, as a forced
    column gets no fallback, it still fails (status 5) -- it does not pass untreated."""
    r = treat(col([*range(1, 21), 100, 100]), winmax=1, force=True)
    assert int(r.n_winsorised[0]) == 0 and r.x[-1, 0] == 100.0
    assert status(r) == "still fails after winsorisation (no fallback)"


def test_forced_direction_when_the_skewness_is_zero():
    """1..10 has skewness 0 (within 1e-10): forced, the top is clipped first (10 -> 9),
    never the bottom."""
    r = treat(col(range(1, 11)), winmax=1, force=True)
    assert r.x[:, 0].tolist() == [*range(1, 10), 9]


def test_labels_with_a_leading_axis():
    """Two periods of indicators a, b, c: in period 2, c = (0 x 9, 5) would become constant
    (on_constant error) and c's log fallback meets a 0: the messages name c (or its
    position 2 without names), not the column of the flattened periods (5)."""
    good = np.arange(1.0, 11.0)
    bad = np.array([0.0] * 9 + [5.0])
    x = np.stack([np.c_[good, good, good], np.c_[good, good, bad]])
    with pytest.raises(MethodError, match=r"winsorising indicator c would leave fewer"):
        treat(x, winmax=5, on_constant="error", names=["a", "b", "c"])
    with pytest.raises(MethodError, match=r"winsorising indicator 2 would leave fewer"):
        treat(x, winmax=5, on_constant="error")
    with pytest.raises(MethodError, match=r"zero or negative values in \['c'\]"):
        treat(x, winmax=0, fallback="log", names=["a", "b", "c"])
    with pytest.raises(MethodError, match=r"zero or negative values in \[2\]"):
        treat(x, winmax=0, fallback="log")


def test_statuses_and_change_codes_of_fallbacks():
    """Fallback 'none' leaves a passing column at status 0; a transformed column marks its
    observed values 2 and its missing ones 0; a fallback that passes has status 3 (log_ct of
    (1..20, 100, 200, NaN) passes: skew and kurtosis of the log values, by scipy)."""
    r = treat(np.c_[np.arange(1.0, 12.0), [*range(1, 11), 100.0]], winmax=0, fallback="none")
    assert status(r, 0) == "passes untreated"
    x = col([*range(1, 21), 100, 200, nan])
    r = treat(x, winmax=0)
    assert r.changed[:, 0].tolist() == [2] * 22 + [0]
    assert status(r) == "fallback transform, passes"
    y = np.log(x[:22, 0] - 1 + 0.01 * 199)
    assert stats.kurtosis(y, bias=False) < 3.5 or abs(stats.skew(y, bias=False)) < 2


@pytest.mark.parametrize("values, winmax, force, on_constant", [
    # found by comparing the kernel with its mutants (docs/testing.md)
    ([10.0, 10.0, -1.0, -1.0, 0.0, -3.0], 4, True, "error"),
    ([0.0, 10.0, nan, 9.0, 2.0, 3.0, 9.0], 4, True, "error"),
    ([1.0, 0.0, 0.0, 4.0, 3.0, 1.0, 1.0, 1.0, 44.0, 2.0, 2.0, 0.0, 0.0], 5, True, "refuse"),
    ([0.87, 0.34, 6.82, 11.13, 10.3], 4, True, "refuse"),
])
def test_batched_rounds_equal_the_reference_on_found_cases(values, winmax, force, on_constant):
    """Direction changes, stops and the constant guard inside a batch of rounds: the kernel
    gives the reference procedure's values, counts, change codes and stop (the reference is
    an independent implementation of COINr's rule, above)."""
    x = col(values)
    xv, nwin, changed, stop = _reference_rounds(x[:, 0], winmax, force, on_constant)
    if stop == "error":
        with pytest.raises(MethodError, match="fewer than 2 distinct values"):
            treat(x, winmax=winmax, force=force, fallback="none", on_constant=on_constant)
        return
    r = treat(x, winmax=winmax, force=force, fallback="none", on_constant=on_constant)
    np.testing.assert_array_equal(r.x[:, 0], xv)
    assert int(r.n_winsorised[0]) == nwin
    np.testing.assert_array_equal(r.changed[:, 0], changed)
    assert (int(r.status[0]) == 7) == (stop == "refused")


@pytest.mark.parametrize("x", [
    [[3.0, 1.0, 3.0], [3.0, 3.0, 2.0], [53.0, 1.0, 16.0], [0.0, 1.0, 1.0], [3.0, 53.0, 1.0],
     [3.0, 2.0, 3.0]],
    [[45.0, 2.0, 3.0], [3.0, 55.0, 1.0], [2.0, 0.0, 3.0], [0.0, 2.0, 2.0], [2.0, 1.0, 3.0],
     [0.0, 1.0, 58.0], [2.0, 2.0, 2.0], [3.0, 3.0, 2.0]],
])
def test_the_first_column_to_stop_is_named(x):
    """Forced winsorisation of several columns under on_constant error: the message names
    the column whose winsorisation hits the constant guard first, by round (then by column),
    as a round-by-round loop over the columns would (rounds from the reference)."""
    x = np.array(x)
    names = [f"i{j}" for j in range(x.shape[1])]
    stops = []
    for j in range(x.shape[1]):
        rounds: list[int] = []
        _reference_rounds(x[:, j], 8 if x.shape[0] == 6 else 5, True, "error", rounds=rounds)
        stops.append((rounds[0] if rounds else np.inf, j))
    first = names[min(stops)[1]]
    with pytest.raises(MethodError, match=rf"winsorising indicator {first} would leave"):
        treat(x, winmax=8 if x.shape[0] == 6 else 5, force=True, on_constant="error",
              names=names)


def test_forced_boxcox_takes_the_indicators_lambda_else_the_steps():
    """Box-Cox after the shift x - min + 1 (COIN Tool): x = (3, 4, 7) -> (1, 2, 5).
    a has its own lambda 0.5: (sqrt(v) - 1)/0.5 = 0, 2 (sqrt 2 - 1), 2 (sqrt 5 - 1);
    b takes the step's lambda 2: (v^2 - 1)/2 = 0, 1.5, 12."""
    b = _tiny_build([{"step": "treat", "boxcox_lambda": 2.0, "indicators": {
        "a": {"method": "boxcox", "boxcox_lambda": 0.5}, "b": {"method": "boxcox"}}}],
        {"a": [3.0, 4.0, 7.0], "b": [3.0, 4.0, 7.0]})
    t = b.data("treated")
    np.testing.assert_allclose(t["a"], [0.0, 2 * (np.sqrt(2) - 1), 2 * (np.sqrt(5) - 1)],
                               rtol=1e-14)
    np.testing.assert_allclose(t["b"], [0.0, 1.5, 12.0], rtol=1e-14)


def test_chunked_refusal_of_a_forced_boxcox_without_a_lambda():
    """A per-indicator Box-Cox (method or fallback) needs a lambda given there or on the
    step to run chunked over units; estimating it reads every value of the column."""
    from gipro.steps.treat import TreatStep

    refused = "the Box-Cox lambda is estimated from every value of a column"
    for spec in ({"method": "boxcox"}, {"fallback": "boxcox"}):
        assert TreatStep(indicators={"a": spec}).chunked_refusal().startswith(refused)
        assert TreatStep(indicators={"a": spec | {"boxcox_lambda": 0.5}}).chunked_refusal() \
            is None
        assert TreatStep(indicators={"a": spec}, boxcox_lambda=0.5).chunked_refusal() is None
    assert TreatStep(indicators={"a": {"method": "log_ct"}}).chunked_refusal() is None


def test_first_passes_of_blocks_join_counts_and_sums_by_adding_magnitudes_by_maximum():
    """Two blocks' (count, largest magnitude, sum) rows: 2 + 3, max(5, 4), 7 + (-1)."""
    from gipro.steps.treat import _first_join

    a = np.array([[2.0, 5.0, 7.0], [1.0, 0.5, 0.5]])
    b = np.array([[3.0, 4.0, -1.0], [2.0, 8.0, 9.0]])
    np.testing.assert_array_equal(_first_join(a, b), [[5.0, 5.0, 6.0], [3.0, 8.0, 9.5]])
