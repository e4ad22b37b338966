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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import normalise as _norm
from .base import MethodParams, StepSpec, check_codes, fmt, listing, near_matches

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["FREEZABLE", "NormaliseStep"]

NormMethod = Literal["minmax", "zscore", "goalposts", "target", "dist_ref", "dist_max",
                     "frac_max", "percentile", "rank", "borda", "efficacy", "normal_cdf",
                     "leading", "ampi"]

_RANGED = frozenset({"minmax", "goalposts", "target", "dist_ref", "dist_max", "frac_max",
                     "percentile", "efficacy", "normal_cdf", "leading"})

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
        "range": _RANGED,
        "mean_sd": frozenset({"zscore"}),
        "ddof": frozenset({"zscore", "normal_cdf"}),
        "truncate": frozenset({"goalposts"}),
        "cap": frozenset({"target", "dist_ref", "leading"}),
        "ties": frozenset({"rank", "borda", "percentile"}),
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

    # ------------------------------------------------------------------ apply
    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        frozen = getattr(build, "frozen", {}).get(name)
        if frozen is not None and self.method in FREEZABLE:
            return self._apply_frozen(build, name, ds, frozen)
        fw = build.framework
        codes = [c for c in ds.codes if c in set(fw.indicator_codes)]
        direction = fw.directions(codes)
        x = _norm.orient(ds.take(codes), direction)
        axis: Any = (0, 1) if self.bounds == "pooled" else 1
        method = self.method
        notes = [f"{_DESCRIBE[method]}, after multiplying each indicator (and any target, "
                 "goalpost or leading value) by its direction"]
        if method in _RANGED:
            notes[0] += f"; scale [{fmt(self.range[0])}, {fmt(self.range[1])}]"
        span = f"{ds.periods[0]}-{ds.periods[-1]}"
        if method in _norm.DATA_RELATIVE:
            notes.append(f"bounds pooled over all periods {span}: scores are comparable across "
                         "periods" if self.bounds == "pooled" else
                         "bounds per period: each period's best unit scores the top of the "
                         "scale")
        fitted: dict[str, Any] = {"method": method, "codes": codes, "bounds": self.bounds}

        # ---- constant indicators (field case B01): one policy for every method
        dropped: list[str] = []
        policy = "error"
        if method in _norm.DATA_RELATIVE:
            const = _norm.constant_columns(x, axis)
            if const.any():
                if self.constant == "error":
                    raise MethodError(
                        f"step {name!r}: {method} normalisation of a constant indicator: there "
                        "is nothing to normalise against",
                        [*self._constant_details(build, ds, codes, direction, x, const, axis),
                         "remove the indicator from the framework, choose units/periods where "
                         "it varies, or set constant: drop or constant: midpoint"],
                    )
                cols = sorted(set(np.argwhere(const)[:, -1].tolist()))
                if self.constant == "drop":
                    if len(cols) == len(codes):
                        raise MethodError(
                            f"step {name!r}: every indicator is constant (policy constant: "
                            "drop would leave nothing to score)",
                            [*self._constant_details(build, ds, codes, direction, x, const, axis),
                             "choose units/periods where the indicators vary, or set "
                             "constant: midpoint"])
                    dropped = [codes[k] for k in cols]
                    keep = [k for k in range(len(codes)) if k not in cols]
                    codes = [codes[k] for k in keep]
                    x = x[..., keep]
                    direction = direction[keep]
                    notes.append("constant indicator(s) dropped (policy constant: drop): "
                                 + ", ".join(dropped))
                else:
                    policy = "midpoint"
                    notes.append("constant indicator(s) set to the middle of the scale (policy "
                                 "constant: midpoint): " + ", ".join(codes[k] for k in cols))
                fitted["constant"] = [c for k, c in enumerate(fitted["codes"]) if k in cols]
        fitted["dropped_codes"] = dropped

        params, refs = self._params(build, name, ds, codes, direction, x)
        if method in ("frac_max", "leading"):
            self._check_ratio(name, ds, codes, direction, x)
        try:
            y = _norm.normalise(x, method, axis=axis, constant=policy, names=codes, **params)
        except MethodError as exc:
            raise MethodError(f"step {name!r}: {exc.message}", exc.details) from None

        # ---- record what was learnt, report values beyond targets
        if method in _norm.DATA_RELATIVE:
            lower, upper = _norm.column_bounds(x, axis)
            fitted.update(lower=lower, upper=upper)
            if method in ("zscore", "normal_cdf", "ampi"):
                mean, sd, _ = _norm.column_moments(x, axis, ddof=self.ddof if method != "ampi"
                                                   else 0)
                fitted.update(mean=mean, sd=sd)
        fitted.update(refs)
        if refs.get("reference") is not None and method in ("target", "dist_ref", "leading"):
            notes.extend(self._beyond(ds, codes, x, refs["reference"]))
        if method == "goalposts":
            lo, up = params["lower"], params["upper"]
            out = int((~np.isnan(x) & ((x < lo) | (x > up))).sum())
            if out:
                notes.append(f"{out} values outside their goalposts "
                             + ("truncated to the goalposts" if self.truncate else
                                "(not truncated: scores beyond the scale)"))
        empty = [c for k, c in enumerate(codes) if np.isnan(x[..., k]).all()]
        if empty:
            notes.append(f"no data at all (left missing): {', '.join(empty)}")
        build.fitted[name] = fitted
        return DataSet(self.output, y, ds.units, ds.periods, tuple(codes)), notes

    # ------------------------------------------------------------------ frozen parameters
    def frozen_state(self, build: Build, name: str) -> dict[str, Any] | None:
        """What this step learnt in a run build, to normalise other data the same way.

        Scenario evaluation (:mod:`gipro.scenario`) normalises changed data with the
        parameters learnt from the baseline build -- bounds, moments, reference values --
        so that a score keeps its meaning and only the changed units move (the "fit on the
        baseline, apply to the scenario" rule of scikit-learn's ``fit``/``transform``; OECD/JRC
        Handbook 2008, section 5: goalposts fixed over time make scores comparable). Pass
        the returned state to ``Build(..., frozen={name: state})``.

        Returns
        -------
        dict or None
            ``method``, ``codes`` (after any constant drop), ``periods`` of the build,
            ``params`` (kernel parameters, arrays of shape (1 or n_periods, 1, n_codes)),
            ``bounds`` (oriented ``lower``, ``upper``), ``midpoint`` (codes constant in the
            baseline, kept at the middle of the scale), ``dropped``; ``None`` for methods
            with nothing learnt from the data (goalposts, leading) or nothing that can be
            frozen (rank, borda, percentile: a rank is only defined against the other units).

        Raises
        ------
        InputError
            If the build has not run this step.
        """
        if self.method not in FREEZABLE:
            return None
        fitted = build.fitted.get(name)
        if fitted is None:
            raise InputError(f"step {name!r} has not been run in this build; run the build "
                             "first")
        dropped = list(fitted.get("dropped_codes", []))
        codes = [c for c in fitted["codes"] if c not in set(dropped)]
        params = {k: np.asarray(fitted[k], dtype=float) for k in FREEZABLE[self.method]}
        return {"method": self.method, "codes": codes, "periods": tuple(build.periods),
                "per_period": self.bounds == "per_period", "params": params,
                "bounds": {"lower": np.asarray(fitted["lower"], dtype=float),
                           "upper": np.asarray(fitted["upper"], dtype=float)},
                "midpoint": [c for c in fitted.get("constant", []) if c not in set(dropped)],
                "dropped": dropped, "clip": False}

    def _apply_frozen(self, build: Build, name: str, ds: DataSet, state: Mapping[str, Any]
                      ) -> tuple[DataSet, list[str]]:
        """Normalise with parameters learnt elsewhere (see :meth:`frozen_state`)."""
        fw = build.framework
        method = self.method
        if state.get("method") != method:
            raise MethodError(f"step {name!r}: frozen parameters are for method "
                              f"{state.get('method')!r}, the step uses {method!r}")
        codes = list(state["codes"])
        check_codes(name, "frozen indicators", codes, list(ds.codes))
        direction = fw.directions(codes)
        x = _norm.orient(ds.take(codes), direction)
        # baseline row for each period: its own; before the first / after the last (projected
        # periods): the first / last baseline period's parameters
        base = list(state["periods"])
        rows = np.array([base.index(p) if p in base else (len(base) - 1 if p > base[-1] else 0)
                         for p in ds.periods])
        extra = [p for p in ds.periods if p not in base]

        def aligned(arr: np.ndarray) -> np.ndarray:
            arr = np.asarray(arr, dtype=float)
            return arr[rows] if arr.ndim == 3 and arr.shape[0] == len(base) > 1 else arr

        lower = aligned(state["bounds"]["lower"])
        upper = aligned(state["bounds"]["upper"])
        mid = np.array([c in set(state.get("midpoint", [])) for c in codes])
        params, _ = self._params(build, name, ds, codes, direction, x)
        for key, arr in state["params"].items():
            params[key] = np.where(mid, np.nan, aligned(arr))
        xin = np.where(mid, np.nan, x)
        obs = ~np.isnan(xin)
        below = obs & (xin < lower)
        above = obs & (xin > upper)
        clip = bool(state.get("clip", False))
        if clip:
            xin = np.clip(xin, lower, upper)
        kwargs = dict(params)
        if method not in ("goalposts", "leading"):
            kwargs["axis"] = (0, 1) if self.bounds == "pooled" else 1
        kwargs["names"] = codes
        if method in ("frac_max", "leading"):
            self._check_ratio(name, ds, codes, direction, xin)
        try:
            y = _norm.METHODS[method](xin, **kwargs)
        except MethodError as exc:
            raise MethodError(f"step {name!r} (frozen parameters): {exc.message}",
                              exc.details) from None
        if mid.any():
            n_obs = (~np.isnan(x)).sum(axis=(0, 1), keepdims=True)
            y = np.where(mid & ~np.isnan(x), _norm.midpoint(method, params, n_obs), y)
        source = state.get("source", "the baseline build")
        notes = [f"{_DESCRIBE[method]}, with the parameters learnt in {source} (frozen: "
                 f"{', '.join(state['params'])} not re-estimated from these data)"]
        if extra:
            notes.append(f"periods not in {source} ({listing([str(p) for p in extra])}) use "
                         "the parameters of its nearest period" if self.bounds == "per_period"
                         else f"periods not in {source} ({listing([str(p) for p in extra])}) "
                         "use the same pooled parameters")
        n_out = int(below.sum() + above.sum())
        table = self._beyond_table(ds, codes, direction, x, lower, upper, below | above)
        if n_out:
            per = ", ".join(f"{c} {int((below | above)[..., k].sum())}"
                            for k, c in enumerate(codes) if (below | above)[..., k].any())
            notes.append(f"{n_out} values beyond the frozen bounds ({per}): "
                         + ("set to the bound before normalising (clip: true)" if clip else
                            "scored beyond the scale (clip: false)"))
        if state.get("midpoint"):
            notes.append("indicators constant in the baseline kept at the middle of the scale: "
                         + ", ".join(state["midpoint"]))
        if state.get("dropped"):
            notes.append("indicators dropped in the baseline (constant) left out: "
                         + ", ".join(state["dropped"]))
        fitted: dict[str, Any] = {"method": method, "codes": codes, "bounds": self.bounds,
                                  "dropped_codes": list(state.get("dropped", [])),
                                  "constant": list(state.get("midpoint", [])),
                                  "lower": lower, "upper": upper, "frozen": True,
                                  "clip": clip, "beyond": table}
        for key in ("mean", "sd", "reference"):
            if key in params:
                fitted[key] = params[key]
        build.fitted[name] = fitted
        return DataSet(self.output, y, ds.units, ds.periods, tuple(codes)), notes

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
    def _params(self, build: Build, name: str, ds: DataSet, codes: list[str],
                direction: np.ndarray, x: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        fw = build.framework
        m = self.method
        p: dict[str, Any] = {}
        refs: dict[str, Any] = {}
        if m in _RANGED:
            p["low"], p["high"] = self.range
        if m == "zscore":
            p["loc"], p["scale"] = self.mean_sd
        if m in ("zscore", "normal_cdf"):
            p["ddof"] = self.ddof
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
            refs["reference"] = np.broadcast_to(t, (1, 1, len(codes)))
        if m == "leading":
            p["cost"] = self.cost
        if m == "frac_max":
            p["cost"] = self.cost
        if m == "dist_ref":
            if self.ref_unit not in ds.units:
                gone = self.ref_unit in build.panel.unit_codes
                raise InputError(
                    f"step {name!r}: reference unit {self.ref_unit!r} is not in the data"
                    + (" any more: an earlier step removed it (see exclusions)" if gone else ""),
                    [*near_matches([self.ref_unit], list(ds.units)),
                     f"units: {', '.join(ds.units)}"])
            ui = ds.units.index(self.ref_unit)
            if self.ref_period is not None:
                if self.ref_period not in ds.periods:
                    raise InputError(f"step {name!r}: ref_period {self.ref_period} is not in "
                                     f"the build ({ds.periods[0]}-{ds.periods[-1]})")
                ref = x[ds.periods.index(self.ref_period), ui, :][None, None, :]
            else:
                ref = x[:, ui, :][:, None, :]
            bad = np.argwhere(np.isnan(ref))
            if bad.size:
                pi, _, k = bad[0]
                when = self.ref_period if self.ref_period is not None else ds.periods[pi]
                raise MethodError(f"step {name!r}: the reference unit {self.ref_unit} has no "
                                  f"value for {codes[k]} in {when}",
                                  ["choose another reference unit or set ref_period"])
            p["reference"] = ref
            p["cap"] = self.cap
            refs["reference"] = ref
        if m == "ampi":
            period = ds.periods[0] if self.ref_period is None else self.ref_period
            if period not in ds.periods:
                raise InputError(f"step {name!r}: ref_period {period} is not in the build")
            pi = ds.periods.index(period)
            mean, _, _ = _norm.column_moments(x[pi], axis=0, ddof=0)
            p["reference"] = mean[None]
            refs["reference"] = mean[None]
            refs["reference_period"] = period
        return p, refs

    def _check_ratio(self, name: str, ds: DataSet, codes: list[str], direction: np.ndarray,
                     x: np.ndarray) -> None:
        """Name indicator, unit and period of a negative value before a ratio (B07)."""
        neg = ~np.isnan(x) & (x < 0) & (direction > 0)
        if neg.any():
            pi, ui, k = np.argwhere(neg)[0]
            raise MethodError(
                f"step {name!r}: {self.method} needs non-negative values; {codes[k]} is "
                f"{fmt(x[pi, ui, k])} for unit {ds.units[ui]} in {ds.periods[pi]} "
                f"({int(neg.sum())} negative values; field case B07)",
                ["use minmax or target, which accept negative values"],
            )

    def _beyond(self, ds: DataSet, codes: list[str], x: np.ndarray, ref: np.ndarray
                ) -> list[str]:
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
    def _constant_details(build: Any, ds: DataSet, codes: list[str], direction: np.ndarray,
                          x: np.ndarray, const: np.ndarray, axis: Any) -> list[str]:
        from ..units import unit_of

        lower, _ = _norm.column_bounds(x, axis)
        details = []
        for idx in np.argwhere(const):
            code = codes[idx[-1]]
            unit = unit_of(build, ds.name, code)  # after denomination, if any
            when = (f"over {ds.periods[0]}-{ds.periods[-1]}" if axis == (0, 1)
                    else f"in period {ds.periods[idx[0]]}")
            value = lower[tuple(idx)] * direction[idx[-1]]
            cells = x[..., idx[-1]] if axis == (0, 1) else x[idx[0], :, idx[-1]]
            n_obs, n_cells = int((~np.isnan(cells)).sum()), cells.size
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
