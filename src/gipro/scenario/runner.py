"""Running a scenarios file against a recipe or park data (``gipro scenario``).

:func:`run_file` evaluates the scenarios, computes target attainment and answers the inverse
questions of a :class:`~gipro.scenario.spec.ScenarioFile`, writes every table as CSV and
returns a printable summary. Outputs (composite build):

========================  ====================================================================
``overview.csv``          one row per scenario: values changed and recomputed, warnings,
                          mean/min/max index change,
                          units up/down, values beyond the bounds, spillover
``index.csv``             the index side by side: baseline and each scenario's score, change,
                          rank and rank change, per unit and period
``scores.csv``            every unit, period and code (indicators, sub-indices, index)
``contributions.csv``     each indicator's contribution to each unit's index change
``changes.csv``           every changed value (old, new) and selected values left alone, why
``beyond_scale.csv``      values beyond the baseline's frozen bounds
``attainment.csv``        per target, unit and period: value, target path, gap, on track
``attainment_summary.csv`` per target and unit: met by the target period, gap, rate needed
``questions.csv``         inverse questions: the change needed, or why it is unreachable
                          (``beyond_scale``: past the baseline's best value or scale)
``summary.txt``           the printed summary; ``scenarios.yaml``: the scenarios as run
========================  ====================================================================

Park data: ``overview.csv`` (per scenario and framework: values changed and recomputed,
warnings, outcomes and verdicts changed; a ``park26`` row), ``requirement_changes.csv``,
``verdict_changes.csv``, ``share_changes.csv``, ``changes.csv`` (recomputed derived
indicators included, ``op`` ``recomputed``), ``park26_*.csv``, ``summary.txt`` and
``scenarios.yaml`` (the scenarios and options as run).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..build import Build
from ..errors import InputError
from ..tables import output_folder, write_table, write_text
from .evaluate import Evaluation, evaluate
from .inverse import required_change
from .parks import ParkEvaluation, evaluate_parks
from .spec import ScenarioFile
from .targets import attainment

__all__ = ["PARK_EXAMPLE_NAMES", "check_config", "is_park_config", "run_file"]


#: Names of the SYNTHETIC example parks as CONFIG (``gipro datasets`` lists ``parks_example``).
PARK_EXAMPLE_NAMES = ("parks-example", "parks_example")


def is_park_config(config: str | None) -> bool:
    """Whether CONFIG names park data (``parks-example`` or ``parks_example``, a folder, a
    CSV/Excel/Parquet file)."""
    if config is None:
        return False
    if config in PARK_EXAMPLE_NAMES:
        return True
    p = Path(config)
    return p.is_dir() or p.suffix.lower() in (".csv", ".xlsx", ".xls", ".parquet")


def check_config(config: str | None) -> None:
    """Refuse a CONFIG that is neither a built-in recipe, the example parks nor an
    existing file or folder, listing what is accepted.

    Raises
    ------
    InputError
        Naming the accepted names (and the closest one when there is one).

    Examples
    --------
    >>> check_config("parks_example"), check_config("china-provinces-gipro")
    (None, None)
    >>> try:
    ...     check_config("parks-exmple")
    ... except InputError as exc:
    ...     print(exc.message.split(" (")[1])
    did you mean parks-example?)
    """
    import difflib

    from ..recipe import builtin_recipes

    if config is None or config in PARK_EXAMPLE_NAMES or config in builtin_recipes():
        return
    if Path(config).exists():
        return
    names = [*builtin_recipes(), *PARK_EXAMPLE_NAMES]
    near = difflib.get_close_matches(config, names, n=1, cutoff=0.6)
    raise InputError(
        f"{config} is neither a built-in recipe, the example parks nor an existing file or "
        "folder"
        + (f" (did you mean {near[0]}?)" if near else ""),
        [f"built-in recipes: {', '.join(builtin_recipes())}",
         "the SYNTHETIC example parks: parks-example (or parks_example)",
         "or a recipe YAML file, a folder of park data, or a park data file (CSV, Excel, "
         "Parquet)"])


def run_file(config: str | None, spec: ScenarioFile, out: str | Path, fmt: str = "csv"
             ) -> tuple[dict[str, Path], str, Evaluation | ParkEvaluation | None]:
    """Evaluate a scenarios file against a recipe (or park data) and write the tables.

    Parameters
    ----------
    config : str or None
        Recipe YAML or built-in recipe name (default: the built-in recipe); or park data:
        ``parks-example`` or ``parks_example`` (the SYNTHETIC example parks, as
        ``gipro datasets`` names them), a folder or a file.
    spec : ScenarioFile
    out : path
        Output folder (written as every output folder, :func:`gipro.tables.output_folder`).
    fmt : {"csv", "parquet"}
        Format of the tables.

    Returns
    -------
    files : dict of str to Path
    text : str
        The printable summary.
    evaluation : Evaluation, ParkEvaluation or None
        None when the file has no scenarios.

    Raises
    ------
    InputError, MethodError
        As the steps they run.
    """
    check_config(config)
    out = Path(out)
    with output_folder(out, kind="scenario"):
        return _run_file(config, spec, out, fmt)


def _run_file(config: str | None, spec: ScenarioFile, out: Path, fmt: str
              ) -> tuple[dict[str, Path], str, Evaluation | ParkEvaluation | None]:
    if is_park_config(config):
        return _run_parks(config, spec, out, fmt)
    build = Build(config).run()
    files: dict[str, Path] = {}
    parts: list[str] = []
    ev = None
    if spec.scenarios:
        ev = evaluate(build, spec.scenarios, options=spec.evaluation)
        files.update(ev.write(out, fmt))
        parts.append(ev.summary())
    if spec.targets:
        parts.append(_targets(build, spec, ev, out, files, fmt))
    if spec.questions:
        parts.append(_questions(build, spec, out, files, fmt))
    text = "\n\n".join(parts)
    files["summary"] = write_text(out / "summary.txt", text + "\n")
    return files, text, ev


def _targets(build: Build, spec: ScenarioFile, ev: Evaluation | None, out: Path,
             files: dict[str, Path], fmt: str = "csv") -> str:
    proj = spec.attainment.projection
    results = [attainment(build, spec.targets, options=spec.attainment,
                          label=f"baseline ({proj})")]
    if ev is not None:
        results.append(attainment(ev.cube, spec.targets, options=spec.attainment,
                                  label="baseline (as evaluated)",
                                  projected="projected (copy of last)"))
        for name, run in ev.runs.items():
            results.append(attainment(run.cube, spec.targets, options=spec.attainment,
                                      label=name))
    table = pd.concat([r.table for r in results], ignore_index=True)
    summ = pd.concat([r.summary for r in results], ignore_index=True)
    files["attainment"] = write_table(table, out / "attainment", fmt)
    files["attainment_summary"] = write_table(summ, out / "attainment_summary", fmt)
    lines = ["Target attainment (units meeting each target by its period):"]
    lines += [f"  - {n}" for n in results[0].notes]
    if ev is not None:
        lines.append("  - 'baseline (as evaluated)' and the scenarios use the evaluated data: "
                     + ("periods after the last observed one are copies of it (no trend)"
                        if ev.options.horizon is not None else
                        "periods after the last observed one are projected flat"))
    for (label, target), g in summ.groupby(["label", "target"], sort=False):
        known = g["met"].notna()
        lines.append(f"  {label}: {target}: {int(g['met'].fillna(False).sum())} of "
                     f"{int(known.sum())} units meet it"
                     + (f" ({int((~known).sum())} without data)" if (~known).any() else ""))
    return "\n".join(lines)


def _questions(build: Build, spec: ScenarioFile, out: Path, files: dict[str, Path],
               fmt: str = "csv") -> str:
    rows = []
    lines = ["Inverse questions (least change to reach a goal, bounds frozen at the "
             "baseline's):"]
    for n, q in enumerate(spec.questions, start=1):
        r = required_change(build, q.unit, score=q.score, rank=q.rank, period=q.period,
                            code=q.code, indicators=q.indicators, together=q.together,
                            clip=spec.evaluation.clip, domains=spec.evaluation.domains)
        r.insert(0, "question", n)
        rows.append(r)
        first = r.iloc[0]
        head = (f"  {n}. {q.unit} to {first['goal']} on {first['code']} in {first['period']} "
                f"(now {first['score_now']:.2f}, rank {first['rank_now']}): ")
        if first["status"] == "already met":
            lines.append(head + "already met")
            continue
        ok = r[r["status"] == "reachable"]
        if ok.empty:
            reasons = r["reason"].drop_duplicates()
            if len(reasons) == 1 and len(r) > 1:  # e.g. a goal beyond the scale
                lines.append(head + "unreachable: " + str(reasons.iloc[0]))
                continue
            lines.append(head + "unreachable by "
                         + ("a proportional change" if q.together else "any single indicator"))
            for x in r.head(3).itertuples():
                lines.append(f"     {x.indicators}: {x.reason}")
            continue
        lines.append(head)
        for x in ok.head(3).itertuples():
            check = "verified" if (pd.notna(x.verified) and bool(x.verified)) else \
                "NOT reached when re-run"
            if bool(x.beyond_scale):
                side = "worst" if "past the worst" in str(x.reason) else "best"
                check += f"; BEYOND THE BASELINE SCALE: past the {side} baseline value"

            if x.kind == "proportional":
                lines.append(f"     {x.indicators}: {x.change_pct:+.2f} % together "
                             f"({x.solver}; {check})")
            else:
                pct = "" if pd.isna(x.change_pct) else f" ({x.change_pct:+.2f} %)"
                unit = "" if pd.isna(x.value_unit) or not x.value_unit else f" {x.value_unit}"
                lines.append(f"     {x.indicators}: {x.value_now:.6g} -> {x.value_needed:.6g}"
                             f"{unit}{pct} ({x.solver}; {check})")
        for x in r[r["status"] == "not verified"].head(3).itertuples():
            lines.append(f"     {x.indicators}: not verified: {x.reason}")
        n_un = int((r["status"] == "unreachable").sum())
        if n_un:
            lines.append(f"     {n_un} indicator(s) cannot reach it alone (see questions.csv)")
    files["questions"] = write_table(pd.concat(rows, ignore_index=True), out / "questions", fmt)
    return "\n".join(lines)


def _run_parks(config: str, spec: ScenarioFile, out: Path, fmt: str = "csv"):
    from .. import parks as _parks

    if spec.questions or spec.targets:
        raise InputError("questions and targets need a composite recipe, not park data",
                         ["for parks, use scenarios (with op: meet, set, pct ...)"])
    if not spec.scenarios:
        raise InputError("no scenarios to evaluate")
    data = (_parks.example() if config in PARK_EXAMPLE_NAMES
            else _parks.read_park_data(config))
    ev = evaluate_parks(data, spec.scenarios, parks=spec.parks, options=spec.evaluation)
    files = ev.write(out, fmt)
    return files, ev.summary(), ev
