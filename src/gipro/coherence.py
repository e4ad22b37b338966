"""Statistical coherence audit of a build (JRC audit practice; OECD/JRC Handbook 2008, step 4).

Is the index's structure borne out by its data? Four tidy tables for one period of a run
build (the final data set: normalised indicators and every aggregate):

* :func:`correlations` -- Pearson or Spearman correlations, with two-sided p-values and the
  number of units, for every pair of nodes of the same level (``siblings`` when they share a
  parent) and every node with each of its ancestors (``parent``, ``ancestor``). Flags:
  ``negative`` (r < 0) and ``weak`` (0 <= r < ``weak``, default 0.3) for a node against its
  parent or an ancestor -- it does not move with the aggregate it is meant to build;
  ``negative`` and ``redundant`` (r > ``redundant``, default 0.9) between siblings -- the
  first pulls its aggregate against the others, the second double-counts one thing;
* :func:`cronbach` -- Cronbach's alpha of each aggregate's children;
* :func:`pca` -- per aggregate, the principal components of its children's correlation
  matrix: the share of variance of the first one (a single latent dimension explains a group
  when it is high) and the number of eigenvalues above 1 (Kaiser);
* :func:`importance` -- each child's *main effect* on its aggregate (or on any ancestor),
  Pearson's correlation ratio :math:`S_i = V(E(y \\mid x_i)) / V(y)` (Paruolo, Saisana &
  Saltelli 2013), next to its nominal weight: in a linear index with correlated indicators
  the stated weights are rarely the importance the data give them.

The correlation ratio is estimated by a **local-linear kernel smoother** (Gaussian kernel;
Fan & Gijbels 1996), the bandwidth chosen per indicator by leave-one-out cross-validation over
a grid of 25 bandwidths from 0.1 to 3 standard deviations of the indicator (a large bandwidth
is the straight-line fit, whose :math:`S_i` is the squared Pearson correlation); :math:`S_i`
is the variance of the smoothed values over the variance of the target (population
variances). The smoother and its bandwidth are reported in the table.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 4 (multivariate
analysis). Saisana M., Saltelli A. (2011), JRC statistical audits. Paruolo P., Saisana M.,
Saltelli A. (2013), Ratings and rankings: voodoo or science?, *JRSS A* 176(3), 609-634,
doi:10.1111/j.1467-985X.2012.01059.x. Fan J., Gijbels I. (1996), *Local Polynomial Modelling
and its Applications*, Chapman & Hall. Cronbach L.J. (1951), *Psychometrika* 16, 297-334.
COINr (Becker et al. 2022): ``get_corr``, ``get_corr_flags``, ``get_cronbach``, ``get_PCA``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InputError, MethodError
from .methods.coherence import cronbach_alpha
from .results import wide_table

if TYPE_CHECKING:  # pragma: no cover
    from .build import Build

__all__ = ["audit", "correlation_matrix", "correlations", "cronbach", "importance",
           "local_linear_main_effect", "pca"]


def correlation_matrix(x: np.ndarray, method: str = "pearson"
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correlations of the columns of ``x`` from pairwise complete observations, with p-values.

    Parameters
    ----------
    x : ndarray of shape (n_obs, k)
        NaN = missing.
    method : {"pearson", "spearman"}
        Spearman = Pearson on the ranks (average ties) of the pairwise complete values.

    Returns
    -------
    r, p, n : ndarray of shape (k, k)
        Correlation, two-sided p-value of :math:`H_0: \\rho = 0` from
        :math:`t = r\\sqrt{(n-2)/(1-r^2)}` with n - 2 degrees of freedom (as
        :func:`scipy.stats.pearsonr` and :func:`scipy.stats.spearmanr`), and the number of
        pairwise complete observations. NaN where n < 3 or a column is constant.

    Raises
    ------
    MethodError
        Unknown method.

    Examples
    --------
    >>> r, p, n = correlation_matrix(np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 5.9], [4, 8]]))
    >>> round(float(r[0, 1]), 4), int(n[0, 1])
    (0.9995, 4)
    """
    if method not in ("pearson", "spearman"):
        raise MethodError(f"method must be 'pearson' or 'spearman', got {method!r}")
    frame = pd.DataFrame(np.asarray(x, dtype=float))
    r = frame.corr(method=method).to_numpy()
    m = (~np.isnan(frame.to_numpy())).astype(float)
    n = (m.T @ m).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = np.clip(r, -1.0, 1.0)
        t = rr * np.sqrt((n - 2) / (1.0 - rr * rr))
        p = 2.0 * stats.t.sf(np.abs(t), n - 2)
    p = np.where(np.abs(rr) >= 1.0, 0.0, p)
    bad = (n < 3) | np.isnan(r)
    return np.where(bad, np.nan, r), np.where(bad, np.nan, p), n


