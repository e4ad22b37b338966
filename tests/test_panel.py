"""Panel data: readers (CSV, Excel, Parquet; long and wide) and their validation messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gipro import Framework, InputError, read_panel
from gipro.datasets import available, china_provinces, china_provinces_notes, notice

LONG = """unit,period,indicator,value
A,2020,x,1.5
A,2020,y,2
B,2020,x,3
B,2021,y,4
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_long_csv(tmp_path):
    p = read_panel(write(tmp_path, "d.csv", LONG))
    assert p.unit_codes == ["A", "B"]
    assert p.periods == [2020, 2021]
    assert p.indicator_codes == ["x", "y"]
    assert p.values.loc[("A", 2020), "x"] == 1.5
    assert np.isnan(p.values.loc[("B", 2021), "x"])  # missing, not zero
    cube = p.cube()
    assert cube.shape == (2, 2, 2)  # periods, units, indicators
    assert np.isnan(cube[1, 0]).all()  # A has no 2021 row


def test_wide_csv_with_groups(tmp_path):
    text = "code,name,region,year,x,y\nA,Alpha,East,2020,1,2\nB,Beta,West,2020,3,\n"
    p = read_panel(write(tmp_path, "w.csv", text), form="wide", unit="code", period="year",
                   unit_name="name", groups=["region"])
    assert p.units.loc["B", "name"] == "Beta"
    assert p.units.loc["A", "region"] == "East"
    assert np.isnan(p.values.loc[("B", 2020), "y"])


def test_long_and_wide_agree(tmp_path):
    long = read_panel(write(tmp_path, "l.csv", LONG))
    wide = long.values.reset_index()
    wide_path = tmp_path / "w.csv"
    wide.to_csv(wide_path, index=False)
    again = read_panel(wide_path)
    pd.testing.assert_frame_equal(again.values, long.values)


def test_duplicate_rows_named_with_file_rows(tmp_path):
    text = LONG + "A,2020,x,9\n"
    with pytest.raises(InputError) as e:
        read_panel(write(tmp_path, "d.csv", text))
    assert "duplicate (unit, period, indicator) rows" in str(e.value)
    assert "A, 2020, x: rows 2, 6" in str(e.value)


def test_non_numeric_cell_named(tmp_path):
    text = "unit,period,x,y\nA,2020,1,2\nB,2020,3,n.a.\n"
    with pytest.raises(InputError) as e:
        read_panel(write(tmp_path, "w.csv", text))
    msg = str(e.value)
    assert "non-numeric values in column 'y'" in msg and "row 3: 'n.a.'" in msg


def test_na_values_option(tmp_path):
    text = "unit,period,x\nA,2020,1\nB,2020,..\n"
    p = read_panel(write(tmp_path, "w.csv", text), na_values=[".."])
    assert np.isnan(p.values.loc[("B", 2020), "x"])


def test_decimal_comma_semicolon_field_case_b25(tmp_path):
    text = "uCode;Time;GHG\nESP;2015;288,14\nFRA;2015;411,24\nITA;2015;374,51\n"
    path = write(tmp_path, "eu.csv", text)
    with pytest.raises(InputError, match="semicolon"):
        read_panel(path, unit="uCode", period="Time")
    p = read_panel(path, unit="uCode", period="Time", sep=";", decimal=",")
    assert p.values["GHG"].tolist() == [288.14, 411.24, 374.51]


def test_fractional_period_rejected(tmp_path):
    with pytest.raises(InputError, match="not a whole number"):
        read_panel(write(tmp_path, "w.csv", "unit,period,x\nA,2020.5,1\n"))


def test_whitespace_unit_code_rejected(tmp_path):
    with pytest.raises(InputError, match="whitespace: 'A '"):
        read_panel(write(tmp_path, "w.csv", "unit,period,x\nA ,2020,1\n"))


def test_excel_and_parquet(tmp_path):
    long = read_panel(write(tmp_path, "d.csv", LONG))
    frame = long.values.reset_index()
    xlsx, pq = tmp_path / "d.xlsx", tmp_path / "d.parquet"
    frame.to_excel(xlsx, index=False, sheet_name="data")
    frame.to_parquet(pq)
    for path in (xlsx, pq):
        p = read_panel(path)
        pd.testing.assert_frame_equal(p.values, long.values)


def test_missing_framework_indicator_and_unit_mismatch(tmp_path):
    text = "unit,period,indicator,value,u\nA,2020,CO2,1,t\nA,2020,gdp,2,USD\n"
    p = read_panel(write(tmp_path, "d.csv", text), measure_unit="u")
    fw = Framework([{"code": "co2", "parent": "I", "direction": -1},
                    {"code": "gdp", "parent": "I", "direction": 1, "unit": "yuan"}],
                   [{"code": "I"}])
    with pytest.raises(InputError) as e:
        p.check_framework(fw)
    msg = str(e.value)
    assert "indicator 'co2' is in the framework but not in the data (the data have 'CO2')" in msg
    assert "indicator 'gdp': unit mismatch, framework says 'yuan' but the data say 'USD'" in msg


