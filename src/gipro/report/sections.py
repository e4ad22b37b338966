"""Sections of the report, each fed by plain tables.

A section is a small dataclass of pandas frames (and labels); ``render`` turns it into charts
and tables for the template. Adapters (``from_build``, ``from_report``, ...) fill a section
from gipro objects, but any analysis that produces the documented frames can feed it -- e.g.
an uncertainty analysis gives :class:`Robustness` a table with columns ``unit, nominal_rank,
median_rank, q05, q95``. Sections are optional: a report holds any subset, in any order.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..framework import Framework
from ..results import indicator_values, period_of
from ..version import __version__
from . import charts
from .i18n import localise, measure, term
from .prose import park_reasons, progress_paragraph, step_prose
from .tables import Cell, Col, Table, fmt, readable, table

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build
    from ..parks.engine import Assessment
    from ..parks.gi import GreenIndex
    from ..progress import ProgressReport
    from .context import Context

__all__ = [
    "Methodology",
    "Overview",
    "Parks",
    "Profiles",
    "Progress",
    "Results",
    "Robustness",
    "Scenarios",
    "Section",
    "unit_names",
]


# ---------------------------------------------------------------------- labels
def unit_names(units: pd.DataFrame | None, codes: Sequence[str]) -> dict[str, dict[str, str]]:
    """Display names of units in each language, from a unit table.

    Parameters
    ----------
    units : pandas.DataFrame, optional
        Indexed by unit code, with optional columns ``name`` (English) and ``name_zh``.
    codes : list of str
        The unit codes to label.

    Returns
    -------
    dict
        ``{"en": {code: label}, "zh": {code: label}}``; a missing name falls back to the other
        language, then to the code.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Inner Mongolia"], "name_zh": ["内蒙古"]},
    ...                  index=["InnerMongolia"])
    >>> unit_names(t, ["InnerMongolia", "X"])["zh"]
    {'InnerMongolia': '内蒙古', 'X': 'X'}
    """
    from ..labels import unit_labels

    return {lang: unit_labels(units, codes, lang) for lang in ("en", "zh")}


def dataset_label(name: str, lang: str) -> str:
    """A build's data set named in ``lang`` (``normalised`` -> ``标准化得分``); a data set
    named by the recipe keeps its name."""
    return term(f"d_{name}", lang) if f"d_{name}" in _DATASETS else name


_DATASETS = {f"d_{k}" for k in ("raw", "denominated", "screened", "imputed", "treated",
                                "normalised", "aggregated")}


def _build_unit_names(build: Build) -> dict[str, dict[str, str]]:
    return unit_names(getattr(build.source_panel, "units", None),
                      list(build.datasets["raw"].units))


@dataclass
class Section:
    """Base class: ``key`` is the anchor and the title's translation key."""

    key: str = field(init=False, default="section")

    def render(self, ctx: Context) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


def _shorten(items: Sequence[Any], limit: int = 10) -> str:
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _rank_text(v: float) -> str:
    return "none" if not np.isfinite(v) else f"{v:g}"


def _wide(res: pd.DataFrame, period: int, value: str) -> pd.DataFrame:
    r = res[res["period"] == period]
    return r.pivot(index="unit", columns="code", values=value)


# ---------------------------------------------------------------------- overview
@dataclass
class Overview(Section):
    """The framework, data coverage and the build's steps.

    Attributes
    ----------
    framework : Framework
    coverage : pandas.DataFrame
        Share of units with a value (0-1): index indicator codes, columns periods.
    missing : pandas.DataFrame
        Columns ``code, n_missing, n_cells`` (input data, per indicator).
    steps : pandas.DataFrame
        Columns ``position, name, step, input, output, notes`` (notes joined).
    facts : dict
        ``units, periods, indicators, aggregates, recipe, data``.
    notes : list of str
        One-line notes under the key facts, in the report's language (e.g. "One period
        (2015): no progress section.", added by :func:`~gipro.report.report_for_build`).
    """

    framework: Framework
    coverage: pd.DataFrame
    missing: pd.DataFrame
    steps: pd.DataFrame
    facts: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = "overview"

    @classmethod
    def from_build(cls, build: Build) -> Overview:
        """Overview of a run build (coverage of its ``raw`` data set)."""
        build.require_run()
        raw = build.datasets["raw"]
        avail = ~np.isnan(raw.values)  # (P, U, K)
        share = avail.mean(axis=1).T  # (K, P)
        coverage = pd.DataFrame(share, index=list(raw.codes), columns=list(raw.periods))
        missing = pd.DataFrame({"code": list(raw.codes),
                                "n_missing": (~avail).sum(axis=(0, 1)),
                                "n_cells": avail.shape[0] * avail.shape[1]})
        steps = pd.DataFrame([{"position": e.position + 1, "name": e.name, "step": e.step,
                               "input": e.input, "output": e.output,
                               "notes": "; ".join(e.notes), "notes_list": list(e.notes)}
                              for e in build.log],
                             columns=["position", "name", "step", "input", "output", "notes",
                                      "notes_list"])
        periods = list(build.final.periods)
        facts = {"units": len(build.final.units), "periods": f"{periods[0]}-{periods[-1]}"
                 if len(periods) > 1 else str(periods[0]),
                 "indicators": len(build.framework.indicator_codes),
                 "aggregates": len(build.framework.aggregate_codes),
                 "recipe": build.recipe.name or "", "data": build.source_panel.origin or ""}
        return cls(build.framework, coverage, missing, steps, facts)

    def render(self, ctx: Context) -> dict[str, Any]:
        fw, lang = self.framework, ctx.lang
        names = {c: fw.node(c).label(lang) if c in fw.nodes else c for c in self.coverage.index}
        cov = self.coverage.rename(index=names)
        miss = self.missing.assign(
            name=self.missing["code"].map(names),
            share=1 - self.missing["n_missing"] / self.missing["n_cells"].where(
                self.missing["n_cells"] > 0))
        t = ctx.t
        steps = self.steps.assign(
            kind=self.steps["step"].map(lambda k: term(f"s_{k}", lang)),
            flow=[f"{dataset_label(a, lang)} → {dataset_label(b, lang)}"
                  for a, b in zip(self.steps["input"], self.steps["output"], strict=True)],
            policies=[localise(n, lang) if isinstance(n, str) else
                      t("clause_sep").join(localise(x, lang) for x in n)
                      for n in self.steps.get("notes_list", self.steps["notes"])])
        return {
            "facts": self.facts,
            "tree": ctx.chart(charts.framework_tree(
                fw, lang, weight_word=t("col_eff_weight"), direction_word=t("col_direction")),
                "framework"),
            "coverage": ctx.chart(charts.coverage_heatmap(cov), "coverage"),
            "missing": table(miss, [Col("code", t("col_code")), Col("name", t("col_name")),
                                    Col("share", t("col_available"), "pct"),
                                    Col("n_missing", t("col_missing"), "int")]),
            "steps": table(steps, [Col("position", "#", "int"),
                                   Col("name", t("col_step")), Col("kind", t("col_kind")),
                                   Col("flow", f"{t('col_input')} → {t('col_output')}"),
                                   Col("policies", t("col_policies"))], sortable=False),
            "framework_name": fw.name.get(lang) or fw.code or "",
            "notes": [localise(n, lang) for n in self.notes],
        }


# ---------------------------------------------------------------------- indicator statistics
@dataclass
class IndicatorStats(Section):
    """Indicator statistics of the input data with their flags (COINr ``get_stats``; see
    :func:`gipro.stats.indicator_stats`), one period.

    Attributes
    ----------
    stats : pandas.DataFrame
        :func:`gipro.stats.indicator_stats` rows (one period).
    framework : Framework
        For the indicators' names in the report's language.
    period : int
    """

    stats: pd.DataFrame
    framework: Framework
    period: int

    def __post_init__(self) -> None:
        self.key = "stats"

    @classmethod
    def from_build(cls, build: Build, period: int | None = None) -> IndicatorStats:
        """Statistics of a build's ``raw`` data set in ``period`` (default: the last)."""
        from ..stats import indicator_stats

        per = period if period is not None else build.periods[-1]
        return cls(indicator_stats(build, "raw", per), build.framework, per)

    def render(self, ctx: Context) -> dict[str, Any]:
        t, fw = ctx.t, self.framework
        df = self.stats.copy()
        df["label"] = [fw.node(c).label(ctx.lang) if c in fw.nodes else c
                       for c in df["indicator"]]
        if "unit" in df.columns:  # measurement units in the report's language
            df["unit"] = df["unit"].map(lambda m: measure(m, ctx.lang) if isinstance(m, str)
                                        else m)
        flags = []
        for r in df.itertuples():
            f = [t("flag_low_availability") if r.flag_availability == "LOW" else "",
                 t("flag_zeros") if r.flag_zero == "LOW" else "",
                 t("flag_few_unique") if r.flag_unique == "LOW" else "",
                 t("flag_outliers") if r.flag_outliers == "OUT" else "",
                 t("flag_constant") if r.constant else "",
                 t("flag_near_constant") if r.near_constant else "",
                 f"{t('flag_collinear')}: {r.collinear}" if r.collinear else ""]
            flags.append("; ".join(x for x in f if x))
        df["flags"] = flags
        n_flagged = sum(bool(f) for f in flags)
        return {
            "period": self.period, "n_flagged": n_flagged, "n": len(df),
            "table": table(df, [Col("indicator", t("col_code")), Col("label", t("col_name")),
                                Col("unit", t("col_measure")),
                                Col("availability", t("col_available"), "pct"),
                                Col("min", t("col_min"), "num"),
                                Col("max", t("col_max"), "num"),
                                Col("mean", t("col_mean"), "num"),
                                Col("sd", t("col_sd"), "num"),
                                Col("skew", t("col_skew"), ".2f"),
                                Col("kurtosis", t("col_kurtosis"), ".2f"),
                                Col("share_zero", t("col_zeros"), "pct"),
                                Col("n_unique", t("col_unique"), "int"),
                                Col("flags", t("col_flags"))], id="stats-table"),
        }


