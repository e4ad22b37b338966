"""Recipes: what to build, from which data, with which steps -- as a typed, validated value.

A recipe names the framework (a built-in name or a YAML path), the data (a built-in data set or
a file), the periods and units, and the list of steps with their parameters. It is read from
YAML, validated at load (unknown keys are errors), and written back with every default filled
in, so that a build can be re-run exactly or re-run with one setting changed::

    name: my-index
    framework: china-provinces-green-industry      # or path/to/framework.yaml
    data: {dataset: china_provinces}               # or {path: data.csv, form: wide, ...}
    periods: {start: 2006, end: 2015}              # or a list of periods
    steps:
      - {step: normalise, method: minmax, range: [0, 100], bounds: pooled}
      - {step: aggregate, method: arithmetic, min_availability: 0.5}

Each step has a ``name`` (default: its kind; names must be unique), an ``input`` data set
(default: the previous step's output, ``raw`` for the first) and an ``output`` data set name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources
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

from .dataspec import DataSpec
from .errors import InputError
from .steps import AggregateStep, NormaliseStep, Step
from .yamlio import load_yaml, unknown_key_message

__all__ = [
    "AggregateStep",
    "DataSpec",
    "NormaliseStep",
    "PeriodRange",
    "Recipe",
    "Step",
    "builtin_recipes",
    "load_recipe",
    "select_periods",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PeriodRange(_Model):
    """An inclusive range of periods."""

    start: int
    end: int

    @model_validator(mode="after")
    def _ordered(self) -> PeriodRange:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


def select_periods(periods: PeriodRange | list[int] | None, available: list[int],
                   who: str) -> list[int]:
    """The periods asked for (a range, a list, or ``None`` for all), checked against those
    ``available`` in the data; ``who`` words the message ("requested by the recipe").

    Raises
    ------
    InputError
        If a period asked for is not in the data.

    Examples
    --------
    >>> select_periods(PeriodRange(start=2014, end=2015), [2013, 2014, 2015], "asked")
    [2014, 2015]
    """
    if periods is None:
        return list(available)
    if isinstance(periods, PeriodRange):
        wanted = list(range(periods.start, periods.end + 1))
    else:
        wanted = sorted(set(periods))
    missing = [p for p in wanted if p not in set(available)]
    if missing:
        raise InputError(
            f"periods {missing} {who} are not in the data",
            [f"the data cover {available[0]}-{available[-1]}" if available else "no periods"],
        )
    return wanted


def _default_steps() -> list[Any]:
    return [NormaliseStep(), AggregateStep()]


def _file_name(name: str, what: str) -> None:
    """A ValueError (a recipe validation error) unless ``name`` can be a file name
    (:func:`gipro.paths.output_name`)."""
    from .paths import output_name

    try:
        output_name(name, what)
    except InputError as exc:
        raise ValueError(exc.message) from None


class Recipe(_Model):
    """A complete, validated build recipe.

    Attributes
    ----------
    name : str, optional
        Name of the build (used in outputs).
    description : str, optional
    framework : str
        Built-in framework name or path to a framework YAML file.
    data : DataSpec
        Data source.
    periods : PeriodRange or list of int, optional
        Periods to build (default: every period in the data).
    units : list of str, optional
        Units to build (default: every unit in the data).
    steps : list of steps
        Default: min-max normalisation (pooled bounds) then arithmetic aggregation. Kinds:
        ``denominate``, ``screen``, ``impute``, ``treat``, ``normalise``, ``aggregate``; a kind
        may appear more than once (names must be unique; a later step of the same kind
        without an explicit ``output`` writes a data set named after the step).
    results : {"all", "aggregates"}
        Which codes ``results.csv`` holds: every code (default: the normalised indicator
        scores and every aggregate) or the aggregates only (the index and its components:
        for a build of 100,000 units, whose indicator scores are in the wide stage tables
        anyway, the tidy file shrinks tenfold).
    keep : list of str, optional
        Data sets to keep after the run, and to write to ``stages/`` (default: every one).
        A big build need not hold every intermediate cube: ``keep: [aggregated]`` keeps the
        last one (``raw`` is held too, for the reasons in ``exclusions.csv``: it costs
        nothing, being a view of the input data; it is written only when named). Steps still
        read the data sets they need while the build runs; their notes and tables are made
        before the others are let go. Variants of such a build re-run from the first step.
    """

    name: str | None = None
    description: str | None = None
    framework: str
    data: DataSpec
    periods: PeriodRange | list[int] | None = None
    units: list[str] | None = Field(None, min_length=1)
    steps: list[Step] = Field(default_factory=_default_steps)
    keep: list[str] | None = Field(None, min_length=1)
    results: Literal["all", "aggregates"] = "all"
    _base_dir: Path | None = None

    @field_validator("periods", mode="before")
    @classmethod
    def _periods(cls, v: Any) -> Any:
        """``{start: Y, end: Y}``, a list of periods, or one period (``periods: 2019``), with
        one plain message when none of these."""
        if v is None or isinstance(v, PeriodRange):
            return v
        if isinstance(v, bool):
            raise ValueError("periods must be {start: Y, end: Y}, a list of periods or one period")
        if isinstance(v, int):
            return [v]
        if isinstance(v, dict):
            try:
                return PeriodRange.model_validate(v)
            except ValidationError as exc:
                raise ValueError("; ".join(validation_details(exc, PeriodRange))) from None
        if isinstance(v, list) and all(isinstance(p, int) and not isinstance(p, bool)
                                       for p in v):
            return v
        raise ValueError(f"periods must be {{start: Y, end: Y}}, a list of whole-number periods "
                         f"or one period; got {v!r}")

    @model_validator(mode="after")
    def _steps(self) -> Recipe:
        if not self.steps:
            raise ValueError("a recipe needs at least one step")
        seen: set[str] = set()
        for s in self.steps:
            n = s.name or s.step
            _file_name(n, "step name")  # names and outputs become file names (stages/, details/)
            _file_name(s.output, f"step {n!r}: output")
            if n in seen:
                raise ValueError(
                    f"two steps are named {n!r}; give each step a unique 'name'"
                )
            seen.add(n)
        outputs: dict[str, str] = {"raw": "the input data"}
        for s in self.steps:
            n = s.name or s.step
            if s.output in outputs:
                if "output" in s.model_fields_set or n in outputs:
                    raise ValueError(
                        f"step {n!r} writes data set {s.output!r}, already written by "
                        f"{outputs[s.output]}; give it another 'output'"
                    )
                s.output = n  # a kind used twice: the later step's data set takes its name
            outputs[s.output] = f"step {n!r}"
        written = [o for o, s in zip(outputs, ["raw", *self.steps], strict=False)
                   if o == "raw" or getattr(s, "writes_data_set", True)]
        unknown = [k for k in self.keep or [] if k not in written]
        if unknown:
            raise ValueError(f"keep names data sets the recipe does not write: {unknown} "
                             f"(data sets: {', '.join(written)})")
        return self

    @property
    def base_dir(self) -> Path | None:
        """Folder against which relative paths in the recipe are resolved."""
        return self._base_dir

    def step_names(self) -> list[str]:
        return [s.name or s.step for s in self.steps]

    def result_codes(self, codes: Sequence[str], aggregates: Iterable[str]) -> list[str] | None:
        """The codes of the results tables (``results.csv``, the export's ``results``) among
        a build's final ``codes``: ``None`` (every one) with ``results: all``, else those in
        ``aggregates`` (the framework's aggregate codes), in order."""
        if self.results == "all":
            return None
        wanted = set(aggregates)
        return [c for c in codes if c in wanted]

    def period_list(self, available: list[int]) -> list[int]:
        """The recipe's periods, checked against those ``available`` in the data.

        Raises
        ------
        InputError
            If a requested period is not in the data.
        """
        return select_periods(self.periods, available, "requested by the recipe")

    def with_step(self, name: str, **changes: Any) -> Recipe:
        """A copy of the recipe with one step's parameters changed.

        Raises
        ------
        InputError
            If no step has this name or the new parameters are invalid.
        """
        names = self.step_names()
        if name not in names:
            raise InputError(f"no step named {name!r}; steps: {', '.join(names)}")
        data = self.model_dump()
        for i, st in enumerate(self.steps):  # fields left out of dumps (Python callables)
            for fname, finfo in type(st).model_fields.items():
                if finfo.exclude:
                    data["steps"][i][fname] = getattr(st, fname)
        i = names.index(name)
        data["steps"][i] = type(self.steps[i]).changed(data["steps"][i], changes)
        return validate_recipe(data, self._base_dir, f"recipe with step {name!r} changed")

    def resolved(self) -> dict[str, Any]:
        """The recipe as a plain mapping with every default filled in and paths made absolute."""
        data = self.model_dump(mode="json")
        if data.get("keep") is None:
            data.pop("keep", None)  # (every data set kept: the default, not written)
        if data.get("results") == "all":
            data.pop("results", None)  # (the default, not written)
        if self._base_dir is not None:
            for key in ("path", "units", "include_units", "exclude_units"):  # files
                v = data["data"].get(key)
                if isinstance(v, str) and v and not Path(v).is_absolute():
                    data["data"][key] = str((self._base_dir / v).resolve())
            for sheet in (data["data"].get("yearbook") or {}).get("sheets", []):
                if not Path(sheet["path"]).is_absolute():
                    sheet["path"] = str((self._base_dir / sheet["path"]).resolve())
            fw = Path(data["framework"])
            if (fw.suffix.lower() in (".yaml", ".yml", ".csv", ".tsv", ".txt", ".xlsx", ".xlsm",
                                      ".xls") and not fw.is_absolute()):
                data["framework"] = str((self._base_dir / fw).resolve())
        for s in data["steps"]:
            s["name"] = s["name"] or s["step"]
            table = s.get("table")
            if (self._base_dir is not None and isinstance(table, dict) and table.get("path")
                    and not Path(table["path"]).is_absolute()):
                table["path"] = str((self._base_dir / table["path"]).resolve())
        return data

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The resolved recipe as YAML (written to ``path`` if given)."""
        from .tables import yaml_text

        return yaml_text(self.resolved(), path)

    @classmethod
    def from_dict(cls, data: Any, base_dir: str | Path | None = None,
                  origin: str = "recipe") -> Recipe:
        """Validate a recipe mapping.

        Raises
        ------
        InputError
            Naming each invalid or unknown field.
        """
        return validate_recipe(data, base_dir, origin)


def validation_details(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """Plain-language lines for a pydantic validation error: the field path as written in YAML
    (``steps.1.method``), without pydantic's internal tags, and one line per field.

    ``model`` is the class that was validated: with it, an unknown key's line lists the valid
    keys of its section and the nearest one (:func:`gipro.yamlio.unknown_key_message`).

    Examples
    --------
    >>> try:
    ...     Recipe.model_validate({"framework": "f", "data": {"dataset": "d", "unti": "x"}})
    ... except ValidationError as exc:
    ...     print(validation_details(exc, Recipe)[0][:62])
    data.unti: unknown key (did you mean 'unit'?); valid keys in d
    """
    lines: list[str] = []
    for err in exc.errors():
        parts = []
        for p in err["loc"]:
            p = str(p)
            if "[" in p or p.startswith("function-") or p in ("list", "int", "str", "float",
                                                             "PeriodRange", "dict"):
                continue  # union branch / validator tags, not part of the user's path
            parts.append(p)
        loc = ".".join(parts)
        msg = err["msg"].removeprefix("Value error, ")
        ctx = err.get("ctx") or {}
        if err["type"] == "extra_forbidden":
            msg = unknown_key_message(model, err["loc"], shown=parts[:-1])
        elif err["type"] == "union_tag_not_found":
            msg = f"missing key {ctx.get('discriminator', '')} (says which kind of entry this is)"
        elif err["type"] == "union_tag_invalid":
            msg = (f"unknown {ctx.get('discriminator', 'kind')}: {ctx.get('tag')!r}; use one of "
                   f"{ctx.get('expected_tags', '')}")
        line = f"{loc}: {msg}" if loc else msg
        if line not in lines:
            lines.append(line)
    return lines


def validate_recipe(data: Any, base_dir: str | Path | None, origin: str) -> Recipe:
    """A recipe from a parsed mapping, with every error worded for a person (``origin`` names
    what was read, e.g. ``recipe my.yaml``).

    Raises
    ------
    InputError
        Not a mapping, unknown or invalid keys, invalid steps.
    """
    if not isinstance(data, dict):
        raise InputError(f"invalid {origin}: expected a mapping of keys (framework:, data:, "
                         f"steps:), got {type(data).__name__}")
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid {origin}",
                         _step_numbers(validation_details(exc, Recipe), data)) from None
    recipe._base_dir = Path(base_dir) if base_dir is not None else None
    return recipe


def _step_numbers(lines: list[str], data: dict) -> list[str]:
    """Each ``steps.N...`` line with the step as a person counts it: ``steps.8`` is the 9th
    step of the file (paths count from 0, as in YAML tools), named by its ``name`` or kind."""
    steps = data.get("steps")
    out = []
    for line in lines:
        m = re.match(r"steps\.(\d+)[.:]", line)
        if m and isinstance(steps, list) and int(m.group(1)) < len(steps):
            i = int(m.group(1))
            st = steps[i] if isinstance(steps[i], dict) else {}
            label = st.get("name") or st.get("step")
            line += f" [step {i + 1} of the recipe" + (f", {label!r}]" if label else "]")
        out.append(line)
    return out


def builtin_recipes() -> list[str]:
    """Names of the recipes shipped with gipro (``gipro/recipes/*.yaml``)."""
    folder = resources.files("gipro") / "recipes"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


DEFAULT_RECIPE = "china-provinces-gipro"


def load_recipe(ref: str | Path | None = None) -> Recipe:
    """Load a recipe from a YAML path or a built-in name (default: the China provinces build).

    Raises
    ------
    InputError
        If the file is missing, not YAML, or the recipe is invalid.
    """
    if ref is None:
        ref = DEFAULT_RECIPE
    name = str(ref)
    if name in builtin_recipes():
        res = resources.files("gipro") / "recipes" / f"{name}.yaml"
        data = load_yaml(res.read_text(encoding="utf-8"), f"built-in recipe {name}")
        return validate_recipe(data, None, f"built-in recipe {name}")
    path = Path(name)
    if not path.exists():
        raise InputError(
            f"recipe {name!r} is neither a built-in recipe nor an existing file",
            [f"built-in recipes: {', '.join(builtin_recipes())}"],
        )
    from .paths import read_text

    text = read_text(path, "recipe", "save the recipe as UTF-8")
    data = load_yaml(text, f"recipe {path}")
    return validate_recipe(data, path.parent, f"recipe {path}")
