"""dp.ordered against MASS::polr and dp.quantreg against quantreg::rq."""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, SpecificationError
from tests._assert import assert_terms_close

from .conftest import r_series

# polr maximises with BFGS (reltol 1e-8) and a numerical Hessian: agreement to ~1e-6.
ITERATIVE_TOL = 1e-4
# rq's Barrodale-Roberts simplex and our HiGHS simplex reach the same vertex: exact up to rounding.
LP_TOL = 1e-8


@pytest.mark.reference
@pytest.mark.parametrize("link, key", [("logit", "polr_logistic"), ("probit", "polr_probit")])
def test_ordered_against_polr(sample, rref, link, key):
    res = dp.ordered("yo ~ x1 + x2", sample, link=link)
    ref = pd.Series({**rref[key]["coef"], **rref[key]["zeta"]}, dtype=float)
    assert_terms_close(res.params, ref, ITERATIVE_TOL)
    assert_terms_close(res.std_errors, pd.Series(rref[key]["se"], dtype=float), ITERATIVE_TOL)
    # Our optimum is at least as high as polr's.
    assert res.stats["loglik"] >= rref[key]["loglik"] - 1e-9


def test_ordered_needs_three_categories(sample):
    with pytest.raises(DataValueError, match="at least 3"):
        dp.ordered("yb ~ x1", sample)


def test_ordered_robust_variance_differs_but_estimates_do_not(sample):
    a = dp.ordered("yo ~ x1 + x2", sample)
    b = a.with_vcov("HC0")
    assert_terms_close(a.params, b.params, 0)
    assert not np.allclose(a.std_errors, b.std_errors)
    c = dp.ordered("yo ~ x1 + x2", sample, vcov="cluster", cluster="county")
    assert c.spec.vcov == "cluster"


@pytest.mark.reference
@pytest.mark.parametrize("q, key", [(0.5, "rq_median"), (0.25, "rq_q25")])
def test_quantreg_against_rq(sample, rref, q, key):
    res = dp.quantreg("y ~ x1 + x2", sample, q=q)
    assert_terms_close(res.params, r_series(rref[key]), LP_TOL)
    assert_terms_close(res.std_errors, r_series(rref[key], "se"), LP_TOL)


def test_quantreg_bad_quantile(sample):
    with pytest.raises(SpecificationError, match="strictly between 0 and 1"):
        dp.quantreg("y ~ x1", sample, q=1.5)


def test_quantreg_names_collinear_columns(sample):
    d = sample.assign(x3=sample.x1 * 2)
    with pytest.raises(dp.errors.CollinearityError, match="x3|x1"):
        dp.quantreg("y ~ x1 + x3", d)


def test_ordered_average_marginal_effects(sample):
    from scipy.special import expit

    res = dp.ordered("yo ~ x1 + x2", sample)
    me = res.marginal_effects("x1").tidy()
    assert list(me.outcome) == ["1", "2", "3", "4"]
    # Probabilities sum to one, so their derivatives sum to zero.
    assert abs(me.estimate.sum()) < 1e-12
    b = res.params
    cuts = np.concatenate([[-np.inf], b.iloc[2:].to_numpy(), [np.inf]])

    def mean_probs(x1):
        eta = b["x1"] * x1 + b["x2"] * sample.x2
        return np.diff(np.column_stack([expit(c - eta) for c in cuts]), axis=1).mean(0)

    h = 1e-5
    numeric = (mean_probs(sample.x1 + h) - mean_probs(sample.x1 - h)) / (2 * h)
    np.testing.assert_allclose(me.estimate.to_numpy(), numeric, rtol=1e-6)
    assert (me.std_error > 0).all()
