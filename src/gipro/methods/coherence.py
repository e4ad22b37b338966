"""Statistical coherence kernels (the basis of the coherence audit).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 4 (multivariate
analysis: Cronbach's alpha); COINr ``get_cronbach`` (B2).
"""

from __future__ import annotations

import numpy as np

from ..errors import MethodError

__all__ = ["cronbach_alpha", "pairwise_covariance"]


def pairwise_covariance(x: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Covariance matrix from pairwise complete observations.

    Each entry uses the rows where both columns are observed, with means taken over those rows
    (R's ``cov(use = "pairwise.complete.obs")``, pandas ``DataFrame.cov``). Vectorised over the
    pairs: no loop.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_vars)
        NaN for missing.
    ddof : int
        1 for the sample covariance.

    Returns
    -------
    cov : ndarray of shape (n_vars, n_vars)
        NaN where a pair has ``<= ddof`` common observations.
    n : ndarray of shape (n_vars, n_vars)
        Number of common observations.

    Examples
    --------
    >>> c, n = pairwise_covariance(np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 7.0]]))
    >>> c.tolist(), n.tolist()
    ([[1.0, 5.0], [5.0, 12.5]], [[3, 2], [2, 2]])
    """
    x = np.asarray(x, dtype=float)
    m = (~np.isnan(x)).astype(float)
    x0 = np.where(m > 0, x, 0.0)
    n = m.T @ m  # common observations per pair
    sxy = x0.T @ x0  # sum x_j x_k over common rows
    sx = x0.T @ m  # [j, k]: sum of x_j over rows where k is also observed
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sx.T / n) / (n - ddof)
    return np.where(n > ddof, cov, np.nan), n.astype(int)


def cronbach_alpha(x: np.ndarray, *, pairwise: bool = True) -> float:
    r"""Cronbach's alpha of a group of indicators (internal consistency).

    .. math:: \alpha = \frac{k}{k - 1}\left(1 - \frac{\sum_j \sigma^2_j}{\sum_{j,l}
              \sigma_{jl}}\right) = \frac{k^2 \bar{\sigma}_{jl, j \ne l}}{\sum_{j,l}
              \sigma_{jl}}

    Cronbach L.J. (1951), Coefficient alpha and the internal structure of tests,
    *Psychometrika* 16, 297-334; OECD/JRC Handbook (2008), section 4.1. With
    ``pairwise=True`` each covariance uses the pairwise complete observations, as COINr's
    ``get_cronbach`` (B2: ASEM P2P raw data, alpha = 0.05126659); otherwise only complete rows.

    Parameters
    ----------
    x : ndarray of shape (n_obs, k)
    pairwise : bool

    Returns
    -------
    float

    Raises
    ------
    MethodError
        Fewer than 2 indicators, or a covariance that cannot be computed.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 3.0], [3.0, 5.0, 4.0], [4.0, 4.0, 6.0]])
    >>> round(cronbach_alpha(x), 6)
    0.9
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise MethodError("Cronbach's alpha needs x of shape (n_obs, k) with k >= 2")
    if not pairwise:
        x = x[~np.isnan(x).any(axis=1)]
    cov, _ = pairwise_covariance(x)
    if np.isnan(cov).any():
        raise MethodError("Cronbach's alpha: some covariances cannot be computed (too few "
                          "common observations)")
    k = x.shape[1]
    total = cov.sum()
    if not total > 0:
        raise MethodError("Cronbach's alpha: the total variance of the group is not positive")
    off = cov[~np.eye(k, dtype=bool)].mean()
    return float(k * k * off / total)
