r"""Targets and attainment: where each unit stands against an indicator target, period by period.

A target (:class:`~gipro.scenario.spec.TargetSpec`) says that an indicator should reach a
value -- given directly or as a per-cent change from its value in a ``base`` period, e.g. a
five-year plan's "-18 % carbon intensity from 2015 to 2020" -- by period ``by``. For each unit
the **target path** is the constant-rate path from the unit's base value to its target,
:math:`x^*_t = x_0 (x_T/x_0)^{(t - t_0)/(T - t_0)}` (the annual rate that plans use; linear
interpolation when a value is not positive, noted), and in each period from base to ``by``:

* ``value`` -- observed when the data have it; otherwise **projected** from the unit's last
  observed value: ``trend`` (default) continues its compound annual rate over the last
  ``trend_years`` periods, :math:`x_t = x_L (1 + g)^{t - L}`,
  :math:`g = (x_L / x_{L-k})^{1/k} - 1` (CAGR as in COINr / OECD growth-rate convention;
  positive values only, else flat, noted); ``flat`` keeps :math:`x_L`; or the values of a
  scenario (its changed data, including its projected periods);
* ``gap`` = value - target path (indicator units), ``on_track`` when the value is at or
  beyond the path in the direction of the required change;
* ``attainment_pct`` = 100 x (value - base value) / (path - base value): the share of the
  change required by then that has been achieved (100 = on the path, > 100 ahead).

The summary gives, per unit, the value expected in ``by``, whether the target is met, the
gap, the attainment, and the annual rate still needed from the last observed period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..build import Build
from ..dataset import positions
from ..datasets.breaks import series_breaks
from ..errors import InputError
from .changes import resolve_units, select_units
from .cube import Cube
from .evaluate import base_cube
from .spec import AttainmentOptions, TargetSpec

__all__ = ["Attainment", "attainment", "observed_cube"]

_TOL = 1e-9


@dataclass
class Attainment:
    """Target attainment tables.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per target, unit and period from base to ``by``: ``label, target,
        indicator, unit, period, source`` (observed / projected (trend) / projected (flat) /
        scenario), ``value, target_path, gap, on_track, base_value, target_value,
        attainment_pct``.
    summary : pandas.DataFrame
        One row per target and unit: ``label, target, indicator, unit, base, by,
        base_value, target_value, value_by, source_by, met, gap_by, attainment_pct,
        last_observed, rate_needed_pct`` (annual % change needed from the last observed
        value to reach the target), ``rate_trend_pct`` (the trend used), ``note``.
    notes : list of str
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def observed_cube(build: Build) -> Cube:
    """The build's data (its units and periods, every variable) for attainment.

    Data the source may hold after the recipe's last period are not used, as in scenario
    evaluation (the recipe's span is a choice, e.g. a consistent data vintage); extend the
    recipe's periods to use them.
    """
    return base_cube(build)


