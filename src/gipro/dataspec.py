"""Where data come from: a built-in data set or a file (used by recipes and by steps that read
a second table, e.g. the denominators of the ``denominate`` step)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import datasets as _datasets
from .errors import InputError
from .panel import Panel, read_panel, read_table
from .suggest import near_match

__all__ = ["DataSpec", "YearbookSheet", "YearbookSpec", "load_data", "select_units",
           "unit_list"]


class YearbookSheet(BaseModel):
    """One yearbook sheet of a recipe's ``data: {yearbook: {sheets: [...]}}`` (the arguments of
    :func:`gipro.yearbook.read_yearbook`)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    sheet: str | int | None = None
    layout: Literal["auto", "region_by_year", "region_by_indicator"] = "auto"
    indicator: str | None = None
    period: int | None = None
    encoding: str = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    unit: str | None = None
    drop_rows: list[str] = Field(default_factory=list)


class YearbookSpec(BaseModel):
    """Yearbook sheets merged into one panel (:func:`gipro.yearbook.read_yearbooks`).

    Attributes
    ----------
    sheets : list of YearbookSheet
        Each a region x year sheet (one ``indicator``) or a region x indicator sheet (one
        ``period``), CSV or Excel.
    codes : {"gipro", "gb", "letters"}
        Unit codes: gipro's (``Beijing``), GB/T 2260 (``110000``) or two-letter (``BJ``).
    """

    model_config = ConfigDict(extra="forbid")

    sheets: list[YearbookSheet] = Field(min_length=1)
    codes: Literal["gipro", "gb", "letters"] = "gipro"


