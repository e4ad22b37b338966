"""Robustness of a composite index: uncertainty and Sobol sensitivity analysis, and
"remove one element" -- fast (many builds as whole-array numpy operations) and, when needed,
on a Dask cluster.

* inputs (:mod:`.inputs`): :class:`StepAlternatives`, :class:`WeightNoise`,
  :class:`SensitivityConfig` (the YAML of ``gipro sensitivity``);
* designs (:mod:`.design`): :func:`make_design` (Monte Carlo or Saltelli/Sobol, seeded);
* evaluation (:mod:`.engine`, :mod:`.distributed`): :class:`Evaluator`;
* analyses (:mod:`.analysis`): :func:`uncertainty`, :func:`analyse_sobol`,
  :func:`remove_elements`, :func:`run_config`.

See ``docs/robustness.md``.
"""

from __future__ import annotations

from .analysis import (
    SensitivityResult,
    analyse_sobol,
    evaluate,
    rank_statistics,
    remove_elements,
    summarise,
    uncertainty,
)
from .design import Design, make_design
from .engine import Evaluator
from .inputs import (
    BoundInput,
    SensitivityConfig,
    StepAlternatives,
    WeightNoise,
    bind_inputs,
    load_config,
)

__all__ = [
    "BoundInput",
    "Design",
    "Evaluator",
    "SensitivityConfig",
    "SensitivityResult",
    "StepAlternatives",
    "WeightNoise",
    "analyse_sobol",
    "bind_inputs",
    "evaluate",
    "load_config",
    "make_design",
    "rank_statistics",
    "remove_elements",
    "run_config",
    "summarise",
    "uncertainty",
]


def run_config(config: SensitivityConfig | str, *, runs: int | None = None,
               seed: int | None = None, workers: int | None = None,
               scheduler: str | None = None, progress=None, build=None) -> SensitivityResult:
    """Run the analysis a :class:`SensitivityConfig` (or its YAML path) describes.

    ``runs`` and ``seed`` override the configuration's. ``build``: the nominal build of the
    configuration's recipe, already run (e.g. kept for a report); default: built here.
    """
    from ..build import Build

    cfg = load_config(config) if not isinstance(config, SensitivityConfig) else config
    build = Build(cfg.recipe_ref()).run() if build is None else build
    n = cfg.runs if runs is None else runs
    return uncertainty(build, list(cfg.inputs), design=cfg.design, runs=n,
                       seed=cfg.seed if seed is None else seed, sampler=cfg.sampler,
                       target=cfg.target, period=cfg.period, n_boot=cfg.n_boot,
                       level=cfg.level, chunk=cfg.chunk, workers=workers,
                       scheduler=scheduler, progress=progress)
