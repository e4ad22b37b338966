"""COINr's full ASEM reference build from the RAW data: examples/asem/build_asem.py.

Expected values are COINr's own stage files (../shared/data/coinr_asem, the COINr6
``ASEM_COIN`` object): Denominated, Imputed, Treated, Normalised, Aggregated, the treatment
flags and summary, and the published ranks. Every stage must match to 1e-9 for all 51 units,
49 indicators and 11 aggregates.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["denominated", "imputed", "treated", "normalised", "aggregated"]


def _load_example():
    spec = importlib.util.spec_from_file_location("build_asem",
                                                  ROOT / "examples" / "asem" / "build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def asem_run(shared_dir, tmp_path_factory):
    mod = _load_example()
    out = tmp_path_factory.mktemp("asem")
    build = mod.main(shared_dir, out)
    return mod, build, out, shared_dir / "data" / "coinr_asem"


@pytest.mark.parametrize("stage", STAGES)
def test_stage_matches_coinr(asem_run, stage):
    """The stage CSV written by the example equals COINr's stage file to 1e-9."""
    mod, _, out, asem = asem_run
    ours = pd.read_csv(out / "stages" / f"{stage}.csv").set_index("unit")
    ref = pd.read_csv(asem / mod.STAGES[stage]).set_index("UnitCode")
    codes = [c for c in ours.columns if c != "period"]
    n_codes = 60 if stage == "aggregated" else 49
    assert len(codes) == n_codes
    assert len(ours) == 51 and set(ours.index) == set(ref.index)
    a = ours[codes].to_numpy(dtype=float)
    b = ref.loc[ours.index, codes].to_numpy(dtype=float)
    assert (np.isnan(a) == np.isnan(b)).all()
    assert np.nanmax(np.abs(a - b)) < 1e-9


def test_missing_values_where_coinr_has_them(asem_run):
    """COINr6's raw data set has 63 missing values (ASEM_COIN_Data_Raw.csv); denominating adds
    LAO's Elec and Gas (its energy denominator is missing) -> 65, as in COINr's Denominated;
    group-mean imputation fills all 65."""
    _, build, _, asem = asem_run
    raw_ref = pd.read_csv(asem / "ASEM_COIN_Data_Raw.csv").iloc[:, 7:]
    assert int(raw_ref.isna().sum().sum()) == 63
    assert int(np.isnan(build.datasets["raw"].values).sum()) == 63
    den = build.datasets["denominated"]
    assert int(np.isnan(den.values).sum()) == 65
    lao = den.units.index("LAO")
    assert np.isnan(den.column("Elec")[0, lao]) and np.isnan(den.column("Gas")[0, lao])
    assert not np.isnan(build.datasets["imputed"].values).any()
    assert len(build.fitted["impute"]["imputed"]) == 65


def test_treated_points_equal_coinr_flags(asem_run):
    """Every winsorised point (unit, indicator, high/low) equals COINr's TreatFlags."""
    _, build, out, asem = asem_run
    flags = pd.read_csv(asem / "ASEM_COIN_Analysis_Treated_TreatFlags.csv").set_index("UnitCode")
    ref = {(u, c, v) for u, row in flags.iterrows() for c, v in row.items() if v != "No"}
    changes = pd.read_csv(out / "details" / "treat.changes.csv")
    ours = {(r.unit, r.indicator, "WHigh" if "high outlier" in r.reason else "WLow")
            for r in changes.itertuples()}
    assert len(ref) == 35
    assert ours == ref
    # old values are the imputed data, new ones the treated data
    imp = build.data("imputed").droplevel("period")
    tre = build.data("treated").droplevel("period")
    for r in changes.itertuples():
        assert r.old == imp.loc[r.unit, r.indicator]
        assert r.new == tre.loc[r.unit, r.indicator]


