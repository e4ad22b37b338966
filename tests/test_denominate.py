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

from gipro import Framework, InputError, MethodError, Panel, datasets, run
from gipro.methods.denominate import denominate


def test_kernel_by_hand():
    y = denominate(np.array([[6.0, 1.0, np.nan, 4.0]]), np.array([[3.0, np.nan, 2.0, 0.0]]),
                   10.0, zero="missing")
    assert y[0, 0] == 20.0 and np.isnan(y[0, 1:]).all()


def test_kernel_scales_per_indicator_signs_and_refusals():
    """Hand: (-6, 30) / (3, 2000) x (1, 1000) = (-2, 15): a negative numerator keeps its sign.
    A zero denominator with a missing numerator is no error (the ratio is missing anyway);
    with an observed numerator it is refused, naming the indicator and position."""
    y = denominate(np.array([[-6.0, 30.0]]), np.array([[3.0, 2000.0]]), np.array([1.0, 1000.0]))
    assert y.tolist() == [[-2.0, 15.0]]
    z = denominate(np.array([[np.nan, 1.0]]), np.array([[0.0, 4.0]]))
    assert np.isnan(z[0, 0]) and z[0, 1] == 0.25
    with pytest.raises(MethodError, match=r"denominator is zero for indicator b at position "
                                          r"\(0, 1\)"):
        denominate(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]]), names=["a", "b"])
    with pytest.raises(MethodError, match=r"denominator is zero for indicator 1 at position "
                                          r"\(0, 1\)"):
        denominate(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]]))
    with pytest.raises(MethodError, match=r"zero must be 'error' or 'missing', got 'skip'"):
        denominate(np.ones((1, 2)), np.ones((1, 2)), zero="skip")
    with pytest.raises(MethodError, match=r"denominator shape \(1, 1\) does not match "
                                          r"indicators \(1, 2\)"):
        denominate(np.ones((1, 2)), np.ones((1, 1)))
    with pytest.raises(MethodError, match=r"scale factors must be finite numbers"):
        denominate(np.ones((1, 2)), np.ones((1, 2)), np.array([1.0, np.inf]))


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
    assert tab["result_unit"] == "Mt CO2 / population (10^4 persons (year-end)) x 100"
    assert b.fitted["denominate"]["units"] == {
        "co2_total": "Mt CO2 / population (10^4 persons (year-end)) x 100"}


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
    assert b.log[0].notes[0].startswith("denominated 1 indicators: ")  # the summary first


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


# ---------------------------------------------------------------- units after denomination
def _ratio_build(x, pop, *, direction=1, step=None, steps=()):
    """x (unit "t") / pop (stated "persons") for units a, b, c in 2020, then ``steps``."""
    df = pd.DataFrame({"unit": ["a", "b", "c"], "period": 2020, "x": x, "pop": pop})
    fw = Framework([{"code": "x", "parent": "IDX", "direction": direction, "unit": "t",
                     "denominator": "pop"}], [{"code": "IDX"}])
    den = {"step": "denominate", "denominator_units": {"pop": "persons"}, **(step or {})}
    return run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [den, *steps]},
               framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))


def test_units_follow_the_data_sets():
    """Hand: x in t divided by pop in persons is 't / pop (persons)' from the denominated
    data set on (treat and impute keep it), a score after normalise; the framework's unit
    stays the raw one."""
    from gipro.units import current_units, units_by_dataset

    b = _ratio_build([1.0, 4.0, 9.0], [1.0, 2.0, 3.0],
                     steps=[{"step": "impute", "method": "mean"},
                            {"step": "normalise"}, {"step": "aggregate"}])
    u = units_by_dataset(b)
    assert u["raw"] == {"x": "t"}
    assert u["denominated"] == u["imputed"] == {"x": "t / pop (persons)"}
    assert u["normalised"] == {"x": "score (normalised)"}
    assert u["aggregated"] == {"x": "score (normalised)", "IDX": "score"}
    assert current_units(b) == u["aggregated"]
    assert b.framework.node("x").unit == "t"
    with pytest.raises(InputError, match="no data set 'nope'"):
        current_units(b, "nope")
    # a disabled denominate step changes nothing
    off = b.with_step("denominate", disable=True).run()
    assert units_by_dataset(off)["denominated"] == {"x": "t"}