def test_select_unknown(tmp_path):
    p = read_panel(write(tmp_path, "d.csv", LONG))
    assert p.select(units=["B"], periods=[2021]).unit_codes == ["B"]
    with pytest.raises(InputError, match="units not in the data"):
        p.select(units=["Z"])
    with pytest.raises(InputError, match="periods not in the data"):
        p.select(periods=[1999])


def test_embedded_china_provinces(shared_dir):
    assert "china_provinces" in available()
    p = china_provinces()
    assert len(p.unit_codes) == 30 and p.periods == list(range(2000, 2020))
    assert len(p.indicator_codes) == 17
    assert p.units.loc["InnerMongolia", "name_zh"] == "内蒙古"
    assert p.indicator_units["co2_intensity_gdp"] == "t CO2 per 10^4 yuan (2015 prices)"
    # identical to the shared source panel, cell by cell (10,148 observed cells)
    src = pd.read_csv(shared_dir / "data" / "china_provinces_panel" / "panel.csv")
    long = p.to_long().merge(src, left_on=["unit", "period", "indicator"],
                             right_on=["province", "year", "variable"], how="outer")
    assert len(long) == 10148
    assert (long["value_x"] == long["value_y"]).all()
    # the documented gaps are missing, not zero
    assert np.isnan(p.values.loc[("Ningxia", 2001), "co2_total"])
    assert np.isnan(p.values.loc[("Hainan", 2002), "co2_industry"])
    notes = china_provinces_notes()
    hlj = notes[(notes["unit"] == "Heilongjiang") & (notes["period"] == 2013)]
    assert "3835" in hlj["note"].iloc[0]
    assert p.values.loc[("Heilongjiang", 2013), "population"] == 3835.0
    assert "Shan" in notice() and "CC BY 4.0" in notice()


def test_spelling_variant_of_framework_indicator_is_an_error(tmp_path):
    # new-user trial: one row typed co2_per_VA next to co2_per_va was silently ignored
    text = ("unit,period,indicator,value\nA,2020,co2_per_va,1\nB,2020,co2_per_va,2\n"
            "C,2020,co2_per_VA,3\n")
    p = read_panel(write(tmp_path, "d.csv", text))
    fw = Framework([{"code": "co2_per_va", "parent": "I", "direction": -1}], [{"code": "I"}])
    with pytest.raises(InputError, match="both 'co2_per_va' and 'co2_per_VA'"):
        p.check_framework(fw)


def test_thousands_and_decimal_marks(tmp_path):
    eu = "u;p;x\nA;2020;1.169,5\nB;2020;2,25\nC;2020;12\n"
    path = write(tmp_path, "eu.csv", eu)
    # a dot in a decimal-comma file is ambiguous unless thousands: '.' is declared
    with pytest.raises(InputError, match=r"thousands: '\.'") as e:
        read_panel(path, unit="u", period="p", sep=";", decimal=",")
    assert "row 2: '1.169,5'" in str(e.value)
    p = read_panel(path, unit="u", period="p", sep=";", decimal=",", thousands=".")
    assert p.values["x"].tolist() == [1169.5, 2.25, 12.0]
    us = 'u,p,x\nA,2020,"1,169"\nB,2020,3.5\n'
    path = write(tmp_path, "us.csv", us)
    with pytest.raises(InputError, match="thousands: ','"):
        read_panel(path, unit="u", period="p")
    assert read_panel(path, unit="u", period="p", thousands=",").values["x"].tolist() == [
        1169.0, 3.5]
    # a badly grouped number is not silently accepted
    with pytest.raises(InputError, match="row 2: '11,69'"):
        read_panel(write(tmp_path, "bad.csv", 'u,p,x\nA,2020,"11,69"\n'), unit="u", period="p",
                   thousands=",")


def test_code_na_stays_text_and_empty_code_is_an_error(tmp_path):
    p = read_panel(write(tmp_path, "na.csv", "unit,period,x\nNA,2020,1\nZA,2020,NA\n"))
    assert p.unit_codes == ["NA", "ZA"]  # Namibia keeps its code
    assert np.isnan(p.values.loc[("ZA", 2020), "x"])  # but NA in a value cell is missing
    with pytest.raises(InputError, match=r"empty code in column 'unit'.*rows 3"):
        read_panel(write(tmp_path, "e.csv", "unit,period,x\nA,2020,1\n,2020,2\n"))


def test_duplicate_headers_and_header_only(tmp_path):
    with pytest.raises(InputError, match=r"duplicate column names .*\['x'\]"):
        read_panel(write(tmp_path, "d.csv", "unit,period,x,x\nA,2020,1,2\n"))
    with pytest.raises(InputError, match="no data rows"):
        read_panel(write(tmp_path, "h.csv", "unit,period,x\n"))
    with pytest.raises(InputError, match="is empty"):
        read_panel(write(tmp_path, "e.csv", ""))


