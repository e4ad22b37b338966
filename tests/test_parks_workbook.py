"""The park data-entry workbook (gipro.parks.workbook, ``gipro template``, ``gipro assess
FILE.xlsx``).

Expected values: the example parks themselves (a pre-filled workbook read back holds the
example's values and gives the verdicts of ``gipro assess --example``); the catalogue's ranges,
yes/no and category lists for the validation rules; hand calculations for the enterprise
roll-up (energy per IVA = (10 + 30) / (100 + 100) = 0.2 tce/10k CNY over the two firms that
report both; IVA total only when every firm reports it).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from gipro import parks
from gipro.cli import _years_after_option, app
from gipro.errors import InputError
from gipro.parks.workbook import is_template, read_template, write_template

runner = CliRunner()
COLS = ["park", "year", "outcome", "verdict", "verified", "reasons", "caveats"]


@pytest.fixture(scope="module")
def example():
    data = parks.example()
    return data, {c: parks.assess(c, data) for c in ("eip", "hj274", "miit")}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """An hj274 workbook for two parks and two years, made from a park table."""
    tmp = tmp_path_factory.mktemp("wb")
    table = pd.DataFrame({"park": ["A", "B"], "name": ["Park A", "Park B"],
                          "water_scarce": [True, False]})
    return write_template(tmp / "small.xlsx", "hj274", parks=table, years=[2021, 2022])


def _rows(ws) -> dict[str, int]:
    """Row of each indicator code on the indicators sheet."""
    return {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}


def _fill(src, out, edits):
    """Open ``src``, apply ``edits(wb)``, save as ``out``."""
    wb = load_workbook(src)
    edits(wb)
    wb.save(out)
    return out


def test_example_workbook_read_back_gives_the_example_verdicts(tmp_path, example):
    """One workbook for every framework (their indicators together)."""
    data, before = example
    path = write_template(tmp_path / "ex.xlsx", "all", example=True)
    assert is_template(path)
    back = read_template(path)
    assert back.synthetic and back.park_codes == data.park_codes
    for code in before:
        after = parks.assess(code, back)
        pd.testing.assert_frame_equal(before[code].verdicts[COLS], after.verdicts[COLS])
        pd.testing.assert_frame_equal(before[code].requirements, after.requirements)


def test_validation_lists_and_protection(small):
    wb = load_workbook(small)
    ws = wb["indicators"]
    rows = _rows(ws)
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            rules[int("".join(ch for ch in rng.split(":")[0] if ch.isdigit()))] = dv
    share = rules[rows["solid_waste_utilisation_pct"]]  # >= 0, no upper bound (see catalogue)
    assert (share.type, share.operator, float(share.formula1)) == ("decimal", "between", 0.0)
    cover = rules[rows["green_cover_pct"]]
    assert (float(cover.formula1), float(cover.formula2)) == (0.0, 100.0)
    flag = rules[rows["central_wwtp"]]
    assert (flag.type, flag.formula1) == ("list", '"yes,no"')
    level = rules[rows["key_pollutants_compliance"]]
    assert level.formula1 == '"compliant,non-compliant"'
    # the cells to fill: 2 parks x 2 years, columns H to K
    assert f"H{rows['green_cover_pct']}:K{rows['green_cover_pct']}" in str(cover.sqref).split()
    assert ws.protection.sheet and wb["parks"].protection.sheet
    assert ws["A3"].protection.locked and ws["H1"].protection.locked
    assert not ws["H3"].protection.locked
    parks_dv = wb["parks"].data_validations.dataValidation
    assert [(d.formula1, str(d.sqref)) for d in parks_dv] == [('"yes,no"', "F2:F3")]
    assert wb["gipro"].sheet_state == "hidden"


def test_chinese_workbook(tmp_path):
    path = write_template(tmp_path / "zh.xlsx", "eip", parks=pd.DataFrame({"park": ["A"]}),
                          years=[2023], lang="zh")
    wb = load_workbook(path)
    ws = wb["indicators"]
    assert [c.value for c in ws[1][:7]] == ["代码", "名称", "单位", "定义", "计算方法",
                                            "阈值（评价标准）", "阈值是否已核实"]
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists == {'"是,否"'}
    assert wb["instructions"]["A1"].value.startswith("gipro 数据填报工作簿")
    ws[f"H{_rows(ws)['management_entity']}"] = "是"
    wb.save(tmp_path / "f.xlsx")
    d = read_template(tmp_path / "f.xlsx")
    assert d.values[["indicator", "value"]].values.tolist() == [["management_entity", 1.0]]


def test_bad_cells_are_errors_naming_sheet_and_cell(tmp_path, small):
    def edits(wb):
        ws = wb["indicators"]
        r = _rows(ws)
        for col in "HIJK":  # every park-year has a value, except B in 2022 (K)
            if col != "K":
                ws[f"{col}{r['water_per_iva']}"] = 7.5
        ws[f"H{r['energy_per_iva']}"] = "0,5"          # text in a numeric cell
        ws[f"I{r['green_cover_pct']}"] = 120           # outside 0-100 %
        ws[f"H{r['central_wwtp']}"] = "maybe"          # neither yes nor no
        ws[f"I{r['key_pollutants_compliance']}"] = "ok"  # not a level
        ws[f"J{r['energy_elasticity']}"] = "=1/0"      # a formula without a saved result
        ws["A12"] = "renamed_code"                     # a structure cell
        ws["XFD1048576"] = "stray"                     # far away
    path = _fill(small, tmp_path / "bad.xlsx", edits)
    with pytest.raises(InputError) as e:
        read_template(path)
    wb = load_workbook(small)
    r = _rows(wb["indicators"])
    code12 = wb["indicators"]["A12"].value
    assert e.value.message == "bad.xlsx: 8 problems in the data-entry workbook"
    assert sorted(e.value.details) == sorted([
        "indicators!XFD1048576: a value outside the table (A1:K34) is not read: move it into "
        "the table or delete it",
        f"indicators!J{r['energy_elasticity']} holds the formula =1/0 without a saved result: "
        "open the file in Excel or LibreOffice and save it, or type the value",
        f"indicators!A12: expected the indicator code {code12!r}, found 'renamed_code' "
        "(structure cells must stay as gipro template wrote them: a changed code, a moved "
        "column or row would be read as another; undo the change or make a new workbook with "
        "gipro template)",
        f"indicators!H{r['energy_per_iva']}: text '0,5' in a numeric cell (energy_per_iva, "
        "tce/10k CNY): type a number (a cell formatted as text keeps even digits as text)",
        f"indicators!I{r['green_cover_pct']}: 120 is outside what green_cover_pct can take "
        "(0 to 100 %)",
        f"indicators!H{r['central_wwtp']}: 'maybe' is neither yes nor no (central_wwtp)",
        f"indicators!I{r['key_pollutants_compliance']}: 'ok' is not a level of "
        "key_pollutants_compliance (levels: compliant, non-compliant)",
        "indicators!K3:K34: park B has no value in 2022 (nor enterprise records): fill in its "
        "data for that year, or make the workbook without that year (gipro template --years "
        "...)"])


def test_moved_park_column_is_a_structure_error(tmp_path, small):
    def swap(wb):
        ws = wb["indicators"]
        ws["H1"], ws["J1"] = ws["J1"].value, ws["H1"].value
    with pytest.raises(InputError) as e:
        read_template(_fill(small, tmp_path / "moved.xlsx", swap))
    assert e.value.details[:2] == [
        "indicators!H1: expected the park code 'A', found 'B' (structure cells must stay as "
        "gipro template wrote them: a changed code, a moved column or row would be read as "
        "another; undo the change or make a new workbook with gipro template)",
        "indicators!J1: expected the park code 'B', found 'A' (structure cells must stay as "
        "gipro template wrote them: a changed code, a moved column or row would be read as "
        "another; undo the change or make a new workbook with gipro template)"]


def test_empty_cells_are_missing_never_zero(tmp_path, small):
    def edits(wb):
        ws = wb["indicators"]
        r = _rows(ws)
        for col in "HIJK":
            ws[f"{col}{r['water_per_iva']}"] = 7.5
        ws[f"H{r['energy_per_iva']}"] = 0.54  # <= 0.5: gap 0.04 = 8 % <= 10 %
        ws[f"H{r['central_wwtp']}"] = "no"
    d = read_template(_fill(small, tmp_path / "ok.xlsx", edits))
    assert len(d.values) == 6
    a = parks.assess("hj274", d).requirements.set_index(["park", "year", "requirement"])
    assert a.loc[("A", 2021, "HJ-11"), ["value", "outcome"]].tolist() == [0.54, "partly met"]
    assert a.loc[("A", 2021, "HJ-22"), ["value_label", "outcome"]].tolist() == ["no",
                                                                                "not met"]
    assert a.loc[("B", 2022, "HJ-11"), "outcome"] == "no data"   # empty cell: no data, not 0
    assert d.parks.loc["A", "water_scarce"] is True and d.parks.loc["A", "name"] == "Park A"


def test_enterprise_sheet_is_rolled_up(tmp_path):
    """Three firms of park A: energy per IVA = (10 + 30 + 10) / (100 + 100 + 50) = 0.2;
    cleaner-production audit rate of key enterprises = 1 of 2 = 50 %; IVA total = 250."""
    path = write_template(tmp_path / "e.xlsx", "hj274", parks=pd.DataFrame({"park": ["A"]}),
                          years=[2021], enterprises=True)

    def edits(wb):
        ws = wb["enterprises"]
        head = [c.value for c in ws[1]]
        for i, rec in enumerate([{"park": "A", "year": 2021, "enterprise": "e1",
                                  "value_added": 100, "energy_tce": 10, "cp_audit": "yes",
                                  "key_enterprise": "yes"},
                                 {"park": "A", "year": 2021, "enterprise": "e2",
                                  "value_added": 100, "energy_tce": 30, "cp_audit": "no",
                                  "key_enterprise": "yes"},
                                 {"park": "A", "year": 2021, "enterprise": "e3",
                                  "value_added": 50, "energy_tce": 10, "cp_audit": "no",
                                  "key_enterprise": "no"}], start=2):
            for k, v in rec.items():
                ws.cell(i, head.index(k) + 1, v)
    d = read_template(_fill(path, tmp_path / "filled.xlsx", edits))
    v = d.values.set_index("indicator")["value"]
    assert v["iva_total"] == 250.0
    assert v["energy_per_iva"] == pytest.approx(0.2)
    assert v["cp_audit_rate_key_pct"] == pytest.approx(50.0)

    def bad(wb):
        ws = wb["enterprises"]
        ws["A2"], ws["B2"], ws["D2"] = "Z", 2020, -5
    with pytest.raises(InputError) as e:
        read_template(_fill(path, tmp_path / "bad.xlsx", bad))
    assert e.value.details == [
        "enterprises!A2: park 'Z' is not a park of the workbook (A)",
        "enterprises!B2: year 2020 is not a year of the workbook (2021)",
        "enterprises!D2: -5: value_added cannot be negative",
        "indicators!H3:H35: park A has no value in 2021 (nor enterprise records): fill in "
        "its data for that year, or make the workbook without that year (gipro template "
        "--years ...)"]


def test_cli_template_and_assess(tmp_path):
    table = tmp_path / "parks.csv"
    table.write_text("park,name\nP1,Park one\n", encoding="utf-8")
    out = tmp_path / "t.xlsx"
    r = runner.invoke(app, ["template", "-f", "eip", "--parks", str(table), "--years",
                            "2022-2023", "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["template", "-f", "eip", "--parks", str(table), "--years", "2022",
                            "--out", str(out)])
    assert r.exit_code == 1 and "does not overwrite" in r.output
    assert runner.invoke(app, ["template", "--out", str(tmp_path / "x.xlsx")]).exit_code == 2
    assert runner.invoke(app, ["template", "--example", "--out", "x.csv"]).exit_code == 2

    def fill(wb):
        ws = wb["indicators"]
        ws[f"H{_rows(ws)['management_entity']}"] = "yes"
        ws[f"I{_rows(ws)['management_entity']}"] = "no"
    _fill(out, tmp_path / "f.xlsx", fill)
    r = runner.invoke(app, ["assess", str(tmp_path / "f.xlsx"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "o").glob("*_verdicts.csv")) == [
        "eip_verdicts.csv"]  # the framework the workbook was made for
    r = runner.invoke(app, ["assess", str(tmp_path / "f.xlsx"), "--sheet", "x", "--out",
                            str(tmp_path / "o2")])
    assert r.exit_code == 1 and "--sheet do(es) not apply to it" in r.output
    v = pd.read_csv(tmp_path / "o" / "eip_requirements.csv")
    pm1 = v[v["indicator"] == "management_entity"].set_index("year")["outcome"]
    assert pm1.to_dict() == {2022: "met", 2023: "not met"}


def test_years_after_one_option():
    argv = ["template", "--years", "2021", "2022", "2023", "--example", "--years", "2019"]
    assert _years_after_option(argv) == ["template", "--years", "2021", "--years", "2022",
                                         "--years", "2023", "--example", "--years", "2019"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None or not os.environ.get("GIPRO_TEST_SOFFICE"),
                    reason="LibreOffice check: needs soffice and GIPRO_TEST_SOFFICE=1")
def test_workbook_converts_with_libreoffice(tmp_path, small):
    """``soffice --headless --convert-to pdf`` converts the workbook without an error; saved
    again by LibreOffice as .xlsx, it keeps its validation lists and reads back."""
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    for fmt in ("pdf", "xlsx:Calc MS Excel 2007 XML"):
        out = tmp_path / fmt.split(":")[0]
        r = subprocess.run(["soffice", profile, "--headless", "--convert-to", fmt,
                            "--outdir", str(out), str(small)], capture_output=True,
                           text=True, timeout=240)
        assert r.returncode == 0 and "Error" not in r.stderr, r.stderr
    pdf = tmp_path / "pdf" / "small.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    resaved = tmp_path / "xlsx" / "small.xlsx"
    ws = load_workbook(resaved)["indicators"]
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert {'"yes,no"', '"compliant,non-compliant"'} <= lists
    with pytest.raises(InputError, match="park A has no value in 2021"):
        read_template(resaved)  # the layout survives; the empty workbook is reported
