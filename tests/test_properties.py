"""The common property suite every normaliser and aggregator must pass (like scikit-learn's
``check_estimator``): unit order, direction (mirror), missing values, constant columns,
replication axes, weight scaling, monotonicity. Properties hold for any input, so the inputs
are generated (hypothesis); a registry entry per method says how to call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gipro.errors import MethodError
from gipro.methods import aggregate as A
from gipro.methods import normalise as N
from gipro.methods.weight import benefit_of_the_doubt

nan = np.nan
U, C = 7, 3  # units, indicators

# ---------------------------------------------------------------- normalisers
# name -> (external params for data in [1, 100], mirror: (y, y_of_minus_x, n) -> bool or None)
NORMALISERS: dict[str, tuple[dict[str, Any], Callable[..., np.ndarray] | None]] = {
    "minmax": ({"low": 0, "high": 100}, lambda y, n: 100 - y),
    "zscore": ({"loc": 0, "scale": 1}, lambda y, n: -y),
    "goalposts": ({"lower": 0.0, "upper": 110.0}, lambda y, n: 1 - y),
    "target": ({"target": 120.0, "cap": False}, None),
    "dist_ref": ({"reference": 150.0, "cap": False}, None),
    "dist_max": ({}, lambda y, n: 1 - y),
    "frac_max": ({}, None),
    "percentile": ({}, lambda y, n: 1 - y),
    "rank": ({}, lambda y, n: n + 1 - y),
    "borda": ({}, lambda y, n: n - 1 - y),
    "efficacy": ({}, lambda y, n: 160 - y),
    "normal_cdf": ({}, lambda y, n: 1 - y),
    "leading": ({"leading": 80.0}, None),
    "ampi": ({}, lambda y, n: 200 - y),
}
assert set(NORMALISERS) == set(N.METHODS)  # every method is in the suite

data = arrays(float, (U, C), elements=st.floats(1, 100, allow_nan=False), unique=True)


def mirrored_params(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """External references oriented for direction -1 (goalposts (l, u) -> (-u, -l))."""
    if method == "goalposts":
        return {"lower": -params["upper"], "upper": -params["lower"]}
    return dict(params)


@pytest.mark.parametrize("method", sorted(NORMALISERS))
@settings(max_examples=20, deadline=None)
@given(x=data, perm=st.permutations(range(U)))
def test_normaliser_permuting_units_permutes_outputs(method, x, perm):
    params = NORMALISERS[method][0]
    y = N.normalise(x, method, **params)
    yp = N.normalise(x[list(perm)], method, **params)
    np.testing.assert_allclose(yp, y[list(perm)], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", sorted(m for m, (_, f) in NORMALISERS.items() if f))
@settings(max_examples=20, deadline=None)
@given(x=data)
def test_normaliser_reversing_direction_mirrors(method, x):
    """orient(x, -1) gives the mirror image: e.g. min-max on [0, 100]: 100 - y (field case B04)."""
    params, mirror = NORMALISERS[method]
    y = N.normalise(x, method, **params)
    y_rev = N.normalise(N.orient(x, -np.ones(C)), method, **mirrored_params(method, params))
    scale = max(1.0, float(np.nanmax(np.abs(y))))
    np.testing.assert_allclose(y_rev, mirror(y, U), rtol=0, atol=1e-12 * scale)


def test_minmax_mirror_on_field_case_b04_to_the_last_bit():
    # (8 - 4)/6 and 1 - (4 - 2)/6 differ only by floating-point rounding (one ulp)
    x = np.array([[2.0], [4.0], [8.0]])
    np.testing.assert_array_max_ulp(N.minmax(-x, low=0, high=1),
                                    1 - N.minmax(x, low=0, high=1), maxulp=2)


@pytest.mark.parametrize("method", sorted(NORMALISERS))
@settings(max_examples=20, deadline=None)
@given(x=data, holes=arrays(bool, (U, C), elements=st.booleans()))
def test_normaliser_nan_stays_nan(method, x, holes):
    holes[:3] = False  # keep at least three distinct observed values per column
    x = np.where(holes, nan, x)
    y = N.normalise(x, method, **NORMALISERS[method][0])
    assert (np.isnan(y) == holes).all()


@pytest.mark.parametrize("method", sorted(NORMALISERS))
@settings(max_examples=10, deadline=None)
@given(x=data, v=st.floats(1, 100))
def test_normaliser_constant_column(method, x, v):
    """B01: a constant indicator raises (naming it) or gets the documented midpoint."""
    x = x.copy()
    x[:, 1] = v
    params = NORMALISERS[method][0]
    if method not in N.DATA_RELATIVE:  # external scale: a constant column is fine
        y = N.normalise(x, method, **params)
        assert np.isfinite(y).all() and np.unique(y[:, 1]).size == 1
        return
    with pytest.raises(MethodError, match=r"\['I2'\]"):
        N.normalise(x, method, names=["I1", "I2", "I3"], **params)
    y = N.normalise(x, method, constant="midpoint", **params)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y[:, 1], N.midpoint(method, params, U))
    # the other columns are as if normalised on their own
    np.testing.assert_allclose(y[:, [0, 2]], N.normalise(x[:, [0, 2]], method, **params),
                               rtol=1e-12)


@pytest.mark.parametrize("method", sorted(NORMALISERS))
@settings(max_examples=10, deadline=None)
@given(x=arrays(float, (3, U, C), elements=st.floats(1, 100), unique=True))
def test_normaliser_leading_axes_and_pooling(method, x):
    """A leading (period or replication) axis is carried through; pooling over it equals
    normalising the stacked rows."""
    params = NORMALISERS[method][0]
    y = N.normalise(x, method, **params)
    for r in range(3):
        np.testing.assert_allclose(y[r], N.normalise(x[r], method, **params), rtol=1e-12)
    pooled = N.normalise(x, method, axis=(0, 1), **params)
    stacked = N.normalise(x.reshape(3 * U, C), method, **params).reshape(3, U, C)
    np.testing.assert_allclose(pooled, stacked, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- aggregators
UNIT_WISE: dict[str, dict[str, Any]] = {
    "arithmetic": {}, "geometric": {}, "harmonic": {}, "generalised(p=-2)": {"p": -2.0},
    "generalised(p=0.5)": {"p": 0.5}, "generalised(p=3)": {"p": 3.0},
    "mean_min": {"alpha": 0.5, "beta": 1.0}, "mpi": {},
}
MONOTONE = [m for m in UNIT_WISE if m != "mpi"]  # MPI's penalty may grow faster than the mean


def agg(name: str, x: np.ndarray, w: np.ndarray, **kw: Any) -> np.ndarray:
    return A.METHODS[name.split("(")[0]](x, w, **UNIT_WISE.get(name, {}), **kw)


scores = arrays(float, (U, C), elements=st.floats(1, 100))
weights = arrays(float, C, elements=st.floats(0.01, 10))


@pytest.mark.parametrize("name", sorted(UNIT_WISE))
@settings(max_examples=20, deadline=None)
@given(x=scores, w=weights, c=st.floats(0.001, 1000), perm=st.permutations(range(C)))
def test_aggregator_weight_scaling_and_child_order(name, x, w, c, perm):
    y = agg(name, x, w)
    np.testing.assert_allclose(agg(name, x, w * c), y, rtol=1e-10)
    np.testing.assert_allclose(agg(name, x[:, list(perm)], w[list(perm)]), y, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(MONOTONE))
@settings(max_examples=20, deadline=None)
@given(x=scores, w=weights, j=st.integers(0, C - 1), delta=st.floats(0.01, 50))
def test_aggregator_improving_a_child_never_lowers_the_score(name, x, w, j, delta):
    up = x.copy()
    up[:, j] += delta
    assert (agg(name, up, w) >= agg(name, x, w) * (1 - 1e-12) - 1e-12).all()


@pytest.mark.parametrize("name", sorted(UNIT_WISE))
@settings(max_examples=20, deadline=None)
@given(x=scores, w=weights, j=st.integers(0, C - 1))
def test_aggregator_missing_child_renormalises_and_nan_stays_nan(name, x, w, j):
    holed = x.copy()
    holed[:, j] = nan
    keep = [k for k in range(C) if k != j]
    np.testing.assert_allclose(agg(name, holed, w), agg(name, x[:, keep], w[keep]), rtol=1e-12)
    assert np.isnan(agg(name, np.full((2, C), nan), w)).all()
    assert np.isnan(agg(name, holed, w, min_share=1.0)).all()


@pytest.mark.parametrize("name", sorted(set(UNIT_WISE) - {"mpi"}))
@settings(max_examples=20, deadline=None)
@given(x=scores, w=weights)
def test_means_lie_between_min_and_max(name, x, w):
    y = agg(name, x, w)
    assert (y >= x.min(axis=1) * (1 - 1e-12)).all() and (y <= x.max(axis=1) * (1 + 1e-12)).all()


CROSS: dict[str, Callable[..., np.ndarray]] = {
    "copeland": lambda x, w, **k: A.copeland(x, w, **k),
    "topsis": lambda x, w, **k: A.topsis(x, w, **k),
    "bod": lambda x, w, **k: benefit_of_the_doubt(x, **k)[0],
}


@pytest.mark.parametrize("name", sorted(CROSS))
@settings(max_examples=15, deadline=None)
@given(x=arrays(float, (U, C), elements=st.floats(1, 100), unique=True), w=weights,
       c=st.floats(0.01, 100), perm=st.permutations(range(U)))
def test_cross_unit_aggregators_unit_order_and_weight_scale(name, x, w, c, perm):
    f = CROSS[name]
    y = f(x, w)
    np.testing.assert_allclose(f(x[list(perm)], w), y[list(perm)], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(f(x, w * c), y, rtol=1e-9, atol=1e-9)
    holed = x.copy()
    holed[0] = nan
    assert np.isnan(f(holed, w)[0]) and not np.isnan(f(holed, w)[1:]).any()


@pytest.mark.parametrize("name", ["copeland", "bod"])
@settings(max_examples=15, deadline=None)
@given(x=arrays(float, (U, C), elements=st.floats(1, 100), unique=True), w=weights,
       i=st.integers(0, U - 1), j=st.integers(0, C - 1), delta=st.floats(0.5, 50))
def test_cross_unit_improving_a_child_never_lowers_the_unit(name, x, w, i, j, delta):
    f = CROSS[name]
    up = x.copy()
    up[i, j] += delta
    assert f(up, w)[i] >= f(x, w)[i] - 1e-9
