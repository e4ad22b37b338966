"""Scale: a synthetic wide Parquet panel of N units x 50 indicators x 20 periods, built by
``gipro run recipe.yaml --out d --format parquet`` as a whole process, at several N.

Prints, for each N: the time of the whole command (wall clock, process start to exit), its
peak resident memory (``ru_maxrss`` of the child), and the time of the Python parts measured
inside one process (panel read and setup, ``Build.run``, writing); then the time exponent
between the two largest N (``log(t2 / t1) / log(N2 / N1)``: 1 is linear). The recipe:
min-max normalisation (pooled bounds), arithmetic aggregation, indicators -> 5 dimensions ->
index, keeping the aggregated data set only (``keep: [aggregated]``) and the aggregates in
the tidy results (``results: aggregates``; the indicator scores are in ``stages/``).

Run::

    PYTHONPATH=src python benchmarks/bench_scale.py [--units 1000 10000 100000] [--dir DIR]

The panels are generated once into DIR (default: a folder in the system's temporary folder,
kept between runs: about 8 GB for 10^6 units) with a fixed seed. Asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_IND, N_PER, N_DIM = 50, 20, 5


def make_panel(n_units: int, folder: Path) -> Path:
    """The wide Parquet panel (unit, period, x0..x49) and its framework and recipe."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"panel_{n_units}.parquet"
    if not data.exists():
        rng = np.random.default_rng(n_units)
        units = np.array([f"u{i:07d}" for i in range(n_units)], dtype=object)
        periods = np.arange(2000, 2000 + N_PER)
        writer = None
        step = max(1, 200_000 // N_PER)  # units per row group: ~200,000 rows
        for start in range(0, n_units, step):
            u = units[start:start + step]
            cols = {"unit": np.repeat(u, N_PER), "period": np.tile(periods, len(u))}
            vals = rng.lognormal(size=(len(u) * N_PER, N_IND))
            for k in range(N_IND):
                cols[f"x{k}"] = vals[:, k]
            table = pa.Table.from_pandas(pd.DataFrame(cols), preserve_index=False)
            if writer is None:
                tmp = data.with_suffix(".tmp")
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        writer.close()
        tmp.rename(data)
    fw = folder / "framework.yaml"
    if not fw.exists():
        lines = ["code: synthetic-scale", "name: {en: Synthetic index}", "aggregates:",
                 "  - {code: IDX}"]
        lines += [f"  - {{code: D{d}, parent: IDX}}" for d in range(N_DIM)]
        lines += ["indicators:"]
        lines += [f"  - {{code: x{k}, parent: D{k % N_DIM}, direction: {1 if k % 2 else -1}}}"
                  for k in range(N_IND)]
        fw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recipe = folder / f"recipe_{n_units}.yaml"
    recipe.write_text(
        f"name: scale-{n_units}\nframework: framework.yaml\n"
        f"data: {{path: {data.name}, form: wide, unit: unit, period: period}}\n"
        "keep: [aggregated]\nresults: aggregates\n"
        "steps:\n  - {step: normalise, method: minmax}\n  - {step: aggregate}\n",
        encoding="utf-8")
    return recipe


def whole_command(recipe: Path, out: Path) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (GB) of ``gipro run ... --format parquet``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = ("import resource, sys; from gipro.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    rc = e.code\nelse:\n    rc = 0\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr)\nsys.exit(rc)")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "run", str(recipe), "--out", str(out),
                           "--format", "parquet"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"gipro run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rss = next(int(line.split()[1]) for line in proc.stderr.splitlines()
               if line.startswith("MAXRSS"))
    return wall, rss / 1024**2  # kB -> GB


def parts(recipe: Path, out: Path) -> dict[str, float]:
    """Seconds of setup (read + Build), Build.run and write, in this process."""
    import gipro

    t0 = time.perf_counter()
    b = gipro.Build(recipe)
    t1 = time.perf_counter()
    b.run()
    t2 = time.perf_counter()
    b.write(out, format="parquet")
    t3 = time.perf_counter()
    return {"setup": t1 - t0, "run": t2 - t1, "write": t3 - t2}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "gipro-bench-scale")
    ap.add_argument("--no-parts", action="store_true", help="only the whole command")
    args = ap.parse_args()
    rows = []
    for n in args.units:
        recipe = make_panel(n, args.dir)
        out = args.dir / f"out_{n}"
        wall, gb = whole_command(recipe, out)
        p = {} if args.no_parts or n > 200_000 else parts(recipe, args.dir / f"out_p_{n}")
        rows.append((n, wall, gb))
        cube = n * N_PER * N_IND * 8 / 1e6
        extra = ", ".join(f"{k} {v:.2f} s" for k, v in p.items())
        print(f"{n:>9,d} units ({cube:,.0f} MB cube): gipro run --format parquet "
              f"{wall:6.2f} s, peak {gb:5.2f} GB" + (f"; in process: {extra}" if extra else ""),
              flush=True)
    if len(rows) >= 2:
        (n1, t1, _), (n2, t2, _) = rows[-2], rows[-1]
        print(f"time exponent {n1:,d} -> {n2:,d} units: "
              f"{math.log(t2 / t1) / math.log(n2 / n1):.2f} (1 = linear)")


if __name__ == "__main__":
    main()
