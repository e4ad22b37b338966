"""The ``aggregate`` step: level by level from indicators to the index.

One method for every aggregate, or per level and per aggregate code, each with its own
parameters and weight set::

    - step: aggregate
      method: arithmetic                 # default for every aggregate
      weights: framework                 # a weight set (see the weight step)
      by_level: {3: geometric}           # the index: geometric mean of the dimensions
      by_code:
        ENV: {method: generalised, p: 0.5}
        ECO: {method: topsis, weights: pca}
      min_availability: 0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import aggregate as _agg
from ..methods.weight import benefit_of_the_doubt
from .base import MethodParams, StepSpec, dropped_codes, fmt, near_matches
from .weight import WeightSet, get_weight_set

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["AggMethod", "AggregateStep", "children_counts", "partial_note"]

AggName = Literal["arithmetic", "geometric", "harmonic", "generalised", "mean_min", "mpi",
                  "copeland", "topsis", "bod"]

_DESCRIBE = {
    "arithmetic": "weighted arithmetic mean",
    "geometric": "weighted geometric mean",
    "harmonic": "weighted harmonic mean",
    "generalised": "generalised mean",
    "mean_min": "mean-min function",
    "mpi": "Mazziotta-Pareto index",
    "copeland": "Copeland score of the outranking matrix",
    "topsis": "TOPSIS closeness",
    "bod": "Benefit-of-the-Doubt (DEA)",
}


class AggMethod(MethodParams):
    """An aggregation method with its parameters (for ``by_level`` / ``by_code`` entries).

    Attributes
    ----------
    method : str
        ``arithmetic`` (default), ``geometric``, ``harmonic``, ``generalised`` (needs ``p``),
        ``mean_min``, ``mpi`` (Mazziotta-Pareto), ``copeland`` (outranking), ``topsis``,
        ``bod`` (Benefit-of-the-Doubt). Formulas and sources: :mod:`gipro.methods.aggregate`
        and ``docs/steps/aggregate.md``.
    weights : str, optional
        Weight set for this entry (default: the step's).
    p : float
        ``generalised``: order of the mean (0 = geometric).
    alpha, beta : float
        ``mean_min``: penalty intensity in [0, 1] (default 0.5) and curvature >= 0 (default 0).
    penalty : {"negative", "positive"}
        ``mpi``: MPI- (default, higher is better) or MPI+.
    ddof : {0, 1}
        ``mpi``: 0 = population standard deviation (default, the original method), 1 = sample
        (Compind).
    shift : float
        ``geometric``, ``harmonic``, ``generalised``: constant added before and subtracted
        after the mean, for data with zeros (default 0: zero or negative values raise).
    topsis_normalise : {"vector", "minmax", "none"}
        ``topsis``: normalisation of the children before the distances (default ``vector``,
        the classical method).
    bounds : {"pooled", "per_period"}
        ``copeland``, ``topsis``, ``bod`` compare units with each other: over all unit-periods
        (``pooled``, default, so scores are comparable across periods) or within each period.
    """

    method_params: ClassVar[dict[str, frozenset[str]]] = {
        "p": frozenset({"generalised"}),
        "alpha": frozenset({"mean_min"}),
        "beta": frozenset({"mean_min"}),
        "penalty": frozenset({"mpi"}),
        "ddof": frozenset({"mpi"}),
        "shift": frozenset({"geometric", "harmonic", "generalised"}),
        "topsis_normalise": frozenset({"topsis"}),
        "bounds": frozenset({"copeland", "topsis", "bod"}),
    }

    method: AggName = "arithmetic"
    weights: str | None = None
    p: float | None = None
    alpha: float = Field(0.5, ge=0.0, le=1.0)
    beta: float = Field(0.0, ge=0.0)
    penalty: Literal["negative", "positive"] = "negative"
    ddof: Literal[0, 1] = 0
    shift: float = 0.0
    topsis_normalise: Literal["vector", "minmax", "none"] = "vector"
    bounds: Literal["pooled", "per_period"] = "pooled"

    @model_validator(mode="after")
    def _needs(self) -> AggMethod:
        if self.method == "generalised" and self.p is None:
            raise ValueError("method generalised needs p (the order of the mean; 0 = geometric)")
        return self

    def label(self) -> str:
        extra = {"generalised": f" (p = {self.p:g})" if self.p is not None else "",
                 "mean_min": f" (alpha {self.alpha:g}, beta {self.beta:g})",
                 "mpi": f" (MPI{'-' if self.penalty == 'negative' else '+'}, "
                        f"{'population' if self.ddof == 0 else 'sample'} sd)",
                 "topsis": f" ({self.topsis_normalise} normalisation)"}.get(self.method, "")
        if self.method in ("geometric", "harmonic", "generalised") and self.shift:
            extra += f" with shift {self.shift:g}"
        if self.method in _agg.CROSS_UNIT:
            extra += (" over all unit-periods (pooled)" if self.bounds == "pooled"
                      else " within each period")
        return _DESCRIBE[self.method] + extra


def _as_method(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: ({"method": m} if isinstance(m, str) else m) for k, m in v.items()}
    return v


def _params(spec: AggMethod) -> dict[str, Any]:
    """The kernel parameters of a unit-wise method (for :func:`~gipro.methods.aggregate.
    level_mean`)."""
    m = spec.method
    if m in ("geometric", "harmonic"):
        return {"method": m, "shift": spec.shift}
    if m == "generalised":
        return {"method": m, "p": float(spec.p), "shift": spec.shift}
    if m == "mean_min":
        return {"method": m, "alpha": spec.alpha, "beta": spec.beta}
    if m == "mpi":
        return {"method": m, "penalty": -1 if spec.penalty == "negative" else 1,
                "ddof": spec.ddof}
    return {"method": m}


def children_counts(framework: Any, codes: Sequence[str], values: np.ndarray,
                    weights: Mapping[str, Mapping[str, float]] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """How many children of each aggregate have a score, and how many it has.

    The children of an aggregate are its direct children in the framework that are in
    ``codes`` (an indicator left out by an earlier step, e.g. ``constant: drop``, is not a
    child any more) and have a positive weight: the ``k of n`` to which the availability
    rule of the aggregate step (``min_availability``, COINr ``dat_thresh``) is applied, per
    aggregate and level by level (``docs/steps/aggregate.md``).

    Parameters
    ----------
    framework : gipro.Framework
    codes : sequence of str
        Codes of the last axis of ``values`` (indicators and aggregates).
    values : ndarray, shape (..., n_codes)
        Scores, NaN = missing.
    weights : mapping, optional
        Aggregate code -> {child code: weight}, the weights the aggregate step used
        (``build.fitted[step]["weights"]``); children of weight 0 are not counted. Default:
        the framework's weights.

    Returns
    -------
    scored : ndarray of int, shape (..., n_codes)
        Children with a score; -1 for codes that are not aggregates (or have no children in
        ``codes``).
    total : ndarray of int, shape (n_codes,)
        Children in ``codes``; 0 for indicators.

    Examples
    --------
    >>> from gipro import Framework
    >>> fw = Framework(indicators=[{"code": "a", "parent": "D", "direction": 1},
    ...                            {"code": "b", "parent": "D", "direction": 1}],
    ...                aggregates=[{"code": "D"}])
    >>> scored, total = children_counts(fw, ["a", "b", "D"], np.array([[1.0, np.nan, 1.0]]))
    >>> scored.tolist(), total.tolist()
    ([[-1, -1, 1]], [0, 0, 2])
    """
    col = {c: i for i, c in enumerate(codes)}
    member = np.zeros((len(codes), len(codes)))
    for c in codes:
        if c in framework.aggregate_codes:
            w = (weights or {}).get(c)
            for k in framework.children(c):
                if k in col and (w[k] if w is not None and k in w
                                 else framework.node(k).weight) > 0:
                    member[col[k], col[c]] = 1.0
    total = member.sum(axis=0).astype(int)
    scored = (~np.isnan(values)).astype(float) @ member
    scored = np.where(total > 0, np.rint(scored), -1).astype(int)
    return scored, total


def partial_note(framework: Any, ds: DataSet,
                 weights: Mapping[str, Mapping[str, float]] | None = None, limit: int = 5
                 ) -> str | None:
    """The log note listing aggregate scores computed with some children missing.

    Count, then the first ``limit`` cases (index first, then level by level down, in
    framework order, by period and unit), each as ``unit period code k of n children
    (missing: ...)``; ``None`` when every aggregate score used all its children. Children
    and ``weights`` as in :func:`children_counts`.

    Examples
    --------
    >>> from gipro import Framework
    >>> fw = Framework(indicators=[{"code": "a", "parent": "D", "direction": 1},
    ...                            {"code": "b", "parent": "D", "direction": 1}],
    ...                aggregates=[{"code": "D"}])
    >>> ds = DataSet("x", np.array([[[1.0, np.nan, 1.0]]]), ("u1",), (2020,), ("a", "b", "D"))
    >>> partial_note(fw, ds)  # doctest: +NORMALIZE_WHITESPACE
    '1 aggregate score computed with some children missing (weights renormalised over the
    available children; results: children_scored < children): u1 2020 D 1 of 2 children
    (missing: b)'
    """
    codes = list(ds.codes)
    scored, total = children_counts(framework, codes, ds.values, weights)
    part = (scored >= 0) & (scored < total) & ~np.isnan(ds.values)
    if not part.any():
        return None
    order = sorted((i for i, c in enumerate(codes) if total[i] > 0 and part[..., i].any()),
                   key=lambda i: (-framework.level(codes[i]),
                                  framework.aggregate_codes.index(codes[i])))
    shown: list[str] = []
    for i in order:
        for pi, ui in np.argwhere(part[..., i]):
            if len(shown) == limit:
                break
            w = (weights or {}).get(codes[i], {})
            miss = [k for k in framework.children(codes[i]) if k in codes
                    and w.get(k, framework.node(k).weight) > 0
                    and np.isnan(ds.values[pi, ui, codes.index(k)])]
            shown.append(f"{ds.units[ui]} {ds.periods[pi]} {codes[i]} {scored[pi, ui, i]} of "
                         f"{total[i]} children (missing: {', '.join(miss)})")
    n = int(part.sum())
    more = f"; and {n - len(shown)} more" if n > len(shown) else ""
    return (f"{n} aggregate score{'s' if n > 1 else ''} computed with some children missing "
            "(weights renormalised over the available children; results: children_scored < "
            f"children): {', '.join(shown)}{more}")


def _coverage_notes(agg: str, partial: int, lost: int) -> list[str]:
    notes = []
    if partial:
        notes.append(f"{agg}: {partial} unit-periods aggregated over the available children "
                     "only")
    if lost:
        notes.append(f"{agg}: {lost} unit-periods left missing (too few children)")
    return notes


class AggregateStep(AggMethod, StepSpec):
    """Aggregate level by level, from indicators up to the index.

    Attributes
    ----------
    method, p, alpha, beta, penalty, ddof, shift, topsis_normalise, bounds :
        The default method and its parameters (see :class:`AggMethod`).
    weights : str
        Weight set (default ``framework``: the framework's weights).
    by_level : mapping of int to method
        Method per level (a name or ``{method: ..., <params>, weights: ...}``), e.g.
        ``{2: arithmetic, 3: geometric}``.
    by_code : mapping of str to method
        Method per aggregate code; wins over ``by_level``.
    min_availability : float in [0, 1]
        Minimum share of an aggregate's (positively weighted) direct children that must be
        available for the aggregate to be computed -- per aggregate, level by level, so an
        index of two dimensions is computed when one dimension is missing; weights are
        renormalised over the available children (every method). Default 0.5. Below it the
        aggregate is missing -- never computed as if the missing children were zero.
        Aggregates computed from part of their children are counted and listed in the log
        notes and marked in ``Build.results()`` (``children_scored`` < ``children``).
    """

    needs_normalised: ClassVar[bool] = True  # directions are applied by normalisation

    step: Literal["aggregate"] = "aggregate"
    output: str = "aggregated"
    weights: str = "framework"
    by_level: dict[int, AggMethod] = Field(default_factory=dict)
    by_code: dict[str, AggMethod] = Field(default_factory=dict)
    min_availability: float = Field(0.5, ge=0.0, le=1.0)

    @field_validator("by_level", "by_code", mode="before")
    @classmethod
    def _names_to_methods(cls, v: Any) -> Any:
        return _as_method(v)

    def spec_for(self, code: str, level: int) -> AggMethod:
        """The method spec that applies to an aggregate."""
        if code in self.by_code:
            return self.by_code[code]
        if level in self.by_level:
            return self.by_level[level]
        return self

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        fw = build.framework
        unknown = [c for c in self.by_code if c not in fw.aggregate_codes]
        if unknown:
            raise InputError(f"step {name!r}: by_code names codes that are not aggregates: "
                             f"{unknown}", [*near_matches(unknown, fw.aggregate_codes),
                                            f"aggregates: {', '.join(fw.aggregate_codes)}"])
        bad_levels = [lv for lv in self.by_level if not 2 <= lv <= fw.max_level]
        if bad_levels:
            raise InputError(f"step {name!r}: by_level names levels without aggregates: "
                             f"{bad_levels} (aggregates are at levels 2-{fw.max_level})")
        dropped = dropped_codes(build)
        in_data = set(ds.codes)
        present = [c for c in fw.indicator_codes if c in in_data]
        missing = [c for c in fw.indicator_codes if c not in in_data and c not in dropped]
        if missing:
            raise InputError(f"step {name!r}: data set {ds.name!r} lacks indicators {missing}")
        codes = present + fw.aggregate_codes
        out = np.full((*ds.values.shape[:2], len(codes)), np.nan)
        out[:, :, : len(present)] = ds.take(present)
        col = {c: i for i, c in enumerate(codes)}
        notes = [f"{self.label()} level by level; weights from set {self.weights!r}, "
                 "renormalised over the available children; an aggregate needs at least "
                 f"{self.min_availability:.0%} of its children (else missing)"]
        if dropped & set(fw.indicator_codes):
            notes.append("indicators dropped by an earlier step left out (their siblings' "
                         f"weights renormalised): {', '.join(sorted(dropped))}")
        fitted: dict[str, Any] = {"methods": {}, "weights": {}}
        bod_rows: list[pd.DataFrame] = []
        try:
            per_agg = self._levels(build, name, ds, out, col, fitted, bod_rows)
        except (InputError, MethodError):
            # an invalid weight set or a value outside a method's domain: aggregate one by one
            # in the aggregation order, so the error raised is the first one in that order
            out[:, :, len(present):] = np.nan
            fitted = {"methods": {}, "weights": {}}
            bod_rows = []
            per_agg = {agg: self._one(build, name, ds, out, col, agg, fitted, bod_rows)
                       for agg in fw.aggregate_codes}
        for agg in fw.aggregate_codes:
            notes.extend(per_agg[agg])
        result = DataSet(self.output, out, ds.units, ds.periods, tuple(codes))
        note = partial_note(fw, result, fitted["weights"])
        if note:
            notes.append(note)
        if bod_rows:
            set_name = f"{name}.bod"
            build.weights[set_name] = WeightSet(set_name, {}, "bod", name,
                                                by_unit=pd.concat(bod_rows, ignore_index=True))
            notes.append(f"Benefit-of-the-Doubt weights (one set per unit) stored as weight set "
                         f"{set_name!r}")
        build.fitted[name] = fitted
        return result, notes

    # ------------------------------------------------------------------ level by level
    def _kids(self, name: str, fw: Any, agg: str, col: dict[str, int]) -> list[str]:
        kids = [k for k in fw.children(agg) if k in col]
        if not kids:
            raise MethodError(f"step {name!r}: aggregate {agg} has no children left "
                              f"(dropped: {', '.join(fw.children(agg))})",
                              [f"every child of {agg} was left out by an earlier step "
                               "(e.g. constant indicators under constant: drop); a whole "
                               "sub-index is not dropped silently: set constant: midpoint, "
                               f"or remove {agg} from the framework"])
        return kids

    def _weights(self, build: Build, name: str, agg: str, kids: list[str], set_name: str,
                 sets: dict[str, Any] | None = None) -> np.ndarray:
        """The weights of ``agg``'s children from a weight set, validated."""
        ws = sets[set_name] if sets is not None and set_name in sets else \
            get_weight_set(build, set_name)
        if sets is not None:
            sets[set_name] = ws
        w = np.array([ws.weights.get(k, np.nan) for k in kids], dtype=float)
        if not (np.isfinite(w) & (w >= 0)).all():
            bad = [f"{k}={v:g}" for k, v in zip(kids, w, strict=True)
                   if not (np.isfinite(v) and v >= 0)]
            raise MethodError(f"step {name!r}: weight set {set_name!r} gives {agg}'s "
                              f"children weights that are missing or negative: {bad}",
                              ["weights must be >= 0 (PCA: use kind: squared)"])
        if not w.sum() > 0:
            raise MethodError(f"step {name!r}: weight set {set_name!r} gives every child of "
                              f"{agg} weight 0")
        return w

    def _levels(self, build: Build, name: str, ds: DataSet, out: np.ndarray,
                col: dict[str, int], fitted: dict[str, Any], bod_rows: list[pd.DataFrame]
                ) -> dict[str, list[str]]:
        """Aggregate level by level, every group of aggregates with the same unit-wise
        method, weight set and number of children // 8 in one kernel call
        (:func:`gipro.methods.aggregate.level_mean`: the same numbers as one call per
        aggregate); cross-unit methods one aggregate at a time. Weights are validated once
        here, not per call. Any error is left to the caller, which redoes the step one
        aggregate at a time (:meth:`_one`) to raise the first error in aggregation order."""
        fw = build.framework
        sets: dict[str, Any] = {}
        per_agg: dict[str, list[str]] = {}
        plan: dict[int, dict[tuple, list]] = {}
        labels: dict[int, str] = {}
        for agg in fw.aggregate_codes:
            level = fw.level(agg)
            spec = self.spec_for(agg, level)
            kids = self._kids(name, fw, agg, col)
            set_name = spec.weights or self.weights
            w = self._weights(build, name, agg, kids, set_name, sets)
            if id(spec) not in labels:
                labels[id(spec)] = spec.label()
            fitted["methods"][agg] = labels[id(spec)]
            fitted["weights"][agg] = dict(zip(kids, w.tolist(), strict=True))
            per_agg[agg] = [] if spec is self else [f"{agg}: {labels[id(spec)]}" + (
                f", weights {set_name!r}" if set_name != self.weights else "")]
            if spec.method not in _agg.UNIT_WISE:
                plan.setdefault(level, {})[("one", agg)] = [(agg, spec, kids, w)]
            else:
                key = (id(spec), len(kids) // 8)
                plan.setdefault(level, {}).setdefault(key, []).append((agg, spec, kids, w))
        share = self.min_availability
        for level in sorted(plan):
            for key, items in plan[level].items():
                if key[0] == "one":
                    agg = items[0][0]
                    per_agg[agg].extend(self._one(build, name, ds, out, col, agg, fitted,
                                                  bod_rows, done=True))
                    continue
                # a value outside the method's domain makes the kernel raise: the caller then
                # redoes the step one aggregate at a time, whose checks name child, unit, period
                spec = items[0][1]
                index = _agg.pad_children([[col[k] for k in it[2]] for it in items])
                wmat = np.zeros(index.shape)
                for i, it in enumerate(items):
                    wmat[i, : len(it[3])] = it[3]
                y = _agg.level_mean(out, index, wmat, min_share=share, check=False,
                                    **_params(spec))
                pad = index < 0
                xg = out[:, :, np.where(pad, 0, index)]
                seen = (~np.isnan(xg) | pad)
                partial = ((~seen.all(axis=-1)) & ~np.isnan(y)).sum(axis=(0, 1))
                lost = ((seen & ~pad).any(axis=-1) & np.isnan(y)).sum(axis=(0, 1))
                out[:, :, [col[it[0]] for it in items]] = y
                for i, it in enumerate(items):
                    per_agg[it[0]].extend(_coverage_notes(it[0], int(partial[i]),
                                                          int(lost[i])))
        return per_agg

    def _one(self, build: Build, name: str, ds: DataSet, out: np.ndarray, col: dict[str, int],
             agg: str, fitted: dict[str, Any], bod_rows: list[pd.DataFrame],
             done: bool = False) -> list[str]:
        """Aggregate one aggregate (its children already in ``out``); returns its notes.
        ``done``: its method and weights are already in ``fitted`` (and its method note in
        the notes), only the scores and the method's own notes are made."""
        fw = build.framework
        spec = self.spec_for(agg, fw.level(agg))
        kids = self._kids(name, fw, agg, col)
        set_name = spec.weights or self.weights
        w = self._weights(build, name, agg, kids, set_name)
        x = out[:, :, [col[k] for k in kids]]
        self._check_domain(name, agg, kids, x, w, spec, ds)
        try:
            y, extra = self._run(spec, x, w, kids)
        except MethodError as exc:
            raise MethodError(f"step {name!r}, aggregate {agg} ({spec.method}): "
                              f"{exc.message}", exc.details) from None
        out[:, :, col[agg]] = y
        notes = []
        if not done:
            fitted["methods"][agg] = spec.label()
            fitted["weights"][agg] = dict(zip(kids, w.tolist(), strict=True))
            if spec is not self:
                notes.append(f"{agg}: {spec.label()}" + (
                    f", weights {set_name!r}" if set_name != self.weights else ""))
        if "dominance" in extra:
            dom = np.atleast_1d(extra["dominance"])
            notes.append(f"{agg}: outranking matrix, share of dominance pairs "
                         + ", ".join(fmt(d) for d in dom))
            fitted.setdefault("dominance", {})[agg] = dom
        if "bod_weights" in extra:
            bw = extra["bod_weights"]
            p_i, u_i, k_i = np.nonzero(~np.isnan(bw))
            bod_rows.append(pd.DataFrame({
                "unit": np.array(ds.units, dtype=object)[u_i],
                "period": np.array(ds.periods)[p_i], "parent": agg,
                "code": np.array(kids, dtype=object)[k_i], "weight": bw[p_i, u_i, k_i]}))
        partial = int((np.isnan(x).any(axis=-1) & ~np.isnan(y)).sum())
        lost = int((~np.isnan(x).all(axis=-1) & np.isnan(y)).sum())
        return notes + _coverage_notes(agg, partial, lost)

    # ------------------------------------------------------------------ helpers
    def _run(self, spec: AggMethod, x: np.ndarray, w: np.ndarray, kids: list[str]
             ) -> tuple[np.ndarray, dict[str, Any]]:
        m = spec.method
        share = self.min_availability
        if m == "arithmetic":
            return _agg.arithmetic_mean(x, w, min_share=share), {}
        if m == "geometric":
            return _agg.geometric_mean(x, w, min_share=share, shift=spec.shift, names=kids), {}
        if m == "harmonic":
            return _agg.harmonic_mean(x, w, min_share=share, shift=spec.shift, names=kids), {}
        if m == "generalised":
            return _agg.generalised_mean(x, w, p=float(spec.p), min_share=share,
                                         shift=spec.shift, names=kids), {}
        if m == "mean_min":
            return _agg.mean_min(x, w, alpha=spec.alpha, beta=spec.beta, min_share=share), {}
        if m == "mpi":
            return _agg.mazziotta_pareto(x, w, penalty=-1 if spec.penalty == "negative" else 1,
                                         ddof=spec.ddof, min_share=share, names=kids), {}
        # cross-unit methods: pooled over all unit-periods, or within each period
        p, u, c = x.shape
        xx = x.reshape(1, p * u, c) if spec.bounds == "pooled" else x
        extra: dict[str, Any] = {}
        if m == "copeland":
            y = _agg.copeland(xx, w, min_share=share)
            _, dom = _agg.outranking(xx, w, min_share=share)
            extra["dominance"] = dom
        elif m == "topsis":
            y = _agg.topsis(xx, w, normalise=spec.topsis_normalise, min_share=share)
        else:
            y, bw = benefit_of_the_doubt(xx, min_share=share, names=kids)
            extra["bod_weights"] = bw.reshape(p, u, c)
        return y.reshape(p, u), extra

    def _check_domain(self, name: str, agg: str, kids: list[str], x: np.ndarray,
                      w: np.ndarray, spec: AggMethod, ds: DataSet) -> None:
        """Name aggregate, child, unit and period of a value outside the method's domain."""
        m = spec.method
        if m == "mpi":
            mean = _agg.arithmetic_mean(x, w, min_share=self.min_availability)
            bad = ~np.isnan(mean) & ~(mean > 0)
            if bad.any():
                pi, ui = np.argwhere(bad)[0]
                raise MethodError(
                    f"step {name!r}: Mazziotta-Pareto index of {agg} needs a positive mean of "
                    f"the children; unit {ds.units[ui]} in {ds.periods[pi]} has mean "
                    f"{fmt(mean[pi, ui])} ({int(bad.sum())} such unit-periods)",
                    ["standardise first: normalise with method zscore and mean_sd [100, 10] "
                     "(MPI), or with method ampi (AMPI)"],
                )
            return
        xs = x + (spec.shift if m in ("geometric", "harmonic", "generalised") else 0.0)
        counted = ~np.isnan(x) & (w > 0)
        if m in ("geometric", "harmonic") or (m == "generalised" and spec.p is not None
                                               and spec.p <= 0):
            bad, need = counted & ~(xs > 0), "strictly positive"
        elif m == "bod" or (m == "generalised" and spec.p not in (None, 1.0)):
            bad, need = counted & (xs < 0), "non-negative"
        else:
            return
        if bad.any():
            pi, ui, ki = np.argwhere(bad)[0]
            shifted = f" after shift {spec.shift:g}" if spec.shift else ""
            raise MethodError(
                f"step {name!r}: {_DESCRIBE[m]} of {agg} needs {need} scores{shifted}; "
                f"{kids[ki]} is {fmt(x[pi, ui, ki])} for unit {ds.units[ui]} in "
                f"{ds.periods[pi]} ({int(bad.sum())} such values)",
                ["after min-max onto [0, 100] the worst unit of every indicator is exactly 0: "
                 "normalise onto a strictly positive range, e.g. range: [1, 100], set an "
                 "explicit shift, or use method: arithmetic"],
            )
