"""From integration timing to first-treated periods ("cohorts") per unit."""

from __future__ import annotations

import re
import warnings
from typing import Literal, cast

import numpy as np
import pandas as pd

from ..._options import check_option
from ...errors import DataValueError, RegionError, SpecificationError
from ...io.regions import to_code
from ._panel import DidWarning, _check_columns

__all__ = ["cohorts", "MidYear"]

MidYear = Literal["half", "same", "next"]
_CODE = re.compile(r"^\d{6}$")


def _region_codes(values: pd.Series, what: str) -> pd.Series:
    """GB/T 2260 codes for names or codes; six-digit codes below province level pass through."""
    uniq = list(pd.unique(values.dropna()))
    mapping: dict = {}
    names = []
    for v in uniq:
        s = str(v).strip()
        if _CODE.match(s) and not s.endswith("0000"):
            mapping[v] = s
        else:
            names.append(v)
    if names:
        try:
            # one vectorised call, so "Shanxi" is read correctly when "Shaanxi" occurs in the same column
            codes = cast(pd.Series, to_code(names))  # a list in, a Series out
        except RegionError as exc:
            raise RegionError(f"{what}: {exc}") from exc
        mapping.update(zip(names, (str(c) for c in codes), strict=True))
    if values.isna().any():
        rows = values.index[values.isna()][:5].tolist()
        raise RegionError(f"{what} has missing region values in rows {rows}; fill or drop them.")
    return values.map(mapping)


def _first_year(values: pd.Series, rule: str, col: str) -> pd.Series:
    """Year from which a reform counts: integers pass through; dates follow ``rule``."""
    num = pd.to_numeric(values, errors="coerce")
    is_year = num.notna() & (num == np.round(num)) & (num > 1000) & (num < 3000)
    out = pd.Series(np.nan, index=values.index)
    out[is_year] = num[is_year]
    rest = values.notna() & ~is_year
    if rest.any():
        d = pd.to_datetime(values[rest], errors="coerce")
        if d.isna().any():
            rows = d.index[d.isna()][:5].tolist()
            raise DataValueError(
                f"Timing column {col!r} must hold years or dates; rows {rows} are neither "
                f"(e.g. {values[d.index[d.isna()][0]]!r})."
            )
        y = d.dt.year.astype(float)
        if rule == "same":
            out[rest] = y
        elif rule == "next":
            out[rest] = y + ((d.dt.month > 1) | (d.dt.day > 1)).astype(float)
        else:
            late = (d.dt.month > 7) | ((d.dt.month == 7) & (d.dt.day > 1))
            out[rest] = y + late.astype(float)
    return out


