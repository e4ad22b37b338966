"""Shared test fixtures.

``shared_dir`` is the only way tests read the project's shared folder (real data sets,
published reference values): it skips cleanly when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared`` folder beside the repository (or ``$GIPRO_SHARED``); skip if absent."""
    candidates = []
    if os.environ.get("GIPRO_SHARED"):
        candidates.append(Path(os.environ["GIPRO_SHARED"]))
    candidates.append(ROOT.parent / "shared")
    for c in candidates:
        if (c / "data").is_dir():
            return c
    pytest.skip("shared data folder not available (set GIPRO_SHARED or place ../shared)")


# Hypothesis: deterministic by default so CI cannot fail on a lucky draw; run
# `HYPOTHESIS_PROFILE=explore python -m pytest` to search with fresh random examples.
from hypothesis import settings  # noqa: E402

settings.register_profile("deterministic", derandomize=True, deadline=None,
                          print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
