"""Issue 18 item 6: one weights check (disparity._weights) for measures, models and scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import scale
from disparity.errors import DataValueError


def _message(call) -> str:
    with pytest.raises(DataValueError) as exc:
        call()
    return str(exc.value)


@pytest.mark.parametrize("w, weight_type, core, end", [
    ([1.0, -1.0, 1.0, 1.0, 1.0, 1.0], "pweight", "weights 'w' are missing, negative or infinite in",
     "weights must be finite and >= 0: fix or drop those rows."),
    ([1.0, 1.5, 1.0, 1.0, 1.0, 1.0], "fweight", "frequency weights 'w' must be whole numbers",
     "Use weight_type='pweight' (or 'aweight') for non-integer weights."),
    ([0.0] * 6, "pweight", "the weights 'w' sum to zero", "no observation carries weight."),
])
def test_measures_models_and_scale_say_the_same(engine, tmp_path, w, weight_type, core, end):
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0], "x": [0.0, 1.0, 0.0, 1.0, 1.0, 0.0],
                       "g": ["a", "b"] * 3, "w": w})
    df.to_parquet(tmp_path / "w.parquet")
    t = engine.read_parquet(tmp_path / "w.parquet")
    measure = _message(lambda: dp.gini(df, "y", weights="w", weight_type=weight_type))
    model = _message(lambda: dp.ols("y ~ x", df, weights="w", weight_type=weight_type))
    engine_msg = _message(lambda: scale.gap(t, "y", "g", weights="w", weight_type=weight_type))
    assert measure.startswith("gini: " + core)
    assert model.startswith(core[0].upper() + core[1:])
    assert engine_msg.startswith("scale.gap: " + core)
    # the same advice after the row description, in all three
    assert measure.endswith(end) and model.endswith(end) and engine_msg.endswith(end)


def test_aweights_normalised_once():
    from disparity._weights import check_weights

    w = check_weights(np.array([1.0, 3.0]), pd.RangeIndex(2), "w", "aweight")
    assert w.tolist() == [0.5, 1.5]
