"""Reports people can read: one self-contained HTML file, an Excel workbook, chart images.

* :func:`report_for_build` -- the standard HTML report of a build: overview (framework
  sunburst, data coverage, steps), results (ranking, sortable tables by level, heatmap of
  normalised scores), unit profiles, progress (slope chart, improver counts, contribution
  waterfalls), robustness (correlations; rank intervals and Sobol indices when given),
  scenarios (when given) and a methodology appendix generated from the build log;
* :func:`park_report` -- park assessments: scorecards with met / partly / not met / no data
  marks by category, verdicts, gaps, the park26 scorecard, unverified thresholds;
* :class:`Report` and the sections (:class:`Overview`, :class:`Results`, :class:`Profiles`,
  :class:`Progress`, :class:`Robustness`, :class:`Scenarios`, :class:`Parks`,
  :class:`Methodology`) to compose a report from plain tables;
* :func:`write_excel` -- the workbook (a sheet per data set, results, progress, log,
  sources);
* :mod:`gipro.report.charts` and :func:`save_image` -- single charts as PNG/SVG (needs the
  kaleido package and a Chrome/Chromium).

Quick use::

    import gipro
    from gipro.report import report_for_build, write_excel
    b = gipro.run()
    report_for_build(b, lang="en").write("report.html")
    write_excel("results.xlsx", b)
"""

from . import charts as charts
from .builder import Context, Report, park_report, report_for_build
from .excel import write_excel
from .i18n import LANGUAGES, translate
from .images import CHARTS, ImageEngineError, build_chart, save_image
from .sections import (
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
)

__all__ = [
    "CHARTS",
    "LANGUAGES",
    "Context",
    "ImageEngineError",
    "Methodology",
    "Overview",
    "Parks",
    "Profiles",
    "Progress",
    "Report",
    "Results",
    "Robustness",
    "Scenarios",
    "Section",
    "build_chart",
    "charts",
    "park_report",
    "report_for_build",
    "save_image",
    "translate",
    "unit_names",
    "write_excel",
]
