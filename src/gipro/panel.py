"""Panel data: indicator values by unit x period, with unit metadata.

A :class:`Panel` holds

* ``values`` -- a wide float table, one row per (unit, period) and one column per indicator
  (the index is a ``MultiIndex`` named ``unit``, ``period``; ``NaN`` = missing, never zero);
* ``units`` -- one row per unit code: ``name`` (and optional ``name_zh``) and any group columns
  (region, income group...);
* ``indicator_units`` -- the measurement unit of each indicator where the data say it, used to
  catch unit mismatches against a framework.

Readers accept CSV, Excel and Parquet in *long* form (``unit, period, indicator, value``; one
row per observation) or *wide* form (``unit, period`` and one column per indicator). Problems in
a file -- duplicate (unit, period, indicator) rows, non-numeric cells, non-integer periods --
raise :class:`~gipro.errors.InputError` naming the file, row and column.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import GiproError, InputError
from .paths import check_input
from .suggest import code_clashes, code_fixes, fold_identity, header_with_unit, near_match
from .suggest import fold_code as _fold_code
from .tables import restore
from .units import fraction_like, is_percent_unit

__all__ = [
    "NumberFormat",
    "Panel",
    "fraction_notes",
    "fraction_warnings",
    "group_labels",
    "measure_units",
    "panel_from_table",
    "parquet_frame",
    "parse_periods",
    "period_spans",
    "plausibility_warnings",
    "read_csv_blocks",
    "read_grid",
    "read_panel",
    "read_table",
    "read_unit_meta",
    "to_numeric",
    "total_row_warnings",
]

_MAX_LISTED = 10
#: pandas copies on write (default from pandas 3): a shallow copy of a frame is then safe.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(
    getattr(pd.options.mode, "copy_on_write", False) is True)
#: Largest period accepted: every integer up to here is exact in float64 and int64 (dates
#: written as 20200131 fit; anything larger is a mistyped cell).
_MAX_PERIOD = 2**53


#: Row numbers for messages: an offset added to the 0-based row position (2 = spreadsheet rows
#: of a file with one header line) or the file row of each data row.
RowNumbers = int | np.ndarray


def _rown(rows: RowNumbers, i: int) -> int:
    """File row number of the 0-based data row ``i``."""
    return int(rows[i]) if isinstance(rows, np.ndarray) else int(i) + rows


def _where(origin: str | None) -> str:
    return f" in {origin}" if origin else ""


#: Cell texts read as "missing" in numeric columns (pandas' defaults, minus nothing that could be
#: a code: codes are never parsed with this list, so a unit coded "NA" stays "NA").
MISSING_MARKERS = frozenset({
    "", "NA", "N/A", "n/a", "na", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "none",
    "#N/A", "#N/A N/A", "#NA", "<NA>", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN",
})


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written in a text file.

    Attributes
    ----------
    decimal : str
        Decimal mark, ``"."`` (default) or ``","``.
    thousands : str or None
        Thousands separator (``","``, ``"."``, ``" "``, ``"'"``) or ``None`` (none allowed).
        A cell is accepted only when its separators group digits by three (``1,234,567.8``).
    na_values : tuple of str
        Extra texts meaning "missing" (e.g. ``("..", "-")``), besides :data:`MISSING_MARKERS`.
    """

    decimal: str = "."
    thousands: str | None = None
    na_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # one mark cannot be both: "2.250" would be 2250 and "2.5" 2.5 in one column
        if self.thousands is not None and self.thousands == self.decimal:
            raise InputError(
                f"thousands separator {self.thousands!r} is also the decimal mark "
                f"{self.decimal!r}: 2{self.thousands}250 could be 2250 or 2{self.decimal}25",
                ["a file with thousands '.' writes decimals with a comma: set decimal: ',' "
                 "too (gipro assess: --decimal ','); or leave thousands out"
                 if self.thousands == "." else
                 "set decimal: '.' with thousands: ','; or leave thousands out"])


#: Non-numeric cells of a column that the error's hint reads.
_BAD_SAMPLE = 50


@dataclass
class BadCells:
    """Non-numeric cells of columns parsed part by part (a CSV file read in parts,
    :func:`read_csv_blocks`): :func:`to_numeric` and :func:`parse_periods` given one record
    the cells here instead of raising; :meth:`check` then raises the error the whole column
    would have (every part's cells counted, the first ones listed, the same hint).

    Attributes
    ----------
    origin : str or None
        The file, for messages.
    cells : dict of str to list of (int, str)
        Each column's first :data:`_BAD_SAMPLE` bad cells (file row, text).
    counts : dict of str to int
        Each column's bad cells.
    """

    origin: str | None
    cells: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    formats: dict[str, NumberFormat] = field(default_factory=dict)

    def add(self, column: str, cells: list[tuple[int, str]], fmt: NumberFormat,
            total: int | None = None) -> None:
        """Record bad cells (file row, text) of ``column``: ``cells`` the first of ``total``
        (default ``len(cells)``) found in one part."""
        have = self.cells.setdefault(column, [])
        have.extend(cells[:max(_BAD_SAMPLE - len(have), 0)])
        n = len(cells) if total is None else total
        self.counts[column] = self.counts.get(column, 0) + n
        self.formats[column] = fmt

    def check(self, columns: Sequence[str]) -> None:
        """Raise the error of the first of ``columns`` (in the order the reader parses
        them) that has bad cells.

        Raises
        ------
        InputError
            As :func:`to_numeric` on the whole column.
        """
        for c in columns:
            if self.counts.get(c):
                raise _bad_cells(c, self.origin, self.cells[c], 0, self.formats[c],
                                 self.counts[c])


def _bad_cells(
    column: str, origin: str | None, texts: list[tuple[int, str]], row_offset: RowNumbers,
    fmt: NumberFormat, total: int | None = None,
) -> InputError:
    """The error of non-numeric cells ``texts`` (data row, text; the first
    :data:`_BAD_SAMPLE` at least) of ``total`` (default ``len(texts)``) in a column."""
    total = len(texts) if total is None else total
    cells = [f"row {_rown(row_offset, i)}: {t!r}" for i, t in texts[:_MAX_LISTED]]
    more = f" (and {total - _MAX_LISTED} more cells)" if total > _MAX_LISTED else ""
    sample = texts[0][1]
    plain = plain_number_text(sample)
    if total > 1 and not any(ch.isdigit() for _, t in texts[:_BAD_SAMPLE] for ch in t):
        hint = (f"{column!r} looks like a text column (group or label, e.g. {sample!r}), not "
                "an indicator: list it in the data section as a group (groups: [...]) or as "
                "unit_name, or leave it out of the file")
    elif plain.endswith("%"):
        hint = (f"{sample!r} has a percent sign: write the number without it (e.g. 5 or "
                "0.05) and state the measurement unit in the framework")
    elif re.fullmatch(r"[+-]?\d{1,3}( \d{3})+([.,]\d*)?", plain) and fmt.thousands != " ":
        hint = ("if the space separates thousands set thousands: ' ' in the recipe's data "
                "section")
    elif fmt.decimal == "," and "." in sample and fmt.thousands != ".":
        hint = (f"{sample!r} has a dot but the decimal mark is ','; if the dot separates "
                "thousands set thousands: '.' in the recipe's data section")
    elif "," in sample and fmt.decimal == "." and fmt.thousands != ",":
        hint = ("if the comma separates thousands set thousands: ','; if it is a decimal mark "
                "set decimal: ','")
    else:
        hint = ("write numbers with the decimal mark set by decimal: (default '.'); leave "
                "missing cells empty or list their marker in na_values: [...]")
    return InputError(f"non-numeric values in column {column!r}{_where(origin)}{more}; {hint}",
                      cells)


#: Characters of number cells mapped to their ASCII meaning before parsing: full-width digits
#: and signs (Chinese and Japanese input methods), no-break, narrow and ideographic spaces
#: (thousands separators in French and other locales), the minus sign U+2212 and the right
#: single quote (Swiss thousands separator). Deliberately not NFKC: that would also turn a
#: superscript "5²" into "52".
_NUMBER_CHARS = {
    **{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)},
    0x3000: " ", 0x00A0: " ", 0x202F: " ", 0x2009: " ", 0x2007: " ",
    0x2212: "-", 0x2019: "'",
}


def plain_number_text(text: str) -> str:
    """A number cell's text with look-alike characters mapped to ASCII (:data:`_NUMBER_CHARS`).

    Examples
    --------
    >>> plain_number_text("\uff11\uff12\uff0e\uff15")  # full-width 12.5
    '12.5'
    >>> plain_number_text("\u22123,5"), plain_number_text("1\u00a0234")
    ('-3,5', '1 234')
    """
    return text.translate(_NUMBER_CHARS).strip()


def _to_numeric(
    series: pd.Series, column: str, origin: str | None, row_offset: RowNumbers,
    fmt: NumberFormat = NumberFormat(), bad_cells: BadCells | None = None,
) -> pd.Series:
    """Convert a column to float; raise naming the bad cells (first few) instead of NaN.

    Numbers already stored as numbers (Excel, Parquet) are kept; texts are parsed with ``fmt``
    (decimal mark, thousands separator, missing markers) after mapping look-alike characters
    (full-width digits, no-break spaces, the minus sign) to ASCII. Ambiguous texts -- a dot in
    a decimal-comma file, a comma in a decimal-dot file -- are errors, never guesses.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        raise InputError(f"column {column!r}{_where(origin)} holds true/false values, not numbers")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype(float)
    values = series.to_numpy(dtype=object)
    out = np.full(len(values), np.nan)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # CSV: all text, fast
        is_text = np.ones(len(values), dtype=bool)
    else:
        is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    for i in np.flatnonzero(~is_text):
        v = values[i]
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, (bool, np.bool_)):
            raise InputError(f"column {column!r}{_where(origin)}, row {_rown(row_offset, i)}: "
                             f"true/false value {v!r}, not a number")
        if isinstance(v, (dt.date, dt.time, pd.Timestamp, np.datetime64)):
            raise InputError(f"column {column!r}{_where(origin)}, row {_rown(row_offset, i)}: "
                             f"date or time {v!s}, not a number",
                             ["write the value (a period: the year) as a number, e.g. format "
                              "the cells as Number in Excel"])
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise _bad_cells(column, origin, [(i, str(v))], row_offset, fmt) from None
    if is_text.any():
        text = pd.Series(values[is_text], dtype="string").str.strip()
        missing = text.isin(MISSING_MARKERS | set(fmt.na_values)).to_numpy()
        t = text.copy()
        odd = _not_ascii(t)
        if odd.any():  # look-alike characters: only cells outside ASCII need the mapping
            t[odd] = t[odd].map(plain_number_text)
        if fmt.thousands:
            sep = re.escape(fmt.thousands)
            dec = re.escape(fmt.decimal)
            grouped = t.str.fullmatch(rf"[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d*)?")
            t = t.where(~grouped.fillna(False).astype(bool),
                        t.str.replace(fmt.thousands, "", regex=False))
        ambiguous = np.zeros(len(t), dtype=bool)
        if fmt.decimal != ".":
            # a dot left in a decimal-comma number is ambiguous (thousands or decimal?): reject
            ambiguous = t.str.contains(".", regex=False).fillna(False).to_numpy(dtype=bool)
            t = t.str.replace(fmt.decimal, ".", regex=False)
        num = _parse_numbers(t)
        num[ambiguous] = np.nan
        bad = ~missing & np.isnan(num)
        pos = np.flatnonzero(is_text)
        if bad.any() and bad_cells is not None:  # recorded; missing here
            found = np.flatnonzero(bad)
            bad_cells.add(column, [(_rown(row_offset, pos[k]), text.iloc[k])
                                   for k in found[:_BAD_SAMPLE]], fmt, len(found))
            missing = missing | bad
        elif bad.any():
            raise _bad_cells(column, origin, [(pos[k], text.iloc[k]) for k in np.flatnonzero(bad)],
                             row_offset, fmt)
        out[pos] = np.where(missing, np.nan, num)
    return pd.Series(out, index=series.index, dtype=float)


def to_numeric(series: pd.Series, column: str, origin: str | None = None,
               rows: RowNumbers = 2, fmt: NumberFormat = NumberFormat(),
               bad_cells: BadCells | None = None) -> pd.Series:
    """A column of cells as floats, parsed as every data file is (decimal mark, thousands
    separator, missing markers, full-width digits); bad cells are an error naming their file
    rows (``rows``: file row of each cell, or an offset) -- never a silent NaN (with
    ``bad_cells``, a column read in parts: recorded there, for :meth:`BadCells.check`).

    Raises
    ------
    InputError
        Non-numeric or ambiguous cells, true/false values, dates.

    Examples
    --------
    >>> to_numeric(pd.Series(["1,234.5", "—", "７"]), "x",
    ...            fmt=NumberFormat(thousands=",", na_values=("—",))).tolist()
    [1234.5, nan, 7.0]
    """
    return _to_numeric(series, column, origin, rows, fmt, bad_cells)


#: A plain decimal number (ASCII digits, optional sign, point and exponent), as pandas and
#: Arrow both parse it, to the correctly rounded double.
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"


def _parse_numbers(t: pd.Series) -> np.ndarray:
    """``pd.to_numeric(t, errors="coerce")`` as floats, for a column of cleaned texts.

    Cells that are plain decimal numbers (:data:`_PLAIN_NUMBER`, at most 40 characters with
    an exponent of at most 3 digits: nearly all of a real file) are parsed by Arrow's
    vectorised cast, which gives the same correctly rounded values;
    every other cell (``inf``, ``1_000``, words...) goes through pandas as before, so what is
    accepted or refused does not change. A negative zero makes the whole column take the
    pandas path (pandas gives ``0.0`` for ``-0`` in a column of whole numbers).
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is optional
        return pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)
    try:
        arr = pa.array(t, from_pandas=True)  # no copy for Arrow-backed text
        plain = pc.and_(pc.less_equal(pc.utf8_length(arr), 40),
                        pc.match_substring_regex(arr, _PLAIN_NUMBER))
        plain = pc.fill_null(plain, False).to_numpy(zero_copy_only=False)
        num = np.full(len(t), np.nan)
        if plain.any():
            num[plain] = pc.cast(arr.filter(pa.array(plain)), pa.float64()).to_numpy(
                zero_copy_only=False)
    except (pa.ArrowException, ValueError, TypeError):
        return pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)
    if ((num == 0) & np.signbit(num)).any():
        return pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)
    rest = ~plain
    if rest.any():
        num[rest] = pd.to_numeric(t[rest], errors="coerce").to_numpy(dtype=float)
    return num


