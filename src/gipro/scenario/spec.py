"""Scenario specifications: typed, validated changes to the data (YAML or Python).

A scenario is a named list of changes; each change selects units (codes, groups of units by
an attribute such as ``region``, or all), indicators and periods, and applies one operation::

    scenarios:
      - name: fyp13-intensity
        description: CO2 intensity of GDP 18 % below 2015 by 2020 in every province
        changes:
          - {op: path, indicators: [co2_intensity_gdp], change_pct: -18, base: 2015, by: 2020}
      - name: laggards-halve-the-gap
        changes:
          - {op: best, indicators: [co2_per_capita], groups: {region: West}, share: 0.5}

Operations (``op``):

``set``
    ``value``: the new value (in the indicator's unit); with ``if_worse: true`` only where the
    current value is worse than it in the indicator's direction ("bring everyone up to the
    threshold").
``pct``
    ``value``: change by this many per cent, :math:`x' = x (1 + v/100)`.
``abs``
    ``value``: change by this amount, :math:`x' = x + v`.
``path``
    Reach ``target`` (a value) or ``change_pct`` (per cent of the ``base`` period's value) by
    period ``by`` along a constant-rate path -- the five-year-plan form of an intensity target:
    :math:`x_t = x_0 (x_T / x_0)^{(t - t_0)/(T - t_0)}` for :math:`t_0 < t \\le T`, and
    :math:`x_T` after ``by``. ``base`` defaults to the build's last observed period.
``match``
    Close ``share`` (default 1: all) of the gap to the value of the named ``unit`` in the same
    period and indicator: :math:`x' = x + s (x_{ref} - x)`.
``best``
    The same with the best performer in the indicator's direction (among ``among``, default
    every unit) as the reference.
``meet``
    Park frameworks: bring the value to the ``requirement``'s threshold in ``framework`` where
    it is not met (see :mod:`gipro.scenario.parks`).

``value``, ``target`` and ``change_pct`` may be a mapping ``{unit: number}`` (e.g. each
province's own plan target); the change then applies to those units.

Every key is checked: unknown keys, keys that do not apply to the operation, and missing
required keys are errors naming the scenario and change.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..recipe import PeriodRange, validation_details
from ..yamlio import load_yaml
from .relations import Relation

__all__ = [
    "AttainmentOptions",
    "Change",
    "EvaluationOptions",
    "ParkOptions",
    "Question",
    "Scenario",
    "ScenarioFile",
    "TargetSpec",
    "load_scenarios",
]

Op = Literal["set", "pct", "abs", "path", "match", "best", "meet"]
PeriodSel = Literal["last", "all", "observed", "projected"] | int | list[int] | PeriodRange
Number = float | dict[str, float]


def _non_finite(amounts: dict[str, Number | None]) -> str | None:
    """``"value .nan"`` (or ``"value['Beijing'] .inf"``) for the first missing or infinite
    amount, else ``None``: a NaN would blank the indicator, an infinity break every score."""
    for key, amt in amounts.items():
        items = amt.items() if isinstance(amt, dict) else [(None, amt)]
        for unit, v in items:
            if v is not None and not math.isfinite(v):
                where = key if unit is None else f"{key}[{unit!r}]"
                return f"{where} is {v} ({'.nan' if math.isnan(v) else '.inf'} in YAML)"
    return None

#: Optional keys each operation accepts (besides op, indicators, units, groups, note).
_OP_KEYS: dict[str, frozenset[str]] = {
    "set": frozenset({"value", "if_worse", "periods"}),
    "pct": frozenset({"value", "periods"}),
    "abs": frozenset({"value", "periods"}),
    "path": frozenset({"target", "change_pct", "base", "by"}),
    "match": frozenset({"unit", "share", "if_worse", "periods"}),
    "best": frozenset({"among", "share", "if_worse", "periods"}),
    "meet": frozenset({"framework", "requirement", "margin", "periods"}),
}
_COMMON = frozenset({"op", "indicators", "units", "groups", "note"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Change(_Model):
    """One change of a scenario (see the module docstring for the operations).

    Attributes
    ----------
    op : str
        ``set``, ``pct``, ``abs``, ``path``, ``match``, ``best`` or ``meet``.
    indicators : list of str
        Indicator (or data variable) codes changed; for ``meet``, by default the indicator the
        requirement reads.
    units : "all" or list of str
        Units changed (default all); intersected with ``groups``.
    groups : mapping of str to str or list of str, optional
        Unit attributes to match, e.g. ``{region: [East, Central]}``.
    periods : "last", "all", "observed", "projected", int, list or {start, end}
        Periods changed (default ``last``: the last period, a projected one if the evaluation
        projects). Not for ``path``, whose periods follow from ``base`` and ``by``.
    value : float or mapping of unit to float
        ``set``: new value; ``pct``: per cent; ``abs``: amount.
    target, change_pct : float or mapping, ``path`` only (exactly one)
    base, by : int, ``path`` only (``by`` required, after ``base``)
    unit : str, ``match`` only
    among : list of str, ``best`` only (default every unit)
    share : float in (0, 1], ``match`` and ``best`` (default 1)
    if_worse : bool, ``set``, ``match``, ``best``: change only units doing worse
    framework, requirement : str, ``meet`` only; margin : float (beyond the threshold)
    note : str, optional
        Free text kept in the change log.
    """

    op: Op
    indicators: list[str] = Field(default_factory=list)
    units: Literal["all"] | list[str] = "all"
    groups: dict[str, str | list[str]] | None = None
    periods: PeriodSel = "last"
    value: Number | None = None
    target: Number | None = None
    change_pct: Number | None = None
    base: int | None = None
    by: int | None = None
    unit: str | None = None
    among: list[str] | None = None
    share: float = Field(1.0, gt=0.0, le=1.0)
    if_worse: bool = False
    framework: str | None = None
    requirement: str | None = None
    margin: float = Field(0.0, ge=0.0)
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Change:
        allowed = _OP_KEYS[self.op] | _COMMON
        wrong = sorted(k for k in self.model_fields_set if k not in allowed)
        if wrong:
            raise ValueError(f"op {self.op!r} does not take {', '.join(wrong)} (it takes: "
                             f"{', '.join(sorted(_OP_KEYS[self.op]))})")
        if self.op in ("set", "pct", "abs") and self.value is None:
            raise ValueError(f"op {self.op!r} needs value")
        bad = _non_finite({"value": self.value, "target": self.target,
                           "change_pct": self.change_pct})
        if bad:
            raise ValueError(f"change {{op: {self.op}, indicators: {self.indicators}}}: {bad}; "
                             "give a finite number: a scenario cannot make a value missing "
                             "or infinite")
        if self.op == "path":
            if (self.target is None) == (self.change_pct is None):
                raise ValueError("op 'path' needs exactly one of target (a value) or "
                                 "change_pct (per cent of the base period's value)")
            if self.by is None:
                raise ValueError("op 'path' needs by (the period the target is reached)")
            if self.base is not None and not self.by > self.base:
                raise ValueError(f"op 'path': by ({self.by}) must come after base "
                                 f"({self.base})")
        if self.op == "match" and not self.unit:
            raise ValueError("op 'match' needs unit (the unit to match)")
        if self.op == "meet" and not (self.framework and self.requirement):
            raise ValueError("op 'meet' needs framework and requirement")
        if not self.indicators:
            if self.op != "meet":
                raise ValueError(f"op {self.op!r} needs indicators (the indicator codes to "
                                 "change)")
            self.indicators = [_requirement_indicator(self.framework, self.requirement)]
        mapped = [k for k in ("value", "target", "change_pct")
                  if isinstance(getattr(self, k), dict)]
        if mapped and (self.units != "all" or self.groups):
            raise ValueError(f"{mapped[0]} given per unit: the units are its keys, so leave "
                             "out units and groups")
        return self

    def amount(self) -> Number | None:
        """The number (or per-unit numbers) of the operation."""
        return {"path": self.target if self.target is not None else self.change_pct}.get(
            self.op, self.value)

    def describe(self) -> str:
        """One line describing the change."""
        inds = ", ".join(self.indicators)
        who = "all units" if self.units == "all" else ", ".join(self.units)
        if self.groups:
            who += " in " + ", ".join(f"{k}={v}" for k, v in self.groups.items())
        amt = self.amount()
        if isinstance(amt, dict):
            amt_s = "per unit: " + ", ".join(f"{k} {v:g}" for k, v in amt.items())
            who = f"{len(amt)} units"
        else:
            amt_s = f"{amt:g}" if amt is not None else ""
        text = {
            "set": f"set to {amt_s}" + (" where worse" if self.if_worse else ""),
            "pct": f"change by {amt_s} %",
            "abs": f"change by {amt_s}",
            "path": (f"constant-rate path to {amt_s}" if self.target is not None else
                     f"constant-rate path to {amt_s} % from the base value")
            + f" by {self.by}" + (f" (base {self.base})" if self.base is not None else ""),
            "match": f"close {self.share:.0%} of the gap to {self.unit}",
            "best": f"close {self.share:.0%} of the gap to the best performer",
            "meet": f"meet {self.framework} {self.requirement}",
        }[self.op]
        return f"{inds} ({who}): {text}"


def _requirement_indicator(framework: str, requirement: str) -> str:
    """The indicator a park requirement reads (``meet`` without ``indicators``)."""
    from ..errors import GiproError
    from ..parks.model import load_park_framework

    try:
        fw = load_park_framework(framework)
    except GiproError as exc:
        raise ValueError(str(exc)) from None
    req = next((r for r in fw.requirements if r.code == requirement), None)
    if req is None:
        raise ValueError(f"meet {framework} {requirement}: no such requirement (requirements: "
                         f"{', '.join(r.code for r in fw.requirements)})")
    if not req.indicator:
        raise ValueError(f"meet {framework} {requirement}: the requirement reads no indicator "
                         "(a yes/no item); use op: set on the indicator you mean")
    return req.indicator


class Scenario(_Model):
    """A named list of changes.

    Attributes
    ----------
    name : str
        Unique name (not ``baseline``).
    description : str, optional
    changes : list of Change
        Applied in order, each to the data as left by the previous one. An empty list is
        the baseline itself (useful as a check).
    """

    name: str = Field(min_length=1)
    description: str | None = None
    changes: list[Change] = Field(default_factory=list)

    @model_validator(mode="after")
    def _name(self) -> Scenario:
        if self.name.strip().lower() in ("baseline", "reference"):
            raise ValueError(f"scenario name {self.name!r} is reserved; choose another")
        if self.name != self.name.strip() or "," in self.name:
            raise ValueError(f"scenario name {self.name!r}: no surrounding spaces or commas")
        return self


class EvaluationOptions(_Model):
    """How scenarios are evaluated.

    Attributes
    ----------
    bounds : {"frozen", "recompute"}
        ``frozen`` (default): what the recipe learnt from the baseline's data -- imputed
        values, outlier treatment, normalisation bounds, means and reference values,
        data-driven weights -- is applied to the scenario's data, so a score keeps its
        meaning and units that were not changed keep their scores. ``recompute``: the recipe
        is re-run as is on the changed data (bounds move with the data).
    clip : bool
        With frozen bounds, a value pushed beyond the baseline's bounds scores beyond the
        scale (e.g. above 100) by default, and is reported; ``true`` sets it to the bound
        first (no credit beyond the best baseline value).
    horizon : int, optional
        Project beyond the build's last period up to this period, each projected period a
        copy of the last observed one (values as they stand, no trend), before the changes.
    period : int, optional
        Period of the printed summary and side-by-side table (default: the last).
    domains : mapping of str to [low, high]
        Feasible values of indicators (``null`` = unbounded), for changes and inverse
        questions; default (:func:`~gipro.scenario.changes.default_domains`): [0, 1] for
        units starting with ``fraction``, [0, 100] for ``%`` / ``percent`` (not for codes
        naming a growth, change, reduction or elasticity: unbounded), non-negative for
        indicators that are non-negative in the data, else unbounded.
    derived : {"recompute", "keep"}
        ``recompute`` (default): after each change, the variables computed from the changed
        ones are recomputed (:mod:`gipro.scenario.relations`: the built-in relations of the
        park indicators and of the built-in data sets, plus ``relations``), and warnings say
        what cannot be; ``keep``: every variable moves alone (the notes say so).
    relations : list of Relation
        More relations of your data (``{code, kind, terms, ...}``; see
        :class:`~gipro.scenario.relations.Relation`); one for a code that has a built-in
        relation replaces it.
    """

    bounds: Literal["frozen", "recompute"] = "frozen"
    clip: bool = False
    horizon: int | None = None
    period: int | None = None
    domains: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict)
    derived: Literal["recompute", "keep"] = "recompute"
    relations: list[Relation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _relations(self) -> EvaluationOptions:
        codes = [r.code for r in self.relations]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"more than one relation computes {', '.join(dup)}")
        return self


class Question(_Model):
    """An inverse question: the least change for a unit to reach a score or rank.

    Attributes
    ----------
    unit : str
    score, rank : float or int (exactly one)
        Goal on ``code`` (default: the index).
    period : int, optional
        Default: the build's last period.
    code : str, optional
        The index (default) or a sub-index.
    indicators : list of str, optional
        Each considered alone (default: every indicator under ``code``).
    together : list of str, optional
        One proportional change of all of them (instead of ``indicators``).
    """

    unit: str
    score: float | None = None
    rank: int | None = Field(None, ge=1)
    period: int | None = None
    code: str | None = None
    indicators: list[str] | None = None
    together: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _goal(self) -> Question:
        if (self.score is None) == (self.rank is None):
            raise ValueError("give exactly one of score or rank")
        if self.indicators is not None and self.together is not None:
            raise ValueError("give indicators (each alone) or together (one proportional "
                             "change of all), not both")
        return self


class TargetSpec(_Model):
    """A target for an indicator (e.g. a plan's intensity target).

    Attributes
    ----------
    name : str, optional
    indicator : str
    units : "all" or list of str; groups : mapping, optional
    value : float or mapping of unit to float
        Target value by ``by`` (exactly one of value and change_pct).
    change_pct : float or mapping
        Target as per cent change from the ``base`` period's value.
    base : int
        Start of the target period (the target path starts at the unit's value then).
    by : int
        Period by which the target is to be reached.
    """

    name: str | None = None
    indicator: str
    units: Literal["all"] | list[str] = "all"
    groups: dict[str, str | list[str]] | None = None
    value: Number | None = None
    change_pct: Number | None = None
    base: int
    by: int

    @model_validator(mode="after")
    def _check(self) -> TargetSpec:
        if (self.value is None) == (self.change_pct is None):
            raise ValueError("give exactly one of value or change_pct")
        bad = _non_finite({"value": self.value, "change_pct": self.change_pct})
        if bad:
            raise ValueError(f"target for {self.indicator}: {bad}; give a finite number")
        if not self.by > self.base:
            raise ValueError(f"by ({self.by}) must come after base ({self.base})")
        amt = self.value if self.value is not None else self.change_pct
        if isinstance(amt, dict) and (self.units != "all" or self.groups):
            raise ValueError("targets given per unit: leave out units and groups")
        return self

    @property
    def label(self) -> str:
        return self.name or f"{self.indicator} by {self.by}"


class AttainmentOptions(_Model):
    """How the baseline is projected for target attainment.

    Attributes
    ----------
    projection : {"trend", "flat"}
        ``trend`` (default): each unit's compound annual rate over the last ``trend_years``
        observed periods continues; ``flat``: the last observed value stays.
    trend_years : int
        Length of the trend window (default 5).
    """

    projection: Literal["trend", "flat"] = "trend"
    trend_years: int = Field(5, ge=1)


class ParkOptions(_Model):
    """Park scenarios: which frameworks to assess and the partly-met band."""

    frameworks: list[str] = Field(default_factory=lambda: ["hj274", "miit", "eip"])
    tolerance: float = Field(0.10, ge=0.0)
    park26: bool = True


class ScenarioFile(_Model):
    """A scenarios file: evaluation options, scenarios, and optional targets and questions.

    Attributes
    ----------
    evaluation : EvaluationOptions
    scenarios : list of Scenario
    targets : list of TargetSpec
    attainment : AttainmentOptions
    questions : list of Question
    parks : ParkOptions
    """

    evaluation: EvaluationOptions = Field(default_factory=EvaluationOptions)
    scenarios: list[Scenario] = Field(default_factory=list)
    targets: list[TargetSpec] = Field(default_factory=list)
    attainment: AttainmentOptions = Field(default_factory=AttainmentOptions)
    questions: list[Question] = Field(default_factory=list)
    parks: ParkOptions = Field(default_factory=ParkOptions)

    @model_validator(mode="after")
    def _unique(self) -> ScenarioFile:
        names = [s.name for s in self.scenarios]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"scenario names must be unique: {', '.join(dup)}")
        if not (self.scenarios or self.targets or self.questions):
            raise ValueError("nothing to do: give scenarios, targets or questions")
        return self

    @classmethod
    def from_dict(cls, data: Any, origin: str = "scenarios") -> ScenarioFile:
        """Validate a scenarios mapping.

        Raises
        ------
        InputError
            Naming each invalid field (``scenarios.0.changes.1.value: ...``).

        Examples
        --------
        >>> ScenarioFile.from_dict({"scenarios": [{"name": "s", "changes": [
        ...     {"op": "pct", "indicators": ["x"], "value": 5, "unit": "A"}]}]})
        Traceback (most recent call last):
        ...
        gipro.errors.InputError: invalid scenarios
          - scenarios.0.changes.0: op 'pct' does not take unit (it takes: periods, value)
        """
        if not isinstance(data, dict):
            raise InputError(f"invalid {origin}: expected a mapping with scenarios:, got "
                             f"{type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(f"invalid {origin}", validation_details(exc, cls)) from None


def load_scenarios(path: str | Path) -> ScenarioFile:
    """Read and validate a scenarios YAML file.

    Raises
    ------
    InputError
        Missing file, invalid YAML, or an invalid scenario (every problem listed).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"scenarios file {p} does not exist")
    from ..paths import read_text

    text = read_text(p, "scenarios file")
    data = load_yaml(text, f"scenarios file {p}")  # a key written twice is an error
    return ScenarioFile.from_dict(data, f"scenarios file {p}")
