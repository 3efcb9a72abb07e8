"""sort_order: a faster exact replacement for np.argsort on the rank-based indices' hot path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disparity.measures._engine import FAST_ORDER_MAX_REPAIR, sort_order, sort_ranks


def _check(x):
    o = sort_order(x)
    assert np.array_equal(np.sort(o), np.arange(x.size))  # a permutation
    assert np.array_equal(x[o], np.sort(x))  # that sorts
    order, starts = sort_ranks(x)
    xs = np.sort(x)
    expected = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    if expected.size == x.size:
        assert starts is None  # no ties
    else:
        assert starts is not None and np.array_equal(starts, expected)  # tie groups, from keys
    assert np.array_equal(x[order], xs)


@pytest.mark.parametrize("make", [
    lambda r, n: r.lognormal(8, 1, n),
    lambda r, n: r.normal(size=n),  # negatives
    lambda r, n: np.round(r.lognormal(8, 1, n), -2),  # heavy ties
    lambda r, n: 1e6 + r.normal(size=n) * 1e-7,  # values that differ below the index bits: repaired or argsort
    lambda r, n: np.concatenate([r.lognormal(size=n - 50), 7 + r.normal(size=50) * 1e-12]),  # a few close ones
    lambda r, n: np.concatenate([r.normal(size=n - 4), [0.0, -0.0, np.inf, -np.inf]]),
    lambda r, n: np.concatenate([r.lognormal(size=n - 6), [3.5, 3.5, 0.0, -0.0, 2.0, 2.0]]),  # few ties
    lambda r, n: np.concatenate([r.lognormal(size=n - 9), 7 + r.normal(size=9) * 1e-12, ]),
])
def test_sort_order_is_an_exact_sorting_permutation(make):
    _check(make(np.random.default_rng(3), 200_000))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=40),
       st.integers(0, 60))
def test_sort_order_property(values, shift):
    # the fast path starts at 1,024 rows: tile the drawn values (ties) and nudge copies by a few ulps
    base = np.resize(np.array(values, dtype=np.float64), 1100)
    with np.errstate(over="ignore"):  # nudging the largest finite float gives inf: fine here
        x = np.nextafter(base, np.inf) if shift % 2 else base.copy()
        x[::7] = np.nextafter(x[::7], -np.inf)
    _check(x)


def test_repair_threshold_is_a_share():
    assert 0 < FAST_ORDER_MAX_REPAIR < 0.5
