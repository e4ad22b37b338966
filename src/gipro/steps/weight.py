"""The ``weight`` step: derive a named weight set and store it on the build.

A weight set gives every node of the framework (except the index) a weight relative to its
siblings, like the framework's own ``weight`` fields. The set ``framework`` always exists (the
framework's weights); a weight step starts from a ``base`` set (default ``framework``) and
replaces the weights of the groups it computes. The aggregate step uses a set by name
(``weights: pca``). Every set is written to ``weights.csv`` with its effective weights.

::

    steps:
      - {step: normalise}
      - {step: weight, method: entropy, output: ewm}            # level 1, every group
      - {step: aggregate, weights: ewm}

For weights of sub-indices (level 2 and up) the step needs their scores, i.e. an aggregated
data set: aggregate once (e.g. equal weights), compute the weights on that data set, aggregate
again from the normalised data with the new set (``input: normalised``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import normalise as _norm
from ..methods import weight as _w
from .base import MethodParams, StepContext, StepSpec, dropped_codes, near_matches

if TYPE_CHECKING:  # pragma: no cover
    from ..framework import Framework

__all__ = ["WeightSet", "WeightStep", "framework_weights", "get_weight_set", "weights_table"]


@dataclass
class WeightSet:
    """A named set of weights for the nodes of a framework.

    Attributes
    ----------
    name : str
        The set's name (``framework`` for the framework's own weights).
    weights : dict of str to float
        Weight of every node except the index, relative to its siblings.
    method : str
        How the weights were obtained (``framework``, ``equal``, ``pca``...).
    step : str or None
        Name of the step that made the set.
    details : list of dict
        Per child diagnostics (e.g. PCA loading, entropy), one row per code.
    by_unit : pandas.DataFrame or None
        Unit-specific weights (Benefit-of-the-Doubt): ``unit, period, parent, code, weight``.
    """

    name: str
    weights: dict[str, float]
    method: str
    step: str | None = None
    details: list[dict[str, Any]] = field(default_factory=list)
    by_unit: pd.DataFrame | None = None

    def effective(self, framework: Framework) -> dict[str, float]:
        """Weight of each node in the index: the product of sibling-normalised weights on the
        path to the root (OECD/JRC Handbook 2008, section 6; COINr ``get_eff_wts``).

        Defined for non-negative weights only: a group with a negative weight (PCA
        ``kind: loadings``, which aggregation refuses) has no share of the index, so its
        children -- and everything below them -- get NaN, not a signed ratio such as
        6.0 / -6.9 (:func:`weights_table` says why in its ``note`` column)."""
        out = {framework.root: 1.0}
        for agg in sorted(framework.aggregate_codes, key=framework.level, reverse=True):
            kids = framework.children(agg)
            ws = [self.weights.get(k, 0.0) for k in kids]
            total = sum(ws)
            signed = any(w < 0 for w in ws)
            for k, w in zip(kids, ws, strict=True):
                share = np.nan if signed else (w / total if total else 0.0)
                out[k] = out.get(agg, 0.0) * share
        return out

    def negative_groups(self, framework: Framework) -> list[str]:
        """Aggregates with a child of negative weight (no effective weights below them)."""
        return [a for a in framework.aggregate_codes
                if any(self.weights.get(k, 0.0) < 0 for k in framework.children(a))]


def framework_weights(framework: Framework) -> WeightSet:
    """The framework's own weights as a weight set named ``framework``."""
    return WeightSet("framework", {c: n.weight for c, n in framework.nodes.items()
                                   if n.parent is not None}, "framework")


def get_weight_set(framework: Framework, sets: Mapping[str, WeightSet], name: str
                   ) -> WeightSet:
    """A weight set by name: one of ``sets`` (made by weight steps), or ``framework`` (the
    framework's own weights, which always exists).

    Raises
    ------
    InputError
        If there is no set of that name.
    """
    if name in sets:
        return sets[name]
    if name == "framework":
        return framework_weights(framework)
    raise InputError(f"no weight set named {name!r}",
                     [f"weight sets: {', '.join(['framework', *sets])}",
                      "a weight step makes one: {step: weight, method: ..., output: <name>}"])


