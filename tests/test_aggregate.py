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
    with pytest.raises(MethodError, match=r"generalised mean of order -2 needs strictly "
                                          r"positive values"):
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
    # dominance (one unit better on every child): E only W over V, S (c, d = (1, 100, 50.5),
    # (50.5, 1, 100)) only W over U: 1 of 3 pairs; I (E, S Copeland: U (0, -1), V (-1, 0),
    # W (1, 1)): W over U and over V, 2 of 3
    dom = c.fitted["aggregate"]["dominance"]
    assert {k: float(v[0]) for k, v in dom.items()} == pytest.approx(
        {"E": 1 / 3, "S": 1 / 3, "I": 2 / 3}, rel=1e-14)
    assert "E: outranking matrix, share of dominance pairs 0.333333" in c.log[1].notes
    t = agg_run(method="topsis", bounds="per_period")
    assert "within each period" in t.log[1].notes[0]
    bod = agg_run(method="bod")
    assert (bod.data("aggregated")["E"] <= 1 + 1e-12).all()
    assert "aggregate.bod" in bod.weights


def test_geometric_zero_names_unit_and_period_every_positive_method():
    fw, panel = tree()
    for method, extra, name in (("geometric", {}, "weighted geometric mean"),
                                ("harmonic", {}, "weighted harmonic mean"),
                                ("generalised", {"p": -1}, "generalised mean")):
        # after min-max onto [0, 100]: a (0, 50, 100), b (100, 0, 50): E has two zeros
        with pytest.raises(MethodError, match=rf"step 'aggregate': {name} of E needs strictly "
                                              r"positive scores; a is 0 for unit U in 1 "
                                              r"\(2 such values\)"):
            run({"framework": "x", "data": {"dataset": "china_provinces"},
                 "steps": [{"step": "normalise"},
                           {"step": "aggregate", "method": method, **extra}]},
                framework=fw, panel=panel)


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


