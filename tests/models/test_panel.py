"""dp.panel and dp.hausman against plm (wage_panel) and linearmodels; the demeaning algorithm."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linearmodels.datasets import wage_panel
from linearmodels.panel import PanelOLS

import disparity as dp
from disparity.errors import DataValueError
from disparity.models.panel import demean

from .conftest import r_series
from .test_ols import assert_close

# Closed-form panel estimators; plm output printed with 15 significant digits.
R_CLOSED_FORM_TOL = 1e-8
WRAPPER_TOL = 1e-10
F4 = "lwage ~ exper + expersq + union + married"
F3 = "lwage ~ expersq + union + married"


@pytest.fixture(scope="module")
def wp() -> pd.DataFrame:
    return wage_panel.load()


@pytest.mark.reference
@pytest.mark.parametrize(
    "key, formula, kwargs, se_key",
    [
        ("plm_fe", F4, {}, "se"),
        ("plm_fe", F4, {"vcov": "cluster"}, "se_cluster"),
        ("plm_fe_twoways", F3, {"effects": "twoway"}, "se"),
        ("plm_fe_twoways", F3, {"effects": "twoway", "vcov": "cluster"}, "se_cluster"),
        ("plm_re", F4, {"model": "re"}, "se"),
        ("plm_re", F4, {"model": "re", "vcov": "cluster"}, "se_cluster"),
        ("plm_pooled", F4, {"model": "pooled"}, "se"),
        ("plm_pooled", F4, {"model": "pooled", "vcov": "cluster"}, "se_cluster"),
        ("plm_be", F4, {"model": "be"}, "se"),
        ("plm_fd", F3, {"model": "fd"}, "se"),
    ],
)
def test_against_plm(wp, rref, key, formula, kwargs, se_key):
    res = dp.panel(formula, wp, entity="nr", time="year", **kwargs)
    assert_close(res.params, r_series(rref[key]), R_CLOSED_FORM_TOL)
    assert_close(res.std_errors, r_series(rref[key], se_key), R_CLOSED_FORM_TOL)


@pytest.mark.reference
def test_hausman_against_phtest(wp, rref):
    fe = dp.panel(F4, wp, entity="nr", time="year")
    re = dp.panel(F4, wp, entity="nr", time="year", model="re")
    h = dp.hausman(fe, re)
    assert h.statistic == pytest.approx(rref["phtest"]["statistic"], rel=R_CLOSED_FORM_TOL)
    assert h.df == rref["phtest"]["df"]
    assert h.p_value == pytest.approx(rref["phtest"]["p_value"], rel=1e-6)
    assert list(h.tidy().columns) == ["test", "statistic", "df", "p_value"]


def test_twoway_fe_matches_linearmodels_clustered(wp):
    res = dp.panel(F3, wp, entity="nr", time="year", effects="twoway", vcov="cluster")
    d = wp.set_index(["nr", "year"])
    lm = PanelOLS.from_formula(F3 + " + EntityEffects + TimeEffects", d).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True
    )
    assert_close(res.params, lm.params, WRAPPER_TOL)
    # linearmodels counts absorbed effects in the small-sample factor; we (like plm "sss" and
    # Stata) do not when effects are nested in clusters, so compare after undoing both factors.
    n, k, a = res.nobs, 3, res.stats["absorbed"]
    ours = res.std_errors * np.sqrt((n - k) / (n - 1))
    theirs = lm.std_errors * np.sqrt((n - k - a) / (n - 1))
    assert_close(ours, theirs, 1e-8)


def test_driscoll_kraay_wraps_linearmodels(wp):
    res = dp.panel(F4, wp, entity="nr", time="year", vcov="driscoll-kraay")
    lm = PanelOLS.from_formula(F4 + " + EntityEffects", wp.set_index(["nr", "year"])).fit(
        cov_type="kernel"
    )
    assert_close(res.std_errors, lm.std_errors, WRAPPER_TOL)


def test_repeated_entity_time_pair_is_rejected(wp):
    bad = pd.concat([wp, wp.iloc[[5, 9]]])
    with pytest.raises(
        DataValueError, match=r"Entity/time pairs occur more than once.*\(13, 1985\)"
    ):
        dp.panel(F4, bad, entity="nr", time="year")


def test_collinear_regressor_in_fe_is_named(wp):
    # black is time-invariant: it is wiped out by the entity effects.
    with pytest.raises(dp.errors.CollinearityError, match="black"):
        dp.panel("lwage ~ exper + black", wp, entity="nr", time="year")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_e=st.integers(2, 12),
    n_t=st.integers(2, 8),
    drop=st.floats(0, 0.4),
)
def test_demeaning_equals_dummy_regression(seed, n_e, n_t, drop):
    rng = np.random.default_rng(seed)
    e, t = np.meshgrid(np.arange(n_e), np.arange(n_t), indexing="ij")
    keep = rng.uniform(size=e.size) >= drop
    keep[:n_e] = True
    e, t = e.ravel()[keep], t.ravel()[keep]
    e = pd.factorize(e)[0]
    t = pd.factorize(t)[0]
    M = rng.normal(size=(len(e), 2))
    D = np.column_stack([np.eye(e.max() + 1)[e], np.eye(t.max() + 1)[t]])
    lsdv = M - D @ np.linalg.lstsq(D, M, rcond=None)[0]
    ours, _ = demean(M, [e, t])
    np.testing.assert_allclose(ours, lsdv, atol=1e-9)


def test_few_clusters_in_fe_panel_use_wild_bootstrap(wp):
    # 8 "provinces" of entities: too few clusters for analytic cluster-robust t-tests.
    d = wp.assign(prov=wp.nr % 8)
    res = dp.panel(
        F4, d, entity="nr", time="year", vcov="cluster", cluster="prov", reps=999, seed=3
    )
    assert res.glance()["inference"].iloc[0] == "wild"
    assert "wild cluster bootstrap" in " ".join(res.summary().notes)
    analytic = dp.panel(
        F4, d, entity="nr", time="year", vcov="cluster", cluster="prov", few_clusters="analytic"
    )
    assert_close(res.std_errors, analytic.std_errors, 0)
    assert res.glance()["inference"].iloc[0] != analytic.glance()["inference"].iloc[0]
    # Many clusters (545 workers): analytic inference stays.
    many = dp.panel(F4, wp, entity="nr", time="year", vcov="cluster")
    assert many.boot_pvalues is None


def test_fe_wild_bootstrap_matches_ols_with_dummies(wp):
    # Frisch-Waugh: bootstrapping the within regression equals bootstrapping OLS with entity dummies.
    sub = wp[wp.nr.isin(wp.nr.unique()[:40])].assign(prov=lambda x: x.nr % 6)
    fe = dp.panel(
        "lwage ~ expersq + union",
        sub,
        entity="nr",
        time="year",
        vcov="wild",
        cluster="prov",
        reps=999,
        seed=4,
    )
    ols = dp.ols(
        "lwage ~ expersq + union + C(nr)", sub, vcov="wild", cluster="prov", reps=999, seed=4
    )
    assert_close(fe.params, ols.params[["expersq", "union"]], 1e-9)
    # Same draws; the small-sample factor cancels in bootstrap t ratios, so p-values coincide.
    assert_close(fe.pvalues, ols.pvalues[["expersq", "union"]], 1e-12)
    np.testing.assert_allclose(
        fe.conf_int().to_numpy(), ols.conf_int().loc[["expersq", "union"]].to_numpy(), rtol=1e-6
    )


def test_lags_are_within_entity_and_respect_gaps(wp):
    d = wp.drop(index=wp.index[(wp.nr == 13) & (wp.year == 1982)])  # a gap for worker 13
    res = dp.panel("lwage ~ lag(union) + union + married", d, entity="nr", time="year", safe=True)
    # Each worker loses the first year, and worker 13 also 1983 (its lag year 1982 is missing).
    assert res.nobs == len(d) - d.nr.nunique() - 1
    manual = d.sort_values(["nr", "year"]).copy()
    prev = manual.groupby("nr")[["year", "union"]].shift(1)
    manual["lu"] = prev.union.where(prev.year == manual.year - 1)
    ref = dp.panel("lwage ~ lu + union + married", manual, entity="nr", time="year")
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-12)


def test_lag_outside_a_panel_is_refused(wp):
    with pytest.raises(dp.errors.SpecificationError, match="dp.panel"):
        dp.ols("lwage ~ lag(union)", wp)


def test_panel_with_vcov_returns_new_result(wp):
    fe = dp.panel(F4, wp, entity="nr", time="year")
    cl = fe.with_vcov("cluster")
    assert cl.spec.vcov == "cluster" and fe.spec.vcov == "iid"
    assert_close(cl.params, fe.params, 0)
    ref = dp.panel(F4, wp, entity="nr", time="year", vcov="cluster")
    assert_close(cl.std_errors, ref.std_errors, 0)


def test_effects_other_than_entity_need_fixed_effects(wp):
    with pytest.raises(dp.errors.SpecificationError, match="model='fe' only"):
        dp.panel(F4, wp, entity="nr", time="year", model="re", effects="twoway")


def test_hausman_warns_when_the_variance_difference_is_not_positive_definite():
    import disparity as dp

    p = dp.datasets.province_panel()
    fe = dp.panel("benefit_gap ~ gdp_pc + urbanisation", p, entity="region_code", time="year", model="fe")
    re_ = dp.panel("benefit_gap ~ gdp_pc + urbanisation", p, entity="region_code", time="year", model="re")
    with pytest.warns(dp.errors.DisparityWarning, match="Mundlak"):
        dp.hausman(fe, re_)
