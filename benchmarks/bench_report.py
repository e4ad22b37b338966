"""Timings and file sizes of the HTML report and the Excel workbook (prints numbers).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_report.py

Builds: the built-in China provinces recipe (30 units x 10 years x 7 indicators) and a
synthetic panel of 300 units x 10 periods x 20 indicators in 4 dimensions
(``numpy.random.default_rng(0)``). Nothing is asserted.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import gipro
from gipro import Framework, Panel
from gipro.report import report_for_build, write_excel


def synthetic(n_units: int = 300, n_periods: int = 10, n_ind: int = 20) -> gipro.Build:
    rng = np.random.default_rng(0)
    dims = [f"D{k}" for k in range(4)]
    fw = Framework([{"code": f"x{j}", "parent": dims[j % 4], "direction": 1 if j % 3 else -1}
                    for j in range(n_ind)],
                   [{"code": "I"}, *[{"code": d, "parent": "I"} for d in dims]])
    idx = pd.MultiIndex.from_product([[f"U{u:03d}" for u in range(n_units)],
                                      range(2000, 2000 + n_periods)], names=["unit", "period"])
    values = pd.DataFrame(rng.lognormal(size=(len(idx), n_ind)), index=idx,
                          columns=[f"x{j}" for j in range(n_ind)])
    recipe = {"framework": "inline", "data": {"dataset": "china_provinces"},
              "steps": [{"step": "normalise"}, {"step": "aggregate"}]}
    return gipro.run(recipe, framework=fw, panel=Panel(values))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    for label, build in (("china-provinces (30 x 10 x 7)", gipro.run()),
                         ("synthetic (300 x 10 x 20)", synthetic())):
        report_for_build(build).to_html()  # warm-up: plotly's lazy imports
        rep, t_build = timed(lambda b=build: report_for_build(b))
        html, t_html = timed(rep.to_html)
        path = tmp / "r.html"
        path.write_text(html, encoding="utf-8")
        _, t_xlsx = timed(lambda b=build: write_excel(tmp / "b.xlsx", b))
        print(f"{label}: report sections {t_build:.2f} s, HTML {t_html:.2f} s, "
              f"{path.stat().st_size / 1e6:.1f} MB; Excel {t_xlsx:.2f} s, "
              f"{(tmp / 'b.xlsx').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
