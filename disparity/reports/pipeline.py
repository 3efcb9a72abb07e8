"""Analysis specs: a whole analysis as data (``disparity report SPEC.toml`` with ``[[steps]]``).

Where :mod:`disparity.reports.spec` describes one data set, some models and their tables, an
analysis spec describes any sequence of the package's own calls, so that a study (measures,
models, decompositions, DiD, composite indices, tables and figures) can be rebuilt from a file that
runs no code::

    title = "赤峰市城乡医保待遇差距（合成数据）"
    lang = "zh"
    output = "../../reports/chifeng"     # relative to the spec file
    seed = 20190513

    [data.survey]
    dataset = "chifeng_survey"           # a bundled data set, or path = "file.dta"
    codes = ["support", "urban"]         # categorical columns replaced by their integer codes

    [data.inpatients]
    from = "survey"
    where = { inpatient = "是" }          # equality filters only

    [[steps]]
    section = "不平等"

    [[steps]]
    name = "g"                            # keep the result under this name
    call = "gini"                         # a function from CALLS
    data = "inpatients"
    args = { y = "reimbursed", weights = "weight", by = "urban" }

    [[steps]]
    table = "measure_table"               # a table builder from TABLES
    results = ["g"]
    args = { title = "报销金额的基尼系数" }

Other step kinds: ``method`` (an allowlisted method of a named result, e.g.
``marginal_effects``), ``figure`` (a figure function from FIGURES, with ``results``, ``data`` or
``tidy`` input), ``text`` and ``section``. Argument values may refer to a named result with
``"$name"`` or to a data attribute of it with ``"$name.attr"`` (fields, not methods). Every call that
takes ``seed=`` and is not given one gets the spec's ``seed``, so bootstraps and wild-bootstrap
inference rebuild identically.

Safety (a spec is untrusted input; see SECURITY.md): TOML holds data only; every function, method
and attribute is looked up in fixed allowlists, never imported or evaluated by name; formulas are
parsed by the safe grammar (:func:`disparity.models.formula.safe_formula`) and only its quoted text
is evaluated; arguments that name columns are checked against the data; ``args`` must be
parameters of the function called; ``method =`` works only on disparity results.
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import datasets as datasets_module
from ..errors import SpecificationError
from ._files import check_report_target
from ._specsafe import (
    BOOL,
    INT,
    STR,
    STRS,
    TABLE,
    TABLE_LIST,
    check_columns,
    check_kwargs,
    check_method,
    check_types,
    safe_formula_arg,
)
from ._specsafe import METHODS as _METHODS
from .builder import Report

__all__ = ["AnalysisSpec", "load_analysis", "run_analysis", "prepare", "tidy_table", "accepts_seed", "allowed_calls", "METHODS", "TABLES", "FIGURES"]


def _calls() -> dict[str, tuple[Callable[..., Any], str]]:
    """Allowlisted calls: name -> (function, how the data is passed: 'data', 'formula' or 'none').

    Derived from the one registry (:mod:`disparity._registry`, entries with ``call=True``); the
    functions are looked up by the registry's fixed names, never by a name from the analysis file.
    """
    from .._registry import REGISTRY, resolve

    return {e.name: (resolve(e), e.passing) for e in REGISTRY if e.call}


# ``method =`` steps: pure accessors of disparity results only (see _specsafe.check_method)
METHODS = set(_METHODS)


def _tables() -> dict[str, tuple[Callable[..., Any], str]]:
    from . import measure_table, regression_table
    from .summary import balance_table, summary_table

    return {
        "frame": (tidy_table, "results"),
        "regression_table": (regression_table, "results"),
        "measure_table": (measure_table, "results"),
        "summary_table": (summary_table, "data"),
        "balance_table": (balance_table, "data"),
    }


def tidy_table(obj: Any, *, lang: str = "zh", columns: list[str] | None = None, digits: int = 3,
                 rename: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A result's tidy frame (or a data frame) as a plain table, optionally with chosen columns."""
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]
    frame = obj.tidy() if hasattr(obj, "tidy") else obj
    if isinstance(frame, list):
        frame = pd.concat([f.tidy() if hasattr(f, "tidy") else f for f in frame])
    if not isinstance(frame, pd.DataFrame):
        raise _err(f"table 'frame' needs a result with tidy() or a data frame, not {type(obj).__name__}.")
    if frame.index.name is not None or not pd.api.types.is_integer_dtype(frame.index.dtype):
        # a labelled index (regions, units) is data; a plain row number is not
        frame = frame.reset_index(names=frame.index.name or ("地区" if lang == "zh" else "unit"))
    else:
        frame = frame.reset_index(drop=True)
    if "level" in frame.columns:  # coupling-coordination bands: show the label in the report language
        from ..measures import COORDINATION_BANDS

        names = dict(zip(COORDINATION_BANDS["key"], COORDINATION_BANDS[f"label_{lang}"], strict=True))
        frame = frame.assign(level=frame["level"].map(lambda v: names.get(v, v)))
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise _err(f"table 'frame': columns {missing} are not in {list(frame.columns)}.")
        frame = frame[columns]
    frame = frame.round(digits)
    return frame.rename(columns=dict(rename or {}))


