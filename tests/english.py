"""Runs of English words in text meant for Chinese readers.

A *run* is five or more Latin-letter words in a row, separated only by spaces, digits and
punctuation on one line (a table cell or paragraph): ``Between 2006 and 2015, 28 of 30 units
progressed`` is one run of six words.
Codes and abbreviations (``GIP``, ``CO2``, ``co2_intensity_gdp``, ``S1``) are words too, so a
Chinese sentence quoting two codes is never a run, while an English sentence always is.
Used by the browser tests of the Chinese reports and the CLI tests with ``--lang zh``.
"""

from __future__ import annotations

import re

__all__ = ["VISIBLE_TEXT", "english_runs"]

_WORD = r"[A-Za-z][A-Za-z0-9_'’./-]*"  # a path (out/report_zh.html) is one word
_SEP = r"[ \t0-9,.;:()\[\]%+\-–—=<>|'\"*#&×÷]+"  # a line break (a new cell) ends a run
_RUN = re.compile(rf"{_WORD}(?:{_SEP}{_WORD}){{4,}}")


def english_runs(text: str) -> list[str]:
    """Every run of five or more English words in ``text``.

    Examples
    --------
    >>> english_runs("2006年至2015年，30 个单元中 28 个进步 (GIP, CO2)")
    []
    >>> english_runs("Between 2006 and 2015, 28 of 30 units progressed.")
    ['Between 2006 and 2015, 28 of 30 units progressed.']
    """
    return [m.group(0) for m in _RUN.finditer(text)]


#: JavaScript for Playwright: the text of the page a reader can see or reveal (hidden unit
#: panels included), without scripts, styles and elements of class ``licence``.
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('script, style, noscript, .licence').forEach(e => e.remove());
  const out = [];
  const walk = n => {
    if (n.nodeType === 3) { out.push(n.textContent); return; }
    if (n.nodeType !== 1) return;
    const block = /^(P|DIV|LI|TD|TH|TR|H[1-6]|SECTION|TABLE|PRE|FIGCAPTION|OPTION|text|g)$/i
      .test(n.tagName);
    if (block) out.push('\\n');
    n.childNodes.forEach(walk);
    if (block) out.push('\\n');
  };
  walk(body);
  return out.join('');
}"""