def _not_ascii(t: pd.Series) -> np.ndarray:
    """Cells of a text column with a character outside ASCII (missing cells: False)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        ascii_ = pc.string_is_ascii(pa.array(t, from_pandas=True))
        return ~pc.fill_null(ascii_, True).to_numpy(zero_copy_only=False)
    except Exception:  # no pyarrow, or not a text column: the regular expression
        return t.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).to_numpy(dtype=bool)


def as_codes(series: pd.Series, column: str, origin: str | None, row_offset: RowNumbers,
           required: bool = True) -> pd.Series:
    """Codes as text (``"NA"`` stays ``"NA"``; whole-number floats lose ``.0``); empty codes are
    errors naming the rows when ``required``."""

    def as_text(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    if pd.api.types.infer_dtype(series.to_numpy(dtype=object), skipna=False) == "string":
        text = series.astype("str")  # every cell already text (CSV): as_text is the identity
    else:
        text = series.map(as_text)
    empty = text == ""
    if required and empty.any():
        rows = [str(_rown(row_offset, i)) for i in np.flatnonzero(empty.to_numpy())[:_MAX_LISTED]]
        raise InputError(f"empty code in column {column!r}{_where(origin)}, rows {', '.join(rows)}",
                         ["every row needs a code; fill in the code, delete the rows, or drop "
                          f"them in the recipe: data.drop_rows: {{{column}: ['']}} (aggregate "
                          "rows such as World or Asia often have no code)"])
    return text


def _labels(series: pd.Series) -> pd.Series:
    """Group labels and names as text; empty cells are missing (never a group named "").
    Texts such as ``NA`` stay labels (North America is a region)."""

    def as_label(v: Any) -> Any:
        if _is_blank(v) or v is pd.NA:
            return np.nan
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip() if isinstance(v, str) else v

    return series.map(as_label).astype(object)


def _near_columns(missing: Sequence[str], columns: Iterable[Any]) -> list[str]:
    """Hints for wanted columns that the file has under a slightly different spelling
    (:func:`gipro.suggest.near_match`)."""
    columns = [str(c) for c in columns]
    out = []
    for m in missing:
        hit = near_match(m, columns)
        if hit is None:
            continue
        near, how = hit
        if how == "fold":
            out.append(f"the file has {near!r}, which differs from {m!r} only in case, spaces "
                       "or punctuation: correct the header or the recipe")
        else:
            out.append(f"did you mean {near!r} (in the file) for {m!r}? correct the header or "
                       "the recipe")
    return out


#: A column header that is a year: ``2016``, ``2016.0`` (Excel number) or ``2016年``.
_YEAR_HEADER = re.compile(r"\s*(\d{4})(?:\.0)?\s*年?\s*")


def _periods_as_headers(period: str | None, missing: Sequence[str], columns: Iterable[Any],
                        unit: str, origin: str | None = None) -> list[str]:
    """Hint when the period column is missing because the periods are column headers (a
    yearbook layout: ``region, 2016, 2017, ...``), with the pandas reshape that fixes it.

    Examples
    --------
    >>> hints = _periods_as_headers("year", ["year"], ["region", "2016", "2017"], "region",
    ...                             "yb.xlsx")
    >>> print(hints[0][:55])
    the periods are column headers (2016, 2017): gipro need
    >>> 'pd.read_excel("yb.xlsx").melt(id_vars=["region"], var_name="year"' in hints[1]
    True
    >>> _periods_as_headers("year", ["year"], ["region", "co2"], "region")
    []
    """
    if period is None or period not in missing:
        return []
    years = [str(c) for c in columns if _YEAR_HEADER.fullmatch(str(c))]
    if len(years) < 2:
        return []
    name = Path(origin).name if origin else "file.xlsx"
    reader = "read_csv" if Path(name).suffix.lower() in (".csv", ".txt", ".tsv") else "read_excel"
    shown = ", ".join(years[:3]) + (", ..." if len(years) > 3 else "")
    return [
        f"the periods are column headers ({shown}): gipro needs the periods in a column, "
        "in long form (unit, period, indicator, value) "
        "or wide by indicator (unit, period and one column per indicator)",
        f'reshape with pandas, e.g. for a sheet of one indicator: pd.{reader}("{name}").melt('
        f'id_vars=["{unit}"], var_name="{period}", value_name="my_indicator").to_csv('
        '"my_indicator.csv", index=False) -- then one such table per indicator, merged on '
        f"{unit} and {period} (wide by indicator), or stacked with an indicator column (long)",
        "or, for provinces of China, read the sheet as it is: data: {yearbook: {sheets: "
        f"[{{path: {name}, indicator: my_indicator}}]}} (gipro.yearbook)",
    ]


def check_unit_codes(codes: pd.Series, column: str, origin: str | None,
                      row_offset: RowNumbers) -> None:
    """Unit codes that would silently split a unit: an invisible character (NUL, zero-width
    space) or two spellings equal but for case or width (``beijing``/``Beijing``,
    full-width ``Ｂeijing``) -- :func:`gipro.suggest.code_clashes` -- are an error naming the
    codes and their file rows (``row_offset``: the file row of each code, or of the first).

    Raises
    ------
    InputError
        Such codes, with the column, the file and the rows of each.
    """
    if not code_clashes(pd.unique(codes).tolist()):
        return  # the usual case: rows are listed only for a problem
    rows = (row_offset if isinstance(row_offset, np.ndarray)
            else np.arange(len(codes)) + int(row_offset))
    problems = code_clashes(codes.tolist(), rows.tolist())
    if problems:
        raise InputError(
            f"unit codes in column {column!r}{_where(origin)} that look alike but differ",
            [*problems, *code_fixes(problems)])


def _check_codes(codes: Iterable[Any], what: str, origin: str | None) -> None:
    problems = []
    for c in dict.fromkeys(codes):
        if not isinstance(c, str):
            continue
        if c != c.strip():
            problems.append(f"{what} code with leading or trailing whitespace: {c!r}")
        elif c == "":
            problems.append(f"empty {what} code")
    # indicators spelt alike are checked against the framework (check_framework)
    problems += code_clashes([c for c in dict.fromkeys(codes) if isinstance(c, str)],
                             what=what, alike=what == "unit")
    if problems:
        raise InputError(f"invalid {what} codes{_where(origin)}", problems)


def _periods(series: pd.Series, column: str, origin: str | None, row_offset: RowNumbers,
             bad_cells: BadCells | None = None) -> pd.Series:
    num = to_numeric(series, column, origin, row_offset, bad_cells=bad_cells)
    if bad_cells is not None and bad_cells.counts.get(column):
        # the column's error is its non-numeric cells (raised by bad_cells.check), as when
        # it is parsed whole: the checks below come after it
        return pd.Series(np.zeros(len(num), dtype=np.int64), index=num.index)
    if num.isna().any():
        i = int(np.flatnonzero(num.isna().to_numpy())[0])
        raise InputError(
            f"missing period in column {column!r}{_where(origin)}, row {_rown(row_offset, i)}"
        )
    v = num.to_numpy()
    frac = v != np.round(v)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise InputError(
            f"period {num.iloc[i]} in column {column!r}{_where(origin)}, row "
            f"{_rown(row_offset, i)}, is not a whole number (periods are years or other "
            "integers)"
        )
    huge = np.abs(v) > _MAX_PERIOD
    if huge.any():
        i = int(np.flatnonzero(huge)[0])
        raise InputError(
            f"period {num.iloc[i]:.6g} in column {column!r}{_where(origin)}, row "
            f"{_rown(row_offset, i)}, is out of range (periods are years or other integers "
            f"of at most {_MAX_PERIOD:,} in size)"
        )
    return num.astype(np.int64)


def _period_spans(periods: Iterable[int]) -> str:
    """Sorted periods as runs of consecutive values.

    Examples
    --------
    >>> _period_spans([2019, 2016, 2017, 2018, 2021])
    '2016-2019, 2021'
    """
    out: list[str] = []
    ps = sorted(set(int(p) for p in periods))
    start = prev = ps[0]
    for p in [*ps[1:], None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ", ".join(out)


def _check_constant_groups(meta: pd.DataFrame, unit: str, periods: pd.Series,
                           groups: Sequence[str], origin: str | None, shown: int = 5) -> None:
    """Raise when a group column of wide data takes more than one value for a unit.

    A group (region, income group) is an attribute of a unit, used e.g. by group-mean
    imputation; a unit that changes group over the years has no single group to use, and
    picking one would be a silent choice. The error names, per column, the units (first
    ``shown``) with each value and the periods it holds, and says how to fix.

    Raises
    ------
    InputError
        If any group column varies within a unit (an empty cell counts as a value).
    """
    details: list[str] = []
    varying: list[str] = []
    for g in groups:
        n_vals = meta.groupby(unit, sort=False)[g].nunique(dropna=False)
        units = n_vals.index[n_vals.to_numpy() > 1].tolist()
        if not units:
            continue
        varying.append(g)
        for u in units[:shown]:
            rows = meta[unit].to_numpy() == u
            vals = meta.loc[rows, g].to_numpy(dtype=object)
            pers = periods.to_numpy()[rows]
            seen: dict[Any, list[int]] = {}
            for v, p in zip(vals, pers, strict=True):
                seen.setdefault("(empty)" if _is_blank(v) else v, []).append(int(p))
            parts = sorted(seen.items(), key=lambda kv: min(kv[1]))
            details.append(f"{g}: unit {u}: " + "; ".join(
                f"{v!r} in {_period_spans(ps)}" for v, ps in parts))
        if len(units) > shown:
            details.append(f"{g}: and {len(units) - shown} more units")
    if varying:
        cols = ", ".join(repr(g) for g in varying)
        details.append(
            "a group is one value per unit (it is used for all periods, e.g. by group-mean "
            "imputation): write the same value in every row of the unit (e.g. its latest "
            "group), or give the groups in a unit metadata file (data.units: a file with one "
            "row per unit and columns unit, name and one per group), which is then used "
            "instead of the group columns of the data")
        raise InputError(f"group column{'s' if len(varying) > 1 else ''} {cols} change"
                         f"{'' if len(varying) > 1 else 's'} over time for some units"
                         f"{_where(origin)}", details)


def _unit_meta_from_columns(df: pd.DataFrame, unit: str, codes: pd.Series, periods: pd.Series,
                            unit_name: str | None, groups: Sequence[str],
                            origin: str | None) -> pd.DataFrame:
    """Unit metadata (``name`` and group columns, indexed by unit code) from columns of the
    data table itself; every group column must hold one value per unit
    (:func:`_check_constant_groups`); a name column's first value per unit is kept."""
    meta_df = df[[unit] + ([unit_name] if unit_name else []) + list(groups)].copy()
    meta_df[unit] = codes.to_numpy()
    for g in groups:
        meta_df[g] = _labels(meta_df[g])
    _check_constant_groups(meta_df, unit, periods, groups, origin)
    units = meta_df.drop_duplicates(unit).set_index(unit)
    if unit_name:
        units = units.rename(columns={unit_name: "name"})
    return units


