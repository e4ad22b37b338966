"""COINr's own tables as gipro inputs: an iMeta table as the framework, an iData table as the
data (gipro.framework.Framework.from_table, gipro.panel.coinr_idata_columns).

The reference is COINr 1.1.14's build of its ASEM example from the same two tables
(../shared/reference/coinr_1.1.14_asem/, produced by COINr itself; see its SOURCE.md):
Denominate -> Impute (i_mean_grp by EurAsia_group) -> Treat (defaults) -> Normalise (min-max)
-> Aggregate (arithmetic mean). Every stage must agree to 1e-9 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gipro
from gipro import Framework
from gipro.errors import FrameworkError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "coinr"
STAGES = {"denominated": "asem_denominated", "imputed": "asem_imputed",
          "treated": "asem_treated", "normalised": "asem_normalised",
          "aggregated": "asem_aggregated"}


@pytest.fixture(scope="module")
def asem_build(shared_dir):
    """The example recipe run on the shared folder's copies of COINr's tables."""
    d = shared_dir / "data" / "coinr_asem"
    recipe = gipro.load_recipe(EXAMPLE / "recipe.yaml")
    data = recipe.model_dump()
    data["framework"] = str(d / "ASEM_iMeta.csv")
    data["data"]["path"] = str(d / "ASEM_iData.csv")
    return gipro.run(gipro.Recipe.from_dict(data, base_dir=EXAMPLE))


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_equals_coinr_1_1_14(asem_build, shared_dir, stage):
    """COINr 1.1.14's own output (peer tool), every unit and code, 1e-9 relative."""
    ref = pd.read_csv(shared_dir / "reference" / "coinr_1.1.14_asem" / f"{STAGES[stage]}.csv"
                      ).set_index("uCode")
    ours = asem_build.data(stage).droplevel("period")
    assert sorted(ours.index) == sorted(ref.index) and len(ref) == 51
    assert set(ref.columns) <= set(ours.columns)
    a = ours.loc[ref.index, ref.columns].to_numpy(float)
    b = ref.to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))  # 65 missing before imputation
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=0)


def test_raw_stage_is_idata_and_treatment_matches_coinr(asem_build, shared_dir):
    raw = asem_build.data("raw").droplevel("period")
    idata = pd.read_csv(shared_dir / "data" / "coinr_asem" / "ASEM_iData.csv").set_index("uCode")
    np.testing.assert_array_equal(raw.to_numpy(float), idata.loc[raw.index, raw.columns]
                                  .to_numpy(float))
    details = pd.read_csv(shared_dir / "reference" / "coinr_1.1.14_asem" /
                          "asem_treat_details.csv").set_index("iCode")
    ours = asem_build.fitted["treat"]["summary"].set_index("indicator")
    nwin = details["winsorise.nwin"].fillna(0).astype(int)
    mine = (ours["winsorised_high"] + ours["winsorised_low"]).reindex(nwin.index)
    assert (mine.to_numpy() == nwin.to_numpy()).all()
    assert int(nwin.sum()) > 0


def test_published_results_table(asem_build):
    """COINr's results table (examples/coinr/coinr_results_aggs.csv, scores rounded to 2 dp
    by COINr): the same scores when rounded, the same ranks."""
    ref = pd.read_csv(EXAMPLE / "coinr_results_aggs.csv").set_index("uCode")
    res = asem_build.results()
    idx = res[res["code"] == "Index"].set_index("unit")
    np.testing.assert_allclose(idx.loc[ref.index, "score"].round(2), ref["Index"], atol=1e-9)
    assert (idx.loc[ref.index, "rank"].to_numpy() == ref["Rank"].to_numpy()).all()


def test_repository_copies_are_coinrs_tables(shared_dir):
    for name in ("ASEM_iMeta.csv", "ASEM_iData.csv"):
        assert (EXAMPLE / name).read_bytes() == (shared_dir / "data" / "coinr_asem" / name
                                                 ).read_bytes()


def test_imeta_carries_denominators_groups_targets_units():
    fw = Framework.from_file(EXAMPLE / "ASEM_iMeta.csv")
    assert (len(fw.indicator_codes), len(fw.aggregate_codes), fw.max_level) == (49, 11, 4)
    assert fw.node("Flights").denominator == "Population"
    assert fw.node("LPI").target == pytest.approx(4.11803135)
    assert fw.node("Flights").unit == "Thousand seats"
    assert fw.node("LPI").name.en == "Logistics Performance Index"
    assert [v.code for v in fw.variables.values() if v.kind == "group"] == [
        "GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group"]
    assert fw.variables["GDP"].unit == "USD Bn"
    assert any("Direction 1 of 11 aggregates" in n for n in fw.notes)


