"""From enterprise records to park indicators: sums, intensities, shares of firms, weighted shares.

Input: one row per enterprise and year with the columns of :data:`ENTERPRISE_COLUMNS` (rename
yours with ``columns=``). Output: park indicators of the catalogue, with the *coverage* of each
(share of the park-year's enterprises that report every field the indicator needs).

Rules (missing is never zero):

* **Ratios and shares** (intensities, productivities, rates, shares of firms, output-weighted
  shares) are ratios of sums over the enterprises that report *every* field the indicator
  needs, e.g. energy per IVA = sum(energy) / sum(value added) over the firms reporting both --
  never a sum that counts a missing value as 0. Below ``min_coverage`` (default 0.8) the
  indicator is missing for that park-year.
* **Totals** (sums) are only given when every enterprise of the park-year reports the field:
  a sum over the reporting firms would understate the total.
* **Changes over three years** (IVA growth, elasticities, CO2-intensity reduction) use complete
  totals in both years; otherwise they are missing and the coverage table says why.
* A ratio whose denominator sums to zero (no solid waste generated, no key enterprise) is
  missing, and the notes count such cases.

Ratio-of-sums intensities are the aggregate intensities of the park (OECD (2008) *Measuring
material flows and resource productivity*, vol. I, ch. 3: productivity = output / input at
the level of the aggregate; HJ 274-2015 appendix A defines park indicators as park totals
divided by park IVA -- the appendix was not read, see ``docs/parks.md``). Average annual growth
over n years is the geometric mean rate ``(x_t / x_{t-n})^(1/n) - 1``; an elasticity is the
ratio of two such rates (HJ 274-2015 indicators 10, 13, 25, formulas not verified).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .data import USER_DATA, ParkData, park_codes, park_table, parse_flag

__all__ = ["ENTERPRISE_COLUMNS", "rollup", "rollup_table"]

ENTERPRISE_COLUMNS: dict[str, str] = {
    "park": "park code",
    "year": "year",
    "enterprise": "enterprise identifier (optional)",
    "value_added": "industrial value added, 10k CNY at constant prices",
    "output": "gross industrial output, 10k CNY",
    "energy_tce": "comprehensive energy consumption, tce",
    "water_m3": "industrial fresh-water use, m3",
    "wastewater_t": "industrial wastewater discharged, t",
    "solid_waste_t": "industrial solid waste generated, t",
    "solid_waste_used_t": "industrial solid waste comprehensively utilised, t",
    "co2_t": "CO2 emissions, t",
    "cod_t": "COD discharged, t",
    "so2_t": "SO2 emitted, t",
    "employees": "employees, persons",
    "iso14001": "certified ISO 14001 (yes/no)",
    "enms": "energy management system, e.g. ISO 50001 or GB/T 23331 (yes/no)",
    "cp_audit": "cleaner-production audit carried out (yes/no)",
    "wastewater_connected": "connected to the central wastewater treatment plant (yes/no)",
    "key_enterprise": "key enterprise for pollution control (重点企业) (yes/no)",
    "high_tech": "high-tech enterprise (yes/no)",
    "recycling_industry": "renewable-resource (recycling) industry (yes/no)",
    "green_industry": "green industry (yes/no)",
}

QUANTITIES = ["value_added", "output", "energy_tce", "water_m3", "wastewater_t",
               "solid_waste_t", "solid_waste_used_t", "co2_t", "cod_t", "so2_t", "employees"]
FLAGS = ["iso14001", "enms", "cp_audit", "wastewater_connected", "key_enterprise",
          "high_tech", "recycling_industry", "green_industry"]

SUMS = {
    "iva_total": "value_added", "output_total": "output", "energy_total": "energy_tce",
    "water_total": "water_m3", "wastewater_total": "wastewater_t",
    "solid_waste_total": "solid_waste_t", "co2_total": "co2_t", "cod_total": "cod_t",
    "so2_total": "so2_t", "employees_total": "employees",
}
# code: (numerator column, denominator column, factor)
RATIOS = {
    "iva_per_capita": ("value_added", "employees", 1.0),
    "energy_per_iva": ("energy_tce", "value_added", 1.0),
    "energy_productivity": ("value_added", "energy_tce", 1.0),
    "water_per_iva": ("water_m3", "value_added", 1.0),
    "water_productivity": ("value_added", "water_m3", 1.0e4),
    "wastewater_per_iva": ("wastewater_t", "value_added", 1.0),
    "solid_waste_per_iva": ("solid_waste_t", "value_added", 1.0),
    "co2_per_iva": ("co2_t", "value_added", 1.0),
    "solid_waste_utilisation_pct": ("solid_waste_used_t", "solid_waste_t", 100.0),
}
# code: (flag, subset flag or None) -- share of (subset) firms with the flag, in %
FIRM_SHARES = {
    "iso14001_share_firms_pct": ("iso14001", None),
    "enms_share_firms_pct": ("enms", None),
    "cp_audit_rate_key_pct": ("cp_audit", "key_enterprise"),
}
# code: (flag, weight column) -- weighted share in %
WEIGHTED_SHARES = {
    "iso14001_share_output_pct": ("iso14001", "output"),
    "wastewater_connected_share_pct": ("wastewater_connected", "wastewater_t"),
    "high_tech_output_share_pct": ("high_tech", "output"),
    "recycling_industry_va_share_pct": ("recycling_industry", "value_added"),
    "green_industry_va_share_pct": ("green_industry", "value_added"),
}
WINDOW = 3
#: Park-level records the roll-up reads from ``park_records`` (IVA per unit of industrial land).
PARK_INPUTS = ("industrial_land_km2",)


def _prepare(ent: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    df = ent.rename(columns=dict(columns or {}))
    missing = {"park", "year"} - set(df.columns)
    if missing:
        raise InputError(f"enterprise records lack columns {sorted(missing)}",
                         [f"found {list(df.columns)}; rename with columns={{'yours': 'park'}}"])
    park = df["park"]
    park_codes(park, "enterprise records")  # factorize would give a missing park code -1
    if isinstance(park.dtype, pd.CategoricalDtype):
        park = park.cat.rename_categories(lambda c: str(c).strip()).astype(str)
    else:
        codes, uniq = pd.factorize(park)
        park = pd.Series(np.asarray([str(u).strip() for u in uniq], dtype=object)[codes]
                         if len(uniq) else park.astype(str), index=park.index)
    out = pd.DataFrame({"park": park})
    year = pd.to_numeric(df["year"], errors="coerce")
    bad_year = year.isna() | (year != np.floor(year)) | ~year.between(1000, 9999)
    if bad_year.any():
        rows = (np.flatnonzero(bad_year.to_numpy()) + 2)[:5].tolist()
        raise InputError(f"enterprise records: year missing or not a calendar year (a whole "
                         f"number) (rows {rows})")
    out["year"] = year.astype(np.int64).to_numpy()
    problems = []
    for col in QUANTITIES:
        if col not in df.columns:
            continue
        raw = df[col]
        x = pd.to_numeric(raw, errors="coerce")
        suspect = x.isna() & raw.notna()  # not a number yet not empty: text
        text_bad = suspect.copy()
        if suspect.any():
            text_bad[suspect] = raw[suspect].astype(str).str.strip() != ""
        if text_bad.any():
            rows = (np.flatnonzero(text_bad.to_numpy()) + 2)[:5].tolist()
            problems.append(f"{col}: non-numeric values at rows {rows} "
                            f"(e.g. {raw[text_bad].iloc[0]!r})")
            continue
        neg = x < 0
        if neg.any():
            rows = (np.flatnonzero(neg.to_numpy()) + 2)[:5].tolist()
            problems.append(f"{col}: negative values at rows {rows} ({ENTERPRISE_COLUMNS[col]} "
                            "cannot be negative)")
        out[col] = x.to_numpy(dtype=float)
    for col in FLAGS:
        if col in df.columns:
            try:
                out[col] = parse_flag(df[col], f"enterprise flag {col}").to_numpy()
            except InputError as exc:
                problems.append(exc.message)
    if {"solid_waste_t", "solid_waste_used_t"} <= set(out.columns):
        over = out["solid_waste_used_t"] > out["solid_waste_t"] * (1 + 1e-9)
        if over.any():
            rows = (np.flatnonzero(over.to_numpy()) + 2)[:5].tolist()
            problems.append(f"solid_waste_used_t exceeds solid_waste_t at rows {rows} (a "
                            "utilisation rate above 100 %: check units or add stocks to "
                            "solid_waste_t)")
    if problems:
        raise InputError("enterprise records are not usable as given", problems)
    if "data_status" in df.columns:
        out["data_status"] = df["data_status"].astype(str).to_numpy()
    return out


def rollup_table(
    enterprises: pd.DataFrame,
    *,
    min_coverage: float = 0.8,
    columns: Mapping[str, str] | None = None,
    land: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Park indicators from enterprise records, as a tidy table with coverage.

    Parameters
    ----------
    enterprises : pandas.DataFrame of shape (n_records, n_columns)
        One row per enterprise and year; columns of :data:`ENTERPRISE_COLUMNS` (any subset
        beyond ``park`` and ``year``). Quantities must be >= 0; flags yes/no; missing = empty.
    min_coverage : float in [0, 1]
        Ratios and shares need at least this share of the park-year's enterprises reporting
        every field they use (default 0.8); totals need all of them.
    columns : mapping, optional
        Your column names -> the canonical names.
    land : pandas.DataFrame, optional
        ``park, year, industrial_land_km2`` for IVA per unit of industrial land.

    Returns
    -------
    table : pandas.DataFrame
        ``park, year, indicator, value, coverage, n_reporting, n_enterprises`` (one row per
        park, year and indicator computable from the columns given; ``value`` NaN where the
        rules above leave it missing).
    notes : list of str
        Policies applied and how often.

    Raises
    ------
    InputError
        Missing ``park``/``year``, non-numeric or negative quantities, bad flags, utilisation
        above generation, ``min_coverage`` outside [0, 1].

    Examples
    --------
    >>> ent = pd.DataFrame({"park": ["A", "A", "A"], "year": [2020] * 3,
    ...                     "value_added": [10.0, 30.0, 20.0],
    ...                     "energy_tce": [5.0, 15.0, None]})
    >>> t, _ = rollup_table(ent, min_coverage=0.5)
    >>> t.set_index("indicator").loc["energy_per_iva", ["value", "coverage"]].tolist()
    [0.5, 0.6666666666666666]
    >>> bool(np.isnan(t.set_index("indicator").loc["energy_total", "value"]))
    True
    """
    if not 0.0 <= min_coverage <= 1.0:
        raise InputError(f"min_coverage must be between 0 and 1, got {min_coverage}")
    df = _prepare(enterprises, columns)
    keys = ["park", "year"]
    helpers: dict[str, np.ndarray] = {}
    specs: list[tuple[str, str, float]] = []  # (code, kind, factor)

    def arr(c: str) -> np.ndarray:
        return df[c].to_numpy(dtype=float)

    for code, col in SUMS.items():
        if col in df:
            x = arr(col)
            ok = ~np.isnan(x)
            helpers[f"{code}|num"] = np.where(ok, x, 0.0)
            helpers[f"{code}|n"] = ok
            specs.append((code, "sum", 1.0))
    for code, (num, den, factor) in RATIOS.items():
        if num in df and den in df:
            a, b = arr(num), arr(den)
            ok = ~np.isnan(a) & ~np.isnan(b)
            helpers[f"{code}|num"] = np.where(ok, a, 0.0)
            helpers[f"{code}|den"] = np.where(ok, b, 0.0)
            helpers[f"{code}|n"] = ok
            specs.append((code, "ratio", factor))
    for code, (flag, subset) in FIRM_SHARES.items():
        if flag not in df or (subset is not None and subset not in df):
            continue
        f = arr(flag)
        if subset is None:
            eligible = np.ones(len(df), dtype=bool)
            ok = ~np.isnan(f)
        else:
            s = arr(subset)
            eligible = s != 0.0  # key enterprises and firms whose key status is unknown
            ok = (s == 1.0) & ~np.isnan(f)
        helpers[f"{code}|num"] = np.where(ok, f, 0.0)
        helpers[f"{code}|den"] = ok.astype(float)
        helpers[f"{code}|n"] = ok
        helpers[f"{code}|elig"] = eligible
        specs.append((code, "ratio", 100.0))
    for code, (flag, weight) in WEIGHTED_SHARES.items():
        if flag in df and weight in df:
            f, w = arr(flag), arr(weight)
            ok = ~np.isnan(f) & ~np.isnan(w)
            helpers[f"{code}|num"] = np.where(ok, f * w, 0.0)
            helpers[f"{code}|den"] = np.where(ok, w, 0.0)
            helpers[f"{code}|n"] = ok
            specs.append((code, "ratio", 100.0))
    frame = pd.DataFrame(helpers)
    frame["park"], frame["year"] = df["park"].to_numpy(), df["year"].to_numpy()
    frame["|size"] = 1
    g = frame.groupby(keys, sort=True).sum()
    size = g["|size"].to_numpy(dtype=float)
    notes: list[str] = [
        f"enterprise roll-up: ratios and shares over enterprises reporting every field they "
        f"need, missing below {min_coverage:.0%} coverage; totals only when every enterprise "
        "reports; missing values never counted as zero"]
    parts = []
    for code, kind, factor in specs:
        n = g[f"{code}|n"].to_numpy(dtype=float)
        elig = g[f"{code}|elig"].to_numpy(dtype=float) if f"{code}|elig" in g else size
        with np.errstate(divide="ignore", invalid="ignore"):
            cov = np.where(elig > 0, n / elig, np.nan)
        if kind == "sum":
            value = np.where(n == size, g[f"{code}|num"].to_numpy(), np.nan)
            incomplete = int((n < size).sum())
            if incomplete:
                notes.append(f"{code}: missing for {incomplete} park-years where not every "
                             f"enterprise reports {SUMS[code]}")
        else:
            num, den = g[f"{code}|num"].to_numpy(), g[f"{code}|den"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where((den > 0) & (cov >= min_coverage - 1e-12),
                                 factor * num / den, np.nan)
            zero = int(((den == 0) & (n > 0)).sum()) + int((elig == 0).sum())
            if zero:
                notes.append(f"{code}: missing for {zero} park-years with a zero denominator "
                             "(nothing to divide by)")
            low = int(((cov < min_coverage - 1e-12) & (n > 0)).sum())
            if low:
                notes.append(f"{code}: missing for {low} park-years below {min_coverage:.0%} "
                             "coverage")
        parts.append(pd.DataFrame({"park": g.index.get_level_values(0),
                                   "year": g.index.get_level_values(1), "indicator": code,
                                   "value": value, "coverage": cov, "n_reporting": n,
                                   "n_enterprises": elig}))
    parts.append(pd.DataFrame({"park": g.index.get_level_values(0),
                               "year": g.index.get_level_values(1),
                               "indicator": "n_enterprises", "value": size, "coverage": 1.0,
                               "n_reporting": size, "n_enterprises": size}))
    table = pd.concat(parts, ignore_index=True)
    derived, dnotes = _derived(table, land)
    table = pd.concat([table, derived], ignore_index=True)
    table["n_reporting"] = table["n_reporting"].astype("Int64")
    table["n_enterprises"] = table["n_enterprises"].astype("Int64")
    return table.sort_values(["park", "year", "indicator"], ignore_index=True), notes + dnotes


def _growth(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Average annual growth rate over WINDOW years, (now / before)^(1/WINDOW) - 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((before > 0) & (now >= 0), (now / before) ** (1.0 / WINDOW) - 1.0,
                        np.nan)


def _derived(table: pd.DataFrame, land: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """Indicators over three years and per unit of land, from the park totals."""
    wide = table.pivot(index=["park", "year"], columns="indicator", values="value")
    cov = table.pivot(index=["park", "year"], columns="indicator", values="coverage")
    notes: list[str] = []
    if land is not None and len(land):
        lw = land.set_index(["park", "year"])["industrial_land_km2"].astype(float)
        wide["industrial_land_km2"] = lw.reindex(wide.index)
        cov["industrial_land_km2"] = np.where(wide["industrial_land_km2"].notna(), 1.0, 0.0)
        if "iva_total" in wide:
            with np.errstate(divide="ignore", invalid="ignore"):
                la = wide["industrial_land_km2"].to_numpy()
                wide["iva_per_industrial_land"] = np.where(
                    la > 0, wide["iva_total"].to_numpy() / 1e4 / la, np.nan)
            cov["iva_per_industrial_land"] = np.fmin(cov["iva_total"],
                                                     cov["industrial_land_km2"])
    # the same park WINDOW years earlier
    idx = wide.index
    earlier = pd.MultiIndex.from_arrays([idx.get_level_values(0),
                                         idx.get_level_values(1) - WINDOW])
    prev = wide.reindex(earlier)
    prev_cov = cov.reindex(earlier)
    out: dict[str, np.ndarray] = {}
    out_cov: dict[str, np.ndarray] = {}

    def col(frame: pd.DataFrame, c: str) -> np.ndarray:
        return frame[c].to_numpy(dtype=float) if c in frame else np.full(len(frame), np.nan)

    def both_cov(*codes: str) -> np.ndarray:
        vals = [col(cov, c) for c in codes] + [col(prev_cov, c) for c in codes]
        return np.fmin.reduce(vals) if vals else np.full(len(wide), np.nan)

    have_prev = ~np.isnan(col(prev, "n_enterprises"))
    iva, iva0 = col(wide, "iva_total"), col(prev, "iva_total")
    g_iva = _growth(iva, iva0)
    if "iva_total" in wide:
        out["iva_growth_3y_pct"] = 100.0 * g_iva
        out_cov["iva_growth_3y_pct"] = both_cov("iva_total")
    if "iva_per_industrial_land" in wide:
        out["iva_per_land_growth_3y_pct"] = 100.0 * _growth(
            col(wide, "iva_per_industrial_land"), col(prev, "iva_per_industrial_land"))
        out_cov["iva_per_land_growth_3y_pct"] = both_cov("iva_per_industrial_land")
    undefined = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for code, total in (("energy_elasticity", "energy_total"),
                            ("water_elasticity", "water_total")):
            if total in wide and "iva_total" in wide:
                g = _growth(col(wide, total), col(prev, total))
                out[code] = np.where(g_iva > 0, g / g_iva, np.nan)
                out_cov[code] = both_cov(total, "iva_total")
                undefined += int((~np.isnan(g) & (g_iva <= 0)).sum())
        pol = [t for t in ("cod_total", "so2_total") if t in wide]
        if pol and "iva_total" in wide:
            el = [np.where(g_iva > 0, _growth(col(wide, t), col(prev, t)) / g_iva, np.nan)
                  for t in pol]
            out["pollutant_elasticity"] = np.fmax.reduce(el) if len(el) > 1 else el[0]
            out_cov["pollutant_elasticity"] = np.fmax.reduce(
                [both_cov(t, "iva_total") for t in pol]) if len(pol) > 1 else both_cov(
                pol[0], "iva_total")
        if "co2_total" in wide and "iva_total" in wide:
            c_now = col(wide, "co2_total") / iva
            c_before = col(prev, "co2_total") / iva0
            out["co2_intensity_reduction_pct"] = -100.0 * _growth(c_now, c_before)
            out_cov["co2_intensity_reduction_pct"] = both_cov("co2_total", "iva_total")
    if undefined:
        notes.append(f"elasticities: missing for {undefined} cases where IVA did not grow over "
                     f"{WINDOW} years (an elasticity is only meaningful with IVA growth > 0)")
    notes.append(f"changes over {WINDOW} years need complete totals in both years; park-years "
                 f"without data {WINDOW} years earlier have none")
    frames = []
    for code, v in out.items():
        c = np.where(have_prev, out_cov[code], 0.0)
        frames.append(pd.DataFrame({"park": idx.get_level_values(0),
                                    "year": idx.get_level_values(1), "indicator": code,
                                    "value": np.where(have_prev, v, np.nan),
                                    "coverage": c}))
    if "iva_per_industrial_land" in wide:
        frames.append(pd.DataFrame({"park": idx.get_level_values(0),
                                    "year": idx.get_level_values(1),
                                    "indicator": "iva_per_industrial_land",
                                    "value": wide["iva_per_industrial_land"].to_numpy(),
                                    "coverage": cov["iva_per_industrial_land"].to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=["park", "year", "indicator", "value", "coverage"]), notes
    return pd.concat(frames, ignore_index=True), notes


def rollup(
    enterprises: pd.DataFrame,
    *,
    parks: pd.DataFrame | None = None,
    park_records: ParkData | None = None,
    min_coverage: float = 0.8,
    columns: Mapping[str, str] | None = None,
    **_: Any,
) -> ParkData:
    """Park indicators from enterprise records, as :class:`~gipro.parks.data.ParkData`.

    See :func:`rollup_table` for the rules. ``park_records`` (park-level data) supply the
    industrial land area for IVA per unit of land; the returned data hold only the rolled-up
    indicators (combine with ``park_records.combine(...)``). The coverage table is kept in
    ``.coverage``.

    Raises
    ------
    InputError
        As :func:`rollup_table`.
    """
    land = None
    if park_records is not None:
        v = park_records.values
        land = v[v["indicator"] == PARK_INPUTS[0]][["park", "year", "value"]].rename(
            columns={"value": PARK_INPUTS[0]})
    table, notes = rollup_table(enterprises, min_coverage=min_coverage, columns=columns,
                                land=land)
    keep = table[table["indicator"] != "industrial_land_km2"]
    values = keep[keep["value"].notna()][["park", "year", "indicator", "value"]].copy()
    values["level"] = None
    listed = parks is not None  # the user's park attributes: every park must be listed
    if parks is None and park_records is not None:
        parks = park_records.parks.reset_index()
    elif parks is None:
        ent = enterprises.rename(columns=dict(columns or {}))
        cols = ["park"] + (["data_status"] if "data_status" in ent.columns else [])
        parks = ent[cols].astype(str).drop_duplicates("park")
    attrs = park_table(parks, values["park"], require_listed=listed,
                       origin="enterprise records")
    if "data_status" not in attrs or attrs["data_status"].isna().all():
        attrs["data_status"] = USER_DATA
    observed = keep[["park", "year"]].drop_duplicates().reset_index(drop=True)
    return ParkData(values.reset_index(drop=True), attrs, keep.reset_index(drop=True),
                    notes, origin="enterprise roll-up", observed=observed)
