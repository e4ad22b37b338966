r"""Data envelopment analysis (DEA) with undesirable outputs: directional distance functions,
the slacks-based measure and the SBM directional distance function, as linear programs
solved with HiGHS (:func:`scipy.optimize.linprog`).

Every kernel evaluates ``n`` decision-making units (DMUs) -- inputs ``x`` of shape
``(n, m)``, desirable outputs ``y`` of shape ``(n, s)``, undesirable outputs ``b`` of shape
``(n, k)`` -- against one technology spanned by a reference set ``ref_x``, ``ref_y``,
``ref_b`` of shapes ``(n_ref, m)``, ``(n_ref, s)``, ``(n_ref, k)`` (the observations of one
period for a contemporaneous frontier, of every period up to ``t`` for a sequential one, of
all periods for a global one). With intensities :math:`\lambda \ge 0` the technology is

.. math::

    T = \{(x, y, b) : X\lambda \le x,\; Y\lambda \ge y,\; B\lambda \; (= \text{or} \le)\; b,
    \; [\textstyle\sum_j \lambda_j = 1 \text{ under VRS}]\},

with the undesirable outputs weakly disposable (equality, Färe, Grosskopf, Lovell & Pasurka
1989) in the directional distance functions and as slacks (:math:`B\lambda \le b`) in the
slacks-based models (Tone 2004; Fukuyama & Weber 2009).

How the LPs are solved (one implementation for every model): the constraint columns of the
intensities are the reference data, the same for every evaluated DMU, so each frontier's
column block is built once. The DMUs are solved in batches as one block-diagonal LP (one
HiGHS call for many DMUs), over a restricted set of reference columns that grows by column
generation: after each solve the reduced cost of every reference column is priced for every
DMU (one matrix product), and columns with a negative reduced cost are added until none is
left -- which proves the restricted solution optimal for the full reference set. A DMU whose
restricted LP is infeasible or unbounded is re-solved with every reference column; if that
LP is infeasible or unbounded too, its status says so (never a silent ``NaN``). Each
variable is rescaled by its mean over the reference set before solving (the models are
invariant to units of measurement, so the scores are unchanged; slacks are returned in the
data's units).

References
----------
Chung Y.H., Färe R., Grosskopf S. (1997) Productivity and undesirable outputs: a directional
distance function approach. *Journal of Environmental Management* 51:229-240.
Färe R., Grosskopf S., Lovell C.A.K., Pasurka C. (1989) Multilateral productivity comparisons
when some outputs are undesirable: a nonparametric approach. *Review of Economics and
Statistics* 71:90-98.
Zhou P., Ang B.W., Wang H. (2012) Energy and CO2 emission performance in electricity
generation: a non-radial directional distance function approach. *European Journal of
Operational Research* 221:625-635.
Färe R., Grosskopf S. (2010) Directional distance functions and slacks-based measures of
efficiency. *European Journal of Operational Research* 200:320-322.
Tone K. (2001) A slacks-based measure of efficiency in data envelopment analysis. *European
Journal of Operational Research* 130:498-509.
Tone K. (2002) A slacks-based measure of super-efficiency in data envelopment analysis.
*European Journal of Operational Research* 143:32-41.
Tone K. (2004) Dealing with undesirable outputs in DEA: a slacks-based measure (SBM)
approach. Presentation at NAPW III, Toronto; GRIPS Research Report I-2003-0005.
Fukuyama H., Weber W.L. (2009) A directional slacks-based measure of technical inefficiency.
*Socio-Economic Planning Sciences* 43:274-287.
Wang D., Du K., Zhang N. (2022) Measuring technical efficiency and total factor productivity
change with undesirable outputs in Stata. *Stata Journal* 22(1):103-124 (the ``gtfpch``
and ``teddf`` commands these kernels are checked against).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..errors import MethodError

__all__ = [
    "RETURNS",
    "STATUS_FAILED",
    "STATUS_INFEASIBLE",
    "STATUS_OPTIMAL",
    "STATUS_TEXT",
    "STATUS_UNBOUNDED",
    "DEAResult",
    "ddf",
    "nonradial_ddf",
    "sbm",
    "sbm_ddf",
]

#: Returns to scale: constant (CRS) or variable (VRS, :math:`\sum_j\lambda_j = 1`).
RETURNS = ("crs", "vrs")

STATUS_OPTIMAL = 0
STATUS_INFEASIBLE = 2
STATUS_UNBOUNDED = 3
STATUS_FAILED = 4
#: What each status means, for reports.
STATUS_TEXT = {
    STATUS_OPTIMAL: "optimal",
    STATUS_INFEASIBLE: "infeasible: no point of the technology lies along the direction from "
                       "this observation (it is outside the reference technology)",
    STATUS_UNBOUNDED: "unbounded: the distance can grow without limit along the direction",
    STATUS_FAILED: "the LP solver did not reach an optimum (numerical difficulties or "
                   "iteration limit)",
}

#: HiGHS options: dual simplex (basic solutions, exact duals for pricing), tight tolerances,
#: no presolve (it costs more than it saves on these small blocks).
_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10,
            "presolve": False}
#: A reference column enters when its reduced cost is below minus this.
_PRICE_TOL = 1e-9
#: Columns (DMUs x variables) of one block-diagonal LP, and reduced costs priced at once.
_BLOCK_COLUMNS = 12_000
_PRICE_CELLS = 4_000_000
#: DMUs of one block-diagonal LP at most (HiGHS' time grows faster than the block).
_BLOCK_DMUS = 128
#: Columns added per violating DMU and pricing round.
_ENTER = 4
#: Cost of the artificial columns that keep a restricted LP feasible (data are scaled to
#: means of 1, so the models' dual prices are far below it), and the level above which an
#: artificial counts as in use.
_PENALTY = 1e4
_ART_TOL = 1e-9
#: Phase one: a DMU whose artificials cannot be driven below this is infeasible.
_PHASE_ONE_TOL = 1e-8
#: Pricing rounds a DMU may still lean on artificials before it is solved on its own.
_ROUNDS = 3
#: Reference sets up to this size are used whole (no column generation).
_SMALL_REFERENCE = 60


@dataclass(frozen=True)
class DEAResult:
    """Scores of ``n`` DMUs against one technology.

    Attributes
    ----------
    value : ndarray of shape (n,)
        The model's score: the inefficiency :math:`\\beta` (DDF), :math:`\\sum_v w_v\\beta_v`
        (non-radial DDF), the efficiency :math:`\\rho` (SBM; above 1 for super-efficient
        DMUs when asked) or the inefficiency (SBM-DDF). ``NaN`` exactly where ``status`` is
        not :data:`STATUS_OPTIMAL`.
    beta : ndarray of shape (n, m + s + k)
        Non-radial DDF: :math:`\\beta_v`, the adjustment of each variable as a multiple of its
        direction (inputs, desirable, undesirable outputs); otherwise shape ``(n, 0)``.
    slacks : ndarray of shape (n, m + s + k)
        The adjustment of each variable in the data's units: input excess, desirable output
        shortfall, undesirable output excess (non-radial DDF: :math:`\\beta_v g_v`; SBM and
        SBM-DDF: the slacks; negative for a super-efficient DMU, whose targets lie beyond its
        observation). Shape ``(n, 0)`` for the radial DDF.
    status : ndarray of int, shape (n,)
        :data:`STATUS_OPTIMAL`, :data:`STATUS_INFEASIBLE`, :data:`STATUS_UNBOUNDED` or
        :data:`STATUS_FAILED` (see :data:`STATUS_TEXT`).
    super_efficient : ndarray of bool, shape (n,)
        SBM with ``super_efficiency``: the DMUs scored by the super-efficiency model.
    n_lp : int
        HiGHS calls made (each solves a batch of DMUs).
    """

    value: np.ndarray
    beta: np.ndarray
    slacks: np.ndarray
    status: np.ndarray
    super_efficient: np.ndarray
    n_lp: int


# ------------------------------------------------------------------ validation and scaling
def _as2d(a: np.ndarray, n: int, what: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim == 1 and n == a.shape[0]:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != n:
        raise MethodError(f"{what} must have shape (n, variables) with n = {n}, got "
                          f"{np.shape(a)}")
    return a


def _check(x, y, b, ref_x, ref_y, ref_b, returns: str):
    """Arrays as float 2-D, shapes agreeing, values finite and positive (DEA needs them)."""
    if returns not in RETURNS:
        raise MethodError(f"returns must be one of {RETURNS}, got {returns!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise MethodError(f"x must have shape (n, m), got {x.shape}")
    n = x.shape[0]
    y = _as2d(y, n, "y")
    b = np.zeros((n, 0)) if b is None else _as2d(b, n, "b")
    rx = np.asarray(ref_x, dtype=float)
    if rx.ndim != 2:
        raise MethodError(f"ref_x must have shape (n_ref, m), got {rx.shape}")
    nr = rx.shape[0]
    ry = _as2d(ref_y, nr, "ref_y")
    rb = np.zeros((nr, 0)) if ref_b is None else _as2d(ref_b, nr, "ref_b")
    for a, r, what in ((x, rx, "inputs"), (y, ry, "desirable outputs"),
                       (b, rb, "undesirable outputs")):
        if a.shape[1] != r.shape[1]:
            raise MethodError(f"{what}: {a.shape[1]} columns for the evaluated DMUs but "
                              f"{r.shape[1]} in the reference set")
    if x.shape[1] == 0:
        raise MethodError("DEA needs at least one input")
    if y.shape[1] + b.shape[1] == 0:
        raise MethodError("DEA needs at least one output")
    for a, what in ((x, "x"), (y, "y"), (b, "b"), (rx, "ref_x"), (ry, "ref_y"), (rb, "ref_b")):
        if a.size and not (np.isfinite(a).all() and (a > 0).all()):
            raise MethodError(f"{what}: DEA needs finite positive values (no missing, zero "
                              "or negative values)")
    return x, y, b, rx, ry, rb


def _direction(direction, x, y, b) -> np.ndarray:
    """The direction vectors as one (n, m+s+k) array of non-negative magnitudes."""
    if direction is None:
        raise MethodError("a directional model needs direction=(gx, gy, gb)")
    parts = []
    for g, a, what in zip(direction, (x, y, b), ("gx", "gy", "gb"), strict=True):
        g = np.broadcast_to(np.asarray(g, dtype=float), a.shape)
        if not (np.isfinite(g).all() and (g >= 0).all()):
            raise MethodError(f"direction {what}: magnitudes must be finite and >= 0 (inputs "
                              "and undesirable outputs are contracted, desirable outputs "
                              "expanded)")
        parts.append(g)
    out = np.concatenate(parts, axis=1)
    if not (out > 0).any(axis=1).all():
        raise MethodError("direction: every DMU needs a non-zero direction")
    return out


def _own(own, n: int, n_ref: int) -> np.ndarray:
    if own is None:
        return np.full(n, -1)
    own = np.asarray(own, dtype=int).ravel()
    if own.shape != (n,) or (own >= n_ref).any() or (own < -1).any():
        raise MethodError(f"own must give one reference row (or -1) per DMU: {n} values from "
                          f"-1 to {n_ref - 1}")
    return own


def _scaled(x, y, b, rx, ry, rb):
    """Each variable divided by its mean over the reference (or evaluated) observations."""
    data = np.concatenate([x, y, b], axis=1)
    ref = np.concatenate([rx, ry, rb], axis=1)
    scale = (ref if ref.shape[0] else data).mean(axis=0)
    return data / scale, ref / scale, scale


@dataclass
class _Prepared:
    """Checked, scaled data of one kernel call."""

    data: np.ndarray  # (n, m+s+k) evaluated DMUs, scaled
    ref: np.ndarray  # (n_ref, m+s+k) reference set, scaled
    scale: np.ndarray  # (m+s+k,) the divisors
    graw: np.ndarray | None  # (n, m+s+k) direction in the data's units
    g: np.ndarray | None  # the same, scaled
    roles: tuple[int, int, int]  # m, s, k
    own: np.ndarray  # (n,)

    @property
    def n(self) -> int:
        return self.data.shape[0]

    @property
    def n_ref(self) -> int:
        return self.ref.shape[0]


def _prepare(x, y, b, ref_x, ref_y, ref_b, returns: str, direction, own) -> _Prepared:
    """Validation (:func:`_check`), the direction (if the model has one), scaling and the
    own rows -- the common start of every kernel."""
    x, y, b, rx, ry, rb = _check(x, y, b, ref_x, ref_y, ref_b, returns)
    graw = None if direction is None else _direction(direction, x, y, b)
    data, ref, scale = _scaled(x, y, b, rx, ry, rb)
    return _Prepared(data, ref, scale, graw, None if graw is None else graw / scale,
                     (x.shape[1], y.shape[1], b.shape[1]), _own(own, x.shape[0], ref.shape[0]))


# ------------------------------------------------------------------ the LP family
@dataclass
class _Family:
    """One LP per DMU: ``min c.theta`` over model variables ``theta`` (per DMU) and reference
    intensities ``lam`` (columns shared by all DMUs), subject to
    ``Aub_t theta + Lub lam <= bub`` and ``Aeq_t theta + Leq lam = beq``."""

    c: np.ndarray  # (n, q)
    lb: np.ndarray  # (n, q)
    ub: np.ndarray  # (n, q)
    aub: np.ndarray  # (n, R_ub, q)
    bub: np.ndarray  # (n, R_ub)
    lub: np.ndarray  # (R_ub, n_ref)
    aeq: np.ndarray  # (n, R_eq, q)
    beq: np.ndarray  # (n, R_eq)
    leq: np.ndarray  # (R_eq, n_ref)
    ref: np.ndarray  # (n_ref, m+s+k) scaled reference data (to seed the columns)
    roles: tuple[int, int, int]  # m, s, k
    vrs: bool
    own: np.ndarray  # (n,) reference column holding the DMU's own observation, -1 for none
    exclude: bool  # the DMU may not use its own column (super-efficiency)

    @property
    def n(self) -> int:
        return self.c.shape[0]

    @property
    def q(self) -> int:
        return self.c.shape[1]

    @property
    def n_ref(self) -> int:
        return self.lub.shape[1]


def _blocks(theta: np.ndarray, lam: np.ndarray, own: np.ndarray) -> sp.csr_matrix | None:
    """Block-diagonal matrix of K blocks ``[theta_k | lam | own_k]``: the per-DMU columns
    (model variables, artificials), the shared reference columns and DMU k's own column."""
    k, r, q = theta.shape
    if r == 0:
        return None
    g = lam.shape[1]
    dense = np.concatenate([theta, np.broadcast_to(lam, (k, r, g)), own[:, :, None]], axis=2)
    kk, rr, cc = np.nonzero(dense)
    width = q + g + 1
    return sp.csr_matrix((dense[kk, rr, cc], (kk * r + rr, kk * width + cc)),
                         shape=(k * r, k * width))


