"""The blocked independent-rows variance of totals-based measures equals the influence-function route."""

import numpy as np
import pytest

from disparity.measures import _engine
from disparity.measures._engine import totals_kernel_out

# both routes sum the same squares in a different order: agreement to rounding
BLOCKED_RTOL = 1e-9


def _f(m, g):
    def f(t):
        t = t.reshape(m, g)
        big_w, big_y, big_s = t[0].sum(), t[1].sum(), t[2].sum()
        shares = t[1] / big_y
        return np.concatenate(([big_s / big_y - np.log(big_y / big_w)], shares))
    return f


@pytest.mark.parametrize("n_groups", [1, 2, 70])  # no groups, one-hot sums, bincount sums
def test_blocked_iid_variance_matches_influence(n_groups):
    rng = np.random.default_rng(22)
    n = 3 * _engine._CHUNK + 17  # several blocks and a ragged last one
    y = rng.lognormal(7.0, 1.0, n) + 1e4  # an offset: centring must keep the sums accurate
    w = rng.uniform(50.0, 500.0, n)
    h = [None, y, y * np.log(y)]
    codes = None if n_groups == 1 else rng.integers(0, n_groups, n).astype(np.intp)
    names = ["t"] + [f"s{g}" for g in range(n_groups)]
    f = _f(3, n_groups)
    v1, _, _, var = totals_kernel_out(f, h, w, codes, n_groups, names, True, iid_variance=True)
    v2, inf, _, none = totals_kernel_out(f, h, w, codes, n_groups, names, True, iid_variance=False)
    assert none is None and inf is not None and var is not None
    z = inf * w[:, None]
    expected = n / (n - 1) * ((z * z).sum(axis=0) - z.sum(axis=0) ** 2 / n)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_allclose(var[0], expected[0], rtol=BLOCKED_RTOL)
    assert var[0] > 0
    if n_groups > 1:  # (one group's share is identically 1: variance zero up to rounding)
        np.testing.assert_allclose(var[1:], expected[1:], rtol=BLOCKED_RTOL)
        assert (var[1:] > 0).all()
