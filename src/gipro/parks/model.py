"""Park requirement frameworks and the park indicator catalogue, as validated data.

A *requirement framework* (HJ 274-2015, the MIIT green-park requirements, the International EIP
Framework) is a list of requirements, each with the park indicator it reads, a comparator, a
threshold, a status and the provenance of every value (``source``, ``verified``, ``note``). It is
written in YAML (``gipro/frameworks/parks/<code>.yaml``) and validated at load; unknown keys are
errors and every problem is reported at once (:class:`~gipro.errors.FrameworkError`)::

    code: my-park-standard
    name: {en: My park standard}
    categories: [{code: ENV, name: {en: Environment}}]
    groups:
      - {code: G-WATER, at_least: 1, counts: met, description: "1 of 2 water items"}
    requirements:
      - code: W1
        name: {en: Fresh water use per unit IVA}
        category: ENV
        indicator: water_per_iva          # a code of the park indicator catalogue
        unit: m3/10k CNY
        comparator: "<="                  # >=, <=, <, >, ==, present, between
        threshold: 8                      # number, text (==), [low, high] (between) or null
        status: group                     # prerequisite, mandatory, optional, encouraged, group
        group: G-WATER
        verified: false                   # was the threshold read in the source?
        note: threshold is recollection
        variants:                         # first matching variant wins
          - {when: {water_scarce: [true]}, threshold: 6, note: water-scarce regions}

References
----------
HJ 274-2015 国家生态工业示范园区标准 (MEE); 工信厅节函〔2016〕586号 绿色园区评价要求 (MIIT);
World Bank, UNIDO, GIZ (2021) *An International Framework for Eco-Industrial Parks*, v2.0.
What of each was verified is recorded per requirement; see ``docs/parks.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from ..errors import FrameworkError, InputError
from ..framework import Name
from ..yamlio import load_yaml, unknown_key_message

__all__ = [
    "COMPARATORS",
    "STATUSES",
    "Catalogue",
    "Category",
    "Group",
    "IndicatorDef",
    "Requirement",
    "RequirementFramework",
    "Variant",
    "VerdictRule",
    "builtin_park_frameworks",
    "export_park_framework",
    "load_catalogue",
    "load_park_framework",
]

#: Suffixes of park framework files :func:`load_park_framework` reads.
FRAMEWORK_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
COMPARATORS = (">=", "<=", "<", ">", "==", "present", "between")
STATUSES = ("prerequisite", "mandatory", "optional", "encouraged", "group")

Comparator = Literal[">=", "<=", "<", ">", "==", "present", "between"]
Status = Literal["prerequisite", "mandatory", "optional", "encouraged", "group"]
Threshold = float | str | tuple[float, float] | None
AttrValue = str | bool | int | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _has_text(v: str | None) -> bool:
    return v is not None and v.strip() != ""


class _Checked:
    """Provenance of a threshold or rule read from a standard.

    ``verified`` is gipro's own reading (the value was read in the cited source); a user who
    holds the official text marks a value with ``user_verified: true`` and ``user_source``
    (document, clause, page). A user mark counts only with a source: without one the value
    stays unverified (and the framework's :attr:`RequirementFramework.notes` say so).
    """

    @property
    def user_checked(self) -> bool:
        """Marked verified by the user, with a source."""
        return self.user_verified and _has_text(self.user_source)

    @property
    def is_verified(self) -> bool:
        """Verified by gipro's reading of the source or by the user with a source."""
        return self.verified or self.user_checked

    @property
    def verification(self) -> str:
        """``verified by user: <source>``, ``verified`` or ``unverified``."""
        if self.user_checked:
            return f"verified by user: {self.user_source.strip()}"
        return "verified" if self.verified else "unverified"


def _name(v: Any) -> Any:
    return {"en": v} if isinstance(v, str) else v


# ---------------------------------------------------------------------- catalogue
class _Named(_Model):
    """A model with a ``name`` given as text or as ``{en: ..., zh: ...}``."""

    @model_validator(mode="before")
    @classmethod
    def _n(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" in data:
            data = {**data, "name": _name(data["name"])}
        return data


class IndicatorDef(_Named):
    """One park indicator of the catalogue.

    Attributes
    ----------
    code : str
        Column name in park data.
    kind : {"number", "boolean", "category"}
    unit : str
        Unit the data must be in (``yes/no`` for booleans, ``category`` for categories).
    origin : {"rollup", "derived", "park"}
        Computed from enterprise records, derived across years, or a park-level record.
    direction : {1, -1}, optional
        Higher (1) or lower (-1) is better; numbers only.
    levels : list of str, optional
        Allowed values of a category.
    formula : str, optional
        How :mod:`gipro.parks.rollup` computes it.
    minimum, maximum : float, optional
        The values the indicator can take (numbers only): a share of a whole within
        [0, 100] %, a total or an intensity >= 0, a growth rate >= -100 %. A value outside
        is an error (:meth:`gipro.parks.ParkData.from_long`, the data-entry workbook).
    """

    code: str
    kind: Literal["number", "boolean", "category"]
    unit: str
    origin: Literal["rollup", "derived", "park"]
    name: Name
    direction: Literal[1, -1] | None = None
    levels: list[str] | None = None
    formula: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def range_text(self) -> str:
        """The valid range in words, e.g. ``0 to 100 %`` or ``>= 0 tce`` (``''`` if none).

        Examples
        --------
        >>> load_catalogue().get("green_cover_pct").range_text()
        '0 to 100 %'
        """
        lo, hi, u = self.minimum, self.maximum, f" {self.unit}"
        if lo is not None and hi is not None:
            return f"{lo:g} to {hi:g}{u}"
        if lo is not None:
            return f">= {lo:g}{u}"
        return f"<= {hi:g}{u}" if hi is not None else ""

    @model_validator(mode="after")
    def _kind(self) -> IndicatorDef:
        if self.kind == "category" and not self.levels:
            raise ValueError(f"category indicator {self.code} needs 'levels'")
        if self.kind != "category" and self.levels:
            raise ValueError(f"indicator {self.code}: 'levels' only for categories")
        if self.kind == "number" and self.direction is None:
            raise ValueError(f"numeric indicator {self.code} needs a direction (1 or -1)")
        if self.kind != "number" and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"indicator {self.code}: minimum/maximum only for numbers")
        if (self.minimum is not None and self.maximum is not None
                and not self.minimum < self.maximum):
            raise ValueError(f"indicator {self.code}: minimum must be below maximum")
        return self


class Catalogue(_Model):
    """The park indicator catalogue (``gipro/frameworks/parks/indicators.yaml``)."""

    code: str
    version: str | None = None
    indicators: list[IndicatorDef]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        seen: set[str] = set()
        dup = [i.code for i in self.indicators if i.code in seen or seen.add(i.code)]
        if dup:
            raise ValueError(f"duplicate indicator codes in the catalogue: {dup}")
        return self

    def get(self, code: str) -> IndicatorDef:
        """The indicator with this code.

        Raises
        ------
        InputError
            If the code is not in the catalogue.
        """
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise InputError(f"unknown park indicator {code!r}",
                         ["see gipro.parks.load_catalogue() for the codes"])

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    def table(self):
        """The catalogue as a DataFrame (one row per indicator)."""
        import pandas as pd

        return pd.DataFrame([
            {"indicator": i.code, "name": i.name.get("en"), "name_zh": i.name.zh,
             "kind": i.kind, "unit": i.unit, "origin": i.origin, "direction": i.direction,
             "levels": "|".join(i.levels or []), "formula": i.formula}
            for i in self.indicators])


def _read_yaml(res_or_path: Any, what: str) -> Any:
    """Parse a YAML file strictly (a key written twice is an error, :mod:`gipro.yamlio`)."""
    if isinstance(res_or_path, Path):  # a user's file: regular, bounded, remembered
        from ..paths import read_text

        return load_yaml(read_text(res_or_path, what), what)
    try:
        text = res_or_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what}: it is not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start})") from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc}") from None
    return load_yaml(text, what)


