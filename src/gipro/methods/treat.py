r"""Outlier treatment kernels: skewness/kurtosis check, winsorisation, log and Box-Cox.

The procedure is the one of the JRC COIN Tool and COINr (``Treat``/``winsorise``/``log_CT``),
vectorised over indicators and any leading axes (periods, replications):

1. An indicator *passes* when :math:`|G_1| < s` **or** :math:`G_2 < k` (default ``s = 2``,
   ``k = 3.5``), with :math:`G_1` and :math:`G_2` the sample ("type 2", Excel ``SKEW``/``KURT``,
   e1071 ``type = 2``) skewness and excess kurtosis of its observed values. It fails only when
   both are exceeded.
2. A failing indicator is winsorised one point at a time: if the current skewness is >= 0 the
   current maximum (all units tied at it) is set to the next lower value, else the minimum is set
   to the next higher value; the check is repeated after each round, up to ``winmax`` points.
3. If it still fails, a fallback transformation is applied to the *original* values (COINr's
   default ``combine_treat = FALSE``): ``log_ct`` = :math:`\ln(x - \min x + 0.01(\max x -
   \min x))` (COINr ``log_CT``, COINr6 ``deflog = "CTlog"``), ``log_ct_orig`` =
   :math:`\ln(x - \min x + 1)` (the original COIN Tool rule), ``log`` = :math:`\ln x` (positive
   data only) or ``boxcox`` (:func:`boxcox`).

Loops run over winsorisation *rounds* (at most ``max(winmax)``), never over indicators.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.5 and step 3
(outliers; skewness and kurtosis as a guide). JRC COIN (2019), "Ten step guide" and the COIN
Tool user guide (skew 2 / kurtosis 3.5 rule, winsorisation then log). Becker W. et al. (2022),
COINr, *JOSS* 7(78), 4567: ``Treat``, ``winsorise``, ``check_SkewKurt``, ``log_CT``.
Joanes D.N. and Gill C.A. (1998), Comparing measures of sample skewness and kurtosis,
*The Statistician* 47(1), 183-189 (the type-2 estimators :math:`G_1`, :math:`G_2`).
Box G.E.P. and Cox D.R. (1964), An analysis of transformations, *JRSS B* 26(2), 211-252.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import MethodError
from ..tolerance import RELATIVE, flat

__all__ = [
    "FALLBACKS",
    "MODES",
    "STATUS",
    "DataColumns",
    "SummaryColumns",
    "TreatResult",
    "Treatment",
    "apply_fitted",
    "boxcox",
    "column_extremes",
    "count_terms",
    "extreme_groups",
    "list_edges",
    "log_ct",
    "log_ct_orig",
    "merge_extremes",
    "middle_sums",
    "passes",
    "shape_stats",
    "skew_kurt",
    "summary_of",
    "transform",
    "transform_params",
    "transformed_mean",
    "transformed_moments",
    "transformed_sums",
    "treat",
    "treat_columns",
]

FALLBACKS = ("log_ct", "log_ct_orig", "log", "boxcox", "none")

#: Status codes of :class:`TreatResult` (per indicator and leading index).
STATUS = {
    0: "passes untreated",
    1: "winsorised, passes",
    2: "winsorised (forced)",
    3: "fallback transform, passes",
    4: "fallback transform, still fails",
    5: "still fails after winsorisation (no fallback)",
    6: "cannot assess (fewer than 4 observed values or no variation)",
    7: "winsorisation stopped: one more round would leave fewer than 2 distinct values",
    8: "became constant after winsorisation",
    9: "not treated (disabled)",
}

# changed-point codes
HIGH, LOW, TRANSFORMED = 1, -1, 2


def skew_kurt(x: np.ndarray, axis: int = -2) -> tuple[np.ndarray, np.ndarray]:
    r"""Sample skewness :math:`G_1` and excess kurtosis :math:`G_2` ("type 2"), ignoring NaN.

    .. math::
        g_1 = \frac{m_3}{m_2^{3/2}},\quad G_1 = g_1 \frac{\sqrt{n(n-1)}}{n-2};\qquad
        g_2 = \frac{m_4}{m_2^2} - 3,\quad G_2 = \frac{(n-1)\left((n+1) g_2 + 6\right)}{(n-2)(n-3)}

    with :math:`m_r = \frac1n\sum (x_i - \bar x)^r` over the :math:`n` observed values. These
    are Excel's ``SKEW``/``KURT``, e1071's ``type = 2`` and SAS's defaults (Joanes and Gill
    1998); COINr ``skew``/``kurt``.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    axis : int
        Axis of the units (reduced).

    Returns
    -------
    skew, kurt : ndarray
        ``x``'s shape without ``axis``. NaN where undefined: fewer than 3 (skew) or 4 (kurtosis)
        observed values, or zero variance.

    Examples
    --------
    B3 of the reference cases: x = (1, ..., 10, 30, 100).

    >>> s, k = skew_kurt(np.r_[np.arange(1.0, 11.0), 30, 100][:, None])
    >>> round(float(s[0]), 6), round(float(k[0]), 6)
    (3.063241, 9.741391)
    """
    x = np.asarray(x, dtype=float)
    xm = np.moveaxis(x, axis, 0)
    shape = xm.shape[1:]
    # one memory layout (units x columns, C order) whatever the caller's: numpy sums a
    # contiguous axis pairwise and a strided one in order, which can differ in the last bit
    flat = np.ascontiguousarray(xm.reshape(xm.shape[0], int(np.prod(shape))))  # (0 units too)
    s, k = _moments(flat, ~np.isnan(flat))
    return s.reshape(shape), k.reshape(shape)


def _n_terms(obs: np.ndarray) -> np.ndarray:
    """The factors of :func:`_moments` that depend only on each column's number of observed
    values ``n``, stacked: ``n, sqrt(n (n - 1)), n - 2, n - 1, n + 1, (n - 2)(n - 3)``
    (computed once per call of :func:`treat`, gathered for the columns of each round)."""
    return count_terms(np.add.reduce(obs, axis=0, dtype=float))  # counts (exact)


def count_terms(counts: np.ndarray) -> np.ndarray:
    """:func:`_n_terms` from each column's number of observed values."""
    t = np.empty((6, np.shape(counts)[0]))
    n = t[0]
    n[:] = counts
    np.sqrt(n * (n - 1.0), out=t[1])
    np.subtract(n, 2.0, out=t[2])
    np.subtract(n, 1.0, out=t[3])
    np.add(n, 1.0, out=t[4])
    np.multiply(t[2], n - 3.0, out=t[5])
    return t


