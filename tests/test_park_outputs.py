"""`gipro assess --report --excel`: every CSV is in the workbook, the MIIT green index is in the
report and the workbook, the gap lists say where they are cut, park26 labels parks "Park"
(trial 4).

Expected values: the green index by hand (the case of tests/test_parks_frameworks.py:
ratios 3/4, 5/2 capped at 1, -1.5/3 floored at 0, yes = 1 -> GI = 100 * 2.75 / 4 = 68.75);
gap counts and sheet contents counted from the CSV files gipro writes, in plain Python.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gipro.cli import app
from gipro.parks import ParkData, assess
from gipro.report import park_report
from gipro.report.excel import PARK_SHEETS
from gipro.tables import restore_cell
from park_cases import gi_fw

runner = CliRunner()


def _table(html: str, table_id: str) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Headers and rows of (text, title) of the table with this id."""
    m = re.search(rf'<table id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert m, table_id
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>",
                                                                    m.group(1), re.S)]
    rows = []
    for r in re.findall(r"<tr>(.*?)</tr>", m.group(1).split("<tbody>")[1], re.S):
        cells = re.findall(r"<td([^>]*)>(.*?)</td>", r, re.S)
        rows.append([(re.sub(r"<[^>]+>", "", text).strip(),
                      (re.search(r'title="([^"]*)"', attrs) or [None, ""])[1])
                     for attrs, text in cells])
    return heads, rows


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("assess")
    r = runner.invoke(app, ["assess", "--out", str(tmp / "out"), "--report",
                            str(tmp / "parks.html"), "--excel", str(tmp / "parks.xlsx")])
    assert r.exit_code == 0, r.output
    return tmp


def _same(csv_value: str, cell) -> bool:
    """A CSV field and a workbook cell hold the same value: numbers to 16 significant digits
    (the workbook's precision), empty = empty, text and booleans as written."""
    if csv_value == "":
        return cell is None or cell == ""
    if isinstance(cell, bool):
        return csv_value == str(cell)
    if isinstance(cell, (int, float)):
        return math.isclose(float(csv_value), cell, rel_tol=1e-15, abs_tol=0.0)
    return csv_value == str(cell)


def test_every_assess_csv_is_a_sheet_with_equal_values(assessed):
    csvs = sorted((assessed / "out").glob("*.csv"))
    assert {"miit_green_index", "miit_green_index_window", "park26_scorecard", "crosswalk",
            "coverage", "coverage_missing", "park26_results"} <= {p.stem for p in csvs}
    wb = openpyxl.load_workbook(assessed / "parks.xlsx", read_only=True)
    for path in csvs:
        sheet = PARK_SHEETS.get(path.stem, path.stem)
        assert sheet in wb.sheetnames, path.name
        with open(path, encoding="utf-8", newline="") as f:  # '== in CSV is == (a formula
            rows = [[restore_cell(c) for c in r] for r in csv.reader(f)]  # cell neutralised)
        width = len(rows[0])  # trailing empty cells are not stored: pad
        got = [[*r, *[None] * (width - len(r))]
               for r in wb[sheet].iter_rows(values_only=True)]
        assert len(got) == len(rows), path.name
        assert [str(h) for h in got[0]] == rows[0], path.name
        for i, (want, have) in enumerate(zip(rows[1:], got[1:], strict=True)):
            bad = [(h, w, v) for h, w, v in zip(rows[0], want, have, strict=True)
                   if not _same(w, v)]
            assert not bad, (path.name, i + 2, bad[:3])
    res = pd.read_excel(assessed / "parks.xlsx", sheet_name="results")
    assert res.columns[0] == "data_status" and set(res["data_status"]) == {"SYNTHETIC"}


