"""The ``impute`` step: fill missing values (never observed ones), and report what stays missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..dataset import DataSet
from ..errors import InputError
from ..methods import impute as _imp
from .base import StepSpec, check_codes, listing

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["ImputeStep", "sklearn_imputer"]

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

    # ------------------------------------------------------------------ frozen imputation
    def frozen_state(self, build: Build, name: str) -> dict:
        """The values this step imputed in a run build, to fill the same gaps of other data.

        Scenario evaluation (:mod:`gipro.scenario`) keeps the baseline's imputed values:
        a value missing in the scenario's data gets the value the baseline imputed for that
        unit, period and indicator (projected periods: the last period's), so a change to one
        unit does not move another unit's imputed value. Observed values are never changed.

        Raises
        ------
        InputError
            If the build has not run this step.
        """
        entry = next((e for e in build.log if e.name == name and not e.skipped), None)
        if entry is None:
            raise InputError(f"step {name!r} has not been run in this build")
        out = build.datasets[entry.output]
        return {"periods": tuple(out.periods), "units": tuple(out.units),
                "codes": tuple(out.codes), "output": out.values}

    def _apply_frozen(self, build: Build, name: str, ds: DataSet, state: dict
                      ) -> tuple[DataSet, list[str]]:
        base = list(state["periods"])
        rows = np.array([base.index(p) if p in base else (len(base) - 1 if p > base[-1] else 0)
                         for p in ds.periods])
        bunits = {u: i for i, u in enumerate(state["units"])}
        bcodes = {c: i for i, c in enumerate(state["codes"])}
        ui = np.array([bunits.get(u, -1) for u in ds.units])
        ki = np.array([bcodes.get(c, -1) for c in ds.codes])
        prev = state["output"][rows][:, np.maximum(ui, 0)][:, :, np.maximum(ki, 0)]
        prev = np.where((ui[None, :, None] >= 0) & (ki[None, None, :] >= 0), prev, np.nan)
        x = ds.values
        y = np.where(np.isnan(x), prev, x)
        filled = np.isnan(x) & ~np.isnan(y)
        build.fitted[name] = {"frozen": True}
        notes = [f"imputation frozen at the baseline's: {int(filled.sum())} missing values "
                 "given the values the baseline imputed (projected periods: the last "
                 "period's); observed values unchanged"]
        left = int((np.isnan(y)).sum())
        if left:
            notes.append(f"{left} values left missing (missing in the baseline too)")
        return DataSet(self.output, y, ds.units, ds.periods, ds.codes), notes

    def _groups(self, build: Build, ds: DataSet) -> tuple[np.ndarray, list[str], list[str]]:
        meta = build.panel.units
        if self.group not in meta.columns:
            raise InputError(
                f"impute: no unit metadata column {self.group!r}",
                [f"available: {', '.join(build.panel.group_columns) or 'none'} (declare group "
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

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        frozen = getattr(build, "frozen", {}).get(name)
        if frozen is not None:
            return self._apply_frozen(build, name, ds, frozen)
        codes = list(ds.codes) if self.indicators is None else list(self.indicators)
        check_codes(name, "indicators", codes, list(ds.codes))
        idx = [ds.codes.index(c) for c in codes]
        x = ds.values[:, :, idx]
        axis = -2 if self.scope == "per_period" else (-3, -2)
        notes: list[str] = []
        no_group: list[str] = []
        if self.method in ("mean", "median"):
            fn = _imp.mean if self.method == "mean" else _imp.median
            y = fn(x, axis=axis)
        elif self.method in ("group_mean", "group_median"):
            groups, gnames, no_group = self._groups(build, ds)
            y = _imp.group_stat(x, groups, stat=self.method[6:], axis=axis)
            notes.append(f"groups from {self.group!r}: {', '.join(gnames)}")
        elif self.method in _imp.PANEL_METHODS:
            y = _imp.panel(x, ds.periods, method=self.method, axis=0)
        else:
            func = (self.function if self.method == "function"
                    else sklearn_imputer(self.method, self.params, self.seed))
            if self.scope == "pooled":
                p, u, k = x.shape
                y = _imp.table(x.reshape(p * u, k), func, names=codes).reshape(x.shape)
            else:
                y = _imp.table(x, func, names=codes)
            notes.append(f"table imputer: {getattr(func, '__qualname__', repr(func))}")
        out = ds.values.copy()
        out[:, :, idx] = y

        filled = np.isnan(x) & ~np.isnan(y)
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
            "indicator": np.array(codes, dtype=object)[k_i],
            "value": y[p_i, u_i, k_i],
            "method": self.method,
        })
        build.fitted[name] = {"imputed": imputed, "missing": reasons}
        return DataSet(self.output, out, ds.units, ds.periods, ds.codes), notes

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
