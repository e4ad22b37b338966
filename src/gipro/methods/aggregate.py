"""Aggregation kernels: combine children (indicators or sub-indices) into a parent score.

Missing children are never treated as zero: the weights are renormalised over the children
that are available, provided enough of them are (``min_share``); otherwise the result is NaN.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6 (aggregation):
linear (weighted arithmetic) and geometric aggregation. COINr ``a_amean``, ``a_gmean`` and the
``dat_thresh`` argument of ``Aggregate``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import MethodError

__all__ = ["arithmetic_mean", "geometric_mean"]


def _prepare(
    x: np.ndarray, weights: np.ndarray, min_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not 0.0 <= min_share <= 1.0:
        raise MethodError(f"min_share must be between 0 and 1, got {min_share}")
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    if (w < 0).any() or not np.isfinite(w).all():
        raise MethodError("aggregation weights must be finite and >= 0")
    counted = w > 0
    n_counted = counted.sum(axis=-1)
    if (n_counted == 0).any():
        raise MethodError("aggregation weights are all zero for some group of children")
    avail = ~np.isnan(x) & counted
    share = avail.sum(axis=-1) / n_counted
    wa = np.where(avail, w, 0.0)
    ok = (share >= min_share - 1e-12) & (wa.sum(axis=-1) > 0)
    return x, wa, avail, ok


def arithmetic_mean(
    x: np.ndarray, weights: np.ndarray, *, min_share: float = 0.0
) -> np.ndarray:
    r"""Weighted arithmetic mean over the last axis, renormalising weights over available values.

    .. math:: y = \frac{\sum_{j \in A} w_j x_j}{\sum_{j \in A} w_j}

    where :math:`A` is the set of available (non-NaN) children with positive weight.
    OECD/JRC Handbook (2008), section 6.1 (linear aggregation); COINr ``a_amean``.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
        Normalised scores; NaN for missing.
    weights : ndarray broadcastable to ``x``
        Non-negative weights (need not sum to 1). Children with zero weight are ignored.
    min_share : float in [0, 1]
        Minimum share of the positively weighted children that must be available; below it
        the result is NaN (COINr ``dat_thresh``).

    Returns
    -------
    ndarray of shape ``x.shape[:-1]``.

    Raises
    ------
    MethodError
        Negative or non-finite weights, all-zero weights, ``min_share`` outside [0, 1].

    Examples
    --------
    >>> arithmetic_mean(np.array([1.0, 2.0, np.nan]), np.array([1.0, 3.0, 4.0])).item()
    1.75
    """
    x, wa, _, ok = _prepare(x, weights, min_share)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.sum(wa * np.where(wa > 0, x, 0.0), axis=-1) / wa.sum(axis=-1)
    return np.where(ok, y, np.nan)


def geometric_mean(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    min_share: float = 0.0,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Weighted geometric mean over the last axis, renormalising weights over available values.

    .. math:: y = \exp\left(\frac{\sum_{j \in A} w_j \ln x_j}{\sum_{j \in A} w_j}\right)

    OECD/JRC Handbook (2008), section 6.2 (geometric aggregation); COINr ``a_gmean``
    (e.g. ``gmean(1, 2, 3) = 6^(1/3)``; with weights (1, 1, 2): ``18^(1/4)``).

    The geometric mean is only defined for strictly positive values. After min-max onto
    [0, 100] every indicator's worst unit is exactly 0, which would make its score 0 whatever
    its other values: normalise onto a strictly positive range (e.g. [1, 100]) instead.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
    weights : ndarray broadcastable to ``x``
    min_share : float in [0, 1]
        As in :func:`arithmetic_mean`.
    names : sequence of str, optional
        Codes of the children (last axis), used in error messages.

    Returns
    -------
    ndarray of shape ``x.shape[:-1]``.

    Raises
    ------
    MethodError
        If an available child with positive weight is zero or negative.

    Examples
    --------
    >>> round(geometric_mean(np.array([1.0, 2.0, 3.0]), np.ones(3)).item(), 6)
    1.817121
    """
    x, wa, avail, ok = _prepare(x, weights, min_share)
    bad = avail & ~(x > 0)
    if bad.any():
        cols = sorted(set(np.argwhere(bad)[:, -1].tolist()))
        label = [names[c] for c in cols] if names is not None else cols
        raise MethodError(
            f"geometric mean needs strictly positive values; zero or negative values in {label}",
            ["normalise onto a strictly positive range, e.g. min-max onto [1, 100], or use "
             "arithmetic aggregation"],
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.where(wa > 0, np.log(np.where(avail, x, 1.0)), 0.0)
        y = np.exp(np.sum(wa * logs, axis=-1) / wa.sum(axis=-1))
    return np.where(ok, y, np.nan)
