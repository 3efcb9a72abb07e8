"""Bad input to the ML, GLM, count, two-part and decomposition estimators raises a DisparityError."""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DisparityError


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 2, n), "c": rng.integers(0, 5, n)})
    d["y"] = rng.poisson(1.0, n)
    d["yb"] = (d.y > 0).astype(int)
    d["yo"] = np.minimum(d.y, 3)
    d["s"] = np.exp(rng.normal(size=n)) * (d.y > 0)
    d["txt"] = "a"
    return d


CASES = {
    "logit formula None": (lambda d: dp.logit(None, d), "formula must be a string"),
    "ordered formula None": (lambda d: dp.ordered(None, d), "formula must be a string"),
    "glm formula list": (lambda d: dp.glm(["y ~ x"], d), "formula must be a string"),
    "logit information": (lambda d: dp.logit("yb ~ x", d, information="opg"), "information='opg'"),
    "glm data None": (lambda d: dp.glm("y ~ x", None), "DataFrame"),
    "glm text outcome": (lambda d: dp.glm("txt ~ x", d), "takes a single value"),
    "gamma negative": (lambda d: dp.glm("x ~ g", d, family="gamma"), "strictly positive"),
    "poisson negative weights": (lambda d: dp.poisson("y ~ x", d.assign(w=-1.0), weights="w"), "finite and >= 0"),
    "poisson one cluster": (lambda d: dp.poisson("y ~ x", d.assign(k=1), vcov="cluster", cluster="k"),
                            "single cluster"),
    "poisson survey without design": (lambda d: dp.poisson("y ~ x", d, vcov="survey"), "design="),
    "zip inflate missing column": (lambda d: dp.zip("y ~ x", d, inflate="~ nope"), "refers to \\['nope'\\]"),
    "zip inflate not a string": (lambda d: dp.zip("y ~ x", d, inflate=3), "inflate= takes"),
    "hurdle zero missing column": (lambda d: dp.hurdle("y ~ x", d, zero="~ nope"), "zero='~ nope'"),
    "hurdle no zeros": (lambda d: dp.hurdle("y ~ x", d.assign(y=d.y + 1)), "both zero and positive"),
    "zip all zero": (lambda d: dp.zip("y ~ x", d.assign(y=0)), "takes a single value"),
    "negbin all zero": (lambda d: dp.negbin("y ~ x", d.assign(y=0)), "takes a single value"),
    "twopart all zero": (lambda d: dp.twopart("s ~ x", d.assign(s=0.0)), "'s' is never positive"),
    "twopart no zeros": (lambda d: dp.twopart("s ~ x", d.assign(s=1.0 + d.x**2)), "'s' is always positive"),
    "twopart text": (lambda d: dp.twopart("txt ~ x", d), "numeric"),
    "twopart formula None": (lambda d: dp.twopart(None, d), "formula=None"),
    "twopart cluster missing": (lambda d: dp.twopart("s ~ x", d, vcov="cluster"), "cluster="),
    "twopart smear_by missing": (lambda d: dp.twopart("s ~ x", d, second="ols_log", smearing="group",
                                                      smear_by="nope"), "smear_by='nope'"),
    "twopart group without spenders": (lambda d: dp.twopart("s ~ x", d.assign(s=np.where(d.c == 4, 0, d.s)),
                                                            second="ols_log", smearing="group", smear_by="c"),
                                       "no positive amounts"),
    "irr of a logit": (lambda d: dp.irr(dp.logit("yb ~ x", d)), "irr\\(\\) needs a count model"),
    "irr level": (lambda d: dp.irr(dp.poisson("y ~ x", d), level=2), "level=2"),
    "marginal effect of a missing variable": (lambda d: dp.poisson("y ~ x", d).marginal_effects("nope"), "nope"),
    "two-part marginal effect of a missing variable": (lambda d: dp.twopart("s ~ x", d).marginal_effects("nope"),
                                                       "nope"),
    "glm with_vcov HC3": (lambda d: dp.glm("y ~ x", d, family="poisson").with_vcov("HC3"), "vcov='HC3'"),
    "fairlie data None": (lambda d: dp.fairlie("yb ~ x", None, by="g"), "DataFrame"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_raises_a_disparity_error(df, name):
    fn, match = CASES[name]
    with pytest.raises(DisparityError, match=match):
        fn(df)
