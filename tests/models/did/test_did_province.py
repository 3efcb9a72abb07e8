"""Acceptance on the bundled province panel: CS recovers the true ATTs, TWFE does not."""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.models.did import bacon, did, event_study, placebo

# Sampling-error band for an estimate against the DGP's truth, in standard errors.
Z_WITHIN = 3.0
# TWFE must miss the truth by more than this many of its own standard errors.
Z_BIASED = 5.0
# Bacon identity: sum of weighted 2x2 estimates equals TWFE up to rounding.
IDENTITY_TOL = 1e-10


@pytest.fixture(scope="module")
def cs(province):
    return event_study(province, "benefit_gap", "region_code", "year", "cohort", control="notyet",
                       se="analytic", reps=0)


@pytest.fixture(scope="module")
def truth(cs):
    """True ATT(g,t) on the identified post-treatment cells, with cohort sizes."""
    tr = dp.datasets.province_panel_true_att()
    cells = cs.att_gt()
    m = cells.merge(tr, left_on=["cohort", "time"], right_on=["cohort", "year"], suffixes=("", "_true"))
    assert len(m) == int((cells["event_time"] >= 0).sum())  # the truth file lists post cells only
    return m


def test_always_treated_cohort_is_dropped_with_a_note(cs):
    assert 2010 not in set(cs.att_gt()["cohort"])
    assert any("always treated" in n for n in cs.notes)


def test_cs_recovers_true_simple_and_dynamic_att(cs, truth):
    true_simple = float(np.average(truth["att_true"], weights=truth["n_units"]))
    simple = cs.aggregate("simple")
    assert abs(simple.value - true_simple) < Z_WITHIN * simple.std_error
    dyn = cs.aggregate("dynamic").tidy().set_index("event_time")
    true_dyn = truth.groupby("event_time").apply(
        lambda x: np.average(x["att_true"], weights=x["n_units"]), include_groups=False)
    # event times 0-4 average at least three cohorts; later ones rest on the two 2012 provinces,
    # whose influence-function SEs (from two units) are not reliable.
    for e in range(5):
        assert abs(dyn.loc[e, "att"] - true_dyn[e]) < Z_WITHIN * dyn.loc[e, "std_error"], e
    pre = dyn.loc[dyn.index < 0]
    assert (pre["att"].abs() < Z_WITHIN * pre["std_error"]).all()


def test_twfe_is_biased_on_the_same_panel(province, truth):
    true_simple = float(np.average(truth["att_true"], weights=truth["n_units"]))
    twfe = did(province, "benefit_gap", unit="region_code", time="year", cohort="cohort")
    assert twfe.att > true_simple + Z_BIASED * twfe.std_error  # attenuated towards zero: -1.32 vs -3.0
    es = event_study(province, "benefit_gap", "region_code", "year", "cohort", estimator="twfe", bins=(-5, 5))
    t = es.att_gt().set_index("event_time")
    true_dyn = truth.groupby("event_time").apply(
        lambda x: np.average(x["att_true"], weights=x["n_units"]), include_groups=False)
    for e in (3, 4):
        assert t.loc[e, "att"] - true_dyn[e] > Z_BIASED * t.loc[e, "std_error"]


def test_bacon_decomposition_reproduces_twfe(province):
    b = bacon(province, "benefit_gap", "region_code", "year", "cohort")
    twfe = did(province, "benefit_gap", unit="region_code", time="year", cohort="cohort")
    tab = b.tidy()
    assert tab["weight"].sum() == pytest.approx(1.0, abs=IDENTITY_TOL)
    assert float(tab["weight"] @ tab["estimate"]) == pytest.approx(twfe.att, abs=IDENTITY_TOL)
    assert b.twfe == pytest.approx(twfe.att, abs=IDENTITY_TOL)
    kinds = b.by_type().set_index("type")
    # no never-treated provinces: all weight is on timing comparisons, a large part "forbidden"
    assert "treated_vs_never" not in kinds.index
    assert kinds.loc["later_vs_earlier", "weight"] > 0.3
    assert b.glance()["weight_forbidden"].iloc[0] == pytest.approx(
        kinds.loc[["later_vs_earlier", "later_vs_always"], "weight"].sum())


