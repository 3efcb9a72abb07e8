"""summary_table and balance_table against R (t.test, sandwich HC1, survey::svyvar)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import disparity as dp
from disparity.reports import balance_table, summary_table
from disparity.reports.summary import weighted_stats

from .conftest import REF

#: Closed-form statistics: only the floating-point summation order differs from R.
CLOSED_FORM_TOL = 1e-10


@pytest.fixture(scope="module")
def rref() -> pd.DataFrame:
    return pd.read_csv(REF / "reports" / "r_reference_summary.csv").set_index("variable")


@pytest.fixture(scope="module")
def data(sample) -> pd.DataFrame:
    return sample.assign(fw=1 + (sample["hh"] % 3))


@pytest.mark.reference
def test_balance_unweighted_is_welch(data, rref):
    t = balance_table(data, ["x1", "x2", "y"], "yb", digits=6)
    got = t.data.set_index("variable")
    for v in ["x1", "x2", "y"]:
        assert got.loc[v, "mean_0"] == pytest.approx(rref.loc[v, "mean_0"], rel=CLOSED_FORM_TOL)
        assert got.loc[v, "mean_1"] == pytest.approx(rref.loc[v, "mean_1"], rel=CLOSED_FORM_TOL)
        assert got.loc[v, "t"] == pytest.approx(rref.loc[v, "welch_t"], rel=CLOSED_FORM_TOL)
        assert got.loc[v, "p_value"] == pytest.approx(rref.loc[v, "welch_p"], rel=1e-8)
    row = next(r for r in t.body if r[0] == "x1")
    assert row[1] == f"{rref.loc['x1', 'mean_0']:.6f}" and row[4] == f"{rref.loc['x1', 'welch_t']:.2f}"
    assert row[3].endswith("***")


@pytest.mark.reference
def test_balance_weighted_is_wls_hc1(data, rref):
    t = balance_table(data, ["x1", "x2", "y"], "yb", weights="w", lang="en")
    got = t.data.set_index("variable")
    for v in ["x1", "x2", "y"]:
        assert got.loc[v, "mean_0"] == pytest.approx(rref.loc[v, "wmean_0"], rel=CLOSED_FORM_TOL)
        assert got.loc[v, "mean_1"] == pytest.approx(rref.loc[v, "wmean_1"], rel=CLOSED_FORM_TOL)
        assert got.loc[v, "t"] == pytest.approx(rref.loc[v, "wls_t"], rel=CLOSED_FORM_TOL)
        assert got.loc[v, "p_value"] == pytest.approx(rref.loc[v, "wls_p"], rel=1e-8)
    assert "weighted regression on the group indicator" in t.notes[0]


def test_standardised_difference_formula(data):
    t = balance_table(data, ["x1"], "yb", test="smd")
    g0, g1 = data.loc[data.yb == 0, "x1"], data.loc[data.yb == 1, "x1"]
    d = (g1.mean() - g0.mean()) / np.sqrt((g1.var() + g0.var()) / 2)
    assert t.data["smd"].item() == pytest.approx(d, rel=CLOSED_FORM_TOL)
    assert [c.text for c in t.header[0]] == ["变量", "0", "1", "差异", "标准化差异"]


@pytest.mark.reference
def test_summary_weights_match_r(data, rref):
    a = summary_table(data, ["x1", "x2", "y"], weights="w", weight_type="aweight", stats=("n", "mean", "sd"), digits=8)
    f = summary_table(data, ["x1", "x2", "y"], weights="fw", weight_type="fweight", stats=("n", "mean", "sd", "median"))
    u = summary_table(data, ["x1", "x2", "y"], stats=("n", "mean", "sd", "median"))
    A, F, U = (x.data.set_index("variable") for x in (a, f, u))
    for v in ["x1", "x2", "y"]:
        assert A.loc[v, "mean"] == pytest.approx(rref.loc[v, "wmean"], rel=CLOSED_FORM_TOL)
        assert A.loc[v, "sd"] == pytest.approx(rref.loc[v, "asd"], rel=CLOSED_FORM_TOL)
        assert F.loc[v, "mean"] == pytest.approx(rref.loc[v, "fmean"], rel=CLOSED_FORM_TOL)
        assert F.loc[v, "sd"] == pytest.approx(rref.loc[v, "fsd"], rel=CLOSED_FORM_TOL)
        assert F.loc[v, "n"] == rref.loc[v, "fn"]
        assert F.loc[v, "median"] == pytest.approx(rref.loc[v, "fmedian"], rel=CLOSED_FORM_TOL)
        assert U.loc[v, "sd"] == pytest.approx(rref.loc[v, "sd"], rel=CLOSED_FORM_TOL)
        assert U.loc[v, "median"] == pytest.approx(rref.loc[v, "median"], rel=CLOSED_FORM_TOL)
    row = next(r for r in a.body if r[0] == "y")
    assert row == ("y", "400", f"{rref.loc['y', 'wmean']:.8f}", f"{rref.loc['y', 'asd']:.8f}")


def test_summary_by_group_layout(survey):
    t = summary_table(survey, ["age", "income"], by="urban", stats=("n", "mean"), labels={"0": "农村", "1": "城镇", "age": "年龄"})
    assert [(c.text, c.span) for c in t.header[0]] == [("", 1), ("农村", 2), ("城镇", 2), ("全样本", 2)]
    assert [c.text for c in t.header[1]] == ["变量", "观测值", "均值", "观测值", "均值", "观测值", "均值"]
    age = next(r for r in t.body if r[0] == "年龄")
    rural = survey.loc[survey.urban == 0, "age"]
    assert age[1:3] == (str(len(rural)), f"{rural.mean():.3f}")
    income = next(r for r in t.body if r[0] == "income")
    assert income[5] == str(survey["income"].notna().sum())  # missing incomes (CFPS -2) are dropped


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.integers(1, 4)), min_size=2, max_size=30))
def test_fweights_equal_replication(pairs):
    x = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs], dtype=float)
    got = weighted_stats(x, w, "fweight")
    rep = np.repeat(x, w.astype(int))
    assert got["n"] == len(rep)
    assert got["mean"] == pytest.approx(rep.mean(), rel=1e-9, abs=1e-9)
    assert got["sd"] == pytest.approx(rep.std(ddof=1), rel=1e-7, abs=1e-7)


def test_bad_input(survey, data):
    with pytest.raises(dp.errors.DataValueError, match="categorical"):
        summary_table(dp.datasets.chifeng_survey(), ["urban"])
    with pytest.raises(dp.errors.SpecificationError, match="not in the data"):
        summary_table(data, ["nope"])
    with pytest.raises(dp.errors.DataValueError, match="has 12 groups"):
        balance_table(survey, ["age"], "county")
    with pytest.raises(dp.errors.DataValueError, match="missing or negative"):
        summary_table(data.assign(w=-data["w"]), ["x1"], weights="w")
    with pytest.raises(dp.errors.SpecificationError, match="stats entry='p90'"):
        summary_table(data, ["x1"], stats=("p90",))