def test_result_units_from_the_recipe():
    b = _ratio_build([1.0, 4.0, 9.0], [1.0, 2.0, 3.0],
                     step={"scale": 1000, "result_units": {"x": "kg per person"}})
    assert b.fitted["denominate"]["units"] == {"x": "kg per person"}
    tab = b.fitted["denominate"]["table"].iloc[0]
    assert tab["result_unit"] == "kg per person" and tab["indicator_unit"] == "t"
    assert any("kg per person" in n for n in b.log[0].notes)
    with pytest.raises(InputError, match=r"result_units given for indicators this step does "
                                         r"not denominate: \['y'\]"):
        _ratio_build([1.0, 4.0, 9.0], [1.0, 2.0, 3.0], step={"result_units": {"y": "kg"}})


def test_constant_ratio_message_prints_the_denominated_unit():
    """Hand: x = 2, 4, 6 t and pop = 1, 2, 3 persons: every ratio is 2 t per person, so min-max
    refuses the constant indicator; the message gives the ratio's unit, not 't'."""
    from gipro import MethodError

    with pytest.raises(MethodError) as err:
        _ratio_build([2.0, 4.0, 6.0], [1.0, 2.0, 3.0],
                     steps=[{"step": "normalise"}, {"step": "aggregate"}])
    assert ("indicator x (t / pop (persons)) has the same value 2 for every unit"
            in err.value.details[0])


def test_inverse_question_reads_the_denominated_unit():
    """Hand: ratios 1, 2, 3 t per person, lower is better, min-max onto [0, 100]: c (ratio 3)
    scores 0 and score = (3 - r) / 2 x 100. Score 60 needs r = 1.8: with a feasible range
    [2, inf] it is unreachable, and the reason names the ratio's unit; without, reachable
    (value_unit the ratio's unit). Score 200 is beyond the scale (0 to 100: r between 3 and
    1), said as such."""
    from gipro.scenario import required_change

    b = _ratio_build([1.0, 4.0, 9.0], [1.0, 2.0, 3.0], direction=-1,
                     steps=[{"step": "normalise", "range": [0, 100]}, {"step": "aggregate"}])
    r = required_change(b, "c", score=60, period=2020, verify=False,
                        domains={"x": (2.0, None)}).iloc[0]
    assert r["status"] == "unreachable"
    assert r["reason"] == ("would need x = 1.8 t / pop (persons), outside its feasible range "
                           "[2, inf]")
    r = required_change(b, "c", score=200, period=2020, verify=False).iloc[0]
    assert r["status"] == "unreachable" and r["reason"].startswith(
        "beyond the baseline scale: 200 is outside the scores IDX can take for c with the "
        "baseline's bounds (0 to 100")
    r = required_change(b, "c", score=60, period=2020).iloc[0]
    assert r["value_now"] == 3.0 and r["value_needed"] == pytest.approx(1.8, rel=1e-13)
    assert r["value_unit"] == "t / pop (persons)" and bool(r["verified"])


def test_report_and_workbook_show_the_unit_used(tmp_path):
    """The methodology appendix and the workbook's framework sheet give the raw unit and, when
    a step changed it, the unit of the values normalised."""
    from gipro.report import report_for_build, write_excel

    b = _ratio_build([1.0, 4.0, 9.0], [1.0, 2.0, 3.0],
                     steps=[{"step": "normalise"}, {"step": "aggregate"}])
    html = report_for_build(b, progress=False, profiles=False).to_html()
    assert "Unit of the values normalised" in html and "t / pop (persons)" in html
    fw = pd.read_excel(write_excel(tmp_path / "u.xlsx", b, progress=False),
                       sheet_name="framework").set_index("code")
    assert fw.loc["x", "unit"] == "t" and fw.loc["x", "unit_used"] == "t / pop (persons)"
    plain = run()  # nothing denominated: no extra column
    assert "unit_used" not in pd.read_excel(write_excel(tmp_path / "p.xlsx", plain,
                                                        progress=False),
                                            sheet_name="framework").columns