def test_report_green_index_gap_counts_and_park_header(assessed):
    html = (assessed / "parks.html").read_text(encoding="utf-8")
    # the green index: every park and year of miit_green_index.csv, to one decimal
    with open(assessed / "out" / "miit_green_index.csv", encoding="utf-8") as f:
        gi = list(csv.DictReader(f))
    heads, rows = _table(html, "gi-miit")
    years = heads[1:]
    shown = {(r[0][0], int(y)): cell for r in rows for y, cell in zip(years, r[1:],
                                                                     strict=True)}
    names = {"PARK-C": "Central example park (synthetic)"}
    row = next(r for r in gi if r["park"] == "PARK-C" and r["gi"] == "")
    text, title = shown[(names["PARK-C"], int(row["year"]))]
    assert text == "–" and row["missing_mandatory"] in title  # missing, never 0
    row = next(r for r in gi if r["park"] == "PARK-C" and r["gi"] != "")
    assert shown[(names["PARK-C"], int(row["year"]))][0] == f"{float(row['gi']):.1f}"
    assert "UNVERIFIED formula hypothesis" in html
    # the gap list says it is cut: top 5 of N, N counted from hj274_priorities.csv
    with open(assessed / "out" / "hj274_priorities.csv", encoding="utf-8") as f:
        pri = list(csv.DictReader(f))
    end = max(int(r["year"]) for r in pri)
    n = sum(1 for r in pri if r["park"] == "PARK-C" and int(r["year"]) == end)
    assert n > 5
    assert f"{names['PARK-C']} top 5 of {n}" in html
    # park26 ranking table: parks are "Park", not "Unit"
    heads, _ = _table(html, "ranking-table")
    assert heads[:2] == ["Rank", "Park"]


def _gi_case():
    fw = gi_fw()
    values = {"A": {"energy_productivity": 3.0, "wastewater_per_iva": 2.0,
                    "co2_intensity_reduction_pct": -1.5, "central_wwtp": "yes"},
              "B": {"energy_productivity": 3.0, "central_wwtp": "yes"}}
    long = pd.DataFrame([{"park": p, "year": 2020, "indicator": k, "value": v}
                         for p, kv in values.items() for k, v in kv.items()])
    data = ParkData.from_long(long)
    return data, [assess(fw, data)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_park_report_green_index_by_hand(lang):
    """Park A: GI = 100 * (3/4 + min(5/2, 1) + max(-1.5/3, 0) + 1)/4 = 68.75 -> "68.8";
    park B lacks mandatory requirement 2: GI missing ("–"), the tooltip names it."""
    data, assessments = _gi_case()
    html = park_report(data, assessments, lang=lang).to_html()
    heads, rows = _table(html, "gi-g")
    assert heads[1:] == ["2020"]
    assert rows[0] == [("A", "A"), ("68.8", "")]
    assert rows[1][1][0] == "–" and rows[1][1][1].endswith(": 2" if lang == "en" else "：2")
    # no three consecutive years: said so, no trend
    _, win = _table(html, "gi-window-g")
    assert win[0][1][0] == ("no three consecutive years with a GI" if lang == "en"
                            else "没有连续三年的 GI")
    # none asked for: no GI block
    assert 'id="gi-g"' not in park_report(data, assessments, green_index={}).to_html()


def test_workbook_without_a_build_keeps_park_table_names(tmp_path):
    """Park tables given to write_excel without a build keep their CSV names (no build
    results sheet to stand for park26_results)."""
    from gipro.report import write_excel

    t = pd.DataFrame({"park": ["A"], "gi": [68.75]})
    path = write_excel(tmp_path / "b.xlsx", park_tables={"g_green_index": t,
                                                         "park26_results": t})
    wb = openpyxl.load_workbook(path, read_only=True)
    assert {"g_green_index", "park26_results"} <= set(wb.sheetnames)
    assert list(wb["g_green_index"].iter_rows(values_only=True)) == [("park", "gi"),
                                                                     ("A", 68.75)]


def test_docs_list_the_workbook_sheets():
    text = (Path(__file__).resolve().parents[1] / "docs" / "parks.md").read_text(
        encoding="utf-8")
    assert "miit_green_index" in text and "--excel" in text
