"""The ``gipro`` command line.

Exit codes: 0 success, 1 input error (one clear line plus details; ``--debug`` for a traceback),
2 usage error, 3 internal error (a bug in gipro; see :func:`main`). ``docs/bad-input.md`` lists
what each kind of bad input gives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from .errors import GiproError, InputError
from .links import docs_url
from .report.i18n import LANGUAGES
from .report.images import CHARTS, FORMATS
from .version import __version__

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.table import Table

    from .build import Build

# Heavy modules (pandas, scipy, plotly, the build, parks, reports, sensitivity, scenarios) are
# imported inside the commands that use them, so that ``gipro --help``, ``gipro --version`` and
# ``gipro recipes`` start quickly (benchmarks/bench_cli_startup.py).

# Help texts are rich markup (typer's default): a literal "[" is written "\\[".
app = typer.Typer(
    name="gipro",
    help="Green industry progress: composite indices, progress over time, park assessment.",
    epilog=f"Documentation, tutorials and every recipe key: {docs_url()}",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # an error stays one line

_DEBUG = {"on": False}
#: Language of what the command prints (set by ``--lang``; English for commands without it).
_LANG = {"lang": "en"}


def _t(key: str, **fmt: object) -> str:
    """A printed phrase in the command's language (:mod:`gipro.report.i18n`)."""
    from .report.i18n import translate

    return translate(key, _LANG["lang"], **fmt)


def _loc(text: str) -> str:
    """A text written by an analysis (a note, a policy) in the command's language."""
    if _LANG["lang"] == "en":
        return text
    from .report.i18n import localise

    return localise(text, _LANG["lang"])


def _set_lang(value: str | None) -> str | None:
    """``--lang``: one of the report languages (else a usage error); sets the language of
    what the command prints."""
    value = _one_of(LANGUAGES)(value)
    _LANG["lang"] = value or "en"
    return value


def _one_of(choices: tuple[str, ...] | list[str]):
    """An option callback: a value outside ``choices`` is a usage error (exit 2), as every
    invalid option value (docs/bad-input.md)."""
    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of: "
                                     + ", ".join(repr(c) for c in choices))
        return value
    return check


def _suffix(suffixes: tuple[str, ...], what: str):
    """An option callback for an output file: its suffix (any case) must be one of
    ``suffixes``, else a usage error (exit 2) -- gipro never writes HTML, a workbook or an
    image under a suffix that makes other programs read it as something else
    (docs/bad-input.md). Used by every file option: ``--report``, ``report --out`` (HTML),
    ``--excel``, ``export --out`` (workbook) and ``chart --out`` (image)."""
    def check(value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in suffixes:
            raise typer.BadParameter(f"{value.name!r}: {what} needs the suffix "
                                     + " or ".join(suffixes))
        return value
    return check


#: What each kind of output file may be called (the suffixes checked by :func:`_suffix`).
HTML_SUFFIXES = (".html", ".htm")
EXCEL_SUFFIXES = (".xlsx",)
IMAGE_SUFFIXES = tuple(f".{f}" for f in (*FORMATS, "jpg"))
#: a report is written as HTML, or printed to PDF by the system's Chromium (report/pdf.py)
_html_file = _suffix((*HTML_SUFFIXES, ".pdf"), "a report (HTML, or PDF printed by Chromium)")
_excel_file = _suffix(EXCEL_SUFFIXES, "an Excel workbook")
_image_file = _suffix(IMAGE_SUFFIXES, "a chart image")


def _share_below_one(value: float) -> float:
    """--tolerance: a share of the threshold, 0 <= t < 1 (5 meant as 5 % is a usage error)."""
    if not 0.0 <= value < 1.0:
        raise typer.BadParameter(f"{value:g} is not a share between 0 and 1 (0.10 = 10 % of "
                                 "the threshold)")
    return value


def _scale(value: float) -> float:
    """--scale of gipro chart: 0 < s <= 10 (a bigger bitmap would exhaust memory)."""
    if not 0 < value <= 10:
        raise typer.BadParameter(f"{value:g} is not a scale between 0 (excluded) and 10")
    return value


#: ``--lang`` of every command: a value other than these is a usage error (exit 2).
#: The optional first argument of the commands that build a recipe.
RecipeArg = Annotated[str | None, typer.Argument(
    help="Recipe YAML file or built-in recipe name (default: china-provinces-gipro).")]
#: ``--excel FILE`` of the commands that can also write the Excel workbook.
ExcelOpt = Annotated[Path | None, typer.Option(
    "--excel", callback=_excel_file, help="Also write the Excel workbook to this file "
    "(.xlsx).")]

#: The suffixes of a table file (``compare``, ``remove``, ``stats`` --out): the format.
_table_file = _suffix((".csv", ".parquet"), "a table (CSV, or Parquet)")

#: ``--format`` of the commands that write tables.
TableFormat = Annotated[str, typer.Option(
    "--format", callback=_one_of(("csv", "parquet")),
    help="Format of the tables written: csv (default) or parquet (big builds; needs "
         'pyarrow: pip install "gipro\\[parquet]").')]

#: ``--workers`` / ``--scheduler`` / ``--memory-limit``: run on a Dask cluster.
Workers = Annotated[int | None, typer.Option(
    min=1, help="Run on a local Dask cluster of N worker processes, chunked over units "
    "(tables written as Parquet).")]
Scheduler = Annotated[str | None, typer.Option(
    help="Run on the Dask cluster of this scheduler (tcp://host:8786), chunked over units.")]
MemoryLimit = Annotated[str | None, typer.Option(
    "--memory-limit", help="Memory limit of each local worker, e.g. 1GB (with --workers).")]

#: Why each command that rebuilds a recipe does not run on a Dask cluster (docs: Big panels):
#: its ``--workers`` / ``--scheduler`` (hidden options) are refused with this reason.
NOT_ON_CLUSTER = {
    "progress": "its tables (yearly changes, contributions, leading factors) read every data "
                "set of every period from base to end in one process; the scores and ranks of "
                "every period of a big build are in results.parquet of gipro run or gipro "
                "export with --workers",
    "remove": "it rebuilds the recipe once per element and ranks every unit in one process",
    "scenario": "its scenarios and questions re-run the build on changed data in one process",
    "coherence": "its correlations, Cronbach's alpha and PCA read every unit's values in one "
                 "process",
    "report": "a report shows every unit's scores and charts, made in one process",
    "chart": "a chart is drawn from the whole build in one process",
    "stats": "its statistics and flags (collinear pairs) read every unit's values in one "
             "process",
}
NoWorkers = Annotated[int | None, typer.Option(hidden=True)]
NoScheduler = Annotated[str | None, typer.Option(hidden=True)]


def _not_on_cluster(command: str, workers: int | None, scheduler: str | None) -> None:
    """A usage error for ``--workers`` / ``--scheduler`` of a command that does not run on a
    Dask cluster, naming the command and why (:data:`NOT_ON_CLUSTER`)."""
    if workers is not None or scheduler is not None:
        raise typer.BadParameter(f"gipro {command} does not run on a Dask cluster: "
                                 f"{NOT_ON_CLUSTER[command]}; run it without --workers / "
                                 "--scheduler", param_hint="'--workers' / '--scheduler'")


Lang = Annotated[str, typer.Option("--lang", callback=_set_lang,
                                   help="Language of the report, the chart labels and what "
                                   "the command prints: "
                                   + " or ".join(LANGUAGES) + ".")]


def _print_error(exc: GiproError) -> None:
    """``error: message`` and indented details on stderr. Messages are printed as plain text:
    ``[low, high]`` or ``[wastewater_per_iva]`` in a message is shown, not read as markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", exc.message), highlight=False)
    for d in exc.details:
        err_console.print(Text(f"  - {d}"), highlight=False)


def _fail(exc: GiproError) -> None:
    if _DEBUG["on"]:
        raise exc
    _print_error(exc)
    raise typer.Exit(code=1)


def _say(text: str) -> None:
    """Print user-facing text (notes, summaries, names) as it is: no rich markup."""
    console.print(text, highlight=False, markup=False)


def _note(note: str) -> None:
    console.print(Text.assemble((_t("cli_note"), "yellow"), " ", _loc(note)), highlight=False)


def _wrote(intro: str, out: Path, listing: str = "") -> None:
    """``Wrote N files to OUT: a, b, c`` with the folder in bold (never read as markup)."""
    console.print(Text.assemble(intro, (str(out), "bold"), listing), highlight=False)


def _table(title: str) -> Table:
    from rich.table import Table

    return Table(title=Text(title))


def _row(table: Table, *cells: object) -> None:
    """A table row whose cells are plain text (unit names such as ``[north]`` kept)."""
    table.add_row(*[Text(str(c)) for c in cells])


def _plural(n: int, word: str, plural: str | None = None) -> str:
    """``1 unit``, ``2 units``."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _version(value: bool) -> None:
    if value:
        console.print(f"gipro {__version__}", highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_version,
        is_eager=True)] = False,
) -> None:
    from .paths import recording_inputs

    # every file a command reads is remembered: no output of it may replace one
    ctx.with_resource(recording_inputs())
    _DEBUG["on"] = debug
    _LANG["lang"] = "en"  # until a command's --lang says otherwise


