"""The ``gipro`` command line.

Exit codes: 0 success, 1 input error (one clear line plus details; ``--debug`` for a traceback),
2 usage error, 3 internal error (a bug in gipro; see :func:`main`). ``docs/bad-input.md`` lists
what each kind of bad input gives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from . import datasets as _datasets
from . import parks as _parks
from .build import Build
from .errors import GiproError, InputError
from .framework import builtin_frameworks, load_framework
from .progress import change, report, summary
from .recipe import builtin_recipes

app = typer.Typer(
    name="gipro",
    help="Green industry progress: composite indices, progress over time, park assessment.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # an error stays one line

_DEBUG = {"on": False}


def _fail(exc: GiproError) -> None:
    if _DEBUG["on"]:
        raise exc
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    for d in exc.details:
        err_console.print(f"  - {d}", highlight=False)
    raise typer.Exit(code=1)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    _DEBUG["on"] = debug
    if version:
        console.print(f"gipro {__version__}")
        raise typer.Exit()


@app.command()
def run(
    recipe: Annotated[
        str | None,
        typer.Argument(help="Recipe YAML file or built-in recipe name (default: "
                       "china-provinces-gipro)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-output"),
    top: Annotated[int, typer.Option(min=1, help="How many units of the ranking to print.")] = 10,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Also write the HTML report to this file.")] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Also write the Excel workbook to this file.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
) -> None:
    """Build a composite index from a recipe and write results.csv, stages/, recipe.yaml."""
    try:
        _check_lang(lang)
        build = Build(recipe).run()
        files = build.write(out)
        extra = _write_reports(build, report_path, excel, lang)
    except GiproError as exc:
        _fail(exc)
        return
    _print_ranking(build, top)
    if len(build.final.periods) > 1:
        console.print(summary(build), highlight=False)
    details = [k.split("/", 1)[1] for k in files if k.startswith("details/")]
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]: results.csv, "
                  f"stages/ ({', '.join(build.datasets)}), recipe.yaml, log.yaml, exclusions.csv"
                  + (f", details/ ({', '.join(details)})" if details else ""),
                  highlight=False)
    excluded = build.exclusions()
    if len(excluded):
        console.print(f"{excluded['unit'].nunique()} units without a score in some period or "
                      "removed by a step: see exclusions.csv", highlight=False)
    _print_written(extra)


def _check_lang(lang: str) -> None:
    from .report.i18n import check_lang

    check_lang(lang)


def _write_reports(build: Build, report_path: Path | None, excel: Path | None, lang: str,
                   progress_report=None, robustness=None) -> list[Path]:
    """The HTML report and/or the workbook of a build (what --report / --excel ask for)."""
    from .report import report_for_build, write_excel

    written = []
    prog = progress_report if progress_report is not None else True
    if report_path is not None:
        written.append(report_for_build(build, lang=lang, progress=prog,
                                        robustness=robustness).write(report_path))
    if excel is not None:
        written.append(write_excel(excel, build, progress=prog, robustness=robustness))
    return written


def _print_written(paths: list[Path]) -> None:
    for p in paths:
        kind = "report" if p.suffix.lower() in (".html", ".htm") else "workbook"
        console.print(f"Wrote the {kind} [bold]{p}[/] ({p.stat().st_size / 1e6:.1f} MB)",
                      highlight=False)


def _num(v: float, digits: int = 1) -> str:
    """A score for a table: "-" when missing (never "nan")."""
    return "-" if pd.isna(v) else f"{v:.{digits}f}"


def _print_ranking(build: Build, top: int) -> None:
    fw = build.framework
    root = fw.root
    end = build.final.periods[-1]
    res = build.results()
    cur = res[(res["code"] == root) & (res["period"] == end)].dropna(subset=["score"]).head(top)
    title = f"{fw.node(root).label()} ({root}), {end}: top {len(cur)} of {len(build.final.units)}"
    table = Table(title=title)
    table.add_column("rank", justify="right")
    table.add_column("unit")
    table.add_column("score", justify="right")
    dims = fw.children(root)
    for d in dims:
        table.add_column(d, justify="right")
    multi = len(build.final.periods) > 1
    if multi:
        table.add_column(f"change since {build.final.periods[0]}", justify="right")
        chg = change(build).set_index("unit")["change"]
    wide = res[(res["period"] == end) & res["code"].isin(dims)].pivot(
        index="unit", columns="code", values="score")
    for r in cur.itertuples():
        row = [str(r.rank), str(r.unit), f"{r.score:.2f}"]
        row += ["-" if pd.isna(wide.loc[r.unit, d]) else f"{wide.loc[r.unit, d]:.1f}"
                for d in dims]
        if multi:
            c = chg.loc[r.unit]
            row.append("-" if pd.isna(c) else f"{round(c, 2) + 0.0:+.2f}")
        table.add_row(*row)
    if cur.empty:  # never a "best" unit picked from missing scores (field case B15)
        console.print(f"[yellow]No unit has a {root} score in {end}[/]: every unit-period is "
                      "listed with its reason in exclusions.csv", highlight=False)
        return
    console.print(table)


@app.command()
def progress(
    recipe: Annotated[
        str | None,
        typer.Argument(help="Recipe YAML file or built-in recipe name (default: "
                       "china-provinces-gipro)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-progress"),
    base: Annotated[int | None, typer.Option(help="Base period (default: first).")] = None,
    end: Annotated[int | None, typer.Option(help="End period (default: last).")] = None,
    top: Annotated[int, typer.Option(min=1, help="How many units to show at each end of the "
                                     "table.")] = 5,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Also write the HTML report to this file.")] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Also write the Excel workbook to this file.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
) -> None:
    """Progress between two periods: index, sub-index and indicator changes, improver counts
    and leading factors of change, written as CSV tables, with a printed summary."""
    try:
        _check_lang(lang)
        build = Build(recipe).run()
        rep = report(build, base, end)
        files = rep.write(out)
        extra = _write_reports(build, report_path, excel, lang, progress_report=rep)
    except GiproError as exc:
        _fail(exc)
        return
    _print_progress(build, rep, top)
    console.print(rep.summary, highlight=False)
    for note in rep.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]: "
                  + ", ".join(p.name for p in files.values()), highlight=False)
    _print_written(extra)


def _print_progress(build: Build, rep, top: int) -> None:
    fw = build.framework
    root = fw.root
    idx = rep.tables["index_progress"]
    idx = idx[idx["code"] == root].sort_values("change", ascending=False, na_position="last")
    lead = rep.tables.get("leading_factors")
    table = Table(title=f"{fw.node(root).label()} ({root}): change {rep.base} -> {rep.end}")
    for col, just in (("unit", "left"), (str(rep.base), "right"), (str(rep.end), "right"),
                      ("change", "right"), ("rank", "right"),
                      ("leading factors (index points)", "left")):
        table.add_column(col, justify=just)
    rows = idx if len(idx) <= 2 * top else pd.concat([idx.head(top), idx.tail(top)])
    for i, r in enumerate(rows.itertuples()):
        if len(idx) > 2 * top and i == top:
            table.add_row("...", "", "", "", "", "")
        factors = ""
        if lead is not None:
            lf = lead[lead["unit"] == r.unit]
            factors = "\n".join(f"{v:+5.1f} {c}" for c, v in zip(lf["code"], lf["contribution"],
                                                                   strict=True))
        rank = (f"{r.rank_base}->{r.rank_end}" if pd.notna(r.rank_base) and
                pd.notna(r.rank_end) else "-")
        table.add_row(str(r.unit), _num(r.score_base), _num(r.score_end),
                      "-" if pd.isna(r.change) else f"{round(r.change, 1) + 0.0:+.1f}", rank,
                      factors)
    console.print(table)
    imp = rep.tables["improvers"]
    t2 = Table(title=f"Units improving on each indicator, {rep.base} -> {rep.end}")
    for col in ("indicator", "direction", "improved", "worsened", "unchanged", "missing"):
        t2.add_column(col, justify="left" if col == "indicator" else "right")
    for r in imp.itertuples():
        t2.add_row(str(r.code), "+" if r.direction > 0 else "-", str(r.n_improved),
                   str(r.n_worsened), str(r.n_unchanged), str(r.n_missing))
    console.print(t2)


_PARK_CHOICES = ("eip", "hj274", "miit", "park26", "all")


@app.command("assess")
def assess_parks(
    park_data: Annotated[
        str | None,
        typer.Argument(help="Park indicators (CSV/Excel, long or wide form) or a folder with "
                       "indicators.csv [parks.csv] [enterprises.csv]. Omit it (or pass "
                       "--example) to use the SYNTHETIC example parks."),
    ] = None,
    framework: Annotated[str, typer.Option(
        "--framework", "-f", help="eip | hj274 | miit | park26 | all, or a park framework "
        "YAML file.")] = "all",
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
        help="Partly-met band, as a share of the threshold.")] = 0.10,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Also write the HTML report to this file.")] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Also write the Excel workbook to this file.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
    sep: Annotated[str | None, typer.Option(
        help="CSV separator of the park files (default ','; e.g. ';').")] = None,
    decimal: Annotated[str, typer.Option(help="Decimal mark of numbers ('.' or ',').")] = ".",
    thousands: Annotated[str | None, typer.Option(
        help="Thousands separator of numbers (e.g. '.' with --decimal ',').")] = None,
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
) -> None:
    """Assess parks against EIP, HJ 274-2015, MIIT and the park26 scorecard; write CSVs."""
    try:
        _check_lang(lang)
        kept: dict = {}
        reader = {"sep": _unescape(sep), "decimal": decimal, "thousands": thousands,
                  "na_values": na_values or None, "encoding": encoding,
                  "sheet": int(sheet) if sheet is not None and sheet.isdigit() else sheet,
                  "strip_codes": strip_codes}
        files, text = _run_assess(park_data, framework, out, example, parks_file,
                                  enterprises, year, tolerance, kept, reader)
        extra = []
        if report_path is not None:
            from .report import park_report

            extra.append(park_report(kept["data"], kept["assessments"],
                                     park26_build=kept.get("park26"), lang=lang,
                                     year=year).write(report_path))
        if excel is not None:
            from .report import write_excel

            extra.append(write_excel(excel, kept.get("park26"), progress=False,
                                     assessments=kept["assessments"],
                                     park_data=kept["data"]))
    except GiproError as exc:
        _fail(exc)
        return
    console.print(text, highlight=False, markup=False)
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]", highlight=False)
    _print_written(extra)


def _unescape(sep: str | None) -> str | None:
    """A separator typed on a command line: ``\\t`` (backslash t) or ``tab`` is a tab."""
    if sep is None:
        return None
    return "\t" if sep in ("\\t", "tab", "TAB") else sep


def _run_assess(park_data, framework, out, example, parks_file, enterprises, year,
                tolerance, kept=None, reader=None):
    kept = {} if kept is None else kept
    if park_data is None or example:
        if park_data is not None:
            raise InputError("give PARK_DATA or --example, not both")
        data = _parks.example()
    else:
        data = _parks.read_park_data(park_data, parks=parks_file, enterprises=enterprises,
                                     **(reader or {}))
    chosen = (["eip", "hj274", "miit", "park26"] if framework == "all" else [framework])
    if year is not None and year not in data.years:
        raise InputError(f"year {year} is not in the park data",
                         [f"years: {', '.join(map(str, data.years))}"])
    if framework not in _PARK_CHOICES and Path(framework).suffix not in (".yaml", ".yml"):
        raise InputError(f"unknown framework {framework!r}",
                         [f"choose one of {', '.join(_PARK_CHOICES)} or a YAML file"])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    kept["data"] = data
    kept["assessments"] = []
    status = "SYNTHETIC" if data.synthetic else "user data"
    head = ("SYNTHETIC example data -- illustrative parks, not real measurements"
            if data.synthetic else f"park data: {data.origin or 'user data'}")
    lines = [head, repr(data)]

    def save(df, name):
        p = out / f"{name}.csv"
        df.to_csv(p, index=False)
        files[name] = p

    save(data.wide(), "park_indicators")
    if data.coverage is not None:
        cov = data.coverage.copy()
        cov.insert(0, "data_status", status)
        save(cov, "rollup_coverage")
    for fw in chosen:
        if fw == "park26":
            build = _parks.park26(data)
            kept["park26"] = build
            card = _parks.scorecard(build, data)
            save(card, "park26_scorecard")
            res = build.results()
            res.insert(0, "data_status", res["unit"].map(data.parks["data_status"]))
            save(res, "park26_results")
            exc = build.exclusions()
            exc.insert(0, "data_status", status)
            save(exc, "park26_exclusions")
            end = int(card["year"].max()) if year is None else year
            cur = card[card["year"] == end]
            lines.append(f"\nPark-26 scorecard ({status}), {end}: index and dimension scores "
                         "(0-100, bounds pooled over all parks and years)")
            dims = build.framework.children(build.framework.root)
            lines.append("  rank park      PARK26 " + " ".join(f"{d:>6}" for d in dims))
            for r in cur.itertuples():
                rk = r.PARK26_rank if r.PARK26_rank is not pd.NA else "-"
                lines.append(f"  {rk!s:>4} {r.park:<9} {r.PARK26:6.1f} " +
                             " ".join(f"{getattr(r, d):6.1f}" for d in dims))
            continue
        a = _parks.assess(fw, data, tolerance=tolerance)
        kept["assessments"].append(a)
        files.update(a.to_csv(out))
        lines.append("")
        lines.append(a.summary(year))
        if a.framework.verdict.indicator_role == "leading_value":
            gi = _parks.green_index(data, a.framework)
            save(gi.scores, f"{a.framework.code}_green_index")
            save(gi.ratios, f"{a.framework.code}_green_index_ratios")
            save(gi.window, f"{a.framework.code}_green_index_window")
            lines.append("  green index GI (UNVERIFIED formula hypothesis; no pass mark "
                         "known), last three consecutive years:")
            for w in gi.window.itertuples():
                lines.append(f"    {w.park}: " + (
                    f"{w.window}: {w.gi_year1:.1f}, {w.gi_year2:.1f}, {w.gi_year3:.1f} "
                    f"({w.trend})" if w.three_consecutive_years else
                    "no three consecutive years with a GI"))
    summary, missing = _parks.coverage_report(data, chosen)
    cw = _parks.crosswalk(data, chosen)
    cw.insert(0, "data_status", status)
    save(cw, "crosswalk")
    save(summary, "coverage")
    missing.insert(0, "data_status", status)
    save(missing, "coverage_missing")
    lines.append("\nData coverage per framework (items whose indicator has any value):")
    for r in summary.itertuples():
        miss = f"; missing: {r.missing_indicators}" if r.missing_indicators else ""
        lines.append(f"  {r.framework}: {r.items_in_data} of {r.items} items{miss}")
    notes = "\n".join([head, *data.notes])
    (out / "README.txt").write_text(
        notes + "\nThresholds marked UNVERIFIED (column flag) were not read in a primary "
        "source; see docs/parks.md.\n", encoding="utf-8")
    files["README"] = out / "README.txt"
    return files, "\n".join(lines)


@app.command()
def coherence(
    recipe: Annotated[
        str | None,
        typer.Argument(help="Recipe YAML file or built-in recipe name (default: "
                       "china-provinces-gipro)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-coherence"),
    period: Annotated[int | None, typer.Option(help="Period (default: last).")] = None,
    method: Annotated[str, typer.Option(help="pearson or spearman.")] = "pearson",
) -> None:
    """Statistical coherence audit: correlations with flags and p-values, Cronbach's alpha and
    PCA per group, each indicator's main effect on the index next to its weight."""
    from . import coherence as _coh

    try:
        build = Build(recipe).run()
        tables = _coh.audit(build, period, method=method)
    except GiproError as exc:
        _fail(exc)
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(GiproError(f"cannot write to {out}: {exc}"))
        return
    for name, t in tables.items():
        t.to_csv(out / f"{name}.csv", index=False)
    flags = tables["flags"]
    table = Table(title=f"Flagged correlations ({method}): {len(flags)} of "
                        f"{len(tables['correlations'])}")
    for col in ("code", "other", "relation", "r", "p", "flag"):
        table.add_column(col, justify="right" if col in ("r", "p") else "left")
    for r in flags.head(25).itertuples():
        table.add_row(str(r.code), str(r.other), r.relation, f"{r.r:.3f}", f"{r.p_value:.3g}",
                      r.flag)
    if len(flags):
        console.print(table)
    else:
        console.print(f"No flagged correlations ({method}).", highlight=False)
    if len(flags) > 25:
        console.print(f"... and {len(flags) - 25} more in flags.csv", highlight=False)
    imp = tables["importance"].sort_values("ratio")
    below = imp[imp["ratio"] < 1].head(5)
    if len(below):
        console.print("Indicators whose main effect on the index is furthest below their "
                      "weight (relative main effect / relative weight): "
                      + ", ".join(f"{r.code} {r.ratio:.2f}" for r in below.itertuples()),
                      highlight=False)
    console.print(f"Wrote {', '.join(f'{n}.csv' for n in tables)} to [bold]{out}[/]",
                  highlight=False)


