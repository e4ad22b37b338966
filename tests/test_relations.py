"""Derived indicators move with what they are computed from (gipro.scenario.relations).

Expected values are hand formulas written out in each test (the catalogue's formula of each
park indicator, the variable definitions of the china_provinces data set), evaluated here with
numpy/pandas on the data -- the china_provinces CSV read with pandas, the example parks as
loaded -- never gipro's propagation output pasted back.

One test per relation: (a) the relation holds in the shipped data (so the declared formula is
the data's), (b) a +10 % change of each input moves the target by the hand-derived amount, or,
for ``depends`` relations, leaves it with a warning naming it.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gipro
from gipro import InputError, parks
from gipro.scenario import Change, Scenario, apply_changes, evaluate, evaluate_parks
from gipro.scenario.cube import Cube
from gipro.scenario.evaluate import base_cube
from gipro.scenario.parks import park_cube
from gipro.scenario.propagate import propagate
from gipro.scenario.relations import (
    Relation,
    builtin_relations,
    load_relations,
    parse_relations,
)

PARK_REL = load_relations("parks")
CHINA_REL = load_relations("china_provinces")
UNIT, YEAR = "PARK-C", 2023


@pytest.fixture(scope="module")
def pcube():
    return park_cube(parks.example())


@pytest.fixture(scope="module")
def china():
    with resources.as_file(resources.files("gipro") / "datasets" / "data"
                           / "china_provinces.csv") as p:
        return pd.read_csv(p)


def col(cube: Cube, code: str) -> np.ndarray:
    return cube.values[:, :, cube.codes.index(code)]


def g3(now, before):
    """Average annual growth over 3 years (the catalogue's formula)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((before > 0) & (now >= 0), (now / before) ** (1 / 3) - 1, np.nan)


def lag3(a: np.ndarray) -> np.ndarray:
    out = np.full(a.shape, np.nan)
    out[3:] = a[:-3]
    return out


def by_hand(r: Relation, cube: Cube) -> np.ndarray:
    """The relation's formula on the cube's values, written out independently."""
    if r.kind == "product":
        return r.factor * np.prod([col(cube, c) ** e for c, e in r.terms.items()], axis=0)
    if r.kind == "growth":
        s = col(cube, r.source)
        return r.factor * g3(s, lag3(s))
    if r.kind == "elasticity":
        d = col(cube, r.denominator)
        gd = g3(d, lag3(d))
        el = [np.where(gd > 0, g3(col(cube, n), lag3(col(cube, n))) / gd, np.nan)
              for n in r.numerators]
        return np.fmax.reduce(el)
    raise AssertionError(r.kind)


def scen(*changes, name="s") -> Scenario:
    return Scenario(name=name, changes=list(changes))


# ---------------------------------------------------------------------- the data sets
def test_relation_sets_are_valid_and_name_known_codes():
    assert builtin_relations() == ["china_provinces", "parks"]
    cat = {i.code for i in parks.load_catalogue().indicators}
    for r in PARK_REL:
        assert {r.code, *r.inputs} <= cat, r.code
    variables = set(gipro.datasets.variables()["code"])
    for r in CHINA_REL:
        assert {r.code, *r.inputs} <= variables, r.code


@pytest.mark.parametrize("rel", [r for r in PARK_REL if r.kind != "depends"],
                         ids=lambda r: r.code)
def test_park_relation_holds_in_the_example_parks(rel, pcube):
    """The catalogue formula holds wherever the example parks have every input."""
    want, got = by_hand(rel, pcube), col(pcube, rel.code)
    ok = np.isfinite(want) & np.isfinite(got)
    assert ok.sum() >= 6, "too few park-years to check"  # not vacuous
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-12)


@pytest.mark.parametrize("rel", [r for r in PARK_REL if r.kind != "depends"],
                         ids=lambda r: r.code)
