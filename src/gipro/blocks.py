"""A build's data read block by block of units (builds chunked over units on Dask).

:func:`open_data` reads what a chunked build needs to know of its data without reading the
values: the units (in the order an in-memory build has them), their names and groups, the
periods and the variables. The values are read later, one block of units at a time, by the
task that transforms the block (:meth:`BlockData.read`), with the reader of
:func:`gipro.panel.read_panel` (:func:`gipro.panel.panel_from_table`), so every rule and
message of the reader holds for each block.

* **Parquet** (wide or long) is read by row groups: a first pass over the unit (and period)
  columns finds the row groups of every unit; a block reads only the row groups of its units
  and keeps their rows (a unit whose rows lie in several row groups is read whole).
* **CSV** files are read :data:`CSV_CELLS` cells at a time with the reader's own parser and
  checks (:func:`gipro.panel.read_csv_blocks`) and partitioned by unit into a temporary
  folder of Parquet files (:class:`CsvPartition`, deleted when the build is closed): a unit's
  rows may lie anywhere in the file; a block reads the row groups of its units only.
* **Other sources** (Excel, built-in data sets, yearbook sheets, and CSV or Parquet with
  ``drop_rows``) are read whole in the process that runs the build and sent to the workers
  block by block; the build's log says so.

Unit-level checks that need every unit at once (codes that differ only by spaces or case,
units without metadata) run on the units found in the first pass, through
:class:`gipro.panel.Panel` itself; row-level checks (duplicate rows, non-numeric cells, groups
that change over time) run in the block holding the unit, naming the file row.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .dataspec import DataSpec, load_data, select_units, unit_list
from .errors import InputError
from .panel import (
    BadCells,
    NumberFormat,
    Panel,
    PlausibilityHits,
    as_codes,
    check_unit_codes,
    coinr_idata_columns,
    group_labels,
    measure_units,
    panel_from_table,
    parquet_frame,
    parse_periods,
    plausibility_hits,
    read_csv_blocks,
    read_unit_meta,
    to_numeric,
)
from .suggest import code_clashes, fold_identity

__all__ = ["BlockData", "CsvPartReader", "CsvPartition", "ParquetReader", "open_data"]

#: Bytes of one block's values (periods x units x codes x 8) a chunked build aims at.
BLOCK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class ParquetReader:
    """How a task reads some units' rows of a Parquet file (picklable, small).

    Attributes
    ----------
    path : str
    options : dict
        Keyword arguments of :func:`gipro.panel.panel_from_table` (the recipe's reader
        options, COINr columns resolved).
    offsets : tuple of int
        File row number of the first row of each row group.
    """

    path: str
    options: dict[str, Any]
    offsets: tuple[int, ...]

    def read(self, row_groups: Sequence[int], units: Sequence[str],
             meta: pd.DataFrame | None) -> Panel:
        """The panel of ``units`` from their row groups.

        Raises
        ------
        InputError
            Whatever the reader finds in these rows (naming file rows).
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        unit = self.options["unit"]
        physical = _physical(self.options.get("rename"), unit)
        try:
            pf = pq.ParquetFile(self.path)
            table = pf.read_row_groups(list(row_groups))
            rows = np.concatenate([np.arange(self.offsets[g], self.offsets[g]
                                             + pf.metadata.row_group(g).num_rows)
                                   for g in row_groups])
            col = table.column(physical) if physical in table.column_names else None
            if col is not None and pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            if col is not None and (pa.types.is_string(col.type)
                                    or pa.types.is_large_string(col.type)):
                # only the block's rows become a DataFrame (text codes are the codes as read)
                keep = pc.is_in(col, value_set=pa.array(list(units), type=col.type))
                keep = keep.fill_null(False).to_numpy(zero_copy_only=False)
                table, rows = table.filter(pa.array(keep)), rows[keep]
            raw = table.to_pandas()
            del table
        except InputError:
            raise
        except Exception as exc:  # a damaged file
            raise InputError(f"cannot read {self.path}: {type(exc).__name__}: {exc}") from None
        df, _ = parquet_frame(raw, Path(self.path))
        file_rows = rows
        codes = as_codes(df[physical], unit, self.path, file_rows)
        keep = codes.isin(set(units)).to_numpy()
        if not keep.all():
            df, file_rows = df.loc[keep].reset_index(drop=True), file_rows[keep]
        opts = dict(self.options)
        if meta is not None:
            opts["units"] = meta.reset_index()
        return panel_from_table(df, file_rows, self.path, **opts)


