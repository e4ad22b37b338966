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

__all__ = ["ArrayColumns", "DaskColumns", "block_offsets", "compute", "from_blocks",
           "group_means",
           "group_medians", "group_order_statistics", "group_slices", "map_blocks",
           "reduce_blocks", "unit_values"]

Axis = int | tuple[int, ...]


def compute(*objs: Any) -> tuple[Any, ...]:
    """Compute Dask objects on the current client (:func:`gipro.cluster.connect`)."""
    import dask

    return dask.compute(*objs)


def from_blocks(parts: Sequence[Any], shapes: Sequence[tuple[int, int, int]]) -> Any:
    """A Dask array of shape (P, U, K) chunked over units from delayed blocks of the given
    shapes, keeping blocks without units (``dask.array.concatenate`` drops them; a chunked
    build's data sets keep one block per block of the raw data)."""
    import uuid

    import dask.array as da
    from dask.highlevelgraph import HighLevelGraph

    name = f"gipro-blocks-{uuid.uuid4().hex}"
    dsk = {(name, 0, i, 0): d.key for i, d in enumerate(parts)}
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=list(parts))
    p, k = shapes[0][0], shapes[0][2]
    return da.Array(graph, name, chunks=((p,), tuple(s[1] for s in shapes), (k,)),
                    dtype=float)


def block_offsets(x: Any) -> list[int]:
    """First unit of each block of a Dask array of shape (P, U, K) chunked over units."""
    return [0, *np.cumsum(x.chunks[1]).tolist()][:-1]


def _tree(combine: Callable[[Any, Any], Any], *parts: Any) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = combine(out, p)
    return out


def _guarded(func: Callable[..., Any], *args: Any) -> Any:
    with np.errstate(over="raise"):  # as the runner's guard: overflow is an error
        return func(*args)


def reduce_blocks(x: Any, chunk: Callable[..., Any],
                  combine: Callable[[Any, Any], Any], *, per_block: Sequence[Any] | None = None,
                  fan_in: int = 8) -> Any:
    """A lazy reduction over the blocks of units of ``x``: ``chunk(block, start)`` on each
    block (``start``: its first unit; ``chunk(block, start, per_block[i])`` with
    ``per_block``, e.g. the block's slice of a per-unit array), results combined pairwise in a
    tree of ``fan_in``. Arithmetic overflow raises (FloatingPointError), as in the runner.

    Returns
    -------
    dask.delayed.Delayed
        Compute it with :func:`compute` (several reductions of one array in one pass).
    """
    from dask import delayed

    blocks = x.to_delayed(optimize_graph=False).reshape(-1)
    extra = [()] * len(blocks) if per_block is None else [(a,) for a in per_block]
    parts = [delayed(_guarded, pure=True)(chunk, b, start, *e)
             for b, start, e in zip(blocks, block_offsets(x), extra, strict=True)]
    while len(parts) > 1:
        parts = [delayed(_guarded, pure=True)(_tree, combine, *parts[i:i + fan_in])
                 for i in range(0, len(parts), fan_in)]
    return parts[0]


def map_blocks(x: Any, func: Callable[[np.ndarray], np.ndarray], n_codes: int) -> Any:
    """``func`` on every block of units of ``x`` (P, U, K) -> a Dask array (P, U, n_codes)."""
    return x.map_blocks(func, dtype=float, chunks=(x.chunks[0], x.chunks[1], (n_codes,)))


def unit_values(x: Any, unit: int) -> np.ndarray:
    """The values of one unit, shape (P, 1, K), computed."""
    return np.asarray(compute(x[:, unit:unit + 1, :])[0])


def group_slices(groups: np.ndarray | None, x: Any) -> list[Any] | None:
    """Each block's slice of a per-unit array (``None`` stays ``None``)."""
    if groups is None:
        return None
    return [groups[a:a + n] for a, n in zip(block_offsets(x), x.chunks[1], strict=True)]


