"""Change over time between two periods of a build.

Scores are only comparable across periods when normalisation bounds are pooled over all periods
(the default of :class:`~gipro.recipe.NormaliseStep`); with per-period bounds a change of score
mixes real change with moving bounds, and :func:`change` says so.
"""

from __future__ import annotations

import pandas as pd

from .build import Build
from .errors import InputError

__all__ = ["change", "summary"]


def _periods(build: Build, base: int | None, end: int | None) -> tuple[int, int]:
    periods = list(build.final.periods)
    base = periods[0] if base is None else base
    end = periods[-1] if end is None else end
    for p in (base, end):
        if p not in periods:
            raise InputError(f"period {p} is not in the build ({periods[0]}-{periods[-1]})")
    if base == end:
        raise InputError("base and end periods are the same")
    return base, end


def change(build: Build, code: str | None = None, base: int | None = None,
           end: int | None = None) -> pd.DataFrame:
    """Score and rank of each unit in a base and an end period, and the change.

    Parameters
    ----------
    build : Build
        A run build.
    code : str, optional
        Index, sub-index or indicator code (default: the index).
    base, end : int, optional
        Periods (default: first and last of the build).

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``unit, score_base, score_end, change, rank_base, rank_end,
        rank_change`` (positive rank change = moved up), sorted by ``change`` descending
        (missing last).
    """
    code = code or build.framework.root
    base, end = _periods(build, base, end)
    res = build.results()
    res = res[res["code"] == code]
    if res.empty:
        raise InputError(f"code {code!r} is not in the build's results")
    wide = res.pivot(index="unit", columns="period", values=["score", "rank"])
    out = pd.DataFrame({
        "score_base": wide[("score", base)],
        "score_end": wide[("score", end)],
        "rank_base": wide[("rank", base)].astype("Int64"),
        "rank_end": wide[("rank", end)].astype("Int64"),
    })
    out["change"] = out["score_end"] - out["score_base"]
    out["rank_change"] = out["rank_base"] - out["rank_end"]
    out = out[["score_base", "score_end", "change", "rank_base", "rank_end", "rank_change"]]
    out = out.reindex(list(build.final.units)).sort_values("change", ascending=False,
                                                          na_position="last")
    return out.rename_axis("unit").reset_index()


def summary(build: Build, code: str | None = None, base: int | None = None,
            end: int | None = None) -> str:
    """One paragraph on progress between two periods, e.g. for the command line.

    Returns
    -------
    str
        How many units progressed on ``code`` (default: the index), the median change, the
        largest gains and falls, and a warning when bounds were per period.
    """
    code = code or build.framework.root
    base, end = _periods(build, base, end)
    tab = change(build, code, base, end).dropna(subset=["change"])
    node = build.framework.node(code)
    label = node.label()
    n = len(build.final.units)
    up = int((tab["change"] > 0).sum())
    down = int((tab["change"] < 0).sum())
    text = (
        f"Between {base} and {end}, {up} of {n} units progressed on the {label} ({code}) and "
        f"{down} fell back; median change {tab['change'].median():+.1f} points."
    )
    k = min(3, len(tab) // 2)
    if k:
        best = tab.head(k)
        worst = tab.iloc[k:].tail(k).iloc[::-1]
        text += " Largest gains: " + ", ".join(
            f"{r.unit} ({_signed(r.change)})" for r in best.itertuples()) + "."
        text += " Smallest changes or falls: " + ", ".join(
            f"{r.unit} ({_signed(r.change)})" for r in worst.itertuples()) + "."
    missing = n - len(tab)
    if missing:
        text += (f" {missing} unit{'s lack' if missing > 1 else ' lacks'} a score in {base} or "
                 f"{end}.")
    norm = [e for e in build.log if e.step == "normalise"]
    if norm and any(e.params.get("bounds") == "per_period" for e in norm):
        text += (" Caution: normalisation bounds were set per period, so score changes mix real "
                 "change with moving bounds.")
    return text


def _signed(v: float) -> str:
    """+1.2 / -0.03: one decimal, two when the change rounds to zero at one decimal."""
    return f"{v:+.2f}" if abs(v) < 0.05 else f"{v:+.1f}"
