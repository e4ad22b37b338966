"""One park data set, every framework: which requirement reads which indicator, and what is missing.

Every framework item (a requirement of ``hj274``, ``miit``, ``eip``; an indicator of the
``park26`` index) is mapped to a code of the park indicator catalogue. :func:`crosswalk` lists the
mapping, whether the data hold the indicator and for how many park-years; :func:`coverage_report`
sums it up per framework and names what each framework needs that the data lack, with how to
get it (enterprise columns for rolled-up indicators, or a park-level record).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..framework import load_framework
from .data import ParkData
from .model import (
    FRAMEWORK_SUFFIXES,
    RequirementFramework,
    builtin_park_frameworks,
    load_catalogue,
    load_park_framework,
)
from .rollup import FIRM_SHARES, RATIOS, SUMS, WEIGHTED_SHARES

__all__ = ["ALL_FRAMEWORKS", "coverage_report", "crosswalk", "how_to_get"]

ALL_FRAMEWORKS = ("eip", "hj274", "miit", "park26")

_DERIVED_NEEDS = {
    "iva_growth_3y_pct": "value_added (complete, this year and 3 years earlier)",
    "iva_per_industrial_land": "value_added (complete) + park record industrial_land_km2",
    "iva_per_land_growth_3y_pct": "value_added (complete) + industrial_land_km2, 2 years 3 "
                                  "apart",
    "energy_elasticity": "value_added + energy_tce (complete, 2 years 3 apart)",
    "water_elasticity": "value_added + water_m3 (complete, 2 years 3 apart)",
    "pollutant_elasticity": "value_added + cod_t and/or so2_t (complete, 2 years 3 apart)",
    "co2_intensity_reduction_pct": "value_added + co2_t (complete, 2 years 3 apart)",
}


def how_to_get(indicator: str) -> str:
    """Where an indicator comes from: enterprise columns to roll up, or a park-level record.

    Examples
    --------
    >>> how_to_get("energy_per_iva")
    'enterprise records: energy_tce, value_added'
    >>> how_to_get("central_wwtp")
    'park-level record (yes/no)'
    """
    if indicator in SUMS:
        return f"enterprise records: {SUMS[indicator]}"
    if indicator in RATIOS:
        num, den, _ = RATIOS[indicator]
        return f"enterprise records: {num}, {den}"
    if indicator in FIRM_SHARES:
        flag, subset = FIRM_SHARES[indicator]
        return f"enterprise records: {flag}" + (f", {subset}" if subset else "")
    if indicator in WEIGHTED_SHARES:
        flag, w = WEIGHTED_SHARES[indicator]
        return f"enterprise records: {flag}, {w}"
    if indicator in _DERIVED_NEEDS:
        return f"enterprise records: {_DERIVED_NEEDS[indicator]}"
    if indicator == "n_enterprises":
        return "enterprise records"
    ind = load_catalogue().get(indicator)
    kind = {"number": ind.unit, "boolean": "yes/no", "category": "/".join(ind.levels or [])}
    return f"park-level record ({kind[ind.kind]})"


def _items(fw_code: str | RequirementFramework) -> pd.DataFrame:
    cat = load_catalogue()
    if isinstance(fw_code, RequirementFramework) or fw_code in builtin_park_frameworks() \
            or Path(fw_code).suffix.lower() in FRAMEWORK_SUFFIXES:
        fw = load_park_framework(fw_code)
        t = fw.table()
        t = t.rename(columns={"requirement": "item", "unit": "item_unit"})
        t["framework"] = fw.code
        t["verified"] = t["verified"].astype(bool)
        t = t[["framework", "category", "item", "name", "status", "indicator", "item_unit",
               "threshold", "verified", "verification"]]
    else:
        fw = load_framework(fw_code)
        rows = [{"framework": fw.code, "category": n.parent, "item": n.code,
                 "name": n.label(), "status": "index indicator", "indicator": n.code,
                 "item_unit": n.unit, "threshold": "", "verified": np.nan,
                 "verification": ""}
                for n in fw.indicators]
        t = pd.DataFrame(rows)
    units = {i.code: i.unit for i in cat.indicators}
    origin = {i.code: i.origin for i in cat.indicators}
    t["indicator_unit"] = t["indicator"].map(units)
    t["origin"] = t["indicator"].map(origin)
    return t


def crosswalk(
    data: ParkData | None = None,
    frameworks: Sequence[str | RequirementFramework] = ALL_FRAMEWORKS,
) -> pd.DataFrame:
    """Map every framework item to its catalogue indicator and to the data.

    Parameters
    ----------
    data : ParkData, optional
        Without data, only the mapping is returned.
    frameworks : sequence of str or RequirementFramework
        Built-in park frameworks (``hj274``, ``miit``, ``eip``), ``park26`` or other composite
        frameworks, park framework files or loaded park frameworks.

    Returns
    -------
    pandas.DataFrame
        One row per framework item: ``framework, category, item, name, status, indicator,
        item_unit, indicator_unit, origin, threshold, verified, verification, how_to_get``
        and, with data, ``in_data`` (the indicator has at least one value),
        ``park_years_with_value``, ``park_years`` and ``share_with_value``.

    Examples
    --------
    >>> cw = crosswalk(frameworks=["hj274"])
    >>> cw.set_index("item").loc["HJ-14", ["indicator", "origin"]].tolist()
    ['water_per_iva', 'rollup']
    """
    t = pd.concat([_items(f) for f in frameworks], ignore_index=True)
    t["how_to_get"] = [how_to_get(i) if isinstance(i, str) else "no catalogue indicator"
                       for i in t["indicator"]]
    if data is not None:
        n_py = len(data.park_years)
        counts = data.values.groupby("indicator").size()
        t["park_years_with_value"] = t["indicator"].map(counts).fillna(0).astype(int)
        t["park_years"] = n_py
        t["share_with_value"] = t["park_years_with_value"] / n_py if n_py else np.nan
        t["in_data"] = t["park_years_with_value"] > 0
    return t


def coverage_report(
    data: ParkData, frameworks: Sequence[str | RequirementFramework] = ALL_FRAMEWORKS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What each framework needs that the data lack.

    Returns
    -------
    summary : pandas.DataFrame
        Per framework: ``items``, ``items_with_indicator``, ``items_in_data``,
        ``share_in_data``, ``items_fully_covered`` (a value for every park-year) and the
        ``missing_indicators``.
    missing : pandas.DataFrame
        The crosswalk rows whose indicator has no value in the data, with ``how_to_get``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = ParkData.from_long(pd.DataFrame({"park": "A", "year": 2020,
    ...     "indicator": ["water_per_iva"], "value": [7.0]}))
    >>> summary, missing = coverage_report(d, ["hj274"])
    >>> summary[["items", "items_in_data"]].values.tolist()
    [[32, 1]]
    """
    cw = crosswalk(data, frameworks)
    g = cw.groupby("framework", sort=False)
    summary = pd.DataFrame({
        "items": g.size(),
        "items_with_indicator": g["indicator"].count(),
        "items_in_data": g["in_data"].sum(),
        "items_fully_covered": g["share_with_value"].apply(lambda s: int((s >= 1).sum())),
    })
    summary["share_in_data"] = summary["items_in_data"] / summary["items"]
    miss = cw[~cw["in_data"]]
    summary["missing_indicators"] = miss.groupby("framework")["indicator"].agg(
        lambda s: ", ".join(sorted(set(s.dropna())))).reindex(summary.index).fillna("")
    summary = summary.reset_index()
    summary.insert(0, "data_status", "SYNTHETIC" if data.synthetic else "user data")
    missing = miss[["framework", "item", "name", "status", "indicator", "indicator_unit",
                    "origin", "how_to_get"]].reset_index(drop=True)
    return summary, missing
