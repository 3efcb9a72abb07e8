"""Hansen (1999) fixed-effects panel threshold regression: single, double and triple thresholds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ... import _display, _resample
from ..._options import VcovKind
from ...errors import DataValueError, SpecificationError
from ...specs import ThresholdSpec, data_source
from ..formula import build_design
from ..panel import panel
from ..results import ModelResult
from .results import DecompSummary, Estimate

__all__ = ["threshold", "ThresholdResult"]

MAX_THRESHOLDS = 3
# Candidate thresholds whose projected regressor has (relative) squared norm below this are
# skipped: they leave a regime without identifying variation.
DEGENERATE_TOL = 1e-10
MAX_CACHED_BASES = 64


def lr_critical_value(level: float) -> float:
    """Hansen's (2000) asymptotic critical value of the LR statistic: :math:`-2\\ln(1-\\sqrt{level})`."""
    return float(-2.0 * np.log(1.0 - np.sqrt(level)))


@_display.shown(lambda r: f"Panel threshold regression ({len(r.thresholds)} threshold(s) in {r.spec.threshold_var}): {r.spec.formula}")
@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """A fitted panel threshold model.

    Attributes
    ----------
    thresholds : list of Estimate
        Estimated thresholds in increasing order; ``conf_int(level)`` inverts the LR statistic.
    tests : DataFrame
        One row per number of thresholds k: ``ssr``, ``f_stat`` (k-1 against k thresholds),
        ``p_value`` (bootstrap), ``crit_90/95/99`` (bootstrap critical values), ``reps``.
    model : ModelResult
        The fixed-effects regression with regime-specific slopes at the estimated thresholds
        (regressors named ``x__r1``, ``x__r2``, ... for regimes in increasing order of ``q``).
    """

    thresholds: list[Estimate]
    tests: pd.DataFrame
    model: ModelResult
    nobs: int
    spec: ThresholdSpec = field(default_factory=ThresholdSpec)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


    @property
    def params(self) -> pd.Series:
        return self.model.params

    @property
    def std_errors(self) -> pd.Series:
        return self.model.std_errors

    @property
    def pvalues(self) -> pd.Series:
        return self.model.pvalues

    @property
    def cov(self) -> pd.DataFrame:
        return self.model.cov

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        return self.model.conf_int(level)

    def threshold_conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """LR-inversion intervals of the thresholds (Hansen 1999, 2000) at any ``level``."""
        if not 0 < level < 1:
            raise SpecificationError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")
        crit = lr_critical_value(level)
        rows = []
        for j, est in enumerate(self.thresholds):
            grid, lr = self.raw["lr_curves"][j]
            inside = grid[lr <= crit]
            rows.append({"term": est.name, "estimate": est.value,
                         "conf_low": float(inside.min()), "conf_high": float(inside.max())})
        return pd.DataFrame(rows)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Regime coefficients (from :attr:`model`) followed by the thresholds with LR intervals."""
        coefs = self.model.tidy(level)
        ci = self.threshold_conf_int(level)
        th = pd.DataFrame({
            "term": ci["term"], "estimate": ci["estimate"], "std_error": np.nan, "statistic": np.nan,
            "p_value": np.nan, "conf_low": ci["conf_low"], "conf_high": ci["conf_high"],
        })
        return pd.concat([coefs, th], ignore_index=True)

    def glance(self) -> pd.DataFrame:
        row = {"nobs": self.nobs, "n_thresholds": len(self.thresholds), "threshold_var": self.spec.threshold_var,
               "trim": self.spec.trim, "grid": self.spec.grid_size, "reps": self.spec.reps}
        for r in self.tests.itertuples(index=False):
            row[f"f_{r.k}"] = r.f_stat
            row[f"p_{r.k}"] = r.p_value
        return pd.DataFrame([row])

    def summary(self) -> DecompSummary:
        return DecompSummary({"coefficients": self.tidy(), "tests": self.tests},
                             {str(k): v for k, v in self.glance().iloc[0].to_dict().items()}, tuple(self.spec.notes))


# ----------------------------------------------------------------------------------------------
# The search machinery works on within-transformed data of a balanced panel.


class _Searcher:
    """Sums of squared residuals over candidate thresholds, vectorised over the grid."""

    def __init__(self, W0: np.ndarray, Z: np.ndarray, regime_n: np.ndarray, min_obs: int, total: int):
        self.total = total
        self.W0 = W0  # within-transformed regime-independent regressors and all regime regressors
        self.Z = Z  # (N, G, p): within-transformed R * 1{q <= gamma_g}
        self.regime_n = regime_n  # (G,) observations with q <= gamma_g
        self.min_obs = min_obs
        self.G = Z.shape[1]
        self._cache: dict[Any, Any] = {}
        self._scale = np.einsum("ngp,ngp->g", Z, Z)

    def _base(self, fixed: tuple[int, ...]):
        if fixed not in self._cache:
            if len(self._cache) > MAX_CACHED_BASES:
                # bootstrap replicates visit many threshold sets; keep memory bounded
                self._cache.clear()
            W = np.column_stack([self.W0, *[self.Z[:, g, :] for g in fixed]]) if fixed else self.W0
            Q, _ = np.linalg.qr(W)
            QZ = np.einsum("nm,ngp->mgp", Q, self.Z)
            ZZ = np.einsum("ngp,ngq->gpq", self.Z, self.Z) - np.einsum("mgp,mgq->gpq", QZ, QZ)
            self._cache[fixed] = (Q, QZ, ZZ)
        return self._cache[fixed]

    def valid(self, fixed: tuple[int, ...]) -> np.ndarray:
        """Candidates leaving at least ``min_obs`` observations in every regime."""
        if ("valid", fixed) not in self._cache:
            fixed_n = self.regime_n[list(fixed)]
            ok = np.empty(self.G, dtype=bool)
            for g in range(self.G):
                cuts = np.sort(np.r_[fixed_n, self.regime_n[g]])
                ok[g] = bool(np.all(np.diff(np.r_[0, cuts, self.total]) >= self.min_obs))
            self._cache[("valid", fixed)] = ok
        return self._cache[("valid", fixed)]

    def ssr_curve(self, y: np.ndarray, fixed: tuple[int, ...]) -> np.ndarray:
        Q, QZ, ZZ = self._base(fixed)
        Qy = Q.T @ y
        e = y - Q @ Qy
        ee = float(e @ e)
        Ze = np.einsum("ngp,n->gp", self.Z, y) - np.einsum("mgp,m->gp", QZ, Qy)
        p = self.Z.shape[2]
        out = np.full(self.G, np.inf)
        scale = self._scale
        good = self.valid(fixed).copy()
        if p == 1:
            zz = ZZ[:, 0, 0]
            good &= zz > DEGENERATE_TOL * np.maximum(scale, 1e-300)
            out[good] = ee - Ze[good, 0] ** 2 / zz[good]
        else:
            dets = np.linalg.det(ZZ)
            good &= np.abs(dets) > DEGENERATE_TOL * np.maximum(scale, 1e-300) ** p
            sol = np.linalg.solve(ZZ[good], Ze[good][..., None])[..., 0]
            out[good] = ee - np.einsum("gp,gp->g", Ze[good], sol)
        return out

    def ssr_null(self, y: np.ndarray, fixed: tuple[int, ...]) -> float:
        Q, _, _ = self._base(fixed)
        e = y - Q @ (Q.T @ y)
        return float(e @ e)


def _fit_sequence(s: _Searcher, y: np.ndarray, k_max: int, refine: bool = True) -> list[tuple[tuple[int, ...], float, float]]:
    """Sequential estimation (Bai 1997; Hansen 1999): for k = 1..k_max, (threshold indices, SSR_k, SSR_{k-1})."""
    out = []
    fixed: tuple[int, ...] = ()
    prev = s.ssr_null(y, ())
    for _ in range(k_max):
        curve = s.ssr_curve(y, fixed)
        if not np.isfinite(curve).any():
            raise DataValueError(
                f"No candidate threshold leaves enough observations in every regime for "
                f"{len(fixed) + 1} thresholds; lower n_thresholds or trim."
            )
        g = int(np.argmin(curve))
        new = (*fixed, g)
        if refine and len(new) > 1:
            # Hansen's refinement: re-estimate each earlier threshold given the others.
            for j in range(len(new) - 1):
                others = tuple(x for i, x in enumerate(new) if i != j)
                c2 = s.ssr_curve(y, others)
                new = (*others[:j], int(np.argmin(c2)), *others[j:])
        fixed = new
        ssr = s.ssr_null(y, fixed)
        out.append((fixed, ssr, prev))
        prev = ssr
    return out


def threshold(
    formula: str,
    data: pd.DataFrame,
    *,
    threshold_var: str,
    regime: str | Sequence[str],
    entity: str,
    time: str,
    n_thresholds: int = 1,
    trim: float = 0.05,
    grid: int | None = 300,
    reps: int = 300,
    seed: int | None = None,
    vcov: VcovKind = "iid",
    cluster: str | None = None,
    level: float = 0.95,
    progress: bool = True,
) -> ThresholdResult:
    """Fixed-effects panel threshold regression (Hansen 1999).

    Parameters
    ----------
    formula : str
        ``"benefit_gap ~ urbanisation + subsidy_pc"``: outcome and regime-independent regressors
        (``"y ~ 1"`` for none); entity effects are absorbed, not written.
    threshold_var : str
        The threshold variable :math:`q_{it}` (e.g. ``"log_gdp_pc"``).
    regime : str or list of str
        Regressor(s) whose slopes differ between regimes (may include ``threshold_var``).
    entity, time : str
        Panel identifiers; the panel must be balanced (as in Hansen 1999).
    n_thresholds : {1, 2, 3}
        Thresholds estimated sequentially; each is tested against one fewer.
    trim : float
        Each regime must hold at least this share of the observations (Hansen uses 0.01-0.05).
    grid : int or None
        Candidate thresholds: this many quantiles of the distinct values of ``q`` (None: all).
    reps, seed
        Bootstrap replicates of each F test (0 to skip) and the seed of their own generator.
    progress : bool
        Progress bar when the bootstrap is expected to take over ~2 s (silent in CI and off a
        terminal). A request that would need more than a day or the available memory is refused.
    vcov, cluster
        Variance of the regime coefficients, passed to :func:`dp.panel` (e.g. "cluster").
    level : float
        Level of the LR-inversion intervals stored in ``thresholds``.

    Returns
    -------
    ThresholdResult
        ``thresholds`` (with LR intervals), ``tests`` (F statistics, bootstrap p-values and critical
        values), ``model`` (regime-specific coefficients), ``tidy()``, ``summary()``.

    Notes
    -----
    With one threshold,

    .. math:: y_{it} = \\mu_i + x_{it}'\\beta + r_{it}'\\theta_1 1(q_{it} \\le \\gamma)
              + r_{it}'\\theta_2 1(q_{it} > \\gamma) + e_{it},

    estimated by least squares on within-transformed data, :math:`\\hat\\gamma = \\arg\\min S_1(\\gamma)`.
    With :math:`\\hat\\sigma^2 = S_1(\\hat\\gamma)/(n(T-1))`, the test of no threshold is
    :math:`F_1 = (S_0 - S_1(\\hat\\gamma))/\\hat\\sigma^2` with a bootstrap p-value: regressors held
    fixed, entity residual vectors of the threshold model resampled and added to the fit under the
    null. The interval for :math:`\\gamma` is :math:`\\{\\gamma: LR(\\gamma) \\le -2\\ln(1-\\sqrt{1-\\alpha})\\}`,
    :math:`LR(\\gamma) = (S_1(\\gamma) - S_1(\\hat\\gamma))/\\hat\\sigma^2`. Further thresholds are
    estimated sequentially given the earlier ones, with Hansen's refinement of the earlier ones, and
    tested by :math:`F_k = (S_{k-1} - S_k)/\\hat\\sigma_k^2`. Regime coefficients are reported from
    :func:`dp.panel` at the estimated thresholds (inference conditional on them, as is standard).

    References
    ----------
    Hansen, B. E. (1999). Threshold effects in non-dynamic panels: estimation, testing, and
    inference. *Journal of Econometrics* 93(2), 345-368.
    Hansen, B. E. (2000). Sample splitting and threshold estimation. *Econometrica* 68(3), 575-603.
    Wang, Q. (2015). Fixed-effect panel threshold model using Stata. *The Stata Journal* 15(1), 121-134.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.threshold("benefit_gap ~ urbanisation", panel, threshold_var="gdp_pc", regime="subsidy_pc",
    ...                  entity="region_code", time="year", grid=50, reps=20, seed=1)
    >>> float(r.thresholds[0].value), round(float(r.tests["f_stat"].iloc[0]), 2)
    (78412.0, 19.12)
    """
    if n_thresholds not in (1, 2, 3):
        raise SpecificationError(f"n_thresholds={n_thresholds!r} is not supported; use 1, 2 or 3.")
    if not isinstance(trim, (int, float)) or not 0 < trim < 1 / (n_thresholds + 1):
        raise SpecificationError(
            f"trim={trim!r} must be in (0, {1 / (n_thresholds + 1):.3g}) for {n_thresholds} threshold(s) "
            "(each regime keeps at least this share of observations; e.g. 0.05)."
        )
    if grid is not None and (not isinstance(grid, int) or grid < 3):
        raise SpecificationError(f"grid={grid!r} must be an integer >= 3 (e.g. 300) or None for all values.")
    if not isinstance(reps, int) or reps < 0 or reps == 1:
        raise SpecificationError(f"reps={reps!r} must be 0 (no test) or an integer >= 2 (e.g. 300).")
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    regime_vars = [regime] if isinstance(regime, str) else list(regime)
    if not regime_vars:
        raise SpecificationError("regime= must name at least one regressor whose slope changes with the regime.")
    for c in [threshold_var, *regime_vars, entity, time]:
        if not isinstance(c, str) or c not in data.columns:
            raise SpecificationError(f"Column {c!r} (threshold_var/regime/entity/time) is not in the data.")
        if c not in (entity, time) and (not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            raise SpecificationError(f"Column {c!r} must be numeric.")
    if "~" not in formula:
        raise SpecificationError(f"Formula {formula!r} has no '~'; write it as 'outcome ~ controls' ('y ~ 1' for none).")
    d = build_design(formula, data, extra=[threshold_var, *regime_vars, entity, time])
    sub = data.loc[d.index]
    miss = sub[[threshold_var, *regime_vars, entity, time]].isna().any(axis=1)
    if miss.any():
        d = build_design(formula, data.loc[d.index[~miss.to_numpy()]], extra=[threshold_var, *regime_vars, entity, time])
        sub = data.loc[d.index]
    controls = [c for c in d.X.columns if c != "Intercept"]
    clash = [c for c in regime_vars if c in controls]
    if clash:
        raise SpecificationError(f"{clash!r} are both in the formula and in regime=; list them in regime= only.")

    # Balanced panel in (entity, time) order.
    e_codes, e_lab = pd.factorize(sub[entity], sort=True)
    t_codes, t_lab = pd.factorize(sub[time], sort=True)
    n_e, T = len(e_lab), len(t_lab)
    if len(sub) != n_e * T or pd.Series(list(zip(e_codes, t_codes, strict=True))).duplicated().any():
        raise DataValueError(
            f"The panel is not balanced after dropping rows with missing values: {len(sub)} rows for "
            f"{n_e} entities x {T} periods. Hansen's threshold model needs every entity observed in "
            "every period; drop incomplete entities (or impute) first."
        )
    if T < 2:
        raise DataValueError("A fixed-effects threshold model needs at least two periods per entity.")
    order = np.lexsort((t_codes, e_codes))
    q = sub[threshold_var].to_numpy(dtype=float)[order]
    if np.ptp(q) == 0:
        raise DataValueError(
            f"The threshold variable {threshold_var!r} takes a single value ({q[0]:g}) on the {q.size} "
            "rows used; there is nothing to split on. Choose a variable that varies."
        )
    y = d.y.to_numpy()[order]
    Xc = d.X[controls].to_numpy()[order] if controls else np.empty((len(y), 0))
    R = sub[regime_vars].to_numpy(dtype=float)[order]

    def within(M: np.ndarray) -> np.ndarray:
        shp = M.shape
        A = M.reshape(n_e, T, -1)
        return (A - A.mean(axis=1, keepdims=True)).reshape(shp)

    N = len(y)
    distinct = np.unique(q)
    if distinct.size < n_thresholds + 1:
        raise DataValueError(
            f"The threshold variable {threshold_var!r} has {distinct.size} distinct values; "
            f"{n_thresholds} threshold(s) need at least {n_thresholds + 1}."
        )
    lo, hi = np.quantile(q, [trim, 1 - trim])
    cand = distinct[(distinct >= lo) & (distinct <= hi)]
    if grid is not None and cand.size > grid:
        cand = np.unique(np.quantile(cand, np.linspace(0, 1, grid), method="nearest"))
    if cand.size == 0:
        raise DataValueError(f"No candidate thresholds remain after trimming {trim:.0%}; lower trim.")
    ind = (q[:, None] <= cand[None, :]).astype(float)  # (N, G)
    Z = within(R[:, None, :] * ind[:, :, None])
    W0 = np.column_stack([within(Xc), within(R)]) if controls else within(R)
    min_obs = max(int(np.ceil(trim * N)), len(regime_vars) + 1)
    s = _Searcher(W0, Z, ind.sum(axis=0).astype(int), min_obs, N)
    yt = within(y[:, None])[:, 0]
    if np.linalg.matrix_rank(W0) < W0.shape[1]:
        raise DataValueError(
            "After removing entity means, the regressors are collinear (e.g. a regressor constant within "
            "entities); drop time-invariant regressors from the formula and regime=."
        )

    fits = _fit_sequence(s, yt, n_thresholds)
    dof = N - n_e  # n(T - 1) for a balanced panel
    rows = []
    boot_f: dict[int, np.ndarray] = {}
    rng = np.random.default_rng(seed)
    for k, (idx, ssr_k, ssr_prev) in enumerate(fits, start=1):
        sigma2 = ssr_k / dof
        f_stat = (ssr_prev - ssr_k) / sigma2
        row: dict[str, Any] = {"k": k, "threshold_indices": idx, "ssr": ssr_k, "f_stat": f_stat}
        if reps:
            prev_fixed = fits[k - 2][0] if k > 1 else ()
            Qp, _, _ = s._base(prev_fixed)
            fitted_null = Qp @ (Qp.T @ yt)
            Qk, _, _ = s._base(idx)
            resid = (yt - Qk @ (Qk.T @ yt)).reshape(n_e, T)
            tick = _resample.Ticker(f"threshold bootstrap (F test {k})", reps, progress=progress,
                                    bytes_needed=8.0 * (reps + 4 * N))
            fs = np.empty(reps)
            for b in range(reps):
                pick = rng.integers(0, n_e, n_e)
                yb = fitted_null + resid[pick].ravel()
                seq = _fit_sequence(s, yb, k)
                sk, sp = seq[-1][1], seq[-1][2]
                fs[b] = (sp - sk) / (sk / dof)
                tick()
            tick.close()
            boot_f[k] = fs
            row.update(p_value=float(np.mean(fs >= f_stat)),
                       crit_90=float(np.quantile(fs, 0.90)), crit_95=float(np.quantile(fs, 0.95)),
                       crit_99=float(np.quantile(fs, 0.99)), reps=reps)
        else:
            row.update(p_value=np.nan, crit_90=np.nan, crit_95=np.nan, crit_99=np.nan, reps=0)
        rows.append(row)
    tests = pd.DataFrame(rows)

    final = fits[-1][0]
    ssr_final = fits[-1][1]
    sigma2 = ssr_final / dof
    crit = lr_critical_value(level)
    thresholds: list[Estimate] = []
    curves: list[tuple[np.ndarray, np.ndarray]] = []
    for j in np.argsort(cand[list(final)]):
        others = tuple(g for i, g in enumerate(final) if i != j)
        curve = s.ssr_curve(yt, others)
        lr = (curve - curve[final[j]]) / sigma2
        ok = np.isfinite(lr)
        grid_j, lr_j = cand[ok], lr[ok]
        inside = grid_j[lr_j <= crit]
        gamma = float(cand[final[j]])
        thresholds.append(Estimate(f"threshold_{len(thresholds) + 1}", gamma,
                                   interval=(float(inside.min()), float(inside.max())), interval_level=level))
        curves.append((grid_j, lr_j))

    # Regime-specific slopes at the estimated thresholds, through dp.panel.
    gam = sorted(float(cand[g]) for g in final)
    qo = sub[threshold_var].to_numpy(dtype=float)
    regime_id = np.searchsorted(np.asarray(gam), qo, side="left")  # 0: q <= gamma_1, ...
    frame = pd.DataFrame({"y__": d.y.to_numpy(), "e__": sub[entity].to_numpy(), "t__": sub[time].to_numpy()},
                         index=sub.index)
    terms = []
    for j, c in enumerate(controls):
        frame[f"c{j}__"] = d.X[c].to_numpy()
        terms.append(f"c{j}__")
    rename = {f"c{j}__": c for j, c in enumerate(controls)}
    for v in regime_vars:
        for r in range(len(gam) + 1):
            col = f"{v}__r{r + 1}"
            safe = f"v{regime_vars.index(v)}r{r + 1}__"
            frame[safe] = sub[v].to_numpy(dtype=float) * (regime_id == r)
            terms.append(safe)
            rename[safe] = col
    cl = None
    original = {"e__": entity}  # the columns' names in the user's data
    if cluster is not None and cluster != entity:
        frame["cl__"] = sub[cluster].to_numpy()
        cl = "cl__"
        original[cl] = cluster
    model = panel("y__ ~ " + " + ".join(terms), frame, entity="e__", time="t__", vcov=vcov, cluster=cl)
    model = model.replace(
        params=model.params.rename(index=rename),
        cov=model.cov.rename(index=rename, columns=rename),
        spec=dataclasses.replace(model.spec, formula=formula,
                                 cluster=tuple(original.get(c, c) for c in model.spec.cluster)),
    )
    notes = [
        f"Thresholds in {threshold_var!r} by grid search over {cand.size} candidates (trim {trim:g}); "
        f"{level:.0%} intervals by LR inversion (critical value {crit:.4g}).",
        "Regime coefficients conditional on the estimated thresholds (dp.panel, entity fixed effects).",
    ]
    if reps:
        notes.append(f"F-test p-values from {reps} bootstrap replicates (seed {seed}), entity residuals resampled.")
    spec: dict[str, Any] = {"formula": formula, "threshold_var": threshold_var, "regime": tuple(regime_vars), "entity": entity,
            "time": time, "n_thresholds": n_thresholds, "trim": trim, "grid_size": int(cand.size), "reps": reps,
            "seed": seed, "level": level, "notes": tuple(notes)}
    return ThresholdResult(
        thresholds=thresholds, tests=tests.drop(columns="threshold_indices"), model=model, nobs=N, spec=ThresholdSpec(**spec, data=data_source(data)),
        raw={"candidates": cand, "lr_curves": curves, "bootstrap_f": boot_f, "sigma2": sigma2,
             "ssr_curve_1": s.ssr_curve(yt, ())},
    )
