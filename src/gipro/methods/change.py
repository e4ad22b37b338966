r"""Change kernels: percentage change and compound annual growth rate (CAGR).

Both are defined only where they mean something; elsewhere they return NaN (never 0, never
``inf``) and the caller reports why (:func:`gipro.progress.indicator_progress` writes the
reason in a ``note`` column).

References
----------
COINr ``prc_change`` and ``CAGR`` (Becker W. et al. 2022, COINr: an R package for developing
composite indicators, *JOSS* 7(78):4567): :math:`100 (y_2 - y_1)/y_1` and
:math:`(y_T / y_{t_0})^{1/(T - t_0)} - 1`. OECD (2001) *Glossary of Statistical Terms*,
"compound annual growth rate".
"""

from __future__ import annotations

import numpy as np

__all__ = ["cagr", "pct_change"]


def pct_change(y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    r"""Percentage change :math:`100\,(y_1 - y_0)/|y_0|`.

    COINr's ``prc_change`` divides by :math:`y_0`; dividing by :math:`|y_0|` gives the same
    value for every positive base and keeps the sign of the change for a negative base (a
    change from -10 to -5 is +50 %, a rise). Undefined (NaN) for :math:`y_0 = 0` or a missing
    value.

    Parameters
    ----------
    y0, y1 : array_like
        Values in the base and the end period (broadcastable).

    Returns
    -------
    ndarray
        Percentage change; NaN where undefined.

    Examples
    --------
    >>> pct_change([100.0, 0.0, -10.0], [110.0, 5.0, -5.0]).tolist()
    [10.0, nan, 50.0]
    """
    y0 = np.asarray(y0, dtype=float)
    y1 = np.asarray(y1, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (y1 - y0) / np.abs(y0)
    return np.where(y0 != 0, out, np.nan)


def cagr(y0: np.ndarray, y1: np.ndarray, years: np.ndarray | float) -> np.ndarray:
    r"""Compound annual growth rate :math:`(y_T / y_{t_0})^{1/(T - t_0)} - 1`.

    COINr ``CAGR``. Defined only for strictly positive :math:`y_{t_0}` and :math:`y_T` and
    :math:`T > t_0`: a growth *rate* compounds a ratio of positive quantities, so a zero or
    negative value in either period gives NaN (not 0, not -100 %, not a complex or sign-flipped
    number).

    Parameters
    ----------
    y0, y1 : array_like
        Values in the base period :math:`t_0` and the end period :math:`T`.
    years : array_like or float
        :math:`T - t_0` in years (periods), > 0. For a comparison backwards in time
        (:mod:`gipro.progress` with the base period after the end period) the caller passes
        :math:`|T - t_0|`: the rate that compounds the base value into the end value.

    Returns
    -------
    ndarray
        CAGR as a fraction per year (0.05 = 5 % a year); NaN where undefined.

    Examples
    --------
    >>> cagr([100.0, 100.0, 0.0, -1.0], [200.0, 50.0, 5.0, 2.0], 10).round(6).tolist()
    [0.071773, -0.066967, nan, nan]
    """
    y0 = np.asarray(y0, dtype=float)
    y1 = np.asarray(y1, dtype=float)
    t = np.asarray(years, dtype=float)
    ok = (y0 > 0) & (y1 > 0) & (t > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.power(np.where(ok, y1 / np.where(ok, y0, 1.0), 1.0),
                       1.0 / np.where(t > 0, t, 1.0)) - 1.0
    return np.where(ok, out, np.nan)
