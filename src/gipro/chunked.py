"""Builds chunked over units on a Dask cluster: the same recipe, steps and numbers as
:class:`gipro.Build`, for panels that do not fit one process.

A :class:`ChunkedBuild` never holds the data cube in one process. Its data are read block by
block of units (:mod:`gipro.blocks`: Parquet row groups); every data set is a Dask array of
shape (periods, units, codes) chunked over units, with the labels of an in-memory data set.
The steps run through the build's own runner (:class:`gipro.steps.run.Stepper`) with their own
code:

* ``prepare`` as in memory (it reads labels only);
* ``fit_chunked``: the step's fit from Dask reductions (bounds, counts, moments, order
  statistics) through the code that turns statistics into its fit in memory, so its rules and
  messages are the same (each step's docs say which methods can; the others stop the build at
  once, naming the step and method, before any data are read);
* ``transform`` block by block of units (``block_plan``: the plan and fit of a block),
  under the runner's guard (overflow, infinite values, the step's name in every error).

Outputs (:meth:`ChunkedBuild.write`) are the files of :meth:`gipro.Build.write` in Parquet,
big tables as partitioned Parquet (a folder ``results.parquet/`` of part files, which
``pandas.read_parquet`` reads as one table with the in-memory build's columns). Ranks per
period are exact: each code's scores are read back whole (periods x units of one code) and
ranked by :func:`gipro.methods.rank.rank`. Everything is written to a hidden folder next to
the output folder and moved into place when complete: an interrupted run leaves no output that
looks complete.

Usage::

    from distributed import Client
    import gipro
    with Client(n_workers=2, memory_limit="1GB") as client:
        build = gipro.run("recipe.yaml", client=client)   # a ChunkedBuild
        build.write("out")

or ``gipro run recipe.yaml --workers 2 --memory-limit 1GB --format parquet``.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .blocks import (
    BLOCK_BYTES,
    BlockData,
    block_cube,
    block_plausibility,
    open_data,
    read_block,
)
from .build import (
    LogEntry,
    check_observed,
    data_notes,
    renew_variable_notes,
    result_columns,
    results_tables,
    unscored_rows,
    variable_notes,
)
from .dataset import DataSet
from .errors import InputError
from .framework import Framework, load_framework
from .methods.rank import rank as _rank
from .panel import (
    Panel,
    fraction_notes,
    join_plausibility_hits,
    period_spans,
    plausibility_notes,
    total_row_warnings,
)
from .paths import output_name, recording_inputs
from .recipe import Recipe, load_recipe
from .steps.base import StepContext, StepResult, StepSpec
from .steps.chunks import block_offsets, compute, from_blocks, reduce_blocks
from .steps.run import Record, State, Stepper, guarded
from .steps.weight import WeightSet, weights_table
from .tables import dataset_arrow, output_folder, write_table, yaml_text
from .units import is_percent_unit

__all__ = ["CHUNKED_NOTE", "ChunkedBuild", "apply_block", "read_column", "transform_blocks",
           "write_block"]

#: The note of every step of a chunked build (what is not made, and why).
CHUNKED_NOTE = ("run chunked over units on a Dask cluster: the step's notes that list units and "
                "its tables of every value changed (details/) are not made; run the build in "
                "one process for them")

#: Rows per part of the results when a code's rows are written.
RESULT_ROWS = 1_000_000


class LazyBlockPanel:
    """The source panel of one block of units, read when a step first asks for it (in the
    task that transforms the block: the ``denominate`` step's denominators)."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        self._args = args
        self._panel: Panel | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._panel is None:
            self._panel = read_block(self._args)
        return getattr(self._panel, name)


def apply_block(spec: StepSpec, name: str, plan: Any, fit: Any, parts: tuple[Any, ...],
                source: tuple[Any, ...], x: np.ndarray, units: tuple[str, ...],
                periods: tuple[int, ...], codes: tuple[str, ...], dataset: str) -> np.ndarray:
    """One step on one block of units (a task): the block's inputs, the transform, under the
    runner's guard (:func:`gipro.steps.run.guarded`: overflow, infinite values and the
    step's name, naming units of this block)."""
    framework, base_dir, cache = parts
    ctx = StepContext(framework, None, LazyBlockPanel(source), periods, cache=dict(cache),
                      base_dir=base_dir)
    ds = DataSet(dataset, x, units, periods, codes)

    def run() -> StepResult:
        plan_b = spec.block_inputs(ctx, plan, ds)
        y = spec.transform(plan_b, fit, x)
        out_units, out_codes = spec.labels(plan_b, fit, ds)
        return StepResult(DataSet(spec.output, y, out_units, periods, out_codes))

    result = guarded(name, ds, run)
    assert result.data is not None
    return result.data.values


def transform_blocks(build: ChunkedBuild) -> Any:
    """The runner's block-by-block transform for ``build``: ``f(spec, name, plan, fit, ds)``
    -> the output values, a Dask array chunked over units."""

    def transform(spec: StepSpec, name: str, plan: Any, fit: Any, ds: DataSet) -> Any:
        from dask import delayed

        x = ds.values
        p, k = len(ds.periods), len(ds.codes)
        parts_d = delayed((build.framework, build.recipe.base_dir, build.cache), pure=False)
        outs, shapes = [], []
        blocks = x.to_delayed(optimize_graph=False).reshape(-1)
        for b, a, n in zip(blocks, block_offsets(x), x.chunks[1], strict=True):
            plan_b, fit_b = spec.block_plan(plan, fit, a, a + n)
            units = tuple(ds.units[a:a + n])
            shape = DataSet(ds.name, np.broadcast_to(np.float64(np.nan), (p, n, k)), units,
                            ds.periods, ds.codes)
            out_units, out_codes = spec.labels(plan_b, fit_b, shape)
            d = delayed(apply_block, pure=False)(
                spec, name, plan_b, fit_b, parts_d, build.source_panel.block_args(units), b,
                units, ds.periods, ds.codes, ds.name)
            outs.append(d)
            shapes.append((p, len(out_units), len(out_codes)))
        return from_blocks(outs, shapes)

    return transform


class ChunkedLogEntry(LogEntry):
    """A step of a chunked build in the log: its parameters as run and :data:`CHUNKED_NOTE`
    (with what the step's fit says, :meth:`gipro.steps.base.StepSpec.chunked_notes`)."""

    def __init__(self, record: Record, spec: Any, notes: list[str]) -> None:
        super().__init__(record, spec)
        self._notes = notes

    @property
    def notes(self) -> list[str]:
        if self.skipped:
            return super().notes
        return list(self._notes)


def _as_recipe(recipe: Recipe | str | Path | Mapping[str, Any] | None) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, Mapping):
        return Recipe.from_dict(recipe)
    return load_recipe(recipe)


