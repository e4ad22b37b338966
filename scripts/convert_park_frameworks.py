"""Convert the shared park framework tables (CSV) into gipro's park framework YAML files.

Usage::

    python scripts/convert_park_frameworks.py [SHARED_FRAMEWORKS_DIR] [OUT_DIR]

Defaults: ``../shared/frameworks`` and ``src/gipro/frameworks/parks``. Every CSV column is kept:
``name_en/name_zh`` -> ``name``, ``unit``, ``comparator``, ``threshold`` (verbatim in
``threshold_text``, parsed into ``threshold``), ``status`` (verbatim in ``status_text``, mapped to
a gipro status), ``group_rule`` (the group's ``description``), ``source_url`` -> ``source``,
``verified`` (yes -> true), ``notes`` -> ``note``. The ``STRUCT`` row becomes the framework's
``structure_note`` and verdict rule text. What this script adds (and the CSVs do not state as
columns) is listed in OVERLAY below: the catalogue indicator each row reads, the k of each k-of-n
group, and the context variants of HJ-16 -- each addition is itself unverified and says so.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# which catalogue indicator each requirement reads (None: no catalogue indicator)
INDICATOR = {
    # HJ 274-2015
    "HJ-01": "high_tech_output_share_pct", "HJ-02": "iva_per_capita",
    "HJ-03": "iva_growth_3y_pct", "HJ-04": "recycling_industry_va_share_pct",
    "HJ-05": "eco_chain_projects_new", "HJ-06": "solid_waste_utilisation_pct",
    "HJ-07": "renewable_resource_recycling_pct", "HJ-08": "iva_per_industrial_land",
    "HJ-09": "iva_per_land_growth_3y_pct", "HJ-10": "energy_elasticity",
    "HJ-11": "energy_per_iva", "HJ-12": "renewable_energy_share_pct",
    "HJ-13": "water_elasticity", "HJ-14": "water_per_iva", "HJ-15": "water_reuse_rate_pct",
    "HJ-16": "reclaimed_water_reuse_pct", "HJ-17": "key_pollutants_compliance",
    "HJ-18": "pollutant_caps_completion", "HJ-19": "major_env_emergencies",
    "HJ-20": "env_management_capacity_pct", "HJ-21": "cp_audit_rate_key_pct",
    "HJ-22": "central_wwtp", "HJ-23": "env_risk_system_pct",
    "HJ-24": "solid_waste_disposal_pct", "HJ-25": "pollutant_elasticity",
    "HJ-26": "co2_intensity_reduction_pct", "HJ-27": "wastewater_per_iva",
    "HJ-28": "solid_waste_per_iva", "HJ-29": "green_cover_pct",
    "HJ-30": "env_disclosure_rate_key_pct", "HJ-31": "info_platform_pct",
    "HJ-32": "publicity_events",
    # MIIT 2016
    "BR-1": "laws_implemented", "BR-2a": "major_pollution_accidents_3y",
    "BR-2b": "energy_targets_met_carbon_falling", "BR-3": "env_quality_compliance",
    "BR-4": "cp_audit_rate_key_pct", "BR-5": "no_phased_out_tech",
    "BR-6": "green_staff_fulltime", "BR-E1": "park_ems_enms_platform",
    "BR-E2": "renewable_facilities",
    "1": "energy_productivity", "2": "renewable_energy_share_pct",
    "3": "clean_energy_share_pct", "4": "water_productivity", "5": "iva_per_industrial_land",
    "6": "solid_waste_utilisation_pct", "7": "water_reuse_rate_pct",
    "8": "reclaimed_water_reuse_pct", "9": "waste_heat_recovery_pct",
    "10": "waste_gas_recovery_pct", "11": "renewable_resource_recycling_pct",
    "12": "central_wwtp", "13": "green_building_industrial_pct",
    "14": "green_building_public_pct", "15": "bus_stop_500m_coverage_pct",
    "16": "new_energy_bus_share_pct", "17": "high_tech_output_share_pct",
    "18": "green_industry_va_share_pct", "19": "iva_per_capita",
    "20": "modern_services_share_pct", "21": "solid_waste_disposal_pct",
    "22": "co2_intensity_reduction_pct", "23": "wastewater_per_iva",
    "24": "pollutant_elasticity", "25": "air_quality_good_days_pct", "26": "green_cover_pct",
    "27": "shaded_road_pct", "28": "shaded_parking_pct", "29": "green_standards_system",
    "30": "green_plan", "31": "green_training",
    # EIP v2.0 skeleton
    "PM-1": "management_entity", "PM-2": "services_to_firms", "PM-3": "park_monitoring_system",
    "PM-4": "eip_master_plan", "EN-1": "env_law_compliance", "EN-2": "iso14001_share_firms_pct",
    "EN-3": "enms_share_firms_pct", "EN-4": "renewable_energy_share_pct",
    "EN-5": "ghg_monitoring", "EN-6": "wastewater_connected_share_pct",
    "EN-7": "water_reuse_rate_pct", "EN-8": "solid_waste_utilisation_pct",
    "EN-9": "hazardous_waste_safe", "EN-10": "green_cover_pct",
    "EN-11": "climate_resilience_plan", "SO-1": "labour_law_compliance",
    "SO-2": "social_grievance_mechanism", "SO-3": "social_infrastructure",
    "SO-4": "community_outreach", "EC-1": "local_employment_share_pct",
    "EC-2": "local_procurement", "EC-3": "economic_value_tracked",
}

# category levels of '==' thresholds written as text in the CSVs
CATEGORY_THRESHOLD = {
    "compliant (达标)": "compliant",
    "all completed (全部完成)": "all completed",
    "complete (完善)": "complete",
}

# k-of-n groups: k and what counts (the group_rule text of the CSV becomes the description)
GROUPS = {
    "HJ-ECON": (1, "met"), "HJ-LAND": (1, "met"), "HJ-ENERGY": (1, "met"),
    "HJ-WATER": (1, "met"),
    "MIIT-RG-OPT": (2, "reported"), "MIIT-IG-OPT": (2, "reported"),
    "MIIT-HG-OPT": (1, "reported"),
}

# Chinese category names: HJ 274-2015 and the MIIT requirements use these headings; the EIP
# framework is published in English only (gipro's translation, labels only).
CATEGORY_ZH = {
    "ECON": "经济发展", "SYM": "产业共生", "RES": "资源节约", "ENV": "环境保护",
    "INFO": "信息公开", "BR": "基本要求", "EG": "能源利用绿色化", "RG": "资源利用绿色化",
    "IG": "基础设施绿色化", "CG": "产业绿色化", "HG": "生态环境绿色化", "MG": "运行管理绿色化",
    "PM": "园区管理绩效", "EN": "环境绩效", "SO": "社会绩效", "EC": "经济绩效",
}

# Chinese requirement names of the EIP framework (published in English only): gipro's
# translation, used as labels in Chinese reports; the English name stays the reference.
EIP_NAME_ZH = {
    "PM-1": "设立并运行园区管理机构（公共、私营或公私合营）",
    "PM-2": "园区管理机构为入驻企业提供服务（基础设施、公用设施、生态工业园区支持服务）",
    "PM-3": "园区层面监测环境、社会和经济绩效，数据来自入驻企业",
    "PM-4": "总体规划和功能分区包含生态工业园区内容（土地利用、共享基础设施、缓冲带）",
    "EN-1": "遵守国家环境法律、许可与园区环境影响评价要求",
    "EN-2": "园区层面的环境管理体系和/或建立环境管理体系的入驻企业占比（如 ISO 14001）",
    "EN-3": "监测能源使用；入驻企业实施节能措施",
    "EN-4": "园区能源供应中可再生或清洁能源的占比",
    "EN-5": "监测温室气体排放，并设定减排目标或跟踪排放强度",
    "EN-6": "工业废水按适用标准处理",
    "EN-7": "用水效率与处理后废水的回用",
    "EN-8": "固体废物的再利用或再循环（含产业共生交换）",
    "EN-9": "危险废物安全处理处置；无非法倾倒",
    "EN-10": "园区内的开放空间或绿地",
    "EN-11": "生物多样性保护及气候风险或韧性规划",
    "SO-1": "遵守国家劳动法律和核心劳工标准；职业健康与安全",
    "SO-2": "园区层面的社会管理体系和申诉机制",
    "SO-3": "社会基础设施的可及性（医疗、安全保障、交通、托育、住房、培训）",
    "SO-4": "与周边社区定期对话并开展社区项目",
    "EC-1": "创造就业及本地就业占比",
    "EC-2": "与本地企业和中小企业的联系及本地采购",
    "EC-3": "跟踪园区经济价值（投资、入驻率、产出、税收）",
}

FRAMEWORKS = {
    "hj274": {
        "file": "hj274_2015.csv",
        "name": {"en": "HJ 274-2015 national demonstration eco-industrial park standard",
                 "zh": "国家生态工业示范园区标准 (HJ 274-2015)"},
        "version": "HJ 274-2015",
        "categories": [
            ("ECON", "economic development"), ("SYM", "industrial symbiosis"),
            ("RES", "resource saving"), ("ENV", "environmental protection"),
            ("INFO", "information disclosure")],
        "verdict": {
            "indicator_role": "requirement", "optional_at_least": None,
            "optional_rule_known": False,
            "pass_label": "meets the HJ 274-2015 indicator requirements",
            "fail_label": "does not meet HJ 274-2015",
            "undetermined_label": "undetermined (data or thresholds missing)",
            "verified": False,
            "note": "the count in the optional-indicator rule was not found; the rule is not "
                    "applied and every verdict says so"},
    },
    "miit": {
        "file": "miit_green_park_2016.csv",
        "name": {"en": "MIIT green industrial park evaluation requirements (2016)",
                 "zh": "绿色园区评价要求 (工信厅节函〔2016〕586号)"},
        "version": "2016",
        "categories": [
            ("BR", "basic requirements (基本要求)"),
            ("EG", "energy utilisation greening (能源利用绿色化, EG)"),
            ("RG", "resource utilisation greening (资源利用绿色化, RG)"),
            ("IG", "infrastructure greening (基础设施绿色化, IG)"),
            ("CG", "industry greening (产业绿色化, CG)"),
            ("HG", "ecological environment greening (生态环境绿色化, code unverified: HG?)"),
            ("MG", "operation management greening (运行管理绿色化, MG)")],
        "verdict": {
            "indicator_role": "leading_value", "optional_at_least": None,
            "optional_rule_known": True,
            "pass_label": "basic requirements met: eligible for green-index (GI) scoring",
            "fail_label": "basic requirements not met: not a green park",
            "undetermined_label": "undetermined (basic requirement or mandatory indicator "
                                  "not reported)",
            "verified": False,
            "note": "the basic requirements (pass/fail) are verified; no GI pass mark is known"},
        "green_index": {
            "category_weights": None, "verified": False,
            "note": "equal weight per indicator is gipro's hypothesis; the 586 annex (and "
                    "provincial versions with category weights) could not be read"},
    },
    "eip": {
        "file": "eip_v2.csv",
        "name": {"en": "International Framework for Eco-Industrial Parks v2.0 (skeleton)",
                 "zh": "国际生态工业园区框架 2.0 (框架骨架)"},
        "version": "2.0 (2021), skeleton",
        "categories": [
            ("PM", "park management performance"), ("EN", "environmental performance"),
            ("SO", "social performance"), ("EC", "economic performance")],
        "verdict": {
            "indicator_role": "requirement", "optional_at_least": None,
            "optional_rule_known": True,
            "pass_label": "EIP", "fail_label": "not an EIP",
            "undetermined_label": "undetermined (EIP thresholds not yet coded)",
            "verified": False,
            "note": "EIP = all prerequisites met + performance requirements met (exact rule "
                    "unverified); no threshold of the v2.0 tables could be read"},
    },
}


def _status(raw: str) -> tuple[str, str | None, bool]:
    """(gipro status, group, status_uncertain) from the CSV status cell."""
    uncertain = raw.endswith("?") or "/" in raw
    base = raw.rstrip("?")
    if base in GROUPS:
        return "group", base, uncertain
    if base == "performance":
        return "mandatory", None, uncertain
    if base == "prerequisite/performance":
        return "mandatory", None, True
    if base in ("prerequisite", "mandatory", "optional", "encouraged"):
        return base, None, uncertain
    raise ValueError(f"unknown status {raw!r}")


def _threshold(code: str, comp: str, raw: str):
    raw = raw.strip()
    if raw == "" or comp == "present":
        return None
    if raw in CATEGORY_THRESHOLD:
        return CATEGORY_THRESHOLD[raw]
    if code == "HJ-16":  # "20 (water-scarce cities); 30 (Beijing-Tianjin-Hebei)"
        return 20.0
    return float(raw)


def convert(fw_code: str, shared: Path) -> dict:
    spec = FRAMEWORKS[fw_code]
    with open(shared / spec["file"], encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    struct = next(r for r in rows if r["code"].endswith("STRUCT"))
    cat_code = {name: code for code, name in spec["categories"]}
    groups: dict[str, dict] = {}
    reqs = []
    for r in rows:
        if r is struct:
            continue
        status, group, uncertain = _status(r["status"])
        req = {
            "code": r["code"],
            "name": {"en": r["name_en"], **({"zh": r["name_zh"]} if r["name_zh"] else
                                            {"zh": EIP_NAME_ZH[r["code"]]}
                                            if fw_code == "eip" and r["code"] in EIP_NAME_ZH
                                            else {})},
            "category": cat_code[r["category"]],
            "topic": r["topic"] or None,
            "indicator": INDICATOR.get(r["code"]),
            "unit": r["unit"] or None,
            "comparator": r["comparator"],
            "threshold": _threshold(r["code"], r["comparator"], r["threshold"]),
            "threshold_text": r["threshold"] or None,
            "status": status,
            "group": group,
            "status_uncertain": uncertain,
            "status_text": r["status"],
            "source": r["source_url"] or None,
            "verified": r["verified"] == "yes",
            "note": r["notes"] or None,
        }
        if r["code"] == "HJ-16":
            req["applies_when"] = {"water_scarce": [True]}
            req["variants"] = [{
                "when": {"region": ["Beijing-Tianjin-Hebei"]}, "threshold": 30.0,
                "threshold_text": "30 (Beijing-Tianjin-Hebei)", "verified": False,
                "note": "context target from the threshold cell; value uncertain"}]
            req["note"] = (req["note"] + "; gipro: applies to parks with water_scarce = true "
                           "(20); region Beijing-Tianjin-Hebei uses 30")
        if group:
            k, counts = GROUPS[group]
            groups.setdefault(group, {
                "code": group, "at_least": k, "counts": counts,
                "description": r["group_rule"], "verified": False,
                "note": "k taken from the group rule text, itself recollection"})
        reqs.append({k: v for k, v in req.items() if v is not None and v != []})
    used_cats = {r["category"] for r in reqs}
    return {
        "code": fw_code,
        "name": spec["name"],
        "version": spec["version"],
        "description": struct["name_en"],
        "source": struct["source_url"],
        "structure_verified": struct["verified"] == "yes",
        "structure_note": struct["notes"],
        "categories": [{"code": c, "name": {"en": n, "zh": CATEGORY_ZH[c]}}
                       for c, n in spec["categories"] if c in used_cats],
        "groups": list(groups.values()),
        "verdict": {**spec["verdict"], "rule_text": struct["group_rule"]},
        **({"green_index": spec["green_index"]} if "green_index" in spec else {}),
        "requirements": reqs,
    }


HEADER = """\
# Park requirement framework {code}: generated by scripts/convert_park_frameworks.py from
# ../shared/frameworks/{file} -- do not edit by hand; edit the table or the script and re-run.
# MOST THRESHOLDS ARE NOT VERIFIED: each requirement carries `verified` and a `note` saying what
# was read in the source; gipro marks every unverified threshold in its outputs.
"""


def main(argv: list[str]) -> None:
    shared = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "frameworks"
    out = Path(argv[2]) if len(argv) > 2 else ROOT / "src" / "gipro" / "frameworks" / "parks"
    for code, spec in FRAMEWORKS.items():
        data = convert(code, shared)
        text = HEADER.format(code=code, file=spec["file"]) + yaml.safe_dump(
            data, sort_keys=False, allow_unicode=True, width=100)
        (out / f"{code}.yaml").write_text(text, encoding="utf-8")
        print(f"{code}: {len(data['requirements'])} requirements -> {out / (code + '.yaml')}")


if __name__ == "__main__":
    main(sys.argv)
