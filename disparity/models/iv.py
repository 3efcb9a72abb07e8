"""Instrumental-variables regression (2SLS on the accurate solver; LIML via linearmodels)."""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._options import check_option
from ..errors import DataValueError, SpecificationError
from . import covariance as cv
from ._solver import solve_lstsq
from .formula import build_design, check_safe, required_columns
from .results import ModelResult, ModelSpec

__all__ = ["iv", "parse_iv_formula"]

IV_VCOV_KINDS = ("iid", "HC0", "HC1", "cluster")
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
    estimator: Literal["2sls", "liml"] = "2sls",
    vcov: str = "iid",
    cluster: str | None = None,
    safe: bool = False,
) -> ModelResult:
    """Linear instrumental-variables regression with first-stage and specification diagnostics.

    Parameters
    ----------
    formula : str
        ``"y ~ 1 + x1 + [d ~ z1 + z2]"``: exogenous regressors outside the brackets, endogenous
        regressors left of ``~`` inside, excluded instruments right of it.
    estimator : {"2sls", "liml"}
        2SLS uses our accurate solver; LIML wraps ``linearmodels.iv.IVLIML``.
    vcov : {"iid", "HC0", "HC1", "cluster"}
        "iid" uses :math:`\\hat\\sigma^2 = \\hat u'\\hat u/(n-k)` (as ``AER::ivreg``).

    Returns
    -------
    ModelResult
        ``extra["diagnostics"]``: first-stage F of the excluded instruments (one row per endogenous
        regressor), Cragg-Donald minimum-eigenvalue F, Wu-Hausman F, Sargan's :math:`nR^2`
        (over-identified models) and, with robust/cluster variances, the robust first-stage Wald
        F of the excluded instruments (Wald/q with the same variance kind; for one endogenous
        regressor this is the Kleibergen-Paap rk Wald F up to its small-sample factor), the
        Montiel Olea-Pflueger effective F (one endogenous regressor) and Hansen's
        J from two-step efficient GMM (computed by ``linearmodels.iv.IVGMM``);
        ``extra["first_stage"]``: the first-stage OLS results.

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
    check_option("estimator", estimator, ("2sls", "liml"))
    check_option("vcov", vcov, IV_VCOV_KINDS)
    base, endog, instr = parse_iv_formula(formula)
    if safe:
        check_safe(base + " + " + " + ".join(endog + instr), data.columns)
    needed = required_columns(base) | required_columns("__y__ ~ " + " + ".join(endog + instr))
    needed.discard("__y__")
    missing = sorted(needed - set(data.columns))
    if missing:
        raise SpecificationError(f"IV formula refers to {missing}, not columns of the data.")
    used = [c for c in data.columns if c in needed]
    complete = data[used].notna().all(axis=1)
    sub = data.loc[complete]
    d = build_design(base, sub, extra=[cluster] if cluster else [])
    En, Zx = _matrix(endog, sub), _matrix(instr, sub)
    Xex = d.X
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

    # First stages (also checks the instrument matrix for collinearity, naming columns).
    first: dict[str, Any] = {}
    first_fits: dict[str, Any] = {}
    Xhat = Xv.copy()
    diag_rows = []
    q = Zx.shape[1]
    for j, name in enumerate(En.columns):
        fs = solve_lstsq(Zv, En[name].to_numpy(), names=znames, intercept=icpt)
        Xhat[:, Xex.shape[1] + j] = fs.fitted
        rss_u = float(fs.resid @ fs.resid)
        rs = (
            solve_lstsq(
                Xex.to_numpy(), En[name].to_numpy(), names=list(Xex.columns), intercept=icpt
            )
            if Xex.shape[1]
            else None
        )
        rss_r = (
            float(rs.resid @ rs.resid)
            if rs is not None
            else float(En[name].to_numpy() @ En[name].to_numpy())
        )
        F = ((rss_r - rss_u) / q) / (rss_u / (n - kz))
        diag_rows.append(
            {
                "test": f"weak_instruments[{name}]",
                "statistic": F,
                "df1": q,
                "df2": n - kz,
                "p_value": float(stats.f.sf(F, q, n - kz)),
            }
        )
        first[name] = pd.Series(fs.params, index=znames)
        first_fits[name] = fs
    # Cragg-Donald minimum-eigenvalue F (equals the first-stage F with one endogenous regressor).
    E_t = _partial(En.to_numpy(), Xex.to_numpy())
    Z_t = _partial(Zx.to_numpy(), Xex.to_numpy())
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

    if estimator == "2sls":
        sol = solve_lstsq(Xhat, y, names=names, intercept=icpt)
        beta, bread, cond = sol.params, sol.bread, sol.condition
        u = y - Xv @ beta
        scores_X = Xhat
    else:
        from linearmodels.iv import IVLIML

        liml_model = IVLIML(pd.Series(y, index=X.index), Xex, En, Zx)
        lres = liml_model.fit(cov_type="unadjusted", debiased=True)
        beta = lres.params[names].to_numpy()
        u = y - Xv @ beta
        bread = scores_X = None
        cond = float("nan")

    # Wu-Hausman (control function) and Sargan.
    V_fs = En.to_numpy() - Xhat[:, Xex.shape[1] :]
    aug = solve_lstsq(
        np.column_stack([Xv, V_fs]),
        y,
        names=names + [f"v_{c}" for c in En.columns],
        intercept=icpt,
        warn=False,
    )
    base_fit = solve_lstsq(Xv, y, names=names, intercept=icpt, warn=False)
    p = En.shape[1]
    rss_aug, rss_base = float(aug.resid @ aug.resid), float(base_fit.resid @ base_fit.resid)
    wh = ((rss_base - rss_aug) / p) / (rss_aug / (n - k - p))
    diag_rows.append(
        {
            "test": "wu_hausman",
            "statistic": wh,
            "df1": p,
            "df2": n - k - p,
            "p_value": float(stats.f.sf(wh, p, n - k - p)),
        }
    )
    if kz > k:
        s_fit = solve_lstsq(Zv, u, names=znames, intercept=icpt, warn=False)
        uc = u - u.mean() if icpt is not None else u
        r2 = 1 - float(s_fit.resid @ s_fit.resid) / float(uc @ uc)
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
    codes = cv.cluster_codes(data, [cluster], sub.index.intersection(d.index)) if cluster else None

    def build(kind: str, **kw: Any) -> ModelResult:
        kind = check_option("vcov", kind, IV_VCOV_KINDS)
        if estimator == "liml":
            if kind == "cluster" and codes is None:
                raise SpecificationError("vcov='cluster' needs cluster=.")
            V, df_ = _liml_cov(liml_model, kind, codes, X.index), float(n - k)
        elif kind == "iid":
            V = float(u @ u) / (n - k) * bread
            df_: float | None = float(n - k)
        else:
            if kind == "cluster" and codes is None:
                raise SpecificationError("vcov='cluster' needs cluster=.")
            vr = cv.compute_vcov(kind, X=scores_X, resid=u, bread=bread, clusters=codes)
            V, df_ = vr.cov, vr.df
        diag = diagnostics
        if kind != "iid":
            robust_rows = []
            excl = list(range(Xex.shape[1], kz))
            for name, fs in first_fits.items():
                vr = cv.compute_vcov(kind, X=Zv, resid=fs.resid, bread=fs.bread, clusters=codes)
                pi = fs.params[excl]
                wald = float(pi @ np.linalg.solve(vr.cov[np.ix_(excl, excl)], pi))
                df2 = vr.df if vr.df is not None else np.inf
                robust_rows.append(
                    {
                        "test": f"weak_instruments_{kind}[{name}]",
                        "statistic": wald / q,
                        "df1": q,
                        "df2": df2,
                        "p_value": float(stats.f.sf(wald / q, q, df2)),
                    }
                )
                if len(first_fits) == 1:
                    robust_rows.append(
                        {
                            "test": f"effective_f[{name}]",
                            "statistic": _effective_f(
                                pi, fs.bread[np.ix_(excl, excl)], vr.cov[np.ix_(excl, excl)]
                            ),
                            "df1": q,
                            "df2": np.nan,
                            "p_value": np.nan,
                        }
                    )
            parts = [diagnostics, pd.DataFrame(robust_rows)]
            if kz > k:
                parts.append(_hansen_j(y, Xex, En, Zx, kind, codes))
            diag = pd.concat(parts, ignore_index=True)
        spec = ModelSpec(
            estimator=f"iv_{estimator}",
            formula=formula,
            vcov=kind,
            cluster=(cluster,) if cluster else (),
            nobs=n,
            n_dropped=int((~complete).sum()),
            options={"endogenous": tuple(endog), "instruments": tuple(instr)},
        )
        return ModelResult(
            params=pd.Series(beta, index=names, name="estimate"),
            cov=pd.DataFrame(V, index=names, columns=names),
            nobs=n,
            df=df_,
            spec=spec,
            raw={"X": Xv, "Z": Zv, "y": y, "resid": u},
            stats={"sigma": float(np.sqrt(u @ u / (n - k))), "condition_number": cond},
            extra={"diagnostics": diag, "first_stage": first},
            _refit=build,
        )

    return build(vcov)


def _liml_cov(model: Any, kind: str, codes: list[np.ndarray] | None, index: pd.Index) -> np.ndarray:
    """Translate our vcov vocabulary to linearmodels' IV fit arguments (LIML is wrapped)."""
    args: dict[str, Any] = {
        "iid": {"cov_type": "unadjusted", "debiased": True},
        "HC0": {"cov_type": "robust", "debiased": False},
        "HC1": {"cov_type": "robust", "debiased": True},
    }.get(kind, {"cov_type": "clustered", "debiased": True})
    if kind == "cluster" and codes is not None:
        args["clusters"] = pd.Series(codes[0], index=index)
    return model.fit(**args).cov.to_numpy()


