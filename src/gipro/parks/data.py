"""Park data: indicator values by park and year, park attributes, and their provenance.

One :class:`ParkData` feeds every park framework and the park26 index: its indicators are
codes of the park indicator catalogue (:func:`gipro.parks.load_catalogue`), in the catalogue's
units. Values are read in long form (``park, year, indicator, value`` and optionally ``unit``)
or wide form (``park, year`` and one column per indicator). Numbers are numbers, yes/no
indicators accept ``yes/no, true/false, 1/0, present/absent, 是/否, 具备/不具备``, categories
must be one of the catalogue's levels. Missing cells are missing -- never zero, never "no".

Park attributes (one row per park: ``park, name, region, park_type, water_scarce, data_status``)
select context-specific thresholds. ``data_status`` says whether the data are real or
``SYNTHETIC``; it is carried into every output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..panel import NumberFormat, Panel, RowNumbers, as_codes, to_numeric
from ..suggest import code_clashes, code_fixes, near_match
from .flags import FALSE_WORDS, FLAG_HINT, TRUE_WORDS, flag_value
from .model import load_catalogue

__all__ = ["FILE_ROW", "SYNTHETIC", "USER_DATA", "ParkData", "out_of_range", "park_codes",
           "park_table", "parse_flag", "parse_numbers"]

SYNTHETIC = "SYNTHETIC"
USER_DATA = "user data"

_MAX_LISTED = 12


def parse_flag(values: pd.Series, what: str = "flag") -> pd.Series:
    """Yes/no values as float 1.0/0.0, missing as NaN.

    Raises
    ------
    InputError
        Naming the first values that are neither yes nor no.

    Examples
    --------
    >>> parse_flag(pd.Series(["yes", "否", None, 1, True])).tolist()
    [1.0, 0.0, nan, 1.0, 1.0]
    """
    s = pd.Series(values, copy=False)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    lookup = np.full(len(uniques) + 1, np.nan)  # last slot: missing (code -1)
    bad = []
    for k, u in enumerate(uniques):
        try:
            lookup[k] = flag_value(u)
        except ValueError:
            bad.append(str(u))
    if bad:
        raise InputError(f"{what}: values that are neither yes nor no: {sorted(bad)[:_MAX_LISTED]}",
                         [FLAG_HINT])
    return pd.Series(lookup[codes], index=s.index, dtype=float)


def _fold(text: str) -> str:
    return " ".join(str(text).lower().split())


@dataclass
class ParkData:
    """Park indicators by park and year, with park attributes.

    Attributes
    ----------
    values : pandas.DataFrame
        Long table ``park, year, indicator, value, level``: ``value`` is float (numbers; yes/no
        as 1.0/0.0), ``level`` the category level (categories only). One row per observed
        value; unobserved values have no row (missing, never zero).
    parks : pandas.DataFrame
        Index ``park``; columns ``name``, ``data_status`` and any context attributes
        (``region``, ``park_type``, ``water_scarce``...).
    coverage : pandas.DataFrame or None
        From the enterprise roll-up: ``park, year, indicator, coverage, n_reporting,
        n_enterprises`` (see :func:`gipro.parks.rollup`).
    notes : list of str
        Policies applied while assembling the data.
    origin : str or None
        Where the data came from (used in messages).
    """

    values: pd.DataFrame
    parks: pd.DataFrame
    coverage: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    origin: str | None = None
    observed: pd.DataFrame | None = None

    @property
    def park_years(self) -> pd.DataFrame:
        """Every (park, year) of the input, including those whose values are all missing."""
        py = self.values[["park", "year"]]
        if self.observed is not None:
            py = pd.concat([py, self.observed[["park", "year"]]])
        return py.drop_duplicates().sort_values(["park", "year"], ignore_index=True)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        *,
        parks: pd.DataFrame | None = None,
        crosswalk: Mapping[str, str] | None = None,
        origin: str | None = None,
        unknown: str = "error",
        number_format: NumberFormat | None = None,
        row_offset: RowNumbers = 2,
        strip_codes: bool = False,
    ) -> ParkData:
        """Park data from a long table ``park, year, indicator, value`` (optional ``unit``).

        Parameters
        ----------
        df : pandas.DataFrame
        parks : pandas.DataFrame, optional
            Park attributes with a ``park`` column (or index).
        crosswalk : mapping, optional
            Your indicator names -> catalogue codes (e.g. ``{"COD_per_IVA": ...}``).
        unknown : {"error", "ignore"}
            What to do with indicators that are not in the catalogue (after ``crosswalk``):
            an error naming them, or leave them out with a note in :attr:`notes`.
        number_format : gipro.panel.NumberFormat, optional
            How numbers written as text are parsed: decimal mark, thousands separator, extra
            missing markers (default: decimal point, no thousands separator). Ambiguous
            cells are errors, never guesses (the panel reader's rules).
        row_offset : int or ndarray of int
            File row number of each row of ``df`` for messages (an array), or the number added
            to the 0-based position (default 2: one header line).
        strip_codes : bool
            Strip spaces around park codes. By default a park code with leading or trailing
            spaces is an error naming its rows (``"A "`` and ``"A"`` would otherwise be
            two parks, or silently one).

        Raises
        ------
        InputError
            Missing columns, empty park codes or codes with surrounding spaces (rows named),
            duplicate (park, year, indicator) rows, unknown indicators (with near matches),
            unit mismatches with the catalogue, non-numeric numbers, yes/no values that are
            neither, category values that are not a level.

        Examples
        --------
        >>> d = ParkData.from_long(pd.DataFrame({
        ...     "park": ["A", "A", "B"], "year": [2020, 2020, 2020],
        ...     "indicator": ["water_per_iva", "central_wwtp", "water_per_iva"],
        ...     "value": ["7.5", "yes", None]}))
        >>> d.values[["park", "indicator", "value"]].values.tolist()
        [['A', 'central_wwtp', 1.0], ['A', 'water_per_iva', 7.5]]
        >>> d.park_codes                      # B has no value but is not dropped
        ['A', 'B']
        """
        need = {"park", "year", "indicator", "value"}
        missing = need - set(df.columns)
        if missing:
            raise InputError(f"park data{_where(origin)} lack columns {sorted(missing)}",
                             [f"found {list(df.columns)}; long form needs park, year, "
                              "indicator, value"])
        cat = load_catalogue()
        fmt = number_format or NumberFormat()
        df = df.reset_index(drop=True)
        df[FILE_ROW] = (np.asarray(row_offset, dtype=np.int64)
                    if isinstance(row_offset, np.ndarray) else np.arange(len(df)) + row_offset)
        df["indicator"] = df["indicator"].astype(str).str.strip()
        if crosswalk:
            df["indicator"] = df["indicator"].map(lambda c: crosswalk.get(c, c))
        known = set(cat.codes)
        bad = sorted(set(df["indicator"]) - known)
        if bad and unknown == "error":
            folded = {_fold(c).replace(" ", "_"): c for c in known}
            details = []
            for b in bad[:_MAX_LISTED]:
                near = folded.get(_fold(b).replace(" ", "_").replace("-", "_"))
                details.append(f"{b!r}" + (f" (did you mean {near!r}?)" if near else ""))
            details.append("map your names with crosswalk={'your name': 'catalogue code'} "
                           "(gipro assess: --crosswalk 'your name=catalogue code'), or leave "
                           "them out with unknown='ignore' (gipro assess: --ignore-unknown); "
                           "codes: gipro.parks.load_catalogue().table()")
            raise InputError(f"indicators not in the park indicator catalogue{_where(origin)}",
                             details)
        notes = []
        if bad:  # unknown == "ignore": left out, and said so (README.txt, summaries)
            shown = ", ".join(bad[:_MAX_LISTED]) + (f" and {len(bad) - _MAX_LISTED} more"
                                                    if len(bad) > _MAX_LISTED else "")
            notes.append(f"left out {len(bad)} indicator(s) not in the park indicator "
                         f"catalogue{_where(origin)}: {shown}")
        df = df[df["indicator"].isin(known)]
        df["park"] = park_codes(df["park"], f"park data{_where(origin)}", df[FILE_ROW].to_numpy(),
                                strip=strip_codes)
        year = pd.to_numeric(df["year"], errors="coerce")
        bad_year = year.isna() | (year != np.floor(year)) | ~year.between(1000, 9999)
        if bad_year.any():
            rows = df.loc[bad_year, FILE_ROW].head(5).tolist()
            raise InputError(f"park data{_where(origin)}: year must be a whole number (a "
                             f"calendar year) (rows {rows})")
        df["year"] = year.astype(np.int64)
        dup = df.duplicated(["park", "year", "indicator"], keep=False)
        if dup.any():
            groups = df[dup].groupby(["park", "year", "indicator"], sort=False)[FILE_ROW]
            raise InputError(f"duplicate (park, year, indicator) rows{_where(origin)}",
                             [f"{p}, {y}, {i}: rows {', '.join(map(str, r))}"
                              for (p, y, i), r in list(groups)[:_MAX_LISTED]])
        if "unit" in df.columns:
            units = df[["indicator", "unit"]].dropna().drop_duplicates()
            wrong = [f"{r.indicator}: data say {r.unit!r}, the catalogue needs "
                     f"{cat.get(r.indicator).unit!r}"
                     for r in units.itertuples()
                     if _fold(r.unit) != _fold(cat.get(r.indicator).unit)]
            if wrong:
                raise InputError(f"unit mismatch{_where(origin)}: convert these indicators to "
                                 "the catalogue's units", wrong[:_MAX_LISTED])
        all_parks = df["park"].copy()
        observed = df[["park", "year"]].drop_duplicates().reset_index(drop=True)
        raw = df["value"]
        present = raw.notna() & (raw.astype(str).str.strip() != "")
        df = df[present]
        kinds = df["indicator"].map({i.code: i.kind for i in cat.indicators})
        value = pd.Series(np.nan, index=df.index, dtype=float)
        level = pd.Series(None, index=df.index, dtype=object)
        num = kinds == "number"
        if num.any():
            parsed = _numbers(df.loc[num], fmt, origin)
            outside = out_of_range(df.loc[num, "indicator"].to_numpy(dtype=object), parsed)
            if outside.any():
                shown = df.loc[num][outside].head(_MAX_LISTED)
                raise InputError(
                    f"values outside what the indicator can take{_where(origin)}",
                    [f"{r.park}, {r.year}, {r.indicator}: {v:g} (row {row}; possible: "
                     f"{cat.get(r.indicator).range_text()})" for r, v, row in zip(
                         shown.itertuples(), parsed[outside][:_MAX_LISTED], shown[FILE_ROW],
                         strict=False)]
                    + ["check the value and its unit (a share in %, not a fraction; a "
                       "reduction as a positive %)"])
            value[num] = parsed
        flag = kinds == "boolean"
        if flag.any():
            value[flag] = parse_flag(df.loc[flag, "value"],
                                     f"yes/no indicators{_where(origin)}")
        catg = kinds == "category"
        if catg.any():
            levels = {i.code: {_fold(v): v for v in i.levels or []}
                      for i in cat.indicators if i.kind == "category"}
            mapped = [levels[ind].get(_fold(v)) for ind, v in
                      zip(df.loc[catg, "indicator"], df.loc[catg, "value"], strict=True)]
            bad_rows = [i for i, m in zip(df.index[catg], mapped, strict=True) if m is None]
            if bad_rows:
                rows = df.loc[bad_rows].head(_MAX_LISTED)
                raise InputError(
                    f"category values that are not a level{_where(origin)}",
                    [f"{r.park}, {r.year}, {r.indicator}: {r.value!r} (levels: "
                     f"{list(levels[r.indicator].values())})" for r in rows.itertuples()])
            level[catg] = mapped
        values = pd.DataFrame({"park": df["park"].to_numpy(), "year": df["year"].to_numpy(),
                               "indicator": df["indicator"].to_numpy(),
                               "value": value.to_numpy(), "level": level.to_numpy()})
        values = values.sort_values(["park", "year", "indicator"], ignore_index=True)
        # every park of the input stays, even one whose values are all missing
        # numbers given as a missing marker (na_values) are missing: no row, never a NaN value
        values = values[values["value"].notna() | values["level"].notna()]
        values = values.reset_index(drop=True)
        return cls(values, park_table(parks, all_parks, strip_codes=strip_codes,
                                       require_listed=parks is not None, origin=origin),
                   notes=notes, origin=origin, observed=observed)

    @classmethod
    def from_wide(cls, df: pd.DataFrame, *, parks: pd.DataFrame | None = None,
                  crosswalk: Mapping[str, str] | None = None, origin: str | None = None,
                  unknown: str = "error", number_format: NumberFormat | None = None,
                  row_offset: RowNumbers = 2, strip_codes: bool = False) -> ParkData:
        """Park data from a wide table (``park, year`` and one column per indicator).

        Parameters are those of :meth:`from_long`; ``row_offset`` refers to the rows of
        ``df``.

        Raises
        ------
        InputError
            As :meth:`from_long`.
        """
        missing = {"park", "year"} - set(df.columns)
        if missing:
            raise InputError(f"park data{_where(origin)} lack columns {sorted(missing)}")
        extra = [c for c in ("data_status",) if c in df.columns]
        df = df.drop(columns=extra).reset_index(drop=True)
        rows = (np.asarray(row_offset, dtype=np.int64) if isinstance(row_offset, np.ndarray)
                else np.arange(len(df), dtype=np.int64) + row_offset)
        long = df.melt(id_vars=["park", "year"], var_name="indicator", value_name="value")
        long = long.astype({"value": object})
        n_cols = len(df.columns) - 2  # melt stacks the indicator columns one after another
        return cls.from_long(long, parks=parks, crosswalk=crosswalk, origin=origin,
                             unknown=unknown, number_format=number_format,
                             row_offset=np.tile(rows, n_cols), strip_codes=strip_codes)

    def combine(self, other: ParkData, note: str | None = None) -> ParkData:
        """These values plus those of ``other`` for (park, year, indicator) not already here.

        Values of ``self`` take precedence; the indicators where ``other`` was overridden are
        recorded in :attr:`notes`.
        """
        key = ["park", "year", "indicator"]
        both = self.values.merge(other.values[key], on=key)
        notes = list(self.notes) + list(other.notes)
        if len(both):
            inds = sorted(set(both["indicator"]))
            notes.append(f"{len(both)} values given both as park records and by the enterprise "
                         f"roll-up; the park records were used ({', '.join(inds)})")
        if note:
            notes.append(note)
        merged = pd.concat([self.values, other.values.merge(
            both[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")
            .drop(columns="_merge")], ignore_index=True)
        merged = merged.sort_values(key, ignore_index=True)
        parks = self.parks.combine_first(other.parks)
        cov = other.coverage if self.coverage is None else self.coverage
        observed = pd.concat([self.park_years, other.park_years]).drop_duplicates()
        return ParkData(merged, parks, cov, notes, self.origin, observed)

    # ------------------------------------------------------------------ access
    @property
    def park_codes(self) -> list[str]:
        return self.parks.index.to_list()

    @property
    def years(self) -> list[int]:
        return sorted(set(self.park_years["year"].tolist()))

    @property
    def indicators(self) -> list[str]:
        return sorted(set(self.values["indicator"]))

    @property
    def synthetic(self) -> bool:
        """True when any park is labelled ``SYNTHETIC``."""
        return bool((self.parks["data_status"] == SYNTHETIC).any())

    def wide(self) -> pd.DataFrame:
        """Wide table: one row per park and year, one column per indicator.

        Numbers as floats, yes/no as ``yes``/``no``, categories as their level.
        """
        v = self.values.copy()
        cat = load_catalogue()
        kind = v["indicator"].map({i.code: i.kind for i in cat.indicators})
        shown = v["value"].astype(object)
        shown[kind == "boolean"] = v.loc[kind == "boolean", "value"].map({1.0: "yes", 0.0: "no"})
        shown[kind == "category"] = v.loc[kind == "category", "level"]
        v["shown"] = shown
        out = v.pivot(index=["park", "year"], columns="indicator", values="shown")
        out.columns.name = None
        out = out.reset_index()
        out.insert(2, "data_status", out["park"].map(self.parks["data_status"]))
        return out

    def panel(self, indicators: list[str] | None = None) -> Panel:
        """The numeric indicators as a :class:`~gipro.panel.Panel` (unit = park, period = year).

        Units come from the catalogue; park attributes become the panel's unit metadata.
        """
        cat = load_catalogue()
        num = [c for c in (indicators or self.indicators) if cat.get(c).kind == "number"]
        v = self.values[self.values["indicator"].isin(num)]
        wide = v.pivot(index=["park", "year"], columns="indicator", values="value")
        wide = wide.reindex(columns=num)
        wide.columns.name = None
        wide.index = wide.index.set_names(["unit", "period"])
        units = self.parks.copy()
        units.index.name = "unit"
        return Panel(wide, units=units, indicator_units={c: cat.get(c).unit for c in num},
                     origin=self.origin)

    def data_status(self) -> pd.Series:
        """``data_status`` of each park (``SYNTHETIC`` or ``user data``)."""
        return self.parks["data_status"]

    def __repr__(self) -> str:
        y = self.years
        span = f"{y[0]}-{y[-1]}" if y else "no years"
        tag = f", {SYNTHETIC}" if self.synthetic else ""
        return (f"ParkData({len(self.park_codes)} parks x {span}, {len(self.indicators)} "
                f"indicators, {len(self.values)} values{tag})")


def out_of_range(indicators: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which values lie outside what their indicator can take (the catalogue's ``minimum``
    and ``maximum``); NaN is never outside.

    Parameters
    ----------
    indicators : ndarray of str, shape (n,)
        Catalogue codes.
    values : ndarray of float, shape (n,)

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> out_of_range(np.array(["green_cover_pct", "green_cover_pct", "energy_elasticity"]),
    ...              np.array([101.0, 40.0, -3.0])).tolist()
    [True, False, False]
    """
    cat = load_catalogue()
    bounds = {i.code: (-np.inf if i.minimum is None else i.minimum,
                       np.inf if i.maximum is None else i.maximum) for i in cat.indicators}
    lo = np.array([bounds[c][0] for c in indicators], dtype=float)
    hi = np.array([bounds[c][1] for c in indicators], dtype=float)
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return (v < lo) | (v > hi)


def _where(origin: str | None) -> str:
    return f" in {origin}" if origin else ""


def _numbers(df: pd.DataFrame, fmt: NumberFormat, origin: str | None) -> np.ndarray:
    """The ``value`` cells of numeric indicators as floats, parsed by the panel reader's
    parser with ``fmt`` (decimal mark, thousands separator, missing markers: NaN). A cell that
    is not a finite number is an error naming park, year, indicator and file row, with a
    hint for each kind of bad cell (:func:`number_hints`)."""
    rows = df[FILE_ROW].to_numpy()
    try:
        x = to_numeric(df["value"], "value", origin, rows, fmt).to_numpy(dtype=float)
        bad = np.isinf(x)
    except InputError:
        bad = np.zeros(len(df), dtype=bool)
        verdict: dict[Any, bool] = {}
        for k, v in enumerate(df["value"].to_numpy(dtype=object)):
            key = (type(v).__name__, str(v))
            if key not in verdict:
                try:
                    y = to_numeric(pd.Series([v], dtype=object), "value", origin, 2, fmt)
                    verdict[key] = bool(np.isinf(y.iloc[0]))
                except InputError:
                    verdict[key] = True
            bad[k] = verdict[key]
        x = np.full(len(df), np.nan)
    if bad.any():
        shown = df[bad].head(_MAX_LISTED)
        texts = [str(v) for v in df.loc[bad, "value"].drop_duplicates().head(50)]
        raise InputError(f"non-numeric values of numeric indicators{_where(origin)}",
                         [f"{r.park}, {r.year}, {r.indicator}: {r.value!r} (row {row})"
                          for r, row in zip(shown.itertuples(), shown[FILE_ROW], strict=True)]
                         + number_hints(texts, fmt))
    return x


def number_hints(texts: Sequence[str], fmt: NumberFormat) -> list[str]:
    """How to fix each kind of bad number cell of a park file, with the options of
    :func:`read_park_data` and ``gipro assess`` (the recipe reader's hints, in the words of
    park data).

    Parameters
    ----------
    texts : sequence of str
        The distinct bad cells.
    fmt : NumberFormat
        The number options used.

    Returns
    -------
    list of str
        One hint per kind found (percent sign, decimal comma, dot with a decimal comma,
        space as thousands separator, other text), each naming an example cell.

    Examples
    --------
    >>> for h in number_hints(["96%", "0,32"], NumberFormat()):
    ...     print(h[:50])
    '96%' has a percent sign: write the number without
    '0,32' has a comma: if it is the decimal mark, rea
    """
    import re

    from ..panel import plain_number_text

    kinds: dict[str, str] = {}
    for text in texts:
        plain = plain_number_text(text)
        if plain.endswith("%"):
            kinds.setdefault("pct", f"{text!r} has a percent sign: write the number without "
                             "it, in % as the catalogue (96 for 96 %, not 0.96)")
        elif re.fullmatch(r"[+-]?\d{1,3}( \d{3})+([.,]\d*)?", plain) and fmt.thousands != " ":
            kinds.setdefault("space", f"{text!r} has spaces between digit groups: read the "
                             "file with thousands=' ' (gipro assess --thousands ' ')")
        elif fmt.decimal == "," and "." in plain and fmt.thousands != ".":
            kinds.setdefault("dot", f"{text!r} has a dot but the decimal mark is ',': if the "
                             "dot separates thousands, thousands='.' (--thousands .)")
        elif "," in plain and fmt.decimal == "." and fmt.thousands != ",":
            kinds.setdefault("comma", f"{text!r} has a comma: if it is the decimal mark, read "
                             "the file with decimal=',' (gipro assess --decimal ','; with "
                             "--sep ';' when the columns are separated by ';'); if it "
                             "separates thousands, thousands=',' (--thousands ',')")
        else:
            kinds.setdefault("other", f"{text!r} is not a number: leave missing cells empty "
                             "or list their marker with na_values= (gipro assess --na-value "
                             f"{text!r} if it means missing)")
    return list(kinds.values())


#: Column of a park table holding each row's file row number (for messages).
FILE_ROW = "__file_row__"


def parse_numbers(values: pd.Series, column: str, where: str | None, rows: RowNumbers,
                  fmt: NumberFormat) -> pd.Series:
    """Numbers of a park file written as text, parsed by the panel reader's parser.

    Parameters
    ----------
    values : pandas.Series
        Cells of one column (text, numbers or missing).
    column, where : str
        Column name and file, for messages.
    rows : int or ndarray of int
        File row number of each cell (or the number added to the 0-based position).
    fmt : gipro.panel.NumberFormat
        Decimal mark, thousands separator, extra missing markers.

    Returns
    -------
    pandas.Series of float
        Missing cells (and ``fmt.na_values``) are NaN, never 0.

    Raises
    ------
    InputError
        Naming the cells that are not numbers.
    """
    return to_numeric(values, column, where, rows, fmt)


def _check_parks(park: pd.Series, what: str, rows: np.ndarray | None = None) -> None:
    """Empty park codes are errors naming the rows (never a park called 'nan'); so are codes
    with surrounding spaces (see :func:`park_codes`). ``rows``: file row of each element
    (default: index label + 2)."""
    park_codes(park, what, rows)


def park_codes(park: pd.Series, what: str, rows: np.ndarray | None = None, *,
               strip: bool = False) -> pd.Series:
    """Park codes as text, checked.

    Codes are kept as written (whole numbers from a spreadsheet lose ``.0``, as unit codes
    do in :mod:`gipro.panel`). An empty code is an error naming its rows. A code with
    leading or trailing spaces is an error naming its rows, as a unit code is in panel data
    -- ``"PARK-A "`` and ``"PARK-A"`` would otherwise be two parks or silently one -- unless
    ``strip=True`` asks for stripping.

    Parameters
    ----------
    park : pandas.Series
    what : str
        What the codes are, for messages (e.g. ``"park data in parks.csv"``).
    rows : ndarray of int, optional
        File row number of each element (default: the index label + 2).
    strip : bool

    Raises
    ------
    InputError

    Examples
    --------
    >>> park_codes(pd.Series(["A", 7.0]), "t").tolist()
    ['A', '7']
    >>> park_codes(pd.Series(["A", " B"]), "t", strip=True).tolist()
    ['A', 'B']
    """
    rows = (np.asarray(rows) if rows is not None else
            np.array([int(i) + 2 if isinstance(i, (int, np.integer)) else -1
                      for i in park.index]))
    if (pd.api.types.infer_dtype(park, skipna=True) == "string"
            and not park.isna().any()):  # CSV: text already
        text = pd.Series(park.to_numpy(dtype=object), index=park.index, dtype=object)
    else:  # numbers from a spreadsheet, missing cells
        text = as_codes(park.astype(object), "park", None, 2, required=False).astype(object)
    empty = (text.str.strip() == "").to_numpy()
    if empty.any():
        listed = rows[empty][:_MAX_LISTED].tolist()
        raise InputError(f"{what}: empty park code in rows {listed}",
                         ["every row needs its park's code; delete the rows or fill it in"])
    padded = (text != text.str.strip()).to_numpy()
    if padded.any() and strip:
        text = text.str.strip()
        padded = np.zeros(len(text), dtype=bool)
    clashes = code_clashes(text.tolist(), rows.tolist(), what="park")
    if clashes:
        raise InputError(f"{what}: park codes that look alike but differ",
                         [*clashes, *code_fixes(clashes)])
    if padded.any():
        shown = [f"row {r}: {c!r}" for r, c in zip(rows[padded][:_MAX_LISTED],
                                                    text[padded][:_MAX_LISTED], strict=True)]
        more = int(padded.sum()) - len(shown)
        raise InputError(
            f"{what}: park codes with leading or trailing spaces in {int(padded.sum())} rows",
            [*shown, *([f"... and {more} more"] if more > 0 else []),
             "remove the spaces, or ask for them to be stripped (strip_codes=True; gipro "
             "assess --strip-codes)"])
    return text


def park_table(parks: pd.DataFrame | None, codes: pd.Series, *,
                strip_codes: bool = False, require_listed: bool = False,
                origin: str | None = None) -> pd.DataFrame:
    """Park attributes indexed by park, with a row for every park in the data.

    With ``require_listed`` (a park table given by the user), a park of the data that it
    does not list is an error naming the parks (with the listed code it differs from only
    in case, width or punctuation), as a unit of panel data missing from the unit metadata
    is: ``park-s`` in the data and ``PARK-S`` in ``parks.csv`` would otherwise be two parks,
    one without attributes.
    """
    if parks is None:
        table = pd.DataFrame(index=pd.Index([], name="park"))
    else:
        table = parks.copy()
        rows = table.pop(FILE_ROW).to_numpy() if FILE_ROW in table.columns else None
        if "park" in table.columns:
            table["park"] = park_codes(table["park"], "park attributes", rows,
                                       strip=strip_codes)
            if table["park"].duplicated().any():
                raise InputError("park attributes: duplicate parks "
                                 f"{sorted(set(table['park'][table['park'].duplicated()]))}")
            table = table.set_index("park")
        else:  # codes on the index
            table.index = pd.Index(park_codes(pd.Series(table.index, dtype=object),
                                              "park attributes", strip=strip_codes),
                                   name="park")
        table.index = table.index.astype(str)
        table.index.name = "park"
    extra = [p for p in dict.fromkeys(codes) if p not in table.index]
    if extra and require_listed:
        hints = []
        for p in extra[:_MAX_LISTED]:
            hit = near_match(p, table.index)
            if hit is not None:
                hints.append(f"{p!r} differs from {hit[0]!r} only in case, width, spaces or "
                             "punctuation" if hit[1] == "fold" else f"{p!r}: did you mean "
                             f"{hit[0]!r}?")
        raise InputError(
            f"parks in the data{_where(origin)} but not in the park attributes (parks.csv): "
            + ", ".join(repr(p) for p in extra[:_MAX_LISTED])
            + (f" and {len(extra) - _MAX_LISTED} more" if len(extra) > _MAX_LISTED else ""),
            [*hints, "write each park's code as in the park attributes, or add a row for the "
             "park there"])
    if extra:
        table = pd.concat([table, pd.DataFrame(index=pd.Index(extra, name="park"))])
    if "name" not in table.columns:
        table["name"] = table.index
    table["name"] = table["name"].fillna(pd.Series(table.index, index=table.index))
    if "data_status" not in table.columns:
        table["data_status"] = USER_DATA
    table["data_status"] = table["data_status"].fillna(USER_DATA).astype(str)
    for col in table.columns:
        if col in ("name", "data_status"):
            continue
        s = table[col]
        text = s.dropna().map(lambda v: str(v).strip().lower())
        text = text[text != ""]
        words = text.isin((TRUE_WORDS | FALSE_WORDS) - {"1", "0", "1.0", "0.0"})
        flags = text.isin(TRUE_WORDS | FALSE_WORDS)
        # a yes/no column (at least half its cells yes/no words): every other cell is an
        # error (parse_flag names it) -- "maybe" read as "no" would change a verdict
        if len(text) and words.any() and flags.mean() >= 0.5:
            table[col] = parse_flag(s, f"park attribute {col}").map(
                {1.0: True, 0.0: False}).astype(object)
    return table