@app.command(epilog=f"Docs: {docs_url('getting-started')}")
def run(
    ctx: typer.Context,
    recipe: RecipeArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-output"),
    top: Annotated[int, typer.Option(min=1, help="How many units of the ranking to print.")] = 10,
    report_path: Annotated[Path | None, typer.Option(
        "--report", callback=_html_file,
        help="Also write the report to this file (.html, or .pdf printed by the system's "
        "Chromium).")] = None,
    excel: ExcelOpt = None,
    lang: Lang = "en",
    table_format: TableFormat = "csv",
    workers: Workers = None,
    scheduler: Scheduler = None,
    memory_limit: MemoryLimit = None,
) -> None:
    """Build a composite index from a recipe and write results.csv, ranking.csv, stages/,
    recipe.yaml."""
    from .build import Build
    from .tables import output_folder, write_table

    if _on_cluster(workers, scheduler, memory_limit):
        if report_path is not None or excel is not None:
            raise typer.BadParameter("--report and --excel read the whole build in one "
                                     "process: run without --workers / --scheduler for them",
                                     param_hint="'--report' / '--excel'")
        if table_format == "csv" and _given(ctx, "table_format"):  # (csv: only the default)
            raise typer.BadParameter("a build on a Dask cluster writes Parquet (folders of "
                                     "parts): --format parquet, or leave --format out",
                                     param_hint="'--format'")
        _run_chunked(recipe, out, top, lang, workers, scheduler, memory_limit)
        return
    try:
        build = Build(recipe).run()
        with output_folder(out, kind="build"):
            files = build.write(out, format=table_format, lang=lang)
            if build.framework.root in build.final.codes:  # the table to paste into a document
                from .results import ranking_table

                files["ranking"] = write_table(  # a BOM: Excel reads the Chinese right
                    ranking_table(build, lang=lang), out / "ranking", table_format,
                    bom=lang == "zh")
        extra = _write_reports(build, report_path, excel, lang)
    except GiproError as exc:
        _fail(exc)
        return
    _print_ranking(build, top)
    for note in build.input_notes:  # data that look wrong but were not changed
        if note.startswith("WARNING"):
            _say(_t("cli_data_note", note=_loc(note)))
    for entry in build.log:  # the policies a user must not miss (all notes are in log.yaml)
        for note in entry.notes:
            if note.startswith("WARNING"):
                _say(_t("cli_step_note", name=entry.name, note=_loc(note)))
    if len(build.final.periods) > 1:
        from .progress import summary

        _say(summary(build) if _LANG["lang"] == "en" else _progress_text(build))
    _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), out,
           ": " + _listing(files))
    excluded = build.exclusions()
    if len(excluded):
        n = excluded["unit"].nunique()
        _say(_t("cli_excluded", units=_plural(n, "unit"), n=n))
    root = build.framework.root
    res = build.results(codes=[root]) if root in build.final.codes else build.results()
    partial = res[(res["code"] == root) & (res["children_scored"] < res["children"])]
    if len(partial):
        k, u = len(partial), partial["unit"].nunique()
        _say(_t("cli_partial", scores=_plural(k, "index score"), units=_plural(u, "unit"),
                verb="rests" if k == 1 else "rest", k=k, u=u, root=root))
    _print_written(extra)


def _given(ctx: typer.Context, param: str) -> bool:
    """Whether the option ``param`` was typed on the command line (not its default)."""
    return getattr(ctx.get_parameter_source(param), "name", None) == "COMMANDLINE"


def _on_cluster(workers: int | None, scheduler: str | None, memory_limit: str | None) -> bool:
    """Whether the command runs on Dask (usage errors for options that do not fit)."""
    if workers is not None and scheduler is not None:
        raise typer.BadParameter("give --workers or --scheduler, not both",
                                 param_hint="'--workers' / '--scheduler'")
    if memory_limit is not None and workers is None:
        raise typer.BadParameter("--memory-limit applies to the local cluster of --workers N",
                                 param_hint="'--memory-limit'")
    return workers is not None or scheduler is not None


def _run_chunked(recipe: str | None, out: Path, top: int, lang: str, workers: int | None,
                 scheduler: str | None, memory_limit: str | None) -> None:
    """gipro run on a Dask cluster, chunked over units (:class:`gipro.chunked.ChunkedBuild`):
    the tables as Parquet (partitioned where big), the ranking printed as in one process."""
    from .chunked import ChunkedBuild
    from .cluster import connect

    try:
        with connect(workers=workers, scheduler=scheduler, memory_limit=memory_limit) as client:
            with ChunkedBuild(recipe, client=client) as build:  # (a CSV's partition deleted)
                files = build.run().write(out, format="parquet", lang=lang, ranking=True)
    except GiproError as exc:
        _fail(exc)
        return
    if build.framework.root in build.final.codes:
        _print_ranking(build, top)  # type: ignore[arg-type]
    for note in build.input_notes:
        if note.startswith("WARNING"):
            _say(_t("cli_data_note", note=_loc(note)))
    _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), out,
           ": " + _listing(files))
    excluded = _read_parquet(out / "exclusions.parquet")
    if len(excluded):
        n = excluded["unit"].nunique()
        _say(_t("cli_excluded", units=_plural(n, "unit"), n=n))
    root = build.framework.root
    if root in build.final.codes:
        # only these rows are read: a big build's results stay on disk
        partial = build.partial_scores(root)
        if len(partial):
            k, u = len(partial), partial["unit"].nunique()
            _say(_t("cli_partial", scores=_plural(k, "index score"), units=_plural(u, "unit"),
                    verb="rests" if k == 1 else "rest", k=k, u=u, root=root))


def _read_parquet(path: Path):
    """A Parquet table written by gipro (a file or a folder of parts)."""
    import pandas as pd

    return pd.read_parquet(path)


def _progress_text(build: Build, rep=None) -> str:
    """The progress paragraph in the command's language, from the progress tables
    (:func:`gipro.report.prose.progress_paragraph`)."""
    from .progress import caveats
    from .progress import report as progress_report
    from .report.prose import progress_paragraph

    lang = _LANG["lang"]
    rep = rep if rep is not None else progress_report(build)
    fw = build.framework
    return progress_paragraph(rep.tables["index_progress"], rep.tables["improvers"], fw.root,
                              fw.node(fw.root).label_code(lang), _names(build),
                              {k: n.label(lang) for k, n in fw.nodes.items()}, rep.base,
                              rep.end, caveats(build, rep.base, rep.end, fw.root), lang)


def _names(build: Build, units: list[str] | None = None) -> dict[str, str]:
    """Unit names in the command's language (the data's ``name`` / ``name_zh``), of
    ``units`` (default: every unit)."""
    from .labels import unit_labels

    return unit_labels(getattr(build.source_panel, "units", None),
                       [str(u) for u in (build.datasets["raw"].units if units is None
                                         else units)], _LANG["lang"])


def _listing(files: dict[str, Path]) -> str:
    """The files written, as ``results.csv, weights.csv, ..., stages/ (raw, normalised)``:
    every file counted in "Wrote N files" is named (folders list their files)."""
    top, folders = [], {}
    for key, path in files.items():
        if "/" in key:
            folder, name = key.split("/", 1)
            folders.setdefault(folder, []).append(name)
        else:
            top.append(path.name)
    sep = _t("list_sep")
    return sep.join(top + [f"{f}/ ({sep.join(names)})" for f, names in folders.items()])


def _write_reports(build: Build, report_path: Path | None, excel: Path | None, lang: str,
                   progress_report=None, robustness=None) -> list[Path]:
    """The HTML report and/or the workbook of a build (what --report / --excel ask for)."""
    if report_path is None and excel is None:
        return []
    from .report import report_for_build

    written = []
    prog = progress_report if progress_report is not None else True
    if report_path is not None:
        rep = report_for_build(build, lang=lang, progress=prog, robustness=robustness)
        written.append((REPORT, rep.write(report_path)))
    if excel is not None:
        written.append((WORKBOOK, _excel(excel, build, progress=prog,
                                              robustness=robustness)))
    return written


def _excel(*args, **kwargs):
    """:func:`gipro.report.write_excel` in the command's language (sheet names, headers)."""
    from .report import write_excel

    return write_excel(*args, lang=_LANG["lang"], **kwargs)


def _size(n_bytes: int) -> str:
    """File size for people: ``5.2 MB``, ``48 kB``, ``812 bytes`` (never "0.0 MB").

    Examples
    --------
    >>> _size(5_200_000), _size(48_300), _size(812)
    ('5.2 MB', '48 kB', '812 bytes')
    """
    if n_bytes >= 1_000_000:
        return f"{n_bytes / 1e6:.1f} MB"
    if n_bytes >= 1_000:
        return f"{n_bytes / 1e3:.0f} kB"
    return f"{n_bytes} bytes"


#: What ``_print_written`` names: the kinds of file --report, --excel and chart write.
REPORT, WORKBOOK, CHART = "kind_html", "kind_excel", "kind_chart"


def _print_written(items: list[tuple[str, Path]]) -> None:
    """``Wrote the HTML report r.html (5.2 MB)``: each file named by what it is (not
    guessed from its suffix)."""
    for kind, p in items:
        if kind == REPORT and p.suffix.lower() == ".pdf":
            kind = "kind_pdf"
        console.print(Text.assemble(_t("cli_wrote_kind", kind=_t(kind)), (str(p), "bold"),
                                    _t("cli_size", size=_size(p.stat().st_size))),
                      highlight=False)


def _num(v: float, digits: int = 1) -> str:
    """A score for a table: "-" when missing (never "nan")."""
    import pandas as pd

    return "-" if pd.isna(v) else f"{v:.{digits}f}"


