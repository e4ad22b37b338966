r"""Evaluating scenarios: the same recipe re-run on changed data, compared with the baseline.

For a run build (the *baseline*) and a list of scenarios, :func:`evaluate`

1. takes the build's data (every variable of its units and periods) and, if a ``horizon``
   is given, **projects** it: each period after the build's last one is a copy of the last
   period (values as they stand -- no trend is assumed; the changes then say what moves);
2. applies each scenario's changes (:func:`gipro.scenario.changes.apply_changes`);
3. re-runs the **same recipe** on the changed data. With ``bounds="frozen"`` (default) every
   step that learns from the data applies what it learnt in the baseline build (the step's
   fit from the baseline run, given to the same runner as ``StepContext.frozen`` and mapped
   by ``StepSpec.freeze``): normalisation bounds, means and standard deviations, reference
   values, imputed values, outlier treatment -- winsorisation caps and transform parameters
   -- and data-driven weights, so a score
   keeps its meaning, units that were not changed keep their scores, and differences between
   scenarios are differences of data only (OECD/JRC Handbook 2008, section 5: fixed goalposts
   make scores comparable). Rank-based
   normalisations and cross-unit aggregations (Copeland, TOPSIS, Benefit-of-the-Doubt) are
   relative to the other units by construction and are recomputed (the notes say so). With
   ``bounds="recompute"`` the recipe runs as is on the changed data;
4. evaluates the baseline data the same way (the *reference*: same periods, projection and
   bounds, no change) and compares every scenario with it: score and rank changes per unit,
   period and code (indicators, sub-indices, index); each indicator's contribution to the
   change of the index (below); values beyond the frozen bounds.

**Values beyond the frozen bounds.** A value better than the best (or worse than the worst)
baseline value scores beyond the scale, e.g. above 100 after min-max onto [0, 100]. gipro
keeps that linear extension by default (``clip=False``): it is what makes "+10 % on an
indicator changes the index by weight x change of score" exact for every unit, and a unit
that overtakes the best performer is credited for it. Every such value is listed
(``beyond_scale``) and counted in the summary. ``clip=True`` sets such values to the bound
before normalising (scores stay within the scale; no credit beyond the best baseline value).

**Contributions** (leading factors of a scenario's effect, as in :mod:`gipro.decompose`
between two periods, here between the reference and the scenario in the same period): for
arithmetic aggregation :math:`c_j = w_j (s^S_j - s^B_j)` with :math:`w_j` the effective weight
over the indicators available in both; for geometric aggregation
:math:`c_j = L(I^S, I^B)\, w_j (\ln s^S_j - \ln s^B_j)` with the logarithmic mean :math:`L`
(LMDI-I, Ang 2005). Indicator contributions plus a ``(coverage)`` row (non-zero only when a
scenario fills in or removes a value) add up to the index change exactly.

References
----------
OECD/JRC (2008) *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
sections 5-7. Ang B.W. (2005) The LMDI approach to decomposition analysis: a practical guide,
*Energy Policy* 33:867-871.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..build import Build
from ..dataset import DataSet, positions
from ..decompose import COVERAGE, decomposition_setup, effective_weights
from ..errors import GiproError, InputError, MethodError
from ..methods.aggregate import CROSS_UNIT
from ..methods.lmdi import logmean
from ..methods.normalise import RELATIVE
from ..methods.rank import rank as _rank
from ..panel import Panel
from ..recipe import Recipe, validate_recipe
from ..steps.impute import ImputeStep
from ..steps.normalise import FREEZABLE, NormaliseFit, NormaliseStep
from ..steps.treat import TreatStep
from ..steps.weight import WeightStep
from .changes import apply_changes, default_domains
from .cube import Cube
from .relations import Relation, builtin_relations, load_relations, merge_relations
from .spec import EvaluationOptions, Scenario

__all__ = ["Evaluation", "ScenarioRun", "base_cube", "evaluate", "scenario_build"]

_DATA_DRIVEN_WEIGHTS = frozenset({"pca", "entropy", "critic", "optimise"})


@dataclass
class ScenarioRun:
    """One evaluated scenario: its changed data, its build and its change log."""

    scenario: Scenario
    build: Build
    cube: Cube
    changes: pd.DataFrame
    notes: list[str]


@dataclass
class Evaluation:
    """Scenarios compared with the baseline (see :func:`evaluate`).

    Attributes
    ----------
    baseline : Build
        The build the scenarios start from (as run by its recipe).
    reference : Build
        The baseline data evaluated like the scenarios (same periods, projection, frozen
        bounds); with no projection and frozen bounds its scores equal the baseline's.
    runs : dict of str to ScenarioRun
    options : EvaluationOptions
    period : int
        Period of the summary and of the side-by-side table.
    notes : list of str
        Policies applied (bounds, projection, clipping, what was recomputed).
    tables : dict of str to pandas.DataFrame
        ``scores`` (every unit, period and code: ``scenario, unit, period, code, level,
        score_base, score_scenario, score_change, rank_base, rank_scenario, rank_change``;
        rank change = base rank - scenario rank, positive = moved up), ``index`` (the index
        side by side: one row per unit and period, baseline score and rank and each
        scenario's score, change, rank and rank change), ``contributions`` (per scenario,
        unit and period where something changed: each indicator's and aggregate's
        contribution to the index change, plus ``(coverage)``), ``changes`` (every changed
        value: old, new, and selected values left alone with the reason), ``beyond_scale``
        (values beyond the frozen bounds), ``overview`` (one row per scenario).
    cube : Cube
        The baseline data as evaluated (projected periods included), before any change.
    """

    baseline: Build
    reference: Build
    runs: dict[str, ScenarioRun]
    options: EvaluationOptions
    period: int
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    cube: Cube | None = None

    def summary(self, top: int = 5) -> str:
        """A printable summary: per scenario, what changed and how the index moved."""
        fw = self.baseline.framework
        root = fw.root
        lines = [f"Scenarios against the baseline ({self.baseline.recipe.name or 'recipe'}), "
                 f"{fw.node(root).label_code()} in {self.period}:"]
        lines += [f"  - {n}" for n in self.notes]
        ov = self.tables["overview"].set_index("scenario")
        sc = self.tables["scores"]
        cur = sc[(sc["code"] == root) & (sc["period"] == self.period)]
        for name, run in self.runs.items():
            o = ov.loc[name]
            lines.append("")
            lines.append(f"{name}" + (f": {run.scenario.description}"
                                      if run.scenario.description else ""))
            lines.extend(f"  {n}" for n in run.notes)
            d = cur[cur["scenario"] == name].dropna(subset=["score_change"])
            if d.empty:
                lines.append("  no index scores in this period")
                continue
            lines.append(
                f"  {root} {self.period}: mean change {o['mean_change']:+.3f} points, "
                f"{_units(o['units_up'])} up and {int(o['units_down'])} down in rank, "
                f"{int(o['units_changed'])} of {_units(len(d))} with a different score")
            moved = d.reindex(d["score_change"].abs().sort_values(ascending=False).index)
            moved = moved[moved["score_change"].abs() > 0].head(top)
            for r in moved.itertuples():
                rb = "-" if pd.isna(r.rank_base) else int(r.rank_base)
                rs = "-" if pd.isna(r.rank_scenario) else int(r.rank_scenario)
                lines.append(f"    {r.unit}: {r.score_base:.2f} -> {r.score_scenario:.2f} "
                             f"({r.score_change:+.3f}), rank {rb} -> {rs}")
            if o["beyond_scale"]:
                lines.append(f"  {int(o['beyond_scale'])} values beyond the baseline's bounds "
                             + ("(clipped to the bounds)" if self.options.clip else
                                "(scored beyond the scale; see beyond_scale.csv)"))
            if o["spillover"]:
                lines.append(f"  {int(o['spillover'])} unit-periods without any change have a "
                             "different index score (moved through recomputed steps: "
                             + ("bounds recomputed" if self.options.bounds == "recompute" else
                                "imputation, treatment or a cross-unit method") + ")")
        return "\n".join(lines)

    def write(self, out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Write every table as ``<name>.csv`` (or ``.parquet``), ``summary.txt`` and
        ``scenarios.yaml``, as every output folder (:func:`gipro.tables.output_folder`).

        Returns
        -------
        dict of str to pathlib.Path
        """
        from ..tables import output_folder, write_table, write_text, yaml_text

        out = Path(out_dir)
        files: dict[str, Path] = {}
        spec = {"evaluation": self.options.model_dump(mode="json"),
                "scenarios": [r.scenario.model_dump(mode="json", exclude_unset=True)
                              for r in self.runs.values()]}
        with output_folder(out, kind="scenario"):
            for name, df in self.tables.items():
                files[name] = write_table(df, out / name, fmt)
            files["summary"] = write_text(out / "summary.txt", self.summary() + "\n")
            files["scenarios"] = out / "scenarios.yaml"
            yaml_text(spec, files["scenarios"])
        return files


