"""The GTFP specification: which data, which variables play which role, which DEA model,
technology and productivity index -- a typed, validated value read from YAML::

    name: china-gtfp
    data: {path: provinces.csv, unit: Province, period: year}
    inputs: [K, L]
    desirable: [Y]
    undesirable: [CO2]
    model: ddf                      # ddf | nonradial_ddf | sbm | sbm_ddf
    direction: output               # output | graph | input | {K: 0, L: 0, Y: 1, CO2: 1}
    returns: crs                    # crs | vrs
    technology: global              # contemporaneous | sequential | global
    index: malmquist_luenberger     # malmquist_luenberger | luenberger | none

Unknown keys, keys that do not apply to the model (``direction`` for ``sbm``, ``weights``
for anything but ``nonradial_ddf``, ``super_efficiency`` for anything but ``sbm``), a
variable in two roles, an index that does not fit the model's measure, are errors naming
the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..dataspec import DataSpec
from ..errors import InputError
from ..recipe import PeriodRange, select_periods, validation_details
from ..yamlio import load_yaml

__all__ = ["DIRECTIONS", "INDEX_FOR", "MODELS", "GTFPSpec", "load_spec"]

#: The DEA models and what their score is (``ratio``: an efficiency in (0, 1], the base of a
#: Malmquist-Luenberger index; ``difference``: an inefficiency >= 0, the base of a
#: Luenberger indicator; the radial DDF gives both).
MODELS = {"ddf": ("ratio", "difference"), "nonradial_ddf": ("difference",),
          "sbm": ("ratio",), "sbm_ddf": ("difference",)}
#: The index each model gets when ``index`` is not given.
INDEX_FOR = {"ddf": "malmquist_luenberger", "nonradial_ddf": "luenberger",
             "sbm": "malmquist_luenberger", "sbm_ddf": "luenberger"}
#: Direction presets: multipliers of the observed inputs, desirable and undesirable outputs.
DIRECTIONS = {"output": (0.0, 1.0, 1.0), "graph": (1.0, 1.0, 1.0), "input": (1.0, 0.0, 0.0)}
_INDEX_FORM = {"malmquist_luenberger": "ratio", "luenberger": "difference"}
_DIRECTIONAL = ("ddf", "nonradial_ddf", "sbm_ddf")


class GTFPSpec(BaseModel):
    """A validated GTFP specification.

    Attributes
    ----------
    name, description : str, optional
    data : DataSpec, optional
        As a recipe's ``data:`` (a built-in data set or a file; wide or long form). Required
        in a YAML file; from Python the data may be given to :func:`gipro.gtfp.run` instead.
    units : list of str, optional
        Units to evaluate (default: every unit in the data).
    periods : PeriodRange or list of int, optional
        Periods (default: every period in the data).
    inputs, desirable, undesirable : list of str
        Variables (data columns / indicator codes) by role. Undesirable outputs (CO2, SO2,
        COD, waste water...) are contracted; listing one as desirable would reward pollution.
    model : {"ddf", "nonradial_ddf", "sbm", "sbm_ddf"}
        Radial directional distance function (Chung, Färe & Grosskopf 1997), non-radial DDF
        (Zhou, Ang & Wang 2012), slacks-based measure (Tone 2004), SBM directional distance
        function (Fukuyama & Weber 2009).
    direction : {"output", "graph", "input"} or mapping of variable to number
        Directional models: each variable moves by ``multiplier x its observed value`` per
        unit of inefficiency (inputs and undesirable outputs contracted, desirable outputs
        expanded). ``output`` = (0, y, b) (Chung et al. 1997; Stata ``gtfpch``'s default),
        ``graph`` = (x, y, b) (Stata ``teddf``'s default), ``input`` = (x, 0, 0). A mapping
        must give every variable.
    weights : mapping of variable to number, optional
        ``nonradial_ddf``: weight of each variable's inefficiency (default 1 for every
        variable with a non-zero direction, as Stata; variables left out get 0).
    returns : {"crs", "vrs"}
    technology : {"contemporaneous", "sequential", "global"}
    index : {"malmquist_luenberger", "luenberger", "none"}
        Default: Malmquist-Luenberger for ``ddf`` and ``sbm``, Luenberger for
        ``nonradial_ddf`` and ``sbm_ddf``.
    super_efficiency : bool
        ``sbm``: score efficient units (and units outside another period's technology) by
        Tone's (2002) super-efficiency SBM.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str | None = None
    description: str | None = None
    data: DataSpec | None = None
    units: list[str] | None = Field(None, min_length=1)
    periods: PeriodRange | list[int] | None = None
    inputs: list[str] = Field(min_length=1)
    desirable: list[str] = Field(min_length=1)
    undesirable: list[str] = Field(default_factory=list)
    model: Literal["ddf", "nonradial_ddf", "sbm", "sbm_ddf"] = "ddf"
    direction: Literal["output", "graph", "input"] | dict[str, float] = "output"
    weights: dict[str, float] | None = None
    returns: Literal["crs", "vrs"] = "crs"
    technology: Literal["contemporaneous", "sequential", "global"] = "contemporaneous"
    index: Literal["malmquist_luenberger", "luenberger", "none"] | None = None
    super_efficiency: bool = False
    _base_dir: Path | None = None

    @field_validator("index", mode="before")
    @classmethod
    def _none(cls, v: Any) -> Any:
        return "none" if v is False else v

    @field_validator("periods", mode="before")
    @classmethod
    def _periods(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return [v]
        return v

    @model_validator(mode="after")
    def _consistent(self) -> GTFPSpec:
        roles = {"inputs": self.inputs, "desirable": self.desirable,
                 "undesirable": self.undesirable}
        seen: dict[str, str] = {}
        for role, names in roles.items():
            for v in names:
                if v in seen:
                    where = (f"twice in {role}" if seen[v] == role
                             else f"in both {seen[v]} and {role}")
                    raise ValueError(f"variable {v!r} is listed {where}; each variable has "
                                     "one role")
                seen[v] = role
        set_ = self.model_fields_set
        if "direction" in set_ and self.model not in _DIRECTIONAL:
            raise ValueError(f"direction does not apply to model {self.model!r} (the SBM is "
                             "non-oriented); remove it or use model sbm_ddf")
        if "weights" in set_ and self.weights is not None and self.model != "nonradial_ddf":
            raise ValueError(f"weights apply to model 'nonradial_ddf' only, not "
                             f"{self.model!r}")
        if self.super_efficiency and self.model != "sbm":
            raise ValueError(f"super_efficiency applies to model 'sbm' only, not "
                             f"{self.model!r}")
        if isinstance(self.direction, dict):
            missing = [v for v in seen if v not in self.direction]
            extra = [v for v in self.direction if v not in seen]
            if extra:
                raise ValueError(f"direction names {extra}, which are not variables of the "
                                 f"spec ({', '.join(seen)})")
            if missing:
                raise ValueError(f"direction must give every variable; missing {missing} "
                                 "(0 = not adjusted)")
            bad = {k: v for k, v in self.direction.items() if not v >= 0}
            if bad:
                raise ValueError(f"direction multipliers must be >= 0 (the sign is set by the "
                                 f"role), got {bad}")
        mult = self.multipliers()
        if self.model in _DIRECTIONAL and not any(mult.values()):
            raise ValueError("direction: every multiplier is 0; nothing can be adjusted")
        if self.weights is not None:
            extra = [v for v in self.weights if v not in seen]
            if extra:
                raise ValueError(f"weights name {extra}, which are not variables of the spec")
            bad = {k: v for k, v in self.weights.items() if not v >= 0}
            if bad:
                raise ValueError(f"weights must be >= 0, got {bad}")
            zero = [k for k, v in self.weights.items() if v > 0 and mult[k] == 0]
            if zero:
                raise ValueError(f"weights on {zero}, whose direction is 0: their "
                                 "inefficiency cannot be measured")
            if not any(self.weights.values()):
                raise ValueError("weights: every weight is 0")
        if self.index is None:
            self.index = INDEX_FOR[self.model]
        if self.index != "none" and _INDEX_FORM[self.index] not in MODELS[self.model]:
            other = next(k for k, v in _INDEX_FORM.items() if k != self.index)
            raise ValueError(
                f"index {self.index!r} does not fit model {self.model!r}: "
                + ("a Malmquist-Luenberger index is a ratio of efficiencies; the "
                   f"{self.model} score is an inefficiency (use index: {other}, or model "
                   "ddf / sbm)" if self.index == "malmquist_luenberger" else
                   "a Luenberger indicator is a difference of inefficiencies; the SBM "
                   f"efficiency is a ratio (use index: {other}, or model sbm_ddf)"))
        return self

    # ------------------------------------------------------------------ derived
    @property
    def variables(self) -> list[str]:
        """Inputs, desirable and undesirable outputs, in that order."""
        return [*self.inputs, *self.desirable, *self.undesirable]

    @property
    def base_dir(self) -> Path | None:
        return self._base_dir

    def multipliers(self) -> dict[str, float]:
        """Direction multiplier of each variable (0 for the SBM, which has none)."""
        if self.model not in _DIRECTIONAL:
            return dict.fromkeys(self.variables, 0.0)
        if isinstance(self.direction, dict):
            return {v: float(self.direction[v]) for v in self.variables}
        gx, gy, gb = DIRECTIONS[self.direction]
        return {**dict.fromkeys(self.inputs, gx), **dict.fromkeys(self.desirable, gy),
                **dict.fromkeys(self.undesirable, gb)}

    def weight_vector(self) -> list[float]:
        """``nonradial_ddf`` weights in variable order (Stata's default: 1 where the
        direction is not 0)."""
        mult = self.multipliers()
        if self.weights is None:
            return [1.0 if mult[v] > 0 else 0.0 for v in self.variables]
        return [float(self.weights.get(v, 0.0)) for v in self.variables]

    @property
    def form(self) -> str | None:
        """``ratio`` (Malmquist-Luenberger), ``difference`` (Luenberger) or ``None``."""
        return None if self.index == "none" else _INDEX_FORM[self.index]

    def period_list(self, available: list[int]) -> list[int]:
        """The spec's periods, checked against those in the data
        (:func:`gipro.recipe.select_periods`).

        Raises
        ------
        InputError
            A period asked for is not in the data.
        """
        return select_periods(self.periods, available, "of the GTFP spec")

    def resolved(self) -> dict[str, Any]:
        """The spec as a plain mapping, defaults filled in, data paths made absolute."""
        data = self.model_dump(mode="json")
        if self._base_dir is not None and data["data"] is not None:
            for key in ("path", "units"):
                p = data["data"].get(key)
                if p and not Path(p).is_absolute():
                    data["data"][key] = str((self._base_dir / p).resolve())
        if self.model not in _DIRECTIONAL:
            data.pop("direction")
        if self.model != "nonradial_ddf":
            data.pop("weights")
        elif self.weights is None:
            data["weights"] = dict(zip(self.variables, self.weight_vector(), strict=True))
        if self.model != "sbm":
            data.pop("super_efficiency")
        return data

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The resolved spec as YAML (written to ``path`` if given)."""
        from ..tables import yaml_text

        return yaml_text(self.resolved(), path)

    @classmethod
    def from_dict(cls, data: Any, base_dir: str | Path | None = None,
                  origin: str = "GTFP spec") -> GTFPSpec:
        """Validate a spec mapping.

        Raises
        ------
        InputError
            Naming each invalid or unknown key.
        """
        if not isinstance(data, dict):
            raise InputError(f"invalid {origin}: expected a mapping of keys (data:, inputs:, "
                             f"desirable:, undesirable:, model:...), got "
                             f"{type(data).__name__}")
        try:
            spec = cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(f"invalid {origin}", validation_details(exc, cls)) from None
        spec._base_dir = Path(base_dir) if base_dir is not None else None
        return spec


def load_spec(path: str | Path) -> GTFPSpec:
    """Read and validate a GTFP spec YAML file (relative data paths against its folder).

    Raises
    ------
    InputError
        Missing or unreadable file, invalid YAML (a key written twice included), invalid spec.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"GTFP spec {p} does not exist")
    from ..paths import read_text

    text = read_text(p, "GTFP spec")
    return GTFPSpec.from_dict(load_yaml(text, f"GTFP spec {p}"), p.parent, f"GTFP spec {p}")
