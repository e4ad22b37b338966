"""The step contract, checked for every step kind and every method (scikit-learn's
``check_estimator`` for build steps; :mod:`gipro.steps.base`).

For each build below, and each step it ran:

* the runner without recording (:class:`gipro.steps.run.Pipeline`, what sensitivity,
  remove-one and the other analyses use) gives the very arrays :meth:`gipro.Build.run` gives;
* ``transform(plan, fit, input)`` with the build's own plan and fit reproduces the step's output
  bit for bit (what scenarios do with the baseline's fits, and inverse questions with
  candidate values);
* no step changes its input arrays;
* a leading replication axis passes through ``transform`` (two stacked copies in, two equal
  outputs out).

Expected values: the build's own data sets -- the reference implementation, itself checked
against COINr's ASEM stages (``tests/test_asem_coinr.py``) and hand calculations elsewhere;
here equality is exact. The builds cover every value of every step's ``method`` literal, the
impute scopes, treatment fallbacks and overrides, normalisation bounds and constant policies,
weight-set methods and aggregation by level and by code.
"""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd
import pytest

import gipro
from gipro import Framework, Panel
from gipro.steps import STEP_TYPES, ImputeStep, NormaliseStep, TreatStep, WeightStep
from gipro.steps.aggregate import AggMethod
from gipro.steps.run import Pipeline

ASEM = "examples/asem/recipe.yaml"


def toy() -> tuple[Framework, Panel]:
    """12 units x 3 periods, six indicators with targets and goalposts in two dimensions,
    a group column, a few missing values and one outlier per period."""
    rng = np.random.default_rng(7)
    codes = [f"x{i}" for i in range(6)]
    fw = Framework(
        [{"code": c, "parent": f"D{i % 2}", "direction": -1 if i == 3 else 1,
          "weight": 1.0 + i % 3, "target": 150.0 if i != 3 else 5.0,
          "goalposts": [0.0, 200.0], "unit": "t"} for i, c in enumerate(codes)],
        [{"code": "IDX"}, {"code": "D0", "parent": "IDX", "weight": 2.0},
         {"code": "D1", "parent": "IDX"}])
    units = [f"u{i:02d}" for i in range(12)]
    idx = pd.MultiIndex.from_product([units, [2019, 2020, 2021]], names=["unit", "period"])
    v = rng.lognormal(3.0, 0.6, size=(len(idx), len(codes)))
    v[::7, 1] = 400.0  # outliers
    v[[4, 17, 30], 2] = np.nan
    v[:3] *= np.where(np.arange(6) == 3, 0.1, 10.0)  # u00 the best unit (the reference)
    meta = pd.DataFrame({"name": units, "region": ["a", "b", "c"] * 4},
                        index=pd.Index(units, name="unit"))
    return fw, Panel(pd.DataFrame(v, index=idx, columns=codes), units=meta, origin="toy")


FW, PANEL = toy()


def toy_build(*steps: dict) -> gipro.Build:
    recipe = {"framework": "toy", "data": {"dataset": "china_provinces"}, "steps": list(steps)}
    return gipro.Build(recipe, framework=FW, panel=PANEL).run()


NORM = {"step": "normalise", "range": [1, 100]}
AGG = {"step": "aggregate"}


def _methods(cls: type, field: str = "method") -> list[str]:
    return list(typing.get_args(cls.model_fields[field].annotation))


# every value of every step's method literal: (builder, steps)
CASES: list[tuple[str, list[dict]]] = []
for m in _methods(ImputeStep):
    extra = ({"group": "region"} if m.startswith("group_") else
             {"function": lambda t: np.where(np.isnan(t), 1.0, t)} if m == "function" else {})
    CASES.append(("toy", [{"step": "impute", "method": m, **extra}, NORM, AGG]))
CASES += [("toy", [{"step": "impute", "scope": "pooled"}, NORM, AGG]),
          ("toy", [{"step": "screen", "min_availability": 0.95}, NORM, AGG])]