# ---------------------------------------------------------------------- data
def base_cube(build: Build, horizon: int | None = None,
              domains: Mapping[str, Sequence[float | None]] | None = None,
              relations: Sequence[Relation] | bool = True) -> Cube:
    """The build's data as a cube of every variable, projected to ``horizon``.

    Units and periods are the build's; variables are every column of its source data (so
    denominators can be changed too). Periods after the build's last one up to ``horizon``
    are copies of the last period.

    ``relations``: ``True`` (default) attaches the built-in relations of the build's data set
    (:func:`gipro.scenario.relations.builtin_relations`, e.g. ``china_provinces``), a sequence
    adds these relations to them (one for a code already related replaces it), ``False``
    attaches none (every variable moves alone).

    Raises
    ------
    InputError
        ``horizon`` not after the last period; ``domains`` for unknown variables or with
        low > high; relations that compute a variable more than once or in a circle.
    """
    units = list(build.panel.unit_codes)
    periods = list(build.periods)
    src = build.source_panel
    codes = list(src.indicator_codes)
    values = src.select(units=units, periods=periods).cube(codes, periods)
    last = periods[-1]
    if horizon is not None:
        if horizon <= last:
            raise InputError(f"horizon {horizon} is not after the build's last period {last}",
                             ["leave horizon out to change observed periods only"])
        extra = list(range(last + 1, horizon + 1))
        values = np.concatenate([values, np.repeat(values[-1:], len(extra), axis=0)], axis=0)
        periods = periods + extra
    fw = build.framework
    units_of = {c: (fw.node(c).unit if c in set(fw.indicator_codes) else None)
                or src.indicator_units.get(c) for c in codes}
    dom = default_domains(values, codes, units_of)
    for c, rng in (domains or {}).items():
        if c not in set(codes):
            raise InputError(f"domains given for {c!r}, which is not in the data",
                             [f"variables: {', '.join(codes)}"])
        lo, hi = rng
        if lo is not None and hi is not None and not lo <= hi:
            raise InputError(f"domain of {c}: low {lo} > high {hi}")
        dom[c] = (lo, hi)
    directions = {c: int(fw.node(c).direction) for c in fw.indicator_codes}
    groups = src.units.loc[units]
    rel: list[Relation] = []
    if relations is not False:
        name = getattr(build.recipe.data, "dataset", None)
        if name in builtin_relations():
            rel = load_relations(name)
        if not isinstance(relations, bool):
            rel = merge_relations(rel, list(relations), codes)
    return Cube(values, periods, units, codes, last, directions, groups, dom, tuple(rel))


