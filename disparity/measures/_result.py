"""Frozen result objects returned by the measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from .. import _display
from ..errors import SpecificationError
from ..specs import MeasureSpec


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1, e.g. 0.95.")
    return float(stats.norm.ppf(0.5 + level / 2))


@dataclass(frozen=True, slots=True)
class MeasureResult:
    """Estimates of one measure: one row per ``by=`` group and component.

    Attributes
    ----------
    measure : str
        Name of the measure (e.g. ``"gini"``).
    table : pandas.DataFrame
        Columns: the ``by=`` columns (if any), ``component``, ``estimate``, ``std_error``, ``nobs``.
    se_method : str
        ``"analytic"`` (influence function / delta method), ``"bootstrap"`` or ``"none"``.
    spec : MeasureSpec
        How the measure was computed: ``measure``, ``by``, ``se``, ``weights``, ``weight_type``,
        ``options`` (the options that define the measure, e.g. ``alpha``, ``epsilon``, ``kind``)
        and ``data``, the source of the frame (:class:`disparity.specs.DataSource`).
    params : mapping
        The options that define the measure (``spec.options``).
    details : pandas.DataFrame or None
        Extra per-group information (e.g. population and income shares of a decomposition).
    """

    measure: str
    table: pd.DataFrame
    se_method: str
    by: tuple[str, ...] = ()
    spec: MeasureSpec = field(default_factory=MeasureSpec)
    details: pd.DataFrame | None = None
    main: str = ""

    @property
    def params(self) -> Mapping[str, Any]:
        """The options that define the measure (``y``, ``alpha``, ``epsilon``, ...): ``spec.options``."""
        return self.spec.options

    # -- component access -------------------------------------------------------------------------
    @property
    def components(self) -> list[str]:
        """Names of the components, in order (the first is the headline value)."""
        return list(dict.fromkeys(self.table["component"]))

    def component(self, name: str) -> MeasureResult:
        """A new result holding only component ``name`` (e.g. ``"within"``)."""
        if name not in self.components:
            raise SpecificationError(
                f"{self.measure} has no component {name!r}; available: {self.components}."
            )
        sub = self.table[self.table["component"] == name].reset_index(drop=True)
        return replace(self, table=sub, main=name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("table", "measure", "main", "spec"):
            raise AttributeError(name)
        try:  # the slots directly: a half-built object (while unpickling) has none set yet
            table, measure = object.__getattribute__(self, "table"), object.__getattribute__(self, "measure")
        except AttributeError:
            raise AttributeError(name) from None
        comps = list(dict.fromkeys(table["component"]))
        if name in comps:
            return self.component(name)
        raise AttributeError(
            f"{type(self).__name__!s} for {measure!r} has no attribute {name!r}; "
            f"components are {comps}"
        )

    def _main_rows(self) -> pd.DataFrame:
        key = self.main or self.table["component"].iloc[0]
        return self.table[self.table["component"] == key]

    def _shape(self, col: str) -> float | pd.Series:
        rows = self._main_rows()
        if not self.by:
            return float(rows[col].iloc[0])
        idx = pd.MultiIndex.from_frame(rows[list(self.by)]) if len(self.by) > 1 else pd.Index(
            rows[self.by[0]], name=self.by[0]
        )
        return pd.Series(rows[col].to_numpy(), index=idx, name=col)

    # -- the common contract ----------------------------------------------------------------------
    @property
    def value(self) -> float | pd.Series:
        """The headline estimate (a float; a Series indexed by group when ``by=`` was used)."""
        return self._shape("estimate")

    @property
    def std_error(self) -> float | pd.Series:
        """Standard error of :attr:`value` (NaN when ``se="none"``)."""
        return self._shape("std_error")

    @property
    def nobs(self) -> float | pd.Series:
        """Observations used (sum of frequency weights for ``weight_type="fweight"``)."""
        return self._shape("nobs")

    def conf_int(self, level: float = 0.95) -> tuple[float, float] | pd.DataFrame:
        """Normal-approximation confidence interval for :attr:`value`."""
        z = _z(level)
        est, se = self.value, self.std_error
        if isinstance(est, float):
            se = cast(float, se)  # a scalar result has a scalar std_error
            return (est - z * se, est + z * se)
        return pd.DataFrame({"conf_low": est - z * se, "conf_high": est + z * se})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per group and component with estimate, std_error, conf_low, conf_high, nobs."""
        z = _z(level)
        out = self.table.copy()
        out.insert(cast(int, out.columns.get_loc("std_error")) + 1, "conf_low", out["estimate"] - z * out["std_error"])
        out.insert(cast(int, out.columns.get_loc("conf_low")) + 1, "conf_high", out["estimate"] + z * out["std_error"])
        out.insert(0, "measure", self.measure)
        return out

    def __float__(self) -> float:
        rows = self._main_rows()
        if rows.shape[0] != 1:
            raise SpecificationError(
                f"{self.measure} has {rows.shape[0]} groups; float() needs a single value. "
                "Use .value (a Series by group) or .tidy()."
            )
        return float(rows["estimate"].iloc[0])

    def _view(self) -> _display.View:
        info: dict[str, Any] = {k: v for k, v in self.params.items() if np.isscalar(v) or v is None}
        info["se"] = self.se_method
        if self.by:
            info["by"] = ", ".join(self.by)
        tables = {"": self.tidy().drop(columns="measure")}
        if self.details is not None:
            tables["details"] = self.details
        return _display.View(self.measure, info, tables)

    def __str__(self) -> str:
        """The summary: options, estimates by group and component (what ``print`` shows)."""
        return _display.text(self._view())

    def __repr__(self) -> str:
        rows = self._main_rows()
        value = f"{float(rows['estimate'].iloc[0]):.6g}" if len(rows) == 1 else f"{len(rows)} groups"
        return f"<MeasureResult {self.measure} = {value} (se: {self.se_method})>"

    def _repr_html_(self) -> str:
        return _display.html(self._view())


