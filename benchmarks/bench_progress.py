"""Timings of the progress tables, the contribution decomposition and LMDI (prints numbers).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_progress.py

Synthetic data come from ``numpy.random.default_rng(0)``; nothing is asserted.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import gipro
from gipro import Build, Framework, Panel
from gipro.decompose import contributions
from gipro.lmdi import lmdi
from gipro.methods.lmdi import additive
from gipro.progress import indicator_progress, report


def timeit(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def synthetic_build(n_units: int, n_periods: int, n_dims: int, per_dim: int,
                    method: str = "arithmetic") -> Build:
    rng = np.random.default_rng(0)
    inds = [{"code": f"i{d}_{k}", "parent": f"D{d}", "direction": 1 if k % 2 else -1}
            for d in range(n_dims) for k in range(per_dim)]
    aggs = [{"code": "I"}] + [{"code": f"D{d}", "parent": "I"} for d in range(n_dims)]
    fw = Framework(indicators=inds, aggregates=aggs)
    codes = fw.indicator_codes
    vals = rng.lognormal(size=(n_units * n_periods, len(codes)))
    vals[rng.random(vals.shape) < 0.02] = np.nan
    df = pd.DataFrame(vals, columns=codes)
    df.insert(0, "period", np.tile(np.arange(2000, 2000 + n_periods), n_units))
    df.insert(0, "unit", np.repeat([f"U{i}" for i in range(n_units)], n_periods))
    panel = Panel.from_wide(df)
    rng_ = [1, 100] if method == "geometric" else [0, 100]
    recipe = {"framework": "x", "data": {"path": "x.csv"},
              "steps": [{"step": "normalise", "range": rng_},
                        {"step": "aggregate", "method": method}]}
    return Build(recipe, framework=fw, panel=panel).run()


def main() -> None:
    b = gipro.run()
    print(f"default build (30 units x 10 years x 7 indicators): report() "
          f"{timeit(lambda: report(b)) * 1e3:.0f} ms; contributions(consecutive) "
          f"{timeit(lambda: contributions(b, consecutive=True)) * 1e3:.1f} ms")
    for method in ("arithmetic", "geometric"):
        big = synthetic_build(2000, 20, 8, 6, method)
        t_c = timeit(lambda big=big: contributions(big, consecutive=True), 1)
        t_i = timeit(lambda big=big: indicator_progress(big, consecutive=True), 1)
        print(f"synthetic {method}: 2000 units x 20 periods x 48 indicators, 19 pairs: "
              f"contributions {t_c:.2f} s ({2000 * 19 * 57:,} rows), indicator_progress "
              f"{t_i:.2f} s")
    rng = np.random.default_rng(0)
    x0 = rng.lognormal(size=(1000, 19, 40, 4))
    xT = rng.lognormal(size=(1000, 19, 40, 4))
    x0[..., 0, 1] = 0.0  # a sector appearing everywhere
    t_k = timeit(lambda: additive(x0, xT))
    print(f"LMDI kernel: 1000 units x 19 pairs x 40 sectors x 4 factors: {t_k * 1e3:.0f} ms "
          f"({x0.size / t_k / 1e6:.1f} M factor-terms/s)")
    n_u, n_p, n_s = 300, 20, 40
    tab = pd.DataFrame({
        "unit": np.repeat([f"U{i}" for i in range(n_u)], n_p * n_s),
        "period": np.tile(np.repeat(np.arange(2000, 2000 + n_p), n_s), n_u),
        "sector": np.tile([f"S{i}" for i in range(n_s)], n_u * n_p),
        "va": rng.lognormal(size=n_u * n_p * n_s),
        "co2": rng.lognormal(size=n_u * n_p * n_s),
    })
    ident = gipro.lmdi.Identity({"activity": "total(va)", "structure": "va / total(va)",
                                 "intensity": "co2 / va"}, value="co2")
    t_l = timeit(lambda: lmdi(tab, ident, sector="sector", chain=True), 1)
    print(f"lmdi() tidy, 300 units x 20 periods x 40 sectors ({len(tab):,} rows), chained: "
          f"{t_l:.2f} s")


if __name__ == "__main__":
    main()
