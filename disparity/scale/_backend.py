"""Engine connections and the table wrapper the claims-scale functions accept.

Ibis is the one code path: the same expressions compile to DuckDB SQL (embedded, the default) or
to Spark. Everything here is lazy; nothing is read into memory unless a function says so.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValueError, SpecificationError

__all__ = [
    "Engine",
    "EngineTable",
    "UnsupportedOperationError",
    "Progress",
    "connect",
    "read_parquet",
    "read_csv",
    "table",
]

_INSTALL = "pip install 'disparity[scale]' (or: pip install 'ibis-framework[duckdb]' duckdb)"


class UnsupportedOperationError(SpecificationError):
    """The operation is not available on an engine table; the message says what to do instead."""


def _ibis() -> Any:
    try:
        import ibis
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise SpecificationError(
            f"disparity.scale needs Ibis and an engine: {_INSTALL}."
        ) from None
    return ibis


ProgressCallback = Callable[[str, float], None]


@dataclass
class Progress:
    """Reports the stages of a long engine job: to stderr (``progress=True``) or a callback.

    The callback gets ``(message, seconds_since_start)``. Engines run each stage as one query, so
    reporting is per stage; DuckDB's own per-query bar is switched on by
    ``connect("duckdb", progress_bar=True)``.
    """

    sink: bool | ProgressCallback | None = None
    start: float = field(default_factory=time.perf_counter)

    def __call__(self, message: str) -> None:
        if not self.sink:
            return
        elapsed = time.perf_counter() - self.start
        if callable(self.sink):
            self.sink(message, elapsed)
        else:
            print(f"[disparity.scale {elapsed:8.2f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Engine:
    """A connection to an engine (an Ibis backend) that reads tables lazily."""

    backend: Any
    name: str
    progress: bool | ProgressCallback | None = None

    def read_parquet(self, path: str | Path | Sequence[str | Path], *,
                     hive_partitioning: bool | None = None) -> EngineTable:
        """A lazy table over Parquet files: one file, a glob (``"claims/*/*.parquet"``), a list, or
        a hive-partitioned folder (``claims/year=2020/part-0.parquet``; partition columns become
        columns)."""
        paths = _paths(path)
        kwargs: dict[str, Any] = {}
        if self.name == "duckdb":
            if any(Path(p).is_dir() for p in paths):
                paths = [str(Path(p) / "**" / "*.parquet") if Path(p).is_dir() else p for p in paths]
                hive_partitioning = True if hive_partitioning is None else hive_partitioning
            if hive_partitioning is not None:
                kwargs["hive_partitioning"] = hive_partitioning
            # Parquet's min/max statistics leave NaN out; by default DuckDB then assumes a float
            # column holds no NaN and folds isnan() and comparisons to constants, so NaN rows
            # would slip through the complete-row filters (duckdb/duckdb#25521).
            kwargs["can_have_nan"] = True
        t = self.backend.read_parquet(paths if len(paths) > 1 else paths[0], **kwargs)
        if self.name == "duckdb":
            from ._plan import register_parquet

            register_parquet(t, paths)
        return EngineTable(t, self, source=", ".join(paths))

    def read_csv(self, path: str | Path | Sequence[str | Path], **options: Any) -> EngineTable:
        """A lazy table over CSV files (options go to the engine's CSV reader)."""
        paths = _paths(path)
        t = self.backend.read_csv(paths if len(paths) > 1 else paths[0], **options)
        return EngineTable(t, self, source=", ".join(paths))

    def table(self, obj: Any) -> EngineTable:
        """Wrap an existing engine table: a table name in the engine, or an Ibis table expression."""
        ibis = _ibis()
        if isinstance(obj, EngineTable):
            return obj
        if isinstance(obj, str):
            return EngineTable(self.backend.table(obj), self, source=obj)
        if isinstance(obj, ibis.expr.types.Table):
            return EngineTable(obj, self, source="ibis expression")
        if isinstance(obj, pd.DataFrame):
            raise SpecificationError(
                "scale.table() wraps tables that already live in an engine; for a pandas DataFrame "
                "call the in-memory function (dp.gap, dp.ols, ...), or write it to Parquet and use "
                "engine.read_parquet()."
            )
        raise SpecificationError(
            f"scale.table() takes a table name or an Ibis table, got {type(obj).__name__}."
        )

    def sql(self, query: str) -> EngineTable:
        """A lazy table defined by SQL in the engine's dialect."""
        return EngineTable(self.backend.sql(query), self, source="sql")


def _paths(path: str | Path | Sequence[str | Path]) -> list[str]:
    if isinstance(path, str | Path):
        return [str(path)]
    out = [str(p) for p in path]
    if not out:
        raise SpecificationError("read_parquet/read_csv need at least one path.")
    return out


@dataclass(frozen=True)
class EngineTable:
    """A table living in an engine. Pass it to :mod:`disparity.scale` functions.

    It is lazy: creating, filtering and selecting never read data into memory. Only
    :meth:`collect` does, and only up to ``max_rows`` unless told otherwise.
    """

    expr: Any
    engine: Engine
    source: str = ""

    @property
    def columns(self) -> list[str]:
        return list(self.expr.columns)

    @property
    def schema(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.expr.schema().items()}

    def count(self) -> int:
        """Number of rows (one engine query)."""
        return int(self.expr.count().execute())

    def filter(self, *predicates: Any) -> EngineTable:
        """Rows satisfying Ibis predicates, e.g. ``t.filter(t.expr.year == 2020)`` (lazy)."""
        return EngineTable(self.expr.filter(*predicates), self.engine, self.source)

    def select(self, *cols: Any) -> EngineTable:
        return EngineTable(self.expr.select(*cols), self.engine, self.source)

    def mutate(self, **exprs: Any) -> EngineTable:
        return EngineTable(self.expr.mutate(**exprs), self.engine, self.source)

    def head(self, n: int = 5) -> pd.DataFrame:
        """The first ``n`` rows as a DataFrame (for a look; order is the engine's)."""
        return self.expr.limit(n).to_pandas()

    def collect(self, *, max_rows: int | None = 10_000_000) -> pd.DataFrame:
        """Read the table into a pandas DataFrame: explicit, and refused above ``max_rows``."""
        if max_rows is not None:
            n = self.count()
            if n > max_rows:
                raise DataValueError(
                    f"collect() would read {n:,} rows into memory (max_rows={max_rows:,}); filter "
                    "or aggregate in the engine first, or pass max_rows=None if you mean it."
                )
        return self.expr.to_pandas()

    def __repr__(self) -> str:
        cols = ", ".join(f"{k}: {v}" for k, v in list(self.schema.items())[:12])
        return f"<EngineTable on {self.engine.name} ({self.source}): {cols}>"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(repr(self))}</p>"


