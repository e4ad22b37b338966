"""Progress over time: how each unit's index, sub-indices and indicators changed.

The tables answer the GIPro study's questions for any two periods of a build (default: the
first and the last) or for every consecutive pair of periods:

* :func:`index_progress` -- index and sub-index scores, change in points and in %, ranks and
  rank change;
* :func:`indicator_progress` -- each indicator's change in its unit after denomination (the
  indicator as the index uses it, e.g. per capita), in % and as a compound annual growth rate
  (CAGR), its change of normalised score, and whether it improved *in the indicator's
  direction*;
* :func:`improvers` -- per indicator, how many units improved, worsened, stayed the same or
  lack data;
* :func:`summary` -- a paragraph in the study's style ("N of M units progressed on the index;
  indicator X improved in all units; indicator Y improved in only K units");
* :func:`caveats` -- what limits the comparison (per-period bounds, series breaks in the data);
* :func:`report` -- all of these at once (used by ``gipro progress``);
* leading factors of change are in :mod:`gipro.decompose`.

Scores are only comparable across periods when normalisation bounds are pooled over all
periods (the default of :class:`~gipro.recipe.NormaliseStep`); with per-period bounds a change
of score mixes real change with moving bounds, and the tables and summary say so.

Choices where the method is silent (documented in ``docs/progress.md``):

* *improved* compares observed values after denomination (the output of the last
  ``denominate`` step feeding the index, else raw values):
  ``direction * (value_end - value_base) > 0``; equal values are *unchanged*; a missing value
  in either period is *missing* (never counted as no change); values the index imputed count
  as missing, values it treated are judged as observed (``note`` says so);
* % change is :math:`100 (y_T - y_0)/|y_0|` (COINr ``prc_change`` for positive bases), NaN
  for a zero base; CAGR (COINr) only for strictly positive values, NaN otherwise -- the
  ``note`` column says why a cell is empty;
* rank change = rank in base - rank in end (positive = moved up); ranks 1 = best, ties share
  the lowest rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .build import Build
from .dataset import positions
from .datasets.breaks import series_breaks
from .decompose import aggregate_entry, period_pairs
from .errors import InputError, MethodError
from .methods.change import cagr as _cagr
from .methods.change import pct_change as _pct
from .methods.rank import rank as _rank
from .tolerance import snap

__all__ = [
    "ProgressReport",
    "caveats",
    "change",
    "improvers",
    "index_progress",
    "indicator_progress",
    "period_pairs",
    "report",
    "signed_change",
    "summary",
    "unit_labels",
    "value_note",
]


def _periods(build: Build, base: int | None, end: int | None) -> tuple[int, int]:
    return period_pairs(build, base, end)[0]


_OUTCOMES = np.array(["unchanged", "missing", "improved", "worsened"], dtype=object)


def _change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b - a`` with rounding noise made 0 (:func:`gipro.tolerance.snap`: within 1e-12 of the
    larger magnitude): equal values that come out of a pipeline in a different order are no
    change, never a unit that "fell back"."""
    with np.errstate(invalid="ignore"):
        return snap(b - a, np.maximum(np.abs(a), np.abs(b)))


def _outcome(delta: np.ndarray) -> np.ndarray:
    """improved / worsened / unchanged / missing for an oriented change."""
    return _OUTCOMES[np.select([np.isnan(delta), delta > 0, delta < 0], [1, 2, 3], default=0)]


_NOTES = np.array([
    "", "value missing in both periods", "value missing in base period",
    "value missing in end period", "CAGR and % change undefined: base value is 0",
    "CAGR undefined: zero or negative value"], dtype=object)


def _score_set(build: Build):
    """The data set holding normalised indicator scores (what aggregation reads)."""
    try:
        return build.datasets[aggregate_entry(build).input]
    except (InputError, KeyError):  # no aggregate step, or its input not kept (keep:)
        return build.final


@dataclass(frozen=True)
class ValueSets:
    value: str  # data set of the indicator values: the last denominate output, else raw
    used: str  # data set normalised into the scores (after imputation and treatment)
    step: str | None  # the denominate step, if any


