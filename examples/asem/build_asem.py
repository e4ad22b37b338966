"""Reproduce COINr's ASEM reference build with gipro, from the raw data, stage by stage.

COINr (R) ships a complete example build of the ASEM Sustainable Connectivity index
(51 countries, 49 indicators, 8 pillars, 2 sub-indices, 1 index), with every intermediate
data set. This script rebuilds it with gipro from COINr's *raw* data:

    denominate (framework denominators, COINr's denominators table)
    -> impute (group mean by Group_EurAsia)
    -> treat (skew/kurtosis check, winsorisation up to 6 points, log_CT fallback)
    -> normalise (min-max onto [0, 100])
    -> aggregate (arithmetic mean, level by level)

and writes every stage as CSV (``OUT/stages/*.csv``, plus ``details/treat.changes.csv`` with
every winsorised point), then compares each stage with COINr's stage files.

Usage (from the repository folder, with the project's shared data beside it)::

    python examples/asem/build_asem.py [--shared ../shared] [--out asem-output]

``framework.yaml`` here is generated from COINr's metadata (``--write-framework`` rewrites
it); ``recipe.yaml`` is the build. The reference build was made with COINr6 (the ``ASEM_COIN``
object): its ``treat`` defaults to ``winmax = ceiling(0.1 * 51) = 6`` and ``deflog =
"CTlog"``; today's COINr defaults to ``winmax = 5`` and ``log_CT`` (the same log). On these
data both winmax values give the same 15 winsorised indicators (none reaches 5 points).

Data: COINr (MIT, (c) William Becker), EC JRC ASEM Sustainable Connectivity Portal; see
``../shared/data/coinr_asem/SOURCE.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import gipro

HERE = Path(__file__).resolve().parent
STAGES = {  # gipro data set -> COINr stage file
    "raw": "ASEM_COIN_Data_Raw.csv",
    "denominated": "ASEM_COIN_Data_Denominated.csv",
    "imputed": "ASEM_COIN_Data_Imputed.csv",
    "treated": "ASEM_COIN_Data_Treated.csv",
    "normalised": "ASEM_COIN_Data_Normalised.csv",
    "aggregated": "ASEM_COIN_Data_Aggregated.csv",
}


def framework_from_coinr(asem_dir: Path) -> dict:
    """The ASEM framework (YAML form) from COINr's IndMeta and AggMeta tables."""
    ind = pd.read_csv(asem_dir / "ASEM_COIN_Input_IndMeta.csv")
    agg = pd.read_csv(asem_dir / "ASEM_COIN_Input_AggMeta.csv")
    pillar_parent = dict(zip(ind["Agg1"], ind["Agg2"], strict=False))
    aggregates = []
    for r in agg.itertuples():
        entry = {"code": r.Code, "name": {"en": r.Name}, "weight": float(r.Weight)}
        parent = {2: pillar_parent.get(r.Code), 3: "Index", 4: None}[int(r.AgLevel)]
        if parent is not None:
            entry["parent"] = parent
        aggregates.append(entry)
    indicators = []
    for r in ind.itertuples():
        entry = {"code": r.IndCode, "name": {"en": r.IndName}, "parent": r.Agg1,
                 "weight": float(r.IndWeight), "unit": r.IndUnit, "direction": int(r.Direction)}
        if isinstance(r.Denominator, str):
            entry["denominator"] = r.Denominator
        if pd.notna(r.Target):
            entry["target"] = float(r.Target)
        indicators.append(entry)
    return {
        "code": "coinr-asem",
        "name": {"en": "ASEM Sustainable Connectivity index (COINr example)"},
        "description": "COINr's example index: 49 indicators of connectivity and sustainability "
                       "of the 51 ASEM countries, 8 pillars, 2 sub-indices.",
        "references": ["Becker W. et al. (2022) COINr: an R package for developing composite "
                       "indicators. JOSS 7(78), 4567",
                       "EC JRC, ASEM Sustainable Connectivity Portal"],
        "aggregates": aggregates,
        "indicators": indicators,
    }


def recipe_for(asem_dir: Path) -> gipro.Recipe:
    """``recipe.yaml`` with its data paths pointed at ``asem_dir``."""
    data = yaml.safe_load((HERE / "recipe.yaml").read_text(encoding="utf-8"))
    data["data"]["path"] = str(asem_dir / Path(data["data"]["path"]).name)
    for step in data["steps"]:
        if step.get("table"):
            step["table"]["path"] = str(asem_dir / Path(step["table"]["path"]).name)
    return gipro.Recipe.from_dict(data, base_dir=HERE, origin=str(HERE / "recipe.yaml"))


def compare_stages(build: gipro.Build, asem_dir: Path) -> pd.DataFrame:
    """Largest absolute difference per stage between gipro and COINr (all units and codes)."""
    rows = []
    for name, file in STAGES.items():
        ref = pd.read_csv(asem_dir / file).set_index("UnitCode")
        ours = build.data(name).droplevel("period")
        codes = list(ours.columns)
        a = ours[codes].to_numpy()
        b = ref.loc[ours.index, codes].to_numpy(dtype=float)
        same_missing = bool((np.isnan(a) == np.isnan(b)).all())
        diff = np.abs(a - b)
        rows.append({"stage": name, "units": a.shape[0], "codes": a.shape[1],
                     "max_abs_diff": float(np.nanmax(diff)) if np.isfinite(diff).any() else 0.0,
                     "same_missing": same_missing})
    return pd.DataFrame(rows)


def main(shared: Path | str | None = None, out: Path | str = "asem-output",
         write_framework: bool = False) -> gipro.Build:
    """Run the ASEM build from ``shared/data/coinr_asem`` and write it to ``out``."""
    shared = Path(shared) if shared is not None else HERE.parents[2] / "shared"
    asem_dir = shared / "data" / "coinr_asem"
    if not asem_dir.is_dir():
        raise SystemExit(f"COINr ASEM data not found in {asem_dir}; pass --shared DIR")
    fw_dict = framework_from_coinr(asem_dir)
    if write_framework:
        header = ("# Generated by build_asem.py --write-framework from COINr's ASEM metadata\n"
                  "# (ASEM_COIN_Input_IndMeta.csv, ASEM_COIN_Input_AggMeta.csv).\n")
        (HERE / "framework.yaml").write_text(
            header + yaml.safe_dump(fw_dict, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8")
    shipped = yaml.safe_load((HERE / "framework.yaml").read_text(encoding="utf-8"))
    if shipped != fw_dict:
        raise SystemExit("framework.yaml differs from COINr's metadata; run with "
                         "--write-framework to regenerate it")
    build = gipro.Build(recipe_for(asem_dir)).run()
    build.write(out)
    return build


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None,
                        help="the project's shared folder (default: ../shared of the repo)")
    parser.add_argument("--out", type=Path, default=Path("asem-output"))
    parser.add_argument("--write-framework", action="store_true",
                        help="regenerate framework.yaml from COINr's metadata")
    args = parser.parse_args()
    b = main(args.shared, args.out, args.write_framework)
    asem = (args.shared or HERE.parents[2] / "shared") / "data" / "coinr_asem"
    print(compare_stages(b, asem).to_string(index=False))
    top = b.results()
    top = top[top["code"] == "Index"].head(5)[["unit", "score", "rank"]]
    print(top.to_string(index=False))
    print(f"wrote {args.out}")
    sys.exit(0)