#: DuckDB memory sizes connect() accepts, e.g. "3GB", "512 MiB", "0.5TB".
_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
#: Spark configuration keys connect(spark_conf=...) accepts (dotted names under ``spark.``).
_SPARK_KEY = re.compile(r"spark\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)*")


def duckdb_config(*, threads: int | None = None, memory_limit: str | int | None = None,
                  temp_directory: str | Path | None = None, progress_bar: bool = False) -> dict[str, Any]:
    """Checked DuckDB settings, as the typed configuration dictionary DuckDB's connect() takes.

    Values are checked here and handed to DuckDB as configuration values, never pasted into SQL.
    """
    config: dict[str, Any] = {}
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 4096:
            raise SpecificationError(f"threads={threads!r} must be a whole number from 1 to 4096.")
        config["threads"] = threads
    if memory_limit is not None:
        if isinstance(memory_limit, int) and not isinstance(memory_limit, bool) and memory_limit > 0:
            memory_limit = f"{memory_limit}B"
        if not isinstance(memory_limit, str) or not _SIZE.fullmatch(memory_limit.strip()):
            raise SpecificationError(
                f"memory_limit={memory_limit!r} must be a size such as '3GB', '512MiB' or a number of bytes."
            )
        config["memory_limit"] = memory_limit.strip().replace(" ", "")
    if temp_directory is not None:
        if not isinstance(temp_directory, str | Path) or "\x00" in str(temp_directory) or not str(temp_directory):
            raise SpecificationError(f"temp_directory={temp_directory!r} must be a folder path.")
        config["temp_directory"] = str(temp_directory)
    if not isinstance(progress_bar, bool):
        raise SpecificationError(f"progress_bar={progress_bar!r} must be True or False.")
    return config


