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
