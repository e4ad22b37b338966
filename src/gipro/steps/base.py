"""Base class of build steps.

A step is a typed, validated parameter object (pydantic, unknown keys rejected) with one method,
:meth:`StepSpec.apply`, that maps an input :class:`~gipro.dataset.DataSet` to an output data set
and returns notes for the build log. Steps work on the labelled data set and delegate the
numbers to the kernels in :mod:`gipro.methods`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

from ..dataset import DataSet
from ..errors import InputError
from ..suggest import near_match

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["MethodParams", "StepSpec", "check_codes", "dropped_codes", "fmt", "listing"]


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

    #: False for steps that record state on the build (weight sets) instead of a data set.
    writes_data_set: ClassVar[bool] = True

    name: str | None = None
    input: str | None = None
    output: str
    disable: bool = False

    def apply(self, build: Build, name: str, ds: DataSet) -> tuple[DataSet | None, list[str]]:
        """Run the step on ``ds``; return the output data set and log notes.

        A step that only records state on the build (e.g. a weight set) returns ``None`` as its
        data set; the next step then reads the same input.
        """
        raise NotImplementedError

    @classmethod
    def changed(cls, data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a dumped spec of this kind) updated with ``changes``."""
        out = dict(data)
        out.update(changes)
        return out


def fmt(v: float) -> str:
    """Short number format for messages."""
    return f"{v:.6g}"


def listing(items: list[str], limit: int = 8) -> str:
    """Comma-separated list, shortened after ``limit`` items."""
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def near_matches(unknown: list[str], known: list[str]) -> list[str]:
    """Hints for unknown codes near a known one (:func:`gipro.suggest.near_match`): the same
    but for case, spaces or punctuation (field case B26: ``'Water '`` is not ``'Water'``), or
    a close spelling (``'waste_totl'``: did you mean ``'waste_total'``?).

    Examples
    --------
    >>> for hint in near_matches(["Water ", "waste_totl", "zzz"], ["Water", "waste_total"]):
    ...     print(hint)
    'Water ' differs from 'Water' only in case, spaces or punctuation
    'waste_totl': did you mean 'waste_total'?
    """
    out = []
    for u in unknown:
        hit = near_match(u, known)
        if hit is None:
            continue
        near, how = hit
        out.append(f"{u!r} differs from {near!r} only in case, spaces or punctuation"
                   if how == "fold" else f"{u!r}: did you mean {near!r}?")
    return out


def check_codes(step: str, what: str, given: list[str], known: list[str]) -> None:
    """Raise an InputError naming every code in ``given`` that is not in ``known`` (with near
    matches: ``'Water '`` for ``'Water'``)."""
    unknown = [c for c in given if c not in set(known)]
    if unknown:
        raise InputError(f"step {step!r}: {what} {unknown} not in the data set",
                         [*near_matches(unknown, list(known)),
                          f"known: {listing(list(known), 20)}"])


def dropped_codes(build: Build) -> set[str]:
    """Codes an earlier step left out on purpose (e.g. constant indicators under the
    normalise step's ``constant: drop`` policy), from ``build.fitted``."""
    return {c for f in build.fitted.values() if isinstance(f, dict)
            for c in f.get("dropped_codes", [])}


class MethodParams(BaseModel):
    """Mixin for specs with a ``method`` and parameters that apply to some methods only.

    ``method_params`` maps each method-specific parameter to the methods it applies to.
    Setting a parameter that does not apply to the chosen method is an error (so a typo or a
    leftover is never silently ignored); parameters that do not apply are left out when the
    spec is written (recipe, log). Changing the method (:meth:`changed`) resets the
    method-specific parameters to the new method's defaults unless they are given too.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    method_params: ClassVar[dict[str, frozenset[str]]] = {}

    @model_validator(mode="after")
    def _applicable(self) -> Any:
        method = getattr(self, "method", None)
        for f in sorted(self.model_fields_set):
            methods = self.method_params.get(f)
            if methods is not None and method not in methods:
                raise ValueError(
                    f"parameter {f!r} does not apply to method {method!r} (it applies to: "
                    f"{', '.join(sorted(methods))})"
                )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> Any:
        data = handler(self)
        method = getattr(self, "method", None)
        if isinstance(data, dict):
            for f, methods in self.method_params.items():
                if method not in methods:
                    data.pop(f, None)
        return data

    @classmethod
    def changed(cls, data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a dumped spec) updated with ``changes``; a new method resets its params."""
        out = dict(data)
        if "method" in changes and changes["method"] != data.get("method"):
            for f in cls.method_params:
                out.pop(f, None)
        out.update(changes)
        return out
