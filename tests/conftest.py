"""Shared test fixtures.

``shared_dir`` is the only way tests read the project's shared folder (real data sets,
published reference values): it skips cleanly when the folder is absent, unless
``GIPRO_REQUIRE_SHARED=1`` (set by ``.ci/run``): then a missing folder fails every test that
needs it, so a CI run without the references cannot pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared`` folder beside the repository (or ``$GIPRO_SHARED``).

    Absent: skip, or fail under ``GIPRO_REQUIRE_SHARED=1`` (CI).
    """
    candidates = []
    if os.environ.get("GIPRO_SHARED"):
        candidates.append(Path(os.environ["GIPRO_SHARED"]))
    candidates.append(ROOT.parent / "shared")
    for c in candidates:
        if (c / "data").is_dir():
            return c
    looked = ", ".join(str(c) for c in candidates)
    if os.environ.get("GIPRO_REQUIRE_SHARED", "") not in ("", "0"):
        pytest.fail(f"shared data folder required (GIPRO_REQUIRE_SHARED is set) but not found "
                    f"at {looked}: set GIPRO_SHARED or place ../shared", pytrace=False)
    pytest.skip(f"shared data folder not available at {looked} (set GIPRO_SHARED or place "
                "../shared)")


@pytest.fixture(scope="module")
def client():
    """A Dask client on a 2-worker ``LocalCluster`` in this process (one per test module),
    for the tests of gipro on a cluster; skips when distributed is not installed."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


# Hypothesis: deterministic by default so CI cannot fail on a lucky draw; run
# `HYPOTHESIS_PROFILE=explore python -m pytest` to search with fresh random examples.
from hypothesis import settings  # noqa: E402

settings.register_profile("deterministic", derandomize=True, deadline=None,
                          print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
