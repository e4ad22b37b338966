"""Weighting kernels: derive weights for a group of sibling indicators or sub-indices.

Each kernel takes the data of one group of siblings, ``x`` of shape ``(n_obs, n_children)``
(units, or unit-periods when pooled), oriented so that higher is better, and returns
non-negative weights that sum to 1 plus what it learnt (loadings, entropies...). The weight
step (:mod:`gipro.steps.weight`) runs a kernel for every group of a level and stores the result
as a named weight set. Benefit-of-the-Doubt gives each unit its own weights and is therefore
an aggregation method (:func:`benefit_of_the_doubt`, used by the aggregate step).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6 (weighting):
equal weights, principal components, benefit of the doubt; COINr ``get_PCA``,
``get_opt_weights``, ``get_eff_wts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import MethodError
from .aggregate import arithmetic_mean

__all__ = [
    "WeightResult",
    "balance_weights",
    "benefit_of_the_doubt",
    "critic_weights",
    "entropy_weights",
    "equal_weights",
    "pca_weights",
]


@dataclass
class WeightResult:
    """Weights of one group of siblings and what the method learnt.

    Attributes
    ----------
    weights : ndarray of shape (n_children,)
        Non-negative, summing to 1 (PCA with ``kind="loadings"`` may be negative).
    info : dict
        Method-specific diagnostics (e.g. ``loadings``, ``explained``, ``entropy``).
    notes : list of str
        Warnings and policies applied, for the build log.
    """

    weights: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _names(names: Sequence[str] | None, n: int) -> list[str]:
    return list(names) if names is not None else [str(i) for i in range(n)]


def equal_weights(n: int) -> WeightResult:
    """Equal weights ``1/n`` (OECD/JRC Handbook 2008, section 6.1.1).

    Examples
    --------
    >>> equal_weights(4).weights.tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if n < 1:
        raise MethodError("equal weights need at least one child")
    return WeightResult(np.full(n, 1.0 / n))


def _complete_rows(x: np.ndarray, names: list[str], method: str, min_rows: int
                   ) -> tuple[np.ndarray, list[str]]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise MethodError(f"{method}: x must have shape (n_obs, n_children), got {x.shape}")
    keep = ~np.isnan(x).any(axis=1)
    notes = []
    if not keep.all():
        notes.append(f"{method}: {int((~keep).sum())} of {len(keep)} rows with a missing value "
                     "left out (complete cases)")
    x = x[keep]
    if len(x) < min_rows:
        raise MethodError(f"{method}: needs at least {min_rows} complete rows, got {len(x)}")
    sd = x.std(axis=0)
    flat = [names[j] for j in np.flatnonzero(~(sd > 0))]
    if flat:
        raise MethodError(f"{method}: indicator(s) {flat} do not vary, so their correlations "
                          "are undefined", ["drop them from the group"])
    return x, notes


