"""Uncertainty and sensitivity analysis of a build, and "remove one element".

::

    import gipro
    from gipro.sensitivity import StepAlternatives, WeightNoise, uncertainty

    b = gipro.run(recipe)
    res = uncertainty(b, [
        StepAlternatives(step="treat", param="winmax", values=[1, 2, 3, 4, 5]),
        StepAlternatives(step="normalise", alternatives=[
            {"method": "minmax", "range": [1, 100]}, {"method": "zscore", "mean_sd": [10, 2]}]),
        WeightNoise(levels=[2, 3], spread=0.25),
        StepAlternatives(step="aggregate", param="method", values=["arithmetic", "geometric"]),
    ], design="sobol", runs=256, seed=1)
    res.rank_stats      # per unit: nominal, median, 5-95% rank interval, mean |rank shift|
    res.sobol           # first- and total-order indices with bootstrap intervals
    res.runs            # every run's sampled settings, its status and error
    res.failures        # every failed run and why

Outputs (JRC audit practice, Saisana, Saltelli & Tarantola 2005; COINr ``get_sensitivity``):

* per unit: nominal score and rank, mean and median rank, the 5th and 95th percentiles of the
  rank (R's default quantile, type 7), the mean absolute rank shift from nominal, and how many
  runs ranked it. A Sobol design's statistics use its A and B blocks (the 2N independent
  runs), as COINr does;
* the Sobol indices (first and total order, bootstrap percentile intervals, never clipped)
  of the mean absolute rank shift of the target over units (COINr's output), computed from the
  design object itself. Base rows with a failed run are left out (the estimators average
  over base rows, so the design stays valid); how many were used is reported.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import GiproError, InputError, MethodError
from ..methods.rank import rank as _rank
from ..methods.sobol import sobol_indices, split_output
from ..steps import AggregateStep
from ..steps.run import Pipeline
from ..steps.weight import WeightSet
from .design import Design, make_design
from .engine import Evaluator
from .inputs import bind_inputs

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["SensitivityResult", "analyse_sobol", "evaluate", "failure_summary",
           "rank_statistics", "remove_elements", "uncertainty"]


@dataclass
class SensitivityResult:
    """Everything an uncertainty/sensitivity analysis produced.

    Attributes
    ----------
    design : Design
        The design (every run's point, the seed, the sampler).
    target, period : str, int
    units : tuple of str
    scores : ndarray of shape (n_runs, n_units)
        The target's score in every run (NaN: failed run or unit without a score).
    ranks : ndarray of shape (n_runs, n_units)
        Ranks per run (1 = best, ties share the lowest rank).
    nominal : pandas.DataFrame
        ``unit, score, rank`` of the nominal build.
    rank_stats : pandas.DataFrame
        Per unit (see the module docstring).
    sobol : pandas.DataFrame or None
        Per input: ``input, first, first_low, first_high, total, total_low, total_high,
        interval_covers_zero`` (Sobol design only).
    runs : pandas.DataFrame
        Every run's sampled settings, ``status`` (``ok``/``failed``), ``error`` and its
        ``mean_abs_rank_shift``.
    failures : pandas.DataFrame
        The failed runs only: ``run, block``, the run's setting of each input (not the
        weights) and ``error``.
    weights : pandas.DataFrame
        Every sampled weight multiplier (``run, input, code, multiplier``).
    notes : list of str
    seconds : float
        Time spent evaluating the runs.
    """

    design: Design
    target: str
    period: int
    units: tuple[str, ...]
    scores: np.ndarray
    ranks: np.ndarray
    nominal: pd.DataFrame
    rank_stats: pd.DataFrame
    sobol: pd.DataFrame | None
    runs: pd.DataFrame
    failures: pd.DataFrame
    weights: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def write(self, out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Write the tables as CSV or Parquet (``rank_stats``, ``sobol``, ``runs``,
        ``failures``, ``weights``, ``scores``: runs x units) and ``notes.txt``, as every output
        folder (:func:`gipro.tables.output_folder`: the files of an earlier analysis in the
        folder that this one does not write are removed)."""
        from ..tables import output_folder, write_table, write_text

        out = Path(out_dir)
        files = {}
        tables = {"rank_stats": self.rank_stats, "runs": self.runs, "failures": self.failures,
                  "weights": self.weights,
                  "scores": pd.DataFrame(self.scores, columns=list(self.units)).rename_axis(
                      "run").reset_index()}
        if self.sobol is not None:
            tables["sobol"] = self.sobol
        with output_folder(out, kind="sensitivity"):
            for name, table in tables.items():
                files[name] = write_table(table, out / name, fmt)
            files["notes"] = write_text(out / "notes.txt", "\n".join(self.notes) + "\n")
        return files


