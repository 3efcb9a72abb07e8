"""The one implementation of design-based variances, used by measures, models and descriptives.

:func:`bind` resolves a :class:`~disparity.SurveyDesign` or :class:`~disparity.ReplicateDesign`
against a DataFrame (checks, integer codes, fpc per stage, replicate weights) into a
:class:`BoundDesign`. Estimators then ask it for

* :meth:`BoundDesign.taylor_cov`: the Taylor-linearisation covariance of estimated totals
  :math:`\\sum_k z_k` from per-row values :math:`z_k = w_k u_k` on some rows of the design (rows
  outside the estimation domain count as zeros, so strata and PSU counts are the whole design's:
  domain estimation);
* :meth:`BoundDesign.replicate_cov`: the replicate variance from re-estimates with each replicate
  weight column;
* :meth:`BoundDesign.degrees_of_freedom`: the design degrees of freedom by the chosen convention.

The formulas follow R ``survey`` 4.1 (``svyrecvar``/``multistage``/``onestrat`` and ``svrVar``)
and the Stata ``svy`` manual; see :class:`~disparity.SurveyDesign` for the notation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, DisparityWarning, SpecificationError
from ._expr import evaluate_subpop

__all__ = ["BoundDesign", "bind", "design_columns", "SELF_REPRESENTING"]

SELF_REPRESENTING = 1e-7  # 1 - f below this: the stratum was enumerated (R onestrat's cut-off)
_SHOW = 5


def _rows_text(index: pd.Index, mask: np.ndarray) -> str:
    bad = np.flatnonzero(mask)
    labels = ", ".join(repr(index[i]) for i in bad[:_SHOW])
    more = f" and {bad.size - _SHOW} more" if bad.size > _SHOW else ""
    return f"{bad.size} row(s) (index {labels}{more})"


def design_columns(design: SurveyDesign | ReplicateDesign, available: list[str]) -> list[str]:
    """Every column the design needs, replicate patterns resolved against ``available``."""
    if isinstance(design, ReplicateDesign):
        return design.columns(available)
    return design.columns()


@dataclass
class Stage:
    """One sampling stage: units (clusters) within strata (stage 1) or within parent units."""

    cluster: np.ndarray  # (n,) code of the unit of each row, 0..C-1
    stratum_of: np.ndarray  # (C,) code of each unit's stratum, 0..H-1
    n_h: np.ndarray  # (H,) sampled units per stratum (whole design)
    frac: np.ndarray  # (H,) sampling fraction f_h (0: with replacement / no fpc)
    labels: list[object]  # (H,) stratum labels for messages
    name: str

    @property
    def n_units(self) -> int:
        return int(self.stratum_of.shape[0])


@dataclass
class BoundDesign:
    """A design resolved against one DataFrame (internal; see the module docstring)."""

    design: SurveyDesign | ReplicateDesign
    index: pd.Index  # labels of the design's rows
    w: np.ndarray  # (n,) full-sample weights
    subpop: np.ndarray | None  # (n,) bool or None (everyone)
    stages: list[Stage] = field(default_factory=list)
    has_strata: bool = False
    repw: np.ndarray | None = None  # (n, R) replicate weights
    scale: float = 1.0
    rscales: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.w.shape[0])

    @property
    def replicate(self) -> bool:
        return self.repw is not None

    @property
    def n_replicates(self) -> int:
        return 0 if self.repw is None else int(self.repw.shape[1])

    # -- Taylor linearisation -----------------------------------------------------------------

    def taylor_cov(
        self, z: np.ndarray, rows: np.ndarray | None = None, *, diag: bool = False
    ) -> np.ndarray:
        """Covariance (k, k) (or its diagonal with ``diag``) of the totals of ``z`` (m, k) or (m,).

        ``rows`` are the positions of ``z``'s rows in the design (None: all rows, in order).
        """
        if self.replicate:
            raise SpecificationError(
                "this estimator has no replicate-weight variance yet (it needs a linearisation "
                "variance); use a dp.SurveyDesign with strata and PSUs for it."
            )
        z2 = z.reshape(z.shape[0], -1)
        k = z2.shape[1]
        out = np.zeros(k) if diag else np.zeros((k, k))
        mult: np.ndarray | None = None  # per-stratum multiplier of the current stage
        for s, stage in enumerate(self.stages):
            if mult is None:
                mult = np.ones(stage.n_h.shape[0])
            elif not mult.any():
                break
            codes = stage.cluster if rows is None else stage.cluster[rows]
            totals = _rowsum(z2, codes, stage.n_units)
            out += _onestage(totals, stage, mult, self.design, s, diag)
            # later stages: within each unit of this stage, scaled by the fractions above
            mult = (mult * stage.frac)[stage.stratum_of]
        return out

    def taylor_var_grouped(
        self, z: np.ndarray, groups: np.ndarray, n_groups: int, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Variances (G,) of the group totals of ``z`` (m,): column g is z where groups == g, else 0."""
        keys = self.unit_group_keys(groups, n_groups, rows)
        return self.var_from_unit_totals(self.unit_group_totals(keys, z))

    def active_stages(self) -> int:
        """Number of stages that contribute (later stages need an fpc at every stage above)."""
        mult: np.ndarray | None = None
        for s, stage in enumerate(self.stages):
            if mult is not None and not mult.any():
                return s
            mult = np.ones(stage.n_h.shape[0]) if mult is None else mult
            mult = (mult * stage.frac)[stage.stratum_of]
        return len(self.stages)

    def unit_group_keys(
        self, groups: np.ndarray, n_groups: int, rows: np.ndarray | None = None
    ) -> list[tuple[np.ndarray, int, int]]:
        """Per contributing stage, the (unit, group) cell of each row, the unit and cell counts."""
        out = []
        for stage in self.stages[: self.active_stages()]:
            codes = stage.cluster if rows is None else stage.cluster[rows]
            key = codes * n_groups
            key += groups
            out.append((key, stage.n_units, stage.n_units * n_groups))
        return out

    @staticmethod
    def unit_group_totals(keys: list[tuple[np.ndarray, int, int]], v: np.ndarray) -> list[np.ndarray]:
        """Per stage, the (units, G) totals of ``v`` by sampling unit and group (see the keys).

        Smooth statistics of group totals have linearised unit totals that are combinations of
        these (a mean's are :math:`(T_{wy} - \\bar y_g T_w)/W_g`), so one pass per variable
        replaces a pass per influence column.
        """
        return [np.bincount(key, weights=v, minlength=size).reshape(units, -1)
                for key, units, size in keys]

    def var_from_unit_totals(self, totals: list[np.ndarray], *, diag: bool = True) -> np.ndarray:
        """Variances (or covariance) from per-stage (units, k) totals of the linearised variable."""
        out: np.ndarray | None = None
        mult: np.ndarray | None = None
        for s, (stage, t) in enumerate(zip(self.stages, totals, strict=False)):
            mult = np.ones(stage.n_h.shape[0]) if mult is None else mult
            v = _onestage(t, stage, mult, self.design, s, diag)
            out = v if out is None else out + v
            mult = (mult * stage.frac)[stage.stratum_of]
        assert out is not None
        return out

    # -- replicates -----------------------------------------------------------------------------

    def replicate_weights(self, rows: np.ndarray | None = None) -> np.ndarray:
        assert self.repw is not None
        return self.repw if rows is None else self.repw[rows]

    def replicate_cov(self, thetas: np.ndarray, theta: np.ndarray, *, diag: bool = False) -> np.ndarray:
        """Replicate covariance from re-estimates ``thetas`` (R, k) and the estimate ``theta`` (k,).

        :math:`c\\sum_r c_r(\\hat\\theta_r - \\bar\\theta)(\\hat\\theta_r - \\bar\\theta)'`, centred at the
        mean of the replicates with :math:`c_r > 0` (or at :math:`\\hat\\theta` with ``mse=True``).
        Replicates where the estimate is undefined are left out, with a warning (R's ``na.omit``).
        """
        assert self.rscales is not None
        t = thetas.reshape(thetas.shape[0], -1)
        th = np.asarray(theta, dtype=float).reshape(-1)
        ok = np.isfinite(t).all(axis=1)
        rs = self.rscales
        if not ok.all():
            warnings.warn(
                f"{int((~ok).sum())} of {t.shape[0]} replicate estimates are undefined (e.g. a domain "
                "with no observations in that replicate, or a model refit that failed) and were left "
                "out of the variance.",
                DisparityWarning,
                stacklevel=4,
            )
            t, rs = t[ok], rs[ok]
        if t.shape[0] == 0:
            return np.full(th.shape[0] if diag else (th.shape[0], th.shape[0]), np.nan)
        design = self.design
        assert isinstance(design, ReplicateDesign)
        centre = th if design.mse else t[rs > 0].mean(axis=0)
        dev = t - centre
        if diag:
            return self.scale * (rs[:, None] * dev * dev).sum(axis=0)
        return self.scale * (dev * rs[:, None]).T @ dev

    # -- degrees of freedom ---------------------------------------------------------------------

    def degrees_of_freedom(self, rows: np.ndarray | None = None, w: np.ndarray | None = None) -> float:
        """Design df: #PSU - #strata (Stata) or over the domain's PSUs and strata (R ``degf``).

        ``rows`` (positions in the design) and their weights ``w`` define the domain for "r".
        """
        design = self.design
        if isinstance(design, ReplicateDesign):
            if design.dof is not None:
                return float(design.dof)
            rw = self.replicate_weights(rows)
            if w is not None:
                rw = rw[w > 0]
            return float(np.linalg.matrix_rank(rw, tol=1e-5 * max(1.0, float(np.abs(rw).max())))
                         - 1)
        st = self.stages[0]
        if design.df == "stata" or rows is None:
            return float(st.n_units - st.n_h.shape[0])
        present = rows if w is None else rows[w > 0]
        units = np.unique(st.cluster[present])
        strata = np.unique(st.stratum_of[units])
        return float(units.shape[0] - strata.shape[0])


