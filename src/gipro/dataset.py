"""The data set of a build: a dense (period, unit, code) array with its labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DataSet", "positions"]


def positions(labels: Sequence[Any], wanted: Iterable[Any]) -> list[int]:
    """The position of each of ``wanted`` in ``labels`` (one dictionary, not a search per
    item: linear in the number of units).

    Raises
    ------
    KeyError
        A wanted label that is not in ``labels``.

    Examples
    --------
    >>> positions(("a", "b", "c"), ["c", "a"])
    [2, 0]
    """
    where = {x: i for i, x in enumerate(labels)}
    return [where[x] for x in wanted]


@dataclass(frozen=True)
class DataSet:
    """One named data set of a build.

    Attributes
    ----------
    name : str
        Data set name (``raw``, ``normalised``, ``aggregated``...).
    values : ndarray of shape (n_periods, n_units, n_codes)
        Values; NaN = missing.
    units, periods, codes : tuple
        Labels of the three axes.
    """

    name: str
    values: np.ndarray
    units: tuple[str, ...]
    periods: tuple[int, ...]
    codes: tuple[str, ...]

    def __post_init__(self) -> None:
        expected = (len(self.periods), len(self.units), len(self.codes))
        if self.values.shape != expected:
            raise ValueError(f"data set {self.name}: values {self.values.shape} != {expected}")

    def column(self, code: str) -> np.ndarray:
        """Values of one code, shape (n_periods, n_units)."""
        return self.values[:, :, self.codes.index(code)]

    def take(self, codes: list[str]) -> np.ndarray:
        """Values of some codes, shape (n_periods, n_units, len(codes))."""
        idx = [self.codes.index(c) for c in codes]
        return self.values[:, :, idx]

    def renamed(self, name: str) -> DataSet:
        """The same data under another name."""
        return DataSet(name, self.values, self.units, self.periods, self.codes)

    def to_frame(self) -> pd.DataFrame:
        """Wide table: index (unit, period), one column per code."""
        p, u, c = self.values.shape
        flat = self.values.transpose(1, 0, 2).reshape(u * p, c)
        index = pd.MultiIndex.from_product([self.units, self.periods], names=["unit", "period"])
        return pd.DataFrame(flat, index=index, columns=list(self.codes))
