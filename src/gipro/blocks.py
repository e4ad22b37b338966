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
* **Other sources** (CSV, Excel, built-in data sets, yearbook sheets, and Parquet with
  ``drop_rows``) are read whole in the process that runs the build and sent to the workers
  block by block; the build's log says so.

Unit-level checks that need every unit at once (codes that differ only by spaces or case,
units without metadata) run on the units found in the first pass, through
:class:`gipro.panel.Panel` itself; row-level checks (duplicate rows, non-numeric cells, groups
that change over time) run in the block holding the unit, naming the file row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .dataspec import DataSpec, load_data, select_units, unit_list
from .errors import InputError
from .panel import (
    Panel,
    as_codes,
    coinr_idata_columns,
    group_labels,
    measure_units,
    panel_from_table,
    parquet_frame,
    parse_periods,
    read_unit_meta,
)

__all__ = ["BlockData", "ParquetReader", "open_data"]

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
    reader : ParquetReader or None
        Reads a block's rows in a task (``None``: the data are held whole, in ``panel``).
    row_groups : dict of str to tuple of int
        Row groups of each unit (Parquet).
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
    reader: ParquetReader | None = None
    row_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
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
        groups = sorted({g for u in units for g in self.row_groups[u]})
        meta = None if self.meta is None else self.meta.loc[[u for u in units
                                                             if u in self.meta.index]]
        return (self.reader, tuple(groups), tuple(units), meta)

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


def open_data(spec: DataSpec, base_dir: Path | None, known_groups: Sequence[str] = ()
              ) -> BlockData:
    """The build's data as :class:`BlockData`: Parquet files by row groups, other sources
    read whole.

    Raises
    ------
    InputError
        As :func:`gipro.dataspec.load_data` (the unit-level checks here, the row-level ones
        when a block is read).
    """
    path = None if spec.path is None else Path(spec.path)
    if path is not None and not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if (path is None or path.suffix.lower() not in (".parquet", ".pq") or spec.drop_rows
            or not path.is_file()):
        return _whole(load_data(spec, base_dir, known_groups))
    data = _scan_parquet(path, spec, base_dir, known_groups)
    if spec.include_units is None and spec.exclude_units is None:
        return data
    # the selection's rules and notes: select_units on a panel of the units only
    skeleton = _skeleton(data)
    chosen = select_units(skeleton, unit_list(spec.include_units, base_dir, "include_units"),
                          unit_list(spec.exclude_units, base_dir, "exclude_units"))
    data.units = data.units.loc[chosen.unit_codes]
    data.notes = [*data.notes, *chosen.notes[len(skeleton.notes):]]
    data.removed = [*data.removed, *chosen.removed[len(skeleton.removed):]]
    return data


def _whole(panel: Panel) -> BlockData:
    note = ("data read whole (only Parquet files without drop_rows are read block by "
            "block of units)")
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


