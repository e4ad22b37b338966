"""Denomination: indicator / denominator x scale (reference case B7), with real data checks.

Expected values: COINr's Denominated stage (ASEM), the China data set's own derived per-capita
column (computed by its providers' definition, co2_total / population), and hand calculations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gipro import Framework, InputError, Panel, datasets, run
from gipro.methods.denominate import denominate


def test_kernel_by_hand():
    y = denominate(np.array([[6.0, 1.0, np.nan, 4.0]]), np.array([[3.0, np.nan, 2.0, 0.0]]),
                   10.0, zero="missing")
    assert y[0, 0] == 20.0 and np.isnan(y[0, 1:]).all()


def test_b7_asem_goods_by_gdp_and_flights_per_1000(shared_dir):
    """B7: Goods / GDP and Flights / Population x 1000 (COINr ScaleFactor), checked against
    COINr's Denominated data set."""
    d = shared_dir / "data" / "coinr_asem"
    raw = pd.read_csv(d / "ASEM_COIN_Data_Raw.csv").drop(columns=["UnitName", "Group_GDP",
                                                                  "Group_GDPpc", "Group_Pop"])
    den = pd.read_csv(d / "ASEM_COIN_Data_Denominated.csv").set_index("UnitCode")
    fw = Framework([{"code": "Goods", "parent": "IDX", "direction": 1},
                    {"code": "Flights", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    panel = Panel.from_wide(raw[["UnitCode", "Year", "Goods", "Flights"]], unit="UnitCode",
                            period="Year")
    table = {"path": str(d / "ASEM_COIN_Input_Denominators.csv"), "form": "wide",
             "unit": "UnitCode", "period": "Year", "unit_name": "UnitName",
             "groups": ["Group_GDP", "Group_GDPpc", "Group_Pop", "Group_EurAsia"]}
    recipe = {"framework": "x", "data": {"dataset": "china_provinces"}, "steps": [
        {"step": "denominate", "table": table,
         "denominators": {"Goods": "Den_GDP", "Flights": "Den_Pop"},
         "scale": {"Flights": 1000}}]}
    b = run(recipe, framework=fw, panel=panel)
    ours = b.data("denominated").droplevel("period")
    np.testing.assert_allclose(ours["Goods"], den.loc[ours.index, "Goods"], rtol=1e-15)
    np.testing.assert_allclose(ours["Flights"], den.loc[ours.index, "Flights"] * 1000,
                               rtol=1e-14)
    tab = b.fitted["denominate"]["table"].set_index("indicator")
    assert tab.loc["Flights", "scale"] == 1000 and tab.loc["Goods", "denominator"] == "Den_GDP"


def china_fw(**extra) -> Framework:
    return Framework([{"code": "co2_total", "parent": "IDX", "direction": -1,
                       "unit": "Mt CO2", **extra}], [{"code": "IDX"}])


def test_china_co2_per_capita_from_the_panel_variables():
    """Mt CO2 / 10^4 persons x 100 = t CO2 per person: equals the data set's own
    co2_per_capita (derived by its builders as co2_total / population) to the 7 significant
    digits the CSV keeps. The denominator is a panel variable outside the framework."""
    b = run({"framework": "x", "data": {"dataset": "china_provinces"},
             "periods": {"start": 2006, "end": 2015},
             "steps": [{"step": "denominate", "scale": 100}]},
            framework=china_fw(denominator="population"))
    ours = b.data("denominated")["co2_total"]
    ref = datasets.china_provinces().values["co2_per_capita"].reindex(ours.index)
    np.testing.assert_allclose(ours, ref, rtol=2e-6)
    tab = b.fitted["denominate"]["table"].iloc[0]
    assert tab["denominator_unit"] == "10^4 persons (year-end)"
    assert tab["result_unit"] == "Mt CO2 per 10^4 persons (year-end), x 100"


def _tiny(den_values, **step):
    df = pd.DataFrame({"unit": ["a", "b", "c"], "period": 2020, "x": [10.0, 20.0, 30.0],
                       "pop": den_values})
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1, "denominator": "pop"}],
                   [{"code": "IDX"}])
    return run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [{"step": "denominate", **step}]},
               framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))


def test_zero_denominator_raises_naming_unit_and_period():
    with pytest.raises(InputError, match=r"x / pop for unit b in 2020"):
        _tiny([1.0, 0.0, 3.0])


def test_zero_denominator_missing_policy_is_reported():
    b = _tiny([1.0, 0.0, 3.0], zero="missing")
    assert b.data("denominated")["x"].tolist()[0] == 10.0
    assert np.isnan(b.data("denominated")["x"].tolist()[1])
    assert any("denominator is zero" in n and "b 2020" in n for n in b.log[0].notes)


def test_missing_denominator_gives_missing_and_is_reported():
    b = _tiny([2.0, np.nan, 3.0])
    assert np.isnan(b.data("denominated").loc[("b", 2020), "x"])
    assert b.data("denominated").loc[("a", 2020), "x"] == 5.0
    assert any("denominator is missing" in n for n in b.log[0].notes)
    assert b.fitted["denominate"]["table"]["missing_denominator"].tolist() == [1]


def test_unknown_denominator_and_indicator():
    with pytest.raises(InputError, match="gdp"):
        _tiny([1.0, 2.0, 3.0], denominators={"x": "gdp"})
    with pytest.raises(InputError, match="nope"):
        _tiny([1.0, 2.0, 3.0], denominators={"nope": "pop"})


def test_step_parameter_can_switch_a_framework_denominator_off():
    b = _tiny([1.0, 2.0, 3.0], denominators={"x": None})
    assert b.data("denominated")["x"].tolist() == [10.0, 20.0, 30.0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(-1e6, 1e6).filter(lambda v: v == 0 or
                                                                abs(v) > 1e-300),
                                    st.just(np.nan)),
                          st.one_of(st.floats(0.5, 1e6), st.just(np.nan))), min_size=1,
                max_size=20), st.floats(0.1, 1e3))
def test_property_ratio_is_scale_free_and_missing_propagates(pairs, k):
    """x/d is unchanged when numerator and denominator are both multiplied by k; a missing
    numerator or denominator always gives a missing ratio, never a number. (Subnormal
    numerators are left out: 5e-324 * 0.5 underflows to 0 before the kernel sees it.)"""
    x = np.array([[p[0] for p in pairs]])
    d = np.array([[p[1] for p in pairs]])
    y = denominate(x, d)
    np.testing.assert_allclose(denominate(x * k, d * k), y, rtol=1e-12)
    assert np.array_equal(np.isnan(y), np.isnan(x) | np.isnan(d))
