r"""Relations between variables: derived indicators move with the values they are computed from.

Many indicators are functions of others: energy productivity is the reciprocal of energy per
unit of value added, energy per value added is energy use over value added, the three-year
growth of value added is computed from value added three years apart. A scenario that changes
one of them and leaves the others as they were describes data that cannot exist (a park using
20 % less energy per unit of value added with the same energy productivity). Relations are
declared as data (YAML, :class:`Relation`), and after each change of a scenario
:func:`propagate` recomputes what is computed from the changed values, in dependency order:

``product``
    :math:`t = c \prod_i s_i^{e_i}` (ratios, per-capita values, reciprocals; ``terms`` are the
    exponents :math:`e_i`, ``factor`` is :math:`c`, ``null`` when it varies by period or unit,
    e.g. a price deflator). Recomputed as :math:`t' = t \prod_i (s'_i / s_i)^{e_i}` -- exact
    for a monomial whatever :math:`c` is, and it keeps the level of a target whose data come
    from a slightly different coverage than its sources (a ratio of sums over the reporting
    firms). A product with one term is **invertible**: when the scenario changes the target
    (energy productivity), its source is solved from it,
    :math:`s' = s (t'/t)^{1/e}`, and what is computed from the source follows.
``sum``
    :math:`t = \sum_i a_i s_i\ (+\ \text{parts not listed, when } rest)`; recomputed as
    :math:`t' = t + \sum_i a_i (s'_i - s_i)` (the unlisted parts stay as they were). A
    total with unlisted parts (``rest: true``) may also be changed alone: the unlisted parts
    absorb the change (no warning).
``growth``
    Average annual growth over ``window`` periods, :math:`t_p = c\,((s_p / s_{p-w})^{1/w} - 1)`
    (``factor`` :math:`c` = 100 for per cent, -100 for a rate of reduction), defined when
    :math:`s_{p-w} > 0` and :math:`s_p \ge 0`; recomputed from the formula where :math:`s_p`
    or :math:`s_{p-w}` changed.
``elasticity``
    :math:`t_p = \max_i g(n_i)_p / g(d)_p`, the ratio of average annual growth rates
    (``numerators`` :math:`n_i`, ``denominator`` :math:`d`), defined when :math:`g(d) > 0`
    (HJ 274-2015 elasticities of energy, water and pollutant emissions with respect to
    value added).
``depends``
    Computed from ``sources`` *and* data that are not variables of the cube (e.g. the solid
    waste utilised, held only in enterprise records): never recomputed; a change of a source
    gives a warning naming the target.

Nothing is recomputed silently: every recomputed value is in the change log (``op``
``recomputed``, the formula in ``note``), every value that cannot be recomputed (an input
missing) is logged and counted, and each change's notes warn when

* a changed variable has dependants that cannot be recomputed (``depends``, or an input
  absent from the data);
* a changed variable is itself computed from others that the change leaves as they were
  (energy per value added changed, energy use and value added not) -- the others, and what
  is computed from them, do not move; change the inputs instead to move everything together;
* the change sets a variable and, in the same change, the values it is computed from (the
  change's value is kept).

A recomputed value outside its feasible range (the scenario's ``domains``) is an error.

References
----------
Growth rates and ratios of totals as in :mod:`gipro.parks.rollup` (OECD (2008) *Measuring
material flows and resource productivity*, vol. I, ch. 3; HJ 274-2015 indicators 10, 13, 25;
the compound-growth identity of the OECD/JRC Handbook 2008, section 7). China provinces: the
variable definitions of the data set (``china_provinces_variables.csv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..recipe import validation_details
from ..yamlio import load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from .changes import Cube

__all__ = ["Relation", "builtin_relations", "check_relations", "load_relations", "propagate",
           "relation_order"]

Kind = Literal["product", "sum", "growth", "elasticity", "depends"]

_KEYS: dict[str, frozenset[str]] = {
    "product": frozenset({"terms", "factor"}),
    "sum": frozenset({"terms", "rest"}),
    "growth": frozenset({"source", "window", "factor"}),
    "elasticity": frozenset({"numerators", "denominator", "window"}),
    "depends": frozenset({"sources", "needs"}),
}
_COMMON = frozenset({"code", "kind", "reference"})


def _num(x: float) -> str:
    return f"{x:g}"


class Relation(BaseModel):
    """How one variable (``code``) is computed from others (see the module docstring).

    Attributes
    ----------
    code : str
        The derived variable.
    kind : {"product", "sum", "growth", "elasticity", "depends"}
    terms : mapping of str to float
        ``product``: exponent of each input; ``sum``: coefficient of each input.
    factor : float or None
        ``product``: the constant factor (``null``: varies by period or unit; the relative
        update does not need it); ``growth``: 100 (per cent) or -100 (rate of reduction).
    rest : bool
        ``sum``: the target also has parts that are not listed (default false).
    source : str
        ``growth``: the variable whose growth it is.
    window : int
        ``growth``, ``elasticity``: periods between the two values (default 3).
    numerators : list of str; denominator : str
        ``elasticity``: the larger of the numerators' growth over the denominator's.
    sources : list of str; needs : str
        ``depends``: inputs among the variables, and what else it needs (said in warnings).
    reference : str, optional
        Where the formula comes from.

    Examples
    --------
    >>> r = Relation(code="energy_productivity", terms={"energy_per_iva": -1})
    >>> r.formula(), r.invertible
    ('1 / energy_per_iva', True)
    >>> Relation(code="energy_per_iva", terms={"energy_total": 1, "iva_total": -1}).formula()
    'energy_total / iva_total'
    """

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1)
    kind: Kind = "product"
    terms: dict[str, float] = Field(default_factory=dict)
    factor: float | None = 1.0
    rest: bool = False
    source: str | None = None
    window: int = Field(3, ge=1)
    numerators: list[str] = Field(default_factory=list)
    denominator: str | None = None
    sources: list[str] = Field(default_factory=list)
    needs: str | None = None
    reference: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Relation:
        allowed = _KEYS[self.kind] | _COMMON
        wrong = sorted(k for k in self.model_fields_set if k not in allowed)
        if wrong:
            raise ValueError(f"kind {self.kind!r} does not take {', '.join(wrong)} (it takes: "
                             f"{', '.join(sorted(_KEYS[self.kind]))})")
        if self.kind in ("product", "sum"):
            if not self.terms:
                raise ValueError(f"kind {self.kind!r} needs terms")
            if any(e == 0 or not np.isfinite(e) for e in self.terms.values()):
                raise ValueError("terms must be finite and non-zero")
        if self.kind == "growth":
            if not self.source:
                raise ValueError("kind 'growth' needs source")
            if self.factor is None or self.factor == 0:
                raise ValueError("kind 'growth' needs a non-zero factor (100: per cent)")
        if self.kind == "elasticity" and not (self.numerators and self.denominator):
            raise ValueError("kind 'elasticity' needs numerators and denominator")
        if self.kind == "depends" and not self.sources:
            raise ValueError("kind 'depends' needs sources")
        if self.code in self.inputs:
            raise ValueError(f"{self.code} cannot be computed from itself")
        return self

    @property
    def inputs(self) -> list[str]:
        """The variables it is computed from."""
        if self.kind in ("product", "sum"):
            return list(self.terms)
        if self.kind == "growth":
            return [str(self.source)]
        if self.kind == "elasticity":
            return [*self.numerators, str(self.denominator)]
        return list(self.sources)

    @property
    def invertible(self) -> bool:
        """A product of one term: the input can be solved from the target."""
        return self.kind == "product" and len(self.terms) == 1

    @property
    def recomputable(self) -> bool:
        return self.kind != "depends"

    def formula(self) -> str:
        """The relation in words (e.g. ``energy_total / iva_total``)."""
        if self.kind == "product":
            num = [c if e == 1 else f"{c}^{_num(e)}" for c, e in self.terms.items() if e > 0]
            den = [c if e == -1 else f"{c}^{_num(-e)}" for c, e in self.terms.items() if e < 0]
            f = ("(a factor that varies by period)" if self.factor is None else
                 _num(self.factor))
            top = " x ".join(([f] if f != "1" or not num else []) + num)
            return top + (" / " + " / ".join(den) if den else "")
        if self.kind == "sum":
            parts = [(c if a == 1 else f"{_num(a)} x {c}") for c, a in self.terms.items()]
            return " + ".join(parts) + (" + parts not in the data" if self.rest else "")
        if self.kind == "growth":
            what = "reduction" if (self.factor or 0) < 0 else "growth"
            return f"average annual {what} of {self.source} over {self.window} periods"
        if self.kind == "elasticity":
            g = " or ".join(self.numerators)
            return (f"growth of {g} / growth of {self.denominator} over {self.window} periods"
                    + (" (the larger)" if len(self.numerators) > 1 else ""))
        return (f"computed from {', '.join(self.sources)}"
                + (f" and {self.needs}" if self.needs else ""))


# ---------------------------------------------------------------------- loading
def builtin_relations() -> list[str]:
    """Names of the relation sets shipped with gipro (``gipro/scenario/relation_sets/*.yaml``):
    ``parks`` (the park indicator catalogue) and one per built-in data set that has some."""
    folder = resources.files("gipro") / "scenario" / "relation_sets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_relations(name: str) -> list[Relation]:
    """A built-in relation set (see :func:`builtin_relations`), validated.

    Raises
    ------
    InputError
        Unknown name, or an invalid relation (a bug in the shipped file).

    Examples
    --------
    >>> rel = {r.code: r for r in load_relations("parks")}
    >>> rel["energy_productivity"].formula()
    '1 / energy_per_iva'
    """
    if name not in builtin_relations():
        raise InputError(f"no built-in relations {name!r}",
                         [f"built-in: {', '.join(builtin_relations())}"])
    res = resources.files("gipro") / "scenario" / "relation_sets" / f"{name}.yaml"
    data = load_yaml(res.read_text(encoding="utf-8"), f"relations {name}")
    return parse_relations(data.get("relations", []) if isinstance(data, dict) else data,
                           f"relations {name}")


def parse_relations(items: Any, origin: str = "relations") -> list[Relation]:
    """Validate a list of relation mappings (every problem listed) and check the set."""
    if not isinstance(items, list):
        raise InputError(f"invalid {origin}: expected a list of relations")
    out, problems = [], []
    for n, item in enumerate(items):
        try:
            out.append(item if isinstance(item, Relation) else Relation.model_validate(item))
        except ValidationError as exc:
            problems += [f"{n}: {d}" for d in validation_details(exc, Relation)]
    if problems:
        raise InputError(f"invalid {origin}", problems)
    check_relations(out, origin)
    return out


def check_relations(relations: Sequence[Relation], origin: str = "relations") -> None:
    """One relation per target and no cycle (a variable computed, through others, from itself).

    Raises
    ------
    InputError
        Naming the duplicated targets or the variables of a cycle.
    """
    codes = [r.code for r in relations]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise InputError(f"{origin}: more than one relation computes {', '.join(dup)}")
    relation_order(relations, origin)


def relation_order(relations: Sequence[Relation], origin: str = "relations"
                   ) -> list[Relation]:
    """Relations in dependency order: each after the relations computing its inputs.

    Raises
    ------
    InputError
        A cycle.
    """
    by_code = {r.code: r for r in relations}
    order: list[Relation] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2 or code not in by_code:
            return
        if state.get(code) == 1:
            cyc = [*path[path.index(code):], code]
            raise InputError(f"{origin}: circular relations: {' -> '.join(cyc)}")
        state[code] = 1
        for c in by_code[code].inputs:
            visit(c, [*path, code])
        state[code] = 2
        order.append(by_code[code])

    for r in relations:
        visit(r.code, [])
    return order


def merge_relations(base: Sequence[Relation], extra: Sequence[Relation],
                    codes: Sequence[str] | None = None) -> list[Relation]:
    """``base`` with ``extra`` added; a relation of ``extra`` replaces one for the same code.

    Raises
    ------
    InputError
        A relation of ``extra`` naming a variable not in ``codes`` (the data's variables),
        or a set that computes a variable twice or in a circle.
    """
    if codes is not None:
        known = set(codes)
        bad = sorted({c for r in extra for c in (r.code, *r.inputs) if c not in known})
        if bad:
            raise InputError(f"relations name variables not in the data: {', '.join(bad)}",
                             [f"variables: {', '.join(codes)}"])
    mine = {r.code for r in extra}
    out = [r for r in base if r.code not in mine] + list(extra)
    check_relations(out)
    return out


# ---------------------------------------------------------------------- propagation
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
    >>> from gipro.scenario.changes import Cube
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
