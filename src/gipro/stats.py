"""Indicator statistics: one row per indicator with its distribution and the flags that call
for a closer look before building an index (COINr's ``get_stats``).

For one period of a data set (by default the build's ``raw`` data, last period): availability,
minimum, maximum, mean, median, standard deviation, skew and kurtosis; the number and share
of zeros, of distinct values and of the most common value; and flags, with COINr's defaults
(Becker et al. 2022, ``get_stats``): availability below 65 % (``LOW``), non-zero values
below 50 % of the units (``LOW``), distinct values below 50 % of the units (``LOW``), and
possible outliers when ``|skew| > 2`` and ``kurtosis > 3.5`` (``OUT``: the rule of the
``treat`` step). gipro adds constant and near-constant columns (one value; the most common
value at least 80 % of the observed) and collinearity: pairs of indicators of one group
(siblings in the framework) whose Pearson correlation exceeds 0.9 in absolute value (COINr's
``get_corr_flags`` default), the pair and ``r`` named.

References
----------
Becker, W., Caperna, G., Del Sorbo, M., Norlén, H., Papadimitriou, E., Saisana, M. (2022).
COINr: An R package for developing composite indicators. *JOSS* 7(78), 4567
(``get_stats``, ``get_corr_flags``). OECD/JRC (2008), *Handbook on Constructing Composite
Indicators*, step 4 (multivariate analysis) and step 3 (outliers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputError
from .methods.treat import skew_kurt

if TYPE_CHECKING:  # pragma: no cover
    from .build import Build

__all__ = ["Thresholds", "indicator_stats", "stats_table"]


@dataclass(frozen=True)
class Thresholds:
    """Flag thresholds (COINr's ``get_stats`` defaults, and gipro's ``same`` and ``corr``).

    Attributes
    ----------
    skew, kurt : float
        Possible outliers when ``|skew| > skew`` and ``kurtosis > kurt`` (2, 3.5).
    avail : float
        ``LOW`` availability when the share of units with a value is below (0.65).
    zero : float
        ``LOW`` when the non-zero values are fewer than this share of the units (0.5).
    unique : float
        ``LOW`` when the distinct values are fewer than this share of the units (0.5).
    same : float
        Near-constant when the most common value is at least this share of the observed
        values (0.8).
    corr : float
        Collinear when ``|r| > corr`` between two indicators of one group (0.9).
    """

    skew: float = 2.0
    kurt: float = 3.5
    avail: float = 0.65
    zero: float = 0.5
    unique: float = 0.5
    same: float = 0.8
    corr: float = 0.9


def stats_table(x: np.ndarray, codes: list[str], groups: dict[str, str | None] | None = None,
                thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """Statistics of the columns of one table.

    Parameters
    ----------
    x : ndarray of shape (n_units, n_indicators)
        Values, NaN = missing.
    codes : list of str
        Column codes.
    groups : mapping of code to group, optional
        The group (framework parent) of each column; collinearity is checked within groups
        (all columns one group when not given).
    thresholds : Thresholds

    Returns
    -------
    pandas.DataFrame
        One row per column: ``indicator, n_units, n_available, availability, min, max, mean,
        median, sd, skew, kurtosis, n_zero, share_zero, n_unique, share_unique, share_same,
        flag_availability, flag_zero, flag_unique, flag_outliers, constant, near_constant,
        collinear``. ``sd`` is the sample standard deviation (n - 1), skew and kurtosis
        COINr's (:func:`gipro.methods.treat.skew_kurt`, excess kurtosis). Shares of zeros,
        distinct values and the most common value are of the observed values; the ``LOW``
        flags of zeros and distinct values compare counts with the number of units, as
        COINr does. Statistics of a column without values are NaN.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, np.nan], [4.0, 5.0]])
    >>> t = stats_table(x, ["a", "b"])
    >>> t[["indicator", "availability", "mean", "sd", "share_zero", "flag_zero"]]
      indicator  availability      mean        sd  share_zero flag_zero
    0         a          1.00  2.500000  1.290994    0.000000        ok
    1         b          0.75  1.666667  2.886751    0.666667       LOW
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(codes):
        raise InputError(f"stats_table: x must be (n_units, {len(codes)}), got {x.shape}")
    n = x.shape[0]
    obs = ~np.isnan(x)
    n_av = obs.sum(axis=0)
    with np.errstate(all="ignore"):
        sk, ku = skew_kurt(x, axis=0)
    rows = []
    for k, code in enumerate(codes):
        v = x[obs[:, k], k]
        if v.size:
            uniq, counts = np.unique(v, return_counts=True)
            n_same = int(counts.max())
        else:
            uniq, n_same = np.array([]), 0
        n_zero = int((v == 0).sum())
        nz = int(v.size - n_zero)
        n_obs = v.size
        rows.append({
            "indicator": code, "n_units": n, "n_available": int(n_av[k]),
            "availability": n_av[k] / n if n else np.nan,
            "min": v.min() if v.size else np.nan, "max": v.max() if v.size else np.nan,
            "mean": v.mean() if v.size else np.nan,
            "median": float(np.median(v)) if v.size else np.nan,
            "sd": v.std(ddof=1) if v.size > 1 else np.nan,
            "skew": float(sk[k]), "kurtosis": float(ku[k]),
            "n_zero": n_zero, "share_zero": n_zero / n_obs if n_obs else np.nan,
            "n_unique": int(uniq.size),
            "share_unique": uniq.size / n_obs if n_obs else np.nan,
            "share_same": n_same / n_obs if n_obs else np.nan,
            "flag_availability": "ok" if n and n_av[k] / n >= thresholds.avail else "LOW",
            "flag_zero": "ok" if n and nz / n >= thresholds.zero else "LOW",
            "flag_unique": "ok" if n and uniq.size / n >= thresholds.unique else "LOW",
            "flag_outliers": ("OUT" if np.isfinite(sk[k]) and np.isfinite(ku[k])
                              and abs(sk[k]) > thresholds.skew and ku[k] > thresholds.kurt
                              else "ok"),
            "constant": bool(uniq.size == 1),
            "near_constant": bool(uniq.size > 1 and n_same / v.size >= thresholds.same),
        })
    out = pd.DataFrame(rows)
    out["collinear"] = _collinear(x, codes, groups, thresholds.corr)
    return out


