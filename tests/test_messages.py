"""Messages and docs found wanting in the third new-user trial (trial3a/3b), one test each.

Expected texts are the messages as specified for each fault (what the unit, period, value,
key or file was, how to fix); expected numbers are hand calculations written next to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import gipro
from gipro.dataspec import DataSpec
from gipro.errors import FrameworkError, InputError
from gipro.panel import read_panel
from gipro.recipe import Recipe
from gipro.steps import ScreenStep
from gipro.suggest import fold_code, near_match

ROOT = Path(__file__).resolve().parents[1]

FW = {"code": "t", "aggregates": [{"code": "IDX"}],
      "indicators": [{"code": "co2_int", "parent": "IDX", "direction": -1},
                     {"code": "rd_share", "parent": "IDX", "direction": 1}]}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def wide_rows(groups: dict[tuple[str, int], str]) -> str:
    """A wide CSV ``region, year, group, population, co2_int, rd_share`` over 2016-2019."""
    lines = ["region,year,group,population,co2_int,rd_share"]
    for k, ((u, y), g) in enumerate(groups.items()):
        lines.append(f"{u},{y},{g},{100 + k},{1 + k / 10},{2 + k / 10}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- 1. groups over time
def test_group_changing_over_time_names_unit_values_periods_and_fix(tmp_path):
    """R05 is Central in 2016-2018 and East in 2019 (trial file brk/grp2.csv)."""
    g = {(u, y): "East" for u in ("R01", "R02") for y in range(2016, 2020)}
    g.update({("R05", y): "Central" for y in (2016, 2017, 2018)})
    g[("R05", 2019)] = "East"
    p = write(tmp_path / "grp2.csv", wide_rows(g))
    with pytest.raises(InputError) as e:
        read_panel(p, form="wide", unit="region", period="year", groups=["group"])
    err = e.value
    assert err.message == "group column 'group' changes over time for some units in " + str(p)
    assert err.details[0] == "group: unit R05: 'Central' in 2016-2018; 'East' in 2019"
    assert "write the same value in every row of the unit" in err.details[-1]
    assert "data.units" in err.details[-1]


def test_group_changes_listed_for_the_first_five_units_and_counted_after(tmp_path):
    """Seven units switch group in 2018; one has an empty cell in 2017 (a value too)."""
    g = {}
    for k in range(7):
        for y in (2016, 2017, 2018):
            g[(f"U{k}", y)] = "A" if y < 2018 else "B"
    g[("U0", 2017)] = ""
    p = write(tmp_path / "g.csv", wide_rows(g))
    with pytest.raises(InputError) as e:
        read_panel(p, form="wide", unit="region", period="year", groups=["group"])
    d = e.value.details
    assert d[0] == "group: unit U0: 'A' in 2016; '(empty)' in 2017; 'B' in 2018"
    assert d[1] == "group: unit U1: 'A' in 2016-2017; 'B' in 2018"
    assert d[5] == "group: and 2 more units"  # 7 units, 5 shown


def test_groups_and_names_in_long_data_are_read_and_checked(tmp_path):
    """``groups`` and ``unit_name`` were silently ignored for long data (and the impute step
    then asked for the data.groups the recipe had given)."""
    rows = ["region,year,name,group,indicator,value"]
    for u, grp in (("R1", "N"), ("R2", "N"), ("R3", "S")):
        for y in (2018, 2019):
            rows += [f"{u},{y},Name {u},{grp},co2_int,{1 + y - 2018}",
                     f"{u},{y},Name {u},{grp},rd_share,{2 + y - 2018}"]
    p = write(tmp_path / "long.csv", "\n".join(rows) + "\n")
    panel = read_panel(p, unit="region", period="year", unit_name="name", groups=["group"])
    assert panel.units["group"].to_dict() == {"R1": "N", "R2": "N", "R3": "S"}
    assert panel.units["name"].to_dict() == {"R1": "Name R1", "R2": "Name R2", "R3": "Name R3"}
    bad = write(tmp_path / "long2.csv", "\n".join(rows).replace("2019,Name R3,S", "2019,Name R3,N")
                + "\n")
    with pytest.raises(InputError, match=re.escape("group: unit R3: 'S' in 2018; 'N' in 2019")):
        read_panel(bad, unit="region", period="year", groups=["group"])


# ---------------------------------------------------------------- 2. did you mean
@pytest.mark.parametrize("name,cands,expected", [
    ("rd_share", ["gdp_pc", "rd_shares"], ("rd_shares", "close")),    # ratio 16/17
    ("populaton", ["gdp", "population"], ("population", "close")),   # 18/19
    ("rd_share", ["RD_share", "rd_shares"], ("RD_share", "fold")),   # case first
    ("Water ", ["Water"], ("Water", "fold")),
    ("unti", ["unit", "path"], ("unit", "close")),                   # 6/8 = 0.75
    ("foo", ["dataset", "path", "form"], None),
    ("x", [], None),
])
def test_near_match(name, cands, expected):
    assert near_match(name, cands) == expected


@given(st.text(min_size=1, max_size=12), st.lists(st.text(max_size=12), max_size=6))
def test_near_match_returns_another_candidate_or_none(name, cands):
    hit = near_match(name, cands)
    assert hit is None or (hit[0] in cands and hit[0] != name)
    if hit is None:
        assert all(fold_code(c) != fold_code(name) for c in cands if c != name)


def test_misspelt_data_column_is_suggested(tmp_path):
    """Framework rd_share, data column rd_shares (trial brk/typo.csv)."""
    p = write(tmp_path / "typo.csv", "region,year,co2_int,rd_shares\nA,1,1,2\nB,1,2,3\n")
    recipe = {"framework": "fw.yaml", "data": {"path": str(p), "unit": "region",
                                                "period": "year"}}
    write(tmp_path / "fw.yaml", yaml.safe_dump(FW))
    with pytest.raises(InputError) as e:
        gipro.Build(Recipe.from_dict(recipe, base_dir=tmp_path))
    assert ("indicator 'rd_share' is in the framework but not in the data (did you mean "
            "'rd_shares'? the data have it)") in e.value.details


def test_misspelt_denominator_is_suggested(tmp_path):
    """denominators {co2_int: populaton} with a data column population (trial r_dt2)."""
    p = write(tmp_path / "d.csv", "region,year,population,co2_int,rd_share\n"
                                  "A,1,10,1,2\nB,1,20,2,3\n")
    write(tmp_path / "fw.yaml", yaml.safe_dump(FW))
    recipe = {"framework": "fw.yaml", "data": {"path": str(p), "unit": "region",
                                                "period": "year"},
              "steps": [{"step": "denominate", "denominators": {"co2_int": "populaton"}},
                        {"step": "normalise"}, {"step": "aggregate"}]}
    with pytest.raises(InputError) as e:
        gipro.Build(Recipe.from_dict(recipe, base_dir=tmp_path)).run()
    assert "'populaton': did you mean 'population'?" in e.value.details
    recipe["steps"][0]["denominators"] = {"co2_intt": "population"}
    with pytest.raises(InputError) as e:
        gipro.Build(Recipe.from_dict(recipe, base_dir=tmp_path)).run()
    assert "'co2_intt': did you mean 'co2_int'?" in e.value.details


# ---------------------------------------------------------------- 3. unknown keys
DATA_KEYS = ("dataset, path, yearbook, form, unit, period, indicator, value, measure_unit, "
             "unit_name, groups, units, sheet, sep, decimal, thousands, na_values, encoding, "
             "skip_rows, default_period, rename, drop_rows, include_units, exclude_units")


def test_unknown_recipe_key_lists_the_valid_keys_of_its_section():
    base = {"framework": "f", "data": {"dataset": "d", "foo": 1, "unti": "x"}}
    with pytest.raises(InputError) as e:
        Recipe.from_dict(base)
    assert e.value.details == [
        f"data.foo: unknown key (check the spelling); valid keys in data: {DATA_KEYS}",
        f"data.unti: unknown key (did you mean 'unit'?); valid keys in data: {DATA_KEYS}"]
    with pytest.raises(InputError) as e:
        Recipe.from_dict({"framework": "f", "data": {"dataset": "d"}, "stepz": []})
    assert e.value.details == ["stepz: unknown key (did you mean 'steps'?); valid keys: name, "
                               "description, framework, data, periods, units, steps, keep, "
                               "results"]


def test_unknown_step_key_lists_that_steps_keys():
    with pytest.raises(InputError) as e:
        Recipe.from_dict({"framework": "f", "data": {"dataset": "d"},
                          "steps": [{"step": "screen", "min_availabilty": 0.5}]})
    line = e.value.details[0]
    assert line.startswith("steps.0.screen.min_availabilty: unknown key (did you mean "
                           "'min_availability'?); valid keys in steps.0.screen: name, input, "
                           "output, disable, step, ")
    # the step as a person counts it (paths count from 0): the first step, a screen step
    line, where = line.rsplit(" [", 1)
    assert where == "step 1 of the recipe, 'screen']"
    assert line.split(": ")[-1].split(", ") == list(ScreenStep.model_fields)


def test_unknown_keys_in_scenarios_sensitivity_frameworks_and_park_frameworks(tmp_path):
    from gipro.parks import park_framework_from_dict
    from gipro.scenario.spec import ScenarioFile
    from gipro.sensitivity import load_config

    with pytest.raises(InputError) as e:
        ScenarioFile.from_dict({"scenarios": [{"name": "a", "chnges": []}]})
    assert e.value.details == ["scenarios.0.chnges: unknown key (did you mean 'changes'?); "
                               "valid keys in scenarios.0: name, description, changes"]
    cfg = write(tmp_path / "s.yaml", "recipe: china-provinces-gipro\n"
                                     "inputs: [{input: weights, sprad: 0.1}]\n")
    with pytest.raises(InputError) as e:
        load_config(cfg)
    assert e.value.details == ["inputs.0.weights.sprad: unknown key (did you mean 'spread'?); "
                               "valid keys in inputs.0.weights: input, name, spread, levels, "
                               "codes, weight_set"]
    fw = {**FW, "indicators": [{**FW["indicators"][0], "directon": -1}, FW["indicators"][1]]}
    with pytest.raises(FrameworkError) as e:
        gipro.Framework.from_dict(fw)
    assert ("indicator 'co2_int': field 'directon': unknown key (did you mean 'direction'?); "
            "valid keys: code, name, parent, weight, unit, direction, target, goalposts, "
            "denominator, source, rationale, description") in e.value.details
    with pytest.raises(FrameworkError) as e:
        gipro.Framework.from_dict({**FW, "indicatros": []})
    assert e.value.details[0].startswith("unknown key 'indicatros' (did you mean "
                                         "'indicators'?)")
    park = {"code": "t", "name": "t", "categories": [{"code": "C", "name": "C"}],
            "requirements": [{"code": "R", "name": "R", "category": "C",
                              "indicator": "green_cover_pct", "comparator": ">=",
                              "thresold": 30, "status": "mandatory"}]}
    with pytest.raises(FrameworkError) as e:
        park_framework_from_dict(park)
    assert "requirements.0.thresold: unknown key (did you mean 'threshold'?)" in e.value.details


# ---------------------------------------------------------------- 4. docs of data:
def test_every_data_key_is_documented_in_docs_data_and_the_readme():
    page = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = {m.group(1) for m in re.finditer(r"^\| `(\w+)` \|", page, re.M)}
    assert table == set(DataSpec.model_fields)
    assert "(docs/data.md)" in readme
    for key in DataSpec.model_fields:
        assert f"`{key}`" in readme, key


def test_docs_data_example_runs_with_group_mean_imputation(tmp_path):
    """The example's files, taken from docs/data.md; R1's 2019 water reuse is filled with the
    mean of the other North units in 2019: R2's 76 (hand)."""
    page = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for name, body in re.findall(r"^`([\w-]+\.(?:csv|yaml))`(?: \([^)]*\))?:\n\n```\w+\n(.*?)```",
                                 page, re.S | re.M):
        write(tmp_path / name, body)
    b = gipro.run(str(tmp_path / "regions-recipe.yaml"))
    imp = b.fitted["impute"]["imputed"]
    assert imp[["unit", "period", "indicator"]].values.tolist() == [["R1", 2019, "water_reuse"]]
    assert imp["value"].tolist() == [76.0]
    assert b.panel.units.loc["R1", "name"] == "North One"
    assert b.panel.units["group"].to_dict() == {"R1": "North", "R2": "North", "R3": "South",
                                                "R4": "South"}


