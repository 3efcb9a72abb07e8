"""Translate a long benefit-rule table (item, level_or_group, value, unit) into a schedule dict."""

from __future__ import annotations

import difflib
import math
from typing import Any

import pandas as pd

from ..errors import DataFormatError

_ALL = "all"
_PERCENT_UNITS = {"%", "percent", "percentage", "percentage points"}

# item -> (section, key, what level_or_group holds)
_RULE_ITEMS: dict[str, tuple[str, str, str]] = {
    "inpatient_deductible": ("inpatient", "deductible", "level"),
    "inpatient_reimbursement_rate": ("inpatient", "rate", "level"),
    "annual_ceiling_basic": ("ceiling", "ceiling", "all_or_group"),
    "inpatient_rate_bonus": ("groups", "rate_bonus", "group"),
    "inpatient_deductible_factor": ("groups", "deductible_factor", "group"),
    "out_of_area_deductible": ("out_of_area", "deductible", "type"),
    "out_of_area_reimbursement_rate": ("out_of_area", "rate", "type"),
    "critical_illness_threshold": ("critical_illness", "threshold", "all"),
    "critical_illness_rate": ("critical_illness", "rate", "all"),
    "critical_illness_tier_rate": ("critical_illness", "tier", "bound"),
    "critical_illness_ceiling": ("critical_illness", "ceiling", "all_or_group"),
    "critical_illness_threshold_factor": ("groups", "ci_threshold_factor", "group"),
    "critical_illness_rate_bonus": ("groups", "ci_rate_bonus", "group"),
    "outpatient_pooling_rate": ("outpatient", "rate", "all"),
    "outpatient_pooling_ceiling": ("outpatient", "ceiling", "all"),
    "outpatient_pooling_deductible": ("outpatient", "deductible", "all"),
}
_RATE_KEYS = {"rate", "rate_bonus", "ci_rate_bonus", "tier"}
# Items that are close in spelling to rule items but are not rules.
_KNOWN_EXTRAS = {"annual_ceiling_accidental_injury"}


def _value(row: Any, line: int, key: str) -> float:
    raw = row["value"]
    text = str(raw).strip().lower()
    if text in {"inf", "none", "no ceiling", "unlimited"}:
        return math.inf
    try:
        x = float(raw)
    except (TypeError, ValueError):
        raise DataFormatError(
            f"Row {line} ({row['item']}): value {raw!r} is not a number; write a number or 'inf'."
        ) from None
    unit = str(row.get("unit", "") or "").strip().lower()
    if key in _RATE_KEYS and unit in _PERCENT_UNITS:
        x /= 100.0
    return x


def schedule_dict_from_long(frame: pd.DataFrame, *, name: str = "") -> dict[str, Any]:
    """Build a :meth:`Schedule.from_dict` mapping from a long table; see :meth:`Schedule.from_csv`."""
    missing = [c for c in ("item", "level_or_group", "value") if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"A long schedule table needs columns item, level_or_group, value (and optionally "
            f"unit, note); missing {missing}. Columns found: {list(frame.columns)}."
        )
    spec: dict[str, Any] = {"name": name, "extras": {}}
    inpatient: dict[str, dict[str, float]] = {"deductible": {}, "rate": {}}
    oa: dict[str, dict[str, float]] = {}
    ci: dict[str, Any] = {}
    tiers: list[list[float]] = []
    op: dict[str, float] = {}
    groups: dict[str, dict[str, float]] = {}
    seen: dict[tuple[str, str], int] = {}
    for pos, (_, row) in enumerate(frame.iterrows()):
        line = pos + 2  # header is line 1
        item = str(row["item"]).strip()
        who = str(row["level_or_group"]).strip() if pd.notna(row["level_or_group"]) else _ALL
        if item not in _RULE_ITEMS:
            close = difflib.get_close_matches(item, list(_RULE_ITEMS), n=1, cutoff=0.9)
            if close and item not in _KNOWN_EXTRAS:
                raise DataFormatError(
                    f"Row {line}: item {item!r} is not a known rule; did you mean {close[0]!r}? "
                    "Fix the spelling (unknown items that are not rules are kept as extras)."
                )
            spec["extras"].setdefault(item, {})[who] = row["value"]
            continue
        if (item, who) in seen:
            raise DataFormatError(
                f"Rows {seen[(item, who)]} and {line} both set {item} for {who!r}; keep one."
            )
        seen[(item, who)] = line
        section, key, kind = _RULE_ITEMS[item]
        x = _value(row, line, key)
        if kind in ("all",) and who != _ALL:
            raise DataFormatError(
                f"Row {line}: {item} applies to everyone, so level_or_group must be 'all', got {who!r}."
            )
        if section == "inpatient":
            inpatient[key][who] = x
        elif section == "out_of_area":
            oa.setdefault(who, {})[key] = x
        elif section == "outpatient":
            op[key] = x
        elif section == "groups":
            groups.setdefault(who, {})[key] = x
        elif section == "ceiling":
            if who == _ALL:
                spec["ceiling"] = x
            else:
                groups.setdefault(who, {})["ceiling"] = x
        elif key == "tier":
            try:
                bound = float(who)
            except ValueError:
                raise DataFormatError(
                    f"Row {line}: critical_illness_tier_rate needs the tier's lower bound in yuan "
                    f"in level_or_group, got {who!r}."
                ) from None
            tiers.append([bound, x])
        elif key == "ceiling" and who != _ALL:
            groups.setdefault(who, {})["ci_ceiling"] = x
        else:
            ci[key] = x
    if inpatient["deductible"] or inpatient["rate"]:
        spec["inpatient"] = inpatient
    if oa:
        spec["out_of_area"] = oa
    if ci or tiers:
        if "threshold" not in ci or "rate" not in ci:
            raise DataFormatError(
                "The table has critical-illness items but not both critical_illness_threshold and "
                "critical_illness_rate; add the missing row."
            )
        segs = sorted([[ci["threshold"], ci["rate"]], *tiers])
        spec["critical_illness"] = {"segments": segs, "ceiling": ci.get("ceiling", math.inf)}
    if op:
        spec["outpatient"] = op
    if groups:
        spec["groups"] = groups
    if not spec["extras"]:
        del spec["extras"]
    return spec