def _table(build: Build, period: int | None, dataset: str | None) -> pd.DataFrame:
    build.require_run()
    return wide_table(build, period, dataset=dataset)


def _ancestors(fw, code: str) -> list[str]:
    out = []
    parent = fw.node(code).parent
    while parent is not None:
        out.append(parent)
        parent = fw.node(parent).parent
    return out


def correlations(build: Build, period: int | None = None, *, method: str = "pearson",
                 dataset: str | None = None, weak: float = 0.3, redundant: float = 0.9
                 ) -> pd.DataFrame:
    """Correlations within and between levels, with p-values and flags (see the module).

    Parameters
    ----------
    build : Build
        A run build.
    period : int, optional
        Default: the last period.
    method : {"pearson", "spearman"}
    dataset : str, optional
        Default: the final data set.
    weak, redundant : float
        Flag thresholds.

    Returns
    -------
    pandas.DataFrame
        ``code, level, other, other_level, relation, method, r, p_value, n, flag``;
        ``relation`` is ``siblings``, ``same level``, ``parent`` or ``ancestor``; ``flag`` is
        ``negative``, ``weak``, ``redundant`` or empty.

    Raises
    ------
    InputError
        Unknown period or data set.
    """
    fw = build.framework
    t = _table(build, period, dataset)
    codes = list(t.columns)
    r, p, n = correlation_matrix(t.to_numpy(), method)
    ix = {c: i for i, c in enumerate(codes)}
    rows = []
    for a in codes:
        la = fw.level(a)
        for b in codes[ix[a] + 1:]:
            if fw.level(b) == la:
                rel = "siblings" if fw.node(a).parent == fw.node(b).parent else "same level"
                rows.append((a, la, b, la, rel))
        for k, anc in enumerate(_ancestors(fw, a)):
            if anc in ix:
                rows.append((a, la, anc, fw.level(anc), "parent" if k == 0 else "ancestor"))
    out = pd.DataFrame(rows, columns=["code", "level", "other", "other_level", "relation"])
    i = out["code"].map(ix).to_numpy(dtype=int)
    j = out["other"].map(ix).to_numpy(dtype=int)
    out["method"] = method
    out["r"] = r[i, j]
    out["p_value"] = p[i, j]
    out["n"] = n[i, j]
    flag = np.full(len(out), "", dtype=object)
    up = out["relation"].isin(["parent", "ancestor"]).to_numpy()
    sib = (out["relation"] == "siblings").to_numpy()
    rv = out["r"].to_numpy()
    with np.errstate(invalid="ignore"):
        flag[(up | sib) & (rv < 0)] = "negative"
        flag[up & (rv >= 0) & (rv < weak)] = "weak"
        flag[sib & (rv > redundant)] = "redundant"
    out["flag"] = flag
    return out


def _groups(build: Build, t: pd.DataFrame) -> list[tuple[str, list[str]]]:
    fw = build.framework
    return [(a, [c for c in fw.children(a) if c in t.columns]) for a in fw.aggregate_codes]


