"""Aggregation kernels: combine children (indicators or sub-indices) into a parent score.

Two families:

* **unit-wise means** (arithmetic, geometric, harmonic, generalised, mean-min,
  Mazziotta-Pareto): ``x`` of shape ``(..., n_children)``, one result per row;
* **cross-unit methods** (outranking/Copeland, TOPSIS; Benefit-of-the-Doubt in
  :mod:`gipro.methods.weight`): ``x`` of shape ``(..., n_units, n_children)``; a unit's score
  depends on the other units.

Weights are broadcastable to ``x`` and may carry extra leading axes (e.g. ``(n_runs, 1, 1,
n_children)`` for a sensitivity analysis that perturbs weights per run): the result then has
those axes too. Weights need not sum to one; scaling them all changes nothing.

Missing children are never treated as zero: the weights are renormalised over the children
that are available, provided at least a share ``min_share`` of the positively weighted children
are; otherwise the result is NaN (COINr ``dat_thresh``). This holds for every method.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6 (aggregation).
COINr (Becker et al. 2022, *JOSS* 7(78), 4567): ``a_amean``, ``a_gmean``, ``a_hmean``,
``a_genmean``, ``outrankMatrix``, ``a_copeland``, and the ``dat_thresh`` argument of
``Aggregate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import MethodError
from ..tolerance import tied

__all__ = [
    "CROSS_UNIT",
    "METHODS",
    "UNIT_WISE",
    "arithmetic_mean",
    "copeland",
    "generalised_mean",
    "geometric_mean",
    "group_parents",
    "harmonic_mean",
    "level_mean",
    "mazziotta_pareto",
    "mean_min",
    "outranking",
    "pad_children",
    "topsis",
]


def _prepare(
    x: np.ndarray, weights: np.ndarray, min_share: float, check: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and mask: returns x, available weights, availability, ok rows and the sum of
    the available weights (the denominators of the weighted means).

    ``x`` and ``weights`` are broadcast to their common shape. ``check=False`` skips the
    checks of ``min_share`` and of the weights (finite, >= 0, some positive in every group):
    for callers that validated them once.
    """
    if check and not 0.0 <= min_share <= 1.0:
        raise MethodError(f"min_share must be between 0 and 1, got {min_share}")
    x = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    if check and ((w < 0).any() or not np.isfinite(w).all()):
        raise MethodError("aggregation weights must be finite and >= 0")
    shape = np.broadcast(x, w).shape
    if x.shape != shape:  # broadcast views (the memory layout of the masks below follows
        x = np.broadcast_to(x, shape)  # them, and with it numpy's order of summation)
    if w.shape != shape:  # the weights, usually small, are spread out (cheaper than a view)
        wb = np.empty(shape)
        wb[...] = w
        w = wb
    counted = w > 0
    if check and not counted.any(axis=-1).all():
        raise MethodError("aggregation weights are all zero for some group of children")
    missing = np.isnan(x)
    if not missing.any():  # the usual case after imputation: the same arrays, fewer passes
        wa = np.where(counted, w, 0.0)
        avail = counted
    else:
        wa = np.where(~missing & counted, w, 0.0)
        avail = wa > 0
    wsum = np.add.reduce(wa, axis=-1)
    ok = wsum > 0
    if min_share > 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            share = avail.sum(axis=-1) / counted.sum(axis=-1)
        ok &= share >= min_share - 1e-12
    return x, wa, avail, ok, wsum


def _positive(x: np.ndarray, avail: np.ndarray, names: Sequence[str] | None, method: str,
              strict: bool = True) -> None:
    bad = avail & ~(x > 0) if strict else avail & (x < 0)
    if bad.any():
        cols = sorted(set(np.argwhere(bad)[:, -1].tolist()))
        label = [names[c] for c in cols] if names is not None else cols
        what = "strictly positive" if strict else "non-negative"
        raise MethodError(
            f"{method} needs {what} values; {'zero or ' if strict else ''}negative values in "
            f"{label}",
            ["normalise onto a strictly positive range, e.g. min-max onto [1, 100], set an "
             "explicit shift, or use arithmetic aggregation"],
        )


