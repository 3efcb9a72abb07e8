"""read_yearbook on made-up tables of every arrangement, unit kind and dirty cell (issue 17 items 2-5).

CSV tables are written as data.stats.gov.cn writes them (BOM, metadata lines, tab-plus-comma
cells); workbooks with openpyxl; the .xls files come from data/make_io_fixtures.py.
"""

import warnings

import numpy as np
import pytest

import disparity as dp
from tests.io.helpers import FIXTURES, nbs_csv
from tests.io.test_yearbook import write_xlsx

PROV = [["北京市", 1.5, 2.5], ["天津市", 3.0, 4.0], ["河北省", 5.0, 6.0]]


def values(t, *keys):
    return t.set_index(list(keys))["value"]


# --- the three NBS arrangements, each either way round -------------------------------------------

def test_regions_by_years_indicator_line(tmp_path):
    path = nbs_csv(tmp_path / "a.csv", ["数据库：分省年度数据", "指标：城乡居民基本医疗保险参保人数(万人)", "时间：2023年-2024年"],
                   [["地区", "2024年", "2023年"], *PROV], ["注：1. 参保人数为年末数,含职工。", "数据来源：国家统计局"])
    t = dp.read_yearbook(path)
    assert t.attrs["layout"] == "years_as_columns" and t.attrs["years"] == (2023, 2024)
    assert set(t["indicator"]) == {"城乡居民基本医疗保险参保人数"} and set(t["unit_original"]) == {"万人"}
    v = values(t, "region_code", "year")
    assert v[("110000", 2024)] == 1.5e4 and v[("130000", 2023)] == 6.0e4
    assert t.attrs["notes"][0] == "注：1. 参保人数为年末数,含职工。"
    assert t.attrs["metadata"]["indicator"] == "城乡居民基本医疗保险参保人数(万人)"


def test_years_by_regions_transposed(tmp_path):
    path = nbs_csv(tmp_path / "b.csv", ["数据库：分省年度数据", "指标：人均筹资(元)", "时间：最近2年"],
                   [["时间", "北京市", "天津市"], ["2024年", 1000, 900], ["2023年", 950, 850]])
    t = dp.read_yearbook(path)
    assert t.attrs["transposed"] and len(t) == 4
    v = values(t, "region_code", "year")
    assert v[("110000", 2024)] == 1000 and v[("120000", 2023)] == 850 and set(t["unit"]) == {"yuan"}


def test_regions_by_indicators_one_year_and_transposed(tmp_path):
    table = [["地区", "参保人数 (万人) ", "基金收入 (亿元) "], ["北京市", 1.5, 2.0], ["天津市", 3.0, 4.0]]
    a = dp.read_yearbook(nbs_csv(tmp_path / "c.csv", ["数据库：分省年度数据", "时间：2022年"], table))
    rot = [[row[k] for row in table] for k in range(3)]
    rot[0][0] = "指标"
    b = dp.read_yearbook(nbs_csv(tmp_path / "d.csv", ["数据库：分省年度数据", "时间：2022年"], rot))
    for t in (a, b):
        assert set(t["year"]) == {2022}
        v = values(t, "region_code", "indicator")
        assert v[("120000", "基金收入")] == 4.0e8 and v[("110000", "参保人数")] == 1.5e4
    assert b.attrs["transposed"] and not a.attrs["transposed"]


def test_years_by_indicators_for_one_region_and_transposed(tmp_path):
    table = [["时间", "人均可支配收入 (元) ", "城镇化率 (%) "], ["2024年", 85415, 87.8], ["2023年", 81752, 87.8]]
    a = dp.read_yearbook(nbs_csv(tmp_path / "e.csv", ["数据库：分省年度数据", "地区：北京市", "时间：最近2年"], table))
    rot = [[row[k] for row in table] for k in range(3)]
    rot[0][0] = "指标"
    b = dp.read_yearbook(nbs_csv(tmp_path / "f.csv", ["数据库：分省年度数据", "地区：北京市"], rot))
    for t in (a, b):
        assert t.attrs["layout"] == "time_series" and (t["region_code"] == "110000").all()
        v = values(t, "year", "indicator")
        assert v[(2024, "人均可支配收入")] == 85415 and v[(2023, "城镇化率")] == 87.8


