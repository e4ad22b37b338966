"""DEA kernels with undesirable outputs (gipro.methods.dea).

Expected values are hand calculations (each derived in the test's docstring) on small data,
and Tone's (2002, table 1) super-efficiency example data; the real-data comparison with
Stata's gtfpch is in tests/test_gtfp.py. Property tests (hypothesis): scaling all data by
a constant leaves CRS scores unchanged, a unit that dominates every other one has zero
inefficiency, and the order of the units does not matter.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gipro.errors import MethodError
from gipro.methods import dea

# A: x=1 y=1 b=1; B: x=1 y=2 b=1 (twice A's output); C: x=2 y=2 b=4 (dirty)
X = np.array([[1.0], [1.0], [2.0]])
Y = np.array([[1.0], [2.0], [2.0]])
B = np.array([[1.0], [1.0], [4.0]])
REF = {"ref_x": X, "ref_y": Y, "ref_b": B}
OWN = np.arange(3)


def test_radial_ddf_hand_example():
    """A along (0, y, b): lam_A + lam_B + 2 lam_C <= 1 forces lam_C = 0; then
    lam_A + lam_B = 1 - beta and lam_A + 2 lam_B >= 1 + beta give lam_B >= 2 beta and
    lam_B <= 1 - beta, so beta = 1/3. B is on the frontier (0). C along (0, 2, 4): with
    lam_B = mu, mu = 4 (1 - beta) and 2 mu >= 2 (1 + beta) give beta <= 3/5 (mu = 1.6 <= 2
    for x); A and C itself reach less (A: 1.5 a + 2.5 mu >= 4 prices A higher), so 0.6."""
    r = dea.ddf(X, Y, B, **REF, direction=(0, Y, B), own=OWN)
    np.testing.assert_allclose(r.value, [1 / 3, 0.0, 0.6], atol=1e-9)
    assert (r.status == dea.STATUS_OPTIMAL).all()
    assert r.beta.shape == (3, 0) and r.slacks.shape == (3, 0)


def test_nonradial_ddf_hand_example():
    """A, direction (0, y, b), weights (0, 1, 1): with lam_A = a, lam_B = mu the constraints
    give beta_y + beta_b <= mu <= 1 - a, so the optimum is 1 at a = 0, mu = 1: beta_y = 1
    (output doubled to B's), beta_b = 0 (unique)."""
    r = dea.nonradial_ddf(X[:1], Y[:1], B[:1], **REF, direction=(0, Y[:1], B[:1]),
                          weights=[0, 1, 1], own=[0])
    np.testing.assert_allclose(r.value, [1.0], atol=1e-9)
    np.testing.assert_allclose(r.beta, [[0.0, 1.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(r.slacks, [[0.0, 1.0, 0.0]], atol=1e-9)  # beta_v * g_v


def test_sbm_with_undesirable_output_hand_example():
    """Tone (2004) SBM, CRS. C against B (lam_B = mu, mu >= 1 for y): s- = 2 - mu,
    sg = 2 mu - 2, sb = 4 - mu, rho(mu) = (mu / 2) / (1 + 3 mu / 8), smallest at mu = 1:
    4/11 with slacks (1, 0, 3). A: lam_B = mu in [1/2, 1], rho = 2 mu / (2 + mu), 0.4 at
    mu = 1/2 with slacks (0.5, 0, 0.5). B efficient."""
    r = dea.sbm(X, Y, B, **REF, own=OWN)
    np.testing.assert_allclose(r.value, [0.4, 1.0, 4 / 11], atol=1e-9)
    np.testing.assert_allclose(r.slacks[[0, 2]], [[0.5, 0, 0.5], [1, 0, 3]], atol=1e-9)


def test_sbm_vrs_hand_example():
    """VRS (sum lam = 1): A can only use lam_B = t, lam_A = 1 - t with no input or emission
    slack and output slack t: rho = 1 / (1 + t / 2) = 2/3 at t = 1; C as under CRS (its
    CRS optimum already has sum lam = 1): 4/11."""
    r = dea.sbm(X, Y, B, **REF, returns="vrs", own=OWN)
    np.testing.assert_allclose(r.value, [2 / 3, 1.0, 4 / 11], atol=1e-9)


def test_super_sbm_with_undesirable_output_hand_example():
    """B's super-efficiency against A and C (Tone 2002 model with undesirable outputs):
    lam_A = t >= 1 gives delta = t / (1 - t / 4) (4/3 at t = 1), t < 1 gives 4 / (2 + t)
    (4/3 at t = 1); C scaled down costs more (delta = 4 at lam_C = 1/2). So delta = 4/3 with
    B's output target cut by 1; slacks are target minus observation for outputs and
    observation minus target for inputs and emissions: (0, -1, 0)."""
    r = dea.sbm(X, Y, B, **REF, super_efficiency=True, own=OWN)
    np.testing.assert_allclose(r.value, [0.4, 4 / 3, 4 / 11], atol=1e-9)
    assert r.super_efficient.tolist() == [False, True, False]
    np.testing.assert_allclose(r.slacks[1], [0.0, -1.0, 0.0], atol=1e-9)


def test_tone_2002_super_efficiency_example():
    """Tone (2002, EJOR 143:32-41, table 1): seven DMUs, two inputs, one unit output.
    Hand calculation under CRS: C (8, 1), D (4, 2), E (2, 4) are efficient. Super-efficiency
    of D against the segment E-C, (2 + 6t, 4 - 3t): (x1/4 + x2/2)/2 = 1.25 for every t in
    [1/3, 2/3]; E needs x1 >= 4 (A, D): (4/2 + 4/4)/2 = 1.5; C against D-F, (4 + 6t, 2 - t):
    2.5 - t/4 is smallest at F (10, 1): 1.125. Inefficient: A (4, 3) -> D, slack 1 on x2:
    1 - (1/3)/2 = 5/6; B (7, 3) -> D: 1 - (3/7 + 1/3)/2 = 13/21; F (10, 1) -> C:
    1 - (2/10)/2 = 0.9; G (12, 1) -> C: 1 - (4/12)/2 = 5/6."""
    x = np.array([[4, 3], [7, 3], [8, 1], [4, 2], [2, 4], [10, 1], [12, 1]], float)
    y = np.ones((7, 1))
    r = dea.sbm(x, y, ref_x=x, ref_y=y, super_efficiency=True, own=np.arange(7))
    np.testing.assert_allclose(r.value, [5 / 6, 13 / 21, 1.125, 1.25, 1.5, 0.9, 5 / 6],
                               atol=1e-9)
    plain = dea.sbm(x, y, ref_x=x, ref_y=y, own=np.arange(7))
    np.testing.assert_allclose(plain.value, [5 / 6, 13 / 21, 1, 1, 1, 0.9, 5 / 6], atol=1e-9)


def test_sbm_ddf_hand_example():
    """Fukuyama & Weber (2009) SBM-DDF, direction = observed values, CRS. C against B
    (lam_B = mu >= 1): s_x = 2 - mu, s_y = 2 mu - 2, s_b = 4 - mu, objective
    1/2 [(2 - mu)/2 + ((2 mu - 2)/2 + (4 - mu)/4)/2] = 1/2 (1 - mu/8): 7/16 at mu = 1."""
    r = dea.sbm_ddf(X, Y, B, **REF, direction=(X, Y, B), own=OWN)
    np.testing.assert_allclose(r.value[2], 7 / 16, atol=1e-9)
    np.testing.assert_allclose(r.slacks[2], [1.0, 0.0, 3.0], atol=1e-9)
    assert abs(r.value[1]) < 1e-9


def test_outside_observation_is_infeasible_with_status():
    """A unit far outside the technology (output 10 with input 1 and emission 1, against
    A, B, C): the non-radial DDF needs beta >= 0 and Y lam >= 10 with X lam <= 1, but no
    reference makes more than 2 per unit of input -> infeasible: the status says so and the
    value is NaN (never a number)."""
    x, y, b = np.array([[1.0]]), np.array([[10.0]]), np.array([[1.0]])
    r = dea.nonradial_ddf(x, y, b, **REF, direction=(0, y, b), weights=[0, 1, 1])
    assert r.status.tolist() == [dea.STATUS_INFEASIBLE]
    assert np.isnan(r.value).all() and np.isnan(r.beta).all()


def test_radial_ddf_reaches_outside_observation_backwards():
    """The same unit with the radial DDF (beta free): with lam_B = mu, lam_C = c,
    beta = 1 - mu - 4c, the output row gives 12 mu + 42 c >= 20 and the input row
    mu + 2c <= 1; min mu + 4c is 17/9 at mu = 1/9, c = 4/9 (c alone: 40/21), so
    beta = -8/9 (A is dominated by B)."""
    x, y, b = np.array([[1.0]]), np.array([[10.0]]), np.array([[1.0]])
    r = dea.ddf(x, y, b, **REF, direction=(0, y, b))
    np.testing.assert_allclose(r.value, [-8 / 9], atol=1e-9)


def test_column_generation_equals_full_reference(monkeypatch):
    """The restricted-column solve (column generation, elastic blocks, phase one) gives the
    scores and statuses of the LPs over the whole reference set, on 150 random units scored
    against another 150 (some outside the technology -> infeasible)."""
    rng = np.random.default_rng(3)
    n = 150
    x = rng.lognormal(size=(2 * n, 2))
    y = (x.prod(axis=1) ** 0.5 * rng.lognormal(0, 0.4, 2 * n))[:, None]
    b = y * rng.lognormal(0, 0.4, (2 * n, 1))
    ev, rf = slice(0, n), slice(n, 2 * n)
    args = (x[ev], y[ev], b[ev])
    ref = {"ref_x": x[rf], "ref_y": y[rf], "ref_b": b[rf]}
    cases = [("ddf", {"direction": (0, y[ev], b[ev])}),
             ("nonradial_ddf", {"direction": (0, y[ev], b[ev]), "weights": [0, 0, 1, 1]}),
             ("sbm", {"super_efficiency": True}), ("sbm_ddf", {"direction": args})]
    cg = {k: getattr(dea, k)(*args, **ref, **kw) for k, kw in cases}
    monkeypatch.setattr(dea, "_SMALL_REFERENCE", 10_000)  # every column from the start
    for k, kw in cases:
        full = getattr(dea, k)(*args, **ref, **kw)
        np.testing.assert_array_equal(cg[k].status, full.status, err_msg=k)
        np.testing.assert_allclose(cg[k].value, full.value, atol=1e-8, err_msg=k)
    assert (cg["nonradial_ddf"].status == dea.STATUS_INFEASIBLE).sum() > 0


@pytest.mark.parametrize("bad, msg", [
    ({"x": np.array([[0.0], [1.0], [2.0]])}, "positive values"),
    ({"y": np.array([[np.nan], [2.0], [2.0]])}, "no missing"),
    ({"returns": "drs"}, "returns must be"),
    ({"ref_y": np.ones((2, 1))}, "shape"),
])
def test_bad_input_raises(bad, msg):
    args = {"x": X, "y": Y, "b": B, **REF, "direction": (0, Y, B), "returns": "crs", **bad}
    with pytest.raises(MethodError, match=msg):
        dea.ddf(**args)


def test_weights_on_unmeasured_variable_raise():
    with pytest.raises(MethodError, match="direction is zero"):
        dea.nonradial_ddf(X, Y, B, **REF, direction=(0, Y, B), weights=[1, 1, 1])


# ------------------------------------------------------------------ properties
@st.composite
def panels(draw):
    n = draw(st.integers(4, 9))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 10, (n, 2))
    y = rng.uniform(1, 10, (n, 1))
    b = rng.uniform(1, 10, (n, 1))
    return x, y, b


def _all_models(x, y, b, own=None):
    ref = {"ref_x": x, "ref_y": y, "ref_b": b, "own": own}
    return {"ddf": dea.ddf(x, y, b, **ref, direction=(0, y, b)).value,
            "nonradial": dea.nonradial_ddf(x, y, b, **ref, direction=(x, y, b),
                                           weights=[1, 1, 1, 1]).value,
            "sbm": dea.sbm(x, y, b, **ref).value,
            "sbm_ddf": dea.sbm_ddf(x, y, b, **ref, direction=(x, y, b)).value}


@settings(max_examples=12)
@given(panels(), st.floats(0.01, 1000))
def test_scaling_all_data_leaves_crs_scores_unchanged(data, c):
    x, y, b = data
    base = _all_models(x, y, b)
    scaled = _all_models(c * x, c * y, c * b)
    for k in base:
        np.testing.assert_allclose(scaled[k], base[k], atol=1e-7, err_msg=k)


@settings(max_examples=12)
@given(panels())
def test_dominating_unit_has_zero_inefficiency(data):
    x, y, b = data
    x = np.vstack([x, x.min(axis=0)])
    y = np.vstack([y, y.max(axis=0)])
    b = np.vstack([b, b.min(axis=0)])
    res = _all_models(x, y, b)
    for k, v in res.items():
        target = 1.0 if k == "sbm" else 0.0
        assert abs(v[-1] - target) < 1e-8, k


@settings(max_examples=12)
@given(panels(), st.randoms(use_true_random=False))
def test_unit_order_does_not_matter(data, rnd):
    x, y, b = data
    perm = list(range(len(x)))
    rnd.shuffle(perm)
    perm = np.array(perm)
    base = _all_models(x, y, b)
    shuffled = _all_models(x[perm], y[perm], b[perm])
    for k in base:
        np.testing.assert_allclose(shuffled[k], base[k][perm], atol=1e-8, err_msg=k)
