"""Claims-scale analyses on an engine: embedded DuckDB by default, Spark on a cluster (issue 12).

Load data lazily with :func:`connect` / :func:`read_parquet` / :func:`read_csv` / :func:`table`;
pass the resulting :class:`EngineTable` to the functions here, which have the names, arguments
and results of the in-memory ones (``dp.gap`` → ``dp.scale.gap``, ...). Data stay in the engine;
only sufficient statistics come back. Several results made with ``lazy=True`` are computed
together by :func:`compute`, sharing one scan of a table per round of passes. Needs the ``scale`` extra (``pip install 'disparity[scale]'``);
Ibis is imported only when a function here is called.
"""

import sys

from .._dispatch import register_engine
from ._backend import (
    Engine,
    EngineTable,
    Progress,
    UnsupportedOperationError,
    connect,
    read_csv,
    read_parquet,
    table,
)
from ._plan import Lazy, compute
from .benefits import EngineReimbursement, reimburse
from .measures import gap, ge, mld, theil
from .ranks import concentration_index, gini
from .regression import ols


def _is_table(obj: object) -> bool:
    """An :class:`EngineTable`, or an Ibis table expression (if Ibis is loaded at all)."""
    if isinstance(obj, EngineTable):
        return True
    ibis = sys.modules.get("ibis")
    return ibis is not None and isinstance(obj, ibis.expr.types.Table)


# dp.gap(engine_table, ...) and the other in-memory twins run the functions here
register_engine(_is_table, {"gap": gap, "ge": ge, "theil": theil, "mld": mld, "gini": gini,
                            "concentration_index": concentration_index, "ols": ols,
                            "reimburse": reimburse})

__all__: list[str] = [
    "connect",
    "read_parquet",
    "read_csv",
    "table",
    "Engine",
    "EngineTable",
    "Progress",
    "UnsupportedOperationError",
    "gap",
    "ge",
    "theil",
    "mld",
    "gini",
    "concentration_index",
    "ols",
    "reimburse",
    "EngineReimbursement",
    "compute",
    "Lazy",
]
