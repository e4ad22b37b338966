"""Hostile-input trial 5f: % indicators saved as fractions, unit codes that look alike, and
total rows (docs/bad-input.md). Expected texts and numbers are worked by hand next to each
assertion; nothing here was pasted from gipro's output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import gipro
from gipro.cli import app
from gipro.errors import InputError
from gipro.panel import Panel, fraction_warnings, read_panel, total_row_warnings
from gipro.parks import ParkData, read_park_data
from gipro.suggest import code_clashes, fold_code, hidden_characters, near_match
from gipro.units import fraction_like

FW = {"code": "t5", "aggregates": [{"code": "IDX"}],
      "indicators": [{"code": "co2_int", "parent": "IDX", "unit": "t", "direction": -1},
                     {"code": "water_reuse", "parent": "IDX", "unit": "%", "direction": 1}]}

# water_reuse (%): Hebei saved as fractions (Excel % cells), the others in per cent
ROWS = [("Beijing", 2015, 2.3, 92.8), ("Beijing", 2016, 3.8, 64.0),
        ("Tianjin", 2015, 1.7, 85.5), ("Tianjin", 2016, 2.1, 56.0),
        ("Hebei", 2015, 4.0, 0.64), ("Hebei", 2016, 3.5, 0.70)]


def write_case(tmp: Path, rows=ROWS, fw=FW, units=None, name="d.csv") -> Path:
    lines = ["region,year,co2_int,water_reuse"] + [",".join(map(str, r)) for r in rows]
    (tmp / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp / "fw.yaml").write_text(yaml.safe_dump(fw, allow_unicode=True), encoding="utf-8")
    recipe = {"framework": "fw.yaml",
              "data": {"path": name, "form": "wide", "unit": "region", "period": "year"},
              "steps": [{"step": "normalise", "method": "minmax", "range": [0, 100]},
                        {"step": "aggregate", "method": "arithmetic"}]}
    if units:
        recipe["units"] = units
    (tmp / "r.yaml").write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    return tmp / "r.yaml"


def warnings_of(build) -> list[str]:
    return [n for n in build.input_notes if n.startswith("WARNING")]


# ---------------------------------------------------------------- 1. fractions in a % column
def test_fraction_rule_is_shared_with_park_data():
    # hand: [0.2, 0.64] all within [0, 1], largest > 0 -> flagged; all zeros -> not;
    # a negative value -> not; 1.5 -> not
    assert fraction_like([0.2, 0.0, -0.1, 0.3], [0.64, 0.0, 0.5, 1.5]).tolist() == [
        True, False, False, False]
    import inspect

    from gipro.parks import engine
    assert "fraction_like(" in inspect.getsource(engine._fraction_checks)


def test_percent_indicator_with_a_unit_in_fractions_warns_and_keeps_values(tmp_path):
    b = gipro.Build(write_case(tmp_path)).run()
    (w,) = warnings_of(b)
    # hand: Hebei's largest 0.70; the other units' smallest 56.0 >= 10 x 0.70, largest 92.8
    assert w.startswith("WARNING: water_reuse is in % but every value of Hebei (2015-2016) "
                        "is within [0, 1] (largest 0.7) while every value of the other "
                        "units is at least 10 times that (56 to 92.8)")
    assert "multiply them by 100" in w and "gipro does not rescale" in w
    raw = b.data("raw")["water_reuse"]
    assert raw[("Hebei", 2015)] == 0.64 and raw[("Hebei", 2016)] == 0.70  # not changed
    out = tmp_path / "out"
    b.write(out)
    log = yaml.safe_load((out / "log.yaml").read_text(encoding="utf-8"))
    assert w in log["input"]


def test_gipro_run_prints_the_data_warning(tmp_path):
    r = CliRunner().invoke(app, ["run", str(write_case(tmp_path)), "--out",
                                 str(tmp_path / "o")], terminal_width=400)
    assert r.exit_code == 0, r.output
    assert "data: WARNING: water_reuse is in % but every value of Hebei" in r.output


def test_excel_percent_cells_warn(tmp_path):
    """The trial's file: Hebei's cells are Excel % cells (0.64 shown as 64%)."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["region", "year", "co2_int", "water_reuse"])
    for r in ROWS:
        ws.append(list(r))
        if r[0] == "Hebei":
            ws.cell(ws.max_row, 4).number_format = "0%"
    wb.save(tmp_path / "d.xlsx")
    rec = yaml.safe_load(write_case(tmp_path).read_text(encoding="utf-8"))
    rec["data"]["path"] = "d.xlsx"
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(rec), encoding="utf-8")
    (w,) = warnings_of(gipro.Build(tmp_path / "x.yaml"))
    assert "every value of Hebei (2015-2016) is within [0, 1] (largest 0.7)" in w


