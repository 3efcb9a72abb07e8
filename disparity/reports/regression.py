"""Regression tables (esttab / outreg2 / modelsummary for disparity, statsmodels, linearmodels and
pyfixest results), with notes written from the results' own specifications."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import SpecificationError
from ._adapters import Fitted, extract
from ._i18n import join_sentences, percent, stat_label, term_label, words
from .tables import LANGS, TABLE_STYLES, HeaderCell, Lang, Table, TableStyle

__all__ = ["regression_table", "STATS_ALLOWED", "significance_stars"]

Stat = Literal["se", "t", "p", "ci"]
STATS_ALLOWED: tuple[str, ...] = (
    "nobs", "r2", "adj_r2", "r2_within", "pseudo_r2", "loglik", "aic", "bic", "n_clusters",
)


def significance_stars(p: float, thresholds: Sequence[float]) -> str:
    """'*' for every threshold ``p`` is below (thresholds in any order)."""
    if not np.isfinite(p):
        return ""
    return "*" * sum(p < t for t in thresholds)


def _fmt(x: float, digits: int) -> str:
    if x is None or not np.isfinite(x):
        return ""
    s = f"{x:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s


def _matches(term: str, pattern: str) -> bool:
    """A term matches a name exactly, by glob, or as a factor's level (``C(city)[T.2]`` for ``city``)."""
    if term == pattern or fnmatch.fnmatchcase(term, pattern):
        return True
    return term.startswith((f"C({pattern})[", f"{pattern}[", f"C({pattern},"))


def _select_terms(models: list[Fitted], keep: Sequence[str] | None, drop: Sequence[str] | None,
                  order: Sequence[str] | None, hidden: set[str]) -> list[str]:
    terms: list[str] = []
    for m in models:
        terms += [t for t in m.params.index if t not in terms]
    if keep is not None:
        for k in keep:
            if not any(_matches(t, k) for t in terms):
                raise SpecificationError(
                    f"keep= names {k!r}, which no model has; terms are {terms[:12]}."
                )
        terms = [t for t in terms if any(_matches(t, k) for k in keep)]
    if drop is not None:
        terms = [t for t in terms if not any(_matches(t, d) for d in drop)]
    terms = [t for t in terms if t not in hidden]
    if order is not None:
        first = [t for o in order for t in terms if _matches(t, o)]
        first = list(dict.fromkeys(first))
        terms = first + [t for t in terms if t not in first]
    const = [t for t in terms if t in ("Intercept", "const", "_cons")]
    if order is None or not any(o in const for o in order):
        terms = [t for t in terms if t not in const] + const
    return terms


def _indicator_rows(models: list[Fitted], indicators: Mapping[str, Any], lang: str) -> tuple[list[list[str]], set[str]]:
    yes, no = words(lang)["yes"], words(lang)["no"]
    rows, hidden = [], set()
    n = len(models)
    for label, spec in indicators.items():
        if isinstance(spec, (bool, np.bool_)):
            flags = [bool(spec)] * n
        elif isinstance(spec, Sequence) and not isinstance(spec, str) and all(isinstance(v, (bool, np.bool_)) for v in spec):
            if len(spec) != n:
                raise SpecificationError(
                    f"indicators[{label!r}] has {len(spec)} flags for {n} models; give one True/False per model."
                )
            flags = [bool(v) for v in spec]
        else:
            names = [spec] if isinstance(spec, str) else list(spec)
            flags = []
            for m in models:
                hits = [t for t in m.params.index if any(_matches(t, v) for v in names)]
                hidden.update(hits)
                fe = any(v == f or v in f.split("^") for v in names for f in m.fixed_effects)
                flags.append(bool(hits) or fe)
        rows.append([label] + [yes if f else no for f in flags])
    return rows, hidden


def _stat_value(m: Fitted, key: str, digits: int) -> str:
    if key == "nobs":
        return f"{m.nobs:d}"
    val = m.stats.get(key)
    if val is None or (isinstance(val, float) and not np.isfinite(val)):
        return ""
    if key == "n_clusters":
        return str(int(val))
    return _fmt(float(val), digits)


def _inference_sentence(models: list[Fitted], stat: str, labels: Mapping[str, str], lang: str) -> list[str]:
    """What the parenthesised numbers are, per distinct covariance description."""
    w = words(lang)
    kinds: dict[str, list[int]] = {}
    for i, m in enumerate(models, start=1):
        kinds.setdefault(_se_kind(m, labels, lang), []).append(i)
    if stat in ("t", "p", "ci"):
        what = {"t": w["paren_t"], "p": w["paren_p"], "ci": w["paren_ci"]}[stat]
        if len(kinds) == 1 and next(iter(kinds)) != w["se_iid"]:
            return [what + w["based_on"].format(kind=next(iter(kinds)))]
        return [what]
    if len(kinds) == 1:
        return [w["paren_se"].format(kind=next(iter(kinds)))]
    parts = []
    for kind, cols in kinds.items():
        cols_txt = w["cols"].format(cols=w["sep"].join(f"({c})" for c in cols), s="s" if len(cols) > 1 else "")
        parts.append(cols_txt + kind)
    return [w["paren_se_mixed"].format(parts=w["semi"].join(parts) if lang == "en" else "，".join(parts))]