def test_run_logs_what_was_read_and_carries_denominator_units(tmp_path):
    b = gipro.run(EXAMPLE / "recipe.yaml")
    notes = " | ".join(b.input_notes)
    assert "read as a COINr iData table: units uCode, names uName, periods Time" in notes
    assert "groups GDP_group, GDPpc_group, Pop_group, EurAsia_group" in notes
    assert "Direction 1 of 11 aggregates" in notes
    table = b.fitted["denominate"]["table"].set_index("indicator")
    assert table.loc["Flights", "denominator"] == "Population"
    assert "Thousands" in table.loc["Flights", "denominator_unit"]


# ---------------------------------------------------------------------- validation
def _table(rows):
    return pd.DataFrame(rows, columns=["Level", "iCode", "Direction", "Weight", "Parent", "Type"])


GOOD = [(1, "a", 1, 1, "IDX", "Indicator"), (1, "b", -1, 1, "IDX", "Indicator"),
        (2, "IDX", None, 1, None, "Aggregate")]


def test_aggregate_direction_is_the_yaml_paths_error():
    bad = _table([*GOOD[:2], (2, "IDX", -1, 1, None, "Aggregate")])
    with pytest.raises(FrameworkError) as table_err:
        Framework.from_table(bad)
    with pytest.raises(FrameworkError) as yaml_err:
        Framework.from_dict({"indicators": [{"code": "a", "parent": "IDX", "direction": 1},
                                            {"code": "b", "parent": "IDX", "direction": -1}],
                             "aggregates": [{"code": "IDX", "direction": -1}]})
    assert table_err.value.details == yaml_err.value.details
    assert "aggregate IDX: has a direction (-1)" in table_err.value.details[0]


def test_every_problem_at_once_naming_rows_and_codes():
    bad = _table([(1, "a", None, 1, "IDX", "Indicator"), (1, "b", 1, 1, "NOPE", "Indicator"),
                  (3, "IDX", None, 1, None, "Aggregate"), (None, "g", None, None, None, "Grup")])
    with pytest.raises(FrameworkError) as err:
        Framework.from_table(bad, origin="meta.csv")
    text = str(err.value)
    assert "row 5 (g): Type 'Grup' is not one of" in text
    assert "indicator a: missing direction" in text
    assert "indicator b: unknown parent 'NOPE'" in text


def test_level_must_agree_with_the_tree():
    with pytest.raises(FrameworkError, match=r"row 4 \(IDX\): Level 3 but the tree puts it at "
                                             r"level 2"):
        Framework.from_table(_table([*GOOD[:2], (3, "IDX", None, 1, None, "Aggregate")]))


def test_unknown_column_is_an_error_with_a_near_match():
    t = _table(GOOD).rename(columns={"Weight": "Wieght"})
    with pytest.raises(FrameworkError, match="unknown column 'Wieght' \\(did you mean 'Weight'"):
        Framework.from_table(t)


def test_round_trip_through_imeta_csv_excel_and_yaml(tmp_path):
    fw = Framework.from_file(EXAMPLE / "ASEM_iMeta.csv")
    fw.to_table(tmp_path / "meta.csv")
    fw.to_table(tmp_path / "meta.xlsx")
    again_csv = Framework.from_file(tmp_path / "meta.csv")
    again_xlsx = Framework.from_file(tmp_path / "meta.xlsx")  # the sheet named iMeta
    (tmp_path / "fw.yaml").write_text(fw.to_yaml(), encoding="utf-8")
    again_yaml = Framework.from_file(tmp_path / "fw.yaml")
    for other in (again_csv, again_xlsx, again_yaml):
        ours, theirs = fw.to_dict()["indicators"], other.to_dict()["indicators"]
        if other is again_xlsx:  # openpyxl writes 16 significant digits: targets to 1e-15
            for a, b in zip(ours, theirs, strict=True):
                assert b.pop("target") == pytest.approx(a.pop("target"), rel=1e-15)
        assert theirs == ours
        assert other.to_dict()["aggregates"] == fw.to_dict()["aggregates"]
        assert other.to_dict()["variables"] == fw.to_dict()["variables"]


def test_recipe_framework_accepts_an_excel_imeta(tmp_path):
    fw = Framework.from_file(EXAMPLE / "ASEM_iMeta.csv")
    with pd.ExcelWriter(tmp_path / "meta.xlsx") as xw:
        pd.DataFrame({"about": ["notes"]}).to_excel(xw, sheet_name="Readme", index=False)
        fw.to_table().to_excel(xw, sheet_name="iMeta", index=False)
    recipe = {"framework": str(tmp_path / "meta.xlsx"),
              "data": {"path": str(EXAMPLE / "ASEM_iData.csv")},
              "steps": [{"step": "denominate"},
                        {"step": "impute", "method": "group_mean", "group": "EurAsia_group"},
                        {"step": "normalise"}, {"step": "aggregate", "min_availability": 0}]}
    b = gipro.run(recipe)
    assert b.results()["unit"].nunique() == 51
