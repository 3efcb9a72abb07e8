"""The batched ATT(g,t) computation against a literal per-cell transcription of DRDID.

``group_time_effects`` estimates all cells sharing a comparison sample from one weighted
cross-product of their outcome changes and builds the influence functions as
``alpha * dY + Z C``; here every cell is recomputed on its own, term by term as Sant'Anna & Zhao
(2020) and ``DRDID::drdid_panel`` / ``std_ipw_did_panel`` / ``reg_did_panel`` write them, with a
statsmodels logit. Also: the reshape path for sorted balanced panels gives the same panel as the
general factorize-and-scatter path.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from disparity.models.did._panel import wide_panel
from disparity.models.did.cs import PS_CAP, PS_TRIM, group_time_effects

from .conftest import REF

# Both sides solve the same equations in a different order (statsmodels IRLS stops at a deviance
# change of 1e-8, where the coefficients are converged to ~1e-12); influence functions are O(1).
CELL_TOL = 1e-9


def _drdid_cell(dy, d, X, w, method):
    """One 2x2 cell, the DRDID way (every unit of the cell's sample; returns att, psi)."""
    n = len(d)
    w = w / w.mean()
    if method != "reg":
        ps = sm.GLM(d, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-14).predict()
        ps = np.minimum(ps, PS_CAP)
        trim = np.where(d == 0, ps < PS_TRIM, True)
        score_ps = (w * (d - ps))[:, None] * X
        hess = np.linalg.inv(X.T @ ((w * ps * (1 - ps))[:, None] * X)) * n
        alr_ps = score_ps @ hess
    ctrl = d == 0
    if method != "ipw":
        wc0 = w * ctrl
        beta = np.linalg.solve(X.T @ (wc0[:, None] * X), X.T @ (wc0 * dy))
        fit = X @ beta
        alr_ols = (wc0 * (dy - fit))[:, None] * X @ np.linalg.inv(X.T @ (wc0[:, None] * X) / n)
    if method == "reg":
        wt = w * d
        eta1 = np.sum(wt * dy) / wt.sum()
        eta0 = np.sum(wt * fit) / wt.sum()
        inf_t = wt * (dy - eta1) / wt.mean()
        inf_c = (wt * (fit - eta0) + alr_ols @ (X.T @ wt / n)) / wt.mean()
        return eta1 - eta0, inf_t - inf_c
    wt = w * d * trim
    wc = w * ps * (1 - d) / (1 - ps) * trim
    if method == "ipw":
        eta1 = np.sum(wt * dy) / wt.sum()
        eta0 = np.sum(wc * dy) / wc.sum()
        inf_t = wt * (dy - eta1) / wt.mean()
        m2 = X.T @ (wc * (dy - eta0)) / n
        inf_c = (wc * (dy - eta0) + alr_ps @ m2) / wc.mean()
        return eta1 - eta0, inf_t - inf_c
    r = dy - fit
    eta1 = np.sum(wt * r) / wt.sum()
    eta0 = np.sum(wc * r) / wc.sum()
    inf_t = (wt * (r - eta1) - alr_ols @ (X.T @ wt / n)) / wt.mean()
    m2 = X.T @ (wc * (r - eta0)) / n
    inf_c = (wc * (r - eta0) + alr_ps @ m2 - alr_ols @ (X.T @ wc / n)) / wc.mean()
    return eta1 - eta0, inf_t - inf_c


@pytest.fixture(scope="module")
def panel_tv():
    """The reference panel with a covariate that changes over time and its rows shuffled."""
    sim = pd.read_csv(REF / "sim_panel.csv")
    rng = np.random.default_rng(11)
    return sim.assign(x1=sim["x1"] + 0.3 * rng.normal(size=len(sim))).sample(frac=1, random_state=4)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("weights", [None, "w"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_every_cell_equals_its_own_drdid_fit(panel_tv, method, control, weights, base_period):
    P = wide_panel(panel_tv, "y", "id", "t", "g", covariates=["x1", "x2"], weights=weights)
    gt = group_time_effects(P, control=control, method=method, base_period=base_period)
    n = len(P.units)
    checked = 0
    for c, row in enumerate(gt.cells.itertuples()):
        j, b = np.searchsorted(P.times, [row.time, row.base])
        if j == b:
            assert row.att == 0 and not gt.inf[:, c].any()
            continue
        treat = P.G == row.cohort
        horizon = P.times[max(j, b)]
        never = ~np.isfinite(P.G)
        ctrl = never if control == "never" else never | ((P.G > horizon) & ~treat)
        s = treat | ctrl
        X = np.column_stack([np.ones(s.sum()), P.X[s, b, :]])  # covariates of the base period
        att, psi = _drdid_cell(P.Y[s, j] - P.Y[s, b], treat[s].astype(float), X, P.w[s], method)
        assert row.att == pytest.approx(att, abs=CELL_TOL)
        np.testing.assert_allclose(gt.inf[s, c], psi * n / s.sum(), rtol=0, atol=CELL_TOL)
        assert not gt.inf[~s, c].any()  # units outside the cell's sample do not enter it
        checked += 1
    assert checked >= 30


def test_sorted_balanced_rows_are_reshaped_to_the_same_panel(panel_tv):
    """The reshape path (rows sorted by unit and period) and the general path agree exactly."""
    sorted_rows = panel_tv.sort_values(["id", "t"]).reset_index(drop=True)
    fast = wide_panel(sorted_rows, "y", "id", "t", "g", covariates=["x1", "x2"], weights="w")
    slow = wide_panel(panel_tv, "y", "id", "t", "g", covariates=["x1", "x2"], weights="w")
    for f in ("units", "times", "Y", "G", "w", "X"):
        np.testing.assert_array_equal(getattr(fast, f), getattr(slow, f))
    # one row missing: not balanced, so the general path runs (and drops that unit)
    gap = sorted_rows.drop(index=5)
    with pytest.warns(UserWarning, match="1 of 400 units"):
        P = wide_panel(gap, "y", "id", "t", "g")
    assert len(P.units) == 399 and sorted_rows.loc[5, "id"] not in P.units


def test_reshape_path_edge_cases_match_the_general_path(panel_tv):
    sorted_rows = panel_tv.sort_values(["id", "t"]).reset_index(drop=True)
    d = sorted_rows.assign(g=sorted_rows["g"].astype(float), x2=sorted_rows["x2"].astype(float))
    never = d.index[d["g"] == 0]
    d.loc[never[::2], "g"] = np.nan  # never treated written as 0 on some rows and NaN on others
    d.loc[d.index[:16], "x2"] = 1e308  # two units: finite values whose row sum overflows
    d.loc[d.index[40], "x1"] = np.inf  # and one unit with an infinite covariate
    with pytest.warns(UserWarning, match="1 of 400 units"):
        fast = wide_panel(d, "y", "id", "t", "g", covariates=["x1", "x2"])
    with pytest.warns(UserWarning, match="1 of 400 units"):
        slow = wide_panel(d.sample(frac=1, random_state=2), "y", "id", "t", "g", covariates=["x1", "x2"])
    for f in ("units", "times", "Y", "G", "w", "X"):
        np.testing.assert_array_equal(getattr(fast, f), getattr(slow, f))
    assert d.loc[40, "id"] not in fast.units and d.loc[0, "id"] in fast.units
    assert np.isinf(fast.G).sum() == (sorted_rows.groupby("id")["g"].first() == 0).sum()
