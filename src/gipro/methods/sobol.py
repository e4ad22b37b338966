r"""Variance-based (Sobol) sensitivity kernels: the Saltelli design and its estimators.

A Sobol analysis of a model :math:`Y = f(X_1, \dots, X_d)` with independent inputs runs the
model on a *design*: two independent base samples :math:`A` and :math:`B` of :math:`N` rows,
and for every input :math:`i` the matrix :math:`A_B^{(i)}`, which is :math:`A` with the
columns of input :math:`i` taken from :math:`B`. That is :math:`N(d + 2)` runs, laid out
(COINr ``SA_sample``) as the blocks

.. math:: [A;\ B;\ A_B^{(1)};\ \dots;\ A_B^{(d)}].

An *input* may own several columns of the unit cube (a *group*, e.g. every perturbed weight of
a weight set): :math:`A_B^{(i)}` then takes all of the group's columns from :math:`B`, and the
indices below are the group's (Jacques, Lavergne & Devictor 2006; SALib ``groups``).

Estimators, with :math:`y_A = f(A)`, :math:`y_B = f(B)`, :math:`y_{AB_i} = f(A_B^{(i)})` and
:math:`V = \operatorname{var}(y_A \cup y_B)`:

* first order, Saltelli et al. (2010), table 2 (b):
  :math:`S_i = \frac{1}{N V}\sum_j y_{B,j}\,(y_{AB_i,j} - y_{A,j})`;
* total order, Jansen (1999), Saltelli et al. (2010), table 2 (f):
  :math:`S_{Ti} = \frac{1}{2 N V}\sum_j (y_{A,j} - y_{AB_i,j})^2`.

These are COINr's ``SA_estimate`` and SALib's ``sobol.first_order``/``total_order`` (which use
the population variance, ``ddof=0``; COINr uses R's ``var``, ``ddof=1``). Estimates are never
clipped: with few runs a first-order index of an unimportant input is negative about half the
time (field case B23) -- report the bootstrap interval instead.

Every kernel works on whole arrays: outputs may carry trailing axes (several outputs at once,
e.g. one per unit), and the bootstrap resamples the base rows with a seeded generator.

References
----------
Saltelli A., Annoni P., Azzini I., Campolongo F., Ratto M., Tarantola S. (2010), Variance based
sensitivity analysis of model output. Design and estimator for the total sensitivity index,
*Computer Physics Communications* 181(2), 259-270, doi:10.1016/j.cpc.2009.09.018.
Jansen M.J.W. (1999), Analysis of variance designs for model output, *Computer Physics
Communications* 117, 35-43. Jacques J., Lavergne C., Devictor N. (2006), Sensitivity analysis
in presence of model uncertainty and correlated inputs, *Reliability Engineering & System
Safety* 91, 1126-1134 (group indices). Saisana M., Saltelli A., Tarantola S. (2005),
Uncertainty and sensitivity analysis techniques as tools for the quality assessment of
composite indicators, *JRSS A* 168(2), 307-323, doi:10.1111/j.1467-985X.2005.00350.x.
Herman J., Usher W. (2017), SALib, *JOSS* 2(9), 97.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import MethodError

__all__ = [
    "SobolEstimate",
    "bootstrap",
    "first_order",
    "ishigami",
    "saltelli_matrix",
    "sobol_indices",
    "split_output",
    "total_order",
]


def saltelli_matrix(a: np.ndarray, b: np.ndarray, groups: Sequence[Sequence[int]]
                    ) -> np.ndarray:
    """The Saltelli design ``[A; B; A_B(1); ...; A_B(d)]`` from two base samples.

    Parameters
    ----------
    a, b : ndarray of shape (N, k)
        Independent base samples (points of the unit cube, one column per sampled variable).
    groups : sequence of d sequences of int
        Columns owned by each input (one column each for ungrouped inputs). Every column must
        belong to exactly one input.

    Returns
    -------
    ndarray of shape (N (d + 2), k)

    Raises
    ------
    MethodError
        Shapes differ or the groups do not partition the columns.

    Examples
    --------
    >>> a, b = np.zeros((2, 3)), np.ones((2, 3))
    >>> saltelli_matrix(a, b, [[0], [1, 2]]).tolist()[4:]
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise MethodError(f"A and B must be matrices of the same shape, got {a.shape} and "
                          f"{b.shape}")
    cols = sorted(c for g in groups for c in g)
    if cols != list(range(a.shape[1])):
        raise MethodError(f"the groups must partition the {a.shape[1]} columns exactly once, "
                          f"got {[list(g) for g in groups]}")
    blocks = [a, b]
    for g in groups:
        ab = a.copy()
        ab[:, list(g)] = b[:, list(g)]
        blocks.append(ab)
    return np.concatenate(blocks, axis=0)


