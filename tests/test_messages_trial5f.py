"""Messages found wanting in the hostile-input trial 5f, one test (or two) per fault.

Expected texts are the messages as specified for each fault (the value as in the file, the
option to set, the node or change named); expected numbers are hand calculations written next
to them. No file of the trial is read: each test writes its own small input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import gipro
from gipro.build import Build
from gipro.cli import app
from gipro.errors import FrameworkError, InputError, MethodError
from gipro.panel import Panel, read_panel
from gipro.parks.io import read_park_data
from gipro.progress import summary
from gipro.scenario.spec import ScenarioFile
from gipro.sensitivity import StepAlternatives, uncertainty
from gipro.suggest import header_with_unit, strip_bracketed

FW = {"code": "t5", "aggregates": [{"code": "IDX", "name": {"en": "Index"}},
                                   {"code": "ENV", "parent": "IDX", "weight": 2},
                                   {"code": "ECO", "parent": "IDX", "weight": 1}],
      "indicators": [{"code": "co2_int", "parent": "ENV", "direction": -1},
                     {"code": "water_reuse", "parent": "ENV", "direction": 1},
                     {"code": "gdp_pc", "parent": "ECO", "direction": 1}]}


def build_of(rows, steps, fw=None) -> Build:
    fw = gipro.Framework.from_dict(fw or FW)
    df = pd.DataFrame(rows, columns=["unit", "period", *fw.indicator_codes])
    panel = Panel.from_wide(df, unit="unit", period="period")
    recipe = {"framework": "unused", "data": {"path": "unused.csv"}, "steps": steps}
    return Build(recipe, framework=fw, panel=panel)


ROWS = [("Beijing", 2015, 2.291, 50.0, 47299), ("Beijing", 2016, 3.82, 60.0, 80799),
        ("Tianjin", 2015, 1.5, 40.0, 30000), ("Tianjin", 2016, 1.2, 45.0, 35000)]


# ---------------------------------------------------------------- 1. entropy after the flip
def test_entropy_on_raw_names_the_file_value_and_the_direction_flip():
    """co2_int (direction -1) is +2.291 in the data: entropy on raw data sees -2.291."""
    b = build_of(ROWS, [{"step": "weight", "method": "entropy", "output": "ew"},
                        {"step": "normalise"}, {"step": "aggregate", "weights": "ew"}])
    with pytest.raises(MethodError) as e:
        b.run()
    msg = e.value.message
    assert ("co2_int is -2.291 after applying direction -1 (the file has 2.291) for unit "
            "Beijing in 2015 (4 negative values)") in msg  # 4 co2_int cells, all positive
    assert e.value.details[0].startswith(
        "entropy needs normalised data for negative-direction indicators")
    assert "normalised data set" in e.value.details[0]


def test_entropy_negative_value_in_the_file_is_not_called_a_flip():
    """water_reuse (direction +1) really is -5 in the data: no direction phrase."""
    rows = [("A", 2015, 1.0, -5.0, 3.0), ("B", 2015, 2.0, 4.0, 5.0)]
    b = build_of(rows, [{"step": "weight", "method": "entropy", "output": "ew"},
                        {"step": "normalise"}, {"step": "aggregate", "weights": "ew"}],
                 fw={**FW, "indicators": [{**FW["indicators"][0], "direction": 1},
                                          *FW["indicators"][1:]]})
    with pytest.raises(MethodError) as e:
        b.run()
    assert "water_reuse is -5 for unit A in 2015 (1 negative values)" in e.value.message
    assert "after applying direction" not in e.value.message
    assert not e.value.details[0].startswith("entropy needs normalised")


# ---------------------------------------------------------------- 2. park encoding hint
def test_park_gbk_file_hint_names_the_cli_option(tmp_path):
    (tmp_path / "parks.csv").write_bytes(
        "park;name_zh\nP1;南方示例园区\n".encode("gbk"))
    (tmp_path / "indicators.csv").write_text("park,year,indicator,value\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_park_data(tmp_path)
    assert "is not utf-8-sig text" in e.value.message
    assert e.value.details == ["give the encoding: encoding='gbk' in Python, gipro assess "
                               "--encoding gbk (or save the file as 'CSV UTF-8')"]


def test_panel_gbk_file_hint_keeps_the_recipe_key(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes("region,year,x\n北京,2015,1\n".encode("gbk"))
    with pytest.raises(InputError) as e:
        read_panel(p, form="wide", unit="region", period="year")
    assert "set encoding: gbk in the recipe's data section" in e.value.details[0]


# ---------------------------------------------------------------- 3. one observed value
def test_constant_indicator_with_one_observed_value_says_so():
    """water_reuse: 50 in one of 4 cells (2 units x 2 periods), the other 3 empty."""
    rows = [(u, y, c, (50.0 if (u, y) == ("Beijing", 2015) else np.nan), g)
            for (u, y, c, _, g) in ROWS]
    with pytest.raises(MethodError) as e:
        build_of(rows, [{"step": "normalise"}, {"step": "aggregate"}]).run()
    assert ("indicator water_reuse (no unit) has only 1 observed value (50) over 2015-2016; "
            "the other 3 cells are missing") in e.value.details
    assert "has the same value" not in str(e.value)


def test_constant_indicator_with_gaps_says_units_with_data():
    """water_reuse 50 in 2 of 4 cells: 'every unit with data (2 of 4 cells observed)'."""
    rows = [(u, y, c, (50.0 if y == 2015 else np.nan), g) for (u, y, c, _, g) in ROWS]
    with pytest.raises(MethodError) as e:
        build_of(rows, [{"step": "normalise"}, {"step": "aggregate"}]).run()
    assert ("indicator water_reuse (no unit) has the same value 50 for every unit with data "
            "(2 of 4 cells observed) over 2015-2016") in e.value.details


# ---------------------------------------------------------------- 4. weight as a fraction
def test_fraction_weight_reported_once_without_follow_on_parent_errors():
    fw = {**FW, "aggregates": [{"code": "IDX"},
                               {"code": "ENV", "parent": "IDX", "weight": "1/3"},
                               {"code": "ECO", "parent": "IDX", "weight": "2/3"}]}
    with pytest.raises(FrameworkError) as e:
        gipro.Framework.from_dict(fw)
    assert e.value.details == [  # 1/3 = 0.333, 2/3 = 0.667 to 3 significant digits
        "aggregate 'ENV': field 'weight': must be a number, got '1/3': write a number: 0.333, "
        "or relative weights such as 1 and 2",
        "aggregate 'ECO': field 'weight': must be a number, got '2/3': write a number: 0.667, "
        "or relative weights such as 1 and 2"]


def test_unknown_parent_still_reported_when_the_parent_is_simply_absent():
    fw = {**FW, "indicators": [*FW["indicators"],
                               {"code": "x", "parent": "NOPE", "direction": 1}]}
    with pytest.raises(FrameworkError) as e:
        gipro.Framework.from_dict(fw)
    assert "indicator x: unknown parent 'NOPE'" in e.value.details


# ---------------------------------------------------------------- 5. UTF-16 without BOM
@pytest.mark.parametrize(("codec", "hint"), [("utf-16-le", "utf-16-le"),
                                             ("utf-16-be", "utf-16-be")])
def test_utf16_without_bom_is_detected(tmp_path, codec, hint):
    p = tmp_path / "u16.csv"
    p.write_bytes("region,year,co2_int\nBeijing,2015,2.291\n".encode(codec))  # no BOM
    with pytest.raises(InputError) as e:
        read_panel(p, form="wide", unit="region", period="year")
    assert "looks like UTF-16 without a byte-order mark" in e.value.message
    assert f"set encoding: {hint} in the recipe's data section" in e.value.details[0]
    assert "\\x00" not in str(e.value) and "\x00" not in str(e.value)
    # and the encoding named in the hint reads the file
    panel = read_panel(p, form="wide", unit="region", period="year", encoding=hint)
    assert panel.values.loc[("Beijing", 2015), "co2_int"] == 2.291


def test_utf16_without_bom_in_park_data_names_the_cli_option(tmp_path):
    (tmp_path / "parks.csv").write_bytes("park,name\nP1,x\n".encode("utf-16-le"))
    (tmp_path / "indicators.csv").write_text("park,year,indicator,value\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_park_data(tmp_path)
    assert "gipro assess --encoding utf-16-le" in e.value.details[0]


# ---------------------------------------------------------------- 6. header with its unit
@pytest.mark.parametrize("header", ["co2_int（吨/万元）", "co2_int (t/10^4 yuan)",
                                    "CO2_int [t]"])
def test_missing_indicator_names_the_header_with_a_unit(tmp_path, header):
    p = tmp_path / "d.csv"
    p.write_text(f"region,year,{header},water_reuse,gdp_pc\nA,2015,1,2,3\nB,2015,2,3,4\n",
                 encoding="utf-8")
    panel = read_panel(p, form="wide", unit="region", period="year")
    with pytest.raises(InputError) as e:
        panel.check_framework(gipro.Framework.from_dict(FW))
    assert e.value.details == [
        f"indicator 'co2_int' is in the framework but not in the data (the data have "
        f"{header!r}: a header with its unit? rename the column to 'co2_int', units go in "
        f"the framework's unit:, or use {header!r} as the code)"]


def test_strip_bracketed_examples():
    assert strip_bracketed("co2_int（吨/万元）") == ("co2_int", "吨/万元")
    assert strip_bracketed("water_reuse(%)") == ("water_reuse", "%")
    assert strip_bracketed("(only a bracket)") is None
    assert header_with_unit("gdp", ["gdp_pc (yuan)", "GDP（元）"]) == ("GDP（元）", "元")


@given(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
       st.text(alphabet=st.characters(blacklist_characters="()（）[]【】"), max_size=8),
       st.sampled_from(["({})", "（{}）", " [{}]", "【{}】"]))
def test_header_with_unit_recovers_code_and_unit(code, unit, form):
    """Property: any code followed by a bracketed unit is matched back to the code."""
    header = code + form.format(unit)
    hit = header_with_unit(code, ["region", header])
    assert hit is not None and hit[0] == header and hit[1] == unit.strip()


# ---------------------------------------------------------------- 7. booleans as numbers
def test_boolean_weight_and_direction_are_refused_naming_the_node():
    fw = {**FW, "aggregates": [{"code": "IDX"}, {"code": "ENV", "parent": "IDX",
                                                 "weight": True},
                               {"code": "ECO", "parent": "IDX"}],
          "indicators": [*FW["indicators"][:2],
                         {"code": "gdp_pc", "parent": "ECO", "direction": True}]}
    with pytest.raises(FrameworkError) as e:
        gipro.Framework.from_dict(fw)
    assert "aggregate 'ENV': field 'weight': must be a number, got true (a yes/no value)" \
        in e.value.details
    assert ("indicator gdp_pc: direction must be 1 or -1, got true (a yes/no value; write 1 "
            "if higher is better, -1 if lower is better)") in e.value.details


def test_boolean_weight_in_yaml_is_refused(tmp_path):
    """YAML 'yes' is a boolean too."""
    p = tmp_path / "fw.yaml"
    p.write_text("aggregates: [{code: IDX}]\nindicators:\n"
                 "  - {code: a, parent: IDX, direction: 1, weight: yes}\n"
                 "  - {code: b, parent: IDX, direction: -1}\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="indicator 'a': field 'weight': must be a number, "
                                             "got true"):
        gipro.Framework.from_yaml(p)


# ---------------------------------------------------------------- 8. sensitivity inputs
def test_duplicate_among_different_alternatives_is_an_error():
    with pytest.raises(ValueError, match=r"values lists 'arithmetic' twice \(positions 1 and "
                                         r"3\); list each alternative once"):
        StepAlternatives(step="aggregate", param="method",
                         values=["arithmetic", "geometric", "arithmetic"])


@pytest.mark.parametrize(("values", "what"), [
    (["arithmetic"], "a single alternative"),
    (["arithmetic", "arithmetic"], "2 identical alternatives (a control input")])
def test_nothing_varies_is_a_warning_with_correct_plural(values, what):
    b = build_of(ROWS, [{"step": "normalise"}, {"step": "aggregate"}]).run()
    res = uncertainty(b, [StepAlternatives(step="aggregate", name="aggregation",
                                           param="method", values=values)],
                      runs=4, seed=1, n_boot=10)
    text = "\n".join(res.notes)
    k = len(values)
    assert f"aggregation ({k} alternative{'s' if k > 1 else ''})" in text
    assert "(1 alternatives)" not in text
    assert (f"warning: input 'aggregation' has {what}" in text
            and "nothing varies, {'method': 'arithmetic'} in every run" in text)


# ---------------------------------------------------------------- 9. scenario NaN / inf
@pytest.mark.parametrize(("change", "said"), [
    ({"op": "set", "indicators": ["co2_int"], "value": float("nan")}, "value is nan"),
    ({"op": "pct", "indicators": ["co2_int"], "value": float("inf")}, "value is inf"),
    ({"op": "path", "indicators": ["co2_int"], "change_pct": float("-inf"), "by": 2020},
     "change_pct is -inf"),
    ({"op": "set", "indicators": ["co2_int"], "value": {"Beijing": float("nan")}},
     "value['Beijing'] is nan")])
def test_scenario_refuses_non_finite_amounts(change, said):
    with pytest.raises(InputError) as e:
        ScenarioFile.from_dict({"scenarios": [{"name": "a", "changes": [change]}]})
    line = e.value.details[0]
    assert line.startswith(f"scenarios.0.changes.0: change {{op: {change['op']}, "
                           "indicators: ['co2_int']}: " + said)
    assert "give a finite number" in line


# ---------------------------------------------------------------- 10. labels and counts
def test_label_code_never_repeats_the_code():
    fw = gipro.Framework.from_dict({**FW, "aggregates": [
        {"code": "IDX"}, {"code": "ENV", "parent": "IDX", "name": {"en": "Environment"}},
        {"code": "总指数", "parent": "IDX", "name": {"zh": "总指数"}}],
        "indicators": [FW["indicators"][0], FW["indicators"][1],
                       {**FW["indicators"][2], "parent": "总指数"}]})
    assert fw.node("IDX").label_code() == "IDX"
    assert fw.node("ENV").label_code() == "Environment (ENV)"
    assert fw.node("总指数").label_code("zh") == "总指数"


def test_progress_summary_counts_only_units_scored_in_both_periods():
    """Hand calculation: 3 units; C has no data in 2016 (no score). Pooled min-max: A and B
    rise on every indicator (co2_int falls, direction -1), so 2 of the 2 units with scores in
    both periods progressed; C is reported as lacking a score."""
    rows = [("A", 2015, 3.0, 40.0, 100.0), ("A", 2016, 2.0, 50.0, 200.0),
            ("B", 2015, 4.0, 30.0, 150.0), ("B", 2016, 3.5, 35.0, 160.0),
            ("C", 2015, 1.0, 60.0, 300.0), ("C", 2016, np.nan, np.nan, np.nan)]
    b = build_of(rows, [{"step": "normalise"}, {"step": "aggregate"}]).run()
    text = summary(b, with_caveats=False)
    assert "2 of 2 units with scores in both periods progressed on the Index (IDX)" in text
    assert "of 3 units progressed" not in text
    assert "1 unit lacks a score in 2015 or 2016." in text


def test_no_unit_scored_message_has_no_bad_article(tmp_path):
    (tmp_path / "fw.yaml").write_text(
        "aggregates: [{code: IDX, name: {en: Index}}]\nindicators:\n"
        "  - {code: x, parent: IDX, direction: 1}\n  - {code: y, parent: IDX, direction: -1}\n",
        encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "unit,period,x,y\nA,2020,1,2\nB,2020,2,3\nA,2021,,\nB,2021,,\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text("framework: fw.yaml\ndata: {path: d.csv}\n",
                                     encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "No unit has a score on Index (IDX) in 2021" in " ".join(result.output.split())
    assert "a Index" not in result.output



def test_one_observed_value_per_period_singular():
    """Per-period bounds: water_reuse in 2015 is 50 for Beijing and empty for Tianjin."""
    rows = [(u, y, c, (50.0 if (u, y) == ("Beijing", 2015) else np.nan if y == 2015 else w), g)
            for (u, y, c, w, g) in ROWS]
    with pytest.raises(MethodError) as e:
        build_of(rows, [{"step": "normalise", "bounds": "per_period"},
                        {"step": "aggregate"}]).run()
    assert ("indicator water_reuse (no unit) has only 1 observed value (50) in period 2015; "
            "the other cell is missing") in e.value.details
