"""Sentences of the report written from structured results, in the report's language.

* :func:`step_prose` -- one build step as one or two sentences in the terms of the OECD/JRC
  Handbook on Constructing Composite Indicators (2008, Part 1, steps 3-6: imputation,
  normalisation, weighting and aggregation) with its parameters as a small table;
* :func:`progress_paragraph` -- the progress summary of :func:`gipro.progress.summary`
  rebuilt from the section's tables (so it can be written in Chinese);
* :func:`park_reasons` -- the reasons of a park verdict, part by part.

Every phrase comes from :mod:`gipro.report.i18n` (a missing translation fails its test).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .i18n import localise, term, translate

__all__ = ["park_reasons", "progress_paragraph", "step_prose"]

#: parameters never shown (the step's identity, shown in its heading)
_HIDDEN = {"name", "input", "output", "step", "disable"}


def _value(v: Any, lang: str) -> str:
    """A parameter value for people: lists joined, mappings as ``k: v``, terms translated."""
    if isinstance(v, bool):
        return translate("yes" if v else "no", lang)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return term(v, lang) if v in _VALUE_TERMS else v
    if isinstance(v, Mapping):
        return translate("clause_sep", lang).join(f"{k}: {_value(x, lang)}" for k, x in v.items())
    if isinstance(v, Sequence):
        return ", ".join(_value(x, lang) for x in v)
    return str(v)


_VALUE_TERMS = {"minmax", "zscore", "rank", "borda", "percentile", "goalposts", "arithmetic",
                "geometric", "harmonic", "median", "copeland", "topsis", "bod", "mpi",
                "mean", "group_mean", "group_median", "locf", "linear", "equal", "pca",
                "entropy", "framework", "log_ct", "log_ct_orig", "boxcox", "pooled",
                "per_period", "error"}


def _pct(v: Any) -> str:
    try:
        return f"{float(v) * 100:g}%"
    except (TypeError, ValueError):
        return str(v)


def step_prose(step: Mapping[str, Any], lang: str = "en") -> tuple[str, list[tuple[str, str]]]:
    """One step of a build log as a sentence and a parameter table.

    Parameters
    ----------
    step : mapping
        A :class:`gipro.build.LogEntry` as a dict (``step, params, skipped, reused``).
    lang : {"en", "zh"}

    Returns
    -------
    sentence : str
    params : list of (str, str)
        (parameter, value) in ``lang``; empty and default-free parameters (``{}``, ``None``)
        are left out.

    Examples
    --------
    >>> s, p = step_prose({"step": "normalise", "params": {"method": "minmax",
    ...                    "range": [0, 100], "bounds": "pooled"}}, "zh")
    >>> s.startswith("标准化：采用最小-最大值标准化")
    True
    >>> p[0]
    ('方法', '最小-最大值标准化')
    """
    kind = step.get("step", "")
    p = dict(step.get("params") or {})
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    if kind == "normalise":
        rng = p.get("range")
        rng_text = t("range_text", lo=f"{rng[0]:g}", hi=f"{rng[1]:g}") if rng else ""
        bounds = p.get("bounds")
        btext = (t("bounds_pooled") if bounds == "pooled" else
                 t("bounds_per_period") if bounds else "")
        text = t("prose_normalise", method=term(p.get("method", ""), lang), range=rng_text,
                 bounds=btext).strip()
    elif kind == "aggregate":
        text = t("prose_aggregate", method=term(p.get("method", ""), lang),
                 avail=_pct(p.get("min_availability", 0)))
    elif kind == "treat":
        text = t("prose_treat", skew=p.get("skew_threshold", ""),
                 kurt=p.get("kurtosis_threshold", ""), winmax=p.get("winmax", ""),
                 fallback=term(str(p.get("fallback", "")), lang))
    elif kind == "impute":
        text = t("prose_impute", method=term(str(p.get("method", "")), lang))
    elif kind == "denominate":
        n = len(p.get("denominators") or {}) or "—"
        notes = step.get("notes") or []
        m = re.match(r"denominated (\d+) indicators", notes[0]) if notes else None
        text = t("prose_denominate", n=m.group(1) if m else n)
    elif kind == "screen":
        text = t("prose_screen", threshold=_pct(p.get("min_availability",
                                                      p.get("threshold", ""))))
    elif kind == "weight":
        text = t("prose_weight", name=step.get("name", ""),
                 method=term(str(p.get("method", "")), lang))
    else:
        text = t("prose_other", kind=kind)
    if step.get("skipped"):
        text += " " + t("prose_skipped")
    if step.get("reused"):
        text += " " + t("prose_reused")
    rows = []
    for k, v in p.items():
        if k in _HIDDEN or v is None or v == {} or v == []:
            continue
        shown = (_pct(v) if k == "min_availability" else
                 f"[{', '.join(_value(x, lang) for x in v)}]" if k == "range" else
                 _value(v, lang))
        rows.append((term(f"p_{k}", lang) if f"p_{k}" in _PARAMS else k, shown))
    return text, rows


_PARAMS = {f"p_{k}" for k in (
    "method", "bounds", "range", "constant", "weights", "min_availability", "by_level",
    "by_code", "group", "scope", "winmax", "skew_threshold", "kurtosis_threshold", "fallback",
    "denominators", "scale", "use_framework", "threshold", "seed", "on_constant",
    "indicators", "mean_sd")}


def _signed(v: float) -> str:
    return f"{round(float(v), 1) + 0.0:+.1f}" if abs(v) >= 0.05 else f"{float(v):+.2f}"


def progress_paragraph(index_progress: pd.DataFrame, improvers: pd.DataFrame, root: str,
                       index_label: str, labels: Mapping[str, str], code_labels:
                       Mapping[str, str], base: int, end: int, cautions: Sequence[str],
                       lang: str = "en") -> str:
    """The progress summary (:func:`gipro.progress.summary`) written from its tables.

    Parameters
    ----------
    index_progress : pandas.DataFrame
        ``unit, code, change`` (:func:`gipro.progress.index_progress`).
    improvers : pandas.DataFrame
        ``code, n_improved, n_missing`` and ``n_units`` or the four counts
        (:func:`gipro.progress.improvers`).
    root, index_label : str
        The index's code and its label in ``lang``.
    labels, code_labels : mapping
        Unit and indicator labels in ``lang``.
    base, end : int
    cautions : list of str
        Cautions (English, translated through :func:`~gipro.report.i18n.localise`).
    lang : {"en", "zh"}

    Returns
    -------
    str
        Units that progressed and fell back, the median change, the three largest gains and
        falls (the three smallest gains when none fell), units without a score in either
        period, how many units improved on each indicator, and the cautions.
    """
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    sep = t("list_sep")
    tab = index_progress[index_progress["code"] == root].dropna(subset=["change"])
    tab = tab.sort_values("change", ascending=False, kind="stable")
    n_all = index_progress.loc[index_progress["code"] == root, "unit"].nunique()
    if tab.empty:
        return t("sum_none", base=base, end=end, index=index_label)
    up, down = int((tab["change"] > 0).sum()), int((tab["change"] < 0).sum())
    parts = [t("sum_head", base=base, end=end, up=up, n=len(tab), down=down,
               index=index_label, median=_signed(tab["change"].median()))]

    def listed(rows: pd.DataFrame) -> str:
        return sep.join(f"{labels.get(u, u)} ({_signed(c)})"
                        for u, c in zip(rows["unit"], rows["change"], strict=True))

    gains = tab[tab["change"] > 0]
    falls = tab[tab["change"] < 0].iloc[::-1]
    if len(gains):
        parts.append(t("sum_gains", list=listed(gains.head(3))))
    if len(falls):
        parts.append(t("sum_falls", list=listed(falls.head(3))))
    elif len(gains) > 3:
        parts.append(t("sum_small", list=listed(gains.iloc[3:].tail(3).iloc[::-1])))
    if n_all > len(tab):
        parts.append(t("sum_missing", n=n_all - len(tab), base=base, end=end))
    imp = improvers.copy()
    if "n_units" not in imp.columns:
        imp["n_units"] = imp[["n_improved", "n_worsened", "n_unchanged",
                              "n_missing"]].sum(axis=1)
    imp["m"] = imp["n_units"] - imp["n_missing"]
    imp = imp[imp["m"] > 0].assign(share=lambda d: d["n_improved"] / d["m"])
    imp = imp.sort_values(["share", "code"], ascending=[False, True])
    every = [code_labels.get(c, c) for c, k, m in zip(imp["code"], imp["n_improved"], imp["m"],
                                                       strict=True) if k == m]
    bits = []
    if every:
        bits.append(t("sum_all", names=sep.join(every), n=int(imp["m"].max())))
    for c, k, m in zip(imp["code"], imp["n_improved"], imp["m"], strict=True):
        if k == m:
            continue
        bits.append(t("sum_zero", name=code_labels.get(c, c), n=int(m)) if k == 0 else
                    t("sum_some", name=code_labels.get(c, c), k=int(k), n=int(m)))
    if bits:
        parts.append(t("sum_ind", parts=t("clause_sep").join(bits)))
    for c in cautions:
        parts.append(t("sum_caution", text=localise(c, lang)))
    return ("" if lang == "zh" else " ").join(parts)


_REASON = re.compile(r"(?P<code>\S+) (?P<outcome>not met|partly met) \((?P<value>\S+) vs "
                     r"(?P<cmp>\S+) (?P<threshold>.+?)(?P<unv>, unverified)?\)")
_ABSENT = re.compile(r"(?P<code>\S+) not present(?P<unv>, unverified)?")
_NOTHR = re.compile(r"(?P<code>\S+) no threshold \(unverified\)")
_GROUP = re.compile(r"group (?P<code>\S+) (?P<outcome>not met|partly met|met) \((?P<met>\d+) "
                    r"met, (?P<needed>\d+) needed, (?P<partly>\d+) partly met\)")


def park_reasons(text: str, lang: str = "en") -> str:
    """The reasons of a park verdict (``"HJ-05 not met (5 vs >= 6 projects (个),
    unverified); group HJ-LAND ..."``) in ``lang``, reason by reason."""
    if lang == "en" or not isinstance(text, str) or not text:
        return text if isinstance(text, str) else ""
    from .i18n import measure

    out = []
    for part in text.split("; "):
        unv = translate("reason_unverified", lang)
        if m := _REASON.fullmatch(part):
            num, _, unit = m["threshold"].partition(" ")
            out.append(translate("reason_outcome", lang, code=m["code"],
                                 outcome=term(m["outcome"], lang), value=_num(m["value"]),
                                 cmp=m["cmp"], threshold=f"{num} {measure(unit, lang)}".strip(),
                                 unverified=unv if m["unv"] else ""))
        elif m := _ABSENT.fullmatch(part):
            out.append(translate("reason_absent", lang, code=m["code"],
                                 unverified=unv if m["unv"] else ""))
        elif m := _NOTHR.fullmatch(part):
            out.append(translate("reason_nothr", lang, code=m["code"]))
        elif m := _GROUP.fullmatch(part):
            out.append(translate("reason_group", lang, code=m["code"],
                                 outcome=term(m["outcome"], lang), met=m["met"],
                                 needed=m["needed"], partly=m["partly"]))
        else:
            out.append(localise(part, lang))
    return "；".join(out)


def _num(text: str) -> str:
    """A value of a reason with at most 4 significant digits (``68.2864`` -> ``68.29``)."""
    try:
        v = float(text)
    except ValueError:
        return text
    return text if not np.isfinite(v) else f"{v:.4g}"
