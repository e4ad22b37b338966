"""Normalisation kernels: bring indicators onto a common scale.

Direction is applied by one rule for every method: the caller multiplies each indicator by its
direction (+1/-1) first (:func:`orient`), so that higher always means better; the normaliser
then maps the oriented values. This is COINr's rule (``Normalise``: ``x * direction`` before
``n_minmax``) and gives the linear mirror image for lower-is-better indicators, e.g.
``minmax(-x) == 1 - minmax(x)`` on [0, 1] (never 1/x, which distorts distances).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
section 5 (normalisation), table 3. Becker W. et al. (2022), COINr: an R package for
developing composite indicators, *JOSS* 7(78), 4567.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import MethodError

__all__ = ["column_bounds", "minmax", "orient"]


def orient(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Multiply each indicator by its direction so that higher is better.

    Parameters
    ----------
    x : ndarray of shape (..., n_indicators)
    direction : ndarray of shape (n_indicators,)
        +1 or -1.

    Returns
    -------
    ndarray of the shape of ``x``.
    """
    return np.asarray(x, dtype=float) * np.asarray(direction, dtype=float)


def column_bounds(x: np.ndarray, axis: int | tuple[int, ...] = -2) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of each indicator over ``axis``, ignoring ``NaN``.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    axis : int or tuple of int
        Axes to reduce: ``-2`` (units; per-period bounds on a (period, unit, indicator) cube)
        or ``(-3, -2)`` (periods and units; bounds pooled over all periods).

    Returns
    -------
    lower, upper : ndarray
        Shaped like ``x`` with the reduced axes kept as length 1. All-missing columns give NaN.
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        observed = ~np.isnan(x)
        anyobs = observed.any(axis=axis, keepdims=True)
        lower = np.where(anyobs, np.min(np.where(observed, x, np.inf), axis=axis, keepdims=True),
                         np.nan)
        upper = np.where(anyobs, np.max(np.where(observed, x, -np.inf), axis=axis, keepdims=True),
                         np.nan)
    return lower, upper


def _degenerate(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Mask of bounds with zero range (constant indicator)."""
    return ~np.isnan(lower) & ~(upper > lower)


def minmax(
    x: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    low: float = 0.0,
    high: float = 100.0,
    axis: int | tuple[int, ...] = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Min-max normalisation onto ``[low, high]``.

    .. math:: y = low + \frac{x - x_{min}}{x_{max} - x_{min}} (high - low)

    OECD/JRC Handbook (2008), section 5, "min-max"; COINr ``n_minmax``. Orient ``x`` first
    (:func:`orient`) for lower-is-better indicators.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented indicator values, NaN for missing.
    lower, upper : ndarray, optional
        Bounds broadcastable to ``x`` (e.g. pooled over periods). Default: computed over
        ``axis`` with :func:`column_bounds`.
    low, high : float
        Target range, ``low < high``.
    axis : int or tuple of int
        Axes over which the bounds are computed when not given.
    names : sequence of str, optional
        Codes of the indicators (last axis), used in error messages.

    Returns
    -------
    ndarray of the shape of ``x``; NaN stays NaN.

    Raises
    ------
    MethodError
        If ``low >= high``, or an indicator has zero range (constant over the units: min-max
        would divide by zero and turn every score into NaN).

    Examples
    --------
    >>> minmax(np.array([[2.0], [4.0], [8.0]]), low=0, high=1).ravel().tolist()
    [0.0, 0.3333333333333333, 1.0]
    """
    if not low < high:
        raise MethodError(f"min-max range must have low < high, got [{low}, {high}]")
    x = np.asarray(x, dtype=float)
    if lower is None or upper is None:
        lo, up = column_bounds(x, axis=axis)
        lower = lo if lower is None else lower
        upper = up if upper is None else upper
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    bad = _degenerate(lower, upper)
    if bad.any():
        cols = sorted(set(np.argwhere(np.broadcast_to(bad, np.broadcast_shapes(bad.shape, x.shape)))
                          [:, -1].tolist()))
        label = [names[c] for c in cols] if names is not None else cols
        raise MethodError(
            f"min-max normalisation: indicator(s) {label} have zero range (the same value for "
            "every unit), so min-max would divide by zero",
            ["drop the indicator from the framework, or screen it out before normalising"],
        )
    with np.errstate(invalid="ignore"):
        return low + (x - lower) / (upper - lower) * (high - low)
