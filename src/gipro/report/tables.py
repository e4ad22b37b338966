"""HTML tables of the report: pandas frames turned into rows of formatted, sortable cells."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Cell", "Col", "Table", "fmt", "readable", "table"]

DASH = "–"


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return isinstance(v, float) and math.isnan(v)
    except TypeError:  # pragma: no cover - exotic scalars
        return False


def readable(v: float, digits: int = 4) -> str:
    """A measured value for people: at least ``digits`` significant digits, thousands
    grouped, never in exponent form for values from 1e-6 to 1e15 (``35,820`` rather than
    ``3.582e+04``; ``0.1347``, not ``0``); the integer digits are never rounded away.
    Values closer to zero than 1e-6 (or beyond 1e15) keep the exponent (``1.235e-09``),
    which says more than a row of zeros.

    Examples
    --------
    >>> readable(35820.43), readable(13.2912), readable(0.13473, 2), readable(0.0)
    ('35,820', '13.29', '0.13', '0')
    >>> readable(-1234567.8), readable(1.23456e-9)
    ('-1,234,568', '1.235e-09')
    """
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    a = abs(v)
    if a < 1e-6 or a >= 1e15:
        return f"{v:.{digits}g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    return f"{v:,.{decimals}f}"


def fmt(v: Any, kind: str = "text") -> str:
    """Format one value for display: ``text``, ``int``, ``pct`` (a share 0-1), ``signed``
    (+1.23), ``num`` (a measured value, :func:`readable`), ``g`` (4 significant digits) or a
    format spec such as ``.2f``; missing values print as a dash, never as 0.

    Examples
    --------
    >>> fmt(float("nan"), ".2f"), fmt(0.25, "pct"), fmt(1.5, "signed"), fmt(3.0, "int")
    ('–', '25%', '+1.50', '3')
    >>> fmt(35820.43, "num")
    '35,820'
    """
    if _missing(v):
        return DASH
    if kind == "num":
        return readable(v)
    if kind == "text":
        return str(v)
    if kind == "int":
        return str(int(v))
    if kind == "pct":
        return f"{float(v):.0%}"
    if kind == "signed":
        return f"{float(v):+.2f}"
    if kind == "g":
        return f"{float(v):.4g}"
    return format(float(v), kind)


@dataclass
class Cell:
    """One table cell: displayed text, value used for sorting, CSS class and tooltip."""

    text: str
    sort: str = ""
    cls: str = ""
    title: str = ""


@dataclass
class Col:
    """A column: source column name, header, format (see :func:`fmt`)."""

    key: str
    header: str
    kind: str = "text"
    cls: str = ""  # CSS class of the column's cells (``licence``: text kept in its language)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    """A rendered table: headers and rows of :class:`Cell`."""

    headers: list[tuple[str, bool]]  # (text, numeric)
    rows: list[list[Cell]]
    id: str | None = None
    sortable: bool = True
    row_groups: list[str] = field(default_factory=list)  # optional data-group of each row

    def __len__(self) -> int:
        return len(self.rows)


def table(df: pd.DataFrame, cols: Sequence[Col], *, id: str | None = None,
          sortable: bool = True) -> Table:
    """Build a :class:`Table` from ``df`` with the given columns (missing columns skipped)."""
    cols = [c for c in cols if c.key in df.columns]
    rows = []
    for rec in df[[c.key for c in cols]].itertuples(index=False, name=None):
        row = []
        for c, v in zip(cols, rec, strict=True):
            sort = "" if _missing(v) or not c.numeric else repr(float(v))
            row.append(Cell(fmt(v, c.kind), sort, cls=c.cls))
        rows.append(row)
    return Table([(c.header, c.numeric) for c in cols], rows, id=id, sortable=sortable)
