"""Wild cluster bootstrap: agreement with wildboottest within Monte Carlo error; test inversion."""

import contextlib
import json

import numpy as np
import pandas as pd
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
        # Ties: the sign vectors +1 and -1 reproduce the sample, so |t*| = |t| exactly. Neither
        # package means to count them, but wildboottest's strict comparison counts them when
        # rounding noise says so; with Rademacher weights and 12 clusters they carry 2 / 2**12.
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


# --- enumeration, tie rule, few clusters, resources (issues 16, 20, 22) ---------------------------

from itertools import product  # noqa: E402

from disparity import _resample  # noqa: E402
from disparity.errors import DataValueError, FewClustersWarning  # noqa: E402
from disparity.models import bootstrap as wbmod  # noqa: E402

# p-values under full enumeration are ratios of integers; any difference beyond rounding is a bug.
EXACT = 1e-12


def _first_counties(sample, G):
    return sample[sample.county.isin(sorted(sample.county.unique())[:G])].reset_index(drop=True)


def _fit(formula, data, **kw):
    return dp.ols(formula, data, vcov="wild", cluster="county", **kw)


@pytest.mark.reference
@pytest.mark.parametrize("G", [12, 7, 4])
def test_enumerated_pvalues_equal_wildboottest_exactly(sample, G):
    case = json.loads((REF / "wildboottest_reference.json").read_text())["enumerated"][str(G)]
    data = _first_counties(sample, G)
    if G <= wbmod.FEW_CLUSTERS_WARN:
        with pytest.warns(FewClustersWarning, match=f"only {G} clusters"):
            res = _fit(case["formula"], data, reps=9999, seed=1)
    else:
        res = _fit(case["formula"], data, reps=9999, seed=1)
    wb = res.extra["wild"]
    assert wb.enumerated and wb.draws == case["draws"] == 2**G
    for term, p_ref in case["pvalues_ties_not_counted"].items():
        assert res.pvalues[term] == pytest.approx(p_ref, abs=EXACT), term
        # wildboottest's strict |t| < |t*| counts the two tie vectors by rounding noise, or not
        gap = case["pvalues_wildboottest"][term] - res.pvalues[term]
        assert min(abs(gap), abs(gap - 2 / 2**G)) <= EXACT, term
        # enumerated p-values are multiples of 1 / 2^(G-1)
        assert res.pvalues[term] * 2 ** (G - 1) == pytest.approx(
            round(res.pvalues[term] * 2 ** (G - 1)), abs=1e-9
        )
    if G == 7:  # the issue-20 case: 36 of 128 sign vectors exceed, ties not counted
        assert res.pvalues["Intercept"] == 36 / 128
    if G > wbmod.FEW_CLUSTERS_WARN:  # the seed does not matter under enumeration
        assert (_fit(case["formula"], data, reps=9999, seed=2).pvalues == res.pvalues).all()


def test_enumeration_needs_no_more_patterns_than_reps(sample):
    data = _first_counties(sample, 7)
    assert _fit("y ~ x1 + x2", data, reps=128, seed=1).extra["wild"].enumerated
    wb = _fit("y ~ x1 + x2", data, reps=127, seed=1).extra["wild"]
    assert not wb.enumerated and wb.draws == 127 and wb.pvalues.size == 3
    note = _fit("y ~ x1 + x2", data, reps=999).spec.notes[0]
    assert "all 128 sign patterns of 7 clusters enumerated" in note


def _brute_force_pvalue(X, y, w, codes, j, r, patterns):
    """Restricted wild bootstrap by explicit refits: one weighted least-squares fit per pattern."""
    n, k = X.shape
    G = codes.max() + 1
    m = G / (G - 1) * (n - 1) / (n - k)
    sw = np.sqrt(w)

    def fit(yy):
        b = np.linalg.lstsq(X * sw[:, None], yy * sw, rcond=None)[0]
        return b, yy - X @ b

    def t_of(b, u):
        A = np.linalg.inv(X.T @ (X * w[:, None]))
        S = np.array([(X[codes == g] * (w * u)[codes == g, None]).sum(0) for g in range(G)])
        return (b[j] - r) / np.sqrt(m * ((S @ A[:, j]) ** 2).sum())

    b, u = fit(y)
    t = t_of(b, u)
    # restricted fit: regress y - r x_j on the other columns
    others = [i for i in range(k) if i != j]
    br = np.linalg.lstsq(X[:, others] * sw[:, None], (y - r * X[:, j]) * sw, rcond=None)[0]
    fitted = X[:, others] @ br + r * X[:, j]
    ur = y - fitted
    exceed = 0
    for v in patterns:
        bs, us = fit(fitted + ur * np.asarray(v)[codes])
        exceed += abs(t_of(bs, us)) > abs(t) * (1 + wbmod.TIE_RTOL)
    return exceed / len(patterns)