def test_park_relation_recomputes_the_target_when_an_input_moves(rel, pcube):
    """+10 % on each input in PARK-C 2023: the target is the hand formula on the changed
    data (product: x 1.1^e; growth and elasticity: the formula with the new value)."""
    pi, ui = pcube.periods.index(YEAR), pcube.units.index(UNIT)
    for src in rel.inputs:
        # inputs that are themselves derived would be recomputed first; change a root input
        new, log, notes = apply_changes(pcube, scen(Change(
            op="pct", units=[UNIT], indicators=[src], value=10)))
        before = col(pcube, rel.code)[pi, ui]
        after = col(new, rel.code)[pi, ui]
        if rel.kind == "product":
            expect = before * 1.1 ** rel.terms[src]
        else:
            changed = pcube.copy()
            changed.values[pi, ui, pcube.codes.index(src)] *= 1.1
            expect = by_hand(rel, changed)[pi, ui]
        assert after == pytest.approx(expect, rel=1e-12), (rel.code, src)
        row = log[(log["indicator"] == rel.code) & (log["op"] == "recomputed")]
        assert len(row) >= 1 and rel.formula() in row["note"].iloc[0]
        assert any(rel.code in n for n in notes if "recomputed from it" in n)


@pytest.mark.parametrize("rel", [r for r in PARK_REL if r.kind == "depends"],
                         ids=lambda r: r.code)
def test_park_dependant_that_cannot_be_recomputed_gives_a_warning(rel, pcube):
    src = rel.sources[0]
    new, _, notes = apply_changes(pcube, scen(Change(op="pct", units=[UNIT],
                                                     indicators=[src], value=10)))
    np.testing.assert_array_equal(col(new, rel.code), col(pcube, rel.code))
    warn = [n for n in notes if "warning" in n and rel.code in n and "not recomputed" in n]
    assert warn and rel.needs in warn[0] and src in warn[0]


@pytest.mark.parametrize("rel", [r for r in CHINA_REL if r.kind != "depends"],
                         ids=lambda r: r.code)
def test_china_relation_holds_in_the_data_file(rel, china):
    """The data file (read with pandas) stores 7 significant digits: relative 2e-6."""
    if rel.kind == "sum":
        parts = sum(a * china[c] for c, a in rel.terms.items())
        ok = parts.notna() & china[rel.code].notna()
        assert ok.sum() > 500
        if rel.rest:  # the unlisted parts are >= 0
            assert (china.loc[ok, rel.code] >= parts[ok] - 1e-3).all()
        else:
            np.testing.assert_allclose(china.loc[ok, rel.code], parts[ok], rtol=2e-5)
        return
    prod = np.prod([china[c].to_numpy() ** e for c, e in rel.terms.items()], axis=0)
    ratio = china[rel.code].to_numpy() / prod
    ok = np.isfinite(ratio)
    assert ok.sum() > 500
    if rel.factor is None:  # constant within each period (the deflator)
        spread = pd.Series(ratio[ok]).groupby(china["period"][ok].to_numpy()).agg(
            lambda s: s.max() / s.min() - 1)
        assert spread.max() < 2e-6
    else:
        np.testing.assert_allclose(ratio[ok], rel.factor, rtol=2e-6)


@pytest.fixture(scope="module")
def ccube():
    return base_cube(gipro.run())


@pytest.mark.parametrize("rel", CHINA_REL, ids=lambda r: r.code)
def test_china_relation_recomputes_the_target(rel, ccube):
    cube = ccube
    pi, ui = cube.periods.index(2015), cube.units.index("Shanxi")
    for src in rel.inputs:
        new, _, notes = apply_changes(cube, scen(Change(
            op="pct", units=["Shanxi"], indicators=[src], value=10, periods=2015)))
        before, after = col(cube, rel.code)[pi, ui], col(new, rel.code)[pi, ui]
        if rel.kind == "product":
            assert after == pytest.approx(before * 1.1 ** rel.terms[src], rel=1e-12)
        elif rel.kind == "sum":
            s0 = col(cube, src)[pi, ui]
            assert after == pytest.approx(before + 0.1 * rel.terms[src] * s0, rel=1e-12)
        else:
            assert after == before
            assert any("warning" in n and rel.code in n for n in notes)


