"""dp.oaxaca with a dp.ReplicateDesign against R (tests/reference/survey/make_oaxaca_rep.R).

R ``oaxaca`` takes no weights, so the reference refits a weighted decomposition (checked there
against ``oaxaca::oaxaca`` on unit weights) on every replicate weight column with
``survey::withReplicates``; every component (overall and per regressor) is compared.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import SpecificationError

from .test_against_r import REF, TOL, TOL_ITER, _load, _rep

REFS = pd.read_csv(REF / "oaxaca_rep.csv", dtype={"estimate": str, "se": str})
# a component that is zero by construction (the unexplained part of the group whose intercept the
# pooled regression's dummy leaves as reference) has SE 0 in exact arithmetic; R reports ~1e-12
# (its replicate sums) and we ~1e-7 (a sum of covariance entries of size ~1e3, rounding 1e-16)
ATOL_ZERO = 1e-6

CASES = {
    "oaxaca_jk1": ("jk1", "api00 ~ ell + meals + mobility", {}),
    "oaxaca_boot": ("boot", "api00 ~ ell + meals + mobility", {}),
    "oaxaca_jkn": ("jkn", "api00 ~ ell + meals + mobility", {}),
    "oaxaca_na_jk1": ("jk1", "api00 ~ ell + acs_46", {}),
    "oaxaca_sub_jk1": ("jk1", "api00 ~ ell + meals", {"subpop": "sch_wide == 'Yes'"}),
    "oaxaca_neumark_mse_boot": ("boot", "api00 ~ ell + meals + mobility",
                                {"reference": "neumark", "mse": True}),
    "oaxaca_logit_jk1": ("jk1", "yes ~ ell + meals", {"model": "logit"}),
}


def _r_name(term: str) -> str:
    part, _, col = term.partition(":")
    col = "Intercept" if col == "(Intercept)" else col.replace(".", "_")
    return f"{part}:{col}" if col else part


def _fit(case: str, missing: str = "domain"):
    nm, formula, opts = CASES[case]
    d, des = _rep(nm)
    d = d.copy().assign(e=(d["stype"] == "E").astype(int), yes=(d["sch_wide"] == "Yes").astype(float))
    des = replace(des, mse=opts.get("mse", False), missing=missing)
    if "subpop" in opts:
        des = des.subset(opts["subpop"])
    # group A is e == 0, as R oaxaca (and the pooled dummy is e, its group.weight = -2)
    return dp.oaxaca(formula, d, by="e", group_a=0, design=des, model=opts.get("model", "linear"),
                     reference=opts.get("reference", "pooled"))


def _ours(r) -> pd.DataFrame:
    overall = r.tidy()[["term", "estimate", "std_error"]]
    det = r.detail()
    det = pd.DataFrame({"term": det["component"] + ":" + det["term"],
                        "estimate": det["estimate"], "std_error": det["std_error"]})
    return pd.concat([overall, det]).set_index("term")


@pytest.mark.parametrize("case", list(CASES))
def test_oaxaca_replicate_design_matches_r(case):
    r = _fit(case)
    want = REFS[REFS["case"] == case].assign(term=lambda t: t["term"].map(_r_name)).set_index("term")
    got = _ours(r)
    assert set(want.index) == set(got.index)
    got = got.loc[want.index]
    tol = TOL_ITER if "logit" in case else TOL
    est, se = want["estimate"].astype(float), want["se"].astype(float)
    zero = np.abs(est.to_numpy()) < 1e-9  # components that vanish by construction
    np.testing.assert_allclose(got["estimate"], est, rtol=tol, atol=1e-9)
    np.testing.assert_allclose(got["std_error"][~zero], se[~zero], rtol=tol)
    np.testing.assert_allclose(got["std_error"][zero], se[zero], atol=ATOL_ZERO)
    assert any("replicate weights" in note for note in r.spec.notes)


def test_oaxaca_replicate_missing_rules_agree():
    """Replicate estimates use the estimation rows only, so "domain" and "drop" coincide."""
    a = _fit("oaxaca_na_jk1").tidy()["std_error"].to_numpy()
    b = _fit("oaxaca_na_jk1", missing="drop").tidy()["std_error"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_oaxaca_design_alone_means_survey_and_bootstrap_is_refused():
    d, des = _rep("jk1")
    d = d.copy().assign(e=(d["stype"] == "E").astype(int))
    r = dp.oaxaca("api00 ~ ell", d, by="e", design=des)
    assert r.spec.vcov == "survey"
    with pytest.raises(SpecificationError, match="se='bootstrap' resamples rows"):
        dp.oaxaca("api00 ~ ell", d, by="e", design=des, se="bootstrap")
    with pytest.raises(SpecificationError, match="only used with vcov='survey'"):
        dp.oaxaca("api00 ~ ell", d, by="e", design=des, vcov="HC0")


def test_oaxaca_taylor_subpop_mean_equals_svy_mean_of_the_domain():
    """mean_a = x̄_A'β_A is group A's weighted mean of y, with the mean's influence function."""
    d = _load("apistrat.csv").assign(e=lambda t: (t["stype"] == "E").astype(int))
    des = dp.SurveyDesign(weights="pw", strata="stype", fpc="fpc").subset("sch_wide == 'Yes'")
    r = dp.oaxaca("api00 ~ ell + meals", d, by="e", design=des)
    m = dp.svy_mean(d, "api00", design=des.subset("e == 1"))
    np.testing.assert_allclose(r.mean_a.value, m.estimate, rtol=TOL)
    np.testing.assert_allclose(r.mean_a.std_error, m.std_error, rtol=TOL)
    full = dp.oaxaca("api00 ~ ell + meals", d.loc[d["sch_wide"] == "Yes"], by="e",
                     design=replace(des, subpop=None))
    assert not np.isclose(full.mean_a.std_error, r.mean_a.std_error, rtol=1e-6)
