"""MIIT green-park index (GI): each indicator's ratio to its leading value, over three years.

**The formula is an UNVERIFIED hypothesis.** What is verified (``docs/parks.md``,
``shared/frameworks/README.md``): each indicator enters GI through its value and its leading
value (引领值), grouped in six categories (EG, RG, IG, CG, ecological environment, MG), and a
score is produced for each of the last three consecutive years (MIIT 工信厅节函〔2016〕586号; the
symbols GI, EG_i/EG_bi, RG_j/RG_bj... from Liaoning DB21/T 3662-2022). The hypothesis coded
here, with every uncertain part a parameter:

.. math:: GI_t = 100 \\cdot \\frac{1}{N_t} \\sum_{i \\in S_t} r_{i,t}

* ``r = x / L`` for higher-is-better indicators (``>=``, ``>``, ``==``);
* lower-is-better indicators (``<=``, ``<``): ``r = L / x`` (``lower_better="inverse"``, the
  hypothesis) or the linear mirror ``r = 2 - x / L`` (``"linear"``; 1/x distorts distances,
  see field case B04);
* ``r`` capped at ``cap`` (default 1: exceeding a leading value earns nothing extra; ``None``
  leaves it uncapped) and floored at ``floor`` (default 0: a negative value, e.g. a carbon
  intensity that rose, does not subtract from other indicators; ``None`` keeps it);
* yes/no and category items (``qualitative="binary"``): ``r`` = 1 if met, 0 if not --
  an inference; ``"exclude"`` leaves them out;
* ``S_t``: every mandatory indicator plus the optional (group) indicators the park reports;
  ``N_t = |S_t|``. Basic requirements (pass/fail) and encouraged items are not in GI. A
  mandatory indicator not reported leaves GI missing (never counted as 0).
* weights: equal per indicator (the mean above) unless the framework's ``green_index`` gives
  category weights ``w_c`` (some provincial versions weigh the six categories): then
  ``GI_t = 100 * sum_c w_c * mean_{i in S_t, c} r_i / sum_c w_c`` over the categories with
  an indicator in ``S_t`` (a user who holds the official text can enter and cite them,
  ``gipro frameworks export miit``; each output says whether they are verified).

No GI pass mark and no required trend are known: the window table reports the three latest
consecutive years with a GI and their direction, without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError, MethodError
from .data import ParkData
from .engine import MET, NOT_MET, PARTLY, assess
from .model import GreenIndexRule, RequirementFramework, load_park_framework

__all__ = ["GreenIndex", "green_index"]

FORMULA = ("GI = 100 * mean over mandatory + reported optional indicators of value/leading "
           "value (UNVERIFIED hypothesis)")


@dataclass
class GreenIndex:
    """Result of :func:`green_index`.

    Attributes
    ----------
    scores : pandas.DataFrame
        Per park and year: ``gi``, ``n_indicators``, ``missing_mandatory``, ``verified``
        (always False: the formula is a hypothesis), ``formula``, ``weights`` (the weights
        and their verification), ``data_status``.
    ratios : pandas.DataFrame
        Per park, year and indicator: ``value``, ``leading_value``, ``ratio`` (after
        inversion, cap and floor), ``capped``, ``floored``.
    window : pandas.DataFrame
        Per park: the three latest consecutive years with a GI, their GIs, mean and trend.
    notes : list of str
        Parameters and how often the cap and floor acted.
    """

    scores: pd.DataFrame
    ratios: pd.DataFrame
    window: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def green_index(
    data: ParkData,
    framework: RequirementFramework | str = "miit",
    *,
    cap: float | None = 1.0,
    floor: float | None = 0.0,
    lower_better: Literal["inverse", "linear"] = "inverse",
    qualitative: Literal["binary", "exclude"] = "binary",
    years: list[int] | None = None,
) -> GreenIndex:
    """MIIT green index GI per park and year (hypothesis; see the module docstring).

    Parameters
    ----------
    data : ParkData
    framework : RequirementFramework or str
        A framework with ``indicator_role: leading_value`` (default the built-in ``miit``).
    cap, floor : float or None
        Bounds on each ratio (``None``: no bound).
    lower_better : {"inverse", "linear"}
        ``L / x`` or ``2 - x / L`` for lower-is-better indicators.
    qualitative : {"binary", "exclude"}
        Yes/no and category items as 1/0, or left out.
    years : list of int, optional

    Returns
    -------
    GreenIndex

    Raises
    ------
    InputError
        If the framework has no leading values, or bad parameters.
    MethodError
        A leading value of 0, or (uncapped, ``inverse``) a lower-is-better value of 0 --
        naming park, year and indicator.

    Examples
    --------
    Two indicators of one park: energy productivity 2.4 against a leading value of 3
    (ratio 0.8) and wastewater 4 t/10k CNY against 5, lower is better (ratio 5/4 = 1.25,
    capped at 1): GI = 100 * (0.8 + 1) / 2 = 90.

    >>> from gipro.parks import ParkData, park_framework_from_dict
    >>> fw = park_framework_from_dict({
    ...     "code": "gi-demo", "name": "GI demo", "categories": [{"code": "EG", "name": "EG"}],
    ...     "verdict": {"indicator_role": "leading_value"},
    ...     "requirements": [
    ...         {"code": "1", "name": "Energy productivity", "category": "EG",
    ...          "indicator": "energy_productivity", "comparator": ">=", "threshold": 3,
    ...          "status": "mandatory"},
    ...         {"code": "23", "name": "Wastewater per IVA", "category": "EG",
    ...          "indicator": "wastewater_per_iva", "comparator": "<=", "threshold": 5,
    ...          "status": "mandatory"}]})
    >>> data = ParkData.from_long(pd.DataFrame({"park": "A", "year": 2020,
    ...     "indicator": ["energy_productivity", "wastewater_per_iva"], "value": [2.4, 4.0]}))
    >>> round(green_index(data, fw).scores["gi"].item(), 9)
    90.0
    >>> round(green_index(data, fw, cap=None).scores["gi"].item(), 9)
    102.5
    """
    fw = load_park_framework(framework)
    if fw.verdict.indicator_role != "leading_value":
        raise InputError(f"framework {fw.code} has no leading values (indicator_role is "
                         f"{fw.verdict.indicator_role!r}); GI needs one like 'miit'")
    if lower_better not in ("inverse", "linear") or qualitative not in ("binary", "exclude"):
        raise InputError("lower_better must be 'inverse' or 'linear' and qualitative "
                         "'binary' or 'exclude'")
    if cap is not None and floor is not None and not floor < cap:
        raise InputError(f"floor ({floor}) must be below cap ({cap})")
    a = assess(fw, data, years=years)
    r = a.requirements
    r = r[r["status"].isin(["mandatory", "group", "optional"])].copy()
    comp = r["comparator"]
    quant = comp.isin([">=", ">", "<=", "<", "=="]) & pd.to_numeric(
        r["threshold"], errors="coerce").notna()
    if qualitative == "exclude":
        r = r[quant]
        quant = quant[r.index]
    lead = pd.to_numeric(r["threshold"].where(quant), errors="coerce").to_numpy(dtype=float)
    x = r["value"].to_numpy(dtype=float)
    reported = r["outcome"].isin([MET, PARTLY, NOT_MET]).to_numpy()
    q = quant.to_numpy()
    zero_lead = q & reported & (lead == 0)
    if zero_lead.any():
        row = r[zero_lead].iloc[0]
        raise MethodError(f"leading value of indicator {row['requirement']} is 0: a ratio to "
                          "it is undefined")
    lower = r["comparator"].isin(["<=", "<"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if lower_better == "inverse":
            zero_x = q & reported & lower & (x == 0)
            if zero_x.any() and cap is None:
                row = r[zero_x].iloc[0]
                raise MethodError(
                    f"green index: {row['requirement']} is 0 for park {row['park']} in "
                    f"{row['year']}; leading/value is infinite without a cap",
                    ["pass cap=1.0 (a value of 0 then scores the cap) or lower_better="
                     "'linear'"])
            low_ratio = np.where(x == 0, np.inf, lead / x)
        else:
            low_ratio = 2.0 - x / lead
        ratio = np.where(lower, low_ratio, x / lead)
    ratio = np.where(q, ratio, np.where(r["outcome"].to_numpy() == MET, 1.0, 0.0))
    ratio = np.where(reported, ratio, np.nan)
    capped = np.zeros(len(r), dtype=bool)
    floored = np.zeros(len(r), dtype=bool)
    if cap is not None:
        capped = ratio > cap
        ratio = np.where(capped, cap, ratio)
    if floor is not None:
        floored = ratio < floor
        ratio = np.where(floored, floor, ratio)
    ratios = pd.DataFrame({
        "data_status": r["data_status"].to_numpy(), "park": r["park"].to_numpy(),
        "year": r["year"].to_numpy(), "category": r["category"].to_numpy(),
        "requirement": r["requirement"].to_numpy(), "indicator": r["indicator"].to_numpy(),
        "status": r["status"].to_numpy(), "value": x, "leading_value": lead,
        "ratio": ratio, "capped": capped, "floored": floored,
        "verified": r["verified"].to_numpy(dtype=bool)})
    keys = ["park", "year"]
    mand_missing = ratios[(ratios["status"] == "mandatory") & ratios["ratio"].isna()]
    missing_txt = mand_missing.groupby(keys)["requirement"].agg(", ".join)
    used = ratios[ratios["ratio"].notna()]
    g = used.groupby(keys)["ratio"]
    scores = a.verdicts[["data_status", "park", "year"]].copy()
    idx = pd.MultiIndex.from_frame(scores[keys])
    rule = fw.green_index if fw.green_index is not None else GreenIndexRule()
    weights = rule.category_weights
    if weights is None:
        mean = g.mean().reindex(idx).to_numpy()
    else:
        unweighted = sorted(set(used["category"]) - set(weights))
        if unweighted:
            raise InputError(f"green index of {fw.code}: no category weight for "
                             f"{', '.join(unweighted)}",
                             ["give every category with GI indicators a weight (0 leaves it "
                              "out) in the framework's green_index.category_weights"])
        cat_mean = used.groupby([*keys, "category"])["ratio"].mean().rename("r").reset_index()
        cat_mean["w"] = cat_mean["category"].map(weights).astype(float)
        cat_mean["wr"] = cat_mean["w"] * cat_mean["r"]
        sums = cat_mean.groupby(keys)[["wr", "w"]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (sums["wr"] / sums["w"].where(sums["w"] > 0)).reindex(idx).to_numpy()
    scores["n_indicators"] = g.size().reindex(idx).fillna(0).astype(int).to_numpy()
    scores["missing_mandatory"] = missing_txt.reindex(idx).fillna("").to_numpy()
    scores["gi"] = np.where((scores["missing_mandatory"] == "") & (scores["n_indicators"] > 0),
                            100.0 * mean, np.nan)
    scores["basic_requirements"] = a.verdicts["outcome"].to_numpy()
    scores["verified"] = False
    scores["formula"] = FORMULA
    scores["weights"] = f"{rule.describe()} ({rule.verification})"
    window = _window(scores)
    notes = [
        f"{FORMULA}; cap={cap}, floor={floor}, lower_better={lower_better}, "
        f"qualitative={qualitative}",
        f"weights: {rule.describe()} ({rule.verification})",
        f"ratios capped: {int(capped.sum())}; ratios floored: {int(floored.sum())}",
        "a mandatory indicator not reported leaves GI missing; no GI pass mark is known",
    ]
    return GreenIndex(scores, ratios, window, notes)


def _window(scores: pd.DataFrame) -> pd.DataFrame:
    """The three latest consecutive years with a GI, per park (vectorised over parks)."""
    wide = scores.pivot(index="park", columns="year", values="gi")
    years = np.array(wide.columns, dtype=int)
    full = np.arange(years.min(), years.max() + 1) if len(years) else years
    wide = wide.reindex(columns=full)
    v = wide.to_numpy(dtype=float)
    n_parks, n_years = v.shape
    have = ~np.isnan(v)
    ok = np.zeros_like(have)
    if n_years >= 3:
        ok[:, 2:] = have[:, 2:] & have[:, 1:-1] & have[:, :-2]
    any_ok = ok.any(axis=1)
    last = np.where(any_ok, n_years - 1 - np.argmax(ok[:, ::-1], axis=1), 0)
    rows = np.arange(n_parks)
    g3 = np.where(any_ok, v[rows, last], np.nan)
    g2 = np.where(any_ok, v[rows, np.maximum(last - 1, 0)], np.nan)
    g1 = np.where(any_ok, v[rows, np.maximum(last - 2, 0)], np.nan)
    trend = np.select([~any_ok, (g2 > g1) & (g3 > g2), (g2 < g1) & (g3 < g2)],
                      ["", "rising", "falling"], default="mixed")
    end = full[last] if len(full) else np.zeros(n_parks, dtype=int)
    out = pd.DataFrame({
        "park": wide.index, "three_consecutive_years": any_ok,
        "window": np.where(any_ok, [f"{e - 2}-{e}" for e in end], "none"),
        "gi_year1": g1, "gi_year2": g2, "gi_year3": g3,
        "gi_mean": np.where(any_ok, (g1 + g2 + g3) / 3.0, np.nan), "trend": trend,
        "verified": False})
    status = scores.drop_duplicates("park").set_index("park")["data_status"]
    out.insert(0, "data_status", out["park"].map(status).to_numpy())
    return out