def _rowsum(z: np.ndarray, codes: np.ndarray, n_units: int) -> np.ndarray:
    k = z.shape[1]
    if k == 1:
        return np.bincount(codes, weights=z[:, 0], minlength=n_units)[:, None]
    return np.column_stack(
        [np.bincount(codes, weights=z[:, j], minlength=n_units) for j in range(k)]
    )


def _onestage(
    totals: np.ndarray, stage: Stage, mult: np.ndarray, design: SurveyDesign | ReplicateDesign,
    s: int, diag: bool,
) -> np.ndarray:
    """One stage's with-replacement variance of unit totals within strata, fpc and multipliers."""
    assert isinstance(design, SurveyDesign)
    n_h = stage.n_h
    H = n_h.shape[0]
    strat = stage.stratum_of
    sums = np.zeros((H, totals.shape[1]))
    _add_rows(sums, strat, totals)
    dev = totals - (sums / n_h[:, None])[strat]
    keep = 1.0 - stage.frac
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = keep * np.where(n_h > 1, n_h / (n_h - 1), 1.0) * mult
    lonely = (n_h == 1) & (keep > SELF_REPRESENTING) & (mult > 0)
    factor = 1.0
    if lonely.any():
        rule = design.single_psu
        if rule == "fail":
            which = [stage.labels[i] for i in np.flatnonzero(lonely)[:_SHOW]]
            where = "stratum" if s == 0 else f"{stage.name} (stage {s + 1}) within unit"
            raise DataValueError(
                f"{int(lonely.sum())} {where}(s) {which} contain a single "
                f"{'PSU' if s == 0 else 'sampled unit'}, so their variance cannot be estimated. "
                "Collapse such "
                "strata with a neighbouring one, or choose SurveyDesign(single_psu='certainty' | "
                "'scaled' | 'centered') (R survey.lonely.psu, Stata singleunit())."
            )
        if rule in ("certainty", "scaled"):
            scale = np.where(lonely, 0.0, scale)
            if rule == "scaled":
                relevant = (mult > 0) & (keep > SELF_REPRESENTING)
                ok = int((relevant & ~lonely).sum())
                factor = float(relevant.sum()) / ok if ok else 0.0
        else:  # centered: deviation from zero (the mean of a linearised variable)
            single_units = lonely[strat]
            dev[single_units] = totals[single_units]
    sw = scale[strat]
    if diag:
        return factor * np.einsum("ij,ij,i->j", dev, dev, sw)
    return factor * (dev * sw[:, None]).T @ dev