# ---------------------------------------------------------------------- behaviour
def test_the_reported_case_energy_productivity_moves_with_energy_per_iva(pcube):
    """New-user report #1: energy_per_iva -20 % in PARK-C 2023. energy_productivity is its
    reciprocal: x 1/0.8 = +25 %. Energy use and IVA stay: a warning says so."""
    new, _log, notes = apply_changes(pcube, scen(Change(
        op="pct", units=[UNIT], indicators=["energy_per_iva"], value=-20)))
    pi, ui = pcube.periods.index(YEAR), pcube.units.index(UNIT)
    ep0 = col(pcube, "energy_productivity")[pi, ui]
    assert col(new, "energy_productivity")[pi, ui] == pytest.approx(ep0 / 0.8, rel=1e-12)
    for c in ("energy_total", "iva_total", "energy_elasticity"):
        assert col(new, c)[pi, ui] == col(pcube, c)[pi, ui]
    warn = [n for n in notes if "warning: energy_per_iva changed" in n]
    assert warn and "energy_total" in warn[0] and "energy_elasticity" in warn[0]


def test_an_invertible_relation_solves_its_input(pcube):
    """energy_productivity x 1.25 -> energy_per_iva = 1 / productivity: x 0.8."""
    new, _log, notes = apply_changes(pcube, scen(Change(
        op="pct", units=[UNIT], indicators=["energy_productivity"], value=25)))
    pi, ui = pcube.periods.index(YEAR), pcube.units.index(UNIT)
    e0 = col(pcube, "energy_per_iva")[pi, ui]
    assert col(new, "energy_per_iva")[pi, ui] == pytest.approx(e0 * 0.8, rel=1e-12)
    assert any("warning: energy_per_iva changed" in n for n in notes)
    assert not any("sets both" in n for n in notes)


def test_a_chain_energy_use_moves_intensity_productivity_and_elasticity(pcube):
    """energy_total -20 % in PARK-C 2023 (IVA unchanged): energy_per_iva x 0.8,
    energy_productivity x 1.25, elasticity = g(E) / g(IVA) with E(2023) x 0.8."""
    new, _log, notes = apply_changes(pcube, scen(Change(
        op="pct", units=[UNIT], indicators=["energy_total"], value=-20)))
    pi, ui = pcube.periods.index(YEAR), pcube.units.index(UNIT)
    assert col(new, "energy_per_iva")[pi, ui] == pytest.approx(
        col(pcube, "energy_per_iva")[pi, ui] * 0.8, rel=1e-12)
    assert col(new, "energy_productivity")[pi, ui] == pytest.approx(
        col(pcube, "energy_productivity")[pi, ui] / 0.8, rel=1e-12)
    e, i = col(pcube, "energy_total")[:, ui], col(pcube, "iva_total")[:, ui]
    want = ((0.8 * e[pi] / e[pi - 3]) ** (1 / 3) - 1) / ((i[pi] / i[pi - 3]) ** (1 / 3) - 1)
    assert want < 0  # energy falls while IVA grows: a negative elasticity is allowed
    assert col(new, "energy_elasticity")[pi, ui] == pytest.approx(want, rel=1e-12)
    assert not [n for n in notes if "warning" in n]


def test_a_missing_input_leaves_the_target_with_a_warning():
    """PARK-N 2023 lacks energy_total (8 firms without energy data): an IVA change cannot
    recompute energy_per_iva there, which is left as it was and counted."""
    data = parks.example()
    cube = park_cube(data)
    pi, ui = cube.periods.index(2023), cube.units.index("PARK-N")
    assert np.isnan(col(cube, "energy_total")[pi, ui])
    assert np.isfinite(col(cube, "energy_per_iva")[pi, ui])
    new, log, notes = apply_changes(cube, scen(Change(
        op="pct", units=["PARK-N"], indicators=["iva_total"], value=10)))
    assert col(new, "energy_per_iva")[pi, ui] == col(cube, "energy_per_iva")[pi, ui]
    assert col(new, "water_per_iva")[pi, ui] == pytest.approx(
        col(cube, "water_per_iva")[pi, ui] / 1.1, rel=1e-12)
    row = log[(log["indicator"] == "energy_per_iva")]
    assert "not recomputed" in row["note"].iloc[0]
    assert any("not recomputed where the formula has no value" in n and "energy_per_iva" in n
               for n in notes)


def test_setting_a_target_and_its_inputs_in_one_change_keeps_the_change_and_warns(pcube):
    new, _, notes = apply_changes(pcube, scen(Change(
        op="pct", units=[UNIT], indicators=["energy_total", "energy_per_iva"], value=-10)))
    pi, ui = pcube.periods.index(YEAR), pcube.units.index(UNIT)
    assert col(new, "energy_per_iva")[pi, ui] == pytest.approx(
        col(pcube, "energy_per_iva")[pi, ui] * 0.9, rel=1e-12)
    assert any("sets both" in n for n in notes)