def _figures() -> dict[str, Callable[..., Any]]:
    from . import figures as fg

    return {n: getattr(fg, n) for n in ("lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot",
                                        "marginal_effects_plot", "radar_chart", "region_bar_plot")}


def allowed_calls() -> list[str]:
    """Names usable as ``call =`` in a step."""
    return sorted(_calls())


TABLES = ("frame", "regression_table", "measure_table", "summary_table", "balance_table")
FIGURES = ("lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot", "marginal_effects_plot",
           "radar_chart", "region_bar_plot")
_TOP = {"title", "lang", "output", "seed", "data", "steps", "inputs_note"}
_DATA = {"dataset", "path", "from", "where", "codes", "missing", "encoding", "index"}
_STEP = {"name", "call", "method", "of", "table", "figure", "data", "results", "tidy", "args", "caption", "section",
         "text"}
_TOP_TYPES = {"title": STR, "lang": STR, "output": STR, "seed": INT, "data": TABLE, "steps": TABLE_LIST,
              "inputs_note": STR}
_DATA_TYPES = {"dataset": STR, "path": STR, "from": STR, "where": TABLE, "codes": STRS, "missing": "any",
               "encoding": STR, "index": STR}
_STEP_TYPES = {"name": STR, "call": STR, "method": STR, "of": STR, "table": STR, "figure": STR, "data": STR,
               "results": STRS, "tidy": BOOL, "args": TABLE, "caption": STR, "section": STR, "text": STR}
_DATASETS = ("chifeng_survey", "province_panel", "province_panel_true_att", "national_standards")


@dataclass(frozen=True)
class AnalysisSpec:
    """A parsed analysis spec and the folder it came from (relative paths resolve there)."""

    raw: Mapping[str, Any]
    base: Path

    @property
    def output(self) -> Path:
        return (self.base / str(self.raw.get("output", "reports/analysis"))).resolve()


def _err(msg: str) -> SpecificationError:
    return SpecificationError(f"Analysis spec: {msg}")


