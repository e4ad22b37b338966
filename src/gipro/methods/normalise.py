"""Normalisation kernels: bring indicators onto a common scale.

Direction is applied by one rule for every method: the caller multiplies each indicator by its
direction (+1/-1) first (:func:`orient`), so that higher always means better, and orients any
external reference the same way (targets, goalposts, leading values: ``value * direction``,
goalposts ``(l, u) -> (-u, -l)``); the normaliser then maps the oriented values. This is COINr's
rule (``Normalise``: ``x * direction`` before ``n_minmax`` and ``n_goalposts``) and gives the
linear mirror image for lower-is-better indicators, e.g. ``minmax(-x) == 1 - minmax(x)`` on
[0, 1] (never 1/x, which distorts distances: field case B04).

Every kernel takes ``x`` of shape ``(..., n_units, n_indicators)`` and, where the method learns
something from the data (bounds, moments, ranks), computes it over ``axis`` (default ``-2``, the
units; pass ``(-3, -2)`` to pool a ``(period, unit, indicator)`` cube over periods). Leading axes
(replications) are carried through. NaN is missing and stays NaN; an all-missing slice gives NaN
without error.

:func:`normalise` dispatches by method name and applies the constant-indicator policy
(field case B01) in one place for every method: an indicator with the same value for every unit
has no information to normalise against; by default this raises :class:`MethodError` naming the
indicator, with ``constant="midpoint"`` every observed value of it is set to the middle of the
method's output scale instead (the caller records that it did so).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
section 5 (normalisation), table 3. Becker W., Benavente D., Dominguez Torreiro M., Moura C.T.,
Neves A.R., Saisana M., Vertesy D. (2022), COINr: an R package for developing composite
indicators, *JOSS* 7(78), 4567 (functions ``n_minmax``, ``n_zscore``, ``n_goalposts``,
``n_dist2targ``, ``n_dist2ref``, ``n_dist2max``, ``n_fracmax``, ``n_prank``, ``n_rank``,
``n_borda``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import MethodError
from ..tolerance import RELATIVE as _RTOL
from ..tolerance import flat
from .rank import rankdata

__all__ = [
    "AXIS_FREE",
    "DATA_RELATIVE",
    "METHODS",
    "RANGED",
    "RELATIVE",
    "ampi",
    "borda",
    "column_bounds",
    "column_moments",
    "constant_bounds",
    "constant_columns",
    "distance_to_max",
    "distance_to_reference",
    "distance_to_target",
    "efficacy",
    "fraction_of_max",
    "goalposts",
    "leading_ratio",
    "midpoint",
    "minmax",
    "normal_cdf",
    "normalise",
    "orient",
    "percentile_rank",
    "rank_score",
    "zscore",
]

Axis = int | tuple[int, ...]


# ---------------------------------------------------------------------- helpers
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

    Examples
    --------
    >>> orient(np.array([[2.0, 3.0]]), np.array([1, -1])).tolist()
    [[2.0, -3.0]]
    """
    return np.asarray(x, dtype=float) * np.asarray(direction, dtype=float)


def column_bounds(x: np.ndarray, axis: Axis = -2) -> tuple[np.ndarray, np.ndarray]:
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

    Examples
    --------
    >>> lo, up = column_bounds(np.array([[1.0, np.nan], [3.0, np.nan]]))
    >>> lo.tolist(), up.tolist()
    ([[1.0, nan]], [[3.0, nan]])
    """
    x = np.asarray(x, dtype=float)
    with warnings.catch_warnings():  # a column with no observed value: NaN, said nowhere
        warnings.simplefilter("ignore", RuntimeWarning)
        # fmin/fmax skip NaN (NaN only where every value is missing): no masked copies of x
        lower = np.fmin.reduce(x, axis=axis, keepdims=True)
        upper = np.fmax.reduce(x, axis=axis, keepdims=True)
    return lower, upper


def column_moments(
    x: np.ndarray, axis: Axis = -2, ddof: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard deviation and number of observed values of each indicator over ``axis``.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    axis : int or tuple of int
    ddof : {0, 1}
        1: sample standard deviation (divisor n - 1; COINr ``n_zscore`` uses R's ``sd``);
        0: population standard deviation (divisor n).

    Returns
    -------
    mean, sd, n : ndarray
        Shaped like ``x`` with the reduced axes kept as length 1; NaN where there are too few
        observations (none for the mean, ``<= ddof`` for the sd).

    Examples
    --------
    >>> m, s, n = column_moments(np.array([[3.0], [7.0]]))
    >>> m.item(), round(s.item(), 6), n.item()
    (5.0, 2.828427, 2)
    """
    x = np.asarray(x, dtype=float)
    obs = ~np.isnan(x)
    n = obs.sum(axis=axis, keepdims=True)
    x0 = np.where(obs, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, x0.sum(axis=axis, keepdims=True) / n, np.nan)
        dev = np.where(obs, x - mean, 0.0)
        var = np.where(n > ddof, (dev**2).sum(axis=axis, keepdims=True) / (n - ddof), np.nan)
    return mean, np.sqrt(var), n


