"""Ranking kernels.

Ranks are computed on full-precision scores: 1 = best (highest score), ties share the lowest
rank of their group ("min" or "sport" ranking: 30, 20, 20, 10 -> 1, 2, 2, 4), and missing scores
stay unranked (NaN) -- never first, never last. This matches COINr's ``rank_df`` and the ranks
in its results tables (``ties.method = "min"``).

Scores that differ only by floating-point rounding are ties: two units whose scores are equal
in exact arithmetic can come out of a weighted mean as 0.20000000000000004 and
0.19999999999999998 (the order of the additions differs), and ranking those 2 and 3 would be a
wrong answer. So scores within ``tol`` (default 1e-12) times the largest score magnitude of the
group being ranked are tied. On a 0-100 scale that is 1e-10 points, about 7,000 units in the
last place of 100, so it covers the rounding of long pipelines, and far below any difference
the data can carry (4-6 significant digits). Unlike COINr 6, which ranked scores rounded to two
decimals, no real difference is merged. ``tol=0`` ranks exact values.
"""

from __future__ import annotations

import numpy as np

from ..tolerance import RELATIVE

__all__ = ["rank", "rankdata"]

_TIES = ("min", "max", "average", "dense", "ordinal")


#: Relative tolerance under which two scores are tied (see the module docstring): the one
#: tolerance of :mod:`gipro.tolerance`.
TIE_TOLERANCE = RELATIVE


def rank(
    scores: np.ndarray, *, axis: int = -1, higher_is_better: bool = True, ties: str = "min",
    tol: float = TIE_TOLERANCE,
) -> np.ndarray:
    """Rank scores along ``axis``: 1 = best, ties by ``ties``, NaN scores unranked.

    Uses :func:`rankdata` (:func:`scipy.stats.rankdata` with ``nan_policy="omit"``), after
    scores within
    ``tol`` x (largest magnitude along ``axis``) of the next one are made equal: rounding
    noise is a tie, not a rank (see the module docstring).

    Parameters
    ----------
    scores : ndarray
        Scores, e.g. of shape (..., n_units) with ``axis=-1``.
    axis : int
        Axis along which units are ranked.
    higher_is_better : bool
        ``True``: the highest score gets rank 1.
    ties : {"min", "max", "average", "dense", "ordinal"}
        Tie method (default "min", the sports convention).
    tol : float
        Relative tie tolerance (>= 0; default 1e-12; 0: exact values).

    Returns
    -------
    ndarray of float, the shape of ``scores``; NaN where the score is NaN.

    Raises
    ------
    ValueError
        On an unknown tie method.

    Examples
    --------
    >>> rank(np.array([0.014, 0.61, 0.27, 0.013, 0.99])).tolist()
    [4.0, 2.0, 3.0, 5.0, 1.0]

    Two means that are equal in exact arithmetic, (0.1 + 0.2 + 0.3) / 3 and
    (0.3 + 0.2 + 0.1) / 3, differ in the last digit; they share rank 2:

    >>> a, b = (0.1 + 0.2 + 0.3) / 3, (0.3 + 0.2 + 0.1) / 3
    >>> a == b, rank(np.array([a, b, 0.0, 1.0])).tolist()
    (False, [2.0, 2.0, 4.0, 1.0])
    """
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    s = np.asarray(scores, dtype=float)
    if s.size == 0:
        return s.copy()
    key = -s if higher_is_better else s
    if ties != "ordinal":  # one sort for the tolerance and the ranks
        return _ranked(key, axis, tol, ties)
    if tol > 0 and s.shape[axis] > 1:
        key = _snap(key, axis, tol)
    return rankdata(key, method=ties, axis=axis)


def _ranked(key: np.ndarray, axis: int, tol: float, ties: str) -> np.ndarray:
    """``rankdata(_snap(key, axis, tol), method=ties, axis=axis)`` with one sort: the runs of
    close values (:func:`_snap`) are the tie groups of the sorted keys. For every tie method
    but ``ordinal`` (whose order within a group is the input's) the ranks are the same."""
    k = np.moveaxis(key, axis, -1)
    shape = k.shape
    flat = k.reshape(-1, shape[-1])
    m, n = flat.shape
    order = np.argsort(flat, axis=1, kind="stable")  # NaN last
    ks = np.take_along_axis(flat, order, axis=1)
    valid = ~np.isnan(ks)
    gap = np.diff(ks, axis=1)
    if tol > 0 and n > 1:
        a = np.abs(flat)
        scale = np.fmax.reduce(np.where(np.isfinite(a), a, np.nan), axis=1, keepdims=True)
        tied = gap <= tol * scale  # (NaN compares False: a NaN is never close)
    else:
        tied = gap == 0
    new = np.ones((m, n), dtype=bool)
    new[:, 1:] = ~tied
    pos = np.broadcast_to(np.arange(n), (m, n))
    if ties == "dense":
        r = np.cumsum(new, axis=1).astype(float)
    else:
        first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
        end = np.ones((m, n), dtype=bool)
        end[:, :-1] = new[:, 1:]
        last = np.minimum.accumulate(np.where(end, pos, n)[:, ::-1], axis=1)[:, ::-1]
        r = (first + 1.0 if ties == "min" else last + 1.0 if ties == "max"
             else (first + last) / 2.0 + 1.0)
    out = np.full((m, n), np.nan)
    np.put_along_axis(out, order, np.where(valid, r, np.nan), axis=1)
    return np.moveaxis(out.reshape(shape), -1, axis)


