"""Writing tables: CSV or Parquet, whole or part by part.

Every table gipro writes (results, stages, exclusions, weights, details; the tables of the
analyses) goes through :func:`write_table`, which takes one DataFrame or an iterable of them
(the parts of a table too big to hold at once: a build's results one code at a time), and
writes them to ``<stem>.csv`` or ``<stem>.parquet``. CSV parts are appended under one header,
so a table written in parts is the same file, byte for byte, as the table written at once;
Parquet parts become row groups of one file (Apache Parquet, through pyarrow: ``pip install
"gipro[parquet]"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dataset import DataSet
from .errors import InputError

__all__ = ["FORMATS", "dataset_arrow", "dataset_parts", "grouped", "write_table"]

#: Formats of written tables (the suffix of the file).
FORMATS = ("csv", "parquet")

#: Rows per part when a data set is written block by block of units.
PART_ROWS = 1_000_000


def check_format(fmt: str) -> str:
    """``fmt`` if it is a table format, else an InputError listing the formats."""
    if fmt not in FORMATS:
        raise InputError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


def write_table(table: pd.DataFrame | Iterable[Any], stem: str | Path, fmt: str = "csv", *,
                bom: bool = False) -> Path:
    """Write a table (or its parts, in order) to ``stem.csv`` or ``stem.parquet``.

    Parameters
    ----------
    table : pandas.DataFrame or iterable of DataFrames
        The table, or its parts (the same columns each; at least one part). For Parquet the
        parts may also be ``pyarrow.Table`` objects.
    stem : path
        The file without its suffix.
    fmt : {"csv", "parquet"}
    bom : bool
        CSV: start with a UTF-8 byte-order mark (Excel then reads Chinese text right).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        An unknown format; Parquet without pyarrow installed.
    OSError
        The file cannot be written.
    """
    check_format(fmt)
    path = Path(f"{stem}.{fmt}")
    parts: Iterator[pd.DataFrame] = iter([table] if isinstance(table, pd.DataFrame) else table)
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            for i, part in enumerate(parts):
                part.to_csv(f, index=False, header=i == 0)
        return path
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet output needs pyarrow, which is not installed",
                         ['pip install "gipro[parquet]", or write CSV (--format csv)']) from None
    writer = None
    try:
        for part in parts:
            t = (part if isinstance(part, pa.Table)
                 else pa.Table.from_pandas(part, preserve_index=False))
            if writer is None:
                schema = t.schema.remove_metadata()
                # dictionary encoding for the text columns only (codes, names: few distinct
                # values); numbers are stored plain (a dictionary of random doubles is slow
                # to build and then dropped)
                text = [f.name for f in schema if pa.types.is_dictionary(f.type)
                        or pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
                writer = pq.ParquetWriter(path, schema, use_dictionary=text)
            writer.write_table(t.cast(schema) if not t.schema.equals(schema) else t)
    finally:
        if writer is not None:
            writer.close()
    return path


def dataset_parts(ds: DataSet, rows: int = PART_ROWS) -> Iterator[pd.DataFrame]:
    """A data set as a wide table (``unit, period`` and one column per code, rows by unit
    then period, as :meth:`gipro.dataset.DataSet.to_frame`), in parts of about ``rows`` rows
    (whole units each)."""
    p, u, c = ds.values.shape
    step = max(1, rows // max(p, 1))
    units = np.array(ds.units, dtype=object)
    for a in range(0, max(u, 1), step):
        b = min(u, a + step)
        block = ds.values[:, a:b, :].transpose(1, 0, 2).reshape((b - a) * p, c)
        frame = pd.DataFrame(block, columns=list(ds.codes))
        frame.insert(0, "period", np.tile(np.array(ds.periods), b - a))
        frame.insert(0, "unit", np.repeat(units[a:b], p))
        yield frame


def dataset_arrow(ds: DataSet, rows: int = PART_ROWS) -> Iterator[Any]:
    """:func:`dataset_parts` as Apache Arrow tables (the unit dictionary-encoded: no string
    per row is made), for writing Parquet (needs pyarrow)."""
    import pyarrow as pa

    p, u, c = ds.values.shape
    step = max(1, rows // max(p, 1))
    units = pa.array(list(ds.units), type=pa.string())
    periods = np.array(ds.periods, dtype=np.int64)
    for a in range(0, max(u, 1), step):
        b = min(u, a + step)
        block = ds.values[:, a:b, :].transpose(1, 0, 2).reshape((b - a) * p, c)
        cols = {"unit": pa.DictionaryArray.from_arrays(
                    pa.array(np.repeat(np.arange(a, b, dtype=np.int32), p)), units),
                "period": pa.array(np.tile(periods, b - a))}
        for k, code in enumerate(ds.codes):
            cols[code] = pa.array(np.ascontiguousarray(block[:, k]), pa.float64())
        yield pa.table(cols)


def grouped(parts: Iterable[Any], rows: int = PART_ROWS) -> Iterator[Any]:
    """Consecutive parts (DataFrames, or Arrow tables) joined into parts of about ``rows``
    rows: a small table is written in one piece, a big one in pieces of bounded size."""
    held: list[Any] = []
    n = 0
    for part in parts:
        held.append(part)
        n += len(part)
        if n >= rows:
            yield _join(held)
            held, n = [], 0
    if held:
        yield _join(held)


def _join(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    import pyarrow as pa

    return pa.concat_tables(parts)
