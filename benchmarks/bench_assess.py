"""Benchmark: assess many parks against HJ 274-2015 (vectorised over parks x years x items).

Usage::

    PYTHONPATH=src python benchmarks/bench_assess.py [N_COPIES]

Copies the three SYNTHETIC example parks N_COPIES times (default 334 -> 1,002 parks x 6 years)
and prints the seconds taken by :func:`gipro.parks.assess` for hj274 and miit. Not a test.
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from gipro.parks import ParkData, assess, example


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 334
    base = example()
    values = pd.concat([base.values.assign(park=base.values["park"] + f"-{k}")
                        for k in range(n)], ignore_index=True)
    parks = pd.concat([base.parks.reset_index().assign(park=lambda d, k=k: d["park"] + f"-{k}")
                       for k in range(n)], ignore_index=True).set_index("park")
    data = ParkData(values, parks)
    for fw in ("hj274", "miit"):
        t0 = time.perf_counter()
        a = assess(fw, data)
        dt = time.perf_counter() - t0
        print(f"{fw}: {len(parks):,} parks x {len(data.years)} years -> "
              f"{len(a.requirements):,} requirement rows in {dt:.2f} s")


if __name__ == "__main__":
    main()
