"""The one runner of build steps: a recipe's steps in order, with or without recording.

Everything that is the same for every step lives here, once: the input data set must exist,
a step that needs normalised data must read normalised data, ``disable: true`` passes the input
through, arithmetic overflow becomes an error, no step may put out an infinite value, and every
error of a step names the step. What a step *does* (labels, kernels, messages about its own
parameters) lives in its module under :mod:`gipro.steps`, never here.

Two modes of the same runner (as scikit-learn's ``Pipeline`` with and without ``memory``):

* :func:`run_step` with ``record=True`` is what :class:`gipro.Build` runs: each step's result
  keeps a way to explain itself (notes, tables), computed when a person reads them;
* :class:`Pipeline` runs a build's recipe again and again without recording, for analyses
  (uncertainty, sensitivity, remove-one): it caches each step's plan per settings and labels
  and aggregates a batch of weight vectors along a leading axis in one call.

A :class:`State` (data sets, fits, weight sets, exclusions, records) is a plain value: a step
makes a new state and never changes the one it read, so analyses can keep the state after the
last step a setting does not touch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..dataset import DataSet
from ..errors import GiproError, InputError, MethodError
from .base import StepContext, StepResult, StepSpec
from .weight import WeightSet, get_weight_set

__all__ = ["Pipeline", "Record", "State", "Stepper", "guarded", "prefix_state"]


@dataclass(frozen=True)
class Record:
    """One step as run.

    Attributes
    ----------
    position : int
        Position in the recipe (0 = first step).
    name, kind : str
        The step's name and kind (``normalise``...).
    input, output : str
        Data set read; data set (or weight set) written.
    skipped : bool
        ``disable: true``.
    result : StepResult or None
        What the step produced (``None`` when skipped).
    seconds : float
    """

    position: int
    name: str
    kind: str
    input: str
    output: str
    skipped: bool
    result: StepResult | None
    seconds: float = 0.0
    codes: tuple[str, ...] | None = None  # codes of the data set written (None: a weight set)

    @property
    def plan(self) -> Any:
        return None if self.result is None else self.result.plan

    @property
    def fit(self) -> Any:
        return None if self.result is None else self.result.fit


@dataclass
class State:
    """What a build holds after some steps.

    ``previous`` is the data set the next step reads by default; ``lineage`` the kinds of the
    enabled steps behind each data set (to refuse aggregating data that were never
    normalised). States are never changed in place: a step makes a new one, sharing the
    unchanged arrays.
    """

    datasets: dict[str, DataSet]
    fits: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    previous: str = "raw"
    lineage: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"raw": ()})
    producers: dict[str, str] = field(default_factory=lambda: {"raw": ""})
    records: tuple[Record, ...] = ()

    @property
    def final(self) -> DataSet:
        """The data set the last data-writing step produced (``raw`` before any)."""
        return self.datasets[self.previous]


def _largest(ds: DataSet) -> str:
    """Where the largest magnitude value of a data set is, for overflow messages."""
    a = np.abs(ds.values)
    if not np.isfinite(a).any():
        return ""
    pi, ui, ci = np.unravel_index(np.nanargmax(np.where(np.isfinite(a), a, -1.0)), a.shape)
    return (f"largest magnitude in {ds.name!r}: {ds.values[pi, ui, ci]:.6g} ({ds.codes[ci]}, "
            f"unit {ds.units[ui]}, period {ds.periods[pi]})")


def guarded(name: str, ds: DataSet, run: Any) -> StepResult:
    """Call ``run()`` (one step on ``ds``) with overflow turned into an error, the step's name
    in front of every error, and infinite outputs refused (a number too large for float64 is
    never passed on as a score: it would turn a z-score or a range into 0 or NaN silently)."""
    try:
        with np.errstate(over="raise"):
            result = run()
    except GiproError as exc:  # every error of a step names the step
        if exc.message.startswith(f"step {name!r}"):
            raise
        raise type(exc)(f"step {name!r}: {exc.message}", exc.details) from None
    except FloatingPointError:
        raise MethodError(
            f"step {name!r}: arithmetic overflow (numbers too large for floating point)",
            [d for d in (_largest(ds),) if d]
            + ["rescale the indicator (e.g. thousands or millions of its unit) or check the "
               "data for a wrong scale"],
        ) from None
    out = result.data
    if out is not None and isinstance(out.values, np.ndarray):  # (chunked: per block)
        inf = np.isinf(out.values)
        if inf.any():
            pi, ui, ci = np.argwhere(inf)[0][-3:]
            raise MethodError(
                f"step {name!r} produced an infinite value for {out.codes[ci]}, unit "
                f"{out.units[ui]}, period {out.periods[pi]} ({int(inf.sum())} such values)",
                [d for d in (_largest(ds),) if d]
                + ["rescale the indicator or check the data for a wrong scale or a "
                   "near-zero denominator"],
            )
    return result


class Stepper:
    """The fixed parts of a build's context (framework, data, frozen fits, file cache) and
    the one function that runs a step on a state (:meth:`step`).

    Parameters
    ----------
    framework, panel, source_panel, periods, frozen, cache, base_dir :
        As in :class:`~gipro.steps.base.StepContext`.
    names : sequence of str
        The steps' names, in recipe order.
    blocks : callable, optional
        A chunked build's block-by-block transform (:func:`gipro.chunked.transform_blocks`):
        data sets hold Dask arrays chunked over units and steps run
        :meth:`~gipro.steps.base.StepSpec.run_chunked`.
    """

    def __init__(self, framework: Any, panel: Any, source_panel: Any,
                 periods: Sequence[int], names: Sequence[str],
                 frozen: Mapping[str, Any] | None = None,
                 cache: dict[Any, Any] | None = None, base_dir: Any = None,
                 blocks: Any = None) -> None:
        self.framework = framework
        self.panel = panel
        self.source_panel = source_panel
        self.periods = tuple(periods)
        self.names = list(names)
        self.frozen = frozen if frozen is not None else {}
        self.cache = cache if cache is not None else {}
        self.base_dir = base_dir
        self.blocks = blocks

    def context(self, state: State, weights: Mapping[str, Any] | None = None) -> StepContext:
        """The context a step reads in ``state`` (``weights`` replace sets of that name)."""
        return StepContext(self.framework, self.panel, self.source_panel, self.periods,
                           {**state.weights, **weights} if weights else state.weights,
                           state.fits, state.producers, self.frozen, self.cache,
                           self.base_dir, state.records)

    def initial_state(self, raw: DataSet) -> State:
        return State({"raw": raw})

    @staticmethod
    def source(state: State, name: str, spec: StepSpec) -> str:
        """The data set step ``name`` reads from ``state``, after the runner's preconditions.

        Raises
        ------
        InputError
            The data set does not exist.
        MethodError
            Aggregation of data that were never normalised.
        """
        source = spec.input or state.previous
        if source not in state.datasets:
            raise InputError(f"step {name!r} reads data set {source!r}, which does not exist yet",
                             [f"data sets so far: {', '.join(state.datasets)}"])
        if spec.needs_normalised and "normalise" not in state.lineage[source]:
            raise MethodError(
                f"step {name!r} reads data set {source!r}, which has not been normalised",
                ["indicator directions are applied by the normalise step; without it raw "
                 "values in different units would be combined with their directions "
                 "ignored. Add a normalise step before it."],
            )
        return source

    def step(self, state: State, pos: int, spec: StepSpec, *, record: bool = True,
             weights: Mapping[str, Any] | None = None, plans: dict[Any, Any] | None = None
             ) -> State:
        """Run one step on ``state`` and return the new state.

        Parameters
        ----------
        state : State
        pos : int
            The step's position in the recipe.
        spec : StepSpec
        record : bool
            Keep a way to explain the step (notes, tables).
        weights : mapping, optional
            Weight sets that replace the state's sets of the same name (perturbed weights).
        plans : dict, optional
            A cache of plans (:meth:`StepSpec.prepare`) by spec and labels.

        Raises
        ------
        InputError
            The data set the step reads does not exist.
        MethodError
            Aggregation of data that were never normalised, arithmetic overflow, an infinite
            output, and whatever the step raises (its name in front).
        """
        name = self.names[pos]
        source = self.source(state, name, spec)
        t0 = time.perf_counter()
        lineage, producers = state.lineage, state.producers
        if spec.writes_data_set:
            lineage = {**lineage, spec.output: (*lineage[source],
                                                *(() if spec.disable else (spec.step,)))}
            producers = {**producers, spec.output: spec.step}
        ds = state.datasets[source]
        if spec.disable:
            record_ = Record(pos, name, spec.step, source, spec.output, True, None,
                             time.perf_counter() - t0,
                             ds.codes if spec.writes_data_set else None)
            return replace(state, lineage=lineage, producers=producers,
                           previous=spec.output if spec.writes_data_set else state.previous,
                           datasets={**state.datasets, spec.output: ds.renamed(spec.output)}
                           if spec.writes_data_set else state.datasets,
                           records=(*state.records, record_))
        ctx = self.context(state, weights)

        def run() -> StepResult:
            if self.blocks is not None:
                return spec.run_chunked(ctx, name, ds, spec.prepare(ctx, name, ds),
                                        self.blocks)
            if plans is None:
                return spec.apply(ctx, name, ds, record=record)
            plan = cached_plan(plans, pos, spec, ctx, name, ds)
            return spec.run_prepared(ctx, name, ds, plan, record=record)

        result = guarded(name, ds, run)
        datasets, previous = state.datasets, state.previous
        if result.data is not None:
            datasets = {**datasets, spec.output: result.data}
            previous = spec.output
        rec = Record(pos, name, spec.step, source, spec.output, False, result,
                     time.perf_counter() - t0,
                     None if result.data is None else result.data.codes)
        return State(datasets, {**state.fits, name: result.fit},
                     {**state.weights, **result.weights} if result.weights else state.weights,
                     [*state.excluded, *result.excluded] if result.excluded else state.excluded,
                     previous, lineage, producers, (*state.records, rec))


def cached_plan(plans: dict[Any, Any], pos: int, spec: StepSpec, ctx: StepContext, name: str,
                ds: DataSet) -> Any:
    """``spec.prepare(ctx, name, ds)``, made once per spec object, position and what the plan
    reads (:meth:`StepSpec.prepare_key`). A spec can be changed in place: the cache keeps a
    copy and answers only while the spec still equals it."""
    key = (pos, id(spec), spec.prepare_key(ctx, ds))
    hit = plans.get(key)
    if hit is None or hit[0] is not spec or hit[1] != spec:
        hit = (spec, spec.model_copy(deep=True), spec.prepare(ctx, name, ds))
        plans[key] = hit
    return hit[2]


def prefix_state(states: Sequence[State], k: int) -> State:
    """The state after the first ``k`` steps of a run (``states[0]`` is the raw state)."""
    return states[k]


class Pipeline:
    """A run build's recipe as a fast array pipeline: the same runner without recording.

    Parameters
    ----------
    build : Build
        A build that has been run (its states after each step are reused).

    Examples
    --------
    >>> import gipro
    >>> b = gipro.run()
    >>> p = Pipeline(b)
    >>> out = p.run(p.steps).final
    >>> bool(np.array_equal(out.values, b.final.values, equal_nan=True))
    True
    """

    def __init__(self, build: Any) -> None:
        build.require_run()
        if build.recipe.keep is not None:
            raise InputError("analyses that rebuild the index (uncertainty, sensitivity, "
                             "remove-one) need every data set of the build; its recipe keeps "
                             f"only {build.recipe.keep}", ["run the recipe without keep:"])
        self.build = build
        self.framework = build.framework
        self.steps = list(build.recipe.steps)
        self.names = build.recipe.step_names()
        self.node_codes = list(build.framework.codes)
        self.node_index = {c: i for i, c in enumerate(self.node_codes)}
        self.stepper = build.stepper
        self.plans: dict[Any, Any] = {}

    def initial_state(self) -> State:
        """The state before the first step: the raw data set only."""
        return self.build.states[0]

    def nominal_state(self, n_steps: int) -> State:
        """The nominal build's state after its first ``n_steps`` steps (the same arrays)."""
        return self.build.states[n_steps]

    def step(self, state: State, pos: int, spec: StepSpec,
             weights: Mapping[str, Any] | None = None) -> State:
        """Run one step on a state (no recording) and return the new state."""
        return self.stepper.step(state, pos, spec, record=False, weights=weights,
                                 plans=self.plans)

    def run(self, specs: Sequence[StepSpec], state: State | None = None, start: int = 0,
            weights: Mapping[str, Any] | None = None) -> State:
        """Run steps ``start..`` of ``specs`` (one spec per recipe step) from ``state``.

        Raises
        ------
        GiproError
            Whatever the steps raise (the same errors as :meth:`gipro.Build.run`).
        """
        if state is None:
            if start:
                raise InputError("run from a later step needs the state after the step before")
            state = self.initial_state()
        for pos in range(start, len(specs)):
            state = self.step(state, pos, specs[pos], weights)
        return state

    def weight_vector(self, state: State, set_name: str) -> np.ndarray:
        """A weight set of ``state`` as a vector over :attr:`node_codes` (NaN = no weight).

        Raises
        ------
        InputError
            No weight set of that name.
        """
        ws = get_weight_set(self.framework, state.weights, set_name)
        return np.array([ws.weights.get(c, np.nan) for c in self.node_codes], dtype=float)

    def weight_sets(self, state: State, set_name: str, mult: np.ndarray,
                    codes: Sequence[str]) -> dict[str, WeightSet]:
        """The set ``set_name`` of ``state`` with the weights of ``codes`` multiplied by
        ``mult`` (one run's perturbed weights), as a replacement set."""
        ws = get_weight_set(self.framework, state.weights, set_name)
        weights = dict(ws.weights)
        for c, m in zip(codes, mult, strict=True):
            weights[c] = weights.get(c, np.nan) * m
        return {set_name: WeightSet(set_name, weights, "perturbed")}

    def aggregate(self, state: State, pos: int, spec: StepSpec,
                  vectors: Mapping[str, np.ndarray]
                  ) -> tuple[np.ndarray, dict[int, str], DataSet, Any]:
        """Aggregate step ``pos`` of ``state`` for a batch of weight vectors at once.

        Parameters
        ----------
        state : State
            The state before the aggregate step.
        pos : int
        spec : AggregateStep
        vectors : mapping of weight set name to ndarray of shape (R, n_nodes)
            One weight vector per run, over :attr:`node_codes`; sets not given keep the
            state's weights.

        Returns
        -------
        out : ndarray of shape (R, P, U, n_codes)
            Scores of every code for every run (NaN rows for failed runs).
        failed : dict of int to str
            Runs whose weights are invalid for some aggregate, with the message the build
            would raise.
        ds : DataSet
            The data set aggregated.
        plan : AggregatePlan

        Raises
        ------
        GiproError
            What the step raises for every run alike (unknown sets, missing indicators,
            a value outside a method's domain: run the batch run by run to attribute it).
        """
        name = self.names[pos]
        source = spec.input or state.previous
        holder: dict[str, Any] = {}

        def run() -> StepResult:
            self.stepper.source(state, name, spec)  # the runner's preconditions
            ds = state.datasets[source]
            ctx = self.stepper.context(state)
            plan = cached_plan(self.plans, pos, spec, ctx, name, ds)
            fit = spec.fit(ctx, plan, ds.values).batched(vectors, self.node_index)
            y, failed = spec.transform_batch(plan, fit, ds.values)
            holder.update(ds=ds, plan=plan, failed=failed, y=y)
            return StepResult(None)

        guarded(name, state.datasets.get(source, state.final), run)
        return holder["y"], holder["failed"], holder["ds"], holder["plan"]
