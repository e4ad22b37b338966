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
from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["StepSpec", "check_codes", "fmt", "listing"]


class StepSpec(BaseModel):
    """Common fields of every step.

    Attributes
    ----------
    name : str, optional
        Unique name of the step in the recipe (default: its kind, e.g. ``normalise``).
    input : str, optional
        Data set the step reads (default: the previous step's output; ``raw`` for the first).
    output : str
        Data set the step writes (default: the step kind's usual name, e.g. ``imputed``; when
        the same kind appears twice, a later step without an explicit ``output`` writes a data
        set named after the step).
    disable : bool
        ``true``: the step is skipped -- logged as skipped, its output is its input unchanged
        (COINr's ``disable``; handy for "with and without treatment" variants).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str | None = None
    input: str | None = None
    output: str
    disable: bool = False

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet, list[str]]:
        """Run the step on ``ds``; return the output data set and log notes."""
        raise NotImplementedError


def fmt(v: float) -> str:
    """Short number format for messages."""
    return f"{v:.6g}"


def listing(items: list[str], limit: int = 8) -> str:
    """Comma-separated list, shortened after ``limit`` items."""
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def check_codes(step: str, what: str, given: list[str], known: list[str]) -> None:
    """Raise an InputError naming every code in ``given`` that is not in ``known``."""
    unknown = [c for c in given if c not in set(known)]
    if unknown:
        raise InputError(f"step {step!r}: {what} {unknown} not in the data set",
                         [f"known: {listing(list(known), 20)}"])
