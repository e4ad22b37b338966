"""Chinese outputs: the one catalogue of strings, the analyses' texts in Chinese, the
methodology in prose, the sources of the data set used, and every command with ``--lang zh``.

Expected Chinese texts are written by hand from the English ones (a translation, not what the
code printed); the English-run check (:mod:`english`) is the issue's measure: no run of five
English words in what a Chinese reader sees.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from english import english_runs
from gipro import parks, run
from gipro.cli import app
from gipro.report import park_report
from gipro.report.i18n import (
    PATTERNS,
    STRINGS,
    TERMS,
    check_complete,
    localise,
    measure,
    untranslated,
)
from gipro.report.prose import park_reasons, progress_paragraph, step_prose
from gipro.report.sections import dataset_notice
from report_cases import full_report

runner = CliRunner()


# ---------------------------------------------------------------------- the catalogue
def test_one_catalogue_complete_in_both_languages():
    assert check_complete() == []
    assert all(v["zh"] for v in TERMS.values())
    assert all(v["zh"] for k, v in STRINGS.items() if v["en"])
    for _, zh in PATTERNS:  # every Chinese template is Chinese
        assert english_runs(zh) == [], zh


def test_a_missing_translation_is_recorded_not_hidden():
    untranslated(clear=True)
    text = "a policy no pattern knows about yet"
    assert localise(text, "zh") == text  # never silently dropped
    assert untranslated() == [text]
    untranslated(clear=True)
    assert localise(text, "en") == text and untranslated() == []


@pytest.mark.parametrize("en, zh", [
    ("bounds pooled over all periods 2006-2015: scores are comparable across periods",
     "标准化边界取 2006-2015 全部时期的合并值：各时期得分可比"),
    ("weighted arithmetic mean level by level; weights from set 'framework', renormalised "
     "over the available children; an aggregate needs at least 50% of its children (else "
     "missing)",
     "逐层加权算术平均；采用指标体系权重，在有数据的下级指标间重新归一化；每个汇总项至少需要 50% "
     "的下级指标有数据（否则为缺失）"),
    ("series break between 2009 and 2010 (population: 2010 census (e.g. Guangxi -5.1 %, "
     "Anhui -2.8 %); Beijing 2006-2009 already revised to it); affects co2_per_capita, "
     "co2_industry_per_capita",
     "2009年与2010年之间存在统计口径断点（人口数据按 2010 年人口普查修订，如广西 -5.1%、安徽 "
     "-2.8%；北京 2006-2009 年数据已按此修订）；影响 co2_per_capita、co2_industry_per_capita"),
    ("does not meet HJ 274-2015 [SYNTHETIC data]", "未达到 HJ 274-2015 要求 ［合成数据］"),
    ("would need co2_per_capita = -3.63036 t CO2 per person, outside its feasible range "
     "[0, inf]", "需要 co2_per_capita = -3.63036 吨 CO2/人，超出其可行范围 [0, inf]"),
    ("  change 1: coal_share_industry_energy_co2 (Shanxi): close 100% of the gap to "
     "Guangdong: 5 values changed",
     "  变化 1：coal_share_industry_energy_co2（Shanxi）：缩小与 Guangdong 差距的 100%："
     "改变 5 个数值"),
])
def test_analysis_texts_in_chinese(en, zh):
    assert localise(en, "zh") == zh


def test_measurement_units_in_chinese():
    assert measure("t CO2 per person", "zh") == "吨 CO2/人"
    assert measure("t/10k CNY (吨/万元)", "zh") == "吨/万元"  # the file's own Chinese form
    assert measure("Number / Den_Pop (thousand persons)", "zh") == "个数 / Den_Pop（千人）"
    assert measure("t CO2 per person", "en") == "t CO2 per person"


def test_park_reasons_reason_by_reason():
    text = ("HJ-05 not met (5 vs >= 6 projects (个), unverified); group HJ-LAND partly met "
            "(0 met, 1 needed, 1 partly met); EN-11 not present, unverified")
    assert park_reasons(text, "zh") == (
        "HJ-05 未达标（实际 5，要求 >= 6 个，阈值未核实）；指标组 HJ-LAND 基本达标（达标 0 "
        "项，需 1 项，基本达标 1 项）；EN-11 不具备，阈值未核实")
    assert park_reasons(text, "en") == text


# ---------------------------------------------------------------------- prose
def test_each_step_in_prose_with_a_parameter_table():
    """The ASEM build runs denominate, impute, treat, normalise and aggregate."""
    from gipro.build import Build

    b = Build("examples/asem/recipe.yaml").run()
    for e in b.log:
        text, params = step_prose(e.to_dict(), "zh")
        assert english_runs(text) == [], text
        assert "{" not in text and params
        for k, _ in params:
            assert k not in {"disable", "by_code", "by_level"}  # empty: left out
    t, p = step_prose(b.log[2].to_dict(), "zh")  # treat: winmax 6, skew 2, kurtosis 3.5
    assert t == ("异常值处理：偏度超过 2.0 且峰度超过 3.5 的指标先做缩尾处理（最多 6 个值），"
                 "若仍偏态则再做变换（对数变换）。")
    assert ("最多缩尾值个数", "6") in p


def test_progress_paragraph_hand_case():
    """Three units: A +2.0, B -1.0, C without a score in the end period; indicator x
    improved in both units with data, y in one of two."""
    idx = pd.DataFrame({"unit": ["A", "B", "C"], "code": "IDX",
                        "change": [2.0, -1.0, float("nan")]})
    imp = pd.DataFrame({"code": ["x", "y"], "n_improved": [2, 1], "n_worsened": [0, 1],
                        "n_unchanged": [0, 0], "n_missing": [1, 1]})
    text = progress_paragraph(idx, imp, "IDX", "指数", {"A": "甲", "B": "乙"},
                              {"x": "指标X", "y": "指标Y"}, 2010, 2015, [], "zh")
    assert text == ("2010年至2015年，2 个单元中有 1 个在指数上取得进展，1 个退步；"
                    "变化的中位数为 +0.5 分。进步最大：甲 (+2.0)。退步最大：乙 (-1.0)。"
                    "1 个单元在2010年或2015年缺少得分。分指标看，指标X在全部 2 个单元改善；"
                    "指标Y在 2 个中的 1 个改善。")


def test_sources_hold_only_the_data_set_used():
    from gipro import datasets

    china = dataset_notice(datasets.notice(), "china_provinces")
    assert "CEADs" in china and "MIT License" not in china and "SYNTHETIC" not in china
    asem = dataset_notice(datasets.notice(), "asem")
    assert "MIT License" in asem and "CEADs provincial CO2" not in asem
    assert "SYNTHETIC" in dataset_notice(datasets.notice(), "parks_example")


# ---------------------------------------------------------------------- whole reports
@pytest.fixture(scope="module")
def china():
    return run()


def test_every_text_of_the_chinese_reports_is_translated(china):
    """Every note, caution, policy, verdict and reason of the China report (all sections)
    and of the park report goes through the catalogue: nothing left English."""
    untranslated(clear=True)
    full_report(china).to_html()
    data = parks.example()
    park_report(data, [parks.assess(f, data) for f in ("hj274", "miit", "eip")],
                park26_build=parks.park26(data), lang="zh").to_html()
    assert untranslated(clear=True) == []


# ---------------------------------------------------------------------- the command line
SCENARIOS = """\
evaluation: {bounds: frozen, clip: false, horizon: 2020, period: 2020}
scenarios:
  - name: growth
    description: real GDP grows 6.5 % a year
    changes:
      - {op: path, indicators: [gdp_real_2015prices], change_pct: 37, base: 2015, by: 2020}
