"""Staggered difference-in-differences and event studies (issue 7).

``did`` (2x2 and TWFE), ``event_study`` (Callaway-Sant'Anna, TWFE, Sun-Abraham), ``cohorts`` (timing
table to first-treated period), ``bacon`` (Goodman-Bacon decomposition), ``placebo`` (random
reassignment of timing) and ``psm_did`` (propensity-score DiD with a balance table).
"""

from ._panel import DidWarning
from .bacon import BaconResult, bacon
from .cohorts import cohorts
from .diagnostics import PlaceboResult, PsmDidResult, placebo, psm_did
from .estimate import event_study
from .results import AggregateResult, DidResult, EventStudyResult, PretrendTest
from .twfe import did

__all__: list[str] = [
    "cohorts",
    "did",
    "event_study",
    "bacon",
    "placebo",
    "psm_did",
    "EventStudyResult",
    "AggregateResult",
    "DidResult",
    "PretrendTest",
    "BaconResult",
    "PlaceboResult",
    "PsmDidResult",
    "DidWarning",
]