# ---------------------------------------------------------------- kernel edges (docs/testing.md)
def test_refusals_of_the_shared_checks_name_the_problem():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    for share in (-0.1, 1.1):
        with pytest.raises(MethodError, match=r"min_share must be between 0 and 1, got"):
            A.arithmetic_mean(x, np.ones(2), min_share=share)
    for w in ([1.0, -1.0], [1.0, np.inf], [1.0, nan]):
        with pytest.raises(MethodError, match=r"aggregation weights must be finite and >= 0"):
            A.arithmetic_mean(x, np.array(w))
    with pytest.raises(MethodError, match=r"aggregation weights are all zero for some group"):
        A.arithmetic_mean(x, np.array([[1.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(MethodError, match=r"generalised mean order p must be finite, got inf"):
        A.generalised_mean(x, np.ones(2), p=np.inf)
    with pytest.raises(MethodError, match=r"strictly positive values; zero or negative"):
        A.generalised_mean(np.array([1.0, 0.0]), np.ones(2), p=-2)
    for alpha, beta in ((1.5, 0.0), (-0.1, 0.0), (0.5, -1.0)):
        with pytest.raises(MethodError, match=r"mean-min needs 0 <= alpha <= 1 and beta >= 0"):
            A.mean_min(x, np.ones(2), alpha=alpha, beta=beta)
    for penalty, ddof in ((0, 0), (-1, 2)):
        with pytest.raises(MethodError, match=r"MPI needs penalty -1 or 1 and ddof 0 or 1"):
            A.mazziotta_pareto(x, np.ones(2), penalty=penalty, ddof=ddof)
    with pytest.raises(MethodError, match=r"cross-unit methods take one weight per child"):
        A.copeland(x, np.ones((2, 2)))
    with pytest.raises(MethodError, match=r"TOPSIS normalise must be vector, minmax or none, "
                                          r"got 'sum'"):
        A.topsis(x, np.ones(2), normalise="sum")


def test_min_share_reached_up_to_rounding_counts():
    """2 of 4 children available = 0.5; a threshold of 0.5 + 1e-12 is reached within the
    1e-12 rounding allowance, 0.5 + 1e-9 is not."""
    x = np.array([2.0, 4.0, nan, nan])
    assert A.arithmetic_mean(x, np.ones(4), min_share=0.5 + 1e-12).item() == 3.0
    assert np.isnan(A.arithmetic_mean(x, np.ones(4), min_share=0.5 + 1e-9).item())


def test_unit_wise_means_with_unequal_weights_and_a_missing_child():
    """Children (4, NaN, 16) with weights (1, 5, 3): the missing child's weight is dropped,
    (1, 3) renormalised. Arithmetic (4 + 48)/4 = 13; geometric 4^(1/4) 16^(3/4) = 8 sqrt(2);
    harmonic 4/(1/4 + 3/16) = 64/7; power mean p = 2: sqrt((16 + 3 x 256)/4) = 14; p = -1 is
    the harmonic; mean-min (alpha 0.5, beta 0): 13 - 0.5 (13 - 4) = 8.5."""
    x = np.array([4.0, nan, 16.0])
    w = np.array([1.0, 5.0, 3.0])
    assert A.arithmetic_mean(x, w).item() == 13.0
    assert A.geometric_mean(x, w).item() == pytest.approx(8 * math.sqrt(2), rel=1e-15)
    assert A.harmonic_mean(x, w).item() == pytest.approx(64 / 7, rel=1e-15)
    assert A.generalised_mean(x, w, p=2).item() == pytest.approx(14.0, rel=1e-15)
    assert A.generalised_mean(x, w, p=-1).item() == pytest.approx(64 / 7, rel=1e-15)
    assert A.mean_min(x, w).item() == 8.5
    # the same with a replication axis of two weight sets: (1, 5, 3) and (3, 5, 1)
    w2 = np.array([[[1.0, 5.0, 3.0]], [[3.0, 5.0, 1.0]]])
    np.testing.assert_allclose(A.arithmetic_mean(x[None, :], w2), [[13.0], [7.0]], rtol=1e-15)


def test_shifts_are_added_before_and_subtracted_after():
    """Shift 1 on (1, NaN, 3), weights (1, 1, 2): harmonic 3/(1/2 + 2/4) - 1 = 2; geometric
    (2 x 4^2)^(1/3) - 1 = 32^(1/3) - 1; power mean p = 1 is the arithmetic mean (7/3) whatever
    the shift; p = -2: (3/(1/4 + 2/16))^(1/2) - 1 = sqrt(8) - 1."""
    x = np.array([1.0, nan, 3.0])
    w = np.array([1.0, 1.0, 2.0])
    assert A.harmonic_mean(x, w, shift=1.0).item() == pytest.approx(2.0, rel=1e-15)
    assert A.geometric_mean(x, w, shift=1.0).item() == pytest.approx(32 ** (1 / 3) - 1,
                                                                     rel=1e-15)
    assert A.generalised_mean(x, w, p=1, shift=1.0).item() == pytest.approx(7 / 3, rel=1e-15)
    assert A.generalised_mean(x, w, p=-2, shift=1.0).item() == pytest.approx(
        math.sqrt(8) - 1, rel=1e-14)
    with pytest.raises(MethodError, match=r"geometric mean \(after shift 1\) needs strictly"):
        A.geometric_mean(np.array([-1.0, 2.0]), np.ones(2), shift=1.0)


def test_power_mean_of_zeros_and_its_thresholds():
    """p > 0 allows zeros: (0, 4) with p = 2: sqrt(16/2) = sqrt(8); all zero: 0. p = 0 and
    p = 1 keep the data threshold: 1 of 5 children is below min_share 0.5."""
    assert A.generalised_mean(np.array([0.0, 4.0]), np.ones(2), p=2).item() == pytest.approx(
        math.sqrt(8), rel=1e-15)
    assert A.generalised_mean(np.array([0.0, 0.0]), np.ones(2), p=2).item() == 0.0
    x = np.array([1.0, nan, nan, nan, nan])
    for p in (0, 1):
        assert np.isnan(A.generalised_mean(x, np.ones(5), p=p, min_share=0.5).item())


def test_mean_min_curvature_and_missing_child():
    """(2, 8), alpha 1, beta 4: M 5, M - m 3: 5 - (sqrt(9 + 16) - 4) = 4. (2, NaN, 8) with
    weights (3, 1, 1): M = (6 + 8)/4 = 3.5, m = 2: 3.5 - 0.5 x 1.5 = 2.75 (defaults alpha 0.5,
    beta 0)."""
    assert A.mean_min(np.array([2.0, 8.0]), np.ones(2), alpha=1, beta=4).item() == 4.0
    assert A.mean_min(np.array([2.0, nan, 8.0]), np.array([3.0, 1.0, 1.0])).item() == 2.75


def test_mpi_with_unequal_weights_and_missing_children():
    """(110, 90), weights (3, 1): M = 105, weighted variance (3 x 25 + 225)/4 = 75: MPI- =
    105 - 75/105. (120, NaN, 100) with ddof 1: M 110, variance 100 x 2/1 = 200: 110 - 200/110;
    one available child with ddof 1: undefined (NaN)."""
    assert A.mazziotta_pareto(np.array([110.0, 90.0]), np.array([3.0, 1.0])).item() == \
        pytest.approx(105 - 75 / 105, rel=1e-15)
    assert A.mazziotta_pareto(np.array([120.0, nan, 100.0]), np.ones(3), ddof=1).item() == \
        pytest.approx(110 - 200 / 110, rel=1e-15)
    assert np.isnan(A.mazziotta_pareto(np.array([120.0, nan]), np.ones(2), ddof=1).item())


def test_outranking_and_copeland_with_unequal_weights():
    """x = (1, 5), (3, 5), (2, 1), weights (3, 1). O12 = tie on child 2: 0.5 x 1/4 = 0.125,
    O21 = (3 + 0.5)/4; O13 = 1/4, O31 = 3/4; O23 = 1, O32 = 0. Copeland: unit 1 loses both
    (-2), unit 2 wins both (2), unit 3 one each (0); with equal weights (-1, 2, -1). One
    dominant pair (2 over 3) of three: dominance 1/3. Weights of shape (1, 2) are the same."""
    x = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 1.0]])
    w = np.array([3.0, 1.0])
    m, dom = A.outranking(x, w)
    assert m.tolist() == [[0, 0.125, 0.25], [0.875, 0, 1], [0.75, 0, 0]]
    assert dom == pytest.approx(1 / 3, rel=1e-15)
    assert A.copeland(x, w).tolist() == [-2, 2, 0]
    assert A.copeland(x, w[None, :]).tolist() == [-2, 2, 0]
    assert A.copeland(x, np.ones(2)).tolist() == [-1, 2, -1]


def test_outranking_leaves_out_units_below_the_threshold():
    """Unit 4 has no child: it takes no part (NaN row and column, Copeland NaN) and the
    dominance share counts the three pairs of the others (one dominant pair: 1/3)."""
    x = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 1.0], [nan, nan]])
    m, dom = A.outranking(x, np.array([3.0, 1.0]), min_share=0.5)
    assert np.isnan(m[3]).all() and np.isnan(m[:, 3]).all()
    assert dom == pytest.approx(1 / 3, rel=1e-15)
    c = A.copeland(x, np.array([3.0, 1.0]), min_share=0.5)
    assert c[:3].tolist() == [-2, 2, 0] and np.isnan(c[3])


