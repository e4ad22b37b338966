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
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import aggregate as _agg
from ..methods.weight import benefit_of_the_doubt
from .base import MethodParams, StepContext, StepSpec, dropped_codes, fmt, near_matches
from .weight import WeightSet, get_weight_set

__all__ = ["AggMethod", "AggregateFit", "AggregatePlan", "AggregateStep", "children_counts",
           "kernel_params", "partial_note"]

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


def kernel_params(spec: AggMethod) -> dict[str, Any]:
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
    aggregates = set(framework.aggregate_codes)
    kids: dict[int, list[int]] = {}
    for c in codes:
        if c in aggregates:
            w = (weights or {}).get(c)
            found = [col[k] for k in framework.children(c)
                     if k in col and (w[k] if w is not None and k in w
                                      else framework.node(k).weight) > 0]
            if found:
                kids[col[c]] = found
    total = np.zeros(len(codes), dtype=int)
    scored = np.full(values.shape, -1, dtype=int)
    obs = ~np.isnan(values)
    for i, found in kids.items():  # (a count per aggregate: no (rows x codes) float matrix)
        total[i] = len(found)
        scored[..., i] = obs[..., found].sum(axis=-1)
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
    total = children_counts(framework, codes, ds.values[:1, :1], weights)[1]
    col = {c: i for i, c in enumerate(codes)}
    obs = ~np.isnan(ds.values)
    parts: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # aggregate -> (partial mask, k)
    for i, c in enumerate(codes):  # one aggregate at a time: no (rows x codes) count matrix
        if total[i] > 0:
            w = (weights or {}).get(c)
            kids = [col[k] for k in framework.children(c) if k in col
                    and (w[k] if w is not None and k in w else framework.node(k).weight) > 0]
            scored = obs[..., kids].sum(axis=-1)
            mask = (scored < total[i]) & obs[..., i]
            if mask.any():
                parts[i] = (mask, scored)
    if not parts:
        return None
    order = sorted(parts, key=lambda i: (-framework.level(codes[i]),
                                         framework.aggregate_codes.index(codes[i])))
    shown: list[str] = []
    for i in order:
        mask, scored = parts[i]
        for pi, ui in np.argwhere(mask):
            if len(shown) == limit:
                break
            w = (weights or {}).get(codes[i], {})
            miss = [k for k in framework.children(codes[i]) if k in codes
                    and w.get(k, framework.node(k).weight) > 0
                    and np.isnan(ds.values[pi, ui, codes.index(k)])]
            shown.append(f"{ds.units[ui]} {ds.periods[pi]} {codes[i]} {scored[pi, ui]} of "
                         f"{total[i]} children (missing: {', '.join(miss)})")
    n = int(sum(m.sum() for m, _ in parts.values()))
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


@dataclass(frozen=True)
class AggregateItem:
    """One aggregate of the plan: its output column, children, method and weight set."""

    code: str
    col: int
    kids: tuple[str, ...]
    kid_cols: tuple[int, ...]
    method: AggMethod
    set_name: str


@dataclass(frozen=True)
class AggregateGroup:
    """Aggregates of one level computed in one kernel call
    (:func:`gipro.methods.aggregate.level_mean`): the same unit-wise method spec and weight
    set, and the same number of children // 8 (:func:`gipro.methods.aggregate.group_parents`:
    the numbers are those of one call per aggregate, bit for bit).

    ``items``: positions in :attr:`AggregatePlan.items`; ``children``: their children's
    columns (padded with -1); ``nodes``: the children's positions among the framework's codes
    (0 for padding); ``pad``: the padding mask; ``params``: the kernel's parameters.
    """

    items: tuple[int, ...]
    out_cols: np.ndarray
    children: np.ndarray
    nodes: np.ndarray
    pad: np.ndarray
    params: dict[str, Any]
    set_name: str


