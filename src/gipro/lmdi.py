r"""LMDI decomposition of an aggregate (emissions, energy, intensity) on tidy tables.

Declare an *identity* -- the aggregate of each unit is a sum over sectors of a product of
factors, :math:`V = \sum_i \prod_k x_{k,i}` -- and :func:`lmdi` splits the change of
:math:`V` between two periods (or year by year, chained) into one effect per factor, additive
(in the unit of :math:`V`, adding up to :math:`V^T - V^0`) and multiplicative (ratios
multiplying to :math:`V^T / V^0`), by LMDI-I (Ang 2005, 2015) with Ang & Liu's (2007)
zero-value limits (see :mod:`gipro.methods.lmdi`).

Two examples of identities::

    # Kaya, one sector: CO2 = population x GDP per capita x CO2 per GDP
    Identity({"population": "pop", "affluence": "gdp / pop", "intensity": "co2 / gdp"},
             value="co2")
    # sectors: CO2 = sum_i activity x structure_i x intensity_i
    Identity({"activity": "total(va)", "structure": "va / total(va)",
              "intensity": "co2 / va"}, value="co2")

A factor is a column name or an expression of columns with ``*``, ``/``, parentheses,
numbers and ``total(column)`` -- the column summed over the sectors of the same unit and
period. In a ratio, ``0 / 0`` (a sector with no activity and no emissions) is taken as 1, the
limit of Ang & Liu's small-value strategy with one common :math:`\delta`; such a sector has
:math:`V_i = 0`, so the value 1 never carries an effect. ``x / 0`` with ``x > 0`` raises.

References
----------
Ang B.W. (2005) The LMDI approach to decomposition analysis: a practical guide. *Energy
Policy* 33:867-871.
Ang B.W. (2015) LMDI decomposition approach: a guide for implementation. *Energy Policy*
86:233-238.
Ang B.W., Liu N. (2007) Handling zero values in the logarithmic mean Divisia index
decomposition approach. *Energy Policy* 35:238-246.
Kaya Y. (1990) Impact of carbon dioxide emission control on GNP growth: interpretation of
proposed scenarios. IPCC Energy and Industry Subgroup, Paris.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError
from .methods import lmdi as _k

__all__ = ["Identity", "factor_table", "lmdi"]

_TOTAL = "total"
_MAX_LISTED = 5


@dataclass(frozen=True)
class Identity:
    r"""An IDA identity: :math:`V = \sum_{sectors} \prod_k x_k`.

    Parameters
    ----------
    factors : mapping of str to str, or sequence of str
        Factor name -> column name or expression (``*``, ``/``, parentheses, numbers,
        ``total(column)``). A sequence of column names uses each column as its own factor.
    value : str, optional
        Column (or expression) holding :math:`V_i`; when given, the product of the factors
        must equal it within ``rtol`` in every row, else :class:`InputError`.
    name : str, optional
        Label, e.g. ``"Kaya"``.
    rtol : float
        Relative tolerance of the identity check (default 1e-6: published data often carry
        six or seven significant digits).

    Raises
    ------
    InputError
        If there are no factors, or a factor is named ``total`` (reserved for the total row).
        (Columns are checked against the data by :func:`factor_table`; a text that is not an
        expression of the allowed form is read as one column name.)

    Examples
    --------
    >>> Identity({"pop": "population", "gdp_pc": "gdp / population",
    ...           "intensity": "co2 / gdp"}, value="co2", name="Kaya").names
    ('pop', 'gdp_pc', 'intensity')
    """

    factors: Mapping[str, str] | Sequence[str]
    value: str | None = None
    name: str | None = None
    rtol: float = 1e-6
    _parsed: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.factors, Mapping):
            items = tuple((str(k), str(v)) for k, v in self.factors.items())
        elif isinstance(self.factors, str):
            raise InputError("identity factors must be a list of columns or a mapping, not a "
                             f"single string {self.factors!r}")
        else:
            items = tuple((str(c), str(c)) for c in self.factors)
        if not items:
            raise InputError("an identity needs at least one factor")
        names = [k for k, _ in items]
        if _TOTAL in names:
            raise InputError(f"a factor may not be named {_TOTAL!r} (reserved for the total row)")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"duplicate factor names in identity: {dup}")
        if not self.rtol > 0:
            raise InputError(f"identity rtol must be > 0, got {self.rtol}")
        object.__setattr__(self, "_parsed", items)

    @property
    def names(self) -> tuple[str, ...]:
        """Factor names in order."""
        return tuple(k for k, _ in self._parsed)

    def __str__(self) -> str:
        rhs = " x ".join(f"{k} [{e}]" if k != e else k for k, e in self._parsed)
        lhs = self.value or "V"
        return f"{self.name + ': ' if self.name else ''}{lhs} = {rhs} (summed over sectors)"


# ---------------------------------------------------------------------- expressions
def _parse(expr: str) -> ast.AST:
    """Parse a factor expression; anything that is not a valid expression is a column name."""
    try:
        tree = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return ast.Name(id=expr)
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.BinOp, ast.Name, ast.Constant, ast.Call, ast.Mult, ast.Div,
                               ast.Load))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            ok = False
        if isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Mult, ast.Div)):
            ok = False
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id == "total"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and not node.keywords
        ):
            ok = False
        if not ok:
            return ast.Name(id=expr)
    return tree


class _Evaluator:
    def __init__(self, df: pd.DataFrame, keys: list[str], where: list[str] | None = None
                 ) -> None:
        self.df = df
        self.keys = keys  # (unit, period): the groups of total()
        self.where = where or keys  # every key column, to name rows in messages
        self.factor: str | None = None

    def column(self, name: str) -> np.ndarray:
        if name not in self.df.columns:
            raise InputError(
                f"identity refers to column {name!r}, which is not in the table",
                [f"columns: {', '.join(map(str, self.df.columns))}",
                 "a factor is a column or an expression of columns with *, /, parentheses, "
                 "numbers and total(column)"])
        s = self.df[name]
        if not pd.api.types.is_numeric_dtype(s.dtype):
            raise InputError(f"column {name!r} is not numeric")
        return s.to_numpy(dtype=float)

    def expr(self, expr: str, factor: str | None = None) -> np.ndarray:
        self.factor = factor
        if expr in self.df.columns:
            return self.column(expr)
        return self.eval(_parse(expr), expr)

    def eval(self, node: ast.AST, expr: str) -> np.ndarray:
        if isinstance(node, ast.Name):
            return self.column(node.id)
        if isinstance(node, ast.Constant):
            return np.full(len(self.df), float(node.value))
        if isinstance(node, ast.Call):
            arg = node.args[0]
            assert isinstance(arg, ast.Name)
            v = pd.Series(self.column(arg.id), index=self.df.index)
            keys = [self.df[k] for k in self.keys]
            total = v.groupby(keys, sort=False).transform("sum").to_numpy(dtype=float)
            gap = v.isna().groupby(keys, sort=False).transform("any").to_numpy(dtype=bool)
            return np.where(gap, np.nan, total)  # a missing sector makes the total missing
        assert isinstance(node, ast.BinOp)
        a = self.eval(node.left, expr)
        b = self.eval(node.right, expr)
        if isinstance(node.op, ast.Mult):
            return a * b
        zz = (a == 0) & (b == 0)
        bad = (b == 0) & (a != 0) & ~np.isnan(a)
        if bad.any():
            rows = self.df.loc[bad, self.where].head(_MAX_LISTED)
            what = f"factor {self.factor!r} = {expr!r}" if self.factor and self.factor != expr \
                else f"{expr!r}"
            raise InputError(
                f"identity: division by zero in {what} ({int(bad.sum())} rows)",
                [*(", ".join(f"{k}={r[k]}" for k in self.where) for _, r in rows.iterrows()),
                 "a non-zero value divided by zero has no value; fix the data (0 / 0 is "
                 "taken as a sector that does not exist: LMDI's zero limits apply)"],
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(zz, 1.0, a / np.where(b == 0, 1.0, b))


def factor_table(
    data: pd.DataFrame,
    identity: Identity | Sequence[str],
    *,
    unit: str = "unit",
    period: str = "period",
    sector: str | None = None,
) -> pd.DataFrame:
    """Evaluate an identity's factors on a tidy table.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per (unit, period[, sector]) with the columns the identity uses.
    identity : Identity or sequence of str
        The identity (a sequence of columns is ``Identity(columns)``).
    unit, period, sector : str
        Key columns (``sector=None``: one sector per unit, e.g. a Kaya identity).

    Returns
    -------
    pandas.DataFrame
        Key columns, one column per factor, and ``value`` (the product of the factors), sorted
        by unit, period and sector.

    Raises
    ------
    InputError
        Missing key columns, duplicate rows, missing (NaN) or negative factor values (each
        named by unit, period and sector), division of a non-zero value by zero, or a product
        of factors that differs from the identity's ``value`` column by more than ``rtol``.
    """
    ident = identity if isinstance(identity, Identity) else Identity(list(identity))
    keys = [unit, period] + ([sector] if sector is not None else [])
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise InputError(f"LMDI table lacks key columns {missing}",
                         [f"columns: {', '.join(map(str, data.columns))}"])
    df = data.reset_index(drop=True)
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        rows = df.loc[dup, keys].drop_duplicates().head(_MAX_LISTED)
        raise InputError(f"duplicate rows for the same {', '.join(keys)} ({int(dup.sum())} rows)",
                         [", ".join(f"{k}={r[k]}" for k in keys) for _, r in rows.iterrows()])
    ev = _Evaluator(df, keys[:2], keys)
    out = df[keys].copy()
    for name, expr in ident._parsed:
        out[name] = ev.expr(expr, name)
    names = list(ident.names)
    vals = out[names].to_numpy()
    bad = np.isnan(vals) | ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        v = vals[r, c]
        what = "missing" if np.isnan(v) else ("infinite" if np.isinf(v) else f"negative ({v:.6g})")
        cells = [
            ", ".join(f"{k}={out.iloc[i][k]}" for k in keys) + f": {names[j]}"
            for i, j in np.argwhere(bad)[:_MAX_LISTED]
        ]
        raise InputError(
            f"LMDI factor {names[c]!r} is {what} for "
            + ", ".join(f"{k}={out.iloc[r][k]}" for k in keys)
            + f" ({int(bad.sum())} such cells)",
            [*cells, "LMDI needs finite factor values >= 0; a missing value is not a zero -- "
             "fill it or drop the unit explicitly"],
        )
    out["value"] = np.prod(vals, axis=1)
    if ident.value is not None:
        target = ev.expr(ident.value)
        if np.isnan(target).any():
            i = int(np.flatnonzero(np.isnan(target))[0])
            raise InputError(f"identity value {ident.value!r} is missing for "
                             + ", ".join(f"{k}={out.iloc[i][k]}" for k in keys))
        gap = np.abs(out["value"].to_numpy() - target)
        tol = ident.rtol * np.maximum(np.abs(target), np.abs(out["value"].to_numpy()))
        off = gap > tol
        if off.any():
            i = int(np.argmax(np.where(off, gap / np.maximum(np.abs(target), 1e-300), 0)))
            raise InputError(
                f"identity does not hold: product of {', '.join(names)} differs from "
                f"{ident.value!r} by more than rtol={ident.rtol:g} in {int(off.sum())} rows",
                ["worst: " + ", ".join(f"{k}={out.iloc[i][k]}" for k in keys)
                 + f": product {out['value'].iloc[i]:.10g} vs {target[i]:.10g}"],
            )
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _cube(ft: pd.DataFrame, names: list[str], unit: str, period: str, sector: str | None):
    units = list(dict.fromkeys(ft[unit]))
    periods = sorted(ft[period].unique().tolist())
    sectors = list(dict.fromkeys(ft[sector])) if sector is not None else [None]
    ui = pd.Index(units).get_indexer(ft[unit])
    pi = pd.Index(periods).get_indexer(ft[period])
    si = pd.Index(sectors).get_indexer(ft[sector]) if sector is not None else np.zeros(
        len(ft), dtype=int)
    cube = np.full((len(units), len(periods), len(sectors), len(names)), np.nan)
    cube[ui, pi, si] = ft[names].to_numpy()
    present = np.zeros(cube.shape[:3], dtype=bool)
    present[ui, pi, si] = True
    return cube, present, units, periods, sectors


def lmdi(
    data: pd.DataFrame,
    identity: Identity | Sequence[str],
    *,
    unit: str = "unit",
    period: str = "period",
    sector: str | None = None,
    base: int | None = None,
    end: int | None = None,
    chain: bool = False,
    by_sector: bool = False,
) -> pd.DataFrame:
    r"""LMDI-I decomposition (additive and multiplicative) of an identity on a tidy table.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per (unit, period[, sector]) with the columns the identity uses. Every unit
        must have every sector in both periods (write a zero for a sector that does not exist:
        LMDI's zero limits then apply; a missing row is an error, never a zero).
    identity : Identity or sequence of str
        Which columns (or expressions) are the factors; see :class:`Identity`.
    unit, period, sector : str
        Key columns; ``sector=None`` for a one-sector identity such as Kaya's.
    base, end : int, optional
        Periods to compare (default: first and last in the table). Only the rows of the
        periods from base to end are evaluated and checked (a missing value in another year
        does not matter).
    chain : bool
        ``False``: one two-period decomposition base -> end (``kind = "period"``).
        ``True``: every consecutive pair of periods between base and end (``kind = "step"``)
        and their chaining (``kind = "chained"``: additive effects summed, multiplicative
        multiplied, Ang 2015 section 3 "time-series decomposition"). Chained and two-period
        effects differ in general (LMDI is path dependent); both add up to the same total.
    by_sector : bool
        Also split each additive effect by sector (adds a ``sector`` column; the
        multiplicative column is then the sector's own ratio only on ``total`` rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, kind, base, end, [sector,] factor, additive, multiplicative,
        value_base, value_end``. One row per factor plus a ``total`` row (``additive`` =
        :math:`V^T - V^0`, ``multiplicative`` = :math:`V^T/V^0`). The factor rows add up
        (additive) and multiply (multiplicative) to the total row. ``multiplicative`` is NaN
        where :math:`V` is 0 in the base or end period.

    Raises
    ------
    InputError
        Bad table or identity (see :func:`factor_table`); unknown base/end; a unit lacking a
        sector or a period.

    References
    ----------
    Ang B.W. (2005) *Energy Policy* 33:867-871; Ang B.W. (2015) *Energy Policy*
    86:233-238; Ang B.W., Liu N. (2007) *Energy Policy* 35:238-246.

    Examples
    --------
    Ang's toy case (coinr_cases B13): activity Q, structure S, intensity I of two sectors.

    >>> t = pd.DataFrame({"unit": "X", "period": [0, 0, 1, 1], "sector": ["a", "b"] * 2,
    ...                   "q": [100.0, 100, 120, 100], "i": [1.0, 2, 0.9, 2]})
    >>> ident = Identity({"activity": "total(q)", "structure": "q / total(q)",
    ...                   "intensity": "i"})
    >>> r = lmdi(t, ident, sector="sector")
    >>> r.set_index("factor")["additive"].round(4).to_dict()
    {'activity': 28.9694, 'structure': -10.0173, 'intensity': -10.9521, 'total': 8.0}
    """
    ident = identity if isinstance(identity, Identity) else Identity(list(identity))
    names = list(ident.names)
    if period not in data.columns:
        raise InputError(f"LMDI table lacks key columns {[period]}",
                         [f"columns: {', '.join(map(str, data.columns))}"])
    col = data[period]
    if not pd.api.types.is_numeric_dtype(col.dtype):
        raise InputError(f"LMDI table: the periods in column {period!r} are not numbers "
                         f"(e.g. {col.iloc[0]!r})" if len(col) else
                         f"LMDI table: column {period!r} is empty",
                         [f"convert them first: df[{period!r}] = df[{period!r}].astype(int)"])
    periods = sorted(pd.unique(col.dropna()).tolist())
    if not periods:
        raise InputError("LMDI table has no rows")
    base = periods[0] if base is None else base
    end = periods[-1] if end is None else end
    for p in (base, end):
        if p not in periods:
            raise InputError(f"period {p} is not in the LMDI table ({periods[0]}-{periods[-1]})")
    if base == end:
        raise InputError("base and end periods are the same")
    # only the periods compared (base..end; every step of a chain) are evaluated and checked:
    # a gap in a year outside them does not stop a decomposition that does not use it
    lo_p, hi_p = sorted((base, end))
    ft = factor_table(data[(col >= lo_p) & (col <= hi_p)], ident, unit=unit, period=period,
                      sector=sector)
    cube, present, units, periods, sectors = _cube(ft, names, unit, period, sector)
    lo, hi = sorted((periods.index(base), periods.index(end)))
    span = list(range(lo, hi + 1))
    if not present[:, span].all():
        u, p, s = np.argwhere(~present[:, span])[0]
        where = f"unit {units[u]}, period {periods[span[p]]}"
        if sector is not None:
            where += f", sector {sectors[s]}"
        raise InputError(
            f"LMDI table has no row for {where} ({int((~present[:, span]).sum())} missing rows)",
            ["every unit needs every sector in every period compared; give 0 for a sector "
             "that does not exist (a missing row is never taken as zero)"],
        )
    i0, i1 = periods.index(base), periods.index(end)
    if chain:
        step = 1 if i1 > i0 else -1
        idx0 = list(range(i0, i1, step))
        idx1 = [i + step for i in idx0]
    else:
        idx0, idx1 = [i0], [i1]
    x0 = cube[:, idx0]  # (U, n_pairs, S, F)
    xT = cube[:, idx1]
    eff = _k.additive(x0, xT, names=names)  # (U, n, S, F)
    v0s = np.prod(x0, axis=-1)  # (U, n, S)
    vTs = np.prod(xT, axis=-1)
    kind = "step" if chain else "period"
    frames = []
    pb = [periods[i] for i in idx0]
    pe = [periods[i] for i in idx1]
    if by_sector:
        frames.append(_sector_rows(eff, v0s, vTs, units, pb, pe, sectors, names, kind, unit))
        if chain:
            frames.append(_sector_rows(eff.sum(axis=1, keepdims=True),
                                       v0s[:, :1], vTs[:, -1:], units, [base], [end],
                                       sectors, names, "chained", unit))
    else:
        dlog = _log_ratios(eff, v0s, vTs)
        with np.errstate(over="ignore"):  # a ratio beyond 1.8e308 is inf (its log is finite)
            ratio, chained = np.exp(dlog), np.exp(dlog.sum(axis=1))
        frames.append(_factor_rows(eff.sum(axis=2), ratio, v0s.sum(-1), vTs.sum(-1),
                                   units, pb, pe, names, kind, unit))
        if chain:
            frames.append(_factor_rows(
                eff.sum(axis=(1, 2))[:, None], chained[:, None],
                v0s[:, :1].sum(-1), vTs[:, -1:].sum(-1), units, [base], [end], names,
                "chained", unit))
    return pd.concat(frames, ignore_index=True)


def _log_ratios(eff: np.ndarray, v0s: np.ndarray, vTs: np.ndarray) -> np.ndarray:
    """ln D_k = Delta V_k / L(V^T, V^0) per (unit, pair, factor); NaN where V is 0."""
    v0 = v0s.sum(-1)
    vT = vTs.sum(-1)
    ok = (v0 > 0) & (vT > 0)
    lw = _k.logmean(np.where(ok, vT, 1.0), np.where(ok, v0, 1.0))
    out = eff.sum(axis=2) / lw[..., None]
    return np.where(ok[..., None], out, np.nan)


def _factor_rows(eff, ratio, v0, vT, units, pb, pe, names, kind, unit_col) -> pd.DataFrame:
    # eff, ratio: (U, n, F); v0, vT: (U, n)
    n_u, n_p, n_f = eff.shape
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tot_ratio = np.where((v0 > 0) & (vT > 0), vT / np.where(v0 > 0, v0, 1.0), np.nan)
    add = np.concatenate([eff, (vT - v0)[..., None]], axis=-1)
    mul = np.concatenate([ratio, tot_ratio[..., None]], axis=-1)
    f = n_f + 1
    return pd.DataFrame({
        unit_col: np.repeat(np.array(units, dtype=object), n_p * f),
        "kind": kind,
        "base": np.tile(np.repeat(pb, f), n_u),
        "end": np.tile(np.repeat(pe, f), n_u),
        "factor": np.tile(np.array([*names, _TOTAL], dtype=object), n_u * n_p),
        "additive": add.reshape(-1),
        "multiplicative": mul.reshape(-1),
        "value_base": np.repeat(v0.reshape(-1), f),
        "value_end": np.repeat(vT.reshape(-1), f),
    })


def _sector_rows(eff, v0s, vTs, units, pb, pe, sectors, names, kind, unit_col) -> pd.DataFrame:
    # eff: (U, n, S, F); v0s, vTs: (U, n, S)
    n_u, n_p, n_s, n_f = eff.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((v0s > 0) & (vTs > 0), vTs / np.where(v0s > 0, v0s, 1.0), np.nan)
    add = np.concatenate([eff, (vTs - v0s)[..., None]], axis=-1)
    mul = np.concatenate([np.full(eff.shape, np.nan), ratio[..., None]], axis=-1)
    f = n_f + 1
    return pd.DataFrame({
        unit_col: np.repeat(np.array(units, dtype=object), n_p * n_s * f),
        "kind": kind,
        "base": np.tile(np.repeat(pb, n_s * f), n_u),
        "end": np.tile(np.repeat(pe, n_s * f), n_u),
        "sector": np.tile(np.repeat(np.array(sectors, dtype=object), f), n_u * n_p),
        "factor": np.tile(np.array([*names, _TOTAL], dtype=object), n_u * n_p * n_s),
        "additive": add.reshape(-1),
        "multiplicative": mul.reshape(-1),
        "value_base": np.repeat(v0s.reshape(-1), f),
        "value_end": np.repeat(vTs.reshape(-1), f),
    })