class Panel:
    """Indicator values by unit and period, with unit metadata.

    Parameters
    ----------
    values : pandas.DataFrame
        Index ``MultiIndex`` (``unit``: str, ``period``: int), columns indicator codes, numeric
        values; missing observations are ``NaN`` (or absent rows).
    units : pandas.DataFrame, optional
        Indexed by unit code, with a ``name`` column (and optional ``name_zh`` and group
        columns). Defaults to the codes as names.
    indicator_units : mapping of str to str, optional
        Measurement unit of each indicator, as stated by the data source.
    origin : str, optional
        Where the data came from (path or data set name), used in messages.

    Raises
    ------
    InputError
        On duplicate (unit, period) rows, non-numeric columns, codes with surrounding
        whitespace, or units in ``units`` that do not match ``values``.
    """

    def __init__(
        self,
        values: pd.DataFrame,
        units: pd.DataFrame | None = None,
        indicator_units: Mapping[str, str] | None = None,
        origin: str | None = None,
    ) -> None:
        self.origin = origin
        if not isinstance(values.index, pd.MultiIndex) or values.index.nlevels != 2:
            raise InputError("panel values need a (unit, period) MultiIndex")
        values = values.copy(deep=not _COPY_ON_WRITE)  # (a later change to the caller's
        values.index = values.index.set_names(["unit", "period"])  # frame never reaches us)
        values.columns = [str(c) for c in values.columns]
        unit_level = values.index.get_level_values(0)
        unit_codes = unit_level.unique()  # first-seen order
        _check_codes(values.columns, "indicator", origin)
        _check_codes(unit_codes, "unit", origin)
        dup_cols = values.columns[values.columns.duplicated()].unique().tolist()
        if dup_cols:
            raise InputError(f"duplicate indicator columns{_where(origin)}: {dup_cols}")
        dup = values.index.duplicated(keep=False)
        if dup.any():
            pairs = sorted(set(values.index[dup].tolist()))
            raise InputError(
                f"duplicate (unit, period) rows{_where(origin)}",
                [f"{u}, {p}" for u, p in pairs[:_MAX_LISTED]],
            )
        for col, dtype in zip(values.columns, values.dtypes, strict=True):
            if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
                values[col] = to_numeric(values[col], col, origin, 0)
        if not (values.dtypes == np.float64).all():
            values = values.astype(float)
        arr = values.to_numpy()
        inf = np.isinf(arr)
        if inf.any():
            r, c = np.argwhere(inf)[0]
            raise InputError(
                f"infinite value{_where(origin)} for unit {values.index[r][0]!r}, period "
                f"{values.index[r][1]}, indicator {values.columns[c]!r}"
            )
        periods = values.index.get_level_values("period")
        if not pd.api.types.is_integer_dtype(periods.dtype):
            values.index = pd.MultiIndex.from_arrays(
                [values.index.get_level_values("unit").astype(str),
                 _periods(pd.Series(periods), "period", origin, 0).to_numpy()],
                names=["unit", "period"],
            )
            unit_codes = values.index.get_level_values(0).unique()
        codes = unit_codes.tolist()  # first-seen order
        self.values = values if values.index.is_monotonic_increasing else values.sort_index()

        if units is None:
            units = pd.DataFrame({"name": codes}, index=pd.Index(codes, name="unit"))
        else:
            units = units.copy()
            units.index = units.index.astype(str).rename("unit")
            if units.index.duplicated().any():
                dups = units.index[units.index.duplicated()].unique().tolist()
                raise InputError(f"duplicate unit codes in unit metadata{_where(origin)}: {dups}")
            known = set(units.index)
            missing = [c for c in codes if c not in known]
            if missing:
                raise InputError(
                    f"units in the data but not in the unit metadata{_where(origin)}: "
                    + ", ".join(missing[:_MAX_LISTED])
                )
            present = set(codes)
            if len(present) != len(units.index):
                units = units.loc[[c for c in units.index if c in present]]
            if "name" not in units.columns:
                units.insert(0, "name", units.index.to_list())
        self.units = units
        self.indicator_units = dict(indicator_units or {})
        #: what the reader did that the build log should say (COINr iData read, rows dropped)
        self.notes: list[str] = []
        #: units removed while reading (``drop_rows``, ``exclude_units``): ``unit``, ``reason``
        self.removed: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        *,
        unit: str = "unit",
        period: str = "period",
        indicator: str = "indicator",
        value: str = "value",
        measure_unit: str | None = None,
        units: pd.DataFrame | None = None,
        origin: str | None = None,
        row_offset: RowNumbers = 2,
        number_format: NumberFormat = NumberFormat(),
        unit_name: str | None = None,
        groups: Sequence[str] = (),
    ) -> Panel:
        """Panel from a long table (one row per unit, period and indicator).

        Parameters
        ----------
        df : pandas.DataFrame
            Long table.
        unit, period, indicator, value : str
            Column names.
        measure_unit : str, optional
            Column holding the measurement unit of each row; must be constant per indicator.
        units : pandas.DataFrame, optional
            Unit metadata (see :class:`Panel`).
        origin : str, optional
            File name for messages.
        row_offset : int or ndarray of int
            Added to the 0-based row position in messages (2 = spreadsheet row numbers for a
            file with one header line), or the file row number of each row of ``df``.
        number_format : NumberFormat
            How numbers written as text are parsed (decimal mark, thousands, missing markers).
        unit_name, groups : optional
            Columns with unit names and groups, as in :meth:`from_wide` (one value per unit;
            ignored when ``units`` is given).

        Raises
        ------
        InputError
            Missing columns, duplicate (unit, period, indicator) rows (listed with their file
            rows), non-numeric values, non-integer periods, an indicator with two measurement
            units, groups that vary over time for one unit.
        """
        needed = ([unit, period, indicator, value] + ([measure_unit] if measure_unit else [])
                  + ([unit_name] if unit_name else []) + list(groups))
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise InputError(
                f"long data{_where(origin)} lacks columns {missing}; found {list(df.columns)}",
                [*_near_columns(missing, df.columns),
                 *_periods_as_headers(period, missing, df.columns, unit, origin),
                 "name your columns in the recipe's data section (unit:, period:, indicator:, "
                 "value:), or set form: wide if the file has one column per indicator"],
            )
        if df.empty:
            raise InputError(f"no data rows{_where(origin)}")
        df = df.reset_index(drop=True)
        unit_codes = as_codes(df[unit], unit, origin, row_offset)
        check_unit_codes(unit_codes, unit, origin, row_offset)
        ind_codes = as_codes(df[indicator], indicator, origin, row_offset)
        per = _periods(df[period], period, origin, row_offset)
        vals = to_numeric(df[value], value, origin, row_offset, number_format)
        tidy = pd.DataFrame({"unit": unit_codes, "period": per, "indicator": ind_codes,
                             "value": vals})
        dup = tidy.duplicated(["unit", "period", "indicator"], keep=False)
        if dup.any():
            rows = tidy[dup].groupby(["unit", "period", "indicator"]).groups
            details = [
                f"{u}, {p}, {i}: rows {', '.join(str(_rown(row_offset, r)) for r in idx)}"
                for (u, p, i), idx in list(rows.items())[:_MAX_LISTED]
            ]
            raise InputError(
                f"duplicate (unit, period, indicator) rows{_where(origin)}: {len(rows)} keys",
                details,
            )
        ind_units = measure_units(df, indicator, measure_unit, origin) if measure_unit else {}
        wide = tidy.pivot(index=["unit", "period"], columns="indicator", values="value")
        wide.columns.name = None
        order = list(dict.fromkeys(tidy["indicator"]))
        if units is None and (unit_name or groups):
            units = _unit_meta_from_columns(df, unit, unit_codes, per, unit_name, groups,
                                            origin)
        return cls(wide[order], units=units, indicator_units=ind_units, origin=origin)

    @classmethod
    def from_wide(
        cls,
        df: pd.DataFrame,
        *,
        unit: str = "unit",
        period: str | None = "period",
        indicators: Sequence[str] | None = None,
        unit_name: str | None = None,
        groups: Sequence[str] = (),
        units: pd.DataFrame | None = None,
        default_period: int | None = None,
        origin: str | None = None,
        row_offset: RowNumbers = 2,
        number_format: NumberFormat = NumberFormat(),
    ) -> Panel:
        """Panel from a wide table (one row per unit and period, one column per indicator).

        Parameters
        ----------
        df : pandas.DataFrame
            Wide table.
        unit : str
            Column of unit codes.
        period : str or None
            Column of periods; ``None`` with ``default_period`` for cross-sectional data.
        indicators : sequence of str, optional
            Indicator columns; by default every column except ``unit``, ``period``,
            ``unit_name`` and ``groups``.
        unit_name : str, optional
            Column with unit names (becomes ``units['name']``).
        groups : sequence of str
            Group columns (become columns of ``units``; must be constant per unit).

        Raises
        ------
        InputError
            Missing columns, duplicate (unit, period) rows (with file rows), non-numeric cells
            (row and column named), groups that vary over time for one unit.
        """
        df = df.reset_index(drop=True)
        meta = [unit] + ([period] if period else []) + ([unit_name] if unit_name else []) + list(
            groups
        )
        missing = [c for c in meta if c not in df.columns]
        if missing:
            raise InputError(
                f"wide data{_where(origin)} lacks columns {missing}; found {list(df.columns)}",
                [*_near_columns(missing, df.columns),
                 *_periods_as_headers(period, missing, df.columns, unit, origin),
                 "name your columns in the recipe's data section (unit:, period:), or set "
                 "form: long (with indicator: and value:) for one row per observation"],
            )
        if df.empty:
            raise InputError(f"no data rows{_where(origin)}")
        if period is None and default_period is None:
            raise InputError(
                f"data without a period column{_where(origin)}",
                ["for one-period (cross-sectional) data, give the period the values are for: "
                 "data.default_period: 2020 in a recipe, default_period=2020 in Python",
                 "or name the column of periods: data.period: year"])
        cols = list(indicators) if indicators is not None else [
            c for c in df.columns if c not in meta
        ]
        absent = [c for c in cols if c not in df.columns]
        if absent:
            raise InputError(f"indicator columns not found{_where(origin)}: {absent}")
        codes = as_codes(df[unit], unit, origin, row_offset)
        check_unit_codes(codes, unit, origin, row_offset)
        per = (
            _periods(df[period], period, origin, row_offset)
            if period
            else pd.Series(default_period, index=df.index, dtype=np.int64)
        )
        dup = pd.DataFrame({"u": codes, "p": per}).duplicated(keep=False)
        if dup.any():
            rows = pd.DataFrame({"u": codes, "p": per})[dup].groupby(["u", "p"]).groups
            details = [
                f"{u}, {p}: rows {', '.join(str(_rown(row_offset, r)) for r in idx)}"
                for (u, p), idx in list(rows.items())[:_MAX_LISTED]
            ]
            if len(cols) <= 3:
                details.append("if the file is long (one row per unit, period and indicator), "
                               "set form: long with indicator: and value: column names")
            raise InputError(f"duplicate (unit, period) rows{_where(origin)}", details)
        numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
                   for t in df[cols].dtypes]
        if all(numeric):  # numbers stored as numbers (Parquet, Excel, most CSV): one block,
            block = np.empty((len(df), len(cols)), order="F")  # column-major as pandas keeps it
            for k, c in enumerate(cols):
                block[:, k] = df[c].to_numpy(dtype=float, na_value=np.nan)
            values = pd.DataFrame(block, columns=cols, copy=False)
        else:
            values = pd.DataFrame({c: to_numeric(df[c], str(c), origin, row_offset,
                                                  number_format) for c in cols})
        values.index = pd.MultiIndex.from_arrays([codes, per.to_numpy()], names=["unit", "period"])
        if units is None and (unit_name or groups):
            units = _unit_meta_from_columns(df, unit, codes, per, unit_name, groups, origin)
        return cls(values, units=units, origin=origin)

    def copy(self) -> Panel:
        """A copy: changing one never changes the other (the values are shared until one is
        written to, under pandas' copy-on-write; copied outright without it)."""
        out = Panel.__new__(Panel)
        out.origin = self.origin
        out.values = self.values.copy(deep=not _COPY_ON_WRITE)
        out.units = self.units.copy(deep=not _COPY_ON_WRITE)
        out.indicator_units = dict(self.indicator_units)
        out.notes, out.removed = list(self.notes), [dict(r) for r in self.removed]
        return out

    # ------------------------------------------------------------------ access
    @property
    def unit_codes(self) -> list[str]:
        """Unit codes in metadata order."""
        return self.units.index.to_list()

    @property
    def periods(self) -> list[int]:
        """Sorted periods present in the data."""
        level = self.values.index.get_level_values("period")
        return sorted(pd.unique(level).tolist())

    @property
    def indicator_codes(self) -> list[str]:
        return list(self.values.columns)

    @property
    def group_columns(self) -> list[str]:
        """Unit metadata columns other than names."""
        return [c for c in self.units.columns if c not in ("name", "name_zh")]

    def __repr__(self) -> str:
        p = self.periods
        span = f"{p[0]}-{p[-1]}" if p else "none"
        return (
            f"Panel({len(self.unit_codes)} units x {len(p)} periods ({span}) x "
            f"{len(self.indicator_codes)} indicators{_where(self.origin)})"
        )

    def select(
        self,
        units: Sequence[str] | None = None,
        periods: Sequence[int] | None = None,
        indicators: Sequence[str] | None = None,
    ) -> Panel:
        """A panel restricted to some units, periods and indicators (``None`` keeps all).

        Raises
        ------
        InputError
            If a requested unit, period or indicator is not in the data.
        """
        values = self.values
        unit_list = self.unit_codes
        if units is not None:
            known_units = set(unit_list)
            unknown = [u for u in units if u not in known_units]
            if unknown:
                raise InputError(f"units not in the data{_where(self.origin)}: {unknown}",
                                 [*_near_columns(unknown, unit_list),
                                  f"available: {', '.join(unit_list)}"])
            unit_list = list(units)
        if periods is not None:
            known_periods = set(self.periods)
            unknown = [p for p in periods if p not in known_periods]
            if unknown:
                raise InputError(
                    f"periods not in the data{_where(self.origin)}: {unknown}",
                    [f"available: {self.periods[0]}-{self.periods[-1]}" if self.periods else ""],
                )
        if indicators is not None:
            unknown = [i for i in indicators if i not in values.columns]
            if unknown:
                raise InputError(f"indicators not in the data{_where(self.origin)}: {unknown}")
            values = values[list(indicators)]
        mask = None
        if units is not None:
            mask = values.index.get_level_values("unit").isin(unit_list)
        if periods is not None:
            in_periods = values.index.get_level_values("period").isin(list(periods))
            mask = in_periods if mask is None else mask & in_periods
        if mask is not None and not mask.all():
            values = values[mask]
        ind_units = {k: v for k, v in self.indicator_units.items() if k in values.columns}
        # a part of a valid panel is valid: no second round of checks and copies
        out = Panel.__new__(Panel)
        out.origin, out.values, out.indicator_units = self.origin, values, ind_units
        out.units = self.units if units is None else self.units.loc[unit_list]
        # what the reader did still holds for a part of the panel
        out.notes, out.removed = list(self.notes), [dict(r) for r in self.removed]
        return out

    def cube(
        self,
        indicators: Sequence[str] | None = None,
        periods: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Values as a dense array of shape (n_periods, n_units, n_indicators).

        Missing (unit, period) rows become ``NaN``. Units follow :attr:`unit_codes`.
        """
        indicators = self.indicator_codes if indicators is None else list(indicators)
        periods = self.periods if periods is None else list(periods)
        n_u, n_p = len(self.units.index), len(periods)
        arr = self._cube_rows(indicators, periods)
        if arr is None:  # the general (slower) path
            full = pd.MultiIndex.from_product([self.unit_codes, periods],
                                              names=["unit", "period"])
            arr = self.values.reindex(index=full, columns=indicators).to_numpy(dtype=float)
        return arr.reshape(n_u, n_p, len(indicators)).transpose(1, 0, 2)

    def _cube_rows(self, indicators: list[str], periods: list[int]) -> np.ndarray | None:
        """:meth:`cube` as a (unit x period, indicator) array by placing each row of the
        values at its position (no reindexing through a product index, ~5x faster); None
        unless the values are a plain numeric table with unique (unit, period) rows and
        exactly the requested columns (then reindexing gives the answer, or the error)."""
        frame = self.values
        index = frame.index
        if (not isinstance(index, pd.MultiIndex) or index.nlevels != 2 or not index.is_unique
                or list(frame.columns) != indicators):
            return None  # (other selections: the general path keeps pandas' memory layout)
        try:
            vals = frame.to_numpy(dtype=float)
        except (TypeError, ValueError):
            return None
        codes_u, codes_p = index.codes
        unit_of = self.units.index.get_indexer(index.levels[0])
        period_of = pd.Index(periods).get_indexer(index.levels[1])
        if (codes_u < 0).any() or (codes_p < 0).any():
            return None  # a missing label
        u, p = unit_of[codes_u], period_of[codes_p]
        n = len(self.units.index) * len(periods)
        if (len(vals) == n and vals.flags.f_contiguous
                and np.array_equal(u * len(periods) + p, np.arange(n))):
            return vals  # every (unit, period) once, in order: the values themselves, no copy
        keep = (u >= 0) & (p >= 0)
        # column-major like DataFrame.to_numpy, so cube() lays the array out as before
        out = np.full((len(self.units.index) * len(periods), len(indicators)), np.nan,
                      order="F")
        out[(u * len(periods) + p)[keep]] = vals[keep]
        return out

    def to_long(self) -> pd.DataFrame:
        """Tidy table ``unit, period, indicator, value`` of the observed values (no NaN rows)."""
        long = self.values.melt(ignore_index=False, var_name="indicator", value_name="value")
        long = long.dropna(subset=["value"]).reset_index()
        return long.sort_values(["unit", "period", "indicator"], ignore_index=True)

    def check_framework(self, framework: Any) -> None:
        """Check that every framework indicator is in the data with a compatible unit.

        Raises
        ------
        InputError
            Listing indicators of the framework missing from the data (with near matches:
            same but for case, spaces, hyphens or underscores, or a close spelling among the
            data columns not in the framework, :func:`gipro.suggest.near_match`), data
            indicators that are spelling variants of
            a framework indicator also present (their rows would be silently ignored), and
            indicators whose measurement unit in the data differs from the framework's.
        """
        problems = []
        cols = list(self.indicator_codes)
        wanted = set(framework.indicator_codes)
        spare = [c for c in cols if c not in wanted]  # columns a misspelt code may stand for
        fw_folded = {_fold_code(c): c for c in framework.indicator_codes}
        for col in cols:
            twin = fw_folded.get(_fold_code(col))
            if col not in wanted and twin is not None and twin in cols:
                problems.append(
                    f"the data have both {twin!r} and {col!r}: rows of {col!r} would be ignored "
                    f"(a spelling variant of framework indicator {twin!r}?)"
                )
        for code in framework.indicator_codes:
            if code not in cols:
                hit = near_match(code, spare)
                unit_hit = header_with_unit(code, spare)
                hint = (f" (the data have {unit_hit[0]!r}: a header with its unit? rename the "
                        f"column to {code!r}, units go in the framework's unit:, or use "
                        f"{unit_hit[0]!r} as the code)"
                        if unit_hit is not None else "" if hit is None
                        else f" (the data have {hit[0]!r})" if hit[1] == "fold"
                        else f" (did you mean {hit[0]!r}? the data have it)")
                problems.append(f"indicator {code!r} is in the framework but not in the data{hint}")
                continue
            fw_unit = framework.node(code).unit
            data_unit = self.indicator_units.get(code)
            if fw_unit and data_unit and _fold(fw_unit) != _fold(data_unit):
                problems.append(
                    f"indicator {code!r}: unit mismatch, framework says {fw_unit!r} but the data "
                    f"say {data_unit!r}"
                )
        if problems:
            fw = framework.code or framework.origin or "framework"
            raise InputError(f"data{_where(self.origin)} do not match {fw}", problems)


def _fold(unit: str) -> str:
    return " ".join(unit.lower().split())


def _unit_periods(panel: Panel, code: str, unit: str) -> str:
    """The periods in which ``unit`` has a value of indicator ``code`` (``2015-2018``)."""
    col = panel.values[code]
    have = col[col.notna()].xs(unit, level="unit").index
    return _period_spans(have.tolist())


#: Least ratio of the other units' smallest value to the largest value of the units flagged
#: by :func:`fraction_warnings` (one order of magnitude; a fraction is 100 times too small).
_SCALE_GAP = 10.0


def fraction_warnings(panel: Panel, units: Mapping[str, str | None]) -> list[str]:
    """Warnings for % indicators whose values look like fractions (nothing is changed).

    For every indicator whose measurement unit is a percentage
    (:func:`gipro.units.is_percent_unit`), the units whose every value lies within [0, 1]
    with at least one above 0 (:func:`gipro.units.fraction_like`, the rule park data use)
    are flagged when every value of every other unit is at least 10 times their largest
    value (an Excel % cell: 64 % saved as 0.64 among 50.3 ... 92.8; min-max scores would
    put the unit near the bottom). A fraction is 100 times too small; asking for a gap of
    one order of magnitude between the two groups keeps real small percentages quiet: in
    the ASEM data (COINr), R&D spending of 0.96 % of GDP next to 1.003 %, or a renewable
    share of 0.71 % next to 1.56 %, are not flagged (without the gap 7 of its % indicators
    would be), while a 64 % saved as 0.64 next to 50 % is. The price: a fraction hidden
    among units with small real percentages (0.05 next to 3 %) is not caught. When no unit
    has a value above 1, the whole indicator is flagged (harmless for rank-based or
    data-relative normalisations, not for goalposts or targets in %).

    Parameters
    ----------
    panel : Panel
        The data as built (selected units and periods).
    units : mapping of str to str or None
        Measurement unit by indicator (the framework's).

    Returns
    -------
    list of str
        One ``"WARNING: ..."`` line per indicator flagged, naming the units, their periods and
        largest value.

    Examples
    --------
    >>> v = pd.DataFrame({"reuse": [92.8, 95.2, 0.60, 0.64, 85.5]},
    ...                  index=pd.MultiIndex.from_tuples([("BJ", 2015), ("BJ", 2016),
    ...                      ("HE", 2015), ("HE", 2016), ("TJ", 2016)]))
    >>> import textwrap
    >>> print(textwrap.fill(fraction_warnings(Panel(v), {"reuse": "%"})[0], 80))
    ... # doctest: +ELLIPSIS
    WARNING: reuse is in % but every value of HE (2015-2016) is within [0, 1]
    (largest 0.64) while every value of the other units is at least 10 times that
    (85.5 to 95.2): were fractions saved instead of percentages ...
    """
    out = []
    pct = [c for c in panel.indicator_codes if is_percent_unit(units.get(c))]
    if not pct:
        return out
    values = panel.values
    arr = values[pct].to_numpy(dtype=float)
    ucodes = np.asarray(values.index.codes[0])
    if len(ucodes) == 0:
        return out
    if (np.diff(ucodes) < 0).any():  # rows of a unit together (the values are sorted)
        order = np.argsort(ucodes, kind="stable")
        ucodes, arr = ucodes[order], arr[order]
    starts = np.flatnonzero(np.r_[True, ucodes[1:] != ucodes[:-1]])
    unit_names = np.asarray(values.index.levels[0], dtype=object)[ucodes[starts]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units without values: NaN
        lo_all = np.fmin.reduceat(arr, starts, axis=0)  # per unit, NaN ignored
        hi_all = np.fmax.reduceat(arr, starts, axis=0)
    return fraction_notes(pct, unit_names, lo_all, hi_all,
                          lambda code, u: _unit_periods(panel, code, u))


def fraction_notes(pct: Sequence[str], unit_names: np.ndarray, lo_all: np.ndarray,
                   hi_all: np.ndarray, periods_of: Any) -> list[str]:
    """The rule of :func:`fraction_warnings` on each unit's smallest and largest value of the
    % indicators ``pct`` (``lo_all``, ``hi_all`` of shape (n_units, len(pct)), NaN for a unit
    without values); ``periods_of(code, unit)`` says in which periods a flagged unit has
    values (``2015-2018``)."""
    out = []
    for k, code in enumerate(pct):
        lo, hi = lo_all[:, k], hi_all[:, k]
        flagged = fraction_like(lo, hi)
        if not flagged.any():
            continue
        others = ~np.isnan(hi) & ~flagged
        largest = float(np.nanmax(hi[flagged]))
        whole = np.nanmin(lo) >= 0 and np.nanmax(hi) <= 1  # (units all 0 included)
        if not whole and not lo[others].min() >= _SCALE_GAP * largest:
            continue  # small values are ordinary for this indicator (0.5 % R&D spending)
        names = unit_names[flagged].tolist()
        shown = ", ".join(f"{u} ({periods_of(code, u)})" for u in names[:_MAX_LISTED])
        more = f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
        if not whole:
            what = (f"every value of {shown}{more} is within [0, 1] (largest {largest:g}) while "
                    f"every value of the other units is at least 10 times that "
                    f"({float(lo[others].min()):g} to {float(np.nanmax(hi)):g})")
        else:
            what = (f"every value of every unit is within [0, 1] (largest {largest:g}, "
                    f"{int((~np.isnan(hi)).sum())} units)")
        out.append(
            f"WARNING: {code} is in % but {what}: were fractions saved instead of percentages "
            "(an Excel % cell: 96 % saved as 0.96)? If so, multiply them by 100 in the data; "
            "gipro does not rescale")
    return out


#: Codes or names of total/aggregate rows (matched on the NFKC, case-folded text): Chinese
#: yearbook totals anywhere in the text, English words as the whole text, ``all``/``total``
#: opening it or ``total``/``average``/``aggregate``/``sum`` closing it.
_TOTAL_ROW = re.compile(
    r"全国|合计|总计|总体|小计|总和|全省|全市|全部"
    r"|^(?:total|totals|grand total|sub-?total|sum|world|national|nationwide|whole country"
    r"|overall|aggregate|average)$"
    r"|^(?:all|total)\b"
    r"|\b(?:total|totals|average|aggregate|sum)$")


def plausibility_warnings(panel: Panel, units: Mapping[str, str | None]) -> list[str]:
    """Warnings for values that are possible but look wrong (nothing is changed; each is a
    ``WARNING`` input note in ``log.yaml``, printed by ``gipro run``):

    * a % indicator (:func:`gipro.units.is_percent_unit`) with a few values outside
      [0, 100] among values inside it (:func:`gipro.units.percent_outside`, at most 5 % of
      its values: many values above 100 are a ratio, such as debt in % of GDP);
    * one unit's % values mixing fractions and percentages: a value within (0, 1] while the
      same unit's other values are all at least 10 times it and above 1 (one year saved as
      an Excel % cell: 92.8, 0.93, 95.1) -- the whole-unit case is :func:`fraction_warnings`;
    * an implausible jump between adjacent periods of one unit
      (:func:`gipro.units.jumps`: ten times or more, either way).

    Parameters
    ----------
    panel : Panel
    units : mapping of str to str or None
        Measurement unit by indicator (the framework's).

    Returns
    -------
    list of str
        One ``"WARNING: ..."`` line per indicator and kind, naming units, periods, values.

    Examples
    --------
    >>> v = pd.DataFrame({"reuse": [92.8, 0.93, 95.1, 85.0]},
    ...                  index=pd.MultiIndex.from_tuples([("BJ", 2015), ("BJ", 2016),
    ...                      ("BJ", 2017), ("TJ", 2016)]))
    >>> for w in plausibility_warnings(Panel(v), {"reuse": "%"}):
    ...     print(w[:60])
    WARNING: reuse is in % but one value of a unit is within [0,
    WARNING: reuse jumps ten times or more between adjacent peri
    """
    return plausibility_notes(plausibility_hits(panel, units), panel.indicator_codes)


#: What :func:`plausibility_hits` found: ``(code, kind)`` -> (hits, observed values, the
#: first :data:`_MAX_LISTED` hits as (unit, period, text) in the order of unit code and
#: period); kind ``outside`` (with the observed values of a % indicator, hits or not),
#: ``fraction`` or ``jump``.
PlausibilityHits = dict[tuple[str, str], tuple[int, int, list[tuple[str, int, str]]]]


def plausibility_hits(panel: Panel, units: Mapping[str, str | None]) -> PlausibilityHits:
    """The values :func:`plausibility_warnings` warns of, of one panel or of one block of
    units of it (each rule looks at one unit's rows, but for the share of % values outside
    [0, 100], which :func:`plausibility_notes` applies to the joined counts): join the
    blocks' hits with :func:`join_plausibility_hits`."""
    from .units import jumps, percent_outside

    out: PlausibilityHits = {}
    values = panel.values
    if values.empty:
        return out
    ucode = np.asarray(values.index.codes[0])
    names = np.asarray(values.index.levels[0], dtype=object)
    per = np.asarray(values.index.get_level_values(1))
    order = np.lexsort((per, ucode))
    ucode, per = ucode[order], per[order]
    same_unit = ucode[1:] == ucode[:-1]
    starts = np.flatnonzero(np.r_[True, ~same_unit])
    unit_pos = np.cumsum(np.r_[True, ~same_unit]) - 1  # each row's unit block

    def listed(kind: str, code: str, hits: np.ndarray, n_obs: int,
               cell: Callable[[int], str]) -> None:
        if hits.size or n_obs:  # (the observed values of every block count)
            out[(code, kind)] = (int(hits.size), n_obs, [
                (str(names[ucode[i]]), int(per[i]), cell(int(i)))
                for i in hits[:_MAX_LISTED]])

    for code in panel.indicator_codes:
        v = values[code].to_numpy(dtype=float)[order]

        def value(i: int, v: np.ndarray = v) -> str:
            return f"{names[ucode[i]]} {per[i]} ({v[i]:g})"

        if is_percent_unit(units.get(code)):
            listed("outside", code, np.flatnonzero(percent_outside(v)),
                   int((~np.isnan(v)).sum()), value)
            small = (v > 0) & (v <= 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # units without such values
                small_max = np.fmax.reduceat(np.where(small, v, np.nan), starts)
                rest_min = np.fmin.reduceat(np.where(small, np.nan, v), starts)
            odd = (rest_min > 1) & (rest_min >= _SCALE_GAP * small_max)  # NaN: False
            listed("fraction", code, np.flatnonzero(small & odd[unit_pos]), 0, value)
        listed("jump", code, np.flatnonzero(same_unit & jumps(v[:-1], v[1:])), 0,
               lambda i, v=v: f"{names[ucode[i]]} {per[i]}-{per[i + 1]} "
                              f"({v[i]:g} to {v[i + 1]:g})")
    return out


def join_plausibility_hits(a: PlausibilityHits, b: PlausibilityHits) -> PlausibilityHits:
    """The hits of two blocks of units (:func:`plausibility_hits`) as one panel's."""
    out = dict(a)
    for key, (n, obs, first) in b.items():
        if key in out:
            n0, obs0, first0 = out[key]
            out[key] = (n0 + n, obs0 + obs, sorted([*first0, *first])[:_MAX_LISTED])
        else:
            out[key] = (n, obs, first)
    return out


def plausibility_notes(hits: PlausibilityHits, codes: Sequence[str]) -> list[str]:
    """The warnings of :func:`plausibility_warnings` from the (joined) ``hits`` of the
    variables ``codes``, in that order."""
    from .units import RARE_SHARE, too_common

    out: list[str] = []

    def shown(n: int, first: list[tuple[str, int, str]]) -> str:
        more = f" and {n - _MAX_LISTED} more" if n > _MAX_LISTED else ""
        return ", ".join(t for _, _, t in first) + more

    for code in codes:
        if (code, "outside") in hits:
            n, obs, first = hits[(code, "outside")]
            if n and not too_common(n, obs, RARE_SHARE):
                out.append(f"WARNING: {code} is in % but has values outside [0, 100]: "
                           + shown(n, first)
                           + "; a share cannot be negative or above 100 % (another unit, or "
                           "a typing slip?); gipro does not change them")
        if (code, "fraction") in hits:
            out.append(f"WARNING: {code} is in % but one value of a unit is within [0, 1] "
                       "while its other values are at least 10 times larger: "
                       + shown(*hits[(code, "fraction")][::2])
                       + "; a fraction saved for a percentage (an Excel "
                       "% cell)? If so, multiply it by 100; gipro does not rescale")
        if (code, "jump") in hits:
            out.append(f"WARNING: {code} jumps ten times or more between adjacent periods: "
                       + shown(*hits[(code, "jump")][::2])
                       + "; a value in another unit (万 for 1, a fraction for %) or a typing "
                       "slip? Check the data; gipro does not change them")
    return out


def total_row_warnings(panel: Panel) -> list[str]:
    """A warning when a unit's code or name looks like a total or aggregate row.

    Yearbook tables often end with a national total (``全国``, ``合计``, ``Total``,
    ``All provinces``, ``World``): built as a unit, it is normalised, ranked (often first)
    and widens the normalisation bounds of the real units. gipro does not drop it (a unit
    may be called "National ..."), it warns and says how to leave it out.

    Returns
    -------
    list of str
        Empty, or one ``"WARNING: ..."`` line naming the units and what matched.

    Examples
    --------
    >>> v = pd.DataFrame({"x": [1.0, 2.0, 3.0]},
    ...                  index=pd.MultiIndex.from_tuples([("Beijing", 1), ("Hebei", 1),
    ...                                                   ("全国", 1)]))
    >>> print(total_row_warnings(Panel(v))[0])  # doctest: +ELLIPSIS
    WARNING: unit 全国 looks like a total or aggregate row...
    """
    cols = [c for c in ("name", "name_zh") if c in panel.units.columns]
    hits = []
    columns = [panel.units[c].tolist() for c in cols]
    for i, code in enumerate(panel.unit_codes):
        texts = dict.fromkeys([code, *(col[i] for col in columns)])
        matched = [t for t in texts if isinstance(t, str)
                   and _TOTAL_ROW.search(" ".join(fold_identity(t).split()))]
        if matched:
            named = "" if matched == [code] else f" ({', '.join(matched)})"
            hits.append(f"{code}{named}")
    if not hits:
        return []
    rest = len(panel.unit_codes) - len(hits)
    return [
        f"WARNING: unit{'s' if len(hits) > 1 else ''} {', '.join(hits)} look"
        f"{'' if len(hits) > 1 else 's'} like a total or aggregate row: it is normalised, "
        f"aggregated and ranked with the units it sums (it widens the bounds and may rank "
        f"first). If it is a total, leave it out: list the {rest} other units in the "
        "recipe's units:, or remove its rows from the data"]


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_SUFFIXES = (*_CSV_SUFFIXES, ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")


def _utf16_without_bom(path: Path) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when a text file looks like UTF-16 without a byte-order
    mark (NUL bytes between the characters: every ASCII character is two bytes, one of them
    0; Unicode Standard 15.0, section 3.10), else ``None``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if len(head) < 8 or head[:2] in _UTF16_BOMS:
        return None
    even, odd = head[0::2], head[1::2]
    share_even, share_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if share_odd > 0.2 and share_even < 0.02:
        return "utf-16-le"
    if share_even > 0.2 and share_odd < 0.02:
        return "utf-16-be"
    return None


def _encoding_error(path: Path, encoding: str, where: str, suggest: str) -> InputError:
    """The error for a text file that is not in ``encoding``; ``suggest`` is the encoding to
    try, also kept on the error (``suggested_encoding``) for readers that name it their way
    (``gipro assess --encoding``)."""
    if suggest == "gbk":
        msg = f"cannot read {path}: it is not {encoding} text{where}"
        hint = ("files saved by Excel on Chinese Windows are usually GBK: set encoding: gbk in "
                "the recipe's data section (or save the file as 'CSV UTF-8')")
    else:
        msg = (f"cannot read {path} as {encoding} text: it looks like UTF-16 without a "
               "byte-order mark (NUL bytes between the characters)")
        hint = (f"set encoding: {suggest} in the recipe's data section (or save the file as "
                "'CSV UTF-8')")
    exc = InputError(msg, [hint])
    exc.suggested_encoding = suggest  # type: ignore[attr-defined]
    return exc


def _excel_letter(j: int) -> str:
    """Spreadsheet column letter of the 0-based column ``j`` (0 -> A, 26 -> AA)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (
        isinstance(v, float) and np.isnan(v))


def _read_xlsx(path: Path, sheet: str | int | None, skip_rows: int) -> list[list[Any]]:
    """Every cell of one sheet as Python values (openpyxl), header row first.

    Read with openpyxl directly rather than :func:`pandas.read_excel`, which turns Excel error
    cells (``#DIV/0!``, ``#VALUE!``, ``#REF!``) into missing values without a word: here they
    stay text, so a broken formula is reported with its row and column. Formula cells saved
    without their result (files written by scripts) are an error naming the cells
    (:func:`_uncomputed_formulas`), not missing values.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(f"{path} has no sheet number {sheet} (sheets are numbered "
                                 f"from 0)", [f"sheets: {', '.join(names)}"])
            ws = wb.worksheets[sheet]
        elif sheet not in names:
            raise InputError(f"{path} has no sheet {sheet!r}", [f"sheets: {', '.join(names)}"])
        else:
            ws = wb[sheet]
        if hasattr(ws, "reset_dimensions"):  # read-only sheets may state wrong dimensions
            ws.reset_dimensions()
        rows = _bounded_rows(ws.iter_rows(values_only=True), path, ws.title)
        blank = _uncomputed_formulas(ws, skip_rows)
    finally:
        wb.close()
    if blank:
        more = f" (and {len(blank) - _MAX_LISTED} more)" if len(blank) > _MAX_LISTED else ""
        raise InputError(
            f"{path}, sheet {ws.title!r}: {len(blank)} formula cell(s) without a computed "
            f"value: {', '.join(blank[:_MAX_LISTED])}{more}",
            ["the file was saved by a program that stores formulas but not their results "
             "(e.g. written by a script); such cells would be read as missing. Open the file "
             "in Excel or LibreOffice and save it again (the results are then stored), or "
             "replace the formulas by their values"])
    return rows[skip_rows:]


#: Most columns a table may have (a data file with more is refused with a clear error; Excel's
#: own limit is 16,384). Raise it, with care, for a very wide table.
MAX_COLUMNS = 5_000
#: Most cells (rows x columns up to the last value) of one table or sheet: 50 million.
MAX_CELLS = 50_000_000


def _too_wide(path: Path, where: str, width: int, row: int) -> InputError:
    return InputError(
        f"{path}{where} has a value in column {_excel_letter(width - 1)} (number {width:,}) of "
        f"row {row}: more than {MAX_COLUMNS:,} columns",
        ["a stray value far to the right (or a wide sheet) -- delete it, or keep the data in "
         "fewer columns (long form: one row per unit, period and indicator)"])


def _bounded_rows(rows: Iterable[tuple[Any, ...]], path: Path, sheet: str) -> list[list[Any]]:
    """The rows of a sheet with trailing empty cells (and trailing empty rows) dropped, so
    a stray cell far away (column XFD, row 1,048,576) costs nothing; a value beyond
    :data:`MAX_COLUMNS`, or more than :data:`MAX_CELLS` cells, is an error naming it."""
    out: list[list[Any]] = []
    last = 0
    width = 0
    for i, r in enumerate(rows):
        n = len(r)
        while n and _is_blank(r[n - 1]):
            n -= 1
        if n > MAX_COLUMNS:
            raise _too_wide(path, f", sheet {sheet!r},", n, i + 1)
        out.append(list(r[:n]) if n else [])
        if n:
            last = i + 1
            width = max(width, n)
            if last * width > MAX_CELLS:
                raise InputError(f"{path}, sheet {sheet!r}: more than {MAX_CELLS:,} cells "
                                 f"(row {last:,}, {width:,} columns)",
                                 ["save big tables as CSV or Parquet"])
    return out[:last]


#: An XML formula element (``<f>``, ``<f .../>``, or with a namespace prefix ``<x:f>``).
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _uncomputed_formulas(ws: Any, skip_rows: int) -> list[str]:
    """Cells of a read-only openpyxl sheet, below ``skip_rows``, that hold a formula without a
    stored result (openpyxl's ``data_only`` then gives ``None``, a silent missing value).

    A cell counts when its ``<f>`` has no ``<v>`` or an empty one, unless its type is
    ``str`` (a formula whose result is empty text, e.g. ``=IF(A1="","",A1)``, is an empty
    cell). The sheet's XML is first scanned for a formula element at all (most data files
    have none) and parsed only then, streaming.
    """
    get_source = getattr(ws, "_get_source", None)  # openpyxl's read-only worksheet
    if get_source is None:  # pragma: no cover - another openpyxl: no check possible this way
        return []
    with get_source() as src:
        tail = b""
        found = False
        while chunk := src.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                found = True
                break
            tail = chunk[-32:]
    if not found:
        return []
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse

    out = []
    with get_source() as src:
        for _, el in iterparse(src, events=("end",)):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "c":
                f = v = None
                for child in el:
                    name = child.tag.rsplit("}", 1)[-1]
                    if name == "f":
                        f = child
                    elif name == "v":
                        v = child
                ref = el.get("r")
                if (f is not None and (v is None or not (v.text or "")) and el.get("t") != "str"
                        and ref and coordinate_to_tuple(ref)[0] > skip_rows):
                    out.append(ref)
            elif tag == "row":
                el.clear()
    return out


def _header_text(v: Any) -> str:
    if _is_blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _blank(col: pd.Series) -> np.ndarray:
    """Boolean array: cells of one column that are empty (None, NaN, or only spaces)."""
    out = np.array(col.isna().to_numpy(), dtype=bool)  # a writable copy
    if col.dtype == object:
        try:
            spaces = col.str.strip().eq("")
        except AttributeError:  # no text in the column
            return out
        out |= spaces.fillna(False).to_numpy(dtype=bool)
    return out


def _blank_rows(df: pd.DataFrame) -> np.ndarray:
    """Boolean array: rows whose every cell is empty. Column by column, only the rows still
    blank so far are looked at (usually the first column settles almost every row)."""
    cand = np.ones(len(df), dtype=bool)
    for j in range(df.shape[1]):
        idx = np.flatnonzero(cand)
        if not idx.size:
            break
        cand[idx] = _blank(df.iloc[idx, j])
    return cand


def _frame(raw: pd.DataFrame, path: Path, first_row: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Table from a raw sheet (header row first, no column names yet), with the checks every
    reader shares.

    * duplicate column names are errors;
    * a column without a header is an error when it holds values (a merged or missing
      header cell) and is dropped when it is empty (a trailing separator);
    * rows where every cell is empty (blank lines) are dropped; the file row number of each
      remaining row is returned with the table, for messages (``first_row`` = the header's).
    """
    if raw.shape[0] == 0:
        raise InputError(f"{path} is empty")
    names = [_header_text(v) for v in raw.iloc[0].tolist()]
    data = raw.iloc[1:].reset_index(drop=True)
    if not all(d.kind == "O" for d in data.dtypes):
        data = data.astype(object)
    dups = sorted({n for n in names if n and names.count(n) > 1})
    if dups:
        raise InputError(f"duplicate column names in {path}: {dups}",
                         ["each column needs its own header; rename or delete the copies"])
    keep = []
    for j, n in enumerate(names):
        if n.strip():
            keep.append(j)
            continue
        filled = np.flatnonzero(~_blank(data.iloc[:, j]))
        if filled.size:
            raise InputError(
                f"column {_excel_letter(j)} (number {j + 1}) of {path} has values but no "
                f"header (first value in row {first_row + 1 + int(filled[0])})",
                ["give the column a name in the header row; if the header spans several "
                 "rows (merged cells), write one header row and set skip_rows: to skip the "
                 "rows above it"])
    file_rows = np.arange(first_row + 1, first_row + 1 + len(data))
    nonblank = ~_blank_rows(data.iloc[:, keep]) if keep else np.zeros(len(data), dtype=bool)
    df = data.iloc[nonblank, keep].reset_index(drop=True)
    df.columns = [names[j] for j in keep]
    return df, file_rows[nonblank]


_SEPARATORS = ((";", "semicolon", "';'"), ("\t", "tab", '"\\t"'), ("|", "pipe", "'|'"))


def _sniff_separator(path: Path, header: pd.DataFrame) -> None:
    """Raise when a CSV read with commas has a one-cell header holding another separator."""
    if header.shape[1] != 1 or header.empty:
        return
    line = str(header.iloc[0, 0])
    for ch, name, yaml_text in _SEPARATORS:
        if ch in line:
            raise InputError(
                f"{path} looks {name}-separated (header {line!r})",
                [f"set sep: {yaml_text} in the recipe's data section"
                 + (" (and decimal: ',' if numbers use a decimal comma)" if ch == ";" else "")],
            )


def _csv_lines(path: Path, encoding: str, sep: str, skip_rows: int, every: bool
               ) -> tuple[int, list[tuple[int, int]]]:
    """The cells of the widest line (``every``: a ragged grid) or of the header line, and the
    rows with fewer cells than the header (file row, cells): a truncated line or a lost
    separator, whose last cells would be read as missing. Lines are split on ``sep`` (a
    cheap count); when the file has quotes, the short rows are confirmed by :mod:`csv`
    (a quoted cell may span lines). More than :data:`MAX_COLUMNS` cells is an error."""
    width = header = 0
    short: list[tuple[int, int]] = []
    quoted = False
    with open(path, encoding=encoding, newline="") as fh:
        for i, line in enumerate(fh):
            if i < skip_rows:
                continue
            n = line.count(sep) + 1
            if n > MAX_COLUMNS:
                raise _too_wide(path, "", n, i + 1)
            width = max(width, n)
            if not header:
                header = n
                quoted = '"' in line
                continue
            quoted = quoted or '"' in line
            if n < header and line.strip():
                short.append((i + 1, n))
    if short and quoted:
        short = _short_records(path, encoding, sep, skip_rows)
    return (width if every else header) or 1, short


def _short_records(path: Path, encoding: str, sep: str, skip_rows: int
                   ) -> list[tuple[int, int]]:
    """:func:`_csv_lines`'s short rows of a file with quotes, counted by :mod:`csv`."""
    import csv

    if len(sep) != 1:
        return []
    out = []
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(skip_rows):
            fh.readline()
        reader = csv.reader(fh, delimiter=sep)
        start = None
        for rec in reader:
            if start is None:
                start = len(rec)
            elif any(c.strip() for c in rec) and len(rec) < start:
                out.append((skip_rows + reader.line_num, len(rec)))
    return out


def _short_rows(short: list[tuple[int, int]], header: int, path: Path) -> None:
    """Refuse CSV rows with fewer cells than the header (:func:`_csv_lines`). An empty cell
    (``a,,b``) is a cell; a blank line is skipped later."""
    if not short:
        return
    rows = ", ".join(f"row {r} ({c} cells)" for r, c in short[:_MAX_LISTED])
    more = f" and {len(short) - _MAX_LISTED} more" if len(short) > _MAX_LISTED else ""
    raise InputError(f"{path}: {len(short)} row(s) with fewer cells than the header's "
                     f"{header}: {rows}{more}",
                     ["a truncated line or a lost separator: complete the row (an empty cell "
                      "is written as nothing between two separators, e.g. a,,c)"])


def _check_source(path: Path, suffixes: Sequence[str] = _SUFFIXES) -> str:
    """The lower-case suffix of a data file that exists and may be read (errors: a folder, a
    missing file, an output of gipro's own, an unknown type)."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a data file")
    if not path.exists():
        raise InputError(f"data file not found: {path}")
    check_input(path, "data file")
    if suffix not in suffixes:
        raise InputError(f"unknown data file type {suffix!r} for {path}; use .csv, .tsv, .txt, "
                         ".xlsx, .xls or .parquet")
    return suffix


class _Parsing:
    """``with _Parsing(path, encoding, suffix):`` around a parser's calls (only those: the
    checks afterwards are gipro's own code, whose bugs must not look like this): its
    failures become input errors naming the file (a damaged file, a wrong encoding, a row
    with too many cells). ``encoding`` is the one in use (a UTF-16 file found by its BOM)."""

    def __init__(self, path: Path, encoding: str, suffix: str) -> None:
        self.path, self.encoding, self.suffix = path, encoding, suffix

    def __enter__(self) -> _Parsing:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if exc is None or isinstance(exc, GiproError):
            return False
        path, suffix = self.path, self.suffix
        if isinstance(exc, UnicodeError):
            where = (f" ({exc.reason} at byte {exc.start})"
                     if isinstance(exc, UnicodeDecodeError) else "")
            raise _encoding_error(path, self.encoding, where,
                                  _utf16_without_bom(path) or "gbk") from None
        if isinstance(exc, pd.errors.EmptyDataError):
            raise InputError(f"{path} is empty") from None
        if isinstance(exc, pd.errors.ParserError):
            raise InputError(
                f"cannot read {path}: {exc}".rstrip(),
                ["a row with more cells than the header usually means an unquoted decimal "
                 "comma or thousands separator: set sep: ';' and decimal: ',' for European "
                 "files, or quote the cells"],
            ) from None
        if isinstance(exc, ImportError):
            raise InputError(f"cannot read {path}: {exc}",
                             ["save the file as .xlsx or .csv"] if suffix == ".xls" else
                             ['Parquet files need pyarrow: pip install "gipro[parquet]"']
                             if suffix in (".parquet", ".pq") else None) from None
        if isinstance(exc, OSError):
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if isinstance(exc, Exception):  # a damaged file: any parser failure is an input error
            raise InputError(f"cannot read {path}: it is not a readable {suffix} file "
                             f"({type(exc).__name__}: {exc})") from None
        return False


def _csv_options(path: Path, sep: str | None, parsing: _Parsing, skip_rows: int
                 ) -> tuple[dict[str, Any], str]:
    """The options of :func:`pandas.read_csv` for a CSV data file and its separator, after
    the checks made before reading it: an unmarked UTF-16 file, a separator that cannot
    separate, a file separated by another character than the one given (the header read
    alone). Sets ``parsing.encoding`` to a UTF-16 file's (found by its BOM)."""
    encoding = parsing.encoding
    if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-8", "utf8"):
        with open(path, "rb") as fh:
            if fh.read(2) in _UTF16_BOMS:  # Excel's "Unicode text" export
                encoding = parsing.encoding = "utf-16"
    if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-8", "utf8", "utf-16",
                                              "utf16"):
        u16 = _utf16_without_bom(path)
        if u16 is not None:
            raise _encoding_error(path, encoding, "", u16)
    # dtype object: the cells as Python strings, as every check below reads them
    # (pandas' default str columns would be converted to and fro)
    literal = sep if sep is not None else ("\t" if path.suffix.lower() == ".tsv" else ",")
    if not literal or "\n" in literal or "\r" in literal or '"' in literal:
        raise InputError(f"sep {literal!r} cannot separate cells of {path}",
                         ["use one character such as ',', ';', '|' or a tab"])
    opts: dict[str, Any] = dict(
        sep=literal, header=None, dtype=object, keep_default_na=False, na_values=[],
        encoding=encoding, skiprows=skip_rows)
    if len(literal) > 1:  # taken literally, never as a regular expression
        opts.update(sep=re.escape(literal), engine="python")
    if sep is None:  # before the full read, which would fail on "288,14" first
        _sniff_separator(path, pd.read_csv(path, nrows=1, **opts))
    return opts, literal


def _raw_cells(
    path: Path, sheet: str | int | None, sep: str | None, encoding: str, skip_rows: int,
    ragged: bool = False,
) -> pd.DataFrame:
    """Every cell of a file as read by its parser, no header yet (Parquet: the table with its
    column names). ``ragged``: CSV rows may have fewer cells than the longest (title rows)."""
    suffix = _check_source(path)
    with _Parsing(path, encoding, suffix) as parsing:
        if suffix in _CSV_SUFFIXES:
            opts, literal = _csv_options(path, sep, parsing, skip_rows)
            width, short = _csv_lines(path, parsing.encoding, literal, skip_rows,
                                      every=ragged)
            if ragged:  # as many columns as the longest line may have (quotes: fewer)
                opts["names"] = range(width)
            raw = pd.read_csv(path, skip_blank_lines=False, **opts)
            if not ragged:
                _short_rows(short, raw.shape[1], path)
            raw = restore(raw)  # '=1+1 written by gipro's CSV writer is the code =1+1
        elif suffix in (".xlsx", ".xlsm"):
            rows = _read_xlsx(path, sheet, skip_rows)
            width = max((len(r) for r in rows), default=0)
            raw = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows],
                               dtype=object)
        elif suffix == ".xls":
            raw = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0,
                                header=None, keep_default_na=False, na_values=[],
                                skiprows=skip_rows, dtype=object)
        else:  # pyarrow straight (pandas.read_parquet's extra pass costs 2-3x at 10^5 units)
            import pyarrow.parquet as pq

            raw = pq.read_table(path).to_pandas(split_blocks=True, self_destruct=True)
    return raw


def read_csv_blocks(
    path: Path, sep: str | None = None, encoding: str = "utf-8-sig", skip_rows: int = 0,
    cells: int = 2_000_000,
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """A CSV data file as :func:`read_table` reads it, about ``cells`` cells at a time (as
    many rows as hold that many cells of the header's width, at least 2): the same
    parser, options, checks and messages (encodings, separators, headers, rows with fewer or
    more cells than the header, blank rows), never the whole table at once (a build chunked
    over units partitions a big CSV file by unit this way, :mod:`gipro.blocks`).

    Yields
    ------
    (pandas.DataFrame, ndarray of int)
        The next rows (text cells, the header's column names) and their file row numbers.

    Raises
    ------
    InputError
        As :func:`read_table`; not a CSV file.
    """
    suffix = _check_source(path, _CSV_SUFFIXES)
    parsing = _Parsing(path, encoding, suffix)
    with parsing:
        opts, literal = _csv_options(path, sep, parsing, skip_rows)
        width, short = _csv_lines(path, parsing.encoding, literal, skip_rows, every=False)
        reader = pd.read_csv(path, skip_blank_lines=False,
                             chunksize=max(int(cells) // max(width, 1), 2), **opts)
    header: pd.DataFrame | None = None
    start = 0  # records read before this block (the header is record 0)
    while True:
        with parsing:
            raw = next(reader, None)
        if raw is None:
            break
        raw = restore(raw)
        if header is None:
            _short_rows(short, raw.shape[1], path)
            header = raw.iloc[:1]
            yield _frame(raw, path, skip_rows + 1)
        else:  # the header above the block: the same checks of headers and rows
            yield _frame(pd.concat([header, raw]), path, skip_rows + start)
        start += len(raw)
    if header is None:
        raise InputError(f"{path} is empty")


def read_table(
    path: Path, sheet: str | int | None = None, sep: str | None = None,
    encoding: str = "utf-8-sig", skip_rows: int = 0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a table as text cells (CSV) or typed cells (Excel, Parquet), nothing parsed as
    missing yet: codes such as ``NA`` stay text; numbers are parsed per column later.

    Every table gipro reads (data, unit files, framework tables, park files, yearbook
    sheets) goes through this function: encodings, separators, Excel error cells, headers,
    blank rows and file row numbers are handled once, here.

    Returns
    -------
    (pandas.DataFrame, ndarray of int)
        The table (object columns) and the file (spreadsheet) row number of each of its rows.

    Raises
    ------
    InputError
        Missing or unreadable file, unknown type, wrong encoding, duplicate or missing headers.
    """
    suffix = path.suffix.lower()
    raw = _raw_cells(path, sheet, sep, encoding, skip_rows)
    if suffix in (".csv", ".txt", ".tsv", ".xls", ".xlsx", ".xlsm"):
        return _frame(raw, path, skip_rows + 1)
    return parquet_frame(raw, path)


def parquet_frame(raw: pd.DataFrame, path: Path, first_row: int = 1
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """A table read from Parquet as :func:`read_table` returns it (index columns written by
    pandas become columns; duplicate names are errors), with the file row numbers of its
    rows from ``first_row`` (a build chunked over units reads the file part by part).

    Raises
    ------
    InputError
        Duplicate column names.
    """
    df = raw
    if any(n is not None for n in df.index.names):  # index columns written by pandas
        df = df.reset_index()
    df.columns = [str(c) for c in df.columns]
    dups = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dups:
        raise InputError(f"duplicate column names in {path}: {dups}")
    return df.reset_index(drop=True), np.arange(first_row, first_row + len(df))


def measure_units(df: pd.DataFrame, indicator: str, measure_unit: str, origin: str | None
                  ) -> dict[str, str]:
    """The measurement unit of each indicator of a long table (its ``measure_unit``
    column), which must be one per indicator.

    Raises
    ------
    InputError
        An indicator with more than one measurement unit.
    """
    mu = df[[indicator, measure_unit]].astype(str).drop_duplicates()
    multi = mu[mu[indicator].duplicated(keep=False)]
    if not multi.empty:
        raise InputError(
            f"indicators with more than one measurement unit{_where(origin)}",
            [f"{i}: {sorted(g[measure_unit])}" for i, g in multi.groupby(indicator)],
        )
    return dict(zip(mu[indicator], mu[measure_unit], strict=True))


def group_labels(series: pd.Series) -> pd.Series:
    """Group labels and names as the reader makes them: text, empty cells missing."""
    return _labels(series)


def period_spans(periods: Iterable[int]) -> str:
    """Sorted periods as runs of consecutive values (``2016-2019, 2021``)."""
    return _period_spans(periods)


def parse_periods(series: pd.Series, column: str, origin: str | None, row_offset: RowNumbers,
                  bad_cells: BadCells | None = None) -> pd.Series:
    """Periods of a column as whole numbers, with the reader's errors (missing, fractional or
    out-of-range periods, naming file and row; non-numeric cells recorded in ``bad_cells``
    when given: a column read in parts, see :class:`BadCells`)."""
    return _periods(series, column, origin, row_offset, bad_cells)




def read_grid(path: str | Path, sheet: str | int | None = None, sep: str | None = None,
              encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Every cell of a CSV or Excel sheet, as a grid without a header: for tables laid out
    for reading (yearbook sheets: title rows, headers over several rows, footnotes), whose
    header is found by the caller. Same parsers and checks as :func:`read_table`
    (encodings, Excel error cells and uncomputed formulas); CSV rows may be ragged (a title
    row of one cell). Row ``i`` of the grid is file row ``i + 1``.

    Raises
    ------
    InputError
        As :func:`read_table`; a Parquet file (it has no layout to read).
    """
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        raise InputError(f"{path} is a Parquet file: a yearbook sheet is CSV or Excel")
    raw = _raw_cells(path, sheet, sep, encoding, 0, ragged=True)
    raw = raw.astype(object).where(raw.notna(), None)
    raw.columns = range(raw.shape[1])
    return raw.reset_index(drop=True)


def read_panel(
    path: str | Path,
    *,
    form: str = "auto",
    unit: str = "unit",
    period: str | None = "period",
    indicator: str = "indicator",
    value: str = "value",
    measure_unit: str | None = None,
    unit_name: str | None = None,
    groups: Sequence[str] = (),
    indicators: Sequence[str] | None = None,
    units: str | Path | pd.DataFrame | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    na_values: Sequence[str] | None = None,
    encoding: str = "utf-8-sig",
    skip_rows: int = 0,
    default_period: int | None = None,
    rename: Mapping[str, str] | None = None,
    drop_rows: Mapping[str, Sequence[Any]] | None = None,
    known_groups: Sequence[str] = (),
) -> Panel:
    """Read a panel from CSV, Excel or Parquet, in long or wide form.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xls`` or ``.parquet`` file.
    form : {"auto", "long", "wide"}
        ``auto`` picks long when the file has the ``indicator`` and ``value`` columns.
    unit, period, indicator, value : str
        Column names (``period=None`` with ``default_period`` for one-period data).
    measure_unit : str, optional
        Long form: column with each row's measurement unit.
    unit_name, groups :
        Columns with unit names and groups (one value per unit), long or wide form; see
        :meth:`Panel.from_wide`. Ignored when ``units`` is given.
    indicators :
        Wide form: see :meth:`Panel.from_wide`.
    units : path or DataFrame, optional
        Unit metadata table with a ``unit`` column (code), ``name`` and group columns; a file
        is read with the same ``sep`` and ``encoding`` as the data.
    sheet : str or int, optional
        Excel sheet.
    sep, decimal, thousands : str
        CSV separator, decimal mark and thousands separator (``sep=';', decimal=','`` for
        European exports; ``thousands=','`` for ``1,234.5``). Ambiguous cells (a dot in a
        decimal-comma file without ``thousands='.'``) are errors, never guesses.
    na_values : sequence of str, optional
        Extra texts that mean "missing" (e.g. ``['..', '-']``); empty cells and the usual markers
        (``NA``, ``n/a``, ``NaN``, ``null``, ``#N/A``) are always missing in value columns, while
        code columns keep them as text (Namibia's code ``NA`` stays ``NA``).
    encoding : str
        Text encoding of CSV files (default UTF-8 with or without BOM; ``gbk`` for files saved
        by Excel on Chinese Windows).
    skip_rows : int
        Rows above the header to skip (title rows in spreadsheets).
    default_period : int, optional
        The period of one-period wide data without a period column.
    rename : mapping of str to str, optional
        Columns renamed before anything else is read (``{co2_per_gdp: co2_int}``), see
        :func:`rename_columns`.
    drop_rows : mapping of str to list, optional
        Rows dropped before anything else is read, by the values of a column
        (``{iso_code: [""]}`` drops the rows without a code), see :func:`drop_table_rows`.
    known_groups : sequence of str
        Group columns a framework declares (COINr iMeta ``Type`` Group), used when a COINr
        ``iData`` table is recognised (:func:`coinr_idata_columns`).

    Returns
    -------
    Panel
        With :attr:`Panel.notes` (what the reader did: columns renamed, rows dropped, a COINr
        table recognised) and :attr:`Panel.removed` (units whose every row was dropped).

    Raises
    ------
    InputError
        Unreadable file, unknown type, wrong encoding, duplicate column names, missing columns,
        duplicate rows, empty codes, non-numeric or ambiguous cells (file, row and column named).
    """
    path = Path(path)
    df, row_offset = read_table(path, sheet, sep, encoding, skip_rows)
    return panel_from_table(
        df, row_offset, path, form=form, unit=unit, period=period, indicator=indicator,
        value=value, measure_unit=measure_unit, unit_name=unit_name, groups=groups,
        indicators=indicators, units=units, sep=sep, encoding=encoding, decimal=decimal,
        thousands=thousands, na_values=na_values, default_period=default_period, rename=rename,
        drop_rows=drop_rows, known_groups=known_groups)


def read_unit_meta(units: str | Path | pd.DataFrame | None, sep: str | None = None,
                   encoding: str = "utf-8-sig") -> pd.DataFrame | None:
    """The unit metadata of :func:`read_panel` (``units``: a file or a DataFrame with a
    ``unit`` column), indexed by unit code; ``None`` stays ``None``.

    Raises
    ------
    InputError
        The file is missing or has no ``unit`` column; empty, look-alike or duplicate codes.
    """
    if units is None:
        return None
    if isinstance(units, pd.DataFrame):
        unit_meta = units
    else:
        upath = Path(units)
        if not upath.is_file():
            raise InputError(
                f"unit metadata file {units!r} not found",
                ["data.units is a file of unit metadata (columns unit, name, groups); to "
                 "name the column of unit codes use unit: <column>"],
            )
        unit_meta, meta_rows = read_table(upath, sep=sep, encoding=encoding)
        if "unit" not in unit_meta.columns:
            raise InputError(f"unit metadata {units} needs a 'unit' column",
                             [f"found {list(unit_meta.columns)}"])
        unit_meta = unit_meta.copy()
        unit_meta["unit"] = as_codes(unit_meta["unit"], "unit", str(upath), meta_rows)
        check_unit_codes(unit_meta["unit"], "unit", str(upath), meta_rows)
        _check_codes(unit_meta["unit"], "unit", str(upath))
        dups = unit_meta["unit"][unit_meta["unit"].duplicated()].unique().tolist()
        if dups:
            raise InputError(f"duplicate unit codes in unit metadata {upath}: {dups}",
                             ["give each unit one row"])
        for col in unit_meta.columns:
            if col != "unit":
                unit_meta[col] = _labels(unit_meta[col])
    if "unit" not in unit_meta.columns:
        raise InputError("unit metadata needs a 'unit' column",
                         [f"found {list(unit_meta.columns)}"])
    return unit_meta.set_index("unit")


def panel_from_table(
    df: pd.DataFrame,
    row_offset: RowNumbers,
    path: str | Path,
    *,
    form: str = "auto",
    unit: str = "unit",
    period: str | None = "period",
    indicator: str = "indicator",
    value: str = "value",
    measure_unit: str | None = None,
    unit_name: str | None = None,
    groups: Sequence[str] = (),
    indicators: Sequence[str] | None = None,
    units: str | Path | pd.DataFrame | None = None,
    sep: str | None = None,
    encoding: str = "utf-8-sig",
    decimal: str = ".",
    thousands: str | None = None,
    na_values: Sequence[str] | None = None,
    default_period: int | None = None,
    rename: Mapping[str, str] | None = None,
    drop_rows: Mapping[str, Sequence[Any]] | None = None,
    known_groups: Sequence[str] = (),
) -> Panel:
    """The panel of a table as read by :func:`read_table` (``row_offset``: the file row of
    each row), with :func:`read_panel`'s options (``units``: a file or a table with a
    ``unit`` column, :func:`read_unit_meta`). A build chunked over units reads each block's
    rows of a file with this function, so every rule of the reader is the same.

    Raises
    ------
    InputError
        As :func:`read_panel`.
    """
    path = Path(path)
    notes: list[str] = []
    removed: list[dict[str, Any]] = []
    if rename:
        df = rename_columns(df, rename, str(path))
        notes.append("columns renamed (data.rename): "
                     + ", ".join(f"{a} -> {b}" for a, b in rename.items()))
    if drop_rows:
        df, row_offset, note, removed = drop_table_rows(
            df, row_offset, drop_rows, str(path), unit=unit, unit_name=unit_name)
        notes.append(note)
    if form in ("auto", "wide"):
        coinr = coinr_idata_columns(list(df.columns), unit=unit, period=period,
                                    unit_name=unit_name, groups=groups,
                                    known_groups=known_groups)
        if coinr is not None:
            unit, period, unit_name, groups, note = coinr
            form = "wide"
            notes.append(note)
    fmt = NumberFormat(decimal=decimal, thousands=thousands, na_values=tuple(na_values or ()))
    unit_meta = read_unit_meta(units, sep, encoding)
    if form == "auto":
        form = "long" if {indicator, value} <= set(df.columns) else "wide"
    if form == "long":
        panel = Panel.from_long(df, unit=unit, period=period or "period", indicator=indicator,
                                value=value, measure_unit=measure_unit, units=unit_meta,
                                origin=str(path), row_offset=row_offset, number_format=fmt,
                                unit_name=unit_name, groups=groups)
    elif form == "wide":
        panel = Panel.from_wide(df, unit=unit, period=period, indicators=indicators,
                                unit_name=unit_name, groups=groups, units=unit_meta,
                                default_period=default_period, origin=str(path),
                                row_offset=row_offset, number_format=fmt)
    else:
        raise InputError(f"form must be 'auto', 'long' or 'wide', got {form!r}")
    panel.notes, panel.removed = notes, removed
    if suffix_is_parquet(path):
        del df
        release_arrow_memory()
    return panel


def suffix_is_parquet(path: Path) -> bool:
    return Path(path).suffix.lower() in (".parquet", ".pq")


def release_arrow_memory() -> None:
    """Hand the memory Arrow kept for reuse after reading a big Parquet file back to the
    system (its allocator keeps freed blocks: a 100,000-unit panel left almost a gigabyte
    resident that the build then could not use)."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - Parquet needs pyarrow
        return
    pa.default_memory_pool().release_unused()


# ---------------------------------------------------------------------- data selection
# The recipe's data section can rename columns and drop rows before a table is read as a
# panel (rename_columns, drop_table_rows), and a COINr iData table is recognised by its
# columns (coinr_idata_columns). Units are selected after reading (gipro.dataspec).


def rename_columns(df: pd.DataFrame, rename: Mapping[str, str], origin: str | None = None
                   ) -> pd.DataFrame:
    """The table with columns renamed (``{old: new}``).

    Raises
    ------
    InputError
        A column to rename is not in the table (with near matches), or a new name is already
        a column's or given twice.

    Examples
    --------
    >>> rename_columns(pd.DataFrame({"a": [1], "b": [2]}), {"a": "x"}).columns.tolist()
    ['x', 'b']
    """
    cols = [str(c) for c in df.columns]
    problems = []
    missing = [old for old in rename if old not in cols]
    if missing:
        problems.append(f"columns to rename not in the file: {missing}")
        problems += _near_columns(missing, cols)
    new = list(rename.values())
    kept = [c for c in cols if c not in rename]
    clash = sorted({n for n in new if n in kept or new.count(n) > 1})
    if clash:
        problems.append(f"renaming would give two columns the name {', '.join(map(repr, clash))}")
    if problems:
        raise InputError(f"cannot rename columns{_where(origin)} (data.rename)",
                         [*problems, f"columns: {', '.join(cols)}"])
    return df.rename(columns=dict(rename))


def _cell_key(v: Any) -> str:
    """A cell as text for matching ``drop_rows`` values: blanks are ``""``, whole numbers
    lose ``.0`` (an Excel 2020.0 matches 2020)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def drop_table_rows(
    df: pd.DataFrame, rows: RowNumbers, drop: Mapping[str, Sequence[Any]],
    origin: str | None = None, *, unit: str = "unit", unit_name: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray, str, list[dict[str, Any]]]:
    """Drop the rows whose column holds one of the given values (aggregate rows such as
    ``World`` or ``全国``, or rows without a code: ``""``), before the table is read.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read (:func:`read_table`).
    rows : int or ndarray of int
        File row numbers (see :func:`read_table`).
    drop : mapping of column to list of values
        A row is dropped when any listed column holds one of its values (compared as text,
        spaces stripped; ``""`` or ``None`` = an empty cell; ``2020`` matches ``2020.0``).
    unit, unit_name : str
        Columns of unit codes and names, to name the units removed.

    Returns
    -------
    (DataFrame, ndarray, str, list of dict)
        The kept rows, their file rows, a note for the log (how many rows, which values) and
        the units whose every row was dropped (``unit``, ``reason``), for ``exclusions.csv``.
        A unit without a code is named by its ``unit_name`` cell, else ``(no code)``.

    Raises
    ------
    InputError
        A column not in the table (with near matches).

    Examples
    --------
    >>> t = pd.DataFrame({"iso": ["CHN", "", "IND"], "country": ["China", "World", "India"]})
    >>> kept, _, note, removed = drop_table_rows(t, 2, {"iso": [""]}, unit="iso",
    ...                                          unit_name="country")
    >>> kept["iso"].tolist(), note, removed[0]["unit"]
    (['CHN', 'IND'], '1 row dropped (data.drop_rows: iso empty): World', 'World')
    """
    cols = [str(c) for c in df.columns]
    missing = [c for c in drop if c not in cols]
    if missing:
        raise InputError(f"data.drop_rows names columns not in the file{_where(origin)}: "
                         f"{missing}", [*_near_columns(missing, cols),
                                        f"columns: {', '.join(cols)}"])
    file_rows = (np.asarray(rows) if isinstance(rows, np.ndarray)
                 else np.arange(len(df)) + rows)
    hit = np.zeros(len(df), dtype=bool)
    said = []
    for col, values in drop.items():
        wanted = {_cell_key(v) for v in values}
        cells = df[col].map(_cell_key)
        hit |= cells.isin(wanted).to_numpy()
        said.append(f"{col} " + ", ".join("empty" if v == "" else v for v in sorted(wanted)))
    codes = df[unit].map(_cell_key) if unit in cols else pd.Series([""] * len(df))
    names = (df[unit_name].map(_cell_key) if unit_name and unit_name in cols
             else pd.Series([""] * len(df)))
    label = [c or n or "(no code)" for c, n in zip(codes, names, strict=True)]
    dropped = list(dict.fromkeys(lab for lab, h in zip(label, hit, strict=True) if h))
    kept_labels = {lab for lab, h in zip(label, hit, strict=True) if not h}
    gone = [lab for lab in dropped if lab not in kept_labels]
    n = int(hit.sum())
    shown = ", ".join(dropped[:_MAX_LISTED]) + (
        f" and {len(dropped) - _MAX_LISTED} more" if len(dropped) > _MAX_LISTED else "")
    note = (f"{n} row{'s' if n != 1 else ''} dropped (data.drop_rows: {'; '.join(said)})"
            + (f": {shown}" if n else ""))
    removed = []
    for lab in gone:
        where = file_rows[np.array(label, dtype=object) == lab]
        removed.append({"unit": lab, "reason": (
            f"rows dropped by data.drop_rows ({'; '.join(said)}): file row"
            f"{'s' if len(where) > 1 else ''} {_row_spans(where)}")})
    return (df.loc[~hit].reset_index(drop=True), file_rows[~hit], note, removed)


def _row_spans(rows: np.ndarray) -> str:
    """``"5-7, 12"`` for rows 5, 6, 7, 12."""
    out, start, prev = [], None, None
    for r in sorted(int(x) for x in rows):
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            out.append(f"{start}-{prev}" if prev != start else str(start))
            start = prev = r
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else str(start))
    return ", ".join(out)


#: COINr's iData columns (Becker et al. 2022, COINr ``check_iData``): unit codes, names and
#: periods; group columns end in ``_group`` in COINr's examples.
COINR_IDATA = {"unit": "uCode", "unit_name": "uName", "period": "Time"}


def coinr_idata_columns(
    columns: Sequence[str], *, unit: str, period: str | None, unit_name: str | None,
    groups: Sequence[str], known_groups: Sequence[str] = (),
) -> tuple[str, str | None, str | None, list[str], str] | None:
    """The reader options of a COINr ``iData`` table, when the table is one.

    A table is read as COINr's ``iData`` when it has a ``uCode`` column and neither the
    recipe's unit column nor a ``unit`` column: units are ``uCode``, names ``uName`` and
    periods ``Time`` (each unless set in the recipe); groups are the recipe's ``groups``,
    else the framework's group variables (iMeta ``Type`` Group) in the table, else the
    columns ending in ``_group``. Every other column is a variable: indicators and
    denominators (which the ``denominate`` step finds among the data's variables).

    Returns
    -------
    tuple or None
        ``(unit, period, unit_name, groups, note)``, or ``None`` for another table.

    Examples
    --------
    >>> cols = ["uName", "uCode", "EurAsia_group", "Time", "GDP", "LPI"]
    >>> coinr_idata_columns(cols, unit="unit", period="period", unit_name=None, groups=[])[:4]
    ('uCode', 'Time', 'uName', ['EurAsia_group'])
    """
    cols = [str(c) for c in columns]
    if COINR_IDATA["unit"] not in cols or unit in cols:
        return None
    if unit != "unit":  # the recipe names another unit column, absent: its own error follows
        return None
    period_col = period
    if period == "period" and "period" not in cols:
        period_col = COINR_IDATA["period"] if COINR_IDATA["period"] in cols else None
    name_col = unit_name if unit_name else (
        COINR_IDATA["unit_name"] if COINR_IDATA["unit_name"] in cols else None)
    group_cols = list(groups) or [g for g in known_groups if g in cols] or [
        c for c in cols if c.endswith("_group")]
    note = (f"read as a COINr iData table: units {COINR_IDATA['unit']}"
            + (f", names {name_col}" if name_col else "")
            + (f", periods {period_col}" if period_col else "")
            + (f", groups {', '.join(group_cols)}" if group_cols else ""))
    return COINR_IDATA["unit"], period_col, name_col, group_cols, note