@app.command()
def sensitivity(
    config: Annotated[Path, typer.Argument(help="Sensitivity configuration YAML (recipe, "
                                           "target, design, inputs).")],
    runs: Annotated[int | None, typer.Option(help="Monte Carlo runs or Sobol base rows N "
                                             "(overrides the configuration).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (overrides the "
                                             "configuration).")] = None,
    workers: Annotated[int | None, typer.Option(help="Run on a local Dask cluster of N "
                                                "workers.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing Dask "
                                                  "scheduler.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-sensitivity"),
    top: Annotated[int, typer.Option(min=1, help="Units to print.")] = 10,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Also write the HTML report (the build, with the rank intervals and "
        "Sobol indices) to this file.")] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Also write the Excel workbook to this file.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
) -> None:
    """Uncertainty and Sobol sensitivity analysis of the ranks (see docs/robustness.md)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .sensitivity import load_config, run_config

    if workers is not None and scheduler is not None:
        _fail(GiproError("give --workers or --scheduler, not both"))
        return
    try:
        _check_lang(lang)
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
        files = res.write(out)
        extra = _sensitivity_reports(build, res, report_path, excel, lang)
    except GiproError as exc:
        _fail(exc)
        return
    for note in res.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    st = res.rank_stats.sort_values("nominal_rank").head(top)
    table = Table(title=f"{res.target} ranks, {res.period}: {res.design.n_runs} runs in "
                        f"{res.seconds:.2f} s")
    for col in ("unit", "nominal", "median", "5-95%", "mean |shift|"):
        table.add_column(col, justify="left" if col == "unit" else "right")
    for r in st.itertuples():
        table.add_row(str(r.unit), f"{r.nominal_rank:.0f}", f"{r.median_rank:g}",
                      f"{r.q05:g}-{r.q95:g}", f"{r.mean_abs_shift:.2f}")
    console.print(table)
    if res.sobol is not None:
        t2 = Table(title="Sobol indices of the mean absolute rank shift")
        for col in ("input", "first", "95% interval", "total", "95% interval "):
            t2.add_column(col, justify="left" if col == "input" else "right")
        for r in res.sobol.itertuples():
            t2.add_row(r.input, f"{r.first:.3f}", f"{r.first_low:.3f} to {r.first_high:.3f}",
                       f"{r.total:.3f}", f"{r.total_low:.3f} to {r.total_high:.3f}")
        console.print(t2)
    console.print(f"Wrote {', '.join(p.name for p in files.values())} to [bold]{out}[/]",
                  highlight=False)
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

        written.append(report_for_build(build, lang=lang, period=period,
                                        robustness=rob).write(report_path))
    if excel is not None:
        from .report import write_excel

        written.append(write_excel(excel, build, robustness=rob, extra={
            "sensitivity_runs": (res.runs, "every run of the analysis: its sampled settings, "
                                 "status, error and mean absolute rank shift"),
            "sensitivity_failures": (res.failures, "failed runs and why"),
            "sensitivity_notes": (pd.DataFrame({"note": res.notes}),
                                  "design, seed, inputs and policies of the analysis")}))
    return written


def _robustness_frames(rank_intervals: Path | None, sobol: Path | None):
    """Robustness tables read from CSV files (e.g. written by an uncertainty analysis)."""
    if rank_intervals is None and sobol is None:
        return None
    from .report import Robustness

    def read(p: Path | None):
        if p is None:
            return None
        try:
            return pd.read_csv(p)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {p}: {exc}") from None

    return Robustness(rank_intervals=read(rank_intervals), sobol=read(sobol))


@app.command("report")
def report_cmd(
    recipe: Annotated[
        str | None,
        typer.Argument(help="Recipe YAML file or built-in recipe name (default: "
                       "china-provinces-gipro)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"),
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
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
        "(uncertainty analysis).")] = None,
    sobol: Annotated[Path | None, typer.Option(
        "--sobol", help="CSV with input, S1, ST [, S1_conf, ST_conf] (sensitivity "
        "analysis).")] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Also write the Excel workbook to this file.")] = None,
) -> None:
    """Write one self-contained HTML report of a recipe's build (opens offline)."""
    from .report import report_for_build, write_excel

    try:
        _check_lang(lang)
        rob = _robustness_frames(rank_intervals, sobol)
        build = Build(recipe).run()
        prog = False
        if not no_progress and len(build.final.periods) > 1:
            prog = report(build, base, end)
        written = [report_for_build(build, lang=lang, title=title, period=period,
                                    progress=prog, robustness=rob).write(out)]
        if excel is not None:
            written.append(write_excel(excel, build, progress=prog, robustness=rob))
    except GiproError as exc:
        _fail(exc)
        return
    _print_written(written)