def _apply_spark_conf(session: Any, conf: Any) -> None:
    """Set Spark configuration through the session's API (typed values, no SQL)."""
    if conf is None:
        return
    if not isinstance(conf, dict):
        raise SpecificationError(f"spark_conf must be a dict of setting -> value, got {type(conf).__name__}.")
    checked: dict[str, str] = {}
    for key, value in conf.items():
        if not isinstance(key, str) or not _SPARK_KEY.fullmatch(key):
            raise SpecificationError(
                f"spark_conf key {key!r} is not a Spark setting name (e.g. 'spark.sql.shuffle.partitions')."
            )
        if isinstance(value, bool):
            checked[key] = "true" if value else "false"
        elif isinstance(value, int | float) and np.isfinite(value):
            checked[key] = str(value)
        elif isinstance(value, str) and value.isprintable() and len(value) <= 4096:
            checked[key] = value
        else:
            raise SpecificationError(
                f"spark_conf[{key!r}] = {value!r} must be a bool, a number or a printable string."
            )
    for key, value in checked.items():
        session.conf.set(key, value)


def connect(backend: Any = "duckdb", *, database: str = ":memory:", threads: int | None = None,
            memory_limit: str | None = None, temp_directory: str | None = None,
            progress: bool | ProgressCallback | None = None,
            progress_bar: bool = False, spark_conf: dict[str, Any] | None = None) -> Engine:
    """Connect to an engine.

    Parameters
    ----------
    backend : "duckdb", a ``pyspark.sql.SparkSession``, or an Ibis backend
        ``"duckdb"`` (the default) starts an embedded DuckDB; a Spark session runs the same
        expressions on Spark (local or a cluster).
    database : str
        DuckDB database file (``":memory:"`` by default).
    threads, memory_limit, temp_directory : optional
        DuckDB settings (e.g. ``memory_limit="3GB"``; DuckDB spills sorts and aggregations to
        ``temp_directory`` beyond it). They are checked (a whole number of threads, a size such as
        "3GB", a path) and passed to DuckDB as typed configuration values, never as SQL text.
    progress : bool or callable, optional
        Default progress reporting of the functions run on this engine's tables (see
        :class:`Progress`).
    progress_bar : bool
        DuckDB's own per-query progress bar.
    spark_conf : dict, optional
        Spark settings for a SparkSession backend (``{"spark.sql.shuffle.partitions": 64}``): keys
        must be ``spark.`` setting names, values bools, numbers or printable strings; they are set
        through ``session.conf.set``, never as SQL.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     eng = dp.scale.connect("duckdb", threads=2)
    ...     t = eng.read_parquet("survey.parquet")
    ...     r = dp.scale.gini(t, "income", weights="weight")
    >>> round(r.value, 4)
    0.348
    """
    ibis = _ibis()
    if isinstance(backend, str):
        if backend != "duckdb":
            raise SpecificationError(
                f"connect({backend!r}) is not supported; use 'duckdb', a SparkSession, or an Ibis "
                "backend object."
            )
        if spark_conf is not None:
            raise SpecificationError("spark_conf= applies to a SparkSession backend, not to DuckDB.")
        if not isinstance(database, str | Path):
            raise SpecificationError(f"database={database!r} must be a file path or ':memory:'.")
        config = duckdb_config(threads=threads, memory_limit=memory_limit, temp_directory=temp_directory,
                               progress_bar=progress_bar)
        try:
            con = ibis.duckdb.connect(database, **config)
        except (ImportError, AttributeError):  # pragma: no cover
            raise SpecificationError(f"DuckDB is not installed: {_INSTALL}.") from None
        # a session option, not a start-up one: one of two fixed statements, chosen by a checked bool
        con.raw_sql("SET enable_progress_bar = true" if progress_bar else "SET enable_progress_bar = false")
        return Engine(con, "duckdb", progress)
    if any(v is not None for v in (threads, memory_limit, temp_directory)) or progress_bar:
        raise SpecificationError(
            "threads, memory_limit, temp_directory and progress_bar are DuckDB settings; for Spark use "
            "spark_conf={...}."
        )
    kind = type(backend).__module__
    if kind.startswith("pyspark"):
        _apply_spark_conf(backend, spark_conf)
        return Engine(ibis.pyspark.connect(backend), "pyspark", progress)
    if spark_conf is not None:
        raise SpecificationError("spark_conf= applies to a SparkSession backend only.")
    if isinstance(backend, ibis.BaseBackend):
        return Engine(backend, str(backend.name), progress)
    raise SpecificationError(
        f"connect() takes 'duckdb', a SparkSession or an Ibis backend, got {type(backend).__name__}."
    )


