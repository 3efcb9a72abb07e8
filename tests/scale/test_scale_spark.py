"""The same engine code on Spark (``local[2]``): every operation equals the in-memory path.

Covers each operation of issue 12 on Spark against ``disparity``'s pandas path, at the DuckDB
tests' tolerance and on their data makers (``checks`` in conftest.py): weighted gaps by year,
Theil / MLD / GE(2) with their within/between decomposition, Gini and the concentration index
(exact ranks, with ties), OLS and WLS with CRV1 cluster standard errors, one-way fixed effects
(``absorb=``) and the benefit-schedule microsimulation (``scale.reimburse``).

Needs pyspark (the ``spark`` extra, which ``make test`` installs) and Java 17. Without them the
module is skipped with the reason, unless ``DISPARITY_REQUIRE_SPARK=1`` is set, as ``.ci/run``
does: then a missing pyspark or Java is a failure, so CI never passes by skipping Spark.

One Spark session serves the whole module, on a few hundred rows, with a quick-starting JVM (see
``SPARK_CONF``). On the project's shared 2-core machine the module takes ~40 s (10-20 s of it
starting Spark), so it is marked ``slow``. Run only this: ``pytest tests/scale -m spark``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import numpy as np
import pytest

import disparity as dp
from disparity import scale
from disparity.scale.synthetic import synthetic_claims

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # pyspark 4 warns that it does not yet fully support pandas 3; the conversions used here work
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

#: Set (to anything but "" or "0") by .ci/run: a missing pyspark or Java fails instead of skipping.
REQUIRE_ENV = "DISPARITY_REQUIRE_SPARK"

#: Rows of the survey, claims and claims' persons used here: enough for 60 clusters (CRV1 without
#: the few-clusters bootstrap), ties in the ranking variables and every benefit cap binding.
N_SURVEY, N_CLAIMS, N_PERSONS = 400, 400, 30

#: Spark settings for a few hundred rows on 2 shared cores. Most of the module's time is the JVM
#: compiling Spark's own code, so the driver JVM uses only the quick C1 JIT: measured on this module
#: (3 runs each, load 3-4), the JVM's CPU time fell from ~57 s to ~34 s and the wall time from ~57 s
#: to ~39 s. One shuffle partition instead of two, spark.default.parallelism=1, adaptive execution
#: off and the serial GC made no measurable difference, so they are not set; turning off whole-stage
#: code generation was within the noise and would make Spark less like a cluster's.
#: The driver binds to the loopback address: a local session needs no other.
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
}


def spark_unavailable() -> str | None:
    """Why a local Spark session cannot start here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return "Spark needs Java 17: no java in JAVA_HOME or on PATH"
    return None


def require_spark(reason: str | None) -> None:
    """Skip for ``reason`` on a developer's machine; fail when REQUIRE_ENV is set (CI)."""
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_ENV} is set, but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set {REQUIRE_ENV}=1 to make this a failure)")


def test_missing_spark_fails_when_required(monkeypatch):
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_ENV} is set, but no java"):
        require_spark("no java")
    require_spark(None)  # available: neither fails nor skips
    monkeypatch.setenv(REQUIRE_ENV, "0")
    with pytest.raises(pytest.skip.Exception, match="no java"):
        require_spark("no java")
    monkeypatch.delenv(REQUIRE_ENV)
    with pytest.raises(pytest.skip.Exception, match=f"set {REQUIRE_ENV}=1"):
        require_spark("no java")


def test_spark_unavailable_names_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert spark_unavailable() == "Spark needs Java 17: no java in JAVA_HOME or on PATH"
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # a JAVA_HOME without bin/java
    assert "no java" in spark_unavailable()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").touch()
    real_find_spec = importlib.util.find_spec
    if real_find_spec("pyspark") is not None:
        assert spark_unavailable() is None
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name == "pyspark" else real_find_spec(name))
    assert spark_unavailable().startswith("pyspark is not installed")


@pytest.fixture(scope="module")
def spark():
    require_spark(spark_unavailable())
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("disparity-tests")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_engine(spark):
    eng = scale.connect(spark)
    assert eng.name == "pyspark"
    return eng


def _on_spark(engine, frame, tmp_path_factory, name):
    path = tmp_path_factory.mktemp("spark") / f"{name}.parquet"
    frame.to_parquet(path)
    table = engine.read_parquet(str(path))
    assert table.engine.name == "pyspark"
    return table


@pytest.fixture(scope="module")
def survey(checks, spark_engine, tmp_path_factory):
    frame = checks.make_survey(N_SURVEY, seed=5)
    return frame, _on_spark(spark_engine, frame, tmp_path_factory, "survey")


@pytest.fixture(scope="module")
def panel(spark_engine, tmp_path_factory):
    frame = dp.datasets.province_panel()
    return frame, _on_spark(spark_engine, frame, tmp_path_factory, "panel")


