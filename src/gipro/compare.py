"""Compare two builds: score and rank differences per unit, period and code.

The usual question after a variant ("what if no outlier treatment?", "what if geometric
aggregation?") is how much each unit's scores and ranks move (COINr ``compare_coins``; the
OECD/JRC Handbook 2008, step 7, robustness: shifts in ranks between alternative builds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .build import Build

__all__ = ["compare"]


def compare(a: Build, b: Build, *, codes: list[str] | None = None) -> pd.DataFrame:
    """Score and rank differences between two run builds, per unit, period and code.

    Parameters
    ----------
    a, b : Build
        Two builds that have been run (e.g. a build and ``build.with_step(...).run()``).
    codes : list of str, optional
        Codes to compare (default: every code present in both builds' results).

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, period, code, level, score_a, score_b, score_diff`` (b - a),
        ``rank_a, rank_b, rank_change`` (b - a; positive = the unit fell down the ranking) and
        ``abs_rank_change``. A unit scored in only one build (e.g. screened out in the other)
        has NaN on the other side. Sorted by level (index first), code, period, unit.

    Raises
    ------
    InputError
        If a build has not been run or the builds share no code.

    Examples
    --------
    >>> import gipro
    >>> base = gipro.run()
    >>> variant = base.with_step("normalise", bounds="per_period").run()
    >>> diff = gipro.compare(base, variant, codes=["GIP"])
    >>> list(diff.columns)[:7]
    ['unit', 'period', 'code', 'level', 'score_a', 'score_b', 'score_diff']
    """
    for label, build in (("first", a), ("second", b)):
        if not build.is_run:
            raise InputError(f"the {label} build has not been run yet; call .run() first")
    ra, rb = a.results(), b.results()
    common = [c for c in dict.fromkeys(ra["code"]) if c in set(rb["code"])]
    if codes is not None:
        unknown = [c for c in codes if c not in common]
        if unknown:
            raise InputError(f"codes {unknown} are not in both builds' results",
                             [f"common codes: {', '.join(common)}"])
        common = list(codes)
    if not common:
        raise InputError("the two builds have no code in common")
    keys = ["unit", "period", "code"]
    left = ra[ra["code"].isin(common)].rename(columns={"score": "score_a", "rank": "rank_a"})
    right = rb[rb["code"].isin(common)].rename(columns={"score": "score_b", "rank": "rank_b"})
    out = left.merge(right.drop(columns="level"), on=keys, how="outer")
    level = dict(zip(ra["code"], ra["level"], strict=False))
    out["level"] = out["code"].map(level).astype(int)
    out["score_diff"] = out["score_b"] - out["score_a"]
    ranks_a = out["rank_a"].astype("Float64")
    ranks_b = out["rank_b"].astype("Float64")
    out["rank_change"] = (ranks_b - ranks_a).astype("Int64")
    out["abs_rank_change"] = out["rank_change"].abs()
    order = {c: i for i, c in enumerate(common)}
    out["_o"] = out["code"].map(order)
    out = out.sort_values(["level", "_o", "period", "unit"], ascending=[False, True, True, True])
    cols = ["unit", "period", "code", "level", "score_a", "score_b", "score_diff",
            "rank_a", "rank_b", "rank_change", "abs_rank_change"]
    out = out[cols].reset_index(drop=True)
    out["score_diff"] = out["score_diff"].astype(float)
    return out
