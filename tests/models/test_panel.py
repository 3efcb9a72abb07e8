"""dp.panel and dp.hausman against plm (wage_panel) and linearmodels; the demeaning algorithm."""

import json
from pathlib import Path

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
from tests._assert import assert_terms_close

from .conftest import r_series

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
        ("plm_fe", F4, {"vcov": "cluster", "ssc": "plm"}, "se_cluster"),
        ("plm_fe_twoways", F3, {"effects": "twoway"}, "se"),
        ("plm_fe_twoways", F3, {"effects": "twoway", "vcov": "cluster", "ssc": "plm"}, "se_cluster"),
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
    assert_terms_close(res.params, r_series(rref[key]), R_CLOSED_FORM_TOL)
    assert_terms_close(res.std_errors, r_series(rref[key], se_key), R_CLOSED_FORM_TOL)


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
    assert_terms_close(res.params, lm.params, WRAPPER_TOL)
    # linearmodels counts every absorbed effect in (N-1)/(N-K); Stata/reghdfe (ssc="stata") counts
    # the time effects and the constant but not the entity effects nested in the entity clusters.
    n, k, n_e, n_t = res.nobs, 3, res.stats["n_entities"], res.stats["n_periods"]
    ours = res.std_errors * np.sqrt((n - k - n_t) / (n - 1))
    theirs = lm.std_errors * np.sqrt((n - k - n_e - n_t + 1) / (n - 1))
    assert_terms_close(ours, theirs, 1e-8)


def test_driscoll_kraay_wraps_linearmodels(wp):
    res = dp.panel(F4, wp, entity="nr", time="year", vcov="driscoll-kraay")
    lm = PanelOLS.from_formula(F4 + " + EntityEffects", wp.set_index(["nr", "year"])).fit(
        cov_type="kernel"
    )
    assert_terms_close(res.std_errors, lm.std_errors, WRAPPER_TOL)


def test_repeated_entity_time_pair_is_rejected(wp):
    bad = pd.concat([wp, wp.iloc[[5, 9]]])
    with pytest.raises(
        DataValueError, match=r"Entity/time pairs occur more than once.*\(13, 1985\)"
    ):
        dp.panel(F4, bad, entity="nr", time="year")


def test_time_invariant_regressor_in_fe_is_dropped_with_a_note(wp):
    # black is time-invariant: it is wiped out by the entity effects (Stata and plm drop it).
    res = dp.panel("lwage ~ exper + black", wp, entity="nr", time="year")
    assert list(res.params.index) == ["exper"]
    assert res.stats["dropped"] == ("black",)
    assert any("Dropped 'black'" in n and "time-invariant" in n for n in res.summary().notes)
    ref = dp.panel("lwage ~ exper", wp, entity="nr", time="year")
    assert_terms_close(res.params, ref.params, 0)
    assert_terms_close(res.std_errors, ref.std_errors, 0)
    with pytest.raises(dp.errors.SpecificationError, match="Every regressor"):
        dp.panel("lwage ~ black + hisp", wp, entity="nr", time="year")


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
    assert_terms_close(res.std_errors, analytic.std_errors, 0)
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
    assert_terms_close(fe.params, ols.params[["expersq", "union"]], 1e-9)
    # Same draws; the small-sample factor cancels in bootstrap t ratios, so p-values coincide.
    assert_terms_close(fe.pvalues, ols.pvalues[["expersq", "union"]], 1e-12)
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
    assert_terms_close(cl.params, fe.params, 0)
    ref = dp.panel(F4, wp, entity="nr", time="year", vcov="cluster")
    assert_terms_close(cl.std_errors, ref.std_errors, 0)


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


# --- Stata (xtreg/regress output stored by linearmodels), pyfixest and the ssc presets -------------

STATA = Path(__file__).resolve().parents[1] / "reference" / "models" / "stata"
# Stata printed b and t with 12 significant digits (estout %13.12g): each carries <= 5e-12 relative
# rounding, so SE = b/t agrees to ~1e-11; 1e-8 leaves room for nothing but rounding.
STATA_TOL = 1e-8
# pyfixest and our within estimator use different demeaning algorithms (both converge to ~1e-13).
PYFIXEST_TOL = 1e-10
STATA_PANEL_MODELS = {"between": "be", "fixed_effect": "fe", "random_effect": "re", "pooled": "pooled"}


