"""Ranking kernels (gipro.methods.rank): the numpy ranks equal scipy's, and the one-sort path
of ``rank`` equals snapping then ranking.

Expected values: :func:`scipy.stats.rankdata` with ``nan_policy="omit"`` (the peer
implementation gipro's ranks replaced, to keep scipy.stats out of start-up), and gipro's
two-pass definition (``_snap`` then ``rankdata``) for the tie tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gipro.methods import rank as R

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


def test_rank_hand_values():
    """Sports ranking, missing unranked, rounding noise tied (0.1 + 0.2 vs 0.3)."""
    s = np.array([30.0, 20.0, 20.0, np.nan, 10.0, 0.1 + 0.2, 0.3])
    r = R.rank(s)
    assert r[[0, 1, 2, 4, 5, 6]].tolist() == [1.0, 2.0, 2.0, 4.0, 5.0, 5.0]
    assert np.isnan(r[3])
    with pytest.raises(ValueError, match="ties must be one of"):
        R.rank(s, ties="first")
    with pytest.raises(ValueError, match="method must be one of"):
        R.rankdata(s, method="first")
