"""Green total-factor productivity (gipro.gtfp, ``gipro gtfp``): the Stata gtfpch references,
the spec's rules, bad input, infeasible LPs, the CLI, the report section and a productivity
table feeding a recipe.

Expected values: Stata's ``teddf`` and ``gtfpch`` on their example data (30 Chinese provinces
2013-2015; ``../shared/data/gtfpch_china_provinces``, commands in its Stata logs), and hand
calculations for the small examples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gipro
from gipro import gtfp
from gipro.cli import app
from gipro.errors import InputError

TOL = 1e-6
DATA = "gtfpch_china_provinces"


@pytest.fixture(scope="module")
def gdir(shared_dir):
    return shared_dir / "data" / DATA


@pytest.fixture(scope="module")
def base(gdir):
    return {"data": {"path": str(gdir / "example_province_KLEYCO2_2013_2015.csv"),
                     "unit": "Province", "period": "year"},
            "inputs": ["K", "L"], "desirable": ["Y"], "undesirable": ["CO2"]}


def _pairs(ref: pd.DataFrame) -> pd.DataFrame:
    return ref.assign(period_to=ref["Pdwise"].str[-4:].astype(int))


# ------------------------------------------------------------------ Stata references
def test_radial_ddf_matches_teddf(base, gdir):
    """``teddf K L= Y: CO2, dmu(Province) time(year)``: direction (-K, -L, Y, -CO2) (the
    log's "directional vector"), contemporaneous frontier per year, CRS."""
    res = gtfp.run({**base, "direction": "graph", "index": "none"})
    ref = pd.read_csv(gdir / "ref_teddf_radial_DDF.csv")
    m = res.efficiency.merge(ref, left_on=["unit", "period"], right_on=["Province", "year"])
    assert len(m) == 90 and m["unit"].nunique() == 30
    np.testing.assert_allclose(m["inefficiency"], m["Dv"], atol=TOL)
    assert res.productivity is None


def test_nonradial_ddf_matches_teddf(base, gdir):
    """``teddf ... nonradial``: weights (1 1 1 1) (Stata's default for this direction),
    Dv = sum of beta_K, beta_L, beta_Y, beta_CO2. Stata's own solution sits up to 1.4e-7
    below the LP optimum (Yunnan 2013: 1.761701854 against 1.761701989 from HiGHS' simplex
    and interior-point methods alike), inside the 1e-6 asked for."""
    res = gtfp.run({**base, "model": "nonradial_ddf", "direction": "graph", "index": "none"})
    ref = pd.read_csv(gdir / "ref_teddf_nonradial_DDF.csv")
    m = res.efficiency.merge(ref, left_on=["unit", "period"], right_on=["Province", "year"])
    assert len(m) == 90
    np.testing.assert_allclose(m["inefficiency"], m["Dv"], atol=TOL)
    for v in ("K", "L", "Y", "CO2"):
        np.testing.assert_allclose(m[f"beta_{v}"], m[f"B_{v}"], atol=TOL, err_msg=v)
    data = pd.read_csv(gdir / "example_province_KLEYCO2_2013_2015.csv")
    m = m.merge(data, on=["Province", "year"])
    np.testing.assert_allclose(m["slack_K"], m["beta_K"] * m["K"], rtol=1e-12)


def test_global_malmquist_luenberger_matches_gtfpch(base, gdir):
    """``gtfpch K L= Y: CO2, dmu(Province) global``: direction (0, 0, Y, -CO2),
    TFPCH = D^G(t+1)/D^G(t) with D = 1/(1+beta), TECH on contemporaneous frontiers."""
    res = gtfp.run({**base, "technology": "global"})
    assert res.spec.index == "malmquist_luenberger"
    ref = _pairs(pd.read_csv(gdir / "ref_gtfpch_global_ML.csv"))
    m = res.productivity.merge(ref, left_on=["unit", "period_to"],
                               right_on=["Province", "period_to"])
    assert len(m) == 60 and m["unit"].nunique() == 30
    for c in ("tfpch", "tech", "tecch"):
        np.testing.assert_allclose(m[c], m[c.upper()], atol=TOL, err_msg=c)
    np.testing.assert_allclose(m["tfpch"], m["tech"] * m["tecch"], rtol=1e-12)


def test_global_nonradial_luenberger_matches_gtfpch(base, gdir):
    """``gtfpch ... nonradial global``: weights (0 0 1 1), Luenberger (differences)."""
    res = gtfp.run({**base, "model": "nonradial_ddf", "technology": "global"})
    assert res.spec.index == "luenberger" and res.spec.weight_vector() == [0, 0, 1, 1]
    ref = _pairs(pd.read_csv(gdir / "ref_gtfpch_global_nonradial_Luenberger.csv"))
    m = res.productivity.merge(ref, left_on=["unit", "period_to"],
                               right_on=["Province", "period_to"])
    assert len(m) == 60
    for c in ("tfpch", "tech", "tecch"):
        np.testing.assert_allclose(m[c], m[c.upper()], atol=TOL, err_msg=c)
    np.testing.assert_allclose(m["tfpch"], m["tech"] + m["tecch"], atol=1e-12)


def test_older_example_contemporaneous_luenberger_with_infeasible_pairs(gdir):
    """``ref_ddf_result.csv`` (SOURCE.md: an older gtfpch example, command not recorded):
    30 DMUs, t = 9, 10, inputs labor capital energy, output gdp, bad co2. It is the
    contemporaneous non-radial Luenberger indicator with the output direction and weights
    (0, 0, 0, 1/2, 1/2) -- the older gtfpch default (1/(2 x #good), 1/(2 x #bad)), visible in
    the package's commented-out code. TFPCH, TECH, TECCH agree to 1e-6 and the three DMUs
    Stata left missing (mixed-period LP infeasible) are exactly those in ``infeasible``."""
    df = pd.read_csv(gdir / "example_ddf_input.csv").rename(columns={"id": "unit",
                                                                      "t": "period"})
    res = gtfp.run({"inputs": ["labor", "capital", "energy"], "desirable": ["gdp"],
                    "undesirable": ["co2"], "model": "nonradial_ddf",
                    "weights": {"gdp": 0.5, "co2": 0.5}}, panel=df.astype({"unit": str}))
    ref = pd.read_csv(gdir / "ref_ddf_result.csv").astype({"id": str})
    m = res.productivity.merge(ref, left_on="unit", right_on="id")
    assert len(m) == 30
    for c in ("tfpch", "tech", "tecch"):
        np.testing.assert_allclose(m[c], m[c.upper()], atol=TOL, err_msg=c)  # NaN == NaN
    missing = set(m.loc[m["TFPCH"].isna(), "unit"])
    assert len(missing) == 3 and set(res.infeasible["unit"]) == missing


def test_sequential_first_year_is_contemporaneous_and_identities_hold(base):
    """The sequential frontier of the first year is that year's own; the decomposition
    identities hold for the contemporaneous and sequential indices; the cumulative index is
    the running product."""
    seq = gtfp.run({**base, "technology": "sequential"})
    con = gtfp.run({**base, "technology": "contemporaneous"})
    first = seq.efficiency["period"] == 2013
    np.testing.assert_allclose(seq.efficiency.loc[first, "inefficiency"],
                               con.efficiency.loc[first, "inefficiency"], atol=1e-12)
    later = seq.efficiency["period"] == 2015
    assert (seq.efficiency.loc[later, "inefficiency"].to_numpy() + 1e-9
            >= con.efficiency.loc[later, "inefficiency"].to_numpy()).all()  # bigger set
    for r in (seq, con):
        p = r.productivity
        np.testing.assert_allclose(p["tfpch"], p["tech"] * p["tecch"], rtol=1e-12)
        g = p.groupby("unit")["tfpch"]
        np.testing.assert_allclose(p["tfpch_cumulative"], g.cumprod(), rtol=1e-12)


def test_infeasible_cross_period_lps_reported_per_unit_and_period(base, tmp_path):
    """Contemporaneous non-radial Luenberger with the graph direction: seven units beyond
    another year's frontier cannot be scored against it (beta >= 0). Each is in
    ``infeasible`` with its reason and the values it leaves missing; exactly those
    productivity values are NaN."""
    res = gtfp.run({**base, "model": "nonradial_ddf", "direction": "graph"})
    inf = res.infeasible
    assert len(inf) == 7 and set(inf["status"]) == {"infeasible"}
    assert {"Beijing", "Shanghai", "Tianjin"} <= set(inf["unit"])
    row = inf[(inf["unit"] == "Guangdong")].iloc[0]
    assert row["period"] == 2014 and row["technology"] == "contemporaneous 2013"
    assert row["affects"] == "tfpch, tecch of 2013~2014"
    p = res.productivity.set_index(["unit", "period_to"])
    assert np.isnan(p.loc[("Guangdong", 2014), "tecch"])
    assert np.isfinite(p.loc[("Guangdong", 2014), "tech"])
    expected = {(u, int(a.split("~")[1])) for u, a in zip(inf["unit"], inf["affects"],
                                                           strict=True)}
    assert set(p.index[p["tfpch"].isna()]) == expected
    assert set(p.index[p["tecch"].isna()]) == expected and not p["tech"].isna().any()
    assert any("without an optimum" in n for n in res.notes)
    files = res.write(tmp_path)
    assert len(pd.read_csv(files["infeasible"])) == 7


# ------------------------------------------------------------------ spec rules
@pytest.mark.parametrize("change, msg", [
    ({"modle": "ddf"}, "did you mean 'model'"),
    ({"desirable": ["Y", "K"]}, "'K' is listed in both inputs and desirable"),
    ({"model": "sbm", "direction": "graph"}, "direction does not apply"),
    ({"weights": {"Y": 1}}, "weights apply to model 'nonradial_ddf'"),
    ({"model": "nonradial_ddf", "index": "malmquist_luenberger"}, "does not fit"),
    ({"model": "sbm", "index": "luenberger"}, "model sbm_ddf"),
    ({"direction": {"K": 0, "L": 0, "Y": 1}}, "missing ['CO2']"),
    ({"super_efficiency": True}, "super_efficiency applies"),
    ({"model": "nonradial_ddf", "weights": {"K": 1}}, "whose direction is 0"),
])
def test_spec_errors_name_the_key(change, msg):
    spec = {"inputs": ["K", "L"], "desirable": ["Y"], "undesirable": ["CO2"], **change}
    with pytest.raises(InputError) as exc:
        gtfp.GTFPSpec.from_dict(spec)
    assert msg in str(exc.value)


def test_spec_resolved_roundtrip(tmp_path):
    spec = gtfp.GTFPSpec.from_dict({"inputs": ["x"], "desirable": ["y"],
                                    "undesirable": ["b"], "model": "nonradial_ddf"})
    data = spec.resolved()
    assert data["index"] == "luenberger" and data["weights"] == {"x": 0.0, "y": 1.0, "b": 1.0}
    assert "super_efficiency" not in data
    assert gtfp.GTFPSpec.from_dict(data).resolved() == data


# ------------------------------------------------------------------ bad input
def _frame():
    return pd.DataFrame({"unit": ["A", "B", "C"] * 2, "period": [1] * 3 + [2] * 3,
                         "x": [1.0, 1.0, 2.0, 1.0, 1.0, 2.0], "y": [1.0, 2.0, 2.0] * 2,
                         "b": [1.0, 1.0, 4.0] * 2})


SPEC = {"inputs": ["x"], "desirable": ["y"], "undesirable": ["b"]}


def test_zero_and_missing_values_name_the_cell():
    df = _frame()
    df.loc[4, "y"] = 0.0
    with pytest.raises(InputError) as exc:
        gtfp.run(SPEC, panel=df)
    assert "zero or negative" in exc.value.message and "B, 2, y = 0" in str(exc.value)
    df = _frame()
    df.loc[0, "b"] = np.nan
    with pytest.raises(InputError) as exc:
        gtfp.run(SPEC, panel=df)
    assert "missing value" in exc.value.message and "A, 1, b" in str(exc.value)


def test_unit_missing_a_period_is_an_error_with_an_index():
    df = _frame().drop(index=5)
    with pytest.raises(InputError) as exc:
        gtfp.run(SPEC, panel=df)
    assert "C: no row for 2" in str(exc.value) and "adjacent periods" in exc.value.message
    res = gtfp.run({**SPEC, "index": "none"}, panel=df)  # scores alone are fine
    assert len(res.efficiency) == 5


def test_duplicate_rows_and_unknown_variable(tmp_path):
    df = pd.concat([_frame(), _frame().iloc[[0]]])
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="duplicate"):
        gtfp.run({**SPEC, "data": {"path": str(path)}})
    with pytest.raises(InputError) as exc:
        gtfp.run({**SPEC, "desirable": ["Y"]}, panel=_frame())
    assert "did you mean 'y'" in str(exc.value)


