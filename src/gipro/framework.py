"""Indicator frameworks: the tree index -> sub-indices/dimensions -> indicators.

A framework is the *metadata* of a composite indicator (OECD/JRC Handbook on Constructing
Composite Indicators, 2008, step 1 "theoretical framework"; COINr's ``iMeta`` table). Each node
has a code, names in English and Chinese, a parent and a weight relative to its siblings. Each
indicator also has a measurement unit, a direction (+1: higher is better, -1: lower is better),
optional target and goalposts, and a source. Aggregates have no direction: their direction is
implied by the directions of their indicators.

Levels follow COINr: indicators are level 1 and an aggregate is one level above the highest of its
children, so the index is the highest level. Trees may be uneven (an indicator may sit directly
under the index next to dimensions); aggregation runs level by level from 2 upwards.

Frameworks are written in YAML::

    code: my-index
    name: {en: My index, zh: 我的指数}
    aggregates:
      - {code: IDX, name: {en: Index}}
      - {code: ENV, parent: IDX, name: {en: Environment}, weight: 1}
    indicators:
      - code: co2_pc
        parent: ENV
        name: {en: CO2 per capita, zh: 人均二氧化碳排放}
        unit: t CO2 per person
        direction: -1
        weight: 1
        source: CEADs

Validation happens at load time and reports every problem at once (:class:`FrameworkError`).
A framework may also list ``variables:`` -- data columns that are not indicators (``kind``
``group``, ``denominator`` or ``other``, with a ``name`` and ``unit``) -- and may come from a
COINr ``iMeta`` table instead of YAML (:meth:`Framework.from_table`, :meth:`Framework.from_file`),
validated the same way; :meth:`Framework.to_table` writes one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import FrameworkError, InputError
from .suggest import did_you_mean
from .yamlio import load_yaml, unknown_key_message

__all__ = [
    "IMETA_COLUMNS",
    "Framework",
    "Name",
    "Node",
    "Variable",
    "builtin_frameworks",
    "load_framework",
]


class Name(BaseModel):
    """A node's name in English and (optionally) Chinese."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str | None = None
    zh: str | None = None

    def get(self, lang: str = "en") -> str | None:
        """Name in ``lang`` ("en" or "zh"), falling back to the other language."""
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first if first else second


