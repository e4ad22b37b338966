"""Scenarios on park data: compliance changes against park frameworks, and the park26 index.

The same scenario specs as for composite builds, applied to :class:`~gipro.parks.ParkData`
(units are parks, periods are years, indicators are catalogue codes; yes/no indicators are
1/0). Each scenario's changed data are assessed with the compliance engine
(:func:`gipro.parks.assess`) against each chosen framework, and compared with the assessment
of the unchanged data: requirement outcomes (met / partly met / not met ...) and gaps,
verdicts, and compliance shares per category. The park26 composite index is evaluated with
the composite machinery (:func:`gipro.scenario.evaluate`, frozen bounds).

The ``meet`` operation brings a park's value to a requirement's threshold where it is not
met -- "what if every park met the wastewater target?" -- using the threshold that applies to
that park (variants by park attributes). For ``>=``, ``<=`` and ``==`` the value becomes the
threshold (plus ``margin`` in the better direction); strict ``>`` and ``<`` need a ``margin``
> 0; ``between`` moves the value to the nearer bound; ``present`` sets yes (1).
Requirements that do not apply to a park leave it unchanged. Thresholds marked unverified stay
marked in every output (the frameworks' ``verified`` flag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import GiproError, InputError
from ..parks.data import ParkData
from ..parks.engine import Assessment, assess, resolve_context
from ..parks.model import load_catalogue, load_park_framework
from ..parks.scorecard import park26
from .changes import apply_changes, default_domains
from .cube import Cube
from .evaluate import (
    Evaluation,
    ScenarioRun,
    base_cube,
    derived_note,
    evaluation_tables,
    frozen_fits,
    scenario_build,
    scenario_recipe,
)
from .relations import Relation, load_relations, merge_relations
from .spec import Change, EvaluationOptions, ParkOptions, Scenario

__all__ = ["ParkEvaluation", "evaluate_parks", "park_cube"]


@dataclass
class ParkEvaluation:
    """Park scenarios compared with the unchanged data.

    Attributes
    ----------
    data : ParkData
        The unchanged (possibly projected) park data.
    scenarios : dict of str to ParkData
        Each scenario's changed data.
    tables : dict of str to pandas.DataFrame
        ``requirement_changes`` (per scenario, framework, park, year and requirement whose
        value or outcome changed: outcome, value and gap before and after, ``verified``),
        ``verdict_changes`` (every park-year: verdict before and after),
        ``share_changes`` (compliance share per category before and after), ``changes``
        (the change log, recomputed derived indicators included: ``op`` ``recomputed``),
        ``overview`` (one row per scenario and framework: values changed and recomputed,
        warnings, outcomes and verdicts changed; a ``park26`` row with the index's mean
        change), and, when park26 is evaluated, ``park26_index`` and ``park26_scores``.
    notes : list of str
    park26 : Evaluation or None
    descriptions : dict of str to str
    change_notes : dict of str to list of str
        Per scenario: what each change did, what was recomputed from it, and warnings.
    specs : dict of str to Scenario
        The scenarios as run (written to ``scenarios.yaml``).
    options : EvaluationOptions, optional
    park_options : ParkOptions, optional
    """

    data: ParkData
    scenarios: dict[str, ParkData]
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    park26: Evaluation | None = None
    descriptions: dict[str, str] = field(default_factory=dict)
    change_notes: dict[str, list[str]] = field(default_factory=dict)
    specs: dict[str, Scenario] = field(default_factory=dict)
    options: EvaluationOptions | None = None
    park_options: ParkOptions | None = None

    def summary(self) -> str:
        lines = []
        if self.data.synthetic:
            lines.append("SYNTHETIC example data -- illustrative parks, not real measurements")
        lines.append("Park scenarios against the unchanged data:")
        lines += [f"  - {n}" for n in self.notes]
        req = self.tables["requirement_changes"]
        ver = self.tables["verdict_changes"]
        for name in self.scenarios:
            lines.append("")
            desc = self.descriptions.get(name)
            lines.append(name + (f": {desc}" if desc else ""))
            lines += [f"  {n}" for n in self.change_notes.get(name, [])]
            for fw, r in req[req["scenario"] == name].groupby("framework", sort=False):
                flips = r[r["outcome_base"] != r["outcome_scenario"]]
                now_met = int((flips["outcome_scenario"] == "met").sum())
                lost = int((flips["outcome_base"] == "met").sum())
                lines.append(f"  {fw}: {len(r)} requirement values changed, {len(flips)} "
                             f"outcomes changed ({now_met} now met, {lost} no longer met)")
            v = ver[(ver["scenario"] == name) & (ver["outcome_base"] != ver["outcome_scenario"])]
            for x in v.itertuples():
                mark = "" if x.verified_scenario else " [rests on unverified thresholds]"
                lines.append(f"    {x.framework} {x.park} {x.year}: {x.outcome_base} -> "
                             f"{x.outcome_scenario}{mark}")
            if v.empty:
                lines.append("    no verdict changes")
        if self.park26 is not None:
            lines.append("")
            lines.append(self.park26.summary())
        return "\n".join(lines)

    def write(self, out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Every table as ``<name>.csv`` (or ``.parquet``), ``summary.txt`` and
        ``scenarios.yaml`` (:func:`gipro.tables.output_folder`)."""
        from ..tables import output_folder, write_table, write_text, yaml_text

        out = Path(out_dir)
        files: dict[str, Path] = {}
        status = "SYNTHETIC" if self.data.synthetic else "user data"
        spec: dict[str, Any] = {}
        if self.park_options is not None:
            spec["parks"] = self.park_options.model_dump(mode="json")
        if self.options is not None:
            spec["evaluation"] = self.options.model_dump(mode="json", exclude_defaults=True)
        spec["scenarios"] = [s.model_dump(mode="json", exclude_unset=True)
                             for s in self.specs.values()]
        with output_folder(out, kind="scenario"):
            for name, df in self.tables.items():
                if "data_status" not in df.columns:
                    df = df.copy()
                    df.insert(0, "data_status", status)
                files[name] = write_table(df, out / name, fmt)
            files["summary"] = write_text(out / "summary.txt", self.summary() + "\n")
            files["scenarios"] = out / "scenarios.yaml"
            yaml_text(spec, files["scenarios"])
        return files


