"""Green total-factor productivity of a panel: the DEA scores of every unit and period and,
with an index, the Malmquist-Luenberger or Luenberger productivity change of every unit
between adjacent periods, split into efficiency change and technical change.

The work is a list of independent jobs, one per technology (frontier) and chunk of
evaluated observations; each job sets its frontier's LP up once and scores every
observation it holds against it (:mod:`gipro.methods.dea`). The jobs and their chunks are
fixed before anything runs, so the numbers are the same -- to the last bit -- in one
process or on a Dask cluster (``workers=``, ``scheduler=`` or ``client=``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..dataspec import load_data
from ..errors import InputError
from ..methods import dea
from ..methods import productivity as prod
from ..panel import Panel
from ..suggest import did_you_mean
from .spec import GTFPSpec, load_spec

__all__ = ["CHUNK", "GTFPResult", "run"]

#: Observations scored per job (the unit of work sent to a Dask worker).
CHUNK = 2500
#: How many problem cells an error lists before "and N more".
_LISTED = 10
#: Variable names that look like pollutants (a desirable output named so is probably an
#: undesirable one listed in the wrong role).
_POLLUTANT = re.compile(
    r"co2|so2|nox|no2|cod|bod|pm2|pm10|ammonia|nh3|emission|pollut|waste|sewage|smoke|dust|"
    r"soot|carbon|排放|废|污染|烟|粉尘|二氧化|化学需氧量|氨氮", re.IGNORECASE)


# ------------------------------------------------------------------ result
@dataclass
class GTFPResult:
    """What :func:`run` computed.

    Attributes
    ----------
    spec : GTFPSpec
        The specification as run (defaults filled in).
    efficiency : pandas.DataFrame
        One row per unit and period: ``unit, period, inefficiency`` (0 on the frontier),
        ``efficiency`` for the radial DDF (``1/(1+beta)``, or ``1 - beta`` for an input
        direction) and the SBM (``rho``), ``beta_<variable>`` (non-radial DDF: the share of
        each variable's direction), ``slack_<variable>`` (non-radial DDF, SBM, SBM-DDF: the
        adjustment in the variable's unit; negative for a super-efficient unit), and
        ``super_efficient`` (0/1; SBM with super-efficiency).
    productivity : pandas.DataFrame or None
        With an index: ``unit, period_from, period_to, tfpch, tech, tecch`` and their
        cumulative values from the first period (``tfpch_cumulative``...; products for the
        Malmquist-Luenberger index, sums for the Luenberger indicator).
    infeasible : pandas.DataFrame
        Every LP without an optimum: ``unit, period`` (of the observation), ``technology``
        (the frontier it was scored against), ``status``, ``reason`` and ``affects`` (which
        values are missing because of it). Empty when every LP was solved.
    notes : list of str
        Policies applied and warnings (``WARNING`` first: data that look wrong).
    units : pandas.DataFrame
        Unit metadata of the data (names in English and Chinese where given).
    n_lp : int
        HiGHS calls made.
    seconds : float
    suspect_desirable : list of str
        Desirable outputs whose names look like pollutants (a ``WARNING`` note says so).
    """

    spec: GTFPSpec
    efficiency: pd.DataFrame
    productivity: pd.DataFrame | None
    infeasible: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    units: pd.DataFrame | None = None
    n_lp: int = 0
    seconds: float = 0.0
    suspect_desirable: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> bool:
        """``True`` for the Malmquist-Luenberger (ratio) form: no change is 1, not 0."""
        return self.spec.form == "ratio"

    def period_summary(self) -> pd.DataFrame:
        """Per pair of adjacent periods: units with the index, the mean TFPCH, TECH and
        TECCH (geometric for ratios, arithmetic for differences), and how many units grew
        (``n_tfp_growth``), caught up with the frontier (``n_catching_up``), saw their
        frontier move out (``n_frontier_out``: TECCH > 1, or > 0) or back
        (``n_frontier_in``).

        Raises
        ------
        InputError
            Without an index.
        """
        p = self._require_index()
        neutral = 1.0 if self.ratio else 0.0
        rows = []
        for (a, b), g in p.groupby(["period_from", "period_to"], sort=True):
            row: dict[str, Any] = {"period_from": a, "period_to": b,
                                   "n_units": int(g["tfpch"].notna().sum())}
            for c in ("tfpch", "tech", "tecch"):
                row[c] = _mean(g[c].to_numpy(), self.ratio)
            row["n_tfp_growth"] = int((g["tfpch"] > neutral).sum())
            row["n_catching_up"] = int((g["tech"] > neutral).sum())
            row["n_frontier_out"] = int((g["tecch"] > neutral).sum())
            row["n_frontier_in"] = int((g["tecch"] < neutral).sum())
            rows.append(row)
        return pd.DataFrame(rows)

    def unit_summary(self) -> pd.DataFrame:
        """Per unit over all pairs: mean TFPCH, TECH, TECCH (geometric for ratios), the
        cumulative TFPCH at the end, and the leading component -- ``tech`` (efficiency change)
        or ``tecch`` (technical change), whichever moved productivity more (larger absolute
        log for ratios, larger absolute value for differences; ``''`` when TFPCH is
        missing).

        Raises
        ------
        InputError
            Without an index.
        """
        p = self._require_index()
        rows = []
        for u, g in p.groupby("unit", sort=False):
            row: dict[str, Any] = {"unit": u}
            for c in ("tfpch", "tech", "tecch"):
                row[c] = _mean(g[c].to_numpy(), self.ratio)
            row["tfpch_cumulative"] = g["tfpch_cumulative"].iloc[-1]
            a, b = row["tech"], row["tecch"]
            if not (np.isfinite(a) and np.isfinite(b)):
                row["leading"] = ""
            elif self.ratio:
                row["leading"] = "tech" if abs(np.log(a)) >= abs(np.log(b)) else "tecch"
            else:
                row["leading"] = "tech" if abs(a) >= abs(b) else "tecch"
            rows.append(row)
        return pd.DataFrame(rows)

    def _require_index(self) -> pd.DataFrame:
        if self.productivity is None:
            raise InputError("no productivity index was computed (index: none)")
        return self.productivity

    def write(self, out: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Write ``efficiency.csv``, ``productivity.csv`` (with an index),
        ``infeasible.csv`` (or ``.parquet``), ``spec.yaml`` (the spec as run) and ``log.yaml``
        (notes, LP count, time) to the folder ``out``, as every output folder
        (:func:`gipro.tables.output_folder`); other files there are left alone.

        Raises
        ------
        InputError
            The folder cannot be written.
        """
        from ..tables import output_folder, write_table, yaml_text

        out = Path(out)
        files: dict[str, Path] = {}
        log = {"notes": list(self.notes), "lp_calls": int(self.n_lp),
               "seconds": round(float(self.seconds), 3),
               "infeasible_lps": len(self.infeasible)}
        with output_folder(out, kind="gtfp"):
            files["efficiency"] = write_table(self.efficiency, out / "efficiency", fmt)
            if self.productivity is not None:
                files["productivity"] = write_table(self.productivity, out / "productivity",
                                                    fmt)
            files["infeasible"] = write_table(self.infeasible, out / "infeasible", fmt)
            files["spec"] = out / "spec.yaml"
            self.spec.to_yaml(files["spec"])
            files["log"] = out / "log.yaml"
            yaml_text(log, files["log"])
        return files


def _mean(a: np.ndarray, ratio: bool) -> float:
    a = a[np.isfinite(a)]
    if not a.size:
        return float("nan")
    return float(np.exp(np.log(a).mean())) if ratio else float(a.mean())


# ------------------------------------------------------------------ input checks
def _panel(spec: GTFPSpec, panel: Panel | pd.DataFrame | None) -> Panel:
    if panel is None:
        if spec.data is None:
            raise InputError("the GTFP spec has no data: section and no panel was given")
        return load_data(spec.data, spec.base_dir)
    if isinstance(panel, Panel):
        return panel
    if isinstance(panel, pd.DataFrame):
        unit = spec.data.unit if spec.data is not None else "unit"
        period = (spec.data.period if spec.data is not None else None) or "period"
        return Panel.from_wide(panel, unit=unit, period=period)
    raise InputError(f"panel must be a gipro Panel or a pandas DataFrame, got "
                     f"{type(panel).__name__}")


def _where(panel: Panel) -> str:
    return f" in {panel.origin}" if panel.origin else ""


def _cells_text(cells: list[str]) -> list[str]:
    more = len(cells) - _LISTED
    return cells[:_LISTED] + ([f"and {more} more"] if more > 0 else [])


def _checked_cube(spec: GTFPSpec, panel: Panel) -> tuple[list[str], list[int], np.ndarray,
                                                         list[str], list[str]]:
    """Units, periods and the (n_units, n_periods, n_variables) values, after every check;
    plus notes and the desirable outputs that look like pollutants."""
    cols = list(panel.values.columns)
    missing = [v for v in spec.variables if v not in cols]
    if missing:
        raise InputError(
            f"variables of the GTFP spec not in the data{_where(panel)}: "
            f"{', '.join(missing)}",
            [f"{v!r}{did_you_mean(v, cols)}" for v in missing]
            + [f"the data have: {', '.join(cols)}"])
    periods = spec.period_list(panel.periods)
    units = panel.unit_codes
    if spec.units is not None:
        unknown = [u for u in spec.units if u not in units]
        if unknown:
            raise InputError(f"units of the GTFP spec not in the data{_where(panel)}: "
                             f"{', '.join(unknown)}",
                             [f"{u!r}{did_you_mean(u, units)}" for u in unknown])
        units = [u for u in units if u in set(spec.units)]
    cube = panel.cube(spec.variables, periods).transpose(1, 0, 2)  # (units, periods, vars)
    if len(units) < len(panel.unit_codes):
        pos = {u: i for i, u in enumerate(panel.unit_codes)}
        cube = cube[[pos[u] for u in units]]
    present = set(panel.values.index.tolist())
    row = np.array([[(u, p) in present for p in periods] for u in units], dtype=bool)
    where = _where(panel)
    if spec.index != "none":
        if len(periods) < 2:
            raise InputError(f"a productivity index compares adjacent periods; the data"
                             f"{where} have one period ({periods[0]})",
                             ["add periods, or set index: none for the efficiency scores"])
        gaps = []
        for i, u in enumerate(units):
            lacking = [str(p) for p, r in zip(periods, row[i], strict=True) if not r]
            if lacking:
                gaps.append(f"{u}: no row for {', '.join(lacking)}")
        if gaps:
            raise InputError(
                f"{len(gaps)} unit(s) lack periods{where}: the "
                f"{spec.index.replace('_', '-').title()} index compares every unit in "
                f"adjacent periods ({periods[0]}~{periods[1]}, ...)",
                [*_cells_text(gaps), "add the missing rows, leave those units out (units:), "
                                     "or choose periods every unit has (periods:)"])
    miss = np.isnan(cube) & row[:, :, None]
    if miss.any():
        cells = [f"{units[i]}, {periods[t]}, {spec.variables[v]}"
                 for i, t, v in np.argwhere(miss)]
        raise InputError(f"{len(cells)} missing value(s){where}: DEA needs every input and "
                         "output of every unit-period it scores (missing is never zero)",
                         [*_cells_text(cells), "fill or impute them, or leave the unit or "
                                               "period out (units:, periods:)"])
    bad = (cube <= 0) & row[:, :, None]
    if bad.any():
        cells = [f"{units[i]}, {periods[t]}, {spec.variables[v]} = {cube[i, t, v]:g}"
                 for i, t, v in np.argwhere(bad)]
        raise InputError(
            f"{len(cells)} zero or negative value(s){where}: the DEA models need positive "
            "inputs, desirable and undesirable outputs",
            [*_cells_text(cells), "a zero output cannot be expanded proportionally and the "
                                  "SBM divides by every value; check the unit of measure, or "
                                  "leave the unit-period out"])
    notes = []
    suspect = [v for v in spec.desirable if _POLLUTANT.search(v)]
    if suspect:
        notes.append(f"WARNING desirable output(s) {', '.join(suspect)} look like pollutants: "
                     "an undesirable output listed as desirable rewards the units that emit "
                     "most; move it to undesirable: if it is one")
    return units, periods, cube, notes, suspect


# ------------------------------------------------------------------ jobs
@dataclass(frozen=True)
class _Job:
    """Score the observations ``evals`` (rows of the stacked data) against the technology
    spanned by the observations ``refs``."""

    frontier: tuple
    kinds: np.ndarray  # (n,) evaluation kind of each scored observation
    evals: np.ndarray  # (n,) observation indices
    refs: np.ndarray  # (n_ref,) observation indices, sorted


_KINDS = ("own", "next", "prev", "contemporaneous")


def _frontier_refs(key: tuple, n_units: int, n_periods: int) -> np.ndarray:
    """Observation indices (unit-major: ``u * n_periods + t``) spanning a technology."""
    kind = key[0]
    t = np.arange(n_periods)
    if kind == "global":
        use = np.ones(n_periods, bool)
    elif kind == "sequential":
        use = t <= key[1]
    else:
        use = t == key[1]
    return (np.arange(n_units)[:, None] * n_periods + t[use][None, :]).ravel()


def _jobs(spec: GTFPSpec, present: np.ndarray) -> list[_Job]:
    """Every evaluation the spec needs, grouped by technology and chunked."""
    n_units, n_periods = present.shape
    tech = spec.technology
    need: dict[tuple, list[tuple[int, int]]] = {}

    def add(key: tuple, kind: int, obs: np.ndarray) -> None:
        need.setdefault(key, []).extend((kind, int(o)) for o in obs)

    obs_t = [np.nonzero(present[:, t])[0] * n_periods + t for t in range(n_periods)]
    for t in range(n_periods):
        own_key = ("global",) if tech == "global" else (tech, t)
        add(own_key, 0, obs_t[t])
    if spec.index != "none":
        if tech == "global":
            for t in range(n_periods):
                add(("contemporaneous", t), 3, obs_t[t])
        else:
            for t in range(n_periods):
                if t + 1 < n_periods:
                    add((tech, t + 1), 1, obs_t[t])
                if t > 0:
                    add((tech, t - 1), 2, obs_t[t])
    jobs = []
    for key, items in need.items():
        arr = np.array(items, dtype=int)
        refs = _frontier_refs(key, n_units, n_periods)
        refs = refs[present.ravel()[refs]]
        for s0 in range(0, len(arr), CHUNK):
            part = arr[s0:s0 + CHUNK]
            jobs.append(_Job(key, part[:, 0], part[:, 1], refs))
    return jobs


def _score(model: str, params: dict[str, Any], roles: tuple[int, int, int], data: np.ndarray,
           mult: np.ndarray, job: _Job) -> dea.DEAResult:
    """Run one job (a pure function: also what a Dask worker runs)."""
    m, s, _ = roles
    ev, rf = data[job.evals], data[job.refs]
    x, y, b = ev[:, :m], ev[:, m:m + s], ev[:, m + s:]
    pos = np.searchsorted(job.refs, job.evals).clip(max=max(len(job.refs) - 1, 0))
    own = np.where(job.refs[pos] == job.evals, pos, -1) if len(job.refs) else np.full(
        len(job.evals), -1)
    ref = {"ref_x": rf[:, :m], "ref_y": rf[:, m:m + s], "ref_b": rf[:, m + s:]}
    g = ev * mult
    direction = (g[:, :m], g[:, m:m + s], g[:, m + s:])
    if model == "ddf":
        return dea.ddf(x, y, b, **ref, direction=direction, own=own, **params)
    if model == "nonradial_ddf":
        return dea.nonradial_ddf(x, y, b, **ref, direction=direction, own=own, **params)
    if model == "sbm":
        return dea.sbm(x, y, b, **ref, own=own, **params)
    return dea.sbm_ddf(x, y, b, **ref, direction=direction, own=own, **params)


def _execute(jobs: list[_Job], args: tuple, client: Any) -> list[dea.DEAResult]:
    if client is None:
        return [_score(*args, job) for job in jobs]
    remote = client.scatter(args[3], broadcast=True)  # the data, once per worker
    futures = [client.submit(_score, args[0], args[1], args[2], remote, args[4], job,
                             pure=False) for job in jobs]
    return client.gather(futures)


# ------------------------------------------------------------------ assembly
def _frontier_label(key: tuple, periods: list[int]) -> str:
    if key[0] == "global":
        return f"global {periods[0]}-{periods[-1]}"
    if key[0] == "sequential":
        return f"sequential {periods[0]}-{periods[key[1]]}"
    return f"contemporaneous {periods[key[1]]}"


def _affects(kind: int, t: int, periods: list[int], spec: GTFPSpec) -> str:
    def pair(a: int) -> str:
        return f"{periods[a]}~{periods[a + 1]}"

    n = len(periods)
    if kind == 0:
        parts = ["inefficiency"]
        if spec.index != "none":
            pairs = [pair(a) for a in (t - 1, t) if 0 <= a < n - 1]
            what = ("tfpch, tecch" if spec.technology == "global" else "tfpch, tech, tecch")
            parts += [f"{what} of {p}" for p in pairs]
        return "; ".join(parts)
    if kind == 3:
        return "; ".join(f"tech, tecch of {pair(a)}" for a in (t - 1, t) if 0 <= a < n - 1)
    a = t if kind == 1 else t - 1
    return f"tfpch, tecch of {pair(a)}"


def _distance(spec: GTFPSpec, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distance an index is built on, and where it is undefined (radial DDF with
    ``1 + beta <= 0`` in the ratio form)."""
    if spec.form == "difference":
        return value, np.zeros(value.shape, bool)
    if spec.model == "sbm":
        return value, np.zeros(value.shape, bool)
    mult = spec.multipliers()
    outward = any(mult[v] > 0 for v in (*spec.desirable, *spec.undesirable))
    if outward:
        undefined = 1.0 + value <= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 1.0 / (1.0 + value)
        return np.where(undefined, np.nan, d), undefined
    return 1.0 - value, (1.0 - value) <= 0


def run(spec: GTFPSpec | dict | str | Path, *, panel: Panel | pd.DataFrame | None = None,
        workers: int | None = None, scheduler: str | None = None, client: Any = None
        ) -> GTFPResult:
    """Green total-factor productivity: DEA scores and, with an index, productivity change.

    Parameters
    ----------
    spec : GTFPSpec, mapping, or path to a YAML file
        See :class:`gipro.gtfp.GTFPSpec`.
    panel : Panel or pandas.DataFrame, optional
        The data, instead of the spec's ``data:`` (a DataFrame is wide: the spec's
        ``data.unit`` and ``data.period`` columns, default ``unit`` and ``period``, and one
        column per variable).
    workers : int, optional
        Score the jobs on a local Dask cluster of this many processes.
    scheduler : str, optional
        Address of a running Dask scheduler.
    client : distributed.Client, optional
        An existing Dask client.

    Returns
    -------
    GTFPResult

    Raises
    ------
    InputError
        Invalid spec; variables, units or periods not in the data; a unit missing a period
        (with an index); missing, zero or negative values (each cell named).

    Examples
    --------
    A makes 1 unit of output in period 1 and 2 in period 2 with the same input and emission;
    B makes 2 in both. Against the global frontier A's period-1 distance is 1/(1 + 1/3)
    (hand calculation, as in :func:`gipro.methods.dea.ddf`), so its TFPCH is 4/3, all of
    it efficiency change (the frontier did not move):

    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": ["A", "B"] * 2, "period": [1, 1, 2, 2],
    ...                    "x": [1.0, 1.0, 1.0, 1.0], "y": [1.0, 2.0, 2.0, 2.0],
    ...                    "b": [1.0, 1.0, 1.0, 1.0]})
    >>> res = run({"inputs": ["x"], "desirable": ["y"], "undesirable": ["b"],
    ...            "technology": "global"}, panel=df)
    >>> res.productivity[["tfpch", "tech", "tecch"]].round(4).to_numpy().tolist()
    [[1.3333, 1.3333, 1.0], [1.0, 1.0, 1.0]]
    """
    t0 = time.perf_counter()
    if isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif isinstance(spec, dict):
        spec = GTFPSpec.from_dict(spec)
    elif not isinstance(spec, GTFPSpec):
        raise InputError(f"spec must be a GTFPSpec, a mapping or a YAML path, got "
                         f"{type(spec).__name__}")
    pan = _panel(spec, panel)
    units, periods, cube, notes, suspect = _checked_cube(spec, pan)
    n_units, n_periods = len(units), len(periods)
    present = ~np.isnan(cube).any(axis=2)
    m, s = len(spec.inputs), len(spec.desirable)
    roles = (m, s, len(spec.undesirable))
    data = np.nan_to_num(cube.reshape(n_units * n_periods, -1), nan=1.0)
    mult = np.array([spec.multipliers()[v] for v in spec.variables])
    params: dict[str, Any] = {"returns": spec.returns}
    if spec.model == "nonradial_ddf":
        params["weights"] = spec.weight_vector()
    if spec.model == "sbm":
        params["super_efficiency"] = spec.super_efficiency
    jobs = _jobs(spec, present)
    from ..cluster import connect

    with connect(workers=workers, scheduler=scheduler, client=client, optional=True) as c:
        results = _execute(jobs, (spec.model, params, roles, data, mult), c)

    n_obs, n_var = n_units * n_periods, len(spec.variables)
    value = np.full((len(_KINDS), n_obs), np.nan)
    status = np.full((len(_KINDS), n_obs), -1)
    beta = np.full((n_obs, n_var), np.nan)
    slack = np.full((n_obs, n_var), np.nan)
    sup = np.zeros(n_obs, bool)
    bad_rows = []
    n_lp = 0
    for job, r in zip(jobs, results, strict=True):
        n_lp += r.n_lp
        value[job.kinds, job.evals] = r.value
        status[job.kinds, job.evals] = r.status
        own = job.kinds == 0
        if r.beta.shape[1]:
            beta[job.evals[own]] = r.beta[own]
        if r.slacks.shape[1]:
            slack[job.evals[own]] = r.slacks[own]
        sup[job.evals[own]] = r.super_efficient[own]
        for j in np.nonzero(r.status != dea.STATUS_OPTIMAL)[0]:
            o = int(job.evals[j])
            u, t = divmod(o, n_periods)
            bad_rows.append({"unit": units[u], "period": periods[t],
                             "technology": _frontier_label(job.frontier, periods),
                             "status": {2: "infeasible", 3: "unbounded"}.get(
                                 int(r.status[j]), "failed"),
                             "reason": dea.STATUS_TEXT[int(r.status[j])],
                             "affects": _affects(int(job.kinds[j]), t, periods, spec)})

    # efficiency table
    obs = np.nonzero(present.ravel())[0]
    u_idx, t_idx = np.divmod(obs, n_periods)
    eff = pd.DataFrame({"unit": [units[i] for i in u_idx],
                        "period": [periods[i] for i in t_idx]})
    own_val = value[0, obs]
    if spec.model == "sbm":
        eff["inefficiency"] = 1.0 - own_val
        eff["efficiency"] = own_val
    else:
        eff["inefficiency"] = own_val
    if spec.model == "ddf":
        d, undefined = _distance(spec.model_copy(update={"index": "malmquist_luenberger"}),
                                 own_val)
        eff["efficiency"] = d
    if spec.model == "nonradial_ddf":
        for j, v in enumerate(spec.variables):
            eff[f"beta_{v}"] = beta[obs, j]
    if spec.model in ("nonradial_ddf", "sbm", "sbm_ddf"):
        for j, v in enumerate(spec.variables):
            eff[f"slack_{v}"] = slack[obs, j]
    if spec.model == "sbm" and spec.super_efficiency:
        eff["super_efficient"] = sup[obs].astype(int)
        notes.append(f"super-efficiency: {int(sup[obs].sum())} unit-period(s) on the frontier "
                     "scored by the super-efficiency SBM (efficiency above 1)")

    # productivity table
    productivity = None
    if spec.index != "none":
        dist, undefined = _distance(spec, value)
        for k, o in zip(*np.nonzero(undefined), strict=True):
            u, t = divmod(int(o), n_periods)
            bad_rows.append({"unit": units[u], "period": periods[t], "technology": "",
                             "status": "undefined",
                             "reason": f"beta = {value[k, o]:.6g} <= -1: the ratio "
                                       "1/(1+beta) of the Malmquist-Luenberger index is not "
                                       "defined for an observation this far outside",
                             "affects": _affects(k, t, periods, spec)})
        shape = (n_units, n_periods)
        own_d = dist[0].reshape(shape)
        if spec.technology == "global":
            cont = dist[3].reshape(shape)
            fn = (prod.global_malmquist_luenberger if spec.form == "ratio"
                  else prod.global_luenberger)
            tfpch, tech, tecch = fn(own_d, cont)
        else:
            fn = prod.malmquist_luenberger if spec.form == "ratio" else prod.luenberger
            tfpch, tech, tecch = fn(own_d, dist[1].reshape(shape), dist[2].reshape(shape))
        ratio = spec.form == "ratio"
        productivity = pd.DataFrame({
            "unit": np.repeat(units, n_periods - 1),
            "period_from": np.tile(periods[:-1], n_units),
            "period_to": np.tile(periods[1:], n_units),
            "tfpch": tfpch.ravel(), "tech": tech.ravel(), "tecch": tecch.ravel(),
            "tfpch_cumulative": prod.cumulative(tfpch, ratio).ravel(),
            "tech_cumulative": prod.cumulative(tech, ratio).ravel(),
            "tecch_cumulative": prod.cumulative(tecch, ratio).ravel(),
        })
    infeasible = pd.DataFrame(bad_rows, columns=["unit", "period", "technology", "status",
                                                 "reason", "affects"])
    if len(infeasible):
        notes.append(f"{len(infeasible)} LP(s) without an optimum: the values they feed are "
                     "missing (see infeasible.csv for each unit, period and reason)")
    return GTFPResult(spec, eff, productivity, infeasible, notes, pan.units.loc[units],
                      n_lp, time.perf_counter() - t0, suspect)
