"""Issue 11: rank decisions, conditioning report and the solver's agreement with LAPACK."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import disparity as dp
from disparity.errors import CollinearityError, DataValueError
from disparity.models._solver import solve_lstsq

# Closed-form comparisons of two backward-stable solvers on well-conditioned designs.
CLOSED_FORM_TOL = 1e-10


def frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "g": rng.integers(0, 3, n)}
    )
    df["y"] = 1 + df.x1 - 2 * df.x2 + rng.normal(size=n)
    return df


def test_exactly_collinear_columns_are_named():
    df = frame()
    df["x3"] = df.x1 + 2 * df.x2
    with pytest.raises(
        CollinearityError,
        match=r"'x3' is a linear combination of 'x2', 'x1'|'x\d' is a linear combination",
    ):
        dp.ols("y ~ x1 + x2 + x3", df)
    try:
        dp.ols("y ~ x1 + x2 + x3", df)
    except CollinearityError as exc:
        msg = str(exc)
    assert all(f"'{c}'" in msg for c in ("x1", "x2", "x3"))
    assert "Drop one" in msg


def test_dummy_trap_is_reported():
    df = frame()
    for lev in range(3):
        df[f"d{lev}"] = (df.g == lev).astype(float)
    with pytest.raises(CollinearityError, match="d0|d1|d2"):
        dp.ols("y ~ x1 + d0 + d1 + d2", df)


def test_constant_regressor_is_named():
    df = frame()
    df["one"] = 3.0
    with pytest.raises(CollinearityError, match=r"'one' .*constant"):
        dp.ols("y ~ x1 + one", df)


def test_constant_regressor_without_intercept_is_fine():
    df = frame()
    df["one"] = 1.0
    res = dp.ols("y ~ 0 + one + x1", df)
    ref = dp.ols("y ~ x1", df)
    assert res.params["one"] == pytest.approx(ref.params["Intercept"], rel=CLOSED_FORM_TOL)


def test_too_few_observations():
    df = frame(n=3)
    with pytest.raises(DataValueError, match="Too few observations"):
        dp.ols("y ~ x1 + x2 + C(g)", df)


def test_nearly_collinear_but_full_rank_is_solved():
    # x3 differs from x1 + x2 by noise of relative size 1e-9: ill-conditioned, not singular.
    df = frame(n=500, seed=3)
    rng = np.random.default_rng(9)
    df["x3"] = df.x1 + df.x2 + 1e-9 * rng.normal(size=len(df))
    df["y"] = df.x1 + df.x2 + df.x3 + 0.01 * rng.normal(size=len(df))
    with pytest.warns(dp.errors.PrecisionWarning, match="x3"):
        res = dp.ols("y ~ x1 + x2 + x3", df)
    assert res.glance()["condition_number"].iloc[0] > 1e8
    X = np.column_stack([np.ones(len(df)), df[["x1", "x2", "x3"]]])
    # LAPACK's SVD solve loses ~cond*eps ~ 1e-6 relative; agreement to 1e-4 shows no gross error.
    svd_solution = np.linalg.lstsq(X, df.y.to_numpy(), rcond=None)[0]
    assert np.allclose(res.params.to_numpy(), svd_solution, rtol=1e-4, atol=1e-4)


def test_condition_number_in_glance_matches_svd():
    df = frame()
    res = dp.ols("y ~ x1 + x2", df)
    Z = df[["x1", "x2"]].to_numpy() - df[["x1", "x2"]].to_numpy().mean(0)
    Z = Z / np.linalg.norm(Z, axis=0)
    s = np.linalg.svd(Z, compute_uv=False)
    assert res.glance()["condition_number"].iloc[0] == pytest.approx(s[0] / s[-1], rel=1e-10)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(min_value=8, max_value=60),
    k=st.integers(min_value=1, max_value=5),
    seed=st.integers(min_value=0, max_value=10_000),
    weighted=st.booleans(),
)
def test_solver_agrees_with_lapack_on_well_conditioned_designs(n, k, seed, weighted):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k)) * rng.uniform(0.1, 100, k)])
    y = X @ rng.normal(size=k + 1) + rng.normal(size=n)
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    sol = solve_lstsq(X, y, names=[f"c{i}" for i in range(k + 1)], weights=w, intercept=0)
    sw = np.ones(n) if w is None else np.sqrt(w)
    ref = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
    scale = np.maximum(np.abs(ref), 1e-3)
    assert np.all(np.abs(sol.params - ref) / scale < 1e-8)
    # The bread is the inverse of the weighted cross-product.
    XtWX = (X * (sw**2)[:, None]).T @ X
    assert np.allclose(sol.bread @ XtWX, np.eye(k + 1), atol=1e-8)
    # Residuals are orthogonal to the weighted design.
    assert np.allclose(
        (X * (sw**2)[:, None]).T @ sol.resid, 0, atol=1e-8 * np.abs(y).sum() * np.abs(X).max()
    )


def test_skinny_designs_are_solved_with_one_blas_thread(monkeypatch):
    """Skinny fits run their matrix-vector shaped products on one BLAS thread (a second one only
    spins, doubling CPU time on a loaded machine); wide ones keep the caller's setting."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from disparity.models import _solver

    seen = []

    def record(X, y, **kw):
        seen.append(max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
        return X.shape[1]

    monkeypatch.setattr(_solver, "_solve_lstsq", record)
    rng = np.random.default_rng(0)
    with threadpool_limits(limits=2, user_api="blas"):
        assert solve_lstsq(rng.normal(size=(50, 3)), rng.normal(size=50), names=list("abc")) == 3
        wide = _solver.SKINNY_COLUMNS + 1
        names = [str(i) for i in range(wide)]
        assert solve_lstsq(rng.normal(size=(50, wide)), rng.normal(size=50), names=names) == wide
        outside = max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
    assert seen == [1, outside]  # outside: 2 where the machine has two cores or more
