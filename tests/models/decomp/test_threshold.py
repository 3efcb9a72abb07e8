"""dp.threshold: brute-force R reference, recovery of known thresholds, bootstrap tests, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, SpecificationError
from disparity.models.decomp import threshold
from disparity.models.decomp.threshold import lr_critical_value

from .conftest import REF

# SSRs by projection vs. R's dummy-variable lm(): same closed form, different rounding paths.
CLOSED_FORM_TOL = 1e-8


@pytest.fixture(scope="module")
def tpanel() -> pd.DataFrame:
    return pd.read_csv(REF / "threshold_panel.csv")


@pytest.fixture(scope="module")
def tref() -> dict:
    return json.loads((REF / "threshold_reference.json").read_text())


def _fit(df, k, **kw):
    kw.setdefault("reps", 0)
    return threshold("y ~ z", df, threshold_var="q", regime="x", entity="id", time="year",
                     n_thresholds=k, grid=None, **kw)


@pytest.mark.reference
def test_single_threshold_matches_r(tpanel, tref):
    r = _fit(tpanel, 1)
    assert r.spec.grid_size == tref["n_candidates"]
    th = r.thresholds[0]
    assert th.value == tref["single"]["gamma"]
    assert th.conf_int() == tuple(tref["single"]["ci"])
    row = r.tests.iloc[0]
    assert row.ssr == pytest.approx(tref["single"]["ssr"], rel=CLOSED_FORM_TOL)
    assert row.f_stat == pytest.approx(tref["single"]["F"], rel=CLOSED_FORM_TOL)


@pytest.mark.reference
def test_double_threshold_matches_r(tpanel, tref):
    r = _fit(tpanel, 2)
    assert [t.value for t in r.thresholds] == tref["double"]["gamma"]
    ci = r.threshold_conf_int()
    assert list(ci["conf_low"]) == tref["double"]["ci_low"]
    assert list(ci["conf_high"]) == tref["double"]["ci_high"]
    row = r.tests.iloc[1]
    assert row.ssr == pytest.approx(tref["double"]["ssr"], rel=CLOSED_FORM_TOL)
    assert row.f_stat == pytest.approx(tref["double"]["F"], rel=CLOSED_FORM_TOL)
    np.testing.assert_allclose(r.params[tref["coef"]["term"]], tref["coef"]["estimate"], rtol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(r.std_errors[tref["coef"]["term"]], tref["coef"]["std_error"], rtol=CLOSED_FORM_TOL)


def test_recovers_known_thresholds(tpanel):
    # simulated with thresholds 3 and 7 (make_threshold_data.py): both inside their 95% intervals
    r = _fit(tpanel, 2)
    (lo1, hi1), (lo2, hi2) = (t.conf_int() for t in r.thresholds)
    assert lo1 <= 3 <= hi1 and lo2 <= 7 <= hi2


def test_ssr_curve_equals_brute_force(tpanel):
    r = _fit(tpanel, 1)
    cand, curve = r.raw["candidates"], r.raw["ssr_curve_1"]
    for g in cand[[5, 60, 150]]:
        df = tpanel.assign(x1=tpanel.x * (tpanel.q <= g), x2=tpanel.x * (tpanel.q > g))
        m = dp.panel("y ~ z + x1 + x2", df, entity="id", time="year")
        ssr = float(m.raw["resid"] @ m.raw["resid"])
        assert curve[np.flatnonzero(cand == g)[0]] == pytest.approx(ssr, rel=CLOSED_FORM_TOL)


def test_lr_critical_value():
    # Hansen (2000), Table 1: 7.35 at 95%, 5.94 at 90%, 10.59 at 99%
    assert lr_critical_value(0.95) == pytest.approx(7.352, abs=1e-3)
    assert lr_critical_value(0.90) == pytest.approx(5.939, abs=1e-3)
    assert lr_critical_value(0.99) == pytest.approx(10.59, abs=1e-2)


def test_bootstrap_tests(tpanel):
    r = _fit(tpanel, 3, reps=40, seed=11)
    r2 = _fit(tpanel, 3, reps=40, seed=11)
    pd.testing.assert_frame_equal(r.tests, r2.tests)
    p = r.tests.set_index("k")["p_value"]
    assert p[1] == 0.0 and p[2] == 0.0  # two real thresholds
    assert p[3] > 0.1  # no third one in the DGP
    assert (r.tests["crit_95"] <= r.tests["crit_99"]).all()


def test_no_threshold_data_not_rejected():
    rng = np.random.default_rng(5)
    n_e, T = 40, 6
    df = pd.DataFrame({"id": np.repeat(np.arange(n_e), T), "year": np.tile(np.arange(T), n_e)})
    df["q"], df["x"], df["z"] = rng.uniform(size=len(df)), rng.normal(size=len(df)), rng.normal(size=len(df))
    df["y"] = 0.5 * df.x + df.z + rng.normal(size=len(df))
    r = threshold("y ~ z", df, threshold_var="q", regime="x", entity="id", time="year", reps=50, seed=2, grid=50)
    assert r.tests["p_value"].iloc[0] > 0.05


def test_levels_and_contract(tpanel):
    r = _fit(tpanel, 1)
    ci90, ci95 = r.threshold_conf_int(0.9), r.threshold_conf_int(0.95)
    assert ci95["conf_low"][0] <= ci90["conf_low"][0] <= ci90["conf_high"][0] <= ci95["conf_high"][0]
    t = r.tidy()
    assert list(t["term"]) == ["z", "x__r1", "x__r2", "threshold_1"]
    assert "<table>" in r._repr_html_()
    assert "tests" in r.summary().tables
    assert r.glance()["n_thresholds"].item() == 1


def test_bad_input(tpanel):
    with pytest.raises(DataValueError, match="takes a single value"):
        _fit(tpanel.assign(q=1.0), 1)
    with pytest.raises(DataValueError, match="not balanced"):
        _fit(tpanel.iloc[1:], 1)
    with pytest.raises(SpecificationError, match="n_thresholds=4"):
        _fit(tpanel, 4)
    with pytest.raises(SpecificationError, match="trim=0.4"):
        _fit(tpanel, 2, trim=0.4)
    with pytest.raises(SpecificationError, match="both in the formula and in regime"):
        threshold("y ~ z + x", tpanel, threshold_var="q", regime="x", entity="id", time="year")
    with pytest.raises(SpecificationError, match="not in the data"):
        threshold("y ~ z", tpanel, threshold_var="gdp", regime="x", entity="id", time="year")
    with pytest.raises(DataValueError, match="constant within entities|collinear"):
        threshold("y ~ z + c", tpanel.assign(c=tpanel.id * 2.0), threshold_var="q", regime="x",
                  entity="id", time="year")


def test_two_regime_regressors_match_brute_force(tpanel):
    r = threshold("y ~ 1", tpanel, threshold_var="q", regime=["x", "z"], entity="id", time="year",
                  grid=None, reps=0)
    cand, curve = r.raw["candidates"], r.raw["ssr_curve_1"]
    ssrs = []
    for g in cand[::12]:
        lo, hi = tpanel.q <= g, tpanel.q > g
        df = tpanel.assign(x1=tpanel.x * lo, x2=tpanel.x * hi, z1=tpanel.z * lo, z2=tpanel.z * hi)
        m = dp.panel("y ~ x1 + x2 + z1 + z2", df, entity="id", time="year")
        ssrs.append(float(m.raw["resid"] @ m.raw["resid"]))
    np.testing.assert_allclose(curve[::12], ssrs, rtol=CLOSED_FORM_TOL)
    assert list(r.params.index) == ["x__r1", "x__r2", "z__r1", "z__r2"]
    assert r.thresholds[0].value == 7.0  # the strongest break in the DGP
