"""The same engine code on Spark (local[2]): results equal the in-memory path.

Opt-in: needs ``pip install pyspark`` (>= 4.0) and Java 17, and runs only with ``-m spark`` or
when pyspark is installed. On the project's 2-core machine a local Spark session takes 30-40 s to
start and each query a few seconds, so this test takes 1-3 minutes; it is marked ``slow`` too.
Run: ``pytest tests/scale -m spark``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import disparity as dp
from disparity import scale

pyspark = pytest.importorskip("pyspark", reason="Spark tests need pyspark (pip install pyspark)")

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17 on PATH"),
    # pyspark 4 warns that it does not yet fully support pandas 3; the conversions used here work
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("disparity-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_equals_memory(checks, spark, tmp_path):
    frame = checks.make_survey(400, seed=5)
    path = tmp_path / "s.parquet"
    frame.to_parquet(path)
    t = scale.connect(spark).read_parquet(str(path))
    assert t.engine.name == "pyspark"
    checks.same_measure(scale.gap(t, "y", "hukou", weights="w", by="year"),
                        dp.gap(frame, "y", "hukou", weights="w", by="year"))
    checks.same_measure(scale.theil(t, "y", "hukou", cluster="county"),
                        dp.theil(frame, "y", "hukou", cluster="county"))
    checks.same_measure(scale.gini(t, "y", weights="w"), dp.gini(frame, "y", weights="w"))
    kw = {"vcov": "cluster", "cluster": "county"}
    checks.same_model(scale.ols("y ~ inc + hukou + C(year)", t, **kw),
                      dp.ols("y ~ inc + hukou + C(year)", frame, **kw))
    np.testing.assert_allclose(float(scale.concentration_index(t, "y", "inc")),
                               float(dp.concentration_index(frame, "y", "inc")), rtol=checks.tol)