for fb in typing.get_args(TreatStep.model_fields["fallback"].annotation):
    CASES.append(("toy", [{"step": "treat", "winmax": 1, "fallback": fb}, NORM, AGG]))
CASES += [("toy", [{"step": "treat", "scope": "pooled", "winmax": 2}, NORM, AGG]),
          ("toy", [{"step": "treat", "indicators": {"x1": {"method": "boxcox"},
                                                     "x4": {"method": "none"},
                                                     "x0": {"winmax": 0}}}, NORM, AGG])]
for m in _methods(NormaliseStep):
    extra = {"dist_ref": {"ref_unit": "u00"}, "leading": {"cost": "inverse"},
             "frac_max": {"cost": "inverse"}, "zscore": {"mean_sd": [100, 10]}}.get(m, {})
    for bounds in ("pooled", "per_period"):
        CASES.append(("toy", [{"step": "normalise", "method": m, "bounds": bounds, **extra},
                              {"step": "aggregate", "method": "arithmetic"}]))
for m in _methods(WeightStep):
    extra = {"manual": {"values": {"x0": 2.0, "x2": 1.0, "x4": 3.0}},
             "optimise": {"target": {"x0": 2.0}}}.get(m, {})
    CASES.append(("toy", [NORM, {"step": "weight", "method": m, "output": "w", **extra},
                          {"step": "aggregate", "weights": "w"}]))
for m in _methods(AggMethod):
    extra = {"generalised": {"p": 0.5}, "mean_min": {"alpha": 0.3}}.get(m, {})
    norm = ({"step": "normalise", "method": "zscore", "mean_sd": [100, 10]} if m == "mpi"
            else NORM)
    CASES.append(("toy", [norm, {"step": "aggregate", "method": m, **extra}]))
CASES += [
    ("toy", [NORM, {"step": "aggregate", "by_level": {3: "geometric"},
                    "by_code": {"D1": {"method": "topsis", "bounds": "per_period"}}}]),
    ("toy", [{"step": "normalise", "constant": "drop"}, AGG]),
    ("toy", [{"step": "impute"}, {"step": "treat", "disable": True}, NORM, AGG]),
    ("asem", []),  # COINr's ASEM build: denominate, group impute, treat, min-max, arithmetic
    ("asem", [("normalise", {"method": "zscore", "mean_sd": [10, 2]})]),
    ("china", []),
    ("china", [("normalise", {"bounds": "per_period"})]),
]
# every step kind and every method literal of every step is in the cases above
assert {s["step"] for _, steps in CASES for s in steps if isinstance(s, dict)} | {
    "denominate"} == {cls.model_fields["step"].default for cls in STEP_TYPES}


def _build(kind: str, steps: list) -> gipro.Build:
    if kind == "toy":
        return toy_build(*steps)
    b = gipro.run(ASEM if kind == "asem" else None)
    for name, changes in steps:
        b = b.with_step(name, **changes).run()
    return b


