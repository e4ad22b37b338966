"""The ``treat`` step: outlier treatment (skew/kurtosis check, winsorisation, log, Box-Cox)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..dataset import DataSet
from ..errors import MethodError
from ..methods import treat as _tr
from .base import StepContext, StepSpec, align_periods, check_codes, fmt, listing
from .chunks import compute, reduce_blocks

__all__ = ["IndicatorTreatment", "TreatFit", "TreatPlan", "TreatStep"]


@dataclass(frozen=True)
class TreatPlan:
    """The treat step's labels: indicator columns and each one's settings."""

    step: str
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    idx: list[int]
    winmax: np.ndarray
    force: np.ndarray
    fallback: list[str]
    auto: np.ndarray
    specs: list[IndicatorTreatment]
    pooled: bool


@dataclass(frozen=True)
class TreatFit:
    """The treatment learnt per period (or pooled) and indicator, with the check's results.

    ``treatment`` (:class:`gipro.methods.treat.Treatment`) has arrays of shape (B, K): B = the
    number of periods (``scope: per_period``) or 1 (pooled), K = the plan's indicators.
    ``status`` are :data:`gipro.methods.treat.STATUS` codes, ``labels`` the status as written
    in the summary, ``used`` the transform applied ("" for none).
    """

    treatment: _tr.Treatment
    status: np.ndarray
    labels: np.ndarray
    used: np.ndarray
    skew: np.ndarray
    kurt: np.ndarray
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    source: str | None = None
    extra_periods: tuple[int, ...] = ()

    @property
    def transformed(self) -> list[str]:
        """Indicators transformed (log, Box-Cox) in some period: their unit changes."""
        hit = (np.asarray(self.treatment.mode) > 1).any(axis=0)
        return [c for c, h in zip(self.codes, hit, strict=True) if h]

    def frozen(self, source: str) -> TreatFit:
        """This fit handed to another build (scenario evaluation): learnt in ``source``."""
        return replace(self, source=source)


Fallback = Literal["log_ct", "log_ct_orig", "log", "boxcox", "none"]


def _columns(block: np.ndarray, pooled: bool) -> np.ndarray:
    """A block (P, U, K) in :func:`gipro.methods.treat.treat`'s layout (rows, columns):
    pooled, the values of every period of a code in one column; else one column per period
    and code (period first)."""
    if pooled:
        return block.reshape(-1, block.shape[-1])
    p, u, k = block.shape
    return block.transpose(1, 0, 2).reshape(u, p * k)


def _shape_after(xs: Any, pooled: bool, sel: Any, kind: str, t_min: np.ndarray,
                 t_max: np.ndarray, t_lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and kurtosis of the columns ``sel`` (:func:`_columns`) of ``xs``, a Dask
    array (P, U, K) chunked over units, after the transform ``kind`` with the given
    parameters (``identity``: as they are): two passes over the blocks
    (:func:`gipro.methods.treat.transformed_sums`)."""
    first = compute(reduce_blocks(
        xs, lambda b, s: _tr.transformed_sums(_columns(b, pooled)[:, sel], kind, t_min, t_max,
                                              t_lam), _first_join))[0]
    tb, tm = _tr.transformed_mean(first)
    second = compute(reduce_blocks(
        xs, lambda b, s: _tr.transformed_sums(_columns(b, pooled)[:, sel], kind, t_min, t_max,
                                              t_lam, tb, tm), np.add))[0]
    return _tr.transformed_moments(first, second)