# Hand case for TOPSIS: columns (3, 4, 0) (norm 5) and (0, 6, 8) (norm 10); weights (3, 1)
# -> renormalised (0.75, 0.25); r = (0.6, 0.8, 0), (0, 0.6, 0.8); ideal (0.8, 0.8), anti-ideal 0.
T_X = np.array([[3.0, 0.0], [4.0, 6.0], [0.0, 8.0]])
T_W = np.array([3.0, 1.0])


def test_topsis_default_vector_normalisation_unequal_weights():
    """Unit 1: D+ = sqrt(0.75^2 0.2^2 + 0.25^2 0.8^2) = 0.25, D- = 0.75 x 0.6 = 0.45 ->
    0.45/0.7 = 9/14. Unit 2: D+ = 0.25 x 0.2 = 0.05, D- = sqrt(0.75^2 0.8^2 + 0.25^2 0.6^2) =
    sqrt(0.3825). Unit 3: D+ = 0.75 x 0.8 = 0.6, D- = 0.25 x 0.8 = 0.2 -> 0.25."""
    c = A.topsis(T_X, T_W)
    d = math.sqrt(0.3825)
    np.testing.assert_allclose(c, [9 / 14, d / (0.05 + d), 0.25], rtol=1e-14)
    # the weights are renormalised per unit, so their scale does not matter
    np.testing.assert_allclose(A.topsis(T_X, T_W * 10), c, rtol=1e-14)


