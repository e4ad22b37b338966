"""Benchmark: roll up 1 million enterprise records into park indicators.

Usage::

    PYTHONPATH=src python benchmarks/bench_rollup.py [N_ROWS]

Prints the seconds taken by :func:`gipro.parks.rollup_table` (best of 3) on N_ROWS (default
1,000,000) random enterprise rows (500 parks x 5 years x 400 firms; 2 % of each quantity and
5 % of each flag missing; flags as "yes"/"no" text, as read from a CSV). Not a test: numbers
depend on the machine.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from gipro.parks import rollup_table


def make(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_parks, n_years = 500, 5
    per = max(1, n // (n_parks * n_years))
    park = np.repeat(np.arange(n_parks), n_years * per)[:n]
    year = np.tile(np.repeat(np.arange(2019, 2019 + n_years), per), n_parks)[:n]
    va = rng.lognormal(7, 1, n)
    df = pd.DataFrame({"park": pd.Categorical(park.astype(str)), "year": year,
                       "value_added": va, "output": va * 3})
    for col, k in [("energy_tce", 0.4), ("water_m3", 6.0), ("wastewater_t", 4.0),
                   ("solid_waste_t", 0.2), ("co2_t", 1.2), ("cod_t", 0.002),
                   ("so2_t", 0.001), ("employees", 0.05)]:
        x = va * k * rng.lognormal(0, 0.3, n)
        x[rng.random(n) < 0.02] = np.nan
        df[col] = x
    df["solid_waste_used_t"] = df["solid_waste_t"] * rng.uniform(0.3, 1.0, n)
    for flag in ["iso14001", "enms", "cp_audit", "wastewater_connected", "key_enterprise",
                 "high_tech", "recycling_industry", "green_industry"]:
        f = np.where(rng.random(n) < 0.5, "yes", "no").astype(object)
        f[rng.random(n) < 0.05] = None
        df[flag] = f
    return df


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t0 = time.perf_counter()
    df = make(n)
    print(f"generated {len(df):,} enterprise rows in {time.perf_counter() - t0:.2f} s")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        table, _ = rollup_table(df)
        times.append(time.perf_counter() - t0)
    print(f"rollup_table: {min(times):.2f} s best of 3 ({', '.join(f'{t:.2f}' for t in times)})"
          f" -> {len(table):,} park-year-indicator rows, "
          f"{table[['park', 'year']].drop_duplicates().shape[0]:,} park-years")


if __name__ == "__main__":
    main()
