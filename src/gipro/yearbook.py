"""Yearbook sheets: region x year and region x indicator tables as Chinese statistical
yearbooks and bulletins publish them, read into a panel.

A yearbook table is laid out for reading, not for computing: a title row (often a merged
cell), a unit line (``单位：万吨``), a header (years as columns, or indicators with their unit
in brackets: ``工业废水排放量（万吨）``), sometimes a second header row of units, one row per
region in any common form (北京市, 北京, Beijing, BJ, 110000), a national total row (全国), and
footnotes (``注：...``, ``资料来源：...``). :func:`read_yearbook` finds each part, maps every
region to one code list (:mod:`gipro.provinces`, GB/T 2260), keeps totals and economic regions
apart, and returns a tidy table; :func:`read_yearbooks` merges several sheets into one
:class:`~gipro.panel.Panel`. A recipe does the same with ``data: {yearbook: {sheets: [...]}}``.

Two layouts:

* ``region_by_year`` -- one indicator, the years as columns (``地区, 2016, 2017年, ...``);
  the indicator's code is given (``indicator=``), its unit read from the unit line, the
  headers or given (``unit=``);
* ``region_by_indicator`` -- one year, indicators as columns; the year is given
  (``period=``) or read from the title (``2020年``), codes are the headers without their
  units, or given (``columns={工业废水排放量: ww_ind}``).

Every cell is read by :func:`gipro.panel.read_grid` (encodings, Excel error cells) and every
number by :func:`gipro.panel.to_numeric` (``—``, ``-`` and ``…`` are missing, ``1,234.5`` has a
thousands comma); nothing is guessed: a region that is not a province, total or economic
region is an error listing the nearest names, a sheet with both year and indicator columns is
an error, and two sheets giving the same value are an error naming both files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import GiproError, InputError
from .panel import NumberFormat, Panel, read_grid, to_numeric
from .provinces import Province, ProvinceMatch, match_province

__all__ = ["Layout", "YearbookTable", "read_yearbook", "read_yearbooks", "split_unit"]

Layout = Literal["auto", "region_by_year", "region_by_indicator"]
Codes = Literal["gipro", "gb", "letters"]

#: Missing-value marks of Chinese yearbooks (dashes, ellipses) besides the usual ones.
YEARBOOK_NA = ("—", "——", "-", "–", "…", "……", "...", "..", "/", "／", "x", "X")
_YEAR = re.compile(r"\s*((?:19|20)\d{2})(?:\.0)?\s*年?\s*")
_UNIT_LINE = re.compile(r"(?:单位|計量單位|计量单位|units?)\s*[:：]\s*(.+?)\s*[)）]?\s*$",
                        re.IGNORECASE)
_BRACKET_UNIT = re.compile(r"^(.*?)\s*[（(\[【]\s*([^()（）\[\]【】]+?)\s*[)）\]】]\s*$")
_FOOTNOTE = re.compile(r"^\s*(?:注|说明|資料來源|资料来源|数据来源|來源|来源|notes?|sources?|\*)"
                       r"\s*[:：\d.、]?", re.IGNORECASE)
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年|[(（]\s*((?:19|20)\d{2})\s*[)）]")


@dataclass
class YearbookTable:
    """One yearbook sheet, read.

    Attributes
    ----------
    data : pandas.DataFrame
        Tidy: ``unit, period, indicator, value`` (one row per province, period and
        indicator; missing cells are NaN rows, never 0).
    units : pandas.DataFrame
        One row per province: ``unit`` (the code), ``name``, ``name_zh``, ``gb``.
    indicator_units : dict of str to str
        The measurement unit of each indicator as the sheet states it (``万吨``).
    totals : pandas.DataFrame
        The rows kept apart: national totals and economic regions, ``name, kind, period,
        indicator, value, row``.
    notes : list of str
        What was read (layout, header row, unit, title year, footnotes skipped, encoding).
    origin : str
        File (and sheet).
    """

    data: pd.DataFrame
    units: pd.DataFrame
    indicator_units: dict[str, str]
    totals: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    origin: str = ""

    def to_panel(self) -> Panel:
        """The sheet as a :class:`~gipro.panel.Panel` (see :func:`read_yearbooks`)."""
        return read_yearbooks([self])


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unicodedata.normalize("NFKC", str(v)).strip()


def _try_region(text: str) -> ProvinceMatch | None:
    if not text:
        return None
    try:
        return match_province(text)
    except InputError:
        return None


def _region_column(grid: list[list[str]]) -> tuple[int, int]:
    """(column, first data row) of the region names: the column among the first five with
    the most cells naming a province."""
    best = (-1, 0, 0)  # count, column, first row
    for j in range(min(5, max((len(r) for r in grid), default=0))):
        hits = [i for i, r in enumerate(grid) if j < len(r) and _try_region(r[j]) is not None
                and (m := _try_region(r[j])) is not None and m.kind == "province"]
        if len(hits) > best[0]:
            best = (len(hits), j, hits[0] if hits else 0)
    if best[0] < 2:
        raise InputError("no column of region names found (fewer than two cells name a "
                         "province in the first five columns)",
                         ["a yearbook sheet has one row per province (北京, Beijing, BJ, "
                          "110000); for other tables use data: {path: ...}"])
    col, first = best[1], best[2]
    # a total or region row just above the first province belongs to the data (全国 first)
    while first > 0 and (m := _try_region(grid[first - 1][col])) is not None:
        first -= 1
    return col, first


def split_unit(label: str) -> tuple[str, str | None]:
    """A header's name and the unit in its brackets, if any.

    Examples
    --------
    >>> split_unit("工业废水排放量（万吨）"), split_unit("CO2 per capita [t]"), split_unit("gdp")
    (('工业废水排放量', '万吨'), ('CO2 per capita', 't'), ('gdp', None))
    """
    m = _BRACKET_UNIT.match(label)
    if m and m.group(1).strip():
        return m.group(1).strip(), m.group(2).strip()
    return label.strip(), None


def _looks_like_unit(text: str) -> bool:
    """A header cell that is only a unit: ``(万吨)``, ``万吨``, ``%``, ``亿元``."""
    t = text.strip()
    if not t:
        return True
    if _BRACKET_UNIT.match("x" + t) and t[0] in "(（[【":
        return True
    return bool(re.fullmatch(r"[%‰]|[万亿千百十]?(?:吨|元|千瓦时|立方米|平方米|公顷|人|户|个|"
                             r"标准煤|吨标准煤|千克|公斤|米|公里|辆|家|项|件|小时)[/每]?.*"
                             r"|单位|unit", t, re.IGNORECASE))


def read_yearbook(
    path: str | Path,
    *,
    indicator: str | None = None,
    period: int | None = None,
    layout: Layout = "auto",
    sheet: str | int | None = None,
    encoding: str = "auto",
    columns: Mapping[str, str] | None = None,
    unit: str | None = None,
    drop_rows: Sequence[str] = (),
    codes: Codes = "gipro",
) -> YearbookTable:
    """Read one yearbook sheet (CSV or Excel) into a tidy table.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``/``.txt``/``.tsv`` or ``.xlsx``/``.xls``.
    indicator : str, optional
        ``region_by_year``: the code of the sheet's one indicator (required there).
    period : int, optional
        ``region_by_indicator``: the year of the sheet; default: the one year in the title
        rows (``2020年``), else an error.
    layout : {"auto", "region_by_year", "region_by_indicator"}
        ``auto``: years as column headers -> ``region_by_year``, none -> by indicator.
    sheet : str or int, optional
        Excel sheet (default the first).
    encoding : str
        CSV text encoding; ``auto`` (default) reads UTF-8 and, when the file is not UTF-8,
        GB18030 (GBK, as Excel saves CSV on Chinese Windows), saying so in the notes.
    columns : mapping of str to str, optional
        Header (without its unit) -> indicator code, e.g. ``{工业废水排放量: ww_ind}``;
        headers not listed keep their text as the code (no spaces allowed in codes).
    unit : str, optional
        The measurement unit when the sheet states none (a sheet's own unit line or header
        wins; giving a different one is an error).
    drop_rows : sequence of str
        Region cells of rows to leave out (a city, a note) instead of an error.
    codes : {"gipro", "gb", "letters"}
        Unit codes: gipro's (``Beijing``, ``InnerMongolia``: those of the built-in data),
        GB/T 2260 (``110000``) or two-letter (``BJ``).

    Returns
    -------
    YearbookTable

    Raises
    ------
    InputError
        No region column or header; a region that is not a province, total or economic
        region (nearest names listed) or an ambiguous code; a province twice; year and
        indicator columns mixed; a missing ``indicator`` or ``period``; bad number cells
        (file row and column named); units that disagree.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "co2.csv"
    >>> _ = f.write_text("表1 二氧化碳排放\\n单位：万吨\\n地区,2019,2020年\\n全国,100,98\\n"
    ...                  "北京市,5,4.5\\n内蒙古自治区,8,—\\n注：—表示缺失\\n", encoding="utf-8")
    >>> t = read_yearbook(f, indicator="co2")
    >>> t.data.to_dict("list")["value"], t.indicator_units, t.totals["name"].tolist()
    ([5.0, 4.5, 8.0, nan], {'co2': '万吨'}, ['全国', '全国'])
    """
    path = Path(path)
    origin = f"{path}" + (f", sheet {sheet!r}" if sheet is not None else "")
    notes: list[str] = []
    raw = _read(path, sheet, encoding, notes)
    grid = [[_text(v) for v in row] for row in raw.itertuples(index=False)]
    col, first = _region_column(grid)
    header_rows = _header_rows(grid, col, first)
    if not header_rows:
        raise InputError(f"{origin}: no header row above the first region (row {first + 1})",
                         ["a yearbook sheet needs a header row: the years or the indicators "
                          "over the columns"])
    title_rows = [r for r in range(header_rows[0]) if any(grid[r])]
    title_text = " ".join(c for r in title_rows for c in grid[r] if c)
    sheet_unit = _sheet_unit(title_text)
    labels, col_units = _labels(grid, header_rows, col)
    keys = {j: split_unit(lab) for j, lab in labels.items()}
    years = {j: int(m.group(1)) for j, (name, _) in keys.items() if (m := _YEAR.fullmatch(name))}
    if layout == "auto":
        if years and len(years) < len(keys):
            others = [keys[j][0] for j in keys if j not in years]
            raise InputError(f"{origin}: the header mixes years and other columns "
                             f"({', '.join(others[:5])})",
                             ["a region x year sheet has only years over the columns; a region "
                              "x indicator sheet none: split the sheet, or set layout:"])
        layout = "region_by_year" if years else "region_by_indicator"
    notes.append(f"{origin}: {layout.replace('_', ' ')}, header row"
                 f"{'s' if len(header_rows) > 1 else ''} "
                 f"{', '.join(str(r + 1) for r in header_rows)}, regions in column "
                 f"{col + 1}")
    fmt = NumberFormat(thousands=",", na_values=YEARBOOK_NA)
    data_rows = range(first, len(grid))
    regions, row_no, skipped = _regions(grid, data_rows, col, origin, drop_rows)
    if skipped:
        notes.append(f"{origin}: rows skipped: {'; '.join(skipped)}")
    series: list[tuple[str, int, str | None, list[int]]] = []  # indicator, period, unit, col
    if layout == "region_by_year":
        if indicator is None:
            raise InputError(f"{origin}: a region x year sheet holds one indicator: give its "
                             "code (indicator: co2 in the recipe, indicator='co2' in Python)")
        bad = [keys[j][0] for j in keys if j not in years]
        if bad:
            raise InputError(f"{origin}: columns that are not years in a region x year sheet: "
                             f"{bad[:5]}")
        units = {u for j in years if (u := keys[j][1] or col_units.get(j))}
        units |= {sheet_unit} if sheet_unit else set()
        the_unit = _one_unit(units, unit, origin, indicator)
        for j, y in years.items():
            series.append((indicator, y, the_unit, [j]))
        dups = [y for y in years.values() if list(years.values()).count(y) > 1]
        if dups:
            raise InputError(f"{origin}: year {dups[0]} is in two columns")
    else:
        if years:
            raise InputError(f"{origin}: year columns in a region x indicator sheet: "
                             f"{sorted(years.values())}", ["set layout: region_by_year"])
        if period is None:
            found = sorted({int(a or b) for a, b in _TITLE_YEAR.findall(title_text)})
            if len(found) != 1:
                raise InputError(f"{origin}: which year is this sheet? "
                                 + (f"the title names {found}" if found else
                                    "the title names none"),
                                 ["give it: period: 2020 in the recipe, period=2020 in Python"])
            period = found[0]
            notes.append(f"{origin}: year {period} read from the title")
        mapping = dict(columns or {})
        unknown = [k for k in mapping if k not in {n for n, _ in keys.values()}]
        if unknown:
            raise InputError(f"{origin}: columns to rename not in the header: {unknown}",
                             [f"headers (without units): {', '.join(n for n, _ in keys.values())}"])
        seen: dict[str, int] = {}
        for j, (name, u) in keys.items():
            code = mapping.get(name, name)
            if any(ch.isspace() for ch in code):
                raise InputError(f"{origin}: column {name!r} has spaces, which codes may not",
                                 [f"give it a code: columns: {{{name!r}: a_code}}"])
            if code in seen:
                raise InputError(f"{origin}: two columns give indicator {code!r}")
            seen[code] = j
            the_unit = _one_unit({x for x in (u or col_units.get(j), sheet_unit) if x},
                                 unit if len(keys) == 1 else None, origin, code)
            series.append((code, int(period), the_unit, [j]))
    return _assemble(grid, regions, row_no, series, fmt, origin, notes, codes)


def _read(path: Path, sheet: str | int | None, encoding: str, notes: list[str]) -> pd.DataFrame:
    if encoding != "auto":
        return read_grid(path, sheet=sheet, encoding=encoding)
    try:
        return read_grid(path, sheet=sheet)
    except GiproError as exc:
        if getattr(exc, "suggested_encoding", None) != "gbk":
            raise
    notes.append(f"{path}: not UTF-8, read as GB18030 (GBK) text")
    return read_grid(path, sheet=sheet, encoding="gb18030")


def _header_rows(grid: list[list[str]], col: int, first: int) -> list[int]:
    """The header rows: going up from the first region row, rows with a cell beside the
    region column, until a row with at most one filled cell (a title or unit line)."""
    rows: list[int] = []
    r = first - 1
    while r >= 0:
        filled = [c for j, c in enumerate(grid[r]) if c and j != col]
        if not filled:
            if rows:
                break
            r -= 1
            continue
        if len([c for c in grid[r] if c]) <= 1 and rows:
            break
        if len([c for c in grid[r] if c]) <= 1 and not rows:
            break
        rows.insert(0, r)
        r -= 1
    return rows


def _labels(grid: list[list[str]], header_rows: list[int], col: int
            ) -> tuple[dict[int, str], dict[int, str]]:
    """Column labels (header rows joined; a last row of units only is kept apart as the
    units of the columns) for the columns beside the region column that have a header."""
    unit_row: dict[int, str] = {}
    rows = list(header_rows)
    if len(rows) > 1:
        last = grid[rows[-1]]
        cells = [c for j, c in enumerate(last) if j != col and c]
        if cells and all(_looks_like_unit(c) for c in cells):
            unit_row = {j: c.strip("()（）[]【】 ") for j, c in enumerate(last) if j != col and c}
            rows = rows[:-1]
    width = max(len(grid[r]) for r in header_rows)
    labels: dict[int, str] = {}
    for j in range(width):
        if j == col:
            continue
        parts = [grid[r][j] for r in rows if j < len(grid[r]) and grid[r][j]]
        if parts:
            labels[j] = "".join(parts) if all(_YEAR.fullmatch(p) is None for p in parts[1:]) \
                else parts[-1]
    return labels, unit_row


def _sheet_unit(title: str) -> str | None:
    for part in re.split(r"\s{2,}|\s(?=单位)|(?<=\S)\s(?=[Uu]nit)", title):
        m = _UNIT_LINE.search(part)
        if m:
            return m.group(1).strip()
    return None


def _one_unit(units: set[str], given: str | None, origin: str, code: str) -> str | None:
    if len(units) > 1:
        raise InputError(f"{origin}: indicator {code!r} has more than one unit: "
                         f"{sorted(units)}")
    stated = next(iter(units), None)
    if given and stated and given != stated:
        raise InputError(f"{origin}: unit {given!r} given for {code!r}, but the sheet says "
                         f"{stated!r}")
    return stated or given


def _regions(grid: list[list[str]], rows: range, col: int, origin: str,
             drop: Sequence[str]) -> tuple[list[ProvinceMatch], list[int], list[str]]:
    out, row_no, skipped = [], [], []
    dropped = {unicodedata.normalize("NFKC", d).strip() for d in drop}
    for r in rows:
        cells = [c for c in grid[r] if c]
        if not cells:
            continue
        name = grid[r][col] if col < len(grid[r]) else ""
        if name in dropped:
            skipped.append(f"row {r + 1} {name!r} (drop_rows)")
            continue
        first_cell = cells[0]
        if _FOOTNOTE.match(first_cell) or (len(cells) == 1 and not _try_region(first_cell)):
            skipped.append(f"row {r + 1} (a note: {first_cell[:30]!r})")
            continue
        out.append(match_province(name, f" in {origin}, row {r + 1}"))
        row_no.append(r)
    return out, row_no, skipped


def _code(p: Province, codes: Codes) -> str:
    return {"gipro": p.code, "gb": p.gb, "letters": p.letters}[codes]


def _assemble(grid: list[list[str]], regions: list[ProvinceMatch], row_no: list[int],
              series: list[tuple[str, int, str | None, list[int]]], fmt: NumberFormat,
              origin: str, notes: list[str], codes: Codes) -> YearbookTable:
    seen: dict[str, int] = {}
    for m, r in zip(regions, row_no, strict=True):
        if m.province is not None:
            if m.province.gb in seen:
                raise InputError(f"{origin}: {m.province.zh_short} {m.province.en} is in rows "
                                 f"{seen[m.province.gb] + 1} and {r + 1}")
            seen[m.province.gb] = r
    rows_data, rows_tot = [], []
    ind_units: dict[str, str] = {}
    for code, period, unit, cols_ in series:
        j = cols_[0]
        cells = pd.Series([grid[r][j] if j < len(grid[r]) else "" for r in row_no],
                          dtype=object)
        values = to_numeric(cells, f"{code} {period}" if len(series) > 1 else code, origin,
                            np.array(row_no) + 1, fmt)
        if unit:
            ind_units[code] = unit
        for m, r, v in zip(regions, row_no, values, strict=True):
            if m.province is None:
                rows_tot.append({"name": m.text, "kind": m.kind, "period": period,
                                 "indicator": code, "value": v, "row": r + 1})
            else:
                rows_data.append({"unit": _code(m.province, codes), "period": period,
                                  "indicator": code, "value": v})
    provs = [m.province for m in regions if m.province is not None]
    units = pd.DataFrame([{"unit": _code(p, codes), "name": p.en, "name_zh": p.zh_short,
                           "gb": p.gb} for p in provs])
    totals = pd.DataFrame(rows_tot, columns=["name", "kind", "period", "indicator", "value",
                                             "row"])
    kept = list(dict.fromkeys(totals["name"]))
    if kept:
        notes.append(f"{origin}: kept apart (not units): {', '.join(kept)}")
    notes.append(f"{origin}: {len(provs)} provinces, {len(series)} "
                 f"{'columns' if len(series) != 1 else 'column'} of values"
                 + (f", units {', '.join(f'{k}: {v}' for k, v in ind_units.items())}"
                    if ind_units else ""))
    data = pd.DataFrame(rows_data, columns=["unit", "period", "indicator", "value"])
    order = {u: i for i, u in enumerate(units["unit"])} if len(units) else {}
    data = data.sort_values(["unit", "period"], key=lambda c: c.map(order) if c.name == "unit"
                            else c, kind="stable", ignore_index=True)
    return YearbookTable(data, units, ind_units, totals, notes, origin)


def read_yearbooks(sheets: Sequence[YearbookTable | Mapping[str, Any]],
                   base_dir: str | Path | None = None) -> Panel:
    """Several yearbook sheets merged into one panel.

    Parameters
    ----------
    sheets : sequence of YearbookTable or mapping
        Tables already read, or the keyword arguments of :func:`read_yearbook` (with
        ``path``; a relative path is resolved against ``base_dir``).
    base_dir : path, optional
        Folder of relative paths (the recipe's).

    Returns
    -------
    Panel
        Units named in English and Chinese (``name``, ``name_zh``) with their GB/T 2260 code
        (``gb``); the sheets' measurement units; :attr:`Panel.notes` (what each sheet gave)
        and :attr:`Panel.removed` (the total and region rows kept apart, for
        ``exclusions.csv``).

    Raises
    ------
    InputError
        A sheet's own errors (:func:`read_yearbook`); two sheets giving the same province,
        year and indicator, or the same indicator in two units (both files named).
    """
    tables = []
    for s in sheets:
        if isinstance(s, YearbookTable):
            tables.append(s)
            continue
        kw = dict(s)
        p = Path(kw.pop("path"))
        if not p.is_absolute() and base_dir is not None:
            p = Path(base_dir) / p
        tables.append(read_yearbook(p, **kw))
    if not tables:
        raise InputError("no yearbook sheets to read")
    long = pd.concat([t.data.assign(_src=t.origin) for t in tables], ignore_index=True)
    dup = long.duplicated(["unit", "period", "indicator"], keep=False)
    if dup.any():
        first = long[dup].groupby(["unit", "period", "indicator"])["_src"].apply(list)
        (u, p, i), srcs = next(iter(first.items()))
        raise InputError(f"{len(first)} values given by two sheets, e.g. {u}, {p}, {i} in "
                         f"{' and '.join(srcs)}", ["each value may come from one sheet only"])
    units: dict[str, str] = {}
    for t in tables:
        for k, v in t.indicator_units.items():
            if units.setdefault(k, v) != v:
                raise InputError(f"indicator {k!r} has unit {units[k]!r} in one sheet and "
                                 f"{v!r} in {t.origin}")
    meta = pd.concat([t.units for t in tables]).drop_duplicates("unit").set_index("unit")
    wide = long.pivot(index=["unit", "period"], columns="indicator", values="value")
    wide.columns.name = None
    wide = wide[list(dict.fromkeys(long["indicator"]))]
    origin = tables[0].origin if len(tables) == 1 else f"{len(tables)} yearbook sheets"
    panel = Panel(wide, units=meta, indicator_units=units, origin=origin)
    panel.notes = [n for t in tables for n in t.notes]
    totals = pd.concat([t.totals.assign(_src=t.origin) for t in tables], ignore_index=True)
    panel.removed = [
        {"unit": name, "reason": f"{g['kind'].iloc[0]} row of a yearbook sheet, kept apart "
                                 f"({', '.join(dict.fromkeys(g['_src']))})"}
        for name, g in totals.groupby("name", sort=False)]
    return panel
