"""Pure numpy kernels of the composite-indicator method, one module per verb.

Conventions shared by every kernel (so that the build, the sensitivity analysis and users can
call them alike):

* data are float ``ndarray`` with ``NaN`` for missing values -- never zero;
* normalisation and imputation kernels take ``x`` of shape ``(..., n_units, n_indicators)`` and
  reduce over the units axis (``axis=-2``) unless told otherwise; leading axes (periods,
  replications) are carried through, so one call handles a whole panel or a batch of runs;
* aggregation kernels take ``x`` of shape ``(..., n_children)`` and weights broadcastable to it;
* kernels validate their numeric preconditions and raise :class:`gipro.errors.MethodError`;
  they accept optional ``names`` (indicator codes for the last axis) to name the culprit;
* every kernel cites its source in its docstring.
"""

from . import aggregate, denominate, impute, normalise, rank, screen, treat

__all__ = ["aggregate", "denominate", "impute", "normalise", "rank", "screen", "treat"]
