"""Every public measure and model that takes ``design=``: both design kinds × missing-data rule ×
subpopulation (issue 19 items 1 and 2), as properties that fail if a rule is not honoured.

* "drop" equals dropping the incomplete rows before forming the design;
* a subpopulation gives the estimates on its rows, and (Taylor, stratified with fpc) SEs of the
  whole design, not of the design formed on the subset;
* under "drop" a subpopulation is still a domain (on complete data "drop" and "domain" agree).

The values themselves are checked against R in test_against_r.py, test_oaxaca_replicate.py and
test_model_replicate.py.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import disparity as dp

from .test_against_r import _load, _rep

SUB = "mobility < 20"
RTOL = 1e-9  # the same computation on the same rows, summed in another order / refitted


def _frame(d: pd.DataFrame) -> pd.DataFrame:
    d = d.copy()
    d["acs_na"] = d["acs_46"]  # has missing values
    d["e"] = (d["stype"] == "E").astype(int)
    d["yes"] = (d["sch_wide"] == "Yes").astype(float)
    d["nb"] = (d["enroll"] // 100).astype(float)
    d["nb2"] = (d["enroll"] // 50).astype(float)  # dispersion away from 0 in every domain here
    d["zc"] = np.where(d["api00"] > 750, 0, d["enroll"] // 100).astype(float)
    d["spend"] = np.where(d["api00"] > 750, 0.0, d["enroll"].astype(float))
    d["lvl"] = pd.cut(d["api00"], [0, 600, 700, 1000], labels=False)
    d["api_na"] = d["api00"].where(d["acs_na"].notna())  # continuous, missing where acs_na is
    d["wide_na"] = d["sch_wide"].where(d["acs_na"].notna())
    return d


def _m(r):
    return np.atleast_1d(np.asarray(r.value, float)), np.atleast_1d(np.asarray(r.std_error, float))


def _model(r):
    return r.params.to_numpy(), r.std_errors.to_numpy()


def _tab(t, est="estimate", se="std_error"):
    return t[est].to_numpy(float), t[se].to_numpy(float)


CALLS = {
    "gap": lambda d, s: _m(dp.gap(d, "acs_na", "e", design=s)),
    "gini": lambda d, s: _m(dp.gini(d, "acs_na", design=s)),
    "ge": lambda d, s: _m(dp.ge(d, "acs_na", alpha=2, design=s)),
    "theil": lambda d, s: _m(dp.theil(d, "acs_na", design=s)),
    "mld": lambda d, s: _m(dp.mld(d, "acs_na", design=s)),
    "atkinson": lambda d, s: _m(dp.atkinson(d, "acs_na", design=s)),
    "cv": lambda d, s: _m(dp.cv(d, "acs_na", design=s)),
    "concentration_index": lambda d, s: _m(dp.concentration_index(d, "acs_na", "api00", design=s)),
    "kakwani": lambda d, s: _m(dp.kakwani(d, "acs_na", "api00", design=s)),
    "ci_decomposition": lambda d, s: _m(dp.ci_decomposition(d, "api00", "api99", ["ell", "acs_na"], design=s)),
    "horizontal_inequity": lambda d, s: _m(dp.horizontal_inequity(d, "api00", "api99", ["acs_na"], design=s)),
    "benefit_incidence": lambda d, s: _tab(dp.benefit_incidence(d, "acs_na", "api00", groups=3, design=s).tidy()),
    "catastrophic": lambda d, s: _m(dp.catastrophic(d, "acs_na", "api00", threshold=0.04, design=s)),
    "impoverishment": lambda d, s: _m(dp.impoverishment(d, "api00", "acs_na", poverty_line=650.0, design=s)),
    "lorenz": lambda d, s: _tab(dp.lorenz(d, "acs_na", design=s, points=4).tidy().iloc[1:-1], "ordinate"),
    "concentration_curve": lambda d, s: _tab(dp.concentration_curve(d, "acs_na", "api00", design=s,
                                                                    points=4).tidy().iloc[1:-1], "ordinate"),
    "svy_mean": lambda d, s: _m(dp.svy_mean(d, "acs_na", design=s)),
    "svy_total": lambda d, s: _m(dp.svy_total(d, "acs_na", design=s)),
    "svy_ratio": lambda d, s: _m(dp.svy_ratio(d, "acs_na", "enroll", design=s)),
    "svy_quantile": lambda d, s: _tab(dp.svy_quantile(d, "api_na", [0.25, 0.5], design=s).table),
    "svy_tab": lambda d, s: _tab(dp.svy_tab(d, "wide_na", design=s).table),
    "dominance_test": lambda d, s: _tab(dp.dominance_test(d, "acs_na", "api00", design=s).table,
                                        "difference"),
    "ols": lambda d, s: _model(dp.ols("api00 ~ ell + acs_na", d, design=s)),
    "logit": lambda d, s: _model(dp.logit("yes ~ ell + acs_na", d, design=s)),
    "probit": lambda d, s: _model(dp.probit("yes ~ ell + acs_na", d, design=s)),
    "ordered": lambda d, s: _model(dp.ordered("lvl ~ ell + acs_na", d, design=s)),
    "glm": lambda d, s: _model(dp.glm("api00 ~ ell + acs_na", d, family="gamma", link="log", design=s)),
    "poisson": lambda d, s: _model(dp.poisson("nb ~ ell + acs_na", d, design=s)),
    "negbin": lambda d, s: _model(dp.negbin("nb2 ~ ell + acs_na", d, design=s)),
    "zip": lambda d, s: _model(dp.zip("zc ~ ell + acs_na", d, inflate="~ meals", design=s)),
    "hurdle": lambda d, s: _model(dp.hurdle("zc ~ ell + acs_na", d, zero="~ meals", design=s)),
    "twopart": lambda d, s: _model(dp.twopart("spend ~ ell + acs_na", d, design=s)),
    "oaxaca": lambda d, s: _tab(dp.oaxaca("api00 ~ ell + acs_na", d, by="e", design=s).tidy().iloc[:3]),
}


def _designs():
    strat = _frame(_load("apistrat.csv"))
    rep, rdes = _rep("jk1")
    return {"taylor": (strat, dp.SurveyDesign(weights="pw", strata="stype", fpc="fpc")),
            "replicate": (_frame(rep), rdes)}


DESIGNS = _designs()


@pytest.mark.parametrize("kind", list(DESIGNS))
@pytest.mark.parametrize("name", list(CALLS))
def test_missing_rules_and_subpopulations(name, kind):
    f = CALLS[name]
    d, des = DESIGNS[kind]
    est, se = f(d, des)
    assert np.isfinite(est).all() and np.isfinite(se).all() and (se > 0).any()
    # "drop" = the incomplete rows removed before the design is formed
    complete = d.dropna(subset=["acs_na"])
    e1, s1 = f(d, replace(des, missing="drop"))
    e2, s2 = f(complete, des)
    np.testing.assert_allclose(e1, e2, rtol=RTOL)
    np.testing.assert_allclose(s1, s2, rtol=RTOL)
    # a subpopulation: the estimates on its rows, the whole design's standard errors
    e3, s3 = f(d, des.subset(SUB))
    inside = d.loc[d.eval(SUB)]
    e4, s4 = f(inside, des)
    np.testing.assert_allclose(e3, e4, rtol=RTOL)
    if kind == "taylor":  # every row is a PSU of a stratum with fpc: n_h are the whole sample's
        assert not np.allclose(s3, s4, rtol=1e-6)
    else:  # replicate weights of the rows outside weigh nothing: the same replicate estimates
        np.testing.assert_allclose(s3, s4, rtol=1e-8)
    # under "drop" a subpopulation is still a domain: on complete rows the two rules agree
    e5, s5 = f(complete, replace(des, missing="drop").subset(SUB))
    e6, s6 = f(complete, des.subset(SUB))
    np.testing.assert_allclose(e5, e6, rtol=RTOL)
    np.testing.assert_allclose(s5, s6, rtol=RTOL)