def test_national_series_needs_region_or_database(tmp_path):
    table = [["指标", "2024年", "2023年"], ["卫生总费用 (亿元) ", 90895.5, 90575.8]]
    with pytest.raises(dp.YearbookLayoutError, match=r"Pass region= \(e.g. region='全国'"):
        dp.read_yearbook(nbs_csv(tmp_path / "g.csv", [], table))
    t = dp.read_yearbook(tmp_path / "g.csv", region="全国")
    assert t["is_total"].all() and values(t, "year")[2024] == pytest.approx(90895.5e8)
    t = dp.read_yearbook(nbs_csv(tmp_path / "h.csv", ["数据库：年度数据"], table))
    assert (t["region_code"] == "100000").all()
    p = dp.read_yearbook(tmp_path / "g.csv", region="620000")
    assert (p["region"] == "甘肃省").all()
    with pytest.raises(dp.SpecificationError, match="region='Atlantis'"):
        dp.read_yearbook(tmp_path / "g.csv", region="Atlantis")


def test_long_panel_from_workbook(tmp_path):
    rows = [["省份", "年份", "GDP（亿元）", "人口（万人）"], ["北京", 2013, 19800.81, 2115],
            ["北京", 2015, 23014.6, 2171], ["河北省", 2013, 28442.95, 7333], ["河北省", 2015, 29806.1, 7425]]
    t = dp.read_yearbook(write_xlsx(tmp_path / "long.xlsx", rows))
    assert t.attrs["layout"] == "long" and len(t) == 8
    v = values(t, "region_code", "year", "indicator")
    assert v[("130000", 2015, "人口")] == 7425e4 and v[("110000", 2013, "GDP")] == pytest.approx(19800.81e8)
    with pytest.raises(dp.YearbookLayoutError, match="no column holds a year"):
        dp.read_yearbook(write_xlsx(tmp_path / "w.xlsx", [["地区", "GDP（亿元）"], ["北京", 1], ["天津", 2]]),
                         layout="long")


# --- what a file leaves out ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "lines, kwargs, expected",
    [
        (["数据库：分省年度数据"], {}, r"does not name the indicator and its unit .*Pass indicator= and unit="),
        (["数据库：分省年度数据", "指标：参保人数"], {}, r"does not name its unit .*Pass unit=, e.g"),
        (["数据库：分省年度数据"], {"unit": "万人"}, r"does not name the indicator .*Pass indicator=, e.g"),
    ],
)
def test_missing_indicator_or_unit_names_the_argument(tmp_path, lines, kwargs, expected):
    path = nbs_csv(tmp_path / "m.csv", lines, [["地区", "2024年", "2023年"], *PROV])
    with pytest.raises(dp.YearbookLayoutError, match=expected):
        dp.read_yearbook(path, **kwargs)


def test_monthly_table_is_refused(tmp_path):
    path = nbs_csv(tmp_path / "mo.csv", ["数据库：分省月度数据", "指标：居民消费价格指数(上年同月=100)"],
                   [["地区", "2024年1月", "2024年2月"], *PROV])
    with pytest.raises(dp.YearbookLayoutError, match="monthly or quarterly"):
        dp.read_yearbook(path)


