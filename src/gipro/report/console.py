"""What the commands print, in Chinese: summaries rebuilt from the tables the analyses wrote.

The analyses write their printable summaries in English (:meth:`gipro.parks.Assessment.summary`,
:meth:`gipro.scenario.evaluate.Evaluation.summary`, the scenario runner's attainment and
question lines). With ``--lang zh`` the command line prints these instead: the same facts
taken from the same tables (verdicts, overview, scores, attainment summary, questions), with
every phrase from :mod:`gipro.report.i18n` and every note through
:func:`~gipro.report.i18n.localise`. Nothing here imports plotly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..labels import unit_labels
from .i18n import localise, measure, term, translate
from .prose import park_reasons

__all__ = ["assess_text", "park_summary", "scenario_text"]


def park_summary(a: Any, names: Mapping[str, str], year: int | None = None, top: int = 3,
                 lang: str = "zh") -> str:
    """:meth:`gipro.parks.Assessment.summary` in ``lang``: per park the verdict, the share of
    requirements met, the reasons and the ``top`` improvement priorities."""
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    fw = a.framework
    v = a.verdicts
    if v.empty:
        return t("cli_no_parks", fw=fw.name.get(lang))
    year = int(v["year"].max()) if year is None else year
    v = v[v["year"] == year]
    lines = []
    if a.synthetic:
        lines.append(t("synthetic_banner"))
    n_unver = int((~a.requirements.drop_duplicates("requirement")["verified"]).sum())
    n_all = a.requirements["requirement"].nunique()
    lines.append(t("cli_park_head", fw=fw.name.get(lang), code=fw.code, year=year,
                   k=n_unver, n=n_all))
    lines.extend("  " + t("warning") + ": " + localise(w, lang) for w in a.warnings)
    cats = a.categories
    for r in v.itertuples():
        share = cats[(cats["park"] == r.park) & (cats["year"] == year) &
                     (cats["category"] == "ALL")]["share_met"]
        sh = f"{share.iloc[0]:.0%}" if len(share) and pd.notna(share.iloc[0]) else "—"
        mark = "" if r.verified else t("cli_rests_unverified")
        lines.append(t("cli_park_verdict", park=names.get(r.park, r.park),
                       outcome=t(r.outcome) if r.outcome in ("pass", "fail", "undetermined")
                       else r.outcome, verdict=localise(r.verdict, lang), mark=mark,
                       share=sh))
        if r.reasons:
            lines.append("    " + t("cli_reasons", text=park_reasons(r.reasons, lang)))
        pr = a.priorities
        pr = pr[(pr["park"] == r.park) & (pr["year"] == year)].head(top)
        for p in pr.itertuples():
            star = "" if p.verified else "*"
            need = (term("present", lang) if p.comparator == "present"
                    else f"{p.comparator} {p.threshold}")
            gap = (t("cli_gap", gap=f"{p.gap:.4g}", unit=measure(p.unit or "", lang),
                     pct=f"{p.gap_pct:.0f}") if pd.notna(p.gap_pct) else "")
            name = fw.requirement(p.requirement).name.get(lang) or p.name
            lines.append("    " + t("cli_priority", k=p.priority, code=p.requirement,
                                    name=name, status=term(str(p.status), lang),
                                    value=term(str(p.value_label), lang) if p.value_label
                                    else t("none"), need=need + star,
                                    gap=gap))
    return "\n".join(lines)


def assess_text(run: Any, year: int | None = None, lang: str = "zh") -> str:
    """The printed summary of ``gipro assess`` (:class:`gipro.parks.runner.AssessRun`
    ``text``) in ``lang``, from the run's data, assessments, park26 scorecard, green index
    and coverage table."""
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    data = run.data
    names = unit_labels(data.parks, [str(p) for p in data.park_codes], lang)
    lines = [t("synthetic_banner") if data.synthetic else
             t("cli_park_data", origin=data.origin or t("cli_user_status")),
             localise(repr(data), lang),
             *(f"{t('cli_note')} {localise(n, lang)}" for n in data.notes
               if n.startswith("left out"))]
    card = run.tables.get("park26_scorecard")
    if run.park26 is not None and card is not None:
        fw = run.park26.framework
        end = int(card["year"].max()) if year is None else year
        cur = card[card["year"] == end]
        lines.append("\n" + t("cli_park26_head", year=end, status=t(
            "cli_synthetic_status" if data.synthetic else "cli_user_status")))
        dims = fw.children(fw.root)
        lines.append(f"  {t('cli_rank'):>4} {t('cli_park'):<9} PARK26 "
                     + " ".join(f"{fw.node(d).label(lang):>6}" for d in dims))
        for r in cur.itertuples():
            rk = "-" if pd.isna(r.PARK26_rank) else r.PARK26_rank
            lines.append(f"  {rk!s:>4} {names.get(r.park, r.park):<9} {r.PARK26:6.1f} "
                         + " ".join(f"{getattr(r, d):6.1f}" for d in dims))
    for a in run.assessments:
        lines.append("")
        lines.append(park_summary(a, names, year, lang=lang))
        gi = run.green_index.get(a.framework.code)
        if gi is not None:
            lines.append("  " + t("cli_gi_head"))
            for w in gi.window.itertuples():
                trend = t(w.trend) if w.trend in ("rising", "falling", "mixed") else w.trend
                lines.append(f"    {names.get(w.park, w.park)}: " + (
                    f"{w.window}: {w.gi_year1:.1f}, {w.gi_year2:.1f}, {w.gi_year3:.1f} "
                    f"（{trend}）" if w.three_consecutive_years else t("gi_no_window")))
    cov = run.tables.get("coverage")
    if cov is not None:
        lines.append("\n" + t("cli_coverage_head"))
        for r in cov.itertuples():
            miss = (t("cli_coverage_miss", codes=str(r.missing_indicators).replace(", ", "、"))
                    if isinstance(r.missing_indicators, str) and r.missing_indicators else "")
            lines.append("  " + t("cli_coverage_row", fw=r.framework, k=r.items_in_data,
                                  n=r.items, miss=miss))
    if run.skipped:
        lines.append("")
        lines.extend(f"{t('cli_note')} {localise(n, lang)}" for n in run.skipped)
    return "\n".join(lines)


def scenario_text(ev: Any, files: Mapping[str, Path], names: Mapping[str, str],
                  lang: str = "zh", top: int = 5) -> str:
    """The printed summary of ``gipro scenario`` in ``lang``, from the evaluation and the
    tables the runner wrote (``attainment_summary.csv``, ``questions.csv``)."""
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    parts = []
    if ev is not None and hasattr(ev, "runs") and "overview" in getattr(ev, "tables", {}):
        parts.append(_scenarios(ev, names, lang, top))
    if "attainment_summary" in files:
        summ = pd.read_csv(files["attainment_summary"])
        lines = [t("cli_attainment_head")]
        for (label, target), g in summ.groupby(["label", "target"], sort=False):
            met = g["met"].map(lambda x: None if pd.isna(x) else str(x).lower() == "true")
            known = met.notna()
            lines.append("  " + t("cli_attainment_row", label=localise(str(label), lang),
                                  target=target, k=int(met.eq(True).sum()),
                                  n=int(known.sum()))
                         + (t("cli_without_data", n=int((~known).sum()))
                            if (~known).any() else ""))
        parts.append("\n".join(lines))
    if "questions" in files:
        parts.append(_questions(pd.read_csv(files["questions"]), names, lang))
    return "\n\n".join(parts)


def _scenarios(ev: Any, names: Mapping[str, str], lang: str, top: int) -> str:
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    fw = ev.baseline.framework
    root = fw.root
    lines = [t("cli_scen_head", recipe=ev.baseline.recipe.name or "", index=fw.node(
        root).label_code(lang), period=ev.period)]
    lines += [f"  - {localise(n, lang)}" for n in ev.notes]
    ov = ev.tables["overview"].set_index("scenario")
    sc = ev.tables["scores"]
    cur = sc[(sc["code"] == root) & (sc["period"] == ev.period)]
    for name, run in ev.runs.items():
        o = ov.loc[name]
        lines.append("")
        lines.append(str(name))
        lines.extend(f"  {localise(n, lang)}" for n in run.notes)
        d = cur[cur["scenario"] == name].dropna(subset=["score_change"])
        if d.empty:
            lines.append("  " + t("cli_scen_no_scores"))
            continue
        lines.append("  " + t("cli_scen_moves", root=root, period=ev.period,
                              mean=f"{o['mean_change']:+.3f}", up=int(o["units_up"]),
                              down=int(o["units_down"]), k=int(o["units_changed"]),
                              n=len(d)))
        moved = d.reindex(d["score_change"].abs().sort_values(ascending=False).index)
        moved = moved[moved["score_change"].abs() > 0].head(top)
        for r in moved.itertuples():
            rb = "-" if pd.isna(r.rank_base) else int(r.rank_base)
            rs = "-" if pd.isna(r.rank_scenario) else int(r.rank_scenario)
            lines.append("    " + t("cli_scen_unit", unit=names.get(r.unit, r.unit),
                                    a=f"{r.score_base:.2f}", b=f"{r.score_scenario:.2f}",
                                    c=f"{r.score_change:+.3f}", ra=rb, rb=rs))
        if o["beyond_scale"]:
            lines.append("  " + t("cli_scen_beyond", n=int(o["beyond_scale"])))
        if o["spillover"]:
            lines.append("  " + t("cli_scen_spill", n=int(o["spillover"])))
    return "\n".join(lines)


def _questions(q: pd.DataFrame, names: Mapping[str, str], lang: str) -> str:
    t = lambda key, **f: translate(key, lang, **f)  # noqa: E731
    lines = [t("cli_questions_head")]
    for n, r in q.groupby("question", sort=True):
        first = r.iloc[0]
        goal = str(first["goal"])
        kind, _, value = goal.partition(" ")
        goal_text = t(f"q_{kind}", v=value) if kind in ("rank", "score") else goal
        head = "  " + t("cli_q_head", n=n, unit=names.get(str(first["unit"]),
                                                         str(first["unit"])),
                        goal=goal_text, code=first["code"], period=first["period"],
                        now=f"{first['score_now']:.2f}", rank=first["rank_now"])
        if first["status"] == "already met":
            lines.append(head + t("status_reached"))
            continue
        ok = r[r["status"] == "reachable"]
        if ok.empty:
            lines.append(head + t("cli_q_unreachable"))
            for x in r.head(3).itertuples():
                lines.append(f"     {x.indicators}：{localise(str(x.reason), lang)}")
            continue
        lines.append(head)
        for x in ok.head(3).itertuples():
            check = (t("cli_q_verified") if str(x.verified) == "True"
                     else t("cli_q_not_verified"))
            if str(x.kind) == "proportional":
                lines.append("     " + t("cli_q_together", codes=str(x.indicators).replace(
                    ", ", "、"), pct=f"{x.change_pct:+.2f}", check=check))
            else:
                unit = "" if pd.isna(x.value_unit) else f" {measure(str(x.value_unit), lang)}"
                pct = "" if pd.isna(x.change_pct) else f"（{x.change_pct:+.2f}%）"
                lines.append(f"     {x.indicators}：{x.value_now:.6g} → {x.value_needed:.6g}"
                             f"{unit}{pct}（{check}）")
        n_un = int((r["status"] == "unreachable").sum())
        if n_un:
            lines.append("     " + t("cli_q_cannot", n=n_un))
    return "\n".join(lines)
