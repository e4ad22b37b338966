"""A starting framework and recipe from a data file (``gipro init DATA``).

The framework has one indicator per numeric column of the data under one index, with the
measurement unit read from the header (``co2 (t)``, ``工业废水排放量（万吨）``) and the direction
left to fill in: gipro will not guess whether higher is better, and a framework without
directions stops with a message naming each indicator. The recipe names the data's columns
and lists every key of the ``data:`` section and every step, commented, with its default and
meaning, so the next change is an edit, not a search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import InputError
from .links import docs_url
from .panel import COINR_IDATA, NumberFormat, read_table, to_numeric
from .yearbook import split_unit

__all__ = ["DATA_KEY_COMMENTS", "DataLayout", "detect_layout", "framework_text", "init",
           "recipe_text"]

#: Column names read as the period column (case and spaces ignored).
_PERIOD_NAMES = ("period", "year", "years", "time", "年份", "年", "年度")
#: Column names read as the unit column.
_UNIT_NAMES = ("unit", "region", "province", "country", "iso_code", "iso3", "code", "ucode",
               "park", "city", "地区", "省份", "省", "地区名称", "园区")

#: Every key of the data section with its comment in the written recipe (a test checks that
#: every field of :class:`gipro.dataspec.DataSpec` is here).
DATA_KEY_COMMENTS: dict[str, str] = {
    "dataset": "a built-in data set instead of a file (gipro datasets)",
    "path": "the data file (CSV, Excel, Parquet), relative to this recipe",
    "yearbook": "yearbook sheets instead: {sheets: [{path: t.xlsx, indicator: co2}]}",
    "form": "long | wide | auto",
    "unit": "column of unit codes",
    "period": "column of periods (whole numbers)",
    "indicator": "long form: column of indicator codes",
    "value": "long form: column of values",
    "measure_unit": "long form: column of measurement units",
    "unit_name": "column of unit display names",
    "groups": "group columns (one value per unit), for group imputation: [region]",
    "units": "a file of unit metadata: unit, name, name_zh, groups",
    "sheet": "Excel sheet, by name or number from 0",
    "sep": "CSV separator, e.g. ';'",
    "decimal": "decimal mark, '.' or ','",
    "thousands": "thousands separator, e.g. ','",
    "na_values": "extra texts meaning missing, e.g. ['..', '-']",
    "encoding": "CSV encoding, e.g. gbk",
    "skip_rows": "title rows above the header",
    "default_period": "one-period data without a period column: its period",
    "rename": "columns renamed first: {old: new}",
    "drop_rows": "rows dropped by a column's values: {iso_code: ['']} (aggregate rows)",
    "include_units": "units to build: codes or a file",
    "exclude_units": "units to leave out: codes or a file",
}

_STEPS_COMMENTED = """\
  # Every step, in the order a build usually needs them; uncomment and edit (one page per step:
  # {steps}):
  # - {{step: denominate, denominators: {{co2: population}}, scale: 1}}   # per capita, per GDP
  # - {{step: screen, min_availability: 0.8}}          # drop units with too little data
  # - {{step: impute, method: group_mean, group: region}}   # or mean, median, linear...
  # - {{step: treat, winmax: 5}}                        # outliers (COINr's rule)
  # - {{step: weight, method: equal, output: w}}        # a named weight set (pca, entropy...)
  - {{step: normalise, method: minmax, range: [0, 100], bounds: pooled}}
  - {{step: aggregate, method: arithmetic, min_availability: 0.5}}
