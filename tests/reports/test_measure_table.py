"""measure_table renders tidy() frames of measure results (the frames below are the exact output
shape of dp.gini / dp.theil / dp.concentration_index on the measures branch)."""

import pandas as pd
import pytest

import disparity as dp
from disparity.reports import measure_table

GINI = pd.DataFrame({
    "measure": ["gini", "gini"], "g": ["农村", "城镇"], "component": ["gini", "gini"],
    "estimate": [0.29097962797543414, 0.2807401946749204], "std_error": [0.018134288032123132, 0.015056779564306169],
    "conf_low": [0.25543707654719705, 0.25122944900572164], "conf_high": [0.32652217940367123, 0.31025094034411915],
    "nobs": [158.0, 142.0],
})
THEIL = pd.DataFrame({
    "measure": ["theil"] * 3, "component": ["total", "within", "between"],
    "estimate": [0.1318361933704928, 0.13183564682475596, 5.465457331155221e-07],
    "std_error": [0.012443944374915627, 0.012435253060093228, 3.303613886632599e-05],
    "conf_low": [0.10744651057003837, 0.10746299868833173, -6.420309663314731e-05],
    "conf_high": [0.15622587617094721, 0.1562082949611802, 6.529618809937835e-05],
    "nobs": [300.0] * 3,
})


class _Result:
    """Stands in for a measure result: anything with tidy() and a measure name."""

    measure = "concentration_index"

    def tidy(self):
        return pd.DataFrame({"component": ["standard"], "estimate": [0.045316551939403336],
                             "std_error": [0.03788235872547511], "nobs": [300.0]})


def test_rows_labels_and_numbers():
    t = measure_table([GINI, THEIL, _Result()], labels={"gini": "基尼系数", "theil": "泰尔指数", "within": "组内", "between": "组间"})
    assert [r[0] for r in t.body] == ["基尼系数 (农村)", "基尼系数 (城镇)", "泰尔指数", "泰尔指数 (组内)", "泰尔指数 (组间)",
                                      "集中指数 (标准)"]  # default Chinese names
    assert t.body[0][1:] == ("0.2910", "(0.0181)", "158")
    assert t.body[5][1:] == ("0.0453", "(0.0379)", "300")
    assert [c.text for c in t.header[0]] == ["指标", "估计值", "标准误", "观测值"]
    assert t.notes == ("括号内为标准误。",)


def test_interval_from_frame_or_normal_approximation():
    t = measure_table(GINI, stat="ci", lang="en", digits=3)
    assert t.body[0][2] == "[0.255, 0.327]"
    ci = measure_table(_Result(), stat="ci", digits=4)
    z = 1.959963984540054
    lo, hi = 0.045316551939403336 - z * 0.03788235872547511, 0.045316551939403336 + z * 0.03788235872547511
    assert ci.body[0][2] == f"[{lo:.4f}, {hi:.4f}]"


def test_bad_input():
    with pytest.raises(dp.errors.SpecificationError, match="tidy\\(\\) method"):
        measure_table([1.0])
    with pytest.raises(dp.errors.SpecificationError, match="'estimate' column"):
        measure_table(pd.DataFrame({"value": [1.0]}))


def test_chinese_tables_name_measures_and_components_in_chinese():
    import disparity as dp

    df = dp.datasets.chifeng_survey()
    rows = [dp.gap(df, "reimbursed", "urban", se="none"), dp.theil(df, "income", "urban", se="none")]
    zh = measure_table(rows, stat="none").to_frame().iloc[:, 0].tolist()
    assert zh[:5] == ["城乡差距 (差值)", "城乡差距 (相对差距)", "城乡差距 (比值)", "城乡差距 (均值[农村])",
                      "城乡差距 (均值[城镇])"]
    assert zh[5:8] == ["泰尔指数", "泰尔指数 (组内)", "泰尔指数 (组间)"]
    en = measure_table(rows, stat="none", lang="en").to_frame().iloc[:, 0].tolist()
    assert en[0] == "gap (difference)" and en[6] == "theil (within)"
    # labels= still wins
    own = measure_table(rows[1], stat="none", labels={"theil": "Theil T", "within": "组内差距"})
    assert own.to_frame().iloc[:2, 0].tolist() == ["Theil T", "Theil T (组内差距)"]