def _effective_f(pi: np.ndarray, bread_excl: np.ndarray, V_excl: np.ndarray) -> float:
    """Montiel Olea-Pflueger effective F: pi' Q pi / tr(V Q), Q = Z~'Z~ (instruments partialled).

    By Frisch-Waugh, Z~'Z~ is the inverse of the excluded-instrument block of (Z'Z)^{-1}. With an
    iid variance it equals the ordinary first-stage F.
    """
    Q = np.linalg.inv(bread_excl)
    return float(pi @ Q @ pi / np.trace(V_excl @ Q))


def _partial(A: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Residuals of the columns of A on X (X may have no columns)."""
    if X.shape[1] == 0:
        return A
    return A - X @ np.linalg.lstsq(X, A, rcond=None)[0]


def _hansen_j(y, Xex, En, Zx, kind: str, codes) -> pd.DataFrame:
    """Hansen's J from two-step efficient GMM (wraps ``linearmodels.iv.IVGMM``)."""
    from linearmodels.iv import IVGMM

    dep = pd.Series(y, index=Xex.index)
    if kind == "cluster":
        cl = pd.Series(codes[0], index=Xex.index)
        res = IVGMM(dep, Xex, En, Zx, weight_type="clustered", clusters=cl).fit(
            cov_type="clustered", clusters=cl
        )
    else:
        res = IVGMM(dep, Xex, En, Zx, weight_type="robust").fit(cov_type="robust")
    j = res.j_stat
    return pd.DataFrame(
        [
            {
                "test": "hansen_j",
                "statistic": float(j.stat),
                "df1": int(j.df),
                "df2": np.nan,
                "p_value": float(j.pval),
            }
        ]
    )