def _group_sums(block: np.ndarray, start: int, groups: np.ndarray | None, n_groups: int,
                pooled: bool) -> tuple[np.ndarray, np.ndarray]:
    p, u, k = block.shape
    g = np.zeros(u, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    valid = ~np.isnan(block) & (g >= 0)[None, :, None]
    rows = 1 if pooled else p
    b = np.zeros(p, dtype=np.int64) if pooled else np.arange(p)
    key = (b[:, None, None] * n_groups + g[None, :, None]) * k + np.arange(k)[None, None, :]
    key = np.broadcast_to(key, block.shape)[valid]
    size = rows * n_groups * k
    sums = np.bincount(key, weights=block[valid], minlength=size).reshape(rows, n_groups, k)
    counts = np.bincount(key, minlength=size).reshape(rows, n_groups, k)
    return sums, counts


def _add_pair(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def group_means(x: Any, groups: np.ndarray | None, n_groups: int, pooled: bool
                ) -> np.ndarray:
    """Mean of the observed values of each column within each group of units: shape
    (P or 1 (pooled), n_groups, K), NaN where a group has no observed value. ``groups``:
    each unit's group (-1: none, left out); ``None``: one group of every unit."""
    sums, counts = compute(reduce_blocks(
        x, lambda b, s, g=None: _group_sums(b, s, g, n_groups, pooled), _add_pair,
        per_block=group_slices(groups, x)))[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


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
    return (np.where(obs, block, np.inf).min(axis=axis, keepdims=True, initial=np.inf),
            np.where(obs, block, -np.inf).max(axis=axis, keepdims=True, initial=-np.inf),
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
        axes = tuple(a % 3 for a in ((axis,) if isinstance(axis, int) else axis))
        self.axes = axes
        lower, upper, n, total = compute(reduce_blocks(
            x, lambda b, s: _sums(b, s, axes, None), _add_sums))[0]
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
            axes = self.axes
            self._sq["sq"] = compute(reduce_blocks(
                self.x, lambda b, s: _sums(b, s, axes, about), _add_sums))[0][0]
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


# ---------------------------------------------------------------------- order statistics
#: Bins per column and pass of :func:`group_order_statistics`; a column whose window holds at
#: most :data:`_GATHER` values is finished by gathering them.
_BINS, _GATHER = 1024, 512


def _edge(lo: np.ndarray, hi: np.ndarray, j: np.ndarray, nb: int) -> np.ndarray:
    """Edge ``j`` of ``nb`` bins over ``[lo, hi]`` (the same expression wherever it is
    evaluated, so a value's bin is decided by exact comparisons with the same numbers)."""
    return lo + (hi - lo) * j / nb


def _cells(block: np.ndarray, groups: np.ndarray | None, n_groups: int, pooled: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """Column key and value of each observed cell of a block (column: (period or 0, group,
    code); units without a group left out)."""
    p, u, k = block.shape
    g = np.zeros(u, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    valid = ~np.isnan(block) & (g >= 0)[None, :, None]
    b = np.zeros(p, dtype=np.int64) if pooled else np.arange(p)
    key = (b[:, None, None] * n_groups + g[None, :, None]) * k + np.arange(k)[None, None, :]
    return np.broadcast_to(key, block.shape)[valid], block[valid]


def _window_pass(block: np.ndarray, start: int, groups: np.ndarray | None, spec: tuple
                 ) -> tuple[np.ndarray, ...]:
    """One pass of the selection over a block: per active column, the values in its window
    ``[lo, hi]`` counted by bin, their minimum and maximum (``spec``: the layout, the active
    columns and their windows; ``gather``: return the values instead)."""
    with np.errstate(invalid="ignore"):  # (the first pass's window is [-inf, inf])
        return _window_counts(block, groups, spec)


def _window_counts(block: np.ndarray, groups: np.ndarray | None, spec: tuple
                   ) -> tuple[np.ndarray, ...]:
    n_groups, pooled, active, lo, hi, gather = spec
    key, v = _cells(block, groups, n_groups, pooled)
    pos = np.full(int(active.max()) + 1 if active.size else 1, -1, dtype=np.int64)
    pos[active] = np.arange(active.size)
    inside = key <= pos.size - 1
    key, v = key[inside], v[inside]
    a = pos[key]
    keep = a >= 0
    a, v = a[keep], v[keep]
    inw = (v >= lo[a]) & (v <= hi[a])
    a, v = a[inw], v[inw]
    if gather:
        return a, v
    width = hi[a] - lo[a]
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.where(width > 0, np.floor((v - lo[a]) / width * _BINS), 0)
    j = np.clip(np.nan_to_num(j), 0, _BINS - 1).astype(np.int64)
    for _ in range(2):  # the bin by exact comparison with the edges
        j = np.where((j > 0) & (v < _edge(lo[a], hi[a], j, _BINS)), j - 1, j)
        j = np.where((j < _BINS - 1) & (v >= _edge(lo[a], hi[a], j + 1, _BINS)), j + 1, j)
    n = active.size
    counts = np.bincount(a * _BINS + j, minlength=n * _BINS).reshape(n, _BINS)
    wmin = np.full(n, np.inf)
    wmax = np.full(n, -np.inf)
    np.minimum.at(wmin, a, v)
    np.maximum.at(wmax, a, v)
    return counts, wmin, wmax


def _join_windows(x: tuple[np.ndarray, ...], y: tuple[np.ndarray, ...]
                  ) -> tuple[np.ndarray, ...]:
    return x[0] + y[0], np.minimum(x[1], y[1]), np.maximum(x[2], y[2])


def _join_gathered(x: tuple[np.ndarray, ...], y: tuple[np.ndarray, ...]
                   ) -> tuple[np.ndarray, ...]:
    return np.concatenate([x[0], y[0]]), np.concatenate([x[1], y[1]])


def _pass(x: Any, per: Any, layout: tuple[int, bool], cols: np.ndarray, lo: np.ndarray,
          hi: np.ndarray, gather: bool) -> tuple[np.ndarray, ...]:
    n_groups, pooled = layout
    return compute(reduce_blocks(
        x, lambda b, s, g=None: _window_pass(b, s, g, (n_groups, pooled, cols, lo, hi,
                                                        gather)),
        _join_gathered if gather else _join_windows, per_block=per))[0]


def _select(x: Any, per: Any, layout: tuple[int, bool], rank: np.ndarray, n: np.ndarray,
            lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The value of 0-based ``rank`` among each column's observed values (NaN for a column
    without values), by passes narrowing a window ``[lo, hi]`` around it (see
    :func:`group_order_statistics`)."""
    out = np.full(rank.size, np.nan)
    lo, hi = lo.copy(), hi.copy()
    below = np.zeros(rank.size, dtype=np.int64)  # values < lo
    inwin = n.copy()  # values in the window (ties at hi aside)
    todo = n > 0
    while todo.any():
        same = todo & (lo == hi)  # every value in the window equal: the answer
        out[same] = lo[same]
        todo &= ~same
        small = np.flatnonzero(todo & (inwin <= _GATHER))
        if small.size:
            a, v = _pass(x, per, layout, small, lo[small], hi[small], True)
            order = np.lexsort((v, a))
            a, v = a[order], v[order]
            first = np.searchsorted(a, np.arange(small.size))
            out[small] = v[first + rank[small] - below[small]]
            todo[small] = False
        cols = np.flatnonzero(todo)
        if not cols.size:
            break
        counts, wmin, wmax = _pass(x, per, layout, cols, lo[cols], hi[cols], False)
        cum = np.cumsum(counts, axis=1)
        rows = np.arange(cols.size)
        j = (cum <= (rank[cols] - below[cols])[:, None]).sum(axis=1)  # the rank's bin
        before = np.where(j > 0, cum[rows, np.maximum(j - 1, 0)], 0)
        with np.errstate(invalid="ignore"):
            new_lo = np.where(j > 0, _edge(lo[cols], hi[cols], j, _BINS), wmin)
            new_hi = np.where(j < _BINS - 1, _edge(lo[cols], hi[cols], j + 1, _BINS), wmax)
        stuck = (new_lo <= lo[cols]) & (new_hi >= hi[cols])
        below[cols] += before
        inwin[cols] = counts[rows, j]
        lo[cols] = np.maximum(new_lo, np.where(stuck, wmin, new_lo))
        hi[cols] = np.minimum(new_hi, np.where(stuck, wmax, new_hi))
        # a window that cannot narrow (edges equal at floating-point resolution): gather it
        inwin[cols[stuck & (lo[cols] < hi[cols])]] = 0
    return out


def group_order_statistics(x: Any, groups: np.ndarray | None, n_groups: int, pooled: bool,
                           ranks: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact order statistics of each column's observed values within each group of units,
    by selection over passes of the data: counts, minima and maxima first; then, per pass,
    each column's values in a window around the wanted rank counted in :data:`_BINS` bins
    (exact comparisons with the bins' edges) and the window narrowed to the bin holding the
    rank; a column is finished when its window's values are all equal or few enough to be
    gathered and sorted (:data:`_GATHER`). The values returned are values of the data (no
    interpolation), so the result is exactly that of sorting each column.

    Parameters
    ----------
    x : dask array of shape (P, U, K)
    groups, n_groups, pooled :
        As :func:`group_means`.
    ranks : callable
        ``ranks(n) -> (r1, r2)``: the 0-based ranks wanted for columns of ``n`` values.

    Returns
    -------
    v1, v2 : ndarray of shape (P or 1, n_groups, K)
        The values of rank ``r1`` and ``r2`` (NaN for columns without values).
    n : ndarray of int
        Observed values per column.
    """
    shape = (1 if pooled else x.shape[0], n_groups, x.shape[2])
    per = group_slices(groups, x)
    layout = (n_groups, pooled)
    c_all = int(np.prod(shape))
    every = np.arange(c_all)
    counts, wmin, wmax = _pass(x, per, layout, every, np.full(c_all, -np.inf),
                               np.full(c_all, np.inf), False)
    n = counts.sum(axis=1)
    r1, r2 = ranks(n)
    v1 = _select(x, per, layout, r1, n, wmin, wmax)
    v2 = v1.copy()
    other = r2 != r1
    if other.any():
        v2 = np.where(other, _select(x, per, layout, r2, np.where(other, n, 0), wmin, wmax),
                      v1)
    return v1.reshape(shape), v2.reshape(shape), n.reshape(shape)


def group_medians(x: Any, groups: np.ndarray | None, n_groups: int, pooled: bool
                  ) -> np.ndarray:
    """Median of the observed values of each column within each group of units (as
    ``numpy.nanmedian``: the middle value, or the mean of the two middle values), exact
    (:func:`group_order_statistics`); NaN where a group has no observed value."""
    v1, v2, n = group_order_statistics(
        x, groups, n_groups, pooled, lambda m: ((m - 1) // 2, m // 2))
    with np.errstate(invalid="ignore"):
        return np.where(n % 2 == 1, v1, (v1 + v2) / 2.0)
