"""Policy scenarios: what-if changes, targets and attainment, and the improvement needed to
reach a goal.

* :mod:`~gipro.scenario.spec` -- typed scenario files (changes, evaluation options, targets,
  inverse questions); unknown keys are errors.
* :mod:`~gipro.scenario.changes` -- applying changes to data (set, per cent, absolute,
  constant-rate path to a target, match a unit or the best performer).
* :mod:`~gipro.scenario.evaluate` -- the same recipe re-run on the changed data with the
  baseline's normalisation bounds frozen (default) or recomputed; score, rank and
  contribution changes, side by side.
* :mod:`~gipro.scenario.inverse` -- the least change of one indicator (or a proportional
  change of several) for a unit to reach a score or rank; unreachable goals are reported.
* :mod:`~gipro.scenario.targets` -- targets per indicator and their projected attainment.
* :mod:`~gipro.scenario.parks` -- scenarios on park data: compliance changes.

Quick use::

    import gipro
    from gipro import scenario
    base = gipro.run()
    ev = scenario.evaluate(base, scenario.Scenario(name="bj", changes=[
        {"op": "pct", "units": ["Beijing"], "indicators": ["co2_intensity_gdp"],
         "periods": 2015, "value": -15}]))
    print(ev.summary())
    scenario.required_change(base, "Shanxi", rank=20)
"""

from .changes import apply_changes, constant_rate_path, default_domains
from .cube import Cube
from .evaluate import Evaluation, ScenarioRun, base_cube, evaluate, scenario_build
from .inverse import required_change
from .parks import ParkEvaluation, evaluate_parks
from .spec import (
    AttainmentOptions,
    Change,
    EvaluationOptions,
    ParkOptions,
    Question,
    Scenario,
    ScenarioFile,
    TargetSpec,
    load_scenarios,
)
from .targets import attainment

__all__ = [
    "AttainmentOptions",
    "Change",
    "Cube",
    "Evaluation",
    "EvaluationOptions",
    "ParkEvaluation",
    "ParkOptions",
    "Question",
    "Scenario",
    "ScenarioFile",
    "ScenarioRun",
    "TargetSpec",
    "apply_changes",
    "attainment",
    "base_cube",
    "constant_rate_path",
    "default_domains",
    "evaluate",
    "evaluate_parks",
    "load_scenarios",
    "required_change",
    "scenario_build",
]