def rankdata(x: np.ndarray, *, method: str = "average", axis: int = -1) -> np.ndarray:
    """Ascending ranks along ``axis`` (1 = smallest), ties by ``method``, NaN left unranked.

    The ranks of :func:`scipy.stats.rankdata` with ``nan_policy="omit"`` (the same numbers for
    every tie method; checked against it in ``tests/test_methods.py``), in numpy only, so
    ranking does not import ``scipy.stats`` (about half a second of start-up for a command
    line that ranks one index). Method names as in scipy and R's ``rank``: ``average`` (mean
    of the tied positions), ``min`` (sports ranking), ``max``, ``dense`` (consecutive group
    numbers) and ``ordinal`` (ties in order of appearance).

    Parameters
    ----------
    x : ndarray
    method : {"average", "min", "max", "dense", "ordinal"}
    axis : int

    Returns
    -------
    ndarray of float, the shape of ``x``; NaN where ``x`` is NaN.

    Raises
    ------
    ValueError
        On an unknown method.

    Examples
    --------
    >>> rankdata(np.array([30.0, 20.0, 20.0, np.nan, 10.0]), method="min").tolist()
    [4.0, 2.0, 2.0, nan, 1.0]
    >>> rankdata(np.array([30.0, 20.0, 20.0, 10.0])).tolist()
    [4.0, 2.5, 2.5, 1.0]
    """
    if method not in _TIES:
        raise ValueError(f"method must be one of {_TIES}, got {method!r}")
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    shape = x.shape
    flat = x.reshape(-1, shape[-1]) if x.ndim else x.reshape(1, 1)
    m, n = flat.shape
    out = np.full(flat.shape, np.nan)
    if n:
        order = np.argsort(flat, axis=1, kind="stable")  # NaN last
        srt = np.take_along_axis(flat, order, axis=1)
        valid = ~np.isnan(srt)
        pos = np.broadcast_to(np.arange(n), (m, n))
        new = np.ones((m, n), dtype=bool)
        new[:, 1:] = srt[:, 1:] != srt[:, :-1]
        if method == "ordinal":
            r = pos + 1.0
        elif method == "dense":
            r = np.cumsum(new, axis=1).astype(float)
        else:
            first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
            end = np.ones((m, n), dtype=bool)  # last of its tie group
            end[:, :-1] = new[:, 1:]
            last = np.minimum.accumulate(np.where(end, pos, n)[:, ::-1], axis=1)[:, ::-1]
            r = (first + 1.0 if method == "min" else last + 1.0 if method == "max"
                 else (first + last) / 2.0 + 1.0)
        np.put_along_axis(out, order, np.where(valid, r, np.nan), axis=1)
    return np.moveaxis(out.reshape(shape), -1, axis)


def _snap(key: np.ndarray, axis: int, tol: float) -> np.ndarray:
    """``key`` with each run of sorted values whose consecutive gaps are at most
    ``tol * max|key|`` (along ``axis``) set to the run's first (smallest) value; NaN kept."""
    k = np.moveaxis(key, axis, -1)
    order = np.argsort(k, axis=-1, kind="stable")  # NaN last
    ks = np.take_along_axis(k, order, axis=-1)
    a = np.abs(k)
    # the largest finite magnitude (NaN and infinite scores are never close to another)
    scale = np.fmax.reduce(np.where(np.isfinite(a), a, np.nan), axis=-1, keepdims=True)
    gap = np.diff(ks, axis=-1)
    close = (gap <= tol * scale) & (gap > 0)  # (NaN compares False: a NaN is never close)
    if not close.any():
        return key
    start = np.ones(ks.shape, dtype=bool)
    start[..., 1:] = ~(gap <= tol * scale)
    pos = np.where(start, np.arange(ks.shape[-1]), 0)
    first = np.maximum.accumulate(pos, axis=-1)  # the start of each position's run
    out = np.empty_like(k)
    np.put_along_axis(out, order, np.take_along_axis(ks, first, axis=-1), axis=-1)
    return np.moveaxis(out, -1, axis)
