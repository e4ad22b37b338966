"""The ``aggregate`` step: level by level from indicators to the index."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..dataset import DataSet
from ..errors import InputError, MethodError
from ..methods import aggregate as _agg
from .base import StepSpec, fmt

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["AggregateStep"]


class AggregateStep(StepSpec):
    """Aggregate level by level, from indicators up to the index.

    Attributes
    ----------
    method : {"arithmetic", "geometric"}
        Weighted arithmetic mean (compensatory) or weighted geometric mean (partly
        compensatory; needs strictly positive scores). OECD/JRC Handbook (2008), section 6.
    min_availability : float in [0, 1]
        Minimum share of an aggregate's (positively weighted) children that must be available
        for the aggregate to be computed; weights are renormalised over the available children.
        Default 0.5. Below it the aggregate is missing -- never computed as if the missing
        children were zero.
    """

    needs_normalised: ClassVar[bool] = True  # directions are applied by normalisation

    step: Literal["aggregate"] = "aggregate"
    output: str = "aggregated"
    method: Literal["arithmetic", "geometric"] = "arithmetic"
    min_availability: float = Field(0.5, ge=0.0, le=1.0)

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        fw = build.framework
        missing = [c for c in fw.indicator_codes if c not in ds.codes]
        if missing:
            raise InputError(f"step {name!r}: data set {ds.name!r} lacks indicators {missing}")
        codes = list(fw.indicator_codes) + fw.aggregate_codes
        out = np.full((*ds.values.shape[:2], len(codes)), np.nan)
        out[:, :, : len(fw.indicator_codes)] = ds.take(fw.indicator_codes)
        col = {c: i for i, c in enumerate(codes)}
        notes = [
            f"{self.method} mean level by level; weights renormalised over available children; "
            f"an aggregate needs at least {self.min_availability:.0%} of its children (else "
            "missing)"
        ]
        for agg in fw.aggregate_codes:
            kids = fw.children(agg)
            x = out[:, :, [col[k] for k in kids]]
            w = np.array([fw.node(k).weight for k in kids])
            if self.method == "geometric":
                bad = ~np.isnan(x) & ~(x > 0) & (w > 0)
                if bad.any():
                    pi, ui, ki = np.argwhere(bad)[0]
                    raise MethodError(
                        f"step {name!r}: geometric mean of {agg} needs strictly positive scores; "
                        f"{kids[ki]} is {fmt(x[pi, ui, ki])} for unit {ds.units[ui]} in "
                        f"{ds.periods[pi]} ({int(bad.sum())} such values)",
                        ["after min-max onto [0, 100] the worst unit of every indicator is "
                         "exactly 0: normalise onto a strictly positive range, e.g. "
                         "range: [1, 100], or use method: arithmetic"],
                    )
                y = _agg.geometric_mean(x, w, min_share=self.min_availability, names=kids)
            else:
                y = _agg.arithmetic_mean(x, w, min_share=self.min_availability)
            out[:, :, col[agg]] = y
            partial = int((np.isnan(x).any(axis=-1) & ~np.isnan(y)).sum())
            dropped = int((~np.isnan(x).all(axis=-1) & np.isnan(y)).sum())
            if partial:
                notes.append(f"{agg}: {partial} unit-periods aggregated over the available "
                             "children only")
            if dropped:
                notes.append(f"{agg}: {dropped} unit-periods left missing (too few children)")
        return DataSet(self.output, out, ds.units, ds.periods, tuple(codes)), notes
