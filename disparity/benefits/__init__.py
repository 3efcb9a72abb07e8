"""Benefit rules -> effective reimbursement (issue 6).

``dp.benefits.Schedule`` describes a scheme's rules (deductibles and rates by hospital level,
annual ceiling, critical-illness tier, group bonuses, out-of-area rules, outpatient pooling);
``schedule.reimburse(claims)`` applies them to claims with annual accumulation per person, and
``dp.benefits.compare_schedules`` gives the benefit-level gap the rules alone imply.
"""

from __future__ import annotations

from .bundled import list_schedules, load_schedule
from .compare import DEFAULT_COST_BANDS, ScheduleComparison, compare_schedules
from .reimburse import COMPONENTS, Reimbursement, reimburse
from .schedule import GENERAL_GROUP, CriticalIllness, GroupRule, OutpatientPooling, Schedule

__all__ = [
    "Schedule",
    "GroupRule",
    "CriticalIllness",
    "OutpatientPooling",
    "Reimbursement",
    "ScheduleComparison",
    "reimburse",
    "compare_schedules",
    "load_schedule",
    "list_schedules",
    "COMPONENTS",
    "DEFAULT_COST_BANDS",
    "GENERAL_GROUP",
]
