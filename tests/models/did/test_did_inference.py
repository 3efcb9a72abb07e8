"""Inference and result objects: multiplier bootstrap, uniform bands, clustering, pre-trend tests."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from disparity.models.did import AggregateResult, did, event_study, psm_did

# The IQR-based bootstrap scale with 999 draws is within a few percent of the analytic one;
# 15 % leaves room for Monte Carlo error on every one of the 35 cells.
BOOT_REL_TOL = 0.15


@pytest.fixture(scope="module")
def boot(sim):
    return event_study(sim, "y", "id", "t", "g", reps=999, seed=3)


@pytest.fixture(scope="module")
def analytic(sim):
    return event_study(sim, "y", "id", "t", "g", se="analytic", reps=0)


def test_bootstrap_se_close_to_analytic(boot, analytic):
    ratio = boot.att_gt()["std_error"] / analytic.att_gt()["std_error"]
    assert ((ratio - 1).abs() < BOOT_REL_TOL).all()
    np.testing.assert_array_equal(boot.att_gt()["att"], analytic.att_gt()["att"])


def test_uniform_band_is_wider_than_pointwise(boot):
    t = boot.att_gt()
    assert 1.96 < boot.crit < 4.0
    assert (t["band_high"] - t["band_low"] > t["conf_high"] - t["conf_low"]).all()
    d = boot.aggregate("dynamic")
    assert isinstance(d, AggregateResult)
    assert 1.96 < d.crit < 4.0
    assert (d.tidy()["band_high"] > d.tidy()["conf_high"]).all()


def test_no_bootstrap_means_no_band(analytic):
    assert np.isnan(analytic.crit)
    assert analytic.att_gt()["band_low"].isna().all()


def test_seed_reproducible_and_local(sim):
    a = event_study(sim, "y", "id", "t", "g", reps=199, seed=5).att_gt()
    np.random.seed(0)
    b = event_study(sim, "y", "id", "t", "g", reps=199, seed=5).att_gt()
    c = event_study(sim, "y", "id", "t", "g", reps=199, seed=6).att_gt()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["std_error"], c["std_error"])


def test_clustered_bootstrap_uses_cluster_means(sim):
    r = event_study(sim, "y", "id", "t", "g", cluster="cl", se="analytic", reps=0)
    plain = event_study(sim, "y", "id", "t", "g", se="analytic", reps=0)
    assert not np.allclose(r.att_gt()["std_error"], plain.att_gt()["std_error"])
    # with one unit per cluster the clustered SE is the unclustered one
    one = sim.assign(cl2=sim["id"] * 7)
    r1 = event_study(one, "y", "id", "t", "g", cluster="cl2", se="analytic", reps=0)
    np.testing.assert_allclose(r1.att_gt()["std_error"], plain.att_gt()["std_error"], rtol=1e-12)


def test_pretrend_rejects_without_covariates_not_with(sim):
    # adoption and trends both depend on x1 in the simulation: unconditional parallel trends fail
    unc = event_study(sim, "y", "id", "t", "g", se="analytic", reps=0).pretrend_test()
    dr = event_study(sim, "y", "id", "t", "g", covariates=["x1", "x2"], se="analytic", reps=0).pretrend_test()
    assert unc.p_value < 0.001
    assert dr.p_value > 0.05
    assert unc.df == 15
    tw = event_study(sim, "y", "id", "t", "g", estimator="twfe").pretrend_test()
    assert tw.terms == ("-6", "-5", "-4", "-3", "-2")


def test_results_are_frozen_and_aggregate_returns_new_objects(boot):
    with pytest.raises(dataclasses.FrozenInstanceError):
        boot.crit = 1.0  # type: ignore[misc]
    a1 = boot.aggregate("group")
    a2 = boot.aggregate("group")
    assert a1 is not a2
    assert list(a1.tidy().columns[:3]) == ["cohort", "att", "std_error"]
    assert float(a1) == a1.value
    lo, hi = a1.conf_int(0.9)
    assert lo < a1.value < hi


def test_plots_are_figures(boot, sim):
    assert isinstance(boot.plot(), Figure)
    assert isinstance(boot.aggregate("calendar").plot(), Figure)
    tw = event_study(sim, "y", "id", "t", "g", estimator="twfe")
    fig = tw.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert "<table>" in boot._repr_html_()


def test_twfe_did_wild_bootstrap(province):
    r = did(province, "benefit_gap", unit="region_code", time="year", cohort="cohort", vcov="wild", reps=199, seed=1)
    c = did(province, "benefit_gap", unit="region_code", time="year", cohort="cohort")
    assert r.att == pytest.approx(c.att, abs=1e-10)
    assert r.model.spec.vcov == "wild"
    assert r.model.boot_pvalues is not None
    lo, hi = r.conf_int()
    assert lo < r.att < hi


def test_psm_did_removes_selection_on_trends():
    """Units with high x are more likely treated and trend up faster; weighting on x restores the ATT."""
    rng = np.random.default_rng(8)
    n = 4000
    x = rng.normal(size=n)
    d = rng.binomial(1, 1 / (1 + np.exp(-(x - 0.5))))
    rows = []
    for post in (0, 1):
        y = 1 + 0.5 * x + post * (1.0 + 1.5 * x) + 2.0 * d * post + rng.normal(size=n)
        rows.append(pd.DataFrame({"i": np.arange(n), "post": post, "d": d, "x": x, "y": y}))
    df = pd.concat(rows, ignore_index=True)
    naive = did(df, "y", treat="d", post="post", cluster="i")
    assert naive.att - 2.0 > 5 * naive.std_error
    res = psm_did(df, "y", treat="d", post="post", covariates=["x"], unit="i")
    # ATT among the treated: 2 (constant effect); odds weighting balances x, so trends are matched
    assert abs(res.att - 2.0) < 4 * res.did.std_error
    b = res.balance.set_index("covariate")
    assert abs(b.loc["x", "smd_before"]) > 0.5
    assert abs(b.loc["x", "smd_after"]) < 0.1  # ML logit odds weights balance approximately, not exactly
    m = psm_did(df, "y", treat="d", post="post", covariates=["x"], unit="i", method="matching", caliper=0.05)
    assert abs(m.att - 2.0) < 0.3
    assert abs(m.balance.set_index("covariate").loc["x", "smd_after"]) < 0.1


@settings(max_examples=25, deadline=None)
@given(shift=st.floats(-100, 100), scale=st.floats(0.1, 10), seed=st.integers(0, 10_000))
def test_cs_invariances(sim, shift, scale, seed):
    """ATT(g,t) ignores unit- and period-level shifts and scales with the outcome."""
    rng = np.random.default_rng(seed)
    base = event_study(sim, "y", "id", "t", "g", control="notyet", se="analytic", reps=0).att_gt()
    ua = rng.normal(size=sim["id"].max() + 1) * 10
    tb = rng.normal(size=sim["t"].max() + 1) * 10
    y2 = scale * sim["y"] + shift + ua[sim["id"]] + tb[sim["t"]]
    got = event_study(sim.assign(y=y2), "y", "id", "t", "g", control="notyet", se="analytic", reps=0).att_gt()
    np.testing.assert_allclose(got["att"], scale * base["att"], rtol=1e-9, atol=1e-9 * (1 + abs(shift)) * 100)
    np.testing.assert_allclose(got["std_error"], scale * base["std_error"], rtol=1e-9)


def test_twfe_event_study_inference_comes_from_the_regression(province):
    r = event_study(province, "benefit_gap", "region_code", "year", "cohort", estimator="twfe", bins=(-4, 4))
    t = r.att_gt()
    terms = list(r.spec.terms)
    np.testing.assert_allclose(t["p_value"], r.model.pvalues[terms], rtol=1e-12)
    np.testing.assert_allclose(t["conf_low"], r.model.conf_int().loc[terms, "conf_low"], rtol=1e-12)
    assert r.spec.df == 30  # t with G - 1 degrees of freedom: 31 provinces


@pytest.mark.slow
def test_twfe_event_study_wild_bootstrap(province):
    r = event_study(province, "benefit_gap", "region_code", "year", "cohort", estimator="twfe", bins=(-4, 4),
                    vcov="wild", reps=199, seed=2)
    t = r.att_gt()
    terms = list(r.spec.terms)
    np.testing.assert_allclose(t["p_value"], r.model.boot_pvalues[terms])
    assert (t["conf_low"] < t["att"]).all() and (t["att"] < t["conf_high"]).all()


def test_pretrend_small_sample_reference_when_units_are_few(sim):
    from scipy import stats

    import disparity as dp

    # the bundled panel: 29 provinces' influence functions, 28 independent pre-period restrictions
    p = dp.datasets.province_panel()
    r = dp.event_study(p, "benefit_gap", "region_code", "year", "integration_year",
                       estimator="cs", control="notyet", se="analytic", reps=0)
    t = r.pretrend_test()
    n = r.inf.shape[0]
    assert (t.n_units, t.df) == (n, 28) and n == 29
    assert t.p_value < 1e-12  # chi-squared(28) takes the inflated statistic at face value
    f = (n - 28) / (28 * n) * t.statistic  # Hotelling: F = (n-p)/(p n) W ~ F(p, n-p)
    assert t.p_value_f == pytest.approx(stats.f.sf(f, 28, n - 28), rel=1e-12)
    assert t.p_value_f > 0.05
    assert "Hotelling" in t.note
    assert t.tidy()[["n_units", "p_value_f"]].iloc[0].tolist() == [n, t.p_value_f]
    # many units per restriction: no note, and the two references nearly agree
    big = event_study(sim, "y", "id", "t", "g", covariates=["x1", "x2"], se="analytic",
                      reps=0).pretrend_test()
    assert big.note is None
    assert big.n_units > 10 * big.df
    assert big.p_value < big.p_value_f < big.p_value + 0.05  # F: the heavier tail, a little
