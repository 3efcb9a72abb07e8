"""progress= reaches the bootstrap's progress bar in every measure that bootstraps (issue 16, item 5)."""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import _resample
from disparity.errors import SpecificationError

CALLS = {
    "gini": lambda df, **kw: dp.gini(df, "y", weights="w", **kw),
    "gini convey": lambda df, **kw: dp.gini(df, "y", weights="w", ranks="convey", **kw),
    "concentration_index": lambda df, **kw: dp.concentration_index(df, "y", "x", weights="w", **kw),
    "ge": lambda df, **kw: dp.ge(df, "y", alpha=2, weights="w", **kw),
    "theil": lambda df, **kw: dp.theil(df, "y", "g", weights="w", **kw),
    "mld": lambda df, **kw: dp.mld(df, "y", "g", weights="w", **kw),
    "cv": lambda df, **kw: dp.cv(df, "y", weights="w", **kw),
    "atkinson": lambda df, **kw: dp.atkinson(df, "y", weights="w", **kw),
    "gap": lambda df, **kw: dp.gap(df, "y", "g", weights="w", **kw),
}


@pytest.fixture
def df():
    rng = np.random.default_rng(16)
    n = 60
    return pd.DataFrame({"y": rng.lognormal(1.0, 0.5, n), "x": rng.normal(size=n),
                         "w": rng.uniform(1.0, 3.0, n), "g": np.repeat(["a", "b"], n // 2)})


@pytest.fixture
def seen(monkeypatch):
    """The ``progress`` each bootstrap opened its Ticker with."""
    got: list[bool] = []
    real = _resample.Ticker

    class Recording(real):
        def __init__(self, *args, progress=True, **kwargs):
            got.append(progress)
            super().__init__(*args, progress=progress, **kwargs)

    monkeypatch.setattr(_resample, "Ticker", Recording)
    return got


@pytest.mark.parametrize("name", list(CALLS))
def test_progress_false_reaches_the_bootstrap(name, df, seen):
    off = CALLS[name](df, se="bootstrap", reps=20, seed=1, progress=False)
    assert seen == [False]
    on = CALLS[name](df, se="bootstrap", reps=20, seed=1)
    assert seen == [False, True]  # the default leaves the bar to the ~2 s rule
    # the bar changes nothing in the numbers
    assert np.array_equal(off.tidy()["std_error"].to_numpy(), on.tidy()["std_error"].to_numpy())
    assert np.isfinite(off.tidy()["std_error"].to_numpy()).all()


@pytest.mark.parametrize("name", list(CALLS))
def test_progress_must_be_a_bool(name, df):
    with pytest.raises(SpecificationError, match="progress"):
        CALLS[name](df, se="bootstrap", reps=20, seed=1, progress="no")
