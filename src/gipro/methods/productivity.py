r"""Productivity indices from distance functions: the Malmquist-Luenberger index (ratio form)
and the Luenberger indicator (difference form), with their decomposition into efficiency
change (TECH, catching up with the frontier) and technical change (TECCH, the frontier
moving), and cumulative indices over a panel.

Every kernel takes arrays of shape ``(n_units, n_periods)`` (periods in order, adjacent
columns are the pairs compared) and returns arrays of shape ``(n_units, n_periods - 1)``,
column ``t`` being the change from period ``t`` to ``t + 1``. ``NaN`` in an input (an LP
that was infeasible, reported by the caller) gives ``NaN`` in exactly the components that
use it.

Ratio form, on distance functions :math:`D \in (0, 1]` (1 on the frontier; above 1 for an
observation outside the technology of another period):

* contemporaneous or sequential technology (Chung, Färe & Grosskopf 1997, eq. 15-17;
  sequential frontiers: Oh & Heshmati 2010):

  .. math::

      TECH = \frac{D^{t+1}(t+1)}{D^t(t)},\quad
      TECCH = \left[\frac{D^t(t+1)}{D^{t+1}(t+1)}\cdot\frac{D^t(t)}{D^{t+1}(t)}\right]^{1/2},
      \quad TFPCH = TECH \times TECCH,

  where :math:`D^a(b)` is the observation of period :math:`b` against the technology of
  period :math:`a`;
* global technology (Pastor & Lovell 2005; Oh 2010, eq. 9-11):
  :math:`TFPCH = D^G(t+1)/D^G(t)`, :math:`TECH` as above (contemporaneous frontiers),
  :math:`TECCH = TFPCH / TECH` (the best-practice gap change).

Difference form, on inefficiencies :math:`\vec D \ge 0` (0 on the frontier) (Chambers,
Färe & Grosskopf 1996; Chambers 2002):

.. math::

    TECH = \vec D^t(t) - \vec D^{t+1}(t+1),\quad
    TECCH = \tfrac12\left[\vec D^{t+1}(t+1) - \vec D^t(t+1) + \vec D^{t+1}(t) -
    \vec D^t(t)\right],\quad TFPCH = TECH + TECCH,

and with a global technology :math:`TFPCH = \vec D^G(t) - \vec D^G(t+1)`,
:math:`TECCH = TFPCH - TECH`.

These are the formulas of Stata's ``gtfpch`` (Wang, Du & Zhang 2022), which the tests
reproduce.

References
----------
Chambers R.G., Färe R., Grosskopf S. (1996) Productivity growth in APEC countries. *Pacific
Economic Review* 1:181-190.
Chambers R.G. (2002) Exact nonradial input, output, and productivity measurement. *Economic
Theory* 20:751-765.
Chung Y.H., Färe R., Grosskopf S. (1997) Productivity and undesirable outputs: a directional
distance function approach. *Journal of Environmental Management* 51:229-240.
Oh D. (2010) A global Malmquist-Luenberger productivity index. *Journal of Productivity
Analysis* 34:183-197.
Oh D., Heshmati A. (2010) A sequential Malmquist-Luenberger productivity index:
environmentally sensitive productivity growth considering the progressive nature of
technology. *Energy Economics* 32:1345-1355.
Pastor J.T., Lovell C.A.K. (2005) A global Malmquist productivity index. *Economics Letters*
88:266-271.
Shestalova V. (2003) Sequential Malmquist indices of productivity growth: an application to
OECD industrial activities. *Journal of Productivity Analysis* 19:211-226.
Wang D., Du K., Zhang N. (2022) Measuring technical efficiency and total factor productivity
change with undesirable outputs in Stata. *Stata Journal* 22(1):103-124.
"""

from __future__ import annotations

import numpy as np

from ..errors import MethodError

__all__ = [
    "cumulative",
    "global_luenberger",
    "global_malmquist_luenberger",
    "luenberger",
    "malmquist_luenberger",
]


def _arrays(*arrays: np.ndarray) -> list[np.ndarray]:
    out = [np.asarray(a, dtype=float) for a in arrays]
    shape = out[0].shape
    if len(shape) != 2 or shape[1] < 2:
        raise MethodError(f"distance arrays must have shape (n_units, n_periods) with at least "
                          f"two periods, got {shape}")
    for a in out[1:]:
        if a.shape != shape:
            raise MethodError(f"distance arrays of different shapes: {shape} and {a.shape}")
    return out


