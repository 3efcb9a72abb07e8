"""Wild cluster bootstrap: agreement with wildboottest within Monte Carlo error; test inversion."""

import json

import numpy as np
import pytest

import disparity as dp

from .conftest import REF

FORMULA = "y ~ x1 * log_gdp + x2"
B = 9999
# Allowed gap between two bootstrap p-values: 4 Monte Carlo standard errors (two independent
# B-draw estimates for Webb; a B-draw estimate against full enumeration for Rademacher), floored
# at 2/B for p-values near 0 or 1.
MC_SIGMAS = 4.0


@pytest.mark.reference
@pytest.mark.parametrize("weights, both_random", [("rademacher", False), ("webb", True)])
def test_pvalues_agree_with_wildboottest(sample, weights, both_random):
    ref = json.loads((REF / "wildboottest_reference.json").read_text())["pvalues"][weights]
    res = dp.ols(
        FORMULA, sample, vcov="wild", cluster="county", reps=B, boot_weights=weights, seed=11
    )
    for term, p_ref in ref.items():
        p = res.pvalues[term]
        sd = np.sqrt(max(p_ref * (1 - p_ref), 1 / B) * (2 if both_random else 1) / B)
        # Ties: the sign vectors +1 and -1 reproduce the sample, so |t*| = |t| exactly. We count
        # ties as exceeding (conservative); wildboottest does not. With Rademacher weights and 12
        # clusters they carry probability 2 / 2**12.
        ties = 0.0 if both_random else 2 / 2**12
        assert abs(p - p_ref) <= MC_SIGMAS * sd + 2 / B + ties, (term, p, p_ref)


def test_interval_inverts_the_test(sample):
    res = dp.ols(FORMULA, sample, vcov="wild", cluster="county", reps=1999, seed=5)
    wb = res.extra["wild"]
    ci = res.conf_int()
    j = list(res.params.index).index("x1:log_gdp")
    lo, hi = ci.loc["x1:log_gdp"]
    coef = wb.coefs[j]
    # Just inside the interval the test does not reject at 5%; just outside it does.
    width = hi - lo
    assert coef.pvalue(lo + 1e-3 * width) >= 0.05 > coef.pvalue(lo - 1e-2 * width)
    assert coef.pvalue(hi - 1e-3 * width) >= 0.05 > coef.pvalue(hi + 1e-2 * width)
    assert lo < res.params["x1:log_gdp"] < hi
    assert coef.pvalue(0.0) == pytest.approx(res.pvalues["x1:log_gdp"])
    # 90% intervals are nested in 95% ones.
    ci90 = res.conf_int(0.90)
    assert (ci90.conf_low >= ci.conf_low).all() and (ci90.conf_high <= ci.conf_high).all()


def test_wild_two_way_is_rejected(sample):
    with pytest.raises(dp.errors.SpecificationError, match="one clustering variable"):
        dp.ols(FORMULA, sample, vcov="wild", cluster=["county", "hh"])


def test_bootstrap_under_the_null_is_roughly_uniform(sample):
    # A regressor unrelated to y: the p-value should not be extreme; its seed is fixed, so this is
    # a deterministic regression check of the null-imposed algorithm.
    rng = np.random.default_rng(0)
    d = sample.assign(noise=rng.normal(size=len(sample)))
    res = dp.ols("y ~ x1 + noise", d, vcov="wild", cluster="county", reps=999, seed=1)
    assert 0.05 < res.pvalues["noise"] < 0.95
