"""Measurement units of the values in each data set of a build.

The framework states each indicator's unit as the data give it (the **raw** unit). Steps can
change what the values measure: after ``denominate``, ASEM's *Services* is "Million USD per
USD bn of GDP", not "Million USD"; after ``normalise`` every value is a score. Messages and
reports that print a value next to a unit must use the unit of the data set the value comes
from. This module follows the build's log to give that unit, for any data set of a run (or
running) build:

* ``raw``: the framework's ``unit``, else the unit stated in the data (long form ``unit``
  column), else ``None``;
* ``denominate``: each ratio gets the step's result unit (its plan's ``units``:
  ``"<unit> / <denominator> (<denominator unit>) x <scale>"`` or the recipe's
  ``result_units``);
* ``treat``: an indicator the step *transformed* in any period (log, Box-Cox: a fallback
  or forced transform, its fit's ``transformed``) gets
  ``"<unit>, transformed by <step>"``; winsorised values keep their unit;
* ``normalise``: every indicator becomes ``"score (normalised)"``;
* ``aggregate``: every aggregate is a ``"score"``;
* ``screen``, ``impute``, ``weight`` and skipped steps (``disable: true``): units unchanged.

The OECD/JRC Handbook (2008, step 5, "denomination") asks that every indicator's unit be
stated after denomination; COINr keeps no units. This is gipro's own bookkeeping.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .errors import InputError

__all__ = ["NORMALISED", "SCORE", "Recorded", "current_units", "dataset_units",
           "fraction_like", "is_percent_unit", "unit_of", "units_by_dataset"]

#: Unit of a normalised indicator score.
NORMALISED = "score (normalised)"
#: Unit of an aggregate score.
SCORE = "score"

#: Spellings of "per cent" as a whole unit (after NFKC and case folding).
_PERCENT_WORDS = frozenset({"%", "percent", "per cent", "percentage", "pct"})


def is_percent_unit(unit: object) -> bool:
    """Whether a measurement unit is a percentage: ``%`` (also full-width ``％``),
    ``percent``, ``per cent``, ``percentage``, ``pct``, or ``%`` followed by what it is a
    share of (``% of GDP``).

    Examples
    --------
    >>> [is_percent_unit(u) for u in ["%", "％", "% of GDP", "Percent", "t", None, "‰"]]
    [True, True, True, True, False, False, False]
    """
    if not isinstance(unit, str):
        return False
    u = " ".join(unicodedata.normalize("NFKC", unit).casefold().split())
    return u in _PERCENT_WORDS or u.startswith("% ")


def fraction_like(lowest: Any, largest: Any) -> np.ndarray:
    """The rule "values saved as fractions instead of percentages", shared by panel data
    (:func:`gipro.panel.fraction_warnings`) and park data (the park engine's check of %
    requirements): a unit's (or park's) values of a % indicator all lie within [0, 1], at
    least one above 0. A spreadsheet % cell saved as its fraction (96 % stored as 0.96)
    gives this; a value of exactly 0 everywhere does not (0 % reads the same in either
    scale). The callers add the contrasting evidence (other units above 1; a threshold
    above 1 %) and only warn: a real 0.96 % is possible, so nothing is rescaled.

    Parameters
    ----------
    lowest, largest : array_like of float, same shape
        Smallest and largest value of each unit (NaN: no value, never flagged).

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> fraction_like([0.2, 0.0, 0.5, -0.1, 12.0], [0.64, 0.0, 1.0, 0.5, 95.0]).tolist()
    [True, False, True, False, False]
    """
    lo = np.asarray(lowest, dtype=float)
    hi = np.asarray(largest, dtype=float)
    return (lo >= 0) & (hi <= 1) & (hi > 0)


#: :func:`percent_outside` flags values outside [0, 100] only when they are at most this
#: share of the indicator's values (a debt of 110-250 % of GDP in many countries is a ratio,
#: not a slip).
RARE_SHARE = 0.05


def percent_outside(values: Any, rare: float | None = None) -> np.ndarray:
    """The rule "a percentage outside [0, 100]", shared by panel data
    (:func:`gipro.panel.plausibility_warnings`) and park data (the park engine's ``check``
    column): a share in % is never below 0 or above 100, so such a value among values
    inside [0, 100] is a typing slip or a value in another unit. Values below -1 or above
    100 are flagged; with ``rare`` (a share, e.g. :data:`RARE_SHARE`), only when they are at
    most that share of the observed values -- an indicator in % with many values outside
    (debt of 110-250 % of GDP, growth rates) is a ratio or a rate, not a share. Only a
    warning: nothing is changed.

    Examples
    --------
    >>> percent_outside([-5.0, -0.5, 55.0, 100.0, 250.0, float("nan")]).tolist()
    [True, False, False, False, True, False]
    >>> v = [250.0] + [50.0] * 19
    >>> percent_outside(v, rare=0.05)[:2].tolist(), percent_outside(v[:10], 0.05)[0]
    ([True, False], np.False_)
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        out = (v < -1) | (v > 100)
    if rare is not None and too_common(int(out.sum()), int((~np.isnan(v)).sum()), rare):
        return np.zeros(v.shape, dtype=bool)
    return out


