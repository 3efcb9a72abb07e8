"""Builders of small labelled files in every format read_survey supports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

STAMP = dt.datetime(2026, 1, 1)

SAT = {-1: "不知道", 1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"}
URBAN = {0: "农村", 1: "城镇"}
VARLABELS = {"id": "编号", "urban": "城乡", "sat": "满意度", "income": "收入（元）", "county": "旗县区"}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(1, 7, dtype=np.int32),
            "urban": np.array([1, 0, 1, 0, 1, 0], dtype=np.int8),
            "sat": np.array([1, 2, 3, 4, 5, -1], dtype=np.int8),
            "income": [1000.5, -9.0, 2000.0, -8.0, 3000.0, 4000.25],
            "county": ["红山区", "敖汉旗", "红山区", "林西县", "宁城县", "红山区"],
        }
    )


def gbk_latin1(s: str) -> str:
    """A str whose Latin-1 bytes are the GBK bytes of ``s`` (what Stata 13 on Chinese Windows wrote)."""
    return s.encode("gbk").decode("latin-1")


def write_dta(path: Path, version: int, *, gbk: bool = False, ascii_only: bool = False) -> Path:
    df = frame()
    vl = {"urban": dict(URBAN), "sat": dict(SAT)}
    labels = dict(VARLABELS)
    if ascii_only:
        df["county"] = ["Hongshan", "Aohan", "Hongshan", "Linxi", "Ningcheng", "Hongshan"]
        vl = {"urban": {0: "rural", 1: "urban"}, "sat": {k: f"level {k}" for k in SAT}}
        labels = {k: k.upper() for k in labels}
    elif gbk:
        df["county"] = df["county"].map(gbk_latin1)
        vl = {c: {k: gbk_latin1(v) for k, v in m.items()} for c, m in vl.items()}
        labels = {k: gbk_latin1(v) for k, v in labels.items()}
    df.to_stata(path, version=version, write_index=False, value_labels=vl, variable_labels=labels,
                time_stamp=STAMP)
    return path


def write_readstat(path: Path, kind: str) -> Path:
    import pyreadstat

    df = frame()
    if kind in ("sav", "zsav"):
        pyreadstat.write_sav(df, path, column_labels=VARLABELS,
                             variable_value_labels={"urban": URBAN, "sat": SAT}, compress=kind == "zsav")
    elif kind == "por":
        df["county"] = ["Hongshan", "Aohan", "Hongshan", "Linxi", "Ningcheng", "Hongshan"]
        pyreadstat.write_por(df, path, column_labels={k: k.upper() for k in VARLABELS})
    elif kind == "xpt":
        df["county"] = ["Hongshan", "Aohan", "Hongshan", "Linxi", "Ningcheng", "Hongshan"]
        pyreadstat.write_xport(df, path, column_labels={k: k.upper() for k in VARLABELS})
    return path


#: The project's shared folder of real files (``../shared/reference-data`` beside the checkout). CI
#: always has it, so a missing file is a failure, not a skip.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference-data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared(name: str) -> Path:
    path = SHARED / name
    assert path.is_file(), (
        f"{path} is missing: the real sample files must sit in ../shared/reference-data beside the "
        "checkout (CI has them); these tests fail rather than skip without them."
    )
    return path


def nbs_csv(path: Path, lines: list[str], table: list[list[object]], notes: list[str] = ()) -> Path:
    """Write a table the way data.stats.gov.cn exports it: BOM, metadata lines, tab-plus-comma cells."""
    body = [f"{x} " for x in lines]
    body += [",".join(f"{'' if v is None else v}\t" for v in row) + "," for row in table]
    body += list(notes)
    path.write_bytes(("\ufeff" + "\r\n".join(body) + "\r\n").encode("utf-8"))
    return path
