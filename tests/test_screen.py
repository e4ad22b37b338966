"""Screening units by data availability and zeros (reference case B7, COINr test-Screen).

Expected values: which units COINr's test-Screen removes (its data are random; the same
pattern of missing values and zeros is put on a seeded random table here), and hand
calculations for panels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, InputError, MethodError, Panel, run
from gipro.methods.screen import availability, zero_share

CODES = [f"i{k}" for k in range(10)]


def coinr_table() -> pd.DataFrame:
    """COINr test-Screen: 10 units x 10 indicators; a: 50% available, b: 90% available,
    c: 50% zeros, d: 10% zeros."""
    x = np.random.default_rng(0).uniform(0.01, 1.0, size=(10, 10))
    x[0, :5] = np.nan
    x[1, 0] = np.nan
    x[2, :5] = 0.0
    x[3, 0] = 0.0
    df = pd.DataFrame(x, columns=CODES)
    df.insert(0, "unit", list("abcdefghij"))
    df.insert(1, "period", 2020)
    return df


def build(df: pd.DataFrame, **screen) -> object:
    codes = [c for c in df.columns if c not in ("unit", "period")]
    fw = Framework([{"code": c, "parent": "IDX", "direction": 1} for c in codes],
                   [{"code": "IDX"}])
    recipe = {"framework": "x", "data": {"dataset": "china_provinces"},
              "steps": [{"step": "screen", **screen}, {"step": "normalise"},
                        {"step": "aggregate"}]}
    return run(recipe, framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))


def removed(b) -> list[str]:
    return [r["unit"] for r in b.excluded]


def test_kernels_by_hand():
    x = np.array([[1.0, np.nan, 0.0, 0.0], [np.nan] * 4])
    assert availability(x).tolist() == [0.75, 0.0]
    z = zero_share(x)
    assert z[0] == pytest.approx(2 / 3) and np.isnan(z[1])


def test_kernels_over_periods_and_with_negative_values():
    """Two periods of one unit, indicators (1, NaN, 0, -2) and (0, 0, NaN, NaN): per period
    availability 3/4 and 2/4, zero shares 1/3 and 2/2; pooled over periods (axis (0, -1))
    5/8 available, 3 zeros of 5 observed. A negative value is observed and not a zero."""
    x = np.array([[[1.0, np.nan, 0.0, -2.0]], [[0.0, 0.0, np.nan, np.nan]]])
    assert availability(x).tolist() == [[0.75], [0.5]]
    np.testing.assert_allclose(zero_share(x), [[1 / 3], [1.0]], rtol=1e-15)
    assert availability(x, axis=(0, -1)).tolist() == [0.625]
    assert zero_share(x, axis=(0, -1)).tolist() == [0.6]


def test_b7_by_availability_075():
    b = build(coinr_table(), min_availability=0.75)
    assert removed(b) == ["a"]
    assert b.final.units == tuple("bcdefghij")


def test_b7_threshold_1_drops_90_percent():
    assert removed(build(coinr_table(), min_availability=1.0)) == ["a", "b"]


def test_b7_by_zeros():
    """nonzero_thresh 0.75 = at most 25% zeros: drops c (50% zeros), keeps d (10%)."""
    b = build(coinr_table(), min_availability=None, max_zero_share=0.25)
    assert removed(b) == ["c"]
    assert "zero share 50.0% > 25.0%" in b.excluded[0]["reason"]


def test_b7_force_exclude_and_include():
    assert removed(build(coinr_table(), min_availability=1.0, exclude=["f"])) == ["a", "b", "f"]
    b = build(coinr_table(), min_availability=1.0, include=["a"])
    assert removed(b) == ["b"]
    summary = b.fitted["screen"]["summary"].set_index("unit")
    assert summary.loc["a", "kept"] and "include" in summary.loc["a", "reason"]


def test_screened_units_in_exclusions_not_in_results(tmp_path):
    b = build(coinr_table(), min_availability=0.75)
    ex = b.exclusions()
    assert ex["unit"].tolist() == ["a"] and ex["step"].tolist() == ["screen"]
    assert "data availability 50.0% < 75.0%" in ex["reason"].iloc[0]
    assert "a" not in set(b.results()["unit"])
    assert all("a" not in ds.units for n, ds in b.datasets.items() if n != "raw")
    b.write(tmp_path)
    assert pd.read_csv(tmp_path / "exclusions.csv")["unit"].tolist() == ["a"]
    # every unit of the input is in the results or in the exclusions
    assert set(b.results()["unit"]) | set(ex["unit"]) == set(b.datasets["raw"].units)


def test_unknown_forced_unit():
    with pytest.raises(InputError, match="zz"):
        build(coinr_table(), exclude=["zz"])


def test_screening_everything_raises():
    df = coinr_table()
    # every unit misses 2 of its 10 indicators (each indicator still has data somewhere)
    for k in range(10):
        df.loc[k, [CODES[k], CODES[(k + 1) % 10]]] = np.nan
    with pytest.raises(MethodError, match="every unit"):
        build(df, min_availability=0.9)


def test_panel_scopes():
    """Hand: unit p has 2 of 2 indicators in 2000 and 1 of 2 in 2001: pooled availability 75%,
    worst period 50%. Threshold 0.7: all_periods removes p (fails in 2001), pooled keeps it."""
    df = pd.DataFrame({"unit": ["p", "q", "p", "q"], "period": [2000, 2000, 2001, 2001],
                       "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, np.nan, 5.0]})
    b = build(df, min_availability=0.7)
    assert removed(b) == ["p"] and "50.0% in 2001" in b.excluded[0]["reason"]
    assert removed(build(df, min_availability=0.7, scope="pooled")) == []
    assert removed(build(df, min_availability=0.8, scope="pooled")) == ["p"]


def test_log_note_says_how_availability_was_counted():
    """The note states the rule and, with several periods, whether it held in every period or
    pooled (the panel of test_panel_scopes: p is 75 % available pooled, 50 % in 2001); with one
    period it says neither."""
    df = pd.DataFrame({"unit": ["p", "q", "p", "q"], "period": [2000, 2000, 2001, 2001],
                       "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, np.nan, 5.0]})
    every = build(df, min_availability=0.7).log[0].notes
    assert every[0] == "kept units with availability >= 70.0% in every period: 1 of 2 kept"
    assert every[1].startswith("removed: p (")
    pooled = build(df, min_availability=0.7, scope="pooled").log[0].notes
    assert pooled == ["kept units with availability >= 70.0% pooled over all periods: "
                      "2 of 2 kept"]
    one = build(df[df["period"] == 2000], min_availability=0.4).log[0].notes
    assert one == ["kept units with availability >= 40.0%: 2 of 2 kept"]


def test_availability_threshold_allows_rounding_of_1e_12():
    """A share that reaches the threshold up to 1e-12 meets it (a threshold typed as a rounded
    fraction); p's worst-period availability is exactly 0.5 (test_panel_scopes)."""
    df = pd.DataFrame({"unit": ["p", "q", "p", "q"], "period": [2000, 2000, 2001, 2001],
                       "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, np.nan, 5.0]})
    assert removed(build(df, min_availability=0.5)) == []
    assert removed(build(df, min_availability=0.5 + 1e-12)) == []
    assert removed(build(df, min_availability=0.5 + 2e-12)) == ["p"]


def test_reason_names_the_period_of_the_largest_zero_share():
    """Unit a over three periods, indicators (i0, i1): zeros 0/2 in 2019, 2/2 in 2020, 1/2 in
    2021: its worst zero share is 100 % in 2020 (availability is full everywhere); b has
    no zeros."""
    df = pd.DataFrame({"unit": ["a"] * 3 + ["b"] * 3, "period": [2019, 2020, 2021] * 2,
                       "i0": [1.0, 0.0, 0.0, 1.0, 2.0, 3.0],
                       "i1": [2.0, 0.0, 5.0, 4.0, 5.0, 6.0]})
    b = build(df, min_availability=None, max_zero_share=0.6)
    assert removed(b) == ["a"]
    assert b.excluded[0]["reason"] == "screened out: zero share 100.0% in 2020 > 60.0%"
