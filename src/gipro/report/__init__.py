"""Reports people can read: one self-contained HTML file, an Excel workbook, chart images.

* :func:`report_for_build` -- the standard HTML report of a build: overview (framework
  tree, data coverage, steps), results (ranking, sortable tables by level, heatmap of
  normalised scores), unit profiles, progress (slope chart, improver counts, contribution
  waterfalls), robustness (correlations; rank intervals and Sobol indices when given),
  scenarios (when given), green total-factor productivity (when given) and a methodology
  appendix generated from the build log;
* :func:`productivity_report` -- the report of ``gipro gtfp`` (:class:`Productivity`);
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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> submodule that defines it (imported on first use, PEP 562: the command line
#: checks options such as ``--lang`` without loading plotly)
_LAZY = {
    "Context": "context", "Report": "builder", "park_report": "builder",
    "report_for_build": "builder", "write_excel": "excel", "write_workbook_tables": "excel",
    "LANGUAGES": "i18n",
    "translate": "i18n", "CHARTS": "images", "ImageEngineError": "images",
    "build_chart": "images", "save_image": "images", "Methodology": "sections",
    "IndicatorStats": "sections",
    "Overview": "sections", "Parks": "sections", "Profiles": "sections",
    "Progress": "sections", "Results": "sections", "Robustness": "sections",
    "Scenarios": "sections", "Section": "sections", "unit_names": "sections",
    "Productivity": "productivity", "productivity_report": "productivity",
    "productivity_workbook": "productivity",
}

if TYPE_CHECKING:  # pragma: no cover
    from . import charts
    from .builder import Report, park_report, report_for_build
    from .context import Context
    from .excel import write_excel, write_workbook_tables
    from .i18n import LANGUAGES, translate
    from .images import CHARTS, ImageEngineError, build_chart, save_image
    from .productivity import Productivity, productivity_report, productivity_workbook
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
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "charts":
        return importlib.import_module(".charts", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"charts"})


__all__ = [
    "CHARTS",
    "LANGUAGES",
    "Context",
    "ImageEngineError",
    "IndicatorStats",
    "Methodology",
    "Overview",
    "Parks",
    "Productivity",
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
    "productivity_report",
    "productivity_workbook",
    "report_for_build",
    "save_image",
    "translate",
    "unit_names",
    "write_excel",
    "write_workbook_tables",
]