def derived_note(cube: Cube, opts: EvaluationOptions) -> str:
    """The policy note on derived variables (relations) of an evaluation."""
    if opts.derived == "keep":
        return ("derived variables kept as they were (derived: keep): a changed value does not "
                "move the variables computed from it")
    rel = [r for r in cube.relations if r.code in set(cube.codes)]
    if not rel:
        return ("no relations between the variables are known: each changed value moves "
                "alone (declare them with evaluation: {relations: [...]})")
    done = [r for r in rel if r.recomputable]
    eg = ", ".join(f"{r.code} = {r.formula()}" for r in done[:2])
    return (f"derived variables recomputed from the changed values they are computed from "
            f"({len(done)} relations, e.g. {eg}; see the change log, op 'recomputed'); "
            "warnings say what cannot be recomputed")


def _cube_panel(cube: Cube, source: Panel, label: str) -> Panel:
    p, u, v = cube.values.shape
    flat = cube.values.transpose(1, 0, 2).reshape(u * p, v)
    index = pd.MultiIndex.from_product([cube.units, cube.periods], names=["unit", "period"])
    df = pd.DataFrame(flat, index=index, columns=cube.codes)
    origin = f"{source.origin or 'data'} ({label})"
    return Panel(df, units=source.units.loc[cube.units], indicator_units=source.indicator_units,
                 origin=origin)


