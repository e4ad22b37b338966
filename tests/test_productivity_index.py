"""Productivity index kernels (gipro.methods.productivity): hand calculations and the
decomposition identities TFPCH = TECH x TECCH (ratio) and TFPCH = TECH + TECCH (difference).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gipro.errors import MethodError
from gipro.methods import productivity as prod

pos = arrays(float, (3, 4), elements=st.floats(0.2, 3.0))
real = arrays(float, (3, 4), elements=st.floats(-2.0, 2.0))


def test_malmquist_luenberger_hand_example():
    """D^t(t) = 0.8, D^{t+1}(t+1) = 0.9, D^t(t+1) = 1.2 (next year's point beyond this
    year's frontier), D^{t+1}(t) = 0.6. TECH = 0.9/0.8 = 1.125; TECCH = sqrt(1.2/0.9 *
    0.8/0.6) = sqrt(16/9) = 4/3; TFPCH = 1.5."""
    own = np.array([[0.8, 0.9]])
    tfpch, tech, tecch = prod.malmquist_luenberger(own, np.array([[0.6, np.nan]]),
                                                   np.array([[np.nan, 1.2]]))
    np.testing.assert_allclose([tfpch[0, 0], tech[0, 0], tecch[0, 0]], [1.5, 1.125, 4 / 3])


def test_luenberger_hand_example():
    """Inefficiencies D^t(t) = 0.3, D^{t+1}(t+1) = 0.2, D^t(t+1) = -0.1, D^{t+1}(t) = 0.5:
    TECH = 0.1, TECCH = (0.2 + 0.1 + 0.5 - 0.3)/2 = 0.25, TFPCH = 0.35."""
    tfpch, tech, tecch = prod.luenberger(np.array([[0.3, 0.2]]), np.array([[0.5, np.nan]]),
                                         np.array([[np.nan, -0.1]]))
    np.testing.assert_allclose([tfpch[0, 0], tech[0, 0], tecch[0, 0]], [0.35, 0.1, 0.25])


def test_global_forms_hand_example():
    """Global: TFPCH = D^G(t+1)/D^G(t) = 0.9/0.6 = 1.5; TECH from contemporaneous 0.8 -> 1.0
    = 1.25; TECCH = 1.2. Difference: 0.4 - 0.1 = 0.3, TECH 0.2 - 0 = 0.2, TECCH 0.1."""
    r = prod.global_malmquist_luenberger(np.array([[0.6, 0.9]]), np.array([[0.8, 1.0]]))
    np.testing.assert_allclose([a[0, 0] for a in r], [1.5, 1.25, 1.2])
    d = prod.global_luenberger(np.array([[0.4, 0.1]]), np.array([[0.2, 0.0]]))
    np.testing.assert_allclose([a[0, 0] for a in d], [0.3, 0.2, 0.1])


@settings(max_examples=15)
@given(pos, pos, pos)
def test_ratio_identity(own, nxt, prv):
    tfpch, tech, tecch = prod.malmquist_luenberger(own, nxt, prv)
    np.testing.assert_allclose(tfpch, tech * tecch, rtol=1e-12)
    g = prod.global_malmquist_luenberger(nxt, own)
    np.testing.assert_allclose(g[0], g[1] * g[2], rtol=1e-12)


@settings(max_examples=15)
@given(real, real, real)
def test_difference_identity(own, nxt, prv):
    tfpch, tech, tecch = prod.luenberger(own, nxt, prv)
    np.testing.assert_allclose(tfpch, tech + tecch, atol=1e-12)
    g = prod.global_luenberger(nxt, own)
    np.testing.assert_allclose(g[0], g[1] + g[2], atol=1e-12)


def test_missing_distance_leaves_exactly_its_components_missing():
    """An infeasible cross-period LP (NaN D^{t+1}(t)) removes TECCH and TFPCH of that pair
    only; TECH (own frontiers) stays."""
    own = np.array([[0.8, 0.9, 1.0]])
    nxt = np.array([[np.nan, 0.7, np.nan]])
    prv = np.array([[np.nan, 1.1, 1.05]])
    tfpch, tech, tecch = prod.malmquist_luenberger(own, nxt, prv)
    assert np.isnan(tecch[0, 0]) and np.isnan(tfpch[0, 0]) and np.isfinite(tech[0, 0])
    assert np.isfinite(tfpch[0, 1])
    cum = prod.cumulative(tfpch, ratio=True)
    assert np.isnan(cum).all()  # the chain is broken from its first link


def test_cumulative_hand_example():
    np.testing.assert_allclose(prod.cumulative(np.array([[1.1, 0.9, 1.2]]), ratio=True),
                               [[1.1, 0.99, 1.188]])
    np.testing.assert_allclose(prod.cumulative(np.array([[0.1, -0.2]]), ratio=False),
                               [[0.1, -0.1]])


def test_shapes_checked():
    with pytest.raises(MethodError, match="two periods"):
        prod.luenberger(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(MethodError, match="different shapes"):
        prod.global_luenberger(np.zeros((2, 3)), np.zeros((3, 3)))