@dataclass(frozen=True)
class AggregatePlan:
    """An aggregate step compiled for one input data set's labels.

    Attributes
    ----------
    step : str
        The step's name (messages).
    units, periods : tuple
        Labels of the input (messages name unit and period).
    codes : tuple of str
        Output codes: the indicators present, then every aggregate (framework order).
    present : list of int
        Input columns carried into the output.
    items : list of AggregateItem
        Every aggregate, in aggregation order (the framework's aggregate order).
    order : list of tuple
        Level by level: ``("group", g)`` (a unit-wise :class:`AggregateGroup`) or
        ``("one", i)`` (a cross-unit method, one aggregate at a time).
    member : dict of str to tuple of ndarray
        Per weight set: the items using it, their children's node positions (padded) and the
        padding mask -- to check every run's weights for all aggregates at once.
    node_index : dict of str to int
        Position of each framework code in the weight vectors.
    dropped : tuple of str
        Indicators an earlier step left out.
    """

    step: str
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    present: list[int]
    items: list[AggregateItem]
    order: list[tuple[str, int]]
    groups: list[AggregateGroup]
    member: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    node_index: dict[str, int]
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class AggregateFit:
    """The weights an aggregate step uses: per weight set, a vector over the framework's codes
    (NaN = no weight), or a batch of vectors of shape (R, n_codes) (one per run)."""

    vectors: dict[str, np.ndarray]
    batch: int | None = None

    def batched(self, vectors: Mapping[str, np.ndarray], node_index: Mapping[str, int]
                ) -> AggregateFit:
        """The same fit with some sets' weights replaced by a batch of vectors (R, n_codes);
        the other sets are repeated for every run."""
        if not vectors:
            return self
        n = next(iter(vectors.values())).shape[0]
        out = {k: (np.asarray(vectors[k], dtype=float) if k in vectors
                   else np.broadcast_to(v, (n, v.shape[-1])))
               for k, v in self.vectors.items()}
        return AggregateFit(out, n)


