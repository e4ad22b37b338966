"""Charts of the report: plotly figures built from plain tables.

Every function takes plain pandas/numpy data and labels (already translated) and returns a
:class:`plotly.graph_objects.Figure`; nothing here reads a build, so the same charts serve the
HTML report, notebooks and static images (:func:`gipro.report.save_image`). The charts follow
the displays of COINr (``plot_bar``, ``plot_framework``, ``plot_corr``, ``plot_uncertainty``,
``plot_sensitivity``) and the JRC audits (rank intervals, Sobol indices), and the OECD/JRC
Handbook (2008) section 10 on presenting composite indicators.

Examples
--------
>>> import pandas as pd
>>> fig = ranking_bar(pd.DataFrame({"label": ["A", "B"], "score": [70.0, 40.0],
...                                 "rank": [1, 2]}), "Index", "score")
>>> [round(v) for v in fig.data[0].x]
[40, 70]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..framework import Framework

__all__ = [
    "OUTCOME_COLOURS",
    "correlation_heatmap",
    "coverage_heatmap",
    "framework_tree",
    "improvers_bar",
    "outcome_bars",
    "profile_bars",
    "rank_history",
    "rank_interval_chart",
    "rank_ticks",
    "ranking_bar",
    "scenario_bars",
    "score_heatmap",
    "shorten",
    "slope_chart",
    "sobol_bars",
    "spread_labels",
    "styled",
    "waterfall",
]

FONT = ('system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei", '
        '"PingFang SC", Helvetica, Arial, sans-serif')
GOOD, BAD, NEUTRAL, MEDIAN = "#1a9850", "#d73027", "#9e9e9e", "#fdae61"
MAIN = "#2166ac"
OUTCOME_COLOURS = {
    "met": "#1a9850", "partly met": "#fdae61", "not met": "#d73027",
    "not applicable": "#d9d9d9", "no data": "#969696", "no threshold (unverified)": "#9ecae1",
}


TEMPLATE = "plotly_white"


def _fig(data=None) -> go.Figure:
    """A figure without plotly's default template: the report adds one shared template
    (:data:`TEMPLATE`) in the page, which keeps each chart small and fast to build; use
    :func:`styled` for a stand-alone figure."""
    return go.Figure(data, layout={"template": {}})


def _fast(data: list[dict], title: str | None = None, height: int | None = None,
          **layout) -> go.Figure:
    """A figure from plain trace dicts without plotly's per-property validation (15 times
    faster; used for the per-unit charts, of which a report holds hundreds). The tests
    re-validate these figures with plotly (``go.Figure(fig.to_dict())``)."""
    lay = {"template": {}, "font": {"family": FONT, "size": 12},
           "margin": {"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
           "height": height, **layout}
    if title:
        lay["title"] = {"text": title, "x": 0, "xanchor": "left"}
    for ax in ("xaxis", "yaxis"):
        lay[ax] = {"automargin": True, **lay.get(ax, {})}
    return go.Figure(data, lay, _validate=False)


def styled(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` with the report's template (for notebooks and images)."""
    out = go.Figure(fig)
    out.update_layout(template=TEMPLATE)
    return out


