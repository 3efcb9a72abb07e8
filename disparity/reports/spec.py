"""Declarative report specs (``disparity report SPEC.toml``), read without running any code.

A spec names a data source, models, tables and figures::

    title = "赤峰市城乡医保待遇差距"
    lang = "zh"
    output = "reports/chifeng"          # relative to the spec file
    seed = 20190513

    [data]
    dataset = "chifeng_survey"          # or: path = "survey.dta" (relative to the spec file)
    codes = ["urban", "support"]        # categorical columns replaced by their integer codes

    [[models]]
    name = "m1"
    estimator = "ols"                   # ols | logit | probit
    formula = "support ~ dev * benefit_gap + urban"
    vcov = "cluster"
    cluster = "county"

    [[measures]]
    name = "gini_income"
    measure = "gini"                    # gini | theil | mld | ge | cv | atkinson | concentration_index | gap
    y = "income"
    by = "urban"
    weights = "weight"

    [[tables]]
    type = "regression"                 # regression | summary | balance | measures
    models = ["m1"]
    title = "基准回归"
    labels = { dev = "经济发展水平" }

    [[figures]]
    type = "coef"                       # coef | gap_trend | region_bar | lorenz
    models = ["m1"]
    caption = "系数图"

Safety (a spec is untrusted input; see SECURITY.md): TOML is data only; keys are checked against
allowlists; formulas are parsed by the safe grammar (:func:`disparity.models.formula.safe_formula`:
column names, numbers, operators and allowlisted transforms only) and only its quoted text is
evaluated; every other value that names a column (cluster, weights, y, by, group, ...) is checked
against the data's columns; estimators, measures and datasets are looked up in fixed tables, never by
import or eval. Data files, CSV and Excel included, are read by :func:`disparity.io.read_survey`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import _registry
from ..errors import SpecificationError
from ._files import check_report_target
from ._specsafe import (
    INT,
    NUM,
    STR,
    STR_OR_STRS,
    STRS,
    TABLE,
    TABLE_LIST,
    check_columns,
    check_kwargs,
    check_types,
    safe_formula_arg,
)
from .builder import Report

__all__ = ["ReportSpec", "load_spec", "build_report", "ESTIMATORS", "DATASETS", "MEASURES"]

#: Estimators a spec may fit (from the one registry, :mod:`disparity._registry`).
ESTIMATORS: tuple[str, ...] = _registry.names(spec="estimator")
DATASETS: tuple[str, ...] = ("chifeng_survey", "province_panel")
_TOP = {"title", "lang", "output", "seed", "data", "models", "measures", "tables", "figures", "text"}
#: Measures a spec may compute (from the one registry; looked up in :mod:`disparity.measures`, never
#: imported by name).
MEASURES: tuple[str, ...] = _registry.names(spec="measure")
_MEASURE = {"name", "measure", "y", "group", "rank", "by", "weights", "weight_type", "epsilon", "alpha",
            "kind", "reference"}
_DATA = {"dataset", "path", "codes", "encoding", "missing", "sheet"}
_MODEL = {"name", "estimator", "formula", "vcov", "cluster", "weights", "weight_type", "reps"}
_TABLE = {
    "regression": {"type", "models", "title", "labels", "stat", "stats", "keep", "drop", "order",
                   "indicators", "notes", "digits", "section"},
    "summary": {"type", "columns", "by", "weights", "weight_type", "stats", "title", "labels", "digits",
                "notes", "section"},
    "balance": {"type", "columns", "group", "weights", "test", "title", "labels", "digits", "notes", "section"},
    "measures": {"type", "measures", "stat", "title", "labels", "digits", "notes", "section"},
}
_FIGURE = {
    "coef": {"type", "models", "terms", "labels", "caption", "section"},
    "gap_trend": {"type", "x", "y", "group", "labels", "caption", "section"},
    "region_bar": {"type", "region", "value", "highlight", "labels", "caption", "section"},
    "lorenz": {"type", "y", "rank", "by", "weights", "points", "labels", "caption", "section"},
}


# Value kinds of table and figure keys (shared names mean the same in both).
_ITEM_TYPES = {"type": STR, "models": STRS, "measures": STRS, "title": STR, "labels": TABLE, "stat": STR,
               "stats": STRS, "keep": STRS, "drop": STRS, "order": STRS, "notes": STR_OR_STRS, "digits": INT,
               "section": STR, "columns": STRS, "by": STR, "weights": STR, "weight_type": STR, "group": STR,
               "test": STR, "terms": STRS, "caption": STR, "x": STR, "y": STR, "region": STR, "value": STR,
               "rank": STR, "points": INT, "highlight": STR_OR_STRS, "indicators": TABLE}


@dataclass(frozen=True)
class ReportSpec:
    """A parsed, checked spec and the folder it came from (relative paths resolve there)."""

    raw: Mapping[str, Any]
    base: Path

    @property
    def title(self) -> str:
        return str(self.raw.get("title", "disparity report"))

    @property
    def output(self) -> Path:
        return (self.base / str(self.raw.get("output", "reports/report"))).resolve()


def _check_keys(where: str, got: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(got) - allowed)
    if extra:
        raise SpecificationError(
            f"Spec {where} has unknown key(s) {extra}; allowed keys: {sorted(allowed)}."
        )


def _choice(where: str, value: Any, allowed: tuple[str, ...] | set[str]) -> str:
    if value not in allowed:
        raise SpecificationError(f"Spec {where} = {value!r} is not supported; use one of {sorted(allowed)}.")
    return str(value)


def load_spec(path: str | Path) -> ReportSpec:
    """Read and check a TOML spec (structure only; formulas are checked against the data later)."""
    path = Path(path)
    if not path.is_file():
        raise SpecificationError(f"Spec file {str(path)!r} does not exist.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecificationError(f"Spec {str(path)!r} is not valid TOML: {exc}.") from None
    _check_keys("top level", raw, _TOP)
    check_types("top level", raw, {"title": STR, "lang": STR, "output": STR, "seed": INT, "data": TABLE,
                                   "models": TABLE_LIST, "measures": TABLE_LIST, "tables": TABLE_LIST,
                                   "figures": TABLE_LIST, "text": STRS})
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise SpecificationError("Spec needs a [data] table with dataset = \"...\" or path = \"...\".")
    _check_keys("[data]", data, _DATA)
    check_types("[data]", data, {"dataset": STR, "path": STR, "codes": STRS, "encoding": STR, "missing": "any",
                                 "sheet": "any"})
    if ("dataset" in data) == ("path" in data):
        raise SpecificationError("Spec [data] needs exactly one of dataset = \"...\" or path = \"...\".")
    if "dataset" in data:
        _choice("[data] dataset", data["dataset"], DATASETS)
    names = set()
    for i, m in enumerate(raw.get("models", [])):
        check_types(f"[[models]] #{i + 1}", m, {k: STR for k in _MODEL - {"reps", "cluster"}}
                    | {"reps": INT, "cluster": STR_OR_STRS})
        _check_keys(f"[[models]] #{i + 1}", m, _MODEL)
        for key in ("name", "formula"):
            if not isinstance(m.get(key), str):
                raise SpecificationError(f"Spec [[models]] #{i + 1} needs {key} = \"...\".")
        _choice(f"[[models]] {m['name']} estimator", m.get("estimator", "ols"), ESTIMATORS)
        if m["name"] in names:
            raise SpecificationError(f"Spec has two models named {m['name']!r}; names must be unique.")
        names.add(m["name"])
    measure_names = set()
    for i, m in enumerate(raw.get("measures", [])):
        check_types(f"[[measures]] #{i + 1}", m, {"name": STR, "measure": STR, "y": STR, "group": STR, "rank": STR,
                                                   "by": STR_OR_STRS, "weights": STR, "weight_type": STR,
                                                   "epsilon": NUM, "alpha": NUM, "kind": STR})
        _check_keys(f"[[measures]] #{i + 1}", m, _MEASURE)
        _choice(f"[[measures]] #{i + 1} measure", m.get("measure"), MEASURES)
        if not isinstance(m.get("y"), str):
            raise SpecificationError(f"Spec [[measures]] #{i + 1} needs y = \"column\".")
        name = m.get("name", f"{m['measure']}_{i + 1}")
        if name in measure_names:
            raise SpecificationError(f"Spec has two measures named {name!r}; names must be unique.")
        measure_names.add(name)
    for i, t in enumerate(raw.get("tables", [])):
        check_types(f"[[tables]] #{i + 1}", t, _ITEM_TYPES)
        kind = _choice(f"[[tables]] #{i + 1} type", t.get("type"), set(_TABLE))
        _check_keys(f"[[tables]] #{i + 1} ({kind})", t, _TABLE[kind])
        if kind == "measures":
            for mname in t.get("measures", []):
                if mname not in measure_names:
                    raise SpecificationError(
                        f"Spec table #{i + 1} uses measure {mname!r}, which is not defined.")
        for mname in t.get("models", []):
            if mname not in names:
                raise SpecificationError(f"Spec table #{i + 1} uses model {mname!r}, which is not defined.")
    for i, f in enumerate(raw.get("figures", [])):
        check_types(f"[[figures]] #{i + 1}", f, _ITEM_TYPES)
        kind = _choice(f"[[figures]] #{i + 1} type", f.get("type"), set(_FIGURE))
        _check_keys(f"[[figures]] #{i + 1} ({kind})", f, _FIGURE[kind])
        for mname in f.get("models", []):
            if mname not in names:
                raise SpecificationError(f"Spec figure #{i + 1} uses model {mname!r}, which is not defined.")
    if "lang" in raw:
        _choice("lang", raw["lang"], ("zh", "en"))
    return ReportSpec(raw=raw, base=path.resolve().parent)


def _load_data(spec: ReportSpec) -> tuple[pd.DataFrame, list[Path]]:
    from .. import datasets
    from ..io import read_survey

    d = spec.raw["data"]
    if "dataset" in d:
        loader: Callable[[], pd.DataFrame] = {"chifeng_survey": datasets.chifeng_survey,
                                              "province_panel": datasets.province_panel}[d["dataset"]]
        frame = loader()
        files = {"chifeng_survey": "chifeng_survey.dta", "province_panel": "province_panel.csv"}
        inputs = [datasets.path(files[d["dataset"]])]
    else:
        p = (spec.base / str(d["path"])).resolve()
        if not p.is_file():
            raise SpecificationError(f"Spec [data] path {str(p)!r} does not exist.")
        opts: dict[str, Any] = {"encoding": d.get("encoding"), "missing": d.get("missing")}
        if "sheet" in d:
            import inspect

            if "sheet" not in inspect.signature(read_survey).parameters:
                raise SpecificationError("Spec [data] sheet = ... is not supported by this version's reader; "
                                         "save the sheet as its own file, or remove the key.")
            opts["sheet"] = d["sheet"]
        frame = read_survey(p, **opts)  # CSV and Excel too: encoding detection, never written
        inputs = [p]
    for col in d.get("codes", []):
        if col not in frame.columns:
            raise SpecificationError(f"Spec [data] codes names {col!r}, which is not a column.")
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.astype(float)
            frame[col] = codes.where(codes >= 0)
    return frame, inputs


def _fit(m: Mapping[str, Any], data: pd.DataFrame, seed: int | None) -> Any:
    from .. import models

    est = {"ols": models.ols, "logit": models.logit, "probit": models.probit}[m.get("estimator", "ols")]
    where = f"model {m['name']!r}"
    check_columns(where, "model", m, data.columns)
    kwargs: dict[str, Any] = {"safe": True}
    for key in ("vcov", "cluster", "weights", "weight_type", "reps"):
        if key in m:
            kwargs[key] = m[key]
    if m.get("estimator", "ols") != "ols" and "reps" in m:
        raise SpecificationError(f"Spec model {m['name']!r}: reps (wild bootstrap) applies to ols only.")
    if m.get("estimator", "ols") == "ols" and seed is not None:
        kwargs["seed"] = seed
    return est(safe_formula_arg(where, m["formula"], data.columns), data, **kwargs)


def _measure(m: Mapping[str, Any], data: pd.DataFrame) -> Any:
    from .. import measures

    fn = getattr(measures, m["measure"], None)
    if fn is None:
        raise SpecificationError(
            f"Measure {m['measure']!r} is not available in this installation of disparity "
            "(the measures layer provides it); update disparity or remove it from the spec."
        )
    kwargs = {k: v for k, v in m.items() if k not in ("name", "measure")}
    where = f"measure {m.get('name', m['measure'])!r}"
    check_kwargs(where, fn, kwargs, skip=1)
    check_columns(where, m["measure"], kwargs, data.columns)
    return fn(data, **kwargs)


def _curve(f: Mapping[str, Any], data: pd.DataFrame) -> Any:
    """Lorenz curve of ``y`` (or its concentration curve by ``rank``) from the measures layer."""
    from .. import measures

    name = "concentration_curve" if "rank" in f else "lorenz"
    fn = getattr(measures, name, None)
    if fn is None:
        raise SpecificationError(
            f"Figure type 'lorenz' needs disparity.measures.{name}, which this installation lacks; "
            "update disparity or remove the figure from the spec."
        )
    kwargs = {k: f[k] for k in ("rank", "by", "weights", "points") if k in f}
    check_columns("figure 'lorenz'", name, {"y": f["y"], **kwargs}, data.columns)
    return fn(data, f["y"], **kwargs)


def build_report(spec: ReportSpec, *, progress: Callable[[str], None] | None = None,
                 output: str | Path | None = None) -> Path:
    """Fit the spec's models, make its tables and figures, and save the report folder."""
    from . import figures as fg
    from .measure_table import measure_table
    from .regression import regression_table
    from .summary import balance_table, summary_table

    say = progress or (lambda msg: None)
    out = Path(output) if output is not None else spec.output
    check_report_target(out)  # refuse at once, before any work, to replace what disparity did not make
    raw = spec.raw
    lang = raw.get("lang", "zh")
    seed = raw.get("seed")
    data, inputs = _load_data(spec)
    say(f"data: {len(data):,} rows x {data.shape[1]} columns")
    fitted: dict[str, Any] = {}
    models = raw.get("models", [])
    for i, m in enumerate(models, start=1):
        say(f"model {i}/{len(models)}: {m['name']} ({m.get('estimator', 'ols')}: {m['formula']})")
        fitted[m["name"]] = _fit(m, data, seed)
    measured: dict[str, Any] = {}
    mspecs = raw.get("measures", [])
    for i, m in enumerate(mspecs, start=1):
        name = m.get("name", f"{m['measure']}_{i}")
        say(f"measure {i}/{len(mspecs)}: {name} ({m['measure']} of {m['y']})")
        measured[name] = _measure(m, data)
    report = Report(spec.title, lang=lang, inputs=inputs, seeds={"seed": seed} if seed is not None else {},
                    spec=dict(raw))
    if data.attrs.get("synthetic"):
        from ..datasets import SYNTHETIC_REPORT_TEXT

        report.add_text(SYNTHETIC_REPORT_TEXT[lang])
    for text in raw.get("text", []):
        report.add_text(str(text))
    for t in raw.get("tables", []):
        if "section" in t:
            report.add_section(t["section"])
        kind = t["type"]
        common = {k: t[k] for k in ("title", "labels", "digits", "notes") if k in t}
        if kind == "regression":
            opts = {k: t[k] for k in ("stat", "stats", "keep", "drop", "order", "indicators") if k in t}
            table = regression_table([fitted[n] for n in t["models"]], lang=lang, **common, **opts)
        elif kind == "measures":
            names = t.get("measures", list(measured))
            opts = {k: t[k] for k in ("stat",) if k in t}
            table = measure_table([measured[n] for n in names], lang=lang, **common, **opts)
        elif kind == "summary":
            opts = {k: t[k] for k in ("by", "weights", "weight_type", "stats") if k in t}
            check_columns("summary table", kind, {"columns": t["columns"], **opts}, data.columns)
            table = summary_table(data, t["columns"], lang=lang, **common, **opts)
        else:
            opts = {k: t[k] for k in ("weights", "test") if k in t}
            check_columns("balance table", kind, {"columns": t["columns"], "group": t["group"], **opts},
                          data.columns)
            table = balance_table(data, t["columns"], t["group"], lang=lang, **common, **opts)
        report.add_table(table)
    for f in raw.get("figures", []):
        if "section" in f:
            report.add_section(f["section"])
        kind = f["type"]
        labels = f.get("labels")
        if kind == "coef":
            fig = fg.coef_plot([fitted[n] for n in f["models"]], terms=f.get("terms"), labels=labels, lang=lang)
        elif kind == "gap_trend":
            check_columns("gap_trend figure", kind, {k: f[k] for k in ("x", "y", "group") if k in f}, data.columns)
            fig = fg.gap_trend_plot(data, f["x"], f["y"], group=f.get("group"), labels=labels, lang=lang)
        elif kind == "lorenz":
            fig = fg.lorenz_plot(_curve(f, data), labels=labels, lang=lang)
        else:
            check_columns("region_bar figure", kind, {"region": f["region"], "value": f["value"]}, data.columns)
            fig = fg.region_bar_plot(data, f["region"], f["value"], highlight=f.get("highlight"), labels=labels,
                                     lang=lang)
        report.add_figure(fig, caption=f.get("caption"))
    say(f"writing {out}")
    return report.save(out, progress=say, workdir=spec.base)