def test_pollutant_listed_as_desirable_is_warned():
    df = _frame().rename(columns={"b": "co2_emissions"})
    res = gtfp.run({"inputs": ["x"], "desirable": ["y", "co2_emissions"]}, panel=df)
    assert res.suspect_desirable == ["co2_emissions"]
    assert res.notes[0].startswith("WARNING") and "co2_emissions" in res.notes[0]


def test_sbm_super_efficiency_through_the_runner():
    """The hand example of tests/test_dea.py as a panel: B super-efficient (4/3), A 0.4,
    C 4/11 in both periods; the panel did not change, so TFPCH = 1."""
    res = gtfp.run({**SPEC, "model": "sbm", "super_efficiency": True}, panel=_frame())
    e = res.efficiency[res.efficiency["period"] == 1]
    np.testing.assert_allclose(e["efficiency"], [0.4, 4 / 3, 4 / 11], atol=1e-9)
    assert e["super_efficient"].tolist() == [0, 1, 0]
    np.testing.assert_allclose(res.productivity["tfpch"], 1.0, atol=1e-9)


# ------------------------------------------------------------------ CLI, report, recipe
runner = CliRunner()


def _spec_file(tmp_path, base, **more):
    import yaml

    path = tmp_path / "gtfp.yaml"
    path.write_text(yaml.safe_dump({**base, **more}), encoding="utf-8")
    return path