def _nominal(build: Build, target: str, period: int) -> tuple[np.ndarray, tuple[str, ...]]:
    ds = build.final
    v = ds.values[ds.periods.index(period), :, ds.codes.index(target)]
    return v, ds.units


def rank_statistics(ranks: np.ndarray, nominal_rank: np.ndarray, units: Sequence[str]
                    ) -> pd.DataFrame:
    """Per-unit rank statistics over runs.

    Parameters
    ----------
    ranks : ndarray of shape (n_runs, n_units)
        NaN where a unit has no rank in a run.
    nominal_rank : ndarray of shape (n_units,)
    units : sequence of str

    Returns
    -------
    pandas.DataFrame
        ``unit, nominal_rank, mean_rank, median_rank, q05, q95, mean_abs_shift, runs``:
        quantiles by linear interpolation (R type 7, COINr's ``quantile`` default); the mean
        absolute shift is the mean over runs of ``|rank - nominal rank|``.

    Examples
    --------
    >>> t = rank_statistics(np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0]]),
    ...                     np.array([1.0, 2.0]), ["a", "b"])
    >>> t["mean_abs_shift"].round(4).tolist(), t["median_rank"].tolist()
    ([0.3333, 0.3333], [1.0, 2.0])
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # (the same numbers: np.quantile where nothing is missing, vectorised over units)
        quantile = np.nanquantile if np.isnan(ranks).any() else np.quantile
        q05, q50, q95 = quantile(ranks, [0.05, 0.5, 0.95], axis=0)
        mean = np.nanmean(ranks, axis=0)
        shift = np.nanmean(np.abs(ranks - nominal_rank[None]), axis=0)
    return pd.DataFrame({
        "unit": list(units), "nominal_rank": nominal_rank, "mean_rank": mean,
        "median_rank": q50, "q05": q05, "q95": q95, "mean_abs_shift": shift,
        "runs": (~np.isnan(ranks)).sum(axis=0)})


def analyse_sobol(design: Design, y: np.ndarray, *, ok: np.ndarray | None = None,
                  n_boot: int = 1000, level: float = 0.95,
                  rng: np.random.Generator | None = None, ddof: int = 1, center: bool = True
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Sobol indices of an output computed on a design's runs.

    Parameters
    ----------
    design : Design
        The Sobol design that produced ``y`` (its layout, ``N`` and ``d`` are read from it;
        a bare vector is refused: field case B23).
    y : ndarray of shape (n_runs,)
        The output of every run, in the design's order.
    ok : ndarray of bool, optional
        Runs that succeeded (default: finite ``y``). Base rows with any failed run are left
        out of the estimates.
    n_boot, level, rng, ddof, center
        See :func:`gipro.methods.sobol.sobol_indices` (here ``center`` defaults to True: the
        first-order estimator on the output minus its mean, less noisy; ST is unaffected).

    Returns
    -------
    table : pandas.DataFrame
        ``input, first, first_low, first_high, total, total_low, total_high,
        interval_covers_zero, base_rows``.
    notes : list of str

    Raises
    ------
    MethodError
        Not a Sobol design, ``y`` of the wrong length, or fewer than 2 usable base rows.
    """
    if not isinstance(design, Design) or design.kind != "sobol":
        raise MethodError("Sobol indices need the Sobol design that produced the outputs "
                          "(make_design(kind='sobol')), not a bare output vector")
    y = np.asarray(y, dtype=float)
    if y.shape != (design.n_runs,):
        raise MethodError(f"the design has {design.n_runs} runs; got {y.shape[0]} outputs")
    ok = np.isfinite(y) if ok is None else np.asarray(ok, dtype=bool) & np.isfinite(y)
    n, d = design.n, design.d
    good = ok.reshape(d + 2, n).all(axis=0)
    notes = []
    if not good.all():
        notes.append(f"Sobol indices from {int(good.sum())} of {n} base rows: the other "
                     f"{int((~good).sum())} have a failed run (see failures)")
    if good.sum() < 2:
        raise MethodError(f"only {int(good.sum())} of {n} base rows have no failed run; Sobol "
                          "indices need at least 2")
    ya, yb, yab = split_output(y, n, d)
    est = sobol_indices(ya[good], yb[good], yab[:, good], n_boot=n_boot, level=level,
                        rng=rng, ddof=ddof, center=center)
    if not np.all(est.variance > 0):
        notes.append("the output does not vary across runs: the Sobol indices are undefined "
                     "(no input changes it)")
    table = pd.DataFrame({
        "input": [b.label for b in design.inputs], "first": est.first,
        "first_low": est.first_low, "first_high": est.first_high, "total": est.total,
        "total_low": est.total_low, "total_high": est.total_high})
    table["interval_covers_zero"] = (table["first_low"] <= 0) & (table["first_high"] >= 0)
    table["base_rows"] = int(good.sum())
    neg = table.loc[table["first"] < 0, "input"].tolist()
    if neg:
        notes.append(f"negative first-order estimates (not clipped; estimation noise around "
                     f"0 -- check the interval, or use more runs): {', '.join(neg)}")
    above = table.loc[table["first"] > table["total"], "input"].tolist()
    if above:  # S_i <= ST_i in theory (Saltelli et al. 2010, section 2): estimation noise
        notes.append("first-order estimate above the total-order one (impossible in theory, "
                     "S_i <= ST_i: estimation noise from too few runs or an output with "
                     "heavy tails -- use more runs and read the intervals): "
                     + ", ".join(f"{r.input} ({r.first:.3g} > {r.total:.3g})"
                                 for r in table[table["first"] > table["total"]].itertuples()))
    return table, notes


