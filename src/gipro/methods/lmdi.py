r"""LMDI-I index decomposition kernels: logarithmic mean, additive and multiplicative effects.

An aggregate :math:`V = \sum_i V_i` over sectors :math:`i`, each sector the product of
:math:`n` factors :math:`V_i = x_{1,i} x_{2,i} \cdots x_{n,i}` (e.g. activity x structure x
intensity, or population x GDP per capita x CO2 per GDP), changes from :math:`V^0` to
:math:`V^T`. The logarithmic mean Divisia index method I (LMDI-I) splits the change exactly:

.. math::

    \Delta V_k = \sum_i L(V_i^T, V_i^0) \ln\frac{x_{k,i}^T}{x_{k,i}^0},
    \qquad \sum_k \Delta V_k = V^T - V^0,

    D_k = \exp\left(\frac{\Delta V_k}{L(V^T, V^0)}\right),
    \qquad \prod_k D_k = V^T / V^0,

with the logarithmic mean :math:`L(a, b) = (a - b)/(\ln a - \ln b)`, :math:`L(a, a) = a`.
The multiplicative form written this way equals Ang's sector-weighted form
:math:`D_k = \exp(\sum_i [L(V_i^T, V_i^0)/L(V^T, V^0)] \ln(x_{k,i}^T/x_{k,i}^0))`
(Ang 2015, table 2), so :math:`\ln D_k / \ln D_{tot} = \Delta V_k / \Delta V_{tot}`.

Zero values follow Ang & Liu (2007): the analytical limits of the "small value" strategy
(every zero replaced by the same :math:`\delta \to 0`), computed exactly -- never an epsilon:

* a sector with :math:`V_i^0 = V_i^T = 0` contributes nothing;
* a sector that appears (:math:`V_i^0 = 0 < V_i^T`) gives its whole :math:`V_i^T` to the factor
  that was zero in the base period; the other factors get exactly 0 from that sector (the limit
  of :math:`L(V_i^T, \delta) \ln(x^T/x^0)` is 0);
* a sector that disappears gives :math:`-V_i^0` to the factor that becomes zero;
* if several factors of one sector are zero in the same period, the limit with a common
  :math:`\delta` splits the sector's value equally among them (each term tends to
  :math:`V_i/m` for :math:`m` zero factors). This generalisation is ours, derived from the same
  limit; Ang & Liu (2007) tabulate the one-zero cases.

Negative values are outside LMDI (Ang & Liu 2007, section 5) and raise; so do missing (NaN) or
infinite values.

References
----------
Ang B.W. (2005) The LMDI approach to decomposition analysis: a practical guide. *Energy
Policy* 33:867-871.
Ang B.W. (2015) LMDI decomposition approach: a guide for implementation. *Energy Policy*
86:233-238.
Ang B.W., Liu N. (2007) Handling zero values in the logarithmic mean Divisia index
decomposition approach. *Energy Policy* 35:238-246.
Wood R., Lenzen M. (2006) Zero-value problems of the logarithmic mean Divisia index
decomposition method. *Energy Policy* 34:1326-1331.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import MethodError

__all__ = ["additive", "logmean", "multiplicative"]

# |eps| below this uses the series; eps = (a - b)/(a + b). Truncation error ~ eps^6 < 1e-24.
_SERIES_EPS = 1e-4
# |eps| above this (a/b outside [1/3, 3]) uses log(a) - log(b), which has no cancellation there.
_ATANH_EPS = 0.5


def logmean(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    r"""Logarithmic mean :math:`L(a, b) = (a - b) / (\ln a - \ln b)`, elementwise.

    Defined for :math:`a, b \ge 0` with the limits :math:`L(a, a) = a` and
    :math:`L(a, 0) = L(0, b) = L(0, 0) = 0` (Ang & Liu 2007). Computed without 0/0 or
    cancellation: with :math:`m = (a + b)/2` and :math:`\varepsilon = (a - b)/(a + b)`,
    :math:`\ln(a/b) = 2\,\mathrm{artanh}\,\varepsilon`, so

    * :math:`|\varepsilon| < 10^{-4}`: the series
      :math:`L = m\,(1 - \varepsilon^2/3 - 4\varepsilon^4/45 + O(\varepsilon^6))`
      (relative truncation error below 1e-24) -- so two values that are "equal" up to the last
      bit (e.g. ``120 * (0.1 / 1.2)`` and ``10.0``) give 10, not ``inf`` or ``nan``;
    * :math:`10^{-4} \le |\varepsilon| \le 0.5`:
      :math:`(a - b)/(2\,\mathrm{artanh}\,\varepsilon)`;
    * otherwise :math:`(a - b)/(\ln a - \ln b)`.

    Parameters
    ----------
    a, b : array_like of float, broadcastable
        Non-negative, finite values.

    Returns
    -------
    ndarray
        :math:`L(a, b)`, of the broadcast shape; symmetric in ``a`` and ``b``;
        :math:`\min(a, b) \le L \le \max(a, b)`.

    Raises
    ------
    MethodError
        If a value is negative, NaN or infinite.

    References
    ----------
    Ang B.W. (2005) *Energy Policy* 33:867-871 (definition of L); Ang B.W., Liu N. (2007)
    *Energy Policy* 35:238-246 (limits at zero).

    Examples
    --------
    >>> float(logmean(120 * (0.1 / 1.2), 10.0))  # first value is 10.000000000000002
    10.0
    >>> round(float(logmean(108.0, 100.0)), 6)
    103.948698
    >>> logmean([0.0, 0.0, 5.0], [0.0, 3.0, 5.0]).tolist()
    [0.0, 0.0, 5.0]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = np.broadcast_arrays(a, b)
    for name, v in (("a", a), ("b", b)):
        bad = ~np.isfinite(v) | (v < 0)
        if bad.any():
            raise MethodError(
                f"logarithmic mean needs finite values >= 0; argument {name} has "
                f"{float(v[bad].ravel()[0])!r} ({int(bad.sum())} such values)"
            )
    out = np.zeros(a.shape)
    pos = (a > 0) & (b > 0)
    if not pos.any():
        return out
    ap, bp = a[pos], b[pos]
    s = ap + bp
    d = ap - bp
    eps = d / s
    ae = np.abs(eps)
    res = np.zeros(ap.shape)  # (every entry is set by one of the three branches below)
    near = ae < _SERIES_EPS
    e2 = eps[near] ** 2
    res[near] = 0.5 * s[near] * (1.0 - e2 / 3.0 - 4.0 * e2 * e2 / 45.0)
    mid = ~near & (ae <= _ATANH_EPS)
    res[mid] = d[mid] / (2.0 * np.arctanh(eps[mid]))
    far = ae > _ATANH_EPS
    res[far] = d[far] / (np.log(ap[far]) - np.log(bp[far]))
    out[pos] = res
    return out


