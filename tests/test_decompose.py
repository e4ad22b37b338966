"""Leading factors of change: indicator and dimension contributions to the index change.

Expected values are worked by hand on paper (the arithmetic is in each docstring) or are
mathematical identities (properties), never copied from gipro's output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from gipro import Framework, MethodError
from gipro.decompose import (
    COVERAGE,
    contributions,
    effective_weights,
    leading_factors,
    weights_used,
)
from gipro.progress import report
from progress_cases import ARITH, FW, THREE, make_build


def row(tab, unit, code):
    (r,) = tab[(tab["unit"] == unit) & (tab["code"] == code)].itertuples()
    return r


def test_arithmetic_hand_example():
    """Worked on paper.

    A: index 2000 = .25*0 + .25*0 + .5*0 = 0; 2010 = .25*25 + .25*50 + .5*25 = 31.25.
       contributions a = .25*25 = 6.25, b = .25*50 = 12.5, c = .5*25 = 12.5 (sum 31.25);
       D1 = 18.75, D2 = 12.5.
    B: index 2000 = .25*50 + .25*100 + .5*50 = 62.5; 2010 = .25*100 + .25*25 + .5*100 = 81.25.
       contributions a = .25*50 = 12.5, b = .25*(-75) = -18.75, c = .5*50 = 25 (sum 18.75).
       drivers: c (rank 1), a (rank 2); drag: b.
    """
    b = make_build(ARITH)
    t = contributions(b)
    expect = {("A", "a"): 6.25, ("A", "b"): 12.5, ("A", "c"): 12.5, ("A", "D1"): 18.75,
              ("A", "D2"): 12.5, ("A", "I"): 31.25, ("B", "a"): 12.5, ("B", "b"): -18.75,
              ("B", "c"): 25.0, ("B", "D1"): -6.25, ("B", "D2"): 25.0, ("B", "I"): 18.75}
    for (u, c), v in expect.items():
        assert row(t, u, c).contribution == pytest.approx(v, abs=1e-12), (u, c)
    assert row(t, "A", "a").weight == pytest.approx(0.25)
    assert row(t, "A", "c").weight == pytest.approx(0.5)
    assert row(t, "B", "b").score_change == pytest.approx(-75.0)
    assert row(t, "B", COVERAGE).contribution == 0.0
    assert row(t, "B", "b").contribution_bounds == 0.0  # pooled bounds: no bound effect
    rb = {c: row(t, "B", c) for c in "abc"}
    assert (rb["c"].rank, rb["b"].rank, rb["a"].rank) == (1, 2, 3)
    assert rb["c"].driver_rank == 1 and rb["a"].driver_rank == 2
    assert rb["b"].role == "drag" and rb["b"].drag_rank == 1
    assert row(t, "B", "c").share == pytest.approx(25 / 18.75)
    lf = leading_factors(b, n=2)
    assert lf[lf["unit"] == "B"]["code"].tolist() == ["c", "b"]  # |25| > |-18.75| > |12.5|
    assert "contribution_log" not in t.columns


def test_geometric_hand_example():
    """Worked on paper, min-max onto [1, 100] (score = 1 + 99 f), effective weights .25/.25/.5.

    Raw values are chosen so the scores are round: f = 0, 1/11, 1/3, 1 -> 1, 10, 34, 100.
      a (+): A 3 -> 33, B 0 -> 11 (pooled [0, 33])          scores A 10 -> 100, B 1 -> 34
      b (-): A 0 -> 30, B 22 -> 33 (-b pooled [-33, 0])     scores A 100 -> 10, B 34 -> 1
      c (+): A 100 -> 103, B 133 -> 111 (pooled [100, 133]) scores A 1 -> 10,  B 100 -> 34
    A: I_2000 = 10^.25 * 100^.25 * 1^.5 = 10^0.75; I_2010 = 100^.25 * 10^.25 * 10^.5 = 10^1.25.
       log contributions: a = .25 ln 10, b = -.25 ln 10, c = .5 ln 10; sum = .5 ln 10 = dlnI.
       points: L(I_T, I_0) * log contribution, L = (10^1.25 - 10^.75)/(.5 ln 10)
       = 12.159381/1.151293 = 10.561504; c = L * .5 ln 10 = dI = 10^1.25 - 10^.75 = 12.159381,
       a = dI/2 = +6.079690, b = -6.079690.
    B: I_2000 = 34^.25 * 100^.5 = 24.147363; I_2010 = 34^.25 * 1 * 34^.5 = 34^.75 = 14.079670.
       log contributions: a = .25 ln 34, b = -.25 ln 34, c = .5 ln(34/100).
    """
    rows = [("A", 2000, 3, 0, 100), ("A", 2010, 33, 30, 103),
            ("B", 2000, 0, 22, 133), ("B", 2010, 11, 33, 111)]
    b = make_build(rows, method="geometric", rng=(1.0, 100.0))
    t = contributions(b)
    ln10 = math.log(10)
    lm = (10 ** 1.25 - 10 ** 0.75) / (0.5 * ln10)
    assert lm == pytest.approx(10.561504, abs=1e-6)
    assert row(t, "A", "a").contribution_log == pytest.approx(0.25 * ln10, abs=1e-12)
    assert row(t, "A", "b").contribution_log == pytest.approx(-0.25 * ln10, abs=1e-12)
    assert row(t, "A", "c").contribution_log == pytest.approx(0.5 * ln10, abs=1e-12)
    assert row(t, "A", "I").contribution_log == pytest.approx(0.5 * ln10, abs=1e-12)
    assert row(t, "A", "a").contribution == pytest.approx(6.079690, abs=1e-6)
    assert row(t, "A", "b").contribution == pytest.approx(-6.079690, abs=1e-6)
    assert row(t, "A", "c").contribution == pytest.approx(12.159381, abs=1e-6)
    assert row(t, "A", "I").contribution == pytest.approx(10 ** 1.25 - 10 ** 0.75, abs=1e-12)
    assert row(t, "B", "a").contribution_log == pytest.approx(0.25 * math.log(34), abs=1e-12)
    assert row(t, "B", "c").contribution_log == pytest.approx(0.5 * math.log(0.34), abs=1e-12)
    assert row(t, "B", "I").contribution == pytest.approx(34 ** 0.75 - 10 * 34 ** 0.25,
                                                          abs=1e-12)
    # the dimension D1 = a + b cancels exactly in log form for A
    assert row(t, "A", "D1").contribution_log == pytest.approx(0.0, abs=1e-12)


def test_coverage_row_when_an_indicator_goes_missing():
    """Hand example: B's b is missing in 2010 (bounds of b unchanged: -b in [-5, -1]).

    B 2010: D1 = a = 100, I = .5*100 + .5*100 = 100; B 2000: I = 62.5; change 37.5.
    Common indicators {a, c}: weights a .5, c .5 -> a .5*(100-50) = 25, c .5*(100-50) = 25.
    Common-set index: 2000 .5*50 + .5*50 = 50, 2010 100.
    coverage = (100 - 100) - (62.5 - 50) = -12.5; 25 + 25 - 12.5 = 37.5.
    """
    rows = [list(r) for r in ARITH]
    rows[3][3] = np.nan
    t = contributions(make_build(rows))
    assert row(t, "B", "a").contribution == pytest.approx(25.0)
    assert row(t, "B", "c").contribution == pytest.approx(25.0)
    assert row(t, "B", "b").contribution == 0.0 and row(t, "B", "b").weight == 0.0
    assert row(t, "B", COVERAGE).contribution == pytest.approx(-12.5)
    assert row(t, "B", "I").contribution == pytest.approx(37.5)
    assert row(t, "A", COVERAGE).contribution == 0.0


def test_bound_effect_with_per_period_bounds():
    """Hand example, two indicators a, b (both +) directly under the index (weights 1/2).

    a: period 1 (0, 5, 10) -> scores (0, 50, 100); period 2 (10, 15, 30) -> (0, 25, 100).
    b: (1, 2, 3) in both periods -> scores (0, 50, 100) in both: no change, no bound effect.
    Unit V (a 5 -> 15): score change -25. Real change at fixed bounds (Shapley average):
      base bounds [0, 10]: (15 - 5)/10*100 = 100; end bounds [10, 30]: 10/20*100 = 50 -> 75.
      bound effect = -25 - 75 = -100. Index contribution: .5 * (-25) = -12.5
      = real .5*75 = 37.5 + bounds .5*(-100) = -50.
    Unit U (a 0 -> 10): score change 0; real = (10/10*100 + 10/20*100)/2 = 75; bounds -75.
    """
    fw = Framework(indicators=[{"code": "a", "parent": "I", "direction": 1},
                               {"code": "b", "parent": "I", "direction": 1}],
                   aggregates=[{"code": "I"}])
    rows = [("U", 1, 0, 1), ("V", 1, 5, 2), ("W", 1, 10, 3),
            ("U", 2, 10, 1), ("V", 2, 15, 2), ("W", 2, 30, 3)]
    t = contributions(make_build(rows, bounds="per_period", fw=fw))
    v = row(t, "V", "a")
    assert (v.score_change, v.contribution) == pytest.approx((-25.0, -12.5))
    assert (v.contribution_real, v.contribution_bounds) == pytest.approx((37.5, -50.0))
    u = row(t, "U", "a")
    assert (u.contribution_real, u.contribution_bounds) == pytest.approx((37.5, -37.5))
    assert row(t, "V", "b").contribution_real == 0.0
    assert row(t, "V", "b").contribution_bounds == 0.0
    idx = row(t, "V", "I")
    assert idx.contribution_real + idx.contribution_bounds == pytest.approx(idx.contribution)


def test_effective_weights_match_framework_when_complete():
    """Complete data: the per-unit effective weights equal Framework.effective_weights()."""
    w = effective_weights(FW, np.ones((2, 3, 3), dtype=bool), 0.5)
    expected = FW.effective_weights()[FW.indicator_codes].to_numpy()
    assert np.allclose(w, expected)
    # b missing: D1 renormalises over a (min share .5): a .5, c .5
    assert effective_weights(FW, np.array([True, False, True]), 0.5).tolist() == [0.5, 0, 0.5]
    # at min share .75, D1 (1 of 2 children) is missing, then the index (1 of 2 dimensions):
    # no index, every weight 0 -- as the aggregate step leaves the index missing
    assert effective_weights(FW, np.array([True, False, True]), 0.75).tolist() == [0, 0, 0]


def test_unsupported_method_raises():
    b = make_build(ARITH)
    b.log[-1].params["method"] = "copeland"
    with pytest.raises(MethodError, match="copeland"):
        contributions(b)


def test_index_not_reproduced_raises():
    """Decomposing with weights that are not the ones the build used is refused: here the
    weights the aggregate step used are altered after the run."""
    b = make_build(ARITH)
    fit = b.records[-1].fit
    fit.vectors["framework"][b.framework.codes.index("D2")] = 3.0
    with pytest.raises(MethodError, match="cannot be decomposed"):
        contributions(b)


def test_framework_changed_after_run_does_not_change_the_weights():
    """The decomposition uses the weights the aggregate step used (recorded in
    ``build.fitted``), not the framework object's current weights: ARITH's hand values
    (test_arithmetic_hand_example: A's c contributes .5 * 25 = 12.5) are unchanged."""
    b = make_build(ARITH)
    b.framework = FW.with_weights({"c": 1.0, "D2": 3.0})
    assert row(contributions(b), "A", "c").contribution == pytest.approx(12.5, abs=1e-12)


# ---------------------------------------------------------------------- properties
values = st.floats(min_value=0.5, max_value=50.0, allow_nan=False)


@st.composite
def panels(draw):
    n_units = draw(st.integers(3, 5))
    rows = []
    for u in range(n_units):
        for p in (2000, 2005, 2010):
            rows.append((f"U{u}", p, draw(values), draw(values), draw(values)))
    holes = draw(st.lists(st.tuples(st.integers(0, len(rows) - 1), st.integers(0, 2)),
                          max_size=2))
    rows = [list(r) for r in rows]
    for i, k in holes:
        rows[i][2 + k] = np.nan
    return rows


def _check_additivity(t: pd.DataFrame) -> None:
    parts = t[t["kind"].isin(["indicator", "coverage"])].groupby(
        ["base", "end", "unit"])["contribution"].sum(min_count=1)
    total = t[t["kind"] == "index"].set_index(["base", "end", "unit"])["contribution"]
    ok = total.notna()
    assert np.allclose(parts[ok], total[ok], rtol=0, atol=1e-9)
    dims = t[t["kind"] == "aggregate"].set_index(["base", "end", "unit", "code"])["contribution"]
    inds = t[t["kind"] == "indicator"].assign(dim=lambda d: d["parent"]).groupby(
        ["base", "end", "unit", "dim"])["contribution"].sum(min_count=1)
    inds.index = inds.index.set_names("code", level=3)
    assert np.allclose(dims.reindex(inds.index), inds, atol=1e-9, equal_nan=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panels(), st.sampled_from(["arithmetic", "geometric"]),
       st.sampled_from(["pooled", "per_period"]))
def test_contributions_add_up_and_flip(rows, method, bounds):
    """Contributions (+ coverage) add up to the index change to 1e-9, for every pair; bound
    and real parts add up to the contribution; swapping the periods flips every sign."""
    rng = (1.0, 100.0) if method == "geometric" else (0.0, 100.0)
    try:
        b = make_build(rows, method=method, bounds=bounds, rng=rng, min_availability=0.0)
    except MethodError:  # e.g. a constant indicator in one period: refused, not decomposed
        assume(False)
    event(f"{method}, {bounds} bounds")
    t = contributions(b, consecutive=True)
    _check_additivity(t)
    _check_additivity(contributions(b))
    ind = t[t["kind"] == "indicator"]
    assert np.allclose(ind["contribution_real"] + ind["contribution_bounds"],
                       ind["contribution"], atol=1e-9, equal_nan=True)
    if bounds == "pooled":
        assert (ind["contribution_bounds"].fillna(0) == 0).all()
    fwd = contributions(b, 2000, 2010).set_index(["unit", "code"])
    bwd = contributions(b, 2010, 2000).set_index(["unit", "code"])
    for col in ("contribution", "contribution_real", "contribution_bounds"):
        assert np.allclose(fwd[col], -bwd[col], atol=1e-9, equal_nan=True), col


@settings(max_examples=30, deadline=None)
@given(panels(), st.sampled_from(["arithmetic", "geometric"]))
def test_unchanged_indicator_contributes_exactly_zero(rows, method):
    """With pooled bounds an indicator whose raw value is the same in both periods contributes
    exactly 0 (not 1e-17)."""
    rows = [list(r) for r in rows]
    for r in rows:
        if r[1] == 2010:
            (base,) = [q for q in rows if q[0] == r[0] and q[1] == 2000]
            r[2] = base[2]
    rng = (1.0, 100.0) if method == "geometric" else (0.0, 100.0)
    try:
        b = make_build(rows, method=method, rng=rng, min_availability=0.0)
    except MethodError:
        assume(False)
    t = contributions(b, 2000, 2010)
    a = t[t["code"] == "a"]["contribution"].dropna()
    assert (a == 0.0).all()


# ---------------------------------------------------------------- weights from a weight step
def _manual(a=3.0, b=1.0, c=1.0, d1=1.0, d2=3.0):
    """Two manual weight steps: indicators (a, b in D1; c in D2), then dimensions."""
    return [{"step": "weight", "name": "w_ind", "method": "manual",
             "values": {"a": a, "b": b, "c": c}, "output": "m_ind"},
            {"step": "weight", "name": "w_dim", "method": "manual", "level": 2,
             "values": {"D1": d1, "D2": d2}, "base": "m_ind", "output": "mw"}]


def test_arithmetic_with_manual_weights_hand_example():
    """ARITH scores (test_arithmetic_hand_example) with manual weights that differ from the
    framework's: a 3, b 1 within D1; D1 1, D2 3 within I. Effective weights by hand:
    a = 1/4 * 3/4 = 0.1875, b = 1/4 * 1/4 = 0.0625, c = 3/4 (framework: .25, .25, .5).

    A: I 2000 = 0; 2010 = .1875*25 + .0625*50 + .75*25 = 4.6875 + 3.125 + 18.75 = 26.5625;
       contributions a 4.6875, b 3.125, c 18.75; D1 7.8125, D2 18.75.
    B: I 2000 = .1875*50 + .0625*100 + .75*50 = 53.125; 2010 = .1875*100 + .0625*25 + .75*100
       = 95.3125; change 42.1875 = a .1875*50 = 9.375 + b .0625*(-75) = -4.6875 + c .75*50
       = 37.5; D1 4.6875, D2 37.5.
    """
    b = make_build(ARITH, weight_steps=_manual(), weights="mw")
    idx = b.final.column("I")  # (periods, units): the index the build made
    assert idx[:, b.final.units.index("B")].tolist() == pytest.approx([53.125, 95.3125])
    t = contributions(b)
    expect = {("A", "a"): 4.6875, ("A", "b"): 3.125, ("A", "c"): 18.75, ("A", "D1"): 7.8125,
              ("A", "D2"): 18.75, ("A", "I"): 26.5625, ("B", "a"): 9.375,
              ("B", "b"): -4.6875, ("B", "c"): 37.5, ("B", "D1"): 4.6875, ("B", "D2"): 37.5,
              ("B", "I"): 42.1875}
    for (u, c), v in expect.items():
        assert row(t, u, c).contribution == pytest.approx(v, abs=1e-12), (u, c)
    assert [row(t, "A", c).weight for c in "abc"] == pytest.approx([0.1875, 0.0625, 0.75])
    assert row(t, "B", COVERAGE).contribution == 0.0
    w = weights_used(b).set_index("code")
    assert set(w["weight_set"]) == {"mw"}
    assert w.loc[["a", "b", "c", "D1", "D2"], "effective_weight"].tolist() == pytest.approx(
        [0.1875, 0.0625, 0.75, 0.25, 0.75])
    lf = leading_factors(b, n=1)
    assert lf.set_index("unit")["code"].to_dict() == {"A": "c", "B": "c"}
    rep = report(b)
    assert "leading_factors" in rep.tables
    assert any("weight set 'mw' (manual, step 'w_dim')" in n for n in rep.notes)


def test_geometric_with_manual_weights_hand_example():
    """Scores of test_geometric_hand_example (A: a 10 -> 100, b 100 -> 10, c 1 -> 10),
    effective weights .1875, .0625, .75 (manual, as above).

    A: I 2000 = 10^.1875 * 100^.0625 * 1^.75 = 10^.3125; 2010 = 100^.1875 * 10^.0625 * 10^.75
       = 10^1.1875. Log contributions: a .1875 ln 10, b -.0625 ln 10, c .75 ln 10, sum
       .875 ln 10 = ln(I_2010 / I_2000). In points each is L(I_T, I_0) x its log contribution
       with L = dI / (.875 ln 10), so a = dI * 3/14, b = -dI/14, c = dI * 12/14.
    """
    rows = [("A", 2000, 3, 0, 100), ("A", 2010, 33, 30, 103),
            ("B", 2000, 0, 22, 133), ("B", 2010, 11, 33, 111)]
    b = make_build(rows, method="geometric", rng=(1.0, 100.0), weight_steps=_manual(),
                   weights="mw")
    ia = b.final.column("I")[:, b.final.units.index("A")]
    assert ia.tolist() == pytest.approx([10 ** 0.3125, 10 ** 1.1875], rel=1e-12)
    d = 10 ** 1.1875 - 10 ** 0.3125
    t = contributions(b)
    ln10 = math.log(10)
    for code, pts, lg in (("a", 3 / 14, 0.1875), ("b", -1 / 14, -0.0625), ("c", 12 / 14, 0.75)):
        r = row(t, "A", code)
        assert r.contribution == pytest.approx(d * pts, rel=1e-12), code
        assert r.contribution_log == pytest.approx(lg * ln10, rel=1e-12), code
    assert row(t, "A", "I").contribution == pytest.approx(d, rel=1e-12)


def test_weight_set_per_aggregate_by_code():
    """A by_code override: D1's children weighted by set 'mw' (a 3, b 1), the rest by the
    framework (D1, D2 1/2 each). Effective weights by hand: a = 1/2 * 3/4 = 0.375,
    b = 1/2 * 1/4 = 0.125, c = 0.5. ARITH, unit A: contributions a .375*25 = 9.375,
    b .125*50 = 6.25, c .5*25 = 12.5 (sum 28.125)."""
    b = make_build(ARITH, weight_steps=_manual())
    b2 = b.with_step("aggregate",
                     by_code={"D1": {"method": "arithmetic", "weights": "mw"}}).run()
    t = contributions(b2)
    assert [row(t, "A", c).contribution for c in "abc"] == pytest.approx([9.375, 6.25, 12.5])
    assert row(t, "A", "I").contribution == pytest.approx(28.125)
    w = weights_used(b2).set_index("code")
    assert w.loc["a", "weight_set"] == "mw" and w.loc["D1", "weight_set"] == "framework"


def test_mixed_methods_refused_with_a_reason():
    b = make_build(ARITH, rng=(1.0, 100.0))
    b2 = b.with_step("aggregate", by_level={3: "geometric"}).run()
    with pytest.raises(MethodError, match="mixes methods"):
        contributions(b2)
    rep = report(b2)
    assert "contributions" not in rep.tables
    assert any("mixes methods" in n for n in rep.notes)


weights_st = st.floats(min_value=0.05, max_value=5.0, allow_nan=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panels(), st.sampled_from(["arithmetic", "geometric"]),
       st.tuples(weights_st, weights_st, weights_st, weights_st, weights_st),
       st.sampled_from([0.0, 2.5]))
def test_contributions_add_up_with_weight_sets(rows, method, w, shift):
    """With any manual weight set (and a shifted geometric mean), contributions + coverage add
    up to the index change to 1e-9, and swapping the periods flips every sign."""
    if method == "arithmetic":
        shift = 0.0
    rng = (0.0, 100.0) if method == "arithmetic" or shift else (1.0, 100.0)
    try:
        b = make_build(rows, method=method, rng=rng, min_availability=0.0,
                       weight_steps=_manual(*w), weights="mw", shift=shift)
    except MethodError:
        assume(False)
    t = contributions(b, consecutive=True)
    _check_additivity(t)
    _check_additivity(contributions(b))
    fwd = contributions(b, 2000, 2010).set_index(["unit", "code"])["contribution"]
    bwd = contributions(b, 2010, 2000).set_index(["unit", "code"])["contribution"]
    assert np.allclose(fwd, -bwd, atol=1e-9, equal_nan=True)


# ---------------------------------------------------------------- three periods, roles, refusals
def test_period_pairs_over_three_periods_both_ways():
    from gipro.decompose import period_pairs

    b = make_build(THREE)
    assert period_pairs(b) == [(2000, 2010)]
    assert period_pairs(b, consecutive=True) == [(2000, 2005), (2005, 2010)]
    assert period_pairs(b, 2010, 2000, consecutive=True) == [(2010, 2005), (2005, 2000)]
    assert period_pairs(b, 2005, consecutive=True) == [(2005, 2010)]
    assert period_pairs(b, end=2005) == [(2000, 2005)]
    from gipro import InputError

    with pytest.raises(InputError, match=r"period 2001 is not in the build \(2000-2010\)"):
        period_pairs(b, 2001)
    with pytest.raises(InputError, match=r"base and end periods are the same \(2005\)"):
        period_pairs(b, 2005, 2005)
    one = make_build([("A", 2000, 0, 5, 100), ("B", 2000, 40, 1, 500)])
    with pytest.raises(InputError, match=r"at least two periods, got 1"):
        period_pairs(one)


def test_consecutive_contributions_over_three_periods_by_hand():
    """Per pair, effective weight x change of score (see THREE). A 2000->2005: a .25 x 50 =
    12.5, b .25 x 100 = 25, c .5 x 50 = 25 (index +62.5); 2005->2010: a -6.25, b -12.5, c 25
    (+6.25). B 2000->2005: -6.25, -25, -50 (-81.25); 2005->2010: -6.25, 12.5, 25 (+31.25).
    Base to end A: 6.25, 12.5, 50 (68.75); B: -12.5, -12.5, -25 (-50)."""
    b = make_build(THREE)
    t = contributions(b, consecutive=True)
    assert sorted(set(zip(t["base"], t["end"], strict=True))) == [(2000, 2005), (2005, 2010)]
    expect = {(2000, "A"): [12.5, 25, 25, 62.5], (2005, "A"): [-6.25, -12.5, 25, 6.25],
              (2000, "B"): [-6.25, -25, -50, -81.25], (2005, "B"): [-6.25, 12.5, 25, 31.25]}
    for (base, unit), v in expect.items():
        sub = t[(t["base"] == base) & (t["unit"] == unit)].set_index("code")
        assert sub.loc[["a", "b", "c", "I"], "contribution"].tolist() == pytest.approx(v), (
            base, unit)
        assert sub.loc["I", "end"] == base + 5
    whole = contributions(b).set_index(["unit", "code"])["contribution"]
    assert whole.loc["A"].loc[["a", "b", "c", "I"]].tolist() == pytest.approx([6.25, 12.5, 50,
                                                                               68.75])
    assert whole.loc["B"].loc[["a", "b", "c", "I"]].tolist() == pytest.approx([-12.5, -12.5,
                                                                               -25, -50])
    lf = leading_factors(b, consecutive=True, n=1)
    # A 2000->2005: b and c tie at 25 (both rank 1); C: three tied zeros
    a0 = lf[(lf["base"] == 2000) & (lf["unit"] == "A")]
    assert sorted(a0["code"]) == ["b", "c"] and a0["rank"].tolist() == [1, 1]
    top = lf[lf["unit"] == "B"].set_index("base")
    assert top["code"].to_dict() == {2000: "c", 2005: "c"}
    assert top["index_change"].to_dict() == {2000: -81.25, 2005: 31.25}


def test_zero_contribution_is_neutral_not_a_driver_or_drag():
    """C does not change: every contribution is exactly 0 -> role 'neutral', ranks tie at 1,
    no driver or drag rank; B's negative contributions are drags, ranked by size."""
    t = contributions(make_build(THREE), 2000, 2005)
    c = t[t["unit"] == "C"].set_index("code")
    assert c.loc[["a", "b", "c", "D1", "D2"], "role"].tolist() == ["neutral"] * 5
    assert c.loc[["a", "b", "c"], "rank"].tolist() == [1, 1, 1]
    assert c.loc[["a", "b", "c"], "driver_rank"].isna().all()
    assert c.loc[["a", "b", "c"], "drag_rank"].isna().all()
    assert pd.isna(c.loc["I", "role"]) and pd.isna(c.loc[COVERAGE, "role"])
    bb = t[t["unit"] == "B"].set_index("code")
    assert bb.loc[["a", "b", "c"], "role"].tolist() == ["drag"] * 3
    assert bb.loc[["c", "b", "a"], "drag_rank"].tolist() == [1, 2, 3]
    assert bb.loc[["D2", "D1"], "drag_rank"].tolist() == [1, 2]  # -50 and -31.25
    assert bb.loc["c", "share"] == pytest.approx(50 / 81.25)


def test_geometric_with_per_period_bounds_by_hand():
    """a, b directly under the index (weights 1/2), min-max onto [1, 100] per period, geometric
    mean. a: period 1 (0, 5, 10) -> (1, 50.5, 100), period 2 (10, 15, 30) -> (1, 25.75, 100);
    b (1, 2, 3) -> (1, 50.5, 100) in both. Unit V: I_1 = 50.5, I_2 = sqrt(25.75 x 50.5).
    Log contribution of a: .5 ln(25.75/50.5); in points L(I_2, I_1) times it = I_2 - I_1.
    Real change of a's score at fixed bounds (Shapley average of the two periods' bounds):
    r = .5 x 10 x 99 x (1/10 + 1/20) = 74.25 points; in index points L(I_2, I_1) x .5 x r /
    L(25.75, 50.5); the rest is the bound effect."""
    fw = Framework(indicators=[{"code": "a", "parent": "I", "direction": 1},
                               {"code": "b", "parent": "I", "direction": 1}],
                   aggregates=[{"code": "I"}])
    rows = [("U", 1, 0, 1), ("V", 1, 5, 2), ("W", 1, 10, 3),
            ("U", 2, 10, 1), ("V", 2, 15, 2), ("W", 2, 30, 3)]
    t = contributions(make_build(rows, bounds="per_period", fw=fw, method="geometric",
                                 rng=(1.0, 100.0)))

    def lm(x, y):
        return (x - y) / (math.log(x) - math.log(y))

    i1, i2 = 50.5, math.sqrt(25.75 * 50.5)
    v = row(t, "V", "a")
    assert v.contribution_log == pytest.approx(0.5 * math.log(25.75 / 50.5), rel=1e-12)
    assert v.contribution == pytest.approx(i2 - i1, rel=1e-12)
    real = lm(i2, i1) * 0.5 * 74.25 / lm(25.75, 50.5)
    assert v.contribution_real == pytest.approx(real, rel=1e-12)
    assert v.contribution_bounds == pytest.approx(i2 - i1 - real, rel=1e-12)
    assert row(t, "V", "b").contribution == 0.0 and row(t, "V", "b").contribution_real == 0.0


def test_decomposition_refusals_name_the_reason():
    from gipro import InputError

    b = make_build(THREE)
    with pytest.raises(InputError, match=r"n must be >= 1, got 0"):
        leading_factors(b, n=0)
    with pytest.raises(InputError, match=r"no indicators or aggregates at level 5"):
        leading_factors(b, level=5)
    with pytest.raises(InputError, match=r"availability has 2 columns, the framework 3 "
                                         r"indicators"):
        effective_weights(FW, np.ones(2, dtype=bool))
    z = make_build(THREE, method="geometric", rng=(1.0, 100.0))
    z2 = z.with_step("aggregate", by_code={"D1": {"method": "geometric", "shift": 1.0}}).run()
    with pytest.raises(MethodError, match=r"the geometric means use different shifts \(0, 1\)"):
        contributions(z2)
    zs = make_build(ARITH).with_step("normalise", method="zscore", bounds="per_period").run()
    with pytest.raises(MethodError, match=r"normalisation step 'normalise' \(method 'zscore', "
                                          r"bounds 'per_period'\) does not keep scores "
                                          r"comparable"):
        contributions(zs)
    nob = make_build(THREE)
    nob.log = [e for e in nob.log if e.step != "aggregate"]
    with pytest.raises(InputError, match=r"the build has no aggregate step"):
        contributions(nob)


def test_the_last_of_two_aggregate_steps_is_decomposed():
    """A recipe with an equal-weights aggregate step first (docs/steps/weight.md) and the
    aggregate with the manual weights last: the decomposition is that of the last step, so
    the hand values of test_arithmetic_with_manual_weights_hand_example (framework weights
    would give B's contributions 12.5, -18.75, 25)."""
    import pandas as pd

    from gipro import Build, Panel

    df = pd.DataFrame(ARITH, columns=["unit", "period", *FW.indicator_codes])
    recipe = {"framework": "unused", "data": {"path": "unused.csv"},
              "steps": [{"step": "normalise", "range": [0.0, 100.0]},
                        {"step": "aggregate", "name": "first", "output": "first"},
                        *_manual(),
                        {"step": "aggregate", "name": "final", "input": "normalised",
                         "weights": "mw", "output": "final"}]}
    b = Build(recipe, framework=FW, panel=Panel.from_wide(df, unit="unit",
                                                          period="period")).run()
    t = contributions(b)
    for c, v in {"a": 9.375, "b": -4.6875, "c": 37.5, "I": 42.1875}.items():
        assert row(t, "B", c).contribution == pytest.approx(v, abs=1e-12), c
    assert set(weights_used(b)["weight_set"]) == {"mw"}


def test_weights_note_names_the_set_that_was_used():
    """The note names each weight set the aggregate step used with its method and step: the
    manual sets of _manual(), and a weight step whose output is called 'framework' (it
    replaces the framework's weights in the build, so they are not 'the framework's
    weights')."""
    from gipro.decompose import weights_note

    b = make_build(ARITH, weight_steps=_manual(), weights="mw")
    assert weights_note(b).endswith("weight set 'mw' (manual, step 'w_dim')")
    named = [{"step": "weight", "method": "manual", "values": {"a": 3.0, "b": 1.0, "c": 1.0},
              "output": "framework"}]
    b2 = make_build(ARITH, weight_steps=named, weights="framework")
    assert weights_note(b2).endswith("weight set 'framework' (manual, step 'weight')")


def test_index_on_a_large_scale_decomposes():
    """Scores on [0, 1e9] with weights 1/3, 1/7, 1/11: the index and its reconstruction from
    the effective weights differ by rounding (about 1e-16 of 1e9), which the check allows
    relative to the index's size; the contributions add up to each unit's index change
    (an identity of the arithmetic decomposition, Ang 2004)."""
    rows = [("A", 2000, 1 / 3, 2 / 7, 5 / 11), ("A", 2010, 1 / 7, 3 / 13, 1 / 17),
            ("B", 2000, 1 / 9, 5 / 19, 7 / 23), ("B", 2010, 1 / 29, 7 / 31, 3 / 37),
            ("C", 2000, 0.2, 0.3, 0.4), ("C", 2010, 0.5, 0.6, 0.1)]
    w = [{"step": "weight", "method": "manual", "values": {"a": 1 / 3, "b": 1 / 7, "c": 1 / 11},
          "output": "m"}]
    b = make_build(rows, rng=(0.0, 1e9), weight_steps=w, weights="m")
    t = contributions(b)
    idx = b.final.column("I")
    for k, u in enumerate(b.final.units):
        parts = sum(row(t, u, c).contribution for c in ("a", "b", "c", COVERAGE))
        assert parts == pytest.approx(idx[1, k] - idx[0, k], rel=1e-9, abs=1e-3)
        assert row(t, u, "I").contribution == pytest.approx(idx[1, k] - idx[0, k], rel=1e-12)


def test_contributions_below_one_are_drivers_and_drags():
    """ARITH onto [0, 1] instead of [0, 100]: every score and contribution of
    test_arithmetic_hand_example divided by 100. A: a 0.0625, b 0.125, c 0.125, all
    drivers (c and b tie at rank 1); B: b -0.1875 a drag, c 0.25 and a 0.125 drivers."""
    t = contributions(make_build(ARITH, rng=(0.0, 1.0)))
    a = t[t["unit"] == "A"].set_index("code")
    assert a.loc[["a", "b", "c"], "contribution"].tolist() == pytest.approx([0.0625, 0.125,
                                                                            0.125])
    assert a.loc[["a", "b", "c", "D1", "D2"], "role"].tolist() == ["driver"] * 5
    b = t[t["unit"] == "B"].set_index("code")
    assert b.loc[["a", "b", "c"], "role"].tolist() == ["driver", "drag", "driver"]
    assert b.loc["b", "contribution"] == pytest.approx(-0.1875)
    assert b.loc[["c", "a"], "driver_rank"].tolist() == [1, 2]