def arithmetic_mean(
    x: np.ndarray, weights: np.ndarray, *, min_share: float = 0.0, check: bool = True
) -> np.ndarray:
    r"""Weighted arithmetic mean over the last axis, renormalising weights over available values.

    .. math:: y = \frac{\sum_{j \in A} w_j x_j}{\sum_{j \in A} w_j}

    where :math:`A` is the set of available (non-NaN) children with positive weight.
    OECD/JRC Handbook (2008), section 6.1 (linear aggregation); COINr ``a_amean``.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
        Normalised scores; NaN for missing.
    weights : ndarray broadcastable with ``x``
        Non-negative weights (need not sum to 1). Children with zero weight are ignored.
    min_share : float in [0, 1]
        Minimum share of the positively weighted children that must be available; below it
        the result is NaN (COINr ``dat_thresh``).
    check : bool
        Check ``min_share`` and the weights (default). ``False`` skips these checks, for a
        caller that validated them once (the aggregate step validates every weight set once
        per build, then aggregates a whole level per call: :func:`level_mean`); the same in
        every unit-wise kernel.

    Returns
    -------
    ndarray of the broadcast shape without its last axis.

    Raises
    ------
    MethodError
        Negative or non-finite weights, all-zero weights, ``min_share`` outside [0, 1].

    Examples
    --------
    >>> arithmetic_mean(np.array([1.0, 2.0, np.nan]), np.array([1.0, 3.0, 4.0])).item()
    1.75
    """
    x, wa, avail, ok, wsum = _prepare(x, weights, min_share, check)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.add.reduce(wa * np.where(avail, x, 0.0), axis=-1) / wsum
    if y.ndim == 0:
        return np.where(ok, y, np.nan)
    y[~ok] = np.nan  # (a fresh array: in place beats np.where)
    return y


def geometric_mean(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    min_share: float = 0.0,
    shift: float = 0.0,
    names: Sequence[str] | None = None,
    check: bool = True,
) -> np.ndarray:
    r"""Weighted geometric mean over the last axis, renormalising weights over available values.

    .. math:: y = \exp\left(\frac{\sum_{j \in A} w_j \ln (x_j + c)}{\sum_{j \in A} w_j}\right) - c

    with :math:`c` = ``shift`` (default 0). OECD/JRC Handbook (2008), section 6.2 (geometric
    aggregation); COINr ``a_gmean`` (B4: ``gmean(1, 2, 3) = 6^(1/3)``; with weights (1, 1, 2):
    ``18^(1/4)``).

    The geometric mean is only defined for strictly positive values. After min-max onto
    [0, 100] every indicator's worst unit is exactly 0, which would make its score 0 whatever
    its other values (field case B03): normalise onto a strictly positive range (e.g.
    [1, 100]) instead, or choose an explicit ``shift`` (recorded by the build). With a shift
    the mean of equal values is that value, so the scale is kept.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
    weights : ndarray broadcastable with ``x``
    min_share : float in [0, 1]
        As in :func:`arithmetic_mean`.
    shift : float
        Constant added before and subtracted after the mean (``x + shift`` must be > 0).
    names : sequence of str, optional
        Codes of the children (last axis), used in error messages.

    Returns
    -------
    ndarray of the broadcast shape without its last axis.

    Raises
    ------
    MethodError
        If an available child with positive weight has ``x + shift <= 0``.

    Examples
    --------
    >>> round(geometric_mean(np.array([1.0, 2.0, 3.0]), np.ones(3)).item(), 6)
    1.817121
    """
    x, wa, avail, ok, wsum = _prepare(x, weights, min_share, check)
    xs = x + shift if shift else x
    _positive(xs, avail, names, "geometric mean" + (f" (after shift {shift:g})" if shift else ""))
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(avail, xs, 1.0))  # log 1 = 0 where not available
        y = np.exp(np.sum(wa * logs, axis=-1) / wsum) - shift
    return np.where(ok, y, np.nan)