def too_common(hits: int, observed: int, rare: float) -> bool:
    """The ``rare`` rule of :func:`percent_outside`: more than a share ``rare`` of the
    ``observed`` values are outside [0, 100] (a ratio or a rate, not a share).

    Examples
    --------
    >>> too_common(1, 20, 0.05), too_common(1, 10, 0.05)
    (False, True)
    """
    return hits > rare * max(observed, 1)


#: A change between adjacent periods of at least this factor (either way) is flagged by
#: :func:`jumps` (a value typed in another unit: 10 times, 100 times a fraction, 10,000
#: times 万).
JUMP_FACTOR = 10.0


def jumps(before: Any, after: Any, factor: float = JUMP_FACTOR) -> np.ndarray:
    """The rule "an implausible jump between adjacent periods": both values of one sign
    (neither 0) and one at least ``factor`` times the other in magnitude. A warning only:
    real series can jump (a count from 2 to 25).

    Examples
    --------
    >>> jumps([92.0, 92.0, 2.0, 0.0], [0.93, 95.0, 25.0, 5.0]).tolist()
    [True, False, True, False]
    >>> jumps([120.0, 3.5, -4.0], [12000.0, 3.6, 50.0]).tolist()
    [True, False, False]
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    a_abs, b_abs = np.abs(a), np.abs(b)
    lo = np.minimum(a_abs, b_abs)  # NaN stays NaN: no jump
    hi = np.maximum(a_abs, b_abs, out=a_abs)
    hi /= factor
    with np.errstate(invalid="ignore"):
        out = hi >= lo
        out &= lo > 0
        out &= np.sign(a) == np.sign(b)
    return out


class Recorded(Protocol):
    """What the unit rules read of a build (or of a state of the step runner)."""

    framework: Any
    source_panel: Any
    records: Sequence[Any]


def dataset_units(framework: Any, source_panel: Any, records: Sequence[Any]
                  ) -> dict[str, dict[str, str | None]]:
    """The measurement unit of every code in every data set written by ``records``.

    Parameters
    ----------
    framework : Framework
    source_panel : Panel
        The input data (units stated in the data).
    records : sequence of gipro.steps.run.Record
        The steps run so far, in order (``kind``, ``name``, ``input``, ``output``,
        ``skipped``, ``plan``, ``fit``, ``codes``).

    Returns
    -------
    dict
        Data set name -> {code: unit or None}; the rules are in the module docstring.
    """
    stated = getattr(source_panel, "indicator_units", {}) or {}
    aggregates = set(framework.aggregate_codes)
    out: dict[str, dict[str, str | None]] = {
        "raw": {c: (framework.node(c).unit or stated.get(c) or None)
                for c in framework.indicator_codes}}
    for e in records:
        if e.input not in out:
            continue
        codes = e.codes
        if codes is None:
            continue  # a step that makes a weight set only
        units = dict(out[e.input])
        if not e.skipped:
            if e.kind == "denominate":
                units.update(e.plan.units)
            elif e.kind == "treat":
                for c in e.fit.transformed:
                    if units.get(c) is not None:
                        units[c] = f"{units[c]}, transformed by {e.name}"
                    else:
                        units[c] = f"transformed by {e.name}"
            elif e.kind == "normalise":
                units = {c: NORMALISED for c in units}
        for c in codes:
            if c in aggregates:
                units[c] = SCORE
        out[e.output] = {c: units.get(c) for c in codes}
    return out


def units_by_dataset(build: Recorded) -> dict[str, dict[str, str | None]]:
    """The measurement unit of every code in every data set of the build.

    Parameters
    ----------
    build : Build
        A run build (or anything with ``framework``, ``source_panel`` and ``records``).

    Returns
    -------
    dict
        Data set name -> {code: unit or None}; the rules are in the module docstring.

    Examples
    --------
    >>> import gipro
    >>> u = units_by_dataset(gipro.run())
    >>> u["raw"]["co2_per_capita"], u["normalised"]["co2_per_capita"], u["aggregated"]["GIP"]
    ('t CO2 per person', 'score (normalised)', 'score')
    """
    return dataset_units(build.framework, build.source_panel, build.records)


def current_units(build: Any, dataset: str | None = None) -> dict[str, str | None]:
    """The measurement unit of each code of one data set (default: the final one).

    Raises
    ------
    InputError
        No data set of that name.

    Examples
    --------
    >>> import gipro
    >>> current_units(gipro.run(), "raw")["gdp_real_per_capita"]
    'yuan per person, 2015 prices'
    """
    by_set = units_by_dataset(build)
    name = build.final.name if dataset is None else dataset
    if name not in by_set:
        raise InputError(f"no data set {name!r}; available: {', '.join(build.datasets)}")
    return by_set[name]


def unit_of(build: Any, dataset: str, code: str) -> str | None:
    """One code's unit in a data set, for messages: the framework's unit when the data set
    is not one of the build's (never an error inside an error message)."""
    try:
        units = units_by_dataset(build)
    except Exception:  # pragma: no cover - a message must not fail
        units = {}
    if dataset in units and code in units[dataset]:
        return units[dataset][code]
    node = build.framework.nodes.get(code)
    return node.unit if node is not None else None
