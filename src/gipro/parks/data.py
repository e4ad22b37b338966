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

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..panel import Panel
from .model import load_catalogue

__all__ = ["SYNTHETIC", "USER_DATA", "ParkData", "parse_flag", "read_park_data"]

SYNTHETIC = "SYNTHETIC"
USER_DATA = "user data"

_TRUE = {"yes", "y", "true", "t", "1", "1.0", "present", "是", "具备", "有"}
_FALSE = {"no", "n", "false", "f", "0", "0.0", "absent", "否", "不具备", "无"}
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
        t = str(u).strip().lower()
        if t in _TRUE:
            lookup[k] = 1.0
        elif t in _FALSE:
            lookup[k] = 0.0
        elif t in ("", "nan", "none", "<na>"):
            lookup[k] = np.nan
        else:
            bad.append(str(u))
    if bad:
        raise InputError(f"{what}: values that are neither yes nor no: {sorted(bad)[:_MAX_LISTED]}",
                         ["use yes/no, true/false, 1/0, present/absent (是/否)"])
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
            What to do with indicators that are not in the catalogue.

        Raises
        ------
        InputError
            Missing columns, duplicate (park, year, indicator) rows, unknown indicators (with
            near matches), unit mismatches with the catalogue, non-numeric numbers, yes/no
            values that are neither, category values that are not a level.

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
        df = df.copy()
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
            details.append("map your names with crosswalk={'your name': 'catalogue code'}; "
                           "codes: gipro.parks.load_catalogue().table()")
            raise InputError(f"indicators not in the park indicator catalogue{_where(origin)}",
                             details)
        df = df[df["indicator"].isin(known)]
        _check_parks(df["park"], f"park data{_where(origin)}")
        df["park"] = df["park"].astype(str).str.strip()
        year = pd.to_numeric(df["year"], errors="coerce")
        bad_year = year.isna() | (year != np.floor(year)) | ~year.between(1000, 9999)
        if bad_year.any():
            rows = [int(i) + 2 for i in df.index[bad_year]][:5]
            raise InputError(f"park data{_where(origin)}: year must be a whole number (a "
                             f"calendar year) (rows {rows})")
        df["year"] = year.astype(np.int64)
        dup = df.duplicated(["park", "year", "indicator"], keep=False)
        if dup.any():
            shown = df[dup][["park", "year", "indicator"]].drop_duplicates().head(_MAX_LISTED)
            raise InputError(f"duplicate (park, year, indicator) rows{_where(origin)}",
                             [f"{r.park}, {r.year}, {r.indicator}" for r in shown.itertuples()])
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
            parsed = pd.to_numeric(df.loc[num, "value"], errors="coerce")
            badnum = parsed.isna() | ~np.isfinite(parsed.to_numpy(dtype=float))
            if badnum.any():
                rows = df.loc[num][badnum].head(_MAX_LISTED)
                raise InputError(f"non-numeric values of numeric indicators{_where(origin)}",
                                 [f"{r.park}, {r.year}, {r.indicator}: {r.value!r}"
                                  for r in rows.itertuples()])
            value[num] = parsed.astype(float)
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
        return cls(values, _park_table(parks, all_parks), origin=origin, observed=observed)

    @classmethod
    def from_wide(cls, df: pd.DataFrame, *, parks: pd.DataFrame | None = None,
                  crosswalk: Mapping[str, str] | None = None, origin: str | None = None,
                  unknown: str = "error") -> ParkData:
        """Park data from a wide table (``park, year`` and one column per indicator).

        Raises
        ------
        InputError
            As :meth:`from_long`.
        """
        missing = {"park", "year"} - set(df.columns)
        if missing:
            raise InputError(f"park data{_where(origin)} lack columns {sorted(missing)}")
        extra = [c for c in ("data_status",) if c in df.columns]
        long = df.drop(columns=extra).melt(id_vars=["park", "year"], var_name="indicator",
                                           value_name="value")
        long = long.astype({"value": object})
        return cls.from_long(long, parks=parks, crosswalk=crosswalk, origin=origin,
                             unknown=unknown)

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


def _where(origin: str | None) -> str:
    return f" in {origin}" if origin else ""


def _check_parks(park: pd.Series, what: str) -> None:
    """Empty park codes are errors naming the rows (never a park called 'nan')."""
    empty = park.isna() | (park.astype(str).str.strip() == "")
    if empty.any():
        rows = [int(i) + 2 for i in park.index[empty]][:_MAX_LISTED]
        raise InputError(f"{what}: empty park code in rows {rows}",
                         ["every row needs its park's code; delete the rows or fill it in"])


