"""Words used in generated table text, in Chinese and English (display words live here, not in results)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._registry import REGISTRY

__all__ = ["words", "stat_label", "term_label", "percent", "join_sentences", "measure_label"]

#: Chinese names of the measures and their components, for tables in Chinese reports (the results
#: keep English identifiers; display words live here).
MEASURE_ZH: dict[str, str] = {e.name: e.zh for e in REGISTRY if e.zh}
#: English display names of the measures (from the same registry, :mod:`disparity._registry`).
MEASURE_EN: dict[str, str] = {e.name: e.en for e in REGISTRY if e.en}
COMPONENT_ZH: dict[str, str] = {
    "difference": "差值", "relative": "相对差距", "ratio": "比值", "mean": "均值",
    "total": "总体", "within": "组内", "between": "组间", "ede": "等价均等分配收入",
    "standard": "标准", "generalized": "广义", "wagstaff": "Wagstaff修正",
    "erreygers": "Erreygers修正", "headcount": "发生率", "overshoot": "平均超出",
    "mean_positive_overshoot": "发生者平均超出",
}

_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "yes": "是", "no": "否", "and": "和", "sep": "、", "semi": "；", "list_sep": "、",
        "cols": "第{cols}列为",
        "paren_se": "括号内为{kind}",
        "paren_se_mixed": "括号内为标准误：{parts}",
        "paren_t": "括号内为t统计量", "paren_p": "括号内为p值", "paren_ci": "方括号内为95%置信区间",
        "based_on": "（基于{kind}）",
        "se_iid": "标准误", "se_cluster_at": "聚类到{level}层面的标准误", "se_cluster": "聚类稳健标准误",
        "se_robust": "异方差稳健标准误", "se_survey": "考虑复杂抽样设计（分层、整群、加权）的标准误",
        "se_dk": "Driscoll-Kraay标准误",
        "wild": "p值与显著性星号由野聚类自举法（wild cluster bootstrap，{weights}权重，{reps}次抽样，种子{seed}）得到",
        "stars": "{syms}分别表示在{levels}的水平上显著",
        "constant": "常数项",
        "mean": "均值", "sd": "标准差", "min": "最小值", "max": "最大值", "n": "观测值", "median": "中位数",
        "variable": "变量", "diff": "差异", "smd": "标准化差异", "p_value": "p值", "t": "t值",
        "all": "全样本", "estimate": "估计值", "std_error": "标准误", "conf_int": "95%置信区间",
        "measure": "指标", "group": "组别", "cut": "切点",
    },
    "en": {
        "yes": "Yes", "no": "No", "and": " and ", "sep": ", ", "semi": "; ", "list_sep": ", ",
        "cols": "column{s} {cols}: ",
        "paren_se": "{kind} in parentheses",
        "paren_se_mixed": "Standard errors in parentheses: {parts}",
        "paren_t": "t statistics in parentheses", "paren_p": "p-values in parentheses",
        "paren_ci": "95% confidence intervals in brackets",
        "based_on": " (based on {kind})",
        "se_iid": "standard errors", "se_cluster_at": "standard errors clustered at the {level} level",
        "se_cluster": "cluster-robust standard errors",
        "se_robust": "heteroskedasticity-robust standard errors",
        "se_survey": "design-based standard errors (strata, clusters, weights)",
        "se_dk": "Driscoll-Kraay standard errors",
        "wild": "p-values and stars from the wild cluster bootstrap ({weights} weights, {reps} replications, seed {seed})",
        "stars": "{syms} denote significance at the {levels} levels",
        "constant": "Constant",
        "mean": "Mean", "sd": "SD", "min": "Min", "max": "Max", "n": "N", "median": "Median",
        "variable": "Variable", "diff": "Difference", "smd": "Std. diff.", "p_value": "p-value", "t": "t",
        "all": "All", "estimate": "Estimate", "std_error": "Std. error", "conf_int": "95% CI",
        "measure": "Measure", "group": "Group", "cut": "Cut point",
    },
}

_STATS = {
    "zh": {"nobs": "观测值", "r2": "R²", "adj_r2": "调整R²", "r2_within": "组内R²", "pseudo_r2": "伪R²",
           "loglik": "对数似然值", "aic": "AIC", "bic": "BIC", "n_clusters": "聚类数"},
    "en": {"nobs": "Observations", "r2": "R²", "adj_r2": "Adjusted R²", "r2_within": "Within R²",
           "pseudo_r2": "Pseudo R²", "loglik": "Log likelihood", "aic": "AIC", "bic": "BIC",
           "n_clusters": "Clusters"},
}

_FACTOR = re.compile(r"^C\((?P<var>[^,)]+)[^)]*\)\[(?:T\.)?(?P<level>.*)\]$|^(?P<var2>[^\[]+)\[(?:T\.)?(?P<level2>.*)\]$")


def words(lang: str) -> Mapping[str, str]:
    return _WORDS[lang]


def stat_label(key: str, lang: str) -> str:
    return _STATS[lang].get(key, key)


def percent(p: float) -> str:
    """0.1 -> '10%', 0.05 -> '5%', 0.001 -> '0.1%'."""
    return f"{p * 100:.10g}%"


def term_label(term: str, labels: Mapping[str, str], lang: str) -> str:
    """Display name of a coefficient: user label, else constant / factor level / interaction."""
    if term in labels:
        return labels[term]
    if term in ("Intercept", "const", "_cons"):
        return _WORDS[lang]["constant"]
    if ":" in term:
        return " × ".join(term_label(p, labels, lang) for p in term.split(":"))
    m = _FACTOR.match(term)
    if m:
        var = m.group("var") or m.group("var2")
        level = m.group("level") if m.group("var") else m.group("level2")
        return f"{labels.get(var, var)} = {level}"
    return term


def join_sentences(sentences: list[str], lang: str) -> str:
    """Chinese: clauses joined by '；' and closed by '。'; English: each sentence capitalised with '.'."""
    if not sentences:
        return ""
    if lang == "zh":
        return "；".join(sentences) + "。"
    return " ".join(s[:1].upper() + s[1:] + "." for s in sentences)


def measure_label(name: str, lang: str) -> str:
    """A measure or component identifier as shown in a table: Chinese words for ``lang="zh"``
    (``mean[城镇]`` becomes ``均值[城镇]``), unchanged otherwise or when unknown."""
    if lang != "zh":
        return name
    if name in MEASURE_ZH:
        return MEASURE_ZH[name]
    var, eq, value = name.partition("=")
    if eq and var and "[" not in var:  # a per-group component ("scheme=新农合"): the group names it
        return VALUE_ZH.get(value, value)
    head, sep, rest = name.partition("[")
    if sep and head in COMPONENT_ZH:
        return COMPONENT_ZH[head] + "[" + rest
    return COMPONENT_ZH.get(name, name)


#: Chinese names of common column names and group values, used by the figures when neither
#: ``labels=`` nor the data's codebook names them (a legend must never show "nbs4" or "east").
VARIABLE_ZH: dict[str, str] = {
    "nbs4": "四大区域", "region3": "三大地带", "region": "地区", "province": "省份", "year": "年份",
    "urban": "城乡", "hukou": "户籍", "scheme": "参保类型", "county": "旗县区", "city": "城市",
    "group": "组别", "cohort": "处理组（首次整合年份）", "event_time": "相对整合年份",
    "benefit_gap": "城乡待遇差距", "income": "收入", "oop": "自付费用", "age": "年龄",
}
VALUE_ZH: dict[str, str] = {
    "east": "东部", "central": "中部", "west": "西部", "northeast": "东北",
    "urban": "城镇", "rural": "农村", "male": "男", "female": "女", "all": "全样本", "overall": "总体",
    "lorenz": "洛伦兹曲线", "concentration_curve": "集中曲线",
}
VALUE_EN: dict[str, str] = {
    "lorenz": "Lorenz curve", "concentration_curve": "Concentration curve", "east": "East",
    "central": "Central", "west": "West", "northeast": "Northeast", "城镇": "Urban", "农村": "Rural",
    "nbs4": "Region", "region": "Region", "year": "Year",
}


def variable_label(name: str, labels: Mapping[str, str], codebook_labels: Mapping[str, str | None], lang: str) -> str:
    """A column's display name: ``labels``, then the codebook's variable label (Chinese tables),
    then the built-in vocabulary, else the name itself."""
    if name in labels:
        return labels[name]
    found = codebook_labels.get(name)
    if lang == "zh" and found:
        return found
    if lang == "zh":
        return VARIABLE_ZH.get(name, name)
    return VALUE_EN.get(name, name)


def value_label(value: object, labels: Mapping[str, str], lang: str) -> str:
    """A group value's display name (``labels`` first, then the built-in vocabulary)."""
    text = str(value)
    if text in labels:
        return labels[text]
    vocab = VALUE_ZH if lang == "zh" else VALUE_EN
    return vocab.get(text, text)