def _physical(rename: dict[str, str] | None, column: str) -> str:
    """The file's name of a column the recipe renames (``rename: {old: new}``)."""
    for old, new in (rename or {}).items():
        if new == column:
            return old
    return column


@dataclass
class BlockData:
    """A build's data known by its units, periods and variables, read block by block.

    Panel-like for the steps' ``prepare`` and the build's checks (``units``, ``unit_codes``,
    ``periods``, ``indicator_codes``, ``indicator_units``, ``group_columns``, ``notes``,
    ``removed``, ``origin``); it holds no values (``values`` raises).

    Attributes
    ----------
    reader : ParquetReader, CsvPartReader or None
        Reads a block's rows in a task (``None``: the data are held whole, in ``panel``).
    row_groups : dict of str to tuple of int
        Row groups of each unit (Parquet).
    partition : CsvPartition or None
        A CSV file partitioned by unit (where each unit's rows are).
    panel : Panel or None
        The whole panel, for sources read whole.
    meta : DataFrame or None
        The recipe's unit metadata file, read once.
    """

    origin: str | None
    units: pd.DataFrame
    periods: list[int]
    indicator_codes: list[str]
    indicator_units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    reader: ParquetReader | CsvPartReader | None = None
    row_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    partition: CsvPartition | None = None
    panel: Panel | None = None
    meta: pd.DataFrame | None = None
    #: Steps read a block's own rows in its task (the denominate step's denominators).
    blockwise: ClassVar[bool] = True

    @property
    def unit_codes(self) -> list[str]:
        return self.units.index.to_list()

    @property
    def group_columns(self) -> list[str]:
        return [c for c in self.units.columns if c not in ("name", "name_zh")]

    @property
    def values(self) -> pd.DataFrame:
        raise InputError("the data of a build chunked over units are read block by block; "
                         "their values are not held in one table")

    def select(self, units: Sequence[str] | None = None) -> BlockData:
        """The data of some units (in that order), with the errors of
        :meth:`gipro.panel.Panel.select` for units not in the data."""
        if units is None:
            return self
        chosen = _skeleton(self).select(units=list(units))
        out = BlockData(**{f: getattr(self, f) for f in self.__dataclass_fields__})
        out.units = self.units.loc[chosen.unit_codes]
        return out

    def check_framework(self, framework: Any) -> None:
        """:meth:`gipro.panel.Panel.check_framework` (columns and measurement units)."""
        Panel.check_framework(self, framework)  # type: ignore[arg-type]

    def block_args(self, units: Sequence[str]) -> tuple[Any, ...]:
        """What a task needs to read the rows of ``units`` (:func:`read_block`)."""
        if self.reader is None:
            assert self.panel is not None
            return (None, (), tuple(units), self.panel.select(units=list(units)))
        groups: Any = (self.partition.groups(units) if self.partition is not None
                       else sorted({g for u in units for g in self.row_groups[u]}))
        meta = None if self.meta is None else self.meta.loc[[u for u in units
                                                             if u in self.meta.index]]
        return (self.reader, tuple(groups), tuple(units), meta)

    def close(self) -> None:
        """Delete the temporary partition of a CSV file (nothing else to release)."""
        if self.partition is not None:
            self.partition.close()

    def __repr__(self) -> str:
        p = self.periods
        span = f"{p[0]}-{p[-1]}" if p else "none"
        where = f" from {self.origin}" if self.origin else ""
        return (f"BlockData({len(self.units)} units x {len(p)} periods ({span}) x "
                f"{len(self.indicator_codes)} variables{where})")


