"""The result objects: frozen, tidy, confidence intervals, components, by-groups, bootstrap."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import disparity as dp

# bootstrap SEs converge to the linearisation SE at rate 1/sqrt(reps); 2000 reps: ~3% noise
BOOTSTRAP_REL_TOL = 0.12


@pytest.fixture
def df(sample) -> pd.DataFrame:
    return sample


def test_result_is_frozen_and_exposes_contract(df):
    r = dp.gini(df, "inc", weights="w")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.measure = "x"  # type: ignore[misc]
    assert isinstance(r.value, float)
    assert float(r) == r.value
    lo, hi = r.conf_int(0.90)
    z = stats.norm.ppf(0.95)
    assert (lo, hi) == pytest.approx((r.value - z * r.std_error, r.value + z * r.std_error))
    tidy = r.tidy()
    assert list(tidy.columns) == ["measure", "component", "estimate", "std_error", "conf_low",
                                  "conf_high", "nobs"]
    assert "<table" in r._repr_html_()
    assert "Std. Error" not in r._repr_html_()


def test_by_returns_one_row_per_group(df):
    r = dp.theil(df, "inc", "urban", weights="w", by="region")
    assert isinstance(r.value, pd.Series)
    assert list(r.value.index) == ["central", "east", "west"]
    for reg, val in r.value.items():
        single = dp.theil(df[df["region"] == reg], "inc", "urban", weights="w")
        assert val == pytest.approx(single.value, abs=1e-14)
        assert r.std_error[reg] == pytest.approx(single.std_error, rel=1e-12)
    assert r.tidy().shape[0] == 3 * 5
    assert set(r.details["region"]) == {"central", "east", "west"}
    ci = r.conf_int()
    assert list(ci.columns) == ["conf_low", "conf_high"]


def test_components_are_new_results(df):
    r = dp.theil(df, "inc", "urban", weights="w")
    within = r.within
    assert isinstance(within, dp.MeasureResult)
    assert within.value + r.between.value == pytest.approx(r.value, abs=1e-14)
    assert r.component("between").value == r.between.value
    with pytest.raises(AttributeError):
        _ = r.nonexistent
    with pytest.raises(dp.DisparityError):
        r.component("nope")


def test_by_with_two_columns(df):
    r = dp.gini(df, "oop", by=["region", "st"], weights="w")
    assert isinstance(r.value.index, pd.MultiIndex)
    assert r.value.shape[0] == df.groupby(["region", "st"]).ngroups
    sub = df[(df["region"] == "east") & (df["st"] == 2)]
    assert r.value[("east", 2)] == pytest.approx(dp.gini(sub, "oop", weights="w").value)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["iid", "cluster", "design"])
def test_bootstrap_agrees_with_linearisation(df, how):
    kw = {
        "iid": {"weights": "w"},
        "cluster": {"weights": "w", "cluster": "psu"},
        "design": {"design": dp.SurveyDesign(weights="w", strata="st", psu="psu")},
    }[how]
    a = dp.gini(df, "inc", **kw)
    b = dp.gini(df, "inc", se="bootstrap", reps=2000, seed=7, **kw)
    assert b.value == a.value
    assert b.std_error == pytest.approx(a.std_error, rel=BOOTSTRAP_REL_TOL)
    assert b.se_method == "bootstrap"


def test_bootstrap_is_reproducible_and_leaves_global_state(df):
    state = np.random.get_state()[1].copy()
    a = dp.theil(df, "inc", "region", weights="w", se="bootstrap", reps=50, seed=3)
    b = dp.theil(df, "inc", "region", weights="w", se="bootstrap", reps=50, seed=3)
    c = dp.theil(df, "inc", "region", weights="w", se="bootstrap", reps=50, seed=4)
    assert a.table.equals(b.table)
    assert not a.table["std_error"].equals(c.table["std_error"])
    assert (np.random.get_state()[1] == state).all()
    gen = dp.gini(df, "inc", se="bootstrap", reps=30, seed=np.random.default_rng(1))
    assert gen.std_error > 0


def test_bootstrap_by_domain_with_design(df):
    des = dp.SurveyDesign(weights="w", strata="st", psu="psu")
    r = dp.gini(df, "inc", design=des, by="urban", se="bootstrap", reps=200, seed=1)
    a = dp.gini(df, "inc", design=des, by="urban")
    assert (r.std_error / a.std_error).between(0.6, 1.5).all()


def test_se_none(df):
    r = dp.gini(df, "inc", se="none")
    assert np.isnan(r.std_error)
    assert r.se_method == "none"


def test_aweights_are_normalised_but_do_not_change_estimates(df):
    a = dp.gini(df, "inc", weights="w", weight_type="aweight")
    p = dp.gini(df, "inc", weights="w")
    assert a.value == pytest.approx(p.value, abs=1e-15)
    assert a.std_error == pytest.approx(p.std_error, rel=1e-12)


def test_dominance_test(df):
    res = dp.dominance_test(df, "oop", "inc", weights="w")
    assert res.table.shape[0] == 19
    assert res.conclusion in {"dominates", "dominated", "crossing", "non-dominance"}
    # incomes' Lorenz curve lies below the diagonal everywhere
    assert dp.dominance_test(df, "inc").conclusion == "dominated"
    # a benefit given only to the poorest half is concentrated among the poor
    d = df.assign(b=(df["inc"] < df["inc"].median()).astype(float) * 100)
    assert dp.dominance_test(d, "b", "inc").conclusion == "dominates"


def test_decomposition_when_a_group_is_absent_from_a_by_group(df):
    d = df[~((df["urban"] == 1) & (df["region"] == "west"))]
    r = dp.theil(d, "inc", "region", weights="w", by="urban")
    t = r.table.set_index(["urban", "component"])
    alone = dp.theil(d[d["urban"] == 1], "inc", "region", weights="w").table.set_index("component")
    for comp in ("total", "within", "between", "region=east"):
        assert t.loc[(1, comp), "estimate"] == pytest.approx(alone.loc[comp, "estimate"])
        assert t.loc[(1, comp), "std_error"] == pytest.approx(alone.loc[comp, "std_error"])
    assert np.isnan(t.loc[(1, "region=west"), "estimate"])


def test_dominance_test_design_and_curves_with_design(df):
    des = dp.SurveyDesign(weights="w", strata="st", psu="psu")
    a = dp.dominance_test(df, "inc", design=des)
    b = dp.dominance_test(df, "inc", weights="w")
    np.testing.assert_allclose(a.table["ordinate"], b.table["ordinate"])
    assert not np.allclose(a.table["std_error"], b.table["std_error"])
    c1 = dp.lorenz(df, "inc", design=des, points=10).points
    c2 = dp.lorenz(df, "inc", weights="w", points=10).points
    pd.testing.assert_frame_equal(c1[["p", "ordinate"]], c2[["p", "ordinate"]])
    assert (c1["std_error"].iloc[1:-1] != c2["std_error"].iloc[1:-1]).all()
    cc = dp.concentration_curve(df, "h", "inc", design=des, by="urban", points=4)
    assert cc.points.shape[0] == 2 * 5
    assert cc.tidy()["curve"].eq("concentration_curve").all()


def test_unweighted_gini_fast_path_equals_unit_weights(df):
    d = df.assign(inc=df["inc_r"], one=1.0)  # with ties
    a = dp.gini(d, "inc")
    b = dp.gini(d, "inc", weights="one")
    assert a.value == pytest.approx(b.value, abs=1e-15)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-13)


@pytest.mark.slow
@pytest.mark.parametrize("rank", [None, "inc"])
def test_curve_ordinate_se_agrees_with_bootstrap(df, rank):
    # the quantile-estimation term matters: without it the SEs of the Lorenz ordinates here are
    # about 2.4 times too large, far outside this tolerance
    rng = np.random.default_rng(11)
    y = "inc" if rank is None else "oop"

    def curve(d):
        if rank is None:
            return dp.lorenz(d, y, weights="w", points=5).points
        return dp.concentration_curve(d, y, rank, weights="w", points=5).points

    analytic = curve(df)["std_error"].to_numpy()[1:-1]
    draws = np.array([
        curve(df.iloc[rng.integers(0, len(df), len(df))])["ordinate"].to_numpy()[1:-1]
        for _ in range(600)
    ])
    np.testing.assert_allclose(draws.std(axis=0, ddof=1), analytic, rtol=0.2)


def test_single_observation_group_gets_nan_se_with_warning(df):
    d = pd.concat([df, df.iloc[[0]].assign(region="north")], ignore_index=True)
    with pytest.warns(dp.errors.DisparityWarning, match="single observation"):
        r = dp.gini(d, "inc", weights="w", by="region")
    assert np.isnan(r.std_error["north"])
    assert r.std_error.drop("north").notna().all()
