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

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .dataset import DataSet
from .dataspec import load_data
from .errors import GiproError, InputError, MethodError
from .framework import Framework, load_framework
from .methods.rank import rank as _rank
from .panel import Panel, fraction_warnings, total_row_warnings
from .recipe import Recipe, load_recipe
from .steps.denominate import DenominateStep
from .steps.weight import weights_table

#: Beginnings of the input notes on data variables outside the framework.
_VARIABLE_NOTES = ("data variables used as denominators (not indicators of the framework): ",
                   "data variables not in the framework (not used): ")

__all__ = ["Build", "DataSet", "LogEntry", "run"]


@dataclass
class LogEntry:
    """What one step did: its parameters as run and the policies it applied."""

    position: int
    name: str
    step: str
    input: str
    output: str
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False
    reused: bool = False

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


def _largest(ds: DataSet) -> str:
    """Where the largest magnitude value of a data set is, for overflow messages."""
    a = np.abs(ds.values)
    if not np.isfinite(a).any():
        return ""
    pi, ui, ci = np.unravel_index(np.nanargmax(np.where(np.isfinite(a), a, -1.0)), a.shape)
    return (f"largest magnitude in {ds.name!r}: {ds.values[pi, ui, ci]:.6g} ({ds.codes[ci]}, "
            f"unit {ds.units[ui]}, period {ds.periods[pi]})")


def _apply(spec: Any, build: Build, name: str, ds: DataSet) -> tuple[DataSet | None, list[str]]:
    """Run one step with floating-point overflow turned into an error, and check that its
    output has no infinite values (a number too large for float64 is never passed on as a
    score: it would turn a z-score or a range into 0 or NaN without any message)."""
    try:
        with np.errstate(over="raise"):
            out, notes = spec.apply(build, name, ds)
    except GiproError as exc:  # every error of a step names the step
        if exc.message.startswith(f"step {name!r}"):
            raise
        raise type(exc)(f"step {name!r}: {exc.message}", exc.details) from None
    except FloatingPointError:
        raise MethodError(
            f"step {name!r}: arithmetic overflow (numbers too large for floating point)",
            [d for d in (_largest(ds),) if d]
            + ["rescale the indicator (e.g. thousands or millions of its unit) or check the "
               "data for a wrong scale"],
        ) from None
    if out is not None:
        inf = np.isinf(out.values)
        if inf.any():
            pi, ui, ci = np.argwhere(inf)[0]
            raise MethodError(
                f"step {name!r} produced an infinite value for {out.codes[ci]}, unit "
                f"{out.units[ui]}, period {out.periods[pi]} ({int(inf.sum())} such values)",
                [d for d in (_largest(ds),) if d]
                + ["rescale the indicator or check the data for a wrong scale or a "
                   "near-zero denominator"],
            )
    return out, notes


def _chosen(periods: list[int], available: list[int]) -> str:
    """`` (chosen by the recipe's periods: from 2000-2019)`` when not every period is built."""
    if list(periods) == list(available) or not available:
        return ""
    return f" (chosen by the recipe's periods: from {available[0]}-{available[-1]})"


