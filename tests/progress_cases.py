"""Small builds shared by the progress and decomposition tests (hand-worked cases)."""

from __future__ import annotations

import pandas as pd

from gipro import Build, Framework, Panel

FW = Framework(
    indicators=[{"code": "a", "parent": "D1", "direction": 1},
                {"code": "b", "parent": "D1", "direction": -1},
                {"code": "c", "parent": "D2", "direction": 1}],
    aggregates=[{"code": "I"}, {"code": "D1", "parent": "I"}, {"code": "D2", "parent": "I"}],
)


def make_build(rows, *, method="arithmetic", bounds="pooled", rng=(0.0, 100.0), fw=FW,
               min_availability=0.5, weight_steps=(), weights="framework", shift=0.0):
    df = pd.DataFrame(rows, columns=["unit", "period", *fw.indicator_codes])
    panel = Panel.from_wide(df, unit="unit", period="period")
    recipe = {
        "framework": "unused", "data": {"path": "unused.csv"},
        "steps": [{"step": "normalise", "range": list(rng), "bounds": bounds},
                  *weight_steps,
                  {"step": "aggregate", "method": method, "weights": weights,
                   "min_availability": min_availability,
                   **({"shift": shift} if shift else {})}],
    }
    return Build(recipe, framework=fw, panel=panel).run()


# Arithmetic example (pooled min-max onto [0, 100], weights: D1 and D2 1/2 each, a and b 1/2
# of D1 -> effective weights a 1/4, b 1/4, c 1/2):
#   a (+):  A 0 -> 10,   B 20 -> 40     pooled [0, 40]     scores A 0 -> 25,  B 50 -> 100
#   b (-):  A 5 -> 3,    B 1 -> 4       -b pooled [-5, -1] scores A 0 -> 50,  B 100 -> 25
#   c (+):  A 100 -> 200, B 300 -> 500  pooled [100, 500]  scores A 0 -> 25,  B 50 -> 100
ARITH = [("A", 2000, 0, 5, 100), ("A", 2010, 10, 3, 200),
         ("B", 2000, 20, 1, 300), ("B", 2010, 40, 4, 500)]


# Three periods, same framework and weights as ARITH.
# Pooled min-max onto [0, 100], effective weights a .25, b .25, c .5 (as ARITH):
#   a (+): A 0, 20, 10;  B 40, 30, 20;  C 10 always   pooled [0, 40]    A 0, 50, 25;  B 100, 75, 50
#   b (-): A 5, 1, 3;    B 1, 5, 3;     C 3 always    -b in [-5, -1]    A 0, 100, 50; B 100, 0, 50
#   c (+): A 100, 300, 500; B 500, 100, 300; C 300    pooled [100, 500] A 0, 50, 100; B 100, 0, 50
# Index A 0 -> 62.5 -> 68.75; B 100 -> 18.75 -> 50; C 43.75 throughout (scores 25, 50, 50).
THREE = [("A", 2000, 0, 5, 100), ("A", 2005, 20, 1, 300), ("A", 2010, 10, 3, 500),
         ("B", 2000, 40, 1, 500), ("B", 2005, 30, 5, 100), ("B", 2010, 20, 3, 300),
         ("C", 2000, 10, 3, 300), ("C", 2005, 10, 3, 300), ("C", 2010, 10, 3, 300)]
