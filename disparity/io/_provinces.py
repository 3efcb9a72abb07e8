"""Names kept by hand: province names, abbreviations and romanisations, English names of
Chifeng's units and of non-Mandarin prefectures, and the name normalisation they share.

Private: :mod:`disparity.io.regions` is the public interface. The province codes are checked against
the GB/T 2260 lists (``_regions_data``) by the tests.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NATIONAL_CODE = "100000"

# code, full Chinese name, short name, abbreviation(s), English, pinyin variants, NBS four-region,
# older three-region.
_PROVINCES: list[tuple[str, str, str, str, str, tuple[str, ...], str, str]] = [
    ("110000", "北京市", "北京", "京", "Beijing", (), "east", "east"),
    ("120000", "天津市", "天津", "津", "Tianjin", (), "east", "east"),
    ("130000", "河北省", "河北", "冀", "Hebei", (), "east", "east"),
    ("140000", "山西省", "山西", "晋", "Shanxi", (), "central", "central"),
    ("150000", "内蒙古自治区", "内蒙古", "蒙", "Inner Mongolia", ("Nei Mongol", "Neimenggu", "Nei Menggu"), "west", "west"),
    ("210000", "辽宁省", "辽宁", "辽", "Liaoning", (), "northeast", "east"),
    ("220000", "吉林省", "吉林", "吉", "Jilin", (), "northeast", "central"),
    ("230000", "黑龙江省", "黑龙江", "黑", "Heilongjiang", (), "northeast", "central"),
    ("310000", "上海市", "上海", "沪", "Shanghai", (), "east", "east"),
    ("320000", "江苏省", "江苏", "苏", "Jiangsu", (), "east", "east"),
    ("330000", "浙江省", "浙江", "浙", "Zhejiang", (), "east", "east"),
    ("340000", "安徽省", "安徽", "皖", "Anhui", (), "central", "central"),
    ("350000", "福建省", "福建", "闽", "Fujian", (), "east", "east"),
    ("360000", "江西省", "江西", "赣", "Jiangxi", (), "central", "central"),
    ("370000", "山东省", "山东", "鲁", "Shandong", (), "east", "east"),
    ("410000", "河南省", "河南", "豫", "Henan", (), "central", "central"),
    ("420000", "湖北省", "湖北", "鄂", "Hubei", (), "central", "central"),
    ("430000", "湖南省", "湖南", "湘", "Hunan", (), "central", "central"),
    ("440000", "广东省", "广东", "粤", "Guangdong", (), "east", "east"),
    ("450000", "广西壮族自治区", "广西", "桂", "Guangxi", ("Guangxi Zhuang",), "west", "west"),
    ("460000", "海南省", "海南", "琼", "Hainan", (), "east", "east"),
    ("500000", "重庆市", "重庆", "渝", "Chongqing", (), "west", "west"),
    ("510000", "四川省", "四川", "川蜀", "Sichuan", (), "west", "west"),
    ("520000", "贵州省", "贵州", "黔贵", "Guizhou", (), "west", "west"),
    ("530000", "云南省", "云南", "滇云", "Yunnan", (), "west", "west"),
    ("540000", "西藏自治区", "西藏", "藏", "Tibet", ("Xizang",), "west", "west"),
    ("610000", "陕西省", "陕西", "陕秦", "Shaanxi", (), "west", "west"),
    ("620000", "甘肃省", "甘肃", "甘陇", "Gansu", (), "west", "west"),
    ("630000", "青海省", "青海", "青", "Qinghai", (), "west", "west"),
    ("640000", "宁夏回族自治区", "宁夏", "宁", "Ningxia", ("Ningxia Hui",), "west", "west"),
    ("650000", "新疆维吾尔自治区", "新疆", "新", "Xinjiang", ("Xinjiang Uygur", "Xinjiang Uyghur"), "west", "west"),
    ("710000", "台湾省", "台湾", "台", "Taiwan", (), "", ""),
    ("810000", "香港特别行政区", "香港", "港", "Hong Kong", ("Hongkong", "Xianggang"), "", ""),
    ("820000", "澳门特别行政区", "澳门", "澳", "Macao", ("Macau", "Aomen"), "", ""),
]

_NATIONAL_NAMES = ("全国", "全国合计", "合计", "总计", "national", "national total", "china", "total", "nationwide")

_ZH_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")
_EN_WORDS = re.compile(
    r"\b(province|municipality|autonomous|region|special|administrative|sar|city|of|china|"
    r"prov|mun)\b\.?"
)
# Words English sources put around prefecture and county names ("Chaoyang District", "Bozhou Shi").
_EN_LOWER = re.compile(
    r"\b(district|county|prefecture|level|league|banner|area|shi|xian|qu|diqu|meng|qi|zizhizhou|"
    r"zizhixian)\b\.?"
)

_SHANXI_TRAP = "shanxi"


def _fold(value: str) -> str:
    """Normalise a name for lookup: NFKC, no white space or punctuation, lower case."""
    s = unicodedata.normalize("NFKC", str(value)).strip().lower()
    s = re.sub(r"[\s\u3000]+", " ", s)
    return s


def _key_zh(value: str) -> str:
    s = re.sub(r"\s+", "", _fold(value))
    for suf in _ZH_SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf) + 1:
            return s[: -len(suf)]
    return s


def _key_en(value: str, *, lower: bool = False, apostrophe: bool = False) -> str:
    """Latin-script key: lower case, no spaces or punctuation (``apostrophe=True`` keeps the pinyin
    syllable apostrophe, as in xi'an); ``lower`` also drops words such as District, County, Shi."""
    s = _fold(value).replace("ü", "v").replace("’", "'")
    s = re.sub(r"[()\[\],.\-_/]" if apostrophe else r"[()\[\],.'\-_/]", " ", s)
    if apostrophe:
        s = re.sub(r"\s*'\s*", "'", s)
    s = _EN_WORDS.sub(" ", s)
    if lower:
        s = _EN_LOWER.sub(" ", s)
    s = re.sub(r"\b(zhuang|hui|uygur|uyghur|uighur)\b", " ", s)
    return re.sub(r"\s+", "", s)


def _has_cjk(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    """Province-level keys (Chinese, abbreviations, English, pinyin, codes) and national labels."""
    table: dict[str, str] = {}

    def add(key: str, code: str) -> None:
        if not key:
            return
        prev = table.get(key)
        if prev is not None and prev != code:
            raise RuntimeError(f"region lookup key {key!r} is ambiguous: {prev} vs {code}")
        table[key] = code

    for code, full, short, abbrs, en, variants, _, _ in _PROVINCES:
        add(_key_zh(full), code)
        add(_key_zh(short), code)
        add(short, code)
        for ch in abbrs:
            add(ch, code)
        en_key = _key_en(en)
        if en_key != _SHANXI_TRAP:
            add(en_key, code)
        for v in variants:
            add(_key_en(v), code)
    for name in _NATIONAL_NAMES:
        add(_key_zh(name) if _has_cjk(name) else _key_en(name) or name, NATIONAL_CODE)
    return table


# English names of Chifeng's (赤峰市, 150400) county-level units, the area of the bundled survey;
# their codes come from the code table.
_CHIFENG_EN = {
    "红山区": "Hongshan", "元宝山区": "Yuanbaoshan", "松山区": "Songshan", "阿鲁科尔沁旗": "Ar Horqin",
    "巴林左旗": "Bairin Left", "巴林右旗": "Bairin Right", "林西县": "Linxi", "克什克腾旗": "Hexigten",
    "翁牛特旗": "Ongniud", "喀喇沁旗": "Harqin", "宁城县": "Ningcheng", "敖汉旗": "Aohan",
}
_CHIFENG_CODE = "150400"

# Conventional English names of prefecture-level units whose names are not Mandarin (Mongolian,
# Uyghur, Tibetan, Manchu): the romanisations used on maps and in English-language statistics,
# keyed by the stem of the Chinese name (the code comes from the code table).
_EXONYMS = {
    "哈尔滨": ("Harbin",), "呼和浩特": ("Hohhot", "Huhhot"), "鄂尔多斯": ("Ordos",),
    "呼伦贝尔": ("Hulunbuir",), "巴彦淖尔": ("Bayannur",), "乌兰察布": ("Ulanqab",),
    "锡林郭勒": ("Xilingol", "Xilin Gol"), "阿拉善": ("Alxa",), "兴安": ("Hinggan",),
    "拉萨": ("Lhasa",), "日喀则": ("Shigatse",), "昌都": ("Qamdo", "Chamdo"), "林芝": ("Nyingchi",),
    "那曲": ("Nagqu",), "阿里": ("Ngari",), "乌鲁木齐": ("Urumqi", "Urumchi"),
    "克拉玛依": ("Karamay",), "吐鲁番": ("Turpan",), "喀什": ("Kashgar",), "和田": ("Hotan",),
    "阿克苏": ("Aksu",), "阿勒泰": ("Altay",), "伊犁": ("Ili",), "巴音郭楞": ("Bayingolin",),
    "博尔塔拉": ("Bortala",), "克孜勒苏": ("Kizilsu",),
}
_KIND = {"区": "district", "旗": "banner", "县": "county"}

# English words naming the kind of unit, and the Chinese suffix they stand for.
_EN_SUFFIX = (("city", "市"), ("shi", "市"), ("district", "区"), ("qu", "区"), ("county", "县"),
              ("xian", "县"), ("banner", "旗"), ("league", "盟"), ("prefecture", "州"))
