"""Where a result's data came from (a bottom module: measures, models, benefits and survey use it).

It imports nothing of the estimators, so every layer can record the source of its data without
importing :mod:`disparity.models` (imports flow io → measures/models → reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["DataSource", "data_source"]


@dataclass(frozen=True, slots=True)
class DataSource:
    """Where a fit's data came from: the file a loader read (``path`` and ``sha256`` from the
    frame's codebook, :func:`disparity.codebook`), whether the data are synthetic, and the shape
    of the frame the estimator was given. ``None`` fields: not known (a frame built in memory)."""

    path: str | None = None
    sha256: str | None = None
    synthetic: bool = False
    n_rows: int = 0
    n_columns: int = 0


def data_source(data: Any) -> DataSource | None:
    """The :class:`DataSource` of a data frame (None for anything else, e.g. an engine table).

    Examples
    --------
    >>> import pandas as pd
    >>> data_source(pd.DataFrame({"x": [1, 2, 3]}))
    DataSource(path=None, sha256=None, synthetic=False, n_rows=3, n_columns=1)
    """
    if not isinstance(data, pd.DataFrame):
        return None
    from .io.codebook import as_codebook

    book = as_codebook(data.attrs.get("codebook"))
    synthetic = bool(data.attrs.get("synthetic", book.synthetic if book is not None else False))
    return DataSource(book.path if book is not None else None, book.sha256 if book is not None else None,
                      synthetic, int(data.shape[0]), int(data.shape[1]))