def test_topsis_minmax_normalisation_unequal_weights():
    """Columns (3, 4, 12) -> (0, 1/9, 1) and (0, 6, 8) -> (0, 3/4, 1); ideal (1, 1), anti-ideal
    (0, 0); unit 1 is the anti-ideal (0), unit 3 the ideal (1); unit 2: D+^2 = 0.75^2 (8/9)^2 +
    0.25^2 (1/4)^2, D-^2 = 0.75^2 (1/9)^2 + 0.25^2 (3/4)^2."""
    x = np.array([[3.0, 0.0], [4.0, 6.0], [12.0, 8.0]])
    c = A.topsis(x, T_W, normalise="minmax")
    dp = math.sqrt(0.75**2 * (8 / 9) ** 2 + 0.25**2 / 16)
    dm = math.sqrt(0.75**2 / 81 + 0.25**2 * 0.75**2)
    np.testing.assert_allclose(c, [0, dm / (dp + dm), 1], rtol=1e-14, atol=1e-15)


def test_topsis_missing_value_keeps_the_ideal_finite():
    """Unit 3 misses child 2: column 2 is normalised by its observed values (0, 6): (0, 1);
    the ideal is (0.8, 1), the anti-ideal (0, 0). Unit 1: D+^2 = 0.5625 x 0.04 + 0.0625 x 1 =
    0.085, D- = 0.45 -> 0.45/(sqrt(0.085) + 0.45); unit 2 is the ideal (1); unit 3, weights
    (1, 0) over its one child: D+ = 0.8, D- = 0 -> 0."""
    x = np.array([[3.0, 0.0], [4.0, 6.0], [0.0, nan]])
    c = A.topsis(x, T_W)
    np.testing.assert_allclose(c, [0.45 / (math.sqrt(0.085) + 0.45), 1, 0], rtol=1e-14)


def test_level_mean_refuses_malformed_children_and_reraises_without_names():
    x = np.array([[5.0, 0.0, 3.0, 2.0]])
    for children in (np.array([0, 1]), np.empty((2, 0), dtype=int), np.array([[-1, 0]])):
        with pytest.raises(MethodError, match=r"children must be a \(n_parents, k_max\) matrix"):
            A.level_mean(x, children, np.ones((1, 2)))
    with pytest.raises(MethodError, match=r"geometric mean needs strictly positive values; "
                                          r"zero or negative values in \[1\]"):
        A.level_mean(x, A.pad_children([[2, 3], [0, 1]]), np.ones((2, 2)), method="geometric")
    assert A.pad_children([]).shape == (0, 0)


