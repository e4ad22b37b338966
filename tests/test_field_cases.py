"""Field cases (``../shared/cases/field_cases.md``) not covered elsewhere, and the *kind* of
each fault checked everywhere it can occur: every rank for NaN (B15), every reader for locale
(B25), every code lookup for whitespace and duplicates (B26), every aggregator for missing
data, group imputation and panel interpolation at build level (B17, B18: the unit is kept and
the reason is reported). Expected values are the hand calculations of field_cases.md (quoted
in each test) or hand calculations stated in the docstring.

Where the other field cases are tested: B01, B04, B06, B07, B13 in ``test_normalise.py`` and
``test_properties.py``; B03 in ``test_methods.py`` and ``test_aggregate.py``; B08, B09, B21 in
``test_weight.py``; B10, B11 in ``test_aggregate.py``; B17, B18 in ``test_impute.py``; B19 in
``test_treat.py``; B22 in ``test_lmdi.py``; B25 and B26 also in ``test_panel.py`` and
``test_framework.py``; B23 in ``test_sobol.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gipro import Build, Framework, InputError, Panel, read_panel, strengths_weaknesses
from gipro.cli import app
from gipro.methods import aggregate as A
from gipro.methods.rank import rank
from gipro.methods.weight import benefit_of_the_doubt
from gipro.progress import change

nan = np.nan
TESTS = Path(__file__).parent

def test_every_field_case_has_a_test(shared_dir):
    """Every case id of field_cases.md is cited by at least one test module."""
    text = (shared_dir / "cases" / "field_cases.md").read_text(encoding="utf-8")
    cases = re.findall(r"^## (B\d+)\b", text, flags=re.M)
    assert len(cases) >= 19  # B01 ... B26 (19 cases when written)
    cited = " ".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py"))
    missing = [c for c in cases if not re.search(rf"\b{c}\b", cited)]
    assert not missing, f"field cases without a test: {missing}"


def tiny_framework(codes=("I1", "I2"), directions=None) -> Framework:
    directions = directions or [1] * len(codes)
    return Framework([{"code": c, "parent": "IDX", "direction": d}
                      for c, d in zip(codes, directions, strict=True)], [{"code": "IDX"}])


def tiny_panel(table: dict[str, list[float]], units: list[str], periods=(2020,),
               groups: dict[str, list] | None = None) -> Panel:
    idx = pd.MultiIndex.from_product([units, list(periods)], names=["unit", "period"])
    meta = None
    if groups is not None:
        meta = pd.DataFrame({"name": units, **groups}, index=pd.Index(units, name="unit"))
    return Panel(pd.DataFrame(table, index=idx), units=meta)


def build(table, units, steps, periods=(2020,), groups=None, codes=None, **kw) -> Build:
    codes = codes or list(table)
    return Build({"framework": "t", "data": {"dataset": "t"}, "steps": steps, **kw},
                 framework=tiny_framework(codes),
                 panel=tiny_panel(table, units, periods, groups)).run()


# ---------------------------------------------------------------- B15: NaN never "best"
def test_b15_nan_scores_are_never_ranked():
    """B15: scores [0.2, NaN, 0.5]: np.argmax gives 1 (the NaN); the rank vector must be
    [2, NaN, 1], so the top unit is index 2. All-NaN scores: no unit is ranked at all."""
    s = np.array([0.2, nan, 0.5])
    assert np.argmax(s) == 1  # the pitfall, reproduced
    r = rank(s)
    assert r[0] == 2 and np.isnan(r[1]) and r[2] == 1
    assert int(np.flatnonzero(r == 1)[0]) == 2
    assert np.isnan(rank(np.full(3, nan))).all()
    # pandas#19538: infinity and NaN must not share a bucket
    r = rank(np.array([np.inf, nan, 1.0]))
    assert r[0] == 1 and np.isnan(r[1]) and r[2] == 2


def test_units_tied_in_exact_arithmetic_share_their_rank_in_the_results():
    """Trial 3: X = (1, 2, 3), Y = (3, 2, 1), Z = 0s, W = 10s; min-max onto [0, 1] over the
    units gives X (0.1, 0.2, 0.3) and Y (0.3, 0.2, 0.1), both 0.2 by hand with equal weights,
    but 0.20000000000000004 and 0.19999999999999998 in floating point: ranks 2 and 2 (then
    Z 4), not 2 and 3."""
    b = build({"a": [1, 3, 0, 10], "b": [2, 2, 0, 10], "c": [3, 1, 0, 10]},
              ["X", "Y", "Z", "W"],
              [{"step": "normalise", "range": [0, 1]}, {"step": "aggregate"}])
    idx = b.results().query("code == 'IDX'").set_index("unit")
    assert idx["score"].to_dict() == pytest.approx({"X": 0.2, "Y": 0.2, "Z": 0.0, "W": 1.0},
                                                   abs=1e-15)
    assert idx["rank"].to_dict() == {"X": 2, "Y": 2, "Z": 4, "W": 1}


def test_b15_every_rank_of_the_results_skips_missing_scores():
    """A unit without data in 2021 has no score and no rank in results(), in the unit's
    strengths table or in the progress ranks; the others are ranked 1..n without a gap."""
    b = build({"I1": [1, 2, 3, 4, 5, nan], "I2": [4, 3, 2, 1, 3, nan]}, ["A", "B", "C"],
              [{"step": "normalise"}, {"step": "aggregate"}], periods=(2020, 2021))
    res = b.results()
    assert not (res["score"].isna() & res["rank"].notna()).any()
    idx21 = res[(res["code"] == "IDX") & (res["period"] == 2021)]
    assert idx21.set_index("unit").loc["C", "rank"] is pd.NA
    assert sorted(idx21["rank"].dropna().astype(int)) == [1, 2]
    ex = b.exclusions()
    assert ex[(ex["unit"] == "C")]["reason"].iloc[0] == ("no IDX score: 2 of 2 indicators "
                                                         "missing (no data in 2021)")
    strong, weak = strengths_weaknesses(b, "C", 2021)
    assert strong.empty and weak.empty
    ch = change(b).set_index("unit")
    assert pd.isna(ch.loc["C", "rank_end"]) and pd.isna(ch.loc["C", "change"])


def test_b15_cli_prints_no_ranking_when_every_score_is_missing(tmp_path):
    """All units lack data in the last period: the CLI says so instead of ranking NaNs."""
    (tmp_path / "fw.yaml").write_text(
        "aggregates: [{code: IDX}]\nindicators:\n  - {code: x, parent: IDX, direction: 1}\n"
        "  - {code: y, parent: IDX, direction: -1}\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "unit,period,x,y\nA,2020,1,2\nB,2020,2,3\nC,2020,3,1\nA,2021,,\nB,2021,,\nC,2021,,\n",
        encoding="utf-8")
    (tmp_path / "r.yaml").write_text("framework: fw.yaml\ndata: {path: d.csv}\n",
                                     encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "No unit has a score on IDX in 2021" in result.output
    assert "rank" not in result.output.split("No unit")[0]
    ex = pd.read_csv(tmp_path / "out" / "exclusions.csv")
    assert sorted(ex["unit"]) == ["A", "B", "C"] and set(ex["period"]) == {2021}


# ---------------------------------------------------------------- B25: every reader, locale
B25_TEXT = "uCode;Time;GHG\nESP;2015;288,14\nFRA;2015;411,24\nITA;2015;374,51\n"
B25_VALUES = [288.14, 411.24, 374.51]  # field_cases.md B25: the correct parse


def test_b25_default_read_names_column_and_first_bad_cell(tmp_path):
    """B25: a numeric-looking text column raises naming the column and the first bad cell;
    it never becomes NaN in silence."""
    path = tmp_path / "eu.csv"
    path.write_text(B25_TEXT.replace(";", "\t"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_panel(path, unit="uCode", period="Time", sep="\t")
    assert "column 'GHG'" in str(e.value) and "row 2: '288,14'" in str(e.value)
    assert "decimal: ','" in str(e.value)


def test_b25_bom_and_utf16_files(tmp_path):
    """The same file with a UTF-8 BOM (Excel's "CSV UTF-8"), and as UTF-16 with tabs (Excel's
    "Unicode text"): the first header is 'uCode', not '\\ufeffuCode'."""
    bom = tmp_path / "bom.csv"
    bom.write_bytes(B25_TEXT.encode("utf-8-sig"))
    with pytest.raises(InputError, match="semicolon-separated"):
        read_panel(bom, unit="uCode", period="Time")
    p = read_panel(bom, unit="uCode", period="Time", sep=";", decimal=",")
    assert p.values["GHG"].tolist() == B25_VALUES
    u16 = tmp_path / "unicode.txt"
    u16.write_bytes(B25_TEXT.replace(";", "\t").encode("utf-16"))
    with pytest.raises(InputError, match="tab-separated"):
        read_panel(u16, unit="uCode", period="Time")
    p = read_panel(u16, unit="uCode", period="Time", sep="\t", decimal=",")
    assert p.values["GHG"].tolist() == B25_VALUES


def test_b25_excel_text_cells_and_parquet_strings(tmp_path):
    """Excel cells stored as text ('288,14') and Parquet string columns follow the same
    decimal rule as CSV: an error by default, the right numbers with decimal: ','."""
    df = pd.DataFrame({"uCode": ["ESP", "FRA", "ITA"], "Time": [2015] * 3,
                       "GHG": ["288,14", "411,24", "374,51"]})
    for path in (tmp_path / "eu.xlsx", tmp_path / "eu.parquet"):
        (df.to_excel(path, index=False) if path.suffix == ".xlsx"
         else df.to_parquet(path))
        with pytest.raises(InputError, match=r"column 'GHG'.*decimal: ','"):
            read_panel(path, unit="uCode", period="Time")
        p = read_panel(path, unit="uCode", period="Time", decimal=",")
        assert p.values["GHG"].tolist() == B25_VALUES


def test_b25_excel_error_cells_are_reported_not_missing(tmp_path):
    """A broken formula (#DIV/0!) in an Excel file is named with its row, never read as a
    missing value (pandas.read_excel would turn it into NaN)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit", "period", "x"])
    ws.append(["A", 2020, 1.5])
    ws.append(["B", 2020, "=1/0"])
    ws["C3"].value = "#DIV/0!"
    ws["C3"].data_type = "e"
    path = tmp_path / "err.xlsx"
    wb.save(path)
    with pytest.raises(InputError, match=r"row 3: '#DIV/0!'"):
        read_panel(path)


@pytest.mark.parametrize(("cell", "opts", "value"), [
    ("1.234,5", {"decimal": ",", "thousands": "."}, 1234.5),
    ("1\u00a0234,5", {"decimal": ",", "thousands": " "}, 1234.5),   # no-break space (fr)
    ("1\u202f234,5", {"decimal": ",", "thousands": " "}, 1234.5),   # narrow no-break space
    ("1'234.5", {"thousands": "'"}, 1234.5),                         # Swiss
    ("1\u2019234.5", {"thousands": "'"}, 1234.5),                    # Swiss, typographic
    ("\u22123,5", {"decimal": ","}, -3.5),                           # minus sign U+2212
    ("\uff11\uff12\uff13\uff0e\uff15", {}, 123.5),                   # full-width digits
])
def test_b25_locale_number_forms(tmp_path, cell, opts, value):
    """Each locale form parses to the number it means (hand-read), in CSV and Excel."""
    csv = tmp_path / "d.csv"
    csv.write_text(f"unit;period;x\nA;2020;{cell}\nB;2020;7\n", encoding="utf-8")
    assert read_panel(csv, sep=";", **opts).values.loc[("A", 2020), "x"] == value
    xlsx = tmp_path / "d.xlsx"
    pd.DataFrame({"unit": ["A", "B"], "period": [2020, 2020], "x": [cell, 7]}).to_excel(
        xlsx, index=False)
    assert read_panel(xlsx, **opts).values.loc[("A", 2020), "x"] == value


@pytest.mark.parametrize(("cell", "hint"), [
    ("1 234", "thousands: ' '"), ("5%", "percent sign"), ("1,234", "thousands: ','"),
    ("5²", "decimal mark"),
])
def test_b25_ambiguous_or_foreign_cells_raise_with_a_hint(tmp_path, cell, hint):
    """Never a guess: a space, a percent sign, a comma in a decimal-dot file, a superscript
    are errors naming the cell, with the recipe key that fixes them."""
    csv = tmp_path / "d.csv"
    csv.write_text(f"unit;period;x\nA;2020;{cell}\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_panel(csv, sep=";")
    assert hint in str(e.value) and "row 2" in str(e.value)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e7, 1e7, allow_nan=False).map(lambda v: round(v, 3)), min_size=1,
                max_size=8))