def test_gbk_file_needs_encoding(tmp_path):
    path = tmp_path / "zh.csv"
    path.write_bytes("unit,period,x\n北京,2020,1\n上海,2020,2\n".encode("gbk"))
    with pytest.raises(InputError, match="encoding: gbk"):
        read_panel(path)
    assert read_panel(path, encoding="gbk").unit_codes == ["北京", "上海"]


def test_skip_title_rows(tmp_path):
    path = write(tmp_path, "t.csv", "Table 1. Title\n\nunit,period,x\nA,2020,1\nB,2020,x\n")
    with pytest.raises(InputError, match="row 5: 'x'"):  # file row numbers count the title
        read_panel(path, skip_rows=2)


# ---------------------------------------------------------------- Excel formulas, fast paths
def _with_stored_results(path, results):
    """Rewrite an openpyxl-saved .xlsx as Excel saves it: each formula cell of ``results``
    (cell -> (type or None, stored text)) gets its computed result."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    xml = files["xl/worksheets/sheet1.xml"].decode()
    for ref, (typ, text) in results.items():
        t = f' t="{typ}"' if typ else ""
        xml = re.sub(rf'<c r="{ref}"><f>(.*?)</f><v ?/>',
                     rf'<c r="{ref}"{t}><f>\1</f><v>{text}</v>', xml)
    files["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    return path


def _formula_book(path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Title =A1", None, None])  # a title row, skipped with skip_rows
    ws["B1"] = "=1+1"
    ws.append(["unit", "period", "x"])
    ws.append(["A", 2020, 1.5])
    ws.append(["B", 2020, "=C3*2"])
    ws.append(["C", 2020, '=IF(C3>9,"",C3)'])
    wb.save(path)
    return path


def test_excel_formulas_saved_without_results_are_named(tmp_path):
    """A file written by a script (openpyxl, pandas) holds formulas but not their results:
    openpyxl's data_only read gives None, which would be a silent missing value. The cells
    are named instead (C4, C5; not B1, above the skipped title row). Expected values: the
    cells written above."""
    path = _formula_book(tmp_path / "f.xlsx")
    with pytest.raises(InputError, match=r"2 formula cell\(s\) without a computed value: "
                                         r"C4, C5\n.*save it again"):
        read_panel(path, skip_rows=1)
    with pytest.raises(InputError, match=r"3 formula cell\(s\).*B1, C4, C5"):
        read_panel(path)


def test_excel_formulas_with_stored_results_are_read(tmp_path):
    """The same file as saved by Excel: results stored (C4 = 3; C5 an empty-text result,
    type str, which is a missing value like an empty cell)."""
    path = _with_stored_results(_formula_book(tmp_path / "f.xlsx"),
                                {"B1": (None, "2"), "C4": (None, "3"), "C5": ("str", "")})
    p = read_panel(path, skip_rows=1)
    assert p.values["x"].tolist()[:2] == [1.5, 3.0]
    assert np.isnan(p.values.loc[("C", 2020), "x"])


@pytest.mark.parametrize("cells", [
    ["1.5", "-0.25", "+3", "1e3", "2.5E-7", ".5", "7.", "007", "12345678901234567890",
     "0.1000000000000000055511151231257827", "-1.7976931348623157e308", "4.9e-324"],
    ["1", "2", "-0", "3"],            # -0 in whole numbers: pandas gives 0.0
    ["1.5", "-0.0", "inf", "1e999"],  # not plain: pandas parses them
])
def test_plain_number_fast_path_equals_pandas(tmp_path, cells):
    """Number cells parsed by the vectorised path give exactly pandas' numbers (sign of zero
    included). Expected values: pandas.to_numeric on the same texts (the parser used before
    the fast path)."""
    want = pd.to_numeric(pd.Series(cells, dtype="string"), errors="coerce").to_numpy(float)
    if np.isinf(want).any():  # infinite values are refused by the panel: the parser alone
        from gipro.panel import _parse_numbers

        got = _parse_numbers(pd.Series(cells, dtype="string"))
    else:
        text = "unit,period,x\n" + "".join(f"U{i},2020,{c}\n" for i, c in enumerate(cells))
        p = read_panel(write(tmp_path, "d.csv", text))
        got = p.values["x"].droplevel("period").loc[[f"U{i}" for i in range(len(cells))]]
        got = got.to_numpy()
    np.testing.assert_array_equal(got, want)
    assert (np.signbit(got) == np.signbit(want)).all()


def test_plausibility_lists_ten_cells_then_counts_the_rest():
    """12 units each jump tenfold (1 -> 10): the warning names the first ten unit-periods
    in panel order and says "and 2 more" (a big panel is not written out cell by cell)."""
    from gipro.panel import Panel, plausibility_warnings

    idx = pd.MultiIndex.from_tuples([(f"U{i:02d}", p) for i in range(12) for p in (1, 2)])
    v = pd.DataFrame({"x": [1.0, 10.0] * 12}, index=idx)
    (w,) = plausibility_warnings(Panel(v), {"x": None})
    listed = w.split("periods: ")[1].split("; ")[0]
    assert listed == ", ".join(f"U{i:02d} 1-2 (1 to 10)" for i in range(10)) + " and 2 more"