# ---------------------------------------------------------------------- builds
def frozen_fits(build: Build, clip: bool) -> tuple[dict[str, Any], list[str]]:
    """The baseline's fits handed to the scenario builds, by step name, and notes: imputed
    values, outlier treatment and normalisation parameters (:attr:`gipro.Build.fits`)."""
    states: dict[str, Any] = {}
    notes: list[str] = []
    source = "the baseline build"
    for spec in build.recipe.steps:
        if spec.disable or not isinstance(spec, (ImputeStep, TreatStep, NormaliseStep)):
            continue
        name = spec.name or spec.step
        fit = build.fits[name]
        if isinstance(spec, (ImputeStep, TreatStep)):
            states[name] = fit.frozen(source)
            notes.append(f"{spec.step} step {name!r}: " + (
                "imputed values frozen at the baseline's (a change to one unit does not move "
                "another unit's imputed value)" if spec.step == "impute" else
                "treatment frozen at the baseline's (unchanged values keep their treated "
                "values; changed values are capped at the baseline's winsorisation bounds or "
                "transformed with its parameters where the baseline did so)"))
            continue
        if spec.method not in FREEZABLE:
            if spec.method in RELATIVE:
                notes.append(f"normalisation {name!r} ({spec.method}) is relative to the other "
                             "units and is recomputed on the scenario data")
            continue
        states[name] = fit.frozen(source, clip=clip)
        span = (f"{build.periods[0]}-{build.periods[-1]}" if len(build.periods) > 1
                else str(build.periods[0]))
        notes.append(f"normalisation {name!r} ({spec.method}): {', '.join(fit.params)} "
                     f"frozen at the baseline's ({spec.bounds} over {span})")
    if any(isinstance(st, NormaliseFit) for st in states.values()):
        notes.append("values beyond the baseline's bounds are " + (
            "set to the bound before normalising (clip: true)" if clip else
            "scored beyond the scale, e.g. above 100 (clip: false; listed in beyond_scale)"))
    return states, notes


def scenario_recipe(build: Build, periods: list[int], frozen: bool
                     ) -> tuple[Recipe, list[str]]:
    """The build's recipe for the scenario periods; data-driven weights fixed if frozen."""
    recipe = build.recipe
    data = recipe.model_dump()
    for i, st in enumerate(recipe.steps):  # fields left out of dumps (Python callables)
        for fname, finfo in type(st).model_fields.items():
            if finfo.exclude:
                data["steps"][i][fname] = getattr(st, fname)
    data["periods"] = list(periods)
    notes: list[str] = []
    for i, st in enumerate(recipe.steps):
        if isinstance(st, WeightStep) and not st.disable and frozen \
                and st.method in _DATA_DRIVEN_WEIGHTS:
            ws = build.weights[st.output]
            data["steps"][i] = WeightStep.changed(data["steps"][i], {
                "method": "manual", "values": dict(ws.weights)})
            notes.append(f"weight step {st.name or st.step!r} ({st.method}): weights frozen at "
                         "the baseline's (applied as manual weights)")
    for st in recipe.steps:
        spec = getattr(st, "spec_for", None)
        if spec is None or st.disable:
            continue
        fw = build.framework
        cross = sorted({st.spec_for(a, fw.level(a)).method for a in fw.aggregate_codes}
                       & CROSS_UNIT)
        if cross:
            notes.append(f"aggregation {st.name or st.step!r}: {', '.join(cross)} compare units "
                         "with each other and are recomputed on the scenario data")
    origin = f"recipe {recipe.name or ''} for scenarios"
    return validate_recipe(data, recipe.base_dir, origin), notes


