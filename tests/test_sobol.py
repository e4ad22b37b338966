"""Sobol estimators (gipro.methods.sobol) on analytic functions, against SALib, and field case
B23.

Expected values: analytic indices (y = x1 + 2 x2 + 3 x3: S = ST = (1, 4, 9)/14; Ishigami
a = 7, b = 0.1: S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437), reference case B8;
B23's linear index: S = ST = w^2 / sum w^2) and SALib 1.6's ``sobol.analyze`` on the same
outputs (peer tool).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gipro.errors import MethodError
from gipro.methods.sobol import (
    bootstrap,
    first_order,
    ishigami,
    saltelli_matrix,
    sobol_indices,
    split_output,
    total_order,
)
from gipro.sensitivity import analyse_sobol, make_design
from gipro.sensitivity.inputs import BoundInput, StepAlternatives


def _design(n, d, seed=0, qmc=False):
    rng = np.random.default_rng(seed)
    if qmc:
        from scipy.stats import qmc as q

        base = q.Sobol(2 * d, seed=rng).random_base2(int(np.log2(n)))
        a, b = base[:, :d], base[:, d:]
    else:
        a, b = rng.random((n, d)), rng.random((n, d))
    return saltelli_matrix(a, b, [[i] for i in range(d)])


def test_linear_function_analytic():
    """y = x1 + 2 x2 + 3 x3: S = ST = (1, 4, 9)/14 (additive: no interactions)."""
    n = 2**14
    x = _design(n, 3, qmc=True)
    est = sobol_indices(*split_output(x @ [1.0, 2.0, 3.0], n, 3), n_boot=200,
                        rng=np.random.default_rng(1))
    expected = np.array([1.0, 4.0, 9.0]) / 14
    np.testing.assert_allclose(est.total, expected, atol=0.01)
    np.testing.assert_allclose(est.first, expected, atol=0.02)
    assert (est.total_low <= expected + 0.01).all() and (est.total_high >= expected - 0.01).all()


def test_ishigami():
    """Ishigami (a = 7, b = 0.1), B8 analytic values."""
    n = 2**14
    x = _design(n, 3, qmc=True)
    est = sobol_indices(*split_output(ishigami(x), n, 3), n_boot=0)
    np.testing.assert_allclose(est.first, [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(est.total, [0.5576, 0.4424, 0.2437], atol=0.02)
    assert np.isnan(est.first_low).all()  # no bootstrap asked: no interval


def test_unused_input_is_exactly_zero():
    """COINr test-sensitivity: y = x1 + 10 x2 with x3 unused -> S3 = ST3 = 0 exactly."""
    n = 100
    x = _design(n, 3, seed=5)
    ya, yb, yab = split_output(x[:, 0] + 10 * x[:, 1], n, 3)
    assert first_order(ya, yb, yab)[2] == 0.0
    assert total_order(ya, yb, yab)[2] == 0.0


def test_equals_salib_on_the_same_outputs():
    """Our estimators with ddof=0 equal SALib's sobol.analyze exactly on the same outputs.
    SALib 1.6 standardises Y (over all runs) before estimating and uses np.var (ddof 0), and
    lays a design out base row by base row: [A_j, AB_1j, ..., AB_dj, B_j]."""
    salib = pytest.importorskip("SALib.analyze.sobol")
    n, d = 512, 3
    x = _design(n, d, seed=11)
    y = ishigami(x)
    ya, yb, yab = split_output((y - y.mean()) / y.std(), n, d)
    est = sobol_indices(ya, yb, yab, n_boot=0, ddof=0)
    ours = np.column_stack([ya, *yab, yb]).reshape(-1)
    problem = {"num_vars": d, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * d}
    ref = salib.analyze(problem, ours, calc_second_order=False, num_resamples=10, seed=0)
    np.testing.assert_allclose(est.first, ref["S1"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(est.total, ref["ST"], rtol=1e-12, atol=1e-15)


def test_b23_linear_index_large_n():
    """B23: Y = 0.5 x1 + 0.3 x2 + 0.2 x3, analytic S = ST = w^2/sum w^2; |ST - analytic| <
    0.01 at N = 2^16 (tolerance from the field case)."""
    w = np.array([0.5, 0.3, 0.2])
    n = 2**16
    x = _design(n, 3, seed=2)
    est = sobol_indices(*split_output(x @ w, n, 3), n_boot=0)
    expected = w**2 / (w**2).sum()
    np.testing.assert_allclose(expected, [0.657895, 0.236842, 0.105263], atol=5e-7)
    assert np.abs(est.total - expected).max() < 0.01
    # the first-order estimator is noisier (B23: 0.674 for 0.658 at this N); centring the
    # output (analyse_sobol's default) takes the mean out of its variance
    centred = sobol_indices(*split_output(x @ w, n, 3), n_boot=0, center=True)
    assert np.abs(centred.first - expected).max() < 0.01


def test_b23_negative_first_order_not_clipped_and_interval_covers_zero():
    """B23: weights (0.6, 0.39, 0.01), analytic S3 = 0.000195: at N = 256 the estimate is
    often negative; it must stay negative (never clipped) with an interval covering 0."""
    w = np.array([0.6, 0.39, 0.01])
    negatives = 0
    for seed in range(40):
        x = _design(256, 3, seed=seed)
        est = sobol_indices(*split_output(x @ w, 256, 3), n_boot=200,
                            rng=np.random.default_rng(seed))
        if est.first[2] < 0:
            negatives += 1
            assert est.first_low[2] < 0 < est.first_high[2]
    assert 5 <= negatives <= 35  # about half of the runs (48.5% in the field case)


def test_b23_design_sizes_and_layout_checks():
    """B23: D = 3 at N = 4096 needs N (D + 2) = 20480 runs; a vector of another length is
    refused, and the analyser refuses anything but the design object."""
    x = _design(4096, 3)
    assert x.shape == (20480, 3)
    with pytest.raises(MethodError, match="20480"):
        split_output(np.zeros(32768), 4096, 3)
    b = [BoundInput(StepAlternatives(step=s, param="p", values=[0, 1]), s, 0, 1,
                    ({"p": 0}, {"p": 1})) for s in ("a", "b", "c", "d", "e", "f")]
    design = make_design(b, kind="sobol", n=56, seed=0)
    assert design.n_runs == 56 * 8 == 448  # 448 is also 56 x 8 = 32 x 14: length proves nothing
    with pytest.raises(MethodError, match="design"):
        analyse_sobol(np.zeros(448), np.zeros(448))  # a bare vector, not a design
    with pytest.raises(MethodError, match="448 runs"):
        analyse_sobol(design, np.zeros(447))
    mc = make_design(b, kind="montecarlo", n=448, seed=0)
    with pytest.raises(MethodError, match="Sobol design"):
        analyse_sobol(mc, np.zeros(448))


def test_failed_base_rows_are_left_out_and_reported():
    """A failed run removes its base row from every block; N used is reported."""
    b = [BoundInput(StepAlternatives(step=s, param="p", values=[0, 1]), s, 0, 1,
                    ({"p": 0}, {"p": 1})) for s in ("a", "b")]
    design = make_design(b, kind="sobol", n=64, seed=0, sampler="random")
    y = design.points @ [1.0, 2.0]
    y[64 * 2 + 5] = np.nan  # a failed run in block AB:a, base row 5
    table, notes = analyse_sobol(design, y, n_boot=50, rng=np.random.default_rng(0))
    assert (table["base_rows"] == 63).all()
    assert "63 of 64 base rows" in notes[0]


def test_groups_in_the_design():
    """A grouped input takes all its columns from B in its A_B block."""
    a, b = np.zeros((3, 4)), np.ones((3, 4))
    x = saltelli_matrix(a, b, [[0], [1, 2, 3]])
    assert x.shape == (12, 4)
    np.testing.assert_array_equal(x[6:9], [[1, 0, 0, 0]] * 3)
    np.testing.assert_array_equal(x[9:12], [[0, 1, 1, 1]] * 3)
    with pytest.raises(MethodError, match="partition"):
        saltelli_matrix(a, b, [[0], [1, 2]])


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(0.01, 100), shift=st.floats(-1e3, 1e3), seed=st.integers(0, 10**6))
def test_total_order_invariant_to_affine_output_and_first_order_to_scale(scale, shift, seed):
    """Property: ST is unchanged by y -> a y + b, S by y -> a y (ratios of variances)."""
    x = _design(64, 3, seed=seed)
    y = ishigami(x)
    base = sobol_indices(*split_output(y, 64, 3), n_boot=0)
    moved = sobol_indices(*split_output(scale * y + shift, 64, 3), n_boot=0)
    scaled = sobol_indices(*split_output(scale * y, 64, 3), n_boot=0)
    np.testing.assert_allclose(moved.total, base.total, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(scaled.first, base.first, rtol=1e-7, atol=1e-9)


def test_constant_output_gives_undefined_indices_not_zero():
    x = _design(16, 2)
    est = sobol_indices(*split_output(np.ones(len(x)), 16, 2), n_boot=10,
                        rng=np.random.default_rng(0))
    assert np.isnan(est.first).all() and np.isnan(est.total).all()


def test_bootstrap_needs_a_generator_and_finite_outputs():
    x = _design(16, 2)
    y = x.sum(axis=1)
    with pytest.raises(MethodError, match="Generator"):
        sobol_indices(*split_output(y, 16, 2), n_boot=10)
    y[3] = np.nan
    with pytest.raises(MethodError, match="finite"):
        sobol_indices(*split_output(y, 16, 2), n_boot=0)


# ---------------------------------------------------------------- kernel edges (docs/testing.md)
YA, YB, YAB = np.array([0.0, 2.0]), np.array([1.0, 3.0]), np.array([[1.0, 3.0]])


def test_estimators_by_hand_both_variances_and_centring():
    """N = 2, d = 1: y_A = (0, 2), y_B = (1, 3), y_AB = (1, 3). V of (0, 2, 1, 3): mean 1.5,
    sum of squares 5 -> 5/3 (ddof 1, COINr) or 5/4 (ddof 0, SALib). S = mean(y_B (y_AB -
    y_A))/V = 2/V -> 1.2 or 1.6; centred, y_B - 1.5 = (-0.5, 1.5): 0.5/V -> 0.3 or 0.4.
    ST = mean((y_A - y_AB)^2)/(2V) = 1/(2V) -> 0.3 or 0.4. A second output 2y (a trailing
    axis) has the same indices."""
    np.testing.assert_allclose(first_order(YA, YB, YAB), [1.2], rtol=1e-15)
    np.testing.assert_allclose(first_order(YA, YB, YAB, ddof=0), [1.6], rtol=1e-15)
    np.testing.assert_allclose(first_order(YA, YB, YAB, center=True), [0.3], rtol=1e-15)
    np.testing.assert_allclose(total_order(YA, YB, YAB), [0.3], rtol=1e-15)
    np.testing.assert_allclose(total_order(YA, YB, YAB, ddof=0), [0.4], rtol=1e-15)
    two = sobol_indices(np.c_[YA, 2 * YA], np.c_[YB, 2 * YB], np.stack([np.c_[YAB[0],
                        2 * YAB[0]]]), n_boot=0, ddof=0)
    np.testing.assert_allclose(two.first, [[1.6, 1.6]], rtol=1e-15)
    np.testing.assert_allclose(two.variance, [1.25, 5.0], rtol=1e-15)
    assert two.n == 2 and two.n_boot == 0 and np.isnan(two.first_low).all()


def test_bootstrap_resamples_the_same_rows_in_every_block():
    """N = 3; the replicates resample base rows with rng.integers(0, 3, (n_boot, 3)) (the same
    generator recomputed here): each replicate is the estimator on those rows of y_A, y_B
    and y_AB, V recomputed; chunking does not change them. The interval bounds are the
    (1 -/+ level)/2 quantiles of the replicates."""
    ya, yb, yab = np.array([0.0, 2.0, 5.0]), np.array([1.0, 3.0, 4.0]), np.array([[1.0, 3.0,
                                                                                   6.0]])
    f, t = bootstrap(ya, yb, yab, n_boot=6, rng=np.random.default_rng(7), center=True)
    idx = np.random.default_rng(7).integers(0, 3, size=(6, 3))
    for r, ii in enumerate(idx):
        a, b, ab = ya[ii], yb[ii], yab[0, ii]
        v = np.var(np.r_[a, b], ddof=1)
        if v > 0:
            bc = b - np.r_[a, b].mean()
            assert f[r, 0] == pytest.approx(np.mean(bc * (ab - a)) / v, rel=1e-12)
            assert t[r, 0] == pytest.approx(np.mean((a - ab) ** 2) / (2 * v), rel=1e-12)
        else:  # a resample of one row: V = 0, undefined
            assert np.isnan(f[r, 0]) and np.isnan(t[r, 0])
    f2, t2 = bootstrap(ya, yb, yab, n_boot=6, rng=np.random.default_rng(7), center=True,
                       chunk=4)
    np.testing.assert_array_equal(f2, f)
    np.testing.assert_array_equal(t2, t)
    est = sobol_indices(ya, yb, yab, n_boot=6, rng=np.random.default_rng(7), level=0.5,
                        center=True)
    assert est.first_low[0] == pytest.approx(np.quantile(f[:, 0], 0.25), rel=1e-12)
    assert est.first_high[0] == pytest.approx(np.quantile(f[:, 0], 0.75), rel=1e-12)
    assert est.total_low[0] == pytest.approx(np.quantile(t[:, 0], 0.25), rel=1e-12)
    assert est.total_high[0] == pytest.approx(np.quantile(t[:, 0], 0.75), rel=1e-12)
    assert est.level == 0.5 and est.n_boot == 6


def test_sobol_refusals_name_the_problem():
    with pytest.raises(MethodError, match=r"do not match: expected \(N, \.\.\.\), \(N, \.\.\.\)"):
        sobol_indices(YA, YB, YAB[0], n_boot=0)
    with pytest.raises(MethodError, match=r"needs at least 2 base rows"):
        sobol_indices(YA[:1], YB[:1], YAB[:, :1], n_boot=0)
    for level in (0.0, 1.0):
        with pytest.raises(MethodError, match=r"level must be in \(0, 1\)"):
            sobol_indices(YA, YB, YAB, n_boot=0, level=level)
    with pytest.raises(MethodError, match=r"A and B must be matrices of the same shape"):
        saltelli_matrix(np.zeros((2, 2)), np.zeros((3, 2)), [[0], [1]])
    with pytest.raises(MethodError, match=r"the groups must partition the 2 columns exactly "
                                          r"once"):
        saltelli_matrix(np.zeros((2, 2)), np.zeros((2, 2)), [[0, 1], [1]])


def test_ishigami_parameters():
    """x = (0.75, 0.75, 1) maps to (pi/2, pi/2, pi): sin 1 + a 1 + b pi^4 1; a = 2, b = 1 ->
    3 + pi^4; the defaults a = 7, b = 0.1 -> 8 + 0.1 pi^4."""
    x = np.array([0.75, 0.75, 1.0])
    assert float(ishigami(x, a=2.0, b=1.0)) == pytest.approx(3 + np.pi**4, rel=1e-14)
    assert float(ishigami(x)) == pytest.approx(8 + 0.1 * np.pi**4, rel=1e-14)


def test_split_output_keeps_trailing_axes():
    """Eight runs of two outputs each (N = 2, d = 2): rows 0-1 are y_A, rows 2-3 y_B, rows
    4-5 and 6-7 the two A_B blocks, each row keeping both outputs."""
    y = np.arange(16.0).reshape(8, 2)
    ya, yb, yab = split_output(y, 2, 2)
    np.testing.assert_array_equal(ya, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(yb, [[4, 5], [6, 7]])
    np.testing.assert_array_equal(yab, [[[8, 9], [10, 11]], [[12, 13], [14, 15]]])


def test_outputs_constant_on_a_and_b_only_are_undefined_not_infinite():
    """y_A = y_B = (1, 1): V = 0, so S and ST are undefined (NaN) even though y_AB = (2, 4)
    differs (the numerators 1 x mean(1, 3) = 2 and mean(1, 9)/2 = 2.5 are not 0: without the
    guard they would be +inf). Every bootstrap resample also has V = 0."""
    one = np.ones(2)
    yab = np.array([[2.0, 4.0]])
    assert np.isnan(first_order(one, one, yab)).all()
    assert np.isnan(total_order(one, one, yab)).all()
    f, t = bootstrap(one, one, yab, n_boot=3, rng=np.random.default_rng(0))
    assert np.isnan(f).all() and np.isnan(t).all()


def test_non_finite_outputs_refused_in_every_block():
    """A NaN or an infinity in y_B or in y_AB alone is refused like one in y_A."""
    for block in (1, 2):
        arrays = [YA.copy(), YB.copy(), YAB.copy()]
        arrays[block].flat[0] = np.inf if block == 1 else np.nan
        with pytest.raises(MethodError, match="need finite outputs for every run"):
            sobol_indices(*arrays, n_boot=0)


def test_sobol_defaults_and_a_single_replicate():
    """Defaults: 1000 bootstrap replicates, not centred (the estimate frozen). One replicate
    gives an interval of one point (both quantiles of one value are that value)."""
    import dataclasses

    ya, yb, yab = np.array([0.0, 2.0, 5.0]), np.array([1.0, 3.0, 4.0]), np.array([[1.0, 3.0,
                                                                                   6.0]])
    est = sobol_indices(ya, yb, yab, rng=np.random.default_rng(3))
    assert est.n_boot == 1000 and est.level == 0.95
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'n'"):
        est.n = 5  # type: ignore[misc]
    # bootstrap's default is the printed formula (not centred): replicate 0 by hand
    f, _ = bootstrap(ya, yb, yab, n_boot=1, rng=np.random.default_rng(7))
    ii = np.random.default_rng(7).integers(0, 3, size=(1, 3))[0]
    a, b, ab = ya[ii], yb[ii], yab[0, ii]
    v = np.var(np.r_[a, b], ddof=1)
    assert f[0, 0] == pytest.approx(np.mean(b * (ab - a)) / v, rel=1e-12)
    one = sobol_indices(ya, yb, yab, n_boot=1, rng=np.random.default_rng(7))
    assert one.first_low[0] == one.first_high[0] == pytest.approx(f[0, 0], rel=1e-12)