def test_cli_writes_tables_report_and_workbook(tmp_path, base):
    spec = _spec_file(tmp_path, base, technology="global")
    out = tmp_path / "out"
    r = runner.invoke(app, ["gtfp", str(spec), "--out", str(out), "--report",
                            str(tmp_path / "g.html"), "--excel", str(tmp_path / "g.xlsx"),
                            "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "Malmquist-Luenberger" in r.output and "Tianjin" in r.output
    assert {p.name for p in out.iterdir()} == {"efficiency.csv", "productivity.csv",
                                               "infeasible.csv", "spec.yaml", "log.yaml",
                                               "gipro-manifest.json"}
    html = (tmp_path / "g.html").read_text(encoding="utf-8")
    assert "绿色全要素生产率" in html and "前沿移动的单元数" in html
    sheets = pd.read_excel(tmp_path / "g.xlsx", sheet_name=None)
    assert {"efficiency", "productivity", "period_summary", "unit_summary"} <= set(sheets)
    again = gtfp.run(out / "spec.yaml")  # the spec as run runs again to the same numbers
    pd.testing.assert_frame_equal(again.productivity,
                                  pd.read_csv(out / "productivity.csv"), check_dtype=False)


def test_cli_errors(tmp_path, base):
    r = runner.invoke(app, ["gtfp", str(_spec_file(tmp_path, base, index="none")),
                            "--out", str(tmp_path / "o"), "--report", str(tmp_path / "r.html")])
    assert r.exit_code == 1 and "index: none" in r.output
    r = runner.invoke(app, ["gtfp", str(_spec_file(tmp_path, base, model="sbm_dd")), "--out",
                            str(tmp_path / "o")])
    assert r.exit_code == 1 and "model" in r.output
    r = runner.invoke(app, ["gtfp", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 1 and "does not exist" in r.output


def test_report_section_counts_frontier_moves(base):
    """The period summary behind the report: in the global ML of the Stata example every
    province's TECCH in 2014~2015 is above 1 (Stata's table: 1.0058 to 1.1027)."""
    res = gtfp.run({**base, "technology": "global"})
    per = res.period_summary().set_index("period_to")
    assert per.loc[2015, "n_frontier_out"] == 30 and per.loc[2015, "n_frontier_in"] == 0
    assert per.loc[2014, "n_frontier_out"] + per.loc[2014, "n_frontier_in"] == 30
    from gipro.report.productivity import productivity_report

    html = productivity_report(res, lang="en").to_html()
    assert "How many units&#39; frontier moved" in html or "frontier moved" in html
    assert html.count('class="gipro-chart"') == 2


def test_productivity_table_feeds_a_recipe(tmp_path, base):
    """productivity.csv is read by a recipe as wide data with ``period: period_to``; the
    cumulative green TFP becomes an indicator of a composite index (build engine unchanged)."""
    res = gtfp.run({**base, "technology": "global"})
    res.write(tmp_path)
    (tmp_path / "fw.yaml").write_text(
        "code: gtfp-demo\nname: {en: Green productivity}\naggregates:\n"
        "- {code: GP, name: {en: Green productivity}}\nindicators:\n"
        "- {code: tfpch_cumulative, name: {en: Cumulative GTFP}, parent: GP, direction: 1}\n"
        "- {code: tecch, name: {en: Technical change}, parent: GP, direction: 1}\n",
        encoding="utf-8")
    b = gipro.Build({"framework": str(tmp_path / "fw.yaml"),
                     "data": {"path": str(tmp_path / "productivity.csv"),
                              "period": "period_to"}}).run()
    raw = b.data("raw").to_frame() if hasattr(b.data("raw"), "to_frame") else b.data("raw")
    got = raw.reset_index().set_index(["unit", "period"])["tfpch_cumulative"]
    want = res.productivity.set_index(["unit", "period_to"])["tfpch_cumulative"]
    want.index.names = ["unit", "period"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    assert b.results()["code"].eq("GP").any()


def test_shipped_example_and_build_report_section():
    """examples/gtfp/china-provinces.yaml runs on the data shipped with gipro (a fresh
    machine, no shared folder); its section joins the composite index's report, with the
    provinces' Chinese names."""
    from pathlib import Path

    from gipro.report import Productivity, report_for_build

    spec = Path(__file__).resolve().parents[1] / "examples" / "gtfp" / "china-provinces.yaml"
    res = gtfp.run(spec)
    assert res.productivity["unit"].nunique() == 30 and len(res.infeasible) == 0
    p = res.productivity
    np.testing.assert_allclose(p["tfpch"], p["tech"] * p["tecch"], rtol=1e-12)
    section = Productivity.from_result(res)
    rep = report_for_build(gipro.run(), lang="zh", profiles=False, progress=False,
                           correlations=False, productivity=section)
    assert [s.key for s in rep.sections][-2:] == ["productivity", "methodology"]
    rep.sections = [section]  # the page with that section alone (the full page is slow)
    html = rep.to_html()
    assert "内蒙古" in html and "各单元生产率变化（2006–2015年）" in html


def test_units_and_periods_of_the_spec_are_checked():
    with pytest.raises(InputError, match="periods \\[3\\] of the GTFP spec are not in the data"):
        gtfp.run({**SPEC, "periods": [2, 3]}, panel=_frame())
    with pytest.raises(InputError) as exc:
        gtfp.run({**SPEC, "units": ["A", "b"]}, panel=_frame())
    assert "'b' (did you mean 'B'" in str(exc.value)
    sub = gtfp.run({**SPEC, "units": ["A", "B"], "index": "none", "periods": [2]},
                   panel=_frame())
    assert sub.efficiency[["unit", "period"]].values.tolist() == [["A", 2], ["B", 2]]