class DataSpec(BaseModel):
    """Where the panel data come from: a built-in data set or a file.

    Attributes
    ----------
    dataset : str, optional
        Built-in data set name (see :func:`gipro.datasets.available`).
    yearbook : YearbookSpec, optional
        Yearbook sheets (region x year or region x indicator tables) merged into one panel.
    path : str, optional
        CSV/Excel/Parquet file (relative paths are resolved against the recipe's folder).
    form, unit, period, indicator, value, measure_unit, unit_name, groups, units, sheet, sep,
    decimal, thousands, na_values, encoding, skip_rows :
        Reader options, see :func:`gipro.panel.read_panel`. ``units`` is a *file* of unit
        metadata; the column of unit codes is ``unit``.
    default_period : int, optional
        For one-period (cross-sectional) wide data without a period column: the period the
        values are for, e.g. ``default_period: 2020`` (then no period column is looked for
        unless ``period`` is given).
    rename : mapping of str to str
        Columns renamed before anything else (``{co2_per_gdp: co2_int}``).
    drop_rows : mapping of column to list of values
        Rows dropped before reading, by a column's values (``{iso_code: [""]}``: rows
        without a code, such as OWID's World and Asia; ``{region: [全国]}``).
    include_units, exclude_units : list of str or str
        Units kept or left out, as codes or a file (CSV/Excel: its ``unit`` column, else its
        first column; relative to the recipe's folder). Every unit left out is listed in
        ``exclusions.csv`` with the reason.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    dataset: str | None = None
    path: str | None = None
    yearbook: YearbookSpec | None = None
    form: Literal["auto", "long", "wide"] = "auto"
    unit: str = "unit"
    period: str | None = "period"
    indicator: str = "indicator"
    value: str = "value"
    measure_unit: str | None = None
    unit_name: str | None = None
    groups: list[str] = Field(default_factory=list)
    units: str | None = None
    sheet: str | int | None = None
    sep: str | None = None
    decimal: Literal[".", ","] = "."
    thousands: str | None = None
    na_values: list[str] | None = None
    encoding: str = "utf-8-sig"
    skip_rows: int = Field(0, ge=0)
    default_period: int | None = None
    rename: dict[str, str] = Field(default_factory=dict)
    drop_rows: dict[str, list[str | int | float | None]] = Field(default_factory=dict)
    include_units: list[str] | str | None = None
    exclude_units: list[str] | str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if sum(x is not None for x in (self.dataset, self.path, self.yearbook)) != 1:
            raise ValueError("give exactly one of 'dataset' (built-in), 'path' (a file) or "
                             "'yearbook' (yearbook sheets)")
        if self.dataset is not None and (self.rename or self.drop_rows):
            raise ValueError("rename and drop_rows apply to a file (path:); a built-in data "
                             "set has fixed columns (select units with include_units or "
                             "exclude_units)")
        return self


def load_data(spec: DataSpec, base_dir: Path | None = None,
              known_groups: Sequence[str] = ()) -> Panel:
    """Read the panel described by ``spec`` (relative paths against ``base_dir``), then keep
    the units ``include_units`` / ``exclude_units`` select (:func:`select_units`).

    ``known_groups`` are the group columns the framework declares (COINr iMeta ``Type``
    Group), used when the file is a COINr iData table.

    Raises
    ------
    InputError
        Unknown data set, unreadable file, or invalid contents (see
        :func:`gipro.panel.read_panel`), or units to select that are not in the data.
    """
    panel = _read(spec, base_dir, known_groups)
    if spec.include_units is None and spec.exclude_units is None:
        return panel
    return select_units(panel, unit_list(spec.include_units, base_dir, "include_units"),
                        unit_list(spec.exclude_units, base_dir, "exclude_units"))


def unit_list(value: list[str] | str | None, base_dir: Path | None, key: str
              ) -> list[str] | None:
    """Unit codes given as a list, or as a file (its ``unit`` column, else its first column).

    Raises
    ------
    InputError
        An unreadable file, or one without rows.
    """
    if value is None or isinstance(value, list):
        return value
    path = Path(value)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    table, _ = read_table(path)
    col = "unit" if "unit" in table.columns else table.columns[0]
    codes = [str(v).strip() for v in table[col] if v is not None and str(v).strip()]
    if not codes:
        raise InputError(f"data.{key}: no unit codes in column {col!r} of {path}")
    return codes


def select_units(panel: Panel, include: list[str] | None, exclude: list[str] | None
                 ) -> Panel:
    """The panel without the units not in ``include`` or in ``exclude``; each left-out unit
    is added to :attr:`Panel.removed` with the reason, and a note says how many.

    Raises
    ------
    InputError
        A unit to include or exclude that is not in the data (with a near match), or a
        selection that leaves no unit.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.MultiIndex.from_tuples(
    ...     [("BJ", 2020), ("TJ", 2020), ("SH", 2020)]))
    >>> p = select_units(Panel(v), None, ["TJ"])
    >>> p.unit_codes, p.removed[0]["reason"]
    (['BJ', 'SH'], 'excluded by data.exclude_units')
    """
    have = panel.unit_codes
    problems = []
    for key, codes in (("include_units", include), ("exclude_units", exclude)):
        for c in codes or []:
            if c not in set(have):
                hit = near_match(c, have)
                problems.append(f"data.{key}: unit {c!r} is not in the data"
                                + (f" (did you mean {hit[0]!r}?)" if hit else ""))
    if problems:
        where = f" ({panel.origin})" if panel.origin else ""
        raise InputError(f"units to select not in the data{where}", problems)
    keep = [u for u in have if (include is None or u in set(include))
            and u not in set(exclude or [])]
    if not keep:
        raise InputError("data.include_units and data.exclude_units leave no unit to build")
    removed = [{"unit": u, "reason": ("excluded by data.exclude_units" if u in set(exclude or [])
                                      else "not in data.include_units")}
               for u in have if u not in set(keep)]
    out = panel.select(units=keep)
    out.notes = [*panel.notes,
                 f"{len(removed)} of {len(have)} units left out by data.include_units / "
                 f"exclude_units: {', '.join(r['unit'] for r in removed[:10])}"
                 + (" ..." if len(removed) > 10 else "")]
    out.removed = [*panel.removed, *removed]
    return out


def _read(spec: DataSpec, base_dir: Path | None, known_groups: Sequence[str]) -> Panel:
    if spec.dataset is not None:
        return _datasets.load(spec.dataset)
    if spec.yearbook is not None:
        from .yearbook import read_yearbooks

        codes = spec.yearbook.codes
        return read_yearbooks([{**s.model_dump(), "codes": codes}
                               for s in spec.yearbook.sheets], base_dir=base_dir)
    assert spec.path is not None  # one source (validated)
    path = Path(spec.path)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    units = spec.units
    if units is not None and not Path(units).is_absolute() and base_dir is not None:
        units = str(base_dir / units)
    return read_panel(
        path,
        form=spec.form,
        unit=spec.unit,
        # default_period alone means one-period data: no period column is looked for
        period=(None if spec.default_period is not None and "period" not in spec.model_fields_set
                else spec.period),
        indicator=spec.indicator,
        value=spec.value,
        measure_unit=spec.measure_unit,
        unit_name=spec.unit_name,
        groups=spec.groups,
        units=units,
        sheet=spec.sheet,
        sep=spec.sep,
        decimal=spec.decimal,
        thousands=spec.thousands,
        na_values=spec.na_values,
        encoding=spec.encoding,
        skip_rows=spec.skip_rows,
        default_period=spec.default_period,
        rename=spec.rename or None,
        drop_rows=spec.drop_rows or None,
        known_groups=known_groups,
    )