def attainment(
    source: Build | Cube,
    targets: Sequence[TargetSpec] | TargetSpec,
    *,
    options: AttainmentOptions | None = None,
    label: str = "baseline",
    projected: str = "scenario",
) -> Attainment:
    """Projected attainment of indicator targets per unit and period, and the gap.

    Parameters
    ----------
    source : Build or Cube
        A build (its source data, every period, projected per ``options``) or a cube of
        (changed) data, e.g. a scenario's (:attr:`ScenarioRun.cube`; periods after its
        last observed one are labelled ``scenario``, periods beyond it projected flat).
    targets : TargetSpec or sequence
    options : AttainmentOptions, optional
        ``projection`` (``trend`` or ``flat``) and ``trend_years``.
    label : str
        Name of the data in the tables (``baseline`` or a scenario name).
    projected : str
        For a cube: the ``source`` label of its periods after the last observed one
        (default ``scenario``; e.g. ``projected (copy of last)`` for an unchanged projection).

    Returns
    -------
    Attainment

    Raises
    ------
    InputError
        A target's indicator, units or base period not in the data.

    Examples
    --------
    >>> import gipro
    >>> from gipro.scenario import TargetSpec, attainment
    >>> t = TargetSpec(indicator="co2_intensity_gdp", change_pct=-17, base=2010, by=2015)
    >>> a = attainment(gipro.run(), t)
    >>> s = a.summary.set_index("unit").loc[["Beijing", "Xinjiang"]]
    >>> s[["value_by", "target_value", "met"]].round(3).values.tolist()
    [[0.403, 0.541, True], [3.708, 2.266, False]]
    """
    opts = options or AttainmentOptions()
    cube = observed_cube(source) if isinstance(source, Build) else source
    is_scenario = not isinstance(source, Build)
    if isinstance(targets, TargetSpec):
        targets = [targets]
    tables, summaries, notes = [], [], []
    for n, t in enumerate(targets, start=1):
        where = f"target {n} ({t.label})"
        if t.indicator not in cube.codes:
            raise InputError(f"{where}: indicator {t.indicator!r} is not in the data",
                             [f"variables: {', '.join(cube.codes)}"])
        if t.base not in cube.periods:
            raise InputError(f"{where}: base period {t.base} is not in the data",
                             [f"periods: {cube.periods[0]}-{cube.periods[-1]}"])
        amt = t.value if t.value is not None else t.change_pct
        if isinstance(amt, dict):  # units by code or name (resolve_units)
            units, _ = resolve_units(list(amt), cube.units, cube.groups, where)
            t = t.model_copy(update={("value" if t.value is not None else "change_pct"):
                                     dict(zip(units, amt.values(), strict=True))})
        else:
            units = select_units(cube, t.units, t.groups, where)
        tab, summ, tnotes = _one(cube, t, units, opts, is_scenario, label, projected)
        tables.append(tab)
        summaries.append(summ)
        notes.extend(f"{t.label}: {x}" for x in tnotes)
    if isinstance(source, Build) and source.recipe.data.dataset:
        for t in targets:
            start = min(t.base, cube.last_observed - opts.trend_years)
            for b in series_breaks(source.recipe.data.dataset, [t.indicator], start, t.by):
                notes.append(f"{t.label}: series break between {b.before} and {b.before + 1} "
                             f"({b.note})")
    if isinstance(source, Build) and opts.projection == "trend":
        notes.insert(0, f"projection: each unit's compound annual rate over its last "
                        f"{opts.trend_years} observed periods continues (flat where it cannot "
                        "be computed)")
    elif isinstance(source, Build):
        notes.insert(0, "projection: each unit's last observed value stays (flat)")
    return Attainment(pd.concat(tables, ignore_index=True),
                      pd.concat(summaries, ignore_index=True), notes)


