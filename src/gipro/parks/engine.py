"""Compliance engine: every requirement of a park framework, for every park and year.

Outcomes of a requirement (column ``outcome``):

``met``
    The value satisfies the comparator and threshold (``present``: the park has it).
``partly met``
    Not met, but within the *tolerance band*: the gap is at most ``tolerance`` (default 10 %)
    of the threshold, ``gap_pct <= 100 * tolerance``. Only for numeric thresholds other than
    0 (a gap relative to 0 is undefined, so "0 events" is met or not met); yes/no and category
    requirements are met or not met. Partly met never counts as met in a verdict.
``not met``
    Otherwise.
``not applicable``
    The requirement's ``applies_when`` attributes do not match the park (e.g. the
    reclaimed-water target of HJ 274 for a park outside water-scarce regions).
``no data``
    The park has no value for the indicator (or the framework item reads no catalogue
    indicator, or a park attribute needed to choose the threshold is not given).
``no threshold (unverified)``
    The framework has no threshold for the item (the EIP v2.0 skeleton).

Values within a relative 1e-9 of the threshold count as equal to it (``>=``, ``<=``, ``==``,
``between``), so that 99.99999999999 % computed from enterprise records meets "== 100 %".

``gap`` is the distance to the threshold in the indicator's unit (0 when met): ``t - v`` for
``>=`` and ``>``, ``v - t`` for ``<=`` and ``<``, ``|v - t|`` for ``==``, the distance to the
nearer bound for ``between``; ``gap_pct = 100 * gap / |t|``.

Verdict per park and year (table ``verdicts``), in this order:

1. A prerequisite not met (or partly met) fails the park, whatever else it achieves.
2. With ``indicator_role: requirement`` (HJ 274, EIP): every mandatory item must be met and
   every k-of-n group must have at least k members met. With ``leading_value`` (MIIT):
   thresholds are leading values for the green index, mandatory items must be *reported* and
   each group must have k members reported.
3. An optional-item rule applies when its count is known; otherwise the verdict says it was
   not applied.
4. ``fail`` if any gate fails; else ``undetermined`` if a gating item has no data or no
   threshold; else ``pass``. ``verified`` is false when the verdict rests on any unverified
   threshold, status or structure, and the verdict text says so.

Compliance shares (table ``categories``): per category and overall, the share of assessed
requirements (met + partly met + not met; encouraged items excluded) that are met.

Improvement priorities (table ``priorities``): items not met or partly met, prerequisites
first, then mandatory items, group members, optional and encouraged items; within a status,
yes/no items first (a missing facility is a whole gap) and then the largest ``gap_pct``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..units import fraction_like, is_percent_unit, percent_outside
from .data import SYNTHETIC, ParkData
from .model import RequirementFramework, format_threshold, load_catalogue, load_park_framework

__all__ = ["OUTCOMES", "Assessment", "assess", "resolve_context"]

MET, PARTLY, NOT_MET = "met", "partly met", "not met"
NA, NO_DATA, NO_THRESHOLD = "not applicable", "no data", "no threshold (unverified)"
OUTCOMES = (MET, PARTLY, NOT_MET, NA, NO_DATA, NO_THRESHOLD)
_STATUS_ORDER = {"prerequisite": 0, "mandatory": 1, "group": 2, "optional": 3, "encouraged": 4}
UNVERIFIED_FLAG = "UNVERIFIED threshold"


@dataclass
class Assessment:
    """The result of :func:`assess`: tidy tables, one row per park-year-item.

    Attributes
    ----------
    framework : RequirementFramework
    requirements : pandas.DataFrame
        One row per park, year and requirement: ``data_status, framework, park, year,
        category, topic, requirement, name, indicator, unit, comparator, threshold,
        threshold_basis, threshold_kind, verified, flag, status, group, status_uncertain,
        value, value_label, outcome, gap, gap_pct, source``. ``verified`` is true when gipro
        read the threshold in its source or the user marked it with a source; ``flag`` is
        empty in the first case, ``verified by user: <source>`` in the second and
        ``UNVERIFIED threshold`` otherwise.
    groups : pandas.DataFrame
        One row per park, year and k-of-n group: members, k, counts, n_met, n_reported,
        n_unknown, outcome, ``verified`` (the rule and every member threshold) and
        ``verification`` of the rule itself.
    categories : pandas.DataFrame
        Counts of outcomes and ``share_met`` per park, year and category (``ALL`` overall).
    verdicts : pandas.DataFrame
        ``outcome`` (pass/fail/undetermined), ``verdict`` (the framework's wording),
        ``verified``, ``reasons``, ``caveats`` per park and year.
    priorities : pandas.DataFrame
        Requirements not met or partly met, ranked (``priority`` 1 = first).
    tolerance : float
        The partly-met band used.
    notes : list of str
        Policies applied (and the data's own notes).
    warnings : list of str
        Data that look wrong for a requirement and were NOT changed: a % indicator whose
        values are all fractions (within [0, 1]) against a threshold above 1 (an Excel %
        cell saved as 0.96 instead of 96). The requirement rows concerned say so in their
        ``check`` column; :meth:`summary` prints the warnings first.
    """

    framework: RequirementFramework
    requirements: pd.DataFrame
    groups: pd.DataFrame
    categories: pd.DataFrame
    verdicts: pd.DataFrame
    priorities: pd.DataFrame
    tolerance: float
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    warnings: list[str] = field(default_factory=list)

    def summary(self, year: int | None = None, top: int = 3) -> str:
        """A printable summary of the verdicts of one year (default: the latest).

        Every unverified threshold behind a verdict is marked, and synthetic data are labelled.
        """
        fw = self.framework
        v = self.verdicts
        if v.empty:
            return f"{fw.name.get('en')}: no parks assessed"
        year = int(v["year"].max()) if year is None else year
        v = v[v["year"] == year]
        lines = []
        if self.synthetic:
            lines.append("SYNTHETIC example data -- illustrative parks, not real measurements")
        first = self.requirements.drop_duplicates("requirement")
        n_unver = int((~first["verified"]).sum())
        n_user = int(first["flag"].str.startswith("verified by user").sum())
        n_all = self.requirements["requirement"].nunique()
        lines.append(f"{fw.name.get('en')} ({fw.code}), {year}: {n_unver} of {n_all} "
                     "thresholds UNVERIFIED (marked *)"
                     + (f", {n_user} verified by user" if n_user else ""))
        lines.extend(f"  WARNING: {w}" for w in self.warnings)
        lines.extend(f"  note: {n}" for n in fw.notes)
        cats = self.categories
        for r in v.itertuples():
            share = cats[(cats["park"] == r.park) & (cats["year"] == year) &
                         (cats["category"] == "ALL")]["share_met"]
            sh = f"{share.iloc[0]:.0%}" if len(share) and pd.notna(share.iloc[0]) else "n/a"
            mark = "" if r.verified else " [rests on unverified thresholds]"
            lines.append(f"  {r.park}: {r.outcome.upper()} -- {r.verdict}{mark}; "
                         f"{sh} of assessed requirements met")
            if r.reasons:
                lines.append(f"    reasons: {r.reasons}")
            pr = self.priorities
            pr = pr[(pr["park"] == r.park) & (pr["year"] == year)].head(top)
            for p in pr.itertuples():
                star = ("*" if not p.verified else
                        f" [{p.flag}]" if p.flag.startswith("verified by user") else "")
                gap = (f", gap {p.gap:.4g} {p.unit or ''} ({p.gap_pct:.0f} %)"
                       if pd.notna(p.gap_pct) else "")
                need = ("required: present" if p.comparator == "present"
                        else f"{p.comparator} {p.threshold}")
                check = " [CHECK: fraction for %?]" if getattr(p, "check", "") else ""
                lines.append(f"    priority {p.priority}: {p.requirement} {p.name} "
                             f"({p.status}; value {p.value_label or 'none'} vs {need}{star}"
                             f"{gap}){check}")
        return "\n".join(lines)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The five tables by name."""
        return {"requirements": self.requirements, "groups": self.groups,
                "categories": self.categories, "verdicts": self.verdicts,
                "priorities": self.priorities}

    def to_csv(self, out_dir: str | Path, prefix: str | None = None, fmt: str = "csv"
               ) -> dict[str, Path]:
        """Write the tables as ``<prefix>_<table>.csv`` (prefix: the framework code; or
        ``.parquet`` with ``fmt="parquet"``), as every output folder
        (:func:`gipro.tables.output_folder`)."""
        from ..tables import output_folder, write_table

        out = Path(out_dir)
        prefix = prefix or self.framework.code
        files = {}
        with output_folder(out, kind="assess"):
            for name, t in self.tables().items():
                files[f"{prefix}_{name}"] = write_table(t, out / f"{prefix}_{name}", fmt)
        return files


def _requirement_table(fw: RequirementFramework) -> pd.DataFrame:
    cat = load_catalogue()
    rows = []
    for k, r in enumerate(fw.requirements):
        kind = cat.get(r.indicator).kind if r.indicator else None
        ind_unit = cat.get(r.indicator).unit if r.indicator else None
        rows.append({
            "order": k, "requirement": r.code, "name": r.name.get("en"),
            "category": r.category, "topic": r.topic, "indicator": r.indicator, "kind": kind,
            "ind_unit": ind_unit,
            "unit": r.unit, "comparator": r.comparator, "status": r.status, "group": r.group,
            "status_uncertain": r.status_uncertain and not r.user_checked,
            "source": r.source,
            "req_verified": r.verified,
            "tolerance": np.nan if r.tolerance is None else r.tolerance,
        })
    return pd.DataFrame(rows)


def _split(t) -> tuple[float, float, object]:
    if t is None:
        return np.nan, np.nan, None
    if isinstance(t, tuple):
        return t[0], t[1], None
    if isinstance(t, str):
        return np.nan, np.nan, t
    return float(t), np.nan, None


def resolve_context(fw: RequirementFramework, parks: pd.DataFrame) -> pd.DataFrame:
    """Threshold of each (park, requirement) after ``applies_when`` and variants.

    Parameters
    ----------
    fw : RequirementFramework
    parks : pandas.DataFrame
        Park attributes indexed by park (:attr:`ParkData.parks`).

    Returns
    -------
    pandas.DataFrame
        One row per park and requirement: ``t_lo, t_hi`` (number or bounds), ``t_level``
        (category level), ``has_threshold``, ``verified`` (by gipro's reading or by the user
        with a source), ``verification`` (``verified``, ``verified by user: <source>`` or
        ``unverified``), ``threshold_basis`` ("default" or the variant chosen),
        ``threshold`` (text), ``applicable`` and ``context_missing`` (the park attributes
        needed but not given).
    """
    codes = [r.code for r in fw.requirements]
    grid = pd.MultiIndex.from_product([parks.index, codes], names=["park", "requirement"])
    n = len(grid)
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    level = np.full(n, None, dtype=object)
    has_t = np.zeros(n, dtype=bool)
    verified = np.zeros(n, dtype=bool)
    verification = np.full(n, "unverified", dtype=object)
    basis = np.full(n, "default", dtype=object)
    applicable = np.ones(n, dtype=bool)
    context_missing = np.full(n, "", dtype=object)
    park_pos = np.repeat(np.arange(len(parks)), len(codes))
    req_pos = np.tile(np.arange(len(codes)), len(parks))

    def match(when: dict) -> tuple[np.ndarray, np.ndarray]:
        """(matches, unknown) per park for a condition on park attributes."""
        ok = np.ones(len(parks), dtype=bool)
        unknown = np.zeros(len(parks), dtype=bool)
        for attr, vals in when.items():
            if attr not in parks.columns:
                unknown |= True
                continue
            col = parks[attr]
            unknown |= col.isna().to_numpy()
            ok &= col.isin(vals).to_numpy()
        return ok & ~unknown, unknown

    for j, r in enumerate(fw.requirements):
        rows = req_pos == j
        l0, h0, lev0 = _split(r.threshold)
        lo[rows], hi[rows], level[rows] = l0, h0, lev0
        has_t[rows] = r.threshold is not None
        verified[rows] = r.is_verified
        verification[rows] = r.verification
        if r.applies_when:
            ok, unknown = match(r.applies_when)
            applicable[rows] = ok[park_pos[rows]] | unknown[park_pos[rows]]
            missing = unknown[park_pos[rows]]
            context_missing[np.flatnonzero(rows)[missing]] = (
                "park attribute(s) " + ", ".join(r.applies_when) + " not given")
        assigned = np.zeros(len(parks), dtype=bool)
        for v in r.variants:
            ok, unknown = match(v.when)
            undecided = np.flatnonzero(rows)[(unknown & ~assigned)[park_pos[rows]]]
            basis[undecided] = ("default (park attribute(s) " + ", ".join(v.when) +
                                " not given)")
            pick = ok & ~assigned
            assigned |= ok
            sel = np.flatnonzero(rows)[pick[park_pos[rows]]]
            l1, h1, lev1 = _split(v.threshold)
            lo[sel], hi[sel], level[sel] = l1, h1, lev1
            has_t[sel] = v.threshold is not None
            verified[sel] = v.is_verified
            verification[sel] = v.verification
            basis[sel] = "variant: " + "; ".join(
                f"{a}={'/'.join(map(str, vals))}" for a, vals in v.when.items())
    thr = [format_threshold((a, b)) if not np.isnan(b) else
           (lv if lv is not None else format_threshold(None if np.isnan(a) else float(a)))
           for a, b, lv in zip(lo, hi, level, strict=True)]
    return pd.DataFrame({
        "park": grid.get_level_values(0), "requirement": grid.get_level_values(1),
        "t_lo": lo, "t_hi": hi, "t_level": level, "has_threshold": has_t,
        "verified": verified, "verification": verification, "threshold_basis": basis,
        "threshold": thr,
        "applicable": applicable, "context_missing": context_missing,
    })


def assess(
    framework: RequirementFramework | str | Path,
    data: ParkData,
    *,
    tolerance: float = 0.10,
    years: list[int] | None = None,
) -> Assessment:
    """Assess parks against a requirement framework.

    Parameters
    ----------
    framework : RequirementFramework, str or path
        A loaded framework, a built-in code (``hj274``, ``miit``, ``eip``) or a YAML path.
    data : ParkData
        Park indicators (catalogue codes and units) and park attributes.
    tolerance : float
        Partly-met band as a share of the threshold (default 0.10); a requirement's own
        ``tolerance`` overrides it.
    years : list of int, optional
        Years to assess (default: every year with data).

    Returns
    -------
    Assessment

    Raises
    ------
    InputError
        ``tolerance`` not in [0, 1); requested years not in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> from gipro.parks import ParkData, park_framework_from_dict
    >>> fw = park_framework_from_dict({
    ...     "code": "demo", "name": "Demo", "categories": [{"code": "E", "name": "Energy"}],
    ...     "requirements": [{"code": "E1", "name": "Energy per IVA", "category": "E",
    ...                       "indicator": "energy_per_iva", "unit": "tce/10k CNY",
    ...                       "comparator": "<=", "threshold": 0.5, "status": "mandatory",
    ...                       "verified": True}]})
    >>> data = ParkData.from_long(pd.DataFrame({"park": ["A", "B"], "year": [2020, 2020],
    ...     "indicator": ["energy_per_iva"] * 2, "value": [0.4, 0.54]}))
    >>> a = assess(fw, data)
    >>> a.requirements[["park", "outcome", "gap", "gap_pct"]].round(6).values.tolist()
    [['A', 'met', 0.0, 0.0], ['B', 'partly met', 0.04, 8.0]]
    >>> a.verdicts[["park", "outcome"]].values.tolist()
    [['A', 'pass'], ['B', 'fail']]
    """
    fw = load_park_framework(framework)
    if not 0 <= tolerance < 1:
        raise InputError(f"tolerance must be a share of the threshold, 0 <= tolerance < 1; "
                         f"got {tolerance}", ["0.10 means within 10 % of the threshold"])
    req = _requirement_table(fw)
    parks = data.parks
    ctx = resolve_context(fw, parks)

    # park-years: observed ones, and the latest year for parks without any data
    py = data.park_years
    if years is not None:
        unknown = sorted(set(years) - set(py["year"]))
        if unknown:
            raise InputError(f"years {unknown} are not in the park data",
                             [f"years with data: {sorted(set(py['year']))}"])
        py = py[py["year"].isin(years)]
    last = int(py["year"].max()) if len(py) else (max(years) if years else 0)
    seen = set(py["park"].tolist())
    empty = [p for p in parks.index if p not in seen]
    if empty:
        py = pd.concat([py, pd.DataFrame({"park": empty, "year": last})], ignore_index=True)
    py = py.sort_values(["park", "year"], ignore_index=True)

    t = py.merge(req, how="cross").merge(ctx, on=["park", "requirement"], how="left")
    t = t.merge(data.values.rename(columns={"level": "v_level"}),
                on=["park", "year", "indicator"], how="left")
    t = t.sort_values(["park", "year", "order"], ignore_index=True)

    v = t["value"].to_numpy(dtype=float)
    lo, hi = t["t_lo"].to_numpy(dtype=float), t["t_hi"].to_numpy(dtype=float)
    comp = t["comparator"].to_numpy(dtype=object)
    tol = np.where(np.isnan(t["tolerance"].to_numpy(dtype=float)), tolerance,
                   t["tolerance"].to_numpy(dtype=float))
    is_cat = (t["kind"] == "category").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        close = np.abs(v - lo) <= 1e-9 * np.maximum(1.0, np.abs(lo))
        met = np.select(
            [comp == ">=", comp == ">", comp == "<=", comp == "<", (comp == "==") & ~is_cat,
             comp == "between", comp == "present"],
            [(v >= lo) | close, v > lo, (v <= lo) | close, v < lo, close,
             ((v >= lo) | np.isclose(v, lo)) & ((v <= hi) | np.isclose(v, hi)), v == 1.0],
            default=False)
        gap = np.select(
            [np.isin(comp, [">=", ">"]), np.isin(comp, ["<=", "<"]), (comp == "==") & ~is_cat,
             comp == "between"],
            [np.maximum(lo - v, 0.0), np.maximum(v - lo, 0.0), np.where(close, 0.0,
                                                                          np.abs(v - lo)),
             np.maximum(np.maximum(lo - v, v - hi), 0.0)],
            default=np.nan)
        ref = np.where(comp == "between", np.where(v < lo, lo, hi), lo)
        gap_pct = np.where(np.abs(ref) > 0, 100.0 * gap / np.abs(ref), np.nan)
    cat_met = is_cat & (t["v_level"].to_numpy(dtype=object) == t["t_level"].to_numpy(
        dtype=object))
    met = np.where(is_cat, cat_met, met)
    gap = np.where(met & ~np.isnan(gap), 0.0, gap)  # within 1e-9 of the threshold
    gap_pct = np.where(met & np.isfinite(gap_pct), 0.0, gap_pct)
    numeric = ~is_cat & (comp != "present")
    partly = ~met & numeric & np.isfinite(gap_pct) & (gap_pct <= 100.0 * tol + 1e-9)
    has_value = ~np.isnan(v) | t["v_level"].notna().to_numpy()
    outcome = np.select(
        [~t["applicable"].to_numpy(dtype=bool),
         ~t["has_threshold"].to_numpy(dtype=bool) & (comp != "present"),
         (t["context_missing"] != "").to_numpy() | ~has_value,
         met, partly],
        [NA, NO_THRESHOLD, NO_DATA, MET, PARTLY], default=NOT_MET)
    t["outcome"] = outcome
    decided = np.isin(outcome, [MET, PARTLY, NOT_MET])
    t["gap"] = np.where(decided, gap, np.nan)
    t["gap_pct"] = np.where(decided, gap_pct, np.nan)
    t.loc[~has_value, "value"] = np.nan

    # labels
    kind = t["kind"].to_numpy(dtype=object)
    label = np.where(kind == "boolean", np.where(v == 1.0, "yes", np.where(v == 0.0, "no", "")),
                     "")
    label = np.where(kind == "category", t["v_level"].fillna("").to_numpy(dtype=object), label)
    num_label = pd.Series(v).map(lambda x: "" if np.isnan(x) else f"{x:.6g}").to_numpy()
    t["value_label"] = np.where((kind == "number") & has_value, num_label, label)
    t.loc[~has_value, "value_label"] = ""
    role = fw.verdict.indicator_role
    t["threshold_kind"] = np.where(
        (role == "leading_value") & t["status"].isin(["mandatory", "group", "optional"]),
        "leading value", "requirement")
    t["threshold"] = np.where(comp == "present", "present", t["threshold"])
    ver = t["verification"].to_numpy(dtype=object)
    t["flag"] = np.where(ver == "verified", "", np.where(ver == "unverified", UNVERIFIED_FLAG,
                                                         ver))
    t["data_status"] = t["park"].map(data.parks["data_status"]).to_numpy()
    t["framework"] = fw.code
    t["check"], warnings = _fraction_checks(t, data)
    t["check"], more = _percent_range_checks(t, t["check"].to_numpy(dtype=object))
    warnings += more
    cols = ["data_status", "framework", "park", "year", "category", "topic", "requirement",
            "name", "indicator", "unit", "comparator", "threshold", "threshold_basis",
            "threshold_kind", "verified", "flag", "status", "group", "status_uncertain",
            "value", "value_label", "outcome", "gap", "gap_pct", "source", "check"]
    reqs = t[cols].copy()
    reqs["verified"] = reqs["verified"].astype(bool)

    groups = _groups(fw, reqs)
    categories = _categories(reqs)
    verdicts = _verdicts(fw, reqs, groups, py, data)
    priorities = _priorities(reqs)
    notes = [
        f"partly met: not met but within {tolerance:.0%} of the threshold (gap_pct <= "
        f"{100 * tolerance:g}); numeric thresholds other than 0 only",
        "compliance shares: met / (met + partly met + not met), encouraged items excluded",
    ]
    if not fw.verdict.optional_rule_known:
        notes.append("optional-indicator rule: count not known, not applied (see verdicts)")
    notes += fw.notes
    notes += [f"WARNING: {w}" for w in warnings]
    return Assessment(fw, reqs, groups, categories, verdicts, priorities, tolerance,
                      notes + list(data.notes), synthetic=data.synthetic, warnings=warnings)


def _fraction_checks(t: pd.DataFrame, data: ParkData) -> tuple[np.ndarray, list[str]]:
    """Flag % indicators whose values look like fractions (a warning; nothing is rescaled).

    A park's values of an indicator measured in % (catalogue unit) that all lie within
    [0, 1], at least one above 0, read against a threshold above 1 %: typically a
    spreadsheet % cell saved as its fraction (96 % stored as 0.96), which would make the
    requirement look missed by 99 %. Values exactly 0 everywhere are not flagged (0 % is
    plausible in either scale). gipro does not rescale: a real 0.96 % (e.g. a small share)
    is possible, so the user decides. The rule is :func:`gipro.units.fraction_like`, which
    panel data share (:func:`gipro.panel.fraction_warnings`).

    Returns
    -------
    check : ndarray of str, shape (len(t),)
        The text for the requirement rows concerned, "" elsewhere.
    warnings : list of str
        One per indicator, naming the parks, the largest value and the requirements.
    """
    check = np.full(len(t), "", dtype=object)
    pct = t["ind_unit"].map(is_percent_unit).to_numpy(dtype=bool)
    comp = t["comparator"].to_numpy(dtype=object)
    numeric = np.isin(comp, [">=", ">", "<=", "<", "==", "between"])
    big = np.fmax(np.abs(t["t_lo"].to_numpy(dtype=float)),
                  np.abs(t["t_hi"].to_numpy(dtype=float))) > 1
    cand = pct & numeric & big
    if not cand.any():
        return check, []
    inds = set(t.loc[cand, "indicator"])
    v = data.values[data.values["indicator"].isin(inds)].dropna(subset=["value"])
    if v.empty:
        return check, []
    stats = v.groupby(["park", "indicator"])["value"].agg(["min", "max"])
    frac = stats[fraction_like(stats["min"], stats["max"])]  # the rule panel data share
    if frac.empty:
        return check, []
    key = pd.MultiIndex.from_arrays([t["park"], t["indicator"]])
    hit = cand & key.isin(frac.index)
    if not hit.any():
        return check, []
    largest = frac["max"].reindex(key[hit]).to_numpy(dtype=float)
    check[hit] = [f"every value of this park is within [0, 1] (largest {m:g}) but the "
                  "indicator is in % and the threshold above 1: fractions saved for "
                  "percentages? (gipro does not rescale)" for m in largest]
    warnings = []
    rows = t[hit]
    names = data.parks["name"] if "name" in data.parks.columns else pd.Series(dtype=object)
    for ind, g in rows.groupby("indicator", sort=False):
        parks = [_park_label(p, names.get(p)) for p in sorted(set(g["park"].astype(str)))]
        first = g.drop_duplicates("requirement")
        reqs = ("requirement" + ("s " if len(first) > 1 else " ") + ", ".join(
            f"{r} ({c} {th} %)" for r, c, th in first[
                ["requirement", "comparator", "threshold"]].itertuples(index=False)))
        m = float(frac.loc[(slice(None), ind), "max"].max())
        warnings.append(
            f"{ind} is in % but every value of {', '.join(parks)} is within [0, 1] "
            f"(largest {m:g}) while {reqs} has a threshold above 1: were fractions saved "
            f"instead of percentages (an Excel % cell: 96 % saved as 0.96)? If so, multiply "
            "them by 100; gipro does not rescale")
    return check, warnings


def _percent_range_checks(t: pd.DataFrame, check: np.ndarray
                          ) -> tuple[np.ndarray, list[str]]:
    """Flag values of % indicators outside [0, 100] (:func:`gipro.units.percent_outside`:
    a share of 250 % is a typing slip or another unit, and would count as "met"): the
    ``check`` text of the rows concerned (added to ``check``) and one warning per indicator
    naming the parks and years. Nothing is changed."""
    pct = t["ind_unit"].map(is_percent_unit).to_numpy(dtype=bool)
    val = t["value"].to_numpy(dtype=float)
    hit = pct & percent_outside(val)
    if not hit.any():
        return check, []
    out = check.copy()
    for i in np.flatnonzero(hit):
        note = f"value {val[i]:g} is outside [0, 100] for an indicator in %: check it"
        out[i] = f"{out[i]}; {note}" if out[i] else note
    warnings = []
    rows = t[hit].drop_duplicates(["park", "year", "indicator"])
    for ind, g in rows.groupby("indicator", sort=False):
        cells = [f"{p} {y} ({v:g})" for p, y, v in g[["park", "year", "value"]].itertuples(
            index=False)]
        warnings.append(f"{ind} is in % but has values outside [0, 100]: "
                        + ", ".join(cells[:10]) + (" ..." if len(cells) > 10 else "")
                        + "; a share cannot be negative or above 100 % (a typing slip or "
                        "another unit?); gipro does not change them")
    return out, warnings


def _park_label(code: str, name: Any) -> str:
    """A park as the report's tables show it, with its code: ``name (code)``; the code alone
    when the park has no name (or its name is the code).

    Examples
    --------
    >>> _park_label("NJCP", "Nanjing Chemical Park"), _park_label("P1", None)
    ('Nanjing Chemical Park (NJCP)', 'P1')
    """
    if not isinstance(name, str) or not name.strip() or name.strip() == code:
        return code
    return f"{name.strip()} ({code})"


def _groups(fw: RequirementFramework, reqs: pd.DataFrame) -> pd.DataFrame:
    cols = ["data_status", "framework", "park", "year", "group", "description", "at_least",
            "k", "counts", "members", "n_met", "n_partly", "n_reported", "n_unknown",
            "outcome", "verified", "verification"]
    if not fw.groups:
        return pd.DataFrame(columns=cols)
    g = reqs[reqs["status"] == "group"].copy()
    o = g["outcome"]
    g["is_member"] = o != NA
    g["is_met"] = o == MET
    g["is_partly"] = o == PARTLY
    g["is_reported"] = g["value"].notna() | (g["value_label"] != "")
    g["is_unknown"] = o.isin([NO_DATA, NO_THRESHOLD])
    agg = g.groupby(["data_status", "framework", "park", "year", "group"], sort=False).agg(
        members=("is_member", "sum"), n_met=("is_met", "sum"), n_partly=("is_partly", "sum"),
        n_reported=("is_reported", "sum"), n_unknown=("is_unknown", "sum"),
        verified_members=("verified", "all")).reset_index()
    spec = pd.DataFrame([{"group": x.code, "description": x.description,
                          "at_least": x.at_least, "counts": x.counts,
                          "group_verified": x.is_verified,
                          "verification": x.verification} for x in fw.groups])
    agg = agg.merge(spec, on="group", how="left")
    k = np.minimum(agg["at_least"], agg["members"])
    agg["k"] = k
    met_count = np.where(agg["counts"] == "reported", agg["n_reported"], agg["n_met"])
    unknown = np.where(agg["counts"] == "reported", 0, agg["n_unknown"])
    agg["outcome"] = np.select(
        [agg["members"] == 0, met_count >= k,
         (agg["counts"] == "reported") & (met_count < k),
         met_count + unknown >= k, (agg["n_met"] + agg["n_partly"]) > 0],
        [NA, MET, NO_DATA, NO_DATA, PARTLY], default=NOT_MET)
    agg["verified"] = agg["group_verified"] & agg["verified_members"]
    return agg[cols]


def _categories(reqs: pd.DataFrame) -> pd.DataFrame:
    r = reqs[reqs["status"] != "encouraged"]
    keys = ["data_status", "framework", "park", "year"]
    counted = r.groupby([*keys, "category"], sort=False)["outcome"].value_counts().unstack(
        fill_value=0)
    overall = r.groupby(keys, sort=False)["outcome"].value_counts().unstack(fill_value=0)
    overall["category"] = "ALL"
    overall = overall.reset_index().set_index([*keys, "category"])
    out = pd.concat([counted, overall]).reindex(columns=list(OUTCOMES), fill_value=0)
    out = out.fillna(0).astype(int)
    assessed = out[MET] + out[PARTLY] + out[NOT_MET]
    out = out.rename(columns={MET: "n_met", PARTLY: "n_partly", NOT_MET: "n_not_met",
                              NA: "n_not_applicable", NO_DATA: "n_no_data",
                              NO_THRESHOLD: "n_no_threshold"})
    out["n_assessed"] = assessed
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_met"] = np.where(assessed > 0, out["n_met"] / assessed.where(assessed > 0),
                                    np.nan)
    out = out.reset_index()
    order = {c: i for i, c in enumerate(dict.fromkeys(reqs["category"]))}
    order["ALL"] = len(order)
    out["_o"] = out["category"].map(order)
    return out.sort_values(["park", "year", "_o"], ignore_index=True).drop(columns="_o")


def _joined(d: pd.DataFrame, keys: list[str]) -> pd.Series:
    """``text`` of the rows of each (park, year) joined with "; " (in row order)."""
    if d.empty:
        return pd.Series(dtype=object, index=pd.MultiIndex.from_tuples([], names=keys))
    text = (d["text"].astype(object) + "; ").to_numpy(dtype=object)
    joined = pd.Series(text, index=pd.MultiIndex.from_frame(d[keys])).groupby(
        level=keys, sort=False).sum()
    return joined.str[:-2]


def _concat(*parts: np.ndarray) -> np.ndarray:
    """Elementwise join of text arrays with "; ", skipping empty pieces."""
    out = np.asarray(parts[0], dtype=object)
    for p in parts[1:]:
        p = np.asarray(p, dtype=object)
        out = np.where(out == "", p, np.where(p == "", out, out + "; " + p))
    return out


def _reasons(d: pd.DataFrame) -> np.ndarray:
    """One short text per decisive requirement row, e.g. ``HJ-11 not met (0.6 vs <= 0.5)``."""
    code = d["requirement"].astype(str)
    flag = d["flag"].astype(str).to_numpy(dtype=object)
    star = np.where(flag == "", "", np.where(flag == UNVERIFIED_FLAG, ", unverified",
                                             ", " + flag))
    unit = d["unit"].fillna("").astype(str)
    unit = np.where(unit != "", " " + unit, "")
    full = (code + " " + d["outcome"].astype(str) + " (" + d["value_label"].astype(str) +
            " vs " + d["comparator"].astype(str) + " " + d["threshold"].astype(str) + unit +
            star + ")").to_numpy(dtype=object)
    absent = (code + " not present" + star).to_numpy(dtype=object)
    short = (code + " " + d["outcome"].astype(str)).to_numpy(dtype=object)
    undecided = d["outcome"].isin([NO_DATA, NO_THRESHOLD]).to_numpy()
    present = (d["comparator"] == "present").to_numpy()
    return np.where(undecided, short, np.where(present, absent, full))


def _verdicts(fw: RequirementFramework, reqs: pd.DataFrame, groups: pd.DataFrame,
              py: pd.DataFrame, data: ParkData) -> pd.DataFrame:
    role = fw.verdict.indicator_role
    r = reqs
    fail_out = r["outcome"].isin([NOT_MET, PARTLY])
    unknown_out = r["outcome"].isin([NO_DATA, NO_THRESHOLD])
    prereq = r["status"] == "prerequisite"
    mand = r["status"] == "mandatory"
    if role == "requirement":
        fails = (prereq | mand) & fail_out
        unknowns = (prereq | mand) & unknown_out
    else:
        fails = prereq & fail_out
        unknowns = (prereq | mand) & unknown_out
    items = r.assign(_fail=fails, _unknown=unknowns)
    decisive = items[items["_fail"] | items["_unknown"]].copy()
    decisive["text"] = _reasons(decisive)
    keys = ["park", "year"]
    fail_txt = _joined(decisive[decisive["_fail"]], keys)
    unk_txt = _joined(decisive[decisive["_unknown"]], keys)
    out = py.copy()
    idx = pd.MultiIndex.from_frame(out[keys])
    n_fail = items.groupby(keys)["_fail"].sum().reindex(idx).to_numpy()
    n_unknown = items.groupby(keys)["_unknown"].sum().reindex(idx).to_numpy()
    failed_prereq = (items["_fail"] & prereq).groupby([items["park"], items["year"]]).sum()
    out["failed_prerequisites"] = failed_prereq.reindex(idx).fillna(0).astype(int).to_numpy()
    group_fail = np.zeros(len(out), dtype=int)
    group_unknown = np.zeros(len(out), dtype=int)
    gtxt_fail = pd.Series("", index=idx)
    gtxt_unk = pd.Series("", index=idx)
    if len(groups):
        gg = groups.set_index(keys)
        gf = gg["outcome"].isin([NOT_MET, PARTLY])
        gu = gg["outcome"] == NO_DATA
        group_fail = gf.groupby(level=keys).sum().reindex(idx).fillna(0).to_numpy()
        group_unknown = gu.groupby(level=keys).sum().reindex(idx).fillna(0).to_numpy()
        lab = np.where(gg["counts"] == "reported", "reported", "met")
        gtext = pd.Series([
            f"group {g} {o} ({m if c == 'met' else rep} {lb}, {k} needed"
            + (f", {p} partly met)" if c == "met" and p else ")")
            for g, o, m, rep, k, c, lb, p in zip(
                gg["group"], gg["outcome"], gg["n_met"], gg["n_reported"], gg["k"],
                gg["counts"], lab, gg["n_partly"], strict=True)], index=gg.index)
        gtext = gtext.rename("text").reset_index()
        gtxt_fail = _joined(gtext[gf.to_numpy()], keys).reindex(idx).fillna("")
        gtxt_unk = _joined(gtext[gu.to_numpy()], keys).reindex(idx).fillna("")
    opt_fail = np.zeros(len(out), dtype=int)
    opt_unknown = np.zeros(len(out), dtype=int)
    caveats = []
    k_opt = fw.verdict.optional_at_least
    rule = fw.verdict.verification
    if role == "requirement" and k_opt is not None:
        caveats.append(f"optional-indicator rule: at least {k_opt} optional items met "
                       f"({rule})")
        opt = r[r["status"] == "optional"]
        n_met = (opt["outcome"] == MET).groupby([opt["park"], opt["year"]]).sum()
        n_unk = opt["outcome"].isin([NO_DATA, NO_THRESHOLD]).groupby(
            [opt["park"], opt["year"]]).sum()
        n_met = n_met.reindex(idx).fillna(0).to_numpy()
        n_unk = n_unk.reindex(idx).fillna(0).to_numpy()
        opt_fail = (n_met + n_unk < k_opt).astype(int)
        opt_unknown = ((n_met < k_opt) & (n_met + n_unk >= k_opt)).astype(int)
    elif not fw.verdict.optional_rule_known:
        caveats.append("optional-indicator rule not applied (its count is not verified)")
    elif fw.verdict.user_checked:
        caveats.append(f"verdict rule {rule}")
    if not fw.structure_verified:
        caveats.append("framework structure unverified")
    unver_groups = [g.code for g in fw.groups if not g.is_verified]
    if unver_groups:
        caveats.append("group rules unverified: " + ", ".join(unver_groups))
    user_groups = [f"{g.code} {g.verification}" for g in fw.groups if g.user_checked]
    if user_groups:
        caveats.append("group rules " + "; ".join(user_groups))
    total_fail = n_fail + group_fail + opt_fail
    total_unknown = n_unknown + group_unknown + opt_unknown
    out["outcome"] = np.select([total_fail > 0, total_unknown > 0], ["fail", "undetermined"],
                               default="pass")
    out["verdict"] = out["outcome"].map({"pass": fw.verdict.pass_label,
                                         "fail": fw.verdict.fail_label,
                                         "undetermined": fw.verdict.undetermined_label})
    gating = r[(prereq | mand | (r["status"] == "group")) &
               r["outcome"].isin([MET, PARTLY, NOT_MET])]
    unver = (~gating["verified"]).groupby([gating["park"], gating["year"]]).sum()
    unver = unver.reindex(idx).fillna(0).astype(int).to_numpy()
    out["unverified_thresholds_used"] = unver
    out["verified"] = ((unver == 0) & fw.verdict.is_verified & fw.structure_verified
                       & all(g.is_verified for g in fw.groups))
    n = len(idx)
    fails_text = _concat(fail_txt.reindex(idx).fillna("").to_numpy(dtype=object),
                         gtxt_fail.to_numpy(dtype=object),
                         np.where(opt_fail > 0, f"fewer than {k_opt} optional items met", ""))
    unknown_text = _concat(unk_txt.reindex(idx).fillna("").to_numpy(dtype=object),
                           gtxt_unk.to_numpy(dtype=object),
                           np.where(opt_unknown > 0, f"optional rule ({k_opt}) undecided", ""))
    out["reasons"] = np.where(total_fail > 0, fails_text,
                              np.where(total_unknown > 0, unknown_text, np.full(n, "")))
    if fw.verdict.indicator_role == "leading_value":
        caveats.append("indicator thresholds are leading values for the green index, not pass "
                       "marks")
    out["caveats"] = "; ".join(caveats)
    out["n_failed"] = total_fail.astype(int)
    out["n_undetermined"] = total_unknown.astype(int)
    out.insert(0, "framework", fw.code)
    out.insert(0, "data_status", out["park"].map(data.parks["data_status"]).to_numpy())
    if (out["data_status"] == SYNTHETIC).any():
        out["verdict"] = np.where(out["data_status"] == SYNTHETIC,
                                  out["verdict"] + " [SYNTHETIC data]", out["verdict"])
    return out[["data_status", "framework", "park", "year", "outcome", "verdict", "verified",
                "n_failed", "failed_prerequisites", "n_undetermined",
                "unverified_thresholds_used", "reasons", "caveats"]]


def _priorities(reqs: pd.DataFrame) -> pd.DataFrame:
    p = reqs[reqs["outcome"].isin([NOT_MET, PARTLY])].copy()
    p["_s"] = p["status"].map(_STATUS_ORDER)
    p["_binary"] = p["gap_pct"].isna()
    p = p.sort_values(["park", "year", "_s", "_binary", "gap_pct"],
                      ascending=[True, True, True, False, False], ignore_index=True)
    p.insert(4, "priority", p.groupby(["park", "year"]).cumcount() + 1)
    return p.drop(columns=["_s", "_binary"])
