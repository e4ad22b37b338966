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

from . import datasets as _datasets
from .dataset import DataSet
from .errors import InputError
from .framework import Framework, load_framework
from .methods.rank import rank as _rank
from .panel import Panel, read_panel
from .recipe import Recipe, load_recipe
from .steps.weight import weights_table

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
        }


def _load_panel(recipe: Recipe) -> Panel:
    spec = recipe.data
    if spec.dataset is not None:
        return _datasets.load(spec.dataset)
    path = Path(spec.path)
    if not path.is_absolute() and recipe.base_dir is not None:
        path = recipe.base_dir / path
    units = spec.units
    if units is not None and not Path(units).is_absolute() and recipe.base_dir is not None:
        units = str(recipe.base_dir / units)
    return read_panel(
        path,
        form=spec.form,
        unit=spec.unit,
        period=spec.period,
        indicator=spec.indicator,
        value=spec.value,
        measure_unit=spec.measure_unit,
        unit_name=spec.unit_name,
        groups=spec.groups,
        units=units,
        sheet=spec.sheet,
        sep=spec.sep,
        decimal=spec.decimal,
        na_values=spec.na_values,
    )


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

    Attributes
    ----------
    datasets : dict of str to DataSet
        Every data set by name, in the order produced (``raw`` first).
    log : list of LogEntry
        One entry per step run.
    fitted : dict of str to dict
        What each step learned from the data (e.g. normalisation bounds), by step name.

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
    ) -> None:
        if isinstance(recipe, Recipe):
            self.recipe = recipe
        elif isinstance(recipe, Mapping):
            self.recipe = Recipe.from_dict(recipe)
        else:
            self.recipe = load_recipe(recipe)
        self.framework = framework or load_framework(self.recipe.framework, self.recipe.base_dir)
        self.source_panel = panel if panel is not None else _load_panel(self.recipe)
        self.source_panel.check_framework(self.framework)
        periods = self.recipe.period_list(self.source_panel.periods)
        self.panel = self.source_panel.select(
            units=self.recipe.units, periods=periods, indicators=self.framework.indicator_codes
        )
        self.periods = periods
        self.datasets: dict[str, DataSet] = {}
        self.log: list[LogEntry] = []
        self.fitted: dict[str, dict[str, Any]] = {}
        self.weights: dict[str, Any] = {}  # weight sets by name (steps.weight.WeightSet)
        self.excluded: list[dict[str, Any]] = []
        self._ran = False

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
        previous = "raw"
        for pos, spec in enumerate(self.recipe.steps):
            name = spec.name or spec.step
            source = spec.input or previous
            if source not in self.datasets:
                raise InputError(
                    f"step {name!r} reads data set {source!r}, which does not exist yet",
                    [f"data sets so far: {', '.join(self.datasets)}"],
                )
            t0 = time.perf_counter()
            out, notes = spec.apply(self, name, self.datasets[source])
            if out is not None:  # steps that only record state (weight sets) return None
                self.datasets[spec.output] = out.renamed(spec.output)
            params = {**spec.model_dump(mode="json"), "name": name, "input": source}
            self.log.append(LogEntry(pos, name, spec.step, source, spec.output, params, notes,
                                     time.perf_counter() - t0))
            previous = spec.output if out is not None else source
        self._ran = True
        return self

    @property
    def is_run(self) -> bool:
        return self._ran

    def _require_run(self) -> None:
        if not self._ran:
            raise InputError("the build has not been run yet; call .run() first")

    def with_step(self, name: str, **changes: Any) -> Build:
        """A new (not yet run) build with one step's parameters changed.

        The framework and data are shared with this build, so a variant costs only the
        computation. Example: ``b.with_step("normalise", bounds="per_period").run()``.

        Raises
        ------
        InputError
            If no step has this name or the new parameters are invalid.
        """
        return Build(self.recipe.with_step(name, **changes), framework=self.framework,
                     panel=self.source_panel)

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

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, period, code, level, score, rank``; sorted by level (index first),
            code, period and rank.
        """
        ds = self.final
        ranks = _rank(ds.values, axis=1)
        p, u, c = ds.values.shape
        levels = {code: self.framework.level(code) for code in ds.codes}
        out = pd.DataFrame({
            "unit": np.tile(np.repeat(np.array(ds.units, dtype=object), c), p),
            "period": np.repeat(np.array(ds.periods), u * c),
            "code": np.tile(np.array(ds.codes, dtype=object), p * u),
            "score": ds.values.reshape(-1),
            "rank": ranks.reshape(-1),
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

        Every unit of the input panel is either in :meth:`results` or here.

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, period, step, reason`` (``period`` empty when the whole unit was
            removed); empty when every unit has a score in every period.
        """
        ds = self.final
        root = self.framework.root
        rows = list(self.excluded)
        if root not in ds.codes:
            return pd.DataFrame(rows, columns=["unit", "period", "step", "reason"])
        raw = self.datasets["raw"]
        raw_units = {u: i for i, u in enumerate(raw.units)}
        score = ds.column(root)
        for pi, ui in zip(*np.nonzero(np.isnan(score)), strict=True):
            ri = raw_units[ds.units[ui]]
            miss = [c for k, c in enumerate(raw.codes) if np.isnan(raw.values[pi, ri, k])]
            reason = (
                f"no {root} score: {len(miss)} of {len(raw.codes)} indicators missing "
                f"({', '.join(miss)})"
            )
            rows.append({"unit": ds.units[ui], "period": ds.periods[pi],
                         "step": self.log[-1].name, "reason": reason})
        return pd.DataFrame(rows, columns=["unit", "period", "step", "reason"])

    def log_table(self) -> pd.DataFrame:
        """The log as a table (one row per step)."""
        return pd.DataFrame([e.to_dict() for e in self.log])

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the build's outputs to a folder.

        Files: ``results.csv`` (tidy ``unit, period, code, level, score, rank``),
        ``stages/<data set>.csv`` (wide: ``unit, period`` and one column per code),
        ``recipe.yaml`` (the recipe as run, defaults filled in), ``log.yaml`` (every step with
        its parameters and notes), ``exclusions.csv`` and ``weights.csv`` (every weight set,
        with effective weights).

        Returns
        -------
        dict of str to pathlib.Path
            The files written.
        """
        self._require_run()
        out = Path(out_dir)
        (out / "stages").mkdir(parents=True, exist_ok=True)
        files = {"results": out / "results.csv", "recipe": out / "recipe.yaml",
                 "log": out / "log.yaml", "exclusions": out / "exclusions.csv",
                 "weights": out / "weights.csv"}
        self.results().to_csv(files["results"], index=False)
        weights_table(self).to_csv(files["weights"], index=False)
        for name, ds in self.datasets.items():
            path = out / "stages" / f"{name}.csv"
            ds.to_frame().reset_index().to_csv(path, index=False)
            files[f"stages/{name}"] = path
        self.recipe.to_yaml(files["recipe"])
        files["log"].write_text(
            yaml.safe_dump([e.to_dict() for e in self.log], sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        self.exclusions().to_csv(files["exclusions"], index=False)
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
