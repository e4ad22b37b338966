"""Reports shared by the report tests (Chinese text, browser and PDF checks)."""

from __future__ import annotations

import pandas as pd

from gipro.report import Robustness, Scenarios, report_for_build

__all__ = ["full_report"]


def full_report(build, lang: str = "zh"):
    """The China report (in ``lang``) with every section: robustness (rank intervals and
    Sobol indices) and scenarios, as gipro sensitivity and gipro scenario add them."""
    res = build.results()
    ranks = res[(res["code"] == "GIP") & (res["period"] == 2015)]
    ri = pd.DataFrame({"unit": ranks["unit"], "nominal_rank": ranks["rank"],
                       "median_rank": ranks["rank"], "q05": ranks["rank"],
                       "q95": ranks["rank"] + 1})
    sob = pd.DataFrame({"input": ["weights", "aggregate.method"], "S1": [0.3, 0.5],
                        "ST": [0.4, 0.6]})
    rob = Robustness(rank_intervals=ri, sobol=sob,
                     notes=["16 of 32 runs failed (listed in failures); rank statistics use "
                            "the successful runs"])
    sc = ranks.assign(scenario="s1", score_base=ranks["score"],
                      score_scenario=ranks["score"] + 1, score_change=1.0,
                      rank_base=ranks["rank"], rank_scenario=ranks["rank"], rank_change=0)
    scen = Scenarios(sc[["scenario", "unit", "score_base", "score_scenario", "score_change",
                         "rank_base", "rank_scenario", "rank_change"]], 2015,
                     ["values beyond the baseline's bounds are scored beyond the scale, e.g. "
                      "above 100 (clip: false; listed in beyond_scale)"])
    return report_for_build(build, lang=lang, robustness=rob, scenarios=scen)
