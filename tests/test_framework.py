"""Framework model: loading, validation messages, levels, weights, YAML round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from gipro import Framework, FrameworkError, builtin_frameworks, load_framework


def fw(indicators, aggregates):
    return Framework(indicators, aggregates)


def ind(code, parent="IDX", direction=1, **kw):
    return {"code": code, "parent": parent, "direction": direction, **kw}


def messages(exc_info) -> str:
    return str(exc_info.value)


def test_simple_tree_levels_and_order():
    f = fw([ind("a", "D1"), ind("b", "D1"), ind("c", "D2", -1)],
           [{"code": "IDX"}, {"code": "D1", "parent": "IDX"}, {"code": "D2", "parent": "IDX"}])
    assert f.indicator_codes == ["a", "b", "c"]
    assert f.aggregate_codes == ["D1", "D2", "IDX"]
    assert f.root == "IDX"
    assert [f.level(c) for c in ("a", "D1", "IDX")] == [1, 2, 3]
    assert f.children("D1") == ["a", "b"]
    assert f.indicators_under("IDX") == ["a", "b", "c"]
    assert f.directions().tolist() == [1.0, 1.0, -1.0]


def test_uneven_tree_levels():
    # indicator x directly under the index next to a dimension: the index is level 3
    f = fw([ind("a", "D1"), ind("x", "IDX")], [{"code": "IDX"}, {"code": "D1", "parent": "IDX"}])
    assert f.level("x") == 1
    assert f.level("D1") == 2
    assert f.level("IDX") == 3


def test_effective_weights_hand():
    # IDX -> D1 (w 1) {a w1, b w3}, D2 (w 3) {c}: a = 1/4 * 1/4, b = 1/4 * 3/4, c = 3/4
    f = fw([ind("a", "D1"), ind("b", "D1", weight=3), ind("c", "D2")],
           [{"code": "IDX"}, {"code": "D1", "parent": "IDX"},
            {"code": "D2", "parent": "IDX", "weight": 3}])
    ew = f.effective_weights()
    assert ew["a"] == pytest.approx(1 / 16)
    assert ew["b"] == pytest.approx(3 / 16)
    assert ew["c"] == pytest.approx(3 / 4)
    assert ew[["a", "b", "c"]].sum() == pytest.approx(1.0)


def test_duplicate_and_whitespace_codes_are_all_listed():
    # field case B26: codes CO2, PM25, CO2, 'Water ', NO2
    with pytest.raises(FrameworkError) as e:
        fw([ind("CO2"), ind("PM25"), ind("CO2"), ind("Water "), ind("NO2")], [{"code": "IDX"}])
    msg = messages(e)
    assert "duplicate code: CO2 (indicator #1, indicator #3)" in msg
    assert "code with leading or trailing whitespace: 'Water '" in msg


def test_unknown_parent_and_parent_is_indicator():
    with pytest.raises(FrameworkError) as e:
        fw([ind("a", "NOPE"), ind("b", "a")], [{"code": "IDX"}])
    msg = messages(e)
    assert "indicator a: unknown parent 'NOPE'" in msg
    assert "indicator b: parent 'a' is an indicator" in msg


def test_cycle_is_reported():
    with pytest.raises(FrameworkError) as e:
        fw([ind("a", "D1")], [{"code": "IDX"}, {"code": "D1", "parent": "D2"},
                              {"code": "D2", "parent": "D1"}])
    assert "cycle in parents: D1 -> D2 -> D1" in messages(e)


def test_missing_and_bad_direction():
    with pytest.raises(FrameworkError) as e:
        fw([ind("a", direction=None), ind("b", direction=2)], [{"code": "IDX"}])
    msg = messages(e)
    assert "indicator a: missing direction" in msg
    assert "indicator b: direction must be 1 or -1, got 2" in msg


def test_direction_accepts_text_forms():
    f = fw([ind("a", direction="+1"), ind("b", direction="-1"), ind("c", direction=-1.0)],
           [{"code": "IDX"}])
    assert f.directions().tolist() == [1.0, -1.0, -1.0]


def test_negative_weight_and_aggregate_direction():
    with pytest.raises(FrameworkError) as e:
        fw([ind("a", weight=-1)], [{"code": "IDX", "direction": 1}])
    msg = messages(e)
    assert "indicator a: weight must be a finite number >= 0, got -1.0" in msg
    assert "aggregate IDX: has a direction" in msg


def test_roots_and_empty_aggregates():
    with pytest.raises(FrameworkError) as e:
        fw([ind("a", "IDX")], [{"code": "IDX"}, {"code": "OTHER"}])
    msg = messages(e)
    assert "aggregate OTHER: has no children" in msg
    assert "exactly one root" in msg and "found 2: IDX, OTHER" in msg


def test_unknown_field_is_an_error():
    with pytest.raises(FrameworkError) as e:
        fw([ind("a", dirction=1)], [{"code": "IDX"}])
    assert "dirction" in messages(e)


def test_unknown_top_level_key(tmp_path):
    p = tmp_path / "f.yaml"
    p.write_text("code: x\nindicator:\n  - {code: a}\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="unknown key 'indicator'"):
        Framework.from_yaml(p)


def test_goalposts_order():
    with pytest.raises(FrameworkError, match="goalposts must be"):
        fw([ind("a", goalposts=[10, 0])], [{"code": "IDX"}])


def test_yaml_round_trip(tmp_path):
    f = fw([ind("a", "D1", name={"en": "A", "zh": "甲"}, unit="t", source="s", goalposts=[0, 5]),
            ind("b", "D1", -1, weight=2.5)],
           [{"code": "IDX", "name": "Index"}, {"code": "D1", "parent": "IDX"}])
    path = tmp_path / "fw.yaml"
    f.to_yaml(path)
    g = Framework.from_yaml(path)
    assert g.to_dict() == f.to_dict()
    assert g.node("a").name.zh == "甲"
    assert g.node("a").goalposts == (0.0, 5.0)
    assert g.node("b").weight == 2.5


def test_builtin_framework_loads():
    assert "china-provinces-green-industry" in builtin_frameworks()
    f = load_framework("china-provinces-green-industry")
    assert len(f.indicator_codes) == 7
    assert f.children(f.root) == ["ECO", "CEF", "STR"]
    for n in f.indicators:
        assert n.unit and n.source and n.rationale and n.name.zh and n.direction in (1, -1)
    assert "water" in f.coverage.lower()


def test_from_table_coinr_style():
    t = pd.DataFrame({
        "iCode": ["a", "b", "P", "IDX", "den"],
        "iName": ["A", "B", "Pillar", "Index", "Denominator"],
        "Direction": [1, -1, None, None, None],
        "Weight": [1, 1, 1, 1, None],
        "Parent": ["P", "P", "IDX", None, None],
        "Type": ["Indicator", "Indicator", "Aggregate", "Aggregate", "Denominator"],
    })
    f = Framework.from_table(t)
    assert f.indicator_codes == ["a", "b"]
    assert f.level("IDX") == 3