def park_cube(data: ParkData, horizon: int | None = None,
              domains: dict | None = None,
              relations: Sequence[Relation] | bool = True) -> Cube:
    """Park data as a cube: parks x years x numeric and yes/no indicators (1/0).

    Categories are left out (change them in the data). Directions come from the catalogue
    (yes/no: yes is better). Years after the last one up to ``horizon`` copy the last year.
    ``relations``: ``True`` attaches the park indicators' relations
    (``load_relations("parks")``: energy productivity = 1 / energy per IVA, ...), a sequence
    adds these to them, ``False`` none.
    """
    cat = load_catalogue()
    kinds = {i.code: i for i in cat.indicators}
    codes = [c for c in data.indicators if kinds[c].kind in ("number", "boolean")]
    years = list(data.years)
    parks = list(data.park_codes)
    v = data.values[data.values["indicator"].isin(codes)]
    wide = v.pivot_table(index=["year", "park"], columns="indicator", values="value",
                         aggfunc="first", dropna=False)
    full = pd.MultiIndex.from_product([years, parks], names=["year", "park"])
    arr = wide.reindex(index=full, columns=codes).to_numpy(dtype=float).reshape(
        len(years), len(parks), len(codes))
    last = years[-1]
    if horizon is not None:
        if horizon <= last:
            raise InputError(f"horizon {horizon} is not after the last year {last}")
        extra = list(range(last + 1, horizon + 1))
        arr = np.concatenate([arr, np.repeat(arr[-1:], len(extra), axis=0)], axis=0)
        years = years + extra
    directions = {c: (kinds[c].direction or 1) if kinds[c].kind == "number" else 1
                  for c in codes}
    dom = default_domains(arr, codes, {c: kinds[c].unit for c in codes})
    for c in codes:
        if kinds[c].kind == "boolean":
            dom[c] = (0.0, 1.0)
    for c, rng in (domains or {}).items():
        if c not in set(codes):
            raise InputError(f"domains given for {c!r}, which is not in the park data")
        dom[c] = (rng[0], rng[1])
    rel: list[Relation] = []
    if relations is not False:
        rel = load_relations("parks")
        if not isinstance(relations, bool):
            rel = merge_relations(rel, list(relations), codes)
    return Cube(arr, years, parks, codes, last, directions, data.parks, dom, tuple(rel))


