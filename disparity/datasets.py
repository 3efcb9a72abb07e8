"""Bundled data sets.

All bundled microdata and panels are **synthetic**: made by ``data/make_data.py`` with a fixed seed
and a documented data-generating process (``data/README.md``), for demonstrations and tests. Every
frame returned here carries ``attrs["synthetic"] = True`` and a note saying so, and reports built from
them say so on their first page. :func:`national_standards` is the exception: real national policy
figures with a source on every row.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ._options import check_option
from .errors import DataFormatError
from .io.codebook import as_codebook, stored
from .io.survey import read_survey

__all__ = [
    "chifeng_survey",
    "province_panel",
    "province_panel_true_att",
    "national_standards",
    "true_parameters",
    "path",
    "SYNTHETIC_NOTE",
    "SYNTHETIC_NOTE_ZH",
    "SYNTHETIC_REPORT_TEXT",
]

SYNTHETIC_NOTE = (
    "SYNTHETIC data made by data/make_data.py (seed 20190513) for demonstrations and tests; "
    "not real survey or yearbook figures."
)
SYNTHETIC_NOTE_ZH = "本数据为 data/make_data.py 生成的合成数据（随机种子 20190513），仅用于演示和测试，并非真实调查或统计年鉴数据。"

#: The statement a report built from the bundled data opens with, by report language.
SYNTHETIC_REPORT_TEXT = {
    "zh": "说明：本报告使用的数据是 disparity 自带的合成数据（由 data/make_data.py 按固定随机种子和公开的数据生成过程生成），"
          "仅用于演示方法和检验软件，不是真实调查或统计年鉴数据，不可引用。",
    "en": "Note: this report uses the SYNTHETIC data bundled with disparity (made by data/make_data.py with a fixed "
          "seed and a documented data-generating process) to demonstrate the methods and test the software. "
          "They are not real survey or yearbook data and must not be cited.",
}

_FILES = {
    "chifeng_survey.dta",
    "chifeng_survey_v117_gbk.dta",
    "chifeng_survey.sav",
    "province_panel.csv",
    "province_panel_yearbook.xlsx",
    "province_panel_true_att.csv",
    "national_standards.csv",
    "true_parameters.json",
}


@cache
def _data_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parent / "data"):
        if (candidate / "chifeng_survey.dta").exists():
            return candidate
    raise DataFormatError(
        "The bundled data files were not found (looked in disparity/_data and ../data). Reinstall "
        "disparity, or run `make data` in a source checkout."
    )


def path(name: str) -> Path:
    """Path of a bundled file, e.g. ``path("province_panel_yearbook.xlsx")``.

    Examples
    --------
    >>> path("province_panel_yearbook.xlsx").name
    'province_panel_yearbook.xlsx'
    """
    check_option("name", name, sorted(_FILES))
    return _data_dir() / name


def _mark_synthetic(df: pd.DataFrame) -> pd.DataFrame:
    df.attrs["synthetic"] = True
    df.attrs["note"] = SYNTHETIC_NOTE
    df.attrs["note_zh"] = SYNTHETIC_NOTE_ZH
    book = as_codebook(df.attrs.get("codebook"))
    if book is not None:
        df.attrs["codebook"] = stored(replace(book, synthetic=True))
    return df


def chifeng_survey(fmt: Literal["dta", "dta117", "sav"] = "dta") -> pd.DataFrame:
    """Synthetic household survey across Chifeng's 12 county-level units (3,000 respondents).

    Read with :func:`disparity.read_survey` (``missing="cfps"``: the file carries CFPS-style codes
    -1 "不知道" in satisfaction and -2 "拒绝回答" in income). Value-labelled variables are ordered
    Categoricals with Chinese labels; ``df.attrs["codebook"]`` has the labels and missing counts.

    Parameters
    ----------
    fmt : {"dta", "dta117", "sav"}
        Which shipped copy to read: Stata 118 (UTF-8), the legacy Stata 117 file with GBK text, or SPSS.
        All three hold the same data.

    Examples
    --------
    >>> df = chifeng_survey()
    >>> df.attrs["synthetic"], len(df), df["county"].nunique()
    (True, 3000, 12)
    """
    check_option("fmt", fmt, ("dta", "dta117", "sav"))
    name = {"dta": "chifeng_survey.dta", "dta117": "chifeng_survey_v117_gbk.dta", "sav": "chifeng_survey.sav"}[fmt]
    return _mark_synthetic(read_survey(path(name), missing="cfps"))


def province_panel() -> pd.DataFrame:
    """Synthetic panel of the 31 provinces, 2010-2023 (434 rows), with staggered integration years.

    Columns include ``region_code`` (GB/T 2260), ``region``, ``region_en``, ``nbs4``, ``year``,
    ``integration_year``, ``integrated``, ``gdp_pc``, ``urbanisation``, per-capita financing and
    contributions, reimbursement rates, ``benefit_gap`` (urban minus rural, percentage points), fund
    balance (months), medical investment, ``pooling_level`` and the six unification items
    ``unify_*``. ``true_effect`` is the true effect of integration on ``benefit_gap`` in that row.

    Examples
    --------
    >>> panel = province_panel()
    >>> panel.shape[0], panel["region_code"].nunique(), int(panel["year"].min()), int(panel["year"].max())
    (434, 31, 2010, 2023)
    """
    df = pd.read_csv(path("province_panel.csv"), dtype={"region_code": str})
    return _mark_synthetic(df)


def province_panel_true_att() -> pd.DataFrame:
    """True ATT(g, t) of integration on the benefit gap in :func:`province_panel` (synthetic DGP).

    Examples
    --------
    >>> att = province_panel_true_att()
    >>> att.shape, float(att.query("cohort == 2016 and event_time == 0")["att"].iloc[0])
    ((71, 5), -1.5)
    """
    return _mark_synthetic(pd.read_csv(path("province_panel_true_att.csv")))


def true_parameters() -> dict[str, Any]:
    """The true parameters of the synthetic data-generating processes (see data/README.md).

    Examples
    --------
    >>> true_parameters()["support_logit"]["dev:benefit_gap"]
    0.05
    """
    return json.loads(path("true_parameters.json").read_text(encoding="utf-8"))


def national_standards() -> pd.DataFrame:
    """Real national minimum government subsidy and individual contribution standards (yuan/person/year).

    Each row names its source. Only figures with a source are included.

    Examples
    --------
    >>> std = national_standards()
    >>> int(std.query("year == 2018 and indicator == 'min_government_subsidy'")["value"].iloc[0])
    490
    """
    df = pd.read_csv(path("national_standards.csv"))
    df.attrs["synthetic"] = False
    return df
