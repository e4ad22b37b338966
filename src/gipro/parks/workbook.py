"""The park data-entry workbook: ``gipro template`` writes it, ``gipro assess FILE.xlsx`` reads
it back.

A park team fills in one Excel workbook instead of assembling CSV files:

``instructions``  how to fill it in, what each column means, the framework and its sources
                  (English or Chinese)
``parks``         one row per park: name and the attributes that choose thresholds (region,
                  park type, water-scarce region...)
``indicators``    one row per indicator of the framework (code, name, unit, definition, how to
                  compute it, the threshold it is judged against and whether that threshold is
                  verified) and one column per park and year to fill
``enterprises``   (optional) one row per enterprise and year, rolled up into park indicators
                  (:func:`gipro.parks.rollup`)

Cells carry Excel data validation (numeric ranges from the indicator catalogue, yes/no and
category lists); the structure (codes, units, parks, years, headers) is locked (sheet
protection without a password) and recorded on a hidden sheet, so that reading back checks
every structure cell and names the one that changed (``indicators!A12``). Reading is cell by
cell and bounded (:mod:`gipro.parks.sheets`): text in a numeric cell, a value outside what the
indicator can take, a yes/no or category cell that is neither, a park with no value at all in
a year, a value typed outside the tables -- each an error naming sheet and cell. An empty cell
is missing, never zero.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .data import USER_DATA, ParkData, out_of_range, park_codes
from .flags import flag_value
from .model import (
    IndicatorDef,
    RequirementFramework,
    builtin_park_frameworks,
    format_threshold,
    load_catalogue,
    load_park_framework,
)
from .sheets import Block, SheetFile, cell_text, column_letter

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMAT", "is_template", "read_template", "template_framework",
           "write_template"]

#: Marker of a gipro data-entry workbook (first row of its hidden ``gipro`` sheet).
FORMAT = "gipro park data-entry workbook"
_META = "gipro"
_VERSION = 1
#: Fixed columns of the indicators sheet, before one column per park and year.
FIXED = ("code", "name", "unit", "definition", "how_to_compute", "threshold", "verification")
#: Park attributes the built-in frameworks choose thresholds by, always on the parks sheet.
ATTRIBUTES = ("region", "park_type", "water_scarce")
#: Rows open for enterprise records (more with --example's 1,920 records).
ENTERPRISE_ROWS = 2000
_MAX_LISTED = 20

_TEXT = {
    "en": {
        "code": "code", "name": "name", "unit": "unit", "definition": "definition",
        "how_to_compute": "how to compute", "threshold": "threshold (framework)",
        "verification": "threshold verified?", "year": "year",
        "park": "park", "park_name": "name", "data_status": "data_status",
        "yes": "yes", "no": "no",
        "unverified": "UNVERIFIED", "verified": "verified",
        "user": "verified by user: {source}",
        "present": "present (yes)", "applies": "applies when {cond}",
        "rollup": "from enterprise records: {formula}",
        "rollup_sheet": "computed from the enterprises sheet ({formula}); a value typed here "
                        "takes precedence",
        "derived": "computed across years or with the land area: {formula}",
        "park_record": "park-level record (statistics, survey, park management)",
        "scored": "{fw}: scored (min-max over parks and years), no threshold",
        "status": {"prerequisite": "prerequisite", "mandatory": "mandatory",
                   "optional": "optional", "encouraged": "encouraged", "group": "group"},
        "number": "a number in {unit}{rng}", "flag": "yes or no", "levels": "one of: {levels}",
        "err_title": "gipro", "prompt_title": "{code}",
    },
    "zh": {
        "code": "代码", "name": "名称", "unit": "单位", "definition": "定义",
        "how_to_compute": "计算方法", "threshold": "阈值（评价标准）",
        "verification": "阈值是否已核实", "year": "年份",
        "park": "园区代码", "park_name": "园区名称", "data_status": "数据状态",
        "yes": "是", "no": "否",
        "unverified": "未核实", "verified": "已核实",
        "user": "用户已核实：{source}",
        "present": "具备（是）", "applies": "适用条件：{cond}",
        "rollup": "由企业数据汇总：{formula}",
        "rollup_sheet": "由“enterprises”表的企业数据计算（{formula}）；在此填写的数值优先",
        "derived": "跨年度或结合用地面积计算：{formula}",
        "park_record": "园区层面数据（统计、调查或园区管理机构）",
        "scored": "{fw}：评分指标（按园区和年份极差标准化），无阈值",
        "status": {"prerequisite": "前提条件", "mandatory": "必选", "optional": "可选",
                   "encouraged": "鼓励", "group": "组合"},
        "number": "数字，单位 {unit}{rng}", "flag": "是或否", "levels": "以下之一：{levels}",
        "err_title": "gipro", "prompt_title": "{code}",
    },
}

_INSTRUCTIONS = {
    "en": [
        ("title", "gipro data-entry workbook: {framework}"),
        ("", "{status}"),
        ("head", "How to fill it in"),
        ("", "1. parks sheet: give each park's name and its attributes (region, park_type, "
             "water_scarce: yes/no). Some thresholds depend on them (e.g. HJ 274's reclaimed-"
             "water target applies to water-scarce regions)."),
        ("", "2. indicators sheet: one row per indicator, one column per park and year (park "
             "in row 1, year in row 2). Type each value in the unit of column C: percentages as "
             "numbers (96 for 96 %, not 0.96), yes/no and categories from the cell's list."),
        ("", "3. Leave a cell empty when you have no value: an empty cell is 'no data', never "
             "zero. Every park needs at least one value in every year of the workbook."),
        ("", "{enterprises}"),
        ("", "4. Save the file (.xlsx) and run: gipro assess {file} --out results/"),
        ("head", "Columns of the indicators sheet"),
        ("", "code: the indicator's code in gipro's park indicator catalogue. name, unit: what "
             "to report and in which unit. definition: the framework item(s) the indicator "
             "measures. how to compute: the formula (from enterprise records) or the source of "
             "a park-level record."),
        ("", "threshold: what the framework judges the indicator against (status in "
             "brackets). threshold verified?: 'verified' when gipro read it in the official "
             "text; 'UNVERIFIED' when it is recollection or inference; 'verified by user: ...' "
             "when you verified it. To correct a threshold and cite your source: gipro "
             "frameworks export {code} --out {code}.xlsx, then gipro assess ... --framework "
             "{code}.xlsx"),
        ("head", "Structure"),
        ("", "Grey cells (codes, units, parks, years, headers) are locked: gipro reads the "
             "workbook by position and names any structure cell that changed (e.g. "
             "indicators!A12). To add parks or years, make a new workbook with gipro template."),
        ("head", "Framework and sources"),
    ],
    "zh": [
        ("title", "gipro 数据填报工作簿：{framework}"),
        ("", "{status}"),
        ("head", "填写方法"),
        ("", "1. parks 表：填写各园区名称及属性（region 地区、park_type 园区类型、water_scarce "
             "是否缺水地区：是/否）。部分阈值取决于这些属性（例如 HJ 274 的再生水回用目标适用于"
             "缺水地区）。"),
        ("", "2. indicators 表：每行一个指标，每列一个园区和年份（第 1 行为园区，第 2 行为年份）。"
             "按 C 列的单位填写：百分比填数字（96% 填 96，不填 0.96），是/否和分类从单元格下拉"
             "列表中选择。"),
        ("", "3. 没有数据时请留空：空单元格表示“无数据”，绝不按零处理。每个园区在本工作簿的每个"
             "年份至少要有一个数值。"),
        ("", "{enterprises}"),
        ("", "4. 保存文件（.xlsx）后运行：gipro assess {file} --out results/"),
        ("head", "indicators 表各列说明"),
        ("", "代码：gipro 园区指标目录中的指标代码。名称、单位：填报内容及单位。定义：该指标对应"
             "的评价项目。计算方法：由企业数据计算的公式，或园区层面数据的来源。"),
        ("", "阈值：评价标准对该指标的要求（括号内为指标属性）。阈值是否已核实：“已核实”表示 "
             "gipro 在官方文本中读到；“未核实”表示凭记忆或推断；“用户已核实：……”表示由您核实。"
             "如需修正阈值并注明出处：gipro frameworks export {code} --out {code}.xlsx，然后 "
             "gipro assess ... --framework {code}.xlsx"),
        ("head", "结构"),
        ("", "灰色单元格（代码、单位、园区、年份、表头）已锁定：gipro 按位置读取工作簿，并指出"
             "被修改的结构单元格（例如 indicators!A12）。如需增加园区或年份，请用 gipro template "
             "重新生成工作簿。"),
        ("head", "评价框架及来源"),
    ],
}
_ENTERPRISE_LINE = {
    "en": ("3b. enterprises sheet: one row per enterprise and year (park code, year, "
           "enterprise and the quantities in the units of the header). gipro rolls them up "
           "into park indicators; empty = not reported, never zero."),
    "zh": ("3b. enterprises 表：每行一家企业一个年份（园区代码、年份、企业及表头所示单位的数量）。"
           "gipro 将其汇总为园区指标；空单元格表示未报告，绝不按零处理。"),
}
_STATUS_LINE = {
    "en": ("SYNTHETIC example data pre-filled (illustrative parks, not real measurements): "
           "replace them with your parks' data.", "For your parks' data."),
    "zh": ("已预填合成示例数据（示意园区，并非真实测量值）：请替换为您园区的数据。",
           "用于填报您园区的数据。"),
}


@dataclass
class _Layout:
    """What a workbook holds and where: recorded on the hidden sheet, checked on reading."""

    framework: str
    lang: str
    parks: list[str]
    years: list[int]
    indicators: list[str]
    attributes: list[str]
    enterprise_rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[tuple[str, int]]:
        """(park, year) of each data column of the indicators sheet, in order."""
        return [(p, y) for p in self.parks for y in self.years]

    @property
    def first_data_col(self) -> int:
        return len(FIXED) + 1

    def parks_header(self) -> list[str]:
        t = _TEXT[self.lang]
        return [t["park"], t["park_name"], t["data_status"], *self.attributes]

    def meta(self) -> list[tuple[str, str]]:
        return [("format", FORMAT), ("version", str(_VERSION)),
                ("framework", self.framework), ("lang", self.lang),
                ("parks", json.dumps(self.parks, ensure_ascii=False)),
                ("years", json.dumps(self.years)),
                ("indicators", json.dumps(self.indicators)),
                ("attributes", json.dumps(self.attributes, ensure_ascii=False)),
                ("enterprise_rows", str(self.enterprise_rows))]

    @classmethod
    def from_meta(cls, rows: dict[str, Any], where: str) -> _Layout:
        try:
            if rows.get("format") != FORMAT or int(rows.get("version", 0)) != _VERSION:
                raise ValueError("format")
            return cls(str(rows["framework"]), str(rows["lang"]), json.loads(rows["parks"]),
                       [int(y) for y in json.loads(rows["years"])],
                       json.loads(rows["indicators"]), json.loads(rows["attributes"]),
                       int(rows.get("enterprise_rows") or 0))
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"{where}: the hidden sheet '{_META}' that records the "
                             f"workbook's layout is damaged ({exc})",
                             ["make a new workbook with gipro template and copy your values "
                              "into it"]) from None


# ---------------------------------------------------------------------- what to ask for
def _frameworks(framework: str | Path | RequirementFramework) -> tuple[list[Any], str]:
    """The frameworks a template serves (requirement frameworks and/or ``park26``) and the
    name recorded in the workbook."""
    if isinstance(framework, RequirementFramework):
        return [framework], framework.code
    name = str(framework)
    if name == "all":
        return [*(load_park_framework(c) for c in ("eip", "hj274", "miit")), "park26"], name
    if name == "park26":
        return ["park26"], name
    return [load_park_framework(name)], name


def _park26_codes() -> list[str]:
    from ..framework import load_framework

    return list(load_framework("park26").indicator_codes)


def _requirement_text(fw: RequirementFramework, r: Any, t: dict) -> tuple[str, str]:
    """(threshold, verification) of one requirement as the workbook shows them."""
    status = t["status"].get(r.status, r.status)
    if r.comparator == "present":
        need = t["present"]
    else:
        need = f"{r.comparator} {format_threshold(r.threshold) or '?'} {r.unit or ''}".strip()
    def when(cond: dict) -> str:
        return "; ".join(f"{a}=" + "/".join(
            (t["yes"] if x else t["no"]) if isinstance(x, bool) else str(x) for x in vals)
            for a, vals in cond.items())

    parts = [need]
    for v in r.variants:
        parts.append(f"{format_threshold(v.threshold) or '?'} ({when(v.when)})")
    if r.applies_when:
        parts.append(t["applies"].format(cond=when(r.applies_when)))
    text = f"{fw.code} {r.code} ({status}): " + "; ".join(parts)
    checks = [r, *r.variants]
    if any(c.user_checked for c in checks):
        ver = t["user"].format(source="; ".join(c.user_source.strip() for c in checks
                                                if c.user_checked))
        if not all(c.is_verified for c in checks):
            ver += f" ({t['unverified']})"
    elif all(c.verified for c in checks):
        ver = t["verified"]
    else:
        ver = t["unverified"]
    return text, f"{fw.code} {r.code}: {ver}"


def _rows(frameworks: list[Any], lang: str, with_enterprises: bool) -> list[dict]:
    """One row per indicator of the frameworks, in framework order."""
    t = _TEXT[lang]
    cat = load_catalogue()
    rows: dict[str, dict] = {}

    def row(code: str) -> dict:
        if code not in rows:
            ind = cat.get(code)
            formula = ind.formula or ""
            how = (t["rollup_sheet" if with_enterprises else "rollup"].format(formula=formula)
                   if ind.origin == "rollup" else
                   t["derived"].format(formula=formula) if ind.origin == "derived"
                   else t["park_record"] + (f": {formula}" if formula else ""))
            rows[code] = {"code": code, "name": ind.name.get(lang) or code, "unit": ind.unit,
                          "definition": [], "how_to_compute": how, "threshold": [],
                          "verification": [], "ind": ind}
        return rows[code]

    for fw in frameworks:
        if fw == "park26":
            for code in _park26_codes():
                r = row(code)
                r["threshold"].append(t["scored"].format(fw="park26"))
            continue
        for req in fw.requirements:
            if req.indicator is None:
                continue
            r = row(req.indicator)
            r["definition"].append(f"{fw.code} {req.code}: {req.name.get(lang) or req.code}")
            need, ver = _requirement_text(fw, req, t)
            r["threshold"].append(need)
            r["verification"].append(ver)
    if with_enterprises:  # park-level inputs of the roll-up (e.g. industrial land area)
        from .rollup import PARK_INPUTS

        for code in PARK_INPUTS:
            row(code)
    out = []
    for r in rows.values():
        r = dict(r)
        for k in ("definition", "threshold", "verification"):
            r[k] = "\n".join(r[k])
        out.append(r)
    return out


def _attributes(frameworks: list[Any], given: list[str]) -> list[str]:
    """Attribute columns of the parks sheet: those the frameworks choose thresholds by, the
    usual ones, and those of a given park table."""
    used: list[str] = list(ATTRIBUTES)
    for fw in frameworks:
        if fw == "park26":
            continue
        for r in fw.requirements:
            used += list(r.applies_when or {})
            for v in r.variants:
                used += list(v.when)
    return list(dict.fromkeys([*used, *given]))


# ---------------------------------------------------------------------- writing
def write_template(
    path: str | Path,
    framework: str | Path | RequirementFramework = "all",
    *,
    parks: str | Path | pd.DataFrame | None = None,
    years: list[int] | None = None,
    example: bool = False,
    enterprises: bool = False,
    lang: str = "en",
) -> Path:
    """Write a data-entry workbook for park assessment (see the module docstring).

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write (an existing file is never overwritten).
    framework : str, path or RequirementFramework
        ``hj274``, ``miit``, ``eip``, ``park26``, ``all`` or a framework file: which
        indicators the workbook asks for, with their thresholds.
    parks : path or DataFrame, optional
        Park table (``park`` column, optionally ``name``, ``region``, ``park_type``,
        ``water_scarce`` and other attributes), read like ``parks.csv``.
    years : list of int, optional
        Years to fill (default with ``example``: the example's years).
    example : bool
        Pre-fill with the SYNTHETIC example parks (instead of ``parks``).
    enterprises : bool
        Add the enterprises sheet (pre-filled with the example's 1,920 records with
        ``example``; the indicators sheet then holds only the park-level records).
    lang : {"en", "zh"}
        Language of the instructions, headers and lists.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        Neither or both of ``parks`` and ``example``, no years, years that are not calendar
        years, an existing ``path``, a park table without a ``park`` column.
    """
    from ..version import __version__
    from .io import read_table

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path.name}: the data-entry workbook is written as .xlsx")
    if path.exists():
        raise InputError(f"{path} exists: gipro does not overwrite a file",
                         ["give another file name, or move the file away"])
    if lang not in _TEXT:
        raise InputError(f"lang must be one of {', '.join(_TEXT)}, got {lang!r}")
    if (parks is None) == (not example):
        raise InputError("give the parks (a park table) or ask for the example parks, "
                         "not both" if parks is not None else
                         "give the parks (a park table: gipro template --parks parks.csv) or "
                         "ask for the SYNTHETIC example parks (--example)")
    frameworks, fw_name = _frameworks(framework)
    values = records = None
    if example:
        from ..datasets import parks_example

        data = parks_example()
        attrs = data.parks.reset_index()
        values = data.values
        if enterprises:
            from ..datasets import parks_example_enterprises

            records = parks_example_enterprises().drop(columns=["data_status"],
                                                       errors="ignore")
            origin = {i.code: i.origin for i in load_catalogue().indicators}
            values = values[values["indicator"].map(origin) == "park"]
        years = sorted(data.years) if not years else years
        missing = sorted(set(years) - set(data.years))
        if missing:
            raise InputError(f"years {missing} are not in the example parks",
                             [f"example years: {', '.join(map(str, data.years))}"])
    else:
        table = read_table(parks) if not isinstance(parks, pd.DataFrame) else parks.copy()
        table = table.drop(columns=["__file_row__"], errors="ignore")
        if "park" not in table.columns:
            where = "" if isinstance(parks, pd.DataFrame) else f" {parks}"
            raise InputError(f"park table{where} has no column 'park'",
                             [f"found {list(table.columns)}"])
        table["park"] = park_codes(table["park"], "park table")
        if table["park"].duplicated().any():
            raise InputError("park table: duplicate parks "
                             f"{sorted(set(table['park'][table['park'].duplicated()]))}")
        attrs = table
        if not years:
            raise InputError("give the years to fill in (gipro template --years 2021 2022 2023)")
    bad = [y for y in years if not (isinstance(y, int) and 1000 <= y <= 9999)]
    if bad:
        raise InputError(f"years must be calendar years, got {bad}")
    years = sorted(set(years))
    given = [c for c in attrs.columns if c not in ("park", "name", "data_status")]
    rows = _rows(frameworks, lang, enterprises)
    layout = _Layout(fw_name, lang, [str(p) for p in attrs["park"]], years,
                     [r["code"] for r in rows], _attributes(frameworks, given),
                     max(ENTERPRISE_ROWS, 0 if records is None else len(records) + 500)
                     if enterprises else 0)
    wb = _Writer(layout, rows, attrs, values, records, frameworks, example,
                 path.name).build(__version__)
    try:
        wb.save(path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


class _Writer:
    """Builds the workbook of one layout (openpyxl, write mode)."""

    def __init__(self, layout: _Layout, rows: list[dict], attrs: pd.DataFrame,
                 values: pd.DataFrame | None, records: pd.DataFrame | None,
                 frameworks: list[Any], example: bool, file: str) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill, Protection

        self.layout, self.rows, self.attrs = layout, rows, attrs
        self.values, self.records, self.frameworks = values, records, frameworks
        self.example, self.file = example, file
        self.t = _TEXT[layout.lang]
        self.grey = PatternFill("solid", fgColor="E7E6E6")
        self.bold = Font(bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")
        self.locked = Protection(locked=True)
        self.open = Protection(locked=False)

    def build(self, version: str):
        from openpyxl import Workbook
        from openpyxl.workbook.protection import WorkbookProtection

        wb = Workbook()
        self.instructions(wb.active, version)
        self.parks(wb.create_sheet("parks"))
        self.indicators(wb.create_sheet("indicators"))
        if self.layout.enterprise_rows:
            self.enterprises(wb.create_sheet("enterprises"))
        meta = wb.create_sheet(_META)
        for k, v in self.layout.meta():
            meta.append([k, v])
        meta.sheet_state = "hidden"
        meta.protection.sheet = True
        wb.security = WorkbookProtection(lockStructure=True)
        return wb

    def _protect(self, ws: Worksheet, fit: bool = True) -> None:
        """Lock the sheet (no password: structure cells are locked against slips, not
        secrets) and print it landscape (one page wide with ``fit``)."""
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        if fit:
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True

    @staticmethod
    def _fit_rows(ws: Worksheet, widths: list[float], rows: range) -> None:
        """Row heights for wrapped text (Excel and LibreOffice do not grow a row written
        by openpyxl): the most lines any cell of the row needs at its column's width."""
        for r in rows:
            lines = 1
            for j, w in enumerate(widths, start=1):
                v = ws.cell(r, j).value
                if not isinstance(v, str):
                    continue
                per_line = max(1.0, w * 1.1)
                need = 0
                for part in v.split("\n"):
                    units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in part)
                    need += max(1, math.ceil(units / per_line))
                lines = max(lines, need)
            if lines > 1:
                ws.row_dimensions[r].height = min(15.0 * lines, 300.0)

    def _head(self, cell) -> None:
        cell.font = self.bold
        cell.fill = self.grey
        cell.protection = self.locked

    def _validate(self, ws: Worksheet, kind: str, ref: str, *, lo: float | None = None,
                  hi: float | None = None, items: list[str] | None = None,
                  prompt: str = "", title: str = "") -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        if kind == "list":
            dv = DataValidation("list", formula1='"' + ",".join(items or []) + '"')
        elif kind == "whole":
            dv = DataValidation("whole", operator="between", formula1=str(lo), formula2=str(hi))
        else:
            lo_ = -1e307 if lo is None else lo
            hi_ = 1e307 if hi is None else hi
            dv = DataValidation("decimal", operator="between", formula1=repr(float(lo_)),
                                formula2=repr(float(hi_)))
        dv.allow_blank = True
        dv.showErrorMessage = True
        dv.errorTitle = "gipro"
        dv.error = (prompt or "value not allowed")[:255]
        if prompt:
            dv.showInputMessage = True
            dv.promptTitle = title[:32]
            dv.prompt = prompt[:255]
        for part in ref.split():
            dv.add(part)
        ws.add_data_validation(dv)

    def instructions(self, ws: Worksheet, version: str) -> None:
        from openpyxl.styles import Font

        lay, lang = self.layout, self.layout.lang
        ws.title = "instructions"
        names = [fw.name.get(lang) or fw.code if fw != "park26" else "park26"
                 for fw in self.frameworks]
        code = next((fw.code for fw in self.frameworks if fw != "park26"), "hj274")
        if isinstance(code, str) and code not in builtin_park_frameworks():
            code = "hj274"
        status = _STATUS_LINE[lang][0 if self.example else 1]
        fill = {"framework": "; ".join(names), "status": status, "file": self.file,
                "code": code,
                "enterprises": _ENTERPRISE_LINE[lang] if lay.enterprise_rows else ""}
        r = 1
        for kind, text in _INSTRUCTIONS[lang]:
            line = text.format(**fill)
            if not line:
                continue
            c = ws.cell(r, 1, line)
            c.alignment = self.wrap
            if kind == "title":
                c.font = Font(bold=True, size=14)
                ws.row_dimensions[r].height = 40
            elif kind == "head":
                c.font = Font(bold=True, size=12)
            r += 1
        for fw in self.frameworks:
            if fw == "park26":
                ws.cell(r, 1, "park26: gipro's five-dimension, 26-indicator park scorecard "
                        "(docs/parks.md)").alignment = self.wrap
                r += 1
                continue
            n = len(fw.requirements)
            n_unver = sum(not q.is_verified for q in fw.requirements)
            line = (f"{fw.name.get(lang) or fw.code} ({fw.code}, {fw.version or ''}): "
                    f"{n} items, {n_unver} with an UNVERIFIED threshold. "
                    f"Source: {fw.source or '-'}")
            ws.cell(r, 1, line).alignment = self.wrap
            r += 1
            for ref in fw.references:
                ws.cell(r, 1, f"  {ref}").alignment = self.wrap
                r += 1
        ws.cell(r + 1, 1, f"gipro {version}").font = Font(italic=True, color="808080")
        ws.column_dimensions["A"].width = 100
        self._fit_rows(ws, [100], range(1, r + 2))
        self._protect(ws)

    def parks(self, ws: Worksheet) -> None:
        lay, t = self.layout, self.t
        head = lay.parks_header()
        ws.append(head)
        for c in ws[1]:
            self._head(c)
        attrs = self.attrs.set_index("park")
        for i, p in enumerate(lay.parks, start=2):
            rec = attrs.loc[p]
            cells = [p, _plain(rec.get("name")),
                     _plain(rec.get("data_status")) or USER_DATA]
            cells += [_attr(rec.get(a), t) for a in lay.attributes]
            for j, v in enumerate(cells, start=1):
                c = ws.cell(i, j, v)
                if j in (1, 3):
                    c.protection, c.fill = self.locked, self.grey
                else:
                    c.protection = self.open
        n = len(lay.parks)
        if "water_scarce" in lay.attributes and n:
            col = column_letter(4 + lay.attributes.index("water_scarce"))
            self._validate(ws, "list", f"{col}2:{col}{n + 1}", items=[t["yes"], t["no"]],
                           prompt=t["flag"], title="water_scarce")
        for j, w in enumerate([14, 34, 14] + [18] * len(lay.attributes), start=1):
            ws.column_dimensions[column_letter(j)].width = w
        ws.freeze_panes = "B2"
        ws.print_title_rows = "1:1"
        self._protect(ws)

    def indicators(self, ws: Worksheet) -> None:
        lay, t = self.layout, self.t
        first = lay.first_data_col
        for j, key in enumerate(FIXED, start=1):
            self._head(ws.cell(1, j, t[key]))
            self._head(ws.cell(2, j, t["year"] if j == len(FIXED) else None))
        for j, (p, y) in enumerate(lay.columns, start=first):
            self._head(ws.cell(1, j, p))
            self._head(ws.cell(2, j, y))
        known: dict[tuple, Any] = {}
        if self.values is not None:
            v = self.values
            for p, y, ind, val, lev in zip(v["park"], v["year"], v["indicator"], v["value"],
                                           v["level"], strict=True):
                known[(p, int(y), ind)] = lev if isinstance(lev, str) else val
        col_of = {py: j for j, py in enumerate(lay.columns, start=first)}
        last_col = first + len(lay.columns) - 1
        rules: dict[tuple, list[str]] = {}
        for i, row in enumerate(self.rows, start=3):
            ind: IndicatorDef = row["ind"]
            for j, key in enumerate(FIXED, start=1):
                c = ws.cell(i, j, row[key])
                c.protection, c.fill, c.alignment = self.locked, self.grey, self.wrap
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"
            for (p, y), j in col_of.items():
                c = ws.cell(i, j, _shown(known.get((p, y, ind.code)), ind, t))
                c.protection, c.alignment = self.open, self.top
            if not lay.columns:
                continue
            ref = f"{column_letter(first)}{i}:{column_letter(last_col)}{i}"
            rules.setdefault(_rule_key(ind, t), []).append(ref)
        for key, refs in rules.items():
            kind, lo, hi, items, prompt = key
            self._validate(ws, kind, " ".join(refs), lo=lo, hi=hi,
                           items=list(items) if items else None, prompt=prompt,
                           title=t["unit"])
        widths = [26, 30, 14, 40, 40, 40, 28] + [12] * len(lay.columns)
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[column_letter(j)].width = w
        self._fit_rows(ws, widths[:len(FIXED)], range(3, len(self.rows) + 3))
        ws.freeze_panes = f"{column_letter(first)}3"
        ws.print_title_rows = "1:2"
        ws.print_title_cols = "A:A"
        self._protect(ws, fit=False)  # many park-years: pages across, codes repeated

    def enterprises(self, ws: Worksheet) -> None:
        from .rollup import ENTERPRISE_COLUMNS, FLAGS, QUANTITIES

        lay, t = self.layout, self.t
        head = list(ENTERPRISE_COLUMNS)
        ws.append(head)
        for c in ws[1]:
            self._head(c)
        n = lay.enterprise_rows
        if self.records is not None:
            rec = self.records.reindex(columns=head)
            for i, row in enumerate(rec.itertuples(index=False), start=2):
                for j, v in enumerate(row, start=1):
                    col = head[j - 1]
                    v = _plain(v)
                    if col in FLAGS and v is not None:
                        v = t["yes"] if flag_value(v) == 1.0 else t["no"]
                    ws.cell(i, j, v)
        for j, col in enumerate(head, start=1):
            letter = column_letter(j)
            ws.column_dimensions[letter].protection = self.open
            ws.column_dimensions[letter].width = 16
            ref = f"{letter}2:{letter}{n + 1}"
            desc = ENTERPRISE_COLUMNS[col]
            if col == "park":
                self._validate(ws, "list", ref, items=lay.parks, prompt=desc, title=col)
            elif col == "year":
                self._validate(ws, "whole", ref, lo=min(lay.years), hi=max(lay.years),
                               prompt=desc, title=col)
            elif col in QUANTITIES:
                self._validate(ws, "decimal", ref, lo=0, prompt=desc, title=col)
            elif col in FLAGS:
                self._validate(ws, "list", ref, items=[t["yes"], t["no"]], prompt=desc,
                               title=col)
        for i in range(2, (0 if self.records is None else len(self.records)) + 2):
            for j in range(1, len(head) + 1):
                ws.cell(i, j).protection = self.open
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        self._protect(ws)


