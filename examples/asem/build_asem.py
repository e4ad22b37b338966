"""Reproduce COINr's ASEM reference build with gipro, from the raw data, stage by stage.

COINr (R) ships a complete example build of the ASEM Sustainable Connectivity index
(51 countries, 49 indicators, 8 pillars, 2 sub-indices, 1 index), with every intermediate
data set. gipro ships COINr's *raw* inputs as the built-in data set ``asem``
(:func:`gipro.datasets.asem`, MIT) and this folder's ``recipe.yaml`` rebuilds the index:

    denominate (framework denominators, the data set's Den_* variables)
    -> impute (group mean by Group_EurAsia)
    -> treat (skew/kurtosis check, winsorisation up to 6 points, log_CT fallback)
    -> normalise (min-max onto [0, 100])
    -> aggregate (arithmetic mean, level by level)

The script writes every stage as CSV (``OUT/stages/*.csv``, plus ``details/treat.changes.csv``
with every winsorised point) and, when the project's shared folder with COINr's stage files is
there, compares each stage with COINr's.

Usage (from the repository folder; no other data needed)::

    python examples/asem/build_asem.py [--out asem-output] [--shared ../shared]

``framework.yaml`` here is generated from COINr's metadata by
``scripts/build_asem_dataset.py`` (the same file as the built-in
:func:`gipro.datasets.asem_framework`). The reference build was made with COINr6 (the
``ASEM_COIN`` object): its ``treat`` defaults to ``winmax = ceiling(0.1 * 51) = 6`` and
``deflog = "CTlog"``; today's COINr defaults to ``winmax = 5`` and ``log_CT`` (the same log).
On these data both winmax values give the same 15 winsorised indicators (none reaches 5
points).

Data: COINr (MIT, (c) 2022 William Becker), EC JRC ASEM Sustainable Connectivity Portal; see
gipro's ``NOTICE``.
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


GROUPS = ["Group_GDP", "Group_GDPpc", "Group_Pop", "Group_EurAsia"]


def recipe_for(asem_dir: Path | None = None) -> gipro.Recipe:
    """``recipe.yaml``; with ``asem_dir`` (COINr's CSV files, e.g. the shared folder's
    ``data/coinr_asem``) the data and the denominators are read from those files instead of
    the built-in data set (the same numbers: the data set is a verbatim copy)."""
    data = yaml.safe_load((HERE / "recipe.yaml").read_text(encoding="utf-8"))
    if asem_dir is not None:
        reader = {"form": "wide", "unit": "UnitCode", "period": "Year",
                  "unit_name": "UnitName", "groups": GROUPS}
        data["data"] = {"path": str(Path(asem_dir) / "ASEM_COIN_Data_Raw.csv"), **reader}
        den = next(s for s in data["steps"] if s["step"] == "denominate")
        den["table"] = {"path": str(Path(asem_dir) / "ASEM_COIN_Input_Denominators.csv"),
                        **reader}
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


def main(shared: Path | str | None = None, out: Path | str = "asem-output") -> gipro.Build:
    """Run the example recipe (built-in data) and write it to ``out``.

    With ``shared`` (the project's shared folder), ``framework.yaml`` must equal what COINr's
    metadata give (``scripts/build_asem_dataset.py``).
    """
    if shared is not None:
        asem_dir = Path(shared) / "data" / "coinr_asem"
        sys.path.insert(0, str(HERE.parents[1] / "scripts"))
        from build_asem_dataset import framework_text

        if (HERE / "framework.yaml").read_text(encoding="utf-8") != framework_text(asem_dir):
            raise SystemExit("framework.yaml differs from COINr's metadata; run "
                             "scripts/build_asem_dataset.py")
    build = gipro.Build(recipe_for()).run()
    build.write(out)
    return build


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None,
                        help="the project's shared folder with COINr's stage files, to compare "
                             "(default: ../shared of the repository, if there)")
    parser.add_argument("--out", type=Path, default=Path("asem-output"))
    args = parser.parse_args()
    shared = args.shared or HERE.parents[2] / "shared"
    have = (shared / "data" / "coinr_asem").is_dir()
    b = main(shared if have else None, args.out)
    if have:
        print(compare_stages(b, shared / "data" / "coinr_asem").to_string(index=False))
    else:
        print("(COINr's stage files not found: no comparison; pass --shared DIR)")
    top = b.results()
    top = top[top["code"] == "Index"].head(5)[["unit", "score", "rank"]]
    print(top.to_string(index=False))
    print(f"wrote {args.out}")
    sys.exit(0)
