"""Results of a build for people: unit summaries, strengths and weaknesses, wide tables.

Scores and ranks of every unit, period and code are :meth:`gipro.Build.results`; this module
adds the views analysts ask for (COINr ``get_unit_summary``, ``get_str_weak``) and the wide
table that coherence analysis starts from (units x every code, one period)::

    import gipro
    from gipro.results import strengths_weaknesses, unit_summary, wide_table
    b = gipro.run()
    unit_summary(b, "Beijing")                   # index and sub-index scores and ranks
    strong, weak = strengths_weaknesses(b, "Beijing", n=3)
    wide_table(b, 2015)                          # 30 units x 11 codes

Ranks are those of :meth:`gipro.Build.results`: computed per period and code on full-precision
scores, 1 = best, ties share the lowest rank (rounding noise, within 1e-12 of the largest score,
is a tie: :mod:`gipro.methods.rank`), missing scores unranked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .build import Build
from .dataset import positions
from .errors import InputError
from .methods.rank import rank as _rank

__all__ = ["indicator_values", "period_of", "ranking_frame", "ranking_table",
           "strengths_weaknesses",
           "unit_summary", "wide_table"]


def period_of(build: Build, period: int | None) -> int:
    """The period a results question is about: ``period`` (checked to be one of the
    build's), or the build's last period when ``None``.

    Raises
    ------
    InputError
        ``period`` is not a period of the build.
    """
    periods = list(build.final.periods)
    if period is None:
        return periods[-1]
    if period not in periods:
        raise InputError(f"period {period} is not in the build ({periods[0]}-{periods[-1]})")
    return period


def _unit(build: Build, unit: str) -> None:
    if unit not in build.final.units:
        removed = [e for e in build.excluded if e["unit"] == unit]
        hint = (f"it was removed by step {removed[0]['step']}: {removed[0]['reason']}"
                if removed else f"units: {', '.join(build.final.units)}")
        raise InputError(f"unit {unit!r} is not in the results", [hint])


def wide_table(build: Build, period: int | None = None, *, dataset: str | None = None,
               levels: list[int] | None = None) -> pd.DataFrame:
    """Units x codes for one period: the coherence-ready table.

    Parameters
    ----------
    build : Build
        A run build.
    period : int, optional
        Default: the last period of the build.
    dataset : str, optional
        Data set name (default: the final one: normalised indicators and every aggregate).
    levels : list of int, optional
        Keep only codes of these levels (1 = indicators).

    Returns
    -------
    pandas.DataFrame
        Index ``unit``; one column per code (indicators first, then aggregates by level);
        NaN for missing scores.

    Raises
    ------
    InputError
        Unknown period or data set.
    """
    build.require_run()
    ds = build.final if dataset is None else build.datasets.get(dataset)
    if ds is None:
        raise InputError(f"no data set {dataset!r}; available: {', '.join(build.datasets)}")
    period = period_of(build, period)
    pi = ds.periods.index(period)
    codes = list(ds.codes)
    if levels is not None:
        codes = [c for c in codes if build.framework.level(c) in set(levels)]
    idx = [ds.codes.index(c) for c in codes]
    table = pd.DataFrame(ds.values[pi][:, idx], index=pd.Index(ds.units, name="unit"),
                         columns=codes)
    table.columns.name = f"{ds.name} {period}"
    return table


def unit_summary(build: Build, unit: str, period: int | None = None) -> pd.DataFrame:
    """A unit's score and rank for the index and every aggregate (COINr ``get_unit_summary``).

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name, level, score, rank, of`` (``of``: number of ranked units), the
        index first, then sub-indices and dimensions by level.

    Raises
    ------
    InputError
        Unknown unit or period.
    """
    build.require_run()
    _unit(build, unit)
    period = period_of(build, period)
    fw = build.framework
    ds = build.final
    pi, ui = ds.periods.index(period), ds.units.index(unit)
    aggs = [c for c in sorted(fw.aggregate_codes, key=fw.level, reverse=True) if c in ds.codes]
    idx = [ds.codes.index(c) for c in aggs]
    scores = ds.values[pi][:, idx]
    ranks = _rank(scores, axis=0)
    return pd.DataFrame({
        "code": aggs,
        "name": [fw.node(c).label() for c in aggs],
        "level": [fw.level(c) for c in aggs],
        "score": scores[ui],
        "rank": pd.array(ranks[ui], dtype="Float64").astype("Int64"),
        "of": (~np.isnan(scores)).sum(axis=0),
    })


def indicator_values(build: Build, period: int) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """Each unit's observed indicator values in one period, as the index uses them.

    "As the index uses them": after denomination (waste per person, not the total; the
    output of the last denominate step on the way to the normalised scores, else ``raw``);
    "observed": a value missing in the raw data stays missing here even where the index used
    an imputed one. The same values :mod:`gipro.progress` judges.

    Parameters
    ----------
    build : Build
        A run build.
    period : int

    Returns
    -------
    values : pandas.DataFrame
        Units (rows, the raw data's) x indicator codes (columns).
    measure : dict of str to str or None
        The unit of measurement of each code in those values (after denomination).
    """
    from .progress import value_sets
    from .units import units_by_dataset

    sets = value_sets(build)
    raw, val = build.datasets["raw"], build.datasets[sets.value]
    codes = [c for c in val.codes if c in raw.codes]
    v = val.take(codes)[val.periods.index(period)]
    r = raw.take(codes)[raw.periods.index(period)][positions(raw.units, val.units)]
    frame = pd.DataFrame(np.where(np.isnan(r), np.nan, v), index=list(val.units),
                         columns=codes)
    return frame, dict(units_by_dataset(build).get(sets.value, {}))


def strengths_weaknesses(build: Build, unit: str, period: int | None = None, *, n: int = 5,
                         dataset: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A unit's best- and worst-ranked indicators (COINr ``get_str_weak``).

    Each indicator is ranked among the units of the period on the normalised (oriented) scores,
    so rank 1 is the best unit whatever the indicator's direction. Strengths are the ``n``
    indicators with the best (lowest) ranks, weaknesses the ``n`` with the worst; ties in the
    ordering are broken by framework order. Indicators the unit has no value for are left out.

    **Strengths and weaknesses never overlap**: with ``k`` ranked indicators, each list holds
    at most ``floor(k / 2)`` (``min(n, k // 2)``), and a weakness is never one of the
    strengths (the worst-ranked indicators not already listed as strengths). COINr's
    ``get_str_weak`` takes the first ``topN`` and the last ``bottomN`` of one sorted list,
    so a unit with fewer than ``topN + bottomN`` ranked indicators gets the same indicator
    under both headings (3 indicators, ``n = 3``: its worst indicator listed as a
    strength) -- a profile that contradicts itself; gipro caps the lists instead. A unit
    with one ranked indicator has neither.

    Parameters
    ----------
    build : Build
        A run build.
    unit : str
    period : int, optional
        Default: the last period.
    n : int
        How many strengths and weaknesses at most (default 5; at most ``k // 2`` each for a
        unit with ``k`` ranked indicators).
    dataset : str, optional
        Data set holding normalised indicators (default: the final one).

    Returns
    -------
    strengths, weaknesses : pandas.DataFrame
        Columns ``code, name, parent, unit_of_measure, value, score, rank, of``: the
        observed value as the index uses it (after denomination, in that unit; missing when
        the index used an imputed value), the normalised score, the rank and the number of
        ranked units.

    Raises
    ------
    InputError
        Unknown unit or period, ``n < 1``.
    """
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}")
    build.require_run()
    _unit(build, unit)
    period = period_of(build, period)
    fw = build.framework
    ds = build.final if dataset is None else build.datasets[dataset]
    inds = [c for c in fw.indicator_codes if c in ds.codes]
    pi, ui = ds.periods.index(period), ds.units.index(unit)
    scores = ds.values[pi][:, [ds.codes.index(c) for c in inds]]
    ranks = _rank(scores, axis=0)
    vals, measure = indicator_values(build, period)
    table = pd.DataFrame({
        "code": inds,
        "name": [fw.node(c).label() for c in inds],
        "parent": [fw.node(c).parent for c in inds],
        "unit_of_measure": [measure.get(c, fw.node(c).unit) for c in inds],
        "value": [vals.at[unit, c] if c in vals.columns else np.nan for c in inds],
        "score": scores[ui],
        "rank": ranks[ui],
        "of": (~np.isnan(scores)).sum(axis=0),
        "_order": range(len(inds)),
    })
    table = table[table["rank"].notna()]
    m = min(n, len(table) // 2)  # disjoint lists (see above)
    strong = table.sort_values(["rank", "_order"]).head(m)
    rest = table.drop(index=strong.index)
    weak = rest.sort_values(["rank", "_order"], ascending=[False, True]).head(m)
    out = []
    for t in (strong, weak):
        t = t.drop(columns="_order").reset_index(drop=True)
        t["rank"] = t["rank"].astype("Int64")
        out.append(t)
    return out[0], out[1]


def ranking_table(build: Build, period: int | None = None, *, lang: str = "en",
                  codes: list[str] | None = None) -> pd.DataFrame:
    """The ranking to paste into a document: units x the index and its dimensions, the score
    and rank of each, best first (units without an index score last).

    Parameters
    ----------
    build : Build
        A run build.
    period : int, optional
        Default: the last.
    lang : {"en", "zh"}
        Language of the headers and the unit names.
    codes : list of str, optional
        Aggregates shown (default: the index and its children, the dimensions).

    Returns
    -------
    pandas.DataFrame
        Columns: rank (of the index), unit code, unit name, the index score, then per
        dimension its score and its rank (``Economic development (ECO) score``, ``... rank``;
        in Chinese ``经济发展得分``, ``经济发展排名``). Scores at full precision, ranks
        as in :meth:`gipro.Build.results` (1 = best, ties share the lowest rank).

    Raises
    ------
    InputError
        Unknown period, or a code that is not in the build's results.
    """
    from .labels import unit_labels

    build.require_run()
    period = period_of(build, period)
    fw = build.framework
    codes = codes or [fw.root, *fw.children(fw.root)]
    missing = [c for c in codes if c not in set(build.final.codes)]
    if missing:
        raise InputError(f"codes not in the results: {', '.join(missing)}")
    score, rank = build.period_columns(codes, period)
    units = list(build.final.units)
    names = unit_labels(getattr(build.source_panel, "units", None), units, lang)
    return ranking_frame(fw, codes, units, [names[u] for u in units], score, rank, lang)


def ranking_frame(framework: Any, codes: Sequence[str], units: Sequence[str],
                  names: Sequence[str], score: Mapping[str, np.ndarray],
                  rank: Mapping[str, np.ndarray], lang: str = "en") -> pd.DataFrame:
    """The table of :func:`ranking_table` from one period's scores and ranks of each code
    (``score[c]``, ``rank[c]``: arrays over ``units``, NaN where missing; ``codes[0]`` the
    index): the headers in ``lang``, best first, ties by name, units without an index
    score last."""
    fw, root = framework, codes[0]
    zh = lang == "zh"
    head = {"rank": "排名" if zh else "rank", "unit": "代码" if zh else "unit",
            "name": "单元" if zh else "name"}
    out = pd.DataFrame({head["rank"]: rank[root], head["unit"]: list(units),
                        head["name"]: list(names)})
    for c in codes:
        label = fw.node(c).label(lang) if zh else fw.node(c).label_code(lang)
        out[f"{label}得分" if zh else f"{label} score"] = score[c]
        if c != root:  # the index's rank is the first column
            out[f"{label}排名" if zh else f"{label} rank"] = rank[c]
    out = out.sort_values([head["rank"], head["name"]], na_position="last", kind="stable")
    for col in out.columns:
        if col == head["rank"] or col.endswith(("排名", " rank")):
            out[col] = out[col].astype("Int64")
    return out.reset_index(drop=True)