def _errors(exc: ValidationError, model: type[BaseModel] | None = None,
            where: Callable[[tuple], str | None] | None = None) -> list[str]:
    """One line per problem, ``path: message``; an unknown key's line lists the valid keys of
    its section and the nearest one (:func:`gipro.yamlio.unknown_key_message`). ``where``
    maps a location to a place in the file (a sheet cell), used instead of the path."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        cell = where(tuple(err["loc"])) if where is not None else None
        loc = f"{cell} ({loc})" if cell else loc
        msg = (unknown_key_message(model, err["loc"]) if err["type"] == "extra_forbidden"
               else err["msg"])
        out.append(f"{loc}: {msg}" if loc else msg)
    return out


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The built-in park indicator catalogue.

    Returns
    -------
    Catalogue

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.get("water_productivity").unit
    'CNY/m3'
    """
    res = resources.files("gipro") / "frameworks" / "parks" / "indicators.yaml"
    data = _read_yaml(res, "park indicator catalogue")
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError("invalid park indicator catalogue", _errors(exc, Catalogue)) from None


# ---------------------------------------------------------------------- frameworks
class Variant(_Model, _Checked):
    """A context-specific threshold, chosen when every ``when`` condition holds for the park.

    ``when`` maps a park attribute (a column of the park table, e.g. ``water_scarce``,
    ``region``, ``park_type``) to the list of values that select this variant.
    ``verified``, ``user_verified``, ``user_source``: see :class:`Requirement`.
    """

    when: dict[str, list[AttrValue]]
    threshold: Threshold
    threshold_text: str | None = None
    verified: bool = False
    note: str | None = None
    user_verified: bool = False
    user_source: str | None = None