def test_small_real_percentages_are_not_flagged(tmp_path):
    """R&D spending 0.96 % next to 1.003 % and 4.2 % (ASEM's RDExp): no gap of 10x
    (hand: 1.003 < 10 x 0.96), no warning."""
    rows = [("A", 2018, 1.0, 0.96), ("B", 2018, 2.0, 1.003), ("C", 2018, 3.0, 4.2)]
    assert warnings_of(gipro.Build(write_case(tmp_path, rows))) == []


def test_whole_percent_column_within_0_1_warns(tmp_path):
    rows = [("A", 2018, 1.0, 0.5), ("B", 2018, 2.0, 0.9), ("C", 2018, 3.0, 0.0)]
    (w,) = warnings_of(gipro.Build(write_case(tmp_path, rows)))
    # hand: largest 0.9, 3 units with a value
    assert ("water_reuse is in % but every value of every unit is within [0, 1] (largest "
            "0.9, 3 units)") in w


def test_fractions_in_an_indicator_not_in_percent_are_not_flagged(tmp_path):
    fw = {**FW, "indicators": [FW["indicators"][0],
                               {**FW["indicators"][1], "unit": "m3 per t"}]}
    assert warnings_of(gipro.Build(write_case(tmp_path, fw=fw))) == []


@given(st.lists(st.tuples(st.floats(0, 200), st.floats(0, 200)), min_size=2, max_size=6))
def test_flagged_units_have_every_value_within_0_1(pairs):
    idx = pd.MultiIndex.from_tuples([(f"U{i}", p) for i in range(len(pairs)) for p in (1, 2)])
    v = pd.DataFrame({"x": [x for pr in pairs for x in pr]}, index=idx)
    panel = Panel(v)
    for w in fraction_warnings(panel, {"x": "%"}):
        if "every value of every unit" in w:
            assert v["x"].max() <= 1
            continue
        named = w.split("every value of ")[1].split(" is within")[0]
        for part in named.split("), "):
            unit = part.split(" (")[0]
            assert v.loc[unit, "x"].between(0, 1).all()


# ---------------------------------------------------------------- 2. codes that look alike
ALIKE = {"beijing": "unit code 'beijing' (row 3) differs from 'Beijing' (rows 2, 4) only in "
                    "case or width",
         "Ｂeijing": "unit code 'Ｂeijing' (row 3) differs from 'Beijing' (rows 2, 4) only "
                    "in case or width",
         "Beijing\u200b": "unit code 'Beijing\\u200b' (row 3) holds an invisible character "
                         "(U+200B ZERO WIDTH SPACE)",
         "Bei\x00jing": "unit code 'Bei\\x00jing' (row 3) holds an invisible character "
                        "(U+0000 (control))"}


