"""Recomputing derived variables after a scenario change, and the feasible-range check.

After each change of a scenario, the variables computed from the changed ones (the relations
of :mod:`gipro.scenario.relations`: products, sums, growth rates, elasticities) are recomputed
in dependency order, and every new value is checked against its variable's feasible range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .cube import Cube
from .relations import Relation, relation_order

__all__ = ["outside_domain", "propagate"]


def _shift(a: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """``a`` at the period ``window`` periods earlier (axis 0; ``prev`` index or -1: NaN)."""
    out = np.full(a.shape, np.nan) if a.dtype.kind == "f" else np.zeros(a.shape, dtype=a.dtype)
    ok = prev >= 0
    out[ok] = a[prev[ok]]
    return out


def _growth(now: np.ndarray, before: np.ndarray, w: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((before > 0) & (now >= 0), (now / before) ** (1.0 / w) - 1.0, np.nan)


def _previous(periods: Sequence[int], w: int) -> np.ndarray:
    pos = {p: i for i, p in enumerate(periods)}
    return np.array([pos.get(p - w, -1) for p in periods], dtype=int)


def _compute(r: Relation, vals: np.ndarray, before: np.ndarray, cidx: dict[str, int],
             periods: Sequence[int]) -> np.ndarray:
    """The target's new values (P, U) from the current values (a relative update for
    product and sum, the formula for growth and elasticity)."""
    k = cidx[r.code]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if r.kind == "product":
            ratio = np.ones(vals.shape[:2])
            for c, e in r.terms.items():
                ratio = ratio * (vals[..., cidx[c]] / before[..., cidx[c]]) ** e
            out = before[..., k] * ratio
            if r.factor is not None:  # a zero input before: the ratio is undefined, use c
                exact = r.factor * np.prod([vals[..., cidx[c]] ** e
                                            for c, e in r.terms.items()], axis=0)
                out = np.where(np.isfinite(out), out, exact)
            return out
        if r.kind == "sum":
            delta = sum(a * (vals[..., cidx[c]] - before[..., cidx[c]])
                        for c, a in r.terms.items())
            return before[..., k] + delta
        prev = _previous(periods, r.window)
        if r.kind == "growth":
            s = vals[..., cidx[str(r.source)]]
            return float(r.factor) * _growth(s, _shift(s, prev), r.window)
        d = vals[..., cidx[str(r.denominator)]]
        gd = _growth(d, _shift(d, prev), r.window)
        els = []
        for c in r.numerators:
            s = vals[..., cidx[c]]
            els.append(np.where(gd > 0, _growth(s, _shift(s, prev), r.window) / gd, np.nan))
        return np.fmax.reduce(els) if len(els) > 1 else els[0]


def _reads(r: Relation, changed: np.ndarray, cidx: dict[str, int], periods: Sequence[int]
           ) -> np.ndarray:
    """(P, U): the target's cells whose inputs changed (growth: at p or p - window)."""
    m = np.zeros(changed.shape[:2], dtype=bool)
    for c in r.inputs:
        if c in cidx:
            m |= changed[..., cidx[c]]
    if r.kind in ("growth", "elasticity"):
        m |= _shift(m, _previous(periods, r.window)).astype(bool)
    return m


def _dependants(relations: Sequence[Relation], codes: Sequence[str]) -> list[str]:
    """Everything computed (directly or through others) from ``codes``."""
    found: list[str] = []
    frontier = set(codes)
    while frontier:  # breadth first, in the relations' order
        nxt = [r.code for r in relations if set(r.inputs) & frontier
               and r.code not in found and r.code not in codes]
        found += nxt
        frontier = set(nxt)
    return found


def _listing(codes: Sequence[str], n: int = 4) -> str:
    codes = list(codes)
    return ", ".join(codes[:n]) + (f" and {len(codes) - n} more" if len(codes) > n else "")