@app.command("export")
def export_cmd(
    recipe: Annotated[
        str | None,
        typer.Argument(help="Recipe YAML file or built-in recipe name (default: "
                       "china-provinces-gipro)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Excel file to write.")] = Path(
        "gipro-results.xlsx"),
    base: Annotated[int | None, typer.Option(help="Progress base period.")] = None,
    end: Annotated[int | None, typer.Option(help="Progress end period.")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Leave out the "
                                              "progress tables.")] = False,
) -> None:
    """Write a build's data sets, results, progress, log and sources to one Excel workbook."""
    from .report import write_excel

    try:
        build = Build(recipe).run()
        path = write_excel(out, build, progress=not no_progress, base=base, end=end)
    except GiproError as exc:
        _fail(exc)
        return
    _print_written([path])


@app.command("chart")
def chart_cmd(
    name: Annotated[str, typer.Argument(help="Chart: framework, coverage, ranking, heatmap, "
                                        "profile, rank-history, slope, improvers, waterfall, "
                                        "correlations.")],
    recipe: Annotated[
        str | None,
        typer.Argument(help="Recipe YAML file or built-in recipe name (default: "
                       "china-provinces-gipro)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Image file (.png, .svg, .pdf).")
                   ] = Path("chart.png"),
    unit: Annotated[str | None, typer.Option(help="Unit of a per-unit chart (default: the "
                                             "best ranked).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Label language: en or zh.")] = "en",
    width: Annotated[int | None, typer.Option(help="Width in pixels.")] = None,
    height: Annotated[int | None, typer.Option(help="Height in pixels.")] = None,
    scale: Annotated[float, typer.Option(help="Resolution factor (2 for print).")] = 1.0,
) -> None:
    """Save one chart of a build's report as a static image (needs kaleido and Chromium)."""
    from .report import build_chart, save_image

    try:
        _check_lang(lang)
        build = Build(recipe).run()
        fig = build_chart(build, name, lang=lang, unit=unit)
        path = save_image(fig, out, width=width, height=height, scale=scale)
    except GiproError as exc:
        _fail(exc)
        return
    console.print(f"Wrote [bold]{path}[/]", highlight=False)


