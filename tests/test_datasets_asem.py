"""The built-in ``asem`` data set (COINr's ASEM example, MIT) and the example that uses it.

Expected values: COINr's own files in the shared folder (``data/coinr_asem``, read here with
pandas through the ``shared_dir`` fixture) -- every value, cell by cell -- and COINr's
documented counts (51 countries, 49 indicators, 63 missing raw values). The tests marked
"no shared folder" run from a clone alone.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

import gipro
from gipro import datasets
from gipro.sensitivity import run_config

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ["Group_GDP", "Group_GDPpc", "Group_Pop", "Group_EurAsia"]
DENS = ["Den_Area", "Den_Energy", "Den_GDP", "Den_Pop"]


def test_asem_data_set_shape_no_shared_folder():
    p = datasets.asem()
    assert "asem" in datasets.available()
    assert len(p.unit_codes) == 51 and p.periods == [2018]
    fw = datasets.asem_framework()
    assert len(fw.indicator_codes) == 49 and set(DENS) <= set(p.indicator_codes)
    inds = p.values[fw.indicator_codes]
    assert int(inds.isna().sum().sum()) == 63  # COINr6's raw data set has 63 missing values
    assert np.isnan(p.values.loc[("LAO", 2018), "Den_Energy"])
    assert list(p.units.columns[-4:]) == GROUPS and p.units.loc["CHN", "name"] == "China"
    assert p.indicator_units["Den_GDP"] == "USD bn"
    assert p.indicator_units["Services"] == "Million USD"


def test_asem_values_equal_coinr_files_cell_by_cell(shared_dir):
    d = shared_dir / "data" / "coinr_asem"
    raw = pd.read_csv(d / "ASEM_COIN_Data_Raw.csv").set_index("UnitCode")
    den = pd.read_csv(d / "ASEM_COIN_Input_Denominators.csv").set_index("UnitCode")
    src = pd.concat([raw.iloc[:, 6:], den[DENS]], axis=1)
    ours = datasets.asem().values.droplevel("period")
    assert sorted(ours.index) == sorted(src.index)
    a = ours.loc[src.index, list(src.columns)].to_numpy(dtype=float)
    b = src.to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(a[~np.isnan(a)], b[~np.isnan(b)])  # exact, not close
    units = datasets.asem().units.loc[src.index]
    assert (units[GROUPS].to_numpy() == raw[GROUPS].to_numpy()).all()
    assert (units["name"].to_numpy() == raw["UnitName"].to_numpy()).all()


def test_asem_framework_equals_coinr_metadata(shared_dir):
    d = shared_dir / "data" / "coinr_asem"
    ind = pd.read_csv(d / "ASEM_COIN_Input_IndMeta.csv").set_index("IndCode")
    agg = pd.read_csv(d / "ASEM_COIN_Input_AggMeta.csv").set_index("Code")
    fw = datasets.asem_framework()
    assert fw.indicator_codes == list(ind.index)
    for c, r in ind.iterrows():
        n = fw.node(c)
        assert (n.parent, n.direction, n.weight, n.unit) == (r.Agg1, r.Direction,
                                                             r.IndWeight, r.IndUnit), c
        assert n.denominator == (r.Denominator if isinstance(r.Denominator, str) else None)
        assert fw.node(r.Agg1).parent == r.Agg2 and fw.node(r.Agg2).parent == r.Agg3
    assert sorted(fw.aggregate_codes) == sorted(agg.index)
    assert all(fw.node(c).weight == agg.loc[c, "Weight"] for c in agg.index)


def test_example_framework_is_the_built_in_one_no_shared_folder():
    with resources.as_file(resources.files("gipro") / "datasets" / "data"
                           / "asem_framework.yaml") as p:
        built_in = p.read_text(encoding="utf-8")
    assert (ROOT / "examples" / "asem" / "framework.yaml").read_text(
        encoding="utf-8") == built_in


def test_example_runs_outside_the_repository_no_shared_folder(tmp_path, monkeypatch):
    """New-user report #14/#15: the example recipe and sensitivity file name no file outside
    their folder, so a copy of the folder runs anywhere (here with GIPRO_SHARED pointing
    nowhere); the build equals COINr's published top scores (reference case B1: CHE 68.38,
    NLD 64.82, DNK 64.80, 2 decimals)."""
    monkeypatch.setenv("GIPRO_SHARED", str(tmp_path / "nowhere"))
    for f in ("recipe.yaml", "framework.yaml", "sensitivity.yaml"):
        text = (ROOT / "examples" / "asem" / f).read_text(encoding="utf-8")
        assert "shared" not in text.replace("# ", "").split("steps:")[0].split("data:")[-1]
        shutil.copy(ROOT / "examples" / "asem" / f, tmp_path / f)
    b = gipro.run(str(tmp_path / "recipe.yaml"))
    top = b.results().query("code == 'Index'").head(3)
    assert top["unit"].tolist() == ["CHE", "NLD", "DNK"]
    assert np.round(top["score"].to_numpy(), 2).tolist() == [68.38, 64.82, 64.80]
    res = run_config(tmp_path / "sensitivity.yaml", runs=4)
    assert res.design.n_runs == 4 * 6 and res.sobol is not None
