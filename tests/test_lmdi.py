"""LMDI-I decomposition: logarithmic mean, zero values, published toy cases, properties.

References for expected values: ``coinr_cases.md`` B13 (Ang's toy case: +28.9694, -10.0173,
-10.9521, sum 8), ``field_cases.md`` B22 (Wood & Lenzen 2006 / Ang & Liu 2007 zero and equal
values), hand calculations in docstrings, and a 50-digit ``decimal`` evaluation of L(a, b).
"""

from __future__ import annotations

import csv
import math
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gipro
from gipro.errors import InputError, MethodError
from gipro.lmdi import Identity, factor_table, lmdi
from gipro.methods.lmdi import additive, logmean, multiplicative

PKG = Path(gipro.__file__).parent


def decimal_logmean(a: float, b: float) -> float:
    """L(a, b) in 50-digit decimal arithmetic from the exact binary values of a and b."""
    getcontext().prec = 50
    da, db = Decimal(a), Decimal(b)
    if da == db:
        return float(da)
    return float((da - db) / (da.ln() - db.ln()))


# ---------------------------------------------------------------------- logarithmic mean
@pytest.mark.parametrize("a,b", [
    (108.0, 100.0), (1.0, 1.0 + 1e-15), (1.0, 1.0 + 1e-9), (1.0, 1.0 + 2e-4), (3.0, 1.0),
    (1e-300, 1.0), (1e6, 1e-6), (7.5, 7.5), (0.1, 0.10000000001), (5.0, 4.0),
])
def test_logmean_matches_50_digit_reference(a, b):
    assert logmean(a, b) == pytest.approx(decimal_logmean(a, b), rel=4e-16, abs=0)
    assert logmean(b, a) == logmean(a, b)


def test_logmean_equal_in_the_last_bit_field_case_b22():
    """B22: L(120*(0.1/1.2), 10.0) must be 10; naive (a-b)/(ln a - ln b) gives inf here."""
    a = 120 * (0.1 / 1.2)
    assert a != 10.0  # 10.000000000000002
    v = float(logmean(a, 10.0))
    assert math.isfinite(v) and v == pytest.approx(10.0, rel=1e-15)


def test_logmean_zero_limits_and_errors():
    assert logmean([0.0, 0.0, 4.0], [0.0, 2.0, 0.0]).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(MethodError, match=r"negative|>= 0"):
        logmean(-1.0, 2.0)
    with pytest.raises(MethodError, match=r"finite values >= 0; argument a has nan"):
        logmean(np.nan, 2.0)


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-200, 1e200), st.floats(1e-200, 1e200))
def test_logmean_between_geometric_and_arithmetic_mean(a, b):
    """sqrt(ab) <= L(a, b) <= (a + b)/2 (Carlson 1972), symmetric."""
    v = float(logmean(a, b))
    assert math.sqrt(a) * math.sqrt(b) * (1 - 1e-14) <= v <= (a / 2 + b / 2) * (1 + 1e-14)
    assert v == float(logmean(b, a))


# ---------------------------------------------------------------------- published cases
# B13 toy: Q 200 -> 220 split (100, 100) -> (120, 100); intensity (1, 2) -> (0.9, 2).
B13_0 = np.array([[200.0, 0.5, 1.0], [200.0, 0.5, 2.0]])
B13_T = np.array([[220.0, 120 / 220, 0.9], [220.0, 100 / 220, 2.0]])


def test_b13_additive_and_multiplicative():
    """coinr_cases B13: activity +28.9694, structure -10.0173, intensity -10.9521, sum 8."""
    eff = additive(B13_0, B13_T).sum(axis=0)
    assert eff.round(4).tolist() == [28.9694, -10.0173, -10.9521]
    assert eff.sum() == pytest.approx(8.0, abs=1e-12)
    d = multiplicative(B13_0, B13_T)
    assert np.prod(d) == pytest.approx(308 / 300, rel=1e-14)
    # ln D_k / ln D_tot = dV_k / dV_tot (B13 property)
    assert np.allclose(np.log(d) / math.log(308 / 300), eff / 8.0, rtol=1e-12)


