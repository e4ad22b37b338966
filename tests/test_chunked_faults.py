"""Faults of a build on a Dask cluster: a worker killed mid-run gives the same results.

Expected values: the in-memory build of the same recipe and data (:class:`gipro.Build`).
Its own cluster of 2 worker processes with nannies (a killed worker is restarted and its
tasks rerun), not the shared in-process ``client`` fixture of the other cluster tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.test_chunked import panel, write_case

import gipro
from gipro.chunked import ChunkedBuild

distributed = pytest.importorskip("distributed")


def test_a_worker_killed_mid_run_gives_the_same_results(tmp_path):
    """The first worker to finish a task of the build kills its own process right after
    (once: a marker file says it was done), while the other tasks wait or run; the nanny
    restarts it and the scheduler reruns its lost tasks. Scores within 1e-9 and ranks equal
    to the in-memory build; the kill happened (the marker names the task)."""
    import os
    import signal

    marker = tmp_path / "killed"

    class KillOnce(distributed.WorkerPlugin):
        """Kill this worker's process when it has finished its first task of a block."""

        def __init__(self, path: str) -> None:
            self.path = path

        def transition(self, key, start, finish, **kwargs) -> None:
            name = str(key[0] if isinstance(key, tuple) else key)
            if finish == "memory" and name.startswith(("apply_block", "block_cube")):
                try:
                    fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    return  # killed once already (this worker or the other)
                os.write(fd, name.encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)

    rng = np.random.default_rng(21)
    recipe = write_case(tmp_path, panel(rng, 24, 3, 0.1), [
        {"step": "normalise"}, {"step": "aggregate"}], row_group_units=2)
    ref = gipro.run(recipe).results()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        client.register_plugin(KillOnce(str(marker)), name="kill-once")
        build = ChunkedBuild(recipe, client=client, block_units=2).run()  # 12 blocks
        build.write(tmp_path / "out")
        got = build.results()
    assert marker.read_text().startswith(("apply_block", "block_cube"))
    np.testing.assert_allclose(got["score"], ref["score"], rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(got.drop(columns="score"), ref.drop(columns="score"))
