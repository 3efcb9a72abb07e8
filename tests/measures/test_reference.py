"""Agreement with independent R computations (tests/reference/measures/make_reference.R).

R computes the indices from their pairwise/definitional formulas and every design-based variance
with the ``survey`` package, so both the point estimates and the variance machinery (strata,
PSUs, fpc, clusters, domains) are checked against code that shares nothing with ours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp

# Both sides evaluate closed-form expressions in double precision; differences are rounding only.
CLOSED_FORM_TOL = 1e-8

pytestmark = pytest.mark.reference

STRAT = dp.SurveyDesign(weights="w", strata="st", psu="psu")
FPC = dp.SurveyDesign(weights="w", strata="st", psu="psu", fpc="fpc")
SEPARATE = ("ci_h_unw_kwv1997", "ci_h_unw_regression")  # checked in their own test
DESIGNS = {
    "iid": {"weights": "w"},
    "strat": {"design": STRAT},
    "fpc": {"design": FPC},
    "cluster": {"weights": "w", "cluster": "psu"},
}


def _cases(d: pd.DataFrame):
    yield "gini_unw", dp.gini(d, "inc"), {}
    for nm, kw in DESIGNS.items():
        yield f"gini_w_{nm}", dp.gini(d, "inc", **kw), {}
    yield "gini_ties_strat", dp.gini(d, "inc_r", design=STRAT), {}
    r = dp.gini(d, "inc", design=STRAT, by="urban")
    yield "gini_domain_urban", r, "by:urban"
    for nm in ("iid", "strat"):
        for kind in ("standard", "generalized", "wagstaff", "erreygers"):
            yield (f"ci_h_{nm}", dp.concentration_index(d, "h", "inc", kind=kind, bounds=(0, 1),
                                                        **DESIGNS[nm]), {})
    yield "ci_h_ties_strat", dp.concentration_index(d, "h", "inc_r", design=STRAT), {}
    for kind in ("wagstaff", "erreygers"):
        yield "ci_score_iid", dp.concentration_index(d, "score", "inc", kind=kind, bounds=(0, 10),
                                                     weights="w"), {}
    for nm in ("iid", "strat"):
        kw = DESIGNS[nm]
        yield f"theil_{nm}", dp.theil(d, "inc", **kw), {}
        yield f"mld_{nm}", dp.mld(d, "inc", **kw), {}
        yield f"ge2_{nm}", dp.ge(d, "inc", alpha=2, **kw), {}
        yield f"ge0.5_{nm}", dp.ge(d, "inc", alpha=0.5, **kw), {}
        yield f"gem1_{nm}", dp.ge(d, "inc", alpha=-1, **kw), {}
        yield f"cv_{nm}", dp.cv(d, "inc", **kw), {"cv": "total"}
        for eps in (0.5, 1, 2):
            yield f"atkinson{eps:g}_{nm}", dp.atkinson(d, "inc", epsilon=eps, **kw), {}
        yield f"theil_region_{nm}", dp.theil(d, "inc", "region", **kw), {}
        yield f"mld_region_{nm}", dp.mld(d, "inc", "region", **kw), {}
        yield f"ge2_region_{nm}", dp.ge(d, "inc", alpha=2, group="region", **kw), {}
    for nm, kw in DESIGNS.items():
        yield f"gap_oop_urban_{nm}", dp.gap(d, "oop", "urban", reference=0, **kw), {}
    yield "gap_oop_urban_by_region_strat", dp.gap(d, "oop", "urban", by="region", design=STRAT), \
        "by:region"
    yield "catastrophic_strat", dp.catastrophic(d, "oop", "cons", threshold=0.1, rank="inc",
                                                design=STRAT), {}
    yield "impoverishment_strat", dp.impoverishment(d, "cons", "oop", poverty_line=4000,
                                                    design=STRAT), {}
    yield "kakwani_strat", dp.kakwani(d, "oop", "inc", design=STRAT), {}
    yield "incidence_strat", dp.benefit_incidence(d, "oop", "inc", design=STRAT), {}
    yield "ci_decomposition", dp.ci_decomposition(d, "h", "inc", ["age", "chronic", "urban"],
                                                  weights="w"), {}
    yield "horizontal_inequity", dp.horizontal_inequity(d, "h", "inc", ["age", "chronic"],
                                                        ["urban"], weights="w"), {}


def _ours(result: dp.MeasureResult, how) -> pd.DataFrame:
    t = result.table.copy()
    if isinstance(how, str) and how.startswith("by:"):
        col = how[3:]
        if col == "urban":
            t["component"] = [f"urban={v}" for v in t[col]]
        else:
            t["component"] = [f"{v}:{c}" for v, c in zip(t[col], t["component"], strict=True)]
    elif how:
        t["component"] = t["component"].replace(how)
    return t.set_index("component")


def test_every_reference_case_is_checked(sample, reference):
    produced = {case for case, _, _ in _cases(sample)} | set(SEPARATE)
    assert produced == set(reference["case"])


@pytest.mark.parametrize("column", ["estimate", "std_error"])
def test_matches_r(sample, reference, column):
    checked = 0
    for case, result, how in _cases(sample):
        ours = _ours(result, how)
        want = reference[reference["case"] == case].set_index("component")[column].dropna()
        for comp, value in want.items():
            if comp not in ours.index:
                continue
            got = float(ours.loc[comp, column])
            assert got == pytest.approx(value, rel=CLOSED_FORM_TOL, abs=1e-12), (case, comp, column)
            checked += 1
    expected = reference[~reference["case"].isin(SEPARATE)][column].notna().sum()
    assert checked == expected


def test_kwv_1997_variance_is_ours_times_finite_population_factor(sample, reference):
    # Kakwani, Wagstaff & van Doorslaer (1997) divide by n where the linearisation uses n - 1.
    row = reference[reference["case"] == "ci_h_unw_kwv1997"].iloc[0]
    r = dp.concentration_index(sample, "h", "inc")
    n = len(sample)
    assert r.value == pytest.approx(row["estimate"], rel=CLOSED_FORM_TOL)
    assert r.std_error * np.sqrt((n - 1) / n) == pytest.approx(row["std_error"],
                                                               rel=CLOSED_FORM_TOL)
    reg = reference[reference["case"] == "ci_h_unw_regression"].iloc[0]
    assert r.value == pytest.approx(reg["estimate"], rel=CLOSED_FORM_TOL)
