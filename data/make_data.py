"""Make the bundled data sets of `disparity`.

    python data/make_data.py            # writes into data/

Everything here is SYNTHETIC (made up by a documented data-generating process with a fixed seed),
except ``national_standards.csv``, which holds real national policy figures with a source on every
row. The data-generating processes and their true parameter values are documented in
data/README.md and written to ``true_parameters.json`` so tests can check that estimators recover
them.

Outputs
-------
chifeng_survey.dta            Stata 118 (UTF-8), Chinese value and variable labels
chifeng_survey_v117_gbk.dta   the same data as a legacy Stata 117 file with GBK-encoded text
chifeng_survey.sav            the same data as SPSS
province_panel.csv            31 provinces x 2010-2023, tidy
province_panel_yearbook.xlsx  parts of the panel in raw statistical-yearbook layout
province_panel_true_att.csv   true ATT(g, t) of integration on the urban-rural benefit gap
national_standards.csv        real minimum subsidy / contribution standards, with sources
true_parameters.json          true coefficients of the survey outcome models
"""

from __future__ import annotations

import os

# openpyxl serialises XML differently with and without lxml; pin the pure-Python writer so the
# workbook is byte-identical whichever is installed. Must be set before openpyxl is imported.
os.environ["OPENPYXL_LXML"] = "False"

import datetime as _dt  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent))
from disparity.io import regions  # noqa: E402

SEED = 20190513  # the date of the 2019 notice on finishing integration
FIXED_TIME = _dt.datetime(2026, 1, 1, 0, 0)  # fixed file timestamp: rebuilds are byte-identical


# ---------------------------------------------------------------------------------------------
# Chifeng household survey

COUNTIES = [
    # code, Chinese, English, kind, GDP per capita (synthetic yuan), integrated resident scheme
    ("150402", "红山区", "Hongshan", "district", 96000, 1),
    ("150403", "元宝山区", "Yuanbaoshan", "district", 78000, 1),
    ("150404", "松山区", "Songshan", "district", 63000, 1),
    ("150421", "阿鲁科尔沁旗", "Ar Horqin", "banner", 41000, 0),
    ("150422", "巴林左旗", "Bairin Left", "banner", 43000, 0),
    ("150423", "巴林右旗", "Bairin Right", "banner", 52000, 1),
    ("150424", "林西县", "Linxi", "county", 38000, 0),
    ("150425", "克什克腾旗", "Hexigten", "banner", 58000, 1),
    ("150426", "翁牛特旗", "Ongniud", "banner", 36000, 0),
    ("150428", "喀喇沁旗", "Harqin", "banner", 47000, 0),
    ("150429", "宁城县", "Ningcheng", "county", 44000, 0),
    ("150430", "敖汉旗", "Aohan", "banner", 33000, 0),
]
N_PER_COUNTY = 250
PSU_PER_COUNTY = 10
DEV_CENTRE = 10.8  # dev = ln(GDP per capita) - 10.8 (about ln 49,000 yuan)

# True coefficients (see data/README.md). Support for integration: logit. Satisfaction: ordered logit.
SUPPORT = {
    "Intercept": -0.20,
    "dev": 0.80,
    "benefit_gap": -0.06,
    "dev:benefit_gap": 0.05,
    "rural": -0.25,
    "age10": 0.10,
    "edu_years": 0.05,
}
SATISFACTION = {
    "dev": 0.60,
    "benefit_gap": -0.05,
    "dev:benefit_gap": 0.04,
    "rural": -0.30,
    "chronic": -0.20,
}
SATISFACTION_CUTS = [-2.0, -0.8, 0.6, 2.0]
PSU_EFFECT_SD = 0.15  # village/community (PSU) random intercept (logit scale) in both outcomes

