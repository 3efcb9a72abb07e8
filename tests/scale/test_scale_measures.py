"""Engine measures equal the in-memory measures on the same data (DuckDB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import scale
from disparity.errors import DataValueError, PrecisionWarning, SpecificationError

#: See tests/scale/conftest.py: engine sums run in another order, so agreement is to rounding.
ENGINE_TOL = 1e-8

OPTIONS = [
    pytest.param({}, id="unweighted"),
    pytest.param({"weights": "w"}, id="pweight"),
    pytest.param({"weights": "w", "weight_type": "aweight"}, id="aweight"),
    pytest.param({"weights": "fw", "weight_type": "fweight"}, id="fweight"),
    pytest.param({"cluster": "county"}, id="cluster"),
    pytest.param({"by": "year", "weights": "w"}, id="by"),
    pytest.param({"by": ["year", "region"], "weights": "w"}, id="by2"),
    # every county occurs in every year here; where a cluster is missing from a by= group the
    # in-memory path (measures._variance) counts some absent clusters as zero-total PSUs, the
    # engine counts the clusters present (reported to the measures helper)
    pytest.param({"by": "year", "cluster": "county", "weights": "w"}, id="by-cluster"),
]


@pytest.mark.parametrize("opts", OPTIONS)
def test_gap_equals_memory(checks, survey, survey_table, opts):
    checks.same_measure(scale.gap(survey_table, "y", "hukou", **opts),
                        dp.gap(survey, "y", "hukou", **opts))


def test_gap_three_levels_and_reference(checks, survey, survey_table):
    a = scale.gap(survey_table, "y", "region", reference="west", weights="w")
    b = dp.gap(survey, "y", "region", reference="west", weights="w")
    checks.same_measure(a, b)
    assert a.params == b.params


@pytest.mark.parametrize("opts", OPTIONS)
def test_theil_decomposition_equals_memory(checks, survey, survey_table, opts):
    a = scale.theil(survey_table, "y", "hukou", **opts)
    checks.same_measure(a, dp.theil(survey, "y", "hukou", **opts))
    # the decomposition adds up
    assert np.allclose(a.value if not opts.get("by") else a.value.to_numpy(),
                       (a.within.value + a.between.value) if not opts.get("by")
                       else (a.within.value + a.between.value).to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 2.0, -1.0])
def test_ge_family_equals_memory(checks, survey, survey_table, alpha):
    y = "inc"  # strictly positive, so every alpha is defined
    checks.same_measure(scale.ge(survey_table, y, alpha=alpha, group="region", weights="w"),
                        dp.ge(survey, y, alpha=alpha, group="region", weights="w"))


@pytest.mark.parametrize("opts", [{}, {"weights": "w", "cluster": "county"}, {"by": "year"}])
def test_mld_equals_memory(checks, survey, survey_table, opts):
    checks.same_measure(scale.mld(survey_table, "inc", "hukou", **opts),
                        dp.mld(survey, "inc", "hukou", **opts))


@pytest.mark.parametrize("opts", OPTIONS)
def test_gini_equals_memory(checks, survey, survey_table, opts):
    checks.same_measure(scale.gini(survey_table, "y", **opts), dp.gini(survey, "y", **opts))


def test_gini_correction(checks, survey, survey_table):
    checks.same_measure(scale.gini(survey_table, "y", correction=True),
                        dp.gini(survey, "y", correction=True))


@pytest.mark.parametrize("opts", OPTIONS)
def test_concentration_index_equals_memory(checks, survey, survey_table, opts):
    checks.same_measure(scale.concentration_index(survey_table, "y", "inc", **opts),
                        dp.concentration_index(survey, "y", "inc", **opts))


@pytest.mark.parametrize("kind,bounds", [("generalized", None), ("erreygers", (0, 1)),
                                         ("wagstaff", (0, 1))])
def test_concentration_index_kinds(checks, survey, survey_table, kind, bounds):
    frame = survey.assign(big=(survey["y"] > 1000).astype(float).where(survey["y"].notna()))
    t = scale.table(survey_table.expr.mutate(big=(survey_table.expr.y > 1000).cast("float64")))
    checks.same_measure(
        scale.concentration_index(t, "big", "inc", kind=kind, bounds=bounds, weights="w"),
        dp.concentration_index(frame, "big", "inc", kind=kind, bounds=bounds, weights="w"))


def test_gini_of_known_distribution(checks, engine, tmp_path):
    # n values {0, ..., 0, 1}: the plug-in Gini is (n-1)/n exactly
    path = tmp_path / "g.parquet"
    pd.DataFrame({"y": [0.0] * 9 + [1.0]}).to_parquet(path)
    assert float(scale.gini(engine.read_parquet(path), "y")) == pytest.approx(0.9, abs=1e-15)


def test_hive_partitioned_folder_and_csv(checks, survey, engine, tmp_path):
    folder = tmp_path / "parts"
    for yr, sub in survey.groupby("year"):
        (folder / f"year={yr}").mkdir(parents=True)
        sub.drop(columns="year").to_parquet(folder / f"year={yr}" / "part-0.parquet")
    t = engine.read_parquet(folder)
    assert "year" in t.columns
    checks.same_measure(scale.gap(t, "y", "hukou", by="year"), dp.gap(survey, "y", "hukou", by="year"))
    csv = tmp_path / "s.csv"
    survey.to_csv(csv, index=False)
    checks.same_measure(scale.theil(engine.read_csv(csv), "y", "hukou"),
                        dp.theil(survey, "y", "hukou"))


def test_se_none_and_delta(checks, survey, survey_table):
    a = scale.gap(survey_table, "y", "hukou", se="none")
    assert np.isnan(a.table["std_error"]).all()
    assert a.value == pytest.approx(dp.gap(survey, "y", "hukou").value, rel=ENGINE_TOL)
    checks.same_measure(scale.gini(survey_table, "y", se="delta"), dp.gini(survey, "y", se="delta"))


def test_result_contract(checks, survey_table):
    r = scale.theil(survey_table, "y", "hukou")
    lo, hi = r.conf_int(0.9)
    assert lo < r.value < hi
    assert set(r.tidy().columns) >= {"measure", "component", "estimate", "std_error", "conf_low"}
    assert "<p><b>theil" in r._repr_html_()


# -- errors ----------------------------------------------------------------------------------------

def test_pandas_input_is_refused_with_advice(checks, survey):
    with pytest.raises(SpecificationError, match=r"dp\.gap"):
        scale.gap(survey, "y", "hukou")


def test_unsupported_options_name_the_operation(checks, survey_table):
    with pytest.raises(scale.UnsupportedOperationError, match="design="):
        scale.gini(survey_table, "y", design=dp.SurveyDesign(weights="w", psu="county"))
    with pytest.raises(scale.UnsupportedOperationError, match="bootstrap"):
        scale.theil(survey_table, "y", se="bootstrap")
    with pytest.raises(SpecificationError, match="not found"):
        scale.gap(survey_table, "nope", "hukou")
    with pytest.raises(SpecificationError, match="reference"):
        scale.gap(survey_table, "y", "hukou", reference="suburban")


def test_bad_values_name_rows(checks, engine, tmp_path):
    path = tmp_path / "bad.parquet"
    pd.DataFrame({"y": [1.0, -2.0, 3.0], "g": ["a", "b", "a"], "w": [1.0, 1.0, -1.0],
                  "s": ["x", "y", "z"]}).to_parquet(path)
    t = engine.read_parquet(path)
    with pytest.raises(DataValueError, match=r"(?s)negative.*-2"):
        scale.gini(t, "y")
    with pytest.raises(DataValueError, match=r"strictly positive"):
        scale.mld(t, "y")
    with pytest.raises(DataValueError, match=r"(?s)weights 'w'.*-1"):
        scale.gap(t, "y", "g", weights="w")
    with pytest.raises(DataValueError, match="not numeric"):
        scale.gap(t, "s", "g")
    with pytest.raises(DataValueError, match="single level"):
        scale.gap(t.filter(t.expr.g == "a"), "y", "g")


def test_precision_warning_on_heavy_cancellation(checks, engine, tmp_path):
    # values 1e9 + tiny noise: one-pass moments cancel ~16 digits
    rng = np.random.default_rng(0)
    path = tmp_path / "c.parquet"
    pd.DataFrame({"y": 1e9 + rng.normal(0, 1e-3, 200),
                  "g": np.repeat(["a", "b"], 100)}).to_parquet(path)
    with pytest.warns(PrecisionWarning, match="cancellation"):
        scale.gap(engine.read_parquet(path), "y", "g")


def test_progress_callback(checks, survey_table):
    seen: list[str] = []
    scale.gap(survey_table, "y", "hukou", cluster="county",
              progress=lambda message, seconds: seen.append(message))
    assert any("sufficient statistics" in m for m in seen)
    assert any("cluster" in m for m in seen)


def test_collect_is_explicit_and_bounded(checks, survey_table):
    with pytest.raises(DataValueError, match="max_rows"):
        survey_table.collect(max_rows=10)
    assert survey_table.collect(max_rows=None).shape[0] == 2400


# -- properties ------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=8, deadline=None)
@given(n=st.integers(min_value=8, max_value=80), seed=st.integers(0, 10_000),
       ties=st.booleans())
@example(n=8, seed=95, ties=False)  # one rural row: its within-group Theil has variance exactly 0
def test_property_engine_equals_memory(checks, n, seed, ties):
    import ibis

    df = checks.make_survey(n, seed).dropna(subset=["y"])
    if df["hukou"].nunique() < 2:
        return
    if ties:
        df["y"] = np.round(df["y"], -3)  # many ties in the rank
    t = scale.table(ibis.memtable(df))
    checks.same_measure(scale.gini(t, "y", weights="w"), dp.gini(df, "y", weights="w"))
    checks.same_measure(scale.theil(t, "y", "hukou"), dp.theil(df, "y", "hukou"))