targets:
  - {name: intensity, indicator: co2_intensity_gdp, change_pct: -18, base: 2015, by: 2020}
questions:
  - {unit: Shanxi, rank: 20, period: 2015}
"""

SENSITIVITY = """\
recipe: china-provinces-gipro
target: GIP
design: montecarlo
runs: 8
seed: 1
inputs:
  - {input: weights, levels: [2], spread: 0.25}
"""


def _zh(args, tmp_path):
    r = runner.invoke(app, [*args, "--lang", "zh"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    assert english_runs(r.output) == [], r.output
    return r.output


def test_run_progress_coherence_in_chinese(tmp_path):
    out = _zh(["run", "--out", str(tmp_path / "r")], tmp_path)
    assert "北京" in out and "Beijing" not in out and "绿色工业进展指数" in out
    assert "2006年至2015年，30 个单元中有 28 个" in out
    out = _zh(["progress", "--out", str(tmp_path / "p"), "--top", "2"], tmp_path)
    assert "北京" in out and "主要因素" in out
    out = _zh(["coherence", "--out", str(tmp_path / "c")], tmp_path)
    assert "已写入" in out


def test_compare_and_remove_in_chinese(tmp_path):
    geo = tmp_path / "geo.yaml"
    geo.write_text("framework: china-provinces-green-industry\ndata: {dataset: "
                   "china_provinces}\nperiods: {start: 2006, end: 2015}\nsteps:\n"
                   "  - {step: normalise, method: minmax, range: [1, 100], bounds: pooled}\n"
                   "  - {step: aggregate, method: geometric, min_availability: 0.5}\n",
                   encoding="utf-8")
    out = _zh(["compare", "china-provinces-gipro", str(geo), "--out",
               str(tmp_path / "d.csv")], tmp_path)
    assert "排名变化" in out
    out = _zh(["remove", "--out", str(tmp_path / "rm.csv")], tmp_path)
    assert "经济发展" in out and "平均排名变动" in out


def test_sensitivity_scenario_assess_in_chinese(tmp_path):
    (tmp_path / "s.yaml").write_text(SENSITIVITY, encoding="utf-8")
    out = _zh(["sensitivity", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "s")],
              tmp_path)
    assert "北京" in out and "Beijing" not in out  # names, not codes
    (tmp_path / "sc.yaml").write_text(SCENARIOS, encoding="utf-8")
    out = _zh(["scenario", "china-provinces-gipro", str(tmp_path / "sc.yaml"), "--out",
               str(tmp_path / "sc")], tmp_path)
    assert "山西" in out and "目标达成" in out and "反向问题" in out
    out = _zh(["assess", "--example", "--out", str(tmp_path / "a")], tmp_path)
    assert "未达到 HJ 274-2015 要求" in out and "南方示例园区" in out


def test_scenario_prints_names_in_english_too(tmp_path):
    (tmp_path / "sc.yaml").write_text(SCENARIOS, encoding="utf-8")
    r = runner.invoke(app, ["scenario", "china-provinces-gipro", str(tmp_path / "sc.yaml"),
                            "--out", str(tmp_path / "sc")], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Inner Mongolia" in r.output or "Beijing" in r.output
    assert "InnerMongolia " not in r.output


def test_gtfp_in_chinese(tmp_path):
    """gipro gtfp (issue 17's command) prints its tables in Chinese too."""
    out = _zh(["gtfp", "examples/gtfp/china-provinces.yaml", "--out", str(tmp_path / "g")],
              tmp_path)
    assert "技术效率变化" in out or "技术进步" in out
    assert "北京" in out or "上海" in out


#: GB/T 2260 names of the 30 provinces of the embedded panel (codes 110000-650000), typed
#: from the standard; reports use the short form the statistical yearbooks use (北京, 内蒙古).
GB_T_2260 = {
    "Beijing": "北京市", "Tianjin": "天津市", "Hebei": "河北省", "Shanxi": "山西省",
    "InnerMongolia": "内蒙古自治区", "Liaoning": "辽宁省", "Jilin": "吉林省",
    "Heilongjiang": "黑龙江省", "Shanghai": "上海市", "Jiangsu": "江苏省", "Zhejiang": "浙江省",
    "Anhui": "安徽省", "Fujian": "福建省", "Jiangxi": "江西省", "Shandong": "山东省",
    "Henan": "河南省", "Hubei": "湖北省", "Hunan": "湖南省", "Guangdong": "广东省",
    "Guangxi": "广西壮族自治区", "Hainan": "海南省", "Chongqing": "重庆市", "Sichuan": "四川省",
    "Guizhou": "贵州省", "Yunnan": "云南省", "Shaanxi": "陕西省", "Gansu": "甘肃省",
    "Qinghai": "青海省", "Ningxia": "宁夏回族自治区", "Xinjiang": "新疆维吾尔自治区",
}


def test_province_names_are_the_gb_t_2260_short_forms():
    from gipro import datasets

    units = datasets.china_provinces().units
    assert set(units.index) == set(GB_T_2260)
    for code, full in GB_T_2260.items():
        short = units.loc[code, "name_zh"]
        assert full.startswith(short) and len(short) >= 2, (code, short)
