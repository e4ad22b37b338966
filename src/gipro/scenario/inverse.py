r"""Inverse questions: how much must a unit improve, on which indicator, to reach a goal?

For a unit, a period and a goal on the index (or a sub-index) -- a score :math:`G`, or a rank
:math:`r` -- :func:`required_change` finds the least change of one indicator (each candidate
indicator on its own), or the least proportional change :math:`x_j \to (1 + p) x_j` of a
chosen set, that reaches the goal, with normalisation bounds frozen at the build's (the
other units' scores do not move, so a rank goal is the score of the unit now holding that
rank among the others).

**Closed form (arithmetic aggregation).** With weighted arithmetic means on every level
between the indicator and the goal's code and a normalisation that is linear in the value
(min-max, efficacy, distance to max, z-score, AMPI; distance to a target or reference,
goalposts and ratios up to their caps), the score of the code moves by
:math:`\Delta I = w_j \, \sigma_j \, \Delta o_j`, where :math:`w_j` is the unit's effective
weight of the indicator in the code (the product of its renormalised sibling weights along
the path; OECD/JRC Handbook 2008, section 6) and :math:`\sigma_j` the slope of the frozen
normalisation in the oriented value :math:`o_j = d_j x_j` (e.g. min-max:
:math:`(high - low)/(x_{max} - x_{min})`). Hence the exact change
:math:`\Delta x_j = d_j (G - I)/(w_j \sigma_j)`, and for a proportional change of a set
:math:`p = (G - I) / \sum_j w_j \sigma_j d_j x_j`.

**Otherwise** (geometric, harmonic, generalised means, mean-min, Mazziotta-Pareto; the normal
CDF; ratios with the inverse cost rule; or when a cap is crossed) the change is found by
bracketing: the unit's score is evaluated (vectorised) on a grid of values running from the
current value to each end of the indicator's feasible range (or doubling steps when the range
is unbounded), the first grid interval where the goal is crossed is refined by Brent's method
(:func:`scipy.optimize.brentq`; Brent R.P. (1973) *Algorithms for Minimization without
Derivatives*, ch. 4), and the smaller of the changes up and down is reported.

**Unreachable goals are reported, never returned as a number**: when the goal would need a
value outside the indicator's feasible range (a negative intensity, a share above 1; see
:func:`~gipro.scenario.changes.default_domains`), a normalised score beyond a cap (``clip``,
target caps, goalposts), or when even the end of the range does not reach it, the row says
``unreachable`` and why, and the value columns are empty.

Every answer that is reachable is **verified**: the change is applied as a scenario to the
data and the recipe re-run with frozen bounds; ``achieved_score`` and ``achieved_rank`` are
from that build (steps before normalisation -- imputation, treatment -- can make them differ:
``verified`` says whether the goal was reached). The answer is on the scale of the data the
normalisation reads (per capita for a denominated indicator); it is written back to the raw
data through the factor the steps before normalisation apply to the unit's value (the
reason gives the raw value when it differs), or the row says why it cannot be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..build import Build
from ..decompose import aggregate_entry
from ..errors import GiproError, InputError, MethodError
from ..methods import normalise as _norm
from ..methods.aggregate import CROSS_UNIT
from ..methods.rank import rank as _rank
from ..methods.treat import MODES
from ..steps.aggregate import AggregateStep
from ..steps.normalise import NormaliseStep
from ..steps.treat import TreatStep
from ..units import current_units, unit_of
from .changes import Cube, apply_changes, default_domains, resolve_units
from .evaluate import base_cube, scenario_build
from .spec import Scenario

__all__ = ["COLUMNS", "required_change"]

COLUMNS = ["unit", "period", "code", "goal", "goal_score", "score_now", "rank_now",
           "indicators", "kind", "value_now", "value_needed", "value_unit", "change",
           "change_pct",
           "indicator_score_now", "indicator_score_needed", "status", "reason", "solver",
           "achieved_score", "achieved_rank", "verified", "beyond_scale"]

_LINEAR = frozenset({"minmax", "efficacy", "dist_max", "zscore", "ampi", "target", "dist_ref",
                     "goalposts", "frac_max", "leading"})
_TOL = 1e-9


class _Model:
    """The unit's score of a code as a function of indicator values: the build's own steps
    (outlier treatment, normalisation, aggregation) transforming candidate values with the
    build's fits (frozen bounds), one candidate per row of a leading axis."""

    def __init__(self, build: Build, unit: str, period: int, code: str, clip: bool) -> None:
        fw = build.framework
        entry = aggregate_entry(build)
        recs = {r.name: r for r in build.records}
        agg_spec = build.recipe.steps[recs[entry.name].position]
        assert isinstance(agg_spec, AggregateStep)
        norm_entry = next((e for e in reversed(build.log)
                           if e.step == "normalise" and e.output == entry.input
                           and not e.skipped), None)
        if norm_entry is None:
            raise MethodError(
                "inverse questions need the aggregate step to read the output of a normalise "
                f"step directly; {entry.name!r} reads {entry.input!r}")
        spec = build.recipe.steps[recs[norm_entry.name].position]
        assert isinstance(spec, NormaliseStep)
        if spec.method in _norm.RELATIVE:
            raise MethodError(
                f"inverse questions cannot use {spec.method} normalisation: a unit's score "
                "depends on its position among the other units, not on its value alone",
                ["use a normalisation with bounds or moments (minmax, zscore, ...)"])
        cross = sorted({agg_spec.spec_for(a, fw.level(a)).method for a in fw.aggregate_codes}
                       & CROSS_UNIT)
        if cross:
            raise MethodError(
                f"inverse questions need aggregation unit by unit; {', '.join(cross)} compares "
                "units with each other", ["use arithmetic, geometric or another weighted mean"])
        self.build, self.fw, self.agg, self.norm = build, fw, agg_spec, spec
        ds_in = build.datasets[norm_entry.input]
        ds_n = build.datasets[norm_entry.output]
        ds_a = build.datasets[entry.output]
        if unit not in ds_a.units:
            raise InputError(f"unit {unit!r} is not in the build",
                             [f"units: {', '.join(ds_a.units)}"])
        if period not in ds_a.periods:
            raise InputError(f"period {period} is not in the build",
                             [f"periods: {ds_a.periods[0]}-{ds_a.periods[-1]}"])
        if code not in fw.aggregate_codes:
            raise InputError(f"goal code {code!r} is not an aggregate of the framework",
                             [f"aggregates: {', '.join(fw.aggregate_codes)}"])
        self.pi, self.ui = ds_a.periods.index(period), ds_a.units.index(unit)
        self.unit, self.period, self.code, self.clip = unit, period, code, clip
        self.ds_in, self.ds_n, self.ds_a = ds_in, ds_n, ds_a
        self.codes = list(ds_n.codes)
        # the steps and their fits (normalisation frozen, clipped if asked)
        n_rec = recs[norm_entry.name]
        self.n_plan = n_rec.plan
        self.n_fit = n_rec.fit.frozen("the build", clip=clip) if spec.method in \
            _norm.DATA_RELATIVE else n_rec.fit
        self.a_rec = recs[entry.name]
        fit = self.n_fit
        row = self.pi if len(fit.periods) > 1 and fit.lower is not None \
            and np.asarray(fit.lower).shape[0] > 1 else 0

        def at(a: Any) -> Any:
            a = np.asarray(a)
            return a[row:row + 1] if a.ndim == 3 and a.shape[0] > 1 else a

        params = dict(self.n_plan.params)
        if fit.keep is not None:
            params = {k: (v[..., fit.keep] if isinstance(v, np.ndarray)
                          and v.shape[-1:] == (len(self.n_plan.codes),) else v)
                      for k, v in params.items()}
        params.update({k: at(v) for k, v in fit.params.items()})
        self.params = params
        self.bounds = ((at(fit.lower), at(fit.upper)) if fit.lower is not None
                       else (None, None))
        self.midpoint = {c for c in fit.constant if c not in set(fit.dropped)}
        self.direction = (self.n_plan.direction if fit.keep is None
                          else self.n_plan.direction[fit.keep])
        # outlier treatment right before normalisation: the build's, and the question is
        # asked of the values before it (denominated, imputed)
        self.treat = None
        t_entry = next((e for e in reversed(build.log) if e.step == "treat"
                        and e.output == norm_entry.input and not e.skipped), None)
        self.ds_val = ds_in
        if t_entry is not None:
            t_rec = recs[t_entry.name]
            self.treat = (build.recipe.steps[t_rec.position], t_rec.plan, t_rec.fit)
            assert isinstance(self.treat[0], TreatStep)
            self.ds_val = build.datasets[t_entry.input]
        self.base = self.ds_val.values[:, self.ui:self.ui + 1, :]  # (P, 1, K): the unit
        self.val_col = [self.ds_val.codes.index(c) for c in self.codes]
        # current state of the unit; units of its values (denominated ones if denominated)
        self.value_units = current_units(build, self.ds_val.name)
        self.x_now = self.base[self.pi, 0, self.val_col]
        self.s_now = ds_n.values[self.pi, self.ui, :]
        root_scores = ds_a.column(code)
        self.score_now = float(root_scores[self.pi, self.ui])
        self.others = np.delete(root_scores[self.pi, :], self.ui)
        self.rank_now = _rank(root_scores[self.pi, :])[self.ui]
        # aggregation plan: (aggregate, method, children, weights)
        a_plan, a_fit = self.a_rec.plan, self.a_rec.fit
        self.col = {c: i for i, c in enumerate(a_plan.codes)}
        self.plan = [(it.code, it.method, list(it.kids),
                      a_fit.vectors[it.set_name][[a_plan.node_index[k] for k in it.kids]])
                     for it in a_plan.items]
        self.row = ds_a.values[self.pi, self.ui, :]
        check = self.scores_for({})
        if not np.allclose(check, self.score_now, rtol=_TOL, atol=_TOL, equal_nan=True):
            raise MethodError(f"cannot reproduce the build's {code} score of {unit} in "
                              f"{period} ({self.score_now:.10g} vs {float(check[0]):.10g})")

    # ------------------------------------------------------------------ evaluation
    def _chain(self, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised scores and aggregates of candidate rows (n, P, 1, K): the build's
        treatment, normalisation and aggregation with its fits; raises what they raise."""
        x = cand
        if self.treat is not None:
            t_spec, t_plan, t_fit = self.treat
            x = t_spec.transform(t_plan, t_fit, x)
        y = self.norm.transform(self.n_plan, self.n_fit, x)
        out = self.agg.transform(self.a_rec.plan, self.a_rec.fit, y)
        return y, out

    def evaluate(self, new: Mapping[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Normalised scores (n, K) and aggregates (n, n_codes) of the unit in the period for
        candidate values ``{indicator position: values (n,)}``. A candidate on which a
        kernel cannot compute (a geometric mean of a score <= 0, a ratio of a negative
        value) is infeasible: NaN everywhere in its row -- never an aggregate over the other
        children."""
        n = max((len(v) for v in new.values()), default=1)
        cand = np.repeat(self.base[None], n, axis=0)
        for j, vals in new.items():
            cand[:, self.pi, 0, self.val_col[j]] = vals
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            try:
                y, out = self._chain(cand)
            except GiproError:
                y = np.full((n, *self.ds_n.values.shape[:1], 1, len(self.codes)), np.nan)
                out = np.full((n, *self.ds_a.values.shape[:1], 1, len(self.col)), np.nan)
                for i in range(n):  # only when some candidate is infeasible
                    try:
                        y[i:i + 1], out[i:i + 1] = self._chain(cand[i:i + 1])
                    except GiproError:
                        pass
        return y[:, self.pi, 0, :], out[:, self.pi, 0, :]

    def treatment(self, j: int) -> tuple[str, float, float]:
        """The build's treatment of indicator ``j`` here: mode and winsorisation bounds."""
        if self.treat is None or self.codes[j] not in self.treat[2].codes:
            return "identity", -np.inf, np.inf
        t_fit = self.treat[2]
        kt = t_fit.codes.index(self.codes[j])
        r = 0 if self.treat[1].pooled else self.pi
        t = t_fit.treatment
        return (MODES[int(np.asarray(t.mode)[r, kt])], float(np.asarray(t.low)[r, kt]),
                float(np.asarray(t.high)[r, kt]))

    def norm_column(self, j: int, values: np.ndarray) -> np.ndarray:
        """Frozen normalised score of indicator ``j`` at ``values`` (shape (n,)), through the
        build's treatment and normalisation."""
        values = np.asarray(values, dtype=float)
        if self.codes[j] in self.midpoint:
            return np.full(np.shape(values), self.s_now[j])
        return self.evaluate({j: values})[0][:, j]

    def scores_for(self, new: Mapping[int, np.ndarray]) -> np.ndarray:
        """The code's score for candidate values ``{indicator position: values (n,)}``
        (NaN for an infeasible candidate)."""
        return self.evaluate(new)[1][:, self.col[self.code]]

    # ------------------------------------------------------------------ the scale
    def scale(self) -> tuple[float, float] | None:
        """(lowest, highest) score of the goal's code for this unit on the baseline's scale:
        every indicator under it that the unit has at the worst / best baseline value (the
        frozen bounds); None without frozen bounds."""
        if self.bounds[0] is None:
            return None
        lo, up = self.bounds[0].reshape(-1), self.bounds[1].reshape(-1)
        under = set(self.fw.indicators_under(self.code))
        js = [j for j, c in enumerate(self.codes) if c in under and not np.isnan(self.x_now[j])]
        if not js:
            return None
        d = self.direction
        worst = self.scores_for({j: np.array([d[j] * lo[j]]) for j in js})[0]
        best = self.scores_for({j: np.array([d[j] * up[j]]) for j in js})[0]
        return float(worst), float(best)

    def beyond(self, j: int, value: float) -> str | None:
        """Why ``value`` of indicator ``j`` is beyond the baseline's scale (past its best
        baseline value, so its normalised score is beyond the scale), or None."""
        if self.bounds[0] is None or self.codes[j] in self.midpoint or not np.isfinite(value):
            return None
        d = self.direction[j]
        up = float(self.bounds[1].reshape(-1)[j])
        lo = float(self.bounds[0].reshape(-1)[j])
        o = d * value
        tol = 1e-9 * max(1.0, abs(up - lo))
        if lo - tol <= o <= up + tol:
            return None
        edge = up if o > up else lo
        side = "best" if o > up else "worst"
        s = float(self.norm_column(j, np.array([value]))[0])
        return (f"beyond the baseline scale: {self.codes[j]} {_fmt(value)} is past the {side} "
                f"baseline value {_fmt(d * edge)} (normalised score {_fmt(s)}, scored on the "
                "linear extension of the scale, clip: false)")

    # ------------------------------------------------------------------ closed form
    def path_weight(self, c: str) -> float:
        """Effective weight of ``c`` in the goal's code for this unit (0 if not under it)."""
        w = 1.0
        node = c
        while node != self.code:
            parent = self.fw.node(node).parent
            if parent is None:
                return 0.0
            entry = next(p for p in self.plan if p[0] == parent)
            kids, ws = entry[2], entry[3]
            avail = np.array([not np.isnan(self.row[self.col[k]]) for k in kids]) & (ws > 0)
            w *= ws[kids.index(node)] / ws[avail].sum()
            node = parent
        return float(w)

    def arithmetic_path(self, c: str) -> bool:
        node = c
        while node != self.code:
            parent = self.fw.node(node).parent
            if parent is None:
                return False
            s = next(p for p in self.plan if p[0] == parent)[1]
            if s.method != "arithmetic":
                return False
            node = parent
        return True

    def slope(self, j: int) -> tuple[float, float, float] | None:
        """(slope ds/do, lowest and highest oriented value of the linear piece) or None."""
        m = self.norm.method
        if m not in _LINEAR or self.codes[j] in self.midpoint:
            return None
        t_mode, t_lo, t_hi = self.treatment(j)
        if t_mode not in ("identity", "winsorise"):
            return None  # transformed by the outlier treatment: not linear
        if m in ("frac_max", "leading") and self.direction[j] < 0:
            return None  # inverse cost rule: x_best / x, not linear
        o_now = self.direction[j] * self.x_now[j]
        v1 = self.norm_column(j, np.array([self.x_now[j], self.x_now[j] + self.direction[j]]))
        # exact slopes from the frozen parameters
        p = self.params

        def get(k: str) -> float:
            v = np.asarray(p[k], dtype=float)
            return float(v.reshape(-1, len(self.codes))[0, j]) if v.ndim else float(v)


        lo_o, hi_o = -np.inf, np.inf
        if m in ("minmax", "efficacy", "dist_max"):
            sl = (p["high"] - p["low"]) / (get("upper") - get("lower"))
        elif m == "zscore":
            sl = p["scale"] / get("sd")
        elif m == "ampi":
            sl = 60.0 / (get("upper") - get("lower"))
        elif m in ("target", "dist_ref"):
            ref = get("target" if m == "target" else "reference")
            sl = (p["high"] - p["low"]) / (ref - get("lower"))
            if p.get("cap", True):
                hi_o = ref
        elif m == "goalposts":
            sl = (p["high"] - p["low"]) / (get("upper") - get("lower"))
            if p.get("truncate", True):
                lo_o, hi_o = get("lower"), get("upper")
        elif m == "frac_max":
            sl = (p["high"] - p["low"]) / get("upper")
        else:  # leading
            sl = (p["high"] - p["low"]) / get("leading")
            if p.get("cap", True):
                hi_o = get("leading")
        if self.clip and self.bounds[0] is not None:
            lo_o = max(lo_o, float(self.bounds[0].reshape(-1)[j]))
            hi_o = min(hi_o, float(self.bounds[1].reshape(-1)[j]))
        if t_mode == "winsorise":  # the baseline's winsorisation bounds, oriented
            c_lo, c_hi = (t_lo, t_hi) if self.direction[j] > 0 else (-t_hi, -t_lo)
            lo_o, hi_o = max(lo_o, c_lo), min(hi_o, c_hi)
        if not (lo_o <= o_now <= hi_o):
            return None
        # cross-check the analytic slope against the kernel (guards the formulas above)
        if np.isfinite(v1).all() and hi_o > o_now + 1 and lo_o < o_now:
            num = (v1[1] - v1[0])
            if not np.isclose(num, sl, rtol=1e-6, atol=1e-12):
                return None
        return float(sl), float(lo_o), float(hi_o)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _bracket(f, t_end: float, step: float) -> tuple[float, float] | None:
    """First interval (a, b) from 0 towards ``t_end`` where f crosses from < 0 to >= 0."""
    if np.isfinite(t_end):
        ts = np.linspace(0.0, t_end, 65)[1:]
    else:
        ts = np.sign(t_end) * step * 2.0 ** np.arange(0, 60)
    fs = f(ts)
    hit = np.flatnonzero(fs >= 0)
    if not hit.size:
        return None
    i = int(hit[0])
    a = 0.0 if i == 0 else float(ts[i - 1])
    b = float(ts[i])
    if not np.isfinite(t_end) and i > 0:  # refine the doubling interval on a grid
        sub = np.linspace(a, b, 33)[1:]
        fsub = f(sub)
        k = int(np.flatnonzero(fsub >= 0)[0])
        a = a if k == 0 else float(sub[k - 1])
        b = float(sub[k])
    return a, b


def _solve(f, t_lo: float, t_hi: float, step: float) -> tuple[float | None, str]:
    """Smallest |t| in [t_lo, t_hi] with f(t) >= 0 (f(0) < 0); brentq within the bracket."""
    best: float | None = None
    for end in (t_hi, t_lo):
        if end == 0:
            continue
        br = _bracket(f, end, step)
        if br is None:
            continue
        a, b = br
        fa = float(f(np.array([a]))[0])
        if fa >= 0:
            t = a
        else:
            try:
                t = brentq(lambda z: float(f(np.array([z]))[0]), a, b,
                           xtol=1e-13 * max(1.0, abs(b)), rtol=4 * np.finfo(float).eps,
                           maxiter=200)
            except (ValueError, RuntimeError):  # an infeasible point inside: the grid's end
                t = b
            tol = 1e-13 * max(1.0, abs(b))
            for _ in range(60):  # step to the goal side of the root
                if float(f(np.array([t]))[0]) >= 0:  # (NaN, infeasible: not the goal side)
                    break
                t += np.sign(b - a) * tol
                tol *= 2
            else:
                t = b
        if best is None or abs(t) < abs(best):
            best = t
    return best, "brentq"


def required_change(
    build: Build,
    unit: str,
    *,
    score: float | None = None,
    rank: int | None = None,
    period: int | None = None,
    code: str | None = None,
    indicators: Sequence[str] | None = None,
    together: Sequence[str] | None = None,
    clip: bool = False,
    domains: Mapping[str, Sequence[float | None]] | None = None,
    verify: bool = True,
) -> pd.DataFrame:
    """The least change of one indicator (or a proportional change of several) for a unit to
    reach a score or a rank.

    Parameters
    ----------
    build : Build
        A run build (level-by-level aggregation unit by unit, after a normalise step).
    unit : str
    score, rank : float or int
        The goal (exactly one) on ``code``. A rank goal is reached when the unit's score
        equals that of the unit now holding the rank among the others (ties share the
        rank); a margin of 1e-9 (relative) is added so rounding cannot fall short.
    period : int, optional
        Default: the build's last period.
    code : str, optional
        The index (default) or a sub-index.
    indicators : sequence of str, optional
        Indicators to consider, each alone (default: every indicator under ``code``).
    together : sequence of str, optional
        One proportional change :math:`x_j \\to (1 + p) x_j` of all of these instead.
    clip : bool
        Scores beyond the frozen bounds are clipped (as in scenario evaluation).
    domains : mapping of str to (low, high), optional
        Feasible values per indicator (``None`` = unbounded); default as
        :func:`~gipro.scenario.changes.default_domains`.
    verify : bool
        Apply each reachable answer as a scenario and re-run the recipe (default true).

    Returns
    -------
    pandas.DataFrame
        One row per indicator (or one for ``together``), columns :data:`COLUMNS`:
        ``status`` is ``already met``, ``reachable``, ``not verified`` (an answer that
        re-running the recipe on the changed data does not confirm: never reported as
        reachable), ``unreachable`` or ``not available`` (the indicator is missing for the
        unit); ``reason`` says why (and, for a value the steps before normalisation
        rescale, e.g. per capita, the raw value needed); ``value_needed`` and
        ``change``/``change_pct`` (per cent of the current value; for ``together`` the
        common per cent) are empty unless reachable; ``solver`` is ``closed form`` or
        ``brentq``; ``achieved_score``/``achieved_rank``/``verified`` come from re-running
        the recipe with the change applied. Reachable rows first, smallest relative change
        first.

    Raises
    ------
    InputError
        Unknown unit, period, code or indicators; both or neither of score and rank.
    MethodError
        Rank-based normalisation or cross-unit aggregation (the unit's score is not a
        function of its own values).

    Examples
    --------
    >>> import gipro
    >>> b = gipro.run()
    >>> r = required_change(b, "Shanxi", rank=20, period=2015,
    ...                     indicators=["gdp_real_per_capita", "co2_intensity_gdp"])
    >>> r[["indicators", "status", "verified"]].values.tolist()
    [['gdp_real_per_capita', 'reachable', True], ['co2_intensity_gdp', 'unreachable', <NA>]]
    >>> r["reason"].iloc[1][:45]
    'would need co2_intensity_gdp = -6.02011 t CO2'
    """
    if not build.is_run:
        build.run()
    if (score is None) == (rank is None):
        raise InputError("give exactly one goal: score or rank")
    if indicators is not None and together is not None:
        raise InputError("give indicators (each alone) or together (one proportional "
                         "change), not both")
    fw = build.framework
    period = build.final.periods[-1] if period is None else int(period)
    code = fw.root if code is None else code
    (unit,), _ = resolve_units([unit], list(build.final.units), build.source_panel.units,
                               "question", "unit")  # a code, or a name (北京)
    model = _Model(build, unit, period, code, clip)
    under = [c for c in fw.indicators_under(code) if c in model.codes]
    chosen = list(together) if together is not None else (
        list(indicators) if indicators is not None else under)
    unknown = [c for c in chosen if c not in set(fw.indicator_codes)]
    if unknown:
        raise InputError(f"not indicators of the framework: {unknown}")
    outside = [c for c in chosen if c not in set(under)]
    if outside:
        raise InputError(f"indicators not under {code}: {outside}",
                         [f"under {code}: {', '.join(under)}"])
    # goal
    if score is not None:
        goal_s, goal = float(score), f"score {score:g}"
    else:
        assert rank is not None
        others = np.sort(model.others[~np.isnan(model.others)])[::-1]
        if rank > len(others) + 1:
            raise InputError(f"rank {rank} is beyond the {len(others) + 1} ranked units")
        goal = f"rank {rank}"
        goal_s = (float(others[rank - 1]) * (1 + np.sign(others[rank - 1]) * _TOL) + _TOL
                  if rank <= len(others) else -np.inf)
    # units of the values asked about (after denomination, if any), not the raw ones
    units_of = model.value_units
    dom = default_domains(model.ds_val.take(model.codes), model.codes, units_of)
    for c, rng in (domains or {}).items():
        dom[c] = (rng[0], rng[1])
    base = {"unit": unit, "period": period, "code": code, "goal": goal,
            "goal_score": goal_s if np.isfinite(goal_s) else np.nan,
            "score_now": model.score_now,
            "rank_now": int(model.rank_now) if np.isfinite(model.rank_now) else pd.NA}
    met = (model.score_now >= goal_s) if score is not None else (
        np.isfinite(model.rank_now) and model.rank_now <= rank)
    rows = []
    scale = None if np.isnan(model.score_now) or met else model.scale()
    tol = _TOL * max(1.0, abs(goal_s)) if np.isfinite(goal_s) else 0.0
    if np.isnan(model.score_now):
        rows.append({**base, "indicators": ", ".join(chosen), "status": "not available",
                     "reason": f"{unit} has no {code} score in {period}"})
    elif scale is not None and score is not None and not scale[0] - tol <= goal_s <= \
            scale[1] + tol:
        side = "highest" if goal_s > scale[1] else "lowest"
        why = (f"beyond the baseline scale: {_fmt(goal_s)} is outside the scores {code} can "
               f"take for {unit} with the baseline's bounds ({_fmt(scale[0])} to "
               f"{_fmt(scale[1])}; the {side} with every indicator at the "
               f"{'best' if side == 'highest' else 'worst'} baseline value)")
        for c in ([", ".join(chosen)] if together is not None else chosen):
            rows.append({**base, "indicators": c, "status": "unreachable", "reason": why,
                         "kind": "proportional" if together is not None else "one indicator",
                         "beyond_scale": True})
    elif together is not None:
        rows.append(_together(model, chosen, goal_s, met, dom, base))
    else:
        for c in chosen:
            rows.append(_single(model, c, goal_s, met, dom, base))
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    out["beyond_scale"] = out["beyond_scale"].eq(True)
    out["achieved_score"] = np.nan
    out["achieved_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["verified"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["rank_now"] = out["rank_now"].astype("Int64")
    if verify:
        _verify(build, out, model, clip, score, rank, domains)
    order = out["status"].map({"already met": 0, "reachable": 1, "not verified": 2,
                               "unreachable": 3, "not available": 4})
    out = out.assign(_o=order, _c=out["change_pct"].abs()).sort_values(
        ["_o", "_c"], na_position="last").drop(columns=["_o", "_c"])
    return out.reset_index(drop=True)


def _single(model: _Model, c: str, goal: float, met: bool, dom, base: dict) -> dict:
    j = model.codes.index(c)
    v0 = float(model.x_now[j])
    d = int(model.direction[j])
    row = {**base, "indicators": c, "kind": "one indicator", "value_now": v0,
           "value_unit": model.value_units.get(c),
           "indicator_score_now": float(model.s_now[j])}
    if np.isnan(v0):
        return {**row, "status": "not available",
                "reason": f"{c} is missing for {model.unit} in {model.period}"}
    if met:
        return {**row, "status": "already met", "value_needed": v0, "change": 0.0,
                "change_pct": 0.0, "indicator_score_needed": float(model.s_now[j]),
                "reason": "the goal is already reached"}
    lo, hi = dom.get(c, (None, None))
    lo = -np.inf if lo is None else float(lo)
    hi = np.inf if hi is None else float(hi)
    rng = f"[{_fmt(lo)}, {_fmt(hi)}]"
    unit_s = model.value_units.get(c) or ""
    # closed form
    sl = model.slope(j) if model.arithmetic_path(c) else None
    w = model.path_weight(c)
    if sl is not None and w > 0:
        slope, lo_o, hi_o = sl
        d_s = (goal - model.score_now) / w
        o_new = d * v0 + d_s / slope
        s_new = float(model.s_now[j] + d_s)
        if not lo_o <= o_new <= hi_o:
            cap = hi_o if o_new > hi_o else lo_o
            s_cap = float(model.norm_column(j, np.array([d * cap]))[0])
            t_mode, _, _ = model.treatment(j)
            why = (" (the baseline's outlier treatment caps it there)"
                   if t_mode == "winsorise" else "")
            return {**row, "status": "unreachable", "solver": "closed form",
                    "reason": f"would need a normalised {c} score of {_fmt(s_new)}, beyond "
                              f"its cap {_fmt(s_cap)} at value {_fmt(d * cap)} {unit_s}"
                              .rstrip() + why}
        v_new = d * o_new
        if not lo <= v_new <= hi:
            return {**row, "status": "unreachable", "solver": "closed form",
                    "reason": f"would need {c} = {_fmt(v_new)} {unit_s}, outside its "
                              f"feasible range {rng}".replace("  ", " ")}
        far = model.beyond(j, v_new)
        return {**row, "status": "reachable", "solver": "closed form", "value_needed": v_new,
                "change": v_new - v0, "change_pct": _pct(v_new - v0, v0),
                "indicator_score_needed": s_new, "beyond_scale": far is not None,
                "reason": f"effective weight {_fmt(w)} x slope {_fmt(slope)} points per unit "
                          "of the indicator" + (f"; {far}" if far else "")}
    if w == 0:
        return {**row, "status": "unreachable",
                "reason": f"{c} has no weight in {model.code} for this unit"}

    def f(t: np.ndarray) -> np.ndarray:
        return model.scores_for({j: v0 + np.asarray(t, dtype=float)}) - goal

    step = _step(model, j, v0)
    t, solver = _solve(f, lo - v0, hi - v0, step)
    if t is None:
        ends = [e for e in (lo, hi) if np.isfinite(e)]
        probe = np.array(ends) if ends else np.array([v0 + step * 2.0 ** 59])
        best = np.nanmax(model.scores_for({j: probe})) if len(probe) else np.nan
        return {**row, "status": "unreachable", "solver": solver,
                "reason": f"not reached anywhere in {c}'s feasible range {rng}"
                          + (f" (at its ends the score is at most {_fmt(best)})"
                             if np.isfinite(best) else "")}
    v_new = v0 + t
    far = model.beyond(j, v_new)
    return {**row, "status": "reachable", "solver": solver, "value_needed": v_new,
            "change": t, "change_pct": _pct(t, v0),
            "indicator_score_needed": float(model.norm_column(j, np.array([v_new]))[0]),
            "beyond_scale": far is not None,
            "reason": "smallest change reaching the goal (bracketing + Brent's method)"
                      + (f"; {far}" if far else "")}


def _together(model: _Model, chosen: list[str], goal: float, met: bool, dom, base: dict
              ) -> dict:
    js = [model.codes.index(c) for c in chosen]
    v0 = model.x_now[js]
    row = {**base, "indicators": ", ".join(chosen), "kind": "proportional"}
    miss = [c for c, v in zip(chosen, v0, strict=True) if np.isnan(v)]
    if miss:
        return {**row, "status": "not available",
                "reason": f"missing for {model.unit} in {model.period}: {', '.join(miss)}"}
    if met:
        return {**row, "status": "already met", "change_pct": 0.0,
                "reason": "the goal is already reached"}
    # feasible p: lo_j <= v_j (1 + p) <= hi_j
    p_lo, p_hi = -np.inf, np.inf
    for c, v in zip(chosen, v0, strict=True):
        lo, hi = dom.get(c, (None, None))
        for bound, is_lo in ((lo, True), (hi, False)):
            if bound is None or v == 0:
                continue
            q = bound / v - 1.0
            if (v > 0) == is_lo:
                p_lo = max(p_lo, q)
            else:
                p_hi = min(p_hi, q)

    def values(p: np.ndarray) -> dict[int, np.ndarray]:
        p = np.asarray(p, dtype=float)
        return {j: v * (1.0 + p) for j, v in zip(js, v0, strict=True)}

    # closed form
    slopes = [model.slope(j) if model.arithmetic_path(c) else None
              for j, c in zip(js, chosen, strict=True)]
    if all(s is not None for s in slopes):
        beta = sum(model.path_weight(c) * s[0] * model.direction[j] * v
                   for c, j, s, v in zip(chosen, js, slopes, v0, strict=True))
        if beta != 0:
            p = (goal - model.score_now) / beta
            inside = all(s[1] <= model.direction[j] * v * (1 + p) <= s[2]
                         for j, s, v in zip(js, slopes, v0, strict=True))
            if inside:
                if not p_lo <= p <= p_hi:
                    return {**row, "status": "unreachable", "solver": "closed form",
                            "reason": f"would need a change of {_fmt(100 * p)} %, outside the "
                                      f"feasible range [{_fmt(100 * p_lo)}, {_fmt(100 * p_hi)}] %"
                                      " of these indicators' values"}
                return {**row, "status": "reachable", "solver": "closed form",
                        "change_pct": 100.0 * p, **_far(model, js, v0 * (1 + p)),
                        "reason": "new values: " + ", ".join(
                            f"{c} {_fmt(v * (1 + p))}" for c, v in zip(chosen, v0, strict=True))
                        + _far_text(model, js, v0 * (1 + p))}
        else:
            return {**row, "status": "unreachable", "solver": "closed form",
                    "reason": "a proportional change of these indicators does not move the "
                              "score (their effects cancel)"}

    def f(p: np.ndarray) -> np.ndarray:
        return model.scores_for(values(p)) - goal

    p, solver = _solve(f, p_lo, p_hi, 0.01)
    if p is None:
        return {**row, "status": "unreachable", "solver": solver,
                "reason": f"not reached for any change in the feasible range "
                          f"[{_fmt(100 * p_lo)}, {_fmt(100 * p_hi)}] %"}
    return {**row, "status": "reachable", "solver": solver, "change_pct": 100.0 * p,
            **_far(model, js, v0 * (1 + p)),
            "reason": "new values: " + ", ".join(f"{c} {_fmt(v * (1 + p))}"
                                                 for c, v in zip(chosen, v0, strict=True))
            + _far_text(model, js, v0 * (1 + p))}


def _far(model: _Model, js: list[int], values: np.ndarray) -> dict:
    return {"beyond_scale": any(model.beyond(j, float(v)) for j, v in
                                zip(js, values, strict=True))}


def _far_text(model: _Model, js: list[int], values: np.ndarray) -> str:
    far = [model.beyond(j, float(v)) for j, v in zip(js, values, strict=True)]
    far = [f for f in far if f]
    return ("; " + "; ".join(far)) if far else ""


def _pct(change: float, v0: float) -> float:
    return 100.0 * change / abs(v0) if v0 != 0 else np.nan


def _step(model: _Model, j: int, v0: float) -> float:
    lo, up = model.bounds
    span = float(up.reshape(-1)[j] - lo.reshape(-1)[j]) if lo is not None else np.nan
    cands = [abs(v0), span if np.isfinite(span) else 0.0, 1e-12]
    return max(cands) / 64.0


def _raw_value(build: Build, cube: Cube, model: _Model, c: str, needed: float, clip: bool
               ) -> tuple[float | None, str]:
    r"""The raw value of indicator ``c`` (the unit's, in the question's period) that gives
    ``needed`` in the data the question is answered on (``model.ds_val``).

    The steps before normalisation scale a cell's raw value :math:`x` by a factor,
    :math:`y = f x`: denomination divides by the unit's denominator and multiplies by the scale
    factor, :math:`f = s / d` (per capita, per GDP; OECD/JRC (2008) *Handbook on Constructing
    Composite Indicators*, step 5; Becker et al. (2022) COINr ``Denominate``;
    :func:`gipro.methods.denominate.denominate`); an indicator not denominated has
    :math:`f = 1`; imputation only fills a missing raw value. The factor is measured with the
    build's own steps, never recomputed from their rules: :math:`f = y / x` from the build when
    the raw value is non-zero, else (a raw value of 0, or a missing one that is imputed) from
    a probe rebuild with the raw value 1 and the build's frozen fits, :math:`f = y(1)`. The raw
    value needed is :math:`y_{needed} / f`.

    Returns
    -------
    (float, "") or (None, reason)
        ``None`` with the reason when the answer cannot be written back to the raw data: the
        probe fails, the factor is zero or missing (e.g. a zero or missing denominator), or a
        raw value of 0 does not give 0 (the value is not proportional to the raw one, e.g. a
        ratio left missing and then imputed).
    """
    raw = build.datasets["raw"]
    pi, ui, k = model.period, model.unit, model.codes.index(c)
    now = float(model.x_now[k])
    x = float(raw.values[raw.periods.index(pi), raw.units.index(ui), raw.codes.index(c)])
    where = f"{c} of {ui} in {pi}"
    if np.isfinite(x) and x != 0:
        f = now / x
    else:
        probe = Scenario(name="inverse-probe", changes=[
            {"op": "set", "value": 1.0, "units": [ui], "indicators": [c], "periods": pi}])
        try:
            changed, _, _ = apply_changes(cube, probe)
            ds = scenario_build(build, changed, bounds="frozen", clip=clip,
                                label="inverse probe").datasets[model.ds_val.name]
        except GiproError as exc:
            return None, (f"cannot write the answer back to the raw data: re-running the "
                          f"recipe with {where} = 1 to measure what the steps before "
                          f"normalisation do to it failed: {exc.message}")
        f = float(ds.values[ds.periods.index(pi), ds.units.index(ui), ds.codes.index(c)])
        if x == 0 and now != 0 and np.isfinite(f):
            return None, (f"cannot write the answer back to the raw data: the raw {where} is 0 "
                          f"but the value the question is answered on is {_fmt(now)} (not "
                          "proportional to the raw value, e.g. a ratio to a zero or missing "
                          "denominator that was imputed)")
    if not np.isfinite(f) or f == 0:
        return None, (f"cannot write the answer back to the raw data: the steps before "
                      f"normalisation scale the raw {where} by {_fmt(f)} (e.g. a zero or "
                      "missing denominator), so no raw value gives the value needed")
    return needed / f, ""


def _verify(build: Build, out: pd.DataFrame, model: _Model, clip: bool, score, rank, domains
            ) -> None:
    """Apply each reachable answer as a scenario to the raw data (each indicator's new value
    written back as its raw value, :func:`_raw_value`) and re-run the recipe (frozen
    bounds)."""
    todo = out.index[out["status"] == "reachable"]
    if not len(todo):
        return
    cube = base_cube(build, None, domains, relations=False)  # as solved: one value alone
    for i in todo:
        r = out.loc[i]
        inds = [c.strip() for c in str(r["indicators"]).split(",")]
        unit, period, code = r["unit"], int(r["period"]), r["code"]
        if r["kind"] == "one indicator":
            needed = [float(r["value_needed"])]
        else:
            needed = [float(model.x_now[model.codes.index(c)]) * (1.0 + r["change_pct"] / 100.0)
                      for c in inds]
        changes, written, why = [], [], ""
        for c, v in zip(inds, needed, strict=True):
            if v == model.x_now[model.codes.index(c)]:
                continue  # unchanged (a value of 0 in a proportional change)
            raw_v, why = _raw_value(build, cube, model, c, v, clip)
            if raw_v is None:
                break
            changes.append({"op": "set", "value": raw_v, "units": [unit], "indicators": [c],
                            "periods": period})
            if not np.isclose(raw_v, v, rtol=1e-12, atol=0.0):  # a rescaled value
                written.append(f"{c} = {_fmt(raw_v)} {unit_of(build, 'raw', c) or ''}".rstrip())
        if why:
            out.loc[i, "verified"] = False
            out.loc[i, "status"] = "not verified"
            out.loc[i, "reason"] = f"{r['reason']}; {why}"
            continue
        if written:  # the raw value to change, in the data's own unit
            r = r.copy()
            r["reason"] = f"{r['reason']}; raw value needed: {', '.join(written)}"
            out.loc[i, "reason"] = r["reason"]
        scen = Scenario(name="inverse-check", changes=changes)
        try:
            changed, _, _ = apply_changes(cube, scen)
            b = scenario_build(build, changed, bounds="frozen", clip=clip,
                               label="inverse check")
        except GiproError as exc:
            out.loc[i, "verified"] = False
            out.loc[i, "status"] = "not verified"
            out.loc[i, "reason"] = f"{r['reason']}; check failed: {exc.message}"
            continue
        s = b.final.column(code)
        pi, ui = b.final.periods.index(period), b.final.units.index(unit)
        got = float(s[pi, ui])
        got_rank = _rank(s[pi, :])[ui]
        out.loc[i, "achieved_score"] = got
        out.loc[i, "achieved_rank"] = int(got_rank) if np.isfinite(got_rank) else pd.NA
        if score is not None:
            ok = got >= float(score) - _TOL * max(1.0, abs(float(score)))
        else:
            ok = bool(np.isfinite(got_rank) and got_rank <= rank)
        out.loc[i, "verified"] = bool(ok)
        if not ok:  # an answer the rebuild does not confirm is never reported as reachable
            out.loc[i, "status"] = "not verified"
            out.loc[i, "reason"] = (f"{r['reason']}; NOT reached when applied to the data and "
                                    f"the recipe re-run (score {_fmt(got)}, rank "
                                    f"{int(got_rank) if np.isfinite(got_rank) else 'none'}; a "
                                    "step before normalisation, e.g. imputation, changes the "
                                    "value)")