def weights_table(framework: Framework, sets: Mapping[str, WeightSet]) -> pd.DataFrame:
    """Every weight set (the framework's and ``sets``), long: ``set, method, code, parent,
    level, weight, effective_weight, unit, period, note`` -- unit-specific rows (``unit``,
    ``period``) for Benefit-of-the-Doubt; ``note`` says why an effective weight is missing
    (negative weights above the code).
    """
    fw = framework
    sets = {"framework": framework_weights(fw), **sets}
    rows = []
    for ws in sets.values():
        eff = ws.effective(fw)
        signed = ws.negative_groups(fw)
        for code, w in ws.weights.items():
            node = fw.node(code)
            chain, up = [], node.parent  # the aggregates above the code
            while up is not None:
                chain.append(up)
                up = fw.node(up).parent
            above = [a for a in chain if a in signed]
            rows.append({"set": ws.name, "method": ws.method, "code": code,
                         "parent": node.parent, "level": node.level, "weight": w,
                         "effective_weight": eff.get(code), "unit": None, "period": None,
                         "note": (f"no effective weight: negative weights in {above[0]} (not "
                                  "usable for aggregation)") if above else ""})
        if ws.by_unit is not None:
            for r in ws.by_unit.itertuples(index=False):
                rows.append({"set": ws.name, "method": ws.method, "code": r.code,
                             "parent": r.parent, "level": fw.level(r.code), "weight": r.weight,
                             "effective_weight": None, "unit": r.unit, "period": r.period,
                             "note": ""})
    table = pd.DataFrame(rows, columns=["set", "method", "code", "parent", "level", "weight",
                                        "effective_weight", "unit", "period", "note"])
    table["period"] = table["period"].astype("Int64")
    return table


@dataclass(frozen=True)
class WeightPlan:
    """The weight step's labels: the base set's weights, the groups, the period."""

    step: str
    dataset: str
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    base: dict[str, float]
    groups: list[str]
    period_index: int | None
    oriented: bool
    dropped: frozenset[str]


@dataclass(frozen=True)
class WeightFit:
    """The weights computed (every node but the index), with per-child details and notes."""

    weights: dict[str, float]
    details: list[dict[str, Any]]
    notes: list[str]


