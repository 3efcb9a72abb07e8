"""Fairlie (1999, 2005) decomposition of a gap in a binary outcome, with randomised variable ordering."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ... import _resample
from ..._options import check_option
from ...errors import DataValueError, SpecificationError
from ...specs import FairlieSpec, data_source
from ..discrete import _link, logit, probit
from ..formula import build_design
from .oaxaca import _two_groups
from .results import DecompSummary, Estimate, html_table, tidy_frame

__all__ = ["fairlie", "FairlieResult"]

FAIRLIE_REFERENCES: tuple[str, ...] = ("pooled", "neumark", "A", "B")
FAIRLIE_VCOV: tuple[str, ...] = ("iid", "HC0", "cluster")


@dataclass(frozen=True, slots=True)
class FairlieResult:
    """A Fairlie decomposition of ``mean_a - mean_b`` for a binary outcome.

    Attributes
    ----------
    gap, mean_a, mean_b : Estimate
        Observed shares (no standard errors).
    explained : Estimate
        :math:`\\bar F_A(\\beta^*) - \\bar F_B(\\beta^*)` with its delta-method standard error.
    unexplained : Estimate
        ``gap - explained``.
    table : DataFrame
        One row per formula term: term, estimate (the average contribution over the
        replications), std_error (delta method), share (of the gap).
    spec : FairlieSpec
    raw : dict
        ``subsample`` (replications × draws: positions, within the larger group, of the rows drawn),
        ``orders`` (replications × terms: the order in which the terms were switched), ``coef``,
        ``cov`` and the pooled ``model``.
    """

    gap: Estimate
    mean_a: Estimate
    mean_b: Estimate
    explained: Estimate
    unexplained: Estimate
    table: pd.DataFrame
    groups: tuple[Any, Any]
    nobs: dict[str, int]
    spec: FairlieSpec = field(default_factory=FairlieSpec)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


    @property
    def value(self) -> float:
        return self.gap.value

    def __float__(self) -> float:
        return float(self.gap.value)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Overall rows (mean_a, mean_b, gap, explained, unexplained) then one row per term."""
        over = [self.mean_a, self.mean_b, self.gap, self.explained, self.unexplained]
        det = [Estimate(str(t), float(e), float(s)) for t, e, s in
               zip(self.table["term"], self.table["estimate"], self.table["std_error"], strict=True)]
        return tidy_frame(over + det, level, part=["overall"] * 5 + ["detail"] * len(det))

    def glance(self) -> pd.DataFrame:
        return pd.DataFrame([{"by": self.spec.by, "group_a": self.groups[0], "group_b": self.groups[1],
                              "nobs_a": self.nobs["A"], "nobs_b": self.nobs["B"], "model": self.spec.model,
                              "reference": self.spec.reference, "reps": self.spec.reps,
                              "order": self.spec.order, "seed": self.spec.seed}])

    def summary(self) -> DecompSummary:
        info = {str(k): v for k, v in self.glance().iloc[0].to_dict().items()}
        return DecompSummary({"decomposition": self.tidy()}, info,
                             tuple(self.spec.notes))

    def _repr_html_(self) -> str:
        return html_table(f"Fairlie decomposition of {self.spec.formula} by {self.spec.by} "
                          f"({self.groups[0]!s} - {self.groups[1]!s})", self.tidy(), tuple(self.spec.notes))