def _collinear(x: np.ndarray, codes: list[str], groups: dict[str, str | None] | None,
               limit: float) -> list[str]:
    """For each column, the columns of its group with ``|r| > limit`` (pairwise complete
    observations, at least 3), as ``"b (r = 0.95)"``."""
    grp = groups or {c: "" for c in codes}
    out: list[list[str]] = [[] for _ in codes]
    for i in range(len(codes)):
        for j in range(i + 1, len(codes)):
            if grp.get(codes[i]) is None or grp.get(codes[i]) != grp.get(codes[j]):
                continue
            both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            if both.sum() < 3:
                continue
            a, b = x[both, i], x[both, j]
            if a.std() == 0 or b.std() == 0:
                continue
            r = float(np.corrcoef(a, b)[0, 1])
            if abs(r) > limit:
                out[i].append(f"{codes[j]} (r = {r:.2f})")
                out[j].append(f"{codes[i]} (r = {r:.2f})")
    return ["; ".join(o) for o in out]


def indicator_stats(build: Build, dataset: str = "raw", period: int | str | None = None,
                    thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """Indicator statistics of a build's data set (COINr ``get_stats``), see the module.

    Parameters
    ----------
    build : Build
        A build (run or not: the ``raw`` data are there before running).
    dataset : str
        Data set name (``raw``, ``denominated``, ``treated``...; other than ``raw`` the
        build must have been run).
    period : int, "all" or None
        One period (default: the last), or ``"all"`` for one block of rows per period.
    thresholds : Thresholds

    Returns
    -------
    pandas.DataFrame
        :func:`stats_table` with ``period``, the indicator's ``name`` and ``unit`` first.

    Raises
    ------
    InputError
        Unknown data set or period.
    """
    fw = build.framework
    if dataset == "raw" and "raw" not in build.datasets:
        values = build.panel.cube(fw.indicator_codes, build.periods)
        periods, codes = list(build.periods), list(fw.indicator_codes)
    else:
        if dataset not in build.datasets:
            raise InputError(f"no data set {dataset!r}"
                             + ("" if build.datasets else " (the build has not been run)"),
                             [f"data sets: {', '.join(build.datasets) or 'raw'}"])
        ds = build.datasets[dataset]
        periods = list(ds.periods)
        codes = [c for c in ds.codes if c in set(fw.indicator_codes)]
        values = ds.values[:, :, [list(ds.codes).index(c) for c in codes]]
    if period is None:
        chosen = [periods[-1]]
    elif period == "all":
        chosen = periods
    elif period in periods:
        chosen = [int(period)]
    else:
        raise InputError(f"period {period!r} is not in data set {dataset!r}",
                         [f"periods: {periods[0]}-{periods[-1]}, or 'all'"])
    groups = {c: fw.node(c).parent for c in codes}
    blocks = []
    for p in chosen:
        t = stats_table(values[periods.index(p)], codes, groups, thresholds)
        t.insert(0, "period", p)
        t.insert(2, "name", [fw.node(c).label() for c in codes])
        t.insert(3, "unit", [fw.node(c).unit for c in codes])
        blocks.append(t)
    return pd.concat(blocks, ignore_index=True)
