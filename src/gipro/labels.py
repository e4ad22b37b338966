"""Names next to codes: the display names of units and framework codes, for tables people read.

Codes stay the keys of every table (``Beijing``, ``GIP``, ``co2_per_capita``); tables meant to
be read or pasted into a document also carry the names: ``unit_name`` from the data's unit
table (``name``, or ``name_zh`` in Chinese: the embedded provinces have both, e.g.
``InnerMongolia`` -> ``Inner Mongolia`` / ``内蒙古``) and ``code_name`` from the framework
(``name.en`` / ``name.zh``). A missing name falls back to the other language, then to the
code. This module imports neither the build nor the report, so both can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .framework import Framework

__all__ = ["unit_labels", "with_names"]


def unit_labels(units: pd.DataFrame | None, codes: Sequence[Any],
                lang: str = "en") -> dict[str, str]:
    """Display name of each unit code in ``lang``.

    Parameters
    ----------
    units : pandas.DataFrame, optional
        Unit table indexed by code, with optional columns ``name`` and ``name_zh``.
    codes : sequence
        Unit codes.
    lang : {"en", "zh"}

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Inner Mongolia"], "name_zh": ["内蒙古"]},
    ...                  index=["InnerMongolia"])
    >>> unit_labels(t, ["InnerMongolia", "X"], "zh")
    {'InnerMongolia': '内蒙古', 'X': 'X'}
    """
    def col(name: str) -> dict[str, str]:
        if units is None or name not in getattr(units, "columns", ()):
            return {}
        s = units[name].dropna().astype(str)
        return {str(k): v.strip() for k, v in s.items() if v.strip()}

    en, zh = col("name"), col("name_zh")
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return {str(c): first.get(str(c)) or second.get(str(c)) or str(c) for c in codes}


def with_names(table: pd.DataFrame, units: pd.DataFrame | None = None,
               framework: Framework | None = None, lang: str = "en") -> pd.DataFrame:
    """A copy of ``table`` with ``unit_name`` after its ``unit`` column and ``code_name``
    after its ``code`` column (each only when the table has that column).

    Parameters
    ----------
    table : pandas.DataFrame
    units : pandas.DataFrame, optional
        The data's unit table (see :func:`unit_labels`).
    framework : Framework, optional
        Gives the codes' names (``name.en`` / ``name.zh``); codes not in it keep the code.
    lang : {"en", "zh"}

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A"], "code": ["X"], "score": [1.0]})
    >>> list(with_names(t, pd.DataFrame({"name": ["Unit A"]}, index=["A"])).columns)
    ['unit', 'unit_name', 'code', 'code_name', 'score']
    """
    out = table.copy()
    if "unit" in out.columns and "unit_name" not in out.columns:
        names = unit_labels(units, pd.unique(out["unit"].astype(str)), lang)
        out.insert(out.columns.get_loc("unit") + 1, "unit_name",
                   out["unit"].astype(str).map(names))
    if "code" in out.columns and "code_name" not in out.columns:
        nodes = framework.nodes if framework is not None else {}
        names = {str(c): (nodes[c].name.get(lang) or str(c)) if c in nodes else str(c)
                 for c in pd.unique(out["code"])}
        out.insert(out.columns.get_loc("code") + 1, "code_name",
                   out["code"].map(lambda c: names.get(str(c), str(c))))
    return out
