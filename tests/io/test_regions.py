import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from disparity import regions
from disparity.errors import AmbiguousRegionError, RegionError


def test_31_mainland_provinces_and_sars_flagged():
    p = regions.provinces()
    assert p["in_mainland31"].sum() == 31
    flagged = set(p.loc[~p["in_mainland31"], "region_code"])
    assert flagged == {"710000", "810000", "820000"}
    assert p["region_code"].str.fullmatch(r"\d{6}").all()


@pytest.mark.parametrize(
    "name, code",
    [
        ("甘肃省", "620000"), ("甘肃", "620000"), ("甘", "620000"), ("陇", "620000"), ("Gansu", "620000"),
        ("GANSU PROVINCE", "620000"), ("内蒙古自治区", "150000"), ("Nei Mongol", "150000"),
        ("Inner Mongolia Autonomous Region", "150000"), ("西藏", "540000"), ("Xizang", "540000"),
        ("Tibet", "540000"), ("广西壮族自治区", "450000"), ("Guangxi Zhuang Autonomous Region", "450000"),
        ("宁夏回族自治区", "640000"), ("新疆维吾尔自治区", "650000"), ("Xinjiang Uygur", "650000"),
        ("北  京", "110000"), ("北京市", "110000"), ("Shaanxi", "610000"), ("陕西", "610000"),
        ("山西", "140000"), ("62", "620000"), (62, "620000"), ("620000", "620000"),
        ("全国", "100000"), ("National", "100000"), ("Hong Kong", "810000"), ("Macau", "820000"),
        ("红山区", "150402"), ("敖汉旗", "150430"), ("宁城县", "150429"), ("赤峰市", "150400"),
    ],
)
def test_to_code_accepts_common_spellings(name, code):
    assert regions.to_code(name) == code


def test_to_code_is_vectorised_and_keeps_index():
    s = pd.Series(["Beijing", "津", "河北省"], index=[10, 11, 12], name="prov")
    out = regions.to_code(s)
    assert list(out) == ["110000", "120000", "130000"]
    assert list(out.index) == [10, 11, 12]
    assert out.name == "prov"


def test_bare_shanxi_is_ambiguous():
    with pytest.raises(AmbiguousRegionError, match="山西.*陕西"):
        regions.to_code("Shanxi")
    with pytest.raises(AmbiguousRegionError):
        regions.to_code(["Gansu", "Shanxi"])


def test_shanxi_resolved_when_shaanxi_present_or_official():
    assert list(regions.to_code(["Shanxi", "Shaanxi"])) == ["140000", "610000"]
    assert regions.to_code("Shanxi", shanxi="official") == "140000"


def test_unknown_region_suggests():
    with pytest.raises(RegionError, match="Did you mean 'gansu'"):
        regions.to_code("Gansuu")
    with pytest.raises(RegionError, match="Unknown region"):
        regions.to_code("Atlantis")


def test_unknown_code_and_missing_value():
    with pytest.raises(RegionError, match="not a known"):
        regions.to_code("990000")
    with pytest.raises(RegionError, match="missing"):
        regions.to_code(["Gansu", None])


def test_names_and_classification():
    assert regions.to_name("620000", lang="en") == "Gansu"
    assert regions.to_name("Nei Mongol", lang="short") == "内蒙古"
    assert regions.classify("辽宁", scheme="nbs4") == "northeast"
    assert regions.classify("辽宁", scheme="region3") == "east"
    assert regions.classify("吉林", scheme="region3") == "central"
    four = regions.provinces().dropna(subset=["nbs4"])["nbs4"].value_counts().to_dict()
    assert four == {"west": 12, "east": 10, "central": 6, "northeast": 3}
    three = regions.provinces().dropna(subset=["region3"])["region3"].value_counts().to_dict()
    assert three == {"west": 12, "east": 11, "central": 8}


def test_chifeng_units():
    cf = regions.chifeng_units()
    assert len(cf) == 12
    assert cf["region_code"].str.startswith("1504").all()
    assert list(regions.to_code(cf["region_en"].map(lambda s: s))) == list(cf["region_code"])


