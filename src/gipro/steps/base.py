"""The step contract: what every build step is, what it may read, and what it returns.

A step is a typed, validated parameter object (pydantic, unknown keys rejected). Its work is
split the way scikit-learn splits an estimator's (``__init__`` stores parameters, ``fit``
learns, ``transform`` applies), over a narrow context instead of the whole build:

* :meth:`StepSpec.prepare` ``(ctx, name, ds) -> plan``: maps labels onto kernel parameters
  (columns, directions, targets, groups, aggregation plans) and raises every error about the
  recipe, framework or labels. It reads only ``ds``'s labels and the context, never the values,
  so a runner may cache it per spec and labels (:class:`gipro.steps.run.Pipeline`).
* :meth:`StepSpec.fit` ``(ctx, plan, x) -> fit``: what the step learns from the data (bounds,
  moments, caps, Box-Cox lambdas, imputed values, kept units, weights), as a small typed object.
  Scenarios hand in the baseline's fits instead (``ctx.frozen``; :meth:`StepSpec.freeze` maps
  them onto the scenario's periods and units).
* :meth:`StepSpec.transform` ``(plan, fit, x) -> y``: plain arrays, numpy only; ``x`` of shape
  ``(..., n_periods, n_units, n_codes)``, any leading (replication) axes carried through.
* :meth:`StepSpec.explain` ``(ctx, name, ds, plan, fit, out) -> (notes, tables)``: the log notes
  and the tables a person reads (``Build.fitted``). A build explains a step when its notes or
  tables are first read; it never changes a result, so a run without recording skips it.

The template :meth:`StepSpec.apply` strings these together and returns a :class:`StepResult`;
the runner (:mod:`gipro.steps.run`) adds what is the same for every step (input checks, the
overflow guard, the error prefix, reuse of unchanged leading steps, batching). Steps never see
or change a ``Build``.

Builds chunked over units (:mod:`gipro.chunked`, on a Dask cluster) use the same ``prepare``
(a :class:`~gipro.dataset.DataSet` whose values are a Dask array has the same labels) and the
same ``transform``, block by block of units, and two more methods:

* :meth:`StepSpec.fit_chunked` ``(ctx, plan, x) -> fit``: the fit of :meth:`StepSpec.fit`
  from Dask reductions over ``x`` (a Dask array of shape ``(P, U, K)`` chunked over units);
  a step shares with ``fit`` the code that turns statistics into its fit, so the rules and
  messages are the same. A step or method that cannot learn in chunks says so
  (:meth:`StepSpec.not_chunked`);
* :meth:`StepSpec.block_plan` ``(plan, fit, start, stop) -> (plan, fit)``: the plan and fit of
  the units ``start:stop`` (labels and per-unit arrays sliced; data-free, made where the build
  runs), and :meth:`StepSpec.block_inputs`, which may read a block's own inputs (the
  denominators of its units) where the block is transformed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

from ..dataset import DataSet
from ..errors import GiproError, InputError, MethodError
from ..suggest import near_match
from ..units import dataset_units

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Size of the input above which row-wise steps are transformed block by block of units.
BLOCK_BYTES = 64 * 2**20

__all__ = ["BLOCK_BYTES", "MethodParams", "StepContext", "StepResult", "StepSpec", "align_periods",
           "check_codes", "dropped_codes", "fmt", "listing", "near_matches", "units_sliced"]


@dataclass(slots=True)
class StepContext:
    """What a step may read besides its input data set -- never a ``Build`` (read-only: a step
    never changes its context).

    Attributes
    ----------
    framework : gipro.Framework
    panel : gipro.Panel
        The build's data (its unit table holds the group columns of group imputation).
    source_panel : gipro.Panel
        Every variable of the input data (denominators are read from it).
    periods : tuple of int
        Periods of the build.
    weights : mapping of str to WeightSet
        Weight sets made by earlier steps (the set ``framework`` is implicit).
    fits : mapping of str to object
        What earlier steps learnt, by step name (e.g. the codes a normalise step dropped).
    producers : mapping of str to str
        Data set name -> kind of the step that wrote it (``raw``: ``""``).
    frozen : mapping of str to object
        Fits handed in by another build, by step name (scenarios: the baseline's).
    cache : dict
        Inputs read by steps (denominator tables), shared by variants.
    base_dir : pathlib.Path, optional
        Folder of the recipe (relative paths of step inputs).
    records : sequence of gipro.steps.run.Record
        The steps run so far (the measurement units of each data set follow them).
    """

    framework: Any
    panel: Any
    source_panel: Any
    periods: tuple[int, ...]
    weights: Mapping[str, Any] = field(default_factory=dict)
    fits: Mapping[str, Any] = field(default_factory=dict)
    producers: Mapping[str, str] = field(default_factory=dict)
    frozen: Mapping[str, Any] = field(default_factory=dict)
    cache: MutableMapping[Any, Any] = field(default_factory=dict)
    base_dir: Path | None = None
    records: Sequence[Any] = ()

    def measure(self, dataset: str, code: str) -> str | None:
        """The measurement unit of ``code`` in ``dataset`` (:mod:`gipro.units`; the
        framework's unit when not known), for messages."""
        try:
            units = dataset_units(self.framework, self.source_panel, self.records)
        except Exception:  # pragma: no cover - a message must not fail
            units = {}
        if dataset in units and code in units[dataset]:
            return units[dataset][code]
        node = self.framework.nodes.get(code)
        return node.unit if node is not None else None


@dataclass
class StepResult:
    """Everything one step produced; a step writes nothing anywhere else.

    Attributes
    ----------
    data : DataSet or None
        The output data set (``None`` for a step that makes a weight set only).
    plan, fit : object
        What :meth:`StepSpec.prepare` and :meth:`StepSpec.fit` returned (the fit also when it
        was handed in frozen).
    weights : dict of str to WeightSet
        Weight sets the step made.
    excluded : list of dict
        Units the step removed: ``unit, period, step, reason``.
    explain : callable, optional
        ``explain() -> (notes, tables)``: the step's log notes and recorded tables (``None``
        when the step ran without recording).
    """

    data: DataSet | None
    plan: Any = None
    fit: Any = None
    weights: dict[str, Any] = field(default_factory=dict)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    explain: Callable[[], tuple[list[str], dict[str, Any]]] | None = None
    _explained: tuple[list[str], dict[str, Any]] | None = field(default=None, repr=False)

    def explained(self) -> tuple[list[str], dict[str, Any]]:
        """The step's notes and tables (computed once, on first call).

        Raises
        ------
        InputError
            The step ran without recording.
        """
        if self._explained is None:
            if self.explain is None:
                raise InputError("this step ran without recording: nothing to explain")
            self._explained = self.explain()
        return self._explained


#: The source named in the notes of a fit handed to a build (``frozen=``) without
#: ``.frozen(source)``: what it learnt was learnt elsewhere, never from these data.
FROM_ANOTHER_BUILD = "another build"


def learnt_elsewhere(fit: Any) -> Any:
    """A fit handed to a build (``ctx.frozen``) as one learnt elsewhere: a fit that names its
    source (``source``) but was not marked with ``.frozen(source)`` is said to come from
    :data:`FROM_ANOTHER_BUILD`, so that its notes never read as if fitted on these data."""
    return fit.frozen(FROM_ANOTHER_BUILD) if getattr(fit, "source", "") is None else fit


def align_periods(fit_periods: Sequence[int], periods: Sequence[int]) -> np.ndarray:
    """Rows of a per-period fit for ``periods``: a period's own row; before the first / after
    the last fitted period (projected periods of a scenario), the first / last row.

    Examples
    --------
    >>> align_periods([2010, 2011, 2012], [2011, 2012, 2013, 2009]).tolist()
    [1, 2, 2, 0]
    """
    base = list(fit_periods)
    return np.array([base.index(p) if p in base else (len(base) - 1 if p > base[-1] else 0)
                     for p in periods], dtype=int)


def dropped_codes(ctx: StepContext) -> set[str]:
    """Codes an earlier step left out on purpose (constant indicators under the normalise
    step's ``constant: drop`` policy): the ``dropped`` of the earlier steps' fits."""
    return {c for f in ctx.fits.values() for c in getattr(f, "dropped", ())}


class StepSpec(BaseModel):
    """Common fields of every step, and the step contract (module docstring).

    Attributes
    ----------
    name : str, optional
        Unique name of the step in the recipe (default: its kind, e.g. ``normalise``).
    input : str, optional
        Data set the step reads (default: the previous step's output; ``raw`` for the first).
    output : str
        Data set the step writes (default: the step kind's usual name, e.g. ``imputed``; when
        the same kind appears twice, a later step without an explicit ``output`` writes a data
        set named after the step).
    disable : bool
        ``true``: the step is skipped -- logged as skipped, its output is its input unchanged
        (COINr's ``disable``; handy for "with and without treatment" variants).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    #: False for steps that make a weight set instead of a data set.
    writes_data_set: ClassVar[bool] = True
    #: True for steps that need normalised input (directions applied).
    needs_normalised: ClassVar[bool] = False

    name: str | None = None
    input: str | None = None
    output: str
    disable: bool = False

    # ------------------------------------------------------------------ the contract
    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> Any:
        """Labels -> kernel parameters; raise every error about labels here."""
        return None

    def prepare_key(self, ctx: StepContext, ds: DataSet) -> Any:
        """What :meth:`prepare` reads besides the spec: a runner caches the plan under it."""
        return (ds.codes, ds.units, ds.periods, frozenset(dropped_codes(ctx)))

    def fit(self, ctx: StepContext, plan: Any, x: np.ndarray) -> Any:
        """What the step learns from the values ``x`` (shape ``(P, U, K)``)."""
        return None

    def freeze(self, plan: Any, fit: Any, ds: DataSet) -> Any:
        """A fit learnt elsewhere (``ctx.frozen``) for the labels of ``ds``."""
        return fit

    def transform(self, plan: Any, fit: Any, x: np.ndarray) -> np.ndarray:
        """The output values for ``x`` of shape ``(..., P, U, K)``."""
        raise NotImplementedError

    def row_wise(self, plan: Any, fit: Any) -> bool:
        """Whether :meth:`transform` maps each unit's values on their own (no other unit's
        values, no per-unit array in the plan or fit): the runner may then transform a big
        data set block by block of units, with the same numbers and bounded memory."""
        return False

    def transform_blocks(self, plan: Any, fit: Any, x: np.ndarray) -> np.ndarray:
        """:meth:`transform`, block by block of units when ``x`` is big and the step is
        :meth:`row_wise` (each block's temporaries, not the whole cube's); an error in a
        block is raised by the whole transform, so that it names the right unit."""
        n = x.shape[-2] if x.ndim >= 2 else 0
        if x.nbytes <= BLOCK_BYTES or n < 2 or not self.row_wise(plan, fit):
            return self.transform(plan, fit, x)
        step = max(1, int(n * BLOCK_BYTES // x.nbytes))
        try:
            first = self.transform(plan, fit, x[..., :step, :])
            out = np.empty((*first.shape[:-2], n, first.shape[-1]))
            out[..., :step, :] = first
            del first
            for a in range(step, n, step):
                out[..., a:a + step, :] = self.transform(plan, fit, x[..., a:a + step, :])
        except GiproError:
            return self.transform(plan, fit, x)  # raises, naming the unit
        return out

    def labels(self, plan: Any, fit: Any, ds: DataSet) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Units and codes of the output data set (default: those of ``ds``)."""
        return ds.units, ds.codes

    # ------------------------------------------------------------------ chunked builds
    def method_label(self) -> str:
        """The step's kind and method for messages (``normalise (rank)``)."""
        method = getattr(self, "method", None)
        return f"{self.step} ({method})" if isinstance(method, str) else str(self.step)

    def not_chunked(self, name: str, why: str) -> MethodError:
        """The error of a step or method that cannot run chunked over units, naming it and
        saying why and what to do."""
        return MethodError(
            f"step {name!r}: {self.method_label()} cannot run on a cluster chunked over units: "
            f"{why}", ["run the build in one process (without --workers / --scheduler / "
                       "client=), or choose a method that learns from per-indicator "
                       "statistics (docs: scale)"])

    def chunked_refusal(self) -> str | None:
        """Why this step (as specified) cannot run chunked over units, or ``None``: asked
        before any data are read, so a build stops at once (:meth:`not_chunked` words it)."""
        return None

    def run_chunked(self, ctx: StepContext, name: str, ds: DataSet, plan: Any,
                    transform: Callable[..., Any]) -> StepResult:
        """:meth:`run_prepared` for a data set whose values are a Dask array chunked over
        units: :meth:`fit_chunked`, then ``transform(self, name, plan, fit, ds)`` (the
        runner's lazy block-by-block :meth:`transform`), products; nothing to explain (the
        notes and tables that read every value are not made)."""
        why = self.chunked_refusal()
        if why is not None:
            raise self.not_chunked(name, why)
        if ctx.frozen.get(name) is not None:
            raise self.not_chunked(name, "frozen fits (scenarios) are applied in one process")
        fit = self.fit_chunked(ctx, plan, ds.values)
        out = None
        if self.writes_data_set:
            units, codes = self.labels(plan, fit, ds)
            out = DataSet(self.output, transform(self, name, plan, fit, ds), units, ds.periods,
                          codes)
        weights, excluded = self.products(ctx, name, ds, plan, fit, out)
        return StepResult(out, plan, fit, weights, excluded, None)

    def chunked_notes(self, ctx: StepContext, name: str, plan: Any, fit: Any) -> list[str]:
        """The notes of a chunked build's log that the step's plan and fit say without
        reading the values (the policies applied). Default: none."""
        return []

    def chunked_tables(self, ctx: StepContext, name: str, plan: Any, fit: Any, ds: DataSet,
                       out: DataSet) -> dict[str, pd.DataFrame]:
        """The small tables of :meth:`explain` (per indicator and period, not per value) that
        a chunked build can make from reductions over its blocks of units: ``ds`` and ``out``
        are the step's input and output data sets, their values Dask arrays. Default: none
        (``details/`` of a chunked build, docs/cluster.md)."""
        return {}

    def fit_chunked(self, ctx: StepContext, plan: Any, x: Any) -> Any:
        """:meth:`fit` from Dask reductions over ``x`` (a Dask array of shape ``(P, U, K)``
        chunked over units). Default: the step learns nothing from the values (its ``fit``
        does not read them) -- steps that do override this or raise :meth:`not_chunked`."""
        return self.fit(ctx, plan, None)

    def block_plan(self, plan: Any, fit: Any, start: int, stop: int) -> tuple[Any, Any]:
        """The plan and fit of units ``start:stop`` for transforming one block of units
        (data-free: made where the build runs, sent with the block's task).

        Default: a :meth:`row_wise` step keeps its fit; the plan's ``units`` labels are
        sliced (:func:`units_sliced`).

        Raises
        ------
        MethodError
            The transform needs every unit at once (:meth:`not_chunked`).
        """
        if not self.row_wise(plan, fit):
            raise self.not_chunked(getattr(plan, "step", self.step),
                                   "its transform compares every unit with the others")
        return units_sliced(plan, start, stop), fit

    def block_inputs(self, ctx: StepContext, plan: Any, ds: DataSet) -> Any:
        """The block plan completed with inputs read for the block's own units (``ctx`` is
        the block's: its ``source_panel`` holds every variable of these units). Default: the
        plan as it is."""
        return plan

    def products(self, ctx: StepContext, name: str, ds: DataSet, plan: Any, fit: Any,
                 out: DataSet | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Weight sets made and units removed (kept in the build's state, never lazy)."""
        return {}, []

    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: Any, fit: Any,
                out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        """Log notes and recorded tables (read by a person; computed on first read)."""
        return [], {}

    def apply(self, ctx: StepContext, name: str, ds: DataSet, *, record: bool = True
              ) -> StepResult:
        """Run the step on ``ds``: prepare, fit (or the frozen fit), transform, explain.

        Returns
        -------
        StepResult
            With ``explain`` set when ``record`` (called later, by whoever reads the notes).
        """
        plan = self.prepare(ctx, name, ds)
        return self.run_prepared(ctx, name, ds, plan, record=record)

    def run_prepared(self, ctx: StepContext, name: str, ds: DataSet, plan: Any, *,
                     record: bool = True) -> StepResult:
        """:meth:`apply` with the plan already made (a runner's cache)."""
        frozen = ctx.frozen.get(name)
        fit = self.fit(ctx, plan, ds.values) if frozen is None else \
            self.freeze(plan, learnt_elsewhere(frozen), ds)
        out = None
        if self.writes_data_set:
            units, codes = self.labels(plan, fit, ds)
            out = DataSet(self.output, self.transform_blocks(plan, fit, ds.values), units,
                          ds.periods, codes)
        weights, excluded = self.products(ctx, name, ds, plan, fit, out)
        explain = None
        if record:
            def explain() -> tuple[list[str], dict[str, Any]]:
                return self.explain(ctx, name, ds, plan, fit, out)
        return StepResult(out, plan, fit, weights, excluded, explain)

    @classmethod
    def changed(cls, data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a dumped spec of this kind) updated with ``changes``."""
        out = dict(data)
        out.update(changes)
        return out


def units_sliced(plan: Any, start: int, stop: int) -> Any:
    """``plan`` (a dataclass) with its ``units`` labels cut to ``start:stop`` (unchanged when
    it has none)."""
    if is_dataclass(plan) and any(f.name == "units" for f in fields(plan)):
        return replace(plan, units=tuple(plan.units[start:stop]))
    return plan


def fmt(v: float) -> str:
    """Short number format for messages."""
    return f"{v:.6g}"


def listing(items: list[str], limit: int = 8) -> str:
    """Comma-separated list, shortened after ``limit`` items."""
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def near_matches(unknown: list[str], known: list[str]) -> list[str]:
    """Hints for unknown codes near a known one (:func:`gipro.suggest.near_match`): the same
    but for case, spaces or punctuation (field case B26: ``'Water '`` is not ``'Water'``), or
    a close spelling (``'waste_totl'``: did you mean ``'waste_total'``?).

    Examples
    --------
    >>> for hint in near_matches(["Water ", "waste_totl", "zzz"], ["Water", "waste_total"]):
    ...     print(hint)
    'Water ' differs from 'Water' only in case, spaces or punctuation
    'waste_totl': did you mean 'waste_total'?
    """
    out = []
    for u in unknown:
        hit = near_match(u, known)
        if hit is None:
            continue
        near, how = hit
        out.append(f"{u!r} differs from {near!r} only in case, spaces or punctuation"
                   if how == "fold" else f"{u!r}: did you mean {near!r}?")
    return out


def check_codes(step: str, what: str, given: list[str], known: list[str]) -> None:
    """Raise an InputError naming every code in ``given`` that is not in ``known`` (with near
    matches: ``'Water '`` for ``'Water'``)."""
    unknown = [c for c in given if c not in set(known)]
    if unknown:
        raise InputError(f"step {step!r}: {what} {unknown} not in the data set",
                         [*near_matches(unknown, list(known)),
                          f"known: {listing(list(known), 20)}"])


class MethodParams(BaseModel):
    """Mixin for specs with a ``method`` and parameters that apply to some methods only.

    ``method_params`` maps each method-specific parameter to the methods it applies to.
    Setting a parameter that does not apply to the chosen method is an error (so a typo or a
    leftover is never silently ignored); parameters that do not apply are left out when the
    spec is written (recipe, log). Changing the method (:meth:`changed`) resets the
    method-specific parameters to the new method's defaults unless they are given too.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    method_params: ClassVar[dict[str, frozenset[str]]] = {}

    @model_validator(mode="after")
    def _applicable(self) -> Any:
        method = getattr(self, "method", None)
        for f in sorted(self.model_fields_set):
            methods = self.method_params.get(f)
            if methods is not None and method not in methods:
                raise ValueError(
                    f"parameter {f!r} does not apply to method {method!r} (it applies to: "
                    f"{', '.join(sorted(methods))})"
                )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> Any:
        data = handler(self)
        method = getattr(self, "method", None)
        if isinstance(data, dict):
            for f, methods in self.method_params.items():
                if method not in methods:
                    data.pop(f, None)
        return data

    @classmethod
    def changed(cls, data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a dumped spec) updated with ``changes``; a new method resets its params."""
        out = dict(data)
        if "method" in changes and changes["method"] != data.get("method"):
            for f in cls.method_params:
                out.pop(f, None)
        out.update(changes)
        return out
