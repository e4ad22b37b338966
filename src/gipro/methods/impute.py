r"""Imputation kernels: fill missing values, never touch observed ones.

Every kernel returns an array of the input's shape in which each observed (non-NaN) value is
bit-for-bit the input value (checked by :func:`keep_observed`, which every kernel calls) and a
missing value is either filled or left NaN when there is nothing to fill it from -- never 0.

* cross-sectional: :func:`mean`, :func:`median` (statistic of the other units, per indicator),
  :func:`group_stat` (the same within the unit's group; units without a group stay missing);
* over time: :func:`panel` -- per unit and indicator along the period axis, ``linear``,
  ``constant`` (last observation carried forward) or ``linear_constant``;
* whole table: :func:`table` -- any callable ``f(table) -> table`` (e.g. scikit-learn's
  ``IterativeImputer().fit_transform``) applied to each 2-D (units x indicators) table.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, step 3 (imputation of missing
data: unconditional mean/median, cold/hot deck, regression, EM/MI). Becker W. et al. (2022),
COINr, *JOSS* 7(78), 4567: ``i_mean``, ``i_median``, ``i_mean_grp``, ``i_median_grp`` and
``impute_panel`` (``stats::approx``, ``rule = 2``: outside the observed range the nearest
observed value). Little R.J.A. and Rubin D.B. (2019), *Statistical Analysis with Missing Data*,
3rd ed., Wiley, ch. 4 (single imputation).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import MethodError

__all__ = ["PANEL_METHODS", "group_stat", "keep_observed", "mean", "median", "panel", "table"]

PANEL_METHODS = ("linear", "constant", "linear_constant")


def keep_observed(x: np.ndarray, filled: np.ndarray, *, names: Sequence[str] | None = None
                  ) -> np.ndarray:
    """Combine: observed values from ``x``, missing ones from ``filled``; check the invariant.

    Parameters
    ----------
    x : ndarray
        Input with NaN for missing.
    filled : ndarray of the same shape
        Candidate values (e.g. the output of an imputer).

    Returns
    -------
    ndarray
        ``np.where(isnan(x), filled, x)``.

    Raises
    ------
    MethodError
        If ``filled`` differs from ``x`` at an observed cell by more than 1e-9 relative (an
        imputer changed observed data -- COINr#40), naming the first such cell's indicator.

    Examples
    --------
    >>> keep_observed(np.array([1.0, np.nan]), np.array([1.0, 5.0])).tolist()
    [1.0, 5.0]
    """
    x = np.asarray(x, dtype=float)
    filled = np.asarray(filled, dtype=float)
    if filled.shape != x.shape:
        raise MethodError(f"imputer returned shape {filled.shape}, expected {x.shape}")
    obs = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        moved = obs & ~(np.abs(filled - x) <= 1e-9 * np.maximum(1.0, np.abs(x)))
    if moved.any():
        idx = tuple(int(i) for i in np.argwhere(moved)[0])  # plain ints and floats in the
        col = idx[-1]  # message, not numpy's np.int64(0) / np.float64(1.0) reprs
        label = names[col] if names is not None else col
        raise MethodError(
            f"imputation changed an observed value of indicator {label} (position {idx}): "
            f"{float(x[idx])!r} -> {float(filled[idx])!r}",
            ["an imputer may only fill missing values; check the imputation function"])
    return _combine(x, filled)


def _combine(x: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Observed values of ``x``, ``fill`` where ``x`` is missing; asserts the invariant."""
    obs = ~np.isnan(x)
    out = np.where(obs, x, fill)
    if not np.array_equal(out[obs], x[obs]):  # pragma: no cover - guards the invariant
        raise MethodError("internal error: imputation changed an observed value")
    return out


def _fill_stat(x: np.ndarray, stat: str, axis: int) -> np.ndarray:
    # all-missing columns give NaN (left missing); silence numpy's "empty slice" warning
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if stat == "mean":
            v = np.nanmean(x, axis=axis, keepdims=True)
        elif stat == "median":
            v = np.nanmedian(x, axis=axis, keepdims=True)
        else:
            raise MethodError(f"unknown statistic {stat!r}; use 'mean' or 'median'")
    return np.broadcast_to(v, x.shape)


def mean(x: np.ndarray, *, axis: int | tuple[int, ...] = -2) -> np.ndarray:
    """Fill each missing value with the mean of the indicator's observed values over ``axis``.

    OECD/JRC Handbook (2008), step 3, "unconditional mean imputation"; COINr ``i_mean``.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    axis : int or tuple of int
        ``-2``: over units, separately for each leading index (each period's cross-section, as
        COINr imputes each coin of a purse); ``(-3, -2)``: pooled over periods and units.

    Returns
    -------
    ndarray of the shape of ``x``; an indicator with no observed value stays NaN.

    Examples
    --------
    >>> mean(np.array([[1.0], [np.nan], [3.0]])).ravel().tolist()
    [1.0, 2.0, 3.0]
    """
    x = np.asarray(x, dtype=float)
    return _combine(x, _fill_stat(x, "mean", axis))


def median(x: np.ndarray, *, axis: int | tuple[int, ...] = -2) -> np.ndarray:
    """Fill each missing value with the median of the indicator's observed values over ``axis``.

    COINr ``i_median`` (test-Impute: 1..10 with the third value missing -> the median of the
    other nine, 6).

    Examples
    --------
    >>> median(np.array([[1.0], [np.nan], [3.0], [10.0]])).ravel().tolist()
    [1.0, 3.0, 3.0, 10.0]
    """
    x = np.asarray(x, dtype=float)
    return _combine(x, _fill_stat(x, "median", axis))


def group_stat(
    x: np.ndarray, groups: np.ndarray, *, stat: str = "mean", axis: int | tuple[int, ...] = -2
) -> np.ndarray:
    """Fill each missing value with the mean/median of the indicator within the unit's group.

    COINr ``i_mean_grp``/``i_median_grp`` (COINr6 ``indgroup_mean``). A unit without a group
    (code ``-1``) is never filled (field case B17: its observed values are kept, its missing ones
    stay missing); a group with no observed value of an indicator leaves its units missing.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    groups : ndarray of int, shape (n_units,)
        Group code of each unit, ``-1`` for none.
    stat : {"mean", "median"}
    axis : int or tuple of int
        ``-2`` (per leading index, default) or ``(-3, -2)`` (pooled over periods).

    Returns
    -------
    ndarray of the shape of ``x``.

    Examples
    --------
    Field case B17: groups A, A, B, B, none, C.

    >>> x = np.array([1.0, np.nan, 3.0, np.nan, 5.0, np.nan])[:, None]
    >>> group_stat(x, np.array([0, 0, 1, 1, -1, 2])).ravel().tolist()
    [1.0, 1.0, 3.0, 3.0, 5.0, nan]
    """
    x = np.asarray(x, dtype=float)
    groups = np.asarray(groups)
    if groups.shape != (x.shape[-2],):
        raise MethodError(f"groups must have one code per unit ({x.shape[-2]}), got shape "
                          f"{groups.shape}")
    filled = np.full(x.shape, np.nan)
    if stat == "mean":  # numpy's nanmean (sum of the observed values / their count), once
        obs = ~np.isnan(x)  # for all groups: the same sums in the same order, less overhead
        xz = np.where(obs, x, 0.0)
    for g in np.unique(groups[groups >= 0]):  # a loop over groups, not units
        sel = groups == g
        if stat == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):  # no observed value: NaN
                filled[..., sel, :] = (
                    np.add.reduce(xz[..., sel, :], axis=axis, keepdims=True)
                    / np.add.reduce(obs[..., sel, :], axis=axis, dtype=np.intp, keepdims=True))
        else:
            filled[..., sel, :] = _fill_stat(x[..., sel, :], stat, axis)
    return _combine(x, filled)


