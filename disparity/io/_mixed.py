"""Error messages for a variable whose text mixes UTF-8 and GBK/GB18030 (named, with its rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EncodingError
from . import encoding as enc


def _rows(rows: list[int], show: int = 8) -> str:
    text = ", ".join(map(str, rows[:show]))
    return text + (f" and {len(rows) - show} more" if len(rows) > show else "")


def mixed_error_dta(path: Path, err: enc.MixedEncodingError, dta: Any, strl_cache: dict) -> EncodingError:
    """Name the variable and the rows of each encoding when one column mixes UTF-8 and GB18030."""
    owner = err.owner
    if owner in dta.columns:
        raw = dta.columns[owner]
        if owner in strl_cache:
            keys = strl_cache[owner]
            text = [dta.strls.get(k, b"") for k in keys]
            rows_of = lambda vals: [i + 1 for i, t in enumerate(text) if t in vals]  # noqa: E731
        else:
            rows_of = lambda vals: (np.flatnonzero(np.isin(raw, list(vals))) + 1).tolist()  # noqa: E731
        u_rows, g_rows = _rows(rows_of(set(err.utf8))), _rows(rows_of(set(err.gb)))
        where = (f"rows {u_rows} hold UTF-8 text (e.g. {err.utf8[0].decode('utf-8')!r}) and rows "
                 f"{g_rows} GBK/GB18030 text (e.g. {err.gb[0].decode('gb18030')!r})")
        what = f"variable {owner!r}"
    else:
        where = (f"some labels are UTF-8 (e.g. {err.utf8[0].decode('utf-8')!r}) and some GBK/GB18030 "
                 f"(e.g. {err.gb[0].decode('gb18030')!r})")
        what = repr(owner)
    return EncodingError(
        f"{path}: {what} mixes text encodings: {where} (rows counted from 1). "
        "Reading it as one encoding would turn part of it into mojibake, so nothing was guessed. Re-save the "
        "variable from one source (e.g. in Stata 14+: unicode translate), or fix those rows."
    )


def mixed_error_frame(path: Path, err: enc.MixedEncodingError, df: pd.DataFrame) -> EncodingError:
    owner = err.owner
    if owner in df.columns:
        col = df[owner].astype(object)
        enc_rows = {k: (np.flatnonzero(col.isin([b.decode("latin-1") for b in vals]).to_numpy()) + 1).tolist()[:8]
                    for k, vals in (("utf", err.utf8), ("gb", err.gb))}
        return EncodingError(
            f"{path}: variable {owner!r} mixes text encodings: rows {', '.join(map(str, enc_rows['utf']))} hold UTF-8 "
            f"text and rows {', '.join(map(str, enc_rows['gb']))} GBK/GB18030 text (rows counted from 1). Reading it "
            "as one encoding would turn part of it into mojibake; re-save the variable from one source."
        )
    return EncodingError(f"{path}: {owner!r} mixes UTF-8 and GBK/GB18030 text; re-save it from one source.")
