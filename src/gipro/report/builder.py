"""The report: sections rendered into one self-contained HTML file.

The file holds everything it needs: plotly.js is embedded once (inline ``<script>``), each
chart's figure is stored as JSON in the page and drawn by a small loader, styles are inline,
and nothing is loaded from the network (no CDN, no web fonts, no external images) -- it opens
offline in any browser. Templates are jinja2 (``gipro/report/templates``), with autoescaping.

Quick use::

    import gipro
    from gipro.report import report_for_build
    b = gipro.run()
    report_for_build(b, lang="zh").write("report.html")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..errors import InputError, MethodError
from ..results import period_of
from ..version import __version__
from .context import Context
from .i18n import check_lang, translate
from .sections import (
    IndicatorStats,
    Methodology,
    Overview,
    Parks,
    Profiles,
    Progress,
    Results,
    Robustness,
    Scenarios,
    Section,
    unit_names,
    unverified_thresholds,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build
    from ..parks.data import ParkData
    from ..parks.engine import Assessment
    from ..parks.gi import GreenIndex
    from ..progress import ProgressReport

__all__ = ["Report", "park_notice", "park_report", "report_for_build"]

def _date_text(iso: str, lang: str) -> str:
    """A date as its readers write it: ``2026-12-07`` in English, ``2026年12月7日`` in
    Chinese (GB/T 7408 numerals with 年月日); a text that is not an ISO date is kept.

    Examples
    --------
    >>> _date_text("2026-12-07", "zh"), _date_text("2026-12-07", "en")
    ('2026年12月7日', '2026-12-07')
    """
    if lang != "zh":
        return iso
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.year}年{d.month}月{d.day}日"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("gipro.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def _asset(name: str) -> Markup:
    """A template asset (CSS, JS) inlined verbatim: not parsed by jinja2."""
    from importlib import resources

    return Markup((resources.files("gipro.report") / "templates" / name)
                  .read_text(encoding="utf-8"))


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    if "</script" in js.lower():  # pragma: no cover - would break the page
        raise MethodError("the bundled plotly.js contains '</script'; cannot inline it")
    return js


@dataclass
class Report:
    """An HTML report: a title and a list of sections.

    Parameters
    ----------
    title : str
    lang : {"en", "zh"}
        Language of the template strings and labels.
    sections : list of Section
        Any of :class:`~gipro.report.Overview`, :class:`~gipro.report.Results`,
        :class:`~gipro.report.Profiles`, :class:`~gipro.report.Progress`,
        :class:`~gipro.report.Robustness`, :class:`~gipro.report.Scenarios`,
        :class:`~gipro.report.Parks`,
        :class:`~gipro.report.Methodology`, in the order given.
    subtitle : str, optional
    synthetic : bool
        Show a banner that the data are SYNTHETIC.
    generated : str, optional
        Date printed in the header (default: today).

    Raises
    ------
    InputError
        Unknown language.

    Examples
    --------
    >>> import pandas as pd
    >>> from gipro.report import Report, Robustness
    >>> ri = pd.DataFrame({"unit": ["A", "B"], "nominal_rank": [1, 2],
    ...                    "median_rank": [1.0, 2.0], "q05": [1, 1], "q95": [2, 2]})
    >>> html = Report("Demo", sections=[Robustness(rank_intervals=ri)]).to_html()
    >>> html.count('class="gipro-chart"')
    1
    """

    title: str
    lang: str = "en"
    sections: list[Section] = field(default_factory=list)
    subtitle: str | None = None
    synthetic: bool = False
    generated: str | None = None

    def __post_init__(self) -> None:
        check_lang(self.lang)

    def add(self, section: Section) -> Report:
        """Append a section; returns the report."""
        self.sections.append(section)
        return self

    def to_html(self) -> str:
        """The whole page as one string."""
        ctx = Context(self.lang)
        rendered = []
        for s in self.sections:
            if isinstance(s, Robustness) and s.empty:
                continue
            rendered.append({"key": s.key, "title": ctx.t(s.key), "v": s.render(ctx)})
        env = _environment()
        tpl = env.get_template("report.html.j2")
        return tpl.render(
            title=self.title, subtitle=self.subtitle, lang=self.lang, t=ctx.t,
            sections=rendered, synthetic=self.synthetic,
            generated=ctx.t("generated", version=__version__,
                            date=_date_text(self.generated or date.today().isoformat(),
                                            self.lang)),
            plotly_js=Markup(_plotly_js()), payload=Markup(ctx.payload()),
            css=_asset("report.css"), js=_asset("report.js"),
            groups=ctx.groups)

    def write(self, path: str | Path) -> Path:
        """Write the HTML file (UTF-8), or a PDF when ``path`` ends in ``.pdf`` (printed by
        the system's Chromium/Chrome in headless mode, :func:`gipro.report.pdf.print_pdf`);
        returns its path.

        Raises
        ------
        InputError
            If the file cannot be written.
        PrintError
            A PDF is asked for and no Chromium/Chrome is installed, or it failed.
        """
        path = Path(path)
        html = self.to_html()
        if path.suffix.lower() == ".pdf":
            from .pdf import print_pdf

            return print_pdf(html, path, lang=self.lang)
        from ..tables import write_text

        try:
            if path.parent and not path.parent.exists():
                path.parent.mkdir(parents=True)
            write_text(path, html)
        except OSError as exc:
            raise InputError(f"cannot write the report to {path}: {exc.strerror}") from None
        return path


def report_for_build(
    build: Build,
    *,
    lang: str = "en",
    title: str | None = None,
    period: int | None = None,
    progress: bool | ProgressReport = True,
    base: int | None = None,
    end: int | None = None,
    robustness: Robustness | None = None,
    correlations: bool = True,
    profiles: bool = True,
    scenarios: Scenarios | None = None,
    generated: str | None = None,
    productivity: Section | None = None,
) -> Report:
    """The standard report of a run build.

    Parameters
    ----------
    build : Build
        A run build.
    lang : {"en", "zh"}
    title : str, optional
        Default: the framework's name in ``lang``.
    period : int, optional
        Period of the results and profiles (default: the last).
    progress : bool or ProgressReport
        ``True``: compute :func:`gipro.progress.report` between ``base`` and ``end`` (only
        when the build has two or more periods; a one-period build gets the note "One
        period (2015): no progress section." under the overview's key facts instead); a
        ProgressReport: use it; ``False``: none.
    robustness : Robustness, optional
        Rank intervals / Sobol indices from an uncertainty analysis (plain tables). The
        correlation heatmap of the build is added to it unless ``correlations=False``. Rank
        intervals must be of this build and of the report's period
        (:meth:`Robustness.check_build`).
    profiles : bool
        Include the unit profiles.
    scenarios : Scenarios, optional
        Policy scenarios against the baseline (plain table, see :class:`Scenarios`).
    generated : str, optional
        Date printed in the header (default: today).
    productivity : gipro.report.productivity.Productivity, optional
        Green total-factor productivity of the same units
        (``Productivity.from_result(gipro.gtfp.run(spec))``), shown before the methodology.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        The build has not been run or has no index scores (no aggregate step); unknown
        period or language; rank intervals whose units, period or nominal ranks are not
        those of the build in the report's period.
    """
    from ..progress import ProgressReport
    from ..progress import report as progress_report

    check_lang(lang)
    build.require_run()
    fw = build.framework
    if fw.root not in build.final.codes:
        raise InputError(f"the build has no {fw.root} scores: the report needs a build that "
                         "aggregates to the index",
                         ["add an aggregate step to the recipe"])
    if robustness is not None:  # intervals of another build or period are refused
        robustness.check_build(build, period_of(build, period))
    overview = Overview.from_build(build)
    periods = list(build.final.periods)
    if progress is True and len(periods) == 1:  # asked for, impossible: say so
        overview.notes.append(translate("no_progress_one_period", lang, period=periods[0]))
    sections: list[Section] = [overview, IndicatorStats.from_build(build, period),
                               Results.from_build(build, period)]
    if profiles:
        sections.append(Profiles.from_build(build, period))
    notes: list[str] = []
    rep = None
    if isinstance(progress, ProgressReport):
        rep = progress
    elif progress and len(build.final.periods) > 1:
        rep = progress_report(build, base, end)
    if rep is not None:
        sections.append(Progress.from_report(rep, build))
        notes.extend(rep.notes)
    if correlations:
        extra = Robustness.from_build(build, period)
        if robustness is None:
            robustness = extra
        else:
            robustness.correlations = extra.correlations
            robustness.correlation_note = extra.correlation_note
    if robustness is not None:
        robustness.framework = robustness.framework or fw
        robustness.names = robustness.names or unit_names(
            getattr(build.source_panel, "units", None), list(build.datasets["raw"].units))
        sections.append(robustness)
    if scenarios is not None:
        if not scenarios.names:
            scenarios.names = unit_names(getattr(build.source_panel, "units", None),
                                         list(build.datasets["raw"].units))
        sections.append(scenarios)
        notes.extend(scenarios.notes)
    if productivity is not None:
        sections.append(productivity)
    sections.append(Methodology.from_build(build, notes))
    name = fw.name.get(lang) or fw.code or "gipro"
    sub = f"{build.recipe.name}" if build.recipe.name else None
    return Report(title or name, lang, sections, subtitle=sub,
                  synthetic=_synthetic(build), generated=generated)


def _synthetic(build: Build) -> bool:
    units = getattr(build.source_panel, "units", None)
    return bool(units is not None and "data_status" in units.columns
                and (units["data_status"] == "SYNTHETIC").any())


def park_notice(notice: str) -> str:
    """The paragraph of the NOTICE about the synthetic example parks (whole text if absent)."""
    paras = [p for p in notice.split("\n\n") if "parks_attributes.csv" in p]
    return paras[0].strip() if paras else notice


def park_report(
    data: ParkData,
    assessments: Sequence[Assessment] | Iterable[Assessment],
    *,
    park26_build: Build | None = None,
    lang: str = "en",
    title: str | None = None,
    year: int | None = None,
    green_index: Mapping[str, GreenIndex] | None = None,
) -> Report:
    """A report of park assessments: scorecards, verdicts, gaps, the green index, the park26
    scorecard.

    Parameters
    ----------
    data : gipro.parks.ParkData
    assessments : list of gipro.parks.Assessment
    park26_build : Build, optional
        :func:`gipro.parks.park26` of the same data (its results become a ranking block).
    lang : {"en", "zh"}
    title : str, optional
    year : int, optional
        Year shown (default: the latest).
    green_index : mapping of str to gipro.parks.GreenIndex, optional
        The green index (GI) per framework code, shown in that framework's block. Default:
        :func:`gipro.parks.green_index` with its default parameters for every assessment whose
        framework scores indicators against leading values (the MIIT framework), as
        ``gipro assess`` computes it; ``{}`` for none.
    """
    check_lang(lang)
    assessments = list(assessments)
    names = unit_names(data.parks, data.park_codes)
    park26 = None
    if park26_build is not None:
        park26 = Results.from_build(park26_build, year)
        park26.names = names
    if green_index is None:
        from ..parks import green_index as _gi

        green_index = {a.framework.code: _gi(data, a.framework) for a in assessments
                       if a.framework.verdict.indicator_role == "leading_value"}
    sections: list[Section] = [Parks(assessments, year, names, park26, dict(green_index))]
    notes = []
    for a in assessments:
        notes.extend(f"{a.framework.code}: {n}" for n in a.notes)
    from .. import datasets as _datasets

    sources = [(data.origin or "park data", park_notice(_datasets.notice())
                if data.synthetic else "")]
    meth = Methodology(steps=[e.to_dict() for e in park26_build.log] if park26_build else [],
                       input_notes=[repr(data)], sources=sources,
                       unverified=unverified_thresholds(assessments), notes=notes)
    sections.append(meth)
    return Report(title or translate("parks", lang), lang, sections, synthetic=data.synthetic)