def _to_data(data: ParkData, cube: Cube, base: Cube, label: str) -> ParkData:
    """ParkData with the cube's values where they differ from ``base`` (rows added for new
    values and projected years)."""
    bv = base.values
    diff = ~((cube.values == bv) | (np.isnan(cube.values) & np.isnan(bv)))
    p, u, k = np.nonzero(diff)
    vals = data.values.copy()
    if len(p):
        upd = pd.DataFrame({"park": np.array(cube.units, dtype=object)[u],
                            "year": np.array(cube.periods)[p],
                            "indicator": np.array(cube.codes, dtype=object)[k],
                            "new": cube.values[p, u, k]})
        key = ["park", "year", "indicator"]
        vals = vals.merge(upd, on=key, how="outer")
        vals["value"] = np.where(vals["new"].notna() | vals["value"].isna(),
                                 vals["new"], vals["value"])
        vals = vals.drop(columns="new")
        vals = vals[vals["value"].notna() | vals["level"].notna()]
    vals = vals.sort_values(["park", "year", "indicator"], ignore_index=True)
    observed = data.park_years
    return ParkData(vals, data.parks, data.coverage, [*data.notes, label], data.origin,
                    observed)


def _projected(data: ParkData, cube: Cube) -> ParkData:
    """Park data with projected years (copies of the last year, categories included)."""
    extra = [y for y in cube.periods if y > cube.last_observed]
    if not extra:
        return data
    last = data.values[data.values["year"] == cube.last_observed]
    rows = [last.assign(year=y) for y in extra]
    vals = pd.concat([data.values, *rows], ignore_index=True).sort_values(
        ["park", "year", "indicator"], ignore_index=True)
    obs = pd.concat([data.park_years,
                     *[data.park_years[data.park_years["year"] == cube.last_observed]
                       .assign(year=y) for y in extra]], ignore_index=True)
    return ParkData(vals, data.parks, data.coverage,
                    [*data.notes, f"years {extra[0]}-{extra[-1]} are copies of "
                     f"{cube.last_observed} (projection, no trend)"], data.origin, obs)