def constant_columns(x: np.ndarray, axis: Axis = -2,
                     bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Mask of indicators (per slice of ``axis``) that are observed but do not vary.

    A column is constant when it has at least one observed value and its range is at most
    :data:`gipro.tolerance.RELATIVE` (1e-12) times its largest magnitude over ``axis``
    (:func:`gipro.tolerance.flat`): a single observed value is constant, and so is a column
    of 0.3 and 0.30000000000000004 (rounding noise is not variation).

    bounds : (lower, upper), optional
        :func:`column_bounds` of ``x`` over ``axis`` when already computed.

    Returns
    -------
    ndarray of bool
        Shaped like the bounds (``axis`` kept as length 1).

    Examples
    --------
    >>> constant_columns(np.array([[1.0, 5.0], [2.0, 5.0]])).tolist()
    [[False, True]]
    >>> constant_columns(np.array([[0.3], [0.1 + 0.2]])).tolist()
    [[True]]
    """
    lower, upper = column_bounds(x, axis) if bounds is None else bounds
    return constant_bounds(lower, upper)


def constant_bounds(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The rule of :func:`constant_columns` on known bounds: observed and not varying
    beyond rounding noise (:func:`gipro.tolerance.flat`).

    Examples
    --------
    >>> constant_bounds(np.array([1.0, 5.0, np.nan]), np.array([2.0, 5.0, np.nan])).tolist()
    [False, True, False]
    """
    return flat(lower, upper)


def _label(mask: np.ndarray, shape: tuple[int, ...], names: Sequence[str] | None) -> list[Any]:
    cols = sorted(set(np.argwhere(np.broadcast_to(mask, np.broadcast_shapes(mask.shape, shape)))
                      [:, -1].tolist()))
    return [names[c] for c in cols] if names is not None else cols


def _scale(y01: np.ndarray, low: float, high: float) -> np.ndarray:
    return low + y01 * (high - low)


def _check_range(low: float, high: float) -> None:
    if not low < high:
        raise MethodError(f"output range must have low < high, got [{low}, {high}]")


def _zero_range(lower: np.ndarray, upper: np.ndarray, shape: tuple[int, ...],
                names: Sequence[str] | None, method: str) -> None:
    bad = flat(lower, upper)
    if bad.any():
        raise MethodError(
            f"{method}: indicator(s) {_label(bad, shape, names)} have zero range (the same value "
            "for every unit), so the method would divide by zero",
            ["drop the indicator from the framework, or choose a constant-indicator policy "
             "(constant: drop or constant: midpoint)"],
        )


def _default_bounds(x: np.ndarray, lower: Any, upper: Any, axis: Axis
                    ) -> tuple[np.ndarray, np.ndarray]:
    if lower is None or upper is None:
        lo, up = column_bounds(x, axis=axis)
        lower = lo if lower is None else lower
        upper = up if upper is None else upper
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def _ranks(x: np.ndarray, axis: Axis, ties: str) -> np.ndarray:
    """Ascending ranks (1 = lowest value) over ``axis``; NaN stays NaN."""
    if ties not in ("min", "max", "average", "dense", "ordinal"):
        raise MethodError(f"ties must be min, max, average, dense or ordinal, got {ties!r}")
    x = np.asarray(x, dtype=float)
    axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)))
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    lead = moved.shape[: len(keep)]
    flat = moved.reshape(*lead, -1)
    if flat.shape[-1] == 0:
        return x.copy()
    r = rankdata(flat, method=ties, axis=-1)
    r = r.reshape(moved.shape)
    return np.transpose(r, np.argsort(keep + list(axes)))


