"""Park frameworks a user can correct and cite (gipro.parks.framework_io, model.export /
load, the verification of thresholds and rules).

Expected values: the built-in frameworks themselves (an exported and re-read framework equals
the built-in one field by field; its verdicts equal the built-in's); hand calculations for an
edited threshold (MIIT BR-4: PARK-C's cleaner-production audit rate 96.67 % of key
enterprises, the example's input, meets ``>= 95`` and fails ``== 100``; BR-4 is the only
basic requirement PARK-C misses in 2023, so its verdict turns from fail to pass); GI with
category weights by hand (EG weight 3 with ratio 0.8, RG weight 1 with ratio 1:
100 * (3 * 0.8 + 1 * 1) / 4 = 85).
"""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gipro import parks
from gipro.cli import app
from gipro.errors import FrameworkError, InputError
from gipro.parks.model import export_park_framework, load_park_framework

runner = CliRunner()


@pytest.fixture(scope="module")
def data():
    return parks.example()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every built-in framework exported once in each form: {(code, suffix): path}."""
    tmp = tmp_path_factory.mktemp("exported")
    return {(c, s): export_park_framework(c, tmp / f"{c}.{s}")
            for c in parks.builtin_park_frameworks() for s in ("yaml", "csv", "xlsx")}


def _dump(fw):
    d = fw.model_dump()
    d["based_on"] = None
    return d


def test_export_and_reread_gives_the_builtin_framework(exported):
    for (code, _), path in exported.items():
        fw = load_park_framework(path)
        assert fw.based_on == code
        assert _dump(fw) == _dump(load_park_framework(code))
        assert fw.notes == []


@pytest.mark.parametrize("code,suffix", [("hj274", "xlsx"), ("miit", "csv"), ("eip", "yaml")])
def test_reread_framework_gives_the_same_verdicts(exported, data, code, suffix):
    fw = load_park_framework(exported[code, suffix])
    a, b = parks.assess(code, data), parks.assess(fw, data)
    cols = ["park", "year", "outcome", "verdict", "verified", "reasons", "caveats"]
    pd.testing.assert_frame_equal(a.verdicts[cols], b.verdicts[cols])
    pd.testing.assert_frame_equal(a.requirements, b.requirements)


def _edit(path, out, sheet, code, **cells):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            for col, v in cells.items():
                row[head.index(col)].value = v
    wb.save(out)
    return out


def test_hand_edited_threshold_with_a_source_changes_the_verdict(tmp_path, data, exported):
    """MIIT BR-4 (verified by gipro: == 100 %) edited in the Excel export to >= 95 with a
    source: PARK-C (96.67 %) meets it, and BR-4 was its only failing basic requirement."""
    x = exported["miit", "xlsx"]
    src = "Provincial rule X, art. 3, p. 2"
    fw = load_park_framework(_edit(x, tmp_path / "e.xlsx", "requirements", "BR-4",
                                   comparator=">=", threshold=95, user_verified="yes",
                                   user_source=src))
    before = parks.assess("miit", data)
    after = parks.assess(fw, data)
    key = ["park", "year"]
    v0 = before.verdicts.set_index(key).loc[("PARK-C", 2023)]
    v1 = after.verdicts.set_index(key).loc[("PARK-C", 2023)]
    assert v0["outcome"] == "fail" and v0["reasons"].startswith("BR-4 partly met")
    assert v1["outcome"] == "pass" and v1["reasons"] == ""
    r = after.requirements.set_index([*key, "requirement"]).loc[("PARK-C", 2023, "BR-4")]
    assert r["value"] == pytest.approx(96.6667, abs=1e-4)
    assert (r["outcome"], r["threshold"], r["verified"]) == ("met", "95", True)
    assert r["flag"] == f"verified by user: {src}"
    assert any("BR-4" in n and f"verified by user: {src}" in n for n in after.notes)
    # a requirement reading the same indicator, and other parks, follow the same rule
    rows = after.requirements[after.requirements["requirement"] == "BR-4"]
    assert ((rows["value"] >= 95) == (rows["outcome"] == "met")).all()


def test_edited_threshold_without_a_source_stays_unverified(tmp_path, exported):
    x = exported["miit", "xlsx"]
    fw = load_park_framework(_edit(x, tmp_path / "e.xlsx", "requirements", "BR-4",
                                   threshold=95, user_verified="yes"))
    r = fw.requirement("BR-4")
    assert r.threshold == 95.0 and not r.verified and not r.is_verified
    assert r.verification == "unverified"
    assert any("BR-4" in n and "without a user_source" in n for n in fw.notes)
    assert any("BR-4: == 95 (built-in == 100); unverified (edited)" in n for n in fw.notes)


def test_verified_is_gipros_reading_and_cannot_be_claimed(tmp_path, exported):
    y = exported["hj274", "yaml"]
    text = y.read_text(encoding="utf-8").replace("  verified: false\n  note: name and "
                                                 "category read", "  verified: true\n  note: "
                                                 "name and category read", 1)
    (tmp_path / "claim.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as e:
        load_park_framework(tmp_path / "claim.yaml")
    assert "requirement HJ-01: verified is gipro's reading" in " ".join(e.value.details)
    text = exported["eip", "yaml"].read_text(encoding="utf-8").replace(
        "structure_verified: false", "structure_verified: true", 1)
    (tmp_path / "claim2.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match="structure_verified: the built-in eip"):
        load_park_framework(tmp_path / "claim2.yaml")


def test_structure_rules_are_editable_and_marked(tmp_path, data, exported):
    """HJ 274's optional-indicator count set by the user (with a source) is applied and
    named in every verdict; a group rule edited without a source stays unverified."""
    x = exported["hj274", "xlsx"]
    wb = openpyxl.load_workbook(x)
    ws = wb["verdict"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in ("optional_at_least", "user_verified", "user_source"):
            row[1].value = {"optional_at_least": 40, "user_verified": "yes",
                            "user_source": "HJ 274-2015, 4.2"}[row[0].value]
    g = wb["groups"]
    g["B3"] = 2  # HJ-LAND: 2 of 2 instead of 1 of 2
    wb.save(tmp_path / "e.xlsx")
    fw = load_park_framework(tmp_path / "e.xlsx")
    assert fw.verdict.verification == "verified by user: HJ 274-2015, 4.2"
    assert fw.group("HJ-LAND").at_least == 2 and not fw.group("HJ-LAND").is_verified
    a = parks.assess(fw, data)
    # 40 optional items cannot be met (HJ 274 has 15): every park-year fails on it
    assert (a.verdicts["outcome"] == "fail").all()
    assert a.verdicts["reasons"].str.contains("fewer than 40 optional items met").all()
    assert a.verdicts["caveats"].str.contains(
        "optional-indicator rule: at least 40 optional items met (verified by user: HJ "
        "274-2015, 4.2)", regex=False).all()
    land = a.groups[a.groups["group"] == "HJ-LAND"]
    assert (land["k"] == 2).all() and (land["verification"] == "unverified").all()


def test_moved_column_and_bad_cell_name_the_cell(tmp_path, exported):
    x = exported["hj274", "xlsx"]
    wb = openpyxl.load_workbook(x)
    ws = wb["requirements"]
    ws["I1"], ws["H1"] = ws["H1"].value, ws["I1"].value  # threshold <-> comparator
    wb.save(tmp_path / "moved.xlsx")
    with pytest.raises(FrameworkError) as e:
        load_park_framework(tmp_path / "moved.xlsx")
    assert any(d.startswith("requirements!H1: expected the column 'comparator', found "
                            "'threshold'") for d in e.value.details)
    for cell, value, message in [
            ("I7", "seventy", "requirements!I7: requirement HJ-06: comparator '>=' needs a "
             "number, got 'seventy'"),
            ("P3", 5, "requirements!P3 (requirements.1.tolerance): Input should be less "
             "than 1")]:  # tolerance 5 meant as 5 %
        wb = openpyxl.load_workbook(x)
        wb["requirements"][cell] = value
        wb.save(tmp_path / "bad.xlsx")
        with pytest.raises(FrameworkError) as e:
            load_park_framework(tmp_path / "bad.xlsx")
        assert e.value.details == [message]
    wb = openpyxl.load_workbook(x)
    wb["requirements"]["P3"] = "5%"
    wb["requirements"]["XFD1048576"] = "stray"
    wb.save(tmp_path / "bad2.xlsx")
    with pytest.raises(FrameworkError) as e:
        load_park_framework(tmp_path / "bad2.xlsx")
    assert e.value.details[0] == "requirements!XFD1048576: a value outside the table " \
        "(columns A-U, at most 5000 rows) is not read: move it into the table or delete it"


def test_csv_errors_name_row_and_column(tmp_path, exported):
    with open(exported["eip", "csv"], encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    k = next(i for i, ln in enumerate(lines) if ln[0] == "requirements")
    lines[k][lines[0].index("user_verified")] = "maybe"
    c = tmp_path / "eip.csv"
    with open(c, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(lines)
    with pytest.raises(FrameworkError) as e:
        load_park_framework(c)
    assert e.value.details == [f"eip.csv row {k + 1}, column user_verified: 'maybe' is "
                               "neither yes nor no (use yes/no, true/false, 1/0, "
                               "present/absent (是/否))"]


def test_green_index_category_weights_by_hand():
    """EG weight 3 (ratio 2.4/3 = 0.8), RG weight 1 (ratio 5/4 capped at 1):
    GI = 100 * (3 * 0.8 + 1 * 1) / 4 = 85; equal weights per indicator give 90."""
    spec = {
        "code": "gi-w", "name": "GI weights", "verdict": {"indicator_role": "leading_value"},
        "categories": [{"code": "EG", "name": "EG"}, {"code": "RG", "name": "RG"}],
        "requirements": [
            {"code": "1", "name": "Energy productivity", "category": "EG",
             "indicator": "energy_productivity", "comparator": ">=", "threshold": 3,
             "status": "mandatory"},
            {"code": "23", "name": "Wastewater per IVA", "category": "RG",
             "indicator": "wastewater_per_iva", "comparator": "<=", "threshold": 5,
             "status": "mandatory"}]}
    d = parks.ParkData.from_long(pd.DataFrame({
        "park": "A", "year": 2020, "indicator": ["energy_productivity", "wastewater_per_iva"],
        "value": [2.4, 4.0]}))
    eq = parks.green_index(d, parks.park_framework_from_dict(spec))
    assert eq.scores["gi"].item() == pytest.approx(90.0, abs=1e-12)
    spec["green_index"] = {"category_weights": {"EG": 3, "RG": 1}, "user_verified": True,
                           "user_source": "DB21/T 3662-2022, 5.3"}
    w = parks.green_index(d, parks.park_framework_from_dict(spec))
    assert w.scores["gi"].item() == pytest.approx(85.0, abs=1e-12)
    assert w.scores["weights"].item() == ("EG 3, RG 1 (verified by user: DB21/T 3662-2022, "
                                          "5.3)")
    spec["green_index"] = {"category_weights": {"EG": 1}}
    with pytest.raises(InputError, match="no category weight for RG"):
        parks.green_index(d, parks.park_framework_from_dict(spec))


def test_cli_export_assess_and_outputs_say_verified_by_user(tmp_path):
    out = tmp_path / "miit.xlsx"
    r = runner.invoke(app, ["frameworks", "export", "miit", "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["frameworks", "export", "miit", "--out", str(out)])
    assert r.exit_code == 1 and "gipro does not overwrite a file" in r.output
    r = runner.invoke(app, ["frameworks", "export", "miit", "--out", str(tmp_path / "m.txt")])
    assert r.exit_code == 2
    src = "MIIT 586 annex, table 1, p. 3"
    e = _edit(out, tmp_path / "e.xlsx", "requirements", "BR-4", comparator=">=",
              threshold=95, user_verified="yes", user_source=src)
    res = tmp_path / "res"
    small = tmp_path / "parks.csv"  # PARK-C's audit rate of the example, one year
    small.write_text("park,year,indicator,value\nPARK-C,2023,cp_audit_rate_key_pct,"
                     "96.6667\n", encoding="utf-8")
    r = runner.invoke(app, ["assess", str(small), "-f", str(e), "--out", str(res), "--report",
                            str(tmp_path / "r.html"), "--excel", str(tmp_path / "r.xlsx")],
                      env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    flag = f"verified by user: {src}"
    assert flag in r.output and flag in (res / "README.txt").read_text(encoding="utf-8")
    req = pd.read_csv(res / f"{load_park_framework(e).code}_requirements.csv")
    assert (req.loc[req["requirement"] == "BR-4", "flag"] == flag).all()
    assert (req.loc[req["requirement"] != "BR-4", "flag"] != flag).all()
    cw = pd.read_csv(res / "crosswalk.csv").set_index("item")
    assert cw.loc["BR-4", ["verified", "verification"]].tolist() == [True, flag]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"&gt;= 95 % ({flag})" in html  # the scorecard's threshold cell
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    ws = wb["miit_requirements"]
    head = next(ws.iter_rows(max_row=1, values_only=True))
    flags = {row[head.index("flag")] for row in ws.iter_rows(min_row=2, values_only=True)
             if row[head.index("requirement")] == "BR-4"}
    assert flags == {flag}
