r"""Leading factors of change: a unit's index change split exactly into indicator contributions.

For a build aggregated level by level with weights renormalised over the available children,
the index of unit :math:`u` in period :math:`t` is a weighted mean of its normalised indicator
scores :math:`x_{jt}` with *effective weights* :math:`w_{jt}` -- the product of the
renormalised sibling weights on the path from the indicator to the index (OECD/JRC Handbook
2008, section 6; COINr ``get_eff_weights``):

* arithmetic: :math:`I_t = \sum_j w_{jt} x_{jt}`;
* geometric: :math:`\ln I_t = \sum_j w_{jt} \ln x_{jt}`.

**Which weights.** The sibling weights are the ones the aggregate step actually used: the
weight set it names (``weights: framework`` by default, or a set made by a ``weight`` step --
manual, equal, entropy, PCA, ...; ``by_level``/``by_code`` entries may name their own set), as
the step recorded them in ``build.fitted[step]["weights"]`` (per aggregate, each child's weight).
The index is recomputed from these weights before decomposing and the decomposition is
refused if it differs by more than 1e-9 (see :func:`weights_used`). Every aggregate must use
the same method; a geometric mean with a ``shift`` :math:`s` decomposes
:math:`\ln(I_t + s) = \sum_j w_{jt} \ln(x_{jt} + s)` (the shift is added before and
subtracted after each level's mean, so the identity holds through the levels).

**Contribution of an indicator** between a base period 0 and an end period T:

* arithmetic: :math:`c_j = w_j (x_{jT} - x_{j0})` -- effective weight times change of
  normalised score; :math:`\sum_j c_j = I_T - I_0`;
* geometric: :math:`c^{\log}_j = w_j (\ln x_{jT} - \ln x_{j0})`, adding up to
  :math:`\ln I_T - \ln I_0` (reported as ``contribution_log``), and in index points
  :math:`c_j = L(I_T, I_0)\, c^{\log}_j`, which add up to :math:`I_T - I_0` because
  :math:`I_T - I_0 = L(I_T, I_0) \ln(I_T / I_0)` (the logarithmic-mean weights of LMDI-I,
  Ang 2005).

The contribution of a dimension (any aggregate) is the sum of the contributions of its
indicators; it equals its effective weight times its own change when coverage is constant.

**Coverage.** When the set of available indicators differs between the two periods, the
weights differ too. :math:`w_j` is then the effective weight over the indicators available in
*both* periods (:math:`C`), and what remains,
:math:`(I_T - I^C_T) - (I_0 - I^C_0)` with :math:`I^C` the index recomputed on :math:`C`, is
reported as a separate ``coverage`` row (0 when coverage is the same). Indicator
contributions plus coverage add up to the index change exactly.

**Bounds.** With bounds pooled over all periods (gipro's default) a change of score is a real
change. With per-period min-max bounds, each indicator's change of score
:math:`f(o_T; b_T) - f(o_0; b_0)` (:math:`o` oriented raw value, :math:`b` the period's
bounds) is split symmetrically (two-factor Shapley split, i.e. the average of evaluating at the
base and at the end bounds):
real change at fixed bounds :math:`r_j = \tfrac12[f(o_T;b_0) - f(o_0;b_0) + f(o_T;b_T) -
f(o_0;b_T)]` and bound effect :math:`\Delta x_j - r_j`. Contributions carry the same split
(``contribution_real`` + ``contribution_bounds`` = ``contribution``); in the geometric case
through :math:`\Delta \ln x_j = \Delta x_j / L(x_{jT}, x_{j0})`.

References
----------
OECD/JRC (2008) *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
sections 6 (aggregation) and 7 (effective weights, contributions).
Ang B.W. (2005) The LMDI approach to decomposition analysis: a practical guide. *Energy
Policy* 33:867-871.
Shapley L.S. (1953) A value for n-person games; two-factor form as in Dietzenbacher E., Los B.
(1998) Structural decomposition techniques: sense and sensitivity. *Economic Systems Research*
10:307-324.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .build import Build, LogEntry
from .errors import InputError, MethodError
from .framework import Framework
from .methods.lmdi import logmean
from .methods.rank import rank as _rank
from .tolerance import snap

__all__ = ["aggregate_entry", "contributions", "effective_weights", "leading_factors",
           "period_pairs", "weights_note", "weights_used"]

_SUPPORTED = ("arithmetic", "geometric")
COVERAGE = "(coverage)"


def period_pairs(build: Build, base: int | None = None, end: int | None = None,
                 consecutive: bool = False) -> list[tuple[int, int]]:
    """The (base, end) pairs to compare.

    Parameters
    ----------
    build : Build
        A run build.
    base, end : int, optional
        Periods (default: first and last of the build). ``base`` may come after ``end``
        (changes then run backwards in time).
    consecutive : bool
        ``True``: every consecutive pair of the build's periods from base to end.

    Raises
    ------
    InputError
        If a period is not in the build or base equals end.
    """
    periods = list(build.final.periods)
    if len(periods) < 2:
        raise InputError("progress needs a build with at least two periods, got "
                         f"{len(periods)}")
    base = periods[0] if base is None else int(base)
    end = periods[-1] if end is None else int(end)
    for p in (base, end):
        if p not in periods:
            raise InputError(f"period {p} is not in the build ({periods[0]}-{periods[-1]})",
                             [f"periods: {', '.join(map(str, periods))}"])
    if base == end:
        raise InputError(f"base and end periods are the same ({base})")
    if not consecutive:
        return [(base, end)]
    i0, i1 = periods.index(base), periods.index(end)
    step = 1 if i1 > i0 else -1
    return [(periods[i], periods[i + step]) for i in range(i0, i1, step)]


def aggregate_entry(build: Build) -> LogEntry:
    """The log entry of the build's last (enabled) aggregate step.

    Raises
    ------
    InputError
        The build has no aggregate step (or has not been run).
    """
    build.require_run()
    entries = [e for e in build.log if e.step == "aggregate" and not e.skipped]
    if not entries:
        raise InputError("the build has no aggregate step, so there is no index to decompose")
    return entries[-1]


def effective_weights(framework: Framework, available: np.ndarray,
                      min_share: float = 0.0,
                      weights: Mapping[str, float] | None = None) -> np.ndarray:
    r"""Effective weight of each indicator in the index, given which indicators are available.

    The weight of indicator :math:`j` is the product, along its path to the index, of its
    node's weight divided by the sum of the weights of its *available* siblings -- exactly the
    weights that level-by-level aggregation with renormalisation applies (OECD/JRC Handbook
    2008, section 6; COINr ``get_eff_weights`` for the complete-data case). An aggregate counts
    as available when at least ``min_share`` of its positively weighted children are (the
    aggregate step's ``min_availability``); an unavailable aggregate passes weight 0 to its
    subtree.

    Parameters
    ----------
    framework : Framework
    available : ndarray of bool, shape (..., n_indicators)
        Availability of each indicator (framework order); leading axes (periods, units) are
        carried through.
    min_share : float
        Minimum share of available children for an aggregate to be computed.
    weights : mapping of str to float, optional
        Weight of each node relative to its siblings (a weight set, e.g. the weights the
        aggregate step used: ``build.fitted[step]["weights"]``); a node not in the mapping has
        weight 0. Default: the framework's own weights.

    Returns
    -------
    ndarray of shape (..., n_indicators)
        Effective weights; they sum to 1 where the index is available, 0 elsewhere.

    Examples
    --------
    >>> fw = Framework(
    ...     indicators=[{"code": "a", "parent": "D1", "direction": 1},
    ...                 {"code": "b", "parent": "D1", "direction": 1},
    ...                 {"code": "c", "parent": "D2", "direction": 1}],
    ...     aggregates=[{"code": "I"}, {"code": "D1", "parent": "I"},
    ...                 {"code": "D2", "parent": "I"}])
    >>> effective_weights(fw, np.array([True, True, True])).tolist()
    [0.25, 0.25, 0.5]
    >>> effective_weights(fw, np.array([True, False, True])).tolist()
    [0.5, 0.0, 0.5]

    With a weight set instead of the framework's weights (a 3, b 1; D1 1, D2 3):

    >>> effective_weights(fw, np.array([True, True, True]),
    ...                   weights={"a": 3, "b": 1, "c": 1, "D1": 1, "D2": 3}).tolist()
    [0.1875, 0.0625, 0.75]
    """
    codes = framework.indicator_codes
    avail = np.asarray(available, dtype=bool)
    if avail.shape[-1] != len(codes):
        raise InputError(f"availability has {avail.shape[-1]} columns, the framework "
                         f"{len(codes)} indicators")
    ok: dict[str, np.ndarray] = {c: avail[..., k] for k, c in enumerate(codes)}
    share: dict[str, np.ndarray] = {}
    for agg in framework.aggregate_codes:
        kids = framework.children(agg)
        w = np.array([framework.node(k).weight if weights is None else
                      float(weights.get(k, 0.0)) for k in kids], dtype=float)
        a = np.stack([ok[k] for k in kids], axis=-1) & (w > 0)
        n_counted = int((w > 0).sum())
        frac = a.sum(axis=-1) / max(n_counted, 1)
        wa = np.where(a, w, 0.0)
        tot = wa.sum(axis=-1)
        ok[agg] = (frac >= min_share - 1e-12) & (tot > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(ok[agg][..., None], wa / np.where(tot > 0, tot, 1.0)[..., None], 0.0)
        for i, k in enumerate(kids):
            share[k] = r[..., i]
    eff: dict[str, np.ndarray] = {framework.root: ok[framework.root].astype(float)}
    for agg in reversed(framework.aggregate_codes):
        for k in framework.children(agg):
            eff[k] = eff[agg] * share[k]
    return np.stack([eff[c] for c in codes], axis=-1)


@dataclass
class DecompositionSetup:
    method: str
    codes: list[str]
    scores: np.ndarray  # (P, U, K) normalised scores fed to aggregation
    index: np.ndarray  # (P, U)
    avail: np.ndarray  # (P, U, K)
    min_share: float
    bounds: dict | None  # per-period min-max: {"o": (P,U,K), "lower", "upper", "span"}
    periods: list[int]
    units: list[str]
    weights: dict[str, float]  # weight of every node relative to its siblings, as aggregated
    weight_sets: list[str]  # names of the weight sets the aggregate step used
    shift: float  # geometric: constant added before the mean and subtracted after


def _step_spec(entry: LogEntry):
    """The aggregate step's spec from its parameters as run."""
    from .steps.aggregate import AggregateStep

    return AggregateStep.model_validate(entry.params)


def _aggregation(build: Build, entry: LogEntry) -> tuple[str, float, dict[str, float],
                                                         list[str]]:
    """Method, shift, node weights and weight-set names the aggregate step used.

    The method of every aggregate is read from the step's parameters as run (``method``,
    ``by_level``, ``by_code``); the weights from what the step recorded,
    ``build.fitted[step]["weights"]`` (per aggregate: the weight of each child, from the weight
    set named by ``weights:``), else from the named weight set itself.
    """
    fw = build.framework
    spec = _step_spec(entry)
    per = {a: spec.spec_for(a, fw.level(a)) for a in fw.aggregate_codes}
    methods = {a: s.method for a, s in per.items()}
    bad = {a: m for a, m in methods.items() if m not in _SUPPORTED}
    if bad:
        a, m = next(iter(bad.items()))
        raise MethodError(
            f"leading factors of change: aggregation method {m!r} (aggregate {a}) is not "
            "supported",
            [f"supported: {', '.join(_SUPPORTED)} (weighted means, which split exactly into "
             "indicator contributions); for other methods compare indicator changes in "
             "indicator_progress() instead"],
        )
    kinds = sorted(set(methods.values()))
    if len(kinds) > 1:
        raise MethodError(
            "leading factors of change: the aggregate step mixes methods ("
            + ", ".join(f"{a} {m}" for a, m in methods.items()) + "), so the index is not one "
            "weighted mean of its indicators and does not split exactly into contributions",
            ["use one method (arithmetic or geometric) for every aggregate"])
    method = kinds[0]
    shifts = {float(s.shift) if method == "geometric" else 0.0 for s in per.values()}
    if len(shifts) > 1:
        raise MethodError("leading factors of change: the geometric means use different "
                          f"shifts ({', '.join(f'{v:g}' for v in sorted(shifts))}); the index "
                          "then does not split exactly into contributions")
    fitted = build.weights_used(entry.output) or {}
    weights: dict[str, float] = {}
    names: list[str] = []
    for a, s in per.items():
        set_name = s.weights or spec.weights
        if set_name not in names:
            names.append(set_name)
        kids = fitted.get(a)
        if kids is None:
            ws = build.weight_set(set_name).weights
            kids = {k: ws.get(k, 0.0) for k in fw.children(a)}
        weights.update({k: float(v) for k, v in kids.items()})
    return method, shifts.pop(), weights, names


def decomposition_setup(build: Build) -> DecompositionSetup:
    """What an exact decomposition of the build's index needs: the aggregate step's method
    and weights, the indicator scores it aggregates, and the coverage of each unit-period.

    Raises
    ------
    MethodError
        The aggregation cannot be decomposed exactly (methods, shifts), or the index is not
        reproduced from the scores and weights.
    """
    entry = aggregate_entry(build)
    method, shift, weights, set_names = _aggregation(build, entry)
    fw = build.framework
    codes = list(fw.indicator_codes)
    src = build.datasets[entry.input]
    scores = np.full((*src.values.shape[:2], len(codes)), np.nan)  # a dropped code: NaN
    have = [k for k, c in enumerate(codes) if c in src.codes]
    scores[..., have] = src.take([codes[k] for k in have])
    out = build.datasets[entry.output]
    index = out.column(fw.root)
    avail = ~np.isnan(scores)
    w = np.array([weights.get(c, 0.0) for c in codes])
    avail &= w > 0
    min_share = float(entry.params.get("min_availability", 0.0))
    eff = effective_weights(fw, avail, min_share, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "arithmetic":
            recon = np.sum(eff * np.where(eff > 0, scores, 0.0), axis=-1)
        else:
            recon = np.exp(np.sum(eff * np.log(np.where(eff > 0, scores + shift, 1.0)),
                                  axis=-1)) - shift
    has = eff.sum(axis=-1) > 0
    recon = np.where(has, recon, np.nan)
    gap = np.abs(recon - index)
    bad = (np.isnan(recon) != np.isnan(index)) | (gap > 1e-9 * np.maximum(1.0, np.abs(index)))
    if bad.any():
        pi, ui = np.argwhere(bad)[0]
        sets = ", ".join(repr(n) for n in set_names)
        raise MethodError(
            f"the index {fw.root} of this build is not the {method} mean of its indicators "
            f"with the effective weights of the weights the aggregate step {entry.name!r} used "
            f"(weight set {sets}), so it cannot be decomposed",
            [f"first mismatch: unit {src.units[ui]}, period {src.periods[pi]}: index "
             f"{index[pi, ui]:.10g}, weighted mean {recon[pi, ui]:.10g}",
             "the decomposition supports level-by-level arithmetic or geometric aggregation "
             "with one weight per node (framework, manual, entropy, PCA... weight sets; not "
             "unit-specific Benefit-of-the-Doubt weights)"],
        )
    bounds = _bounds(build, entry, codes, scores)
    return DecompositionSetup(method, codes, scores, index, avail, min_share, bounds,
                  list(src.periods), list(src.units), weights, set_names, shift)


def weights_note(build: Build) -> str:
    """One sentence naming the weights the contributions use (for the report's notes).

    Examples
    --------
    >>> import gipro
    >>> weights_note(gipro.run())[-48:]
    "weight set 'framework' (the framework's weights)"
    """
    setup = decomposition_setup(build)
    entry = aggregate_entry(build)
    parts = []
    for n in setup.weight_sets:
        ws = build.weights.get(n)
        if n == "framework" and ws is None:
            parts.append("'framework' (the framework's weights)")
        else:
            how = f"{ws.method}, step {ws.step!r}" if ws is not None and ws.step else (
                ws.method if ws is not None else "")
            parts.append(f"{n!r}" + (f" ({how})" if how else ""))
    return (f"contributions use the weights the aggregate step {entry.name!r} used: weight "
            f"set{'s' if len(parts) > 1 else ''} {', '.join(parts)}")


def weights_used(build: Build) -> pd.DataFrame:
    """The weights a decomposition of this build uses: those the aggregate step used.

    Parameters
    ----------
    build : Build
        A run build with an arithmetic or geometric ``aggregate`` step.

    Returns
    -------
    pandas.DataFrame
        One row per node except the index: ``code, parent, weight_set`` (the set named in
        the aggregate step for the node's parent), ``weight`` (relative to its siblings, as
        aggregated) and ``effective_weight`` (product of sibling-normalised weights on the path
        to the index, complete data; OECD/JRC Handbook 2008, section 6).

    Raises
    ------
    InputError, MethodError
        As :func:`contributions`.
    """
    setup = decomposition_setup(build)
    fw = build.framework
    spec = _step_spec(aggregate_entry(build))
    rows = []
    eff = {fw.root: 1.0}
    for agg in reversed(fw.aggregate_codes):
        kids = fw.children(agg)
        tot = sum(setup.weights.get(k, 0.0) for k in kids)
        set_name = spec.spec_for(agg, fw.level(agg)).weights or spec.weights
        for k in kids:
            wk = setup.weights.get(k, 0.0)
            eff[k] = eff[agg] * (wk / tot if tot > 0 else 0.0)
            rows.append({"code": k, "parent": agg, "weight_set": set_name, "weight": wk,
                         "effective_weight": eff[k]})
    return pd.DataFrame(rows, columns=["code", "parent", "weight_set", "weight",
                                       "effective_weight"])


def _bounds(build: Build, entry: LogEntry, codes: list[str], scores: np.ndarray) -> dict | None:
    """Per-period min-max parameters if the scores were normalised with moving bounds."""
    norm = [e for e in build.log if e.step == "normalise"]
    moving = [e for e in norm if e.params.get("bounds") != "pooled"]
    if not moving:
        return None
    e = moving[-1]
    if e.params.get("bounds") != "per_period" or e.params.get("method") != "minmax" \
            or e.output != entry.input:
        raise MethodError(
            f"leading factors of change: normalisation step {e.name!r} "
            f"(method {e.params.get('method')!r}, bounds {e.params.get('bounds')!r}) does not "
            "keep scores comparable across periods, and its bound effect cannot be separated",
            ["use bounds: pooled (scores comparable across periods), or per-period min-max "
             "feeding the aggregate step directly (its bound effect is reported separately)"],
        )
    fitted = build.fitted[e.name]
    # bounds are kept for the codes the step did not drop (constant: drop), in step order
    kept = [c for c in fitted["codes"] if c not in set(fitted.get("dropped_codes", []))]
    k = [kept.index(c) if c in kept else -1 for c in codes]
    gone = np.array([i < 0 for i in k])
    lower = np.where(gone, np.nan, np.asarray(fitted["lower"])[..., k])
    upper = np.where(gone, np.nan, np.asarray(fitted["upper"])[..., k])
    lo, hi = e.params["range"]
    raw = build.datasets[e.input].take(codes)
    o = raw * build.framework.directions(codes)
    f = lo + (o - lower) / (upper - lower) * (hi - lo)
    gap = np.abs(np.where(np.isnan(scores), 0.0, f - scores))
    if (gap > 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(scores)))).any():
        raise MethodError(
            f"scores of step {e.name!r} cannot be reproduced from its fitted bounds; the bound "
            "effect cannot be separated"
        )
    return {"o": o, "range": hi - lo, "span": np.broadcast_to(upper - lower, o.shape)}


