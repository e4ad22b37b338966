"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``: this
folder is then on ``sys.path``). Speed is measured in the scripts, never asserted in tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from gipro import Build, Framework, Panel


def best(f: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls of ``f``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def synthetic(n_units: int, n_periods: int, n_ind: int, seed: int = 0,
              n_dims: int = 4) -> Build:
    """A built index on random log-normal data: ``n_ind`` indicators of alternating direction
    in ``n_dims`` dimensions, ``n_units`` units over ``n_periods`` periods from 2000;
    min-max normalisation and arithmetic aggregation."""
    rng = np.random.default_rng(seed)
    codes = [f"x{i}" for i in range(n_ind)]
    fw = Framework([{"code": c, "parent": f"D{i % n_dims}", "direction": 1 if i % 2 else -1}
                    for i, c in enumerate(codes)],
                   [{"code": "IDX"}, *[{"code": f"D{d}", "parent": "IDX"}
                                       for d in range(n_dims)]])
    units = [f"u{i}" for i in range(n_units)]
    idx = pd.MultiIndex.from_product([units, range(2000, 2000 + n_periods)],
                                     names=["unit", "period"])
    vals = pd.DataFrame(rng.lognormal(size=(len(idx), n_ind)), index=idx, columns=codes)
    recipe = {"framework": "synthetic", "data": {"dataset": "china_provinces"},
              "steps": [{"step": "normalise"}, {"step": "aggregate"}]}
    return Build(recipe, framework=fw, panel=Panel(vals)).run()