def _weight_failure(set_name: str, agg: str, kids: Sequence[str], w: np.ndarray) -> str:
    """Why the weights ``w`` of ``agg``'s children are unusable (missing, negative, all 0)."""
    if not (np.isfinite(w) & (w >= 0)).all():
        bad = [f"{k}={v:g}" for k, v in zip(kids, w, strict=True)
               if not (np.isfinite(v) and v >= 0)]
        return (f"weight set {set_name!r} gives {agg}'s children weights that are missing or "
                f"negative: {bad}")
    return f"weight set {set_name!r} gives every child of {agg} weight 0"


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

    # ------------------------------------------------------------------ prepare
    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> AggregatePlan:
        fw = ctx.framework
        unknown = [c for c in self.by_code if c not in fw.aggregate_codes]
        if unknown:
            raise InputError(f"step {name!r}: by_code names codes that are not aggregates: "
                             f"{unknown}", [*near_matches(unknown, fw.aggregate_codes),
                                            f"aggregates: {', '.join(fw.aggregate_codes)}"])
        bad_levels = [lv for lv in self.by_level if not 2 <= lv <= fw.max_level]
        if bad_levels:
            raise InputError(f"step {name!r}: by_level names levels without aggregates: "
                             f"{bad_levels} (aggregates are at levels 2-{fw.max_level})")
        dropped = dropped_codes(ctx)
        in_data = set(ds.codes)
        present = [c for c in fw.indicator_codes if c in in_data]
        missing = [c for c in fw.indicator_codes if c not in in_data and c not in dropped]
        if missing:
            raise InputError(f"step {name!r}: data set {ds.name!r} lacks indicators {missing}")
        codes = present + fw.aggregate_codes
        col = {c: i for i, c in enumerate(codes)}
        node_index = {c: i for i, c in enumerate(fw.codes)}
        items: list[AggregateItem] = []
        by_level: dict[int, dict[Any, list[int]]] = {}
        for agg in fw.aggregate_codes:
            level = fw.level(agg)
            m = self.spec_for(agg, level)
            kids = tuple(k for k in fw.children(agg) if k in col)
            if not kids:
                raise MethodError(f"step {name!r}: aggregate {agg} has no children left "
                                  f"(dropped: {', '.join(fw.children(agg))})",
                                  [f"every child of {agg} was left out by an earlier step "
                                   "(e.g. constant indicators under constant: drop); a whole "
                                   "sub-index is not dropped silently: set constant: midpoint, "
                                   f"or remove {agg} from the framework"])
            set_name = m.weights or self.weights
            key: Any = (("one", len(items)) if m.method not in _agg.UNIT_WISE
                        else (id(m), set_name, len(kids) // 8))
            by_level.setdefault(level, {}).setdefault(key, []).append(len(items))
            items.append(AggregateItem(agg, col[agg], kids, tuple(col[k] for k in kids), m,
                                       set_name))
        groups: list[AggregateGroup] = []
        order: list[tuple[str, int]] = []
        for level in sorted(by_level):
            for key, pos in by_level[level].items():
                if key[0] == "one":
                    order.append(("one", pos[0]))
                    continue
                children = _agg.pad_children([items[i].kid_cols for i in pos])
                pad = children < 0
                nodes = _agg.pad_children([[node_index[k] for k in items[i].kids] for i in pos])
                order.append(("group", len(groups)))
                groups.append(AggregateGroup(
                    tuple(pos), np.array([items[i].col for i in pos]), children,
                    np.where(pad, 0, nodes), pad, kernel_params(items[pos[0]].method),
                    items[pos[0]].set_name))
        member = {}
        for set_name in sorted({it.set_name for it in items}):
            pos = [i for i, it in enumerate(items) if it.set_name == set_name]
            nodes = _agg.pad_children([[node_index[k] for k in items[i].kids] for i in pos])
            member[set_name] = (np.array(pos), np.where(nodes < 0, 0, nodes), nodes < 0)
        return AggregatePlan(name, ds.units, ds.periods, tuple(codes),
                             [ds.codes.index(c) for c in present], items, order, groups, member,
                             node_index, tuple(sorted(dropped & set(fw.indicator_codes))))

    # ------------------------------------------------------------------ fit: the weights
    def fit(self, ctx: StepContext, plan: AggregatePlan, x: np.ndarray) -> AggregateFit:
        """The weight vectors of the sets the plan uses (in aggregation order of first use).

        Raises
        ------
        InputError
            A weight set that does not exist.
        """
        vectors: dict[str, np.ndarray] = {}
        nodes = list(plan.node_index)
        for it in plan.items:
            if it.set_name not in vectors:
                ws = get_weight_set(ctx.framework, ctx.weights, it.set_name)
                vectors[it.set_name] = np.array([ws.weights.get(c, np.nan) for c in nodes],
                                                dtype=float)
        return AggregateFit(vectors)

    # ------------------------------------------------------------------ transform
    def transform(self, plan: AggregatePlan, fit: AggregateFit, x: np.ndarray) -> np.ndarray:
        """Aggregate level by level; raises the first error in aggregation order."""
        y, _ = self.transform_batch(plan, fit, x)
        return y

    def transform_batch(self, plan: AggregatePlan, fit: AggregateFit, x: np.ndarray
                        ) -> tuple[np.ndarray, dict[int, str]]:
        """Aggregate ``x`` of shape (..., P, U, K) with the fit's weights.

        With a batch of weight vectors (``fit.batch = R``) the output has shape
        (R, ..., P, U, n_codes), and a run whose weights are unusable for some aggregate is
        reported in ``failed`` (run -> message, its rows NaN) instead of raised.

        Returns
        -------
        y : ndarray
        failed : dict of int to str

        Raises
        ------
        MethodError
            Unusable weights (one run), or a value outside a method's domain (naming
            aggregate, child, unit and period; the first in aggregation order).
        """
        x = np.asarray(x, dtype=float)
        n_runs = fit.batch
        wl = () if n_runs is None else (n_runs,)
        lead = x.shape[:-3]
        n_in = len(plan.present)
        out = np.empty(wl + x.shape[:-1] + (len(plan.codes),))
        out[..., :n_in] = x[..., plan.present]
        out[..., n_in:] = np.nan
        # unusable weights, checked for every aggregate at once: (R or 1, n_items)
        invalid = np.zeros(((n_runs or 1), len(plan.items)), dtype=bool)
        for set_name, (pos, nodes, pad) in plan.member.items():
            w = np.asarray(fit.vectors[set_name])[..., nodes]  # (R?, n, k)
            ok = np.isfinite(w) & (w >= 0) | pad
            invalid[:, pos] = (~ok.all(axis=-1) | ~((w > 0) & ~pad).any(axis=-1)).reshape(
                -1, len(pos))
        failed: dict[int, str] = {}
        if invalid.any():
            rows = np.flatnonzero(invalid.any(axis=1))
            for r, i in zip(rows, invalid[rows].argmax(axis=1), strict=True):
                it = plan.items[i]
                vec = np.asarray(fit.vectors[it.set_name])
                vec = vec if n_runs is None else vec[r]
                failed[int(r)] = _weight_failure(it.set_name, it.code, it.kids,
                                                 vec[[plan.node_index[k] for k in it.kids]])
            if n_runs is None:
                raise MethodError(f"step {plan.step!r}: {failed[0]}")
        bad = invalid.any(axis=1)
        vectors = {k: (np.where(bad[:, None], 1.0, v) if n_runs is not None and bad.any() else v)
                   for k, v in fit.vectors.items()}
        share = self.min_availability
        lw = (1,) * (len(lead) + 2)  # weights broadcast over x's leading axes, periods, units
        try:
            for kind, i in plan.order:
                if kind == "one":
                    self._cross(plan, plan.items[i], vectors, out, wl, check=False)
                    continue
                g = plan.groups[i]
                w = np.asarray(vectors[g.set_name])[..., g.nodes]  # (R?, n, k)
                w = w.reshape(wl + lw + w.shape[-2:])
                out[..., g.out_cols] = _agg.level_mean(out, g.children, w, min_share=share,
                                                       check=False, **g.params)
        except MethodError:  # again one aggregate at a time: the first error in that order
            out[..., n_in:] = np.nan
            for it in plan.items:
                self._one(plan, it, vectors, out, wl, lw)
        if failed:
            out[np.array(sorted(failed))] = np.nan
        return out, failed

    def _one(self, plan: AggregatePlan, it: AggregateItem, vectors: Mapping[str, np.ndarray],
             out: np.ndarray, wl: tuple[int, ...], lw: tuple[int, ...]) -> None:
        """One aggregate (its children already in ``out``), with its domain checked first."""
        m = it.method
        if m.method not in _agg.UNIT_WISE:
            self._cross(plan, it, vectors, out, wl, check=True)
            return
        w = np.asarray(vectors[it.set_name])[..., [plan.node_index[k] for k in it.kids]]
        w = w.reshape(wl + lw + w.shape[-1:])
        x = out[..., list(it.kid_cols)]
        self._check_domain(plan, it, x, w)
        try:
            out[..., it.col] = self._unit_wise(m, x, w, list(it.kids))
        except MethodError as exc:
            raise MethodError(f"step {plan.step!r}, aggregate {it.code} ({m.method}): "
                              f"{exc.message}", exc.details) from None

    def _unit_wise(self, m: AggMethod, x: np.ndarray, w: np.ndarray, kids: list[str]
                   ) -> np.ndarray:
        share = self.min_availability
        name = m.method
        if name == "arithmetic":
            return _agg.arithmetic_mean(x, w, min_share=share)
        if name == "geometric":
            return _agg.geometric_mean(x, w, min_share=share, shift=m.shift, names=kids)
        if name == "harmonic":
            return _agg.harmonic_mean(x, w, min_share=share, shift=m.shift, names=kids)
        if name == "generalised":
            return _agg.generalised_mean(x, w, p=float(m.p), min_share=share, shift=m.shift,
                                         names=kids)
        if name == "mean_min":
            return _agg.mean_min(x, w, alpha=m.alpha, beta=m.beta, min_share=share)
        return _agg.mazziotta_pareto(x, w, penalty=-1 if m.penalty == "negative" else 1,
                                     ddof=m.ddof, min_share=share, names=kids)

    def _cross(self, plan: AggregatePlan, it: AggregateItem, vectors: Mapping[str, np.ndarray],
               out: np.ndarray, wl: tuple[int, ...], check: bool) -> None:
        """A cross-unit aggregate (Copeland, TOPSIS, Benefit-of-the-Doubt): pooled over all
        unit-periods or within each period; one run at a time for a batch of weights."""
        runs = [()] if not wl else [(r,) for r in range(wl[0])]
        for r in runs:
            w = np.asarray(vectors[it.set_name])[r][[plan.node_index[k] for k in it.kids]]
            x = out[r][..., list(it.kid_cols)]
            if check:
                self._check_domain(plan, it, x, w)
            try:
                y, _ = self.cross_unit(it.method, x, w, list(it.kids))
            except MethodError as exc:
                raise MethodError(f"step {plan.step!r}, aggregate {it.code} "
                                  f"({it.method.method}): {exc.message}", exc.details) from None
            out[r][..., it.col] = y

    def cross_unit(self, m: AggMethod, x: np.ndarray, w: np.ndarray, kids: list[str]
                   ) -> tuple[np.ndarray, dict[str, Any]]:
        """Score of a cross-unit method for ``x`` of shape (..., P, U, k): pooled over all
        unit-periods (``bounds: pooled``) or within each period; with the method's extras
        (Copeland: share of dominance pairs; Benefit-of-the-Doubt: each unit's weights)."""
        share = self.min_availability
        p, u, c = x.shape[-3:]
        lead = x.shape[:-3]
        xx = x.reshape(*lead, 1, p * u, c) if m.bounds == "pooled" else x
        extra: dict[str, Any] = {}
        if m.method == "copeland":
            y = _agg.copeland(xx, w, min_share=share)
            _, extra["dominance"] = _agg.outranking(xx, w, min_share=share)
        elif m.method == "topsis":
            y = _agg.topsis(xx, w, normalise=m.topsis_normalise, min_share=share)
        else:
            y, bw = benefit_of_the_doubt(xx, min_share=share, names=kids)
            extra["bod_weights"] = bw.reshape(*lead, p, u, c)
        return y.reshape(*lead, p, u), extra

    def _check_domain(self, plan: AggregatePlan, it: AggregateItem, x: np.ndarray,
                      w: np.ndarray) -> None:
        """Name aggregate, child, unit and period of a value outside the method's domain."""
        m = it.method
        name, agg, kids = plan.step, it.code, it.kids
        if m.method == "mpi":
            mean = _agg.arithmetic_mean(x, w, min_share=self.min_availability)
            bad = ~np.isnan(mean) & ~(mean > 0)
            if bad.any():
                pi, ui = np.argwhere(bad)[0][-2:]
                raise MethodError(
                    f"step {name!r}: Mazziotta-Pareto index of {agg} needs a positive mean of "
                    f"the children; unit {plan.units[ui]} in {plan.periods[pi]} has mean "
                    f"{fmt(mean[(*np.argwhere(bad)[0],)])} ({int(bad.sum())} such unit-periods)",
                    ["standardise first: normalise with method zscore and mean_sd [100, 10] "
                     "(MPI), or with method ampi (AMPI)"],
                )
            return
        xs = x + (m.shift if m.method in ("geometric", "harmonic", "generalised") else 0.0)
        counted = ~np.isnan(x) & (w > 0)
        if m.method in ("geometric", "harmonic") or (m.method == "generalised"
                                                      and m.p is not None and m.p <= 0):
            bad, need = counted & ~(xs > 0), "strictly positive"
        elif m.method == "bod" or (m.method == "generalised" and m.p not in (None, 1.0)):
            bad, need = counted & (xs < 0), "non-negative"
        else:
            return
        if bad.any():
            idx = tuple(np.argwhere(bad)[0])
            pi, ui, ki = idx[-3:]
            shifted = f" after shift {m.shift:g}" if m.shift else ""
            raise MethodError(
                f"step {name!r}: {_DESCRIBE[m.method]} of {agg} needs {need} scores{shifted}; "
                f"{kids[ki]} is {fmt(x[idx])} for unit {plan.units[ui]} in "
                f"{plan.periods[pi]} ({int(bad.sum())} such values)",
                ["after min-max onto [0, 100] the worst unit of every indicator is exactly 0: "
                 "normalise onto a strictly positive range, e.g. range: [1, 100], set an "
                 "explicit shift, or use method: arithmetic"],
            )

    # ------------------------------------------------------------------ record
    @staticmethod
    def weights_used(plan: AggregatePlan, fit: AggregateFit) -> dict[str, dict[str, float]]:
        """The weights each aggregate used: aggregate -> {child: weight} (as the weight set
        gives them, before renormalisation over the available children)."""
        return {it.code: dict(zip(it.kids, fit.vectors[it.set_name][
                    [plan.node_index[k] for k in it.kids]].tolist(), strict=True))
                for it in plan.items}

    def row_wise(self, plan: AggregatePlan, fit: AggregateFit) -> bool:
        return all(it.method.method in _agg.UNIT_WISE for it in plan.items)

    def chunked_refusal(self) -> str | None:
        """Cross-unit methods (Copeland, TOPSIS, Benefit-of-the-Doubt) compare every unit
        with the others: they cannot aggregate a block of units on its own."""
        cross = sorted({m.method for m in (self, *self.by_level.values(),
                                           *self.by_code.values())}
                       & set(_agg.CROSS_UNIT))
        if cross:
            return (f"{', '.join(cross)} compare{'s' if len(cross) == 1 else ''} every unit "
                    "with the others (a unit's score depends on every other unit's values)")
        return None

    def labels(self, plan: AggregatePlan, fit: AggregateFit, ds: DataSet
               ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ds.units, plan.codes

    def products(self, ctx: StepContext, name: str, ds: DataSet, plan: AggregatePlan,
                 fit: AggregateFit, out: DataSet | None
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Benefit-of-the-Doubt weights (one set per unit) as the weight set
        ``<step>.bod``."""
        bod = [it for it in plan.items if it.method.method == "bod"]
        if not bod or out is None:
            return {}, []
        rows = []
        for it in bod:
            w = fit.vectors[it.set_name][[plan.node_index[k] for k in it.kids]]
            _, extra = self.cross_unit(it.method, out.values[..., list(it.kid_cols)], w,
                                       list(it.kids))
            bw = extra["bod_weights"]
            p_i, u_i, k_i = np.nonzero(~np.isnan(bw))
            rows.append(pd.DataFrame({
                "unit": np.array(ds.units, dtype=object)[u_i],
                "period": np.array(ds.periods)[p_i], "parent": it.code,
                "code": np.array(it.kids, dtype=object)[k_i], "weight": bw[p_i, u_i, k_i]}))
        set_name = f"{name}.bod"
        return {set_name: WeightSet(set_name, {}, "bod", name,
                                    by_unit=pd.concat(rows, ignore_index=True))}, []

    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: AggregatePlan,
                fit: AggregateFit, out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        assert out is not None
        fw = ctx.framework
        notes = [f"{self.label()} level by level; weights from set {self.weights!r}, "
                 "renormalised over the available children; an aggregate needs at least "
                 f"{self.min_availability:.0%} of its children (else missing)"]
        if plan.dropped:
            notes.append("indicators dropped by an earlier step left out (their siblings' "
                         f"weights renormalised): {', '.join(plan.dropped)}")
        fitted: dict[str, Any] = {"methods": {}, "weights": self.weights_used(plan, fit)}
        obs = ~np.isnan(out.values)
        for it in plan.items:
            m = it.method
            label = m.label()
            w = fit.vectors[it.set_name][[plan.node_index[k] for k in it.kids]]
            fitted["methods"][it.code] = label
            if m is not self:
                notes.append(f"{it.code}: {label}" + (
                    f", weights {it.set_name!r}" if it.set_name != self.weights else ""))
            seen = obs[..., list(it.kid_cols)]
            scored = obs[..., it.col]
            if m.method == "copeland":
                _, extra = self.cross_unit(m, out.values[..., list(it.kid_cols)], w,
                                           list(it.kids))
                dom = np.atleast_1d(extra["dominance"])
                notes.append(f"{it.code}: outranking matrix, share of dominance pairs "
                             + ", ".join(fmt(d) for d in dom))
                fitted.setdefault("dominance", {})[it.code] = dom
            partial = int((~seen.all(axis=-1) & scored).sum())
            lost = int((seen.any(axis=-1) & ~scored).sum())
            notes.extend(_coverage_notes(it.code, partial, lost))
        note = partial_note(fw, out, fitted["weights"])
        if note:
            notes.append(note)
        if any(it.method.method == "bod" for it in plan.items):
            notes.append(f"Benefit-of-the-Doubt weights (one set per unit) stored as weight set "
                         f"{name + '.bod'!r}")
        return notes, fitted