@pytest.fixture(scope="module")
def stata_panel() -> tuple[dict, pd.DataFrame]:
    runs = json.loads((STATA / "stata_panel.json").read_text())["runs"]
    return runs, pd.read_csv(STATA / "panel_simulated.csv")


def _stata_cases() -> list[str]:
    runs = json.loads((STATA / "stata_panel.json").read_text())["runs"]
    return sorted(k for k in runs if "-wls-" not in k)  # `xtreg, be wls` has no counterpart


@pytest.mark.reference
@pytest.mark.parametrize("key", _stata_cases())
def test_panel_against_stata(stata_panel, key):
    runs, d = stata_panel
    run = runs[key]
    model, vce, weighted, miss = key.split("-")
    m = STATA_PANEL_MODELS[model]
    formula = f"y{miss} ~ " + " + ".join(f"x{i}{miss}" for i in range(1, 6))
    # xtreg's vce(robust) is clustered by panel; regress's is HC1.
    vcov = {"conventional": "iid", "robust": "HC1" if m == "pooled" else "cluster"}.get(vce, vce)
    kw = {"weights": "w"} if weighted == "weighted" else {}
    res = dp.panel(formula, d, entity="firm", time="time", model=m, vcov=vcov, **kw)

    def stata_name(term: str) -> str:
        return "_cons" if term == "Intercept" else term

    b = pd.Series({t: run["b"][stata_name(t)] for t in res.params.index})
    se = pd.Series({t: run["b"][stata_name(t)] / run["t"][stata_name(t)] for t in res.params.index})
    assert_terms_close(res.params, b, STATA_TOL)
    assert_terms_close(res.std_errors, se, STATA_TOL)
    assert res.nobs == run["stats"]["N"]  # observations, also for the between estimator
    if run["stats"]["N_g"] is not None:
        assert res.stats["n_entities"] == run["stats"]["N_g"]
    if m == "re":
        for ours, theirs in [("sigma_u", "sigma_u"), ("sigma_e", "sigma_e"), ("rho", "rho")]:
            assert res.stats[ours] == pytest.approx(run["stats"][theirs], rel=STATA_TOL)


def test_random_effects_theta_is_the_swamy_arora_weight(stata_panel):
    _, d = stata_panel
    res = dp.panel("y ~ x1 + x2", d, entity="firm", time="time", model="re")
    s = res.stats
    T = 3  # balanced: 1,000 firms x 3 years, one theta
    theta = 1 - np.sqrt(s["sigma_e"] ** 2 / (T * s["sigma_u"] ** 2 + s["sigma_e"] ** 2))
    assert s["theta"] == pytest.approx(theta, rel=1e-12)
    assert s["theta_min"] == s["theta_max"] == s["theta"]


def _pyfixest(formula, data, vcov, ssc):
    import warnings

    import pyfixest as pf

    with warnings.catch_warnings():
        # pyfixest 0.60 calls a pandas API that pandas 3.1 deprecates; not ours to fix.
        warnings.simplefilter("ignore", getattr(pd.errors, "Pandas4Warning", DeprecationWarning))
        return pf.feols(formula, data=data, vcov=vcov, ssc=pf.ssc(**ssc))