def test_b13_through_the_tidy_identity():
    t = pd.DataFrame({"unit": "X", "period": [2000, 2000, 2010, 2010],
                      "sector": ["s1", "s2", "s1", "s2"],
                      "q": [100.0, 100, 120, 100], "i": [1.0, 2, 0.9, 2]})
    ident = Identity({"activity": "total(q)", "structure": "q / total(q)", "intensity": "i"},
                     value="q * i")
    r = lmdi(t, ident, sector="sector").set_index("factor")
    assert r.loc[["activity", "structure", "intensity"], "additive"].round(4).tolist() == [
        28.9694, -10.0173, -10.9521]
    assert r.loc["total", "additive"] == pytest.approx(8.0)
    assert r.loc["total", "multiplicative"] == pytest.approx(308 / 300)
    assert r.loc[["activity", "structure", "intensity"], "multiplicative"].prod() == \
        pytest.approx(308 / 300, rel=1e-14)


def test_b22_sector_appears():
    """B22 input 1: Q 100 -> 120, S (1, 0) -> (.8, .2), I (.5, .3) -> (.5, .25).

    Expected (analytical limits): dQ = 8.932516, dS = -4.932516, dI = 0, sum 4 exactly.
    By hand: sector 1 L(48, 50) = 2/ln(50/48) = 48.99320; dQ = 48.99320 ln 1.2 = 8.932516,
    dS = 48.99320 ln 0.8 = -10.932516; sector 2 appears (S was 0): its whole 6 goes to S.
    """
    x0 = np.array([[100.0, 1.0, 0.5], [100.0, 0.0, 0.3]])
    xT = np.array([[120.0, 0.8, 0.5], [120.0, 0.2, 0.25]])
    eff = additive(x0, xT).sum(axis=0)
    assert eff == pytest.approx([8.932516, -4.932516, 0.0], abs=1e-6)
    assert eff[2] == 0.0
    assert eff.sum() == pytest.approx(4.0, abs=1e-12)
    # the sector that disappears (periods swapped) gives -6 to S: every sign flips
    assert additive(xT, x0).sum(axis=0) == pytest.approx(-eff, abs=1e-12)
    # the small-value strategy converges only slowly (B22: dQ 8.9836 at delta 1e-10)
    x0d = x0.copy()
    x0d[1, 1] = 1e-10
    assert additive(x0d, xT).sum(axis=0)[0] == pytest.approx(8.9836, abs=1e-4)


def test_b22_offsetting_factors_in_an_unchanged_sector():
    """B22 input 2: Q 100 -> 125, I (.5, .1) -> (.5, .08); C0 = (50, 10), CT = (62.5, 10).

    Expected dQ = 14.731436, dI = -2.231436 (sum 12.5): sector 2 gives 10 ln 1.25 = +2.2314 to
    Q and 10 ln 0.8 = -2.2314 to I; dropping its 0/0 would wrongly give dQ = 12.5, dI = 0.
    """
    x0 = np.array([[100.0, 0.5], [100.0, 0.1]])
    xT = np.array([[125.0, 0.5], [125.0, 0.08]])
    eff = additive(x0, xT).sum(axis=0)
    assert eff == pytest.approx([14.731436, -2.231436], abs=1e-6)
    assert eff.sum() == pytest.approx(12.5, abs=1e-12)


def test_two_factors_zero_share_equally():
    """A sector appearing with two factors at zero in the base period: the limit with one
    common delta gives each zero factor half of V_T (derived in gipro.methods.lmdi):
    V_T = 2*3*1 = 6 -> (0, 3, 3)."""
    eff = additive(np.array([[2.0, 0.0, 0.0]]), np.array([[2.0, 3.0, 1.0]]))
    assert eff.tolist() == [[0.0, 3.0, 3.0]]


def test_single_sector_hand_case():
    """V = x*y, x 2 -> 4, y 3 -> 3: V 6 -> 12, x gets L(12, 6) ln 2 = 6/ln2 * ln2 = 6, y 0."""
    eff = additive(np.array([[2.0, 3.0]]), np.array([[4.0, 3.0]]))
    assert eff[0, 0] == pytest.approx(6.0, abs=1e-13) and eff[0, 1] == 0.0
    assert multiplicative(np.array([[2.0, 3.0]]), np.array([[4.0, 3.0]])).tolist() == \
        pytest.approx([2.0, 1.0])


