"""The shared assertions of tests/_assert.py fail when the values differ (a helper that cannot fail
would make every test that uses it unable to fail)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from tests._assert import (
    assert_close,
    assert_decomposition,
    assert_same_measure,
    assert_same_model,
    assert_terms_close,
    assert_tidy_close,
)

TOL = 1e-10


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"y": rng.gamma(2.0, 1.0, 40), "x": rng.normal(size=40),
                         "g": np.repeat(["a", "b"], 20)})


def test_assert_close() -> None:
    assert_close([[1.0, 2.0]], [1.0, 2.0 * (1 + TOL / 2)], rtol=TOL)
    with pytest.raises(AssertionError):
        assert_close([1.0, 2.0], [1.0, 2.0 * (1 + 10 * TOL)], rtol=TOL)
    with pytest.raises(AssertionError):
        assert_close([0.0], [1e-9], rtol=TOL, atol=1e-10)


def test_assert_terms_close() -> None:
    ref = pd.Series({"Intercept": 1.0, "x": 2.0})
    assert_terms_close(pd.Series({"x": 2.0, "Intercept": 1.0, "extra": 5.0}), ref, TOL)
    with pytest.raises(AssertionError, match="terms missing"):
        assert_terms_close(pd.Series({"Intercept": 1.0}), ref, TOL)
    with pytest.raises(AssertionError):
        assert_terms_close(pd.Series({"Intercept": 1.0, "x": 2.1}), ref, TOL)


def test_same_measure_and_tidy(frame) -> None:
    a = dp.theil(frame, "y", "g")
    assert_same_measure(a, dp.theil(frame, "y", "g"), rtol=TOL)
    assert_tidy_close(a, dp.theil(frame, "y", "g"), rtol=TOL)
    other = frame.assign(y=frame["y"] * np.where(frame["g"] == "a", 1.0, 1.001))
    with pytest.raises(AssertionError):
        assert_same_measure(a, dp.theil(other, "y", "g"), rtol=TOL)
    with pytest.raises(AssertionError):
        assert_tidy_close(a, dp.theil(other, "y", "g"), rtol=TOL)
    with pytest.raises(AssertionError):
        assert_same_measure(a, dp.mld(frame, "y", "g"), rtol=TOL)


def test_same_model(frame) -> None:
    a = dp.ols("y ~ x", frame, vcov="HC1")
    assert_same_model(a, dp.ols("y ~ x", frame, vcov="HC1"), rtol=TOL)
    with pytest.raises(AssertionError):
        assert_same_model(a, dp.ols("y ~ x", frame, vcov="HC0"), rtol=TOL)
    with pytest.raises(AssertionError):
        assert_same_model(a, dp.ols("y ~ x", frame.iloc[1:], vcov="HC1"), rtol=TOL)


class _Est:
    def __init__(self, value: float, std_error: float) -> None:
        self.value, self.std_error = value, std_error


def test_assert_decomposition() -> None:
    block = {"overall": {"component": ["gap"], "estimate": [2.0], "std_error": [0.5]},
             "detail": {"explained": {"estimate": [1.0, 0.5], "std_error": [0.1, 0.2]}}}
    detail = pd.DataFrame({"component": ["explained", "explained", "other"],
                           "estimate": [1.0, 0.5, 9.0], "std_error": [0.1, 0.2, 9.0]})
    kw = dict(rtol=TOL, se_rtol=TOL, detail_atol=0.0, detail_se_atol=0.0)
    assert_decomposition({"gap": _Est(2.0, 0.5)}, detail, block, **kw)
    with pytest.raises(AssertionError):
        assert_decomposition({"gap": _Est(2.0, 0.51)}, detail, block, **kw)
    with pytest.raises(AssertionError):
        assert_decomposition({"gap": _Est(2.0, 0.5)}, detail.assign(estimate=[1.0, 0.6, 9.0]), block, **kw)
