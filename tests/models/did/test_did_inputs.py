"""Bad input: clear errors naming what is wrong, or explicit warnings."""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, RegionError, SpecificationError
from disparity.models.did import DidWarning, cohorts, did, event_study


def _panel(n_per=(3, 3, 4), T=6, never=True, seed=0):
    rng = np.random.default_rng(seed)
    gs = [3] * n_per[0] + [4] * n_per[1] + ([0] * n_per[2] if never else [5] * n_per[2])
    rows = [(i, t, g, rng.normal() + (t >= g > 0)) for i, g in enumerate(gs) for t in range(1, T + 1)]
    return pd.DataFrame(rows, columns=["i", "t", "g", "y"])


def test_treatment_switching_off_is_an_error():
    df = _panel()
    df["d"] = ((df["t"] >= df["g"]) & (df["g"] > 0)).astype(int)
    df.loc[(df["i"] == 1) & (df["t"] == 5), "d"] = 0
    with pytest.raises(DataValueError, match=r"switches off.*\[1\]"):
        cohorts(df, unit="i", time="t", treat="d")
    with pytest.raises(DataValueError, match="switches off"):
        did(df, "y", unit="i", time="t", treat="d")


def test_cohort_from_status_column():
    df = _panel()
    df["d"] = ((df["t"] >= df["g"]) & (df["g"] > 0)).astype(int)
    out = cohorts(df, unit="i", time="t", treat="d")
    expected = df["g"].where(df["g"] > 0)
    pd.testing.assert_series_equal(out["cohort"], expected.astype(float), check_names=False)


def test_no_untreated_comparison_units():
    df = _panel(never=False)
    with pytest.raises(DataValueError, match="control='notyet'"):
        event_study(df, "y", "i", "t", "g", control="never", reps=0, se="analytic")
    k = pd.DataFrame({"y": [1.0, 2, 3, 4], "tr": [1, 1, 1, 1], "po": [0, 1, 0, 1]})
    with pytest.raises(DataValueError, match="no untreated comparison"):
        did(k, "y", treat="tr", post="po")


def test_cohort_with_one_unit_warns():
    df = _panel(n_per=(1, 3, 4))
    with pytest.warns(DidWarning, match=r"Cohorts \[3\] have a single unit"):
        event_study(df, "y", "i", "t", "g", se="analytic", reps=0)


def test_duplicated_unit_period_rows():
    df = _panel()
    df = pd.concat([df, df.iloc[[7]]], ignore_index=True)
    for est in ("cs", "twfe", "sa"):
        with pytest.raises(DataValueError, match=r"\('i', 't'\).*rows \[7, "):
            event_study(df, "y", "i", "t", "g", estimator=est, se="analytic", reps=0)


def test_missing_timing_for_a_region():
    panel = dp.datasets.province_panel()
    timing = panel.drop_duplicates("region_code")[["region", "integration_year"]].iloc[:-1]
    with pytest.raises(DataValueError, match=r"No integration timing for regions \['650000'\]"):
        cohorts(timing, region="region", date="integration_year", data=panel, on="region_code")
    with pytest.warns(DidWarning, match="650000"):
        out = cohorts(timing, region="region", date="integration_year", data=panel, on="region_code", missing="never")
    assert out.loc[out["region_code"].astype(str) == "650000", "cohort"].isna().all()
    assert (out["cohort"].dropna() == out.loc[out["cohort"].notna(), "integration_year"]).all()


def test_unknown_region_in_timing_table():
    with pytest.raises(RegionError, match="Timing table"):
        cohorts(pd.DataFrame({"r": ["Atlantis"], "y": [2016]}), region="r", date="y")


def test_cohort_varying_within_unit():
    df = _panel()
    df.loc[df.index[0], "g"] = 4
    with pytest.raises(DataValueError, match=r"varies within units \[0\]"):
        event_study(df, "y", "i", "t", "g", se="analytic", reps=0)


def test_unbalanced_panel_drops_units_with_a_warning():
    df = _panel().drop(index=[2])
    with pytest.warns(DidWarning, match="1 of 10 units"):
        r = event_study(df, "y", "i", "t", "g", se="analytic", reps=0)
    assert r.nobs == 9