def _plain(v: Any) -> Any:
    """A value for a cell: None for missing, Python scalars for numpy ones."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


def _attr(v: Any, t: dict) -> Any:
    v = _plain(v)
    if isinstance(v, bool):
        return t["yes"] if v else t["no"]
    return v


def _shown(v: Any, ind: IndicatorDef, t: dict) -> Any:
    """A pre-filled value as the cell shows it: yes/no for flags, the level for categories."""
    v = _plain(v)
    if v is None:
        return None
    if ind.kind == "boolean":
        return t["yes"] if float(v) == 1.0 else t["no"]
    return v


def _rule_key(ind: IndicatorDef, t: dict) -> tuple:
    """(kind, lo, hi, items, prompt) of the data validation of an indicator's cells."""
    if ind.kind == "boolean":
        return ("list", None, None, (t["yes"], t["no"]), t["flag"])
    if ind.kind == "category":
        levels = tuple(ind.levels or [])
        return ("list", None, None, levels, t["levels"].format(levels=", ".join(levels)))
    rng = ind.range_text()
    prompt = t["number"].format(unit=ind.unit, rng=f" ({rng})" if rng else "")
    return ("decimal", ind.minimum, ind.maximum, None, prompt)


# ---------------------------------------------------------------------- reading
def is_template(path: str | Path) -> bool:
    """Whether ``path`` is a data-entry workbook written by :func:`write_template`."""
    p = Path(path)
    if p.suffix.lower() != ".xlsx" or not p.is_file():
        return False
    try:
        book = SheetFile(p)
    except InputError:
        return False
    try:
        if _META not in book.sheetnames:
            return False
        block = book.block(_META, 1, 2)
        return block.cell(1, 1) == "format" and block.cell(1, 2) == FORMAT
    finally:
        book.close()