def test_cross_unit_methods_pooled_and_per_period():
    """Units U, V in periods 1, 2; a = U (1, 4), V (2, 3); b = U (1, 4), V (3, 2); min-max
    onto [0, 100] pooled: U1 (0, 0), V1 (100/3, 200/3), U2 (100, 100), V2 (200/3, 100/3).
    Per period (two units): period 1 V beats U on both children, period 2 U beats V:
    Copeland U1 -1, V1 1, U2 1, V2 -1; TOPSIS (no further normalisation) V1 and U2 are the
    ideal (1), U1 and V2 the anti-ideal (0); BoD V1 1, U1 0, U2 1, V2 (200/3)/100 = 2/3.
    Pooled (four unit-periods): U2 beats all, U1 loses to all, V1 and V2 tie (one child
    each): Copeland U1 -3, V1 0, U2 3, V2 0; TOPSIS ideal (100, 100), anti-ideal (0, 0): V1
    and V2 are equally far from both: 0.5; BoD V1 = V2 = 2/3."""
    fw = Framework([{"code": c, "parent": "I", "direction": 1} for c in "ab"], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([("U", 1), ("U", 2), ("V", 1), ("V", 2)],
                                    names=["unit", "period"])
    panel = Panel(pd.DataFrame({"a": [1.0, 4, 2, 3], "b": [1.0, 4, 3, 2]}, index=idx))
    # rows in (U1, U2, V1, V2) order
    expect = {("copeland", "per_period"): [-1, 1, 1, -1], ("copeland", "pooled"): [-3, 3, 0, 0],
              ("topsis", "per_period"): [0, 1, 1, 0], ("topsis", "pooled"): [0, 1, 0.5, 0.5],
              ("bod", "per_period"): [0, 1, 1, 2 / 3], ("bod", "pooled"): [0, 1, 2 / 3, 2 / 3]}
    for (method, bounds), v in expect.items():
        extra = {"topsis_normalise": "none"} if method == "topsis" else {}
        b = run({"framework": "x", "data": {"dataset": "china_provinces"},
                 "steps": [{"step": "normalise"},
                           {"step": "aggregate", "method": method, "bounds": bounds, **extra}]},
                framework=fw, panel=panel)
        got = b.data("aggregated")["I"].loc[[("U", 1), ("U", 2), ("V", 1), ("V", 2)]]
        np.testing.assert_allclose(got, v, atol=1e-9, err_msg=f"{method} {bounds}")


_ENTRIES = [0.0, -0.0, 0.5, 1.0, 3.0, 100.0, 1e-300]


@pytest.mark.parametrize("with_nan", [False, True])
def test_means_are_their_formulas_bit_for_bit(with_nan):
    """arithmetic and geometric means, with and without missing values, zero weights (-0.0
    too) and broadcast weights, equal the Handbook's formulas written out (OECD/JRC 2008,
    sections 6.1-6.2: weights renormalised over the available children) to the last bit."""
    rng = np.random.default_rng(7)
    x = rng.choice([0.5, 1.0, 2.0, 10.0, 77.0], size=(4, 6, 5))
    if with_nan:
        x[rng.random(x.shape) < 0.3] = np.nan
    w = rng.choice(_ENTRIES, size=(4, 1, 5))
    w[..., 0] = 1.0  # some positive weight in every group
    wb = np.broadcast_to(w, x.shape)
    use = ~np.isnan(x) & (wb > 0)
    wa = np.where(use, wb, 0.0)
    wsum = np.add.reduce(wa, axis=-1)
    with np.errstate(invalid="ignore"):  # 0 / 0 where no child is available: NaN
        arith = np.add.reduce(wa * np.where(use, x, 0.0), axis=-1) / wsum
        geo = np.exp(np.add.reduce(wa * np.log(np.where(use, x, 1.0)), axis=-1) / wsum)
    arith[wsum == 0] = np.nan
    geo[wsum == 0] = np.nan
    for got, want in ((A.arithmetic_mean(x, w), arith), (A.geometric_mean(x, w), geo)):
        assert got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True)
        assert (np.signbit(got) == np.signbit(want)).all()