@pytest.mark.parametrize("kind, G, weighted", [("rademacher", 6, False), ("webb", 3, True)])
def test_enumeration_equals_explicit_refits(kind, G, weighted):
    rng = np.random.default_rng(7)
    n = 90
    codes = np.arange(n) % G
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = X @ [0.5, 0.3, -0.2] + rng.normal(size=G)[codes] + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    A = np.linalg.inv(X.T @ (X * w[:, None]))
    params = A @ (X.T @ (w * y))
    ctx = pytest.warns(FewClustersWarning) if G <= 5 else contextlib.nullcontext()
    with ctx:
        wb = wbmod.wild_cluster_bootstrap(X, y, codes=codes, bread=A, params=params,
                                          weights=w if weighted else None, reps=99,
                                          boot_weights=kind, seed=0)
    assert wb.enumerated and wb.draws == len(wbmod._SUPPORT[kind]) ** G
    patterns = list(product(wbmod._SUPPORT[kind], repeat=G))
    for j in (1, 2):
        for r in (0.0, params[j] + 1.5 * (params[j] or 1)):
            p = _brute_force_pvalue(X, y, w, codes, j, r, patterns)
            assert wb.coefs[j].pvalue(r) == pytest.approx(p, abs=EXACT), (j, r)


def test_two_clusters_warn_and_give_no_absurd_interval(sample):
    data = _first_counties(sample, 2)
    with pytest.warns(FewClustersWarning, match="only 2 clusters.*multiples of 0.5"):
        res = _fit("y ~ x1 + x2", data, reps=9999, seed=1)
    ci = res.conf_int()
    se = res.std_errors
    for term in res.params.index:
        lo, hi = ci.loc[term]
        assert lo <= res.params[term] <= hi
        # bounded within a few hundred standard errors, or honestly unbounded (never 1e14)
        for end in (lo, hi):
            assert np.isinf(end) or abs(end - res.params[term]) < 100 * se[term], (term, lo, hi)
        assert res.pvalues[term] in (0.0, 0.5, 1.0)


def test_interval_unbounded_when_the_test_never_rejects():
    # a coefficient whose bootstrap t grows with |r| as fast as the sample t: every pattern ties
    # or exceeds at infinity, so no r is rejected far out and the interval is (-inf, inf)
    coef = wbmod._CoefBoot(estimate=0.0, se=1.0, m=1.0,
                           arr=np.array([[0.0, 0.0], [2.0, 3.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]))
    assert coef.pvalue_at_infinity() == 1.0
    assert coef.interval(0.95) == (-np.inf, np.inf)


def test_impossible_request_is_refused_at_once(monkeypatch):
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"county": np.arange(400) % 40, "x1": rng.normal(size=400)})
    data["y"] = data.x1 + rng.normal(size=400)
    monkeypatch.setattr(_resample, "available_memory", lambda: 4 * 2**30)
    with pytest.raises(DataValueError, match=r"reps=100,000,000 would need about [\d.]+ GiB of memory"):
        _fit("y ~ x1", data, reps=10**8, seed=1)
    monkeypatch.undo()
    with pytest.raises(DataValueError, match="of computing"):
        _fit("y ~ x1", data, reps=10**15, seed=1)


def test_chunks_do_not_change_enumerated_results(sample, monkeypatch):
    data = _first_counties(sample, 7)
    whole = _fit("y ~ x1 * log_gdp + x2", data, reps=999).extra["wild"]
    monkeypatch.setattr(_resample, "CHUNK_BYTES", 8 * 5 * (5 * 7 + 40))  # 5 draws per chunk
    assert _resample.chunk_size(64, 5 * 7 + 40) == 5
    small = _fit("y ~ x1 * log_gdp + x2", data, reps=999).extra["wild"]
    for a, b in zip(whole.coefs, small.coefs, strict=True):
        np.testing.assert_allclose(a.arr, b.arr, rtol=1e-12, atol=1e-12 * np.abs(a.arr).max())
    np.testing.assert_array_equal(whole.pvalues, small.pvalues)
    np.testing.assert_allclose(whole.conf_int(), small.conf_int(), rtol=1e-9)


