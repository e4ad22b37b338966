"""Statistics of a data set's columns, from numpy arrays or from Dask arrays chunked over units.

A step that learns from per-column statistics (bounds, counts, means and standard deviations)
reads them through one small interface, so its fit has one implementation whether the data
are in memory (:class:`ArrayColumns`) or in blocks of units on a cluster
(:class:`DaskColumns`, one pass over the data for bounds, counts and sums, a second one for
the squared deviations from the mean -- the two-pass formula of
:func:`gipro.methods.normalise.column_moments`).

The reductions are exact for bounds and counts; sums are added in another order than numpy's,
so means and standard deviations agree with the in-memory ones to the last few bits (about
1e-15 relative).

Dask is imported only when a Dask array is reduced (:func:`reduce_blocks`, :func:`compute`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..methods import normalise as _norm

__all__ = ["ArrayColumns", "DaskColumns", "block_offsets", "compute", "map_blocks",
           "reduce_blocks", "unit_values"]

Axis = int | tuple[int, ...]


def compute(*objs: Any) -> tuple[Any, ...]:
    """Compute Dask objects on the current client (:func:`gipro.cluster.connect`)."""
    import dask

    return dask.compute(*objs)


def block_offsets(x: Any) -> list[int]:
    """First unit of each block of a Dask array of shape (P, U, K) chunked over units."""
    return [0, *np.cumsum(x.chunks[1]).tolist()][:-1]


def _tree(combine: Callable[[Any, Any], Any], *parts: Any) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = combine(out, p)
    return out


def reduce_blocks(x: Any, chunk: Callable[[np.ndarray, int], Any],
                  combine: Callable[[Any, Any], Any], *, fan_in: int = 8) -> Any:
    """A lazy reduction over the blocks of units of ``x``: ``chunk(block, start)`` on each
    block (``start``: its first unit), results combined pairwise in a tree of ``fan_in``.

    Returns
    -------
    dask.delayed.Delayed
        Compute it with :func:`compute` (several reductions of one array in one pass).
    """
    from dask import delayed

    blocks = x.to_delayed().reshape(-1)
    parts = [delayed(chunk, pure=True)(b, start)
             for b, start in zip(blocks, block_offsets(x), strict=True)]
    while len(parts) > 1:
        parts = [delayed(_tree, pure=True)(combine, *parts[i:i + fan_in])
                 for i in range(0, len(parts), fan_in)]
    return parts[0]


def map_blocks(x: Any, func: Callable[[np.ndarray], np.ndarray], n_codes: int) -> Any:
    """``func`` on every block of units of ``x`` (P, U, K) -> a Dask array (P, U, n_codes)."""
    return x.map_blocks(func, dtype=float, chunks=(x.chunks[0], x.chunks[1], (n_codes,)))


def unit_values(x: Any, unit: int) -> np.ndarray:
    """The values of one unit, shape (P, 1, K), computed."""
    return np.asarray(compute(x[:, unit:unit + 1, :])[0])


def _reduced_shape(shape: Sequence[int], axis: Axis) -> tuple[int, ...]:
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class ArrayColumns:
    """Statistics of the columns (last axis) of an array, over ``axis``.

    Parameters
    ----------
    x : ndarray of shape (..., P, U, K)
    axis : int or tuple of int
        ``-2`` (per period) or ``(-3, -2)`` (pooled over periods).
    """

    def __init__(self, x: np.ndarray, axis: Axis) -> None:
        self.x = x
        self.axis = axis
        self.n_cells = int(np.prod([x.shape[a] for a in ((axis,) if isinstance(axis, int)
                                                         else axis)]))

    def _cols(self, keep: list[int] | None) -> np.ndarray:
        return self.x if keep is None else self.x[..., keep]

    def bounds(self, keep: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds (:func:`gipro.methods.normalise.column_bounds`)."""
        return _norm.column_bounds(self._cols(keep), self.axis)

    def counts(self) -> np.ndarray:
        """Observed values per column (the bounds' shape)."""
        return (~np.isnan(self.x)).sum(axis=self.axis, keepdims=True)

    def moments(self, keep: list[int] | None, ddof: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation (:func:`gipro.methods.normalise.column_moments`)."""
        mean, sd, _ = _norm.column_moments(self._cols(keep), self.axis, ddof=ddof)
        return mean, sd

    def unit(self, unit: int, period: int | None = None) -> np.ndarray:
        """One unit's values: shape (P, 1, K), or (1, 1, K) for one period."""
        if period is not None:
            return self.x[period, unit, :][None, None, :]
        return self.x[:, unit, :][:, None, :]

    def period_mean(self, period: int, keep: list[int] | None = None) -> np.ndarray:
        """Mean over the units of one period, shape (1, K)."""
        mean, _, _ = _norm.column_moments(self._cols(keep)[period], axis=0, ddof=0)
        return mean


def _sums(block: np.ndarray, start: int, axis: Axis, squares_about: np.ndarray | None
          ) -> tuple[np.ndarray, ...]:
    obs = ~np.isnan(block)
    if squares_about is not None:  # second pass: squared deviations from the mean
        dev = np.where(obs, block - squares_about, 0.0)
        return ((dev * dev).sum(axis=axis, keepdims=True),)
    return (np.where(obs, block, np.inf).min(axis=axis, keepdims=True),
            np.where(obs, block, -np.inf).max(axis=axis, keepdims=True),
            obs.sum(axis=axis, keepdims=True),
            np.where(obs, block, 0.0).sum(axis=axis, keepdims=True))


def _add_sums(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    if len(a) == 1:
        return (a[0] + b[0],)
    return (np.minimum(a[0], b[0]), np.maximum(a[1], b[1]), a[2] + b[2], a[3] + b[3])


class DaskColumns(ArrayColumns):
    """:class:`ArrayColumns` of a Dask array of shape (P, U, K) chunked over units: bounds,
    counts and sums in one pass over the data, squared deviations in a second one (only when
    :meth:`moments` is asked for), one unit's values gathered when asked for.

    Parameters
    ----------
    x : dask.array.Array of shape (P, U, K)
        Chunked over units only.
    axis : -2 or (-3, -2)
        Per period or pooled over periods.
    """

    def __init__(self, x: Any, axis: Axis) -> None:
        super().__init__(x, axis)
        axes = (axis,) if isinstance(axis, int) else axis
        self.axes = tuple(a % 3 for a in axes)
        lower, upper, n, total = compute(reduce_blocks(
            x, lambda b, s: _sums(b, s, self.axes, None), _add_sums))[0]
        self._n = n
        self._total = total
        self._lower = np.where(n > 0, lower, np.nan)
        self._upper = np.where(n > 0, upper, np.nan)
        self._sq: dict[int, np.ndarray] = {}

    def bounds(self, keep: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        if keep is None:
            return self._lower, self._upper
        return self._lower[..., keep], self._upper[..., keep]

    def counts(self) -> np.ndarray:
        return self._n

    def _mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self._n > 0, self._total / self._n, np.nan)

    def moments(self, keep: list[int] | None, ddof: int) -> tuple[np.ndarray, np.ndarray]:
        mean = self._mean()
        if "sq" not in self._sq:
            about = np.where(np.isnan(mean), 0.0, mean)
            self._sq["sq"] = compute(reduce_blocks(
                self.x, lambda b, s: _sums(b, s, self.axes, about), _add_sums))[0][0]
        n = self._n
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(n > ddof, self._sq["sq"] / (n - ddof), np.nan)
        sd = np.sqrt(var)
        if keep is not None:
            mean, sd = mean[..., keep], sd[..., keep]
        return mean, sd

    def unit(self, unit: int, period: int | None = None) -> np.ndarray:
        row = unit_values(self.x, unit)
        return row[period][None] if period is not None else row

    def period_mean(self, period: int, keep: list[int] | None = None) -> np.ndarray:
        if self.axes == (1,):  # per-period sums already known
            mean = self._mean()[period]
        else:
            per = DaskColumns(self.x[period:period + 1], -2)
            mean = per._mean()[0]
        return mean if keep is None else mean[..., keep]
