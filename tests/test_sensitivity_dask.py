"""Scale-out on Dask: the same seed gives identical numbers with 1 worker or many.

Expected values: the in-process evaluation of the same design (the runs are fixed by the
design before anything is distributed, so scores, rank statistics and Sobol indices must be
identical to the last bit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gipro
from gipro.sensitivity import StepAlternatives, WeightNoise, uncertainty

pytest.importorskip("distributed")

INPUTS = [StepAlternatives(step="normalise", param="bounds", values=["pooled", "per_period"]),
          StepAlternatives(step="aggregate", param="min_availability", values=[0.5, 0.8]),
          WeightNoise(spread=0.25)]


@pytest.fixture(scope="module")
def build():
    return gipro.run()  # the built-in China provinces build (shipped data)


def test_two_workers_equal_one_process(build, client):
    from gipro.sensitivity.distributed import evaluate_distributed

    local = uncertainty(build, INPUTS, design="sobol", runs=32, seed=9, n_boot=100)
    ev = gipro.sensitivity.Evaluator(build, local.design.inputs)
    ticks = []
    scores, failed = evaluate_distributed(ev, local.design.points, chunk=17, client=client,
                                          progress=lambda d, n: ticks.append((d, n)))
    np.testing.assert_array_equal(scores, local.scores)
    assert failed == {}
    assert ticks[-1] == (local.design.n_runs, local.design.n_runs) and len(ticks) > 1


def test_workers_option_gives_identical_statistics(build, monkeypatch):
    monkeypatch.setattr("gipro.sensitivity.distributed.LOCAL_PROCESSES", False)  # CI speed
    one = uncertainty(build, INPUTS, design="sobol", runs=16, seed=4, n_boot=100)
    many = uncertainty(build, INPUTS, design="sobol", runs=16, seed=4, n_boot=100, workers=2,
                       chunk=10)
    np.testing.assert_array_equal(one.scores, many.scores)
    pd.testing.assert_frame_equal(one.rank_stats, many.rank_stats)
    pd.testing.assert_frame_equal(one.sobol, many.sobol)


def test_unreachable_scheduler_is_an_input_error(build, monkeypatch):
    monkeypatch.setattr("gipro.sensitivity.distributed.CONNECT_TIMEOUT", "0.5s")
    with pytest.raises(gipro.InputError, match="scheduler"):
        uncertainty(build, INPUTS, runs=4, scheduler="tcp://127.0.0.1:1")