def template_framework(path: str | Path) -> str:
    """The framework a data-entry workbook was made for (``all``, a built-in code or the
    framework file it was made from).

    Raises
    ------
    InputError
        A damaged layout sheet.
    """
    book = SheetFile(path)
    try:
        meta = book.block(_META, 20, 2)
    finally:
        book.close()
    return _Layout.from_meta({meta.cell(r, 1): meta.cell(r, 2) for r in range(1, 21)
                              if meta.cell(r, 1) is not None}, Path(path).name).framework


def read_template(path: str | Path) -> ParkData:
    """Read a filled data-entry workbook (see the module docstring).

    Returns
    -------
    ParkData
        Indicator values by park and year (enterprise records rolled up and combined, the
        park's own values taking precedence), park attributes, ``origin`` = the file.

    Raises
    ------
    InputError
        Listing every problem, each naming sheet and cell: a changed structure cell (code,
        unit, park, year, header), text in a numeric cell, a value outside what the
        indicator can take, a yes/no or category cell that is neither, a park with no value
        in a year of the workbook, an Excel error or an unsaved formula, a value outside the
        tables.
    """
    path = Path(path)
    book = SheetFile(path)
    try:
        meta = book.block(_META, 20, 2)
        lay = _Layout.from_meta({meta.cell(r, 1): meta.cell(r, 2) for r in range(1, 21)
                                 if meta.cell(r, 1) is not None}, path.name)
        reader = _Reader(lay, path)
        attrs = reader.parks(book.block("parks", 1 + len(lay.parks),
                                        len(lay.parks_header())))
        long = reader.indicators(book.block("indicators", 2 + len(lay.indicators),
                                            len(FIXED) + len(lay.columns)))
        ent = None
        if lay.enterprise_rows:
            from .rollup import ENTERPRISE_COLUMNS

            ent = reader.enterprises(book.block("enterprises", 1 + lay.enterprise_rows,
                                                len(ENTERPRISE_COLUMNS)))
    finally:
        book.close()
    reader.missing_years(long, ent)
    reader.raise_problems()
    origin = str(path)
    data = ParkData.from_long(long, parks=attrs, origin=origin)
    if ent is not None and len(ent):
        from .rollup import rollup

        rolled = rollup(ent, parks=attrs, park_records=data)
        data = data.combine(rolled)
    return data