def _add_rows(out: np.ndarray, codes: np.ndarray, values: np.ndarray) -> None:
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=out.shape[0])


# -- binding -------------------------------------------------------------------------------------

def _numeric_col(df: pd.DataFrame, col: str, what: str) -> np.ndarray:
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        raise DataValueError(
            f"the design's {what} column {col!r} is not numeric (dtype {s.dtype}); convert it, "
            f"e.g. df[{col!r}] = pd.to_numeric(df[{col!r}], errors='coerce')."
        )
    if s.dtype == np.float64:
        return s.to_numpy()
    return s.to_numpy(dtype=float, na_value=np.nan)


def check_design_weights(w: np.ndarray, index: pd.Index, col: str) -> None:
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise DataValueError(
            f"the design's weights {col!r} are missing, negative or infinite in "
            f"{_rows_text(index, bad)}; sampling weights must be finite and >= 0 (fix or drop those "
            "rows before forming the design)."
        )
    if not w.sum() > 0:
        raise DataValueError(f"the design's weights {col!r} sum to zero; no row carries weight.")


DENSE_RANGE_FACTOR = 4  # integer codes spanning at most this many times the rows: O(n) recoding


def dense_codes(v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes 0..G-1 in sorted order of the integers ``v`` and the sorted uniques, in O(n).

    ``pd.factorize(sort=True)`` hashes and sorts; for integer ids of moderate range (PSU, stratum
    and group codes) a presence table is several times faster. None when ``v`` is not such.
    """
    if v.dtype.kind not in "iu" or v.shape[0] == 0:
        return None
    lo, hi = int(v.min()), int(v.max())
    span = hi - lo + 1
    if span > DENSE_RANGE_FACTOR * v.shape[0] + 1024:
        return None
    shifted = v - lo if lo != 0 else v
    present = np.bincount(shifted, minlength=span) > 0
    if present.all():  # already consecutive: the shifted values are the codes
        return shifted.astype(np.intp, copy=False), np.arange(lo, hi + 1)
    lookup = np.cumsum(present) - 1
    return lookup[shifted].astype(np.intp, copy=False), np.flatnonzero(present) + lo


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    fast = dense_codes(values.to_numpy()) if values.dtype.kind in "iu" else None
    if fast is not None:
        return fast[0], pd.Index(fast[1])
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.intp, copy=False), pd.Index(uniques)


def bind(design: SurveyDesign | ReplicateDesign, df: pd.DataFrame, *, who: str = "") -> BoundDesign:
    """Resolve ``design`` against the rows of ``df`` (every row is in the design)."""
    if not isinstance(design, SurveyDesign | ReplicateDesign):
        raise SpecificationError(
            f"{who + ': ' if who else ''}design= must be a dp.SurveyDesign or dp.ReplicateDesign, "
            f"got {type(design).__name__}."
        )
    prefix = f"{who}: " if who else ""
    cols = design_columns(design, list(df.columns))
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise SpecificationError(
            f"{prefix}design column(s) {absent} not found in the data; available columns are "
            f"{list(df.columns)[:20]}."
        )
    n = df.shape[0]
    if n == 0:
        raise DataValueError(f"{prefix}the data have no rows.")
    for c in cols:
        if isinstance(df[c].dtype, np.dtype) and df[c].dtype.kind in "iub":
            continue  # numpy integer/bool columns cannot hold a missing value
        na = df[c].isna().to_numpy()
        if na.any():
            raise DataValueError(
                f"{prefix}design column {c!r} is missing in {_rows_text(df.index, na)}; every row "
                "of a survey design needs its weight, stratum, PSU and fpc. Fix those rows, or drop "
                "them with SurveyDesign(..., missing='drop') (which then changes the design)."
            )
    if design.weights:
        w = _numeric_col(df, design.weights, "weights")
        check_design_weights(w, df.index, design.weights)
    else:
        w = np.ones(n)
    sub = evaluate_subpop(design.subpop, df) if design.subpop is not None else None
    bound = BoundDesign(design=design, index=df.index, w=w, subpop=sub)
    if isinstance(design, ReplicateDesign):
        _bind_replicates(bound, design, df, prefix)
    else:
        _bind_stages(bound, design, df, prefix)
    return bound


def _bind_stages(bound: BoundDesign, design: SurveyDesign, df: pd.DataFrame, prefix: str) -> None:
    n = df.shape[0]
    if design.strata:
        strata, labels = _codes(df[design.strata])
        bound.has_strata = True
    else:
        strata, labels = np.zeros(n, dtype=np.intp), pd.Index(["(all)"])
    stage_cols: list[str | None] = [*design.stages] or [None]
    fpcs = [design.fpc, *(design.fpc2 or ())]
    parent = strata
    parent_labels: list[object] = list(labels)
    for s, col in enumerate(stage_cols):
        known_first: np.ndarray | None = None
        if col is None:
            unit = np.arange(n, dtype=np.intp)
        else:
            raw, _ = _codes(df[col])
            if s == 0 and design.strata and not design.nest:
                per = pd.Series(strata).groupby(raw).nunique().to_numpy()
                if (per > 1).any():
                    raise DataValueError(
                        f"{prefix}PSU codes of {col!r} occur in more than one stratum of "
                        f"{design.strata!r}; if the codes restart within each stratum use "
                        "SurveyDesign(..., nest=True) (R: nest=TRUE)."
                    )
            # units are nested in their parent (stratum, or the unit of the stage above)
            first_raw = np.full(int(raw.max()) + 1, -1, dtype=np.intp)
            first_raw[raw[::-1]] = np.arange(n - 1, -1, -1)
            if (parent[first_raw][raw] == parent).all():
                unit = raw  # codes already unique across parents
                known_first = first_raw
            else:
                combined = parent.astype(np.int64) * (int(raw.max()) + 1) + raw
                fast = dense_codes(combined)
                unit = (fast[0] if fast is not None
                        else pd.factorize(combined)[0].astype(np.intp))
        n_units = int(unit.max()) + 1
        if known_first is not None:
            first = known_first
        else:
            first = np.full(n_units, -1, dtype=np.intp)
            first[unit[::-1]] = np.arange(n - 1, -1, -1)
        stratum_of = parent[first]
        H = int(parent.max()) + 1
        n_h = np.bincount(stratum_of, minlength=H).astype(float)
        frac = np.zeros(H)
        fcol = fpcs[s] if s < len(fpcs) else None
        name = "strata" if s == 0 else f"units of {stage_cols[s - 1]!r}"
        if fcol is not None:
            frac = _fractions(df, fcol, parent, n_h, H, prefix, name)
        bound.stages.append(Stage(
            cluster=unit, stratum_of=stratum_of, n_h=n_h, frac=frac,
            labels=parent_labels if len(parent_labels) == H else list(range(H)),
            name=str(col) if col else "rows",
        ))
        parent = unit
        parent_labels = list(range(n_units))


def _fractions(
    df: pd.DataFrame, col: str, parent: np.ndarray, n_h: np.ndarray, H: int, prefix: str, name: str,
) -> np.ndarray:
    v = _numeric_col(df, col, "fpc")
    if (v <= 0).any() or not np.isfinite(v).all():
        raise DataValueError(
            f"{prefix}fpc column {col!r} has zero, negative or infinite values; give population "
            "counts (> 1) or sampling fractions in (0, 1]."
        )
    lo = np.full(H, np.inf)
    hi = np.full(H, -np.inf)
    np.minimum.at(lo, parent, v)
    np.maximum.at(hi, parent, v)
    if (lo != hi).any():
        bad = np.flatnonzero(lo != hi)[:_SHOW].tolist()
        raise DataValueError(
            f"{prefix}fpc column {col!r} varies within {name} (codes {bad}); it must hold one value "
            "per stratum (the population count of units, or the sampling fraction). R survey would "
            "warn and use each unit's own value; disparity refuses, since that is not a stratified "
            "design's fpc."
        )
    big, small = lo > 1, lo < 1
    if big.any() and small.any():
        raise DataValueError(
            f"{prefix}fpc column {col!r} mixes population counts (> 1) and sampling fractions "
            "(< 1); use one kind throughout."
        )
    frac = np.where(big, n_h / lo, lo) if big.any() else lo
    if (frac > 1 + 1e-12).any():
        bad = np.flatnonzero(frac > 1 + 1e-12)[:_SHOW].tolist()
        raise DataValueError(
            f"{prefix}fpc column {col!r} implies more sampled units than the population in "
            f"{name} {bad} (sampling fraction > 1); check the fpc."
        )
    return np.minimum(frac, 1.0)


_DEFAULT_SCALE = {"JK1": lambda R: (R - 1) / R, "BRR": lambda R: 1 / R, "bootstrap": lambda R: 1 / (R - 1),
                  "JKn": lambda R: 1.0}


def _bind_replicates(
    bound: BoundDesign, design: ReplicateDesign, df: pd.DataFrame, prefix: str
) -> None:
    cols = design.replicate_columns(list(df.columns))
    rw = np.column_stack([_numeric_col(df, c, "replicate weight") for c in cols])
    bad = ~np.isfinite(rw) | (rw < 0)
    if bad.any():
        raise DataValueError(
            f"{prefix}replicate weights are missing, negative or infinite in "
            f"{_rows_text(df.index, bad.any(axis=1))}; replicate weights must be finite and >= 0."
        )
    R = rw.shape[1]
    if R < 2:
        raise SpecificationError(f"{prefix}a replicate design needs at least two replicate columns.")
    if design.scale is not None:
        scale = float(design.scale)
    elif design.type == "Fay":
        assert design.rho is not None
        scale = 1.0 / (R * (1.0 - float(design.rho)) ** 2)
    else:
        scale = float(_DEFAULT_SCALE[design.type](R))
    if design.rscales is not None:
        rscales = np.asarray(design.rscales, dtype=float)
        if rscales.shape[0] == 1:
            rscales = np.repeat(rscales, R)
        if rscales.shape[0] != R:
            raise SpecificationError(
                f"{prefix}rscales has {rscales.shape[0]} values for {R} replicate columns."
            )
    else:
        rscales = np.ones(R)
    bound.repw = rw
    bound.scale = scale
    bound.rscales = rscales
