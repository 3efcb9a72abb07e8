"""The one registry of public measures and estimators.

A new measure or estimator is registered here, once; everything that lists them is derived:

* the ``call =`` allowlist of analysis files (:func:`disparity.reports.pipeline.allowed_calls`):
  entries with ``call=True``, looked up in their module by this fixed name, never by user input;
* the ``measure =`` / ``estimator =`` choices of report specs (:data:`disparity.reports.spec.MEASURES`,
  :data:`disparity.reports.spec.ESTIMATORS`): ``spec="measure"`` / ``spec="estimator"``;
* the display names of tables (:data:`disparity.reports._i18n.MEASURE_ZH` and English ``en``).

``tests/reports/test_registry.py`` fails when a public measure or estimator is missing here. This
module imports nothing of the package (it sits below io, measures, models and reports).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Entry", "REGISTRY", "entry", "resolve", "names"]

Passing = Literal["data", "formula", "none"]


@dataclass(frozen=True)
class Entry:
    """One public measure or estimator."""

    name: str
    #: module under ``disparity`` that defines it ("measures", "models", "models.did", ...)
    module: str
    #: how an analysis step passes the data: first argument ("data"), after the formula
    #: ("formula") or not at all ("none")
    passing: Passing
    kind: Literal["measure", "estimator", "descriptive"] = "measure"
    #: usable as ``call =`` in analysis files
    call: bool = True
    #: usable in report specs as ``[[measures]] measure =`` or ``[[models]] estimator =``
    spec: bool = False
    zh: str | None = None
    en: str | None = None


def _m(name: str, zh: str | None = None, en: str | None = None, **kw: Any) -> Entry:
    return Entry(name, "measures", kw.pop("passing", "data"), "measure", zh=zh, en=en, **kw)


def _e(name: str, module: str = "models", passing: Passing = "formula", **kw: Any) -> Entry:
    return Entry(name, module, passing, "estimator", **kw)


REGISTRY: tuple[Entry, ...] = (
    # measures (disparity.measures)
    _m("gap", "城乡差距", "urban-rural gap", spec=True),
    _m("gini", "基尼系数", "Gini coefficient", spec=True),
    _m("lorenz", "洛伦兹曲线", "Lorenz curve"),
    _m("ge", "广义熵指数", "generalised entropy index", spec=True),
    _m("theil", "泰尔指数", "Theil index", spec=True),
    _m("mld", "平均对数偏差", "mean log deviation", spec=True),
    _m("cv", "变异系数", "coefficient of variation", spec=True),
    _m("atkinson", "阿特金森指数", "Atkinson index", spec=True),
    _m("concentration_index", "集中指数", "concentration index", spec=True),
    _m("concentration_curve", "集中曲线", "concentration curve"),
    _m("dominance_test", "占优检验", "dominance test", call=False),
    _m("ci_decomposition", "集中指数分解", "concentration index decomposition"),
    _m("horizontal_inequity", "水平不公平指数", "horizontal inequity index"),
    _m("catastrophic", "灾难性卫生支出", "catastrophic health expenditure"),
    _m("impoverishment", "因病致贫", "impoverishment"),
    _m("kakwani", "Kakwani指数", "Kakwani index"),
    _m("benefit_incidence", "受益归宿", "benefit incidence"),
    _m("entropy_weights", "熵权", "entropy weights"),
    _m("topsis", "TOPSIS评价", "TOPSIS"),
    _m("composite_index", "综合指数", "composite index"),
    _m("coupling_coordination", "耦合协调度", "coupling coordination", passing="none"),
    _m("obstacle_degree", "障碍度", "obstacle degree"),
    _m("integration_index", "城乡统筹指数", "integration index"),
    _m("benchmark", "对标分析", "benchmarking"),
    # estimators (disparity.models and its subpackages)
    _e("ols", spec=True),
    _e("logit", spec=True),
    _e("probit", spec=True),
    _e("ordered"),
    _e("quantreg"),
    _e("panel"),
    _e("iv"),
    _e("hausman", call=False),
    _e("glm", call=False),
    _e("poisson", call=False),
    _e("negbin", call=False),
    _e("zip", call=False),
    _e("zinb", call=False),
    _e("hurdle", call=False),
    _e("irr", call=False),
    _e("twopart", call=False),
    _e("did", "models.did", "data"),
    _e("event_study", "models.did", "data"),
    _e("bacon", "models.did", "data"),
    _e("placebo", "models.did", "data"),
    _e("psm_did", "models.did", "data", call=False),
    _e("cohorts", "models.did", "data", call=False),
    _e("oaxaca", "models.decomp"),
    _e("mediation", "models.decomp"),
    _e("threshold", "models.decomp"),
    _e("fairlie", "models.decomp", call=False),
    _e("compare_schedules", "benefits", "none"),
    # survey descriptives (disparity.survey)
    Entry("svy_mean", "survey.descriptives", "data", "descriptive", call=False),
    Entry("svy_total", "survey.descriptives", "data", "descriptive", call=False),
    Entry("svy_ratio", "survey.descriptives", "data", "descriptive", call=False),
    Entry("svy_quantile", "survey.descriptives", "data", "descriptive", call=False),
    Entry("svy_tab", "survey.tab", "data", "descriptive", call=False),
)
_BY_NAME = {e.name: e for e in REGISTRY}
assert len(_BY_NAME) == len(REGISTRY), "a name is registered twice"


def entry(name: str) -> Entry:
    """The registry entry of ``name`` (KeyError if unregistered)."""
    return _BY_NAME[name]


def names(*, call: bool | None = None, spec: str | None = None, kind: str | None = None) -> tuple[str, ...]:
    """Registered names, in registry order, filtered by ``call``, ``spec`` use and ``kind``."""
    out = []
    for e in REGISTRY:
        if call is not None and e.call != call:
            continue
        if spec is not None and not (e.spec and e.kind == spec):
            continue
        if kind is not None and e.kind != kind:
            continue
        out.append(e.name)
    return tuple(out)


def resolve(e: Entry) -> Callable[..., Any]:
    """The function an entry names (its module imported on demand: no import cycle)."""
    return getattr(importlib.import_module(f"disparity.{e.module}"), e.name)
