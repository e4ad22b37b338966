"""Base class of build steps.

A step is a typed, validated parameter object (pydantic, unknown keys rejected) with one method,
:meth:`StepSpec.apply`, that maps an input :class:`~gipro.dataset.DataSet` to an output data set
and returns notes for the build log. Steps work on the labelled data set and delegate the
numbers to the kernels in :mod:`gipro.methods`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from ..dataset import DataSet

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["StepSpec", "fmt"]


class StepSpec(BaseModel):
    """Common fields of every step.

    Attributes
    ----------
    name : str, optional
        Unique name of the step in the recipe (default: its kind, e.g. ``normalise``).
    input : str, optional
        Data set the step reads (default: the previous step's output; ``raw`` for the first).
    output : str
        Data set the step writes.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str | None = None
    input: str | None = None
    output: str

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        """Run the step on ``ds``; return the output data set and log notes."""
        raise NotImplementedError


def fmt(v: float) -> str:
    """Short number format for messages."""
    return f"{v:.6g}"
