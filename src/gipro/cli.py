"""The ``gipro`` command line.

Exit codes: 0 success, 1 input error (one clear line plus details; ``--debug`` for a traceback),
2 usage error.
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
err_console = Console(stderr=True)

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
) -> None:
    """Build a composite index from a recipe and write results.csv, stages/, recipe.yaml."""
    try:
        build = Build(recipe).run()
        files = build.write(out)
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
        row += [f"{wide.loc[r.unit, d]:.1f}" for d in dims]
        if multi:
            c = chg.loc[r.unit]
            row.append("-" if pd.isna(c) else f"{c:+.2f}")
        table.add_row(*row)
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
    top: Annotated[int, typer.Option(help="How many units to show at each end of the "
                                     "table.")] = 5,
) -> None:
    """Progress between two periods: index, sub-index and indicator changes, improver counts
    and leading factors of change, written as CSV tables, with a printed summary."""
    try:
        build = Build(recipe).run()
        rep = report(build, base, end)
        files = rep.write(out)
    except GiproError as exc:
        _fail(exc)
        return
    _print_progress(build, rep, top)
    console.print(rep.summary, highlight=False)
    for note in rep.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]: "
                  + ", ".join(p.name for p in files.values()), highlight=False)


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
        table.add_row(str(r.unit), f"{r.score_base:.1f}", f"{r.score_end:.1f}",
                      f"{r.change:+.1f}", rank, factors)
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
) -> None:
    """Assess parks against EIP, HJ 274-2015, MIIT and the park26 scorecard; write CSVs."""
    try:
        files, text = _run_assess(park_data, framework, out, example, parks_file,
                                  enterprises, year, tolerance)
    except GiproError as exc:
        _fail(exc)
        return
    console.print(text, highlight=False, markup=False)
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]", highlight=False)


def _run_assess(park_data, framework, out, example, parks_file, enterprises, year,
                tolerance):
    if park_data is None or example:
        if park_data is not None:
            raise InputError("give PARK_DATA or --example, not both")
        data = _parks.example()
    else:
        data = _parks.read_park_data(park_data, parks=parks_file, enterprises=enterprises)
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
) -> None:
    """What-if scenarios, target attainment and the change needed to reach a goal: comparison
    tables as CSV and a printed summary."""
    from .scenario import load_scenarios
    from .scenario.evaluate import Evaluation
    from .scenario.runner import run_file

    try:
        spec = load_scenarios(scenarios)
        files, text, ev = run_file(config, spec, out)
    except GiproError as exc:
        _fail(exc)
        return
    if isinstance(ev, Evaluation):
        _print_scenarios(ev, top)
    console.print(text, highlight=False, markup=False)
    console.print(f"\nWrote {len(files)} files to [bold]{out}[/]: "
                  + ", ".join(sorted({p.name for p in files.values()})), highlight=False)


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


def main() -> None:
    """Entry point of the ``gipro`` console script."""
    try:
        app()
    except GiproError as exc:  # pragma: no cover - safety net for errors outside commands
        err_console.print(f"error: {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