def test_every_kernel_checks_weights_by_default():
    """check=True is the default of every unit-wise kernel and of the cross-unit ones: a
    negative weight is refused without asking."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([1.0, -1.0])
    kernels = [A.arithmetic_mean, A.geometric_mean, A.harmonic_mean, A.mean_min,
               A.mazziotta_pareto, lambda x, w: A.generalised_mean(x, w, p=2),
               A.copeland, A.topsis, lambda x, w: A.outranking(x, w)[0]]
    for kernel in kernels:
        with pytest.raises(MethodError, match=r"aggregation weights must be finite and >= 0"):
            kernel(x, w)


def test_power_means_stay_finite_far_from_one():
    """The power mean is scaled by the largest value (p > 0) or the smallest (p < 0) before
    the powers, so extreme orders and ranges do not overflow. Hand: (1, 10) with p = 400:
    ((1 + 10^400)/2)^(1/400) = 10 (1/2 + 10^-400/2)^(1/400) = 10 x 2^(-1/400) to the last
    digit; (1e-300, 1e300) with p = 1/2: ((1e-150 + 1e150)/2)^2 = 2.5e299; (1e-5, 2e-5) with
    p = -400: 1e-5 x 2^(1/400). p = 1/2 allows a zero: ((0 + 2)/2)^2 = 1."""
    g = A.generalised_mean
    assert g(np.array([1.0, 10.0]), np.ones(2), p=400).item() == pytest.approx(
        10 * 2 ** (-1 / 400), rel=1e-14)
    assert g(np.array([1e-300, 1e300]), np.ones(2), p=0.5).item() == pytest.approx(2.5e299,
                                                                                   rel=1e-14)
    assert g(np.array([1e-5, 2e-5]), np.ones(2), p=-400).item() == pytest.approx(
        1e-5 * 2 ** (1 / 400), rel=1e-14)
    assert g(np.array([0.0, 4.0]), np.ones(2), p=0.5).item() == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(MethodError, match=r"harmonic mean \(after shift 1\) needs strictly "
                                          r"positive values"):
        A.harmonic_mean(np.array([-1.0, 2.0]), np.ones(2), shift=1.0)
    with pytest.raises(MethodError, match=r"^harmonic mean needs strictly positive values"):
        A.harmonic_mean(np.array([0.0, 2.0]), np.ones(2))


def test_topsis_missing_child_of_the_best_unit_and_small_columns():
    """Columns (3, 4, 5) (norm sqrt 50) and (0, 6, -) (norm 6): unit 3 has only child 1, where
    it is the best: D+ = 0, closeness 1. Unit 2: D+ = .75 (5 - 4)/sqrt 50, D- = sqrt(.75^2
    (1/sqrt 50)^2 + .25^2); unit 1 is the anti-ideal (0). Shares (T_X / 10 and / 100, norms
    below 1) give T_X's closeness: the vector norm is scale-free."""
    c = A.topsis(np.array([[3.0, 0.0], [4.0, 6.0], [5.0, nan]]), T_W)
    s50 = math.sqrt(50)
    dp, dm = 0.75 / s50, math.sqrt(0.75**2 / 50 + 0.25**2)
    np.testing.assert_allclose(c, [0, dm / (dp + dm), 1], rtol=1e-14, atol=1e-15)
    shares = T_X / np.array([10.0, 100.0])
    np.testing.assert_allclose(A.topsis(shares, T_W), A.topsis(T_X, T_W), rtol=1e-14)


