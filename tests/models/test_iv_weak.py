"""Weak-instrument diagnostics of dp.iv: Stock-Yogo tables and Montiel Olea-Pflueger effective F."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.models import _weakiv as wk

REF = Path(__file__).resolve().parents[1] / "reference" / "models"
SY_CELLS = json.loads((REF / "stock_yogo_cells.json").read_text())
MOP_PY = json.loads((REF / "mop_reference.json").read_text())
MOP_R = json.loads((REF / "mop_r_reference.json").read_text())
# Published critical values have two decimals; the copies must agree exactly.
SY_TOL = 0.0
# Closed forms (effective F, K_eff) against other implementations: rounding only.
MOP_TOL = 1e-9
# Noncentral chi-squared quantiles: scipy's root finder, in both implementations (the Python
# reference also uses scipy); allow for other scipy versions.
MOP_CRIT_TOL = 1e-7
TABLES = {"2sls_relative_bias": (wk.SY_2SLS_BIAS, wk.SY_BIAS_LEVELS),
          "2sls_size": (wk.SY_2SLS_SIZE, wk.SY_SIZE_LEVELS),
          "liml_size": (wk.SY_LIML_SIZE, wk.SY_SIZE_LEVELS)}


@pytest.fixture(scope="module")
def iv_sim() -> pd.DataFrame:
    return pd.read_csv(REF / "stata" / "iv_simulated.csv")


@pytest.mark.reference
@pytest.mark.parametrize("source", ["ivreg2_livreg2", "cragg_tests"])
def test_stock_yogo_transcription_matches_other_copies(source):
    cells = SY_CELLS[source]["cells"]
    assert len(cells) >= 9
    for table, level, n, k2, value in cells:
        tab, levels = TABLES[table]
        ours = tab[n][k2][levels.index(level)]
        assert abs(ours - value) <= SY_TOL, (table, level, n, k2, ours, value)


def test_stock_yogo_tables_cover_the_paper():
    # Table 5.1 starts at K2 = n + 2; Tables 5.2/5.3 at K2 = n; all run to 30 instruments.
    for n in (1, 2, 3):
        assert sorted(wk.SY_2SLS_BIAS[n]) == list(range(n + 2, 31))
    for tab in (wk.SY_2SLS_SIZE, wk.SY_LIML_SIZE):
        assert set(tab) == {1, 2}
        for n in (1, 2):
            assert sorted(tab[n]) == list(range(n, 31))
    # monotone in the tolerated bias/size: a stricter threshold needs a larger F
    for tab in (wk.SY_2SLS_BIAS, wk.SY_2SLS_SIZE, wk.SY_LIML_SIZE):
        for rows in tab.values():
            for vals in rows.values():
                assert list(vals) == sorted(vals, reverse=True)


def test_iid_fit_reports_cragg_donald_against_the_tables(iv_sim):
    f = "y_robust ~ 1 + x3 + [x1 + x2 ~ z1 + z2 + x4 + x5]"
    res = dp.iv(f, iv_sim)
    sy = res.extra["stock_yogo"].set_index(["table", "threshold"])
    cd = res.extra["diagnostics"].set_index("test").loc["cragg_donald", "statistic"]
    assert sy.loc[("2sls_relative_bias", 0.05), "critical_value"] == 11.04  # n = 2, K2 = 4
    assert sy.loc[("2sls_size", 0.10), "critical_value"] == 16.87
    assert (sy["statistic"] == "cragg_donald").all() and (sy["value"] == cd).all()
    assert (sy["exceeds"] == (cd > sy["critical_value"])).all()
    assert (sy["note"] == "").all()
    liml = dp.iv(f, iv_sim, estimator="liml").extra["stock_yogo"].set_index("threshold")
    assert set(liml["table"]) == {"liml_size"}
    assert liml.loc[0.10, "critical_value"] == 4.72


def test_robust_fit_compares_kleibergen_paap_f_with_a_note(iv_sim):
    res = dp.iv("y_robust ~ 1 + x3 + [x1 + x2 + x4 ~ z1 + z2 + x5 + time + e_homo]", iv_sim,
                 vcov="HC1")
    sy = res.extra["stock_yogo"].set_index(["table", "threshold"])
    kp = res.extra["diagnostics"].set_index("test").loc["kleibergen_paap_f", "statistic"]
    assert list(sy.index) == [("2sls_relative_bias", b) for b in wk.SY_BIAS_LEVELS]  # n = 3
    assert sy.loc[("2sls_relative_bias", 0.10), "critical_value"] == 6.61  # n = 3, K2 = 5
    assert (sy["statistic"] == "kleibergen_paap_f").all() and (sy["value"] == kp).all()
    assert sy["note"].str.contains("do not strictly cover").all()


def test_no_table_outside_the_published_range(iv_sim):
    four = "y_robust ~ 1 + [x1 + x2 + x3 + x4 ~ z1 + z2 + x5 + time]"
    assert dp.iv(four, iv_sim).extra["stock_yogo"] is None  # four endogenous regressors
    assert wk.stock_yogo_table("2sls", 1, 31) is None
    assert wk.stock_yogo_table("liml", 3, 5) is None
    assert wk.stock_yogo_table("2sls", 1, 2)["table"].tolist() == ["2sls_size"] * 4


# --- Montiel Olea-Pflueger ---------------------------------------------------------------------

def _formula(case: dict) -> str:
    rhs = " + ".join(["1", *case["exogenous"]])
    return f"y_robust ~ {rhs} + [{case['endogenous']} ~ {' + '.join(case['instruments'])}]"


@pytest.mark.reference
@pytest.mark.parametrize("name", list(MOP_PY["cases"]))
def test_effective_f_and_simplified_critical_values_against_python_reference(iv_sim, name):
    case = MOP_PY["cases"][name]
    mop = dp.iv(_formula(case), iv_sim, vcov="HC1").extra["mop_critical"].set_index("tau")
    assert mop["effective_f"].iloc[0] == pytest.approx(case["effective_f"], rel=MOP_TOL)
    for tau, ref in case["tau"].items():
        row = mop.loc[float(tau)]
        assert row["k_eff"] == pytest.approx(ref["k_eff"], rel=MOP_TOL)
        assert row["critical_value"] == pytest.approx(ref["critical_value"], rel=MOP_CRIT_TOL)


@pytest.mark.reference
@pytest.mark.parametrize("key", [k for k in MOP_R if not k.startswith("_")])
def test_effective_f_against_r_sandwich(iv_sim, key):
    name, weighting, kind = key.split("|")
    case = MOP_PY["cases"][name]
    res = dp.iv(
        _formula(case), iv_sim, vcov=kind, cluster="cluster_id" if kind == "cluster" else None,
        bandwidth=5 if kind == "hac" else None,
        weights="weights" if weighting == "weighted" else None,
    )
    diag = res.extra["diagnostics"].set_index("test")
    f_eff = diag.loc[f"effective_f[{case['endogenous']}]", "statistic"]
    assert f_eff == pytest.approx(MOP_R[key], rel=MOP_TOL)
    assert res.extra["mop_critical"]["effective_f"].iloc[0] == f_eff
    # small=False does not change it (weakivtest always applies Stata's small-sample factor)
    large = dp.iv(
        _formula(case), iv_sim, vcov=kind, cluster="cluster_id" if kind == "cluster" else None,
        bandwidth=5 if kind == "hac" else None, small=False,
        weights="weights" if weighting == "weighted" else None,
    )
    assert large.extra["mop_critical"]["effective_f"].iloc[0] == pytest.approx(f_eff, rel=1e-12)


def test_effective_f_is_the_first_stage_f_under_homoskedasticity(iv_sim):
    res = dp.iv("y_robust ~ 1 + x3 + [x1 ~ z1 + z2 + x4]", iv_sim)
    first_f = res.extra["diagnostics"].set_index("test").loc["weak_instruments[x1]", "statistic"]
    assert res.extra["mop_critical"]["effective_f"].iloc[0] == pytest.approx(first_f, rel=1e-10)


@pytest.mark.parametrize("instruments, expected", [(["z1"], 1.0), (["z1", "z2"], 0.0),
                                                   (["z1", "z2", "x4", "x5"], 0.5)])
def test_worst_case_bias_under_homoskedasticity_is_k_minus_2_over_k(iv_sim, instruments,
                                                                     expected):
    # With W = Omega (x) I the Nagar bias ratio of 2SLS is |K - 2| / K for every structural beta's
    # supremum (Montiel Olea & Pflueger 2013, Sec. 3): a closed form for the optimiser.
    res = dp.iv(f"y_robust ~ 1 + [x1 ~ {' + '.join(instruments)}]", iv_sim)
    mop = res.extra["mop_critical"]
    assert mop["b_tsls"].iloc[0] == pytest.approx(expected, abs=1e-9)
    if len(instruments) == 1:  # K_eff = 1: the generalized and simplified values coincide
        assert mop["critical_value_generalized"].tolist() == pytest.approx(
            mop["critical_value"].tolist(), rel=1e-12)
        assert mop.set_index("tau").loc[0.10, "critical_value"] == pytest.approx(23.1085, abs=1e-4)


@pytest.mark.parametrize("kind", ["HC1", "cluster", "hac"])
def test_generalized_bias_is_the_supremum_and_at_most_one(iv_sim, kind):
    res = dp.iv("y_robust ~ 1 + x3 + [x1 ~ z1 + z2 + x4 + x5]", iv_sim, vcov=kind,
                cluster="cluster_id" if kind == "cluster" else None)
    mop = res.extra["mop_critical"]
    be = mop["b_tsls"].iloc[0]
    assert 0 < be <= 1
    assert (mop["critical_value_generalized"] <= mop["critical_value"] + 1e-12).all()
    # brute force over a wide grid of structural coefficients never exceeds the optimum
    y = iv_sim[["y_robust"]].to_numpy()
    X = np.column_stack([np.ones(len(iv_sim)), iv_sim.x3])
    part = lambda a: a - X @ np.linalg.lstsq(X, a, rcond=None)[0]  # noqa: E731
    Z = part(iv_sim[["z1", "z2", "x4", "x5"]].to_numpy())
    codes = iv_sim.cluster_id.to_numpy() if kind == "cluster" else None
    _, W1, W12, W2 = wk.mop_moments(part(y)[:, 0], part(iv_sim[["x1"]].to_numpy())[:, 0], Z,
                                    weights=None, kind=kind, codes=codes,
                                    bandwidth=res.spec.options["bandwidth"], k_total=6)
    grid = np.concatenate([-np.logspace(-3, 4, 3000), np.logspace(-3, 4, 3000)])
    brute = float(np.max(wk._bias_tsls(grid, W1, W12, W2)))
    assert brute <= be + 1e-12
    assert brute == pytest.approx(be, rel=1e-4)


def test_no_mop_table_with_two_endogenous_regressors(iv_sim):
    res = dp.iv("y_robust ~ 1 + [x1 + x2 ~ z1 + z2 + x4]", iv_sim, vcov="HC1")
    assert res.extra["mop_critical"] is None
    assert not res.extra["diagnostics"].test.str.startswith("effective_f").any()


@pytest.mark.parametrize("kind", ["HC1", "cluster"])
def test_weak_id_tables_are_made_when_first_read(iv_sim, kind):
    # a fit (and with_vcov) leaves the Stock-Yogo and Montiel Olea-Pflueger tables as recipes;
    # read, they are the tables of the fit's own statistics, the same after a pickle trip
    import pickle

    f = "y_robust ~ 1 + x3 + x4 + [x1 ~ z1 + z2]"
    res = dp.iv(f, iv_sim, vcov="iid", cluster="cluster_id").with_vcov(kind)
    extra = res.extra
    assert list(extra) == ["diagnostics", "first_stage", "stock_yogo", "mop_critical"]
    assert not extra.is_built("stock_yogo") and not extra.is_built("mop_critical")
    diag = extra["diagnostics"].set_index("test")
    mop, sy = extra["mop_critical"], extra["stock_yogo"]
    assert extra["mop_critical"] is mop  # built once, kept
    assert (mop["effective_f"] == diag.loc["effective_f[x1]", "statistic"]).all()
    assert (sy["value"] == diag.loc["kleibergen_paap_f", "statistic"]).all()
    assert sy.loc[sy["table"] == "2sls_size", "critical_value"].tolist() == list(wk.SY_2SLS_SIZE[1][2])
    back = pickle.loads(pickle.dumps(res)).extra
    assert not back.is_built("mop_critical")
    pd.testing.assert_frame_equal(back["mop_critical"], mop, check_exact=True)
    pd.testing.assert_frame_equal(back["stock_yogo"], sy, check_exact=True)
