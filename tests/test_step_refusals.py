"""Every refusal of the build steps, through a recipe, with the message it must give.

A step's checks (parameters that do not fit together, codes, units or periods it does not
know, data it cannot use) are the first thing a user meets; each is run here once on a small
build and matched on its message, so a check that is removed or rewritten to say something
else fails a test (docs/testing.md). The build: indicators a (+), b (-) under D1 and c (+)
under D2, units A, B, C (regions north, south, north), periods 2000 and 2001.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Build, Framework, InputError, MethodError, Panel

FW = Framework(
    indicators=[{"code": "a", "parent": "D1", "direction": 1},
                {"code": "b", "parent": "D1", "direction": -1},
                {"code": "c", "parent": "D2", "direction": 1}],
    aggregates=[{"code": "I"}, {"code": "D1", "parent": "I"}, {"code": "D2", "parent": "I"}])


def panel(**override) -> Panel:
    idx = pd.MultiIndex.from_product([["A", "B", "C"], [2000, 2001]], names=["unit", "period"])
    values = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [6.0, 5, 4, 3, 2, 1],
                           "c": [2.0, 4, 1, 3, 6, 5], "pop": [10.0, 10, 20, 20, 30, 30]},
                          index=idx)
    for k, v in override.items():
        values[k] = v
    units = pd.DataFrame({"region": ["north", "south", "north"]},
                         index=pd.Index(["A", "B", "C"], name="unit"))
    return Panel(values, units=units)


def build(*steps, fw=FW, **override) -> Build:
    rec = {"framework": "unused", "data": {"path": "unused.csv"}, "steps": list(steps)}
    return Build(rec, framework=fw, panel=panel(**override)).run()


NORM = {"step": "normalise"}
AGG = {"step": "aggregate"}


@pytest.mark.parametrize("step, message", [
    ({"step": "normalise", "range": [5, 5]}, r"range must be \[low, high\] with low < high, "
                                             r"got \[5\.0, 5\.0\]"),
    ({"step": "normalise", "method": "zscore", "mean_sd": [0, 0]},
     r"mean_sd must be \[mean, sd\] with sd > 0, got \[0\.0, 0\.0\]"),
    ({"step": "normalise", "method": "dist_ref"}, r"method dist_ref needs ref_unit"),
    ({"step": "aggregate", "method": "generalised"}, r"method generalised needs p \(the order "
                                                     r"of the mean; 0 = geometric\)"),
    ({"step": "impute", "method": "group_mean"}, r"method 'group_mean' needs 'group' \(a unit "
                                                 r"metadata column\)"),
    ({"step": "impute", "method": "mean", "group": "region"},
     r"'group' applies to group_mean/group_median, not 'mean'"),
    ({"step": "impute", "method": "linear", "scope": "pooled"},
     r"'scope: pooled' does not apply to 'linear', which works along each unit's own periods"),
    ({"step": "impute", "method": "mean", "params": {"k": 1}},
     r"'params' apply to the scikit-learn methods iterative and knn"),
    ({"step": "screen", "include": ["A"], "exclude": ["A", "B"]},
     r"units both in include and exclude: \['A'\]"),
    ({"step": "weight", "method": "manual"}, r"method manual needs values: \{code: weight"),
    ({"step": "weight", "method": "manual", "values": {"a": -1.0}},
     r"manual weights must be finite and >= 0, got \{'a': -1\.0\}"),
    ({"step": "screen", "max_zero_share": 1.5},
     r"max_zero_share: Input should be less than or equal to 1 \[step 1 of the recipe"),
    ({"step": "screen", "min_availability": -0.1},
     r"min_availability: Input should be greater than or equal to 0 \[step 1 of the recipe"),
    ({"step": "denominate", "denominators": {"a": "pop"}, "scale": float("inf")},
     r"scale factors must be finite numbers"),
    ({"step": "denominate", "denominators": {"a": "pop"}, "scale": {"a": float("nan")}},
     r"scale factors must be finite numbers"),
])
def test_parameters_that_do_not_fit_together(step, message):
    with pytest.raises(InputError, match=message):
        build(step)


def test_impute_function_method_needs_a_callable():
    from gipro.steps.impute import ImputeStep

    with pytest.raises(ValueError, match=r"method 'function' needs function= \(a Python "
                                         r"callable\)"):
        ImputeStep(method="function")


@pytest.mark.parametrize("steps, message", [
    ([NORM, {"step": "aggregate", "by_code": {"D3": "geometric"}}],
     r"step 'aggregate': by_code names codes that are not aggregates: \['D3'\]"),
    ([NORM, {"step": "aggregate", "by_level": {4: "geometric"}}],
     r"step 'aggregate': by_level names levels without aggregates: \[4\] \(aggregates are at "
     r"levels 2-3\)"),
    ([{"step": "normalise", "method": "goalposts"}],
     r"step 'normalise': goalposts normalisation needs goalposts for every indicator; none in "
     r"the framework for \['a', 'b', 'c'\]"),
    ([{"step": "normalise", "method": "leading", "leading": {"z": 1.0}}],
     r"step 'normalise': leading values for unknown indicators \['z'\]"),
    ([{"step": "normalise", "method": "target"}],
     r"step 'normalise': target normalisation needs a target for every indicator; none for "
     r"\['a', 'b', 'c'\]"),
    ([{"step": "normalise", "method": "leading", "leading": {"a": 2.0}, "cost": "inverse"}],
     r"needs a leading value \(or a target\) for every indicator; none for \['b', 'c'\]"),
    ([{"step": "normalise", "method": "dist_ref", "ref_unit": "Z"}],
     r"step 'normalise': reference unit 'Z' is not in the data"),
    ([{"step": "normalise", "method": "dist_ref", "ref_unit": "A", "ref_period": 1999}],
     r"step 'normalise': ref_period 1999 is not in the build \(2000-2001\)"),
    ([{"step": "normalise", "method": "ampi", "ref_period": 1999}],
     r"step 'normalise': ref_period 1999 is not in the build"),
    ([{"step": "screen", "exclude": ["Z"]}],
     r"step 'screen': units in include/exclude not in the data set: \['Z'\]"),
    ([{"step": "impute", "method": "group_mean", "group": "province"}],
     r"impute: no unit metadata column 'province'"),
    ([{"step": "weight", "method": "equal", "groups": ["D9"]}],
     r"step 'weight': groups \['D9'\] are not aggregates of the framework"),
    ([{"step": "weight", "method": "equal", "level": 3}],
     r"step 'weight': no node of the framework is at level 3"),
    ([{"step": "weight", "method": "manual", "values": {"zz": 1.0}}],
     r"step 'weight': manual weights for codes not in the framework \(or the index\): \['zz'\]"),
    ([{"step": "weight", "method": "optimise", "target": {"zz": 1.0}}],
     r"step 'weight': target importances for codes outside the groups \['D1', 'D2'\]: \['zz'\]"),
    ([NORM, AGG, {"step": "weight", "method": "pca", "level": 2, "input": "normalised"}],
     r"step 'weight': pca weights for the children of I need their scores, but data set "
     r"'normalised' lacks \['D1', 'D2'\]"),
    ([{"step": "denominate", "denominators": {"z": "pop"}}],
     r"step 'denominate': denominators given for indicators \['z'\] not in the data set"),
    ([{"step": "denominate", "denominators": {"a": "people"}}],
     r"step 'denominate': denominators \['people'\] not found"),
    ([{"step": "denominate", "denominators": {"a": "pop"}, "result_units": {"c": "t"}}],
     r"step 'denominate': result_units given for indicators this step does not denominate: "
     r"\['c'\]"),
])
def test_labels_the_step_does_not_know(steps, message):
    with pytest.raises(InputError, match=message):
        build(*steps)


def test_data_the_steps_cannot_use():
    """Zero denominators, a screen that keeps nobody, every indicator constant under drop,
    an aggregate whose children were all dropped, a reference unit without a value and
    entropy weights on negative data are refused, naming unit and period."""
    with pytest.raises(InputError, match=r"step 'denominate': zero denominator \(2 values\), so "
                                         r"the ratio is undefined"):
        build({"step": "denominate", "denominators": {"a": "pop"}},
              pop=[10.0, 0.0, 20, 20, 30, 0.0])
    with pytest.raises(MethodError, match=r"step 'screen': screening would remove every unit"):
        build({"step": "screen", "min_availability": 1.0}, a=[np.nan, 2, np.nan, 4, np.nan, 6])
    with pytest.raises(MethodError, match=r"step 'normalise': every indicator is constant "
                                          r"\(policy constant: drop would leave nothing"):
        build({"step": "normalise", "constant": "drop"}, a=[1.0] * 6, b=[2.0] * 6,
              c=[3.0] * 6)
    with pytest.raises(MethodError, match=r"step 'aggregate': aggregate D2 has no children left "
                                          r"\(dropped: c\)"):
        build({"step": "normalise", "constant": "drop"}, AGG, c=[3.0] * 6)
    with pytest.raises(MethodError, match=r"step 'normalise': the reference unit B has no value "
                                          r"for a in 2001"):
        build({"step": "normalise", "method": "dist_ref", "ref_unit": "B"},
              a=[1.0, 2, 3, np.nan, 5, 6])
    with pytest.raises(MethodError, match=r"step 'weight', group D1: entropy weights need "
                                          r"non-negative values; b is -6 after applying "
                                          r"direction -1"):
        build({"step": "weight", "method": "entropy"})


def test_weight_set_named_like_a_data_set_is_refused_by_the_step_too():
    """The recipe refuses it first; the step keeps its own check for callers that run steps
    without a recipe (the step contract, gipro.steps.base)."""
    from gipro.dataset import DataSet
    from gipro.steps.base import StepContext
    from gipro.steps.weight import WeightStep

    p = panel()
    ctx = StepContext(framework=FW, panel=p, source_panel=p, periods=(2000, 2001),
                      producers={"raw": "", "normalised": "normalise"})
    ds = DataSet("raw", np.ones((2, 3, 3)), ("A", "B", "C"), (2000, 2001), ("a", "b", "c"))
    step = WeightStep(method="equal", output="normalised")
    with pytest.raises(InputError, match=r"step 'w': weight set name 'normalised' is also a "
                                         r"data set name; choose another output name"):
        step.prepare(ctx, "w", ds)


@pytest.mark.parametrize("spec, message", [
    ({"step": "normalise", "method": "rank"},
     r"^step 's': normalise \(rank\) cannot run on a cluster chunked over units: its scores "
     r"are ranks among every unit"),
    ({"step": "treat", "fallback": "boxcox"},
     r"^step 's': treat cannot run on a cluster chunked over units: the Box-Cox lambda is "
     r"estimated from every value of a column"),
    ({"step": "weight", "method": "pca"},
     r"^step 's': weight \(pca\) cannot run on a cluster chunked over units: pca weights are "
     r"computed from the whole table"),
])
def test_a_fit_over_chunks_refuses_what_needs_every_unit_when_called_directly(spec, message):
    """``fit_chunked`` is part of the step contract (docs: scale): called on its own, without
    the runner that asks ``chunked_refusal`` first, it still refuses -- before it reads the
    plan's data or the values (neither is given here)."""
    from types import SimpleNamespace

    from gipro.steps.normalise import NormaliseStep
    from gipro.steps.treat import TreatStep
    from gipro.steps.weight import WeightStep

    kind = {"normalise": NormaliseStep, "treat": TreatStep, "weight": WeightStep}[spec["step"]]
    with pytest.raises(MethodError, match=message):
        kind(**spec).fit_chunked(None, SimpleNamespace(step="s"), None)