def test_treat_summary_equals_coinr(asem_run):
    """Per indicator: points winsorised high/low and 'Winsorised n points'/'None' as COINr."""
    _, build, _, asem = asem_run
    ref = pd.read_csv(asem / "ASEM_COIN_Analysis_Treated_TreatSummary.csv",
                      keep_default_na=False).set_index("IndCode")
    ours = build.fitted["treat"]["summary"].set_index("indicator")
    assert list(ours.index) == list(ref.index)
    np.testing.assert_array_equal(ours["winsorised_high"], ref["High"].astype(float))
    np.testing.assert_array_equal(ours["winsorised_low"], ref["Low"].astype(float))
    for code, r in ref.iterrows():
        n = int(float(r["High"]) + float(r["Low"]))
        expected = "winsorised, passes" if n else "passes untreated"
        assert ours.loc[code, "status"] == expected, code
        assert r["Treatment"] == (f"Winsorised {n} points" if n else "None")


def test_ranks_equal_coinr_results(asem_run):
    """COINr6's rank table ranks scores rounded to 2 decimals (min ties): ranking our scores
    rounded the same way reproduces it for every aggregate. gipro ranks full-precision scores,
    which differs in two places: ConEcFin of JPN 6.618936 and RUS 6.615976 (both 6.62 when
    rounded) share rank 47 in COINr, gipro ranks them 47 and 48; Instit of LUX 77.574995 and
    PRT 77.565487 (both 77.57) share rank 3 in COINr, gipro ranks them 3 and 4."""
    from gipro.methods.rank import rank

    _, build, _, asem = asem_run
    ref = pd.read_csv(asem / "ASEM_COIN_Results_AggregatesRank.csv").set_index("UnitCode")
    res = build.results()
    differ = []
    for code in ref.columns[1:]:
        sub = res[res["code"] == code].set_index("unit").loc[ref.index]
        rounded = rank(np.round(sub["score"].to_numpy(dtype=float), 2))
        np.testing.assert_array_equal(rounded, ref[code].to_numpy(dtype=float), err_msg=code)
        ours = sub["rank"].to_numpy(dtype=float)
        differ += [(code, u) for u, a, b in zip(ref.index, ours, ref[code], strict=True)
                   if a != b]
    assert differ == [("ConEcFin", "RUS"), ("Instit", "PRT")]


def test_today_coinr_winmax_5_gives_the_same_build(asem_run):
    """B1: today's COINr default winmax = 5 winsorises the same 15 indicators (none reaches 5
    points), so the treated data equal the reference build's."""
    _, build, _, _ = asem_run
    v = build.with_step("treat", winmax=5).run()
    assert v.reused_steps == 2  # denominate and impute reused
    np.testing.assert_array_equal(v.datasets["treated"].values, build.datasets["treated"].values)


def test_screen_variant_b1(asem_run):
    """B1 variant (COINr overview): Screen (byNA, dat_thresh 0.9) after Denominate, then Treat
    the screened data with today's defaults (winmax 5), no imputation: 46 units remain; top 3
    CHE 68.33, DNK 64.47, NLD 64.46 (2 decimals, as published)."""
    mod, _, _, asem = asem_run
    data = mod.recipe_for(asem).model_dump()
    den, _impute, treat, norm, agg = data["steps"]
    data["steps"] = [den, {"step": "screen", "min_availability": 0.9},
                     {**treat, "winmax": 5}, norm, agg]
    import gipro

    b = gipro.Build(gipro.Recipe.from_dict(data, base_dir=mod.HERE)).run()
    assert len(b.final.units) == 46
    assert sorted(r["unit"] for r in b.excluded) == ["BGD", "BRN", "KHM", "LAO", "MMR"]
    top = b.results().query("code == 'Index'").head(3)
    assert top["unit"].tolist() == ["CHE", "DNK", "NLD"]
    assert np.round(top["score"].to_numpy(), 2).tolist() == [68.33, 64.47, 64.46]
    assert set(b.exclusions()["unit"]) == {"BGD", "BRN", "KHM", "LAO", "MMR"}