# --- units ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "header, base, factor, original",
    [
        ("地区生产总值 (亿元)", "yuan", 1e8, "亿元"),
        ("年末人口（万人）", "persons", 1e4, "万人"),
        ("Enrollees (10 000 persons)", "persons", 1e4, "10 000 persons"),
        ("Enrollees (10,000 persons)", "persons", 1e4, "10,000 persons"),
        ("Fund income (100 million yuan)", "yuan", 1e8, "100 million yuan"),
        ("Premium (yuan)", "yuan", 1.0, "yuan"),
        ("Reimbursement rate (%)", "%", 1.0, "%"),
        ("出生率 (‰)", "‰", 1.0, "‰"),
        ("孕产妇死亡率（1/10万）", "per 100000", 1.0, "1/10万"),
        ("门诊人次（万人次）", "person-times", 1e4, "万人次"),
        ("居民消费价格指数 (上年=100)", "index", 1.0, "上年=100"),
        ("地区生产总值指数 (1978=100)", "index", 1.0, "1978=100"),
        ("商品零售价格指数（上年同期=100）", "index", 1.0, "上年同期=100"),
        ("每千人口床位数（张/千人）", "count per 1000 persons", 1.0, "张/千人"),
        ("人均筹资（元/人）", "yuan per person", 1.0, "元/人"),
    ],
)
def test_unit_kinds(tmp_path, header, base, factor, original):
    path = write_xlsx(tmp_path / "u.xlsx", [["表1 2020年"], ["地区", header], ["北京", 12.5], ["天津", 3]])
    t = dp.read_yearbook(path)
    row = t.set_index("region_code").loc["110000"]
    assert row["unit"] == base and row["unit_original"] == original
    assert row["value"] == pytest.approx(12.5 * factor, rel=1e-15)
    if base == "index":
        assert t.attrs["index_base"] == {row["indicator"]: original}
    else:
        assert t.attrs["index_base"] == {}


def test_unit_line_and_unit_argument(tmp_path):
    path = write_xlsx(tmp_path / "ul.xlsx", [["表2 人均筹资"], ["单位：千分之"], ["地区", "2019"], ["北京", 7.5], ["天津", 3]])
    assert set(dp.read_yearbook(path)["unit"]) == {"‰"}
    t = dp.read_yearbook(path, unit="1/10万")  # unit= wins over the unit line
    assert set(t["unit"]) == {"per 100000"}


# --- dirty cells ---------------------------------------------------------------------------------

def test_errors_coerce_lists_bad_cells(tmp_path):
    path = nbs_csv(tmp_path / "dirty.csv", ["数据库：分省年度数据", "指标：收入(亿元)"],
                   [["地区", "2024年", "2023年"], ["北京市", "2531 ?", 2.5], ["天津市", 3.0, "约4"], ["河北省", 5, 6]])
    with pytest.raises(dp.YearbookLayoutError, match=r"cell B4 holds '2531 \?'.*errors='coerce'"):
        dp.read_yearbook(path)
    with pytest.warns(dp.CoercionWarning, match=r"2 cell\(s\).*B4: '2531 \?'; C5: '约4'"):
        t = dp.read_yearbook(path, errors="coerce")
    assert t.attrs["coerced"] == [{"cell": "B4", "text": "2531 ?"}, {"cell": "C5", "text": "约4"}]
    v = values(t, "region_code", "year")
    assert np.isnan(v[("110000", 2024)]) and np.isnan(v[("120000", 2023)]) and v[("130000", 2024)] == 5e8
    clean = nbs_csv(tmp_path / "clean.csv", ["数据库：分省年度数据", "指标：收入(亿元)"], [["地区", "2024年", "2023年"], *PROV])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when nothing was coerced
        assert dp.read_yearbook(clean, errors="coerce").attrs["coerced"] == []
    with pytest.raises(dp.SpecificationError, match="errors"):
        dp.read_yearbook(path, errors="ignore")


# --- .xls workbooks ------------------------------------------------------------------------------