def _meet(data: ParkData):
    """The threshold callback for ``meet`` changes (see :func:`apply_changes`)."""
    cache: dict[str, pd.DataFrame] = {}

    def thresholds(ch: Change, code: str, periods: list[int], units: list[str],
                   cur: np.ndarray) -> np.ndarray:
        fw = load_park_framework(ch.framework)
        req = next((r for r in fw.requirements if r.code == ch.requirement), None)
        where = f"meet {ch.framework} {ch.requirement}"
        if req is None:
            raise InputError(f"{where}: no such requirement",
                             [f"requirements: {', '.join(r.code for r in fw.requirements)}"])
        if req.indicator != code:
            raise InputError(f"{where} reads indicator {req.indicator!r}; the change names "
                             f"{code!r}", [f"write indicators: [{req.indicator}]"])
        if fw.code not in cache:
            cache[fw.code] = resolve_context(fw, data.parks).set_index(
                ["park", "requirement"])
        ctx = cache[fw.code]
        rows = ctx.xs(req.code, level="requirement").reindex(units)
        lo = rows["t_lo"].to_numpy(dtype=float)
        hi = rows["t_hi"].to_numpy(dtype=float)
        applies = rows["applicable"].to_numpy(dtype=bool)
        has_t = rows["has_threshold"].to_numpy(dtype=bool)
        ok = applies & has_t & (rows["context_missing"] == "").to_numpy()
        if not (applies & has_t).any():
            which = ("for the selected parks" if has_t.any() or
                     any(v.threshold is not None for v in req.variants) else "")
            raise InputError(
                f"{where}: the requirement has no threshold {which}".rstrip()
                + f" ({getattr(req.name, 'en', None) or req.code}; comparator "
                f"{req.comparator}), so there is no value to meet"
                + (" -- it does not apply to them" if has_t.any() else ""),
                [f"framework note: {req.note}" if getattr(req, "note", None) else
                 "the framework states no threshold for it",
                 f"set the value you mean instead: op: set on {code} with value: ..."])
        comp = req.comparator
        m = ch.margin
        if comp in (">", "<") and not m > 0:
            raise InputError(f"{where}: the comparator is strict ({comp}); give margin > 0 "
                             "(how far beyond the threshold to go)")
        if comp == "present":
            t = np.where(ok, 1.0, np.nan)
            return np.where(cur == 1.0, cur, t[None, :])
        if comp == "between":
            t = np.clip(cur, lo[None, :], hi[None, :])
            return np.where(ok[None, :], t, np.nan)
        if comp == "==" and rows["t_level"].notna().any():
            raise InputError(f"{where}: a category requirement; change the data instead")
        if comp in (">=", ">"):
            t = lo + m
            new = np.where(cur >= t[None, :], cur, t[None, :])
        elif comp in ("<=", "<"):
            t = lo - m
            new = np.where(cur <= t[None, :], cur, t[None, :])
        else:  # ==
            new = np.broadcast_to(lo[None, :], cur.shape)
        return np.where(ok[None, :], new, np.nan)

    return thresholds