def _print_ranking(build: Build, top: int) -> None:
    import pandas as pd

    from .progress import change

    fw = build.framework
    lang = _LANG["lang"]
    root = fw.root
    end = build.final.periods[-1]
    shown = [root, *fw.children(root)]
    # the first `top` units, then their rows only (a chunked build reads them with filters)
    cur = (build.results(codes=[root], periods=[end], top=top) if root in build.final.codes
           else pd.DataFrame({"unit": [], "score": []})).dropna(subset=["score"]).head(top)
    picked = [str(u) for u in cur["unit"]]
    names = _names(build, picked)
    if cur.empty:  # never a "best" unit picked from missing scores (field case B15)
        console.print(Text.assemble((_t("cli_no_score", index=fw.node(root).label_code(lang),
                                        period=end), "yellow"),
                                    _t("cli_no_score_tail")), highlight=False)
        return
    # several aggregate steps (variants kept side by side): say which one the table shows
    n_agg = sum(1 for e in build.log if e.step == "aggregate" and not e.skipped)
    which = _t("cli_which", name=build.final.name) if n_agg > 1 else ""
    table = _table(_t("cli_top", index=fw.node(root).label_code(lang), period=end,
                      k=len(cur), n=len(build.final.units), which=which))
    table.add_column(_t("cli_rank"), justify="right")
    table.add_column(_t("cli_unit"))
    table.add_column(_t("cli_score"), justify="right")
    dims = fw.children(root)
    for d in dims:
        table.add_column(Text(d if lang == "en" else fw.node(d).label(lang)), justify="right")
    multi = len(build.final.periods) > 1
    if multi:
        table.add_column(_t("cli_change_since", p=build.final.periods[0]), justify="right")
        chg = change(build, units=picked).set_index("unit")["change"]
    res = (build.results(codes=shown, periods=[end], units=picked)
           if set(shown) <= set(build.final.codes) else
           build.results(periods=[end], units=picked))
    wide = res[(res["period"] == end) & res["code"].isin(dims)].pivot(
        index="unit", columns="code", values="score")
    for r in cur.itertuples():
        row = [str(r.rank), names.get(r.unit, str(r.unit)), f"{r.score:.2f}"]
        row += ["-" if pd.isna(wide.loc[r.unit, d]) else f"{wide.loc[r.unit, d]:.1f}"
                for d in dims]
        if multi:
            c = chg.loc[r.unit]
            row.append("-" if pd.isna(c) else f"{round(c, 2) + 0.0:+.2f}")
        _row(table, *row)
    console.print(table)


@app.command(epilog=f"Docs: {docs_url('progress')}")
def progress(
    recipe: RecipeArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-progress"),
    base: Annotated[int | None, typer.Option(help="Base period (default: first).")] = None,
    end: Annotated[int | None, typer.Option(help="End period (default: last).")] = None,
    top: Annotated[int, typer.Option(min=1, help="How many units to show at each end of the "
                                     "table.")] = 5,
    report_path: Annotated[Path | None, typer.Option(
        "--report", callback=_html_file,
        help="Also write the report to this file (.html, or .pdf printed by the system's "
        "Chromium).")] = None,
    excel: ExcelOpt = None,
    lang: Lang = "en",
    table_format: TableFormat = "csv",
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """Progress between two periods: index, sub-index and indicator changes, improver counts
    and leading factors of change, written as CSV (or Parquet) tables, with a printed
    summary."""
    _not_on_cluster("progress", workers, scheduler)
    from .build import Build
    from .progress import report

    try:
        build = Build(recipe).run()
        rep = report(build, base, end)
        files = rep.write(out, table_format)
        extra = _write_reports(build, report_path, excel, lang, progress_report=rep)
    except GiproError as exc:
        _fail(exc)
        return
    _print_progress(build, rep, top)
    _say(rep.summary if _LANG["lang"] == "en" else _progress_text(build, rep))
    for note in rep.notes:
        _note(note)
    _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), out,
           ": " + _t("list_sep").join(p.name for p in files.values()))
    _print_written(extra)


def _print_progress(build: Build, rep, top: int) -> None:
    import pandas as pd

    from .progress import signed_change

    fw = build.framework
    root = fw.root
    lang = _LANG["lang"]
    names = _names(build)
    code_name = ({c: c for c in fw.nodes} if lang == "en"
                 else {c: n.label(lang) for c, n in fw.nodes.items()})
    idx = rep.tables["index_progress"]
    idx = idx[idx["code"] == root].sort_values("change", ascending=False, na_position="last")
    lead = rep.tables.get("leading_factors")
    table = _table(_t("cli_progress_title", index=fw.node(root).label_code(lang),
                      base=rep.base, end=rep.end))
    for col, just in ((_t("cli_unit"), "left"), (str(rep.base), "right"),
                      (str(rep.end), "right"), (_t("cli_change"), "right"),
                      (_t("cli_rank"), "right"), (_t("cli_leading"), "left")):
        table.add_column(col, justify=just)
    rows = idx if len(idx) <= 2 * top else pd.concat([idx.head(top), idx.tail(top)])
    for i, r in enumerate(rows.itertuples()):
        if len(idx) > 2 * top and i == top:
            _row(table, "...", "", "", "", "", "")
        factors = ""
        if lead is not None:
            lf = lead[lead["unit"] == r.unit]
            factors = "\n".join(f"{signed_change(v):>5} {code_name.get(c, c)}"
                                 for c, v in zip(lf["code"], lf["contribution"], strict=True))
        rank = (f"{r.rank_base}->{r.rank_end}" if pd.notna(r.rank_base) and
                pd.notna(r.rank_end) else "-")
        # the sign is kept: -0.03 is "-0.03", not "+0.0" (as in the summary)
        _row(table, names.get(r.unit, r.unit), _num(r.score_base), _num(r.score_end),
             "-" if pd.isna(r.change) else signed_change(r.change), rank, factors)
    console.print(table)
    imp = rep.tables["improvers"]
    t2 = _table(_t("cli_improvers_title", base=rep.base, end=rep.end))
    for i, col in enumerate(("cli_indicator", "cli_direction", "cli_improved", "cli_worsened",
                             "cli_unchanged", "cli_missing")):
        t2.add_column(_t(col), justify="left" if i == 0 else "right")
    for r in imp.itertuples():
        _row(t2, code_name.get(r.code, r.code), "+" if r.direction > 0 else "-",
             r.n_improved, r.n_worsened, r.n_unchanged, r.n_missing)
    console.print(t2)


def _park_framework(value: str | None) -> str | None:
    """--framework of gipro assess and template: a built-in code or a framework file (YAML,
    CSV, Excel), else a usage error."""
    from .parks.model import FRAMEWORK_SUFFIXES
    from .parks.runner import PARK_FRAMEWORKS

    if (value is None or value in PARK_FRAMEWORKS
            or Path(value).suffix.lower() in FRAMEWORK_SUFFIXES):
        return value
    raise typer.BadParameter(f"{value!r} is not one of {', '.join(PARK_FRAMEWORKS)} nor a "
                             "park framework file (" + ", ".join(FRAMEWORK_SUFFIXES) + ")")


@app.command("assess", epilog=f"Docs: {docs_url('parks')}")
def assess_parks(
    park_data: Annotated[
        str | None,
        typer.Argument(help="Park indicators (CSV/Excel, long or wide form), a folder with "
                       "indicators.csv \\[parks.csv] \\[enterprises.csv], or a filled "
                       "gipro template workbook (.xlsx). Omit it (or pass --example) to use "
                       "the SYNTHETIC example parks."),
    ] = None,
    framework: Annotated[str | None, typer.Option(
        "--framework", "-f", callback=_park_framework,
        help="eip | hj274 | miit | park26 | all, or a park framework file (.yaml, .csv, "
        ".xlsx: gipro frameworks export). Default: all, or the framework a gipro template "
        "workbook was made for. With 'all', a framework the data cannot serve (park26 "
        "without its 26 indicators) is skipped with a note.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-assess"),
    example: Annotated[bool, typer.Option(
        "--example", help="Use the SYNTHETIC example parks (south, central, north).")] = False,
    parks_file: Annotated[Path | None, typer.Option(
        "--parks", help="Park attributes CSV (park, name, region, park_type, water_scarce).")
    ] = None,
    enterprises: Annotated[Path | None, typer.Option(
        "--enterprises", help="Enterprise records CSV to roll up into park indicators.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Year to summarise (default: latest).")
                    ] = None,
    tolerance: Annotated[float, typer.Option(
        help="Partly-met band, as a share of the threshold: 0 <= t < 1 (0.10 = within 10 % "
        "of the threshold).", callback=_share_below_one)] = 0.10,
    report_path: Annotated[Path | None, typer.Option(
        "--report", callback=_html_file,
        help="Also write the report to this file (.html, or .pdf printed by the system's "
        "Chromium).")] = None,
    excel: ExcelOpt = None,
    lang: Lang = "en",
    sep: Annotated[str | None, typer.Option(
        help="CSV separator of the park files (default ','; e.g. ';').")] = None,
    decimal: Annotated[str, typer.Option(help="Decimal mark of numbers ('.' or ',').",
                                         callback=_one_of((".", ",")))] = ".",
    thousands: Annotated[str | None, typer.Option(
        help="Thousands separator of numbers: ',', '.', ' ' or \"'\" (e.g. '.' with "
        "--decimal ',').", callback=_one_of((",", ".", " ", "'")))] = None,
    na_values: Annotated[list[str] | None, typer.Option(
        "--na-value", help="A text meaning 'missing' (repeat for several, e.g. "
        "--na-value .. --na-value -).")] = None,
    encoding: Annotated[str, typer.Option(
        help="Text encoding of CSV files (e.g. gbk).")] = "utf-8-sig",
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")
                     ] = None,
    strip_codes: Annotated[bool, typer.Option(
        "--strip-codes", help="Strip spaces around park codes (default: an error naming the "
        "rows).")] = False,
    crosswalk: Annotated[list[str] | None, typer.Option(
        "--crosswalk", help="Your indicator name = a catalogue code, e.g. --crosswalk "
        "'COD per IVA=cod_per_iva' (repeat for several).")] = None,
    ignore_unknown: Annotated[bool, typer.Option(
        "--ignore-unknown", help="Leave out indicators not in the park indicator catalogue, "
        "with a note in the summary and README.txt (default: an error naming them).")
    ] = False,
    table_format: TableFormat = "csv",
) -> None:
    """Assess parks against EIP, HJ 274-2015, MIIT and the park26 scorecard; write CSVs."""
    try:
        from .parks.runner import default_framework, load_input, run_assess

        reader = {"sep": _unescape(sep), "decimal": decimal, "thousands": thousands,
                  "na_values": na_values or None, "encoding": encoding,
                  "sheet": int(sheet) if sheet is not None and sheet.isdigit() else sheet,
                  "strip_codes": strip_codes, "crosswalk": _pairs(crosswalk, "--crosswalk"),
                  "unknown": "ignore" if ignore_unknown else "error"}
        data = load_input(park_data, example=example, parks=parks_file,
                          enterprises=enterprises, **reader)
        if framework is None:
            framework = default_framework(None if example else park_data)
        run = run_assess(data, framework, out, year=year, tolerance=tolerance,
                         fmt=table_format)
        extra = []
        if report_path is not None:
            from .report import park_report

            rep = park_report(run.data, run.assessments, park26_build=run.park26, lang=lang,
                              year=year, green_index=run.green_index)
            extra.append((REPORT, rep.write(report_path)))
        if excel is not None:
            extra.append((WORKBOOK, _excel(excel, run.park26, progress=False,
                                                assessments=run.assessments,
                                                park_data=run.data, park_tables=run.tables)))
    except GiproError as exc:
        _fail(exc)
        return
    if _LANG["lang"] == "en":
        _say(run.text)
    else:  # the runner's summary is English: the same facts from its tables
        from .report.console import assess_text

        _say(assess_text(run, year, _LANG["lang"]))
    _wrote(_t("cli_wrote_n", files=_plural(len(run.files), "file"), n=len(run.files)), out)
    _print_written(extra)


