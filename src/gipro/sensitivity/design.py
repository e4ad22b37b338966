"""Experimental designs: which settings each run of an uncertainty analysis uses.

A :class:`Design` is made once, from a seeded :class:`numpy.random.Generator`, before any run:
every run's point of the unit cube is fixed up front, so the same seed gives the same runs
whether they are evaluated in one process or on many workers, in any order. The analysers
take the design object (never a bare output vector whose layout would have to be guessed:
field case B23).

* ``montecarlo``: ``N`` independent points (COINr ``SA_type = "UA"``).
* ``sobol``: the Saltelli design ``[A; B; A_B(1); ...; A_B(d)]`` of ``N (d + 2)`` runs
  (:func:`gipro.methods.sobol.saltelli_matrix`), ``d`` = number of inputs, a weights input
  being one group of columns.

Points come from ``rng.random`` or from a scrambled Sobol' sequence
(:class:`scipy.stats.qmc.Sobol`, seeded with the generator; Saltelli et al. 2010 recommend
quasi-random points; a power of 2 for ``N`` keeps their balance).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..errors import InputError
from ..methods.sobol import saltelli_matrix
from .inputs import BoundInput

__all__ = ["Design", "make_design"]


@dataclass(frozen=True)
class Design:
    """The runs of an analysis: a point of the unit cube per run, and how it was made.

    Attributes
    ----------
    kind : {"montecarlo", "sobol"}
    inputs : list of BoundInput
    n : int
        Runs (Monte Carlo) or base rows ``N`` (Sobol).
    points : ndarray of shape (n_runs, n_columns)
        Every run's point; columns grouped by input (:attr:`groups`).
    groups : list of list of int
        Columns of each input.
    seed : int or None
    sampler : {"random", "sobol"}
    notes : list of str
    """

    kind: str
    inputs: list[BoundInput]
    n: int
    points: np.ndarray
    groups: list[list[int]]
    seed: int | None
    sampler: str
    notes: list[str] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        return int(self.points.shape[0])

    @property
    def d(self) -> int:
        return len(self.inputs)

    def blocks(self) -> np.ndarray:
        """Block label of each run: ``MC``, or ``A``, ``B``, ``AB:<input>`` (Sobol)."""
        if self.kind == "montecarlo":
            return np.full(self.n_runs, "MC", dtype=object)
        labels = ["A", "B", *[f"AB:{b.label}" for b in self.inputs]]
        return np.repeat(np.array(labels, dtype=object), self.n)

    def base_rows(self) -> np.ndarray:
        """Index of each run's base row ``j`` (its row of A, B or A_B(i)); run index for MC."""
        if self.kind == "montecarlo":
            return np.arange(self.n_runs)
        return np.tile(np.arange(self.n), self.d + 2)

    def independent(self) -> np.ndarray:
        """Runs that are independent draws: all (MC) or the A and B blocks (Sobol, as COINr
        computes rank statistics from the first 2N runs)."""
        if self.kind == "montecarlo":
            return np.arange(self.n_runs)
        return np.arange(2 * self.n)

    def settings(self) -> list[np.ndarray]:
        """Decoded settings of every run, one array per input (:meth:`BoundInput.decode`)."""
        return [b.decode(self.points[:, g]) for b, g in zip(self.inputs, self.groups,
                                                            strict=True)]

    def table(self) -> pd.DataFrame:
        """Every run's sampled settings: ``run, block, base_row`` and one column per input
        (the alternative's parameters; for weights, the mean multiplier and the range)."""
        out = pd.DataFrame({"run": np.arange(self.n_runs), "block": self.blocks(),
                            "base_row": self.base_rows()})
        for b, s in zip(self.inputs, self.settings(), strict=True):
            if b.is_weights:
                out[f"{b.label}: mean multiplier"] = s.mean(axis=1)
                out[f"{b.label}: min multiplier"] = s.min(axis=1)
                out[f"{b.label}: max multiplier"] = s.max(axis=1)
            else:
                text = np.array([b.describe(i) for i in range(len(b.alternatives))],
                                dtype=object)
                out[b.label] = text[s]
        return out

    def weight_table(self) -> pd.DataFrame:
        """The sampled multiplier of every perturbed weight in every run (long table)."""
        rows = []
        for b, s in zip(self.inputs, self.settings(), strict=True):
            if b.is_weights:
                r, k = np.indices(s.shape)
                rows.append(pd.DataFrame({"run": r.ravel(), "input": b.label,
                                          "code": np.array(b.codes, dtype=object)[k.ravel()],
                                          "multiplier": s.ravel()}))
        if not rows:
            return pd.DataFrame(columns=["run", "input", "code", "multiplier"])
        return pd.concat(rows, ignore_index=True)


