"""The data of a build as scenarios change them: a (period, unit, variable) cube."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .relations import Relation

__all__ = ["Cube"]


@dataclass
class Cube:
    """Values of a build's data for scenario changes.

    Attributes
    ----------
    values : ndarray of shape (n_periods, n_units, n_codes)
        NaN = missing.
    periods, units, codes : list
        Axis labels; ``codes`` are the data's variables (indicators and others, e.g.
        denominators).
    last_observed : int
        The last period of the data; later periods are projected.
    directions : mapping of str to int
        +1 / -1 for codes that have a direction (framework indicators).
    groups : pandas.DataFrame
        Unit attributes (index: unit code), for ``groups:`` selections.
    domains : mapping of str to (low, high)
        Feasible range per code (``None`` = unbounded); a change that leaves it is an error.
    relations : tuple of Relation
        What is computed from what (:mod:`gipro.scenario.relations`): after each change the
        variables computed from the changed ones are recomputed, and warnings say what
        cannot be. Empty: every variable moves alone.
    """

    values: np.ndarray
    periods: list[int]
    units: list[str]
    codes: list[str]
    last_observed: int
    directions: Mapping[str, int] = field(default_factory=dict)
    groups: pd.DataFrame | None = None
    domains: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()

    def copy(self) -> Cube:
        return Cube(self.values.copy(), list(self.periods), list(self.units), list(self.codes),
                    self.last_observed, self.directions, self.groups, self.domains,
                    self.relations)