def fairlie(
    formula: str,
    data: pd.DataFrame,
    by: str,
    *,
    group_a: Any = None,
    model: Literal["logit", "probit"] = "logit",
    reference: Literal["pooled", "neumark", "A", "B"] = "pooled",
    reps: int = 100,
    order: Literal["random", "fixed"] = "random",
    seed: int | None = None,
    vcov: Literal["iid", "HC0", "cluster"] = "iid",
    cluster: str | None = None,
    information: Literal["oim", "eim"] = "oim",
    safe: bool = False,
) -> FairlieResult:
    """Fairlie's decomposition of a gap in a binary outcome into the contributions of each regressor.

    Parameters
    ----------
    formula : str
        ``"inpatient01 ~ age + income + C(scheme)"``, outcome coded 0/1. The dummies of a
        categorical term are switched together.
    data : DataFrame
    by : str
        Group column with exactly two values; ``group_a`` (default: the higher value) is group A.
    model : {"logit", "probit"}
    reference : {"pooled", "neumark", "A", "B"}
        Coefficients :math:`\\beta^*`: a pooled model with a group dummy (default; Fairlie 2006), a
        pooled model without it, or one group's model.
    reps : int
        Replications of the random subsample of the larger group (and of the term order).
    order : {"random", "fixed"}
        "random": a new random order of the terms in every replication (the contributions of
        sequential switching depend on the order; Fairlie 2005); "fixed": the formula's order.
    seed : int, optional
    vcov, cluster, information
        Covariance of :math:`\\beta^*` used by the delta method (as :func:`disparity.logit`).

    Returns
    -------
    FairlieResult

    Notes
    -----
    With :math:`F` the logistic or normal CDF, the gap splits as
    :math:`\\bar y_A - \\bar y_B = [\\bar F_A(\\beta^*) - \\bar F_B(\\beta^*)] + \\text{unexplained}`.
    In each replication a random subsample of the larger group, of the smaller group's size, is
    drawn without replacement; both groups' rows are ranked by :math:`F(x'\\beta^*)` and matched one
    to one by rank. Switching the terms from A's to B's values one at a time, term :math:`k`
    contributes :math:`N_S^{-1}\\sum_i [F(z_i^{(k-1)}\\beta^*) - F(z_i^{(k)}\\beta^*)]`, where
    :math:`z^{(k)}` has the first :math:`k` terms (in the replication's order) at B's values; the
    contributions add up to the matched-sample difference and are averaged over replications. Their
    standard errors are by the delta method, :math:`g_k' \\hat V(\\beta^*) g_k` with :math:`g_k` the
    replication average of :math:`N_S^{-1}\\sum_i [f(z_i^{(k-1)}\\beta^*) z_i^{(k-1)} -
    f(z_i^{(k)}\\beta^*) z_i^{(k)}]` (Fairlie 2005, eq. 7). Weights are not supported.

    References
    ----------
    Fairlie, R. W. (1999). The absence of the African-American owned business: an analysis of the
    dynamics of self-employment. *Journal of Labor Economics* 17(1), 80-108.
    Fairlie, R. W. (2005). An extension of the Blinder-Oaxaca decomposition technique to logit and
    probit models. *Journal of Economic and Social Measurement* 30(4), 305-316.
    Fairlie, R. W. (2006). An extension of the Oaxaca-Blinder decomposition technique to logit and
    probit models. IZA Discussion Paper 1917.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> df["inp"] = (df["inpatient"] == "是").astype(int)
    >>> r = dp.fairlie("inp ~ age + C(chronic)", df, by="urban", reps=20, seed=1)
    >>> r.table["term"].tolist()
    ['age', 'C(chronic)']
    """
    check_option("model", model, ("logit", "probit"))
    check_option("reference", reference, FAIRLIE_REFERENCES)
    check_option("order", order, ("random", "fixed"))
    check_option("vcov", vcov, FAIRLIE_VCOV)
    if not isinstance(reps, int) or reps < 1:
        raise SpecificationError(f"reps={reps!r} must be a positive integer.")
    if vcov == "cluster" and cluster is None:
        raise SpecificationError("vcov='cluster' needs cluster=.")
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if not isinstance(by, str) or by not in data.columns:
        raise SpecificationError(f"by={by!r} must name a column of the data (the group indicator).")
    source = data_source(data)  # the frame as given, before rows with a missing group are dropped
    data = data[data[by].notna()].reset_index(drop=True)
    a_val, b_val = _two_groups(data, by, group_a)
    d = build_design(formula, data, extra=[c for c in (by, cluster) if c], safe=safe)
    if d.intercept is None:
        raise SpecificationError("The Fairlie decomposition needs a model with an intercept.")
    X, y = d.X.to_numpy(float), d.y.to_numpy(float)
    if not set(np.unique(y).tolist()) <= {0.0, 1.0}:
        raise DataValueError(f"fairlie needs a binary outcome coded 0/1; {d.y.name!r} takes other values.")
    a = (data.loc[d.index, by] == a_val).to_numpy()
    n, k = X.shape
    if a.sum() <= k or (~a).sum() <= k:
        raise DataValueError(f"Each group needs more than {k} complete rows; they have {int(a.sum())} and {int((~a).sum())}.")
    terms = [(str(t), list(range(sl.start, sl.stop))) for t, sl in d.model_spec.term_slices.items()
             if sl.stop > sl.start and not (sl.stop - sl.start == 1 and sl.start == d.intercept)]
    # pooled / group fit through dp.logit / dp.probit on renamed columns
    cols = [f"x{j}" for j in range(k) if j != d.intercept]
    frame = pd.DataFrame(np.delete(X, d.intercept, axis=1), columns=cols)
    frame["y__"] = y
    frame["grp__"] = a.astype(float)
    if cluster is not None:
        frame["cl__"] = data.loc[d.index, cluster].to_numpy()
    rows = {"pooled": np.ones(n, bool), "neumark": np.ones(n, bool), "A": a, "B": ~a}[reference]
    rhs = " + ".join(cols) + (" + grp__" if reference == "pooled" else "")
    est = logit if model == "logit" else probit
    fit = est(f"y__ ~ {rhs}", frame.loc[rows], vcov=vcov, cluster="cl__" if vcov == "cluster" else None,
              information=information)
    order_names = ["Intercept" if j == d.intercept else f"x{j}" for j in range(k)]
    beta = fit.params[order_names].to_numpy()
    V = fit.cov.loc[order_names, order_names].to_numpy()
    F = lambda eta: _link(model)(eta)[0]  # noqa: E731
    f = lambda eta: _link(model)(eta)[1]  # noqa: E731
    XA, XB = X[a], X[~a]
    explained = float(F(XA @ beta).mean() - F(XB @ beta).mean())
    g_exp = (f(XA @ beta)[:, None] * XA).mean(0) - (f(XB @ beta)[:, None] * XB).mean(0)
    mean_a, mean_b = float(y[a].mean()), float(y[~a].mean())
    # replications: subsample the larger group, match by rank, switch terms in (random) order
    rng = np.random.default_rng(seed)
    a_larger = XA.shape[0] > XB.shape[0]
    NS = min(XA.shape[0], XB.shape[0])
    NL = max(XA.shape[0], XB.shape[0])
    K = len(terms)
    contrib = np.zeros(K)
    grads = np.zeros((K, k))
    # the replications are kept (raw), so check their memory before allocating them
    tick = _resample.Ticker("Fairlie replications", reps, progress=True,
                            bytes_needed=8.0 * (reps * (NS + K) + 2 * NL * k))
    subs = np.empty((reps, NS), dtype=np.int64)
    orders = np.empty((reps, K), dtype=np.int64)
    for r in range(reps):
        sub = np.sort(rng.choice(NL, NS, replace=False)) if NL > NS else np.arange(NS)
        perm = rng.permutation(K) if order == "random" else np.arange(K)
        subs[r], orders[r] = sub, perm
        A_r, B_r = (XA[sub], XB) if a_larger else (XA, XB[sub])
        A_r = A_r[np.argsort(F(A_r @ beta), kind="stable")]
        B_r = B_r[np.argsort(F(B_r @ beta), kind="stable")]
        Z = A_r.copy()
        eta = Z @ beta
        for t in perm:
            prev_p, prev_g = F(eta), f(eta)[:, None] * Z
            Z[:, terms[t][1]] = B_r[:, terms[t][1]]
            eta = Z @ beta
            contrib[t] += float(np.mean(prev_p - F(eta)))
            grads[t] += (prev_g - f(eta)[:, None] * Z).mean(0)
        tick()
    tick.close()
    contrib /= reps
    grads /= reps
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grads, V, grads), 0.0))
    gap = mean_a - mean_b
    table = pd.DataFrame({"term": [t for t, _ in terms], "estimate": contrib, "std_error": se,
                          "share": contrib / gap if gap != 0 else np.nan})
    notes = [f"Fairlie decomposition with {model} coefficients ({reference}); {reps} replications of the "
             f"random subsample of the larger group ({'A' if a_larger else 'B'}: {NL} rows to {NS}), "
             + ("a random order of the terms in each." if order == "random" else "terms in the formula's order.")]
    spec: dict[str, Any] = {"formula": formula, "by": by, "model": model, "reference": reference, "reps": reps, "order": order,
            "seed": seed, "vcov": fit.spec.vcov, "cluster": cluster, "notes": tuple(notes),
            "n_dropped": d.n_dropped}
    return FairlieResult(
        gap=Estimate("gap", gap), mean_a=Estimate("mean_a", mean_a), mean_b=Estimate("mean_b", mean_b),
        explained=Estimate("explained", explained, float(np.sqrt(max(g_exp @ V @ g_exp, 0.0)))),
        unexplained=Estimate("unexplained", gap - explained), table=table, groups=(a_val, b_val),
        nobs={"A": int(a.sum()), "B": int((~a).sum())}, spec=FairlieSpec(**spec, data=source),
        raw={"subsample": subs, "orders": orders, "coef": pd.Series(beta, index=list(d.X.columns)),
             "cov": V, "model": fit, "terms": [t for t, _ in terms], "a_larger": a_larger},
    )