@app.command("template")
def template_cmd(
    framework: Annotated[str, typer.Option(
        "--framework", "-f", callback=_park_framework,
        help="eip | hj274 | miit | park26 | all, or a park framework file: the indicators "
        "the workbook asks for, with their thresholds.")] = "all",
    out: Annotated[Path, typer.Option(
        "--out", "-o", callback=_excel_file, help="The workbook to write (.xlsx).")] = Path(
        "gipro-template.xlsx"),
    parks_file: Annotated[Path | None, typer.Option(
        "--parks", help="Park table (CSV/Excel: park, name, region, park_type, "
        "water_scarce, ...): one column per park and year is made for each.")] = None,
    example: Annotated[bool, typer.Option(
        "--example", help="Pre-fill with the SYNTHETIC example parks.")] = False,
    years: Annotated[list[str] | None, typer.Option(
        "--years", help="Years to fill: --years 2021 2022 2023, --years 2021-2023 or "
        "--years 2021,2022 (default with --example: its years).")] = None,
    enterprises: Annotated[bool, typer.Option(
        "--enterprises", help="Add a sheet for enterprise records, rolled up into park "
        "indicators.")] = False,
    lang: Lang = "en",
) -> None:
    """Write a data-entry workbook for park assessment: instructions, parks, one row per
    indicator and one column per park and year, validated cells; fill it in, then run
    gipro assess FILE.xlsx."""
    try:
        if parks_file is not None and example:
            raise typer.BadParameter("give --parks or --example, not both")
        if parks_file is None and not example:
            raise typer.BadParameter("give --parks FILE (your parks) or --example")
        wanted = _year_list(years)
        from .parks.workbook import write_template

        path = write_template(out, framework, parks=parks_file, years=wanted,
                              example=example, enterprises=enterprises, lang=lang)
    except GiproError as exc:
        _fail(exc)
        return
    _wrote("Wrote the data-entry workbook ", path)
    _say(f"Fill it in, then run: gipro assess {path} --out results/")


def _year_list(items: list[str] | None) -> list[int] | None:
    """--years values: ``2021``, ``2021-2023`` (a range) or ``2021,2022`` (a list)."""
    if not items:
        return None
    out: list[int] = []
    for item in items:
        for part in item.replace(" ", ",").split(","):
            if not part:
                continue
            lo, dash, hi = part.partition("-")
            try:
                span = range(int(lo), int(hi) + 1) if dash else [int(lo)]
            except ValueError:
                raise typer.BadParameter(f"--years {item!r}: write years such as 2021, "
                                         "2021-2023 or 2021,2022") from None
            if dash and not span:
                raise typer.BadParameter(f"--years {item!r}: the range is empty")
            out.extend(span)
    return out


def _years_after_option(argv: list[str]) -> list[str]:
    """``gipro template --years 2021 2022 2023``: the years after one ``--years`` are each
    given to the option (click options take one value each)."""
    out: list[str] = []
    k = 0
    while k < len(argv):
        out.append(argv[k])
        if argv[k] == "--years":
            k += 1
            n = 0
            while k < len(argv) and (n == 0 or argv[k][:1].isdigit()) and argv[k] != "--":
                if n:
                    out.append("--years")
                out.append(argv[k])
                n += 1
                k += 1
            continue
        k += 1
    return out


def _pairs(items: list[str] | None, option: str) -> dict[str, str] | None:
    """``NAME=CODE`` option values as a mapping (spaces around either side stripped)."""
    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        name, eq, code = item.partition("=")
        if not eq or not name.strip() or not code.strip():
            raise InputError(f"{option} {item!r}: write NAME=CODE (your indicator name, '=', "
                             "a catalogue code)")
        out[name.strip()] = code.strip()
    return out


def _unescape(sep: str | None) -> str | None:
    """A separator typed on a command line: ``\\t`` (backslash t) or ``tab`` is a tab."""
    if sep is None:
        return None
    return "\t" if sep in ("\\t", "tab", "TAB") else sep