#: Chinese words for the identifiers that result frames carry (columns of ``tidy()`` and the
#: values in their label columns), used when a frame goes into a Chinese report table.
FRAME_ZH: dict[str, str] = {
    # tidy() columns
    "term": "项目", "estimate": "估计值", "std_error": "标准误", "statistic": "统计量", "p_value": "p值",
    "conf_low": "95%下限", "conf_high": "95%上限", "band_low": "一致置信带下限", "band_high": "一致置信带上限",
    "nobs": "观测值", "component": "分量", "part": "部分", "unit": "地区", "score": "得分", "rank": "排名",
    "indicator": "指标", "entropy": "信息熵", "divergence": "差异系数", "weight": "权重", "band": "等级序号",
    "level": "协调等级", "att": "平均处理效应", "event_time": "相对整合年份", "cohort": "处理组",
    "time": "年份", "value": "数值", "measure": "指标", "deviation": "偏离度", "obstacle": "障碍度",
    # Goodman-Bacon
    "type": "比较类型", "treated": "处理组", "control": "对照组",
    "later_vs_always": "晚处理组对始终处理组", "earlier_vs_later": "早处理组对晚处理组（晚处理组为对照）",
    "later_vs_earlier": "晚处理组对早处理组（早处理组为对照）", "treated_vs_never": "处理组对从未处理组",
    # Oaxaca-Blinder
    "overall": "总体", "mean_a": "a组均值", "mean_b": "b组均值", "gap": "差距", "threefold": "三重分解",
    "endowments": "禀赋效应", "coefficients": "系数效应", "interaction": "交互效应", "twofold": "二重分解",
    "explained": "可解释部分", "unexplained": "不可解释部分",
    # mediation
    "total": "总效应", "direct": "直接效应", "indirect": "间接效应", "difference": "系数差",
    "proportion": "中介效应占比", "a": "路径a", "b": "路径b",
    # national standards and panel indicators
    "min_government_subsidy": "最低财政补助标准", "min_individual_contribution": "最低个人缴费标准",
    "URBMI": "城镇居民医保", "NRCMS": "新农合", "URRBMI": "城乡居民医保", "UEBMI": "城镇职工医保",
    "pooling_level": "统筹层次", "contrib_rural": "农村个人缴费", "contrib_urban": "城镇个人缴费",
    "fin_rural": "农村人均筹资", "fin_urban": "城镇人均筹资", "subsidy_pc": "人均财政补助",
    "reimb_rural": "农村住院报销比例", "reimb_urban": "城镇住院报销比例", "deductible_tertiary": "三级医院起付线",
    "ceiling": "封顶线", "fund_balance_months": "基金可支付月数", "health_invest_pc": "人均卫生投入",
    "gdp_pc": "人均GDP", "urbanisation": "城镇化率", "benefit_gap": "城乡待遇差距",
}