def read_block(args: tuple[Any, ...]) -> Panel:
    """The panel of one block of units (in a task): :meth:`ParquetReader.read`, or the block
    of a panel read whole."""
    reader, groups, units, extra = args
    if reader is None:
        return extra
    return reader.read(groups, units, extra)


def block_cube(args: tuple[Any, ...], codes: Sequence[str], periods: Sequence[int]
               ) -> np.ndarray:
    """The values of one block, shape (P, u, K) for ``codes`` and ``periods`` (NaN where a
    unit has no row for a period), units in the block's order."""
    panel = read_block(args)
    units = list(args[2])
    return panel.select(units=units, indicators=list(codes)).cube(list(codes), list(periods))


def block_plausibility(args: tuple[Any, ...], units: dict[str, str | None],
                       periods: Sequence[int]) -> PlausibilityHits:
    """The values of one block that look wrong (a task): :func:`gipro.panel.plausibility_hits`
    of the block's panel of the build's periods and indicators (``units``: the measurement
    unit of each), as an in-memory build checks its panel."""
    panel = read_block(args)
    have = set(panel.periods)
    return plausibility_hits(panel.select(periods=[p for p in periods if p in have],
                                          indicators=list(units)), units)


def open_data(spec: DataSpec, base_dir: Path | None, known_groups: Sequence[str] = (),
              temp_dir: str | Path | None = None) -> BlockData:
    """The build's data as :class:`BlockData`: Parquet files by row groups, CSV files
    partitioned by unit (in a temporary folder made in ``temp_dir``, default the system's,
    :func:`tempfile.gettempdir`), other sources read whole.

    Raises
    ------
    InputError
        As :func:`gipro.dataspec.load_data` (the unit-level checks here, the row-level ones
        when a block is read).
    """
    path = None if spec.path is None else Path(spec.path)
    if path is not None and not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    suffix = "" if path is None else path.suffix.lower()
    if (suffix not in (".parquet", ".pq", ".csv", ".tsv", ".txt") or spec.drop_rows
            or path is None or not path.is_file()):
        return _whole(load_data(spec, base_dir, known_groups))
    data = (_scan_parquet(path, spec, base_dir, known_groups)
            if suffix in (".parquet", ".pq") else
            _scan_csv(path, spec, base_dir, known_groups, temp_dir))
    if spec.include_units is None and spec.exclude_units is None:
        return data
    # the selection's rules and notes: select_units on a panel of the units only
    skeleton = _skeleton(data)
    try:
        chosen = select_units(skeleton,
                              unit_list(spec.include_units, base_dir, "include_units"),
                              unit_list(spec.exclude_units, base_dir, "exclude_units"))
    except BaseException:
        data.close()
        raise
    data.units = data.units.loc[chosen.unit_codes]
    data.notes = [*data.notes, *chosen.notes[len(skeleton.notes):]]
    data.removed = [*data.removed, *chosen.removed[len(skeleton.removed):]]
    return data


def _whole(panel: Panel) -> BlockData:
    note = ("data read whole (only Parquet and CSV files without drop_rows are read block "
            "by block of units)")
    return BlockData(panel.origin, panel.units, panel.periods, panel.indicator_codes,
                     dict(panel.indicator_units),
                     # (a copied or selected panel carries no reader's notes)
                     [*getattr(panel, "notes", []), note], list(getattr(panel, "removed", [])),
                     panel=panel)


def _skeleton(data: BlockData) -> Panel:
    """A panel of one empty row per unit: the unit table of ``data`` as a Panel."""
    index = pd.MultiIndex.from_arrays([data.units.index.to_list(),
                                       [data.periods[0]] * len(data.units)],
                                      names=["unit", "period"])
    out = Panel(pd.DataFrame(index=index), units=data.units, origin=data.origin)
    out.notes, out.removed = list(data.notes), list(data.removed)
    return out