def test_b25_european_numbers_round_trip(tmp_path_factory, values):
    """Property: numbers written the European way (1.234.567,891 with ';' separators) read
    back as the same floats, from CSV and from Excel text cells."""
    def eu(v: float) -> str:
        s = f"{v:,.3f}"  # 1,234,567.891
        return s.replace(",", "_").replace(".", ",").replace("_", ".")

    d = tmp_path_factory.mktemp("eu")
    units = [f"U{i}" for i in range(len(values))]
    lines = ["unit;period;x"] + [f"{u};2020;{eu(v)}" for u, v in zip(units, values, strict=True)]
    (d / "d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = read_panel(d / "d.csv", sep=";", decimal=",", thousands=".")
    assert p.values["x"].reindex(pd.MultiIndex.from_product([units, [2020]])).tolist() == values
    pd.DataFrame({"unit": units, "period": 2020, "x": [eu(v) for v in values]}).to_excel(
        d / "d.xlsx", index=False)
    p = read_panel(d / "d.xlsx", decimal=",", thousands=".")
    assert p.values["x"].reindex(pd.MultiIndex.from_product([units, [2020]])).tolist() == values


def test_b25_denominator_table_uses_the_same_reader(tmp_path):
    """The denominate step's second table goes through the same reader options: population
    in a decimal-comma file (hand calculation: 10 / 2,5 = 4, 20 / 0,5 = 40)."""
    (tmp_path / "pop.csv").write_text("unit;period;pop\nA;2020;2,5\nB;2020;0,5\n",
                                      encoding="utf-8")
    b = build({"I1": [10.0, 20.0]}, ["A", "B"],
              [{"step": "denominate", "denominators": {"I1": "pop"},
                "table": {"path": str(tmp_path / "pop.csv"), "sep": ";", "decimal": ","}}])
    assert b.data("denominated")["I1"].tolist() == [4.0, 40.0]
    with pytest.raises(InputError, match=r"column 'pop'.*decimal: ','"):
        build({"I1": [10.0, 20.0]}, ["A", "B"],
              [{"step": "denominate", "denominators": {"I1": "pop"},
                "table": {"path": str(tmp_path / "pop.csv"), "sep": ";"}}])


# ---------------------------------------------------------------- B26: codes everywhere
def test_b26_data_codes_with_whitespace_or_duplicates(tmp_path):
    """B26 in data files: 'Water ' as a header or a long-form indicator code, and a header
    written twice, are errors naming the code; nothing is stripped silently."""
    wide = tmp_path / "w.csv"
    wide.write_text("unit,period,CO2,PM25,Water ,NO2\nA,2020,1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match="whitespace: 'Water '"):
        read_panel(wide)
    dup = tmp_path / "d.csv"
    dup.write_text("unit,period,CO2,PM25,CO2\nA,2020,1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"duplicate column names.*\['CO2'\]"):
        read_panel(dup)
    long = tmp_path / "l.csv"
    long.write_text("unit,period,indicator,value\nA,2020,CO2,1\nA,2020,Water ,2\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="whitespace: 'Water '"):
        read_panel(long)


def test_b26_weight_keys_must_match_exactly_one_column():
    """B26: weights keyed 'Water ' (trailing space) for indicator 'Water' raise, naming the
    near match; after the fix every weight key matches exactly one column (the hand-set
    weights 1, 1, 2, 1 give Water 2/5 of IDX)."""
    table = {"CO2": [1.0, 2.0], "PM25": [2.0, 1.0], "Water": [3.0, 1.0], "NO2": [1.0, 3.0]}
    steps = [{"step": "normalise"},
             {"step": "weight", "method": "manual", "output": "w",
              "values": {"CO2": 1, "PM25": 1, "Water ": 2, "NO2": 1}},
             {"step": "aggregate", "weights": "w"}]
    with pytest.raises(InputError) as e:
        build(table, ["A", "B"], steps)
    assert "'Water '" in str(e.value) and "differs from 'Water' only in" in str(e.value)
    steps[1]["values"] = {"CO2": 1, "PM25": 1, "Water": 2, "NO2": 1}
    b = build(table, ["A", "B"], steps)
    assert b.weights["w"].weights["Water"] == 2.0
    assert b.fitted["aggregate"]["weights"]["IDX"] == {"CO2": 1.0, "PM25": 1.0, "Water": 2.0,
                                                       "NO2": 1.0}


@pytest.mark.parametrize("step", [
    {"step": "screen", "exclude": ["a "]},
    {"step": "impute", "indicators": ["i1"]},
    {"step": "treat", "indicators": {"I1 ": {"winmax": 1}}},
])
def test_b26_step_codes_are_checked_with_near_matches(step):
    """Unit and indicator codes in step parameters must match exactly; a near match (case,
    spaces) is pointed out."""
    with pytest.raises(InputError, match="only in case, spaces or punctuation"):
        build({"I1": [1.0, 2.0, 3.0], "I2": [3.0, 1.0, 2.0]}, ["a", "b", "c"],
              [step, {"step": "normalise"}, {"step": "aggregate"}])


# ---------------------------------------------------------------- aggregators: missing data
def test_every_aggregator_is_in_the_property_suite():
    """The common property suite (test_properties.py) lists every aggregation method, so
    each is checked for missing children (renormalised) and all-missing units (NaN)."""
    from tests.test_properties import CROSS, UNIT_WISE

    assert {n.split("(")[0] for n in UNIT_WISE} | set(CROSS) - {"bod"} == set(A.METHODS)


@pytest.mark.parametrize("name", ["copeland", "topsis", "bod"])
def test_cross_unit_aggregators_with_a_missing_child(name):
    """A unit with one missing child is aggregated over its other children (share 2/3 >=
    0.5) and left missing when every child is required; other units are unaffected in
    whether they are scored."""
    x = np.array([[1, 2, 3], [4, nan, 6], [7, 8, 9], [2, 5, 1]], dtype=float)
    w = np.ones(3)
    f = {"copeland": A.copeland, "topsis": A.topsis,
         "bod": lambda x, w, **k: benefit_of_the_doubt(x, **k)[0]}[name]
    y = f(x, w)
    assert np.isfinite(y).all()
    y1 = f(x, w, min_share=1.0)
    assert np.isnan(y1[1]) and np.isfinite(y1[[0, 2, 3]]).all()


# ---------------------------------------------------------------- B17, B18 at build level
def test_b17_unit_without_group_is_kept_and_reported():
    """B17 at build level: u6 (group C, all missing) and u5 (no group, observed 5) -- u5
    keeps its value; u6 is not imputed and its missing index score is explained in the
    exclusions table (no data), while u2 and u4 get their group's mean (1 and 3)."""
    b = build({"x": [1, nan, 3, nan, 5, nan], "y": [1, 2, 3, 4, 5, 6]},
              ["u1", "u2", "u3", "u4", "u5", "u6"],
              [{"step": "impute", "method": "group_mean", "group": "g"},
               {"step": "normalise"}, {"step": "aggregate", "min_availability": 1.0}],
              groups={"g": ["A", "A", "B", "B", None, "C"]})
    assert b.data("imputed")["x"].tolist()[:5] == [1, 1, 3, 3, 5]
    ex = b.exclusions().set_index("unit")
    assert list(ex.index) == ["u6"]
    assert "x" in ex.loc["u6", "reason"]
    assert "no observed value in the unit's group" in ex.loc["u6", "reason"]


def test_b17_no_group_reason_reaches_the_exclusions():
    """A unit without a group whose value is missing: the reason 'unit has no group' is in
    the exclusions table, not only in the log."""
    b = build({"x": [1, 2, nan], "y": [1, 2, 3]}, ["u1", "u2", "u3"],
              [{"step": "impute", "method": "group_mean", "group": "g"},
               {"step": "normalise"}, {"step": "aggregate", "min_availability": 1.0}],
              groups={"g": ["A", "A", None]})
    reason = b.exclusions().set_index("unit").loc["u3", "reason"]
    assert reason == ("no IDX score: 1 of 2 indicators missing (x); not imputed: unit has no "
                      "'g' group")


def test_b18_unit_without_any_observation_is_reported():
    """B18 at build level: U3 has no observation in 2019-2022, so linear_constant leaves it
    missing and each of its periods is in the exclusions table ("no data"); U1 = 7 carried
    to every year, U2 = [2, 2, 4, 6]."""
    b = build({"x": [nan, 7, nan, nan, nan, 2, nan, 6, nan, nan, nan, nan]},
              ["U1", "U2", "U3"], [{"step": "impute", "method": "linear_constant"},
                                   {"step": "normalise"}, {"step": "aggregate"}],
              periods=(2019, 2020, 2021, 2022))
    imp = b.data("imputed")["x"]
    assert imp.loc["U1"].tolist() == [7, 7, 7, 7]
    assert imp.loc["U2"].tolist() == [2, 2, 4, 6]
    assert np.isnan(imp.loc["U3"]).all()
    assert "U3 2019 x (no observed period)" in " ".join(b.log[0].notes)
    ex = b.exclusions()
    assert ex["unit"].tolist() == ["U3"] * 4 and ex["period"].tolist() == [2019, 2020, 2021, 2022]
    assert ex["reason"].iloc[0] == "no IDX score: 1 of 1 indicators missing (no data in 2019)"


def test_b25_unit_metadata_file_uses_the_data_separator(tmp_path):
    """A European unit metadata file (';') next to a European data file is read with the
    same separator; its group labels reach the panel."""
    (tmp_path / "d.csv").write_text("unit;period;x\nA;2020;1,5\nB;2020;2,5\n", encoding="utf-8")
    (tmp_path / "u.csv").write_text("unit;name;region\nA;Alpha;N\nB;Beta;S\n", encoding="utf-8")
    p = read_panel(tmp_path / "d.csv", sep=";", decimal=",", units=tmp_path / "u.csv")
    assert p.values["x"].tolist() == [1.5, 2.5]
    assert p.units["region"].tolist() == ["N", "S"]
