"""Scale-out on Dask: the runs of a design evaluated on a ``dask.distributed`` cluster.

The design is made (and its points fixed) before anything is sent, so the numbers do not
depend on where or in which order the runs are evaluated: the same seed gives identical
results with 1 worker or many (``tests/test_sensitivity_dask.py``). The work is chunked by
replications: each task evaluates ``chunk`` consecutive runs with its worker's copy of the
:class:`~gipro.sensitivity.engine.Evaluator` (sent once per worker; each worker keeps its own
cache of the states after each step, so a distinct setting is computed at most once per
worker).

``dask[distributed]`` is an optional dependency: ``pip install 'gipro[dask]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import Evaluator

__all__ = ["evaluate_distributed"]

#: How long to wait for a scheduler given by address (:data:`gipro.cluster.CONNECT_TIMEOUT`).
CONNECT_TIMEOUT: float | str = 5.0
#: ``--workers N`` starts N worker processes (numpy on small arrays holds the GIL, so threads
#: in one process do not run in parallel); tests set False for speed.
LOCAL_PROCESSES = True


def _run_chunk(evaluator: Evaluator, points: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
    return evaluator.evaluate(points)


def evaluate_distributed(evaluator: Evaluator, points: np.ndarray, *, chunk: int | None = None,
                         workers: int | None = None, scheduler: str | None = None,
                         client: Any = None,
                         progress: Callable[[int, int], None] | None = None
                         ) -> tuple[np.ndarray, dict[int, str]]:
    """Evaluate design points on a Dask cluster, chunked by replications.

    Parameters
    ----------
    evaluator : Evaluator
    points : ndarray of shape (n_runs, n_columns)
    chunk : int, optional
        Runs per task (default: about 8 tasks per worker, at least 64 runs).
    workers : int, optional
        Start a LocalCluster with this many single-threaded worker processes
        (:data:`LOCAL_PROCESSES`).
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``).
    client : distributed.Client, optional
        Use this client (neither ``workers`` nor ``scheduler`` then).
    progress : callable, optional
        ``progress(done, total)`` after each finished chunk.

    Returns
    -------
    scores : ndarray of shape (n_runs, n_units)
    failed : dict of int to str

    Raises
    ------
    InputError
        Dask missing, no scheduler at the address, invalid worker count.
    """
    from distributed import as_completed

    from ..cluster import connect

    with connect(workers=workers, scheduler=scheduler, client=client,
                 processes=LOCAL_PROCESSES, timeout=CONNECT_TIMEOUT) as client:
        n = points.shape[0]
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        size = chunk or max(64, -(-n // (8 * n_workers)))
        starts = list(range(0, n, size))
        remote = client.scatter(evaluator, broadcast=True)
        futures = [client.submit(_run_chunk, remote, points[s:s + size], pure=False)
                   for s in starts]
        where = {f.key: s for f, s in zip(futures, starts, strict=True)}
        scores = np.empty((n, len(evaluator.units)))
        failed: dict[int, str] = {}
        done = 0
        for fut in as_completed(futures):
            s = where[fut.key]
            sc, bad = fut.result()
            scores[s:s + sc.shape[0]] = sc
            failed.update({s + k: v for k, v in bad.items()})
            done += sc.shape[0]
            if progress is not None:
                progress(done, n)
        return scores, failed