@dataclass
class _Layout:
    """Where a table's units, periods, names, groups (and, long form, indicators) are, as
    the recipe's data section and the columns say; ``options``: the keyword arguments of
    :func:`gipro.panel.panel_from_table` a block is read with."""

    form: str
    unit: str
    period: str | None
    unit_name: str | None
    groups: list[str]
    meta_cols: list[str]
    options: dict[str, Any]
    notes: list[str]


def _layout(logical: list[str], spec: DataSpec, known_groups: Sequence[str]) -> _Layout:
    """The layout of a table whose columns (renamed by the recipe) are ``logical``."""
    rename = dict(spec.rename or {})
    period = (None if spec.default_period is not None and "period" not in spec.model_fields_set
              else spec.period)
    unit, unit_name, groups, form = spec.unit, spec.unit_name, list(spec.groups), spec.form
    notes: list[str] = []
    if rename:
        notes.append("columns renamed (data.rename): "
                     + ", ".join(f"{a} -> {b}" for a, b in rename.items()))
    if form in ("auto", "wide"):
        coinr = coinr_idata_columns(logical, unit=unit, period=period, unit_name=unit_name,
                                    groups=groups, known_groups=known_groups)
        if coinr is not None:
            unit, period, unit_name, groups, note = coinr
            form = "wide"
            notes.append(note)
    if form == "auto":
        form = "long" if {spec.indicator, spec.value} <= set(logical) else "wide"
    long_cols = ([spec.indicator] + ([spec.measure_unit] if spec.measure_unit else [])
                 if form == "long" else [])
    meta_cols = [unit] + ([period] if period else []) + ([unit_name] if unit_name else []) \
        + groups + long_cols
    options: dict[str, Any] = dict(
        form=form, unit=unit, period=period, indicator=spec.indicator, value=spec.value,
        measure_unit=spec.measure_unit, unit_name=unit_name, groups=groups,
        indicators=None, decimal=spec.decimal, thousands=spec.thousands,
        na_values=spec.na_values, default_period=spec.default_period,
        rename=rename or None, known_groups=known_groups, sep=spec.sep,
        encoding=spec.encoding)
    return _Layout(form, unit, period, unit_name, groups, meta_cols, options, notes)


def _unit_meta(spec: DataSpec, base_dir: Path | None) -> pd.DataFrame | None:
    """The recipe's unit metadata file (``data.units``), read once."""
    if spec.units is None:
        return None
    upath = Path(spec.units)
    if not upath.is_absolute() and base_dir is not None:
        upath = base_dir / upath
    return read_unit_meta(upath, spec.sep, spec.encoding)


