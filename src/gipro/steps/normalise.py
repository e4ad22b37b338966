"""The ``normalise`` step: bring indicators onto a common scale (labels, directions, bounds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import model_validator

from ..dataset import DataSet
from ..errors import MethodError
from ..methods import normalise as _norm
from .base import StepSpec, fmt

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["NormaliseStep"]


class NormaliseStep(StepSpec):
    """Normalise indicators onto a common scale.

    Attributes
    ----------
    method : {"minmax"}
        Min-max (OECD/JRC Handbook 2008, section 5).
    range : (float, float)
        Target range, default [0, 100].
    bounds : {"pooled", "per_period"}
        ``pooled`` (default): each indicator's min and max are taken over all units *and all
        periods* of the build, so a score of 60 means the same in every year and changes over
        time are real changes, not moving goalposts. ``per_period``: bounds per period (each
        year's best unit scores 100; use for cross-sections only).
    """

    step: Literal["normalise"] = "normalise"
    output: str = "normalised"
    method: Literal["minmax"] = "minmax"
    range: tuple[float, float] = (0.0, 100.0)
    bounds: Literal["pooled", "per_period"] = "pooled"

    @model_validator(mode="after")
    def _range(self) -> NormaliseStep:
        if not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        return self

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        fw = build.framework
        codes = [c for c in ds.codes if c in set(fw.indicator_codes)]
        x = _norm.orient(ds.take(codes), fw.directions(codes))
        axis = (0, 1) if self.bounds == "pooled" else 1
        lower, upper = _norm.column_bounds(x, axis=axis)
        bad = ~np.isnan(lower) & ~(upper > lower)
        if bad.any():
            details = []
            for idx in np.argwhere(bad):
                code = codes[idx[-1]]
                node = fw.node(code)
                when = (f"over {ds.periods[0]}-{ds.periods[-1]}" if self.bounds == "pooled"
                        else f"in period {ds.periods[idx[0]]}")
                value = abs(lower[tuple(idx)])
                details.append(f"indicator {code} ({node.unit or 'no unit'}) has the same value "
                               f"{fmt(value)} for every unit {when}")
            raise MethodError(
                f"step {name!r}: min-max normalisation of a constant indicator divides by zero",
                [*details, "remove the indicator from the framework or choose units/periods "
                 "where it varies"],
            )
        y = _norm.minmax(x, lower=lower, upper=upper, low=self.range[0], high=self.range[1],
                         names=codes)
        build.fitted[name] = {"codes": codes, "lower": lower, "upper": upper}
        notes = [
            f"min-max onto [{fmt(self.range[0])}, {fmt(self.range[1])}] after multiplying each "
            "indicator by its direction",
            ("bounds pooled over all periods "
             f"{ds.periods[0]}-{ds.periods[-1]}: scores are comparable across periods")
            if self.bounds == "pooled"
            else "bounds per period: each period's best unit scores the top of the range",
        ]
        empty = [c for k, c in enumerate(codes) if np.isnan(lower[..., k]).any()]
        if empty:
            notes.append(f"no data at all (left missing): {', '.join(empty)}")
        return DataSet(self.output, y, ds.units, ds.periods, tuple(codes)), notes