@app.command(epilog=f"Docs: {docs_url('robustness')}")
def coherence(
    recipe: RecipeArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-coherence"),
    period: Annotated[int | None, typer.Option(help="Period (default: last).")] = None,
    method: Annotated[str, typer.Option(
        help="Correlation method: pearson or spearman.",
        callback=_one_of(("pearson", "spearman")))] = "pearson",
    lang: Lang = "en",
    table_format: TableFormat = "csv",
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """Statistical coherence audit: correlations with flags and p-values, Cronbach's alpha and
    PCA per group, each indicator's main effect on the index next to its weight."""
    _not_on_cluster("coherence", workers, scheduler)
    from . import coherence as _coh
    from .build import Build
    from .tables import output_folder, write_table

    try:
        build = Build(recipe).run()
        tables = _coh.audit(build, period, method=method)
        with output_folder(out, kind="coherence"):
            for name, t in tables.items():
                write_table(t, out / name, table_format)
    except GiproError as exc:
        _fail(exc)
        return
    flags = tables["flags"]
    table = _table(_t("cli_flagged", method=method, k=len(flags),
                      n=len(tables["correlations"])))
    for col in ("cli_code", "cli_other", "cli_relation", "r", "p", "cli_flag"):
        table.add_column(_t(col) if col.startswith("cli_") else col,
                         justify="right" if col in ("r", "p") else "left")
    for r in flags.head(25).itertuples():
        _row(table, r.code, r.other, _loc(r.relation), f"{r.r:.3f}", f"{r.p_value:.3g}",
             _loc(r.flag))
    if len(flags):
        console.print(table)
    else:
        _say(_t("cli_no_flags", method=method))
    if len(flags) > 25:
        _say(_t("cli_more_flags", n=len(flags) - 25))
    imp = tables["importance"].sort_values("ratio")
    below = imp[imp["ratio"] < 1].head(5)
    if len(below):
        _say(_t("cli_importance", list=_t("list_sep").join(
            f"{r.code} {r.ratio:.2f}" for r in below.itertuples())))
    _wrote(_t("cli_wrote_list", files=_t("list_sep").join(f"{n}.{table_format}"
                                                          for n in tables)), out)


@app.command(epilog=f"Docs: {docs_url('robustness')}")
def sensitivity(
    config: Annotated[Path, typer.Argument(help="Sensitivity configuration YAML (recipe, "
                                           "target, design, inputs).")],
    runs: Annotated[int | None, typer.Option(min=2, help="Monte Carlo runs or Sobol base "
                                             "rows N (overrides the configuration).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (overrides the "
                                             "configuration).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Run on a local Dask cluster of "
                                                "N workers.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing Dask "
                                                  "scheduler.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-sensitivity"),
    top: Annotated[int, typer.Option(min=1, help="Units to print.")] = 10,
    report_path: Annotated[Path | None, typer.Option(
        "--report", callback=_html_file, help="Also write the HTML report (the build, with "
        "the rank intervals and Sobol indices) to this file (.html or .pdf).")] = None,
    excel: ExcelOpt = None,
    lang: Lang = "en",
    table_format: TableFormat = "csv",
) -> None:
    """Uncertainty and Sobol sensitivity analysis of the ranks."""
    _on_cluster(workers, scheduler, None)  # (usage errors)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .build import Build
    from .report.sections import interval_runs
    from .sensitivity import load_config, run_config

    try:
        cfg = load_config(config)
        build = Build(cfg.recipe_ref()).run()
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                      transient=True, disable=not err_console.is_terminal) as bar:
            task = bar.add_task("runs", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            res = run_config(cfg, runs=runs, seed=seed, workers=workers, scheduler=scheduler,
                             progress=tick, build=build)
        files = res.write(out, table_format)
        extra = _sensitivity_reports(build, res, report_path, excel, lang)
    except GiproError as exc:
        _fail(exc)
        return
    for note in res.notes:
        _note(note)
    st = res.rank_stats.sort_values("nominal_rank").head(top)
    used = interval_runs(res, res.design)
    n_all = res.design.n_runs
    runs = (_t("cli_sens_runs_all", k=used) if used == n_all else
            _t("cli_sens_runs_sobol" if res.design.kind == "sobol" else "cli_sens_runs_ok",
               k=used, n=n_all))
    table = _table(_t("cli_sens_title", target=res.target, period=res.period, runs=runs,
                      s=f"{res.seconds:.2f}"))
    for col in ("cli_unit", "cli_nominal", "cli_median", "cli_interval", "cli_shift"):
        table.add_column(_t(col), justify="left" if col == "cli_unit" else "right")
    names = _names(build)
    for r in st.itertuples():
        _row(table, names.get(r.unit, r.unit), f"{r.nominal_rank:.0f}", f"{r.median_rank:g}",
             f"{r.q05:g}-{r.q95:g}", f"{r.mean_abs_shift:.2f}")
    console.print(table)
    if res.sobol is not None:
        t2 = _table(_t("cli_sobol_title"))
        for col in ("cli_input", "cli_first", "cli_ci", "cli_total", "cli_ci2"):
            t2.add_column(_t(col), justify="left" if col == "cli_input" else "right")
        for r in res.sobol.itertuples():
            _row(t2, _loc(r.input), f"{r.first:.3f}",
                 _t("cli_to", a=f"{r.first_low:.3f}", b=f"{r.first_high:.3f}"),
                 f"{r.total:.3f}", _t("cli_to", a=f"{r.total_low:.3f}", b=f"{r.total_high:.3f}"))
        console.print(t2)
    _wrote(_t("cli_wrote_list", files=_t("list_sep").join(p.name for p in files.values())),
           out)
    _print_written(extra)


def _sensitivity_reports(build: Build, res, report_path: Path | None, excel: Path | None,
                         lang: str) -> list[Path]:
    """--report / --excel of gipro sensitivity: the nominal build's report with the rank
    intervals and Sobol indices (period of the analysis), and the workbook with them plus
    every run's settings and the failures."""
    if report_path is None and excel is None:
        return []
    from .report import Robustness

    rob = Robustness.from_analysis(res, build)
    period = res.period if res.period in build.final.periods else None
    written = []
    if report_path is not None:
        from .report import report_for_build

        rep = report_for_build(build, lang=lang, period=period, robustness=rob)
        written.append((REPORT, rep.write(report_path)))
    if excel is not None:
        import pandas as pd

        written.append((WORKBOOK, _excel(excel, build, robustness=rob, extra={
            "sensitivity_runs": (res.runs, "every run of the analysis: its sampled settings, "
                                 "status, error and mean absolute rank shift"),
            "sensitivity_failures": (res.failures, "failed runs and why"),
            "sensitivity_notes": (pd.DataFrame({"note": res.notes}),
                                  "design, seed, inputs and policies of the analysis")})))
    return written


def _robustness_frames(rank_intervals: Path | None, sobol: Path | None):
    """Robustness tables read from CSV files (e.g. written by an uncertainty analysis)."""
    if rank_intervals is None and sobol is None:
        return None
    import pandas as pd

    from .report import Robustness

    def read(p: Path | None):
        if p is None:
            return None
        try:
            return pd.read_csv(p)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {p}: {exc}") from None

    return Robustness(rank_intervals=read(rank_intervals), sobol=read(sobol))


@app.command("report", epilog=f"Docs: {docs_url('reports')}")
def report_cmd(
    recipe: RecipeArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", callback=_html_file,
                                      help="Report to write: .html, or .pdf (printed by the "
                                      "system's Chromium).")] = Path(
        "report.html"),
    lang: Lang = "en",
    title: Annotated[str | None, typer.Option(help="Title (default: the framework's "
                                              "name).")] = None,
    period: Annotated[int | None, typer.Option(help="Period of the results (default: "
                                               "last).")] = None,
    base: Annotated[int | None, typer.Option(help="Progress base period (default: "
                                             "first).")] = None,
    end: Annotated[int | None, typer.Option(help="Progress end period (default: last).")
                   ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Leave out the "
                                              "progress section.")] = False,
    rank_intervals: Annotated[Path | None, typer.Option(
        "--rank-intervals", help="CSV with unit, nominal_rank, median_rank, q05, q95 "
        "\\[, period, target] (e.g. rank_stats.csv of gipro sensitivity on the same recipe); "
        "its units and nominal ranks must be those of the reported build and period.")
    ] = None,
    sobol: Annotated[Path | None, typer.Option(
        "--sobol", help="CSV with input, S1, ST \\[, S1_conf, ST_conf] (sensitivity "
        "analysis).")] = None,
    excel: ExcelOpt = None,
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """Write one self-contained HTML report of a recipe's build (opens offline)."""
    _not_on_cluster("report", workers, scheduler)
    from .build import Build
    from .progress import report
    from .report import report_for_build

    try:
        rob = _robustness_frames(rank_intervals, sobol)
        build = Build(recipe).run()
        prog = not no_progress  # True on one period: the report notes there is none
        if not no_progress and len(build.final.periods) > 1:
            prog = report(build, base, end)
        written = [(REPORT, report_for_build(build, lang=lang, title=title, period=period,
                                             progress=prog, robustness=rob).write(out))]
        if excel is not None:
            written.append((WORKBOOK, _excel(excel, build, progress=prog,
                                                  robustness=rob)))
    except GiproError as exc:
        _fail(exc)
        return
    _print_written(written)


def _write_table_file(table, out: Path) -> Path:
    """Write a table to the file ``out`` (``.csv`` or ``.parquet``: its suffix is the format)
    through :func:`gipro.tables.write_table`, creating the folder; an unwritable path is an
    input error."""
    from .tables import write_table

    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return write_table(table, out.parent / out.stem, out.suffix.lower().lstrip("."))
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None


@app.command("compare", epilog=f"Docs: {docs_url('steps/variants')}")
def compare_cmd(
    recipe_a: Annotated[str, typer.Argument(help="First recipe (YAML file or built-in name).")],
    recipe_b: Annotated[str, typer.Argument(
        help="Second recipe, e.g. a variant of the first (geometric aggregation, no "
        "treatment...).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", callback=_table_file,
        help="File of every difference: .csv, or .parquet.")] = Path("gipro-compare.csv"),
    code: Annotated[str | None, typer.Option(
        help="Code to print (default: the index).")] = None,
    period: Annotated[int | None, typer.Option(
        help="Period to print (default: the last both builds share).")] = None,
    top: Annotated[int, typer.Option(min=1, help="Units to print (largest rank moves).")
                   ] = 10,
    lang: Lang = "en",
    workers: Workers = None,
    scheduler: Scheduler = None,
    memory_limit: MemoryLimit = None,
) -> None:
    """Score and rank differences of two recipes' builds per unit, period and code (COINr's
    compare_coins): rank_improvement > 0 = the unit moved up in the second build."""
    from .build import Build
    from .compare import compare

    chunked = _on_cluster(workers, scheduler, memory_limit)
    try:
        if chunked:
            a, diff, out = _compare_chunked(recipe_a, recipe_b, out, code, workers, scheduler,
                                            memory_limit)
        else:
            a, b = Build(recipe_a).run(), Build(recipe_b).run()
            diff = compare(a, b)
        code = code or a.framework.root
        if code not in set(diff["code"]):
            raise InputError(f"code {code!r} is not in both builds' results",
                             [f"codes: {', '.join(dict.fromkeys(diff['code']))}"])
        shared = sorted(set(diff.loc[diff["code"] == code, "period"]))
        period = shared[-1] if period is None else period
        if period not in shared:
            raise InputError(f"period {period} is not in both builds",
                             [f"periods: {', '.join(map(str, shared))}"])
        if not chunked:
            out = _write_table_file(diff, out)
    except GiproError as exc:
        _fail(exc)
        return
    import pandas as pd

    names = _names(a)
    sel = diff[(diff["code"] == code) & (diff["period"] == period)]
    moved = sel["abs_rank_change"].dropna().astype(float)  # units ranked in both builds
    table = _table(_t("cli_compare_title", code=code, period=period, k=int((moved > 0).sum()),
                      n=len(sel), mean=f"{moved.mean():.2f}" if len(moved) else "-",
                      big=f"{moved.max():.0f}" if len(moved) else "-"))
    for col in ("cli_unit", "cli_score_a", "cli_score_b", "cli_rank_a", "cli_rank_b",
                "cli_moved_up"):
        table.add_column(_t(col), justify="left" if col == "cli_unit" else "right")
    shown = sel.sort_values(["abs_rank_change", "unit"], ascending=[False, True]).head(top)
    def num(v, f="{:.2f}"):  # a unit scored or ranked in one build only: "-" (pd.NA too)
        return "-" if pd.isna(v) else f.format(v)

    for r in shown.itertuples():
        _row(table, names.get(r.unit, r.unit), num(r.score_a), num(r.score_b),
             num(r.rank_a, "{:.0f}"), num(r.rank_b, "{:.0f}"),
             num(r.rank_improvement, "{:+.0f}"))
    console.print(table)
    _say(_t("cli_wrote_every", path=out))


def _compare_chunked(recipe_a: str, recipe_b: str, out: Path, code: str | None,
                     workers: int | None, scheduler: str | None, memory_limit: str | None):
    """gipro compare on a Dask cluster: both builds chunked over units, written to hidden
    folders beside ``out`` (removed at the end), their differences written to ``out`` code by
    code (:func:`gipro.compare.compare_parts`: one code's rows in this process at a time);
    returns the first build, the differences of the code to print (default: the index) and
    the file written."""
    import shutil
    import uuid

    import pandas as pd

    from .chunked import ChunkedBuild
    from .cluster import connect
    from .compare import compare_parts
    from .recipe import load_recipe

    work = [out.parent / f".{out.name}.{side}-{uuid.uuid4().hex[:8]}" for side in "ab"]
    try:
        with connect(workers=workers, scheduler=scheduler, memory_limit=memory_limit) as client:
            builds = []
            for recipe, folder in zip((recipe_a, recipe_b), work, strict=True):
                # only the raw data set and the results written: compare reads the results
                lean = load_recipe(recipe).model_copy(update={"keep": ["raw"]})
                with ChunkedBuild(lean, client=client) as build:  # (results read from folder)
                    build.run().write(folder)
                builds.append(build)
        a, b = builds
        shown = code or a.framework.root
        seen: list[pd.DataFrame] = []  # the printed code's rows; one row of each other code

        def parts():
            for part in compare_parts(a, b):
                seen.append(part if shown in set(part["code"]) else part.head(1))
                yield part

        out = _write_table_file(parts(), out)
        return a, pd.concat(seen, ignore_index=True), out
    finally:
        for folder in work:
            shutil.rmtree(folder, ignore_errors=True)