class _UnitScan:
    """The units (in order of first appearance, as :class:`gipro.panel.Panel` has them),
    periods, variables, names and groups of a table read part by part (its metadata columns
    only), with the reader's rules and messages (file rows named)."""

    def __init__(self, lay: _Layout, spec: DataSpec, origin: str) -> None:
        self.lay, self.spec, self.origin = lay, spec, origin
        self.order: dict[str, int] = {}
        self.first_rows: list[pd.DataFrame] = []
        self.periods: set[int] = set()
        self.variables: dict[str, None] = {}
        self.pairs: list[pd.DataFrame] = []
        #: non-numeric cells of the periods (and values) of every part, raised by check()
        self.bad_cells = BadCells(origin)

    def add(self, df: pd.DataFrame, rows: np.ndarray) -> tuple[pd.Series, np.ndarray]:
        """Scan one part (columns renamed); its rows' unit codes and its units."""
        lay, spec, origin = self.lay, self.spec, self.origin
        codes = as_codes(df[lay.unit], lay.unit, origin, rows)
        if lay.period:
            self.periods.update(parse_periods(df[lay.period], lay.period, origin, rows,
                                              self.bad_cells).unique().tolist())
        if lay.form == "long":
            inds = as_codes(df[spec.indicator], spec.indicator, origin, rows)
            self.variables.update(dict.fromkeys(inds.unique().tolist()))
            if spec.measure_unit:
                self.pairs.append(pd.DataFrame({spec.indicator: inds, spec.measure_unit:
                                                df[spec.measure_unit]}).drop_duplicates())
        first = np.flatnonzero(~codes.duplicated().to_numpy())
        uniq = codes.to_numpy(dtype=object)[first]
        new = np.array([u not in self.order for u in uniq], dtype=bool)
        for u in uniq[new]:
            self.order[u] = len(self.order)
        if lay.unit_name or lay.groups:
            part = df.iloc[first[new]][[c for c in [lay.unit_name, *lay.groups] if c]].copy()
            part.index = uniq[new]
            self.first_rows.append(part)
        return codes, uniq

    def data(self, path: Path, logical: list[str], meta: pd.DataFrame | None,
             reader: Any, unit_rows: Any, **where: Any) -> BlockData:
        """The scanned table as :class:`BlockData` (unit-level rules through
        :class:`gipro.panel.Panel`; ``unit_rows(codes)``: the codes and file rows of the
        rows of ``codes``, in file order, for the message of codes spelt alike)."""
        lay, spec, origin = self.lay, self.spec, self.origin
        if code_clashes(list(self.order)):  # the reader's message, with every row of each
            fold = pd.Series([fold_identity(c) for c in self.order])
            suspect = {c for c, shared in zip(self.order, fold.duplicated(keep=False),
                                              strict=True)
                       if shared or code_clashes([c])}
            codes, rows = unit_rows(suspect)
            check_unit_codes(codes, lay.unit, origin, rows)
        periods = self.periods
        if lay.period is None:
            periods = ({int(spec.default_period)} if spec.default_period is not None
                       else set())
        if not self.order:
            raise InputError(f"no data rows in {path}")
        # in the order of the in-memory reader: long tables are pivoted (units sorted)
        codes_all = sorted(self.order) if lay.form == "long" else list(self.order)
        variables = self.variables
        if lay.form == "wide":
            skip = set(lay.meta_cols)
            variables = dict.fromkeys(c for c in logical if c not in skip)
        units_meta = meta
        if units_meta is None and (lay.unit_name or lay.groups):
            firsts = pd.concat(self.first_rows)
            firsts = firsts.loc[~firsts.index.duplicated()].reindex(codes_all)
            for gcol in lay.groups:
                firsts[gcol] = group_labels(firsts[gcol])
            if lay.unit_name:
                firsts = firsts.rename(columns={lay.unit_name: "name"})
            units_meta = firsts
        # unit-level rules (codes, metadata) through the Panel of one row per unit
        skeleton_index = pd.MultiIndex.from_arrays(
            [codes_all, [min(periods) if periods else 0] * len(codes_all)],
            names=["unit", "period"])
        skeleton = Panel(pd.DataFrame(index=skeleton_index), units=units_meta, origin=origin)
        ind_units = (measure_units(pd.concat(self.pairs), spec.indicator, spec.measure_unit,
                                   origin) if self.pairs and spec.measure_unit else {})
        return BlockData(origin, skeleton.units, sorted(periods), list(variables), ind_units,
                         list(lay.notes), [], reader, panel=None, **where,
                         meta=None if meta is None else meta.loc[[u for u in meta.index
                                                                  if u in self.order]])


def _missing_columns(lay: _Layout, logical: list[str], df: pd.DataFrame, rows: Any,
                     path: Path) -> None:
    """Raise the reader's own message when columns of the layout are missing (the first
    part of the table read as the reader would)."""
    missing = [c for c in lay.meta_cols if c not in logical]
    if missing:
        panel_from_table(df, rows, path, **lay.options)
        raise InputError(f"data {path} lack columns {missing}")  # pragma: no cover


