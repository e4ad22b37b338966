"""Before -> after: the same workloads timed with this tree's ``src`` and with an earlier
commit's, in alternating subprocesses (so a busy, shared machine slows both alike), plus
optionally instruction counts (valgrind), which do not depend on the load at all.

Workloads (ASEM ones need the project's shared data, ../shared):

* ``pipeline``: one full ASEM build, raw -> index, the runner without recording (issue 13
  target: 0.45 ms);
* ``denominate`` .. ``aggregate``: each step of it alone;
* ``build``: the same build with ``Build.run`` of a loaded build (issue 13 target: 1.5 ms);
* ``load_build``: ``gipro.run("examples/asem/recipe.yaml")``, reading its files (issue 13
  target: 20 ms);
* ``uncertainty``: 1,000 Monte Carlo runs, COINr's four inputs (issue 13 target: 0.1 s);
* ``cli_run``: ``gipro run examples/asem/recipe.yaml --out DIR`` as a whole process (issue 13
  target: faster than COINr's ``Rscript`` build, 1.1 s here);
* ``read_csv``, ``read_csv_eu``, ``read_parquet``, ``read_xlsx``: ``read_panel`` on a wide panel
  of 5,000 units x 20 periods x 8 indicators (Excel: 20,000 rows), as bench_readers.py.

Run::

    PYTHONPATH=src python benchmarks/bench_before_after.py [--ref ef7c824] [--rounds 3]
        [--only pipeline,build] [--instructions]

Prints a table: best and median of each side (ms), and the ratio before / after of the best
times (and of the instruction counts). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT.parent / "shared" / "data" / "coinr_asem"
STEPS = ("denominate", "impute", "treat", "normalise", "aggregate")
ASEM_WORK = ("pipeline", *STEPS, "build", "load_build", "uncertainty")
CLI_WORK = ("cli_run",)
READ_WORK = ("read_csv", "read_csv_eu", "read_parquet", "read_xlsx")
REPEATS = {"build": 100, "load_build": 50, "uncertainty": 5, "cli_run": 3, "read_csv": 3,
           "read_csv_eu": 3, "read_parquet": 5, "read_xlsx": 1}


# ---------------------------------------------------------------------- worker side
def _asem_setup(work: str):
    import importlib.util

    import gipro

    try:
        from gipro.steps.run import Pipeline
    except ImportError:  # (before the one runner)
        from gipro.fastbuild import Pipeline

    spec = importlib.util.spec_from_file_location("build_asem",
                                                  ROOT / "examples/asem/build_asem.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    build = gipro.Build(mod.recipe_for(ASEM)).run()
    if work == "build":
        return build.run
    if work == "load_build":
        recipe = str(ROOT / "examples" / "asem" / "recipe.yaml")
        return lambda: gipro.run(recipe)
    if work == "uncertainty":
        from gipro.sensitivity import StepAlternatives, WeightNoise, uncertainty

        inputs = [
            StepAlternatives(step="treat", param="winmax", values=[1, 2, 3, 4, 5]),
            StepAlternatives(step="normalise", name="normalisation", alternatives=[
                {"method": "minmax", "range": [1, 100]},
                {"method": "zscore", "mean_sd": [10, 2]}]),
            WeightNoise(levels=[2, 3], spread=0.25),
            StepAlternatives(step="aggregate", name="aggregation", param="method",
                             values=["arithmetic", "geometric"]),
        ]
        return lambda: uncertainty(build, inputs, runs=1000, seed=1)
    pipe = Pipeline(build)
    if work == "pipeline":
        return lambda: pipe.run(pipe.steps)
    i = STEPS.index(work)
    state = pipe.run(pipe.steps[:i]) if i else pipe.initial_state()
    return lambda: pipe.step(state, i, pipe.steps[i])


def _read_setup(work: str, folder: Path):
    import numpy as np
    import pandas as pd

    from gipro import read_panel

    files = {"read_csv": folder / "d.csv", "read_csv_eu": folder / "eu.csv",
             "read_parquet": folder / "d.parquet", "read_xlsx": folder / "d.xlsx"}
    if not files[work].exists():
        rng = np.random.default_rng(0)
        units = [f"U{i:05d}" for i in range(5000)]
        df = pd.DataFrame({"unit": np.repeat(units, 20), "period": np.tile(np.arange(2000, 2020),
                                                                          5000)})
        for k in range(8):
            df[f"x{k}"] = rng.normal(100, 30, size=len(df)).round(4)
        df.to_csv(files["read_csv"], index=False)
        eu = df.copy()
        for k in range(8):
            eu[f"x{k}"] = eu[f"x{k}"].map(lambda v: f"{v:.4f}".replace(".", ","))
        eu.to_csv(files["read_csv_eu"], index=False, sep=";")
        df.to_parquet(files["read_parquet"])
        df.head(20000).to_excel(files["read_xlsx"], index=False)
    opts = {"read_csv_eu": {"sep": ";", "decimal": ","}}.get(work, {})
    return lambda: read_panel(files[work], **opts)


def _cli(src: Path, folder: Path) -> dict:
    """Wall time (ms) of one ``gipro run`` of the ASEM recipe as a whole process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = Path(tempfile.mkdtemp(dir=folder)) / "cli-out"  # a new folder per run: one side's
    t0 = time.perf_counter()  # files are not the other's to replace
    subprocess.run([sys.executable, "-m", "gipro.cli", "run",
                    str(ROOT / "examples" / "asem" / "recipe.yaml"), "--out",
                    str(out)], env=env, capture_output=True, check=True)
    ms = (time.perf_counter() - t0) * 1e3
    return {"best": ms, "median": ms}


