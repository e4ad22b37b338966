"""Kernels on hand-computed cases and field cases (../shared/cases/field_cases.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gipro.errors import MethodError
from gipro.methods.aggregate import arithmetic_mean, geometric_mean
from gipro.methods.normalise import column_bounds, minmax, orient
from gipro.methods.rank import rank

nan = np.nan


# ---------------------------------------------------------------- normalisation
def test_minmax_direction_minus_one_is_linear_mirror():
    # field case B04: cost indicator x = [2, 4, 8]; linear reversal then min-max = [1, 2/3, 0]
    x = np.array([[2.0], [4.0], [8.0]])
    y = minmax(orient(x, np.array([-1.0])), low=0, high=1).ravel()
    np.testing.assert_allclose(y, [1.0, 2 / 3, 0.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(y, 1 - minmax(x, low=0, high=1).ravel(), atol=1e-15)


def test_minmax_onto_range():
    # COINr test-normalise: minmax(1..10) onto [2, 7] gives min 2 and max 7
    y = minmax(np.arange(1.0, 11.0)[:, None], low=2, high=7).ravel()
    assert y.min() == 2.0 and y.max() == 7.0
    assert y[4] == pytest.approx(2 + 4 / 9 * 5)


def test_minmax_pooled_versus_per_period_hand():
    # 2 units (A, B) x 2 periods, one indicator: A = (10, 30), B = (20, 40)
    # cube layout (period, unit, indicator)
    x = np.array([[[10.0], [20.0]], [[30.0], [40.0]]])
    lo, up = column_bounds(x, axis=(0, 1))
    pooled = minmax(x, lower=lo, upper=up)
    # pooled bounds 10..40: A1 = 0, B1 = 100/3, A2 = 200/3, B2 = 100
    np.testing.assert_allclose(pooled[..., 0], [[0.0, 100 / 3], [200 / 3, 100.0]], atol=1e-12)
    per = minmax(x, axis=1)
    # per-period bounds: each period's best unit is 100, worst 0
    np.testing.assert_allclose(per[..., 0], [[0.0, 100.0], [0.0, 100.0]], atol=1e-12)


def test_minmax_keeps_missing_and_ignores_it_in_bounds():
    x = np.array([[1.0], [nan], [3.0]])
    y = minmax(x).ravel()
    assert y[0] == 0.0 and np.isnan(y[1]) and y[2] == 100.0


def test_minmax_constant_indicator_raises_naming_it():
    # field case B01: I2 = 5 for every unit
    x = np.array([[10, 5], [20, 5], [30, 5], [40, 5]], dtype=float)
    with pytest.raises(MethodError, match=r"\['I2'\] have zero range"):
        minmax(x, names=["I1", "I2"])


def test_minmax_bad_range():
    """A varying column, so that only the range check can fire (a constant column would
    raise the zero-range error instead)."""
    for low, high in [(1, 1), (2, 1)]:
        with pytest.raises(MethodError, match=r"min-max range must have low < high, got \["):
            minmax(np.array([[1.0], [2.0]]), low=low, high=high)


# ---------------------------------------------------------------- aggregation
def test_arithmetic_mean_with_missing_child_renormalises():
    # (50, NaN, 80) with weights (1, 2, 1): (50 + 80) / 2 = 65, never (50 + 0 + 80) / 4
    x = np.array([50.0, nan, 80.0])
    assert arithmetic_mean(x, np.array([1.0, 2.0, 1.0])).item() == 65.0
    # 2 of 3 children available: NaN when at least 75% are required
    assert np.isnan(arithmetic_mean(x, np.ones(3), min_share=0.75).item())
    assert arithmetic_mean(x, np.ones(3), min_share=2 / 3).item() == 65.0


def test_geometric_mean_with_missing_child():
    x = np.array([50.0, nan, 80.0])
    assert geometric_mean(x, np.ones(3)).item() == pytest.approx(np.sqrt(4000.0), rel=1e-15)


def test_geometric_mean_coinr_values():
    # COINr test-aggregate: gmean(1, 2, 3) = 6^(1/3); weights (1, 1, 2): 18^(1/4)
    x = np.array([1.0, 2.0, 3.0])
    assert geometric_mean(x, np.ones(3)).item() == pytest.approx(6 ** (1 / 3), rel=1e-14)
    assert geometric_mean(x, np.array([1.0, 1.0, 2.0])).item() == pytest.approx(18 ** 0.25,
                                                                                rel=1e-14)


def test_geometric_mean_rejects_zero_and_negative():
    # field case B03: after min-max the worst unit is exactly 0
    with pytest.raises(MethodError, match=r"strictly positive.*\['I1'\]"):
        geometric_mean(np.array([0.0, 100.0]), np.ones(2), names=["I1", "I2"])
    with pytest.raises(MethodError, match=r"strictly positive values; zero or negative "
                                          r"values in \[0\]"):
        geometric_mean(np.array([-1.0, 100.0]), np.ones(2))


def test_geometric_after_positive_range_field_case_b03():
    # B03: raw A=(2,30), B=(5,10), C=(8,20); min-max onto [1, 100]: gmean [10, 7.1063, 71.0634]
    raw = np.array([[2, 30], [5, 10], [8, 20]], dtype=float)
    y = minmax(raw, low=1, high=100)
    g = geometric_mean(y, np.ones(2))
    np.testing.assert_allclose(g, [10.0, 7.1063, 71.0634], atol=5e-5)


def test_zero_weight_children_are_ignored():
    assert arithmetic_mean(np.array([10.0, nan]), np.array([1.0, 0.0]), min_share=1).item() == 10


def test_data_threshold_coinr():
    # COINr: with dat_thresh 0.5, a row with 4 of 5 values missing aggregates to NA
    x = np.array([1.0, nan, nan, nan, nan])
    assert np.isnan(arithmetic_mean(x, np.ones(5), min_share=0.5).item())


def test_bad_weights():
    with pytest.raises(MethodError, match=r"aggregation weights must be finite and >= 0"):
        arithmetic_mean(np.ones(2), np.array([-1.0, 1.0]))
    with pytest.raises(MethodError, match=r"aggregation weights are all zero"):
        arithmetic_mean(np.ones(2), np.zeros(2))


# ---------------------------------------------------------------- ranking
def test_rank_is_not_argsort_field_case_b11():
    s = np.array([0.014, 0.61, 0.27, 0.013, 0.99])
    assert rank(s).tolist() == [4, 2, 3, 5, 1]


def test_rank_ties_field_case_b13():
    s = np.array([30.0, 20, 20, 10])
    assert rank(s).tolist() == [1, 2, 2, 4]
    assert rank(s, ties="average").tolist() == [1, 2.5, 2.5, 4]
    assert rank(s, ties="dense").tolist() == [1, 2, 2, 3]


def test_rank_nan_unranked_field_case_b15():
    r = rank(np.array([0.2, nan, 0.5]))
    assert r[0] == 2 and np.isnan(r[1]) and r[2] == 1
    assert np.isnan(rank(np.array([nan, nan, nan]))).all()


def test_rank_coinr_rank_df():
    # COINr rank_df on x = (1, 3, 2, 4) gives (4, 2, 3, 1)
    assert rank(np.array([1.0, 3, 2, 4])).tolist() == [4, 2, 3, 1]


def test_rank_along_axis():
    s = np.array([[1.0, 2.0], [3.0, 0.0]])
    assert rank(s, axis=0).tolist() == [[2, 1], [1, 2]]


def test_rank_rounding_noise_is_a_tie_real_differences_are_not():
    """Trial 3: X = (0.1, 0.2, 0.3) and Y = (0.3, 0.2, 0.1) with equal weights both score 0.2
    by hand, but the float means are 0.20000000000000004 and 0.19999999999999998; they were
    ranked 2 and 3. Within 1e-12 x the largest score they are tied; 1e-9 apart they are not."""
    x, y = np.mean([0.1, 0.2, 0.3]), np.mean([0.3, 0.2, 0.1])
    assert x != y  # the noise this is about
    s = np.array([x, y, 0.0, 1.0])
    assert rank(s).tolist() == [2, 2, 4, 1]
    assert rank(s, tol=0).tolist() == [2, 3, 4, 1]  # exact values, on request
    assert rank(s, higher_is_better=False).tolist() == [2, 2, 1, 4]
    assert rank(np.array([0.2, 0.2 + 1e-9, nan, 1.0])).tolist()[:2] == [3, 2]
    # along an axis, per row, with NaN unranked and a tie group of three
    m = np.array([[x, y, nan, 0.2], [1.0, 2.0, 3.0, 4.0]])
    r = rank(m, axis=1)
    assert r[0, [0, 1, 3]].tolist() == [1, 1, 1] and np.isnan(r[0, 2])
    assert r[1].tolist() == [4, 3, 2, 1]
    # an infinite score does not make every finite score "close"
    assert rank(np.array([np.inf, 1.0, 2.0, -np.inf])).tolist() == [1, 3, 2, 4]
    with pytest.raises(ValueError, match="tol"):
        rank(s, tol=-1)


@settings(max_examples=60, deadline=None)
@given(arrays(float, (3, 7), elements=st.integers(-50, 50).map(float)))
def test_rank_with_tolerance_equals_exact_rank_on_well_separated_scores(x):
    """Scores at least 1 apart (integers): the tolerance changes nothing (exact ties still
    tie)."""
    np.testing.assert_array_equal(rank(x, axis=1), rank(x, axis=1, tol=0))
    np.testing.assert_array_equal(rank(x.T, axis=0), rank(x, axis=1).T)


# ---------------------------------------------------------------- properties
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(arrays(float, (6, 3), elements=finite), st.permutations(range(6)))
def test_minmax_unit_order_invariance(x, perm):
    lo, up = column_bounds(x)
    assume((up > lo).all())
    y = minmax(x)
    np.testing.assert_allclose(minmax(x[list(perm)]), y[list(perm)])


@settings(max_examples=60, deadline=None)
@given(arrays(float, (5, 4), elements=st.floats(0.1, 100)),
       arrays(float, 4, elements=st.floats(0.01, 10)), st.floats(0.01, 1000))
def test_aggregation_weight_scaling_invariance(x, w, c):
    np.testing.assert_allclose(arithmetic_mean(x, w * c), arithmetic_mean(x, w), rtol=1e-12)
    np.testing.assert_allclose(geometric_mean(x, w * c), geometric_mean(x, w), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(float, 4, elements=st.floats(1, 100)),
       arrays(float, 4, elements=st.floats(0.01, 10)), st.integers(0, 3), st.floats(0.1, 50))
def test_aggregation_monotone_in_each_child(x, w, j, delta):
    up = x.copy()
    up[j] += delta
    assert arithmetic_mean(up, w) >= arithmetic_mean(x, w) - 1e-12
    assert geometric_mean(up, w) >= geometric_mean(x, w) * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(float, 8, elements=st.one_of(finite, st.just(nan))))
def test_rank_is_permutation_of_positions(s):
    r = rank(s, tol=0)  # exact values (the tie tolerance has its own tests above)
    assert np.isnan(r[np.isnan(s)]).all()
    obs = r[~np.isnan(s)]
    if obs.size:
        assert obs.min() == 1 and obs.max() <= obs.size
        # a unit's rank = 1 + number of units with a strictly higher score
        for i in np.flatnonzero(~np.isnan(s)):
            assert r[i] == 1 + np.sum(s[~np.isnan(s)] > s[i])