def _scan_parquet(path: Path, spec: DataSpec, base_dir: Path | None,
                  known_groups: Sequence[str]) -> BlockData:
    """The units, periods, variables and row groups of a Parquet file, reading its unit,
    period, name and group columns only (long form: also the indicator column)."""
    import pyarrow.parquet as pq

    origin = str(path)
    try:
        pf = pq.ParquetFile(path)
        # the columns as the reader has them (a pandas index without a name is not data)
        names = list(parquet_frame(pf.schema_arrow.empty_table().to_pandas(), path)[0].columns)
    except Exception as exc:
        raise InputError(f"cannot read {path}: it is not a readable .parquet file "
                         f"({type(exc).__name__}: {exc})") from None
    rename = dict(spec.rename or {})
    logical = [rename.get(n, n) for n in names]
    lay = _layout(logical, spec, known_groups)
    if any(c not in logical for c in lay.meta_cols):
        _missing_columns(lay, logical, parquet_frame(pf.read_row_group(0).to_pandas(),
                                                     path)[0], 2, path)
    meta = _unit_meta(spec, base_dir)
    meta_cols = lay.meta_cols
    phys = {c: next((n for n, lg in zip(names, logical, strict=True) if lg == c), c)
            for c in meta_cols}
    scan = _UnitScan(lay, spec, origin)
    where: dict[str, list[int]] = {}
    offsets: list[int] = []
    row = 1
    for g in range(pf.num_row_groups):
        offsets.append(row)
        raw = pf.read_row_group(g, columns=[phys[c] for c in dict.fromkeys(meta_cols)]
                                ).to_pandas()
        df, rows = parquet_frame(raw, path, row)
        df.columns = [rename.get(c, c) for c in df.columns]
        row += len(df)
        for u in scan.add(df, rows)[1]:
            where.setdefault(u, []).append(g)
    scan.bad_cells.check([lay.period] if lay.period else [])
    reader = ParquetReader(str(path), lay.options, tuple(offsets))

    def unit_rows(codes: set[str]) -> tuple[pd.Series, np.ndarray]:
        found = [pf.read_row_group(g, columns=[phys[lay.unit]]).to_pandas()
                 for g in range(pf.num_row_groups)]
        rows = np.concatenate([np.arange(o, o + len(f)) for o, f in zip(offsets, found,
                                                                         strict=True)])
        col = as_codes(pd.concat(found, ignore_index=True)[phys[lay.unit]], lay.unit,
                       origin, rows)
        keep = col.isin(codes).to_numpy()
        return col[keep].reset_index(drop=True), rows[keep]

    return scan.data(path, logical, meta, reader, unit_rows,
                     row_groups={u: tuple(v) for u, v in where.items()})


#: Cells of a CSV file parsed at a time when it is partitioned by unit (rows of text in the
#: process that runs the build).
CSV_CELLS = 2_000_000
#: Units of a bucket of the partition of a CSV file (a block reads its units' buckets).
SPILL_UNITS = 256
#: The column of file row numbers in the partition of a CSV file.
ROW_COLUMN = "__gipro_file_row__"