def _scan_parquet(path: Path, spec: DataSpec, base_dir: Path | None,
                  known_groups: Sequence[str]) -> BlockData:
    """The units, periods, variables and row groups of a Parquet file, reading its unit,
    period, name and group columns only (long form: also the indicator column)."""
    import pyarrow.parquet as pq

    origin = str(path)
    try:
        pf = pq.ParquetFile(path)
        names = [str(n) for n in pf.schema_arrow.names]
    except Exception as exc:
        raise InputError(f"cannot read {path}: it is not a readable .parquet file "
                         f"({type(exc).__name__}: {exc})") from None
    rename = dict(spec.rename or {})
    logical = [rename.get(n, n) for n in names]
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
    missing = [c for c in meta_cols if c not in logical]
    options: dict[str, Any] = dict(
        form=form, unit=unit, period=period, indicator=spec.indicator, value=spec.value,
        measure_unit=spec.measure_unit, unit_name=unit_name, groups=groups,
        indicators=None, decimal=spec.decimal, thousands=spec.thousands,
        na_values=spec.na_values, default_period=spec.default_period,
        rename=rename or None, known_groups=known_groups)
    if missing:  # the reader's own message: read the first row group as the reader would
        panel_from_table(parquet_frame(pf.read_row_group(0).to_pandas(), path)[0], 2, path,
                         **options)
        raise InputError(f"data {path} lack columns {missing}")  # pragma: no cover
    meta = None
    if spec.units is not None:
        upath = Path(spec.units)
        if not upath.is_absolute() and base_dir is not None:
            upath = base_dir / upath
        meta = read_unit_meta(upath, spec.sep, spec.encoding)
    phys = {c: next((n for n, lg in zip(names, logical, strict=True) if lg == c), c)
            for c in meta_cols}
    order: dict[str, int] = {}
    where: dict[str, list[int]] = {}
    first_rows: list[pd.DataFrame] = []
    periods: set[int] = set()
    variables: dict[str, None] = {}
    offsets: list[int] = []
    pairs: list[pd.DataFrame] = []
    row = 1
    for g in range(pf.num_row_groups):
        offsets.append(row)
        raw = pf.read_row_group(g, columns=[phys[c] for c in dict.fromkeys(meta_cols)]
                                ).to_pandas()
        df, rows = parquet_frame(raw, path, row)
        df.columns = [rename.get(c, c) for c in df.columns]
        row += len(df)
        codes = as_codes(df[unit], unit, origin, rows)
        if period:
            periods.update(parse_periods(df[period], period, origin, rows).unique().tolist())
        if form == "long":
            inds = as_codes(df[spec.indicator], spec.indicator, origin, rows)
            variables.update(dict.fromkeys(inds.unique().tolist()))
            if spec.measure_unit:
                pairs.append(pd.DataFrame({spec.indicator: inds, spec.measure_unit:
                                           df[spec.measure_unit]}).drop_duplicates())
        first = np.flatnonzero(~codes.duplicated().to_numpy())
        uniq = codes.to_numpy(dtype=object)[first]
        new = np.array([u not in order for u in uniq], dtype=bool)
        for u in uniq:
            where.setdefault(u, []).append(g)
        for u in uniq[new]:
            order[u] = len(order)
        if unit_name or groups:
            part = df.iloc[first[new]][[c for c in [unit_name, *groups] if c]].copy()
            part.index = uniq[new]
            first_rows.append(part)
    if period is None:
        periods = {int(spec.default_period)} if spec.default_period is not None else set()
    if not order:
        raise InputError(f"no data rows in {path}")
    codes_all = list(order)
    if form == "wide":
        skip = set(meta_cols)
        variables = dict.fromkeys(c for c in logical if c not in skip)
    units_meta = meta
    if units_meta is None and (unit_name or groups):
        firsts = pd.concat(first_rows)
        firsts = firsts.loc[~firsts.index.duplicated()].reindex(codes_all)
        for gcol in groups:
            firsts[gcol] = group_labels(firsts[gcol])
        if unit_name:
            firsts = firsts.rename(columns={unit_name: "name"})
        units_meta = firsts
    # unit-level rules (codes, metadata) through the Panel of one row per unit
    skeleton_index = pd.MultiIndex.from_arrays(
        [codes_all, [min(periods) if periods else 0] * len(codes_all)],
        names=["unit", "period"])
    skeleton = Panel(pd.DataFrame(index=skeleton_index), units=units_meta, origin=origin)
    reader = ParquetReader(str(path), {**options, "sep": spec.sep, "encoding": spec.encoding},
                           tuple(offsets))
    ind_units = (measure_units(pd.concat(pairs), spec.indicator, spec.measure_unit, origin)
                 if pairs and spec.measure_unit else {})
    return BlockData(origin, skeleton.units, sorted(periods), list(variables), ind_units,
                     notes, [], reader, {u: tuple(v) for u, v in where.items()}, None,
                     None if meta is None else meta.loc[[u for u in meta.index if u in order]])