# ---------------------------------------------------------------------- results
@dataclass
class Results(Section):
    """Ranking, scores by level and the heatmap of normalised indicator scores, one period.

    Attributes
    ----------
    framework : Framework
    period : int
    scores, ranks : pandas.DataFrame
        Index unit codes (every unit of the results), columns codes (indicators and
        aggregates); NaN where a unit has no score.
    raw : pandas.DataFrame, optional
        Raw indicator values of the period (same index), shown on the heatmap's hover.
    exclusions : pandas.DataFrame
        Columns ``unit, period, step, reason``.
    names : dict
        Unit labels per language (:func:`unit_names`).
    zrange : (float, float), optional
        Range of the normalised scores (colour scale of the heatmap).
    unit_header : str
        i18n key of the unit column's header (``col_unit``; ``col_park`` for park26).
    """

    framework: Framework
    period: int
    scores: pd.DataFrame
    ranks: pd.DataFrame
    raw: pd.DataFrame | None
    exclusions: pd.DataFrame
    names: dict[str, dict[str, str]]
    zrange: tuple[float, float] | None = None
    unit_header: str = "col_unit"

    def __post_init__(self) -> None:
        self.key = "results"

    @classmethod
    def from_build(cls, build: Build, period: int | None = None) -> Results:
        """Results of a run build in one period (default: the last)."""
        build.require_run()
        period = period_of(build, period)
        res = build.results()
        units = list(build.final.units)
        codes = list(build.final.codes)
        scores = _wide(res, period, "score").reindex(index=units, columns=codes)
        ranks = _wide(res, period, "rank").reindex(index=units, columns=codes).astype(float)
        raw = indicator_values(build, period)[0].reindex(units)  # as the index uses them
        zrange = None
        for e in build.log:
            if e.step == "normalise" and not e.skipped and e.params.get("range"):
                lo, hi = e.params["range"]
                zrange = (float(lo), float(hi))
        return cls(build.framework, period, scores, ranks, raw, build.exclusions(),
                   _build_unit_names(build), zrange)

    def ranking_frame(self, lang: str = "en") -> pd.DataFrame:
        """Units with their index score and rank, best first (units without a score last)."""
        root = self.framework.root
        names = self.names.get(lang, {})
        t = pd.DataFrame({"unit": self.scores.index,
                          "label": [names.get(u, u) for u in self.scores.index],
                          "score": self.scores[root].to_numpy(),
                          "rank": self.ranks[root].to_numpy()})
        return t.sort_values(["rank", "label"], na_position="last").reset_index(drop=True)

    def render(self, ctx: Context) -> dict[str, Any]:
        fw, lang, t = self.framework, ctx.lang, ctx.t
        root = fw.root
        rk = self.ranking_frame(lang)
        root_label = fw.node(root).label(lang)
        bar = charts.ranking_bar(rk, None, root_label, rank_label=t("col_rank"))
        levels = [lv for lv in range(fw.max_level - 1, 0, -1)
                  if any(fw.level(c) == lv for c in self.scores.columns)]
        level_tables = []
        order = list(rk["unit"])
        for i, lv in enumerate(levels):
            codes = [c for c in self.scores.columns if fw.level(c) == lv]
            rows = []
            for u in order:
                r = [Cell(fmt(self.ranks.at[u, root], "int"), _sortv(self.ranks.at[u, root])),
                     Cell(self.names.get(lang, {}).get(u, u), title=u),
                     Cell(fmt(self.scores.at[u, root], ".2f"), _sortv(self.scores.at[u, root]))]
                for c in codes:
                    v, k = self.scores.at[u, c], self.ranks.at[u, c]
                    r.append(Cell(fmt(v, ".2f"), _sortv(v),
                                  title=f"{t('col_rank')} {fmt(k, 'int')}"))
                rows.append(r)
            headers = [(t("col_rank"), True), (t(self.unit_header), False), (root_label, True)]
            headers += [(fw.node(c).label(lang), True) for c in codes]
            title = (t("level_indicators") if lv == 1 else t("level_dimensions")
                     if lv == fw.max_level - 1 else t("level_sub", level=lv))
            level_tables.append({"title": title, "level": lv, "table": Table(
                headers, rows, id="ranking-table" if i == 0 else f"level-{lv}-table")})
        # heatmap: indicators grouped by parent, units in rank order
        inds = [c for c in fw.indicator_codes if c in self.scores.columns]
        inds = sorted(inds, key=lambda c: (fw.aggregate_codes.index(fw.node(c).parent),
                                           fw.indicator_codes.index(c)))
        lab = {u: self.names.get(lang, {}).get(u, u) for u in order}
        sc = self.scores.loc[order, inds].rename(index=lab,
                                                 columns=lambda c: fw.node(c).label(lang))
        raw = None
        if self.raw is not None:
            raw = self.raw.reindex(index=order, columns=inds)
        groups = [fw.node(fw.node(c).parent).label(lang) for c in inds]
        heat = charts.score_heatmap(sc, raw=raw, zrange=self.zrange, groups=groups,
                                    hover_words=(t("hover_score"), t("hover_value")))
        exc = self.exclusions.assign(label=self.exclusions["unit"].map(
            lambda u: self.names.get(lang, {}).get(u, u)),
            reason=self.exclusions["reason"].map(lambda r: localise(str(r), lang)))
        return {
            "period": self.period,
            "ranking": ctx.chart(bar, "ranking"),
            "levels": level_tables,
            "heatmap": ctx.chart(heat, "heatmap"),
            "exclusions": table(exc, [Col("label", t(self.unit_header)),
                                      Col("period", t("col_period"), "int"),
                                      Col("step", t("col_step")),
                                      Col("reason", t("col_reason"))]),
            "n_units": len(order),
        }


