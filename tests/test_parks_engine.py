"""Compliance engine: every comparator, status, k-of-n rule and the prerequisite gate, by hand.

Expected values are hand calculations written next to each case (gap = distance to the
threshold in the indicator's unit, gap_pct = 100 * gap / |threshold|, partly met when
0 < gap_pct <= 10 with the default tolerance 0.10).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gipro import FrameworkError, InputError
from gipro.parks import ParkData, assess, park_framework_from_dict


def fw(requirements, groups=(), verdict=None, categories=("C",), **extra):
    data = {"code": "t", "name": "test", "categories": [{"code": c, "name": c}
                                                       for c in categories],
            "requirements": list(requirements), "groups": list(groups), **extra}
    if verdict:
        data["verdict"] = verdict
    return park_framework_from_dict(data)


def req(code, indicator, comparator, threshold=None, status="mandatory", **kw):
    return {"code": code, "name": code, "category": "C", "indicator": indicator,
            "comparator": comparator, "threshold": threshold, "status": status,
            "verified": kw.pop("verified", True), **kw}


def data_of(values: dict, park="P", year=2020, parks=None):
    rows = [{"park": park, "year": year, "indicator": k, "value": v} for k, v in values.items()]
    return ParkData.from_long(pd.DataFrame(rows), parks=parks)


def one(framework, values, **kw):
    a = assess(framework, data_of(values), **kw)
    return a, a.requirements.set_index("requirement")


# ---------------------------------------------------------------- comparators
@pytest.mark.parametrize("comparator,threshold,value,outcome,gap,gap_pct", [
    # >= 70: 72 met; 65 -> gap 5, 7.14 % -> partly; 60 -> gap 10, 14.29 % -> not met
    (">=", 70, 72.0, "met", 0.0, 0.0),
    (">=", 70, 70.0, "met", 0.0, 0.0),
    (">=", 70, 65.0, "partly met", 5.0, 100 * 5 / 70),
    (">=", 70, 60.0, "not met", 10.0, 100 * 10 / 70),
    # > 70: equality is not enough (gap 0, within the band -> partly met)
    (">", 70, 70.0, "partly met", 0.0, 0.0),
    (">", 70, 70.5, "met", 0.0, 0.0),
    # <= 0.5 tce/10k CNY: 0.54 -> gap 0.04 (8 %) partly; 0.6 -> 0.1 (20 %) not met
    ("<=", 0.5, 0.5, "met", 0.0, 0.0),
    ("<=", 0.5, 0.54, "partly met", 0.04, 8.0),
    ("<=", 0.5, 0.6, "not met", 0.1, 20.0),
    # < 0.6: 0.6 itself fails (gap 0, partly); 0.7 -> gap 0.1, 16.7 %
    ("<", 0.6, 0.59, "met", 0.0, 0.0),
    ("<", 0.6, 0.6, "partly met", 0.0, 0.0),
    ("<", 0.6, 0.7, "not met", 0.1, 100 * 0.1 / 0.6),
    # == 100 %: 95 -> |gap| 5 (5 %) partly; 80 -> 20 (20 %) not met
    ("==", 100, 100.0, "met", 0.0, 0.0),
    ("==", 100, 95.0, "partly met", 5.0, 5.0),
    ("==", 100, 80.0, "not met", 20.0, 20.0),
    # == 0 events: relative gap undefined -> met or not met only
    ("==", 0, 0.0, "met", 0.0, math.nan),
    ("==", 0, 1.0, "not met", 1.0, math.nan),
    # between [20, 30]: 25 met; 19 -> 1 below 20 (5 %) partly; 36 -> 6 above 30 (20 %)
    ("between", [20, 30], 25.0, "met", 0.0, 0.0),
    ("between", [20, 30], 19.0, "partly met", 1.0, 5.0),
    ("between", [20, 30], 36.0, "not met", 6.0, 20.0),
])
def test_numeric_comparators(comparator, threshold, value, outcome, gap, gap_pct):
    f = fw([req("R", "green_cover_pct", comparator, threshold)])
    _, r = one(f, {"green_cover_pct": value})
    row = r.loc["R"]
    assert row["outcome"] == outcome
    assert row["gap"] == pytest.approx(gap, abs=1e-12)
    if math.isnan(gap_pct):
        assert math.isnan(row["gap_pct"])
    else:
        assert row["gap_pct"] == pytest.approx(gap_pct, abs=1e-9)


@pytest.mark.parametrize("value,outcome", [("yes", "met"), ("no", "not met"),
                                           ("是", "met"), ("absent", "not met")])
def test_present_comparator(value, outcome):
    f = fw([req("W", "central_wwtp", "present")])
    _, r = one(f, {"central_wwtp": value})
    assert r.loc["W", "outcome"] == outcome
    assert r.loc["W", "value_label"] == ("yes" if outcome == "met" else "no")
    assert math.isnan(r.loc["W", "gap_pct"])


@pytest.mark.parametrize("value,outcome", [("compliant", "met"), ("Compliant ", "met"),
                                           ("non-compliant", "not met")])
def test_category_comparator(value, outcome):
    f = fw([req("K", "key_pollutants_compliance", "==", "compliant")])
    _, r = one(f, {"key_pollutants_compliance": value})
    assert r.loc["K", "outcome"] == outcome


def test_tolerance_is_configurable_and_per_requirement():
    # 0.54 vs <= 0.5: gap 8 % -> partly at 10 %, not met at 5 %; a requirement's own
    # tolerance (0.2) overrides the assessment's
    f = fw([req("A", "energy_per_iva", "<=", 0.5),
            req("B", "water_per_iva", "<=", 8, tolerance=0.2)])
    _, r = one(f, {"energy_per_iva": 0.54, "water_per_iva": 9.5}, tolerance=0.05)
    assert r.loc["A", "outcome"] == "not met"
    assert r.loc["B", "outcome"] == "partly met"  # gap 1.5 = 18.75 % <= 20 %
    with pytest.raises(InputError, match=r"tolerance must be a share of the threshold, 0 <= "
                                         r"tolerance < 1; got -0\.1"):
        assess(f, data_of({"energy_per_iva": 1.0}), tolerance=-0.1)


# ---------------------------------------------------------------- outcomes without a decision
def test_no_data_no_threshold_not_applicable():
    f = fw([req("D", "green_cover_pct", ">=", 15),
            req("T", "iso14001_share_firms_pct", ">=", None),
            req("N", "reclaimed_water_reuse_pct", ">=", 20,
                applies_when={"water_scarce": [True]}),
            req("X", None, "present")])
    parks = pd.DataFrame({"park": ["P"], "water_scarce": ["no"]})
    a = assess(f, data_of({"iso14001_share_firms_pct": 60.0,
                           "reclaimed_water_reuse_pct": 5.0}, parks=parks))
    r = a.requirements.set_index("requirement")["outcome"]
    assert r.to_dict() == {"D": "no data", "T": "no threshold (unverified)",
                           "N": "not applicable", "X": "no data"}
    # missing data is never a failure, but it is never a pass either
    assert a.verdicts["outcome"].item() == "undetermined"


def test_context_variant_selects_threshold():
    f = fw([req("H16", "reclaimed_water_reuse_pct", ">=", 20,
                applies_when={"water_scarce": [True]},
                variants=[{"when": {"region": ["Beijing-Tianjin-Hebei"]}, "threshold": 30}])])
    parks = pd.DataFrame({"park": ["BJ", "XA", "GZ", "UNK"],
                          "region": ["Beijing-Tianjin-Hebei", "Northwest", "South", "North"],
                          "water_scarce": [True, True, False, None]})
    rows = [{"park": p, "year": 2020, "indicator": "reclaimed_water_reuse_pct", "value": 25.0}
            for p in parks["park"]]
    a = assess(f, ParkData.from_long(pd.DataFrame(rows), parks=parks))
    r = a.requirements.set_index("park")
    # BJ: 25 vs 30 -> gap 5 (16.7 %) not met; XA: 25 >= 20 met; GZ: not water-scarce
    assert r.loc["BJ", "threshold"] == "30" and r.loc["BJ", "outcome"] == "not met"
    assert r.loc["BJ", "threshold_basis"].startswith("variant: region=")
    assert r.loc["XA", "threshold"] == "20" and r.loc["XA", "outcome"] == "met"
    assert r.loc["GZ", "outcome"] == "not applicable"
    # unknown water_scarce: applicability cannot be decided -> no data, never a guess
    assert r.loc["UNK", "outcome"] == "no data"


# ---------------------------------------------------------------- statuses and the verdict
PERF = {"energy_per_iva": 0.3, "water_per_iva": 5.0, "green_cover_pct": 30.0}


def eip_like():
    return fw(
        [req("P1", "management_entity", "present", status="prerequisite"),
         req("P2", "env_law_compliance", "present", status="prerequisite"),
         req("M1", "energy_per_iva", "<=", 0.5),
         req("M2", "water_per_iva", "<=", 8),
         req("O1", "green_cover_pct", ">=", 15, status="optional"),
         req("E1", "renewable_facilities", "present", status="encouraged")],
        verdict={"pass_label": "EIP", "fail_label": "not an EIP", "verified": True},
        structure_verified=True)


def test_passes_every_performance_requirement_but_fails_one_prerequisite():
    """Every mandatory and optional item met, one prerequisite not met: not an EIP."""
    a, r = one(eip_like(), {**PERF, "management_entity": "yes", "env_law_compliance": "no",
                            "renewable_facilities": "yes"})
    assert (r.loc[["M1", "M2", "O1", "E1", "P1"], "outcome"] == "met").all()
    assert r.loc["P2", "outcome"] == "not met"
    v = a.verdicts.iloc[0]
    assert v["outcome"] == "fail" and v["verdict"] == "not an EIP"
    assert v["failed_prerequisites"] == 1 and "P2 not present" in v["reasons"]
    assert a.priorities.iloc[0]["requirement"] == "P2"


def test_all_met_is_a_pass_and_encouraged_items_do_not_gate():
    a, _ = one(eip_like(), {**PERF, "management_entity": "yes", "env_law_compliance": "yes",
                            "renewable_facilities": "no"})
    v = a.verdicts.iloc[0]
    assert v["outcome"] == "pass" and v["verdict"] == "EIP" and bool(v["verified"])
    # share over non-encouraged items: 5 of 5
    cats = a.categories.set_index("category")
    assert cats.loc["ALL", "n_met"] == 5 and cats.loc["ALL", "share_met"] == 1.0


def test_mandatory_partly_met_fails_and_optional_does_not():
    # M1 0.54 vs 0.5: partly met (8 %) -> fails; O1 12 vs 15 not met -> no effect without a rule
    a, _ = one(eip_like(), {**PERF, "energy_per_iva": 0.54, "green_cover_pct": 12.0,
                            "management_entity": "yes", "env_law_compliance": "yes"})
    v = a.verdicts.iloc[0]
    assert v["outcome"] == "fail" and "M1 partly met" in v["reasons"]
    assert "O1" not in v["reasons"]
    # compliance share: met P1, P2, M2 = 3 of 5 assessed (M1 partly, O1 not met)
    assert a.categories.set_index("category").loc["ALL", "share_met"] == pytest.approx(3 / 5)


def test_optional_rule_at_least_k():
    reqs = [req(f"O{i}", ind, ">=", 10, status="optional") for i, ind in
            enumerate(["green_cover_pct", "water_reuse_rate_pct", "publicity_events"])]
    f = fw(reqs, verdict={"optional_at_least": 2})
    # 2 of 3 met -> pass; 1 met and 1 unknown -> undetermined; 1 met, 2 not -> fail
    cases = [({"green_cover_pct": 11, "water_reuse_rate_pct": 12, "publicity_events": 1},
              "pass"),
             ({"green_cover_pct": 11, "publicity_events": 1}, "undetermined"),
             ({"green_cover_pct": 11, "water_reuse_rate_pct": 1, "publicity_events": 1},
              "fail")]
    for values, expected in cases:
        a, _ = one(f, values)
        assert a.verdicts["outcome"].item() == expected, values


def test_unknown_optional_rule_is_not_applied_and_said_so():
    f = fw([req("O1", "green_cover_pct", ">=", 10, status="optional")],
           verdict={"optional_rule_known": False})
    a, _ = one(f, {"green_cover_pct": 1.0})
    v = a.verdicts.iloc[0]
    assert v["outcome"] == "pass"
    assert "optional-indicator rule not applied" in v["caveats"]


# ---------------------------------------------------------------- k-of-n groups
def group_fw(k, counts="met"):
    return fw([req("G1", "energy_per_iva", "<=", 0.5, status="group", group="G"),
               req("G2", "energy_elasticity", "<", 0.6, status="group", group="G"),
               req("G3", "water_per_iva", "<=", 8, status="group", group="G")],
              groups=[{"code": "G", "at_least": k, "counts": counts}])


@pytest.mark.parametrize("k,values,outcome,verdict", [
    # 1 of 3 needed, one met
    (1, {"energy_per_iva": 0.4, "energy_elasticity": 0.9, "water_per_iva": 20}, "met", "pass"),
    # 2 of 3 needed, only one met and one partly (0.54): partly met -> fail
    (2, {"energy_per_iva": 0.4, "energy_elasticity": 0.62, "water_per_iva": 20},
     "partly met", "fail"),
    # 2 needed, 1 met, 2 without data: could still be met -> undetermined
    (2, {"energy_per_iva": 0.4}, "no data", "undetermined"),
    # 2 needed, none met or partly -> not met
    (2, {"energy_per_iva": 0.9, "energy_elasticity": 0.9, "water_per_iva": 20}, "not met",
     "fail"),
    # 3 of 3 needed, all met
    (3, {"energy_per_iva": 0.5, "energy_elasticity": 0.1, "water_per_iva": 8}, "met", "pass"),
])
def test_k_of_n_met(k, values, outcome, verdict):
    a, _ = one(group_fw(k), values)
    g = a.groups.iloc[0]
    assert g["outcome"] == outcome and g["k"] == k
    assert a.verdicts["outcome"].item() == verdict


def test_k_of_n_reported_counts_values_not_thresholds():
    # MIIT style: 2 of 3 must be reported; reaching the leading value does not matter
    f = fw([req("G1", "energy_per_iva", "<=", 0.5, status="group", group="G"),
            req("G2", "energy_elasticity", "<", 0.6, status="group", group="G"),
            req("G3", "water_per_iva", "<=", 8, status="group", group="G")],
           groups=[{"code": "G", "at_least": 2, "counts": "reported"}],
           verdict={"indicator_role": "leading_value"})
    a, _ = one(f, {"energy_per_iva": 9.0, "water_per_iva": 99.0})
    assert a.groups["outcome"].item() == "met" and a.groups["n_reported"].item() == 2
    assert a.verdicts["outcome"].item() == "pass"
    a, _ = one(f, {"energy_per_iva": 0.1})
    assert a.groups["outcome"].item() == "no data"
    assert a.verdicts["outcome"].item() == "undetermined"


def test_group_with_non_applicable_members_needs_fewer():
    f = fw([req("G1", "reclaimed_water_reuse_pct", ">=", 20, status="group", group="G",
                applies_when={"water_scarce": [True]}),
            req("G2", "water_reuse_rate_pct", ">=", 90, status="group", group="G")],
           groups=[{"code": "G", "at_least": 2}])
    parks = pd.DataFrame({"park": ["P"], "water_scarce": [False]})
    a = assess(f, data_of({"water_reuse_rate_pct": 95.0}, parks=parks))
    g = a.groups.iloc[0]
    assert g["members"] == 1 and g["k"] == 1 and g["outcome"] == "met"


def test_leading_value_role_does_not_fail_on_leading_values():
    f = fw([req("B1", "laws_implemented", "present", status="prerequisite"),
            req("1", "energy_productivity", ">=", 3)],
           verdict={"indicator_role": "leading_value"})
    a, r = one(f, {"laws_implemented": "yes", "energy_productivity": 1.0})
    assert r.loc["1", "outcome"] == "not met"
    assert r.loc["1", "threshold_kind"] == "leading value"
    assert a.verdicts["outcome"].item() == "pass"
    a, _ = one(f, {"laws_implemented": "yes"})  # a mandatory indicator not reported
    assert a.verdicts["outcome"].item() == "undetermined"


# ---------------------------------------------------------------- unverified thresholds
def test_unverified_threshold_is_flagged_in_every_output():
    f = fw([req("U", "energy_per_iva", "<=", 0.5, verified=False),
            req("V", "water_per_iva", "<=", 8, verified=True)],
           verdict={"verified": True}, structure_verified=True)
    a, r = one(f, {"energy_per_iva": 0.9, "water_per_iva": 1.0})
    assert r.loc["U", "flag"] == "UNVERIFIED threshold" and not r.loc["U", "verified"]
    assert r.loc["V", "flag"] == "" and r.loc["V", "verified"]
    v = a.verdicts.iloc[0]
    assert v["outcome"] == "fail" and not v["verified"]
    assert v["unverified_thresholds_used"] == 1 and "U not met" in v["reasons"]
    assert "unverified" in v["reasons"]
    assert not a.priorities.set_index("requirement").loc["U", "verified"]
    text = a.summary()
    assert "1 of 2 thresholds UNVERIFIED" in text and "rests on unverified thresholds" in text
    assert "<= 0.5*" in text


def test_builtin_frameworks_keep_every_unverified_flag(tmp_path):
    from gipro.parks import example

    data = example()
    for code, n_unverified in (("hj274", 32), ("miit", 31), ("eip", 22)):
        a = assess(code, data)
        per_req = a.requirements.drop_duplicates("requirement")
        assert int((per_req["flag"] == "UNVERIFIED threshold").sum()) == n_unverified, code
        assert (a.requirements["data_status"] == "SYNTHETIC").all()
        assert (a.verdicts["verdict"].str.endswith("[SYNTHETIC data]")).all()
        assert not a.verdicts["verified"].any()
        files = a.to_csv(tmp_path)
        assert set(pd.read_csv(files[f"{code}_requirements"])["data_status"]) == {"SYNTHETIC"}


# ---------------------------------------------------------------- framework validation
def test_framework_errors_are_listed_together():
    with pytest.raises(FrameworkError) as exc:
        fw([req("A", "no_such_indicator", ">=", 1),
            req("A", "central_wwtp", ">=", 1),
            req("B", "green_cover_pct", "between", [30, 20]),
            req("C", "green_cover_pct", ">=", 1, status="group", group="MISSING")])
    text = str(exc.value)
    for part in ("no_such_indicator", "duplicate requirement code 'A'", "needs comparator "
                 "'present'", "low < high", "unknown group 'MISSING'"):
        assert part in text, part
    # unknown keys are errors too (reported before the consistency checks)
    with pytest.raises(FrameworkError, match="colour"):
        fw([{**req("D", "green_cover_pct", ">=", 1), "colour": "red"}])


def test_group_rule_larger_than_group_is_an_error():
    with pytest.raises(FrameworkError, match="at_least 3 but only 1"):
        fw([req("G1", "green_cover_pct", ">=", 1, status="group", group="G")],
           groups=[{"code": "G", "at_least": 3}])


def test_bad_data_are_named():
    with pytest.raises(InputError, match="green_cover"):
        data_of({"green_cover": 3.0})  # unknown indicator, near match suggested
    with pytest.raises(InputError, match="neither yes nor no"):
        data_of({"central_wwtp": "maybe"})
    with pytest.raises(InputError, match="not a level"):
        data_of({"key_pollutants_compliance": "fine"})
    with pytest.raises(InputError, match="non-numeric"):
        data_of({"green_cover_pct": "lots"})
    df = pd.DataFrame({"park": "P", "year": 2020, "indicator": ["water_per_iva"],
                       "value": [3.0], "unit": ["m3/CNY"]})
    with pytest.raises(InputError, match="unit mismatch"):
        ParkData.from_long(df)
    dup = pd.DataFrame({"park": "P", "year": 2020, "indicator": ["green_cover_pct"] * 2,
                        "value": [1.0, 2.0]})
    with pytest.raises(InputError, match="duplicate"):
        ParkData.from_long(dup)


def test_missing_value_is_no_data_never_zero():
    f = fw([req("Z", "major_env_emergencies", "==", 0)])
    df = pd.DataFrame({"park": ["P", "Q"], "year": 2020,
                       "indicator": "major_env_emergencies", "value": [None, 0]})
    a = assess(f, ParkData.from_long(df))
    out = a.requirements.set_index("park")["outcome"]
    assert out["P"] == "no data" and out["Q"] == "met"


def test_park_without_any_value_is_not_dropped():
    f = fw([req("R", "green_cover_pct", ">=", 10)])
    parks = pd.DataFrame({"park": ["P", "EMPTY"]})
    a = assess(f, data_of({"green_cover_pct": 12.0}, parks=parks))
    assert set(a.verdicts["park"]) == {"P", "EMPTY"}
    assert a.verdicts.set_index("park").loc["EMPTY", "outcome"] == "undetermined"


# ---------------------------------------------------------------- properties
@settings(max_examples=30, deadline=None)
@given(t=st.floats(0.1, 1e4), v=st.floats(0.0, 1e4), tol=st.floats(0.0, 0.5))
def test_outcome_is_consistent_with_gap(t, v, tol):
    """met <=> gap 0; partly met <=> 0 < gap_pct <= 100 tol (>= comparator).

    Values within a relative 1e-9 of the threshold count as equal (documented in the engine).
    """
    f = fw([req("R", "eco_chain_projects_new", ">=", t)])  # a count: any value >= 0
    _, r = one(f, {"eco_chain_projects_new": v}, tolerance=tol)
    row = r.loc["R"]
    equal = abs(v - t) <= 1e-9 * max(1.0, abs(t))
    gap = 0.0 if equal else max(t - v, 0.0)
    assert row["gap"] == pytest.approx(gap, rel=1e-12, abs=1e-12)
    if v >= t or equal:
        assert row["outcome"] == "met"
    elif 100 * gap / t <= 100 * tol + 1e-9:
        assert row["outcome"] == "partly met"
    else:
        assert row["outcome"] == "not met"


@settings(max_examples=25, deadline=None)
@given(vals=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),
       k=st.integers(1, 3))
def test_group_met_iff_k_members_met(vals, k):
    f = group_fw(k)
    values = {"energy_per_iva": vals[0], "energy_elasticity": vals[1],
              "water_per_iva": 8 * vals[2] * 2}
    a, r = one(f, values)
    n_met = int((r["outcome"] == "met").sum())
    assert (a.groups["outcome"].item() == "met") == (n_met >= k)
    assert np.isfinite(a.categories["share_met"]).all()


# ---------------------------------------------------------------- % saved as fractions
def test_percent_indicator_saved_as_fractions_is_flagged_not_rescaled():
    """An Excel % cell saved as 0.96 read against ">= 70 %" (new-user trial): the outcome
    stays what the numbers say (0.96 < 70: not met, gap 69.04, 98.63 %), and the
    assessment warns, naming the park, the largest value and the requirement."""
    f = fw([req("R1", "solid_waste_utilisation_pct", ">=", 70),
            req("R2", "energy_per_iva", "<=", 0.5)])  # tce/10k CNY: not a %, never flagged
    rows = [("A", 2022, 0.93), ("A", 2023, 0.96), ("B", 2023, 81.0), ("Z", 2023, 0.0)]
    long = pd.DataFrame([{"park": p, "year": y, "indicator": "solid_waste_utilisation_pct",
                          "value": v} for p, y, v in rows]
                        + [{"park": p, "year": 2023, "indicator": "energy_per_iva",
                            "value": 0.4} for p in ("A", "B", "Z")])
    a = assess(f, ParkData.from_long(long))
    r = a.requirements.set_index(["park", "year", "requirement"])
    row = r.loc[("A", 2023, "R1")]
    assert row["outcome"] == "not met" and row["value"] == 0.96
    assert row["gap"] == pytest.approx(70 - 0.96) and row["gap_pct"] == pytest.approx(
        100 * (70 - 0.96) / 70)
    assert "within [0, 1] (largest 0.96)" in row["check"]
    assert "within [0, 1]" in r.loc[("A", 2022, "R1"), "check"]
    # B reports in %, Z only zeros (0 % is plausible either way), R2 is not a %
    assert r.loc[("B", 2023, "R1"), "check"] == "" and r.loc[("Z", 2023, "R1"), "check"] == ""
    assert (r.xs("R2", level="requirement")["check"] == "").all()
    assert len(a.warnings) == 1
    w = a.warnings[0]
    assert w.startswith("solid_waste_utilisation_pct is in % but every value of A is within "
                        "[0, 1] (largest 0.96) while requirement R1 (>= 70 %)")
    assert "gipro does not rescale" in w
    assert f"WARNING: {w}" in a.notes
    text = a.summary(2023)
    assert f"  WARNING: {w}" in text and "[CHECK: fraction for %?]" in text


def test_percent_threshold_at_most_one_is_not_flagged():
    """0.5 % is a plausible threshold for a small share: values within [0, 1] are no sign of
    a scale error then."""
    f = fw([req("R", "solid_waste_utilisation_pct", "<=", 0.5)])
    a, r = one(f, {"solid_waste_utilisation_pct": 0.4})
    assert a.warnings == [] and r.loc["R", "check"] == "" and r.loc["R", "outcome"] == "met"


@pytest.mark.parametrize("tol", [-0.1, 1.0, 5.0])
def test_tolerance_is_a_share_below_one(tol):
    f = fw([req("R", "green_cover_pct", ">=", 30)])
    with pytest.raises(InputError, match="share of the threshold, 0 <= tolerance < 1"):
        assess(f, data_of({"green_cover_pct": 20.0}), tolerance=tol)


def test_summary_counts_the_unverified_thresholds():
    """Two of three thresholds unverified (U, W; V verified): the summary says 2 of 3 (a
    count of the verified ones would say 1)."""
    f = fw([req("U", "energy_per_iva", "<=", 0.5, verified=False),
            req("V", "water_per_iva", "<=", 8, verified=True),
            req("W", "wastewater_per_iva", "<=", 2, verified=False)],
           verdict={"verified": True}, structure_verified=True)
    a, _ = one(f, {"energy_per_iva": 0.4, "water_per_iva": 1.0, "wastewater_per_iva": 1.0})
    assert "2020: 2 of 3 thresholds UNVERIFIED (marked *)" in a.summary()


def test_a_group_is_verified_only_with_its_rule_and_every_member_verified():
    """Group G (1 of 2): its rule read in the source and both thresholds too -> verified;
    the rule verified but one member's threshold not, or the rule not but both thresholds
    -> not verified. An unverified rule is named in the verdict's caveats."""
    def group(rule, member):
        return fw([req("A", "energy_per_iva", "<=", 0.5, status="group", group="G"),
                   req("B", "water_per_iva", "<=", 8, status="group", group="G",
                       verified=member)],
                  groups=[{"code": "G", "at_least": 1, "verified": rule}])

    values = {"energy_per_iva": 0.4, "water_per_iva": 9.0}
    for rule, member, verified in ((True, True, True), (True, False, False),
                                   (False, True, False)):
        a, _ = one(group(rule, member), values)
        g = a.groups.iloc[0]
        assert (g["outcome"], bool(g["verified"])) == ("met", verified), (rule, member)
        said = "group rules unverified: G" in a.verdicts["caveats"].item()
        assert said == (not rule), (rule, member)


