"""Real data sets shipped with gipro.

``china_provinces`` -- 30 Chinese provinces x 2000-2019, 17 variables: population, GDP (nominal
and at 2015 prices), CO2 of the whole economy, industry, manufacturing, power and heat, cement
process, coal and heavy-industry shares, carbon intensities and per-capita emissions. Built from
CEADs provincial CO2 inventories, NBS population and GDP (via gcam-china and an NBS
transcription) and the World Bank GDP deflator; see ``NOTICE`` in this folder for sources,
terms and the citations the data providers ask for, and the caveats in
:func:`china_provinces`.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from ..errors import InputError
from ..panel import Panel

__all__ = [
    "available",
    "china_provinces",
    "china_provinces_co2_sectors",
    "china_provinces_notes",
    "load",
    "notice",
]


def _read(name: str, **kwargs) -> pd.DataFrame:
    with resources.as_file(resources.files("gipro") / "datasets" / "data" / name) as p:
        return pd.read_csv(p, **kwargs)


def china_provinces() -> Panel:
    """China's 30 provinces (no Tibet, Hong Kong, Macao, Taiwan), 2000-2019, 17 variables.

    Returns
    -------
    Panel
        600 unit-periods (30 x 20); unit codes in CEADs spelling (``InnerMongolia``); unit
        metadata ``name``, ``name_zh`` and ``region`` (NBS East / Central / West / Northeast);
        ``indicator_units`` gives each variable's measurement unit.

    Notes
    -----
    Caveats (full list in the source folder's ``SOURCE.md``, summarised in ``NOTICE``):

    * CO2 is missing for Ningxia 2000-2002 and Hainan 2002 (no CEADs energy balance).
    * CEADs levels jump in several provinces before 2006 (energy-balance revisions); 2006-2019
      is the consistent span.
    * GDP: 2000-2008 revised historical series, 2009-2017 as first published, 2018-2019 on the
      4th-economic-census basis -- the 2017->2018 step mixes revision with growth. Real GDP uses
      the *national* deflator. Population has definition breaks in 2005 and 2010.
    * Industrial CO2 intensity is per unit of *total* GDP: no industrial value added was
      available. No water, waste, pollution or employment variables.
    """
    values = _read("china_provinces.csv")
    units = _read("china_provinces_units.csv").set_index("unit")
    variables = _read("china_provinces_variables.csv")
    panel = Panel.from_wide(values, unit="unit", period="period", units=units,
                            origin="gipro dataset china_provinces")
    panel.indicator_units = dict(zip(variables["code"], variables["unit"], strict=True))
    return panel


def china_provinces_co2_sectors() -> pd.DataFrame:
    """CO2 of China's 30 provinces by sector group, 2000-2019 (CEADs, Mt CO2).

    A compact companion of :func:`china_provinces` for index decomposition (LMDI) by sector:
    CEADs' 47 sectors summed into nine groups -- ``agriculture``, ``heavy_industry`` (ferrous
    and non-ferrous smelting, non-metal mineral products, raw chemicals, petroleum processing
    and coking), ``other_industry`` (the other 32 mining and manufacturing sectors),
    ``power_heat``, ``gas_water``, ``construction``, ``transport``, ``services`` (trade,
    catering and others) and ``households`` (urban and rural). Built by
    ``scripts/build_ceads_sectors_dataset.py`` from the CEADs inventories (sources and terms
    in ``NOTICE``).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``unit, period, sector, co2`` (Mt CO2, territorial scope 1 incl. cement
        process), 30 x 20 x 9 rows. The groups add up to the panel's ``co2_total`` within
        0.0011 Mt; ``heavy_industry + other_industry`` is its ``co2_industry`` and
        ``power_heat`` its ``co2_power_heat``. Ningxia 2000-2002 and Hainan 2002 are missing
        (NaN: no CEADs energy balance), as in the panel. A sector with no emissions is 0.
    """
    wide = _read("china_provinces_co2_sectors.csv")
    long = wide.melt(id_vars=["unit", "period"], var_name="sector", value_name="co2")
    order = {u: i for i, u in enumerate(dict.fromkeys(wide["unit"]))}
    sec = {s: i for i, s in enumerate(wide.columns[2:])}
    long = long.sort_values(["unit", "period", "sector"], key=lambda c: c.map(order) if
                            c.name == "unit" else (c.map(sec) if c.name == "sector" else c))
    return long.reset_index(drop=True)


def china_provinces_notes() -> pd.DataFrame:
    """Source notes for cells that differ from their variable's usual source.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, period, variable, note`` (GDP vintages; the corrected Heilongjiang 2013
        population).
    """
    return _read("china_provinces_cell_notes.csv")


def variables(name: str = "china_provinces") -> pd.DataFrame:
    """Measurement unit and source of each variable of a built-in data set."""
    if name != "china_provinces":
        raise InputError(f"unknown built-in data set {name!r}; available: {available()}")
    return _read("china_provinces_variables.csv")


_LOADERS = {"china_provinces": china_provinces}


def available() -> list[str]:
    """Names of the built-in data sets."""
    return sorted(_LOADERS)


def load(name: str) -> Panel:
    """Load a built-in data set by name.

    Raises
    ------
    InputError
        If the name is unknown.
    """
    try:
        return _LOADERS[name]()
    except KeyError:
        raise InputError(f"unknown built-in data set {name!r}; available: {available()}") from None


def notice() -> str:
    """Text of the NOTICE file: sources, licences and citations of the shipped data."""
    return (resources.files("gipro") / "datasets" / "NOTICE").read_text(encoding="utf-8")
