"""Ranking kernel (``methods/rank.py``): the tie tolerance on the 0-100 index scale, its
boundary, single units, empty input, the default axis and the refusals.

Every expected rank is counted by hand from the scores written in the test (1 = best, ties
share the lowest rank of their group, NaN unranked).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gipro.methods import rank as R
from gipro.methods.rank import TIE_TOLERANCE, rank

nan = np.nan


def test_default_tolerance_on_the_0_100_scale():
    """Scores 60 and 60 + 1e-11 on a 0-100 scale: the tolerance is 1e-12 x the largest
    magnitude (60) = 6e-11 points, so 1e-11 apart is rounding noise: both rank 1. Two units
    only, so the snapping is not skipped for a group of two. 1e-9 apart (beyond 6e-11) they
    are ranked 2 and 1."""
    assert TIE_TOLERANCE == 1e-12
    assert rank(np.array([60.0, 60.0 + 1e-11])).tolist() == [1, 1]
    assert rank(np.array([60.0, 60.0 + 1e-9])).tolist() == [2, 1]
    # lower is better: the same pair is still a tie, and 1e-9 apart the order reverses
    assert rank(np.array([60.0, 60.0 + 1e-11]), higher_is_better=False).tolist() == [1, 1]
    assert rank(np.array([60.0, 60.0 + 1e-9]), higher_is_better=False).tolist() == [1, 2]
    # scores of a few hundred thousand (an unscaled aggregate): tolerance 4e-7
    assert rank(np.array([4e5, 4e5 + 1e-7, 1.0])).tolist() == [1, 1, 3]


def test_tolerance_is_an_upper_bound_included():
    """tol = 0.5, largest magnitude 1: the tolerance is exactly 0.5 (binary fractions, no
    rounding). Scores 1, 0.5, 0: each gap is exactly 0.5, at the bound, so the run ties all
    three (the run is chained: each gap to the next value is within the tolerance). Gaps of
    0.625 (1, 0.375) are beyond it."""
    assert rank(np.array([0.0, 0.5, 1.0]), tol=0.5).tolist() == [1, 1, 1]
    assert rank(np.array([0.375, 1.0]), tol=0.5).tolist() == [2, 1]
    assert rank(np.array([0.0, 0.5, 1.0]), tol=0.0).tolist() == [3, 2, 1]


def test_single_unit_and_empty_input():
    """One unit is ranked 1 whatever its score (not given its score back); no units give an
    empty array."""
    assert rank(np.array([57.3])).tolist() == [1.0]
    assert rank(np.array([[0.4], [98.0]])).tolist() == [[1.0], [1.0]]
    out = rank(np.array([]))
    assert isinstance(out, np.ndarray) and out.shape == (0,)


def test_default_axis_is_the_last():
    """Without ``axis`` each row is ranked: row (5, 9, 1) -> (2, 1, 3), row (3, 2, 7) ->
    (2, 3, 1)."""
    s = np.array([[5.0, 9.0, 1.0], [3.0, 2.0, 7.0]])
    assert rank(s).tolist() == [[2, 1, 3], [2, 3, 1]]


def test_refusals_name_the_parameter():
    with pytest.raises(ValueError, match=r"ties must be one of .* got 'best'"):
        rank(np.array([1.0, 2.0]), ties="best")
    with pytest.raises(ValueError, match=r"tol must be >= 0, got nan"):
        rank(np.array([1.0, 2.0]), tol=nan)
    assert rank(np.array([1.0, 2.0]), tol=0).tolist() == [2, 1]


# ------------------------------------------------ numpy ranks and the one-sort path
# Expected values: scipy.stats.rankdata with nan_policy="omit" (the peer implementation gipro's
# ranks replaced, to keep scipy.stats out of start-up), and gipro's two-pass definition (_snap,
# then rankdata) for the tie tolerance.
TIES = ["average", "min", "max", "dense", "ordinal"]
cells = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 2.0 + 1e-13, -3.5, np.nan]),
                  st.floats(-1e3, 1e3, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(x=arrays(float, (4, 7), elements=cells), method=st.sampled_from(TIES),
       axis=st.sampled_from([0, 1, -1]))
def test_rankdata_equals_scipy(x, method, axis):
    from scipy.stats import rankdata

    np.testing.assert_array_equal(R.rankdata(x, method=method, axis=axis),
                                  rankdata(x, method=method, axis=axis, nan_policy="omit"))


@settings(max_examples=60, deadline=None)
@given(x=arrays(float, (3, 8), elements=cells), ties=st.sampled_from(TIES),
       axis=st.sampled_from([0, 1]), tol=st.sampled_from([0.0, 1e-12, 1e-3]),
       higher=st.booleans())
def test_rank_one_sort_equals_snap_then_rank(x, ties, axis, tol, higher):
    key = -x if higher else x
    if tol > 0 and x.shape[axis] > 1:
        key = R._snap(key, axis, tol)
    np.testing.assert_array_equal(R.rank(x, axis=axis, ties=ties, tol=tol,
                                         higher_is_better=higher),
                                  R.rankdata(key, method=ties, axis=axis))


def test_rank_hand_values_with_rounding_noise():
    """Sports ranking, missing unranked, rounding noise tied (0.1 + 0.2 vs 0.3)."""
    s = np.array([30.0, 20.0, 20.0, np.nan, 10.0, 0.1 + 0.2, 0.3])
    r = R.rank(s)
    assert r[[0, 1, 2, 4, 5, 6]].tolist() == [1.0, 2.0, 2.0, 4.0, 5.0, 5.0]
    assert np.isnan(r[3])
    with pytest.raises(ValueError, match="ties must be one of"):
        R.rank(s, ties="first")
    with pytest.raises(ValueError, match="method must be one of"):
        R.rankdata(s, method="first")