Progress = Callable[[int, int], None]


def evaluate(evaluator: Evaluator, points: np.ndarray, *, chunk: int | None = None,
             workers: int | None = None, scheduler: str | None = None,
             progress: Progress | None = None) -> tuple[np.ndarray, dict[int, str]]:
    """Evaluate design points in chunks, in this process or on a Dask cluster.

    ``workers`` (a LocalCluster of that many workers) or ``scheduler`` (the address of an
    existing ``dask.distributed`` scheduler) spread the chunks
    (:mod:`gipro.sensitivity.distributed`); otherwise they run here. ``progress(done,
    total)`` is called after each chunk.
    """
    n = points.shape[0]
    if workers is not None or scheduler is not None:
        from .distributed import evaluate_distributed

        return evaluate_distributed(evaluator, points, chunk=chunk, workers=workers,
                                    scheduler=scheduler, progress=progress)
    size = chunk or max(n, 1)
    scores = np.empty((n, len(evaluator.units)))
    failed: dict[int, str] = {}
    for s in range(0, n, size):
        sc, bad = evaluator.evaluate(points[s:s + size])
        scores[s:s + size] = sc
        failed.update({s + k: v for k, v in bad.items()})
        if progress is not None:
            progress(min(s + size, n), n)
    return scores, failed