def test_xls_nbs_exports():
    a = dp.read_yearbook(FIXTURES / "nbs_regions_by_years.xls")
    assert a.shape == (31 * 9, 9) and set(a["indicator"]) == {"地方一般公共预算收入"}
    assert values(a, "region_code", "year")[("110000", 2024)] == pytest.approx(6372.68e8)
    assert a.attrs["notes"][0] == "注：1. 地方财政收入均为本级收入,不包括国内外债务收入。"
    b = dp.read_yearbook(FIXTURES / "nbs_regions_by_indicators_2023.xls")
    c = dp.read_yearbook(FIXTURES / "nbs_indicators_by_regions_2023.xls")
    assert c.attrs["transposed"] and set(c["year"]) == set(b["year"]) == {2023}
    m = b.merge(c, on=["region_code", "year", "indicator"], suffixes=("_b", "_c"))
    assert len(m) == 15 and (m["value_b"] == m["value_c"]).all()


def test_xls_merged_two_row_header():
    t = dp.read_yearbook(FIXTURES / "yearbook_merged_header.xls", sheet="表1-2")
    assert t.attrs["sheet"] == "表1-2" and set(t["year"]) == {2022}
    v = values(t, "region_code", "indicator")
    assert v[("100000", "床位 合计")] == 975.0e4 and v[("110000", "医疗卫生机构")] == 10996
    assert v[("130000", "床位 每千人口")] == 6.62
    assert dp.read_yearbook(FIXTURES / "yearbook_merged_header.xls", sheet=0).equals(t)


def test_older_gbk_export_with_source_line_on_top(tmp_path):
    # Older data.stats.gov.cn exports are GBK and may start with the 数据来源 line.
    text = ("数据来源：国家统计局\t,\t,\t,\r\n数据库：年度数据\t,\t,\t,\r\n时间：最近20年\t,\t,\t,\r\n"
            "指标\t,2024年\t,2023年\t,2022年\t,\r\n人口出生率(‰)\t,6.77\t,6.39\t,6.77\t,\r\n"
            "人口自然增长率(‰)\t,-0.99\t,-1.48\t,-0.60\t,\r\n注：1979年及以前人口数据为户籍统计数。\t,\t,\t,\r\n")
    path = tmp_path / "年度数据.csv"
    path.write_bytes(text.encode("gbk"))
    t = dp.read_yearbook(path)
    assert (t["region_code"] == "100000").all() and set(t["unit"]) == {"‰"}
    v = values(t, "year", "indicator")
    assert v[(2023, "人口自然增长率")] == -1.48 and v[(2024, "人口出生率")] == 6.77
    assert t.attrs["source"] == "国家统计局" and t.attrs["notes"][-1] == "注：1979年及以前人口数据为户籍统计数。"


def test_title_and_unit_on_one_row_and_a_note_inside_the_table(tmp_path):
    rows = [["表5 各地区人均筹资", None, "单位：元"], ["地区", "2019年", "2020年"], ["北京", 800, 900], ["天津", 700, 750]]
    t = dp.read_yearbook(write_xlsx(tmp_path / "tu.xlsx", rows))
    assert set(t["unit"]) == {"yuan"} and t.attrs["title"] == "表5 各地区人均筹资"
    assert set(t["indicator"]) == {"各地区人均筹资"}
    rows = [["表5 人均筹资"], ["单位：元"], ["地区", "2019年", "2020年"], ["北京", 800, 900], ["注：北京为估计数。"],
            ["天津", 700, 750]]
    with pytest.raises(dp.YearbookLayoutError, match="footnote in row 5 .* sits inside the table: row 6"):
        dp.read_yearbook(write_xlsx(tmp_path / "fn.xlsx", rows))


def test_excel_unicode_text_export_utf16_tabs(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("表6 人均筹资（元）\n地区\t2019年\t2020年\n北京\t800\t900\n天津\t700\t750\n".encode("utf-16"))
    t = dp.read_yearbook(path)
    assert values(t, "region_code", "year")[("120000", 2020)] == 750 and set(t["unit"]) == {"yuan"}