def _park_table(parks: pd.DataFrame | None, codes: pd.Series) -> pd.DataFrame:
    """Park attributes indexed by park, with a row for every park in the data."""
    if parks is None:
        table = pd.DataFrame(index=pd.Index([], name="park"))
    else:
        table = parks.copy()
        if "park" in table.columns:
            _check_parks(table["park"], "park attributes")
            table["park"] = table["park"].astype(str).str.strip()
            if table["park"].duplicated().any():
                raise InputError("park attributes: duplicate parks "
                                 f"{sorted(set(table['park'][table['park'].duplicated()]))}")
            table = table.set_index("park")
        table.index = table.index.astype(str)
        table.index.name = "park"
    extra = [p for p in dict.fromkeys(codes) if p not in table.index]
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
        if len(text) and text.isin(_TRUE | _FALSE).all() and not text.isin(
                {"1", "0", "1.0", "0.0"}).all():
            table[col] = parse_flag(s, f"park attribute {col}").map(
                {1.0: True, 0.0: False}).astype(object)
    return table


def read_park_data(
    path: str | Path,
    *,
    parks: str | Path | pd.DataFrame | None = None,
    enterprises: str | Path | pd.DataFrame | None = None,
    crosswalk: Mapping[str, str] | None = None,
    **rollup_options: Any,
) -> ParkData:
    """Read park data from a CSV/Excel file or a folder.

    Parameters
    ----------
    path : path
        A file of park indicators (long or wide form) or a folder holding
        ``indicators.csv`` and optionally ``parks.csv`` (attributes) and ``enterprises.csv``.
    parks, enterprises : path or DataFrame, optional
        Park attributes; enterprise records to roll up into park indicators
        (:func:`gipro.parks.rollup.rollup`), combined with the park records (park records take
        precedence, and that is noted).
    crosswalk : mapping, optional
        Your indicator names -> catalogue codes.
    **rollup_options
        Passed to :func:`gipro.parks.rollup.rollup` (``min_coverage``, ``columns``).

    Raises
    ------
    InputError
        Unreadable or missing files, and every problem of :meth:`ParkData.from_long`.
    """
    from .rollup import rollup as _rollup

    path = Path(path)
    if path.is_dir():
        ind = path / "indicators.csv"
        if parks is None and (path / "parks.csv").exists():
            parks = path / "parks.csv"
        if enterprises is None and (path / "enterprises.csv").exists():
            enterprises = path / "enterprises.csv"
        if not ind.exists() and enterprises is None:
            raise InputError(f"folder {path} has neither indicators.csv nor enterprises.csv")
    else:
        ind = path
    park_table = _table(parks) if parks is not None else None
    data = None
    if ind.exists():
        df = _table(ind)
        if {"indicator", "value"} <= set(df.columns):
            data = ParkData.from_long(df, parks=park_table, crosswalk=crosswalk,
                                      origin=str(ind))
        else:
            data = ParkData.from_wide(df, parks=park_table, crosswalk=crosswalk,
                                      origin=str(ind))
    elif not path.is_dir():
        raise InputError(f"park data file not found: {path}")
    if enterprises is not None:
        ent = _table(enterprises)
        rolled = _rollup(ent, parks=park_table, park_records=data, **rollup_options)
        data = rolled if data is None else data.combine(rolled)
    return data


#: Columns holding codes: their cells are kept as written ("NA" is a code), only empty cells
#: are missing. In the other columns the usual missing markers (NA, n/a, #N/A, ...) are missing.
_CODE_COLUMNS = frozenset({"park", "enterprise", "indicator"})


def _leading_comments(path: Path) -> int:
    """Number of lines starting with '#' above the header of a text file (the example files
    carry a provenance line)."""
    n = 0
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                n += 1
    except OSError:
        return 0
    return n


def _table(src: str | Path | pd.DataFrame) -> pd.DataFrame:
    """A park, attribute or enterprise table, read by the same reader as panel data
    (:func:`gipro.panel.read_panel`: encodings, separators, Excel error cells, damaged files,
    headers, blank rows); lines starting with '#' above the header are skipped. Empty cells
    are missing; in columns other than codes the usual missing markers are missing too.

    Raises
    ------
    InputError
        Missing or unreadable file, no data rows, and the reader's checks.
    """
    from ..panel import MISSING_MARKERS, _read_table

    if isinstance(src, pd.DataFrame):
        return src
    p = Path(src)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    text = p.suffix.lower() in (".csv", ".txt", ".tsv")
    try:
        df, _ = _read_table(p, skip_rows=_leading_comments(p) if text else 0)
    except InputError as exc:
        if "-separated" not in exc.message:
            raise
        raise InputError(exc.message, ["park data are read as comma-separated CSV with a "
                                       "decimal point: save the file that way, or as .xlsx"]
                         ) from None
    if df.empty:
        raise InputError(f"no data rows in {p}")
    out = {}
    for col in df.columns:
        s = df[col]
        blank = s.map(lambda v: v is None or (isinstance(v, str) and v.strip() == "")
                      or (isinstance(v, float) and np.isnan(v)))
        if col not in _CODE_COLUMNS:
            blank |= s.map(lambda v: isinstance(v, str) and v.strip() in MISSING_MARKERS)
        out[col] = s.mask(blank, np.nan)
    return pd.DataFrame(out, index=df.index)