def evaluate_parks(
    data: ParkData,
    scenarios: Sequence[Scenario] | Scenario,
    *,
    parks: ParkOptions | Mapping[str, Any] | None = None,
    options: EvaluationOptions | Mapping[str, Any] | None = None,
) -> ParkEvaluation:
    """Evaluate scenarios on park data: compliance changes per framework, and park26.

    Parameters
    ----------
    data : ParkData
    scenarios : Scenario or sequence
    parks : ParkOptions, optional
        ``frameworks`` (default hj274, miit, eip), ``tolerance`` (partly-met band),
        ``park26`` (evaluate the park26 index too, default true).
    options : EvaluationOptions, optional
        ``horizon`` projects the data (copies of the last year), ``domains``; for park26
        also ``bounds`` and ``clip``.

    Returns
    -------
    ParkEvaluation

    Raises
    ------
    InputError
        Invalid changes (unknown parks, indicators, requirements; values outside their
        feasible range).

    Examples
    --------
    >>> from gipro import parks
    >>> from gipro.scenario import Scenario, evaluate_parks
    >>> s = Scenario(name="ww", changes=[{"op": "meet", "framework": "hj274",
    ...     "requirement": "HJ-27", "indicators": ["wastewater_per_iva"], "periods": "all"}])
    >>> ev = evaluate_parks(parks.example(), s)
    >>> r = ev.tables["requirement_changes"]
    >>> sorted(set(r.loc[r["requirement"] == "HJ-27", "outcome_scenario"]))
    ['met']
    """
    popts = parks if isinstance(parks, ParkOptions) else ParkOptions.model_validate(
        dict(parks or {}))
    opts = options if isinstance(options, EvaluationOptions) else \
        EvaluationOptions.model_validate(dict(options or {}))
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    cube = park_cube(data, opts.horizon, opts.domains,
                     relations=opts.relations if opts.derived == "recompute" else False)
    data0 = _projected(data, cube)
    notes = [f"frameworks: {', '.join(popts.frameworks)}; partly met within "
             f"{popts.tolerance:.0%} of a threshold"]
    if opts.horizon is not None:
        notes.append(f"projection: years {cube.last_observed + 1}-{opts.horizon} are copies of "
                     f"{cube.last_observed} (no trend) before the changes")
    fws = [load_park_framework(f) for f in popts.frameworks]
    base_as = {f.code: assess(f, data0, tolerance=popts.tolerance) for f in fws}
    thresholds = _meet(data0)
    changed: dict[str, ParkData] = {}
    req_rows, ver_rows, share_rows, logs = [], [], [], []
    runs: list[tuple[Scenario, Cube, pd.DataFrame, list[str]]] = []
    for s in scenarios:
        c2, log, cnotes = apply_changes(cube, s, thresholds=thresholds)
        runs.append((s, c2, log, cnotes))
        logs.append(log)
        d2 = _to_data(data0, c2, cube, f"scenario {s.name}")
        changed[s.name] = d2
        for f in fws:
            a2 = assess(f, d2, tolerance=popts.tolerance)
            req_rows.append(_req_changes(s.name, base_as[f.code], a2))
            ver_rows.append(_verdict_changes(s.name, base_as[f.code], a2))
            share_rows.append(_share_changes(s.name, base_as[f.code], a2))
    tables = {
        "requirement_changes": pd.concat(req_rows, ignore_index=True),
        "verdict_changes": pd.concat(ver_rows, ignore_index=True),
        "share_changes": pd.concat(share_rows, ignore_index=True),
        "changes": pd.concat(logs, ignore_index=True),
    }
    notes.append(derived_note(cube, opts))
    ev26 = None
    if popts.park26:
        try:
            ev26 = _park26(data, runs, opts)
        except GiproError as exc:
            notes.append(f"park26 index not evaluated: {exc.message}")
        if ev26 is not None:
            tables["park26_index"] = ev26.tables["index"]
            tables["park26_scores"] = ev26.tables["scores"]
            if "contributions" in ev26.tables:
                tables["park26_contributions"] = ev26.tables["contributions"]
    tables["overview"] = _overview(runs, tables, [f.code for f in fws], ev26)
    return ParkEvaluation(data0, changed, tables, notes, ev26,
                          {s.name: s.description or "" for s in scenarios},
                          {s.name: cn for s, _, _, cn in runs},
                          {s.name: s for s in scenarios}, opts, popts)


def _overview(runs, tables: dict[str, pd.DataFrame], frameworks: list[str],
              ev26: Evaluation | None) -> pd.DataFrame:
    """One row per scenario and framework (and park26): what changed."""
    req, ver = tables["requirement_changes"], tables["verdict_changes"]
    rows = []
    for s, _, log, cnotes in runs:
        real = log[~((log["old"] == log["new"]) | (log["old"].isna() & log["new"].isna()))]
        common = {"scenario": s.name, "description": s.description or "",
                  "n_changes": len(s.changes),
                  "values_changed": int((real["op"] != "recomputed").sum()),
                  "values_recomputed": int((real["op"] == "recomputed").sum()),
                  "warnings": sum(n.strip().startswith("warning:") for n in cnotes)}
        for fw in frameworks:
            r = req[(req["scenario"] == s.name) & (req["framework"] == fw)]
            flips = r[r["outcome_base"] != r["outcome_scenario"]]
            v = ver[(ver["scenario"] == s.name) & (ver["framework"] == fw)]
            rows.append({**common, "framework": fw,
                         "requirement_values_changed": len(r),
                         "outcomes_changed": len(flips),
                         "now_met": int((flips["outcome_scenario"] == "met").sum()),
                         "no_longer_met": int((flips["outcome_base"] == "met").sum()),
                         "verdicts_changed": int(v["changed"].sum())})
        if ev26 is not None and s.name in set(ev26.tables["overview"]["scenario"]):
            o = ev26.tables["overview"].set_index("scenario").loc[s.name]
            rows.append({**common, "framework": "park26", "period": int(o["period"]),
                         "index_mean_change": float(o["mean_change"]),
                         "units_changed": int(o["units_changed"]),
                         "units_up": int(o["units_up"]), "units_down": int(o["units_down"])})
    out = pd.DataFrame(rows)
    for c in ("requirement_values_changed", "outcomes_changed", "now_met", "no_longer_met",
              "verdicts_changed", "period", "units_changed", "units_up", "units_down"):
        if c in out:
            out[c] = out[c].astype("Int64")
    return out