def _first_join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Combine first passes of :func:`gipro.methods.treat.transformed_sums` (counts and sums
    add, largest magnitudes take the maximum)."""
    out = a + b
    out[:, 1] = np.maximum(a[:, 1], b[:, 1])
    return out


class IndicatorTreatment(BaseModel):
    """Per-indicator override of the treatment (unset fields take the step's values).

    Attributes
    ----------
    method : {"default", "none", "log_ct", "log_ct_orig", "log", "boxcox"}
        ``default``: check, winsorise, fallback. ``none``: leave the indicator untreated.
        A transform name: apply that transform whatever the check says (COINr's individual
        ``Treat = "log"`` etc.).
    winmax : int, optional
        Maximum number of winsorised points for this indicator.
    force : bool
        Winsorise exactly ``winmax`` points whatever the check says (COINr ``force_win``);
        no fallback.
    fallback : str, optional
        Fallback transform for this indicator.
    boxcox_lambda : float, optional
        Box-Cox lambda for this indicator (default: estimated).
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["default", "none", "log_ct", "log_ct_orig", "log", "boxcox"] = "default"
    winmax: int | None = Field(None, ge=0)
    force: bool = False
    fallback: Fallback | None = None
    boxcox_lambda: float | None = None


#: The check's statuses as written in the summary (:data:`gipro.methods.treat.STATUS`).
_STATUS_TEXT = np.array([_tr.STATUS[i] for i in range(len(_tr.STATUS))], dtype=object)

_REASON_FB = {
    "log_ct": "log(x - min + 0.01 (max - min))",
    "log_ct_orig": "log(x - min + 1)",
    "log": "log(x)",
    "boxcox": "Box-Cox of x - min + 1",
}


class TreatStep(StepSpec):
    """Treat outliers indicator by indicator (COINr/COIN Tool rule), recording every change.

    An indicator passes when ``|skew| < skew_threshold`` or ``kurtosis < kurtosis_threshold``
    (sample "type 2" skewness and excess kurtosis, as Excel and COINr). A failing indicator is
    winsorised one point at a time (its current maximum, or minimum if the skew is negative,
    set to the next value) up to ``winmax`` points, checking after each; if it still fails, the
    ``fallback`` transform is applied to the original values. See
    :func:`gipro.methods.treat.treat`.

    Attributes
    ----------
    winmax : int
        Maximum number of winsorised points per indicator (default 5, today's COINr default;
        COINr6 used 10% of the units rounded up -- 6 for the 51 ASEM countries).
    skew_threshold, kurtosis_threshold : float
        2 and 3.5 (COIN Tool / COINr).
    fallback : {"log_ct", "log_ct_orig", "log", "boxcox", "none"}
        Transform when winsorisation is not enough; default ``log_ct``,
        ``log(x - min + 0.01 (max - min))`` (COINr ``log_CT``, COINr6 ``"CTlog"``).
        ``log_ct_orig`` is the original COIN Tool ``log(x - min + 1)``.
    boxcox_lambda : float, optional
        Lambda for the ``boxcox`` fallback (default: estimated by maximum likelihood).
    on_constant : {"refuse", "allow", "error"}
        When one more winsorisation round would leave fewer than 2 distinct values (a near
        binary indicator, field case B19): stop before it and flag (default), make it and flag
        (the indicator becomes constant; min-max will then refuse it), or raise.
    scope : {"per_period", "pooled"}
        Treat each period's cross-section separately (default, as COINr treats each coin of a
        purse) or all unit-periods of an indicator together.
    indicators : mapping of code to IndicatorTreatment
        Per-indicator overrides, e.g. ``{Goods: {winmax: 2}, Tariff: {method: none}}``.

    Notes
    -----
    ``build.fitted[name]``: ``changes`` -- every changed value (unit, period, indicator, old,
    new, reason); ``summary`` -- per indicator and period: skew and kurtosis before and after,
    points winsorised high/low, the status and the treatment. Both are written to
    ``details/`` by :meth:`gipro.Build.write`.
    """

    step: Literal["treat"] = "treat"
    output: str = "treated"
    winmax: int = Field(5, ge=0)
    skew_threshold: float = Field(2.0, gt=0)
    kurtosis_threshold: float = 3.5
    fallback: Fallback = "log_ct"
    boxcox_lambda: float | None = None
    on_constant: Literal["refuse", "allow", "error"] = "refuse"
    scope: Literal["per_period", "pooled"] = "per_period"
    indicators: dict[str, IndicatorTreatment] = Field(default_factory=dict)

    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> TreatPlan:
        fw_inds = set(ctx.framework.indicator_codes)
        codes = [c for c in ds.codes if c in fw_inds]
        check_codes(name, "treatment overrides given for indicators", list(self.indicators),
                    codes)
        spec = [self.indicators.get(c, IndicatorTreatment()) for c in codes]
        return TreatPlan(
            name, ds.units, ds.periods, tuple(codes), [ds.codes.index(c) for c in codes],
            np.array([s.winmax if s.winmax is not None else self.winmax for s in spec]),
            np.array([s.force for s in spec]), [s.fallback or self.fallback for s in spec],
            np.array([s.method == "default" for s in spec]), spec, self.scope == "pooled")

    def fit(self, ctx: StepContext, plan: TreatPlan, x: np.ndarray) -> TreatFit:
        """The check, winsorisation rounds and fallbacks (:func:`gipro.methods.treat.treat`),
        and the forced transforms of per-indicator overrides."""
        codes = list(plan.codes)
        x = x[..., plan.idx]
        p, u, k = x.shape
        xin = x.reshape(1, p * u, k) if plan.pooled else x
        res = _tr.treat(xin, winmax=plan.winmax, skew_threshold=self.skew_threshold,
                        kurt_threshold=self.kurtosis_threshold, force=plan.force,
                        fallback=plan.fallback, boxcox_lambda=self.boxcox_lambda,
                        enabled=plan.auto, on_constant=self.on_constant, names=codes,
                        moments_after=False)
        return self._fit_from(plan, res, xin)

    def _fit_from(self, plan: TreatPlan, res: _tr.TreatResult, xin: np.ndarray) -> TreatFit:
        """The fit from the rules' result, with the forced transforms of per-indicator
        overrides (their parameters from ``xin``: the values, or each column's minimum and
        maximum, which give the same)."""
        codes = list(plan.codes)
        t = res.treatment
        mode, t_min, t_max, t_lam = t.mode, t.min, t.max, t.lmbda  # (the kernel's own arrays)
        used = res.fallback
        labels = _STATUS_TEXT[res.status.astype(int)]
        for j in np.flatnonzero(~plan.auto):  # forced transforms (method: log_ct etc.)
            s = plan.specs[j]
            if s.method == "none":
                labels[..., j] = "not treated (method: none)"
                continue
            lam = s.boxcox_lambda if s.boxcox_lambda is not None else self.boxcox_lambda
            _, mn, mx, lm = _tr.transform_params(xin[..., [j]], s.method, lmbda=lam,
                                                 names=[codes[j]])
            mode[..., j] = _tr.MODES.index(s.method)
            t_min[..., j], t_max[..., j], t_lam[..., j] = mn[..., 0], mx[..., 0], lm[..., 0]
            used[..., j] = s.method
            labels[..., j] = f"forced transform {s.method}"
        treatment = _tr.Treatment(mode, t.low, t.high, t_min, t_max, t_lam)
        return TreatFit(treatment, res.status, labels, used, res.skew, res.kurt,
                        tuple(plan.periods), tuple(codes))

    def freeze(self, plan: TreatPlan, fit: TreatFit, ds: DataSet) -> TreatFit:
        """A baseline's treatment for these data (projected periods: the nearest baseline
        period's)."""
        check_codes(plan.step, "frozen indicators", list(fit.codes), list(plan.codes))
        if list(fit.codes) != list(plan.codes):
            keep = [fit.codes.index(c) for c in plan.codes if c in fit.codes]
            fit = replace(fit, treatment=fit.treatment.take((..., keep)),
                          codes=tuple(fit.codes[k] for k in keep))
        if not plan.pooled:
            rows = align_periods(fit.periods, ds.periods)
            fit = replace(fit, treatment=fit.treatment.take(rows))
        return replace(fit, extra_periods=tuple(p for p in ds.periods if p not in fit.periods))

    def transform(self, plan: TreatPlan, fit: TreatFit, x: np.ndarray) -> np.ndarray:
        """Treat with the learnt treatment (:func:`gipro.methods.treat.apply_fitted`).

        Raises
        ------
        MethodError
            A frozen transform undefined for a new value (far below the baseline minimum).
        """
        idx = plan.idx if fit.codes == plan.codes else \
            [plan.idx[plan.codes.index(c)] for c in fit.codes]
        xs = x[..., idx]
        y = _tr.apply_fitted(xs, fit.treatment)  # (a copy: xs is never changed)
        if fit.source is not None:
            bad = ~np.isnan(xs) & np.isnan(y)
            if bad.any():
                pos = tuple(np.argwhere(bad)[0])
                pi, ui_, k = pos[-3:]
                mode = _tr.MODES[int(np.asarray(fit.treatment.mode)[0 if plan.pooled
                                                                   else pi, k])]
                raise MethodError(
                    f"step {plan.step!r} (treatment frozen at the baseline's): the {mode} "
                    f"transform of {fit.codes[k]} is undefined for {fmt(xs[pos])} (unit "
                    f"{plan.units[ui_]}, period {plan.periods[pi]}): it lies too far below the "
                    "baseline minimum",
                    ["use bounds: recompute, or a change that keeps the value in range"])
        out = x.copy()
        out[..., idx] = y
        return out

    def row_wise(self, plan: TreatPlan, fit: TreatFit) -> bool:
        return True  # caps, shifts and lambdas per period and indicator

    # ------------------------------------------------------------------ chunked
    def chunked_refusal(self) -> str | None:
        """A Box-Cox lambda to estimate (maximum likelihood over every value of a column)."""
        lam = self.boxcox_lambda
        boxcox = (self.fallback == "boxcox" and lam is None) or any(
            "boxcox" in (s.fallback, s.method) and s.boxcox_lambda is None and lam is None
            for s in self.indicators.values())
        if boxcox:
            return ("the Box-Cox lambda is estimated from every value of a column: give "
                    "boxcox_lambda, or choose another fallback")
        return None

    def fit_chunked(self, ctx: StepContext, plan: TreatPlan, x: Any) -> TreatFit:
        """:meth:`fit` from statistics reduced over blocks of units
        (:class:`gipro.methods.treat.SummaryColumns`: counts, the extreme distinct values
        the winsorisation rounds can reach, sums of powers of the other values' deviations;
        two passes over the data, two more per fallback transform applied): the same rules
        (:func:`gipro.methods.treat.treat_columns`), the same fit.

        Raises
        ------
        MethodError
            As :meth:`fit`; a Box-Cox lambda to estimate (:meth:`chunked_refusal`).
        """
        why = self.chunked_refusal()
        if why is not None:
            raise self.not_chunked(plan.step, why)
        p, k = len(plan.periods), len(plan.codes)
        xs = x[..., plan.idx]
        pooled = plan.pooled

        def columns(block: np.ndarray) -> np.ndarray:
            return _columns(block, pooled)

        t = _tr.extreme_groups(plan.winmax)
        ext = compute(reduce_blocks(xs, lambda b, s: _tr.column_extremes(columns(b), t),
                                    _tr.merge_extremes))[0]
        mean, big, lo, hi = _tr.list_edges(ext)
        mid = compute(reduce_blocks(xs, lambda b, s: _tr.middle_sums(columns(b), mean, big,
                                                                     lo, hi),
                                    np.add))[0]

        def transformed(sel: np.ndarray, kind: str, t_min: np.ndarray, t_max: np.ndarray,
                        t_lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return _shape_after(xs, pooled, sel, kind, t_min, t_max, t_lam)

        summary = _tr.SummaryColumns(ext[0], big, mean, ext[3], ext[4], ext[5], ext[6], mid,
                                     transformed)
        col_shape = (1 if pooled else p, k)
        res = _tr.treat_columns(summary, col_shape, winmax=plan.winmax,
                                skew_threshold=self.skew_threshold,
                                kurt_threshold=self.kurtosis_threshold, force=plan.force,
                                fallback=plan.fallback, boxcox_lambda=self.boxcox_lambda,
                                enabled=plan.auto, on_constant=self.on_constant,
                                names=list(plan.codes))
        # each column's minimum and maximum: what the forced transforms learn from
        ends = np.stack([summary.min, summary.max]).reshape(2, *col_shape).transpose(1, 0, 2)
        return self._fit_from(plan, res, ends)

    def chunked_tables(self, ctx: StepContext, name: str, plan: TreatPlan, fit: TreatFit,
                       ds: DataSet, out: DataSet) -> dict[str, pd.DataFrame]:
        """``summary`` of :meth:`explain` (per period and indicator: skewness and kurtosis
        before and after, values winsorised, status) from reductions over the blocks of
        units: the values outside the caps counted, and the moments of the treated values
        (two passes). ``changes`` (one row per value) is not made."""
        if fit.source is not None:  # frozen: explain makes no summary either
            return {}
        codes = list(fit.codes)
        idx = [ds.codes.index(c) for c in codes]
        t = fit.treatment
        mode, low, high = (np.asarray(a)[:, None, :] for a in (t.mode, t.low, t.high))

        def outside(block: np.ndarray, start: int) -> np.ndarray:  # (2, P, K): high, low
            with np.errstate(invalid="ignore"):
                changed = np.where(mode == 1, np.subtract(block > high, block < low,
                                                          dtype=np.int8), 0)
            return np.stack([(changed == _tr.HIGH).sum(axis=1),
                             (changed == _tr.LOW).sum(axis=1)])

        high_n, low_n = compute(reduce_blocks(ds.values[..., idx], outside, np.add))[0]
        n_cols = len(codes) * (1 if plan.pooled else len(ds.periods))
        nan = np.full(n_cols, np.nan)
        skew, kurt = _shape_after(out.values[..., idx], plan.pooled, slice(None), "identity",
                                  nan, nan, nan)
        shape = (1 if plan.pooled else len(ds.periods), len(codes))
        return {"summary": self._summary(ds, codes, fit, skew.reshape(shape),
                                         kurt.reshape(shape), high_n, low_n, plan.pooled)}

    # ------------------------------------------------------------------ explain
    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: TreatPlan, fit: TreatFit,
                out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        assert out is not None
        codes = list(fit.codes)
        idx = [ds.codes.index(c) for c in codes]
        x, y = ds.values[..., idx], out.values[..., idx]
        p, u, k = x.shape
        pooled = plan.pooled
        t = fit.treatment
        mode = np.asarray(t.mode)[:, None, :]
        obs = ~np.isnan(x)
        if fit.source is not None:
            return self._explain_frozen(ds, codes, x, y, mode if not pooled
                                        else np.broadcast_to(mode, (p, 1, k)))
        with np.errstate(invalid="ignore"):
            changed = np.where(
                mode == 1, np.subtract(x > np.asarray(t.high)[:, None, :],
                                       x < np.asarray(t.low)[:, None, :], dtype=np.int8),
                np.where((mode > 1) & obs, _tr.TRANSFORMED, 0)).astype(np.int8)
        yin = y.reshape(1, p * u, k) if pooled else y
        skew_after, kurt_after = _tr.skew_kurt(yin, axis=-2)
        changes = self._changes(ds, codes, x, y, changed, plan.winmax, fit.used, pooled)
        summary = self._summary(ds, codes, fit, skew_after, kurt_after,
                                (changed == _tr.HIGH).sum(axis=1),
                                (changed == _tr.LOW).sum(axis=1), pooled)
        return self._notes(ds, codes, fit.labels, changed, pooled), {
            "changes": changes, "summary": summary}

    def _explain_frozen(self, ds: DataSet, codes: list[str], x: np.ndarray, y: np.ndarray,
                        mode: np.ndarray) -> tuple[list[str], dict[str, Any]]:
        with np.errstate(invalid="ignore"):
            changed = ~np.isnan(x) & (y != x)
        capped = changed & (mode == 1)
        transformed = changed & (mode > 1)
        notes = ["treatment frozen at the baseline's: values as in the baseline keep their "
                 "treated values; changed values are winsorised at the baseline's caps or "
                 "transformed with its parameters where the baseline did so"]
        if capped.any():
            notes.append(f"{int(capped.sum())} values at the baseline's winsorisation bounds: "
                         + listing([codes[k] for k in sorted(set(np.argwhere(capped)[:, 2]))]))
        if transformed.any():
            notes.append(f"{int(transformed.sum())} values transformed as in the baseline")
        pi, ui_, k = np.nonzero(changed)
        return notes, {"frozen": True, "changes": pd.DataFrame({
            "unit": np.array(ds.units, dtype=object)[ui_],
            "period": np.array(ds.periods)[pi],
            "indicator": np.array(codes, dtype=object)[k],
            "old": x[pi, ui_, k], "new": y[pi, ui_, k],
            "reason": np.where(np.broadcast_to(mode, x.shape)[pi, ui_, k] == 1,
                               "winsorised (frozen treatment)",
                               "transformed (frozen treatment)")})}

    def _changes(self, ds, codes, x, y, changed, winmax, fb_used, pooled) -> pd.DataFrame:
        pi, ui, ki = np.nonzero(changed)
        kind = changed[pi, ui, ki]
        fb = fb_used.reshape(-1, len(codes)) if pooled else fb_used
        reason = []
        for p, j, c in zip(pi, ki, kind, strict=True):
            if c == _tr.HIGH:
                reason.append(f"winsorised: high outlier set to the next lower value "
                              f"(winmax {winmax[j]})")
            elif c == _tr.LOW:
                reason.append(f"winsorised: low outlier set to the next higher value "
                              f"(winmax {winmax[j]})")
            else:
                f = fb[0 if pooled else p, j]
                reason.append(f"transformed: {_REASON_FB.get(f, f)}")
        return pd.DataFrame({
            "unit": np.array(ds.units, dtype=object)[ui],
            "period": np.array(ds.periods)[pi],
            "indicator": np.array(codes, dtype=object)[ki],
            "old": x[pi, ui, ki],
            "new": y[pi, ui, ki],
            "reason": reason,
        })

    def _summary(self, ds, codes, fit, skew_after, kurt_after, high, low, pooled
                 ) -> pd.DataFrame:
        """The summary table; ``high``, ``low``: values winsorised per period and code."""
        periods = (np.array([f"{ds.periods[0]}-{ds.periods[-1]}"], dtype=object) if pooled
                   else np.array(ds.periods))
        n_p = len(periods)
        if pooled:
            high, low = high.sum(axis=0, keepdims=True), low.sum(axis=0, keepdims=True)
        n_k = len(codes)
        return pd.DataFrame({
            "period": np.repeat(periods, n_k),
            "indicator": np.tile(np.array(codes, dtype=object), n_p),
            "skew": fit.skew.reshape(-1),
            "kurtosis": fit.kurt.reshape(-1),
            "winsorised_high": high.reshape(-1),
            "winsorised_low": low.reshape(-1),
            "status": fit.labels.reshape(-1),
            "skew_after": skew_after.reshape(-1),
            "kurtosis_after": kurt_after.reshape(-1),
        })

    def _notes(self, ds, codes, labels: np.ndarray, changed: np.ndarray, pooled: bool
               ) -> list[str]:
        multi = len(ds.periods) > 1
        notes = [
            f"check: pass when |skew| < {fmt(self.skew_threshold)} or kurtosis < "
            f"{fmt(self.kurtosis_threshold)} (sample type-2 moments); winsorise up to "
            f"{self.winmax} points, then {self.fallback} of the original values"
            + (" (per period)" if self.scope == "per_period" and multi else "")
            + (" (pooled over periods)" if pooled else ""),
        ]
        won = (np.abs(changed) == 1).sum(axis=1)  # (P, K) winsorised points
        if pooled:
            won = won.sum(axis=0, keepdims=True)
        if won.any():
            items = [f"{codes[j]} {won[p, j]}" + (f" ({ds.periods[p]})" if multi and not pooled
                                                  else "")
                     for p, j in np.argwhere(won)]
            notes.append(f"winsorised {int(won.sum())} points: {listing(items, 20)}")
        flat = labels.reshape(-1, len(codes))
        uniq = {str(v) for v in np.unique(flat.astype(str))}
        for label, what in (
            ("fallback transform", "transformed"),
            ("forced transform", "transformed (forced)"),
            ("still fails", "still fail the check"),
            ("cannot assess", "cannot be assessed (fewer than 4 values or no variation)"),
            ("stopped", "stopped: one more round would leave < 2 distinct values (near-binary; "
                        "left as is)"),
            ("became constant", "became constant after winsorisation"),
        ):
            matching = [u for u in uniq if label in u]
            hit = [codes[j] for j in np.flatnonzero(np.isin(flat, matching).any(axis=0))]
            if hit:
                notes.append(f"{len(hit)} indicators {what}: {listing(hit, 20)}")
        return notes