"""


@dataclass
class DataLayout:
    """What :func:`detect_layout` found in a data file.

    Attributes
    ----------
    unit, period : str or None
        The unit and period columns.
    unit_name : str or None
        A column of unit names (COINr ``uName``).
    groups : list of str
        Group columns (COINr ``*_group``).
    indicators : dict of str to (str, str or None)
        Column -> (code, unit read from the header).
    names : dict of str to str
        Column -> the header's name part (for the framework's names).
    coinr : bool
        The file is a COINr iData table.
    """

    unit: str | None
    period: str | None
    unit_name: str | None = None
    groups: list[str] = field(default_factory=list)
    indicators: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    coinr: bool = False


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name).casefold())


def _numeric(col: pd.Series) -> bool:
    try:
        v = to_numeric(col, "x", fmt=NumberFormat(na_values=("..", "-", "—")))
    except InputError:
        return False
    return bool(np.isfinite(v).any())


def detect_layout(table: pd.DataFrame) -> DataLayout:
    """The unit, period and indicator columns of a wide table (or a COINr iData table).

    The period column is named period, year, time, 年份... (any case); the unit column unit,
    region, country, iso_code, 地区..., else the first column of text. Every other column
    whose cells are numbers is an indicator, its code the header without the unit in brackets
    (spaces become ``_``), e.g. ``CO2 per capita (t)`` -> ``CO2_per_capita`` in ``t``.

    Raises
    ------
    InputError
        No unit column or no numeric column.

    Examples
    --------
    >>> t = pd.DataFrame({"region": ["A", "B"], "year": [2020, 2020],
    ...                   "CO2 per capita (t)": ["1.5", "2"], "note": ["x", "y"]})
    >>> lay = detect_layout(t)
    >>> lay.unit, lay.period, lay.indicators
    ('region', 'year', {'CO2 per capita (t)': ('CO2_per_capita', 't')})
    """
    cols = [str(c) for c in table.columns]
    folded = {_fold(c): c for c in cols}
    if COINR_IDATA["unit"] in cols and "unit" not in cols:
        lay = DataLayout(COINR_IDATA["unit"], COINR_IDATA["period"]
                         if COINR_IDATA["period"] in cols else None,
                         COINR_IDATA["unit_name"] if COINR_IDATA["unit_name"] in cols else None,
                         [c for c in cols if c.endswith("_group")], coinr=True)
    else:
        period = next((folded[n] for n in map(_fold, _PERIOD_NAMES) if n in folded), None)
        unit = next((folded[n] for n in map(_fold, _UNIT_NAMES) if n in folded), None)
        if unit is None:
            unit = next((c for c in cols if c != period and not _numeric(table[c])), None)
        if unit is None:
            raise InputError("no column of unit codes found",
                             ["name it unit, region, country or 地区, or give it with "
                              "--unit COLUMN"])
        lay = DataLayout(unit, period)
        # text columns with one value per unit: names (a column called name) or groups
        for c in cols:
            if c in (unit, period) or _numeric(table[c]):
                continue
            per_unit = table.groupby(table[unit].astype(str))[c].nunique(dropna=False)
            if (per_unit <= 1).all():
                if lay.unit_name is None and _fold(c) in ("name", "unitname", "名称", "uname"):
                    lay.unit_name = c
                else:
                    lay.groups.append(c)
    skip = {lay.unit, lay.period, lay.unit_name, *lay.groups}
    for c in cols:
        if c in skip or not _numeric(table[c]):
            continue
        name, unit_text = split_unit(c)
        code = re.sub(r"\s+", "_", name.strip())
        lay.indicators[c] = (code, unit_text)
        lay.names[c] = name
    if not lay.indicators:
        raise InputError("no numeric column to use as an indicator",
                         [f"columns: {', '.join(cols)}"])
    return lay


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def framework_text(layout: DataLayout, source: str, code: str = "my-index") -> str:
    """The starting framework as commented YAML (see the module)."""
    head = (f"# Framework written by gipro init from {source}: one indicator per numeric "
            "column,\n# all under one index. To do: give every indicator its direction (1: "
            "higher is better,\n# -1: lower is better); group indicators under dimensions "
            "(aggregates with a\n# parent); set weights (relative to siblings). Every key: "
            f"{docs_url('frameworks')}\n")
    body = {"code": code, "name": {"en": "My index", "zh": "我的指数"},
            "aggregates": [{"code": "INDEX", "name": {"en": "Index", "zh": "总指数"}}]}
    lines = [head, yaml.safe_dump(body, sort_keys=False, allow_unicode=True).rstrip(),
             "indicators:"]
    for col, (c, unit) in layout.indicators.items():
        lang = "zh" if _has_cjk(layout.names[col]) else "en"
        lines.append(f"  - code: {yaml.safe_dump(c, allow_unicode=True).splitlines()[0]}")
        lines.append("    parent: INDEX")
        name = yaml.safe_dump(layout.names[col], allow_unicode=True).splitlines()[0]
        lines.append(f"    name: {{{lang}: {name}}}")
        unit_line = yaml.safe_dump(unit, allow_unicode=True).splitlines()[0] if unit else ""
        lines.append(f"    unit: {unit_line}" + ("   # from the header" if unit else
                                                   "   # to fill: the measurement unit"))
        lines.append("    direction:   # to fill: 1 (higher is better) or -1 (lower is better)")
        lines.append("    weight: 1")
    return "\n".join(lines) + "\n"


def recipe_text(layout: DataLayout, data_path: str, framework_path: str,
                name: str = "my-index") -> str:
    """The starting recipe as commented YAML: the keys this data need, then every other key
    of the data section commented with its meaning, then every step."""
    set_keys: dict[str, object] = {"path": data_path, "form": "wide", "unit": layout.unit}
    if layout.period:
        set_keys["period"] = layout.period
    if layout.unit_name:
        set_keys["unit_name"] = layout.unit_name
    if layout.groups:
        set_keys["groups"] = layout.groups
    rename = {col: c for col, (c, _) in layout.indicators.items() if col != c}
    if rename:
        set_keys["rename"] = rename
    out = [f"# Recipe written by gipro init. Run it: gipro run {name}.yaml --out {name}-output",
           f"# Every key: {docs_url('recipe')}",
           f"name: {name}", f"framework: {framework_path}", "data:"]
    for k, v in set_keys.items():
        text = yaml.safe_dump({k: v}, allow_unicode=True, default_flow_style=True,
                              width=1000).strip()[1:-1]
        out.append(f"  {text:<40} # {DATA_KEY_COMMENTS[k]}")
    if not layout.period:
        out.append("  default_period: 2020                     # to fill: the year of these "
                   "data (no period column found)")
    for k, comment in DATA_KEY_COMMENTS.items():
        if k in set_keys or k in ("dataset", "yearbook", "path") or (
                k == "default_period" and not layout.period):
            continue
        out.append(f"  # {k}: ...".ljust(42) + f" # {comment}")
    out += ["# periods: {start: 2015, end: 2020}          # the periods to build (default: all)",
            "# units: [A, B]                               # the units to build (default: all)",
            "# keep: [aggregated]                          # data sets kept (default: all)",
            "# results: aggregates                         # codes of results.csv (default: all)",
            "steps:", _STEPS_COMMENTED.format(steps=docs_url("steps/normalise")).rstrip()]
    return "\n".join(out) + "\n"


def init(data: str | Path, out: str | Path = ".", *, name: str = "my-index",
         sheet: str | int | None = None, encoding: str = "utf-8-sig",
         sep: str | None = None) -> tuple[Path, Path]:
    """Write ``<name>-framework.yaml`` and ``<name>.yaml`` for a data file into ``out``.

    Returns
    -------
    (Path, Path)
        The framework and the recipe written.

    Raises
    ------
    InputError
        Unreadable data, no unit or numeric column, or a file of that name already there
        (gipro never overwrites a file it did not write).
    """
    data = Path(data)
    table, _ = read_table(data, sheet=sheet, sep=sep, encoding=encoding)
    layout = detect_layout(table)
    from .paths import output_name
    from .tables import write_text

    out = Path(out)
    output_name(name, "--name")  # it becomes the file names
    fw_path, recipe_path = out / f"{name}-framework.yaml", out / f"{name}.yaml"
    there = [str(p) for p in (fw_path, recipe_path) if p.exists()]
    if there:
        raise InputError(f"not overwriting {', '.join(there)}",
                         ["choose another --name or --out, or move the files away"])
    out.mkdir(parents=True, exist_ok=True)
    rel = Path(data).resolve()
    try:
        rel_text = str(rel.relative_to(out.resolve()))
    except ValueError:
        rel_text = str(rel)
    write_text(fw_path, framework_text(layout, data.name, name))
    text = recipe_text(layout, rel_text, fw_path.name, name)
    if sheet is not None:
        text = text.replace("  # sheet: ...", f"  sheet: {sheet!r}".ljust(42)[:-2] + "  #", 1)
    if encoding not in ("utf-8-sig", "utf-8"):
        text = text.replace("  # encoding: ...", f"  encoding: {encoding}".ljust(40), 1)
    write_text(recipe_path, text)
    return fw_path, recipe_path