def cohorts(
    timing: pd.DataFrame,
    *,
    region: str | None = None,
    date: str | None = None,
    data: pd.DataFrame | None = None,
    on: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treat: str | None = None,
    mid_year: MidYear = "half",
    missing: Literal["raise", "never"] = "raise",
    name: str = "cohort",
) -> pd.DataFrame:
    """First treated period per unit, from a timing table or from a 0/1 treatment column.

    Parameters
    ----------
    timing : DataFrame
        Either a timing table (one row per region: ``region`` and ``date``, the year or date of
        integration; missing = never integrated), or a long panel when ``unit``/``time``/``treat`` are
        given (then ``treat`` is the 0/1 treatment status and the first period with 1 is the cohort).
    region, date : str
        Columns of the timing table: region names or codes (province or city level; matched through
        :func:`disparity.regions.to_code`) and integration year or date.
    data, on : DataFrame, str
        Optional panel or microdata to merge the cohorts onto, by its region column ``on``.
    unit, time, treat : str
        Panel form: unit and period columns and the 0/1 treatment status.
    mid_year : {"half", "same", "next"}
        Rule for a date inside a year: "half" (default) counts the year of the date if the reform took
        effect on or before 1 July (in force for at least half the year), else the next year; "same"
        always counts the year of the date; "next" counts the following year unless the date is
        1 January.
    missing : {"raise", "never"}
        Regions of ``data`` absent from the timing table: raise (default) or treat as never treated
        (with a :class:`DidWarning`).
    name : str
        Name of the cohort column.

    Returns
    -------
    DataFrame
        Timing table form without ``data``: ``region_code`` and ``name``. Otherwise ``data`` (or the
        panel) with ``name`` added; never-treated units have a missing cohort.

    Notes
    -----
    A unit's cohort is :math:`g_i = \\min\\{t : D_{it} = 1\\}`. Treatment that switches off is an
    error: the staggered-adoption estimators assume it stays on.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
    *Journal of Econometrics* 225(2), 200-230 (sec. 2: staggered adoption).

    Examples
    --------
    >>> timing = pd.DataFrame({"region": ["北京市", "天津市", "河北省"],
    ...                        "date": ["2016-06-30", "2016-09-01", None]})
    >>> dp.cohorts(timing, region="region", date="date")["cohort"].tolist()
    [2016.0, 2017.0, nan]
    >>> panel = dp.datasets.province_panel()
    >>> dp.cohorts(panel, unit="region_code", time="year", treat="integrated")["cohort"].iloc[:2].tolist()
    [2016.0, 2016.0]
    """
    check_option("mid_year", mid_year, ("half", "same", "next"))
    check_option("missing", missing, ("raise", "never"))
    if treat is not None:
        if unit is None or time is None:
            raise SpecificationError("The panel form needs unit=, time= and treat=.")
        _check_columns(timing, [unit, time, treat])
        d = pd.to_numeric(timing[treat], errors="coerce")
        if (~d.isin([0, 1])).any():
            rows = timing.index[~d.isin([0, 1])][:5].tolist()
            raise DataValueError(f"Treatment column {treat!r} must be 0/1 without gaps; rows {rows} are not.")
        t = pd.to_numeric(timing[time], errors="coerce")
        order = np.lexsort((t.to_numpy(), pd.factorize(timing[unit])[0]))
        ds = d.iloc[order].to_numpy()
        us = timing[unit].iloc[order].to_numpy()
        same = np.r_[False, us[1:] == us[:-1]]
        off = same & (np.r_[0, np.diff(ds)] < 0)
        if off.any():
            bad = pd.unique(us[off])[:5].tolist()
            raise DataValueError(
                f"Treatment {treat!r} switches off (1 then 0) for units {bad}; staggered DiD needs treatment "
                "to stay on once adopted. Check those units' rows or model the exit separately."
            )
        first = t.where(d == 1).groupby(timing[unit]).min()
        out = timing.copy()
        out[name] = timing[unit].map(first)
        return out
    if region is None or date is None:
        raise SpecificationError("Give region= and date= (timing table) or unit=, time=, treat= (panel).")
    _check_columns(timing, [region, date])
    codes = _region_codes(timing[region], "Timing table")
    dup = codes.duplicated(keep=False)
    if dup.any():
        raise DataValueError(
            f"Regions {sorted(set(codes[dup]))[:5]} appear more than once in the timing table; keep one "
            "integration date per region."
        )
    table = pd.DataFrame({"region_code": codes.to_numpy(), name: _first_year(timing[date], mid_year, date).to_numpy()})
    if data is None:
        return table
    if on is None:
        raise SpecificationError("Merging onto data= needs on= (the region column of data).")
    _check_columns(data, [on])
    dcodes = _region_codes(data[on], "Data")
    look = dict(zip(table["region_code"], table[name], strict=True))
    absent = ~dcodes.isin(look.keys())
    if absent.any():
        regions = sorted(set(dcodes[absent]))[:8]
        if missing == "raise":
            raise DataValueError(
                f"No integration timing for regions {regions} ({int(absent.sum())} rows); add them to the "
                "timing table (missing date = never integrated) or pass missing='never'."
            )
        warnings.warn(f"Regions {regions} have no timing and are treated as never integrated.", DidWarning, stacklevel=2)
    out = data.copy()
    out[name] = dcodes.map(look).astype(float)
    return out