def test_bacon_single_comparison_is_plain_did():
    """Two groups (one treated at t=3, one never): one comparison, weight 1, equal to the 2x2 DiD."""
    rng = np.random.default_rng(3)
    rows = [(i, t, 3 if i < 5 else 0, rng.normal() + (2.0 if (i < 5 and t >= 3) else 0.0)) for i in range(10)
            for t in range(1, 6)]
    df = pd.DataFrame(rows, columns=["i", "t", "g", "y"])
    b = bacon(df, "y", "i", "t", "g")
    assert len(b.table) == 1 and b.table["weight"].iloc[0] == pytest.approx(1.0)
    w = df.pivot(index="i", columns="t", values="y")
    exp = (w.loc[:4, 3:].mean().mean() - w.loc[:4, :2].mean().mean()) - (w.loc[5:, 3:].mean().mean() - w.loc[5:, :2].mean().mean())
    assert b.table["estimate"].iloc[0] == pytest.approx(exp, abs=1e-12)


def test_placebo_rejects_on_the_real_timing_and_is_reproducible(province):
    p1 = placebo(province, "benefit_gap", "region_code", "year", "cohort", reps=199, seed=11)
    p2 = placebo(province, "benefit_gap", "region_code", "year", "cohort", reps=199, seed=11)
    np.testing.assert_array_equal(p1.draws, p2.draws)
    assert p1.p_value < 0.02
    assert abs(np.mean(p1.draws)) < 3 * np.std(p1.draws) / np.sqrt(199) + 0.1
    p3 = placebo(province, "benefit_gap", "region_code", "year", "cohort", reps=199, seed=12)
    assert not np.array_equal(p1.draws, p3.draws)
    assert p1.tidy()["reps"].iloc[0] == 199


def test_bacon_with_never_treated_units_reproduces_twfe(sim):
    b = bacon(sim, "y", "id", "t", "g")
    twfe = did(sim, "y", unit="id", time="t", cohort="g")
    kinds = set(b.table["type"])
    assert {"treated_vs_never", "earlier_vs_later", "later_vs_earlier"} <= kinds
    assert b.table["weight"].sum() == pytest.approx(1.0, abs=IDENTITY_TOL)
    assert float(b.table["weight"] @ b.table["estimate"]) == pytest.approx(twfe.att, abs=IDENTITY_TOL)
    # each treated-vs-never 2x2 is the plain difference of mean changes
    row = b.table[b.table["type"] == "treated_vs_never"].iloc[0]
    w = sim.pivot(index="id", columns="t", values="y")
    g = sim.groupby("id")["g"].first()
    post, pre = w.columns >= row["treated"], w.columns < row["treated"]
    k, u = w[g == row["treated"]], w[g == 0]
    exp = (k.loc[:, post].to_numpy().mean() - k.loc[:, pre].to_numpy().mean()) - (
        u.loc[:, post].to_numpy().mean() - u.loc[:, pre].to_numpy().mean())
    assert row["estimate"] == pytest.approx(exp, abs=1e-12)
    from matplotlib.figure import Figure

    assert isinstance(b.plot(), Figure)


def test_twfe_from_status_column_equals_twfe_from_cohort(province):
    status = province.assign(d=(province["year"] >= province["cohort"]).astype(int))
    a = did(status, "benefit_gap", unit="region_code", time="year", treat="d")
    b = did(province, "benefit_gap", unit="region_code", time="year", cohort="cohort")
    assert a.att == pytest.approx(b.att, abs=1e-12)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-12)
    assert a.tidy()["term"].tolist() == ["att"]


def test_dynamic_aggregation_window(sim):
    r = event_study(sim, "y", "id", "t", "g", se="analytic", reps=0)
    d = r.aggregate("dynamic", min_e=-2, max_e=2).tidy()
    assert d["event_time"].tolist() == [-2, -1, 0, 1, 2]
    full = r.aggregate("dynamic").tidy().set_index("event_time")
    np.testing.assert_allclose(d.set_index("event_time")["att"], full.loc[-2:2, "att"], rtol=1e-14)