class _NodeSpec(BaseModel):
    """One node as written in a framework file (before tree validation)."""

    model_config = ConfigDict(extra="forbid")

    code: Any
    name: Name | str | None = None
    parent: Any = None
    weight: float = 1.0
    unit: str | None = None
    direction: Any = None
    target: float | None = None
    goalposts: tuple[float, float] | None = None
    denominator: str | None = None
    source: str | None = None
    rationale: str | None = None
    description: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        return {"en": v} if isinstance(v, str) else v

    @field_validator("weight", "target", "goalposts", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        # YAML reads yes/no/true/false as booleans, which pydantic would take as 1.0/0.0
        items = v if isinstance(v, (list, tuple)) else [v]
        if any(isinstance(x, bool) for x in items):
            raise ValueError(f"must be a number, got {str(v).lower()} (a yes/no value)")
        return v


@dataclass(frozen=True)
class Node:
    """A validated node of the framework tree.

    Attributes
    ----------
    code : str
        Unique code (no whitespace).
    kind : {"indicator", "aggregate"}
    name : Name
    parent : str or None
        Code of the parent aggregate; ``None`` only for the root (the index).
    weight : float
        Weight relative to the node's siblings (>= 0; renormalised at aggregation).
    level : int
        1 for indicators; for aggregates 1 + the highest level among the children.
    unit : str or None
        Measurement unit (indicators only).
    direction : int or None
        +1 (higher is better) or -1 (lower is better); indicators only.
    target, goalposts : float, (float, float) or None
        Optional target value and (lower, upper) goalposts in the indicator's unit.
    denominator : str or None
        Code of the denominator for denomination (construction step), if any.
    source, rationale, description : str or None
        Data source; a sentence on why the indicator belongs; free description.
    """

    code: str
    kind: str
    name: Name
    parent: str | None
    weight: float
    level: int
    unit: str | None = None
    direction: int | None = None
    target: float | None = None
    goalposts: tuple[float, float] | None = None
    denominator: str | None = None
    source: str | None = None
    rationale: str | None = None
    description: str | None = None

    @property
    def is_indicator(self) -> bool:
        return self.kind == "indicator"

    def label(self, lang: str = "en") -> str:
        """Display label: the name in ``lang`` or, failing that, the code."""
        return self.name.get(lang) or self.code

    def label_code(self, lang: str = "en") -> str:
        """Label followed by the code in brackets, ``"Index (IDX)"``; the code alone when the
        node has no name or its name is its code (never ``"IDX (IDX)"``).

        Examples
        --------
        >>> Node("IDX", "aggregate", Name(en="Index"), None, 1.0, 2).label_code()
        'Index (IDX)'
        >>> Node("总指数", "aggregate", Name(zh="总指数"), None, 1.0, 2).label_code("zh")
        '总指数'
        >>> Node("IDX", "aggregate", Name(), None, 1.0, 2).label_code()
        'IDX'
        """
        label = self.label(lang)
        return label if label.strip() == self.code else f"{label} ({self.code})"


#: Kinds of the data variables a framework describes besides its indicators (COINr's iMeta
#: ``Type`` values ``Group``, ``Denominator`` and ``Other``).
VARIABLE_KINDS = ("group", "denominator", "other")


class _VariableSpec(BaseModel):
    """A data variable that is not an indicator, as written in a framework file."""

    model_config = ConfigDict(extra="forbid")

    code: str
    kind: str
    name: Name | str | None = None
    unit: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        return {"en": v} if isinstance(v, str) else v

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in VARIABLE_KINDS:
            raise ValueError(f"must be one of {', '.join(VARIABLE_KINDS)}, got {v!r}")
        return v


_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class Variable:
    """A data variable described by the framework that is not an indicator: a group column
    (for group imputation and reports), a denominator (for the ``denominate`` step) or another
    variable passed through (COINr iMeta ``Type`` Group, Denominator, Other).

    Attributes
    ----------
    code : str
        Column name in the data.
    kind : {"group", "denominator", "other"}
    name : Name
    unit : str or None
        Measurement unit (denominators: used in the ``denominate`` step's table and in the
        unit of the ratios it writes).
    """

    code: str
    kind: str
    name: Name
    unit: str | None = None


def _weight_hint(raw: Any) -> str:
    """The fix for a weight written as a fraction (``"1/3"``) or other text."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*/\s*([0-9.]+)\s*", str(raw))
    try:
        example = f"{float(m.group(1)) / float(m.group(2)):.3g}" if m else "0.333"
    except (ValueError, ZeroDivisionError):
        example = "0.333"
    return f"write a number: {example}, or relative weights such as 1 and 2"


def _field_errors(exc: ValidationError, raw: Mapping[str, Any] | None = None,
                  model: type[BaseModel] | None = None) -> list[str]:
    """One line per wrong field of a node, in the words of the YAML file: union branch tags
    (``name.Name.fr``) are removed, and when a field fails in one form for a real reason
    (an unknown key) the other form's "should be a string" is not repeated."""
    errs = []
    for err in exc.errors():
        parts = [str(p) for p in err["loc"] if str(p) not in ("Name", "str")]
        loc = ".".join(parts)
        msg = (unknown_key_message(model or _NodeSpec, err["loc"], shown=parts[:-1])
               if err["type"] == "extra_forbidden" else err["msg"])
        errs.append((loc, err["type"], msg))
    out = []
    for loc, kind, msg in errs:
        root = loc.split(".")[0]
        others = [k for lc, k, _ in errs if lc.split(".")[0] == root and not k.endswith("_type")]
        if kind.endswith("_type") and others:
            continue
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
        if loc == "weight" and kind.startswith("float_parsing") and raw is not None:
            msg = f"must be a number, got {raw.get('weight')!r}: {_weight_hint(raw.get('weight'))}"
        line = f"field {loc!r}: {msg}"
        if line not in out:
            out.append(line)
    return out


def _validated(model: type[_M], raw: Any, kind: str, i: int, problems: list[str]) -> _M | None:
    """One entry of a framework file (a node or a variable) validated by ``model``, or None
    with its problems appended, each naming the entry (``indicator 'co2'``, ``variable #2``)."""
    where = f"{kind} #{i + 1}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping of fields, got {raw!r}")
        return None
    if "code" in raw:
        where = f"{kind} {raw['code']!r}"
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        problems.extend(f"{where}: {line}" for line in _field_errors(exc, raw, model))
        return None


def _check_code(code: Any, where: str, problems: list[str]) -> str | None:
    if code is None or (isinstance(code, float) and math.isnan(code)):
        problems.append(f"{where}: missing code")
        return None
    if not isinstance(code, str):
        code = str(code)
    if code == "":
        problems.append(f"{where}: empty code")
        return None
    if code != code.strip():
        problems.append(f"code with leading or trailing whitespace: {code!r} ({where})")
    elif any(ch.isspace() for ch in code):
        problems.append(f"code contains whitespace: {code!r} ({where})")
    return code


def _parse_direction(value: Any) -> int | None:
    if isinstance(value, bool):
        return 0  # YAML true/false/yes/no: refused, not read as 1/0
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
    try:
        d = float(value)
    except (TypeError, ValueError):
        return 0
    return int(d) if d in (1.0, -1.0) else 0


