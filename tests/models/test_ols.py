"""dp.ols: parity with statsmodels, agreement with R (sandwich, survey), inference API, bad input."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import disparity as dp
from disparity.errors import DataValueError, SpecificationError
from tests._assert import assert_terms_close

from .conftest import r_series

# Same closed-form estimator computed two ways: agreement to rounding.
WRAPPER_TOL = 1e-10
# R output printed with 15 significant digits; closed-form estimators.
R_CLOSED_FORM_TOL = 1e-8
FORMULA = "y ~ x1 * log_gdp + x2"


@pytest.mark.parametrize("kind", ["iid", "HC0", "HC1", "HC2", "HC3"])
def test_statsmodels_parity(sample, kind):
    res = dp.ols(FORMULA, sample, vcov=kind)
    sm = smf.ols(FORMULA, sample).fit(cov_type="nonrobust" if kind == "iid" else kind, use_t=True)
    assert_terms_close(res.params, sm.params, WRAPPER_TOL)
    assert_terms_close(res.std_errors, sm.bse, WRAPPER_TOL)
    assert_terms_close(res.pvalues, sm.pvalues, 1e-8)


def test_statsmodels_parity_cluster_and_wls(sample):
    res = dp.ols(FORMULA, sample, vcov="cluster", cluster="county", few_clusters="analytic")
    sm = smf.ols(FORMULA, sample).fit(cov_type="cluster", cov_kwds={"groups": sample.county})
    assert_terms_close(res.std_errors, sm.bse, WRAPPER_TOL)
    res = dp.ols(FORMULA, sample, weights="w", weight_type="aweight")
    sm = smf.wls(FORMULA, sample, weights=sample.w).fit()
    assert_terms_close(res.params, sm.params, WRAPPER_TOL)
    assert_terms_close(res.std_errors, sm.bse, WRAPPER_TOL)


@pytest.mark.reference
@pytest.mark.parametrize(
    "key, kwargs",
    [
        ("ols_hc1", dict(vcov="HC1")),
        ("ols_hc3", dict(vcov="HC3")),
        ("ols_cl1", dict(vcov="cluster", cluster="county", few_clusters="analytic")),
        ("ols_cl2", dict(vcov="cluster", cluster=["county", "hh"])),
        ("wls_cl1", dict(vcov="cluster", cluster="county", weights="w", few_clusters="analytic")),
        (
            "svy_gaussian",
            dict(
                vcov="survey", design=dp.SurveyDesign(weights="w", strata="stratum", psu="county")
            ),
        ),
    ],
)
def test_against_r(sample, rref, key, kwargs):
    res = dp.ols(FORMULA, sample, **kwargs)
    assert_terms_close(res.params, r_series(rref[key]), R_CLOSED_FORM_TOL)
    assert_terms_close(res.std_errors, r_series(rref[key], "se"), R_CLOSED_FORM_TOL)


@pytest.mark.reference
def test_survey_with_finite_population_correction_against_r(sample, rref):
    d = sample.assign(npsu=10)
    design = dp.SurveyDesign(weights="w", strata="stratum", psu="county", fpc="npsu")
    res = dp.ols(FORMULA, d, vcov="survey", design=design)
    assert_terms_close(res.std_errors, r_series(rref["svy_gaussian_fpc"], "se"), R_CLOSED_FORM_TOL)
    # The correction shrinks every variance by (1 - 3/10).
    plain = dp.ols(
        FORMULA,
        d,
        vcov="survey",
        design=dp.SurveyDesign(weights="w", strata="stratum", psu="county"),
    )
    assert_terms_close(res.std_errors**2, 0.7 * plain.std_errors**2, 1e-12)


def test_fweights_equal_replicated_rows(sample):
    small = sample.head(60).copy()
    small["f"] = (np.arange(60) % 3) + 1
    res = dp.ols("y ~ x1 + x2", small, weights="f", weight_type="fweight", vcov="HC1")
    expanded = small.loc[small.index.repeat(small.f)]
    ref = dp.ols("y ~ x1 + x2", expanded, vcov="HC1")
    assert res.nobs == len(expanded)
    assert_terms_close(res.params, ref.params, 1e-10)
    assert_terms_close(res.std_errors, ref.std_errors, 1e-10)
    ref_iid = dp.ols("y ~ x1 + x2", expanded)
    assert_terms_close(
        dp.ols("y ~ x1 + x2", small, weights="f", weight_type="fweight").std_errors,
        ref_iid.std_errors,
        1e-10,
    )


def test_pweights_iid_becomes_hc1_and_says_so(sample):
    res = dp.ols(FORMULA, sample, weights="w")
    assert res.spec.vcov == "HC1"
    assert any("HC1" in n for n in res.summary().notes)


def test_results_are_frozen_and_with_vcov_returns_new(sample):
    res = dp.ols(FORMULA, sample)
    with pytest.raises(AttributeError):
        res.nobs = 3  # type: ignore[misc]
    hc = res.with_vcov("HC1")
    assert hc is not res and hc.spec.vcov == "HC1" and res.spec.vcov == "iid"
    assert_terms_close(hc.params, res.params, 0)
    assert not np.allclose(hc.std_errors, res.std_errors)


def test_tidy_columns_and_conf_int(sample):
    res = dp.ols(FORMULA, sample, vcov="HC1")
    t = res.tidy()
    assert list(t.columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    sm = smf.ols(FORMULA, sample).fit(cov_type="HC1", use_t=True)
    ci = sm.conf_int(alpha=0.1)
    np.testing.assert_allclose(res.conf_int(0.9).loc[ci.index].to_numpy(), ci.to_numpy(), rtol=1e-9)
    assert "<table>" in res._repr_html_()
    assert res.glance()["nobs"].iloc[0] == 400


def test_missing_rows_are_dropped_and_counted(sample):
    d = sample.copy()
    d.loc[[3, 7, 11], "x2"] = np.nan
    res = dp.ols(FORMULA, d)
    assert res.nobs == 397 and res.spec.n_dropped == 3


def test_few_clusters_carry_wild_bootstrap_pvalues(sample):
    res = dp.ols(FORMULA, sample, vcov="cluster", cluster="county", seed=7, reps=999)
    assert res.glance()["inference"].iloc[0] == "wild"
    assert "wild cluster bootstrap" in " ".join(res.summary().notes)
    analytic = res.with_vcov("cluster", few_clusters="analytic")
    assert_terms_close(res.std_errors, analytic.std_errors, 0)
    assert not np.allclose(res.pvalues, analytic.pvalues)
    # Same seed, same draws: reproducible.
    again = dp.ols(FORMULA, sample, vcov="cluster", cluster="county", seed=7, reps=999)
    assert_terms_close(again.pvalues + 1, res.pvalues + 1, 0)


def test_marginal_effects_across_moderator_match_closed_form(sample):
    res = dp.ols(FORMULA, sample, vcov="HC1")
    at = [8.5, 9.5, 10.5]
    me = res.marginal_effects("x1", at={"log_gdp": at}).tidy()
    b, V = res.params, res.cov
    for row, z in zip(me.itertuples(), at, strict=True):
        g = np.zeros(len(b))
        g[list(b.index).index("x1")] = 1
        g[list(b.index).index("x1:log_gdp")] = z
        assert row.estimate == pytest.approx(b["x1"] + z * b["x1:log_gdp"], rel=1e-7)
        assert row.std_error == pytest.approx(float(np.sqrt(g @ V.to_numpy() @ g)), rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(vcov="cluster", cluster="one"), DataValueError, "single cluster"),
        (dict(vcov="cluster", cluster="county_na"), DataValueError, "missing values"),
        (dict(vcov="robust"), SpecificationError, "'HC1'"),
        (dict(vcov="cluster"), SpecificationError, "needs cluster"),
        (dict(weights="neg"), DataValueError, "negative"),
        (dict(vcov="survey"), SpecificationError, "SurveyDesign"),
    ],
)
def test_bad_input(sample, kwargs, exc, match):
    d = sample.copy()
    d["one"] = 1
    d["county_na"] = d.county.where(d.index % 50 != 0)
    d["neg"] = d.w - 1
    with pytest.raises(exc, match=match):
        dp.ols(FORMULA, d, **kwargs)


def test_unknown_column_and_bad_formula(sample):
    with pytest.raises(SpecificationError, match="'nope'"):
        dp.ols("y ~ nope", sample)
    with pytest.raises(SpecificationError, match="~"):
        dp.ols("y + x1", sample)


def test_log_of_nonpositive_names_rows(sample):
    with pytest.raises(DataValueError, match="rows"):
        dp.ols("y ~ log(x1)", sample)


def test_survey_single_psu_stratum_is_reported(sample):
    d = sample.copy()
    d.loc[d.stratum == 4, "county"] = 12  # stratum 4 now has one PSU
    design = dp.SurveyDesign(weights="w", strata="stratum", psu="county")
    with pytest.raises(DataValueError, match="single PSU"):
        dp.ols(FORMULA, d, vcov="survey", design=design)


def test_two_way_clustering_with_few_clusters_is_flagged(sample):
    res = dp.ols(FORMULA, sample, vcov="cluster", cluster=["county", "hh"])
    assert any("interpret p-values with caution" in n for n in res.summary().notes)


def test_design_alone_means_survey_variance(sample):
    """Issue 19: design= is enough (no vcov='survey'); an explicit other vcov is honoured."""
    design = dp.SurveyDesign(weights="w", strata="stratum", psu="county")
    alone = dp.ols(FORMULA, sample, design=design)
    spelled = dp.ols(FORMULA, sample, vcov="survey", design=design)
    assert alone.spec.vcov == "survey"
    np.testing.assert_array_equal(alone.std_errors, spelled.std_errors)
    assert any("design= given" in n for n in alone.summary().notes)
    assert not any("design= given" in n for n in spelled.summary().notes)
    hc1 = dp.ols(FORMULA, sample, vcov="HC1", design=design)
    ref = dp.ols(FORMULA, sample, vcov="HC1", weights="w")
    assert hc1.spec.vcov == "HC1"
    np.testing.assert_array_equal(hc1.std_errors, ref.std_errors)
    assert not np.allclose(hc1.std_errors, alone.std_errors)
    d = sample.assign(hi=(sample["y"] > sample["y"].median()).astype(int))
    for fit in (dp.logit, dp.probit):
        a = fit("hi ~ x1 + x2", d, design=design)
        b = fit("hi ~ x1 + x2", d, vcov="survey", design=design)
        assert a.spec.vcov == "survey" and any("design= given" in n for n in a.summary().notes)
        np.testing.assert_array_equal(a.std_errors, b.std_errors)


def test_survey_with_vcov_requires_matching_weights(sample):
    design = dp.SurveyDesign(weights="w", strata="stratum", psu="county")
    unweighted = dp.ols(FORMULA, sample)
    with pytest.raises(SpecificationError, match="refit with vcov='survey'"):
        unweighted.with_vcov("survey", design=design)
    weighted = dp.ols(FORMULA, sample, weights="w")
    svy = weighted.with_vcov("survey", design=design)
    ref = dp.ols(FORMULA, sample, vcov="survey", design=design)
    assert_terms_close(svy.std_errors, ref.std_errors, 1e-12)


# --- small-sample conventions (ssc=) against pyfixest; the constant outcome --------------------------


def _pyfixest(formula, data, vcov, **ssc):
    import warnings

    import pyfixest as pf

    with warnings.catch_warnings():
        # pyfixest 0.60 calls a pandas API that pandas 3.1 deprecates; not ours to fix.
        warnings.simplefilter("ignore", getattr(pd.errors, "Pandas4Warning", DeprecationWarning))
        return pf.feols(formula, data=data, vcov=vcov, ssc=pf.ssc(**ssc))


@pytest.mark.reference
@pytest.mark.parametrize(
    "ssc, pf_ssc",
    [
        ("fixest", dict(k_adj=True, G_adj=True, G_df="min")),
        ("stata", dict(k_adj=True, G_adj=True, G_df="conventional")),
        ("plm", dict(k_adj=True, G_adj=True, G_df="conventional")),
        ("none", dict(k_adj=False, G_adj=False, G_df="conventional")),
    ],
)
@pytest.mark.parametrize(
    "vcov, cluster, pf_vcov",
    [
        ("HC1", None, "hetero"),
        ("cluster", "county", {"CRV1": "county"}),
        ("cluster", ["county", "hh"], {"CRV1": "county + hh"}),
    ],
)
def test_ols_presets_against_pyfixest(sample, ssc, pf_ssc, vcov, cluster, pf_vcov):
    kw = {"cluster": cluster, "few_clusters": "analytic"} if cluster else {}
    res = dp.ols("y ~ x1 + x2 + log_gdp", sample, vcov=vcov, ssc=ssc, **kw)
    ref = _pyfixest("y ~ x1 + x2 + log_gdp", sample, pf_vcov, **pf_ssc)
    assert_terms_close(res.std_errors, ref.se(), WRAPPER_TOL)
    assert res.spec.options["ssc"] == ssc


def test_ssc_none_iid_divides_by_n(sample):
    res = dp.ols(FORMULA, sample, ssc="none")
    ref = dp.ols(FORMULA, sample)
    n, k = res.nobs, len(res.params)
    assert_terms_close(res.std_errors, ref.std_errors * np.sqrt((n - k) / n), 1e-13)
    assert_terms_close(res.with_vcov("iid", ssc="stata").std_errors, ref.std_errors, 0)


def test_unknown_ssc_and_foreign_vcov_list_the_choices(sample):
    with pytest.raises(SpecificationError, match="ssc='sas'.*'stata', 'fixest', 'plm', 'none'"):
        dp.ols(FORMULA, sample, ssc="sas")
    with pytest.raises(SpecificationError, match="not supported by linear models.*'HC3'"):
        dp.ols(FORMULA, sample, vcov="driscoll-kraay")


def test_constant_outcome_is_refused(sample):
    with pytest.raises(DataValueError, match="outcome 'c' is constant"):
        dp.ols("c ~ x1", sample.assign(c=3.0))


# --- absorb= (any number of fixed effects) against pyfixest ----------------------------------------

# Both sides demean by alternating projections to ~1e-13 (pyfixest with fixef_tol=1e-14).
ABSORB_TOL = 1e-10


@pytest.fixture(scope="module")
def fe_data() -> pd.DataFrame:
    rng = np.random.default_rng(20)
    n = 3000
    d = pd.DataFrame(
        {
            "county": rng.integers(0, 60, n),
            "year": rng.integers(0, 12, n),
            "industry": rng.integers(0, 25, n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "w": rng.uniform(0.5, 2, n),
        }
    )
    d["y"] = (
        d.x1 - 0.5 * d.x2 + 0.1 * d.county + 0.3 * np.sin(d.year) + 0.05 * d.industry
        + rng.normal(size=n) * (1 + 0.5 * np.abs(d.x1))
    )
    # two singletons: a county seen once, and an industry seen once
    extra = pd.DataFrame(
        {"county": [999, 5], "year": [3, 4], "industry": [7, 998], "x1": [0.1, 0.2],
         "x2": [0.3, 0.4], "w": [1.0, 1.0], "y": [0.5, 0.6]}
    )
    return pd.concat([d, extra], ignore_index=True)


@pytest.mark.reference
@pytest.mark.parametrize("absorb", [["county"], ["county", "year"], ["county", "year", "industry"]])
@pytest.mark.parametrize(
    "vcov, cluster, pf_vcov, pf_ssc",
    [
        ("iid", None, "iid", {}),
        ("HC1", None, "hetero", {}),
        ("HC0", None, "hetero", {"k_adj": False}),
        ("cluster", "county", {"CRV1": "county"}, {}),
        ("cluster", "year", {"CRV1": "year"}, {}),
        ("cluster", ["county", "industry"], {"CRV1": "county + industry"}, {}),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_absorb_against_pyfixest(fe_data, absorb, vcov, cluster, pf_vcov, pf_ssc, weighted):
    kw = {"cluster": cluster, "few_clusters": "analytic"} if cluster else {}
    if weighted:
        kw.update(weights="w", weight_type="aweight")
    res = dp.ols("y ~ x1 + x2", fe_data, absorb=absorb, vcov=vcov, ssc="fixest", **kw)
    import warnings

    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's pandas deprecations and singleton notice
        ref = pf.feols(
            "y ~ x1 + x2 | " + " + ".join(absorb),
            data=fe_data,
            vcov=pf_vcov,
            weights="w" if weighted else None,
            fixef_rm="singleton",
            fixef_tol=1e-14,
            ssc=pf.ssc(**{"k_adj": True, "G_adj": True, "G_df": "min", **pf_ssc}),
        )
    assert res.nobs == ref._N
    assert_terms_close(res.params, ref.coef(), ABSORB_TOL)
    assert_terms_close(res.std_errors, ref.se(), ABSORB_TOL)


def test_absorb_drops_and_reports_singletons(fe_data):
    res = dp.ols("y ~ x1 + x2", fe_data, absorb=["county", "year", "industry"])
    assert res.stats["n_singletons"] == 2
    assert res.nobs == len(fe_data) - 2
    assert any("2 singleton" in n for n in res.summary().notes)
    assert "Intercept" not in res.params.index


def test_absorb_one_effect_equals_dummies(fe_data):
    d = fe_data.iloc[:-2]
    res = dp.ols("y ~ x1 + x2", d, absorb="county", vcov="HC1")
    lsdv = dp.ols("y ~ x1 + x2 + C(county)", d, vcov="HC1")
    assert_terms_close(res.params, lsdv.params[["x1", "x2"]], 1e-10)
    assert_terms_close(res.std_errors, lsdv.std_errors[["x1", "x2"]], 1e-10)
    assert res.stats["r2"] == pytest.approx(lsdv.stats["r2"], rel=1e-10)


def test_absorb_bad_input(fe_data):
    with pytest.raises(SpecificationError, match="not in the data"):
        dp.ols("y ~ x1", fe_data, absorb=["nope"])
    with pytest.raises(DataValueError, match="missing values"):
        dp.ols("y ~ x1", fe_data.assign(county=fe_data.county.where(fe_data.index > 3)), absorb="county")
    with pytest.raises(SpecificationError, match="collinear with the absorbed"):
        dp.ols("y ~ c", fe_data.assign(c=fe_data.county * 2.0), absorb="county")


def test_absorb_refuses_what_it_cannot_do(fe_data):
    with pytest.raises(SpecificationError, match="absorb=3"):
        dp.ols("y ~ x1", fe_data, absorb=3)
    with pytest.raises(SpecificationError, match="HC3"):
        dp.ols("y ~ x1", fe_data, absorb="county", vcov="HC3")
    res = dp.ols("y ~ x1", fe_data, absorb="county", vcov="HC1")
    with pytest.raises(SpecificationError, match="HC2"):
        res.with_vcov("HC2")
