"""Hand-worked cases and invariants for benefit schedules (disparity.benefits)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import disparity as dp
from disparity import benefits
from disparity.errors import DataValueError, DisparityError, SpecificationError

# Sums of a few products of yuan amounts and two-decimal rates: exact up to float rounding.
CLOSED_FORM_TOL = 1e-9

BASE = {
    "name": "test",
    "inpatient": {
        "deductible": {"township": 200, "level2": 400, "level3": 700},
        "rate": {"township": 0.90, "level2": 0.75, "level3": 0.65},
    },
}


def schedule(**extra):
    return benefits.Schedule.from_dict({**BASE, **extra})


def claims(rows, **cols):
    df = pd.DataFrame(rows)
    for k, v in cols.items():
        df[k] = v
    return df


def paid(res, col="reimbursed"):
    return res.claims[col].to_numpy()


# ---------------------------------------------------------------- hand-worked cases
def test_deductible_only():
    s = schedule()
    c = claims({"person_id": [1, 2, 3], "cost": [3000.0, 150.0, 400.0], "level": ["level2"] * 3})
    r = s.reimburse(c, scope_share=None)
    # (3000 - 400) * 0.75 = 1950; costs at or below the deductible are not reimbursed
    np.testing.assert_allclose(paid(r), [1950.0, 0.0, 0.0], atol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(r.claims["deductible"], [400.0, 150.0, 400.0])
    assert r.claims.loc[0, "effective_rate"] == pytest.approx(0.65, abs=CLOSED_FORM_TOL)


def test_scope_share_limits_policy_scope_cost():
    s = schedule()
    c = claims({"person_id": [1], "cost": [10000.0], "scope_share": [0.8], "level": ["level3"]})
    # policy scope 8000; (8000 - 700) * 0.65 = 4745; out of pocket 10000 - 4745
    r = s.reimburse(c)
    assert paid(r)[0] == pytest.approx(4745.0, abs=CLOSED_FORM_TOL)
    assert r.claims["out_of_pocket"].iloc[0] == pytest.approx(5255.0, abs=CLOSED_FORM_TOL)


def test_deductible_and_annual_ceiling():
    s = schedule(ceiling=10000)
    c = claims({"person_id": [1, 1, 1, 2], "cost": [10400.0, 5400.0, 3000.0, 10400.0],
                "level": ["level2"] * 4})
    r = s.reimburse(c, scope_share=None)
    # person 1: 7500, then 3750 uncapped -> only 2500 left under the 10000 ceiling, then 0
    np.testing.assert_allclose(r.claims["basic_before_ceiling"], [7500, 3750, 1950, 7500])
    np.testing.assert_allclose(paid(r), [7500, 2500, 0, 7500], atol=CLOSED_FORM_TOL)
    assert r.by_person().loc[1, "basic"] == pytest.approx(10000.0)


def test_level_specific_deductibles():
    s = schedule()
    c = claims({"person_id": [1, 2, 3], "cost": [2200.0] * 3, "level": ["township", "level2", "level3"]})
    r = s.reimburse(c, scope_share=None)
    # (2200-200)*0.9 = 1800; (2200-400)*0.75 = 1350; (2200-700)*0.65 = 975
    np.testing.assert_allclose(paid(r), [1800, 1350, 975], atol=CLOSED_FORM_TOL)


def test_critical_illness_threshold_crossed_mid_year():
    s = schedule(critical_illness={"threshold": 10000, "rate": 0.5, "ceiling": 200000})
    c = claims({"person_id": [1, 1, 1], "cost": [20400.0, 24400.0, 4400.0], "level": ["level2"] * 3})
    r = s.reimburse(c, scope_share=None)
    # basic: 15000, 18000, 3000; policy-scope OOP: 5400, 6400, 1400 -> cumulative 5400, 11800, 13200
    np.testing.assert_allclose(r.claims["basic"], [15000, 18000, 3000], atol=CLOSED_FORM_TOL)
    # CI pays half of what lies above 10000: 0 on claim 1, (11800-10000)/2 = 900, then 1400/2 = 700
    np.testing.assert_allclose(r.claims["critical_illness"], [0, 900, 700], atol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(paid(r), [15000, 18900, 3700], atol=CLOSED_FORM_TOL)


def test_critical_illness_tiers_and_ceiling():
    s = schedule(critical_illness={"segments": [[10000, 0.5], [20000, 0.6]], "ceiling": 8000})
    # rate 0 level makes policy-scope OOP equal to policy-scope cost
    s = benefits.Schedule.from_dict({**s.to_dict(), "inpatient": {"deductible": {"x": 0}, "rate": {"x": 0}}})
    c = claims({"person_id": [1, 1, 1], "cost": [15000.0, 10000.0, 20000.0], "level": ["x"] * 3})
    r = s.reimburse(c, scope_share=None)
    # cumulative OOP 15000, 25000, 45000: F = 2500, 5000+3000=8000, 5000+15000=20000 -> capped at 8000
    np.testing.assert_allclose(r.claims["critical_illness"], [2500, 5500, 0], atol=CLOSED_FORM_TOL)


def test_group_bonus_and_poor_critical_illness_rules():
    s = schedule(
        ceiling=80000,
        critical_illness={"threshold": 10000, "rate": 0.5, "ceiling": 5000},
        groups={"poor": {"rate_bonus": 0.05, "ci_threshold_factor": 0.5, "ci_ceiling": math.inf}},
    )
    c = claims({"person_id": [1, 2], "cost": [40400.0, 40400.0], "level": ["level2", "level2"],
                "grp": ["general", "poor"]})
    r = s.reimburse(c, scope_share=None, group="grp")
    # general: basic 40000*0.75 = 30000, OOP 10400, CI (10400-10000)*0.5 = 200
    # poor: basic 40000*0.80 = 32000, OOP 8400, threshold 5000 -> CI 1700 (no ceiling)
    np.testing.assert_allclose(r.claims["basic"], [30000, 32000], atol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(r.claims["critical_illness"], [200, 1700], atol=CLOSED_FORM_TOL)


def test_group_rate_bonus_is_capped_at_one():
    s = schedule(groups={"special": {"rate_bonus": 0.2}})
    c = claims({"person_id": [1], "cost": [1200.0], "level": ["township"], "grp": ["special"]})
    r = s.reimburse(c, scope_share=None, group="grp")
    assert paid(r)[0] == pytest.approx(1000.0)  # (1200-200) * min(0.9+0.2, 1)


def test_out_of_area_rules_replace_level_rules():
    s = schedule(out_of_area={"cross_province": {"deductible": 1500, "rate": 0.5}})
    c = claims({"person_id": [1, 2], "cost": [5500.0, 5500.0], "level": ["level3", "level3"],
                "where": [None, "cross_province"]})
    r = s.reimburse(c, scope_share=None, area="where")
    np.testing.assert_allclose(paid(r), [(5500 - 700) * 0.65, (5500 - 1500) * 0.5])


def test_outpatient_pooling_has_own_ceiling_and_skips_inpatient_accumulators():
    s = schedule(ceiling=1000, outpatient={"rate": 0.5, "ceiling": 100})
    c = claims({"person_id": [1, 1, 1, 1], "cost": [120.0, 60.0, 100.0, 1733.0],
                "level": [None, None, None, "level2"],
                "setting": ["outpatient", "outpatient", "outpatient", "inpatient"]})
    r = s.reimburse(c, scope_share=None, setting="setting")
    np.testing.assert_allclose(r.claims["outpatient"], [60, 30, 10, 0], atol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(r.claims["basic"], [0, 0, 0, 999.75], atol=CLOSED_FORM_TOL)


def test_accumulation_restarts_each_year_and_follows_order_column():
    s = schedule(ceiling=2000)
    c = claims({"person_id": [1, 1, 1], "year": [2019, 2020, 2019], "day": [5, 1, 1],
                "cost": [2400.0, 2400.0, 1400.0], "level": ["level2"] * 3})
    r = s.reimburse(c, scope_share=None, year="year", order="day")
    # 2019 in date order: row 2 (750) then row 0 (1500 -> capped at 1250); 2020: 1500
    np.testing.assert_allclose(paid(r), [1250, 1500, 750], atol=CLOSED_FORM_TOL)
    assert list(r.claims.index) == [0, 1, 2]


def test_result_object_and_tidy():
    s = schedule()
    c = claims({"person_id": [1, 2], "cost": [3000.0, 1000.0], "level": ["level2", "level2"]})
    r = s.reimburse(c, scope_share=None)
    assert r.effective_rate == pytest.approx((1950 + 450) / 4000)
    assert float(r) == r.value == r.effective_rate
    t = r.tidy()
    assert list(t.columns) == ["component", "amount", "share_of_cost"]
    assert t.set_index("component").loc["reimbursed", "amount"] == pytest.approx(2400.0)
    assert "Reimbursement" in r._repr_html_()
    with pytest.raises(AttributeError):
        r.claims = None  # frozen


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        ({"cost": [-1.0, 10.0]}, {}, DataValueError, r"finite non-negative.*\[0\]"),
        ({"level": ["level9", "level2"]}, {}, DataValueError, r"level9.*Known levels"),
        ({"scope_share": [80, 1]}, {}, DataValueError, r"share in \[0, 1\].*\[0\]"),
        ({}, {"group": "nope"}, SpecificationError, r"group='nope' is not a column"),
        ({"g": ["vip", None]}, {"group": "g"}, DataValueError, r"'vip'.*Known groups"),
        ({"w": ["moon", None]}, {"area": "w"}, DataValueError, r"moon.*Known types"),
        ({"s": ["ER", "inpatient"]}, {"setting": "s"}, DataValueError, r"'inpatient' or 'outpatient'"),
    ],
)
def test_bad_claims_raise_helpful_errors(change, kwargs, error, match):
    base = {"person_id": [1, 2], "cost": [100.0, 10.0], "level": ["level2", "level2"], "scope_share": [1, 1]}
    c = pd.DataFrame({**base, **change})
    with pytest.raises(error, match=match):
        schedule().reimburse(c, **kwargs)


def test_group_changing_within_person_year_is_an_error():
    c = claims({"person_id": [1, 1], "cost": [100.0, 10.0], "level": ["level2"] * 2, "g": ["poor", None]})
    s = schedule(groups={"poor": {"rate_bonus": 0.05}})
    with pytest.raises(DataValueError, match="constant per person and year"):
        s.reimburse(c, scope_share=None, group="g")


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"inpatient": {"deductible": {"a": 1}, "rate": {"b": 0.5}}}, "both a deductible and a rate"),
        ({"inpatient": {"deductible": {"a": 1}, "rate": {"a": 75}}}, r"write 0.75, not 75"),
        ({**BASE, "celing": 100}, r"did you mean 'ceiling'"),
        ({**BASE, "critical_illness": {"threshold": 1}}, "needs 'threshold' and 'rate'"),
        ({**BASE, "critical_illness": {"segments": [[5, 0.5], [5, 0.6]]}}, "increase strictly"),
        ({**BASE, "groups": {"general": {}}}, "no special rule"),
    ],
)
def test_bad_schedules_raise(spec, match):
    with pytest.raises(SpecificationError, match=match):
        benefits.Schedule.from_dict(spec)


# ---------------------------------------------------------------- oracle and invariants
def _oracle(s, df):
    """Sequential, claim-by-claim reading of the rules (independent of the vectorised code)."""
    out = []
    state = {}
    ci = s.critical_illness
    for row in df.itertuples():
        st_ = state.setdefault(row.person_id, {"basic": 0.0, "oop": 0.0, "ci": 0.0})
        e = row.cost * row.scope_share
        raw = max(e - s.deductible[row.level], 0.0) * s.rate[row.level]
        basic = min(raw, max(s.ceiling - st_["basic"], 0.0))
        st_["basic"] += basic
        ci_pay = 0.0
        if ci is not None:
            before, after = st_["oop"], st_["oop"] + e - basic
            st_["oop"] = after
            bounds = [lo for lo, _ in ci.segments] + [math.inf]
            due = 0.0
            for k, (lo, r) in enumerate(ci.segments):
                hi = bounds[k + 1]
                due += r * (max(min(after, hi) - lo, 0.0) - max(min(before, hi) - lo, 0.0))
            ci_pay = min(due, max(ci.ceiling - st_["ci"], 0.0))
            st_["ci"] += ci_pay
        out.append(basic + ci_pay)
    return np.array(out)


ORACLE_SCHEDULE = benefits.Schedule.from_dict({
    **BASE, "ceiling": 30000,
    "critical_illness": {"segments": [[8000, 0.5], [30000, 0.7]], "ceiling": 20000},
})

claim_rows = st.lists(
    st.tuples(st.integers(0, 3), st.floats(0, 80000, allow_nan=False), st.sampled_from([0.5, 0.8, 1.0]),
              st.sampled_from(["township", "level2", "level3"])),
    min_size=1, max_size=25,
)


def _frame(rows):
    return pd.DataFrame(rows, columns=["person_id", "cost", "scope_share", "level"])


@settings(max_examples=60, deadline=None)
@given(claim_rows)
def test_vectorised_matches_sequential_oracle(rows):
    df = _frame(rows)
    r = ORACLE_SCHEDULE.reimburse(df)
    np.testing.assert_allclose(paid(r), _oracle(ORACLE_SCHEDULE, df), rtol=1e-12, atol=1e-7)


@settings(max_examples=60, deadline=None)
@given(claim_rows)
def test_reimbursement_between_zero_and_cost(rows):
    r = ORACLE_SCHEDULE.reimburse(_frame(rows))
    assert (r.claims["reimbursed"] >= -1e-9).all()
    assert (r.claims["reimbursed"] <= r.claims["cost"] + 1e-7).all()


@settings(max_examples=60, deadline=None)
@given(claim_rows, st.data())
def test_person_totals_monotone_in_cost(rows, data):
    df = _frame(rows)
    j = data.draw(st.integers(0, len(df) - 1))
    bump = data.draw(st.floats(0, 50000, allow_nan=False))
    more = df.copy()
    more.loc[j, "cost"] += bump
    a = ORACLE_SCHEDULE.reimburse(df).by_person()
    b = ORACLE_SCHEDULE.reimburse(more).by_person()
    assert (b["reimbursed"] >= a["reimbursed"] - 1e-7).all()
    assert (b["out_of_pocket"] >= a["out_of_pocket"] - 1e-7).all()  # marginal rate never above 1


# ---------------------------------------------------------------- files
def test_from_csv_reads_long_shape(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(
        "item,level_or_group,value,unit,note\n"
        "financing_total_per_person,all,660,yuan/year,\n"
        "inpatient_deductible,level2,400,yuan,\n"
        "inpatient_reimbursement_rate,level2,75,%,percent unit\n"
        "annual_ceiling_basic,all,80000,yuan,\n"
        "annual_ceiling_basic,poor,inf,yuan,no ceiling\n"
        "inpatient_rate_bonus,poor,0.05,share,\n"
        "critical_illness_threshold,all,10000,yuan,\n"
        "critical_illness_rate,all,0.5,share,\n"
        "critical_illness_tier_rate,50000,0.6,share,\n"
        "critical_illness_threshold_factor,poor,0.5,share,\n"
        "outpatient_pooling_rate,all,0.5,share,\n",
        encoding="utf-8",
    )
    s = benefits.Schedule.from_csv(p)
    assert s.rate["level2"] == 0.75
    assert s.groups["poor"].ceiling == math.inf and s.groups["poor"].rate_bonus == 0.05
    assert s.critical_illness.segments == ((10000.0, 0.5), (50000.0, 0.6))
    assert s.extras["financing_total_per_person"] == {"all": 660}
    assert benefits.Schedule.from_dict(s.to_dict()) == s


def test_from_csv_catches_misspelt_rule(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("item,level_or_group,value\ninpatient_deductable,level2,400\n", encoding="utf-8")
    with pytest.raises(DisparityError, match="did you mean 'inpatient_deductible'"):
        benefits.Schedule.from_csv(p)


def test_toml_round_trip(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(
        'name = "t"\nceiling = 50000\n[inpatient.deductible]\nlevel2 = 400\n'
        "[inpatient.rate]\nlevel2 = 0.75\n[groups.poor]\nrate_bonus = 0.05\nci_ceiling = inf\n",
        encoding="utf-8",
    )
    s = benefits.Schedule.from_toml(p)
    assert s.ceiling == 50000 and s.groups["poor"].ci_ceiling == math.inf
    with pytest.raises(dp.errors.DataFormatError, match="does not exist"):
        benefits.Schedule.from_toml(tmp_path / "missing.toml")