@app.command("scenario")
def scenario_cmd(
    config: Annotated[
        str,
        typer.Argument(help="Recipe YAML file or built-in recipe name (e.g. "
                       "china-provinces-gipro); or park data: a folder, a CSV/Excel file, or "
                       "parks-example (the SYNTHETIC example parks)."),
    ],
    scenarios: Annotated[Path, typer.Argument(help="Scenarios YAML file (scenarios:, "
                                              "evaluation:, targets:, questions:).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "gipro-scenarios"),
    top: Annotated[int, typer.Option(min=1, help="How many units to show in the printed "
                                     "table.")] = 15,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Also write the HTML report (baseline results, scenarios, targets, "
        "questions) to this file.")] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Also write the Excel workbook to this file.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
) -> None:
    """What-if scenarios, target attainment and the change needed to reach a goal: comparison
    tables as CSV and a printed summary."""
    from .scenario import load_scenarios
    from .scenario.evaluate import Evaluation
    from .scenario.runner import run_file

    try:
        _check_lang(lang)
        spec = load_scenarios(scenarios)
        files, text, ev = run_file(config, spec, out)
        extra = _scenario_reports(config, ev, files, report_path, excel, lang)
    except GiproError as exc:
        _fail(exc)
        return
    if isinstance(ev, Evaluation):
        _print_scenarios(ev, top)
    console.print(text, highlight=False, markup=False)
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]: "
                  + ", ".join(sorted({p.name for p in files.values()})), highlight=False)
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
    from .report import Methodology, Report, Scenarios, report_for_build, write_excel
    from .report.i18n import translate
    from .scenario.evaluate import Evaluation
    from .scenario.parks import ParkEvaluation

    def read(name: str) -> pd.DataFrame | None:
        return pd.read_csv(files[name]) if name in files else None

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
            from .report.builder import _park_notice

            source = _park_notice(_ds.notice()) if ev.data.synthetic else ""
            meth = Methodology(steps=[e.to_dict() for e in build.log] if build else [],
                               input_notes=[repr(ev.data)], notes=list(ev.notes),
                               sources=[(ev.data.origin or "park data", source)])
            written.append(Report(f"{translate('scenarios', lang)}: "
                                  f"{ev.data.origin or 'parks'}", lang, [base, meth],
                                  synthetic=ev.data.synthetic).write(report_path))
        if excel is not None:
            written.append(write_excel(excel, build, progress=False, scenarios=base,
                                       park_data=ev.data))
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
        written.append(rep.write(report_path))
    if excel is not None:
        more = {f"scenario_{k}": (read(k), f"{k}.csv of gipro scenario")
                for k in ("index", "scores", "contributions", "changes", "beyond_scale",
                          "overview") if k in files}
        written.append(write_excel(excel, build, progress=False, scenarios=sc, extra=more))
    return written