_DEFAULT: list[Engine] = []


def _default() -> Engine:
    if not _DEFAULT:
        _DEFAULT.append(connect("duckdb"))
    return _DEFAULT[0]


def read_parquet(path: str | Path | Sequence[str | Path], *, engine: Engine | None = None,
                 hive_partitioning: bool | None = None) -> EngineTable:
    """:meth:`Engine.read_parquet` on ``engine`` (default: a shared embedded DuckDB).

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.gini(t, "income", weights="weight")
    >>> round(r.value, 4)
    0.348
    """
    return (engine or _default()).read_parquet(path, hive_partitioning=hive_partitioning)


def read_csv(path: str | Path | Sequence[str | Path], *, engine: Engine | None = None,
             **options: Any) -> EngineTable:
    """:meth:`Engine.read_csv` on ``engine`` (default: a shared embedded DuckDB).

    Examples
    --------
    >>> import warnings
    >>> dp.datasets.chifeng_survey()[["income", "weight"]].to_csv("survey.csv", index=False)
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_csv("survey.csv")
    ...     r = dp.scale.gini(t, "income", weights="weight")
    >>> round(r.value, 4)
    0.348
    """
    return (engine or _default()).read_csv(path, **options)


def table(obj: Any, *, engine: Engine | None = None) -> EngineTable:
    """Wrap an Ibis table expression (its own backend is used) or a table name on ``engine``.

    Examples
    --------
    >>> import ibis, warnings
    >>> df = dp.datasets.chifeng_survey()[["income", "weight"]]
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.table(ibis.memtable(df))
    ...     r = dp.scale.gini(t, "income", weights="weight")
    >>> round(r.value, 4)
    0.348
    """
    if isinstance(obj, EngineTable):
        return obj
    ibis = _ibis()
    if isinstance(obj, ibis.expr.types.Table) and engine is None:
        try:
            be = obj._find_backend()
        except Exception:  # noqa: BLE001 - an unbound memtable: run it on the default engine
            return _default().table(obj)
        return Engine(be, str(be.name)).table(obj)
    return (engine or _default()).table(obj)


def as_engine_table(data: Any, function: str) -> EngineTable:
    """The engine table behind ``data``, or a SpecificationError saying what to pass."""
    if isinstance(data, EngineTable):
        return data
    ibis = _ibis()
    if isinstance(data, ibis.expr.types.Table):
        return table(data)
    if isinstance(data, pd.DataFrame):
        raise SpecificationError(
            f"scale.{function} runs in an engine; for a pandas DataFrame call dp.{function} (same "
            "arguments), or load the data with dp.scale.read_parquet()."
        )
    raise SpecificationError(
        f"scale.{function} needs an engine table (dp.scale.read_parquet(...), dp.scale.table(...)), "
        f"got {type(data).__name__}."
    )