def test_a_total_with_unlisted_parts_may_change_alone(ccube):
    """co2_total = industry + power/heat + other sectors: changing the total alone is
    consistent (the other sectors absorb it): intensity and per capita follow, no warning."""
    cube = ccube
    pi, ui = cube.periods.index(2015), cube.units.index("Hebei")
    new, _, notes = apply_changes(cube, scen(Change(
        op="pct", units=["Hebei"], indicators=["co2_total"], value=-10, periods=2015)))
    for c in ("co2_intensity_gdp", "co2_per_capita"):
        assert col(new, c)[pi, ui] == pytest.approx(col(cube, c)[pi, ui] * 0.9, rel=1e-12)
    assert col(new, "co2_industry")[pi, ui] == col(cube, "co2_industry")[pi, ui]
    assert not [n for n in notes if "warning" in n]


def test_evaluation_on_the_example_parks_moves_miit_and_park26():
    """The shipped central-energy-20 scenario: MIIT's energy-productivity requirement and the
    park26 index now see the change (before the fix: 'mean change +0.000')."""
    s = scen(Change(op="pct", units=[UNIT], indicators=["energy_per_iva"], value=-20),
             name="central-energy-20")
    ev = evaluate_parks(parks.example(), s, parks={"frameworks": ["miit"]})
    req = ev.tables["requirement_changes"]
    assert "energy_productivity" in set(req["indicator"])
    idx = ev.tables["park26_index"]
    row = idx[(idx["unit"] == UNIT) & (idx["period"] == YEAR)]
    assert row["central-energy-20_score_change"].item() > 0
    assert "warning: energy_per_iva changed" in ev.summary()
    ov = ev.tables["overview"]
    assert (ov["values_recomputed"] == 1).all() and (ov["warnings"] == 1).all()
    # derived: keep -- the old behaviour, said in the notes
    kept = evaluate_parks(parks.example(), s, parks={"frameworks": ["miit"]},
                          options={"derived": "keep"})
    assert "energy_productivity" not in set(kept.tables["requirement_changes"]["indicator"])
    assert any("derived: keep" in n for n in kept.notes)