def scenario_build(build: Build, cube: Cube, *, bounds: str = "frozen", clip: bool = False,
                   label: str = "scenario") -> Build:
    """Run the build's recipe on a (changed) cube.

    Parameters
    ----------
    build : Build
        The baseline build (run).
    cube : Cube
        Data for the build's units, over its periods and any projected ones.
    bounds : {"frozen", "recompute"}
    clip : bool
    label : str
        Names the data in messages.

    Returns
    -------
    Build
        A run build (its log says which parameters were frozen).
    """
    states, _ = frozen_fits(build, clip) if bounds == "frozen" else ({}, [])
    recipe, _ = scenario_recipe(build, cube.periods, bounds == "frozen")
    panel = _cube_panel(cube, build.source_panel, label)
    b = Build(recipe, framework=build.framework, panel=panel, frozen=states)
    b.cache = build.cache
    try:
        return b.run()
    except GiproError as exc:
        raise type(exc)(f"{label}: {exc.message}", exc.details) from None


# ---------------------------------------------------------------------- evaluation
def evaluate(
    build: Build,
    scenarios: Sequence[Scenario] | Scenario,
    *,
    options: EvaluationOptions | Mapping[str, Any] | None = None,
    thresholds: Any = None,
) -> Evaluation:
    """Evaluate scenarios against a baseline build.

    Parameters
    ----------
    build : Build
        The baseline (run here if it has not been run).
    scenarios : Scenario or sequence of Scenario
        Each a name and a list of changes (:class:`~gipro.scenario.spec.Scenario`; a mapping
        is validated into one).
    options : EvaluationOptions or mapping, optional
        ``bounds`` (``frozen``, default, or ``recompute``), ``clip`` (default false),
        ``horizon`` (project to this period), ``period`` (of the summary), ``domains``.
    thresholds : callable, optional
        For ``meet`` changes (park data); see :func:`apply_changes`.

    Returns
    -------
    Evaluation

    Raises
    ------
    InputError
        Invalid scenarios (unknown units, indicators, periods), a change outside an
        indicator's feasible range, a summary period outside the evaluated periods.
    MethodError
        A scenario's data cannot be built (e.g. a zero before a geometric mean).

    Examples
    --------
    >>> import gipro
    >>> from gipro.scenario import Scenario, evaluate
    >>> base = gipro.run()
    >>> ev = evaluate(base, Scenario(name="bj-gdp", changes=[
    ...     {"op": "pct", "units": ["Beijing"], "indicators": ["gdp_real_per_capita"],
    ...      "periods": 2015, "value": 10}]))
    >>> s = ev.tables["scores"]
    >>> s[(s["code"] == "GIP") & (s["score_change"] != 0)][["unit", "period"]].values.tolist()
    [['Beijing', 2015]]
    """
    if not build.is_run:
        build.run()
    opts = (options if isinstance(options, EvaluationOptions)
            else EvaluationOptions.model_validate(dict(options or {})))
    if isinstance(scenarios, (Scenario, Mapping)):
        scenarios = [scenarios]
    scen = [s if isinstance(s, Scenario) else Scenario.model_validate(s) for s in scenarios]
    names = [s.name for s in scen]
    if len(set(names)) != len(names):
        raise InputError("scenario names must be unique", [", ".join(names)])
    if opts.horizon is not None:
        tables = [st.name or st.step for st in build.recipe.steps
                  if st.step == "denominate" and getattr(st, "table", None) is not None
                  and not st.disable]
        if tables:
            raise InputError(
                f"cannot project to {opts.horizon}: step {tables[0]!r} reads its denominators "
                "from a separate table, which has no projected periods",
                ["put the denominators in the data (they are then projected with it), or "
                 "evaluate the observed periods only (no horizon)"])
    cube = base_cube(build, opts.horizon, opts.domains,
                     relations=opts.relations if opts.derived == "recompute" else False)
    period = cube.periods[-1] if opts.period is None else opts.period
    if period not in cube.periods:
        raise InputError(f"summary period {period} is not evaluated",
                         [f"periods: {cube.periods[0]}-{cube.periods[-1]}"])
    frozen = opts.bounds == "frozen"
    states, notes = frozen_fits(build, opts.clip) if frozen else ({}, [
        "bounds recomputed on each scenario's data (the recipe as is): units that were not "
        "changed can move because the bounds moved"])
    _, rnotes = scenario_recipe(build, cube.periods, frozen)
    notes += rnotes
    notes.append(derived_note(cube, opts))
    if opts.horizon is not None:
        notes.append(f"projection: periods {build.periods[-1] + 1}-{opts.horizon} are copies "
                     f"of {build.periods[-1]} (no trend) before the changes; data the source "
                     "may hold for them are not used")
    kinds = ("denominate", "screen") if frozen else ("denominate", "screen", "impute",
                                                      "treat")
    pre = [s.name or s.step for s in build.recipe.steps if s.step in kinds and not s.disable]
    if pre:
        notes.append(f"steps {', '.join(pre)} run on the changed data as in the recipe"
                     + (" (a changed value can be imputed, treated or screened differently)"
                        if not frozen else ""))
    reference = scenario_build(build, cube, bounds=opts.bounds, clip=opts.clip,
                               label="baseline data")
    runs: dict[str, ScenarioRun] = {}
    for s in scen:
        changed, log, cnotes = apply_changes(cube, s, thresholds=thresholds)
        b = scenario_build(build, changed, bounds=opts.bounds, clip=opts.clip,
                           label=f"scenario {s.name!r}")
        runs[s.name] = ScenarioRun(s, b, changed, log, cnotes)
    ev = Evaluation(build, reference, runs, opts, period, notes, cube=cube)
    ev.tables = evaluation_tables(ev, states)
    return ev