def test_asem_units_after_denomination(shared_dir):
    """ASEM (COINr's reference build from raw data): Services is 'Million USD' in COINr's
    iMeta and is denominated by GDP (stated USD bn in examples/asem/recipe.yaml), so from the
    denominated data set on its unit is the ratio's; COINr's treatment summary transforms no
    indicator (winsorisation only), so treatment keeps every unit; an indicator without a
    denominator keeps its raw unit."""
    import importlib.util
    from pathlib import Path

    import gipro
    from gipro.units import units_by_dataset

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("build_asem",
                                                  root / "examples" / "asem" / "build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    b = gipro.Build(mod.recipe_for(shared_dir / "data" / "coinr_asem")).run()
    u = units_by_dataset(b)
    assert u["raw"]["Services"] == "Million USD"
    assert u["denominated"]["Services"] == "Million USD / Den_GDP (USD bn)"
    assert u["treated"] == u["imputed"] == u["denominated"]
    undenominated = [n.code for n in b.framework.indicators if not n.denominator]
    assert undenominated and all(u["denominated"][c] == u["raw"][c] for c in undenominated)
    assert set(u["normalised"].values()) == {"score (normalised)"}


def test_transformed_indicator_unit_is_marked():
    """Hand: x = 1, 2, 1, 2, 1, 2, 1, 2, 1, 100 is far beyond the skew (2) and kurtosis (3.5)
    limits, and with winmax 0 the COINr rule goes straight to the log fallback: its values
    are then no longer in t. y = 0..9 passes the check and keeps its unit."""
    from gipro.units import units_by_dataset

    df = pd.DataFrame({"unit": [f"u{i}" for i in range(10)], "period": 2020,
                       "x": [1.0, 2, 1, 2, 1, 2, 1, 2, 1, 100], "y": np.arange(10.0)})
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1, "unit": "t"},
                    {"code": "y", "parent": "IDX", "direction": 1, "unit": "m"}],
                   [{"code": "IDX"}])
    b = run({"framework": "x", "data": {"dataset": "china_provinces"},
             "steps": [{"step": "treat", "winmax": 0}, {"step": "normalise"},
                       {"step": "aggregate"}]},
            framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))
    assert units_by_dataset(b)["treated"] == {"x": "t, transformed by treat", "y": "m"}


def test_zero_denominators_listed_up_to_ten_cells():
    """Twelve units with a zero denominator: all counted, the first ten named, then the
    hint."""
    units = [f"u{i:02d}" for i in range(12)]
    df = pd.DataFrame({"unit": units, "period": 2020, "x": 1.0, "pop": 0.0})
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1, "denominator": "pop"}],
                   [{"code": "IDX"}])
    with pytest.raises(InputError, match=r"zero denominator \(12 values\)") as e:
        run({"framework": "x", "data": {"dataset": "china_provinces"},
             "steps": [{"step": "denominate"}]},
            framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))
    assert e.value.details[:10] == [f"x / pop for unit {u} in 2020" for u in units[:10]]
    assert len(e.value.details) == 11 and e.value.details[-1].startswith("fix the denominator")


def test_negative_denominators_named_up_to_five_then_counted():
    """Seven units with a negative denominator: the message names the first five cells and
    counts the other two."""
    units = [f"u{i}" for i in range(7)]
    df = pd.DataFrame({"unit": units, "period": 2020, "x": 1.0, "pop": -2.0})
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1, "denominator": "pop"}],
                   [{"code": "IDX"}])
    named = "; ".join(f"x / pop for {u} in 2020 \\(-2\\)" for u in units[:5])
    with pytest.raises(InputError, match=rf"^step 'denominate': negative denominator \(7 "
                                         rf"values\): {named} and 2 more\n"):
        run({"framework": "x", "data": {"dataset": "china_provinces"},
             "steps": [{"step": "denominate"}]},
            framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))


def test_indicator_without_a_unit_and_a_step_without_denominators():
    """x has no unit in the framework or the data: the table says so. A framework without
    denominators leaves the data unchanged and the log says why."""
    b = _tiny([2.0, 4.0, 5.0])
    row = b.fitted["denominate"]["table"].iloc[0]
    assert (row["indicator"], row["indicator_unit"]) == ("x", "unit not stated")
    df = pd.DataFrame({"unit": ["a", "b"], "period": 2020, "x": [1.0, 2.0]})
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    none = run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [{"step": "denominate"}]},
               framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))
    assert none.data("denominated")["x"].tolist() == [1.0, 2.0]
    assert none.log[0].notes == [
        "no indicator has a denominator (framework field 'denominator' or step parameter "
        "'denominators'): data unchanged"]