class Category(_Named):
    code: str
    name: Name


class Group(_Model, _Checked):
    """A k-of-n group: at least ``at_least`` of its members must be met (or reported).

    Attributes
    ----------
    counts : {"met", "reported"}
        ``met``: a member counts when it meets its threshold (HJ 274 "choose 1 of 2" pairs).
        ``reported``: a member counts when the park reports a value (MIIT optional items are
        *selected* for the green index, not pass/fail).
    verified, user_verified, user_source :
        Whether the rule (k, counts, members) was read in the source (see
        :class:`Requirement`).
    """

    code: str
    at_least: int = Field(ge=1)
    counts: Literal["met", "reported"] = "met"
    description: str | None = None
    verified: bool = False
    note: str | None = None
    user_verified: bool = False
    user_source: str | None = None


class Requirement(_Named, _Checked):
    """One requirement (or indicator with a leading value) of a park framework.

    Attributes
    ----------
    code, name, category, topic :
        Identity and place in the framework.
    indicator : str or None
        Catalogue code of the park indicator it reads; ``None`` when no catalogue indicator
        measures it (it is then always "no data" and listed in the coverage report).
    unit : str or None
        Unit of the threshold as printed in the source.
    comparator : {">=", "<=", "<", ">", "==", "present", "between"}
    threshold : float, str, (float, float) or None
        Number for ``>=, <=, <, >, ==``; a category level for ``==`` on categories;
        ``[low, high]`` for ``between``; ignored for ``present``; ``None`` = not known
        (the requirement then evaluates to "no threshold (unverified)").
    threshold_text : str, optional
        The threshold as printed in the source table (kept verbatim).
    status : {"prerequisite", "mandatory", "optional", "encouraged", "group"}
    group : str, optional
        Group code when ``status == "group"``.
    status_uncertain : bool
        The status itself is not verified (a ``?`` in the source table).
    applies_when : mapping, optional
        Park attributes for which the requirement applies (else "not applicable").
    variants : list of Variant
        Context-specific thresholds; the first matching variant replaces ``threshold``.
    tolerance : float, optional
        This requirement's "partly met" band (a share of the threshold, 0 <= t < 1),
        overriding the assessment's default.
    source, verified, note :
        Provenance: URL or document, whether the threshold was read there (by gipro's
        authors), what was read.
    user_verified, user_source : bool, str
        The user's check of the row against the official text: ``user_source`` names the
        document, clause and page. A user mark covers the whole row (comparator, threshold,
        status, group) and counts only with a source; outputs then say
        ``verified by user: <source>`` instead of "unverified".
    """

    code: str
    name: Name
    category: str
    topic: str | None = None
    indicator: str | None = None
    unit: str | None = None
    comparator: Comparator
    threshold: Threshold = None
    threshold_text: str | None = None
    status: Status
    group: str | None = None
    status_uncertain: bool = False
    status_text: str | None = None
    applies_when: dict[str, list[AttrValue]] | None = None
    variants: list[Variant] = Field(default_factory=list)
    tolerance: float | None = Field(None, ge=0.0, lt=1.0)
    source: str | None = None
    verified: bool = False
    note: str | None = None
    user_verified: bool = False
    user_source: str | None = None

    @property
    def direction(self) -> int | None:
        """+1 when a higher value is better (``>=``, ``>``), -1 when lower is (``<=``, ``<``)."""
        return {">=": 1, ">": 1, "<=": -1, "<": -1}.get(self.comparator)


