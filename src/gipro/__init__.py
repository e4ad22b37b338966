"""gipro: green industry progress -- composite indices the JRC/OECD way, progress over time,
and eco-industrial park assessment.

Quick use::

    import gipro
    build = gipro.run()                 # built-in recipe: China's provinces, 2006-2015
    build.results()                     # tidy scores and ranks
    build.data("normalised")            # any intermediate data set
    variant = build.with_step("normalise", bounds="per_period").run()
    gipro.compare(build, variant)       # score and rank differences per unit
"""

from . import decompose as decompose
from . import lmdi as lmdi
from . import progress as progress
from . import scenario as scenario
from .build import Build, DataSet, LogEntry, run
from .compare import compare
from .errors import FrameworkError, GiproError, InputError, MethodError
from .framework import Framework, builtin_frameworks, load_framework
from .panel import Panel, read_panel
from .recipe import Recipe, builtin_recipes, load_recipe
from .results import strengths_weaknesses, unit_summary, wide_table

__version__ = "0.1.0"

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
