"""The compiled array pipeline (gipro.fastbuild) gives the numbers of Build.run.

Expected values: the data sets of :meth:`gipro.Build.run` on the same recipe (the reference
implementation, itself checked against COINr's ASEM stages to 1e-9); equality is exact.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import gipro
from gipro.fastbuild import Pipeline

ROOT = Path(__file__).resolve().parents[1]


def _asem(shared_dir):
    spec = importlib.util.spec_from_file_location("build_asem",
                                                  ROOT / "examples" / "asem" / "build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return gipro.Build(mod.recipe_for(shared_dir / "data" / "coinr_asem")).run()


@pytest.fixture(scope="module")
def asem(shared_dir):
    return _asem(shared_dir)


def _same(a, b):
    assert a.codes == b.codes and a.units == b.units and a.periods == b.periods
    np.testing.assert_array_equal(a.values, b.values)


def test_every_stage_of_asem_equals_build(asem):
    p = Pipeline(asem)
    state = p.run(p.steps)
    assert set(state.datasets) == set(asem.datasets)
    for name, ds in state.datasets.items():
        _same(ds, asem.datasets[name])


@pytest.mark.parametrize("step, changes", [
    ("impute", {"method": "mean", "group": None}),
    ("impute", {"method": "median", "group": None}),
    ("impute", {"scope": "pooled"}),
    ("treat", {"winmax": 1}),
    ("treat", {"fallback": "log_ct_orig", "winmax": 0}),
    ("treat", {"indicators": {"Goods": {"winmax": 1}}}),  # overrides: the step's own apply
    ("normalise", {"method": "zscore", "mean_sd": [10, 2]}),
    ("normalise", {"method": "rank"}),
    ("normalise", {"range": [1, 100]}),
    ("aggregate", {"method": "harmonic"}),
    ("aggregate", {"method": "mean_min", "alpha": 0.3}),
    ("aggregate", {"by_level": {4: "topsis"}}),  # cross-unit: the step's own apply
    ("aggregate", {"min_availability": 0.9}),
])
def test_variants_equal_build(asem, step, changes):
    if step == "aggregate" and changes.get("method") == "harmonic":
        asem_v = asem.with_step("normalise", range=[1, 100]).run()
        v = asem_v.with_step(step, **changes).run()
    else:
        v = asem.with_step(step, **changes).run()
    p = Pipeline(v)
    state = p.run(p.steps)
    for name, ds in state.datasets.items():
        _same(ds, v.datasets[name])


def test_china_recipe_and_per_period_bounds():
    b = gipro.run()
    for v in (b, b.with_step("normalise", bounds="per_period").run()):
        p = Pipeline(v)
        _same(p.run(p.steps).final, v.final)


def test_constant_indicator_policy_goes_through_the_step(asem):
    """A constant indicator (here made so by winsorising nothing and a tiny unit subset) under
    constant: drop is handled by the normalise step itself (dropped codes recorded)."""
    rec = asem.recipe.with_step("normalise", constant="drop")
    panel = asem.source_panel
    data = panel.values.copy()
    data["LPI"] = 3.0
    from gipro.panel import Panel

    b = gipro.Build(rec, framework=asem.framework,
                    panel=Panel(data, panel.units, origin="test")).run()
    p = Pipeline(b)
    st = p.run(p.steps)
    assert "LPI" not in st.datasets["normalised"].codes
    _same(st.final, b.final)


ZERO_SHIP = (r"weighted geometric mean of Physical needs strictly positive scores; Ship is 0 "
             r"for unit AUT in 2018")


def test_errors_are_the_build_errors(asem):
    """Geometric mean after min-max onto [0, 100]: zeros -> MethodError, as Build.run."""
    v = asem.with_step("aggregate", method="geometric")
    with pytest.raises(gipro.MethodError, match=ZERO_SHIP):
        v.run()
    p = Pipeline(asem)
    specs = list(v.recipe.steps)
    # (the compiled pipeline reports the kernel's message, without unit and period)
    with pytest.raises(gipro.MethodError, match=r"geometric mean needs strictly positive "
                                                r"values; zero or negative values in \['LPI'"):
        p.run(specs)


@pytest.mark.parametrize("changes", [
    {}, {"method": "geometric"}, {"method": "harmonic"}, {"method": "mean_min", "alpha": 0.4},
    {"method": "generalised", "p": 0.5}, {"by_level": {3: "geometric"}},
    {"min_availability": 0.9}])
def test_grouped_batch_equals_one_aggregate_at_a_time(asem, changes):
    """aggregate_batch computes each level in groups (gipro.methods.aggregate.level_mean);
    its scores and failed runs equal the one-aggregate-at-a-time path (the previous
    implementation, kept for errors), bit for bit, for a batch of perturbed weights with some
    invalid runs (a missing, a negative, an all-zero weight). Expected values: that path."""
    base = asem.with_step("normalise", range=[1, 100]).run()
    p = Pipeline(base)
    spec = base.recipe.with_step("aggregate", **changes).steps[-1]
    state = p.nominal_state(len(p.steps) - 1)
    ds = state.final
    plan = p.aggregate_plan(spec, ds, state.fitted)
    rng = np.random.default_rng(5)
    v = p.weight_vector(state, "framework")[None] * rng.uniform(0.5, 1.5, (40, len(p.node_codes)))
    pillars = [c for c in base.framework.aggregate_codes if base.framework.level(c) == 2]
    kids = [p.node_index[k] for k in base.framework.children(pillars[1])]
    v[3, kids[0]] = np.nan
    v[7, kids[1]] = -1.0
    # a pillar with fewer children than others of its group (padded in the grouped path)
    v[11, [p.node_index[k] for k in base.framework.children(pillars[2])]] = 0.0
    v[12, p.node_index[pillars[0]]] = np.nan
    out, failed = p.aggregate_batch(plan, ds, {"framework": v}, spec.min_availability)
    ref = np.empty_like(out)
    n_in = len(plan.present)
    ref[..., :n_in] = ds.values[None][..., plan.present]
    ref[..., n_in:] = np.nan
    ref, ref_failed = p._aggregate_each(plan, ref, {"framework": v}, spec.min_availability)
    np.testing.assert_array_equal(out, ref)
    assert failed == ref_failed and sorted(failed) == [3, 7, 11, 12]
    assert "missing or negative" in failed[3] and "weight 0" in failed[11]