def _check_threshold(comp: str, t: Any, where: str) -> str | None:
    if t is None:
        return None
    if comp == "present":
        return None
    if comp == "between":
        if not (isinstance(t, tuple) and len(t) == 2 and all(isinstance(v, float) for v in t)):
            return f"{where}: 'between' needs threshold [low, high], got {t!r}"
        if not t[0] < t[1]:
            return f"{where}: 'between' needs low < high, got {list(t)}"
        return None
    if isinstance(t, tuple):
        return f"{where}: comparator {comp!r} takes one threshold, got {list(t)}"
    if isinstance(t, str) and comp != "==":
        return f"{where}: comparator {comp!r} needs a number, got {t!r}"
    if isinstance(t, float) and not math.isfinite(t):
        return f"{where}: threshold must be finite, got {t}"
    return None


class VerdictRule(_Model, _Checked):
    """How a framework's verdict is reached from its requirements.

    Attributes
    ----------
    indicator_role : {"requirement", "leading_value"}
        ``requirement``: every prerequisite and mandatory item must be met, and each group
        by its rule (HJ 274, EIP). ``leading_value``: thresholds are *leading values* used
        to score the park (MIIT green index); only prerequisites gate, mandatory items must
        be *reported*, and reaching a leading value is reported but is not a pass mark.
    optional_at_least : int, optional
        How many optional items must be met; ``None`` with ``optional_rule_known: false``
        when the rule exists but its count is not known (then not applied, and said so).
    pass_label, fail_label, undetermined_label : str
        Wording of the verdict.
    verified, user_verified, user_source :
        Whether the rule (role, optional-item count) was read in the source (see
        :class:`Requirement`).
    """

    indicator_role: Literal["requirement", "leading_value"] = "requirement"
    optional_at_least: int | None = Field(None, ge=0)
    optional_rule_known: bool = True
    pass_label: str = "meets the framework"
    fail_label: str = "does not meet the framework"
    undetermined_label: str = "undetermined"
    rule_text: str | None = None
    verified: bool = False
    note: str | None = None
    user_verified: bool = False
    user_source: str | None = None


class GreenIndexRule(_Model, _Checked):
    """How the MIIT green index (GI) weighs its indicators (:func:`gipro.parks.green_index`).

    Attributes
    ----------
    category_weights : mapping of str to float, optional
        Weight of each category (framework category code -> weight >= 0). GI is then the
        weighted mean of the category means of the ratios; ``None`` (default) weighs every
        indicator equally (the hypothesis coded by gipro).
    verified, user_verified, user_source, note :
        Provenance of the weights (see :class:`Requirement`).
    """

    category_weights: dict[str, float] | None = None
    verified: bool = False
    note: str | None = None
    user_verified: bool = False
    user_source: str | None = None

    @model_validator(mode="after")
    def _weights(self) -> GreenIndexRule:
        w = self.category_weights
        if w is not None:
            bad = {k: v for k, v in w.items() if not (math.isfinite(v) and v >= 0)}
            if bad:
                raise ValueError(f"green_index: category weights must be finite and >= 0, got "
                                 f"{bad}")
            if not w or sum(w.values()) <= 0:
                raise ValueError("green_index: category weights must not all be 0")
        return self

    def describe(self) -> str:
        """The weights as text, e.g. ``EG 2, RG 1`` or ``equal weight per indicator``."""
        if self.category_weights is None:
            return "equal weight per indicator"
        return ", ".join(f"{k} {v:g}" for k, v in self.category_weights.items())


