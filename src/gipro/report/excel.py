"""Excel export: one workbook with every data set, the results, progress, log and sources.

Sheets, in order: ``about`` (what each sheet holds), one sheet per data set of the build
(``raw`` -> ... -> ``aggregated``: ``unit, period`` and one column per code), ``results``
(tidy scores and ranks), ``weights``, ``framework`` (names in English and Chinese, unit,
direction, weights), ``exclusions``, the tables steps recorded (``treat.changes`` ...),
progress tables when given (``progress_index``, ``progress_indicators``, ``improvers``,
``contributions``, ``leading_factors``; their ``_yearly`` forms with ``yearly=True``),
robustness and scenario tables when
given, park assessment tables when given, ``log`` (every step with its parameters as YAML and
its notes) and ``sources`` (data sources and licences verbatim, framework references).

Park workbooks (``gipro assess --excel``): every table ``gipro assess`` writes as CSV is a
sheet of the same name (``park_tables``; e.g. ``miit_green_index``, ``park26_scorecard``,
``crosswalk``, ``coverage``), except ``park26_results`` and ``park26_exclusions``, which are
the build's ``results`` and ``exclusions`` sheets (:data:`PARK_SHEETS`), with their
``data_status`` column.

``ranking`` (first after ``about``): units x the index and its dimensions, scores and ranks,
best first -- the table to paste into a document (:func:`gipro.results.ranking_table`).
``results`` carries ``unit_name`` and ``code_name`` next to the codes. With ``lang="zh"``
the sheet names, the column headers of the tables gipro writes, the ``about`` sheet and the
names are in Chinese (indicator codes stay codes).

Written with openpyxl (write-only mode). Choices:

* missing values are empty cells, never 0;
* text starting with ``=`` is stored as text, never as a formula;
* numbers are stored as openpyxl writes them, to 16 significant digits (``%.16g``), so a value
  read back differs from the build's by at most about 5e-16 relative; Excel shows 15;
* numbers are *displayed* with sensible decimals (a number format per column, from the
  column's magnitude: ``0.00`` for scores, ``0`` for ranks and counts, ``#,##0`` for large
  values, ``0.0000`` below 1, scientific below 0.001); the cell keeps every digit;
* a table longer than Excel's 1,048,576 rows, or a text cell longer than 32,767 characters,
  is an error (never truncated silently);
* sheet names are cut to Excel's 31 characters and made unique.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from ..errors import InputError
from ..paths import output_name
from ..version import __version__
from .i18n import about_text, column_text, translate

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build
    from ..chunked import ChunkedBuild
    from ..parks.data import ParkData
    from ..parks.engine import Assessment
    from ..progress import ProgressReport
    from .sections import Robustness, Scenarios

__all__ = ["CHUNKED_EXPORT_NOTE", "MAX_ROWS", "PARK_SHEETS", "number_format",
           "workbook_tables", "write_chunked_tables", "write_excel", "write_workbook_tables"]

#: What the workbook's build tables hold (the ``about`` sheet; :func:`about_text` translates).
_BUILD_ABOUT = {
    "results": "scores and ranks of every unit, period and code (rank 1 = best; ties share the "
               "lowest rank)",
    "weights": "every weight set: weight relative to siblings and effective weight in the index",
    "exclusions": "units removed by a step and unit-periods without an index score, with the "
                  "reason",
    "log": "every step with its parameters and the policies it applied",
    "sources": "data sources and licences, verbatim",
}


def _ranking_about(build: Any) -> str:
    return (f"ranking {build.final.periods[-1]}: units x the index and its dimensions, scores "
            "and ranks, best first (to paste into a document)")


def _dataset_about(name: str) -> str:
    return f"data set {name!r}: unit, period and one column per code"


def _step_table_about(key: str) -> str:
    step, table = key.rsplit(".", 1)
    return f"table {table!r} recorded by step {step!r}"


def _framework_tab(build: Any) -> tuple[pd.DataFrame, str]:
    """The framework sheet of a run build (in memory or chunked): its nodes, names, units,
    directions and weights; ``unit_used`` where the normalise step received another unit."""
    from .sections import units_normalised

    fw = build.framework
    eff = fw.effective_weights()
    frame = pd.DataFrame([{
        "code": n.code, "kind": n.kind, "level": n.level, "parent": n.parent,
        "name_en": n.name.en, "name_zh": n.name.zh, "unit": n.unit,
        "direction": n.direction, "weight": n.weight,
        "effective_weight": float(eff[n.code]), "source": n.source}
        for n in fw.nodes.values()])
    about = f"framework {fw.code or fw.origin}"
    used = units_normalised(build)
    if any(used.get(c) != u for c, u in zip(frame["code"], frame["unit"], strict=True)
           if c in used):  # denominated or transformed: the unit of the values normalised
        frame.insert(frame.columns.get_loc("unit") + 1, "unit_used", frame["code"].map(used))
        about += "; unit_used: the unit of the values the normalise step received"
    return frame, about


def _log_tab(build: Any) -> tuple[pd.DataFrame, str]:
    """The log sheet: every step with its parameters and notes."""
    return pd.DataFrame([{
        "position": e.position + 1, "name": e.name, "step": e.step, "input": e.input,
        "output": e.output, "skipped": e.skipped, "reused": e.reused, "seconds": e.seconds,
        "params": {k: v for k, v in e.params.items()
                   if k not in ("name", "input", "output", "step")},
        "notes": "\n".join(e.notes)} for e in build.log]), _BUILD_ABOUT["log"]


def _build_sources(build: Any) -> list[tuple[str, str]]:
    """The build's data sources and its framework's references (the sources sheet)."""
    from .sections import data_sources

    return [*data_sources(build),
            *(("framework reference", r) for r in build.framework.references)]


def _sources_tab(sources: Sequence[tuple[str, str]]) -> tuple[pd.DataFrame, str]:
    rows = []
    for title, text in sources:
        lines = text.splitlines() or ["(licence and terms: those of the data provider; not "
                                      "recorded by gipro)"]
        rows.extend({"source": title, "text": line} for line in lines)
    return pd.DataFrame(rows, columns=["source", "text"]), _BUILD_ABOUT["sources"]

MAX_ROWS = 1_048_576
MAX_TEXT = 32_767
_INVALID = set('[]:*?/\\')
_PROGRESS_SHEETS = {
    "index_progress": "progress_index", "indicator_progress": "progress_indicators",
    "improvers": "improvers", "index_progress_yearly": "progress_index_yearly",
    "indicator_progress_yearly": "progress_indicators_yearly",
    "improvers_yearly": "improvers_yearly", "contributions": "contributions",
    "leading_factors": "leading_factors", "contributions_yearly": "contributions_yearly",
}

#: Park tables (CSV names of ``gipro assess``) written to a sheet of another name: the park26
#: build's own sheets. Every other park table keeps its name.
PARK_SHEETS = {"park26_results": "results", "park26_exclusions": "exclusions"}
_PARK_ABOUT = {
    "park_indicators": "park indicator values by park and year",
    "rollup_coverage": "enterprise roll-up: value, coverage and reporting enterprises per "
                       "park, year and indicator",
    "park26_scorecard": "park26 index and dimension scores and ranks, one row per park and "
                        "year",
    "park26_results": "park26 scores and ranks of every park, year and code",
    "park26_exclusions": "park-years without a park26 index score, with the reason",
    "crosswalk": "which data each framework needs, and which the park data hold",
    "coverage": "data coverage per framework (items whose indicator has any value)",
    "coverage_missing": "items whose indicator the park data lack, and how to obtain it",
    "green_index": "green index (GI) per park and year -- UNVERIFIED formula hypothesis, no "
                   "pass mark known",
    "green_index_ratios": "green index: each indicator's ratio to its leading value",
    "green_index_window": "green index: the last three consecutive years with a GI, trend",
    "requirements": "status of every requirement per park and year",
    "groups": "k-of-n requirement groups",
    "categories": "outcomes and compliance shares per category",
    "verdicts": "verdict per park and year, with reasons",
    "priorities": "improvement priorities (gaps) per park and year",
}


def _park_about(name: str) -> str:
    for key, text in _PARK_ABOUT.items():
        if name == key or name.endswith(f"_{key}"):
            return f"{text} ({name}.csv)"
    return f"park table {name} ({name}.csv)"


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join("_" if ch in _INVALID else ch for ch in name).strip("'") or "sheet"
    base = base[:31]
    out, k = base, 1
    while out.lower() in used:
        k += 1
        suffix = f"~{k}"
        out = base[:31 - len(suffix)] + suffix
    used.add(out.lower())
    return out


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, (list, tuple, dict)):
        return yaml.safe_dump(v, sort_keys=False, allow_unicode=True, width=100).strip()
    return str(v)


def workbook_tables(
    build: Build | None = None,
    *,
    progress: bool | ProgressReport = True,
    base: int | None = None,
    end: int | None = None,
    robustness: Robustness | None = None,
    scenarios: Scenarios | None = None,
    assessments: Sequence[Assessment] = (),
    park_data: ParkData | None = None,
    yearly: bool = False,
    extra: Mapping[str, pd.DataFrame | tuple[pd.DataFrame, str]] | None = None,
    park_tables: Mapping[str, pd.DataFrame] | None = None,
    lang: str = "en",
) -> dict[str, tuple[pd.DataFrame, str]]:
    """The tables of the workbook by sheet name (the English key), each with a one-line
    description (English; :func:`write_excel` writes both in ``lang``).

    Parameters are those of :func:`write_excel`.
    """
    from ..labels import with_names
    from ..progress import ProgressReport
    from ..progress import report as progress_report
    from ..results import ranking_table
    from ..steps.weight import weights_table

    tabs: dict[str, tuple[pd.DataFrame, str]] = {}
    sources: list[tuple[str, str]] = []
    log: tuple[pd.DataFrame, str] | None = None
    if build is not None:
        build.require_run()
        fw = build.framework
        if fw.root in build.final.codes:
            tabs["ranking"] = (ranking_table(build, lang=lang), _ranking_about(build))
        for name, ds in build.datasets.items():
            tabs[name] = (ds.to_frame().reset_index(), _dataset_about(name))
        tabs["results"] = (with_names(build.results(build.recipe.result_codes(
            build.final.codes, fw.aggregate_codes)), getattr(build.source_panel, "units", None),
            fw, lang), _BUILD_ABOUT["results"])
        tabs["weights"] = (weights_table(build.framework, build.weights),
                           _BUILD_ABOUT["weights"])
        tabs["framework"] = _framework_tab(build)
        tabs["exclusions"] = (build.exclusions(), _BUILD_ABOUT["exclusions"])
        for step, fitted in build.fitted.items():
            for key, table in fitted.items():
                if isinstance(table, pd.DataFrame):
                    tabs[f"{step}.{key}"] = (table, _step_table_about(f"{step}.{key}"))
        rep = None
        if isinstance(progress, ProgressReport):
            rep = progress
        elif progress and len(build.final.periods) > 1:
            rep = progress_report(build, base, end)
        if rep is not None:
            for name, df in rep.tables.items():
                if name.endswith("_yearly") and not yearly:
                    continue
                tabs[_PROGRESS_SHEETS.get(name, name)] = (
                    df, f"progress {rep.base} -> {rep.end}: {name}")
            tabs["progress_summary"] = (pd.DataFrame({"text": [rep.summary, *rep.notes]}),
                                        "progress summary and notes")
        log = _log_tab(build) if build.log else None
        sources.extend(_build_sources(build))
    if robustness is not None:
        if robustness.rank_intervals is not None:
            about = "rank of each unit over the uncertainty runs"
            if build is not None:  # intervals of another build are refused
                at = robustness.check_build(build)
                target = (robustness.context or {}).get("target") or build.framework.root
                about += f" ({target}, {at}; nominal ranks checked against the build)"
            tabs["rank_intervals"] = (robustness.rank_intervals, about)
        if robustness.sobol is not None:
            tabs["sobol"] = (robustness.sobol, "first-order and total Sobol indices")
        if robustness.correlations is not None:
            tabs["correlations"] = (robustness.correlations.rename_axis("code").reset_index(),
                                    "correlation matrix")
    if scenarios is not None:
        for key, frame, desc in (
                ("scenarios", scenarios.table, "scenarios against the baseline"),
                ("attainment", scenarios.attainment, "target attainment per label, target and "
                 "unit"),
                ("questions", scenarios.questions, "change needed to reach a goal (inverse "
                 "questions)"),
                ("requirement_changes", scenarios.compliance, "park requirement outcomes "
                 "before and after each scenario"),
                ("verdict_changes", scenarios.verdicts, "park verdicts before and after each "
                 "scenario")):
            if frame is not None:
                tabs[key] = (frame, desc)
    for key, item in (extra or {}).items():
        frame, desc = item if isinstance(item, tuple) else (item, f"table {key!r}")
        tabs[key] = (frame, desc)
    for a in assessments:
        for name, df in a.tables().items():
            tabs[f"{a.framework.code}_{name}"] = (df, f"park assessment {a.framework.code}: "
                                                  f"{name}")
    if park_data is not None:
        tabs["park_indicators"] = (park_data.wide(), "park indicator values by park and year")
        status = park_data.parks.get("data_status")
        if (build is not None and status is not None
                and set(build.final.units) <= set(status.index)):  # a build of these parks
            # each row says SYNTHETIC or user data, as park26_results.csv does
            for key in ("results", "exclusions"):
                if key in tabs and "unit" in tabs[key][0].columns:
                    frame = tabs[key][0].copy()
                    frame.insert(0, "data_status", frame["unit"].map(status))
                    tabs[key] = (frame, tabs[key][1])
    for key, frame in (park_tables or {}).items():
        sheet = PARK_SHEETS.get(key, key) if build is not None else key
        tabs[sheet] = (frame, _park_about(key))
    if park_data is not None:
        from .. import datasets as _datasets
        from .builder import park_notice

        sources.append((park_data.origin or "park data",
                        park_notice(_datasets.notice()) if park_data.synthetic else ""))
    if log is not None:
        tabs["log"] = log
    tabs["sources"] = _sources_tab(sources)
    return tabs


def write_excel(
    path: str | Path,
    build: Build | None = None,
    *,
    progress: bool | ProgressReport = True,
    base: int | None = None,
    end: int | None = None,
    robustness: Robustness | None = None,
    scenarios: Scenarios | None = None,
    assessments: Sequence[Assessment] = (),
    park_data: ParkData | None = None,
    yearly: bool = False,
    extra: Mapping[str, pd.DataFrame | tuple[pd.DataFrame, str]] | None = None,
    park_tables: Mapping[str, pd.DataFrame] | None = None,
    lang: str = "en",
) -> Path:
    """Write the workbook.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.xlsx`` file to write.
    build : Build, optional
        A run build: its data sets, results, weights, framework, exclusions, step tables, log
        and sources.
    progress : bool or ProgressReport
        ``True``: progress tables between ``base`` and ``end`` (builds with two or more
        periods); a ProgressReport: its tables; ``False``: none.
    yearly : bool
        Also the year-by-year progress tables (``*_yearly``; large: units x indicators x
        periods rows; ``gipro progress`` writes them as CSV).
    robustness : Robustness, optional
        Rank intervals, Sobol indices and correlations.
    scenarios : Scenarios, optional
        Scenario comparison table.
    assessments : list of gipro.parks.Assessment
        Park assessments (five tables each).
    park_data : gipro.parks.ParkData, optional
        Park indicator values and the data's sources; with a build (park26), the ``results``
        and ``exclusions`` sheets get each park's ``data_status`` (SYNTHETIC or user data).
    park_tables : mapping of str to pandas.DataFrame, optional
        Park tables by CSV name (what ``gipro assess`` writes: ``miit_green_index``,
        ``park26_scorecard``, ``crosswalk``, ``coverage``...), each a sheet of that name
        (replacing a sheet of the same name); ``park26_results`` and ``park26_exclusions``
        become the ``results`` and ``exclusions`` sheets when a build is given
        (:data:`PARK_SHEETS`).
    extra : mapping, optional
        More sheets: name -> table, or name -> (table, one-line description), e.g. the runs
        of a sensitivity analysis.
    lang : {"en", "zh"}
        Language of the sheet names, column headers, the ``about`` sheet and the unit and
        code names (:data:`gipro.report.i18n.SHEETS`, :data:`~gipro.report.i18n.COLUMNS`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        Nothing to write; a table longer than Excel allows; a text cell longer than 32,767
        characters; the file cannot be written.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if (build is None and not assessments and robustness is None and park_data is None
            and scenarios is None and not extra and not park_tables):
        raise InputError("nothing to export: give a build, park assessments or robustness "
                         "tables")
    path = Path(path)
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(f"cannot write the workbook {path}: {path.parent} is a file, not a "
                         "folder")
    try:  # before the write-only workbook exists: a failed save would leave its sheets open
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the workbook {path}: {exc.strerror or exc}") from None
    if path.is_dir():
        raise InputError(f"cannot write the workbook {path}: it is a folder")
    tabs = workbook_tables(build, progress=progress, base=base, end=end,
                           robustness=robustness, scenarios=scenarios, assessments=assessments,
                           park_data=park_data, yearly=yearly, extra=extra,
                           park_tables=park_tables, lang=lang)
    from .i18n import check_lang, sheet_text

    check_lang(lang)
    about_name = sheet_text("about", lang)
    used: set[str] = {about_name.lower()}
    names = {key: _sheet_name(sheet_text(key, lang), used) for key in tabs}
    for key, (df, _) in tabs.items():
        if len(df) + 1 > MAX_ROWS:
            raise InputError(f"table {key!r} has {len(df):,} rows; an Excel sheet holds at "
                             f"most {MAX_ROWS - 1:,}", ["write the tables as files instead: gipro "
                                                         "export --format parquet --out DIR "
                                                         "(or csv)"])
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    about = wb.create_sheet(about_name)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 100
    tr = (lambda k, **f: translate(k, lang, **f))  # noqa: E731
    head = [("gipro", tr("xl_written", version=__version__, date=date.today().isoformat()))]
    if build is not None:
        head += [(tr("xl_recipe"), build.recipe.name or ""),
                 (tr("xl_framework"), build.framework.code or build.framework.origin or ""),
                 (tr("xl_data"), build.source_panel.origin or "")]
    head += [(tr("xl_missing"), tr("xl_missing_text")),
             (tr("xl_precision"), tr("xl_precision_text"))]
    for k, v in head:
        c = WriteOnlyCell(about, k)
        c.font = bold
        about.append([c, v])
    about.append([])
    hdr = [WriteOnlyCell(about, tr("xl_sheet")), WriteOnlyCell(about, tr("xl_content"))]
    for c in hdr:
        c.font = bold
    about.append(hdr)
    for key, (_, desc) in tabs.items():
        about.append([names[key], about_text(key, desc, lang)])
    for key, (df, _) in tabs.items():
        ws = wb.create_sheet(names[key])
        ws.freeze_panes = "A2"
        frame = df.reset_index(drop=True)
        headers = [column_text(str(c), lang) for c in frame.columns]
        for i, col in enumerate(headers[:50]):
            width = min(60, max(10, _text_width(col) + 2))
            ws.column_dimensions[_col_letter(i)].width = width
        cells = []
        for col in headers:
            c = WriteOnlyCell(ws, col)
            c.font = bold
            cells.append(c)
        ws.append(cells)
        cols = [_column(ws, frame[c], names[key], WriteOnlyCell) for c in frame.columns]
        for row in zip(*cols, strict=True):
            ws.append(row)
    from ..tables import replace_file

    try:
        with replace_file(path) as tmp:
            wb.save(tmp)
    except OSError as exc:
        raise InputError(f"cannot write the workbook {path}: {exc.strerror}") from None
    return path


def write_workbook_tables(
    out_dir: str | Path,
    build: Build | ChunkedBuild,
    format: str = "csv",
    *,
    progress: bool | ProgressReport = True,
    base: int | None = None,
    end: int | None = None,
    lang: str = "en",
) -> dict[str, Path]:
    """The tables of :func:`write_excel`'s workbook as files: one CSV or Parquet file per
    sheet, for builds too big for a workbook (an Excel sheet holds 1,048,576 rows).

    Each table is written under its English sheet key (``ranking``, ``results``, ``raw``,
    ``normalised``..., ``progress_index``, ``treat.summary``), with the column names of
    ``gipro run``'s tables (English) and the unit and code names in ``lang``;
    ``about.<format>`` lists every table with its description in ``lang`` (the workbook's
    about sheet). The folder is an output folder (:func:`gipro.tables.output_folder`: locked,
    listed in its manifest, marked incomplete until the last file is written).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The folder (created when missing).
    build : Build or ChunkedBuild
        A run build; a build on a Dask cluster (:class:`gipro.chunked.ChunkedBuild`) writes
        the tables of :func:`write_chunked_tables` (Parquet only; no progress tables).
    format : {"csv", "parquet"}
        Format of the files (:func:`gipro.tables.write_table`).
    progress, base, end, lang :
        As in :func:`write_excel`.

    Returns
    -------
    dict of str to pathlib.Path
        The file written for each table key (``about`` included).

    Raises
    ------
    InputError
        An unknown format; a table key that cannot be a file name; the folder cannot be
        written (another gipro command writing it, a file gipro did not write in the way).
    """
    from ..chunked import ChunkedBuild
    from ..tables import output_folder, write_table

    if format not in ("csv", "parquet"):
        raise InputError(f"unknown table format {format!r}: csv or parquet (Excel: "
                         "write_excel)")
    if isinstance(build, ChunkedBuild):
        if format != "parquet":
            raise InputError(f"export of a build on a Dask cluster: the tables are written as "
                             f"Parquet (folders of parts, one per block of units), not "
                             f"{format!r}", ["gipro export --format parquet, or leave "
                                             "--format out"])
        return write_chunked_tables(out_dir, build, lang=lang)
    out = Path(out_dir)
    tabs = workbook_tables(build, progress=progress, base=base, end=end, lang=lang)
    files: dict[str, Path] = {}
    with output_folder(out, kind="export"):
        about = pd.DataFrame({"table": [f"{output_name(k, 'table')}.{format}" for k in tabs],
                              "description": [about_text(k, d, lang)
                                              for k, (_, d) in tabs.items()]})
        files["about"] = write_table(about, out / "about", format)
        for key, (df, _) in tabs.items():
            files[key] = write_table(_plain_columns(df.reset_index(drop=True)), out / key,
                                     format)
    return files


#: What ``gipro export`` on a cluster leaves out, and why (the CLI prints it).
CHUNKED_EXPORT_NOTE = (
    "on a cluster the export has no progress tables (progress_*, improvers, contributions, "
    "leading_factors: per-unit tables of every period from base to end, made in one process) "
    "and no step tables of every value changed (treat.changes, impute.imputed...); run gipro "
    "export without --workers / --scheduler for them")


def write_chunked_tables(out_dir: str | Path, build: Any, *, lang: str = "en"
                         ) -> dict[str, Path]:
    """The tables of :func:`write_workbook_tables` (Parquet) for a build chunked over units
    on a Dask cluster (:class:`gipro.chunked.ChunkedBuild`): ``ranking``, one table per data
    set kept and ``results`` (folders of Parquet parts, written by the workers), ``weights``,
    ``framework``, ``exclusions``, the small step tables
    (:meth:`gipro.chunked.ChunkedBuild.details`, e.g. ``treat.summary``), ``log``,
    ``sources`` and ``about``, with the columns of the in-memory export. The progress tables
    and the step tables of every value changed are not made (:data:`CHUNKED_EXPORT_NOTE`);
    the build's ``recipe.yaml`` and ``log.yaml`` are written too, as by ``gipro run``.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The folder (an output folder of kind ``export``; everything moved in when complete).
    build : ChunkedBuild
        A run chunked build.
    lang : str
        Language of the unit and code names and of ``about``.

    Returns
    -------
    dict of str to pathlib.Path
        The file or folder written for each table key.

    Raises
    ------
    InputError
        As :meth:`gipro.chunked.ChunkedBuild.write`.
    """
    build.require_run()
    fw = build.framework
    steps = {key: (t, _step_table_about(key)) for key, t in build.details().items()}
    small = {"framework": _framework_tab(build), **steps, "log": _log_tab(build),
             "sources": _sources_tab(_build_sources(build))}
    about = {**({"ranking": _ranking_about(build)} if fw.root in build.final.codes else {}),
             **{name: _dataset_about(name) for name in build.kept()},
             "results": _BUILD_ABOUT["results"], "weights": _BUILD_ABOUT["weights"],
             "framework": small["framework"][1], "exclusions": _BUILD_ABOUT["exclusions"],
             **{key: d for key, (_, d) in steps.items()},
             "log": small["log"][1], "sources": small["sources"][1]}
    tables = {"about": pd.DataFrame({"table": [f"{output_name(k, 'table')}.parquet"
                                               for k in about],
                                     "description": [about_text(k, d, lang)
                                                     for k, d in about.items()]}),
              **{k: _plain_columns(t) for k, (t, _) in small.items()}}
    return build.write(out_dir, lang=lang, ranking=True, stages="", kind="export",
                       tables=tables, details=None)


def _plain_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with lists and mappings in text columns written as YAML text (the step
    parameters of the log), as in the workbook's cells (:func:`_cell`)."""
    nested = [c for c in df.columns if df[c].dtype == object
              and df[c].map(lambda v: isinstance(v, (list, tuple, dict))).any()]
    if not nested:
        return df
    df = df.copy()
    for c in nested:
        df[c] = df[c].map(lambda v: _cell(v) if isinstance(v, (list, tuple, dict)) else v)
    return df


def _column(ws: Any, s: pd.Series, sheet: str, cell_type: Any) -> list[Any]:
    """A column as Python cell values: floats with NaN -> None, nullable integers with NA ->
    None, text checked for length and kept as text (never a formula)."""
    if pd.api.types.is_bool_dtype(s.dtype) and s.dtype != object:
        return s.astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.api.extensions
                                                                .ExtensionDtype):
        a = s.to_numpy(dtype=float)
        fmt = number_format(a, str(s.name))
        out = []
        for v in a.tolist():
            if v != v:  # NaN: an empty cell
                out.append(None)
                continue
            cell = cell_type(ws, v)
            cell.number_format = fmt  # displayed with these decimals; stored in full
            out.append(cell)
        return out
    if pd.api.types.is_integer_dtype(s.dtype) and not isinstance(
            s.dtype, pd.api.extensions.ExtensionDtype):
        return s.tolist()
    out = []
    for r, v in enumerate(s.to_numpy(dtype=object)):
        v = _cell(v)
        if isinstance(v, str):
            if len(v) > MAX_TEXT:
                raise InputError(f"sheet {sheet!r}, column {s.name!r}, row {r + 2}: text of "
                                 f"{len(v):,} characters; Excel holds at most {MAX_TEXT:,}")
            if v.startswith("="):
                cell = cell_type(ws, v)
                cell.data_type = "s"  # text, never a formula
                v = cell
        out.append(v)
    return out


