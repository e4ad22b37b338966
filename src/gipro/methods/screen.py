r"""Screening kernels: data availability and share of zeros of each unit.

For a unit with :math:`k` indicators of which :math:`m` are missing and :math:`z` are zero:

.. math::
    \text{availability} = 1 - \frac{m}{k}, \qquad
    \text{zero share} = \frac{z}{k - m}\ \text{(zeros among the observed values)}

A unit is kept when availability :math:`\ge` ``min_availability`` and zero share
:math:`\le` ``max_zero_share`` (COINr's ``dat_thresh`` and ``nonzero_thresh``:
``Non_Zero = 1 - zero share`` must be :math:`\ge` ``nonzero_thresh``).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, step 2-3 (data selection:
units with too many missing values are excluded before imputation). Becker W. et al. (2022),
COINr, *JOSS* 7(78), 4567: ``Screen`` and ``get_data_avail``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["availability", "zero_share"]


def availability(x: np.ndarray, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    """Share of observed (non-NaN) values over ``axis`` (indicators, optionally periods too).

    Parameters
    ----------
    x : ndarray, e.g. of shape (n_periods, n_units, n_indicators)
    axis : int or tuple of int
        ``-1``: per unit and period; ``(0, -1)``: per unit, pooled over periods.

    Returns
    -------
    ndarray of float in [0, 1].

    Examples
    --------
    >>> availability(np.array([[1.0, np.nan, 0.0, 2.0]])).tolist()
    [0.75]
    """
    x = np.asarray(x, dtype=float)
    return (~np.isnan(x)).mean(axis=axis)


def zero_share(x: np.ndarray, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    """Share of zeros among the *observed* values over ``axis`` (COINr ``1 - Non_Zero``).

    A unit with no observed value has zero share NaN.

    Examples
    --------
    >>> zero_share(np.array([[1.0, np.nan, 0.0, 2.0]])).round(4).tolist()
    [0.3333]
    """
    x = np.asarray(x, dtype=float)
    obs = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (obs & (x == 0)).sum(axis=axis) / obs.sum(axis=axis)
