"""Where data come from: a built-in data set or a file (used by recipes and by steps that read
a second table, e.g. the denominators of the ``denominate`` step)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import datasets as _datasets
from .panel import Panel, read_panel

__all__ = ["DataSpec", "load_data"]


class DataSpec(BaseModel):
    """Where the panel data come from: a built-in data set or a file.

    Attributes
    ----------
    dataset : str, optional
        Built-in data set name (see :func:`gipro.datasets.available`).
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
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    dataset: str | None = None
    path: str | None = None
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

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.dataset is None) == (self.path is None):
            raise ValueError("give exactly one of 'dataset' (built-in) or 'path' (a file)")
        return self


def load_data(spec: DataSpec, base_dir: Path | None = None) -> Panel:
    """Read the panel described by ``spec`` (relative paths against ``base_dir``).

    Raises
    ------
    InputError
        Unknown data set, unreadable file, or invalid contents (see
        :func:`gipro.panel.read_panel`).
    """
    if spec.dataset is not None:
        return _datasets.load(spec.dataset)
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
    )
