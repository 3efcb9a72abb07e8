"""Bad input raises DisparityError subclasses that say what is wrong and what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import (
    CollinearityError,
    DataValueError,
    DisparityError,
    SpecificationError,
)


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 20
    return pd.DataFrame({
        "y": rng.lognormal(size=n), "x": rng.normal(size=n), "w": rng.uniform(1, 2, n),
        "g": ["a", "b"] * (n // 2), "h": (rng.random(n) < 0.4).astype(float),
        "st": [1] * 10 + [2] * 10, "psu": list(range(20)),
    })


def test_missing_column_lists_available(df):
    with pytest.raises(SpecificationError, match=r"\['income'\] not found.*available columns"):
        dp.gini(df, "income")


def test_non_numeric_column(df):
    with pytest.raises(DataValueError, match="'g' is not numeric.*to_numeric"):
        dp.gini(df, "g")


def test_log_needs_positive_values_and_names_rows(df):
    bad = df.copy()
    bad.loc[[3, 7], "y"] = [0.0, -1.0]
    with pytest.raises(DataValueError, match=r"strictly positive.*2 row\(s\) \(index 3, 7\)"):
        dp.mld(bad, "y")
    with pytest.raises(DataValueError, match=r"strictly positive values of 'y'"):
        dp.atkinson(bad, "y", epsilon=1)
    with pytest.raises(DataValueError, match=r"non-negative values of 'y'.*index 7"):
        dp.gini(bad, "y")


def test_catastrophic_denominator_must_be_positive(df):
    bad = df.assign(den=df["y"])
    bad.loc[5, "den"] = 0.0
    with pytest.raises(DataValueError, match=r"'den'.*index 5"):
        dp.catastrophic(bad, "y", "den", threshold=0.1)


def test_zero_total_weight(df):
    with pytest.raises(DataValueError, match="sum to zero"):
        dp.gini(df.assign(w=0.0), "y", weights="w")


def test_negative_weights_named(df):
    bad = df.copy()
    bad.loc[2, "w"] = -1
    with pytest.raises(DataValueError, match=r"negative.*index 2"):
        dp.gini(bad, "y", weights="w")


def test_fweights_must_be_integers(df):
    with pytest.raises(DataValueError, match="whole numbers"):
        dp.gini(df, "y", weights="w", weight_type="fweight")


def test_all_missing(df):
    with pytest.raises(DataValueError, match="every row has a missing value"):
        dp.gini(df.assign(y=np.nan), "y")


def test_missing_rows_are_dropped_and_counted(df):
    d = df.copy()
    d.loc[[0, 1], "y"] = np.nan
    r = dp.gini(d, "y")
    assert r.nobs == 18
    assert r.value == pytest.approx(dp.gini(df.iloc[2:], "y").value, abs=1e-15)


def test_rank_without_variation(df):
    with pytest.raises(DataValueError, match="'x' has no variation"):
        dp.concentration_index(df.assign(x=1.0), "h", "x")


@pytest.mark.parametrize("kind", ["wagstaff", "erreygers"])
def test_bounded_kinds_need_bounds(df, kind):
    with pytest.raises(SpecificationError, match=r"needs the outcome's bounds.*bounds=\(0, 1\)"):
        dp.concentration_index(df, "h", "x", kind=kind)


def test_values_outside_bounds(df):
    with pytest.raises(DataValueError, match=r"outside bounds \(0, 0.5\)"):
        dp.concentration_index(df, "h", "x", kind="erreygers", bounds=(0, 0.5))


def test_unknown_options_list_allowed_values(df):
    with pytest.raises(SpecificationError, match="'analytic', 'delta', 'bootstrap', 'none'"):
        dp.gini(df, "y", se="jackknife")
    with pytest.raises(SpecificationError, match="'standard', 'generalized'"):
        dp.concentration_index(df, "h", "x", kind="absolute")
    with pytest.raises(SpecificationError, match="'pweight', 'aweight', 'fweight'"):
        dp.gini(df, "y", weights="w", weight_type="iweight")


def test_bad_parameters(df):
    with pytest.raises(SpecificationError, match="epsilon"):
        dp.atkinson(df, "y", epsilon=-1)
    with pytest.raises(SpecificationError, match="threshold"):
        dp.catastrophic(df, "y", "y", threshold=10)
    with pytest.raises(SpecificationError, match="reference='c' is not a level"):
        dp.gap(df, "y", "g", reference="c")
    with pytest.raises(SpecificationError, match="reps"):
        dp.gini(df, "y", se="bootstrap", reps=1)


def test_design_conflicts(df):
    des = dp.SurveyDesign(weights="w", strata="st", psu="psu")
    with pytest.raises(SpecificationError, match="cluster"):
        dp.gini(df, "y", design=des, cluster="psu")
    with pytest.raises(SpecificationError, match="conflicts"):
        dp.gini(df, "y", design=des, weights="x")


def test_single_psu_stratum(df):
    d = df.assign(psu=[1] * 10 + list(range(10)))
    des = dp.SurveyDesign(weights="w", strata="st", psu="psu")
    with pytest.raises(DataValueError, match="single PSU"):
        dp.gini(d, "y", design=des)


def test_collinear_covariates(df):
    with pytest.raises(CollinearityError, match="collinear"):
        dp.ci_decomposition(df.assign(x2=2 * df["x"]), "h", "y", ["x", "x2"])


def test_float_of_grouped_result(df):
    r = dp.gini(df, "y", by="g")
    with pytest.raises(SpecificationError, match="2 groups"):
        float(r)


def test_gap_missing_level_in_a_by_group(df):
    d = df.assign(yr=[2010] * 10 + [2011] * 10)
    d.loc[d["yr"] == 2011, "g"] = "a"
    with pytest.raises(DataValueError, match=r"\['b'\].*no observations"):
        dp.gap(d, "y", "g", by="yr")


def test_not_a_dataframe():
    with pytest.raises(SpecificationError, match="DataFrame"):
        dp.gini([1, 2, 3], "y")  # type: ignore[arg-type]


def test_all_errors_are_disparity_errors(df):
    with pytest.raises(DisparityError):
        dp.theil(df, "nope")


def test_cluster_se_in_a_by_group_counts_only_its_own_clusters():
    """A by-group's clustered SE equals the SE computed on that group alone (regression test: codes of
    clusters absent from the group once entered as zero-total clusters)."""
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({"y": rng.lognormal(size=n), "g": np.repeat(["a", "b"], n // 2),
                       "c": np.concatenate([rng.integers(0, 5, n // 2), rng.integers(3, 9, n // 2)])})
    t = dp.gini(df, "y", by="g", cluster="c").tidy().set_index("g")
    for grp in ("a", "b"):
        alone = dp.gini(df[df.g == grp], "y", cluster="c")
        assert t.loc[grp, "std_error"] == pytest.approx(alone.std_error, rel=1e-12)
