"""Timings of the construction steps on COINr's ASEM build (51 units x 49 indicators).

Prints per-step milliseconds of a full build from raw data, the treat kernel alone on one
table and on a batch of 1000 replications (leading axis), and a variant that re-runs only from
normalisation. Needs the project's shared data (../shared). Run:

    PYTHONPATH=src python benchmarks/bench_asem_steps.py
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np

import gipro
from gipro.methods.treat import treat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_asem", ROOT / "examples/asem/build_asem.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
ASEM = ROOT.parent / "shared" / "data" / "coinr_asem"


def best(f, n=20):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


recipe = mod.recipe_for(ASEM)
build = gipro.Build(recipe)
build.run()
print(f"full ASEM build from raw (Build.run, data loaded): {best(build.run):.2f} ms")
for e in build.log:
    print(f"  {e.name:12s} {e.seconds * 1e3:7.3f} ms")
x = build.datasets["imputed"].values
print(f"treat kernel, 1 x 51 x 49: {best(lambda: treat(x, winmax=6)):.3f} ms")
batch = np.repeat(x, 1000, axis=0) * np.random.default_rng(0).lognormal(0, 0.1, (1000, 1, 49))
print(f"treat kernel, 1000 replications x 51 x 49: {best(lambda: treat(batch, winmax=6), 3):.1f}"
      " ms")


def variant():
    return build.with_step("normalise", range=[1, 100]).run()


print(f"variant from normalise on (3 steps reused, incl. Build setup): {best(variant):.2f} ms")