def _se_kind(m: Fitted, labels: Mapping[str, str], lang: str) -> str:
    w = words(lang)
    v = m.vcov
    if v in ("cluster", "wild") and m.cluster and m.cluster != ("?",):
        level = w["and"].join(labels.get(c, c) for c in m.cluster)
        return w["se_cluster_at"].format(level=level)
    if v in ("cluster", "wild"):
        return w["se_cluster"]
    if v in ("HC0", "HC1", "HC2", "HC3", "robust"):
        return w["se_robust"].format(kind=v if v != "robust" else "")
    if v == "survey":
        return w["se_survey"]
    if v == "driscoll-kraay":
        return w["se_dk"]
    return w["se_iid"]


def regression_table(
    results: Any,
    *,
    stat: Stat = "se",
    stars: Sequence[float] | None = (0.1, 0.05, 0.01),
    labels: Mapping[str, str] | None = None,
    lang: Lang = "zh",
    keep: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    indicators: Mapping[str, Any] | None = None,
    stats: Sequence[str] | None = None,
    model_names: Sequence[str] | None = None,
    depvars: bool = True,
    digits: int = 3,
    title: str = "",
    notes: Sequence[str] | str | None = None,
    auto_notes: bool = True,
    style: TableStyle = "three-line",
    label: str = "",
) -> Table:
    """A publication regression table: one column per model, coefficients with standard errors
    (or t, p, confidence intervals) below, indicator rows, fit statistics and generated notes.

    Parameters
    ----------
    results : result or sequence of results
        disparity :class:`~disparity.models.ModelResult` objects, or fitted statsmodels,
        linearmodels or pyfixest models (their own standard errors and p-values are shown).
    stat : {"se", "t", "p", "ci"}
        What goes in parentheses (brackets for "ci": the 95% interval).
    stars : sequence of float or None
        Significance thresholds; ``(0.1, 0.05, 0.01)`` gives ``*``, ``**``, ``***``. ``None`` for no stars.
        Results carrying wild-bootstrap p-values are starred by those.
    labels : mapping
        Display names for terms, dependent variables and clustering variables
        (``{"county": "县"}`` makes the note read "聚类到县层面").
    lang : {"zh", "en"}
    keep, drop, order : sequence of str
        Term names or glob patterns (``"C(year)*"``); a factor name matches its levels.
    indicators : mapping
        Footer rows such as ``{"控制变量": ["age", "female"], "城市固定效应": ["city"]}``: a list of
        names hides those terms and shows 是/否 (Yes/No) by whether each model has them (as terms or
        as fixed effects); a list of booleans gives the flags directly.
    stats : sequence of str, optional
        Fit statistics from :data:`STATS_ALLOWED`. A statistic none of the models has (R² of a
        logit, AIC of an OLS fit) raises an error naming it; one some models lack is left blank in
        their columns. The default, ``("nobs", "r2")``, leaves out R² when no model has it.
    model_names : sequence of str, optional
        An extra header row naming the models.
    depvars : bool
        Show a header row with the (labelled) dependent variables.
    digits : int
        Decimal places of estimates and statistics.
    title, notes : str
        ``notes`` are added after the generated ones (``auto_notes=False`` keeps only yours).
    style : {"three-line", "booktabs", "plain"}

    Returns
    -------
    Table

    Notes
    -----
    A coefficient gets :math:`k` stars when its p-value is below :math:`k` of the thresholds. With
    ``stat="ci"`` the bracket shows :math:`[\\hat\\beta - q\\,\\widehat{se}, \\hat\\beta + q\\,\\widehat{se}]`
    as the estimating library computes it (bootstrap intervals when the result has them).

    References
    ----------
    Jann, B. (2007). Making regression tables simplified. *The Stata Journal* 7(2), 227-244.
    Arel-Bundock, V. (2022). modelsummary: Data and model summaries in R. *Journal of Statistical
    Software* 103(1), 1-23.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> t = regression_table(dp.ols("oop ~ income + age", data=df))
    >>> t.to_frame().shape
    (8, 2)
    """
    check_option("stat", stat, ("se", "t", "p", "ci"))
    check_option("lang", lang, LANGS)
    check_option("style", style, TABLE_STYLES)
    explicit = stats is not None
    stats = ("nobs", "r2") if stats is None else tuple(stats)
    for s in stats:
        check_option("stats entry", s, STATS_ALLOWED)
    if not isinstance(digits, int) or not 0 <= digits <= 10:
        raise SpecificationError(f"digits={digits!r} must be an integer from 0 to 10.")
    if isinstance(results, (list, tuple)):
        res_list = list(results)
    elif isinstance(results, Mapping):
        model_names = list(results.keys()) if model_names is None else model_names
        res_list = list(results.values())
    else:
        res_list = [results]
    if not res_list:
        raise SpecificationError("regression_table() needs at least one result.")
    thresholds = tuple(sorted(stars or (), reverse=True))
    if any(not 0 < t < 1 for t in thresholds):
        raise SpecificationError(f"stars={stars!r}: thresholds must be between 0 and 1, e.g. (0.1, 0.05, 0.01).")
    labels = dict(labels or {})
    models = [extract(r) for r in res_list]
    n = len(models)
    if model_names is not None and len(model_names) != n:
        raise SpecificationError(f"model_names has {len(model_names)} names for {n} models.")

    ind_rows, hidden = _indicator_rows(models, indicators or {}, lang)
    terms = _select_terms(models, keep, drop, order, hidden)

    header = [(HeaderCell(""), *[HeaderCell(f"({i})") for i in range(1, n + 1)])]
    if model_names is not None:
        header.append((HeaderCell(""), *[HeaderCell(str(s)) for s in model_names]))
    if depvars and any(m.depvar for m in models):
        header.append((HeaderCell(""), *[HeaderCell(labels.get(m.depvar, m.depvar)) for m in models]))

    body: list[list[str]] = []
    records = []
    blocks = []
    # cut points of ordered models ("0|1") are thresholds, not effects: their own block, no stars
    cuts = [t for t in terms if "|" in t and not t.startswith(("C(", "I("))]
    terms = [t for t in terms if t not in cuts] + cuts
    for term in terms:
        is_cut = term in cuts
        if is_cut and term == cuts[0]:
            blocks.append(len(body))
        est_row = [(words(lang)["cut"] + " " + labels.get(term, term)) if is_cut else term_label(term, labels, lang)]
        sub_row = [""]
        for j, m in enumerate(models):
            if term not in m.params.index:
                est_row.append("")
                sub_row.append("")
                continue
            b = float(m.params[term])
            p = float(m.pvalues[term])
            est_row.append(_fmt(b, digits) + ("" if is_cut else significance_stars(p, thresholds)))
            se, t = float(m.std_errors[term]), float(m.tstats[term])
            lo, hi = float(m.conf_low[term]), float(m.conf_high[term])
            sub_row.append(
                {"se": f"({_fmt(se, digits)})", "t": f"({_fmt(t, 2 if digits > 2 else digits)})",
                 "p": f"({_fmt(p, digits)})", "ci": f"[{_fmt(lo, digits)}, {_fmt(hi, digits)}]"}[stat]
            )
            records.append({"model": j + 1, "term": term, "estimate": b, "std_error": se,
                            "statistic": t, "p_value": p, "conf_low": lo, "conf_high": hi})
        body += [est_row, sub_row]
    if ind_rows:
        blocks.append(len(body))
        body += ind_rows
    if stats:
        blocks.append(len(body))
        for key in stats:
            cells = [_stat_value(m, key, digits) for m in models]
            if any(cells):
                body.append([stat_label(key, lang)] + cells)
            elif explicit:
                have = sorted({s for m in models for s in m.stats if s in STATS_ALLOWED} | {"nobs"})
                raise SpecificationError(
                    f"stats entry {key!r}: none of the models reports it; drop it from stats= "
                    f"(these models report: {', '.join(repr(s) for s in have)})."
                )

    note_list: list[str] = []
    if auto_notes:
        auto = _inference_sentence(models, stat, labels, lang)
        wild_models = [m for m in models if m.wild]
        if wild_models:
            wild = wild_models[0].wild or {}
            sentence = words(lang)["wild"].format(reps=wild.get("reps"), weights=wild.get("weights"),
                                                  seed=wild.get("seed"))
            if len(wild_models) < n:
                cols = [f"({i})" for i, m in enumerate(models, start=1) if m.wild]
                sentence = (f"第{'、'.join(cols)}列的" + sentence if lang == "zh"
                            else f"column{'s' if len(cols) > 1 else ''} {', '.join(cols)}: " + sentence)
            auto.append(sentence)
        if thresholds:
            w = words(lang)
            syms = [("*" * (i + 1)) for i in range(len(thresholds))]
            auto.append(w["stars"].format(
                syms=w["list_sep"].join(syms), levels=w["list_sep"].join(percent(t) for t in thresholds)))
        note_list.append(join_sentences(auto, lang))
    if notes:
        note_list += [notes] if isinstance(notes, str) else list(notes)
    data = pd.DataFrame.from_records(records)
    return Table(
        header=tuple(header),
        body=tuple(tuple(r) for r in body),
        title=title,
        notes=tuple(note_list),
        lang=lang,
        style=style,
        blocks=tuple(blocks),
        label=label,
        data=data,
    )