def _ids(case: tuple[str, list]) -> str:
    kind, steps = case
    parts = [f"{s['step']}-{s.get('method', '')}" if isinstance(s, dict) else
             f"{s[0]}-{'-'.join(map(str, s[1].values()))}" for s in steps]
    return kind + ":" + ",".join(p.rstrip("-") for p in parts)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_every_step_keeps_the_contract(case):
    b = _build(*case)
    before = {n: ds.values.copy() for n, ds in b.datasets.items()}
    # the runner without recording: the same arrays
    p = Pipeline(b)
    state = p.run(p.steps)
    assert set(state.datasets) == set(b.datasets)
    for name, ds in state.datasets.items():
        ref = b.datasets[name]
        assert (ds.codes, ds.units, ds.periods) == (ref.codes, ref.units, ref.periods)
        np.testing.assert_array_equal(ds.values, ref.values, err_msg=name)
    for rec in b.records:
        if rec.skipped or rec.result.data is None:
            continue
        spec = b.recipe.steps[rec.position]
        x = b.datasets[rec.input].values
        out = rec.result.data.values
        # transform with the build's own plan and fit reproduces the output
        np.testing.assert_array_equal(spec.transform(rec.plan, rec.fit, x), out,
                                      err_msg=rec.name)
        # a leading replication axis passes through
        two = spec.transform(rec.plan, rec.fit, np.stack([x, x]))
        assert two.shape == (2, *out.shape)
        np.testing.assert_array_equal(two[0], out)
        np.testing.assert_array_equal(two[1], out)
    # the explanations are there, and nothing above changed an input
    assert all(isinstance(e.notes, list) for e in b.log)
    for name, values in before.items():
        np.testing.assert_array_equal(b.datasets[name].values, values, err_msg=name)


def test_a_frozen_fit_reproduces_the_baseline_through_another_build():
    """Scenarios hand the baseline's fits to a new build on the same data: every data set is
    the baseline's, bit for bit (impute, treat and normalise frozen)."""
    b = toy_build({"step": "impute"}, {"step": "treat", "winmax": 1}, NORM, AGG)
    frozen = {n: b.fits[n].frozen("the baseline") for n in ("impute", "treat", "normalise")}
    again = gipro.Build(b.recipe, framework=FW, panel=PANEL, frozen=frozen).run()
    for name, ds in b.datasets.items():
        np.testing.assert_array_equal(again.datasets[name].values, ds.values, err_msg=name)
    assert "frozen" in again.log[2].notes[0]


@pytest.fixture(scope="module")
def asem_build():
    return gipro.run(ASEM)


def _same(a, b):
    assert a.codes == b.codes and a.units == b.units and a.periods == b.periods
    np.testing.assert_array_equal(a.values, b.values)


def test_constant_indicator_policy_goes_through_the_step(asem_build):
    """A constant indicator (here made so by winsorising nothing and a tiny unit subset) under
    constant: drop is handled by the normalise step itself (dropped codes recorded)."""
    asem = asem_build
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


def test_errors_are_the_build_errors(asem_build):
    """Geometric mean after min-max onto [0, 100]: zeros -> MethodError, as Build.run."""
    asem = asem_build
    v = asem.with_step("aggregate", method="geometric")
    with pytest.raises(gipro.MethodError, match=ZERO_SHIP):
        v.run()
    p = Pipeline(asem_build)
    specs = list(v.recipe.steps)
    with pytest.raises(gipro.MethodError, match=ZERO_SHIP):
        p.run(specs)


@pytest.mark.parametrize("changes", [
    {}, {"method": "geometric"}, {"method": "harmonic"}, {"method": "mean_min", "alpha": 0.4},
    {"method": "generalised", "p": 0.5}, {"by_level": {3: "geometric"}},
    {"min_availability": 0.9}])