class Framework:
    """A validated indicator framework (index tree with metadata).

    Parameters
    ----------
    indicators : list of mapping
        Indicator entries (``code``, ``parent``, ``direction`` and optional ``name``,
        ``weight``, ``unit``, ``target``, ``goalposts``, ``denominator``, ``source``,
        ``rationale``, ``description``).
    aggregates : list of mapping
        Aggregate entries (``code``, ``parent`` -- omitted for the index -- ``name``,
        ``weight``). Aggregates may not have a direction.
    code : str, optional
        Framework identifier (e.g. ``"china-provinces-green-industry"``).
    name : mapping or str, optional
        Framework name (``{"en": ..., "zh": ...}``).
    description, coverage : str, optional
        What the framework measures; what it does *not* cover.
    references : list of str, optional
        Sources of the framework.
    origin : str, optional
        Where the framework was loaded from (file path or built-in name), used in messages.

    Raises
    ------
    FrameworkError
        Listing every problem found: duplicate codes (with positions), codes with whitespace,
        unknown parents, parents that are indicators, cycles, more or less than one root,
        aggregates without children, indicators without a valid direction (+1/-1),
        aggregates given a direction, negative or non-finite weights, goalposts with
        lower >= upper, unknown keys.

    Examples
    --------
    >>> fw = Framework(
    ...     indicators=[{"code": "a", "parent": "IDX", "direction": 1},
    ...                 {"code": "b", "parent": "IDX", "direction": -1}],
    ...     aggregates=[{"code": "IDX"}])
    >>> fw.indicator_codes
    ['a', 'b']
    >>> fw.level("IDX")
    2
    """

    def __init__(
        self,
        indicators: Iterable[Mapping[str, Any]],
        aggregates: Iterable[Mapping[str, Any]],
        *,
        code: str | None = None,
        name: Mapping[str, Any] | str | None = None,
        description: str | None = None,
        coverage: str | None = None,
        references: list[str] | None = None,
        origin: str | None = None,
        variables: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.code = code
        self.name = Name(en=name) if isinstance(name, str) else Name(**(name or {}))
        self.description = description
        self.coverage = coverage
        self.references = list(references or [])
        self.origin = origin
        self._nodes: dict[str, Node] = {}
        self._children: dict[str, list[str]] = {}
        #: what was read in a way worth telling (e.g. COINr table conventions), logged by builds
        self.notes: list[str] = []
        self.variables: dict[str, Variable] = {}
        self._build(list(indicators), list(aggregates), list(variables))

    # ------------------------------------------------------------------ construction
    def _build(self, indicators: list[Mapping[str, Any]], aggregates: list[Mapping[str, Any]],
               variables: list[Mapping[str, Any]]) -> None:
        problems: list[str] = []
        # codes of nodes whose fields failed validation: they are reported once, and problems
        # that only follow from their absence (children naming them as parent) are not
        failed: set[str] = set()
        entries: list[tuple[str, int, _NodeSpec]] = []
        for kind, items in (("indicator", indicators), ("aggregate", aggregates)):
            for i, raw in enumerate(items):
                spec = _validated(_NodeSpec, raw, kind, i, problems)
                if spec is None:
                    if isinstance(raw, Mapping) and raw.get("code") is not None:
                        failed.add(str(raw["code"]))
                    continue
                entries.append((kind, i, spec))

        # codes: whitespace, duplicates (all positions listed)
        positions: dict[str, list[str]] = {}
        parsed: list[tuple[str, str, _NodeSpec]] = []
        for kind, i, spec in entries:
            code = _check_code(spec.code, f"{kind} #{i + 1}", problems)
            if code is None:
                continue
            positions.setdefault(code, []).append(f"{kind} #{i + 1}")
            parsed.append((kind, code, spec))
        for code, pos in positions.items():
            if len(pos) > 1:
                problems.append(f"duplicate code: {code} ({', '.join(pos)})")

        kinds = {code: kind for kind, code, _ in parsed}
        for kind, code, spec in parsed:
            parent = spec.parent
            if parent is not None and not (isinstance(parent, float) and math.isnan(parent)):
                parent = str(parent)
                if parent != parent.strip():
                    problems.append(
                        f"{kind} {code}: parent {parent!r} has leading or trailing whitespace"
                    )
                elif parent in failed and parent not in kinds:
                    pass  # the parent's own error is reported above
                elif parent not in kinds:
                    problems.append(f"{kind} {code}: unknown parent {parent!r}")
                elif kinds[parent] == "indicator":
                    problems.append(
                        f"{kind} {code}: parent {parent!r} is an indicator; only aggregates "
                        "can have children"
                    )
            elif kind == "indicator":
                problems.append(f"indicator {code}: no parent (every indicator needs one)")
            w = spec.weight
            if not math.isfinite(w) or w < 0:
                problems.append(f"{kind} {code}: weight must be a finite number >= 0, got {w}")
            if kind == "indicator":
                d = _parse_direction(spec.direction)
                if d is None:
                    problems.append(
                        f"indicator {code}: missing direction (write direction: 1 if higher is "
                        "better, -1 if lower is better)"
                    )
                elif d == 0:
                    problems.append(
                        f"indicator {code}: direction must be 1 or -1, got "
                        + (f"{str(spec.direction).lower()} (a yes/no value; write 1 if higher "
                           "is better, -1 if lower is better)"
                           if isinstance(spec.direction, bool) else repr(spec.direction))
                    )
                if spec.goalposts is not None and not spec.goalposts[0] < spec.goalposts[1]:
                    problems.append(
                        f"indicator {code}: goalposts must be (lower, upper) with lower < upper, "
                        f"got {list(spec.goalposts)}"
                    )
            else:
                if spec.direction is not None and not (
                    isinstance(spec.direction, float) and math.isnan(spec.direction)
                ):
                    problems.append(
                        f"aggregate {code}: has a direction ({spec.direction!r}); aggregates take "
                        "their direction from their indicators, remove it"
                    )
                for fld in ("unit", "target", "goalposts", "denominator"):
                    if getattr(spec, fld) is not None:
                        problems.append(
                            f"aggregate {code}: field {fld!r} applies to indicators only"
                        )
        problems.extend(self._read_variables(variables, set(kinds)))
        if problems:
            raise FrameworkError(self._problem_title(), problems)

        parents = {code: (None if spec.parent is None else str(spec.parent))
                   for _, code, spec in parsed}
        roots = [c for c, p in parents.items() if p is None]
        for c, k in kinds.items():
            if k == "aggregate":
                self._children[c] = []
        for c, p in parents.items():
            if p is not None:
                self._children[p].append(c)
        empty = [c for c, ch in self._children.items() if not ch]
        for c in empty:
            problems.append(f"aggregate {c}: has no children")
        weights = {code: spec.weight for _, code, spec in parsed}
        for c, ch in self._children.items():
            if ch and all(weights[k] == 0 for k in ch):
                problems.append(f"aggregate {c}: every child has weight 0, so it cannot be "
                                "computed; give at least one child a positive weight")
        if len(roots) != 1:
            problems.append(
                "a framework needs exactly one root (the index, an aggregate without parent); "
                f"found {len(roots)}: {', '.join(roots) or 'none'}"
            )
        problems.extend(self._find_cycles(parents))
        if problems:
            raise FrameworkError(self._problem_title(), problems)

        levels = self._levels(parents, kinds)
        for kind, code, spec in parsed:
            self._nodes[code] = Node(
                code=code,
                kind=kind,
                name=spec.name if isinstance(spec.name, Name) else Name(),
                parent=parents[code],
                weight=float(spec.weight),
                level=levels[code],
                unit=spec.unit,
                direction=_parse_direction(spec.direction) if kind == "indicator" else None,
                target=spec.target,
                goalposts=((spec.goalposts[0], spec.goalposts[1])
                           if spec.goalposts is not None else None),
                denominator=spec.denominator,
                source=spec.source,
                rationale=spec.rationale,
                description=spec.description,
            )
        self._root = roots[0]

    def _read_variables(self, variables: list[Mapping[str, Any]], node_codes: set[str]
                        ) -> list[str]:
        """Fill :attr:`variables`; return the problems (unknown keys, kinds, clashes)."""
        problems: list[str] = []
        for i, raw in enumerate(variables):
            spec = _validated(_VariableSpec, raw, "variable", i, problems)
            if spec is None:
                continue
            where = f"variable {spec.code!r}"
            if spec.code in node_codes or spec.code in self.variables:
                problems.append(f"{where}: code {spec.code!r} is used twice (a variable's code "
                                "must differ from every indicator, aggregate and variable)")
                continue
            self.variables[spec.code] = Variable(
                spec.code, spec.kind, spec.name if isinstance(spec.name, Name) else Name(),
                spec.unit)
        return problems

    def _problem_title(self) -> str:
        where = f" {self.origin}" if self.origin else ""
        return f"invalid framework{where}"

    @staticmethod
    def _find_cycles(parents: dict[str, str | None]) -> list[str]:
        problems: list[str] = []
        reported: set[str] = set()
        for start in parents:
            path: list[str] = []
            seen: set[str] = set()
            node: str | None = start
            while node is not None and node not in seen:
                seen.add(node)
                path.append(node)
                node = parents.get(node)
            if node is not None:  # returned to a node already on the path: a cycle
                cycle = path[path.index(node):]
                key = frozenset(cycle)
                if not reported & key:
                    problems.append("cycle in parents: " + " -> ".join([*cycle, node]))
                    reported |= key
        return problems

    def _levels(self, parents: dict[str, str | None], kinds: dict[str, str]) -> dict[str, int]:
        levels: dict[str, int] = {}

        def level(code: str) -> int:
            if code not in levels:
                if kinds[code] == "indicator":
                    levels[code] = 1
                else:
                    levels[code] = 1 + max(level(c) for c in self._children[code])
            return levels[code]

        for code in parents:
            level(code)
        return levels

    # ------------------------------------------------------------------ access
    @property
    def root(self) -> str:
        """Code of the index (the root aggregate)."""
        return self._root

    @property
    def nodes(self) -> dict[str, Node]:
        """All nodes by code, indicators first then aggregates, in file order."""
        return dict(self._nodes)

    def node(self, code: str) -> Node:
        """The node with this code.

        Raises
        ------
        InputError
            If no node has this code.
        """
        try:
            return self._nodes[code]
        except KeyError:
            raise InputError(
                f"unknown code {code!r} in framework {self.code or self.origin or ''}".rstrip(),
                [f"known codes: {', '.join(self._nodes)}"],
            ) from None

    @property
    def indicator_codes(self) -> list[str]:
        """Indicator codes in file order."""
        return [c for c, n in self._nodes.items() if n.kind == "indicator"]

    @property
    def aggregate_codes(self) -> list[str]:
        """Aggregate codes ordered by level, then file order (the aggregation order)."""
        aggs = [c for c, n in self._nodes.items() if n.kind == "aggregate"]
        return sorted(aggs, key=lambda c: self._nodes[c].level)

    @property
    def codes(self) -> list[str]:
        """Indicator codes then aggregate codes (aggregation order)."""
        return self.indicator_codes + self.aggregate_codes

    @property
    def indicators(self) -> list[Node]:
        return [self._nodes[c] for c in self.indicator_codes]

    @property
    def aggregates(self) -> list[Node]:
        return [self._nodes[c] for c in self.aggregate_codes]

    @property
    def max_level(self) -> int:
        return self._nodes[self._root].level

    def level(self, code: str) -> int:
        return self.node(code).level

    def children(self, code: str) -> list[str]:
        """Codes of the direct children of an aggregate (file order)."""
        self.node(code)
        return list(self._children.get(code, []))

    def indicators_under(self, code: str) -> list[str]:
        """Indicator codes in the subtree of ``code`` (file order)."""
        node = self.node(code)
        if node.is_indicator:
            return [code]
        out: list[str] = []
        for c in self._children[code]:
            out.extend(self.indicators_under(c))
        order = {c: i for i, c in enumerate(self.indicator_codes)}
        return sorted(out, key=order.__getitem__)

    def directions(self, codes: Iterable[str] | None = None) -> np.ndarray:
        """Directions (+1/-1) of indicators as a float array of shape (n_indicators,)."""
        codes = self.indicator_codes if codes is None else list(codes)
        return np.array([self.node(c).direction for c in codes], dtype=float)

    def effective_weights(self) -> pd.Series:
        """Weight of each indicator in the index: the product of its sibling-normalised weights
        along the path to the root (OECD/JRC Handbook 2008, section 6; COINr ``get_eff_weights``).

        Returns
        -------
        pandas.Series
            Indexed by every code (indicators and aggregates); the index has weight 1 and the
            effective weights of the nodes of each level sum to 1 in a balanced tree.
        """
        out: dict[str, float] = {self._root: 1.0}

        def walk(code: str) -> None:
            kids = self._children.get(code, [])
            total = sum(self._nodes[c].weight for c in kids)
            for c in kids:
                share = self._nodes[c].weight / total if total > 0 else 0.0
                out[c] = out[code] * share
                walk(c)

        walk(self._root)
        return pd.Series(out).reindex(self.codes)

    def with_weights(self, weights: Mapping[str, float]) -> Framework:
        """A copy of the framework with some node weights replaced.

        Raises
        ------
        InputError
            If a code is unknown.
        """
        unknown = [c for c in weights if c not in self._nodes]
        if unknown:
            raise InputError(
                "weights given for codes not in the framework: " + ", ".join(map(repr, unknown))
            )
        d = self.to_dict()
        for entry in d["indicators"] + d["aggregates"]:
            if entry["code"] in weights:
                entry["weight"] = float(weights[entry["code"]])
        return Framework.from_dict(d, origin=self.origin)

    # ------------------------------------------------------------------ I/O
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str | None = None) -> Framework:
        """Framework from a mapping with keys ``indicators``, ``aggregates`` and metadata.

        Raises
        ------
        FrameworkError
            On unknown top-level keys and on every validation problem (see the class).
        """
        allowed = {"code", "name", "description", "coverage", "references", "indicators",
                   "aggregates", "variables", "version"}
        if not isinstance(data, Mapping):
            raise FrameworkError(
                f"invalid framework {origin or ''}: expected a mapping at top level"
            )
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise FrameworkError(
                f"invalid framework {origin or ''}".rstrip(),
                [f"unknown key {k!r}{did_you_mean(k, allowed)} (allowed: "
                 f"{', '.join(sorted(allowed))})" for k in unknown],
            )
        for key in ("indicators", "aggregates"):
            if not isinstance(data.get(key), list) or not data.get(key):
                raise FrameworkError(
                    f"invalid framework {origin or ''}".rstrip(),
                    [f"{key!r} must be a non-empty list"],
                )
        return cls(
            data["indicators"],
            data["aggregates"],
            code=data.get("code"),
            name=data.get("name"),
            description=data.get("description"),
            coverage=data.get("coverage"),
            references=data.get("references"),
            origin=origin,
            variables=data.get("variables") or (),
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> Framework:
        """Load a framework from a YAML file (see the module docstring for the format).

        Raises
        ------
        InputError
            If the file cannot be read or is not valid YAML.
        FrameworkError
            If the framework is inconsistent.
        """
        from .paths import read_text

        path = Path(path)
        text = read_text(path, "framework file", "save the framework as UTF-8")
        data = load_yaml(text, f"framework file {path}")
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        *,
        code: str | None = None,
        name: str | Mapping[str, Any] | None = None,
        origin: str | None = None,
        rows: Sequence[int] | None = None,
    ) -> Framework:
        """Framework from a COINr metadata table (``iMeta``).

        Each row becomes the entry the YAML form would hold, and the framework is then
        validated exactly as a YAML file is (:class:`Framework`): every problem at once, each
        naming the code (an aggregate with a direction, an indicator without one, unknown
        parents, cycles...). Table-specific problems (unknown columns or ``Type`` values, a
        ``Level`` that disagrees with the tree) are listed with them, naming the file row.

        Parameters
        ----------
        table : pandas.DataFrame
            One row per indicator, aggregate and data variable, with the columns of COINr's
            ``iMeta`` (Becker et al. 2022; COINr ``check_iMeta``): ``iCode``, ``Parent``,
            ``Type`` (``Indicator``, ``Aggregate``, ``Group``, ``Denominator``, ``Other``)
            and optionally ``Level``, ``iName``, ``Direction``, ``Weight``, ``Unit``,
            ``Target``, ``Denominator``; gipro also reads ``iName_zh`` (Chinese name),
            ``Source``, ``Rationale`` and ``Description``. Other columns are an error naming
            them (a misspelt ``Wieght`` would otherwise leave every weight at 1).
        code, name : optional
            Framework code and name.
        origin : str, optional
            The file, for messages.
        rows : sequence of int, optional
            The file row of each table row, for messages (default: spreadsheet rows 2, 3...).

        Returns
        -------
        Framework
            With :attr:`variables` holding the Group, Denominator and Other rows, and
            :attr:`notes` saying which COINr conventions were read (see Notes).

        Raises
        ------
        FrameworkError
            As for the constructor, plus table-specific problems.

        Notes
        -----
        COINr's ``check_iMeta`` requires a ``Direction`` on aggregates although COINr never
        uses it (an aggregate's direction follows from its indicators), and its example
        tables give every aggregate ``Direction`` 1 and ``Unit`` "Score". gipro reads
        exactly these two conventions as "no direction" and "no unit" and says so in
        :attr:`notes` (logged by a build); any other direction on an aggregate (-1, 2) is the
        YAML path's error. ``Level`` must agree with the tree (indicators 1, an aggregate one
        above its highest child), as COINr checks.

        Examples
        --------
        >>> t = pd.DataFrame({"iCode": ["a", "b", "IDX"], "Parent": ["IDX", "IDX", None],
        ...                   "Type": ["Indicator", "Indicator", "Aggregate"],
        ...                   "Direction": [1, -1, -1], "Level": [1, 1, 2]})
        >>> try:
        ...     Framework.from_table(t)
        ... except FrameworkError as exc:
        ...     print(exc.details[0][:35])
        aggregate IDX: has a direction (-1)
        """
        origin = origin or "metadata table"
        rows = list(rows) if rows is not None else list(range(2, len(table) + 2))
        problems: list[str] = []
        cols = [str(c) for c in table.columns]
        unknown = [c for c in cols if c not in IMETA_COLUMNS]
        for c in unknown:
            problems.append(f"unknown column {c!r}{did_you_mean(c, IMETA_COLUMNS)} (columns "
                            f"read: {', '.join(IMETA_COLUMNS)})")
        missing = [c for c in ("iCode", "Parent", "Type") if c not in cols]
        if missing:
            raise FrameworkError(f"invalid framework {origin}",
                                 [f"metadata table lacks columns: {', '.join(missing)}"
                                  " (a COINr iMeta table has Level, iCode, iName, Direction, "
                                  "Weight, Unit, Target, Denominator, Parent, Type)", *problems])
        entries = _imeta_entries(table, rows)
        problems += entries.problems
        notes = []
        if entries.aggregate_directions:
            aggs = _count(entries.aggregate_directions, "aggregate")
            notes.append(f"{origin}: Direction 1 of {aggs} read as no direction (COINr "
                         "requires the column for aggregates and does not use it)")
        if entries.aggregate_units:
            aggs = _count(entries.aggregate_units, "aggregate")
            units = ", ".join(repr(u) for u in dict.fromkeys(entries.aggregate_units.values()))
            notes.append(f"{origin}: Unit {units} of {aggs} not read (aggregates are scores; "
                         "units belong to indicators)")
        try:
            fw = cls(entries.indicators, entries.aggregates, code=code, name=name,
                     origin=origin, variables=entries.variables)
        except FrameworkError as exc:
            raise FrameworkError(f"invalid framework {origin}",
                                 [*problems, *exc.details]) from None
        for c, (level, row) in entries.levels.items():
            if c in fw._nodes and fw._nodes[c].level != level:
                problems.append(
                    f"row {row} ({c}): Level {level} but the tree puts it at level "
                    f"{fw._nodes[c].level} (indicators are level 1, an aggregate one above "
                    "its highest child)")
        if problems:
            raise FrameworkError(f"invalid framework {origin}", problems)
        fw.notes = notes
        return fw

    @classmethod
    def from_file(cls, path: str | Path, *, sheet: str | int | None = None,
                  encoding: str = "utf-8-sig") -> Framework:
        """A framework from a YAML file or a COINr ``iMeta`` table (CSV, TSV or Excel).

        A table is recognised by its suffix (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``,
        ``.xls``); an Excel workbook is read from ``sheet``, else the sheet named ``iMeta``,
        else the first sheet. Tables are read by :func:`gipro.panel.read_table` (encodings,
        Excel error cells, file row numbers) and converted by :meth:`from_table`.

        Raises
        ------
        InputError
            Unreadable file.
        FrameworkError
            An invalid framework (every problem listed).
        """
        path = Path(path)
        if path.suffix.lower() not in _TABLE_SUFFIXES:
            return cls.from_yaml(path)
        from .panel import read_table

        if sheet is None and path.suffix.lower() in (".xlsx", ".xlsm"):
            sheet = _imeta_sheet(path)
        table, rows = read_table(path, sheet=sheet, encoding=encoding)
        return cls.from_table(table, origin=str(path), rows=rows.tolist())

    def to_table(self, path: str | Path | None = None) -> pd.DataFrame:
        """The framework as a COINr ``iMeta`` table (and written to ``path``, CSV or Excel).

        Columns ``Level, iCode, iName, Direction, Weight, Unit, Target, Denominator, Parent,
        Type`` as COINr's ``new_coin`` expects them (aggregates get ``Direction`` 1, which
        COINr requires), then ``iName_zh``, ``Source``, ``Rationale``, ``Description`` when
        any node has them; one row per indicator, aggregate and variable. Goalposts have no
        iMeta column: a framework with goalposts is refused (write it as YAML).

        Raises
        ------
        InputError
            If an indicator has goalposts, or ``path`` is not ``.csv``/``.xlsx``.

        Examples
        --------
        >>> fw = Framework([{"code": "a", "parent": "IDX", "direction": -1, "unit": "t"}],
        ...                [{"code": "IDX", "name": "Index"}])
        >>> fw.to_table()[["Level", "iCode", "Direction", "Parent", "Type"]]
           Level iCode  Direction Parent       Type
        0      1     a         -1    IDX  Indicator
        1      2   IDX          1    NaN  Aggregate
        """
        with_goalposts = [n.code for n in self.indicators if n.goalposts is not None]
        if with_goalposts:
            raise InputError(f"indicators with goalposts cannot be written as an iMeta table: "
                             f"{', '.join(with_goalposts)}",
                             ["COINr's iMeta has no goalposts column; write the framework as "
                              "YAML (to_yaml)"])
        rows = []
        for n in [*self.indicators, *self.aggregates]:
            rows.append({"Level": n.level, "iCode": n.code, "iName": n.name.en,
                         "Direction": n.direction if n.is_indicator else 1, "Weight": n.weight,
                         "Unit": n.unit, "Target": n.target, "Denominator": n.denominator,
                         "Parent": n.parent,
                         "Type": "Indicator" if n.is_indicator else "Aggregate",
                         "iName_zh": n.name.zh, "Source": n.source, "Rationale": n.rationale,
                         "Description": n.description})
        for v in self.variables.values():
            rows.append({"Level": None, "iCode": v.code, "iName": v.name.en, "Direction": None,
                         "Weight": None, "Unit": v.unit, "Target": None, "Denominator": None,
                         "Parent": None, "Type": v.kind.capitalize(), "iName_zh": v.name.zh,
                         "Source": None, "Rationale": None, "Description": None})
        out = pd.DataFrame(rows, columns=list(IMETA_COLUMNS))
        extra = [c for c in IMETA_COLUMNS[10:] if out[c].notna().any()]
        out = out[list(IMETA_COLUMNS[:10]) + extra]
        out["Level"] = out["Level"].astype("Int64")
        out["Direction"] = out["Direction"].astype("Int64")
        if path is not None:
            path = Path(path)
            from .tables import neutralise, replace_file

            if path.suffix.lower() == ".csv":  # object columns: floats written by repr, exact
                with replace_file(path) as tmp:
                    neutralise(out.astype(object)).to_csv(tmp, index=False)
            elif path.suffix.lower() == ".xlsx":
                with replace_file(path) as tmp:
                    out.to_excel(tmp, index=False, sheet_name="iMeta")
            else:
                raise InputError(f"cannot write an iMeta table to {path}: use .csv or .xlsx")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The framework as a plain mapping (the YAML form)."""

        def entry(n: Node) -> dict[str, Any]:
            d: dict[str, Any] = {"code": n.code}
            name = {k: v for k, v in (("en", n.name.en), ("zh", n.name.zh)) if v}
            if name:
                d["name"] = name
            if n.parent is not None:
                d["parent"] = n.parent
            d["weight"] = n.weight
            if n.is_indicator:
                d["unit"] = n.unit
                d["direction"] = n.direction
                for fld in ("target", "goalposts", "denominator", "source", "rationale"):
                    v = getattr(n, fld)
                    if v is not None:
                        d[fld] = list(v) if fld == "goalposts" else v
            if n.description:
                d["description"] = n.description
            return d

        out: dict[str, Any] = {}
        if self.code:
            out["code"] = self.code
        name = {k: v for k, v in (("en", self.name.en), ("zh", self.name.zh)) if v}
        if name:
            out["name"] = name
        for key in ("description", "coverage"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.references:
            out["references"] = list(self.references)
        out["aggregates"] = [entry(self._nodes[c]) for c in self._nodes
                             if not self._nodes[c].is_indicator]
        out["indicators"] = [entry(n) for n in self.indicators]
        if self.variables:
            out["variables"] = [
                {"code": v.code, "kind": v.kind,
                 **({"name": {k: x for k, x in (("en", v.name.en), ("zh", v.name.zh)) if x}}
                    if v.name.en or v.name.zh else {}),
                 **({"unit": v.unit} if v.unit else {})}
                for v in self.variables.values()]
        return out

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Write the framework as YAML to ``path`` (if given) and return the text."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            from .tables import write_text

            write_text(path, text)
        return text

    def table(self, lang: str = "en") -> pd.DataFrame:
        """One row per node: code, kind, level, parent, name, weight, unit, direction, source."""
        rows = [
            {
                "code": n.code,
                "kind": n.kind,
                "level": n.level,
                "parent": n.parent,
                "name": n.label(lang),
                "weight": n.weight,
                "unit": n.unit,
                "direction": n.direction,
                "source": n.source,
            }
            for n in self._nodes.values()
        ]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"Framework({self.code or self.origin or 'unnamed'}: "
            f"{len(self.indicator_codes)} indicators, {len(self.aggregate_codes)} aggregates, "
            f"{self.max_level} levels)"
        )


# ---------------------------------------------------------------------- COINr iMeta tables
#: Columns of a framework table: COINr's iMeta (``check_iMeta``), then gipro's additions.
IMETA_COLUMNS = ("Level", "iCode", "iName", "Direction", "Weight", "Unit", "Target",
                 "Denominator", "Parent", "Type", "iName_zh", "Source", "Rationale",
                 "Description")
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")
_IMETA_TYPES = {"indicator": "indicator", "aggregate": "aggregate", "group": "group",
                "denominator": "denominator", "other": "other"}


def _imeta_sheet(path: Path) -> str | int:
    """The sheet named ``iMeta`` (any case) of a workbook, else the first (0)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # unreadable: read_table reports it with the reason
        return 0
    try:
        return next((n for n in wb.sheetnames if n.strip().lower() == "imeta"), 0)
    finally:
        wb.close()


