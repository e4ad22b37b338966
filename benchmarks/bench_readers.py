"""Reader speed with every boundary check on (encodings, separators, blank rows, headers,
look-alike characters, number formats, codes): seconds to read a wide panel of 5,000 units x
20 periods x 8 indicators (100,000 rows) from CSV (plain and European format), Excel and
Parquet, against plain pandas reading the same file (no checks).

Run: ``python benchmarks/bench_readers.py [n_units]``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gipro import read_panel


def best_of(f, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n_units: int = 5000, n_periods: int = 20, n_ind: int = 8) -> None:
    rng = np.random.default_rng(0)
    units = [f"U{i:05d}" for i in range(n_units)]
    df = pd.DataFrame({"unit": np.repeat(units, n_periods),
                       "period": np.tile(np.arange(2000, 2000 + n_periods), n_units)})
    for k in range(n_ind):
        df[f"x{k}"] = rng.normal(100, 30, size=len(df)).round(4)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        df.to_csv(d / "d.csv", index=False)
        eu = df.copy()
        for k in range(n_ind):
            eu[f"x{k}"] = eu[f"x{k}"].map(lambda v: f"{v:.4f}".replace(".", ","))
        eu.to_csv(d / "eu.csv", index=False, sep=";")
        df.to_parquet(d / "d.parquet")
        small = df.head(20000)
        small.to_excel(d / "d.xlsx", index=False)
        print(f"{len(df):,} rows x {n_ind} indicators (Excel: {len(small):,} rows)")
        rows = [
            ("CSV", lambda: read_panel(d / "d.csv"),
             lambda: pd.read_csv(d / "d.csv")),
            ("CSV ; and decimal comma", lambda: read_panel(d / "eu.csv", sep=";", decimal=","),
             lambda: pd.read_csv(d / "eu.csv", sep=";", decimal=",")),
            ("Parquet", lambda: read_panel(d / "d.parquet"),
             lambda: pd.read_parquet(d / "d.parquet")),
            ("Excel (20,000 rows)", lambda: read_panel(d / "d.xlsx"),
             lambda: pd.read_excel(d / "d.xlsx")),
        ]
        print(f"{'file':<26}{'read_panel s':>14}{'pandas only s':>15}")
        for name, ours, plain in rows:
            repeat = 1 if "Excel" in name else 3
            print(f"{name:<26}{best_of(ours, repeat):>14.3f}{best_of(plain, repeat):>15.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
