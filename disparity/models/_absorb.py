"""Absorbing any number of fixed effects: codes, singletons, redundant levels, nesting in clusters.

The within transformation itself is :func:`disparity.models.panel.demean` (alternating
projections, Gaure 2013); this module decides which rows and how many parameters the effects take.

References
----------
Correia, S. (2015). Singletons, cluster-robust standard errors and fixed effects: a bad mix.
Technical note, Duke University.
Gaure, S. (2013). OLS with multiple high dimensional category variables. *Computational Statistics
& Data Analysis* 66, 8-18.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValueError, SpecificationError

__all__ = [
    "absorb_columns",
    "absorb_codes",
    "drop_singletons",
    "absorbed_dof",
    "fixest_dof",
    "fe_dof",
    "nested_dof",
]


def absorb_columns(absorb: str | Sequence[str] | None) -> tuple[str, ...]:
    """``absorb=`` as a tuple of column names (checked)."""
    if absorb is None:
        return ()
    if isinstance(absorb, str):
        cols: tuple = (absorb,)
    elif isinstance(absorb, (list, tuple)):
        cols = tuple(absorb)
    else:
        cols = ()
    if not cols or not all(isinstance(c, str) for c in cols):
        raise SpecificationError(
            f"absorb={absorb!r} must name one column or a list of columns (fixed effects)."
        )
    if len(set(cols)) != len(cols):
        raise SpecificationError(f"absorb={list(cols)!r} names a column twice.")
    return cols


def absorb_codes(data: pd.DataFrame, cols: Sequence[str], index: pd.Index) -> list[np.ndarray]:
    """Integer codes of each fixed effect on the estimation rows."""
    out = []
    for c in cols:
        if c not in data.columns:
            raise SpecificationError(f"Fixed-effect column {c!r} (absorb=) is not in the data.")
        col = data.loc[index, c]
        if col.isna().any():
            raise DataValueError(
                f"Fixed-effect column {c!r} has {int(col.isna().sum())} missing values; fill them or "
                "drop those rows (an observation without a group cannot be absorbed)."
            )
        out.append(pd.factorize(col, sort=True)[0].astype(np.intp))
    return out


def drop_singletons(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Rows to keep after repeatedly removing observations alone in some fixed-effect group.

    A singleton is fitted exactly by its own effect: it carries no information about the slopes but
    would inflate the degrees of freedom (Correia 2015). Removing one can create another, so the
    pass repeats until none is left (as reghdfe and fixest do).
    """
    n = codes[0].size
    keep = np.ones(n, dtype=bool)
    while True:
        changed = False
        for g in codes:
            counts = np.bincount(g[keep], minlength=int(g.max()) + 1)
            single = keep & (counts[g] == 1)
            if single.any():
                keep &= ~single
                changed = True
        if not changed:
            return keep


def recode(codes: Sequence[np.ndarray], keep: np.ndarray) -> list[np.ndarray]:
    return [pd.factorize(g[keep])[0].astype(np.intp) for g in codes]


def absorbed_dof(groups: Sequence[np.ndarray]) -> int:
    """Fixed-effect parameters absorbed: levels minus redundant ones.

    One set: its levels. Two: levels minus the connected components of the bipartite graph of the
    two (exact). Each further set: its levels minus one (a lower bound on the redundancy, the rule
    of fixest and pyfixest).
    """
    levels = [int(g.max()) + 1 for g in groups]
    if len(groups) == 1:
        return levels[0]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = groups[0], groups[1]
    na, nb = levels[0], levels[1]
    graph = coo_matrix((np.ones(a.size), (a, b + na)), shape=(na + nb, na + nb))
    n_comp = int(connected_components(graph, directed=False)[0])
    return na + nb - n_comp + sum(v - 1 for v in levels[2:])


def fixest_dof(groups: Sequence[np.ndarray]) -> int:
    """fixest's count of absorbed parameters: all levels minus one for each set after the first."""
    return sum(int(g.max()) + 1 for g in groups) - (len(groups) - 1)


def fe_dof(groups: Sequence[np.ndarray], clusters: Sequence[np.ndarray] | None = None):
    """:class:`~disparity.models.covariance.FeDof` of the effects (and their nesting in clusters)."""
    from .covariance import FeDof

    nested = nested_dof(groups, clusters) if clusters else 0
    return FeDof(absorbed_dof(groups), nested, fixest_dof(groups))


def nested_dof(groups: Sequence[np.ndarray], clusters: Sequence[np.ndarray]) -> int:
    """Absorbed parameters nested in a clustering (all levels of each nested effect but one)."""
    out = 0
    for g in groups:
        G = int(g.max()) + 1
        for c in clusters:
            # nested iff every level of g meets one cluster: each row's cluster equals the (any)
            # cluster recorded for its level (O(n), no sorting).
            seen = np.empty(G, dtype=c.dtype)
            seen[g] = c
            if np.array_equal(seen[g], c):
                out += G - 1
                break
    return out
