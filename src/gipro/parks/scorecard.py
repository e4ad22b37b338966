"""The park26 scorecard: a five-dimension, 26-indicator composite index of parks.

The index is an ordinary gipro composite framework (``gipro/frameworks/park26.yaml``) built with
the construction engine (:class:`gipro.build.Build`): min-max normalisation with bounds pooled
over every park and year (so scores compare across years), equal weights, weighted arithmetic
mean level by level (OECD/JRC 2008 Handbook, sections 5-6), missing indicators never zero
(weights renormalised over available indicators when at least half are present). Parks are
ranked per year (1 = best) on the index and on each dimension.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..build import Build
from ..framework import load_framework
from .data import ParkData

__all__ = ["PARK26", "park26", "scorecard"]

PARK26 = "park26"


def park26(data: ParkData, *, steps: list[Mapping[str, Any]] | None = None,
           years: list[int] | None = None) -> Build:
    """Build and run the park26 index on park data.

    Parameters
    ----------
    data : ParkData
        Park indicators (catalogue codes); the 26 indicators of ``park26.yaml`` must be present
        as columns (a park-year may lack some values).
    steps : list of mapping, optional
        Recipe steps (default: min-max onto [0, 100] with pooled bounds, then arithmetic
        aggregation with ``min_availability`` 0.5).
    years : list of int, optional
        Years to build (default: every year of the data).

    Returns
    -------
    Build
        A run build: ``results()``, ``data("normalised")``, ``exclusions()``...

    Raises
    ------
    InputError
        Indicators of park26 absent from the data (listed).
    MethodError
        An indicator constant over every park and year (min-max divides by zero).

    Examples
    --------
    >>> from gipro.parks import example
    >>> data = example()                      # SYNTHETIC parks
    >>> card = scorecard(park26(data), data)
    >>> card[card["year"] == 2023][["park", "PARK26_rank"]].values.tolist()
    [['PARK-S', 1], ['PARK-N', 2], ['PARK-C', 3]]
    """
    fw = load_framework(PARK26)
    panel = data.panel([c for c in fw.indicator_codes if c in set(data.indicators)])
    recipe = {
        "name": "park26",
        "description": "Park-26 scorecard" + (" (SYNTHETIC data)" if data.synthetic else ""),
        "framework": PARK26,
        "data": {"path": data.origin or "park data"},
        "steps": list(steps) if steps is not None else [
            {"step": "normalise", "method": "minmax", "range": [0, 100], "bounds": "pooled"},
            {"step": "aggregate", "method": "arithmetic", "min_availability": 0.5}],
    }
    if years is not None:
        recipe["periods"] = sorted(years)
    return Build(recipe, framework=fw, panel=panel).run()


def scorecard(build: Build, data: ParkData | None = None) -> pd.DataFrame:
    """The index and dimension scores and ranks of every park and year, one row each.

    Returns
    -------
    pandas.DataFrame
        ``data_status, park, year, PARK26, PARK26_rank`` and ``<dim>, <dim>_rank`` for each
        dimension, sorted by year and index rank.
    """
    fw = build.framework
    res = build.results()
    codes = [fw.root, *fw.children(fw.root)]
    res = res[res["code"].isin(codes)]
    score = res.pivot(index=["unit", "period"], columns="code", values="score")[codes]
    rank = res.pivot(index=["unit", "period"], columns="code", values="rank")[codes]
    rank.columns = [f"{c}_rank" for c in codes]
    out = pd.concat([score, rank.astype("Int64")], axis=1)
    out = out[[c for pair in zip(codes, rank.columns, strict=True) for c in pair]]
    out = out.rename_axis(["park", "year"]).reset_index()
    status = data.parks["data_status"] if data is not None else None
    out.insert(0, "data_status", out["park"].map(status) if status is not None else "")
    return out.sort_values(["year", f"{fw.root}_rank", "park"], ignore_index=True)