def worker(work: str, repeats: int, folder: Path) -> None:
    f = _read_setup(work, folder) if work in READ_WORK else _asem_setup(work)
    if repeats == 0:  # set-up only (the baseline of an instruction count)
        print("{}")
        return
    for _ in range(min(repeats, 20)):  # warm-up
        f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"best": min(times) * 1e3, "median": statistics.median(times) * 1e3}))


# ---------------------------------------------------------------------- driver side
def _run(src: Path, work: str, repeats: int, folder: Path, valgrind: bool = False) -> dict:
    if work in CLI_WORK:
        return _cli(src, folder)
    env = {**os.environ, "PYTHONPATH": str(src), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--worker", work, str(repeats), str(folder)]
    if valgrind:
        out = {}
        for n in (0, repeats):
            r = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                                "--cachegrind-out-file=/dev/null",
                                *cmd[:-2], str(n), str(folder)],
                               env=env, capture_output=True, text=True, check=True)
            refs = [line for line in r.stderr.splitlines() if "I   refs" in line
                    or "I refs" in line]
            out[n] = int(refs[-1].split()[-1].replace(",", ""))
        calls = repeats + min(repeats, 20)
        return {"instructions": (out[repeats] - out[0]) / calls}
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="a5d22e5", help="earlier commit (default: before the "
                    "one step runner, issue 13)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs per side")
    ap.add_argument("--only", default="", help="comma-separated workloads")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions with valgrind (slow)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), Path(args.worker[2]))
        return
    works = [w for w in (*ASEM_WORK, *CLI_WORK, *READ_WORK)
             if not args.only or w in args.only.split(",")]
    if not ASEM.is_dir():
        works = [w for w in works if w in READ_WORK]
    tmp = Path(tempfile.mkdtemp(prefix="gipro-bench-"))
    try:
        old = tmp / "old"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.ref, "src"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        sides = {"before": old / "src", "after": ROOT / "src"}
        folder = tmp / "data"
        folder.mkdir()
        print(f"before = {args.ref}, after = working tree; best / median of "
              f"{args.rounds} alternating runs per side (ms)")
        head = f"{'workload':<14}{'before best':>12}{'median':>9}{'after best':>12}" \
               f"{'median':>9}{'ratio':>8}"
        if args.instructions:
            head += f"{'instr. before':>15}{'after':>12}{'ratio':>8}"
        print(head)
        for work in works:
            n = REPEATS.get(work, 300)
            res = {s: [] for s in sides}
            for _ in range(args.rounds * (n if work in CLI_WORK else 1)):
                for side, src in sides.items():
                    res[side].append(_run(src, work, n, folder))
            best = {s: min(r["best"] for r in res[s]) for s in sides}
            med = {s: statistics.median(r["median"] for r in res[s]) for s in sides}
            line = (f"{work:<14}{best['before']:>12.3f}{med['before']:>9.3f}"
                    f"{best['after']:>12.3f}{med['after']:>9.3f}"
                    f"{best['before'] / best['after']:>7.2f}x")
            if args.instructions and shutil.which("valgrind") and work not in CLI_WORK:
                ins = {s: _run(src, work, min(n, 100), folder, valgrind=True)["instructions"]
                       for s, src in sides.items()}
                line += (f"{ins['before'] / 1e6:>13.2f} M{ins['after'] / 1e6:>10.2f} M"
                         f"{ins['before'] / ins['after']:>7.2f}x")
            print(line, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
