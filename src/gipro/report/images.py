"""Static images of single charts (PNG, SVG, PDF) for papers and slides.

Images are drawn by plotly's image engine, the ``kaleido`` package, which drives a Chrome or
Chromium browser installed on the machine (``pip install "gipro[images]"``; on Debian ``apt-get
install chromium``). Where either is missing, :func:`save_image` raises
:class:`ImageEngineError` saying what to install; the HTML report does not need them.

The figure of a chart is the one the HTML report shows (:func:`build_chart` renders the
report's section and takes its figure), so an image and the report always agree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GiproError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from ..build import Build

__all__ = ["CHARTS", "FORMATS", "ImageEngineError", "build_chart", "match_unit", "save_image"]

FORMATS = ("png", "svg", "pdf", "jpeg", "webp")

# chart name -> (section, needs a unit)
CHARTS = {
    "framework": ("overview", False), "coverage": ("overview", False),
    "ranking": ("results", False), "heatmap": ("results", False),
    "profile": ("profiles", True), "rank-history": ("profiles", True),
    "slope": ("progress", False), "improvers": ("progress", False),
    "waterfall": ("progress", True), "correlations": ("robustness", False),
}


#: Largest width or height of a chart image in pixels (before ``scale``), and largest scale:
#: a chart of 10,000 x 10,000 pixels at scale 10 is already a 10-gigapixel bitmap.
MAX_SIDE = 10_000
MAX_SCALE = 10.0
#: Largest bitmap drawn, in pixels (width x height x scale^2): 100 megapixels.
MAX_PIXELS = 100_000_000


def check_dimensions(width: int, height: int, scale: float) -> None:
    """Refuse a chart size that would exhaust memory.

    Raises
    ------
    InputError
        A side outside 1-:data:`MAX_SIDE` pixels, a scale outside (0, :data:`MAX_SCALE`],
        or more than :data:`MAX_PIXELS` pixels in all.
    """
    for what, v in (("width", width), ("height", height)):
        if not 1 <= v <= MAX_SIDE:
            raise InputError(f"chart {what} {v} is outside 1-{MAX_SIDE:,} pixels")
    if not 0 < scale <= MAX_SCALE:
        raise InputError(f"chart scale {scale:g} is outside (0, {MAX_SCALE:g}]")
    if width * height * scale * scale > MAX_PIXELS:
        raise InputError(f"a chart of {width} x {height} pixels at scale {scale:g} is "
                         f"{width * height * scale * scale / 1e6:,.0f} megapixels; the limit is "
                         f"{MAX_PIXELS / 1e6:,.0f}", ["use a smaller --width, --height or "
                                                      "--scale, or an SVG or PDF image"])


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
        Unknown format; the folder cannot be created (a missing folder is created).
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
            ['pip install "gipro[images]" (kaleido; it also needs Chrome or Chromium: on '
             "Debian/Ubuntu apt-get install chromium)",
             "the HTML report (gipro report) does not need it: every chart there has a "
             "download button"]) from None
    from .charts import styled

    try:  # a missing folder is created (as the report and the workbook do)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the image {path}: {exc.strerror or exc}") from None
    fig = styled(fig)
    height = height or fig.layout.height or 600
    check_dimensions(width or 1000, height, scale)
    from ..tables import replace_file

    try:
        with replace_file(path) as tmp:
            fig.write_image(str(tmp), format=fmt, width=width or 1000, height=height,
                            scale=scale)
    except GiproError:
        raise
    except Exception as exc:  # kaleido raises its own error types (browser not found, ...)
        raise ImageEngineError(
            f"plotly's image engine could not draw {path.name}: {type(exc).__name__}: {exc}",
            ["kaleido needs Chrome or Chromium: on Debian/Ubuntu apt-get install chromium, "
             "or set BROWSER_PATH to the browser's executable"]) from None
    return path


def build_chart(build: Build, name: str, *, lang: str = "en", unit: str | None = None,
                period: int | None = None, base: int | None = None,
                end: int | None = None, title: bool | str = False) -> go.Figure:
    """The figure of one chart of a build's report.

    Parameters
    ----------
    build : Build
        A run build.
    name : str
        One of :data:`CHARTS`.
    unit : str, optional
        For per-unit charts (``profile``, ``rank-history``, ``waterfall``): the unit's code
        or its name in either language (the unit table's ``name`` / ``name_zh``, e.g.
        ``Inner Mongolia`` or ``内蒙古`` for ``InnerMongolia``); default: the best-ranked
        unit.
    period, base, end : int, optional
        Period of results and profiles; periods of progress.
    title : bool or str
        ``True``: a title saying what the chart shows -- the chart, the index, the period(s)
        and the unit, in ``lang`` (what a stand-alone image needs; the report's charts sit
        under section headings instead); a string: that title; ``False``: none.

    Raises
    ------
    InputError
        Unknown chart or unit (with the near matches and the units of the build); a
        progress or rank-history chart for a build with one period ("the build has one
        period (2015): no rank history", as the report says); no unit with a score.
    """
    from ..results import period_of
    from .context import Context
    from .i18n import translate
    from .sections import Overview, Profiles, Progress, Results, Robustness

    if name not in CHARTS:
        raise InputError(f"unknown chart {name!r}", [f"charts: {', '.join(CHARTS)}"])
    section, per_unit = CHARTS[name]
    ctx = Context(lang)
    names = _unit_table_names(build)
    if per_unit and unit is not None:
        unit = match_unit(unit, list(build.final.units), names, lang=lang)
    res_period = period_of(build, period)
    periods_text = str(res_period)
    periods = list(build.final.periods)
    if name == "rank-history":
        if len(periods) == 1:  # the report's words (i18n "one_period")
            text = translate("one_period", "en", period=periods[0]).rstrip(".")
            raise InputError(text[0].lower() + text[1:],
                             ["a rank history needs a build with two or more periods"])
        periods_text = f"{periods[0]}-{periods[-1]}"  # the chart spans every period
    if section == "overview":
        Overview.from_build(build).render(ctx)
        periods_text = (f"{build.final.periods[0]}-{build.final.periods[-1]}"
                        if len(build.final.periods) > 1 else str(build.final.periods[0]))
    elif section == "results":
        Results.from_build(build, period).render(ctx)
    elif section == "profiles":
        Profiles.from_build(build, period).render(ctx)
    elif section == "progress":
        from ..progress import report

        rep = report(build, base, end)
        Progress.from_report(rep, build).render(ctx)
        periods_text = f"{rep.base}-{rep.end}"
    else:
        Robustness.from_build(build, period).render(ctx)
    if not per_unit:
        fig = ctx.objects[name]
    else:
        figs = ctx.set_objects.get(name, {})
        if unit is None:
            res = build.results()
            root = res[(res["code"] == build.framework.root) & (res["period"] == res_period)]
            unit = next((u for u in root.sort_values("rank")["unit"] if u in figs), None)
        if unit is None:
            raise InputError(f"no {name} chart: no unit has a score on {build.framework.root} "
                             f"in {res_period}", ["every unit-period is listed with its "
                                                  "reason in exclusions.csv (gipro run)"])
        if unit not in figs:
            raise InputError(f"no {name} chart for unit {unit!r}: it has no score to show "
                             f"({periods_text})",
                             [f"units with a {name} chart: " + ", ".join(sorted(figs))])
        fig = figs[unit]
    if title is False:
        return fig
    if title is True:
        fw = build.framework
        label = translate(f"chart_{name.replace('-', '_')}", lang)
        bits = [label, fw.node(fw.root).label_code(lang), periods_text]
        if per_unit:
            bits.append(names.get(lang, {}).get(unit, unit))
        title = " · ".join(bits)
    import plotly.graph_objects as go

    fig = go.Figure(fig)
    top = max(60, (fig.layout.margin.t or 0))
    fig.update_layout(title={"text": title, "x": 0.01, "xref": "container",
                             "xanchor": "left"}, margin={"t": top})
    return fig


def _unit_table_names(build: Build) -> dict[str, dict[str, str]]:
    from .sections import unit_names

    return unit_names(getattr(build.source_panel, "units", None),
                      [str(u) for u in build.final.units])


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-.]", "", str(text).casefold())


def match_unit(query: str, codes: list[str], names: dict[str, dict[str, str]] | None = None,
               *, lang: str = "en") -> str:
    """The unit code a user means: its code, or its name in either language.

    Parameters
    ----------
    query : str
        What the user typed (``--unit``).
    codes : list of str
        Unit codes of the build.
    names : dict, optional
        ``{"en": {code: name}, "zh": {code: name}}`` (:func:`~gipro.report.unit_names`).
    lang : {"en", "zh"}
        Language of the unit list in the error message.

    Returns
    -------
    str
        The code.

    Raises
    ------
    InputError
        No unit has that code or name. Like every code in gipro, a text that differs from a
        code or name only in case, spaces or punctuation is not taken silently: the message
        names the unit meant (``'beijing'`` -> ``'Beijing'``); otherwise it lists close
        matches and every unit (code and name, sorted by code).

    Examples
    --------
    >>> names = {"en": {"InnerMongolia": "Inner Mongolia", "Beijing": "Beijing"},
    ...          "zh": {"InnerMongolia": "内蒙古", "Beijing": "北京"}}
    >>> match_unit("北京", ["Beijing", "InnerMongolia"], names)
    'Beijing'
    >>> match_unit("Inner Mongolia", ["Beijing", "InnerMongolia"], names)
    'InnerMongolia'
    >>> try:
    ...     match_unit("beijing", ["Beijing", "InnerMongolia"], names)
    ... except InputError as exc:
    ...     print(exc.message.split(";")[1])
     did you mean 'Beijing'? (it differs only in case, spaces or punctuation)
    """
    import difflib

    names = names or {}
    if query in codes:
        return query
    by_name: dict[str, str] = {}
    for lg in ("en", "zh"):
        for code, label in names.get(lg, {}).items():
            if code in codes:
                by_name.setdefault(str(label), code)
    if query in by_name:
        return by_name[query]
    folded: dict[str, str] = {}
    for text, code in [*((c, c) for c in codes), *by_name.items()]:
        folded.setdefault(_fold(text), code)
    near = folded.get(_fold(query))
    if near is not None:
        raise InputError(f"no unit {query!r} in the build; did you mean {near!r}? (it "
                         "differs only in case, spaces or punctuation)")
    shown = names.get(lang, {})
    close = difflib.get_close_matches(query, list(by_name) + list(codes), n=3, cutoff=0.6)
    close_codes = list(dict.fromkeys(by_name.get(c, c) for c in close))
    details = [f"did you mean {', '.join(repr(c) for c in close_codes)}?"] if close_codes else []
    listing = [c if shown.get(c, c) == c else f"{c} ({shown[c]})" for c in sorted(codes)]
    details.append("units (code and name): " + ", ".join(listing))
    raise InputError(f"no unit {query!r} in the build", details)
