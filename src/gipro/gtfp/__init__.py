"""Green total-factor productivity (绿色全要素生产率): DEA with undesirable outputs and the
Malmquist-Luenberger / Luenberger productivity indices, split into efficiency change (TECH)
and technical change (TECCH).

* :class:`GTFPSpec`, :func:`load_spec` -- the typed YAML specification (``gipro gtfp``);
* :func:`run` -> :class:`GTFPResult` -- efficiency, productivity and infeasible-LP tables;
* kernels: :mod:`gipro.methods.dea` (directional distance functions, SBM, SBM-DDF) and
  :mod:`gipro.methods.productivity` (the indices).

See ``docs/gtfp.md``.
"""

from __future__ import annotations

from .runner import CHUNK, GTFPResult, run
from .spec import DIRECTIONS, INDEX_FOR, MODELS, GTFPSpec, load_spec

__all__ = ["CHUNK", "DIRECTIONS", "INDEX_FOR", "MODELS", "GTFPResult", "GTFPSpec", "load_spec",
           "run"]
