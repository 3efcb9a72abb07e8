"""Every estimator returns the same frozen result vocabulary."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from linearmodels.datasets import wage_panel

import disparity as dp
from disparity.models.results import ModelSummary

TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def fits(sample):
    wp = wage_panel.load()
    yield "ols", dp.ols("y ~ x1 + x2", sample, vcov="HC1")
    yield "wild", dp.ols("y ~ x1 + x2", sample, vcov="wild", cluster="county", reps=199, seed=1)
    yield "logit", dp.logit("yb ~ x1 + x2", sample)
    yield "probit", dp.probit("yb ~ x1 + x2", sample, vcov="cluster", cluster="county")
    yield "ordered", dp.ordered("yo ~ x1 + x2", sample)
    yield "quantreg", dp.quantreg("y ~ x1 + x2", sample)
    yield "iv", dp.iv("yiv ~ 1 + x1 + [dend ~ z1 + z2]", sample)
    yield "fe", dp.panel("lwage ~ expersq + union", wp, entity="nr", time="year", effects="twoway")
    yield "re", dp.panel("lwage ~ expersq + union", wp, entity="nr", time="year", model="re")


def test_common_vocabulary(sample):
    for name, res in fits(sample):
        assert dataclasses.is_dataclass(res) and res.__dataclass_params__.frozen, name
        t = res.tidy()
        assert list(t.columns) == TIDY, name
        assert len(t) == len(res.params) and t.term.tolist() == [str(i) for i in res.params.index]
        assert np.all(np.isfinite(t[["estimate", "std_error", "p_value"]].to_numpy())), name
        assert (t.conf_low < t.estimate).all() and (t.estimate < t.conf_high).all(), name
        for attr in ("std_errors", "tstats", "pvalues"):
            s = getattr(res, attr)
            assert isinstance(s, pd.Series) and s.index.equals(res.params.index), (name, attr)
        assert res.cov.index.equals(res.params.index) and res.cov.columns.equals(res.params.index)
        g = res.glance()
        assert len(g) == 1 and g.nobs.iloc[0] == res.nobs, name
        assert isinstance(res.summary(), ModelSummary)
        assert "<table>" in res._repr_html_()
        assert res.spec.formula and res.raw is not None
        narrow, wide = res.conf_int(0.5), res.conf_int(0.99)
        assert (narrow.conf_low > wide.conf_low).all(), name


def test_level_must_be_a_probability(sample):
    res = dp.ols("y ~ x1", sample)
    with pytest.raises(dp.errors.SpecificationError, match="between 0 and 1"):
        res.conf_int(95)