def test_kernel_errors():
    with pytest.raises(MethodError, match=r"LMDI: b is missing \(NaN\) in the base period at "
                                          r"position \(0,\) \(1 such values\)"):
        additive(np.array([[1.0, np.nan]]), np.array([[1.0, 2.0]]), names=["a", "b"])
    with pytest.raises(MethodError, match=r"LMDI: factor 1 is negative \(-2\) in the base"):
        additive(np.array([[1.0, -2.0]]), np.array([[1.0, 2.0]]))
    with pytest.raises(MethodError, match=r"LMDI: factor 0 is infinite in the end period at "
                                          r"position \(1,\) \(2 such values\)"):
        additive(np.ones((2, 2)), np.array([[1.0, 1.0], [np.inf, np.inf]]))
    with pytest.raises(MethodError, match=r"base and end arrays differ in shape: \(1, 2\) vs "
                                          r"\(2, 2\)"):
        additive(np.ones((1, 2)), np.ones((2, 2)))
    with pytest.raises(MethodError, match=r"factor arrays need shape \(\.\.\., n_sectors, "
                                          r"n_factors\)"):
        additive(np.ones(2), np.ones(2))
    with pytest.raises(MethodError, match=r"argument a has -1\.0 \(1 such values\)"):
        logmean(-1.0, 2.0)
    with pytest.raises(MethodError, match=r"argument b has inf \(2 such values\)"):
        logmean([1.0, 2.0], [np.inf, np.inf])
    assert np.isnan(multiplicative(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))).all()
    assert np.isnan(multiplicative(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]))).all()
    with pytest.raises(MethodError, match=r"argument a has -1\.0 \(1 such values\)"):
        logmean([1.0, -1.0, 3.0], 2.0)
    # an aggregate below 1 is a ratio like any other: V 0.5 -> 1, D = (2, 1)
    np.testing.assert_allclose(multiplicative(np.array([[0.5, 1.0]]), np.array([[1.0, 1.0]])),
                               [2.0, 1.0], rtol=1e-14)


def test_kernels_on_leading_axes_and_a_vanishing_sector():
    """Two units (leading axis) of two sectors: unit 1 is the single-sector hand case plus a
    sector at zero in both periods (contributes nothing): x 2 -> 4, y 3 -> 3 gives (6, 0),
    D = (2, 1); unit 2: sector 1 unchanged (1, 5), sector 2 vanishes, (2, 1) -> (2, 0): its
    whole -2 goes to y, the factor that becomes 0. V 7 -> 5: x effect 0, y effect -2, so
    D_x = 1 and D_y = exp(-2/L(5, 7)) = exp(ln(5/7)) = 5/7."""
    x0 = np.array([[[2.0, 3.0], [0.0, 0.0]], [[1.0, 5.0], [2.0, 1.0]]])
    xT = np.array([[[4.0, 3.0], [0.0, 0.0]], [[1.0, 5.0], [2.0, 0.0]]])
    eff = additive(x0, xT)
    np.testing.assert_allclose(eff.sum(axis=-2), [[6.0, 0.0], [0.0, -2.0]], atol=1e-13)
    assert eff[0, 1].tolist() == [0.0, 0.0] and eff[1, 1].tolist() == [0.0, -2.0]
    d = multiplicative(x0, xT)
    np.testing.assert_allclose(d, [[2.0, 1.0], [1.0, 5 / 7]], rtol=1e-13)
    assert logmean(np.zeros((2, 2)), 0.0).tolist() == [[0.0, 0.0], [0.0, 0.0]]


# ---------------------------------------------------------------------- properties
factor_arrays = arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 4),
                                             st.integers(1, 4)),
                       elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e3)))


@settings(max_examples=200, deadline=None)
@given(factor_arrays, st.data())
def test_effects_add_and_multiply_to_the_total(x0, data):
    xT = data.draw(arrays(np.float64, x0.shape, elements=st.one_of(
        st.just(0.0), st.floats(1e-3, 1e3))))
    eff = additive(x0, xT)
    dv = np.prod(xT, -1).sum(-1) - np.prod(x0, -1).sum(-1)
    scale = np.maximum(1.0, np.maximum(np.prod(xT, -1).sum(-1), np.prod(x0, -1).sum(-1)))
    assert np.all(np.abs(eff.sum(axis=(-2, -1)) - dv) <= 1e-12 * scale)
    d = multiplicative(x0, xT)
    v0, vT = np.prod(x0, -1).sum(-1), np.prod(xT, -1).sum(-1)
    ok = (v0 > 0) & (vT > 0)
    assert np.allclose(np.prod(d, axis=-1)[ok], (vT / np.where(ok, v0, 1))[ok], rtol=1e-12)
    # swapping the periods flips every sign
    assert np.allclose(additive(xT, x0), -eff, rtol=1e-12, atol=1e-12 * scale.max())


