"""Builds: the default recipe end to end, variants, outputs and error messages."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import gipro
from gipro import Build, Framework, InputError, MethodError, Panel, run

PKG = Path(gipro.__file__).parent


@pytest.fixture(scope="module")
def default_build():
    return run()


def independent_scores(unit: str, period: int) -> dict[str, float]:
    """Recompute the default index for one unit-period in plain Python from the shipped files."""
    fw = yaml.safe_load((PKG / "frameworks" / "china-provinces-green-industry.yaml").read_text(
        encoding="utf-8"))
    with open(PKG / "datasets" / "data" / "china_provinces.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if 2006 <= int(r["period"]) <= 2015]
    scores: dict[str, float] = {}
    for ind in fw["indicators"]:
        code, d = ind["code"], ind["direction"]
        vals = [float(r[code]) * d for r in rows]
        lo, hi = min(vals), max(vals)
        (mine,) = [float(r[code]) * d for r in rows
                   if r["unit"] == unit and int(r["period"]) == period]
        scores[code] = 100 * (mine - lo) / (hi - lo)
    for agg in [a for a in fw["aggregates"] if a.get("parent")]:
        kids = [i["code"] for i in fw["indicators"] if i["parent"] == agg["code"]]
        scores[agg["code"]] = sum(scores[k] for k in kids) / len(kids)
    dims = [a["code"] for a in fw["aggregates"] if a.get("parent")]
    scores["GIP"] = sum(scores[d] for d in dims) / len(dims)
    return scores


def test_default_build_shape(default_build):
    b = default_build
    assert b.final.periods == tuple(range(2006, 2016))
    assert len(b.final.units) == 30
    res = b.results()
    assert list(res.columns) == ["unit", "period", "code", "level", "score", "rank",
                                 "children_scored", "children"]
    # every aggregate of the built-in data rests on all its children (CO2 gaps are before 2006)
    agg = res[res["level"] > 1]
    assert (agg["children_scored"] == agg["children"]).all()
    assert agg.set_index("code")["children"].to_dict() == {"GIP": 3, "ECO": 1, "CEF": 4,
                                                           "STR": 2}
    assert res.loc[res["level"] == 1, ["children_scored", "children"]].isna().all().all()
    # 30 provinces x 10 years x (7 indicators + 3 dimensions + index)
    assert len(res) == 30 * 10 * 11
    idx = res[res["code"] == "GIP"]
    assert len(idx) == 300 and idx["score"].notna().all()
    assert set(b.datasets) == {"raw", "normalised", "aggregated"}
    for per, g in idx.groupby("period"):
        assert sorted(g["rank"].tolist()) == list(range(1, 31)), per


@pytest.mark.parametrize("unit,period", [("Beijing", 2015), ("Xinjiang", 2006),
                                         ("Shanxi", 2010), ("Guangdong", 2013)])
def test_default_scores_recomputed_independently(default_build, unit, period):
    expected = independent_scores(unit, period)
    res = default_build.results().set_index(["unit", "period", "code"])["score"]
    for code, value in expected.items():
        assert res[(unit, period, code)] == pytest.approx(value, rel=0, abs=1e-9), code


def test_pooled_bounds_make_years_comparable(default_build):
    norm = default_build.data("normalised")
    # pooled: each indicator's min 0 and max 100 are reached once over all 300 unit-years
    assert (norm.min() == 0).all() and (norm.max() == 100).all()
    per = default_build.with_step("normalise", bounds="per_period").run().data("normalised")
    # per period: every year has its own 0 and 100
    by_year = per.groupby(level="period")
    assert (by_year.min() == 0).all().all() and (by_year.max() == 100).all().all()


def two_by_two(direction: int = 1) -> tuple[Framework, Panel]:
    fw = Framework([{"code": "x", "parent": "I", "direction": direction},
                    {"code": "y", "parent": "I", "direction": 1}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([("A", 1), ("A", 2), ("B", 1), ("B", 2)],
                                    names=["unit", "period"])
    values = pd.DataFrame({"x": [10.0, 30.0, 20.0, 40.0], "y": [1.0, 2.0, 3.0, 4.0]}, index=idx)
    return fw, Panel(values)


RECIPE = {"framework": "inline", "data": {"dataset": "china_provinces"}}


def test_two_by_two_pooled_and_per_period_hand():
    fw, panel = two_by_two()
    b = run(RECIPE, framework=fw, panel=panel)
    n = b.data("normalised")
    # x pooled over 10..40: A1 0, A2 66.67, B1 33.33, B2 100; y over 1..4: 0, 33.3, 66.7, 100
    np.testing.assert_allclose(n["x"].to_numpy(), [0, 200 / 3, 100 / 3, 100], atol=1e-12)
    np.testing.assert_allclose(n["y"].to_numpy(), [0, 100 / 3, 200 / 3, 100], atol=1e-12)
    agg = b.data("aggregated")["I"].to_numpy()
    np.testing.assert_allclose(agg, [0, 50, 50, 100], atol=1e-12)
    p = b.with_step("normalise", bounds="per_period").run().data("normalised")
    np.testing.assert_allclose(p["x"].to_numpy(), [0, 0, 100, 100], atol=1e-12)


def test_two_by_two_direction_minus_one():
    fw, panel = two_by_two(direction=-1)
    n = run(RECIPE, framework=fw, panel=panel).data("normalised")
    np.testing.assert_allclose(n["x"].to_numpy(), [100, 100 / 3, 200 / 3, 0], atol=1e-12)


def test_missing_indicator_arithmetic_and_geometric():
    fw = Framework([{"code": c, "parent": "I", "direction": 1} for c in "abc"], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([("U1", 1), ("U2", 1), ("U3", 1)], names=["unit", "period"])
    # normalised onto [1, 100]: U2 has b missing
    values = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [0.0, np.nan, 10.0],
                           "c": [10.0, 0.0, 5.0]}, index=idx)
    steps = [{"step": "normalise", "range": [1, 100]},
             {"step": "aggregate", "method": "arithmetic", "min_availability": 0.5}]
    b = run({**RECIPE, "steps": steps}, framework=fw, panel=Panel(values))
    # U2: a -> 50.5, c -> 1; arithmetic over available = 25.75 (not (50.5 + 0 + 1) / 3)
    assert b.data("aggregated").loc[("U2", 1), "I"] == pytest.approx(25.75, abs=1e-12)
    g = b.with_step("aggregate", method="geometric").run()
    assert g.data("aggregated").loc[("U2", 1), "I"] == pytest.approx(math.sqrt(50.5), abs=1e-12)
    strict = b.with_step("aggregate", min_availability=1.0).run()
    assert np.isnan(strict.data("aggregated").loc[("U2", 1), "I"])
    ex = strict.exclusions()
    assert ex[["unit", "period"]].values.tolist() == [["U2", 1]]
    assert "1 of 3 indicators missing (b)" in ex["reason"].iloc[0]
    r = strict.results().set_index(["unit", "code"])
    assert pd.isna(r.loc[("U2", "I"), "rank"])
    assert r.loc[("U3", "I"), "rank"] == 1


def test_rank_ties_share_lowest_rank():
    fw = Framework([{"code": "a", "parent": "I", "direction": 1}], [{"code": "I"}])
    idx = pd.MultiIndex.from_tuples([(u, 1) for u in "ABCD"], names=["unit", "period"])
    b = run(RECIPE, framework=fw, panel=Panel(pd.DataFrame({"a": [3.0, 2.0, 2.0, 1.0]},
                                                            index=idx)))
    r = b.results().query("code == 'I'").set_index("unit")["rank"]
    assert r.to_dict() == {"A": 1, "B": 2, "C": 2, "D": 4}


def test_geometric_after_zero_based_minmax_names_unit():
    fw, panel = two_by_two()
    with pytest.raises(MethodError) as e:
        run({**RECIPE, "steps": [{"step": "normalise"},
                                 {"step": "aggregate", "method": "geometric"}]},
            framework=fw, panel=panel)
    msg = str(e.value)
    assert "x is 0 for unit A in 1" in msg and "range: [1, 100]" in msg


def test_constant_indicator_named():
    fw, panel = two_by_two()
    panel.values["y"] = 5.0
    with pytest.raises(MethodError) as e:
        run(RECIPE, framework=fw, panel=panel)
    assert "indicator y (no unit) has the same value 5 for every unit over 1-2" in str(e.value)


def test_write_outputs_and_rerun_recipe(tmp_path, default_build):
    files = default_build.write(tmp_path / "out")
    assert (tmp_path / "out" / "results.csv").exists()
    for name in ("raw", "normalised", "aggregated"):
        wide = pd.read_csv(tmp_path / "out" / "stages" / f"{name}.csv")
        assert list(wide.columns[:2]) == ["unit", "period"] and len(wide) == 300
    recipe = yaml.safe_load(files["recipe"].read_text(encoding="utf-8"))
    assert recipe["steps"][0]["bounds"] == "pooled"  # defaults filled in
    assert recipe["steps"][1]["min_availability"] == 0.5
    again = run(str(files["recipe"]))
    pd.testing.assert_frame_equal(again.results(), default_build.results())
    log = yaml.safe_load(files["log"].read_text(encoding="utf-8"))
    assert [e["name"] for e in log["steps"]] == ["normalise", "aggregate"]
    assert log["steps"][0]["params"]["range"] == [0.0, 100.0]
    assert any("not in the framework (not used): population" in n for n in log["input"])


def test_parquet_outputs_hold_the_csv_tables(tmp_path, default_build):
    """--format parquet writes the same tables as CSV (values, ranks, codes, row order):
    results one code at a time through Arrow, stages block by block of units."""
    csv_files = default_build.write(tmp_path / "csv")
    pq_files = default_build.write(tmp_path / "pq", format="parquet")
    assert pq_files["results"].name == "results.parquet"
    for key in ("results", "weights", "exclusions", "stages/raw", "stages/aggregated"):
        a = pd.read_csv(csv_files[key]) if key != "exclusions" else pd.read_csv(
            tmp_path / "csv" / "exclusions.csv")
        b = pd.read_parquet(pq_files[key] if key != "exclusions"
                            else tmp_path / "pq" / "exclusions.parquet")
        assert list(a.columns) == list(b.columns), key
        def cells(col):  # what a reader sees in a cell (CSV reads an empty text as missing)
            return [("" if v is None or v is pd.NA or v == "" or (isinstance(v, float)
                                                                   and math.isnan(v))
                     else repr(float(v)) if isinstance(v, (int, float, np.number))
                     else str(v)) for v in col.astype(object)]

        for col in a.columns:
            assert cells(a[col]) == cells(b[col]), (key, col)
    with pytest.raises(InputError, match="unknown table format 'xlsx'"):
        default_build.write(tmp_path / "x", format="xlsx")


def test_keep_lets_go_of_intermediate_data_sets(tmp_path):
    """keep: [aggregated] keeps the aggregated data set (and raw, a view of the input); the
    numbers, the notes and the tables are those of the build that keeps everything."""
    full = run()
    rec = full.recipe.model_dump(mode="json")
    kept = Build({**rec, "keep": ["aggregated"]}).run()
    assert set(kept.datasets) == {"raw", "aggregated"}
    np.testing.assert_array_equal(kept.final.values, full.final.values)
    pd.testing.assert_frame_equal(kept.results(), full.results())
    assert [e.notes for e in kept.log] == [e.notes for e in full.log]
    files = kept.write(tmp_path)
    assert sorted(p.name for p in (tmp_path / "stages").iterdir()) == ["aggregated.csv"]
    assert yaml.safe_load(files["recipe"].read_text(encoding="utf-8"))["keep"] == ["aggregated"]
    with pytest.raises(InputError, match="keep names data sets the recipe does not write"):
        Build({**rec, "keep": ["normalized"]})
    from gipro.steps.run import Pipeline

    with pytest.raises(InputError, match="need every data set"):
        Pipeline(kept)


def test_recipe_errors(tmp_path):
    with pytest.raises(InputError, match="neither a built-in recipe nor an existing file"):
        Build("nope.yaml")
    bad = tmp_path / "r.yaml"
    bad.write_text("framework: china-provinces-green-industry\ndata: {dataset: china_provinces}\n"
                   "steps:\n  - {step: normalise, methd: minmax}\n", encoding="utf-8")
    with pytest.raises(InputError, match="methd"):
        Build(str(bad))
    with pytest.raises(InputError, match="periods"):
        run({"framework": "china-provinces-green-industry",
             "data": {"dataset": "china_provinces"}, "periods": [1990]})
    with pytest.raises(InputError, match="no step named"):
        Build().with_step("treat", winmax=3)


def test_recipe_relative_paths(tmp_path):
    (tmp_path / "fw.yaml").write_text(
        "aggregates: [{code: I}]\nindicators:\n  - {code: a, parent: I, direction: 1}\n"
        "  - {code: b, parent: I, direction: -1}\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("unit,period,a,b\nX,1,1,5\nY,1,2,4\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text("framework: fw.yaml\ndata: {path: d.csv}\n", encoding="utf-8")
    b = run(str(tmp_path / "r.yaml"))
    assert b.data("aggregated")["I"].tolist() == [0.0, 100.0]


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(5)), st.floats(0.1, 10))
def test_build_invariant_to_unit_order_and_weight_scale(perm, c):
    rng = np.random.default_rng(7)
    codes = [f"U{i}" for i in range(5)]
    idx = pd.MultiIndex.from_product([codes, [1, 2]], names=["unit", "period"])
    values = pd.DataFrame(rng.uniform(1, 9, (10, 3)), index=idx, columns=list("abc"))
    fw = Framework([{"code": k, "parent": "I", "direction": d, "weight": w}
                    for k, d, w in zip("abc", (1, -1, 1), (1.0, 2.0, 3.0), strict=True)],
                   [{"code": "I"}])
    base = run(RECIPE, framework=fw, panel=Panel(values)).results().set_index(
        ["unit", "period", "code"]).sort_index()
    order = [codes[i] for i in perm]
    shuffled = values.reindex(pd.MultiIndex.from_product([order, [1, 2]],
                                                         names=["unit", "period"]))
    fw2 = fw.with_weights({k: w * c for k, w in zip("abc", (1.0, 2.0, 3.0), strict=True)})
    panel = Panel(shuffled)
    assert panel.unit_codes == order  # the build really sees the units in another order
    other = run(RECIPE, framework=fw2, panel=panel).results().set_index(
        ["unit", "period", "code"]).sort_index()
    np.testing.assert_allclose(other["score"], base["score"], rtol=1e-12)
    assert (other["rank"] == base["rank"]).all()


def test_indicator_without_any_data_is_an_error():
    fw, panel = two_by_two()
    panel.values["y"] = np.nan
    with pytest.raises(InputError, match="no data at all for any unit in 1-2: y"):
        Build(RECIPE, framework=fw, panel=panel)


def test_aggregate_without_normalise_is_an_error():
    fw, panel = two_by_two()
    with pytest.raises(MethodError, match="has not been normalised"):
        run({**RECIPE, "steps": [{"step": "aggregate"}]}, framework=fw, panel=panel)


def test_empty_unit_selection_and_plain_period_messages():
    with pytest.raises(InputError, match="units: List should have at least 1 item"):
        Build({**RECIPE, "framework": "china-provinces-green-industry", "units": []})
    with pytest.raises(InputError) as e:
        Build({**RECIPE, "framework": "china-provinces-green-industry",
               "periods": {"start": 2020, "end": 2018}})
    msg = str(e.value)
    assert "periods: end (2018) is before start (2020)" in msg and "function-after" not in msg


def test_write_into_a_file_path_is_an_input_error(tmp_path, default_build):
    target = tmp_path / "afile"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="a file of that name exists"):
        default_build.write(target)


def test_all_zero_weights_named_at_load():
    from gipro import FrameworkError

    with pytest.raises(FrameworkError, match="aggregate ENV: every child has weight 0"):
        Framework([{"code": "a", "parent": "ENV", "direction": 1, "weight": 0},
                   {"code": "b", "parent": "ENV", "direction": 1, "weight": 0},
                   {"code": "c", "parent": "I", "direction": 1}],
                  [{"code": "I"}, {"code": "ENV", "parent": "I"}])