def number_format(values: np.ndarray, name: str = "") -> str:
    """The Excel number format of a column of floats: sensible decimals for its magnitude
    (the cells keep full precision).

    ``0`` for whole numbers (ranks, counts, years), ``0.00`` for scores and values from 1 to
    10,000 (and columns named like scores), ``#,##0`` above, ``0.0000`` from 0.001 to 1,
    ``0.00E+00`` below.

    Examples
    --------
    >>> number_format(np.array([87.6116, 25.0]), "score"), number_format(np.array([1.0, 2.0]))
    ('0.00', '0')
    >>> number_format(np.array([0.4031, 0.0294])), number_format(np.array([35820.4, 1.2e5]))
    ('0.0000', '#,##0')
    """
    a = np.abs(values[np.isfinite(values)])
    if not a.size:
        return "General"
    if np.all(a == np.round(a)) and a.max() < 1e15:
        return "0"
    if "score" in name or "得分" in name:
        return "0.00"
    typical = float(np.median(a[a > 0])) if (a > 0).any() else 0.0
    if typical >= 10_000:
        return "#,##0"
    if typical >= 1:
        return "0.00"
    if typical >= 0.001:
        return "0.0000"
    return "0.00E+00"


def _text_width(text: str) -> int:
    """Display width of a header: Chinese characters are two columns wide."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)