@settings(max_examples=100, deadline=None)
@given(factor_arrays, st.data())
def test_unchanged_factor_contributes_exactly_zero(x0, data):
    xT = data.draw(arrays(np.float64, x0.shape, elements=st.floats(1e-3, 1e3)))
    x0 = np.where(x0 > 0, x0, 1.0)
    k = data.draw(st.integers(0, x0.shape[-1] - 1))
    xT[..., k] = x0[..., k]
    assert (additive(x0, xT)[..., k] == 0.0).all()


# ---------------------------------------------------------------------- tidy layer
def toy_panel():
    return pd.DataFrame({
        "unit": ["A"] * 3 + ["B"] * 3,
        "period": [1, 2, 3] * 2,
        "pop": [10.0, 11, 12, 5, 5, 6],
        "gdp": [100.0, 130, 150, 40, 44, 50],
        "co2": [50.0, 52, 51, 30, 29, 35],
    })


KAYA = Identity({"population": "pop", "affluence": "gdp / pop", "intensity": "co2 / gdp"},
                value="co2", name="Kaya")


def test_chained_effects_sum_steps_and_telescope():
    t = toy_panel()
    steps = lmdi(t, KAYA, chain=True)
    st_ = steps[steps["kind"] == "step"]
    ch = steps[steps["kind"] == "chained"].set_index(["unit", "factor"])
    summed = st_.groupby(["unit", "factor"])["additive"].sum()
    assert np.allclose(ch["additive"], summed.reindex(ch.index))
    prod = st_.groupby(["unit", "factor"])["multiplicative"].prod()
    assert np.allclose(ch["multiplicative"], prod.reindex(ch.index))
    # chained total = V_end - V_base exactly as the data say: A 51 - 50, B 35 - 30
    assert ch.loc[("A", "total"), "additive"] == pytest.approx(1.0)
    assert ch.loc[("B", "total"), "additive"] == pytest.approx(5.0)
    direct = lmdi(t, KAYA).set_index(["unit", "factor"])
    assert direct.loc[("A", "total"), "additive"] == pytest.approx(1.0)
    assert (direct["kind"] == "period").all()


def test_hand_kaya_two_periods():
    """Unit B, periods 1 -> 2: pop 5 -> 5, gdp 40 -> 44, co2 30 -> 29.

    population unchanged: 0 exactly. L(29, 30) = 1/ln(30/29) = 29.49718;
    affluence = L * ln(8.8/8) = 29.49718 * 0.0953102 = 2.811382;
    intensity = L * ln((29/44)/(30/40)) = 29.49718 * ln(0.878788) = -3.811382; sum -1.
    """
    r = lmdi(toy_panel(), KAYA, base=1, end=2).set_index(["unit", "factor"])["additive"]
    assert r[("B", "population")] == 0.0
    assert r[("B", "affluence")] == pytest.approx(2.811382, abs=1e-6)
    assert r[("B", "intensity")] == pytest.approx(-3.811382, abs=1e-6)


def test_by_sector_rows_add_to_factor_rows():
    t = pd.DataFrame({"unit": "X", "period": [1, 1, 2, 2], "sector": ["s1", "s2"] * 2,
                      "q": [100.0, 100, 120, 100], "i": [1.0, 2, 0.9, 2]})
    ident = Identity({"activity": "total(q)", "structure": "q / total(q)", "intensity": "i"})
    bys = lmdi(t, ident, sector="sector", by_sector=True)
    tot = lmdi(t, ident, sector="sector").set_index("factor")["additive"]
    summed = bys.groupby("factor")["additive"].sum()
    assert np.allclose(summed.reindex(tot.index), tot)
    s2 = bys[(bys["sector"] == "s2")].set_index("factor")["additive"]
    assert s2["intensity"] == 0.0  # sector 2 intensity unchanged


def test_tidy_errors_name_the_cell():
    t = toy_panel()
    bad = t.copy()
    bad.loc[4, "co2"] = np.nan
    with pytest.raises(InputError, match="unit=B, period=2"):
        lmdi(bad, KAYA)
    with pytest.raises(InputError, match="duplicate"):
        lmdi(pd.concat([t, t.iloc[:1]]), KAYA)
    with pytest.raises(InputError, match="no row for unit B, period 3"):
        lmdi(t.iloc[:-1], KAYA)
    off = Identity({"population": "pop", "affluence": "gdp / pop"}, value="co2")
    with pytest.raises(InputError, match="identity does not hold"):
        lmdi(t, off)
    with pytest.raises(InputError, match="not in the table"):
        lmdi(t, ["pop", "nope"])
    with pytest.raises(InputError, match="division by zero"):
        lmdi(t.assign(gdp=0.0), KAYA)
    with pytest.raises(InputError, match="reserved"):
        Identity({"total": "pop"})
    with pytest.raises(InputError, match="period 9"):
        lmdi(t, KAYA, base=9)


