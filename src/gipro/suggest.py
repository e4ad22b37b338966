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
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

__all__ = ["code_clashes", "code_fixes", "did_you_mean", "fold_code", "fold_identity",
           "header_with_unit", "hidden_characters", "near_match", "strip_bracketed"]

#: Default similarity cutoff of the close-spelling tier.
CUTOFF = 0.75


def fold_identity(code: object) -> str:
    """A code as a reader would see it: Unicode NFKC normalisation, then case folding.

    Two codes with the same ``fold_identity`` look alike on screen (``'beijing'``,
    ``'Beijing'``, full-width ``'Ｂeijing'``) and are one unit to any reader; gipro refuses
    them as two codes (:func:`code_clashes`).

    References
    ----------
    Unicode Standard Annex #15, *Unicode Normalization Forms* (NFKC: compatibility
    decomposition, then canonical composition); Unicode Standard, section 3.13, *Default
    Case Algorithms* (``toCasefold``): :meth:`str.casefold` and :func:`unicodedata.normalize`.

    Examples
    --------
    >>> fold_identity("Ｂeijing"), fold_identity("STRASSE") == fold_identity("Straße")
    ('beijing', True)
    """
    return unicodedata.normalize("NFKC", str(code)).casefold()


def fold_code(code: object) -> str:
    """A code folded for near-match detection: :func:`fold_identity` (NFKC, case folded),
    then spaces, ``-``, ``_``, ``.`` removed.

    Examples
    --------
    >>> fold_code("RD_share"), fold_code(" Water-Use.2 "), fold_code("Ｂeijing")
    ('rdshare', 'wateruse2', 'beijing')
    """
    return re.sub(r"[\s_\-.]", "", fold_identity(code))


def hidden_characters(code: object) -> list[str]:
    r"""The invisible characters of a code: control (Unicode category ``Cc``: NUL, tab, line
    breaks) and format characters (``Cf``: zero-width space U+200B, zero-width joiner,
    byte-order mark U+FEFF, soft hyphen, direction marks), each as ``U+XXXX NAME``.

    A code holding one prints like another code but is not equal to it, so gipro refuses it.

    References
    ----------
    Unicode Standard, section 4.5, *General Category* (``Cc`` control, ``Cf`` format).

    Examples
    --------
    >>> hidden_characters("Beijing\u200b"), hidden_characters("Be\x00ijing")
    (['U+200B ZERO WIDTH SPACE'], ['U+0000 (control)'])
    >>> hidden_characters("Inner Mongolia")
    []
    """
    return [f"U+{ord(ch):04X} {unicodedata.name(ch, '(control)')}"
            for ch in dict.fromkeys(str(code)) if unicodedata.category(ch) in ("Cc", "Cf")]


def _rows_text(rows: Sequence[int], limit: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def code_clashes(codes: Sequence[object], rows: Sequence[int] | None = None, *,
                 what: str = "unit", alike: bool = True) -> list[str]:
    r"""Problems with a column of codes that would silently split (or merge) units.

    1. a code holding an invisible character (:func:`hidden_characters`), shown escaped
       (``'Beijing\u200b'``) with its rows (leading or trailing tabs and line breaks are
       whitespace, left to the callers' check of surrounding spaces);
    2. codes that differ only in case or width, i.e. are equal after :func:`fold_identity`
       (NFKC + case folding): ``'beijing'`` and ``'Beijing'``, ``'Ｂeijing'`` and
       ``'Beijing'``, each with its rows.

    Parameters
    ----------
    codes : sequence
        One code per row (as text).
    rows : sequence of int, optional
        The file row of each code (default: none named).
    what : str
        What the codes are, for messages.
    alike : bool
        Also report codes equal after :func:`fold_identity` (2.); ``False``: invisible
        characters only.

    Returns
    -------
    list of str
        One line per problem (empty: the codes are fine).

    Examples
    --------
    >>> for p in code_clashes(["Beijing", "beijing", "Tianjin\x00", "Beijing"], [2, 3, 4, 5]):
    ...     print(p)
    unit code 'Tianjin\x00' (row 4) holds an invisible character (U+0000 (control))
    unit code 'beijing' (row 3) differs from 'Beijing' (rows 2, 5) only in case or width
    """
    codes = [str(c) for c in codes]
    uniq = list(dict.fromkeys(codes))
    if _all_plain(uniq, alike):
        return []  # the usual case, without listing rows
    where: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        where.setdefault(c, []).append(int(rows[i]) if rows is not None else -1)

    def at(c: str) -> str:
        return "" if rows is None else f" ({_rows_text(where[c])})"

    out = [f"{what} code {c!r}{at(c)} holds an invisible character ({', '.join(h)})"
           for c in where if (h := hidden_characters(c.strip()))]
    groups: dict[str, list[str]] = {}
    for c in where:
        groups.setdefault(fold_identity(c), []).append(c)
    for variants in groups.values():
        if len(variants) < 2 or not alike:
            continue
        main = max(variants, key=lambda c: len(where[c]))  # the most frequent spelling
        out += [f"{what} code {c!r}{at(c)} differs from {main!r}{at(main)} only in case or "
                "width" for c in variants if c != main]
    return out


def _all_plain(uniq: list[str], alike: bool) -> bool:
    """No code of ``uniq`` (distinct) holds an invisible character and, with ``alike``, no two
    are equal after :func:`fold_identity` -- the rules of :func:`code_clashes`, checked on the
    distinct characters of all codes and on one joined text (10^5 unit codes in ~0.05 s)."""
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in set("".join(uniq))):
        # some code holds one, maybe only as surrounding whitespace: code by code
        if any(hidden_characters(c.strip()) for c in uniq):
            return False
        return not alike or len({fold_identity(c) for c in uniq}) == len(uniq)
    # no NUL in any code: joined with NUL, folded once (NUL is left alone by NFKC and case
    # folding and blocks composition across it)
    return not alike or len(set(fold_identity("\x00".join(uniq)).split("\x00"))) == len(uniq)


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


def code_fixes(problems: Sequence[str]) -> list[str]:
    """How to fix the problems :func:`code_clashes` found (one line per kind).

    Examples
    --------
    >>> code_fixes(["unit code 'a' (row 3) differs from 'A' (row 2) only in case or width"])
    ['write each code the same way in every row and file (one case, half-width letters)']
    """
    out = []
    if any("invisible character" in p for p in problems):
        out.append("delete the invisible characters (retype the code, or clean the column "
                   "with a text editor that shows them)")
    if any("only in case or width" in p for p in problems):
        out.append("write each code the same way in every row and file (one case, "
                   "half-width letters)")
    return out
