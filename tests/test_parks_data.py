"""Park data reader (gipro.parks.read_park_data): reader options and park codes.

Expected values are hand-written: each file below is small, and the numbers the reader must
return are the numbers written in it (e.g. "1.234,5" with decimal "," and thousands "." is
1234.5). File row numbers in messages count the header (and any comment line) as rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gipro.cli import app
from gipro.errors import InputError
from gipro.parks import read_park_data
from gipro.parks.data import ParkData, park_codes

runner = CliRunner()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def values(d: ParkData) -> dict[tuple[str, str], float]:
    return {(r.park, r.indicator): r.value for r in d.values.itertuples()}


# ---------------------------------------------------------------- reader options
def test_european_csv_with_separator_decimal_and_thousands(tmp_path):
    p = write(tmp_path / "p.csv", "park;year;indicator;value\n"
                                  "A;2020;water_per_iva;7,5\n"
                                  "A;2020;energy_per_iva;1.234,5\n"
                                  "B;2020;energy_elasticity;-0,25\n")
    d = read_park_data(p, sep=";", decimal=",", thousands=".")
    assert values(d) == {("A", "energy_per_iva"): 1234.5, ("A", "water_per_iva"): 7.5,
                         ("B", "energy_elasticity"): -0.25}


def test_ambiguous_number_is_an_error_naming_park_and_row(tmp_path):
    """'1.234,5' with decimal ',' but no thousands separator could be 1.2345 or 1234.5: an
    error (the panel reader's rule), naming park, year, indicator and the file row."""
    p = write(tmp_path / "p.csv", "park;year;indicator;value\n"
                                  "A;2020;water_per_iva;7,5\n"
                                  "A;2020;energy_per_iva;1.234,5\n")
    with pytest.raises(InputError, match="non-numeric values of numeric indicators") as err:
        read_park_data(p, sep=";", decimal=",")
    assert err.value.details[0] == "A, 2020, energy_per_iva: '1.234,5' (row 3)"
    assert any("thousands" in d for d in err.value.details[1:])


def test_number_format_options_are_checked(tmp_path):
    p = write(tmp_path / "p.csv", "park,year,indicator,value\nA,2020,water_per_iva,7\n")
    with pytest.raises(InputError, match="decimal mark must be"):
        read_park_data(p, decimal=";")
    with pytest.raises(InputError, match="thousands separator ',' is not usable"):
        read_park_data(p, decimal=",", thousands=",")


def test_semicolon_file_without_the_option_says_which_option(tmp_path):
    p = write(tmp_path / "p.csv", "park;year;indicator;value\nA;2020;water_per_iva;7,5\n")
    with pytest.raises(InputError, match="semicolon-separated") as err:
        read_park_data(p)
    assert "--sep ';'" in err.value.details[0] and "--decimal ','" in err.value.details[0]


def test_wide_form_with_missing_marker_and_row_numbers(tmp_path):
    """Wide form: 'n.a.' is missing when listed in na_values (no row, never 0); a bad cell is
    reported with its file row (the '#' comment line above the header counts)."""
    text = ("# my park survey\npark;year;water_per_iva;energy_per_iva\n"
            "A;2020;7,5;0,3\nB;2020;8;n.a.\n")
    d = read_park_data(write(tmp_path / "w.csv", text), sep=";", decimal=",",
                       na_values=["n.a."])
    assert values(d) == {("A", "energy_per_iva"): 0.3, ("A", "water_per_iva"): 7.5,
                         ("B", "water_per_iva"): 8.0}
    assert d.park_codes == ["A", "B"]
    with pytest.raises(InputError) as err:  # without na_values 'n.a.' is not a number
        read_park_data(write(tmp_path / "w.csv", text), sep=";", decimal=",")
    assert err.value.details[0] == "B, 2020, energy_per_iva: 'n.a.' (row 4)"


def test_gbk_encoding_and_chinese_yes_no(tmp_path):
    """A file saved by Excel on Chinese Windows (GBK): read with encoding='gbk'; '是' is yes."""
    folder = tmp_path / "gbk"
    write(folder / "indicators.csv", "park,year,indicator,value\n"
                                     "园区甲,2021,central_wwtp,是\n园区甲,2021,water_per_iva,6\n",
          encoding="gbk")
    write(folder / "parks.csv", "park,name\n园区甲,某某经济技术开发区\n", encoding="gbk")
    with pytest.raises(InputError, match="not utf-8-sig text"):
        read_park_data(folder)
    d = read_park_data(folder, encoding="gbk")
    assert values(d) == {("园区甲", "central_wwtp"): 1.0, ("园区甲", "water_per_iva"): 6.0}
    assert d.parks.loc["园区甲", "name"] == "某某经济技术开发区"


def test_excel_sheet_option(tmp_path):
    p = tmp_path / "p.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"note": ["not the data"]}).to_excel(xw, sheet_name="about", index=False)
        pd.DataFrame({"park": ["A"], "year": [2020], "indicator": ["water_per_iva"],
                      "value": [7.5]}).to_excel(xw, sheet_name="data", index=False)
    with pytest.raises(InputError, match=r"lack columns \['park', 'year'\]"):  # first sheet
        read_park_data(p)
    assert values(read_park_data(p, sheet="data")) == {("A", "water_per_iva"): 7.5}


def test_enterprise_records_use_the_same_number_format(tmp_path):
    """Hand roll-up: value added 1.500,5 + 499,5 = 2000 (10k CNY) and energy 10 + 30 = 40 tce
    for park A in 2020, so energy per IVA = 40 / 2000 = 0.02."""
    folder = tmp_path / "f"
    write(folder / "enterprises.csv", "park;year;enterprise;value_added;energy_tce\n"
                                      "A;2020;e1;1.500,5;10\nA;2020;e2;499,5;30\n")
    d = read_park_data(folder, sep=";", decimal=",", thousands=".")
    v = values(d)
    assert v[("A", "iva_total")] == pytest.approx(2000.0, rel=1e-15)
    assert v[("A", "energy_total")] == 40.0
    assert v[("A", "energy_per_iva")] == pytest.approx(0.02, rel=1e-15)


# ---------------------------------------------------------------- park codes
def test_spaces_around_park_codes_are_an_error_naming_rows(tmp_path):
    """'A ' used to be stripped silently into 'A'; now the row is named (row 4: the comment
    line and the header are rows 1 and 2) unless stripping is asked for."""
    p = write(tmp_path / "p.csv", "# survey 2020\npark,year,indicator,value\n"
                                  "A,2020,water_per_iva,7\nA ,2020,energy_per_iva,1\n")
    with pytest.raises(InputError, match="park codes with leading or trailing spaces in 1 rows"
                       ) as err:
        read_park_data(p)
    assert err.value.details[0] == "row 4: 'A '"
    assert "strip_codes=True" in err.value.details[-1]
    d = read_park_data(p, strip_codes=True)
    assert d.park_codes == ["A"]
    assert values(d) == {("A", "energy_per_iva"): 1.0, ("A", "water_per_iva"): 7.0}


def test_spaces_in_attribute_and_enterprise_park_codes(tmp_path):
    folder = tmp_path / "f"
    write(folder / "indicators.csv", "park,year,indicator,value\nP1,2020,water_per_iva,7\n")
    write(folder / "parks.csv", "park,name\n P1,Park one\n")
    with pytest.raises(InputError, match="park attributes: park codes with leading") as err:
        read_park_data(folder)
    assert err.value.details[0] == "row 2: ' P1'"
    assert read_park_data(folder, strip_codes=True).parks.loc["P1", "name"] == "Park one"
    ent = tmp_path / "g"
    write(ent / "enterprises.csv", "park,year,enterprise,value_added\n"
                                  "P1,2020,e1,5\nP1\t,2020,e2,7\n")
    with pytest.raises(InputError, match=r"enterprise records in .*enterprises\.csv: park codes"
                       ) as err:
        read_park_data(ent)
    assert err.value.details[0] == "row 3: 'P1\\t'"
    assert values(read_park_data(ent, strip_codes=True))[("P1", "iva_total")] == 12.0


def test_park_codes_function():
    assert park_codes(pd.Series(["A", 101.0, "NA"]), "t").tolist() == ["A", "101", "NA"]
    with pytest.raises(InputError, match=r"t: empty park code in rows \[4\]"):  # label 2
        park_codes(pd.Series(["A", "B", np.nan]), "t")
    with pytest.raises(InputError) as err:
        park_codes(pd.Series(["A", "B "]), "t", np.array([10, 11]))
    assert err.value.details[0] == "row 11: 'B '"


def test_duplicate_rows_are_named_with_their_file_rows(tmp_path):
    p = write(tmp_path / "p.csv", "park,year,indicator,value\nA,2020,water_per_iva,7\n"
                                  "B,2020,water_per_iva,8\nA,2020,water_per_iva,9\n")
    with pytest.raises(InputError, match="duplicate") as err:
        read_park_data(p)
    assert err.value.details == ["A, 2020, water_per_iva: rows 2, 4"]


# ---------------------------------------------------------------- CLI
def test_cli_assess_reader_options(tmp_path):
    folder = tmp_path / "eu"
    write(folder / "indicators.csv", "park;year;indicator;value\n"
                                     "A ;2020;water_per_iva;7,5\nA ;2020;energy_per_iva;0,4\n")
    out = runner.invoke(app, ["assess", str(folder), "--framework", "hj274", "--out",
                              str(tmp_path / "o1")])
    assert out.exit_code == 1 and "semicolon-separated" in out.output
    out = runner.invoke(app, ["assess", str(folder), "--framework", "hj274", "--sep", ";",
                              "--decimal", ",", "--out", str(tmp_path / "o2")])
    assert out.exit_code == 1 and "row 2: 'A '" in out.output
    out = runner.invoke(app, ["assess", str(folder), "--framework", "hj274", "--sep", ";",
                              "--decimal", ",", "--strip-codes", "--out", str(tmp_path / "o3")])
    assert out.exit_code == 0, out.output
    wide = pd.read_csv(tmp_path / "o3" / "park_indicators.csv")
    assert wide[["park", "water_per_iva", "energy_per_iva"]].values.tolist() == [
        ["A", 7.5, 0.4]]


def test_number_hints_for_each_kind_of_bad_cell(tmp_path):
    """'96%' and '0,32' in one park file (new-user trial): one hint per kind, in the park
    options' words (the recipe reader's hints name recipe keys)."""
    p = write(tmp_path / "p.csv", "park,year,solid_waste_utilisation_pct,energy_per_iva,"
                                  "green_cover_pct,water_per_iva\n"
                                  'A,2023,96%,"0,32",12,n.a.\nB,2023,81,0.4,1 234,\n')
    with pytest.raises(InputError) as e:
        read_park_data(p)
    hints = {d.split("'")[1]: d for d in e.value.details if "(row" not in d}
    assert sorted(hints) == ["0,32", "1 234", "96%", "n.a."]  # one per kind of bad cell
    assert hints["96%"].startswith("'96%' has a percent sign: write the number without it, "
                                   "in %")
    assert hints["0,32"].startswith("'0,32' has a comma: if it is the decimal mark, read the "
                                    "file with decimal=',' (gipro assess --decimal ','")
    assert hints["n.a."].startswith("'n.a.' is not a number")
    assert "--na-value 'n.a.'" in hints["n.a."]
    assert hints["1 234"].startswith("'1 234' has spaces between digit groups")
    assert "--thousands ' '" in hints["1 234"]


def test_cli_assess_unknown_indicators_crosswalk_or_ignore(tmp_path):
    """Trial 3: a column not in the catalogue stopped `gipro assess`, and the fix (crosswalk)
    was Python only. Default: an error naming both ways out; --crosswalk maps a name;
    --ignore-unknown leaves the column out with a note (printed and in README.txt)."""
    folder = tmp_path / "d"
    write(folder / "indicators.csv", "park,year,Water use per IVA,carbon_sink_ha\n"
                                     "A,2020,7.5,12\nB,2020,9,3\n")
    out = runner.invoke(app, ["assess", str(folder), "-f", "hj274", "--out",
                              str(tmp_path / "o1")])
    assert out.exit_code == 1
    assert "--crosswalk" in out.output and "--ignore-unknown" in out.output
    out = runner.invoke(app, ["assess", str(folder), "-f", "hj274", "--crosswalk",
                              "Water use per IVA = water_per_iva", "--ignore-unknown",
                              "--out", str(tmp_path / "o2")])
    assert out.exit_code == 0, out.output
    wide = pd.read_csv(tmp_path / "o2" / "park_indicators.csv")
    assert wide[["park", "water_per_iva"]].values.tolist() == [["A", 7.5], ["B", 9.0]]
    assert "carbon_sink_ha" not in wide.columns
    note = "left out 1 indicator(s) not in the park indicator catalogue"
    assert note in out.output and "carbon_sink_ha" in out.output
    assert note in (tmp_path / "o2" / "README.txt").read_text(encoding="utf-8")
    out = runner.invoke(app, ["assess", str(folder), "-f", "hj274", "--crosswalk", "nope",
                              "--out", str(tmp_path / "o3")])
    assert out.exit_code == 1 and "write NAME=CODE" in out.output