def uncertainty(build: Build, inputs: Sequence[Any], *, design: str | Design = "montecarlo",
                runs: int | None = None, seed: int | None = 0, sampler: str | None = None,
                target: str | None = None, period: int | None = None, n_boot: int = 1000,
                level: float = 0.95, chunk: int | None = None, workers: int | None = None,
                scheduler: str | None = None, progress: Progress | None = None
                ) -> SensitivityResult:
    """Uncertainty analysis (and Sobol sensitivity analysis) of a build's ranks.

    Parameters
    ----------
    build : Build
        The nominal build (run).
    inputs : sequence of StepAlternatives / WeightNoise (or their mappings)
        The uncertain inputs.
    design : {"montecarlo", "sobol"} or Design
        A design kind, or a design made earlier with :func:`make_design` for these inputs.
    runs : int, optional
        Monte Carlo runs (default 1000) or Sobol base rows ``N`` (default 256; the design has
        ``N (d + 2)`` runs).
    seed : int, optional
        Seed of the design's and the bootstrap's generators (0 is a seed).
    sampler : {"random", "sobol"}, optional
        See :func:`make_design`.
    target : str, optional
        Code analysed (default: the index).
    period : int, optional
        Period analysed (default: the last).
    n_boot, level : int, float
        Bootstrap resamples and confidence level of the Sobol intervals.
    chunk, workers, scheduler, progress
        See :func:`evaluate`.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    InputError
        Invalid inputs, target or period; a design made for other inputs.
    MethodError
        Too few successful runs for the statistics.
    """
    build.require_run()
    bound = bind_inputs(build, list(inputs))
    if isinstance(design, Design):
        if [b.label for b in design.inputs] != [b.label for b in bound]:
            raise InputError("the design was made for other inputs: "
                             f"{[b.label for b in design.inputs]}")
        des = design
    else:
        default = 1000 if design == "montecarlo" else 256
        des = make_design(bound, kind=design, n=default if runs is None else runs, seed=seed,
                          sampler=sampler)
    ev = Evaluator(build, bound, target, period)
    t0 = time.perf_counter()
    scores, failed = evaluate(ev, des.points, chunk=chunk, workers=workers,
                              scheduler=scheduler, progress=progress)
    seconds = time.perf_counter() - t0
    return summarise(build, des, ev.target, ev.period, scores, failed, n_boot=n_boot,
                     level=level, seed=seed, seconds=seconds)