# ---------------------------------------------------------------------- kernels
def minmax(
    x: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    low: float = 0.0,
    high: float = 100.0,
    axis: Axis = -2,
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
    lower, upper = _default_bounds(x, lower, upper, axis)
    bad = ~np.isnan(lower) & (flat(lower, upper) | ~(upper > lower))
    if bad.any():
        raise MethodError(
            f"min-max normalisation: indicator(s) {_label(bad, x.shape, names)} have zero range "
            "(the same value for every unit, but for rounding), so min-max would divide by "
            "zero",
            ["drop the indicator from the framework, or screen it out before normalising"],
        )
    with np.errstate(invalid="ignore"):
        return low + (x - lower) / (upper - lower) * (high - low)


def efficacy(
    x: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    low: float = 60.0,
    high: float = 100.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Efficacy coefficient (功效系数法): min-max onto [60, 100].

    .. math:: y = 60 + 40 \frac{x - x_{min}}{x_{max} - x_{min}}

    The scoring used by China's Green Development Index (NDRC, NBS, MEE and CCCPC
    Organisation Department (2016), *Green Development Indicator System* 绿色发展指标体系,
    "个体指数"): the worst unit scores 60, the best 100. It is :func:`minmax` with a default
    range of [60, 100]; parameters, shapes and errors as there.

    Examples
    --------
    >>> efficacy(np.array([[1.0], [2.0], [5.0]])).ravel().tolist()
    [60.0, 70.0, 100.0]
    """
    return minmax(x, lower=lower, upper=upper, low=low, high=high, axis=axis, names=names)


def distance_to_max(
    x: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    low: float = 0.0,
    high: float = 1.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Distance to the maximum: one minus the shortfall from the best unit, over the range.

    .. math:: y = 1 - \frac{x_{max} - x}{x_{max} - x_{min}}

    COINr ``n_dist2max`` (B5). Algebraically equal to min-max onto [0, 1]; kept as its own name
    because analysts ask for it by this name. Parameters and errors as :func:`minmax`.

    Examples
    --------
    >>> distance_to_max(np.array([[0.0], [5.0], [10.0]])).ravel().tolist()
    [0.0, 0.5, 1.0]
    """
    return minmax(x, lower=lower, upper=upper, low=low, high=high, axis=axis, names=names)


def zscore(
    x: np.ndarray,
    *,
    mean: np.ndarray | None = None,
    sd: np.ndarray | None = None,
    ddof: int = 1,
    loc: float = 0.0,
    scale: float = 1.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Standardisation (z-score), optionally onto a chosen mean and standard deviation.

    .. math:: y = loc + scale \cdot \frac{x - \bar{x}}{s}

    OECD/JRC Handbook (2008), section 5, "standardisation"; COINr ``n_zscore`` (``m_sd``).
    The standard deviation is the *sample* one by default (``ddof=1``, divisor n - 1, as R's
    ``sd`` in COINr); ``ddof=0`` gives the population one. ``loc=100, scale=10`` gives the
    standardisation of the Mazziotta-Pareto index.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    mean, sd : ndarray, optional
        Moments broadcastable to ``x``; default computed over ``axis``.
    ddof : {0, 1}
    loc, scale : float
        Target mean and standard deviation (``scale > 0``).
    axis, names :
        As in :func:`minmax`.

    Returns
    -------
    ndarray of the shape of ``x``.

    Raises
    ------
    MethodError
        If ``scale <= 0`` or an indicator has zero standard deviation: at most
        :data:`gipro.tolerance.RELATIVE` times its mean's magnitude (a column constant but
        for rounding, such as 0.3 and 0.30000000000000004, is constant).

    Examples
    --------
    >>> y = zscore(np.array([[1.0], [2.0], [3.0]]), loc=5, scale=2)
    >>> y.ravel().tolist(), round(float(np.std(y, ddof=1)), 12)
    ([3.0, 5.0, 7.0], 2.0)
    """
    if not scale > 0:
        raise MethodError(f"z-score target standard deviation must be > 0, got {scale}")
    x = np.asarray(x, dtype=float)
    if mean is None or sd is None:
        m, s, _ = column_moments(x, axis=axis, ddof=ddof)
        mean = m if mean is None else mean
        sd = s if sd is None else sd
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    with np.errstate(invalid="ignore"):  # sd within rounding of the mean's scale: constant
        bad = ~np.isnan(mean) & ~(sd > _RTOL * np.abs(mean))
    if bad.any():
        raise MethodError(
            f"z-score: indicator(s) {_label(bad, x.shape, names)} have zero (or undefined) "
            "standard deviation (the same value for every unit, but for rounding), so the "
            "z-score would divide by zero",
            ["drop the indicator, or choose a constant-indicator policy"],
        )
    with np.errstate(invalid="ignore"):
        return loc + scale * (x - mean) / sd


def normal_cdf(
    x: np.ndarray,
    *,
    mean: np.ndarray | None = None,
    sd: np.ndarray | None = None,
    ddof: int = 1,
    low: float = 0.0,
    high: float = 1.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Cumulative normal probability of the z-score, scaled onto ``[low, high]``.

    .. math:: y = low + \Phi\left(\frac{x - \bar{x}}{s}\right) (high - low)

    OECD/JRC Handbook (2008), section 5 ("cyclical indicators" and categorical scales use the
    normal distribution to bound standardised values); the transform maps z-scores to (0, 1)
    and damps outliers. Parameters and errors as :func:`zscore`.

    Examples
    --------
    >>> normal_cdf(np.array([[1.0], [2.0], [3.0]])).ravel().round(6).tolist()
    [0.158655, 0.5, 0.841345]
    """
    _check_range(low, high)
    z = zscore(x, mean=mean, sd=sd, ddof=ddof, axis=axis, names=names)
    from scipy.special import ndtr  # (imported when used: scipy is slow to import)

    return _scale(ndtr(z), low, high)


def goalposts(
    x: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    truncate: bool = True,
    low: float = 0.0,
    high: float = 1.0,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Goalpost normalisation: position between fixed lower and upper goalposts.

    .. math:: y = low + \mathrm{clip}\left(\frac{x - g_l}{g_u - g_l}, 0, 1\right)(high - low)

    OECD/JRC Handbook (2008), section 5 ("distance from a reference / goalposts", as in the
    UNDP Human Development Index); COINr ``n_goalposts`` (B5: goalposts (0, 10), scale 1:
    1 -> 0.1, 11 -> 1, -1 -> 0). For a lower-is-better indicator pass oriented goalposts
    ``(-u, -l)`` with the oriented ``x``; then 1 -> 0.9 on the same goalposts.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    lower, upper : ndarray broadcastable to ``x``
        Oriented goalposts, ``lower < upper``.
    truncate : bool
        Clip the position to [0, 1] (default): values beyond a goalpost score its bound.
    low, high : float
        Output range.
    names : sequence of str, optional

    Raises
    ------
    MethodError
        If a goalpost pair is not ``lower < upper`` or is missing.

    Examples
    --------
    >>> goalposts(np.array([[1.0], [11.0], [-1.0]]), 0.0, 10.0).ravel().tolist()
    [0.1, 1.0, 0.0]
    """
    _check_range(low, high)
    x = np.asarray(x, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    bad = ~(upper > lower)
    if bad.any():
        raise MethodError(f"goalposts: indicator(s) {_label(bad, x.shape, names)} have missing "
                          "goalposts or lower >= upper")
    y = (x - lower) / (upper - lower)
    if truncate:
        y = np.clip(y, 0.0, 1.0)
    return _scale(y, low, high)


def distance_to_target(
    x: np.ndarray,
    target: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    cap: bool = True,
    low: float = 0.0,
    high: float = 1.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Distance to a target: share of the way from the worst unit to the target.

    .. math:: y = 1 - \frac{t - x}{t - x_{min}} = \frac{x - x_{min}}{t - x_{min}}

    COINr ``n_dist2targ`` (B5: x = (0, 5, 11), target 10 -> (0, 0.5, 1.1), capped (0, 0.5, 1));
    OECD/JRC Handbook (2008), section 5 ("distance to a target"). On oriented values and an
    oriented target ``t * direction`` this is, for a lower-is-better indicator,
    ``(x_max - x) / (x_max - t)`` (field case B06). Units beyond the target score above 1
    unless capped (default: capped, as the SDG Index does; the caller reports how many).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    target : ndarray broadcastable to ``x``
        Oriented target per indicator.
    lower : ndarray, optional
        The worst value (default: minimum over ``axis``).
    cap : bool
        Cap scores at 1.
    low, high : float
        Output range (the target scores ``high``).
    axis, names :
        As in :func:`minmax`.

    Raises
    ------
    MethodError
        If the target is not better than the worst value (``t <= x_min``: the scale would be
        empty or reversed).

    Examples
    --------
    >>> distance_to_target(np.array([[0.0], [5.0], [11.0]]), 10.0, cap=False).ravel().tolist()
    [0.0, 0.5, 1.1]
    """
    _check_range(low, high)
    x = np.asarray(x, dtype=float)
    target = np.asarray(target, dtype=float)
    if lower is None:
        lower, _ = column_bounds(x, axis=axis)
    lower = np.asarray(lower, dtype=float)
    bad = ~np.isnan(lower) & ~(target > lower)
    if bad.any():
        raise MethodError(
            f"distance to target: for indicator(s) {_label(bad, x.shape, names)} the target is "
            "missing or not better than the worst unit, so the scale from worst to target is "
            "empty",
            ["check the target and the indicator's direction"],
        )
    with np.errstate(invalid="ignore"):
        y = (x - lower) / (target - lower)
    if cap:
        y = np.minimum(y, 1.0)
    return _scale(y, low, high)


def distance_to_reference(
    x: np.ndarray,
    reference: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    cap: bool = True,
    low: float = 0.0,
    high: float = 1.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Distance to a reference unit: share of the way from the worst unit to the reference.

    .. math:: y = 1 - \frac{x_{ref} - x}{x_{ref} - x_{min}}

    COINr ``n_dist2ref`` (reference = the value of a chosen unit); OECD/JRC Handbook (2008),
    section 5 ("distance to a reference country"). The reference unit scores 1; units better
    than it score above 1 unless capped (default: capped).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    reference : ndarray broadcastable to ``x``
        Oriented value of the reference unit (per indicator, and per period if wanted).
    lower, cap, low, high, axis, names :
        As in :func:`distance_to_target`.

    Raises
    ------
    MethodError
        If the reference value is missing or is the worst value.

    Examples
    --------
    >>> distance_to_reference(np.array([[1.0], [3.0], [5.0]]), 3.0).ravel().tolist()
    [0.0, 1.0, 1.0]
    """
    _check_range(low, high)
    x = np.asarray(x, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if lower is None:
        lower, _ = column_bounds(x, axis=axis)
    lower = np.asarray(lower, dtype=float)
    bad = ~np.isnan(lower) & ~(reference > lower)
    if bad.any():
        raise MethodError(
            f"distance to reference: for indicator(s) {_label(bad, x.shape, names)} the "
            "reference unit's value is missing or is the worst value, so the scale is empty",
            ["choose another reference unit or period"],
        )
    with np.errstate(invalid="ignore"):
        y = (x - lower) / (reference - lower)
    if cap:
        y = np.minimum(y, 1.0)
    return _scale(y, low, high)


def _ratio(x: np.ndarray, ref: np.ndarray, cost: str, names: Sequence[str] | None,
           method: str) -> np.ndarray:
    """Ratio of oriented values to an oriented reference on a ratio scale (see fraction_of_max)."""
    if cost not in ("error", "inverse"):
        raise MethodError(f"{method}: cost must be 'error' or 'inverse', got {cost!r}")
    neg_ref = ref < 0
    pos = ~neg_ref
    bad_ref = ~np.isnan(ref) & (ref == 0)
    if bad_ref.any():
        raise MethodError(f"{method}: indicator(s) {_label(bad_ref, x.shape, names)} have a best "
                          "(maximum or leading) value of 0, so the ratio divides by zero (field "
                          "case B04: 1/x is undefined at 0)")
    # benefit side: x >= 0, ref > 0, y = x / ref
    bad_x = ~np.isnan(x) & (x < 0) & pos
    if bad_x.any():
        raise MethodError(
            f"{method}: indicator(s) {_label(bad_x, x.shape, names)} have negative values; a "
            "ratio to a maximum or leading value is only meaningful for non-negative values "
            "(field case B07)",
            ["use min-max or distance to target, which accept negative values"],
        )
    if neg_ref.any():
        if cost == "error":
            raise MethodError(
                f"{method}: indicator(s) {_label(neg_ref, x.shape, names)} are lower-is-better "
                "(direction -1): a ratio x/reference would reward higher values",
                ["set cost: inverse to score reference/x (the green-park convention, a "
                 "non-linear reversal), or use distance_to_max / target, which reverse linearly"],
            )
        bad_c = ~np.isnan(x) & ~(x < 0) & neg_ref
        if bad_c.any():
            raise MethodError(
                f"{method}: indicator(s) {_label(bad_c, x.shape, names)} (direction -1) have "
                "zero or negative values; reference/x needs strictly positive values (field "
                "case B04: 1/x is undefined at 0)"
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(neg_ref, ref / x, x / ref)


def fraction_of_max(
    x: np.ndarray,
    *,
    upper: np.ndarray | None = None,
    cost: str = "error",
    low: float = 0.0,
    high: float = 1.0,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Fraction of the best value: :math:`y = x / x_{max}`.

    COINr ``n_fracmax``; OECD/JRC Handbook (2008), section 5 ("ratio to the leader"). A ratio
    is meaningful only on a ratio scale, so values must be non-negative (field case B07: a
    negative value would give a negative "fraction" without warning). For a lower-is-better
    indicator the oriented values are negative and the best value is the smallest raw one:
    by default this raises; ``cost="inverse"`` scores :math:`x_{best}/x` (best raw value over
    raw value, a non-linear reversal that must be chosen explicitly, field case B04).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    upper : ndarray, optional
        Oriented best value (default: maximum over ``axis``).
    cost : {"error", "inverse"}
    low, high, axis, names :
        As in :func:`minmax`.

    Raises
    ------
    MethodError
        Negative values of a higher-is-better indicator; a zero best value; a lower-is-better
        indicator without ``cost="inverse"``; zero values with ``cost="inverse"``.

    Examples
    --------
    >>> fraction_of_max(np.array([[2.0], [5.0], [10.0]])).ravel().tolist()
    [0.2, 0.5, 1.0]
    >>> fraction_of_max(-np.array([[2.0], [4.0], [8.0]]), cost="inverse").ravel().tolist()
    [1.0, 0.5, 0.25]
    """
    _check_range(low, high)
    x = np.asarray(x, dtype=float)
    if upper is None:
        _, upper = column_bounds(x, axis=axis)
    upper = np.asarray(upper, dtype=float)
    return _scale(_ratio(x, upper, cost, names, "fraction of max"), low, high)


def leading_ratio(
    x: np.ndarray,
    leading: np.ndarray,
    *,
    cap: bool = True,
    cost: str = "error",
    low: float = 0.0,
    high: float = 1.0,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Ratio to a leading value (引领值), capped at 1: :math:`y = \min(1, x / x_{lead})`.

    The scoring of indicators against benchmark ("leading") values in China's green
    industrial park evaluation (MIIT 工信厅节函〔2016〕586号, annex; Liaoning DB21/T 3662-2022
    uses EG_i / EG_bi): a park at or beyond the leading value scores 1. For lower-is-better
    indicators (direction -1) the oriented ratio would reward higher values, so this raises
    unless ``cost="inverse"``, which scores :math:`x_{lead}/x` (the green-park convention as
    far as it could be read; a non-linear reversal, field case B04). Values must be
    non-negative (field case B07).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    leading : ndarray broadcastable to ``x``
        Oriented leading value per indicator (``value * direction``).
    cap : bool
        Cap at 1 (default).
    cost : {"error", "inverse"}
    low, high, names :
        As in :func:`minmax`.

    Raises
    ------
    MethodError
        As :func:`fraction_of_max`; also a missing leading value.

    Examples
    --------
    >>> leading_ratio(np.array([[2.0], [5.0], [12.0]]), 10.0).ravel().tolist()
    [0.2, 0.5, 1.0]
    """
    _check_range(low, high)
    x = np.asarray(x, dtype=float)
    leading = np.broadcast_to(np.asarray(leading, dtype=float),
                              np.broadcast_shapes(np.shape(leading), (x.shape[-1],)))
    if np.isnan(leading).any():
        raise MethodError(f"leading value missing for indicator(s) "
                          f"{_label(np.isnan(leading), x.shape, names)}")
    y = _ratio(x, leading, cost, names, "ratio to leading value")
    if cap:
        y = np.minimum(y, 1.0)
    return _scale(y, low, high)


def rank_score(x: np.ndarray, *, ties: str = "min", axis: Axis = -2) -> np.ndarray:
    """Rank as a score: 1 for the worst unit, n for the best (higher is better).

    COINr ``n_rank`` (``rank(x, ties.method = "min")``); OECD/JRC Handbook (2008), section 5
    ("ranking"). Not to be confused with result ranks, where 1 is best.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    ties : {"min", "max", "average", "dense", "ordinal"}
    axis : int or tuple of int

    Examples
    --------
    >>> rank_score(np.array([[1.0], [3.0], [3.0], [np.nan]])).ravel().tolist()
    [1.0, 2.0, 2.0, nan]
    """
    return _ranks(x, axis, ties)


def borda(x: np.ndarray, *, ties: str = "min", axis: Axis = -2) -> np.ndarray:
    """Borda score: the number of units ranked below, i.e. ``rank - 1`` (0 for the worst).

    COINr ``n_borda`` (B5: ``borda = rank - 1``); Borda (1784) as used for composite indicators
    in OECD/JRC Handbook (2008), section 6.3 (non-compensatory aggregation).

    Examples
    --------
    >>> borda(np.array([[5.0], [1.0], [3.0]])).ravel().tolist()
    [2.0, 0.0, 1.0]
    """
    return _ranks(x, axis, ties) - 1.0


def percentile_rank(
    x: np.ndarray,
    *,
    ties: str = "min",
    formula: str = "(r-1)/(n-1)",
    low: float = 0.0,
    high: float = 1.0,
    axis: Axis = -2,
) -> np.ndarray:
    r"""Percentile rank onto [low, high].

    ``formula="(r-1)/(n-1)"`` (default, COINr ``n_prank``, B5): the worst unit 0, the best 1.
    ``formula="r/n"``: pandas ``rank(pct=True)``. With ``ties="dense"`` the denominator is the
    number of distinct values, not of units (field case B13: dense percentiles of
    [1,2,3,3,3,3,4,4,4,5,5,5] are [0.2, ..., 1] with ``r/n``; dividing by the number of units
    was pandas bug #18296). ``n`` counts observed values only (NaN excluded, B13 input 2).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    ties : {"min", "max", "average", "dense", "ordinal"}
    formula : {"(r-1)/(n-1)", "r/n"}
    low, high : float
    axis : int or tuple of int

    Raises
    ------
    MethodError
        Unknown formula.

    Examples
    --------
    >>> percentile_rank(np.array([[1.0], [-5.0], [3.0], [3.0], [np.nan]]), ties="dense",
    ...                 formula="r/n").ravel().round(4).tolist()
    [0.6667, 0.3333, 1.0, 1.0, nan]
    """
    _check_range(low, high)
    if formula not in ("(r-1)/(n-1)", "r/n"):
        raise MethodError(f"percentile formula must be '(r-1)/(n-1)' or 'r/n', got {formula!r}")
    r = _ranks(x, axis, ties)
    obs = ~np.isnan(r)
    if ties == "dense":
        n = np.max(np.where(obs, r, 0.0), axis=axis, keepdims=True)
    else:
        n = obs.sum(axis=axis, keepdims=True).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = (r - 1.0) / (n - 1.0) if formula == "(r-1)/(n-1)" else r / n
    return _scale(y, low, high)


def ampi(
    x: np.ndarray,
    *,
    reference: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    axis: Axis = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Rescaling of the Adjusted Mazziotta-Pareto Index (AMPI) onto about [70, 130].

    .. math:: y = 70 + 60 \frac{x - (ref - \Delta)}{2\Delta} = 100 + 60\frac{x - ref}{x_{max}
              - x_{min}}, \qquad \Delta = \frac{x_{max} - x_{min}}{2}

    Goalposts :math:`ref \pm \Delta` where :math:`x_{min}, x_{max}` are taken over all units
    and periods and :math:`ref` is a reference value (e.g. the mean of a base period), so the
    reference scores 100 and a unit moving by the whole range moves by 60 points
    (Mazziotta M., Pareto A. (2016), On a generalized non-compensatory composite index for
    measuring socio-economic phenomena, *Social Indicators Research* 127, 983-1003; B9).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values.
    reference : ndarray, optional
        Oriented reference per indicator; default: the mean over ``axis``.
    lower, upper : ndarray, optional
        Default: min and max over ``axis`` (pool over periods for AMPI).
    axis, names :
        As in :func:`minmax`.

    Raises
    ------
    MethodError
        An indicator with zero range.

    Examples
    --------
    >>> ampi(np.array([[0.0], [5.0], [10.0]])).ravel().tolist()
    [70.0, 100.0, 130.0]
    """
    x = np.asarray(x, dtype=float)
    lower, upper = _default_bounds(x, lower, upper, axis)
    _zero_range(lower, upper, x.shape, names, "AMPI rescaling")
    if reference is None:
        reference, _, _ = column_moments(x, axis=axis, ddof=0)
    reference = np.asarray(reference, dtype=float)
    with np.errstate(invalid="ignore"):
        return 100.0 + 60.0 * (x - reference) / (upper - lower)


# ---------------------------------------------------------------------- dispatcher
#: Method name -> kernel. Every method is selectable by this name in a recipe.
METHODS: dict[str, Any] = {
    "minmax": minmax,
    "zscore": zscore,
    "goalposts": goalposts,
    "target": distance_to_target,
    "dist_ref": distance_to_reference,
    "dist_max": distance_to_max,
    "frac_max": fraction_of_max,
    "percentile": percentile_rank,
    "rank": rank_score,
    "borda": borda,
    "efficacy": efficacy,
    "normal_cdf": normal_cdf,
    "leading": leading_ratio,
    "ampi": ampi,
}

#: Methods whose references are external (goalposts, leading values): no ``axis``, nothing
#: learnt from the data, so a constant indicator is not degenerate for them.
AXIS_FREE = frozenset({"goalposts", "leading"})

#: Methods whose scale is learnt from the data (bounds, moments or ranks over ``axis``): a
#: constant indicator is degenerate for them.
DATA_RELATIVE = frozenset(METHODS) - AXIS_FREE

#: Methods whose score is a position among the other units (ranks): relative to the others,
#: so a unit's score cannot be computed from its own value and learnt parameters.
RELATIVE = frozenset({"rank", "borda", "percentile"})

#: Methods with an output range ``[low, high]``.
RANGED = frozenset({"minmax", "goalposts", "target", "dist_ref", "dist_max", "frac_max",
                    "percentile", "efficacy", "normal_cdf", "leading"})


def midpoint(method: str, params: dict[str, Any], n_obs: np.ndarray | float) -> Any:
    """The middle of a method's output scale: the score of an indicator that does not vary.

    ``(low + high) / 2`` for ranged methods, ``loc`` for z-scores, 100 for AMPI, the average
    rank ``(n + 1) / 2`` for ranks and ``(n - 1) / 2`` for Borda scores (``n`` observed values).

    Examples
    --------
    >>> midpoint("minmax", {"low": 0, "high": 100}, 4)
    50.0
    >>> float(midpoint("rank", {}, 4))
    2.5
    """
    if method in RANGED:
        default = (60.0, 100.0) if method == "efficacy" else (
            (0.0, 100.0) if method == "minmax" else (0.0, 1.0))
        low = params.get("low", default[0])
        high = params.get("high", default[1])
        return (low + high) / 2.0
    if method == "zscore":
        return float(params.get("loc", 0.0))
    if method == "ampi":
        return 100.0
    if method == "rank":
        return (np.asarray(n_obs, dtype=float) + 1.0) / 2.0
    if method == "borda":
        return (np.asarray(n_obs, dtype=float) - 1.0) / 2.0
    raise MethodError(f"unknown normalisation method {method!r}")


def normalise(
    x: np.ndarray,
    method: str,
    *,
    axis: Axis = -2,
    constant: str = "error",
    names: Sequence[str] | None = None,
    **params: Any,
) -> np.ndarray:
    """Normalise oriented values with the named method and the constant-indicator policy.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Oriented values (:func:`orient`).
    method : str
        A key of :data:`METHODS`.
    axis : int or tuple of int
        Axes over which data-relative parameters are learnt.
    constant : {"error", "midpoint"}
        What to do with an indicator that does not vary over ``axis`` (for the methods in
        :data:`DATA_RELATIVE`): raise :class:`MethodError` naming it (default), or give every
        observed value of it the :func:`midpoint` of the output scale (field case B01,
        policy b). Dropping the indicator is a build-level policy (the normalise step).
    names : sequence of str, optional
        Indicator codes for messages.
    **params
        Passed to the kernel (e.g. ``low``, ``high``, ``ddof``, ``target``).

    Returns
    -------
    ndarray of the shape of ``x``; NaN stays NaN.

    Raises
    ------
    MethodError
        Unknown method or policy; a constant indicator under ``constant="error"``; any
        precondition of the kernel.

    Examples
    --------
    >>> x = np.array([[10.0, 5.0], [20.0, 5.0], [30.0, 5.0], [40.0, 5.0]])
    >>> normalise(x, "minmax", constant="midpoint", low=0, high=1).round(4).tolist()
    [[0.0, 0.5], [0.3333, 0.5], [0.6667, 0.5], [1.0, 0.5]]
    """
    if method not in METHODS:
        raise MethodError(f"unknown normalisation method {method!r}",
                          [f"methods: {', '.join(METHODS)}"])
    if constant not in ("error", "midpoint"):
        raise MethodError(f"constant policy must be 'error' or 'midpoint', got {constant!r}")
    x = np.asarray(x, dtype=float)
    kernel = METHODS[method]
    kwargs = dict(params)
    if method not in AXIS_FREE:
        kwargs["axis"] = axis
    if method not in RELATIVE:
        kwargs["names"] = names
    if method not in DATA_RELATIVE:
        return kernel(x, **kwargs)
    const = constant_columns(x, axis)
    if not const.any():
        return kernel(x, **kwargs)
    if constant == "error":
        raise MethodError(
            f"{method}: indicator(s) {_label(const, x.shape, names)} have the same value for "
            "every unit, so there is nothing to normalise against",
            ["drop the indicator, or set constant: drop or constant: midpoint"],
        )
    cmask = np.broadcast_to(const, x.shape)
    y = kernel(np.where(cmask, np.nan, x), **kwargs)
    n_obs = (~np.isnan(x)).sum(axis=axis, keepdims=True)
    mid = np.broadcast_to(midpoint(method, params, n_obs), x.shape)
    return np.where(cmask & ~np.isnan(x), mid, y)
