"""Reading park files: indicators, park attributes and enterprise records, from CSV, Excel or
Parquet, through the panel reader (:func:`gipro.read_panel`'s reader).

:func:`read_park_data` assembles a :class:`~gipro.parks.data.ParkData` from a file or a folder
(``indicators.csv``, ``parks.csv``, ``enterprises.csv``), rolling enterprise records up into
park indicators (:mod:`gipro.parks.rollup`). :func:`read_table` is the one reader of every park
table; the data-entry workbook (:mod:`gipro.parks.workbook`) has its own cell-by-cell reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..panel import NumberFormat
from ..paths import check_input
from .data import FILE_ROW, ParkData, park_codes, parse_numbers
from .rollup import QUANTITIES, rollup

__all__ = ["CODE_COLUMNS", "leading_comments", "read_park_data", "read_table"]


def read_park_data(
    path: str | Path,
    *,
    parks: str | Path | pd.DataFrame | None = None,
    enterprises: str | Path | pd.DataFrame | None = None,
    crosswalk: Mapping[str, str] | None = None,
    unknown: str = "error",
    sep: str | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    na_values: Sequence[str] | None = None,
    encoding: str = "utf-8-sig",
    sheet: str | int | None = None,
    skip_rows: int | None = None,
    strip_codes: bool = False,
    **rollup_options: Any,
) -> ParkData:
    """Read park data from a CSV/Excel file or a folder.

    Every file (indicators, attributes, enterprise records) goes through the panel reader
    (:func:`gipro.read_panel`'s reader: encodings, separators, Excel error cells, damaged
    files, headers, blank rows, file row numbers in messages) with the same options.

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
    unknown : {"error", "ignore"}
        Indicators not in the catalogue: an error naming them (default), or left out with a
        note (see :meth:`ParkData.from_long`).
    sep, decimal, thousands : str
        CSV separator (default: comma; tab for ``.tsv``), decimal mark and thousands
        separator of numbers written as text (``sep=";", decimal=","`` for European
        exports). Ambiguous numbers (a dot in a decimal-comma file without
        ``thousands="."``) are errors, never guesses. Applied to indicator values and to the
        quantities of enterprise records.
    na_values : sequence of str, optional
        Extra texts that mean "missing" in value cells (e.g. ``["..", "-"]``); empty cells
        and the usual markers (``NA``, ``n/a``, ``#N/A``...) always are, except in code
        columns (``park``, ``enterprise``, ``indicator``), where ``NA`` stays a code.
    encoding : str
        Text encoding of CSV files (default UTF-8 with or without BOM; ``gbk`` for files saved
        by Excel on Chinese Windows).
    sheet : str or int, optional
        Excel sheet (default: the first).
    skip_rows : int, optional
        Rows above the header to skip (default: the lines starting with ``#`` above the
        header of a text file, such as the example files' provenance line).
    strip_codes : bool
        Strip spaces around park codes (default: a park code with leading or trailing
        spaces is an error naming its rows, in every file).
    **rollup_options
        Passed to :func:`gipro.parks.rollup.rollup` (``min_coverage``, ``columns``).

    Raises
    ------
    InputError
        Unreadable or missing files, and every problem of :meth:`ParkData.from_long`.
    """
    if decimal not in (".", ","):
        raise InputError(f"decimal mark must be '.' or ',', got {decimal!r}")
    if thousands is not None and (thousands == decimal or thousands not in (",", ".", " ",
                                                                            "'")):
        raise InputError(f"thousands separator {thousands!r} is not usable with decimal mark "
                         f"{decimal!r}", ["use ',', '.', ' ' or \"'\", different from the "
                                          "decimal mark"])
    fmt = NumberFormat(decimal=decimal, thousands=thousands, na_values=tuple(na_values or ()))
    opts = {"sep": sep, "encoding": encoding, "sheet": sheet, "skip_rows": skip_rows,
            "na_values": fmt.na_values}
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
    park_table = read_table(parks, **opts) if parks is not None else None
    data = None
    if unknown not in ("error", "ignore"):
        raise InputError(f"unknown must be 'error' or 'ignore', got {unknown!r}")
    common = {"parks": park_table, "crosswalk": crosswalk, "unknown": unknown,
              "origin": str(ind),
              "number_format": fmt, "strip_codes": strip_codes}
    if ind.exists():
        df = read_table(ind, **opts)
        rows = df.pop(FILE_ROW).to_numpy() if FILE_ROW in df.columns else 2
        if {"indicator", "value"} <= set(df.columns):
            data = ParkData.from_long(df, row_offset=rows, **common)
        else:
            data = ParkData.from_wide(df, row_offset=rows, **common)
    elif not path.is_dir():
        raise InputError(f"park data file not found: {path}")
    if enterprises is not None:
        ent = read_table(enterprises, **opts)
        where = f"enterprise records in {enterprises}" if not isinstance(
            enterprises, pd.DataFrame) else "enterprise records"
        rows = ent.pop(FILE_ROW).to_numpy() if FILE_ROW in ent.columns else None
        renamed = {c: (rollup_options.get("columns") or {}).get(c, c) for c in ent.columns}
        ent = ent.copy()
        for col, role in renamed.items():
            if role == "park":
                ent[col] = park_codes(ent[col], where, rows, strip=strip_codes)
            elif role in QUANTITIES and not pd.api.types.is_numeric_dtype(ent[col].dtype):
                ent[col] = parse_numbers(ent[col], col, where, rows if rows is not None else 2,
                                       fmt)
        if park_table is not None:
            park_table = park_table.copy()
            if "park" in park_table.columns:
                park_table["park"] = park_codes(park_table["park"], "park attributes",
                                                park_table.get(FILE_ROW), strip=strip_codes)
            park_table = park_table.drop(columns=[FILE_ROW], errors="ignore")
        rolled = rollup(ent, parks=park_table, park_records=data, **rollup_options)
        data = rolled if data is None else data.combine(rolled)
    return data


#: Columns holding codes: their cells are kept as written ("NA" is a code), only empty cells
#: are missing. In the other columns the usual missing markers (NA, n/a, #N/A, ...) are missing.
CODE_COLUMNS = frozenset({"park", "enterprise", "indicator"})


def leading_comments(path: Path) -> int:
    """Number of lines starting with '#' above the header of a text file (the example files
    carry a provenance line)."""
    n = 0
    check_input(path, "park data file")  # never a FIFO or device (the open would block)
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                n += 1
    except OSError:
        return 0
    return n


def read_table(src: str | Path | pd.DataFrame, *, sep: str | None = None,
           encoding: str = "utf-8-sig", sheet: str | int | None = None,
           skip_rows: int | None = None, na_values: Sequence[str] = ()) -> pd.DataFrame:
    """A park, attribute or enterprise table, read by the same reader as panel data
    (:func:`gipro.panel.read_panel`: encodings, separators, Excel error cells, damaged files,
    headers, blank rows); lines starting with '#' above the header are skipped unless
    ``skip_rows`` is given. Empty cells are missing; in columns other than codes the usual
    missing markers and ``na_values`` are missing too. A file's table carries each row's
    file row number in the column ``FILE_ROW`` (for messages); a DataFrame is returned as given.

    Raises
    ------
    InputError
        Missing or unreadable file, no data rows, and the reader's checks.
    """
    from .. import panel
    from ..panel import MISSING_MARKERS

    if isinstance(src, pd.DataFrame):
        return src
    p = Path(src)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    text = p.suffix.lower() in (".csv", ".txt", ".tsv")
    if skip_rows is None:
        skip_rows = leading_comments(p) if text else 0
    try:
        df, rows = panel.read_table(p, sheet, sep, encoding, skip_rows)
    except InputError as exc:
        enc = getattr(exc, "suggested_encoding", None)
        if enc is not None:  # the CLI option, as for the separator below
            raise InputError(exc.message, [
                f"give the encoding: encoding='{enc}' in Python, gipro assess --encoding {enc}"
                " (or save the file as 'CSV UTF-8')"]) from None
        if "-separated" not in exc.message:
            raise
        found = exc.message.split(" looks ", 1)[1].split("-separated", 1)[0]
        mark = {"semicolon": ";", "tab": "\\t", "pipe": "|"}.get(found, found)
        raise InputError(exc.message, [
            f"give the separator: sep='{mark}' in Python, gipro assess --sep '{mark}'"
            + (" (and decimal=',' / --decimal ',' if numbers use a decimal comma)"
               if found == "semicolon" else "")]) from None
    if df.empty:
        raise InputError(f"no data rows in {p}")
    markers = MISSING_MARKERS | set(na_values)
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):  # CSV: all text
            text = s.astype("string").str.strip()
            blank = (s.isna() | (text == "")).to_numpy(dtype=bool)
            if col not in CODE_COLUMNS:
                blank = blank | text.isin(markers).to_numpy(dtype=bool)
        else:  # Excel and Parquet cells: numbers, text, booleans, dates
            blank = s.map(lambda v: v is None or (isinstance(v, str) and v.strip() == "")
                          or (isinstance(v, float) and np.isnan(v))).to_numpy(dtype=bool)
            if col not in CODE_COLUMNS:
                blank = blank | s.map(lambda v: isinstance(v, str) and v.strip() in markers
                                      ).to_numpy(dtype=bool)
        out[col] = s.mask(blank, np.nan)
    table = pd.DataFrame(out, index=df.index)
    table[FILE_ROW] = np.asarray(rows, dtype=np.int64)
    return table
