"""Regional benchmarking: a focus region against named peers and the national distribution."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _display
from ..errors import DataValueError, RegionError, SpecificationError
from ..specs import BenchmarkSpec, data_source
from ._indicators import DirectionSpec, directions, indicator_list

__all__ = ["benchmark", "BenchmarkResult"]


def _region_resolver() -> Any:
    """``disparity.io.regions.to_code`` when available, else None (exact matching)."""
    try:
        from ..io import regions
    except ImportError:
        return None
    return getattr(regions, "to_code", None)


def _match_regions(panel: pd.DataFrame, region: str, wanted: Sequence[str]) -> dict[str, Any]:
    """Map each wanted name/code to the panel's own label in column ``region``.

    Uses ``disparity.io.regions.to_code`` on both sides when that module exists (so '甘肃',
    'Gansu', 'Gansu Province' and 620000 all match), otherwise exact matching on ``region`` and,
    if present, ``region_code``.
    """
    labels = pd.unique(panel[region].dropna())
    to_code = _region_resolver()
    out: dict[str, Any] = {}
    if to_code is not None:
        code_of_label = {}
        for lab in labels:
            try:
                code_of_label[to_code(lab)] = lab
            except RegionError:
                continue
        for w in wanted:
            code = to_code(w)  # raises RegionError / AmbiguousRegionError with its own advice
            if code not in code_of_label:
                raise RegionError(
                    f"Region {w!r} (code {code}) has no rows in column {region!r} for the chosen year."
                )
            out[w] = code_of_label[code]
        return out
    by_text = {str(lab): lab for lab in labels}
    codes = {}
    if "region_code" in panel.columns and region != "region_code":
        codes = {str(c): lab for c, lab in zip(panel["region_code"], panel[region], strict=True)}
    for w in wanted:
        key = str(w).strip()
        if key in by_text:
            out[w] = by_text[key]
        elif key in codes:
            out[w] = codes[key]
        else:
            raise RegionError(
                f"Region {w!r} is not in column {region!r}; write it exactly as the panel does "
                f"(e.g. {sorted(by_text)[:5]}) or use its code."
            )
    return out


@_display.shown(lambda r: f"Benchmark {r.focus} ({r.year})")
@dataclass(frozen=True, slots=True)
class BenchmarkResult:
    """A focus region compared with peers and the national distribution.

    Attributes
    ----------
    table : DataFrame
        One row per indicator: ``focus`` (value), ``national_mean``, ``national_median``,
        ``national_min``, ``national_max``, ``n_regions``, ``rank`` (1 = best given the
        indicator's direction; ties share the best rank) and ``percentile`` (share of regions
        the focus does at least as well as), then for each peer ``<peer>``, ``gap_<peer>``
        (focus − peer) and ``gap_pct_<peer>`` (100 × gap / peer).
    values : DataFrame
        The year's values, regions × indicators.
    focus, peers, year, spec
    """

    table: pd.DataFrame
    values: pd.DataFrame
    focus: str
    peers: tuple[str, ...]
    year: Any
    spec: BenchmarkSpec = field(default_factory=BenchmarkSpec)


    def tidy(self) -> pd.DataFrame:
        """Long table: ``indicator, peer, focus, peer_value, gap, gap_pct, rank, n_regions``."""
        if not self.peers:
            t = self.table
            return pd.DataFrame({"indicator": t.index, "focus": t["focus"].to_numpy(),
                                 "rank": t["rank"].to_numpy(), "n_regions": t["n_regions"].to_numpy()})
        rows = []
        for p in self.peers:
            t = self.table
            rows.append(pd.DataFrame({
                "indicator": t.index, "peer": p, "focus": t["focus"].to_numpy(),
                "peer_value": t[p].to_numpy(), "gap": t[f"gap_{p}"].to_numpy(),
                "gap_pct": t[f"gap_pct_{p}"].to_numpy(), "rank": t["rank"].to_numpy(),
                "n_regions": t["n_regions"].to_numpy(),
            }))
        return pd.concat(rows, ignore_index=True)

    def radar(self) -> pd.DataFrame:
        """Radar-chart-ready frame: rows focus, peers and ``national_mean``; columns indicators;
        values min-max scaled over all regions of the year to [0, 1] with 1 = best."""
        v = self.values
        dirs = pd.Series(self.spec.direction)
        lo, hi = v.min(), v.max()
        rng = (hi - lo).where(hi > lo)
        scaled = (v - lo) / rng
        pos = (dirs.reindex(v.columns) > 0).to_numpy()
        scaled = pd.DataFrame(np.where(pos, scaled, 1 - scaled), index=v.index, columns=v.columns)
        rows = [self.focus, *self.peers]
        out = scaled.loc[[self.spec.labels[r] for r in rows]]
        out.index = rows
        mean = (v.mean() - lo) / rng
        out.loc["national_mean"] = mean.where(dirs > 0, 1 - mean)
        return out.rename_axis("region")


def benchmark(
    panel: pd.DataFrame,
    focus: str,
    peers: Sequence[str] = (),
    indicators: Sequence[str] | None = None,
    year: Any = None,
    *,
    region: str = "region",
    time: str = "year",
    direction: DirectionSpec = None,
) -> BenchmarkResult:
    """Benchmark a focus region against peers and the national distribution.

    Parameters
    ----------
    panel : DataFrame
        Region (× year) panel, one row per region and year.
    focus : str
        Focus region (name or code, in any form :mod:`disparity.io.regions` understands when
        that module is available; otherwise exactly as in the panel or its ``region_code``).
    peers : list of str
        Peer regions.
    indicators : list of str
        Indicator columns (e.g. pooling level, contribution, deductible, ceiling, subsidy,
        reimbursement rate, fund balance in months, medical investment).
    year : optional
        The year to compare; required when the panel has more than one year.
    region : str
        Column of region labels.
    time : str
        Column of years (ignored when absent from the panel).
    direction : mapping or sequence of {'+', '-'}, optional
        Whether more (``'+'``, default) or less (``'-'``, e.g. deductibles) is better; used for
        ranks and the radar frame.

    Returns
    -------
    BenchmarkResult

    Notes
    -----
    Gap to peer :math:`p` on indicator :math:`j`: :math:`g = x_{fj} - x_{pj}` and
    :math:`100\\,g / x_{pj}` (NaN when :math:`x_{pj} = 0`). Rank among the :math:`N` regions with
    a value: :math:`1 + \\#\\{r : x_{rj} \\text{ better than } x_{fj}\\}`.

    References
    ----------
    Camp, R. C. (1989). *Benchmarking: The Search for Industry Best Practices that Lead to
    Superior Performance*. ASQC Quality Press; applied to provincial resident-insurance
    comparisons as in the Gansu-Tianjin-Ningxia study (issue 6 seed study).

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> b = dp.benchmark(p, "甘肃省", peers=["宁夏回族自治区", "青海省"],
    ...                  indicators=["reimb_rural", "subsidy_pc"], year=2023)
    >>> b.table["rank"].tolist(), b.table["gap_青海省"].round(2).tolist()
    ([28, 27], [-9.79, -23.9])
    """
    cols = indicator_list(panel, indicators, min_rows=1)
    if region not in panel.columns:
        raise SpecificationError(f"region={region!r} is not a column; columns are {list(panel.columns)}.")
    peers = (peers,) if isinstance(peers, str) else tuple(peers)
    data = panel
    if time in panel.columns:
        years = pd.unique(panel[time].dropna())
        if year is None:
            if len(years) > 1:
                raise SpecificationError(
                    f"The panel has {len(years)} years ({sorted(years)[:3]}...); pass year= to choose one."
                )
            year = years[0] if len(years) else None
        else:
            data = panel[panel[time] == year]
            if data.empty:
                raise DataValueError(f"No rows for {time} == {year!r}; years present: {sorted(years)}.")
    dup = data[region].duplicated(keep=False)
    if dup.any():
        raise DataValueError(
            f"Regions {sorted(set(data.loc[dup, region].astype(str)))} appear more than once for the "
            f"chosen year; keep one row per region."
        )
    labels = _match_regions(data, region, [focus, *peers])
    if len(set(labels.values())) < len(labels):
        raise SpecificationError("focus and peers must be different regions.")
    values = data.set_index(region)[cols].apply(pd.to_numeric, errors="coerce")
    dirs = pd.Series(directions(cols, direction), index=cols)

    f = values.loc[labels[focus]]
    signed = values * dirs
    better = signed.gt(signed.loc[labels[focus]], axis=1).sum()
    n = values.notna().sum()
    table = pd.DataFrame({
        "focus": f,
        "national_mean": values.mean(),
        "national_median": values.median(),
        "national_min": values.min(),
        "national_max": values.max(),
        "n_regions": n,
        "rank": (better + 1).where(f.notna()),
        "percentile": ((n - better) / n).where(f.notna()),
    })
    for p in peers:
        pv = values.loc[labels[p]]
        table[p] = pv
        table[f"gap_{p}"] = f - pv
        table[f"gap_pct_{p}"] = 100 * (f - pv) / pv.where(pv != 0)
    table.index.name = "indicator"
    spec: dict[str, Any] = {"indicators": cols, "direction": dirs.to_dict(), "labels": labels, "region": region,
            "time": time}
    return BenchmarkResult(table=table, values=values, focus=focus, peers=peers, year=year, spec=BenchmarkSpec(**spec, data=data_source(panel)))