class CsvPartition:
    """A CSV file partitioned by unit into a temporary folder of Parquet files that gipro
    made and deletes (:meth:`close`, or when the object is collected or the interpreter
    exits): one file per part of the CSV file read, its rows in buckets of
    :data:`SPILL_UNITS` units (in the order of first appearance), a row group per bucket.

    Attributes
    ----------
    folder : Path
    buckets : dict of int to list of (int, int)
        The (file, row group) pairs of each bucket.
    order : dict of str to int
        Each unit's place (its bucket: ``order[u] // SPILL_UNITS``).
    """

    def __init__(self, temp_dir: str | Path | None = None) -> None:
        import tempfile
        import weakref

        self.folder = Path(tempfile.mkdtemp(prefix="gipro-csv-blocks-", dir=temp_dir))
        self.buckets: dict[int, list[tuple[int, int]]] = {}
        self.order: dict[str, int] = {}
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)

    def close(self) -> None:
        """Delete the folder (gipro made it; nothing else is in it)."""
        self._cleanup()

    def add(self, i: int, df: pd.DataFrame, rows: np.ndarray, codes: pd.Series) -> None:
        """Write part ``i`` of the file (the rows ``df``: text cells, and numbers already
        parsed; file rows ``rows``; unit codes ``codes``, every unit in :attr:`order`)."""
        import pyarrow as pa

        cols = {str(c): pa.array(df[c].to_numpy(dtype=object), type=pa.string(),
                                 from_pandas=True) if df[c].dtype == object
                else pa.array(df[c].to_numpy(dtype=float)) for c in df.columns}
        cols[ROW_COLUMN] = pa.array(np.asarray(rows, dtype=np.int64))
        self._write(i, pa.table(cols), codes)

    def reorder(self, units: Sequence[str], column: str) -> None:
        """Bucket the units in the order ``units`` (the panel's, when it is not the order
        of first appearance: units of a long table are sorted), rewriting each part file
        (``column``: the file's column of unit codes)."""
        import pyarrow.parquet as pq

        if list(self.order) == list(units):
            return
        self.order = {u: i for i, u in enumerate(units)}
        self.buckets = {}
        for f in sorted(self.folder.glob("part-*.parquet")):
            table = pq.read_table(f)
            f.unlink()
            self._write(int(f.stem.split("-")[1]), table,
                        table.column(column).to_pandas())

    def _write(self, i: int, table: Any, codes: pd.Series) -> None:
        """``part-<i>.parquet``: the rows of ``table`` sorted by bucket, a row group per
        bucket."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not len(table):  # a part of blank lines only, or a header without rows
            return
        bucket = codes.map(self.order).to_numpy(dtype=np.int64) // SPILL_UNITS
        perm = np.argsort(bucket, kind="stable")
        bucket = bucket[perm]
        table = table.take(pa.array(perm))
        cuts = np.flatnonzero(np.diff(bucket)) + 1
        starts = [0, *cuts.tolist()]
        ends = [*cuts.tolist(), len(bucket)]
        with pq.ParquetWriter(self.folder / f"part-{i:05d}.parquet", table.schema) as w:
            for rg, (a, b) in enumerate(zip(starts, ends, strict=True)):
                w.write_table(table.slice(a, b - a), row_group_size=b - a)
                self.buckets.setdefault(int(bucket[a]), []).append((i, rg))

    def unit_rows(self, column: str) -> Any:
        """``unit_rows(codes)``: the codes and CSV file rows of the rows of ``codes``, in
        file order (``column``: the file's column of unit codes)."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        def unit_rows(codes: set[str]) -> tuple[pd.Series, np.ndarray]:
            tables = [pq.read_table(f, columns=[column, ROW_COLUMN])
                      for f in sorted(self.folder.glob("part-*.parquet"))]
            t = pa.concat_tables(tables)
            t = t.filter(pc.is_in(t.column(column), value_set=pa.array(sorted(codes),
                                                                        pa.string())))
            t = t.take(pc.sort_indices(t.column(ROW_COLUMN)))
            return (t.column(column).to_pandas().reset_index(drop=True),
                    t.column(ROW_COLUMN).to_numpy())

        return unit_rows

    def groups(self, units: Sequence[str]) -> tuple[tuple[int, int], ...]:
        """The (file, row group) pairs that hold the rows of ``units``."""
        chosen = sorted({self.order[u] // SPILL_UNITS for u in units})
        return tuple(sorted(g for b in chosen for g in self.buckets.get(b, ())))


@dataclass(frozen=True)
class CsvPartReader:
    """How a task reads some units' rows of a CSV file partitioned by unit
    (:class:`CsvPartition`; picklable, small).

    Attributes
    ----------
    path : str
        The CSV file (named in every message, with its file rows).
    folder : str
        The partition's folder.
    options : dict
        Keyword arguments of :func:`gipro.panel.panel_from_table`.
    """

    path: str
    folder: str
    options: dict[str, Any]

    def read(self, groups: Sequence[tuple[int, int]], units: Sequence[str],
             meta: pd.DataFrame | None) -> Panel:
        """The panel of ``units`` from the row groups ``groups`` of the partition, their
        rows in file order.

        Raises
        ------
        InputError
            Whatever the reader finds in these rows (naming the CSV file's rows).
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        physical = _physical(self.options.get("rename"), self.options["unit"])
        tables = []
        for i, part in itertools.groupby(groups, key=lambda g: g[0]):
            t = pq.ParquetFile(Path(self.folder) / f"part-{i:05d}.parquet").read_row_groups(
                [g[1] for g in part])
            tables.append(t.filter(pc.is_in(t.column(physical),
                                            value_set=pa.array(list(units), pa.string()))))
        table = pa.concat_tables(tables)
        rows = table.column(ROW_COLUMN).to_numpy()
        order = np.argsort(rows, kind="stable")
        df = table.drop_columns([ROW_COLUMN]).take(pa.array(order)).to_pandas()
        del table, tables
        opts = dict(self.options)
        if meta is not None:
            opts["units"] = meta.reset_index()
        return panel_from_table(df, rows[order], self.path, **opts)


def _scan_csv(path: Path, spec: DataSpec, base_dir: Path | None,
              known_groups: Sequence[str], temp_dir: str | Path | None) -> BlockData:
    """A CSV file read :data:`CSV_CELLS` cells at a time (:func:`gipro.panel.read_csv_blocks`)
    and partitioned by unit (:class:`CsvPartition`): its units, periods and variables."""
    origin = str(path)
    parts = read_csv_blocks(path, spec.sep, spec.encoding, spec.skip_rows, CSV_CELLS)
    first = next(parts)
    rename = dict(spec.rename or {})
    logical = [rename.get(str(n), str(n)) for n in first[0].columns]
    lay = _layout(logical, spec, known_groups)
    if any(c not in logical for c in lay.meta_cols):
        _missing_columns(lay, logical, first[0], first[1], path)
    meta = _unit_meta(spec, base_dir)
    scan = _UnitScan(lay, spec, origin)
    # the value cells are parsed here, once, by the reader's parser (the blocks are read
    # several times: once for each pass over the data)
    fmt = NumberFormat(decimal=spec.decimal, thousands=spec.thousands,
                       na_values=tuple(spec.na_values or ()))
    numbers = ([c for c in logical if c not in set(lay.meta_cols)] if lay.form == "wide"
               else [spec.value])
    partition = CsvPartition(temp_dir)
    partition.order = scan.order  # filled as the file is read
    try:
        for i, (df, rows) in enumerate(itertools.chain([first], parts)):
            named = df.set_axis([rename.get(str(c), str(c)) for c in df.columns], axis=1)
            codes = scan.add(named, rows)[0]
            parsed = {_physical(rename, c): to_numeric(named[c], c, origin, rows, fmt,
                                                       scan.bad_cells)
                      for c in numbers if c in named.columns}
            partition.add(i, df.assign(**parsed), rows, codes)
        # the error of non-numeric cells as the whole file's (every part's cells counted)
        scan.bad_cells.check([c for c in [lay.period, *numbers] if c])
        reader = CsvPartReader(origin, str(partition.folder), lay.options)
        physical = _physical(rename, lay.unit)
        data = scan.data(path, logical, meta, reader, partition.unit_rows(physical),
                         partition=partition)
        partition.reorder(data.unit_codes, physical)
    except BaseException:
        partition.close()
        raise
    data.notes.append(f"{path} read {CSV_CELLS:,d} cells at a time and partitioned by unit "
                      "into a temporary folder (deleted at the end)")
    return data