def _print_scenarios(ev, top: int) -> None:
    fw = ev.baseline.framework
    root = fw.root
    idx = ev.tables["index"]
    cur = idx[idx["period"] == ev.period]
    names = list(ev.runs)
    moved = cur[[f"{n}_score_change" for n in names]].abs().max(axis=1)
    shown = cur if len(cur) <= top else cur.loc[
        moved.sort_values(ascending=False, kind="stable").index[:top]].sort_values(
            "baseline_rank", na_position="last")
    title = (f"{root} {ev.period}: baseline score and rank; each scenario's change and rank "
             f"(bounds {ev.options.bounds})"
             + ("" if len(cur) <= top else f"; the {top} units moving most"))
    table = Table(title=title)
    table.add_column("unit")
    table.add_column("baseline", justify="right")
    for n in names:
        table.add_column(n, justify="right")
    for d in shown.to_dict("records"):
        rank = "-" if pd.isna(d["baseline_rank"]) else str(d["baseline_rank"])
        base = "-" if pd.isna(d["baseline_score"]) else f"{d['baseline_score']:.2f}"
        row = [str(d["unit"]), f"{base} #{rank}"]
        for n in names:
            s, c, k = d[f"{n}_score"], d[f"{n}_score_change"], d[f"{n}_rank"]
            row.append("-" if pd.isna(s) else f"{c:+.2f} #{'-' if pd.isna(k) else k}")
        table.add_row(*row)
    console.print(table)