def cronbach(build: Build, period: int | None = None, *, dataset: str | None = None
             ) -> pd.DataFrame:
    """Cronbach's alpha of each aggregate's children (pairwise covariances, as COINr).

    Returns
    -------
    pandas.DataFrame
        ``code, level, children, n, alpha``; ``alpha`` NaN (with ``note``) for groups of one
        child or without enough common observations.
    """
    t = _table(build, period, dataset)
    rows = []
    for agg, kids in _groups(build, t):
        note, alpha = "", np.nan
        if len(kids) < 2:
            note = "fewer than 2 children"
        else:
            try:
                alpha = cronbach_alpha(t[kids].to_numpy())
            except MethodError as exc:
                note = exc.message
        rows.append({"code": agg, "level": build.framework.level(agg), "children": len(kids),
                     "n": int(t[kids].notna().all(axis=1).sum()) if kids else 0,
                     "alpha": alpha, "note": note})
    return pd.DataFrame(rows)


def pca(build: Build, period: int | None = None, *, dataset: str | None = None
        ) -> pd.DataFrame:
    """Principal components of each aggregate's children (correlation matrix, complete rows).

    Returns
    -------
    pandas.DataFrame
        ``code, level, children, n, pc1_share, n_eigen_above_1, eigenvalues, note``:
        ``pc1_share`` is the largest eigenvalue of the children's correlation matrix over the
        number of children (the share of their variance the first component explains).
    """
    t = _table(build, period, dataset)
    rows = []
    for agg, kids in _groups(build, t):
        x = t[kids].dropna().to_numpy() if kids else np.empty((0, 0))
        row = {"code": agg, "level": build.framework.level(agg), "children": len(kids),
               "n": int(x.shape[0]), "pc1_share": np.nan, "n_eigen_above_1": np.nan,
               "eigenvalues": "", "note": ""}
        sd = x.std(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros(len(kids))
        if len(kids) < 2:
            row["note"] = "fewer than 2 children"
        elif x.shape[0] < 3 or not (sd > 0).all():
            row["note"] = "too few complete units or a constant child"
        else:
            ev = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[::-1]
            row.update(pc1_share=float(ev[0] / len(kids)), n_eigen_above_1=int((ev > 1).sum()),
                       eigenvalues=" ".join(f"{v:.4g}" for v in ev))
        rows.append(row)
    return pd.DataFrame(rows)


_BANDWIDTHS = np.geomspace(0.1, 3.0, 25)


def local_linear_main_effect(x: np.ndarray, y: np.ndarray,
                             bandwidths: np.ndarray | None = None
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Correlation ratio :math:`S_i = V(E(y|x_i)) / V(y)` of each column by local-linear smoothing.

    For each column :math:`x_i` (standardised), :math:`E(y \mid x_i)` is estimated at every
    observation by a local-linear fit with Gaussian kernel weights
    :math:`K((x_{ij} - x_{il}) / h)` (Fan & Gijbels 1996, section 2.2); the bandwidth
    :math:`h` minimises the leave-one-out cross-validation error
    :math:`\sum_l ((y_l - \hat m_l) / (1 - L_{ll}))^2` over ``bandwidths`` (in standard
    deviations). :math:`S_i = \operatorname{var}(\hat m) / \operatorname{var}(y)` (Paruolo,
    Saisana & Saltelli 2013, eq. 6). Vectorised over columns and bandwidths.

    Parameters
    ----------
    x : ndarray of shape (n, k)
        Complete (no NaN).
    y : ndarray of shape (n,)
    bandwidths : ndarray, optional
        Candidate bandwidths in standard deviations (default 25 from 0.1 to 3).

    Returns
    -------
    s : ndarray of shape (k,)
        Main effects (NaN for a constant column).
    h : ndarray of shape (k,)
        Chosen bandwidths (standard deviations).
    r2 : ndarray of shape (k,)
        Squared Pearson correlation (the linear main effect), for comparison.

    Raises
    ------
    MethodError
        Fewer than 5 observations, NaN, or a constant target.

    Examples
    --------
    y = x^2 on a symmetric grid: no linear correlation, but x explains y entirely.

    >>> x = np.linspace(-1, 1, 41)[:, None]
    >>> s, h, r2 = local_linear_main_effect(x, x[:, 0] ** 2)
    >>> bool(s[0] > 0.98), round(float(r2[0]), 2)
    (True, 0.0)
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise MethodError(f"x must be (n, k) and y (n,), got {x.shape} and {y.shape}")
    if x.shape[0] < 5:
        raise MethodError("the correlation ratio needs at least 5 observations (complete "
                          f"rows of x), got {x.shape[0]}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise MethodError("local_linear_main_effect needs complete data (drop missing first)")
    vy = y.var()
    if not vy > 0:
        raise MethodError("the target does not vary: no main effect can be estimated")
    h = np.asarray(_BANDWIDTHS if bandwidths is None else bandwidths, dtype=float)
    sd = x.std(axis=0)
    const = ~(sd > 0)
    z = (x - x.mean(axis=0)) / np.where(const, 1.0, sd)  # (n, k)
    d = z.T[:, None, :] - z.T[:, :, None]  # (k, n_at, n_obs): x_obs - x_at
    kern = np.exp(-0.5 * (d[:, None] / h[None, :, None, None]) ** 2)  # (k, H, n_at, n_obs)
    s0 = kern.sum(-1)
    s1 = (kern * d[:, None]).sum(-1)
    s2 = (kern * d[:, None] ** 2).sum(-1)
    den = s0 * s2 - s1 * s1
    with np.errstate(invalid="ignore", divide="ignore"):
        lw = kern * (s2[..., None] - d[:, None] * s1[..., None]) / den[..., None]
        fit = lw @ y  # (k, H, n)
        diag = np.diagonal(lw, axis1=-2, axis2=-1)
        cv = np.mean(((y - fit) / (1.0 - diag)) ** 2, axis=-1)  # (k, H)
    cv = np.where(np.isfinite(cv) & (np.abs(den) > 1e-12 * s0 ** 2).all(-1), cv, np.inf)
    best = np.argmin(cv, axis=1)
    chosen = fit[np.arange(x.shape[1]), best]  # (k, n)
    s = chosen.var(axis=1) / vy
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ((z - z.mean(0)) * (y - y.mean())[:, None]).mean(0) / np.sqrt(vy)
    return (np.where(const, np.nan, s), np.where(const, np.nan, h[best]),
            np.where(const, np.nan, r * r))


def importance(build: Build, period: int | None = None, *, target: str | None = None,
               level: int | None = None, dataset: str | None = None) -> pd.DataFrame:
    """Main effect of each node on a target, next to its nominal weight (Paruolo et al. 2013).

    Parameters
    ----------
    build : Build
        A run build.
    period : int, optional
        Default: the last period.
    target : str, optional
        The aggregate whose variance is explained (default: the index).
    level : int, optional
        Level of the nodes assessed (default 1, the indicators). Only nodes under ``target``.
    dataset : str, optional
        Default: the final data set.

    Returns
    -------
    pandas.DataFrame
        ``code, level, parent, target, n, main_effect, main_effect_linear, bandwidth_sd,
        relative_main_effect, weight, effective_weight, relative_weight, ratio, smoother``:
        ``weight`` is the nominal weight relative to siblings (weight set of the last
        aggregate step), ``effective_weight`` its product along the path to ``target``;
        ``relative_*`` are shares of the sum over the nodes assessed, and ``ratio`` =
        relative main effect / relative weight (1 = the node matters as much as declared).

    Raises
    ------
    InputError
        Unknown target or level, target not in the data set.
    MethodError
        Fewer than 5 units with complete data (a value of the target and of every node
        assessed): the message gives both counts and lists the incomplete units with the
        codes they miss.
    """
    fw = build.framework
    target = target or fw.root
    if target not in fw.aggregate_codes:
        raise InputError(f"target {target!r} is not an aggregate of the framework")
    level = 1 if level is None else level
    if not 1 <= level < fw.level(target):
        raise InputError(f"level {level} is not below the target {target} (level "
                         f"{fw.level(target)})")
    t = _table(build, period, dataset)
    if target not in t.columns:
        raise InputError(f"target {target} is not in the data set")
    nodes = [c for c in fw.codes if fw.level(c) == level and target in _ancestors(fw, c)
             and c in t.columns]
    sub = _complete_units(t[[*nodes, target]], target, level)
    s, h, r2 = local_linear_main_effect(sub[nodes].to_numpy(), sub[target].to_numpy())
    set_name = "framework"
    agg_steps = [e for e in build.log if e.step == "aggregate" and not e.skipped]
    if agg_steps:
        set_name = agg_steps[-1].params.get("weights", "framework")
    ws = build.weight_set(set_name)
    weight = np.array([_relative(fw, ws.weights, c) for c in nodes])
    eff = np.array([_effective(fw, ws.weights, c, target) for c in nodes])
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_s = s / np.nansum(s)
        rel_w = eff / eff.sum()
        ratio = rel_s / rel_w
    return pd.DataFrame({
        "code": nodes, "level": level, "parent": [fw.node(c).parent for c in nodes],
        "target": target, "n": len(sub), "main_effect": s, "main_effect_linear": r2,
        "bandwidth_sd": h, "relative_main_effect": rel_s, "weight": weight,
        "effective_weight": eff, "relative_weight": rel_w, "ratio": ratio,
        "smoother": "local-linear Gaussian kernel, leave-one-out CV bandwidth"})


#: Fewest units with complete data for a main effect (the smoother's cross-validation).
MIN_UNITS = 5


def _complete_units(t: pd.DataFrame, target: str, level: int) -> pd.DataFrame:
    """The units (rows) of ``t`` with a value in every column; an error saying what is counted
    and which units miss what when fewer than :data:`MIN_UNITS` are complete."""
    ok = t.notna().all(axis=1)
    if int(ok.sum()) >= MIN_UNITS:
        return t[ok]
    codes = [c for c in t.columns if c != target]
    bad = t[~ok]
    details = [f"{u}: no {', '.join(map(str, row.index[row.isna()]))}"
               for u, row in bad.head(10).iterrows()]
    if len(bad) > 10:
        details.append(f"... and {len(bad) - 10} more units with missing values")
    details.append("impute the missing values (an impute step), or choose a period with more "
                   "data (--period)")
    name, _, period = str(t.columns.name or "").rpartition(" ")  # wide_table's "<set> <period>"
    when = f" in {period} (data set {name!r})" if name else ""
    raise MethodError(
        f"the main effects on {target}{when} need at least {MIN_UNITS} units with complete "
        f"data (a value of {target} and of each of its {len(codes)} level-{level} codes); "
        f"{int(ok.sum())} of {len(t)} units are complete, {len(bad)} have missing values",
        details)


def _relative(fw, weights: dict[str, float], code: str) -> float:
    sibs = fw.children(fw.node(code).parent)
    total = sum(weights.get(c, 0.0) for c in sibs)
    return weights.get(code, 0.0) / total if total > 0 else np.nan


def _effective(fw, weights: dict[str, float], code: str, target: str) -> float:
    out, c = 1.0, code
    while c != target:
        out *= _relative(fw, weights, c)
        c = fw.node(c).parent
    return out


def audit(build: Build, period: int | None = None, *, method: str = "pearson",
          dataset: str | None = None) -> dict[str, pd.DataFrame]:
    """Every coherence table: ``correlations``, ``cronbach``, ``pca``, ``importance``
    (indicators on the index) and ``flags`` (the flagged correlations)."""
    corr = correlations(build, period, method=method, dataset=dataset)
    return {"correlations": corr, "flags": corr[corr["flag"] != ""].reset_index(drop=True),
            "cronbach": cronbach(build, period, dataset=dataset),
            "pca": pca(build, period, dataset=dataset),
            "importance": importance(build, period, dataset=dataset)}
