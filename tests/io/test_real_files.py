"""The loaders on real downloads: NBS exports, researchers' panels, a yearbook table.

The files in ``../shared/reference-data`` are read from there (a missing file fails: CI has them);
the NBS exports bundled in ``tests/io/fixtures/real`` (see its README) are read from the checkout.
Expected values are read off the files by eye.
"""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from tests.io.helpers import FIXTURES, shared

REAL = FIXTURES / "real"
COLUMNS = ["region_code", "region", "region_en", "year", "indicator", "unit", "value", "unit_original", "is_total"]


def test_nbs_regions_by_years_without_indicator_line_says_what_to_pass():
    path = shared("nbs_export_prov_local_fiscal_revenue_2016_2024.csv")
    with pytest.raises(dp.YearbookLayoutError) as err:
        dp.read_yearbook(path)
    msg = str(err.value)
    assert "does not name the indicator and its unit" in msg and "Pass indicator= and unit=" in msg
    assert "数据库" not in msg.split("(")[0]  # the 数据库 line is not taken for a title or indicator
    t = dp.read_yearbook(path, indicator="地方一般公共预算收入", unit="亿元")
    assert list(t.columns) == COLUMNS and t.shape == (31 * 9, 9)
    assert sorted(t["year"].unique()) == list(range(2016, 2025))
    v = t.set_index(["region_code", "year"])["value"]
    assert v[("110000", 2024)] == pytest.approx(6372.68e8, rel=1e-15)
    assert v[("650000", 2016)] == pytest.approx(1298.95e8, rel=1e-15)
    assert (t["unit"] == "yuan").all() and (t["unit_original"] == "亿元").all()
    # the footnote is kept whole (it has an ASCII comma), the source line too
    assert t.attrs["notes"] == ["注：1. 地方财政收入均为本级收入,不包括国内外债务收入。", "数据来源：国家统计局"]
    assert t.attrs["source"] == "国家统计局"
    assert t.attrs["metadata"] == {"database": "分省年度数据", "time": ""}


def test_nbs_bundled_copy_is_the_shared_file():
    for name in ("nbs_export_prov_local_fiscal_revenue_2016_2024.csv", "nbs_export_prov_gdp_by_sector_2023.csv"):
        assert (REAL / name).read_bytes() == shared(name).read_bytes()


def test_nbs_regions_by_indicators_one_year():
    t = dp.read_yearbook(shared("nbs_export_prov_gdp_by_sector_2023.csv"))
    assert set(t["year"]) == {2023} and t.attrs["years"] == (2023, 2023)
    assert t["indicator"].nunique() == 14 and t["region_code"].nunique() == 31
    v = t.set_index(["region_code", "indicator"])
    assert v.loc[("110000", "地区生产总值"), "value"] == pytest.approx(47353.7e8, rel=1e-15)
    assert v.loc[("110000", "人均地区生产总值"), "unit"] == "yuan per person"
    assert v.loc[("110000", "人均地区生产总值"), "value"] == 216722.0
    assert v.loc[("650000", "金融业增加值"), "value"] == pytest.approx(1022.8e8, rel=1e-15)
    assert t.attrs["notes"][0].startswith("注：1. 按照我国国民经济核算数据修订制度和国际通行做法，")
    assert t.attrs["notes"][0].endswith("进行了系统修订。")


def test_nbs_national_indices_as_rows_are_a_national_time_series():
    t = dp.read_yearbook(REAL / "nbs_export_national_price_indices_2016_2025.csv")
    assert (t["region_code"] == "100000").all() and t["is_total"].all()
    assert t.attrs["metadata"]["database"] == "年度数据"
    cpi = t[t["indicator"] == "居民消费价格指数"].set_index("year")
    assert cpi.loc[2016, "value"] == 102.0 and cpi.loc[2025, "value"] == 100.0
    assert (t["unit"] == "index").all() and (t["unit_original"] == "上年=100").all()
    assert t.attrs["index_base"]["农村居民消费价格指数"] == "上年=100"
    # a blank cell (fixed-asset price index before 2019) is missing, not zero
    fai = t[t["indicator"] == "固定资产投资价格指数"].set_index("year")["value"]
    assert np.isnan(fai[2025]) and np.isnan(fai[2020]) and fai[2019] == 102.6 and fai[2016] == 99.4
    assert len(t.attrs["notes"]) == 3 and t.attrs["notes"][1].startswith("2. 国家统计局从2011年1月")


