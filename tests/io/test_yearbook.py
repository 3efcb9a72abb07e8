"""read_yearbook on yearbook-shaped tables (the bundled raw-layout workbook and small built ones)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp


def write_xlsx(path: Path, rows, merges=()) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def panel():
    return dp.datasets.province_panel()


def test_years_as_columns_matches_panel(panel):
    t = dp.read_yearbook(dp.datasets.path("province_panel_yearbook.xlsx"), sheet="表1")
    assert list(t.columns) == ["region_code", "region", "region_en", "year", "indicator", "unit", "value",
                               "unit_original", "is_total"]
    assert t["year"].between(2010, 2023).all() and t["year"].dtype == int
    assert (t["unit"] == "yuan").all() and (t["unit_original"] == "元").all()
    assert t["indicator"].unique().tolist() == ["各地区城乡居民医保人均筹资（农村居民）（合成数据）"]
    nat = t[t["is_total"]]
    assert len(nat) == 14 and (nat["region_code"] == "100000").all()
    m = t[~t["is_total"]].merge(panel, on=["region_code", "year"], validate="one_to_one")
    assert len(m) == 31 * 14
    # the "—" placeholder (Tibet 2010) is NaN, everything else equals the panel exactly
    tibet = m[(m.region_code == "540000") & (m.year == 2010)]
    assert tibet["value"].isna().all()
    ok = m.drop(tibet.index)
    np.testing.assert_allclose(ok["value"], ok["fin_rural"], rtol=0, atol=1e-9)
    assert any(n.startswith("注") for n in t.attrs["notes"])


def test_indicators_as_columns_converts_units(panel):
    t = dp.read_yearbook(dp.datasets.path("province_panel_yearbook.xlsx"), sheet="表2")
    assert set(t["year"]) == {2023}
    wide = t.pivot(index="region_code", columns="indicator", values="value")
    ref = panel[panel.year == 2023].set_index("region_code")
    # 万元 -> yuan (x 1e4); percentages stay percent; months stay months
    np.testing.assert_allclose(wide["医疗投入 人均医疗投入"], ref["health_invest_pc"], rtol=1e-12)
    np.testing.assert_allclose(wide["政策范围内住院费用报销比例"], ref["reimb_rural"])
    np.testing.assert_allclose(wide["基金 可支付月数"], ref["fund_balance_months"])
    units = t.drop_duplicates("indicator").set_index("indicator")["unit"].to_dict()
    assert units == {"基金 可支付月数": "months", "医疗投入 人均医疗投入": "yuan", "人均筹资": "yuan",
                     "政策范围内住院费用报销比例": "%"}


def test_english_edition_with_units_and_total(tmp_path):
    rows = [
        ["Table 21-21 Basic Statistics of NRCMS by Region (2011)"],
        ["Region", "Enrollees (10 000 persons)", "Payout (100 million yuan)", "Premium (yuan)"],
        ["National Total", "83,200", 1710.2, 246.2],
        ["Beijing", 276.8, 17.64, 637.2],
        ["Tianjin", "…", "…", "…"],
        ["Shanxi", 2185.0, 50.67, 231.9],
        ["Shaanxi", 2631.7, 63.62, 241.7],
        ["Inner Mongolia", 1100, 30, 200],
        ["Note: made-up numbers for a test."],
    ]
    t = dp.read_yearbook(write_xlsx(tmp_path / "en.xlsx", rows))
    assert set(t["year"]) == {2011}
    v = t.set_index(["region_code", "indicator"])["value"]
    assert v[("100000", "Enrollees")] == pytest.approx(83200 * 1e4)
    assert v[("110000", "Payout")] == pytest.approx(17.64e8)
    assert v[("140000", "Premium")] == 231.9  # Shanxi = 山西 because Shaanxi is spelled too
    assert v[("610000", "Premium")] == 241.7
    assert np.isnan(v[("120000", "Premium")])
    assert t.loc[t.region_code == "150000", "region"].iloc[0] == "内蒙古自治区"


def test_bilingual_labels_and_aggregate_rows(tmp_path):
    rows = [["表3 2020年住院率（%）"], ["地区", "住院率"], ["东部", 14.0], ["北京 Beijing", 12.5], ["上海 Shanghai", 11.0],
            ["西部地区", 16.0], ["甘肃 Gansu", 17.2], ["资料来源：测试"]]
    t = dp.read_yearbook(write_xlsx(tmp_path / "b.xlsx", rows))
    assert list(t["region_code"]) == ["110000", "310000", "620000"]
    assert (t["unit"] == "%").all()
    assert any("东部" in n for n in t.attrs["notes"])


def test_csv_table(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("表4 人均筹资\n单位：万元\n地区,2018年,2019年\n北京,1.5,2\n甘肃,0.5,—\n".encode("gbk"))
    t = dp.read_yearbook(path)
    assert t.loc[(t.region_code == "110000") & (t.year == 2018), "value"].item() == 15000.0
    assert np.isnan(t.loc[(t.region_code == "620000") & (t.year == 2019), "value"].item())
    pd.testing.assert_index_equal(pd.Index(sorted(t["year"].unique())), pd.Index([2018, 2019]))
