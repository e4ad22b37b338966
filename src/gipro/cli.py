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
from .build import Build
from .errors import GiproError
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


@app.command("frameworks")
def list_frameworks() -> None:
    """List the built-in frameworks."""
    for name in builtin_frameworks():
        fw = load_framework(name)
        console.print(f"{name}: {fw.name.en or ''} ({len(fw.indicator_codes)} indicators)",
                      highlight=False)


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
    3 internal error (a bug: the message says how to get the traceback), 130 interrupted.
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
    except KeyboardInterrupt:
        err_console.print("interrupted", highlight=False)
        sys.exit(130)
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
