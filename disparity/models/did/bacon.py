"""Goodman-Bacon (2021) decomposition of the two-way fixed-effects DiD estimate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ... import _display
from ...errors import DataValueError
from ...specs import DidSpec, data_source
from ._panel import _check_columns, _check_numeric, cohort_values

__all__ = ["bacon", "BaconResult"]

BACON_TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier", "later_vs_always")


@_display.shown(lambda r: f"Goodman-Bacon decomposition, TWFE = {r.twfe:.6g}")
@dataclass(frozen=True, slots=True)
class BaconResult:
    """The 2x2 comparisons behind a TWFE estimate: ``table`` has type, treated, control, estimate, weight."""

    table: pd.DataFrame
    twfe: float
    notes: tuple[str, ...] = ()
    #: what was decomposed, on which data (file, checksum, shape of the frame)
    spec: DidSpec = field(default_factory=DidSpec)

    @property
    def value(self) -> float:
        return self.twfe

    def __float__(self) -> float:
        return float(self.twfe)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate of each comparison type."""
        t = self.table
        g = t.assign(we=t["estimate"] * t["weight"]).groupby("type", sort=False)
        out = pd.DataFrame({"weight": g["weight"].sum(), "estimate": g["we"].sum() / g["weight"].sum()})
        return out.reset_index()

    def glance(self) -> pd.DataFrame:
        return pd.DataFrame([{"twfe": self.twfe, "n_comparisons": len(self.table),
                              "weight_forbidden": float(self.table.loc[self.table["type"].isin(
                                  ["later_vs_earlier", "later_vs_always"]), "weight"].sum())}])

    def plot(self) -> Any:
        from ..._figure import InlineFigure as Figure

        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.add_subplot()
        for kind, part in self.table.groupby("type", sort=False):
            ax.scatter(part["weight"], part["estimate"], label=kind)
        ax.axhline(self.twfe, linestyle="--", linewidth=0.8, color="grey")
        ax.set_xlabel("weight")
        ax.set_ylabel("estimate")
        ax.legend()
        return fig