def value_sets(build: Build) -> ValueSets:
    """Where the indicator values judged by progress come from.

    Follows the chain of data sets backwards from the scores the index aggregates: the input
    of the normalisation is what the index used (after denomination, imputation and
    treatment); the output of the last denominate step on the chain (not disabled) is the
    indicator in the unit the index uses it, else ``raw``.
    """
    producer = {}
    for e in build.log:
        if e.output in build.datasets:
            producer[e.output] = e
    name, seen = _score_set(build).name, set()
    used = value = step = None
    while name in producer and name not in seen and name != "raw":
        seen.add(name)
        e = producer[name]
        if e.step == "normalise" and used is None:
            used = e.input
        if e.step == "denominate" and not e.skipped:
            value, step = e.output, e.name
            break
        name = e.input
    value = value or "raw"
    return ValueSets(value, used or value, step)


# what the index used instead of the observed value in (base, end): 0 observed, 1 an imputed
# value, 2 a treated value (winsorised or transformed)
_ADJUSTED = np.array([
    "", "index used an imputed value in end period",
    "index used a treated value in end period",
    "index used an imputed value in base period", "index used imputed values in both periods",
    "index used an imputed value in base and a treated value in end period",
    "index used a treated value in base period",
    "index used a treated value in base and an imputed value in end period",
    "index used treated values in both periods"], dtype=object)


