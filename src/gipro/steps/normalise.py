"""The ``normalise`` step: bring indicators onto a common scale (labels, directions, bounds).

Every method of :mod:`gipro.methods.normalise` is selectable by name, with typed parameters::

    - {step: normalise, method: minmax, range: [0, 100], bounds: pooled}
    - {step: normalise, method: zscore, mean_sd: [100, 10], ddof: 1}
    - {step: normalise, method: target, cap: true}          # targets from the framework
    - {step: normalise, method: goalposts, truncate: true}  # goalposts from the framework
    - {step: normalise, method: dist_ref, ref_unit: Beijing, ref_period: 2006}
    - {step: normalise, method: leading, leading: {water_per_va: 8.0}, cost: inverse}
    - {step: normalise, method: efficacy}                   # 60 + 40 (x - min)/(max - min)

The direction rule is the same for every method (see :mod:`gipro.methods.normalise`): values
and external references (targets, goalposts, leading values) are multiplied by the direction
first. Bounds and other data-learnt parameters are pooled over all periods by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import normalise as _norm
from .base import (
    MethodParams,
    StepContext,
    StepSpec,
    align_periods,
    check_codes,
    fmt,
    listing,
    near_matches,
)
from .chunks import ArrayColumns, DaskColumns

__all__ = ["FREEZABLE", "NormaliseFit", "NormalisePlan", "NormaliseStep"]

NormMethod = Literal["minmax", "zscore", "goalposts", "target", "dist_ref", "dist_max",
                     "frac_max", "percentile", "rank", "borda", "efficacy", "normal_cdf",
                     "leading", "ampi"]

#: Methods whose data-learnt parameters can be frozen (scenario evaluation), with the kernel
#: parameters that are frozen. Rank-based methods are relative to the other units and are
#: recomputed; goalposts and leading values learn nothing from the data.
FREEZABLE: dict[str, tuple[str, ...]] = {
    "minmax": ("lower", "upper"), "efficacy": ("lower", "upper"), "dist_max": ("lower", "upper"),
    "zscore": ("mean", "sd"), "normal_cdf": ("mean", "sd"),
    "ampi": ("lower", "upper", "reference"), "target": ("lower",),
    "dist_ref": ("lower", "reference"), "frac_max": ("upper",),
}

_DESCRIBE = {
    "minmax": "min-max: low + (x - min)/(max - min) (high - low)",
    "zscore": "z-score: m + s (x - mean)/sd",
    "goalposts": "goalposts: low + clip((x - l)/(u - l), 0, 1) (high - low), goalposts from "
                 "the framework",
    "target": "distance to target: (x - min)/(target - min), targets from the framework",
    "dist_ref": "distance to a reference unit: (x - min)/(x_ref - min)",
    "dist_max": "distance to max: 1 - (max - x)/(max - min)",
    "frac_max": "fraction of max: x / max",
    "percentile": "percentile rank",
    "rank": "rank score (1 = worst unit, n = best)",
    "borda": "Borda score (rank - 1: units ranked below)",
    "efficacy": "efficacy coefficient: 60 + 40 (x - min)/(max - min)",
    "normal_cdf": "normal CDF of the z-score",
    "leading": "ratio to a leading value, x / lead",
    "ampi": "AMPI rescaling: 100 + 60 (x - ref)/(max - min)",
}


@dataclass(frozen=True)
class NormalisePlan:
    """The normalise step's labels: the indicator columns, their directions, and the kernel
    parameters that come from the recipe and the framework (range, targets, goalposts...).

    ``params`` holds per-indicator arrays (last axis: :attr:`codes`); ``refs`` the external
    references recorded in the step's table (goalposts, targets, leading values).
    """

    step: str
    dataset: str
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    idx: list[int]
    direction: np.ndarray
    axis: Any
    params: dict[str, Any]
    refs: dict[str, Any]
    ref_unit: int | None = None
    ref_period: int | None = None


@dataclass(frozen=True)
class NormaliseFit:
    """What a normalise step learnt from the data (scikit-learn's fitted attributes).

    Attributes
    ----------
    codes : tuple of str
        Indicators scored (after a ``constant: drop``).
    keep : list of int or None
        Their positions among the plan's codes (``None``: all).
    dropped, constant : tuple of str
        Indicators dropped, and every indicator found constant.
    midpoint : ndarray of bool or None
        Cells (bounds shape) scored at the middle of the scale (``constant: midpoint``).
    params : dict of str to ndarray
        Kernel parameters learnt (bounds, moments, references; constant cells NaN).
    lower, upper : ndarray or None
        Observed bounds of the oriented values, shape (1 or n_periods, 1, n_codes).
    mean, sd : ndarray or None
        Their moments (z-scores, normal CDF, AMPI).
    periods : tuple of int
        Periods the fit was learnt on.
    clip : bool
        Set values beyond ``lower``/``upper`` to the bound first (frozen scenarios).
    source : str or None
        Where a frozen fit was learnt (``None``: on these data).
    """

    codes: tuple[str, ...]
    keep: list[int] | None
    dropped: tuple[str, ...]
    constant: tuple[str, ...]
    midpoint: np.ndarray | None
    params: dict[str, np.ndarray]
    lower: np.ndarray | None
    upper: np.ndarray | None
    mean: np.ndarray | None = None
    sd: np.ndarray | None = None
    periods: tuple[int, ...] = ()
    clip: bool = False
    source: str | None = None
    extra_periods: tuple[int, ...] = field(default=())

    def frozen(self, source: str, clip: bool = False) -> NormaliseFit:
        """This fit handed to another build (scenario evaluation): learnt in ``source``."""
        return replace(self, source=source, clip=clip)


class NormaliseStep(MethodParams, StepSpec):
    """Normalise indicators onto a common scale.

    Attributes
    ----------
    method : str
        ``minmax`` (default), ``zscore``, ``goalposts``, ``target`` (distance to target),
        ``dist_ref`` (distance to a reference unit), ``dist_max``, ``frac_max``, ``percentile``,
        ``rank``, ``borda``, ``efficacy`` (60-100), ``normal_cdf``, ``leading`` (ratio to a
        leading value), ``ampi`` (adjusted Mazziotta-Pareto rescaling onto about 70-130).
        Formulas and sources: :mod:`gipro.methods.normalise` and ``docs/steps/normalise.md``.
    bounds : {"pooled", "per_period"}
        ``pooled`` (default): min, max, mean, sd and ranks are taken over all units *and all
        periods* of the build, so a score of 60 means the same in every year and changes over
        time are real changes, not moving goalposts. ``per_period``: per period (each year's
        best unit scores the top of the scale; use for cross-sections only).
    constant : {"error", "drop", "midpoint"}
        An indicator with the same value for every unit (over the bounds) has nothing to be
        normalised against (field case B01). ``error`` (default): stop, naming indicator, value
        and period. ``drop``: leave the indicator out of the output (the aggregation then
        renormalises its siblings' weights). ``midpoint``: every unit gets the middle of the
        scale. The policy applied is recorded in the log.
    range : (float, float)
        Output scale of the bounded methods; default [0, 100] ([60, 100] for ``efficacy``).
    mean_sd : (float, float)
        ``zscore``: target mean and standard deviation (default [0, 1]; [100, 10] for the
        Mazziotta-Pareto index).
    ddof : {0, 1}
        ``zscore``, ``normal_cdf``: 1 = sample standard deviation (default, as COINr), 0 =
        population.
    truncate : bool
        ``goalposts``: clip values beyond the goalposts (default true).
    cap : bool
        ``target``, ``dist_ref``, ``leading``: cap scores at the top of the scale (default
        true); the number of values beyond is reported either way.
    ties : {"min", "max", "average", "dense", "ordinal"}
        ``rank``, ``borda``, ``percentile``: tie method (default ``min``, as COINr).
    formula : {"(r-1)/(n-1)", "r/n"}
        ``percentile``: COINr's (default) or pandas' ``pct`` convention.
    ref_unit : str
        ``dist_ref``: the reference unit (required).
    ref_period : int, optional
        ``dist_ref``: take the reference unit's value in this period for every period (default:
        its value in the same period). ``ampi``: the period whose mean is the reference
        (default: the first period).
    leading : mapping of str to float, optional
        ``leading``: leading value per indicator, in the indicator's unit (default: the
        framework's ``target``).
    cost : {"error", "inverse"}
        ``frac_max``, ``leading``: how to treat lower-is-better indicators, whose ratio would
        reward higher values: ``error`` (default) or ``inverse`` (score best/x, a non-linear
        reversal that must be chosen explicitly, field case B04).
    """

    method_params: ClassVar[dict[str, frozenset[str]]] = {
        "range": _norm.RANGED,
        "mean_sd": frozenset({"zscore"}),
        "ddof": frozenset({"zscore", "normal_cdf"}),
        "truncate": frozenset({"goalposts"}),
        "cap": frozenset({"target", "dist_ref", "leading"}),
        "ties": _norm.RELATIVE,
        "formula": frozenset({"percentile"}),
        "ref_unit": frozenset({"dist_ref"}),
        "ref_period": frozenset({"dist_ref", "ampi"}),
        "leading": frozenset({"leading"}),
        "cost": frozenset({"frac_max", "leading"}),
    }

    step: Literal["normalise"] = "normalise"
    output: str = "normalised"
    method: NormMethod = "minmax"
    bounds: Literal["pooled", "per_period"] = "pooled"
    constant: Literal["error", "drop", "midpoint"] = "error"
    range: tuple[float, float] = (0.0, 100.0)
    mean_sd: tuple[float, float] = (0.0, 1.0)
    ddof: Literal[0, 1] = 1
    truncate: bool = True
    cap: bool = True
    ties: Literal["min", "max", "average", "dense", "ordinal"] = "min"
    formula: Literal["(r-1)/(n-1)", "r/n"] = "(r-1)/(n-1)"
    ref_unit: str | None = None
    ref_period: int | None = None
    leading: dict[str, float] | None = None
    cost: Literal["error", "inverse"] = "error"

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("method") == "efficacy" and "range" not in data:
            data = {**data, "range": (60.0, 100.0)}
        return data

    @model_validator(mode="after")
    def _check(self) -> NormaliseStep:
        if not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        if not self.mean_sd[1] > 0:
            raise ValueError(f"mean_sd must be [mean, sd] with sd > 0, got {list(self.mean_sd)}")
        if self.method == "dist_ref" and not self.ref_unit:
            raise ValueError("method dist_ref needs ref_unit (the reference unit's code)")
        return self

    # ------------------------------------------------------------------ prepare
    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> NormalisePlan:
        fw = ctx.framework
        inds = set(fw.indicator_codes)
        codes = [c for c in ds.codes if c in inds]
        idx = [ds.codes.index(c) for c in codes]
        direction = fw.directions(codes)
        m = self.method
        p: dict[str, Any] = {}
        refs: dict[str, Any] = {}
        if m in _norm.RANGED:
            p["low"], p["high"] = self.range
        if m == "zscore":
            p["loc"], p["scale"] = self.mean_sd
        if m in ("zscore", "normal_cdf"):
            p["ddof"] = self.ddof
        if m in _norm.RELATIVE:
            p["ties"] = self.ties
        if m == "percentile":
            p["formula"] = self.formula
        if m == "goalposts":
            gp = [fw.node(c).goalposts for c in codes]
            missing = [c for c, g in zip(codes, gp, strict=True) if g is None]
            if missing:
                raise InputError(f"step {name!r}: goalposts normalisation needs goalposts for "
                                 f"every indicator; none in the framework for {missing}",
                                 ["add goalposts: [lower, upper] to these indicators"])
            lo = np.array([g[0] for g in gp], dtype=float)
            up = np.array([g[1] for g in gp], dtype=float)
            p["lower"] = np.where(direction > 0, lo, -up)
            p["upper"] = np.where(direction > 0, up, -lo)
            p["truncate"] = self.truncate
            refs.update(goalposts_lower=p["lower"], goalposts_upper=p["upper"])
        if m in ("target", "leading"):
            given = self.leading or {}
            unknown = sorted(set(given) - set(codes))
            if unknown:
                raise InputError(f"step {name!r}: leading values for unknown indicators "
                                 f"{unknown}", [*near_matches(unknown, codes),
                                                f"indicators: {', '.join(codes)}"])
            vals = [given.get(c, fw.node(c).target) for c in codes]
            missing = [c for c, v in zip(codes, vals, strict=True) if v is None]
            if missing:
                what = "a target" if m == "target" else "a leading value (or a target)"
                raise InputError(f"step {name!r}: {m} normalisation needs {what} for every "
                                 f"indicator; none for {missing}",
                                 ["add target: <value> to these indicators in the framework"
                                  + ("" if m == "target" else " or give leading: {code: value}")])
            t = np.array(vals, dtype=float) * direction
            p["target" if m == "target" else "leading"] = t
            p["cap"] = self.cap
        if m in ("leading", "frac_max"):
            p["cost"] = self.cost
        ref_unit = ref_period = None
        if m == "dist_ref":
            if self.ref_unit not in ds.units:
                gone = self.ref_unit in ctx.panel.unit_codes
                raise InputError(
                    f"step {name!r}: reference unit {self.ref_unit!r} is not in the data"
                    + (" any more: an earlier step removed it (see exclusions)" if gone else ""),
                    [*near_matches([self.ref_unit], list(ds.units)),
                     f"units: {', '.join(ds.units)}"])
            ref_unit = ds.units.index(self.ref_unit)
            if self.ref_period is not None:
                if self.ref_period not in ds.periods:
                    raise InputError(f"step {name!r}: ref_period {self.ref_period} is not in "
                                     f"the build ({ds.periods[0]}-{ds.periods[-1]})")
                ref_period = ds.periods.index(self.ref_period)
            p["cap"] = self.cap
        if m == "ampi":
            period = ds.periods[0] if self.ref_period is None else self.ref_period
            if period not in ds.periods:
                raise InputError(f"step {name!r}: ref_period {period} is not in the build")
            ref_period = ds.periods.index(period)
            refs["reference_period"] = period
        axis: Any = (-3, -2) if self.bounds == "pooled" else -2
        return NormalisePlan(name, ds.name, ds.units, ds.periods, tuple(codes), idx, direction,
                             axis, p, refs, ref_unit, ref_period)

    # ------------------------------------------------------------------ fit
    def fit(self, ctx: StepContext, plan: NormalisePlan, x: np.ndarray) -> NormaliseFit:
        """Constant indicators (the ``constant`` policy), bounds, moments and references
        (:meth:`learn` on the statistics of the oriented values).

        Raises
        ------
        MethodError
            A constant indicator under ``constant: error`` (or every indicator under
            ``drop``); a reference unit without a value.
        """
        xo = x[..., plan.idx]  # (a copy: oriented in place, one cube of memory, not two)
        xo *= plan.direction  # (= methods.normalise.orient)
        return self.learn(ctx, plan, ArrayColumns(xo, plan.axis))

    def fit_chunked(self, ctx: StepContext, plan: NormalisePlan, x: Any) -> NormaliseFit:
        """:meth:`fit` on a Dask array chunked over units: the same :meth:`learn` on bounds,
        counts and moments reduced over the blocks (:class:`gipro.steps.chunks.DaskColumns`).

        Raises
        ------
        MethodError
            As :meth:`fit`; and for the rank-based methods (``rank``, ``borda``,
            ``percentile``), whose scores are positions among every unit.
        """
        why = self.chunked_refusal()
        if why is not None:
            raise self.not_chunked(plan.step, why)
        idx, direction = plan.idx, plan.direction
        xo = x[..., idx] * direction if len(idx) else x[..., :0]
        return self.learn(ctx, plan, DaskColumns(xo, plan.axis))

    def chunked_refusal(self) -> str | None:
        """The rank-based methods: a unit's score is its position among every unit."""
        if self.method in _norm.RELATIVE:
            return ("its scores are ranks among every unit (a unit's score depends on every "
                    "other unit's value, not on per-indicator statistics)")
        return None

    def learn(self, ctx: StepContext, plan: NormalisePlan, stats: ArrayColumns) -> NormaliseFit:
        """The fit from the statistics of the oriented values over the plan's axis: the one
        implementation of the constant policy, the bounds, moments and references for
        :meth:`fit` (numpy) and :meth:`fit_chunked` (Dask).

        Raises
        ------
        MethodError
            As :meth:`fit`.
        """
        name, m = plan.step, self.method
        codes = list(plan.codes)
        keep = None
        dropped: list[str] = []
        constant: list[str] = []
        mid = None
        if m in _norm.DATA_RELATIVE:
            const = _norm.constant_bounds(*stats.bounds())
            if const.any():
                if self.constant == "error":
                    raise MethodError(
                        f"step {name!r}: {m} normalisation of a constant indicator: there "
                        "is nothing to normalise against",
                        [*self._constant_details(ctx, plan, stats, const),
                         "remove the indicator from the framework, choose units/periods where "
                         "it varies, or set constant: drop or constant: midpoint"],
                    )
                cols = sorted(set(np.argwhere(const)[:, -1].tolist()))
                constant = [codes[k] for k in cols]
                if self.constant == "drop":
                    if len(cols) == len(codes):
                        raise MethodError(
                            f"step {name!r}: every indicator is constant (policy constant: "
                            "drop would leave nothing to score)",
                            [*self._constant_details(ctx, plan, stats, const),
                             "choose units/periods where the indicators vary, or set "
                             "constant: midpoint"])
                    dropped = constant
                    keep = [k for k in range(len(codes)) if k not in cols]
                    codes = [codes[k] for k in keep]
                else:
                    mid = const
        learnt: dict[str, np.ndarray] = {}
        if m == "dist_ref":
            ui, pi = plan.ref_unit, plan.ref_period
            ref = stats.unit(ui, pi)
            ref = ref if keep is None else ref[..., keep]
            bad = np.argwhere(np.isnan(ref))
            if bad.size:
                p_, _, k = bad[0]
                when = self.ref_period if pi is not None else plan.periods[p_]
                raise MethodError(f"step {name!r}: the reference unit {self.ref_unit} has no "
                                  f"value for {codes[k]} in {when}",
                                  ["choose another reference unit or set ref_period"])
            learnt["reference"] = ref
        if m == "ampi":
            learnt["reference"] = stats.period_mean(plan.ref_period, keep)[None]
        lower = upper = mean = sd = None
        if m in _norm.DATA_RELATIVE:
            lower, upper = stats.bounds(keep)
            if m in ("zscore", "normal_cdf", "ampi"):
                mean, sd = stats.moments(keep, self.ddof if m != "ampi" else 0)
        observed = {"lower": lower, "upper": upper, "mean": mean, "sd": sd}
        for k in FREEZABLE.get(m, ()):
            if k not in learnt:
                v = observed[k]
                learnt[k] = v if mid is None else np.where(mid, np.nan, v)
        return NormaliseFit(tuple(codes), keep, tuple(dropped), tuple(constant), mid, learnt,
                            lower, upper, mean, sd, tuple(plan.periods))

    def freeze(self, plan: NormalisePlan, fit: NormaliseFit, ds: DataSet) -> NormaliseFit:
        """A baseline's fit for these data: its rows for these periods (projected periods:
        the nearest baseline period's), its indicators among these.

        Raises
        ------
        MethodError, InputError
            The fit is not one of this method; an indicator of the fit is not in the data.
        """
        check_codes(plan.step, "frozen indicators", list(fit.codes), list(plan.codes))
        rows = align_periods(fit.periods, ds.periods)
        n = len(fit.periods)

        def aligned(a: Any) -> Any:
            if a is None:
                return None
            a = np.asarray(a)
            return a[rows] if a.ndim == 3 and a.shape[0] == n > 1 else a

        keep = [plan.codes.index(c) for c in fit.codes]
        return replace(fit, keep=None if keep == list(range(len(plan.codes))) else keep,
                       midpoint=aligned(fit.midpoint),
                       params={k: aligned(v) for k, v in fit.params.items()},
                       lower=aligned(fit.lower), upper=aligned(fit.upper),
                       mean=aligned(fit.mean), sd=aligned(fit.sd),
                       extra_periods=tuple(p for p in ds.periods if p not in fit.periods))

    # ------------------------------------------------------------------ transform
    def transform(self, plan: NormalisePlan, fit: NormaliseFit, x: np.ndarray) -> np.ndarray:
        """Normalise with the kernel of the method and the fit's parameters.

        Raises
        ------
        MethodError
            Negative values before a ratio (``frac_max``, ``leading``); whatever the kernel
            refuses.
        """
        m = self.method
        xo = _norm.orient(x[..., plan.idx], plan.direction)
        params = dict(plan.params)
        if fit.keep is not None:
            xo = xo[..., fit.keep]
            for k, v in params.items():
                if isinstance(v, np.ndarray) and v.shape[-1:] == (len(plan.codes),):
                    params[k] = v[..., fit.keep]
        mid = fit.midpoint
        xin = xo if mid is None else np.where(mid, np.nan, xo)
        if fit.clip:
            xin = np.clip(xin, fit.lower, fit.upper)
        if m in ("frac_max", "leading"):
            self._check_ratio(plan, fit, xin)
        params.update(fit.params)
        if m not in _norm.AXIS_FREE:
            params["axis"] = plan.axis
        if m not in _norm.RELATIVE:
            params["names"] = list(fit.codes)
        try:
            y = _norm.METHODS[m](xin, **params)
        except MethodError as exc:
            frozen = " (frozen parameters)" if fit.source else ""
            raise MethodError(f"step {plan.step!r}{frozen}: {exc.message}",
                              exc.details) from None
        if mid is not None:
            n_obs = (~np.isnan(xo)).sum(axis=plan.axis, keepdims=True)
            y = np.where(mid & ~np.isnan(xo), _norm.midpoint(m, params, n_obs), y)
        return y

    def row_wise(self, plan: NormalisePlan, fit: NormaliseFit) -> bool:
        return self.method not in _norm.RELATIVE  # (ranks compare the units)

    def labels(self, plan: NormalisePlan, fit: NormaliseFit, ds: DataSet
               ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ds.units, fit.codes

    # ------------------------------------------------------------------ explain
    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: NormalisePlan,
                fit: NormaliseFit, out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        m = self.method
        codes = list(fit.codes)
        lean = (fit.source is None and fit.lower is not None
                and m not in ("target", "dist_ref"))  # nothing read from the values again
        xo = None
        if not lean:
            xo = _norm.orient(ds.values[..., plan.idx], plan.direction)
            if fit.keep is not None:
                xo = xo[..., fit.keep]
        if fit.source is not None:
            return self._explain_frozen(ds, plan, fit, xo)
        notes = [f"{_DESCRIBE[m]}, after multiplying each indicator (and any target, "
                 "goalpost or leading value) by its direction"]
        if m in _norm.RANGED:
            notes[0] += f"; scale [{fmt(self.range[0])}, {fmt(self.range[1])}]"
        span = f"{ds.periods[0]}-{ds.periods[-1]}"
        if m in _norm.DATA_RELATIVE:
            notes.append(f"bounds pooled over all periods {span}: scores are comparable across "
                         "periods" if self.bounds == "pooled" else
                         "bounds per period: each period's best unit scores the top of the "
                         "scale")
        fitted: dict[str, Any] = {"method": m, "codes": list(plan.codes), "bounds": self.bounds}
        if fit.constant:
            if fit.dropped:
                notes.append("constant indicator(s) dropped (policy constant: drop): "
                             + ", ".join(fit.dropped))
            else:
                notes.append("constant indicator(s) set to the middle of the scale (policy "
                             "constant: midpoint): " + ", ".join(fit.constant))
            fitted["constant"] = list(fit.constant)
        fitted["dropped_codes"] = list(fit.dropped)
        if m in _norm.DATA_RELATIVE:
            fitted.update(lower=fit.lower, upper=fit.upper)
            if fit.mean is not None:
                fitted.update(mean=fit.mean, sd=fit.sd)
        refs = dict(plan.refs)
        keep = fit.keep
        if keep is not None:
            refs = {k: (v[..., keep] if isinstance(v, np.ndarray) else v) for k, v in refs.items()}
        if m in ("target", "leading"):
            t = plan.params["target" if m == "target" else "leading"]
            refs["reference"] = np.broadcast_to(t if keep is None else t[keep],
                                                (1, 1, len(codes)))
        if "reference" in fit.params:
            refs["reference"] = fit.params["reference"]
        order = ("goalposts_lower", "goalposts_upper", "reference", "reference_period")
        fitted.update({k: refs[k] for k in order if k in refs})
        if refs.get("reference") is not None and m in ("target", "dist_ref", "leading"):
            notes.extend(self._beyond(codes, xo, refs["reference"]))
        if m == "goalposts":
            lo, up = plan.params["lower"], plan.params["upper"]
            # (keep is None: goalposts drop no indicator, and a fit from another build is
            # explained by _explain_frozen)
            n_out = int((~np.isnan(xo) & ((xo < lo) | (xo > up))).sum())
            if n_out:
                notes.append(f"{n_out} values outside their goalposts "
                             + ("truncated to the goalposts" if self.truncate else
                                "(not truncated: scores beyond the scale)"))
        nothing = (np.isnan(fit.lower).reshape(-1, len(codes)).all(axis=0) if lean
                   else np.isnan(xo).reshape(-1, len(codes)).all(axis=0))
        empty = [c for c, e in zip(codes, nothing, strict=True) if e]
        if empty:
            notes.append(f"no data at all (left missing): {', '.join(empty)}")
        return notes, fitted

    def _explain_frozen(self, ds: DataSet, plan: NormalisePlan, fit: NormaliseFit,
                        xo: np.ndarray) -> tuple[list[str], dict[str, Any]]:
        """Notes and table of a normalisation with a baseline's parameters (scenarios)."""
        m, codes, source = self.method, list(fit.codes), fit.source
        direction = plan.direction if fit.keep is None else plan.direction[fit.keep]
        lower, upper = fit.lower, fit.upper
        mid = fit.midpoint
        xin = xo if mid is None else np.where(mid, np.nan, xo)
        obs = ~np.isnan(xin)
        with np.errstate(invalid="ignore"):
            beyond = obs & ((xin < lower) | (xin > upper))
        notes = [f"{_DESCRIBE[m]}, with the parameters learnt in {source} (frozen: "
                 f"{', '.join(fit.params)} not re-estimated from these data)"]
        extra = [str(p) for p in fit.extra_periods]
        if extra:
            notes.append(f"periods not in {source} ({listing(extra)}) use the parameters of its "
                         "nearest period" if self.bounds == "per_period" else
                         f"periods not in {source} ({listing(extra)}) use the same pooled "
                         "parameters")
        n_out = int(beyond.sum())
        table = self._beyond_table(ds, codes, direction, xo, lower, upper, beyond)
        if n_out:
            per = ", ".join(f"{c} {int(beyond[..., k].sum())}"
                            for k, c in enumerate(codes) if beyond[..., k].any())
            notes.append(f"{n_out} values beyond the frozen bounds ({per}): "
                         + ("set to the bound before normalising (clip: true)" if fit.clip else
                            "scored beyond the scale (clip: false)"))
        midpoint = [c for c in fit.constant if c not in set(fit.dropped)]
        if midpoint:
            notes.append("indicators constant in the baseline kept at the middle of the scale: "
                         + ", ".join(midpoint))
        if fit.dropped:
            notes.append("indicators dropped in the baseline (constant) left out: "
                         + ", ".join(fit.dropped))
        fitted: dict[str, Any] = {"method": m, "codes": codes, "bounds": self.bounds,
                                  "dropped_codes": list(fit.dropped), "constant": midpoint,
                                  "lower": lower, "upper": upper, "frozen": True,
                                  "clip": fit.clip, "beyond": table}
        for key in ("mean", "sd", "reference"):
            if key in fit.params:
                fitted[key] = fit.params[key]
        return notes, fitted

    @staticmethod
    def _beyond_table(ds: DataSet, codes: list[str], direction: np.ndarray, x: np.ndarray,
                      lower: np.ndarray, upper: np.ndarray, mask: np.ndarray) -> pd.DataFrame:
        """Values beyond frozen bounds: unit, period, indicator, value and the bounds (raw)."""
        pi, ui, k = np.nonzero(mask)
        lo = np.broadcast_to(lower, x.shape)[pi, ui, k] * direction[k]
        up = np.broadcast_to(upper, x.shape)[pi, ui, k] * direction[k]
        return pd.DataFrame({
            "unit": np.array(ds.units, dtype=object)[ui],
            "period": np.array(ds.periods)[pi],
            "indicator": np.array(codes, dtype=object)[k],
            "value": x[pi, ui, k] * direction[k],
            "bound_low": np.minimum(lo, up), "bound_high": np.maximum(lo, up),
            "side": np.where(x[pi, ui, k] > np.broadcast_to(upper, x.shape)[pi, ui, k],
                             "better than the best baseline value",
                             "worse than the worst baseline value"),
        })

    # ------------------------------------------------------------------ helpers
    def _check_ratio(self, plan: NormalisePlan, fit: NormaliseFit, x: np.ndarray) -> None:
        """Name indicator, unit and period of a negative value before a ratio (B07)."""
        direction = plan.direction if fit.keep is None else plan.direction[fit.keep]
        neg = ~np.isnan(x) & (x < 0) & (direction > 0)
        if neg.any():
            idx = tuple(np.argwhere(neg)[0])
            pi, ui, k = idx[-3:]
            raise MethodError(
                f"step {plan.step!r}: {self.method} needs non-negative values; {fit.codes[k]} is "
                f"{fmt(x[idx])} for unit {plan.units[ui]} in {plan.periods[pi]} "
                f"({int(neg.sum())} negative values; field case B07)",
                ["use minmax or target, which accept negative values"],
            )

    def _beyond(self, codes: list[str], x: np.ndarray, ref: np.ndarray) -> list[str]:
        over = ~np.isnan(x) & (x > ref)
        if not over.any():
            return []
        what = {"target": "the target", "dist_ref": f"the reference unit {self.ref_unit}",
                "leading": "the leading value"}[self.method]
        per = ", ".join(f"{codes[k]} {int(over[..., k].sum())}" for k in range(len(codes))
                        if over[..., k].any())
        done = "capped at the top of the scale" if self.cap else "scored above the top of the " \
            "scale (cap: false)"
        return [f"{int(over.sum())} values beyond {what}, {done}: {per}"]

    @staticmethod
    def _constant_details(ctx: StepContext, plan: NormalisePlan, stats: ArrayColumns,
                          const: np.ndarray) -> list[str]:
        lower, _ = stats.bounds()
        n_obs_all = stats.counts()
        details = []
        pooled = plan.axis == (-3, -2)
        for idx in np.argwhere(const):
            code = plan.codes[idx[-1]]
            unit = ctx.measure(plan.dataset, code)  # after denomination, if any
            when = (f"over {plan.periods[0]}-{plan.periods[-1]}" if pooled
                    else f"in period {plan.periods[idx[0]]}")
            value = lower[tuple(idx)] * plan.direction[idx[-1]]
            n_obs, n_cells = int(n_obs_all[tuple(idx)]), stats.n_cells
            if n_obs == 1:  # not "the same value for every unit": one value, the rest missing
                details.append(f"indicator {code} ({unit or 'no unit'}) has only 1 observed "
                               f"value ({fmt(value)}) {when}; " + (
                                   "the other cell is missing" if n_cells == 2 else
                                   f"the other {n_cells - 1} cells are missing"))
            else:
                every = "every unit" if n_obs == n_cells else \
                    f"every unit with data ({n_obs} of {n_cells} cells observed)"
                details.append(f"indicator {code} ({unit or 'no unit'}) has the same value "
                               f"{fmt(value)} for {every} {when}")
        return details
