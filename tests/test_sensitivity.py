"""Uncertainty/sensitivity analysis and remove-one-element on COINr's ASEM build.

Expected values: COINr ``remove_elements(Level = 2)`` mean absolute rank shifts (reference
case B2, published); COINr's test-sensitivity dummy input (two identical alternatives:
Si = STi = 0 exactly, design of N (d + 2) runs); each run of the fast engine against a full
:class:`gipro.Build` with the same settings (the reference implementation); rank statistics by
hand.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gipro
from gipro.errors import InputError
from gipro.sensitivity import (
    Evaluator,
    StepAlternatives,
    WeightNoise,
    bind_inputs,
    load_config,
    make_design,
    remove_elements,
    run_config,
    uncertainty,
)

ROOT = Path(__file__).resolve().parents[1]

COINR_INPUTS = [  # COINr's ASEM sensitivity vignette: winmax, normalisation, weights, aggregation
    StepAlternatives(step="treat", param="winmax", values=[1, 2, 3, 4, 5]),
    StepAlternatives(step="normalise", name="normalisation", alternatives=[
        {"method": "minmax", "range": [1, 100]}, {"method": "zscore", "mean_sd": [10, 2]}]),
    WeightNoise(levels=[2, 3], spread=0.25),
    StepAlternatives(step="aggregate", name="aggregation", param="method",
                     values=["arithmetic", "geometric"]),
]


@pytest.fixture(scope="module")
def asem():
    """COINr's ASEM reference build from the built-in data set (examples/asem/recipe.yaml;
    no shared folder needed: tests/test_datasets_asem.py checks it against COINr's stages)."""
    spec = importlib.util.spec_from_file_location("build_asem",
                                                  ROOT / "examples" / "asem" / "build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return gipro.Build(mod.recipe_for()).run()


def test_remove_one_pillar_b2(asem):
    """B2: COINr remove_elements(Level = 2), mean absolute rank change of the Index over 51
    units; every value a multiple of 1/51."""
    t = remove_elements(asem, level=2).set_index("code")
    expected = {"Physical": 1.529412, "ConEcFin": 2.627451, "Political": 2.901961,
                "Instit": 1.176471, "P2P": 1.686275, "Environ": 3.098039, "Social": 3.960784,
                "SusEcFin": 2.627451}
    for code, value in expected.items():
        got = t.loc[code, "mean_abs_rank_shift"]
        assert got == pytest.approx(value, abs=5e-7), code
        assert got * 51 == pytest.approx(round(value * 51), abs=1e-9), code
    assert (t["units"] == 51).all() and (t["error"] == "").all()


def test_remove_indicators_and_a_lone_child(asem):
    """Level 1: every indicator; an element whose removal leaves its parent without weight is
    reported, not skipped (a framework with a one-child aggregate)."""
    t = remove_elements(asem, level=1)
    assert len(t) == 49 and t["mean_abs_rank_shift"].notna().all()
    fw = asem.framework
    d = fw.to_dict()
    d["aggregates"].append({"code": "Solo", "parent": "Sust"})
    for ind in d["indicators"]:
        if ind["code"] == "Renew":
            ind["parent"] = "Solo"
    fw2 = gipro.Framework.from_dict(d)
    b2 = gipro.Build(asem.recipe, framework=fw2, panel=asem.source_panel).run()
    t2 = remove_elements(b2, codes=["Renew", "CO2"]).set_index("code")
    assert "weight 0" in t2.loc["Renew", "error"] and np.isnan(t2.loc["Renew",
                                                                     "mean_abs_rank_shift"])
    assert t2.loc["CO2", "error"] == ""
    with pytest.raises(InputError, match=r"cannot remove \['Index'\]: not a node of the "
                                         r"framework, or the index"):
        remove_elements(asem, codes=["Index"])


def test_engine_equals_a_full_build_per_run(asem):
    """Each run of the engine (prefix reuse, batched aggregation) equals a Build made with the
    same settings: recipe steps changed, framework weights multiplied."""
    bound = bind_inputs(asem, COINR_INPUTS)
    design = make_design(bound, n=16, seed=3)
    scores, failed = Evaluator(asem, bound).evaluate(design.points)
    s = design.settings()
    fw = asem.framework
    for r in range(16):
        rec = asem.recipe
        for k, name in ((0, "treat"), (1, "normalise"), (3, "aggregate")):
            rec = rec.with_step(name, **bound[k].alternatives[s[k][r]])
        w = {c: fw.node(c).weight * m for c, m in zip(bound[2].codes, s[2][r], strict=True)}
        try:
            ref = gipro.Build(rec, framework=fw.with_weights(w),
                              panel=asem.source_panel).run().final.column("Index")[0]
        except gipro.GiproError as exc:
            assert r in failed and exc.message.split(":")[0] in failed[r]
            continue
        assert r not in failed
        np.testing.assert_array_equal(scores[r], ref)


def test_coinr_dummy_input_has_zero_indices(asem):
    """COINr test-sensitivity: winmax 1-5 varies, normalisation has two identical alternatives
    -> Si = STi = 0 exactly for it; N = 20, d = 2 -> 20 (2 + 2) = 80 runs."""
    inputs = [StepAlternatives(step="treat", param="winmax", values=[1, 2, 3, 4, 5]),
              StepAlternatives(step="normalise", alternatives=[
                  {"method": "minmax", "range": [1, 100]},
                  {"method": "minmax", "range": [1, 100]}])]
    res = uncertainty(asem, inputs, design="sobol", runs=20, seed=0, sampler="random",
                      n_boot=100)
    assert res.design.n_runs == 80 and res.scores.shape == (80, 51)
    sob = res.sobol.set_index("input")
    assert sob.loc["normalise", "first"] == 0.0 and sob.loc["normalise", "total"] == 0.0
    assert sob.loc["treat.winmax", "total"] > 0


def test_uncertainty_outputs(asem):
    """COINr's four inputs, Monte Carlo: every run's settings kept, rank statistics by unit;
    z-scores (10, 2) before a geometric mean are positive here, so no run fails."""
    res = uncertainty(asem, COINR_INPUTS, runs=200, seed=7)
    st = res.rank_stats.set_index("unit")
    assert len(st) == 51 and (st["runs"] == 200).all()
    assert st.loc["CHE", "nominal_rank"] == 1 and st.loc["IND", "nominal_rank"] == 45
    assert (st["q05"] <= st["median_rank"]).all() and (st["median_rank"] <= st["q95"]).all()
    assert set(res.runs.columns) >= {"run", "block", "treat.winmax", "normalisation",
                                     "aggregation", "weights: mean multiplier", "status",
                                     "mean_abs_rank_shift"}
    assert len(res.weights) == 200 * 10  # 8 pillars + 2 sub-indices per run
    m = res.weights["multiplier"]
    assert m.min() >= 0.75 and m.max() < 1.25
    # rank statistics recomputed by hand from the kept ranks
    ranks = res.ranks
    nom = res.nominal.set_index("unit")["rank"].to_numpy()
    np.testing.assert_allclose(st["mean_abs_shift"].to_numpy(),
                               np.abs(ranks - nom).mean(axis=0))
    np.testing.assert_array_equal(st["median_rank"].to_numpy(), np.median(ranks, axis=0))


def test_failed_runs_are_reported_not_skipped(asem):
    """Geometric mean after min-max onto [0, 100]: zeros -> every geometric run fails with the
    reason; statistics come from the arithmetic runs and say so."""
    inputs = [StepAlternatives(step="aggregate", param="method",
                               values=["arithmetic", "geometric"]),
              WeightNoise(levels=[2])]
    res = uncertainty(asem, inputs, runs=50, seed=1)
    geo = res.runs["aggregate.method"] == "method=geometric"
    assert geo.any() and (res.runs.loc[geo, "status"] == "failed").all()
    assert (res.runs.loc[~geo, "status"] == "ok").all()
    assert len(res.failures) == geo.sum()
    assert res.failures["error"].str.contains("strictly positive").all()
    assert (res.rank_stats["runs"] == (~geo).sum()).all()
    assert any("runs failed" in n for n in res.notes)
    # the cause is named with the setting every failed run shares (new-user report #9)
    why = [n for n in res.notes if n.startswith("failed runs:")]
    assert len(why) == 1 and "strictly positive" in why[0]
    assert "every one with aggregate.method = method=geometric" in why[0]
    assert res.failures["aggregate.method"].eq("method=geometric").all()


def test_sobol_with_too_few_complete_base_rows_still_writes_the_failures(asem, tmp_path):
    """New-user report #9: Sobol, N = 2, min-max [0, 100] + a geometric alternative. Every
    geometric run fails (zeros); with N = 2 at most 1 base row is complete, so there are no
    Sobol indices -- the notes say why (the failure and its setting), and the rank statistics,
    runs and failures are written."""
    inputs = [StepAlternatives(step="normalise", alternatives=[
        {"method": "minmax", "range": [0, 100]}]),
        StepAlternatives(step="aggregate", param="method", values=["arithmetic", "geometric"])]
    res = uncertainty(asem, inputs, design="sobol", runs=2, seed=0)
    assert res.sobol is None
    assert any(n.startswith("Sobol indices NOT computed: only") for n in res.notes)
    # the build's own message (the same wording on every path): aggregate, child, unit
    assert any("geometric mean of Physical needs strictly positive scores; Ship is 0 for unit"
               in n and "aggregate.method = method=geometric" in n for n in res.notes)
    files = res.write(tmp_path)
    assert "sobol" not in files
    fail = pd.read_csv(files["failures"])
    assert len(fail) == len(res.failures) > 0
    # every run failing: an error that names the cause
    from gipro.errors import MethodError

    with pytest.raises(MethodError, match="every run of the analysis failed") as e:
        uncertainty(asem, [StepAlternatives(step="aggregate", param="method",
                                            values=["geometric"])], runs=3)
    assert "strictly positive" in e.value.details[0]


def test_same_seed_same_numbers_and_chunking_does_not_matter(asem):
    a = uncertainty(asem, COINR_INPUTS, design="sobol", runs=16, seed=5, n_boot=50)
    b = uncertainty(asem, COINR_INPUTS, design="sobol", runs=16, seed=5, n_boot=50, chunk=7)
    np.testing.assert_array_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.sobol, b.sobol)
    pd.testing.assert_frame_equal(a.rank_stats, b.rank_stats)


