"""Timings of ``gipro.compare`` (score and rank differences of two builds).

Run: ``PYTHONPATH=src python benchmarks/bench_compare.py``. Prints one line per case (best of
5 runs), next to the cost of the expression ``compare`` used before (``set(rb["code"])``
rebuilt for every code: with pandas 3's arrow strings each rebuild iterates the whole column,
so the cost grew with codes x rows). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import gipro
from gipro import Build, Framework, Panel


def best(f: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def synthetic(n_units: int, n_periods: int, n_ind: int, seed: int = 0) -> Build:
    rng = np.random.default_rng(seed)
    codes = [f"x{i}" for i in range(n_ind)]
    fw = Framework([{"code": c, "parent": f"D{i % 8}", "direction": 1 if i % 2 else -1}
                    for i, c in enumerate(codes)],
                   [{"code": "IDX"}, *[{"code": f"D{d}", "parent": "IDX"} for d in range(8)]])
    units = [f"u{i}" for i in range(n_units)]
    idx = pd.MultiIndex.from_product([units, range(2000, 2000 + n_periods)],
                                     names=["unit", "period"])
    vals = pd.DataFrame(rng.lognormal(size=(len(idx), n_ind)), index=idx, columns=codes)
    recipe = {"framework": "synthetic", "data": {"dataset": "china_provinces"},
              "steps": [{"step": "normalise"}, {"step": "aggregate"}]}
    return Build(recipe, framework=fw, panel=Panel(vals)).run()


def old_common(a: Build, b: Build) -> list[str]:
    """The common-code expression of compare before the fix (for the comparison only)."""
    ra, rb = a.results(), b.results()
    return [c for c in dict.fromkeys(ra["code"]) if c in set(rb["code"])]


def main() -> None:
    cases = [("china provinces (30 x 10 x 11 codes)", gipro.run()),
             ("synthetic (200 units x 20 periods x 49 codes)", synthetic(200, 20, 40))]
    for label, base in cases:
        variant = base.with_step("normalise", bounds="per_period").run()
        rows = len(base.results())
        print(f"{label}, {rows:,} result rows:")
        print(f"  compare(a, b)                               "
              f"{best(lambda b=base, v=variant: gipro.compare(b, v)):.3f} s")
        print(f"  the old common-code expression alone        "
              f"{best(lambda b=base, v=variant: old_common(b, v)):.3f} s")


if __name__ == "__main__":
    main()
