"""The ``impute`` step: fill missing values (never observed ones), and report what stays missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..dataset import DataSet
from ..errors import InputError
from ..methods import impute as _imp
from .base import StepContext, StepSpec, align_periods, check_codes, listing
from .chunks import group_means, group_medians

__all__ = ["ImputeFit", "ImputePlan", "ImputeStep", "sklearn_imputer"]

_CROSS = ("mean", "median", "group_mean", "group_median")
_TABLE = ("iterative", "knn", "function")


def sklearn_imputer(kind: str, params: dict[str, Any], seed: int) -> Callable:
    """A ``table -> table`` function from scikit-learn's IterativeImputer or KNNImputer.

    scikit-learn is an optional dependency (``pip install gipro[impute]``).

    Raises
    ------
    InputError
        If scikit-learn is not installed or the parameters are invalid.
    """
    try:
        if kind == "iterative":
            from sklearn.experimental import enable_iterative_imputer  # noqa: F401
            from sklearn.impute import IterativeImputer as cls
            params = {"random_state": seed, **params}
        else:
            from sklearn.impute import KNNImputer as cls
    except ImportError:
        raise InputError(
            f"impute method {kind!r} needs scikit-learn, which is not installed",
            ["pip install 'gipro[impute]' (or scikit-learn), or choose another method"],
        ) from None
    try:
        imputer = cls(**params)
    except TypeError as exc:
        raise InputError(f"invalid parameters for scikit-learn {cls.__name__}: {exc}") from None

    def run(table: np.ndarray) -> np.ndarray:
        return imputer.fit_transform(table)

    run.__qualname__ = f"sklearn {cls.__name__}({params})"
    return run


@dataclass(frozen=True)
class ImputePlan:
    """The impute step's labels: the columns imputed and, for group methods, each unit's
    group (-1: none)."""

    step: str
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    idx: list[int]
    groups: np.ndarray | None = None
    group_names: tuple[str, ...] = ()
    no_group: tuple[str, ...] = ()
    function: Callable | None = None


@dataclass(frozen=True)
class ImputeFit:
    """The completed values of the imputed columns, shape (n_periods, n_units, n_codes):
    observed values as they are, missing ones filled (NaN where nothing could be imputed).

    A build chunked over units learns the statistic that fills each column instead
    (``fill``, shape (n_periods or 1, n_groups + 1 or 1, n_codes): per period or pooled, per
    group with a last row of NaN for units without a group; ``values`` is then ``None``);
    the methods over time learn nothing beyond each unit's own values (both ``None``: the
    transform fills a block of units from its own periods)."""

    values: np.ndarray | None
    periods: tuple[int, ...]
    units: tuple[str, ...]
    codes: tuple[str, ...]
    source: str | None = None
    fill: np.ndarray | None = None

    def frozen(self, source: str) -> ImputeFit:
        """This fit handed to another build (scenario evaluation): learnt in ``source``."""
        return replace(self, source=source)


class ImputeStep(StepSpec):
    """Fill missing values; observed values are never changed.

    Attributes
    ----------
    method : str
        * ``mean`` / ``median`` -- the indicator's mean/median over the other units
          (OECD/JRC 2008 step 3; COINr ``i_mean``/``i_median``);
        * ``group_mean`` / ``group_median`` -- the same within the unit's group (``group``: a
          unit metadata column, e.g. a region or income group; COINr ``i_mean_grp``). Units
          without a group are not imputed and are reported;
        * ``linear`` / ``constant`` / ``linear_constant`` -- per unit over periods
          (COINr ``impute_panel``): linear interpolation (nearest observed value outside the
          observed range; a series with a single observation stays missing), last observation
          carried forward (first observation backward), or linear where a series has two or
          more observations and constant where it has one;
        * ``iterative`` / ``knn`` -- scikit-learn's IterativeImputer / KNNImputer on each
          period's units x indicators table (optional dependency; ``params`` are passed to the
          imputer, ``seed`` is IterativeImputer's ``random_state``);
        * ``function`` -- any Python callable ``table -> table`` given as ``function=`` (Python
          API only; not written to recipe files).
    group : str, optional
        Unit metadata column for the group methods.
    scope : {"per_period", "pooled"}
        For the cross-sectional and table methods: statistics from each period's units
        (default; COINr imputes each period -- each coin of a purse -- separately, so a value
        is filled from the same year's data) or pooled over all periods of the build.
    indicators : list of str, optional
        Impute only these codes (default: every code of the input data set).
    params : mapping
        Extra parameters of the scikit-learn imputer.
    seed : int
        Random seed for ``iterative`` (default 0).
    function : callable, optional
        The table imputer for ``method: function``.

    Notes
    -----
    ``build.fitted[name]``: ``imputed`` (unit, period, indicator, value, method) and
    ``missing`` (unit, period, indicator, reason) -- every value still missing and why.
    """

    step: Literal["impute"] = "impute"
    output: str = "imputed"
    method: Literal["mean", "median", "group_mean", "group_median", "linear", "constant",
                    "linear_constant", "iterative", "knn", "function"] = "mean"
    group: str | None = None
    scope: Literal["per_period", "pooled"] = "per_period"
    indicators: list[str] | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    function: Callable[[np.ndarray], np.ndarray] | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> ImputeStep:
        if self.method.startswith("group_") and not self.group:
            raise ValueError(f"method {self.method!r} needs 'group' (a unit metadata column)")
        if self.group and not self.method.startswith("group_"):
            raise ValueError(f"'group' applies to group_mean/group_median, not {self.method!r}")
        if self.method == "function" and self.function is None:
            raise ValueError("method 'function' needs function= (a Python callable)")
        if self.scope == "pooled" and self.method in _imp.PANEL_METHODS:
            raise ValueError(f"'scope: pooled' does not apply to {self.method!r}, which works "
                             "along each unit's own periods")
        if self.params and self.method not in ("iterative", "knn"):
            raise ValueError("'params' apply to the scikit-learn methods iterative and knn")
        return self

    # ------------------------------------------------------------------ the contract
    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> ImputePlan:
        codes = list(ds.codes) if self.indicators is None else list(self.indicators)
        check_codes(name, "indicators", codes, list(ds.codes))
        plan = ImputePlan(name, ds.units, ds.periods, tuple(codes),
                          [ds.codes.index(c) for c in codes])
        if self.method in ("group_mean", "group_median"):
            groups, gnames, no_group = self._groups(ctx.panel, ds)
            return replace(plan, groups=groups, group_names=tuple(gnames),
                           no_group=tuple(no_group))
        if self.method in _TABLE:
            return replace(plan, function=self.function if self.method == "function"
                           else sklearn_imputer(self.method, self.params, self.seed))
        return plan

    def fit(self, ctx: StepContext, plan: ImputePlan, x: np.ndarray) -> ImputeFit:
        """Impute the plan's columns (the kernels of :mod:`gipro.methods.impute`)."""
        x = x[..., plan.idx]
        axis = -2 if self.scope == "per_period" else (-3, -2)
        if self.method in ("mean", "median"):
            y = (_imp.mean if self.method == "mean" else _imp.median)(x, axis=axis)
        elif self.method in ("group_mean", "group_median"):
            y = _imp.group_stat(x, plan.groups, stat=self.method[6:], axis=axis)
        elif self.method in _imp.PANEL_METHODS:
            y = _imp.panel(x, plan.periods, method=self.method, axis=0)
        elif self.scope == "pooled":
            p, u, k = x.shape
            y = _imp.table(x.reshape(p * u, k), plan.function,
                           names=list(plan.codes)).reshape(x.shape)
        else:
            y = _imp.table(x, plan.function, names=list(plan.codes))
        return ImputeFit(y, plan.periods, plan.units, plan.codes)

    def freeze(self, plan: ImputePlan, fit: ImputeFit, ds: DataSet) -> ImputeFit:
        """A baseline's imputed values for these data: the same unit, period (projected
        periods: the last period's) and indicator; NaN where the baseline has none."""
        rows = align_periods(fit.periods, ds.periods)
        bunits = {u: i for i, u in enumerate(fit.units)}
        bcodes = {c: i for i, c in enumerate(fit.codes)}
        ui = np.array([bunits.get(u, -1) for u in ds.units])
        ki = np.array([bcodes.get(c, -1) for c in plan.codes])
        prev = fit.values[rows][:, np.maximum(ui, 0)][:, :, np.maximum(ki, 0)]
        prev = np.where((ui[None, :, None] >= 0) & (ki[None, None, :] >= 0), prev, np.nan)
        return replace(fit, values=prev, periods=ds.periods, units=ds.units, codes=plan.codes)

    def transform(self, plan: ImputePlan, fit: ImputeFit, x: np.ndarray) -> np.ndarray:
        """Missing values of the plan's columns take the fit's values; observed values stay."""
        xs = x[..., plan.idx]
        if fit.values is not None:
            values = fit.values
        elif fit.fill is not None:  # chunked: the statistic of the unit's group
            values = fit.fill if plan.groups is None else fit.fill[:, plan.groups, :]
        else:  # chunked, over time: each unit from its own periods
            values = _imp.panel(xs, plan.periods, method=self.method, axis=0)
        out = x.copy()
        out[..., plan.idx] = np.where(np.isnan(xs), values, xs)
        return out

    # ------------------------------------------------------------------ chunked
    def chunked_refusal(self) -> str | None:
        """Table imputers fit one model on every unit's values; medians need exact order
        statistics (:meth:`fit_chunked`)."""
        if self.method in _TABLE:
            return ("a table imputer fits one model on every unit's values (it cannot learn "
                    "from per-indicator statistics)")
        return None

    def fit_chunked(self, ctx: StepContext, plan: ImputePlan, x: Any) -> ImputeFit:
        """The statistic that fills each column, from Dask reductions: group (or overall)
        means per period or pooled (:func:`gipro.steps.chunks.group_means`), medians from
        exact order statistics (:func:`gipro.steps.chunks.group_medians`); the methods over
        time learn nothing (each block of units is filled from its own periods).

        Raises
        ------
        MethodError
            A table imputer (:meth:`chunked_refusal`).
        """
        why = self.chunked_refusal()
        if why is not None:
            raise self.not_chunked(plan.step, why)
        fit = ImputeFit(None, plan.periods, plan.units, plan.codes)
        if self.method in _imp.PANEL_METHODS:
            return fit
        xs = x[..., plan.idx]
        groups = plan.groups
        n_groups = 1 if groups is None else len(plan.group_names)
        pooled = self.scope == "pooled"
        if self.method.endswith("mean"):
            stat = group_means(xs, groups, n_groups, pooled)
        else:
            stat = group_medians(xs, groups, n_groups, pooled)
        if groups is not None:  # units without a group (-1): the last row, NaN
            stat = np.concatenate([stat, np.full(stat[:, :1].shape, np.nan)], axis=1)
        return replace(fit, fill=stat)

    def block_plan(self, plan: ImputePlan, fit: ImputeFit, start: int, stop: int
                   ) -> tuple[ImputePlan, ImputeFit]:
        """The block's units and groups; the fill statistics as they are."""
        sl = slice(start, stop)
        groups = None if plan.groups is None else plan.groups[sl]
        return (replace(plan, units=plan.units[sl], groups=groups),
                replace(fit, units=fit.units[sl]))

    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: ImputePlan,
                fit: ImputeFit, out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        assert out is not None
        x = ds.values[..., plan.idx]
        y = out.values[..., plan.idx]
        filled = np.isnan(x) & ~np.isnan(y)
        if fit.source is not None:
            notes = [f"imputation frozen at the baseline's: {int(filled.sum())} missing values "
                     "given the values the baseline imputed (projected periods: the last "
                     "period's); observed values unchanged"]
            left = int((np.isnan(y)).sum())
            if left:
                notes.append(f"{left} values left missing (missing in the baseline too)")
            return notes, {"frozen": True}
        notes: list[str] = []
        if self.method in ("group_mean", "group_median"):
            notes.append(f"groups from {self.group!r}: {', '.join(plan.group_names)}")
        elif self.method in _TABLE:
            func = plan.function
            notes.append(f"table imputer: {getattr(func, '__qualname__', repr(func))}")
        still = np.isnan(y)
        where = ("each period's units" if self.scope == "per_period"
                 else f"all units and periods {ds.periods[0]}-{ds.periods[-1]}")
        desc = {
            "mean": f"mean of the indicator over {where}",
            "median": f"median of the indicator over {where}",
            "group_mean": f"mean of the indicator within the unit's {self.group} group over "
                          f"{where}",
            "group_median": f"median of the indicator within the unit's {self.group} group "
                            f"over {where}",
            "linear": "linear interpolation over periods (nearest observed value outside the "
                      "observed range; single-observation series left missing)",
            "constant": "last observation carried forward (first observation backward)",
            "linear_constant": "linear interpolation over periods; constant for series with "
                               "one observation",
        }.get(self.method, f"{self.method} imputer on each "
                           f"{'period' if self.scope == 'per_period' else 'pooled'} table")
        notes.insert(0, f"{self.method}: {desc}; observed values unchanged; filled "
                        f"{int(filled.sum())} of {int(np.isnan(x).sum())} missing values")
        no_group = list(plan.no_group)
        reasons = self._reasons(ds, x, still, no_group)
        if len(reasons):
            notes.append(f"{len(reasons)} values still missing: "
                         + listing([f"{r.unit} {r.period} {r.indicator} ({r.reason})"
                                    for r in reasons.itertuples()], 6))
        if no_group:
            notes.append(f"units without a {self.group!r} group (not imputed): "
                         f"{listing(no_group)}")
        p_i, u_i, k_i = np.nonzero(filled)
        imputed = pd.DataFrame({
            "unit": np.array(ds.units, dtype=object)[u_i],
            "period": np.array(ds.periods)[p_i],
            "indicator": np.array(plan.codes, dtype=object)[k_i],
            "value": y[p_i, u_i, k_i],
            "method": self.method,
        })
        return notes, {"imputed": imputed, "missing": reasons}

    def _groups(self, panel: Any, ds: DataSet) -> tuple[np.ndarray, list[str], list[str]]:
        meta = panel.units
        if self.group not in meta.columns:
            raise InputError(
                f"impute: no unit metadata column {self.group!r}",
                [f"available: {', '.join(panel.group_columns) or 'none'} (declare group "
                 "columns with data.groups or a units table)"])
        lookup = meta[self.group].to_dict()
        labels = []
        for u in ds.units:
            v = lookup.get(u)
            v = None if v is None or pd.isna(v) else str(v).strip()
            labels.append(v or None)
        none = [v is None for v in labels]
        names = sorted({v for v in labels if v is not None})
        code = {g: i for i, g in enumerate(names)}
        groups = np.array([-1 if v is None else code[v] for v in labels], dtype=int)
        return groups, names, [u for u, n in zip(ds.units, none, strict=True) if n]

    def _reasons(self, ds: DataSet, x: np.ndarray, still: np.ndarray, no_group: list[str]
                 ) -> pd.DataFrame:
        rows = []
        codes = list(ds.codes) if self.indicators is None else list(self.indicators)
        nog = set(no_group)
        for p, u, k in np.argwhere(still):
            unit = ds.units[u]
            if unit in nog:
                why = f"unit has no {self.group!r} group"
            elif self.method in _imp.PANEL_METHODS:
                n = int((~np.isnan(x[:, u, k])).sum())
                why = ("no observed period" if n == 0 else
                       "only one observed period (linear needs two; use linear_constant)")
            elif self.method.startswith("group_"):
                why = "no observed value in the unit's group"
            else:
                why = "no observed value to impute from"
            rows.append({"unit": unit, "period": ds.periods[p], "indicator": codes[k],
                         "reason": why})
        return pd.DataFrame(rows, columns=["unit", "period", "indicator", "reason"])
