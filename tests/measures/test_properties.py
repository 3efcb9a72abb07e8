"""Axiomatic properties of the indices (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import disparity as dp
from disparity.errors import CollinearityError

# invariances hold exactly in real arithmetic; in floating point up to accumulated rounding
PROPERTY_TOL = 1e-9

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

incomes = st.integers(3, 40).flatmap(
    lambda n: arrays(np.float64, n, elements=st.floats(0.5, 1000.0, allow_nan=False))
)


def _frame(y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "y": y,
        "w": rng.uniform(0.5, 3.0, y.size),
        "x": rng.permutation(y.size).astype(float),
        "g": rng.integers(0, 3, y.size),
    })


RELATIVE = {
    "gini": lambda d: dp.gini(d, "y", weights="w", se="none").value,
    "theil": lambda d: dp.theil(d, "y", weights="w", se="none").value,
    "mld": lambda d: dp.mld(d, "y", weights="w", se="none").value,
    "ge2": lambda d: dp.ge(d, "y", alpha=2, weights="w", se="none").value,
    "ge_m1": lambda d: dp.ge(d, "y", alpha=-1, weights="w", se="none").value,
    "atkinson_half": lambda d: dp.atkinson(d, "y", epsilon=0.5, weights="w", se="none").value,
    "atkinson_2": lambda d: dp.atkinson(d, "y", epsilon=2, weights="w", se="none").value,
    "ci": lambda d: dp.concentration_index(d, "y", "x", weights="w", se="none").value,
}


@pytest.mark.parametrize("name", sorted(RELATIVE))
@SETTINGS
@given(y=incomes, scale=st.floats(0.01, 100.0))
def test_relative_indices_are_scale_invariant(name, y, scale):
    d = _frame(y)
    d2 = d.assign(y=d["y"] * scale)
    assert RELATIVE[name](d2) == pytest.approx(RELATIVE[name](d), abs=PROPERTY_TOL)


@pytest.mark.parametrize("name", sorted(RELATIVE))
@SETTINGS
@given(y=incomes, k=st.integers(2, 4))
def test_population_replication(name, y, k):
    d = _frame(y)
    rep = pd.concat([d] * k, ignore_index=True)
    assert RELATIVE[name](rep) == pytest.approx(RELATIVE[name](d), abs=PROPERTY_TOL)


@SETTINGS
@given(y=incomes, shift=st.floats(0.1, 50.0))
def test_absolute_indices_are_translation_invariant(y, shift):
    d = _frame(y)
    d2 = d.assign(y=d["y"] + shift)
    lo, hi = 0.0, 2000.0
    for kind, b, b2 in (("generalized", None, None),
                        ("erreygers", (lo, hi), (lo + shift, hi + shift))):
        a = dp.concentration_index(d, "y", "x", kind=kind, bounds=b, weights="w", se="none").value
        c = dp.concentration_index(d2, "y", "x", kind=kind, bounds=b2, weights="w",
                                   se="none").value
        assert c == pytest.approx(a, abs=PROPERTY_TOL * max(1.0, abs(a)))
    # a relative index falls when everybody gains the same amount
    g1 = dp.gini(d, "y", weights="w", se="none").value
    g2 = dp.gini(d2, "y", weights="w", se="none").value
    assert g2 <= g1 + PROPERTY_TOL


@SETTINGS
@given(y=incomes, counts=st.data())
def test_frequency_weights_equal_duplicated_rows(y, counts):
    f = np.array(counts.draw(st.lists(st.integers(1, 4), min_size=y.size, max_size=y.size)))
    d = _frame(y).assign(f=f)
    dup = d.loc[d.index.repeat(f)].reset_index(drop=True)
    for fn in (
        lambda df, **kw: dp.gini(df, "y", **kw),
        lambda df, **kw: dp.theil(df, "y", "g", **kw),
        lambda df, **kw: dp.concentration_index(df, "y", "x", **kw),
        lambda df, **kw: dp.atkinson(df, "y", epsilon=1.5, **kw),
    ):
        a = fn(d, weights="f", weight_type="fweight").table
        b = fn(dup).table
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=PROPERTY_TOL, atol=1e-12)
        # a near-zero SE (e.g. a between-group Theil term) differs by rounding at the scale of the
        # table's largest SE, so the absolute tolerance follows that scale
        scale = float(np.nanmax(np.abs(b["std_error"]))) if len(b) else 0.0
        np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-7, atol=max(1e-12, 1e-6 * scale))
        assert (a["nobs"] == b["nobs"]).all()


@SETTINGS
@given(y=incomes, frac=st.floats(0.05, 0.45))
def test_pigou_dalton_transfer_reduces_inequality(y, frac):
    y = np.sort(y)
    assume(y[-1] - y[0] > 1e-3)
    before = _frame(y)
    w = before["w"].to_numpy()
    # a mean-preserving, rank-preserving transfer between the poorest and the richest person:
    # the weighted total moved is the same on both sides
    amount = frac * (y[-1] - y[0]) / (1 / w[0] + 1 / w[-1])
    z = y.copy()
    z[0] += amount / w[0]
    z[-1] -= amount / w[-1]
    after = before.assign(y=z)
    for name in ("gini", "theil", "mld", "ge2", "ge_m1", "atkinson_half", "atkinson_2"):
        assert RELATIVE[name](after) < RELATIVE[name](before) + 1e-12, name


@pytest.mark.parametrize("alpha", [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
@SETTINGS
@given(y=incomes)
def test_within_plus_between_is_total(alpha, y):
    d = _frame(y)
    r = dp.ge(d, "y", alpha=alpha, group="g", weights="w", se="none")
    t = r.table.set_index("component")["estimate"]
    assert t["within"] + t["between"] == pytest.approx(t["total"], abs=PROPERTY_TOL)
    assert r.details["contribution"].sum() == pytest.approx(t["within"], abs=PROPERTY_TOL)


@SETTINGS
@given(y=incomes, groups=st.integers(2, 10))
def test_incidence_shares_sum_to_one(y, groups):
    d = _frame(y)
    r = dp.benefit_incidence(d, "y", "x", groups=groups, weights="w", se="none")
    assert r.details["share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert r.details["pop_share"].sum() == pytest.approx(1.0, abs=1e-12)


@SETTINGS
@given(y=incomes)
def test_ci_decomposition_adds_up(y):
    d = _frame(y).assign(z=lambda t: np.sqrt(t["y"]) + t["x"])
    try:
        r = dp.ci_decomposition(d, "y", "x", ["z", "g"], weights="w", se="none")
    except CollinearityError:
        assume(False)
    t = r.table.set_index("component")["estimate"]
    parts = t.drop("ci").sum()
    assert parts == pytest.approx(t["ci"], abs=PROPERTY_TOL)