def test_user_relations_in_the_evaluation_options():
    """A relation declared in the scenario file: 'ratio' = a / c on the toy data."""
    fw = gipro.Framework([{"code": "a", "parent": "IDX", "direction": 1},
                          {"code": "ratio", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    panel = gipro.Panel.from_wide(pd.DataFrame({
        "unit": ["u1", "u2", "u3"], "period": [2020] * 3, "a": [10.0, 20.0, 30.0],
        "c": [2.0, 4.0, 5.0], "ratio": [5.0, 5.0, 6.0]}), unit="unit", period="period")
    b = gipro.Build({"framework": "toy", "data": {"dataset": "china_provinces"},
                     "steps": [{"step": "normalise", "range": [0, 100]},
                               {"step": "aggregate"}]}, framework=fw, panel=panel).run()
    s = scen(Change(op="pct", units=["u1"], indicators=["a"], value=50))
    ev = evaluate(b, s, options={"relations": [{"code": "ratio", "terms": {"a": 1, "c": -1}}]})
    new = ev.runs["s"].cube
    assert col(new, "ratio")[0, 0] == pytest.approx(7.5)  # 15 / 2
    assert col(evaluate(b, s).runs["s"].cube, "ratio")[0, 0] == 5.0  # none declared
    assert any("no relations between the variables" in n for n in evaluate(b, s).notes)


def test_invalid_relations_are_refused():
    with pytest.raises(InputError, match="circular relations: x -> y -> x"):
        parse_relations([{"code": "x", "terms": {"y": 1}}, {"code": "y", "terms": {"x": -1}}])
    with pytest.raises(InputError, match="more than one relation computes x"):
        parse_relations([{"code": "x", "terms": {"y": 1}}, {"code": "x", "terms": {"z": 1}}])
    with pytest.raises(InputError, match="does not take source"):
        parse_relations([{"code": "x", "terms": {"y": 1}, "source": "y"}])
    with pytest.raises(InputError, match="computed from itself"):
        parse_relations([{"code": "x", "terms": {"x": 2}}])


def test_propagate_without_relations_changes_nothing():
    v = np.array([[[1.0, 2.0]]])
    cube = Cube(v.copy(), [2020], ["u"], ["a", "b"], 2020)
    assert propagate(cube, v, np.ones(v.shape, dtype=bool), scenario="s", change=1,
                     where="w") == (None, [])


def test_a_user_relation_naming_an_unknown_variable_is_an_error():
    with pytest.raises(InputError, match="relations name variables not in the data: nope"):
        evaluate(gipro.run(), scen(Change(op="pct", indicators=["co2_total"], value=-1)),
                 options={"relations": [{"code": "co2_per_capita",
                                         "terms": {"nope": 1, "population": -1}}]})


# ---------------------------------------------------------------------- property
TOY_REL = parse_relations([
    {"code": "c", "terms": {"a": 1, "b": -1}, "factor": 2.0},
    {"code": "d", "terms": {"c": -1}},
    {"code": "e", "kind": "sum", "terms": {"a": 1, "b": 1}},
    {"code": "g", "kind": "growth", "source": "a", "window": 2, "factor": 100},
])


@settings(max_examples=60)
@given(a=st.lists(st.floats(0.5, 50), min_size=12, max_size=12),
       b=st.lists(st.floats(0.5, 50), min_size=12, max_size=12),
       pct=st.floats(-90, 300), which=st.sampled_from(["a", "b"]),
       period=st.sampled_from([2020, 2021, 2022, 2023]))
def test_property_changes_of_inputs_keep_every_relation(a, b, pct, which, period):
    """Invariant: data that satisfy the relations still satisfy them after any per-cent change
    of an input (c = 2a/b, d = 1/c, e = a + b, g = growth of a over 2 periods), and nothing
    else moves; no warnings."""
    A = np.array(a).reshape(4, 3)
    B = np.array(b).reshape(4, 3)
    prev = np.full(A.shape, np.nan)
    prev[2:] = A[:-2]
    G = 100 * ((A / prev) ** 0.5 - 1)
    C = 2 * A / B
    v = np.stack([A, B, C, 1 / C, A + B, G], axis=-1)
    cube = Cube(v, [2020, 2021, 2022, 2023], ["u1", "u2", "u3"], list("abcdeg"), 2023,
                relations=tuple(TOY_REL))
    new, _, notes = apply_changes(cube, scen(Change(op="pct", units=["u2"], indicators=[which],
                                                    value=pct, periods=period)))
    a2, b2 = col(new, "a"), col(new, "b")
    np.testing.assert_allclose(col(new, "c"), 2 * a2 / b2, rtol=1e-9)
    np.testing.assert_allclose(col(new, "d"), b2 / (2 * a2), rtol=1e-9)
    np.testing.assert_allclose(col(new, "e"), a2 + b2, rtol=1e-9)
    p2 = np.full(a2.shape, np.nan)
    p2[2:] = a2[:-2]
    np.testing.assert_allclose(col(new, "g"), 100 * ((a2 / p2) ** 0.5 - 1), rtol=1e-9,
                               atol=1e-9)
    others = np.ones(v.shape[:2], dtype=bool)
    others[:, 1] = False
    np.testing.assert_array_equal(new.values[others], v[others])
    assert not [n for n in notes if "warning" in n]


def test_composite_overview_counts_recomputed_values_and_the_index_sees_them():
    """Real GDP of Shanxi 2015 +10 %: by the china_provinces relations, gdp_nominal (x 1.1),
    GDP per capita (x 1.1) and both CO2 intensities (/ 1.1) are recomputed: 1 value changed,
    4 recomputed, no warning; the index moves through three indicators."""
    ev = evaluate(gipro.run(), scen(Change(op="pct", units=["Shanxi"],
                                           indicators=["gdp_real_2015prices"], value=10,
                                           periods=2015), name="g"))
    ov = ev.tables["overview"].iloc[0]
    assert (ov["values_changed"], ov["values_recomputed"], ov["warnings"]) == (1, 4, 0)
    c = ev.tables["contributions"]
    c = c[(c["unit"] == "Shanxi") & (c["kind"] == "indicator") & (c["contribution"] != 0)]
    assert set(c["code"]) == {"gdp_real_per_capita", "co2_intensity_gdp",
                              "co2_industry_intensity_gdp"}
