"""Nothing lost: every unit of the input data is in the results or in the exclusions table,
with a reason -- checked over random panels and random recipes (screening, imputation with
units lacking a group, constant indicators, aggregation thresholds, unit selection).

The invariant, for every input unit ``u`` and every period ``p`` of the build:
exactly one of "``(u, p)`` has an index score in :meth:`Build.results`" and "``(u, p)`` (or
``u`` as a whole) is in :meth:`Build.exclusions` with a non-empty reason" holds; a unit is
never in both, never in neither. A missing score is never ranked. Fixed budget: hypothesis
``max_examples`` below (CI stays fast).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gipro import Build, Framework, GiproError, Panel

nan = np.nan


@st.composite
def scenarios(draw):
    """A small framework (1-2 dimensions), a panel with holes, and a recipe."""
    n_units = draw(st.integers(2, 7))
    n_periods = draw(st.integers(1, 3))
    n_dims = draw(st.integers(1, 2))
    per_dim = [draw(st.integers(1, 3)) for _ in range(n_dims)]
    aggs = [{"code": "IDX"}] + [{"code": f"D{j}", "parent": "IDX"} for j in range(n_dims)]
    inds, codes = [], []
    for j, k in enumerate(per_dim):
        for i in range(k):
            code = f"i{j}{i}"
            codes.append(code)
            inds.append({"code": code, "parent": f"D{j}",
                         "direction": draw(st.sampled_from([1, -1]))})
    units = [f"u{i}" for i in range(n_units)]
    periods = list(range(2010, 2010 + n_periods))
    n = n_units * n_periods
    cols = {}
    for c in codes:
        kind = draw(st.sampled_from(["normal", "normal", "holes", "empty_unit", "constant"]))
        v = np.array(draw(st.lists(st.floats(0.5, 1000), min_size=n, max_size=n)))
        if kind == "holes":
            mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            v[mask] = nan
        elif kind == "empty_unit":  # one unit without any value of this indicator
            v[:n_periods] = nan
        elif kind == "constant":
            v[:] = 7.0
        cols[c] = v
    if draw(st.booleans()):  # a unit with no data at all in one period
        u = draw(st.integers(0, n_units - 1))
        p = draw(st.integers(0, n_periods - 1))
        for c in codes:
            cols[c][u * n_periods + p] = nan
    idx = pd.MultiIndex.from_product([units, periods], names=["unit", "period"])
    groups = [draw(st.sampled_from(["N", "S", None])) for _ in units]
    meta = pd.DataFrame({"name": units, "region": groups}, index=pd.Index(units, name="unit"))
    panel = Panel(pd.DataFrame(cols, index=idx), units=meta)

    steps = []
    if draw(st.booleans()):
        steps.append({"step": "screen",
                      "min_availability": draw(st.sampled_from([0.3, 0.6, 0.9])),
                      "scope": draw(st.sampled_from(["all_periods", "pooled"]))})
    if draw(st.booleans()):
        method = draw(st.sampled_from(["mean", "median", "group_mean", "group_median",
                                       "linear_constant", "linear"]))
        step = {"step": "impute", "method": method}
        if method.startswith("group"):
            step["group"] = "region"
        steps.append(step)
    steps.append({"step": "normalise",
                  "method": draw(st.sampled_from(["minmax", "zscore", "rank", "percentile",
                                                  "dist_max"])),
                  "constant": draw(st.sampled_from(["midpoint", "drop"]))})
    if draw(st.integers(0, 5)):  # mostly with aggregation, sometimes without
        steps.append({"step": "aggregate",
                      "method": draw(st.sampled_from(["arithmetic", "mean_min", "copeland"])),
                      "min_availability": draw(st.sampled_from([0.0, 0.5, 0.75, 1.0]))})
    recipe = {"framework": "t", "data": {"dataset": "t"}, "steps": steps}
    if draw(st.integers(0, 4)) == 0:
        recipe["units"] = draw(st.lists(st.sampled_from(units), min_size=1, unique=True))
    return Framework(inds, aggs), panel, recipe


def check_nothing_lost(b: Build) -> None:
    """The invariant of the module docstring, on a run build."""
    res, ex = b.results(), b.exclusions()
    units_in = set(b.source_panel.unit_codes)
    assert set(res["unit"]) <= units_in and set(ex["unit"]) <= units_in
    assert ex["reason"].map(lambda r: isinstance(r, str) and len(r) > 10).all()
    assert not (res["score"].isna() & res["rank"].notna()).any()  # NaN never ranked
    assert np.isfinite(res["score"].dropna()).all()
    root = b.framework.root
    whole = set(ex.loc[ex["period"].isna(), "unit"])
    if root not in set(res["code"]):  # no aggregation: units are in results or removed
        assert set(res["unit"]) | whole == units_in
        assert not set(res["unit"]) & whole
        return
    scored = res[(res["code"] == root) & res["score"].notna()]
    scored_pairs = set(zip(scored["unit"], scored["period"], strict=True))
    excl_pairs = set(zip(ex.loc[ex["period"].notna(), "unit"],
                         ex.loc[ex["period"].notna(), "period"].astype(int), strict=True))
    for u in units_in:
        for p in b.periods:
            in_results = (u, p) in scored_pairs
            in_exclusions = u in whole or (u, p) in excl_pairs
            assert in_results != in_exclusions, (u, p, in_results, in_exclusions)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(scenarios())
def test_every_input_unit_is_scored_or_excluded_with_a_reason(case):
    fw, panel, recipe = case
    try:
        b = Build(recipe, framework=fw, panel=panel).run()
    except GiproError:  # e.g. screening would remove every unit: a clear error, not a loss
        assume(False)
        return
    check_nothing_lost(b)


def test_invariant_on_the_default_build():
    import gipro

    check_nothing_lost(gipro.run())
