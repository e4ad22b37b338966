"""Aggregate scores that rest on some of their children only (trial 4, case ``odd/``).

The availability rule applies per aggregate, over its children, level by level: a unit
whose whole ENV dimension is missing still gets an index score from ECO alone (1 of 2
children >= 0.5). Such scores are marked in ``results()`` (``children_scored`` of
``children``) and listed in the aggregate step's log note; the unit-period is not in
``exclusions()``, which lists only what has no index score (docs/steps/aggregate.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Build, Framework, Panel
from gipro.steps.aggregate import children_counts

FW = Framework(
    aggregates=[{"code": "IDX"}, {"code": "ENV", "parent": "IDX", "weight": 2},
                {"code": "ECO", "parent": "IDX", "weight": 1}],
    indicators=[{"code": "co2", "parent": "ENV", "direction": -1},
                {"code": "water", "parent": "ENV", "direction": -1},
                {"code": "va", "parent": "ECO", "direction": 1}],
)
ROWS = [("A", 2020, 1.0, 10.0, 40.0), ("B", 2020, 3.0, 30.0, 20.0),
        ("N", 2020, np.nan, np.nan, 30.0)]


def _build(fw=FW, rows=ROWS, min_availability=0.5):
    df = pd.DataFrame(rows, columns=["unit", "period", "co2", "water", "va"])
    recipe = {"framework": "unused", "data": {"path": "unused.csv"},
              "steps": [{"step": "normalise", "method": "minmax", "range": [0, 100]},
                        {"step": "aggregate", "min_availability": min_availability}]}
    return Build(recipe, framework=fw, panel=Panel.from_wide(df, unit="unit",
                                                             period="period")).run()


def test_index_from_part_of_its_dimensions_is_marked():
    """Hand calculation: min-max over the three units, co2 and water (direction -1) A 100,
    B 0; va A 100, B 0, N (30 - 20)/(40 - 20) = 50. ENV: A 100, B 0, N missing (0 of 2
    children); ECO = va. IDX = (2 ENV + ECO)/3: A 100, B 0; N has 1 of 2 children (ECO;
    1/2 >= 0.5), so IDX(N) = ECO(N) = 50, rank 2 of 3."""
    b = _build()
    res = b.results().set_index(["unit", "code"])
    assert res.loc[("N", "IDX"), "score"] == pytest.approx(50.0)
    assert res.loc[("N", "IDX"), "rank"] == 2
    assert res.loc[("A", "IDX"), "score"] == pytest.approx(100.0)
    got = {(u, c): (res.loc[(u, c), "children_scored"], res.loc[(u, c), "children"])
           for u in "ABN" for c in ("IDX", "ENV", "ECO")}
    assert got == {("A", "IDX"): (2, 2), ("A", "ENV"): (2, 2), ("A", "ECO"): (1, 1),
                   ("B", "IDX"): (2, 2), ("B", "ENV"): (2, 2), ("B", "ECO"): (1, 1),
                   ("N", "IDX"): (1, 2), ("N", "ENV"): (0, 2), ("N", "ECO"): (1, 1)}
    assert np.isnan(res.loc[("N", "ENV"), "score"])
    assert res.xs("va", level="code")["children"].isna().all()  # indicators: no children
    # the analyst's filter: index scores resting on part of their children
    r = b.results()
    part = r[(r["children_scored"] < r["children"]) & r["score"].notna()]
    assert part[["unit", "code"]].values.tolist() == [["N", "IDX"]]
    notes = b.log[-1].notes
    assert ("1 aggregate score computed with some children missing (weights renormalised "
            "over the available children; results: children_scored < children): N 2020 IDX "
            "1 of 2 children (missing: ENV)") in notes
    # scored, so not excluded: exclusions list unit-periods without an index score only
    assert b.exclusions().empty


def test_missing_index_is_excluded_and_note_counts_cases():
    """With min_availability 0.75 N's index (1 of 2 children) is missing: it goes to the
    exclusions with the missing indicators, and no score rests on part of its children,
    so there is no partial note. Over five units missing one ENV indicator each (and 0.5),
    the note counts 5 ENV cases and lists the first five in period and unit order."""
    b = _build(min_availability=0.75)
    assert np.isnan(b.data("aggregated").loc[("N", 2020), "IDX"])
    ex = b.exclusions()
    assert ex[["unit", "period"]].values.tolist() == [["N", 2020]]
    assert "2 of 3 indicators missing (co2, water)" in ex["reason"].iloc[0]
    assert not any("children missing" in n for n in b.log[-1].notes)
    rows = [(u, 2020, 1.0 + i, np.nan if i % 2 else 10.0 + i, 20.0 + i)
            for i, u in enumerate("ABCDEFG")]
    rows = [(u, p, np.nan if (i % 2 == 0 and i > 0) else c, w, v)
            for i, (u, p, c, w, v) in enumerate(rows)]
    # A complete; B, D, F lack water; C, E, G lack co2: six ENV scores on 1 of 2 children
    notes = _build(rows=rows).log[-1].notes
    (note,) = [n for n in notes if "children missing" in n]
    assert note.startswith("6 aggregate scores computed with some children missing")
    assert ("B 2020 ENV 1 of 2 children (missing: water), C 2020 ENV 1 of 2 children "
            "(missing: co2)") in note
    assert note.endswith("F 2020 ENV 1 of 2 children (missing: water); and 1 more")


def test_zero_weight_children_are_not_counted():
    """A child of weight 0 does not count in the availability rule (COINr dat_thresh counts
    positively weighted children): with water at weight 0, ENV has 1 child, so N2 (water
    missing, co2 present) is a complete ENV (1 of 1), not a partial one."""
    fw = FW.with_weights({"water": 0.0})
    rows = [*ROWS[:2], ("N2", 2020, 2.0, np.nan, 30.0)]
    b = _build(fw=fw, rows=rows)
    res = b.results().set_index(["unit", "code"])
    assert (res.loc[("N2", "ENV"), "children_scored"], res.loc[("N2", "ENV"), "children"]) \
        == (1, 1)
    assert res.loc[("N2", "ENV"), "score"] == pytest.approx(50.0)  # co2 (2 in [1, 3])
    assert not any("children missing" in n for n in b.log[-1].notes)


def test_children_counts_take_a_weight_sets_weights_over_the_frameworks():
    """children_counts with a weight set: ENV's co2 at 0 in the set (framework weight 1) is
    not counted, water (only in the framework, weight 1) is; so ENV has 1 child, scored
    where water is observed. Without the set both count."""
    codes = ["co2", "water", "va", "ENV", "ECO", "IDX"]
    values = np.array([[1.0, np.nan, 3.0, np.nan, np.nan, np.nan],
                       [1.0, 2.0, 3.0, np.nan, np.nan, np.nan]])
    scored, total = children_counts(FW, codes, values, {"ENV": {"co2": 0.0}})
    assert total.tolist() == [0, 0, 0, 1, 1, 2]
    assert scored[:, 3].tolist() == [0, 1]
    scored, total = children_counts(FW, codes, values)
    assert total.tolist() == [0, 0, 0, 2, 1, 2]
    assert scored[:, 3].tolist() == [1, 2]


def test_gipro_run_says_when_index_scores_rest_on_part_of_their_children(tmp_path):
    """The console output of `gipro run` names the partial index scores (N 2020 above)."""
    from typer.testing import CliRunner

    from gipro.cli import app

    pd.DataFrame(ROWS, columns=["unit", "period", "co2", "water", "va"]).to_csv(
        tmp_path / "d.csv", index=False)
    (tmp_path / "fw.yaml").write_text(
        "code: t\naggregates:\n  - {code: IDX}\n  - {code: ENV, parent: IDX, weight: 2}\n"
        "  - {code: ECO, parent: IDX, weight: 1}\nindicators:\n"
        "  - {code: co2, parent: ENV, direction: -1}\n"
        "  - {code: water, parent: ENV, direction: -1}\n"
        "  - {code: va, parent: ECO, direction: 1}\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(
        "framework: fw.yaml\ndata: {path: d.csv}\nsteps:\n  - step: normalise\n"
        "  - step: aggregate\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "--out",
                                   str(tmp_path / "o")])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "1 index score (1 unit) rests on part of the index's children" in text
