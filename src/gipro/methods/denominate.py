r"""Denomination kernel: turn totals into ratios (per capita, per unit of GDP, per area...).

.. math:: y = \frac{x}{d} \times s

with :math:`x` the indicator, :math:`d` its denominator (population, GDP, area, energy use,
industrial value added...) and :math:`s` a scale factor (e.g. 1000 for "per 1000 people").
A missing numerator or denominator gives a missing ratio -- never 0. A zero denominator has no
meaningful ratio: by default it raises; the ``zero="missing"`` policy leaves the ratio missing
(the caller reports it).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, step 5 (normalisation,
"denominating by GDP, population, area" to make units of different size comparable). Becker W.
et al. (2022), COINr, *JOSS* 7(78), 4567: ``Denominate`` (``denoms``, ``denomby``,
``x_scale``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import MethodError

__all__ = ["denominate"]


def denominate(
    x: np.ndarray,
    denominator: np.ndarray,
    scale: float | np.ndarray = 1.0,
    *,
    zero: str = "error",
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Divide indicators by their denominators and multiply by a scale factor.

    Parameters
    ----------
    x : ndarray of shape (..., n_indicators)
        Numerators; NaN = missing.
    denominator : ndarray of the shape of ``x``
        Denominators aligned with ``x``; NaN = missing.
    scale : float or ndarray broadcastable to ``x`` (e.g. shape (n_indicators,))
        Scale factor applied after the division (COINr ``ScaleFactor``/``x_scale``).
    zero : {"error", "missing"}
        A zero denominator raises (default) or gives a missing ratio.
    names : sequence of str, optional
        Codes of the last axis, for messages.

    Returns
    -------
    ndarray of the shape of ``x``: ``x / denominator * scale``; NaN where either is missing
    (or the denominator is zero, under ``zero="missing"``).

    Raises
    ------
    MethodError
        A zero denominator under ``zero="error"`` (naming the indicator and position), an
        unknown policy, or a non-finite scale factor.

    Examples
    --------
    Reference case B7: Flights / Population x 1000.

    >>> denominate(np.array([[30.0, 5.0]]), np.array([[2000.0, 10.0]]), [1000.0, 1.0]).tolist()
    [[15.0, 0.5]]
    """
    if zero not in ("error", "missing"):
        raise MethodError(f"zero must be 'error' or 'missing', got {zero!r}")
    x = np.asarray(x, dtype=float)
    d = np.asarray(denominator, dtype=float)
    if d.shape != x.shape:
        raise MethodError(f"denominator shape {d.shape} does not match indicators {x.shape}")
    s = np.asarray(scale, dtype=float)
    if not np.isfinite(s).all():
        raise MethodError("scale factors must be finite numbers")
    is_zero = d == 0
    if zero == "error" and (is_zero & ~np.isnan(x)).any():
        idx = tuple(int(i) for i in np.argwhere(is_zero & ~np.isnan(x))[0])
        label = names[idx[-1]] if names is not None else idx[-1]
        raise MethodError(
            f"denominator is zero for indicator {label} at position {idx}",
            ["fix the denominator data, or set zero: missing to leave such ratios missing"])
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x / d * s
    return np.where(is_zero | np.isnan(d), np.nan, y)