def test_invalid_inputs_are_named(asem):
    with pytest.raises(InputError, match="no step named 'treatment'"):
        bind_inputs(asem, [StepAlternatives(step="treatment", param="winmax", values=[1])])
    with pytest.raises(InputError, match="no parameter winmx"):
        bind_inputs(asem, [StepAlternatives(step="treat", param="winmx", values=[1])])
    with pytest.raises(InputError, match="not a valid treat step"):
        bind_inputs(asem, [StepAlternatives(step="treat", param="winmax", values=[-1])])
    with pytest.raises(InputError, match="not nodes"):
        bind_inputs(asem, [WeightNoise(codes=["Nope"])])
    with pytest.raises(InputError, match="at least two"):
        make_design(bind_inputs(asem, COINR_INPUTS[:1]), kind="sobol", n=8)


def test_config_file_and_cli(tmp_path, asem):
    """The YAML form (examples/asem/sensitivity.yaml) through run_config and the CLI."""
    from typer.testing import CliRunner

    from gipro.cli import app

    cfg = load_config(ROOT / "examples" / "asem" / "sensitivity.yaml")
    assert [i.input for i in cfg.inputs] == ["step", "step", "weights", "step"]
    text = (ROOT / "examples" / "asem" / "sensitivity.yaml").read_text()
    (tmp_path / "sens.yaml").write_text(text.replace(
        "recipe: recipe.yaml", f"recipe: {ROOT / 'examples' / 'asem' / 'recipe.yaml'}"))
    res = run_config(tmp_path / "sens.yaml", runs=8)
    assert res.design.n_runs == 8 * 6
    out = CliRunner().invoke(app, ["sensitivity", str(tmp_path / "sens.yaml"), "--runs", "8",
                                   "--out", str(tmp_path / "o")])
    assert out.exit_code == 0, out.output
    for f in ("rank_stats.csv", "sobol.csv", "runs.csv", "failures.csv", "scores.csv"):
        assert (tmp_path / "o" / f).exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("recipe: x.yaml\ninputs: [{input: step, step: treat, param: winmax}]\n")
    out = CliRunner().invoke(app, ["sensitivity", str(bad)])
    assert out.exit_code == 1 and "values" in out.output