# ---------------------------------------------------------------- 5. years as columns
@pytest.mark.parametrize("years", [["2016", "2017", "2018"], ["2016年", "2017年", "2018年"]])
def test_years_as_column_headers_get_the_reshape_hint(tmp_path, years):
    p = write(tmp_path / "yb.csv", "region," + ",".join(years) + "\nA,1,2,3\nB,4,5,6\n")
    with pytest.raises(InputError) as e:
        read_panel(p, form="wide", unit="region", period="year")
    assert e.value.message.startswith("wide data in")
    hint, reshape = e.value.details[0], e.value.details[1]
    assert hint.startswith(f"the periods are column headers ({', '.join(years)}): gipro needs "
                           "the periods in a column")
    assert ('pd.read_csv("yb.csv").melt(id_vars=["region"], var_name="year", '
            'value_name="my_indicator")') in reshape


def test_no_reshape_hint_when_the_period_column_is_just_misnamed(tmp_path):
    p = write(tmp_path / "d.csv", "region,yr,co2\nA,2016,1\n")
    with pytest.raises(InputError) as e:
        read_panel(p, form="wide", unit="region", period="year")
    assert not any("column headers" in d for d in e.value.details)


# ---------------------------------------------------------------- 6. denominators in the log
def test_log_says_used_as_denominator_and_not_used(tmp_path):
    p = write(tmp_path / "d.csv", "region,year,population,area,co2_int,rd_share\n"
                                  "A,1,10,5,1,2\nB,1,20,6,2,3\nC,1,40,7,3,1\n")
    write(tmp_path / "fw.yaml", yaml.safe_dump(FW))
    recipe = {"framework": "fw.yaml", "data": {"path": str(p), "unit": "region",
                                                "period": "year"},
              "steps": [{"step": "denominate", "denominators": {"co2_int": "population"}},
                        {"step": "normalise"}, {"step": "aggregate"}]}
    b = gipro.Build(Recipe.from_dict(recipe, base_dir=tmp_path))
    expected = ["data variables used as denominators (not indicators of the framework): "
                "population (step denominate)",
                "data variables not in the framework (not used): area"]
    assert b.input_notes[2:] == expected  # before the run: from the recipe
    b.run()
    assert b.input_notes[2:] == expected
    log = yaml.safe_load(b.write(tmp_path / "out")["log"].read_text(encoding="utf-8"))
    assert log["input"][2:] == expected
    # a denominator read from the step's table: the data's population is not used
    write(tmp_path / "pop.csv", "region,year,population\nA,1,1\nB,1,2\nC,1,4\n")
    recipe["steps"][0]["table"] = {"path": "pop.csv", "unit": "region", "period": "year"}
    b = gipro.Build(Recipe.from_dict(recipe, base_dir=tmp_path)).run()
    assert b.input_notes[2:] == ["data variables not in the framework (not used): population, "
                                 "area"]
    # disabled: not used
    recipe["steps"][0] = {"step": "denominate", "denominators": {"co2_int": "population"},
                          "disable": True}
    b = gipro.Build(Recipe.from_dict(recipe, base_dir=tmp_path)).run()
    assert b.input_notes[2:] == ["data variables not in the framework (not used): population, "
                                 "area"]


