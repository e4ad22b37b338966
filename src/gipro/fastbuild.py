"""A compiled array pipeline of a build, for analyses that rebuild an index many times.

A :class:`~gipro.build.Build` keeps everything a person needs to read a build: every data set,
the log, the tables each step records (imputed values, treated points). An uncertainty or
sensitivity analysis rebuilds the index hundreds of thousands of times and needs none of that;
:class:`Pipeline` runs the same recipe as whole-array numpy operations:

* each step of a known kind runs through a lean path that calls the same kernels
  (:mod:`gipro.methods`) with the same parameters as the step itself, but records no tables
  and no notes (``denominate``, ``impute``, ``treat``, ``normalise``; ``aggregate`` with the
  unit-wise means). Any other step, or a case the lean path does not cover (a constant
  indicator under a ``drop``/``midpoint`` policy, per-indicator treatment overrides, table
  imputers, cross-unit aggregation), runs through the step's own ``apply`` on a scratch copy
  of the build -- slower, never different;
* the aggregate step runs on a *batch* of weight vectors at once, along a leading
  replication axis (:meth:`Pipeline.aggregate_batch`): the kernels of
  :mod:`gipro.methods.aggregate` broadcast weights of shape ``(n_runs, 1, 1, n_children)``;
* states after a step (:class:`State`) are plain values, so an analysis can keep the state
  after the last step a setting does not affect and re-run only from there.

The lean paths are checked against :meth:`Build.run` in ``tests/test_fastbuild.py`` (the ASEM
build, the built-in China build and variants of every supported step): the numbers are the
same to the last bit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .dataset import DataSet
from .errors import InputError, MethodError
from .methods import aggregate as _agg
from .methods import denominate as _den
from .methods import impute as _imp
from .methods import normalise as _norm
from .methods import treat as _tr
from .steps import AggregateStep, DenominateStep, ImputeStep, NormaliseStep, TreatStep
from .steps.aggregate import AggMethod
from .steps.aggregate import _params as _agg_params
from .steps.base import check_codes
from .steps.denominate import lookup
from .steps.weight import get_weight_set

if TYPE_CHECKING:  # pragma: no cover
    from .build import Build

__all__ = ["AggregatePlan", "Pipeline", "State"]

#: Aggregation methods the batched path runs (unit-wise means); others use the step's apply.
BATCH_METHODS = frozenset({"arithmetic", "geometric", "harmonic", "generalised", "mean_min",
                           "mpi"})


@dataclass
class State:
    """What a build holds after some steps: data sets, fitted values, weight sets, exclusions.

    ``previous`` is the data set the next step reads by default; ``lineage`` the kinds of the
    enabled steps behind each data set (to refuse aggregating data that were never
    normalised, as :meth:`Build.run` does). States are never modified in place: a step makes
    a new one (sharing the unchanged arrays).
    """

    datasets: dict[str, DataSet]
    fitted: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    previous: str = "raw"
    lineage: dict[str, list[str]] = field(default_factory=lambda: {"raw": []})

    @property
    def final(self) -> DataSet:
        """The data set the last data-writing step produced (``raw`` before any)."""
        return self.datasets[self.previous]


@dataclass(frozen=True)
class AggregateGroup:
    """Aggregates of one level computed in one kernel call
    (:func:`gipro.methods.aggregate.level_mean`): the same method spec and weight set, and
    the same number of children // 8 (:func:`gipro.methods.aggregate.group_parents`).

    Attributes
    ----------
    items : list of int
        Positions of the aggregates in :attr:`AggregatePlan.items`.
    out_cols : ndarray of int, shape (n,)
        Output columns of the aggregates.
    children : ndarray of int, shape (n, k_max)
        Columns of their children, -1 for padding.
    nodes : ndarray of int, shape (n, k_max)
        Positions of the children in :attr:`Pipeline.node_codes` (0 for padding).
    pad : ndarray of bool, shape (n, k_max)
    params : dict
        Keyword arguments of :func:`~gipro.methods.aggregate.level_mean` (method and its
        parameters).
    set_name : str
        Weight set.
    """

    items: list[int]
    out_cols: np.ndarray
    children: np.ndarray
    nodes: np.ndarray
    pad: np.ndarray
    params: dict[str, Any]
    set_name: str


@dataclass(frozen=True)
class AggregatePlan:
    """An aggregate step compiled for one set of input codes.

    Attributes
    ----------
    codes : tuple of str
        Output codes: the indicators present, then every aggregate (aggregation order).
    present : list of int
        Columns of the input data set that are carried into the output.
    items : list of tuple
        Per aggregate: (output column, children columns, children codes, method spec, weight
        set name).
    batchable : bool
        Every aggregate uses a unit-wise mean (:data:`BATCH_METHODS`).
    groups : list of AggregateGroup
        The aggregates of each level in groups computed in one call each, level by level
        (empty unless ``batchable``).
    member : dict of str to tuple of ndarray
        Per weight set: the aggregates that use it (positions in :attr:`items`), their
        children's positions in :attr:`Pipeline.node_codes` (padded, shape (n, k_max)) and the
        padding mask, to check every run's weights for all of them at once.
    """

    codes: tuple[str, ...]
    present: list[int]
    items: list[tuple[int, list[int], list[str], AggMethod, str]]
    batchable: bool
    groups: list[AggregateGroup] = field(default_factory=list)
    member: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


class Pipeline:
    """The recipe of a run build as a fast array pipeline (see the module docstring).

    Parameters
    ----------
    build : Build
        A build that has been run (its nominal data sets are reused by analyses).

    Raises
    ------
    InputError
        If the build has not been run.

    Examples
    --------
    >>> import gipro
    >>> b = gipro.run()
    >>> p = Pipeline(b)
    >>> out = p.run(p.steps).final
    >>> bool(np.array_equal(out.values, b.final.values, equal_nan=True))
    True
    """

    def __init__(self, build: Build) -> None:
        build._require_run()
        self.build = build
        self.framework = build.framework
        self.steps = list(build.recipe.steps)
        self.names = build.recipe.step_names()
        self.node_codes = list(build.framework.codes)
        self.node_index = {c: i for i, c in enumerate(self.node_codes)}
        self._indicators = frozenset(build.framework.indicator_codes)
        self._compiled: dict[Any, Any] = {}

    def _cached(self, kind: str, spec: Any, extra: Any) -> Any:
        """What :meth:`_cache` stored for this step spec and ``extra``, or None. A spec is
        mutable: the cache holds a deep copy and answers only while the spec still equals it
        (cheaper than serialising the spec for a key)."""
        entry = self._compiled.get((kind, id(spec)))
        if entry is not None and entry[0] is spec and entry[2] == extra and entry[1] == spec:
            return entry[3]
        return None

    def _cache(self, kind: str, spec: Any, extra: Any, value: Any) -> Any:
        self._compiled[(kind, id(spec))] = (spec, spec.model_copy(deep=True), extra, value)
        return value

    def _indicator_columns(self, ds: DataSet) -> tuple[list[str], list[int]]:
        """The framework's indicators among the codes of ``ds`` and their columns (cached)."""
        key = ("indicator columns", ds.codes)
        if key not in self._compiled:
            codes = [c for c in ds.codes if c in self._indicators]
            pos = {c: i for i, c in enumerate(ds.codes)}
            self._compiled[key] = (codes, [pos[c] for c in codes])
        return self._compiled[key]

    # ------------------------------------------------------------------ states
    def initial_state(self) -> State:
        """The state before the first step: the raw data set only."""
        return State({"raw": self.build.datasets["raw"]})

    def nominal_state(self, n_steps: int) -> State:
        """The nominal build's state after its first ``n_steps`` steps (the same arrays)."""
        b = self.build
        names = set(self.names[:n_steps])
        datasets = {"raw": b.datasets["raw"]}
        lineage: dict[str, list[str]] = {"raw": []}
        previous = "raw"
        for spec in self.steps[:n_steps]:
            source = spec.input or previous
            if spec.writes_data_set:
                datasets[spec.output] = b.datasets[spec.output]
                lineage[spec.output] = [*lineage.get(source, []),
                                        *([] if spec.disable else [spec.step])]
                previous = spec.output
        outputs = {s.output for s in self.steps[:n_steps]}
        weights = {k: w for k, w in b.weights.items()
                   if k in outputs or k.split(".")[0] in names}
        return State(datasets, {n: v for n, v in b.fitted.items() if n in names}, weights,
                     [dict(r) for r in b.excluded if r["step"] in names], previous, lineage)

    def scratch(self, state: State) -> Build:
        """A shallow copy of the build holding ``state`` (for a step's own ``apply``)."""
        s = copy.copy(self.build)
        s.datasets = dict(state.datasets)
        s.fitted = dict(state.fitted)
        s.weights = dict(state.weights)
        s.excluded = list(state.excluded)
        s.log = []
        s._ran = False
        return s

    # ------------------------------------------------------------------ running
    def run(self, specs: Sequence[Any], state: State | None = None, start: int = 0,
            weights: Mapping[str, Any] | None = None) -> State:
        """Run steps ``start..`` of ``specs`` (one spec per recipe step) from ``state``.

        Parameters
        ----------
        specs : sequence of step specs
            The recipe's steps, possibly with changed parameters (same kinds, same order).
        state : State, optional
            The state after step ``start - 1`` (default: the raw data, ``start`` must be 0).
        start : int
            First step to run.
        weights : mapping of str to WeightSet, optional
            Weight sets that replace the build's sets of the same name (perturbed weights).

        Returns
        -------
        State

        Raises
        ------
        GiproError
            Whatever the steps raise (the same errors as :meth:`Build.run`).
        """
        if state is None:
            if start:
                raise InputError("run from a later step needs the state after the step before")
            state = self.initial_state()
        for pos in range(start, len(specs)):
            state = self.step(state, pos, specs[pos], weights)
        return state

    def step(self, state: State, pos: int, spec: Any,
             weights: Mapping[str, Any] | None = None) -> State:
        """Run one step on a state and return the new state (the input is not modified)."""
        name = self.names[pos]
        source = spec.input or state.previous
        if source not in state.datasets:
            raise InputError(f"step {name!r} reads data set {source!r}, which does not exist "
                             "yet", [f"data sets so far: {', '.join(state.datasets)}"])
        # a class attribute: looked up on the class (a missing attribute of a pydantic model
        # goes through its __getattr__ and an exception)
        if getattr(type(spec), "needs_normalised", False) \
                and "normalise" not in state.lineage[source]:
            raise MethodError(f"step {name!r} reads data set {source!r}, which has not been "
                              "normalised", ["add a normalise step before it"])
        lineage = state.lineage
        if spec.writes_data_set:
            lineage = {**lineage, spec.output: [*lineage[source],
                                                *([] if spec.disable else [spec.step])]}
        if spec.disable:
            out = state.datasets[source] if spec.writes_data_set else None
            new = State(state.datasets, state.fitted, state.weights, state.excluded,
                        state.previous, lineage)
        else:
            ds = state.datasets[source]
            sets = {**state.weights, **weights} if weights else state.weights
            lean = _LEAN.get(type(spec))
            result = lean(self, spec, name, ds, sets) if lean is not None else None
            if result is not None:
                out, fitted = result
                new = State(state.datasets, {**state.fitted, name: fitted}, state.weights,
                            state.excluded, state.previous, lineage)
            else:
                ctx = self.scratch(State(state.datasets, state.fitted, dict(sets),
                                         state.excluded))
                out, _ = spec.apply(ctx, name, ds)
                kept = {k: v for k, v in ctx.weights.items()
                        if not (weights and k in weights and v is weights[k])}
                new = State(state.datasets, ctx.fitted, kept, ctx.excluded, state.previous,
                            lineage)
        if out is not None:
            if out.name != spec.output:
                out = out.renamed(spec.output)
            new.datasets = {**state.datasets, spec.output: out}
            new.previous = spec.output
        return new

    # ------------------------------------------------------------------ aggregation
    def aggregate_plan(self, spec: AggregateStep, ds: DataSet, fitted: Mapping[str, Any]
                       ) -> AggregatePlan:
        """Compile an aggregate step for the codes of ``ds`` (cached).

        Raises
        ------
        InputError, MethodError
            As the aggregate step: unknown ``by_code``/``by_level`` entries, missing
            indicators, aggregates without children.
        """
        dropped = tuple(sorted({c for f in fitted.values() if isinstance(f, dict)
                                for c in f.get("dropped_codes", [])}))
        plan = self._cached("aggregate", spec, (ds.codes, dropped))
        if plan is None:
            plan = self._cache("aggregate", spec, (ds.codes, dropped),
                               self._aggregate_plan(spec, ds, dropped))
        return plan

    def _aggregate_plan(self, spec: AggregateStep, ds: DataSet, dropped: tuple[str, ...]
                        ) -> AggregatePlan:
        fw = self.framework
        unknown = [c for c in spec.by_code if c not in fw.aggregate_codes]
        if unknown:
            raise InputError(f"aggregate: by_code names codes that are not aggregates: "
                             f"{unknown}")
        present = [c for c in fw.indicator_codes if c in ds.codes]
        missing = [c for c in fw.indicator_codes if c not in ds.codes and c not in dropped]
        if missing:
            raise InputError(f"aggregate: data set {ds.name!r} lacks indicators {missing}")
        codes = present + fw.aggregate_codes
        col = {c: i for i, c in enumerate(codes)}
        items = []
        by_level: dict[int, dict[tuple, list[int]]] = {}
        for agg in fw.aggregate_codes:
            level = fw.level(agg)
            m = spec.spec_for(agg, level)
            kids = [k for k in fw.children(agg) if k in col]
            if not kids:
                raise MethodError(f"aggregate {agg} has no children left")
            set_name = m.weights or spec.weights
            by_level.setdefault(level, {}).setdefault(
                (id(m), set_name, len(kids) // 8), []).append(len(items))
            items.append((col[agg], [col[k] for k in kids], kids, m, set_name))
        batchable = all(it[3].method in BATCH_METHODS for it in items)
        groups = []
        if batchable:
            for level in sorted(by_level):
                for (_, set_name, _), pos in by_level[level].items():
                    children = _agg.pad_children([items[i][1] for i in pos])
                    pad = children < 0
                    nodes = _agg.pad_children([[self.node_index[k] for k in items[i][2]]
                                               for i in pos])
                    groups.append(AggregateGroup(
                        pos, np.array([items[i][0] for i in pos]), children,
                        np.where(pad, 0, nodes), pad, _params(items[pos[0]][3]), set_name))
        member = {}
        for name in sorted({it[4] for it in items}):
            pos = [i for i, it in enumerate(items) if it[4] == name]
            nodes = _agg.pad_children([[self.node_index[k] for k in items[i][2]] for i in pos])
            member[name] = (np.array(pos), np.where(nodes < 0, 0, nodes), nodes < 0)
        return AggregatePlan(tuple(codes), [ds.codes.index(c) for c in present], items,
                             batchable, groups, member)

    def weight_vector(self, state: State, set_name: str) -> np.ndarray:
        """A weight set of ``state`` as a vector over :attr:`node_codes` (NaN = no weight)."""
        ctx = _WeightLookup(self.framework, state.weights)
        ws = get_weight_set(ctx, set_name)
        return np.array([ws.weights.get(c, np.nan) for c in self.node_codes], dtype=float)

    def _set_vector(self, sets: Mapping[str, Any], set_name: str) -> np.ndarray | None:
        """:meth:`weight_vector` of a set in ``sets`` (or the framework's), cached while the
        set's weights are unchanged; None for unit-specific weights (Benefit-of-the-Doubt)."""
        ws = sets.get(set_name)
        key = ("weight vector", set_name)
        entry = self._compiled.get(key)
        if entry is not None and entry[0] is ws and (ws is None or entry[1] == ws.weights):
            return entry[2]
        if ws is None:
            ws = get_weight_set(_WeightLookup(self.framework, sets), set_name)
        if ws.by_unit is not None:
            return None
        v = np.array([ws.weights.get(c, np.nan) for c in self.node_codes], dtype=float)
        self._compiled[key] = (sets.get(set_name), dict(ws.weights), v)
        return v

    def aggregate_batch(self, plan: AggregatePlan, ds: DataSet, weights: Mapping[str, np.ndarray],
                        min_share: float) -> tuple[np.ndarray, dict[int, str]]:
        """Aggregate one data set with a batch of weight vectors.

        Parameters
        ----------
        plan : AggregatePlan
            From :meth:`aggregate_plan` (must be ``batchable``).
        ds : DataSet
            The normalised data set, values of shape (P, U, K).
        weights : mapping of weight set name to ndarray of shape (R, n_nodes)
            One weight vector per run, over :attr:`node_codes`.
        min_share : float
            The step's ``min_availability``.

        Returns
        -------
        out : ndarray of shape (R, P, U, n_codes)
            Scores of every code for every run (NaN rows for failed runs).
        failed : dict of int to str
            Runs (rows of the batch) whose weights are invalid for some aggregate (missing,
            negative or all zero), with the reason; their rows of ``out`` are NaN.

        Raises
        ------
        MethodError
            A kernel refuses the data for the whole batch (e.g. zeros before a geometric
            mean); the caller then runs the batch run by run to attribute the failure.
        """
        n_runs = next(iter(weights.values())).shape[0]
        p, u, _ = ds.values.shape
        out = np.empty((n_runs, p, u, len(plan.codes)))
        n_in = len(plan.present)
        out[..., :n_in] = ds.values[None][..., plan.present]
        out[..., n_in:] = np.nan
        invalid = _invalid_weights(plan, weights, n_runs)
        any_invalid = bool(invalid.any())
        try:
            for g in plan.groups:
                w = weights[g.set_name][:, g.nodes]  # (R, n, k)
                if any_invalid:  # such runs fail (reported below): weights 1 meanwhile
                    w = np.where(invalid[:, g.items, None] & ~g.pad, 1.0, w)
                out[..., g.out_cols] = _agg.level_mean(out, g.children, w[:, None, None],
                                                       min_share=min_share, check=False,
                                                       **g.params)
        except MethodError:  # redone one aggregate at a time: the first error in that order
            out[..., n_in:] = np.nan
            return self._aggregate_each(plan, out, weights, min_share)
        failed: dict[int, str] = {}
        if any_invalid:  # each such run fails at its first invalid aggregate
            rows = np.flatnonzero(invalid.any(axis=1))
            for r, i in zip(rows, invalid[rows].argmax(axis=1), strict=True):
                _, _, kid_codes, _, set_name = plan.items[i]
                failed[int(r)] = _weight_failure(self, weights[set_name][r], kid_codes,
                                                 set_name)
            out[rows] = np.nan
        return out, failed

    def _aggregate_each(self, plan: AggregatePlan, out: np.ndarray,
                        weights: Mapping[str, np.ndarray], min_share: float
                        ) -> tuple[np.ndarray, dict[int, str]]:
        """:meth:`aggregate_batch` one aggregate at a time, in the aggregation order: the
        runs with invalid weights are attributed to the first aggregate they fail, and a
        kernel's error is the first in that order (the path taken when the grouped one
        meets an invalid weight or an error)."""
        n_runs = out.shape[0]
        failed: dict[int, str] = {}
        bad_rows = np.zeros(n_runs, dtype=bool)
        for c_out, kids, kid_codes, m, set_name in plan.items:
            w = weights[set_name][:, [self.node_index[k] for k in kid_codes]]  # (R, k)
            invalid = ~(np.isfinite(w) & (w >= 0)).all(axis=1) | ~(w.sum(axis=1) > 0)
            for r in np.flatnonzero(invalid & ~bad_rows):
                failed[int(r)] = _weight_failure(self, weights[set_name][r], kid_codes,
                                                 set_name)
            bad_rows |= invalid
            w = np.where(bad_rows[:, None], 1.0, w)
            x = out[..., kids]
            out[..., c_out] = _unit_mean(m, x, w[:, None, None, :], min_share, kid_codes)
        out[bad_rows] = np.nan
        return out, failed


class _WeightLookup:
    """The two attributes :func:`get_weight_set` reads."""

    def __init__(self, framework: Any, weights: Mapping[str, Any]) -> None:
        self.framework = framework
        self.weights = weights


def _invalid_weights(plan: AggregatePlan, weights: Mapping[str, np.ndarray], n_runs: int
                     ) -> np.ndarray:
    """(n_runs, n_aggregates): the runs whose weights are invalid for an aggregate -- a child's
    weight missing, infinite or negative, or no child's weight positive -- checked for all
    aggregates at once (not in every kernel call)."""
    invalid = np.zeros((n_runs, len(plan.items)), dtype=bool)
    for name, (pos, nodes, pad) in plan.member.items():
        w = weights[name][:, nodes]  # (R, n, k)
        ok = np.isfinite(w) & (w >= 0) | pad
        invalid[:, pos] = ~ok.all(axis=-1) | ~((w > 0) & ~pad).any(axis=-1)
    return invalid


def _weight_failure(p: Pipeline, vector: np.ndarray, kid_codes: list[str], set_name: str
                    ) -> str:
    """Why a run's weight vector is invalid for the aggregate of ``kid_codes``."""
    w = vector[[p.node_index[k] for k in kid_codes]]
    parent = p.framework.node(kid_codes[0]).parent
    if np.isfinite(w).all() and (w >= 0).all():
        return f"weight set {set_name!r} gives every child of {parent} weight 0"
    return f"weight set {set_name!r} gives children of {parent} missing or negative weights"


def _params(m: AggMethod) -> dict[str, Any]:
    """Keyword arguments of :func:`~gipro.methods.aggregate.level_mean` for a method spec
    (as :meth:`AggregateStep._run` calls the kernels)."""
    return _agg_params(m)


def _unit_mean(m: AggMethod, x: np.ndarray, w: np.ndarray, share: float,
               kids: list[str]) -> np.ndarray:
    """The aggregate step's unit-wise kernels (:meth:`AggregateStep._run`), batched."""
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
    if name == "mpi":
        mean = _agg.arithmetic_mean(x, w, min_share=share)
        if (~np.isnan(mean) & ~(mean > 0)).any():
            raise MethodError("Mazziotta-Pareto index needs a positive mean of the children "
                              f"({', '.join(kids)})")
        return _agg.mazziotta_pareto(x, w, penalty=-1 if m.penalty == "negative" else 1,
                                     ddof=m.ddof, min_share=share, names=kids)
    raise MethodError(f"aggregation method {name!r} is not batched")  # pragma: no cover


# ---------------------------------------------------------------------- lean step paths
# Each returns (DataSet, fitted) or None to let the step's own apply run. They call the same
# kernels with the same parameters as the step's apply (checked in tests/test_fastbuild.py).

Lean = Callable[[Pipeline, Any, str, DataSet, dict[str, Any]], "tuple[DataSet, Any] | None"]


def _lean_denominate(p: Pipeline, spec: DenominateStep, name: str, ds: DataSet,
                     sets: dict[str, Any]) -> tuple[DataSet, Any] | None:
    labels = (ds.codes, ds.units, ds.periods)
    plan = p._cached("denominate", spec, labels)
    if plan is None:
        b = p.build
        codes = list(ds.codes)
        pairs = spec.pairs(b, codes)
        tkey = (None if spec.table is None else
                ("denominate.table", spec.table.model_dump_json(), str(b.recipe.base_dir)))
        if not pairs or (tkey is not None and tkey not in b.cache):
            return None  # the step's apply reads the table (once) or notes "unchanged"
        table = b.cache[tkey] if tkey is not None else None
        cols = [c for c in codes if c in pairs]
        dmat = np.full((len(ds.periods), len(ds.units), len(cols)), np.nan)
        for k, c in enumerate(cols):
            d = pairs[c]
            src = (table if table is not None and d in table.values.columns else
                   b.source_panel if d in b.source_panel.values.columns else None)
            if src is None:
                return None  # the step's apply names the missing denominator
            dmat[:, :, k] = lookup(src, [d], ds.units, ds.periods)[:, :, 0]
        scale = np.array([spec.scale.get(c, 1.0) if isinstance(spec.scale, dict) else spec.scale
                          for c in cols])
        plan = p._cache("denominate", spec, labels,
                        ([codes.index(c) for c in cols], dmat, scale, cols))
    idx, dmat, scale, cols = plan
    num = ds.values[:, :, idx]
    if spec.zero == "error" and ((dmat == 0) & ~np.isnan(num)).any():
        return None
    out = ds.values.copy()
    out[:, :, idx] = _den.denominate(num, dmat, scale, zero=spec.zero, names=cols)
    return DataSet(spec.output, out, ds.units, ds.periods, ds.codes), {}


def _lean_impute(p: Pipeline, spec: ImputeStep, name: str, ds: DataSet,
                 sets: dict[str, Any]) -> tuple[DataSet, Any] | None:
    if spec.method not in ("mean", "median", "group_mean", "group_median", *_imp.PANEL_METHODS):
        return None
    if spec.indicators is None:  # every column (gathered as the step does: same layout)
        idx = list(range(len(ds.codes)))
    else:
        codes = list(spec.indicators)
        check_codes(name, "indicators", codes, list(ds.codes))
        idx = [ds.codes.index(c) for c in codes]
    x = ds.values[:, :, idx]
    axis = -2 if spec.scope == "per_period" else (-3, -2)
    if spec.method in ("mean", "median"):
        y = (_imp.mean if spec.method == "mean" else _imp.median)(x, axis=axis)
    elif spec.method in ("group_mean", "group_median"):
        key = ("groups", spec.group, ds.units)
        if key not in p._compiled:
            p._compiled[key] = spec._groups(p.build, ds)[0]
        y = _imp.group_stat(x, p._compiled[key], stat=spec.method[6:], axis=axis)
    else:
        y = _imp.panel(x, ds.periods, method=spec.method, axis=0)
    out = ds.values.copy()
    out[:, :, idx] = y
    return DataSet(spec.output, out, ds.units, ds.periods, ds.codes), {}


def _lean_treat(p: Pipeline, spec: TreatStep, name: str, ds: DataSet,
                sets: dict[str, Any]) -> tuple[DataSet, Any] | None:
    if spec.indicators:
        return None
    codes, idx = p._indicator_columns(ds)
    x = ds.values[:, :, idx]
    n_p, n_u, n_k = x.shape
    xin = x.reshape(1, n_p * n_u, n_k) if spec.scope == "pooled" else x
    res = _tr.treat(xin, winmax=spec.winmax, skew_threshold=spec.skew_threshold,
                    kurt_threshold=spec.kurtosis_threshold, fallback=spec.fallback,
                    boxcox_lambda=spec.boxcox_lambda, on_constant=spec.on_constant,
                    names=codes, moments_after=False)
    out = ds.values.copy()
    out[:, :, idx] = res.x.reshape(x.shape)
    return DataSet(spec.output, out, ds.units, ds.periods, ds.codes), {}


def _lean_normalise(p: Pipeline, spec: NormaliseStep, name: str, ds: DataSet,
                    sets: dict[str, Any]) -> tuple[DataSet, Any] | None:
    codes, idx = p._indicator_columns(ds)
    key = ("directions", tuple(codes))
    if key not in p._compiled:
        p._compiled[key] = p.framework.directions(codes)
    direction = p._compiled[key]
    x = _norm.orient(ds.values[:, :, idx], direction)
    axis: Any = (0, 1) if spec.bounds == "pooled" else 1
    try:
        params, _ = spec._params(p.build, name, ds, codes, direction, x)
        if spec.method in ("frac_max", "leading"):
            spec._check_ratio(name, ds, codes, direction, x)
        if spec.method == "minmax" and "lower" not in params and "upper" not in params:
            # normalise() would compute the bounds twice (constant check, then the kernel):
            # once here, handed to the kernel (the same numbers)
            lower, upper = _norm.column_bounds(x, axis)
            if (~np.isnan(lower) & ~(upper > lower)).any():
                return None  # a constant indicator: the step applies (and logs) its policy
            y = _norm.minmax(x, lower=lower, upper=upper, names=codes, **params)
        else:
            y = _norm.normalise(x, spec.method, axis=axis, constant="error", names=codes,
                                **params)
    except (InputError, MethodError) as exc:
        if spec.method in _norm.DATA_RELATIVE and _norm.constant_columns(x, axis).any():
            return None  # the step applies (and logs) its constant-indicator policy
        if isinstance(exc, InputError) or exc.message.startswith(f"step {name!r}"):
            raise
        raise MethodError(f"step {name!r}: {exc.message}", exc.details) from None
    return DataSet(spec.output, y, ds.units, ds.periods, tuple(codes)), {"dropped_codes": []}


def _lean_aggregate(p: Pipeline, spec: AggregateStep, name: str, ds: DataSet,
                    sets: dict[str, Any]) -> tuple[DataSet, Any] | None:
    key = ("all indicators", ds.codes)
    if key not in p._compiled:
        p._compiled[key] = set(p.framework.indicator_codes) <= set(ds.codes)
    if not p._compiled[key]:
        return None  # indicators dropped by an earlier step: the step's apply handles it
    plan = p.aggregate_plan(spec, ds, {})
    if not plan.batchable:
        return None
    vectors = {}
    for set_name in plan.member:
        v = p._set_vector(sets, set_name)
        if v is None:
            return None
        vectors[set_name] = v[None]
    out, failed = p.aggregate_batch(plan, ds, vectors, spec.min_availability)
    if failed:
        return None  # the step's apply raises with its full message
    return DataSet(spec.output, out[0], ds.units, ds.periods, plan.codes), {}


_LEAN: dict[type, Lean] = {
    DenominateStep: _lean_denominate,
    ImputeStep: _lean_impute,
    TreatStep: _lean_treat,
    NormaliseStep: _lean_normalise,
    AggregateStep: _lean_aggregate,
}