class WeightStep(MethodParams, StepSpec):
    """Compute a named weight set for the groups of one level.

    Attributes
    ----------
    output : str
        Name of the weight set (default ``weights``); the aggregate step uses it with
        ``weights: <name>``. A weight step writes no data set: the next step reads the same
        input.
    method : str
        ``equal``, ``manual`` (``values``), ``pca`` (first principal component), ``entropy``,
        ``critic``, ``optimise`` (children correlate with their parent in the proportions of
        ``target``). Benefit-of-the-Doubt gives unit-specific weights and is chosen in the
        aggregate step (``method: bod``), which records its weights as a set.
    level : int
        The level whose nodes get weights (1 = indicators), computed within each group of
        siblings (the children of one aggregate) from those nodes' scores in the input data
        set. Default 1.
    groups : list of str, optional
        Parent aggregates to compute (default: every aggregate with a child at ``level``).
    base : str
        Weight set to start from (default ``framework``); other groups keep its weights.
    period : int, optional
        Use this period only (default: all unit-periods pooled).
    values : mapping of str to float
        ``manual``: weight per code (relative to siblings).
    others : {"error", "keep"}
        ``manual``: what the other children of a group get when ``values`` gives some of
        them: ``error`` (default: a partial group is a common slip, so it stops the build
        naming the codes left out) or ``keep`` (they keep the ``base`` set's weights, a
        WARNING note in the log).
    kind : {"squared", "loadings"}
        ``pca``: squared loadings (default; non-negative, sum 1, field case B21) or the
        loadings as COINr returns them.
    shift, negative_shift : float
        ``entropy``: constant added to every value; translation |min| + negative_shift of
        children with negative values (default: negative values raise, field case B09).
    ddof : {0, 1}
        ``critic``: standard deviation divisor (default 1).
    target : mapping of str to float, optional
        ``optimise``: relative importance per code (default equal).
    """

    writes_data_set: ClassVar[bool] = False

    method_params: ClassVar[dict[str, frozenset[str]]] = {
        "values": frozenset({"manual"}),
        "others": frozenset({"manual"}),
        "kind": frozenset({"pca"}),
        "shift": frozenset({"entropy"}),
        "negative_shift": frozenset({"entropy"}),
        "ddof": frozenset({"critic"}),
        "target": frozenset({"optimise"}),
    }

    step: Literal["weight"] = "weight"
    output: str = "weights"
    method: Literal["equal", "manual", "pca", "entropy", "critic", "optimise"] = "equal"
    level: int = Field(1, ge=1)
    groups: list[str] | None = None
    base: str = "framework"
    period: int | None = None
    values: dict[str, float] = Field(default_factory=dict)
    others: Literal["error", "keep"] = "error"
    kind: Literal["squared", "loadings"] = "squared"
    shift: float = Field(0.0, ge=0.0)
    negative_shift: float | None = Field(None, ge=0.0)
    ddof: Literal[0, 1] = 1
    target: dict[str, float] | None = None

    @model_validator(mode="after")
    def _check(self) -> WeightStep:
        if self.method == "manual" and not self.values:
            raise ValueError("method manual needs values: {code: weight, ...}")
        bad = {k: v for k, v in self.values.items() if not (v >= 0 and np.isfinite(v))}
        if bad:
            raise ValueError(f"manual weights must be finite and >= 0, got {bad}")
        return self

    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> WeightPlan:
        fw = ctx.framework
        if self.output in ctx.producers:
            raise InputError(f"step {name!r}: weight set name {self.output!r} is also a data "
                             "set name; choose another output name")
        base = get_weight_set(fw, ctx.weights, self.base)
        groups = self._groups(fw, name)
        if self.target is not None:
            unknown = sorted(set(self.target) - {k for g in groups for k in fw.children(g)})
            if unknown:
                raise InputError(f"step {name!r}: target importances for codes outside the "
                                 f"groups {groups}: {unknown}",
                                 near_matches(unknown, [k for g in groups
                                                        for k in fw.children(g)]))
        if self.method == "manual":
            unknown = sorted(set(self.values) - set(base.weights))
            if unknown:
                raise InputError(f"step {name!r}: manual weights for codes not in the "
                                 f"framework (or the index): {unknown}",
                                 near_matches(unknown, list(base.weights)))
            if self.others == "error":
                for parent in fw.aggregate_codes:
                    kids = fw.children(parent)
                    left = [k for k in kids if k not in self.values]
                    if left and len(left) < len(kids):
                        raise InputError(
                            f"step {name!r}: manual weights give {len(kids) - len(left)} of "
                            f"the {len(kids)} children of {parent}; missing: "
                            f"{', '.join(left)}",
                            [f"give every child of {parent} a value (weights are relative "
                             "within a group), or set others: keep (the missing ones keep "
                             f"the weights of weight set {self.base!r})"])
        pi = None
        if self.method != "manual" and self.period is not None:
            if self.period not in ds.periods:
                raise InputError(f"step {name!r}: period {self.period} is not in the build")
            pi = ds.periods.index(self.period)
        return WeightPlan(name, ds.name, ds.units, ds.periods, ds.codes, dict(base.weights), groups,
                          pi, ctx.producers.get(ds.name) in ("normalise", "aggregate"),
                          frozenset(dropped_codes(ctx) - set(ds.codes)))

    def prepare_key(self, ctx: StepContext, ds: DataSet) -> Any:
        return (ds.codes, ds.units, ds.periods, ds.name, frozenset(dropped_codes(ctx)),
                id(ctx.weights.get(self.base)), ctx.producers.get(ds.name),
                self.output in ctx.producers)

    def fit(self, ctx: StepContext, plan: WeightPlan, x: np.ndarray) -> WeightFit:
        fw = ctx.framework
        name = plan.step
        weights = dict(plan.base)
        notes: list[str] = []
        details: list[dict[str, Any]] = []
        if self.method == "manual":
            weights.update({k: float(v) for k, v in self.values.items()})
            notes.append("manual weights: " + ", ".join(f"{k} {v:g}"
                                                         for k, v in self.values.items()))
            # a group given in part: its other children keep the base set's weights, on
            # whatever scale those are -- say so (a partial set is a common slip)
            for parent in fw.aggregate_codes:
                kids = fw.children(parent)
                given = [k for k in kids if k in self.values]
                kept = [k for k in kids if k not in self.values]
                if given and kept:
                    notes.append(
                        f"WARNING {parent}: manual weights for {', '.join(given)} only; "
                        + ", ".join(f"{k} keeps {weights[k]:g}" for k in kept)
                        + f" from weight set {self.base!r} (weights are relative within "
                        f"{parent}: give every child of {parent} a value to set them all)")
            return WeightFit(weights, details, notes)
        ds = DataSet(plan.dataset, x, plan.units, plan.periods, plan.codes)
        for parent in plan.groups:
            kids = [k for k in fw.children(parent) if k not in plan.dropped]
            gone = [k for k in fw.children(parent) if k in plan.dropped]
            if gone:
                for k in gone:
                    weights[k] = 0.0
                notes.append(f"{parent}: left out (dropped by an earlier step, weight 0): "
                             + ", ".join(gone))
            if not kids:
                continue
            res = self._group_weights(fw, plan, name, ds, kids, parent)
            for k, w in zip(kids, res.weights, strict=True):
                weights[k] = float(w)
            for j, k in enumerate(kids):
                row = {"code": k, "parent": parent, "weight": float(res.weights[j])}
                for key, val in res.info.items():
                    if isinstance(val, np.ndarray) and val.shape == (len(kids),):
                        row[key] = float(val[j])
                details.append(row)
            extra = ""
            if "explained" in res.info:
                extra = f"; PC1 explains {res.info['explained']:.1%}"
            notes.append(f"{self.method} weights for {parent}: " + ", ".join(
                f"{k} {w:.4g}" for k, w in zip(kids, res.weights, strict=True)) + extra)
            notes.extend(f"{parent}: {n}" for n in res.notes)
        return WeightFit(weights, details, notes)

    def chunked_refusal(self) -> str | None:
        """Weights learnt from the data (PCA, entropy, CRITIC, optimisation) are computed
        from every unit's values; equal and manual weights read none."""
        if self.method in ("equal", "manual"):
            return None
        return (f"{self.method} weights are computed from the whole table of every unit's "
                "scores, not from per-indicator statistics")

    def fit_chunked(self, ctx: StepContext, plan: WeightPlan, x: Any) -> WeightFit:
        """:meth:`fit` for the methods that read no values (equal, manual weights)."""
        why = self.chunked_refusal()
        if why is not None:
            raise self.not_chunked(plan.step, why)
        shape = (len(plan.periods), len(plan.units), len(plan.codes))
        return self.fit(ctx, plan, np.broadcast_to(np.float64(np.nan), shape))

    def products(self, ctx: StepContext, name: str, ds: DataSet, plan: WeightPlan,
                 fit: WeightFit, out: DataSet | None
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return {self.output: WeightSet(self.output, fit.weights, self.method, name,
                                       fit.details)}, []

    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: WeightPlan,
                fit: WeightFit, out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        return list(fit.notes), {"weight_set": self.output, "groups": plan.groups,
                                 "details": fit.details, "weights": fit.weights}

    def _groups(self, fw: Framework, name: str) -> list[str]:
        if self.groups is not None:
            unknown = [g for g in self.groups if g not in fw.aggregate_codes]
            if unknown:
                raise InputError(f"step {name!r}: groups {unknown} are not aggregates of the "
                                 "framework", [f"aggregates: {', '.join(fw.aggregate_codes)}"])
            return list(self.groups)
        groups = [a for a in fw.aggregate_codes
                  if any(fw.level(k) == self.level for k in fw.children(a))]
        if not groups:
            raise InputError(f"step {name!r}: no node of the framework is at level {self.level}",
                             [f"levels 1-{fw.max_level - 1} have weights"])
        return groups

    def _group_weights(self, fw: Framework, plan: WeightPlan, name: str, ds: DataSet,
                       kids: list[str], parent: str) -> _w.WeightResult:
        pi = plan.period_index
        if self.method == "equal":
            return _w.equal_weights(len(kids))
        missing = [k for k in kids if k not in ds.codes]
        if missing:
            raise InputError(
                f"step {name!r}: {self.method} weights for the children of {parent} need their "
                f"scores, but data set {ds.name!r} lacks {missing}",
                ["for weights above level 1, read an aggregated data set (input: aggregated) "
                 "and aggregate again afterwards"],
            )
        x = ds.take(kids)
        direction = np.ones(len(kids))
        if not plan.oriented:
            direction = np.array([fw.node(k).direction or 1 for k in kids], dtype=float)
            x = _norm.orient(x, direction)
        if self.method == "entropy" and self.negative_shift is None:
            sub = x[pi:pi + 1] if pi is not None else x
            neg = ~np.isnan(sub) & (sub < 0)
            if neg.any():
                p, u, k = np.argwhere(neg)[0]
                period = ds.periods[pi if pi is not None else p]
                value = f"{sub[p, u, k]:.6g}"
                hints = ["entropy weights change with any shift (field case B09): compute them "
                         "on normalised data (min-max), or set negative_shift (e.g. 0.01), "
                         "which is recorded"]
                if direction[k] < 0:  # the value is negative because of the direction flip
                    held = "the file has" if ds.name == "raw" else f"data set {ds.name!r} has"
                    value += (f" after applying direction -1 ({held} "
                              f"{-sub[p, u, k]:.6g})")
                    hints = ["entropy needs normalised data for negative-direction indicators: "
                             "move the weight step after the normalise step so that it reads the "
                             "normalised data set (or set input: normalised)", *hints]
                raise MethodError(
                    f"step {name!r}, group {parent}: entropy weights need non-negative values; "
                    f"{kids[k]} is {value} for unit {ds.units[u]} in {period} "
                    f"({int(neg.sum())} negative values)",
                    hints,
                )
        x = x[pi] if pi is not None else x.reshape(-1, len(kids))
        try:
            if self.method == "pca":
                return _w.pca_weights(x, kind=self.kind, names=kids)
            if self.method == "entropy":
                return _w.entropy_weights(x, shift=self.shift,
                                          negative_shift=self.negative_shift, names=kids)
            if self.method == "critic":
                return _w.critic_weights(x, ddof=self.ddof, names=kids)
            target = None
            if self.target is not None:
                target = [self.target.get(k, 1.0) for k in kids]
            return _w.balance_weights(x, target, names=kids)
        except MethodError as exc:
            raise MethodError(f"step {name!r}, group {parent}: {exc.message}",
                              exc.details) from None
