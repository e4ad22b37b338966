"""Park frameworks as data (faithful to the shared tables), green index, crosswalk, park26, CLI."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gipro import InputError, MethodError, load_framework
from gipro.cli import app
from gipro.parks import (
    ParkData,
    coverage_report,
    crosswalk,
    example,
    green_index,
    load_catalogue,
    load_park_framework,
    park26,
    scorecard,
)
from gipro.parks.gi import _window
from park_cases import gi_fw

FILES = {"hj274": "hj274_2015.csv", "miit": "miit_green_park_2016.csv", "eip": "eip_v2.csv"}


@pytest.fixture(scope="module")
def data():
    return example()


# ---------------------------------------------------------------- frameworks vs shared CSVs
@pytest.mark.parametrize("code", sorted(FILES))
def test_yaml_is_faithful_to_the_shared_table(shared_dir, code):
    """Every row and column of the shared CSV is in the YAML, unverified flags included."""
    with open(shared_dir / "frameworks" / FILES[code], encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["code"].endswith("STRUCT")]
    fw = load_park_framework(code)
    assert [r.code for r in fw.requirements] == [r["code"] for r in rows]
    for row in rows:
        r = fw.requirement(row["code"])
        assert r.name.en == row["name_en"]
        # the Chinese name is the table's; the EIP framework (English only) has gipro's
        # translation (scripts/convert_park_frameworks.py EIP_NAME_ZH), used as a label
        assert (r.name.zh or "") == row["name_zh"] or (code == "eip" and not row["name_zh"]
                                                       and r.name.zh)
        assert (r.unit or "") == row["unit"] and r.comparator == row["comparator"]
        assert (r.threshold_text or "") == row["threshold"]
        assert r.status_text == row["status"]
        assert (r.source or "") == row["source_url"]
        assert r.verified == (row["verified"] == "yes")
        assert (r.note or "").startswith(row["notes"])
        assert fw.category_name(r.category) == row["category"]
        assert (r.topic or "") == row["topic"]
        if r.group:
            assert fw.group(r.group).description == row["group_rule"]
        # parsed threshold agrees with the text (numbers)
        if isinstance(r.threshold, float) and row["threshold"].replace(".", "").isdigit():
            assert r.threshold == float(row["threshold"])
        if row["status"].endswith("?"):
            assert r.status_uncertain


def test_framework_counts_and_rules():
    hj = load_park_framework("hj274")
    assert len(hj.requirements) == 32 and not hj.verdict.optional_rule_known
    assert {g.code: g.at_least for g in hj.groups} == {
        "HJ-ECON": 1, "HJ-LAND": 1, "HJ-ENERGY": 1, "HJ-WATER": 1}
    assert sum(not r.verified for r in hj.requirements) == 32
    miit = load_park_framework("miit")
    assert sum(r.status == "prerequisite" for r in miit.requirements) == 7
    assert all(r.verified for r in miit.requirements if r.category == "BR")
    eip = load_park_framework("eip")
    assert all(r.threshold is None for r in eip.requirements)
    assert not any(r.verified for r in eip.requirements)


def test_unknown_framework_file(tmp_path):
    with pytest.raises(InputError, match="neither built in"):
        load_park_framework(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- green index
def gi_data(**values):
    return ParkData.from_long(pd.DataFrame({"park": "A", "year": 2020,
                                            "indicator": list(values),
                                            "value": list(values.values())}))


def test_green_index_by_hand():
    # ratios: 3/4 = 0.75; 5/2 = 2.5 -> cap 1; -1.5/3 = -0.5 -> floor 0; wwtp yes -> 1
    # GI = 100 * (0.75 + 1 + 0 + 1) / 4 = 68.75
    d = gi_data(energy_productivity=3.0, wastewater_per_iva=2.0,
                co2_intensity_reduction_pct=-1.5, central_wwtp="yes")
    g = green_index(d, gi_fw())
    assert g.scores["gi"].item() == pytest.approx(68.75)
    assert g.scores["n_indicators"].item() == 4 and not g.scores["verified"].item()
    r = g.ratios.set_index("requirement")
    assert bool(r.loc["2", "capped"]) and bool(r.loc["3", "floored"])
    # no cap, no floor: (0.75 + 2.5 - 0.5 + 1) / 4 = 0.9375
    g = green_index(d, gi_fw(), cap=None, floor=None)
    assert g.scores["gi"].item() == pytest.approx(93.75)
    # linear mirror for lower-is-better: 2 - 2/5 = 1.6, uncapped: (0.75+1.6+0+1)/4
    g = green_index(d, gi_fw(), cap=None, lower_better="linear")
    assert g.scores["gi"].item() == pytest.approx(100 * (0.75 + 1.6 + 0 + 1) / 4)
    # qualitative items excluded: (0.75 + 1 + 0) / 3
    g = green_index(d, gi_fw(), qualitative="exclude")
    assert g.scores["gi"].item() == pytest.approx(100 * 1.75 / 3)


def test_green_index_missing_mandatory_is_missing_not_zero():
    g = green_index(gi_data(energy_productivity=3.0, central_wwtp="yes"), gi_fw())
    assert math.isnan(g.scores["gi"].item())
    assert g.scores["missing_mandatory"].item() == "2"


def test_green_index_zero_value_needs_cap():
    d = gi_data(energy_productivity=3.0, wastewater_per_iva=0.0, central_wwtp="no")
    assert green_index(d, gi_fw()).scores["gi"].item() == pytest.approx(100 * 1.75 / 3)
    with pytest.raises(MethodError, match=r"is 0 for park A"):
        green_index(d, gi_fw(), cap=None)


def test_green_index_needs_leading_values():
    with pytest.raises(InputError, match="leading values"):
        green_index(gi_data(energy_productivity=3.0), "hj274")


def test_green_index_window_three_consecutive_years():
    scores = pd.DataFrame({"data_status": "x", "park": ["A"] * 5 + ["B"] * 5,
                           "year": list(range(2018, 2023)) * 2,
                           "gi": [np.nan, 50, 60, 70, np.nan, 1, 2, np.nan, 4, 5]})
    w = _window(scores).set_index("park")
    assert w.loc["A", "window"] == "2019-2021" and w.loc["A", "trend"] == "rising"
    assert w.loc["A", "gi_mean"] == pytest.approx(60.0)
    assert not w.loc["B", "three_consecutive_years"] and w.loc["B", "window"] == "none"


def test_green_index_on_example(data):
    g = green_index(data)
    assert set(g.window["window"]) == {"2021-2023"}
    assert (g.scores["data_status"] == "SYNTHETIC").all()
    assert g.scores["gi"].dropna().between(0, 100).all()


# ---------------------------------------------------------------- crosswalk and coverage
def test_crosswalk_maps_every_item_to_the_catalogue():
    cw = crosswalk()
    assert set(cw["framework"]) == {"eip", "hj274", "miit", "park26"}
    assert cw["indicator"].isin(load_catalogue().codes).all()
    assert len(cw) == 22 + 32 + 40 + 26


def test_coverage_report_names_what_is_missing():
    d = ParkData.from_long(pd.DataFrame({"park": "A", "year": [2020, 2021],
                                         "indicator": "water_per_iva", "value": [7.0, None]}))
    summary, missing = coverage_report(d, ["hj274", "park26"])
    s = summary.set_index("framework")
    assert s.loc["hj274", "items_in_data"] == 1 and s.loc["hj274", "items_fully_covered"] == 0
    assert s.loc["park26", "items_in_data"] == 0
    m = missing.set_index(["framework", "item"])
    assert m.loc[("hj274", "HJ-11"), "how_to_get"] == "enterprise records: energy_tce, value_added"
    assert "park-level record" in m.loc[("hj274", "HJ-22"), "how_to_get"]


# ---------------------------------------------------------------- park26
def test_park26_framework_design():
    fw = load_framework("park26")
    assert len(fw.indicator_codes) == 26
    assert fw.children("PARK26") == ["ECO", "ENV", "SOC", "ERE", "MGT"]
    assert [len(fw.children(d)) for d in fw.children("PARK26")] == [5, 6, 5, 6, 4]
    cat = load_catalogue()
    for node in fw.indicators:
        ind = cat.get(node.code)
        assert ind.kind == "number" and node.unit == ind.unit and node.direction == ind.direction
        assert node.source.startswith("basis: ")


def test_park26_scores_recomputed_independently(data):
    """Min-max over all park-years, direction applied, means renormalised over available."""
    b = park26(data)
    fw = b.framework
    w = data.wide().set_index(["park", "year"])
    scores = {}
    for code in fw.indicator_codes:
        x = pd.to_numeric(w[code]) * fw.node(code).direction
        scores[code] = 100 * (x - x.min()) / (x.max() - x.min())
    norm = pd.DataFrame(scores)
    dims = {d: norm[fw.children(d)].mean(axis=1) for d in fw.children("PARK26")}
    index = pd.DataFrame(dims).mean(axis=1)
    res = b.results().set_index(["unit", "period", "code"])["score"]
    for park, year in [("PARK-S", 2023), ("PARK-C", 2018), ("PARK-S", 2022), ("PARK-N", 2021)]:
        assert res[(park, year, "PARK26")] == pytest.approx(index[(park, year)], abs=1e-9)
        for d in dims:
            assert res[(park, year, d)] == pytest.approx(dims[d][(park, year)], abs=1e-9)
    card = scorecard(b, data)
    last = card[card["year"] == 2023]
    assert last["PARK26_rank"].tolist() == [1, 2, 3]
    assert (card["data_status"] == "SYNTHETIC").all()


def test_park26_needs_its_indicators():
    d = ParkData.from_long(pd.DataFrame({"park": ["A", "B"], "year": 2020,
                                         "indicator": "water_per_iva", "value": [7.0, 8.0]}))
    with pytest.raises(InputError, match="not in the data"):
        park26(d)


# ---------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_assess_example(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["assess", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("SYNTHETIC example data")
    assert "thresholds UNVERIFIED" in text and "Park-26 scorecard" in text
    assert "green index GI (UNVERIFIED" in text
    assert "skipped" not in text and (out / "park26_scorecard.csv").exists()  # all served
    csvs = sorted(out.glob("*.csv"))
    assert len(csvs) >= 20
    for p in csvs:
        df = pd.read_csv(p)
        assert "data_status" in df.columns, p.name
        assert set(df["data_status"].dropna()) <= {"SYNTHETIC"}, p.name
    assert (out / "README.txt").read_text(encoding="utf-8").startswith("SYNTHETIC")


def test_cli_assess_user_folder(tmp_path):
    folder = tmp_path / "mypark"
    folder.mkdir()
    pd.DataFrame({"park": "P1", "year": 2022,
                  "indicator": ["central_wwtp", "major_env_emergencies"],
                  "value": ["yes", 0]}).to_csv(folder / "indicators.csv", index=False)
    pd.DataFrame({"park": ["P1"], "water_scarce": ["yes"]}).to_csv(folder / "parks.csv",
                                                                     index=False)
    pd.DataFrame({"park": "P1", "year": 2022, "value_added": [10.0, 20.0],
                  "energy_tce": [3.0, 6.0]}).to_csv(folder / "enterprises.csv", index=False)
    out = tmp_path / "o"
    result = runner.invoke(app, ["assess", str(folder), "-f", "hj274", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" not in result.output
    req = pd.read_csv(out / "hj274_requirements.csv").set_index("requirement")
    assert req.loc["HJ-11", "value"] == pytest.approx(0.3)  # 9 tce / 30 (10k CNY)
    assert req.loc["HJ-11", "outcome"] == "met" and req.loc["HJ-22", "outcome"] == "met"
    assert req.loc["HJ-01", "outcome"] == "no data"
    assert set(req["data_status"]) == {"user data"}
    cov = pd.read_csv(out / "coverage.csv")
    assert cov["items_in_data"].item() < 32


def test_cli_assess_errors(tmp_path):
    # an invalid option value is a usage error (exit 2), as every invalid option value
    result = runner.invoke(app, ["assess", "--framework", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "'nope' is not one of" in result.output
    result = runner.invoke(app, ["assess", str(tmp_path / "missing.csv"), "--out",
                                 str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_cli_assess_all_skips_park26_when_its_data_are_absent(tmp_path):
    """New-user trial: a 2-park file without the park26 indicators used to stop `gipro
    assess` (default -f all) half way, with no README.txt and nothing printed. Now park26
    is skipped with a note and HJ/MIIT/EIP complete; -f park26 is still an error. The
    solid-waste utilisation of P1 is a fraction (0.96), warned about in the summary."""
    folder = tmp_path / "mypark"
    folder.mkdir()
    (folder / "indicators.csv").write_text(
        "park,year,iva_per_capita,energy_per_iva,solid_waste_utilisation_pct,central_wwtp\n"
        "P1,2023,18.5,0.32,0.96,yes\nP2,2023,9.2,0.71,81,no\n", encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["assess", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "note: park26 scorecard skipped: the data lack 24 of its 26 indicators" in text
    assert "WARNING: solid_waste_utilisation_pct is in % but every value of P1" in text
    for fw_code in ("eip", "hj274", "miit"):
        assert (out / f"{fw_code}_verdicts.csv").exists()
    assert not (out / "park26_scorecard.csv").exists()
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "note: park26 scorecard skipped" in readme and "WARNING hj274:" in readme
    cov = pd.read_csv(out / "coverage.csv").set_index("framework")
    assert "park26" in cov.index  # what park26 would need is still reported
    req = pd.read_csv(out / "hj274_requirements.csv").set_index(["park", "requirement"])
    assert req.loc[("P1", "HJ-06"), "outcome"] == "not met"  # the number as given
    assert "within [0, 1]" in req.loc[("P1", "HJ-06"), "check"]
    result = runner.invoke(app, ["assess", str(folder), "-f", "park26", "--out",
                                 str(tmp_path / "o2")])
    assert result.exit_code == 1 and "do not match park26" in result.output