PF_STATA = {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"}
PF_NONE = {"k_adj": False, "k_fixef": "nonnested", "G_adj": False, "G_df": "min"}


@pytest.mark.reference
@pytest.mark.parametrize("effects, fe", [("entity", "nr"), ("twoway", "nr + year")])
@pytest.mark.parametrize(
    "ssc, pf_ssc, vcov, pf_vcov",
    [
        (ssc, pf_ssc, vcov, pf_vcov)
        for ssc, pf_ssc in [("fixest", PF_STATA), ("stata", PF_STATA), ("none", PF_NONE)]
        for vcov, pf_vcov in [("cluster", {"CRV1": "nr"}), ("HC1", "hetero"), ("iid", "iid")]
        # pyfixest without k_adj divides the iid SSR by N-1, not N: checked separately below.
        if not (ssc == "none" and vcov == "iid")
    ],
)
def test_fe_presets_against_pyfixest(wp, ssc, pf_ssc, effects, fe, vcov, pf_vcov):
    res = dp.panel(F3, wp, entity="nr", time="year", effects=effects, vcov=vcov, ssc=ssc)
    ref = _pyfixest(F3 + " | " + fe, wp, pf_vcov, pf_ssc)
    assert_terms_close(res.params, ref.coef(), PYFIXEST_TOL)
    assert_terms_close(res.std_errors, ref.se(), PYFIXEST_TOL)


def test_fe_preset_none_iid_divides_by_n(wp):
    res = dp.panel(F3, wp, entity="nr", time="year", ssc="none")
    stata = dp.panel(F3, wp, entity="nr", time="year")
    n, k, a = res.nobs, 3, res.stats["absorbed"]
    assert_terms_close(res.std_errors, stata.std_errors * np.sqrt((n - k - a) / n), 1e-13)


def test_fe_weighted_pweights_cluster_by_entity(stata_panel):
    _, d = stata_panel
    aw = dp.panel("y ~ x1 + x2", d, entity="firm", time="time", weights="w", vcov="cluster")
    pw = dp.panel("y ~ x1 + x2", d, entity="firm", time="time", weights="w", weight_type="pweight")
    assert pw.spec.vcov == "cluster" and "pweights" in " ".join(pw.summary().notes)
    assert_terms_close(pw.std_errors, aw.std_errors, 1e-13)


def test_random_effects_with_one_row_per_entity_is_a_disparity_error(wp):
    one = wp.groupby("nr").head(1)
    with pytest.raises(DataValueError, match="one row"):
        dp.panel(F4, one, entity="nr", time="year", model="re")


def test_panel_vcov_outside_the_family_lists_what_it_accepts(wp):
    with pytest.raises(dp.errors.SpecificationError, match="not supported by panel.*'driscoll-kraay'"):
        dp.panel(F4, wp, entity="nr", time="year", vcov="HC3")
    with pytest.raises(dp.errors.SpecificationError, match="ssc="):
        dp.panel(F4, wp, entity="nr", time="year", ssc="sas")


@pytest.mark.reference
@pytest.mark.parametrize("vcov, pf_vcov", [("iid", "iid"), ("HC1", "hetero"), ("cluster", {"CRV1": "nr"})])
def test_panel_absorb_extra_effects_against_pyfixest(wp, vcov, pf_vcov):
    # worker and year effects plus an occupation effect; pyfixest: "| nr + year + occupation".
    res = dp.panel(F3, wp, entity="nr", time="year", effects="twoway", absorb="occupation",
                   vcov=vcov, ssc="fixest")
    import warnings

    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(F3 + " | nr + year + occupation", data=wp, vcov=pf_vcov,
                       fixef_rm="singleton", fixef_tol=1e-14)
    assert res.nobs == ref._N
    assert_terms_close(res.params, ref.coef(), PYFIXEST_TOL)
    assert_terms_close(res.std_errors, ref.se(), PYFIXEST_TOL)


def test_panel_absorb_needs_fixed_effects(wp):
    with pytest.raises(dp.errors.SpecificationError, match="model='fe' only"):
        dp.panel(F4, wp, entity="nr", time="year", model="re", absorb="occupation")


@pytest.mark.parametrize("model", ["fe", "re", "pooled", "be"])
def test_panel_bad_input_raises_disparity_errors(wp, model):
    with pytest.raises(dp.errors.SpecificationError, match="Cluster column 'nope'"):
        dp.panel(F4, wp, entity="nr", time="year", model=model, vcov="cluster", cluster="nope")
    with pytest.raises(DataValueError, match="constant"):
        dp.panel("c ~ exper", wp.assign(c=1.0), entity="nr", time="year", model=model)


def test_first_differences_need_two_periods(wp):
    with pytest.raises(DataValueError, match="two periods"):
        dp.panel(F4, wp[wp.year == 1980], entity="nr", time="year", model="fd")
