"""Yearbook sheets (gipro.yearbook, gipro.provinces) on hand-made sheets in every layout the
issue lists; expected values are the cells typed into the sheets below."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import gipro
from gipro.errors import InputError
from gipro.provinces import PROVINCES, match_province, province_table
from gipro.yearbook import read_yearbook, read_yearbooks

# GB/T 2260-2007, provincial level (numeric code, full name), typed from the standard's table;
# two-letter codes from ISO 3166-2:CN (the same letters as GB/T 2260's alphabetic codes).
GB2260 = """\
110000 北京市 BJ
120000 天津市 TJ
130000 河北省 HE
140000 山西省 SX
150000 内蒙古自治区 NM
210000 辽宁省 LN
220000 吉林省 JL
230000 黑龙江省 HL
310000 上海市 SH
320000 江苏省 JS
330000 浙江省 ZJ
340000 安徽省 AH
350000 福建省 FJ
360000 江西省 JX
370000 山东省 SD
410000 河南省 HA
420000 湖北省 HB
430000 湖南省 HN
440000 广东省 GD
450000 广西壮族自治区 GX
460000 海南省 HI
500000 重庆市 CQ
510000 四川省 SC
520000 贵州省 GZ
530000 云南省 YN
540000 西藏自治区 XZ
610000 陕西省 SN
620000 甘肃省 GS
630000 青海省 QH
640000 宁夏回族自治区 NX
650000 新疆维吾尔自治区 XJ
710000 台湾省 TW
810000 香港特别行政区 HK
820000 澳门特别行政区 MO
"""


def test_province_table_is_gb_t_2260():
    expected = [tuple(e.split()) for e in GB2260.strip().splitlines()]
    assert [(p.gb, p.zh, p.letters) for p in PROVINCES] == expected
    assert len(province_table()) == 34


@pytest.mark.parametrize("text", ["内蒙古自治区", "内蒙古", "Inner Mongolia", "Nei Mongol",
                                  "INNER MONGOLIA AUTONOMOUS REGION", "NM", "150000", 150000.0,
                                  "15", "内　蒙　古", "内蒙古①", "Inner Mongolia*"])
def test_every_common_form_of_a_name(text):
    assert match_province(text).province.gb == "150000"


def test_other_forms_and_totals():
    assert [match_province(t).province.code for t in ("北京市", "北京", "Beijing", "BJ",
                                                      "110000", "Shaanxi", "陕西省",
                                                      "Xizang", "Macau", "香港")] == [
        "Beijing"] * 5 + ["Shaanxi", "Shaanxi", "Tibet", "Macao", "HongKong"]
    assert match_province("Shanxi").province.zh == "山西省"
    assert [match_province(t).kind for t in ("全国", "全 国", "合计", "National Total",
                                             "东部地区", "Eastern")] == [
        "total"] * 4 + ["region"] * 2


def test_unknown_and_ambiguous_names_list_candidates():
    with pytest.raises(InputError, match="unknown region name '北泉'") as e:
        match_province("北泉", " in t.csv, row 9")
    assert "北京市 Beijing (110000)" in str(e.value)
    with pytest.raises(InputError, match="ambiguous region code 'HN'") as e:
        match_province("HN")
    assert "河南 Henan (HA)" in str(e.value) and "海南 Hainan (HI)" in str(e.value)


# a region x year sheet saved by Excel on Chinese Windows: GBK, title and unit line, a
# national total first, names in several forms, a dash for missing, footnotes
CO2_BY_YEAR = """表 3-12  各地区二氧化碳排放量,,,
单位：万吨,,,
地区,2018年,2019年,2020年
全  国,"98,100.5","99,200.0","98,900.0"
北京市,9000.5,8800,8600
天津,"15,000",14800,—
Hebei,90000,91000,92000
NM,70000,72000,73000
150000.0,1,2,3
注：—表示数据缺失。,,,
资料来源：《中国能源统计年鉴》。,,,
"""


def _gbk_csv(tmp_path, text, name="co2.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("gbk"))
    return p


def test_region_by_year_gbk_csv(tmp_path):
    f = _gbk_csv(tmp_path, CO2_BY_YEAR.replace("150000.0,1,2,3\n", ""))
    t = read_yearbook(f, indicator="co2")
    assert t.indicator_units == {"co2": "万吨"}
    wide = t.data.pivot(index="unit", columns="period", values="value")
    assert wide.loc["Beijing"].tolist() == [9000.5, 8800.0, 8600.0]
    assert wide.loc["Tianjin", 2018] == 15000.0 and pd.isna(wide.loc["Tianjin", 2020])
    assert wide.loc["InnerMongolia"].tolist() == [70000.0, 72000.0, 73000.0]
    assert list(dict.fromkeys(t.data["unit"])) == ["Beijing", "Tianjin", "Hebei",
                                                   "InnerMongolia"]
    assert t.totals["value"].tolist() == [98100.5, 99200.0, 98900.0]
    notes = " ".join(t.notes)
    assert "not UTF-8, read as GB18030 (GBK)" in notes
    assert "kept apart (not units): 全  国" in notes
    assert "rows skipped: row 9 (a note: '注:—表示数据缺失。')" in notes


def test_same_province_twice_is_an_error(tmp_path):
    f = _gbk_csv(tmp_path, CO2_BY_YEAR)
    with pytest.raises(InputError, match=r"内蒙古 Inner Mongolia is in rows 8 and 9"):
        read_yearbook(f, indicator="co2")


def test_unknown_region_names_file_and_row(tmp_path):
    f = _gbk_csv(tmp_path, CO2_BY_YEAR.replace("Hebei,", "石家庄,"))
    with pytest.raises(InputError, match=r"unknown region name '石家庄' in .*co2.csv, row 7"):
        read_yearbook(f, indicator="co2")
    t = read_yearbook(f, indicator="co2", drop_rows=["石家庄", "150000.0"])
    assert "Hebei" not in set(t.data["unit"])


def test_region_by_year_needs_the_indicator(tmp_path):
    with pytest.raises(InputError, match="holds one indicator"):
        read_yearbook(_gbk_csv(tmp_path, CO2_BY_YEAR), encoding="gbk")


def _excel_by_indicator(path, *, unit_row=False, title="2020年各地区工业主要指标"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表8-1"
    ws["A1"] = title
    ws.merge_cells("A1:D1")  # a merged title cell
    ws["A2"] = None
    if unit_row:
        ws.append(["地区", "工业增加值", "工业废水排放量", "工业用水重复利用率"])
        ws.append([None, "(亿元)", "(万吨)", "%"])
    else:
        ws.append(["地区", "工业增加值（亿元）", "工业废水排放量（万吨）", "工业用水重复利用率(%)"])
    ws.append(["全国", 313071.1, 1772000, 92.5])
    ws.append(["北京", 4216.5, 8900, 95.2])
    ws.append(["上海市", 9656.5, 21000, "—"])
    ws.append(["广东省", 33303.8, 152000, 90.1])
    ws.append(["东部地区", 180000, 800000, 93.0])
    ws.append(["注：本表按当年价格计算。"])
    ws.merge_cells(f"A{ws.max_row}:D{ws.max_row}")
    wb.save(path)
    return path


@pytest.mark.parametrize("unit_row", [False, True])
def test_region_by_indicator_excel_with_merged_title(tmp_path, unit_row):
    f = _excel_by_indicator(tmp_path / "ind.xlsx", unit_row=unit_row)
    t = read_yearbook(f, columns={"工业增加值": "va_ind", "工业废水排放量": "ww_ind",
                                  "工业用水重复利用率": "water_reuse"})
    assert t.indicator_units == {"va_ind": "亿元", "ww_ind": "万吨", "water_reuse": "%"}
    assert set(t.data["period"]) == {2020}  # read from the title
    wide = t.data.pivot(index="unit", columns="indicator", values="value")
    assert wide.loc["Shanghai", "ww_ind"] == 21000.0
    assert pd.isna(wide.loc["Shanghai", "water_reuse"])
    assert wide.loc["Guangdong", "va_ind"] == 33303.8
    assert sorted(set(t.totals["name"])) == ["东部地区", "全国"]
    assert set(t.totals["kind"]) == {"total", "region"}


def test_region_by_indicator_needs_a_year(tmp_path):
    f = _excel_by_indicator(tmp_path / "ind.xlsx", title="各地区工业主要指标")
    with pytest.raises(InputError, match="which year is this sheet"):
        read_yearbook(f, columns={"工业增加值": "va_ind", "工业废水排放量": "ww_ind",
                                  "工业用水重复利用率": "water_reuse"})
    t = read_yearbook(f, period=2019, columns={"工业增加值": "va_ind", "工业废水排放量": "ww_ind",
                                              "工业用水重复利用率": "water_reuse"})
    assert set(t.data["period"]) == {2019}


def test_sheets_merge_into_one_panel_and_clash(tmp_path):
    by_year = _gbk_csv(tmp_path, CO2_BY_YEAR.replace("150000.0,1,2,3\n", ""))
    by_ind = _excel_by_indicator(tmp_path / "ind.xlsx")
    cols = {"工业增加值": "va_ind", "工业废水排放量": "ww_ind", "工业用水重复利用率": "water_reuse"}
    panel = read_yearbooks([{"path": by_year, "indicator": "co2"},
                            {"path": by_ind, "columns": cols}])
    assert panel.indicator_codes == ["co2", "va_ind", "ww_ind", "water_reuse"]
    assert panel.units.loc["Beijing", "name_zh"] == "北京"
    assert panel.values.loc[("Beijing", 2020), "co2"] == 8600.0
    assert panel.values.loc[("Beijing", 2020), "va_ind"] == 4216.5
    assert {r["unit"] for r in panel.removed} == {"全  国", "全国", "东部地区"}
    with pytest.raises(InputError, match="given by two sheets"):
        read_yearbooks([{"path": by_year, "indicator": "co2"},
                        {"path": by_year, "indicator": "co2"}])


def test_recipe_reads_yearbook_sheets(tmp_path):
    _gbk_csv(tmp_path, CO2_BY_YEAR.replace("150000.0,1,2,3\n", ""))
    _excel_by_indicator(tmp_path / "ind.xlsx")
    (tmp_path / "fw.yaml").write_text(
        "code: t\naggregates: [{code: IDX}]\nindicators:\n"
        "  - {code: co2, parent: IDX, direction: -1, unit: 万吨}\n"
        "  - {code: water_reuse, parent: IDX, direction: 1, unit: '%'}\n", encoding="utf-8")
    (tmp_path / "recipe.yaml").write_text("""
framework: fw.yaml
data:
  yearbook:
    sheets:
      - {path: co2.csv, indicator: co2}
      - path: ind.xlsx
        columns: {工业增加值: va_ind, 工业废水排放量: ww_ind, 工业用水重复利用率: water_reuse}
periods: 2020
steps:
  - {step: normalise, method: minmax, range: [0, 100]}
  - {step: aggregate, method: arithmetic, min_availability: 0.5}
""", encoding="utf-8")
    b = gipro.run(tmp_path / "recipe.yaml")
    res = b.results()
    idx = res[res["code"] == "IDX"].set_index("unit")["score"]
    # co2 2020 (lower is better): Beijing 8600 -> 100; Hebei 92000 -> 18.66..., IM 73000
    assert idx["Beijing"] == pytest.approx((100 + 100) / 2)  # water reuse 95.2 is the best
    ex = b.exclusions()
    assert {"全  国", "全国", "东部地区"} <= set(ex["unit"])
    assert "kept apart" in " ".join(ex["reason"])
