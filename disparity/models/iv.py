"""Instrumental-variables regression (2SLS, two-step GMM and their diagnostics computed here; LIML and
CUE via linearmodels)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._options import SscKind, VcovKind, WeightType, check_option
from ..errors import DataValueError, DisparityError, SpecificationError
from . import _weakiv as wk
from . import covariance as cv
from ._absorb import (
    absorb_codes,
    absorb_columns,
    drop_singletons,
    fe_dof,
    recode,
)
from ._ivgmm import hansen_j, two_step_gmm
from ._ivlazy import LazyItems, LinearmodelsFit, MopTable, WeakIdTable
from ._rank import RankTests, kleibergen_paap
from ._solver import solve_lstsq
from .formula import build_design, check_safe, required_columns
from .results import DataSource, ModelResult, ModelSpec, data_source

__all__ = ["iv", "parse_iv_formula"]

IV_VCOV_KINDS = cv.FAMILY_VCOV["iv"]
IV_ESTIMATORS = ("2sls", "liml", "gmm", "cue")
_BRACKET = re.compile(r"\[\s*([^\[\]~]+?)\s*~\s*([^\[\]]+?)\s*\]")


def parse_iv_formula(formula: str) -> tuple[str, list[str], list[str]]:
    """Split ``"y ~ 1 + x + [d ~ z1 + z2]"`` into (``"y ~ 1 + x"``, endogenous, instruments)."""
    found = _BRACKET.findall(formula)
    if len(found) != 1:
        raise SpecificationError(
            f"IV formula {formula!r} needs exactly one '[endogenous ~ instruments]' block, "
            "e.g. 'y ~ 1 + x + [d ~ z1 + z2]'."
        )
    endog, instr = found[0]
    rest = _BRACKET.sub("", formula).strip()
    rest = re.sub(r"\+\s*$", "", rest).replace("+  +", "+").strip()
    rest = re.sub(r"~\s*\+", "~", rest)
    if rest.endswith("~"):
        rest += " 1"
    split = [s.strip() for s in endog.split("+") if s.strip()]
    zs = [s.strip() for s in instr.split("+") if s.strip()]
    return rest, split, zs


def _matrix(terms: list[str], sub: pd.DataFrame) -> pd.DataFrame:
    d = build_design("__y__ ~ 0 + " + " + ".join(terms), sub.assign(__y__=0.0))
    return d.X


def iv(
    formula: str,
    data: pd.DataFrame,
    *,
    estimator: Literal["2sls", "liml", "gmm", "cue"] = "2sls",
    vcov: VcovKind = "iid",
    cluster: str | None = None,
    weights: str | None = None,
    weight_type: WeightType = "aweight",
    small: bool = True,
    bandwidth: int | None = None,
    ssc: SscKind = "stata",
    absorb: str | Sequence[str] | None = None,
    center: bool = False,
    safe: bool = False,
) -> ModelResult:
    """Linear instrumental-variables regression with first-stage and specification diagnostics.

    Parameters
    ----------
    formula : str
        ``"y ~ 1 + x1 + [d ~ z1 + z2]"``: exogenous regressors outside the brackets, endogenous
        regressors left of ``~`` inside, excluded instruments right of it.
    estimator : {"2sls", "liml", "gmm", "cue"}
        2SLS uses our accurate solver; efficient two-step GMM is computed with Stata's
        ``ivregress gmm`` conventions (``disparity.models._ivgmm.two_step_gmm``, weighted and
        centred moments included); LIML and the continuously updated GMM estimator wrap
        ``linearmodels.iv`` (``IVLIML``, ``IVGMMCUE``). GMM's weight matrix is of the same kind as
        ``vcov`` (Stata's ``ivregress gmm, wmatrix()``).
    vcov : {"iid", "HC0", "HC1", "cluster", "hac"}
        "iid" uses :math:`\\hat\\sigma^2 = \\hat u'\\hat u/(n-k)` (as ``AER::ivreg``) with
        ``small=True``. "hac": Bartlett kernel (Newey-West) with ``bandwidth`` lags (default
        :func:`~disparity.models.covariance.newey_west_lags`), rows in data order (sort by time).
    weights, weight_type
        Weights column; "aweight" (default) or "pweight" (same estimates; an "iid" variance becomes
        "HC1", as Stata's ``ivregress [pw=]``). Weights are normalised to mean 1.
    small : bool
        True (default): small-sample factors of ``ssc`` and t/F references (Stata's ``small``).
        False: no factor, normal/chi-squared references (Stata's default ``ivregress`` output).
    ssc : {"stata", "fixest", "plm", "none"}
        Small-sample convention when ``small=True`` (:mod:`disparity.models.covariance`).
    center : bool
        GMM/CUE only: centre the moment conditions in the weight matrix (Stata's ``center``).
    absorb : str or list of str, optional
        Fixed effects absorbed from every variable before 2SLS (``estimator="2sls"``), as
        ``fixest::feols("y ~ x | fe1 + fe2 | d ~ z")``; singletons dropped and reported, the
        absorbed parameters counted under ``ssc`` (see :func:`disparity.ols`).

    Returns
    -------
    ModelResult
        ``extra["diagnostics"]``: first-stage F of the excluded instruments (one row per endogenous
        regressor), Cragg-Donald minimum-eigenvalue F, the Kleibergen-Paap rk LM statistic
        (underidentification, :math:`\\chi^2` with q-p+1 df) and rk Wald F (weak identification) with
        the variance kind of the fit (:func:`disparity.models._rank.kleibergen_paap`, with
        linearmodels' and ``ivreg2``'s conventions), Wu-Hausman F,
        Sargan's :math:`nR^2` (over-identified models) and, with robust/cluster/HAC variances, the
        robust first-stage Wald F of the excluded instruments (Wald/q with the same variance kind),
        the Montiel Olea-Pflueger effective F (one endogenous regressor) and Hansen's J from
        two-step efficient GMM (robust/cluster; :func:`disparity.models._ivgmm.hansen_j`);
        ``extra["stock_yogo"]``: Stock-Yogo (2005) critical values as ``ivreg2`` reports them
        (2SLS/GMM/CUE: relative bias, Table 5.1, up to three endogenous regressors, and Wald size,
        Table 5.2, up to two; LIML: Table 5.3; up to 30 instruments; None outside the tables),
        with the statistic they are compared with: the Cragg-Donald F for ``vcov="iid"``, otherwise
        the Kleibergen-Paap rk Wald F and a note that the tables assume i.i.d. errors;
        ``extra["mop_critical"]`` (one endogenous regressor): the effective F with the simplified
        (:math:`x = 1/\\tau`) and generalized (:math:`x = B_e/\\tau`) 5% critical values for a
        worst-case 2SLS Nagar bias of :math:`\\tau` = 5, 10, 20, 30% and their :math:`K_{eff}`, as
        Stata's ``weakivtest`` (``disparity.models._weakiv``; the effective F always carries
        Stata's small-sample factor, whatever ``small=``);
        ``extra["first_stage"]``: the first-stage OLS results. ``raw``: the design matrices, the
        residuals, the GMM weight matrix and ``raw["linearmodels"]``, the linearmodels results
        object (for 2SLS and GMM fitted when first read; the tables of ``extra`` are also made
        when first read: ``disparity.models._ivlazy``).

    Notes
    -----
    :math:`\\hat\\beta_{2SLS} = (\\hat X'\\hat X)^{-1}\\hat X'y`, :math:`\\hat X = P_Z X`, computed as two
    least-squares solves; residuals use the original :math:`X`. Weak instruments: the F statistic of
    the excluded instruments in each first stage. Wu-Hausman: F test of the first-stage residuals
    added to the structural equation (control function). Sargan: :math:`n R^2` of the 2SLS residuals on
    all instruments, :math:`\\chi^2` with (instruments − endogenous) df.

    References
    ----------
    Sargan, J. D. (1958). The estimation of economic relationships using instrumental variables.
    *Econometrica* 26, 393-415.
    Wu, D.-M. (1973). Alternative tests of independence between stochastic regressors and
    disturbances. *Econometrica* 41, 733-750.
    Kleibergen, F. & Paap, R. (2006). Generalized reduced rank tests using the singular value
    decomposition. *Journal of Econometrics* 133(1), 97-126.
    Stock, J. H. & Yogo, M. (2005). Testing for weak instruments in linear IV regression. In
    Andrews & Stock (eds.), *Identification and Inference for Econometric Models*, CUP, 80-108.
    Hansen, L. P. (1982). Large sample properties of generalized method of moments estimators.
    *Econometrica* 50(4), 1029-1054.
    Montiel Olea, J. L. & Pflueger, C. (2013). A robust test for weak instruments. *Journal of
    Business & Economic Statistics* 31(3), 358-369.
    Staiger, D. & Stock, J. H. (1997). Instrumental variables regression with weak instruments.
    *Econometrica* 65, 557-586.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.iv("benefit_gap ~ urbanisation + [subsidy_pc ~ fin_rural]", panel)
    >>> r.tidy()["estimate"].round(4).tolist()
    [19.6211, -0.0299, -0.0184]
    """
    check_option("estimator", estimator, IV_ESTIMATORS)
    cv.check_vcov("iv", vcov)
    cv.check_ssc(ssc)
    check_option("small", small, (True, False))
    check_option("center", center, (True, False))
    if bandwidth is not None and (
        isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, np.integer)) or bandwidth < 0
    ):
        raise SpecificationError(
            f"bandwidth={bandwidth!r} must be a non-negative whole number of lags (or None for the "
            "Newey-West rule)."
        )
    if center and estimator not in ("gmm", "cue"):
        raise SpecificationError("center=True applies to estimator='gmm' or 'cue'.")
    if center and weights is not None and vcov != "iid" and estimator == "cue":
        # linearmodels (the CUE engine) centres the weighted moments by their plain mean, Stata's
        # GMM by the weighted mean; there is no Stata CUE to follow, so refuse rather than guess.
        raise SpecificationError(
            "center=True with weights= is not supported for estimator='cue' with a "
            "robust/cluster/HAC weight matrix; drop center= (or the weights), or use "
            "estimator='gmm'."
        )
    check_option("weight_type", weight_type, ("aweight", "pweight"))
    try:
        return _iv(formula, data, estimator, vcov, cluster, weights, weight_type, small,
                   bandwidth, ssc, absorb, center, safe)
    except DisparityError:
        raise
    except (ValueError, np.linalg.LinAlgError) as err:  # raised inside linearmodels
        raise DataValueError(f"The IV model cannot be fitted on these data: {err}") from err


def _iv(formula, data, estimator, vcov, cluster, weights, weight_type, small, bandwidth, ssc,
        absorb, center, safe) -> ModelResult:
    base, endog, instr = parse_iv_formula(formula)
    if safe:
        check_safe(base + " + " + " + ".join(endog + instr), data.columns)
    needed = required_columns(base) | required_columns("__y__ ~ " + " + ".join(endog + instr))
    needed.discard("__y__")
    missing = sorted(needed - set(data.columns))
    if missing:
        raise SpecificationError(f"IV formula refers to {missing}, not columns of the data.")
    fe_cols = absorb_columns(absorb)
    if fe_cols and estimator != "2sls":
        raise SpecificationError("absorb= is available with estimator='2sls'.")
    for c in [cluster, weights, *fe_cols]:
        if c is not None and (not isinstance(c, str) or c not in data.columns):
            raise SpecificationError(f"Column {c!r} (weights/cluster) is not in the data.")
    used = [c for c in data.columns if c in needed]
    complete = data[used].notna().all(axis=1)
    sub = data.loc[complete]
    d = build_design(base, sub, extra=[c for c in (cluster, weights, *fe_cols) if c])
    Xex = d.X
    yv = d.y.to_numpy()
    if yv.size and np.all(yv == yv[0]):
        raise DataValueError(
            f"The outcome {d.y.name!r} is constant on all {yv.size} estimation rows; nothing to explain."
        )
    En = _matrix(endog, sub)
    # Instruments are coded together with the exogenous regressors, as a formula codes factor
    # terms: C(region) then contributes its non-reference levels, not every dummy.
    Zx = _excluded(base, instr, sub, Xex)
    from .linear import prepare_weights

    w = prepare_weights(data, weights, weight_type, sub.index)
    fe = cv.NO_FE
    fe_groups: list[np.ndarray] = []
    n_single = 0
    if fe_cols:
        from .panel import demean

        fe_codes = absorb_codes(data, fe_cols, sub.index)
        keep = drop_singletons(fe_codes)
        n_single = int((~keep).sum())
        if not keep.any():
            raise DataValueError("Every observation is a singleton in some fixed-effect group.")
        fe_groups = recode(fe_codes, keep)
        sub = sub.loc[keep]
        w = None if w is None else w[keep]
        Xex = Xex.loc[keep].drop(columns=["Intercept"], errors="ignore")
        En, Zx = En.loc[keep], Zx.loc[keep]
        parts = [d.y.loc[keep].to_frame(), Xex, En, Zx]
        M, _ = demean(np.column_stack([p.to_numpy() for p in parts]), fe_groups, weights=w)
        pos = np.cumsum([0] + [p.shape[1] for p in parts])
        Xex, En, Zx = (
            pd.DataFrame(M[:, pos[i] : pos[i + 1]], index=sub.index, columns=parts[i].columns)
            for i in (1, 2, 3)
        )
        d = replace(
            d, y=pd.Series(M[:, 0], index=sub.index, name=d.y.name), X=Xex, index=sub.index,
            intercept=None,
        )
        fe = fe_dof(fe_groups)
    kfe = fe.k_fe
    if Zx.shape[1] < En.shape[1]:
        raise SpecificationError(
            f"Under-identified: {En.shape[1]} endogenous regressor(s) {list(En.columns)} but only "
            f"{Zx.shape[1]} excluded instrument(s) {list(Zx.columns)}; add instruments."
        )
    X = pd.concat([Xex, En], axis=1)
    Z = pd.concat([Xex, Zx], axis=1)
    names, znames = list(X.columns), list(Z.columns)
    Xv, Zv, y = X.to_numpy(), Z.to_numpy(), d.y.to_numpy()
    n, k = Xv.shape
    kz = Zv.shape[1]
    if n <= kz:
        raise DataValueError(
            f"Too few observations: {n} rows for {kz} instruments and exogenous regressors."
        )
    icpt = d.intercept
    if w is not None and np.any(w <= 0):
        raise DataValueError(f"Weight column {weights!r} has zero weights; drop those rows.")
    sw = None if w is None else np.sqrt(w)

    def wdot(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b) if w is None else float((w * a) @ b)

    # First stages (also checks the instrument matrix for collinearity, naming columns).
    first: dict[str, Any] = {}
    first_fits: dict[str, Any] = {}
    Xhat = Xv.copy()
    diag_rows = []
    q = Zx.shape[1]
    for j, name in enumerate(En.columns):
        fs = solve_lstsq(Zv, En[name].to_numpy(), names=znames, weights=w, intercept=icpt)
        Xhat[:, Xex.shape[1] + j] = fs.fitted
        rss_u = wdot(fs.resid, fs.resid)
        rs = (
            solve_lstsq(
                Xex.to_numpy(), En[name].to_numpy(), names=list(Xex.columns), weights=w,
                intercept=icpt,
            )
            if Xex.shape[1]
            else None
        )
        rss_r = (
            wdot(rs.resid, rs.resid)
            if rs is not None
            else wdot(En[name].to_numpy(), En[name].to_numpy())
        )
        F = ((rss_r - rss_u) / q) / (rss_u / (n - kz - kfe))
        diag_rows.append(
            {
                "test": f"weak_instruments[{name}]",
                "statistic": F,
                "df1": q,
                "df2": n - kz - kfe,
                "p_value": float(stats.f.sf(F, q, n - kz - kfe)),
            }
        )
        first[name] = pd.Series(fs.params, index=znames)
        first_fits[name] = fs
    # Cragg-Donald minimum-eigenvalue F (equals the first-stage F with one endogenous regressor).
    # (row-weighted) partialling out of the exogenous regressors; with no weights the factor of
    # 1 is skipped, which changes no bit
    Xw = Xex.to_numpy() if sw is None else sw[:, None] * Xex.to_numpy()

    def wpartial(A: np.ndarray) -> np.ndarray:
        return _partial(A if sw is None else sw[:, None] * A, Xw)

    E_t = wpartial(En.to_numpy())
    Z_t = wpartial(Zx.to_numpy())
    fitted_E = Z_t @ np.linalg.lstsq(Z_t, E_t, rcond=None)[0]
    S_vv = (E_t - fitted_E).T @ (E_t - fitted_E) / (n - kz)
    L = np.linalg.cholesky(np.linalg.inv(S_vv))
    cd = float(np.min(np.linalg.eigvalsh(L.T @ (fitted_E.T @ fitted_E) @ L)) / q)
    diag_rows.append(
        {"test": "cragg_donald", "statistic": cd, "df1": q, "df2": n - kz, "p_value": np.nan}
    )
    if np.linalg.matrix_rank(Xhat) < k:
        raise DataValueError(
            "The instruments do not identify the model (rank-deficient projected design)."
        )

    # linearmodels weights every fit (unit weights when given None) but wraps an array three times
    # as slowly as a Series: unit weights as a Series give the same numbers, faster
    lm_weights = pd.Series(np.ones(len(X)) if w is None else w, index=X.index)
    dep = pd.Series(y, index=X.index)
    exog_lm = Xex if Xex.shape[1] else None
    # 2SLS always: it is the estimator, or (GMM with vcov="iid", whose efficient weight matrix is
    # proportional to (Z'WZ)^{-1}) identical to it, or the start of LIML/GMM/CUE.
    sol = solve_lstsq(Xhat, y, names=names, weights=w, intercept=icpt)
    beta, bread, cond = sol.params, sol.bread, sol.condition
    u = y - Xv @ beta
    scores_X = Xhat

    # Wu-Hausman (control function) and Sargan.
    V_fs = En.to_numpy() - Xhat[:, Xex.shape[1] :]
    aug = solve_lstsq(
        np.column_stack([Xv, V_fs]),
        y,
        names=names + [f"v_{c}" for c in En.columns],
        weights=w,
        intercept=icpt,
        warn=False,
    )
    base_fit = solve_lstsq(Xv, y, names=names, weights=w, intercept=icpt, warn=False)
    p = En.shape[1]
    rss_aug, rss_base = wdot(aug.resid, aug.resid), wdot(base_fit.resid, base_fit.resid)
    wh = ((rss_base - rss_aug) / p) / (rss_aug / (n - k - p - kfe))
    diag_rows.append(
        {
            "test": "wu_hausman",
            "statistic": wh,
            "df1": p,
            "df2": n - k - p - kfe,
            "p_value": float(stats.f.sf(wh, p, n - k - p - kfe)),
        }
    )
    if kz > k and estimator in ("2sls", "gmm"):
        s_fit = solve_lstsq(Zv, u, names=znames, weights=w, intercept=icpt, warn=False)
        uc = u - np.average(u, weights=w) if icpt is not None else u
        r2 = 1 - wdot(s_fit.resid, s_fit.resid) / wdot(uc, uc)
        sargan = n * r2
        diag_rows.append(
            {
                "test": "sargan",
                "statistic": sargan,
                "df1": kz - k,
                "df2": np.nan,
                "p_value": float(stats.chi2.sf(sargan, kz - k)),
            }
        )
    diagnostics = pd.DataFrame(diag_rows)
    # the outcome with the exogenous regressors partialled out (weighted, then unweighted again),
    # for the Montiel Olea-Pflueger statistics; the regressors' and instruments' are the
    # Cragg-Donald ones above (kept weighted: the Kleibergen-Paap statistics use them so)
    y_p = wpartial(y.reshape(n, 1))
    y_p = (y_p if sw is None else y_p / sw[:, None])[:, 0]
    codes = cv.cluster_codes(data, [cluster], sub.index.intersection(d.index)) if cluster else None

    fit = _IVFit(
        source=data_source(data),
        En=En, Xex=Xex, Xv=Xv, Zv=Zv, Zx=Zx, bandwidth=bandwidth, beta=beta, bread=bread,
        center=center, cluster=cluster, codes=codes, complete=complete, cond=cond, dep=dep,
        diagnostics=diagnostics, endog=endog, estimator=estimator, exog_lm=exog_lm, fe=fe,
        fe_groups=fe_groups, first=first, first_fits=first_fits, formula=formula, instr=instr,
        k=k, kfe=kfe, kz=kz, lm_weights=lm_weights, n=n, n_single=n_single, names=names, p=p,
        q=q, scores_X=scores_X, small=small, ssc=ssc, u=u, w=w, weight_type=weight_type,
        weights=weights, y=y, y_p=y_p, E_w=E_t, Z_w=Z_t, znames=znames, cd=cd,
    )
    return fit(vcov)


class _ModelCache:
    """The linearmodels models one IV result has built (see ``_IVFit.lm_models``)."""

    __slots__ = ("models",)

    def __init__(self) -> None:
        self.models: dict[str, Any] = {}

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (_ModelCache, ())  # models hold the data again: rebuilt on demand after loading


@dataclass(frozen=True, slots=True)
class _IVFit:
    """What ``with_vcov`` of an IV result needs (``result._refit``), as data: the design matrices,
    first stages, estimates, residuals, clusters and options of the fit. A new covariance of
    2SLS recomputes the sandwich (and the robust first-stage diagnostics); LIML/GMM/CUE refit by
    linearmodels with the new weight matrix, as before."""

    En: Any
    Xex: Any
    Xv: Any
    Zv: Any
    Zx: Any
    bandwidth: Any
    beta: Any
    bread: Any
    center: Any
    cluster: Any
    codes: Any
    complete: Any
    cond: Any
    dep: Any
    diagnostics: Any
    endog: Any
    estimator: Any
    exog_lm: Any
    fe: Any
    fe_groups: Any
    first: Any
    first_fits: Any
    formula: Any
    instr: Any
    k: Any
    kfe: Any
    kz: Any
    lm_weights: Any
    n: Any
    n_single: Any
    names: Any
    p: Any
    q: Any
    scores_X: Any
    small: Any
    ssc: Any
    u: Any
    w: Any
    weight_type: Any
    weights: Any
    y: Any

    # the partialled-out outcome (Montiel Olea-Pflueger), the partialled-out endogenous regressors
    # and excluded instruments times the square roots of the weights (Kleibergen-Paap; divided by
    # them again for Montiel Olea-Pflueger), the instruments' names and the Cragg-Donald statistic
    y_p: Any = None
    E_w: Any = None
    Z_w: Any = None
    znames: Any = None
    cd: Any = None
    source: DataSource | None = None
    # linearmodels models by estimator (2SLS, LIML), made on first use: wrapping the data costs
    # more than the fit and does not depend on the variance, so with_vcov fits the kept model
    # with the new covariance. Pickled empty (rebuilt after loading).
    lm_models: _ModelCache = field(default_factory=_ModelCache, compare=False, repr=False)

    def __call__(self, kind: str, **kw: Any) -> ModelResult:
        (
            En, Xex, Xv, Zv, Zx, bandwidth, beta, bread, center, cluster, codes, complete, cond,
            dep, diagnostics, endog, estimator, exog_lm, fe, fe_groups, first, first_fits, formula,
            instr, k, kfe, kz, lm_weights, n, n_single, names, p, q, scores_X, small, ssc, u, w,
            weight_type, weights, y
        ) = (
            self.En, self.Xex, self.Xv, self.Zv, self.Zx, self.bandwidth, self.beta, self.bread,
            self.center, self.cluster, self.codes, self.complete, self.cond, self.dep,
            self.diagnostics, self.endog, self.estimator, self.exog_lm, self.fe, self.fe_groups,
            self.first, self.first_fits, self.formula, self.instr, self.k, self.kfe, self.kz,
            self.lm_weights, self.n, self.n_single, self.names, self.p, self.q, self.scores_X,
            self.small, self.ssc, self.u, self.w, self.weight_type, self.weights, self.y
        )
        y_p, E_w, Z_w, znames, cd = self.y_p, self.E_w, self.Z_w, self.znames, self.cd

        def wdot(a: np.ndarray, b: np.ndarray) -> float:
            return float(a @ b) if w is None else float((w * a) @ b)

        models = self.lm_models.models
        kind = cv.check_vcov("iv", kind)
        small_ = kw.get("small", small)
        ssc_ = cv.check_ssc(kw.get("ssc", ssc))
        bw = kw.get("bandwidth", bandwidth)
        kind, pw_note = cv.pweight_rule(kind, weight_type, w is not None, family="iv")
        if kind == "cluster" and codes is None:
            raise SpecificationError("vcov='cluster' needs cluster=.")
        bw_ = cv.newey_west_lags(n) if (kind == "hac" and bw is None) else bw
        conv = ssc_ if small_ else "none"
        fe_k = fe
        if fe_groups and kind == "cluster":
            fe_k = fe_dof(fe_groups, codes)
        # (centring the moments does not change the unadjusted weight matrix: its sigma^2 is centred)
        own = estimator == "2sls" or (estimator == "gmm" and kind == "iid")
        wmat = None  # GMM weight matrix (Stata's e(W))
        if own:
            vr = cv.compute_vcov(
                kind, X=scores_X, resid=u, bread=bread, weights=w, clusters=codes, ssc=conv,
                bandwidth=bw_, fe=fe_k,
            )
            V, df_ = vr.cov, (vr.df if small_ else None)
            b_, u_ = beta, u
            if estimator == "gmm":
                # Stata's wmatrix(unadjusted) estimates sigma^2 from centred residuals (the same
                # as 2SLS when a constant is among the instruments).
                uc = u - np.average(u, weights=w)
                V = V * (wdot(uc, uc) / wdot(u, u))
                ZwZ = Zv.T @ (Zv if w is None else w[:, None] * Zv)
                wmat = np.linalg.inv(wdot(uc, uc) / n * ZwZ / n)
            # raw["linearmodels"]: fitted when first read (the GMM one is linearmodels' IVGMM)
            fit = LinearmodelsFit(self, "gmm" if estimator == "gmm" else "2sls", kind, small_, bw_)
        elif estimator == "gmm":
            gm = two_step_gmm(y, Xv, Zv, weights=w, kind=kind,
                              codes=None if codes is None else codes[0], bandwidth=bw_,
                              center=center, ssc=conv)
            b_, V, wmat = gm.params, gm.cov, gm.weight_matrix
            u_ = y - Xv @ b_
            fit = LinearmodelsFit(self, "2sls", kind, small_, bw_)  # raw's, as before: a 2SLS fit
            df_ = float(n - k) if small_ else None
            if small_ and kind == "cluster" and codes is not None:  # codes: required above
                df_ = float(int(codes[0].max()))
        else:
            fit = _lm_fit(estimator, dep, exog_lm, En, Zx, lm_weights, kind, small_, codes, bw_,
                          center, models=models)
            b_ = fit.params[names].to_numpy()
            u_ = y - Xv @ b_
            V = fit.cov.loc[names, names].to_numpy()
            df_ = float(n - k) if small_ else None
            if small_ and kind == "cluster" and codes is not None:  # codes: required above
                df_ = float(int(codes[0].max()))
        rk = kleibergen_paap(E_w, Z_w, n_exog=Xex.shape[1], kind=kind,
                             codes=None if codes is None else codes[0], bandwidth=bw_)
        diag = pd.concat([diagnostics, _rank_rows(rk, q)], ignore_index=True)
        kp_f = rk.wald_f
        # Montiel Olea-Pflueger moments (one endogenous regressor), with the variance kind of the fit
        mop = None
        if p == 1:
            sw = None if w is None else np.sqrt(w)
            x_p, Z_p = (a if sw is None else a / sw[:, None] for a in (E_w, Z_w))
            mop = wk.mop_moments(
                y_p, x_p[:, 0], Z_p, weights=w, kind=kind,
                codes=None if codes is None else codes[0], bandwidth=bw_, k_total=kz + kfe,
            )
        if kind != "iid":
            robust_rows = []
            excl = list(range(Xex.shape[1], kz))
            for name, fs in first_fits.items():
                vr = cv.compute_vcov(
                    kind, X=Zv, resid=fs.resid, bread=fs.bread, weights=w, clusters=codes,
                    ssc=conv, bandwidth=bw_, fe=fe_k,
                )
                pi = fs.params[excl]
                wald = float(pi @ np.linalg.solve(vr.cov[np.ix_(excl, excl)], pi))
                df2 = vr.df if (vr.df is not None and small_) else np.inf
                robust_rows.append(
                    {
                        "test": f"weak_instruments_{kind}[{name}]",
                        "statistic": wald / q,
                        "df1": q,
                        "df2": df2,
                        "p_value": float(stats.f.sf(wald / q, q, df2)),
                    }
                )
                if mop is not None:
                    robust_rows.append(
                        {"test": f"effective_f[{name}]", "statistic": mop[0], "df1": q,
                         "df2": np.nan, "p_value": np.nan}
                    )
            parts = [diag, pd.DataFrame(robust_rows)]
            if kz > k and kind != "hac":
                parts.append(_hansen_j_row(y, Xv, Zv, w, kind, codes))
            diag = pd.concat(parts, ignore_index=True)
        if estimator == "gmm" and kz > k:
            if own:  # Hansen's J with the homoskedastic weight matrix (Sargan's form)
                g = Zv.T @ (u if w is None else w * u)
                jstat = float(g @ np.linalg.solve(Zv.T @ (Zv if w is None else w[:, None] * Zv), g))
                uc = u - np.average(u, weights=w)
                jstat /= wdot(uc, uc) / n
                jdf = kz - k
            else:
                jstat, jdf = gm.j_stat, gm.j_df
            diag = pd.concat(
                [diag, pd.DataFrame([{"test": "gmm_j", "statistic": jstat,
                                      "df1": jdf, "df2": np.nan,
                                      "p_value": float(stats.chi2.sf(jstat, jdf))}])],
                ignore_index=True,
            )
        notes = [pw_note] if pw_note else []
        if n_single:
            notes.append(
                f"{n_single} singleton observation(s) dropped (alone in a fixed-effect group), "
                "as reghdfe and fixest do."
            )
        if kind == "hac":
            notes.append(f"HAC variance: Bartlett kernel, {bw_} lags, rows in data order.")
        if not small_:
            notes.append("Large-sample variance (no small-sample factor), normal reference.")
        spec = ModelSpec(
            estimator=f"iv_{estimator}",
            formula=formula,
            vcov=kind,
            cluster=(cluster,) if cluster else (),
            weights=weights,
            weight_type=weight_type if weights else None,
            nobs=n,
            n_dropped=int((~complete).sum()),
            options={"endogenous": tuple(endog), "instruments": tuple(instr), "small": small_,
                     "center": center,
                     "ssc": ssc_, "bandwidth": bw_},
            notes=tuple(notes),
            data=self.source,
        )
        wu = np.ones(n) if w is None else w
        return ModelResult(
            params=pd.Series(b_, index=names, name="estimate"),
            cov=pd.DataFrame(V, index=names, columns=names),
            nobs=n,
            df=df_,
            spec=spec,
            raw=LazyItems(
                {"X": Xv, "Z": Zv, "y": y, "resid": u_, "linearmodels": fit,
                 "gmm_weight_matrix": None if wmat is None else pd.DataFrame(
                     wmat, index=znames, columns=znames)},
            ),
            stats={"sigma": float(np.sqrt((wu * u_) @ u_ / (n - k - kfe))), "condition_number": cond,
                   "n_singletons": n_single, "absorbed": kfe,
                   # LIML's kappa; 2SLS and GMM (fits left to raw) are the k-class with kappa = 1
                   "kappa": 1.0 if isinstance(fit, LinearmodelsFit) else float(
                       getattr(fit, "kappa", None) or 1.0)},
            # the weak-instrument tables are made when first read (see _ivlazy)
            extra=LazyItems(
                {"diagnostics": diag, "first_stage": first,
                 "stock_yogo": WeakIdTable(estimator, p, q, kind, cd, kp_f),
                 "mop_critical": None if mop is None else MopTable(*mop[1:], mop[0])},
            ),
            _refit=self,
        )


def _lm_fit(estimator, dep, exog, En, Zx, weights, kind, small, codes, bw, center=False,
            models: dict[str, Any] | None = None) -> Any:
    """Fit with linearmodels.iv (the engine of LIML/GMM/CUE and of the rank diagnostics).

    A 2SLS or LIML model is taken from (and kept in) ``models`` when given: its constructor
    does not depend on the variance (GMM's weight matrix does, so GMM/CUE models are not kept).
    """
    from linearmodels.iv import IV2SLS, IVGMM, IVGMMCUE, IVLIML

    cov = cv.linearmodels_iv_args(
        kind, small=small, clusters=None if codes is None else codes[0], bandwidth=bw,
        index=dep.index,
    )
    if estimator in ("gmm", "cue"):
        wt = cv.linearmodels_gmm_weight(kind)
        if kind == "cluster":
            wt["clusters"] = cov["clusters"]
        if kind == "hac":
            wt["bandwidth"] = bw
        cls = IVGMM if estimator == "gmm" else IVGMMCUE
        return cls(dep, exog, En, Zx, weights=weights, center=center, **wt).fit(**cov)
    cls = IV2SLS if estimator == "2sls" else IVLIML
    model = None if models is None else models.get(estimator)
    if model is None:
        model = cls(dep, exog, En, Zx, weights=weights)
        if models is not None:
            models[estimator] = model
    return model.fit(**cov)


def _rank_rows(rk: RankTests, q: int) -> pd.DataFrame:
    """Diagnostics rows of the Kleibergen-Paap rk LM (underidentification) and rk Wald F."""
    return pd.DataFrame([
        {"test": "kleibergen_paap_lm", "statistic": rk.lm, "df1": rk.lm_df, "df2": np.nan,
         "p_value": rk.lm_p},
        {"test": "kleibergen_paap_f", "statistic": rk.wald_f, "df1": q, "df2": np.nan,
         "p_value": np.nan},
    ])


def stock_yogo_size(p: int, q: int) -> pd.DataFrame | None:
    """Stock-Yogo 2SLS size critical values (Table 5.2) for ``p`` endogenous, ``q`` instruments."""
    sizes = wk.SY_2SLS_SIZE.get(p, {}).get(q)
    if sizes is None:
        return None
    return pd.DataFrame({"max_size": list(wk.SY_SIZE_LEVELS), "critical_value": list(sizes)})


def _excluded(base: str, instr: list[str], sub: pd.DataFrame, Xex: pd.DataFrame) -> pd.DataFrame:
    """Excluded instruments coded in one formula with the exogenous regressors."""
    rhs = base.split("~", 1)[1]
    full = build_design("__y__ ~ " + rhs + " + " + " + ".join(instr), sub.assign(__y__=0.0)).X
    return full.drop(columns=[c for c in Xex.columns if c in full.columns])


def _partial(A: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Residuals of the columns of A on X (X may have no columns)."""
    if X.shape[1] == 0:
        return A
    return A - X @ np.linalg.lstsq(X, A, rcond=None)[0]


def _hansen_j_row(y, Xv, Zv, w, kind: str, codes) -> pd.DataFrame:
    """Hansen's J of two-step efficient GMM with a robust (clustered for "cluster") weight matrix,
    as ``ivreg2``'s J under ``robust``/``cluster`` (:func:`disparity.models._ivgmm.hansen_j`)."""
    j, df = hansen_j(y, Xv, Zv, weights=w, kind="cluster" if kind == "cluster" else "HC0",
                     codes=None if codes is None else codes[0])
    return pd.DataFrame([{"test": "hansen_j", "statistic": j, "df1": df, "df2": np.nan,
                          "p_value": float(stats.chi2.sf(j, df))}])