def test_grouped_batch_equals_one_aggregate_at_a_time(asem_build, changes):
    """aggregate_batch computes each level in groups (gipro.methods.aggregate.level_mean);
    its scores and failed runs equal the one-aggregate-at-a-time path (the previous
    implementation, kept for errors), bit for bit, for a batch of perturbed weights with some
    invalid runs (a missing, a negative, an all-zero weight). Expected values: that path."""
    base = asem_build.with_step("normalise", range=[1, 100]).run()
    p = Pipeline(base)
    spec = base.recipe.with_step("aggregate", **changes).steps[-1]
    pos = len(p.steps) - 1
    state = p.nominal_state(pos)
    rng = np.random.default_rng(5)
    v = p.weight_vector(state, "framework")[None] * rng.uniform(0.5, 1.5, (40, len(p.node_codes)))
    pillars = [c for c in base.framework.aggregate_codes if base.framework.level(c) == 2]
    kids = [p.node_index[k] for k in base.framework.children(pillars[1])]
    v[3, kids[0]] = np.nan
    v[7, kids[1]] = -1.0
    # a pillar with fewer children than others of its group (padded in the grouped path)
    v[11, [p.node_index[k] for k in base.framework.children(pillars[2])]] = 0.0
    v[12, p.node_index[pillars[0]]] = np.nan
    out, failed, ds, plan = p.aggregate(state, pos, spec, {"framework": v})
    assert sorted(failed) == [3, 7, 11, 12]
    assert "missing or negative" in failed[3] and "weight 0" in failed[11]
    from gipro.steps.weight import WeightSet

    for r in range(len(v)):  # each run alone, as a build would run it
        ws = WeightSet("framework", {c: float(w) for c, w in zip(p.node_codes, v[r],
                                                                 strict=True)
                                     if c != base.framework.root}, "perturbed")
        if r in failed:
            with pytest.raises(gipro.MethodError) as e:
                p.step(state, pos, spec, {"framework": ws})
            assert failed[r] in e.value.message
            assert np.isnan(out[r]).all()
        else:
            _same(gipro.dataset.DataSet("x", out[r], ds.units, ds.periods, plan.codes),
                  p.step(state, pos, spec, {"framework": ws}).final.renamed("x"))


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "toy"][::3],
                         ids=[_ids(c) for c in CASES if c[0] == "toy"][::3])
def test_blocks_of_units_give_the_same_numbers(case, monkeypatch):
    """A big data set is transformed block by block of units (bounded memory) by the steps
    that allow it: the numbers are those of one transform, bit for bit (here blocks of a few
    units, forced by a tiny block size)."""
    import gipro.steps.base as base

    whole = _build(*case)
    monkeypatch.setattr(base, "BLOCK_BYTES", 300)
    blocks = _build(*case)
    for name, ds in whole.datasets.items():
        np.testing.assert_array_equal(blocks.datasets[name].values, ds.values, err_msg=name)


def test_steps_never_see_a_build():
    """Steps read a StepContext and return a StepResult: no step module imports the build."""
    import ast
    import pathlib

    root = pathlib.Path(gipro.__file__).parent / "steps"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(m.endswith("build") for m in names), path.name


def test_the_batched_aggregate_is_the_step_run_by_run():
    """A batch of weight vectors through Pipeline.aggregate equals the aggregate step run
    once per vector (here: the framework's weights with one dimension's weight varied)."""
    b = toy_build(NORM, AGG)
    p = Pipeline(b)
    pos = len(p.steps) - 1
    state = p.nominal_state(pos)
    v = np.repeat(p.weight_vector(state, "framework")[None], 4, axis=0)
    v[:, p.node_index["D0"]] = [0.5, 1.0, 2.0, 4.0]
    out, failed, _, _ = p.aggregate(state, pos, p.steps[pos], {"framework": v})
    assert not failed
    for r, w in enumerate([0.5, 1.0, 2.0, 4.0]):
        one = toy_build(NORM, AGG) if w == 2.0 else gipro.Build(
            b.recipe, framework=FW.with_weights({"D0": w}), panel=PANEL).run()
        np.testing.assert_array_equal(out[r], one.final.values)


def test_pipeline_refusals_and_perturbed_weight_sets():
    """Pipeline (the runner without recording): a run from a later step needs the state
    before it; the batched aggregate refuses a data set that has not been normalised, as
    Build.run does; weight_sets multiplies the weights of the codes given and keeps the
    others (toy(): x0 weight 1, x1 weight 2, D0 weight 2, D1 weight 1)."""
    p = Pipeline(toy_build(NORM, AGG))
    with pytest.raises(gipro.InputError,
                       match="run from a later step needs the state after the step before"):
        p.run(p.steps, start=1)
    with pytest.raises(gipro.MethodError, match=r"reads data set 'raw', which has not been "
                                                r"normalised"):
        p.aggregate(p.initial_state(), 1, p.steps[1], {})
    sets = p.weight_sets(p.nominal_state(1), "framework", np.array([3.0, 0.5]), ["x1", "D0"])
    assert list(sets) == ["framework"]
    w = sets["framework"].weights
    assert (w["x1"], w["D0"], w["x0"], w["D1"]) == (6.0, 1.0, 1.0, 1.0)