def _observed(build: Build, sets: ValueSets, codes: list[str], units: list[str],
              periods: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Observed indicator values in the unit the index uses (``sets.value``), and what the
    index used instead (0 observed or missing, 1 imputed, 2 treated), shape (P, U, K) over
    ``periods`` (default: every period of the value set)."""
    raw = build.datasets["raw"]
    val = build.datasets[sets.value]
    used = build.datasets[sets.used]
    v = _cells(val, periods, units, codes)
    # a value imputed before denomination is not observed: its numerator is missing in raw
    v[np.isnan(_cells(raw, periods, units, codes))] = np.nan
    x = _cells(used, periods, units, codes)
    if used.periods != val.periods:  # pragma: no cover - steps keep the periods
        return v, np.zeros(v.shape, dtype=int)
    adj = np.select([np.isnan(v) & ~np.isnan(x), ~np.isnan(v) & ~np.isnan(x) & (x != v)],
                    [1, 2], default=0)
    return v, adj


def _cells(ds, periods: list[int] | None, units: list[str], codes: list[str]) -> np.ndarray:
    """Values of ``codes`` for ``units`` in ``periods`` (default: all), shape (P, U, K) --
    periods picked first, so only those are copied; NaN for a code the data set lacks."""
    x = ds.values if periods is None else ds.values[positions(ds.periods, periods)]
    if tuple(units) != tuple(ds.units):
        x = x[:, positions(ds.units, units)]
    out = np.full((*x.shape[:2], len(codes)), np.nan)
    have = [k for k, c in enumerate(codes) if c in ds.codes]
    out[..., have] = x[..., positions(ds.codes, [codes[k] for k in have])]
    return out


def value_note(build: Build) -> str:
    """One sentence on which values the indicator tables judge (for the report's notes).

    Examples
    --------
    >>> import gipro
    >>> value_note(gipro.run())[:60]
    'indicator values (value_*, % change, CAGR, improved/worsened'
    """
    sets = value_sets(build)
    text = ("indicator values (value_*, % change, CAGR, improved/worsened, improver counts) are "
            "observed values of the indicators as the index uses them")
    if sets.step is not None:
        from .units import units_by_dataset

        units = units_by_dataset(build).get(sets.value, {})
        done = build.fitted.get(sets.step, {}).get("units", {})
        shown = ", ".join(f"{c} in {units.get(c) or '(unit not stated)'}" for c in done)
        text += f", after denomination by step {sets.step!r}" + (f" ({shown})" if shown else "")
    else:
        text += " (no denomination step: raw values)"
    return text + ("; a value the index imputed counts as missing and one it treated "
                   "(winsorised, transformed) is judged on the observed value -- the note "
                   "column says where")


def change(build: Build, code: str | None = None, base: int | None = None,
           end: int | None = None, *, units: Sequence[str] | None = None) -> pd.DataFrame:
    """Score and rank of each unit in a base and an end period, and the change.

    Parameters
    ----------
    build : Build
        A run build.
    code : str, optional
        Index, sub-index or indicator code (default: the index).
    base, end : int, optional
        Periods (default: first and last of the build).
    units : sequence of str, optional
        Only these units (ranks among every unit either way; default: every unit).

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``unit, score_base, score_end, change, rank_base, rank_end,
        rank_change`` (positive rank change = moved up), sorted by ``change`` descending
        (missing last).
    """
    code = code or build.framework.root
    base, end = _periods(build, base, end)
    if code not in build.final.codes:
        raise InputError(f"code {code!r} is not in the build's results")
    res = build.results(codes=[code], periods=sorted({base, end}), units=units)
    wide = res.pivot(index="unit", columns="period", values=["score", "rank"])
    out = pd.DataFrame({
        "score_base": wide[("score", base)],
        "score_end": wide[("score", end)],
        "rank_base": wide[("rank", base)].astype("Int64"),
        "rank_end": wide[("rank", end)].astype("Int64"),
    })
    out["change"] = _change(out["score_base"].to_numpy(float), out["score_end"].to_numpy(float))
    out["rank_change"] = out["rank_base"] - out["rank_end"]
    out = out[["score_base", "score_end", "change", "rank_base", "rank_end", "rank_change"]]
    wanted = None if units is None else set(units)
    shown = [u for u in build.final.units if wanted is None or u in wanted]
    out = out.reindex(shown).sort_values("change", ascending=False, na_position="last")
    return out.rename_axis("unit").reset_index()


def index_progress(build: Build, base: int | None = None, end: int | None = None, *,
                   consecutive: bool = False, codes: list[str] | None = None) -> pd.DataFrame:
    """Change of the index and sub-indices of every unit between two periods.

    Parameters
    ----------
    build : Build
        A run build.
    base, end : int, optional
        Periods (default: first and last of the build).
    consecutive : bool
        ``True``: every consecutive pair of periods from base to end.
    codes : list of str, optional
        Aggregate codes (default: every aggregate, the index first).

    Returns
    -------
    pandas.DataFrame
        One row per (base, end, code, unit): ``base, end, unit, code, name, level,
        score_base, score_end, change`` (points), ``change_pct`` (% of the base score, NaN
        for a zero base), ``rank_base, rank_end, rank_change`` (positive = moved up) and
        ``outcome`` (improved / worsened / unchanged / missing).

    Raises
    ------
    InputError
        Unknown period or code.
    """
    fw = build.framework
    ds = build.final
    aggs = (sorted(fw.aggregate_codes, key=lambda c: -fw.level(c)) if codes is None
            else list(codes))
    for c in aggs:
        if c not in ds.codes:
            raise InputError(f"code {c!r} is not in the build's final data set",
                             [f"codes: {', '.join(ds.codes)}"])
    pairs = period_pairs(build, base, end, consecutive)
    pidx = {p: i for i, p in enumerate(ds.periods)}
    i0 = np.array([pidx[b] for b, _ in pairs])
    i1 = np.array([pidx[e] for _, e in pairs])
    s = ds.take(aggs)  # (P, U, A)
    r = _rank(s, axis=1)
    s0, s1, r0, r1 = s[i0], s[i1], r[i0], r[i1]  # (n, U, A)
    n, U, A = s0.shape
    chg = _change(s0, s1)

    def flat(v: np.ndarray) -> np.ndarray:
        return v.transpose(0, 2, 1).reshape(-1)  # order: pair, code, unit

    df = pd.DataFrame({
        "base": np.repeat([b for b, _ in pairs], A * U),
        "end": np.repeat([e for _, e in pairs], A * U),
        "unit": np.tile(np.array(ds.units, dtype=object), n * A),
        "code": np.tile(np.repeat(np.array(aggs, dtype=object), U), n),
        "score_base": flat(s0),
        "score_end": flat(s1),
        "change": flat(chg),
        "change_pct": flat(_pct(s0, s1)),
        "rank_base": pd.array(flat(r0), dtype="Float64").astype("Int64"),
        "rank_end": pd.array(flat(r1), dtype="Float64").astype("Int64"),
        "outcome": flat(_outcome(chg)),
    })
    df.insert(4, "name", df["code"].map({c: fw.node(c).label() for c in aggs}))
    df.insert(5, "level", df["code"].map({c: fw.level(c) for c in aggs}).astype(int))
    df.insert(len(df.columns) - 1, "rank_change", df["rank_base"] - df["rank_end"])
    return df


def indicator_progress(build: Build, base: int | None = None, end: int | None = None, *,
                       consecutive: bool = False) -> pd.DataFrame:
    """Change of every indicator of every unit, in its unit after denomination and in score.

    The values are the indicator *as the index uses it*: after the build's last
    ``denominate`` step on the way to the scores (e.g. waste per person, not total waste), in
    the unit that step states (:mod:`gipro.units`); ``raw`` values when there is no
    denomination. Only observed values count (the GIPro study's practice): a value the index
    imputed is missing here (its outcome is ``missing``), a value it winsorised or
    transformed is judged on the observed value; the ``note`` column says where the index
    used an imputed or treated value.

    Parameters
    ----------
    build : Build
        A run build.
    base, end : int, optional
        Periods (default: first and last of the build).
    consecutive : bool
        ``True``: every consecutive pair of periods from base to end.

    Returns
    -------
    pandas.DataFrame
        One row per (base, end, indicator, unit): ``base, end, unit, code, name,
        measure`` (measurement unit of the values, after denomination), ``value_source``
        (the data set the values come from: the denominate step's output or ``raw``),
        ``direction``, ``value_base, value_end, value_change`` (observed values),
        ``value_change_pct`` (% of |base|), ``cagr_pct`` (compound annual growth rate, % a
        year, :math:`(y_T/y_0)^{1/(T-t_0)} - 1`; only for positive values), ``score_base,
        score_end, score_change`` (normalised scores fed to aggregation), ``outcome``
        (improved / worsened / unchanged / missing, judged on the values in the indicator's
        direction) and ``note`` (why a % or CAGR cell is empty; where the index used an
        imputed or treated value).

    Raises
    ------
    InputError
        Unknown period.

    References
    ----------
    COINr ``prc_change`` and ``CAGR`` (Becker et al. 2022, *JOSS* 7(78):4567).
    """
    from .units import units_by_dataset

    fw = build.framework
    codes = list(fw.indicator_codes)
    sets = value_sets(build)
    sc = _score_set(build)
    pairs, v0, v1, adj_code, delta = _pair_changes(build, sets, codes, base, end, consecutive)
    used = sorted({p for pair in pairs for p in pair})
    ps = {p: i for i, p in enumerate(used)}
    x = _cells(sc, used, list(build.final.units), codes)
    x0 = x[np.array([ps[b] for b, _ in pairs])]
    x1 = x[np.array([ps[e] for _, e in pairs])]
    years = np.array([e - b for b, e in pairs], dtype=float)[:, None, None]
    direction = fw.directions(codes)
    units = units_by_dataset(build).get(sets.value, {})
    growth = _cagr(v0, v1, np.abs(years))
    pct = _pct(v0, v1)
    miss0, miss1 = np.isnan(v0), np.isnan(v1)
    both = ~(miss0 | miss1)
    note_code = np.select(
        [miss0 & miss1, miss0, miss1, both & (v0 == 0), both & ((v0 <= 0) | (v1 <= 0))],
        [1, 2, 3, 4, 5], default=0)
    n, U, K = v0.shape

    def flat(a: np.ndarray) -> np.ndarray:
        return a.transpose(0, 2, 1).reshape(-1)

    code_idx = np.tile(np.repeat(np.arange(K), U), n)
    df = pd.DataFrame({
        "base": np.repeat([b for b, _ in pairs], K * U),
        "end": np.repeat([e for _, e in pairs], K * U),
        "unit": np.tile(np.array(build.final.units, dtype=object), n * K),
        "code": np.array(codes, dtype=object)[code_idx],
        "name": np.array([fw.node(c).label() for c in codes], dtype=object)[code_idx],
        "measure": np.array([units.get(c) or "" for c in codes], dtype=object)[code_idx],
        "value_source": sets.value,
    })
    df["direction"] = np.tile(np.repeat(direction.astype(int), U), n)
    df["value_base"] = flat(v0)
    df["value_end"] = flat(v1)
    df["value_change"] = flat(_change(v0, v1))
    df["value_change_pct"] = flat(pct)
    df["cagr_pct"] = flat(100.0 * growth)
    df["score_base"] = flat(x0)
    df["score_end"] = flat(x1)
    df["score_change"] = flat(_change(x0, x1))
    df["outcome"] = flat(_outcome(delta))
    note, extra = _NOTES[flat(note_code)], _ADJUSTED[flat(adj_code)]
    note = np.where((note != "") & (extra != ""), note + "; " + extra, note + extra)
    left_out = np.array([c not in sc.codes for c in codes])[code_idx]
    gone = "not in the index (left out by an earlier step, e.g. constant: drop)"
    df["note"] = np.where(left_out, np.where(note != "", note + "; " + gone, gone), note)
    return df


def _pair_changes(build: Build, sets: ValueSets, codes: list[str], base: int | None,
                  end: int | None, consecutive: bool
                  ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray,
                             np.ndarray]:
    """The period pairs, the observed values in their base and end periods (pairs, units,
    indicators), what the index used instead (3 x base + end codes of :func:`_observed`) and
    the change in each indicator's direction -- read for those periods only."""
    pairs = period_pairs(build, base, end, consecutive)
    used = sorted({p for pair in pairs for p in pair})
    at = {p: i for i, p in enumerate(used)}
    v, adj = _observed(build, sets, codes, list(build.final.units), used)
    r0 = np.array([at[b] for b, _ in pairs])
    r1 = np.array([at[e] for _, e in pairs])
    v0, v1 = v[r0], v[r1]
    delta = _change(v0, v1) * build.framework.directions(codes)
    return pairs, v0, v1, 3 * adj[r0] + adj[r1], delta


def improvers(build: Build, base: int | None = None, end: int | None = None, *,
              consecutive: bool = False) -> pd.DataFrame:
    """How many units improved on each indicator (in the indicator's direction).

    Returns
    -------
    pandas.DataFrame
        One row per (base, end, indicator): ``base, end, code, name, direction, n_units,
        n_improved, n_worsened, n_unchanged, n_missing, share_improved`` (of the units with
        data in both periods; NaN if none).
    """
    fw = build.framework
    codes = list(fw.indicator_codes)
    pairs, _, _, _, delta = _pair_changes(build, value_sets(build), codes, base, end,
                                          consecutive)
    n_p, _, k = delta.shape
    count = {o: (_outcome(delta) == o).sum(axis=1).reshape(-1)  # (pairs x indicators)
             for o in ("improved", "worsened", "unchanged", "missing")}
    out = pd.DataFrame({
        "base": np.repeat([b for b, _ in pairs], k), "end": np.repeat([e for _, e in pairs], k),
        "code": np.tile(np.array(codes, dtype=object), n_p),
        "name": np.tile(np.array([fw.node(c).label() for c in codes], dtype=object), n_p),
        "direction": np.tile(fw.directions(codes).astype(int), n_p),
        **{f"n_{o}": c.astype(np.int64) for o, c in count.items()}})
    out.insert(5, "n_units", out[["n_improved", "n_worsened", "n_unchanged",
                                  "n_missing"]].sum(axis=1))
    with_data = out["n_units"] - out["n_missing"]
    out["share_improved"] = np.where(with_data > 0, out["n_improved"] / with_data.where(
        with_data > 0, 1), np.nan)
    cols = ["base", "end", "code", "name", "direction", "n_units", "n_improved", "n_worsened",
            "n_unchanged", "n_missing", "share_improved"]
    return out[cols].reset_index(drop=True)


def caveats(build: Build, base: int | None = None, end: int | None = None,
            code: str | None = None) -> list[str]:
    """What limits the comparison of two periods of this build.

    Parameters
    ----------
    build : Build
    base, end : int, optional
        Periods (default: first and last).
    code : str, optional
        Only series breaks affecting the indicators under this aggregate (default: all).

    Returns
    -------
    list of str
        Sentences on: normalisation bounds set per period (score changes then mix real
        change with moving bounds); known series breaks in a built-in data set between the two
        periods that affect the framework's indicators (e.g. GDP vintages in
        ``china_provinces``, 2008/2009 and 2017/2018).
    """
    base, end = _periods(build, base, end)
    out = []
    norm = [e for e in build.log if e.step == "normalise"]
    # the normalisation whose scores the index aggregates (another one, e.g. for a
    # comparison, does not move the index's bounds); all of them if a later step intervenes
    score = _score_set(build).name
    norm = [e for e in norm if e.output == score] or norm
    if any(e.params.get("bounds") == "per_period" for e in norm):
        out.append("normalisation bounds were set per period, so score changes mix real change "
                   "with moving bounds (contributions report the bound effect separately)")
    name = build.recipe.data.dataset
    codes = build.framework.indicators_under(code or build.framework.root)
    if name:
        for b in series_breaks(name, codes, base, end):
            hit = [c for c in codes if c in b.variables]
            out.append(f"series break between {b.before} and {b.before + 1} ({b.note}); "
                       f"affects {', '.join(hit)}")
    return out


def summary(build: Build, code: str | None = None, base: int | None = None,
            end: int | None = None, *, with_caveats: bool = True) -> str:
    """One paragraph on progress between two periods, in the GIPro study's style.

    Parameters
    ----------
    build : Build
        A run build.
    code : str, optional
        Aggregate to summarise (default: the index).
    base, end : int, optional
        Periods (default: first and last).
    with_caveats : bool
        Append :func:`caveats` as "Caution: ..." sentences (default).

    Returns
    -------
    str
        How many units progressed on ``code`` (default: the index), the median change, the
        largest gains (up to three units whose score rose, largest first) and the largest
        falls (up to three whose score fell, largest fall first; when none fell, the
        smallest gains not already listed), how many units improved on each indicator ("X
        improved in all 30 units; Y in only 12 of 30; Z in none of 30"), and the caveats of
        :func:`caveats`. A unit whose score did not change is in neither list.
    """
    code = code or build.framework.root
    base, end = _periods(build, base, end)
    tab = change(build, code, base, end).dropna(subset=["change"])
    node = build.framework.node(code)
    label = node.label_code()
    n = len(build.final.units)
    m = len(tab)  # units with a score in both periods: the only ones that can progress
    up = int((tab["change"] > 0).sum())
    down = int((tab["change"] < 0).sum())
    if tab.empty:
        return (f"Between {base} and {end}, no unit has a score on {label} in both "
                "periods, so there is no progress to report.")
    of = f"{m} units" if m == n else f"{m} units with scores in both periods"
    text = (
        f"Between {base} and {end}, {up} of {of} progressed on the {label} and "
        f"{down} fell back; median change {round(tab['change'].median(), 1) + 0.0:+.1f} points."
    )
    names = unit_labels(build)

    def listed(rows: pd.DataFrame) -> str:
        return ", ".join(f"{names.get(r.unit, r.unit)} ({_signed(r.change)})"
                         for r in rows.itertuples()) + "."

    gains = tab[tab["change"] > 0]  # sorted by change, largest first
    falls = tab[tab["change"] < 0].iloc[::-1]  # largest fall first
    if len(gains):
        text += " Largest gains: " + listed(gains.head(3))
    if len(falls):
        text += " Largest falls: " + listed(falls.head(3))
    elif len(gains) > 3:  # no unit fell back: the smallest gains instead
        text += " Smallest gains: " + listed(gains.iloc[3:].tail(3).iloc[::-1])
    missing = n - len(tab)
    if missing:
        text += (f" {missing} unit{'s lack' if missing > 1 else ' lacks'} a score in {base} or "
                 f"{end}.")
    imp = improvers(build, base, end)
    text += " " + _improver_sentence(imp[imp["code"].isin(build.framework.indicators_under(code))])
    if with_caveats:
        for c in caveats(build, base, end, code):
            text += f" Caution: {c}."
    return text


def _improver_sentence(imp: pd.DataFrame) -> str:
    parts_all, parts_some = [], []
    for r in imp.sort_values(["share_improved", "code"], ascending=[False, True]).itertuples():
        k, m = int(r.n_improved), int(r.n_units - r.n_missing)
        if m == 0:
            continue
        if k == m:
            parts_all.append(r.name)
        else:
            parts_some.append(f"{r.name} in none of {m}" if k == 0 else
                              f"{r.name} in {'only ' if k < m / 2 else ''}{k} of {m}")
    bits = []
    if parts_all:
        bits.append(f"{_join(parts_all)} improved in all units with data")
    if parts_some:
        bits.append(("improvements: " if not parts_all else "") + "; ".join(parts_some))
    return ("On the indicators, " + "; ".join(bits) + ".") if bits else ""


def signed_change(v: float) -> str:
    """A change for display: one decimal, two when it rounds to zero at one decimal, so
    the sign is never lost; a change that rounds to zero even then is "0.00" (never "-0.00").

    Examples
    --------
    >>> signed_change(1.234), signed_change(-0.03), signed_change(0.001)
    ('+1.2', '-0.03', '0.00')
    """
    if round(v, 2) == 0:
        return "0.00"
    return f"{v:+.2f}" if abs(v) < 0.05 else f"{v:+.1f}"


_signed = signed_change


def unit_labels(build: Build) -> dict[str, str]:
    """Display name of each unit (the ``name`` column of the data's unit table, e.g.
    ``Inner Mongolia`` for the code ``InnerMongolia``; the code where there is none), as the
    report shows them. Tables written as CSV keep the codes."""
    units = getattr(build.source_panel, "units", None)
    codes = [str(u) for u in build.datasets["raw"].units]
    if units is None or "name" not in getattr(units, "columns", ()):
        return {c: c for c in codes}
    names = units["name"].dropna().astype(str)
    names = {str(k): v.strip() for k, v in names.items() if v.strip()}
    return {c: names.get(c, c) for c in codes}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class ProgressReport:
    """Every progress table of a build for two periods, with the summary and notes.

    Attributes
    ----------
    base, end : int
    tables : dict of str to pandas.DataFrame
        ``index_progress``, ``indicator_progress``, ``improvers`` (base -> end),
        ``index_progress_yearly``, ``indicator_progress_yearly``, ``improvers_yearly``
        (consecutive pairs), and -- when the aggregation can be decomposed (arithmetic or
        geometric) -- ``contributions``, ``leading_factors`` (base -> end) and
        ``contributions_yearly``.
    summary : str
        :func:`summary` of the index (without caveats: they are in ``notes``).
    notes : list of str
        :func:`caveats`, and why a table is absent.
    """

    base: int
    end: int
    tables: dict[str, pd.DataFrame]
    summary: str
    notes: list[str] = field(default_factory=list)

    def write(self, out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Write each table as ``<name>.csv`` (or ``.parquet``) and ``summary.txt`` (summary
        and notes), as every output folder (:func:`gipro.tables.output_folder`).

        Returns
        -------
        dict of str to pathlib.Path
            The files written.
        """
        from .tables import output_folder, write_table, write_text

        out = Path(out_dir)
        files = {}
        with output_folder(out, kind="progress"):
            for name, df in self.tables.items():
                files[name] = write_table(df, out / name, fmt)
            text = self.summary + "\n"
            if self.notes:
                text += "\nNotes:\n" + "".join(f"- {n}\n" for n in self.notes)
            files["summary"] = write_text(out / "summary.txt", text)
        return files


def report(build: Build, base: int | None = None, end: int | None = None) -> ProgressReport:
    """All progress tables of a build between two periods (default: first and last).

    Raises
    ------
    InputError
        Unknown periods.
    """
    from .decompose import contributions, leading_factors, weights_note

    base, end = _periods(build, base, end)
    tabs = {
        "index_progress": index_progress(build, base, end),
        "indicator_progress": indicator_progress(build, base, end),
        "improvers": improvers(build, base, end),
        "index_progress_yearly": index_progress(build, base, end, consecutive=True),
        "indicator_progress_yearly": indicator_progress(build, base, end, consecutive=True),
        "improvers_yearly": improvers(build, base, end, consecutive=True),
    }
    notes = [*caveats(build, base, end), value_note(build)]
    try:
        tabs["contributions"] = contributions(build, base, end)
        tabs["leading_factors"] = leading_factors(build, base, end)
        tabs["contributions_yearly"] = contributions(build, base, end, consecutive=True)
        notes.append(weights_note(build))
    except (MethodError, InputError) as exc:
        notes.append(f"no leading factors of change: {exc.message}")
    return ProgressReport(base, end, tabs, summary(build, base=base, end=end,
                                                   with_caveats=False), notes)