@app.command("remove", epilog=f"Docs: {docs_url('robustness')}")
def remove_cmd(
    recipe: RecipeArg = None,
    level: Annotated[int | None, typer.Option(
        min=1, help="Level whose elements are removed in turn (1 = indicators; default: the "
        "level below the index).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", callback=_table_file,
                                      help="File to write: .csv, or .parquet.")] = Path(
        "gipro-remove.csv"),
    period: Annotated[int | None, typer.Option(help="Period (default: last).")] = None,
    lang: Lang = "en",
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """Rebuild without each element of a level in turn (weight 0) and report the mean and
    largest absolute rank shift of the index (COINr remove_elements)."""
    _not_on_cluster("remove", workers, scheduler)
    from .build import Build
    from .sensitivity import remove_elements

    try:
        build = Build(recipe).run()
        fw = build.framework
        lvl = level if level is not None else fw.level(fw.root) - 1
        table = remove_elements(build, level=lvl, period=period)
        out = _write_table_file(table, out)
    except GiproError as exc:
        _fail(exc)
        return
    show = _table(_t("cli_remove_title", level=lvl, root=fw.root))
    for col in ("cli_element", "cli_mean_shift", "cli_largest", "cli_note_col"):
        show.add_column(_t(col), justify="left" if col in ("cli_element", "cli_note_col")
                        else "right")
    for r in table.sort_values("mean_abs_rank_shift", ascending=False).itertuples():
        mean = "-" if r.mean_abs_rank_shift != r.mean_abs_rank_shift else \
            f"{r.mean_abs_rank_shift:.3f}"
        big = "-" if r.max_abs_rank_shift != r.max_abs_rank_shift else \
            f"{r.max_abs_rank_shift:.0f}"
        label = r.code if _LANG["lang"] == "en" else fw.node(r.code).label(_LANG["lang"])
        _row(show, label, mean, big, _loc(r.error) if isinstance(r.error, str) else "")
    console.print(show)
    _say(_t("cli_wrote_one", path=out))


@app.command("export", epilog=f"Docs: {docs_url('reports')}")
def export_cmd(
    ctx: typer.Context,
    recipe: RecipeArg = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Excel file to write (.xlsx; default gipro-results.xlsx), or with "
        "--format csv or parquet the folder of the tables (default gipro-export).")] = None,
    base: Annotated[int | None, typer.Option(help="Progress base period.")] = None,
    end: Annotated[int | None, typer.Option(help="Progress end period.")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Leave out the "
                                              "progress tables.")] = False,
    lang: Lang = "en",
    table_format: Annotated[str, typer.Option(
        "--format", callback=_one_of(("xlsx", "csv", "parquet")),
        help="xlsx (default): one workbook; csv or parquet: the same tables as files in a "
             "folder (builds too big for a sheet of 1,048,576 rows; on a cluster: parquet, "
             "the default there).")] = "xlsx",
    workers: Workers = None,
    scheduler: Scheduler = None,
    memory_limit: MemoryLimit = None,
) -> None:
    """Write a build's data sets, results, progress, log and sources to one Excel workbook
    (or, with --format csv or parquet, to one file per table in a folder)."""
    from .build import Build

    if _on_cluster(workers, scheduler, memory_limit):
        if _given(ctx, "table_format") and table_format != "parquet":
            raise typer.BadParameter(f"gipro export on a Dask cluster writes Parquet (folders "
                                     f"of parts), not {table_format}: --format parquet, or "
                                     "leave --format out", param_hint="'--format'")
        if out is not None and out.suffix.lower() in EXCEL_SUFFIXES:
            raise typer.BadParameter(f"{out.name!r}: gipro export on a Dask cluster writes a "
                                     "folder of Parquet tables; give a folder",
                                     param_hint="'--out'")
        if base is not None or end is not None:
            raise typer.BadParameter("gipro export on a Dask cluster makes no progress tables "
                                     "(they read every period in one process): leave out "
                                     "--base / --end, or run without --workers / --scheduler",
                                     param_hint="'--base' / '--end'")
        _export_chunked(recipe, out or Path("gipro-export"), workers, scheduler, memory_limit)
        return
    if table_format == "xlsx":
        try:
            out = _excel_file(out or Path("gipro-results.xlsx"))
        except typer.BadParameter as exc:
            exc.param_hint = "'--out'"
            raise
    elif out is not None and out.suffix.lower() in EXCEL_SUFFIXES:
        raise typer.BadParameter(f"{out.name!r}: --format {table_format} writes a folder of "
                                 "tables; give a folder, or --format xlsx",
                                 param_hint="'--out'")
    try:
        build = Build(recipe).run()
        if table_format == "xlsx":
            path = _excel(out, build, progress=not no_progress, base=base, end=end)
        else:
            from .report import write_workbook_tables

            folder = out or Path("gipro-export")
            files = write_workbook_tables(folder, build, table_format,
                                          progress=not no_progress, base=base, end=end,
                                          lang=_LANG["lang"])
    except GiproError as exc:
        _fail(exc)
        return
    if table_format == "xlsx":
        _print_written([(WORKBOOK, path)])
    else:
        _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), folder,
               ": " + _t("list_sep").join(p.name for p in files.values()))


def _export_chunked(recipe: str | None, folder: Path, workers: int | None,
                    scheduler: str | None, memory_limit: str | None) -> None:
    """gipro export on a Dask cluster: the export's tables as Parquet from a build chunked
    over units (:func:`gipro.report.excel.write_chunked_tables`)."""
    from .chunked import ChunkedBuild
    from .cluster import connect
    from .report.excel import CHUNKED_EXPORT_NOTE, write_chunked_tables

    try:
        with connect(workers=workers, scheduler=scheduler, memory_limit=memory_limit) as client:
            with ChunkedBuild(recipe, client=client) as build:  # (a CSV's partition deleted)
                files = write_chunked_tables(folder, build.run(), lang=_LANG["lang"])
    except GiproError as exc:
        _fail(exc)
        return
    _note(CHUNKED_EXPORT_NOTE)
    _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), folder,
           ": " + _t("list_sep").join(p.name for p in files.values()))