def evaluation_tables(ev: Evaluation, states: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The tables of an evaluation (scores, contributions, beyond_scale, overview, changes),
    from its runs and the fits frozen at the baseline's (``states``)."""
    fw = ev.baseline.framework
    root = fw.root
    scores, contribs, beyond, overview, logs = [], [], [], [], []
    for name, run in ev.runs.items():
        d = _compare(ev.reference, run.build)
        d.insert(0, "scenario", name)
        scores.append(d)
        logs.append(run.changes)
        c = _contributions(ev.reference, run.build)
        if c is not None:
            c.insert(0, "scenario", name)
            contribs.append(c)
        for st_name in states:
            t = run.build.fitted.get(st_name, {}).get("beyond")
            if t is not None and len(t):
                t = t.copy()
                t.insert(0, "scenario", name)
                t.insert(1, "step", st_name)
                beyond.append(t)
        idx = d[(d["code"] == root)]
        cur = idx[idx["period"] == ev.period]
        log = run.changes
        real = log[~((log["old"] == log["new"]) | (log["old"].isna() & log["new"].isna()))]
        touched = pd.MultiIndex.from_frame(real[["unit", "period"]].astype(
            {"unit": object, "period": "int64"}))
        moved = idx[idx["score_change"].fillna(0) != 0]
        spill = int((~pd.MultiIndex.from_frame(moved[["unit", "period"]].astype(
            {"unit": object, "period": "int64"})).isin(touched)).sum())
        n_beyond = int(sum(len(t) for t in beyond if (t["scenario"] == name).any()))
        overview.append({
            "scenario": name, "description": run.scenario.description or "",
            "n_changes": len(run.scenario.changes),
            "values_changed": int((real["op"] != "recomputed").sum()),
            "values_recomputed": int((real["op"] == "recomputed").sum()),
            "warnings": sum(n.strip().startswith("warning:") for n in run.notes),
            "period": ev.period,
            "units_changed": int((cur["score_change"].fillna(0) != 0).sum()),
            "mean_change": float(cur["score_change"].mean()) if len(cur) else np.nan,
            "min_change": float(cur["score_change"].min()) if len(cur) else np.nan,
            "max_change": float(cur["score_change"].max()) if len(cur) else np.nan,
            "units_up": int((cur["rank_change"].fillna(0) > 0).sum()),
            "units_down": int((cur["rank_change"].fillna(0) < 0).sum()),
            "beyond_scale": n_beyond, "spillover": int(spill),
            "bounds": ev.options.bounds, "clip": ev.options.clip,
        })
    scores_t = pd.concat(scores, ignore_index=True)
    index = _side_by_side(ev, scores_t)
    tables = {"overview": pd.DataFrame(overview), "index": index, "scores": scores_t,
              "changes": pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()}
    if contribs:
        tables["contributions"] = pd.concat(contribs, ignore_index=True)
    else:
        ev.notes.append("contributions not computed: the index is not a level-by-level "
                        "arithmetic or geometric mean with the framework's weights")
    tables["beyond_scale"] = (pd.concat(beyond, ignore_index=True) if beyond else
                              pd.DataFrame(columns=["scenario", "step", "unit", "period",
                                                    "indicator", "value", "bound_low",
                                                    "bound_high", "side"]))
    return tables


def _compare(ref: Build, scen: Build) -> pd.DataFrame:
    """Scores and ranks of the reference and a scenario per unit, period and code (as
    :func:`gipro.compare`, with rank change = base rank - scenario rank, positive = up).

    Ranks are computed as in :meth:`Build.results` (per period and code, 1 = best, ties
    share the lowest rank). Rows: level (index first), code, period, unit.
    """
    fw = ref.framework
    a, b = ref.final, scen.final
    if (a.units, a.periods) != (b.units, b.periods):  # e.g. a unit screened out in one
        units = sorted(set(a.units) | set(b.units))
        periods = sorted(set(a.periods) | set(b.periods))
        a, b = (_reindexed(ds, units, periods) for ds in (a, b))
    codes = [c for c in a.codes if c in set(b.codes)]
    sa, sb = a.take(codes), b.take(codes)
    ra, rb = _rank(sa, axis=1), _rank(sb, axis=1)
    levels = np.array([fw.level(c) for c in codes])
    co = np.argsort(-levels, kind="stable")
    uo = np.argsort(np.array(a.units, dtype=object), kind="stable")
    ci, pi, ui = (x.ravel() for x in np.meshgrid(co, np.arange(len(a.periods)), uo,
                                                   indexing="ij"))

    def ints(r: np.ndarray) -> pd.api.extensions.ExtensionArray:
        return pd.array(r, dtype="Float64").astype("Int64")

    d = pd.DataFrame({
        "unit": np.array(a.units, dtype=object)[ui],
        "period": np.array(a.periods)[pi],
        "code": np.array(codes, dtype=object)[ci],
        "level": levels[ci],
        "score_base": sa[pi, ui, ci], "score_scenario": sb[pi, ui, ci],
        "score_change": sb[pi, ui, ci] - sa[pi, ui, ci],
        "rank_base": ints(ra[pi, ui, ci]), "rank_scenario": ints(rb[pi, ui, ci]),
    })
    d["rank_change"] = ints(ra[pi, ui, ci] - rb[pi, ui, ci])
    return d


def _reindexed(ds: DataSet, units: list[str], periods: list[int]) -> DataSet:
    out = np.full((len(periods), len(units), len(ds.codes)), np.nan)
    pi = [periods.index(p) for p in ds.periods]
    ui = positions(units, ds.units)
    out[np.ix_(pi, ui)] = ds.values
    return DataSet(ds.name, out, tuple(units), tuple(periods), ds.codes)


def _side_by_side(ev: Evaluation, scores: pd.DataFrame) -> pd.DataFrame:
    root = ev.baseline.framework.root
    s = scores[scores["code"] == root]
    first = next(iter(ev.runs))
    base = s[s["scenario"] == first][["unit", "period", "score_base", "rank_base"]]
    out = base.rename(columns={"score_base": "baseline_score", "rank_base": "baseline_rank"})
    for name in ev.runs:
        part = s[s["scenario"] == name][["unit", "period", "score_scenario", "score_change",
                                         "rank_scenario", "rank_change"]]
        part = part.rename(columns={c: f"{name}_{c.replace('_scenario', '')}"
                                    for c in part.columns if c not in ("unit", "period")})
        out = out.merge(part, on=["unit", "period"], how="outer")
    return out.sort_values(["period", "baseline_rank", "unit"], na_position="last",
                           ignore_index=True)


def _contributions(ref: Build, scen: Build) -> pd.DataFrame | None:
    """Each indicator's contribution to the index change, reference -> scenario, per period."""
    try:
        a, b = decomposition_setup(ref), decomposition_setup(scen)
    except (MethodError, InputError):
        return None
    fw = ref.framework
    xB, xS = a.scores, b.scores
    IB, IS = a.index, b.index
    common = a.avail & b.avail
    wc = effective_weights(fw, common, 0.0)
    same = (a.avail == b.avail).all(axis=-1)
    ok = ~np.isnan(IB) & ~np.isnan(IS)
    with np.errstate(invalid="ignore", divide="ignore"):
        if a.method == "arithmetic":
            contrib = wc * np.where(wc > 0, xS - xB, 0.0)
            icB = np.sum(wc * np.where(wc > 0, xB, 0.0), axis=-1)
            icS = np.sum(wc * np.where(wc > 0, xS, 0.0), axis=-1)
            coverage = (IS - icS) - (IB - icB)
        else:
            lB = np.log(np.where(wc > 0, xB, 1.0))
            lS = np.log(np.where(wc > 0, xS, 1.0))
            lw = logmean(np.where(ok, IS, 1.0), np.where(ok, IB, 1.0))
            contrib = lw[..., None] * wc * (lS - lB)
            coverage = lw * ((np.log(IS) - np.sum(wc * lS, axis=-1))
                             - (np.log(IB) - np.sum(wc * lB, axis=-1)))
    coverage = np.where(same, 0.0, coverage)
    contrib = np.where(ok[..., None], contrib, np.nan)
    coverage = np.where(ok, coverage, np.nan)
    total = IS - IB
    codes = list(a.codes)
    aggs = list(fw.aggregate_codes)
    member = np.array([[c in set(fw.indicators_under(g)) for c in codes] for g in aggs],
                      dtype=float)
    a_contrib = np.einsum("puk,gk->pug", np.nan_to_num(contrib), member)
    a_contrib = np.where(ok[..., None], a_contrib, np.nan)
    a_contrib[..., aggs.index(fw.root)] = total
    a_w = np.einsum("puk,gk->pug", wc, member)
    gB = ref.final.take(aggs)
    gS = scen.final.take(aggs)
    allc = np.concatenate([contrib, a_contrib, coverage[..., None]], axis=-1)
    allw = np.concatenate([wc, a_w, np.full((*total.shape, 1), np.nan)], axis=-1)
    sB = np.concatenate([xB, gB, np.full((*total.shape, 1), np.nan)], axis=-1)
    sS = np.concatenate([xS, gS, np.full((*total.shape, 1), np.nan)], axis=-1)
    all_codes = [*codes, *aggs, COVERAGE]
    kinds = (["indicator"] * len(codes)
             + ["index" if g == fw.root else "aggregate" for g in aggs] + ["coverage"])
    P, U, C = allc.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[..., None] != 0, allc / total[..., None], np.nan)
    df = pd.DataFrame({
        "unit": np.tile(np.repeat(np.array(a.units, dtype=object), C), P),
        "period": np.repeat(np.array(a.periods), U * C),
        "code": np.tile(np.array(all_codes, dtype=object), P * U),
        "kind": np.tile(np.array(kinds, dtype=object), P * U),
        "level": np.tile(np.array([1] * len(codes) + [fw.level(g) for g in aggs] + [np.nan]),
                         P * U),
        "weight": allw.reshape(-1),
        "score_base": sB.reshape(-1),
        "score_scenario": sS.reshape(-1),
        "score_change": (sS - sB).reshape(-1),
        "contribution": allc.reshape(-1),
        "share": share.reshape(-1),
    })
    df["level"] = df["level"].astype("Int64")
    # keep unit-periods where something changed
    changed = (np.nan_to_num(total) != 0) | (np.nan_to_num(xS - xB) != 0).any(axis=-1) \
        | (np.isnan(IB) != np.isnan(IS))
    keep = np.repeat(changed.reshape(-1), C)
    return df[keep].reset_index(drop=True)


def _units(n: float) -> str:
    """'1 unit', '3 units'."""
    n = int(n)
    return f"{n} unit" if n == 1 else f"{n} units"