def test_zero_over_zero_is_one_in_an_empty_sector():
    """A sector with no activity and no emissions in the base: structure 0, intensity 0/0 -> 1;
    it appears in the end period with q 20, co2 10: its 10 goes to structure (B22 rule)."""
    t = pd.DataFrame({"unit": "X", "period": [1, 1, 2, 2], "sector": ["s1", "s2"] * 2,
                      "q": [100.0, 0, 100, 20], "co2": [50.0, 0, 50, 10]})
    ident = Identity({"activity": "total(q)", "structure": "q / total(q)",
                      "intensity": "co2 / q"}, value="co2")
    ft = factor_table(t, ident, sector="sector")
    assert ft.loc[(ft["period"] == 1) & (ft["sector"] == "s2"), "intensity"].item() == 1.0
    r = lmdi(t, ident, sector="sector", by_sector=True)
    s2 = r[r["sector"] == "s2"].set_index("factor")["additive"]
    assert s2.to_dict() == {"activity": 0.0, "structure": 10.0, "intensity": 0.0, "total": 10.0}


def test_kaya_on_the_embedded_data_plain_python():
    """Kaya LMDI of Beijing's CO2 2006 -> 2015 recomputed in plain Python (csv + math) from the
    shipped file: L(C_T, C_0) * ln(x_T / x_0) for each factor."""
    with open(PKG / "datasets" / "data" / "china_provinces.csv", encoding="utf-8") as f:
        rows = {(r["unit"], int(r["period"])): r for r in csv.DictReader(f)}
    r0, r1 = rows[("Beijing", 2006)], rows[("Beijing", 2015)]
    p0, p1 = float(r0["population"]), float(r1["population"])
    g0, g1 = float(r0["gdp_real_2015prices"]), float(r1["gdp_real_2015prices"])
    c0, c1 = float(r0["co2_total"]), float(r1["co2_total"])
    lm = (c1 - c0) / (math.log(c1) - math.log(c0))
    expected = {"population": lm * math.log(p1 / p0),
                "affluence": lm * math.log((g1 / p1) / (g0 / p0)),
                "intensity": lm * math.log((c1 / g1) / (c0 / g0))}
    panel = gipro.datasets.china_provinces().values.reset_index()
    ident = Identity({"population": "population",
                      "affluence": "gdp_real_2015prices / population",
                      "intensity": "co2_total / gdp_real_2015prices"}, value="co2_total")
    sub = panel[panel["period"].isin([2006, 2015])]
    r = lmdi(sub, ident).set_index(["unit", "factor"])["additive"]
    for k, v in expected.items():
        assert r[("Beijing", k)] == pytest.approx(v, rel=1e-12)
    assert r[("Beijing", "total")] == pytest.approx(c1 - c0, rel=1e-12)


def test_sector_table_adds_up_to_panel_total():
    """The embedded CEADs sector groups add up to the panel's co2_total (CEADs total row)
    within 0.002 Mt, and heavy + other industry to co2_industry."""
    sec = gipro.datasets.china_provinces_co2_sectors()
    wide = sec.pivot_table(index=["unit", "period"], columns="sector", values="co2")
    panel = gipro.datasets.china_provinces().values
    both = panel.join(wide, how="inner")
    assert len(both) == 596  # 600 minus Ningxia 2000-2002 and Hainan 2002
    total = wide.sum(axis=1).reindex(both.index)
    assert (total - both["co2_total"]).abs().max() < 0.002
    ind = both["heavy_industry"] + both["other_industry"] - both["co2_industry"]
    assert ind.abs().max() < 0.002
    assert sec["co2"].isna().sum() == 4 * 9


# ---------------------------------------------------------------- trial 4 findings
def test_only_the_compared_periods_are_checked():
    """A missing value in a year outside base..end does not stop the decomposition (the
    docs' Kaya example on the built-in data has gaps before 2006); inside the span it is an
    error. Hand: X 2000 -> 2010, CO2 = P x (CO2/P): P 10 -> 12, c 2 -> 2.5;
    V 20 -> 30, L(30, 20) = 10 / ln 1.5; population effect L ln 1.2, carbon L ln 1.25."""
    t = pd.DataFrame({"unit": "X", "period": [1995, 2000, 2005, 2010],
                      "p": [np.nan, 10.0, 11.0, 12.0], "c": [1.0, 2.0, 2.2, 2.5]})
    r = lmdi(t, ["p", "c"], base=2000, end=2010).set_index("factor")["additive"]
    lw = 10 / math.log(1.5)
    assert r["p"] == pytest.approx(lw * math.log(1.2), rel=1e-12)
    assert r["c"] == pytest.approx(lw * math.log(1.25), rel=1e-12)
    with pytest.raises(InputError, match="'p' is missing for unit=X, period=1995"):
        lmdi(t, ["p", "c"], base=1995, end=2010)