def _seed(fam: _Family) -> np.ndarray:
    """First reference columns: the best observed ratios of each output to each input (and
    the smallest inputs, largest outputs under VRS) -- likely frontier units."""
    m, s, k = fam.roles
    ref = fam.ref
    if ref.shape[0] <= _SMALL_REFERENCE:
        return np.arange(ref.shape[0])
    x, y, b = ref[:, :m], ref[:, m:m + s], ref[:, m + s:]
    picks = [np.argmax(y[:, r] / x[:, i]) for r in range(s) for i in range(m)]
    picks += [np.argmin(b[:, j] / x[:, i]) for j in range(k) for i in range(m)]
    picks += [np.argmax(y[:, r] / b[:, j]) for r in range(s) for j in range(k)]
    if fam.vrs:
        picks += [np.argmin(x[:, i]) for i in range(m)] + [np.argmax(y[:, r]) for r in range(s)]
        picks += [np.argmin(b[:, j]) for j in range(k)]
    return np.unique(np.asarray(picks, dtype=int))


def _own_slot(fam: _Family, idx: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Each DMU's own reference column when it is usable and not among ``cols`` (else -1)."""
    own = fam.own[idx]
    if fam.exclude or not (own >= 0).any():
        return np.full(len(idx), -1)
    if len(cols):
        pos = np.searchsorted(cols, own).clip(max=len(cols) - 1)
        own = np.where(cols[pos] == own, -1, own)
    return own


def _block_lp(fam: _Family, idx: np.ndarray, cols: np.ndarray, elastic: bool,
              phase_one: bool = False):
    """Solve the DMUs ``idx`` over reference columns ``cols`` (plus each DMU's own column)
    as one block-diagonal LP. ``elastic``: every row also gets artificial columns of cost
    :data:`_PENALTY`, so the restricted LP is always feasible (big-M phase one);
    ``phase_one``: minimise the artificials alone (their optimum is 0 exactly when the DMU's
    LP is feasible).

    Returns the HiGHS result, the own column of each DMU (-1: none) and the number of
    artificial columns per DMU; each DMU's solution is ``[theta, artificials, lam, own]``.
    """
    kk, q, g = len(idx), fam.q, len(cols)
    r_ub, r_eq = fam.aub.shape[1], fam.aeq.shape[1]
    nart = r_ub + 2 * r_eq if elastic else 0
    aub, aeq = fam.aub[idx], fam.aeq[idx]
    if elastic:
        eye_u, eye_e = np.eye(r_ub), np.eye(r_eq)
        aub = np.concatenate([aub, np.broadcast_to(-eye_u, (kk, r_ub, r_ub)),
                              np.zeros((kk, r_ub, 2 * r_eq))], axis=2)
        aeq = np.concatenate([aeq, np.zeros((kk, r_eq, r_ub)),
                              np.broadcast_to(np.hstack([eye_e, -eye_e]), (kk, r_eq, 2 * r_eq))],
                             axis=2)
    p = q + nart
    width = p + g + 1
    c = np.zeros((kk, width))
    if phase_one:
        c[:, q:p] = 1.0
    else:
        c[:, :q] = fam.c[idx]
        c[:, q:p] = _PENALTY
    lo = np.zeros((kk, width))
    hi = np.full((kk, width), np.inf)
    lo[:, :q], hi[:, :q] = fam.lb[idx], fam.ub[idx]
    slot = _own_slot(fam, idx, cols)
    hi[slot < 0, -1] = 0.0
    if fam.exclude and g:
        excl = fam.own[idx]
        pos = np.searchsorted(cols, excl).clip(max=g - 1)
        hit = (excl >= 0) & (cols[pos] == excl)
        hi[np.nonzero(hit)[0], p + pos[hit]] = 0.0
    use = slot.clip(min=0)
    live = (slot >= 0)[:, None]
    a_ub = _blocks(aub, fam.lub[:, cols], np.where(live, fam.lub[:, use].T, 0.0))
    a_eq = _blocks(aeq, fam.leq[:, cols], np.where(live, fam.leq[:, use].T, 0.0))
    res = linprog(c.ravel(), A_ub=a_ub, b_ub=None if a_ub is None else fam.bub[idx].ravel(),
                  A_eq=a_eq, b_eq=None if a_eq is None else fam.beq[idx].ravel(),
                  bounds=np.column_stack([lo.ravel(), hi.ravel()]), method="highs-ds",
                  options=_OPTIONS)
    return res, slot, nart


def _status(res) -> int:
    if res.status == 0:
        return STATUS_OPTIMAL
    if res.status == 2:
        return STATUS_INFEASIBLE
    if res.status == 3:
        return STATUS_UNBOUNDED
    return STATUS_FAILED


class _Solver:
    """Column generation over one family (see the module docstring)."""

    def __init__(self, fam: _Family) -> None:
        self.fam = fam
        self.cols = _seed(fam)
        self.calls = 0
        n, q = fam.n, fam.q
        self.theta = np.full((n, q), np.nan)
        self.status = np.full(n, -1)
        self.rounds = np.zeros(n, dtype=int)
        self.suspects: list[int] = []

    def _solve_block(self, part: np.ndarray, out: list) -> None:
        """One elastic block LP; a block without an optimum (unbounded) is bisected."""
        fam = self.fam
        cols = self.cols
        res, slot, nart = _block_lp(fam, part, cols, elastic=True)
        self.calls += 1
        if _status(res) == STATUS_OPTIMAL:
            k = len(part)
            z = res.x.reshape(k, fam.q + nart + len(cols) + 1)
            pu = (res.ineqlin.marginals.reshape(k, -1) if fam.aub.shape[1]
                  else np.zeros((k, 0)))
            pe = (res.eqlin.marginals.reshape(k, -1) if fam.aeq.shape[1] else np.zeros((k, 0)))
            art = z[:, fam.q:fam.q + nart].sum(axis=1) > _ART_TOL
            out.append((part, cols, slot, z, pu, pe, art))
        elif len(part) > 1:
            half = len(part) // 2
            self._solve_block(part[:half], out)
            self._solve_block(part[half:], out)
        else:
            self._full(int(part[0]))

    def _full(self, i: int) -> None:
        """One DMU with every reference column and no artificials: the exact status."""
        allc = np.arange(self.fam.n_ref)
        res, _, _ = _block_lp(self.fam, np.array([i]), allc, elastic=False)
        self.calls += 1
        st = _status(res)
        self.status[i] = st
        if st == STATUS_OPTIMAL:
            q = self.fam.q
            self.theta[i] = res.x[:q]
            self.cols = np.union1d(self.cols, allc[res.x[q:-1] > 0])

    def _price(self, part, cols, slot, z, pu, pe, art, again: list, new: list) -> None:
        """Reduced costs of every reference column for every DMU of a solved block: a DMU
        with none negative and no artificial in use is optimal; one still using an
        artificial is solved exactly on its own; the others get their most negative
        columns and another round."""
        fam = self.fam
        per = max(1, _PRICE_CELLS // max(fam.n_ref, 1))
        for s0 in range(0, len(part), per):
            sl = slice(s0, s0 + per)
            ids = part[sl]
            d = pu[sl] @ fam.lub  # minus the reduced costs, in place
            d += pe[sl] @ fam.leq
            d[:, cols] = -np.inf
            rows = np.arange(d.shape[0])
            mine = slot[sl]
            d[rows[mine >= 0], mine[mine >= 0]] = -np.inf
            if fam.exclude:
                own = fam.own[ids]
                d[rows[own >= 0], own[own >= 0]] = -np.inf
            bad = d.max(axis=1) > _PRICE_TOL
            elastic = art[sl]
            done = ~bad & ~elastic
            self.theta[ids[done]] = z[sl][done, :fam.q]
            self.status[ids[done]] = STATUS_OPTIMAL
            self.rounds[ids] += 1
            alone = elastic & (~bad | (self.rounds[ids] > _ROUNDS))
            self.suspects.extend(ids[alone].tolist())
            more = bad & ~alone
            if more.any():
                again.extend(ids[more].tolist())
                db = d[more]
                kth = max(db.shape[1] - 1 - _ENTER, 0)
                cand = np.argpartition(db, kth, axis=1)[:, -_ENTER:]
                val = np.take_along_axis(db, cand, axis=1)
                new.append(cand[val > _PRICE_TOL])

    def run(self) -> None:
        """Blocks of DMUs in turn, each to optimality; the shared columns found for one block
        serve the next (so later blocks rarely need a second solve)."""
        fam = self.fam
        if fam.n == 0:
            return
        if fam.n_ref == 0:
            self.status[:] = STATUS_INFEASIBLE
            return
        start = 0
        while start < fam.n:
            size = min(_BLOCK_DMUS, max(1, _BLOCK_COLUMNS // (fam.q + len(self.cols) + 1)))
            todo = np.arange(start, min(start + size, fam.n))
            start += size
            while todo.size:
                out: list = []
                self._solve_block(todo, out)
                again: list = []
                new: list = []
                for item in out:
                    self._price(*item, again, new)
                if new:
                    self.cols = np.union1d(self.cols, np.concatenate(new))
                todo = np.asarray(again, dtype=int)
        self._settle()

    def _settle(self) -> None:
        """DMUs that still used artificials: a phase-one LP over every reference column (in
        blocks) proves which are infeasible; the feasible ones are solved exactly on their
        own."""
        sus = np.asarray(sorted(set(self.suspects)), dtype=int)
        size = max(1, min(_BLOCK_DMUS, _BLOCK_COLUMNS // (self.fam.n_ref + 1)))
        allc = np.arange(self.fam.n_ref)
        for s0 in range(0, len(sus), size):
            part = sus[s0:s0 + size]
            res, _, nart = _block_lp(self.fam, part, allc, elastic=True, phase_one=True)
            self.calls += 1
            if _status(res) != STATUS_OPTIMAL:  # pragma: no cover - phase one is bounded
                for i in part:
                    self._full(int(i))
                continue
            z = res.x.reshape(len(part), -1)
            infeasible = z[:, self.fam.q:self.fam.q + nart].sum(axis=1) > _PHASE_ONE_TOL
            self.status[part[infeasible]] = STATUS_INFEASIBLE
            for i in part[~infeasible]:
                self._full(int(i))


def _solve(fam: _Family) -> tuple[np.ndarray, np.ndarray, int]:
    solver = _Solver(fam)
    solver.run()
    return solver.theta, solver.status, solver.calls


# ------------------------------------------------------------------ models
def _rows_with_vrs(vrs: bool, n: int, q: int, n_ref: int, aeq, beq, leq, t_coef=None):
    """Append the VRS row ``sum(lam) = 1`` (or ``sum(Lam) - t = 0`` after Charnes-Cooper)."""
    if not vrs:
        return aeq, beq, leq
    row = np.zeros((n, 1, q))
    rhs = np.ones((n, 1))
    if t_coef is not None:
        row[:, 0, t_coef] = -1.0
        rhs[:] = 0.0
    return (np.concatenate([aeq, row], axis=1), np.concatenate([beq, rhs], axis=1),
            np.concatenate([leq, np.ones((1, n_ref))], axis=0))


def _empty(n, q, r):
    return np.zeros((n, r, q)), np.zeros((n, r))


def ddf(x, y, b=None, *, ref_x, ref_y, ref_b=None, direction, returns: str = "crs",
        own=None) -> DEAResult:
    r"""Radial directional distance function with undesirable outputs.

    .. math::

        \vec D(x_o, y_o, b_o; g) = \max \beta \quad\text{s.t.}\quad
        X\lambda \le x_o - \beta g_x,\; Y\lambda \ge y_o + \beta g_y,\;
        B\lambda = b_o - \beta g_b,\; \lambda \ge 0\; [\textstyle\sum\lambda = 1],

    with :math:`\beta` free in sign (negative for a DMU outside the reference technology that
    can be reached backwards along the direction), as in Chung, Färe & Grosskopf (1997,
    eq. 7) and Stata's ``teddf`` / ``gtfpch``.

    Parameters
    ----------
    x, y, b : ndarray of shape (n, m), (n, s), (n, k)
        Inputs, desirable and undesirable outputs of the evaluated DMUs (``b`` may be
        ``None`` for no undesirable output).
    ref_x, ref_y, ref_b : ndarray of shape (n_ref, m), (n_ref, s), (n_ref, k)
        The reference observations spanning the technology.
    direction : tuple of array_like (gx, gy, gb)
        Non-negative magnitudes broadcastable to ``x``, ``y``, ``b``: inputs and undesirable
        outputs move by :math:`-\beta g`, desirable outputs by :math:`+\beta g`
        (``(0, y, b)`` is Chung et al.'s output direction).
    returns : {"crs", "vrs"}
    own : array_like of int, shape (n,), optional
        For each evaluated DMU, the row of the reference set holding its own observation
        (``-1`` if none). Optional; it makes the LPs faster (a DMU of the reference set is
        always feasible against itself), and the super-efficiency SBM leaves that row out.

    Returns
    -------
    DEAResult
        ``value`` is :math:`\beta` (0 on the frontier).

    Raises
    ------
    MethodError
        Shapes that disagree, missing, zero or negative data, a negative direction.

    Examples
    --------
    One input, one desirable and one undesirable output; B makes twice A's output with the
    same input and emission. Along A's direction (0, 1, 1) the constraints
    :math:`\lambda_A + 2\lambda_B \ge 1 + \beta` and :math:`\lambda_A + \lambda_B = 1 -
    \beta` give :math:`\lambda_B \ge 2\beta` and :math:`\lambda_B \le 1 - \beta`, so
    :math:`\beta = 1/3` (hand calculation); B is on the frontier:

    >>> import numpy as np
    >>> x = np.array([[1.0], [1.0]]); y = np.array([[1.0], [2.0]]); b = np.array([[1.0], [1.0]])
    >>> r = ddf(x, y, b, ref_x=x, ref_y=y, ref_b=b, direction=(0, y, b))
    >>> (np.round(r.value, 6) + 0.0).tolist()
    [0.333333, 0.0]
    """
    pr = _prepare(x, y, b, ref_x, ref_y, ref_b, returns, direction, own)
    data, ref, g, own = pr.data, pr.ref, pr.g, pr.own
    (m, s, k), n, nr = pr.roles, pr.n, pr.n_ref
    aub = np.concatenate([g[:, :m], g[:, m:m + s]], axis=1)[:, :, None]
    bub = np.concatenate([data[:, :m], -data[:, m:m + s]], axis=1)
    lub = np.concatenate([ref[:, :m].T, -ref[:, m:m + s].T], axis=0)
    aeq = g[:, m + s:][:, :, None]
    beq = data[:, m + s:]
    leq = ref[:, m + s:].T
    aeq, beq, leq = _rows_with_vrs(returns == "vrs", n, 1, nr, aeq, beq, leq)
    fam = _Family(c=np.full((n, 1), -1.0), lb=np.full((n, 1), -np.inf),
                  ub=np.full((n, 1), np.inf), aub=aub, bub=bub, lub=lub, aeq=aeq, beq=beq,
                  leq=leq, ref=ref, roles=(m, s, k), vrs=returns == "vrs", own=own,
                  exclude=False)
    theta, status, calls = _solve(fam)
    value = np.where(status == STATUS_OPTIMAL, theta[:, 0], np.nan)
    return DEAResult(value, np.zeros((n, 0)), np.zeros((n, 0)), status, np.zeros(n, bool),
                     calls)


def nonradial_ddf(x, y, b=None, *, ref_x, ref_y, ref_b=None, direction, weights,
                  returns: str = "crs", own=None) -> DEAResult:
    r"""Non-radial directional distance function with undesirable outputs.

    .. math::

        \vec{ND}(x_o, y_o, b_o; g) = \max \sum_v w_v \beta_v \quad\text{s.t.}\quad
        X\lambda \le x_o - \beta_x \circ g_x,\; Y\lambda \ge y_o + \beta_y \circ g_y,\;
        B\lambda = b_o - \beta_b \circ g_b,\; \beta \ge 0,\; \lambda \ge 0,

    one :math:`\beta_v` per variable (Zhou, Ang & Wang 2012, model 5; Färe & Grosskopf
    2010), as Stata's ``teddf ..., nonradial`` and ``gtfpch ..., nonradial``. A variable with
    a zero direction is not adjusted (its :math:`\beta_v` is 0).

    Parameters
    ----------
    x, y, b, ref_x, ref_y, ref_b, direction, returns, own
        As :func:`ddf`.
    weights : array_like of shape (m + s + k,)
        Non-negative weights :math:`w_v` of inputs, desirable and undesirable outputs, in
        that order (Stata's default: 1 for every variable with a non-zero direction).

    Returns
    -------
    DEAResult
        ``value`` :math:`\sum_v w_v\beta_v`, ``beta`` the :math:`\beta_v`, ``slacks``
        :math:`\beta_v g_v` in the data's units.

    Raises
    ------
    MethodError
        As :func:`ddf`; weights of the wrong length or negative; a positive weight on a
        variable whose direction is zero.
    """
    pr = _prepare(x, y, b, ref_x, ref_y, ref_b, returns, direction, own)
    data, ref, g, graw, own = pr.data, pr.ref, pr.g, pr.graw, pr.own
    (m, s, k), n, nr = pr.roles, pr.n, pr.n_ref
    q = m + s + k
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (q,) or not (np.isfinite(w).all() and (w >= 0).all()):
        raise MethodError(f"weights must be {q} non-negative numbers (inputs, desirable, "
                          f"undesirable outputs), got {np.asarray(weights).tolist()}")
    if ((w > 0) & (g == 0)).any():
        raise MethodError("a positive weight on a variable whose direction is zero: its "
                          "inefficiency cannot be measured")
    eye = np.eye(q)
    aub = g[:, :m + s, None] * eye[None, :m + s, :]
    bub = np.concatenate([data[:, :m], -data[:, m:m + s]], axis=1)
    lub = np.concatenate([ref[:, :m].T, -ref[:, m:m + s].T], axis=0)
    aeq = g[:, m + s:, None] * eye[None, m + s:, :]
    beq = data[:, m + s:]
    leq = ref[:, m + s:].T
    aeq, beq, leq = _rows_with_vrs(returns == "vrs", n, q, nr, aeq, beq, leq)
    ub = np.where(g > 0, np.inf, 0.0)
    fam = _Family(c=np.broadcast_to(-w, (n, q)).copy(), lb=np.zeros((n, q)), ub=ub, aub=aub,
                  bub=bub, lub=lub, aeq=aeq, beq=beq, leq=leq, ref=ref, roles=(m, s, k),
                  vrs=returns == "vrs", own=own, exclude=False)
    theta, status, calls = _solve(fam)
    ok = status == STATUS_OPTIMAL
    beta = np.where(ok[:, None], theta, np.nan)
    value = np.where(ok, beta @ w, np.nan)
    return DEAResult(value, beta, beta * graw, status, np.zeros(n, bool), calls)


def _sbm_family(data, ref, roles, vrs: bool, own: np.ndarray, super_: bool) -> _Family:
    """Tone's SBM (or super-SBM) after the Charnes-Cooper transformation; variables
    ``t, S-, Sg, Sb`` (then ``Lambda = t lambda``)."""
    m, s, k = roles
    n, nr = data.shape[0], ref.shape[0]
    q = 1 + m + s + k
    xo, yo, bo = data[:, :m], data[:, m:m + s], data[:, m + s:]
    c = np.zeros((n, q))
    c[:, 0] = 1.0
    c[:, 1:1 + m] = (1.0 if super_ else -1.0) / (m * xo)
    norm = np.zeros((n, 1, q))
    norm[:, 0, 0] = 1.0
    sign = -1.0 if super_ else 1.0
    norm[:, 0, 1 + m:1 + m + s] = sign / ((s + k) * yo)
    norm[:, 0, 1 + m + s:] = sign / ((s + k) * bo)
    body = np.zeros((n, m + s + k, q))
    body[:, :, 0] = -data
    i_in, i_g, i_b = np.arange(m), np.arange(m, m + s), np.arange(m + s, m + s + k)
    lam = ref.T.copy()
    if not super_:
        # X Lam + S- = x t; Y Lam - Sg = y t; B Lam + Sb = b t (all equalities)
        body[:, i_in, 1 + i_in] = 1.0
        body[:, i_g, 1 + i_g] = -1.0
        body[:, i_b, 1 + i_b] = 1.0
        aeq = np.concatenate([norm, body], axis=1)
        beq = np.concatenate([np.ones((n, 1)), np.zeros((n, m + s + k))], axis=1)
        leq = np.concatenate([np.zeros((1, nr)), lam], axis=0)
        aub, bub = _empty(n, q, 0)
        lub = np.zeros((0, nr))
    else:
        # X Lam - S- <= x t; -Y Lam - Sg <= -y t; B Lam - Sb <= b t; Sg <= y t (targets >= 0)
        body[:, i_in, 1 + i_in] = -1.0
        body[:, i_g, 0] = data[:, i_g]
        body[:, i_g, 1 + i_g] = -1.0
        body[:, i_b, 1 + i_b] = -1.0
        lam[i_g] = -lam[i_g]
        cap = np.zeros((n, s, q))
        cap[:, :, 0] = -yo
        cap[:, np.arange(s), 1 + i_g] = 1.0
        aub = np.concatenate([body, cap], axis=1)
        bub = np.zeros((n, m + 2 * s + k))
        lub = np.concatenate([lam, np.zeros((s, nr))], axis=0)
        aeq, beq = norm, np.ones((n, 1))
        leq = np.zeros((1, nr))
    aeq, beq, leq = _rows_with_vrs(vrs, n, q, nr, aeq, beq, leq, t_coef=0)
    return _Family(c=c, lb=np.zeros((n, q)), ub=np.full((n, q), np.inf), aub=aub, bub=bub,
                   lub=lub, aeq=aeq, beq=beq, leq=leq, ref=ref, roles=roles, vrs=vrs,
                   own=own, exclude=super_)


def sbm(x, y, b=None, *, ref_x, ref_y, ref_b=None, returns: str = "crs",
        super_efficiency: bool = False, own=None) -> DEAResult:
    r"""Slacks-based measure of efficiency with undesirable outputs (non-oriented).

    .. math::

        \rho = \min \frac{1 - \frac1m\sum_i s^-_i/x_{io}}
        {1 + \frac{1}{s+k}\left(\sum_r s^g_r/y_{ro} + \sum_j s^b_j/b_{jo}\right)}
        \quad\text{s.t.}\quad x_o = X\lambda + s^-,\; y_o = Y\lambda - s^g,\;
        b_o = B\lambda + s^b,\; \lambda, s \ge 0\; [\textstyle\sum\lambda = 1],

    Tone (2004, model (4); Tone 2001 eq. 3 without undesirable outputs), solved as an LP by
    the Charnes-Cooper transformation (Tone 2001, section 3). :math:`0 < \rho \le 1`, 1 on
    the strongly efficient frontier.

    With ``super_efficiency=True`` a DMU scored 1 -- or one outside the reference technology
    (infeasible SBM) -- is scored instead by the super-efficiency SBM against the reference
    set without itself (Tone 2002, model (12); undesirable outputs as Tone 2004):

    .. math::

        \delta = \min \frac{1 + \frac1m\sum_i s^-_i/x_{io}}
        {1 - \frac{1}{s+k}\left(\sum_r s^g_r/y_{ro} + \sum_j s^b_j/b_{jo}\right)}
        \quad\text{s.t.}\quad X\lambda \le x_o + s^-,\; Y\lambda \ge y_o - s^g,\;
        B\lambda \le b_o + s^b,\; y_o - s^g \ge 0,\; \lambda, s \ge 0,

    :math:`\delta \ge 1`.

    Parameters
    ----------
    x, y, b, ref_x, ref_y, ref_b, returns
        As :func:`ddf`.
    super_efficiency : bool
    own : array_like of int, shape (n,), optional
        As :func:`ddf`; the row is left out of the super-efficiency model, so it is required
        with ``super_efficiency`` when the evaluated DMUs are in the reference set.

    Returns
    -------
    DEAResult
        ``value`` :math:`\rho` (or :math:`\delta`), ``slacks`` in the data's units
        (negative for super-efficient DMUs: their targets are beyond the observation),
        ``super_efficient`` the DMUs scored by the super-efficiency model.

    Raises
    ------
    MethodError
        As :func:`ddf`.

    Examples
    --------
    Tone (2002, table 1) example, hand calculation: DMU D (inputs 4 and 2, output 1) is
    efficient and its super-efficiency against E (2, 4) and C (8, 1) is 1.25:

    >>> import numpy as np
    >>> x = np.array([[4, 3], [7, 3], [8, 1], [4, 2], [2, 4], [10, 1], [12, 1]], float)
    >>> y = np.ones((7, 1))
    >>> r = sbm(x, y, ref_x=x, ref_y=y, super_efficiency=True, own=np.arange(7))
    >>> np.round(r.value, 4).tolist()
    [0.8333, 0.619, 1.125, 1.25, 1.5, 0.9, 0.8333]
    """
    pr = _prepare(x, y, b, ref_x, ref_y, ref_b, returns, None, own)
    data, ref, scale, own, roles, n = pr.data, pr.ref, pr.scale, pr.own, pr.roles, pr.n
    m, s, k = roles
    vrs = returns == "vrs"
    fam = _sbm_family(data, ref, roles, vrs, own, super_=False)
    theta, status, calls = _solve(fam)
    ok = status == STATUS_OPTIMAL
    t = theta[:, 0]
    rho = np.where(ok, np.einsum("nq,nq->n", fam.c, np.nan_to_num(theta)), np.nan)
    slack = np.full((n, m + s + k), np.nan)
    slack[ok] = theta[ok, 1:] / t[ok, None]
    sup = np.zeros(n, bool)
    if super_efficiency:
        sup = ~ok | (rho >= 1.0 - 1e-9)
        idx = np.nonzero(sup)[0]
        if idx.size:
            fam2 = _sbm_family(data[idx], ref, roles, vrs, own[idx], super_=True)
            th2, st2, calls2 = _solve(fam2)
            calls += calls2
            ok2 = st2 == STATUS_OPTIMAL
            status[idx] = st2
            rho[idx] = np.where(ok2, np.einsum("nq,nq->n", fam2.c, np.nan_to_num(th2)),
                                np.nan)
            sl2 = np.full((idx.size, m + s + k), np.nan)
            sl2[ok2] = -th2[ok2, 1:] / th2[ok2, 0, None]
            slack[idx] = sl2
    slack *= scale
    return DEAResult(rho, np.zeros((n, 0)), slack, status, sup, calls)


def sbm_ddf(x, y, b=None, *, ref_x, ref_y, ref_b=None, direction, returns: str = "crs",
            own=None) -> DEAResult:
    r"""Slacks-based directional distance function with undesirable outputs.

    .. math::

        \vec S(x_o, y_o, b_o; g) = \max \frac12\left[\frac1{m'}\sum_i \frac{s^x_i}{g_{x,i}}
        + \frac1{s'+k'}\left(\sum_r \frac{s^y_r}{g_{y,r}} + \sum_j \frac{s^b_j}{g_{b,j}}
        \right)\right]
        \quad\text{s.t.}\quad X\lambda + s^x = x_o,\; Y\lambda - s^y = y_o,\;
        B\lambda + s^b = b_o,\; \lambda, s \ge 0,

    Fukuyama & Weber (2009, eq. 9), with undesirable outputs as Färe & Grosskopf (2010,
    eq. 6). The sums run over the variables with a non-zero direction (:math:`m'`,
    :math:`s'`, :math:`k'` of them); a variable with a zero direction keeps its slack but
    does not count; if one side (inputs, or outputs) has no direction at all the other
    side's mean gets the whole weight. 0 on the frontier.

    Parameters
    ----------
    x, y, b, ref_x, ref_y, ref_b, direction, returns, own
        As :func:`ddf`.

    Returns
    -------
    DEAResult
        ``value`` the inefficiency, ``slacks`` in the data's units.
    """
    pr = _prepare(x, y, b, ref_x, ref_y, ref_b, returns, direction, own)
    data, ref, g, own, scale = pr.data, pr.ref, pr.g, pr.own, pr.scale
    (m, s, k), n, nr = pr.roles, pr.n, pr.n_ref
    q = m + s + k
    on = g > 0
    n_in, n_out = on[:, :m].sum(axis=1), on[:, m:].sum(axis=1)
    half_in = np.where(n_out > 0, 0.5, 1.0) / np.maximum(n_in, 1)
    half_out = np.where(n_in > 0, 0.5, 1.0) / np.maximum(n_out, 1)
    c = np.zeros((n, q))
    gi = np.where(on, g, 1.0)
    c[:, :m] = np.where(on[:, :m], -half_in[:, None] / gi[:, :m], 0.0)
    c[:, m:] = np.where(on[:, m:], -half_out[:, None] / gi[:, m:], 0.0)
    signs = np.concatenate([np.ones(m), -np.ones(s), np.ones(k)])
    aeq = signs[None, :, None] * np.eye(q)[None]
    aeq = np.broadcast_to(aeq, (n, q, q)).copy()
    aeq, beq, leq = _rows_with_vrs(returns == "vrs", n, q, nr, aeq, data.copy(), ref.T.copy())
    aub, bub = _empty(n, q, 0)
    fam = _Family(c=c, lb=np.zeros((n, q)), ub=np.full((n, q), np.inf), aub=aub, bub=bub,
                  lub=np.zeros((0, nr)), aeq=aeq, beq=beq, leq=leq, ref=ref,
                  roles=(m, s, k), vrs=returns == "vrs", own=own, exclude=False)
    theta, status, calls = _solve(fam)
    ok = status == STATUS_OPTIMAL
    value = np.where(ok, -np.einsum("nq,nq->n", c, np.nan_to_num(theta)), np.nan)
    slack = np.where(ok[:, None], theta, np.nan) * scale
    return DEAResult(value, np.zeros((n, 0)), slack, status, np.zeros(n, bool), calls)