def test_category_table_rows_numbered_in_order():
    """The category table is numbered 0..n-1 after sorting (park, year, category order,
    ALL last), like every other table of an assessment."""
    f = fw([req("A", "energy_per_iva", "<=", 0.5), req("B", "water_per_iva", "<=", 8,
                                                       category="D")], categories=("C", "D"))
    a = assess(f, ParkData.from_long(pd.DataFrame(
        [{"park": p, "year": 2020, "indicator": "energy_per_iva", "value": 0.4}
         for p in ("Q", "P")])))
    c = a.categories
    assert list(c.index) == list(range(6))
    assert list(zip(c["park"], c["category"], strict=True)) == [
        ("P", "C"), ("P", "D"), ("P", "ALL"), ("Q", "C"), ("Q", "D"), ("Q", "ALL")]


def test_priority_table_rows_numbered_in_order():
    """Two parks, each missing both thresholds (A: 0.9 > 0.5, B: 20 > 8): four priorities
    numbered 0..3, P's before Q's."""
    f = fw([req("A", "energy_per_iva", "<=", 0.5), req("B", "water_per_iva", "<=", 8)])
    rows = [{"park": p, "year": 2020, "indicator": i, "value": v} for p in ("Q", "P")
            for i, v in (("energy_per_iva", 0.9), ("water_per_iva", 20.0))]
    pr = assess(f, ParkData.from_long(pd.DataFrame(rows))).priorities
    assert list(pr.index) == [0, 1, 2, 3]
    assert pr["park"].tolist() == ["P", "P", "Q", "Q"]


def test_priorities_put_binding_statuses_before_larger_gaps():
    """A mandatory requirement missed by 20 % (0.6 against <= 0.5) comes before an optional
    one missed by 150 % (20 against <= 8): priorities follow the status order first, then
    the gap."""
    f = fw([req("A", "energy_per_iva", "<=", 0.5),
            req("B", "water_per_iva", "<=", 8, status="optional")])
    a, _ = one(f, {"energy_per_iva": 0.6, "water_per_iva": 20.0})
    pr = a.priorities
    assert pr["requirement"].tolist() == ["A", "B"] and pr["priority"].tolist() == [1, 2]
