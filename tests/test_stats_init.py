"""gipro stats (indicator statistics, COINr get_stats) and gipro init (a starting framework
and recipe). Expected values: hand calculations on the small tables below, and COINr 1.1.14's
treatment check on ASEM (../shared/reference/coinr_1.1.14_asem/asem_treat_details.csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gipro
from gipro.cli import app
from gipro.dataspec import DataSpec
from gipro.errors import InputError
from gipro.starter import DATA_KEY_COMMENTS, init
from gipro.stats import Thresholds, stats_table

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_stats_table_hand_values():
    # a: 1, 2, 3, 4, 100 (one outlier); b: constant; c = 2a + tiny noise; d: mostly zeros
    a = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    x = np.column_stack([a, np.full(5, 7.0), 2 * a + np.array([0, 0.1, 0, -0.1, 0]),
                         [0.0, 0.0, 0.0, 1.0, np.nan]])
    t = stats_table(x, ["a", "b", "c", "d"], {"a": "G", "b": "G", "c": "G", "d": "H"})
    r = t.set_index("indicator")
    assert r.loc["a", "mean"] == pytest.approx(22.0)
    assert r.loc["a", "median"] == 3.0
    assert r.loc["a", "sd"] == pytest.approx(np.sqrt(((a - 22) ** 2).sum() / 4))
    # G1 = 2.2324, G2 = 4.9869 (Joanes and Gill 1998 type 2; scipy bias=False agrees): |G1| > 2
    # and G2 > 3.5, so COINr's rule flags it
    assert r.loc["a", "skew"] == pytest.approx(2.232395911636458)
    assert r.loc["a", "kurtosis"] == pytest.approx(4.986865957200654)
    assert r.loc["a", "flag_outliers"] == "OUT"
    assert r.loc["b", "constant"] and r.loc["b", "n_unique"] == 1
    assert r.loc["a", "collinear"].startswith("c (r = 1.00)")
    assert r.loc["d", "availability"] == 0.8 and r.loc["d", "share_zero"] == 0.75
    assert r.loc["d", "flag_zero"] == "LOW"  # 1 non-zero of 5 units < 0.5
    assert not r.loc["d", "near_constant"]  # 0 is 3 of 4 values: 0.75 < 0.8
    t2 = stats_table(x, ["a", "b", "c", "d"], thresholds=Thresholds(same=0.7))
    assert t2.set_index("indicator").loc["d", "near_constant"]


def test_outlier_flags_are_coinrs_treatment_check(shared_dir):
    """COINr 1.1.14 flags an indicator for treatment when |skew| >= 2 and kurtosis >= 3.5 on
    the imputed data; gipro stats flags the same 15... indicators (peer output)."""
    b = gipro.run(ROOT / "examples" / "coinr" / "recipe.yaml")
    ours = gipro.stats.indicator_stats(b, "imputed").set_index("indicator")
    ref = pd.read_csv(shared_dir / "reference" / "coinr_1.1.14_asem" /
                      "asem_treat_details.csv").set_index("iCode")
    failing = set(ref.index[~ref["check_SkewKurt0.Pass"]])
    assert set(ours.index[ours["flag_outliers"] == "OUT"]) == failing
    np.testing.assert_allclose(ours.loc[ref.index, "skew"], ref["check_SkewKurt0.Skew"],
                               rtol=1e-9)
    np.testing.assert_allclose(ours.loc[ref.index, "kurtosis"], ref["check_SkewKurt0.Kurt"],
                               rtol=1e-9)


def test_stats_command(tmp_path):
    res = runner.invoke(app, ["stats", "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(tmp_path / "s.csv")
    assert set(t["period"]) == {2015} and len(t) == 7
    assert "Indicator statistics" in res.output
    res = runner.invoke(app, ["stats", "--period", "1999"])
    assert res.exit_code == 1 and "period 1999 is not in data set" in res.output


DATA = """region,year,name,group,CO2 per capita (t),water reuse (%)
A,2019,Alpha,N,1.5,80
A,2020,Alpha,N,1.4,82
B,2019,Beta,S,2.5,70
B,2020,Beta,S,2.4,71
C,2019,Gamma,S,2.0,75
C,2020,Gamma,S,1.9,77
"""


def test_init_writes_a_framework_and_recipe_that_run_once_directions_are_filled(tmp_path):
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    fw, recipe = init(tmp_path / "d.csv", tmp_path / "out")
    text = fw.read_text(encoding="utf-8")
    assert "unit: t   # from the header" in text and "unit: '%'" in text
    with pytest.raises(gipro.errors.FrameworkError, match="missing direction"):
        gipro.run(recipe)
    fw.write_text(text.replace("direction:   # to fill", "direction: -1  # to fill", 1)
                  .replace("direction:   # to fill", "direction: 1  # to fill", 1),
                  encoding="utf-8")
    b = gipro.run(recipe)
    assert b.panel.units.loc["A", "name"] == "Alpha"
    assert b.panel.group_columns == ["group"]
    res = b.results()
    assert res[res["code"] == "INDEX"].set_index(["unit", "period"]).loc[("A", 2020), "rank"] == 1
    # never overwrites
    with pytest.raises(InputError, match="not overwriting"):
        init(tmp_path / "d.csv", tmp_path / "out")


def test_init_recipe_names_every_data_key():
    assert set(DATA_KEY_COMMENTS) == set(DataSpec.model_fields)


def test_init_command(tmp_path):
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    res = runner.invoke(app, ["init", str(tmp_path / "d.csv"), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "my-index.yaml").exists() and "direction" in res.output