def _load_panel(recipe: Recipe, framework: Framework) -> Panel:
    groups = [v.code for v in framework.variables.values() if v.kind == "group"]
    return load_data(recipe.data, recipe.base_dir, known_groups=groups)


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
    frozen : mapping of str to dict, optional
        Parameters learnt by another build, by step name, that steps use instead of learning
        them from these data (``NormaliseStep.frozen_state``: scenario evaluation normalises
        changed data with the baseline's bounds). Empty by default.

    Attributes
    ----------
    datasets : dict of str to DataSet
        Every data set by name, in the order produced (``raw`` first).
    log : list of LogEntry
        One entry per step run.
    fitted : dict of str to dict
        What each step learned from the data (e.g. normalisation bounds) and the tables it
        recorded (e.g. ``fitted["treat"]["changes"]``), by step name.
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
        frozen: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.frozen: Mapping[str, Mapping[str, Any]] = frozen if frozen is not None else {}
        if isinstance(recipe, Recipe):
            self.recipe = recipe
        elif isinstance(recipe, Mapping):
            self.recipe = Recipe.from_dict(recipe)
        else:
            self.recipe = load_recipe(recipe)
        self.framework = framework or load_framework(self.recipe.framework, self.recipe.base_dir)
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
        empty = [c for c in self.framework.indicator_codes if self.panel.values[c].isna().all()]
        if empty:
            raise InputError(
                f"indicators with no data at all for any unit in {span}: {', '.join(empty)}",
                ["fill in the data, remove the indicators from the framework, or choose periods "
                 "where they have data"],
            )
        self.input_notes: list[str] = [
            f"framework {self.framework.code or self.framework.origin}: "
            f"{len(self.framework.indicator_codes)} indicators, "
            f"{len(self.framework.aggregate_codes)} aggregates",
            f"data {self.source_panel.origin}: {len(self.panel.unit_codes)} units, periods {span}"
            + _chosen(periods, self.source_panel.periods),
            *self.framework.notes,
            *getattr(self.source_panel, "notes", []),
        ]
        self.datasets: dict[str, DataSet] = {}
        self.log: list[LogEntry] = []
        self.fitted: dict[str, dict[str, Any]] = {}
        self.weights: dict[str, Any] = {}  # weight sets by name (steps.weight.WeightSet)
        self.excluded: list[dict[str, Any]] = []
        self.reused_steps = 0
        self.cache: dict[Any, Any] = {}  # inputs read by steps (e.g. denominator tables)
        self._parent: Build | None = None
        self._ran = False
        self.input_notes += self._variable_notes()
        # data that look wrong and are NOT changed: warnings in log.yaml (input), printed by
        # gipro run
        self.input_notes += total_row_warnings(self.panel)
        self.input_notes += fraction_warnings(
            self.panel, {c: self.framework.node(c).unit for c in self.framework.indicator_codes})

    # ------------------------------------------------------------------ running
    def run(self) -> Build:
        """Run every step of the recipe; returns the build itself (now holding its results).

        Raises
        ------
        InputError
            A step reads a data set that does not exist.
        MethodError
            A method cannot be applied to the data (message names indicator, unit, period).
        """
        start = self._reusable_prefix()
        if start:
            self._reuse(start)
        else:
            self.datasets = {
                "raw": DataSet(
                    "raw",
                    self.panel.cube(self.framework.indicator_codes, self.periods),
                    tuple(self.panel.unit_codes),
                    tuple(self.periods),
                    tuple(self.framework.indicator_codes),
                )
            }
            self.log = []
            self.fitted = {}
            self.weights = {}
            self.excluded = []
        self.reused_steps = start
        previous = "raw"
        lineage: dict[str, list[str]] = {"raw": []}  # kinds of the (enabled) steps behind a set
        for pos, spec in enumerate(self.recipe.steps):
            name = spec.name or spec.step
            source = spec.input or previous
            if pos < start:  # reused from the parent build
                if spec.writes_data_set:
                    lineage[spec.output] = [*lineage.get(source, []),
                                            *([] if spec.disable else [spec.step])]
                    previous = spec.output
                continue
            if source not in self.datasets:
                raise InputError(
                    f"step {name!r} reads data set {source!r}, which does not exist yet",
                    [f"data sets so far: {', '.join(self.datasets)}"],
                )
            if getattr(spec, "needs_normalised", False) and "normalise" not in lineage[source]:
                raise MethodError(
                    f"step {name!r} reads data set {source!r}, which has not been normalised",
                    ["indicator directions are applied by the normalise step; without it raw "
                     "values in different units would be combined with their directions "
                     "ignored. Add a normalise step before it."],
                )
            if spec.writes_data_set:
                lineage[spec.output] = [*lineage[source],
                                        *([] if spec.disable else [spec.step])]
            t0 = time.perf_counter()
            if spec.disable:
                out = self.datasets[source] if spec.writes_data_set else None
                notes = [f"skipped (disable: true): {spec.output!r} is {source!r} unchanged"
                         if spec.writes_data_set else "skipped (disable: true)"]
            else:
                out, notes = _apply(spec, self, name, self.datasets[source])
            if out is not None:  # steps that only record state (weight sets) return None
                self.datasets[spec.output] = out.renamed(spec.output)
            params = {**spec.model_dump(mode="json"), "name": name, "input": source}
            self.log.append(LogEntry(pos, name, spec.step, source, spec.output, params, notes,
                                     time.perf_counter() - t0, skipped=spec.disable))
            previous = spec.output if out is not None else source
        self._ran = True
        self.input_notes = [n for n in self.input_notes if not n.startswith(_VARIABLE_NOTES)]
        self.input_notes += self._variable_notes()  # now from what the steps actually read
        return self

    def _variable_notes(self) -> list[str]:
        """Input notes on the data variables that are not indicators of the framework: those
        a ``denominate`` step divides by ("used as denominators", with the steps) and the
        others ("not used").

        Before the build is run the denominators are those the recipe's enabled denominate
        steps name (framework field ``denominator`` and ``denominators:``); after it, those
        each step read from the build's data (``fitted[step]["from_data"]``: a denominator
        found in the step's ``table:`` is read from the table, not the data).
        """
        fw = set(self.framework.indicator_codes)
        extra = [c for c in self.source_panel.indicator_codes if c not in fw]
        if not extra:
            return []
        used: dict[str, list[str]] = {}
        for spec in self.recipe.steps:
            if not isinstance(spec, DenominateStep) or spec.disable:
                continue
            name = spec.name or spec.step
            if self._ran:
                dens = self.fitted.get(name, {}).get("from_data", [])
            else:
                dens = spec.pairs(self, self.framework.indicator_codes).values()
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

    @property
    def is_run(self) -> bool:
        return self._ran

    def _require_run(self) -> None:
        if not self._ran:
            raise InputError("the build has not been run yet; call .run() first")

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
        return variant

    def _reusable_prefix(self) -> int:
        """Number of leading steps whose results can be taken from the parent build."""
        parent = self._parent
        if (parent is None or not parent.is_run or parent.framework is not self.framework
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

    def _reuse(self, k: int) -> None:
        parent = self._parent
        assert parent is not None
        names = {e.name for e in parent.log[:k]}
        self.datasets = {"raw": parent.datasets["raw"]}
        for e in parent.log[:k]:
            if e.output in parent.datasets:
                self.datasets[e.output] = parent.datasets[e.output]
        outputs = {e.output for e in parent.log[:k]}
        self.weights = {s: w for s, w in parent.weights.items()
                        if s in outputs or s.split(".")[0] in names}
        self.log = [LogEntry(e.position, e.name, e.step, e.input, e.output, e.params,
                             list(e.notes), e.seconds, skipped=e.skipped, reused=True)
                    for e in parent.log[:k]]
        self.fitted = {n: v for n, v in parent.fitted.items() if n in names}
        self.excluded = [dict(r) for r in parent.excluded if r["step"] in names]

    # ------------------------------------------------------------------ output
    @property
    def final(self) -> DataSet:
        """The data set produced by the last step that produced one."""
        self._require_run()
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
        self._require_run()
        if name not in self.datasets:
            raise InputError(f"no data set {name!r}; available: {', '.join(self.datasets)}")
        return self.datasets[name].to_frame()

    def results(self) -> pd.DataFrame:
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

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, period, code, level, score, rank, children_scored, children``
            (the last two empty for indicators); sorted by level (index first), code, period
            and rank.
        """
        from .steps.aggregate import children_counts

        ds = self.final
        ranks = _rank(ds.values, axis=1)
        p, u, c = ds.values.shape
        levels = {code: self.framework.level(code) for code in ds.codes}
        used = next((self.fitted.get(e.name, {}).get("weights") for e in reversed(self.log)
                     if e.step == "aggregate" and not e.skipped and e.output == ds.name), None)
        scored, total = children_counts(self.framework, ds.codes, ds.values, used)
        na = np.broadcast_to(total == 0, scored.shape).reshape(-1)
        out = pd.DataFrame({
            "unit": np.tile(np.repeat(np.array(ds.units, dtype=object), c), p),
            "period": np.repeat(np.array(ds.periods), u * c),
            "code": np.tile(np.array(ds.codes, dtype=object), p * u),
            "score": ds.values.reshape(-1),
            "rank": ranks.reshape(-1),
            "children_scored": pd.arrays.IntegerArray(scored.reshape(-1), na.copy()),
            "children": pd.arrays.IntegerArray(np.tile(total, p * u), na.copy()),
        })
        out.insert(3, "level", out["code"].map(levels).astype(int))
        order = {code: i for i, code in enumerate(ds.codes)}
        out["_o"] = out["code"].map(order)
        out = out.sort_values(["level", "_o", "period", "rank", "unit"],
                              ascending=[False, True, True, True, True], na_position="last")
        out["rank"] = out["rank"].astype("Int64")
        return out.drop(columns="_o").reset_index(drop=True)

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
                for r in getattr(self.source_panel, "removed", [])]
        rows += [{"unit": u, "period": None, "step": "recipe",
                  "reason": "not selected: not in the recipe's units: list"}
                 for u in self.not_selected] + list(self.excluded)
        if root not in ds.codes:
            return pd.DataFrame(rows, columns=["unit", "period", "step", "reason"])
        raw = self.datasets["raw"]
        raw_units = {u: i for i, u in enumerate(raw.units)}
        inds = [c for c in ds.codes if c in set(raw.codes)]
        ind_idx = [ds.codes.index(c) for c in inds]
        why = self._missing_reasons()
        score = ds.column(root)
        for pi, ui in zip(*np.nonzero(np.isnan(score)), strict=True):
            unit, period = ds.units[ui], ds.periods[pi]
            if any(r["unit"] == unit and r["period"] in (None, period) for r in self.excluded):
                continue
            ri = raw_units[unit]
            raw_miss = [c for k, c in enumerate(raw.codes) if np.isnan(raw.values[pi, ri, k])]
            if len(raw_miss) == len(raw.codes):
                reason = (f"no {root} score: {len(raw.codes)} of {len(raw.codes)} indicators "
                          f"missing (no data in {period})")
            else:
                final_miss = [c for c, k in zip(inds, ind_idx, strict=True)
                              if np.isnan(ds.values[pi, ui, k])]
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
            rows.append({"unit": unit, "period": period, "step": self.log[-1].name,
                         "reason": reason})
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

    def write(self, out_dir: str | Path, *, lang: str = "en") -> dict[str, Path]:
        """Write the build's outputs to a folder.

        Files: ``results.csv`` (tidy ``unit, unit_name, period, code, code_name, level,
        score, rank``: the names in ``lang``, :func:`gipro.labels.with_names`),
        ``stages/<data set>.csv`` (wide: ``unit, period`` and one column per code),
        ``recipe.yaml`` (the recipe as run, defaults filled in), ``log.yaml`` (``input``: what
        was read and what was not used; ``steps``: every step with its parameters and notes),
        ``exclusions.csv``, ``weights.csv`` (every weight set, with effective weights) and
        ``details/<step>.<table>.csv`` for each table a step recorded in :attr:`fitted` (e.g.
        ``details/treat.changes.csv``: every value changed by outlier treatment;
        ``details/impute.imputed.csv``). Stale ``stages/*.csv`` of an earlier run in the same
        folder are removed.

        Returns
        -------
        dict of str to pathlib.Path
            The files written.
        """
        self._require_run()
        out = Path(out_dir)
        try:
            (out / "stages").mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InputError(f"cannot write outputs to {out}: a file of that name exists",
                             ["choose another --out folder"]) from None
        except OSError as exc:
            raise InputError(f"cannot write outputs to {out}: {exc.strerror}") from None
        for old in (out / "stages").glob("*.csv"):  # stale stages of an earlier run
            old.unlink()
        files = {"results": out / "results.csv", "recipe": out / "recipe.yaml",
                 "log": out / "log.yaml", "exclusions": out / "exclusions.csv",
                 "weights": out / "weights.csv"}
        try:
            from .labels import with_names

            with_names(self.results(), getattr(self.source_panel, "units", None),
                       self.framework, lang).to_csv(files["results"], index=False)
            weights_table(self).to_csv(files["weights"], index=False)
            for name, ds in self.datasets.items():
                path = out / "stages" / f"{name}.csv"
                ds.to_frame().reset_index().to_csv(path, index=False)
                files[f"stages/{name}"] = path
            self.recipe.to_yaml(files["recipe"])
            log = {"input": list(self.input_notes), "steps": [e.to_dict() for e in self.log]}
            files["log"].write_text(yaml.safe_dump(log, sort_keys=False, allow_unicode=True),
                                    encoding="utf-8")
            self.exclusions().to_csv(files["exclusions"], index=False)
            for step, fitted in self.fitted.items():
                for key, table in fitted.items():
                    if isinstance(table, pd.DataFrame):
                        path = out / "details" / f"{step}.{key}.csv"
                        path.parent.mkdir(exist_ok=True)
                        table.to_csv(path, index=False)
                        files[f"details/{step}.{key}"] = path
        except OSError as exc:
            raise InputError(f"cannot write outputs to {out}: {exc.strerror or exc}",
                             [f"file: {exc.filename}"] if exc.filename else None) from None
        return files

    def __repr__(self) -> str:
        state = "run" if self._ran else "not run"
        return (f"Build({self.recipe.name or 'unnamed'}, {self.framework!r}, "
                f"{len(self.panel.unit_codes)} units x {len(self.periods)} periods, {state})")


def run(recipe: Recipe | str | Path | Mapping[str, Any] | None = None, **kwargs: Any) -> Build:
    """Build and run a recipe (default: the built-in China provinces recipe).

    Parameters
    ----------
    recipe : Recipe, str, path or mapping, optional
        See :class:`Build`.
    **kwargs
        ``framework=`` or ``panel=`` overrides, passed to :class:`Build`.

    Returns
    -------
    Build
        The build after running every step.
    """
    return Build(recipe, **kwargs).run()
