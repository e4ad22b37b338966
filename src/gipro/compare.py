"""Compare two builds: score and rank differences per unit, period and code.

The usual question after a variant ("what if no outlier treatment?", "what if geometric
aggregation?") is how much each unit's scores and ranks move (COINr ``compare_coins``; the
OECD/JRC Handbook 2008, step 7, robustness: shifts in ranks between alternative builds).

Sign convention (the same in ``gipro progress``, ``gipro scenario`` and here): a rank
improvement is the first rank minus the second, so **positive = the unit moved up** (rank 5
-> rank 3 is +2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .build import Build
    from .chunked import ChunkedBuild

__all__ = ["COLUMNS", "compare", "compare_parts"]

#: Columns of :func:`compare`, in order.
COLUMNS = ["unit", "period", "code", "level", "score_a", "score_b", "score_diff",
           "rank_a", "rank_b", "rank_improvement", "abs_rank_change"]


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
        ``rank_a, rank_b``, ``rank_improvement`` (``rank_a - rank_b``: positive = the unit
        moved up the ranking in ``b``, negative = it fell; the convention of ``rank_change``
        in :mod:`gipro.progress` and :mod:`gipro.scenario`) and ``abs_rank_change``
        (places moved, either way). Ranks are 1 = best, ties share the lowest rank
        (:meth:`Build.results`). A unit scored in only one build (e.g. screened out in the
        other) has NaN on the other side and no rank improvement. Sorted by level (index
        first), code, period, unit.

    Raises
    ------
    InputError
        If a build has not been run or the builds share no code.

    References
    ----------
    OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, step 7 (shifts in ranks
    between alternative builds); Becker et al. (2022) COINr, *JOSS* 7(78) 4567,
    ``compare_coins``.

    Examples
    --------
    >>> import gipro
    >>> base = gipro.run()
    >>> variant = base.with_step("normalise", bounds="per_period").run()
    >>> diff = gipro.compare(base, variant, codes=["GIP"])
    >>> list(diff.columns)[7:]
    ['rank_a', 'rank_b', 'rank_improvement', 'abs_rank_change']
    >>> r = diff.dropna(subset=["rank_improvement"]).iloc[0]
    >>> int(r["rank_improvement"]) == int(r["rank_a"]) - int(r["rank_b"])
    True
    """
    import pandas as pd  # here, so that `import gipro` does not load pandas

    _check_run(a, b)
    ra, rb = a.results(), b.results()
    in_b = set(pd.unique(rb["code"]))  # once, not per code (arrow strings iterate slowly)
    common = _common([c for c in pd.unique(ra["code"]) if c in in_b], codes)
    return _differences(ra, rb, common)


def compare_parts(a: ChunkedBuild, b: ChunkedBuild, *, codes: Sequence[str] | None = None
                  ) -> Iterator[pd.DataFrame]:
    """:func:`compare` of two builds chunked over units on a Dask cluster, one code at a
    time (the index first, as :func:`compare` orders its rows): only one code's results of
    each build are in this process at once.

    Parameters
    ----------
    a, b : ChunkedBuild
        Two run builds, written (:meth:`gipro.chunked.ChunkedBuild.write`): their results
        are read back from their outputs.
    codes : sequence of str, optional
        As :func:`compare`.

    Yields
    ------
    pandas.DataFrame
        The rows of :func:`compare` of one code; concatenated, :func:`compare`'s table.

    Raises
    ------
    InputError
        As :func:`compare`; a build not written yet.
    """
    _check_run(a, b)
    in_b = set(b.result_codes)
    common = _common([c for c in a.result_codes if c in in_b], codes)
    for code in common:
        yield _differences(a.results(codes=[code]), b.results(codes=[code]), [code])


def _check_run(a: Build | ChunkedBuild, b: Build | ChunkedBuild) -> None:
    for label, build in (("first", a), ("second", b)):
        if not build.is_run:
            raise InputError(f"the {label} build has not been run yet; call .run() first")


def _common(common: list[str], codes: Sequence[str] | None) -> list[str]:
    """The codes compared: ``codes`` (each in both builds' results) or every shared one."""
    if codes is not None:
        unknown = [c for c in codes if c not in common]
        if unknown:
            raise InputError(f"codes {unknown} are not in both builds' results",
                             [f"common codes: {', '.join(common)}"])
        common = list(codes)
    if not common:
        raise InputError("the two builds have no code in common")
    return common


def _differences(ra: pd.DataFrame, rb: pd.DataFrame, common: list[str]) -> pd.DataFrame:
    """The rows of :func:`compare` of the ``common`` codes of two results tables."""
    import pandas as pd

    keys = ["unit", "period", "code"]
    left = ra[ra["code"].isin(common)].rename(columns={"score": "score_a", "rank": "rank_a"})
    right = rb[rb["code"].isin(common)].rename(columns={"score": "score_b", "rank": "rank_b"})
    out = left.merge(right.drop(columns="level"), on=keys, how="outer")
    levels = ra.drop_duplicates("code").set_index("code")["level"]
    out["level"] = out["code"].map(levels).astype(int)
    out["score_diff"] = out["score_b"] - out["score_a"]
    ranks_a = out["rank_a"].astype("Float64")
    ranks_b = out["rank_b"].astype("Float64")
    out["rank_improvement"] = (ranks_a - ranks_b).astype("Int64")
    out["abs_rank_change"] = out["rank_improvement"].abs()
    order = pd.Series(range(len(common)), index=pd.Index(common, dtype=object))
    out["_o"] = out["code"].map(order)
    out = out.sort_values(["level", "_o", "period", "unit"], ascending=[False, True, True, True])
    out = out[COLUMNS].reset_index(drop=True)
    out["score_diff"] = out["score_diff"].astype(float)
    return out
