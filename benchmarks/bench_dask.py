"""Scale-out: ``gipro run`` of a synthetic wide Parquet panel (N units x 50 indicators x 20
periods) on a local Dask cluster, chunked over units, next to the in-memory run.

For each N prints, for the whole command (wall clock, process start to exit) of

* ``gipro run recipe.yaml --format parquet`` (in memory, one process), and
* ``gipro run recipe.yaml --workers W --memory-limit M --format parquet`` (chunked),

(or, with ``--command export``, ``gipro export ... --format parquet`` in memory with
``--no-progress``, the same tables as on the cluster, and ``gipro export --workers W ...``)
the time and the peak resident memory of every process: the command itself (the client) and
each Dask worker, sampled every 0.1 s over the process tree (``psutil``; the scheduler runs
in the client process). ``--input csv`` runs the same panel written as a CSV file (made once
from the Parquet file; a chunked build reads it in parts and partitions it by unit), ``--input
both`` runs Parquet then CSV. ``--no-memory`` skips the in-memory run (10^6 units: a cube of 7.6
GB); ``--kill-worker-after S`` kills one worker process S seconds into the chunked run (the
fault test: the results must still equal the in-memory run's). The recipe is the one of
``bench_scale.py``: min-max normalisation (pooled bounds), arithmetic aggregation,
indicators -> 5 dimensions -> index, ``keep: [aggregated]``, ``results: aggregates``. Also
checks that the two runs wrote the same results (scores within 1e-9, ranks identical) when
both ran.

Run::

    nice -n 10 env PYTHONPATH=src python benchmarks/bench_dask.py --units 100000 \\
        --workers 2 --memory-limit 1GB [--dir DIR] [--input parquet|csv|both] [--no-memory]
        [--kill-worker-after S]

Panels are generated once into DIR (default: the folder of ``bench_scale.py``, kept between
runs) with a fixed seed. Asserts nothing; prints the machine's load (``os.getloadavg``) before
and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import N_IND, N_PER, make_panel

ROOT = Path(__file__).resolve().parents[1]


def run_sampled(args: list[str], kill_after: float | None = None
                ) -> tuple[float, dict[str, float], str]:
    """Run ``python -m gipro.cli ARGS``; wall time (s), peak RSS (GB) per process of its
    tree (``client``, ``worker 1``...), and its stdout. ``kill_after``: kill one worker
    process (SIGKILL) that many seconds after the start (its nanny starts another; Dask runs
    the lost tasks again)."""
    import psutil

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gipro.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, float] = {}
    roles: dict[int, str] = {}
    done = threading.Event()

    killed: list[str] = []

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not done.is_set():
            if kill_after is not None and not killed and time.perf_counter() - t0 > kill_after:
                workers = [q for q, r in roles.items() if r == "worker"]
                if workers:
                    try:
                        psutil.Process(workers[0]).kill()
                        killed.append(f"worker {workers[0]} killed at "
                                      f"{time.perf_counter() - t0:.1f} s")
                    except psutil.Error:
                        pass
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    if p.pid not in roles:
                        cmd = " ".join(p.cmdline())
                        roles[p.pid] = ("client" if p.pid == proc.pid else
                                        "worker" if "spawn" in cmd or "forkserver" in cmd
                                        or "multiprocessing" in cmd else "other")
                except psutil.Error:
                    continue
                peaks[p.pid] = max(peaks.get(p.pid, 0.0), rss / 1e9)
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"gipro {' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    if kill_after is not None:
        print(f"  {killed[0] if killed else 'no worker was killed (the run ended first)'}",
              flush=True)
        for line in err.splitlines():  # what Dask said of it (the nanny, the scheduler)
            if any(w in line for w in ("was killed", "Restarting worker", "Lost", "lost")):
                print(f"    dask: {line.strip()[:160]}", flush=True)
    named: dict[str, float] = {}
    n = 0
    for pid, gb in sorted(peaks.items()):
        role = roles.get(pid, "other")
        if role == "client":
            named["client"] = gb
        elif gb > 0.05:  # (short-lived helper processes left out)
            n += 1
            named[f"{role} {n} (pid {pid})"] = gb
    return wall, named, out


def same_results(a: Path, b: Path) -> str:
    """Largest score difference and whether ranks agree, between two results."""
    import numpy as np
    import pandas as pd

    ra = pd.read_parquet(a / "results.parquet", columns=["score", "rank"])
    rb = pd.read_parquet(b / "results.parquet", columns=["score", "rank"])
    diff = float(np.nanmax(np.abs(ra["score"].to_numpy() - rb["score"].to_numpy())))
    ranks = ra["rank"].astype("Int64").equals(rb["rank"].astype("Int64"))
    return f"largest score difference {diff:.2e}, ranks identical: {ranks}"


def csv_recipe(recipe: Path) -> Path:
    """The benchmark's recipe on the same panel written as CSV (``panel_N.csv``, made once
    from the Parquet file, a row group at a time; numbers as Arrow writes them, which read
    back to the same doubles)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    text = recipe.read_text(encoding="utf-8")
    parquet = _data_file(recipe)
    data = parquet.with_suffix(".csv")
    if not data.exists():
        pf = pq.ParquetFile(parquet)
        tmp = data.with_suffix(".tmp")
        with pacsv.CSVWriter(tmp, pf.schema_arrow) as w:
            for g in range(pf.num_row_groups):
                w.write_table(pf.read_row_group(g))
        tmp.rename(data)
    out = recipe.with_name(recipe.stem + "_csv.yaml")
    out.write_text(text.replace(parquet.name, data.name), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, nargs="+", default=[100_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "gipro-bench-scale")
    ap.add_argument("--no-memory", action="store_true", help="skip the in-memory run")
    ap.add_argument("--input", choices=["parquet", "csv", "both"], default="parquet",
                    help="the panel as a Parquet file, a CSV file, or both one after the other")
    ap.add_argument("--command", choices=["run", "export"], default="run",
                    help="the command timed (export: its Parquet tables)")
    ap.add_argument("--kill-worker-after", type=float, default=None, metavar="SECONDS",
                    help="kill one worker process this long after the chunked run starts")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    for n in args.units:
        t0 = time.perf_counter()
        recipe = make_panel(n, args.dir)
        inputs = ["parquet", "csv"] if args.input == "both" else [args.input]
        recipes = {"parquet": recipe}
        if "csv" in inputs:
            recipes["csv"] = csv_recipe(recipe)
        made = time.perf_counter() - t0
        cube = n * N_PER * N_IND * 8 / 1e6
        print(f"{n:,d} units x {N_IND} indicators x {N_PER} periods ({cube:,.0f} MB cube; "
              f"panel ready in {made:.0f} s)", flush=True)
        same = ["--no-progress"] if args.command == "export" else []  # (not on a cluster)
        tag = "" if args.command == "run" else f"{args.command}_"
        for kind in inputs:
            print(f" {kind} ({recipes[kind].parent / recipes[kind].stem}: "
                  f"{os.path.getsize(_data_file(recipes[kind])) / 1e6:,.0f} MB)", flush=True)
            out_m = args.dir / f"out_mem_{tag}{kind}_{n}"
            out_d = args.dir / f"out_dask_{tag}{kind}_{n}"
            if not args.no_memory:
                wall, peaks, _ = run_sampled([args.command, str(recipes[kind]), "--out",
                                              str(out_m), "--format", "parquet", *same])
                print(f"  in memory:           {wall:8.1f} s, peak {peaks['client']:.2f} GB",
                      flush=True)
            wall, peaks, _ = run_sampled([args.command, str(recipes[kind]), "--out", str(out_d),
                                          "--format", "parquet", "--workers", str(args.workers),
                                          "--memory-limit", args.memory_limit],
                                         args.kill_worker_after)
            shown = ", ".join(f"{k} {v:.2f} GB" for k, v in peaks.items())
            print(f"  {args.workers} workers, {args.memory_limit} each: {wall:8.1f} s, peak "
                  f"{shown}", flush=True)
            if (out_m / "results.parquet").exists():  # (with --no-memory: an earlier run's)
                print(f"  {same_results(out_m, out_d)}", flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


def _data_file(recipe: Path) -> Path:
    text = recipe.read_text(encoding="utf-8")
    return recipe.parent / text.split("path: ")[1].split(",")[0]


if __name__ == "__main__":
    main()