SCHEMES = {1: "城镇职工医保 (UEBMI)", 2: "城镇居民医保 (URBMI)", 3: "新农合 (NRCMS)", 4: "城乡居民医保 (URRBMI)"}
LIKERT_SAT = {-1: "不知道", 1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"}
HEALTH = {1: "很差", 2: "差", 3: "一般", 4: "好", 5: "很好"}


def make_chifeng(rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    rows = []
    county_gap = {}
    for k, (code, _zh, _en, kind, gdp, integ) in enumerate(COUNTIES, start=1):
        # Urban-rural gap in actual inpatient reimbursement rates (percentage points): smaller where
        # the resident schemes were merged and where the economy is stronger.
        gap = (13.0 if not integ else 7.0) - 1.0 * (np.log(gdp) - DEV_CENTRE) + rng.normal(0, 2.5)
        county_gap[code] = round(float(gap), 2)
        urban_share = 0.75 if kind == "district" else 0.35
        for i in range(N_PER_COUNTY):
            rows.append((k, code, kind, gdp, integ, urban_share, 1 + i * PSU_PER_COUNTY // N_PER_COUNTY))
    df = pd.DataFrame(rows, columns=["county", "county_code", "kind", "gdp_pc", "integrated", "urban_share", "psu_in"])
    n = len(df)
    df["urban"] = (rng.random(n) < df["urban_share"]).astype(np.int8)
    df["rural"] = 1 - df["urban"]
    df["female"] = (rng.random(n) < 0.5).astype(np.int8)
    df["age"] = rng.integers(18, 86, n).astype(np.int16)
    df["edu_years"] = np.clip(np.round(np.where(df["urban"] == 1, 11, 8) + rng.normal(0, 3, n)), 0, 19).astype(np.int8)
    formal = (df["urban"] == 1) & (rng.random(n) < 0.45)
    scheme = np.where(formal, 1, np.where(df["urban"] == 1, 2, 3))
    scheme = np.where((scheme > 1) & (df["integrated"] == 1), 4, scheme)
    df["scheme"] = scheme.astype(np.int8)
    df["log_gdp_pc"] = np.log(df["gdp_pc"].astype(float))
    df["dev"] = df["log_gdp_pc"] - DEV_CENTRE
    df["benefit_gap"] = df["county_code"].map(county_gap).astype(float)
    log_inc = 0.8 * df["log_gdp_pc"] + 0.35 * df["urban"] + 0.04 * df["edu_years"] + rng.normal(0, 0.5, n) + 0.9
    df["income"] = np.round(np.exp(log_inc), -1)
    p_chronic = 1 / (1 + np.exp(-(-1.6 + 0.04 * (df["age"] - 50))))
    df["chronic"] = (rng.random(n) < p_chronic).astype(np.int8)
    h_lat = 0.9 - 0.02 * (df["age"] - 50) - 0.8 * df["chronic"] + 0.1 * np.log(df["income"] / 20000) + rng.logistic(0, 1, n)
    df["health"] = (np.digitize(h_lat, [-2.0, -0.7, 0.7, 2.0]) + 1).astype(np.int8)
    p_inp = 1 / (1 + np.exp(-(-2.2 + 0.03 * (df["age"] - 50) + 1.0 * df["chronic"])))
    df["inpatient"] = (rng.random(n) < p_inp).astype(np.int8)
    cost = np.exp(rng.normal(9.0, 0.8, n)) * df["inpatient"]
    df["inpatient_cost"] = np.round(cost, 2)
    base_rate = np.select([df["scheme"] == 1, df["scheme"] == 4], [0.68, 0.55], 0.55)
    rate = base_rate - np.where(df["scheme"] == 3, df["benefit_gap"] / 100, 0.0)
    rate = np.where(df["scheme"] == 4, base_rate - df["rural"] * df["benefit_gap"] / 100 * 0.5, rate)
    rate = np.clip(rate + rng.normal(0, 0.05, n), 0.05, 0.95)
    df["reimbursed"] = np.round(df["inpatient_cost"] * rate, 2)
    df["oop"] = np.round(df["inpatient_cost"] - df["reimbursed"], 2)
    df["reimb_rate"] = np.where(df["inpatient"] == 1, np.round(100 * df["reimbursed"] / df["inpatient_cost"].where(df["inpatient"] == 1), 2), np.nan)
    psu_id = df["county"] * 100 + df["psu_in"]
    psu_u = dict(zip(sorted(psu_id.unique()), rng.normal(0, PSU_EFFECT_SD, psu_id.nunique()), strict=True))
    u = psu_id.map(psu_u).to_numpy()
    df["age10"] = (df["age"] - 50) / 10
    eta = (
        SUPPORT["Intercept"]
        + SUPPORT["dev"] * df["dev"]
        + SUPPORT["benefit_gap"] * df["benefit_gap"]
        + SUPPORT["dev:benefit_gap"] * df["dev"] * df["benefit_gap"]
        + SUPPORT["rural"] * df["rural"]
        + SUPPORT["age10"] * df["age10"]
        + SUPPORT["edu_years"] * df["edu_years"]
        + u
    )
    df["support"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    s_lat = (
        SATISFACTION["dev"] * df["dev"]
        + SATISFACTION["benefit_gap"] * df["benefit_gap"]
        + SATISFACTION["dev:benefit_gap"] * df["dev"] * df["benefit_gap"]
        + SATISFACTION["rural"] * df["rural"]
        + SATISFACTION["chronic"] * df["chronic"]
        + u
        + rng.logistic(0, 1, n)
    )
    df["satisfaction"] = (np.digitize(s_lat, SATISFACTION_CUTS) + 1).astype(np.int8)
    # Survey design: strata = counties; 10 PSUs (villages/communities) per county; weights are
    # inverse selection probabilities (rural households sampled at a lower rate in districts).
    df["strata"] = df["county"].astype(np.int16)
    df["psu"] = (df["county"] * 100 + df["psu_in"]).astype(np.int16)
    pop = np.array([42, 38, 60, 30, 34, 18, 24, 26, 48, 35, 60, 60]) * 1e4  # synthetic populations
    w = pop[df["county"] - 1] / N_PER_COUNTY * np.where((df["kind"] == "district") & (df["urban"] == 0), 1.6, 1.0)
    df["weight"] = np.round(w * rng.uniform(0.8, 1.2, n), 1)
    df["id"] = np.arange(1, n + 1, dtype=np.int32)
    # CFPS-style missing codes, to be recoded with read_survey(..., missing="cfps").
    dk = rng.random(n) < 0.02
    df.loc[dk, "satisfaction"] = -1
    refused = rng.random(n) < 0.015
    df.loc[refused, "income"] = -2
    cols = [
        "id", "county", "county_code", "urban", "female", "age", "edu_years", "scheme", "income",
        "chronic", "health", "inpatient", "inpatient_cost", "reimbursed", "oop", "reimb_rate", "satisfaction",
        "support", "weight", "strata", "psu", "gdp_pc", "log_gdp_pc", "dev", "benefit_gap",
    ]
    truth = {
        "description": "True coefficients of the synthetic Chifeng survey (see data/README.md)",
        "support_logit": SUPPORT,
        "satisfaction_ordered_logit": SATISFACTION,
        "satisfaction_cutpoints": SATISFACTION_CUTS,
        "psu_effect_sd": PSU_EFFECT_SD,
        "dev_centre": DEV_CENTRE,
        "county_benefit_gap": county_gap,
    }
    return df[cols].reset_index(drop=True), truth


CHIFENG_LABELS = {
    "id": "受访者编号",
    "county": "旗县区",
    "county_code": "旗县区行政区划代码",
    "urban": "城乡",
    "female": "性别",
    "age": "年龄（岁）",
    "edu_years": "受教育年限（年）",
    "scheme": "参保类型",
    "income": "家庭人均年收入（元）",
    "chronic": "是否患慢性病",
    "health": "自评健康",
    "inpatient": "过去一年是否住院",
    "inpatient_cost": "住院总费用（元）",
    "reimbursed": "医保报销金额（元）",
    "oop": "自付费用（元）",
    "reimb_rate": "实际报销比例（%，住院者）",
    "satisfaction": "对医保待遇的满意度",
    "support": "是否支持城乡医保整合",
    "weight": "抽样权数",
    "strata": "抽样层",
    "psu": "初级抽样单元",
    "gdp_pc": "旗县区人均GDP（元，合成）",
    "log_gdp_pc": "人均GDP对数",
    "dev": "经济发展水平（人均GDP对数，以10.8为中心）",
    "benefit_gap": "城乡住院实际报销比例差距（百分点）",
}
CHIFENG_VALUE_LABELS = {
    "county": {k: zh for k, (_, zh, *_rest) in enumerate(COUNTIES, start=1)},
    "urban": {0: "农村", 1: "城镇"},
    "female": {0: "男", 1: "女"},
    "scheme": SCHEMES,
    "chronic": {0: "否", 1: "是"},
    "health": HEALTH,
    "inpatient": {0: "否", 1: "是"},
    "satisfaction": LIKERT_SAT,
    "support": {0: "不支持", 1: "支持"},
    "income": {-2: "拒绝回答"},
}


def _gbk_as_latin1(s: str) -> str:
    """Text whose Latin-1 encoding is the GBK encoding of ``s`` (how a Stata 13 user's file looks)."""
    return s.encode("gbk").decode("latin-1")


def _fix_sav_timestamp(path: Path) -> None:
    """Overwrite the creation date and time in an SPSS header so that rebuilds are byte-identical."""
    b = bytearray(path.read_bytes())
    assert b[:4] == b"$FL2", "expected an uncompressed SPSS .sav file"
    b[92:101] = b"01 Jan 26"
    b[101:109] = b"00:00:00"
    path.write_bytes(bytes(b))


def _fix_zip_metadata(path: Path) -> None:
    """Rewrite an .xlsx (zip) with fixed entry times and document dates: byte-identical rebuilds."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def write_chifeng(df: pd.DataFrame) -> None:
    labels = {k: v[:80] for k, v in CHIFENG_LABELS.items()}
    df.to_stata(
        OUT / "chifeng_survey.dta",
        write_index=False,
        version=118,
        variable_labels=labels,
        value_labels=CHIFENG_VALUE_LABELS,
        data_label="赤峰市城乡居民医保调查（合成数据）",
        time_stamp=FIXED_TIME,
    )
    legacy = df.copy()
    legacy["county_code"] = legacy["county_code"].astype(str)
    gbk_labels = {k: _gbk_as_latin1(v) for k, v in labels.items()}
    gbk_vl = {c: {k: _gbk_as_latin1(v) for k, v in m.items()} for c, m in CHIFENG_VALUE_LABELS.items()}
    legacy.to_stata(
        OUT / "chifeng_survey_v117_gbk.dta",
        write_index=False,
        version=117,
        variable_labels=gbk_labels,
        value_labels=gbk_vl,
        data_label=_gbk_as_latin1("赤峰市城乡居民医保调查（合成数据）"),
        time_stamp=FIXED_TIME,
    )
    import pyreadstat

    pyreadstat.write_sav(
        df,
        OUT / "chifeng_survey.sav",
        column_labels=labels,
        variable_value_labels=CHIFENG_VALUE_LABELS,
        file_label="赤峰市城乡居民医保调查（合成数据）",
    )
    _fix_sav_timestamp(OUT / "chifeng_survey.sav")


# ---------------------------------------------------------------------------------------------
# Province panel

# Synthetic integration years: 8 early integrators (the provinces integrated before 2016 per
# DOMAIN.md section 1), 24 integrated by 2018, the last 7 in 2019 (consistent with the May 2019
# notice: 24 of 31 done, the rest by the end of 2019). Which province falls in which later cohort is
# made up.
INTEGRATION_YEAR = {
    "120000": 2010, "640000": 2010, "500000": 2012, "440000": 2012, "630000": 2014, "370000": 2014,
    "330000": 2015, "310000": 2015,
    "110000": 2016, "130000": 2016, "360000": 2016, "420000": 2016,
    "140000": 2017, "150000": 2017, "350000": 2017, "410000": 2017, "430000": 2017, "520000": 2017,
    "210000": 2018, "320000": 2018, "340000": 2018, "450000": 2018, "460000": 2018, "610000": 2018,
    "220000": 2019, "230000": 2019, "510000": 2019, "530000": 2019, "540000": 2019, "620000": 2019,
    "650000": 2019,
}
YEARS = list(range(2010, 2024))


def true_effect(cohort: int, year: int) -> float:
    """True effect (pp) of integration on the urban-rural benefit gap, for cohort g in year t."""
    e = year - cohort
    if e < 0:
        return 0.0
    scale = 1.4 if cohort <= 2014 else (1.0 if cohort <= 2017 else 0.7)
    return -scale * min(1.5 + 0.75 * e, 4.5)


def make_panel(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    prov = regions.provinces()
    prov = prov[prov["in_mainland31"]].reset_index(drop=True)
    rows = []
    min_subsidy = {2010: 120, 2011: 200, 2012: 240, 2013: 280, 2014: 320, 2015: 380, 2016: 420, 2017: 450,
                   2018: 490, 2019: 520, 2020: 550, 2021: 580, 2022: 610, 2023: 640}
    for _, p in prov.iterrows():
        code = p["region_code"]
        g = INTEGRATION_YEAR[code]
        east = p["nbs4"] == "east"
        gdp0 = np.exp(rng.normal(10.4 + (0.35 if east else 0.0), 0.25))
        alpha = rng.normal(0, 2.0)
        urb0 = float(np.clip(rng.normal(55 if east else 42, 8), 20, 88))
        pooling = 1 + int(rng.random() < 0.5)
        early_items = rng.random(6) < 0.35  # items unified one year before the merger
        for t in YEARS:
            k = t - 2010
            gdp = gdp0 * (1.075 ** k) * np.exp(rng.normal(0, 0.02))
            treated = int(t >= g)
            eff = true_effect(g, t)
            gap = 14.0 + alpha - 0.35 * k - 1.5 * (np.log(gdp) - 10.8) + eff + rng.normal(0, 0.8)
            reimb_urban = 58 + 0.9 * k + 2.0 * (np.log(gdp) - 10.8) + rng.normal(0, 1.0)
            subsidy = min_subsidy[t] * (1 + (0.25 if east else 0.05) + rng.normal(0, 0.03))
            contrib_rural = (30 + 25 * k) * (1 + rng.normal(0, 0.05))
            contrib_urban = contrib_rural * (1.5 if not treated else 1.0)
            # pooling level: 1 county, 2 municipal, 3 provincial. The municipalities pool at the
            # provincial level throughout; Ningxia, Qinghai and Hainan move to provincial pooling two
            # years after integrating; elsewhere county pooling becomes municipal two years after.
            if code in ("110000", "120000", "310000", "500000"):
                pooling_t = 3
            elif t >= g + 2:
                pooling_t = 3 if code in ("640000", "630000", "460000") else max(pooling, 2)
            else:
                pooling_t = pooling
            items = [1 if (t >= g or (t == g - 1 and early_items[j])) else 0 for j in range(6)]
            rows.append({
                "region_code": code, "region": p["region"], "region_en": p["region_en"], "nbs4": p["nbs4"],
                "year": t, "integration_year": g, "integrated": treated,
                "gdp_pc": round(gdp, 0),
                "urbanisation": round(float(np.clip(urb0 + 1.1 * k + rng.normal(0, 0.5), 15, 92)), 2),
                "subsidy_pc": round(subsidy, 1),
                "contrib_urban": round(contrib_urban, 1),
                "contrib_rural": round(contrib_rural, 1),
                "fin_urban": round(subsidy + contrib_urban, 1),
                "fin_rural": round(subsidy + contrib_rural, 1),
                "reimb_urban": round(reimb_urban, 2),
                "reimb_rural": round(reimb_urban - gap, 2),
                "benefit_gap": round(gap, 2),
                "deductible_tertiary": float(round(rng.choice([600, 800, 1000, 1200]) * (1 + 0.02 * k), -1)),
                "ceiling": float(round((60000 + 9000 * k) * np.exp(rng.normal(0, 0.1)), -3)),
                "fund_balance_months": round(float(np.clip(rng.normal(9, 2.5), 2, 20)), 1),
                "health_invest_pc": round(gdp * 0.012 * np.exp(rng.normal(0, 0.15)), 1),
                "pooling_level": pooling_t,
                "unify_coverage": items[0], "unify_financing": items[1], "unify_benefits": items[2],
                "unify_catalogue": items[3], "unify_designated": items[4], "unify_fund": items[5],
                "true_effect": round(eff, 4),
            })
    panel = pd.DataFrame(rows)
    att = [
        {"cohort": g, "year": t, "event_time": t - g, "att": true_effect(g, t),
         "n_units": sum(1 for v in INTEGRATION_YEAR.values() if v == g)}
        for g in sorted(set(INTEGRATION_YEAR.values()))
        for t in YEARS
        if t >= g
    ]
    return panel, pd.DataFrame(att)


def write_yearbook(panel: pd.DataFrame) -> None:
    """Parts of the panel in the layout of a statistical-yearbook table (multi-row headers, units)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    # Sheet 1: one indicator, years as columns, amounts in 元, a merged two-row header.
    ws = wb.active
    ws.title = "表1"
    ws.append(["表1  各地区城乡居民医保人均筹资（农村居民）（合成数据）"])
    ws.append(["单位：元"])
    ws.append(["地  区", "人均筹资"] + [None] * (len(YEARS) - 1))
    ws.append([None] + [f"{t}年" for t in YEARS])
    ws.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    ws.merge_cells(start_row=3, start_column=2, end_row=3, end_column=1 + len(YEARS))
    wide = panel.pivot(index="region_code", columns="year", values="fin_rural")
    nat = panel.groupby("year")["fin_rural"].mean().round(1)
    ws.append(["全  国"] + [float(nat[t]) for t in YEARS])
    for code, row in wide.iterrows():
        name = panel.loc[panel.region_code == code, "region"].iloc[0].removesuffix("省").removesuffix("市")
        if len(name) == 2:
            name = name[0] + "  " + name[1]
        vals = [float(row[t]) for t in YEARS]
        if code == "540000":
            vals[0] = "—"  # not available, as yearbooks print it
        ws.append([name] + vals)
    ws.append(["注：本表为合成数据（data/make_data.py 生成），仅用于演示。"])
    ws.append(["资料来源：disparity 合成数据。"])
    ws["A1"].alignment = Alignment(horizontal="left")
    # Sheet 2: one year, indicators as columns, units in the headers, a merged group header.
    ws2 = wb.create_sheet("表2")
    y = 2023
    ws2.append([f"表2  {y}年各地区城乡居民基本医疗保险情况（合成数据）"])
    ws2.append(["地区", "基金", "医疗投入", "人均筹资", "政策范围内住院费用报销比例"])
    ws2.append([None, "可支付月数（月）", "人均医疗投入（元）", "（元）", "（%）"])
    ws2.merge_cells("A2:A3")
    sub = panel[panel["year"] == y]
    for _, r in sub.iterrows():
        ws2.append([r["region"], float(r["fund_balance_months"]), float(r["health_invest_pc"]) / 1e4,
                    float(r["fin_rural"]), float(r["reimb_rural"])])
    ws2["C3"] = "人均医疗投入（万元）"
    ws2.append(["注：合成数据，仅用于演示。"])
    # Fixed workbook metadata so that rebuilds are byte-identical.
    wb.properties.creator = "disparity data/make_data.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(OUT / "province_panel_yearbook.xlsx")
    _fix_zip_metadata(OUT / "province_panel_yearbook.xlsx")


# ---------------------------------------------------------------------------------------------
# Real national standards (facts with a source on every row)

NATIONAL_STANDARDS = [
    # year, scheme, indicator, value (yuan per person per year), source
    (2007, "URBMI", "min_government_subsidy", 40,
     "State Council guidance launching the URBMI pilots (2007); documents listed in data/README.md (National standards)"),
    (2010, "URBMI", "min_government_subsidy", 120,
     "national subsidy standard for 2010; documents listed in data/README.md (National standards)"),
    (2011, "NRCMS", "min_government_subsidy", 200,
     "national NRCMS subsidy standard for 2011; documents listed in data/README.md (National standards)"),
    (2017, "URRBMI", "min_government_subsidy", 450,
     "national annual notice on resident medical insurance for 2017; documents listed in data/README.md (National standards)"),
    (2018, "URRBMI", "min_government_subsidy", 490,
     "national annual notice on resident medical insurance for 2018; documents listed in data/README.md (National standards)"),
    (2018, "URRBMI", "min_individual_contribution", 220,
     "national annual notice on resident medical insurance for 2018; documents listed in data/README.md (National standards)"),
    (2019, "URRBMI", "min_government_subsidy", 520,
     "NHSA and Ministry of Finance notice on resident medical security for 2019 (reported by Xinhua, "
     "13 May 2019); documents listed in data/README.md (National standards)"),
    (2022, "URRBMI", "min_government_subsidy", 610,
     "national annual notice on resident medical security for 2022; documents listed in data/README.md (National standards)"),
    (2023, "URRBMI", "min_government_subsidy", 640,
     "national annual notice on resident medical security for 2023; documents listed in data/README.md (National standards)"),
    (2024, "URRBMI", "min_government_subsidy", 670,
     "national annual notice on resident medical security for 2024; documents listed in data/README.md (National standards)"),
    (2024, "URRBMI", "min_individual_contribution", 400,
     "national annual notice on resident medical security for 2024; documents listed in data/README.md (National standards)"),
]


def main() -> None:
    rng = np.random.default_rng(SEED)
    survey, truth = make_chifeng(rng)
    write_chifeng(survey)
    panel, att = make_panel(rng)
    panel.to_csv(OUT / "province_panel.csv", index=False, lineterminator="\n")
    att.to_csv(OUT / "province_panel_true_att.csv", index=False, lineterminator="\n")
    write_yearbook(panel)
    truth["province_panel"] = {
        "integration_year": INTEGRATION_YEAR,
        "effect": "att(g, t) = -s_g * min(1.5 + 0.75 * (t - g), 4.5) for t >= g; s_g = 1.4 (g <= 2014), "
                  "1.0 (2015-2017), 0.7 (2018-2019)",
    }
    (OUT / "true_parameters.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    std = pd.DataFrame(NATIONAL_STANDARDS, columns=["year", "scheme", "indicator", "value", "source"])
    std["unit"] = "yuan per person per year"
    std.to_csv(OUT / "national_standards.csv", index=False, lineterminator="\n")
    print(f"wrote {len(survey)} survey rows, {len(panel)} panel rows into {OUT}")


if __name__ == "__main__":
    main()
