"""Deprecated location of the array pipeline: use :mod:`gipro.steps.run`.

The compiled pipeline of earlier versions is now the build's own runner without recording
(:class:`gipro.steps.run.Pipeline`); this module re-exports it for one release.
"""

from .steps.run import Pipeline, State

__all__ = ["Pipeline", "State"]
