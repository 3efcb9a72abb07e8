"""dp.mediation: closed-form identities, agreement with the models layer and statsmodels, bootstrap, bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import disparity as dp
from disparity.errors import DataValueError, SpecificationError
from disparity.models.decomp import mediation

from .conftest import REF

# Least-squares identities (c - c' = a·b) hold to rounding.
CLOSED_FORM_TOL = 1e-10
# statsmodels' parametric ACME is a Monte Carlo mean: allow 4 Monte Carlo standard errors.
MC_SE_MULTIPLIER = 4


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REF / "mediation_sample.csv")


@pytest.fixture(scope="module")
def panel_sample() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n_e, n_t = 40, 6
    e = np.repeat(np.arange(n_e), n_t)
    t = np.tile(np.arange(n_t), n_e)
    alpha = rng.normal(size=n_e)[e]
    x = (rng.normal(size=e.size) + alpha > 0).astype(float)
    m = 0.6 * x + alpha + rng.normal(size=e.size)
    y = 0.5 * m + 0.3 * x + 2 * alpha + rng.normal(size=e.size)
    return pd.DataFrame({"e": e, "t": t, "x": x, "m": m, "y": y, "z": rng.normal(size=e.size)})


def test_linear_identity_and_paths(sample):
    r = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=0, ci="normal")
    c = dp.ols("y ~ x + w", sample).params["x"]
    a = dp.ols("m ~ x + w", sample).params["x"]
    out = dp.ols("y ~ x + w + m", sample)
    assert r.total.value == c and r.a.value == a
    assert r.b.value == out.params["m"] and r.direct.value == out.params["x"]
    assert r.indirect.value == pytest.approx(a * out.params["m"], rel=1e-15)
    assert r.difference.value == pytest.approx(r.indirect.value, abs=CLOSED_FORM_TOL)
    assert r.proportion.value == pytest.approx(r.indirect.value / c, rel=1e-12)
    # path p-values are the models' (t reference distribution)
    assert r.a.p_value == pytest.approx(dp.ols("m ~ x + w", sample).pvalues["x"], rel=1e-10)


def test_sobel_formula(sample):
    r = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=0, ci="normal")
    sa = dp.ols("m ~ x + w", sample).std_errors["x"]
    sb = dp.ols("y ~ x + w + m", sample).std_errors["m"]
    se = np.sqrt(r.b.value**2 * sa**2 + r.a.value**2 * sb**2)
    assert r.indirect.std_error == pytest.approx(se, rel=1e-12)
    assert r.sobel["statistic"] == pytest.approx(r.indirect.value / se, rel=1e-12)
    lo, hi = r.conf_int()
    assert (lo + hi) / 2 == pytest.approx(r.indirect.value, rel=1e-12)


@pytest.mark.reference
def test_statsmodels_mediation(sample):
    ref = json.loads((REF / "mediation_statsmodels.json").read_text())
    r = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=0, ci="normal")
    assert abs(r.indirect.value - ref["acme"]) < MC_SE_MULTIPLIER * ref["acme_mc_se"]
    assert abs(r.direct.value - ref["ade"]) < MC_SE_MULTIPLIER * ref["ade_mc_se"]
    assert abs(r.total.value - ref["total"]) < MC_SE_MULTIPLIER * ref["total_mc_se"]


def test_bootstrap_intervals(sample):
    p = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=400, seed=5)
    p2 = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=400, seed=5)
    bc = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=400, seed=5, ci="bc")
    assert p.conf_int() == p2.conf_int()
    draws = p.raw["bootstrap"][:, 0]
    np.testing.assert_allclose(p.conf_int(), np.quantile(draws, [0.025, 0.975]), rtol=1e-12)
    z0 = __import__("scipy").stats.norm.ppf(np.mean(draws < p.indirect.value))
    want = np.quantile(draws, __import__("scipy").stats.norm.cdf(2 * z0 + np.array([-1.959963984540054, 1.959963984540054])))
    np.testing.assert_allclose(bc.conf_int(), want, rtol=1e-12)
    # 400 draws: bootstrap sd of a·b within 20% of Sobel's first-order SE
    assert np.std(draws, ddof=1) == pytest.approx(p.indirect.std_error, rel=0.2)
    t = p.tidy()
    assert list(t["term"]) == ["total", "a", "b", "direct", "indirect", "difference", "proportion"]
    assert tuple(t.loc[4, ["conf_low", "conf_high"]]) == p.conf_int()
    lo90, hi90 = p.conf_int(0.9)
    assert p.conf_int()[0] <= lo90 < hi90 <= p.conf_int()[1]


def test_fixed_effects_and_clusters(panel_sample):
    r = mediation("y ~ x + z", panel_sample, treatment="x", mediator="m", entity="e", time="t",
                  vcov="cluster", reps=50, seed=1)
    fe = dp.panel("y ~ x + z + m", panel_sample, entity="e", time="t", effects="twoway", vcov="cluster")
    assert r.b.value == pytest.approx(fe.params["m"], rel=1e-12)
    assert r.b.std_error == pytest.approx(fe.std_errors["m"], rel=1e-12)
    assert r.difference.value == pytest.approx(r.indirect.value, abs=CLOSED_FORM_TOL)
    # pooled OLS is biased by the entity effects here (alpha drives x, m and y)
    pooled = mediation("y ~ x + z", panel_sample, treatment="x", mediator="m", reps=0, ci="normal")
    assert abs(pooled.b.value - 0.5) > abs(r.b.value - 0.5)
    assert "entities resampled" in r.spec.notes[-1]


def test_cluster_vcov_passed_through(panel_sample):
    r = mediation("y ~ x + z", panel_sample, treatment="x", mediator="m", vcov="cluster", cluster="e",
                  reps=0, ci="normal")
    ref = dp.ols("m ~ x + z", panel_sample, vcov="cluster", cluster="e", few_clusters="analytic")
    assert r.a.std_error == pytest.approx(ref.std_errors["x"], rel=1e-12)


def test_binary_outcome_uses_logit(sample):
    df = sample.assign(yb=(sample.y > 0.3).astype(float))
    r = mediation("yb ~ x + w", df, treatment="x", mediator="m", outcome_model="logit", reps=50, seed=3)
    ref = dp.logit("yb ~ x + w + m", df)
    assert r.b.value == pytest.approx(ref.params["m"], rel=1e-10)
    assert r.indirect.value == pytest.approx(r.a.value * ref.params["m"], rel=1e-12)
    # on the logit scale c - c' is not a·b
    assert abs(r.difference.value - r.indirect.value) > 1e-4


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), effect=st.floats(-2, 2))
def test_identity_property(seed, effect):
    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame({"x": rng.normal(size=n), "w": rng.normal(size=n)})
    df["m"] = effect * df.x + rng.normal(size=n)
    df["y"] = df.m - df.x + rng.normal(size=n)
    r = mediation("y ~ x + w", df, treatment="x", mediator="m", reps=0, ci="normal")
    assert r.total.value - r.direct.value == pytest.approx(r.a.value * r.b.value, abs=CLOSED_FORM_TOL)


def test_bad_input(sample):
    with pytest.raises(SpecificationError, match="mediator 'm' is in the formula"):
        mediation("y ~ x + m", sample, treatment="x", mediator="m")
    with pytest.raises(SpecificationError, match="must be a regressor"):
        mediation("y ~ w", sample, treatment="x", mediator="m")
    with pytest.raises(SpecificationError, match="must be numeric"):
        mediation("y ~ x + w", sample.assign(x=sample.x.map({0.0: "no", 1.0: "yes"})), treatment="x", mediator="m")
    with pytest.raises(DataValueError, match="takes a single value"):
        mediation("y ~ x + w", sample.assign(m=1.0), treatment="x", mediator="m")
    with pytest.raises(DataValueError, match="treatment 'x' does not vary"):
        mediation("y ~ x + w", sample.assign(x=1.0), treatment="x", mediator="m")
    with pytest.raises(SpecificationError, match="ci='wald'"):
        mediation("y ~ x + w", sample, treatment="x", mediator="m", ci="wald")
    with pytest.raises(SpecificationError, match="reps=1"):
        mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=1)
    with pytest.raises(DataValueError, match="needs a 0/1 variable"):
        mediation("y ~ x + w", sample, treatment="x", mediator="m", mediator_model="logit")
    with pytest.raises(SpecificationError, match="linear mediator and outcome models only"):
        mediation("y ~ x + w", sample.assign(e=np.arange(len(sample)) % 5), treatment="x", mediator="m",
                  entity="e", outcome_model="logit")


def test_display_contract(sample):
    r = mediation("y ~ x + w", sample, treatment="x", mediator="m", reps=20, seed=1)
    assert "<table>" in r._repr_html_()
    assert "paths" in r.summary().tables
    assert float(r) == r.indirect.value
    assert r.glance()["nobs"].item() == len(sample)


def test_binary_mediator_uses_probit(sample):
    df = sample.assign(mb=(sample.m > 0.2).astype(float))
    r = mediation("y ~ x + w", df, treatment="x", mediator="mb", mediator_model="probit", reps=30, seed=8)
    ref = dp.probit("mb ~ x + w", df)
    assert r.a.value == pytest.approx(ref.params["x"], rel=1e-10)
    assert r.a.std_error == pytest.approx(ref.std_errors["x"], rel=1e-10)
    assert r.b.value == pytest.approx(dp.ols("y ~ x + w + mb", df).params["mb"], rel=1e-12)
    assert np.isfinite(r.raw["bootstrap"]).all()
