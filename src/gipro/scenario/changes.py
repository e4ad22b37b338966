r"""Applying scenario changes to data: a (period, unit, variable) cube in, a changed cube out.

Each change is applied to whole arrays at once (selected periods x selected units) for each of
its indicators; the changes of a scenario are applied in order, each to the data as left by
the previous one. Every changed cell is logged (old and new value), and so is every selected
cell that was left alone and why (e.g. a missing value is never changed by a per-cent change:
missing stays missing, it never becomes a number).

The constant-rate path of the ``path`` operation is the geometric interpolation used for
five-year-plan intensity targets (a constant annual rate of decline
:math:`r = (x_T/x_0)^{1/(T - t_0)} - 1`):

.. math:: x_t = x_0 \left(\frac{x_T}{x_0}\right)^{(t - t_0)/(T - t_0)}, \qquad t_0 < t \le T

(State Council (2011) *12th Five-Year Work Plan for Controlling Greenhouse Gas Emissions*,
targets as cumulative % declines of intensity over five years; the annual-rate form is the
compound-growth identity, OECD/JRC Handbook 2008, section 7 on growth rates.) After ``T``
the value stays at :math:`x_T`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..dataset import positions
from ..errors import InputError
from ..recipe import PeriodRange
from .cube import Cube
from .propagate import outside_domain, propagate
from .spec import Change, Scenario

__all__ = ["Cube", "apply_changes", "constant_rate_path", "default_domains"]

LOG_COLUMNS = ["scenario", "change", "op", "unit", "period", "indicator", "old", "new",
               "note"]


def constant_rate_path(x0: np.ndarray, xT: np.ndarray, t0: int, T: int,
                       periods: Sequence[int]) -> np.ndarray:
    r"""Values along a constant-rate path from ``x0`` at ``t0`` to ``xT`` at ``T``.

    .. math:: x_t = x_0 (x_T / x_0)^{(t - t_0)/(T - t_0)} \ (t \le T), \qquad x_t = x_T \ (t > T)

    Parameters
    ----------
    x0, xT : ndarray of shape (n,)
        Start and target values, strictly positive (NaN passes through).
    t0, T : int
        Start and target periods, ``T > t0``.
    periods : sequence of int
        Periods wanted (each > ``t0``).

    Returns
    -------
    ndarray of shape (len(periods), n)

    Raises
    ------
    InputError
        A start or target value that is zero or negative (a constant rate is undefined).

    Examples
    --------
    >>> constant_rate_path(np.array([81.0]), np.array([16.0]), 2020, 2024,
    ...                    [2021, 2022, 2023, 2024, 2025]).ravel().round(12).tolist()
    [54.0, 36.0, 24.0, 16.0, 16.0]
    """
    x0 = np.asarray(x0, dtype=float)
    xT = np.asarray(xT, dtype=float)
    if ((x0 <= 0) | (xT <= 0)).any():
        raise InputError("a constant-rate path needs strictly positive start and target "
                         "values")
    frac = np.minimum((np.asarray(periods, dtype=float) - t0) / (T - t0), 1.0)[:, None]
    with np.errstate(invalid="ignore"):
        return np.where(frac >= 1.0, xT[None, :], x0[None, :] * (xT / x0)[None, :] ** frac)


def default_domains(values: np.ndarray, codes: Sequence[str],
                    units_of: Mapping[str, str | None]) -> dict[str, tuple[float | None,
                                                                         float | None]]:
    """Feasible range of each variable when the user gives none.

    * a code naming a rate of change (``growth``, ``change``, ``reduction``,
      ``elasticity``): unbounded, whatever its unit (a rate or an elasticity can turn
      negative even when every observed value is positive);
    * measurement unit starting with ``fraction``: ``[0, 1]``;
    * unit ``%`` or ``percent``: ``[0, 100]`` -- unless the data already exceed 100
      (``[0, inf)``);
    * otherwise ``[0, inf)`` when every observed value is >= 0 (intensities, totals, per
      capita values), else unbounded.

    The rule is applied only where the data agree with it (a fraction above 1 in the data
    gets the non-negative rule). These guard against nonsense answers (a negative intensity,
    a share above 1); override them with ``domains:`` in the evaluation options.

    Examples
    --------
    >>> default_domains(np.array([[[0.2, 3.0, -1.0]]]), ["share", "intensity", "balance"],
    ...                 {"share": "fraction (0-1)", "intensity": "t/10^4 yuan"})
    {'share': (0.0, 1.0), 'intensity': (0.0, None), 'balance': (None, None)}
    """
    out: dict[str, tuple[float | None, float | None]] = {}
    for k, c in enumerate(codes):
        unit = (units_of.get(c) or "").strip().lower()
        col = values[..., k]
        empty = bool(np.isnan(col).all())
        lo = np.inf if empty else float(np.nanmin(col))
        hi = -np.inf if empty else float(np.nanmax(col))
        change = any(w in c.lower() for w in ("growth", "change", "reduction", "elasticity"))
        if change:
            out[c] = (None, None)
        elif unit.startswith("fraction") and lo >= 0 and hi <= 1:
            out[c] = (0.0, 1.0)
        elif unit in ("%", "percent") and lo >= 0 and hi <= 100:
            out[c] = (0.0, 100.0)
        elif lo >= 0:
            out[c] = (0.0, None)
        else:
            out[c] = (None, None)
    return out


def _periods(cube: Cube, sel, where: str) -> list[int]:
    if sel == "last":
        return [cube.periods[-1]]
    if sel == "all":
        return list(cube.periods)
    if sel == "observed":
        return [p for p in cube.periods if p <= cube.last_observed]
    if sel == "projected":
        got = [p for p in cube.periods if p > cube.last_observed]
        if not got:
            raise InputError(f"{where}: periods: projected, but nothing is projected",
                             ["set evaluation: {horizon: <period>} to project beyond "
                              f"{cube.last_observed}"])
        return got
    if isinstance(sel, PeriodRange):
        wanted = list(range(sel.start, sel.end + 1))
    elif isinstance(sel, int):
        wanted = [sel]
    else:
        wanted = list(sel)
    unknown = [p for p in wanted if p not in set(cube.periods)]
    if unknown:
        raise InputError(f"{where}: periods {unknown} are not in the data or the projection",
                         [f"periods: {cube.periods[0]}-{cube.periods[-1]}"
                          + (f" (projected after {cube.last_observed})"
                             if cube.periods[-1] > cube.last_observed else "")])
    return wanted


_NAME_COLUMNS = ("name", "name_zh", "name_en")


def resolve_units(wanted: Sequence[str], units: Sequence[str], meta: pd.DataFrame | None,
                  where: str, what: str = "units") -> tuple[list[str], dict[str, str]]:
    """Unit codes for units given by code or by name.

    A unit may be named by its code or, when unambiguous, by its name in the unit metadata
    (columns ``name``, ``name_zh``, ``name_en``: ``北京`` is ``Beijing``). Anything else is an
    error that suggests the closest codes and names (ignoring case: ``beijing``).

    Parameters
    ----------
    wanted : sequence of str
    units : sequence of str
        The unit codes of the data.
    meta : pandas.DataFrame, optional
        Unit metadata indexed by code.
    where, what : str
        For messages.

    Returns
    -------
    codes : list of str
        In the order given.
    by_name : dict of str to str
        The names that were given instead of codes, and their codes.

    Raises
    ------
    InputError
        Unknown or ambiguous units, with suggestions; a unit named more than once (by its code
        and a name, or twice by the same).

    Examples
    --------
    >>> meta = pd.DataFrame({"name_zh": ["北京", "天津"]}, index=["Beijing", "Tianjin"])
    >>> resolve_units(["北京", "Tianjin"], ["Beijing", "Tianjin"], meta, "change 1")
    (['Beijing', 'Tianjin'], {'北京': 'Beijing'})
    >>> resolve_units(["beijing"], ["Beijing", "Tianjin"], meta, "change 1")
    Traceback (most recent call last):
    ...
    gipro.errors.InputError: change 1: units not in the build: beijing (did you mean Beijing?)
      - units: Beijing (北京), Tianjin (天津)
    >>> resolve_units(["Beijing", "北京"], ["Beijing", "Tianjin"], meta, "change 1")
    Traceback (most recent call last):
    ...
    gipro.errors.InputError: change 1: units named more than once: Beijing as Beijing, 北京
      - name each unit once (by its code or by one of its names)
    """
    import difflib

    known = set(units)
    names: dict[str, set[str]] = {}
    extra: dict[str, list[str]] = {u: [] for u in units}
    if meta is not None:
        for col in _NAME_COLUMNS:
            if col in meta.columns:
                for code, nm in meta[col].items():
                    if code in known and isinstance(nm, str) and nm.strip():
                        names.setdefault(nm.strip(), set()).add(code)
                        if nm.strip() != code and nm.strip() not in extra[code]:
                            extra[code].append(nm.strip())
    label = {u: u + (f" ({' / '.join(extra[u])})" if extra[u] else "") for u in units}
    out: list[str] = []
    by_name: dict[str, str] = {}
    bad: list[str] = []
    for u in wanted:
        key = str(u).strip()
        if key in known:
            out.append(key)
        elif key in names and len(names[key]) == 1:
            code = next(iter(names[key]))
            out.append(code)
            by_name[str(u)] = code
        else:
            bad.append(str(u))
    if bad:
        folded: dict[str, set[str]] = {}
        for c in units:
            folded.setdefault(c.casefold(), set()).add(c)
        for nm, codes in names.items():
            folded.setdefault(nm.casefold(), set()).update(codes)
        hints = []
        for b in bad:
            key = b.strip().casefold()
            cands = sorted(folded.get(key, set()))
            if not cands:
                near = difflib.get_close_matches(key, list(folded), n=3, cutoff=0.75)
                cands = sorted({c for n in near for c in folded[n]})
            ambiguous = b.strip() in names and len(names[b.strip()]) > 1
            hints.append(b + (f" (the name of {', '.join(sorted(names[b.strip()]))}: give the "
                              "code)" if ambiguous else
                              f" (did you mean {' or '.join(cands)}?)" if cands else ""))
        listing = ", ".join(label[u] for u in sorted(units, key=str.casefold))
        raise InputError(f"{where}: {what} not in the build: {', '.join(hints)}",
                         [f"units: {listing}"])
    given: dict[str, list[str]] = {}
    for u, code in zip(wanted, out, strict=True):
        given.setdefault(code, []).append(str(u).strip())
    twice = {c: g for c, g in given.items() if len(g) > 1}
    if twice:  # a change would be counted (or a target listed) once per mention
        raise InputError(
            f"{where}: {what} named more than once: "
            + "; ".join(f"{c} as {', '.join(g)}" for c, g in twice.items()),
            ["name each unit once (by its code or by one of its names)"])
    return out, by_name


def select_units(cube: Cube, units, groups, where: str,
                 by_name: dict[str, str] | None = None) -> list[str]:
    """Unit codes selected by ``units`` ("all", codes or names, see :func:`resolve_units`)
    and ``groups`` (attribute values). Names given are added to ``by_name``.

    Raises
    ------
    InputError
        Unknown unit codes, unknown attributes, or a selection that matches no unit.
    """
    if units == "all":
        chosen = list(cube.units)
    else:
        chosen, named = resolve_units(units, cube.units, cube.groups, where)
        if by_name is not None:
            by_name.update(named)
    if groups:
        meta = cube.groups if cube.groups is not None else pd.DataFrame(index=cube.units)
        for col, want in groups.items():
            if col not in meta.columns:
                raise InputError(f"{where}: no unit attribute {col!r} to select groups by",
                                 [f"attributes: {', '.join(map(str, meta.columns)) or 'none'}"])
            wanted = {str(w) for w in ([want] if isinstance(want, str) else want)}
            vals = meta[col].astype(str)
            known = set(vals)
            missing = sorted(wanted - known)
            if missing:
                raise InputError(f"{where}: {col} has no units with value(s) {missing}",
                                 [f"values: {', '.join(sorted(known))}"])
            chosen = [u for u in chosen if u in meta.index and vals.get(u) in wanted]
    if not chosen:
        raise InputError(f"{where}: the selection matches no unit")
    return chosen


def _per_unit(amount, units: list[str], cube: Cube, where: str,
              by_name: dict[str, str] | None = None) -> tuple[list[str], np.ndarray]:
    """Units and a per-unit array for a number or a mapping {unit: number}."""
    if isinstance(amount, dict):
        codes, named = resolve_units(list(amount), cube.units, cube.groups, where)
        if by_name is not None:
            by_name.update(named)
        if len(set(codes)) != len(codes):
            raise InputError(f"{where}: a unit is given twice (by code and by name)")
        return codes, np.array(list(amount.values()), dtype=float)
    return units, np.full(len(units), float(amount))


def _worse(cur: np.ndarray, ref: np.ndarray, d: int) -> np.ndarray:
    """Where ``cur`` is worse than ``ref`` in direction ``d`` (NaN: not worse)."""
    with np.errstate(invalid="ignore"):
        return d * (ref - cur) > 0


def apply_changes(
    cube: Cube,
    scenario: Scenario,
    *,
    thresholds: Callable[[Change, str, list[int], list[str], np.ndarray], np.ndarray]
    | None = None,
) -> tuple[Cube, pd.DataFrame, list[str]]:
    """Apply a scenario's changes to a copy of ``cube``.

    Parameters
    ----------
    cube : Cube
    scenario : Scenario
    thresholds : callable, optional
        For ``meet``: ``thresholds(change, indicator, periods, units, current)`` returns, for
        each selected (period, unit), the value after meeting the requirement (the current
        value where it is already met; NaN where the requirement does not apply). Given by
        the park layer (:mod:`gipro.scenario.parks`).

    Returns
    -------
    cube : Cube
        The changed data.
    log : pandas.DataFrame
        ``scenario, change, op, unit, period, indicator, old, new, note``: one row per
        changed cell, and one per selected cell left alone (``note`` says why).
    notes : list of str
        One line per change (what it did, how many values).

    Raises
    ------
    InputError
        Unknown units, indicators, periods or group attributes; ``best`` or ``if_worse`` on a
        variable without a direction; a path from or to a value <= 0; a change that takes a
        value outside its feasible range (``domains``), naming unit, indicator and period.

    Examples
    --------
    >>> cube = Cube(np.array([[[100.0], [80.0]]]), [2020], ["A", "B"], ["co2"], 2020,
    ...             {"co2": -1})
    >>> s = Scenario(name="s", changes=[{"op": "best", "indicators": ["co2"], "share": 0.5}])
    >>> new, log, notes = apply_changes(cube, s)   # lower is better: A closes half its gap
    >>> new.values.ravel().tolist(), log[["unit", "old", "new"]].values.tolist()
    ([90.0, 80.0], [['A', 100.0, 90.0]])
    """
    out = cube.copy()
    logs: list[pd.DataFrame] = []
    notes: list[str] = []
    cidx = {c: i for i, c in enumerate(out.codes)}
    uidx = {u: i for i, u in enumerate(out.units)}
    pidx = {p: i for i, p in enumerate(out.periods)}
    for n, ch in enumerate(scenario.changes, start=1):
        where = f"scenario {scenario.name!r}, change {n} ({ch.op})"
        unknown = [c for c in ch.indicators if c not in cidx]
        if unknown:
            raise InputError(f"{where}: indicators not in the data: {unknown}",
                             [f"variables: {', '.join(out.codes)}"])
        by_name: dict[str, str] = {}
        units = select_units(out, ch.units, ch.groups, where, by_name)
        need_dir = ch.op == "best" or ch.if_worse or ch.op == "meet"
        if need_dir:
            nodir = [c for c in ch.indicators if c not in out.directions]
            if nodir:
                raise InputError(f"{where}: {', '.join(nodir)} ha{'s' if len(nodir) == 1 else 've'}"
                                 " no direction (not a framework indicator), so better and "
                                 "worse are undefined")
        amount = ch.amount()
        if ch.op in ("set", "pct", "abs") and isinstance(amount, dict):
            units, per_unit = _per_unit(amount, units, out, where, by_name)
        elif ch.op == "path":
            units, per_unit = _per_unit(amount, units, out, where, by_name)
        else:
            per_unit = np.full(len(units), np.nan if amount is None else float(amount))
        ui = np.array([uidx[u] for u in units])
        if ch.op == "path":
            periods = _path_periods(out, ch, where)
        else:
            periods = _periods(out, ch.periods, where)
        pi = np.array([pidx[p] for p in periods], dtype=int)
        changed_here = 0
        skipped_here = 0
        before = out.values.copy() if out.relations else None
        for code in ch.indicators:
            k = cidx[code]
            d = int(out.directions.get(code, 0))
            cur = out.values[np.ix_(pi, ui, [k])][..., 0]  # (P_sel, U_sel)
            new = cur.copy()
            note = np.full(cur.shape, "", dtype=object)
            if ch.op == "set":
                val = np.broadcast_to(per_unit[None, :], cur.shape)
                do = _worse(cur, val, d) if ch.if_worse else np.ones(cur.shape, dtype=bool)
                note[ch.if_worse & np.isnan(cur)] = "missing: not compared, left missing"
                note[~do & ~np.isnan(cur)] = "not worse than the value: unchanged"
                note[do & np.isnan(cur)] = "was missing"
                new = np.where(do, val, cur)
            elif ch.op in ("pct", "abs"):
                v = per_unit[None, :]
                new = cur * (1.0 + v / 100.0) if ch.op == "pct" else cur + v
                note[np.isnan(cur)] = "missing: left missing"
            elif ch.op == "path":
                new, note = _path(out, ch, k, ui, pi, per_unit, cur, where, code)
            elif ch.op in ("match", "best"):
                ref = _reference(out, ch, k, d, pi, where)  # (P_sel,)
                ref = np.broadcast_to(ref[:, None], cur.shape)
                do = ~np.isnan(cur) & ~np.isnan(ref)
                if ch.if_worse:
                    do &= _worse(cur, ref, d)
                    note[~np.isnan(cur) & ~np.isnan(ref) & ~do] = \
                        "not worse than the reference: unchanged"
                note[np.isnan(ref) & ~np.isnan(cur)] = "reference value missing: unchanged"
                note[np.isnan(cur)] = "missing: left missing"
                new = np.where(do, cur + ch.share * (ref - cur), cur)
            else:  # meet
                if thresholds is None:
                    raise InputError(f"{where}: op 'meet' applies to park frameworks only "
                                     "(run the scenario on park data)")
                t = thresholds(ch, code, periods, units, cur)
                do = ~np.isnan(t) & ~np.isnan(cur) & (t != cur)
                note[np.isnan(cur)] = "missing: left missing"
                note[np.isnan(t) & ~np.isnan(cur)] = ("requirement not applicable or without "
                                                      "threshold for this unit: unchanged")
                note[~np.isnan(t) & ~np.isnan(cur) & ~do] = "already meets it: unchanged"
                new = np.where(do, t, cur)
            _check_domain(out, code, new, cur, pi, ui, where)
            out.values[np.ix_(pi, ui, [k])] = new[..., None]
            diff = ~((new == cur) | (np.isnan(new) & np.isnan(cur)))
            keep = diff | (note != "")
            changed_here += int(diff.sum())
            skipped_here += int((~diff & (note != "")).sum())
            if keep.any():
                a, b = np.nonzero(keep)
                logs.append(pd.DataFrame({
                    "scenario": scenario.name, "change": n, "op": ch.op,
                    "unit": np.array(units, dtype=object)[b],
                    "period": np.array(periods)[a], "indicator": code,
                    "old": cur[a, b], "new": new[a, b], "note": note[a, b]}))
        notes.append(f"change {n}: {ch.describe()}: {changed_here} value"
                     f"{'' if changed_here == 1 else 's'} changed"
                     + (f", {skipped_here} selected values left as they were (see the change "
                        "log)" if skipped_here else "")
                     + (f" [{ch.note}]" if ch.note else "")
                     + ("; units given by name: " + ", ".join(
                         f"{k} = {v}" for k, v in by_name.items()) if by_name else ""))
        if before is not None:
            direct = ~((out.values == before) | (np.isnan(out.values) & np.isnan(before)))
            rlog, rnotes = propagate(out, before, direct, scenario=scenario.name, change=n,
                                     where=where)
            if rlog is not None:
                logs.append(rlog)
            notes += [f"  {x}" for x in rnotes]
    log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame(columns=LOG_COLUMNS)
    return out, log[LOG_COLUMNS], notes


def _path_periods(cube: Cube, ch: Change, where: str) -> list[int]:
    base = cube.last_observed if ch.base is None else ch.base
    if base not in set(cube.periods):
        raise InputError(f"{where}: base period {base} is not in the build",
                         [f"periods: {cube.periods[0]}-{cube.periods[-1]}"])
    assert ch.by is not None
    if not ch.by > base:
        raise InputError(f"{where}: by ({ch.by}) must come after the base period ({base})")
    later = [p for p in cube.periods if p > base]
    if not later:
        raise InputError(f"{where}: no period after the base period {base} to change",
                         ["set evaluation: {horizon: <period>} to project beyond "
                          f"{cube.last_observed}"])
    return later


def _path(cube: Cube, ch: Change, k: int, ui: np.ndarray, pi: np.ndarray,
          per_unit: np.ndarray, cur: np.ndarray, where: str, code: str
          ) -> tuple[np.ndarray, np.ndarray]:
    base = cube.last_observed if ch.base is None else ch.base
    assert ch.by is not None
    x0 = cube.values[cube.periods.index(base), ui, k]
    xT = per_unit if ch.target is not None else x0 * (1.0 + per_unit / 100.0)
    note = np.full(cur.shape, "", dtype=object)
    ok = ~np.isnan(x0)
    bad = ok & ((x0 <= 0) | (xT <= 0))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where}: a constant-rate path of {code} needs positive values; unit "
            f"{cube.units[ui[j]]} has {x0[j]:.6g} in {base} and target {xT[j]:.6g}",
            ["use op: set or op: abs for indicators that can be zero or negative"])
    periods = [cube.periods[i] for i in pi]
    path = np.full(cur.shape, np.nan)
    if ok.any():
        path[:, ok] = constant_rate_path(x0[ok], xT[ok], base, ch.by, periods)
    new = np.where(ok[None, :], path, cur)
    note[:, ~ok] = f"base value ({base}) missing: unchanged"
    return new, note


def _reference(cube: Cube, ch: Change, k: int, d: int, pi: np.ndarray, where: str
               ) -> np.ndarray:
    """Reference value per selected period for ``match`` / ``best``."""
    vals = cube.values[pi, :, k]  # (P_sel, U)
    if ch.op == "match":
        (ref,), _ = resolve_units([str(ch.unit)], cube.units, cube.groups, where,
                                  "unit to match")
        return vals[:, cube.units.index(ref)]
    among = cube.units if ch.among is None else resolve_units(
        ch.among, cube.units, cube.groups, where, "among: units")[0]
    cols = positions(cube.units, among)
    o = vals[:, cols] * d
    with np.errstate(invalid="ignore"):
        best = np.where(np.isnan(o).all(axis=1), np.nan,
                        np.nanmax(np.where(np.isnan(o), -np.inf, o), axis=1))
    return best * d


def _check_domain(cube: Cube, code: str, new: np.ndarray, cur: np.ndarray, pi: np.ndarray,
                  ui: np.ndarray, where: str) -> None:
    bad, rng = outside_domain(cube.domains.get(code, (None, None)), new)
    if bad.any():
        a, b = np.argwhere(bad)[0]
        raise InputError(
            f"{where} takes {code} outside its feasible range {rng}: unit "
            f"{cube.units[ui[b]]}, period {cube.periods[pi[a]]}: {cur[a, b]:.6g} -> "
            f"{new[a, b]:.6g} ({int(bad.sum())} such values)",
            ["check the change, or widen the range with evaluation: {domains: {" + code
             + ": [low, high]}} if such values are possible"])
