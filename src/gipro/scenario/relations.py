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
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..recipe import validation_details
from ..yamlio import load_yaml

__all__ = ["Relation", "builtin_relations", "check_relations", "load_relations",
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
