"""Build gipro's compact CEADs sector table (CO2 by province, year and 9 sector groups).

Reads ``../shared/data/ceads_china_provinces/ceads_province_sector_co2_1997_2019.csv`` (CEADs
provincial inventories, 47 sectors x 17 fuels + process, Mt CO2; provenance and terms in that
folder's ``SOURCE.md``) and writes ``src/gipro/datasets/data/china_provinces_co2_sectors.csv``:
one row per province and year 2000-2019 (the span of the ``china_provinces`` panel), one column
per sector group, ``scope1_total`` summed over the group's CEADs sectors, in Mt CO2 (6
significant digits, as in the source).

Sector groups (47 CEADs sectors, each in exactly one group):

* ``agriculture`` -- Farming, Forestry, Animal Husbandry, Fishery and Water Conservancy;
* ``heavy_industry`` -- the five energy-intensive manufacturing sectors of the panel's HEAVY
  set (ferrous and non-ferrous smelting, non-metal mineral products, raw chemicals,
  petroleum processing and coking);
* ``other_industry`` -- the other 32 mining and manufacturing sectors (heavy + other industry
  = the panel's ``co2_industry``);
* ``power_heat`` -- Production and Supply of Electric Power, Steam and Hot Water;
* ``gas_water`` -- Production and Supply of Gas; of Tap Water;
* ``construction``;
* ``transport`` -- Transportation, Storage, Post and Telecommunication Services;
* ``services`` -- Wholesale, Retail Trade and Catering Services; Others;
* ``households`` -- Urban; Rural.

As in the panel, the four province-years without a CEADs energy balance (Ningxia 2000-2002,
Hainan 2002: only cement process emissions) are left empty, not zero.

Checks (the script stops if one fails): every CEADs sector is in exactly one group; the groups
add up to the CEADs total row within 0.002 Mt; heavy + other industry equals the panel's
``co2_industry`` and ``power_heat`` its ``co2_power_heat`` within 0.002 Mt (the panel is at 7
significant digits, these sums at 6).

Usage (from the repository root)::

    python scripts/build_ceads_sectors_dataset.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "gipro" / "datasets" / "data" / "china_provinces_co2_sectors.csv"

HEAVY = [
    "Smelting and Pressing of Ferrous Metals",
    "Nonmetal Mineral Products",
    "Raw Chemical Materials and Chemical Products",
    "Petroleum Processing and Coking",
    "Smelting and Pressing of Nonferrous Metals",
]
GROUPS = {
    "agriculture": ["Farming, Forestry, Animal Husbandry, Fishery and Water Conservancy"],
    "heavy_industry": HEAVY,
    "power_heat": ["Production and Supply of Electric Power, Steam and Hot Water"],
    "gas_water": ["Production and Supply of Gas", "Production and Supply of Tap Water"],
    "construction": ["Construction"],
    "transport": ["Transportation, Storage, Post and Telecommunication Services"],
    "services": ["Wholesale, Retail Trade and Catering Services", "Others"],
    "households": ["Urban", "Rural"],
}
ORDER = ["agriculture", "heavy_industry", "other_industry", "power_heat", "gas_water",
         "construction", "transport", "services", "households"]
TOTAL = "Total Consumption"
NO_ENERGY_BALANCE = {("Ningxia", 2000), ("Ningxia", 2001), ("Ningxia", 2002), ("Hainan", 2002)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    shared = Path(args.shared)
    src = pd.read_csv(shared / "data" / "ceads_china_provinces"
                      / "ceads_province_sector_co2_1997_2019.csv")
    src = src[(src["year"] >= 2000) & (src["year"] <= 2019)]
    sectors = [s for s in src["sector"].unique() if s != TOTAL]
    named = {s for g in GROUPS.values() for s in g}
    assert named <= set(sectors), f"unknown sectors in groups: {named - set(sectors)}"
    group_of = {s: g for g, members in GROUPS.items() for s in members}
    for s in sectors:  # everything else is mining or manufacturing
        group_of.setdefault(s, "other_industry")
    counts = pd.Series(group_of).value_counts()
    assert counts["other_industry"] == 32 and len(group_of) == 47, counts

    body = src[src["sector"] != TOTAL].assign(group=lambda d: d["sector"].map(group_of))
    wide = body.pivot_table(index=["province", "year"], columns="group", values="scope1_total",
                            aggfunc="sum")[ORDER]
    total = src[src["sector"] == TOTAL].set_index(["province", "year"])["scope1_total"]
    gap = (wide.sum(axis=1) - total.reindex(wide.index)).abs().max()
    assert gap < 0.002, f"groups do not add up to the CEADs total: {gap}"

    panel = pd.read_csv(shared / "data" / "china_provinces_panel" / "panel_wide.csv")
    panel = panel.set_index(["province", "year"]).reindex(wide.index)
    ind = (wide["heavy_industry"] + wide["other_industry"] - panel["co2_industry"]).abs().max()
    pw = (wide["power_heat"] - panel["co2_power_heat"]).abs().max()
    assert ind < 0.002 and pw < 0.002, (ind, pw)

    wide = wide.map(lambda v: float(f"{v:.6g}"))
    for key in NO_ENERGY_BALANCE:
        wide.loc[key] = np.nan
    wide = wide.reset_index().rename(columns={"province": "unit", "year": "period"})
    units = pd.read_csv(ROOT / "src" / "gipro" / "datasets" / "data"
                        / "china_provinces_units.csv")["unit"].tolist()
    wide["unit"] = pd.Categorical(wide["unit"], categories=units, ordered=True)
    wide = wide.sort_values(["unit", "period"])
    wide.to_csv(OUT, index=False)
    back = pd.read_csv(OUT)
    assert back.shape == (600, 2 + len(ORDER)), back.shape
    print(f"wrote {OUT.relative_to(ROOT)}: {len(back)} rows x {len(ORDER)} sector groups; "
          f"max |groups - CEADs total| = {gap:.2g} Mt; industry vs panel {ind:.2g} Mt, "
          f"power vs panel {pw:.2g} Mt")


if __name__ == "__main__":
    main()