def pca_weights(
    x: np.ndarray, *, kind: str = "squared", names: Sequence[str] | None = None
) -> WeightResult:
    r"""Weights from the first principal component of the correlation matrix.

    PCA on the correlation matrix (centred and scaled data, as R's ``prcomp(scale. = TRUE)`` in
    COINr ``get_PCA``), complete cases only. The eigenvector of the largest eigenvalue is
    defined up to its sign; gipro fixes the sign so that the loadings sum to a positive number
    (ties broken by the largest absolute loading), so the result does not depend on the
    eigen-solver (field case B21). Weights:

    * ``kind="squared"`` (default): squared loadings :math:`v_j^2` (they sum to 1 and are
      never negative; Nicoletti G., Scarpetta S., Boylaud O. (2000), OECD Economics Department
      WP 226; field case B21: [0.350018, 0.313581, 0.336402]);
    * ``kind="loadings"``: the loadings themselves, as COINr returns them (B2); they can be
      negative, which the aggregation refuses.

    A negative loading means the indicator moves against the others: with oriented data it
    disagrees with its declared direction; a note says so.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_children)
        Oriented data.
    kind : {"squared", "loadings"}
    names : sequence of str, optional

    Returns
    -------
    WeightResult
        ``info``: ``loadings``, ``eigenvalues``, ``explained`` (share of variance of PC1).

    Raises
    ------
    MethodError
        Fewer than 3 complete rows, fewer than 2 children, or a child that does not vary.

    Examples
    --------
    >>> x = np.array([[1, 2, -9], [2, 3, -7], [3, 5, -6], [4, 4, -3], [5, 6, -1]], float)
    >>> pca_weights(x).weights.round(6).tolist()
    [0.350018, 0.313581, 0.336402]
    """
    if kind not in ("squared", "loadings"):
        raise MethodError(f"PCA weight kind must be 'squared' or 'loadings', got {kind!r}")
    x = np.asarray(x, dtype=float)
    nm = _names(names, x.shape[-1])
    if x.shape[-1] < 2:
        raise MethodError("PCA weights need at least two children in a group")
    xc, notes = _complete_rows(x, nm, "PCA", 3)
    corr = np.corrcoef(xc, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    v = vecs[:, 0]
    total = v.sum()
    sign = np.sign(total) if abs(total) > 1e-12 else np.sign(v[np.argmax(np.abs(v))])
    v = v * sign
    neg = [nm[j] for j in np.flatnonzero(v < 0)]
    if neg:
        notes.append(f"PCA: negative loading(s) for {neg}: these move against the rest of the "
                     "group (a direction that disagrees with the data?)")
    w = v**2 if kind == "squared" else v
    return WeightResult(w, {"loadings": v, "eigenvalues": vals,
                            "explained": float(vals[0] / vals.sum())}, notes)


def entropy_weights(
    x: np.ndarray,
    *,
    shift: float = 0.0,
    negative_shift: float | None = None,
    names: Sequence[str] | None = None,
) -> WeightResult:
    r"""Entropy weights (entropy weight method, 熵权法).

    .. math:: p_{ij} = \frac{x_{ij}}{\sum_i x_{ij}}, \quad
              e_j = -\frac{1}{\ln n_j}\sum_i p_{ij}\ln p_{ij}, \quad
              w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}

    with the convention :math:`0 \ln 0 = 0` (the limit), never an epsilon (field case B08:
    e = [0.70282, 0.86926, 0.68316], w = [0.399028, 0.175543, 0.425429]); :math:`n_j` is the
    number of observed values of child j (missing values are left out, not zero).
    Shannon C.E. (1948), *Bell System Technical Journal* 27; Zeleny M. (1982), *Multiple
    Criteria Decision Making*, McGraw-Hill (entropy as a measure of contrast intensity).

    Shares are only defined for non-negative values, and entropy weights are not invariant to
    a shift (field case B09), so negative values raise unless a shift is chosen explicitly:

    * ``negative_shift=s``: each child with a negative value is translated by ``|min| + s``
      (SPSSAU's 非负平移 uses s = 0.01);
    * ``shift=s``: ``s`` is added to every value (the "+0.0001 after min-max" practice).

    The constants are returned in ``info`` and notes so the build records them.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_children)
        Oriented, usually normalised data.
    shift : float >= 0
    negative_shift : float >= 0, optional
    names : sequence of str, optional

    Returns
    -------
    WeightResult
        ``info``: ``entropy`` (e_j), ``divergence`` (1 - e_j), ``translated`` (per child, the
        constant added).

    Raises
    ------
    MethodError
        Negative values without ``negative_shift``; a child summing to 0; fewer than 2
        observations; no child with any divergence (all uniform).

    Examples
    --------
    >>> x = np.array([[0, 3, 0.9], [8, 3.5, 0.2], [6, 7, 0.0], [2, 1, 0.5]])
    >>> entropy_weights(x).weights.round(6).tolist()
    [0.399028, 0.175543, 0.425429]
    """
    x = np.asarray(x, dtype=float)
    nm = _names(names, x.shape[-1])
    if shift < 0 or (negative_shift is not None and negative_shift < 0):
        raise MethodError("entropy shifts must be >= 0")
    obs = ~np.isnan(x)
    colmin = np.min(np.where(obs, x, np.inf), axis=0)
    neg = colmin < 0
    notes: list[str] = []
    translated = np.zeros(x.shape[-1])
    if neg.any():
        if negative_shift is None:
            first = [(nm[j], int(np.flatnonzero(obs[:, j] & (x[:, j] < 0))[0]))
                     for j in np.flatnonzero(neg)]
            raise MethodError(
                "entropy weights need non-negative values; negative values in "
                + ", ".join(f"{c} (row {r})" for c, r in first),
                ["entropy weights change with any shift (field case B09): normalise first "
                 "(e.g. min-max), or set negative_shift (e.g. 0.01) to translate these "
                 "children by |min| + shift, which is recorded"],
            )
        translated = np.where(neg, -colmin + negative_shift, 0.0)
        notes.append("entropy: children with negative values translated by |min| + "
                     f"{negative_shift:g}: " + ", ".join(
                         f"{nm[j]} +{translated[j]:.6g}" for j in np.flatnonzero(neg)))
    if shift:
        notes.append(f"entropy: {shift:g} added to every value before the shares")
    xs = x + translated + shift
    n = obs.sum(axis=0)
    if (n < 2).any():
        raise MethodError(f"entropy weights need at least 2 observed values per child; "
                          f"{[nm[j] for j in np.flatnonzero(n < 2)]} have fewer")
    total = np.sum(np.where(obs, xs, 0.0), axis=0)
    zero = [nm[j] for j in np.flatnonzero(~(total > 0))]
    if zero:
        raise MethodError(f"entropy weights: child(ren) {zero} are zero for every unit, so "
                          "their shares are undefined", ["drop them, or set shift"])
    p = np.where(obs, xs, 0.0) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    d = np.where(np.abs(d) < 1e-12, 0.0, d)  # a uniform child: 1 - e is rounding noise
    if not d.sum() > 0:
        raise MethodError("entropy weights: every child is spread evenly over the units "
                          "(entropy 1), so no child carries information to weight by")
    return WeightResult(d / d.sum(), {"entropy": e, "divergence": d, "translated":
                                      translated + shift}, notes)


def critic_weights(
    x: np.ndarray, *, ddof: int = 1, names: Sequence[str] | None = None
) -> WeightResult:
    r"""CRITIC weights: contrast (standard deviation) times conflict (low correlation).

    .. math:: C_j = \sigma_j \sum_k (1 - r_{jk}), \qquad w_j = C_j / \sum_k C_k

    on the data rescaled by min-max onto [0, 1] (so that :math:`\sigma_j` is comparable),
    complete cases, Pearson correlations. Diakoulaki D., Mavrotas G., Papayannakis L. (1995),
    Determining objective weights in multiple criteria problems: the CRITIC method,
    *Computers & Operations Research* 22(7), 763-770. ``ddof=1``: sample standard deviation.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_children)
        Oriented data.
    ddof : {0, 1}
    names : sequence of str, optional

    Returns
    -------
    WeightResult
        ``info``: ``sd``, ``correlation``, ``information`` (C_j).

    Raises
    ------
    MethodError
        Fewer than 3 complete rows or 2 children; a child that does not vary.

    Examples
    --------
    >>> x = np.array([[1.0, 5.0], [2.0, 3.0], [3.0, 4.0]])
    >>> critic_weights(x).weights.round(6).tolist()
    [0.5, 0.5]
    """
    x = np.asarray(x, dtype=float)
    nm = _names(names, x.shape[-1])
    if x.shape[-1] < 2:
        raise MethodError("CRITIC weights need at least two children in a group")
    xc, notes = _complete_rows(x, nm, "CRITIC", 3)
    lo, hi = xc.min(axis=0), xc.max(axis=0)
    z = (xc - lo) / (hi - lo)
    sd = z.std(axis=0, ddof=ddof)
    r = np.corrcoef(z, rowvar=False)
    info = sd * (1.0 - r).sum(axis=0)
    if not info.sum() > 0:
        raise MethodError("CRITIC weights: the children are perfectly correlated, so none "
                          "carries information of its own")
    return WeightResult(info / info.sum(), {"sd": sd, "correlation": r, "information": info},
                        notes)


def _corr_with(children: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Pearson correlation of each child with the parent, pairwise complete."""
    ok = ~np.isnan(children) & ~np.isnan(parent)[:, None]
    n = ok.sum(axis=0)
    c = np.where(ok, children, 0.0)
    p = np.where(ok, parent[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mc = c.sum(axis=0) / n
        mp = p.sum(axis=0) / n
        dc = np.where(ok, c - mc, 0.0)
        dp = np.where(ok, p - mp, 0.0)
        return (dc * dp).sum(axis=0) / np.sqrt((dc**2).sum(axis=0) * (dp**2).sum(axis=0))


def balance_weights(
    x: np.ndarray,
    target: Sequence[float] | None = None,
    *,
    names: Sequence[str] | None = None,
    min_share: float = 0.0,
    tol: float = 1e-10,
) -> WeightResult:
    r"""Optimised weights: the children correlate with their parent in the proportions asked.

    Find weights :math:`w \ge 0`, :math:`\sum w = 1`, such that with the parent
    :math:`y = \sum_j w_j x_j` (weighted arithmetic mean, weights renormalised over available
    children) the Pearson correlations :math:`\rho_j = \mathrm{corr}(x_j, y)` satisfy

    .. math:: \min_w \sum_j \left(\frac{\rho_j}{\sum_k \rho_k} - t_j\right)^2

    with :math:`t` the normalised target importances (default equal). COINr
    ``get_opt_weights(optype = "balance")``; Becker W., Paruolo P., Saisana M., Saltelli A.
    (2017), Weights and importance in composite indicators: closing the gap, *Ecological
    Indicators* 80, 12-22. Unlike COINr (Nelder-Mead on unconstrained weights, reltol 0.1),
    the weights here are constrained to be non-negative (SLSQP on the simplex, tight tolerance):
    a negative weight is not a weight. When the target cannot be reached with non-negative
    weights the best attainable proportions are returned and a note says so (B2: ASEM level 3,
    target (1, 2): COINr reaches it only with Conn -0.1).

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_children)
        Children scores (normalised indicators or aggregates).
    target : sequence of float, optional
        Relative importances (default equal).
    names : sequence of str, optional
    min_share : float
        Availability threshold used when building the parent (as the aggregation).
    tol : float
        Optimiser tolerance.

    Returns
    -------
    WeightResult
        ``info``: ``correlation`` (rho at the optimum), ``proportion`` (rho / sum rho),
        ``target``, ``objective``.

    Raises
    ------
    MethodError
        A target of the wrong length or with negative entries; fewer than 2 children; fewer
        than 3 complete observations; correlations that are undefined or sum to 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2)) * [1.0, 3.0]
    >>> r = balance_weights(x)
    >>> r.info["proportion"].round(3).tolist()
    [0.5, 0.5]
    """
    x = np.asarray(x, dtype=float)
    k = x.shape[-1]
    nm = _names(names, k)
    if k < 2:
        raise MethodError("optimised weights need at least two children in a group")
    t = np.ones(k) if target is None else np.asarray(target, dtype=float)
    if t.shape != (k,) or (t < 0).any() or not t.sum() > 0:
        raise MethodError(f"target importances must be {k} non-negative numbers for {nm}, "
                          f"got {list(np.atleast_1d(t))}")
    t = t / t.sum()
    complete = int((~np.isnan(x)).all(axis=-1).sum())
    if complete < 3:
        raise MethodError(f"optimised weights for {nm} need at least 3 observations with every "
                          f"child present (a correlation of 2 points is always +-1); got "
                          f"{complete}")

    def props(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = arithmetic_mean(x, np.clip(w, 0.0, None) + 1e-15, min_share=min_share)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = _corr_with(x, y)
            return rho, rho / rho.sum()

    def objective(w: np.ndarray) -> float:
        _, pr = props(w)
        val = float(np.sum((pr - t) ** 2))
        return val if np.isfinite(val) else 1e6

    from scipy.optimize import minimize  # (imported when used: scipy is slow to import)

    res = minimize(objective, t, method="SLSQP", bounds=[(0.0, 1.0)] * k,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
                   options={"ftol": tol, "maxiter": 1000})
    w = np.clip(res.x, 0.0, None)
    w = w / w.sum()
    rho, pr = props(w)
    if not np.isfinite(pr).all():
        raise MethodError(f"optimised weights for {nm} are undefined: a child's correlation "
                          "with the parent is undefined (a constant child) or the correlations "
                          "sum to 0", ["use equal or manual weights for this group"])
    notes = []
    if np.max(np.abs(pr - t)) > 1e-3:
        notes.append("optimised weights: target proportions " + ", ".join(
            f"{c} {v:.3f}" for c, v in zip(nm, t, strict=True)) + " not reachable with "
            "non-negative weights; best attained " + ", ".join(
            f"{c} {v:.3f}" for c, v in zip(nm, pr, strict=True)))
    return WeightResult(w, {"correlation": rho, "proportion": pr, "target": t,
                            "objective": float(np.sum((pr - t) ** 2)),
                            "converged": bool(res.success)}, notes)


def benefit_of_the_doubt(
    x: np.ndarray, *, min_share: float = 0.0, names: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Benefit-of-the-Doubt scores and weights (constant-returns DEA without inputs).

    For each unit :math:`i`: :math:`\max_{w \ge 0} \sum_j w_j y_{ij}` subject to
    :math:`\sum_j w_j y_{kj} \le 1` for every unit :math:`k`. Each unit gets the weights that
    show it in the best light; the best unit on any single child scores 1 and every score is at
    most 1 (B10). Melyn W., Moesen W. (1991), Towards a synthetic indicator of macroeconomic
    performance, KU Leuven; Cherchye L., Moesen W., Rogge N., Van Puyenbroeck T. (2007), An
    introduction to 'benefit of the doubt' composite indicators, *Social Indicators Research*
    82, 111-145; OECD/JRC Handbook (2008), section 6.1.4; Compind ``ci_bod``.

    All units of a slice are solved in one sparse linear programme (``scipy.optimize.linprog``,
    HiGHS): the blocks are independent, so the optimum of the sum is the optimum of each.
    A unit with missing children is compared only on its available children, against the
    units that have all of them; units below ``min_share`` are NaN. The optimal weights are
    not unique in general; the scores are.

    Parameters
    ----------
    x : ndarray of shape (..., n_units, n_children)
        Non-negative, oriented scores.
    min_share : float
    names : sequence of str, optional

    Returns
    -------
    scores : ndarray of shape (..., n_units)
    weights : ndarray of shape (..., n_units, n_children)
        The DEA multipliers (scores are ``sum(weights * x)``); NaN for unscored units.

    Raises
    ------
    MethodError
        Negative values; the solver failing.

    Examples
    --------
    >>> s, w = benefit_of_the_doubt(np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0],
    ...                                       [1.0, 1.0]]))
    >>> s.round(6).tolist()
    [1.0, 0.8, 1.0, 0.4]
    """
    x = np.asarray(x, dtype=float)
    if x.ndim < 2:
        raise MethodError("Benefit-of-the-Doubt needs x of shape (..., n_units, n_children)")
    if (x < 0).any():
        cols = sorted(set(np.argwhere(x < 0)[:, -1].tolist()))
        label = [names[c] for c in cols] if names is not None else cols
        raise MethodError(f"Benefit-of-the-Doubt needs non-negative scores; negative values "
                          f"in {label}", ["normalise onto a non-negative range first"])
    lead = x.shape[:-2]
    u, c = x.shape[-2:]
    flat = x.reshape(-1, u, c)
    scores = np.full(flat.shape[:2], np.nan)
    weights = np.full(flat.shape, np.nan)
    for s in range(flat.shape[0]):  # one LP per slice (period or replication), not per unit
        scores[s], weights[s] = _bod_slice(flat[s], min_share)
    return scores.reshape(*lead, u), weights.reshape(*lead, u, c)