def test_text_periods_and_division_by_zero_messages():
    t = pd.DataFrame({"unit": "X", "period": ["2000", "2000", "2010", "2010"],
                      "sector": ["a", "b"] * 2, "e": [1.0, 2, 3, 4], "va": [1.0, 0, 2, 2]})
    with pytest.raises(InputError, match="periods in column 'period' are not numbers") as e:
        lmdi(t, Identity({"energy": "e", "ei": "e / va"}), sector="sector", base=2000,
             end=2010)
    assert "astype(int)" in e.value.details[0]
    t["period"] = t["period"].astype(int)
    with pytest.raises(InputError, match="division by zero in factor 'ei' = 'e / va'") as e:
        lmdi(t, Identity({"energy": "e", "ei": "e / va"}), sector="sector")
    assert e.value.details[0] == "unit=X, period=2000, sector=b"


def test_values_1e300_apart_give_finite_effects_that_add_up():
    """x 1e-300 -> 1e300 (ratio 1e600 overflows a float), y 1 -> 2: ln of the ratio is
    ln(1e300) - ln(1e-300) = 600 ln 10; effects finite and summing to the total change."""
    t = pd.DataFrame({"unit": "Z", "period": [1, 2], "x": [1e-300, 1e300], "y": [1.0, 2.0]})
    r = lmdi(t, ["x", "y"]).set_index("factor")
    eff = r["additive"]
    assert np.isfinite(eff).all()
    assert eff["x"] + eff["y"] == pytest.approx(eff["total"], rel=1e-12)
    lw = (2e300 - 1e-300) / (math.log(2e300) - math.log(1e-300))
    assert eff["y"] == pytest.approx(lw * math.log(2.0), rel=1e-12)


# ---------------------------------------------------------------- tidy layer edges
def test_chains_forwards_and_backwards_by_hand():
    """One factor, V = x: each effect is the change itself (L(a, b) ln(a/b) = a - b) and each
    ratio the growth. X: 10 -> 20 -> 15: steps +10 (x2), -5 (x0.75); chained +5 (x1.5). Run
    backwards (base 3, end 1): steps 3 -> 2 (+5, x4/3) and 2 -> 1 (-10, x0.5), chained -5
    (x2/3). Y has V = 0 in period 1: no ratio (NaN), additive effects still defined."""
    t = pd.DataFrame({"unit": ["X"] * 3 + ["Y"] * 3, "period": [1, 2, 3] * 2,
                      "x": [10.0, 20.0, 15.0, 0.0, 4.0, 6.0]})
    r = lmdi(t, ["x"], chain=True)
    x = r[(r["unit"] == "X") & (r["factor"] == "x")]
    assert x[["kind", "base", "end"]].values.tolist() == [["step", 1, 2], ["step", 2, 3],
                                                          ["chained", 1, 3]]
    np.testing.assert_allclose(x["additive"], [10, -5, 5], rtol=1e-14)
    np.testing.assert_allclose(x["multiplicative"], [2, 0.75, 1.5], rtol=1e-14)
    assert x[["value_base", "value_end"]].values.tolist() == [[10, 20], [20, 15], [10, 15]]
    back = lmdi(t, ["x"], base=3, end=1, chain=True)
    xb = back[(back["unit"] == "X") & (back["factor"] == "total")]
    assert xb[["base", "end"]].values.tolist() == [[3, 2], [2, 1], [3, 1]]
    np.testing.assert_allclose(xb["additive"], [5, -10, -5], rtol=1e-14)
    np.testing.assert_allclose(xb["multiplicative"], [4 / 3, 0.5, 2 / 3], rtol=1e-14)
    y = r[(r["unit"] == "Y") & (r["factor"] == "x")]
    np.testing.assert_allclose(y["additive"], [4, 2, 6], rtol=1e-14)
    assert np.isnan(y["multiplicative"].iloc[0]) and np.isnan(y["multiplicative"].iloc[2])
    assert y["multiplicative"].iloc[1] == pytest.approx(1.5)


