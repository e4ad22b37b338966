"""The ``treat`` step: outlier treatment (skew/kurtosis check, winsorisation, log, Box-Cox)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import treat as _tr
from .base import StepSpec, check_codes, fmt, listing

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["IndicatorTreatment", "TreatStep", "frozen_treatment"]


def frozen_treatment(state: dict, x: np.ndarray, periods, units
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Treat values with the treatment a build applied (:meth:`TreatStep.frozen_state`).

    A value equal to the baseline's (same unit, period -- projected periods: the last
    baseline period -- and indicator) gets the baseline's treated value; any other value
    goes through the baseline's treatment of its indicator and period: unchanged (the
    indicator passed), clipped at the values winsorised outliers were set to, or
    transformed with the baseline's minimum, maximum and Box-Cox lambda (COINr ``log_CT``,
    the COIN Tool log, Box and Cox 1964).

    Parameters
    ----------
    state : dict
    x : ndarray of shape (n_periods, n_units, n_codes)
        Values of the state's codes.
    periods, units : sequence
        Labels of ``x``'s first two axes.

    Returns
    -------
    y : ndarray like ``x``
        Treated values (NaN where a transform is undefined for a new value).
    mode : ndarray of shape (n_periods, 1, n_codes)
        ``identity``, ``winsorise`` or the transform's name.
    cap_low, cap_high : ndarray of shape (n_periods, 1, n_codes)
        Winsorisation bounds (-inf / inf where none).
    """
    from scipy import special

    base = list(state["periods"])
    rows = np.array([base.index(p) if p in base else (len(base) - 1 if p > base[-1] else 0)
                     for p in periods])
    bunits = {u: i for i, u in enumerate(state["units"])}
    known = np.array([u in bunits for u in units])
    ui = np.array([bunits.get(u, 0) for u in units])
    b_in = np.where(known[None, :, None], state["input"][rows][:, ui], np.nan)
    b_out = np.where(known[None, :, None], state["output"][rows][:, ui], np.nan)
    blk = np.zeros(len(rows), dtype=int) if state["pooled"] else rows

    def per(a: np.ndarray) -> np.ndarray:  # (B, K) -> (P, 1, K)
        return np.asarray(a)[blk][:, None, :]

    mode = per(state["mode"])
    m, mx, lam = per(state["min"]), per(state["max"]), per(state["lambda"])
    cap_hi = np.where(per(state["hi"]), per(state["cap_high"]), np.inf)
    cap_lo = np.where(per(state["lo"]), per(state["cap_low"]), -np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = x - m + 1.0
        f = np.select(
            [mode == "identity", mode == "winsorise", mode == "log_ct", mode == "log_ct_orig",
             mode == "log", mode == "boxcox"],
            [x, np.clip(x, cap_lo, cap_hi), np.log(x - m + 0.01 * (mx - m)), np.log(shifted),
             np.log(x), special.boxcox(shifted, np.where(np.isnan(lam), 1.0, lam))],
            default=np.nan)
        same = (x == b_in) | (np.isnan(x) & np.isnan(b_in))
    return np.where(same, b_out, f), mode, cap_lo, cap_hi

Fallback = Literal["log_ct", "log_ct_orig", "log", "boxcox", "none"]


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

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        frozen = getattr(build, "frozen", {}).get(name)
        if frozen is not None:
            return self._apply_frozen(build, name, ds, frozen)
        fw_inds = set(build.framework.indicator_codes)
        codes = [c for c in ds.codes if c in fw_inds]
        check_codes(name, "treatment overrides given for indicators", list(self.indicators),
                    codes)
        idx = [ds.codes.index(c) for c in codes]
        x = ds.values[:, :, idx]
        p, u, k = x.shape
        spec = [self.indicators.get(c, IndicatorTreatment()) for c in codes]
        winmax = np.array([s.winmax if s.winmax is not None else self.winmax for s in spec])
        force = np.array([s.force for s in spec])
        fallback = [s.fallback or self.fallback for s in spec]
        auto = np.array([s.method == "default" for s in spec])
        pooled = self.scope == "pooled"
        xin = x.reshape(1, p * u, k) if pooled else x
        res = _tr.treat(xin, winmax=winmax, skew_threshold=self.skew_threshold,
                        kurt_threshold=self.kurtosis_threshold, force=force, fallback=fallback,
                        boxcox_lambda=self.boxcox_lambda, enabled=auto,
                        on_constant=self.on_constant, names=codes)
        y = res.x.reshape(x.shape)
        changed = res.changed.reshape(x.shape)
        fb_used = res.fallback.copy()
        # forced transforms (method: log_ct etc.), no check
        for j in np.flatnonzero(~auto):
            m = spec[j].method
            if m == "none":
                continue
            lam = spec[j].boxcox_lambda if spec[j].boxcox_lambda is not None else \
                self.boxcox_lambda
            col = _tr.transform(xin[..., [j]], m, lmbda=lam, names=[codes[j]])
            y[..., j] = col.reshape(x.shape[:2])
            changed[..., j] = np.where(np.isnan(x[..., j]), 0, _tr.TRANSFORMED)
            fb_used[..., j] = m
        names = np.array([_tr.STATUS[i] for i in range(len(_tr.STATUS))], dtype=object)
        labels = names[res.status.astype(int)]
        for j in np.flatnonzero(~auto):
            labels[..., j] = ("not treated (method: none)" if spec[j].method == "none"
                              else f"forced transform {spec[j].method}")
        out = ds.values.copy()
        out[:, :, idx] = y

        changes = self._changes(ds, codes, x, y, changed, winmax, fb_used, pooled)
        summary = self._summary(ds, codes, res, labels, changed, pooled)
        build.fitted[name] = {"changes": changes, "summary": summary}
        return DataSet(self.output, out, ds.units, ds.periods, ds.codes), self._notes(
            ds, codes, labels, changed, pooled)

    # ------------------------------------------------------------------ frozen treatment
    def frozen_state(self, build: Build, name: str) -> dict:
        """The treatment this step applied in a run build, to treat other data the same way.

        Scenario evaluation (:mod:`gipro.scenario`) keeps the baseline's treatment: a value
        equal to the baseline's keeps its treated value; a changed value is winsorised at the
        baseline's caps (the values outliers were set to) where the baseline winsorised, or
        transformed with the baseline's parameters (minimum, maximum, Box-Cox lambda) where the
        baseline transformed; other indicators pass unchanged. Re-running the check on changed
        data could instead switch an indicator to a log scale under bounds learnt on the raw
        scale. Pass the state to ``Build(..., frozen={name: state})``.

        Raises
        ------
        InputError
            If the build has not run this step.
        """
        entry = next((e for e in build.log if e.name == name and not e.skipped), None)
        if entry is None or name not in build.fitted:
            raise InputError(f"step {name!r} has not been run in this build")
        ds_in, ds_out = build.datasets[entry.input], build.datasets[entry.output]
        fw_inds = set(build.framework.indicator_codes)
        codes = [c for c in ds_in.codes if c in fw_inds]
        x_in, x_out = ds_in.take(codes), ds_out.take(codes)
        pooled = self.scope == "pooled"
        summ = build.fitted[name]["summary"]
        status = summ["status"].to_numpy(dtype=object).reshape(-1, len(codes))
        b_in = x_in.reshape(1, -1, len(codes)) if pooled else x_in
        b_out = x_out.reshape(1, -1, len(codes)) if pooled else x_out
        mode = np.full(status.shape, "identity", dtype=object)
        lam = np.full(status.shape, np.nan)
        for j, c in enumerate(codes):
            spec = self.indicators.get(c, IndicatorTreatment())
            name_t = spec.method if spec.method not in ("default", "none") else (
                spec.fallback or self.fallback)
            for b in range(status.shape[0]):
                if "transform" in str(status[b, j]):
                    mode[b, j] = name_t
                    if name_t == "boxcox":
                        given = spec.boxcox_lambda if spec.boxcox_lambda is not None else \
                            self.boxcox_lambda
                        lam[b, j] = given if given is not None else float(
                            _tr.boxcox(b_in[b][:, [j]], None)[1][0])
        with np.errstate(invalid="ignore"):
            moved = ~np.isnan(b_in) & (b_in != b_out)
            hi = (moved & (b_out < b_in)).any(axis=1) & (mode == "identity")
            lo = (moved & (b_out > b_in)).any(axis=1) & (mode == "identity")
        mode = np.where(hi | lo, "winsorise", mode)
        obs_in, obs_out = ~np.isnan(b_in), ~np.isnan(b_out)
        return {"periods": tuple(ds_in.periods), "units": tuple(ds_in.units), "codes": codes,
                "pooled": pooled, "input": x_in, "output": x_out, "mode": mode,
                "hi": hi, "lo": lo, "lambda": lam,
                "cap_high": _tr._nanmax(b_out, obs_out, 1)[:, 0, :],
                "cap_low": _tr._nanmin(b_out, obs_out, 1)[:, 0, :],
                "min": _tr._nanmin(b_in, obs_in, 1)[:, 0, :],
                "max": _tr._nanmax(b_in, obs_in, 1)[:, 0, :]}

    def _apply_frozen(self, build: Build, name: str, ds: DataSet, state: dict
                      ) -> tuple[DataSet, list[str]]:
        codes = list(state["codes"])
        check_codes(name, "frozen indicators", codes, list(ds.codes))
        x = ds.take(codes)
        y, mode, _, _ = frozen_treatment(state, x, ds.periods, ds.units)
        bad = ~np.isnan(x) & np.isnan(y)
        if bad.any():
            pi, ui_, k = np.argwhere(bad)[0]
            raise MethodError(
                f"step {name!r} (treatment frozen at the baseline's): the {mode[pi, 0, k]} "
                f"transform of {codes[k]} is undefined for {fmt(x[pi, ui_, k])} (unit "
                f"{ds.units[ui_]}, period {ds.periods[pi]}): it lies too far below the baseline "
                "minimum", ["use bounds: recompute, or a change that keeps the value in range"])
        with np.errstate(invalid="ignore"):
            changed = ~np.isnan(x) & (y != x)
            capped = changed & (mode == "winsorise")
        transformed = changed & np.isin(mode, ["log_ct", "log_ct_orig", "log", "boxcox"])
        out = ds.values.copy()
        out[:, :, [ds.codes.index(c) for c in codes]] = y
        notes = ["treatment frozen at the baseline's: values as in the baseline keep their "
                 "treated values; changed values are winsorised at the baseline's caps or "
                 "transformed with its parameters where the baseline did so"]
        if capped.any():
            notes.append(f"{int(capped.sum())} values at the baseline's winsorisation bounds: "
                         + listing([codes[k] for k in sorted(set(np.argwhere(capped)[:, 2]))]))
        if transformed.any():
            notes.append(f"{int(transformed.sum())} values transformed as in the baseline")
        pi, ui_, k = np.nonzero(changed)
        build.fitted[name] = {"frozen": True, "changes": pd.DataFrame({
            "unit": np.array(ds.units, dtype=object)[ui_],
            "period": np.array(ds.periods)[pi],
            "indicator": np.array(codes, dtype=object)[k],
            "old": x[pi, ui_, k], "new": y[pi, ui_, k],
            "reason": np.where(mode[pi, 0, k] == "winsorise", "winsorised (frozen treatment)",
                               "transformed (frozen treatment)")})}
        return DataSet(self.output, out, ds.units, ds.periods, ds.codes), notes

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

    def _summary(self, ds, codes, res, labels, changed, pooled) -> pd.DataFrame:
        periods = (np.array([f"{ds.periods[0]}-{ds.periods[-1]}"], dtype=object) if pooled
                   else np.array(ds.periods))
        n_p = len(periods)
        high = (changed == _tr.HIGH).sum(axis=1)
        low = (changed == _tr.LOW).sum(axis=1)
        if pooled:
            high, low = high.sum(axis=0, keepdims=True), low.sum(axis=0, keepdims=True)
        n_k = len(codes)
        return pd.DataFrame({
            "period": np.repeat(periods, n_k),
            "indicator": np.tile(np.array(codes, dtype=object), n_p),
            "skew": res.skew.reshape(-1),
            "kurtosis": res.kurt.reshape(-1),
            "winsorised_high": high.reshape(-1),
            "winsorised_low": low.reshape(-1),
            "status": labels.reshape(-1),
            "skew_after": res.skew_after.reshape(-1),
            "kurtosis_after": res.kurt_after.reshape(-1),
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