@pytest.mark.parametrize("code", list(ALIKE))
@pytest.mark.parametrize("form", ["wide", "long"])
def test_unit_codes_alike_are_an_error_naming_codes_and_rows(tmp_path, code, form):
    if form == "wide":
        text = f"region,year,x\nBeijing,2015,1\n{code},2016,2\nBeijing,2017,3\nHebei,2015,4\n"
    else:
        text = (f"region,year,indicator,value\nBeijing,2015,x,1\n{code},2016,x,2\n"
                "Beijing,2017,x,3\nHebei,2015,x,4\n")
    p = tmp_path / "d.csv"
    p.write_bytes(text.encode("utf-8"))
    with pytest.raises(InputError) as e:
        read_panel(p, form=form, unit="region", period="year")
    assert e.value.message == (f"unit codes in column 'region' in {p} that look alike but "
                               "differ")
    assert e.value.details[0] == ALIKE[code]
    assert any(d.startswith(("write each code the same way", "delete the invisible"))
               for d in e.value.details[1:])


def test_unit_metadata_codes_alike_are_an_error(tmp_path):
    (tmp_path / "d.csv").write_text("region,year,x\nBeijing,2015,1\nHebei,2015,2\n")
    (tmp_path / "u.csv").write_text("unit,name\nBeijing,Beijing\nHebei,Hebei\nHEBEI,Hebei\n")
    with pytest.raises(InputError, match="unit codes in column 'unit'") as e:
        read_panel(tmp_path / "d.csv", unit="region", period="year", units=tmp_path / "u.csv")
    assert e.value.details[0] == ("unit code 'HEBEI' (row 4) differs from 'Hebei' (row 3) "
                                  "only in case or width")


def test_panel_from_a_dataframe_refuses_codes_alike():
    v = pd.DataFrame({"x": [1.0, 2.0]},
                     index=pd.MultiIndex.from_tuples([("Beijing", 1), ("BEIJING", 2)]))
    with pytest.raises(InputError, match="invalid unit codes") as e:
        Panel(v)
    assert e.value.details == ["unit code 'BEIJING' differs from 'Beijing' only in case or "
                               "width"]


def test_distinct_codes_and_surrounding_tabs_are_left_to_other_checks():
    assert code_clashes(["R-01", "R01", "Beijing"], [2, 3, 4]) == []
    assert hidden_characters("Inner Mongolia") == []
    assert code_clashes(["Beijing\t"], [2]) == []  # surrounding whitespace: its own error
    assert fold_code("Ｂeijing") == "beijing"
    assert near_match("Ｂeijing", ["Beijing", "Hebei"]) == ("Beijing", "fold")


_CODE_CHARS = st.sampled_from(["a", "A", "ß", "SS", "ss", "Ｂ", "b", "\u0301", "é", "e",
                                "\u200b", "\x00", "\t", " ", "-", "北", "ﬁ", "fi", "İ"])


@given(st.lists(st.lists(_CODE_CHARS, max_size=4).map("".join), max_size=8))
def test_code_clashes_fast_path_agrees_with_the_rules(codes):
    """The joined-text check finds a problem exactly when the two rules, applied code by
    code, do: an invisible character inside a stripped code, or two distinct codes equal
    after NFKC + case folding."""
    from gipro.suggest import fold_identity

    uniq = list(dict.fromkeys(codes))
    expected = (any(hidden_characters(c.strip()) for c in uniq)
                or len({fold_identity(c) for c in uniq}) < len(uniq))
    assert (code_clashes(codes) != []) == expected
    assert (code_clashes(codes, alike=False) != []) == any(hidden_characters(c.strip())
                                                           for c in uniq)


def park_long(codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"park": codes, "year": [2020 + i for i in range(len(codes))],
                         "indicator": "industrial_land_km2", "value": 12.0})


def test_park_codes_alike_are_an_error():
    with pytest.raises(InputError, match="park codes that look alike but differ") as e:
        ParkData.from_long(park_long(["PARK-S", "park-s", "PARK-S"]))
    assert e.value.details[0] == ("park code 'park-s' (row 3) differs from 'PARK-S' "
                                  "(rows 2, 4) only in case or width")


