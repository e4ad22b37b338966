"""Timings of ``gipro.compare`` (score and rank differences of two builds).

Run: ``PYTHONPATH=src python benchmarks/bench_compare.py``. Prints one line per case (best of
5 runs), next to the cost of the expression ``compare`` used before (``set(rb["code"])``
rebuilt for every code: with pandas 3's arrow strings each rebuild iterates the whole column,
so the cost grew with codes x rows). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

from _common import best, synthetic

import gipro
from gipro import Build


def old_common(a: Build, b: Build) -> list[str]:
    """The common-code expression of compare before the fix (for the comparison only)."""
    ra, rb = a.results(), b.results()
    return [c for c in dict.fromkeys(ra["code"]) if c in set(rb["code"])]


def main() -> None:
    cases = [("china provinces (30 x 10 x 11 codes)", gipro.run()),
             ("synthetic (200 units x 20 periods x 49 codes)", synthetic(200, 20, 40, n_dims=8))]
    for label, base in cases:
        variant = base.with_step("normalise", bounds="per_period").run()
        rows = len(base.results())
        print(f"{label}, {rows:,} result rows:")
        print(f"  compare(a, b)                               "
              f"{best(lambda b=base, v=variant: gipro.compare(b, v), repeat=5):.3f} s")
        print(f"  the old common-code expression alone        "
              f"{best(lambda b=base, v=variant: old_common(b, v), repeat=5):.3f} s")


if __name__ == "__main__":
    main()