class _Reader:
    """Checks and parses the sheets of one layout, collecting every problem with its cell."""

    def __init__(self, layout: _Layout, path: Path) -> None:
        self.lay = layout
        self.t = _TEXT[layout.lang]
        self.path = path
        self.problems: list[str] = []
        self.cat = load_catalogue()

    def raise_problems(self) -> None:
        if not self.problems:
            return
        n = len(self.problems)
        shown = self.problems[:_MAX_LISTED]
        if n > _MAX_LISTED:
            shown.append(f"... and {n - _MAX_LISTED} more")
        raise InputError(f"{self.path.name}: {n} problem{'s' if n > 1 else ''} in the "
                         "data-entry workbook", shown)

    def _outside(self, block: Block, rows: str) -> None:
        self.problems.extend(
            f"{c}: a value outside the table ({rows}) is not read: move it into the table "
            "or delete it" for c in block.outside)
        self.problems.extend(block.problems)

    def _structure(self, block: Block, row: int, col: int, expected: Any, what: str) -> None:
        found = block.cell(row, col)
        same = (found == expected if not isinstance(expected, str)
                else isinstance(found, str) and found.strip() == expected)
        if isinstance(expected, int) and isinstance(found, float) and found.is_integer():
            same = int(found) == expected
        if not same:
            self.problems.append(
                f"{block.name(row, col)}: expected the {what} {expected!r}, found {found!r} "
                "(structure cells must stay as gipro template wrote them: a changed code, a "
                "moved column or row would be read as another; undo the change or make a new "
                "workbook with gipro template)")

    def parks(self, block: Block) -> pd.DataFrame:
        lay, t = self.lay, self.t
        head = lay.parks_header()
        self._outside(block, f"A1:{column_letter(len(head))}{len(lay.parks) + 1}")
        for j, h in enumerate(head, start=1):
            self._structure(block, 1, j, h, "column")
        rows = []
        for i, p in enumerate(lay.parks, start=2):
            self._structure(block, i, 1, p, "park code")
            rec = {"park": p, "name": cell_text(block.cell(i, 2)) or p,
                   "data_status": cell_text(block.cell(i, 3)) or USER_DATA}
            for j, a in enumerate(lay.attributes, start=4):
                v = block.cell(i, j)
                if a == "water_scarce" and v is not None:
                    try:
                        x = flag_value(v)
                        v = None if math.isnan(x) else bool(x)
                    except ValueError:
                        self.problems.append(f"{block.name(i, j)}: {v!r} is neither "
                                             f"{t['yes']} nor {t['no']}")
                        v = None
                rec[a] = cell_text(v) if isinstance(v, str) else v
            rows.append(rec)
        return pd.DataFrame(rows)

    def indicators(self, block: Block) -> pd.DataFrame:
        lay, t = self.lay, self.t
        first = lay.first_data_col
        last = first + len(lay.columns) - 1
        self._outside(block, f"A1:{column_letter(max(last, len(FIXED)))}"
                             f"{len(lay.indicators) + 2}")
        for j, key in enumerate(FIXED, start=1):
            self._structure(block, 1, j, t[key], "column")
        for j, (p, y) in enumerate(lay.columns, start=first):
            self._structure(block, 1, j, p, "park code")
            self._structure(block, 2, j, y, "year")
        out: list[tuple[str, int, str, Any]] = []
        for i, code in enumerate(lay.indicators, start=3):
            self._structure(block, i, 1, code, "indicator code")
            ind = self.cat.get(code)
            self._structure(block, i, 3, ind.unit, "unit")
            for j, (p, y) in enumerate(lay.columns, start=first):
                v = block.cell(i, j)
                if v is None or (isinstance(v, str) and not v.strip()):
                    continue
                parsed = self._value(v, ind, block.name(i, j))
                if parsed is not None:
                    out.append((p, y, code, parsed))
        self.cells = {(p, y): (column_letter(j), len(lay.indicators) + 2)
                      for j, (p, y) in enumerate(lay.columns, start=first)}
        return pd.DataFrame(out, columns=["park", "year", "indicator", "value"])

    def _value(self, v: Any, ind: IndicatorDef, where: str) -> Any:
        t = self.t
        if ind.kind == "number":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                hint = ("type the number without the percent sign (96 for 96 %)"
                        if isinstance(v, str) and v.strip().endswith("%") else
                        "type a number (a cell formatted as text keeps even digits as text)")
                self.problems.append(f"{where}: text {v!r} in a numeric cell ({ind.code}, "
                                     f"{ind.unit}): {hint}")
                return None
            x = float(v)
            if not math.isfinite(x) or out_of_range(np.array([ind.code], dtype=object),
                                                    np.array([x]))[0]:
                self.problems.append(f"{where}: {x:g} is outside what {ind.code} can take "
                                     f"({ind.range_text()})")
                return None
            return x
        if ind.kind == "boolean":
            try:
                x = flag_value(v)
            except ValueError:
                self.problems.append(f"{where}: {v!r} is neither {t['yes']} nor {t['no']} "
                                     f"({ind.code})")
                return None
            return None if math.isnan(x) else x
        levels = {" ".join(lv.lower().split()): lv for lv in ind.levels or []}
        hit = levels.get(" ".join(str(v).lower().split()))
        if hit is None:
            self.problems.append(f"{where}: {v!r} is not a level of {ind.code} (levels: "
                                 f"{', '.join(ind.levels or [])})")
        return hit

    def enterprises(self, block: Block) -> pd.DataFrame:
        from .rollup import ENTERPRISE_COLUMNS, FLAGS, QUANTITIES

        lay, t = self.lay, self.t
        head = list(ENTERPRISE_COLUMNS)
        self._outside(block, f"A1:{column_letter(len(head))}{lay.enterprise_rows + 1}")
        for j, h in enumerate(head, start=1):
            self._structure(block, 1, j, h, "column")
        rows = []
        parks, years = set(lay.parks), set(lay.years)
        for i in range(2, len(block.values) + 1):
            raw = [block.cell(i, j) for j in range(1, len(head) + 1)]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
                continue
            rec: dict[str, Any] = {}
            for j, (col, v) in enumerate(zip(head, raw, strict=True), start=1):
                where = block.name(i, j)
                if isinstance(v, str) and not v.strip():
                    v = None
                if col == "park":
                    if v is None or cell_text(v) not in parks:
                        self.problems.append(f"{where}: park {v!r} is not a park of the "
                                             f"workbook ({', '.join(lay.parks)})")
                    rec[col] = cell_text(v)
                elif col == "year":
                    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and \
                        float(v).is_integer() and int(v) in years
                    if not ok:
                        self.problems.append(f"{where}: year {v!r} is not a year of the "
                                             f"workbook ({', '.join(map(str, lay.years))})")
                    rec[col] = int(v) if ok else None
                elif col in QUANTITIES:
                    if v is not None and (isinstance(v, bool) or
                                          not isinstance(v, (int, float))):
                        self.problems.append(f"{where}: text {v!r} in a numeric cell ({col}, "
                                             f"{ENTERPRISE_COLUMNS[col]}): type a number")
                        v = None
                    elif v is not None and (not math.isfinite(float(v)) or float(v) < 0):
                        self.problems.append(f"{where}: {v!r}: {col} cannot be negative")
                        v = None
                    rec[col] = None if v is None else float(v)
                elif col in FLAGS:
                    try:
                        x = flag_value(v)
                    except ValueError:
                        self.problems.append(f"{where}: {v!r} is neither {t['yes']} nor "
                                             f"{t['no']} ({col})")
                        x = math.nan
                    rec[col] = None if math.isnan(x) else x
                else:
                    rec[col] = cell_text(v)
            rows.append(rec)
        return pd.DataFrame(rows, columns=head)

    def missing_years(self, long: pd.DataFrame, ent: pd.DataFrame | None) -> None:
        """A park with no value at all in a year of the workbook is an error naming the
        column (no silent 'no data' for a whole park-year)."""
        have = set(zip(long["park"], long["year"], strict=True))
        if ent is not None and len(ent):
            have |= set(zip(ent["park"], ent["year"], strict=True))
        for (p, y), (col, last) in self.cells.items():
            if (p, y) not in have:
                self.problems.append(
                    f"indicators!{col}3:{col}{last}: park {p} has no value in {y} (nor "
                    "enterprise records): fill in its data for that year, or make the "
                    "workbook without that year (gipro template --years ...)")