def _check(x0: np.ndarray, xT: np.ndarray, names: Sequence[str] | None) -> None:
    if x0.shape != xT.shape:
        raise MethodError(f"LMDI: base and end arrays differ in shape: {x0.shape} vs {xT.shape}")
    if x0.ndim < 2:
        raise MethodError("LMDI: factor arrays need shape (..., n_sectors, n_factors)")
    for when, x in (("base", x0), ("end", xT)):
        bad = ~np.isfinite(x) | (x < 0)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            k = idx[-1]
            label = names[k] if names is not None else f"factor {k}"
            v = x[idx]
            what = "missing (NaN)" if np.isnan(v) else ("infinite" if np.isinf(v) else
                                                         f"negative ({v:.6g})")
            raise MethodError(
                f"LMDI: {label} is {what} in the {when} period at position {idx[:-1]} "
                f"({int(bad.sum())} such values)",
                ["LMDI needs finite factor values >= 0 (Ang & Liu 2007); missing values are "
                 "not zeros -- fill or drop them explicitly"],
            )


def additive(
    x0: np.ndarray, xT: np.ndarray, *, names: Sequence[str] | None = None
) -> np.ndarray:
    r"""Additive LMDI-I effects of each factor in each sector.

    .. math:: \Delta V_{k,i} = L(V_i^T, V_i^0) \ln(x_{k,i}^T / x_{k,i}^0),
        \quad V_i = \prod_k x_{k,i}

    (Ang 2005, eq. 3; Ang 2015, table 2), with the zero-value limits of Ang & Liu (2007)
    described in the module docstring. Summing over sectors (``axis=-2``) gives the factor
    effects :math:`\Delta V_k`; summing over everything gives :math:`V^T - V^0` (to rounding).
    A factor whose value does not change contributes exactly 0; swapping ``x0`` and ``xT``
    flips every sign.

    Parameters
    ----------
    x0, xT : ndarray of shape (..., n_sectors, n_factors)
        Factor values in the base and end period; leading axes (units, period pairs) are
        carried through. Finite and >= 0.
    names : sequence of str, optional
        Factor names (last axis), used in error messages.

    Returns
    -------
    ndarray of shape (..., n_sectors, n_factors)
        Effect of each factor in each sector, in the unit of :math:`V`.

    Raises
    ------
    MethodError
        On NaN, infinite or negative values, or mismatched shapes.

    References
    ----------
    Ang B.W. (2005) *Energy Policy* 33:867-871; Ang B.W. (2015) *Energy Policy* 86:233-238;
    Ang B.W., Liu N. (2007) *Energy Policy* 35:238-246.

    Examples
    --------
    Ang's two-sector toy case (activity 200 -> 220 split 100/100 -> 120/100, intensity
    (1, 2) -> (0.9, 2); V 300 -> 308):

    >>> x0 = np.array([[200, 0.5, 1.0], [200, 0.5, 2.0]])
    >>> xT = np.array([[220, 120 / 220, 0.9], [220, 100 / 220, 2.0]])
    >>> np.round(additive(x0, xT).sum(axis=0), 4).tolist()
    [28.9694, -10.0173, -10.9521]
    """
    x0 = np.asarray(x0, dtype=float)
    xT = np.asarray(xT, dtype=float)
    _check(x0, xT, names)
    v0 = np.prod(x0, axis=-1)
    vT = np.prod(xT, axis=-1)
    pos0 = (x0 > 0).all(axis=-1)
    posT = (xT > 0).all(axis=-1)
    out = np.zeros(x0.shape)
    regular = pos0 & posT
    if regular.any():
        w = logmean(vT[regular], v0[regular])
        with np.errstate(over="ignore", under="ignore"):
            lr = np.log(xT[regular] / x0[regular])  # one rounding: accurate near a ratio of 1
        far = ~np.isfinite(lr)  # the ratio overflowed or underflowed (values 1e300 apart)
        if far.any():
            lr[far] = (np.log(xT[regular]) - np.log(x0[regular]))[far]
        out[regular] = w[:, None] * lr
    appear = ~pos0 & posT
    if appear.any():
        z = x0[appear] == 0
        out[appear] = vT[appear][:, None] * z / z.sum(axis=-1, keepdims=True)
    vanish = pos0 & ~posT
    if vanish.any():
        z = xT[vanish] == 0
        out[vanish] = -v0[vanish][:, None] * z / z.sum(axis=-1, keepdims=True)
    # sectors at zero in both periods contribute exactly 0 (already zeros)
    return out


