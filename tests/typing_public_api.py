"""Type-checked by mypy (pyproject [tool.mypy]), never run: the public API as a user's code
calls it, so that an annotation that makes users' type checkers fail is caught here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import gipro
from gipro.framework import Framework
from gipro.provinces import match_province
from gipro.stats import indicator_stats
from gipro.yearbook import YearbookTable, read_yearbook, read_yearbooks


def _use(tmp: Path) -> None:  # pragma: no cover - type-checked only
    build: gipro.Build = gipro.run()
    results: pd.DataFrame = build.results()
    variant: gipro.Build = build.with_step("normalise", bounds="per_period").run()
    diff: pd.DataFrame = gipro.compare(build, variant)
    recipe: gipro.Recipe = gipro.load_recipe("china-provinces-gipro")
    fw: Framework = Framework.from_file(tmp / "ASEM_iMeta.csv")
    table: pd.DataFrame = fw.to_table(tmp / "meta.xlsx")
    text: str = fw.to_yaml()
    sheet: YearbookTable = read_yearbook(tmp / "co2.xlsx", indicator="co2", codes="gb")
    panel: gipro.Panel = read_yearbooks([sheet, {"path": tmp / "gdp.csv", "period": 2020}])
    stats: pd.DataFrame = indicator_stats(build, "raw", "all")
    gb: str | None = None if (m := match_province("北京")).province is None else m.province.gb
    print(results, diff, recipe, table, text, panel, stats, gb)