def load_analysis(path: str | Path) -> AnalysisSpec:
    """Read and check an analysis spec (structure and allowlists; data-dependent checks come later)."""
    path = Path(path)
    if not path.is_file():
        raise _err(f"file {str(path)!r} does not exist.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _err(f"{str(path)!r} is not valid TOML: {exc}.") from None
    extra = set(raw) - _TOP
    if extra:
        raise _err(f"unknown top-level key(s) {sorted(extra)}; allowed: {sorted(_TOP)}.")
    check_types("top level", raw, _TOP_TYPES)
    data = raw.get("data", {})
    if not data:
        raise _err("needs at least one [data.NAME] table.")
    for name, d in data.items():
        check_types(f"[data.{name}]", d, _DATA_TYPES)
        if set(d) - _DATA:
            raise _err(f"[data.{name}] has unknown key(s) {sorted(set(d) - _DATA)}; allowed: {sorted(_DATA)}.")
        sources = [k for k in ("dataset", "path", "from") if k in d]
        if len(sources) != 1:
            raise _err(f"[data.{name}] needs exactly one of dataset=, path= or from=.")
        if "dataset" in d and d["dataset"] not in _DATASETS:
            raise _err(f"[data.{name}] dataset={d['dataset']!r} is not bundled; use one of {list(_DATASETS)}.")
        if "from" in d and d["from"] not in data:
            raise _err(f"[data.{name}] from={d['from']!r} names no data table.")
    calls, tables, figures = _calls(), _tables(), _figures()
    names: set[str] = set()
    for i, st in enumerate(raw.get("steps", []), start=1):
        where = f"step {i}"
        check_types(where, st, _STEP_TYPES)
        if set(st) - _STEP:
            raise _err(f"{where} has unknown key(s) {sorted(set(st) - _STEP)}; allowed: {sorted(_STEP)}.")
        kinds = [k for k in ("call", "method", "table", "figure", "text", "section") if k in st]
        if len(kinds) != 1:
            raise _err(f"{where} needs exactly one of call=, method=, table=, figure=, text=, section=.")
        kind = kinds[0]
        if kind == "call" and st["call"] not in calls:
            raise _err(f"{where} call={st['call']!r} is not allowed; use one of {sorted(calls)}.")
        if kind == "method" and st["method"] not in METHODS:
            raise _err(f"{where} method={st['method']!r} is not allowed; use one of {sorted(METHODS)}.")
        if kind == "table" and st["table"] not in tables:
            raise _err(f"{where} table={st['table']!r} is not allowed; use one of {sorted(tables)}.")
        if kind == "figure" and st["figure"] not in figures:
            raise _err(f"{where} figure={st['figure']!r} is not allowed; use one of {sorted(figures)}.")
        if "data" in st and st["data"] not in data:
            raise _err(f"{where} data={st['data']!r} names no data table.")
        for ref in list(st.get("results", [])) + ([st["of"]] if "of" in st else []):
            if ref.split(".")[0] not in names:
                raise _err(f"{where} uses result {ref!r} before it is defined.")
        if kind in ("call", "method"):
            if "name" not in st:
                raise _err(f"{where} ({kind}) needs name = \"...\" to keep its result.")
            if st["name"] in names:
                raise _err(f"{where}: two results are named {st['name']!r}.")
            names.add(st["name"])
    if raw.get("lang", "zh") not in ("zh", "en"):
        raise _err(f"lang={raw.get('lang')!r}; use 'zh' or 'en'.")
    return AnalysisSpec(raw=raw, base=path.resolve().parent)


#: The file behind each bundled data set (its SHA-256 goes into the manifest and the cache keys).
DATASET_FILES = {"chifeng_survey": "chifeng_survey.dta", "province_panel": "province_panel.csv",
                 "province_panel_true_att": "province_panel_true_att.csv",
                 "national_standards": "national_standards.csv"}


def data_file(spec: AnalysisSpec, name: str) -> Path | None:
    """The file a data table reads (a bundled file, or ``path=`` resolved from the spec's folder)."""
    from .. import datasets

    d = spec.raw["data"][name]
    if "dataset" in d:
        return datasets.path(DATASET_FILES[d["dataset"]])
    if "path" in d:
        return (spec.base / str(d["path"])).resolve()
    return None


def load_frame(spec: AnalysisSpec, name: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Load (and prepare) data table ``name``; a ``from=`` table is made from the one it names."""
    from .. import datasets
    from ..io import read_survey

    d = spec.raw["data"][name]
    if "dataset" in d:
        frame = getattr(datasets, d["dataset"])()
    elif "path" in d:
        frame = read_survey((spec.base / str(d["path"])).resolve(), encoding=d.get("encoding"),
                            missing=d.get("missing"))
    else:
        order = list(spec.raw["data"])
        if d["from"] not in frames and order.index(d["from"]) > order.index(name):
            raise _err(f"[data.{name}] from={d['from']!r} must come after the table it names.")
        if d["from"] not in frames:
            frames[d["from"]] = load_frame(spec, d["from"], frames)
        frame = frames[d["from"]].copy()
    return prepare(frame, codes=d.get("codes", ()), where=d.get("where"), index=d.get("index"))


def _load_data(spec: AnalysisSpec) -> tuple[dict[str, pd.DataFrame], list[Path]]:
    frames: dict[str, pd.DataFrame] = {}
    for name in spec.raw["data"]:
        frames[name] = load_frame(spec, name, frames)
    return frames, data_inputs(spec)


def data_inputs(spec: AnalysisSpec) -> list[Path]:
    """The files a spec reads, in the order of its data tables (without reading them)."""
    return [p for p in (data_file(spec, n) for n in spec.raw["data"]) if p is not None]


def prepare(frame: pd.DataFrame, *, codes: Any = (), where: Mapping[str, Any] | None = None,
            index: str | None = None) -> pd.DataFrame:
    """Filter rows by equality (``where``), replace categorical columns by their integer codes, and
    optionally index rows by a column (e.g. region names, so composite scores are labelled).

    The same helper serves analysis specs and notebooks, so both prepare data identically. Codes
    follow category order (the loader orders value labels by their code); missing stays missing.
    """
    out = frame
    for col, value in (where or {}).items():
        if col not in out.columns:
            raise _err(f"where= names {col!r}, which is not a column.")
        out = out[out[col] == value]
    out = out.copy()
    for col in codes:
        if col not in out.columns:
            raise _err(f"codes= names {col!r}, which is not a column.")
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            c = s.cat.codes.astype(float)
            out[col] = c.where(c >= 0)
    if index is not None:
        if index not in out.columns:
            raise _err(f"index= names {index!r}, which is not a column.")
        out = out.set_index(index, drop=False).rename_axis(None)
    out.attrs = dict(frame.attrs)
    return out


def accepts_seed(fn: Callable[..., Any]) -> bool:
    """Whether a call takes ``seed=`` (bootstraps, wild-bootstrap inference, placebo draws)."""
    import inspect

    return "seed" in inspect.signature(fn).parameters


def _resolve(value: Any, results: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        name, _, attr = value[1:].partition(".")
        if name not in results:
            raise _err(f"reference {value!r} names no result.")
        obj = results[name]
        if not attr:
            return obj
        allowed = {f.name for f in fields(obj)} if is_dataclass(obj) else set()
        if isinstance(obj, pd.DataFrame):
            if attr not in set(map(str, obj.columns)):
                raise _err(f"reference {value!r}: {attr!r} is not a column of {name!r} ({list(obj.columns)[:12]}).")
            return obj[attr]
        if attr not in allowed:
            raise _err(f"reference {value!r}: {attr!r} is not a data field of {name!r} ({sorted(allowed)}).")
        return getattr(obj, attr)
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    return value


def run_analysis(spec: AnalysisSpec, *, output: str | Path | None = None,
                 progress: Callable[[str], None] | None = None, cache: Any = False) -> Path:
    """Run every step of an analysis spec and save the report folder; returns its path.

    ``cache`` (False by default here; ``disparity report`` turns it on, ``--no-cache`` off): True
    for the user's cache folder, a path for another folder, or a
    :class:`~disparity.reports.cache.BuildCache`. With a cache, each step's result is stored under
    the hash of its inputs and a rebuild recomputes only the steps whose inputs changed; an
    unchanged rebuild takes the rendered files from the cache (byte-identical). See
    :mod:`disparity.reports.cache` for what is stored and why it is safe.
    """
    from .cache import open_cache, run_cached

    say = progress or (lambda msg: None)
    dest = Path(output) if output is not None else spec.output
    check_report_target(dest)  # refuse at once, before any work, to replace what disparity did not make
    store = open_cache(cache, dest)
    if store is not None:
        return run_cached(spec, dest, store, say)
    raw = spec.raw
    lang = raw.get("lang", "zh")
    seed = raw.get("seed")
    frames, inputs = _load_data(spec)
    report = Report(str(raw.get("title", "disparity analysis")), lang=lang, inputs=inputs,
                    seeds={"seed": seed} if seed is not None else {}, spec=dict(raw))
    if any(f.attrs.get("synthetic") for f in frames.values()):
        report.add_text(SYNTHETIC_TEXT[lang])
    results: dict[str, Any] = {}
    steps = raw.get("steps", [])
    for i, st in enumerate(steps, start=1):
        if "section" in st:
            report.add_section(str(st["section"]))
        elif "text" in st:
            report.add_text(str(st["text"]))
        elif "call" in st or "method" in st:
            results[st["name"]] = run_step(spec, i, st, results, frames.__getitem__, say)
        elif "table" in st:
            report.add_table(run_step(spec, i, st, results, frames.__getitem__, say), caption=st.get("caption"))
        else:
            report.add_figure(run_step(spec, i, st, results, frames.__getitem__, say), caption=st.get("caption"))
    say(f"writing {dest}")
    return report.save(dest, progress=say, workdir=spec.base)


def run_step(spec: AnalysisSpec, i: int, st: Mapping[str, Any], results: Mapping[str, Any],
             frame_of: Callable[[str], pd.DataFrame], say: Callable[[str], None]) -> Any:
    """Compute one call/method/table/figure step: its result, Table or Figure."""
    raw = spec.raw
    lang = raw.get("lang", "zh")
    seed = raw.get("seed")
    steps = raw.get("steps", [])
    args = _resolve(dict(st.get("args", {})), results)
    frame = frame_of(st["data"]) if "data" in st else None
    if "call" in st:
        calls = _calls()
        fn, how = calls[st["call"]]
        if seed is not None and "seed" not in args and accepts_seed(fn):
            args["seed"] = seed  # the spec's seed makes every random step reproducible
        say(f"step {i}/{len(steps)}: {st['name']} = {st['call']}(...)")
        where = f"step {i} ({st['call']})"
        if how == "formula":
            formula = args.pop("formula", None)
            if frame is None or not isinstance(formula, str):
                raise _err(f"step {i} ({st['call']}) needs data= and args.formula.")
            check_kwargs(where, fn, args, skip=2)
            check_columns(where, st["call"], args, frame.columns)
            text = safe_formula_arg(where, formula, frame.columns, iv=st["call"] == "iv")
            if "safe" in inspect.signature(fn).parameters:
                args["safe"] = True
            return fn(text, frame, **args)
        if how == "data":
            if frame is None:
                raise _err(f"step {i} ({st['call']}) needs data=.")
            check_kwargs(where, fn, args, skip=1)
            check_columns(where, st["call"], args, frame.columns)
            return fn(frame, **args)
        check_kwargs(where, fn, args)
        return fn(**args)
    if "method" in st:
        method = check_method(f"step {i}", results[st["of"]], st["method"])
        check_kwargs(f"step {i} ({st['method']})", method, args)
        return method(**args)
    tables, figures = _tables(), _figures()
    builder, first = (tables[st["table"]] if "table" in st else (figures[st["figure"]], "any"))
    if "results" in st:
        objs = [_resolve("$" + r, results) for r in st["results"]]
        if st.get("tidy"):
            objs = [o.tidy() for o in objs]
        target: Any = objs if (len(objs) > 1 or first == "results") else objs[0]
    elif frame is not None:
        target = frame
    else:
        raise _err(f"step {i} needs results= or data=.")
    if (isinstance(target, pd.DataFrame) and target.index.name is not None
            and target.index.name not in target.columns):
        target = target.reset_index()  # e.g. a radar frame indexed by region
    what = st.get("table") or st.get("figure")
    check_kwargs(f"step {i} ({what})", builder, args, skip=1)
    if isinstance(target, pd.DataFrame):
        check_columns(f"step {i} ({what})", str(what), args, target.columns)
    return builder(target, lang=lang, **args)


# The statement every report built from the bundled data opens with (kept in datasets, with the notes).
SYNTHETIC_TEXT = datasets_module.SYNTHETIC_REPORT_TEXT