def _layout(fig: go.Figure, title: str | None = None, height: int | None = None,
            **kw) -> go.Figure:
    fig.update_layout(font={"family": FONT, "size": 12},
                      title={"text": title, "x": 0, "xanchor": "left"} if title else None,
                      margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
                      height=height, **kw)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, width: int = 18) -> str:
    """Break a long label into lines of about ``width`` characters (plotly ``<br>``); Chinese
    characters count double and are broken anywhere.

    Examples
    --------
    >>> wrap("Industrial CO2 emissions per capita", 18)
    'Industrial CO2<br>emissions per<br>capita'
    >>> wrap("单位地区生产总值工业二氧化碳排放", 12)
    '单位地区生产<br>总值工业二氧<br>化碳排放'
    """
    pieces: list[str] = []
    for w in str(text).split(" "):
        while _width(w) > width:
            k, acc = 0, 0
            while k < len(w) and acc + _width(w[k]) <= width:
                acc += _width(w[k])
                k += 1
            pieces.append(w[:max(k, 1)])
            w = w[max(k, 1):]
        pieces.append(w)
    lines, cur = [], ""
    for w in pieces:
        if cur and _width(cur) + 1 + _width(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return "<br>".join(lines)


def shorten(text: str, width: int = 28) -> str:
    """A label cut to about ``width`` columns with an ellipsis (Chinese characters count
    double); shorter labels are returned as they are. Axis labels of unit names are cut so
    that one long name (a 130-character company or park name) cannot take most of a chart's
    width; the full name stays in the hover.

    Examples
    --------
    >>> shorten("Inner Mongolia")
    'Inner Mongolia'
    >>> shorten("Xinjiang Production and Construction Corps", 20)
    'Xinjiang Production…'
    >>> shorten("新疆维吾尔自治区生产建设兵团", 10)
    '新疆维吾…'
    """
    text = str(text)
    if _width(text) <= width:
        return text
    k, acc = 0, 0
    while k < len(text) and acc + _width(text[k]) <= width - 1:
        acc += _width(text[k])
        k += 1
    return text[:k].rstrip() + "…"


def _short_ticks(labels: Sequence[str], width: int = 28) -> dict:
    """Axis settings showing ``labels`` (categories, kept whole for the hover) cut by
    :func:`shorten`; empty when none is cut (the figure stays small)."""
    short = [shorten(v, width) for v in labels]
    if short == list(labels):
        return {}
    return {"tickmode": "array", "tickvals": list(labels), "ticktext": short}


def rank_ticks(n_units: int, most: int = 10) -> list[int]:
    """Integer rank ticks for an axis of ``n_units`` ranks: 1 and the multiples of a round
    step (1, 2, 5, 10, 20, 50, ...), at most about ``most`` of them; step 1 or 2 counts
    from 1 (1, 3, 5, ...).

    Examples
    --------
    >>> rank_ticks(30)
    [1, 5, 10, 15, 20, 25, 30]
    >>> rank_ticks(7)
    [1, 2, 3, 4, 5, 6, 7]
    >>> rank_ticks(15)
    [1, 3, 5, 7, 9, 11, 13, 15]
    """
    n = max(int(n_units), 1)
    k = 0
    step = 1
    while -(-n // step) > most:  # ceil(n / step) ticks
        k += 1
        step = (1, 2, 5)[k % 3] * 10 ** (k // 3)
    if step <= 2:
        return list(range(1, n + 1, step))
    return [1, *range(step, n + 1, step)]


def _num(v) -> np.ndarray:
    return pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(dtype=float)


def framework_tree(framework: Framework, lang: str = "en", title: str | None = None, *,
                   weight_word: str = "effective weight",
                   direction_word: str = "direction") -> go.Figure:
    """The framework as an icicle: the index on the left, each level a column to its right,
    every box's height its effective weight.

    Heights are the effective weights of :meth:`gipro.Framework.effective_weights`
    (product of the sibling-normalised weights on the path to the index; OECD/JRC Handbook
    2008, section 6), so a parent's box is exactly as tall as its children's together. Labels
    are written horizontally in boxes as tall as the weights allow (a sunburst's radial
    labels shrink to unreadable sizes); the figure grows with the number of indicators.

    Parameters
    ----------
    framework : Framework
    lang : {"en", "zh"}
        Language of the labels (falls back to the other language, then to the code).
    title : str, optional
    weight_word, direction_word : str
        Words of the hover text, in the report's language.
    """
    eff = framework.effective_weights()
    nodes = [framework.node(c) for c in [framework.root, *[c for c in eff.index
                                                            if c != framework.root]]]
    hover, text = [], []
    for n in nodes:
        code = "" if n.label(lang) == n.code else f" ({n.code})"
        bits = [f"<b>{n.label(lang)}</b>{code}", f"{weight_word} {eff[n.code]:.4g}"]
        if n.is_indicator:
            bits.append(f"{direction_word} {'+' if n.direction > 0 else '-'}; {n.unit or ''}")
        hover.append("<br>".join(bits))
        text.append(f"{wrap(n.label(lang), 22)}<br>{float(eff[n.code]):.1%}")
    n_ind = len(framework.indicator_codes)
    fig = _fig(go.Icicle(
        ids=[n.code for n in nodes], labels=[n.label(lang) for n in nodes],
        parents=[n.parent or "" for n in nodes], values=[float(eff[n.code]) for n in nodes],
        branchvalues="total", hovertext=hover, hoverinfo="text", text=text,
        textinfo="text", tiling={"orientation": "h"}, sort=False,
        insidetextfont={"size": 13}, outsidetextfont={"size": 13}))
    smallest = float(eff[framework.indicator_codes].min()) if n_ind else 1.0
    # the smallest box about 44 px tall: two lines of 13 px text fit
    height = int(max(380, min(1600, 44 / max(smallest, 1e-3) + 40)))
    return _layout(fig, title, height=height)


def coverage_heatmap(share: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Share of units with data, indicators (rows) x periods (columns), from 0 to 1."""
    z = share.to_numpy(dtype=float)
    fig = _fig(go.Heatmap(
        z=z, x=[str(c) for c in share.columns], y=[str(i) for i in share.index], zmin=0, zmax=1,
        colorscale="Blues", colorbar={"tickformat": ".0%"},
        hovertemplate="%{y}<br>%{x}: %{z:.0%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(type="category")
    return _layout(fig, title, height=max(220, 28 * len(share) + 110))


def ranking_bar(table: pd.DataFrame, title: str | None, score_label: str,
                rank_label: str = "rank") -> go.Figure:
    """Horizontal bars of one score per unit, best rank on top.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``label``, ``score`` and ``rank`` (NaN/NA for units without a score: they
        are shown at the bottom without a bar, never as zero).
    title, score_label : str
    rank_label : str
        The word "rank" in the hover (translated).

    Unit labels longer than 28 columns are cut on the axis (:func:`shorten`); the hover
    shows the whole name.
    """
    t = table.assign(_s=_num(table["score"]), _r=_num(table["rank"]))
    t = t.sort_values(["_r", "label"], na_position="last")
    rev = t.iloc[::-1]
    text = [f"{s:.1f}" if np.isfinite(s) else "n/a" for s in rev["_s"]]
    fig = _fig(go.Bar(
        x=rev["_s"].to_numpy(), y=[str(v) for v in rev["label"]], orientation="h",
        marker_color=MAIN, text=text, textposition="outside", cliponaxis=False,
        customdata=np.stack([rev["_r"].to_numpy()], axis=-1),
        hovertemplate=f"%{{y}}: %{{x:.2f}} ({rank_label} %{{customdata[0]}})<extra></extra>"))
    fig.update_xaxes(title=score_label)
    fig.update_yaxes(**_short_ticks([str(v) for v in rev["label"]]))
    return _layout(fig, title, height=max(260, 22 * len(t) + 90))


def score_heatmap(scores: pd.DataFrame, title: str | None = None, *,
                  raw: pd.DataFrame | None = None, zrange: Sequence[float] | None = None,
                  groups: Sequence[str] | None = None,
                  hover_words: tuple[str, str] = ("score", "value")) -> go.Figure:
    """Heatmap of normalised scores: units (rows, in the given order) x indicators (columns).

    Unit labels longer than 28 columns are cut on the axis (:func:`shorten`), whole in the
    hover; raw values are shown with 4 significant digits and grouped thousands, never in
    exponent form (``35,820``, ``0.7140``).

    Parameters
    ----------
    scores : pandas.DataFrame
        Index: unit labels; columns: indicator labels; NaN = missing (left blank).
    raw : pandas.DataFrame, optional
        Raw values of the same shape, shown on hover.
    zrange : (float, float), optional
        Colour scale limits (e.g. the normalisation range); default: the data range.
    groups : list of str, optional
        A group label per column (the dimension), shown as a second axis line.
    hover_words : (str, str)
        The words "score" and "value" in the hover (translated).
    """
    z = scores.to_numpy(dtype=float)
    many = len(scores.columns) > 12
    x = [str(c) if many else wrap(f"{g} · {c}" if groups is not None else str(c))
         for g, c in zip(groups if groups is not None else [""] * len(scores.columns),
                         scores.columns, strict=True)]
    custom = None
    sw, vw = hover_words
    hover = f"%{{y}}<br>%{{x}}<br>{sw} %{{z:.2f}}<extra></extra>"
    if raw is not None:
        custom = raw.to_numpy(dtype=float)
        hover = (f"%{{y}}<br>%{{x}}<br>{sw} %{{z:.2f}}<br>{vw} %{{customdata:,.4r}}"
                 "<extra></extra>")
    lo, hi = (zrange if zrange is not None else (np.nanmin(z), np.nanmax(z)))
    fig = _fig(go.Heatmap(z=z, x=x, y=[str(i) for i in scores.index], zmin=lo, zmax=hi,
                               colorscale="RdYlGn", customdata=custom, hovertemplate=hover,
                               hoverongaps=False, xgap=1, ygap=1))
    fig.update_yaxes(autorange="reversed", **_short_ticks([str(i) for i in scores.index]))
    fig.update_xaxes(tickangle=-60 if many else 0)
    return _layout(fig, title, height=max(300, 20 * len(scores) + 160))


def profile_bars(labels: Sequence[str], unit_scores: Sequence[float],
                 median_scores: Sequence[float], ranks: Sequence[float], of: Sequence[int],
                 unit_label: str, median_label: str, title: str | None = None, *,
                 rank_of: str = "rank {rank} of {of}", no_rank: str = "no rank") -> go.Figure:
    """A unit's scores next to the median of all units, one pair of bars per code.

    ``rank_of`` and ``no_rank`` are the hover's rank texts (translated: the report passes
    its language's, e.g. ``第 {rank} 名，共 {of} 个``); the legend names the unit by
    ``unit_label`` cut to 40 columns (:func:`shorten`).
    """
    r = [rank_of.format(rank=int(k), of=int(n)) if np.isfinite(k) else no_rank
         for k, n in zip(_num(ranks), of, strict=True)]
    x = [wrap(v, 14) for v in labels]
    return _fast([
        {"type": "bar", "name": shorten(unit_label, 40), "x": x, "y": _num(unit_scores),
         "marker": {"color": MAIN}, "customdata": r,
         "hovertemplate": "%{x}: %{y:.2f} (%{customdata})<extra></extra>"},
        {"type": "bar", "name": median_label, "x": x, "y": _num(median_scores),
         "marker": {"color": MEDIAN}, "hovertemplate": "%{x}: %{y:.2f}<extra></extra>"},
    ], title, 360, barmode="group", legend={"orientation": "h", "y": -0.2})


def rank_history(ranks: pd.DataFrame, n_units: int, title: str | None = None,
                 rank_label: str = "rank") -> go.Figure:
    """Ranks over periods: one line per code (columns), periods as index; rank 1 on top.

    The rank axis is reversed (1 at the top, from ``0.5`` to ``n_units + 0.5``) with integer
    ticks at 1 and round steps (:func:`rank_ticks`: 1, 5, 10, ... 30 for 30 units).
    """
    x = [str(p) for p in ranks.index]
    data = [{"type": "scatter", "x": x, "y": _num(ranks[col]), "mode": "lines+markers",
             "name": str(col), "line": {"width": 3 if i == 0 else 1.5,
                                        "dash": "solid" if i == 0 else "dot"},
             "hovertemplate": f"{col}<br>%{{x}}: {rank_label} %{{y:d}}<extra></extra>"}
            for i, col in enumerate(ranks.columns)]
    return _fast(data, title, 360, legend={"orientation": "h", "y": -0.2},
                 xaxis={"type": "category"},
                 yaxis={"autorange": False, "range": [n_units + 0.5, 0.5],
                        "tickmode": "array", "tickvals": rank_ticks(n_units),
                        "tickformat": "d", "title": {"text": rank_label}})


def spread_labels(y: Sequence[float], gap: float, low: float, high: float) -> np.ndarray:
    """Label positions near ``y`` at least ``gap`` apart, kept within ``[low, high]``.

    The labels keep the order of their values; each moves as little as this simple rule
    allows: sorted upwards, a label is pushed above its lower neighbour when they are closer
    than ``gap``, then labels pushed past ``high`` are pushed back down (the usual
    "label repel" of slope charts, e.g. the ``ggrepel`` idea in one dimension). When the
    labels cannot fit at that gap, the gap shrinks to fit.

    Parameters
    ----------
    y : sequence of float, shape (n,)
        Values (data units) the labels belong to.
    gap : float
        Smallest distance between two labels (data units).
    low, high : float
        Room available.

    Returns
    -------
    ndarray of shape (n,)
        Label positions, in the order of ``y``.

    Examples
    --------
    >>> spread_labels([10.0, 10.2, 10.1, 50.0], gap=2.0, low=0.0, high=100.0).tolist()
    [10.0, 14.0, 12.0, 50.0]
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return y
    gap = min(gap, (high - low) / max(n - 1, 1))
    order = np.argsort(y, kind="stable")
    pos = np.clip(y[order], low, high)
    for i in range(1, n):  # n labels (one per unit of a chart), not an array kernel
        pos[i] = max(pos[i], pos[i - 1] + gap)
    if pos[-1] > high:
        pos[-1] = high
        for i in range(n - 2, -1, -1):
            pos[i] = min(pos[i], pos[i + 1] - gap)
    out = np.empty(n)
    out[order] = pos
    return out


def slope_chart(table: pd.DataFrame, base_label: str, end_label: str,
                title: str | None = None) -> go.Figure:
    """Base-to-end slope chart: one line per unit from its base score to its end score.

    ``table`` has columns ``label``, ``score_base``, ``score_end``; rising lines are green,
    falling red, unchanged grey (three traces whatever the number of units); units missing
    either score are left out of the chart (they are in the tables). Each unit is named to
    the right of its end point; labels that would overlap are spread apart
    (:func:`spread_labels`) with a thin leader line to their point, and the right margin
    is as wide as the longest label, so no label is clipped (labels are cut to 28 columns
    by :func:`shorten`; the hover shows the whole name).
    """
    t = table.assign(sb=_num(table["score_base"]), se=_num(table["score_end"]))
    t = t.dropna(subset=["sb", "se"])
    n_all = len(t)
    height = max(420, 22 * n_all + 140)
    data, notes = [], []
    for name, sel, colour in (("up", t["se"] > t["sb"], GOOD), ("down", t["se"] < t["sb"], BAD),
                              ("same", t["se"] == t["sb"], NEUTRAL)):
        g = t[sel]
        if g.empty:
            continue
        n = len(g)
        x = np.tile(np.array([base_label, end_label, None], dtype=object), n).tolist()
        y = np.column_stack([g["sb"], g["se"], np.full(n, np.nan)]).reshape(-1)
        labels = [str(v) for v in g["label"]]
        custom = np.repeat(labels, 3).tolist()
        data.append({"type": "scatter", "x": x, "y": y, "mode": "lines+markers", "name": name,
                     "line": {"color": colour}, "marker": {"color": colour},
                     "customdata": custom, "showlegend": False, "connectgaps": False,
                     "hovertemplate": "%{customdata}: %{y:.2f}<extra></extra>"})
    layout: dict = {"xaxis": {"type": "category", "range": [-0.25, 1.25]}}
    if n_all:
        ys = np.concatenate([t["sb"].to_numpy(), t["se"].to_numpy()])
        lo, hi = float(ys.min()), float(ys.max())
        pad = max((hi - lo) * 0.04, 1e-9 if hi == lo else 0.0, 0.5 if hi == lo else 0.0)
        lo, hi = lo - pad, hi + pad
        plot_px = height - 50 - 40  # top and bottom margins with the axis labels
        gap = (hi - lo) * 14.0 / plot_px  # 14 px between label baselines (12 px font)
        pos = spread_labels(t["se"].to_numpy(), gap, lo, hi)
        px_per_unit = plot_px / (hi - lo)
        for label, y_end, y_lab in zip(t["label"].astype(str), t["se"], pos, strict=True):
            notes.append({"x": 1, "y": float(y_end), "xref": "x", "yref": "y",
                          "text": shorten(label), "showarrow": True, "arrowhead": 0,
                          "arrowwidth": 0.6, "arrowcolor": "#bbbbbb", "ax": 18,
                          "ay": -float((y_lab - y_end) * px_per_unit), "xanchor": "left",
                          "yanchor": "middle", "font": {"size": 11}})
        longest = max(_width(shorten(str(v))) for v in t["label"])
        layout["yaxis"] = {"range": [lo, hi], "autorange": False}
        layout["annotations"] = notes
        layout["margin"] = {"l": 10, "r": 30 + 7 * longest, "t": 50 if title else 20,
                            "b": 40}
    return _fast(data, title, height, **layout)


def improvers_bar(table: pd.DataFrame, labels: dict[str, str],
                  title: str | None = None) -> go.Figure:
    """Stacked counts of units improved / unchanged / worsened / missing per indicator.

    ``table`` has columns ``label``, ``improved``, ``unchanged``, ``worsened``, ``missing``;
    ``labels`` translates those four outcome names.
    """
    colours = {"improved": GOOD, "unchanged": NEUTRAL, "worsened": BAD, "missing": "#e0e0e0"}
    y = [str(v) for v in table["label"]]
    fig = _fig([go.Bar(name=labels[k], y=y, x=_num(table[k]), orientation="h",
                            marker_color=c, hovertemplate="%{y}: %{x}<extra>" + labels[k] +
                            "</extra>") for k, c in colours.items()])
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(260, 30 * len(table) + 120), barmode="stack",
                   legend={"orientation": "h", "y": -0.15})


def waterfall(start: float, contributions: pd.Series, end: float, start_label: str,
              end_label: str, title: str | None = None) -> go.Figure:
    """Waterfall from the base score through each contribution to the end score.

    ``contributions`` (label -> index points) must add up to ``end - start``; the bars are
    drawn as given (the decomposition of :func:`gipro.decompose.contributions` is exact).
    """
    x = [start_label, *[wrap(str(i), 14) for i in contributions.index], end_label]
    y = [float(start), *[float(v) for v in contributions.to_numpy()], float(end)]
    return _fast([{
        "type": "waterfall", "x": x, "y": y,
        "measure": ["absolute", *["relative"] * len(contributions), "total"],
        "increasing": {"marker": {"color": GOOD}}, "decreasing": {"marker": {"color": BAD}},
        "totals": {"marker": {"color": MAIN}}, "connector": {"line": {"color": "#bbbbbb"}},
        "hovertemplate": "%{x}: %{y:+.2f}<extra></extra>"}], title, 380, showlegend=False)


def rank_interval_chart(table: pd.DataFrame, labels: dict[str, str],
                        title: str | None = None, rank_label: str = "rank") -> go.Figure:
    """Median rank with its 5-95 % interval and the nominal rank, units by nominal rank.

    ``table``: columns ``label, nominal_rank, median_rank, q05, q95``; ``labels`` names the
    ``nominal`` and ``median`` markers.
    """
    t = table.assign(**{c: _num(table[c]) for c in ("nominal_rank", "median_rank", "q05",
                                                    "q95")}).sort_values("nominal_rank")
    x = [str(v) for v in t["label"]]
    fig = _fig([
        go.Scatter(x=x, y=t["median_rank"], mode="markers", name=labels["median"],
                   marker={"color": MAIN, "size": 8},
                   error_y={"type": "data", "symmetric": False,
                            "array": t["q95"] - t["median_rank"],
                            "arrayminus": t["median_rank"] - t["q05"], "color": MAIN},
                   hovertemplate="%{x}: median %{y}<extra></extra>"),
        go.Scatter(x=x, y=t["nominal_rank"], mode="markers", name=labels["nominal"],
                   marker={"color": BAD, "symbol": "diamond", "size": 8},
                   hovertemplate="%{x}: nominal %{y}<extra></extra>"),
    ])
    fig.update_yaxes(autorange="reversed", title=rank_label)
    fig.update_xaxes(tickangle=-60)
    return _layout(fig, title, height=440, legend={"orientation": "h", "y": 1.08})


def sobol_bars(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """First-order and total Sobol indices per uncertain input, with confidence bars.

    ``table``: columns ``input, S1, ST`` and optionally ``S1_low, S1_high, ST_low, ST_high``
    (interval bounds) or ``S1_conf, ST_conf`` (half-widths of the confidence intervals,
    SALib's names).
    """
    traces = []
    for key, colour in (("S1", MAIN), ("ST", MEDIAN)):
        err = None
        if f"{key}_low" in table and f"{key}_high" in table:
            v = _num(table[key])
            err = {"type": "data", "symmetric": False, "visible": True,
                   "array": _num(table[f"{key}_high"]) - v,
                   "arrayminus": v - _num(table[f"{key}_low"])}
        elif f"{key}_conf" in table:
            err = {"type": "data", "array": _num(table[f"{key}_conf"]), "visible": True}
        traces.append(go.Bar(name=key, x=[str(v) for v in table["input"]], y=_num(table[key]),
                             marker_color=colour, error_y=err,
                             hovertemplate=f"%{{x}}: {key} %{{y:.3f}}<extra></extra>"))
    fig = _fig(traces)
    return _layout(fig, title, height=380, barmode="group",
                   legend={"orientation": "h", "y": 1.08})


def scenario_bars(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Change of score per unit under each scenario (grouped horizontal bars).

    ``table``: columns ``scenario, label, score_change``; units in the order of their
    largest change.
    """
    order = (table.groupby("label")["score_change"].max().sort_values(ascending=False)
             .index.tolist())
    traces = []
    for name, g in table.groupby("scenario", sort=False):
        g = g.set_index("label").reindex(order)
        traces.append(go.Bar(name=str(name), y=[str(v) for v in order],
                             x=_num(g["score_change"]), orientation="h",
                             hovertemplate="%{y}: %{x:+.2f}<extra>" + str(name) + "</extra>"))
    fig = _fig(traces)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(300, 18 * len(order) * max(1, len(traces)) // 2
                                          + 120), barmode="group",
                   legend={"orientation": "h", "y": 1.05})


def correlation_heatmap(corr: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Correlation matrix (square, labels on both axes) on a diverging scale from -1 to 1."""
    z = corr.to_numpy(dtype=float)
    text = np.where(np.isfinite(z), np.char.mod("%.2f", np.nan_to_num(z)), "")
    labels = [str(c) for c in corr.columns]
    fig = _fig(go.Heatmap(z=z, x=labels, y=[str(i) for i in corr.index], zmin=-1, zmax=1,
                               colorscale="RdBu", text=text, texttemplate="%{text}",
                               hovertemplate="%{y} / %{x}: %{z:.3f}<extra></extra>",
                               hoverongaps=False))
    fig.update_yaxes(autorange="reversed")
    n = len(labels)
    return _layout(fig, title, height=max(360, 26 * n + 160))


def outcome_bars(table: pd.DataFrame, labels: dict[str, str],
                 title: str | None = None) -> go.Figure:
    """Stacked counts of requirement outcomes per row (e.g. park and category).

    ``table``: a ``label`` column and one column per outcome of
    :data:`gipro.parks.OUTCOMES` (counts); ``labels`` translates the outcome names.
    """
    y = [str(v) for v in table["label"]]
    traces = [go.Bar(name=labels[k], y=y, x=_num(table[k]), orientation="h",
                     marker_color=c, hovertemplate="%{y}: %{x}<extra>" + labels[k] + "</extra>")
              for k, c in OUTCOME_COLOURS.items() if k in table]
    fig = _fig(traces)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(260, 24 * len(table) + 120), barmode="stack",
                   legend={"orientation": "h", "y": -0.12})
