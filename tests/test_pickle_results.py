"""Results are data (issue 18, item 2): every result type pickles, unpickles and still works.

One result of every result class is built on bundled data, sent through ``pickle.dumps`` /
``pickle.loads`` and compared (``tidy()``, the summary text, the arrays and frames field by field);
a ``ModelResult`` of every estimator too, since each estimator keeps its own record of what a new
covariance needs, and ``with_vcov`` on the copy must equal ``with_vcov`` on the original (and a
fresh fit with that ``vcov``). The result classes are found by walking the package (every
dataclass named ``*Result``/``*Summary`` and every dataclass a public namespace exports), so a new
result type without a case here fails :func:`test_every_result_class_is_covered`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import pickle
import pkgutil
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

import disparity as dp
import disparity.models as dm
from disparity.errors import SpecificationError
from disparity.models.results import DataSource

# Dataclasses that a namespace exports but that are inputs or layout, not results (each with why).
NOT_RESULTS = {
    "SurveyDesign": "input (a design; pickled inside SurveyResult/TabResult cases)",
    "ReplicateDesign": "input (a design; pickled inside the replicate cases)",
    "Schedule": "input (a benefit schedule; pickled inside Reimbursement)",
    "GroupRule": "part of Schedule",
    "CriticalIllness": "part of Schedule",
    "OutpatientPooling": "part of Schedule",
    "Codebook": "metadata of a loaded file",
    "VariableInfo": "part of Codebook",
    "HeaderCell": "report table layout",
    "Table": "report table layout",
    "ModelSpec": "part of ModelResult (checked there)",
    "DataSource": "part of every spec (checked there)",
    "Engine": "an out-of-core engine connection (dp.scale)",
    "EngineTable": "a lazy table on an engine connection (dp.scale)",
    "Progress": "a progress callback holder (dp.scale)",
}
# Engine-backed handles: they hold a live query on a database connection, not data.
NOT_PICKLABLE = {"EngineReimbursement"}


@functools.cache
def _survey() -> pd.DataFrame:
    df = dp.datasets.chifeng_survey()
    df["inp"] = (df["inpatient"] == "是").astype(int)
    df["units"] = (df["inpatient_cost"] // 2000).astype(int)
    df["urb"] = (df["urban"] == "城镇").astype(int)
    # an overdispersed, zero-inflated count the zero-inflated models converge on
    rng = np.random.default_rng(3)
    mu = np.exp(0.8 + 0.01 * (df["age"].to_numpy() - 50)) * rng.gamma(2.0, 0.5, len(df))
    df["visits"] = rng.poisson(mu) * (rng.random(len(df)) > 0.3)
    return df


@functools.cache
def _replicated() -> tuple[pd.DataFrame, dp.ReplicateDesign]:
    """The survey with delete-one-PSU jackknife weights (JK1, as tests/survey/test_design.py)."""
    df = _survey().dropna(subset=["income"]).reset_index(drop=True)
    psus = sorted(df["psu"].unique())
    n = len(psus)
    jk = pd.DataFrame({f"jk{i}": df["weight"] * (df["psu"] != p) * n / (n - 1) for i, p in enumerate(psus)})
    return pd.concat([df, jk], axis=1), dp.ReplicateDesign(weights="weight", replicates="^jk[0-9]+$", type="JK1")


DESIGN = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")


@functools.cache
def _panel() -> pd.DataFrame:
    return dp.datasets.province_panel()


def _p23() -> pd.DataFrame:
    p = _panel()
    return p[p["year"] == 2023].set_index("region")


PANEL_KW = dict(entity="region_code", time="year")
SURVEY_FORMULA = "oop ~ age + C(urban)"

# One ModelResult per estimator (and per way of keeping the recomputation record).
MODELS: dict[str, Callable[[], Any]] = {
    "ols": lambda: dp.ols("oop ~ age + edu_years + C(urban)", _survey(), vcov="HC1"),
    "ols_wls": lambda: dp.ols(SURVEY_FORMULA, _survey(), weights="weight"),
    "ols_wild": lambda: dp.ols(
        "benefit_gap ~ subsidy_pc", _panel(), vcov="cluster", cluster="region_code", reps=99, seed=1
    ),
    "ols_absorb": lambda: dp.ols("oop ~ age + edu_years", _survey(), absorb="county", vcov="HC1"),
    "ols_survey": lambda: dp.ols(SURVEY_FORMULA, _survey(), design=DESIGN),
    "ols_replicate": lambda: dp.ols("oop ~ age", _replicated()[0], design=_replicated()[1]),
    "logit": lambda: dp.logit("inp ~ age + C(urban)", _survey()),
    "logit_replicate": lambda: dp.logit("inp ~ age", _replicated()[0], design=_replicated()[1]),
    "probit": lambda: dp.probit("inp ~ age + C(urban)", _survey(), information="eim"),
    "ordered": lambda: dp.ordered("satisfaction ~ edu_years", _survey()),
    "poisson": lambda: dp.poisson("units ~ age + C(urban)", _survey(), vcov="HC1"),
    "negbin": lambda: dp.negbin("units ~ age + C(urban)", _survey()),
    "zip": lambda: dp.zip("visits ~ age + C(urban)", _survey()),
    "zinb": lambda: dp.zinb("visits ~ age + C(urban)", _survey()),
    "hurdle": lambda: dp.hurdle("visits ~ age + C(urban)", _survey()),
    "glm": lambda: dp.glm(SURVEY_FORMULA, _survey()[_survey()["oop"] > 0], family="gamma", link="log"),
    "twopart": lambda: dp.twopart(SURVEY_FORMULA, _survey()),
    "twopart_ols_log": lambda: dp.twopart(SURVEY_FORMULA, _survey(), second="ols_log", suest=True,
                                          vcov="HC0"),
    "iv": lambda: dp.iv("benefit_gap ~ urbanisation + [subsidy_pc ~ fin_rural]", _panel()),
    "iv_liml": lambda: dp.iv("benefit_gap ~ urbanisation + [subsidy_pc ~ fin_rural]", _panel(),
                             estimator="liml"),
    "panel_fe": lambda: dp.panel("benefit_gap ~ subsidy_pc + urbanisation", _panel(), seed=1, **PANEL_KW),
    "panel_re": lambda: dp.panel("benefit_gap ~ subsidy_pc", _panel(), model="re", **PANEL_KW),
    "panel_fe_wild": lambda: dp.panel(
        "benefit_gap ~ subsidy_pc", _panel()[_panel()["region_code"] < "400000"], vcov="cluster",
        few_clusters="wild", reps=99, seed=1, **PANEL_KW,
    ),
    "quantreg": lambda: dp.quantreg("benefit_gap ~ subsidy_pc", _panel(), q=0.5),
}

# with_vcov(kind, **kw), and the keyword arguments of a fresh fit that must give the same result
# (None: the estimator offers no other covariance).
WITH_VCOV: dict[str, tuple[str, dict[str, Any], Callable[[], Any] | None] | None] = {
    "ols": ("cluster", {"cluster": "county"},
            lambda: dp.ols("oop ~ age + edu_years + C(urban)", _survey(), vcov="cluster", cluster="county")),
    "ols_wls": ("HC0", {}, lambda: dp.ols(SURVEY_FORMULA, _survey(), weights="weight", vcov="HC0")),
    "ols_wild": ("HC1", {}, lambda: dp.ols("benefit_gap ~ subsidy_pc", _panel(), vcov="HC1")),
    "ols_absorb": ("cluster", {"cluster": "county"},
                   lambda: dp.ols("oop ~ age + edu_years", _survey(), absorb="county", vcov="cluster",
                                  cluster="county")),
    "ols_survey": ("HC1", {}, lambda: dp.ols(SURVEY_FORMULA, _survey(), weights="weight", vcov="HC1")),
    "ols_replicate": ("HC1", {}, lambda: dp.ols("oop ~ age", _replicated()[0], weights="weight",
                                                vcov="HC1")),
    "logit": ("HC0", {}, lambda: dp.logit("inp ~ age + C(urban)", _survey(), vcov="HC0")),
    "logit_replicate": ("HC0", {}, lambda: dp.logit("inp ~ age", _replicated()[0], weights="weight",
                                                    vcov="HC0")),
    "probit": ("cluster", {"cluster": "county"},
               lambda: dp.probit("inp ~ age + C(urban)", _survey(), information="eim", vcov="cluster",
                                 cluster="county")),
    "ordered": ("HC0", {}, lambda: dp.ordered("satisfaction ~ edu_years", _survey(), vcov="HC0")),
    "poisson": ("HC0", {}, lambda: dp.poisson("units ~ age + C(urban)", _survey(), vcov="HC0")),
    "negbin": ("HC0", {}, lambda: dp.negbin("units ~ age + C(urban)", _survey(), vcov="HC0")),
    "zip": ("HC0", {}, lambda: dp.zip("visits ~ age + C(urban)", _survey(), vcov="HC0")),
    "zinb": ("HC0", {}, None),  # a fresh fit is 3 s; the recomputation is checked on the copy
    "hurdle": ("HC0", {}, lambda: dp.hurdle("visits ~ age + C(urban)", _survey(), vcov="HC0")),
    "glm": ("HC1", {}, lambda: dp.glm(SURVEY_FORMULA, _survey()[_survey()["oop"] > 0], family="gamma",
                                      link="log", vcov="HC1")),
    "twopart": ("HC1", {}, lambda: dp.twopart(SURVEY_FORMULA, _survey(), vcov="HC1")),
    "twopart_ols_log": ("cluster", {"cluster": "county"},
                        lambda: dp.twopart(SURVEY_FORMULA, _survey(), second="ols_log", suest=True,
                                           vcov="cluster", cluster="county")),
    "iv": ("HC1", {}, lambda: dp.iv("benefit_gap ~ urbanisation + [subsidy_pc ~ fin_rural]", _panel(),
                                    vcov="HC1")),
    "iv_liml": ("HC1", {}, lambda: dp.iv("benefit_gap ~ urbanisation + [subsidy_pc ~ fin_rural]",
                                         _panel(), estimator="liml", vcov="HC1")),
    "panel_fe": ("cluster", {}, lambda: dp.panel("benefit_gap ~ subsidy_pc + urbanisation", _panel(),
                                                 vcov="cluster", seed=1, **PANEL_KW)),
    "panel_re": ("HC1", {}, lambda: dp.panel("benefit_gap ~ subsidy_pc", _panel(), model="re",
                                             vcov="HC1", **PANEL_KW)),
    "panel_fe_wild": ("HC1", {}, None),
    "quantreg": None,
}
EFFECTS = {"ols": "age", "ols_wls": "age", "logit": "age", "probit": "age", "ordered": "edu_years",
           "poisson": "age", "negbin": "age", "glm": "age", "twopart": "age", "twopart_ols_log": "age"}


def _es(estimator: str = "cs") -> Any:
    return dp.event_study(_panel(), "benefit_gap", "region_code", "year", "integration_year",
                          estimator=estimator, control="notyet", se="analytic")


def _oaxaca() -> Any:
    return dp.oaxaca("oop ~ age + edu_years", _survey(), by="urban")


def _psm() -> Any:
    p = _panel().copy()
    p["treat"] = (p["integration_year"] <= 2016).astype(int)
    p["post"] = (p["year"] >= 2016).astype(int)
    return dp.psm_did(p, "benefit_gap", treat="treat", post="post", covariates=["gdp_pc"],
                      unit="region_code")


def _claims() -> pd.DataFrame:
    return pd.DataFrame({"person_id": [1, 2, 3], "cost": [2_000.0, 12_000.0, 50_000.0],
                         "level": ["level1_hospital", "level2_hospital", "level3_hospital"]})


def _compare() -> Any:
    schedules = {"urban": dp.benefits.load_schedule("illustrative_urbmi_2015"),
                 "rural": dp.benefits.load_schedule("illustrative_ncms_2015")}
    return dp.compare_schedules(schedules, _claims(), scope_share=None)


def _vcov_result() -> Any:
    from disparity.models import covariance as cv

    r = MODELS["ols"]()
    return cv.compute_vcov("HC1", X=r.raw["X"], resid=r.raw["resid"], bread=r.raw["bread"])


def _sandwich_result() -> Any:
    from disparity.models import covariance as cv

    r = MODELS["logit"]()
    return cv.ml_sandwich("HC0", scores=r.extra["scores"], bread=r.extra["bread"])


# One instance of every result class (several where a class is built in different ways).
CASES: dict[str, list[Callable[[], Any]]] = {
    "ModelResult": [MODELS["ols"], MODELS["logit"], MODELS["twopart"]],
    "MarginalEffects": [lambda: MODELS["logit"]().marginal_effects("age", at={"age": [30, 60]})],
    "ModelSummary": [lambda: MODELS["ols"]().summary(), lambda: MODELS["ordered"]().summary()],
    "HausmanResult": [lambda: dp.hausman(
        dp.panel("benefit_gap ~ subsidy_pc", _panel(), model="fe", **PANEL_KW),
        dp.panel("benefit_gap ~ subsidy_pc", _panel(), model="re", **PANEL_KW),
    )],
    "VcovResult": [_vcov_result],
    "SandwichResult": [_sandwich_result],
    "MeasureResult": [
        lambda: dp.gini(_survey(), "income", weights="weight", by="urban"),
        lambda: dp.gini(_survey(), "income", design=DESIGN),
        lambda: dp.theil(_replicated()[0], "income", design=_replicated()[1]),
        lambda: dp.concentration_index(_survey(), "reimbursed", "income", weights="weight"),
    ],
    "CurveResult": [lambda: dp.lorenz(_survey(), "income", weights="weight", points=4)],
    "DominanceResult": [lambda: dp.dominance_test(_survey(), "reimbursed", "income", weights="weight")],
    "EntropyWeights": [lambda: dp.entropy_weights(_p23(), ["reimb_rural", "subsidy_pc", "gdp_pc"])],
    "TopsisResult": [lambda: dp.topsis(_p23(), ["reimb_rural", "subsidy_pc", "gdp_pc"])],
    "CompositeIndex": [lambda: dp.composite_index(_p23(), ["reimb_rural", "subsidy_pc", "gdp_pc"],
                                                  method="entropy")],
    "ObstacleDegree": [lambda: dp.obstacle_degree(_p23(), ["reimb_rural", "subsidy_pc", "gdp_pc"])],
    "BenchmarkResult": [lambda: dp.benchmark(_panel(), "甘肃省", peers=["宁夏回族自治区", "青海省"],
                                             indicators=["reimb_rural", "subsidy_pc"], year=2023)],
    "SurveyResult": [
        lambda: dp.svy_mean(_survey(), "oop", design=DESIGN, by="urban"),
        lambda: dp.svy_ratio(_survey(), "oop", "income", design=DESIGN),
        lambda: dp.svy_quantile(_survey(), "income", [0.25, 0.5], design=DESIGN),
        lambda: dp.svy_total(_replicated()[0], "oop", design=_replicated()[1]),
    ],
    "TabResult": [lambda: dp.svy_tab(_survey(), "urban", "chronic", design=DESIGN)],
    "EventStudyResult": [_es, lambda: _es("sa"), lambda: _es("twfe")],
    "AggregateResult": [lambda: _es().aggregate("simple"), lambda: _es("sa").aggregate("dynamic")],
    "PretrendTest": [lambda: _es().pretrend_test()],
    "DidResult": [lambda: dp.did(_panel(), "benefit_gap", unit="region_code", time="year",
                                 cohort="integration_year", seed=1)],
    "BaconResult": [lambda: dp.bacon(_panel(), "benefit_gap", "region_code", "year", "integration_year")],
    "PlaceboResult": [lambda: dp.placebo(_panel(), "benefit_gap", "region_code", "year",
                                         "integration_year", reps=19, seed=1)],
    "PsmDidResult": [_psm],
    "OaxacaResult": [_oaxaca, lambda: dp.oaxaca("inp ~ age", _survey(), by="urban", model="logit")],
    "Twofold": [lambda: _oaxaca().twofold],
    "Threefold": [lambda: _oaxaca().threefold],
    "Estimate": [lambda: _oaxaca().gap],
    "DecompSummary": [lambda: _oaxaca().summary()],
    "FairlieResult": [lambda: dp.fairlie("inp ~ age + C(chronic)", _survey(), by="urban", reps=20,
                                         seed=1)],
    "MediationResult": [lambda: dp.mediation("oop ~ urb + age", _survey(), treatment="urb",
                                             mediator="income", reps=20, seed=1)],
    "ThresholdResult": [lambda: dp.threshold(
        "benefit_gap ~ urbanisation", _panel(), threshold_var="gdp_pc", regime="subsidy_pc",
        grid=20, reps=5, seed=1, **PANEL_KW,
    )],
    "Reimbursement": [lambda: dp.benefits.reimburse(
        dp.benefits.load_schedule("illustrative_urbmi_2015"), _claims().assign(scope_share=0.9)
    )],
    "ScheduleComparison": [_compare],
}


def _result_classes() -> dict[str, type]:
    """Every dataclass of the package that is a result: named *Result/*Summary, or exported by a
    public namespace (``dp``, ``dp.models``, ``dp.benefits``, ``dp.scale``, ...)."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(dp.__path__, "disparity."):
        mod = importlib.import_module(info.name)
        public = info.ispkg and not any(part.startswith("_") for part in info.name.split("."))
        exported = set(getattr(mod, "__all__", ())) if public else set()
        if public:  # names a package re-exports (``from .oaxaca import Twofold as Twofold``)
            exported |= {n for n, o in vars(mod).items() if not n.startswith("_") and inspect.isclass(o)
                         and o.__module__.startswith(mod.__name__ + ".")}
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__.startswith("disparity")
                    and ((name.endswith(("Result", "Summary")) and obj.__module__ == mod.__name__)
                         or name in exported)):
                found[name] = obj
    for name in dp.__all__:
        obj = getattr(dp, name, None)
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__.startswith("disparity"):
            found[name] = obj
    return {n: c for n, c in found.items() if n not in NOT_RESULTS}


def test_every_result_class_is_covered() -> None:
    classes = _result_classes()
    missing = sorted(set(classes) - set(CASES) - NOT_PICKLABLE)
    assert not missing, f"result classes with no pickle case in CASES: {missing}"
    stale = sorted(set(CASES) - set(classes))
    assert not stale, f"CASES names classes the package no longer has: {stale}"
    assert len(classes) >= 34


# Public functions of disparity.models that are not estimators returning a ModelResult.
NOT_ESTIMATORS = {"hausman", "irr"}


def test_every_estimator_is_covered() -> None:
    estimators = {n for n in dm.__all__ if inspect.isfunction(getattr(dm, n))} - NOT_ESTIMATORS
    assert len(estimators) >= 14
    covered = {name.split("_")[0] for name in MODELS}
    assert not estimators - covered, f"estimators with no pickle case: {estimators - covered}"
    assert set(WITH_VCOV) == set(MODELS)


@pytest.mark.parametrize("name", sorted(set(_result_classes())))
def test_result_classes_are_frozen_and_slotted(name: str) -> None:
    cls = _result_classes()[name]
    assert cls.__dataclass_params__.frozen, f"{name} is not a frozen dataclass"  # type: ignore[attr-defined]
    assert "__slots__" in cls.__dict__, f"{name} is not slotted"
    if name in NOT_PICKLABLE:
        return
    r = CASES[name][0]()
    assert not hasattr(r, "__dict__"), f"{name} instances carry a __dict__ (a base class is not slotted)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(r, dataclasses.fields(r)[0].name, None)
    for attr in ("spec", "params"):
        value = getattr(r, attr, None)
        if isinstance(value, Mapping) and value:
            assert not isinstance(value, dict), f"{name}.{attr} is a mutable dict"
            key = next(iter(value))
            with pytest.raises(TypeError):
                value[key] = None  # type: ignore[index]


def _is_code(obj: Any) -> bool:
    """A lambda, a function, a bound method or a partial: behaviour where data belongs."""
    return isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinMethodType,
                            functools.partial))


def _walk(obj: Any, path: str, seen: set[int]) -> list[str]:
    """Paths to functions, lambdas, partials and bound methods held in our own objects."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if _is_code(obj):
        return [path]
    out: list[str] = []
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            out += _walk(getattr(obj, f.name), f"{path}.{f.name}", seen)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            out += _walk(v, f"{path}[{k!r}]", seen)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += _walk(v, f"{path}[{i}]", seen)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("disparity"):
        for k, v in vars(obj).items():
            out += _walk(v, f"{path}.{k}", seen)
    return out


def _same(a: Any, b: Any, path: str = "") -> None:
    """Deep equality of two results (frames, arrays, NaN-aware floats, nested dataclasses)."""
    assert type(a) is type(b), path
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=path)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=path)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b, obj=path)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, Mapping):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert (np.isnan(a) and np.isnan(b)) or a == b, path
    elif isinstance(a, (int, str, bool, type(None), np.generic)):
        assert a == b or (np.isnan(a) and np.isnan(b)), path  # type: ignore[arg-type]
    # other objects (a wrapped library's fitted object in ``raw``) only need to survive the trip


def _roundtrip(obj: Any) -> Any:
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _same_display(r: Any, c: Any, name: str) -> None:
    """The summary text, the one-line repr and the HTML of the copy are the original's."""
    assert str(c) == str(r), name
    assert repr(c) == repr(r), name
    if hasattr(r, "_repr_html_"):
        assert c._repr_html_() == r._repr_html_(), name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_results_pickle_and_recompute(name: str) -> None:
    r = MODELS[name]()
    assert not _walk(r, name, set()), f"functions held by {name}: {_walk(r, name, set())}"
    assert not isinstance(r.spec.options, dict) and not isinstance(r.stats, dict)
    assert isinstance(r.spec.data, DataSource) and r.spec.data.n_rows > 0  # the data source
    c = _roundtrip(r)
    _same(r, c, name)
    pd.testing.assert_frame_equal(r.tidy(), c.tidy())
    pd.testing.assert_frame_equal(r.conf_int(0.9), c.conf_int(0.9))
    pd.testing.assert_frame_equal(r.glance(), c.glance())
    _same_display(r, c, name)
    for key in ("X", "y", "resid", "scores", "bread"):
        for where in (r.raw, r.extra):
            if isinstance(where, Mapping) and isinstance(where.get(key), np.ndarray):
                np.testing.assert_array_equal(where[key], (c.raw if where is r.raw else c.extra)[key])
    spec = WITH_VCOV[name]
    if spec is None:
        with pytest.raises(SpecificationError, match="cannot change their covariance"):
            c.with_vcov("HC1")
        return
    kind, kw, fresh = spec
    v1, v2 = r.with_vcov(kind, **kw), c.with_vcov(kind, **kw)
    assert v2.spec.vcov == v1.spec.vcov
    pd.testing.assert_frame_equal(v1.tidy(), v2.tidy(), check_exact=True)
    pd.testing.assert_frame_equal(v1.cov, v2.cov, check_exact=True)
    assert not np.allclose(v1.cov.to_numpy(), r.cov.to_numpy()), "with_vcov did not recompute"
    _same(v1, _roundtrip(v1), f"{name}.with_vcov")  # the recomputed result is data again
    if fresh is not None:  # and it is the result of fitting with that vcov
        f = fresh()
        pd.testing.assert_frame_equal(v1.tidy(), f.tidy(), rtol=1e-10)
        assert v1.spec.vcov == f.spec.vcov and v1.spec.cluster == f.spec.cluster
    if name in EFFECTS:
        e1 = r.marginal_effects(EFFECTS[name])
        e2 = c.marginal_effects(EFFECTS[name])
        pd.testing.assert_frame_equal(e1.tidy(), e2.tidy())
        assert np.isfinite(e1.table["estimate"]).all()


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_pickles(name: str) -> None:
    for i, build in enumerate(CASES[name]):
        r = build()
        where = f"{name}[{i}]"
        assert type(r).__name__ == name
        assert not _walk(r, where, set()), f"functions held by {where}: {_walk(r, where, set())}"
        c = _roundtrip(r)
        _same(r, c, where)
        for method in ("tidy", "conf_int", "glance", "summary"):
            if callable(getattr(r, method, None)):
                a, b = getattr(r, method)(), getattr(c, method)()
                _same(a, b, f"{where}.{method}()")
        _same_display(r, c, where)
        if name == "EventStudyResult" and i < 2:  # cs and sa (twfe has no group-time effects)
            _same(r.aggregate("dynamic", seed=3), c.aggregate("dynamic", seed=3), "aggregate")
        if name == "ScheduleComparison":
            _same(r.overall(), c.overall(), "overall")
        if name == "OaxacaResult":
            _same(r.detail(), c.detail(), "detail")


def test_with_vcov_after_pickle_does_not_need_the_users_frame() -> None:
    data = _survey().copy()
    r = dp.ols("oop ~ age + C(urban)", data)
    blob = pickle.dumps(r)
    del data
    c = pickle.loads(blob)  # a fresh process would have no user frame at all
    hc1 = c.with_vcov("HC1")
    pd.testing.assert_series_equal(hc1.params, r.params)
    pd.testing.assert_frame_equal(hc1.cov, r.with_vcov("HC1").cov)
    cl = c.with_vcov("cluster", cluster="county")  # another column of the data it was fitted on
    assert cl.spec.cluster == ("county",) and cl.stats["n_clusters"] > 1


def test_design_fit_keeps_its_weights_under_another_vcov() -> None:
    svy = dp.ols(SURVEY_FORMULA, _survey(), vcov="survey", design=DESIGN)
    hc1 = _roundtrip(svy).with_vcov("HC1")
    pd.testing.assert_series_equal(hc1.params, svy.params)
    assert hc1.spec.weights == "weight" and hc1.spec.vcov == "HC1"
    back = hc1.with_vcov("survey", design=DESIGN)
    pd.testing.assert_frame_equal(back.cov, svy.cov)
    with pytest.raises(SpecificationError, match="refit with vcov='survey'"):
        dp.ols("oop ~ age", _survey()).with_vcov("survey", design=DESIGN)


def test_replicate_design_variance_recomputes_after_pickle() -> None:
    d, rep = _replicated()
    r = dp.logit("inp ~ age", d, weights="weight", vcov="HC0")
    c = _roundtrip(r)
    a, b = r.with_vcov("survey", design=rep), c.with_vcov("survey", design=rep)
    pd.testing.assert_frame_equal(a.cov, b.cov, check_exact=True)
    pd.testing.assert_frame_equal(a.tidy(), dp.logit("inp ~ age", d, design=rep).tidy(), rtol=1e-10)


#: Ibis calls DuckDB methods DuckDB has deprecated (as tests/scale/conftest.py): not our warnings.
ENGINE_DEPRECATIONS = r"ignore:.*is deprecated.*:DeprecationWarning"


@pytest.mark.filterwarnings(ENGINE_DEPRECATIONS)
def test_scale_results_pickle_and_engine_handles_refuse(tmp_path: Any) -> None:
    df = _survey()[["reimbursed", "urban", "income", "weight", "county"]].dropna()
    df = df.assign(urban=df["urban"].astype(str), county=df["county"].astype(str))
    df.to_parquet(tmp_path / "s.parquet")
    t = dp.scale.read_parquet(tmp_path / "s.parquet")
    results = [dp.scale.ols("income ~ urban", t, weights="weight", vcov="cluster", cluster="county",
                            few_clusters="analytic"),
               dp.scale.gini(t, "income", weights="weight", by="urban")]
    for r in results:
        assert not _walk(r, "scale", set())
        c = _roundtrip(r)
        _same(r, c, type(r).__name__)
        _same(r.tidy(), c.tidy(), "tidy")
        _same_display(r, c, type(r).__name__)
    with pytest.raises(SpecificationError, match="cannot change their covariance"):
        _roundtrip(results[0]).with_vcov("HC1")  # an engine fit keeps moments, not a recipe
    claims = pd.DataFrame({"person_id": [1, 2, 3], "cost": [2_000.0, 12_000.0, 50_000.0],
                           "level": ["level1_hospital", "level2_hospital", "level3_hospital"],
                           "scope_share": 0.9, "claim_id": [1, 2, 3]})
    claims.to_parquet(tmp_path / "c.parquet")
    handle = dp.scale.reimburse(dp.benefits.load_schedule("illustrative_urbmi_2015"),
                                dp.scale.read_parquet(tmp_path / "c.parquet"), order="claim_id")
    with pytest.raises(TypeError, match="collect"):
        pickle.dumps(handle)  # a live query on a connection, not data: collect first
    memory = dp.benefits.reimburse(dp.benefits.load_schedule("illustrative_urbmi_2015"), claims)
    np.testing.assert_allclose(handle.total, _roundtrip(memory).total, rtol=1e-12)


def test_wild_intervals_at_other_levels_and_the_deprecated_closure_key() -> None:
    r = MODELS["ols_wild"]()
    c = _roundtrip(r)
    ci = c.conf_int(0.9)
    pd.testing.assert_frame_equal(ci, r.conf_int(0.9))
    assert not ci.equals(c.conf_int(0.95))  # the level is honoured, from the stored draws
    with pytest.warns(DeprecationWarning, match="conf_int"):
        old = c.extra["wild_ci"](0.9)
    pd.testing.assert_frame_equal(old, ci)


def test_read_only_specs_still_copy_to_dicts() -> None:
    r = CASES["OaxacaResult"][0]()
    spec = r.spec.as_dict()
    assert isinstance(spec, dict) and spec["by"] == "urban" and spec["formula"] == r.spec.formula
    spec["by"] = "other"  # the copy is the caller's; the result's spec is unchanged
    assert r.spec.by == "urban"


def test_mapping_style_spec_access_is_deprecated_but_works() -> None:
    r = CASES["OaxacaResult"][0]()
    with pytest.warns(DeprecationWarning, match=r"res\.spec\.by"):
        assert r.spec["by"] == "urban"
    with pytest.warns(DeprecationWarning, match="deprecated"):
        assert r.spec.get("reps") is None and r.spec.get("nope", 7) == 7
    with pytest.warns(DeprecationWarning):
        old = r.spec.copy()
    with pytest.warns(DeprecationWarning):
        assert old == dict(r.spec) == r.spec.as_dict()
    with pytest.warns(DeprecationWarning):
        assert (r.spec | {"x": 1})["x"] == 1 and "formula" in r.spec
    with pytest.warns(DeprecationWarning), pytest.raises(KeyError):
        r.spec["data"]  # noqa: B018  # the data source is an attribute, never a key of the old mapping
    m = CASES["MeasureResult"][0]()
    assert m.params["y"] == "income" and m.params is m.spec.options  # .params stays (no warning)
    with pytest.warns(DeprecationWarning, match=r"options\['y'\]"):
        assert m.spec["y"] == "income"
    es = CASES["EventStudyResult"][0]()
    with pytest.warns(DeprecationWarning):
        assert es.spec["control"] == es.spec.control == "notyet"


#: Result classes without a ``spec`` (each with why).
NO_SPEC = {
    "AggregateResult": "derived from an EventStudyResult (its spec is there)",
    "PretrendTest": "derived from an EventStudyResult",
    "DecompSummary": "a summary view of a decomposition",
    "ModelSummary": "a summary view of a ModelResult",
    "MarginalEffects": "derived from a ModelResult",
    "Estimate": "one number of a decomposition",
    "Threefold": "part of OaxacaResult", "Twofold": "part of OaxacaResult",
    "HausmanResult": "a test of two ModelResults (each carries its own spec and data source)",
    "VcovResult": "an internal covariance computation (arrays in, arrays out)",
    "SandwichResult": "an internal covariance computation (arrays in, arrays out)",
}


@pytest.mark.parametrize("name", sorted(set(CASES) - set(NO_SPEC)))
def test_result_specs_are_typed_and_name_the_data_source(name: str) -> None:
    from disparity.specs import ResultSpec

    for i, build in enumerate(CASES[name]):
        spec = build().spec
        where = f"{name}[{i}].spec"
        assert isinstance(spec, (ResultSpec, dm.results.ModelSpec)), f"{where} is {type(spec).__name__}"
        assert not isinstance(spec, Mapping), f"{where} is still a mapping"
        assert dataclasses.is_dataclass(spec) and type(spec).__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert "__slots__" in type(spec).__dict__ and not hasattr(spec, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            spec.data = None  # type: ignore[misc]
        assert isinstance(spec.data, DataSource) and spec.data.n_rows > 0, f"{where} has no data source"
        back = _roundtrip(spec)
        assert back == spec and back is not spec, f"{where} differs after pickling"


def test_no_result_class_is_exempt_from_typed_specs_by_mistake() -> None:
    assert set(NO_SPEC) <= set(CASES)
    for name in NO_SPEC:  # an exempt class really has no spec field (else it belongs in the test above)
        assert "spec" not in {f.name for f in dataclasses.fields(_result_classes()[name])}, name


def test_loader_checksum_reaches_every_family(tmp_path: Any) -> None:
    import hashlib

    survey = dp.datasets.chifeng_survey()  # read from the bundled .dta by the loader
    book = dp.codebook(survey)
    assert book.path is not None
    with open(book.path, "rb") as fh:
        survey_sha = hashlib.sha256(fh.read()).hexdigest()
    path = tmp_path / "panel.csv"
    _panel().to_csv(path, index=False)
    panel = dp.read_survey(path)
    with open(path, "rb") as fh:
        panel_sha = hashlib.sha256(fh.read()).hexdigest()
    results = {
        "oaxaca": (dp.oaxaca("oop ~ age + edu_years", survey, by="urban"), survey_sha, survey),
        "gini": (dp.gini(survey, "income", weights="weight"), survey_sha, survey),
        "svy_mean": (dp.svy_mean(survey, "oop", design=DESIGN), survey_sha, survey),
        "did": (dp.did(panel, "benefit_gap", unit="region_code", time="year", cohort="integration_year",
                       seed=1), panel_sha, panel),
        "event_study": (dp.event_study(panel, "benefit_gap", "region_code", "year", "integration_year",
                                       control="notyet", se="analytic"), panel_sha, panel),
        "theil": (dp.theil(panel, "gdp_pc"), panel_sha, panel),
    }
    for what, (res, sha, frame) in results.items():
        src = _roundtrip(res).spec.data
        assert src.sha256 == sha, what
        assert src.path == dp.codebook(frame).path and (src.n_rows, src.n_columns) == frame.shape, what
    assert results["oaxaca"][0].spec.data.synthetic and not results["did"][0].spec.data.synthetic
    made = dp.gini(pd.DataFrame({"y": [1.0, 2.0, 4.0]}), "y").spec.data
    assert made == DataSource(None, None, False, 3, 1)  # built in memory: no file


def test_data_source_lives_below_the_models() -> None:
    import disparity._source as src
    import disparity.models.results as mr
    import disparity.specs as sp

    assert mr.DataSource is src.DataSource is sp.DataSource and mr.data_source is src.data_source
    for mod in (src, sp):  # bottom modules: no estimator imported at module level
        with open(mod.__file__, encoding="utf-8") as fh:  # type: ignore[arg-type]
            text = fh.read()
        assert "from .models" not in text and "import disparity.models" not in text


def test_specs_name_the_data_source() -> None:
    df = dp.datasets.chifeng_survey()
    book = dp.codebook(df)
    r = _roundtrip(dp.ols("oop ~ age", df))
    src = r.spec.data
    assert src is not None and src.path == book.path and src.sha256 == book.sha256
    assert src.synthetic and (src.n_rows, src.n_columns) == df.shape
    assert r.with_vcov("HC1").spec.data == src
    made = dp.ols("y ~ x", pd.DataFrame({"x": [0.0, 1, 2, 3], "y": [1.0, 3, 2, 5]})).spec.data
    assert made == DataSource(None, None, False, 4, 2)  # built in memory: no file


def test_did_glance_keeps_the_old_spec_columns() -> None:
    """The typed DidSpec shows the keys (and order) each estimator's old spec mapping had."""
    old = {
        "cs": ["estimator", "outcome", "control", "method", "base_period", "se", "reps", "seed", "level",
               "cluster", "nobs", "n_periods", "weights"],
        "sa": ["estimator", "outcome", "base", "vcov", "cluster", "control_cohort", "nobs", "level", "df"],
        "twfe": ["estimator", "outcome", "base", "bins", "vcov", "cluster", "nobs", "level", "df"],
    }
    for est, cols in old.items():
        assert list(_es(est).glance().columns) == cols, est
    r = CASES["DidResult"][0]()
    assert list(r.spec.as_dict()) == ["design", "outcome", "vcov", "cluster", "weights", "covariates", "nobs"]
