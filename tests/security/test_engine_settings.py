"""scale.connect: settings are typed and checked; nothing is pasted into SQL."""

import warnings

import pytest

import disparity as dp
from disparity.errors import SpecificationError
from disparity.scale._backend import _apply_spark_conf, duckdb_config

INJECTIONS = [
    {"memory_limit": "1GB'; COPY (SELECT 42) TO 'PWNED.csv'; SET threads='1"},
    {"memory_limit": "1GB; COPY (SELECT 42) TO 'PWNED.csv'"},
    {"threads": "2; COPY (SELECT 42) TO 'PWNED.csv'"},
    {"threads": 2.5},
    {"threads": True},
    {"threads": 0},
    {"memory_limit": -5},
    {"progress_bar": "true; COPY (SELECT 42) TO 'PWNED.csv'"},
    {"temp_directory": 7},
]


@pytest.mark.parametrize("kwargs", INJECTIONS)
def test_bad_duckdb_settings_are_refused_before_connecting(sandbox, kwargs):
    with pytest.raises(SpecificationError, match="must be"):
        dp.scale.connect("duckdb", **kwargs)
    assert not (sandbox / "PWNED.csv").exists()


def _settings(engine):
    return engine.backend.con.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit'), "
        "current_setting('enable_progress_bar'), current_setting('temp_directory')").fetchone()


def test_a_path_with_quotes_is_a_value_not_sql(sandbox):
    evil = str(sandbox / "tmp'; COPY (SELECT 42) TO 'PWNED.csv'; --")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng = dp.scale.connect("duckdb", temp_directory=evil, threads=3, memory_limit="512MiB", progress_bar=True)
    threads, memory, bar, temp = _settings(eng)
    assert (threads, bar, temp) == (3, True, evil)
    assert memory.replace(" ", "") in ("512.0MiB", "536.8MB")
    assert not (sandbox / "PWNED.csv").exists()


def test_config_is_typed():
    assert duckdb_config(threads=4, memory_limit="3 GB") == {"threads": 4, "memory_limit": "3GB"}
    assert duckdb_config(memory_limit=2**30) == {"memory_limit": f"{2**30}B"}


class _Conf:
    def __init__(self):
        self.values = {}

    def set(self, key, value):
        self.values[key] = value


class _Session:
    def __init__(self):
        self.conf = _Conf()


def test_spark_conf_is_set_through_the_api_with_checked_values():
    s = _Session()
    _apply_spark_conf(s, {"spark.sql.shuffle.partitions": 8, "spark.sql.ansi.enabled": True,
                          "spark.app.name": "disparity"})
    assert s.conf.values == {"spark.sql.shuffle.partitions": "8", "spark.sql.ansi.enabled": "true",
                             "spark.app.name": "disparity"}


@pytest.mark.parametrize("conf", [
    {"spark.sql.x; DROP TABLE t": 1}, {"sql.shuffle": 1}, {"spark.app.name": "a\nb"}, {"spark.x": [1]},
    {"spark.x": float("nan")}, ["spark.x"],
])
def test_bad_spark_conf_is_refused(conf):
    s = _Session()
    with pytest.raises(SpecificationError, match="spark_conf"):
        _apply_spark_conf(s, conf)
    assert s.conf.values == {}


def test_settings_of_the_wrong_engine_are_refused():
    with pytest.raises(SpecificationError, match="SparkSession"):
        dp.scale.connect("duckdb", spark_conf={"spark.x": 1})