@app.command("chart", epilog=f"Docs: {docs_url('reports')}")
def chart_cmd(
    name: Annotated[str, typer.Argument(
        help="Chart: " + ", ".join(CHARTS) + ".", callback=_one_of(list(CHARTS)))],
    recipe: RecipeArg = None,
    out: Annotated[Path, typer.Option(
        "--out", "-o", callback=_image_file,
        help="Image file; its suffix sets the format: .png, .svg, .pdf, .jpg/.jpeg, .webp.")
    ] = Path("chart.png"),
    unit: Annotated[str | None, typer.Option(
        help="Unit of a per-unit chart (profile, rank-history, waterfall): its code or its "
        "name in either language, e.g. Beijing or 北京 (default: the best ranked).")] = None,
    period: Annotated[int | None, typer.Option(
        help="Period of the results and profile charts (default: last).")] = None,
    base: Annotated[int | None, typer.Option(
        help="Base period of the progress charts (default: first).")] = None,
    end: Annotated[int | None, typer.Option(
        help="End period of the progress charts (default: last).")] = None,
    lang: Lang = "en",
    width: Annotated[int | None, typer.Option(min=50, max=10_000,
                                              help="Width in pixels.")] = None,
    height: Annotated[int | None, typer.Option(min=50, max=10_000,
                                               help="Height in pixels.")] = None,
    scale: Annotated[float, typer.Option(
        help="Resolution factor (2 for print; at most 10).", callback=_scale)] = 1.0,
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """Save one chart of a build's report as a titled static image (needs the images extra,
    pip install "gipro\\[images]", and Chromium)."""
    _not_on_cluster("chart", workers, scheduler)
    from .build import Build
    from .report import build_chart, save_image

    try:
        build = Build(recipe).run()
        fig = build_chart(build, name, lang=lang, unit=unit, period=period, base=base, end=end,
                          title=True)
        path = save_image(fig, out, width=width, height=height, scale=scale)
    except GiproError as exc:
        _fail(exc)
        return
    _print_written([(CHART, path)])


@app.command("scenario", epilog=f"Docs: {docs_url('scenarios')}")
def scenario_cmd(
    config: Annotated[
        str,
        typer.Argument(help="Recipe YAML file or built-in recipe name (e.g. "
                       "china-provinces-gipro); or park data: a folder, a CSV/Excel file, or "
                       "parks-example or parks_example (the SYNTHETIC example parks)."),
    ],
    scenarios: Annotated[Path, typer.Argument(help="Scenarios YAML file (scenarios:, "
                                              "evaluation:, targets:, questions:).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-scenarios"),
    top: Annotated[int, typer.Option(min=1, help="How many units to show in the printed "
                                     "table.")] = 15,
    report_path: Annotated[Path | None, typer.Option(
        "--report", callback=_html_file, help="Also write the HTML report (baseline "
        "results, scenarios, targets, questions) to this file (.html or .pdf).")] = None,
    excel: ExcelOpt = None,
    lang: Lang = "en",
    table_format: TableFormat = "csv",
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """What-if scenarios, target attainment and the change needed to reach a goal: comparison
    tables as CSV and a printed summary."""
    _not_on_cluster("scenario", workers, scheduler)
    from .scenario import load_scenarios
    from .scenario.evaluate import Evaluation
    from .scenario.runner import run_file

    try:
        spec = load_scenarios(scenarios)
        files, text, ev = run_file(config, spec, out, table_format)
        extra = _scenario_reports(config, ev, files, report_path, excel, lang)
    except GiproError as exc:
        _fail(exc)
        return
    if isinstance(ev, Evaluation):
        _print_scenarios(ev, top)
    if _LANG["lang"] == "en":
        _say(text)
    else:  # the runner's summary is English: the same facts from its tables
        from .build import Build
        from .report.console import scenario_text

        base = ev.baseline if isinstance(ev, Evaluation) else None
        if base is None and ("questions" in files or "attainment_summary" in files):
            base = Build(config).run()
        _say(scenario_text(ev if isinstance(ev, Evaluation) else None, files,
                           _names(base) if base is not None else {}, _LANG["lang"]))
    _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), out,
           ": " + _t("list_sep").join(sorted({p.name for p in files.values()})))
    _print_written(extra)


def _scenario_reports(config, ev, files: dict[str, Path], report_path: Path | None,
                      excel: Path | None, lang: str) -> list[Path]:
    """--report / --excel of gipro scenario.

    Composite recipe: the baseline build's report (overview, results, unit profiles) with the
    scenarios section right after the results -- the index side by side in the evaluation's
    period, target attainment and inverse questions when the file has them -- and the
    methodology; progress and correlations are left out (the baseline's own report has them).
    The workbook: the baseline's sheets plus every scenario table written as CSV. Park data:
    a report and workbook of the compliance and verdict changes (and the park26 index when
    evaluated).
    """
    if report_path is None and excel is None:
        return []
    import pandas as pd

    from .build import Build
    from .report import Methodology, Report, Scenarios, report_for_build
    from .report.i18n import translate
    from .scenario.evaluate import Evaluation
    from .scenario.parks import ParkEvaluation

    def read(name: str) -> pd.DataFrame | None:
        if name not in files:
            return None
        p = files[name]
        return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)

    frames = {"attainment": read("attainment_summary"), "questions": read("questions")}
    written = []
    if isinstance(ev, ParkEvaluation):
        base = (Scenarios.from_result(ev.park26) if ev.park26 is not None
                else Scenarios(compliance=ev.tables["requirement_changes"]))
        base.compliance = ev.tables["requirement_changes"]
        base.verdicts = ev.tables["verdict_changes"]
        base.notes = list(ev.notes) + [n for n in base.notes if n not in ev.notes]
        build = ev.park26.baseline if ev.park26 is not None else None
        if report_path is not None:
            from . import datasets as _ds
            from .report.builder import park_notice

            source = park_notice(_ds.notice()) if ev.data.synthetic else ""
            meth = Methodology(steps=[e.to_dict() for e in build.log] if build else [],
                               input_notes=[repr(ev.data)], notes=list(ev.notes),
                               sources=[(ev.data.origin or "park data", source)])
            rep = Report(f"{translate('scenarios', lang)}: {ev.data.origin or 'parks'}",
                         lang, [base, meth], synthetic=ev.data.synthetic)
            written.append((REPORT, rep.write(report_path)))
        if excel is not None:
            written.append((WORKBOOK, _excel(excel, build, progress=False,
                                                  scenarios=base, park_data=ev.data)))
        return written
    if isinstance(ev, Evaluation):
        build = ev.baseline
        sc = Scenarios.from_result(ev, build)
        sc.attainment, sc.questions = frames["attainment"], frames["questions"]
    else:  # targets and questions only: run_file does not return the baseline build
        build = Build(config).run()
        sc = Scenarios(attainment=frames["attainment"], questions=frames["questions"])
    if report_path is not None:
        rep = report_for_build(build, lang=lang, progress=False, correlations=False,
                               scenarios=sc)
        rep.sections.remove(sc)
        at = next((i + 1 for i, s in enumerate(rep.sections) if s.key == "results"), 0)
        rep.sections.insert(at, sc)
        written.append((REPORT, rep.write(report_path)))
    if excel is not None:
        more = {f"scenario_{k}": (read(k), f"{k}.csv of gipro scenario")
                for k in ("index", "scores", "contributions", "changes", "beyond_scale",
                          "overview") if k in files}
        written.append((WORKBOOK, _excel(excel, build, progress=False, scenarios=sc,
                                              extra=more)))
    return written


def _print_scenarios(ev, top: int) -> None:
    import pandas as pd

    fw = ev.baseline.framework
    root = fw.root
    idx = ev.tables["index"]
    cur = idx[idx["period"] == ev.period]
    names = list(ev.runs)
    moved = cur[[f"{n}_score_change" for n in names]].abs().max(axis=1)
    shown = cur if len(cur) <= top else cur.loc[
        moved.sort_values(ascending=False, kind="stable").index[:top]].sort_values(
            "baseline_rank", na_position="last")
    title = _t("cli_scen_title", root=root, period=ev.period, bounds=ev.options.bounds,
               more="" if len(cur) <= top else _t("cli_scen_more", k=top))
    table = _table(title)
    table.add_column(_t("cli_unit"))
    table.add_column(_t("cli_baseline"), justify="right")
    labels = _names(ev.baseline)
    for n in names:
        table.add_column(Text(str(n)), justify="right")
    for d in shown.to_dict("records"):
        rank = "-" if pd.isna(d["baseline_rank"]) else str(d["baseline_rank"])
        base = "-" if pd.isna(d["baseline_score"]) else f"{d['baseline_score']:.2f}"
        row = [labels.get(str(d["unit"]), str(d["unit"])), f"{base} #{rank}"]
        for n in names:
            s, c, k = d[f"{n}_score"], d[f"{n}_score_change"], d[f"{n}_rank"]
            row.append("-" if pd.isna(s) else f"{c:+.2f} #{'-' if pd.isna(k) else k}")
        _row(table, *row)
    console.print(table)


@app.command("stats", epilog=f"Docs: {docs_url('stats')}")
def stats_cmd(
    recipe: RecipeArg = None,
    dataset: Annotated[str, typer.Option(
        help="Data set: raw (the input data, default) or one a step writes (denominated, "
        "treated...).")] = "raw",
    period: Annotated[str | None, typer.Option(
        help="A period, or 'all' for every period (default: the last).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", callback=_table_file,
        help="Also write the table to this file (.csv, or .parquet).")] = None,
    workers: NoWorkers = None,
    scheduler: NoScheduler = None,
) -> None:
    """Indicator statistics (COINr get_stats): availability, min, max, mean, sd, skew,
    kurtosis, zeros, distinct values; flags for low availability, many zeros, few distinct
    values, outliers (|skew| > 2 and kurtosis > 3.5), constant columns and collinear pairs
    (|r| > 0.9 within a group)."""
    _not_on_cluster("stats", workers, scheduler)
    from .build import Build
    from .stats import indicator_stats

    try:
        per: int | str | None = period
        if period is not None and period != "all":
            try:
                per = int(period)
            except ValueError:
                raise InputError(f"--period must be a year or 'all', got {period!r}") from None
        build = Build(recipe)
        if dataset != "raw":
            build.run()
        table = indicator_stats(build, dataset, per)
        if out is not None:
            _write_table_file(table, out)
    except GiproError as exc:
        _fail(exc)
        return
    for p, block in table.groupby("period", sort=False):
        t = _table(f"Indicator statistics, data set {dataset}, {p}")
        for col in ("indicator", "n", "min", "max", "mean", "sd", "skew", "kurt", "flags"):
            t.add_column(col, justify="left" if col in ("indicator", "flags") else "right")
        for r in block.itertuples():
            flags = [f for f, on in (
                (f"availability {r.availability:.0%}", r.flag_availability == "LOW"),
                (f"zeros {r.share_zero:.0%}", r.flag_zero == "LOW"),
                (f"{r.n_unique} distinct", r.flag_unique == "LOW"),
                ("outliers", r.flag_outliers == "OUT"), ("constant", r.constant),
                ("near-constant", r.near_constant),
                (f"collinear: {r.collinear}", bool(r.collinear))) if on]
            _row(t, r.indicator, r.n_available, *("-" if v != v else f"{v:.4g}" for v in (
                r.min, r.max, r.mean, r.sd, r.skew, r.kurtosis)), "; ".join(flags) or "ok")
        console.print(t)
    if out is not None:
        _wrote("Wrote the table to ", out)


@app.command("init", epilog=f"Docs: {docs_url('getting-started')}")
def init_cmd(
    data: Annotated[Path, typer.Argument(help="Your data file (CSV, Excel; wide: one column "
                                         "per indicator, or a COINr iData table).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")] = Path("."),
    name: Annotated[str, typer.Option(help="Name of the index (file names).")] = "my-index",
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    encoding: Annotated[str, typer.Option(help="CSV encoding, e.g. gbk.")] = "utf-8-sig",
    sep: Annotated[str | None, typer.Option(help="CSV separator (default ',').")] = None,
) -> None:
    """Write a starting framework (one indicator per numeric column, units read from the
    headers, directions left to fill in) and a recipe with every key commented."""
    from .starter import init

    try:
        fw, recipe = init(data, out, name=name, sheet=sheet, encoding=encoding, sep=sep)
    except GiproError as exc:
        _fail(exc)
        return
    _say(f"Wrote {fw} and {recipe}.")
    _say(f"Next: give each indicator of {fw.name} its direction (1 or -1), then "
         f"gipro run {recipe} --out {name}-output")
