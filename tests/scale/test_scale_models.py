"""scale.ols equals dp.ols (and dp.panel for absorbed fixed effects) on the same data (DuckDB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import scale
from disparity.errors import CollinearityError, DataValueError, SpecificationError

FORMULA = "y ~ inc + C(year) + hukou + inc:w + log(inc)"

VCOV = [
    pytest.param({}, id="iid"),
    pytest.param({"vcov": "HC0"}, id="HC0"),
    pytest.param({"vcov": "HC1"}, id="HC1"),
    pytest.param({"weights": "w"}, id="pweight-HC1"),
    pytest.param({"weights": "w", "weight_type": "aweight"}, id="aweight"),
    pytest.param({"weights": "fw", "weight_type": "fweight"}, id="fweight"),
    pytest.param({"weights": "fw", "weight_type": "fweight", "vcov": "HC1"}, id="fweight-HC1"),
    pytest.param({"vcov": "cluster", "cluster": "county"}, id="CRV1"),
    pytest.param({"vcov": "cluster", "cluster": "county", "weights": "w"}, id="CRV1-weighted"),
]


@pytest.mark.parametrize("opts", VCOV)
def test_ols_equals_dp_ols(checks, survey, survey_table, opts):
    a = scale.ols(FORMULA, survey_table, **opts)
    b = dp.ols(FORMULA, survey, **opts)
    checks.same_model(a, b)
    assert a.spec.estimator == b.spec.estimator
    assert a.spec.notes == b.spec.notes
    for key in ("r2", "adj_r2", "sigma", "condition_number"):
        assert a.stats[key] == pytest.approx(b.stats[key], rel=checks.tol)
    if "cluster" in opts:
        assert a.stats["n_clusters"] == b.stats["n_clusters"] == 60


@pytest.mark.parametrize("formula", ["y ~ inc + w - 1", "y ~ 0 + hukou + inc",
                                     "log(inc) ~ exp(w) + region + C(year)"])
def test_ols_formula_forms(checks, survey, survey_table, formula):
    checks.same_model(scale.ols(formula, survey_table), dp.ols(formula, survey))


def test_ols_transforms_dp_ols_does_not_parse(checks, survey, survey_table):
    # dp.ols rejects sqrt/abs/log1p (formulaic reads them as column names); compare with the
    # transformed columns computed beforehand
    frame = survey.assign(s=np.sqrt(survey["inc"]), a=np.abs(survey["w"] - 1),
                          l=np.log1p(survey["y"]))
    a = scale.ols("log1p(y) ~ sqrt(inc) + abs(w)", survey_table.mutate(w=survey_table.expr.w - 1))
    b = dp.ols("l ~ s + a", frame)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=checks.tol)
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=checks.tol)


def test_few_clusters_needs_analytic(checks, survey, survey_table):
    # 3 regions < 42: dp.ols would bootstrap; the engine says so and offers the analytic CR1
    with pytest.raises(scale.UnsupportedOperationError, match="few_clusters='analytic'"):
        scale.ols("y ~ inc", survey_table, vcov="cluster", cluster="region")
    kw = {"vcov": "cluster", "cluster": "region", "few_clusters": "analytic"}
    checks.same_model(scale.ols("y ~ inc", survey_table, **kw), dp.ols("y ~ inc", survey, **kw))


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    frame = dp.datasets.province_panel()
    path = tmp_path_factory.mktemp("panel") / "panel.parquet"
    frame.to_parquet(path)
    return frame, scale.read_parquet(path)


SSC = ["stata", "fixest", "plm", "none"]


@pytest.mark.parametrize("ssc", SSC)
@pytest.mark.parametrize("vcov", ["iid", "HC1", "cluster"])
def test_absorb_equals_dp_panel_fe(checks, panel, vcov, ssc):
    frame, table = panel
    f = "benefit_gap ~ integrated + log(gdp_pc) + urbanisation"
    extra = {"cluster": "region", "few_clusters": "analytic"} if vcov == "cluster" else {}
    a = scale.ols(f, table, absorb="region", vcov=vcov, ssc=ssc, **extra)
    # the regions are nested in the clusters: every preset counts them as dp.panel does
    b = dp.panel(f, frame, entity="region", time="year", model="fe", vcov=vcov, ssc=ssc)
    np.testing.assert_allclose(a.params, b.params, rtol=checks.tol)
    np.testing.assert_allclose(a.cov.to_numpy(), b.cov.to_numpy(), rtol=checks.tol, atol=1e-16)
    assert a.df == b.df and a.nobs == b.nobs
    assert a.stats["r2_within"] == pytest.approx(b.stats["r2_within"], rel=checks.tol)
    # the within estimator equals least squares with one dummy per region
    c = dp.ols(f + " + C(region)", frame)
    np.testing.assert_allclose(a.params, c.params[a.params.index], rtol=checks.tol)


@pytest.fixture(scope="module")
def crossed(tmp_path_factory):
    """Groups `a` nested in clusters `cn` and crossed with clusters `c` (synthetic, seed 1)."""
    rng = np.random.default_rng(1)
    n = 3000
    frame = pd.DataFrame({"a": rng.integers(0, 60, n), "c": rng.integers(0, 30, n),
                          "x": rng.normal(size=n), "w": rng.uniform(0.5, 2.0, n)})
    frame["cn"] = frame["a"] // 3
    frame["y"] = frame["x"] + rng.normal(size=n) + rng.normal(size=60)[frame["a"]]
    path = tmp_path_factory.mktemp("crossed") / "crossed.parquet"
    frame.to_parquet(path)
    return frame, scale.read_parquet(path)


@pytest.mark.parametrize("ssc", SSC)
@pytest.mark.parametrize("opts", [
    pytest.param({"vcov": "iid"}, id="iid"),
    pytest.param({"vcov": "HC1", "weights": "w"}, id="HC1-pweight"),
    pytest.param({"vcov": "cluster", "cluster": "cn"}, id="cluster-nested"),
    pytest.param({"vcov": "cluster", "cluster": "c", "weights": "w"}, id="cluster-crossed"),
])
@pytest.mark.parametrize("absorb", [None, "a"])
def test_small_sample_conventions_equal_dp_ols(checks, crossed, ssc, opts, absorb):
    # scale.ols counts observations, coefficients and absorbed groups under `ssc` exactly as dp.ols
    # does (the presets are checked against Stata, fixest and plm in tests/models)
    frame, table = crossed
    kw = {**opts, "ssc": ssc, "absorb": absorb}
    if "cluster" in opts:
        kw["few_clusters"] = "analytic"
    a = scale.ols("y ~ x", table, **kw)
    b = dp.ols("y ~ x", frame, **kw)
    np.testing.assert_allclose(a.params, b.params, rtol=checks.tol)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=checks.tol)
    np.testing.assert_allclose(a.pvalues, b.pvalues, rtol=checks.tol, atol=1e-15)
    assert a.df == b.df
    assert a.spec.options["ssc"] == ssc


def test_ssc_is_checked(survey_table):
    with pytest.raises(SpecificationError, match="stata"):
        scale.ols("y ~ inc", survey_table, ssc="sas")


def test_result_is_a_model_result(survey_table):
    r = scale.ols("y ~ inc", survey_table, vcov="HC1")
    assert isinstance(r, dp.ModelResult)
    assert list(r.tidy().columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                      "conf_low", "conf_high"]
    assert r.glance()["nobs"].iloc[0] == 2398
    assert r.spec.options["engine"] == "duckdb"
    assert "ols" in r._repr_html_()


def test_ols_errors(engine, survey_table, tmp_path):
    with pytest.raises(scale.UnsupportedOperationError, match="HC3"):
        scale.ols("y ~ inc", survey_table, vcov="HC3")
    with pytest.raises(scale.UnsupportedOperationError, match="interaction"):
        scale.ols("y ~ inc:hukou", survey_table)
    with pytest.raises(scale.UnsupportedOperationError, match="mutate"):
        scale.ols("y ~ I(inc ** 2)", survey_table)
    with pytest.raises(scale.UnsupportedOperationError, match="two-way"):
        scale.ols("y ~ inc", survey_table, vcov="cluster", cluster=["county", "year"])
    with pytest.raises(SpecificationError, match="not a column"):
        scale.ols("y ~ nope", survey_table)
    with pytest.raises(SpecificationError, match="dp.ols"):
        scale.ols("y ~ inc", pd.DataFrame({"y": [1.0], "inc": [2.0]}))
    path = tmp_path / "col.parquet"
    pd.DataFrame({"y": np.arange(10.0), "a": np.arange(10.0) % 3, "b": 2 * (np.arange(10.0) % 3),
                  "z": np.r_[np.zeros(9), -1.0]}).to_parquet(path)
    t = engine.read_parquet(path)
    with pytest.raises(CollinearityError, match=r"\['a', 'b'\]"):
        scale.ols("y ~ a + b", t)
    with pytest.raises(DataValueError, match="infinite or undefined"):
        scale.ols("y ~ log(z)", t)


def test_dummy_column_path_when_cells_are_many(checks, survey, survey_table, monkeypatch):
    # beyond MAX_CELL_ROWS (cluster x category) cells, categories become dummy columns of a
    # per-cluster pass; both paths give dp.ols's numbers
    import disparity.scale.regression as regression

    monkeypatch.setattr(regression, "MAX_CELL_ROWS", 1)
    kw = {"vcov": "cluster", "cluster": "county", "weights": "w"}
    checks.same_model(scale.ols(FORMULA, survey_table, **kw), dp.ols(FORMULA, survey, **kw))


@pytest.mark.parametrize("formula", [
    "y ~ inc + d + C(year)",  # a 0/1 integer regressor becomes a cell key next to a category
    "y ~ d + inc",  # ... or on its own
    "y ~ inc + late + fw",  # two values in the first rows, more later; fw takes three
    "y ~ 0 + d + inc",  # no intercept
])
@pytest.mark.parametrize("opts", [{}, {"vcov": "cluster", "cluster": "county", "weights": "w"}],
                         ids=["iid", "CRV1-weighted"])
def test_integer_regressors_as_cell_keys(checks, engine, survey, tmp_path, formula, opts):
    df = survey.assign(d=(survey["inc"] > 8000).astype("int8"),
                       late=np.where(np.arange(len(survey)) < 600, np.arange(len(survey)) % 2,
                                     np.arange(len(survey)) % 5).astype("int64"))
    df.to_parquet(tmp_path / "d.parquet")
    t = engine.read_parquet(tmp_path / "d.parquet")
    checks.same_model(scale.ols(formula, t, **opts), dp.ols(formula, df, **opts))


def test_binary_regressor_is_a_cell_key_not_a_moment(engine, survey, tmp_path, monkeypatch):
    from disparity.scale import _plan

    df = survey.assign(d=(survey["inc"] > 8000).astype("int8"))
    df.to_parquet(tmp_path / "d.parquet")
    t = engine.read_parquet(tmp_path / "d.parquet")
    seen = []
    run = _plan.execute
    monkeypatch.setattr(_plan, "execute", lambda p: seen.append(p) or run(p))
    scale.ols("y ~ d + inc + fw", t, vcov="cluster", cluster="county")
    (main,) = seen
    assert main.keys == ("county", "d")  # fw (three values) stays a moment column
    assert sum(kind == "sum" for kind, _ in main.aggs.values()) == 10  # (1, inc, fw, y): 4*5/2


def test_missing_weights_are_refused_as_by_dp_ols(engine, survey, tmp_path):
    df = survey.copy()
    df.loc[[10, 20], "w"] = np.nan
    df.to_parquet(tmp_path / "w.parquet")
    t = engine.read_parquet(tmp_path / "w.parquet")
    with pytest.raises(DataValueError, match="Weights 'w' are missing"):
        dp.ols("y ~ inc", df, weights="w")
    with pytest.raises(DataValueError, match=r"(?s)'w' is missing .* in 2 row\(s\)"):
        scale.ols("y ~ inc", t, weights="w")
    # a missing weight on a row that is dropped anyway (missing y) is no error, in both paths
    ok = survey.copy()
    ok.loc[3, "w"] = np.nan  # y is missing in row 3 already
    ok.to_parquet(tmp_path / "ok.parquet")
    a = scale.ols("y ~ inc", engine.read_parquet(tmp_path / "ok.parquet"), weights="w")
    assert a.nobs == dp.ols("y ~ inc", ok, weights="w").nobs == int(ok[["y", "inc", "w"]].notna().all(axis=1).sum())