# --------------------------------------------------------------------------- every level (issue 17)
from disparity.errors import SpecificationError  # noqa: E402
from disparity.io import _areacodes  # noqa: E402


def test_province_table_agrees_with_the_official_lists():
    d = regions.divisions(vintage=2024, level="province").set_index("region_code")["region"]
    p = regions.provinces().set_index("region_code")["region"]
    assert d.sort_index().to_dict() == p.sort_index().to_dict()


@pytest.mark.parametrize(
    "year, prefectures, counties",
    # Ministry of Civil Affairs, 民政事业发展统计公报 (statistical bulletins) 2015, 2020, 2023:
    # 地级行政区划单位 / 县级行政区划单位 in mainland China at year end.
    [(2015, 334, 2850), (2020, 333, 2844), (2023, 333, 2844)],
)
def test_unit_counts_match_the_published_bulletins(year, prefectures, counties):
    d = regions.divisions(vintage=year)
    d = d[~d["province_code"].isin(["710000", "810000", "820000"])]
    assert (d["level"] == "province").sum() == 31
    assert (d["level"] == "prefecture").sum() == prefectures
    assert (d["level"] == "county").sum() == counties


def test_county_level_cities_2023_match_the_bulletin():
    d = regions.divisions(vintage=2023, level="county")
    assert (d["region"].str.endswith("市")).sum() == 397  # 县级市 397 (bulletin 2023)


@pytest.mark.parametrize(
    "name, code",
    [
        ("石家庄市", "130100"), ("石家庄", "130100"), ("Shijiazhuang", "130100"),
        ("Shijiazhuang City", "130100"), ("SHIJIAZHUANG SHI", "130100"), ("亳州", "341600"),
        ("亳州市", "341600"), ("播州区", "520304"), ("吉林市", "220200"), ("吉林", "220000"),
        ("恩施土家族苗族自治州", "422800"), ("巢湖市", "340181"), ("Lüliang", "141100"),
        ("Lvliang", "141100"), ("长安区", None), ("Jinan", "370100"), ("Xi'an City", "610100"),
        ("Zhaoyang", "530602"), ("Guoyang", "341621"), ("长沙", "430100"), ("Changsha", "430100"),
        ("长沙县", "430121"), ("恩施州", "422800"), ("恩施", "422800"), ("Harbin", "230100"),
        ("Urumqi", "650100"), ("Lhasa", "540100"), ("Hohhot", "150100"), ("130100", "130100"), ("1301", "130100"),
        (130100, "130100"), ("神农架林区", "429021"),
    ],
)
def test_prefecture_and_county_names(name, code):
    if code is None:
        with pytest.raises(AmbiguousRegionError, match="130102.*610116"):
            regions.to_code(name)
    else:
        assert regions.to_code(name) == code


def test_pinyin_tiers_keep_real_ambiguities_and_drop_spurious_ones():
    # the everyday reading wins over rare readings of polyphonic characters: 兰州 is not 郴州
    # ('lan' is a rare reading of 郴), 沈阳 is not 信阳, 珠海 is not 宁海
    assert regions.to_code("Lanzhou") == "620100"
    assert regions.to_code("Shenyang") == "210100"
    assert regions.to_code("Zhuhai") == "440400"
    assert regions.to_code("Anyang") == "410500"  # 安阳市 over its own 安阳县, not 广阳区
    # genuine homophones stay ambiguous: 苏州/宿州, 金安区/晋安区
    with pytest.raises(AmbiguousRegionError, match="320500.*341300"):
        regions.to_code("Suzhou")
    with pytest.raises(AmbiguousRegionError, match="341502.*350111"):
        regions.to_code("Jin'an")
    assert regions.to_code("Nanjing", level="prefecture") == "320100"  # not 南靖县
    assert regions.to_name("610100", lang="en") == "Xi'an"
    # an English kind word picks the unit with that suffix
    assert regions.to_code("Bozhou City") == "341600" and regions.to_code("Bozhou District") == "520304"


