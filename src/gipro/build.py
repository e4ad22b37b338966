"""The build: a recipe run step by step, keeping every intermediate data set and a log.

Following COINr's "coin" (Becker et al. 2022), a :class:`Build` holds the framework, the input
panel, each named data set (``raw``, ``normalised``, ``aggregated``...) and a log of every step
with its full parameters. A variant is "copy, change one setting, run again"::

    import gipro
    b = gipro.run()                                   # the built-in China provinces recipe
    per_year = b.with_step("normalise", bounds="per_period").run()

Data sets are dense arrays of shape (n_periods, n_units, n_codes) (:class:`DataSet`), so the
numeric steps are whole-array numpy operations; labels are attached only for output.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dataset import DataSet
from .dataspec import load_data
from .errors import InputError
from .framework import Framework, load_framework
from .methods.rank import rank as _rank
from .panel import Panel, fraction_warnings, plausibility_warnings, total_row_warnings
from .paths import output_name, recording_inputs
from .recipe import Recipe, load_recipe
from .steps.aggregate import children_counts
from .steps.denominate import DenominateStep
from .steps.run import Record, State, Stepper
from .steps.weight import WeightSet, get_weight_set, weights_table
from .tables import (
    check_format,
    dataset_arrow,
    dataset_parts,
    grouped,
    output_folder,
    write_table,
    yaml_text,
)

#: Beginnings of the input notes on data variables outside the framework.
_VARIABLE_NOTES = ("data variables used as denominators (not indicators of the framework): ",
                   "data variables not in the framework (not used): ")

__all__ = ["Build", "DataSet", "LogEntry"]


class LogEntry:
    """What one step did: its parameters as run and the policies it applied.

    ``params`` and ``notes`` are made when first read (a step explains itself on demand:
    the numbers of a build never depend on them).
    """

    def __init__(self, record: Record, spec: Any, reused: bool = False) -> None:
        self.record = record
        self.spec = spec
        self.position = record.position
        self.name = record.name
        self.step = record.kind
        self.input = record.input
        self.output = record.output
        self.seconds = record.seconds
        self.skipped = record.skipped
        self.reused = reused
        self._params: dict[str, Any] | None = None

    @property
    def params(self) -> dict[str, Any]:
        """The step's parameters as run (every default filled in), name and input."""
        if self._params is None:
            self._params = {**self.spec.model_dump(mode="json"), "name": self.name,
                            "input": self.input}
        return self._params

    @property
    def notes(self) -> list[str]:
        """The policies the step applied, in words."""
        if self.skipped:
            return [f"skipped (disable: true): {self.output!r} is {self.input!r} unchanged"
                    if self.spec.writes_data_set else "skipped (disable: true)"]
        return list(self.record.result.explained()[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "name": self.name,
            "step": self.step,
            "input": self.input,
            "output": self.output,
            "params": self.params,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 6),
            "skipped": self.skipped,
            "reused": self.reused,
        }