def _moments(x: np.ndarray, obs: np.ndarray, terms: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Type-2 skewness and kurtosis of each column of a (n_units, m) array (see skew_kurt);
    ``terms``: :func:`_n_terms` of ``obs`` if already known."""
    terms = _n_terms(obs) if terms is None else terms
    n = terms[0]
    add = np.add.reduce
    with np.errstate(invalid="ignore", divide="ignore"):
        xz = np.where(obs, x, 0.0)
        # moments are scale-free: divide each column by its largest magnitude first, so tiny
        # (subnormal) or huge values neither underflow nor overflow in the powers below
        big = np.maximum.reduce(np.abs(xz), axis=0) if x.shape[0] else np.zeros(x.shape[1])
        unit = big.copy()
        unit[~(big > 0)] = 1.0
        xz /= unit
        mean = add(xz, axis=0) / n
        d = np.where(obs, xz - mean, 0.0)  # xz is x / unit where observed
        d2 = d * d
        m2 = add(d2, axis=0) / n
        m3 = add(d2 * d, axis=0) / n
        m4 = add(d2 * d2, axis=0) / n
    return shape_stats(m2, m3, m4, big, terms)


def shape_stats(m2: np.ndarray, m3: np.ndarray, m4: np.ndarray, big: np.ndarray,
                terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Type-2 skewness and kurtosis (:func:`skew_kurt`) from the central moments ``m2``,
    ``m3``, ``m4`` of each column divided by its largest magnitude ``big``, and the count
    factors ``terms`` (:func:`count_terms`): NaN for fewer than 3 (skew) or 4 (kurtosis)
    values, or no variation."""
    n, root, n_2, n_1, n1, n23 = terms
    with np.errstate(invalid="ignore", divide="ignore"):
        # zero variance relative to the data's magnitude (now 1), the tolerance policy's
        # sd <= RELATIVE * max|x| (gipro.tolerance) -> undefined, not huge
        still = ~(m2 > RELATIVE * RELATIVE) | (big == 0)
        skew = m3 / m2**1.5 * root / n_2
        kurt = n_1 * (n1 * (m4 / (m2 * m2) - 3.0) + 6.0) / n23
    skew[still | (n < 3)] = np.nan  # (small vectors: setting in place beats np.where)
    kurt[still | (n < 4)] = np.nan
    return skew, kurt


def passes(
    skew: np.ndarray, kurt: np.ndarray, skew_threshold: float = 2.0, kurt_threshold: float = 3.5
) -> np.ndarray:
    """COINr's outlier check: pass when ``|skew| < skew_threshold`` or ``kurt < kurt_threshold``.

    NaN moments (cannot assess) give ``False``; test them separately with ``np.isnan``.

    Examples
    --------
    >>> passes(np.array([2.1, 2.1, 1.0]), np.array([4.0, 3.0, 9.0])).tolist()
    [False, True, True]
    """
    return (np.abs(skew) < skew_threshold) | (kurt < kurt_threshold)


def _nanmin(x: np.ndarray, obs: np.ndarray, axis: int) -> np.ndarray:
    return np.where(obs, x, np.inf).min(axis=axis, keepdims=True)


def _nanmax(x: np.ndarray, obs: np.ndarray, axis: int) -> np.ndarray:
    return np.where(obs, x, -np.inf).max(axis=axis, keepdims=True)


def _shaped(x: np.ndarray, method: str, lo: np.ndarray, hi: np.ndarray, lam: np.ndarray
            ) -> np.ndarray:
    r"""The transform ``method`` of ``x`` with given column minimum ``lo``, maximum ``hi`` and
    Box-Cox :math:`\lambda` (broadcast to ``x``): the one home of the formulas, used when the
    parameters are learnt (:func:`log_ct`, :func:`boxcox`, :func:`treat`) and when they are
    given (:func:`apply_fitted`); ``identity``: ``x`` itself (the statistics of values
    already treated)."""
    if method == "identity":
        return x
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "log_ct":  # no range (constant, or one value): NaN, not ln 0 = -inf
            return np.where(hi > lo, np.log(x - lo + 0.01 * (hi - lo)), np.nan)
        if method == "log_ct_orig":
            return np.log(x - lo + 1.0)
        if method == "boxcox":
            from scipy import special  # (imported when used: scipy is slow to import)

            return special.boxcox(x - lo + 1.0, lam)
        return np.log(x)


def log_ct(x: np.ndarray, axis: int = -2) -> np.ndarray:
    r"""COIN Tool log as in COINr: :math:`\ln(x - \min x + 0.01(\max x - \min x))`, per column.

    COINr ``log_CT`` (and COINr6 ``deflog = "CTlog"``). Defined for any sign of ``x``; the
    minimum maps to :math:`\ln(0.01 \cdot \text{range})`. NaN stays NaN; a column without a
    range -- constant, or a single observed value -- gives NaN for every value (the formula
    would give :math:`\ln 0 = -\infty` for its minimum), so call it only on columns that vary.

    Examples
    --------
    >>> np.round(log_ct(np.array([[0.0], [1.0], [100.0]])).ravel(), 6).tolist()
    [0.0, 0.693147, 4.615121]
    """
    x = np.asarray(x, dtype=float)
    obs = ~np.isnan(x)
    return _shaped(x, "log_ct", _nanmin(x, obs, axis), _nanmax(x, obs, axis), np.nan)


def log_ct_orig(x: np.ndarray, axis: int = -2) -> np.ndarray:
    r"""The original COIN Tool log: :math:`\ln(x - \min x + 1)` per column (COINr ``log_CT_orig``).

    Examples
    --------
    >>> np.round(log_ct_orig(np.array([[2.0], [3.0]])).ravel(), 6).tolist()
    [0.0, 0.693147]
    """
    x = np.asarray(x, dtype=float)
    return _shaped(x, "log_ct_orig", _nanmin(x, ~np.isnan(x), axis), np.nan, np.nan)


def _boxcox_lambda(shifted: np.ndarray, axis: int) -> np.ndarray:
    """Maximum-likelihood Box-Cox lambda of each column of ``shifted`` (> 0), looping over
    the columns (:func:`scipy.stats.boxcox_normmax`); NaN for < 2 values or no variation."""
    from scipy import stats  # (imported when used: scipy is slow to import)

    moved = np.moveaxis(shifted, axis, -1)
    col_shape = moved.shape[:-1]
    lam = np.full(col_shape, np.nan)
    for idx in np.ndindex(col_shape):
        v = moved[idx]
        v = v[~np.isnan(v)]
        if v.size >= 2 and not flat(v.min(), v.max()):
            lam[idx] = stats.boxcox_normmax(v, method="mle")
    return lam


def boxcox(
    x: np.ndarray, lmbda: float | np.ndarray | None = None, axis: int = -2
) -> tuple[np.ndarray, np.ndarray]:
    r"""Box-Cox transform of each column after the COIN Tool shift :math:`x - \min x + 1`.

    .. math:: y = \frac{(x - \min x + 1)^\lambda - 1}{\lambda}\ (\lambda \ne 0),\qquad
              y = \ln(x - \min x + 1)\ (\lambda = 0)

    Box and Cox (1964); COINr ``boxcox(makepos = TRUE)``. With ``lmbda=None`` each column's
    :math:`\lambda` is estimated by maximum likelihood (:func:`scipy.stats.boxcox_normmax`; a
    loop over the columns given, so pass only the columns that need it).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    lmbda : float, ndarray broadcastable to the column shape, or None
        Fixed :math:`\lambda` or ``None`` to estimate one per column.

    Returns
    -------
    y : ndarray of the shape of ``x``
    lmbda : ndarray of the column shape (``x`` without ``axis``)
        The :math:`\lambda` used for each column (NaN where a column had < 2 observed values).

    Examples
    --------
    >>> y, lam = boxcox(np.array([[1.0], [2.0], [4.0]]), 0.0)
    >>> np.round(y.ravel(), 6).tolist(), lam.tolist()
    ([0.0, 0.693147, 1.386294], [0.0])
    """
    x = np.asarray(x, dtype=float)
    lo = _nanmin(x, ~np.isnan(x), axis)
    shifted = x - lo + 1.0
    col_shape = np.squeeze(shifted.sum(axis=axis, keepdims=True), axis=axis).shape
    if lmbda is None:
        lam = _boxcox_lambda(shifted, axis)
    else:
        lam = np.broadcast_to(np.asarray(lmbda, dtype=float), col_shape).copy()
    return _shaped(x, "boxcox", lo, np.nan, np.expand_dims(lam, axis)), lam


def transform(
    x: np.ndarray, method: str, *, lmbda: float | None = None, axis: int = -2,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Apply one of the fallback transforms (``log_ct``, ``log_ct_orig``, ``log``, ``boxcox``).

    Raises
    ------
    MethodError
        ``log`` on zero or negative values (named by column), or an unknown method.

    Examples
    --------
    >>> np.round(transform(np.array([[1.0], [np.e]]), "log").ravel(), 6).tolist()
    [0.0, 1.0]
    """
    return transform_params(x, method, lmbda=lmbda, axis=axis, names=names)[0]


def transform_params(
    x: np.ndarray, method: str, *, lmbda: float | None = None, axis: int = -2,
    names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`transform`, and the parameters it used: each column's minimum, maximum and
    Box-Cox lambda (column shape; NaN where the method does not use one), so that
    :func:`apply_fitted` can treat other values the same way.

    Raises
    ------
    MethodError
        ``log`` on zero or negative values (named by column), or an unknown method.
    """
    x = np.asarray(x, dtype=float)
    if method not in FALLBACKS[:-1]:
        raise MethodError(f"unknown transform {method!r}; use one of {FALLBACKS[:-1]}")
    obs = ~np.isnan(x)
    col = np.squeeze(np.zeros_like(x).sum(axis=axis, keepdims=True), axis=axis).shape
    nan = np.full(col, np.nan)
    if method == "log":
        bad = obs & ~(x > 0)
        if bad.any():
            cols = sorted(set(np.argwhere(bad)[:, -1].tolist()))
            label = [names[c] for c in cols] if names is not None else cols
            raise MethodError(
                f"log transform needs strictly positive values; zero or negative values in "
                f"{label}", ["use log_ct (shifts by the minimum) or boxcox instead"])
        return _shaped(x, "log", np.nan, np.nan, np.nan), nan, nan, nan
    lo, hi = _nanmin(x, obs, axis), _nanmax(x, obs, axis)
    if method == "boxcox":
        y, lam = boxcox(x, lmbda, axis)
        return y, np.squeeze(lo, axis), nan, lam
    y = _shaped(x, method, lo, hi, np.nan)
    return y, np.squeeze(lo, axis), (np.squeeze(hi, axis) if method == "log_ct" else nan), nan


#: Treatment of a column (:class:`Treatment`): 0 unchanged, 1 winsorised (clipped at caps),
#: then the transforms.
MODES = ("identity", "winsorise", "log_ct", "log_ct_orig", "log", "boxcox")


@dataclass(frozen=True)
class Treatment:
    """The treatment learnt for each column, to apply to these or other values
    (:func:`apply_fitted`; scikit-learn's fitted state).

    All arrays have the column shape ``(..., n_indicators)`` (``x``'s shape without the units
    axis).

    Attributes
    ----------
    mode : ndarray of int8
        Index into :data:`MODES`.
    low, high : ndarray
        Winsorisation caps: the values the lowest and highest outliers were set to (``-inf``
        / ``inf`` where nothing was winsorised).
    min, max : ndarray
        The column's minimum and maximum before treatment (the shifts of the transforms).
    lmbda : ndarray
        Box-Cox lambda.
    """

    mode: np.ndarray
    low: np.ndarray
    high: np.ndarray
    min: np.ndarray
    max: np.ndarray
    lmbda: np.ndarray

    def take(self, index: Any) -> Treatment:
        """The treatment of some columns / leading rows (numpy indexing of every array)."""
        return Treatment(*(np.asarray(a)[index] for a in (self.mode, self.low, self.high,
                                                          self.min, self.max, self.lmbda)))


def apply_fitted(x: np.ndarray, t: Treatment) -> np.ndarray:
    """Treat ``x`` with a learnt :class:`Treatment`: unchanged, clipped at the caps, or
    transformed with the learnt minimum, maximum and lambda (the formulas of :func:`log_ct`,
    :func:`log_ct_orig`, :func:`boxcox` and ``log``).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
    t : Treatment
        Arrays broadcastable to the column shape of ``x`` (e.g. ``(n_periods,
        n_indicators)`` for ``x`` of shape ``(n_periods, n_units, n_indicators)``, with any
        further leading axes of ``x`` carried through).

    Returns
    -------
    ndarray of the shape of ``x``; NaN stays NaN. A transform undefined for a value (a log of
    a value below the learnt minimum's shift) gives NaN.

    Examples
    --------
    >>> t = Treatment(np.array([1, 2], dtype=np.int8), np.array([-np.inf, -np.inf]),
    ...               np.array([5.0, np.inf]), np.array([0.0, 0.0]), np.array([9.0, 100.0]),
    ...               np.array([np.nan, np.nan]))
    >>> apply_fitted(np.array([[9.0, 0.0], [1.0, 100.0]]), t).round(6).tolist()
    [[5.0, 0.0], [1.0, 4.615121]]
    """
    x = np.asarray(x, dtype=float)
    modes = np.asarray(t.mode)
    ks = np.flatnonzero((modes != 0).reshape(-1, modes.shape[-1]).any(axis=0))
    y = x.copy()
    if not ks.size:  # every column unchanged
        return y
    sub = t.take((..., ks))  # the columns treated somewhere: the others stay as they are
    xs = x[..., ks]
    mode = np.asarray(sub.mode)[..., None, :]
    ys = xs
    if (sub.mode == 1).any():
        ys = np.where(mode == 1, np.minimum(np.maximum(xs, np.asarray(sub.low)[..., None, :]),
                                            np.asarray(sub.high)[..., None, :]), ys)
    for code in np.unique(sub.mode[sub.mode > 1]):
        f = _shaped(xs, MODES[code], np.asarray(sub.min)[..., None, :],
                    np.asarray(sub.max)[..., None, :], np.asarray(sub.lmbda)[..., None, :])
        ys = np.where(mode == code, f, ys)
    y[..., ks] = ys
    return y


@dataclass(frozen=True)
class TreatResult:
    """Output of :func:`treat`.

    Attributes
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Treated values (NaN where the input was NaN).
    changed : ndarray of int8, shape of ``x``
        0 unchanged, +1 winsorised at the high end, -1 at the low end, 2 transformed.
    n_winsorised : ndarray of int, shape (..., n_indicators)
        Points winsorised per indicator (0 when a fallback replaced the winsorised values).
    status : ndarray of int8, shape (..., n_indicators)
        Codes of :data:`STATUS`.
    skew, kurt : ndarray, shape (..., n_indicators)
        Moments of the input.
    skew_after, kurt_after : ndarray, shape (..., n_indicators)
        Moments of the output.
    fallback : ndarray of object, shape (..., n_indicators)
        Name of the fallback transform applied, or ``""``.
    treatment : Treatment
        The treatment of each column, to treat other values the same way
        (:func:`apply_fitted`; ``apply_fitted(x, treatment)`` is ``x`` above).
    """

    x: np.ndarray | None
    changed: np.ndarray | None
    n_winsorised: np.ndarray
    status: np.ndarray
    skew: np.ndarray
    kurt: np.ndarray
    skew_after: np.ndarray
    kurt_after: np.ndarray
    fallback: np.ndarray
    treatment: Treatment


#: Skewness treated as exactly 0 when deciding which end to winsorise (see :func:`treat`).
_SKEW_ZERO = 1e-10


def _per_column(value, shape: tuple[int, ...], dtype, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return np.full(shape, arr, dtype=dtype)
    try:
        return np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise MethodError(f"{name} must be a scalar or one value per indicator; got shape "
                          f"{arr.shape} for {shape[-1]} indicators") from None


def treat(
    x: np.ndarray,
    *,
    winmax: int | np.ndarray = 5,
    skew_threshold: float = 2.0,
    kurt_threshold: float = 3.5,
    force: bool | np.ndarray = False,
    fallback: str | Sequence[str] = "log_ct",
    boxcox_lambda: float | None = None,
    enabled: bool | np.ndarray = True,
    on_constant: str = "refuse",
    names: Sequence[str] | None = None,
    moments_after: bool = True,
) -> TreatResult:
    r"""Treat outliers column by column: check, winsorise point by point, else transform.

    See the module docstring for the rule (COINr ``Treat`` with ``winsorise`` and ``log_CT``).
    Details of this implementation:

    * moments ignore NaN; missing values are never filled or moved;
    * a round sets *every* unit tied at the current extreme to the next value and counts each of
      them as a winsorised point; a round that would take the count above ``winmax`` is not
      made (so at most ``winmax`` points change);
    * the direction is re-decided each round from the current skewness (COINr6 ``winchange =
      TRUE``; COINr >= 1.0);
    * ``force``: winsorise exactly ``winmax`` points (or as many as possible) whatever the
      check says, and apply no fallback (COINr ``force_win``);
    * degenerate columns stop cleanly (field case B19): fewer than 4 observed values or no
      variation -> untreated, status 6 (a forced winsorisation, which does not consult the
      check, still treats a column of fewer than 4 values: status 2). When one more round
      would leave fewer than 2 distinct values, ``on_constant="refuse"`` (default) stops
      before it (status 7; the fallback is
      then tried), ``"allow"`` makes the round and stops (status 8: the indicator is constant,
      which a later min-max will refuse), ``"error"`` raises;
    * a fallback is applied to the original column when the check still fails; its result is
      checked again (status 3 or 4).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_indicators)
        Values; NaN = missing. Leading axes (periods, replications) are treated independently.
    winmax : int or ndarray broadcastable to (..., n_indicators)
        Maximum number of points winsorised per indicator (COINr default 5; COINr6 used
        ``ceil(0.1 * n_units)``).
    skew_threshold, kurt_threshold : float
        Thresholds of the check (2 and 3.5).
    force : bool or ndarray broadcastable to (..., n_indicators)
        Forced winsorisation of ``winmax`` points.
    fallback : str or sequence of str (one per indicator)
        One of :data:`FALLBACKS`.
    boxcox_lambda : float, optional
        Fixed Box-Cox :math:`\lambda` for the ``boxcox`` fallback (default: estimated).
    enabled : bool or ndarray broadcastable to (..., n_indicators)
        ``False`` leaves an indicator untouched (status 9).
    on_constant : {"refuse", "allow", "error"}
        What to do when winsorising would leave fewer than 2 distinct values.
    names : sequence of str, optional
        Indicator codes, for messages.
    moments_after : bool
        Compute ``skew_after`` and ``kurt_after`` (default). ``False`` leaves them NaN, for
        callers that only need the treated values and the treatment (the treat step, which
        computes them when its summary is read).

    Returns
    -------
    TreatResult

    Raises
    ------
    MethodError
        Negative ``winmax``, unknown fallback or policy, ``log`` fallback on non-positive data,
        ``on_constant="error"`` when a column would become constant.

    Examples
    --------
    COINr test-treat: x = (1, ..., 10, 100), winmax 5 -> the 100 becomes 10.

    >>> r = treat(np.r_[np.arange(1.0, 11.0), 100][:, None], winmax=5)
    >>> r.x[-1, 0].item(), int(r.n_winsorised[0]), str(STATUS[int(r.status[0])])
    (10.0, 1, 'winsorised, passes')
    """
    x0 = np.asarray(x, dtype=float)
    if x0.ndim < 2:
        raise MethodError("treat expects x of shape (..., n_units, n_indicators)")
    # work on a (n_units, n_columns) layout: every indicator of every leading index is a column
    n_u = x0.shape[-2]
    lead = x0.shape[:-2]
    nl = len(lead)
    n_ind = x0.shape[-1]
    col_shape = x0.shape[:-2] + x0.shape[-1:]
    data = DataColumns(x0.transpose(nl, *range(nl), nl + 1).reshape(n_u, -1))  # units first
    res = treat_columns(data, col_shape, winmax=winmax, skew_threshold=skew_threshold,
                        kurt_threshold=kurt_threshold, force=force, fallback=fallback,
                        boxcox_lambda=boxcox_lambda, enabled=enabled, on_constant=on_constant,
                        names=names)
    X, obs = data.X, data.obs
    if moments_after:
        X = np.where(obs, X, np.nan)
        ska, kua = _moments(X, obs, data.terms)
    else:  # X is NaN exactly where x is (clipping and the transforms keep NaN)
        ska = kua = np.full(X.shape[1], np.nan)

    def back(a: np.ndarray) -> np.ndarray:  # (n_units, m) -> x's shape
        return a.reshape((n_u, *lead, n_ind)).transpose(*range(1, nl + 1), 0, nl + 1)

    return replace(res, x=back(X), changed=back(data.changed),
                   skew_after=ska.reshape(col_shape), kurt_after=kua.reshape(col_shape))


class DataColumns:
    """The columns of :func:`treat` held as data: an array of shape (n_units, m), each
    column one indicator of one leading index. The rules of :func:`treat_columns` read
    columns through this interface (counts, moments, tie groups at the extremes, moments of
    clipped and transformed columns), so the same rules run on data summarised by
    statistics in a build chunked over units (:class:`SummaryColumns`). Treating also
    changes the data here (``X``, ``changed``)."""

    def __init__(self, X0: np.ndarray) -> None:
        self.X0 = X0
        self.X = X0.copy()
        self.obs = ~np.isnan(X0)
        self.terms = _n_terms(self.obs)
        self.changed = np.zeros(X0.shape, dtype=np.int8)
        self.n_rows = X0.shape[0]  # (how many rounds a batch evaluates)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Skewness and kurtosis of every column."""
        return _moments(self.X0, self.obs, self.terms)

    def group_table(self, cand: np.ndarray, pad: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The tie groups of the columns ``cand``: the units in each group and its value
        (groups in ascending order of value, then ``pad`` rows of padding), and each
        column's top group."""
        n_u = self.n_rows
        c = cand.size
        cols = np.arange(c)
        S = np.sort(self.X0[:, cand], axis=0)  # NaN last, each NaN its own group (never reached)
        n_obs = self.terms[0, cand].astype(np.int64)
        new = np.ones(S.shape, dtype=bool)
        np.not_equal(S[1:], S[:-1], out=new[1:])
        gid = np.add.accumulate(new, axis=0, dtype=np.intp) - 1  # tie group of each position
        rows, cc = np.nonzero(new)
        start = np.full((n_u + 1, c), n_u)
        start[gid[rows, cc], cc] = rows
        # units in each group and its value; the rows after the last group (a state no round
        # reaches, also at negative positions, which wrap around) are padding
        size = np.zeros((n_u + pad, c), dtype=np.int64)
        size[:n_u] = start[1:] - start[:-1]
        value = np.zeros((n_u + pad, c))
        value[:n_u] = S[np.minimum(start[:-1], n_u - 1), cols]
        empty = n_obs == 0
        gt = np.where(empty, 0, gid[np.maximum(n_obs - 1, 0), cols])
        size[0, empty] = 0  # no observed value (forced columns only): nothing to move
        return size, value, gt

    def clipped_moments(self, g: np.ndarray, lo: np.ndarray, hi: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Skewness and kurtosis of the columns ``g`` clipped to ``[lo, hi]``."""
        xa = np.minimum(np.maximum(self.X[:, g], lo), hi)
        return _moments(xa, self.obs[:, g], self.terms[:, g])

    def apply_caps(self, j: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Clip the columns ``j`` to ``[lo, hi]`` (the winsorisation made)."""
        xj = self.X[:, j]
        self.X[:, j] = np.minimum(np.maximum(xj, lo), hi)
        self.changed[:, j] = np.subtract(xj > hi, xj < lo, dtype=np.int8)  # HIGH 1, LOW -1

    def fallback(self, sel: np.ndarray, kind: str, lmbda: float | None,
                 names: list[Any]) -> tuple[np.ndarray, ...]:
        """Transform the original columns ``sel`` (:func:`transform_params`): the
        parameters learnt (minimum, maximum, lambda) and the skewness and kurtosis after."""
        tx, t_min, t_max, t_lam = transform_params(self.X0[:, sel], kind, lmbda=lmbda, axis=0,
                                                   names=names)
        self.X[:, sel] = tx
        self.changed[:, sel] = np.where(self.obs[:, sel], TRANSFORMED, 0)
        s2, k2 = _moments(tx, self.obs[:, sel])
        return t_min, t_max, t_lam, s2, k2


def treat_columns(
    data: Any,
    col_shape: tuple[int, ...],
    *,
    winmax: int | np.ndarray = 5,
    skew_threshold: float = 2.0,
    kurt_threshold: float = 3.5,
    force: bool | np.ndarray = False,
    fallback: str | Sequence[str] = "log_ct",
    boxcox_lambda: float | None = None,
    enabled: bool | np.ndarray = True,
    on_constant: str = "refuse",
    names: Sequence[str] | None = None,
) -> TreatResult:
    """The rules of :func:`treat` (check, winsorisation rounds, fallbacks) on columns read
    through ``data`` (:class:`DataColumns` or :class:`SummaryColumns`): the one
    implementation of the procedure, whether the data are in memory or summarised by
    statistics over blocks of units.

    Parameters
    ----------
    data : DataColumns or SummaryColumns
        The ``m`` columns (every indicator of every leading index, indicators last).
    col_shape : tuple of int
        ``(..., n_indicators)``, with ``prod(col_shape) = m``.
    winmax, skew_threshold, kurt_threshold, force, fallback, boxcox_lambda, enabled,
    on_constant, names :
        As :func:`treat`.

    Returns
    -------
    TreatResult
        Without the treated values (``x``, ``changed`` are ``None``; ``skew_after`` and
        ``kurt_after`` NaN): :func:`treat` adds them.

    Raises
    ------
    MethodError
        As :func:`treat`.
    """
    if on_constant not in ("refuse", "allow", "error"):
        raise MethodError(f"on_constant must be 'refuse', 'allow' or 'error', got {on_constant!r}")
    n_ind = col_shape[-1]
    wmax = _per_column(winmax, col_shape, np.int64, "winmax")
    if (wmax < 0).any():
        raise MethodError("winmax must be >= 0")
    forced = _per_column(force, col_shape, bool, "force")
    on = _per_column(enabled, col_shape, bool, "enabled")
    fb = [fallback] * n_ind if isinstance(fallback, str) else list(fallback)
    if len(fb) != n_ind:
        raise MethodError(f"fallback: {len(fb)} values for {n_ind} indicators")
    unknown = sorted({f for f in ([fallback] if isinstance(fallback, str) else fb)
                      if f not in FALLBACKS})
    if unknown:
        raise MethodError(f"unknown fallback {unknown}; use one of {list(FALLBACKS)}")
    m = int(np.prod(col_shape))
    wmax, forced, on = wmax.reshape(m), forced.reshape(m), on.reshape(m)
    sk0, ku0 = data.moments()
    assessable = ~np.isnan(sk0) & ~np.isnan(ku0)
    fails = assessable & ~passes(sk0, ku0, skew_threshold, kurt_threshold)
    nwin = np.zeros(m, dtype=np.int64)
    mode = np.zeros(m, dtype=np.int8)
    cap_lo, cap_hi = np.full(m, -np.inf), np.full(m, np.inf)
    t_min, t_max, t_lam = np.full(m, np.nan), np.full(m, np.nan), np.full(m, np.nan)
    status = np.where(on, np.where(assessable, 0, 6), 9).astype(np.int8)
    # a column is winsorised while it fails (or is forced) and has points left (nwin = 0 here)
    cand = (on & (fails | forced) & (wmax > 0)).nonzero()[0]
    if cand.size:  # most indicators pass untreated: no round at all for them
        _winsorise(data, cand, sk0, fails, forced, wmax, nwin, status,
                   skew_threshold, kurt_threshold, on_constant,
                   lambda j: names[j % n_ind] if names is not None else int(j % n_ind),
                   cap_lo, cap_hi)
        mode[nwin > 0] = 1
        win = nwin > 0
        status[win & forced & (status <= 6)] = 2  # (forced: also when it cannot be assessed)
        status[win & ~forced & ~fails & (status < 6)] = 1
        # forced, failing, and no point could be moved (winmax below the tied extreme): no
        # fallback is tried for a forced column, so it still fails -- never "passes"
        status[forced & ~win & fails & (status == 0)] = 5
    # still failing after winsorisation (and not forced / disabled / unassessable); not after
    # the constant guard stopped it: the column is then two-valued, and no monotone transform
    # changes the skewness of a two-valued variable
    fb_used = np.empty(m, dtype=object)
    fb_used.fill("")
    need_fb = fails & on & ~forced  # (fails implies assessable)
    if need_fb.any() and (need_fb := need_fb & (status != 7) & (status != 8)).any():
        fb_cols = np.tile(np.array(fb, dtype=object), m // n_ind)
        status[need_fb & (fb_cols == "none")] = 5
        for kind in sorted({f for f in fb if f != "none"}):
            sel = np.flatnonzero(need_fb & (fb_cols == kind))
            if sel.size == 0:
                continue
            t_min[sel], t_max[sel], t_lam[sel], s2, k2 = data.fallback(
                sel, kind, boxcox_lambda,
                [names[j % n_ind] if names is not None else int(j % n_ind) for j in sel])
            mode[sel] = MODES.index(kind)
            nwin[sel] = 0
            fb_used[sel] = kind
            status[sel] = np.where(passes(s2, k2, skew_threshold, kurt_threshold), 3, 4)

    def cols(a: np.ndarray) -> np.ndarray:  # (m,) -> (..., n_indicators)
        return a.reshape(col_shape)

    nan = np.full(col_shape, np.nan)
    treatment = Treatment(cols(mode), cols(cap_lo), cols(cap_hi), cols(t_min), cols(t_max),
                          cols(t_lam))
    return TreatResult(None, None, cols(nwin), cols(status), cols(sk0), cols(ku0), nan, nan,
                       cols(fb_used), treatment)


#: Largest number of (units x columns x rounds) values a batch of speculative rounds holds.
_BATCH = 16384
#: Most rounds computed in one batch.
_MAX_ROUNDS = 8
_NEVER = np.iinfo(np.int64).max


def _winsorise(data: Any, cand: np.ndarray, sk0: np.ndarray, fails: np.ndarray,
               forced: np.ndarray, wmax: np.ndarray, nwin: np.ndarray, status: np.ndarray,
               skew_threshold: float, kurt_threshold: float, on_constant: str, label,
               cap_lo: np.ndarray, cap_hi: np.ndarray) -> None:
    """The winsorisation rounds of :func:`treat` on the candidate columns ``cand`` of
    ``data`` (:class:`DataColumns` or :class:`SummaryColumns`).

    Updates ``fails``, ``nwin``, ``status`` and the caps ``cap_lo``, ``cap_hi`` (the values
    the lowest / highest points were set to) in place, and clips the data
    (``data.apply_caps``); the result is the one of the procedure in the module docstring,
    round by round.

    How: a column's distinct observed values, sorted, form tie groups ``0 .. G-1``; its state
    is the group of its current minimum (``gb``) and of its current maximum (``gt``), its
    values the original ones clipped to ``[value(gb), value(gt)]``. A round at the top moves
    every unit of group ``gt`` (its size is the number of newly winsorised points) to the
    next value: ``gt - 1``; at the bottom ``gb + 1``. Rounds are computed in batches: for
    every active column the next ``L`` rounds in the direction of its current skewness are
    evaluated at once (one call of the moments on ``L`` clipped copies of the columns, the
    same arrays and order of operations as one call per round), then each column keeps the
    rounds it really makes -- up to its stop (it passes, ``winmax`` is reached, the constant
    guard) or the first round whose skewness asks for the other direction, where the next
    batch takes over. ``L`` is small when the data are large, so big inputs go round by
    round.
    """
    n_u = data.n_rows
    c = cand.size
    cols = np.arange(c)
    pad = _MAX_ROUNDS + 1
    size, value, gt = data.group_table(cand, pad)
    gb = np.zeros(c, dtype=gt.dtype)
    gt0 = gt.copy()  # the top group: a cap only where a round moved that end
    sk = sk0[cand]
    fl = fails[cand]
    fo, wm = forced[cand], wmax[cand]
    nw = np.zeros(c, dtype=np.int64)
    done = np.zeros(c, dtype=np.int64)  # rounds made (the error names the first block)
    error_at = np.full(c, _NEVER)
    active = np.ones(c, dtype=bool)
    while True:
        a = active.nonzero()[0]
        if a.size == 0:
            break
        ca = cols[: a.size]
        n_l = int(min(_MAX_ROUNDS, (wm[a] - nw[a]).max(), max(1, _BATCH // (n_u * a.size))))
        r = np.arange(1, n_l + 1)[:, None]
        # skew >= 0, or undefined (forced on few points): clip the top. A skewness within
        # 1e-10 of 0 is 0: the sign of a rounding error (which depends on the order of the
        # units in the sums) must not decide the direction (found by the property suite)
        high = ~(sk[a] < -_SKEW_ZERO)
        gt_a, gb_a = gt[a], gb[a]
        top = np.where(high, gt_a - r, gt_a)  # (L, n_a): the state after round r
        bottom = np.where(high, gb_a, gb_a + r)
        top_b = np.where(high, top + 1, gt_a)  # ... and before it
        bottom_b = np.where(high, gb_a, bottom - 1)
        # points newly winsorised by round r: the original values tied at the extreme
        # (units moved there by earlier rounds are moved again but counted once)
        k = size[np.where(high, top_b, bottom_b), a]
        nw_r = nw[a] + np.add.accumulate(k, axis=0)
        go = nw_r <= wm[a]  # at most winmax points change
        # no next value (one distinct value), or the round would make the column constant
        to_const = top_b - bottom_b <= 1
        block = go & to_const
        refuse = block & (top_b <= bottom_b) if on_constant == "allow" else block
        made = go & ~refuse
        became = made & to_const  # on_constant "allow": the column is now constant
        hi, lo = value[top, a], value[bottom, a]
        g = np.concatenate([cand[a]] * n_l)
        s_r, k_r = data.clipped_moments(g, lo.ravel(), hi.ravel())
        s_r, k_r = s_r.reshape(n_l, -1), k_r.reshape(n_l, -1)
        f_r = ~passes(s_r, k_r, skew_threshold, kurt_threshold) & ~np.isnan(s_r) \
            & ~np.isnan(k_r)
        more = made & (f_r | fo[a]) & (nw_r < wm[a]) & ~became
        same = ~(s_r < -_SKEW_ZERO) == high
        alive = np.logical_and.accumulate(more & same, axis=0)  # still in the batch after r
        before = np.empty_like(alive)  # round r reached
        before[0] = True
        before[1:] = alive[:-1]
        n_made = (before & made).sum(axis=0)
        last = np.maximum(n_made - 1, 0)
        has = n_made > 0
        gt[a] = np.where(has, top[last, ca], gt_a)
        gb[a] = np.where(has, bottom[last, ca], gb_a)
        nw[a] = np.where(has, nw_r[last, ca], nw[a])
        sk[a] = np.where(has, s_r[last, ca], sk[a])
        fl[a] = np.where(has, f_r[last, ca], fl[a])
        # the round after the last one made: refused by the constant guard?
        nxt = np.minimum(n_made, n_l - 1)
        stopped = (n_made < n_l) & before[nxt, ca] & refuse[nxt, ca]
        if stopped.any():
            if on_constant == "error":
                error_at[a[stopped]] = done[a[stopped]] + n_made[stopped] + 1
            else:
                status[cand[a[stopped]]] = 7
        if on_constant == "allow":
            status[cand[a[has & became[last, ca]]]] = 8
        done[a] += n_made
        # carries on in the next batch: all rounds made, or the direction changes
        active[a] = has & more[last, ca] & ((n_made == n_l) | ~same[last, ca]) & ~stopped
    if on_constant == "error" and (error_at < _NEVER).any():
        # the first round (then the first column) where the old round-by-round loop stopped
        first = np.lexsort((cand, error_at))[0]
        raise MethodError(
            f"winsorising indicator {label(cand[first])} would leave fewer than 2 distinct "
            "values", ["set on_constant: refuse (stop before), a lower winmax, or turn "
                       "treatment off for this indicator (method: none)"])
    fails[cand] = fl
    nwin[cand] = nw
    moved = (nw > 0).nonzero()[0]
    if moved.size:
        j = cand[moved]
        hi, lo = value[gt[moved], moved], value[gb[moved], moved]
        cap_lo[j] = np.where(gb[moved] > 0, lo, -np.inf)
        cap_hi[j] = np.where(gt[moved] < gt0[moved], hi, np.inf)
        data.apply_caps(j, lo, hi)


class SummaryColumns:
    """The columns of :func:`treat_columns` known by statistics, not data (a build chunked
    over units: :meth:`gipro.steps.treat.TreatStep.fit_chunked` reduces them over blocks).

    What the rules read of a column, the statistics give exactly or to the last bits: the
    count; the ``T`` smallest and ``T`` largest distinct values with their counts (exact;
    ``T`` = :func:`extreme_groups` of the largest ``winmax``, more than any sequence of rounds
    can reach); the sums of the powers 0-4 of the other values' deviations from the mean, all
    values divided by the largest magnitude (the moments of :func:`skew_kurt` of the column
    clipped at any two of its extreme values follow by the binomial theorem); the minimum and
    maximum (the fallbacks' shifts). The skewness and kurtosis after a fallback transform
    need the data again: ``transformed(sel, kind, t_min, t_max, t_lam) -> (skew, kurt)``.

    Parameters
    ----------
    n : ndarray of shape (m,)
        Observed values per column.
    big, mean : ndarray of shape (m,)
        Largest magnitude; mean of the values divided by it.
    low_v, low_c, high_v, high_c : ndarray of shape (m, T)
        The ``T`` smallest distinct values ascending (``inf`` padding) and their counts, the
        ``T`` largest descending (``-inf`` padding) and theirs (0 for padding).
    middle : ndarray of shape (m, 5)
        Sums of ``(x / big - mean) ** k``, ``k = 0..4``, over the values strictly between the
        two lists' last values.
    transformed : callable
    """

    def __init__(self, n: np.ndarray, big: np.ndarray, mean: np.ndarray, low_v: np.ndarray,
                 low_c: np.ndarray, high_v: np.ndarray, high_c: np.ndarray,
                 middle: np.ndarray, transformed: Any) -> None:
        t = low_v.shape[1]
        self.n = np.asarray(n, dtype=np.int64)
        self.terms = count_terms(self.n.astype(float))
        self.big, self.mean, self.middle = big, mean, middle
        self.transformed = transformed
        self.min = np.where(self.n > 0, low_v[:, 0], np.nan)
        self.max = np.where(self.n > 0, high_v[:, 0], np.nan)
        # the extreme groups, ascending, without the values both lists hold
        v = np.concatenate([low_v, high_v[:, ::-1]], axis=1)
        c = np.concatenate([low_c, high_c[:, ::-1]], axis=1)
        dup = np.zeros(v.shape, dtype=bool)
        dup[:, t:] = (high_v[:, ::-1][:, :, None] == low_v[:, None, :]).any(axis=2)
        c = np.where(dup | ~np.isfinite(v), 0, c)
        order = np.argsort(np.where(c > 0, v, np.inf), axis=1, kind="stable")
        self.ext_v = np.take_along_axis(np.where(c > 0, v, 0.0), order, axis=1)
        self.ext_c = np.take_along_axis(c, order, axis=1).astype(np.int64)
        self.n_low = (self.ext_c > 0).sum(axis=1)  # groups listed (both ends)
        n_mid = np.rint(middle[:, 0]).astype(np.int64)
        self.n_mid = n_mid
        # the middle's place among the groups: after the low list's groups
        self.mid_at = np.minimum((low_c > 0).sum(axis=1), self.n_low)
        self.n_rows = 2 * t + 1

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        every = np.arange(self.n.size)
        return self.clipped_moments(every, np.full(every.size, -np.inf),
                                    np.full(every.size, np.inf))

    def group_table(self, cand: np.ndarray, pad: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The tie groups as :meth:`DataColumns.group_table`: the extreme groups, and the
        values between them as one group that no round reaches."""
        c = cand.size
        rows = self.ext_v.shape[1] + 1
        size = np.zeros((rows + pad, c), dtype=np.int64)
        value = np.zeros((rows + pad, c))
        for i, j in enumerate(cand):
            k, at = self.n_low[j], self.mid_at[j]
            vals, cnts = self.ext_v[j, :k], self.ext_c[j, :k]
            if self.n_mid[j] > 0:  # (its value is never read: NaN)
                vals = np.concatenate([vals[:at], [np.nan], vals[at:]])
                cnts = np.concatenate([cnts[:at], [self.n_mid[j]], cnts[at:]])
            size[:vals.size, i] = cnts
            value[:vals.size, i] = vals
        groups = (size[:rows] > 0).sum(axis=0)
        gt = np.maximum(groups - 1, 0)
        return size, value, gt

    def clipped_moments(self, g: np.ndarray, lo: np.ndarray, hi: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Skewness and kurtosis of the columns ``g`` clipped to ``[lo, hi]`` (two extreme
        values of each; the values between the lists are never clipped)."""
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        n = self.n[g].astype(float)
        cnt = self.ext_c[g].astype(float)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            cv = np.minimum(np.maximum(self.ext_v[g], lo[:, None]), hi[:, None])
            cmin = np.maximum(self.min[g], lo)
            cmax = np.minimum(self.max[g], hi)
            big_c = np.where(self.n[g] > 0, np.maximum(np.abs(cmin), np.abs(cmax)), 0.0)
            unit = np.where(big_c > 0, big_c, 1.0)
            a = np.where(self.big[g] > 0, self.big[g], 1.0) / unit  # middle: x/big -> x/unit
            mid = self.middle[g]
            mu = self.mean[g]
            ext = np.where(cnt > 0, cv / unit[:, None], 0.0)
            total = a * (mid[:, 1] + mu * mid[:, 0]) + (cnt * ext).sum(axis=1)
            mean = total / n
            b = a * mu - mean
            d = np.where(cnt > 0, ext - mean[:, None], 0.0)
            s2 = a**2 * mid[:, 2] + 2 * a * b * mid[:, 1] + b**2 * mid[:, 0]
            s3 = (a**3 * mid[:, 3] + 3 * a**2 * b * mid[:, 2] + 3 * a * b**2 * mid[:, 1]
                  + b**3 * mid[:, 0])
            s4 = (a**4 * mid[:, 4] + 4 * a**3 * b * mid[:, 3] + 6 * a**2 * b**2 * mid[:, 2]
                  + 4 * a * b**3 * mid[:, 1] + b**4 * mid[:, 0])
            m2 = (s2 + (cnt * d**2).sum(axis=1)) / n
            m3 = (s3 + (cnt * d**3).sum(axis=1)) / n
            m4 = (s4 + (cnt * d**4).sum(axis=1)) / n
        return shape_stats(m2, m3, m4, big_c, self.terms[:, g])

    def apply_caps(self, j: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Nothing to clip: the caps are the treatment (applied block by block later)."""

    def fallback(self, sel: np.ndarray, kind: str, lmbda: float | None,
                 names: list[Any]) -> tuple[np.ndarray, ...]:
        """The transform's parameters from each column's minimum and maximum (through
        :func:`transform_params`, so its errors are the same), the moments after it from
        the data (``transformed``).

        Raises
        ------
        MethodError
            As :func:`transform_params`; a Box-Cox lambda to estimate (it needs the data).
        """
        if kind == "boxcox" and lmbda is None:
            raise MethodError("the Box-Cox lambda is estimated from every value of the column; "
                              "give boxcox_lambda to treat in chunks of units")
        ends = np.stack([self.min[sel], self.max[sel]])
        _, t_min, t_max, t_lam = transform_params(ends, kind, lmbda=lmbda, axis=0, names=names)
        s2, k2 = self.transformed(sel, kind, t_min, t_max, t_lam)
        return t_min, t_max, t_lam, s2, k2


def extreme_groups(winmax: np.ndarray | int) -> int:
    """How many distinct values at each end of a column :class:`SummaryColumns` keeps:
    more than the rounds of any batch of :func:`_winsorise` can reach (two ends, each
    round at least one point, batches of speculative rounds)."""
    return 2 * int(np.max(winmax, initial=0)) + _MAX_ROUNDS + 3



# ---------------------------------------------------------------------- statistics of columns
# The statistics of SummaryColumns, from an (n_rows, m) array of values: a block of units in a
# chunked build (combined over blocks with merge_extremes and summed middle sums), or a whole
# column in memory (SummaryColumns.of, which tests use to check the rules on statistics).


def _distinct(X: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``t`` smallest distinct observed values of each column, ascending, and their
    counts: shape (m, t) (``inf`` and 0 for fewer)."""
    m = X.shape[1]
    S = np.sort(X, axis=0)  # NaN last
    new = np.ones(S.shape, dtype=bool)
    np.not_equal(S[1:], S[:-1], out=new[1:])
    gid = np.add.accumulate(new, axis=0) - 1
    take = (gid < t) & ~np.isnan(S)
    rows, cols = np.nonzero(take)
    vals = np.full((m, t), np.inf)
    cnts = np.zeros((m, t), dtype=np.int64)
    vals[cols, gid[rows, cols]] = S[rows, cols]
    np.add.at(cnts, (cols, gid[rows, cols]), 1)
    return vals, cnts


def column_extremes(X: np.ndarray, t: int) -> tuple[np.ndarray, ...]:
    """First-pass statistics of the columns of ``X`` (n_rows, m): count, largest
    magnitude, sum, the ``t`` smallest and ``t`` largest distinct values with their counts
    (see :class:`SummaryColumns`); combine those of two parts with :func:`merge_extremes`."""
    obs = ~np.isnan(X)
    n = obs.sum(axis=0)
    big = np.where(obs, np.abs(X), 0.0).max(axis=0, initial=0.0)
    total = np.where(obs, X, 0.0).sum(axis=0)
    low_v, low_c = _distinct(X, t)
    high_v, high_c = _distinct(-X, t)
    return n, big, total, low_v, low_c, -high_v, high_c


def _merge(va: np.ndarray, ca: np.ndarray, vb: np.ndarray, cb: np.ndarray, t: int
           ) -> tuple[np.ndarray, np.ndarray]:
    v = np.concatenate([va, vb], axis=1)
    c = np.concatenate([ca, cb], axis=1)
    order = np.argsort(v, axis=1, kind="stable")
    v, c = np.take_along_axis(v, order, axis=1), np.take_along_axis(c, order, axis=1)
    new = np.ones(v.shape, dtype=bool)
    new[:, 1:] = v[:, 1:] != v[:, :-1]
    gid = np.add.accumulate(new, axis=1) - 1
    out_v = np.full((v.shape[0], t), np.inf)
    out_c = np.zeros((v.shape[0], t), dtype=np.int64)
    take = gid < t
    rows, cols = np.nonzero(take)
    out_v[rows, gid[rows, cols]] = v[rows, cols]
    np.add.at(out_c, (rows, gid[rows, cols]), c[rows, cols])
    return np.where(out_c > 0, out_v, np.inf), out_c


def merge_extremes(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]
                   ) -> tuple[np.ndarray, ...]:
    """:func:`column_extremes` of two parts of the same columns, combined."""
    t = a[3].shape[1]
    low = _merge(a[3], a[4], b[3], b[4], t)
    high = _merge(-a[5], a[6], -b[5], b[6], t)
    return (a[0] + b[0], np.maximum(a[1], b[1]), a[2] + b[2], *low, -high[0], high[1])


def middle_sums(X: np.ndarray, mean: np.ndarray, big: np.ndarray, low_edge: np.ndarray,
                high_edge: np.ndarray) -> np.ndarray:
    """Second-pass statistics: sums of ``(x / big - mean) ** k``, ``k = 0..4``, over each
    column's values strictly between ``low_edge`` and ``high_edge``: shape (m, 5)."""
    unit = np.where(big > 0, big, 1.0)
    with np.errstate(invalid="ignore"):
        mid = ~np.isnan(X) & (X > low_edge) & (X < high_edge)
    d = np.where(mid, X / unit - mean, 0.0)
    d2 = d * d
    return np.stack([mid.sum(axis=0).astype(float), d.sum(axis=0), d2.sum(axis=0),
                     (d2 * d).sum(axis=0), (d2 * d2).sum(axis=0)], axis=1)


def list_edges(ext: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray]:
    """From :func:`column_extremes`: each column's mean divided by its largest magnitude,
    that magnitude, and the last value of each list (the middle lies strictly between)."""
    n, big, total, low_v, low_c, high_v, high_c = ext
    unit = np.where(big > 0, big, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / unit / n, 0.0)
    low_edge = np.where(low_c > 0, low_v, -np.inf).max(axis=1)
    high_edge = np.where(high_c > 0, high_v, np.inf).min(axis=1)
    return mean, big, low_edge, high_edge


def transformed_sums(X: np.ndarray, kind: str, t_min: np.ndarray, t_max: np.ndarray,
                     t_lam: np.ndarray, big: np.ndarray | None = None,
                     mean: np.ndarray | None = None) -> np.ndarray:
    """Statistics of the columns of ``X`` after a fallback transform with learnt parameters:
    count, largest magnitude and sum (``big`` None), or the sums of the powers 2-4 of the
    deviations from ``mean`` of the values divided by ``big``: shape (m, 3)."""
    tx = _shaped(X, kind, t_min, t_max, t_lam)
    obs = ~np.isnan(X)
    if big is None:
        return np.stack([obs.sum(axis=0).astype(float),
                         np.where(obs, np.abs(tx), 0.0).max(axis=0, initial=0.0),
                         np.where(obs, tx, 0.0).sum(axis=0)], axis=1)
    unit = np.where(big > 0, big, 1.0)
    d = np.where(obs, tx / unit - mean, 0.0)
    d2 = d * d
    return np.stack([d2.sum(axis=0), (d2 * d).sum(axis=0), (d2 * d2).sum(axis=0)], axis=1)


def transformed_moments(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and kurtosis from the two passes of :func:`transformed_sums`."""
    n, big = first[:, 0], first[:, 1]
    return shape_stats(second[:, 0] / n, second[:, 1] / n, second[:, 2] / n, big,
                       count_terms(n))


def transformed_mean(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest magnitude and mean (divided by it) from the first pass of
    :func:`transformed_sums`."""
    n, big, total = first[:, 0], first[:, 1], first[:, 2]
    unit = np.where(big > 0, big, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return big, np.where(n > 0, total / unit / n, 0.0)


def summary_of(X: np.ndarray, winmax: np.ndarray | int) -> SummaryColumns:
    """:class:`SummaryColumns` of the columns of an array (n_rows, m) in memory: the
    statistics a chunked build reduces over blocks, computed in one piece."""
    ext = column_extremes(X, extreme_groups(winmax))
    mean, big, lo, hi = list_edges(ext)
    mid = middle_sums(X, mean, big, lo, hi)

    def transformed(sel: np.ndarray, kind: str, t_min: np.ndarray, t_max: np.ndarray,
                    t_lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        first = transformed_sums(X[:, sel], kind, t_min, t_max, t_lam)
        tb, tm = transformed_mean(first)
        second = transformed_sums(X[:, sel], kind, t_min, t_max, t_lam, tb, tm)
        return transformed_moments(first, second)

    return SummaryColumns(ext[0], big, mean, ext[3], ext[4], ext[5], ext[6], mid, transformed)