class RequirementFramework(_Named):
    """A park requirement framework (see the module docstring for the YAML format).

    Raises
    ------
    pydantic.ValidationError
        Wrapped by :func:`load_park_framework` into a :class:`FrameworkError` listing
        duplicate codes, unknown categories, groups or catalogue indicators, thresholds that
        do not fit their comparator, groups whose rule asks for more members than they have.
    """

    code: str
    name: Name
    based_on: str | None = None
    version: str | None = None
    description: str | None = None
    source: str | None = None
    structure_verified: bool = False
    structure_note: str | None = None
    references: list[str] = Field(default_factory=list)
    categories: list[Category]
    groups: list[Group] = Field(default_factory=list)
    verdict: VerdictRule = Field(default_factory=VerdictRule)
    green_index: GreenIndexRule | None = None
    requirements: list[Requirement]
    _edits: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RequirementFramework:
        problems: list[str] = []
        cats = {c.code for c in self.categories}
        groups = {g.code: g for g in self.groups}
        seen: dict[str, int] = {}
        members: dict[str, int] = dict.fromkeys(groups, 0)
        catalogue = load_catalogue()
        known = set(catalogue.codes)
        for r in self.requirements:
            where = f"requirement {r.code}"
            seen[r.code] = seen.get(r.code, 0) + 1
            if r.category not in cats:
                problems.append(f"{where}: unknown category {r.category!r}")
            if r.status == "group":
                if r.group is None:
                    problems.append(f"{where}: status 'group' needs a 'group' code")
                elif r.group not in groups:
                    problems.append(f"{where}: unknown group {r.group!r}")
                else:
                    members[r.group] += 1
            elif r.group is not None:
                problems.append(f"{where}: has group {r.group!r} but status {r.status!r}")
            if r.indicator is not None and r.indicator not in known:
                problems.append(f"{where}: indicator {r.indicator!r} is not in the park "
                                "indicator catalogue")
            msg = _check_threshold(r.comparator, r.threshold, where)
            if msg:
                problems.append(msg)
            for k, v in enumerate(r.variants):
                msg = _check_threshold(r.comparator, v.threshold, f"{where} variant {k + 1}")
                if msg:
                    problems.append(msg)
            if r.indicator is not None and r.indicator in known:
                kind = catalogue.get(r.indicator).kind
                if kind == "boolean" and r.comparator != "present":
                    problems.append(f"{where}: yes/no indicator {r.indicator} needs comparator "
                                    "'present'")
                if kind == "category" and not (r.comparator == "==" and
                                               (r.threshold is None or
                                                isinstance(r.threshold, str))):
                    problems.append(f"{where}: category indicator {r.indicator} needs "
                                    "comparator '==' with a level as threshold")
                if kind == "category" and isinstance(r.threshold, str):
                    levels = catalogue.get(r.indicator).levels or []
                    if r.threshold not in levels:
                        problems.append(f"{where}: threshold {r.threshold!r} is not a level of "
                                        f"{r.indicator} ({levels})")
                if kind == "number" and r.comparator == "present":
                    problems.append(f"{where}: numeric indicator {r.indicator} cannot use "
                                    "'present'")
        for code, n in seen.items():
            if n > 1:
                problems.append(f"duplicate requirement code {code!r} ({n} times)")
        if self.green_index is not None and self.green_index.category_weights is not None:
            unknown = [c for c in self.green_index.category_weights if c not in cats]
            if unknown:
                problems.append(f"green_index: category weights of unknown categories "
                                f"{unknown} (categories: {sorted(cats)})")
        for code, g in groups.items():
            if members[code] == 0:
                problems.append(f"group {code}: has no member requirements")
            elif g.at_least > members[code]:
                problems.append(f"group {code}: at_least {g.at_least} but only {members[code]} "
                                "members")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ------------------------------------------------------------------ provenance
    def checked_parts(self) -> list[tuple[str, _Checked]]:
        """Every part that carries a verification, with a label: requirements, their
        variants, groups, the verdict rule and the green-index weights."""
        parts: list[tuple[str, _Checked]] = []
        for r in self.requirements:
            parts.append((f"requirement {r.code}", r))
            parts.extend((f"requirement {r.code} variant {k + 1}", v)
                         for k, v in enumerate(r.variants))
        parts.extend((f"group {g.code}", g) for g in self.groups)
        parts.append(("verdict rule", self.verdict))
        if self.green_index is not None:
            parts.append(("green-index weights", self.green_index))
        return parts

    @property
    def notes(self) -> list[str]:
        """What loading the framework found and did: edits to the thresholds and rules of
        the built-in framework it is ``based_on`` (each no longer gipro's verified reading),
        and user marks without a source (which do not count)."""
        out = list(self._edits)
        for label, part in self.checked_parts():
            if part.user_verified and not _has_text(part.user_source):
                out.append(f"{self.code} {label}: marked user_verified without a user_source; "
                           "it stays unverified (give the document, clause and page)")
        return out

    # ------------------------------------------------------------------ access
    def requirement(self, code: str) -> Requirement:
        for r in self.requirements:
            if r.code == code:
                return r
        raise InputError(f"no requirement {code!r} in framework {self.code}")

    def group(self, code: str) -> Group:
        for g in self.groups:
            if g.code == code:
                return g
        raise InputError(f"no group {code!r} in framework {self.code}")

    def category_name(self, code: str) -> str:
        for c in self.categories:
            if c.code == code:
                return c.name.get("en") or code
        return code

    def table(self):
        """The requirements as a DataFrame (one row per requirement, thresholds as text;
        ``verified`` by gipro's reading or by the user with a source, and ``verification``
        saying which)."""
        import pandas as pd

        rows = []
        for r in self.requirements:
            rows.append({
                "framework": self.code, "category": r.category, "topic": r.topic,
                "requirement": r.code, "name": r.name.get("en"), "name_zh": r.name.zh,
                "indicator": r.indicator, "unit": r.unit, "comparator": r.comparator,
                "threshold": format_threshold(r.threshold), "threshold_text": r.threshold_text,
                "status": r.status, "group": r.group,
                "status_uncertain": r.status_uncertain and not r.user_checked,
                "variants": len(r.variants), "verified": r.is_verified,
                "verification": r.verification, "source": r.source, "note": r.note,
            })
        return pd.DataFrame(rows)


