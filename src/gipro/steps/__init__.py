"""Build steps: one module per verb, each a typed spec with an ``apply`` method.

To add a step: write a module with a :class:`~gipro.steps.base.StepSpec` subclass whose
``step`` field is a unique ``Literal`` kind, and add the class to :data:`STEP_TYPES`.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from .aggregate import AggregateStep
from .base import StepSpec
from .denominate import DenominateStep
from .impute import ImputeStep
from .normalise import NormaliseStep
from .screen import ScreenStep
from .treat import IndicatorTreatment, TreatStep
from .weight import WeightStep

STEP_TYPES: tuple[type[StepSpec], ...] = (
    DenominateStep, ImputeStep, ScreenStep, TreatStep, NormaliseStep, WeightStep, AggregateStep,
)

Step = Annotated[Union[STEP_TYPES], Field(discriminator="step")]  # noqa: UP007

__all__ = [
    "STEP_TYPES",
    "AggregateStep",
    "DenominateStep",
    "ImputeStep",
    "IndicatorTreatment",
    "NormaliseStep",
    "ScreenStep",
    "Step",
    "StepSpec",
    "TreatStep",
    "WeightStep",
]