def test_sector_rows_chained():
    """Two sectors, V_i = q_i: sector s1 100 -> 120 -> 90, s2 50 -> 50 -> 60. By sector and
    chained: s1 +20, -30, chained -10; s2 0, +10, chained +10; the sector's own ratio on its
    total row (s1 chained 0.9) and no ratio on factor rows."""
    t = pd.DataFrame({"unit": "X", "period": [1, 1, 2, 2, 3, 3], "sector": ["s1", "s2"] * 3,
                      "q": [100.0, 50, 120, 50, 90, 60]})
    r = lmdi(t, ["q"], sector="sector", chain=True, by_sector=True)
    s1 = r[(r["sector"] == "s1") & (r["factor"] == "q")]
    np.testing.assert_allclose(s1["additive"], [20, -30, -10], rtol=1e-14)
    assert s1["multiplicative"].isna().all()
    s2 = r[(r["sector"] == "s2") & (r["factor"] == "total")]
    np.testing.assert_allclose(s2["additive"], [0, 10, 10], atol=1e-13)
    ch = r[(r["kind"] == "chained") & (r["factor"] == "total")].set_index("sector")
    assert ch.loc["s1", "multiplicative"] == pytest.approx(0.9)
    assert ch.loc["s1", ["value_base", "value_end"]].tolist() == [100, 90]


def test_identity_and_expression_rules():
    """Numbers and total() in expressions; anything else is read as one column name (and
    refused if there is none); factor lists, names and tolerance are checked."""
    t = pd.DataFrame({"unit": "X", "period": [1, 1, 2, 2], "sector": ["a", "b"] * 2,
                      "q": [1.0, 3.0, 2.0, 2.0], "e": [2.0, 6.0, 4.0, 4.0]})
    ft = factor_table(t, Identity({"share": "q / total(q)", "kilo": "e * 1000 / q"}),
                      sector="sector")
    assert ft["share"].tolist() == [0.25, 0.75, 0.5, 0.5]
    assert ft["kilo"].tolist() == [2000.0] * 4
    assert ft["value"].tolist() == [500.0, 1500.0, 1000.0, 1000.0]
    for expr in ("q + e", "total(q, e)", "q ** 2", "'q'"):
        with pytest.raises(InputError, match=r"identity refers to column .*, which is not in "
                                             r"the table"):
            factor_table(t, Identity({"f": expr}), sector="sector")
    with pytest.raises(InputError, match=r"column 'sector' is not numeric"):
        factor_table(t, Identity({"f": "sector"}), sector="sector")
    with pytest.raises(InputError, match=r"not a single string 'q'"):
        Identity("q")
    with pytest.raises(InputError, match=r"at least one factor"):
        Identity([])
    with pytest.raises(InputError, match=r"duplicate factor names in identity: \['q'\]"):
        Identity(["q", "q"])
    with pytest.raises(InputError, match=r"identity rtol must be > 0, got 0"):
        Identity(["q"], rtol=0)
    assert str(Identity({"pop": "pop", "x": "q / pop"}, value="v", name="K")) == (
        "K: v = pop x x [q / pop] (summed over sectors)")
    assert str(Identity(["q"])) == "V = q (summed over sectors)"


