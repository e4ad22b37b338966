"""Yes/no cells of park files and framework tables: the words gipro reads as yes and as no.

One vocabulary for every reader (park indicators, park attributes, enterprise flags, the
data-entry workbook, framework tables): ``yes/no, y/n, true/false, t/f, 1/0, present/absent,
是/否, 具备/不具备, 有/无`` (any case, spaces around ignored).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FALSE_WORDS", "FLAG_HINT", "TRUE_WORDS", "flag_value"]

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "1.0", "present", "是", "具备", "有"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "0.0", "absent", "否", "不具备", "无"})
_MISSING = frozenset({"", "nan", "none", "<na>"})
#: How to write a yes/no value, for messages.
FLAG_HINT = "use yes/no, true/false, 1/0, present/absent (是/否)"


def flag_value(v: Any) -> float:
    """A yes/no cell as 1.0 (yes), 0.0 (no) or NaN (empty).

    Raises
    ------
    ValueError
        When the cell is neither yes nor no nor empty.

    Examples
    --------
    >>> flag_value("Yes"), flag_value("否"), flag_value(0), flag_value(None)
    (1.0, 0.0, 0.0, nan)
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return math.nan
    t = str(v).strip().lower()
    if t in TRUE_WORDS:
        return 1.0
    if t in FALSE_WORDS:
        return 0.0
    if t in _MISSING:
        return math.nan
    raise ValueError(f"{v!r} is neither yes nor no")
