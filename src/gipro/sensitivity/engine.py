"""Evaluate the runs of a design: many builds, each step run once per distinct setting.

The :class:`Evaluator` turns design points into the target's scores, fast:

1. **re-run only from the first step a setting affects**: the nominal build's data sets up to
   that step are reused as they are (:meth:`gipro.steps.run.Pipeline.nominal_state`);
2. **each step once per distinct setting**: runs are grouped by the alternatives they use for
   the steps before the last aggregate step, and the state after each step is kept per
   distinct prefix of settings -- with COINr's four inputs, 5 winmax x 2 normalisations =
   10 distinct normalised data sets serve every run;
3. **a batch per group**: the last aggregate step runs once per group of runs on a leading
   replication axis, with every run's own perturbed weights
   (:meth:`gipro.steps.run.Pipeline.aggregate`);
4. no per-run data frames: the output is an array of scores, runs x units.

Failures are never skipped: a step that raises for a setting fails every run that uses it,
with the step's message; a batch a kernel refuses is re-run run by run so that each failure is
attributed to its run. A run's scores depend only on its own settings, so the same design
gives the same numbers however the runs are chunked or distributed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GiproError, InputError
from ..steps import AggregateStep
from ..steps.run import Pipeline, State
from ..steps.weight import WeightSet
from .inputs import BoundInput

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["Evaluator"]


def _message(exc: BaseException) -> str:
    if isinstance(exc, GiproError):
        return exc.message + ("" if not exc.details else " (" + "; ".join(exc.details[:2]) + ")")
    return f"{type(exc).__name__}: {exc}"


class Evaluator:
    """Scores of a target code for the runs of a design (see the module docstring).

    Parameters
    ----------
    build : Build
        The nominal build (run).
    inputs : list of BoundInput
    target : str, optional
        Code whose scores are returned (default: the index).
    period : int, optional
        Period (default: the last).

    Raises
    ------
    InputError
        Unknown target or period.
    """

    def __init__(self, build: Build, inputs: list[BoundInput], target: str | None = None,
                 period: int | None = None) -> None:
        self.pipeline = Pipeline(build)
        self.inputs = list(inputs)
        fw = build.framework
        self.target = target or fw.root
        if self.target not in fw.codes:
            raise InputError(f"target {self.target!r} is not a code of the framework")
        final = build.final
        if self.target not in final.codes:
            raise InputError(f"target {self.target!r} is not in the build's final data set")
        self.period = final.periods[-1] if period is None else period
        if self.period not in final.periods:
            raise InputError(f"period {self.period} is not in the build "
                             f"({final.periods[0]}-{final.periods[-1]})")
        self.units = final.units
        steps = self.pipeline.steps
        self.n_steps = len(steps)
        self.first = min(b.position for b in inputs) if inputs else self.n_steps
        last = steps[-1]
        self.tail = (self.n_steps - 1 if isinstance(last, AggregateStep) and not last.disable
                     else None)
        self.alt = [i for i, b in enumerate(inputs) if not b.is_weights]
        w = [i for i, b in enumerate(inputs) if b.is_weights]
        self.w = w[0] if w else None
        if self.tail is not None and (self.w is None or inputs[self.w].position == self.tail):
            self.stop = self.tail  # batch the last aggregate step
        elif self.w is not None:
            self.stop = inputs[self.w].position  # per run from the weighted step on
        else:
            self.stop = self.n_steps
        self.stop = max(self.stop, self.first)
        self._base: State | None = None
        self._specs: dict[Any, Any] = {}
        self._states: dict[Any, Any] = {}

    # ------------------------------------------------------------------ pieces
    def _spec(self, pos: int, alts: tuple[int, ...]) -> Any:
        """The spec of step ``pos`` with the given alternatives of its inputs applied."""
        key = (pos, alts)
        if key in self._specs:
            spec = self._specs[key]
        else:
            base = self.pipeline.steps[pos]
            mine = [i for i in self.alt if self.inputs[i].position == pos]
            if not mine:
                spec = base
            else:
                cls = type(base)
                data = base.model_dump()
                for fname, finfo in cls.model_fields.items():
                    if finfo.exclude:
                        data[fname] = getattr(base, fname)
                for i, a in zip(mine, alts, strict=True):
                    data = cls.changed(data, self.inputs[i].alternatives[a])
                try:
                    spec = cls.model_validate(data)
                except Exception as exc:  # an invalid combination of alternatives
                    spec = InputError(f"step {self.pipeline.names[pos]!r}: the combination "
                                      f"of alternatives is not valid: {exc}")
            self._specs[key] = spec
        if isinstance(spec, BaseException):
            raise spec
        return spec

    def _alts_at(self, pos: int, row: np.ndarray) -> tuple[int, ...]:
        return tuple(int(row[k]) for k, i in enumerate(self.alt)
                     if self.inputs[i].position == pos)

    def _state(self, pos: int, row: np.ndarray) -> State:
        """State after the steps before ``pos`` for the alternatives in ``row``."""
        if pos <= self.first:
            if self._base is None:
                self._base = self.pipeline.nominal_state(self.first)
            return self._base
        key = (pos, tuple(int(row[k]) for k, i in enumerate(self.alt)
                          if self.inputs[i].position < pos))
        hit = self._states.get(key)
        if hit is None:
            try:
                prev = self._state(pos - 1, row)
                hit = self.pipeline.step(prev, pos - 1, self._spec(pos - 1,
                                                                   self._alts_at(pos - 1, row)))
            except Exception as exc:
                hit = exc
            self._states[key] = hit
        if isinstance(hit, BaseException):
            raise hit
        return hit

    def scores_of(self, state: State) -> np.ndarray:
        """The target's scores in the period for the evaluator's units (NaN: none)."""
        ds = state.final
        if self.target not in ds.codes:
            raise InputError(f"target {self.target} is not in the final data set "
                             f"{ds.name!r} of this run")
        if self.period not in ds.periods:
            raise InputError(f"period {self.period} is not in the final data set of this run")
        v = ds.values[ds.periods.index(self.period), :, ds.codes.index(self.target)]
        return self.align(v, units=ds.units)

    def align(self, v: np.ndarray, units: tuple[str, ...]) -> np.ndarray:
        """Scores over ``units`` (last axis of ``v``) put in the evaluator's unit order."""
        if units == self.units:
            return v
        pos = {u: i for i, u in enumerate(units)}
        idx = np.array([pos.get(u, -1) for u in self.units])
        return np.where(idx >= 0, v[..., np.maximum(idx, 0)], np.nan)

    def _weight_sets(self, state: State, mult: np.ndarray | None) -> dict[str, WeightSet] | None:
        if mult is None:
            return None
        b = self.inputs[self.w]
        return self.pipeline.weight_sets(state, b.weight_set, mult, b.codes)

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, points: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
        """Scores of the target in the period, for every run (row of ``points``).

        Parameters
        ----------
        points : ndarray of shape (R, n_columns)
            Design points (rows of :attr:`gipro.sensitivity.Design.points`).

        Returns
        -------
        scores : ndarray of shape (R, n_units)
            NaN for units without a score and for failed runs.
        failed : dict of int to str
            Failed runs (row index) with the reason.
        """
        points = np.asarray(points, dtype=float)
        n_runs = points.shape[0]
        groups = [b.decode(points[:, g]) for b, g in zip(self.inputs, self._groups(),
                                                           strict=True)]
        alt = (np.stack([groups[i] for i in self.alt], axis=1) if self.alt
               else np.zeros((n_runs, 0), dtype=np.int64))
        mult = groups[self.w] if self.w is not None else None
        scores = np.full((n_runs, len(self.units)), np.nan)
        failed: dict[int, str] = {}
        before = [k for k, i in enumerate(self.alt) if self.inputs[i].position < self.stop]
        keys, inverse = (np.unique(alt[:, before], axis=0, return_inverse=True) if before
                         else (np.zeros((1, 0), dtype=np.int64), np.zeros(n_runs, dtype=int)))
        inverse = np.asarray(inverse).reshape(-1)
        for g in range(len(keys)):
            rows = np.flatnonzero(inverse == g)
            try:
                state = self._state(self.stop, alt[rows[0]])
            except Exception as exc:
                for r in rows:
                    failed[int(r)] = _message(exc)
                continue
            if self.stop == self.n_steps:
                try:
                    scores[rows] = self.scores_of(state)
                except Exception as exc:
                    for r in rows:
                        failed[int(r)] = _message(exc)
            elif self.stop == self.tail:
                self._tail(state, rows, alt, mult, scores, failed)
            else:
                for r in rows:
                    self._one(state, int(r), alt[r], None if mult is None else mult[r],
                              scores, failed)
        return scores, failed

    def _groups(self) -> list[list[int]]:
        out, start = [], 0
        for b in self.inputs:
            out.append(list(range(start, start + b.n_columns)))
            start += b.n_columns
        return out

    def _one(self, state: State, r: int, row: np.ndarray, mult: np.ndarray | None,
             scores: np.ndarray, failed: dict[int, str]) -> None:
        """One run from step ``stop`` to the end (weights injected)."""
        try:
            sets = self._weight_sets(state, mult)
            for pos in range(self.stop, self.n_steps):
                state = self.pipeline.step(state, pos, self._spec(pos, self._alts_at(pos, row)),
                                           sets)
            scores[r] = self.scores_of(state)
        except Exception as exc:
            failed[r] = _message(exc)

    def _tail(self, state: State, rows: np.ndarray, alt: np.ndarray, mult: np.ndarray | None,
              scores: np.ndarray, failed: dict[int, str]) -> None:
        """The last aggregate step for a group of runs, batched along a replication axis."""
        p = self.pipeline
        tail = self.tail
        mine = [k for k, i in enumerate(self.alt) if self.inputs[i].position == tail]
        sub_keys, sub_inv = (np.unique(alt[rows][:, mine], axis=0, return_inverse=True) if mine
                             else (np.zeros((1, 0), dtype=np.int64),
                                   np.zeros(len(rows), dtype=int)))
        sub_inv = np.asarray(sub_inv).reshape(-1)
        for s in range(len(sub_keys)):
            sub = rows[sub_inv == s]
            vectors = {}
            try:
                spec = self._spec(tail, tuple(int(v) for v in sub_keys[s]))
                if mult is not None:
                    name = self.inputs[self.w].weight_set
                    v = np.repeat(p.weight_vector(state, name)[None], len(sub), axis=0)
                    cols = [p.node_index[c] for c in self.inputs[self.w].codes]
                    v[:, cols] *= mult[sub]
                    vectors[name] = v
                else:
                    vectors = {}
                out, bad, ds, plan = p.aggregate(state, tail, spec, vectors)
            except GiproError:  # a batch the step refuses: run by run, to attribute it
                for r in sub:
                    self._one(state, int(r), alt[r], None if mult is None else mult[r],
                              scores, failed)
                continue
            if not vectors:  # no weights varied: one result for the whole group
                out = np.broadcast_to(out[None], (len(sub), *out.shape))
            col = plan.codes.index(self.target) if self.target in plan.codes else None
            if col is None or self.period not in ds.periods:
                for r in sub:
                    failed[int(r)] = f"target {self.target} / period {self.period} not in the run"
                continue
            pi = ds.periods.index(self.period)
            scores[sub] = self.align(out[:, pi, :, col], ds.units)
            for k, msg in bad.items():
                failed[int(sub[k])] = f"step {p.names[tail]!r}: {msg}"
                scores[sub[k]] = np.nan