def panel(
    x: np.ndarray, periods: Sequence[float] | np.ndarray, *, method: str = "linear_constant",
    axis: int = 0,
) -> np.ndarray:
    r"""Fill gaps in each unit's time series of each indicator from its own observed periods.

    * ``linear``: straight line between the nearest observed periods before and after
      (in period units, so uneven spacing is respected); outside the observed range the nearest
      observed value (COINr ``impute_panel``, ``stats::approx(rule = 2)``); a series with only
      one observed period is left missing (linear interpolation needs two points; COINr#63);
    * ``constant``: the last observed value carried forward; before the first observation the
      first observed value (``approx(method = "constant", rule = 2)``);
    * ``linear_constant``: ``linear`` where a series has two or more observed periods,
      ``constant`` where it has exactly one (COINr's fix for #63; field case B18).

    A series with no observed period stays missing.

    Parameters
    ----------
    x : ndarray
        Values with periods on ``axis`` (a build data set is (n_periods, n_units, n_codes)).
    periods : sequence of numbers, length ``x.shape[axis]``
        Period labels, strictly increasing.
    method : {"linear", "constant", "linear_constant"}
    axis : int
        The period axis.

    Returns
    -------
    ndarray of the shape of ``x``.

    Raises
    ------
    MethodError
        Unknown method, periods not strictly increasing or of the wrong length.

    Examples
    --------
    Reference case B6 (one unit, 2020-2022; columns i2, i3, i4):

    >>> x = np.array([[3.0, np.nan, 7.0], [np.nan, 5.0, 8.0], [5.0, 6.0, np.nan]])
    >>> panel(x, [2020, 2021, 2022], method="linear").T.tolist()
    [[3.0, 4.0, 5.0], [5.0, 5.0, 6.0], [7.0, 8.0, 8.0]]
    >>> panel(x, [2020, 2021, 2022], method="constant").T.tolist()
    [[3.0, 3.0, 5.0], [5.0, 5.0, 6.0], [7.0, 8.0, 8.0]]
    """
    if method not in PANEL_METHODS:
        raise MethodError(f"unknown panel imputation {method!r}; use one of {PANEL_METHODS}")
    x0 = np.asarray(x, dtype=float)
    xm = np.moveaxis(x0, axis, 0)
    t = np.asarray(periods, dtype=float)
    n_t = xm.shape[0]
    if t.shape != (n_t,):
        raise MethodError(f"{t.size} periods given for an axis of length {n_t}")
    if n_t > 1 and not (np.diff(t) > 0).all():
        raise MethodError("periods must be strictly increasing")
    obs = ~np.isnan(xm)
    idx = np.arange(n_t).reshape((n_t,) + (1,) * (xm.ndim - 1))
    prev = np.maximum.accumulate(np.where(obs, idx, -1), axis=0)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(obs, idx, n_t), axis=0), axis=0), axis=0)
    has_prev, has_next = prev >= 0, nxt < n_t
    xp = np.take_along_axis(xm, np.clip(prev, 0, n_t - 1), axis=0)
    xn = np.take_along_axis(xm, np.clip(nxt, 0, n_t - 1), axis=0)
    n_obs = obs.sum(axis=0, keepdims=True)
    # constant: carry the last observation forward, the first one backward
    const = np.where(has_prev, xp, np.where(has_next, xn, np.nan))
    # linear: interpolate inside, nearest value outside
    tp, tn = t[np.clip(prev, 0, n_t - 1)], t[np.clip(nxt, 0, n_t - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(has_prev & has_next & (tn > tp), (t.reshape(idx.shape) - tp) / (tn - tp), 0.0)
    inside = xp + w * (xn - xp)
    lin = np.where(has_prev & has_next, inside, np.where(has_prev, xp, np.where(has_next, xn,
                                                                                 np.nan)))
    if method == "constant":
        filled = const
    elif method == "linear":
        filled = np.where(n_obs >= 2, lin, np.nan)
    else:
        filled = np.where(n_obs >= 2, lin, const)
    return _combine(x0, np.moveaxis(filled, 0, axis))


def table(
    x: np.ndarray, function: Callable[[np.ndarray], np.ndarray], *,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Apply a whole-table imputer to each 2-D (units x indicators) table of ``x``.

    The hook for multivariate methods (regression, EM, k-nearest neighbours, chained
    equations; OECD/JRC Handbook 2008, step 3): e.g. ``function =
    IterativeImputer(random_state=0).fit_transform`` from scikit-learn. Indicators with no
    observed value in a table are not passed to ``function`` (scikit-learn would drop them or
    fill them with 0) and stay missing. Whatever ``function`` returns, observed values are kept
    and checked (:func:`keep_observed`).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Each leading index (e.g. period) is imputed separately; reshape to
        (n_periods * n_units, n_indicators) first to pool periods.
    function : callable
        ``f(table) -> table`` on a float array of shape (n_units, k); may leave NaN.
    names : sequence of str, optional
        Indicator codes for messages.

    Returns
    -------
    ndarray of the shape of ``x``.

    Raises
    ------
    MethodError
        If ``function`` returns the wrong shape or changes an observed value.

    Examples
    --------
    >>> fill_with_2 = lambda t: np.where(np.isnan(t), 2.0, t)
    >>> table(np.array([[1.0, np.nan], [np.nan, np.nan]]), fill_with_2).tolist()
    [[1.0, nan], [2.0, nan]]
    """
    x = np.asarray(x, dtype=float)
    if x.ndim < 2:
        raise MethodError("table imputation expects x of shape (..., n_units, n_indicators)")
    out = np.full(x.shape, np.nan)
    for idx in np.ndindex(x.shape[:-2]):  # leading tables (periods), never units
        t = x[idx]
        cols = np.flatnonzero((~np.isnan(t)).any(axis=0))
        if cols.size == 0:
            continue
        res = np.asarray(function(t[:, cols].copy()), dtype=float)
        if res.shape != (t.shape[0], cols.size):
            raise MethodError(f"imputation function returned shape {res.shape}, expected "
                              f"{(t.shape[0], cols.size)}")
        out[idx][:, cols] = res  # out[idx] is a view (basic indexing)
    return keep_observed(x, out, names=names)