@pytest.fixture(scope="module")
def claims(spark_engine, tmp_path_factory):
    frame = synthetic_claims(N_CLAIMS, seed=11, persons=N_PERSONS)
    return frame, _on_spark(spark_engine, frame, tmp_path_factory, "claims")


def test_gap_weighted_by_year(checks, survey):
    frame, t = survey
    a = scale.gap(t, "y", "hukou", weights="w", by="year")
    checks.same_measure(a, dp.gap(frame, "y", "hukou", weights="w", by="year"))
    assert list(a.table["year"].unique()) == [2018, 2019, 2020]


def test_theil_mld_ge_decompositions(checks, survey):
    frame, t = survey
    results = [
        (scale.theil(t, "y", "hukou", cluster="county"), dp.theil(frame, "y", "hukou", cluster="county")),
        (scale.mld(t, "inc", "hukou", weights="w"), dp.mld(frame, "inc", "hukou", weights="w")),
        (scale.ge(t, "inc", alpha=2.0, group="region", weights="w"),
         dp.ge(frame, "inc", alpha=2.0, group="region", weights="w")),
    ]
    for a, b in results:
        checks.same_measure(a, b)
        assert list(a.table["component"][:3]) == ["total", "within", "between"]
        assert a.within.value + a.between.value == pytest.approx(a.value, rel=1e-12)
        assert 0 < a.between.value < a.value


def test_gini_and_concentration_index_with_ties(checks, survey):
    frame, t = survey
    assert frame["inc"].duplicated().any()  # ties in the rank: exact ranks must handle them
    checks.same_measure(scale.gini(t, "inc", weights="w"), dp.gini(frame, "inc", weights="w"))
    checks.same_measure(scale.concentration_index(t, "y", "inc", weights="w"),
                        dp.concentration_index(frame, "y", "inc", weights="w"))


@pytest.mark.parametrize("weights", [None, "w"], ids=["ols", "wls"])
def test_ols_wls_cluster_crv1(checks, survey, weights):
    frame, t = survey
    f = "y ~ inc + hukou + C(year)"
    kw = {"vcov": "cluster", "cluster": "county", "weights": weights}
    a = scale.ols(f, t, **kw)
    checks.same_model(a, dp.ols(f, frame, **kw))
    assert a.stats["n_clusters"] == frame["county"].nunique()


def test_absorb_equals_dp_panel_fe(checks, panel):
    frame, t = panel
    f = "benefit_gap ~ integrated + log(gdp_pc) + urbanisation"
    kw = {"vcov": "cluster", "cluster": "region", "few_clusters": "analytic"}
    a = scale.ols(f, t, absorb="region", **kw)
    # the regions are nested in the clusters; scale.ols counts them as dp.panel's default does
    b = dp.panel(f, frame, entity="region", time="year", model="fe", vcov="cluster")
    np.testing.assert_allclose(a.params, b.params, rtol=checks.tol)
    np.testing.assert_allclose(a.cov.to_numpy(), b.cov.to_numpy(), rtol=checks.tol, atol=1e-16)
    assert a.df == b.df and a.nobs == b.nobs == len(frame)
    assert a.stats["r2_within"] == pytest.approx(b.stats["r2_within"], rel=checks.tol)


def test_reimburse_equals_memory(checks, claims):
    frame, t = claims
    sch, cols = checks.tight_schedule, checks.claim_columns
    mem = dp.benefits.reimburse(sch, frame, **cols)
    checks.caps_bind(mem.claims)  # the comparison reaches every ceiling and tier
    checks.same_reimbursement(scale.reimburse(sch, t, **cols), mem)


def test_compute_shares_one_pass_on_spark(checks, survey, monkeypatch):
    # the merged query (union of keys, complete rows by WHERE, the incomplete ones with flag
    # bits) runs on Spark too and gives the in-memory numbers
    from disparity.scale import _plan

    frame, t = survey
    merged = []
    fused = _plan.execute_fused
    monkeypatch.setattr(_plan, "execute_fused", lambda ps: merged.append(len(ps)) or fused(ps))
    f = "y ~ inc + hukou + C(year)"
    kw = {"vcov": "cluster", "cluster": "county", "weights": "w"}
    g, th, m = scale.compute(scale.gap(t, "y", "hukou", weights="w", by="year", lazy=True),
                             scale.theil(t, "y", "region", weights="w", lazy=True),
                             scale.ols(f, t, lazy=True, **kw))
    assert merged == [3]
    checks.same_measure(g, dp.gap(frame, "y", "hukou", weights="w", by="year"))
    checks.same_measure(th, dp.theil(frame, "y", "region", weights="w"))
    checks.same_model(m, dp.ols(f, frame, **kw))