def _plural(n: int, word: str) -> str:
    """``"1 alternative"``, ``"2 alternatives"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarise(build: Build, des: Design, target: str, period: int, scores: np.ndarray,
              failed: dict[int, str], *, n_boot: int = 1000, level: float = 0.95,
              seed: int | None = 0, seconds: float = 0.0) -> SensitivityResult:
    """Rank statistics, Sobol indices and tables from the scores of a design's runs."""
    nom_scores, units = _nominal(build, target, period)
    nom_rank = _rank(nom_scores)
    ranks = _rank(scores, axis=1)
    ok = np.ones(des.n_runs, dtype=bool)
    ok[list(failed)] = False
    indep = des.independent()
    use = indep[ok[indep]]
    notes = list(des.notes)
    notes.insert(0, f"{des.kind} design, {des.n_runs} runs ({des.sampler} points, seed "
                    f"{des.seed}); target {target}, period {period}; inputs: "
                    + ", ".join(f"{b.label} ({_plural(len(b.alternatives), 'alternative')})"
                                if not b.is_weights else
                                f"{b.label} (+-{100 * b.spec.spread:g}% on "
                                f"{_plural(len(b.codes), 'weight')}"
                                + (", not perturbed: a control run)" if b.spec.spread == 0
                                   else ")")
                                for b in des.inputs))
    table = des.table()
    table["status"] = np.where(ok, "ok", "failed")
    table["error"] = [failed.get(r, "") for r in range(des.n_runs)]
    why = failure_summary(table, [b.label for b in des.inputs if not b.is_weights])
    if failed:
        notes.append(f"{len(failed)} of {des.n_runs} runs failed (listed in failures); rank "
                     "statistics use the successful runs")
        notes += [f"failed runs: {w}" for w in why]
    if use.size == 0:
        raise MethodError(f"every run of the analysis failed ({des.n_runs} runs)", why)
    stats = rank_statistics(ranks[use], nom_rank, units)
    stats.insert(1, "nominal_score", nom_scores)
    with warnings.catch_warnings():  # failed runs have no ranks: NaN, reported below
        warnings.simplefilter("ignore", RuntimeWarning)
        shift = np.nanmean(np.abs(ranks - nom_rank[None]), axis=1)
    shift = np.where(ok, shift, np.nan)
    table["mean_abs_rank_shift"] = shift
    settings = [c for c in table.columns if c not in ("run", "block", "base_row", "status",
                                                      "error", "mean_abs_rank_shift")]
    failures = table.loc[~ok, ["run", "block", *settings, "error"]].reset_index(drop=True)
    sob = None
    if des.kind == "sobol":
        rng = np.random.default_rng(None if seed is None else [seed, 1])
        try:
            sob, more = analyse_sobol(des, shift, ok=ok, n_boot=n_boot, level=level, rng=rng)
        except MethodError as exc:
            if not failed:
                raise
            # too few base rows left: the rank statistics, runs and failures are still
            # written; the Sobol indices are not, and the notes say why
            more = [f"Sobol indices NOT computed: {exc.message} (the failed runs are listed "
                    "in failures; their causes are above)"]
        notes += more
    nominal = pd.DataFrame({"unit": list(units), "score": nom_scores, "rank": nom_rank})
    return SensitivityResult(des, target, period, tuple(units), scores, ranks, nominal, stats,
                             sob, table, failures, des.weight_table(), notes, seconds)


def failure_summary(table: pd.DataFrame, inputs: Sequence[str], top: int = 3) -> list[str]:
    """The causes of failed runs, most frequent first, with the settings they share.

    Parameters
    ----------
    table : pandas.DataFrame
        The runs table (:meth:`Design.table` plus ``status`` and ``error``).
    inputs : sequence of str
        Columns of ``table`` holding a run's setting of each (non-weight) input.
    top : int
        How many distinct errors to describe.

    Returns
    -------
    list of str
        One line per distinct error: how many runs, the error, and each input setting that
        every run with this error has and no successful run has (the likely cause, e.g.
        ``aggregate.method = method=geometric``).

    Examples
    --------
    >>> t = pd.DataFrame({"agg": ["geometric", "arithmetic", "geometric"],
    ...                   "status": ["failed", "ok", "failed"],
    ...                   "error": ["needs values > 0", "", "needs values > 0"]})
    >>> failure_summary(t, ["agg"])
    ['2 runs: needs values > 0 -- every one with agg = geometric, a setting no successful run has']
    """
    bad = table[table["status"] != "ok"]
    good = table[table["status"] == "ok"]
    out = []
    counts = bad["error"].value_counts()
    for err, n in counts.head(top).items():
        rows = bad[bad["error"] == err]
        shared = []
        for c in inputs:
            vals = rows[c].astype(str).unique()
            if len(vals) == 1 and not (good[c].astype(str) == vals[0]).any():
                shared.append(f"{c} = {vals[0]}")
        out.append(f"{n} run{'s' if n != 1 else ''}: {err}"
                   + (f" -- every one with {', '.join(shared)}, a setting no successful run "
                      "has" if shared else ""))
    if len(counts) > top:
        out.append(f"{int(counts.iloc[top:].sum())} more runs with {len(counts) - top} other "
                   "errors (see failures)")
    return out


