"""The ``denominate`` step: indicator / denominator x scale factor (per capita, per GDP...)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from ..dataset import DataSet
from ..dataspec import DataSpec, load_data
from ..errors import InputError
from ..methods import denominate as _den
from ..panel import Panel
from .base import StepContext, StepSpec, check_codes, fmt, listing, near_matches

__all__ = ["DenominatePlan", "DenominateStep", "lookup", "result_unit"]


def result_unit(unit: str | None, denominator: str, denominator_unit: str | None,
                scale: float = 1.0) -> str:
    """The measurement unit of ``indicator / denominator x scale``, in words.

    Examples
    --------
    >>> result_unit("Million USD", "Den_GDP", "USD bn")
    'Million USD / Den_GDP (USD bn)'
    >>> result_unit("Mt CO2", "population", "10^4 persons", 100)
    'Mt CO2 / population (10^4 persons) x 100'
    >>> result_unit(None, "area", None)
    '(unit not stated) / area (unit not stated)'
    """
    def stated(u: str | None) -> str | None:
        return None if u is None or not str(u).strip() or u == "unit not stated" else str(u)

    num = stated(unit) or "(unit not stated)"
    den = f"{denominator} ({stated(denominator_unit) or 'unit not stated'})"
    return f"{num} / {den}" + (f" x {fmt(scale)}" if scale != 1 else "")


def lookup(panel: Panel, codes: list[str], units: tuple[str, ...], periods: tuple[int, ...]
           ) -> np.ndarray:
    """Values of ``codes`` in ``panel`` aligned to ``(periods, units)``: shape (P, U, k).

    Units or periods absent from the panel give NaN.
    """
    full = pd.MultiIndex.from_product([list(units), list(periods)], names=["unit", "period"])
    arr = panel.values.reindex(index=full, columns=codes).to_numpy(dtype=float)
    return arr.reshape(len(units), len(periods), len(codes)).transpose(1, 0, 2)


@dataclass(frozen=True)
class DenominatePlan:
    """The denominate step's labels: which columns are divided by which denominator values.

    ``dmat`` holds the denominators aligned to the input, shape (P, U, len(cols)) (``None``
    in a build chunked over units until a block reads its own: :meth:`DenominateStep.
    block_inputs`); ``rows`` one record per ratio for the step's table (counts are added
    when explained); ``units`` the result unit of each ratio; ``from_data`` the denominators
    read from the build's own data; ``table_key`` where the denominators table is cached.
    """

    step: str
    unit_labels: tuple[str, ...]
    periods: tuple[int, ...]
    cols: list[str]
    idx: list[int]
    dmat: np.ndarray
    scale: np.ndarray
    pairs: dict[str, str]
    rows: list[dict[str, Any]]
    from_data: list[str]
    table_key: Any = None

    @property
    def units(self) -> dict[str, str]:
        """The result unit of each ratio (:mod:`gipro.units`)."""
        return {r["indicator"]: r["result_unit"] for r in self.rows}


class DenominateStep(StepSpec):
    """Divide indicators by a denominator (population, GDP, area, energy...) and scale.

    Formula: ``indicator / denominator * scale`` (:func:`gipro.methods.denominate.denominate`).

    Attributes
    ----------
    denominators : mapping of indicator code to denominator code (or null)
        Which indicator is divided by what. Default: each framework indicator's
        ``denominator`` field; entries here add to or override it (``null`` = do not
        denominate this indicator).
    use_framework : bool
        Take denominators from the framework (default true).
    scale : float or mapping of indicator code to float
        Scale factor, e.g. 1000 for "per 1000 people" (default 1). A mapping gives factors per
        indicator (others 1).
    table : data spec, optional
        A separate denominators table (same reader options as the recipe's ``data``; a
        relative path is resolved against the recipe's folder). Denominators are looked up
        there first, then among all variables of the build's data (not only the framework's
        indicators), e.g. ``population`` or ``gdp_real_2015prices``.
    denominator_units : mapping of denominator code to measurement unit
        States the denominator's unit when the data do not (recorded in the step's table).
    result_units : mapping of indicator code to measurement unit
        The unit of a ratio, in your words (e.g. ``{Services: "% of GDP"}`` with
        ``scale: 100``). Default: ``"<indicator unit> / <denominator> (<denominator unit>)"``
        followed by ``x <scale>`` when the scale is not 1, e.g. ``"Million USD /
        Den_GDP (USD bn)"``. Only indicators this step denominates may be named.
    zero : {"error", "missing"}
        A zero denominator raises (default: there is no meaningful ratio) or leaves the ratio
        missing, reported in the log.
    negative : {"error", "allow"}
        A negative denominator (a population, a GDP, an area below 0 flips the ratio's
        sign and moves the unit through the ranking) raises naming the cells (default), or
        is used as it is with a WARNING note in the log (``allow``: a denominator that may
        really be negative, e.g. a balance).

    Notes
    -----
    A missing denominator gives a missing ratio (never 0); the step's notes name the
    unit-periods affected. ``build.fitted[name]["table"]``: indicator, denominator, scale,
    units of numerator, denominator and result, and the number of ratios left missing because
    the denominator was missing or zero; ``build.fitted[name]["units"]``: the result unit of
    each denominated indicator, which :func:`gipro.units.current_units` reports for the
    step's output (and every data set derived from it), so messages and reports print the
    unit of the values they show, not the framework's raw unit.
    """

    step: Literal["denominate"] = "denominate"
    output: str = "denominated"
    denominators: dict[str, str | None] = Field(default_factory=dict)
    use_framework: bool = True
    scale: float | dict[str, float] = 1.0
    table: DataSpec | None = None
    denominator_units: dict[str, str] = Field(default_factory=dict)
    result_units: dict[str, str] = Field(default_factory=dict)
    zero: Literal["error", "missing"] = "error"
    negative: Literal["error", "allow"] = "error"

    @field_validator("scale")
    @classmethod
    def _finite(cls, v):
        vals = v.values() if isinstance(v, dict) else [v]
        if not all(np.isfinite(list(vals))):
            raise ValueError("scale factors must be finite numbers")
        return v

    def pairs(self, framework: Any, codes: list[str]) -> dict[str, str]:
        """Indicator -> denominator for the indicators of ``codes`` that are denominated."""
        out: dict[str, str] = {}
        if self.use_framework:
            for c in codes:
                node = framework.nodes.get(c)
                if node is not None and node.denominator:
                    out[c] = node.denominator
        for c, d in self.denominators.items():
            if d is None:
                out.pop(c, None)
            else:
                out[c] = d
        return out

    def prepare(self, ctx: StepContext, name: str, ds: DataSet) -> DenominatePlan:
        codes = list(ds.codes)
        check_codes(name, "denominators given for indicators", list(self.denominators), codes)
        if isinstance(self.scale, dict):
            check_codes(name, "scale factors given for indicators", list(self.scale), codes)
        pairs = self.pairs(ctx.framework, codes)
        not_ratio = [c for c in self.result_units if c not in pairs]
        if not_ratio:
            raise InputError(f"step {name!r}: result_units given for indicators this step does "
                             f"not denominate: {not_ratio}",
                             [f"denominated: {', '.join(pairs) or 'none'}"])
        empty = np.zeros((len(ds.periods), len(ds.units), 0))
        if not pairs:
            return DenominatePlan(name, ds.units, ds.periods, [], [], empty, np.zeros(0), {},
                                  [], [])
        table, key = self._table(ctx)
        source = ctx.source_panel
        dens = list(dict.fromkeys(pairs.values()))
        sources: dict[str, Panel] = {}
        for d in dens:
            if table is not None and d in table.indicator_codes:
                sources[d] = table
            elif d in source.indicator_codes:
                sources[d] = source
        missing = [d for d in dens if d not in sources]
        if missing:
            where = ["the build's data (all variables)"] + (
                ["the denominators table"] if table is not None else [])
            known = list(source.values.columns) + (
                list(table.values.columns) if table is not None else [])
            raise InputError(
                f"step {name!r}: denominators {missing} not found",
                [*near_matches(missing, known),
                 f"looked in {' and '.join(where)}",
                 "add the variable to the data, give a denominators table (table: {path: ...}),"
                 " or fix the framework's 'denominator' field"])
        cols = [c for c in codes if c in pairs]
        scale = np.array([self.scale.get(c, 1.0) if isinstance(self.scale, dict) else self.scale
                          for c in cols])
        rows = []
        for k, c in enumerate(cols):
            d = pairs[c]
            d_unit = (self.denominator_units.get(d) or sources[d].indicator_units.get(d)
                      or getattr(ctx.framework.variables.get(d), "unit", None)
                      or "unit not stated")
            node = ctx.framework.nodes.get(c)
            c_unit = (node.unit if node is not None and node.unit else
                      source.indicator_units.get(c) or "unit not stated")
            res_unit = self.result_units.get(c) or result_unit(c_unit, d, d_unit, scale[k])
            rows.append({"indicator": c, "denominator": d, "scale": scale[k],
                         "indicator_unit": c_unit, "denominator_unit": d_unit,
                         "result_unit": res_unit})
        plan = DenominatePlan(name, ds.units, ds.periods, cols, [codes.index(c) for c in cols],
                              None, scale, pairs, rows,
                              [d for d in dens if sources[d] is source], key)
        if getattr(source, "blockwise", False):  # chunked: each block reads its own
            return plan
        return self.block_inputs(ctx, plan, ds)

    def _table(self, ctx: StepContext) -> tuple[Panel | None, Any]:
        """The denominators table (read once, kept in ``ctx.cache``) and its cache key."""
        if self.table is None:
            return None, None
        key = ("denominate.table", self.table.model_dump_json(), str(ctx.base_dir))
        if key not in ctx.cache:
            ctx.cache[key] = load_data(self.table, ctx.base_dir)
        return ctx.cache[key], key

    def block_inputs(self, ctx: StepContext, plan: DenominatePlan, ds: DataSet
                     ) -> DenominatePlan:
        """The plan with the denominators of ``ds``'s units and periods (``dmat``): from the
        table, else from ``ctx.source_panel`` (every variable of these units: the whole data
        in memory, a block's own rows in a build chunked over units)."""
        if plan.dmat is not None or not plan.cols:
            return plan if plan.cols else replace(
                plan, dmat=np.zeros((len(ds.periods), len(ds.units), 0)))
        table, _ = self._table(ctx)
        dens = list(dict.fromkeys(plan.pairs[c] for c in plan.cols))
        in_table = [d for d in dens if d not in set(plan.from_data)]
        den_cube = np.full((len(ds.periods), len(ds.units), len(dens)), np.nan)
        for src, names in ((table, in_table), (ctx.source_panel, plan.from_data)):
            ks = [dens.index(d) for d in names if d in dens]
            if ks:
                den_cube[:, :, ks] = lookup(src, [dens[i] for i in ks], ds.units, ds.periods)
        dmat = den_cube[:, :, [dens.index(plan.pairs[c]) for c in plan.cols]]
        neg = _negative_cells(dmat, plan.cols, plan.pairs, ds)
        if neg and self.negative == "error":
            raise InputError(
                f"step {plan.step!r}: negative denominator ({len(neg)} values): "
                + "; ".join(neg[:5]) + (f" and {len(neg) - 5} more" if len(neg) > 5 else ""),
                ["a ratio to a negative population, GDP or area flips its sign: fix the "
                 "denominator data, or set negative: allow if it can really be negative"])
        return replace(plan, dmat=dmat)

    def block_plan(self, plan: DenominatePlan, fit: Any, start: int, stop: int
                   ) -> tuple[DenominatePlan, Any]:
        """The block's unit labels (its denominators are read by :meth:`block_inputs`)."""
        dmat = None if plan.dmat is None else plan.dmat[:, start:stop]
        return replace(plan, unit_labels=plan.unit_labels[start:stop], dmat=dmat), fit

    def transform(self, plan: DenominatePlan, fit: Any, x: np.ndarray) -> np.ndarray:
        """Divide the plan's columns by their denominators and scale.

        Raises
        ------
        InputError
            A zero denominator under ``zero: error``, naming every cell.
        """
        if not plan.cols:
            return x
        num = x[..., plan.idx]
        dmat = np.broadcast_to(plan.dmat, num.shape)  # (a leading replication axis)
        zero = (dmat == 0) & ~np.isnan(num)
        if self.zero == "error" and zero.any():
            cells = [f"{plan.cols[k]} / {plan.pairs[plan.cols[k]]} for unit {plan.unit_labels[u]} "
                     f"in {plan.periods[p]}" for p, u, k in np.argwhere(zero)[:, -3:]]
            raise InputError(
                f"step {plan.step!r}: zero denominator ({len(cells)} values), so the ratio is "
                "undefined", [*cells[:10], "fix the denominator data, or set zero: missing to "
                              "leave these ratios missing (reported in the log)"])
        out = x.copy()
        out[..., plan.idx] = _den.denominate(num, dmat, plan.scale, zero=self.zero,
                                             names=plan.cols)
        return out

    def explain(self, ctx: StepContext, name: str, ds: DataSet, plan: DenominatePlan,
                fit: Any, out: DataSet | None) -> tuple[list[str], dict[str, Any]]:
        if not plan.cols:
            return ["no indicator has a denominator (framework field 'denominator' or step "
                    "parameter 'denominators'): data unchanged"], {}
        num = ds.values[..., plan.idx]
        dmat = plan.dmat
        notes, rows = [], []
        for k, c in enumerate(plan.cols):
            d = plan.pairs[c]
            lost_nan = ~np.isnan(num[:, :, k]) & np.isnan(dmat[:, :, k])
            lost_zero = ~np.isnan(num[:, :, k]) & (dmat[:, :, k] == 0)
            rows.append({**plan.rows[k], "missing_denominator": int(lost_nan.sum()),
                         "zero_denominator": int(lost_zero.sum())})
            for mask, why in ((lost_nan, "the denominator is missing"),
                              (lost_zero, "the denominator is zero (zero: missing)")):
                if mask.any():
                    cells = [f"{ds.units[u]} {ds.periods[p]}" for p, u in np.argwhere(mask)]
                    notes.append(f"{c}: {len(cells)} values left missing because {why} "
                                 f"({d}): {listing(cells)}")
        summary = ", ".join(f"{r['indicator']} / {r['denominator']}"
                            + (f" x {fmt(r['scale'])}" if r["scale"] != 1 else "")
                            for r in rows)
        notes.insert(0, f"denominated {len(plan.cols)} indicators: {summary}")
        neg = _negative_cells(plan.dmat, plan.cols, plan.pairs, ds)
        if neg:
            notes.append(f"WARNING: negative denominator ({len(neg)} values; negative: allow, "
                         f"the ratios' signs are flipped): {listing(neg)}")
        given = [c for c in plan.cols if c in self.result_units]
        if given:
            notes.append("units of the ratios as given (result_units): "
                         + listing([f"{c}: {self.result_units[c]}" for c in given]))
        return notes, {"table": pd.DataFrame(rows), "units": plan.units,
                       # denominators read from the build's own data (not the table)
                       "from_data": list(plan.from_data)}


def _negative_cells(dmat: np.ndarray, cols: list[str], pairs: dict[str, str], ds: DataSet
                    ) -> list[str]:
    """``"<indicator> / <denominator> for <unit> in <period> (<value>)"`` for each negative
    denominator value (the plausibility check of :class:`DenominateStep`)."""
    with np.errstate(invalid="ignore"):
        hits = np.argwhere(dmat < 0)
    return [f"{cols[k]} / {pairs[cols[k]]} for {ds.units[u]} in {ds.periods[p]} "
            f"({dmat[p, u, k]:g})" for p, u, k in hits]