def malmquist_luenberger(own: np.ndarray, next_: np.ndarray, prev: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Malmquist-Luenberger index on contemporaneous (or sequential) technologies.

    Parameters
    ----------
    own : ndarray of shape (n_units, n_periods)
        :math:`D^t(t)`: each observation against its own period's technology.
    next_ : ndarray of shape (n_units, n_periods)
        :math:`D^{t+1}(t)`: the observation of period t against the next period's
        technology (the last column is not used).
    prev : ndarray of shape (n_units, n_periods)
        :math:`D^{t-1}(t)`: the observation of period t against the previous period's
        technology (the first column is not used).

    Returns
    -------
    tfpch, tech, tecch : ndarray of shape (n_units, n_periods - 1)

    Examples
    --------
    A unit on the frontier in both years (TECH = 1) whose frontier moved out by 10 %
    (hand calculation: TECCH = (1.1 x 1.1)^(1/2)):

    >>> import numpy as np
    >>> own = np.array([[1.0, 1.0]]); nxt = np.array([[1 / 1.1, np.nan]])
    >>> prv = np.array([[np.nan, 1.1]])
    >>> [np.round(a, 6).tolist() for a in malmquist_luenberger(own, nxt, prv)]
    [[[1.1]], [[1.0]], [[1.1]]]
    """
    own, next_, prev = _arrays(own, next_, prev)
    tech = own[:, 1:] / own[:, :-1]
    tecch = np.sqrt(prev[:, 1:] / own[:, 1:] * own[:, :-1] / next_[:, :-1])
    return tech * tecch, tech, tecch


def global_malmquist_luenberger(glob: np.ndarray, own: np.ndarray
                                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Global Malmquist-Luenberger index (Oh 2010).

    Parameters
    ----------
    glob : ndarray of shape (n_units, n_periods)
        :math:`D^G(t)`: each observation against the global technology.
    own : ndarray of shape (n_units, n_periods)
        :math:`D^t(t)`: against its own period's (contemporaneous) technology.

    Returns
    -------
    tfpch, tech, tecch : ndarray of shape (n_units, n_periods - 1)
    """
    glob, own = _arrays(glob, own)
    tfpch = glob[:, 1:] / glob[:, :-1]
    tech = own[:, 1:] / own[:, :-1]
    return tfpch, tech, tfpch / tech


def luenberger(own: np.ndarray, next_: np.ndarray, prev: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luenberger productivity indicator on contemporaneous (or sequential) technologies.

    Parameters
    ----------
    own, next_, prev : ndarray of shape (n_units, n_periods)
        Inefficiencies :math:`\\vec D^t(t)`, :math:`\\vec D^{t+1}(t)`, :math:`\\vec
        D^{t-1}(t)` (see :func:`malmquist_luenberger`).

    Returns
    -------
    tfpch, tech, tecch : ndarray of shape (n_units, n_periods - 1)

    Examples
    --------
    On the frontier both years, the frontier moved 0.1 out (hand calculation):

    >>> import numpy as np
    >>> own = np.zeros((1, 2)); nxt = np.array([[0.1, np.nan]]); prv = np.array([[np.nan, -0.1]])
    >>> [np.round(a, 6).tolist() for a in luenberger(own, nxt, prv)]
    [[[0.1]], [[0.0]], [[0.1]]]
    """
    own, next_, prev = _arrays(own, next_, prev)
    tech = own[:, :-1] - own[:, 1:]
    tecch = 0.5 * (own[:, 1:] - prev[:, 1:] + next_[:, :-1] - own[:, :-1])
    return tech + tecch, tech, tecch


def global_luenberger(glob: np.ndarray, own: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Global Luenberger productivity indicator.

    Parameters
    ----------
    glob, own : ndarray of shape (n_units, n_periods)
        Inefficiencies against the global and the contemporaneous technologies.

    Returns
    -------
    tfpch, tech, tecch : ndarray of shape (n_units, n_periods - 1)
    """
    glob, own = _arrays(glob, own)
    tfpch = glob[:, :-1] - glob[:, 1:]
    tech = own[:, :-1] - own[:, 1:]
    return tfpch, tech, tfpch - tech


def cumulative(change: np.ndarray, ratio: bool) -> np.ndarray:
    """Cumulative index from period-to-period changes, base period = first period.

    Ratio form: the running product (1 in the base period, so the value after ``t`` steps is
    the index relative to the base); difference form: the running sum (0 in the base).
    Once a change is missing the cumulative index is missing from there on.

    Parameters
    ----------
    change : ndarray of shape (n_units, n_periods - 1)
    ratio : bool

    Returns
    -------
    ndarray of shape (n_units, n_periods - 1)
        The cumulative index at the end of each step.

    Examples
    --------
    >>> import numpy as np
    >>> cumulative(np.array([[1.1, 1.2, np.nan, 1.0]]), ratio=True).round(4).tolist()
    [[1.1, 1.32, nan, nan]]
    >>> cumulative(np.array([[0.1, -0.05]]), ratio=False).round(4).tolist()
    [[0.1, 0.05]]
    """
    change = np.asarray(change, dtype=float)
    out = np.cumprod(change, axis=-1) if ratio else np.cumsum(change, axis=-1)
    broken = np.cumsum(np.isnan(change), axis=-1) > 0
    out[broken] = np.nan
    return out
