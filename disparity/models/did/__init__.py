"""Staggered difference-in-differences and event studies (issue 7)."""

from .estimate import event_study
from .results import AggregateResult, DidResult, EventStudyResult, PretrendTest
from .twfe import did

__all__: list[str] = ["did", "event_study", "EventStudyResult", "AggregateResult", "DidResult", "PretrendTest"]