def test_options_are_checked():
    df = _panel()
    with pytest.raises(SpecificationError, match="'cs', 'twfe'|'twfe', 'cs'"):
        event_study(df, "y", "i", "t", "g", estimator="did2s")
    with pytest.raises(SpecificationError, match="method="):
        event_study(df, "y", "i", "t", "g", method="aipw")
    with pytest.raises(SpecificationError, match="control="):
        event_study(df, "y", "i", "t", "g", control="nevertreated")
    with pytest.raises(SpecificationError, match="not in the data"):
        event_study(df, "y", "i", "t", "cohort")
    with pytest.raises(SpecificationError, match="treat= and post="):
        did(df, "y", treat="g")


def test_cohort_not_a_period_and_non_numeric():
    df = _panel()
    df["g"] = df["g"].astype(float)
    df.loc[df["g"] == 3, "g"] = 3.5
    with pytest.raises(DataValueError, match=r"\[3.5\].*not periods"):
        event_study(df, "y", "i", "t", "g", se="analytic", reps=0)
    df["g"] = df["g"].astype(object)
    df.loc[0, "g"] = "2016年"
    with pytest.raises(DataValueError, match=r"rows \[0\]"):
        event_study(df, "y", "i", "t", "g", se="analytic", reps=0)


def test_mid_year_rules():
    t = pd.DataFrame({"r": ["天津", "宁夏", "重庆", "广东"],
                      "d": ["2010-01-01", "2010-09-15", "2012-07-01", "2012-07-02"]})
    half = cohorts(t, region="r", date="d")
    assert half["cohort"].tolist() == [2010, 2011, 2012, 2013]
    assert half["region_code"].tolist() == ["120000", "640000", "500000", "440000"]
    assert cohorts(t, region="r", date="d", mid_year="same")["cohort"].tolist() == [2010, 2010, 2012, 2012]
    assert cohorts(t, region="r", date="d", mid_year="next")["cohort"].tolist() == [2010, 2011, 2013, 2013]
    bad = pd.DataFrame({"r": ["天津"], "d": ["soon"]})
    with pytest.raises(DataValueError, match="years or dates"):
        cohorts(bad, region="r", date="d")
    dup = pd.DataFrame({"r": ["天津", "Tianjin"], "d": [2010, 2011]})
    with pytest.raises(DataValueError, match="more than once"):
        cohorts(dup, region="r", date="d")


def test_cohorts_merge_by_region_code_for_names_and_codes():
    panel = dp.datasets.province_panel()
    timing = panel.drop_duplicates("region_code")[["region_en", "integration_year"]]
    out = cohorts(timing, region="region_en", date="integration_year", data=panel, on="region")
    assert (out["cohort"] == out["integration_year"]).all()


def test_simple_aggregate_tidy_has_the_overall_row():
    import disparity as dp

    p = dp.datasets.province_panel()
    cs = dp.event_study(p, "benefit_gap", "region_code", "year", "integration_year", estimator="cs",
                        control="notyet", se="analytic")
    agg = cs.aggregate("simple")
    t = agg.tidy()
    assert list(t["term"]) == ["ATT"]
    assert t["att"].item() == agg.value and t["std_error"].item() == agg.std_error


def test_twfe_event_study_without_never_treated_uses_a_second_reference_period():
    import disparity as dp

    p = dp.datasets.province_panel()  # every province integrates by 2019: no never-treated units
    es = dp.event_study(p, "benefit_gap", "region_code", "year", "integration_year", estimator="twfe")
    t = es.att_gt()
    assert -1 not in set(t["event_time"]) and t["event_time"].min() == -8  # -9 became the second reference
    assert any("second reference period" in n for n in es.notes)
    # the late event times are biased towards zero relative to the true effects (heterogeneity)
    assert t.set_index("event_time")["att"].loc[0] < 0


def test_twfe_inference_is_reproducible_with_a_seed():
    import disparity as dp

    p = dp.datasets.province_panel()
    runs = [dp.event_study(p, "benefit_gap", "region_code", "year", "integration_year", estimator="twfe",
                           cluster="region_code", seed=7).att_gt() for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0], runs[1])