def test_topsis_minmax_per_slice_with_spans_below_one():
    """Two slices (a leading axis), the second the first with the units reversed. Slice 1:
    (0.3, 0.4, 0.12) and (0, 0.06, 0.08) -> min-max (9/14, 1, 0) and (0, 3/4, 1); ideal (1, 1),
    anti-ideal (0, 0), weights (.75, .25). Unit 1: D+ = sqrt(.75^2 (5/14)^2 + .25^2), D- =
    .75 x 9/14; unit 2: D+ = .25/4, D- = sqrt(.75^2 + (.25 x 3/4)^2); unit 3: 0.25."""
    s1 = np.array([[0.3, 0.0], [0.4, 0.06], [0.12, 0.08]])
    c = A.topsis(np.stack([s1, s1[::-1]]), T_W, normalise="minmax")
    d1p, d1m = math.sqrt(0.75**2 * (5 / 14) ** 2 + 0.25**2), 0.75 * 9 / 14
    d2p, d2m = 0.25 / 4, math.sqrt(0.75**2 + (0.25 * 0.75) ** 2)
    first = [d1m / (d1p + d1m), d2m / (d2p + d2m), 0.25]
    np.testing.assert_allclose(c, [first, first[::-1]], rtol=1e-14)
    # a missing value: child 2's bounds are its observed values (0, 0.06) -> (0, 1, -); unit 2
    # is the ideal (1), unit 3 scored on child 1 alone, where it is the worst (0)
    cm = A.topsis(np.array([[0.3, 0.0], [0.4, 0.06], [0.12, nan]]), T_W, normalise="minmax")
    np.testing.assert_allclose(cm, [d1m / (d1p + d1m), 1, 0], rtol=1e-14, atol=1e-15)


def test_topsis_and_outranking_leave_ineligible_units_out():
    """A fourth unit with one child of two (below min_share 1) takes no part: the others'
    closeness is T_X's, although its 100 would be the ideal of child 1. Two units without a
    common child outrank each other by 0.5 both ways. A unit whose only child does not vary
    has no closeness: refused, though the other units have one."""
    x = np.vstack([T_X, [100.0, nan]])
    c = A.topsis(x, T_W, min_share=1.0)
    np.testing.assert_allclose(c[:3], A.topsis(T_X, T_W), rtol=1e-14)
    assert np.isnan(c[3])
    m, _ = A.outranking(np.array([[1.0, nan], [nan, 2.0], [3.0, 4.0]]), np.ones(2))
    assert (m[0, 1], m[1, 0]) == (0.5, 0.5) and m[2].tolist() == [1, 1, 0]
    with pytest.raises(MethodError, match=r"TOPSIS: no child varies across the units"):
        A.topsis(np.array([[1.0, 5.0], [2.0, 5.0], [nan, 5.0]]), np.ones(2))


def test_mpi_sample_variance_of_three_and_a_zero_mean():
    """(110, 100, 90), ddof 1: sample variance 100 -> 100 - 100/100 = 99. A mean of exactly 0
    is not positive: refused, also when another unit is fine."""
    assert A.mazziotta_pareto(np.array([110.0, 100.0, 90.0]), np.ones(3), ddof=1).item() == 99.0
    with pytest.raises(MethodError, match=r"needs a positive mean for every unit; 1 unit\(s\) "
                                          r"have a mean <= 0"):
        A.mazziotta_pareto(np.array([[110.0, 90.0], [-1.0, 1.0]]), np.ones(2))


def test_level_mean_defaults_and_the_parent_in_error_named():
    """Default min_share 0: a missing child is renormalised away ((1 + 3)/2 = 2); weights are
    checked by default; three one-child parents, the third in error: that child is named."""
    x = np.array([1.0, nan, 3.0])
    assert A.level_mean(x, A.pad_children([[0, 1, 2]]), np.ones((1, 3))).tolist() == [2.0]
    with pytest.raises(MethodError, match=r"aggregation weights must be finite and >= 0"):
        A.level_mean(x, A.pad_children([[0, 2]]), np.array([[1.0, -1.0]]))
    with pytest.raises(MethodError, match=r"children must be a \(n_parents, k_max\) matrix"):
        A.level_mean(x, np.array([[0, 1], [-1, -1]]), np.ones((2, 2)))
    y = np.array([[2.0, 3.0, 0.0]])
    with pytest.raises(MethodError, match=r"geometric mean needs strictly positive values; zero "
                                          r"or negative values in \['Z'\]"):
        A.level_mean(y, A.pad_children([[0], [1], [2]]), np.ones((3, 1)), method="geometric",
                     names=[["X"], ["Y"], ["Z"]])
