"""GIPro-style progress report for China's 30 provinces, 2006-2015, from gipro's embedded data.

Writes to ``--out`` (default ``china-progress-report/``):

* ``report.md`` -- the report: summary, progress of every province (index change, rank change,
  three leading factors of change), improver counts per indicator, the LMDI decomposition of
  provincial CO2 change (Kaya factors; and by sector) and the caveats that bear on it;
* ``progress/`` -- every progress table (as written by ``gipro progress``);
* ``lmdi_kaya.csv`` (two-period), ``lmdi_kaya_yearly.csv`` (year by year and chained) and
  ``lmdi_kaya_sectors.csv`` (two-period, by sector).

The LMDI identities (Ang 2005, 2015):

* Kaya, per province: CO2 = population x (real GDP / population) x (CO2 / real GDP);
* by sector (the CEADs sector groups of ``gipro.datasets.china_provinces_co2_sectors``):
  CO2 = sum over sectors of population x (real GDP / population) x (CO2_sector / real GDP).
  With no sectoral value added in the data, a sector's "intensity" is its CO2 per unit of
  *total* GDP, so structure and technology cannot be told apart.

Usage (from the repository root)::

    python scripts/china_progress_report.py [--out DIR] [--base 2006] [--end 2015]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import gipro
from gipro.datasets.breaks import series_breaks
from gipro.lmdi import Identity, lmdi
from gipro.progress import report

KAYA = Identity({"population": "population",
                 "affluence": "gdp_real_2015prices / population",
                 "intensity": "co2_total / gdp_real_2015prices"},
                value="co2_total", name="Kaya")
KAYA_SECTORS = Identity({"population": "population",
                         "affluence": "gdp_real_2015prices / population",
                         "intensity": "co2 / gdp_real_2015prices"},
                        value="co2", name="Kaya by sector")


def md_table(df: pd.DataFrame, floatfmt: str = "{:.1f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        cells = [floatfmt.format(v) if isinstance(v, float) else str(v) for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="china-progress-report")
    ap.add_argument("--base", type=int, default=2006)
    ap.add_argument("--end", type=int, default=2015)
    args = ap.parse_args()
    out = Path(args.out)
    base, end = args.base, args.end

    build = gipro.run({"framework": "china-provinces-green-industry",
                       "data": {"dataset": "china_provinces"},
                       "periods": {"start": base, "end": end}})
    rep = report(build, base, end)
    rep.write(out / "progress")
    fw = build.framework

    # ---- progress of every province with its three leading factors
    idx = rep.tables["index_progress"]
    idx = idx[idx["code"] == fw.root].set_index("unit")
    lead = rep.tables["leading_factors"]
    rows = []
    for unit, g in lead.groupby("unit", sort=False):
        r = idx.loc[unit]
        rows.append({
            "province": unit, f"GIP {base}": r["score_base"], f"GIP {end}": r["score_end"],
            "change": r["change"], "rank": f"{r['rank_base']} -> {r['rank_end']}",
            "leading factors (index points)": "; ".join(
                f"{c} {v:+.1f}" for c, v in zip(g["code"], g["contribution"], strict=True)),
        })
    prog = pd.DataFrame(rows).sort_values("change", ascending=False)
    imp = rep.tables["improvers"][["code", "direction", "n_improved", "n_worsened",
                                   "n_unchanged", "n_missing"]]
    contrib = rep.tables["contributions"]
    dims = contrib[contrib["kind"] == "aggregate"].groupby("code")["contribution"].agg(
        ["mean", "min", "max"]).reset_index()

    # ---- LMDI of provincial CO2
    panel = gipro.datasets.china_provinces().values.reset_index()
    span = panel[panel["period"].between(min(base, end), max(base, end))]
    kaya = lmdi(span, KAYA, base=base, end=end)
    kaya_y = lmdi(span, KAYA, base=base, end=end, chain=True)
    sec = gipro.datasets.china_provinces_co2_sectors()
    sec = sec.merge(panel[["unit", "period", "population", "gdp_real_2015prices"]],
                    on=["unit", "period"])
    sec = sec[sec["period"].isin([base, end])]
    kaya_s = lmdi(sec, KAYA_SECTORS, sector="sector", base=base, end=end, by_sector=True)
    kaya.to_csv(out / "lmdi_kaya.csv", index=False)
    kaya_y.to_csv(out / "lmdi_kaya_yearly.csv", index=False)
    kaya_s.to_csv(out / "lmdi_kaya_sectors.csv", index=False)

    wide = kaya.pivot(index="unit", columns="factor", values="additive")[
        ["total", "population", "affluence", "intensity"]]
    ratio = kaya.pivot(index="unit", columns="factor", values="multiplicative")[
        ["total", "population", "affluence", "intensity"]]
    check = (wide[["population", "affluence", "intensity"]].sum(axis=1) - wide["total"]).abs()
    lm_tab = wide.join(ratio.add_suffix(" (ratio)")).reset_index().rename(
        columns={"unit": "province", "total": "dCO2 (Mt)"}).sort_values("dCO2 (Mt)")
    nat = wide.sum()
    steps = kaya_y[kaya_y["kind"] == "step"].groupby(["base", "end", "factor"])[
        "additive"].sum().unstack()[["total", "population", "affluence", "intensity"]]
    steps = steps.reset_index()
    sec_int = kaya_s[kaya_s["factor"] == "intensity"].pivot(
        index="unit", columns="sector", values="additive")
    sec_tot = sec_int.sum().sort_values()
    common_gap = (lmdi(sec, KAYA_SECTORS, sector="sector", base=base, end=end)
                  .pivot(index="unit", columns="factor", values="additive") - wide).abs()

    breaks = series_breaks("china_provinces", None, base, end)
    text = [
        f"# Green Industry Progress of China's provinces, {base}-{end}",
        "",
        "Generated by `scripts/china_progress_report.py` from gipro's embedded data "
        "(CEADs CO2 inventories, NBS population and GDP, World Bank deflator; see "
        "`gipro.datasets.notice()`). Index: built-in framework "
        f"`{fw.code}`, min-max with bounds pooled over {base}-{end}, arithmetic aggregation.",
        "",
        "## Summary",
        "",
        rep.summary,
        "",
        "## Progress of every province",
        "",
        "Leading factors: the three indicators with the largest absolute contribution to the "
        "index change (effective weight x change of normalised score; they add up exactly, "
        "with the rest, to the change).",
        "",
        md_table(prog),
        "",
        "Contribution of each dimension to the index change (points, over provinces):",
        "",
        md_table(dims.rename(columns={"code": "dimension"}), "{:+.2f}"),
        "",
        f"## Indicators: how many provinces improved, {base} -> {end}",
        "",
        "Improved = moved in the indicator's direction (direction -1: fell).",
        "",
        md_table(imp),
        "",
        f"## LMDI decomposition of provincial CO2 change, {base} -> {end}",
        "",
        f"Identity: {KAYA}. Additive LMDI-I (Mt CO2, adding up to the change) and "
        "multiplicative (ratios multiplying to CO2_end / CO2_base); Ang (2005, 2015). "
        f"Largest |sum of effects - change| over provinces: {check.max():.2g} Mt.",
        "",
        md_table(lm_tab, "{:.3f}"),
        "",
        f"Sum over the 30 provinces: change {nat['total']:+.1f} Mt = population "
        f"{nat['population']:+.1f} + affluence {nat['affluence']:+.1f} + intensity "
        f"{nat['intensity']:+.1f} Mt (sums of provincial effects).",
        "",
        "Year by year (sum over provinces, Mt; chained effects add up to the two-period "
        "change but differ from the two-period split, LMDI being path dependent):",
        "",
        md_table(steps, "{:+.1f}"),
        "",
        "### By sector",
        "",
        f"Identity: {KAYA_SECTORS}; nine CEADs sector groups. Intensity effect of each sector "
        "summed over provinces (Mt; negative = the sector's CO2 per unit of GDP fell):",
        "",
        md_table(sec_tot.rename("intensity effect (Mt)").reset_index(), "{:+.1f}"),
        "",
        "With sectors, the common factors' effects use each sector's logarithmic-mean weight, "
        "so they differ slightly from the one-sector split (largest difference "
        f"{common_gap[['population', 'affluence', 'intensity']].max().max():.2f} Mt); both "
        "add up exactly to the change.",
        "",
        "## Caveats",
        "",
    ]
    for b in breaks:
        text.append(f"- Series break between {b.before} and {b.before + 1}: {b.note}. "
                    f"Affects {', '.join(v for v in b.variables)}.")
    if any(b.before == 2008 for b in breaks):
        s = steps.set_index("base")
        text.append(
            "- The GDP vintage break lies inside the span: the 2008->2009 change of GDP mixes "
            "growth with a change of data vintage, and so do the affluence and intensity "
            "effects (they move in opposite directions by the same amount). The size of the "
            "revision is not known from these data. The year-by-year steps isolate it: "
            f"2008->2009 affluence {s.loc[2008, 'affluence']:+.1f} Mt, intensity "
            f"{s.loc[2008, 'intensity']:+.1f} Mt (2007->2008: "
            f"{s.loc[2007, 'affluence']:+.1f} / {s.loc[2007, 'intensity']:+.1f}; 2009->2010: "
            f"{s.loc[2009, 'affluence']:+.1f} / {s.loc[2009, 'intensity']:+.1f}). The same "
            "holds for the index indicators built on GDP (real GDP per capita, the two CO2 "
            "intensities).")
    text += [
        "- Real GDP uses the national deflator; provincial real growth is approximate.",
        "- CO2 is territorial (where the plant is): provinces exporting electricity carry "
        "its emissions.",
        "- The index has no water, waste, pollution, energy or employment indicators; "
        "industrial CO2 intensity is per unit of total GDP.",
        "",
    ]
    (out / "report.md").write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {out / 'report.md'}, {out / 'progress'}/ and lmdi_*.csv")
    print(rep.summary)
    print(f"Kaya LMDI, sum over provinces {base}->{end}: {nat.round(1).to_dict()}")


if __name__ == "__main__":
    main()
