"""A plain matplotlib event-study figure (styling is the report layer's job)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def event_plot(table: pd.DataFrame, x: str, *, reference: float | None = -1) -> Any:
    from ..._figure import InlineFigure as Figure

    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    xs = table[x].to_numpy(dtype=float)
    est = table["att"].to_numpy(dtype=float)
    if "band_low" in table and np.isfinite(table["band_low"]).any():
        ax.fill_between(xs, table["band_low"], table["band_high"], alpha=0.2, label="uniform band")
    ax.errorbar(xs, est, yerr=[est - table["conf_low"], table["conf_high"] - est], fmt="o", capsize=3,
                label="estimate, pointwise interval")
    ax.axhline(0.0, linewidth=0.8, color="black")
    if reference is not None:
        ax.axvline(reference, linestyle="--", linewidth=0.8, color="grey")
    ax.set_xlabel(x)
    ax.set_ylabel("att")
    ax.legend()
    return fig