def _cell(v: Any) -> Any:
    """A table cell as the YAML form would hold it: blanks are None, whole numbers ints,
    numbers written as text numbers; other text stripped."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, str):
        v = v.strip()
        if v == "" or v in ("NA", "NaN", "nan"):
            return None
        try:
            v = float(v)
        except ValueError:
            return v
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        v = float(v)
        return int(v) if v.is_integer() else v
    return v


def _text(v: Any) -> str | None:
    """A text cell (code, name, unit) as text: ``1.0`` read from Excel stays ``"1"``."""
    c = _cell(v)
    return None if c is None else str(c)


def _count(items: Mapping[str, Any] | Sequence[str], what: str) -> str:
    """``"11 aggregates (Physical, ConEcFin, ...)"``."""
    names = list(items)
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    return f"{len(names)} {what}{'s' if len(names) != 1 else ''} ({shown})"


@dataclass
class _IMetaEntries:
    indicators: list[dict[str, Any]]
    aggregates: list[dict[str, Any]]
    variables: list[dict[str, Any]]
    problems: list[str]
    aggregate_directions: dict[str, int]
    aggregate_units: dict[str, str]
    levels: dict[str, tuple[int, int]]


def _imeta_entries(table: pd.DataFrame, rows: Sequence[int]) -> _IMetaEntries:
    """The YAML-form entries of each row of an iMeta table (see :meth:`Framework.from_table`)."""
    out = _IMetaEntries([], [], [], [], {}, {}, {})
    records = table.to_dict("records")
    for rec, row in zip(records, rows, strict=True):
        code = _text(rec.get("iCode"))
        where = f"row {row}" + (f" ({code})" if code else "")
        raw_type = _text(rec.get("Type"))
        kind = _IMETA_TYPES.get((raw_type or "").lower())
        if kind is None:
            out.problems.append(f"{where}: Type {raw_type!r} is not one of Indicator, Aggregate, "
                                "Group, Denominator, Other" if raw_type else
                                f"{where}: no Type (Indicator, Aggregate, Group, Denominator or "
                                "Other)")
            continue
        name = {k: x for k, x in (("en", _text(rec.get("iName"))),
                                  ("zh", _text(rec.get("iName_zh")))) if x}
        if kind in VARIABLE_KINDS:
            used = [c for c in ("Parent", "Direction", "Weight", "Target", "Denominator",
                                "Level") if _cell(rec.get(c)) is not None]
            if used:
                out.problems.append(f"{where}: a {raw_type} row takes no {', '.join(used)} "
                                    "(only indicators and aggregates are in the tree)")
            out.variables.append({"code": code, "kind": kind, **({"name": name} if name else {}),
                                  **({"unit": _text(rec["Unit"])} if _text(rec.get("Unit"))
                                     else {})})
            continue
        entry: dict[str, Any] = {"code": code}
        if name:
            entry["name"] = name
        parent = _text(rec.get("Parent"))
        if parent is not None:
            entry["parent"] = parent
        for col, key in (("Weight", "weight"), ("Target", "target"),
                         ("Denominator", "denominator"), ("Source", "source"),
                         ("Rationale", "rationale"), ("Description", "description")):
            v = _cell(rec.get(col))
            if v is not None:
                entry[key] = str(v) if key in ("denominator", "source", "rationale",
                                               "description") else v
        direction, unit = _cell(rec.get("Direction")), _text(rec.get("Unit"))
        level = _cell(rec.get("Level"))
        if level is not None:
            if isinstance(level, int) and level >= 1:
                out.levels[code or ""] = (level, row)
            else:
                out.problems.append(f"{where}: Level must be a whole number from 1, got "
                                    f"{rec.get('Level')!r}")
        if kind == "aggregate":
            if direction == 1:
                out.aggregate_directions[code or f"row {row}"] = row
            elif direction is not None:
                entry["direction"] = direction
            if unit is not None:
                out.aggregate_units[code or f"row {row}"] = unit
            out.aggregates.append(entry)
        else:
            if direction is not None:
                entry["direction"] = direction
            if unit is not None:
                entry["unit"] = unit
            out.indicators.append(entry)
    return out


# ---------------------------------------------------------------------- built-in frameworks
def builtin_frameworks() -> list[str]:
    """Names of the frameworks shipped with gipro (``gipro/frameworks/*.yaml``)."""
    folder = resources.files("gipro") / "frameworks"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_framework(ref: str | Path | Framework, base_dir: str | Path | None = None) -> Framework:
    """A framework from a built-in name, a YAML path, or an existing :class:`Framework`.

    Parameters
    ----------
    ref : str, pathlib.Path or Framework
        A built-in name (see :func:`builtin_frameworks`), a path to a YAML file or to a COINr
        ``iMeta`` table (CSV or Excel, :meth:`Framework.from_file`).
    base_dir : path, optional
        Directory against which a relative path is resolved (the recipe's folder).

    Raises
    ------
    InputError
        If ``ref`` is neither a built-in name nor an existing file.
    FrameworkError
        If the framework is inconsistent.
    """
    if isinstance(ref, Framework):
        return ref
    name = str(ref)
    if name in builtin_frameworks():
        path = resources.files("gipro") / "frameworks" / f"{name}.yaml"
        with resources.as_file(path) as p:
            fw = Framework.from_yaml(p)
        fw.origin = name
        return fw
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.exists():
        raise InputError(
            f"framework {name!r} is neither a built-in framework nor an existing file",
            [f"built-in frameworks: {', '.join(builtin_frameworks())}", f"looked for {path}"],
        )
    return Framework.from_file(path)