def _points(n: int, k: int, sampler: str, rng: np.random.Generator) -> np.ndarray:
    if sampler == "random":
        return rng.random((n, k))
    engine = qmc.Sobol(d=k, scramble=True, seed=rng)
    if n & (n - 1) == 0:
        return engine.random_base2(int(np.log2(n)))
    with warnings.catch_warnings():  # said in the design's notes instead
        warnings.simplefilter("ignore", UserWarning)
        return engine.random(n)


def make_design(inputs: list[BoundInput], *, kind: str = "montecarlo", n: int = 1000,
                seed: int | None = 0, rng: np.random.Generator | None = None,
                sampler: str | None = None) -> Design:
    """Make a design for bound inputs.

    Parameters
    ----------
    inputs : list of BoundInput
        From :func:`gipro.sensitivity.bind_inputs`.
    kind : {"montecarlo", "sobol"}
    n : int
        Runs (Monte Carlo) or base rows (Sobol; the design has ``n (d + 2)`` runs).
    seed : int, optional
        Seed of a new ``numpy.random.default_rng`` (ignored when ``rng`` is given; 0 is a
        seed).
    rng : numpy.random.Generator, optional
    sampler : {"random", "sobol"}, optional
        Default ``random`` for Monte Carlo, ``sobol`` (scrambled Sobol' sequence) for Sobol.

    Returns
    -------
    Design

    Raises
    ------
    InputError
        Unknown kind or sampler, ``n < 2``, or a Sobol design with one input.

    Examples
    --------
    >>> from gipro.sensitivity.inputs import BoundInput, StepAlternatives
    >>> b = [BoundInput(StepAlternatives(step=s, param="p", values=[0, 1]), s, 0, 1,
    ...                 ({"p": 0}, {"p": 1})) for s in ("x", "y")]
    >>> d = make_design(b, kind="sobol", n=8, seed=0)
    >>> d.n_runs, list(d.blocks()[[0, 8, 16, 24]])
    (32, ['A', 'B', 'AB:x', 'AB:y'])
    """
    if kind not in ("montecarlo", "sobol"):
        raise InputError(f"design must be 'montecarlo' or 'sobol', got {kind!r}")
    sampler = sampler or ("random" if kind == "montecarlo" else "sobol")
    if sampler not in ("random", "sobol"):
        raise InputError(f"sampler must be 'random' or 'sobol', got {sampler!r}")
    if n < 2:
        raise InputError(f"a design needs at least 2 runs (base rows), got {n}")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InputError(f"seed must be a whole number >= 0, got {seed!r}")
    if rng is None:
        rng = np.random.default_rng(seed)
    groups, start = [], 0
    for b in inputs:
        groups.append(list(range(start, start + b.n_columns)))
        start += b.n_columns
    notes = []
    for b in inputs:
        if not b.is_weights and b.spec.n_distinct() == 1:
            k = len(b.alternatives)
            what = ("a single alternative" if k == 1 else
                    f"{k} identical alternatives (a control input: its Sobol indices are 0)")
            notes.append(f"warning: input {b.label!r} has {what}: nothing varies, "
                         f"{b.alternatives[0]} in every run")
    if sampler == "sobol" and n & (n - 1):
        notes.append(f"N = {n} is not a power of 2: the Sobol' sequence loses its balance "
                     "properties (use 2^k base rows)")
    if kind == "montecarlo":
        points = _points(n, start, sampler, rng)
    else:
        if len(inputs) < 2:
            raise InputError("a Sobol analysis needs at least two uncertain inputs (with one, "
                             "run an uncertainty analysis: design montecarlo)")
        base = _points(n, 2 * start, sampler, rng)
        points = saltelli_matrix(base[:, :start], base[:, start:], groups)
    return Design(kind, list(inputs), int(n), points, groups, seed, sampler, notes)
