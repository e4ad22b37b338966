"""COINr's ASEM reference build, step by step (../shared/data/coinr_asem, COINr 1.1.14).

Starting from COINr's *treated* data set, gipro's min-max normalisation and level-by-level
arithmetic aggregation must reproduce COINr's normalised and aggregated data sets to 1e-9 for
all 51 units, 49 indicators, 8 pillars, 2 sub-indices and the index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, run

GROUPS = ["Group_GDP", "Group_GDPpc", "Group_Pop", "Group_EurAsia"]


@pytest.fixture(scope="module")
def asem(shared_dir):
    d = shared_dir / "data" / "coinr_asem"
    ind = pd.read_csv(d / "ASEM_COIN_Input_IndMeta.csv")
    agg = pd.read_csv(d / "ASEM_COIN_Input_AggMeta.csv")
    pillar_parent = dict(zip(ind["Agg1"], ind["Agg2"], strict=False))
    indicators = [
        {"code": r.IndCode, "parent": r.Agg1, "direction": r.Direction, "weight": r.IndWeight,
         "unit": r.IndUnit, "name": {"en": r.IndName}}
        for r in ind.itertuples()
    ]
    aggregates = []
    for r in agg.itertuples():
        parent = {2: pillar_parent.get(r.Code), 3: "Index", 4: None}[int(r.AgLevel)]
        aggregates.append({"code": r.Code, "parent": parent, "weight": r.Weight,
                           "name": {"en": r.Name}})
    fw = Framework(indicators, aggregates, code="asem")
    recipe = {
        "framework": "unused-because-overridden",
        "data": {"path": str(d / "ASEM_COIN_Data_Treated.csv"), "form": "wide",
                 "unit": "UnitCode", "period": "Year", "unit_name": "UnitName", "groups": GROUPS},
        "steps": [
            {"step": "normalise", "method": "minmax", "range": [0, 100], "bounds": "pooled"},
            {"step": "aggregate", "method": "arithmetic", "min_availability": 0.0},
        ],
    }
    build = run(recipe, framework=fw)
    ref_norm = pd.read_csv(d / "ASEM_COIN_Data_Normalised.csv").set_index("UnitCode")
    ref_agg = pd.read_csv(d / "ASEM_COIN_Data_Aggregated.csv").set_index("UnitCode")
    return build, fw, ref_norm, ref_agg


def test_shape(asem):
    build, fw, _, _ = asem
    assert len(build.final.units) == 51
    assert len(fw.indicator_codes) == 49
    assert fw.max_level == 4


def test_normalised_matches_coinr(asem):
    build, fw, ref_norm, _ = asem
    ours = build.data("normalised").droplevel("period")
    ref = ref_norm.loc[ours.index, fw.indicator_codes]
    np.testing.assert_allclose(ours[fw.indicator_codes].to_numpy(), ref.to_numpy(),
                               rtol=0, atol=1e-9)


def test_aggregated_matches_coinr(asem):
    build, fw, _, ref_agg = asem
    ours = build.data("aggregated").droplevel("period")
    codes = fw.codes  # 49 indicators, 8 pillars, 2 sub-indices, the index
    assert len(codes) == 60
    ref = ref_agg.loc[ours.index, codes]
    diff = np.abs(ours[codes].to_numpy() - ref.to_numpy())
    assert np.nanmax(diff) < 1e-9
    assert not np.isnan(ours[codes].to_numpy()).any()


def test_published_scores_and_ranks(asem):
    """COINr results vignette (../shared/reference/coinr_cases.md, B1), recomputed to 4 dp."""
    build, _, _, _ = asem
    res = build.results()
    res = res[res["period"] == 2018].set_index(["unit", "code"])
    expected = {
        ("CHE", "Index"): 68.3837, ("CHE", "Conn"): 62.7880, ("CHE", "Sust"): 73.9795,
        ("NLD", "Index"): 64.8195, ("NLD", "Social"): 86.5814,
        ("DNK", "Index"): 64.8041, ("NOR", "Instit"): 89.4556,
        ("BEL", "Physical"): 71.9717, ("SWE", "SusEcFin"): 62.2655,
    }
    for key, value in expected.items():
        assert res.loc[key, "score"] == pytest.approx(value, abs=5e-5), key
    assert res.loc[("IND", "Index"), "rank"] == 45
    assert res.loc[("IND", "Environ"), "rank"] == 6
    assert res.loc[("IND", "Social"), "rank"] == 51
    top = res.xs("Index", level="code").sort_values("rank").head(6)
    assert top.index.tolist() == ["CHE", "NLD", "DNK", "NOR", "BEL", "SWE"]