def format_threshold(t: Threshold) -> str:
    """A threshold as short text (``''`` when unknown).

    Examples
    --------
    >>> format_threshold((20.0, 30.0)), format_threshold(0.5), format_threshold(None)
    ('[20, 30]', '0.5', '')
    """
    if t is None:
        return ""
    if isinstance(t, tuple):
        return f"[{t[0]:g}, {t[1]:g}]"
    if isinstance(t, float):
        return f"{t:g}"
    return str(t)


def builtin_park_frameworks() -> list[str]:
    """Codes of the park requirement frameworks shipped with gipro.

    Examples
    --------
    >>> builtin_park_frameworks()
    ['eip', 'hj274', 'miit']
    """
    folder = resources.files("gipro") / "frameworks" / "parks"
    return sorted(p.name[:-5] for p in folder.iterdir()
                  if p.name.endswith(".yaml") and p.name != "indicators.yaml")


def load_park_framework(ref: str | Path | RequirementFramework) -> RequirementFramework:
    """Load a park requirement framework by built-in code (``hj274``, ``miit``, ``eip``) or path.

    Raises
    ------
    InputError
        Unknown name, unreadable file or invalid YAML.
    FrameworkError
        Listing every inconsistency of the framework.

    Examples
    --------
    >>> fw = load_park_framework("hj274")
    >>> len(fw.requirements), fw.requirement("HJ-11").comparator
    (32, '<=')
    """
    if isinstance(ref, RequirementFramework):
        return ref
    name = str(ref)
    if name in builtin_park_frameworks():
        return _builtin_framework(name)
    path = Path(name)
    if not path.exists():
        raise InputError(
            f"park framework {name!r} is neither built in nor an existing file",
            [f"built-in park frameworks: {', '.join(builtin_park_frameworks())}"])
    if path.suffix.lower() in (".csv", ".xlsx"):
        from .framework_io import read_framework_tables

        data, where = read_framework_tables(path)
        return park_framework_from_dict(data, origin=str(path), where=where)
    return park_framework_from_dict(_read_yaml(path, f"park framework {path}"),
                                    origin=str(path))


@lru_cache(maxsize=8)
def _builtin_framework(name: str) -> RequirementFramework:
    """A built-in framework, parsed and validated once per process (frameworks are frozen)."""
    res = resources.files("gipro") / "frameworks" / "parks" / f"{name}.yaml"
    return park_framework_from_dict(_read_yaml(res, f"park framework {name}"),
                                    origin=f"built-in {name}")


