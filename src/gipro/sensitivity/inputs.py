"""Uncertain inputs of an uncertainty or sensitivity analysis, as typed objects.

An input names what varies and how, never a string path to be evaluated (the fault of COINr's
``Address = "$Log$Treat$global_specs$f1_para$winmax"``):

* :class:`StepAlternatives` -- a discrete set of alternatives for one step of the recipe, each
  a set of parameter changes validated by the step's own spec (``{method: zscore,
  mean_sd: [10, 2]}``, ``{winmax: 3}``, ``{disable: true}`` for "with and without"). Sampled
  uniformly: each alternative has probability 1/k (COINr ``Type = "discrete"``);
* :class:`WeightNoise` -- the weights of a weight set perturbed around their nominal values,
  each multiplied by an independent :math:`U(1 - s, 1 + s)` factor (default ``s = 0.25``,
  COINr ``get_noisy_weights``), at some levels or for some codes. In a Sobol analysis the
  whole set of perturbed weights is *one* input (a group of columns of the design).

:class:`SensitivityConfig` is the YAML of ``gipro sensitivity CONFIG``: the recipe, the target,
the design and the inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..recipe import validation_details
from ..steps import AggregateStep
from ..yamlio import load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from ..build import Build

__all__ = ["BoundInput", "Input", "SensitivityConfig", "StepAlternatives", "WeightNoise",
           "bind_inputs", "load_config"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepAlternatives(_Model):
    """Alternatives for one step's parameters (a discrete uncertain input).

    Give either ``alternatives`` (a list of parameter changes) or ``param`` and ``values``
    (shorthand for ``[{param: v} for v in values]``).

    Attributes
    ----------
    input : "step"
    name : str, optional
        Label in the outputs (default ``<step>`` or ``<step>.<param>``).
    step : str
        Name of the step in the recipe (``impute``, ``treat``, ``normalise``...).
    alternatives : list of mapping
        Parameter changes, e.g. ``[{method: minmax, range: [1, 100]}, {method: zscore,
        mean_sd: [10, 2]}]``. Each is validated against the step's spec.
    param : str, optional
        A parameter of the step (a field of its spec, e.g. ``winmax``).
    values : list, optional
        The values of ``param``.

    Examples
    --------
    >>> StepAlternatives(step="treat", param="winmax", values=[1, 2, 3]).changes()
    [{'winmax': 1}, {'winmax': 2}, {'winmax': 3}]
    """

    input: Literal["step"] = "step"
    name: str | None = None
    step: str
    alternatives: list[dict[str, Any]] | None = None
    param: str | None = None
    values: list[Any] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> StepAlternatives:
        if (self.alternatives is None) == (self.param is None):
            raise ValueError("give either 'alternatives' or 'param' with 'values'")
        if self.param is not None and not self.values:
            raise ValueError(f"'param: {self.param}' needs a non-empty 'values' list")
        if self.alternatives is not None and not self.alternatives:
            raise ValueError("'alternatives' is empty")
        # each of the k listed alternatives is drawn with probability 1/k, so a duplicate
        # among different alternatives would silently double its probability: refused. All
        # alternatives identical is COINr's dummy (control) input -- nothing varies, its
        # Sobol indices are 0 -- allowed with a warning in the design notes (make_design).
        key = "alternatives" if self.alternatives is not None else "values"
        seen: dict[str, int] = {}
        for i, ch in enumerate(self.changes(), start=1):
            text = json.dumps(ch, sort_keys=True, default=str)
            if text in seen and self.n_distinct() > 1:
                shown = ch if key == "alternatives" else ch[self.param]
                raise ValueError(
                    f"{self.label()!r}: {key} lists {shown!r} twice (positions {seen[text]} and "
                    f"{i}); list each alternative once (a duplicate would double its "
                    "probability)")
            seen.setdefault(text, i)
        return self

    def n_distinct(self) -> int:
        """Number of different alternatives (1: nothing varies)."""
        return len({json.dumps(ch, sort_keys=True, default=str) for ch in self.changes()})

    def changes(self) -> list[dict[str, Any]]:
        """The alternatives as parameter changes."""
        if self.alternatives is not None:
            return [dict(a) for a in self.alternatives]
        return [{self.param: v} for v in self.values or []]

    def label(self) -> str:
        return self.name or (f"{self.step}.{self.param}" if self.param else self.step)


class WeightNoise(_Model):
    """Weights perturbed around nominal: ``w * U(1 - spread, 1 + spread)``, independently.

    Attributes
    ----------
    input : "weights"
    name : str
        Label in the outputs (default ``weights``).
    spread : float in [0, 1)
        Relative half-width (default 0.25: +-25%, COINr's example). Below 1, so a weight
        never becomes negative or zero. ``0`` leaves the weights at their nominal values (every
        multiplier is exactly 1): a control run, whose rank intervals are the other inputs'
        alone (and, with no other input, the nominal ranks).
    levels : list of int, optional
        Perturb the weights of the nodes at these levels (1 = indicators; COINr's example:
        2 and 3).
    codes : list of str, optional
        Perturb these nodes' weights. Default (neither given): every node but the index.
    weight_set : str, optional
        The weight set to perturb (default: the one the last aggregate step uses, usually
        ``framework``).
    """

    input: Literal["weights"] = "weights"
    name: str = "weights"
    spread: float = Field(0.25, ge=0.0, lt=1.0)
    levels: list[int] | None = None
    codes: list[str] | None = None
    weight_set: str | None = None

    @model_validator(mode="after")
    def _scope(self) -> WeightNoise:
        if self.levels is not None and self.codes is not None:
            raise ValueError("give 'levels' or 'codes', not both")
        return self

    def label(self) -> str:
        return self.name


Input = Annotated[Union[StepAlternatives, WeightNoise], Field(discriminator="input")]  # noqa: UP007


@dataclass(frozen=True)
class BoundInput:
    """An input checked against a build: where it acts and how a design column maps to it.

    Attributes
    ----------
    spec : StepAlternatives or WeightNoise
    label : str
    position : int
        Index of the first recipe step it affects.
    n_columns : int
        Columns of the unit cube it owns (1 for alternatives, one per perturbed weight).
    alternatives : list of dict
        Parameter changes (alternatives only).
    codes : list of str
        Perturbed codes (weights only).
    weight_set : str
        The perturbed weight set (weights only).
    """

    spec: Any
    label: str
    position: int
    n_columns: int
    alternatives: tuple[dict[str, Any], ...] = ()
    codes: tuple[str, ...] = ()
    weight_set: str = ""

    @property
    def is_weights(self) -> bool:
        return isinstance(self.spec, WeightNoise)

    def decode(self, u: np.ndarray) -> np.ndarray:
        """Map design columns ``u`` in [0, 1) to settings.

        Alternatives: ``floor(u k)`` (index of the alternative, shape (R,)); weights: the
        multipliers ``1 + spread (2u - 1)`` (shape (R, n_columns)).

        Examples
        --------
        >>> b = BoundInput(StepAlternatives(step="s", param="p", values=[1, 2]), "s.p", 0, 1,
        ...                ({"p": 1}, {"p": 2}))
        >>> b.decode(np.array([[0.0], [0.49], [0.5], [0.999]])).tolist()
        [0, 0, 1, 1]
        """
        u = np.asarray(u, dtype=float)
        if self.is_weights:
            return 1.0 + self.spec.spread * (2.0 * u - 1.0)
        k = len(self.alternatives)
        return np.minimum((u[:, 0] * k).astype(np.int64), k - 1)

    def describe(self, value: Any) -> str:
        """A setting as text for the runs table."""
        if self.is_weights:
            return ""
        ch = self.alternatives[int(value)]
        return ", ".join(f"{k}={v}" for k, v in ch.items())


def _check_alternatives(build: Build, inp: StepAlternatives) -> tuple[int, list[dict]]:
    names = build.recipe.step_names()
    if inp.step not in names:
        raise InputError(f"uncertain input {inp.label()!r}: no step named {inp.step!r} in the "
                         "recipe", [f"steps: {', '.join(names)}"])
    pos = names.index(inp.step)
    spec = build.recipe.steps[pos]
    cls = type(spec)
    changes = inp.changes()
    fields = set(cls.model_fields)
    for ch in changes:
        unknown = sorted(set(ch) - fields)
        if unknown:
            raise InputError(f"uncertain input {inp.label()!r}: step {inp.step!r} ({spec.step})"
                             f" has no parameter {', '.join(unknown)}",
                             [f"parameters: {', '.join(sorted(fields))}"])
        try:
            cls.model_validate(cls.changed(spec.model_dump(), ch))
        except ValidationError as exc:
            raise InputError(f"uncertain input {inp.label()!r}: alternative {ch} is not a valid "
                             f"{spec.step} step", validation_details(exc, cls)) from None
    return pos, changes


def bind_inputs(build: Build, inputs: list[Any]) -> list[BoundInput]:
    """Check inputs against a build's recipe and framework; return them bound.

    Raises
    ------
    InputError
        Unknown step or parameter, invalid alternative, unknown code or level, a weight set
        no aggregate step uses, duplicate labels, no inputs.
    """
    if not inputs:
        raise InputError("an uncertainty analysis needs at least one uncertain input")
    fw = build.framework
    steps = build.recipe.steps
    out: list[BoundInput] = []
    for raw in inputs:
        inp = raw
        if isinstance(raw, dict):
            kind = WeightNoise if raw.get("input") == "weights" else StepAlternatives
            try:
                inp = kind.model_validate(raw)
            except ValidationError as exc:
                raise InputError("invalid uncertain input",
                                 validation_details(exc, kind)) from None
        if isinstance(inp, StepAlternatives):
            pos, changes = _check_alternatives(build, inp)
            out.append(BoundInput(inp, inp.label(), pos, 1, tuple(changes)))
            continue
        aggs = [i for i, s in enumerate(steps) if isinstance(s, AggregateStep) and not s.disable]
        if not aggs:
            raise InputError(f"uncertain input {inp.label()!r}: the recipe has no aggregate step "
                             "whose weights could be perturbed")
        set_name = inp.weight_set or steps[aggs[-1]].weights
        users = [i for i in aggs if steps[i].weights == set_name or any(
            m.weights == set_name for m in [*steps[i].by_level.values(),
                                            *steps[i].by_code.values()])]
        if not users:
            raise InputError(f"uncertain input {inp.label()!r}: no aggregate step uses weight set "
                             f"{set_name!r}")
        nodes = [c for c in fw.codes if c != fw.root]
        if inp.codes is not None:
            unknown = [c for c in inp.codes if c not in nodes]
            if unknown:
                raise InputError(f"uncertain input {inp.label()!r}: codes {unknown} are not nodes "
                                 "of the framework (the index has no weight)")
            codes = [c for c in nodes if c in set(inp.codes)]
        elif inp.levels is not None:
            bad = [lv for lv in inp.levels if not 1 <= lv < fw.max_level]
            if bad:
                raise InputError(f"uncertain input {inp.label()!r}: levels {bad} have no "
                                 f"weights (levels 1-{fw.max_level - 1})")
            codes = [c for c in nodes if fw.level(c) in set(inp.levels)]
        else:
            codes = nodes
        out.append(BoundInput(inp, inp.label(), users[0], len(codes), codes=tuple(codes),
                              weight_set=set_name))
    labels = [b.label for b in out]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise InputError(f"uncertain inputs with the same name: {dup}", ["give each a 'name'"])
    if sum(b.is_weights for b in out) > 1:
        raise InputError("at most one weights input (list every level or code in it)")
    return out


class SensitivityConfig(_Model):
    """The YAML of ``gipro sensitivity CONFIG``.

    Attributes
    ----------
    recipe : str
        Recipe YAML (relative to the config file) or a built-in recipe name.
    target : str, optional
        Code whose ranks are analysed (default: the index).
    period : int, optional
        Period analysed (default: the last).
    design : {"montecarlo", "sobol"}
        Plain Monte Carlo (uncertainty analysis, ``runs`` runs) or the Saltelli design
        (uncertainty and sensitivity, ``runs`` base rows: ``runs (d + 2)`` runs).
    runs : int
        See ``design`` (default 1000 for Monte Carlo, 256 base rows for Sobol).
    sampler : {"random", "sobol"}, optional
        Pseudo-random points or a scrambled Sobol' sequence (default: random for Monte Carlo,
        Sobol' for the Saltelli design; use a power of 2 for ``runs``).
    seed : int
        Seed of the numpy Generator (default 0).
    n_boot : int
        Bootstrap resamples for the Sobol indices' intervals (default 1000).
    level : float
        Confidence level of the intervals (default 0.95).
    chunk : int, optional
        Runs per task when the work is spread over workers (default: about 8 tasks per
        worker, at least 64 runs).
    inputs : list of inputs
        :class:`StepAlternatives` (``input: step``) and :class:`WeightNoise`
        (``input: weights``).
    """

    recipe: str
    target: str | None = None
    period: int | None = None
    design: Literal["montecarlo", "sobol"] = "montecarlo"
    runs: int | None = Field(None, ge=2)
    sampler: Literal["random", "sobol"] | None = None
    seed: int = Field(0, ge=0)
    n_boot: int = Field(1000, ge=0)
    level: float = Field(0.95, gt=0.0, lt=1.0)
    chunk: int | None = Field(None, ge=1)
    inputs: list[Input] = Field(min_length=1)
    _base_dir: Path | None = None

    @property
    def base_dir(self) -> Path | None:
        return self._base_dir

    def recipe_ref(self) -> str:
        """The recipe as a path (resolved against the config's folder) or built-in name."""
        ref = Path(self.recipe)
        if self._base_dir is not None and not ref.is_absolute() and ref.suffix in (".yaml",
                                                                                  ".yml"):
            return str(self._base_dir / ref)
        return self.recipe


def load_config(path: str | Path) -> SensitivityConfig:
    """Read and validate a sensitivity configuration YAML.

    Raises
    ------
    InputError
        Missing file, invalid YAML, unknown keys or invalid values (each named).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"sensitivity configuration {path} does not exist")
    from ..paths import read_text

    text = read_text(path, "sensitivity configuration")
    data = load_yaml(text, f"sensitivity configuration {path}")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping (recipe:, inputs:, ...)")
    try:
        cfg = SensitivityConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid sensitivity configuration {path}",
                         validation_details(exc, SensitivityConfig)) from None
    cfg._base_dir = path.parent
    return cfg