def test_ambiguous_names_list_the_candidates():
    with pytest.raises(AmbiguousRegionError) as exc:
        regions.to_code("朝阳区")
    assert "110105" in str(exc.value) and "220104" in str(exc.value) and "长春市" in str(exc.value)
    with pytest.raises(AmbiguousRegionError) as exc:
        regions.to_code("Bozhou")
    assert "亳州市 (341600, 安徽省)" in str(exc.value) and "播州区 (520304, 贵州省遵义市)" in str(exc.value)


def test_within_a_province_or_prefecture_or_a_column():
    assert regions.to_code("朝阳区", within="北京") == "110105"
    assert regions.to_code("朝阳区", within="长春市") == "220104"
    assert regions.to_code("Bozhou", within="Anhui") == "341600"
    assert regions.to_code("Bozhou", within="贵州省") == "520304"
    assert regions.to_code("Bozhou", within="520300") == "520304"
    df = pd.DataFrame({"county": ["朝阳区", "朝阳区", "Bozhou", "Bozhou"],
                       "prov": ["北京市", "吉林", "安徽", "Guizhou"]}, index=[5, 6, 7, 8])
    out = regions.to_code(df["county"], within=df["prov"])
    assert list(out) == ["110105", "220104", "341600", "520304"]
    assert list(out.index) == [5, 6, 7, 8] and out.name == "county"
    with pytest.raises(RegionError, match="within 山西"):
        regions.to_code("石家庄", within="山西")
    with pytest.raises(SpecificationError, match="within= has 1 values"):
        regions.to_code(["朝阳区", "朝阳区"], within=["北京"])


def test_level_picks_between_a_province_and_its_namesake():
    assert regions.to_code("吉林", level="prefecture") == "220200"
    assert regions.to_code("Jilin", level="prefecture") == "220200"
    assert regions.to_code("朝阳", level="prefecture") == "211300"
    with pytest.raises(SpecificationError, match="'province', 'prefecture', 'county'"):
        regions.to_code("吉林", level="city")


def test_vintages():
    assert regions.to_code("巢湖市", vintage=2010) == "341400"  # the prefecture, abolished 2011
    assert regions.to_code("巢湖市", vintage=2015) == "340181"  # the county-level city of Hefei
    assert regions.to_code("遵义县", vintage=2015) == "520321"
    assert regions.to_code("遵义县") == "520321"  # no longer in use: its last code
    with pytest.raises(RegionError, match="not in use in 2015.*1999-2010"):
        regions.to_code("341400", vintage=2015)
    with pytest.raises(RegionError, match="'播州区' is not in the 2010 list.*520304"):
        regions.to_code("播州区", vintage=2010)
    # a unit renamed under the same code is found by either name in any year's list
    assert regions.to_code("襄樊市", vintage=2011) == regions.to_code("襄阳市", vintage=2005) == "420600"
    assert regions.crosswalk(["420600"], 2009, 2011)["relation"].tolist() == ["renamed"]
    assert regions.to_code("341400") == "341400"  # a code that existed is accepted without vintage
    with pytest.raises(SpecificationError, match="1981 to 2024"):
        regions.to_code("甘肃", vintage=1950)


def test_errors_coerce_lists_what_failed():
    out = regions.to_code(["甘肃", "Atlantis", "朝阳区", None, "石家庄"], errors="coerce")
    assert list(out) == ["620000", None, None, None, "130100"]
    assert out.attrs["unresolved"] == ["Atlantis", "朝阳区", "<missing>"]
    assert regions.to_code("Atlantis", errors="coerce") is None
    assert list(regions.to_name(["130100", "Atlantis"], errors="coerce")) == ["石家庄市", None]
    assert list(regions.classify(["石家庄", "Atlantis"], errors="coerce")) == ["east", None]
    with pytest.raises(SpecificationError, match="'raise', 'coerce'"):
        regions.to_code("甘肃", errors="ignore")


def test_float_codes_from_a_spreadsheet_column_with_gaps():
    s = pd.Series([130100.0, np.nan, 620000.0])
    assert list(regions.to_code(s, errors="coerce")) == ["130100", None, "620000"]
    with pytest.raises(RegionError, match="Unknown region '1301.5'"):
        regions.to_code(1301.5)