def test_park_not_in_the_park_attributes_is_an_error(tmp_path):
    (tmp_path / "indicators.csv").write_text(
        "park,year,indicator,value\npark-s,2020,industrial_land_km2,12\n")
    (tmp_path / "parks.csv").write_text("park,name\nPARK-S,South park\n")
    with pytest.raises(InputError) as e:
        read_park_data(tmp_path)
    assert e.value.message.startswith("parks in the data in ")
    assert e.value.message.endswith("but not in the park attributes (parks.csv): 'park-s'")
    assert e.value.details[0] == ("'park-s' differs from 'PARK-S' only in case, width, spaces "
                                  "or punctuation")


# ---------------------------------------------------------------- 3. total rows
@pytest.mark.parametrize("total", ["全国", "All provinces", "Total", "World", "合计"])
def test_total_row_warns_and_says_how_to_exclude(tmp_path, total):
    rows = [*ROWS[:4], (total, 2015, 2.0, 70.0), (total, 2016, 3.0, 60.0)]
    (w,) = warnings_of(gipro.Build(write_case(tmp_path, rows)))
    # hand: 3 units, one of them the total -> "the 2 other units"
    assert w == (f"WARNING: unit {total} looks like a total or aggregate row: it is "
                 "normalised, aggregated and ranked with the units it sums (it widens the "
                 "bounds and may rank first). If it is a total, leave it out: list the 2 "
                 "other units in the recipe's units:, or remove its rows from the data")


def test_total_row_found_by_name_and_not_when_left_out(tmp_path):
    v = pd.DataFrame({"x": [1.0, 2.0, 3.0]},
                     index=pd.MultiIndex.from_tuples([("BJ", 1), ("HE", 1), ("CN", 1)]))
    units = pd.DataFrame({"name": ["Beijing", "Hebei", "Grand total"]},
                         index=pd.Index(["BJ", "HE", "CN"], name="unit"))
    (w,) = total_row_warnings(Panel(v, units=units))
    assert w.startswith("WARNING: unit CN (Grand total) looks like a total")
    rows = [*ROWS[:4], ("全国", 2015, 2.0, 70.0), ("全国", 2016, 3.0, 60.0)]
    b = gipro.Build(write_case(tmp_path, rows, units=["Beijing", "Tianjin"]))
    assert warnings_of(b) == []


@pytest.mark.parametrize("name", ["National Capital Region", "Totalia", "Inner Mongolia",
                                  "Hall", "Beijing"])
def test_ordinary_unit_names_are_not_totals(name):
    v = pd.DataFrame({"x": [1.0, 2.0]},
                     index=pd.MultiIndex.from_tuples([(name, 1), ("Hebei", 1)]))
    assert total_row_warnings(Panel(v)) == []


def test_builtin_data_have_no_data_warning():
    assert warnings_of(gipro.Build()) == []


@given(st.lists(st.tuples(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 10.0, 9.99, 100.0,
                                          -25.0, 1e308, -1e308, 5e-324, float("nan"),
                                          float("inf")]),
                          st.sampled_from([0.0, 2.0, -2.0, 20.0, 0.1, 0.05, 1e307, -1e-323,
                                           float("nan"), float("-inf")])), min_size=1))
def test_jumps_is_the_rule_cell_by_cell(pairs):
    """jumps(): both values non-zero, of one sign, the larger at least 10 times the smaller
    (magnitudes); NaN is no jump -- checked against the rule written out per cell."""
    from gipro.units import jumps

    a, b = (np.array(x, dtype=float) for x in zip(*pairs, strict=True))

    def rule(x: float, y: float) -> bool:
        if x != x or y != y or x == 0 or y == 0 or (x > 0) != (y > 0):
            return False
        lo, hi = sorted((abs(x), abs(y)))
        return hi / 10.0 >= lo

    assert jumps(a, b).tolist() == [rule(x, y) for x, y in pairs]
    assert jumps(b, a).tolist() == [rule(y, x) for x, y in pairs]