def test_factor_table_messages_name_cells_and_rows():
    t = pd.DataFrame({"unit": ["A", "A", "B", "B"], "period": [1, 2, 1, 2],
                      "x": [1.0, -2.0, 3.0, 4.0], "y": [1.0, 1.0, 0.0, 0.0],
                      "v": [1.0, -2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match=r"LMDI factor 'x' is negative \(-2\) for unit=A, "
                                         r"period=2 \(1 such cells\)"):
        factor_table(t, ["x"])
    with pytest.raises(InputError, match=r"division by zero in factor 'r' = 'x / y' \(2 rows\)"
                       ) as e:
        factor_table(t, Identity({"r": "x / y"}))
    assert e.value.details[:2] == ["unit=B, period=1", "unit=B, period=2"]
    with pytest.raises(InputError, match=r"LMDI table lacks key columns \['sector'\]"):
        factor_table(t, ["y"], sector="sector")
    with pytest.raises(InputError, match=r"identity value 'w' is missing for unit=A, period=1"):
        factor_table(t.assign(w=[np.nan, 1.0, 1.0, 1.0]), Identity(["y"], value="w"))
    ok = Identity(["y"], value="w", rtol=1e-3)
    factor_table(t.assign(w=[1.0005, 1.0, 0.0, 0.0]), ok)  # within rtol: accepted
    with pytest.raises(InputError, match=r"differs from 'w' by more than rtol=0\.001 in 1 rows"):
        factor_table(t.assign(w=[1.002, 1.0, 0.0, 0.0]), ok)
    with pytest.raises(InputError, match=r"LMDI factor 'x' is infinite"):
        factor_table(t.assign(x=[1.0, np.inf, 1.0, 1.0]), ["x"])


def test_lmdi_period_refusals():
    t = pd.DataFrame({"unit": "X", "period": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"the periods in column 'period' are not numbers "
                                         r"\(e\.g\. '1'\)"):
        lmdi(t.assign(period=["1", "2", "3"]), ["x"])
    with pytest.raises(InputError, match=r"LMDI table lacks key columns \['year'\]"):
        lmdi(t, ["x"], period="year")
    with pytest.raises(InputError, match=r"LMDI table has no rows"):
        lmdi(t.iloc[:0], ["x"])
    with pytest.raises(InputError, match=r"period 9 is not in the LMDI table \(1-3\)"):
        lmdi(t, ["x"], end=9)
    with pytest.raises(InputError, match=r"base and end periods are the same"):
        lmdi(t, ["x"], base=2, end=2)


def test_aggregates_below_one_keep_their_ratios():
    """V = p x q below 1 (shares, tonnes per yuan): p 0.5 -> 0.4, q 1 -> 2, V 0.5 -> 0.8.
    L = (0.8 - 0.5) / ln 1.6; additive p = L ln 0.8, q = L ln 2 (sum 0.3); multiplicative
    p 0.8, q 2, total 1.6 (Ang 2005: D_k = exp(Delta V_k / L(V^T, V^0)))."""
    t = pd.DataFrame({"unit": "X", "period": [1, 2], "p": [0.5, 0.4], "q": [1.0, 2.0]})
    r = lmdi(t, ["p", "q"]).set_index("factor")
    lw = 0.3 / math.log(1.6)
    assert r["additive"].tolist() == pytest.approx([lw * math.log(0.8), lw * math.log(2.0),
                                                    0.3], rel=1e-13)
    assert r["multiplicative"].tolist() == pytest.approx([0.8, 2.0, 1.6], rel=1e-13)
    assert r.index.tolist() == ["p", "q", "total"]


def test_chained_rows_are_numbered_and_a_missing_sector_row_is_named():
    t = pd.DataFrame({"unit": "X", "period": [1, 1, 2, 2, 3], "sector": ["a", "b"] * 2 + ["a"],
                      "q": [1.0, 2.0, 2.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"LMDI table has no row for unit X, period 3, sector "
                                         r"b \(1 missing rows\)"):
        lmdi(t, ["q"], sector="sector")
    r = lmdi(t.iloc[:4], ["q"], sector="sector", chain=True)
    assert r.index.tolist() == list(range(4))  # step rows, then chained rows, numbered anew
    assert r["kind"].tolist() == ["step", "step", "chained", "chained"]


def test_identity_check_names_the_row_with_the_largest_relative_gap():
    """Both rows are off: A by 0.1 on 1 (10 %), B by 5 on 100 (5 %): A is the worst."""
    t = pd.DataFrame({"unit": ["A", "B"], "period": 1, "x": [1.1, 105.0], "w": [1.0, 100.0]})
    with pytest.raises(InputError, match="in 2 rows") as e:
        factor_table(t, Identity(["x"], value="w"))
    assert e.value.details == ["worst: unit=A, period=1: product 1.1 vs 1"]


def test_sector_ratios_below_one_and_of_a_sector_that_appears():
    """by_sector: sector a's V 0.5 -> 0.8 has the ratio 1.6 on its total row; sector b
    appears (0 -> 2): no ratio (NaN), its additive change is 2 (Ang & Liu 2007)."""
    t = pd.DataFrame({"unit": "X", "period": [1, 1, 2, 2], "sector": ["a", "b"] * 2,
                      "q": [0.5, 0.0, 0.8, 2.0]})
    r = lmdi(t, ["q"], sector="sector", by_sector=True).set_index(["sector", "factor"])
    assert r.loc[("a", "total"), "multiplicative"] == pytest.approx(1.6, rel=1e-14)
    assert np.isnan(r.loc[("b", "total"), "multiplicative"])
    assert np.isnan(r.loc[("a", "q"), "multiplicative"])
    assert r["additive"].tolist() == pytest.approx([0.3, 0.3, 2.0, 2.0], rel=1e-14)
