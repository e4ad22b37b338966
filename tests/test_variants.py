"""Build features: disabled steps, repeated steps, re-running from the first changed step,
and comparing two builds (expected values by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gipro
from gipro import Framework, InputError, Panel, run
from gipro.steps import ImputeStep, TreatStep


def tiny_panel() -> Panel:
    df = pd.DataFrame({"unit": list("abcd"), "period": 2020,
                       "x": [1.0, 2.0, np.nan, 4.0], "y": [4.0, 3.0, 2.0, 1.0]})
    return Panel.from_wide(df, unit="unit", period="period")


FW = Framework([{"code": "x", "parent": "IDX", "direction": 1},
                {"code": "y", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])


def recipe(*steps):
    return {"framework": "x", "data": {"dataset": "china_provinces"}, "steps": list(steps)}


STEPS = [{"step": "impute", "method": "mean"}, {"step": "treat"},
         {"step": "normalise", "range": [0, 1]}, {"step": "aggregate"}]


def test_disabled_step_passes_its_input_and_is_logged():
    b = run(recipe({**STEPS[0], "disable": True}, *STEPS[1:]), framework=FW, panel=tiny_panel())
    assert b.datasets["imputed"].values is b.datasets["raw"].values
    assert b.log[0].skipped and "skipped (disable: true)" in b.log[0].notes[0]
    assert "impute" not in b.fitted
    # x of unit c stays missing: the index of c is y's score only (weights renormalised)
    assert b.data("aggregated").loc[("c", 2020), "IDX"] == pytest.approx(1 / 3)


def test_same_kind_twice_gets_distinct_outputs():
    r = gipro.Recipe.from_dict(recipe({"step": "impute", "method": "linear"},
                                      {"step": "impute", "name": "fill_rest"}))
    assert [s.output for s in r.steps] == ["imputed", "fill_rest"]
    with pytest.raises(InputError, match="already written"):
        gipro.Recipe.from_dict(recipe({"step": "impute"},
                                      {"step": "treat", "output": "imputed"}))


def test_variant_reuses_the_unchanged_prefix(monkeypatch):
    """Changing the normalisation range re-runs normalise and aggregate only: impute and
    treat are not called again, and their data sets are the very same arrays."""
    calls = {"impute": 0, "treat": 0}
    for cls, key in ((ImputeStep, "impute"), (TreatStep, "treat")):
        original = cls.fit

        def counted(self, ctx, plan, x, _orig=original, _key=key):
            calls[_key] += 1
            return _orig(self, ctx, plan, x)

        monkeypatch.setattr(cls, "fit", counted)
    base = run(recipe(*STEPS), framework=FW, panel=tiny_panel())
    assert calls == {"impute": 1, "treat": 1}
    snapshot = {n: ds.values.copy() for n, ds in base.datasets.items()}
    v = base.with_step("normalise", range=[0, 100]).run()
    for n, values in snapshot.items():  # later steps did not modify the shared arrays
        np.testing.assert_array_equal(base.datasets[n].values, values)
    assert calls == {"impute": 1, "treat": 1}
    assert v.reused_steps == 2
    assert v.datasets["treated"].values is base.datasets["treated"].values
    assert v.datasets["normalised"].values is not base.datasets["normalised"].values
    assert [e.reused for e in v.log] == [True, True, False, False]
    assert v.fitted["treat"] is base.fitted["treat"]
    np.testing.assert_allclose(v.data("aggregated").to_numpy(),
                               100 * base.data("aggregated").to_numpy())
    # a change in the first step re-runs everything
    v2 = base.with_step("impute", method="median").run()
    assert v2.reused_steps == 0 and calls == {"impute": 2, "treat": 2}
    # disabling a step is a change from that step on
    v3 = base.with_step("treat", disable=True).run()
    assert v3.reused_steps == 1 and v3.log[1].skipped


def test_reused_exclusions_are_kept():
    steps = [{"step": "screen", "min_availability": 1.0}, *STEPS[1:]]
    base = run(recipe(*steps), framework=FW, panel=tiny_panel())
    v = base.with_step("aggregate", min_availability=1.0).run()
    assert v.reused_steps == 3
    assert v.exclusions()["unit"].tolist() == ["c"]


def test_compare_by_hand():
    """Hand, indicator y = (4, 3, 2, 1) for units a-d. Build A: min-max onto [0, 1] gives
    a=1, b=2/3, c=1/3, d=0 (ranks 1-4). Build B excludes a: b=1, c=1/2, d=0 (ranks 1-3).
    Differences B - A: b +1/3, c +1/6, d 0; each of b, c, d climbs one rank: rank
    improvement = rank_a - rank_b = +1 (positive = moved up, as in gipro progress)."""
    steps = [{"step": "normalise", "range": [0, 1]}, {"step": "aggregate"}]
    fw = Framework([{"code": "y", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    a = run(recipe(*steps), framework=fw, panel=tiny_panel())
    b = run(recipe({"step": "screen", "min_availability": None, "exclude": ["a"]}, *steps),
            framework=fw, panel=tiny_panel())
    d = gipro.compare(a, b, codes=["IDX"]).set_index("unit")
    np.testing.assert_allclose(d.loc[list("abcd"), "score_a"], [1, 2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(d.loc[list("bcd"), "score_b"], [1, 0.5, 0])
    assert np.isnan(d.loc["a", "score_b"])
    np.testing.assert_allclose(d.loc[list("bcd"), "score_diff"], [1 / 3, 1 / 6, 0], atol=1e-15)
    assert d.loc[list("bcd"), "rank_improvement"].tolist() == [1, 1, 1]
    assert d.loc[list("bcd"), "abs_rank_change"].tolist() == [1, 1, 1]
    assert pd.isna(d.loc["a", "rank_improvement"])
    assert "rank_change" not in d.columns  # the old name (opposite sign) is gone, not reused


def test_compare_sign_follows_progress_and_scenarios():
    """Hand, one indicator: period 2020 y = (4, 3, 2, 1) for a-d; the variant drops a, so b
    goes from rank 2 to 1. gipro progress and gipro scenario call base rank - new rank
    (2 - 1 = +1) a move up; compare gives the same number for the same move, and the
    scenario comparison of the same two builds agrees row by row."""
    from gipro.scenario.evaluate import _compare

    steps = [{"step": "normalise", "range": [0, 1]}, {"step": "aggregate"}]
    fw = Framework([{"code": "y", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    a = run(recipe(*steps), framework=fw, panel=tiny_panel())
    b = run(recipe({"step": "screen", "min_availability": None, "exclude": ["a"]}, *steps),
            framework=fw, panel=tiny_panel())
    d = gipro.compare(a, b, codes=["IDX"])
    assert d.set_index("unit").loc["b", ["rank_a", "rank_b", "rank_improvement"]].tolist() == [
        2, 1, 1]
    s = _compare(a, b)
    s = s[s["code"] == "IDX"].set_index(["unit", "period"])["rank_change"]
    mine = d.set_index(["unit", "period"])["rank_improvement"]
    pd.testing.assert_series_equal(mine.sort_index(), s.sort_index(), check_names=False)


def test_compare_needs_run_builds():
    b = gipro.Build(recipe(*STEPS), framework=FW, panel=tiny_panel())
    with pytest.raises(InputError, match="not been run"):
        gipro.compare(b, b)
