"""Speed of robustness analyses on COINr's ASEM build (51 units, 49 indicators, 4 levels).

Prints:

* ms per full ASEM build, raw data -> index, all COINr steps (denominate, impute, treat,
  normalise, aggregate): ``Build.run`` (everything a person reads: tables, notes) and the
  compiled array pipeline (``gipro.fastbuild.Pipeline``, what analyses use);
* ms per uncertainty run with COINr's four inputs (sensitivity vignette: winmax 1-5,
  normalisation min-max [1, 100] or z-score (10, 2), weights of levels 2-3 +-25%, arithmetic or
  geometric aggregation), for 1,000 Monte Carlo runs and a Sobol design (N = 256, 1,536 runs);
* the same runs done naively, one ``Build`` per run (recipe changed, framework weights
  perturbed), and the ratio;
* remove-one-pillar (8 rebuilds) and the coherence audit;
* optionally (``--dask``) 20,000 runs in process and on a LocalCluster of 2 worker
  processes (the time includes starting the cluster and sending the build to the workers).

Run (needs the project's shared data, ../shared)::

    PYTHONPATH=src python benchmarks/bench_sensitivity.py [--dask]
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

import gipro
from gipro import coherence
from gipro.sensitivity import (
    StepAlternatives,
    WeightNoise,
    bind_inputs,
    make_design,
    remove_elements,
    uncertainty,
)
from gipro.steps.run import Pipeline

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_asem", ROOT / "examples/asem/build_asem.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
ASEM = ROOT.parent / "shared" / "data" / "coinr_asem"

INPUTS = [
    StepAlternatives(step="treat", param="winmax", values=[1, 2, 3, 4, 5]),
    StepAlternatives(step="normalise", name="normalisation", alternatives=[
        {"method": "minmax", "range": [1, 100]}, {"method": "zscore", "mean_sd": [10, 2]}]),
    WeightNoise(levels=[2, 3], spread=0.25),
    StepAlternatives(step="aggregate", name="aggregation", param="method",
                     values=["arithmetic", "geometric"]),
]


def timed(f, n=20):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3, float(np.median(times)) * 1e3


build = gipro.Build(mod.recipe_for(ASEM)).run()
best, med = timed(build.run)
print(f"full ASEM build, Build.run (tables and notes kept):      best {best:6.2f} ms, "
      f"median {med:6.2f} ms")
pipe = Pipeline(build)
best, med = timed(lambda: pipe.run(pipe.steps), 200)
print(f"full ASEM build, compiled pipeline (raw -> index):       best {best:6.2f} ms, "
      f"median {med:6.2f} ms")
for i, s in enumerate(pipe.steps):
    st = pipe.run(pipe.steps[:i]) if i else pipe.initial_state()
    b, m = timed(lambda st=st, i=i, s=s: pipe.step(st, i, s), 200)
    print(f"    {s.step:10s} best {b:6.3f} ms, median {m:6.3f} ms")

for design, n in (("montecarlo", 1000), ("sobol", 256)):
    out: list = []
    best, med = timed(lambda design=design, n=n, out=out: out.append(
        uncertainty(build, INPUTS, design=design, runs=n, seed=1, n_boot=1000)), 5)
    r = out[-1]
    print(f"uncertainty, {design:10s} {r.design.n_runs:5d} runs (incl. design, ranks, "
          f"statistics{', Sobol + 1000 bootstraps' if design == 'sobol' else ''}): best "
          f"{best:7.1f} ms, median {med:7.1f} ms = {best / r.design.n_runs * 1e3:6.1f} "
          f"us/run; evaluation alone {r.seconds * 1e3:6.1f} ms; failed {len(r.failures)}")

bound = bind_inputs(build, INPUTS)
des = make_design(bound, n=40, seed=2)
s = des.settings()
fw = build.framework


def naive():
    for r in range(des.n_runs):
        rec = build.recipe
        for k, name in ((0, "treat"), (1, "normalise"), (3, "aggregate")):
            rec = rec.with_step(name, **bound[k].alternatives[s[k][r]])
        w = {c: fw.node(c).weight * m for c, m in zip(bound[2].codes, s[2][r], strict=True)}
        try:
            gipro.Build(rec, framework=fw.with_weights(w), panel=build.source_panel).run()
        except gipro.GiproError:
            pass


best, med = timed(naive, 3)
per_naive = best / des.n_runs
fast = uncertainty(build, INPUTS, runs=1000, seed=1)
per_fast = fast.seconds * 1e3 / 1000
print(f"naive loop, one Build per run ({des.n_runs} runs): {per_naive:6.2f} ms/run -> 1,000 "
      f"runs {per_naive:6.2f} s; engine {per_fast * 1e3:6.1f} us/run: {per_naive / per_fast:,.0f}"
      " x faster")

best, med = timed(lambda: remove_elements(build, level=2), 20)
print(f"remove one pillar (8 rebuilds, one batch): best {best:.2f} ms")
best, med = timed(lambda: remove_elements(build, level=1), 10)
print(f"remove one indicator (49 rebuilds, one batch): best {best:.2f} ms")
best, med = timed(lambda: coherence.audit(build), 3)
print(f"coherence audit (correlations, alpha, PCA, main effects of 49 indicators): best "
      f"{best:.0f} ms")

if "--dask" in sys.argv and __name__ == "__main__":
    for workers in (None, 2):
        t0 = time.perf_counter()
        r = uncertainty(build, INPUTS, runs=20000, seed=3, workers=workers, chunk=2500)
        print(f"20,000 Monte Carlo runs, {'in process' if workers is None else '2 workers'}: "
              f"{time.perf_counter() - t0:.2f} s (evaluation {r.seconds:.2f} s)")