def _one(cube: Cube, t: TargetSpec, units: list[str], opts: AttainmentOptions,
         is_scenario: bool, label: str, projected: str
         ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    k = cube.codes.index(t.indicator)
    ui = np.array(positions(cube.units, units), dtype=int)
    x = cube.values[:, ui, k]  # (P, U)
    periods = np.array(cube.periods)
    x0 = x[list(periods).index(t.base)]
    amt = t.value if t.value is not None else t.change_pct
    a = np.array([amt[u] for u in units], dtype=float) if isinstance(amt, dict) else \
        np.full(len(units), float(amt))
    xT = a if t.value is not None else x0 * (1.0 + a / 100.0)
    span = list(range(t.base, t.by + 1))
    notes: list[str] = []
    # target path: constant rate where positive, else linear
    frac = ((np.array(span) - t.base) / (t.by - t.base))[:, None]
    pos = (x0 > 0) & (xT > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        path = np.where(pos, x0 * (xT / x0) ** frac, x0 + (xT - x0) * frac)
    if (~pos & ~np.isnan(x0)).any():
        notes.append("linear target path for units with a value <= 0: "
                     + ", ".join(np.array(units)[~pos & ~np.isnan(x0)]))
    # values: observed / scenario, then projected from the last observed value
    last_obs = cube.last_observed
    vals = np.full((len(span), len(units)), np.nan)
    src = np.full(vals.shape, "", dtype=object)
    rate = np.full(len(units), np.nan)
    last_p = np.full(len(units), -1)
    last_v = np.full(len(units), np.nan)
    observed = periods <= last_obs
    xo = np.where(observed[:, None], x, np.nan)
    has = ~np.isnan(xo)
    any_obs = has.any(axis=0)
    li = np.where(any_obs, len(periods) - 1 - np.argmax(has[::-1], axis=0), -1)
    last_p[any_obs] = periods[li[any_obs]]
    last_v[any_obs] = xo[li[any_obs], np.flatnonzero(any_obs)]
    proj = "flat" if (is_scenario or opts.projection == "flat") else "trend"
    if proj == "trend":
        rate = _trend(periods, xo, last_p, last_v, opts.trend_years)
        flat_units = np.array(units)[any_obs & np.isnan(rate)]
        if len(flat_units):
            notes.append("no trend (too few or non-positive values in the window), projected "
                         "flat: " + ", ".join(flat_units))
    for i, p in enumerate(span):
        if p in set(cube.periods) and (p <= last_obs or is_scenario):
            v = x[list(periods).index(p)]
            vals[i] = v
            src[i] = np.where(np.isnan(v), "", "observed" if p <= last_obs else projected)
        need = np.isnan(vals[i]) & (last_p >= 0) & (last_p < p)
        if need.any():
            g = np.where(np.isnan(rate), 0.0, rate)
            vals[i, need] = (last_v * (1.0 + g) ** (p - last_p))[need]
            kind = np.where(np.isnan(rate), "projected (flat)", f"projected ({proj})")
            src[i, need] = kind[need]
    direction = np.sign(xT - x0)
    fw_d = cube.directions.get(t.indicator, 1)
    direction = np.where(direction == 0, fw_d, direction)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = vals - path
        on_track = direction * gap >= -_TOL * np.maximum(1.0, np.abs(path))
        req = path - x0
        att = np.where(req != 0, 100.0 * (vals - x0) / req, np.nan)
    P, U = vals.shape
    tab = pd.DataFrame({
        "label": label, "target": t.label, "indicator": t.indicator,
        "unit": np.tile(np.array(units, dtype=object), P),
        "period": np.repeat(span, U),
        "source": src.reshape(-1), "value": vals.reshape(-1),
        "target_path": path.reshape(-1), "gap": gap.reshape(-1),
        "on_track": pd.array(np.where(np.isnan(vals) | np.isnan(path), None,
                                      on_track).reshape(-1), dtype="boolean"),
        "base_value": np.tile(x0, P), "target_value": np.tile(xT, P),
        "attainment_pct": att.reshape(-1),
    })
    end_v, end_src = vals[-1], src[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        years_left = t.by - last_p
        needed = np.where((last_p >= 0) & (years_left > 0) & (last_v > 0) & (xT > 0),
                          100.0 * ((xT / last_v) ** (1.0 / np.maximum(years_left, 1)) - 1.0),
                          np.nan)
    met = pd.array(np.where(np.isnan(end_v) | np.isnan(xT), None,
                            direction * (end_v - xT) >= -_TOL * np.maximum(1.0, np.abs(xT))),
                   dtype="boolean")
    note = np.where(np.isnan(x0), f"no value in the base period {t.base}", "")
    summ = pd.DataFrame({
        "label": label, "target": t.label, "indicator": t.indicator, "unit": units,
        "base": t.base, "by": t.by, "base_value": x0, "target_value": xT,
        "value_by": end_v, "source_by": end_src, "met": met, "gap_by": end_v - xT,
        "attainment_pct": att[-1],
        "last_observed": pd.array(np.where(last_p >= 0, last_p, None), dtype="Int64"),
        "rate_needed_pct": needed,
        "rate_trend_pct": 100.0 * rate, "note": note,
    })
    return tab, summ, notes


def _trend(periods: np.ndarray, xo: np.ndarray, last_p: np.ndarray, last_v: np.ndarray,
           years: int) -> np.ndarray:
    """CAGR per unit over the last ``years`` periods up to its last observation (NaN if the
    window has no earlier positive value)."""
    rate = np.full(len(last_p), np.nan)
    for back in range(years, 0, -1):  # the longest window available, at most ``years``
        start = last_p - back
        ok = np.isnan(rate) & (last_p >= 0) & np.isin(start, periods)
        if not ok.any():
            continue
        idx = np.searchsorted(periods, start[ok])
        v0 = xo[idx, np.flatnonzero(ok)]
        good = (v0 > 0) & (last_v[ok] > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (last_v[ok] / v0) ** (1.0 / back) - 1.0
        tgt = np.flatnonzero(ok)[good]
        rate[tgt] = r[good]
    return rate