def _park26(data: ParkData, runs, opts: EvaluationOptions) -> Evaluation | None:
    """park26 index of each scenario, frozen at the unchanged data's bounds."""
    try:
        build = park26(data)
    except InputError as exc:
        raise InputError(f"the data lack park26 indicators ({exc.message})") from None
    base = base_cube(build, opts.horizon, relations=False)  # values come propagated
    states, notes = frozen_fits(build, opts.clip) if opts.bounds == "frozen" else ({}, [])
    _, rnotes = scenario_recipe(build, base.periods, opts.bounds == "frozen")
    notes = ["park26 index: " + n for n in notes + rnotes]
    reference = scenario_build(build, base, bounds=opts.bounds, clip=opts.clip,
                               label="park26 baseline data")
    out: dict[str, ScenarioRun] = {}
    for s, c2, log, _ in runs:
        cube = base.copy()
        common = [c for c in cube.codes if c in set(c2.codes)]
        for c in common:
            cube.values[:, :, cube.codes.index(c)] = c2.values[:, :, c2.codes.index(c)]
        b = scenario_build(build, cube, bounds=opts.bounds, clip=opts.clip,
                           label=f"park26, scenario {s.name!r}")
        out[s.name] = ScenarioRun(s, b, cube, log[log["indicator"].isin(common)],
                                  [])  # the change notes are in the park section
    period = opts.period if opts.period in base.periods else base.periods[-1]
    ev = Evaluation(build, reference, out, opts, period, notes, cube=base)
    ev.tables = evaluation_tables(ev, states)
    return ev


_KEY = ["framework", "park", "year", "requirement"]


def _req_changes(name: str, a: Assessment, b: Assessment) -> pd.DataFrame:
    cols = ["value", "outcome", "gap", "gap_pct"]
    left = a.requirements[[*_KEY, "name", "indicator", "comparator", "threshold", "status",
                           "verified", "flag", *cols]]
    right = b.requirements[[*_KEY, *cols]]
    m = left.merge(right, on=_KEY, suffixes=("_base", "_scenario"))
    vb, vs = m["value_base"].to_numpy(dtype=float), m["value_scenario"].to_numpy(dtype=float)
    changed = ~((vb == vs) | (np.isnan(vb) & np.isnan(vs))) | (
        m["outcome_base"] != m["outcome_scenario"])
    m = m[changed].copy()
    m.insert(0, "scenario", name)
    return m.reset_index(drop=True)


def _verdict_changes(name: str, a: Assessment, b: Assessment) -> pd.DataFrame:
    key = ["framework", "park", "year"]
    left = a.verdicts[[*key, "outcome", "verdict", "verified"]]
    right = b.verdicts[[*key, "outcome", "verdict", "verified", "reasons"]]
    m = left.merge(right, on=key, suffixes=("_base", "_scenario"))
    m["changed"] = m["outcome_base"] != m["outcome_scenario"]
    m.insert(0, "scenario", name)
    return m


def _share_changes(name: str, a: Assessment, b: Assessment) -> pd.DataFrame:
    key = ["framework", "park", "year", "category"]
    left = a.categories[[*key, "n_met", "n_assessed", "share_met"]]
    right = b.categories[[*key, "n_met", "n_assessed", "share_met"]]
    m = left.merge(right, on=key, suffixes=("_base", "_scenario"))
    m["share_change"] = m["share_met_scenario"] - m["share_met_base"]
    m.insert(0, "scenario", name)
    return m
