"""Timings of the normalisation, weighting and aggregation kernels and of whole builds.

Run: ``PYTHONPATH=src python benchmarks/bench_methods.py``. Prints one line per case (best of
3 runs). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import numpy as np
from _common import best

import gipro
from gipro.methods import aggregate as A
from gipro.methods import normalise as N
from gipro.methods import weight as W


def main() -> None:
    rng = np.random.default_rng(0)
    runs, units, inds = 1000, 51, 49  # e.g. a sensitivity analysis on the ASEM index
    x = rng.uniform(1, 100, (runs, units, inds))
    print(f"normalise, {runs} replications x {units} units x {inds} indicators:")
    params = {"goalposts": {"lower": 0.0, "upper": 110.0}, "target": {"target": 120.0},
              "dist_ref": {"reference": 150.0}, "leading": {"leading": 80.0}}
    for m in N.METHODS:
        t = best(lambda m=m: N.normalise(x, m, **params.get(m, {})))
        print(f"  {m:<12} {t * 1e3:8.1f} ms")

    children = 8
    s = rng.uniform(1, 100, (units, children))
    w = rng.uniform(0.1, 1, (runs, 1, children))  # weights perturbed per run
    print(f"aggregate, {units} units x {children} children, weights with {runs} replications:")
    for m in ("arithmetic", "geometric", "harmonic", "mean_min", "mpi", "copeland", "topsis"):
        t = best(lambda m=m: A.METHODS[m](s, w))
        print(f"  {m:<12} {t * 1e3:8.1f} ms")
    t = best(lambda: A.generalised_mean(s, w, p=0.5))
    print(f"  {'generalised':<12} {t * 1e3:8.1f} ms")
    big = rng.uniform(0, 1, (300, 7))
    print(f"  {'bod':<12} {best(lambda: W.benefit_of_the_doubt(big)) * 1e3:8.1f} ms "
          "(300 units x 7 children, one sparse LP)")

    pooled = rng.uniform(0, 1, (300, 7))
    print("weights, 300 unit-periods x 7 children:")
    for name, f in [("pca", W.pca_weights), ("entropy", W.entropy_weights),
                    ("critic", W.critic_weights), ("optimise", W.balance_weights)]:
        print(f"  {name:<12} {best(lambda f=f: f(pooled)) * 1e3:8.1f} ms")

    print("whole build, China provinces (30 units x 10 years, 7 indicators):")
    b = gipro.Build()
    print(f"  {'default, incl. loading':<24} {best(lambda: gipro.Build().run()) * 1e3:8.1f} ms")
    for label, change in [("aggregate copeland", {"method": "copeland"}),
                          ("aggregate topsis", {"method": "topsis"}),
                          ("aggregate bod", {"method": "bod"})]:
        v = b.with_step("aggregate", **change)
        print(f"  {label:<24} {best(lambda v=v: v.run()) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
