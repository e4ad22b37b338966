"""The one entry point of a build: :func:`run` a recipe in memory (:class:`gipro.Build`) or
on a Dask cluster chunked over units (:class:`gipro.chunked.ChunkedBuild`).

It sits above both (the chunked build reuses the in-memory build's pieces), so that neither
imports the other's module in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .build import Build
from .recipe import Recipe

__all__ = ["run"]


def run(recipe: Recipe | str | Path | Mapping[str, Any] | None = None, *, client: Any = None,
        **kwargs: Any) -> Build:
    """Build and run a recipe (default: the built-in China provinces recipe).

    Parameters
    ----------
    recipe : Recipe, str, path or mapping, optional
        See :class:`Build`.
    client : distributed.Client, optional
        Run on this Dask cluster, chunked over units: returns a
        :class:`gipro.chunked.ChunkedBuild` (its data sets stay on the cluster until
        :meth:`~gipro.chunked.ChunkedBuild.write`).
    **kwargs
        ``framework=`` or ``panel=`` overrides, passed to :class:`Build` (with ``client``:
        ``framework=`` and ``block_units=``, passed to :class:`gipro.chunked.ChunkedBuild`).

    Returns
    -------
    Build
        The build after running every step.
    """
    if client is not None:
        from .chunked import ChunkedBuild

        return ChunkedBuild(recipe, client=client, **kwargs).run()  # type: ignore[return-value]
    return Build(recipe, **kwargs).run()
