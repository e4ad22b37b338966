"""Timings of green total-factor productivity (``gipro.gtfp``; prints numbers, asserts none).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_gtfp.py            # 30 x 10 and 3,000 x 10
    PYTHONPATH=src python benchmarks/bench_gtfp.py --small    # 30 x 10 only
    PYTHONPATH=src python benchmarks/bench_gtfp.py --dask 2   # also 3,000 x 10 on 2 workers

Synthetic panels (``numpy.random.default_rng(0)``): capital and labour inputs, output from a
Cobb-Douglas technology with unit-specific productivity drifting over time, CO2 as an
emission intensity times output. The baseline is the textbook way: one ``linprog`` call per
DMU with every reference observation as a column (measured on a sample of DMUs of the same
global frontier and scaled to all of them), against gipro's block LPs with column
generation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from gipro import gtfp


def synthetic(n_units: int, n_periods: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n_periods)
    k = rng.lognormal(5, 1, (n_units, 1)) * np.exp(0.05 * t)
    labour = rng.lognormal(3, 0.8, (n_units, 1)) * np.exp(0.01 * t)
    tfp = rng.lognormal(0, 0.3, (n_units, 1)) * np.exp(
        rng.normal(0.02, 0.03, (n_units, n_periods)).cumsum(axis=1))
    y = tfp * k ** 0.4 * labour ** 0.6 * np.exp(rng.normal(0, 0.1, (n_units, n_periods)))
    co2 = y * rng.lognormal(0, 0.4, (n_units, 1)) * np.exp(
        rng.normal(-0.02, 0.05, (n_units, n_periods)).cumsum(axis=1))
    return pd.DataFrame({"unit": np.repeat([f"c{i:05d}" for i in range(n_units)], n_periods),
                         "period": np.tile(2010 + t, n_units), "K": k.ravel(),
                         "L": labour.ravel(), "Y": y.ravel(), "CO2": co2.ravel()})


BASE = {"inputs": ["K", "L"], "desirable": ["Y"], "undesirable": ["CO2"]}
CASES = [
    ("ddf, global Malmquist-Luenberger", {"technology": "global"}),
    ("ddf, contemporaneous Malmquist-Luenberger", {"technology": "contemporaneous"}),
    ("nonradial_ddf, global Luenberger", {"model": "nonradial_ddf", "technology": "global"}),
    ("sbm + super-efficiency, sequential ML", {"model": "sbm", "super_efficiency": True,
                                               "technology": "sequential"}),
]


def timed(spec: dict, df: pd.DataFrame, **kw) -> tuple[float, gtfp.GTFPResult]:
    t0 = time.perf_counter()
    res = gtfp.run({**BASE, **spec}, panel=df, **kw)
    return time.perf_counter() - t0, res


def naive_seconds_per_dmu(df: pd.DataFrame, sample: int = 60) -> float:
    """The baseline: one LP per DMU, every reference observation a column (radial DDF,
    output direction, CRS, global frontier), timed on ``sample`` DMUs."""
    data = df[["K", "L", "Y", "CO2"]].to_numpy()
    data = data / data.mean(axis=0)
    xr, yr, br = data[:, :2].T, data[:, 2:3].T, data[:, 3:].T
    n = data.shape[0]
    c = np.r_[-1.0, np.zeros(n)]
    t0 = time.perf_counter()
    for o in range(sample):
        x, y, b = data[o, :2], data[o, 2:3], data[o, 3:]
        a_ub = np.vstack([np.c_[np.zeros(2), xr], np.c_[y, -yr]])
        a_eq = np.c_[b, br]
        linprog(c, A_ub=a_ub, b_ub=np.r_[x, -y], A_eq=a_eq, b_eq=b,
                bounds=[(None, None)] + [(0, None)] * n, method="highs")
    return (time.perf_counter() - t0) / sample


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="30 x 10 only")
    ap.add_argument("--dask", type=int, default=0, help="also on a local Dask cluster")
    args = ap.parse_args()
    small = synthetic(30, 10)
    print("30 units x 10 periods")
    for name, spec in CASES:
        best = min(timed(spec, small)[0] for _ in range(3))
        _, res = timed(spec, small)
        print(f"  {name:45s} {best:7.3f} s  ({res.n_lp} HiGHS calls, "
              f"{len(res.infeasible)} infeasible LPs)")
    if args.small:
        return
    big = synthetic(3000, 10)
    print("3,000 units x 10 periods (30,000 observations)")
    sec, res = timed(CASES[0][1], big)
    per = naive_seconds_per_dmu(big)
    print(f"  {CASES[0][0]:45s} {sec:7.1f} s  ({res.n_lp} HiGHS calls for "
          f"{2 * len(big):,} LPs, {len(res.infeasible)} infeasible)")
    base = per * len(big)
    print(f"  baseline: one linprog per DMU with all 30,000 columns, {per * 1e3:.0f} ms each: "
          f"~{base:.0f} s for the global frontier's 30,000 LPs alone; ratio baseline/gipro "
          f"{base / sec:.1f}")
    sec2, res2 = timed(CASES[1][1], big)
    print(f"  {CASES[1][0]:45s} {sec2:7.1f} s  ({res2.n_lp} HiGHS calls, "
          f"{len(res2.infeasible)} infeasible LPs)")
    if args.dask:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.dask, threads_per_worker=1,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            sec3, res3 = timed(CASES[0][1], big, client=client)
        same = res3.productivity.equals(res.productivity)
        print(f"  same on Dask ({args.dask} workers): {sec3:7.1f} s, identical numbers: {same}")


if __name__ == "__main__":
    main()
