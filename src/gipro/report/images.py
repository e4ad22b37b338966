"""Static images of single charts (PNG, SVG, PDF) for papers and slides.

Images are drawn by plotly's image engine, the ``kaleido`` package, which drives a Chrome or
Chromium browser installed on the machine (``pip install kaleido``; on Debian ``apt-get
install chromium``). Where either is missing, :func:`save_image` raises
:class:`ImageEngineError` saying what to install; the HTML report does not need them.

The figure of a chart is the one the HTML report shows (:func:`build_chart` renders the
report's section and takes its figure), so an image and the report always agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GiproError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from ..build import Build

__all__ = ["CHARTS", "FORMATS", "ImageEngineError", "build_chart", "save_image"]

FORMATS = ("png", "svg", "pdf", "jpeg", "webp")

# chart name -> (section, needs a unit)
CHARTS = {
    "framework": ("overview", False), "coverage": ("overview", False),
    "ranking": ("results", False), "heatmap": ("results", False),
    "profile": ("profiles", True), "rank-history": ("profiles", True),
    "slope": ("progress", False), "improvers": ("progress", False),
    "waterfall": ("progress", True), "correlations": ("robustness", False),
}


class ImageEngineError(GiproError):
    """Static images cannot be drawn: plotly's image engine (kaleido) or the Chrome/Chromium
    it drives is not available."""


def save_image(fig: go.Figure, path: str | Path, *, format: str | None = None,
               width: int | None = None, height: int | None = None,
               scale: float = 1.0) -> Path:
    """Write one figure as a static image.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    path : str or pathlib.Path
        Output file; the format is taken from its suffix unless ``format`` is given.
    format : {"png", "svg", "pdf", "jpeg", "webp"}, optional
    width, height : int, optional
        Pixels (default: the figure's height and 1000 wide).
    scale : float
        Resolution factor for raster formats (2 for print).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        Unknown format.
    ImageEngineError
        kaleido is not installed, or it cannot start a Chrome/Chromium.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "png").lower()
    fmt = "jpeg" if fmt == "jpg" else fmt
    if fmt not in FORMATS:
        raise InputError(f"unknown image format {fmt!r}", [f"choose one of: {', '.join(FORMATS)}"])
    try:
        import kaleido  # noqa: F401
    except ImportError:
        raise ImageEngineError(
            "static images need plotly's image engine, which is not installed",
            ["pip install kaleido (it also needs Chrome or Chromium: on Debian/Ubuntu "
             "apt-get install chromium)",
             "the HTML report (gipro report) does not need it: every chart there has a "
             "download button"]) from None
    from .charts import styled

    fig = styled(fig)
    height = height or fig.layout.height or 600
    try:
        fig.write_image(str(path), format=fmt, width=width or 1000, height=height, scale=scale)
    except Exception as exc:  # kaleido raises its own error types (browser not found, ...)
        raise ImageEngineError(
            f"plotly's image engine could not draw {path.name}: {type(exc).__name__}: {exc}",
            ["kaleido needs Chrome or Chromium: on Debian/Ubuntu apt-get install chromium, "
             "or set BROWSER_PATH to the browser's executable"]) from None
    return path


def build_chart(build: Build, name: str, *, lang: str = "en", unit: str | None = None,
                period: int | None = None, base: int | None = None,
                end: int | None = None) -> go.Figure:
    """The figure of one chart of a build's report.

    Parameters
    ----------
    build : Build
        A run build.
    name : str
        One of :data:`CHARTS`.
    unit : str, optional
        For per-unit charts (``profile``, ``rank-history``, ``waterfall``); default: the
        best-ranked unit.
    period, base, end : int, optional
        Period of results and profiles; periods of progress.

    Raises
    ------
    InputError
        Unknown chart or unit; a progress chart for a build with one period.
    """
    from .builder import Context
    from .sections import Overview, Profiles, Progress, Results, Robustness

    if name not in CHARTS:
        raise InputError(f"unknown chart {name!r}", [f"charts: {', '.join(CHARTS)}"])
    section, per_unit = CHARTS[name]
    ctx = Context(lang)
    if section == "overview":
        Overview.from_build(build).render(ctx)
    elif section == "results":
        Results.from_build(build, period).render(ctx)
    elif section == "profiles":
        Profiles.from_build(build, period).render(ctx)
    elif section == "progress":
        from ..progress import report

        Progress.from_report(report(build, base, end), build).render(ctx)
    else:
        Robustness.from_build(build, period).render(ctx)
    if not per_unit:
        return ctx.objects[name]
    figs = ctx.set_objects.get(name, {})
    if unit is None:
        res = build.results()
        root = res[(res["code"] == build.framework.root)
                   & (res["period"] == (period or build.final.periods[-1]))]
        unit = next((u for u in res.loc[root.index, "unit"] if u in figs), None)
    if unit not in figs:
        raise InputError(f"no {name} chart for unit {unit!r}",
                         [f"units: {', '.join(figs)}"])
    return figs[unit]
