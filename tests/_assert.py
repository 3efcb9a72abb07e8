"""Shared test assertions: numeric closeness, term-indexed series, tidy frames, same measure/model,
decompositions against a stored reference block.

Every function takes its tolerance from the caller, who names it as a constant with its reason
(``ENGINE_TOL``, ``WRAPPER_TOL``, ...); nothing here picks a tolerance of its own beyond the
absolute floors that were written beside the comparisons these helpers replace.

Import from any test folder as ``from tests._assert import assert_close``, as tests import
``tests.io.helpers``: under ``--import-mode=importlib`` this resolves from the repository root with
``python -m pytest`` (``make test``) and with a bare ``pytest``, the root not on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

__all__ = [
    "assert_close",
    "assert_terms_close",
    "assert_tidy_close",
    "assert_same_measure",
    "assert_same_model",
    "assert_decomposition",
]


def assert_close(actual: Any, expected: Any, *, rtol: float, atol: float = 0.0) -> None:
    """``actual`` (flattened to float) equals ``expected`` to ``rtol`` (and ``atol``)."""
    np.testing.assert_allclose(np.asarray(actual, dtype=float).ravel(), expected, rtol=rtol, atol=atol)


def assert_terms_close(ours: pd.Series, ref: pd.Series, rtol: float) -> None:
    """Every term of ``ref`` is in ``ours`` with the same value to ``rtol`` (no absolute slack)."""
    ours = ours.reindex(ref.index)
    assert not ours.isna().any(), f"terms missing: {list(ref.index[ours.isna()])}"
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=rtol, atol=0)


def assert_tidy_close(a: Any, b: Any, *, rtol: float, atol: float = 0.0) -> None:
    """Two results have the same ``tidy()`` frame (labels and dtypes exact, numbers to ``rtol``)."""
    pd.testing.assert_frame_equal(a.tidy(), b.tidy(), rtol=rtol, atol=atol)


def assert_same_measure(a: Any, b: Any, *, rtol: float, zero_tol: float = 0.0) -> None:
    """Two :class:`~disparity.MeasureResult` agree: components, groups and labels exactly;
    estimates, standard errors and nobs to ``rtol``; measure, ``by`` and SE method; details.

    ``zero_tol``: values below this fraction of the column's largest in ``b`` count as zero (a
    quantity zero in exact arithmetic is rounding noise on either path)."""
    ta = a.table.reset_index(drop=True)
    tb = b.table.reset_index(drop=True)
    assert list(ta.columns) == list(tb.columns)
    assert list(ta["component"]) == list(tb["component"])
    for col in ta.columns:
        if col in ("estimate", "std_error", "nobs"):
            ref = tb[col].to_numpy(float)
            floor = zero_tol * np.nanmax(np.abs(ref), initial=0.0)
            np.testing.assert_allclose(ta[col].to_numpy(float), ref, rtol=rtol, atol=floor)
        elif col != "component":
            assert list(ta[col]) == list(tb[col])
    assert a.measure == b.measure
    assert a.by == b.by
    assert a.se_method == b.se_method
    if b.details is not None:
        pd.testing.assert_frame_equal(a.details.reset_index(drop=True),
                                      b.details.reset_index(drop=True),
                                      check_dtype=False, rtol=rtol)


def assert_same_model(
    a: Any, b: Any, *, rtol: float, params_atol: float = 1e-10, cov_atol: float = 1e-14,
    tidy_atol: float = 1e-12,
) -> None:
    """Two :class:`~disparity.ModelResult` agree: terms exactly; coefficients, covariance and
    ``tidy()`` to ``rtol`` (absolute floors for values that are zero in exact arithmetic);
    nobs, df, covariance kind and dropped rows exactly."""
    assert list(a.params.index) == list(b.params.index)
    np.testing.assert_allclose(a.params, b.params, rtol=rtol, atol=params_atol)
    np.testing.assert_allclose(a.cov.to_numpy(), b.cov.to_numpy(), rtol=rtol, atol=cov_atol)
    assert a.nobs == b.nobs
    assert a.df == b.df
    assert a.spec.vcov == b.spec.vcov
    assert a.spec.n_dropped == b.spec.n_dropped
    pd.testing.assert_frame_equal(a.tidy(), b.tidy(), rtol=rtol, atol=tidy_atol)



def assert_decomposition(
    got: Mapping[str, Any], detail: pd.DataFrame, block: Mapping[str, Any], *, rtol: float,
    se_rtol: float, atol: float | None = None, se_atol: float | None = None, detail_atol: float,
    detail_se_atol: float, parts: Iterable[str] | None = None,
) -> None:
    """A decomposition equals a stored reference ``block``: each estimate in ``got`` (``.value``,
    ``.std_error``) the row of ``block["overall"]`` (lists ``component``, ``estimate``,
    ``std_error``) of its name, and the ``detail`` rows of each part (all of ``block["detail"]``
    unless ``parts`` is given) its ``estimate`` and ``std_error`` lists. ``atol``/``se_atol``
    None keep pytest.approx's default absolute floor."""
    overall = block["overall"]
    ref = dict(zip(overall["component"], zip(overall["estimate"], overall["std_error"], strict=True),
                   strict=True))
    for name, est in got.items():
        assert est.value == pytest.approx(ref[name][0], rel=rtol, abs=atol)
        assert est.std_error == pytest.approx(ref[name][1], rel=se_rtol, abs=se_atol)
    for part in block["detail"] if parts is None else parts:
        vals, rows = block["detail"][part], detail[detail["component"] == part]
        np.testing.assert_allclose(rows["estimate"], vals["estimate"], rtol=rtol, atol=detail_atol)
        np.testing.assert_allclose(rows["std_error"], vals["std_error"], rtol=se_rtol,
                                   atol=detail_se_atol)
