"""dp.iv against AER::ivreg (with diagnostics) and linearmodels."""

import numpy as np
import pytest
from linearmodels.iv import IV2SLS, IVLIML

import disparity as dp
from disparity.errors import SpecificationError
from disparity.models.iv import parse_iv_formula

from .conftest import r_series
from .test_ols import assert_close

R_CLOSED_FORM_TOL = 1e-8
WRAPPER_TOL = 1e-10
F = "yiv ~ 1 + x1 + [dend ~ z1 + z2]"


@pytest.mark.reference
def test_2sls_against_aer(sample, rref):
    res = dp.iv(F, sample)
    ref = rref["ivreg"]
    assert_close(res.params, r_series(ref), R_CLOSED_FORM_TOL)
    assert_close(res.std_errors, r_series(ref, "se"), R_CLOSED_FORM_TOL)
    diag = res.extra["diagnostics"].set_index("test")
    for ours, theirs in [
        ("weak_instruments[dend]", "Weak instruments"),
        ("wu_hausman", "Wu-Hausman"),
        ("sargan", "Sargan"),
    ]:
        assert diag.loc[ours, "statistic"] == pytest.approx(
            ref["diagnostics"][theirs]["statistic"], rel=R_CLOSED_FORM_TOL
        )
        assert diag.loc[ours, "p_value"] == pytest.approx(
            ref["diagnostics"][theirs]["p-value"], rel=1e-6
        )
        assert diag.loc[ours, "df1"] == ref["diagnostics"][theirs]["df1"]


@pytest.mark.parametrize("estimator, cls", [("2sls", IV2SLS), ("liml", IVLIML)])
@pytest.mark.parametrize(
    "kind, lm_args",
    [
        ("iid", dict(cov_type="unadjusted", debiased=True)),
        ("HC1", dict(cov_type="robust", debiased=True)),
        ("HC0", dict(cov_type="robust", debiased=False)),
    ],
)
def test_linearmodels_parity(sample, estimator, cls, kind, lm_args):
    res = dp.iv(F, sample, estimator=estimator, vcov=kind)
    lm = cls.from_formula(F, sample).fit(**lm_args)
    assert_close(res.params, lm.params.rename({"Intercept": "Intercept"}), WRAPPER_TOL)
    assert_close(res.std_errors, lm.std_errors, WRAPPER_TOL)


def test_clustered_2sls_matches_linearmodels(sample):
    res = dp.iv(F, sample, vcov="cluster", cluster="county")
    lm = IV2SLS.from_formula(F, sample).fit(
        cov_type="clustered", clusters=sample.county, debiased=True
    )
    assert_close(res.std_errors, lm.std_errors, WRAPPER_TOL)


def test_formula_parsing():
    assert parse_iv_formula("y ~ 1 + x + [d ~ z1 + z2]") == ("y ~ 1 + x", ["d"], ["z1", "z2"])
    assert parse_iv_formula("y ~ [d ~ z]") == ("y ~ 1", ["d"], ["z"])
    with pytest.raises(SpecificationError, match=r"\[endogenous ~ instruments\]"):
        parse_iv_formula("y ~ x + d")


def test_under_identified_is_rejected(sample):
    with pytest.raises(SpecificationError, match="Under-identified"):
        dp.iv("yiv ~ 1 + x1 + [dend + x2 ~ z1]", sample)


def test_exactly_identified_has_no_sargan(sample):
    res = dp.iv("yiv ~ 1 + x1 + [dend ~ z1]", sample)
    assert "sargan" not in set(res.extra["diagnostics"].test)
    assert np.isfinite(res.params["dend"])


def test_cragg_donald_equals_first_stage_f_with_one_endogenous(sample):
    diag = dp.iv(F, sample).extra["diagnostics"].set_index("test")
    assert diag.loc["cragg_donald", "statistic"] == pytest.approx(
        diag.loc["weak_instruments[dend]", "statistic"], rel=1e-10
    )
    two = dp.iv("yiv ~ 1 + x1 + [dend + x2 ~ z1 + z2 + log_gdp]", sample).extra["diagnostics"]
    two = two.set_index("test")
    # The minimum eigenvalue cannot exceed the weaker first stage's F.
    assert two.loc["cragg_donald", "statistic"] <= two.loc["weak_instruments[x2]", "statistic"]


def test_hansen_j_with_robust_variance(sample):
    from linearmodels.iv import IVGMM

    diag = dp.iv(F, sample, vcov="HC1").extra["diagnostics"].set_index("test")
    ref = IVGMM.from_formula(F, sample, weight_type="robust").fit(cov_type="robust").j_stat
    assert diag.loc["hansen_j", "statistic"] == pytest.approx(float(ref.stat), rel=1e-10)
    assert "hansen_j" not in set(dp.iv(F, sample).extra["diagnostics"].test)


@pytest.mark.parametrize(
    "kind, lm_args",
    [
        ("HC0", dict(cov_type="robust", debiased=False)),
        ("HC1", dict(cov_type="robust", debiased=True)),
    ],
)
def test_robust_first_stage_f_matches_linearmodels(sample, kind, lm_args):
    diag = dp.iv(F, sample, vcov=kind).extra["diagnostics"].set_index("test")
    lm = IV2SLS.from_formula(F, sample).fit(**lm_args)
    wald = float(lm.first_stage.diagnostics.loc["dend", "f.stat"])  # chi2(q) Wald statistic
    assert diag.loc[f"weak_instruments_{kind}[dend]", "statistic"] == pytest.approx(
        wald / 2, rel=1e-10
    )


def test_clustered_first_stage_f_matches_linearmodels(sample):
    diag = dp.iv(F, sample, vcov="cluster", cluster="county").extra["diagnostics"].set_index("test")
    lm = IV2SLS.from_formula(F, sample).fit(
        cov_type="clustered", clusters=sample.county, debiased=True
    )
    wald = float(lm.first_stage.diagnostics.loc["dend", "f.stat"])
    assert diag.loc["weak_instruments_cluster[dend]", "statistic"] == pytest.approx(
        wald / 2, rel=1e-10
    )


def test_effective_f_reduces_to_first_stage_f_under_homoskedasticity(sample):
    from disparity.models import covariance as cv
    from disparity.models._solver import solve_lstsq
    from disparity.models.iv import _effective_f

    Z = np.column_stack([np.ones(len(sample)), sample[["x1", "z1", "z2"]].to_numpy()])
    fs = solve_lstsq(Z, sample.dend.to_numpy(), names=["c", "x1", "z1", "z2"], intercept=0)
    iid = cv.compute_vcov("iid", X=Z, resid=fs.resid, bread=fs.bread).cov
    ex = [2, 3]
    f_eff = _effective_f(fs.params[ex], fs.bread[np.ix_(ex, ex)], iid[np.ix_(ex, ex)])
    first_f = (
        dp.iv(F, sample)
        .extra["diagnostics"]
        .set_index("test")
        .loc["weak_instruments[dend]", "statistic"]
    )
    assert f_eff == pytest.approx(first_f, rel=1e-10)
    robust = dp.iv(F, sample, vcov="HC1").extra["diagnostics"].set_index("test")
    assert 0 < robust.loc["effective_f[dend]", "statistic"] < np.inf