@dataclass(frozen=True, slots=True)
class CurveResult:
    """Ordinates of a Lorenz or concentration curve.

    ``points`` has columns: the ``by=`` columns, ``p`` (cumulative population share) and
    ``ordinate`` (cumulative share of the outcome, or for generalised curves the cumulative amount
    per head), starting at (0, 0).
    """

    curve: str
    points: pd.DataFrame
    by: tuple[str, ...] = ()
    spec: MeasureSpec = field(default_factory=MeasureSpec)

    @property
    def params(self) -> Mapping[str, Any]:
        """The options that define the curve (``y``, ``rank``, ``generalized``): ``spec.options``."""
        return self.spec.options

    def tidy(self) -> pd.DataFrame:
        """The ordinates as a DataFrame (a copy)."""
        out = self.points.copy()
        out.insert(0, "curve", self.curve)
        return out

    def _view(self) -> _display.View:
        info = {k: v for k, v in self.params.items() if np.isscalar(v) or v is None}
        return _display.View(self.curve, info, {"": self.points})

    def __str__(self) -> str:
        return _display.text(self._view())

    def __repr__(self) -> str:
        return f"<CurveResult {self.curve}: {self.points.shape[0]} points>"

    def _repr_html_(self) -> str:
        return _display.html(self._view())


def build_table(
    rows: list[dict[str, Any]], by_cols: tuple[str, ...]
) -> pd.DataFrame:
    """Assemble result rows (dicts with by values, component, estimate, std_error, nobs)."""
    table = pd.DataFrame(rows)
    cols = [*by_cols, "component", "estimate", "std_error", "nobs"]
    extra = [c for c in table.columns if c not in cols]
    table = table[cols + extra]
    table["estimate"] = table["estimate"].astype(float)
    table["std_error"] = table["std_error"].astype(float)
    return table


def nan_if_none(x: np.ndarray | None, k: int) -> np.ndarray:
    return np.full(k, np.nan) if x is None else x