# ---------------------------------------------------------------- 7. WeightNoise spread
def test_weight_noise_spread_range_and_zero_is_a_control_run():
    from gipro.sensitivity import WeightNoise, uncertainty

    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"spread\n  Input should be (greater than or "
                                             r"equal to 0|less than 1)"):
            WeightNoise(spread=bad)
    b = gipro.run()
    res = uncertainty(b, [WeightNoise(levels=[2], spread=0.0)], runs=20, seed=3)
    nominal = res.nominal.set_index("unit").loc[list(res.units), "rank"].to_numpy()
    # every multiplier is 1 (1 + 0 (2u - 1)): each run is the nominal build
    assert np.array_equal(res.ranks, np.tile(nominal, (20, 1)))
    assert (res.rank_stats["mean_abs_shift"] == 0).all()
    assert any("not perturbed: a control run" in n for n in res.notes)
    doc = (ROOT / "docs" / "robustness.md").read_text(encoding="utf-8")
    assert "0 ≤ s < 1" in doc and "`spread: 0`" in doc


# ---------------------------------------------------------------- 8. park names in warnings
def test_fraction_warning_names_parks_by_name_and_code():
    from gipro.parks import ParkData, assess, park_framework_from_dict

    f = park_framework_from_dict({
        "code": "t", "name": "t", "categories": [{"code": "C", "name": "C"}],
        "requirements": [{"code": "R1", "name": "R1", "category": "C", "verified": True,
                          "indicator": "solid_waste_utilisation_pct", "comparator": ">=",
                          "threshold": 70, "status": "mandatory"}]})
    long = pd.DataFrame({"park": ["NJCP", "P2"], "year": [2023, 2023],
                         "indicator": ["solid_waste_utilisation_pct"] * 2,
                         "value": [0.75, 0.5]})
    parks = pd.DataFrame({"park": ["NJCP", "P2"], "name": ["Nanjing Chemical Park", None]})
    a = assess(f, ParkData.from_long(long, parks=parks))
    assert len(a.warnings) == 1
    assert a.warnings[0].startswith("solid_waste_utilisation_pct is in % but every value of "
                                    "Nanjing Chemical Park (NJCP), P2 is within [0, 1]")


