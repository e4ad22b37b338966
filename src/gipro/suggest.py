"""Near matches for misspelt names: the "did you mean ...?" of every message.

One rule for all of gipro (data columns, framework indicators, denominators, step codes,
YAML keys), in two tiers:

1. **same when folded** -- the names differ only in case, spaces, ``-``, ``_`` or ``.``
   (``'RD_share'`` for ``'rd_share'``, ``'Water '`` for ``'Water'``; field case B26);
2. **close spelling** -- otherwise the candidate whose folded form is most similar by
   :class:`difflib.SequenceMatcher` (ratio ``2 M / T``: ``M`` matched characters, ``T`` the
   total length of both), if the ratio is at least ``cutoff`` (default 0.75: ``'rd_shares'``
   for ``'rd_share'``, 0.94; ``'unti'`` for ``'unit'``, 0.75).

References
----------
Python standard library, :func:`difflib.get_close_matches` (Ratcliff/Obershelp "gestalt
pattern matching", Ratcliff & Metzener 1988, *Dr. Dobb's Journal* 13(7):46).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Literal

__all__ = ["did_you_mean", "fold_code", "header_with_unit", "near_match", "strip_bracketed"]

#: Default similarity cutoff of the close-spelling tier.
CUTOFF = 0.75


def fold_code(code: object) -> str:
    """A code folded for near-match detection: lower case, spaces, ``-``, ``_``, ``.`` removed.

    Examples
    --------
    >>> fold_code("RD_share"), fold_code(" Water-Use.2 ")
    ('rdshare', 'wateruse2')
    """
    return re.sub(r"[\s_\-.]", "", str(code).lower())


#: A trailing bracketed part of a header, half- or full-width: "x (t)", "x（吨/万元）", "x [%]".
_TRAILING_BRACKETS = re.compile(r"\s*(?:\([^()]*\)|（[^（）]*）|\[[^\[\]]*\]|【[^【】]*】)\s*$")


def strip_bracketed(header: object) -> tuple[str, str] | None:
    """A header split into (name, bracketed part) when it ends in a bracketed part (half- or
    full-width round brackets, square brackets or 【】), else ``None``. Spreadsheets often put
    the measurement unit there: ``co2_int（吨/万元）``.

    Examples
    --------
    >>> strip_bracketed("co2_int（吨/万元）")
    ('co2_int', '吨/万元')
    >>> strip_bracketed("water_reuse (%)")
    ('water_reuse', '%')
    >>> strip_bracketed("gdp_pc") is None
    True
    """
    text = str(header)
    m = _TRAILING_BRACKETS.search(text)
    if m is None or m.start() == 0:
        return None
    return text[:m.start()], m.group(0).strip()[1:-1].strip()


def header_with_unit(code: object, headers: Iterable[object]) -> tuple[str, str] | None:
    """The header that is ``code`` followed by a bracketed part (its unit, most likely), and
    that part; matched on the header with the bracketed part removed, exactly or the same when
    folded (:func:`fold_code`). ``None`` when no header is like that.

    Examples
    --------
    >>> header_with_unit("co2_int", ["region", "co2_int（吨/万元）"])
    ('co2_int（吨/万元）', '吨/万元')
    >>> header_with_unit("gdp", ["GDP (yuan)"])
    ('GDP (yuan)', 'yuan')
    >>> header_with_unit("gdp", ["gdp_pc (yuan)"]) is None
    True
    """
    key = fold_code(code)
    for h in headers:
        split = strip_bracketed(h)
        if split is not None and fold_code(split[0]) == key:
            return str(h), split[1]
    return None


def near_match(name: object, candidates: Iterable[object], *, cutoff: float = CUTOFF
               ) -> tuple[str, Literal["fold", "close"]] | None:
    """The candidate ``name`` was most likely meant to be, and how near it is.

    Parameters
    ----------
    name : object
        The unknown name (as text).
    candidates : iterable
        The known names (as text; ``name`` itself is never returned).
    cutoff : float in [0, 1]
        Least :class:`difflib.SequenceMatcher` ratio of the folded names for a close match.

    Returns
    -------
    (str, "fold" or "close") or None
        ``"fold"``: the names differ only in case, spaces or punctuation; ``"close"``: a
        similar spelling (the most similar candidate); ``None``: nothing near.

    Examples
    --------
    >>> near_match("rd_share", ["gdp_pc", "RD_Share", "rd_shares"])
    ('RD_Share', 'fold')
    >>> near_match("populaton", ["gdp", "population"])
    ('population', 'close')
    >>> near_match("foo", ["dataset", "path"]) is None
    True
    """
    name = str(name)
    cands = [str(c) for c in dict.fromkeys(candidates) if str(c) != name]
    key = fold_code(name)
    for c in cands:
        if fold_code(c) == key:
            return c, "fold"
    folded: dict[str, str] = {}
    for c in cands:
        folded.setdefault(fold_code(c), c)
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=cutoff)
    return (folded[close[0]], "close") if close else None


def did_you_mean(name: object, candidates: Iterable[object], *, cutoff: float = CUTOFF) -> str:
    """``" (did you mean 'x'?)"`` for the nearest candidate, or ``""`` when none is near.

    Examples
    --------
    >>> "denominator 'populaton' not found" + did_you_mean("populaton", ["population"])
    "denominator 'populaton' not found (did you mean 'population'?)"
    >>> did_you_mean("Water ", ["Water"])
    " (did you mean 'Water'? it differs only in case, spaces or punctuation)"
    >>> did_you_mean("zzz", ["Water"])
    ''
    """
    hit = near_match(name, candidates, cutoff=cutoff)
    if hit is None:
        return ""
    near, how = hit
    extra = "? it differs only in case, spaces or punctuation" if how == "fold" else "?"
    return f" (did you mean {near!r}{extra})"
