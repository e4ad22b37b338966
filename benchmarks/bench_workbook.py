"""Benchmark: the park data-entry workbook (``gipro template`` / ``gipro assess FILE.xlsx``).

Usage::

    PYTHONPATH=src python benchmarks/bench_workbook.py

Times (best of 3) writing and reading back the SYNTHETIC example workbook for every framework,
without and with its 1,920 enterprise records, and reading it again with one stray value typed
at ``XFD1048576`` (the last cell of a sheet): the reading is bounded to the tables the layout
expects, so the stray cell costs about nothing (ratio near 1) and is reported as an error. The
ratios are against the plain read of the same run. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from openpyxl import load_workbook

from gipro.errors import InputError
from gipro.parks import read_template, write_template


def best(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    for enterprises in (False, True):
        def write(enterprises=enterprises, k=[0]):  # noqa: B006 (a counter for file names)
            k[0] += 1
            return write_template(tmp / f"w{enterprises}{k[0]}.xlsx", "all", example=True,
                                  enterprises=enterprises)
        t_write = best(write)
        path = write()
        t_read = best(lambda path=path: read_template(path))
        wb = load_workbook(path)
        wb["indicators"]["XFD1048576"] = "stray"
        stray = tmp / f"stray{enterprises}.xlsx"
        wb.save(stray)

        def read_stray(stray=stray):
            try:
                read_template(stray)
            except InputError as exc:
                assert "XFD1048576" in " ".join(exc.details)
        t_stray = best(read_stray)
        label = "with 1,920 enterprise records" if enterprises else "indicators only"
        print(f"example workbook, every framework, {label} ({path.stat().st_size / 1e3:.0f} "
              f"kB): write {t_write:.2f} s, read {t_read:.2f} s, read with a stray cell at "
              f"XFD1048576 {t_stray:.2f} s (x{t_stray / t_read:.2f} of the plain read)")


if __name__ == "__main__":
    main()
