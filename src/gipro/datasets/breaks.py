"""Known series breaks in the built-in data sets.

A *series break* is a change of definition, vintage or source between two consecutive periods:
a change across it mixes real change with the break. Progress tables and reports that compare
periods across a break say so (:func:`gipro.progress.caveats`).

The breaks of ``china_provinces`` are those documented in its source notes (``NOTICE`` and
the source panel's ``SOURCE.md``, caveats 3 and 5).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SeriesBreak", "series_breaks"]

_GDP = ("gdp_nominal", "gdp_real_2015prices", "gdp_real_per_capita", "co2_intensity_gdp",
        "co2_industry_intensity_gdp")
_POP = ("population", "gdp_real_per_capita", "co2_per_capita", "co2_industry_per_capita")


@dataclass(frozen=True)
class SeriesBreak:
    """A break between period ``before`` and period ``before + 1`` of some variables.

    Attributes
    ----------
    before : int
        Last period before the break (the break lies between ``before`` and ``before + 1``).
    variables : tuple of str
        Variables (and indicators derived from them) affected.
    note : str
        What changes at the break.
    """

    before: int
    variables: tuple[str, ...]
    note: str

    def within(self, start: int, end: int) -> bool:
        """Whether the break lies inside the span from ``start`` to ``end`` (either order)."""
        lo, hi = sorted((start, end))
        return lo <= self.before < hi


_BREAKS: dict[str, tuple[SeriesBreak, ...]] = {
    "china_provinces": (
        SeriesBreak(2004, _POP, "population: registered to usual-resident definition from 2005 "
                    "(e.g. Hunan -5.6 %, Guangxi -4.7 %)"),
        SeriesBreak(2008, _GDP, "GDP vintage: 2000-2008 revised historical series (after the 2004 "
                    "census), 2009-2017 as first published"),
        SeriesBreak(2009, _POP, "population: 2010 census (e.g. Guangxi -5.1 %, Anhui -2.8 %); "
                    "Beijing 2006-2009 already revised to it"),
        SeriesBreak(2017, _GDP, "GDP vintage: 2018-2019 on the 4th-economic-census basis; the "
                    "2017->2018 step mixes revision with growth (Tianjin -29 %, Jilin -25 %)"),
    ),
}


def series_breaks(name: str, variables: list[str] | None = None, start: int | None = None,
                  end: int | None = None) -> list[SeriesBreak]:
    """Known breaks of a built-in data set, optionally only those affecting some variables
    inside a span of periods.

    Parameters
    ----------
    name : str
        Built-in data set name (unknown names have no known breaks).
    variables : list of str, optional
        Keep breaks affecting at least one of these variables.
    start, end : int, optional
        Keep breaks lying between these periods.

    Returns
    -------
    list of SeriesBreak

    Examples
    --------
    >>> [b.before for b in series_breaks("china_provinces", ["co2_intensity_gdp"], 2006, 2015)]
    [2008]
    """
    out = list(_BREAKS.get(name, ()))
    if variables is not None:
        out = [b for b in out if set(b.variables) & set(variables)]
    if start is not None and end is not None:
        out = [b for b in out if b.within(start, end)]
    return out
