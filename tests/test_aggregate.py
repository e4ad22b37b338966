"""Aggregation methods: COINr test-aggregate (coinr_cases.md B4), Mazziotta-Pareto (B9), Compind
formulas (B10), TOPSIS (B11) and field cases B03, B10; the aggregate step (per level, per code,
weight sets, missing values, shifts recorded).

Expected values: COINr/pymcdm published values or hand calculations (shown).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, InputError, MethodError, Panel, run
from gipro.methods import aggregate as A
from gipro.methods.normalise import minmax, orient
from gipro.methods.rank import rank
from gipro.methods.weight import benefit_of_the_doubt

nan = np.nan


# ---------------------------------------------------------------- B4: means
def test_b4_means():
    x = np.array([1.0, 2.0, 3.0])
    assert A.geometric_mean(x, np.ones(3)).item() == pytest.approx(6 ** (1 / 3), rel=1e-14)
    assert A.geometric_mean(x, np.array([1, 1, 2.0])).item() == pytest.approx(18 ** 0.25,
                                                                            rel=1e-14)
    # harmonic with weights (2, 1, 1): 4 / (2 + 1/2 + 1/3) = 1.4117647
    h = A.harmonic_mean(x, np.array([2.0, 1, 1])).item()
    assert h == pytest.approx(4 / (2 + 1 / 2 + 1 / 3), rel=1e-14)
    assert round(h, 7) == 1.4117647
    # generalised: p = -1 is the harmonic mean, p = 1 on (1, 2, 3) gives 2, p -> 0 geometric
    w = np.array([2.0, 1, 1])
    assert A.generalised_mean(x, w, p=-1).item() == pytest.approx(h, rel=1e-14)
    assert A.generalised_mean(x, np.ones(3), p=1).item() == pytest.approx(2.0, rel=1e-15)
    g = A.geometric_mean(x, w).item()
    assert A.generalised_mean(x, w, p=0).item() == g
    assert A.generalised_mean(x, w, p=1e-9).item() == pytest.approx(g, rel=1e-8)
    # p = 2: sqrt((2*1 + 4 + 9)/4)
    assert A.generalised_mean(x, w, p=2).item() == pytest.approx(math.sqrt(15 / 4), rel=1e-14)


def test_b4_zero_and_negative_raise_for_positive_means():
    for f in (A.geometric_mean, A.harmonic_mean):
        with pytest.raises(MethodError, match=r"strictly positive.*\['b'\]"):
            f(np.array([1.0, 0.0]), np.ones(2), names=["a", "b"])
    with pytest.raises(MethodError):
        A.generalised_mean(np.array([1.0, 0.0]), np.ones(2), p=-2)
    with pytest.raises(MethodError, match="non-negative"):
        A.generalised_mean(np.array([1.0, -1.0]), np.ones(2), p=2)


def test_b4_data_threshold_every_unit_wise_method():
    x = np.array([1.0, nan, nan, nan, nan])
    for name in ("arithmetic", "geometric", "harmonic", "mean_min", "mpi"):
        assert np.isnan(A.METHODS[name](x, np.ones(5), min_share=0.5).item()), name
    assert np.isnan(A.generalised_mean(x, np.ones(5), p=2, min_share=0.5).item())


def test_b03_shift_is_explicit_and_keeps_the_scale():
    # min-max onto [0, 100]: A = (0, 100), B = (50, 0), C = (100, 50); shift 1:
    # sqrt((x1 + 1)(x2 + 1)) - 1
    y = np.array([[0.0, 100], [50, 0], [100, 50]])
    g = A.geometric_mean(y, np.ones(2), shift=1.0)
    np.testing.assert_allclose(g, [math.sqrt(101) - 1, math.sqrt(51) - 1,
                                   math.sqrt(101 * 51) - 1], rtol=1e-14)
    assert A.geometric_mean(np.array([7.0, 7.0]), np.ones(2), shift=3).item() == \
        pytest.approx(7.0, rel=1e-15)


# ---------------------------------------------------------------- B4: outranking, Copeland
B4_X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)


def test_b4_outranking_matrix_and_copeland():
    m, dom = A.outranking(B4_X, np.ones(3))
    t = 1 / 3
    expected = [[0, t, 2 * t, 0], [2 * t, 0, 2 * t, 0], [t, t, 0, 0], [1, 1, 1, 0]]
    np.testing.assert_allclose(m, expected, atol=1e-15)
    assert dom == 0.5  # 3 dominant pairs of 6
    assert A.copeland(B4_X, np.ones(3)).tolist() == [-1, 1, -3, 3]


def test_b4_two_units_each_winning_one_indicator():
    m, _ = A.outranking(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2))
    assert m.tolist() == [[0, 0.5], [0.5, 0]]
    assert A.copeland(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2)).tolist() == [0, 0]


def test_copeland_missing_child_compared_on_common_children():
    # unit 2 misses child 3: compared with the others on children 1 and 2 only
    x = B4_X.copy()
    x[1, 2] = nan
    m, _ = A.outranking(x, np.ones(3))
    # unit 2 vs unit 1 on (x1, x2): wins x1 (2 > 1), loses x2 (2 < 3): 1/2
    assert m[1, 0] == 0.5 and m[0, 1] == 0.5
    assert np.isnan(A.copeland(x, np.ones(3), min_share=1.0)[1])


# ---------------------------------------------------------------- B9: Mazziotta-Pareto
def test_b9_mpi_hand_cases():
    f = A.mazziotta_pareto
    assert f(np.array([110.0, 90.0]), np.ones(2)).item() == pytest.approx(99, rel=1e-15)
    assert f(np.array([110.0, 90.0]), np.ones(2), penalty=1).item() == pytest.approx(101)
    assert f(np.array([100.0, 100.0]), np.ones(2)).item() == 100.0
    # (120, 100): M 110, S 10 (population), cv 1/11: 110 -/+ 10/11
    assert f(np.array([120.0, 100.0]), np.ones(2)).item() == pytest.approx(110 - 10 / 11)
    assert round(f(np.array([120.0, 100.0]), np.ones(2)).item(), 4) == 109.0909
    assert round(f(np.array([120.0, 100.0]), np.ones(2), penalty=1).item(), 4) == 110.9091
    # sample sd (Compind): S^2 = 200 -> 110 - 200/110
    assert f(np.array([120.0, 100.0]), np.ones(2), ddof=1).item() == pytest.approx(110 - 200 / 110)
    with pytest.raises(MethodError, match="positive mean"):
        f(np.array([-1.0, 0.5]), np.ones(2))


def test_b9_mpi_and_ampi_through_the_build():
    fw = Framework([{"code": c, "parent": "I", "direction": 1} for c in "ab"], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([("A", 1), ("A", 2), ("B", 1), ("B", 2)],
                                    names=["unit", "period"])
    panel = Panel(pd.DataFrame({"a": [10.0, 30, 20, 40], "b": [20.0, 40, 10, 30]}, index=idx))
    rec = {"framework": "x", "data": {"dataset": "china_provinces"},
           "steps": [{"step": "normalise", "method": "ampi"},
                     {"step": "aggregate", "method": "mpi"}]}
    b = run(rec, framework=fw, panel=panel)
    # AMPI: pooled range 30, ref = period-1 mean 15: a -> A1 90, A2 130, B1 110, B2 150;
    # b -> A1 110, A2 150, B1 90, B2 130. Unit A1 (90, 110): M 100, S 10 -> 99
    n = b.data("normalised")
    np.testing.assert_allclose(n["a"], [90, 130, 110, 150], atol=1e-12)
    agg = b.data("aggregated")["I"]
    assert agg.loc[("A", 1)] == pytest.approx(99, rel=1e-14)
    assert agg.loc[("A", 2)] == pytest.approx(140 - 100 / 140, rel=1e-14)
    assert "population sd" in b.log[1].notes[0]


# ---------------------------------------------------------------- B10: mean-min, BoD
def test_b10_mean_min_limits_and_value():
    x = np.array([[2.0, 4.0, 9.0], [5.0, 5.0, 5.0]])
    w = np.ones(3)
    np.testing.assert_allclose(A.mean_min(x, w, alpha=0), [5, 5])
    np.testing.assert_allclose(A.mean_min(x, w, alpha=1, beta=0), [2, 5])
    # alpha 0.5, beta 4: 5 - 0.5 (sqrt(9 + 16) - 4) = 4.5
    assert A.mean_min(x[0], w, alpha=0.5, beta=4).item() == pytest.approx(4.5, rel=1e-15)


def test_b10_benefit_of_the_doubt_properties():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, (25, 4))
    s, w = benefit_of_the_doubt(x)
    assert (s <= 1 + 1e-12).all() and (w >= -1e-12).all()
    for j in range(4):  # the best unit on any single indicator scores 1
        assert s[np.argmax(x[:, j])] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(s, np.sum(w * x, axis=1), atol=1e-9)
    # hand case: (2, 2) against (1, 4) and (4, 1): w = (0.2, 0.2) gives 0.8
    s2, _ = benefit_of_the_doubt(np.array([[1.0, 4], [2, 2], [4, 1], [1, 1]]))
    np.testing.assert_allclose(s2, [1, 0.8, 1, 0.4], atol=1e-9)
    with pytest.raises(MethodError, match="non-negative"):
        benefit_of_the_doubt(np.array([[1.0, -1.0], [2.0, 1.0]]))


def test_bod_missing_child_compared_on_available_children():
    # unit 3 has only child 1: compared with units having child 1 on child 1 alone: 2/4
    x = np.array([[4.0, 1.0], [1.0, 4.0], [2.0, nan]])
    s, w = benefit_of_the_doubt(x)
    assert s[2] == pytest.approx(0.5, abs=1e-9) and np.isnan(w[2, 1])
    s2, _ = benefit_of_the_doubt(x, min_share=1.0)
    assert np.isnan(s2[2]) and s2[0] == pytest.approx(1.0)


# ---------------------------------------------------------------- B11 and field case B10: TOPSIS
def test_b11_topsis_pymcdm_readme():
    x = np.array([[4, 4], [1, 5], [3, 2], [4, 2]], dtype=float)
    c = A.topsis(orient(x, np.array([1.0, -1.0])), np.array([0.5, 0.5]), normalise="minmax")
    np.testing.assert_allclose(c.round(4), [0.6126, 0.0, 0.7829, 1.0])
    assert rank(c).tolist() == [3, 4, 2, 1]
    # the same with the data min-max normalised first and normalise="none"
    y = minmax(orient(x, np.array([1.0, -1.0])), low=0, high=1)
    np.testing.assert_allclose(A.topsis(y, np.array([0.5, 0.5]), normalise="none"), c,
                               rtol=1e-14)


def test_field_b10_topsis_all_zero_column():
    x = np.array([[1, 0, 3], [2, 0, 1], [3, 0, 2], [4, 0, 4]], dtype=float)
    c = A.topsis(x, np.ones(3) / 3)
    np.testing.assert_allclose(c, [0.387426, 0.217129, 0.5, 1.0], atol=5e-7)
    assert rank(c).tolist() == [3, 4, 2, 1]
    np.testing.assert_allclose(c, A.topsis(x[:, [0, 2]], np.ones(2) / 2), rtol=1e-14)
    np.testing.assert_allclose(c, A.topsis(x, np.ones(3) * 7), rtol=1e-14)
    with pytest.raises(MethodError, match="no child varies"):
        A.topsis(np.ones((3, 2)), np.ones(2))


# ---------------------------------------------------------------- weights with a replication axis
def test_weights_with_replication_axis():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 100, (6, 3))
    w = rng.uniform(0.1, 1, (4, 1, 3))  # 4 runs of perturbed weights
    for name in ("arithmetic", "geometric", "harmonic", "mean_min", "mpi"):
        y = A.METHODS[name](x, w)
        assert y.shape == (4, 6)
        for r in range(4):
            np.testing.assert_allclose(y[r], A.METHODS[name](x, w[r, 0]), rtol=1e-13)
    for name in ("copeland", "topsis"):
        y = A.METHODS[name](x, w)
        assert y.shape == (4, 6)
        for r in range(4):
            np.testing.assert_allclose(y[r], A.METHODS[name](x, w[r, 0]), rtol=1e-13)


# ---------------------------------------------------------------- the aggregate step
def tree():
    fw = Framework(
        [{"code": "a", "parent": "E", "direction": 1}, {"code": "b", "parent": "E", "direction": 1},
         {"code": "c", "parent": "S", "direction": 1},
         {"code": "d", "parent": "S", "direction": 1}],
        [{"code": "I"}, {"code": "E", "parent": "I"}, {"code": "S", "parent": "I", "weight": 3}])
    idx = pd.MultiIndex.from_tuples([(u, 1) for u in "UVW"], names=["unit", "period"])
    # after min-max onto [1, 100]: a (1, 50.5, 100), b (100, 1, 50.5), c (1, 100, 50.5),
    # d (50.5, 1, 100)
    panel = Panel(pd.DataFrame({"a": [0.0, 1, 2], "b": [2.0, 0, 1], "c": [0.0, 2, 1],
                                "d": [1.0, 0, 2]}, index=idx))
    return fw, panel


def agg_run(**agg):
    fw, panel = tree()
    return run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [{"step": "normalise", "range": [1, 100]},
                          {"step": "aggregate", **agg}]}, framework=fw, panel=panel)


def test_per_level_and_per_code_methods():
    b = agg_run(by_level={3: "geometric"}, by_code={"S": {"method": "harmonic"}})
    out = b.data("aggregated")
    # U: E = (1 + 100)/2 = 50.5 (arithmetic), S = harmonic(1, 50.5) = 2/(1 + 1/50.5)
    e, s = 50.5, 2 / (1 + 1 / 50.5)
    assert out.loc[("U", 1), "E"] == pytest.approx(e, rel=1e-14)
    assert out.loc[("U", 1), "S"] == pytest.approx(s, rel=1e-14)
    # index: geometric with weights E 1, S 3: e^(1/4) s^(3/4)
    assert out.loc[("U", 1), "I"] == pytest.approx(e ** 0.25 * s ** 0.75, rel=1e-14)
    notes = " ".join(b.log[1].notes)
    assert "S: weighted harmonic mean" in notes and "I: weighted geometric mean" in notes
    assert b.fitted["aggregate"]["weights"]["I"] == {"E": 1.0, "S": 3.0}


def test_generalised_needs_p_and_unknown_codes_rejected():
    with pytest.raises(InputError, match="generalised needs p"):
        agg_run(method="generalised")
    with pytest.raises(InputError, match="not aggregates"):
        agg_run(by_code={"a": "geometric"})
    with pytest.raises(InputError, match="no weight set named 'pca'"):
        agg_run(weights="pca")
    with pytest.raises(InputError, match="'p' does not apply to method 'arithmetic'"):
        agg_run(p=2)


def test_shift_recorded_and_cross_unit_methods_in_build():
    b = agg_run(method="geometric", shift=1.0)
    assert "with shift 1" in b.log[1].notes[0]
    assert b.log[1].params["shift"] == 1.0
    c = agg_run(method="copeland")
    # E: a = (1, 50.5, 100), b = (100, 1, 50.5): U vs V: 1-1, U vs W: 1-1, V vs W: 0-2
    # -> Copeland E: U 0, V -1, W 1
    assert c.data("aggregated")["E"].tolist() == [0, -1, 1]
    t = agg_run(method="topsis", bounds="per_period")
    assert "within each period" in t.log[1].notes[0]
    bod = agg_run(method="bod")
    assert (bod.data("aggregated")["E"] <= 1 + 1e-12).all()
    assert "aggregate.bod" in bod.weights


def test_geometric_zero_names_unit_and_period_every_positive_method():
    fw, panel = tree()
    for method in ("geometric", "harmonic"):
        with pytest.raises(MethodError) as e:
            run({"framework": "x", "data": {"dataset": "china_provinces"},
                 "steps": [{"step": "normalise"}, {"step": "aggregate", "method": method}]},
                framework=fw, panel=panel)
        assert "a is 0 for unit U in 1" in str(e.value)


def test_missing_child_renormalised_for_every_method():
    fw, panel = tree()
    panel.values.loc[("V", 1), "a"] = np.nan
    for method, extra in [("arithmetic", {}), ("geometric", {}), ("harmonic", {}),
                          ("generalised", {"p": 2}), ("mean_min", {}), ("copeland", {}),
                          ("topsis", {}), ("bod", {})]:
        b = run({"framework": "x", "data": {"dataset": "china_provinces"},
                 "steps": [{"step": "normalise", "range": [1, 100]},
                           {"step": "aggregate", "method": method, "min_availability": 0.5,
                            **extra}]}, framework=fw, panel=panel)
        e = b.data("aggregated").loc[("V", 1), "E"]
        assert not np.isnan(e), method
        assert "E: 1 unit-periods aggregated over the available children only" in " ".join(
            b.log[1].notes), method
        strict = b.with_step("aggregate", min_availability=1.0).run()
        assert np.isnan(strict.data("aggregated").loc[("V", 1), "E"]), method


# ---------------------------------------------------------------- a level in one call
_KERNELS = [("arithmetic", {}), ("geometric", {}), ("harmonic", {"shift": 1.0}),
            ("generalised", {"p": 2.5}), ("generalised", {"p": -0.5}),
            ("mean_min", {"alpha": 0.3, "beta": 0.2}), ("mpi", {"ddof": 1})]


@pytest.mark.parametrize("lead", [(1, 51), (3, 20), (6, 2, 9), (4, 1, 1)])
def test_level_mean_equals_one_call_per_parent(lead):
    """Aggregating the parents of a group (gipro.methods.aggregate.group_parents) in one
    level_mean call gives, bit for bit, each parent's score from its own kernel call --
    every unit-wise method, missing children, zero weights, min_share, replication axes
    (weights (R, 1, 1, n, k) for lead (R, P, U)). Expected values: the per-parent kernels."""
    rng = np.random.default_rng(sum(lead))
    n_cols = 60
    x = rng.uniform(0.5, 100, (*lead, n_cols)) * 10.0 ** rng.integers(-2, 3, (*lead, n_cols))
    x[rng.random(x.shape) < 0.15] = nan
    sizes = [int(k) for k in rng.integers(1, 26, size=12)]
    parents = [list(rng.choice(n_cols, size=k, replace=False)) for k in sizes]
    batched = len(lead) == 3
    for group in A.group_parents(sizes):
        children = A.pad_children([parents[i] for i in group])
        wshape = ((lead[0], 1, 1) if batched else ()) + children.shape
        w = np.where(children >= 0, rng.uniform(0, 2, wshape), 0.0)
        w[..., 0] += 0.1  # every parent has a positive weight
        for method, params in _KERNELS:
            xin = x + (50 if method == "mpi" else 0)
            for share in (0.0, 0.6):
                y = A.level_mean(xin, children, w, method=method, min_share=share, **params)
                for j, i in enumerate(group):
                    one = A.METHODS[method](xin[..., parents[i]], w[..., j, :sizes[i]],
                                            min_share=share, **params)
                    np.testing.assert_array_equal(y[..., j], one)


def test_group_parents_keeps_blocks_of_eight_apart():
    """Rows are padded only within their block of 8 children (numpy's pairwise summation
    adds 8 or more terms in blocks of 8)."""
    assert A.group_parents([1, 7, 8, 15, 16, 3]) == [[0, 1, 5], [2, 3], [4]]
    assert A.pad_children([[4], [1, 2]]).tolist() == [[4, -1], [1, 2]]


def test_level_mean_errors_name_the_child():
    """A value outside the method's domain is reported by the kernel's message for the first
    parent in error, naming its child; non unit-wise methods are refused."""
    x = np.array([[5.0, 0.0, 3.0, 2.0]])
    children = A.pad_children([[2, 3], [0, 1]])
    with pytest.raises(MethodError, match=r"geometric mean needs strictly positive.*\['B'\]"):
        A.level_mean(x, children, np.ones((2, 2)), method="geometric",
                     names=[["C", "D"], ["A", "B"]])
    with pytest.raises(MethodError, match="unit-wise"):
        A.level_mean(x, children, np.ones((2, 2)), method="topsis")
    with pytest.raises(MethodError, match="at least one child"):
        A.level_mean(x, np.array([[-1, 0]]), np.ones((1, 2)))


def test_check_false_skips_only_the_weight_checks():
    """check=False gives the same scores for valid weights (the step validates them once)."""
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 9, (4, 5))
    w = rng.uniform(0.1, 1, 5)
    for method, params in _KERNELS:
        np.testing.assert_array_equal(
            A.METHODS[method](x, w, min_share=0.5, check=False, **params),
            A.METHODS[method](x, w, min_share=0.5, **params))
    with pytest.raises(MethodError, match="finite and >= 0"):
        A.arithmetic_mean(x, -w)
