"""Dask clusters: the one place gipro starts a local cluster or connects to a running one.

Every command and function that runs on Dask (``gipro run --workers``, ``gipro export``,
``gipro sensitivity``, ``gipro gtfp``; ``gipro.run(..., client=...)``) gets its client here, so
the options, the messages and the clean-up are the same everywhere:

* ``workers=N`` starts a :class:`distributed.LocalCluster` of ``N`` single-threaded worker
  processes (numpy on small arrays holds the GIL, so threads in one process do not run in
  parallel), each with ``memory_limit`` (Dask's ``"1GB"``, ``"512MiB"``... or bytes);
* ``scheduler=ADDRESS`` connects to a running scheduler (``tcp://host:8786``); one that does
  not answer is an :class:`~gipro.errors.InputError` within :data:`CONNECT_TIMEOUT`;
* ``client=`` uses the caller's client and never closes it.

``dask[distributed]`` is an optional dependency (``pip install 'gipro[dask]'``), imported
only here and when a cluster is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import InputError

__all__ = ["CONNECT_TIMEOUT", "connect", "parse_memory"]

#: How long to wait for a scheduler given by address (seconds, or Dask's ``"5s"``): an address
#: where nothing answers a Dask scheduler's handshake within it is an error.
CONNECT_TIMEOUT: float | str = 5.0


def _probe(address: str, timeout: float) -> None:
    """Ask ``address`` for a Dask scheduler's identity before a client is made (a client
    that fails to connect lingers and blocks the interpreter's exit for seconds).

    Raises
    ------
    InputError
        Nothing answers within ``timeout`` seconds, or what answers is not a scheduler.
    """
    import asyncio

    from distributed.comm import connect as open_comm

    async def identity() -> Any:
        comm = await open_comm(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    hint = ["start one with `dask scheduler` and `dask worker ADDRESS`, or use --workers N "
            "for a local cluster"]
    try:
        answer = asyncio.run(asyncio.wait_for(identity(), timeout))
    except (TimeoutError, asyncio.TimeoutError, OSError) as exc:
        why = f"no answer within {timeout:g} s" if not str(exc) else str(exc)
        raise InputError(f"cannot connect to the Dask scheduler at {address}: {why}",
                         hint) from None
    except ValueError:
        raise InputError(f"{address!r} is not a Dask scheduler address",
                         ["write it as tcp://host:8786", *hint]) from None
    except Exception as exc:  # anything else answering: not a Dask scheduler
        raise InputError(f"cannot connect to the Dask scheduler at {address}: what answers "
                         f"there is not a Dask scheduler ({type(exc).__name__})", hint) from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise InputError(f"cannot connect to the Dask scheduler at {address}: what answers "
                         "there is not a Dask scheduler", hint)


def parse_memory(text: str | int | None) -> int | None:
    """A memory size in bytes: ``"1GB"``, ``"1.5 GiB"``, ``"800MB"``, ``"512MiB"`` or a
    number of bytes (``None`` stays ``None``: Dask's default share of the machine).

    Raises
    ------
    InputError
        Not a size.

    Examples
    --------
    >>> parse_memory("1GB"), parse_memory("512MiB"), parse_memory(2048)
    (1000000000, 536870912, 2048)
    """
    if text is None:
        return None
    if isinstance(text, int):
        value = text
    else:
        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([kKMGT]i?B|B)?\s*", str(text))
        if m is None:
            raise InputError(f"memory limit {text!r} is not a size",
                             ["write it as e.g. 1GB, 1.5GiB, 800MB or a number of bytes"])
        unit = (m.group(2) or "B").upper().replace("IB", "iB")
        factor = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                  "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]
        value = int(float(m.group(1)) * factor)
    if value <= 0:
        raise InputError(f"memory limit must be positive, got {text!r}")
    return value


@contextmanager
def connect(*, workers: int | None = None, scheduler: str | None = None,
            memory_limit: str | int | None = None, client: Any = None,
            processes: bool = True, timeout: float | str | None = None,
            optional: bool = False) -> Iterator[Any]:
    """A Dask client for the duration of a ``with`` block (the default client inside it).

    Parameters
    ----------
    workers : int, optional
        Start a local cluster of this many single-threaded workers (closed at the end).
    scheduler : str, optional
        Address of a running scheduler.
    memory_limit : str or int, optional
        Memory limit per worker of a local cluster (:func:`parse_memory`).
    client : distributed.Client, optional
        Use this client (left open).
    processes : bool
        Local workers as processes (default) or threads of this process (tests).
    optional : bool
        With none of ``workers``, ``scheduler``, ``client``: yield ``None`` (run in this
        process) instead of raising.
    timeout : float or str, optional
        Connection timeout for ``scheduler`` in seconds or as ``"5s"`` (default
        :data:`CONNECT_TIMEOUT`).

    Yields
    ------
    distributed.Client or None

    Raises
    ------
    InputError
        Dask not installed; more than one of ``workers``, ``scheduler``, ``client``; no
        scheduler at the address; fewer than 1 worker; an invalid memory limit.
    """
    given = [n for n, v in (("workers", workers), ("scheduler", scheduler), ("client", client))
             if v is not None]
    if optional and not given:
        yield None
        return
    if len(given) != 1:
        raise InputError("give one of workers, scheduler or client"
                         + (f" (got {' and '.join(given)})" if given else ""))
    if memory_limit is not None and workers is None:
        raise InputError("memory_limit applies to a local cluster (workers=N); a running "
                         "cluster has its own limits")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("running on Dask needs dask.distributed, which is not installed",
                         ["pip install 'gipro[dask]'"]) from None
    if client is not None:
        with client.as_current():
            yield client
        return
    cluster = None
    if scheduler is not None:
        from dask.utils import parse_timedelta

        seconds = float(parse_timedelta(timeout if timeout is not None else CONNECT_TIMEOUT))
        _probe(scheduler, seconds)
        own = Client(scheduler, timeout=seconds, set_as_default=False)
    else:
        if workers is None or workers < 1:
            raise InputError(f"workers must be at least 1, got {workers}")
        limit = parse_memory(memory_limit)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address=":0",
                               **({"memory_limit": limit} if limit is not None else {}))
        own = Client(cluster, set_as_default=False)
    try:
        with own.as_current():
            yield own
    finally:
        own.close()
        if cluster is not None:
            cluster.close()