def _observed_block(block: np.ndarray, start: int, pct: list[int]) -> tuple[Any, ...]:
    obs = (~np.isnan(block)).any(axis=(0, 1))
    if not pct:
        return obs, None, None
    x = block[..., pct]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units without values: NaN
        return obs, np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)


def _observed_join(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    if a[1] is None:
        return a[0] | b[0], None, None
    return (a[0] | b[0], np.concatenate([a[1], b[1]]), np.concatenate([a[2], b[2]]))


class ChunkedBuild:
    """A build chunked over units on a Dask cluster (see the module docstring).

    Parameters
    ----------
    recipe : Recipe, str, path or mapping, optional
        As :class:`gipro.Build`.
    client : distributed.Client
        The cluster to run on (:func:`gipro.cluster.connect`).
    framework : Framework, optional
        Use this framework instead of loading the recipe's.
    block_units : int, optional
        Units per block (default: blocks of about :data:`gipro.blocks.BLOCK_BYTES` of values).
    temp_dir : str or path, optional
        Where a CSV file is partitioned by unit (a temporary folder made there and deleted by
        :meth:`close`; default the system's temporary folder, :func:`tempfile.gettempdir`).
        On a cluster of several machines, a folder every worker can read.

    Attributes
    ----------
    datasets : dict of str to DataSet
        Every data set, its values a Dask array chunked over units (nothing computed).
    fits, weights, excluded, log, input_notes, not_selected :
        As :class:`gipro.Build`.

    Raises
    ------
    InputError, FrameworkError
        As :class:`gipro.Build` (the checks that need values run in :meth:`run`).
    """

    def __init__(self, recipe: Recipe | str | Path | Mapping[str, Any] | None = None, *,
                 client: Any, framework: Framework | None = None,
                 block_units: int | None = None,
                 temp_dir: str | Path | None = None) -> None:
        self.client = client
        self.inputs: set[Path] = set()  # the files read: no output may replace one
        with recording_inputs(self.inputs):
            self.recipe = _as_recipe(recipe)
            self.framework = framework or load_framework(self.recipe.framework,
                                                         self.recipe.base_dir)
            groups = [v.code for v in self.framework.variables.values() if v.kind == "group"]
            self.source_panel: BlockData = open_data(self.recipe.data, self.recipe.base_dir,
                                                     groups, temp_dir)
        try:
            self._set_up(block_units)
        except BaseException:
            self.close()
            raise

    def _set_up(self, block_units: int | None) -> None:
        self.source_panel.check_framework(self.framework)
        periods = self.recipe.period_list(self.source_panel.periods)
        self.panel = self.source_panel.select(units=self.recipe.units)
        self.periods = periods
        chosen = set(self.panel.unit_codes)
        self.not_selected = [u for u in self.source_panel.unit_codes if u not in chosen]
        if not self.panel.unit_codes:
            raise InputError("no units to build: the data (or the recipe's units:) select none")
        self.input_notes: list[str] = data_notes(self.framework, self.source_panel,
                                                 len(self.panel.unit_codes), periods)
        self.input_notes += variable_notes(self.framework, self.recipe,
                                           self.source_panel.indicator_codes, None)
        self.input_notes += total_row_warnings(self.panel)  # type: ignore[arg-type]
        codes = self.framework.indicator_codes
        size = block_units or max(1, BLOCK_BYTES // (8 * len(periods) * max(len(codes), 1)))
        units = self.panel.unit_codes
        self.blocks = [tuple(units[a:a + size]) for a in range(0, len(units), size)]
        self.cache: dict[Any, Any] = {}
        self.datasets: dict[str, DataSet] = {}
        self.fits: dict[str, Any] = {}
        self.weights: dict[str, WeightSet] = {}
        self.excluded: list[dict[str, Any]] = []
        self.log: list[LogEntry] = []
        self.records: tuple[Record, ...] = ()
        self.seconds: dict[str, float] = {}
        self._parts: dict[str, Path] = {}
        self.context: StepContext | None = None
        #: the last period's scores and ranks of the index and its dimensions (write)
        self._ranking: tuple[int, dict[str, np.ndarray], dict[str, np.ndarray]] | None = None
        self._ran = False

    def close(self) -> None:
        """Delete the temporary partition of a CSV source (:class:`gipro.blocks.CsvPartition`;
        also done when the build is collected or Python exits): the build cannot compute
        its data sets after this (what :meth:`write` wrote stays)."""
        self.source_panel.close()

    def __enter__(self) -> ChunkedBuild:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ running
    def raw(self) -> DataSet:
        """The raw data set: a Dask array of the blocks of units, each read by its task."""
        from dask import delayed

        codes, periods = tuple(self.framework.indicator_codes), tuple(self.periods)
        parts = [delayed(block_cube, pure=False)(self.panel.block_args(units), codes, periods)
                 for units in self.blocks]
        shapes = [(len(periods), len(units), len(codes)) for units in self.blocks]
        return DataSet("raw", from_blocks(parts, shapes), tuple(self.panel.unit_codes),
                       periods, codes)

    def run(self) -> ChunkedBuild:
        """Check the raw data (one pass) and fit every step (the passes its fits need);
        the data sets stay lazy until :meth:`write`.

        Raises
        ------
        InputError, MethodError
            As :meth:`gipro.Build.run`; a step or method that cannot run chunked over units
            (before any data are read).
        """
        from .cluster import connect

        names = self.recipe.step_names()
        for name, spec in zip(names, self.recipe.steps, strict=True):
            why = None if spec.disable else spec.chunked_refusal()
            if why is not None:
                raise spec.not_chunked(name, why)
        t0 = time.perf_counter()
        with connect(client=self.client):
            raw = self.raw()
            self._check_raw(raw)
            self.seconds["check"] = time.perf_counter() - t0
            stepper = Stepper(self.framework, self.panel, self.source_panel, self.periods,
                              names, {}, self.cache, self.recipe.base_dir,
                              blocks=transform_blocks(self))
            state = stepper.initial_state(raw)
            for pos, spec in enumerate(self.recipe.steps):
                state = stepper.step(state, pos, spec, record=False)
        self._set_state(state, stepper)
        self.seconds["fit"] = time.perf_counter() - t0 - self.seconds["check"]
        self._ran = True
        return self

    def _check_raw(self, raw: DataSet) -> None:
        """What :class:`gipro.Build` checks on the values when it is made: indicators
        without any value (an error), % indicators that look like fractions and values that
        look wrong (warnings, :func:`gipro.panel.plausibility_warnings`)."""
        fw = self.framework
        codes = list(raw.codes)
        pct = [k for k, c in enumerate(codes) if is_percent_unit(fw.node(c).unit)]
        obs, lo, hi = compute(reduce_blocks(
            raw.values, lambda b, s: _observed_block(b, s, pct), _observed_join))[0]
        span = (f"{self.periods[0]}-{self.periods[-1]}" if len(self.periods) > 1
                else str(self.periods[0]))
        check_observed(codes, obs, span)
        if pct:
            self._fraction_notes(raw, pct, lo, hi)
        # implausible values: each block's panel through the in-memory rule, hits joined
        from dask import delayed

        measure = {c: fw.node(c).unit for c in fw.indicator_codes}
        hits = compute(*[delayed(block_plausibility, pure=False)(
            self.panel.block_args(units), measure, self.periods) for units in self.blocks])
        self.input_notes += plausibility_notes(
            functools.reduce(join_plausibility_hits, hits, {}), list(measure))

    def _fraction_notes(self, raw: DataSet, pct: list[int], lo: np.ndarray, hi: np.ndarray
                        ) -> None:
        """The warnings of :func:`gipro.panel.fraction_warnings` (% indicators whose units'
        values all look like fractions) from each unit's smallest and largest values."""
        codes = list(raw.codes)
        units = np.array(raw.units, dtype=object)
        index = {u: i for i, u in enumerate(raw.units)}

        def periods_of(code: str, unit: str) -> str:
            col = np.asarray(compute(raw.values[:, index[unit], codes.index(code)])[0])
            return period_spans([p for p, v in zip(raw.periods, col, strict=True)
                                 if not np.isnan(v)])

        self.input_notes += fraction_notes([codes[k] for k in pct], units, lo, hi, periods_of)

    def _set_state(self, state: State, stepper: Stepper) -> None:
        self.records = state.records
        self.datasets = dict(state.datasets)
        self.fits = dict(state.fits)
        self.weights = dict(state.weights)
        self.excluded = [dict(r) for r in state.excluded]
        ctx = stepper.context(state)
        self.context = ctx
        self.log = []
        for r in state.records:
            spec = self.recipe.steps[r.position]
            notes = [] if r.skipped else [
                CHUNKED_NOTE, *spec.chunked_notes(ctx, r.name, r.result.plan, r.result.fit)]
            self.log.append(ChunkedLogEntry(r, spec, notes))
        self.input_notes = renew_variable_notes(self.input_notes, variable_notes(
            self.framework, self.recipe, self.source_panel.indicator_codes, self.records))

    @property
    def is_run(self) -> bool:
        return self._ran

    @property
    def result_codes(self) -> list[str]:
        """The codes of :meth:`results`, in its order (index first).

        Raises
        ------
        InputError
            Not written yet.
        """
        if not self._parts:
            raise InputError("the results of a chunked build are read from its outputs: "
                             "call .write(folder) first")
        return list(self._parts)

    def require_run(self) -> None:
        """Raise unless the build has been run.

        Raises
        ------
        InputError
        """
        if not self._ran:
            raise InputError("the build has not been run yet; call .run() first")

    @property
    def final(self) -> DataSet:
        """The data set produced by the last step that produced one."""
        self.require_run()
        for entry in reversed(self.log):
            if entry.output in self.datasets and entry.step != "weight":
                return self.datasets[entry.output]
        return self.datasets["raw"]

    def details(self) -> dict[str, pd.DataFrame]:
        """The small step tables of ``details/`` a chunked build makes, by
        ``<step name>.<table>`` (:meth:`gipro.steps.base.StepSpec.chunked_tables`: e.g.
        ``treat.summary``, per period and indicator), computed on the cluster (the passes
        over the data they need). The tables of every value changed are not made.

        Raises
        ------
        InputError
            Not run yet.
        """
        self.require_run()
        assert self.context is not None  # (set by run)
        out: dict[str, pd.DataFrame] = {}
        with compute_on(self.client):
            for r in self.records:
                if r.skipped or r.result is None or r.input not in self.datasets \
                        or r.output not in self.datasets:
                    continue
                spec = self.recipe.steps[r.position]
                tables = spec.chunked_tables(self.context, r.name, r.result.plan, r.result.fit,
                                             self.datasets[r.input], self.datasets[r.output])
                out.update({f"{r.name}.{k}": t for k, t in tables.items()})
        return out

    def weights_used(self, dataset: str) -> dict[str, dict[str, float]] | None:
        """As :meth:`gipro.Build.weights_used`."""
        rec = next((r for r in reversed(self.records) if r.kind == "aggregate"
                    and not r.skipped and r.output == dataset), None)
        if rec is None or rec.result is None:
            return None
        return self.recipe.steps[rec.position].weights_used(rec.result.plan, rec.result.fit)

    def kept(self) -> list[str]:
        """The data sets written as stages: every one, or ``raw`` and the recipe's ``keep``."""
        if self.recipe.keep is None:
            return list(self.datasets)
        return [n for n in self.datasets if n in {"raw", *self.recipe.keep}]

    # ------------------------------------------------------------------ output
    def results(self, codes: Sequence[str] | None = None,
                periods: Sequence[int] | None = None, *,
                units: Sequence[str] | None = None, top: int | None = None) -> pd.DataFrame:
        """As :meth:`gipro.Build.results` (same columns and types), read back from the
        results written by :meth:`write`: only the rows of ``periods``, ``units`` and ranked
        ``top`` or better are read (filters on the files).

        Raises
        ------
        InputError
            Not written yet; none of ``codes`` in the final data set.
        """
        import pyarrow.parquet as pq

        wanted = [c for c in self.result_codes if codes is None or c in set(codes)]
        if not wanted:
            raise InputError(f"no code of {list(codes or [])} in the build's final data set")
        filters: list[tuple[str, str, Any]] = []
        if periods is not None:
            filters.append(("period", "in", [int(p) for p in periods]))
        if units is not None:
            filters.append(("unit", "in", [str(u) for u in units]))
        if top is not None:
            filters.append(("rank", "<=", int(top)))
        frames = []
        for c in wanted:
            t = pq.read_table(self._parts[c], columns=[
                "unit", "period", "code", "level", "score", "rank", "children_scored",
                "children"], filters=filters or None).to_pandas()
            frames.append(pd.DataFrame({
                "unit": t["unit"].astype(object).to_numpy(),
                "period": t["period"].to_numpy(dtype=np.int64),
                "code": t["code"].astype(object).to_numpy(),
                "level": t["level"].to_numpy(dtype=int),
                "score": t["score"].to_numpy(dtype=float),
                **{k: t[k].astype("Int64").array for k in ("rank", "children_scored",
                                                           "children")}}))
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def write(self, out_dir: str | Path, format: str = "parquet", *, lang: str = "en",
              ranking: bool = False, stages: str = "stages", kind: str = "build",
              tables: Mapping[str, pd.DataFrame] | None = None,
              details: str | None = "details") -> dict[str, Path]:
        """Write the outputs of :meth:`gipro.Build.write` in Parquet: ``results.parquet/``
        and ``stages/<data set>.parquet/`` as folders of part files (one per code, one per
        block of units), ``weights.parquet``, ``exclusions.parquet``, ``recipe.yaml``,
        ``log.yaml`` (and ``ranking.parquet`` with ``ranking``:
        :func:`gipro.results.ranking_table`). One pass over the data computes every data set
        kept; then each code's scores are read back and ranked. Everything is written to a
        hidden folder beside ``out_dir`` and moved into it at the end.

        ``stages`` is the folder of the data sets inside ``out_dir`` (``""``: beside the
        results, as ``gipro export`` writes them), ``kind`` the output folder's kind
        (:func:`gipro.tables.output_folder`) and ``tables`` more tables to write as
        ``<key>.parquet`` (small ones, made in this process: the export's framework, log...).
        ``details`` is the folder of the small step tables (:meth:`details`; ``None``: not
        written).

        Raises
        ------
        InputError
            A format other than Parquet; the folder cannot be written.
        """
        self.require_run()
        if format != "parquet":
            raise InputError(f"a build chunked over units writes Parquet, not {format!r}",
                             ["use --format parquet (the tables are folders of Parquet parts)"])
        out = Path(out_dir)
        for name in self.datasets:
            output_name(name, "data set name")
        extra = dict(tables or {})
        for key in extra:
            output_name(key, "table")
        steps = {} if details is None else self.details()  # (small: made before any file)
        top = ["results.parquet", "weights.parquet", "exclusions.parquet", "recipe.yaml",
               "log.yaml", *(_inside(stages, f"{n}.parquet") for n in self.kept()),
               *(["ranking.parquet"] if ranking else []), *(f"{k}.parquet" for k in extra),
               *(_inside(details or "", f"{k}.parquet") for k in steps)]
        with recording_inputs(self.inputs), output_folder(out, kind=kind) as folder:
            folder.check([out / t for t in top])  # before any work: nothing of the user's
            for rel in top:  # nor in gipro's earlier folders of parts, replaced whole
                check_parts_folder(out / rel)
            tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
            try:
                tmp.mkdir()
                (tmp / stages).mkdir(exist_ok=True)
                t0 = time.perf_counter()
                with compute_on(self.client):
                    files = self._write(tmp, lang, tmp / stages)
                for key, table in steps.items():
                    (tmp / (details or "")).mkdir(exist_ok=True)
                    files[_inside(details or "", key)] = write_table(
                        table, tmp / (details or "") / key, "parquet")
                for key, table in extra.items():
                    if key in files:  # (the export's log table beside log.yaml)
                        moved = files.pop(key)
                        files[moved.name] = moved
                    files[key] = write_table(table, tmp / key, "parquet")
                if ranking and self.framework.root in self.final.codes:
                    from .results import ranking_table

                    files["ranking"] = write_table(ranking_table(self, lang=lang),
                                                   tmp / "ranking", "parquet")
                self.seconds["write"] = time.perf_counter() - t0
                for rel in top:  # complete: moved in, each entry checked and listed
                    if (tmp / rel).exists():
                        _move_in(tmp / rel, folder.target(out / rel))
                self._parts = {c: out / p.relative_to(tmp) for c, p in self._parts.items()}
                return {k: out / p.relative_to(tmp) for k, p in files.items()}
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)

    def _write(self, tmp: Path, lang: str, stages: Path) -> dict[str, Path]:
        from dask import delayed

        final = self.final
        kept = self.kept()
        store = final.name if final.name in kept else "_final"
        folders = {n: stages / f"{n}.parquet" for n in kept}
        if store == "_final":
            folders["_final"] = tmp / "_final.parquet"
        for f in folders.values():
            f.mkdir()
        root = self.framework.root
        raw = self.datasets["raw"]
        arrays = {n: self.datasets[n if n != "_final" else final.name].values
                  for n in folders}
        blocks = {n: a.to_delayed(optimize_graph=False).reshape(-1)
                  for n, a in arrays.items()}
        offsets = {n: block_offsets(a) for n, a in arrays.items()}
        raw_blocks = raw.values.to_delayed(optimize_graph=False).reshape(-1)
        last = self.log[-1].name if self.log else "raw"
        excluded = [(r["unit"], r["period"]) for r in self.excluded]
        tasks = []
        n_blocks = len(raw_blocks)
        for i in range(n_blocks):
            labels = {n: self._labels(n if n != "_final" else final.name, offsets[n][i],
                                      arrays[n].chunks[1][i]) for n in folders}
            tasks.append(delayed(write_block, pure=False)(
                i, {n: blocks[n][i] for n in folders}, labels,
                {n: str(f) for n, f in folders.items()},
                raw_blocks[i] if root in final.codes else None,
                self._labels("raw", block_offsets(raw.values)[i], raw.values.chunks[1][i]),
                final.name if store != "_final" else "_final", root, excluded, last))
        unscored = [r for rows in compute(*tasks) for r in rows]
        files: dict[str, Path] = {}
        for n in kept:
            files[folders[n].relative_to(tmp).with_suffix("").as_posix()] = folders[n]
        files["results"] = tmp / "results.parquet"
        self._write_results(files["results"], folders[store], final, lang)
        if store == "_final":
            shutil.rmtree(folders["_final"])
        files["weights"] = write_table(weights_table(self.framework, self.weights),
                                       tmp / "weights", "parquet")
        files["exclusions"] = write_table(self.exclusions(unscored), tmp / "exclusions",
                                          "parquet")
        files["recipe"] = tmp / "recipe.yaml"
        self.recipe.to_yaml(files["recipe"])
        files["log"] = tmp / "log.yaml"
        log = {"input": list(self.input_notes), "steps": [e.to_dict() for e in self.log]}
        files["log"].write_text(yaml_text(log), encoding="utf-8")
        return files

    def period_columns(self, codes: Sequence[str], period: int
                       ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """As :meth:`gipro.Build.period_columns`: the ranking's codes in the last period as
        kept by :meth:`write` (read once from the written blocks), others read back from
        the results.

        Raises
        ------
        InputError
            Not written yet; a code or the period not in the results.
        """
        kept = self._ranking
        if kept is not None and period == kept[0] and all(c in kept[1] for c in codes):
            return ({c: kept[1][c] for c in codes}, {c: kept[2][c] for c in codes})
        res = self.results(codes=codes, periods=[period])
        where = {u: i for i, u in enumerate(self.final.units)}
        score, rank = {}, {}
        for c in codes:
            rows = res[res["code"] == c]
            if rows.empty:
                raise InputError(f"code {c!r} is not in the build's results for {period}")
            pos = rows["unit"].map(where).to_numpy(dtype=np.int64)
            score[c] = np.full(len(where), np.nan)
            rank[c] = np.full(len(where), np.nan)
            score[c][pos] = rows["score"].to_numpy(dtype=float)
            rank[c][pos] = rows["rank"].to_numpy(dtype=float, na_value=np.nan)
        return score, rank

    def partial_scores(self, code: str) -> pd.DataFrame:
        """The rows of :meth:`results` of aggregate ``code`` whose score rests on part of
        its children (``children_scored < children``), read with that filter: the other
        rows (most of a big build's) never reach this process.

        Raises
        ------
        InputError
            Not written yet; ``code`` not among the written results.
        """
        import pyarrow.compute as pc
        import pyarrow.dataset as pads

        if code not in self._parts:
            raise InputError(f"no results of {code!r}: call .write(folder) first"
                             if not self._parts else f"code {code!r} is not in the results")
        table = pads.dataset(self._parts[code], format="parquet").to_table(
            columns=["unit", "period", "children_scored", "children"],
            filter=pc.field("children_scored") < pc.field("children"))
        return table.to_pandas()

    def _labels(self, name: str, start: int, n: int) -> tuple[Any, ...]:
        ds = self.datasets[name]
        return (tuple(ds.units[start:start + n]), tuple(ds.periods), tuple(ds.codes))

    def _write_results(self, folder: Path, store: Path, final: DataSet, lang: str) -> None:
        from .labels import unit_labels

        folder.mkdir()
        parts = sorted(store.glob("part-*.parquet"))
        codes = list(final.codes)
        p, u = len(final.periods), len(final.units)

        def column(k: int) -> np.ndarray:
            return read_column(parts, codes[k], p, u)

        def scored(kids: list[int]) -> np.ndarray:
            acc = np.zeros((p, u), dtype=np.int64)
            for k in kids:
                acc += ~np.isnan(column(k))
            return acc

        units = list(final.units)
        names = unit_labels(getattr(self.source_panel, "units", None), units, lang)
        wanted = self.recipe.result_codes(codes, self.framework.aggregate_codes)
        columns = result_columns(self.framework, final.units, final.periods, final.codes,
                                 self.weights_used(final.name), column, scored, wanted,
                                 by_period=True)
        self._parts = {}
        by_code = itertools.groupby(columns, key=lambda item: item[0])
        for j, (code, items) in enumerate(by_code):  # one part per code, a row group per period
            self._parts[code] = write_table(
                results_tables(self.framework, units, names, lang, items, rows=RESULT_ROWS),
                folder / f"part-{j:05d}", "parquet")
        # the ranking's columns (the index and its dimensions in the last period): one
        # period of a few codes, ranked as the results (gipro.methods.rank.rank)
        fw = self.framework
        shown = [c for c in [fw.root, *fw.children(fw.root)] if c in codes]
        last = {c: column(codes.index(c))[-1].copy() for c in shown}
        self._ranking = (final.periods[-1], last,
                         {c: _rank(last[c][None, :], axis=1)[0] for c in shown})

    def exclusions(self, unscored: Sequence[dict[str, Any]] = ()) -> pd.DataFrame:
        """As :meth:`gipro.Build.exclusions`, with the rows of the unit-periods without an
        index score found block by block (``unscored``, made by :meth:`write`)."""
        rows = [{"unit": r["unit"], "period": None, "step": "data", "reason": r["reason"]}
                for r in getattr(self.source_panel, "removed", [])]
        rows += [{"unit": u, "period": None, "step": "recipe",
                  "reason": "not selected: not in the recipe's units: list"}
                 for u in self.not_selected] + list(self.excluded)
        where = {u: i for i, u in enumerate(self.final.units)}
        periods = {p: i for i, p in enumerate(self.final.periods)}
        rows += sorted(unscored, key=lambda r: (periods[r["period"]], where[r["unit"]]))
        return pd.DataFrame(rows, columns=["unit", "period", "step", "reason"])

    def __repr__(self) -> str:
        state = "run" if self._ran else "not run"
        return (f"ChunkedBuild({self.recipe.name or 'unnamed'}, {self.framework!r}, "
                f"{len(self.panel.unit_codes)} units x {len(self.periods)} periods in "
                f"{len(self.blocks)} blocks, {state})")


def compute_on(client: Any) -> Any:
    """The client as the current one (dask.compute runs on it)."""
    from .cluster import connect

    return connect(client=client)


def write_block(i: int, blocks: dict[str, np.ndarray], labels: dict[str, tuple[Any, ...]],
                folders: dict[str, str], raw: np.ndarray | None, raw_labels: tuple[Any, ...],
                final: str, root: str, excluded: list[tuple[str, Any]], step: str
                ) -> list[dict[str, Any]]:
    """Write block ``i`` of each data set kept (a task): ``<folder>/part-<i>.parquet``;
    return the exclusions of its unit-periods without a ``root`` score."""
    out: list[dict[str, Any]] = []
    for name, x in blocks.items():
        units, periods, codes = labels[name]
        ds = DataSet(name, x, units, periods, codes)
        write_table(dataset_arrow(ds), Path(folders[name]) / f"part-{i:05d}", "parquet")
        if name == final and raw is not None:
            out = unscored_rows(root, DataSet("raw", raw, *raw_labels), ds,
                                [{"unit": u, "period": p} for u, p in excluded], {}, step)
    return out


def read_column(parts: Sequence[Path], code: str, n_periods: int, n_units: int) -> np.ndarray:
    """One code's values from a data set written block by block (rows by unit, then
    period), shape (P, U)."""
    import pyarrow.parquet as pq

    cols = [pq.read_table(p, columns=[code]).column(0).to_numpy(zero_copy_only=False)
            for p in parts]
    flat = np.concatenate(cols) if cols else np.empty(0)
    return np.ascontiguousarray(flat.astype(float).reshape(n_units, n_periods).T)


def _inside(folder: str, name: str) -> str:
    """``folder/name`` (``name`` alone when ``folder`` is empty)."""
    return f"{folder}/{name}" if folder else name


def check_parts_folder(path: Path) -> None:
    """Refuse to replace ``path``, an earlier output that is a folder of Parquet parts,
    when it holds anything but the part files gipro writes (``part-<n>.parquet``): a file
    the user put there would be deleted with the folder.

    Raises
    ------
    InputError
        Naming the first such file.
    """
    if not path.is_dir() or path.is_symlink():
        return
    other = sorted(p for p in path.iterdir()
                   if not (p.is_file() and re.fullmatch(r"part-\d+\.parquet", p.name)))
    if other:
        raise InputError(f"{other[0]} is in {path}, a folder of parts that gipro wrote and "
                         "would replace, but gipro did not write it: gipro never deletes a "
                         "file it did not write",
                         ["move it out of the folder, or choose another --out folder"])


def _move_in(src: Path, dest: Path) -> None:
    """Move a finished output (a file, or a folder of Parquet parts) to its checked place
    ``dest`` (:meth:`gipro.tables.OutputFolder.target`), replacing gipro's earlier output of
    that name."""
    if dest.is_dir() and not dest.is_symlink():
        shutil.rmtree(dest)
    elif dest.exists() or dest.is_symlink():
        dest.unlink()
    os.replace(src, dest)


