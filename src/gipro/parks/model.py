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
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
    "load_catalogue",
    "load_park_framework",
]

#: Suffixes of park framework files :func:`load_park_framework` reads.
FRAMEWORK_SUFFIXES = (".yaml", ".yml")
COMPARATORS = (">=", "<=", "<", ">", "==", "present", "between")
STATUSES = ("prerequisite", "mandatory", "optional", "encouraged", "group")

Comparator = Literal[">=", "<=", "<", ">", "==", "present", "between"]
Status = Literal["prerequisite", "mandatory", "optional", "encouraged", "group"]
Threshold = float | str | tuple[float, float] | None
AttrValue = str | bool | int | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    """

    code: str
    kind: Literal["number", "boolean", "category"]
    unit: str
    origin: Literal["rollup", "derived", "park"]
    name: Name
    direction: Literal[1, -1] | None = None
    levels: list[str] | None = None
    formula: str | None = None

    @model_validator(mode="after")
    def _kind(self) -> IndicatorDef:
        if self.kind == "category" and not self.levels:
            raise ValueError(f"category indicator {self.code} needs 'levels'")
        if self.kind != "category" and self.levels:
            raise ValueError(f"indicator {self.code}: 'levels' only for categories")
        if self.kind == "number" and self.direction is None:
            raise ValueError(f"numeric indicator {self.code} needs a direction (1 or -1)")
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
    try:
        text = res_or_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what}: it is not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start})") from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc}") from None
    return load_yaml(text, what)


def _errors(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One line per problem, ``path: message``; an unknown key's line lists the valid keys of
    its section and the nearest one (:func:`gipro.yamlio.unknown_key_message`)."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
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
class Variant(_Model):
    """A context-specific threshold, chosen when every ``when`` condition holds for the park.

    ``when`` maps a park attribute (a column of the park table, e.g. ``water_scarce``,
    ``region``, ``park_type``) to the list of values that select this variant.
    """

    when: dict[str, list[AttrValue]]
    threshold: Threshold
    threshold_text: str | None = None
    verified: bool = False
    note: str | None = None


class Category(_Named):
    code: str
    name: Name


class Group(_Model):
    """A k-of-n group: at least ``at_least`` of its members must be met (or reported).

    Attributes
    ----------
    counts : {"met", "reported"}
        ``met``: a member counts when it meets its threshold (HJ 274 "choose 1 of 2" pairs).
        ``reported``: a member counts when the park reports a value (MIIT optional items are
        *selected* for the green index, not pass/fail).
    """

    code: str
    at_least: int = Field(ge=1)
    counts: Literal["met", "reported"] = "met"
    description: str | None = None
    verified: bool = False
    note: str | None = None


class Requirement(_Named):
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
        This requirement's "partly met" band (share of the threshold), overriding the
        assessment's default.
    source, verified, note :
        Provenance: URL or document, whether the threshold was read there, what was read.
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
    tolerance: float | None = Field(None, ge=0.0)
    source: str | None = None
    verified: bool = False
    note: str | None = None

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


class VerdictRule(_Model):
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
    version: str | None = None
    description: str | None = None
    source: str | None = None
    structure_verified: bool = False
    structure_note: str | None = None
    references: list[str] = Field(default_factory=list)
    categories: list[Category]
    groups: list[Group] = Field(default_factory=list)
    verdict: VerdictRule = Field(default_factory=VerdictRule)
    requirements: list[Requirement]

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
        for code, g in groups.items():
            if members[code] == 0:
                problems.append(f"group {code}: has no member requirements")
            elif g.at_least > members[code]:
                problems.append(f"group {code}: at_least {g.at_least} but only {members[code]} "
                                "members")
        if problems:
            raise ValueError("; ".join(problems))
        return self

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
        """The requirements as a DataFrame (one row per requirement, thresholds as text)."""
        import pandas as pd

        rows = []
        for r in self.requirements:
            rows.append({
                "framework": self.code, "category": r.category, "topic": r.topic,
                "requirement": r.code, "name": r.name.get("en"), "name_zh": r.name.zh,
                "indicator": r.indicator, "unit": r.unit, "comparator": r.comparator,
                "threshold": format_threshold(r.threshold), "threshold_text": r.threshold_text,
                "status": r.status, "group": r.group, "status_uncertain": r.status_uncertain,
                "variants": len(r.variants), "verified": r.verified, "source": r.source,
                "note": r.note,
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
        res = resources.files("gipro") / "frameworks" / "parks" / f"{name}.yaml"
        data, origin = _read_yaml(res, f"park framework {name}"), f"built-in {name}"
    else:
        path = Path(name)
        if not path.exists():
            raise InputError(
                f"park framework {name!r} is neither built in nor an existing file",
                [f"built-in park frameworks: {', '.join(builtin_park_frameworks())}"])
        data, origin = _read_yaml(path, f"park framework {path}"), str(path)
    return park_framework_from_dict(data, origin=origin)


def park_framework_from_dict(data: Any, origin: str = "park framework") -> RequirementFramework:
    """Validate a park framework mapping.

    Raises
    ------
    FrameworkError
        Listing every problem (unknown keys included).
    """
    try:
        return RequirementFramework.model_validate(data)
    except ValidationError as exc:
        details = []
        for d in _errors(exc, RequirementFramework):
            d = d.replace("Value error, ", "")
            details.extend(s.strip() for s in d.split("; "))
        raise FrameworkError(f"invalid park framework {origin}", details) from None