def propagate(cube: Cube, before: np.ndarray, direct: np.ndarray, *, scenario: str,
              change: int, where: str) -> tuple[pd.DataFrame | None, list[str]]:
    """Recompute, in place, the variables computed from the values a change just set.

    Parameters
    ----------
    cube : Cube
        The data after the change (``cube.values`` is updated); ``cube.relations`` says what
        is computed from what.
    before : ndarray of shape (n_periods, n_units, n_codes)
        The data before the change.
    direct : ndarray of bool, same shape
        The cells the change itself set.
    scenario, change, where : str, int, str
        For the change log and messages.

    Returns
    -------
    log : pandas.DataFrame or None
        One row per recomputed value (``op`` = ``recomputed``, the formula in ``note``) and
        per value that could not be recomputed.
    notes : list of str
        What was recomputed (counts), and warnings (see the module docstring).

    Raises
    ------
    InputError
        A recomputed value outside its feasible range (``cube.domains``).

    Examples
    --------
    >>> from gipro.scenario.cube import Cube
    >>> v = np.array([[[2.0, 0.5]]])          # energy_per_iva 2, energy_productivity 0.5
    >>> cube = Cube(v.copy(), [2020], ["P"], ["energy_per_iva", "energy_productivity"], 2020,
    ...             relations=(Relation(code="energy_productivity",
    ...                                 terms={"energy_per_iva": -1}),))
    >>> cube.values[0, 0, 0] = 1.6            # the change: energy per IVA -20 %
    >>> log, notes = propagate(cube, v, np.array([[[True, False]]]), scenario="s", change=1,
    ...                        where="change 1")
    >>> float(cube.values[0, 0, 1])           # 1 / 1.6
    0.625
    """
    rels = [r for r in cube.relations if r.code in set(cube.codes)]
    if not rels or not direct.any():
        return None, []
    vals = cube.values
    cidx = {c: i for i, c in enumerate(cube.codes)}
    changed = direct.copy()
    inverted = np.zeros_like(direct)
    recomputed = np.zeros_like(direct)
    logs: list[pd.DataFrame] = []
    notes: list[str] = []
    counts: dict[str, int] = {}
    failed: dict[str, int] = {}

    def log(k: int, cells: np.ndarray, old: np.ndarray, new: np.ndarray, note: str) -> None:
        a, b = np.nonzero(cells)
        if len(a):
            logs.append(pd.DataFrame({
                "scenario": scenario, "change": change, "op": "recomputed",
                "unit": np.array(cube.units, dtype=object)[b],
                "period": np.array(cube.periods)[a], "indicator": cube.codes[k],
                "old": old[a, b], "new": new[a, b], "note": note}))

    def store(r: Relation, k: int, cells: np.ndarray, new: np.ndarray, how: str) -> None:
        old = vals[..., k].copy()
        ok = cells & np.isfinite(new)
        bad = cells & ~np.isfinite(new) & ~np.isnan(old)
        _domain(cube, k, np.where(ok, new, old), ok, where, how)
        vals[..., k] = np.where(ok, new, old)
        diff = ok & (new != old)
        changed[..., k] |= diff
        recomputed[..., k] |= diff
        log(k, diff, old, vals[..., k], f"recomputed: {how}")
        log(k, bad, old, old, f"not recomputed ({how}): no value here (an input missing, "
            "zero or not growing); left as it was")
        if diff.any():
            counts[r.code] = counts.get(r.code, 0) + int(diff.sum())
        if bad.any():
            failed[r.code] = failed.get(r.code, 0) + int(bad.sum())

    # 1. one-term products solved for their input when the change set the target
    for r in rels:
        if not r.invertible:
            continue
        src, e = next(iter(r.terms.items()))
        if src not in cidx:
            continue
        k, s = cidx[r.code], cidx[src]
        m = direct[..., k] & ~direct[..., s] & ~np.isnan(before[..., s])
        if not m.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = before[..., s] * (vals[..., k] / before[..., k]) ** (1.0 / e)
        inv = Relation(code=src, terms={r.code: 1.0 / e})
        store(inv, s, m, new, f"{src} from {r.code} = {r.formula()}")
        inverted[..., s] |= m & np.isfinite(new)
    recomputed &= ~inverted  # solved from its target: checked against its own inputs below
    # 2. forward, in dependency order
    for r in relation_order(rels):
        k = cidx[r.code]
        present = [c for c in r.inputs if c in cidx]
        absent = [c for c in r.inputs if c not in cidx]
        if not present:
            continue
        reads = _reads(r, changed, cidx, cube.periods) & ~np.isnan(vals[..., k])
        own = direct[..., k]
        if r.invertible and present:
            reads &= ~(own & inverted[..., cidx[present[0]]])  # solved from this target
        conflict = reads & own
        if conflict.any():
            notes.append(f"warning: {r.code} is {r.formula()}; the change sets both it and "
                         f"its inputs ({int(conflict.sum())} values): the change's values "
                         "of " + r.code + " are kept, so they do not agree with the inputs")
        cells = reads & ~own
        if not cells.any():
            continue
        if not r.recomputable or absent:
            why = (f"it also needs {r.needs}" if not r.recomputable and r.needs else
                   f"{_listing(absent)} {'is' if len(absent) == 1 else 'are'} not in the data"
                   if absent else "its formula is not known")
            trig = [c for c in present if changed[..., cidx[c]].any()]
            what = "" if not r.recomputable else f"it is {r.formula()}, and "
            notes.append(f"warning: {r.code} is not recomputed ({int(cells.sum())} values): "
                         f"{what}{why}; it stays as it was although {_listing(trig)} "
                         f"changed")
            continue
        store(r, k, cells, _compute(r, vals, before, cidx, cube.periods), r.formula())
    # 3. variables set (or solved) without their inputs
    set_here = {cube.codes[i] for i in np.flatnonzero(direct.any(axis=(0, 1)))}
    for r in rels:
        if r.invertible or not r.recomputable or (r.kind == "sum" and r.rest):
            continue  # a total with unlisted parts may change alone (those parts absorb it)
        k = cidx[r.code]
        alone = ((direct[..., k] | inverted[..., k]) & ~recomputed[..., k]
                 & ~_reads(r, changed, cidx, cube.periods))
        if not alone.any():
            continue
        inputs = [c for c in r.inputs if c in cidx]
        if not inputs:
            continue
        own_deps = set(_dependants(rels, [r.code])) | {r.code}
        deps = list(dict.fromkeys(c for i in inputs for c in _dependants(rels, [i])
                                  if c in cidx and c not in own_deps and c not in set_here))
        n = int(alone.sum())
        notes.append(
            f"warning: {r.code} changed ({n} value{'s' if n != 1 else ''}) but it is "
            f"{r.formula()}; "
            f"{_listing(inputs)} stay{'s' if len(inputs) == 1 else ''} as "
            f"{'it was' if len(inputs) == 1 else 'they were'}"
            + (f", and so do the variables computed from "
               f"{'it' if len(inputs) == 1 else 'them'} ({_listing(deps, 3)})" if deps else "")
            + f"; to move them together, change {' or '.join(inputs[:2])} instead")
    if counts:
        notes.insert(0, "recomputed from it: " + ", ".join(
            f"{c} ({n} value{'s' if n != 1 else ''})" for c, n in counts.items()))
    if failed:
        notes.append("warning: not recomputed where the formula has no value (an input "
                     "missing, zero or not growing; left as they were, see the change log): "
                     + ", ".join(f"{c} ({n})" for c, n in failed.items()))
    return (pd.concat(logs, ignore_index=True) if logs else None), notes


def outside_domain(domain: tuple[float | None, float | None], new: np.ndarray
                   ) -> tuple[np.ndarray, str]:
    """Which values lie outside a feasible range ``(low, high)`` (``None``: unbounded; NaN
    is never outside), and the range as text for messages (``[0, inf]``)."""
    lo, hi = domain
    with np.errstate(invalid="ignore"):
        bad = np.zeros(new.shape, dtype=bool)
        if lo is not None:
            bad |= new < lo
        if hi is not None:
            bad |= new > hi
    return bad, f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"


def _domain(cube: Cube, k: int, new: np.ndarray, cells: np.ndarray, where: str, how: str
            ) -> None:
    bad, rng = outside_domain(cube.domains.get(cube.codes[k], (None, None)), new)
    bad &= cells
    if bad.any():
        a, b = np.argwhere(bad)[0]
        raise InputError(
            f"{where}: recomputing {cube.codes[k]} ({how}) takes it outside its feasible "
            f"range {rng}: unit {cube.units[b]}, period {cube.periods[a]}: {new[a, b]:.6g} "
            f"({int(bad.sum())} such values)",
            ["check the change of its inputs, or widen the range with evaluation: "
             "{domains: {" + cube.codes[k] + ": [low, high]}}"])