@app.command("frameworks")
def list_frameworks() -> None:
    """List the built-in frameworks."""
    for name in builtin_frameworks():
        fw = load_framework(name)
        console.print(f"{name}: {fw.name.en or ''} ({len(fw.indicator_codes)} indicators)",
                      highlight=False)
    for name in _parks.builtin_park_frameworks():
        pf = _parks.load_park_framework(name)
        console.print(f"{name}: {pf.name.get('en')} ({len(pf.requirements)} requirements; "
                      "park framework for gipro assess)", highlight=False)


@app.command("datasets")
def list_datasets() -> None:
    """List the built-in data sets."""
    for name in _datasets.available():
        console.print(f"{name}: {_datasets.load(name)!r}", highlight=False)


@app.command("recipes")
def list_recipes() -> None:
    """List the built-in recipes."""
    for name in builtin_recipes():
        console.print(name, highlight=False)


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
    debug = "--debug" in args[: args.index("--") if "--" in args else len(args)]
    try:
        app(args=args, prog_name="gipro")
    except SystemExit:
        raise
    except GiproError as exc:  # errors raised outside a command's own handling
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        for d in exc.details:
            err_console.print(f"  - {d}", highlight=False)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", highlight=False)
        err_console.print("  - this is a bug in gipro, not in your input; run the same command "
                          "with --debug for the traceback and report it", highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
