"""Start-up time of the ``gipro`` command line.

Run: ``PYTHONPATH=src python benchmarks/bench_cli_startup.py [--repeat 5] [--src DIR]``
(``--src``: another source tree, e.g. an older commit's ``src`` from ``git archive``, to
compare). Prints, for
``gipro --help``, ``gipro --version`` and ``gipro recipes``, the best and median wall time of
a fresh interpreter running the command (what a user waits for), and the cumulative import
time of ``gipro.cli`` from ``python -X importtime``. Speed is measured here, never asserted
in tests (``tests/test_cli.py`` checks only that no heavy module is imported at start-up).

Measured on the shared 2-core development machine (best of 5), before the lazy imports
(``import gipro`` loaded the build, scipy, pandas and the scenarios; the CLI imported parks
and datasets at module level; ``--src`` on ``git archive e775e71 src``) and after:

==================  ========  =======
command             before    after
==================  ========  =======
gipro --help        2.81 s    0.35 s
gipro --version     exit 2    0.24 s
gipro recipes       2.04 s    0.41 s
import gipro.cli    2.44 s    0.16 s
==================  ========  =======
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def wall(args: list[str], repeat: int, src: str) -> list[float]:
    env = {**os.environ, "PYTHONPATH": src}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gipro.cli", *args], env=env, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def import_time(src: str) -> float:
    """Cumulative microseconds of ``gipro.cli`` in ``-X importtime``, in seconds."""
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import gipro.cli"],
                         env=env, check=True, capture_output=True, text=True).stderr
    line = next(x for x in out.splitlines() if x.rstrip().endswith("| gipro.cli"))
    return int(line.split("|")[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--src", default=SRC, help="source tree to time (default: this one)")
    opts = parser.parse_args()
    repeat, src = opts.repeat, opts.src
    for args in (["--help"], ["--version"], ["recipes"]):
        try:
            t = wall(args, repeat, src)
        except subprocess.CalledProcessError as exc:
            print(f"gipro {' '.join(args):<10} fails (exit {exc.returncode})")
            continue
        print(f"gipro {' '.join(args):<10} best {min(t):.2f} s, median {statistics.median(t):.2f}"
              f" s ({repeat} runs)")
    print(f"import gipro.cli: {import_time(src):.3f} s (cumulative, -X importtime)")


if __name__ == "__main__":
    main()