def contributions(build: Build, base: int | None = None, end: int | None = None, *,
                  consecutive: bool = False) -> pd.DataFrame:
    r"""Each indicator's and each dimension's contribution to the change of each unit's index.

    See the module docstring for the formulas (arithmetic: effective weight x change of
    normalised score; geometric: log form, and index points through the logarithmic mean),
    the ``coverage`` row and the bound effect.

    Parameters
    ----------
    build : Build
        A run build with an ``aggregate`` step (arithmetic or geometric).
    base, end : int, optional
        Periods (default: first and last).
    consecutive : bool
        Also decompose every consecutive pair of periods (instead of base -> end only).

    Returns
    -------
    pandas.DataFrame
        One row per (base, end, unit, code): every indicator, every aggregate (dimensions and
        the index), and a ``(coverage)`` row. Columns:

        ``base, end, unit, code, kind`` (indicator / aggregate / index / coverage),
        ``level, parent, weight`` (effective weight over the indicators available in both
        periods), ``score_base, score_end, score_change``, ``contribution`` (index points;
        indicators + coverage add up to the index row, which is the index change),
        ``contribution_real`` and ``contribution_bounds`` (split at fixed bounds; bounds
        part is 0 with pooled bounds; on the index row the real part includes the coverage
        effect), ``contribution_log`` (geometric only: log form, adding
        up to :math:`\ln I_T - \ln I_0`), ``share`` (contribution / index change), ``role``
        (driver, drag or neutral), ``rank`` (1 = largest absolute contribution within the
        unit and level), ``driver_rank`` and ``drag_rank`` (1 = largest positive / most
        negative contribution among indicators or among aggregates of one level).
        Units without an index score in base or end have NaN contributions.

    Raises
    ------
    InputError
        Unknown periods; no aggregate step.
    MethodError
        An aggregation method other than arithmetic or geometric; a normalisation whose
        moving parameters cannot be separated; an index that is not reproduced by the
        effective weights.

    References
    ----------
    OECD/JRC (2008) Handbook, sections 6-7; Ang B.W. (2005) *Energy Policy* 33:867-871.
    """
    setup = decomposition_setup(build)
    pairs = period_pairs(build, base, end, consecutive)
    fw = build.framework
    pidx = {p: i for i, p in enumerate(setup.periods)}
    i0 = np.array([pidx[b] for b, _ in pairs])
    i1 = np.array([pidx[e] for _, e in pairs])
    x0, xT = setup.scores[i0], setup.scores[i1]  # (n, U, K)
    a0, aT = setup.avail[i0], setup.avail[i1]
    I0, IT = setup.index[i0], setup.index[i1]  # (n, U)
    common = a0 & aT
    wc = effective_weights(fw, common, 0.0, setup.weights)
    same = (a0 == aT).all(axis=-1)
    ok = ~np.isnan(I0) & ~np.isnan(IT)
    dx = np.where(wc > 0, xT - x0, 0.0)
    geo = setup.method == "geometric"
    with np.errstate(invalid="ignore", divide="ignore"):
        if not geo:
            contrib = wc * dx
            ic0 = np.sum(wc * np.where(wc > 0, x0, 0.0), axis=-1)
            icT = np.sum(wc * np.where(wc > 0, xT, 0.0), axis=-1)
            coverage = (IT - icT) - (I0 - ic0)
            clog = None
            cov_log = None
        else:
            # shifted geometric mean: ln(I + s) = sum_j w_j ln(x_j + s) at every level
            sh = setup.shift
            I0, IT = I0 + sh, IT + sh
            lx0 = np.log(np.where(wc > 0, x0 + sh, 1.0))
            lxT = np.log(np.where(wc > 0, xT + sh, 1.0))
            clog = wc * (lxT - lx0)
            lic0 = np.sum(wc * lx0, axis=-1)
            licT = np.sum(wc * lxT, axis=-1)
            has_c = wc.sum(axis=-1) > 0
            cov_log = np.where(has_c, (np.log(IT) - licT) - (np.log(I0) - lic0),
                               np.log(IT) - np.log(I0))
            lw = logmean(np.where(ok, IT, 1.0), np.where(ok, I0, 1.0))
            contrib = lw[..., None] * clog
            coverage = lw * cov_log
        coverage = np.where(same, 0.0, coverage)
        if geo:
            cov_log = np.where(same, 0.0, cov_log)
        # bound effect
        if setup.bounds is None:
            real = contrib
        else:
            o, span, rng = setup.bounds["o"], setup.bounds["span"], setup.bounds["range"]
            r = 0.5 * (o[i1] - o[i0]) * rng * (1.0 / span[i0] + 1.0 / span[i1])
            r = np.where(wc > 0, r, 0.0)
            if not geo:
                real = wc * r
            else:
                lxm = logmean(np.where(wc > 0, xT + sh, 1.0), np.where(wc > 0, x0 + sh, 1.0))
                real = lw[..., None] * wc * r / lxm
        bnd = contrib - real
    nan_u = ~ok
    contrib = np.where(nan_u[..., None], np.nan, contrib)
    real = np.where(nan_u[..., None], np.nan, real)
    bnd = np.where(nan_u[..., None], np.nan, bnd)
    coverage = np.where(nan_u, np.nan, coverage)
    # rounding noise is no change (gipro.tolerance): a -7e-15 index change has no drivers,
    # drags or shares (never shares of +-8.8e14)
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(I0), np.abs(IT))
    total = snap(IT - I0, scale)
    contrib, real, bnd = (snap(a, scale[..., None]) for a in (contrib, real, bnd))
    return _table(build, setup, pairs, x0, xT, wc, contrib, real, bnd, clog, coverage,
                  cov_log, total, i0, i1)


