"""Regional benchmarking on a small hand-built panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, RegionError, SpecificationError

TOL = 1e-12


@pytest.fixture
def panel():
    regions = ["Gansu", "Tianjin", "Ningxia", "Beijing", "Hebei"]
    codes = ["620000", "120000", "640000", "110000", "130000"]
    rows = []
    for year, bump in ((2018, 0.0), (2019, 10.0)):
        for r, c, fin, ded, rate in zip(regions, codes, [600, 900, 650, 1200, 620],
                                        [800, 500, 700, 1300, 900], [0.55, 0.70, 0.60, 0.80, 0.50], strict=True):
            rows.append({"region": r, "region_code": c, "year": year, "financing": fin + bump,
                         "deductible": ded, "rate": rate})
    return pd.DataFrame(rows)


def test_benchmark_levels_gaps_ranks(panel):
    b = dp.benchmark(panel, focus="Gansu", peers=["Tianjin", "Ningxia"],
                     indicators=["financing", "deductible", "rate"], year=2018,
                     direction={"deductible": "-"})
    t = b.table
    assert t.loc["financing", "focus"] == 600
    assert t.loc["financing", "gap_Tianjin"] == -300
    assert t.loc["financing", "gap_pct_Tianjin"] == pytest.approx(-100 / 3, abs=TOL)
    assert t.loc["financing", "national_mean"] == pytest.approx(794.0, abs=TOL)
    # financing: 600 is the lowest of 5 -> rank 5; deductible (less is better): 800 beaten by 500, 700 -> rank 3
    assert t.loc["financing", "rank"] == 5 and t.loc["deductible", "rank"] == 3
    assert t.loc["rate", "rank"] == 4 and t.loc["rate", "percentile"] == pytest.approx(0.4)
    tidy = b.tidy()
    assert len(tidy) == 6 and set(tidy["peer"]) == {"Tianjin", "Ningxia"}
    radar = b.radar()
    assert list(radar.index) == ["Gansu", "Tianjin", "Ningxia", "national_mean"]
    # deductible reversed: Tianjin (500, the lowest) scores 1, Gansu (800) (1300-800)/800
    assert radar.loc["Tianjin", "deductible"] == 1.0
    assert radar.loc["Gansu", "deductible"] == pytest.approx(500 / 800, abs=TOL)
    assert radar.loc["Gansu", "financing"] == 0.0


def test_benchmark_accepts_codes_and_checks_input(panel):
    b = dp.benchmark(panel, focus="620000", peers=["120000"], indicators=["rate"], year=2019)
    assert b.table.loc["rate", "gap_120000"] == pytest.approx(0.55 - 0.70, abs=TOL)
    with pytest.raises(SpecificationError, match="pass year="):
        dp.benchmark(panel, focus="Gansu", peers=["Tianjin"], indicators=["rate"])
    with pytest.raises(RegionError, match="Atlantis"):
        dp.benchmark(panel, focus="Atlantis", peers=["Tianjin"], indicators=["rate"], year=2018)
    with pytest.raises(DataValueError, match="years present"):
        dp.benchmark(panel, focus="Gansu", peers=["Tianjin"], indicators=["rate"], year=1990)
    doubled = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(DataValueError, match="more than once"):
        dp.benchmark(doubled, focus="Gansu", peers=["Tianjin"], indicators=["rate"], year=2018)


def test_benchmark_with_composite_scores(panel):
    y = panel[panel["year"] == 2018].reset_index(drop=True)
    ci = dp.composite_index(y, ["financing", "deductible", "rate"], direction={"deductible": "-"})
    y["score"] = ci.scores
    b = dp.benchmark(y, focus="Gansu", peers=["Tianjin"], indicators=["score"])
    assert b.table.loc["score", "rank"] == int(ci.tidy().set_index(y["region"]).loc["Gansu", "rank"])
    assert np.isfinite(b.table.loc["score", "gap_pct_Tianjin"])


def test_benchmark_without_peers_has_a_tidy_table():
    import disparity as dp

    p = dp.datasets.province_panel()
    t = dp.benchmark(p, focus="甘肃", indicators=["subsidy_pc", "reimb_rural"], year=2023).tidy()
    assert list(t.columns) == ["indicator", "focus", "rank", "n_regions"]
    assert (t["n_regions"] == 31).all() and t["rank"].between(1, 31).all()
