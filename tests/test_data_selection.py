"""Selecting data in the recipe's data section: rename, drop_rows, include_units,
exclude_units and periods; each logged, every removed unit in exclusions with its reason.
Expected values are read off the hand-made tables below."""

from __future__ import annotations

import pytest

import gipro
from gipro.errors import InputError

# OWID-style: aggregate rows (World, Asia) have no ISO code
OWID = """country,year,iso_code,co2_per_gdp,share_global
China,2019,CHN,0.6,28.0
China,2020,CHN,0.58,30.9
India,2019,IND,0.3,7.2
India,2020,IND,0.28,7.0
Japan,2019,JPN,0.2,3.0
Japan,2020,JPN,0.19,3.0
World,2019,,0.3,100
World,2020,,0.29,100
Asia,2019,,0.4,59
Asia,2020,,0.41,60
"""
FW = """code: co2
aggregates: [{code: IDX}]
indicators:
  - {code: co2_int, parent: IDX, direction: -1, unit: kg per USD}
  - {code: share_global, parent: IDX, direction: -1, unit: "%"}
"""


@pytest.fixture()
def files(tmp_path):
    (tmp_path / "owid.csv").write_text(OWID, encoding="utf-8")
    (tmp_path / "fw.yaml").write_text(FW, encoding="utf-8")
    return tmp_path


def _recipe(files, **data):
    return {"framework": str(files / "fw.yaml"),
            "data": {"path": str(files / "owid.csv"), "unit": "iso_code", "period": "year",
                     "unit_name": "country", "rename": {"co2_per_gdp": "co2_int"}, **data},
            "steps": [{"step": "normalise"}, {"step": "aggregate"}]}


def test_aggregate_rows_without_code_stop_the_run_with_the_fix(files):
    with pytest.raises(InputError, match=r"drop_rows: \{iso_code: \[''\]\}"):
        gipro.run(_recipe(files))


def test_drop_rows_rename_and_exclusions(files):
    b = gipro.run(_recipe(files, drop_rows={"iso_code": [""]}))
    assert b.panel.unit_codes == ["CHN", "IND", "JPN"]
    notes = " | ".join(b.input_notes)
    assert "columns renamed (data.rename): co2_per_gdp -> co2_int" in notes
    assert "4 rows dropped (data.drop_rows: iso_code empty): World, Asia" in notes
    ex = b.exclusions()
    assert ex["unit"].tolist() == ["World", "Asia"]
    assert ex["reason"].tolist() == [
        "rows dropped by data.drop_rows (iso_code empty): file rows 8-9",
        "rows dropped by data.drop_rows (iso_code empty): file rows 10-11"]
    assert set(ex["step"]) == {"data"}


def test_drop_rows_by_name_keeps_a_unit_with_some_rows(files):
    b = gipro.run(_recipe(files, unit="country", unit_name=None, groups=["iso_code"],
                          drop_rows={"country": ["World", "Asia"], "year": [2019]}))
    assert b.periods == [2020]
    assert b.panel.unit_codes == ["China", "India", "Japan"]
    assert "7 rows dropped (data.drop_rows: country Asia, World; year 2019)" in " ".join(
        b.input_notes)
    assert b.exclusions()["unit"].tolist() == ["World", "Asia"]


def test_include_and_exclude_units_from_codes_and_files(files):
    (files / "keep.csv").write_text("unit,comment\nCHN,a\nIND,b\n", encoding="utf-8")
    b = gipro.run(gipro.Recipe.from_dict(
        _recipe(files, drop_rows={"iso_code": [""]}, include_units="keep.csv"), base_dir=files))
    assert b.panel.unit_codes == ["CHN", "IND"]
    ex = b.exclusions().set_index("unit")["reason"]
    assert ex["JPN"] == "not in data.include_units"
    b2 = gipro.run(_recipe(files, drop_rows={"iso_code": [""]}, exclude_units=["IND"]))
    assert b2.panel.unit_codes == ["CHN", "JPN"]
    assert b2.exclusions().set_index("unit").loc["IND", "reason"] == (
        "excluded by data.exclude_units")
    # every input unit is in the results or the exclusions
    assert set(b2.results()["unit"]) | set(b2.exclusions()["unit"]) == {
        "CHN", "IND", "JPN", "World", "Asia"}


def test_selection_errors_name_the_key_and_a_near_match(files):
    with pytest.raises(InputError, match=r"data.exclude_units: unit 'chn' is not in the data "
                                         r"\(did you mean 'CHN'\?\)"):
        gipro.run(_recipe(files, drop_rows={"iso_code": [""]}, exclude_units=["chn"]))
    with pytest.raises(InputError, match=r"columns to rename not in the file"):
        gipro.run(_recipe(files, rename={"co2_per_gpd": "co2_int"}))
    with pytest.raises(InputError, match=r"drop_rows names columns not in the file"):
        gipro.run(_recipe(files, drop_rows={"iso": [""]}))


def test_periods_chosen_are_logged():
    b = gipro.Build("china-provinces-gipro")
    assert "(chosen by the recipe's periods: from 2000-2019)" in b.input_notes[1]


def test_copied_and_selected_panels_keep_what_the_reader_did(files):
    """A build from a copy (scenarios, remove-one) or a part of the read panel logs the same
    reading notes and lists the same removed units as the build that read the file."""
    b = gipro.run(_recipe(files, drop_rows={"iso_code": [""]}))
    read = b.source_panel
    for panel in (read.copy(), read.select(units=["CHN", "JPN"])):
        assert panel.notes == read.notes and panel.removed == read.removed
        assert panel.removed is not read.removed
    again = gipro.Build(_recipe(files, drop_rows={"iso_code": [""]}),
                        panel=read.copy()).run()
    assert again.input_notes == b.input_notes
    assert again.exclusions()["unit"].tolist() == ["World", "Asia"]
