"""Issue 22 (items 1 and 4): the fast and low-memory paths give the numbers of the direct ones.

* :func:`disparity.models._absorb.demean` (alternating projections in fixed-effect coefficient
  space with Irons-Tuck extrapolation) against the exact least-squares residual on the dummy
  matrix, and its compiled (numba) passes against the numpy ones, in every visiting order;
* singleton removal, redundant levels and nesting: numba against numpy;
* the blocked Householder QR of the solver (TSQR) on the NIST StRD problems and against the
  one-block path;
* the row-blocked HC meat and the column-wise cluster meat against the n x k formulas;
* the counting-pass codes of integer fixed-effect columns against ``pd.factorize(sort=True)``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import PrecisionWarning
from disparity.models import _absorb, _solver
from disparity.models import covariance as cv
from tests.models.test_nist import GOAL_LRE, NIST, min_lre, polynomial_frame

# The demeaning stops when every group mean is below 1e-13 of the column's scale (~20 here); on
# these deliberately weakly connected effects the residual is then within ~4e-11 of the exact one
# (the same for plain and extrapolated sweeps) -- inside the 1e-10 promised against pyfixest.
DEMEAN_ATOL = 1e-10
# Blocked and one-block QR are both backward stable: on well-conditioned designs they agree to a
# few ulps of the coefficients.
QR_RTOL = 1e-12


def _exact_residual(M, groups, w=None):
    D = np.column_stack([np.eye(int(g.max()) + 1)[g] for g in groups])
    sw = np.ones(len(M)) if w is None else np.sqrt(w)
    coef, *_ = np.linalg.lstsq(D * sw[:, None], M * sw[:, None], rcond=None)
    return M - D @ coef


def _unbalanced(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 300, n)
    # a long chain of weakly linked levels makes plain alternating projections slow
    b = np.minimum(rng.geometric(0.08, n), 60) - 1
    c = (a // 7 + rng.integers(0, 3, n)) % 25
    groups = [_absorb.factor_codes(pd.Series(v)) for v in (a, b, c)]
    keep = _absorb.drop_singletons(groups)
    groups = _absorb.recode(groups, keep)
    M = rng.normal(size=(int(keep.sum()), 3)) + a[keep, None] % 5 + 0.3 * b[keep, None]
    return M, groups, rng.uniform(0.5, 2.0, int(keep.sum()))


@pytest.mark.parametrize("k_fe", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_demean_equals_exact_residual(k_fe, weighted):
    M, groups, w = _unbalanced()
    groups = groups[:k_fe]
    w = w if weighted else None
    got, sweeps = _absorb.demean(M, groups, w)
    np.testing.assert_allclose(got, _exact_residual(M, groups, w), rtol=0, atol=DEMEAN_ATOL)
    assert sweeps == 1 if k_fe == 1 else sweeps >= 2
    assert got.flags.f_contiguous and got.dtype == np.float64


def test_demean_extrapolation_is_used_and_converges_to_the_same_residual(monkeypatch):
    M, groups, _ = _unbalanced(seed=3)
    ref = _exact_residual(M, groups)
    monkeypatch.setattr(_absorb, "ACCEL_AFTER", 10**9)
    plain, n_plain = _absorb.demean(M, groups)
    monkeypatch.setattr(_absorb, "ACCEL_AFTER", 3)
    fast, n_fast = _absorb.demean(M, groups)
    np.testing.assert_allclose(plain, ref, rtol=0, atol=DEMEAN_ATOL)
    np.testing.assert_allclose(fast, ref, rtol=0, atol=DEMEAN_ATOL)
    # the case is slow for plain sweeps, and extrapolation cuts them
    assert n_plain > 3 and n_fast < n_plain


def test_demean_reports_non_convergence():
    M, groups, _ = _unbalanced()
    with pytest.raises(dp.errors.DataValueError, match="did not converge"):
        _absorb.demean(M, groups, max_iter=1)


def test_numba_is_installed():
    # numba is a dependency: the compiled passes must run here (fail, not skip, when it is missing)
    assert _absorb._kernels() is not None


def _four_sets(M, groups):
    rng = np.random.default_rng(7)
    d = _absorb.factor_codes(pd.Series(rng.integers(0, 9, M.shape[0])))
    return [*groups, d]


@pytest.mark.parametrize("k_fe", [1, 2, 3, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cache_bytes", [2**18, 2**12, 2**9])
def test_demean_numba_and_numpy_passes_give_the_same_numbers(k_fe, weighted, cache_bytes,
                                                             monkeypatch):
    # the two backends do the same operations in the same order, so they agree to the last bit;
    # the cache sizes make the rows be visited as given, by the largest set, and by blocks
    M, groups, w = _unbalanced()
    groups = _four_sets(M, groups)[:k_fe]
    w = w if weighted else None
    monkeypatch.setattr(_absorb, "CACHE_BYTES", cache_bytes)
    fast, n_fast = _absorb.demean(M, groups, w, backend="numba")
    ref, n_ref = _absorb.demean(M, groups, w, backend="numpy")
    np.testing.assert_array_equal(fast, ref)
    assert n_fast == n_ref
    np.testing.assert_allclose(fast, _exact_residual(M, groups, w), rtol=0, atol=DEMEAN_ATOL)


def test_demean_visiting_orders():
    off = np.array([0, 100_000, 120_000, 120_020])
    groups = [np.zeros(5, np.intp)] * 3
    assert _absorb._visit_plan(groups, off, 3) == _absorb.CACHE_BYTES // 24  # blocks
    assert _absorb._visit_plan(groups, np.array([0, 100_000, 100_020]), 3) == 0  # by the largest
    assert _absorb._visit_plan(groups, np.array([0, 500, 520]), 3) is None  # all in cache
    assert _absorb._visit_plan(groups[:1], off[:2], 3) is None  # one set: no passes


def test_singletons_and_redundancy_same_with_numpy(monkeypatch):
    M, groups, _ = _unbalanced(n=4000, seed=5)
    raw = [_absorb.factor_codes(pd.Series(v)) for v in
           np.random.default_rng(5).integers(0, [900, 40, 300], (4000, 3)).T]
    cl = [_absorb.factor_codes(pd.Series(g // 3)) for g in raw[:1]]
    out, recoded = {}, {}
    for backend in ("numba", "numpy"):
        monkeypatch.setattr(_absorb, "BACKEND", backend)
        keep = _absorb.drop_singletons(raw)
        rec = recoded[backend] = _absorb.recode(raw, keep)
        out[backend] = (keep, _absorb.absorbed_dof(rec), _absorb.absorbed_dof(groups),
                        _absorb.nested_dof(rec, [cl[0][keep]]), _absorb.nested_dof(groups, [groups[1] // 3]))
    np.testing.assert_array_equal(out["numba"][0], out["numpy"][0])
    for a, b in zip(recoded["numba"], recoded["numpy"], strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.max() + 1 == np.unique(a).size  # dense
    assert 0 < (~out["numba"][0]).sum() < 4000  # some singletons, dropped in cascade
    assert out["numba"][1:] == out["numpy"][1:]
    assert out["numba"][3] > 0 and out["numba"][4] > 0  # effects nested in their coarsenings


@pytest.mark.parametrize("vcov", ["HC1", "cluster"])
def test_ols_absorb_same_with_numpy_passes(vcov, monkeypatch):
    M, groups, w = _unbalanced(seed=4)
    df = pd.DataFrame({"y": M[:, 0], "x1": M[:, 1], "x2": M[:, 2], "a": groups[0],
                       "b": groups[1], "c": groups[2], "w": w})
    kw = {"cluster": "a"} if vcov == "cluster" else {}
    fits = {}
    for backend in ("numba", "numpy"):
        monkeypatch.setattr(_absorb, "BACKEND", backend)
        fits[backend] = dp.ols("y ~ x1 + x2", df, absorb=["a", "b", "c"], vcov=vcov,
                               weights="w", **kw)
    np.testing.assert_array_equal(fits["numba"].params, fits["numpy"].params)
    np.testing.assert_array_equal(fits["numba"].cov, fits["numpy"].cov)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_factor_codes_equal_sorted_factorize(backend, monkeypatch):
    monkeypatch.setattr(_absorb, "BACKEND", backend)
    rng = np.random.default_rng(1)
    for values in (rng.integers(-50, 50, 1000), rng.integers(0, 10**12, 1000),
                   rng.choice(list("abcde"), 1000), rng.integers(0, 3, 1000).astype(np.uint8)):
        s = pd.Series(values)
        np.testing.assert_array_equal(_absorb.factor_codes(s), pd.factorize(s, sort=True)[0])
        assert _absorb.factor_codes(s).dtype == np.int32


@pytest.mark.reference
@pytest.mark.parametrize("name", ["Wampler1", "Wampler3", "Wampler5", "Filip"])
def test_blocked_qr_keeps_nist_accuracy(name, monkeypatch):
    df, formula = polynomial_frame(name)
    k = NIST[name]["degree"] + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)  # Filip is ill-conditioned, and says so
        one = dp.ols(formula, df).params
        monkeypatch.setattr(_solver, "QR_BLOCK", 2 * k)  # several blocks on these small problems
        blocked = dp.ols(formula, df).params
    assert min_lre(blocked, NIST[name]["certified"]) >= GOAL_LRE[name]
    if name != "Filip":  # Filip is re-solved in extended precision either way
        np.testing.assert_allclose(blocked, one, rtol=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
def test_blocked_qr_equals_one_block(weighted, monkeypatch):
    rng = np.random.default_rng(2)
    n = 5000
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n) * 1e3 + 5e3,
                       "w": rng.uniform(0.2, 3, n)})
    df["y"] = 1 + df.x1 - 2e-3 * df.x2 + rng.normal(size=n)
    kw = {"weights": "w"} if weighted else {}
    one = dp.ols("y ~ x1 + x2", df, vcov="HC1", **kw)
    monkeypatch.setattr(_solver, "QR_BLOCK", 700)
    blocked = dp.ols("y ~ x1 + x2", df, vcov="HC1", **kw)
    np.testing.assert_allclose(blocked.params, one.params, rtol=QR_RTOL)
    np.testing.assert_allclose(blocked.cov, one.cov, rtol=1e-10)
    sol = blocked.raw["solution"]
    np.testing.assert_allclose(sol.resid, one.raw["solution"].resid, rtol=0, atol=1e-10)



def test_qr_apply_is_qr_multiply_bit_for_bit():
    # the blocked QR calls dgeqrf/dormqr itself (no copies); it must be qr_multiply's arithmetic
    import scipy.linalg as sla

    rng = np.random.default_rng(7)
    Z = np.asfortranarray(rng.normal(size=(3001, 6)))
    y = rng.normal(size=3001)
    want_q, want_r = sla.qr_multiply(Z.copy(order="F"), y.copy(), mode="right")
    got_r, got_q = _solver._qr_apply(Z.copy(order="F"), y.copy())
    np.testing.assert_array_equal(got_r, np.triu(want_r[:6, :6]))
    np.testing.assert_array_equal(got_q[:6], want_q[:6])


def test_column_norms_equal_the_direct_sums(monkeypatch):
    rng = np.random.default_rng(8)
    X = np.asfortranarray(rng.normal(size=(1001, 4)) * [1, 10, 1e3, 1])
    sw = np.sqrt(rng.uniform(0.2, 3, 1001))
    xbar = np.array([0.1, -2.0, 30.0, 0.5])
    monkeypatch.setattr(_solver, "NORM_CHUNK", 128)  # several chunks and a short last one
    for s in (None, sw):
        f = np.ones(1001) if s is None else s
        raw, cen = _solver._column_norms(X, [0, 1, 2, 3], xbar, s)
        np.testing.assert_allclose(raw, ((X * f[:, None]) ** 2).sum(0), rtol=1e-13)
        np.testing.assert_allclose(cen, (((X - xbar) * f[:, None]) ** 2).sum(0), rtol=1e-13)


@pytest.mark.parametrize("intercept", [0, None])
@pytest.mark.parametrize("where", ["x", "y"])
def test_blocked_qr_rejects_non_finite_values(where, intercept, monkeypatch):
    from disparity.errors import DataValueError

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(2000), rng.normal(size=2000)])
    y = rng.normal(size=2000)
    if where == "x":
        X[5, 1] = np.inf
    else:
        y[7] = np.nan
    monkeypatch.setattr(_solver, "QR_BLOCK", 700)
    with pytest.raises(DataValueError, match="infinite or missing"):
        _solver.solve_lstsq(np.asfortranarray(X), y, names=["c", "x"], intercept=intercept)


def test_blocked_meats_equal_the_n_by_k_formulas(monkeypatch):
    rng = np.random.default_rng(4)
    n, k = 2001, 3
    X = rng.normal(size=(n, k))
    u, v = rng.normal(size=n), rng.uniform(size=n)
    codes = rng.integers(0, 40, n).astype(np.intp)
    from disparity.models import _meat

    monkeypatch.setattr(_meat, "MEAT_BLOCK", 128)
    Xu = X * u[:, None]
    np.testing.assert_allclose(cv._weighted_gram(X, u), Xu.T @ Xu, rtol=1e-13)
    np.testing.assert_allclose(cv._weighted_gram(X, u, v), (X * (u * v)[:, None]).T @ X,
                               rtol=1e-13)
    got, G = cv._cluster_meat_xu(X, u, codes)
    ref, G_ref = cv._cluster_meat(Xu, codes)
    assert G == G_ref == 40
    np.testing.assert_allclose(got, ref, rtol=1e-13)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("cache_bytes", [2**18, 2**9])
def test_demean_in_place_gives_the_same_bits(backend, cache_bytes, monkeypatch):
    # out=M (the absorb= path of dp.ols) overwrites the block with its residual: the same bits as
    # the copy, and the codes (int32) are left as they were
    M, groups, w = _unbalanced()
    monkeypatch.setattr(_absorb, "CACHE_BYTES", cache_bytes)
    saved = [g.copy() for g in groups]
    assert all(g.dtype == np.int32 for g in groups)
    ref, n_ref = _absorb.demean(M, groups, w, backend=backend)
    block = np.asfortranarray(M.copy())
    got, n_got = _absorb.demean(block, groups, w, backend=backend, out=block)
    assert got is block and n_got == n_ref
    np.testing.assert_array_equal(block, ref)
    for g, s in zip(groups, saved, strict=True):
        np.testing.assert_array_equal(g, s)
    with pytest.raises(ValueError, match="out="):
        _absorb.demean(M, groups, out=np.empty((3, 3)))


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_recode_and_compact_in_place(backend, monkeypatch):
    monkeypatch.setattr(_absorb, "BACKEND", backend)
    rng = np.random.default_rng(5)
    codes = [_absorb.factor_codes(pd.Series(rng.integers(0, k, 500))) for k in (40, 7)]
    keep = rng.uniform(size=500) > 0.3
    ref = _absorb.recode(codes, keep)
    for r, g in zip(ref, codes, strict=True):
        np.testing.assert_array_equal(r, pd.factorize(g[keep], sort=True)[0])
    got = _absorb.recode([g.copy() for g in codes], keep, inplace=True)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    M = np.asfortranarray(rng.normal(size=(500, 3)))
    want = M[keep]
    np.testing.assert_array_equal(_absorb.compact_rows(M, keep), want)


def test_absorb_block_design_is_one_array():
    # build_design(absorb_block=True): outcome first, no intercept, y and X views of the block
    from disparity.models.formula import build_design

    rng = np.random.default_rng(6)
    df = pd.DataFrame({"y": rng.normal(size=300), "x1": rng.normal(size=300),
                       "x2": rng.integers(0, 5, 300), "g": rng.integers(0, 9, 300)})
    df.loc[3, "x1"] = np.nan
    for formula in ("y ~ x1 + x2", "y ~ x1 + np.log1p(x2) + x1:x2"):  # plain and formulaic
        ref = build_design(formula, df, extra=["g", "g"])
        d = build_design(formula, df, extra=["g", "g"], absorb_block=True)
        assert d.block is not None and d.block.flags.f_contiguous and d.intercept is None
        assert list(d.X.columns) == [c for c in ref.X.columns if c != "Intercept"]
        np.testing.assert_array_equal(d.block[:, 0], ref.y.to_numpy())
        np.testing.assert_array_equal(d.block[:, 1:], ref.X.drop(columns="Intercept").to_numpy())
        assert np.shares_memory(d.y.to_numpy(), d.block) and np.shares_memory(d.X.to_numpy(), d.block)
        assert d.n_dropped == 1 and d.index.equals(ref.index)


def test_ols_absorb_keeps_one_block():
    # the fit's demeaned y and X are views of one array (no second copy of the design), and
    # equal the demeaning of the raw design
    rng = np.random.default_rng(7)
    n = 2000
    df = pd.DataFrame({"a": rng.integers(0, 150, n), "b": rng.integers(0, 30, n),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = df.x1 - df.x2 + df.a % 7 + rng.normal(size=n)
    r = dp.ols("y ~ x1 + x2", df, absorb=["a", "b"], vcov="cluster", cluster="a",
               few_clusters="analytic")
    X, y = r.raw["X"], r.raw["y"]
    assert X.base is not None and X.base is y.base  # views of one block
    codes = [_absorb.factor_codes(df[c]) for c in ("a", "b")]
    keep = _absorb.drop_singletons(codes)
    M, _ = _absorb.demean(df.loc[keep, ["y", "x1", "x2"]].to_numpy(), _absorb.recode(codes, keep))
    np.testing.assert_allclose(np.column_stack([y, X]), M, rtol=0, atol=1e-12)
    assert r.stats["n_singletons"] == int((~keep).sum())


@pytest.mark.parametrize("cache_bytes", [2**18, 2**12, 2**9])
@pytest.mark.parametrize("weighted", [False, True])
def test_demean_refilling_the_codes_gives_the_same_bits(cache_bytes, weighted, monkeypatch):
    # refill_groups: the codes are put in visiting order in their own arrays and refilled by the
    # caller before the residual: the same residual to the last bit, the codes as they were
    M, groups, w = _unbalanced()
    w = w if weighted else None
    monkeypatch.setattr(_absorb, "CACHE_BYTES", cache_bytes)
    ref, n_ref = _absorb.demean(M, groups, w, backend="numpy")
    saved = [g.copy() for g in groups]
    calls = []

    def refill():
        calls.append([np.array_equal(g, s) for g, s in zip(groups, saved, strict=True)])
        for g, s in zip(groups, saved, strict=True):
            g[:] = s

    got, n_got = _absorb.demean(M, groups, w, refill_groups=refill)
    np.testing.assert_array_equal(got, ref)
    assert n_got == n_ref
    # a visiting order other than the rows' own: the codes were reordered, then refilled
    assert calls == ([] if cache_bytes == 2**18 else [[False, False, False]])
    for g, s in zip(groups, saved, strict=True):
        np.testing.assert_array_equal(g, s)
    # codes the passes must first copy to another type: the copies are reordered, not refilled
    calls.clear()
    wide = [g.astype(np.uint64) for g in groups]
    got, _ = _absorb.demean(M, wide, w, refill_groups=refill)
    np.testing.assert_array_equal(got, ref)
    assert calls == []
    for g, s in zip(wide, saved, strict=True):
        np.testing.assert_array_equal(g, s)


def test_absorb_codes_take_the_smallest_type():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"small": rng.integers(0, 200, 70_000), "mid": rng.integers(0, 60_000, 70_000),
                       "big": np.arange(70_000) // 1, "text": rng.choice(list("abc"), 70_000)})
    got = _absorb.absorb_codes(df, ["small", "mid", "big", "text"], df.index)
    assert [g.dtype for g in got] == [np.uint8, np.uint16, np.int32, np.uint8]
    for g, c in zip(got, ["small", "mid", "big", "text"], strict=True):
        np.testing.assert_array_equal(g, pd.factorize(df[c], sort=True)[0])


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_positions_in_int32(backend, monkeypatch):
    monkeypatch.setattr(_absorb, "BACKEND", backend)
    keep = np.random.default_rng(2).uniform(size=3_000_000) > 0.4
    got = _absorb.positions(keep)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, np.flatnonzero(keep))


@pytest.mark.parametrize("index", [None, pd.RangeIndex(10, 10 + 3 * 3000, 3),
                                   pd.RangeIndex(5 * 3000, 0, -5), "shuffled",
                                   pd.RangeIndex(2**31, 2**31 + 3000)])
def test_ols_absorb_kept_rows_and_refilled_codes(index, monkeypatch):
    # singletons dropped: the fit's rows are the kept labels (formed after the demeaning), and
    # the effects' codes (reordered in place during it, then refilled from the data) are the
    # codes of the kept rows; a cluster also absorbed uses them
    monkeypatch.setattr(_absorb, "CACHE_BYTES", 2**9)  # rows visited in blocks: reordered
    refills = []
    real = _absorb._NumbaPasses.restore

    def restore(self):
        refills.append(self.reordered)
        real(self)

    monkeypatch.setattr(_absorb._NumbaPasses, "restore", restore)
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"a": rng.integers(0, 900, n), "b": rng.integers(0, 40, n),
                       "x": rng.normal(size=n)})
    df["y"] = df.x + df.a % 3 + rng.normal(size=n)
    if isinstance(index, str):
        df = df.set_axis(rng.permutation(n) * 7)
    elif index is not None:
        df = df.set_axis(index)
    r = dp.ols("y ~ x", df, absorb=["a", "b"], vcov="cluster", cluster="a",
               few_clusters="analytic")
    codes = [_absorb.factor_codes(df[c]) for c in "ab"]
    keep = _absorb.drop_singletons(codes)
    assert r.stats["n_singletons"] == int((~keep).sum()) > 0
    assert refills == [True]
    fit = r._refit
    assert list(fit.d.index) == list(df.index[keep])
    for g, ref in zip(fit.fe_groups, _absorb.recode(codes, keep), strict=True):
        np.testing.assert_array_equal(g, ref)
    ref = dp.ols("y ~ x", df.loc[keep].assign(a=lambda t: t.a.astype(str)), absorb=["a", "b"],
                 vcov="cluster", cluster="a", few_clusters="analytic")
    np.testing.assert_allclose(r.params, ref.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.cov, ref.cov, rtol=1e-10, atol=0)
