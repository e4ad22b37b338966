"""Ranking kernels.

Ranks are computed on full-precision scores: 1 = best (highest score), ties share the lowest
rank of their group ("min" or "sport" ranking: 30, 20, 20, 10 -> 1, 2, 2, 4), and missing scores
stay unranked (NaN) -- never first, never last. This matches COINr's ``rank_df`` and the ranks
in its results tables (``ties.method = "min"``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["rank"]

_TIES = ("min", "max", "average", "dense", "ordinal")


def rank(
    scores: np.ndarray, *, axis: int = -1, higher_is_better: bool = True, ties: str = "min"
) -> np.ndarray:
    """Rank scores along ``axis``: 1 = best, ties by ``ties``, NaN scores unranked.

    Uses :func:`scipy.stats.rankdata` with ``nan_policy="omit"``.

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
    """
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    s = np.asarray(scores, dtype=float)
    if s.size == 0:
        return s.copy()
    key = -s if higher_is_better else s
    return rankdata(key, method=ties, axis=axis, nan_policy="omit").astype(float)