@app.command("gtfp", epilog=f"Docs: {docs_url('gtfp')}")
def gtfp_cmd(
    spec: Annotated[Path, typer.Argument(help="GTFP specification YAML (data, inputs, "
                                         "desirable, undesirable, model, technology, index).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-gtfp"),
    top: Annotated[int, typer.Option(min=1, help="Units to print.")] = 10,
    workers: Annotated[int | None, typer.Option(min=1, help="Solve the LPs on a local Dask "
                                                "cluster of N workers.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing Dask "
                                                  "scheduler.")] = None,
    report_path: Annotated[Path | None, typer.Option(
        "--report", callback=_html_file, help="Also write the HTML report (productivity "
        "change by unit, frontier shift) to this file (.html).")] = None,
    excel: ExcelOpt = None,
    lang: Lang = "en",
    table_format: TableFormat = "csv",
) -> None:
    """Green total-factor productivity: DEA with undesirable outputs and the
    Malmquist-Luenberger or Luenberger index (efficiency.csv, productivity.csv)."""
    _on_cluster(workers, scheduler, None)  # (usage errors)
    from .gtfp import load_spec, run

    try:
        res = run(load_spec(spec), workers=workers, scheduler=scheduler)
        if report_path is not None and res.productivity is None:
            raise InputError("--report shows productivity change; the spec has index: none",
                             ["set index: malmquist_luenberger or luenberger, or leave out "
                              "--report (efficiency.csv has the scores)"])
        files = res.write(out, table_format)
        extra = []
        if report_path is not None or excel is not None:
            from .report.productivity import productivity_report, productivity_workbook

            if report_path is not None:
                extra.append((REPORT, productivity_report(res, lang=lang).write(report_path)))
            if excel is not None:
                extra.append((WORKBOOK, productivity_workbook(excel, res)))
    except GiproError as exc:
        _fail(exc)
        return
    _print_gtfp(res, top)
    for note in res.notes:
        _say(_t("cli_data_note", note=_loc(note))) if note.startswith("WARNING") else _note(note)
    _wrote(_t("cli_wrote_n", files=_plural(len(files), "file"), n=len(files)), out,
           ": " + _t("list_sep").join(p.name for p in files.values()))
    _print_written(extra)


def _print_gtfp(res, top: int) -> None:
    """The index per pair of periods and the units with the highest mean TFPCH (or, without
    an index, the mean inefficiency per period)."""
    from .labels import unit_labels

    sp = res.spec
    lang = _LANG["lang"]
    names = unit_labels(res.units, list(res.units.index), lang)
    what = (f"{sp.model}, {sp.returns}, {sp.technology} technology" if lang == "en" else
            _t("list_sep").join([_t(f"model_{sp.model}"), _t(f"returns_{sp.returns}"),
                                 _t(f"technology_{sp.technology}") + "技术"]))
    if res.productivity is None:
        t = _table(_t("cli_gtfp_ineff", what=what))
        for col in ("cli_period", "cli_units", "cli_mean", "cli_frontier"):
            t.add_column(_t(col), justify="left" if col == "cli_period" else "right")
        for p, g in res.efficiency.groupby("period"):
            on = int((g["inefficiency"].abs() <= 1e-9).sum())
            _row(t, p, len(g), _num(g["inefficiency"].mean(), 4), on)
        console.print(t)
        return
    form = "geometric" if res.ratio else "arithmetic"
    index = (sp.index.replace("_", "-").title() if lang == "en" else _t(f"index_{sp.index}"))
    t = _table(_t("cli_gtfp_title", index=index, what=what, form=_t(f"cli_{form}")))
    for col in ("cli_periods", "cli_units", "TFPCH", "TECH", "TECCH", "cli_tfp_growth",
                "cli_frontier_out", "cli_frontier_back"):
        t.add_column(_t(col) if col.startswith("cli_") else col,
                     justify="left" if col == "cli_periods" else "right",
                     no_wrap=col == "cli_periods")
    for r in res.period_summary().itertuples():
        _row(t, f"{r.period_from}~{r.period_to}", r.n_units, _num(r.tfpch, 4),
             _num(r.tech, 4), _num(r.tecch, 4), r.n_tfp_growth, r.n_frontier_out,
             r.n_frontier_in)
    console.print(t)
    us = res.unit_summary().sort_values("tfpch", ascending=False, na_position="last")
    t2 = _table(_t("cli_gtfp_units", k=min(top, len(us)), n=len(us)))
    for col in ("cli_unit", "TFPCH", "TECH", "TECCH", "cli_cumulative", "cli_leading_tfp"):
        t2.add_column(_t(col) if col.startswith("cli_") else col,
                      justify="left" if col in ("cli_unit", "cli_leading_tfp") else "right")
    lead = {"tech": _t("cli_efficiency_change"), "tecch": _t("cli_technical_change"), "": "-"}
    for r in us.head(top).itertuples():
        _row(t2, names.get(r.unit, r.unit), _num(r.tfpch, 4), _num(r.tech, 4),
             _num(r.tecch, 4), _num(r.tfpch_cumulative, 4), lead[r.leading])
    console.print(t2)


frameworks_app = typer.Typer(
    help="List the built-in frameworks; export a park framework to correct and cite.",
    epilog=f"Docs: {docs_url('frameworks')}",
    no_args_is_help=False, add_completion=False)
app.add_typer(frameworks_app, name="frameworks")


@frameworks_app.callback(invoke_without_command=True)
def list_frameworks(ctx: typer.Context) -> None:
    """List the built-in frameworks (composite indices and park frameworks)."""
    if ctx.invoked_subcommand is not None:
        return
    from . import parks as _parks
    from .framework import builtin_frameworks, load_framework

    for name in builtin_frameworks():
        fw = load_framework(name)
        _say(f"{name}: {fw.name.en or ''} ({_plural(len(fw.indicator_codes), 'indicator')})")
    for name in _parks.builtin_park_frameworks():
        pf = _parks.load_park_framework(name)
        _say(f"{name}: {pf.name.get('en')} ({_plural(len(pf.requirements), 'requirement')}; "
             "park framework for gipro assess)")


def _framework_file(value: Path) -> Path:
    """--out of gipro frameworks export: .yaml/.yml, .csv or .xlsx, else a usage error."""
    from .parks.model import FRAMEWORK_SUFFIXES

    if value.suffix.lower() not in FRAMEWORK_SUFFIXES:
        raise typer.BadParameter(f"{value.name!r}: a park framework is written as "
                                 + ", ".join(FRAMEWORK_SUFFIXES))
    return value


@frameworks_app.command("export")
def export_framework(
    name: Annotated[str, typer.Argument(
        help="A built-in park framework (eip, hj274, miit) or a park framework file.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", callback=_framework_file,
        help="File to write: .xlsx (Excel, with instructions), .yaml or .csv.")],
    lang: Lang = "en",
) -> None:
    """Write a park framework for you to correct and cite: edit thresholds and rules, mark a
    value verified with its source (user_verified, user_source), then run
    gipro assess --framework FILE."""
    try:
        from .parks.model import export_park_framework, load_park_framework

        fw = load_park_framework(name)
        if out.exists():
            raise InputError(f"{out} exists: gipro does not overwrite a file",
                             ["give another --out, or move the file away"])
        path = export_park_framework(fw, out, lang=lang)
    except GiproError as exc:
        _fail(exc)
        return
    n_unver = sum(not r.is_verified for r in fw.requirements)
    _say(f"{fw.code}: {_plural(len(fw.requirements), 'requirement')}, {n_unver} with an "
         "unverified threshold")
    _wrote("Wrote ", path)


@app.command("datasets", epilog=f"Docs: {docs_url('data')}")
def list_datasets() -> None:
    """List the built-in data sets (by the name gipro.datasets.load takes)."""
    from . import datasets as _datasets

    for name in _datasets.available():
        _say(f"{name}: {_datasets.load(name)!r}")


def _builtin_recipe_names() -> list[str]:
    """Names of the shipped recipes, read from the package folder without importing the
    recipe model (the same list as :func:`gipro.recipe.builtin_recipes`, checked by a test)."""
    from importlib import resources

    folder = resources.files("gipro") / "recipes"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@app.command("recipes", epilog=f"Docs: {docs_url('recipe')}")
def list_recipes() -> None:
    """List the built-in recipes."""
    for name in _builtin_recipe_names():
        _say(name)


def _debug_first(argv: list[str]) -> list[str]:
    """``--debug`` is accepted anywhere on the command line (``gipro run r.yaml --debug``):
    it is moved in front of the command, where the option is defined."""
    if "--debug" not in argv:
        return argv
    cut = argv.index("--") if "--" in argv else len(argv)
    if "--debug" not in argv[:cut]:
        return argv
    return ["--debug", *[a for a in argv[:cut] if a != "--debug"], *argv[cut:]]


#: Exit code of an unexpected error (a bug in gipro, not in the input): distinct from 1 (input
#: error) and 2 (usage error) so that scripts can tell them apart.
EXIT_INTERNAL = 3


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``gipro`` console script.

    Exit codes: 0 success, 1 input error (one line plus details), 2 usage error,
    3 internal error (a bug: the message says how to get the traceback); Ctrl-C is click's
    "Aborted!" (1).
    """
    args = _debug_first(list(sys.argv[1:] if argv is None else argv))
    if "template" in args:
        args = _years_after_option(args)
    debug = "--debug" in args[: args.index("--") if "--" in args else len(args)]
    try:
        app(args=args, prog_name="gipro")
    except SystemExit:
        raise
    except GiproError as exc:  # errors raised outside a command's own handling
        if debug:
            raise
        _print_error(exc)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        err_console.print(Text.assemble(("internal error:", "bold red"),
                                        f" {type(exc).__name__}: {exc}"), highlight=False)
        err_console.print("  - this is a bug in gipro, not in your input; run the same command "
                          "with --debug for the traceback and report it", highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