# ---------------------------------------------------------------------- remove one element
def remove_elements(build: Build, *, level: int | None = None,
                    codes: Sequence[str] | None = None, target: str | None = None,
                    period: int | None = None) -> pd.DataFrame:
    """Rebuild without each element in turn (its weight set to 0); the target's rank shifts.

    COINr ``remove_elements``: for each indicator or aggregate of ``level`` (or each of
    ``codes``), its weight in the weight set of the last aggregate step is set to 0 (its
    siblings' weights are renormalised by the aggregation), the index is rebuilt, and the mean
    absolute change of the target's ranks over the units is recorded. All removals run as one
    batch along the replication axis.

    Parameters
    ----------
    build : Build
        The nominal build (run); its last step must be an aggregate step.
    level : int, optional
        Level whose elements are removed in turn (1 = indicators).
    codes : sequence of str, optional
        Elements to remove (instead of ``level``).
    target : str, optional
        Default: the index.
    period : int, optional
        Default: the last.

    Returns
    -------
    pandas.DataFrame
        ``code, level, mean_abs_rank_shift, max_abs_rank_shift, units, error``: one row per
        element; a removal that cannot be computed (e.g. the only child of an aggregate) has
        NaN shifts and the reason in ``error``.

    Raises
    ------
    InputError
        Neither or both of ``level`` and ``codes``, unknown codes, the index itself, no final
        aggregate step.
    """
    build.require_run()
    fw = build.framework
    if (level is None) == (codes is None):
        raise InputError("give the level whose elements are removed, or the codes")
    if codes is None:
        if not 1 <= level < fw.max_level:
            raise InputError(f"level {level} has no weights (levels 1-{fw.max_level - 1})")
        codes = [c for c in fw.codes if fw.level(c) == level]
    codes = list(codes)
    bad = [c for c in codes if c not in fw.codes or c == fw.root]
    if bad:
        raise InputError(f"cannot remove {bad}: not a node of the framework, or the index")
    p = Pipeline(build)
    spec = p.steps[-1]
    if not isinstance(spec, AggregateStep) or spec.disable:
        raise InputError("remove_elements needs a recipe whose last step is an aggregate step")
    ev = Evaluator(build, [], target, period)
    pos = len(p.steps) - 1
    state = p.nominal_state(pos)
    nom_scores, units = _nominal(build, ev.target, ev.period)
    nom_rank = _rank(nom_scores)
    n = len(codes)
    scores = np.full((n, len(units)), np.nan)
    errors = [""] * n
    set_names = {it.set_name for it in build.records[pos].plan.items}
    vectors = {}
    for s in set_names:
        v = np.repeat(p.weight_vector(state, s)[None], n, axis=0)
        v[np.arange(n), [p.node_index[c] for c in codes]] = 0.0
        vectors[s] = v
    try:
        out, failed, ds, plan = p.aggregate(state, pos, spec, vectors)
    except GiproError:  # refused for the batch: one removal at a time, each with its reason
        for k, c in enumerate(codes):
            sets = {s: WeightSet(s, {**build.weight_set(s).weights, c: 0.0}, "removed")
                    for s in set_names}
            try:
                st = p.step(state, pos, spec, sets)
                scores[k] = ev.scores_of(st)
            except GiproError as exc:
                errors[k] = str(exc)
    else:
        pi = ds.periods.index(ev.period)
        scores = ev.align(out[:, pi, :, plan.codes.index(ev.target)], ds.units)
        for k, msg in failed.items():
            errors[k] = msg
    ranks = _rank(scores, axis=1)
    diff = np.abs(ranks - nom_rank[None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(diff, axis=1)
        mx = np.nanmax(diff, axis=1)
    ok = np.array([e == "" for e in errors])
    return pd.DataFrame({"code": codes, "level": [fw.level(c) for c in codes],
                         "mean_abs_rank_shift": np.where(ok, mean, np.nan),
                         "max_abs_rank_shift": np.where(ok, mx, np.nan),
                         "units": np.where(ok, (~np.isnan(diff)).sum(axis=1), 0),
                         "error": errors})