def _sortv(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if np.isnan(f) else repr(f)


def strengths_weaknesses_all(framework: Framework, scores: pd.DataFrame, ranks: pd.DataFrame,
                             raw: pd.DataFrame | None, n: int = 3
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every unit's ``n`` best- and worst-ranked indicators at once (COINr ``get_str_weak``;
    the same rule as :func:`gipro.results.strengths_weaknesses`: rank among the units of the
    period on normalised scores, ties in the ordering broken by framework order, indicators
    without a value left out, and the two lists disjoint: at most ``floor(k / 2)`` each for a
    unit with ``k`` ranked indicators, a weakness never one of the strengths).

    Parameters
    ----------
    framework : Framework
    scores, ranks : pandas.DataFrame
        Units x codes of one period (indicator columns are used).
    raw : pandas.DataFrame, optional
        Raw values, units x indicators.
    n : int

    Returns
    -------
    strengths, weaknesses : pandas.DataFrame
        ``unit, code, value, score, rank, of``, ``min(n, k // 2)`` rows per unit with ``k``
        ranked indicators, best first / worst first.
    """
    inds = [c for c in framework.indicator_codes if c in scores.columns]
    r = ranks[inds].to_numpy(dtype=float)
    x = scores[inds].to_numpy(dtype=float)
    v = (raw.reindex(columns=inds).to_numpy(dtype=float) if raw is not None
         else np.full(x.shape, np.nan))
    of = (~np.isnan(x)).sum(axis=0)
    k = len(inds)
    order = np.arange(k)
    units = np.asarray(scores.index, dtype=object)
    m = np.minimum(n, (~np.isnan(r)).sum(axis=1) // 2)  # per unit: disjoint lists
    chosen = np.zeros(r.shape, dtype=bool)  # the unit's strengths, never a weakness
    out = []
    for sign in (1.0, -1.0):
        key = np.where(np.isnan(r) | chosen, np.inf, sign * r * (k + 1) + order)
        pos = np.argsort(key, axis=1, kind="stable")[:, :n]
        ok = np.arange(pos.shape[1])[None, :] < m[:, None]
        np.put_along_axis(chosen, pos, ok, axis=1)
        ui, ci = np.nonzero(ok)
        cj = pos[ui, ci]
        out.append(pd.DataFrame({
            "unit": units[ui], "code": np.asarray(inds, dtype=object)[cj],
            "value": v[ui, cj], "score": x[ui, cj],
            "rank": pd.array(r[ui, cj], dtype="Float64").astype("Int64"), "of": of[cj]}))
    return out[0], out[1]


# ---------------------------------------------------------------------- profiles
@dataclass
class Profiles(Section):
    """One profile per unit: scores against the median, strengths and weaknesses, ranks
    over time; shown one unit at a time through a selector.

    Attributes
    ----------
    framework : Framework
    period : int
    scores, ranks : pandas.DataFrame
        Unit x code, for ``period``.
    history : pandas.DataFrame
        Tidy ``unit, period, code, rank`` for the index and its dimensions.
    strengths, weaknesses : pandas.DataFrame
        Tidy, ``unit, code, value, score, rank, of`` (``n`` rows per unit, best first /
        worst first), as :func:`gipro.results.strengths_weaknesses` for every unit.
    names : dict
        Unit labels per language.
    """

    framework: Framework
    period: int
    scores: pd.DataFrame
    ranks: pd.DataFrame
    history: pd.DataFrame
    strengths: pd.DataFrame
    weaknesses: pd.DataFrame
    names: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        self.key = "profiles"

    @classmethod
    def from_build(cls, build: Build, period: int | None = None, n: int = 3) -> Profiles:
        """Profiles of every unit of a run build (``n`` strengths and weaknesses each)."""
        build.require_run()
        period = period_of(build, period)
        fw = build.framework
        res = build.results()
        units, codes = list(build.final.units), list(build.final.codes)
        scores = _wide(res, period, "score").reindex(index=units, columns=codes)
        ranks = _wide(res, period, "rank").reindex(index=units, columns=codes).astype(float)
        hist_codes = [fw.root, *[c for c in fw.children(fw.root) if c in codes]]
        history = res[res["code"].isin(hist_codes)][["unit", "period", "code", "rank"]]
        raw = indicator_values(build, period)[0].reindex(units)  # as the index uses them
        strong, weak = strengths_weaknesses_all(fw, scores, ranks, raw, n)
        return cls(fw, period, scores, ranks, history.reset_index(drop=True), strong, weak,
                   _build_unit_names(build))

    def _profile_codes(self) -> list[str]:
        fw = self.framework
        below = [c for c in fw.aggregate_codes if c != fw.root and c in self.scores.columns]
        below = sorted(below, key=lambda c: -fw.level(c))
        if not below:
            below = [c for c in fw.children(fw.root) if c in self.scores.columns]
        return [fw.root, *below]

    def render(self, ctx: Context) -> dict[str, Any]:
        fw, lang, t = self.framework, ctx.lang, ctx.t
        names = self.names.get(lang, {})
        root = fw.root
        order = self.ranks[root].sort_values(na_position="last").index.tolist()
        codes = self._profile_codes()
        labels = [fw.node(c).label(lang) for c in codes]
        sc = self.scores[codes].to_numpy(dtype=float)
        rk = self.ranks[codes].to_numpy(dtype=float)
        med = np.nanmedian(np.where(np.isnan(sc).all(axis=0), 0.0, sc), axis=0) \
            if len(sc) else np.full(len(codes), np.nan)
        med = np.where(np.isnan(sc).all(axis=0), np.nan, med)
        of = (~np.isnan(sc)).sum(axis=0)
        row = {u: i for i, u in enumerate(self.scores.index)}
        profile, history, panels = {}, {}, []
        periods = sorted(self.history["period"].unique())
        multi = len(periods) > 1
        hcodes = [c for c in [root, *fw.children(root)] if c in set(self.history["code"])]
        hist = (self.history.pivot_table(index="unit", columns=["code", "period"],
                                         values="rank", aggfunc="first", dropna=False)
                .reindex(columns=pd.MultiIndex.from_product([hcodes, periods])))
        hrow = {u: i for i, u in enumerate(hist.index)}
        harr = hist.to_numpy(dtype=float).reshape(len(hist), len(hcodes), len(periods))
        hlabels = [fw.node(c).label(lang) for c in hcodes]
        n_units = len(self.scores)
        cols = [Col("name", t("col_indicator")), Col("value", t("col_value"), "num"),
                Col("score", t("col_score"), ".2f"), Col("rank", t("col_rank"), "int"),
                Col("of", t("col_of"), "int")]
        code_label = {c: n.label(lang) for c, n in fw.nodes.items()}
        strong = self.strengths.assign(name=self.strengths["code"].map(code_label))
        weak = self.weaknesses.assign(name=self.weaknesses["code"].map(code_label))
        s_pos = strong.groupby("unit", sort=False).indices
        w_pos = weak.groupby("unit", sort=False).indices
        empty = strong.iloc[:0]
        scols = [Col("name", t("col_name")), Col("score", t("col_score"), ".2f"),
                 Col("rank", t("col_rank"), "int"), Col("of", t("col_of"), "int")]
        for u in sorted(self.scores.index, key=lambda u: names.get(u, u)):
            i = row[u]
            profile[u] = charts.profile_bars(labels, sc[i], med, rk[i], of, names.get(u, u),
                                             t("col_median"), rank_of=t("rank_of"),
                                             no_rank=t("no_rank"))
            if multi and u in hrow:
                h = pd.DataFrame(harr[hrow[u]].T, index=periods, columns=hlabels)
                history[u] = charts.rank_history(h, n_units, rank_label=t("col_rank"))
            summ = pd.DataFrame({"name": labels, "score": sc[i], "rank": rk[i], "of": of})
            panels.append({
                "unit": u, "label": names.get(u, u),
                "strengths": table(strong.iloc[s_pos[u]] if u in s_pos else empty, cols,
                                   sortable=False),
                "weaknesses": table(weak.iloc[w_pos[u]] if u in w_pos else empty, cols,
                                    sortable=False),
                "summary": table(summ, scols, sortable=False)})
        default = next((u for u in order if u in profile), next(iter(profile)))
        group = ctx.new_group(default)
        return {
            "period": self.period,
            "group": group,
            "default": default,
            "options": [(p["unit"], p["label"]) for p in panels],
            "panels": panels,
            "profile": ctx.chart_set(profile, "profile", group),
            "history": ctx.chart_set(history, "rank-history", group) if history else None,
            "one_period": None if multi else t("one_period", period=periods[0]
                                               if periods else self.period),
        }


# ---------------------------------------------------------------------- progress
@dataclass
class Progress(Section):
    """Progress between a base and an end period.

    Attributes
    ----------
    framework : Framework
    base, end : int
    index_progress : pandas.DataFrame
        :func:`gipro.progress.index_progress` (columns ``unit, code, score_base, score_end,
        change, change_pct, rank_base, rank_end, rank_change``).
    improvers : pandas.DataFrame
        :func:`gipro.progress.improvers` (``code, n_improved, n_worsened, n_unchanged,
        n_missing``).
    contributions : pandas.DataFrame, optional
        :func:`gipro.decompose.contributions` (``unit, code, kind, contribution``); the
        waterfall per unit is drawn when given.
    leading_factors : pandas.DataFrame, optional
    summary : str
    notes : list of str
    names : dict
        Unit labels per language.
    """

    framework: Framework
    base: int
    end: int
    index_progress: pd.DataFrame
    improvers: pd.DataFrame
    contributions: pd.DataFrame | None
    leading_factors: pd.DataFrame | None
    summary: str
    notes: list[str]
    names: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        self.key = "progress"

    @classmethod
    def from_report(cls, rep: ProgressReport, build: Build) -> Progress:
        """Section from :func:`gipro.progress.report` of ``build``."""
        tabs = rep.tables
        return cls(build.framework, rep.base, rep.end, tabs["index_progress"],
                   tabs["improvers"], tabs.get("contributions"), tabs.get("leading_factors"),
                   rep.summary, list(rep.notes), _build_unit_names(build))

    def render(self, ctx: Context) -> dict[str, Any]:
        fw, lang, t = self.framework, ctx.lang, ctx.t
        names = self.names.get(lang, {})
        root = fw.root
        idx = self.index_progress[self.index_progress["code"] == root].copy()
        idx["label"] = idx["unit"].map(lambda u: names.get(u, u))
        idx = idx.sort_values(["change", "label"], ascending=[False, True], na_position="last")
        slope = charts.slope_chart(idx, str(self.base), str(self.end))
        imp = self.improvers.rename(columns={"n_improved": "improved",
                                             "n_unchanged": "unchanged",
                                             "n_worsened": "worsened", "n_missing": "missing"})
        imp = imp.assign(label=imp["code"].map(lambda c: fw.node(c).label(lang)))
        outcome_labels = {"improved": t("col_improved"), "unchanged": t("col_unchanged"),
                          "worsened": t("col_worsened"), "missing": t("no data")}
        summary = self.summary
        if lang != "en":  # the analyses write English: the paragraph again from the tables
            cautions = re.findall(r" Caution: (.+?)\.(?= Caution: |$)", self.summary)
            summary = progress_paragraph(
                self.index_progress, self.improvers, root, fw.node(root).label_code(lang),
                names, {k: n.label(lang) for k, n in fw.nodes.items()}, self.base, self.end,
                cautions, lang)
        out: dict[str, Any] = {
            "base": self.base, "end": self.end, "summary": summary,
            "notes": [localise(n, lang) for n in self.notes],
            "slope": ctx.chart(slope, "slope"),
            "improvers": ctx.chart(charts.improvers_bar(imp, outcome_labels), "improvers"),
            "table": table(idx, [Col("label", t("col_unit")),
                                 Col("score_base", f"{t('col_score')} {self.base}", ".2f"),
                                 Col("score_end", f"{t('col_score')} {self.end}", ".2f"),
                                 Col("change", t("col_change"), "signed"),
                                 Col("change_pct", t("col_change_pct"), ".1f"),
                                 Col("rank_base", f"{t('col_rank')} {self.base}", "int"),
                                 Col("rank_end", f"{t('col_rank')} {self.end}", "int"),
                                 Col("rank_change", t("col_rank_change"), "int")],
                           id="progress-table"),
            "waterfall": None,
        }
        if self.contributions is not None and not self.contributions.empty:
            c = self.contributions
            c = c[(c["base"] == self.base) & (c["end"] == self.end)] if "base" in c else c
            figs, panels = {}, []
            ordered = list(idx["unit"])
            code_label = {k: n.label(lang) for k, n in fw.nodes.items()}
            by_unit = c.groupby("unit", sort=False).indices
            lf_all = None
            if self.leading_factors is not None:
                lf_all = self.leading_factors.assign(
                    name=self.leading_factors["code"].map(code_label))
                lf_pos = lf_all.groupby("unit", sort=False).indices
            starts = dict(zip(idx["unit"], idx["score_base"], strict=True))
            ends = dict(zip(idx["unit"], idx["score_end"], strict=True))
            kind = c["kind"].to_numpy()
            codes_c = c["code"].to_numpy()
            contrib = c["contribution"].to_numpy(dtype=float)
            for u in sorted(ordered, key=lambda u: names.get(u, u)):
                pos = by_unit.get(u, np.array([], dtype=int))
                ind = pos[kind[pos] == "indicator"]
                sr = pd.Series(contrib[ind], index=[code_label[k] for k in codes_c[ind]])
                cov = pos[kind[pos] == "coverage"]
                if len(cov) and np.isfinite(contrib[cov[0]]) and contrib[cov[0]] != 0:
                    sr[t("coverage_effect")] = float(contrib[cov[0]])
                figs[u] = charts.waterfall(starts[u], sr, ends[u], f"{self.base}",
                                           f"{self.end}")
                lf = None
                if lf_all is not None:
                    sel = lf_all.iloc[lf_pos[u]] if u in lf_pos else lf_all.iloc[:0]
                    lf = table(sel, [Col("rank", "#", "int"), Col("name", t("col_indicator")),
                                     Col("contribution", t("col_contribution"), "signed")],
                               sortable=False)
                panels.append({"unit": u, "label": names.get(u, u), "leading": lf})
            default = ordered[0] if ordered else next(iter(figs))
            group = ctx.new_group(default)
            out["waterfall"] = {"group": group, "default": default,
                                "options": [(p["unit"], p["label"]) for p in panels],
                                "panels": panels,
                                "chart": ctx.chart_set(figs, "waterfall", group)}
        return out


# ---------------------------------------------------------------------- robustness
_RI_ALIASES = {"rank_nominal": "nominal_rank", "nominal": "nominal_rank",
               "rank_median": "median_rank", "median": "median_rank",
               "rank_q05": "q05", "q5": "q05", "rank_q95": "q95", "rank_p05": "q05",
               "rank_p95": "q95", "mean_abs_rank_shift": "mean_abs_shift"}
_SOBOL_ALIASES = {"first": "S1", "total": "ST", "first_low": "S1_low",
                  "first_high": "S1_high", "total_low": "ST_low", "total_high": "ST_high",
                  "factor": "input", "name": "input"}
RANK_INTERVAL_COLUMNS = ("unit", "nominal_rank", "median_rank", "q05", "q95")
SOBOL_COLUMNS = ("input", "S1", "ST")


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{what} table lacks columns: {', '.join(missing)}",
                         [f"columns given: {', '.join(map(str, df.columns))}",
                          f"expected: {', '.join(cols)}"])


@dataclass
class Robustness(Section):
    """Rank intervals, Sobol indices and correlations -- each optional, from plain tables.

    Attributes
    ----------
    rank_intervals : pandas.DataFrame, optional
        Columns ``unit, nominal_rank, median_rank, q05, q95`` (5th and 95th percentiles of
        the rank over the uncertainty runs) and optionally ``mean_abs_shift``. Aliases
        accepted: ``rank_nominal, rank_median, rank_q05, rank_q95``.
    sobol : pandas.DataFrame, optional
        Columns ``input, S1, ST`` (first-order and total indices) and optionally either
        ``S1_conf, ST_conf`` (half-widths of the confidence intervals, SALib's names) or
        ``S1_low, S1_high, ST_low, ST_high`` (interval bounds, e.g. bootstrap percentiles).
        Aliases accepted: ``first, total, first_low, first_high, total_low, total_high``.
    correlations : pandas.DataFrame, optional
        Square matrix, the same labels (codes) on index and columns.
    correlation_note : str
        What the correlations are (method and period), shown under the chart.
    names : dict
        Unit labels per language; code labels through ``framework`` when given.
    framework : Framework, optional
    context : dict, optional
        What the rank intervals are about: ``target, period, runs, design`` (shown as one
        translated line above them).
    notes : list of str
        Policies and notes of the analysis (its design, seed, inputs, failed runs).

    Raises
    ------
    InputError
        A table lacks its required columns, a correlation matrix is not square, or a value
        is not numeric.
    """

    rank_intervals: pd.DataFrame | None = None
    sobol: pd.DataFrame | None = None
    correlations: pd.DataFrame | None = None
    correlation_note: str = ""
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    framework: Framework | None = None
    context: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = "robustness"
        if self.rank_intervals is not None:
            ri = self.rank_intervals.rename(columns=_RI_ALIASES)
            _require(ri, RANK_INTERVAL_COLUMNS, "rank-interval")
            ri = ri.assign(unit=ri["unit"].astype(str))
            for c in ("nominal_rank", "median_rank", "q05", "q95"):
                ri[c] = _numeric(ri[c], f"rank-interval column {c}")
            bad = ri[(ri["q05"] > ri["median_rank"]) | (ri["median_rank"] > ri["q95"])]
            if len(bad):
                raise InputError("rank intervals must satisfy q05 <= median_rank <= q95",
                                 [f"unit {u}" for u in bad["unit"].head(10)])
            self.rank_intervals = ri
        if self.sobol is not None:
            sob = self.sobol.rename(columns=_SOBOL_ALIASES)
            _require(sob, SOBOL_COLUMNS, "Sobol")
            sob = sob.assign(input=sob["input"].astype(str))
            for c in ("S1", "ST", "S1_conf", "ST_conf", "S1_low", "S1_high", "ST_low",
                      "ST_high"):
                if c in sob:
                    sob[c] = _numeric(sob[c], f"Sobol column {c}")
            for k in ("S1", "ST"):  # one form for the chart: interval bounds
                if f"{k}_conf" in sob and f"{k}_low" not in sob:
                    sob[f"{k}_low"] = sob[k] - sob[f"{k}_conf"]
                    sob[f"{k}_high"] = sob[k] + sob[f"{k}_conf"]
            self.sobol = sob
        if self.correlations is not None:
            c = self.correlations
            if list(map(str, c.index)) != list(map(str, c.columns)):
                raise InputError("the correlation matrix must be square with the same labels "
                                 "on rows and columns")
            self.correlations = c.apply(lambda s: _numeric(s, "correlation matrix"))

    @property
    def empty(self) -> bool:
        return self.rank_intervals is None and self.sobol is None and self.correlations is None

    def check_build(self, build: Build, period: int | None = None) -> int | None:
        """Refuse rank intervals that are not about ``build``: intervals from another
        recipe, data set or period would sit in the report next to rankings they contradict.

        The rank intervals must name the build's units (every unit ranked in the period, and
        no other) and their nominal ranks must equal the build's ranks of the target (the
        ``target`` of the context or of a ``target`` column, else the index) in the period:
        ``period`` when given (the report's period), else the period of the context or of a
        ``period`` column, else any period of the build whose ranks they equal.

        Parameters
        ----------
        build : Build
            The run build being reported.
        period : int, optional
            The period the report shows.

        Returns
        -------
        int or None
            The period the intervals are about (None without rank intervals).

        Raises
        ------
        InputError
            Unknown target; the intervals' own period differs from ``period``; units that
            are not in the build or units of the build missing from the intervals; nominal
            ranks that differ from the build's (naming units, both ranks and, when they
            equal another period's ranks, that period).
        """
        ri = self.rank_intervals
        if ri is None:
            return None
        ctx = self.context or {}
        target = ctx.get("target")
        if target is None and "target" in ri.columns and ri["target"].nunique() == 1:
            target = str(ri["target"].iloc[0])
        target = target or build.framework.root
        if target not in build.final.codes:
            raise InputError(f"the rank intervals are about {target!r}, which the build does "
                             "not have", [f"codes: {', '.join(map(str, build.final.codes))}"])
        own = ctx.get("period")
        if own in (None, "") and "period" in ri.columns and ri["period"].nunique() == 1:
            own = ri["period"].iloc[0]
        own = None if own in (None, "") else int(own)
        if period is not None and own is not None and own != period:
            raise InputError(f"the rank intervals are of period {own}, the report shows "
                             f"{period}", [f"report period {own} (--period {own}), or compute "
                                           f"the intervals for {period}"])
        res = build.results()
        res = res[res["code"] == target]
        units = [str(u) for u in build.final.units]
        file_units = list(ri["unit"])
        foreign = [u for u in file_units if u not in set(units)]
        if foreign:
            raise InputError(
                f"the rank intervals are not of this build: {len(foreign)} of their units "
                "are not in it", [f"not in the build: {_shorten(foreign)}",
                                  f"units of the build: {_shorten(sorted(units))}",
                                  "compute the intervals (gipro sensitivity) on the same "
                                  "recipe as the report"])
        nominal = pd.Series(ri["nominal_rank"].to_numpy(dtype=float), index=file_units)

        def mismatch(p: int) -> tuple[list[str], list[str]]:
            ranks = res[res["period"] == p].set_index("unit")["rank"].astype(float)
            ranked = [u for u in units if np.isfinite(ranks.get(u, np.nan))]
            lacking = [u for u in ranked if u not in nominal.index]
            a = nominal.to_numpy(dtype=float)
            b = ranks.reindex(nominal.index).to_numpy(dtype=float)
            same = (a == b) | (np.isnan(a) & np.isnan(b))
            bad = [f"{u}: nominal rank {_rank_text(x)} in the file, {_rank_text(y)} in the "
                   f"build" for u, x, y, ok in zip(nominal.index, a, b, same, strict=True)
                   if not ok]
            return lacking, bad

        periods = [int(p) for p in build.final.periods]
        want = period if period is not None else own
        if want is not None:
            if want not in periods:
                raise InputError(f"the rank intervals are of period {want}, which the build "
                                 f"does not have ({periods[0]}-{periods[-1]})")
            lacking, bad = mismatch(want)
            if not lacking and not bad:
                return want
            other = [p for p in periods if p != want and mismatch(p) == ([], [])]
            hint = ([f"they equal the build's ranks of {other[0]}: report that period "
                     f"(--period {other[0]}) or compute the intervals for {want}"]
                    if other else ["compute the intervals (gipro sensitivity) on the same "
                                   "recipe and period as the report"])
            if lacking:
                raise InputError(f"the rank intervals lack {len(lacking)} of the "
                                 f"{target} ranked units of {want}",
                                 [f"missing: {_shorten(lacking)}", *hint])
            raise InputError(f"the rank intervals do not match the {target} ranks of {want} "
                             f"in this build: {len(bad)} units differ", [*bad[:5], *hint])
        for p in reversed(periods):
            if mismatch(p) == ([], []):
                return p
        lacking, bad = mismatch(periods[-1])
        raise InputError(f"the rank intervals do not match the {target} ranks of any period "
                         "of this build", [*(bad[:5] or [f"missing: {_shorten(lacking)}"]),
                                           "compute the intervals (gipro sensitivity) on the "
                                           "same recipe as the report"])

    @classmethod
    def from_analysis(cls, result: Any, build: Build | None = None) -> Robustness:
        """Section from an uncertainty/sensitivity result, read by attribute name only.

        ``rank_stats`` (per unit: ``unit, nominal_rank, median_rank, q05, q95,
        mean_abs_shift``, as :func:`gipro.sensitivity.uncertainty` returns) and ``sobol``
        (``input, first, first_low, first_high, total, total_low, total_high``, or ``None``)
        become the rank-interval and Sobol blocks; ``target``, ``period``, ``design.kind``
        and ``design.n_runs`` the context line, which states how many runs the rank
        intervals use: for a Sobol design the successful runs of its A and B blocks
        (``design.independent()`` and the ``status`` of ``runs``), not the ``N (d + 2)``
        runs of the whole Saltelli design; ``notes`` the notes (design, seed, inputs,
        failed runs). Other objects with these tables work too.
        """
        ri = getattr(result, "rank_stats", None)
        sob = getattr(result, "sobol", None)
        if ri is None and sob is None:
            raise InputError("the result has neither 'rank_stats' nor 'sobol' tables")
        names = _build_unit_names(build) if build is not None else {}
        design = getattr(result, "design", None)
        context = None
        if getattr(result, "target", None) is not None and design is not None:
            context = {"target": result.target, "period": getattr(result, "period", ""),
                       "runs": interval_runs(result, design),
                       "total": getattr(design, "n_runs", ""),
                       "design": getattr(design, "kind", "")}
        return cls(ri, sob, None, "", names, build.framework if build is not None else None,
                   context, list(getattr(result, "notes", []) or []))

    @classmethod
    def from_build(cls, build: Build, period: int | None = None, *,
                   method: str = "pearson", rank_intervals: pd.DataFrame | None = None,
                   sobol: pd.DataFrame | None = None) -> Robustness:
        """Correlations of a run build's indicators and aggregates in one period, plus any
        rank intervals and Sobol indices given.

        Correlations use pairwise complete observations (pandas ``DataFrame.corr``; COINr
        ``get_corr`` with ``use = "pairwise.complete.obs"``), ``method`` "pearson" or
        "spearman".

        Raises
        ------
        InputError
            Unknown method or period; as the constructor.
        """
        from ..results import wide_table

        if method not in ("pearson", "spearman"):
            raise InputError(f"unknown correlation method {method!r}; use pearson or spearman")
        period = period_of(build, period)
        wide = wide_table(build, period)
        corr = wide.corr(method=method)
        note = {"pearson": "Pearson", "spearman": "Spearman"}[method]
        return cls(rank_intervals, sobol, corr, f"{note}|{period}", _build_unit_names(build),
                   build.framework)

    def render(self, ctx: Context) -> dict[str, Any]:
        lang, t = ctx.lang, ctx.t
        names = self.names.get(lang, {})
        context = None
        if self.context:
            c = {"total": "", **self.context}
            sobol = c.get("design") == "sobol" and c["total"] not in ("", c.get("runs"))
            context = t("robustness_context_sobol" if sobol else "robustness_context", **c)
        out: dict[str, Any] = {"rank_intervals": None, "sobol": None, "correlations": None,
                               "notes": [localise(n, lang) for n in self.notes],
                               "context": context}
        if self.rank_intervals is not None:
            ri = self.rank_intervals.assign(label=self.rank_intervals["unit"].map(
                lambda u: names.get(u, u)))
            fig = charts.rank_interval_chart(ri, {"median": t("col_median_rank"),
                                                  "nominal": t("col_nominal_rank")},
                                             rank_label=t("col_rank"))
            ri = ri.assign(interval=[f"{fmt(a, 'g')}-{fmt(b, 'g')}"
                                     for a, b in zip(ri["q05"], ri["q95"], strict=True)])
            out["rank_intervals"] = {
                "chart": ctx.chart(fig, "rank-intervals"),
                "table": table(ri.sort_values("nominal_rank"),
                               [Col("label", t("col_unit")),
                                Col("nominal_rank", t("col_nominal_rank"), "g"),
                                Col("median_rank", t("col_median_rank"), "g"),
                                Col("interval", t("col_interval")),
                                Col("mean_abs_shift", t("col_shift"), ".2f")],
                               id="rank-interval-table")}
        if self.sobol is not None:
            sob = self.sobol.assign(input=self.sobol["input"].map(lambda x: localise(x, lang)))
            out["sobol"] = {"chart": ctx.chart(charts.sobol_bars(sob), "sobol"),
                            "table": table(sob, [Col("input", t("col_input_factor")),
                                                        Col("S1", "S1", ".3f"),
                                                        Col("S1_low", t("col_s1_low"), ".3f"),
                                                        Col("S1_high", t("col_s1_high"), ".3f"),
                                                        Col("ST", "ST", ".3f"),
                                                        Col("ST_low", t("col_st_low"), ".3f"),
                                                        Col("ST_high", t("col_st_high"),
                                                            ".3f")])}
        if self.correlations is not None:
            c = self.correlations
            if self.framework is not None:
                fw = self.framework
                lab = {k: fw.node(k).label(lang) if k in fw.nodes else k for k in c.index}
                c = c.rename(index=lab, columns=lab)
            note = ""
            if "|" in self.correlation_note:
                method, period = self.correlation_note.split("|", 1)
                note = t("correlations_note", method=method, what=period)
            else:
                note = self.correlation_note
            out["correlations"] = {"chart": ctx.chart(charts.correlation_heatmap(c),
                                                      "correlations"), "note": note}
        return out


def interval_runs(result: Any, design: Any) -> Any:
    """How many runs the rank intervals of an analysis use: the successful runs among the
    design's independent ones (all runs of a Monte Carlo design; the A and B blocks of a
    Saltelli design, :meth:`gipro.sensitivity.design.Design.independent`); else the
    ``runs`` column of ``rank_stats`` (its largest count), else every run of the design."""
    indep = getattr(design, "independent", None)
    runs = getattr(result, "runs", None)
    if callable(indep) and isinstance(runs, pd.DataFrame) and "status" in runs.columns:
        use = np.asarray(indep())
        return int((runs["status"].to_numpy()[use] == "ok").sum())
    stats = getattr(result, "rank_stats", None)
    if isinstance(stats, pd.DataFrame) and "runs" in stats.columns and len(stats):
        return int(stats["runs"].max())
    return getattr(design, "n_runs", "")


def _numeric(s: pd.Series, what: str) -> pd.Series:
    v = pd.to_numeric(s, errors="coerce")
    bad = s[v.isna() & s.notna()]
    if len(bad):
        raise InputError(f"{what}: values are not numbers: "
                         + ", ".join(map(repr, bad.head(5).tolist())))
    return v.astype(float)


# ---------------------------------------------------------------------- scenarios
SCENARIO_COLUMNS = ("scenario", "unit", "score_base", "score_scenario", "score_change",
                    "rank_base", "rank_scenario", "rank_change")


@dataclass
class Scenarios(Section):
    """Policy scenarios against the baseline: the index in one period side by side, and
    optionally target attainment, inverse questions and park compliance changes.

    Attributes
    ----------
    table : pandas.DataFrame, optional
        Columns ``scenario, unit, score_base, score_scenario, score_change, rank_base,
        rank_scenario, rank_change`` (rank change = base rank - scenario rank, positive =
        moved up): one row per scenario and unit.
    period : int or str, optional
        The period shown (in the titles).
    notes : list of str
        Policies of the evaluation (frozen or recomputed bounds, projections...).
    names : dict
        Unit labels per language.
    attainment : pandas.DataFrame, optional
        Per label (projection or scenario), target and unit: ``label, target, unit, met``
        (True/False, missing without data) -- ``attainment_summary.csv`` of
        ``gipro scenario``; shown as counts of units meeting each target.
    questions : pandas.DataFrame, optional
        Inverse questions (:func:`gipro.scenario.required_change` rows, ``questions.csv``).
    compliance : pandas.DataFrame, optional
        Park requirement changes (``requirement_changes.csv``); rows whose outcome changes
        are shown.
    verdicts : pandas.DataFrame, optional
        Park verdict changes (``verdict_changes.csv``); rows whose verdict changes are shown.

    Raises
    ------
    InputError
        Nothing to show, missing columns or non-numeric scores.
    """

    table: pd.DataFrame | None = None
    period: Any = None
    notes: list[str] = field(default_factory=list)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    attainment: pd.DataFrame | None = None
    questions: pd.DataFrame | None = None
    compliance: pd.DataFrame | None = None
    verdicts: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.key = "scenarios"
        if all(x is None for x in (self.table, self.attainment, self.questions,
                                   self.compliance, self.verdicts)):
            raise InputError("a scenarios section needs a scenario table, attainment, "
                             "questions or park compliance changes")
        if self.table is not None:
            _require(self.table, SCENARIO_COLUMNS, "scenario")
            t = self.table.assign(unit=self.table["unit"].astype(str),
                                  scenario=self.table["scenario"].astype(str))
            for c in SCENARIO_COLUMNS[2:]:
                t[c] = _numeric(t[c], f"scenario column {c}")
            self.table = t
        if self.attainment is not None:
            _require(self.attainment, ("label", "target", "unit", "met"), "attainment")
        if self.questions is not None:
            _require(self.questions, ("unit", "period", "code", "goal", "indicators", "status",
                                      "reason"), "questions")
        if self.compliance is not None:
            _require(self.compliance, ("scenario", "framework", "park", "year", "requirement",
                                       "outcome_base", "outcome_scenario"), "compliance")
        if self.verdicts is not None:
            _require(self.verdicts, ("scenario", "framework", "park", "year", "verdict_base",
                                     "verdict_scenario"), "verdict")

    @classmethod
    def from_scores(cls, scores: pd.DataFrame, code: str, period: Any,
                    notes: Sequence[str] = (), build: Build | None = None) -> Scenarios:
        """Section from a tidy scenario table with ``code`` and ``period`` columns (every
        code and period), keeping ``code`` (e.g. the index) in ``period``."""
        _require(scores, ("code", "period"), "scenario")
        sel = scores[(scores["code"] == code) & (scores["period"] == period)]
        if sel.empty:
            raise InputError(f"no scenario rows for code {code!r} in period {period}")
        names = _build_unit_names(build) if build is not None else {}
        return cls(sel.reset_index(drop=True), period, list(notes), names)

    @classmethod
    def from_result(cls, result: Any, build: Build | None = None) -> Scenarios:
        """Section from a scenario evaluation (:func:`gipro.scenario.evaluate`), read by
        attribute name only: ``tables["scores"]`` (``scenario, unit, period, code, level,
        score_base, score_scenario, score_change, rank_base, rank_scenario, rank_change``),
        ``period`` and ``notes``. The code shown is the index of ``build`` (default: the
        evaluation's ``baseline``), else the highest level in the table."""
        scores = result.tables["scores"]
        build = build if build is not None else getattr(result, "baseline", None)
        code = (build.framework.root if build is not None
                else scores.loc[scores["level"].idxmax(), "code"])
        return cls.from_scores(scores, code, result.period, getattr(result, "notes", []),
                               build)

    def render(self, ctx: Context) -> dict[str, Any]:
        t, lang = ctx.t, ctx.lang
        names = self.names.get(lang, {})
        out: dict[str, Any] = {"period": self.period,
                               "notes": [localise(n, lang) for n in self.notes], "chart": None,
                               "table": None, "blocks": []}
        if self.table is not None:
            d = self.table.assign(label=self.table["unit"].map(lambda u: names.get(u, u)))
            out["chart"] = ctx.chart(charts.scenario_bars(d), "scenarios")
            out["table"] = table(
                d.sort_values(["scenario", "rank_scenario"]),
                [Col("scenario", t("col_scenario")), Col("label", t("col_unit")),
                 Col("score_base", t("col_score_baseline"), ".2f"),
                 Col("score_scenario", t("col_score_scenario"), ".2f"),
                 Col("score_change", t("col_change"), "signed"),
                 Col("rank_base", t("col_rank_baseline"), "int"),
                 Col("rank_scenario", t("col_rank_scenario"), "int"),
                 Col("rank_change", t("col_rank_change"), "int")],
                id="scenario-table")
        if self.attainment is not None:
            a = self.attainment
            met = a["met"].map(lambda v: None if _blank_cell(v) else str(v).lower() == "true")
            g = a.assign(_met=met.eq(True), _known=met.notna()).groupby(
                ["label", "target"], sort=False)
            counts = pd.DataFrame({"met": g["_met"].sum(), "known": g["_known"].sum(),
                                   "n": g.size()}).reset_index()
            counts["missing"] = counts["n"] - counts["known"]
            counts["label"] = counts["label"].map(lambda x: localise(str(x), lang)
                                                  if str(x).startswith("baseline") else x)
            out["blocks"].append({"title": t("scenario_attainment"),
                                  "note": t("scenario_attainment_note"),
                                  "table": table(counts, [
                                      Col("label", t("col_scenario")),
                                      Col("target", t("col_target")),
                                      Col("met", t("col_met"), "int"),
                                      Col("known", t("col_with_data"), "int"),
                                      Col("missing", t("col_no_data"), "int")],
                                      id="attainment-table")})
        if self.questions is not None:
            q = self.questions.assign(
                label=self.questions["unit"].map(lambda u: names.get(str(u), str(u))),
                goal=self.questions["goal"].map(lambda g: _goal_text(g, lang)),
                status=self.questions["status"].map(
                    lambda x: t(f"status_{x}") if f"status_{x}" in _STATUS else x),
                reason=self.questions["reason"].map(
                    lambda r: "" if _blank_cell(r) else localise(str(r), lang)),
                verified=self.questions.get("verified", pd.Series(dtype=object)).map(
                    lambda v: "" if _blank_cell(v) else t("yes") if str(v) == "True"
                    else t("no") if str(v) == "False" else v),
                value_unit=self.questions.get("value_unit", pd.Series(dtype=object)).map(
                    lambda m: "" if _blank_cell(m) else measure(str(m), lang)))
            out["blocks"].append({"title": t("scenario_questions"),
                                  "note": t("scenario_questions_note"),
                                  "table": table(q, [
                                      Col("label", t("col_unit")),
                                      Col("period", t("col_period"), "int"),
                                      Col("code", t("col_code")), Col("goal", t("col_goal")),
                                      Col("indicators", t("col_indicators")),
                                      Col("status", t("col_answer")),
                                      Col("value_now", t("col_value_now"), ".6g"),
                                      Col("value_needed", t("col_value_needed"), ".6g"),
                                      Col("value_unit", t("col_measure")),
                                      Col("change_pct", t("col_change_pct"), "signed"),
                                      Col("verified", t("col_verified")),
                                      Col("reason", t("col_reason"))],
                                      id="questions-table")})
        for key, frame, before, after, cols in (
                ("scenario_compliance", self.compliance, "outcome_base", "outcome_scenario",
                 [Col("requirement", t("col_requirement")), Col("name", t("col_name")),
                  Col("flag", t("col_note"))]),
                ("scenario_verdicts", self.verdicts, "verdict_base", "verdict_scenario", [])):
            if frame is None:
                continue
            changed = frame[frame[before].astype(str) != frame[after].astype(str)]
            out["blocks"].append({"title": t(key), "note": "" if len(changed) else
                                  t("scenario_no_change"),
                                  "table": table(changed, [
                                      Col("scenario", t("col_scenario")),
                                      Col("framework", t("col_framework")),
                                      Col("park", t("col_park")),
                                      Col("year", t("col_year"), "int"), *cols,
                                      Col(before, t("col_before")),
                                      Col(after, t("col_after"))],
                                      id=key.replace("_", "-") + "-table")
                                  if len(changed) else None})
        return out


_STATUS = {"status_reachable", "status_unreachable", "status_reached"}


def _goal_text(goal: Any, lang: str) -> str:
    """``rank 20`` / ``score 40`` of a question in ``lang``."""
    from .i18n import translate

    m = re.fullmatch(r"(rank|score) (\S+)", str(goal))
    return translate(f"q_{m[1]}", lang, v=m[2]) if m else str(goal)


def _blank_cell(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (
        isinstance(v, str) and v.strip() == "")


# ---------------------------------------------------------------------- parks
_TOP_GAPS = 5  # gaps shown per park and framework (all in <framework>_priorities.csv)
_MARKS = {"met": "✓", "partly met": "◐", "not met": "✗", "not applicable": "–",
          "no data": "?", "no threshold (unverified)": "∅"}
_MARK_CLASS = {"met": "o-met", "partly met": "o-partly", "not met": "o-not",
               "not applicable": "o-na", "no data": "o-nodata",
               "no threshold (unverified)": "o-nothr"}


@dataclass
class Parks(Section):
    """Park assessments: a scorecard per framework (marks by category), verdicts and gaps.

    Attributes
    ----------
    assessments : list of gipro.parks.Assessment
    year : int, optional
        Year shown (default: the latest of each assessment).
    names : dict
        Park labels per language.
    park26 : Results, optional
        The park26 composite scorecard, rendered as a results block (parks labelled "Park").
    green_index : dict of str to gipro.parks.GreenIndex
        Green index (GI) per framework code (the MIIT framework), shown in that framework's
        block: GI by park and year and the last three consecutive years, marked UNVERIFIED.
    """

    assessments: list[Assessment]
    year: int | None = None
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    park26: Results | None = None
    green_index: dict[str, GreenIndex] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key = "parks"

    def render(self, ctx: Context) -> dict[str, Any]:
        from ..parks.engine import OUTCOMES

        lang, t = ctx.lang, ctx.t
        names = self.names.get(lang, {})
        blocks = []
        for a in self.assessments:
            fw = a.framework
            req = a.requirements
            if req.empty:
                continue
            year = int(req["year"].max()) if self.year is None else self.year
            r = req[req["year"] == year]
            parks = list(dict.fromkeys(r["park"]))
            cats = list(dict.fromkeys(r["category"]))
            cat_names = {c.code: f"{c.code} · {c.name.get(lang) or c.code}"
                         for c in fw.categories}
            # scorecard table: requirement rows, one mark column per park
            headers = [(t("col_requirement"), False), (t("col_name"), False),
                       (t("col_threshold"), False)]
            headers += [(names.get(p, p), False) for p in parks]
            rows, groups = [], []
            first = r.drop_duplicates("requirement").set_index("requirement")
            cell = r.set_index(["requirement", "park"])
            for cat in cats:
                for code in first.index[first["category"] == cat]:
                    f = first.loc[code]
                    star = _threshold_mark(f["verified"], f["flag"], t)
                    need = (term("present", lang) if f["comparator"] == "present"
                            else f"{f['comparator']} {f['threshold']} "
                                 f"{measure(f['unit'] or '', lang)}".strip())
                    unver = star == " *"
                    row = [Cell(code), Cell(fw.requirement(code).name.get(lang) or code),
                           Cell(need + star, cls="unverified" if unver else "",
                                title=t("unverified") if unver else "")]
                    for p in parks:
                        if (code, p) not in cell.index:
                            row.append(Cell(""))
                            continue
                        c = cell.loc[(code, p)]
                        o = c["outcome"]
                        gap = ("" if pd.isna(c["gap_pct"])
                               else f"; gap {readable(c['gap_pct'], 2)} %")
                        row.append(Cell(f"{_MARKS[o]} {t(o)}", cls=_MARK_CLASS[o],
                                        title=f"{c['value_label'] or t('no data')}{gap}"))
                    rows.append(row)
                    groups.append(cat_names.get(cat, cat))
            card = Table(headers, rows, id=f"scorecard-{fw.code}", sortable=False,
                         row_groups=groups)
            cats_t = a.categories[(a.categories["year"] == year)
                                  & (a.categories["category"] != "ALL")]
            counts = cats_t.rename(columns={"n_met": "met", "n_partly": "partly met",
                                            "n_not_met": "not met",
                                            "n_not_applicable": "not applicable",
                                            "n_no_data": "no data",
                                            "n_no_threshold": "no threshold (unverified)"})
            counts = counts.assign(label=[f"{names.get(p, p)} · {c}" for p, c in
                                          zip(counts["park"], counts["category"], strict=True)])
            bars = charts.outcome_bars(counts, {o: t(o) for o in OUTCOMES})
            v = a.verdicts[a.verdicts["year"] == year].assign(
                label=lambda d: d["park"].map(lambda k: names.get(k, k)),
                verified_text=lambda d: d["verified"].map(lambda x: "✓" if x else t("unverified")),
                outcome_text=lambda d: d["outcome"].map(
                    lambda oc: t(oc) if oc in ("pass", "fail", "undetermined") else oc),
                verdict_text=lambda d: d["verdict"].map(lambda x: localise(str(x), lang)),
                reasons_text=lambda d: d["reasons"].map(lambda x: park_reasons(x, lang)))
            pr = a.priorities[a.priorities["year"] == year]
            n_gaps = pr.groupby("park", sort=False).size()
            shown = ", ".join(
                f"{names.get(pk, pk)} " + (t("gaps_top", k=_TOP_GAPS, n=n) if n > _TOP_GAPS
                                          else t("gaps_all", n=n))
                for pk, n in n_gaps.items())
            pr = pr[pr["priority"] <= _TOP_GAPS].assign(
                label=lambda d: d["park"].map(lambda k: names.get(k, k)),
                need=lambda d: [(term("present", lang) if c == "present" else f"{c} {th}") +
                                _threshold_mark(ok, fl, t) for c, th, ok, fl in
                                zip(d["comparator"], d["threshold"], d["verified"],
                                    d["flag"], strict=True)],
                name=lambda d, fw=fw: [fw.requirement(r).name.get(lang) or n for r, n in
                                       zip(d["requirement"], d["name"], strict=True)],
                status=lambda d: d["status"].map(lambda x: term(str(x), lang)),
                value_label=lambda d: d["value_label"].map(
                    lambda x: term(x, lang) if isinstance(x, str) else x))
            blocks.append({
                "code": fw.code, "name": fw.name.get(lang) or fw.code, "year": year,
                "synthetic": a.synthetic, "warnings": list(getattr(a, "warnings", [])),
                "chart": ctx.chart(bars, f"park-outcomes-{fw.code}"),
                "scorecard": card,
                "verdicts": table(v, [Col("label", t("col_park")),
                                      Col("outcome_text", t("col_verdict")),
                                      Col("verdict_text", ""),
                                      Col("verified_text", t("col_verified")),
                                      Col("reasons_text", t("col_reasons"))], sortable=False,
                                  id=f"verdicts-{fw.code}"),
                "gaps": table(pr, [Col("label", t("col_park")),
                                   Col("priority", t("col_priority"), "int"),
                                   Col("requirement", t("col_requirement")),
                                   Col("name", t("col_name")),
                                   Col("status", t("col_status")),
                                   Col("value_label", t("col_value")),
                                   Col("need", t("col_threshold")),
                                   Col("gap", t("col_gap"), "g"),
                                   Col("gap_pct", t("col_gap_pct"), ".0f")],
                         id=f"gaps-{fw.code}"),
                "gaps_note": (t("gaps_shown", year=year, parks=shown,
                                file=f"{fw.code}_priorities.csv") if len(n_gaps) else ""),
                "gi": (_green_index_block(self.green_index[fw.code], fw.code, names, t)
                       if fw.code in self.green_index else None),
            })
        park26 = None
        if self.park26 is not None:  # its units are parks
            park26 = replace(self.park26, unit_header="col_park").render(ctx)
        return {"blocks": blocks, "park26": park26,
                "legend": [(_MARKS[o], t(o), _MARK_CLASS[o]) for o in _MARKS]}


def _green_index_block(gi: GreenIndex, code: str, names: dict[str, str],
                       t: Any) -> dict[str, Any]:
    """The GI tables of a framework block: GI by park (rows) and year (columns), a dash with
    the unreported mandatory indicators as tooltip where GI is missing; the window table."""
    sc = gi.scores
    years = sorted(pd.unique(sc["year"]).tolist())
    parks = list(dict.fromkeys(sc["park"]))
    cell = sc.set_index(["park", "year"])
    rows = []
    for pk in parks:
        row = [Cell(names.get(pk, pk), title=pk)]
        for y in years:
            if (pk, y) not in cell.index:
                row.append(Cell(""))
                continue
            r = cell.loc[(pk, y)]
            miss = r["missing_mandatory"]
            title = "" if _blank_cell(miss) else t("gi_missing", codes=miss)
            row.append(Cell(fmt(r["gi"], ".1f"), _sortv(r["gi"]), title=title))
        rows.append(row)
    by_year = Table([(t("col_park"), False), *((str(y), True) for y in years)], rows,
                    id=f"gi-{code}")
    w = gi.window.assign(
        label=lambda d: d["park"].map(lambda k: names.get(k, k)),
        window_text=lambda d: [win if ok else t("gi_no_window") for win, ok in
                               zip(d["window"], d["three_consecutive_years"], strict=True)],
        trend_text=lambda d: d["trend"].map(lambda x: t(x) if x in ("rising", "falling",
                                                                    "mixed") else ""))
    window = table(w, [Col("label", t("col_park")), Col("window_text", t("col_window")),
                       Col("gi_year1", "GI 1", ".1f"), Col("gi_year2", "GI 2", ".1f"),
                       Col("gi_year3", "GI 3", ".1f"), Col("gi_mean", t("col_gi_mean"), ".1f"),
                       Col("trend_text", t("col_trend"))], id=f"gi-window-{code}")
    files = t("list_sep").join(f"{code}_green_index{s}.csv"
                               for s in ("", "_ratios", "_window"))
    return {"note": t("green_index_note", file=files), "by_year": by_year, "window": window}


# ---------------------------------------------------------------------- methodology
@dataclass
class Methodology(Section):
    """Appendix generated from the build log and the inputs' metadata.

    Attributes
    ----------
    steps : list of dict
        Per step: ``position, name, step, input, output, params`` (mapping), ``notes``
        (list), ``skipped``, ``reused``.
    input_notes : list of str
    indicators : pandas.DataFrame, optional
        Framework indicator table (``code, name_en, name_zh, parent, unit, direction, weight,
        effective_weight, source``).
    sources : list of (str, str)
        (title, text): data sources with their licences (e.g. the NOTICE of the embedded
        data), shown verbatim.
    references : list of str
    unverified : pandas.DataFrame, optional
        Every unverified threshold: ``framework, requirement, name, threshold, note, source``.
    notes : list of str
        Further policies (progress caveats, assessment policies).
    exclusions : pandas.DataFrame, optional
    """

    steps: list[dict[str, Any]] = field(default_factory=list)
    input_notes: list[str] = field(default_factory=list)
    indicators: pd.DataFrame | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    unverified: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    exclusions: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.key = "methodology"

    @classmethod
    def from_build(cls, build: Build, notes: Sequence[str] = ()) -> Methodology:
        """Appendix of a run build: every step with its parameters and policies, the
        framework's indicators and references, data sources and licences."""
        build.require_run()
        fw = build.framework
        eff = fw.effective_weights()
        ind = pd.DataFrame([{
            "code": n.code, "name_en": n.name.en or "", "name_zh": n.name.zh or "",
            "parent": n.parent, "unit": n.unit, "direction": n.direction,
            "weight": n.weight, "effective_weight": float(eff[n.code]), "source": n.source,
        } for n in fw.indicators])
        used = units_normalised(build)
        if any(used.get(c) != u for c, u in zip(ind["code"], ind["unit"], strict=True)
               if c in used):  # e.g. denominated: the ratio's unit next to the raw one
            ind.insert(ind.columns.get_loc("unit") + 1, "unit_used", ind["code"].map(used))
        steps = [e.to_dict() for e in build.log]
        return cls(steps, list(build.input_notes), ind, data_sources(build),
                   list(fw.references), None, list(notes), build.exclusions())

    def render(self, ctx: Context) -> dict[str, Any]:
        t, lang = ctx.t, ctx.lang
        steps = []
        for s in self.steps:
            prose, params = step_prose(s, lang)
            steps.append({**s, "kind": term(f"s_{s.get('step')}", lang), "prose": prose,
                          "input": dataset_label(s.get("input", ""), lang),
                          "output": dataset_label(s.get("output", ""), lang),
                          "params": params,
                          "notes": [localise(n, lang) for n in s.get("notes", [])]})
        name_col = "name_zh" if ctx.lang == "zh" else "name_en"
        ind = None
        if self.indicators is not None:
            d = self.indicators.assign(
                name=lambda x: [a or b for a, b in zip(x[name_col], x["name_en" if
                                                                       name_col == "name_zh"
                                                                       else "name_zh"],
                                                       strict=True)],
                direction_text=lambda x: x["direction"].map(
                    lambda v: ("+1 " + t("higher_better")) if v == 1 else
                    ("-1 " + t("lower_better"))),
                unit=lambda x: x["unit"].map(lambda m: measure(m, lang) if isinstance(m, str)
                                             else m),
                **({"unit_used": lambda x: x["unit_used"].map(
                    lambda m: measure(m, lang) if isinstance(m, str) else m)}
                   if "unit_used" in self.indicators.columns else {}))
            ind = table(d, [Col("code", t("col_code")), Col("name", t("col_name")),
                            Col("parent", t("col_parent")), Col("unit", t("col_measure")),
                            *([Col("unit_used", t("col_measure_used"))]
                              if "unit_used" in d.columns else []),
                            Col("direction_text", t("col_direction")),
                            Col("weight", t("col_weight"), "g"),
                            Col("effective_weight", t("col_eff_weight"), ".4f"),
                            Col("source", t("col_source"), cls="licence")])
        unver = None
        if self.unverified is not None and len(self.unverified):
            u = self.unverified
            if lang != "en":
                u = u.assign(
                    name=[n.get(lang) or n.get("en") if isinstance(n, dict) else n
                          for n in u.get("names", u["name"])],
                    note=[t("unverified_note_zh", note=n, file=f"{f}.yaml")
                          for n, f in zip(u["note"], u["framework"], strict=True)],
                    threshold=u["threshold"].map(lambda x: localise(str(x), lang)))
            unver = table(u, [Col("framework", t("col_framework")),
                                            Col("requirement", t("col_requirement")),
                                            Col("name", t("col_name")),
                                            Col("threshold", t("col_threshold")),
                                            Col("note", t("col_note")),
                                            Col("source", t("col_source"), cls="licence")],
                          id="unverified-table")
        exc = None
        if self.exclusions is not None and len(self.exclusions):
            exc = table(self.exclusions.assign(reason=self.exclusions["reason"].map(
                lambda r: localise(str(r), lang))), [Col("unit", t("col_unit")),
                                          Col("period", t("col_period"), "int"),
                                          Col("step", t("col_step")),
                                          Col("reason", t("col_reason"))])
        import plotly

        sep = t("list_sep")
        software = sep.join([f"gipro {__version__}", f"Python {platform.python_version()}",
                             f"numpy {np.__version__}", f"pandas {pd.__version__}",
                             f"plotly {plotly.__version__}"])
        return {"steps": steps, "input_notes": [localise(n, lang) for n in self.input_notes],
                "indicators": ind,
                "sources": self.sources, "references": self.references,
                "unverified": unver, "n_unverified": 0 if self.unverified is None
                else len(self.unverified), "notes": [localise(n, lang) for n in self.notes],
                "exclusions": exc,
                "software": software, "date": date.today().isoformat()}


def units_normalised(build: Build) -> dict[str, str | None]:
    """Units of the indicators as the first normalise step received them (after
    denomination or transformation; see :mod:`gipro.units`); empty without one."""
    from ..units import units_by_dataset

    entry = next((e for e in build.log if e.step == "normalise" and not e.skipped), None)
    if entry is None:
        return {}
    return units_by_dataset(build).get(entry.input, {})


def data_sources(build: Build) -> list[tuple[str, str]]:
    """Data sources and licences of a build's inputs: the NOTICE of a built-in data set
    (verbatim), or the file's path with a note that its terms are its provider's."""
    from .. import datasets as _datasets

    spec = build.recipe.data
    out = []
    if spec.dataset:
        out.append((f"gipro dataset {spec.dataset}",
                    dataset_notice(_datasets.notice(), spec.dataset)))
    elif spec.yearbook is not None:
        out.extend((str(s.path), "") for s in spec.yearbook.sheets)
    else:
        out.append((str(spec.path), ""))
    return out


def dataset_notice(notice: str, dataset: str) -> str:
    """The part of the shipped data's NOTICE about one data set: its section (``gipro
    embedded data: <name>`` up to the next such heading), or the paragraph on the synthetic
    example parks; the whole NOTICE when no part names it.

    Examples
    --------
    >>> text = "gipro embedded data: a\\nA terms\\n\\ngipro embedded data: b\\nB terms"
    >>> dataset_notice(text, "b")
    'gipro embedded data: b\\nB terms'
    """
    if dataset.startswith("parks"):
        paras = [p for p in notice.split("\n\n") if "parks_attributes.csv" in p]
        return paras[0].strip() if paras else notice
    parts = re.split(r"(?m)^(?=gipro embedded data: )", notice)
    for part in parts:
        head = part.split("\n", 1)[0]
        if re.match(rf"gipro embedded data: {re.escape(dataset)}\b", head):
            # the synthetic parks' paragraph follows the last section: not this data set's
            return "\n\n".join(p for p in part.split("\n\n")
                                if "parks_attributes.csv" not in p).strip()
    return notice


def _threshold_mark(verified: bool, flag: str, t) -> str:
    """What follows a threshold in the park tables: `` *`` when unverified, the user's
    source when the user verified it (``verified by user: <source>``), nothing when gipro
    read it in its source."""
    if not bool(verified):
        return " *"
    prefix = "verified by user: "
    if isinstance(flag, str) and flag.startswith(prefix):
        return f" ({t('verified_by_user', source=flag[len(prefix):])})"
    return ""


def unverified_thresholds(assessments: Sequence[Assessment]) -> pd.DataFrame:
    """Every unverified threshold of the assessed frameworks, one row per requirement
    (thresholds the user verified with a source are not listed)."""
    rows = []
    for a in assessments:
        fw = a.framework
        for r in fw.requirements:
            if r.is_verified:
                continue
            th = r.threshold_text or ("present" if r.comparator == "present" else
                                      f"{r.comparator} {r.threshold}" if r.threshold is not None
                                      else "none")
            rows.append({"framework": fw.code, "requirement": r.code,
                         "name": r.name.get("en"),
                         "names": {"en": r.name.get("en"), "zh": r.name.get("zh")},
                         "threshold": th,
                         "note": r.note or "", "source": r.source or ""})
    return pd.DataFrame(rows, columns=["framework", "requirement", "name", "names", "threshold",
                                       "note", "source"])

