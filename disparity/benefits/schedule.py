"""Benefit schedules: the rules of a medical-insurance scheme as data.

A :class:`Schedule` holds the inpatient deductibles (起付线) and reimbursement rates by hospital
level, the annual fund ceiling (封顶线), out-of-area rules, the critical-illness insurance tier
(大病保险), outpatient pooling (门诊统筹) and group-specific adjustments (e.g. +5 points for the
poor). It is built from a dict, a TOML file or a long CSV and applied to claims with
:meth:`Schedule.reimburse`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._frozen import FrozenMap
from ..errors import DataFormatError, SpecificationError

if TYPE_CHECKING:
    from .reimburse import Reimbursement

__all__ = ["Schedule", "GroupRule", "CriticalIllness", "OutpatientPooling", "GENERAL_GROUP"]

#: Group label (besides missing values) that means "no special rule applies".
GENERAL_GROUP = "general"

_INF = math.inf


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return FrozenMap(mapping or {})  # read-only and picklable (a mappingproxy does not pickle)


def _amount(name: str, value: Any, *, allow_inf: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecificationError(f"{name} must be a number of yuan, got {value!r}.") from None
    if math.isnan(x) or x < 0 or (math.isinf(x) and not allow_inf):
        what = "a non-negative number (inf for 'no limit')" if allow_inf else "a finite non-negative number"
        raise SpecificationError(f"{name} must be {what}, got {value!r}.")
    return x


def _share(name: str, value: Any, *, low: float = 0.0) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecificationError(f"{name} must be a share in [0, 1], got {value!r}.") from None
    if not (low <= x <= 1.0):
        raise SpecificationError(
            f"{name} must be a share in [{low:g}, 1] (write 0.75, not 75), got {value!r}."
        )
    return x


@dataclass(frozen=True, slots=True)
class GroupRule:
    """Adjustments for a beneficiary group (e.g. the poor, 特困人员), relative to the general rules.

    Parameters
    ----------
    rate_bonus : float
        Added to the in-area inpatient reimbursement rates (the sum is capped at 1).
    deductible_factor : float
        Multiplies every inpatient deductible (0.5 halves it, 0 waives it).
    ceiling : float, optional
        Replaces the basic annual ceiling (``inf`` removes it).
    ci_threshold_factor : float
        Multiplies the critical-illness threshold and every tier bound (0.5 halves them).
    ci_rate_bonus : float
        Added to every critical-illness tier rate (capped at 1).
    ci_ceiling : float, optional
        Replaces the critical-illness annual ceiling (``inf`` removes it).
    """

    rate_bonus: float = 0.0
    deductible_factor: float = 1.0
    ceiling: float | None = None
    ci_threshold_factor: float = 1.0
    ci_rate_bonus: float = 0.0
    ci_ceiling: float | None = None

    def __post_init__(self) -> None:
        _share("rate_bonus", self.rate_bonus, low=-1.0)
        _share("ci_rate_bonus", self.ci_rate_bonus, low=-1.0)
        _amount("deductible_factor", self.deductible_factor)
        _amount("ci_threshold_factor", self.ci_threshold_factor)
        if self.ceiling is not None:
            _amount("ceiling", self.ceiling, allow_inf=True)
        if self.ci_ceiling is not None:
            _amount("ci_ceiling", self.ci_ceiling, allow_inf=True)


@dataclass(frozen=True, slots=True)
class CriticalIllness:
    """Critical-illness insurance (大病保险): pays on annual policy-scope out-of-pocket spending.

    Parameters
    ----------
    segments : tuple of (lower bound, rate)
        Increasing lower bounds of cumulative annual policy-scope out-of-pocket spending (the first
        is the threshold) and the rate paid on spending within each segment.
    ceiling : float
        Annual ceiling of critical-illness payments per person (``inf`` for none).
    """

    segments: tuple[tuple[float, float], ...]
    ceiling: float = _INF

    def __post_init__(self) -> None:
        if not self.segments:
            raise SpecificationError(
                "critical_illness needs a threshold and rate (or segments=[[lower, rate], ...])."
            )
        bounds = [_amount("critical_illness bound", lo) for lo, _ in self.segments]
        for _, r in self.segments:
            _share("critical_illness rate", r)
        if any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:], strict=False)):
            raise SpecificationError(
                f"critical_illness segment bounds must increase strictly, got {bounds}; "
                "list them from the threshold upwards."
            )
        _amount("critical_illness ceiling", self.ceiling, allow_inf=True)

    @property
    def threshold(self) -> float:
        """Annual policy-scope out-of-pocket spending above which the tier pays."""
        return float(self.segments[0][0])


@dataclass(frozen=True, slots=True)
class OutpatientPooling:
    """Outpatient pooling (门诊统筹): a rate on outpatient policy-scope cost up to an annual ceiling.

    Parameters
    ----------
    rate : float
        Share of each visit's policy-scope cost above ``deductible`` that is paid.
    ceiling : float
        Annual ceiling per person.
    deductible : float
        Per-visit deductible (usually 0).
    """

    rate: float
    ceiling: float = _INF
    deductible: float = 0.0

    def __post_init__(self) -> None:
        _share("outpatient rate", self.rate)
        _amount("outpatient ceiling", self.ceiling, allow_inf=True)
        _amount("outpatient deductible", self.deductible)


_TOP_KEYS = (
    "name", "region", "year", "source", "ceiling", "inpatient", "out_of_area",
    "critical_illness", "outpatient", "groups", "extras",
)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The benefit rules of one scheme in one year.

    Build one with :meth:`from_dict`, :meth:`from_toml` or :meth:`from_csv`; apply it to claims
    with :meth:`reimburse`.

    Parameters
    ----------
    deductible : mapping of str to float
        In-area inpatient deductible (起付线) per admission, by hospital level.
    rate : mapping of str to float
        In-area inpatient reimbursement rate on policy-scope cost above the deductible, by level
        (same keys as ``deductible``).
    ceiling : float
        Annual ceiling (封顶线) of basic inpatient fund payments per person (``inf`` for none).
    out_of_area : mapping of str to (deductible, rate)
        Rules replacing the level rules for out-of-area admissions, by out-of-area type
        (e.g. ``"cross_province"``).
    critical_illness : CriticalIllness, optional
        The critical-illness tier.
    outpatient : OutpatientPooling, optional
        Outpatient pooling; without it outpatient claims are not reimbursed.
    groups : mapping of str to GroupRule
        Group-specific adjustments; claims whose group is missing or ``"general"`` get none.
    name, region, year, source : optional
        Metadata (``source`` should say whether the numbers are a real rule, and where from).
    extras : mapping
        Items read from a file that are not benefit rules (financing, maternity lump sums, ...);
        kept for reference, never used in reimbursement.
    """

    deductible: Mapping[str, float]
    rate: Mapping[str, float]
    ceiling: float = _INF
    out_of_area: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    critical_illness: CriticalIllness | None = None
    outpatient: OutpatientPooling | None = None
    groups: Mapping[str, GroupRule] = field(default_factory=dict)
    name: str = ""
    region: str | None = None
    year: int | None = None
    source: str | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.deductible:
            raise SpecificationError(
                "A schedule needs inpatient deductibles and rates by hospital level, e.g. "
                "inpatient={'deductible': {'level2': 400}, 'rate': {'level2': 0.75}}."
            )
        if set(self.deductible) != set(self.rate):
            only_d = sorted(set(self.deductible) - set(self.rate))
            only_r = sorted(set(self.rate) - set(self.deductible))
            raise SpecificationError(
                "Every hospital level needs both a deductible and a rate; "
                f"levels with a deductible but no rate: {only_d}; with a rate but no deductible: "
                f"{only_r}."
            )
        ded = {str(k): _amount(f"deductible[{k!r}]", v) for k, v in self.deductible.items()}
        rate = {str(k): _share(f"rate[{k!r}]", v) for k, v in self.rate.items()}
        oa = {}
        for k, v in dict(self.out_of_area).items():
            try:
                d, r = v
            except (TypeError, ValueError):
                raise SpecificationError(
                    f"out_of_area[{k!r}] must be (deductible, rate), got {v!r}."
                ) from None
            oa[str(k)] = (_amount(f"out_of_area[{k!r}] deductible", d),
                          _share(f"out_of_area[{k!r}] rate", r))
        groups = {}
        for k, g in dict(self.groups).items():
            if not isinstance(g, GroupRule):
                raise SpecificationError(f"groups[{k!r}] must be a GroupRule, got {type(g).__name__}.")
            if str(k) == GENERAL_GROUP:
                raise SpecificationError(
                    f"{GENERAL_GROUP!r} is the label for 'no special rule'; give the group another name."
                )
            groups[str(k)] = g
        object.__setattr__(self, "deductible", _frozen(ded))
        object.__setattr__(self, "rate", _frozen(rate))
        object.__setattr__(self, "out_of_area", _frozen(oa))
        object.__setattr__(self, "groups", _frozen(groups))
        object.__setattr__(self, "extras", _frozen(self.extras))
        object.__setattr__(self, "ceiling", _amount("ceiling", self.ceiling, allow_inf=True))

    @property
    def levels(self) -> tuple[str, ...]:
        """Hospital levels the schedule has rules for."""
        return tuple(self.deductible)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Schedule:
        """Build a schedule from a nested mapping (the structure of the TOML files).

        Keys: ``inpatient = {deductible = {level: yuan}, rate = {level: share}}``, ``ceiling``,
        ``out_of_area = {type: {deductible, rate}}``, ``critical_illness = {threshold, rate,
        ceiling}`` (or ``segments = [[lower, rate], ...]``), ``outpatient = {rate, ceiling,
        deductible}``, ``groups = {name: {rate_bonus, deductible_factor, ceiling,
        ci_threshold_factor, ci_rate_bonus, ci_ceiling}}`` and metadata ``name``, ``region``,
        ``year``, ``source``, ``extras``.
        """
        if not isinstance(spec, Mapping):
            raise SpecificationError(f"from_dict needs a mapping, got {type(spec).__name__}.")
        _check_keys("schedule", spec, _TOP_KEYS)
        inpatient = spec.get("inpatient") or {}
        _check_keys("inpatient", inpatient, ("deductible", "rate"))
        oa = {}
        for k, v in (spec.get("out_of_area") or {}).items():
            _check_keys(f"out_of_area.{k}", v, ("deductible", "rate"))
            if "deductible" not in v or "rate" not in v:
                raise SpecificationError(f"out_of_area.{k} needs both 'deductible' and 'rate'.")
            oa[k] = (v["deductible"], v["rate"])
        ci = spec.get("critical_illness")
        ci_rule = None
        if ci:
            _check_keys("critical_illness", ci, ("threshold", "rate", "ceiling", "segments"))
            if "segments" in ci:
                if "threshold" in ci or "rate" in ci:
                    raise SpecificationError(
                        "critical_illness: give either threshold+rate or segments, not both."
                    )
                segs = tuple((float(lo), float(r)) for lo, r in ci["segments"])
            else:
                if "threshold" not in ci or "rate" not in ci:
                    raise SpecificationError("critical_illness needs 'threshold' and 'rate'.")
                segs = ((float(ci["threshold"]), float(ci["rate"])),)
            ci_rule = CriticalIllness(segs, ceiling=ci.get("ceiling", _INF))
        op = spec.get("outpatient")
        op_rule = None
        if op:
            _check_keys("outpatient", op, ("rate", "ceiling", "deductible"))
            if "rate" not in op:
                raise SpecificationError("outpatient needs a 'rate'.")
            op_rule = OutpatientPooling(**op)
        groups = {}
        for k, v in (spec.get("groups") or {}).items():
            _check_keys(f"groups.{k}", v, GroupRule.__slots__)
            groups[k] = GroupRule(**v)
        year = spec.get("year")
        return cls(
            deductible=inpatient.get("deductible") or {},
            rate=inpatient.get("rate") or {},
            ceiling=spec.get("ceiling", _INF),
            out_of_area=oa,
            critical_illness=ci_rule,
            outpatient=op_rule,
            groups=groups,
            name=str(spec.get("name", "")),
            region=spec.get("region"),
            year=int(year) if year is not None else None,
            source=spec.get("source"),
            extras=spec.get("extras") or {},
        )

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> Schedule:
        """Read a schedule from a TOML file with the structure described in :meth:`from_dict`."""
        p = Path(path)
        try:
            with p.open("rb") as fh:
                spec = tomllib.load(fh)
        except FileNotFoundError:
            raise DataFormatError(f"Schedule file {str(p)!r} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise DataFormatError(f"{str(p)!r} is not valid TOML ({exc}); fix the file.") from None
        return cls.from_dict(spec)

    @classmethod
    def from_csv(cls, path: str | PathLike[str], *, name: str | None = None,
                 encoding: str = "utf-8") -> Schedule:
        """Read a schedule from a long CSV with columns ``item, level_or_group, value[, unit, note]``.

        Recognised items (``level_or_group`` in brackets): ``inpatient_deductible`` and
        ``inpatient_reimbursement_rate`` [hospital level]; ``annual_ceiling_basic`` [``all`` or a
        group]; ``inpatient_rate_bonus`` and ``inpatient_deductible_factor`` [group];
        ``out_of_area_deductible`` and ``out_of_area_reimbursement_rate`` [out-of-area type];
        ``critical_illness_threshold``, ``critical_illness_rate`` [``all``],
        ``critical_illness_tier_rate`` [lower bound in yuan], ``critical_illness_ceiling``
        [``all`` or a group], ``critical_illness_threshold_factor`` and
        ``critical_illness_rate_bonus`` [group]; ``outpatient_pooling_rate``,
        ``outpatient_pooling_ceiling``, ``outpatient_pooling_deductible`` [``all``]. Rates are
        shares, or percentages when ``unit`` is ``%``/``percent``. Any other item is kept in
        :attr:`extras` (not used), unless it looks like a misspelt rule item, which is an error.
        """
        p = Path(path)
        try:
            raw = pd.read_csv(p, dtype={"item": str, "level_or_group": str}, encoding=encoding)
        except FileNotFoundError:
            raise DataFormatError(f"Schedule file {str(p)!r} does not exist.") from None
        return cls.from_frame(raw, name=name if name is not None else p.stem)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, name: str = "") -> Schedule:
        """Build a schedule from a long frame shaped like the CSV of :meth:`from_csv`."""
        from ._long import schedule_dict_from_long

        return cls.from_dict(schedule_dict_from_long(frame, name=name))

    # ------------------------------------------------------------------ use
    def reimburse(self, claims: pd.DataFrame, **columns: Any) -> Reimbursement:
        """Apply the rules to claims; see :func:`disparity.benefits.reimburse` for the columns."""
        from .reimburse import reimburse

        return reimburse(self, claims, **columns)

    def to_dict(self) -> dict[str, Any]:
        """The schedule as a nested dict accepted by :meth:`from_dict`."""
        out: dict[str, Any] = {
            "name": self.name,
            "inpatient": {"deductible": dict(self.deductible), "rate": dict(self.rate)},
            "ceiling": self.ceiling,
        }
        for key in ("region", "year", "source"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.out_of_area:
            out["out_of_area"] = {k: {"deductible": d, "rate": r} for k, (d, r) in self.out_of_area.items()}
        if self.critical_illness is not None:
            out["critical_illness"] = {
                "segments": [list(s) for s in self.critical_illness.segments],
                "ceiling": self.critical_illness.ceiling,
            }
        if self.outpatient is not None:
            o = self.outpatient
            out["outpatient"] = {"rate": o.rate, "ceiling": o.ceiling, "deductible": o.deductible}
        if self.groups:
            out["groups"] = {
                k: {s: getattr(g, s) for s in GroupRule.__slots__ if getattr(g, s) is not None}
                for k, g in self.groups.items()
            }
        if self.extras:
            out["extras"] = dict(self.extras)
        return out

    def tidy(self) -> pd.DataFrame:
        """The inpatient rules as a frame: one row per hospital level and out-of-area type."""
        rows = [{"setting": "in_area", "level": k, "deductible": self.deductible[k], "rate": self.rate[k]}
                for k in self.levels]
        rows += [{"setting": "out_of_area", "level": k, "deductible": d, "rate": r}
                 for k, (d, r) in self.out_of_area.items()]
        return pd.DataFrame(rows, columns=["setting", "level", "deductible", "rate"])

    def _repr_html_(self) -> str:
        title = f"<p><b>Schedule</b> {self.name}" + (f" ({self.year})" if self.year else "") + "</p>"
        return title + self.tidy().to_html(index=False)

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", f"levels={list(self.levels)}", f"ceiling={self.ceiling:g}"]
        if self.critical_illness is not None:
            parts.append(f"critical_illness_threshold={self.critical_illness.threshold:g}")
        if self.groups:
            parts.append(f"groups={list(self.groups)}")
        return "Schedule(" + ", ".join(parts) + ")"


def _check_keys(where: str, spec: Any, allowed: tuple[str, ...] | Any) -> None:
    if not isinstance(spec, Mapping):
        raise SpecificationError(f"{where} must be a table/mapping, got {spec!r}.")
    allowed = tuple(allowed)
    unknown = [k for k in spec if k not in allowed]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(str(k), allowed, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise SpecificationError(
            f"Unknown key(s) in {where}: {', '.join(hints)}; allowed keys are {', '.join(allowed)}."
        )
