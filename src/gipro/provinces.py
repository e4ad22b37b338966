"""China's provincial-level divisions: one code list, Chinese and English names, and every
common way statistical tables write them.

The 34 provincial-level divisions of GB/T 2260 (Codes for the administrative divisions of the
People's Republic of China): 31 provinces, autonomous regions and municipalities, plus Taiwan,
Hong Kong and Macao. Each has its six-digit GB/T 2260 code (``110000``), the two-letter code of
GB/T 2260 and ISO 3166-2:CN (``BJ``), the full and short Chinese names (北京市, 北京), the English
name (Beijing) and gipro's code (``Beijing``, the codes of the built-in data set
``china_provinces``).

:func:`match_province` maps a cell of a yearbook table to one division: ``北京市``, ``北京``,
``Beijing``, ``BEIJING MUNICIPALITY``, ``BJ``, ``110000`` or ``11`` all give Beijing; national
total rows (全国, 合计, National Total) and the four economic regions (东部地区...) are recognised
as such; anything else is an error listing the nearest names.

References
----------
GB/T 2260-2007, *Codes for the administrative divisions of the People's Republic of China*
(numeric and two-letter codes of the provincial level; the two-letter codes are those of
ISO 3166-2:CN).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from .errors import InputError

__all__ = ["PROVINCES", "Province", "ProvinceMatch", "match_province", "province_table"]


@dataclass(frozen=True)
class Province:
    """One provincial-level division.

    Attributes
    ----------
    gb : str
        Six-digit GB/T 2260 code, e.g. ``"110000"``.
    letters : str
        Two-letter code of GB/T 2260 and ISO 3166-2:CN, e.g. ``"BJ"``.
    zh : str
        Full Chinese name, e.g. ``"北京市"``, ``"内蒙古自治区"``.
    zh_short : str
        Short Chinese name as yearbooks print it, e.g. ``"北京"``, ``"内蒙古"``.
    en : str
        English name, e.g. ``"Beijing"``, ``"Inner Mongolia"``.
    code : str
        gipro's code (the built-in data set's), e.g. ``"InnerMongolia"``.
    kind : str
        ``"municipality"``, ``"province"``, ``"autonomous region"`` or ``"SAR"``.
    aliases : tuple of str
        Other English or Chinese forms (``"Nei Mongol"``, ``"Xizang"``, ``"臺灣"``).
    """

    gb: str
    letters: str
    zh: str
    zh_short: str
    en: str
    code: str
    kind: str
    aliases: tuple[str, ...] = ()


#: The 34 divisions in GB/T 2260 order.
PROVINCES: tuple[Province, ...] = (
    Province("110000", "BJ", "北京市", "北京", "Beijing", "Beijing", "municipality"),
    Province("120000", "TJ", "天津市", "天津", "Tianjin", "Tianjin", "municipality"),
    Province("130000", "HE", "河北省", "河北", "Hebei", "Hebei", "province"),
    Province("140000", "SX", "山西省", "山西", "Shanxi", "Shanxi", "province"),
    Province("150000", "NM", "内蒙古自治区", "内蒙古", "Inner Mongolia", "InnerMongolia",
             "autonomous region", ("Nei Mongol", "Neimenggu", "Nei Menggu", "內蒙古")),
    Province("210000", "LN", "辽宁省", "辽宁", "Liaoning", "Liaoning", "province"),
    Province("220000", "JL", "吉林省", "吉林", "Jilin", "Jilin", "province"),
    Province("230000", "HL", "黑龙江省", "黑龙江", "Heilongjiang", "Heilongjiang", "province"),
    Province("310000", "SH", "上海市", "上海", "Shanghai", "Shanghai", "municipality"),
    Province("320000", "JS", "江苏省", "江苏", "Jiangsu", "Jiangsu", "province"),
    Province("330000", "ZJ", "浙江省", "浙江", "Zhejiang", "Zhejiang", "province"),
    Province("340000", "AH", "安徽省", "安徽", "Anhui", "Anhui", "province"),
    Province("350000", "FJ", "福建省", "福建", "Fujian", "Fujian", "province"),
    Province("360000", "JX", "江西省", "江西", "Jiangxi", "Jiangxi", "province"),
    Province("370000", "SD", "山东省", "山东", "Shandong", "Shandong", "province"),
    Province("410000", "HA", "河南省", "河南", "Henan", "Henan", "province"),
    Province("420000", "HB", "湖北省", "湖北", "Hubei", "Hubei", "province"),
    Province("430000", "HN", "湖南省", "湖南", "Hunan", "Hunan", "province"),
    Province("440000", "GD", "广东省", "广东", "Guangdong", "Guangdong", "province"),
    Province("450000", "GX", "广西壮族自治区", "广西", "Guangxi", "Guangxi",
             "autonomous region", ("Guangxi Zhuang", "Guangxi Zhuangzu")),
    Province("460000", "HI", "海南省", "海南", "Hainan", "Hainan", "province"),
    Province("500000", "CQ", "重庆市", "重庆", "Chongqing", "Chongqing", "municipality"),
    Province("510000", "SC", "四川省", "四川", "Sichuan", "Sichuan", "province"),
    Province("520000", "GZ", "贵州省", "贵州", "Guizhou", "Guizhou", "province"),
    Province("530000", "YN", "云南省", "云南", "Yunnan", "Yunnan", "province"),
    Province("540000", "XZ", "西藏自治区", "西藏", "Tibet", "Tibet", "autonomous region",
             ("Xizang",)),
    Province("610000", "SN", "陕西省", "陕西", "Shaanxi", "Shaanxi", "province"),
    Province("620000", "GS", "甘肃省", "甘肃", "Gansu", "Gansu", "province"),
    Province("630000", "QH", "青海省", "青海", "Qinghai", "Qinghai", "province"),
    Province("640000", "NX", "宁夏回族自治区", "宁夏", "Ningxia", "Ningxia", "autonomous region",
             ("Ningxia Hui",)),
    Province("650000", "XJ", "新疆维吾尔自治区", "新疆", "Xinjiang", "Xinjiang",
             "autonomous region", ("Xinjiang Uygur", "Xinjiang Uyghur", "Xinjiang Weiwuer")),
    Province("710000", "TW", "台湾省", "台湾", "Taiwan", "Taiwan", "province",
             ("台灣", "臺灣", "臺灣省", "台灣省")),
    Province("810000", "HK", "香港特别行政区", "香港", "Hong Kong", "HongKong", "SAR",
             ("Hongkong", "Hong Kong SAR", "香港特區", "香港特别行政區")),
    Province("820000", "MO", "澳门特别行政区", "澳门", "Macao", "Macao", "SAR",
             ("Macau", "Macao SAR", "Macau SAR", "澳門", "澳門特別行政區")),
)

#: Letter codes that people often use for another division than GB/T 2260 does (HB is Hubei,
#: but often written for Hebei; HN is Hunan, but often written for Henan or Hainan): refused
#: as ambiguous, naming the candidates.
_AMBIGUOUS_LETTERS = {"HB": ("420000", "130000"), "HN": ("430000", "410000", "460000")}

#: Rows that are not a division: national totals and the four economic regions of NBS
#: statistics (东部, 中部, 西部, 东北), matched on the normalised text.
_TOTALS = {"全国", "全国合计", "全国总计", "合计", "总计", "总计全国", "中国", "全国总量",
           "national", "nationaltotal", "total", "china", "nationwide", "wholecountry", "全国平均",
           "nationalaverage", "average", "sum", "所有地区", "allregions", "全国小计"}
_REGIONS = {"东部", "东部地区", "中部", "中部地区", "西部", "西部地区", "东北", "东北地区",
            "east", "eastern", "easternregion", "central", "centralregion", "west", "western",
            "westernregion", "northeast", "northeastern", "northeastregion", "eastregion",
            "westregion"}
#: English words after a name that do not change which division it is.
_EN_SUFFIX = re.compile(r"(zhuang|hui|uygur|uyghur)?(autonomousregion|municipality|province|"
                        r"specialadministrativeregion|sar|shi|sheng|city)$")
#: Footnote marks after a name: circled digits, asterisks, daggers, (a), [1], superscripts.
_MARKS = re.compile(r"[\u2460-\u2473\u2776-\u277f*\u2020\u2021#\u00b9\u00b2\u00b3\u2070-\u2079]+"
                    r"|\((?:[a-z]|\d{1,2})\)|\[(?:[a-z]|\d{1,2})\]")


def _norm(text: str) -> str:
    """Text folded for matching: NFKC (full-width letters and spaces), case-folded, footnote
    marks, spaces and punctuation removed."""
    t = unicodedata.normalize("NFKC", _MARKS.sub("", text)).casefold()  # ① is "1" after NFKC
    t = _MARKS.sub("", t)
    return re.sub(r"[\s\-_.,'’·()（）]+", "", t)


def _index() -> dict[str, Province]:
    out: dict[str, Province] = {}
    for p in PROVINCES:
        forms = [p.zh, p.zh_short, p.en, p.code, p.gb, p.gb[:2], *p.aliases]
        for f in forms:
            out[_norm(f)] = p
        if p.letters not in _AMBIGUOUS_LETTERS:
            out[_norm(p.letters)] = p
    return out


_BY_FORM = _index()
_BY_GB = {p.gb: p for p in PROVINCES}


@dataclass(frozen=True)
class ProvinceMatch:
    """What a table cell names: a division, a national total or an economic region.

    Attributes
    ----------
    kind : {"province", "total", "region"}
    province : Province or None
        The division (``kind == "province"``).
    text : str
        The cell as written.
    """

    kind: Literal["province", "total", "region"]
    province: Province | None
    text: str


def match_province(text: object, where: str = "") -> ProvinceMatch:
    """The division a cell names, in any common form.

    Parameters
    ----------
    text : str or number
        The cell: a full or short Chinese name (北京市, 北京), an English name (Beijing,
        Inner Mongolia, Nei Mongol; "Province", "Municipality", "Autonomous Region" and
        "SAR" may follow), a two-letter code (BJ) or a GB/T 2260 code (110000, 11, 110000.0).
        Full-width characters, spaces inside (北　京) and footnote marks (北京①, Beijing*)
        are ignored.
    where : str
        Where the cell is (file and row), for the error message.

    Returns
    -------
    ProvinceMatch
        ``kind`` ``"total"`` for national totals (全国, 合计, National Total) and
        ``"region"`` for the four economic regions (东部地区, Eastern...).

    Raises
    ------
    InputError
        An unknown name (listing the nearest known names) or an ambiguous one (``HB``,
        ``HN``: letter codes often used for another province than GB/T 2260's; listing the
        candidates).

    Examples
    --------
    >>> match_province("内蒙古自治区").province.en
    'Inner Mongolia'
    >>> [match_province(t).province.gb for t in ("Nei Mongol", "NM", 150000.0, "内 蒙 古①")]
    ['150000', '150000', '150000', '150000']
    >>> match_province("全　国").kind
    'total'
    """
    raw = text
    if isinstance(text, float) and text.is_integer():
        text = str(int(text))
    text = re.sub(r"^\s*(\d+)\.0+\s*$", r"\1", str(text))  # 110000.0 from a spreadsheet
    key = _norm(text)
    if not key:
        raise InputError(f"empty region name{where}")
    if key in _TOTALS:
        return ProvinceMatch("total", None, str(raw))
    if key in _REGIONS:
        return ProvinceMatch("region", None, str(raw))
    hit = _BY_FORM.get(key)
    if hit is None and re.fullmatch(r"[a-z ]+", key):
        hit = _BY_FORM.get(_EN_SUFFIX.sub("", key))
    if hit is not None:
        return ProvinceMatch("province", hit, str(raw))
    upper = unicodedata.normalize("NFKC", text).strip().upper()
    if upper in _AMBIGUOUS_LETTERS:
        cands = [_BY_GB[g] for g in _AMBIGUOUS_LETTERS[upper]]
        raise InputError(
            f"ambiguous region code {text!r}{where}: GB/T 2260 gives it to "
            f"{cands[0].zh_short} {cands[0].en}, but it is often written for "
            + " or ".join(f"{p.zh_short} {p.en} ({p.letters})" for p in cands[1:]),
            ["write the name (湖北, Hubei) or the six-digit code (420000) instead"])
    near = difflib.get_close_matches(key, list(_BY_FORM), n=4, cutoff=0.5)
    seen: list[Province] = []
    for k in near:
        if _BY_FORM[k] not in seen:
            seen.append(_BY_FORM[k])
    raise InputError(
        f"unknown region name {text!r}{where}: not one of China's provincial-level divisions, "
        "a national total or an economic region",
        [("nearest: " + ", ".join(f"{p.zh} {p.en} ({p.gb})" for p in seen)) if seen else
         "names are matched in Chinese (北京市, 北京), English (Beijing), GB/T 2260 codes "
         "(110000) or two-letter codes (BJ)",
         "if the row is not a province (a note, a city, a subtotal), drop it: "
         "drop_rows: [the name]"])


def province_table(lang: str = "en") -> pd.DataFrame:
    """The 34 divisions as a table: ``code, gb, letters, name, name_zh, name_zh_full, kind``.

    Examples
    --------
    >>> t = province_table()
    >>> len(t), t.loc[t["gb"] == "650000", "name_zh_full"].item()
    (34, '新疆维吾尔自治区')
    """
    return pd.DataFrame([{"code": p.code, "gb": p.gb, "letters": p.letters, "name": p.en,
                          "name_zh": p.zh_short, "name_zh_full": p.zh, "kind": p.kind}
                         for p in PROVINCES])