def test_nbs_index_without_unit_line_takes_an_index_unit_and_drops_the_empty_year():
    path = REAL / "nbs_export_prov_gdp_index_2016_2025.csv"
    with pytest.raises(dp.YearbookLayoutError, match="Pass indicator= and unit="):
        dp.read_yearbook(path)
    t = dp.read_yearbook(path, indicator="地区生产总值指数", unit="上年=100")
    assert t.attrs["years"] == (2016, 2025)
    assert sorted(t["year"].unique()) == list(range(2016, 2025))  # 2025 has no values yet
    assert any("2025年" in n and "empty" in n for n in t.attrs["notes"])
    assert (t["unit"] == "index").all()
    assert t.set_index(["region_code", "year"]).loc[("110000", 2024), "value"] == 105.1  # never converted


def test_nbs_numbered_notes_kept_whole():
    t = dp.read_yearbook(REAL / "nbs_export_prov_urban_employment_2016_2024.csv", indicator="城镇单位就业人员",
                         unit="万人")
    assert t.attrs["notes"][1:] == ["2. 城镇单位数据不含私营单位。", "3. 2012年行业采用新的分类标准,与前期不可比。",
                                    "数据来源：国家统计局"]
    assert t.set_index(["region_code", "year"]).loc[("110000", 2024), "value"] == pytest.approx(763.6e4)


def test_long_province_panel_with_spellings():
    path = shared("clpr_province_health_resources_2013_2015.xlsx")
    with pytest.raises(dp.YearbookLayoutError, match="no unit for 'GDP'.*units="):
        dp.read_yearbook(path)
    t = dp.read_yearbook(path, units={"GDP": "亿元", "GDPgrowth": "%", "Num_Hosp": "个", "Num_Bed": "万张",
                                      "Num_Dr": "万人"})
    assert t.attrs["layout"] == "long" and t.shape == (31 * 2 * 5, 9)
    assert sorted(t["year"].unique()) == [2013, 2015]
    v = t.set_index(["region_code", "year", "indicator"])["value"]
    assert v[("110000", 2013, "GDP")] == pytest.approx(19800.81e8)
    assert v[("110000", 2013, "Num_Dr")] == pytest.approx(26.31e4)
    # 广西省, 宁夏自治区 and 北京 (no suffix) are all recognised
    assert {"450000", "640000", "110000"} <= set(t["region_code"])


def test_yearbook_csv_with_units_in_snake_case_names():
    t = dp.read_yearbook(shared("csy2012_t21-21_ncms_by_region_2011.csv"), year=2011,
                         units={"n_counties": "个", "n_counties_implementing_ncms": "个"})
    v = t.set_index(["region_code", "indicator"])
    assert v.loc[("110000", "payout"), "value"] == pytest.approx(17.64e8)
    assert v.loc[("110000", "payout"), "unit_original"] == "100m_yuan"
    assert v.loc[("110000", "beneficiaries"), "unit"] == "person-times"
    assert v.loc[("110000", "per_capita_premium"), "value"] == 637.2
    assert np.isnan(v.loc[("120000", "payout"), "value"])  # Tianjin is blank in the yearbook


def test_read_survey_reads_real_workbooks_by_sheet():
    nhss = shared("nhss_county_panel_1993_2008.xlsx")
    d1 = dp.read_survey(nhss)
    d2 = dp.read_survey(nhss, sheet="data2")
    assert d1.shape == (376, 40) and d1.attrs["sheet"] == "data1"
    assert d2.shape == (189, 42) and d2.attrs["sheet"] == "data2"
    assert dp.read_survey(nhss, sheet=1).shape == (189, 42)
    row = d2.iloc[0]
    assert (row["year"], row["district"], row["ID"]) == (2008, "北京东城区", 110101)
    assert sorted(d1["year"].unique()) == [1993, 1998, 2003, 2008]
    with pytest.raises(dp.SpecificationError, match=r"no sheet named 'data3'.*\['data1', 'data2'\]"):
        dp.read_survey(nhss, sheet="data3")
    city = dp.read_survey(shared("charls_city_2011_2015.xlsx"))
    assert city.shape == (378, 63) and city["city"].iloc[0] == "阿克苏地区"
    pd.testing.assert_series_equal(city["YEAR"].value_counts().sort_index(),
                                   pd.Series([126, 126, 126], index=pd.Index([2011, 2013, 2015], name="YEAR"),
                                             name="count"))
