"""Results views (unit summary, strengths and weaknesses, wide table) and coherence kernels.

Expected values: recomputed by hand from the data shown, or from independent formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, InputError, MethodError, Panel, run
from gipro.methods.coherence import cronbach_alpha, pairwise_covariance
from gipro.results import strengths_weaknesses, unit_summary, wide_table

nan = np.nan


@pytest.fixture(scope="module")
def build():
    fw = Framework(
        [{"code": "a", "parent": "E", "direction": 1, "unit": "t", "name": {"en": "A"}},
         {"code": "b", "parent": "E", "direction": -1},
         {"code": "c", "parent": "S", "direction": 1},
         {"code": "d", "parent": "S", "direction": 1}],
        [{"code": "I"}, {"code": "E", "parent": "I"}, {"code": "S", "parent": "I"}])
    idx = pd.MultiIndex.from_product([["U", "V", "W", "X"], [1, 2]], names=["unit", "period"])
    # period 2: a (1, 2, 3, 4), b (4, 3, 2, 1) lower is better, c (4, 1, 2, 3), d (1, 4, nan, 2)
    values = pd.DataFrame({
        "a": [0, 1, 0, 2, 0, 3, 0, 4], "b": [9, 4, 9, 3, 9, 2, 9, 1],
        "c": [0, 4, 0, 1, 0, 2, 0, 3], "d": [0, 1, 0, 4, 0, nan, 0, 2]},
        index=idx, dtype=float)
    values.loc[(slice(None), 1), :] = [[1, 5, 1, 1], [2, 6, 2, 2], [3, 7, 3, 3], [4, 8, 4, 4]]
    return run({"framework": "x", "data": {"dataset": "china_provinces"},
                "steps": [{"step": "normalise", "bounds": "per_period"}, {"step": "aggregate"}]},
               framework=fw, panel=Panel(values))


def test_wide_table_one_period(build):
    t = wide_table(build, 2)
    assert list(t.index) == ["U", "V", "W", "X"]
    assert list(t.columns) == ["a", "b", "c", "d", "E", "S", "I"]
    # a per period 2: (1, 2, 3, 4) -> (0, 33.3, 66.7, 100)
    np.testing.assert_allclose(t["a"], [0, 100 / 3, 200 / 3, 100], atol=1e-12)
    assert np.isnan(t.loc["W", "d"])
    assert list(wide_table(build, 2, levels=[2]).columns) == ["E", "S"]
    assert wide_table(build).equals(t)  # default: the last period
    with pytest.raises(InputError, match="period 5"):
        wide_table(build, 5)


def test_unit_summary_ranks(build):
    s = unit_summary(build, "X", 2).set_index("code")
    # X period 2: a 100, b (lower is better, 1 is the best) 100 -> E 100, rank 1 of 4
    assert s.loc["E", "score"] == pytest.approx(100) and s.loc["E", "rank"] == 1
    assert list(s.index) == ["I", "E", "S"] and s.loc["I", "level"] == 3
    assert s.loc["S", "of"] == 4


def test_strengths_and_weaknesses(build):
    strong, weak = strengths_weaknesses(build, "V", 2, n=2)
    # V period 2: ranks a 3, b 3 (b = 3 is third best), c 4, d 1 (4 is the best)
    assert strong["code"].tolist() == ["d", "a"] and strong["rank"].tolist() == [1, 3]
    # weaknesses never repeat a strength: a (rank 3, before b in framework order) is a
    # strength, so the second-worst weakness is b (rank 3), not a again
    assert weak["code"].tolist() == ["c", "b"] and weak["rank"].tolist() == [4, 3]
    assert strong.loc[0, "value"] == 4.0 and strong.loc[0, "of"] == 3  # W has no d
    # W has no value for d: left out, not ranked last; 3 ranked indicators -> at most
    # floor(3 / 2) = 1 strength and 1 weakness, whatever n
    s_w, w_w = strengths_weaknesses(build, "W", 2, n=4)
    assert "d" not in s_w["code"].tolist() + w_w["code"].tolist()
    assert len(s_w) == len(w_w) == 1
    with pytest.raises(InputError, match="'Z' is not in the results"):
        strengths_weaknesses(build, "Z")


def test_pairwise_covariance_matches_pandas_pairwise():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 5))
    x[rng.uniform(size=x.shape) < 0.2] = nan
    cov, n = pairwise_covariance(x)
    np.testing.assert_allclose(cov, pd.DataFrame(x).cov().to_numpy(), rtol=1e-12)
    assert n[0, 0] == (~np.isnan(x[:, 0])).sum()


def test_pairwise_covariance_population_and_too_few_pairs():
    """Hand: a = (1, 2, 3), b = (2, NaN, 7). Population covariance (ddof 0) of a with itself
    2/3; a with b on rows 1 and 3: means 2 and 4.5, ((-1)(-2.5) + (1)(2.5))/2 = 2.5; b with
    itself on its 2 rows 6.25. With ddof 1 a pair with one common row is undefined."""
    x = np.array([[1.0, 2.0], [2.0, nan], [3.0, 7.0]])
    cov, n = pairwise_covariance(x, ddof=0)
    np.testing.assert_allclose(cov, [[2 / 3, 2.5], [2.5, 6.25]], rtol=1e-14)
    assert n.tolist() == [[3, 2], [2, 2]]
    c1, _ = pairwise_covariance(np.array([[1.0, nan], [2.0, 5.0], [3.0, nan]]))
    assert c1[0, 0] == 1.0 and np.isnan(c1[0, 1]) and np.isnan(c1[1, 1])


def test_cronbach_alpha_complete_cases_and_refusals():
    """pairwise=False drops the rows with a missing value: the alpha of the docstring's four
    rows (0.9, textbook formula) is unchanged by a fifth row (5, NaN, 1). Refused: one
    indicator, a covariance without enough common rows, a total variance of 0 (two
    indicators in exact opposition)."""
    x = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 3.0], [3.0, 5.0, 4.0], [4.0, 4.0, 6.0]])
    assert cronbach_alpha(np.vstack([x, [5.0, nan, 1.0]]), pairwise=False) == pytest.approx(
        0.9, rel=1e-12)
    assert cronbach_alpha(x / 10) == pytest.approx(0.9, rel=1e-12)  # a total variance < 1
    with pytest.raises(MethodError, match=r"Cronbach's alpha needs x of shape \(n_obs, k\) "
                                          r"with k >= 2"):
        cronbach_alpha(x[:, :1])
    with pytest.raises(MethodError, match=r"some covariances cannot be computed"):
        cronbach_alpha(np.array([[1.0, nan], [2.0, 5.0], [3.0, nan]]))
    with pytest.raises(MethodError, match=r"the total variance of the group is not positive"):
        cronbach_alpha(np.array([[1.0, -1.0], [2.0, -2.0], [3.0, -3.0]]))


def test_cronbach_alpha_textbook_formula():
    # complete data: alpha = k/(k - 1) (1 - sum of variances / variance of the sum)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 4)) + rng.normal(size=(50, 1))
    k = 4
    expected = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(x) == pytest.approx(expected, rel=1e-12)