def test_raise_names_how_many_rows_share_the_bad_value():
    with pytest.raises(RegionError, match=r"Unknown region 'Atlantis'.*\(2 of 3 rows have this value\)"):
        regions.to_code(["Atlantis", "甘肃", "Atlantis"])


def test_suggestions_rank_real_near_matches():
    with pytest.raises(RegionError, match=r"Did you mean 'shijiazhuang' \(石家庄市, 130100\)") as exc:
        regions.to_code("Shijiazhaung")
    assert "sichuan" not in str(exc.value)
    with pytest.raises(RegionError, match=r"Did you mean '石家庄' \(石家庄市, 130100\)"):
        regions.to_code("石家庄庄")


def test_names_below_province_level():
    assert regions.to_name("130100", lang="en") == "Shijiazhuang"
    assert regions.to_name("110105", lang="en") == "Chaoyang"  # not pypinyin's everyday 'zhaoyang'
    assert regions.to_name("520304", lang="short") == "播州"
    assert regions.to_name("341400") == "巢湖市"
    assert regions.classify("石家庄市") == "east" and regions.classify("播州区") == "west"


def test_crosswalk_chaohu_abolished_2011():
    cw = regions.crosswalk(["341400", "341402", "341421", "341423"], 2010, 2024)
    rows = {(a, b): rel for a, b, rel in cw[["code", "code_to", "relation"]].itertuples(index=False)}
    # the prefecture's counties went to Hefei, Wuhu and Ma'anshan
    assert {b for (a, b) in rows if a == "341400"} == {"340100", "340200", "340500"}
    assert rows[("341400", "340100")] == "split"
    assert rows[("341402", "340181")] == "recoded"  # 居巢区 became the county-level 巢湖市
    assert rows[("341421", "340124")] == "recoded"  # 庐江县 to Hefei
    assert rows[("341423", "340522")] == "recoded"  # 含山县 to Ma'anshan


def test_crosswalk_county_to_district_conversions():
    cw = regions.crosswalk(["110228", "110229", "110105"], 2014, 2016)
    assert cw[["code_to", "name_to", "relation"]].values.tolist() == [
        ["110118", "密云区", "recoded"], ["110119", "延庆区", "recoded"], ["110105", "朝阳区", "same"]]
    back = regions.crosswalk(["110118", "340181"], 2024, 2010)
    assert back[["code_to", "name_to"]].values.tolist() == [["110228", "密云县"], ["341402", "居巢区"]]
    with pytest.raises(RegionError, match="not in use in 2014"):
        regions.crosswalk(["110118"], 2014, 2016)
    # 广阳区 was carved out of 安次区 in 2000, which kept its code: a boundary change, not followed
    new = regions.crosswalk(["131003"], 2024, 1995)
    assert new[["name", "code_to", "relation"]].values.tolist() == [["广阳区", None, "new"]]
    assert set(regions.crosswalk(regions.divisions(vintage=2010)["region_code"], 2010, 2024)["relation"]) <= set(
        regions._RELATIONS) - {"new"}


def test_crosswalk_agrees_with_the_source_successors_for_every_one_step_change():
    # every record that ended with one successor maps to it in one year's step
    t = _areacodes.table()
    checked = 0
    for i in range(len(t.code)):
        end = int(t.end[i])
        if end > 2024 or end - 1 < 1981 or len(t.successors[i]) != 1:
            continue
        j = _areacodes.forward(t, i, end - 1, end)
        assert [str(t.code[k]) for k in j] == list(t.successors[i]), t.name[i]
        checked += 1
    assert checked > 2000


def test_recode_a_panel_column():
    s = pd.Series(["341402", "110228", "341402", "110105"], index=list("abcd"), name="county")
    out = regions.recode(s, 2010, 2024)
    assert list(out) == ["340181", "110118", "340181", "110105"] and list(out.index) == list("abcd")
    with pytest.raises(AmbiguousRegionError, match="split among 520302 红花岗区, 520303 汇川区, 520304 播州区"):
        regions.recode(["520321"], 2010, 2024)
    co = regions.recode(["520321", "110228", None], 2010, 2024, errors="coerce")
    assert list(co) == [None, "110118", None] and co.attrs["unresolved"] == ["520321", "<missing>"]
    with pytest.raises(RegionError, match="missing"):
        regions.recode(["110228", None], 2010, 2024)


