"""regression_table: numbers, notes, options and bad input, through the public API."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import disparity as dp
from disparity.reports import regression_table
from disparity.reports.regression import significance_stars

from .conftest import LABELS


def _fmt(x: float, d: int = 3) -> str:
    return f"{x:.{d}f}"


def _row(table, label):
    rows = [r for r in table.body if r[0] == label]
    assert rows, f"no row {label!r} in {[r[0] for r in table.body]}"
    i = table.body.index(rows[0])
    return table.body[i], table.body[i + 1]


def test_cells_are_the_results_numbers(models):
    m1, m2 = models["m1"], models["m2"]
    t = regression_table([m1, m2], labels=LABELS)
    est, se = _row(t, "待遇差距")
    for j, m in enumerate([m1, m2], start=1):
        b = m.params["benefit_gap"]
        p = m.pvalues["benefit_gap"]
        stars = "*" * sum(p < c for c in (0.1, 0.05, 0.01))
        assert est[j] == _fmt(b) + stars
        assert se[j] == f"({_fmt(m.std_errors['benefit_gap'])})"
    assert t.data.loc[(t.data.model == 2) & (t.data.term == "dev:benefit_gap"), "estimate"].item() == m2.params["dev:benefit_gap"]
    # the interaction is only in model 2: model 1's cell is empty
    inter, _ = _row(t, "经济发展水平 × 待遇差距")
    assert inter[1] == "" and inter[2].startswith(_fmt(m2.params["dev:benefit_gap"]))
    # constant last, with its Chinese name
    assert [r[0] for r in t.body if r[0]][-3] == "常数项"
    nobs = next(r for r in t.body if r[0] == "观测值")
    assert nobs[1:] == ("3000", "3000")
    r2 = next(r for r in t.body if r[0] == "R²")
    assert r2[1] == _fmt(m1.stats["r2"])


def test_chinese_note_matches_thesis_convention(models):
    t = regression_table([models["m1"]], labels={"county": "县"})
    assert t.notes == ("括号内为聚类到县层面的标准误；*、**、***分别表示在10%、5%、1%的水平上显著。",)
    assert t.notes_text() == "注：括号内为聚类到县层面的标准误；*、**、***分别表示在10%、5%、1%的水平上显著。"


def test_english_note_and_mixed_covariances(models):
    t = regression_table([models["m1"], models["m2"]], lang="en", labels={"county": "county"})
    assert t.notes[0] == (
        "Standard errors in parentheses: column (1): standard errors clustered at the county level; "
        "column (2): heteroskedasticity-robust standard errors. *, **, *** denote significance at the "
        "10%, 5%, 1% levels."
    )
    tz = regression_table([models["m1"], models["m2"]], labels={"county": "县"})
    assert tz.notes[0].startswith("括号内为标准误：第(1)列为聚类到县层面的标准误，第(2)列为异方差稳健标准误；")


def test_wild_bootstrap_note_and_stars_use_bootstrap_pvalues(survey):
    m = dp.ols("support ~ dev + benefit_gap", survey, vcov="cluster", cluster="county", reps=199, seed=7)
    assert m.boot_pvalues is not None
    t = regression_table([m], labels={"county": "县"})
    assert "野聚类自举法" in t.notes[0] and "199次抽样" in t.notes[0] and "种子7" in t.notes[0]
    est, _ = _row(t, "dev")
    p = m.boot_pvalues["dev"]
    assert est[1] == _fmt(m.params["dev"]) + "*" * sum(p < c for c in (0.1, 0.05, 0.01))


@pytest.mark.parametrize("stat", ["t", "p", "ci"])
def test_stat_choices(models, stat):
    m = models["m1"]
    t = regression_table(m, stat=stat)
    _, sub = _row(t, "dev")
    expected = {
        "t": f"({m.tstats['dev']:.2f})",
        "p": f"({m.pvalues['dev']:.3f})",
        "ci": "[{:.3f}, {:.3f}]".format(*m.conf_int().loc["dev"]),
    }[stat]
    assert sub[1] == expected
    assert t.notes[0].startswith({"t": "括号内为t统计量", "p": "括号内为p值", "ci": "方括号内为95%置信区间"}[stat])


def test_keep_drop_order_and_indicators(models):
    m1, m2 = models["m1"], models["m2"]
    t = regression_table([m1, m2], indicators={"控制变量": ["urban", "age", "edu_years"]}, drop=["Intercept"])
    labels = [r[0] for r in t.body if r[0]]
    assert "urban" not in labels and "age" not in labels and "常数项" not in labels
    ctrl = next(r for r in t.body if r[0] == "控制变量")
    assert ctrl[1:] == ("否", "是")
    t2 = regression_table([m2], keep=["dev*"], order=["dev:benefit_gap"], lang="en")
    assert [r[0] for r in t2.body if r[0]][:2] == ["dev × benefit_gap", "dev"]
    t3 = regression_table([m1, m2], indicators={"City FE": [True, False]}, lang="en")
    assert next(r for r in t3.body if r[0] == "City FE")[1:] == ("Yes", "No")


def test_negative_zero_is_printed_as_zero():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 1e-6 * x + rng.normal(size=200)
    res = sm.OLS(y, sm.add_constant(pd.DataFrame({"x": x}))).fit()
    t = regression_table(res, digits=2)
    assert all("-0.00" not in c for r in t.body for c in r)


@given(st.floats(0, 1, allow_nan=False), st.lists(st.floats(0.001, 0.999), min_size=1, max_size=4))
def test_stars_count_thresholds_passed(p, thresholds):
    s = significance_stars(p, thresholds)
    assert len(s) == sum(p < c for c in thresholds)
    assert set(s) <= {"*"}


def test_bad_input_says_what_to_do(models):
    with pytest.raises(dp.errors.SpecificationError, match="stat='x' is not supported"):
        regression_table(models["m1"], stat="x")
    with pytest.raises(dp.errors.SpecificationError, match="cannot read a builtins.dict"):
        regression_table([{"a": 1}])
    with pytest.raises(dp.errors.SpecificationError, match="keep= names 'nope'"):
        regression_table(models["m1"], keep=["nope"])
    with pytest.raises(dp.errors.SpecificationError, match="2 flags for 1 models"):
        regression_table(models["m1"], indicators={"FE": [True, False]})
    with pytest.raises(dp.errors.SpecificationError, match="stats entry='rsq'"):
        regression_table(models["m1"], stats=["rsq"])
    with pytest.raises(dp.errors.SpecificationError, match="between 0 and 1"):
        regression_table(models["m1"], stars=(10, 5, 1))


def test_logit_pseudo_stats(models):
    t = regression_table(models["m3"], stats=["nobs", "loglik"], lang="en")
    ll = next(r for r in t.body if r[0] == "Log likelihood")
    assert ll[1] == f"{models['m3'].stats['loglik']:.3f}"
    assert re.search(r"^Standard errors in parentheses\.", t.notes[0])


def test_mapping_of_results_names_the_models(models):
    t = regression_table({"基准": models["m1"], "扩展": models["m2"]}, depvars=False)
    assert [c.text for c in t.header[1]] == ["", "基准", "扩展"]
    assert len(t.header) == 2


def test_report_turns_results_into_tables(models):
    rep = dp.reports.Report("x", lang="en").add_table(models["m1"], caption="Main")
    (table,) = rep.tables
    assert table.title == "Main" and table.lang == "en"
    assert table.body[0][1].startswith(f"{models['m1'].params['dev']:.3f}")


def test_logit_reports_pseudo_r2_aic_bic(models):
    m3 = models["m3"]
    t = regression_table(m3, stats=["nobs", "pseudo_r2", "aic", "bic"], lang="en", digits=4)
    rows = {r[0]: r[1] for r in t.body}
    assert rows["Pseudo R²"] == f"{m3.stats['pseudo_r2']:.4f}"
    assert rows["AIC"] == f"{m3.stats['aic']:.4f}" and rows["BIC"] == f"{m3.stats['bic']:.4f}"


def test_a_statistic_no_model_has_raises_with_its_name(models):
    with pytest.raises(dp.errors.SpecificationError, match=r"stats entry 'pseudo_r2': none of the models"):
        regression_table(models["m1"], stats=("pseudo_r2", "aic"))
    with pytest.raises(dp.errors.SpecificationError, match=r"stats entry 'r2'.*'pseudo_r2'"):
        regression_table(models["m3"], stats=("nobs", "r2"))
    # a statistic some models lack is blank in their columns; the default leaves out R² of a logit
    t = regression_table([models["m1"], models["m3"]], stats=("nobs", "r2", "aic"), lang="en")
    rows = {r[0]: r[1:] for r in t.body}
    assert rows["R²"][1] == "" and rows["AIC"][0] == "" and rows["AIC"][1] != ""
    assert not any(r[0] == "R²" for r in regression_table(models["m3"], lang="en").body)