class Fitted(Mapping[str, dict[str, Any]]):
    """What each step recorded, by step name (read-only; each step's tables are made when
    first read): e.g. ``fitted["treat"]["changes"]``, ``fitted["normalise"]["lower"]``."""

    def __init__(self, records: tuple[Record, ...]) -> None:
        self._records = {r.name: r for r in records if not r.skipped}

    def __getitem__(self, name: str) -> dict[str, Any]:
        rec = self._records[name]
        return rec.result.explained()[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


def _chosen(periods: list[int], available: list[int]) -> str:
    """`` (chosen by the recipe's periods: from 2000-2019)`` when not every period is built."""
    if list(periods) == list(available) or not available:
        return ""
    return f" (chosen by the recipe's periods: from {available[0]}-{available[-1]})"


def _load_panel(recipe: Recipe, framework: Framework) -> Panel:
    groups = [v.code for v in framework.variables.values() if v.kind == "group"]
    return load_data(recipe.data, recipe.base_dir, known_groups=groups)


def data_notes(framework: Framework, source: Any, n_units: int, periods: Sequence[int]
               ) -> list[str]:
    """The first input notes of a build: the framework, the data (units, periods, those
    chosen by the recipe), the framework's and the reader's notes."""
    span = f"{periods[0]}-{periods[-1]}" if len(periods) > 1 else str(periods[0])
    return [
        f"framework {framework.code or framework.origin}: "
        f"{len(framework.indicator_codes)} indicators, "
        f"{len(framework.aggregate_codes)} aggregates",
        f"data {source.origin}: {n_units} units, periods {span}"
        + _chosen(list(periods), source.periods),
        *framework.notes,
        *source.notes,
    ]


def check_observed(codes: Sequence[str], observed: np.ndarray, span: str) -> None:
    """Raise for the indicators without any observed value (``observed[k]`` False).

    Raises
    ------
    InputError
        Naming them and the periods ``span``.
    """
    empty = [c for c, o in zip(codes, observed, strict=True) if not o]
    if empty:
        raise InputError(
            f"indicators with no data at all for any unit in {span}: {', '.join(empty)}",
            ["fill in the data, remove the indicators from the framework, or choose periods "
             "where they have data"],
        )


def variable_notes(framework: Framework, recipe: Recipe, variables: Sequence[str],
                   records: Sequence[Record] | None) -> list[str]:
    """Input notes on the data variables that are not indicators of the framework: those
    a ``denominate`` step divides by ("used as denominators", with the steps) and the
    others ("not used").

    Before the build is run (``records`` None) the denominators are those the recipe's
    enabled denominate steps name (framework field ``denominator`` and ``denominators:``);
    after it, those each step read from the build's data (``plan.from_data``: a denominator
    found in the step's ``table:`` is read from the table, not the data).
    """
    fw = set(framework.indicator_codes)
    extra = [c for c in variables if c not in fw]
    if not extra:
        return []
    used: dict[str, list[str]] = {}
    for spec in recipe.steps:
        if not isinstance(spec, DenominateStep) or spec.disable:
            continue
        name = spec.name or spec.step
        if records is not None:
            rec = next((r for r in records if r.name == name and not r.skipped), None)
            dens = rec.plan.from_data if rec is not None else []
        else:
            dens = spec.pairs(framework, framework.indicator_codes).values()
        for d in dens:
            used.setdefault(d, []).append(name)
    notes = []
    as_den = [c for c in extra if c in used]
    if as_den:
        notes.append(_VARIABLE_NOTES[0] + ", ".join(
            f"{c} (step{'s' if len(used[c]) > 1 else ''} "
            f"{', '.join(used[c])})" for c in as_den))
    rest = [c for c in extra if c not in used]
    if rest:
        notes.append(_VARIABLE_NOTES[1] + ", ".join(rest))
    return notes


def renew_variable_notes(notes: Sequence[str], fresh: Sequence[str]) -> list[str]:
    """Input ``notes`` with the notes of :func:`variable_notes` made before a build ran
    replaced by ``fresh`` ones (from what the steps read), at the end."""
    return [*(n for n in notes if not n.startswith(_VARIABLE_NOTES)), *fresh]


def unscored_rows(root: str, raw: DataSet, final: DataSet, excluded: Sequence[dict[str, Any]],
                  why: Mapping[tuple[str, int, str], str], step: str) -> list[dict[str, Any]]:
    """The rows of :meth:`Build.exclusions` for the unit-periods of ``final`` without a
    ``root`` score (those a step excluded aside), with the reason: no data in the period, or
    which indicators are missing (in the input data; and why the impute step could not fill
    them, ``why``), or an aggregate that could not be computed. ``raw`` holds (at least) the
    units of ``final``; rows by period, then unit (a block of units at a time in a chunked
    build)."""
    raw_units = {u: i for i, u in enumerate(raw.units)}
    inds = [c for c in final.codes if c in set(raw.codes)]
    ind_idx = [final.codes.index(c) for c in inds]
    gone = {(r["unit"], r["period"]) for r in excluded}
    score = final.column(root)
    rows = []
    for pi, ui in zip(*np.nonzero(np.isnan(score)), strict=True):
        unit, period = final.units[ui], final.periods[pi]
        if (unit, None) in gone or (unit, period) in gone:
            continue
        ri = raw_units[unit]
        raw_miss = [c for k, c in enumerate(raw.codes) if np.isnan(raw.values[pi, ri, k])]
        if len(raw_miss) == len(raw.codes):
            reason = (f"no {root} score: {len(raw.codes)} of {len(raw.codes)} indicators "
                      f"missing (no data in {period})")
        else:
            final_miss = [c for c, k in zip(inds, ind_idx, strict=True)
                          if np.isnan(final.values[pi, ui, k])]
            miss = final_miss or raw_miss
            reason = (f"no {root} score: {len(miss)} of {len(raw.codes)} indicators "
                      f"missing ({', '.join(miss)})")
            if final_miss != raw_miss and raw_miss:
                reason += f"; missing in the input data: {', '.join(raw_miss)}"
            causes = sorted({why[(unit, period, c)] for c in miss if (unit, period, c) in why})
            if causes:
                reason += f"; not imputed: {'; '.join(causes)}"
            if not miss:
                reason = (f"no {root} score: every indicator is present but an aggregate "
                          "could not be computed (see the log)")
        rows.append({"unit": unit, "period": period, "step": step, "reason": reason})
    return rows


def result_columns(framework: Framework, units: Sequence[str], periods: Sequence[int],
                   codes: Sequence[str], used: Mapping[str, Mapping[str, float]] | None,
                   column: Any, scored: Any, wanted: Sequence[str] | None = None, *,
                   by_period: bool = False, only: Sequence[int] | None = None
                   ) -> Iterator[tuple[str, int, dict[str, np.ndarray]]]:
    """The rows of :meth:`Build.results` of each code as arrays (unit positions, periods,
    scores, ranks, children scored and in all, missing mask), in the table's order (index
    first, then level by level down, framework order; each by period, rank and unit).

    ``column(k)`` gives the scores of code ``k`` (shape (P, U)) and ``scored(kids)`` how many
    of the columns ``kids`` have a score, per period and unit (shape (P, U)): from the final
    data set in memory, or read back from a chunked build's written blocks. Ranks per
    period: :func:`gipro.methods.rank.rank` of the whole column. ``by_period``: the rows of
    each code one period at a time (the same rows, in the same order; less memory for many
    units). ``only``: the rows of these periods only (default: every period)."""
    chosen = None if only is None else set(only)
    pi = (None if chosen is None else
          np.array([i for i, q in enumerate(periods) if q in chosen], dtype=np.int64))
    periods = list(periods) if pi is None else [periods[i] for i in pi]
    p, u, c = len(periods), len(units), len(codes)
    fw = framework
    total = children_counts(fw, codes, np.zeros((1, 1, c)), used)[1]
    col = {code: i for i, code in enumerate(codes)}
    upos = np.empty(u, dtype=np.int64)  # each unit's place in name order
    upos[np.argsort(np.array(units, dtype=object), kind="stable")] = np.arange(u)
    unit_col = np.tile(np.arange(u), 1 if by_period else p)
    period_col = np.repeat(np.array(periods), u)
    keep = None if wanted is None else set(wanted)
    order = sorted((k for k in range(c) if keep is None or codes[k] in keep),
                   key=lambda k: (-fw.level(codes[k]), k))
    for k in order:
        code = codes[k]
        vals = np.asarray(column(k)) if pi is None else np.asarray(column(k))[pi]
        kids = None
        if total[k] > 0:
            kids = [col[x] for x in fw.children(code) if x in col
                    and (used or {}).get(code, {}).get(x, fw.node(x).weight) > 0]
        n_all = None if kids is None else np.asarray(scored(kids))
        if n_all is not None and pi is not None:
            n_all = n_all[pi]
        spans = [(a, a + 1) for a in range(p)] if by_period else [(0, p)]
        for a, b in spans:
            q = b - a
            ranks = _rank(vals[a:b], axis=1)
            key = np.where(np.isnan(ranks), u + 1, ranks).astype(np.int64) * u + upos
            rows = (np.argsort(key, axis=1, kind="stable")
                    + (np.arange(q) * u)[:, None]).reshape(-1)
            if n_all is not None:
                n_scored = n_all[a:b].reshape(-1)[rows]
                na = np.zeros(q * u, dtype=bool)
            else:
                n_scored, na = np.full(q * u, -1), np.ones(q * u, dtype=bool)
            yield code, fw.level(code), {
                "unit": unit_col[rows], "period": period_col[a * u:b * u][rows],
                "score": vals[a:b].reshape(-1)[rows], "rank": ranks.reshape(-1)[rows],
                "scored": n_scored.astype(np.int64), "na": na,
                "children": np.full(q * u, total[k], dtype=np.int64)}


def results_tables(framework: Framework, units: Sequence[str], names: Mapping[str, Any],
                   lang: str, columns: Iterator[tuple[str, int, dict[str, np.ndarray]]],
                   rows: int | None = None) -> Iterator[Any]:
    """The results of :func:`result_columns` as Apache Arrow tables (one per code, or parts
    of at most ``rows`` rows): ``unit, unit_name, period, code, code_name, level, score,
    rank, children_scored, children``, the names in ``lang`` (units and codes
    dictionary-encoded: no string per row is made)."""
    import pyarrow as pa

    unit_dict = pa.array(list(units), type=pa.string())
    name_dict = pa.array([str(names.get(u, u)) for u in units], type=pa.string())
    nodes = framework.nodes
    for code, level, c in columns:
        n = len(c["score"])
        code_name = (nodes[code].name.get(lang) or code) if code in nodes else code
        step = rows or max(n, 1)
        for a in range(0, max(n, 1), step):
            sl = slice(a, a + step)
            m = len(c["score"][sl])
            idx = pa.array(c["unit"][sl], pa.int32())
            zero = pa.array(np.zeros(m, np.int32))
            yield pa.table({
                "unit": pa.DictionaryArray.from_arrays(idx, unit_dict),
                "unit_name": pa.DictionaryArray.from_arrays(idx, name_dict),
                "period": pa.array(c["period"][sl], pa.int64()),
                "code": pa.DictionaryArray.from_arrays(zero, pa.array([code], pa.string())),
                "code_name": pa.DictionaryArray.from_arrays(
                    zero, pa.array([str(code_name)], pa.string())),
                "level": pa.array(np.full(m, level, dtype=np.int64)),
                "score": pa.array(c["score"][sl], pa.float64()),
                "rank": pa.array(c["rank"][sl], pa.int64(), from_pandas=True),
                "children_scored": pa.array(c["scored"][sl], pa.int64(), mask=c["na"][sl]),
                "children": pa.array(c["children"][sl], pa.int64(), mask=c["na"][sl]),
            })


class Build:
    """A composite-indicator build: framework + panel + recipe -> named data sets and a log.

    Parameters
    ----------
    recipe : Recipe, str, path or mapping, optional
        The recipe (a :class:`~gipro.recipe.Recipe`, a built-in recipe name, a YAML path, or a
        mapping). Default: the built-in China provinces recipe.
    framework : Framework, optional
        Use this framework instead of loading the recipe's (e.g. for variants).
    panel : Panel, optional
        Use this panel instead of loading the recipe's data.
    frozen : mapping of str to fit, optional
        What another build's steps learnt (:attr:`fits`), by step name, used instead of
        learning it from these data: scenario evaluation normalises changed data with the
        baseline's bounds (``{"normalise": baseline.fits["normalise"].frozen("the baseline")}``).
        Empty by default.

    Attributes
    ----------
    datasets : dict of str to DataSet
        Every data set by name, in the order produced (``raw`` first).
    log : list of LogEntry
        One entry per step run.
    fitted : mapping of str to dict
        What each step learned from the data (e.g. normalisation bounds) and the tables it
        recorded (e.g. ``fitted["treat"]["changes"]``), by step name; made when first read.
    fits : dict of str to object
        What each step learned, as the step's typed fit (e.g.
        :class:`~gipro.steps.normalise.NormaliseFit`), by step name: hand them to another build
        with ``frozen=``.
    excluded : list of dict
        Units removed by steps (``unit, period, step, reason``), see :meth:`exclusions`.
    reused_steps : int
        After :meth:`run`: how many leading steps were taken over unchanged from the build
        this one was derived from with :meth:`with_step` (0 for a fresh build).
    cache : dict
        Extra inputs read by steps (e.g. the denominators table), shared with variants made
        by :meth:`with_step` so files are read once.

    Raises
    ------
    InputError, FrameworkError
        If the recipe, framework or data are invalid or do not match.
    """

    def __init__(
        self,
        recipe: Recipe | str | Path | Mapping[str, Any] | None = None,
        *,
        framework: Framework | None = None,
        panel: Panel | None = None,
        frozen: Mapping[str, Any] | None = None,
    ) -> None:
        self.frozen: Mapping[str, Any] = frozen if frozen is not None else {}
        #: the files read for this build (recipe, framework, data, tables steps read): no
        #: output of :meth:`write` may replace one of them
        self.inputs: set[Path] = set()
        with recording_inputs(self.inputs):
            if isinstance(recipe, Recipe):
                self.recipe = recipe
            elif isinstance(recipe, Mapping):
                self.recipe = Recipe.from_dict(recipe)
            else:
                self.recipe = load_recipe(recipe)
            self.framework = framework or load_framework(self.recipe.framework,
                                                         self.recipe.base_dir)
            self.source_panel = (panel if panel is not None
                                 else _load_panel(self.recipe, self.framework))
        self.source_panel.check_framework(self.framework)
        periods = self.recipe.period_list(self.source_panel.periods)
        self.panel = self.source_panel.select(
            units=self.recipe.units, periods=periods, indicators=self.framework.indicator_codes
        )
        self.periods = periods
        chosen = set(self.panel.unit_codes)
        #: units of the input data left out by the recipe's ``units:`` list (in exclusions)
        self.not_selected = [u for u in self.source_panel.unit_codes if u not in chosen]
        if not self.panel.unit_codes:
            raise InputError("no units to build: the data (or the recipe's units:) select none")
        span = f"{periods[0]}-{periods[-1]}" if len(periods) > 1 else str(periods[0])
        codes = self.framework.indicator_codes
        check_observed(codes, (~np.isnan(self.panel.values[codes].to_numpy())).any(axis=0), span)
        self.input_notes: list[str] = data_notes(self.framework, self.source_panel,
                                                 len(self.panel.unit_codes), periods)
        self.datasets: dict[str, DataSet] = {}
        self.log: list[LogEntry] = []
        self.fitted: Mapping[str, dict[str, Any]] = {}
        self.fits: dict[str, Any] = {}
        self.weights: dict[str, WeightSet] = {}  # weight sets made by steps, by name
        self.excluded: list[dict[str, Any]] = []
        self.states: list[State] = []  # after each step (states[0]: the raw data)
        self.reused_steps = 0
        self.cache: dict[Any, Any] = {}  # inputs read by steps (e.g. denominator tables)
        self.plans: dict[Any, Any] = {}  # steps' plans by spec and labels, shared by variants
        self._raw: DataSet | None = None
        self._parent: Build | None = None
        self._ran = False
        self.input_notes += self._variable_notes()
        # data that look wrong and are NOT changed: warnings in log.yaml (input), printed by
        # gipro run
        self.input_notes += total_row_warnings(self.panel)
        units = {c: self.framework.node(c).unit for c in self.framework.indicator_codes}
        self.input_notes += fraction_warnings(self.panel, units)
        self.input_notes += plausibility_warnings(self.panel, units)

    # ------------------------------------------------------------------ running
    @property
    def stepper(self) -> Stepper:
        """The runner of this build's steps (:class:`gipro.steps.run.Stepper`)."""
        st = getattr(self, "_stepper", None)
        if st is None or st.cache is not self.cache:
            st = Stepper(self.framework, self.panel, self.source_panel, self.periods,
                         self.recipe.step_names(), self.frozen, self.cache, self.recipe.base_dir)
            self._stepper = st
        return st

    def run(self) -> Build:
        """Run every step of the recipe; returns the build itself (now holding its results).

        Raises
        ------
        InputError
            A step reads a data set that does not exist.
        MethodError
            A method cannot be applied to the data (message names indicator, unit, period).
        """
        stepper = self.stepper
        start = self._reusable_prefix()
        if start:
            states = list(self._parent.states[: start + 1])
        else:
            if self._raw is None:
                self._raw = DataSet(
                    "raw", self.panel.cube(self.framework.indicator_codes, self.periods),
                    tuple(self.panel.unit_codes), tuple(self.periods),
                    tuple(self.framework.indicator_codes))
            states = [stepper.initial_state(self._raw)]
        self.reused_steps = start
        self._ran = False
        steps = self.recipe.steps
        with recording_inputs(self.inputs):
            for pos in range(start, len(steps)):
                states.append(stepper.step(states[-1], pos, steps[pos], record=True,
                                           plans=self.plans))
        self._set_state(states, start)
        self._ran = True
        self.input_notes = renew_variable_notes(self.input_notes, self._variable_notes())
        return self

    def _set_state(self, states: list[State], reused: int) -> None:
        if self.recipe.keep is not None:
            states = self._let_go(states)
        state = states[-1]
        self.states = states
        self.datasets = state.datasets
        self.fits = dict(state.fits)
        self.weights = dict(state.weights)
        self.excluded = [dict(r) for r in state.excluded]
        self.fitted = Fitted(state.records)
        self.log = [LogEntry(r, self.recipe.steps[r.position], reused=r.position < reused)
                    for r in state.records]

    def _let_go(self, states: list[State]) -> list[State]:
        """The recipe's ``keep:``: every step explained now (its notes and tables read the
        data sets it used), then the data sets not kept let go from the build's states."""
        keep = {"raw", *self.recipe.keep}
        for rec in states[-1].records:
            if rec.result is not None and rec.result.explain is not None:
                rec.result.explained()
                rec.result.explain = None  # (it holds the step's input and output)
            if rec.result is not None and rec.output not in keep:
                rec.result.data = None
        out = []
        for st in states:
            kept = {n: d for n, d in st.datasets.items() if n in keep}
            out.append(State(kept, st.fits, st.weights, st.excluded, st.previous, st.lineage,
                             st.producers, st.records))
        return out

    @property
    def records(self) -> tuple[Record, ...]:
        """The steps as run (:class:`gipro.steps.run.Record`), in order."""
        return self.states[-1].records if self.states else ()

    def _variable_notes(self) -> list[str]:
        """:func:`variable_notes` of this build (before it is run: the denominators its
        recipe names; after: those its steps read)."""
        return variable_notes(self.framework, self.recipe, self.source_panel.indicator_codes,
                              self.records if self._ran else None)

    @property
    def is_run(self) -> bool:
        return self._ran

    def require_run(self) -> None:
        """Raise unless the build has been run.

        Raises
        ------
        InputError
            The build has not been run yet.
        """
        if not self._ran:
            raise InputError("the build has not been run yet; call .run() first")

    def weight_set(self, name: str) -> WeightSet:
        """A weight set of the build by name (``framework`` always exists).

        Raises
        ------
        InputError
            No set of that name.
        """
        return get_weight_set(self.framework, self.weights, name)

    def with_step(self, name: str, **changes: Any) -> Build:
        """A new (not yet run) build with one step's parameters changed.

        The framework and data are shared with this build, and when this build has been run
        the variant re-runs only from the first step that differs: the data sets, log entries,
        fitted values and exclusions of the unchanged steps before it are reused (the same
        arrays, not copies). Example: ``b.with_step("normalise", bounds="per_period").run()``;
        ``b.with_step("treat", disable=True).run()`` for a build without outlier treatment.

        Raises
        ------
        InputError
            If no step has this name or the new parameters are invalid.
        """
        variant = Build(self.recipe.with_step(name, **changes), framework=self.framework,
                        panel=self.source_panel, frozen=self.frozen)
        variant._parent = self
        variant.cache = self.cache
        variant.plans = self.plans
        return variant

    def _reusable_prefix(self) -> int:
        """Number of leading steps whose results can be taken from the parent build."""
        parent = self._parent
        if (parent is None or not parent.is_run or parent.framework is not self.framework
                or parent.recipe.keep is not None
                or parent.source_panel is not self.source_panel
                or parent.frozen is not self.frozen
                or parent.periods != self.periods
                or parent.panel.unit_codes != self.panel.unit_codes):
            return 0
        k = 0
        for mine, theirs in zip(self.recipe.steps, parent.recipe.steps, strict=False):
            if type(mine) is not type(theirs) or mine != theirs:
                break
            k += 1
        return k

    # ------------------------------------------------------------------ output
    @property
    def final(self) -> DataSet:
        """The data set produced by the last step that produced one (with ``keep:``, the last
        one kept)."""
        self.require_run()
        for entry in reversed(self.log):
            if entry.output in self.datasets and entry.step != "weight":
                return self.datasets[entry.output]
        return self.datasets["raw"]

    def data(self, name: str) -> pd.DataFrame:
        """A data set as a wide table: index (unit, period), one column per code.

        Raises
        ------
        InputError
            If there is no data set of that name.
        """
        self.require_run()
        if name not in self.datasets:
            raise InputError(f"no data set {name!r}; available: {', '.join(self.datasets)}")
        return self.datasets[name].to_frame()

    def results(self, codes: Sequence[str] | None = None,
                periods: Sequence[int] | None = None, *,
                units: Sequence[str] | None = None, top: int | None = None) -> pd.DataFrame:
        """Scores and ranks of every unit, period and code (indicators and aggregates).

        Scores come from the last data set (normalised indicators and aggregates). Ranks are
        computed per period and code on full-precision scores: 1 = best, ties share the lowest
        rank, missing scores unranked (:func:`gipro.methods.rank.rank`).

        For aggregates, ``children_scored`` of ``children`` says on how many of its children
        the score rests: an aggregate is computed when at least ``min_availability`` of its
        children have a score (per aggregate, level by level; ``docs/steps/aggregate.md``),
        so an index score may rest on some dimensions only -- filter with
        ``res[res.children_scored < res.children]``. Children are the aggregate's direct
        children in the data set with a positive weight in the aggregate step (indicators
        left out by an earlier step are not counted):
        :func:`gipro.steps.aggregate.children_counts`.

        Parameters
        ----------
        codes : sequence of str, optional
            Only these codes (e.g. ``[build.framework.root]``; default: every code).
        periods : sequence of int, optional
            Only these periods (ranks are per period either way; default: every period).
        units : sequence of str, optional
            Only the rows of these units (ranks among every unit either way).
        top : int, optional
            Only the rows ranked ``top`` or better (e.g. the first ten of each period).

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, period, code, level, score, rank, children_scored, children``
            (the last two empty for indicators); sorted by level (index first), code, period
            and rank.

        Raises
        ------
        InputError
            None of ``codes`` is in the final data set.
        """
        parts = list(self.results_parts(codes, periods))
        if not parts:
            raise InputError(f"no code of {list(codes or [])} in the build's final data set")
        out = next(grouped(parts, rows=2**62))
        keep = np.ones(len(out), dtype=bool)
        if units is not None:
            keep &= out["unit"].isin(set(units)).to_numpy()
        if top is not None:
            keep &= (out["rank"] <= top).fillna(False).to_numpy(dtype=bool)
        return out if keep.all() else out.loc[keep].reset_index(drop=True)

    def period_columns(self, codes: Sequence[str], period: int
                       ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The scores and ranks of :meth:`results` of each of ``codes`` in one period, as
        arrays over the final data set's units (NaN where missing).

        Raises
        ------
        InputError
            A code or the period not in the final data set.
        """
        final = self.final
        if period not in final.periods:
            raise InputError(f"period {period} is not in the build's results")
        pi = list(final.periods).index(period)
        score, rank = {}, {}
        for c in codes:
            if c not in final.codes:
                raise InputError(f"code {c!r} is not in the build's results")
            score[c] = np.asarray(final.column(c)[pi], dtype=float)
            rank[c] = _rank(score[c][None, :], axis=1)[0]
        return score, rank

    def results_parts(self, codes: Sequence[str] | None = None,
                      periods: Sequence[int] | None = None) -> Iterator[pd.DataFrame]:
        """:meth:`results` one code at a time, in the table's order (index first, then level
        by level down, framework order; each by period, rank and unit): a big build's results
        can be written without holding every row at once (:meth:`write`). ``codes``: only
        these codes, ``periods`` only these periods (default: every one)."""
        units = np.array(self.final.units, dtype=object)
        for code, level, c in self._result_columns(codes, periods):
            n = len(c["score"])
            yield pd.DataFrame({
                "unit": units[c["unit"]],
                "period": c["period"],
                "code": np.full(n, code, dtype=object),
                "level": np.full(n, level, dtype=int),
                "score": c["score"],
                "rank": pd.arrays.IntegerArray(
                    np.where(np.isnan(c["rank"]), 0, c["rank"]).astype(np.int64),
                    np.isnan(c["rank"])),
                "children_scored": pd.arrays.IntegerArray(c["scored"], c["na"].copy()),
                "children": pd.arrays.IntegerArray(c["children"], c["na"].copy()),
            })

    def results_arrow(self, codes: Sequence[str] | None = None,
                      periods: Sequence[int] | None = None, *, lang: str = "en"
                      ) -> Iterator[Any]:
        """:meth:`results_parts` as Apache Arrow tables with the unit and code names in
        ``lang`` (:func:`gipro.labels.with_names`'s columns; units and codes
        dictionary-encoded: no string per row is made), for writing Parquet (needs pyarrow)."""
        from .labels import unit_labels

        units = list(self.final.units)
        names = unit_labels(getattr(self.source_panel, "units", None), units, lang)
        return results_tables(self.framework, units, names, lang,
                              self._result_columns(codes, periods))

    def _result_columns(self, codes: Sequence[str] | None,
                        periods: Sequence[int] | None = None
                        ) -> Iterator[tuple[str, int, dict[str, np.ndarray]]]:
        """:func:`result_columns` of the final data set."""
        ds = self.final
        return result_columns(
            self.framework, ds.units, ds.periods, ds.codes, self.weights_used(ds.name),
            lambda k: ds.values[:, :, k],
            lambda kids: (~np.isnan(ds.values[:, :, kids])).sum(axis=-1), codes,
            only=periods)

    def weights_used(self, dataset: str) -> dict[str, dict[str, float]] | None:
        """The weights the aggregate step that wrote ``dataset`` used: aggregate -> {child:
        weight} (``None`` when no aggregate step wrote it)."""
        rec = next((r for r in reversed(self.records) if r.kind == "aggregate"
                    and not r.skipped and r.output == dataset), None)
        if rec is None:
            return None
        spec = self.recipe.steps[rec.position]
        return spec.weights_used(rec.plan, rec.fit)

    def exclude(self, unit: str, reason: str, step: str, period: int | None = None) -> None:
        """Record that a step removed a unit (or one unit-period) from the build, and why.

        Steps that drop units (screening) call this so that no unit disappears silently.
        """
        self.excluded.append({"unit": unit, "period": period, "step": step, "reason": reason})

    def exclusions(self) -> pd.DataFrame:
        """Units removed by a step, and unit-periods without an index score, with the reason.

        Every unit of the input panel is either in :meth:`results` or here: units left out by
        the recipe's ``units:`` list (step ``recipe``), units removed by a step (e.g.
        screening), and each unit-period without an index score, with the reason (no data,
        which indicators are missing, and why the impute step could not fill them, e.g. the
        unit has no group).

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, period, step, reason`` (``period`` empty when the whole unit was
            removed); empty when every unit has a score in every period.
        """
        ds = self.final
        root = self.framework.root
        rows = [{"unit": r["unit"], "period": None, "step": "data", "reason": r["reason"]}
                for r in self.source_panel.removed]
        rows += [{"unit": u, "period": None, "step": "recipe",
                  "reason": "not selected: not in the recipe's units: list"}
                 for u in self.not_selected] + list(self.excluded)
        if root not in ds.codes:
            return pd.DataFrame(rows, columns=["unit", "period", "step", "reason"])
        rows += unscored_rows(root, self.datasets["raw"], ds, self.excluded,
                              self._missing_reasons(), self.log[-1].name)
        return pd.DataFrame(rows, columns=["unit", "period", "step", "reason"])

    def _missing_reasons(self) -> dict[tuple[str, int, str], str]:
        """Why values are still missing, as recorded by steps (the impute step's ``missing``
        table: unit, period, indicator, reason), by (unit, period, indicator)."""
        out: dict[tuple[str, int, str], str] = {}
        for fitted in self.fitted.values():
            table = fitted.get("missing") if isinstance(fitted, dict) else None
            if isinstance(table, pd.DataFrame) and {"unit", "period", "indicator",
                                                    "reason"} <= set(table.columns):
                for r in table.itertuples(index=False):
                    out[(r.unit, int(r.period), r.indicator)] = str(r.reason)
        return out

    def log_table(self) -> pd.DataFrame:
        """The log as a table (one row per step)."""
        return pd.DataFrame([e.to_dict() for e in self.log])

    def write(self, out_dir: str | Path, format: str = "csv", *, lang: str = "en"
              ) -> dict[str, Path]:
        """Write the build's outputs to a folder.

        Files (tables as ``.csv``, or ``.parquet`` with ``format="parquet"``): ``results`` (tidy
        ``unit, unit_name, period, code, code_name, level, score, rank, children_scored, children``:
        the names in ``lang``, :func:`gipro.labels.with_names`; written one code at a time),
        ``stages/<data set>`` (wide: ``unit, period`` and one column per code, for each data set
        kept), ``recipe.yaml`` (the recipe as run, defaults filled in), ``log.yaml`` (``input``:
        what was read and what was not used; ``steps``: every step with its parameters and notes),
        ``exclusions``, ``weights`` (every weight set, with effective weights) and
        ``details/<step>.<table>`` for each table a step recorded in :attr:`fitted` (e.g.
        ``details/treat.changes``: every value changed by outlier treatment;
        ``details/impute.imputed``). The folder is written as every output folder
        (:func:`gipro.tables.output_folder`): locked, atomic files, a manifest
        (``gipro-manifest.json``); the files of an earlier run in the folder that this one
        does not write (stale stages, details) are removed, files gipro did not write are
        never replaced, and no output may replace an input of the build.

        Parameters
        ----------
        out_dir : path
        format : {"csv", "parquet"}
        lang : {"en", "zh"}
            Language of the unit and code names in ``results``.

        Returns
        -------
        dict of str to pathlib.Path
            The files written.

        Raises
        ------
        InputError
            The folder cannot be written (the folder is then marked incomplete); another
            gipro command is writing it; an output would replace an input or a file gipro did
            not write; an unknown format; Parquet without pyarrow.
        """
        self.require_run()
        check_format(format)
        out = Path(out_dir)
        for name in self.datasets:
            output_name(name, "data set name")
        files: dict[str, Path] = {}
        tables = ["results", "weights", "exclusions",
                  *(f"stages/{n}" for n in self.datasets),
                  *(f"details/{step}.{key}" for step, fitted in self.fitted.items()
                    for key, t in fitted.items() if isinstance(t, pd.DataFrame))]
        with recording_inputs(self.inputs), output_folder(out, kind="build") as folder:
            folder.check([out / f"{t}.{format}" for t in tables]
                         + [out / "recipe.yaml", out / "log.yaml"])
            from .labels import with_names

            units = getattr(self.source_panel, "units", None)
            codes = self.recipe.result_codes(self.final.codes, self.framework.aggregate_codes)
            files["results"] = write_table(
                (with_names(part, units, self.framework, lang)
                 for part in grouped(self.results_parts(codes))) if format == "csv"
                else grouped(self.results_arrow(codes, lang=lang)), out / "results", format)
            files["recipe"] = out / "recipe.yaml"
            files["log"] = out / "log.yaml"
            files["exclusions"] = out / f"exclusions.{format}"
            files["weights"] = write_table(weights_table(self.framework, self.weights),
                                           out / "weights", format)
            keep = self.recipe.keep
            for name, ds in self.datasets.items():
                if keep is not None and name not in keep:
                    continue  # (raw is held for exclusions, written only when kept by name)
                parts = dataset_parts(ds) if format == "csv" else dataset_arrow(ds)
                files[f"stages/{name}"] = write_table(parts, out / "stages" / name, format)
            self.recipe.to_yaml(files["recipe"])
            log = {"input": list(self.input_notes), "steps": [e.to_dict() for e in self.log]}
            yaml_text(log, files["log"])
            write_table(self.exclusions(), out / "exclusions", format)
            for step, fitted in self.fitted.items():
                for key, table in fitted.items():
                    if isinstance(table, pd.DataFrame):
                        stem = f"{output_name(step, 'step name')}.{output_name(key, 'table')}"
                        files[f"details/{stem}"] = write_table(
                            table, out / "details" / stem, format)
        return files

    def __repr__(self) -> str:
        state = "run" if self._ran else "not run"
        return (f"Build({self.recipe.name or 'unnamed'}, {self.framework!r}, "
                f"{len(self.panel.unit_codes)} units x {len(self.periods)} periods, {state})")