def bacon(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> BaconResult:
    """Decompose the TWFE DiD coefficient into all 2x2 comparisons and their weights.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel (one row per unit and period), no covariates.
    outcome, unit, time, cohort : str
        ``cohort`` is the first treated period (missing/0 = never treated); units treated from the
        first period are the "always treated" group.

    Returns
    -------
    BaconResult
        ``table`` (type, treated, control, estimate, weight); weights sum to one and
        :math:`\\sum_j s_j \\hat\\beta_j` equals the TWFE estimate.

    Notes
    -----
    With unit shares :math:`n_k` and treated-period shares :math:`\\bar D_k`, each 2x2 weight is the
    squared share of the sample the comparison uses times the variance of the two-way demeaned
    treatment within it, divided by that variance in the full panel :math:`\\hat V^D`:
    :math:`s_{kU} = (n_k+n_U)^2 n_{kU}(1-n_{kU})\\bar D_k(1-\\bar D_k)/\\hat V^D`, and for timing groups
    :math:`k` (earlier) and :math:`\\ell`,
    :math:`s^k_{k\\ell} = [(n_k+n_\\ell)(1-\\bar D_\\ell)]^2 n_{k\\ell}(1-n_{k\\ell})
    \\frac{\\bar D_k-\\bar D_\\ell}{1-\\bar D_\\ell}\\frac{1-\\bar D_k}{1-\\bar D_\\ell}/\\hat V^D`,
    :math:`s^\\ell_{k\\ell} = [(n_k+n_\\ell)\\bar D_k]^2 n_{k\\ell}(1-n_{k\\ell})
    \\frac{\\bar D_\\ell}{\\bar D_k}\\frac{\\bar D_k-\\bar D_\\ell}{\\bar D_k}/\\hat V^D`.
    The "later vs earlier" (and "later vs always") comparisons use already-treated units as controls
    and are the source of TWFE bias when effects change over time.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    *Journal of Econometrics* 225(2), 254-277, eqs. (10a)-(10e).

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> b = dp.bacon(panel, "benefit_gap", "region_code", "year", "integration_year")
    >>> round(b.twfe, 3), round(float(b.table["weight"].sum()), 6)
    (-1.316, 1.0)
    >>> b.table.groupby("type")["weight"].sum().round(3).to_dict()
    {'earlier_vs_later': 0.336, 'later_vs_always': 0.22, 'later_vs_earlier': 0.445}
    """
    _check_columns(data, [outcome, unit, time, cohort])
    _check_numeric(data, [outcome])
    if data.duplicated([unit, time]).any():
        raise DataValueError(f"Duplicated ({unit!r}, {time!r}) rows; keep one row per unit and period.")
    Y = data.pivot(index=unit, columns=time, values=outcome)
    if Y.isna().any().any():
        raise DataValueError("The decomposition needs a balanced panel without missing outcomes; "
                             f"{int(Y.isna().any(axis=1).sum())} units have gaps. Drop them first.")
    times = Y.columns.to_numpy(dtype=float)
    g = cohort_values(data, cohort).groupby(data[unit]).first().reindex(Y.index).to_numpy()
    g = np.where(np.isfinite(g) & (g > times[-1]), np.inf, g)
    g = np.where(np.isfinite(g) & (g <= times[0]), times[0], g)
    groups = np.unique(g)
    means = np.vstack([Y.to_numpy()[g == k].mean(axis=0) for k in groups])
    n_share = np.array([(g == k).mean() for k in groups])
    dbar = np.array([(times >= k).mean() for k in groups])
    # full-panel variance of the two-way demeaned treatment
    D = (times[None, :] >= g[:, None]).astype(float)
    Dd = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    VD = float((Dd**2).mean())
    if VD <= 0:
        raise DataValueError("Treatment does not vary across units and periods; there is no DiD to decompose.")
    yd = Y.to_numpy() - Y.to_numpy().mean(axis=1, keepdims=True) - Y.to_numpy().mean(axis=0, keepdims=True) + Y.to_numpy().mean()
    twfe = float((Dd * yd).sum() / (Dd**2).sum())

    def dd(a: int, b: int, post: np.ndarray, pre: np.ndarray) -> float:
        """(change of group a) - (change of group b) between period masks pre and post."""
        return float((means[a, post].mean() - means[a, pre].mean()) - (means[b, post].mean() - means[b, pre].mean()))

    rows: list[tuple] = []
    never = [i for i, k in enumerate(groups) if np.isinf(k)]
    timing = [i for i, k in enumerate(groups) if np.isfinite(k)]
    for i in timing:
        if dbar[i] == 1.0:
            continue
        for u in never:
            s = (n_share[i] + n_share[u]) ** 2 * (n_share[i] / (n_share[i] + n_share[u])) * (
                n_share[u] / (n_share[i] + n_share[u])) * dbar[i] * (1 - dbar[i]) / VD
            rows.append(("treated_vs_never", groups[i], np.inf, dd(i, u, times >= groups[i], times < groups[i]), s))
    for a in timing:
        for b in timing:
            k, l_ = groups[a], groups[b]
            if not k < l_:
                continue
            nk, nl = n_share[a], n_share[b]
            nkl = nk / (nk + nl)
            Dk, Dl = dbar[a], dbar[b]
            if Dk < 1.0:
                win = times < l_
                s = ((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl) * (Dk - Dl) / (1 - Dl) * (1 - Dk) / (1 - Dl) / VD
                rows.append(("earlier_vs_later", k, l_, dd(a, b, win & (times >= k), times < k), s))
            win = times >= k
            s = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * (Dk - Dl) / Dk / VD
            kind = "later_vs_always" if Dk == 1.0 else "later_vs_earlier"
            rows.append((kind, l_, k, dd(b, a, win & (times >= l_), win & (times < l_)), s))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    for c in ("treated", "control"):
        table[c] = table[c].astype(float)
    notes = ()
    if abs(float(table["weight"].to_numpy() @ table["estimate"].to_numpy()) - twfe) > 1e-8 * max(1.0, abs(twfe)):
        notes = ("The weighted 2x2 estimates do not reproduce the TWFE estimate; check for an unbalanced panel.",)
    spec = DidSpec(estimator="bacon", design="twfe", outcome=outcome, options={"unit": unit, "time": time, "cohort": cohort},
                   data=data_source(data))
    return BaconResult(table, twfe, notes, spec)
