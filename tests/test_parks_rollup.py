"""Enterprise roll-up against sums and ratios computed by hand; missing values never count as 0."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gipro import InputError
from gipro.parks import ParkData, rollup, rollup_table

NAN = np.nan

# park A, 2020 -- four enterprises; park B -- nobody reports energy
ENT = pd.DataFrame({
    "park": ["A", "A", "A", "A", "B", "B"],
    "year": [2020] * 6,
    "enterprise": ["e1", "e2", "e3", "e4", "b1", "b2"],
    "value_added": [10, 30, 20, 40, 5, 5],
    "output": [40, 60, 100, 200, 10, 10],
    "energy_tce": [5, 15, NAN, 20, NAN, NAN],
    "water_m3": [100, NAN, 200, 300, 10, 10],
    "wastewater_t": [50, 30, NAN, 20, 1, 1],
    "employees": [2, 3, 5, 10, 1, 1],
    "iso14001": ["yes", "no", None, "yes", "no", "no"],
    "key_enterprise": ["yes", "yes", "no", None, "no", "no"],
    "cp_audit": ["yes", "no", None, None, None, None],
    "wastewater_connected": ["yes", "no", "yes", "yes", "yes", "yes"],
})


@pytest.fixture(scope="module")
def table():
    t, notes = rollup_table(ENT, min_coverage=0.6)
    return t.set_index(["park", "indicator"]), notes


def val(table, park, ind):
    return table[0].loc[(park, ind), "value"]


def cov(table, park, ind):
    return table[0].loc[(park, ind), "coverage"]


def test_sums_by_hand(table):
    assert val(table, "A", "n_enterprises") == 4
    assert val(table, "A", "iva_total") == 10 + 30 + 20 + 40
    assert val(table, "A", "employees_total") == 2 + 3 + 5 + 10
    assert val(table, "A", "output_total") == 400
    # e3 has no energy: the total is not 5 + 15 + 20 = 40 (that would count e3 as 0)
    assert math.isnan(val(table, "A", "energy_total"))
    assert cov(table, "A", "energy_total") == pytest.approx(3 / 4)
    assert table[0].loc[("A", "energy_total"), "n_reporting"] == 3


def test_intensities_by_hand(table):
    # firms reporting both energy and value added: e1, e2, e4 -> 40 / 80
    assert val(table, "A", "energy_per_iva") == pytest.approx(40 / 80)
    assert val(table, "A", "energy_per_iva") != pytest.approx(40 / 100)  # e3 as zero: wrong
    assert val(table, "A", "energy_productivity") == pytest.approx(80 / 40)
    # water: e1, e3, e4 -> 600 m3 / 70 (10k CNY); productivity in CNY/m3 = 1e4 * 70 / 600
    assert val(table, "A", "water_per_iva") == pytest.approx(600 / 70)
    assert val(table, "A", "water_productivity") == pytest.approx(1e4 * 70 / 600)
    assert val(table, "A", "iva_per_capita") == pytest.approx(100 / 20)
    assert cov(table, "A", "water_per_iva") == pytest.approx(3 / 4)


def test_shares_by_hand(table):
    # ISO 14001 flag reported by e1, e2, e4: 2 of 3 certified
    assert val(table, "A", "iso14001_share_firms_pct") == pytest.approx(100 * 2 / 3)
    # output-weighted: (40 + 200) / (40 + 60 + 200)
    assert val(table, "A", "iso14001_share_output_pct") == pytest.approx(100 * 240 / 300)
    # key enterprises: e1, e2 are key, e4's key status is unknown (eligible, not reporting),
    # e3 is not key -> audited 1 of the 2 reporting, coverage 2 of 3 eligible
    assert val(table, "A", "cp_audit_rate_key_pct") == pytest.approx(50.0)
    assert cov(table, "A", "cp_audit_rate_key_pct") == pytest.approx(2 / 3)
    # wastewater volume connected: e1 50 + e4 20 of 50 + 30 + 20 (e3 lacks a volume)
    assert val(table, "A", "wastewater_connected_share_pct") == pytest.approx(70.0)


def test_nobody_reporting_is_missing_not_zero(table):
    assert math.isnan(val(table, "B", "energy_per_iva"))
    assert cov(table, "B", "energy_per_iva") == 0.0
    # no key enterprise in B: the audit rate of key enterprises is undefined
    assert math.isnan(val(table, "B", "cp_audit_rate_key_pct"))


def test_min_coverage_applies():
    t, notes = rollup_table(ENT)  # default 0.8: 3 of 4 firms is not enough
    t = t.set_index(["park", "indicator"])
    assert math.isnan(t.loc[("A", "energy_per_iva"), "value"])
    assert any("below 80% coverage" in n for n in notes)
    with pytest.raises(InputError, match=r"min_coverage must be between 0 and 1, got 1\.5"):
        rollup_table(ENT, min_coverage=1.5)


def test_changes_over_three_years_by_hand():
    # one enterprise: IVA 100 -> 133.1 (+10 %/yr), energy +5 %/yr, CO2 intensity -10 %/yr
    ent = pd.DataFrame({
        "park": "A", "year": [2017, 2020, 2021],
        "value_added": [100.0, 133.1, 120.0],
        "energy_tce": [50.0, 50 * 1.05 ** 3, 60.0],
        "co2_t": [200.0, 2.0 * 0.9 ** 3 * 133.1, 250.0],
        "cod_t": [10.0, 10 * 1.02 ** 3, 11.0],
        "so2_t": [4.0, 4 * 1.04 ** 3, 4.0],
    })
    t, _ = rollup_table(ent)
    t = t.set_index(["year", "indicator"])["value"]
    assert t[(2020, "iva_growth_3y_pct")] == pytest.approx(10.0)
    assert t[(2020, "energy_elasticity")] == pytest.approx(0.5)
    assert t[(2020, "co2_intensity_reduction_pct")] == pytest.approx(10.0)
    # pollutants: COD 0.02/0.10 = 0.2, SO2 0.04/0.10 = 0.4 -> the larger, 0.4
    assert t[(2020, "pollutant_elasticity")] == pytest.approx(0.4)
    # 2021 has no data three years earlier (2018): missing, not zero
    assert math.isnan(t[(2021, "iva_growth_3y_pct")])
    assert math.isnan(t[(2017, "energy_elasticity")])


def test_elasticity_undefined_when_iva_falls():
    ent = pd.DataFrame({"park": "A", "year": [2017, 2020], "value_added": [100.0, 90.0],
                        "energy_tce": [50.0, 40.0]})
    t, notes = rollup_table(ent)
    t = t.set_index(["year", "indicator"])["value"]
    assert t[(2020, "iva_growth_3y_pct")] < 0
    assert math.isnan(t[(2020, "energy_elasticity")])
    assert any("did not grow" in n for n in notes)


def test_incomplete_totals_block_changes():
    ent = pd.DataFrame({"park": "A", "year": [2017, 2020, 2020],
                        "value_added": [100.0, 80.0, 53.1],
                        "energy_tce": [50.0, 30.0, NAN]})
    t, _ = rollup_table(ent)
    t = t.set_index(["year", "indicator"])
    assert t.loc[(2020, "iva_growth_3y_pct"), "value"] == pytest.approx(10.0)
    assert math.isnan(t.loc[(2020, "energy_elasticity"), "value"])
    assert t.loc[(2020, "energy_elasticity"), "coverage"] == pytest.approx(0.5)


def test_land_productivity_uses_park_records():
    ent = pd.DataFrame({"park": "A", "year": [2020], "value_added": [250000.0]})
    rec = ParkData.from_long(pd.DataFrame({"park": "A", "year": 2020,
                                           "indicator": ["industrial_land_km2"],
                                           "value": [5.0]}))
    data = rec.combine(rollup(ent, park_records=rec))
    v = data.values.set_index("indicator")["value"]
    # 250000 (10k CNY) = 25 (100m CNY) over 5 km2 = 5 (100m CNY/km2)
    assert v["iva_per_industrial_land"] == pytest.approx(5.0)


@pytest.mark.parametrize("column,bad,match", [
    ("energy_tce", -1.0, "negative"),
    ("energy_tce", "lots", "non-numeric"),
    ("iso14001", "perhaps", "neither yes nor no"),
])
def test_bad_enterprise_records_are_named(column, bad, match):
    ent = ENT.copy().astype({column: object})
    ent.loc[0, column] = bad
    with pytest.raises(InputError, match=match):
        rollup_table(ent)


def test_utilisation_above_generation_is_an_error():
    ent = pd.DataFrame({"park": "A", "year": [2020], "solid_waste_t": [1.0],
                        "solid_waste_used_t": [2.0]})
    with pytest.raises(InputError, match="exceeds"):
        rollup_table(ent)


def test_column_mapping_and_coverage_kept():
    ent = ENT.rename(columns={"value_added": "IVA", "energy_tce": "E"})
    data = rollup(ent, columns={"IVA": "value_added", "E": "energy_tce"}, min_coverage=0.6)
    assert data.coverage is not None and "coverage" in data.coverage
    w = data.values.set_index(["park", "indicator"])["value"]
    assert w[("A", "energy_per_iva")] == pytest.approx(0.5)
    assert ("A", "energy_total") not in w.index  # missing totals are absent, not 0


def test_example_rollup_matches_a_plain_groupby():
    """The shipped example: energy per IVA recomputed with a plain pandas groupby."""
    from gipro.datasets import parks_example, parks_example_enterprises

    ent = parks_example_enterprises()
    data = parks_example()
    ok = ent.dropna(subset=["energy_tce", "value_added"])
    expected = ok.groupby(["park", "year"])["energy_tce"].sum() / ok.groupby(
        ["park", "year"])["value_added"].sum()
    got = data.values[data.values["indicator"] == "energy_per_iva"].set_index(
        ["park", "year"])["value"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False,
                                   rtol=1e-12)
    # 8 PARK-N firms lack energy data in 2023: the total is missing, the coverage says why
    cov = data.coverage.set_index(["park", "year", "indicator"])
    assert math.isnan(cov.loc[("PARK-N", 2023, "energy_total"), "value"])
    assert cov.loc[("PARK-N", 2023, "energy_total"), "coverage"] == pytest.approx(62 / 70)