def _bod_slice(y: np.ndarray, min_share: float) -> tuple[np.ndarray, np.ndarray]:
    u, c = y.shape
    obs = ~np.isnan(y)
    share = obs.sum(axis=1) / c
    scored = (share >= min_share - 1e-12) & obs.any(axis=1)
    idx = np.flatnonzero(scored)
    out_s = np.full(u, np.nan)
    out_w = np.full((u, c), np.nan)
    if idx.size == 0:
        return out_s, out_w
    y0 = np.where(obs, y, 0.0)
    avail = obs[idx]  # (n_blocks, c): children of each scored unit
    # unit k is a reference for unit i when k has every child that i has
    ref = (obs[None, :, :] | ~avail[:, None, :]).all(axis=2)  # (n_blocks, u)
    if obs.all():
        # with complete data, a unit dominated by another (<= on every child) gives a
        # redundant constraint (w >= 0): keep only the non-dominated units (same optimum)
        ge = (y0[:, None, :] >= y0[None, :, :]).all(axis=2)  # ge[a, b]: a >= b everywhere
        gt = (y0[:, None, :] > y0[None, :, :]).any(axis=2)
        earlier = np.tri(u, k=-1, dtype=bool).T  # a < b: among equal rows keep the first
        dominated = (ge & (gt | earlier)).any(axis=0)
        ref = ref & ~dominated[None, :]
    mask = ref[:, :, None] & avail[:, None, :] & (y0[None, :, :] != 0)  # (n_blocks, u, c)
    b, k, j = np.nonzero(mask)
    n_rows = idx.size * u
    import scipy.sparse as sp  # (imported when used: scipy is slow to import)
    from scipy.optimize import linprog

    a = sp.csr_matrix((y0[k, j], (b * u + k, b * c + j)), shape=(n_rows, idx.size * c))
    obj = -y0[idx].reshape(-1)
    # w_j <= 1 / (largest value of child j among the unit's reference units): implied by the
    # constraints (a reference unit scores at most 1), stated to keep the weights of children
    # worth 0 bounded. Only reference units count: a unit that lacks one of the unit's
    # children (or takes no part, below min_share) does not constrain its weights.
    refmax = np.max(np.where(ref[:, :, None], y0[None, :, :], 0.0), axis=1)  # (n_blocks, c)
    ub = np.where(avail, np.where(refmax > 0, 1.0 / np.where(refmax > 0, refmax, 1.0), 0.0),
                  0.0).reshape(-1)
    res = linprog(obj, A_ub=a, b_ub=np.ones(n_rows), bounds=np.c_[np.zeros_like(ub), ub],
                  method="highs")
    if res.status != 0:
        raise MethodError(f"Benefit-of-the-Doubt: the linear programme failed ({res.message})")
    w = res.x.reshape(idx.size, c)
    out_w[idx] = np.where(obs[idx], w, np.nan)
    out_s[idx] = np.minimum(np.sum(w * y0[idx], axis=1), 1.0)
    return out_s, out_w
