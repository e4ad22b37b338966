"""Rebuild gipro's embedded China provinces data set from the shared source panel.

Reads ``../shared/data/china_provinces_panel/panel.csv`` (built and documented by that folder's
``build_panel.py`` and ``SOURCE.md``) and writes, under ``src/gipro/datasets/data/``:

* ``china_provinces.csv`` -- wide: ``unit, period`` and the 17 variables (7 significant digits,
  exactly as in the source panel; empty = missing);
* ``china_provinces_variables.csv`` -- per variable: measurement unit and source;
* ``china_provinces_units.csv`` -- per province: code, English and Chinese names, NBS region;
* ``china_provinces_cell_notes.csv`` -- the cells whose source note differs from the variable's
  usual one (GDP vintages, the corrected Heilongjiang 2013 population).

Usage (from the repository root)::

    python scripts/build_china_provinces_dataset.py [--shared ../shared]

The script checks that the round trip is exact: every value of the written table equals the
source panel's value.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "gipro" / "datasets" / "data"

# NBS four economic regions (国家统计局 东西中部和东北地区划分方法, 2011): East, Central, West,
# Northeast. Chinese short names of the provincial-level divisions.
PROVINCES = [
    ("Beijing", "Beijing", "北京", "East"),
    ("Tianjin", "Tianjin", "天津", "East"),
    ("Hebei", "Hebei", "河北", "East"),
    ("Shanxi", "Shanxi", "山西", "Central"),
    ("InnerMongolia", "Inner Mongolia", "内蒙古", "West"),
    ("Liaoning", "Liaoning", "辽宁", "Northeast"),
    ("Jilin", "Jilin", "吉林", "Northeast"),
    ("Heilongjiang", "Heilongjiang", "黑龙江", "Northeast"),
    ("Shanghai", "Shanghai", "上海", "East"),
    ("Jiangsu", "Jiangsu", "江苏", "East"),
    ("Zhejiang", "Zhejiang", "浙江", "East"),
    ("Anhui", "Anhui", "安徽", "Central"),
    ("Fujian", "Fujian", "福建", "East"),
    ("Jiangxi", "Jiangxi", "江西", "Central"),
    ("Shandong", "Shandong", "山东", "East"),
    ("Henan", "Henan", "河南", "Central"),
    ("Hubei", "Hubei", "湖北", "Central"),
    ("Hunan", "Hunan", "湖南", "Central"),
    ("Guangdong", "Guangdong", "广东", "East"),
    ("Guangxi", "Guangxi", "广西", "West"),
    ("Hainan", "Hainan", "海南", "East"),
    ("Chongqing", "Chongqing", "重庆", "West"),
    ("Sichuan", "Sichuan", "四川", "West"),
    ("Guizhou", "Guizhou", "贵州", "West"),
    ("Yunnan", "Yunnan", "云南", "West"),
    ("Shaanxi", "Shaanxi", "陕西", "West"),
    ("Gansu", "Gansu", "甘肃", "West"),
    ("Qinghai", "Qinghai", "青海", "West"),
    ("Ningxia", "Ningxia", "宁夏", "West"),
    ("Xinjiang", "Xinjiang", "新疆", "West"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    src = Path(args.shared) / "data" / "china_provinces_panel" / "panel.csv"
    panel = pd.read_csv(src, dtype={"value": str})
    variables = list(dict.fromkeys(panel["variable"]))

    wide = panel.pivot(index=["province", "year"], columns="variable", values="value")
    wide = wide[variables].reset_index().rename(columns={"province": "unit", "year": "period"})
    codes = [p[0] for p in PROVINCES]
    assert sorted(codes) == sorted(wide["unit"].unique()), "province list differs from source"
    wide["unit"] = pd.Categorical(wide["unit"], categories=codes, ordered=True)
    wide = wide.sort_values(["unit", "period"])
    OUT.mkdir(parents=True, exist_ok=True)
    wide.to_csv(OUT / "china_provinces.csv", index=False)

    meta = []
    notes = []
    for v in variables:
        rows = panel[panel["variable"] == v]
        usual = rows["source"].mode().iloc[0]
        meta.append({"code": v, "unit": rows["unit"].iloc[0], "source": usual})
        odd = rows[rows["source"] != usual]
        for _, r in odd.iterrows():
            notes.append({"unit": r["province"], "period": r["year"], "variable": v,
                          "note": r["source"]})
    pd.DataFrame(meta).to_csv(OUT / "china_provinces_variables.csv", index=False)
    pd.DataFrame(notes).to_csv(OUT / "china_provinces_cell_notes.csv", index=False)
    pd.DataFrame(PROVINCES, columns=["unit", "name", "name_zh", "region"]).to_csv(
        OUT / "china_provinces_units.csv", index=False)

    # round trip: the written table reproduces every source value exactly (as text -> float)
    back = pd.read_csv(OUT / "china_provinces.csv")
    long = back.melt(id_vars=["unit", "period"], var_name="variable").dropna()
    merged = long.merge(panel, left_on=["unit", "period", "variable"],
                        right_on=["province", "year", "variable"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), "cells lost or added"
    assert (merged["value_x"] == merged["value_y"].astype(float)).all(), "values changed"
    print(f"wrote {len(back)} rows x {len(variables)} variables to {OUT}; {len(notes)} cell notes; "
          f"round trip exact over {len(merged)} cells")


if __name__ == "__main__":
    main()