def test_step_helpers_units_sliced_and_listing():
    """units_sliced cuts a plan's ``units`` labels to a block and leaves a plan without units
    alone; listing names eight items, then counts the rest (hand-written expectations)."""
    from dataclasses import dataclass

    from gipro.steps.base import listing, units_sliced

    @dataclass(frozen=True)
    class WithUnits:
        step: str
        units: tuple[str, ...]

    @dataclass(frozen=True)
    class WithoutUnits:
        step: str
        codes: tuple[str, ...]

    plan = WithUnits("s", ("a", "b", "c", "d"))
    assert units_sliced(plan, 1, 3) == WithUnits("s", ("b", "c"))
    other = WithoutUnits("s", ("a", "b", "c"))
    assert units_sliced(other, 1, 2) is other
    nine = [f"u{i}" for i in range(1, 10)]
    assert listing(nine[:8]) == "u1, u2, u3, u4, u5, u6, u7, u8"
    assert listing(nine) == "u1, u2, u3, u4, u5, u6, u7, u8 and 1 more"


def test_a_weight_step_reads_the_weight_sets_of_each_run_not_a_cached_plans():
    """The same weight step run twice by one Pipeline (one plan cache): once on the
    framework's weights, once on a perturbed framework set (D0 2 -> 2 x 5 = 10). Manual x0 = 3
    with others: keep takes the rest from the base set of that run: D0 2, then 10."""
    b = toy_build(NORM, {"step": "weight", "method": "manual", "values": {"x0": 3.0},
                         "others": "keep"}, AGG)
    p = Pipeline(b)
    first = p.step(p.nominal_state(1), 1, p.steps[1]).weights["weights"].weights
    assert (first["x0"], first["x1"], first["D0"], first["D1"]) == (3.0, 2.0, 2.0, 1.0)
    sets = p.weight_sets(p.nominal_state(1), "framework", np.array([5.0]), ["D0"])
    again = p.step(p.nominal_state(1), 1, p.steps[1], weights=sets).weights["weights"].weights
    assert (again["x0"], again["x1"], again["D0"], again["D1"]) == (3.0, 2.0, 10.0, 1.0)


def test_manual_weights_take_zero_and_a_period_only_for_learnt_weights():
    """A manual weight of 0 leaves a child out of its group: D0 (x0 w 1, x2 w 3, x4 w 2)
    becomes (3 x2 + 2 x4)/5, or x4 where x2 is missing; ``period`` picks the data of learnt
    weights (a period not in the build is refused) and is not read by manual weights."""
    b = toy_build(NORM, {"step": "weight", "method": "manual", "values": {"x0": 0.0},
                         "others": "keep"}, {"step": "aggregate", "weights": "weights"})
    n = b.data("normalised")
    x2, x4 = n["x2"].to_numpy(), n["x4"].to_numpy()
    want = np.where(np.isnan(x2), x4, (3 * x2 + 2 * x4) / 5)
    np.testing.assert_allclose(b.data("aggregated")["D0"].to_numpy(), want, rtol=1e-13)
    with pytest.raises(gipro.InputError, match=r"^step 'weight': period 1999 is not in the "
                                               r"build"):
        toy_build(NORM, {"step": "weight", "method": "pca", "period": 1999}, AGG)
    manual = toy_build(NORM, {"step": "weight", "method": "manual", "values": {"x0": 3.0},
                              "others": "keep", "period": 1999}, AGG)
    assert manual.weights["weights"].weights["x0"] == 3.0
