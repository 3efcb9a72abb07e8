"""dp.logit / dp.probit: statsmodels parity, R survey::svyglm and sandwich::vcovCL references, AMEs."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import disparity as dp
from disparity.errors import DataValueError, SpecificationError
from tests._assert import assert_terms_close

from .conftest import r_series

# R's glm stops at a relative deviance change of 1e-8 and reports IRLS weights from the previous
# iterate, so its coefficients and SEs differ from the exact optimum in the 6th-8th digit.
ITERATIVE_TOL = 1e-4
# Two converged implementations of the same ML problem.
WRAPPER_TOL = 1e-8
DESIGN = dp.SurveyDesign(weights="w", strata="stratum", psu="county")


@pytest.mark.parametrize("fn, smfn", [(dp.logit, smf.logit), (dp.probit, smf.probit)])
def test_statsmodels_parity(sample, fn, smfn):
    res = fn("yb ~ x1 + x2", sample)
    sm = smfn("yb ~ x1 + x2", sample).fit(disp=0, tol=1e-14, maxiter=200)
    assert_terms_close(res.params, sm.params, WRAPPER_TOL)
    if fn is dp.logit:  # observed = expected information for the canonical link
        assert_terms_close(res.std_errors, sm.bse, 1e-7)
    assert res.stats["loglik"] == pytest.approx(sm.llf, rel=1e-12)
    me = res.marginal_effects("x1").tidy().iloc[0]
    sme = sm.get_margeff().summary_frame().loc["x1"]
    assert me.estimate == pytest.approx(sme["dy/dx"], rel=1e-7)
    if fn is dp.logit:
        assert me.std_error == pytest.approx(sme["Std. Err."], rel=1e-5)


@pytest.mark.reference
@pytest.mark.parametrize(
    "key, fn, kwargs",
    [
        ("svy_logit", dp.logit, dict(vcov="survey", design=DESIGN)),
        ("svy_probit", dp.probit, dict(vcov="survey", design=DESIGN, information="eim")),
        ("logit_pw_cl", dp.logit, dict(weights="w", vcov="cluster", cluster="county")),
        ("logit_iid", dp.logit, dict()),
    ],
)
def test_against_r(sample, rref, key, fn, kwargs):
    res = fn("yb ~ x1 + x2", sample, **kwargs)
    assert_terms_close(res.params, r_series(rref[key]), ITERATIVE_TOL)
    assert_terms_close(res.std_errors, r_series(rref[key], "se"), ITERATIVE_TOL)


def test_pweights_without_vcov_are_robust(sample):
    res = dp.logit("yb ~ x1 + x2", sample, weights="w")
    assert res.spec.vcov == "HC0"
    assert res.with_vcov("HC1").std_errors.iloc[0] > res.std_errors.iloc[0]


def test_non_binary_outcome_is_rejected(sample):
    with pytest.raises(DataValueError, match=r"binary outcome coded 0/1.*\[2\.0, 3\.0, 4\.0\]"):
        dp.logit("yo ~ x1", sample)


def test_separation_is_reported():
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1, 0, 1], "x": [1.0, 2, 3, 4, 5, 6, 2.5, 4.5]})
    with pytest.raises(DataValueError, match="separation"):
        dp.logit("y ~ x", df)


def test_wild_is_not_offered_for_logit(sample):
    with pytest.raises(SpecificationError, match="'iid'"):
        dp.logit("yb ~ x1", sample, vcov="wild", cluster="county")


def test_weighted_ame_uses_the_weights(sample):
    res = dp.logit("yb ~ x1 + x2", sample, weights="w")
    me = res.marginal_effects("x1").tidy().estimate.iloc[0]
    b = res.params
    mu = 1 / (1 + np.exp(-(b["Intercept"] + b["x1"] * sample.x1 + b["x2"] * sample.x2)))
    assert me == pytest.approx(
        float(np.average(mu * (1 - mu) * b["x1"], weights=sample.w)), rel=1e-7
    )


def test_few_clusters_are_flagged_for_logit(sample):
    res = dp.logit("yb ~ x1 + x2", sample, vcov="cluster", cluster="county")
    assert any("Only 12 clusters" in n for n in res.summary().notes)


def test_labelled_survey_outcomes_are_used_as_coded():
    """read_survey gives ordered Categoricals; binary and ordered models take them directly."""
    import disparity as dp

    df = dp.datasets.chifeng_survey()
    coded = df.assign(support=df["support"].cat.codes.astype(float),
                      satisfaction=df["satisfaction"].cat.codes.astype(float).where(df["satisfaction"].notna()))
    a = dp.logit("support ~ dev + benefit_gap", df)
    b = dp.logit("support ~ dev + benefit_gap", coded)
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=1e-12)
    c = dp.ordered("satisfaction ~ dev + benefit_gap", df)
    e = dp.ordered("satisfaction ~ dev + benefit_gap", coded)
    np.testing.assert_allclose(c.params.to_numpy(), e.params.to_numpy(), rtol=0, atol=1e-12)
    # cut points are named by the category labels, not the codes
    cats = [str(x) for x in df["satisfaction"].cat.categories]
    assert list(c.params.index[-(len(cats) - 1):]) == [f"{a}|{b}" for a, b in zip(cats[:-1], cats[1:], strict=True)]
    assert list(e.params.index[-(len(cats) - 1):])[0] == "0|1"
    with pytest.raises(dp.errors.SpecificationError, match="exactly two"):
        dp.probit("health ~ dev", df)
