"""Coherence audit (gipro.coherence).

Expected values: COINr on the ASEM build (reference case B2: Pearson Index-Conn 0.9397805 and
Index-Sust 0.8382873 on the Aggregated data; Cronbach's alpha of the P2P group on raw data,
pairwise covariances, 0.05126659); scipy.stats.pearsonr/spearmanr for r and p-values (peer
tool); field case B21 for the PCA share (PC1 94.09% of the correlation matrix); analytic main
effects (an exactly linear target: S = 1; y = x^2 on a symmetric grid: S ~ 1 while r^2 = 0;
independent uniform indicators in a linear index: S_i = w_i^2 / sum w^2).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import gipro
from gipro import coherence
from gipro.errors import InputError, MethodError
from gipro.panel import Panel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def asem(shared_dir):
    spec = importlib.util.spec_from_file_location("build_asem",
                                                  ROOT / "examples" / "asem" / "build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return gipro.Build(mod.recipe_for(shared_dir / "data" / "coinr_asem")).run()


def test_b2_index_subindex_correlations(asem):
    c = coherence.correlations(asem)
    sel = c[(c["other"] == "Index") & c["code"].isin(["Conn", "Sust"])].set_index("code")
    assert sel.loc["Conn", "r"] == pytest.approx(0.9397805, abs=5e-8)
    assert sel.loc["Sust", "r"] == pytest.approx(0.8382873, abs=5e-8)
    assert (sel["relation"] == "parent").all() and (sel["n"] == 51).all()


def test_b2_cronbach_p2p_raw(asem):
    t = coherence.cronbach(asem, dataset="raw").set_index("code")
    assert t.loc["P2P", "alpha"] == pytest.approx(0.05126659, abs=5e-9)


def test_r_and_p_values_equal_scipy(asem):
    t = gipro.wide_table(asem)
    for method, fn in (("pearson", stats.pearsonr), ("spearman", stats.spearmanr)):
        c = coherence.correlations(asem, method=method).set_index(["code", "other"])
        for a, b in (("Goods", "Services"), ("LPI", "Physical"), ("CO2", "Index"),
                     ("Environ", "Social")):
            ref = fn(t[a], t[b])
            assert c.loc[(a, b), "r"] == pytest.approx(ref[0], abs=1e-12)
            assert c.loc[(a, b), "p_value"] == pytest.approx(ref[1], rel=1e-9, abs=1e-300)


def test_pairwise_missing_and_flags_by_hand():
    """Hand case: 5 units; b is a's mirror (r = -1, negative siblings), c = a + tiny noise
    (redundant), the index follows a; missing values use pairwise complete observations."""
    x = np.array([[1.0, 5.0, 1.01, 3.0], [2.0, 4.0, 2.0, np.nan], [3.0, 3.0, 2.99, 2.0],
                  [4.0, 2.0, 4.02, 1.0], [5.0, 1.0, 5.0, 5.0]])
    r, p, n = coherence.correlation_matrix(x)
    assert r[0, 1] == pytest.approx(-1.0) and p[0, 1] == 0.0
    assert n[0, 3] == 4 and n[0, 1] == 5
    ref = stats.pearsonr(x[[0, 2, 3, 4], 0], x[[0, 2, 3, 4], 3])
    assert r[0, 3] == pytest.approx(ref[0]) and p[0, 3] == pytest.approx(ref[1])
    fw = gipro.Framework(
        [{"code": "a", "parent": "G", "direction": 1}, {"code": "b", "parent": "G",
                                                         "direction": 1},
         {"code": "c", "parent": "G", "direction": 1}, {"code": "d", "parent": "H",
                                                         "direction": 1},
         {"code": "e", "parent": "H", "direction": 1}],
        [{"code": "G", "parent": "I"}, {"code": "H", "parent": "I"}, {"code": "I"}])
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6.0], "b": [6, 5, 4, 3, 2, 1.0],
                         "c": [1.01, 2, 2.99, 4.02, 5, 6.01], "d": [3, 1, 4, 1, 5, 9.0],
                         "e": [2, 7, 1, 8, 2, 8.0]})
    b = _build(fw, data)
    c = coherence.correlations(b)
    flags = {(r.code, r.other): r.flag for r in c.itertuples()}
    assert flags[("a", "b")] == "negative" and flags[("a", "c")] == "redundant"
    assert flags[("b", "c")] == "negative"
    assert c[c["relation"] == "same level"]["flag"].eq("").all()


def _build(fw, data):
    idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(len(data))], [2020]],
                                     names=["unit", "period"])
    return gipro.run({"framework": "x", "data": {"dataset": "china_provinces"},
                      "steps": [{"step": "normalise"}, {"step": "aggregate"}]},
                     framework=fw, panel=Panel(data.set_index(idx)))


def test_pca_share_field_case_b21():
    """B21: PCA of the correlation matrix of (I1, I2, I3 reversed): PC1 explains 94.09%."""
    fw = gipro.Framework([{"code": f"I{i}", "parent": "G", "direction": d}
                          for i, d in ((1, 1), (2, 1), (3, -1))],
                         [{"code": "G"}])
    data = pd.DataFrame({"I1": [1, 2, 3, 4, 5.0], "I2": [2, 3, 5, 4, 6.0],
                         "I3": [9, 7, 6, 3, 1.0]})
    b = _build(fw, data)
    t = coherence.pca(b).set_index("code")
    assert t.loc["G", "pc1_share"] == pytest.approx(2.822565 / 3, abs=1e-6)
    assert t.loc["G", "n_eigen_above_1"] == 1
    assert t.loc["G", "eigenvalues"].split()[:2] == ["2.823", "0.1749"]


def test_main_effect_analytic_cases():
    """A 20 x 20 grid makes x1 and x2 exactly orthogonal, so E(y | x_i) is exactly linear and
    S_i = w_i^2 / sum w^2 = 0.64/0.68, 0.04/0.68 for y = 0.8 x1 + 0.2 x2."""
    g1, g2 = np.meshgrid(np.linspace(0, 1, 20), np.linspace(0, 1, 20))
    x = np.column_stack([g1.ravel(), g2.ravel()])
    w = np.array([0.8, 0.2])
    s, _, r2 = coherence.local_linear_main_effect(x, x @ w)
    np.testing.assert_allclose(r2, w**2 / (w**2).sum(), atol=1e-12)
    np.testing.assert_allclose(s, w**2 / (w**2).sum(), atol=0.01)
    rng = np.random.default_rng(0)
    x = rng.random((50, 1))
    y = x[:, 0]
    s1, _, _ = coherence.local_linear_main_effect(x[:, :1], 2.0 * x[:, 0] + 1.0)
    assert s1[0] == pytest.approx(1.0, abs=1e-9)
    g = np.linspace(-1, 1, 41)
    s2, _, r22 = coherence.local_linear_main_effect(g[:, None], g**2)
    assert s2[0] > 0.98 and r22[0] < 1e-12
    with pytest.raises(MethodError, match=r"needs at least 5 observations .* got 3"):
        coherence.local_linear_main_effect(x[:3], y[:3])


def test_importance_table(asem):
    t = coherence.importance(asem)
    assert len(t) == 49
    assert t["effective_weight"].sum() == pytest.approx(1.0)
    assert t.set_index("code").loc["Goods", "effective_weight"] == pytest.approx(0.02)
    assert t["relative_main_effect"].sum() == pytest.approx(1.0)
    assert ((t["main_effect"] >= 0) & (t["main_effect"] <= 1)).all()
    sub = coherence.importance(asem, target="Conn", level=2)
    assert sub["code"].tolist() == ["Physical", "ConEcFin", "Political", "Instit", "P2P"]
    assert sub["weight"].tolist() == pytest.approx([0.2] * 5)
    with pytest.raises(InputError, match=r"target 'Goods' is not an aggregate of the "
                                         r"framework"):
        coherence.importance(asem, target="Goods")


def test_cli_coherence(tmp_path):
    from typer.testing import CliRunner

    from gipro.cli import app

    out = CliRunner().invoke(app, ["coherence", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    for f in ("correlations", "flags", "cronbach", "pca", "importance"):
        assert (tmp_path / f"{f}.csv").exists()


def test_too_few_complete_units_says_what_is_counted(tmp_path):
    """Six units, two indicators; five units miss y in 2020 (one unit complete). The message
    used to say "needs at least 5 units, got 1" although six units have an index score; it
    now says it counts units with complete data, and how many are incomplete and why."""
    from typer.testing import CliRunner

    from gipro.cli import app

    df = pd.DataFrame({"unit": list("abcdef"), "period": 2020,
                       "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                       "y": [2.0, np.nan, np.nan, np.nan, np.nan, np.nan]})
    fw = gipro.Framework([{"code": "x", "parent": "IDX", "direction": 1, "goalposts": [0, 10]},
                          {"code": "y", "parent": "IDX", "direction": 1, "goalposts": [0, 10]}],
                         [{"code": "IDX"}])
    # y has one value: min-max would see a constant column, so goalposts give it a scale
    steps = [{"step": "normalise", "method": "goalposts"},
             {"step": "aggregate", "min_availability": 0.5}]
    b = gipro.run({"framework": "x", "data": {"dataset": "china_provinces"}, "steps": steps},
                  framework=fw, panel=Panel.from_wide(df, unit="unit", period="period"))
    assert b.results().query("code == 'IDX'")["score"].notna().sum() == 6
    with pytest.raises(MethodError) as err:
        coherence.importance(b)
    msg = err.value.message
    assert "at least 5 units with complete data" in msg
    assert "1 of 6 units are complete, 5 have missing values" in msg
    assert "a value of IDX and of each of its 2 level-1 codes" in msg
    assert "b: no y" in err.value.details
    # enough complete units: no error, n counts them
    df2 = df.assign(y=[2.0, 3.0, 1.0, 5.0, 4.0, np.nan])
    b2 = gipro.run({"framework": "x", "data": {"dataset": "china_provinces"}, "steps": steps},
                   framework=fw, panel=Panel.from_wide(df2, unit="unit", period="period"))
    assert coherence.importance(b2)["n"].tolist() == [5, 5]
    # the CLI prints the same line
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "fw.yaml").write_text(
        "code: t\naggregates: [{code: IDX}]\nindicators:\n"
        "  - {code: x, parent: IDX, direction: 1, goalposts: [0, 10]}\n"
        "  - {code: y, parent: IDX, direction: 1, goalposts: [0, 10]}\n")
    (tmp_path / "r.yaml").write_text(
        "framework: fw.yaml\ndata: {path: d.csv, form: wide}\nsteps:\n"
        "  - {step: normalise, method: goalposts}\n"
        "  - {step: aggregate, min_availability: 0.5}\n")
    out = CliRunner().invoke(app, ["coherence", str(tmp_path / "r.yaml"), "--out",
                                   str(tmp_path / "o")])
    assert out.exit_code == 1
    assert "1 of 6 units are complete, 5 have missing values" in out.output
