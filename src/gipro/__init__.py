"""gipro: green industry progress -- composite indices the JRC/OECD way, progress over time,
and eco-industrial park assessment.

Quick use::

    import gipro
    build = gipro.run()                 # built-in recipe: China's provinces, 2006-2015
    build.results()                     # tidy scores and ranks
    build.data("normalised")            # any intermediate data set
    variant = build.with_step("normalise", bounds="per_period").run()
    gipro.compare(build, variant)       # score and rank differences per unit

The names below are imported on first use (PEP 562 module ``__getattr__``), so ``import
gipro`` and the command line start without loading pandas, scipy or plotly; ``gipro.Build``,
``gipro.progress`` etc. behave as ordinary attributes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .compare import compare  # light; eager so that the module never shadows the function
from .errors import FrameworkError, GiproError, InputError, MethodError
from .version import __version__

#: public name -> module that defines it (``None``: the name is a submodule of gipro)
_LAZY: dict[str, str | None] = {
    "decompose": None, "gtfp": None, "lmdi": None, "progress": None, "scenario": None,
    "Build": "build", "DataSet": "build", "LogEntry": "build", "run": "entry",
    "Framework": "framework", "builtin_frameworks": "framework", "load_framework": "framework",
    "Panel": "panel", "read_panel": "panel",
    "Recipe": "recipe", "builtin_recipes": "recipe", "load_recipe": "recipe",
    "strengths_weaknesses": "results", "unit_summary": "results", "wide_table": "results",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import decompose as decompose
    from . import gtfp as gtfp
    from . import lmdi as lmdi
    from . import progress as progress
    from . import scenario as scenario
    from .build import Build, DataSet, LogEntry
    from .entry import run
    from .framework import Framework, builtin_frameworks, load_framework
    from .panel import Panel, read_panel
    from .recipe import Recipe, builtin_recipes, load_recipe
    from .results import strengths_weaknesses, unit_summary, wide_table


def __getattr__(name: str) -> Any:
    """Import a public name (or any submodule, e.g. ``gipro.parks``) on first use."""
    if name in _LAZY:
        module = _LAZY[name]
        if module is None:
            return importlib.import_module(f".{name}", __name__)
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Build",
    "DataSet",
    "Framework",
    "FrameworkError",
    "GiproError",
    "InputError",
    "LogEntry",
    "MethodError",
    "Panel",
    "Recipe",
    "__version__",
    "builtin_frameworks",
    "builtin_recipes",
    "compare",
    "load_framework",
    "load_recipe",
    "read_panel",
    "run",
    "strengths_weaknesses",
    "unit_summary",
    "wide_table",
]
