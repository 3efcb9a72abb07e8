"""Issue 18 item 6: one registry of measures and estimators, from which the lists are derived."""

from __future__ import annotations

import inspect

import disparity as dp
from disparity import _registry, benefits, measures, models
from disparity.models import decomp, did
from disparity.reports import _i18n, pipeline, spec

# public functions of these modules that are neither measures nor estimators
NOT_ESTIMATORS: dict[str, set[str]] = {"measures": set(), "models": set(), "models.did": set(),
                                       "models.decomp": set(), "dp": set()}


def _public_functions(mod) -> set[str]:
    names = mod.__all__ if mod is not dp else [n for n in dp.__all__ if n.startswith("svy_")]
    return {n for n in names if inspect.isfunction(getattr(mod, n))}


def test_every_public_measure_and_estimator_is_registered():
    registered = {e.name for e in _registry.REGISTRY}
    for label, mod in (("measures", measures), ("models", models), ("models.did", did),
                       ("models.decomp", decomp), ("dp", dp)):
        missing = _public_functions(mod) - registered - NOT_ESTIMATORS[label]
        assert not missing, f"register {sorted(missing)} of disparity.{label} in disparity/_registry.py"


def test_registry_entries_resolve_to_the_public_functions():
    for e in _registry.REGISTRY:
        f = _registry.resolve(e)
        assert callable(f)
        assert getattr(dp, e.name, f) is f  # the top-level name is the same function
    assert _registry.resolve(_registry.entry("compare_schedules")) is benefits.compare_schedules


def test_lists_are_derived_from_the_registry():
    calls = pipeline._calls()
    assert set(calls) == set(_registry.names(call=True))
    assert calls["gini"] == (measures.gini, "data")
    assert calls["ols"] == (models.ols, "formula")
    assert calls["coupling_coordination"][1] == "none"
    assert "glm" not in calls and "svy_mean" not in calls  # registered, not allowlisted
    assert set(spec.MEASURES) == {"gini", "theil", "mld", "ge", "cv", "atkinson",
                                  "concentration_index", "gap"}
    assert spec.ESTIMATORS == ("ols", "logit", "probit")
    for name in spec.MEASURES:
        assert name in calls and calls[name][0] is getattr(measures, name)
    assert _i18n.MEASURE_ZH["gini"] == "基尼系数"
    assert _i18n.measure_label("theil", "zh") == "泰尔指数"
    assert _i18n.MEASURE_EN["mld"] == "mean log deviation"
    zh = {e.name for e in _registry.REGISTRY if e.zh}
    assert set(_i18n.MEASURE_ZH) == zh


def test_a_new_registration_reaches_every_list(monkeypatch):
    new = _registry.Entry("gini", "measures", "data", spec=True, zh="新名")
    reg = tuple(new if e.name == "gini" else e for e in _registry.REGISTRY)
    monkeypatch.setattr(_registry, "REGISTRY", reg)
    assert "gini" in _registry.names(spec="measure")
    assert pipeline._calls()["gini"][0] is measures.gini