def export_park_framework(ref: str | Path | RequirementFramework, path: str | Path, *,
                          lang: str = "en") -> Path:
    """Write a park framework for a user to correct and cite: YAML, CSV or Excel (``.xlsx``)
    by the suffix of ``path``; :func:`load_park_framework` reads each back.

    The file is ``based_on`` the built-in framework (so that edits are recognised, see
    :func:`park_framework_from_dict`). In the Excel form the identity columns and gipro's
    ``verified`` are locked, and an ``about`` sheet (in ``lang``) says what to edit and how to
    mark a value verified with its source.

    Parameters
    ----------
    ref : str, path or RequirementFramework
        A built-in code (``hj274``, ``miit``, ``eip``), a framework file or a framework.
    path : path
        ``.yaml``/``.yml``, ``.csv`` or ``.xlsx``.
    lang : {"en", "zh"}
        Language of the Excel instructions.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        Another suffix; a file that cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "hj274.csv"
    >>> fw = load_park_framework(export_park_framework("hj274", out))
    >>> fw.based_on, fw.requirement("HJ-06").threshold
    ('hj274', 70.0)
    """
    from ..version import __version__
    from .framework_io import write_framework_csv, write_framework_xlsx

    fw = load_park_framework(ref)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FRAMEWORK_SUFFIXES:
        raise InputError(f"{path.name}: a park framework is written as "
                         + ", ".join(FRAMEWORK_SUFFIXES))
    data = fw.model_dump(mode="json")
    if data.get("based_on") is None and fw.code in builtin_park_frameworks():
        data["based_on"] = fw.code
    try:
        if suffix == ".csv":
            return write_framework_csv(data, path)
        if suffix == ".xlsx":
            return write_framework_xlsx(data, path, {
                "comparator": list(COMPARATORS), "status": list(STATUSES),
                "counts": ["met", "reported"]}, lang=lang, version=__version__)
        import yaml

        head = (f"# Park framework {fw.code}, exported by gipro {__version__}.\n"
                "# Edit thresholds and rules; to mark a value you checked in the official "
                "text, set\n# user_verified: true and user_source: '<document, clause, "
                "page>'. An edited value\n# without a source stays unverified. 'verified' "
                "is gipro's own reading of the source.\n")
        from ..tables import write_text

        write_text(path, head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                               width=100))
        return path
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def park_framework_from_dict(data: Any, origin: str = "park framework",
                             where: Callable[[tuple], str | None] | None = None
                             ) -> RequirementFramework:
    """Validate a park framework mapping.

    A framework ``based_on`` a built-in one (what ``gipro frameworks export`` writes) is
    compared with it part by part (requirements, variants, groups, the verdict rule, the
    green-index weights): a part whose threshold or rule differs from the built-in is no
    longer gipro's verified reading, so its ``verified`` is set to false and the change is
    listed in :attr:`RequirementFramework.notes`; it counts as verified again only when the
    user marks it (``user_verified`` with ``user_source``). ``verified: true`` on a part the
    built-in does not have verified is an error (use ``user_verified`` and ``user_source``).

    Parameters
    ----------
    data : mapping
        The framework (see the module docstring).
    origin : str
        Where it came from, for messages.
    where : callable, optional
        Maps a validation error location (e.g. ``("requirements", 5, "threshold")``) to a
        place in the file (e.g. ``"requirements!I7"``); used by the CSV and Excel readers.

    Raises
    ------
    FrameworkError
        Listing every problem (unknown keys included).
    """
    try:
        fw = RequirementFramework.model_validate(data)
    except ValidationError as exc:
        details = []
        for d in _errors(exc, RequirementFramework, where):
            d = d.replace("Value error, ", "")
            details.extend(_placed(s.strip(), data, where) for s in d.split("; "))
        raise FrameworkError(f"invalid park framework {origin}", details) from None
    return _against_base(fw, origin) if fw.based_on is not None else fw


def _placed(message: str, data: Any, where: Callable[[tuple], str | None] | None) -> str:
    """A consistency message about one requirement (``requirement HJ-06: ...``) prefixed
    with the cell it concerns in a table form (its threshold cell when the message is about
    the threshold or comparator, else its code cell)."""
    import re

    m = re.match(r"requirement (\S+?)(?: variant (\d+))?: ", message)
    if where is None or m is None or not isinstance(data, dict):
        return message
    codes = [r.get("code") for r in data.get("requirements") or [] if isinstance(r, dict)]
    if m.group(1) not in codes:
        return message
    k = codes.index(m.group(1))
    col = ("threshold" if any(w in message for w in ("threshold", "needs a number",
                                                     "takes one", "comparator"))
           else "code")
    loc = (("requirements", k, "variants", int(m.group(2)) - 1, col) if m.group(2)
           else ("requirements", k, col))
    cell = where(loc)
    return f"{cell}: {message}" if cell else message


