"""Bundled data: synthetic labels, reproducibility, documented truth, real standards with sources."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import datasets

ROOT = Path(__file__).resolve().parents[1]


def test_every_synthetic_frame_is_labelled():
    for df in (datasets.chifeng_survey(), datasets.province_panel(), datasets.province_panel_true_att()):
        assert df.attrs["synthetic"] is True
        assert "SYNTHETIC" in df.attrs["note"]
    assert datasets.chifeng_survey().attrs["codebook"].synthetic
    assert datasets.national_standards().attrs["synthetic"] is False


def test_survey_shape_and_design():
    df = datasets.chifeng_survey()
    assert len(df) == 3000
    assert df["county"].nunique() == 12
    assert set(df["county_code"]) == set(dp.regions.chifeng_units()["region_code"])
    assert df["psu"].nunique() == 120 and df["strata"].nunique() == 12
    assert (df["weight"] > 0).all()
    assert set(df["scheme"].cat.categories) == {"城镇职工医保 (UEBMI)", "城镇居民医保 (URBMI)", "新农合 (NRCMS)",
                                                "城乡居民医保 (URRBMI)"}
    np.testing.assert_allclose(df["reimbursed"] + df["oop"], df["inpatient_cost"], atol=0.011)
    # benefit gap and development are county-level
    assert (df.groupby("county", observed=True)[["benefit_gap", "dev"]].nunique() == 1).all().all()


def test_all_three_survey_copies_hold_the_same_data():
    a = datasets.chifeng_survey("dta")
    c = datasets.chifeng_survey("sav")
    for col in a.columns:
        if isinstance(a[col].dtype, pd.CategoricalDtype) or a[col].dtype.kind in "OUT" or str(a[col].dtype) in ("str", "string"):
            assert list(a[col].astype(object)) == list(c[col].astype(object)), col
        else:
            np.testing.assert_allclose(a[col].astype(float), c[col].astype(float), err_msg=col)


def test_truth_file_matches_generator_constants():
    truth = datasets.true_parameters()
    assert truth["support_logit"]["dev:benefit_gap"] == 0.05
    assert truth["satisfaction_cutpoints"] == [-2.0, -0.8, 0.6, 2.0]
    gaps = datasets.chifeng_survey().groupby("county_code", observed=True)["benefit_gap"].first()
    assert {k: round(v, 2) for k, v in gaps.items()} == truth["county_benefit_gap"]


def test_panel_integration_timing_matches_the_record():
    p = datasets.province_panel()
    assert p.shape[0] == 31 * 14 and not p.duplicated(["region_code", "year"]).any()
    first = p.groupby("region_code")["integration_year"].first()
    assert first.between(2010, 2019).all()
    # 24 of 31 integrated before May 2019, the remaining 7 in 2019
    assert (first <= 2018).sum() == 24 and (first == 2019).sum() == 7
    # the early integrators named in DOMAIN.md section 1 are integrated before 2016
    early = dp.regions.to_code(["Tianjin", "Shanghai", "Zhejiang", "Shandong", "Guangdong", "Chongqing",
                                "Qinghai", "Ningxia"])
    assert (first[list(early)] < 2016).all()
    assert (p["integrated"] == (p["year"] >= p["integration_year"]).astype(int)).all()


def test_true_att_file_agrees_with_panel_effects():
    p = datasets.province_panel()
    att = datasets.province_panel_true_att()
    m = p[p.integrated == 1].merge(att, left_on=["integration_year", "year"], right_on=["cohort", "year"])
    assert len(m) == (p.integrated == 1).sum()
    np.testing.assert_allclose(m["true_effect"], m["att"], atol=1e-4)
    # heterogeneous and dynamic: effects differ across cohorts at the same event time and grow with time
    e0 = att[att.event_time == 0].set_index("cohort")["att"]
    assert e0[2010] < e0[2016] < e0[2019] < 0
    assert att[att.cohort == 2016].sort_values("event_time")["att"].is_monotonic_decreasing


def test_national_standards_are_sourced_facts():
    std = datasets.national_standards()
    assert std["source"].str.len().gt(20).all()
    v = std.set_index(["year", "indicator"])["value"]
    assert v[(2018, "min_government_subsidy")] == 490
    assert v[(2024, "min_individual_contribution")] == 400
    assert v[(2007, "min_government_subsidy")] == 40


def test_benchmark_and_integration_index_on_bundled_panel():
    p = datasets.province_panel()
    r = dp.benchmark(p, focus="甘肃", peers=["Tianjin", "宁夏"], indicators=["subsidy_pc", "reimb_rural"], year=2023)
    t = r.tidy()
    assert (t["n_regions"] == 31).all()
    focus = p[(p.region_code == "620000") & (p.year == 2023)]
    assert t.loc[t.indicator == "subsidy_pc", "focus"].iloc[0] == pytest.approx(focus["subsidy_pc"].item())
    ii = dp.integration_index(p)
    merged = ii.merge(p, on=["region_code", "year"])
    after = merged[merged.year >= merged.integration_year]
    assert after["complete"].all()
    np.testing.assert_allclose(after["index"], 1.0, rtol=0, atol=1e-12)
    assert (merged.loc[merged.year < merged.integration_year - 1, "index"] == 0).all()


@pytest.mark.slow
def test_make_data_is_reproducible(tmp_path):
    """Regenerating the bundled data gives byte-identical files."""
    script = (ROOT / "data" / "make_data.py").read_text()
    work = tmp_path / "data"
    work.mkdir()
    (work / "make_data.py").write_text(script.replace(
        "sys.path.insert(0, str(OUT.parent))", f"sys.path.insert(0, {str(ROOT)!r})"))
    subprocess.run([sys.executable, str(work / "make_data.py")], check=True, capture_output=True)
    for name in ["chifeng_survey.dta", "chifeng_survey_v117_gbk.dta", "chifeng_survey.sav", "province_panel.csv",
                 "province_panel_yearbook.xlsx", "province_panel_true_att.csv", "national_standards.csv",
                 "true_parameters.json"]:
        new = hashlib.sha256((work / name).read_bytes()).hexdigest()
        old = hashlib.sha256((ROOT / "data" / name).read_bytes()).hexdigest()
        assert new == old, f"{name} differs when regenerated"
    json.loads((work / "true_parameters.json").read_text())
