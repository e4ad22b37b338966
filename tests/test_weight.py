"""Weighting: field cases B08, B09 (entropy), B21 (PCA), optimised weights, CRITIC, and the
weight step (named sets used by the aggregate step, recorded and written).

Expected values: field-case values (field_cases.md), hand calculations (shown), or the published
formula recomputed independently in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, InputError, MethodError, Panel, run
from gipro.methods import weight as W

nan = np.nan


# ---------------------------------------------------------------- B08: 0 ln 0
def test_b08_entropy_zero_log_zero():
    x = np.array([[0, 3, 0.9], [8, 3.5, 0.2], [6, 7, 0.0], [2, 1, 0.5]])
    r = W.entropy_weights(x)
    np.testing.assert_allclose(r.info["entropy"], [0.70282, 0.86926, 0.68316], atol=5e-6)
    np.testing.assert_allclose(r.weights, [0.399028, 0.175543, 0.425429], atol=5e-7)
    assert not np.isnan(r.weights).any()
    # the log(p + 1e-10) variant agrees to six decimals (field case), without an epsilon here
    p = x / x.sum(axis=0)
    e = -(p * np.log(p + 1e-10)).sum(axis=0) / np.log(4)
    np.testing.assert_allclose(r.weights, (1 - e) / (1 - e).sum(), atol=1e-6)


def test_entropy_missing_values_are_left_out_not_zero():
    # column 1 with a missing value = the same column without that row (n_j = 3)
    x = np.array([[1.0, 2.0], [2.0, nan], [3.0, 4.0], [4.0, 1.0]])
    r = W.entropy_weights(x)
    p2 = np.array([2.0, 4.0, 1.0]) / 7
    e2 = -(p2 * np.log(p2)).sum() / np.log(3)
    assert r.info["entropy"][1] == pytest.approx(e2, rel=1e-14)


# ---------------------------------------------------------------- B09: negatives and shifts
def test_b09_negative_values_raise_unless_a_shift_is_chosen():
    x = np.array([[-2.0, 3], [1, 5], [4, 4]])
    with pytest.raises(MethodError, match=r"I1 \(row 0\)"):
        W.entropy_weights(x, names=["I1", "I2"])
    for s, expected in [(0.01, [0.9557, 0.0443]), (1, [0.9092, 0.0908]), (10, [0.4597, 0.5403])]:
        r = W.entropy_weights(x, negative_shift=s)
        np.testing.assert_allclose(r.weights, expected, atol=5e-5)
        assert r.info["translated"][0] == pytest.approx(2 + s) and r.info["translated"][1] == 0
        assert f"|min| + {s:g}" in r.notes[0]


def test_b09_minmax_then_shift():
    i1 = np.array([-2, 1, 4, 0.5])
    i2 = np.array([3, 5, 4.6, 4.8])
    mm = np.c_[(i1 - i1.min()) / np.ptp(i1), (i2 - i2.min()) / np.ptp(i2)]
    for s, expected in [(0, [0.555426, 0.444574]), (1e-4, [0.55538, 0.44462]),
                        (0.01, [0.552582, 0.447418]), (1, [0.483247, 0.516753])]:
        r = W.entropy_weights(mm, shift=s)
        np.testing.assert_allclose(r.weights, expected, atol=5e-6 if s != 1e-4 else 5e-5)
    assert "0.01 added to every value" in W.entropy_weights(mm, shift=0.01).notes[0]


def test_entropy_degenerate_inputs():
    with pytest.raises(MethodError, match="zero for every unit"):
        W.entropy_weights(np.array([[0.0, 1], [0, 2]]), names=["a", "b"])
    with pytest.raises(MethodError, match="spread evenly"):
        W.entropy_weights(np.ones((3, 2)))


# ---------------------------------------------------------------- B21: PCA
B21 = np.array([[1, 2, 9], [2, 3, 7], [3, 5, 6], [4, 4, 3], [5, 6, 1]], dtype=float)


def test_b21_pca_squared_loadings_after_orientation():
    oriented = B21 * [1, 1, -1]
    r = W.pca_weights(oriented)
    np.testing.assert_allclose(r.info["eigenvalues"], [2.822565, 0.174853, 0.002582], atol=5e-7)
    assert r.info["explained"] == pytest.approx(0.9409, abs=5e-5)
    np.testing.assert_allclose(r.info["loadings"], [0.591623, 0.559983, 0.580001], atol=5e-7)
    np.testing.assert_allclose(r.weights, [0.350018, 0.313581, 0.336402], atol=5e-7)
    assert r.weights.sum() == pytest.approx(1.0) and (r.weights >= 0).all()
    assert not r.notes


def test_b21_sign_convention_and_warning_on_unreversed_indicator():
    r = W.pca_weights(B21, kind="loadings", names=["I1", "I2", "I3"])
    # loadings oriented to a positive sum: (0.591623, 0.559983, -0.580001)
    np.testing.assert_allclose(r.weights, [0.591623, 0.559983, -0.580001], atol=5e-7)
    assert "negative loading(s) for ['I3']" in r.notes[0]


def test_b21_weights_do_not_depend_on_the_eigenvector_sign(monkeypatch):
    base = W.pca_weights(B21 * [1, 1, -1], kind="loadings").weights
    real = np.linalg.eigh
    monkeypatch.setattr(W.np.linalg, "eigh", lambda a: (real(a)[0], -real(a)[1]))
    flipped = W.pca_weights(B21 * [1, 1, -1], kind="loadings").weights
    np.testing.assert_array_equal(flipped, base)


def test_b21_in_a_build_warns_when_direction_disagrees():
    idx = pd.MultiIndex.from_tuples([(f"u{i}", 1) for i in range(1, 6)],
                                    names=["unit", "period"])
    panel = Panel(pd.DataFrame(B21, index=idx, columns=["I1", "I2", "I3"]))

    def build(d3):
        fw = Framework([{"code": "I1", "parent": "X", "direction": 1},
                        {"code": "I2", "parent": "X", "direction": 1},
                        {"code": "I3", "parent": "X", "direction": d3}], [{"code": "X"}])
        return run({"framework": "x", "data": {"dataset": "china_provinces"},
                    "steps": [{"step": "weight", "method": "pca", "output": "pca",
                               "input": "raw"},
                              {"step": "normalise"}, {"step": "aggregate", "weights": "pca"}]},
                   framework=fw, panel=panel)

    good = build(-1)
    np.testing.assert_allclose([good.weights["pca"].weights[c] for c in ("I1", "I2", "I3")],
                               [0.350018, 0.313581, 0.336402], atol=5e-7)
    assert "PC1 explains 94.1%" in good.log[0].notes[0]
    bad = build(1)  # I3 declared higher-is-better: its loading is negative -> a note
    assert "negative loading(s) for ['I3']" in " ".join(bad.log[0].notes)


# ---------------------------------------------------------------- CRITIC
def test_critic_matches_the_published_formula():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(30, 4)) @ rng.normal(size=(4, 4))
    r = W.critic_weights(x)
    z = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    info = z.std(axis=0, ddof=1) * (1 - np.corrcoef(z, rowvar=False)).sum(axis=0)
    np.testing.assert_allclose(r.weights, info / info.sum(), rtol=1e-13)
    # hand case: z1 = (0, .5, 1), z2 = (1, 0, .5): sd .5 each, r = -0.5 -> C = .75 each
    h = W.critic_weights(np.array([[1.0, 5], [2, 3], [3, 4]]))
    np.testing.assert_allclose(h.info["information"], [0.75, 0.75], atol=1e-15)
    with pytest.raises(MethodError, match="do not vary"):
        W.critic_weights(np.array([[1.0, 2], [1, 3], [1, 4]]), names=["a", "b"])


# ---------------------------------------------------------------- optimised weights
def test_balance_weights_hand_case():
    # x1, x2 centred and uncorrelated, sd 1 and 3: corr(x_j, y) is proportional to w_j sd_j,
    # so equal correlations need w = (3/4, 1/4) and proportions 1:2 need w1/w2 = 3/2
    x = np.array([[1.0, 3], [-1, 3], [1, -3], [-1, -3]])
    r = W.balance_weights(x)
    np.testing.assert_allclose(r.weights, [0.75, 0.25], atol=1e-5)
    np.testing.assert_allclose(r.info["proportion"], [0.5, 0.5], atol=1e-6)
    r2 = W.balance_weights(x, [1, 2])
    np.testing.assert_allclose(r2.weights, [0.6, 0.4], atol=1e-5)
    assert not r2.notes
    with pytest.raises(MethodError, match="2 non-negative numbers"):
        W.balance_weights(x, [1, 2, 3])


# ---------------------------------------------------------------- kernel edges (docs/testing.md)
def test_equal_weights_and_complete_case_rules():
    """Equal weights 1/3; PCA on B21 with an extra row holding a missing value: the row is left
    out (complete cases, noted) and the weights are B21's; too few rows or a flat child are
    refused by name."""
    assert W.equal_weights(3).weights.tolist() == [1 / 3] * 3
    with pytest.raises(MethodError, match=r"equal weights need at least one child"):
        W.equal_weights(0)
    x = np.vstack([B21 * [1, 1, -1], [6.0, nan, -1.0]])
    r = W.pca_weights(x)
    np.testing.assert_allclose(r.weights, [0.350018, 0.313581, 0.336402], atol=5e-7)
    assert r.notes == ["PCA: 1 of 6 rows with a missing value left out (complete cases)"]
    with pytest.raises(MethodError, match=r"PCA: needs at least 3 complete rows, got 2"):
        W.pca_weights(B21[:2])
    with pytest.raises(MethodError, match=r"PCA: x must have shape \(n_obs, n_children\), got "
                                          r"\(2, 3, 3\)"):
        W.pca_weights(np.stack([B21[:3], B21[:3]]))
    with pytest.raises(MethodError, match=r"PCA weight kind must be 'squared' or 'loadings'"):
        W.pca_weights(B21, kind="abs")
    with pytest.raises(MethodError, match=r"PCA weights need at least two children"):
        W.pca_weights(B21[:, :1])


def test_pca_sign_when_the_loadings_sum_to_zero():
    """Two children in exact opposition: PC1 = (1, -1)/sqrt(2), whose loadings sum to 0; the
    sign is then fixed by the largest loading (the first on a tie): (0.7071, -0.7071), the
    second child noted as moving against the first."""
    r = W.pca_weights(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), kind="loadings",
                      names=["a", "b"])
    np.testing.assert_allclose(r.weights, [2**-0.5, -(2**-0.5)], rtol=1e-12)
    assert r.info["explained"] == pytest.approx(1.0, rel=1e-12)
    assert "negative loading(s) for ['b']" in r.notes[0]


def test_entropy_refusals_name_children_and_rows():
    x = np.array([[1.0, 2.0, -1.0], [-3.0, 1.0, 2.0], [2.0, 2.0, 3.0]])
    with pytest.raises(MethodError, match=r"negative values in a \(row 1\), c \(row 0\)"):
        W.entropy_weights(x, names=["a", "b", "c"])
    for kw in ({"shift": -0.1}, {"negative_shift": -0.1}):
        with pytest.raises(MethodError, match=r"entropy shifts must be >= 0"):
            W.entropy_weights(x, **kw)
    with pytest.raises(MethodError, match=r"at least 2 observed values per child; \['b'\] have "
                                          r"fewer"):
        W.entropy_weights(np.array([[1.0, 2.0], [2.0, nan]]), names=["a", "b"])


def test_critic_by_hand_with_three_children():
    """z1 = (0, .5, 1), z2 = (0, 1, .5), z3 = (.5, 0, 1): sample sd .5 each (population
    sqrt(1/6)); r12 = r13 = .5, r23 = -.5; C = .5 (0 + .5 + .5), .5 (.5 + 0 + 1.5),
    .5 (.5 + 1.5 + 0) = (.5, 1, 1) -> weights (.2, .4, .4). Perfectly correlated children
    carry no information of their own: refused."""
    x = np.array([[0.0, 0.0, 1.0], [1.0, 2.0, 0.0], [2.0, 1.0, 2.0]])
    r = W.critic_weights(x)
    np.testing.assert_allclose(r.weights, [0.2, 0.4, 0.4], rtol=1e-14)
    np.testing.assert_allclose(r.info["information"], [0.5, 1.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(W.critic_weights(x, ddof=0).info["sd"], [6**-0.5] * 3,
                               rtol=1e-14)
    with pytest.raises(MethodError, match=r"CRITIC weights: the children are perfectly "
                                          r"correlated"):
        W.critic_weights(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]))
    with pytest.raises(MethodError, match=r"CRITIC weights need at least two children"):
        W.critic_weights(x[:, :1])


def test_balance_weights_unreachable_target_and_refusals():
    """x1 = (1, 2, 3, 4), x2 = (1, 3, 2, 4), corr 0.8: with non-negative weights each child's
    share of the correlations lies between 0.8/1.8 and 1/1.8, so the target 1:3 (0.25, 0.75)
    is out of reach; the best is w = (0, 1) with shares (4/9, 5/9), and a note says so."""
    x = np.c_[[1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]]
    r = W.balance_weights(x, [1, 3], names=["a", "b"])
    np.testing.assert_allclose(r.weights, [0, 1], atol=1e-6)
    np.testing.assert_allclose(r.info["proportion"], [4 / 9, 5 / 9], atol=1e-6)
    assert "target proportions a 0.250, b 0.750 not reachable" in r.notes[0]
    with pytest.raises(MethodError, match=r"target importances must be 2 non-negative numbers"):
        W.balance_weights(x, [1, -1])
    with pytest.raises(MethodError, match=r"target importances must be 2 non-negative numbers"):
        W.balance_weights(x, [0, 0])
    with pytest.raises(MethodError, match=r"need at least 3 observations with every child "
                                          r"present .* got 2"):
        W.balance_weights(np.vstack([x[:2], [[5.0, nan], [nan, 1.0]]]))
    with pytest.raises(MethodError, match=r"optimised weights need at least two children"):
        W.balance_weights(x[:, :1])
    with pytest.raises(MethodError, match=r"optimised weights for \['a', 'b'\] are undefined"):
        W.balance_weights(np.c_[x[:, 0], np.ones(4)], names=["a", "b"])


def test_benefit_of_the_doubt_duplicates_zero_columns_and_slices():
    """B10's case with the first unit twice: both (1, 4) score 1 (a tie is no domination),
    (2, 2) 0.8, (1, 1) 0.4. An all-zero child adds nothing: (1, 2, 4) score x/4. A
    (period, unit, child) cube is solved per period: period 2 is period 1 with the units in
    another order. Units below min_share are NaN; negative scores are refused by name."""
    s, _ = W.benefit_of_the_doubt(np.array([[1.0, 4], [1, 4], [2, 2], [4, 1], [1, 1]]))
    np.testing.assert_allclose(s, [1, 1, 0.8, 1, 0.4], atol=1e-9)
    s0, w0 = W.benefit_of_the_doubt(np.array([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0]]))
    np.testing.assert_allclose(s0, [0.25, 0.5, 1.0], atol=1e-12)
    assert (w0[:, 1] == 0).all()
    p1 = np.array([[1.0, 4], [2, 2], [4, 1], [1, 1]])
    s3, _ = W.benefit_of_the_doubt(np.stack([p1, p1[::-1]]))
    np.testing.assert_allclose(s3, [[1, 0.8, 1, 0.4], [0.4, 1, 0.8, 1]], atol=1e-9)
    sm, wm = W.benefit_of_the_doubt(np.array([[1.0, 4], [2, nan], [4, 1]]), min_share=1.0)
    assert np.isnan(sm[1]) and np.isnan(wm[1]).all() and sm[0] == pytest.approx(1.0)
    sn, _ = W.benefit_of_the_doubt(np.full((2, 2), nan))
    assert np.isnan(sn).all()
    with pytest.raises(MethodError, match=r"non-negative scores; negative values in \['b'\]"):
        W.benefit_of_the_doubt(np.array([[1.0, -1.0], [2.0, 1.0]]), names=["a", "b"])
    with pytest.raises(MethodError, match=r"Benefit-of-the-Doubt needs x of shape"):
        W.benefit_of_the_doubt(np.array([1.0, 2.0]))


def _bod_reference(x: np.ndarray, min_share: float = 0.0) -> np.ndarray:
    """Benefit-of-the-Doubt as written in the formulation (Cherchye et al. 2007), one linear
    programme per unit with scipy: max w.y_i subject to w.y_k <= 1 for every unit k that has
    all of unit i's children, w >= 0, w_j = 0 for children unit i lacks; units below
    min_share are not scored. The peer of the batched kernel."""
    from scipy.optimize import linprog

    obs = ~np.isnan(x)
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        if obs[i].sum() / x.shape[1] < min_share - 1e-12 or not obs[i].any():
            continue
        refs = [k for k in range(len(x)) if obs[k][obs[i]].all()]
        a = np.where(obs[refs][:, obs[i]], x[refs][:, obs[i]], 0.0)
        res = linprog(-x[i, obs[i]], A_ub=a, b_ub=np.ones(len(refs)), bounds=(0, None),
                      method="highs")
        out[i] = -res.fun
    return out


@pytest.mark.parametrize("x, min_share", [
    # found by comparing the kernel with its mutants (docs/testing.md)
    ([[4.0, nan], [3.0, 1.0], [3.0, 3.0], [0.0, 1.0]], 1.0),
    ([[0.15, 0.91], [0.92, 0.12], [0.49, 0.61], [0.01, 0.24], [0.25, nan]], 0.0),
    ([[0.0, 0.2, 0.0], [0.2, 0.1, nan], [0.1, 0.0, 0.0], [0.1, 0.1, 0.0]], 0.5),
    ([[0.28, 0.52, 0.01], [0.44, 0.1, 0.2], [0.94, 0.39, nan], [0.31, 0.97, 0.03]], 0.5),
    ([[3.0, 0.0, 3.0], [4.0, 3.0, 0.0], [3.0, 4.0, 1.0], [4.0, 4.0, nan], [3.0, 1.0, 2.0],
      [0.0, 4.0, 1.0]], 0.0),
    ([[nan, 20.0, 20.0], [0.0, 10.0, 10.0], [10.0, 20.0, 0.0], [0.0, 20.0, 10.0],
      [20.0, 10.0, 20.0], [20.0, 10.0, 0.0]], 0.0),
    ([[3.0, 2.0, nan], [2.0, 2.0, 4.0], [2.0, 1.0, 1.0], [1.0, 2.0, 3.0], [0.0, 3.0, 4.0],
      [4.0, 1.0, 0.0]], 0.0),
    ([[0.44, 0.47, 0.2], [nan, 0.92, 0.94], [0.96, 0.75, 0.13], [0.45, 0.95, 0.75],
      [0.58, 0.08, 0.93], [0.21, 0.19, 0.53]], 0.0),
    ([[nan], [0.19], [0.42], [0.36]], 0.5),
    ([[0.2], [nan], [0.2], [0.0]], 1.0),
    ([[0.89, 0.67, nan], [0.98, 0.9, 0.84], [0.24, 0.82, 0.79], [0.01, 0.77, 0.22]], 0.5),
    ([[0.44, 0.39], [0.04, 0.34]], 0.5),
])
def test_benefit_of_the_doubt_equals_one_programme_per_unit(x, min_share):
    """Missing children, zeros, ties and units below min_share: the batched programme gives
    each unit the score of its own linear programme. The first case by hand: unit 1 takes
    no part (one child of two, min_share 1) and does not bound the others' weights; unit 2
    (3, 1) ties unit 3 (3, 3) on child 1 and scores 1 with w = (1/3, 0); unit 4 (0, 1)
    scores 1/3 (unit 3 bounds w2 by 1/3)."""
    x = np.array(x)
    s, _ = W.benefit_of_the_doubt(x, min_share=min_share)
    np.testing.assert_allclose(s, _bod_reference(x, min_share), atol=1e-9)
    if x.shape == (4, 2) and min_share == 1.0:
        np.testing.assert_allclose(s, [nan, 1.0, 1.0, 1 / 3], atol=1e-12)


def test_defaults_names_and_refusals_of_the_weighting_kernels():
    """One child gets weight 1; without names the children are named by position, also when
    there are more children than rows; entropy accepts negative_shift 0 (translate by |min|)
    and names the first negative row (not a zero before it); shares summing below 1 are
    shares; BoD names only the columns with negative values."""
    assert W.equal_weights(1).weights.tolist() == [1.0]
    wide = np.array([[1.0, 2.0, 3.0, 5.0], [2.0, 1.0, 5.0, 5.0], [3.0, 5.0, 4.0, 5.0]])
    with pytest.raises(MethodError, match=r"PCA: indicator\(s\) \['3'\] do not vary"):
        W.pca_weights(wide)
    with pytest.raises(MethodError, match=r"CRITIC: indicator\(s\) \['3'\] do not vary"):
        W.critic_weights(wide)
    neg = np.array([[1.0, 2.0, 3.0, 0.0], [2.0, 1.0, 5.0, -3.0], [3.0, 5.0, 4.0, 2.0]])
    with pytest.raises(MethodError, match=r"negative values in 3 \(row 1\)"):
        W.entropy_weights(neg)
    r = W.entropy_weights(neg, negative_shift=0.0)
    assert r.info["translated"].tolist() == [0, 0, 0, 3.0]
    shares = np.array([[0.1, 0.3], [0.2, 0.1], [0.3, 0.2]])
    np.testing.assert_allclose(W.entropy_weights(shares).weights, [0.5, 0.5], rtol=1e-14)
    t = W.entropy_weights(shares, shift=0.01).info["translated"]
    assert t.tolist() == [0.01, 0.01]
    with pytest.raises(MethodError, match=r"non-negative scores; negative values in \['b'\]"):
        W.benefit_of_the_doubt(np.array([[0.0, -1.0], [2.0, 1.0]]), names=["a", "b"])


def test_pca_sign_conventions_on_harder_cases():
    """The loadings are oriented to a positive sum, even when the largest loading is then
    negative (a sum of 0.218: the eigenvector of numpy's eigh, oriented); when the sum is 0
    (a and -a, c uncorrelated: PC1 = (1, -1, 0)/sqrt 2), by the largest loading: a positive,
    and c, at 0, is not reported as negative."""
    x = np.array([[0.107, -0.775, -0.076], [-0.787, 1.184, 0.004], [0.838, 0.202, -3.57],
                  [0.465, -2.421, 0.4], [-1.827, -0.689, 2.237], [0.503, -3.554, 1.003],
                  [-1.165, 1.652, 0.622], [-1.282, 1.205, 1.429]])
    v = np.linalg.eigh(np.corrcoef(x, rowvar=False))[1][:, -1]
    v = v * np.sign(v.sum())
    assert 0 < v.sum() < 1 and v[np.argmax(np.abs(v))] < 0
    np.testing.assert_allclose(W.pca_weights(x, kind="loadings").weights, v, rtol=1e-12)
    u = np.arange(1.0, 7.0)
    r = W.pca_weights(np.c_[u, -u, [1.0, -1, -1, 1, 0, 0]], kind="loadings",
                      names=["a", "b", "c"])
    np.testing.assert_allclose(r.weights, [2**-0.5, -(2**-0.5), 0.0], atol=1e-12)
    assert "negative loading(s) for ['b']" in r.notes[0]


def test_critic_with_a_small_total_information():
    """(1, 2, 3, 4) and (1, 3, 2, 4): min-max (0, 1/3, 2/3, 1) and (0, 2/3, 1/3, 1), equal
    sd, correlation 0.8: C = sd x 0.2 each, a total below 1 -- still weights (.5, .5)."""
    r = W.critic_weights(np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0], [4.0, 4.0]]))
    np.testing.assert_allclose(r.weights, [0.5, 0.5], rtol=1e-14)
    sd = np.std([0, 1 / 3, 2 / 3, 1], ddof=1)
    np.testing.assert_allclose(r.info["information"], [0.2 * sd] * 2, rtol=1e-12)


def test_balance_weights_correlations_targets_and_objective():
    """With a missing value the parent is renormalised and each correlation is over the
    pairwise complete rows (pandas Series.corr, the peer); targets with a zero or summing
    below 1 are importances; a negative one is refused even when the sum is positive; three
    complete rows are enough; the objective is the sum of squared gaps to the target."""
    x = np.c_[[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 3.0, 2.0, 4.0, nan]]
    r = W.balance_weights(x, names=["a", "b"])
    w = r.weights
    parent = pd.Series(np.where(np.isnan(x[:, 1]), x[:, 0],
                                (w[0] * x[:, 0] + w[1] * np.nan_to_num(x[:, 1])) / w.sum()))
    for j in range(2):
        assert r.info["correlation"][j] == pytest.approx(pd.Series(x[:, j]).corr(parent),
                                                         rel=1e-6)
    assert W.balance_weights(x[:4], [1, 0]).info["target"].tolist() == [1.0, 0.0]
    assert W.balance_weights(x[:4], [0.3, 0.3]).info["target"].tolist() == [0.5, 0.5]
    W.balance_weights(x[:3])
    with pytest.raises(MethodError, match=r"target importances must be 2 non-negative"):
        W.balance_weights(x, [2, -1])
    # three children, one on its target (0.2) and two off it: the note is still given
    x3 = np.array([[-0.2, -1.7, 0.7], [0.2, -0.2, 0.1], [0.2, -2.1, 0.0], [-1.8, 2.6, -1.3],
                   [-0.6, -0.7, -0.7], [0.9, 1.5, 0.8]])
    r3 = W.balance_weights(x3, [5, 2, 3])
    assert abs(r3.info["proportion"][1] - 0.2) < 1e-3
    assert np.abs(r3.info["proportion"] - r3.info["target"]).max() > 1e-2
    assert "not reachable with non-negative weights" in r3.notes[0]
    u = W.balance_weights(np.c_[[1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]], [1, 3])
    assert u.info["objective"] == pytest.approx(
        float(np.sum((u.info["proportion"] - u.info["target"]) ** 2)), rel=1e-12)
    assert u.info["objective"] == pytest.approx((4 / 9 - 1 / 4) ** 2 + (5 / 9 - 3 / 4) ** 2,
                                                rel=1e-5)


# ---------------------------------------------------------------- the weight step
def tree():
    fw = Framework(
        [{"code": "a", "parent": "E", "direction": 1},
         {"code": "b", "parent": "E", "direction": -1},
         {"code": "c", "parent": "S", "direction": 1},
         {"code": "d", "parent": "S", "direction": 1}],
        [{"code": "I"}, {"code": "E", "parent": "I"}, {"code": "S", "parent": "I"}])
    rng = np.random.default_rng(5)
    idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(8)], [1, 2]],
                                     names=["unit", "period"])
    return fw, Panel(pd.DataFrame(rng.uniform(1, 10, (16, 4)), index=idx, columns=list("abcd")))


def wrun(steps):
    fw, panel = tree()
    return run({"framework": "x", "data": {"dataset": "china_provinces"}, "steps": steps},
               framework=fw, panel=panel)


def test_entropy_weight_set_used_by_aggregation_and_written(tmp_path):
    b = wrun([{"step": "normalise"},
              {"step": "weight", "method": "entropy", "output": "ewm"},
              {"step": "aggregate", "weights": "ewm"}])
    ws = b.weights["ewm"]
    norm = b.data("normalised")
    # E's weights are the entropy weights of (a, b) pooled over all 16 unit-periods
    exp = W.entropy_weights(norm[["a", "b"]].to_numpy())
    assert [ws.weights["a"], ws.weights["b"]] == pytest.approx(exp.weights.tolist(), rel=1e-14)
    assert ws.weights["E"] == 1.0 and ws.weights["S"] == 1.0  # level 2 kept from the base
    agg = b.data("aggregated")
    wa, wb = exp.weights
    np.testing.assert_allclose(agg["E"], wa * norm["a"] + wb * norm["b"], rtol=1e-13)
    assert b.log[1].output == "ewm" and set(b.datasets) == {"raw", "normalised", "aggregated"}
    assert "entropy weights for E: a " in b.log[1].notes[0]
    files = b.write(tmp_path)
    table = pd.read_csv(files["weights"])
    assert set(table["set"]) == {"framework", "ewm"}
    row = table[(table["set"] == "ewm") & (table["code"] == "a")].iloc[0]
    assert row["weight"] == pytest.approx(wa) and row["effective_weight"] == pytest.approx(wa / 2)


def test_manual_equal_and_base_sets():
    b = wrun([{"step": "normalise"},
              {"step": "weight", "method": "manual", "values": {"a": 3, "S": 2},
               "others": "keep", "output": "mine"},
              {"step": "weight", "name": "eq", "method": "equal", "groups": ["E"],
               "base": "mine", "output": "mine_eq"},
              {"step": "aggregate", "weights": "mine_eq"}])
    assert b.weights["mine"].weights["a"] == 3.0
    eq = b.weights["mine_eq"].weights
    assert eq["a"] == 0.5 and eq["b"] == 0.5 and eq["S"] == 2.0
    eff = b.weights["mine_eq"].effective(b.framework)
    assert eff["a"] == pytest.approx(0.5 * 1 / 3) and eff["c"] == pytest.approx(0.5 * 2 / 3)
    assert sum(eff[c] for c in "abcd") == pytest.approx(1.0)


def test_a_manual_set_covering_part_of_a_group_is_an_error_or_a_warning():
    """Trial 3: manual values for some children of a group leave the others at the base
    set's weights (on another scale): an error naming the group and the codes left out
    (issue 16: a public entry point holds the rule); with ``others: keep`` the log names
    the group, the codes and the kept weights; a set covering whole groups gives no
    warning."""
    with pytest.raises(InputError, match=r"manual weights give 1 of the 2 children of E; "
                                         r"missing: b"):
        wrun([{"step": "normalise"},
              {"step": "weight", "method": "manual", "values": {"a": 0.5, "S": 2}}])
    b = wrun([{"step": "normalise"},
              {"step": "weight", "method": "manual", "values": {"a": 0.5, "S": 2},
               "others": "keep"},
              {"step": "aggregate", "weights": "weights"}])
    warn = [n for n in b.log[1].notes if n.startswith("WARNING")]
    assert len(warn) == 2
    assert warn[0].startswith("WARNING E: manual weights for a only; b keeps 1 from weight "
                              "set 'framework'")
    assert warn[1].startswith("WARNING I: manual weights for S only; E keeps 1")
    # the weights used are exactly those: a 0.5 and b 1 within E (hand: E = (0.5 a + b) / 1.5)
    norm, agg = b.data("normalised"), b.data("aggregated")
    np.testing.assert_allclose(agg["E"], (0.5 * norm["a"] + norm["b"]) / 1.5, rtol=1e-13)
    whole = wrun([{"step": "normalise"},
                  {"step": "weight", "method": "manual", "values": {"a": 0.5, "b": 0.5}}])
    assert not [n for n in whole.log[1].notes if n.startswith("WARNING")]


def test_level_two_weights_need_aggregated_data():
    with pytest.raises(InputError, match="lacks"):
        wrun([{"step": "normalise"}, {"step": "weight", "method": "pca", "level": 2},
              {"step": "aggregate"}])
    b = wrun([{"step": "normalise"}, {"step": "aggregate", "name": "equal"},
              {"step": "weight", "method": "optimise", "level": 2, "output": "opt"},
              {"step": "aggregate", "input": "normalised", "weights": "opt",
               "output": "optimised"}])
    assert set(b.datasets) == {"raw", "normalised", "aggregated", "optimised"}
    w = b.weights["opt"].weights
    assert w["E"] + w["S"] == pytest.approx(1.0)
    prop = [d["proportion"] for d in b.fitted["weight"]["details"]]
    assert prop == pytest.approx([0.5, 0.5], abs=1e-3)
    assert b.final.name == "optimised"


def test_weight_step_errors():
    with pytest.raises(InputError, match="needs values"):
        wrun([{"step": "weight", "method": "manual"}])
    with pytest.raises(InputError, match="not in the framework"):
        wrun([{"step": "normalise"}, {"step": "weight", "method": "manual", "values": {"z": 1}},
              {"step": "aggregate", "weights": "weights"}])
    with pytest.raises(MethodError, match="b is -"):
        # raw data oriented by direction: b (direction -1) is negative before entropy
        wrun([{"step": "weight", "method": "entropy", "input": "raw"},
              {"step": "normalise"}, {"step": "aggregate"}])
    with pytest.raises(InputError, match="'kind' does not apply"):
        wrun([{"step": "weight", "method": "entropy", "kind": "loadings"}])
    # the translation's extra shift is any number >= 0 (B09 uses 0.01)
    from gipro.steps.weight import WeightStep

    assert WeightStep(method="entropy", negative_shift=0.01).negative_shift == 0.01
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        WeightStep(method="entropy", negative_shift=-0.1)


def test_pca_loadings_refused_by_aggregation_when_negative():
    fw = Framework([{"code": f"I{i}", "parent": "X", "direction": 1} for i in (1, 2, 3)],
                   [{"code": "X"}])
    idx = pd.MultiIndex.from_tuples([(f"u{i}", 1) for i in range(1, 6)],
                                    names=["unit", "period"])
    panel = Panel(pd.DataFrame(B21, index=idx, columns=["I1", "I2", "I3"]))
    with pytest.raises(MethodError, match="missing or negative"):
        run({"framework": "x", "data": {"dataset": "china_provinces"},
             "steps": [{"step": "normalise"},
                       {"step": "weight", "method": "pca", "kind": "loadings"},
                       {"step": "aggregate", "weights": "weights"}]}, framework=fw, panel=panel)


def test_signed_loadings_have_no_effective_weight():
    """Trial 5: PCA `kind: loadings` may hold negative values; their 'effective weight' was the
    loading over the signed sum (6.0 and -6.9 for ASEM's Sust). Below a group with a negative
    weight there is no share of the index: NaN, with the reason in the note column; other
    groups keep theirs (hand: E's children a, b equal -> 0.5 x 0.5 = 0.25)."""
    from gipro.steps.weight import WeightSet, weights_table

    b = wrun([{"step": "normalise"}])
    b.weights["signed"] = WeightSet("signed", {"a": 1.0, "b": 1.0, "c": 0.9, "d": -0.5,
                                               "E": 1.0, "S": 1.0}, "pca")
    t = weights_table(b.framework, b.weights)
    t = t[t["set"] == "signed"].set_index("code")
    assert t.loc["a", "effective_weight"] == pytest.approx(0.25)
    assert np.isnan(t.loc["c", "effective_weight"]) and np.isnan(t.loc["d", "effective_weight"])
    assert t.loc["d", "note"] == ("no effective weight: negative weights in S (not usable "
                                  "for aggregation)")
    assert t.loc["a", "note"] == ""


def test_variant_after_a_weight_step_reuses_it_and_disabling_it_uses_framework_weights():
    """Merge of the weight step with variants: a variant that changes only the aggregate step
    reuses the normalise and weight steps (same arrays, same weight set); a disabled weight step
    records no set, so aggregating with it is a clear error."""
    b = wrun([{"step": "normalise"},
              {"step": "weight", "method": "entropy", "output": "ewm"},
              {"step": "aggregate", "weights": "ewm"}])
    v = b.with_step("aggregate", min_availability=1.0).run()
    assert v.reused_steps == 2
    assert v.datasets["normalised"] is b.datasets["normalised"]
    assert v.weights["ewm"] is b.weights["ewm"]
    np.testing.assert_array_equal(v.data("aggregated").to_numpy(), b.data("aggregated").to_numpy())
    off = b.with_step("weight", disable=True).with_step("aggregate", weights="framework")
    agg = off.run().data("aggregated")
    norm = b.data("normalised")
    np.testing.assert_allclose(agg["E"], (norm["a"] + norm["b"]) / 2, rtol=1e-13)
    assert "ewm" not in off.weights
