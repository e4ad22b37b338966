"""Running a park assessment end to end (``gipro assess``): read the data, assess each framework,
write every table as CSV and a printable summary.

:func:`load_input` reads the park data (the SYNTHETIC example, a file or folder of CSV/Excel
tables, or a filled data-entry workbook made by ``gipro template``); :func:`run_assess`
assesses them against each chosen framework and writes the outputs listed in
``docs/parks.md`` ("gipro assess outputs"). The CLI only parses options and prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import GiproError, InputError
from ..links import docs_url
from ..paths import output_name
from ..tables import output_folder, write_table, write_text
from .data import ParkData

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build
    from .engine import Assessment
    from .gi import GreenIndex
    from .model import RequirementFramework

__all__ = ["PARK_FRAMEWORKS", "AssessRun", "default_framework", "load_input", "run_assess"]

#: What ``--framework`` of ``gipro assess`` names besides a framework file.
PARK_FRAMEWORKS = ("eip", "hj274", "miit", "park26", "all")


@dataclass
class AssessRun:
    """What :func:`run_assess` produced.

    Attributes
    ----------
    data : ParkData
    assessments : list of Assessment
        One per requirement framework assessed.
    park26 : Build or None
        The park26 composite build, when it was run.
    green_index : dict of str to GreenIndex
        Per framework with leading values (MIIT).
    tables : dict of str to pandas.DataFrame
        Every table written as CSV, by file name without ``.csv`` (the sheets of ``--excel``).
    files : dict of str to Path
        Every file written.
    text : str
        The printable summary.
    skipped : list of str
        Frameworks skipped (with ``all``) and why.
    """

    data: ParkData
    assessments: list[Assessment] = field(default_factory=list)
    park26: Build | None = None
    green_index: dict[str, GreenIndex] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    text: str = ""
    skipped: list[str] = field(default_factory=list)


def load_input(park_data: str | Path | None, *, example: bool = False,
               parks: str | Path | None = None, enterprises: str | Path | None = None,
               **reader: Any) -> ParkData:
    """The park data of ``gipro assess``: the SYNTHETIC example, a data-entry workbook made by
    ``gipro template`` (recognised by its layout sheet) or park tables
    (:func:`gipro.parks.read_park_data` with ``reader`` options).

    Raises
    ------
    InputError
        Both a file and ``example``; every problem of the readers.
    """
    from . import example as _example
    from .io import read_park_data
    from .workbook import is_template, read_template

    if park_data is None or example:
        if park_data is not None:
            raise InputError("give PARK_DATA or --example, not both")
        return _example()
    path = Path(park_data)
    if is_template(path):
        given = [opt for key, opt in _READER_OPTIONS.items()
                 if reader.get(key, _READER_DEFAULTS.get(key)) != _READER_DEFAULTS.get(key)]
        given += [opt for opt, v in (("--parks", parks), ("--enterprises", enterprises))
                  if v is not None]
        if given:
            raise InputError(f"{path.name} is a gipro data-entry workbook: "
                             f"{', '.join(given)} do(es) not apply to it",
                             ["its parks and enterprise records are on its own sheets and "
                              "its cells are read as typed; leave the option(s) out"])
        return read_template(path)
    return read_park_data(path, parks=parks, enterprises=enterprises, **reader)


#: Reader options of :func:`gipro.parks.read_park_data` (CLI names) that a data-entry
#: workbook does not take, with their defaults.
_READER_OPTIONS = {"sep": "--sep", "decimal": "--decimal", "thousands": "--thousands",
                   "na_values": "--na-value", "encoding": "--encoding", "sheet": "--sheet",
                   "strip_codes": "--strip-codes", "crosswalk": "--crosswalk",
                   "unknown": "--ignore-unknown"}
_READER_DEFAULTS = {"sep": None, "decimal": ".", "thousands": None, "na_values": None,
                    "encoding": "utf-8-sig", "sheet": None, "strip_codes": False,
                    "crosswalk": None, "unknown": "error"}


def default_framework(park_data: str | Path | None) -> str:
    """What ``gipro assess`` assesses when ``--framework`` is not given: the framework a
    data-entry workbook was made for (``gipro template --framework``), else ``all``.

    Raises
    ------
    InputError
        A workbook made from a framework file that no longer exists.
    """
    from .model import builtin_park_frameworks
    from .workbook import is_template, template_framework

    if park_data is None or not is_template(park_data):
        return "all"
    fw = template_framework(park_data)
    if fw in PARK_FRAMEWORKS or fw in builtin_park_frameworks() or Path(fw).exists():
        return fw
    raise InputError(f"{Path(park_data).name} was made for the framework file {fw}, which "
                     "does not exist here", ["give the framework: gipro assess FILE "
                                             "--framework FRAMEWORK_FILE"])


def _park26_missing(data: ParkData) -> list[str]:
    """Indicators of the park26 framework that the park data do not hold."""
    from ..framework import load_framework

    have = set(data.indicators)
    return [c for c in load_framework("park26").indicator_codes if c not in have]


def run_assess(
    data: ParkData,
    framework: str | Path | RequirementFramework = "all",
    out: str | Path = "gipro-assess",
    *,
    year: int | None = None,
    tolerance: float = 0.10,
    fmt: str = "csv",
) -> AssessRun:
    """Assess the parks against each chosen framework and write the tables.

    With ``framework="all"``, every built-in framework is assessed that the data can serve:
    park26 is skipped with a note (in the summary and README.txt) when the data lack any of
    its 26 indicators or its build fails (e.g. an indicator constant over every park and
    year). Named explicitly (``"park26"``), the same problem is an error.

    Parameters
    ----------
    data : ParkData
    framework : str, path or RequirementFramework
        ``eip``, ``hj274``, ``miit``, ``park26``, ``all``, a framework file (YAML, CSV or
        Excel, see :func:`gipro.parks.load_park_framework`) or a loaded framework.
    out : path
        Output folder (created).
    year : int, optional
        Year summarised (default: the latest).
    tolerance : float
        Partly-met band (see :func:`gipro.parks.assess`).
    fmt : {"csv", "parquet"}
        Format of the tables (written as every output folder,
        :func:`gipro.tables.output_folder`).

    Returns
    -------
    AssessRun

    Raises
    ------
    InputError
        A year not in the data, an output folder that cannot be written, every error of
        the assessment.
    """
    from .model import load_park_framework

    run = AssessRun(data)
    every = isinstance(framework, str) and framework == "all"
    if every:
        chosen: list[Any] = ["eip", "hj274", "miit", "park26"]
    elif isinstance(framework, str) and framework in PARK_FRAMEWORKS:
        chosen = [framework]
    else:  # a file or a loaded framework: loaded once, errors before anything is written
        chosen = [load_park_framework(framework)]
    if year is not None and year not in data.years:
        raise InputError(f"year {year} is not in the park data",
                         [f"years: {', '.join(map(str, data.years))}"])
    if every:
        lacking = _park26_missing(data)
        if lacking:
            shown = ", ".join(lacking[:8]) + (f" and {len(lacking) - 8} more"
                                              if len(lacking) > 8 else "")
            run.skipped.append(f"park26 scorecard skipped: the data lack {len(lacking)} of "
                               f"its 26 indicators ({shown}); coverage_missing.csv says how "
                               "to obtain each")
            chosen.remove("park26")
    for fw in chosen:  # framework codes become file names (<code>_requirements.csv)
        output_name(fw if isinstance(fw, str) else fw.code, "park framework code")
    out = Path(out)
    with output_folder(out, kind="assess"):
        return _write_assess(run, data, chosen, every, out, year, tolerance, fmt)


def _write_assess(run: AssessRun, data: ParkData, chosen: list[Any], every: bool, out: Path,
                  year: int | None, tolerance: float, fmt: str) -> AssessRun:
    """The assessments of :func:`run_assess`, their tables written into ``out``."""
    from .crosswalk import coverage_report, crosswalk
    from .engine import assess
    from .gi import green_index
    from .scorecard import park26, scorecard

    status = "SYNTHETIC" if data.synthetic else "user data"
    head = ("SYNTHETIC example data -- illustrative parks, not real measurements"
            if data.synthetic else f"park data: {data.origin or 'user data'}")
    lines = [head, repr(data), *(f"note: {n}" for n in data.notes if n.startswith("left out"))]
    warnings: list[str] = []

    def save(df: pd.DataFrame, name: str) -> None:
        run.files[name] = write_table(df, out / name, fmt)
        run.tables[name] = df

    save(data.wide(), "park_indicators")
    if data.coverage is not None:
        cov = data.coverage.copy()
        cov.insert(0, "data_status", status)
        save(cov, "rollup_coverage")
    for fw in chosen:
        if fw == "park26":
            try:
                build = park26(data)
            except GiproError as exc:
                if not every:
                    raise
                run.skipped.append(f"park26 scorecard skipped: {exc.message}")
                continue
            run.park26 = build
            card = scorecard(build, data)
            save(card, "park26_scorecard")
            res = build.results()
            res.insert(0, "data_status", res["unit"].map(data.parks["data_status"]))
            save(res, "park26_results")
            exc_t = build.exclusions()
            exc_t.insert(0, "data_status", status)
            save(exc_t, "park26_exclusions")
            lines.extend(_park26_lines(build, card, status, year))
            continue
        a = assess(fw, data, tolerance=tolerance)
        run.assessments.append(a)
        warnings.extend(f"{a.framework.code}: {w}" for w in a.warnings)
        run.files.update(a.to_csv(out, fmt=fmt))
        run.tables.update((f"{a.framework.code}_{k}", t) for k, t in a.tables().items())
        lines.append("")
        lines.append(a.summary(year))
        if a.framework.verdict.indicator_role == "leading_value":
            gi = green_index(data, a.framework)
            run.green_index[a.framework.code] = gi
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
    covered = chosen + (["park26"] if every and "park26" not in chosen else [])
    summary, missing = coverage_report(data, covered)
    cw = crosswalk(data, covered)
    cw.insert(0, "data_status", status)
    save(cw, "crosswalk")
    save(summary, "coverage")
    missing.insert(0, "data_status", status)
    save(missing, "coverage_missing")
    lines.append("\nData coverage per framework (items whose indicator has any value):")
    for r in summary.itertuples():
        miss = f"; missing: {r.missing_indicators}" if r.missing_indicators else ""
        lines.append(f"  {r.framework}: {r.items_in_data} of {r.items} items{miss}")
    if run.skipped:
        lines.append("")
        lines.extend(f"note: {n}" for n in run.skipped)
    framework_notes = [n for a in run.assessments for n in a.framework.notes]
    notes = "\n".join([head, *data.notes, *(f"WARNING {w}" for w in warnings),
                       *(f"note: {n}" for n in [*framework_notes, *run.skipped])])
    run.files["README"] = write_text(
        out / "README.txt",
        notes + "\nThresholds marked UNVERIFIED (column flag) were not read in a primary "
        f"source; see {docs_url('parks')}. 'verified by user: <source>' marks a threshold or rule "
        "you verified, with the source you gave.\n")
    run.text = "\n".join(lines)
    return run


def _park26_lines(build: Build, card: pd.DataFrame, status: str,
                  year: int | None) -> list[str]:
    """The park26 block of the printed summary: index and dimension scores of one year."""
    end = int(card["year"].max()) if year is None else year
    cur = card[card["year"] == end]
    lines = [f"\nPark-26 scorecard ({status}), {end}: index and dimension scores "
             "(0-100, bounds pooled over all parks and years)"]
    dims = build.framework.children(build.framework.root)
    lines.append("  rank park      PARK26 " + " ".join(f"{d:>6}" for d in dims))
    for r in cur.itertuples():
        rk = "-" if pd.isna(r.PARK26_rank) else r.PARK26_rank
        lines.append(f"  {rk!s:>4} {r.park:<9} {r.PARK26:6.1f} " +
                     " ".join(f"{getattr(r, d):6.1f}" for d in dims))
    return lines
