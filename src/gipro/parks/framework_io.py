"""Park frameworks as tables a user can correct and cite: CSV and Excel forms of a framework.

A framework (:class:`gipro.parks.model.RequirementFramework`) is written as seven tables:

``framework``     key/value: code, based_on, names, version, description, source, structure
``categories``    one row per category
``groups``        one row per k-of-n group: ``at_least``, ``counts`` and the verification
``verdict``       key/value: the verdict rule (optional-item count...) and its verification
``green_index``   key/value: the green-index category weights and their verification
``requirements``  one row per requirement: comparator, threshold, status, group... and
                  ``verified`` (gipro's reading), ``user_verified``, ``user_source``
``variants``      one row per context threshold of a requirement (``when`` = park attributes)

An Excel file holds one sheet per table (plus ``about``, the instructions); a CSV file holds
them one under the other, each row tagged with its table in the first column. Every cell is
parsed with a message naming the sheet and cell (``requirements!I7``) or the CSV row and column.
This module works on plain mappings (what :meth:`RequirementFramework.model_dump` gives and
:func:`gipro.parks.model.park_framework_from_dict` validates), so the model can use it without
an import cycle.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import FrameworkError, InputError
from .flags import FLAG_HINT, flag_value
from .sheets import SheetFile, cell_name, cell_text, column_letter

__all__ = ["TABLES", "read_framework_tables", "write_framework_csv", "write_framework_xlsx"]

_KV = ("key", "value")
#: Columns of each table (key/value tables: ``key, value``; their keys in ``KEYS``).
TABLES: dict[str, tuple[str, ...]] = {
    "framework": _KV,
    "categories": ("code", "name_en", "name_zh"),
    "groups": ("code", "at_least", "counts", "description", "verified", "note",
               "user_verified", "user_source"),
    "verdict": _KV,
    "green_index": _KV,
    "requirements": ("code", "name_en", "name_zh", "category", "topic", "indicator", "unit",
                     "comparator", "threshold", "threshold_text", "status", "group",
                     "status_uncertain", "status_text", "applies_when", "tolerance", "source",
                     "verified", "note", "user_verified", "user_source"),
    "variants": ("requirement", "when", "threshold", "threshold_text", "verified", "note",
                 "user_verified", "user_source"),
}
KEYS: dict[str, tuple[str, ...]] = {
    "framework": ("code", "based_on", "name_en", "name_zh", "version", "description", "source",
                  "structure_verified", "structure_note", "references"),
    "verdict": ("indicator_role", "optional_at_least", "optional_rule_known", "pass_label",
                "fail_label", "undetermined_label", "rule_text", "verified", "note",
                "user_verified", "user_source"),
    "green_index": ("defined", "category_weights", "verified", "note", "user_verified",
                    "user_source"),
}
_BOOL = {"structure_verified", "verified", "user_verified", "status_uncertain",
         "optional_rule_known", "defined"}
_INT = {"at_least", "optional_at_least"}
_FLOAT = {"tolerance"}
_REF_SEP = " | "
#: Columns a user edits in the Excel form (the others are locked: identity and gipro's flags).
EDITABLE = {
    "groups": {"at_least", "counts", "description", "note", "user_verified", "user_source"},
    "requirements": {"name_en", "name_zh", "unit", "comparator", "threshold", "threshold_text",
                     "status", "group", "status_uncertain", "applies_when", "tolerance",
                     "note", "user_verified", "user_source"},
    "variants": {"when", "threshold", "threshold_text", "note", "user_verified",
                 "user_source"},
    "categories": {"name_en", "name_zh"},
}
EDITABLE_KEYS = {
    "framework": {"name_en", "name_zh", "version", "description", "references"},
    "verdict": {"optional_at_least", "optional_rule_known", "pass_label", "fail_label",
                "undetermined_label", "rule_text", "note", "user_verified", "user_source"},
    "green_index": {"category_weights", "note", "user_verified", "user_source"},
}


# ---------------------------------------------------------------------- to tables
def _text_threshold(t: Any) -> Any:
    """A threshold as a cell: number, level text, ``low, high`` for a range, None."""
    if isinstance(t, (list, tuple)):
        return f"{_num(t[0])}, {_num(t[1])}"
    return t


def _num(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def _attrs(when: dict | None) -> str | None:
    """``{"water_scarce": [True], "region": ["A", "B"]}`` -> ``water_scarce=true; region=A|B``."""
    if not when:
        return None
    return "; ".join(f"{k}=" + "|".join(str(v).lower() if isinstance(v, bool) else str(v)
                                        for v in vals) for k, vals in when.items())


def _weights(w: dict | None) -> str | None:
    if w is None:
        return None
    return "; ".join(f"{k}={_num(v)}" for k, v in w.items())


def to_tables(fw: dict) -> dict[str, list[list[Any]]]:
    """A framework mapping (``model_dump(mode="json")``) as rows of each table (without the
    header row)."""
    name = fw.get("name") or {}
    based_on = fw.get("based_on")
    out: dict[str, list[list[Any]]] = {}
    out["framework"] = [[k, v] for k, v in {
        "code": fw["code"], "based_on": based_on, "name_en": name.get("en"),
        "name_zh": name.get("zh"), "version": fw.get("version"),
        "description": fw.get("description"), "source": fw.get("source"),
        "structure_verified": fw.get("structure_verified", False),
        "structure_note": fw.get("structure_note"),
        "references": _REF_SEP.join(fw.get("references") or []) or None}.items()]
    out["categories"] = [[c["code"], (c.get("name") or {}).get("en"),
                          (c.get("name") or {}).get("zh")] for c in fw["categories"]]
    out["groups"] = [[g.get(c) for c in TABLES["groups"]] for g in fw.get("groups") or []]
    v = fw.get("verdict") or {}
    out["verdict"] = [[k, v.get(k)] for k in KEYS["verdict"]]
    gi = fw.get("green_index")
    out["green_index"] = [
        ["defined", gi is not None],
        ["category_weights", _weights(gi.get("category_weights")) if gi else None],
        *([[k, (gi or {}).get(k, False if k in _BOOL else None)]
           for k in ("verified", "note", "user_verified", "user_source")])]
    reqs, variants = [], []
    for r in fw["requirements"]:
        row = dict(r)
        row["name_en"], row["name_zh"] = (r.get("name") or {}).get("en"), (
            r.get("name") or {}).get("zh")
        row["threshold"] = _text_threshold(r.get("threshold"))
        row["applies_when"] = _attrs(r.get("applies_when"))
        reqs.append([row.get(c) for c in TABLES["requirements"]])
        for var in r.get("variants") or []:
            vr = {**var, "requirement": r["code"], "when": _attrs(var["when"]),
                  "threshold": _text_threshold(var.get("threshold"))}
            variants.append([vr.get(c) for c in TABLES["variants"]])
    out["requirements"] = reqs
    out["variants"] = variants
    return out


def _cell_text(v: Any) -> str:
    """A cell for CSV: yes/no for booleans, numbers in full precision, empty for None."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_framework_csv(fw: dict, path: str | Path) -> Path:
    """Write a framework mapping as one CSV (UTF-8 with BOM, so Excel shows Chinese): the
    tables one under the other, column ``table`` naming each row's table."""
    path = Path(path)
    tables = to_tables(fw)
    cols = ["table", *dict.fromkeys(c for t in TABLES.values() for c in t)]
    from ..tables import neutralise_cell, replace_file

    with replace_file(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for name, rows in tables.items():
            head = TABLES[name]
            for row in rows:
                rec = dict(zip(head, row, strict=True))
                w.writerow([name, *(neutralise_cell(_cell_text(rec.get(c)))
                                    for c in cols[1:])])
    return path


_ABOUT = {
    "en": [
        "gipro park framework: {name} ({code})",
        "Exported by gipro {version}. Edit this workbook and give it to gipro: "
        "gipro assess DATA --framework THIS_FILE.xlsx",
        "",
        "What you can edit (white cells; grey cells are locked): thresholds, comparators, "
        "statuses, groups and their k (at_least), the verdict rule (optional_at_least) and the "
        "green-index category weights (green_index sheet, e.g. EG=2; RG=1).",
        "To mark a value you checked in the official text: set user_verified to yes and write "
        "the document, clause and page in user_source. Every output then shows "
        "'verified by user: <your source>' for it.",
        "A value you edit without a source stays UNVERIFIED; so does a user_verified mark "
        "without a source. The column verified is gipro's own reading of the source: it is "
        "not editable, and a value you change is no longer gipro's reading.",
        "Thresholds: a number; 'low, high' for between; a level for == on a category; empty = "
        "not known. Park attributes (applies_when, when): attribute=value, several values "
        "with |, several attributes with ;.",
        "Keep the sheets, the columns and the codes as they are: gipro reads them by position "
        "and names the cell of anything it cannot read.",
    ],
    "zh": [
        "gipro 园区评价框架：{name}（{code}）",
        "由 gipro {version} 导出。编辑本工作簿后交给 gipro："
        "gipro assess 数据 --framework 本文件.xlsx",
        "",
        "可编辑的内容（白色单元格；灰色单元格已锁定）：阈值、比较符、指标属性（必选/可选等）、"
        "指标组及其至少满足数（at_least）、判定规则（optional_at_least）和绿色指数的类别权重"
        "（green_index 表，例如 EG=2; RG=1）。",
        "标记您已在官方文本中核实的数值：将 user_verified 设为 yes，并在 user_source 中写明"
        "文件、条款和页码。所有输出将显示“verified by user: <您的来源>”。",
        "未注明来源的修改仍为“未核实”；未注明来源的 user_verified 标记同样无效。verified 列是 "
        "gipro 自己对来源的核实结果，不可编辑；您修改的数值不再是 gipro 核实的数值。",
        "阈值：数字；between 写作“下限, 上限”；分类指标用 == 加类别；留空表示未知。园区属性"
        "（applies_when、when）：属性=值，多个值用 | 分隔，多个属性用 ; 分隔。",
        "请保持工作表、列和代码不变：gipro 按位置读取，并指出无法读取的单元格。",
    ],
}


def write_framework_xlsx(fw: dict, path: str | Path, choices: dict[str, list[str]],
                         lang: str = "en", version: str = "") -> Path:
    """Write a framework mapping as an Excel workbook: an ``about`` sheet (instructions in
    ``lang``) and one sheet per table; identity columns and gipro's ``verified`` locked
    (sheet protection without a password), lists and ranges validated.

    Parameters
    ----------
    fw : dict
        ``RequirementFramework.model_dump(mode="json")``.
    choices : dict of str to list of str
        Allowed values of ``comparator``, ``status``, ``counts`` and ``indicator_role``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    tables = to_tables(fw)
    wb = Workbook()
    about = wb.active
    about.title = "about"
    name = (fw.get("name") or {}).get("zh" if lang == "zh" else "en") or fw["code"]
    for i, line in enumerate(_ABOUT[lang], start=1):
        about.cell(i, 1, line.format(name=name, code=fw["code"], version=version))
    about["A1"].font = Font(bold=True, size=13)
    about.column_dimensions["A"].width = 140
    for row in about.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    about.protection.sheet = True
    grey = PatternFill("solid", fgColor="E7E6E6")
    bold = Font(bold=True)
    yes_no = '"yes,no"'
    groups = [g["code"] for g in fw.get("groups") or []]

    def lst(values: list[str]) -> str:
        return '"' + ",".join(values) + '"'

    for tname, head in TABLES.items():
        ws = wb.create_sheet(tname)
        ws.append(list(head))
        for c in ws[1]:
            c.font = bold
            c.fill = grey
        for row in tables[tname]:
            ws.append([_xl(v) for v in row])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"  # text such as the comparator "==", not a formula
        n = len(tables[tname])
        editable = EDITABLE.get(tname, set())
        for j, col in enumerate(head, start=1):
            letter = column_letter(j)
            ws.column_dimensions[letter].width = 14 if col not in (
                "note", "source", "description", "name_en", "name_zh", "user_source",
                "threshold_text", "status_text", "value") else 40
            for i in range(2, n + 2):
                cell = ws.cell(i, j)
                key = ws.cell(i, 1).value if head == _KV else None
                open_ = (col in editable) or (head == _KV and col == "value" and
                                              key in EDITABLE_KEYS.get(tname, set()))
                cell.protection = Protection(locked=not open_)
                if not open_:
                    cell.fill = grey
        def rng(col: str, h: tuple[str, ...] = head, n: int = n) -> str:
            letter = column_letter(h.index(col) + 1)
            return f"{letter}2:{letter}{max(n + 1, 2)}"

        checks: list[tuple[DataValidation, str]] = []
        if tname == "requirements":
            checks += [
                (DataValidation("list", formula1=lst(choices["comparator"])),
                 rng("comparator")),
                (DataValidation("list", formula1=lst(choices["status"])), rng("status")),
                (DataValidation("decimal", operator="between", formula1="0",
                                formula2="0.999999"), rng("tolerance")),
                (DataValidation("list", formula1=yes_no), rng("status_uncertain"))]
            if groups:
                checks.append((DataValidation("list", formula1=lst(groups)), rng("group")))
        if tname == "groups":
            checks += [(DataValidation("whole", operator="greaterThanOrEqual", formula1="1"),
                        rng("at_least")),
                       (DataValidation("list", formula1=lst(choices["counts"])),
                        rng("counts"))]
        if "user_verified" in head:
            checks.append((DataValidation("list", formula1=yes_no), rng("user_verified")))
        if head == _KV:
            keys = [r[0] for r in tables[tname]]
            for key, dv in (("user_verified", DataValidation("list", formula1=yes_no)),
                            ("optional_rule_known", DataValidation("list", formula1=yes_no)),
                            ("optional_at_least", DataValidation(
                                "whole", operator="greaterThanOrEqual", formula1="0"))):
                if key in keys:
                    checks.append((dv, f"B{keys.index(key) + 2}"))
        for dv, ref in checks:
            dv.allow_blank = True
            dv.showErrorMessage = True
            dv.error = "gipro: this value is not allowed here (see the about sheet)"
            dv.add(ref)
            ws.add_data_validation(dv)
        ws.freeze_panes = "B2"
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
    from ..tables import replace_file

    with replace_file(path) as tmp:
        wb.save(tmp)
    return path


def _xl(v: Any) -> Any:
    """A cell value for the workbook: yes/no for booleans."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    return v


# ---------------------------------------------------------------------- from tables
class _Cells:
    """Parse table cells into the framework mapping, collecting every problem with its cell."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def text(self, v: Any) -> str | None:
        return cell_text(v)

    def flag(self, v: Any, where: str, default: bool | None = None) -> bool | None:
        try:
            x = flag_value(v)
        except ValueError:
            self.problems.append(f"{where}: {v!r} is neither yes nor no ({FLAG_HINT})")
            return default
        return default if math.isnan(x) else bool(x)

    def number(self, v: Any, where: str, whole: bool = False) -> float | int | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool):
            self.problems.append(f"{where}: {v!r} is not a number")
            return None
        try:
            x = float(str(v).strip()) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            self.problems.append(f"{where}: {v!r} is not a number (write it without units "
                                 "or a percent sign, with a decimal point)")
            return None
        if not math.isfinite(x):
            self.problems.append(f"{where}: {v!r} is not a finite number")
            return None
        if whole:
            if not x.is_integer():
                self.problems.append(f"{where}: {v!r} is not a whole number")
                return None
            return int(x)
        return x

    def threshold(self, v: Any, comparator: str | None, where: str) -> Any:
        """A number, ``low, high`` (or ``[low, high]``) for ``between``, a level for ``==``
        on a category, or None (unknown)."""
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return self.number(v, where)
        s = str(v).strip()
        if comparator == "between" or re.fullmatch(r"\[?\s*[-+\d.eE]+\s*,\s*[-+\d.eE]+\s*\]?",
                                                   s):
            parts = [p.strip() for p in s.strip("[]").split(",")]
            if len(parts) != 2:
                self.problems.append(f"{where}: {v!r}: a range is written 'low, high'")
                return None
            lo, hi = (self.number(p, where) for p in parts)
            return None if lo is None or hi is None else [lo, hi]
        try:
            return float(s)
        except ValueError:
            return s  # a category level: the model checks it against the catalogue

    def attrs(self, v: Any, where: str) -> dict | None:
        """``water_scarce=true; region=A|B`` -> ``{"water_scarce": [True], "region": ["A",
        "B"]}``."""
        s = self.text(v)
        if s is None:
            return None
        out: dict[str, list] = {}
        for part in s.split(";"):
            if not part.strip():
                continue
            key, eq, vals = part.partition("=")
            if not eq or not key.strip() or not vals.strip():
                self.problems.append(f"{where}: {part.strip()!r}: write attribute=value "
                                     "(several values separated by |, several attributes by ;)")
                continue
            out[key.strip()] = [_attr_value(x.strip()) for x in vals.split("|") if x.strip()]
        return out or None

    def weights(self, v: Any, where: str) -> dict | None:
        s = self.text(v)
        if s is None:
            return None
        out: dict[str, float] = {}
        for part in s.split(";"):
            if not part.strip():
                continue
            key, eq, val = part.partition("=")
            x = self.number(val, where) if eq and key.strip() else None
            if x is None:
                if not (eq and key.strip()):
                    self.problems.append(f"{where}: {part.strip()!r}: write CATEGORY=weight, "
                                         "separated by ; (e.g. EG=2; RG=1)")
                continue
            out[key.strip()] = x
        return out


def _attr_value(s: str) -> Any:
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[-+]?\d+", s):
        return int(s)
    return s


def _parse(cells: _Cells, name: str, col: str, v: Any, where: str, row: dict) -> Any:
    if col in _BOOL:
        return cells.flag(v, where)
    if col in _INT:
        return cells.number(v, where, whole=True)
    if col in _FLOAT:
        return cells.number(v, where)
    if col == "threshold":
        return cells.threshold(v, cells.text(row.get("comparator")), where)
    if col in ("applies_when", "when"):
        return cells.attrs(v, where)
    if col == "category_weights":
        return cells.weights(v, where)
    return cells.text(v)


def from_tables(tables: dict[str, list[list[Any]]], places: dict[str, Callable[[int, int], str]],
                origin: str) -> tuple[dict, Callable[[tuple], str | None]]:
    """The framework mapping from table rows (header rows removed), and a function mapping a
    validation error location to its cell (for :func:`park_framework_from_dict`).

    ``places[table](i, j)`` names the cell of data row ``i`` and column ``j`` (0-based).

    Raises
    ------
    FrameworkError
        Listing every cell that cannot be parsed (sheet and cell named).
    """
    cells = _Cells(origin)
    loc_map: dict[tuple, str] = {}

    def kv(name: str) -> dict:
        got: dict[str, Any] = {}
        keys = KEYS[name]
        for i, row in enumerate(tables.get(name, [])):
            key = cells.text(row[0])
            if key is None and cells.text(row[1]) is None:
                continue
            if key not in keys:
                cells.problems.append(f"{places[name](i, 0)}: unknown key {key!r} (keys of "
                                      f"{name}: {', '.join(keys)})")
                continue
            if key in got:
                cells.problems.append(f"{places[name](i, 0)}: key {key!r} written twice")
                continue
            got[key] = _parse(cells, name, key, row[1], places[name](i, 1), {})
            loc_map[(name, key)] = places[name](i, 1)
        return got

    def rows(name: str) -> list[tuple[int, dict]]:
        head = TABLES[name]
        out = []
        for i, row in enumerate(tables.get(name, [])):
            if all(cells.text(v) is None for v in row):
                continue
            raw = dict(zip(head, row, strict=True))
            rec = {c: _parse(cells, name, c, raw[c], places[name](i, j), raw)
                   for j, c in enumerate(head)}
            out.append((i, rec))
        return out

    f = kv("framework")
    fw: dict[str, Any] = {
        "code": f.get("code"), "name": _name(f), "categories": [], "groups": [],
        "requirements": []}
    for k in ("based_on", "version", "description", "source", "structure_note"):
        if f.get(k) is not None:
            fw[k] = f[k]
    fw["structure_verified"] = bool(f.get("structure_verified") or False)
    if f.get("references"):
        fw["references"] = [r.strip() for r in f["references"].split(_REF_SEP.strip())
                            if r.strip()]
    for i, c in rows("categories"):
        loc_map[("categories", len(fw["categories"]))] = places["categories"](i, 0)
        fw["categories"].append({"code": c["code"], "name": _name(c)})
    for i, g in rows("groups"):
        _locate(loc_map, ("groups", len(fw["groups"])), places["groups"], i, TABLES["groups"])
        fw["groups"].append({k: g[k] for k in TABLES["groups"] if g[k] is not None})
    fw["verdict"] = {k: v for k, v in kv("verdict").items() if v is not None}
    gi = kv("green_index")
    if gi.get("defined"):
        fw["green_index"] = {k: v for k, v in gi.items() if k != "defined" and v is not None}
    by_code: dict[str, dict] = {}
    for i, r in rows("requirements"):
        k = len(fw["requirements"])
        _locate(loc_map, ("requirements", k), places["requirements"], i,
                TABLES["requirements"])
        req = {c: r[c] for c in TABLES["requirements"]
               if c not in ("name_en", "name_zh") and r[c] is not None}
        req["name"] = _name(r)
        req["variants"] = []
        fw["requirements"].append(req)
        if r["code"] is not None:
            by_code[r["code"]] = req
    for i, v in rows("variants"):
        req = by_code.get(v["requirement"])
        if req is None:
            cells.problems.append(f"{places['variants'](i, 0)}: no requirement "
                                  f"{v['requirement']!r} in the requirements table")
            continue
        k = next(n for n, r in enumerate(fw["requirements"]) if r is req)
        _locate(loc_map, ("requirements", k, "variants", len(req["variants"])),
                places["variants"], i, TABLES["variants"])
        req["variants"].append({c: v[c] for c in TABLES["variants"]
                                if c != "requirement" and (v[c] is not None or
                                                           c == "threshold")})
    if cells.problems:
        raise FrameworkError(f"invalid park framework {origin}", cells.problems)

    def where(loc: tuple) -> str | None:
        loc = tuple(loc)
        for n in range(len(loc), 0, -1):
            if loc[:n] in loc_map:
                return loc_map[loc[:n]]
        if loc and loc[0] in ("name", "code"):
            return loc_map.get(("framework", "name_en" if loc[0] == "name" else "code"))
        return None

    return fw, where


def _name(rec: dict) -> dict:
    return {k: v for k, v in (("en", rec.get("name_en")), ("zh", rec.get("name_zh")))
            if v is not None}


def _locate(loc_map: dict, prefix: tuple, place: Callable[[int, int], str], i: int,
            head: tuple[str, ...]) -> None:
    """Error locations of one table row: ``prefix + (column,)`` -> its cell."""
    loc_map[prefix] = place(i, 0)
    for j, c in enumerate(head):
        key = "name" if c in ("name_en", "name_zh") else c
        loc_map.setdefault((*prefix, key), place(i, j))
        if c in ("name_en", "name_zh"):
            loc_map[(*prefix, "name", c[-2:])] = place(i, j)


def read_framework_tables(path: str | Path) -> tuple[dict, Callable[[tuple], str | None]]:
    """Read a framework written as CSV or Excel (``.xlsx``) by :func:`write_framework_csv` /
    :func:`write_framework_xlsx`: the mapping and the cell of each error location.

    Raises
    ------
    InputError
        Unreadable file.
    FrameworkError
        A missing table or sheet, a column moved or renamed (naming the header cell), a cell
        that cannot be parsed (naming it), a value outside the tables.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return _read_xlsx(path)


#: Most rows read from one table (a bound on what a stray cell can make gipro read).
MAX_ROWS = 5000


def _read_xlsx(path: Path) -> tuple[dict, Callable[[tuple], str | None]]:
    book = SheetFile(path)
    problems: list[str] = []
    tables: dict[str, list[list[Any]]] = {}
    places: dict[str, Callable[[int, int], str]] = {}
    try:
        missing = [t for t in TABLES if t not in book.sheetnames]
        if missing:
            raise FrameworkError(f"invalid park framework {path.name}", [
                f"sheet {t!r} is missing" for t in missing] + [
                "the workbook must keep the sheets of gipro frameworks export: "
                + ", ".join(TABLES)])
        for name, head in TABLES.items():
            block = book.block(name, MAX_ROWS + 1, len(head))
            problems.extend(block.problems)
            problems.extend(f"{c}: a value outside the table (columns A-"
                            f"{column_letter(len(head))}, at most {MAX_ROWS} rows) is not read:"
                            " move it into the table or delete it" for c in block.outside)
            problems.extend(_header_problems([block.cell(1, j + 1) for j in range(len(head))],
                                             head, lambda j, n=name: cell_name(n, 1, j + 1)))
            tables[name] = block.values[1:]
            places[name] = (lambda i, j, n=name: cell_name(n, i + 2, j + 1))
    finally:
        book.close()
    if problems:
        raise FrameworkError(f"invalid park framework {path.name}", problems)
    return from_tables(tables, places, path.name)


def _header_problems(found: list[Any], head: tuple[str, ...],
                     place: Callable[[int], str]) -> list[str]:
    out = []
    for j, col in enumerate(head):
        got = found[j] if j < len(found) else None
        got = None if got is None else str(got).strip()
        if got != col:
            out.append(f"{place(j)}: expected the column {col!r}, found "
                       f"{got!r} (keep the columns as exported: a moved or renamed column "
                       "would be read as another)")
    return out


def _read_csv(path: Path) -> tuple[dict, Callable[[tuple], str | None]]:
    from ..paths import check_input
    from ..tables import restore_cell

    check_input(path, "park framework file")
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            lines = [[restore_cell(c) for c in row] for row in csv.reader(fh)]
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {path.name}: it is not UTF-8 text ({exc.reason} at "
                         f"byte {exc.start})", ["save it as 'CSV UTF-8'"]) from None
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc}") from None
    if not lines:
        raise FrameworkError(f"invalid park framework {path.name}", ["the file is empty"])
    if len(lines) > MAX_ROWS * len(TABLES):
        raise FrameworkError(f"invalid park framework {path.name}",
                             [f"{len(lines)} rows: more than a framework holds"])
    cols = ["table", *dict.fromkeys(c for t in TABLES.values() for c in t)]
    header = [h.strip() for h in lines[0]]

    def at(r: int, j: int) -> str:
        return f"{path.name} row {r}, column {cols[j] if j < len(cols) else j + 1}"

    problems = [f"{path.name} row 1, column {j + 1}: expected the column {c!r}, found "
                f"{header[j] if j < len(header) else None!r} (keep the columns as exported)"
                for j, c in enumerate(cols) if j >= len(header) or header[j] != c]
    if len(header) > len(cols):
        problems.append(f"{path.name} row 1: {len(header) - len(cols)} column(s) more than "
                        "an exported framework has")
    if problems:
        raise FrameworkError(f"invalid park framework {path.name}", problems)
    tables: dict[str, list[list[Any]]] = {t: [] for t in TABLES}
    rows_of: dict[str, list[int]] = {t: [] for t in TABLES}
    for r, line in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in line):
            continue
        name = line[0].strip()
        if name not in TABLES:
            problems.append(f"{at(r, 0)}: {name!r} is not a table ({', '.join(TABLES)})")
            continue
        rec = dict(zip(cols, line + [""] * (len(cols) - len(line)), strict=False))
        extra = [c for c in cols[1:] if c not in TABLES[name] and rec.get(c, "").strip()]
        if extra:
            problems.append(f"{at(r, cols.index(extra[0]))}: the table {name!r} has no "
                            f"column {extra[0]!r}; the value would not be read")
        tables[name].append([rec.get(c) or None for c in TABLES[name]])
        rows_of[name].append(r)
    if problems:
        raise FrameworkError(f"invalid park framework {path.name}", problems)
    places = {t: (lambda i, j, t=t: at(rows_of[t][i], cols.index(TABLES[t][j])))
              for t in TABLES}
    return from_tables(tables, places, path.name)