def split_output(y: np.ndarray, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split outputs of a ``[A; B; A_B(1..d)]`` design into ``y_A``, ``y_B`` and ``y_AB``.

    Parameters
    ----------
    y : ndarray of shape (N (d + 2), ...)
    n, d : int
        Base sample size and number of inputs of the design that produced ``y``.

    Returns
    -------
    y_a, y_b : ndarray of shape (N, ...)
    y_ab : ndarray of shape (d, N, ...)

    Raises
    ------
    MethodError
        If ``y`` does not have ``N (d + 2)`` rows. (Length alone does not prove the layout:
        the analysers of :mod:`gipro.sensitivity` take the design object they created.)

    Examples
    --------
    >>> ya, yb, yab = split_output(np.arange(8.0), 2, 2)
    >>> ya.tolist(), yb.tolist(), yab.tolist()
    ([0.0, 1.0], [2.0, 3.0], [[4.0, 5.0], [6.0, 7.0]])
    """
    y = np.asarray(y, dtype=float)
    if y.shape[0] != n * (d + 2):
        raise MethodError(f"a Saltelli design with N = {n} and d = {d} has N(d + 2) = "
                          f"{n * (d + 2)} runs; got {y.shape[0]} outputs")
    return y[:n], y[n:2 * n], y[2 * n:].reshape((d, n, *y.shape[1:]))


def _variance(y_a: np.ndarray, y_b: np.ndarray, ddof: int) -> np.ndarray:
    return np.var(np.concatenate([y_a, y_b], axis=0), axis=0, ddof=ddof)


def first_order(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, *, ddof: int = 1,
                center: bool = False) -> np.ndarray:
    r"""First-order indices :math:`S_i = \overline{y_B (y_{AB_i} - y_A)} / V` (Saltelli 2010).

    Parameters
    ----------
    y_a, y_b : ndarray of shape (N, ...)
    y_ab : ndarray of shape (d, N, ...)
    ddof : int
        Delta degrees of freedom of :math:`V = \operatorname{var}(y_A \cup y_B)`: 1 (COINr,
        R's ``var``; default) or 0 (SALib).
    center : bool
        Subtract the mean of :math:`y_A \cup y_B` from :math:`y_B` first. The estimator stays
        consistent (:math:`E(y_{AB_i} - y_A) = 0`) and its variance no longer grows with the
        output's mean (SALib standardises the output for the same reason). Default False
        (the formula as printed).

    Returns
    -------
    ndarray of shape (d, ...); NaN where the output does not vary (:math:`V = 0`).

    Examples
    --------
    y = x1 + 10 x2 with an unused x3 (COINr test-sensitivity): S3 is exactly 0.

    >>> rng = np.random.default_rng(0)
    >>> x = saltelli_matrix(rng.random((64, 3)), rng.random((64, 3)), [[0], [1], [2]])
    >>> ya, yb, yab = split_output(x[:, 0] + 10 * x[:, 1], 64, 3)
    >>> float(first_order(ya, yb, yab)[2])
    0.0
    """
    y_a, y_b, y_ab = (np.asarray(v, dtype=float) for v in (y_a, y_b, y_ab))
    v = _variance(y_a, y_b, ddof)
    if center:
        y_b = y_b - np.concatenate([y_a, y_b], axis=0).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.mean(y_b * (y_ab - y_a), axis=1) / v
    return np.where(v > 0, s, np.nan)


def total_order(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, *, ddof: int = 1
                ) -> np.ndarray:
    r"""Total-order indices :math:`S_{Ti} = \sum_j (y_{A,j} - y_{AB_i,j})^2 / (2 N V)` (Jansen).

    Parameters and returns as :func:`first_order`.

    Examples
    --------
    >>> ya, yb = np.array([0.0, 1.0]), np.array([1.0, 0.0])
    >>> total_order(ya, yb, np.stack([yb[::-1], ya]), ddof=0).tolist()
    [0.0, 0.0]
    """
    y_a, y_b, y_ab = (np.asarray(v, dtype=float) for v in (y_a, y_b, y_ab))
    v = _variance(y_a, y_b, ddof)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.mean((y_a - y_ab) ** 2, axis=1) / (2.0 * v)
    return np.where(v > 0, s, np.nan)


@dataclass(frozen=True)
class SobolEstimate:
    """First- and total-order indices with bootstrap percentile intervals.

    Attributes
    ----------
    first, total : ndarray of shape (d, ...)
        Point estimates (never clipped).
    first_low, first_high, total_low, total_high : ndarray of shape (d, ...)
        Bootstrap percentile interval at ``level`` (NaN when ``n_boot`` is 0).
    variance : ndarray of shape (...)
        :math:`V = \\operatorname{var}(y_A \\cup y_B)`.
    n : int
        Base sample size used.
    level : float
        Confidence level of the intervals.
    n_boot : int
        Bootstrap resamples.
    """

    first: np.ndarray
    total: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    variance: np.ndarray
    n: int
    level: float
    n_boot: int


def bootstrap(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, *, n_boot: int,
              rng: np.random.Generator, ddof: int = 1, center: bool = False, chunk: int = 256
              ) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap replicates of :func:`first_order` and :func:`total_order`.

    Each replicate resamples the ``N`` base rows with replacement -- the same rows for
    :math:`y_A`, :math:`y_B` and every :math:`y_{AB_i}`, and :math:`V` is recomputed on the
    resample (Efron & Tibshirani 1993; Archer, Saltelli & Sobol 1997, *J. Stat. Comput.
    Simul.* 58, 99-120; as SALib). Vectorised over replicates, in chunks of ``chunk``.

    Returns
    -------
    first, total : ndarray of shape (n_boot, d, ...)

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f, t = bootstrap(np.arange(4.0), np.ones(4), np.zeros((2, 4)), n_boot=3, rng=rng)
    >>> f.shape, t.shape
    ((3, 2), (3, 2))
    """
    y_a, y_b, y_ab = (np.asarray(v, dtype=float) for v in (y_a, y_b, y_ab))
    n = y_a.shape[0]
    idx = rng.integers(0, n, size=(n_boot, n))
    firsts, totals = [], []
    for s in range(0, n_boot, chunk):
        ii = idx[s:s + chunk]  # (b, N)
        ya, yb = y_a[ii], y_b[ii]  # (b, N, ...)
        yab = np.moveaxis(y_ab[:, ii], 0, 1)  # (b, d, N, ...)
        both = np.concatenate([ya, yb], axis=1)
        v = np.var(both, axis=1, ddof=ddof)  # (b, ...)
        if center:
            yb = yb - both.mean(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.mean(yb[:, None] * (yab - ya[:, None]), axis=2) / v[:, None]
            t = np.mean((ya[:, None] - yab) ** 2, axis=2) / (2.0 * v[:, None])
        ok = (v > 0)[:, None]
        firsts.append(np.where(ok, f, np.nan))
        totals.append(np.where(ok, t, np.nan))
    return np.concatenate(firsts, axis=0), np.concatenate(totals, axis=0)


def sobol_indices(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, *, n_boot: int = 1000,
                  level: float = 0.95, rng: np.random.Generator | None = None, ddof: int = 1,
                  center: bool = False) -> SobolEstimate:
    """First- and total-order indices with bootstrap percentile confidence intervals.

    Parameters
    ----------
    y_a, y_b : ndarray of shape (N, ...)
    y_ab : ndarray of shape (d, N, ...)
    n_boot : int
        Bootstrap resamples (0: no intervals).
    level : float in (0, 1)
        Confidence level (default 0.95: the 2.5 and 97.5 percentiles of the replicates).
    rng : numpy.random.Generator
        Required when ``n_boot > 0`` (never the global random state).
    ddof, center
        See :func:`first_order`.

    Returns
    -------
    SobolEstimate

    Raises
    ------
    MethodError
        Shapes that do not match, fewer than 2 base rows, non-finite outputs, a level
        outside (0, 1), or bootstrap without a generator.

    Examples
    --------
    y = x1 + 2 x2 + 3 x3 on U(0, 1): analytic S = ST = (1, 4, 9) / 14.

    >>> rng = np.random.default_rng(0)
    >>> x = saltelli_matrix(rng.random((4096, 3)), rng.random((4096, 3)), [[0], [1], [2]])
    >>> est = sobol_indices(*split_output(x @ [1.0, 2.0, 3.0], 4096, 3), n_boot=0)
    >>> np.round(est.total * 14).tolist()
    [1.0, 4.0, 9.0]
    """
    y_a, y_b, y_ab = (np.asarray(v, dtype=float) for v in (y_a, y_b, y_ab))
    if y_a.shape != y_b.shape or y_ab.shape[1:] != y_a.shape or y_ab.ndim != y_a.ndim + 1:
        raise MethodError(f"y_A {y_a.shape}, y_B {y_b.shape} and y_AB {y_ab.shape} do not "
                          "match: expected (N, ...), (N, ...) and (d, N, ...)")
    if y_a.shape[0] < 2:
        raise MethodError("a Sobol estimate needs at least 2 base rows")
    if not (np.isfinite(y_a).all() and np.isfinite(y_b).all() and np.isfinite(y_ab).all()):
        raise MethodError("Sobol estimates need finite outputs for every run of the design; "
                          "drop the base rows of failed runs first")
    if not 0.0 < level < 1.0:
        raise MethodError(f"level must be in (0, 1), got {level}")
    first = first_order(y_a, y_b, y_ab, ddof=ddof, center=center)
    total = total_order(y_a, y_b, y_ab, ddof=ddof)
    nan = np.full(first.shape, np.nan)
    lows = [nan, nan]
    highs = [nan, nan]
    if n_boot > 0:
        if rng is None:
            raise MethodError("bootstrap intervals need rng (a numpy.random.Generator)")
        bf, bt = bootstrap(y_a, y_b, y_ab, n_boot=n_boot, rng=rng, ddof=ddof, center=center)
        q = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
        with np.errstate(invalid="ignore"):
            lf, hf = np.quantile(bf, q, axis=0)
            lt, ht = np.quantile(bt, q, axis=0)
        lows, highs = [lf, lt], [hf, ht]
    return SobolEstimate(first, total, lows[0], highs[0], lows[1], highs[1],
                         _variance(y_a, y_b, ddof), int(y_a.shape[0]), level, int(n_boot))


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    r"""The Ishigami function on inputs in the unit cube mapped to :math:`[-\pi, \pi]`.

    .. math:: f = \sin x_1 + a \sin^2 x_2 + b\, x_3^4 \sin x_1

    Ishigami T., Homma T. (1990), An importance quantification technique in uncertainty
    analysis for computer models, *ISUMA '90*, 398-403. Analytic indices for a = 7, b = 0.1:
    S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) (reference case B8).

    Parameters
    ----------
    x : ndarray of shape (..., 3), values in [0, 1]

    Examples
    --------
    >>> round(float(ishigami(np.array([0.75, 0.75, 0.5]))), 6)
    8.0
    """
    z = -np.pi + 2.0 * np.pi * np.asarray(x, dtype=float)
    return np.sin(z[..., 0]) + a * np.sin(z[..., 1]) ** 2 + b * z[..., 2] ** 4 * np.sin(z[..., 0])