def test_memory_grows_with_draws_by_a_few_numbers_not_by_clusters():
    # 100 clusters: holding the draws would cost 800 bytes per draw; the chunked loop keeps five
    # numbers per draw and coefficient (80 bytes here) plus O(draws) temporaries of the p-value.
    import tracemalloc

    rng = np.random.default_rng(3)
    n, G = 5000, 100
    codes = rng.integers(0, G, n)
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = X @ [0.1, 0.2] + rng.normal(size=G)[codes] + rng.normal(size=n)
    A = np.linalg.inv(X.T @ X)
    params = A @ X.T @ y

    def peak(reps):
        tracemalloc.start()
        wbmod.wild_cluster_bootstrap(X, y, codes=codes, bread=A, params=params, reps=reps, seed=1)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    per_draw = (peak(200_000) - peak(50_000)) / 150_000
    assert per_draw < 200, per_draw  # bytes per draw; O(reps x G) would be >= 800


def test_ols_progress_argument_reaches_the_bootstrap(sample, monkeypatch, capsys):
    monkeypatch.setattr(_resample, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(_resample, "_interactive", lambda: True)
    _fit("y ~ x1 + x2", sample.assign(county=sample.hh), reps=999, seed=1)
    assert "wild bootstrap" in capsys.readouterr().err
    _fit("y ~ x1 + x2", sample.assign(county=sample.hh), reps=999, seed=1, progress=False)
    assert capsys.readouterr().err == ""


def test_panel_progress_argument_reaches_the_bootstrap(monkeypatch, capsys):
    monkeypatch.setattr(_resample, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(_resample, "_interactive", lambda: True)
    rng = np.random.default_rng(4)
    panel = pd.DataFrame({"unit": np.repeat(np.arange(12), 5), "year": np.tile(np.arange(5), 12),
                          "x": rng.normal(size=60)})
    panel["y"] = 0.5 * panel["x"] + rng.normal(size=60)
    dp.panel("y ~ x", panel, entity="unit", time="year", vcov="wild", reps=999, seed=1)
    assert "wild bootstrap" in capsys.readouterr().err
    res = dp.panel("y ~ x", panel, entity="unit", time="year", vcov="wild", reps=999, seed=1,
                   progress=False)
    assert capsys.readouterr().err == ""
    assert res.spec.vcov == "wild" and np.isfinite(res.pvalues["x"])


def test_expanded_sums_equal_the_bootstrap_scores_squared():
    """The five numbers per draw against the bootstrap cluster scores formed explicitly.

    For coefficient j and draw v the restricted bootstrap scores are b0 - r b1 with
    b = v o c - Q_j A u (u = Q_j'v / a_jj, plus S'v for b0); the code keeps their expanded squares.
    Enumerated Rademacher draws include v = 1, which reproduces the sample: its b1 is zero and
    its a11 must be exactly zero (the unbounded-interval logic depends on it).
    """
    rng = np.random.default_rng(8)
    n, G = 240, 9
    codes = rng.integers(0, G, n)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])
    w = rng.uniform(0.5, 2.0, n)
    y = X @ [0.2, -0.4, 1.0] + rng.normal(size=G)[codes] + rng.normal(size=n)
    A = np.linalg.inv(X.T @ (X * w[:, None]))
    params = A @ (X.T @ (w * y))
    wb = wbmod.wild_cluster_bootstrap(X, y, codes=codes, bread=A, params=params, weights=w, reps=999)
    assert wb.enumerated
    V = wbmod._enumerated_draws(0, 2 ** (G - 1), G, "rademacher")
    u = y - X @ params
    S = np.array([X[codes == g].T @ (w * u)[codes == g] for g in range(G)])  # (G, k) scores
    M = np.array([X[codes == g].T @ (X[codes == g] * w[codes == g, None]) for g in range(G)])
    for j in range(3):
        a = A[:, j]
        Qj = M @ a  # (G, k): q_g
        c1 = Qj @ a / a[j]
        c0 = S @ a + c1 * params[j]
        u1 = V @ Qj / a[j]
        u0 = V @ S + u1 * params[j]
        b1 = V * c1 - u1 @ A @ Qj.T
        b0 = V * c0 - u0 @ A @ Qj.T
        arr = wb.coefs[j].arr
        scale = (c0 * c0).sum() + (c1 * c1).sum()
        np.testing.assert_allclose(arr[0], V @ c0, rtol=0, atol=1e-12 * np.sqrt(scale) * G)
        np.testing.assert_allclose(arr[1], V @ c1, rtol=0, atol=1e-12 * np.sqrt(scale) * G)
        for row, expected in ((2, (b0 * b0).sum(1)), (3, (b0 * b1).sum(1)), (4, (b1 * b1).sum(1))):
            np.testing.assert_allclose(arr[row], expected, rtol=0, atol=1e-12 * scale)
        assert arr[4, 0] == 0.0 and arr[3, 0] == 0.0  # v = 1 (the first pattern)
        assert (arr[4, 1:] > 1e-6 * (c1 * c1).sum()).all()