def multiplicative(
    x0: np.ndarray, xT: np.ndarray, *, names: Sequence[str] | None = None
) -> np.ndarray:
    r"""Multiplicative LMDI-I effects :math:`D_k` of each factor (over all sectors).

    .. math:: D_k = \exp\left(\frac{\sum_i \Delta V_{k,i}}{L(V^T, V^0)}\right)
        = \exp\left(\sum_i \frac{L(V_i^T, V_i^0)}{L(V^T, V^0)}
          \ln\frac{x_{k,i}^T}{x_{k,i}^0}\right), \quad \prod_k D_k = \frac{V^T}{V^0}

    (Ang 2005, eq. 4; Ang 2015, table 2), with the zero-value limits of :func:`additive` for
    sectors that appear or disappear (Ang & Liu 2007).

    Parameters
    ----------
    x0, xT : ndarray of shape (..., n_sectors, n_factors)
        As in :func:`additive`.
    names : sequence of str, optional
        Factor names, used in error messages.

    Returns
    -------
    ndarray of shape (..., n_factors)
        The ratio :math:`D_k` of each factor; NaN where the aggregate :math:`V` is 0 in the
        base or end period (a ratio of totals is undefined there; use the additive form).

    Raises
    ------
    MethodError
        As :func:`additive`.

    References
    ----------
    Ang B.W. (2005) *Energy Policy* 33:867-871; Ang B.W. (2015) *Energy Policy* 86:233-238.

    Examples
    --------
    >>> x0 = np.array([[200, 0.5, 1.0], [200, 0.5, 2.0]])
    >>> xT = np.array([[220, 120 / 220, 0.9], [220, 100 / 220, 2.0]])
    >>> d = multiplicative(x0, xT)
    >>> round(float(np.prod(d)), 12) == round(308 / 300, 12)
    True
    """
    eff = additive(x0, xT, names=names).sum(axis=-2)
    v0 = np.prod(np.asarray(x0, dtype=float), axis=-1).sum(axis=-1)
    vT = np.prod(np.asarray(xT, dtype=float), axis=-1).sum(axis=-1)
    ok = (v0 > 0) & (vT > 0)
    lw = logmean(np.where(ok, vT, 1.0), np.where(ok, v0, 1.0))
    with np.errstate(invalid="ignore", over="ignore"):  # masked below where V is 0
        d = np.exp(np.where(ok[..., None], eff, 0.0) / lw[..., None])
    return np.where(ok[..., None], d, np.nan)