def test_one_period_wide_data_with_default_period(tmp_path):
    """Cross-sectional data (one row per unit, no period column): `default_period: 2020` in the
    recipe reads it as 2020; without it the error says how (not a Python argument name)."""
    import gipro
    from gipro import InputError

    (tmp_path / "d.csv").write_text("unit,a,b\nX,1,4\nY,3,2\nZ,2,6\n", encoding="utf-8")
    (tmp_path / "fw.yaml").write_text(
        "code: t\naggregates: [{code: IDX}]\nindicators:\n"
        "  - {code: a, parent: IDX, direction: 1}\n"
        "  - {code: b, parent: IDX, direction: -1}\n", encoding="utf-8")
    recipe = {"framework": str(tmp_path / "fw.yaml"),
              "data": {"path": str(tmp_path / "d.csv"), "default_period": 2020},
              "steps": [{"step": "normalise"}, {"step": "aggregate"}]}
    res = gipro.run(recipe).results().query("code == 'IDX'").set_index("unit")
    # hand: a -> X 0, Y 100, Z 50; b (lower is better) -> X 50, Y 100, Z 0; mean
    assert set(res["period"]) == {2020}
    assert res["score"].to_dict() == {"X": 25.0, "Y": 100.0, "Z": 25.0}
    recipe["data"] = {"path": str(tmp_path / "d.csv"), "period": None}
    with pytest.raises(InputError, match="data without a period column") as e:
        gipro.run(recipe)
    assert "data.default_period: 2020" in e.value.details[0]


def test_a_text_column_not_declared_as_a_group_is_named_as_such(tmp_path):
    """Trial 5: COINr data carry four group columns; declaring two left the others to be read
    as indicators: 'non-numeric values ... (and 41 more)'. The message now says the column
    looks like text (a group or label) and how to declare it; 'more' says 'cells'."""
    from gipro import InputError, read_panel

    rows = "\n".join(f"U{i},2020,{i}.5,{'Big' if i % 2 else 'Small'}" for i in range(12))
    (tmp_path / "d.csv").write_text("unit,period,x,Group_GDPpc\n" + rows + "\n",
                                    encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_panel(tmp_path / "d.csv")
    msg = e.value.message
    assert "non-numeric values in column 'Group_GDPpc'" in msg
    assert "(and 2 more cells)" in msg  # 12 text cells, 10 listed
    assert "looks like a text column (group or label, e.g. 'Small')" in msg
    assert "groups: [...]" in msg