def harmonic_mean(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    min_share: float = 0.0,
    shift: float = 0.0,
    names: Sequence[str] | None = None,
    check: bool = True,
) -> np.ndarray:
    r"""Weighted harmonic mean over the last axis, renormalising weights over available values.

    .. math:: y = \frac{\sum_{j \in A} w_j}{\sum_{j \in A} w_j / (x_j + c)} - c

    COINr ``a_hmean`` (B4: weights (2, 1, 1) on (1, 2, 3) give 4 / (2 + 1/2 + 1/3) =
    1.4117647). The least compensatory of the three Pythagorean means. Parameters and errors
    as :func:`geometric_mean`.

    Examples
    --------
    >>> round(harmonic_mean(np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 1.0])).item(), 7)
    1.4117647
    """
    x, wa, avail, ok, wsum = _prepare(x, weights, min_share, check)
    xs = x + shift
    _positive(xs, avail, names, "harmonic mean" + (f" (after shift {shift:g})" if shift else ""))
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(wa > 0, wa / np.where(avail, xs, 1.0), 0.0)
        y = wsum / inv.sum(axis=-1) - shift
    return np.where(ok, y, np.nan)


def generalised_mean(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    p: float,
    min_share: float = 0.0,
    shift: float = 0.0,
    names: Sequence[str] | None = None,
    check: bool = True,
) -> np.ndarray:
    r"""Weighted generalised (power) mean of order ``p``.

    .. math:: y = \left(\frac{\sum_{j \in A} w_j (x_j + c)^p}{\sum_{j \in A} w_j}\right)^{1/p}
              - c

    ``p = 1`` arithmetic, ``p = -1`` harmonic, ``p -> 0`` the geometric mean (its limit, used
    for ``p = 0``; COINr ``a_genmean`` raises there instead), ``p -> inf`` the maximum
    (B4: ``p = 1`` on (1, 2, 3) gives 2). Decancq K., Lugo M.A. (2013), Weights in
    multidimensional indices of wellbeing, *Econometric Reviews* 32(1), 7-34.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
    weights : ndarray broadcastable with ``x``
    p : float
        Order of the mean.
    min_share, shift, names :
        As in :func:`geometric_mean`.

    Raises
    ------
    MethodError
        ``p <= 0`` with a value ``x + shift <= 0``; ``p > 0`` (other than 1) with a negative
        value.

    Examples
    --------
    >>> generalised_mean(np.array([1.0, 2.0, 3.0]), np.ones(3), p=1).item()
    2.0
    """
    if not np.isfinite(p):
        raise MethodError(f"generalised mean order p must be finite, got {p}")
    if p == 0:
        return geometric_mean(x, weights, min_share=min_share, shift=shift, names=names,
                              check=check)
    if p == 1:
        return arithmetic_mean(np.asarray(x, dtype=float) + shift, weights,
                               min_share=min_share, check=check) - shift
    x, wa, avail, ok, wsum = _prepare(x, weights, min_share, check)
    xs = x + shift
    _positive(xs, avail, names, f"generalised mean of order {p:g}", strict=p < 0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # scale by the largest (p > 0) or smallest (p < 0) value s, so (x/s)^p <= 1, and use
        # mean((x/s)^p) - 1 = mean(expm1(p ln(x/s))), then s exp(log1p(.)/p): exact for equal
        # values, accurate as p -> 0, no overflow
        sc = (np.max(np.where(avail, xs, -np.inf), axis=-1) if p > 0
              else np.min(np.where(avail, xs, np.inf), axis=-1))
        sc = np.where(np.isfinite(sc) & (sc > 0), sc, 1.0)
        ratio = np.where(avail, xs, sc[..., None]) / sc[..., None]
        em1 = np.where(wa > 0, np.expm1(p * np.log(ratio)), 0.0)
        y = sc * np.exp(np.log1p(np.sum(wa * em1, axis=-1) / wsum) / p) - shift
    return np.where(ok, y, np.nan)


def mean_min(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    alpha: float = 0.5,
    beta: float = 0.0,
    min_share: float = 0.0,
    check: bool = True,
) -> np.ndarray:
    r"""Mean-min function: the mean, penalised by its distance to the worst child.

    .. math:: y = M - \alpha\left(\sqrt{(M - m)^2 + \beta^2} - \beta\right)

    :math:`M` the weighted arithmetic mean, :math:`m` the minimum of the available children.
    ``alpha = 0`` gives the mean, ``alpha = 1, beta = 0`` the minimum (B10). Casadio Tarabusi E.,
    Guarini G. (2013), An unbalance adjustment method for development indicators, *Social
    Indicators Research* 112, 19-45; Compind ``ci_mean_min``.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
    weights : ndarray broadcastable with ``x``
    alpha : float in [0, 1]
        Intensity of the penalty.
    beta : float >= 0
        Curvature: larger values penalise small imbalances less.
    min_share : float

    Raises
    ------
    MethodError
        ``alpha`` outside [0, 1] or ``beta < 0``.

    Examples
    --------
    >>> x = np.array([2.0, 4.0, 9.0])
    >>> mean_min(x, np.ones(3), alpha=0).item(), mean_min(x, np.ones(3), alpha=1).item()
    (5.0, 2.0)
    """
    if not 0.0 <= alpha <= 1.0 or not beta >= 0.0:
        raise MethodError(f"mean-min needs 0 <= alpha <= 1 and beta >= 0, got alpha={alpha}, "
                          f"beta={beta}")
    m = arithmetic_mean(x, weights, min_share=min_share, check=check)
    xb, _, avail, _, _ = _prepare(x, weights, min_share, check)
    low = np.min(np.where(avail, xb, np.inf), axis=-1)
    with np.errstate(invalid="ignore"):
        y = m - alpha * (np.sqrt((m - low) ** 2 + beta**2) - beta)
    return np.where(np.isnan(m), np.nan, y)


def mazziotta_pareto(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    penalty: int = -1,
    ddof: int = 0,
    min_share: float = 0.0,
    names: Sequence[str] | None = None,
    check: bool = True,
) -> np.ndarray:
    r"""Mazziotta-Pareto index (MPI): the mean penalised by the horizontal variability.

    .. math:: MPI^{\pm} = M \pm S \cdot cv = M \pm \frac{S^2}{M}, \qquad cv = S / M

    :math:`M` and :math:`S` the (weighted) mean and standard deviation of the unit's
    children. The children are meant to be standardised as ``100 + 10 z`` (normalise with
    ``zscore``, ``mean_sd: [100, 10]``: MPI) or rescaled onto [70, 130] (normalise with
    ``ampi``: the adjusted MPI). ``penalty=-1`` (MPI-, for indices where higher is better: the
    orientation gipro always has) or ``+1``. ``ddof=0`` is the population standard deviation
    of the original method; Compind ``ci_mpi`` uses the sample one (``ddof=1``). With unequal
    weights the variance is the weighted one (``ddof=1`` multiplies it by n/(n-1)).

    Mazziotta M., Pareto A. (2016), *Social Indicators Research* 127, 983-1003; B9:
    z = (110, 90) gives 99 and 101; (120, 100) gives 109.0909 and 110.9091.

    Parameters
    ----------
    x : ndarray of shape (..., n_children)
    weights : ndarray broadcastable with ``x``
    penalty : {-1, 1}
    ddof : {0, 1}
    min_share : float
    names : sequence of str, optional

    Raises
    ------
    MethodError
        A unit whose mean is not positive (cv undefined).

    Examples
    --------
    >>> mazziotta_pareto(np.array([110.0, 90.0]), np.ones(2)).item()
    99.0
    """
    if penalty not in (-1, 1) or ddof not in (0, 1):
        raise MethodError(f"MPI needs penalty -1 or 1 and ddof 0 or 1, got {penalty}, {ddof}")
    xb, wa, avail, ok, wsum = _prepare(x, weights, min_share, check)
    m = arithmetic_mean(x, weights, min_share=min_share, check=check)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.where(avail, xb - m[..., None], 0.0)
        var = np.sum(wa * dev**2, axis=-1) / wsum
        n = avail.sum(axis=-1)
        if ddof == 1:
            var = np.where(n > 1, var * n / (n - 1), np.nan)
    bad = ok & ~np.isnan(m) & ~(m > 0)
    if bad.any():
        raise MethodError(
            f"Mazziotta-Pareto index needs a positive mean for every unit; {int(bad.sum())} "
            "unit(s) have a mean <= 0",
            ["standardise with zscore mean_sd [100, 10] or rescale with ampi first"],
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        y = m + penalty * var / m
    return np.where(ok, y, np.nan)


# ---------------------------------------------------------------------- cross-unit methods
def _unit_weights(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim >= 2 and w.shape[-2] != 1:
        raise MethodError("cross-unit methods take one weight per child (the same for every "
                          "unit), shape (..., 1, n_children) or (n_children,)")
    return w


def _eligible(x: np.ndarray, weights: np.ndarray, min_share: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x with ineligible units blanked, available-weight matrix and the eligible mask."""
    xb, wa, avail, ok, _ = _prepare(x, weights, min_share)
    xb = np.where(ok[..., None] & avail, xb, np.nan)
    return xb, np.where(ok[..., None], wa, 0.0), ok


def outranking(
    x: np.ndarray, weights: np.ndarray, *, min_share: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Outranking matrix: the weight of the children on which unit i beats unit j.

    .. math:: O_{ij} = \frac{\sum_{k} w_k \left([x_{ik} > x_{jk}] + \tfrac12 [x_{ik} = x_{jk}]
              \right)}{\sum_k w_k}

    summing over the children available for both units (COINr ``outrankMatrix``;
    wins and losses whose weights balance within :data:`gipro.tolerance.RELATIVE` of the
    total are a tie, 0.5 exactly; Munda G.,
    Nardo M. (2009), Noncompensatory/nonlinear composite indicators for ranking countries: a
    defensible setting, *Applied Economics* 41(12), 1513-1523; OECD/JRC Handbook (2008),
    section 6.3). Two units without a common child get 0.5 both ways; the diagonal is 0.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_children)
    weights : ndarray of shape (n_children,) or (..., 1, n_children)
    min_share : float
        Units with fewer available children take no part (their rows and columns are NaN).

    Returns
    -------
    matrix : ndarray of shape (..., n_units, n_units)
    dominance : ndarray of shape (...)
        Share of unit pairs where one unit beats the other on every common child (B4: 0.5).

    Examples
    --------
    >>> x = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)
    >>> m, d = outranking(x, np.ones(3))
    >>> (m * 3).round(6).tolist()[0], float(d)
    ([0.0, 1.0, 2.0, 0.0], 0.5)
    """
    w = _unit_weights(x, weights)
    xb, _, ok = _eligible(x, w, min_share)
    xi = xb[..., :, None, :]
    xj = xb[..., None, :, :]
    w1 = w if w.ndim >= 2 else w.reshape(1, -1)  # (..., 1, n_children)
    wchild = w1[..., None, :, :]
    both = ~np.isnan(xi) & ~np.isnan(xj)
    wb = np.where(both, wchild, 0.0)
    won = np.sum(wb * (xi > xj), axis=-1)
    lost = np.sum(wb * (xi < xj), axis=-1)
    wins = won + 0.5 * np.sum(wb * (xi == xj), axis=-1)
    total = wb.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(total > 0, wins / np.where(total > 0, total, 1.0), 0.5)
    # wins and losses whose weights balance are a tie, decided by the tolerance policy
    # (gipro.tolerance.tied), never by the last bit of a float sum (0.1 + 0.2 against 0.3)
    m = np.where(tied(won, lost, total) & (total > 0), 0.5, m)
    n = xb.shape[-2]
    eye = np.eye(n, dtype=bool)
    m = np.where(eye, 0.0, m)
    okij = ok[..., :, None] & ok[..., None, :]
    m = np.where(okij, m, np.nan)
    upper = np.triu(np.ones((n, n), dtype=bool), 1) & okij
    dom = upper & ((m == 1.0) | (np.swapaxes(m, -1, -2) == 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        dominance = dom.sum(axis=(-2, -1)) / upper.sum(axis=(-2, -1))
    return m, dominance


def copeland(
    x: np.ndarray, weights: np.ndarray, *, min_share: float = 0.0
) -> np.ndarray:
    r"""Copeland score from the outranking matrix: pairwise wins minus pairwise losses.

    .. math:: c_i = \sum_{j \ne i} \mathrm{sign}(O_{ij} - \tfrac12)

    COINr ``a_copeland`` (B4: (-1, 1, -3, 3)); Munda and Nardo (2009); OECD/JRC Handbook
    (2008), section 6.3 (non-compensatory multi-criteria aggregation). Scores are integers in
    [-(n-1), n-1]; units with too few children are NaN and take no part.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_children)
    weights : ndarray of shape (n_children,) or (..., 1, n_children)
    min_share : float

    Returns
    -------
    ndarray of shape (..., n_units)

    Examples
    --------
    >>> x = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)
    >>> copeland(x, np.ones(3)).tolist()
    [-1.0, 1.0, -3.0, 3.0]
    """
    m, _ = outranking(x, weights, min_share=min_share)
    n = m.shape[-1]
    off = ~np.eye(n, dtype=bool)
    s = np.where(off & ~np.isnan(m), np.sign(m - 0.5), 0.0).sum(axis=-1)
    scored = ~np.isnan(np.diagonal(m, axis1=-2, axis2=-1))
    return np.where(scored, s, np.nan)


def topsis(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    normalise: str = "vector",
    min_share: float = 0.0,
) -> np.ndarray:
    r"""TOPSIS closeness to the ideal unit.

    .. math:: C_i = \frac{D_i^-}{D_i^+ + D_i^-}, \quad
              D_i^{\pm} = \sqrt{\sum_j \tilde w_{ij}^2 (r_{ij} - r_j^{\pm})^2}

    with :math:`r` the normalised values, :math:`r^+_j` / :math:`r^-_j` their best and worst
    over the units (oriented data: higher is better) and :math:`\tilde w_{ij}` the weights
    renormalised over the unit's available children (for complete data the classical
    :math:`v = w r`). Hwang C.L., Yoon K. (1981), *Multiple Attribute Decision Making*,
    Springer; B11 (pymcdm, min-max normalisation): 0.6126, 0, 0.7829, 1.

    ``normalise``: ``"vector"`` (classical, :math:`r = x / \lVert x \rVert`), ``"minmax"``
    (pymcdm's default) or ``"none"`` (use the scores as given, e.g. after the normalise step).
    A column with no spread -- all zero for the vector norm, constant for min-max -- carries
    no information and normalises to 0 (field case B10: closeness [0.387426, 0.217129, 0.5,
    1.0], the same as without the column). Units below ``min_share`` take no part (NaN).

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_children)
        Oriented values (higher is better).
    weights : ndarray of shape (n_children,) or (..., 1, n_children)
    normalise : {"vector", "minmax", "none"}
    min_share : float

    Returns
    -------
    ndarray of shape (..., n_units), in [0, 1].

    Raises
    ------
    MethodError
        Unknown normalisation; every unit equal to both the ideal and the anti-ideal (no
        child varies), which leaves the closeness undefined.

    Examples
    --------
    >>> x = np.array([[1, 0, 3], [2, 0, 1], [3, 0, 2], [4, 0, 4]], dtype=float)
    >>> topsis(x, np.ones(3)).round(6).tolist()
    [0.387426, 0.217129, 0.5, 1.0]
    """
    if normalise not in ("vector", "minmax", "none"):
        raise MethodError(f"TOPSIS normalise must be vector, minmax or none, got {normalise!r}")
    w = _unit_weights(x, weights)
    xb, wa, ok = _eligible(x, w, min_share)
    obs = ~np.isnan(xb)
    if normalise == "vector":
        norm = np.sqrt(np.sum(np.where(obs, xb, 0.0) ** 2, axis=-2, keepdims=True))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(norm > 0, xb / np.where(norm > 0, norm, 1.0), 0.0)
    elif normalise == "minmax":
        lo = np.min(np.where(obs, xb, np.inf), axis=-2, keepdims=True)
        hi = np.max(np.where(obs, xb, -np.inf), axis=-2, keepdims=True)
        span = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(span > 0, (xb - lo) / np.where(span > 0, span, 1.0), 0.0)
    else:
        r = xb
    r = np.where(obs, r, np.nan)
    best = np.max(np.where(obs, r, -np.inf), axis=-2, keepdims=True)
    worst = np.min(np.where(obs, r, np.inf), axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        wn = wa / wa.sum(axis=-1, keepdims=True)
        dp = np.sqrt(np.sum(np.where(obs, wn**2 * (r - best) ** 2, 0.0), axis=-1))
        dm = np.sqrt(np.sum(np.where(obs, wn**2 * (r - worst) ** 2, 0.0), axis=-1))
        total = dp + dm
    undefined = ok & ~(total > 0)
    if undefined.any():
        raise MethodError(
            "TOPSIS: no child varies across the units, so every unit is both the ideal and the "
            "anti-ideal and the closeness is undefined",
            ["check the data: every child of this aggregate is constant"],
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        c = dm / total
    return np.where(ok, c, np.nan)


#: Unit-wise means: a unit's score depends on its own children only (:func:`level_mean`).
UNIT_WISE = frozenset({"arithmetic", "geometric", "harmonic", "generalised", "mean_min", "mpi"})

_NAMED = frozenset({"geometric", "harmonic", "generalised", "mpi"})  # kernels taking ``names``


def pad_children(children: Sequence[Sequence[int]]) -> np.ndarray:
    """Children lists of several parents as one index matrix, padded with ``-1``.

    Parameters
    ----------
    children : sequence of sequences of int
        For each parent, the columns of its children (at least one each).

    Returns
    -------
    ndarray of int, shape (n_parents, k_max)
        Row ``i``: the columns of parent ``i``'s children, then ``-1`` up to the longest list.

    Examples
    --------
    >>> pad_children([[0, 1, 2], [3, 4]]).tolist()
    [[0, 1, 2], [3, 4, -1]]
    """
    k = max((len(c) for c in children), default=0)
    out = np.full((len(children), k), -1, dtype=np.intp)
    for i, c in enumerate(children):
        out[i, : len(c)] = c
    return out


def group_parents(n_children: Sequence[int]) -> list[list[int]]:
    """Parents that :func:`level_mean` may aggregate in one call without changing any result.

    Padding a parent's children with zero-weight entries adds exact zeros to its sums, but
    numpy adds the terms of a row of 8 or more in blocks of 8 (pairwise summation), so padding
    a row past a multiple of 8 could change the order of the additions and the last bit of
    the result. Parents are therefore grouped by ``n_children // 8``: within a group every row
    is padded inside its own block of 8 and every parent's score is, bit for bit, the one of
    a call of its own (checked in ``tests/test_aggregate.py`` for every method, with and
    without missing values and replication axes).

    Parameters
    ----------
    n_children : sequence of int
        Number of children of each parent.

    Returns
    -------
    list of list of int
        Positions of the parents in each group, in their order.

    Examples
    --------
    >>> group_parents([8, 5, 3, 6, 8, 5, 9, 5])
    [[0, 4, 6], [1, 2, 3, 5, 7]]
    """
    groups: dict[int, list[int]] = {}
    for i, k in enumerate(n_children):
        groups.setdefault(int(k) // 8, []).append(i)
    return list(groups.values())


def level_mean(
    x: np.ndarray,
    children: np.ndarray,
    weights: np.ndarray,
    *,
    method: str = "arithmetic",
    min_share: float = 0.0,
    names: Sequence[Sequence[str]] | None = None,
    check: bool = True,
    **params: Any,
) -> np.ndarray:
    r"""Several parents of one level aggregated in one call (a unit-wise mean each).

    Each parent's score is the unit-wise ``method`` (:data:`UNIT_WISE`: the kernels above,
    whose docstrings give the formulas and sources -- OECD/JRC Handbook 2008, section 6;
    COINr ``Aggregate``) of its own children, with its own weights renormalised over its
    available children and the ``min_share`` threshold (COINr ``dat_thresh``). The children
    of all parents are gathered into one ``(..., n_parents, k_max)`` array, padded with
    zero-weight entries that count neither as children nor as available, so one kernel call
    replaces one call per parent. Use :func:`group_parents` to form groups whose results are
    bit-for-bit those of separate calls.

    Parameters
    ----------
    x : ndarray of shape (..., n_columns)
        Scores of every column (children of any parent), NaN = missing.
    children : ndarray of int, shape (n_parents, k_max)
        Columns of each parent's children, ``-1`` for padding (:func:`pad_children`).
    weights : ndarray broadcastable to (..., n_parents, k_max)
        Weight of each child (padding entries are ignored); leading replication axes as in
        the kernels, e.g. ``(n_runs, 1, 1, n_parents, k_max)`` for ``x`` of shape
        ``(n_runs, n_periods, n_units, n_columns)``.
    method : str
        One of :data:`UNIT_WISE`.
    min_share : float in [0, 1]
    names : sequence of sequences of str, optional
        Codes of each parent's children: a value outside a method's domain is then reported
        by the kernel's own message, naming the child (the group is re-run parent by parent).
    check : bool
        Check ``min_share`` and the weights (see :func:`arithmetic_mean`).
    **params
        The method's parameters (``p``, ``shift``, ``alpha``, ``beta``, ``penalty``,
        ``ddof``).

    Returns
    -------
    ndarray of shape (..., n_parents)

    Raises
    ------
    MethodError
        A method that is not unit-wise, a malformed ``children`` matrix, or whatever the
        method's kernel raises.

    Examples
    --------
    Two parents of the columns (1, 2, 3, 4): the first of columns 0-2, the second of 2-3.

    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> level_mean(x, pad_children([[0, 1, 2], [2, 3]]), np.ones((2, 3))).tolist()
    [2.0, 3.5]
    """
    if method not in UNIT_WISE:
        raise MethodError(f"level_mean aggregates with a unit-wise mean ({sorted(UNIT_WISE)}), "
                          f"not {method!r}")
    children = np.asarray(children)
    if children.ndim != 2 or children.shape[1] == 0 or (children[:, 0] < 0).any():
        raise MethodError("children must be a (n_parents, k_max) matrix of columns, -1 for "
                          "padding, with at least one child per parent")
    pad = children < 0
    xg = np.asarray(x, dtype=float)[..., np.where(pad, 0, children)]
    w = np.where(pad, 0.0, weights)
    kernel = METHODS[method]
    try:
        return kernel(xg, w, min_share=min_share, check=check, **params)
    except MethodError:
        if names is None:
            raise
        for i in range(children.shape[0]):  # the first parent in error, its child named
            k = int((~pad[i]).sum())
            extra = {"names": list(names[i])} if method in _NAMED else {}
            kernel(xg[..., i, :k], w[..., i, :k], min_share=min_share, check=check, **params,
                   **extra)
        raise


#: Method name -> kernel. Unit-wise means take ``(x, weights, min_share=...)``; the cross-unit
#: methods in :data:`CROSS_UNIT` take ``x`` with the units on axis -2.
METHODS: dict[str, Any] = {
    "arithmetic": arithmetic_mean,
    "geometric": geometric_mean,
    "harmonic": harmonic_mean,
    "generalised": generalised_mean,
    "mean_min": mean_min,
    "mpi": mazziotta_pareto,
    "copeland": copeland,
    "topsis": topsis,
}

#: Methods whose score for a unit depends on the other units (units on axis -2).
CROSS_UNIT = frozenset({"copeland", "topsis", "bod"})