def _judged(part: Any) -> tuple:
    """What a part's verification vouches for: its threshold or rule (not its wording)."""
    if isinstance(part, Requirement):
        return (part.indicator, part.comparator, part.threshold, part.status, part.group,
                part.applies_when)
    if isinstance(part, Variant):
        return (part.when, part.threshold)
    if isinstance(part, VerdictRule):
        return (part.indicator_role, part.optional_at_least, part.optional_rule_known)
    if isinstance(part, GreenIndexRule):
        return (part.category_weights,)
    raise TypeError(type(part))  # pragma: no cover


def _describe(part: Any) -> str:
    if isinstance(part, (Requirement, Variant)):
        return (f"{getattr(part, 'comparator', '')} {format_threshold(part.threshold)}"
                .strip() or "none")
    if isinstance(part, Group):
        return f"at least {part.at_least} {part.counts}"
    if isinstance(part, VerdictRule):
        return (f"optional items at least {part.optional_at_least}"
                if part.optional_at_least is not None else "no optional-item count")
    return part.describe()


def _against_base(fw: RequirementFramework, origin: str) -> RequirementFramework:
    """``fw`` with ``verified`` cleared on every part edited from its built-in base, and the
    edits in :attr:`RequirementFramework.notes` (see :func:`park_framework_from_dict`)."""
    if fw.based_on not in builtin_park_frameworks():
        raise FrameworkError(f"invalid park framework {origin}", [
            f"based_on: {fw.based_on!r} is not a built-in park framework "
            f"({', '.join(builtin_park_frameworks())}); leave based_on out for a framework "
            "of your own"])
    base = load_park_framework(fw.based_on)
    base_parts = dict(base.checked_parts())
    members = {g.code: sorted(r.code for r in fw.requirements if r.group == g.code)
               for g in fw.groups}
    base_members = {g.code: sorted(r.code for r in base.requirements if r.group == g.code)
                    for g in base.groups}
    edits: list[str] = []
    claims: list[str] = []
    cleared: set[str] = set()
    for label, part in fw.checked_parts():
        old = base_parts.get(label)
        if isinstance(part, Group):
            same = (old is not None and (part.at_least, part.counts, members[part.code]) ==
                    (old.at_least, old.counts, base_members.get(part.code)))
        else:
            same = old is not None and _judged(part) == _judged(old)
        if same and part.verified and not old.verified:
            claims.append(f"{label}: verified is gipro's reading of the source, and the "
                          f"built-in {base.code} does not have it verified; to mark a value "
                          "you checked, set user_verified to yes and user_source to the "
                          "document, clause and page")
        elif old is None and part.verified:
            claims.append(f"{label}: not in the built-in {base.code}, so not verified by "
                          "gipro; mark it with user_verified and user_source")
        if not same:
            was = "new" if old is None else f"built-in {_describe(old)}"
            now = part.verification if (part.user_checked or not part.verified) else \
                "unverified (edited)"
            edits.append(f"{fw.code} {label}: {_describe(part)} ({was}); {now}")
            if part.verified:
                cleared.add(label)
    if fw.structure_verified and not base.structure_verified:
        claims.append(f"structure_verified: the built-in {base.code} does not have its "
                      "structure verified, and a file cannot claim it")
    if claims:
        raise FrameworkError(f"invalid park framework {origin}", claims)
    base_structure = ({c.code for c in base.categories}, {r.code for r in base.requirements})
    structure = ({c.code for c in fw.categories}, {r.code for r in fw.requirements})
    left_out = sorted(base_structure[1] - structure[1])
    if left_out:
        edits.append(f"{fw.code}: requirements of the built-in {base.code} left out: "
                     + ", ".join(left_out))
    if cleared or (fw.structure_verified and structure != base_structure):
        data = fw.model_dump()
        for r in data["requirements"]:
            if f"requirement {r['code']}" in cleared:
                r["verified"] = False
            for k, v in enumerate(r["variants"]):
                if f"requirement {r['code']} variant {k + 1}" in cleared:
                    v["verified"] = False
        for g in data["groups"]:
            if f"group {g['code']}" in cleared:
                g["verified"] = False
        if "verdict rule" in cleared:
            data["verdict"]["verified"] = False
        if "green-index weights" in cleared:
            data["green_index"]["verified"] = False
        if structure != base_structure and fw.structure_verified:
            data["structure_verified"] = False
            edits.append(f"{fw.code}: categories or requirements differ from the built-in "
                         f"{base.code}: structure unverified")
        fw = RequirementFramework.model_validate(data)
    fw._edits.extend(edits)
    return fw