def _table(build, setup, pairs, x0, xT, wc, contrib, real, bnd, clog, coverage, cov_log,
           total, i0, i1) -> pd.DataFrame:
    fw = build.framework
    codes = setup.codes
    n, U, K = contrib.shape
    final = build.datasets[aggregate_entry(build).output]
    aggs = list(fw.aggregate_codes)
    # aggregate rows: sums over indicators in the subtree
    member = np.array([[c in set(fw.indicators_under(a)) for c in codes] for a in aggs],
                      dtype=float)  # (A, K)

    def agg_sum(v: np.ndarray) -> np.ndarray:
        return np.einsum("nuk,ak->nua", np.nan_to_num(v), member) + np.where(
            np.isnan(v).all(axis=-1, keepdims=True), np.nan, 0.0)

    a_contrib = agg_sum(contrib)
    a_real = agg_sum(real)
    a_bnd = agg_sum(bnd)
    a_w = np.einsum("nuk,ak->nua", wc, member)
    ag_scores = final.take(aggs)
    s0 = np.concatenate([x0, ag_scores[i0]], axis=-1)
    sT = np.concatenate([xT, ag_scores[i1]], axis=-1)
    root = fw.root
    ri = aggs.index(root)
    # the index row carries the total change and the coverage-inclusive sums
    a_contrib[..., ri] = total
    a_real[..., ri] = a_real[..., ri] + np.nan_to_num(coverage)
    allc = np.concatenate([contrib, a_contrib, coverage[..., None]], axis=-1)
    allr = np.concatenate([real, a_real, coverage[..., None]], axis=-1)
    allb = np.concatenate([bnd, a_bnd, np.zeros((n, U, 1))], axis=-1)
    allw = np.concatenate([wc, a_w, np.full((n, U, 1), np.nan)], axis=-1)
    s0 = np.concatenate([s0, np.full((n, U, 1), np.nan)], axis=-1)
    sT = np.concatenate([sT, np.full((n, U, 1), np.nan)], axis=-1)
    if clog is not None:
        a_log = agg_sum(clog)
        with np.errstate(invalid="ignore", divide="ignore"):
            a_log[..., ri] = (np.log(ag_scores[i1][..., ri] + setup.shift)
                              - np.log(ag_scores[i0][..., ri] + setup.shift))
        alll = np.concatenate([clog, a_log, cov_log[..., None]], axis=-1)
        alll = np.where(np.isnan(allc), np.nan, alll)
    else:
        alll = np.full(allc.shape, np.nan)
    all_codes = [*codes, *aggs, COVERAGE]
    kinds = ["indicator"] * K + ["index" if a == root else "aggregate" for a in aggs] + [
        "coverage"]
    levels = [1] * K + [fw.level(a) for a in aggs] + [np.nan]
    parents = [fw.node(c).parent for c in codes + aggs] + [None]
    C = len(all_codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = allc / total[..., None]
    share = np.where(total[..., None] == 0, np.nan, share)
    df = pd.DataFrame({
        "base": np.repeat([b for b, _ in pairs], U * C),
        "end": np.repeat([e for _, e in pairs], U * C),
        "unit": np.tile(np.repeat(np.array(setup.units, dtype=object), C), n),
        "code": np.tile(np.array(all_codes, dtype=object), n * U),
        "kind": np.tile(np.array(kinds, dtype=object), n * U),
        "level": np.tile(np.array(levels, dtype=float), n * U),
        "parent": np.tile(np.array(parents, dtype=object), n * U),
        "weight": allw.reshape(-1),
        "score_base": s0.reshape(-1),
        "score_end": sT.reshape(-1),
        "score_change": (sT - s0).reshape(-1),
        "contribution": allc.reshape(-1),
        "contribution_real": allr.reshape(-1),
        "contribution_bounds": allb.reshape(-1),
        "contribution_log": alll.reshape(-1),
        "share": share.reshape(-1),
    })
    df["level"] = df["level"].astype("Int64")
    role = np.select([allc > 0, allc < 0, allc == 0], ["driver", "drag", "neutral"],
                     default="").astype(object)
    role[..., K + ri:K + ri + 1] = ""
    role[..., -1] = ""
    df["role"] = role.reshape(-1)
    df["role"] = df["role"].replace("", None)
    # ranks within each unit and level (indicators; aggregates of one level), 1 = largest
    rk = np.full((3, *allc.shape), np.nan)
    groups = [list(range(K))]
    for lev in sorted({fw.level(a) for a in aggs if a != root}):
        groups.append([K + i for i, a in enumerate(aggs) if a != root and fw.level(a) == lev])
    for cols in groups:
        v = allc[..., cols]
        rk[0][..., cols] = _rank(np.abs(v), axis=-1)
        rk[1][..., cols] = _rank(np.where(v > 0, v, np.nan), axis=-1)
        rk[2][..., cols] = _rank(np.where(v < 0, -v, np.nan), axis=-1)
    for i, col in enumerate(("rank", "driver_rank", "drag_rank")):
        df[col] = pd.array(rk[i].reshape(-1), dtype="Float64").astype("Int64")
    if setup.method != "geometric":
        df = df.drop(columns="contribution_log")
    return df


def leading_factors(build: Build, base: int | None = None, end: int | None = None, *,
                    n: int = 3, level: int = 1, consecutive: bool = False) -> pd.DataFrame:
    """Each unit's ``n`` leading factors of change: the largest absolute contributions.

    Parameters
    ----------
    build : Build
    base, end : int, optional
        Periods (default: first and last).
    n : int
        How many factors per unit (default 3).
    level : int
        1: indicators (default); 2: dimensions (aggregates of level 2), and so on.
    consecutive : bool
        Per consecutive pair of periods.

    Returns
    -------
    pandas.DataFrame
        Columns ``base, end, unit, index_change, rank, code, name, role, contribution,
        contribution_real, contribution_bounds, share, score_change``; ``rank`` 1 = largest
        absolute contribution. Ties share a rank; units without an index change are left out
        of this table (they are in :func:`contributions` with NaN).

    Raises
    ------
    InputError
        ``n < 1`` or a level with no codes; as :func:`contributions`.
    """
    if n < 1:
        raise InputError(f"n must be >= 1, got {n}")
    tab = contributions(build, base, end, consecutive=consecutive)
    idx = tab[tab["kind"] == "index"][["base", "end", "unit", "contribution"]].rename(
        columns={"contribution": "index_change"})
    sub = tab[(tab["level"] == level) & tab["kind"].isin(["indicator", "aggregate"])]
    if sub.empty:
        raise InputError(f"no indicators or aggregates at level {level}")
    sub = sub[sub["rank"].notna() & (sub["rank"] <= n)]
    sub = sub.merge(idx, on=["base", "end", "unit"])
    fw = build.framework
    sub = sub.assign(name=sub["code"].map({c: fw.node(c).label() for c in fw.codes}))
    cols = ["base", "end", "unit", "index_change", "rank", "code", "name", "role",
            "contribution", "contribution_real", "contribution_bounds", "share",
            "score_change"]
    return sub.sort_values(["base", "end", "index_change", "unit", "rank"],
                           ascending=[True, True, False, True, True])[cols].reset_index(
        drop=True)
