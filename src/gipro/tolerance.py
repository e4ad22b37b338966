"""One tolerance policy: when two numbers are "the same" in gipro.

Numbers that are equal in exact arithmetic come out of floating-point pipelines a few units
in the last place apart: ``0.1 + 0.2`` is ``0.30000000000000004``, a spreadsheet may store a
column of 0.3 as ``0.3`` and ``0.30000000000000004``, two weighted means of the same values
added in another order differ in the last digit. Testing such numbers with ``max > min``,
``sd > 0`` or ``change > 0`` turns rounding noise into a finding: a constant column is spread
over [0, 100] and ranks a unit first, a change of ``-7e-15`` is a unit that "fell back".

So every such test in gipro is made relative to the scale of the numbers involved, with one
relative tolerance, :data:`RELATIVE` = 1e-12:

* **constant and near-constant columns** (:func:`flat`): a column whose range is at most
  ``RELATIVE`` times its largest magnitude does not vary (normalisation's ``constant:``
  policy, min-max and z-scores called directly, outlier treatment's skewness and kurtosis);
* **equal values** (:func:`same`) and **changes** (:func:`snap`): a difference of at most
  ``RELATIVE`` times the larger magnitude is zero -- progress (``improved``, ``worsened``,
  ``unchanged``; units that progressed or fell back), contributions of a zero change;
* **ties** (:func:`tied`): ranks (:mod:`gipro.methods.rank`) and the outranking matrix
  (pairwise wins and losses whose weights balance are a tie, 0.5).

1e-12 is far above the rounding of long pipelines (double precision carries about 16
significant digits: 1e-12 leaves some 10,000 units in the last place) and far below any
difference real data carry (statistical sources give 3-7 significant digits): on a 0-100
scale it is 1e-10 points. The test is purely relative -- no absolute floor -- so values of
1e-300 and 2e-300 still differ, and all-zero columns are constant.

References
----------
Goldberg D. (1991), What every computer scientist should know about floating-point
arithmetic, *ACM Computing Surveys* 23(1), 5-48 (relative error and ulps).
IEEE 754-2019, section 2.1 (precision of binary64: 53 bits, about 15.95 decimal digits).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RELATIVE", "flat", "same", "snap", "tied"]

#: The relative tolerance of every "is it the same number" test in gipro.
RELATIVE = 1e-12


def flat(lower: np.ndarray, upper: np.ndarray, rtol: float = RELATIVE) -> np.ndarray:
    """Whether columns with these bounds do not vary: ``upper - lower <= rtol * max(|lower|,
    |upper|)`` (an observed column only: NaN bounds give ``False``).

    Parameters
    ----------
    lower, upper : ndarray
        Minimum and maximum of each column (broadcastable).

    Examples
    --------
    >>> flat(np.array([0.3, 0.0, 1.0]), np.array([0.1 + 0.2, 0.0, 1.0 + 1e-9])).tolist()
    [True, True, False]
    """
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.maximum(np.abs(lo), np.abs(hi))
        return ~np.isnan(lo) & ~np.isnan(hi) & ~(hi - lo > rtol * scale)


def same(a: np.ndarray, b: np.ndarray, rtol: float = RELATIVE) -> np.ndarray:
    """Whether ``a`` and ``b`` are equal within ``rtol`` times the larger magnitude (NaN:
    ``False``).

    Examples
    --------
    >>> same(np.array([0.1 + 0.2, 1.0]), np.array([0.3, 1.1])).tolist()
    [True, False]
    """
    return flat(np.minimum(a, b), np.maximum(a, b), rtol)


def snap(change: np.ndarray, scale: np.ndarray, rtol: float = RELATIVE) -> np.ndarray:
    """``change`` with every value within ``rtol * |scale|`` of zero made exactly 0 (NaN
    stays NaN): a change of two values equal but for rounding is no change.

    Parameters
    ----------
    change : ndarray
        Differences, e.g. ``end - base``.
    scale : ndarray
        The magnitude they are differences of, broadcastable (e.g. ``max(|base|, |end|)``).

    Examples
    --------
    >>> snap(np.array([-7e-15, 0.5, np.nan]), np.array([62.0, 62.0, 1.0])).tolist()
    [0.0, 0.5, nan]
    """
    c = np.asarray(change, dtype=float)
    with np.errstate(invalid="ignore"):
        small = np.abs(c) <= rtol * np.abs(np.asarray(scale, dtype=float))
    return np.where(small, 0.0, c)


def tied(a: np.ndarray, b: np.ndarray, scale: np.ndarray, rtol: float = RELATIVE
         ) -> np.ndarray:
    """Whether sums ``a`` and ``b`` of parts of ``scale`` (e.g. the weights of the children a
    unit wins and loses on, out of all weights) balance: ``|a - b| <= rtol * |scale|``.

    Examples
    --------
    >>> tied(np.array([0.1 + 0.2]), np.array([0.3]), np.array([0.6])).tolist()
    [True]
    """
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(a, float) - np.asarray(b, float)) <= rtol * np.abs(
            np.asarray(scale, float))
