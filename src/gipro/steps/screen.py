"""The ``screen`` step: drop units with too little data or too many zeros, and say why."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import screen as _scr
from .base import StepContext, StepSpec, check_codes, listing, near_matches
from .chunks import compute, reduce_blocks

__all__ = ["ScreenFit", "ScreenPlan", "ScreenStep"]


@dataclass(frozen=True)
class ScreenPlan:
    """The screen step's labels: the columns counted."""

    step: str
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]
    idx: list[int]


@dataclass(frozen=True)
class ScreenFit:
    """Units kept (positions), and per unit its shares and the reason it was kept or not."""

    keep: np.ndarray
    rows: list[dict[str, Any]]
    reasons: dict[str, str]


class ScreenStep(StepSpec):
    """Remove units whose data availability is too low or whose share of zeros is too high.

    A unit is kept when its availability (share of indicators observed) is at least
    ``min_availability`` and its zero share (zeros among its observed values) is at most
    ``max_zero_share`` (:mod:`gipro.methods.screen`; COINr ``Screen`` with ``dat_thresh`` and
    ``nonzero_thresh = 1 - max_zero_share``). ``include``/``exclude`` override the rules.
    Every removed unit is listed in ``exclusions.csv`` with its reason; later data sets do not
    contain it.

    Attributes
    ----------
    min_availability : float in [0, 1] or null
        Default 2/3 (COINr's default ``dat_thresh``); ``null`` turns the rule off.
    max_zero_share : float in [0, 1] or null
        Default ``null`` (off); e.g. 0.95 is COINr's ``nonzero_thresh = 0.05``.
    include, exclude : list of unit codes
        Always kept / always removed, whatever the rules say.
    scope : {"all_periods", "pooled"}
        How a panel is screened. ``all_periods`` (default): the rules are checked in each
        period and a unit must pass in *every* period, so the same units are scored in every
        year (rankings and changes over time compare like with like). ``pooled``: shares are
        computed over all of the unit's values in all periods. Either way a unit is kept or
        removed as a whole; for a single period both are COINr's rule.
    indicators : list of str, optional
        Codes counted (default: every code of the input data set).

    Notes
    -----
    ``build.fitted[name]["summary"]``: one row per unit with its availability, zero share (in
    the worst period under ``all_periods``), whether it is kept, and the reason.
    """

    step: Literal["screen"] = "screen"
    output: str = "screened"
    min_availability: float | None = Field(2 / 3, ge=0.0, le=1.0)
    max_zero_share: float | None = Field(None, ge=0.0, le=1.0)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    scope: Literal["all_periods", "pooled"] = "all_periods"
    indicators: list[str] | None = None

    @model_validator(mode="after")
    def _disjoint(self) -> ScreenStep:
        both = sorted(set(self.include) & set(self.exclude))
        if both:
            raise ValueError(f"units both in include and exclude: {both}")
        return self

    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> ScreenPlan:
        forced = self.include + self.exclude
        unknown = [u for u in forced if u not in set(ds.units)]
        if unknown:
            raise InputError(f"step {name!r}: units in include/exclude not in the data set: "
                             f"{unknown}", [*near_matches(unknown, list(ds.units)),
                                            f"units: {listing(list(ds.units), 20)}"])
        codes = list(ds.codes) if self.indicators is None else list(self.indicators)
        check_codes(name, "indicators", codes, list(ds.codes))
        return ScreenPlan(name, ds.units, ds.periods, tuple(codes),
                          [ds.codes.index(c) for c in codes])

    def fit(self, ctx: StepContext, plan: ScreenPlan, x: np.ndarray) -> ScreenFit:
        """Availability and zero share of each unit (:mod:`gipro.methods.screen`) and the
        units kept.

        Raises
        ------
        MethodError
            Screening would remove every unit.
        """
        return self.decide(plan, *self.shares(plan, x))

    def shares(self, plan: ScreenPlan, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Each unit's availability and zero share (in its worst period under
        ``all_periods``), and the worst periods (``None`` when pooled): arrays over the units
        of ``x`` (shape (P, U, K)), each unit's from its own values."""
        periods = plan.periods
        x = x[..., plan.idx]  # (P, U, K)
        if self.scope == "pooled":
            return (_scr.availability(x, axis=(0, 2)), _scr.zero_share(x, axis=(0, 2)),
                    None, None)
        a_pt = _scr.availability(x, axis=2)  # (P, U)
        z_pt = _scr.zero_share(x, axis=2)
        avail = a_pt.min(axis=0)
        zeros = np.where(np.isnan(z_pt), -np.inf, z_pt).max(axis=0)
        zeros = np.where(np.isinf(zeros), np.nan, zeros)
        worst_a = np.array(periods)[a_pt.argmin(axis=0)]
        worst_z = np.array(periods)[np.where(np.isnan(z_pt), -np.inf, z_pt).argmax(axis=0)]
        return avail, zeros, worst_a, worst_z

    def decide(self, plan: ScreenPlan, avail: np.ndarray, zeros: np.ndarray,
               worst_a: np.ndarray | None, worst_z: np.ndarray | None) -> ScreenFit:
        """The rules (thresholds, include, exclude) applied to each unit's shares: the units
        kept, and every unit's row and reason.

        Raises
        ------
        MethodError
            Screening would remove every unit.
        """
        name, codes, units, periods = plan.step, plan.codes, plan.units, plan.periods
        low = (np.zeros(len(units), bool) if self.min_availability is None
               else avail < self.min_availability - 1e-12)
        zero = (np.zeros(len(units), bool) if self.max_zero_share is None
                else zeros > self.max_zero_share + 1e-12)
        keep = ~low & ~zero
        multi = len(periods) > 1
        rows, reasons = [], {}
        for i, u in enumerate(units):  # report rows (one per unit)
            why = []
            if low[i]:
                when = (f" in {worst_a[i]}" if worst_a is not None and multi else
                        " over all periods" if multi else "")
                why.append(f"data availability {avail[i]:.1%}{when} < {self.min_availability:.1%}"
                           f" ({len(codes)} indicators)")
            if zero[i]:
                when = (f" in {worst_z[i]}" if worst_z is not None and multi else
                        " over all periods" if multi else "")
                why.append(f"zero share {zeros[i]:.1%}{when} > {self.max_zero_share:.1%}")
            if u in self.exclude:
                keep[i] = False
                why = ["excluded by the recipe (exclude)", *why]
            elif u in self.include and not keep[i]:
                keep[i] = True
                why = [f"kept by the recipe (include) despite: {'; '.join(why)}"]
            reasons[u] = "; ".join(why)
            rows.append({"unit": u, "availability": avail[i], "zero_share": zeros[i],
                         "kept": bool(keep[i]), "reason": reasons[u]})
        if not keep.any():
            raise MethodError(
                f"step {name!r}: screening would remove every unit",
                [f"lowest availability {np.nanmin(avail):.1%}, rule min_availability="
                 f"{self.min_availability}; max_zero_share={self.max_zero_share}",
                 "lower the thresholds or check the data"])
        return ScreenFit(np.flatnonzero(keep), rows, reasons)

    def transform(self, plan: ScreenPlan, fit: ScreenFit, x: np.ndarray) -> np.ndarray:
        """The kept units' rows."""
        return x[..., fit.keep, :]

    def fit_chunked(self, ctx: StepContext, plan: ScreenPlan, x: Any) -> ScreenFit:
        """:meth:`fit` on a Dask array chunked over units: each block's units' shares
        (:meth:`shares`), gathered, then the same :meth:`decide`."""
        light = replace(plan, units=())  # (sent with every block's task)
        parts = compute(reduce_blocks(x, lambda b, s: [self.shares(light, b)],
                                      lambda a, b: a + b))[0]
        joined = [None if parts[0][i] is None else np.concatenate([p[i] for p in parts])
                  for i in range(4)]
        return self.decide(plan, *joined)

    def block_plan(self, plan: ScreenPlan, fit: ScreenFit, start: int, stop: int
                   ) -> tuple[ScreenPlan, ScreenFit]:
        """The block's units and the positions of its kept units."""
        keep = fit.keep[(fit.keep >= start) & (fit.keep < stop)] - start
        return replace(plan, units=plan.units[start:stop]), ScreenFit(keep, [], {})

    def labels(self, plan: ScreenPlan, fit: ScreenFit, ds: DataSet
               ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(ds.units[i] for i in fit.keep), ds.codes

    def products(self, ctx: StepContext, name: str, ds: DataSet, plan: ScreenPlan,
                 fit: ScreenFit, out: DataSet | None
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Every removed unit, with its reason (``exclusions.csv``)."""
        kept = set(fit.keep.tolist())
        return {}, [{"unit": u, "period": None, "step": name,
                     "reason": f"screened out: {fit.reasons[u]}"}
                    for i, u in enumerate(ds.units) if i not in kept]

    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: ScreenPlan,
                fit: ScreenFit, out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        multi = len(ds.periods) > 1
        kept = set(fit.keep.tolist())
        removed = [u for i, u in enumerate(ds.units) if i not in kept]
        reasons = fit.reasons
        rule = []
        if self.min_availability is not None:
            rule.append(f"availability >= {self.min_availability:.1%}")
        if self.max_zero_share is not None:
            rule.append(f"zero share <= {self.max_zero_share:.1%}")
        how = ("in every period" if self.scope == "all_periods" else "pooled over all periods"
               ) if multi else ""
        notes = [f"kept units with {' and '.join(rule) or 'no rule'} {how}".rstrip()
                 + f": {len(fit.keep)} of {len(ds.units)} kept"]
        if removed:
            notes.append(f"removed: {listing([f'{u} ({reasons[u]})' for u in removed], 10)}")
        forced_in = [u for u in self.include if reasons[u]]
        if forced_in:
            notes.append(f"kept by include despite the rules: {listing(forced_in)}")
        return notes, {"summary": pd.DataFrame(fit.rows)}
