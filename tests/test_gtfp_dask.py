"""GTFP on Dask: the independent LP jobs on a ``distributed`` cluster give the same numbers,
to the last bit, as one process (the jobs and their chunks are fixed before anything runs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import gtfp

pytest.importorskip("distributed")


def _panel(n_units: int = 40, n_periods: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    k = rng.lognormal(4, 1, (n_units, n_periods))
    y = k ** 0.6 * rng.lognormal(0, 0.3, (n_units, n_periods))
    return pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(n_units)], n_periods),
                         "period": np.tile(np.arange(2020, 2020 + n_periods), n_units),
                         "k": k.ravel(), "y": y.ravel(),
                         "co2": (y * rng.lognormal(0, 0.4, (n_units, n_periods))).ravel()})


def test_cluster_equals_one_process(monkeypatch, client):
    monkeypatch.setattr("gipro.gtfp.runner.CHUNK", 25)  # several jobs per frontier
    spec = {"inputs": ["k"], "desirable": ["y"], "undesirable": ["co2"],
            "technology": "sequential", "model": "sbm", "super_efficiency": True}
    df = _panel()
    local = gtfp.run(spec, panel=df)
    remote = gtfp.run(spec, panel=df, client=client)
    pd.testing.assert_frame_equal(local.efficiency, remote.efficiency, check_exact=True)
    pd.testing.assert_frame_equal(local.productivity, remote.productivity, check_exact=True)
    pd.testing.assert_frame_equal(local.infeasible, remote.infeasible)
    assert local.n_lp == remote.n_lp