def test_lookup_resolves_each_distinct_value_once(monkeypatch):
    calls = []
    real = regions._resolve
    monkeypatch.setattr(regions, "_resolve", lambda v, ctx: calls.append(v) or real(v, ctx))
    s = pd.Series(["石家庄市", "Beijing", "亳州"] * 100_000)
    out = regions.to_code(s)
    assert sorted(calls) == sorted(["石家庄市", "Beijing", "亳州"])
    assert out.value_counts().to_dict() == {"130100": 100_000, "110000": 100_000, "341600": 100_000}


def test_chifeng_codes_come_from_the_official_list():
    d = regions.divisions(vintage=2024, level="county")
    official = d[d["region_code"].str.startswith("1504")].set_index("region_code")["region"].to_dict()
    cf = regions.chifeng_units().set_index("region_code")["region"].to_dict()
    assert cf == official


def test_committed_table_is_what_the_build_script_derives():
    """The stem and pinyin columns are the build script's output for every name (pypinyin is a dev
    dependency); the source and its licence are named beside the table."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("build_areacodes", root / "data" / "regions" / "build_areacodes.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    table = pd.read_csv(root / "disparity" / "io" / "_regions_data" / "areacodes.csv", dtype=str,
                        keep_default_na=False)
    assert len(table) == 6823
    stems = table["name"].map(build.stem)
    assert (stems == table["stem"]).all()
    assert (stems.map(lambda s: ";".join(build.readings(s))) == table["pinyin"]).all()
    meta = json.loads((root / "disparity" / "io" / "_regions_data" / "source.json").read_text(encoding="utf-8"))
    assert meta["licence"] == "CC0-1.0" and meta["source"].endswith("yescallop/areacodes")
    assert (meta["first_year"], meta["last_year"]) == (1981, 2024)


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference-data"


def _shared(name: str) -> Path:
    path = SHARED / name
    # CI has ../shared beside the clone: fail, not skip, when it is missing
    assert path.is_file(), f"{path} is missing; the reference-data folder must sit beside the checkout"
    return path


def _read_excel(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' notice about its future default Excel engine
        return pd.read_excel(path, engine="openpyxl")


def test_real_city_panel_charls_2011_2015():
    d = _read_excel(_shared("charls_city_2011_2015.xlsx"))
    assert d["city"].nunique() == 126
    codes = regions.to_code(d["city"], within=d["province"])
    levels = regions.divisions().set_index("region_code")["level"]
    by_level = codes.map(levels).value_counts().to_dict()
    # 120 prefectures, 4 municipalities, 巢湖市 (a prefecture until 2011, now a county-level city),
    # and 海东地区, whose last code (632100, until 2012) is not in the current list
    assert by_level == {"prefecture": 360, "province": 12, "county": 3}
    assert codes[d["city"] == "海东地区"].unique().tolist() == ["632100"]
    assert codes[d["city"] == "巢湖市"].unique().tolist() == ["340181"]
    assert regions.to_code("巢湖市", vintage=2010) == "341400"
    # 襄樊市 was renamed 襄阳市 in 2010 (same code); 海东地区 became 海东市 in 2013 (new code)
    assert codes[d["city"] == "襄樊市"].unique().tolist() == ["420600"]
    in2015 = regions.to_code(d["city"], within=d["province"], vintage=2015, errors="coerce")
    assert sorted(set(in2015.attrs["unresolved"])) == ["海东地区"]
    assert regions.recode(codes[d["city"] == "海东地区"].iloc[:1], 2012, 2015).tolist() == ["630200"]


def test_real_province_panel_spelled_several_ways():
    p = _read_excel(_shared("clpr_province_health_resources_2013_2015.xlsx"))
    codes = regions.to_code(p["Province"])
    assert codes.nunique() == 31 and set(codes) == set(regions.provinces().query("in_mainland31")["region_code"])
    spelled = dict(zip(p["Province"], codes, strict=True))
    assert spelled["广西省"] == "450000" and spelled["宁夏自治区"] == "640000" and spelled["北京"] == "110000"
