"""The one sandwich (issue 18 item 1): every covariance from scores and bread, one survey variance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError
from disparity.models import covariance as cv
from disparity.models._meat import IndexScores, cluster_sums, dense_scores, score_gram

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
# block-wise and n x k formulas of the same sums differ only by the order of additions
BLOCK_RTOL = 1e-12


@pytest.fixture(scope="module")
def strat():
    d = pd.read_csv(REF / "apistrat.csv").rename(columns=lambda c: c.replace(".", "_"))
    d["yes"] = (d["sch_wide"] == "Yes") * 1.0
    d["cnt"] = (d["api00"] // 100).astype(float)
    return d, dp.SurveyDesign(weights="pw", strata="stype", fpc="fpc")


def _message(call) -> str:
    with pytest.raises(DataValueError, match="varies within strata") as info:
        call()
    return str(info.value)


def test_fpc_varying_within_a_stratum_raises_the_same_error_in_measures_and_every_model(strat):
    d, des = strat
    bad = d.assign(fpc=d["fpc"] + np.arange(len(d)) % 2)
    calls = {
        "gini": lambda: dp.gini(bad, "api00", design=des),
        "ols": lambda: dp.ols("api00 ~ ell", bad, vcov="survey", design=des),
        "logit": lambda: dp.logit("yes ~ ell", bad, vcov="survey", design=des),
        "probit": lambda: dp.probit("yes ~ ell", bad, design=des),
        "ordered": lambda: dp.ordered("cnt ~ ell", bad, design=des),
        "poisson": lambda: dp.poisson("cnt ~ ell", bad, design=des),
    }
    messages = {name: _message(call).removeprefix(f"{name}: ") for name, call in calls.items()}
    assert len(set(messages.values())) == 1, messages  # one implementation, one message


def test_index_scores_meats_equal_the_n_by_k_formulas(monkeypatch):
    from disparity.models import _meat

    monkeypatch.setattr(_meat, "MEAT_BLOCK", 97)
    rng = np.random.default_rng(5)
    n = 1000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    b = np.array([0.2, -0.5, 0.8])
    y = (rng.random(n) < 0.4) * 1.0
    w = rng.uniform(0.5, 2, n)
    codes = rng.integers(0, 37, n).astype(np.int32)
    for link in ("identity", "logit", "probit"):
        sc = IndexScores(X, y=y, params=b, link=link, weights=w)
        S = dense_scores(sc)
        np.testing.assert_allclose(score_gram(sc), S.T @ S, rtol=BLOCK_RTOL)
        np.testing.assert_allclose(score_gram(sc, fweights=w), (S / w[:, None]).T @ S,
                                   rtol=BLOCK_RTOL)
        ref = np.zeros((37, 3))
        np.add.at(ref, codes, S)
        np.testing.assert_allclose(cluster_sums(sc, codes), ref, rtol=BLOCK_RTOL, atol=1e-12)


def test_one_function_computes_linear_and_ml_variances(strat):
    d, _ = strat
    # linear: the wrapper is the core
    r = dp.ols("api00 ~ ell + meals", d, vcov="cluster", cluster="dnum")
    sol = r.raw["solution"]
    X = r.raw["X"]
    codes = cv.cluster_codes(d, ["dnum"], d.index)
    core = cv.sandwich("cluster", scores=IndexScores(X, resid=sol.resid), bread=sol.bread,
                       model="linear", clusters=codes)
    np.testing.assert_allclose(core.cov, r.cov.to_numpy(), rtol=1e-13)
    assert core.df == r.df
    # ML: HC1 and cluster from the same function, with the ML conventions
    m = dp.logit("yes ~ ell + meals", d, vcov="HC0")
    sc, B = m.extra["scores"], m.extra["bread"]
    n, k = sc.shape
    hc1 = cv.sandwich("HC1", scores=sc, bread=B, model="ml", ssc="ml")
    np.testing.assert_allclose(hc1.cov, m.cov.to_numpy() * n / (n - k), rtol=1e-13)
    np.testing.assert_allclose(hc1.cov, m.with_vcov("HC1").cov.to_numpy(), rtol=1e-12)
    cl = cv.sandwich("cluster", scores=sc, bread=B, model="ml", ssc="ml", clusters=codes)
    np.testing.assert_allclose(cl.cov, m.with_vcov("cluster", cluster="dnum").cov.to_numpy(),
                               rtol=1e-12)
    assert cl.df is None and hc1.df is None
    # two-way for an ML model is the CGM combination of three one-way meats
    other = cv.cluster_codes(d, ["cnum"], d.index)
    two = cv.sandwich("cluster", scores=sc, bread=B, model="ml", ssc="none",
                      clusters=codes + other)
    inter = [pd.factorize(pd.MultiIndex.from_arrays([codes[0], other[0]]))[0]]
    parts = [cv.sandwich("cluster", scores=sc, bread=B, model="ml", ssc="none", clusters=c).cov
             for c in (codes, other, inter)]
    np.testing.assert_allclose(two.cov, parts[0] + parts[1] - parts[2], rtol=1e-12)
    assert np.diag(m.cov).min() > 0


def test_iid_linear_needs_residuals():
    with pytest.raises(dp.errors.SpecificationError, match="residuals"):
        cv.sandwich("iid", scores=np.ones((5, 1)), bread=np.eye(1), model="linear")


@pytest.mark.parametrize("design", [
    dict(weights="pw", strata="stype", psu="dnum"),  # one stage: PSU totals by row blocks
    dict(weights="pw", strata="stype", fpc="fpc"),  # rows are the PSUs
    dict(weights="pw", psu="dnum", fpc="fpc1", ssu="snum", fpc2="fpc2",
         single_psu="certainty"),  # two stages: the n x k path
])
def test_survey_meat_of_index_scores_equals_the_n_by_k_one(strat, design, monkeypatch):
    from disparity.models import _meat

    monkeypatch.setattr(_meat, "MEAT_BLOCK", 29)
    d = strat[0].copy()
    d["fpc1"], d["fpc2"] = 757, 1000
    des = dp.SurveyDesign(**design)
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(len(d)), d["ell"], d["meals"]])
    sc = IndexScores(X, resid=rng.normal(size=len(d)), weights=d["pw"].to_numpy())
    blocked, df1 = cv.survey_meat(sc, des, d, data=d)
    dense, df2 = cv.survey_meat(dense_scores(sc), des, d, data=d)
    np.testing.assert_allclose(blocked, dense, rtol=BLOCK_RTOL)
    assert df1 == df2
    sub = d.iloc[::2]  # a domain: units without estimation rows have zero totals
    dom = dp.SurveyDesign(**design, missing="domain")
    scs = IndexScores(X[::2], resid=rng.normal(size=len(sub)))
    np.testing.assert_allclose(cv.survey_meat(scs, dom, sub, data=d)[0],
                               cv.survey_meat(dense_scores(scs), dom, sub, data=d)[0], rtol=BLOCK_RTOL)
