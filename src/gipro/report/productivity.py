"""The productivity section of the report: green total-factor productivity change (TFPCH) of
each unit, split into efficiency change (TECH) and technical change (TECCH), and how many
units' frontier moved between each pair of periods -- from a :class:`gipro.gtfp.GTFPResult`
or from plain tables.

* :class:`Productivity` -- the section (fed by plain tables; :meth:`Productivity.from_result`);
* :func:`productivity_report` -- the HTML report of ``gipro gtfp --report``;
* :func:`productivity_workbook` -- the Excel workbook of ``gipro gtfp --excel``.

Every text is looked up in :mod:`gipro.report.i18n` (English and Chinese).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from .charts import BAD, FONT, GOOD, MAIN
from .i18n import check_lang, translate
from .sections import Section, unit_names
from .tables import Col, table

if TYPE_CHECKING:  # pragma: no cover
    from ..gtfp import GTFPResult
    from .builder import Report
    from .context import Context

__all__ = ["Productivity", "productivity_report", "productivity_workbook"]

#: Units shown in the per-unit chart at most (the highest and lowest mean TFPCH); the table
#: and the CSV files hold every unit.
CHART_UNITS = 40
_SECOND = "#fdae61"


@dataclass
class Productivity(Section):
    """Green total-factor productivity: per-unit TFPCH, TECH and TECCH and the frontier
    shift per pair of periods.

    Attributes
    ----------
    ratio : bool
        Malmquist-Luenberger (ratio: no change is 1) or Luenberger (difference: 0).
    method : dict
        ``model``, ``index``, ``returns``, ``technology`` (the spec's values), and
        ``inputs``, ``desirable``, ``undesirable`` (lists of variable names).
    periods : pandas.DataFrame
        :meth:`gipro.gtfp.GTFPResult.period_summary` (``period_from, period_to, n_units,
        tfpch, tech, tecch, n_tfp_growth, n_catching_up, n_frontier_out, n_frontier_in``).
    units : pandas.DataFrame
        :meth:`gipro.gtfp.GTFPResult.unit_summary` (``unit, tfpch, tech, tecch,
        tfpch_cumulative, leading``).
    infeasible : pandas.DataFrame
        ``unit, period, technology, status`` of the LPs without an optimum.
    names : dict
        Unit labels per language (:func:`gipro.report.unit_names`).
    suspect : list of str
        Desirable outputs whose names look like pollutants.
    n_super : int
        Unit-periods scored by the super-efficiency SBM.
    """

    ratio: bool
    method: dict[str, Any]
    periods: pd.DataFrame
    units: pd.DataFrame
    infeasible: pd.DataFrame = field(default_factory=pd.DataFrame)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    suspect: list[str] = field(default_factory=list)
    n_super: int = 0

    def __post_init__(self) -> None:
        self.key = "productivity"

    @classmethod
    def from_result(cls, result: GTFPResult) -> Productivity:
        """The section of a :func:`gipro.gtfp.run` result with an index.

        Raises
        ------
        InputError
            The result has no productivity index (``index: none``).
        """
        spec = result.spec
        method = {"model": spec.model, "index": spec.index, "returns": spec.returns,
                  "technology": spec.technology, "inputs": list(spec.inputs),
                  "desirable": list(spec.desirable), "undesirable": list(spec.undesirable)}
        units = result.unit_summary()
        codes = list(units["unit"])
        n_super = (int(result.efficiency["super_efficient"].sum())
                   if "super_efficient" in result.efficiency else 0)
        return cls(result.ratio, method, result.period_summary(), units,
                   result.infeasible, unit_names(result.units, codes),
                   list(result.suspect_desirable), n_super)

    def render(self, ctx: Context) -> dict[str, Any]:
        t, lang = ctx.t, ctx.lang
        names = self.names.get(lang, {})
        neutral = 1 if self.ratio else 0
        m = self.method
        intro = t("gtfp_intro", index=t(f"index_{m['index']}"), model=t(f"model_{m['model']}"),
                  returns=t(f"returns_{m['returns']}"),
                  technology=t(f"technology_{m['technology']}"))
        ident = t("gtfp_identity_ratio" if self.ratio else "gtfp_identity_difference")
        variables = t("gtfp_variables", inputs=", ".join(m["inputs"]),
                      desirable=", ".join(m["desirable"]),
                      undesirable=", ".join(m["undesirable"]) or t("none"))
        notes = []
        if self.suspect:
            notes.append(t("gtfp_note_pollutant", names=", ".join(self.suspect)))
        if self.n_super:
            notes.append(t("gtfp_note_super", n=self.n_super))
        units = self.units.copy()
        units["label"] = units["unit"].map(lambda u: names.get(u, u))
        units["leading_text"] = units["leading"].map(
            lambda v: t(f"leading_{v}") if v else "")
        units = units.sort_values(["tfpch", "label"], ascending=[False, True],
                                  na_position="last")
        first, last = (int(self.periods["period_from"].min()),
                       int(self.periods["period_to"].max())) if len(self.periods) else (0, 0)
        fmt_ = ".4f"
        unit_tab = table(units, [Col("label", t("col_unit")),
                                 Col("tfpch", t("col_tfpch"), fmt_),
                                 Col("tech", t("col_tech"), fmt_),
                                 Col("tecch", t("col_tecch"), fmt_),
                                 Col("tfpch_cumulative", t("col_tfp_cumulative", last=last), fmt_),
                                 Col("leading_text", t("col_leading"))], id="gtfp-units")
        per = self.periods.copy()
        per["pair"] = per["period_from"].astype(str) + "–" + per["period_to"].astype(str)
        per_tab = table(per, [Col("pair", t("col_period")), Col("n_units", t("col_n_units"), "int"),
                              Col("tfpch", t("col_tfpch"), fmt_), Col("tech", t("col_tech"), fmt_),
                              Col("tecch", t("col_tecch"), fmt_),
                              Col("n_tfp_growth", t("col_n_tfp_growth"), "int"),
                              Col("n_catching_up", t("col_n_catching_up"), "int"),
                              Col("n_frontier_out", t("col_n_frontier_out"), "int"),
                              Col("n_frontier_in", t("col_n_frontier_in"), "int")],
                        id="gtfp-periods", sortable=False)
        shown = units.dropna(subset=["tfpch"])
        more = ""
        if len(shown) > CHART_UNITS:
            half = CHART_UNITS // 2
            shown = pd.concat([shown.head(half), shown.tail(half)])
            more = t("gtfp_chart_subset", shown=CHART_UNITS, n=len(units))
        out: dict[str, Any] = {
            "intro": intro, "identity": ident, "variables": variables, "notes": notes,
            "first": first, "last": last, "neutral": neutral,
            "mean_note": t("gtfp_mean_note_ratio" if self.ratio else "gtfp_mean_note_difference"),
            "units_chart": ctx.chart(_decomposition_bars(shown, t, neutral), "gtfp_units"),
            "chart_note": more,
            "units_table": unit_tab,
            "frontier_chart": ctx.chart(_frontier_bars(per, t), "gtfp_frontier"),
            "periods_table": per_tab,
            "infeasible": None,
        }
        if len(self.infeasible):
            inf = self.infeasible.copy()
            inf["label"] = inf["unit"].map(lambda u: names.get(u, u))
            inf["status_text"] = inf["status"].map(lambda s: t(f"lp_{s}"))
            inf["reason_text"] = inf["status"].map(lambda s: t(f"lp_reason_{s}"))
            inf["technology_text"] = inf["technology"].map(lambda s: _technology(s, t))
            out["infeasible"] = table(inf, [Col("label", t("col_unit")),
                                            Col("period", t("col_period"), "int"),
                                            Col("technology_text", t("col_technology")),
                                            Col("status_text", t("col_lp_status")),
                                            Col("reason_text", t("col_reason"))],
                                      id="gtfp-infeasible")
        return out


def _technology(label: str, t) -> str:
    """``contemporaneous 2014`` -> the technology's name in the report's language + years."""
    if not label:
        return ""
    word, _, years = label.partition(" ")
    return f"{t(f'technology_{word}')} {years}".strip()


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(template={}, font={"family": FONT, "size": 12}, height=height,
                      title={"text": title, "x": 0, "xanchor": "left"},
                      margin={"l": 10, "r": 10, "t": 80, "b": 10}, barmode="group",
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _decomposition_bars(units: pd.DataFrame, t, neutral: float) -> go.Figure:
    """Grouped horizontal bars: each unit's mean TFPCH, TECH and TECCH."""
    y = [str(v) for v in units["label"]]
    traces = []
    for col, colour in (("tfpch", MAIN), ("tech", _SECOND), ("tecch", GOOD)):
        x = units[col].to_numpy(dtype=float)
        traces.append(go.Bar(name=t(f"col_{col}"), y=y, x=x - neutral, base=neutral,
                             orientation="h", marker_color=colour,
                             customdata=x, hovertemplate="%{y}: %{customdata:.4f}<extra>"
                             + t(f"col_{col}") + "</extra>"))
    fig = go.Figure(traces)
    fig.update_yaxes(autorange="reversed")
    fig.add_vline(x=neutral, line_color="#555555", line_width=1)
    return _layout(fig, t("gtfp_units_chart"), max(320, 26 * len(units) + 140))


def _frontier_bars(periods: pd.DataFrame, t) -> go.Figure:
    """Per pair of periods: units whose frontier moved out / back."""
    x = [str(v) for v in periods["pair"]]
    fig = go.Figure([
        go.Bar(name=t("col_n_frontier_out"), x=x, y=periods["n_frontier_out"].to_numpy(),
               marker_color=GOOD),
        go.Bar(name=t("col_n_frontier_in"), x=x, y=periods["n_frontier_in"].to_numpy(),
               marker_color=BAD),
        go.Bar(name=t("col_n_catching_up"), x=x, y=periods["n_catching_up"].to_numpy(),
               marker_color=_SECOND),
    ])
    return _layout(fig, t("gtfp_frontier_chart"), 360)


def productivity_report(result: GTFPResult, *, lang: str = "en", title: str | None = None,
                        generated: str | None = None) -> Report:
    """The HTML report of a GTFP run: the productivity section.

    Parameters
    ----------
    result : GTFPResult
        A run with a productivity index.
    lang : {"en", "zh"}
    title : str, optional
        Default: the spec's name, else "Green total-factor productivity" in ``lang``.
    generated : str, optional
        Date printed in the header.

    Returns
    -------
    gipro.report.Report

    Raises
    ------
    InputError
        Unknown language; a result without an index.
    """
    from .builder import Report

    check_lang(lang)
    section = Productivity.from_result(result)
    name = title or result.spec.name or translate("productivity", lang)
    return Report(name, lang, [section], generated=generated)


def productivity_workbook(path: str | Path, result: GTFPResult) -> Path:
    """The Excel workbook of a GTFP run: efficiency, productivity, the period and unit
    summaries, the LPs without an optimum and the spec as run.

    Raises
    ------
    InputError
        The file cannot be written.
    """
    from .excel import write_excel

    sheets: dict[str, tuple[pd.DataFrame, str]] = {
        "efficiency": (result.efficiency, "DEA scores of every unit and period "
                                          "(efficiency.csv)")}
    if result.productivity is not None:
        sheets["productivity"] = (result.productivity, "TFPCH, TECH, TECCH per unit and "
                                                       "pair of periods (productivity.csv)")
        sheets["period_summary"] = (result.period_summary(), "per pair of periods: means "
                                    "and how many units' frontier moved")
        sheets["unit_summary"] = (result.unit_summary(), "per unit: means over all pairs "
                                  "and the leading component")
    sheets["infeasible"] = (result.infeasible, "LPs without an optimum and the values they "
                                               "leave missing (infeasible.csv)")
    spec = pd.DataFrame({"key": list(result.spec.resolved()),
                         "value": [str(v) for v in result.spec.resolved().values()]})
    sheets["spec"] = (spec, "the GTFP specification as run")
    return write_excel(path, extra=sheets)
